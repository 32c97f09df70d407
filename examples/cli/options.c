/* One parser for every command: the table below says what each option is
 * called, whether it takes a value and may be repeated, and its help. */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "progress.h"

typedef struct option_def {
    const char *name;
    const char *short_name;
    const char *metavar; /* NULL: a flag */
    int repeatable;
    cli_opt stores;      /* OPT_NONE: itself */
    const char *fixed;   /* a flag that stands for "stores VALUE" */
    const char *help;    /* NULL: an old spelling, left out of the help */
} option_def;

static const option_def defs[OPT_COUNT] = {
    [OPT_MAP] = {"--map", NULL, "ROLE=COLUMN", 1, OPT_NONE, NULL,
                 "column of a role of DATA: id, time, amount, kind, value, "
                 "attr or category; COLUMN is a header name or a 1-based "
                 "number; the roles not named are found by their header "
                 "(category only when named)"},
    [OPT_NO_HEADER] = {"--no-header", NULL, NULL, 0, OPT_NONE, NULL,
                       "the first line of DATA is data"},
    [OPT_DELIMITER] = {"--delimiter", NULL, "C", 0, OPT_NONE, NULL,
                       "',', ';', 'tab' or 'space' (runs of whitespace); "
                       "default: detected from the first line"},
    [OPT_TIME_FORMAT] = {"--time-format", NULL, "F", 0, OPT_NONE, NULL,
                         "auto, iso, yyyymmdd or epoch (default auto)"},
    [OPT_SUMMARY_INPUT] = {"--summary", NULL, NULL, 0, OPT_NONE, NULL,
                           "DATA is a summary, one row per customer or group "
                           "(x, t_x, T, weights ...): every column is "
                           "loaded, no features are computed"},
    [OPT_THREADS] = {"--threads", NULL, "N", 0, OPT_NONE, NULL,
                     "threads for loading, features and writing tables: 1 "
                     "for one, 0 (default) for every processor"},
    [OPT_TIMEZONE] = {"--timezone", NULL, "ZONE", 0, OPT_NONE, NULL,
                      "business time zone: an IANA name (Asia/Shanghai) or "
                      "an offset (+08:00); it decides calendar days, what "
                      "a date and a time without an offset mean, and how "
                      "timestamps are written (default UTC)"},
    [OPT_NO_RETURNS] = {"--no-returns", NULL, NULL, 0, OPT_NONE, NULL,
                        "a negative amount in DATA is an error, not a "
                        "return"},
    [OPT_PROGRESS] = {"--progress", NULL, NULL, 0, OPT_NONE, NULL,
                      "show progress on standard error even when it is not "
                      "a terminal (by default, only on a terminal, for work "
                      "of more than about a second)"},
    [OPT_QUIET] = {"--quiet", "-q", NULL, 0, OPT_NONE, NULL,
                   "never show progress"},
    [OPT_EVENTS] = {"--events", NULL, "FILE", 0, OPT_NONE, NULL,
                    "a CSV file of events (id, time, kind, value) to add"},
    [OPT_EVENTS_MAP] = {"--events-map", NULL, "ROLE=COLUMN", 1, OPT_NONE,
                        NULL, "as --map, for the --events file"},
    [OPT_ATTRIBUTES] = {"--attributes", NULL, "FILE", 0, OPT_NONE, NULL,
                        "a CSV file of customer attributes, one row per "
                        "customer: every column but the id is loaded"},
    [OPT_ATTRIBUTES_MAP] = {"--attributes-map", NULL, "ROLE=COLUMN", 1,
                            OPT_NONE, NULL,
                            "as --map, for the --attributes file; attr=COL "
                            "loads only the columns named"},
    [OPT_AS_OF] = {"--as-of", NULL, "DATE", 0, OPT_NONE, NULL,
                   "end of the observation period (a date means the end of "
                   "that day); default: the latest record"},
    [OPT_TIME_UNIT] = {"--time-unit", NULL, "UNIT", 0, OPT_NONE, NULL,
                       "day or week: the unit of t_x, T and recency (default "
                       "day)"},
    [OPT_HOLDOUT_FROM] = {"--holdout-from", NULL, "DATE", 0, OPT_NONE, NULL,
                          "start of a holdout period: features before it, "
                          "holdout_* columns from it to --as-of"},
    [OPT_WINDOWS] = {"--windows", NULL, "DAYS[,DAYS]", 0, OPT_NONE, NULL,
                     "up to 8 windows that end at --as-of: orders_Nd, "
                     "monetary_Nd and events.K.count_Nd over the last N "
                     "days of each"},
    [OPT_MODEL] = {"--model", NULL, "KIND", 1, OPT_NONE, NULL,
                   "fit and score a model (see 'segment models'); "
                   "repeatable, in order"},
    [OPT_MODEL_ONE] = {"--model", NULL, "KIND", 0, OPT_MODEL, NULL,
                       "the model to fit (see 'segment models')"},
    [OPT_SET] = {"--set", NULL, "KEY=VALUE", 1, OPT_NONE, NULL,
                 "set a parameter of the --model before it (repeatable)"},
    [OPT_SAVE_MODEL] = {"--save-model", NULL, "FILE", 1, OPT_NONE, NULL,
                        "save the --model before it once fitted (not over "
                        "a file the command reads)"},
    [OPT_LOAD_MODEL] = {"--load-model", NULL, "FILE", 1, OPT_NONE, NULL,
                        "a saved model, scored without fitting; in place of "
                        "a --model (repeatable)"},
    [OPT_LOAD_MODEL_ONE] = {"--load-model", NULL, "FILE", 0, OPT_LOAD_MODEL,
                            NULL, "a saved model, in place of --model"},
    [OPT_DYNAMIC_COVARIATES] = {"--dynamic-covariates", NULL, "FILE", 1,
                                OPT_NONE, NULL,
                                "time-varying covariates of the --model or "
                                "--load-model before it: Id,Cov.Date,COV,... "
                                "(pareto_nbd, dynamic_covariates=on)"},
    [OPT_RULES] = {"--rules", NULL, "FILE", 1, OPT_NONE, NULL,
                   "a tier-rule set, applied after the models; repeatable, "
                   "in order (a later set may read an earlier one's column)"},
    [OPT_EXPLAIN] = {"--explain", NULL, "ID", 0, OPT_NONE, NULL,
                     "print why customer ID got its tiers"},
    [OPT_BY] = {"--by", NULL, "COLUMN", 0, OPT_NONE, NULL,
                "the label column to summarise (default: the last rule "
                "set's)"},
    [OPT_BY_HISTORY] = {"--by", NULL, "COLUMN", 0, OPT_BY, NULL,
                        "the tier column whose history is kept (default: "
                        "the first rule set's)"},
    [OPT_VALUES] = {"--values", NULL, "COL[,COL]", 0, OPT_NONE, NULL,
                    "print a summary per tier: count, share, and the totals "
                    "and means of these columns"},
    [OPT_CROSSTAB] = {"--crosstab", NULL, "COLUMN", 0, OPT_NONE, NULL,
                      "print the tiers crossed with another label column"},
    [OPT_CALL_LIST] = {"--call-list", NULL, NULL, 0, OPT_NONE, NULL,
                       "print today's call list of the last rule set"},
    [OPT_CAPACITY] = {"--capacity", NULL, "N", 0, OPT_NONE, NULL,
                      "calls a day (default 0: no limit)"},
    [OPT_VALUE] = {"--value", NULL, "COLUMN", 0, OPT_NONE, NULL,
                   "ranks the calls within a priority, highest first"},
    [OPT_CONTACT_KIND] = {"--contact-kind", NULL, "KIND", 0, OPT_NONE, NULL,
                          "event kind of a contact (default call)"},
    [OPT_EXCLUDE] = {"--exclude", NULL, "COLUMN", 0, OPT_NONE, NULL,
                     "leave out customers for whom COLUMN is set "
                     "(do-not-call)"},
    [OPT_LADDER] = {"--ladder", NULL, "FILE", 0, OPT_NONE, NULL,
                     "a ladder definition (docs/operations.md)"},
    [OPT_PRESET] = {"--preset", NULL, "NAME", 0, OPT_NONE, NULL,
                     "a shipped definition in place of --ladder (fitness) "
                     "or --reclaim (standard)"},
    [OPT_LEDGER] = {"--ledger", NULL, "ID", 0, OPT_NONE, NULL,
                    "print the points ledger of customer ID ('*' for "
                    "every customer) instead of the tiers"},
    [OPT_SEED] = {"--seed", NULL, "N", 0, OPT_NONE, NULL,
                  "the campaign's seed, 0 to 2^64-1 (default 0)"},
    [OPT_SHARE] = {"--share", NULL, "S", 0, OPT_NONE, NULL,
                   "share held out, 0 to 1 (default 0.1)"},
    [OPT_SHARES] = {"--shares", NULL, "TIER=S[,TIER=S]", 0, OPT_NONE, NULL,
                    "shares held out by tier; the others get --share"},
    [OPT_COLUMN] = {"--column", NULL, "NAME", 0, OPT_NONE, NULL,
                    "the column written: 1 treated, 0 held out (default "
                    "treatment)"},
    [OPT_TREATMENT] = {"--treatment", NULL, "COLUMN", 0, OPT_NONE, NULL,
                       "1 treated, 0 control, empty for neither (default "
                       "treatment), usually from --attributes"},
    [OPT_CAMPAIGN_DATE] = {"--campaign-date", NULL, "DATE", 0, OPT_NONE,
                           NULL, "the campaign's day: the outcome window "
                           "begins at its end"},
    [OPT_WINDOW] = {"--window", NULL, "DAYS", 0, OPT_NONE, NULL,
                    "days of the outcome window (default 30)"},
    [OPT_CONFIDENCE] = {"--confidence", NULL, "C", 0, OPT_NONE, NULL,
                        "level of the intervals (default 0.95); 1 - C is "
                        "the level of the tests"},
    [OPT_RECLAIM] = {"--reclaim", NULL, "FILE", 0, OPT_NONE, NULL,
                     "a lead-pool reclaim definition (docs/operations.md)"},
    [OPT_LIST] = {"--list", NULL, "WHICH", 0, OPT_NONE, NULL,
                  "print the reclaim list (reclaimed) or the reminder list "
                  "(reminders) instead of the columns"},
    [OPT_DATES] = {"--dates", NULL, "DATE,DATE[,...]", 0, OPT_NONE, NULL,
                   "the analysis dates, increasing (a date means the end "
                   "of that day): features, models and rule sets at each"},
    [OPT_ENTER_HOLD] = {"--enter-hold", NULL, "TIER=N[d][,...]", 0,
                        OPT_NONE, NULL,
                        "a customer enters TIER only when its condition "
                        "held at N consecutive snapshots (N days with d); "
                        "'*' for every tier"},
    [OPT_LEAVE_HOLD] = {"--leave-hold", NULL, "TIER=N[d][,...]", 0,
                        OPT_NONE, NULL,
                        "a customer leaves TIER only when its condition "
                        "failed at N consecutive snapshots (N days with d)"},
    [OPT_BETWEEN] = {"--between", NULL, "DATE,DATE", 0, OPT_NONE, NULL,
                     "the two --dates to compare (default the last two)"},
    [OPT_SIM_SET] = {"--set", NULL, "NAME=VALUE", 1, OPT_SET, NULL,
                     "a parameter of the --model (r=0.24); every one of "
                     "the kind is needed"},
    [OPT_SPEND] = {"--spend", NULL, "p=P,q=Q,gamma=G", 0, OPT_NONE, NULL,
                   "Gamma-Gamma parameters of the amounts (q > 1); "
                   "default: every amount is 1, or a clv model's own"},
    [OPT_CUSTOMERS] = {"--customers", NULL, "N", 0, OPT_NONE, NULL,
                       "customers to draw, 1 to 100,000,000 (default "
                       "1000)"},
    [OPT_SIM_SEED] = {"--seed", NULL, "N", 0, OPT_SEED, NULL,
                      "the seed, 0 to 2^64-1 (default 0)"},
    [OPT_START] = {"--start", NULL, "DATE", 0, OPT_NONE, NULL,
                   "the first customers' first purchase"},
    [OPT_END] = {"--end", NULL, "DATE", 0, OPT_NONE, NULL,
                 "the end of the history (a date means the end of that "
                 "day)"},
    [OPT_JOIN_END] = {"--join-end", NULL, "DATE", 0, OPT_NONE, NULL,
                      "first purchases are uniform from --start to the end "
                      "of this day (default: all at --start, one cohort)"},
    [OPT_SIM_TIME_UNIT] = {"--time-unit", NULL, "UNIT", 0, OPT_TIME_UNIT,
                           NULL, "day or week: the unit of the model's "
                           "rates and scales (default week)"},
    [OPT_ID_PREFIX] = {"--id-prefix", NULL, "TEXT", 0, OPT_NONE, NULL,
                       "customer ids are TEXT and a number (default c)"},
    [OPT_SIM_SUMMARY] = {"--summary", NULL, NULL, 0, OPT_NONE, NULL,
                         "one row per customer (frequency, t_x and T to the "
                         "second, monetary_repeat_mean), for fit --summary"},
    [OPT_FORMAT] = {"--format", NULL, "FMT", 0, OPT_NONE, NULL,
                    "csv or json for tables (default csv); text or json for "
                    "fit and --explain (default text)"},
    [OPT_JSON] = {"--json", NULL, NULL, 0, OPT_FORMAT, "json",
                  "the same as --format json"},
    [OPT_OUTPUT] = {"--output", "-o", "FILE", 0, OPT_NONE, NULL,
                    "write to FILE instead of standard output ('-'); the "
                    "file is replaced whole or not at all, and may not be "
                    "one the command reads"},
    [OPT_EPOCH_TIMES] = {"--epoch-times", NULL, NULL, 0, OPT_NONE, NULL,
                         "write timestamps (first_purchase, last_purchase, "
                         "events.K.last) as epoch seconds, not ISO 8601"},
    [OPT_LANGUAGE] = {"--language", NULL, "LANG", 0, OPT_NONE, NULL,
                      "en or zh: the report's headings, labels and notes "
                      "(default: zh when a model writes Chinese labels, "
                      "else en)"},
    [OPT_COLUMNS] = {"--columns", NULL, "COL[,COL]", 0, OPT_NONE, NULL,
                     "the columns of the table, after customer_id, in this "
                     "order; 'all' for every column (the default, but for "
                     "score of transactions with only RFM models: their "
                     "R, F and M columns and their own)"},
    [OPT_TIMINGS] = {"--timings", NULL, NULL, 0, OPT_NONE, NULL,
                     "print the wall and processor time of each phase "
                     "(load, features, models, rules, write) and the peak "
                     "memory so far on standard error"},
    [OPT_OLD_CROSS] = {"--cross", NULL, "COLUMN", 0, OPT_CROSSTAB, NULL,
                       NULL},
    [OPT_OLD_TIER_SUMMARY] = {"--summary", NULL, "COL[,COL]", 0, OPT_VALUES,
                              NULL, NULL},
};

