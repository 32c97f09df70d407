/* Models and rule sets of a command, in the order the user gave them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "output.h"
#include "pipeline.h"
#include "progress.h"

static int new_model(const char *kind, cli_model *out)
{
    if (seg_model_new(&out->model, kind) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_errmsg());
        return EXIT_USAGE;
    }
    return 0;
}

static int load_model(const char *path, cli_model *out)
{
    if (seg_model_load(&out->model, path) != SEG_OK)
        return cli_input_error("%s", seg_errmsg());
    out->loaded = 1;
    return 0;
}

/* --set and --save-model belong to the --model before them. */
static int model_option(const cli_args *a, const cli_arg *o, cli_model *last)
{
    if (!last || last->loaded)
        return cli_usage_error(a->cmd, "%s %s: %s", o->spelling, o->value,
                               last ? "a --load-model is fitted already"
                                    : "it comes after the --model it is for");
    if (o->opt == OPT_SAVE_MODEL) {
        if (last->save)
            return cli_usage_error(a->cmd, "--save-model is given twice for "
                                   "one --model");
        last->save = o->value;
        return 0;
    }
    if (seg_model_set_pair(last->model, o->value) != SEG_OK) {
        fprintf(stderr, "segment: %s %s: %s\n", o->spelling, o->value,
                seg_model_errmsg(last->model));
        return EXIT_USAGE;
    }
    return 0;
}

/* A model's table of time-varying covariates: not part of a saved model,
 * so a --load-model takes one too. */
static int covariate_table(const cli_args *a, const cli_arg *o,
                           cli_model *last)
{
    if (!last)
        return cli_usage_error(a->cmd, "%s %s: it comes after the --model "
                               "it is for", o->spelling, o->value);
    if (seg_model_load_covariate_table(last->model, o->value, NULL, NULL) !=
        SEG_OK)
        return cli_input_error("%s", seg_model_errmsg(last->model));
    return 0;
}

static int make_models(const cli_args *a, cli_run *r)
{
    r->models = calloc(a->n + 1, sizeof *r->models);
    if (!r->models)
        return cli_input_error("out of memory");
    for (size_t i = 0; i < a->n; i++) {
        const cli_arg *o = &a->v[i];
        cli_model *last = r->n_models ? &r->models[r->n_models - 1] : NULL;
        int rc = 0;
        if (o->opt == OPT_MODEL)
            rc = new_model(o->value, &r->models[r->n_models++]);
        else if (o->opt == OPT_LOAD_MODEL)
            rc = load_model(o->value, &r->models[r->n_models++]);
        else if (o->opt == OPT_SET || o->opt == OPT_SAVE_MODEL)
            rc = model_option(a, o, last);
        else if (o->opt == OPT_DYNAMIC_COVARIATES)
            rc = covariate_table(a, o, last);
        if (rc)
            return rc;
    }
    return 0;
}

static int compile_rules(const cli_args *a, cli_run *r)
{
    r->rules = calloc(a->n + 1, sizeof *r->rules);
    if (!r->rules)
        return cli_input_error("out of memory");
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].opt != OPT_RULES)
            continue;
        const char *path = a->v[i].value;
        const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
        size_t len = 0;
        char *text = cli_read_all(path, &len);
        if (!text)
            return cli_input_error("%s: cannot read: %s", name,
                                   strerror(errno));
        int rc = seg_rules_parse(&r->rules[r->n_rules], text, len, name);
        free(text);
        if (rc != SEG_OK)
            return cli_input_error("%s", seg_errmsg());
        r->n_rules++;
    }
    return 0;
}

