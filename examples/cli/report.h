/* The HTML report of the segment command-line tool. */
#ifndef SEGMENT_CLI_REPORT_H
#define SEGMENT_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <segment.h>

#include "output.h"

/* Write the report to f (cli_output checks that it was written). tier and
 * cross may be NULL. Returns an exit code. */
int seg_cli_report(cli_out *f, seg_dataset *ds, seg_model **models,
                   size_t n_models, const char *tier, const char *cross,
                   const char *title);

#endif