enum { OPTION_INDENT = 28 };

static cli_opt stored(cli_opt o)
{
    return defs[o].stores != OPT_NONE ? defs[o].stores : o;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    cli_progress_clear();
    va_list ap;
    fputs("segment: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'segment %s%s--help'.\n", cmd ? cmd->name : "",
            cmd ? " " : "");
    return EXIT_USAGE;
}

int cli_input_error(const char *fmt, ...)
{
    cli_progress_clear();
    /* after Ctrl-C the one message is main's */
    if (cli_interrupted())
        return EXIT_INPUT;
    va_list ap;
    fputs("segment: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_INPUT;
}

/* The message, then the whole usage: for the errors where the user needs
 * the list of options. */
static int usage_error_with_usage(const cli_command *cmd, const char *fmt,
                                  const char *arg)
{
    fputs("segment: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    cli_usage(cmd, stderr);
    return EXIT_USAGE;
}

static int matches(const option_def *d, const char *word, size_t len)
{
    return (strlen(d->name) == len && strncmp(d->name, word, len) == 0) ||
           (d->short_name && strlen(d->short_name) == len &&
            strncmp(d->short_name, word, len) == 0);
}

static const option_def *find(const cli_command *cmd, const char *word,
                              size_t len, cli_opt *which)
{
    const option_def *found = NULL;
    for (const cli_opt *o = cmd->options; *o != OPT_NONE; o++) {
        if (!matches(&defs[*o], word, len))
            continue;
        /* a command listing two options of one name is a bug of its table */
        assert(!found);
        found = &defs[*o];
        *which = *o;
    }
    return found;
}

static int is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* One word (and its value): 0, or EXIT_USAGE. *i moves past the value. */
static int parse_option(const cli_command *cmd, int argc, char **argv,
                        int *i, cli_args *out)
{
    const char *a = argv[*i];
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    cli_opt which;
    const option_def *d = find(cmd, a, len, &which);
    if (!d)
        return usage_error_with_usage(cmd, "unknown option '%s'", a);
    const char *value = d->fixed;
    if (d->metavar && eq) {
        value = eq + 1;
    } else if (d->metavar) {
        if (*i + 1 >= argc)
            return usage_error_with_usage(cmd, "option %s needs a value", a);
        value = argv[++*i];
    } else if (eq) {
        return cli_usage_error(cmd, "option %.*s takes no value", (int)len,
                               a);
    }
    cli_opt s = stored(which);
    if (!d->repeatable && cli_count(out, s) > 0) {
        const char *before = cli_spelling(out, s);
        if (strcmp(before, d->name) == 0)
            return cli_usage_error(cmd, "%s is given twice", d->name);
        return cli_usage_error(cmd, "%s and %s say the same: give one",
                               before, d->name);
    }
    out->v[out->n++] = (cli_arg){s, value ? value : "", d->name};
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    out->v = calloc((size_t)argc + 1, sizeof *out->v);
    out->operands = calloc((size_t)argc + 1, sizeof *out->operands);
    if (!out->v || !out->operands) {
        cli_args_free(out);
        return cli_input_error("out of memory");
    }
    int options_end = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_end && is_help(a)) {
            cli_usage(cmd, stdout);
            cli_args_free(out);
            return fflush(stdout) == 0 ? -1 : EXIT_INPUT;
        }
        if (!options_end && strcmp(a, "--") == 0) {
            options_end = 1;
            continue;
        }
        /* "-" alone is standard input, an operand */
        if (options_end || a[0] != '-' || a[1] == '\0') {
            out->operands[out->n_operands++] = a;
            continue;
        }
        int rc = parse_option(cmd, argc, argv, &i, out);
        if (rc) {
            cli_args_free(out);
            return rc;
        }
    }
    if (out->n_operands < cmd->min_operands) {
        /* the synopsis starts with the operands: name the one missing */
        const char *w = cmd->synopsis;
        for (size_t k = 0; k < out->n_operands; k++)
            w += strcspn(w, " ") + strspn(w + strcspn(w, " "), " ");
        fprintf(stderr, "segment: no %.*s given\nusage: segment %s %s\n"
                "Try 'segment %s --help'.\n", (int)strcspn(w, " "), w,
                cmd->name, cmd->synopsis, cmd->name);
        cli_args_free(out);
        return EXIT_USAGE;
    }
    if (out->n_operands > cmd->max_operands) {
        cli_usage_error(cmd, "unexpected argument '%s'",
                        out->operands[cmd->max_operands]);
        cli_args_free(out);
        return EXIT_USAGE;
    }
    return 0;
}

