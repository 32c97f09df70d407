/* The commands of segment, one group of them per file. */
#ifndef SEGMENT_CLI_COMMANDS_H
#define SEGMENT_CLI_COMMANDS_H

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
    cli_cmd_campaign;
/* cmd_model.c */
extern const cli_command cli_cmd_simulate, cli_cmd_compare;
/* cmd_report.c */
extern const cli_command cli_cmd_report;

#endif
