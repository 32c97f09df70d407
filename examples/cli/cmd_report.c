/* segment report: models and rule sets, then one HTML file. */
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "pipeline.h"
#include "report.h"
#include "snap.h"

typedef struct report_job {
    cli_run run;
    seg_model **models;
    const char **rule_files;
    const char *crosstab, *title, *language;
    seg_reclaim *reclaim;
    seg_ladder *ladder;
    int64_t as_of;                 /* of the ladder and the reclaim */
    seg_campaign_options campaign; /* used when campaign_day is given */
    const char *campaign_day;
    seg_snapshots *snapshots;
    size_t from, to;
} report_job;

static int produce(cli_out *out, void *ctx)
{
    const report_job *j = ctx;
    cli_report rep = {j->run.ds, j->models, j->run.n_models, j->run.rules,
                      j->rule_files, j->run.n_rules,
                      cli_run_tier_column(&j->run), j->crosstab, j->title,
                      &j->run.in, j->language, j->reclaim, j->as_of,
                      j->ladder, j->campaign_day ? &j->campaign : NULL,
                      j->campaign_day, j->snapshots, j->from, j->to};
    return seg_cli_report(out, &rep);
}

/* The --rules files as given, for the report's header. */
static const char **rule_files(const cli_args *a)
{
    const char **v = calloc(a->n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < a->n; i++)
        if (a->v[i].opt == OPT_RULES)
            v[k++] = strcmp(a->v[i].value, "-") ? a->v[i].value : "<stdin>";
    return v;
}

/* The ladder's and the reclaim's columns on the report's analysis date,
 * and the campaign's options, once the data is loaded. */
static int prepare_ops(const cli_args *a, report_job *j)
{
    int rc = cli_date_option(a, j->run.ds, OPT_AS_OF, &j->as_of);
    if (rc == 0 && j->ladder &&
        seg_ladder_apply(j->ladder, j->run.ds, j->as_of) != SEG_OK)
        rc = cli_input_error("%s", seg_ladder_errmsg(j->ladder));
    if (rc == 0 && j->reclaim &&
        seg_reclaim_apply(j->reclaim, j->run.ds, j->as_of) != SEG_OK)
        rc = cli_input_error("%s", seg_reclaim_errmsg(j->reclaim));
    j->campaign_day = cli_get(a, OPT_CAMPAIGN_DATE);
    if (rc || !j->campaign_day)
        return rc;
    seg_campaign_options *o = &j->campaign;
    seg_campaign_options_init(o);
    rc = cli_date_option(a, j->run.ds, OPT_CAMPAIGN_DATE,
                             &o->campaign_date);
    if (rc == 0)
        rc = cli_number_option(a, OPT_WINDOW, &o->window_days);
    if (rc == 0)
        rc = cli_number_option(a, OPT_CONFIDENCE, &o->confidence);
    o->tier_column = cli_run_tier_column(&j->run);
    if (cli_get(a, OPT_TREATMENT))
        o->treatment_column = cli_get(a, OPT_TREATMENT);
    /* a bad campaign is an error here, not a missing section */
    seg_table *t = NULL;
    if (rc == 0 && seg_campaign_table(&t, j->run.ds, o) != SEG_OK)
        rc = cli_input_error("%s", seg_dataset_errmsg(j->run.ds));
    seg_table_free(t);
    return rc;
}

static int run_report(const cli_args *a)
{
    report_job j = {0};
    const char *data = a->operands[0];
    j.title = strcmp(data, "-") == 0 ? "<stdin>" : data;
    j.crosstab = cli_get(a, OPT_CROSSTAB);
    j.language = cli_get(a, OPT_LANGUAGE);
    int rc = cli_run_prepare(a, data, &j.run);
    if (rc == 0 && !cli_get(a, OPT_OUTPUT))
        rc = cli_usage_error(a->cmd, "-o FILE.html is needed");
    if (rc == 0 && j.crosstab && j.run.n_rules == 0)
        rc = cli_usage_error(a->cmd, "%s crosses the tiers of a --rules "
                             "FILE: give one", cli_spelling(a, OPT_CROSSTAB));
    if (rc == 0 && j.language && strcmp(j.language, "en") &&
        strcmp(j.language, "zh"))
        rc = cli_usage_error(a->cmd, "--language %s: it is en or zh",
                             j.language);
    if (rc == 0 && !(j.models = calloc(j.run.n_models + 1, sizeof *j.models)))
        rc = cli_input_error("out of memory");
    if (rc == 0 && !(j.rule_files = rule_files(a)))
        rc = cli_input_error("out of memory");
    for (size_t i = 0; rc == 0 && i < j.run.n_models; i++)
        j.models[i] = j.run.models[i].model;
    if (rc == 0 && cli_get(a, OPT_RECLAIM))
        rc = cli_read_reclaim(a, &j.reclaim);
    if (rc == 0 && cli_get(a, OPT_LADDER))
        rc = cli_read_ladder(a, &j.ladder);
    /* with --dates: the snapshots, the report of the last date and the
     * migration between two of them */
    if (rc == 0 && cli_get(a, OPT_DATES)) {
        rc = cli_snap_execute(a, &j.run, &j.snapshots);
        if (rc == 0 && seg_snapshots_count(j.snapshots) > 1) {
            rc = cli_snap_between(a, &j.run, j.snapshots, &j.from, &j.to);
        } else if (rc == 0) {
            seg_snapshots_free(j.snapshots);
            j.snapshots = NULL;
        }
    } else if (rc == 0) {
        rc = cli_run_execute(&j.run, 1);
    }
    if (rc == 0)
        rc = prepare_ops(a, &j);
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, &j);
    seg_reclaim_free(j.reclaim);
    seg_ladder_free(j.ladder);
    seg_snapshots_free(j.snapshots);
    free(j.models);
    free(j.rule_files);
    cli_run_free(&j.run);
    return rc;
}

static const cli_opt report_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, OPT_MODEL, OPT_SET,
    OPT_SAVE_MODEL, OPT_LOAD_MODEL, OPT_RULES, OPT_CROSSTAB, OPT_OLD_CROSS,
    OPT_LANGUAGE, OPT_LADDER, OPT_RECLAIM, OPT_CAMPAIGN_DATE, OPT_TREATMENT,
    OPT_WINDOW, OPT_CONFIDENCE, OPT_OUTPUT, OPT_DATES, OPT_BY_HISTORY,
    OPT_ENTER_HOLD, OPT_LEAVE_HOLD, OPT_BETWEEN, OPT_NONE};

const cli_command cli_cmd_report = {
    "report", "DATA [--model KIND ...] [--rules FILE ...] -o REPORT.html",
    "One self-contained HTML report (no script, no network, printable):\n"
    "the run's periods and models, tiers, RFM, CLV, holdout, engagement,\n"
    "stages, clusters, crosstab; with --ladder the members by tier, with\n"
    "--campaign-date the campaign's evaluation by tier, with --reclaim\n"
    "the lead pool's reclaim and reminder lists, with --dates the\n"
    "migration of the tiers.",
    NULL, report_options, 1, 1, run_report};
