/* The commands of a CRM's operations: ladder (membership tiers by growth
 * points), control (the holdout of a campaign), campaign (treated
 * against control by tier) and reclaim (neglected leads back to the
 * pool). Each runs the common pipeline first, so tiers
 * may come from models and rule sets. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "pipeline.h"

#define TABLE_FORMATS ((1u << SEG_FORMAT_CSV) | (1u << SEG_FORMAT_JSON))

typedef struct ops_job {
    cli_run run;
    int format;
    int flags;            /* of seg_dataset_export() */
    const char *cols[8];  /* what to export, after customer_id */
    size_t n_cols;
    seg_table *table;     /* or a table to write */
} ops_job;

static int produce(cli_out *out, void *ctx)
{
    const ops_job *j = ctx;
    return cli_produce_result(out, j->table, j->run.ds, j->format, j->flags,
                              j->cols, j->n_cols);
}

/* Load and run the pipeline, then the command's own step. */
static int start(const cli_args *a, ops_job *j)
{
    int rc = cli_run_prepare(a, a->operands[0], &j->run);
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j->format);
    if (rc == 0)
        rc = cli_run_execute(&j->run, 1);
    if (cli_count(a, OPT_EPOCH_TIMES))
        j->flags = SEG_EXPORT_EPOCH_TIMES;
    return rc;
}

static int finish(const cli_args *a, ops_job *j, int rc)
{
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, j);
    seg_table_free(j->table);
    cli_run_free(&j->run);
    return rc;
}

int cli_date_option(const cli_args *a, const seg_dataset *ds, cli_opt o,
                    int64_t *out)
{
    const char *v = cli_get(a, o);
    *out = SEG_TIME_NONE;
    if (v && seg_dataset_parse_time(ds, out, v, strlen(v),
                                    SEG_TIME_AUTO | SEG_TIME_END_OF_DAY))
        return cli_usage_error(a->cmd, "%s: '%s' is not a date or a time",
                               cli_spelling(a, o), v);
    return 0;
}

int cli_number_option(const cli_args *a, cli_opt o, double *out)
{
    const char *v = cli_get(a, o);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (*end || end == v || errno || !isfinite(d))
        return cli_usage_error(a->cmd, "%s: '%s' is not a number",
                               cli_spelling(a, o), v);
    *out = d;
    return 0;
}

/* The tier column: --by, else the last rule set's, else none. */
static const char *tier_column(const cli_args *a, const ops_job *j)
{
    return cli_get(a, OPT_BY) ? cli_get(a, OPT_BY)
                              : cli_run_tier_column(&j->run);
}

/* A definition from FILE (the option named) or --preset NAME, exactly
 * one of them: the file's text in *text (to free()), or the preset's name
 * in *preset. 0 or an exit code. */
static int definition(const cli_args *a, cli_opt file_opt, const char *name,
                      const char **preset, char **text, size_t *len)
{
    const char *file = cli_get(a, file_opt);
    *preset = cli_get(a, OPT_PRESET);
    *text = NULL;
    if (!file == !*preset)
        return cli_usage_error(a->cmd, "give %s FILE or --preset NAME",
                               name);
    if (*preset)
        return 0;
    if (!(*text = cli_read_all(file, len)))
        return cli_input_error("%s: %s", file, strerror(errno));
    return 0;
}

/* ---- ladder ---- */

int cli_read_ladder(const cli_args *a, seg_ladder **l)
{
    const char *preset;
    char *text;
    size_t len;
    int rc = definition(a, OPT_LADDER, "--ladder", &preset, &text, &len);
    if (rc)
        return rc;
    if (preset)
        return seg_ladder_preset(l, preset) == SEG_OK
                   ? 0
                   : cli_usage_error(a->cmd, "%s", seg_errmsg());
    rc = seg_ladder_parse(l, text, len, cli_get(a, OPT_LADDER));
    free(text);
    return rc == SEG_OK ? 0 : cli_input_error("%s", seg_errmsg());
}

