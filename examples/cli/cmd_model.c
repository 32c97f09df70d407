/* The commands about the purchase models themselves: simulate (customers
 * and transactions drawn from a model) and compare (AIC, BIC and
 * likelihood-ratio tests of models fitted on one dataset). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "pipeline.h"

#define TABLE_FORMATS ((1u << SEG_FORMAT_CSV) | (1u << SEG_FORMAT_JSON))

typedef struct table_job {
    seg_table *table;
    int format;
} table_job;

static int produce(cli_out *out, void *ctx)
{
    const table_job *j = ctx;
    if (seg_table_write(j->table, j->format, cli_out_write, out) != SEG_OK)
        return cli_produce_error(out, seg_errmsg());
    return 0;
}

/* ---- simulate ---- */

static int date_opt(const cli_args *a, cli_opt o, int flags, int64_t *out)
{
    const char *v = cli_get(a, o);
    if (!v)
        return 0;
    if (seg_time_parse(out, v, strlen(v), SEG_TIME_AUTO | flags) != SEG_OK)
        return cli_usage_error(a->cmd, "%s: '%s' is not a date or time",
                               cli_spelling(a, o), v);
    return 0;
}

static int count_opt(const cli_args *a, cli_opt o, unsigned long long max,
                     unsigned long long *out)
{
    const char *v = cli_get(a, o);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || end == v || errno || *v == '-' || n > max)
        return cli_usage_error(a->cmd, "%s: '%s' is not a number from 0 to "
                               "%llu", cli_spelling(a, o), v, max);
    *out = n;
    return 0;
}

/* The --set values of the model, joined by commas. */
static char *join_sets(const cli_args *a)
{
    size_t len = 1;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].opt == OPT_SET)
            len += strlen(a->v[i].value) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    *s = '\0';
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].opt == OPT_SET) {
            if (*s)
                strcat(s, ",");
            strcat(s, a->v[i].value);
        }
    return s;
}

static int sim_spec(const cli_args *a, seg_sim_spec *s)
{
    unsigned long long n = s->customers, seed = 0;
    const char *unit = cli_get(a, OPT_TIME_UNIT);
    int rc = count_opt(a, OPT_CUSTOMERS, 100000000, &n);
    if (rc == 0)
        rc = count_opt(a, OPT_SEED, ~0ull, &seed);
    if (rc == 0 && (!cli_get(a, OPT_START) || !cli_get(a, OPT_END)))
        rc = cli_usage_error(a->cmd, "--start DATE and --end DATE are needed");
    if (rc == 0)
        rc = date_opt(a, OPT_START, 0, &s->start);
    if (rc == 0)
        rc = date_opt(a, OPT_END, SEG_TIME_END_OF_DAY, &s->end);
    if (rc == 0)
        rc = date_opt(a, OPT_JOIN_END, SEG_TIME_END_OF_DAY, &s->join_end);
    if (rc == 0 && unit && strcmp(unit, "day") && strcmp(unit, "week"))
        rc = cli_usage_error(a->cmd, "--time-unit: '%s' is not day or week",
                             unit);
    if (rc == 0 && cli_get(a, OPT_LOAD_MODEL) &&
        (cli_get(a, OPT_MODEL) || cli_count(a, OPT_SET)))
        rc = cli_usage_error(a->cmd, "--load-model takes the place of "
                             "--model and --set");
    if (rc == 0 && !cli_get(a, OPT_LOAD_MODEL) && !cli_get(a, OPT_MODEL))
        rc = cli_usage_error(a->cmd, "--model KIND with its --set "
                             "NAME=VALUE, or --load-model FILE, is needed");
    s->customers = (size_t)n;
    s->seed = seed;
    s->unit_days = unit && !strcmp(unit, "day") ? 1 : 7;
    s->model = cli_get(a, OPT_MODEL);
    s->spend = cli_get(a, OPT_SPEND);
    s->summary = cli_count(a, OPT_SIM_SUMMARY) > 0;
    if (cli_get(a, OPT_ID_PREFIX))
        s->id_prefix = cli_get(a, OPT_ID_PREFIX);
    return rc;
}

