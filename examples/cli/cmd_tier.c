/* The commands that run models and then rule sets: score, tier, summary
 * and calls. They share one pipeline and differ in what they print. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "pipeline.h"

#define TABLE_FORMATS ((1u << SEG_FORMAT_CSV) | (1u << SEG_FORMAT_JSON))
#define EXPLAIN_FORMATS ((1u << SEG_FORMAT_TEXT) | (1u << SEG_FORMAT_JSON))

typedef enum show {
    SHOW_TABLE,
    SHOW_EXPLAIN,
    SHOW_SUMMARY,
    SHOW_CROSSTAB,
    SHOW_CALLS
} show;

typedef struct tier_job {
    cli_run run;
    show what;
    int format;
    const char *by; /* the label column of a summary or crosstab */
    const char *values, *crosstab, *explain;
    const char *default_values; /* of a summary without --values */
    seg_call_list_options calls;
    int epoch_times;
    cli_columns cols; /* of the table */
} tier_job;

static int print_table(cli_out *out, const tier_job *j)
{
    int flags = j->epoch_times ? SEG_EXPORT_EPOCH_TIMES : 0;
    if (seg_dataset_export(j->run.ds, j->format | flags, j->cols.names,
                           j->cols.n, cli_out_write, out) != SEG_OK)
        return cli_produce_error(out, seg_dataset_errmsg(j->run.ds));
    return 0;
}

static int print_explain(cli_out *out, const tier_job *j)
{
    size_t row;
    if (seg_dataset_customer_find(j->run.ds, j->explain, &row) != SEG_OK)
        return cli_input_error("%s", seg_dataset_errmsg(j->run.ds));
    for (size_t i = 0; i < j->run.n_rules; i++)
        if (seg_rules_explain(j->run.rules[i], j->run.ds, row, j->format,
                              cli_out_write, out) != SEG_OK)
            return cli_produce_error(out,
                                     seg_rules_errmsg(j->run.rules[i]));
    return 0;
}

static int print_summary(cli_out *out, const tier_job *j)
{
    size_t n = j->values ? strlen(j->values) : 0;
    char *copy = malloc(n + 1);
    const char **vals = malloc((n / 2 + 1) * sizeof *vals);
    if (!copy || !vals) {
        free(copy);
        free(vals);
        return cli_input_error("out of memory");
    }
    memcpy(copy, j->values ? j->values : "", n + 1);
    size_t nv = 0;
    for (char *t = strtok(copy, ","); t; t = strtok(NULL, ","))
        vals[nv++] = t;
    int rc = seg_dataset_summary(j->run.ds, j->by, vals, nv, j->format,
                                 cli_out_write, out);
    free(copy);
    free(vals);
    if (rc != SEG_OK)
        return cli_produce_error(out, seg_dataset_errmsg(j->run.ds));
    return 0;
}

static int produce(cli_out *out, void *ctx)
{
    const tier_job *j = ctx;
    const seg_rules *last = j->run.n_rules
                                ? j->run.rules[j->run.n_rules - 1] : NULL;
    switch (j->what) {
    case SHOW_EXPLAIN: return print_explain(out, j);
    case SHOW_SUMMARY: return print_summary(out, j);
    case SHOW_CROSSTAB:
        if (seg_dataset_crosstab(j->run.ds, j->by, j->crosstab, j->format,
                                 cli_out_write, out) != SEG_OK)
            return cli_produce_error(out, seg_dataset_errmsg(j->run.ds));
        return 0;
    case SHOW_CALLS:
        if (seg_rules_call_list(last, j->run.ds, &j->calls, cli_out_write,
                                out) != SEG_OK)
            return cli_produce_error(out, seg_rules_errmsg(last));
        return 0;
    default: return print_table(out, j);
    }
}

/* What tier and score print, from the options: one of them at most. */
static int choose_output(const cli_args *a, tier_job *j)
{
    static const cli_opt modes[] = {OPT_EXPLAIN, OPT_VALUES, OPT_CROSSTAB,
                                    OPT_CALL_LIST};
    static const show shows[] = {SHOW_EXPLAIN, SHOW_SUMMARY, SHOW_CROSSTAB,
                                 SHOW_CALLS};
    const char *first = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        if (!cli_count(a, modes[i]))
            continue;
        if (first)
            return cli_usage_error(a->cmd, "%s and %s exclude each other",
                                   first, cli_spelling(a, modes[i]));
        first = cli_spelling(a, modes[i]);
        j->what = shows[i];
    }
    /* --by alone is a summary without value columns */
    if (j->what == SHOW_TABLE && cli_count(a, OPT_BY))
        j->what = SHOW_SUMMARY;
    return 0;
}

