/**
 * @file segment.h
 * @brief Umbrella header: the whole public API of libsegment.
 *
 * Include this one header; the area headers under segment/ are included by
 * it and are not meant to be included one by one.
 */
#ifndef SEGMENT_H
#define SEGMENT_H

#include "segment/version.h"
#include "segment/common.h"
#include "segment/time.h"
#include "segment/dataset.h"
#include "segment/table.h"
#include "segment/features.h"
#include "segment/io.h"
#include "segment/model.h"
#include "segment/rules.h"
#include "segment/summary.h"
#include "segment/ops.h"
#include "segment/sys/model.h"

#endif /* SEGMENT_H */