static int run_ladder(const cli_args *a)
{
    ops_job j = {0};
    seg_ladder *l = NULL;
    int rc = cli_read_ladder(a, &l);
    if (rc == 0)
        rc = start(a, &j);
    int64_t as_of = SEG_TIME_NONE;
    if (rc == 0)
        rc = cli_date_option(a, j.run.ds, OPT_AS_OF, &as_of);
    const char *who = cli_get(a, OPT_LEDGER);
    if (rc == 0 && who) {
        if (seg_ladder_ledger_table(&j.table, l, j.run.ds, as_of,
                                    strcmp(who, "*") ? who : NULL))
            rc = cli_input_error("%s", seg_ladder_errmsg(l));
    } else if (rc == 0 && seg_ladder_apply(l, j.run.ds, as_of) != SEG_OK) {
        rc = cli_input_error("%s", seg_ladder_errmsg(l));
    }
    static const char *const what[] = {"tier", "tier_start", "tier_end",
                                       "points", "period_points", "to_next",
                                       "to_keep"};
    static char names[7][256];
    for (size_t i = 0; rc == 0 && !who && i < 7; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", seg_ladder_prefix(l),
                 what[i]);
        j.cols[j.n_cols++] = names[i];
    }
    seg_ladder_free(l);
    return finish(a, &j, rc);
}

/* ---- control ---- */

static int run_control(const cli_args *a)
{
    ops_job j = {0};
    seg_holdout_options o;
    seg_holdout_options_init(&o);
    int rc = cli_number_option(a, OPT_SHARE, &o.share);
    const char *seed = cli_get(a, OPT_SEED);
    if (rc == 0 && seed) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(seed, &end, 10);
        if (*end || end == seed || errno || *seed == '-')
            rc = cli_usage_error(a->cmd, "--seed: '%s' is not a number from "
                                 "0 to 2^64-1", seed);
        o.seed = (uint64_t)s;
    }
    if (rc == 0)
        rc = start(a, &j);
    if (rc == 0) {
        o.tier_column = tier_column(a, &j);
        o.shares = cli_get(a, OPT_SHARES);
        if (cli_get(a, OPT_COLUMN))
            o.column = cli_get(a, OPT_COLUMN);
        if (seg_dataset_assign_holdout(j.run.ds, &o) != SEG_OK)
            rc = cli_input_error("%s", seg_dataset_errmsg(j.run.ds));
    }
    if (rc == 0 && o.tier_column)
        j.cols[j.n_cols++] = o.tier_column;
    j.cols[j.n_cols++] = o.column;
    return finish(a, &j, rc);
}

/* ---- campaign ---- */

static int run_campaign(const cli_args *a)
{
    ops_job j = {0};
    seg_campaign_options o;
    seg_campaign_options_init(&o);
    if (!cli_get(a, OPT_CAMPAIGN_DATE))
        return cli_usage_error(a->cmd, "--campaign-date DATE is needed");
    int rc = cli_number_option(a, OPT_WINDOW, &o.window_days);
    if (rc == 0)
        rc = cli_number_option(a, OPT_CONFIDENCE, &o.confidence);
    if (rc == 0)
        rc = start(a, &j);
    if (rc == 0)
        rc = cli_date_option(a, j.run.ds, OPT_CAMPAIGN_DATE,
                             &o.campaign_date);
    if (rc == 0) {
        o.tier_column = tier_column(a, &j);
        if (cli_get(a, OPT_TREATMENT))
            o.treatment_column = cli_get(a, OPT_TREATMENT);
        if (seg_campaign_table(&j.table, j.run.ds, &o) != SEG_OK)
            rc = cli_input_error("%s", seg_dataset_errmsg(j.run.ds));
    }
    return finish(a, &j, rc);
}

/* ---- reclaim ---- */

int cli_read_reclaim(const cli_args *a, seg_reclaim **r)
{
    const char *preset;
    char *text;
    size_t len;
    int rc = definition(a, OPT_RECLAIM, "--reclaim", &preset, &text, &len);
    if (rc)
        return rc;
    if (preset)
        return seg_reclaim_preset(r, preset) == SEG_OK
                   ? 0
                   : cli_usage_error(a->cmd, "%s", seg_errmsg());
    rc = seg_reclaim_parse(r, text, len, cli_get(a, OPT_RECLAIM));
    free(text);
    return rc == SEG_OK ? 0 : cli_input_error("%s", seg_errmsg());
}