/* Options that only one kind of output reads are refused for the others,
 * rather than taken and ignored. */
static int check_output(const cli_args *a, const tier_job *j)
{
    static const cli_opt call_opts[] = {OPT_CAPACITY, OPT_VALUE,
                                        OPT_CONTACT_KIND, OPT_EXCLUDE};
    for (size_t i = 0; i < sizeof call_opts / sizeof *call_opts; i++)
        if (j->what != SHOW_CALLS && cli_count(a, call_opts[i]))
            return cli_usage_error(a->cmd, "%s is an option of the call "
                                   "list (--call-list)",
                                   cli_spelling(a, call_opts[i]));
    if (cli_count(a, OPT_COLUMNS) && j->what != SHOW_TABLE)
        return cli_usage_error(a->cmd, "--columns is for the table, not "
                               "for --explain, --values, --crosstab or "
                               "--call-list");
    if (cli_count(a, OPT_BY) && j->what != SHOW_SUMMARY &&
        j->what != SHOW_CROSSTAB)
        return cli_usage_error(a->cmd, "--by is for --values and "
                               "--crosstab");
    if ((j->what == SHOW_EXPLAIN || j->what == SHOW_CALLS) &&
        j->run.n_rules == 0)
        return cli_usage_error(a->cmd, "%s needs a --rules FILE",
                               j->what == SHOW_CALLS ? "the call list"
                                                     : "--explain");
    if ((j->what == SHOW_SUMMARY || j->what == SHOW_CROSSTAB) && !j->by)
        return cli_usage_error(a->cmd, "no tier column: give --by COLUMN or "
                               "--rules FILE");
    return 0;
}

static int call_options(const cli_args *a, tier_job *j)
{
    seg_call_list_options_init(&j->calls);
    const char *cap = cli_get(a, OPT_CAPACITY);
    if (cap) {
        char *end;
        long n = strtol(cap, &end, 10);
        if (*end || end == cap || n < 0)
            return cli_usage_error(a->cmd, "--capacity: '%s' is not a count",
                                   cap);
        j->calls.capacity = (size_t)n;
    }
    j->calls.tier_column = cli_run_tier_column(&j->run);
    j->calls.value_column = cli_get(a, OPT_VALUE);
    if (cli_get(a, OPT_CONTACT_KIND))
        j->calls.contact_kind = cli_get(a, OPT_CONTACT_KIND);
    j->calls.exclude_column = cli_get(a, OPT_EXCLUDE);
    j->calls.as_of = j->run.in.fo.as_of;
    return 0;
}

static int run_job(const cli_args *a, tier_job *j)
{
    j->by = cli_get(a, OPT_BY) ? cli_get(a, OPT_BY)
                               : cli_run_tier_column(&j->run);
    j->values = cli_get(a, OPT_VALUES) ? cli_get(a, OPT_VALUES)
                                       : j->default_values;
    j->crosstab = cli_get(a, OPT_CROSSTAB);
    j->explain = cli_get(a, OPT_EXPLAIN);
    j->epoch_times = cli_count(a, OPT_EPOCH_TIMES) > 0;
    int rc = check_output(a, j);
    if (rc == 0)
        rc = call_options(a, j);
    if (rc == 0 && j->what == SHOW_CALLS && cli_count(a, OPT_FORMAT))
        rc = cli_usage_error(a->cmd, "the call list is CSV only: no %s",
                             cli_spelling(a, OPT_FORMAT));
    if (rc == 0 && j->what == SHOW_EXPLAIN)
        rc = cli_output_format(a, EXPLAIN_FORMATS, SEG_FORMAT_TEXT,
                               &j->format);
    else if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j->format);
    if (rc == 0 && j->what == SHOW_TABLE)
        rc = cli_run_reads(&j->run, cli_get(a, OPT_COLUMNS),
                           a->cmd == &cli_cmd_score);
    if (rc == 0) {
        cli_run_fold_records(&j->run);
        rc = cli_run_execute(&j->run, 1);
    }
    if (rc == 0 && j->what == SHOW_TABLE)
        rc = cli_run_columns(&j->run, cli_get(a, OPT_COLUMNS),
                             a->cmd == &cli_cmd_score, &j->cols);
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, j);
    cli_columns_free(&j->cols);
    return rc;
}

/* tier and score: the same job; tier needs a rule set, score anything to
 * run. */