void cli_args_free(cli_args *a)
{
    free(a->v);
    free(a->operands);
    a->v = NULL;
    a->operands = NULL;
    a->n = a->n_operands = 0;
}

const char *cli_get(const cli_args *a, cli_opt o)
{
    for (size_t i = a->n; i-- > 0;)
        if (a->v[i].opt == o)
            return a->v[i].value;
    return NULL;
}

size_t cli_count(const cli_args *a, cli_opt o)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->v[i].opt == o;
    return n;
}

const char *cli_spelling(const cli_args *a, cli_opt o)
{
    for (size_t i = a->n; i-- > 0;)
        if (a->v[i].opt == o)
            return a->v[i].spelling;
    return defs[o].name;
}

void cli_help_line(FILE *f, int indent, const char *left, const char *help)
{
    enum { WIDTH = 79 };
    int col = fprintf(f, "  %s", left);
    if (col >= indent - 1) {
        fputc('\n', f);
        col = 0;
    }
    col += fprintf(f, "%*s", indent - col, "");
    int line_start = 1;
    for (const char *p = help; *p;) {
        int n = (int)strcspn(p, " \n");
        if (!line_start && col + 1 + n > WIDTH) {
            col = fprintf(f, "\n%*s", indent, "") - 1;
            line_start = 1;
        }
        col += fprintf(f, "%s%.*s", line_start ? "" : " ", n, p);
        line_start = 0;
        p += n;
        p += strspn(p, " \n");
    }
    fputc('\n', f);
}

void cli_usage(const cli_command *cmd, FILE *f)
{
    fprintf(f, "usage: segment %s%s%s\n\n%s\n", cmd->name,
            cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->summary);
    if (cmd->details)
        fprintf(f, "%s", cmd->details);
    fputs("\noptions:\n", f);
    for (const cli_opt *o = cmd->options; *o != OPT_NONE; o++) {
        const option_def *d = &defs[*o];
        if (!d->help)
            continue;
        char left[64];
        snprintf(left, sizeof left, "%s%s%s%s%s",
                 d->short_name ? d->short_name : "",
                 d->short_name ? ", " : "", d->name,
                 d->metavar ? " " : "", d->metavar ? d->metavar : "");
        cli_help_line(f, OPTION_INDENT, left, d->help);
    }
    cli_help_line(f, OPTION_INDENT, "-h, --help", "show this help");
}