static int run_reclaim(const cli_args *a)
{
    ops_job j = {0};
    seg_reclaim *r = NULL;
    const char *list = cli_get(a, OPT_LIST);
    if (list && strcmp(list, "reclaimed") && strcmp(list, "reminders"))
        return cli_usage_error(a->cmd, "--list: 'reclaimed' or 'reminders', "
                               "not '%s'", list);
    int rc = cli_read_reclaim(a, &r);
    if (rc == 0)
        rc = start(a, &j);
    int64_t as_of = SEG_TIME_NONE;
    if (rc == 0)
        rc = cli_date_option(a, j.run.ds, OPT_AS_OF, &as_of);
    int lrc = SEG_OK;
    if (rc == 0 && list)
        lrc = strcmp(list, "reminders")
                  ? seg_reclaim_list_table(&j.table, r, j.run.ds, as_of)
                  : seg_reclaim_reminder_table(&j.table, r, j.run.ds, as_of);
    else if (rc == 0)
        lrc = seg_reclaim_apply(r, j.run.ds, as_of);
    if (lrc != SEG_OK)
        rc = cli_input_error("%s", seg_reclaim_errmsg(r));
    static const char *const what[] = {"status", "rule",
                                       "days_since_followup", "fires",
                                       "days_left", "locked_owner",
                                       "locked_until"};
    static char names[7][256];
    for (size_t i = 0; rc == 0 && !list && i < 7; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", seg_reclaim_prefix(r),
                 what[i]);
        j.cols[j.n_cols++] = names[i];
    }
    seg_reclaim_free(r);
    return finish(a, &j, rc);
}

#define MODEL_OPTIONS OPT_MODEL, OPT_SET, OPT_LOAD_MODEL

static const cli_opt ladder_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, OPT_LADDER, OPT_PRESET,
    OPT_LEDGER, OPT_FORMAT, OPT_JSON, OPT_OUTPUT, OPT_EPOCH_TIMES, OPT_NONE};

const cli_command cli_cmd_ladder = {
    "ladder", "DATA (--ladder FILE | --preset NAME) [--ledger ID] [OPTIONS]",
    "Membership tiers by growth points, replayed up to --as-of.",
    "\nPrints per customer the tier, its start and end, the points, the\n"
    "period's points, the points to the next tier and to keep this one;\n"
    "or, with --ledger, every earning and change of tier.\n",
    ladder_options, 1, 1, run_ladder};

static const cli_opt control_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, MODEL_OPTIONS, OPT_RULES,
    OPT_BY, OPT_SEED, OPT_SHARE, OPT_SHARES, OPT_COLUMN, OPT_FORMAT,
    OPT_JSON, OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_control = {
    "control", "DATA [--seed N] [--share S] [--rules FILE | --by COLUMN] "
    "[OPTIONS]",
    "The control group of a campaign, from the seed and each id alone.",
    "\nPrints customer_id, the tier (with --rules or --by) and the column\n"
    "(1 in the campaign, 0 held out). docs/operations.md gives the hash, so\n"
    "that any system can draw the same groups.\n",
    control_options, 1, 1, run_control};

static const cli_opt campaign_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, MODEL_OPTIONS, OPT_RULES,
    OPT_BY, OPT_TREATMENT, OPT_CAMPAIGN_DATE, OPT_WINDOW, OPT_CONFIDENCE,
    OPT_FORMAT, OPT_JSON, OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_campaign = {
    "campaign", "DATA --campaign-date DATE [--treatment COLUMN] [--rules "
    "FILE | --by COLUMN] [OPTIONS]",
    "Treated against control by tier: conversion, revenue, tests, verdict.",
    "\nPer tier and for everyone: the conversion rate and the revenue per\n"
    "customer of each arm in the window after the campaign day, the\n"
    "uplift with its interval and p-value (two-proportion z-test, Welch's\n"
    "t-test) and a verdict.\n",
    campaign_options, 1, 1, run_campaign};

static const cli_opt reclaim_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, OPT_RECLAIM, OPT_PRESET,
    OPT_LIST, OPT_FORMAT, OPT_JSON, OPT_OUTPUT, OPT_EPOCH_TIMES, OPT_NONE};

const cli_command cli_cmd_reclaim = {
    "reclaim", "DATA (--reclaim FILE | --preset NAME) [--list WHICH] "
    "[OPTIONS]",
    "Neglected leads back to the pool (公海): reclaims and reminders.",
    "\nPrints per lead the status (kept, reminder, reclaimed, or pool\n"
    "without an owner), the rule, the days since the last follow-up, when\n"
    "the rule fires, the days left, and the owner locked out and until\n"
    "when; or, with --list, the reclaim list or the reminder list. The\n"
    "owners usually come from --attributes.\n",
    reclaim_options, 1, 1, run_reclaim};
