/* The commands about one dataset and one model: features, fit, holdout,
 * table, and the list of models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "commands.h"
#include "output.h"
#include "pipeline.h"

#define TABLE_FORMATS ((1u << SEG_FORMAT_CSV) | (1u << SEG_FORMAT_JSON))
#define FIT_FORMATS (TABLE_FORMATS | (1u << SEG_FORMAT_TEXT))

typedef struct data_job {
    cli_run run;
    int format;
    const char *table; /* table: the model's table to print */
    int epoch_times;
    cli_columns cols; /* of features */
} data_job;

static int export_dataset(cli_out *out, void *ctx)
{
    data_job *j = ctx;
    int flags = j->epoch_times ? SEG_EXPORT_EPOCH_TIMES : 0;
    if (seg_dataset_export(j->run.ds, j->format | flags, j->cols.names,
                           j->cols.n, cli_out_write, out) != SEG_OK)
        return cli_produce_error(out, seg_dataset_errmsg(j->run.ds));
    return 0;
}

static int run_features(const cli_args *a)
{
    data_job j = {0};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j.format);
    j.epoch_times = cli_count(a, OPT_EPOCH_TIMES) > 0;
    if (rc == 0)
        rc = cli_run_reads(&j.run, cli_get(a, OPT_COLUMNS), 0);
    if (rc == 0) {
        cli_run_fold_records(&j.run);
        rc = cli_run_execute(&j.run, 0);
    }
    if (rc == 0)
        rc = cli_run_columns(&j.run, cli_get(a, OPT_COLUMNS), 0, &j.cols);
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), export_dataset, &j);
    cli_columns_free(&j.cols);
    cli_run_free(&j.run);
    return rc;
}

static void json_number(cli_out *out, double v)
{
    if (isfinite(v))
        cli_printf(out, "%.17g", v);
    else
        cli_puts(out, "null");
}

enum { RESULT_PARAM, RESULT_SE, RESULT_OTHER };

static int result_kind(const seg_model *m, const char *name)
{
    if (seg_model_result_is_param(m, name) == 1)
        return RESULT_PARAM;
    if (strncmp(name, "se.", 3) == 0 &&
        seg_model_result_is_param(m, name + 3) == 1)
        return RESULT_SE;
    return RESULT_OTHER;
}

/* Parameters first, then their standard errors, then the statistics of
 * the fit. */
static int print_fit(cli_out *out, void *ctx)
{
    data_job *j = ctx;
    const seg_model *m = j->run.models[0].model;
    int json = j->format == SEG_FORMAT_JSON;
    if (json)
        cli_printf(out, "{\"model\":\"%s\"", seg_model_kind(m));
    else if (j->format == SEG_FORMAT_CSV)
        cli_puts(out, "name,value\n");
    for (int pass = RESULT_PARAM; pass <= RESULT_OTHER; pass++) {
        const char *name;
        int first = 1;
        if (json && pass != RESULT_OTHER)
            cli_printf(out, ",\"%s\":{",
                       pass == RESULT_SE ? "standard_errors" : "parameters");
        for (size_t i = 0; (name = seg_model_result_name(m, i)); i++) {
            double v;
            if (result_kind(m, name) != pass ||
                seg_model_result(m, name, &v) != SEG_OK)
                continue;
            if (j->format == SEG_FORMAT_TEXT) {
                cli_printf(out, "%-16s %.10g\n", name, v);
            } else if (j->format == SEG_FORMAT_CSV) {
                cli_printf(out, "%s,%.17g\n", name, v);
            } else {
                cli_printf(out, "%s\"%s\":",
                           pass != RESULT_OTHER && first ? "" : ",",
                           pass == RESULT_SE ? name + 3 : name);
                if (strcmp(name, "converged") == 0)
                    cli_puts(out, v != 0 ? "true" : "false");
                else
                    json_number(out, v);
            }
            first = 0;
        }
        if (json && pass != RESULT_OTHER)
            cli_putc(out, '}');
    }
    /* a time differs from run to run: only in JSON, which is read by
     * programs, so that the text and CSV of one fit stay the same */
    if (json && !j->run.models[0].loaded) {
        cli_puts(out, ",\"fit_seconds\":");
        json_number(out, j->run.models[0].fit_seconds);
        cli_puts(out, ",\"fit_cpu_seconds\":");
        json_number(out, j->run.models[0].fit_cpu_seconds);
    }
    if (json)
        cli_puts(out, "}\n");
    return 0;
}

/* One model, from --model or --load-model: what fit and the tables take. */
static int one_model(const cli_args *a, const cli_run *r)
{
    if (r->n_models != 1)
        return cli_usage_error(a->cmd, "one --model KIND%s is needed",
                               a->cmd == &cli_cmd_fit ? ""
                                                      : " (or --load-model)");
    return 0;
}

static int run_fit(const cli_args *a)
{
    data_job j = {0};
    int rc = cli_run_prepare(a, a->operands[0], &j.run);
    if (rc == 0)
        rc = one_model(a, &j.run);
    if (rc == 0)
        rc = cli_output_format(a, FIT_FORMATS, SEG_FORMAT_TEXT, &j.format);
    if (rc == 0) {
        cli_run_fold_records(&j.run);
        rc = cli_run_execute(&j.run, 0);
    }
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), print_fit, &j);
    cli_run_free(&j.run);
    return rc;
}