int cli_run_prepare(const cli_args *a, const char *data, cli_run *r)
{
    memset(r, 0, sizeof *r);
    int rc = cli_input_options(a, data, &r->in);
    if (rc == 0)
        rc = cli_output_check_inputs(a, data);
    if (rc == 0)
        rc = make_models(a, r);
    if (rc == 0)
        rc = compile_rules(a, r);
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The fit alone, timed, so that `fit --json` can tell it apart from the
 * load. */
static int fit_one(cli_model *m, seg_dataset *ds)
{
    double t0 = now_seconds();
    clock_t c0 = clock();
    int rc = seg_model_fit(m->model, ds);
    m->fit_cpu_seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;
    m->fit_seconds = now_seconds() - t0;
    return rc;
}

static int fit_models(cli_run *r, int score)
{
    for (size_t i = 0; i < r->n_models; i++) {
        cli_model *m = &r->models[i];
        cli_progress_label(seg_model_name(m->model));
        if (!m->loaded && fit_one(m, r->ds) != SEG_OK)
            return cli_input_error("%s", seg_model_errmsg(m->model));
        if (cli_interrupted()) /* nothing saved after Ctrl-C */
            return EXIT_INPUT;
        if ((m->save && seg_model_save(m->model, m->save) != SEG_OK) ||
            (score && seg_model_score(m->model, r->ds) != SEG_OK))
            return cli_input_error("%s", seg_model_errmsg(m->model));
    }
    return 0;
}

/* Whether the job reads nothing of the transactions but the features of
 * one date: models whose fit and score read only columns
 * (seg_model_reads_transactions), rules, the features themselves (the
 * commands of snapshots, ladders, campaigns and reports read the records,
 * and do not ask), no holdout, no windows, and a data file that can be
 * read again should the features-only dataset refuse (a customer's days
 * out of order). */
static int readable_again(const char *path)
{
    struct stat st;
    return path && strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

static int features_only(const cli_run *r)
{
    const cli_input *in = &r->in;
    /* a pipe or stdin is used up by the first load: only regular files */
    if (in->summary || in->no_features || !readable_again(in->data.path) ||
        (in->events.path && !readable_again(in->events.path)) ||
        (in->attributes.path && !readable_again(in->attributes.path)) ||
        in->fo.holdout_from != SEG_TIME_NONE)
        return 0;
    for (int w = 0; w < SEG_FEATURES_MAX_WINDOWS; w++)
        if (in->fo.windows[w])
            return 0;
    for (size_t i = 0; i < r->n_models; i++)
        if (seg_model_reads_transactions(r->models[i].model))
            return 0;
    return 1;
}

void cli_run_fold_records(cli_run *r)
{
    r->in.features_only = features_only(r);
}

int cli_run_execute(cli_run *r, int score)
{
    int rc = cli_input_load(&r->in, &r->ds);
    if (rc == 0 && r->n_models) {
        rc = fit_models(r, score);
        cli_phase("models");
    }
    /* each rule set writes its own column, so later ones can read it */
    for (size_t i = 0; i < r->n_rules && rc == 0; i++) {
        if (seg_rules_apply(r->rules[i], r->ds, NULL) != SEG_OK) {
            rc = cli_input_error("%s", seg_rules_errmsg(r->rules[i]));
            break;
        }
        /* legal but surely not meant: said, and the run goes on */
        size_t nw = seg_rules_warning_count(r->rules[i]);
        for (size_t k = 0; k < nw; k++)
            fprintf(stderr, "segment: warning: %s\n",
                    seg_rules_warning(r->rules[i], k));
    }
    if (rc == 0 && r->n_rules)
        cli_phase("rules");
    return rc;
}

const char *cli_run_tier_column(const cli_run *r)
{
    return r->n_rules ? seg_rules_output(r->rules[r->n_rules - 1]) : NULL;
}

static int add_column(cli_columns *c, size_t cap, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0)
            return 0;
    if (c->n == cap)
        return -1;
    c->names[c->n++] = name;
    return 0;
}

static int split_columns(const char *spec, cli_columns *out)
{
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    out->text = strdup(spec);
    out->names = calloc(n, sizeof *out->names);
    if (!out->text || !out->names)
        return cli_input_error("out of memory");
    for (char *p = out->text, *comma;; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return cli_input_error("--columns: an empty column name in '%s'",
                                   spec);
        if (add_column(out, n, p))
            return cli_input_error("out of memory");
        if (!comma)
            return 0;
    }
}

/* Only RFM models, on transactions: a summary file's columns are the
 * user's own, and are all written back. */
static int only_rfm(const cli_run *r)
{
    if (r->n_rules || !r->n_models || r->in.summary)
        return 0;
    for (size_t i = 0; i < r->n_models; i++)
        if (strcmp(seg_model_kind(r->models[i].model), "rfm") != 0)
            return 0;
    return 1;
}

static int rfm_columns(const cli_run *r, cli_columns *out)
{
    static const char *const inputs[] = {"r_column", "f_column", "m_column"};
    size_t nc = seg_dataset_column_count(r->ds);
    size_t cap = nc + 3 * r->n_models;
    out->names = calloc(cap ? cap : 1, sizeof *out->names);
    if (!out->names)
        return cli_input_error("out of memory");
    for (size_t i = 0; i < r->n_models; i++) {
        const seg_model *m = r->models[i].model;
        for (size_t k = 0; k < 3; k++) {
            const char *col;
            if (seg_model_get_str(m, inputs[k], &col) == SEG_OK &&
                seg_dataset_column_type(r->ds, col) > 0)
                (void)add_column(out, cap, col);
        }
    }
    for (size_t i = 0; i < r->n_models; i++) {
        const char *prefix = seg_model_name(r->models[i].model);
        size_t pl = strlen(prefix);
        for (size_t c = 0; c < nc; c++) {
            const char *name = seg_dataset_column_name(r->ds, c);
            if (strncmp(name, prefix, pl) == 0 && name[pl] == '.')
                (void)add_column(out, cap, name);
        }
    }
    return 0;
}

int cli_run_columns(const cli_run *r, const char *spec, int score_rfm,
                    cli_columns *out)
{
    memset(out, 0, sizeof *out);
    if (spec && strcmp(spec, "all") == 0)
        return 0;
    if (spec)
        return split_columns(spec, out);
    if (score_rfm && only_rfm(r))
        return rfm_columns(r, out);
    return 0;
}

/* Whether name ends with "_column": a parameter naming a column the
 * model reads. */
static int names_column(const char *name)
{
    size_t n = strlen(name);
    return n > 7 && strcmp(name + n - 7, "_column") == 0;
}

int cli_run_reads(cli_run *r, const char *spec, int score_rfm)
{
    cli_columns *c = &r->reads;
    if (spec && strcmp(spec, "all") == 0)
        return 0; /* every column written: every feature */
    int listed = spec != NULL;
    if (r->n_rules || r->in.summary || (!listed && !score_rfm) ||
        (r->n_models ? !only_rfm(r) : !listed))
        return 0;
    size_t cap = 0;
    for (size_t i = 0; i < r->n_models; i++)
        cap += seg_model_param_count(r->models[i].model);
    if (listed) {
        int rc = split_columns(spec, c);
        if (rc)
            return rc;
        cap += c->n;
    }
    const char **names = realloc(c->names, (cap ? cap : 1) * sizeof *names);
    if (!names)
        return cli_input_error("out of memory");
    c->names = names;
    /* every column a model's parameters name (R, F, M, the value preset's) */
    for (size_t i = 0; i < r->n_models; i++) {
        const seg_model *m = r->models[i].model;
        for (size_t k = 0; k < seg_model_param_count(m); k++) {
            seg_param_def d;
            const char *col;
            seg_param_def_init(&d);
            if (seg_model_param_info(m, k, &d) == SEG_OK &&
                d.type == SEG_PARAM_STR && names_column(d.name) &&
                seg_model_get_str(m, d.name, &col) == SEG_OK && *col)
                (void)add_column(c, cap, col);
        }
    }
    r->in.fo.columns = c->names;
    r->in.fo.n_columns = c->n;
    return 0;
}

void cli_columns_free(cli_columns *c)
{
    free(c->names);
    free(c->text);
    memset(c, 0, sizeof *c);
}

void cli_run_free(cli_run *r)
{
    for (size_t i = 0; r->models && i < r->n_models; i++)
        seg_model_free(r->models[i].model);
    for (size_t i = 0; r->rules && i < r->n_rules; i++)
        seg_rules_free(r->rules[i]);
    free(r->models);
    free(r->rules);
    seg_dataset_free(r->ds);
    cli_columns_free(&r->reads);
    cli_input_free(&r->in);
    memset(r, 0, sizeof *r);
}