static int run_tier_or_score(const cli_args *a, bool rules_needed)
{
    tier_job j = {0};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    if (rc == 0 && rules_needed && j.run.n_rules == 0)
        rc = cli_usage_error(a->cmd, "at least one --rules FILE is needed");
    if (rc == 0 && !rules_needed && j.run.n_models == 0 &&
        j.run.n_rules == 0)
        rc = cli_usage_error(a->cmd, "--model KIND, --load-model FILE or "
                             "--rules FILE is needed");
    if (rc == 0)
        rc = choose_output(a, &j);
    if (rc == 0)
        rc = run_job(a, &j);
    cli_run_free(&j.run);
    return rc;
}

static int run_tier(const cli_args *a) { return run_tier_or_score(a, true); }

static int run_score(const cli_args *a)
{
    return run_tier_or_score(a, false);
}

static int run_summary(const cli_args *a)
{
    tier_job j = {0};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    j.what = cli_count(a, OPT_CROSSTAB) ? SHOW_CROSSTAB : SHOW_SUMMARY;
    if (rc == 0 && j.what == SHOW_CROSSTAB && cli_count(a, OPT_VALUES))
        rc = cli_usage_error(a->cmd, "--values and %s exclude each other",
                             cli_spelling(a, OPT_CROSSTAB));
    j.default_values = "monetary_total";
    if (rc == 0)
        rc = run_job(a, &j);
    cli_run_free(&j.run);
    return rc;
}

static int run_calls(const cli_args *a)
{
    tier_job j = {.what = SHOW_CALLS};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    if (rc == 0)
        rc = run_job(a, &j);
    cli_run_free(&j.run);
    return rc;
}

#define MODEL_OPTIONS OPT_MODEL, OPT_SET, OPT_DYNAMIC_COVARIATES, \
    OPT_SAVE_MODEL, OPT_LOAD_MODEL
#define CALL_OPTIONS OPT_CAPACITY, OPT_VALUE, OPT_CONTACT_KIND, OPT_EXCLUDE

static const cli_opt score_options[] = {
    CLI_INPUT_OPTIONS, OPT_SUMMARY_INPUT, CLI_FEATURE_OPTIONS, MODEL_OPTIONS,
    OPT_RULES, OPT_EXPLAIN, OPT_VALUES, OPT_BY, OPT_CROSSTAB, OPT_OLD_CROSS,
    OPT_CALL_LIST, CALL_OPTIONS, OPT_FORMAT, OPT_JSON, OPT_OUTPUT,
    OPT_EPOCH_TIMES, OPT_COLUMNS, OPT_NONE};

static const char tier_details[] =
    "\nDATA is a CSV file of transactions (and events), or '-' for standard\n"
    "input. Prints the table of features, model columns and tiers, or one\n"
    "of --explain, --values (a summary per tier), --crosstab, --call-list.\n";

const cli_command cli_cmd_score = {
    "score", "DATA --model KIND [--rules FILE] [OPTIONS]",
    "Fit (or load) models, score them, then apply rule sets.",
    tier_details, score_options, 1, 1, run_score};

/* tier reads no summary files, so there the old --summary COLS still
 * means --values COLS */
static const cli_opt tier_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, MODEL_OPTIONS, OPT_RULES,
    OPT_EXPLAIN, OPT_VALUES, OPT_OLD_TIER_SUMMARY, OPT_BY, OPT_CROSSTAB,
    OPT_OLD_CROSS, OPT_CALL_LIST, CALL_OPTIONS, OPT_FORMAT, OPT_JSON,
    OPT_OUTPUT, OPT_EPOCH_TIMES, OPT_COLUMNS, OPT_NONE};

const cli_command cli_cmd_tier = {
    "tier", "DATA --rules FILE [OPTIONS]",
    "Run models, then tier-rule sets in order.",
    tier_details, tier_options, 1, 1, run_tier};

static const cli_opt summary_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, MODEL_OPTIONS, OPT_RULES, OPT_BY,
    OPT_VALUES, OPT_CROSSTAB, OPT_OLD_CROSS, OPT_FORMAT, OPT_JSON, OPT_OUTPUT,
    OPT_NONE};

const cli_command cli_cmd_summary = {
    "summary", "DATA (--by COLUMN | --rules FILE) [OPTIONS]",
    "Per tier: count, share, totals and means (of monetary_total unless\n"
    "--values says otherwise); or a crosstab of two label columns.",
    NULL, summary_options, 1, 1, run_summary};

static const cli_opt calls_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, MODEL_OPTIONS, OPT_RULES,
    CALL_OPTIONS, OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_calls = {
    "calls", "DATA --rules FILE [--capacity N] [OPTIONS]",
    "Today's call list of the last rule set, as CSV (--as-of is the day).",
    NULL, calls_options, 1, 1, run_calls};
