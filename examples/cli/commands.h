/* The commands of segment, one group of them per file. */
#ifndef SEGMENT_CLI_COMMANDS_H
#define SEGMENT_CLI_COMMANDS_H

#include <segment.h>

#include "options.h"

/* The options that every command reading data takes. */
#define CLI_INPUT_OPTIONS                                                     \
    OPT_MAP, OPT_NO_HEADER, OPT_DELIMITER, OPT_TIME_FORMAT, OPT_EVENTS,       \
        OPT_EVENTS_MAP, OPT_ATTRIBUTES, OPT_ATTRIBUTES_MAP, OPT_THREADS,      \
        OPT_TIMEZONE, OPT_NO_RETURNS, OPT_TIMINGS, OPT_PROGRESS, OPT_QUIET
#define CLI_FEATURE_OPTIONS OPT_AS_OF, OPT_TIME_UNIT, OPT_HOLDOUT_FROM, OPT_WINDOWS

/* cmd_data.c */
extern const cli_command cli_cmd_features, cli_cmd_fit, cli_cmd_holdout,
    cli_cmd_table, cli_cmd_models;
/* cmd_tier.c */
extern const cli_command cli_cmd_score, cli_cmd_tier, cli_cmd_summary,
    cli_cmd_calls;
/* cmd_ops.c */
extern const cli_command cli_cmd_ladder, cli_cmd_control,
    cli_cmd_campaign, cli_cmd_reclaim;
/* The definitions of --ladder FILE or --reclaim FILE, or --preset NAME
 * (also for the report), and a number option (left as it is when not
 * given); 0, or an exit code after a message. */
int cli_read_ladder(const cli_args *a, seg_ladder **l);
int cli_read_reclaim(const cli_args *a, seg_reclaim **r);
int cli_number_option(const cli_args *a, cli_opt o, double *out);
/* A date option read in the dataset's zone, a date meaning its end (as
 * --as-of everywhere); SEG_TIME_NONE when not given. */
int cli_date_option(const cli_args *a, const seg_dataset *ds, cli_opt o,
                    int64_t *out);
/* cmd_snap.c */
extern const cli_command cli_cmd_snapshots, cli_cmd_migrate;
/* cmd_model.c */
extern const cli_command cli_cmd_simulate, cli_cmd_compare;
/* cmd_report.c */
extern const cli_command cli_cmd_report;

#endif
