/* The commands of tiers over time: snapshots (each customer's tier at
 * each of --dates, the previous tier and the date of the last change)
 * and migrate (the transition table between two of the dates). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "snap.h"

/* The dates of a comma-separated list, read in the dataset's zone. */
static int read_dates(const cli_args *a, const seg_dataset *ds,
                      const char *list, int64_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    int64_t *d = malloc(cap * sizeof *d);
    if (!d)
        return cli_input_error("out of memory");
    *n = 0;
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 ||
            seg_dataset_parse_time(ds, &d[*n], p, len,
                                   SEG_TIME_AUTO | SEG_TIME_END_OF_DAY)) {
            free(d);
            return cli_usage_error(a->cmd, "%s: '%.*s' is not a date or a "
                                   "time", cli_spelling(a, OPT_DATES),
                                   (int)len, p);
        }
        (*n)++;
        if (!end)
            break;
        p = end + 1;
    }
    *out = d;
    return 0;
}

int cli_snap_execute(const cli_args *a, cli_run *r, seg_snapshots **out)
{
    const char *list = cli_get(a, OPT_DATES);
    if (!list)
        return cli_usage_error(a->cmd, "--dates DATE,DATE is needed");
    if (!r->n_rules)
        return cli_usage_error(a->cmd, "give the tiers' --rules");
    r->in.no_features = 1;
    int rc = cli_input_load(&r->in, &r->ds);
    int64_t *dates = NULL;
    size_t nd = 0;
    if (rc == 0)
        rc = read_dates(a, r->ds, list, &dates, &nd);
    seg_model **models = calloc(r->n_models + 1, sizeof *models);
    if (rc == 0 && !models)
        rc = cli_input_error("out of memory");
    for (size_t i = 0; rc == 0 && i < r->n_models; i++)
        models[i] = r->models[i].model;
    seg_snapshot_options o;
    seg_snapshot_options_init(&o);
    seg_features_options fo = r->in.fo;
    o.features = &fo;
    o.tier_column = cli_get(a, OPT_BY);
    o.enter_hold = cli_get(a, OPT_ENTER_HOLD);
    o.leave_hold = cli_get(a, OPT_LEAVE_HOLD);
    if (rc == 0 &&
        seg_snapshots_run(out, r->ds, dates, nd, models, r->n_models,
                          (const seg_rules *const *)r->rules, r->n_rules,
                          &o) != SEG_OK)
        rc = cli_input_error("%s", seg_dataset_errmsg(r->ds));
    if (rc == 0)
        cli_phase("snapshots");
    /* legal but surely not meant, at the last date: said, as tier does */
    for (size_t i = 0; rc == 0 && i < r->n_rules; i++)
        for (size_t k = 0; k < seg_rules_warning_count(r->rules[i]); k++)
            fprintf(stderr, "segment: warning: %s\n",
                    seg_rules_warning(r->rules[i], k));
    for (size_t i = 0; rc == 0 && i < r->n_models; i++)
        if (r->models[i].save &&
            seg_model_save(r->models[i].model, r->models[i].save) != SEG_OK)
            rc = cli_input_error("%s", seg_model_errmsg(r->models[i].model));
    free(models);
    free(dates);
    return rc;
}

int cli_snap_between(const cli_args *a, const cli_run *r,
                     const seg_snapshots *s, size_t *from, size_t *to)
{
    size_t n = seg_snapshots_count(s);
    const char *v = cli_get(a, OPT_BETWEEN);
    if (!v) {
        if (n < 2)
            return cli_usage_error(a->cmd, "a migration needs two --dates "
                                   "at least");
        *from = n - 2;
        *to = n - 1;
        return 0;
    }
    int64_t *d = NULL;
    size_t nd = 0;
    int rc = read_dates(a, r->ds, v, &d, &nd);
    if (rc)
        return rc;
    size_t idx[2] = {n, n};
    for (size_t k = 0; k < nd && k < 2; k++)
        for (size_t i = 0; i < n; i++)
            if (seg_snapshots_date(s, i) == d[k])
                idx[k] = i;
    free(d);
    if (nd != 2 || idx[0] == n || idx[1] == n || idx[0] >= idx[1])
        return cli_usage_error(a->cmd, "--between: give two of the --dates, "
                               "the earlier first");
    *from = idx[0];
    *to = idx[1];
    return 0;
}

/* The tier column: --by, else the first rule set's. */
static const char *o_tier(const cli_run *r, const cli_args *a)
{
    return cli_get(a, OPT_BY) ? cli_get(a, OPT_BY)
                              : seg_rules_output(r->rules[0]);
}

typedef struct snap_job {
    cli_run run;
    seg_snapshots *s;
    int format, flags;
    const char **cols;
    size_t n_cols;
    seg_table *table;
} snap_job;