static int run_simulate(const cli_args *a)
{
    seg_sim_spec s;
    seg_sim_spec_init(&s);
    table_job j = {NULL, SEG_FORMAT_CSV};
    seg_model *from = NULL;
    char *params = NULL;
    int rc = sim_spec(a, &s);
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j.format);
    if (rc == 0 && cli_get(a, OPT_LOAD_MODEL) &&
        seg_model_load(&from, cli_get(a, OPT_LOAD_MODEL)) != SEG_OK)
        rc = cli_input_error("%s", seg_errmsg());
    if (rc == 0 && !from && !(params = join_sets(a)))
        rc = cli_input_error("out of memory");
    s.params = params;
    if (rc == 0 && seg_simulate_table(&j.table, &s, from) != SEG_OK)
        rc = cli_input_error("%s", seg_errmsg());
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, &j);
    seg_table_free(j.table);
    seg_model_free(from);
    free(params);
    return rc;
}

static const cli_opt simulate_options[] = {
    OPT_MODEL_ONE, OPT_SIM_SET, OPT_LOAD_MODEL_ONE, OPT_SPEND, OPT_CUSTOMERS,
    OPT_SIM_SEED, OPT_START, OPT_END, OPT_JOIN_END, OPT_SIM_TIME_UNIT,
    OPT_ID_PREFIX, OPT_SIM_SUMMARY, OPT_FORMAT, OPT_JSON, OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_simulate = {
    "simulate", "--model KIND --set NAME=VALUE ... --start DATE --end DATE "
    "[OPTIONS]",
    "Draw customers and their transactions from a purchase model (and\n"
    "Gamma-Gamma amounts), as a CSV of transactions.",
    "\nThe same options give the same file. The models are bgnbd, mbgnbd,\n"
    "pareto_nbd and ggompertz; their parameters are in the --time-unit.\n",
    simulate_options, 0, 0, run_simulate};

/* ---- compare ---- */

/* Two models of one name would be two rows nobody can tell apart: the
 * later ones get the kind and their position. */
static int unique_names(const cli_run *r)
{
    for (size_t i = 1; i < r->n_models; i++) {
        seg_model *m = r->models[i].model;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(seg_model_name(m), seg_model_name(r->models[k].model)))
                continue;
            char name[64];
            snprintf(name, sizeof name, "%s_%zu", seg_model_kind(m), i + 1);
            if (seg_model_set_name(m, name) != SEG_OK)
                return cli_input_error("%s", seg_model_errmsg(m));
            break;
        }
    }
    return 0;
}

static int run_compare(const cli_args *a)
{
    cli_run run = {0};
    table_job j = {NULL, SEG_FORMAT_CSV};
    const seg_model **ms = NULL;
    int rc = cli_run_prepare(a, a->operands[0], &run);
    if (rc == 0 && run.n_models == 0)
        rc = cli_usage_error(a->cmd, "at least one --model KIND (or "
                             "--load-model FILE) is needed");
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j.format);
    if (rc == 0)
        rc = unique_names(&run);
    if (rc == 0)
        rc = cli_run_execute(&run, 0);
    if (rc == 0 && !(ms = calloc(run.n_models, sizeof *ms)))
        rc = cli_input_error("out of memory");
    for (size_t i = 0; rc == 0 && i < run.n_models; i++)
        ms[i] = run.models[i].model;
    if (rc == 0 && seg_model_compare(&j.table, ms, run.n_models) != SEG_OK)
        rc = cli_input_error("%s", seg_errmsg());
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), produce, &j);
    free(ms);
    seg_table_free(j.table);
    cli_run_free(&run);
    return rc;
}

static const cli_opt compare_options[] = {
    CLI_INPUT_OPTIONS, OPT_SUMMARY_INPUT, CLI_FEATURE_OPTIONS, OPT_MODEL,
    OPT_SET, OPT_SAVE_MODEL, OPT_LOAD_MODEL, OPT_FORMAT, OPT_JSON,
    OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_compare = {
    "compare", "DATA --model KIND --model KIND ... [OPTIONS]",
    "Fit models on one dataset and print their AIC, BIC and the\n"
    "likelihood-ratio tests of the nested ones.",
    "\nNested pairs: a kind with --set fixed=... inside the same kind\n"
    "fitted; pareto_nbd inside ggompertz (a boundary: the p-value is\n"
    "halved). bgnbd and mbgnbd are not nested.\n",
    compare_options, 1, 1, run_compare};
