/* Models and rule sets of a command, in the order the user gave them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int fit_models(cli_run *r, int score)
{
    for (size_t i = 0; i < r->n_models; i++) {
        cli_model *m = &r->models[i];
        cli_progress_label(seg_model_name(m->model));
        if (!m->loaded && seg_model_fit(m->model, r->ds) != SEG_OK)
            return cli_input_error("%s", seg_model_errmsg(m->model));
        if (cli_interrupted()) /* nothing saved after Ctrl-C */
            return EXIT_INPUT;
        if ((m->save && seg_model_save(m->model, m->save) != SEG_OK) ||
            (score && seg_model_score(m->model, r->ds) != SEG_OK))
            return cli_input_error("%s", seg_model_errmsg(m->model));
    }
    return 0;
}

int cli_run_execute(cli_run *r, int score)
{
    int rc = cli_input_load(&r->in, &r->ds);
    if (rc == 0)
        rc = fit_models(r, score);
    /* each rule set writes its own column, so later ones can read it */
    for (size_t i = 0; i < r->n_rules && rc == 0; i++)
        if (seg_rules_apply(r->rules[i], r->ds, NULL) != SEG_OK)
            rc = cli_input_error("%s", seg_rules_errmsg(r->rules[i]));
    return rc;
}

const char *cli_run_tier_column(const cli_run *r)
{
    return r->n_rules ? seg_rules_output(r->rules[r->n_rules - 1]) : NULL;
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
    cli_input_free(&r->in);
    memset(r, 0, sizeof *r);
}