static int print_table(cli_out *out, void *ctx)
{
    data_job *j = ctx;
    const seg_model *m = j->run.models[0].model;
    if (seg_model_report(m, j->run.ds, j->table, j->format, cli_out_write,
                         out) != SEG_OK)
        return cli_produce_error(out, seg_model_errmsg(m));
    return 0;
}

static int model_table(const cli_args *a, const char *table,
                       const char *data)
{
    data_job j = {.table = table};
    int rc = cli_run_prepare(a, data, &j.run);
    int holdout = strcmp(table, "holdout") == 0;
    if (rc == 0)
        rc = one_model(a, &j.run);
    if (rc == 0 && holdout && j.run.in.summary)
        rc = cli_usage_error(a->cmd, "the holdout table needs transactions, "
                             "not a --summary file");
    else if (rc == 0 && holdout && j.run.in.fo.holdout_from == SEG_TIME_NONE)
        rc = cli_usage_error(a->cmd, "--holdout-from DATE is needed");
    if (rc == 0)
        rc = cli_output_format(a, TABLE_FORMATS, SEG_FORMAT_CSV, &j.format);
    if (rc == 0)
        rc = cli_run_execute(&j.run, 0);
    if (rc == 0)
        rc = cli_output(cli_get(a, OPT_OUTPUT), print_table, &j);
    cli_run_free(&j.run);
    return rc;
}

static int run_holdout(const cli_args *a)
{
    return model_table(a, "holdout", a->operands[0]);
}

static int run_table(const cli_args *a)
{
    return model_table(a, a->operands[0], a->operands[1]);
}

static int print_models(cli_out *out, void *ctx)
{
    static const char *const types[] = {"", "number", "integer", "text"};
    (void)ctx;
    for (size_t i = 0; i < seg_model_kind_count(); i++) {
        seg_model *m;
        if (seg_model_new(&m, seg_model_kind_name(i)) != SEG_OK)
            continue;
        cli_printf(out, "%s\n", seg_model_kind(m));
        for (size_t k = 0; k < seg_model_param_count(m); k++) {
            seg_param_def d;
            seg_param_def_init(&d);
            seg_model_param_info(m, k, &d);
            cli_printf(out, "  %-20s %-8s ", d.name, types[d.type]);
            if (d.type == SEG_PARAM_STR)
                cli_printf(out, "default '%s'%s%s",
                           d.default_str ? d.default_str : "",
                           d.choices ? ", one of " : "",
                           d.choices ? d.choices : "");
            else
                cli_printf(out, "default %g, %g..%g", d.default_num, d.min,
                           d.max);
            cli_printf(out, "\n      %s\n",
                       d.description ? d.description : "");
        }
        seg_model_free(m);
    }
    return 0;
}

static int run_models(const cli_args *a)
{
    return cli_output(cli_get(a, OPT_OUTPUT), print_models, NULL);
}

static const cli_opt features_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, OPT_FORMAT, OPT_JSON, OPT_OUTPUT,
    OPT_EPOCH_TIMES, OPT_COLUMNS, OPT_NONE};

const cli_command cli_cmd_features = {
    "features", "DATA [OPTIONS]",
    "Print one row of features per customer.",
    "\nDATA is a CSV file of transactions (and events), or '-' for standard\n"
    "input.\n",
    features_options, 1, 1, run_features};

static const cli_opt fit_options[] = {
    CLI_INPUT_OPTIONS, OPT_SUMMARY_INPUT, CLI_FEATURE_OPTIONS, OPT_MODEL_ONE,
    OPT_SET, OPT_DYNAMIC_COVARIATES, OPT_SAVE_MODEL, OPT_FORMAT, OPT_JSON, OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_fit = {
    "fit", "DATA --model KIND [OPTIONS]",
    "Fit a model and print its parameters, standard errors, log-likelihood\n"
    "and convergence.",
    NULL, fit_options, 1, 1, run_fit};

static const cli_opt table_options[] = {
    CLI_INPUT_OPTIONS, OPT_SUMMARY_INPUT, CLI_FEATURE_OPTIONS, OPT_MODEL_ONE,
    OPT_SET, OPT_SAVE_MODEL, OPT_LOAD_MODEL_ONE, OPT_FORMAT, OPT_JSON,
    OPT_OUTPUT, OPT_NONE};

static const cli_opt holdout_options[] = {
    CLI_INPUT_OPTIONS, CLI_FEATURE_OPTIONS, OPT_MODEL_ONE, OPT_SET,
    OPT_SAVE_MODEL, OPT_LOAD_MODEL_ONE, OPT_FORMAT, OPT_JSON, OPT_OUTPUT,
    OPT_NONE};

const cli_command cli_cmd_holdout = {
    "holdout", "DATA --model KIND --holdout-from DATE [OPTIONS]",
    "Fit on the calibration period and compare the predicted holdout\n"
    "purchases with the actual ones (the same as 'segment table holdout').",
    NULL, holdout_options, 1, 1, run_holdout};

const cli_command cli_cmd_table = {
    "table", "NAME DATA --model KIND [OPTIONS]",
    "Fit a model, then print its table NAME: holdout, profile (kmeans\n"
    "clusters), silhouette (kmeans k), ci (parameters' confidence\n"
    "intervals), tracking, period_transactions, matrix_expected,\n"
    "matrix_palive (purchase models' diagnostics).",
    NULL, table_options, 2, 2, run_table};

static const cli_opt models_options[] = {OPT_OUTPUT, OPT_NONE};

const cli_command cli_cmd_models = {
    "models", "[OPTIONS]", "List the models and their parameters.", NULL,
    models_options, 0, 0, run_models};
