/* The command-line options of segment: one table of every option, one
 * parser, and each command's usage built from the options it takes. */
#ifndef SEGMENT_CLI_OPTIONS_H
#define SEGMENT_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum { EXIT_USAGE = 1, EXIT_INPUT = 2 };

/* Every option of every command. An old spelling has its own entry that
 * stores its value under the current option, so the commands only ever see
 * the current one. */
typedef enum cli_opt {
    OPT_NONE = 0,
    /* the data file */
    OPT_MAP,
    OPT_NO_HEADER,
    OPT_DELIMITER,
    OPT_TIME_FORMAT,
    OPT_SUMMARY_INPUT,
    OPT_THREADS,
    OPT_TIMEZONE,
    OPT_NO_RETURNS,
    OPT_PROGRESS,
    OPT_QUIET,
    /* the other input files */
    OPT_EVENTS,
    OPT_EVENTS_MAP,
    OPT_ATTRIBUTES,
    OPT_ATTRIBUTES_MAP,
    /* features */
    OPT_AS_OF,
    OPT_TIME_UNIT,
    OPT_HOLDOUT_FROM,
    OPT_WINDOWS,
    /* models */
    OPT_MODEL,
    OPT_MODEL_ONE, /* --model where a command takes one model */
    OPT_SET,
    OPT_SAVE_MODEL,
    OPT_LOAD_MODEL,
    OPT_LOAD_MODEL_ONE,
    OPT_DYNAMIC_COVARIATES,
    /* rule sets and what to print of them */
    OPT_RULES,
    OPT_EXPLAIN,
    OPT_BY,
    OPT_BY_HISTORY, /* --by where a command keeps a tier's history */
    OPT_VALUES,
    OPT_CROSSTAB,
    OPT_CALL_LIST,
    OPT_CAPACITY,
    OPT_VALUE,
    OPT_CONTACT_KIND,
    OPT_EXCLUDE,
    /* ladders, holdout groups and campaigns */
    OPT_LADDER,
    OPT_PRESET,
    OPT_LEDGER,
    OPT_SEED,
    OPT_SHARE,
    OPT_SHARES,
    OPT_COLUMN,
    OPT_TREATMENT,
    OPT_CAMPAIGN_DATE,
    OPT_WINDOW,
    OPT_CONFIDENCE,
    OPT_RECLAIM,
    OPT_LIST,
    /* snapshots and migration */
    OPT_DATES,
    OPT_ENTER_HOLD,
    OPT_LEAVE_HOLD,
    OPT_BETWEEN,
    /* simulation */
    OPT_SIM_SET,  /* --set of simulate: the model's own parameters */
    OPT_SPEND,
    OPT_CUSTOMERS,
    OPT_SIM_SEED, /* --seed of simulate */
    OPT_START,
    OPT_END,
    OPT_JOIN_END,
    OPT_SIM_TIME_UNIT, /* --time-unit of simulate */
    OPT_ID_PREFIX,
    OPT_SIM_SUMMARY,
    /* output */
    OPT_FORMAT,
    OPT_JSON,
    OPT_OUTPUT,
    OPT_EPOCH_TIMES,
    OPT_LANGUAGE,
    OPT_COLUMNS,
    OPT_TIMINGS,
    /* old spellings */
    OPT_OLD_CROSS,
    OPT_OLD_TIER_SUMMARY,
    OPT_COUNT
} cli_opt;

typedef struct cli_arg {
    cli_opt opt;          /* as stored: an old spelling gives the current */
    const char *value;    /* NULL for a flag */
    const char *spelling; /* the name matched (an old one too), for messages */
} cli_arg;

struct cli_command;

typedef struct cli_args {
    const struct cli_command *cmd;
    cli_arg *v; /* in command-line order: --set follows its --model */
    size_t n;
    const char **operands;
    size_t n_operands;
} cli_args;

typedef int (*cli_run_fn)(const cli_args *a);

typedef struct cli_command {
    const char *name;
    const char *synopsis; /* what follows the name in the usage line */
    const char *summary;  /* one line for 'segment --help' */
    const char *details;  /* the rest of 'segment NAME --help', or NULL */
    const cli_opt *options; /* what the command takes, ending in OPT_NONE */
    size_t min_operands, max_operands;
    cli_run_fn run;
} cli_command;

/* Parse argv (the words after the command name). Returns 0; EXIT_USAGE
 * with the message and the command's usage on stderr; or -1 when --help
 * printed the usage on stdout. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
void cli_args_free(cli_args *a);

/* The last value of an option (NULL if not given; "" for a given flag). */
const char *cli_get(const cli_args *a, cli_opt o);
size_t cli_count(const cli_args *a, cli_opt o);

/* How the user wrote an option, for messages: "--cross" when they did. */
const char *cli_spelling(const cli_args *a, cli_opt o);

void cli_usage(const cli_command *cmd, FILE *f);

/* "  left  help", the help wrapped to 79 columns from column indent. */
void cli_help_line(FILE *f, int indent, const char *left, const char *help);

/* "segment CMD: message" and a pointer to --help on stderr; returns
 * EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "segment: message" on stderr; returns EXIT_INPUT. */
int cli_input_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
