/* The snapshots of a command: models and rule sets at each of --dates,
 * for the snapshots and migrate commands and the report. */
#ifndef SEGMENT_CLI_SNAP_H
#define SEGMENT_CLI_SNAP_H

#include <segment.h>

#include "pipeline.h"

/* Load the data of a prepared run without features, run the snapshots of
 * --dates (with --by, --enter-hold, --leave-hold) and save the models of
 * --save-model. Returns 0 or an exit code (the message printed). */
int cli_snap_execute(const cli_args *a, cli_run *r, seg_snapshots **out);

/* The indices of --between in s (default the last two). Returns 0 or an
 * exit code. */
int cli_snap_between(const cli_args *a, const cli_run *r,
                     const seg_snapshots *s, size_t *from, size_t *to);

#endif