static int produce(cli_out *out, void *ctx)
{
    const snap_job *j = ctx;
    return cli_produce_result(out, j->table, j->run.ds, j->format, j->flags,
                              j->cols, j->n_cols);
}

#define TABLE_FORMATS ((1u << SEG_FORMAT_CSV) | (1u << SEG_FORMAT_JSON))

static int run_snap(const cli_args *a, int migrate)
{
    snap_job j = {0};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j.format);
    if (rc == 0)
        rc = cli_snap_execute(a, &j.run, &j.s);
    if (cli_count(a, OPT_EPOCH_TIMES))
        j.flags = SEG_EXPORT_EPOCH_TIMES;
    size_t from, to;
    if (rc == 0 && migrate) {
        rc = cli_snap_between(a, &j.run, j.s, &from, &to);
        if (rc == 0 && seg_snapshots_transition_table(&j.table, j.s, j.run.ds,
                                                      from, to) != SEG_OK)
            rc = cli_input_error("%s", seg_dataset_errmsg(j.run.ds));
    }
    /* the tier at each date, then the previous one and the last change */
    size_t nd = seg_snapshots_count(j.s);
    char *prev = NULL, *changed = NULL;
    cli_columns chosen = {0};
    if (rc == 0 && !migrate && cli_get(a, OPT_COLUMNS)) {
        rc = cli_run_columns(&j.run, cli_get(a, OPT_COLUMNS), 0, &chosen);
        j.cols = chosen.names;
        j.n_cols = chosen.n;
    } else if (rc == 0 && !migrate) {
        const char *t = o_tier(&j.run, a);
        size_t len = strlen(t) + 10;
        j.cols = calloc(nd + 2, sizeof *j.cols);
        prev = malloc(len);
        changed = malloc(len);
        if (!j.cols || !prev || !changed) {
            rc = cli_input_error("out of memory");
        } else {
            for (size_t i = 0; i < nd; i++)
                j.cols[j.n_cols++] = seg_snapshots_column(j.s, i);
            snprintf(prev, len, "%s.previous", t);
            snprintf(changed, len, "%s.changed", t);
            j.cols[j.n_cols++] = prev;
            j.cols[j.n_cols++] = changed;
        }
    }
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, &j);
    if (chosen.names)
        j.cols = NULL; /* chosen's */
    cli_columns_free(&chosen);
    free(prev);
    free(changed);
    free(j.cols);
    seg_table_free(j.table);
    seg_snapshots_free(j.s);
    cli_run_free(&j.run);
    return rc;
}

static int run_snapshots(const cli_args *a) { return run_snap(a, 0); }
static int run_migrate(const cli_args *a) { return run_snap(a, 1); }

#define SNAP_OPTIONS                                                          \
    CLI_INPUT_OPTIONS, OPT_TIME_UNIT, OPT_WINDOWS, OPT_DATES, OPT_MODEL,      \
        OPT_SET, OPT_SAVE_MODEL, OPT_LOAD_MODEL, OPT_RULES, OPT_BY_HISTORY,   \
        OPT_ENTER_HOLD, OPT_LEAVE_HOLD, OPT_FORMAT, OPT_JSON, OPT_OUTPUT

static const cli_opt snapshots_options[] = {SNAP_OPTIONS, OPT_EPOCH_TIMES,
                                            OPT_COLUMNS, OPT_NONE};

const cli_command cli_cmd_snapshots = {
    "snapshots", "DATA --dates DATE,DATE[,...] --rules FILE [OPTIONS]",
    "Tiers at several dates: each date's tier, the previous, the change.",
    "\nAt each date, in order: the features at that date, each --model\n"
    "fitted and scored (a --load-model is scored only), the --rules\n"
    "applied. Prints customer_id, the tier at each date (T@YYYY-MM-DD,\n"
    "empty before the customer's first record), T.previous (the tier at\n"
    "the snapshot before the last) and T.changed (the snapshot since\n"
    "which the customer has had its tier), T being --by or the first rule\n"
    "set's column; or the --columns named (those of the last date).\n",
    snapshots_options, 1, 1, run_snapshots};

static const cli_opt migrate_options[] = {SNAP_OPTIONS, OPT_BETWEEN,
                                          OPT_NONE};

const cli_command cli_cmd_migrate = {
    "migrate", "DATA --dates DATE,DATE[,...] --rules FILE [--between DATE,"
    "DATE] [OPTIONS]",
    "The transition table of the tiers between two snapshots.",
    "\nRuns the snapshots as 'segment snapshots' does, then prints one row\n"
    "per from-tier and to-tier: from, to (empty for no tier), customers,\n"
    "revenue (their net amount after the earlier date up to the later)\n"
    "and share (of the from-tier's customers).\n",
    migrate_options, 1, 1, run_migrate};
