/* segment: the command-line front end of libsegment.
 *
 * Exit codes: 0 success, 1 usage error, 2 bad input (the library's message
 * is printed on stderr). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "report.h"

enum { EXIT_USAGE = 1, EXIT_INPUT = 2 };

static const char usage[] =
    "usage: segment COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  features DATA.csv   print one CSV row of features per customer\n"
    "  score DATA.csv --model KIND [--set KEY=VALUE ...]\n"
    "        [--save-model FILE | --load-model FILE]\n"
    "                      fit (or load) a model, print features and scores\n"
    "  fit DATA.csv --model KIND [--set KEY=VALUE ...] [--summary] [--json]\n"
    "                      fit a model and print its parameters, standard\n"
    "                      errors, log-likelihood and convergence\n"
    "  holdout DATA.csv --model KIND --holdout-from DATE [--as-of DATE]\n"
    "                      fit on the calibration period and compare the\n"
    "                      predicted holdout purchases with the actual ones\n"
    "  table NAME DATA.csv --model KIND [...]\n"
    "                      fit, then print the model's table NAME: holdout,\n"
    "                      profile (kmeans clusters), silhouette (kmeans k)\n"
    "  tier DATA.csv --rules FILE [--rules FILE ...] [--model KIND\n"
    "        [--set KEY=VALUE ...] ...] [--events FILE] [--attributes FILE]\n"
    "        [--explain ID | --summary COL[,COL] | --crosstab COL |\n"
    "         --call-list [--capacity N] [--value COL] [--contact-kind K]\n"
    "         [--exclude COL]] [--json]\n"
    "                      run models, then tier-rule sets in order; print\n"
    "                      the table, an explanation, a summary of the last\n"
    "                      rule set's tiers, a crosstab, or a call list\n"
    "  score DATA.csv --model KIND ... --rules FILE [--explain ID]\n"
    "                      the same as tier: models, then rule sets\n"
    "  summary DATA.csv [--model KIND ...] [--rules FILE ...] --by COLUMN\n"
    "        [--values COL[,COL]] [--cross OTHER_COLUMN]\n"
    "                      per tier: count, share, totals and means; or a\n"
    "                      crosstab of two label columns\n"
    "  calls DATA.csv --rules FILE [--model KIND ...] --capacity N\n"
    "        [--as-of DATE] [--value COL] [--exclude COL] [--contact-kind K]\n"
    "                      today's call list, as CSV\n"
    "  report DATA.csv [--model KIND ...] [--rules FILE ...]\n"
    "        [--holdout-from DATE] [--cross COLUMN] -o REPORT.html\n"
    "                      one self-contained HTML report: tiers, RFM,\n"
    "                      CLV, holdout, clusters, crosstab\n"
    "  models              list the models and their parameters\n"
    "\n"
    "options of features and score:\n"
    "  --as-of DATE          end of the observation period (a date means the\n"
    "                        end of that day); default: the latest record\n"
    "  --time-unit day|week  unit of t_x, T and recency (default day)\n"
    "  --holdout-from DATE   start of a holdout period: calibration features\n"
    "                        before it, holdout_* columns from it to --as-of\n"
    "  --map ROLE=COLUMN     column of a role: id, time, amount, kind, value,\n"
    "                        or attr (repeatable); COLUMN is a header name or\n"
    "                        a 1-based number\n"
    "  --no-header           the first line is data\n"
    "  --delimiter C         ',', ';', 'tab' or 'space' (runs of whitespace);\n"
    "                        default: detected from the first line\n"
    "  --time-format F       auto, iso, yyyymmdd or epoch (default auto)\n"
    "  --format csv|json     output format (default csv)\n"
    "  --threads N           threads for loading and features: 1 for one,\n"
    "                        0 (default) for every processor\n"
    "\n"
    "options of score:\n"
    "  --model KIND          model kind (see 'segment models')\n"
    "  --set KEY=VALUE       set a model parameter (repeatable)\n"
    "  --save-model FILE     save the fitted model\n"
    "  --load-model FILE     score with a saved model instead of fitting\n"
    "  --summary             DATA.csv is a summary, one row per customer (or\n"
    "                        group) with columns such as x, t_x, T and weights:\n"
    "                        every column is loaded, no features are computed\n"
    "  --json                fit: print one JSON object\n"
    "\n"
    "  --help                show this help\n"
    "  --version             show the version\n"
    "\n"
    "exit codes: 0 success, 1 usage error, 2 bad input\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "segment: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'segment --help'.\n");
    return EXIT_USAGE;
}

static int write_stdout(const char *data, size_t len, void *user)
{
    (void)user;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

/* A date alone means the whole day: its end, for an inclusive as-of. */
static int parse_time_arg(const char *s, int end_of_day, int64_t *out)
{
    if (seg_time_parse(out, s, strlen(s), SEG_TIME_AUTO) != SEG_OK)
        return -1;
    size_t n = strlen(s);
    int date_only = (n == 10 && s[4] == '-') ||
                    (n == 8 && strspn(s, "0123456789") == 8);
    if (end_of_day && date_only)
        *out += 86399;
    return 0;
}

typedef struct cli {
    const char *path;
    seg_csv_options csv;
    seg_features_options fo;
    const char **attrs;
    int format;
    const char *model, *save, *load;
    const char **sets;
    size_t n_sets;
    int summary, json;
    int threads;
} cli;

static int parse_args(int argc, char **argv, cli *c, int scoring)
{
    seg_csv_options_init(&c->csv);
    seg_features_options_init(&c->fo);
    c->format = SEG_FORMAT_CSV;
    c->attrs = calloc((size_t)argc + 1, sizeof *c->attrs);
    c->sets = calloc((size_t)argc + 1, sizeof *c->sets);
    if (!c->attrs || !c->sets) {
        fprintf(stderr, "segment: out of memory\n");
        return EXIT_INPUT;
    }
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--no-header") == 0) {
            c->csv.has_header = 0;
            takes = 0;
        } else if (scoring && strcmp(a, "--summary") == 0) {
            c->summary = 1;
            takes = 0;
        } else if (scoring && strcmp(a, "--json") == 0) {
            c->json = 1;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            rc = usage_error("option %s needs a value", a);
        } else if (strcmp(a, "--as-of") == 0) {
            if (parse_time_arg(v, 1, &c->fo.as_of))
                rc = usage_error("--as-of: '%s' is not a date or time", v);
        } else if (strcmp(a, "--holdout-from") == 0) {
            if (parse_time_arg(v, 0, &c->fo.holdout_from))
                rc = usage_error("--holdout-from: '%s' is not a date or time",
                                 v);
        } else if (strcmp(a, "--time-unit") == 0) {
            if (strcmp(v, "day") == 0)
                c->fo.time_unit = SEG_UNIT_DAY;
            else if (strcmp(v, "week") == 0)
                c->fo.time_unit = SEG_UNIT_WEEK;
            else
                rc = usage_error("--time-unit: '%s' is not day or week", v);
        } else if (strcmp(a, "--map") == 0) {
            const char *eq = strchr(v, '=');
            size_t rl = eq ? (size_t)(eq - v) : 0;
            const char *col = eq ? eq + 1 : NULL;
            if (!eq || !*col)
                rc = usage_error("--map: '%s' is not ROLE=COLUMN", v);
            else if (rl == 2 && strncmp(v, "id", 2) == 0)
                c->csv.id_column = col;
            else if (rl == 4 && strncmp(v, "time", 4) == 0)
                c->csv.time_column = col;
            else if (rl == 6 && strncmp(v, "amount", 6) == 0)
                c->csv.amount_column = col;
            else if (rl == 4 && strncmp(v, "kind", 4) == 0)
                c->csv.kind_column = col;
            else if (rl == 5 && strncmp(v, "value", 5) == 0)
                c->csv.value_column = col;
            else if (rl == 4 && strncmp(v, "attr", 4) == 0)
                c->attrs[c->csv.n_attribute_columns++] = col;
            else
                rc = usage_error("--map: unknown role in '%s' (id, time, "
                                 "amount, kind, value, attr)", v);
        } else if (strcmp(a, "--delimiter") == 0) {
            if (strcmp(v, ",") == 0 || strcmp(v, ";") == 0)
                c->csv.delimiter = v[0];
            else if (strcmp(v, "tab") == 0 || strcmp(v, "\t") == 0)
                c->csv.delimiter = '\t';
            else if (strcmp(v, "space") == 0 || strcmp(v, " ") == 0)
                c->csv.delimiter = ' ';
            else
                rc = usage_error("--delimiter: '%s' is not ',', ';', tab or "
                                 "space", v);
        } else if (strcmp(a, "--time-format") == 0) {
            if (strcmp(v, "auto") == 0)
                c->csv.time_format = SEG_TIME_AUTO;
            else if (strcmp(v, "iso") == 0)
                c->csv.time_format = SEG_TIME_ISO8601;
            else if (strcmp(v, "yyyymmdd") == 0)
                c->csv.time_format = SEG_TIME_YYYYMMDD;
            else if (strcmp(v, "epoch") == 0)
                c->csv.time_format = SEG_TIME_EPOCH;
            else
                rc = usage_error("--time-format: '%s' is not auto, iso, "
                                 "yyyymmdd or epoch", v);
        } else if (strcmp(a, "--threads") == 0) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || end == v || t < 0 || t > 64)
                rc = usage_error("--threads: '%s' is not a number from 0 to 64",
                                 v);
            else
                c->threads = (int)t;
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "csv") == 0)
                c->format = SEG_FORMAT_CSV;
            else if (strcmp(v, "json") == 0)
                c->format = SEG_FORMAT_JSON;
            else
                rc = usage_error("--format: '%s' is not csv or json", v);
        } else if (scoring && strcmp(a, "--model") == 0) {
            c->model = v;
        } else if (scoring && strcmp(a, "--set") == 0) {
            if (!strchr(v, '=') || v[0] == '=')
                rc = usage_error("--set: '%s' is not KEY=VALUE", v);
            c->sets[c->n_sets++] = v;
        } else if (scoring && strcmp(a, "--save-model") == 0) {
            c->save = v;
        } else if (scoring && strcmp(a, "--load-model") == 0) {
            c->load = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error("unknown option '%s'", a);
        } else if (!c->path) {
            c->path = a;
            takes = 0;
        } else {
            rc = usage_error("unexpected argument '%s'", a);
        }
        i += takes;
    }
    if (rc == 0 && !c->path)
        rc = usage_error("%s", "no DATA.csv given");
    if (rc == 0 && scoring && !c->model && !c->load)
        rc = usage_error("%s", "score: --model KIND or --load-model FILE "
                               "is needed");
    if (rc == 0 && c->save && c->load)
        rc = usage_error("%s", "--save-model and --load-model exclude each "
                               "other");
    if (rc == 0 && c->load && c->n_sets)
        rc = usage_error("%s", "--set changes a model, so it cannot be used "
                               "with --load-model");
    c->csv.attribute_columns = c->attrs;
    if (c->summary) {
        c->csv.all_attributes = 1;
        c->csv.row_ids = c->csv.id_column == NULL;
    }
    return rc;
}

/* Load the data and compute the features; prints the error. */
static int load_dataset(cli *c, seg_dataset **out)
{
    seg_dataset *ds = NULL;
    if (seg_dataset_new(&ds) != SEG_OK ||
        seg_dataset_set_threads(ds, c->threads) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_errmsg());
        seg_dataset_free(ds);
        return EXIT_INPUT;
    }
    if (seg_dataset_load_csv(ds, c->path, &c->csv) != SEG_OK ||
        (!c->summary && seg_dataset_compute_features(ds, &c->fo) != SEG_OK)) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        seg_dataset_free(ds);
        return EXIT_INPUT;
    }
    *out = ds;
    return 0;
}

static int print_dataset(seg_dataset *ds, int format)
{
    if (seg_dataset_export(ds, format, NULL, 0, write_stdout, NULL) !=
        SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        return EXIT_INPUT;
    }
    if (fflush(stdout) != 0) {
        perror("segment: stdout");
        return EXIT_INPUT;
    }
    return 0;
}

static void cli_free(cli *c)
{
    free(c->attrs);
    free(c->sets);
}

static int cmd_features(int argc, char **argv)
{
    cli c = {0};
    seg_dataset *ds = NULL;
    int rc = parse_args(argc, argv, &c, 0);
    if (rc == 0)
        rc = load_dataset(&c, &ds);
    if (rc == 0)
        rc = print_dataset(ds, c.format);
    seg_dataset_free(ds);
    cli_free(&c);
    return rc;
}

/* A model from --model and --set, fitted on ds, or from --load-model. */
static int make_model(cli *c, seg_dataset *ds, seg_model **out)
{
    seg_model *m = NULL;
    if (c->load) {
        if (seg_model_load(&m, c->load) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_errmsg());
            return EXIT_INPUT;
        }
        if (c->model && strcmp(c->model, seg_model_kind(m)) != 0) {
            fprintf(stderr, "segment: %s holds a '%s' model, not '%s'\n",
                    c->load, seg_model_kind(m), c->model);
            seg_model_free(m);
            return EXIT_INPUT;
        }
        *out = m;
        return 0;
    }
    if (seg_model_new(&m, c->model) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_errmsg());
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < c->n_sets; i++) {
        char key[256];
        const char *eq = strchr(c->sets[i], '=');
        size_t kl = (size_t)(eq - c->sets[i]);
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        memcpy(key, c->sets[i], kl);
        key[kl] = '\0';
        if (seg_model_set(m, key, eq + 1) != SEG_OK) {
            fprintf(stderr, "segment: --set %s: %s\n", c->sets[i],
                    seg_model_errmsg(m));
            seg_model_free(m);
            return EXIT_USAGE;
        }
    }
    if (seg_model_fit(m, ds) != SEG_OK ||
        (c->save && seg_model_save(m, c->save) != SEG_OK)) {
        fprintf(stderr, "segment: %s\n", seg_model_errmsg(m));
        seg_model_free(m);
        return EXIT_INPUT;
    }
    *out = m;
    return 0;
}

static int cmd_score(int argc, char **argv)
{
    cli c = {0};
    seg_dataset *ds = NULL;
    seg_model *m = NULL;
    int rc = parse_args(argc, argv, &c, 1);
    if (rc == 0)
        rc = load_dataset(&c, &ds);
    if (rc == 0)
        rc = make_model(&c, ds, &m);
    if (rc == 0 && seg_model_score(m, ds) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_model_errmsg(m));
        rc = EXIT_INPUT;
    }
    if (rc == 0)
        rc = print_dataset(ds, c.format);
    seg_model_free(m);
    seg_dataset_free(ds);
    cli_free(&c);
    return rc;
}

static void json_number(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

static int cmd_fit(int argc, char **argv)
{
    cli c = {0};
    seg_dataset *ds = NULL;
    seg_model *m = NULL;
    int rc = parse_args(argc, argv, &c, 1);
    if (rc == 0 && c.load)
        rc = usage_error("%s", "fit: --load-model does not fit");
    if (rc == 0)
        rc = load_dataset(&c, &ds);
    if (rc == 0)
        rc = make_model(&c, ds, &m);
    if (rc == 0) {
        /* a result X is a parameter when its standard error se.X exists */
        const char *name;
        char se[300];
        double v;
        if (c.json)
            printf("{\"model\":\"%s\"", seg_model_kind(m));
        for (int pass = 0; pass < 3; pass++) {
            int first = 1;
            if (c.json && pass < 2)
                printf(",\"%s\":{", pass ? "standard_errors" : "parameters");
            for (size_t i = 0; (name = seg_model_result_name(m, i)); i++) {
                int is_se = strncmp(name, "se.", 3) == 0;
                snprintf(se, sizeof se, "se.%s", name);
                int is_param = !is_se && seg_model_result(m, se, &v) == SEG_OK;
                int kind = is_param ? 0 : is_se ? 1 : 2;
                if (kind != pass)
                    continue;
                seg_model_result(m, name, &v);
                if (!c.json) {
                    printf("%-16s %.10g\n", name, v);
                    continue;
                }
                printf("%s\"%s\":", pass < 2 && first ? "" : ",",
                       pass == 1 ? name + 3 : name);
                if (strcmp(name, "converged") == 0)
                    printf("%s", v != 0 ? "true" : "false");
                else
                    json_number(v);
                first = 0;
            }
            if (c.json && pass < 2)
                printf("}");
        }
        if (c.json)
            printf("}\n");
        if (fflush(stdout) != 0)
            rc = EXIT_INPUT;
    }
    seg_model_free(m);
    seg_dataset_free(ds);
    cli_free(&c);
    return rc;
}

static int cmd_table(const char *report, int argc, char **argv)
{
    cli c = {0};
    seg_dataset *ds = NULL;
    seg_model *m = NULL;
    int rc = parse_args(argc, argv, &c, 1);
    int holdout = strcmp(report, "holdout") == 0;
    if (rc == 0 && holdout && c.fo.holdout_from == SEG_TIME_NONE)
        rc = usage_error("%s", "holdout: --holdout-from DATE is needed");
    if (rc == 0 && holdout && c.summary)
        rc = usage_error("%s", "holdout: needs transactions, not --summary");
    if (rc == 0)
        rc = load_dataset(&c, &ds);
    if (rc == 0)
        rc = make_model(&c, ds, &m);
    if (rc == 0 &&
        seg_model_report(m, ds, report, c.format, write_stdout, NULL) !=
            SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_model_errmsg(m));
        rc = EXIT_INPUT;
    }
    seg_model_free(m);
    seg_dataset_free(ds);
    cli_free(&c);
    return rc;
}

/* ---- segment tier ---- */

typedef struct tier_args {
    const char **rules, **models, **sets, **rest;
    int *set_model; /* the --model each --set follows */
    size_t n_rules, n_models, n_sets, n_rest;
    const char *events, *attributes, *explain, *summary, *crosstab, *by;
    const char *value, *contact_kind, *exclude, *output;
    int json, call_list;
    long capacity;
} tier_args;

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap *= 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int tier_options(int argc, char **argv, tier_args *t)
{
    size_t n = (size_t)argc + 1;
    t->rules = calloc(n, sizeof *t->rules);
    t->models = calloc(n, sizeof *t->models);
    t->sets = calloc(n, sizeof *t->sets);
    t->set_model = calloc(n, sizeof *t->set_model);
    t->rest = calloc(n, sizeof *t->rest);
    if (!t->rules || !t->models || !t->sets || !t->set_model || !t->rest)
        return EXIT_INPUT;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = NULL;
        if (!strcmp(a, "--json")) {
            t->json = 1;
            continue;
        }
        if (!strcmp(a, "--call-list")) {
            t->call_list = 1;
            continue;
        }
        if (!strcmp(a, "--rules"))
            slot = &t->rules[t->n_rules++];
        else if (!strcmp(a, "--model"))
            slot = &t->models[t->n_models++];
        else if (!strcmp(a, "--set")) {
            if (t->n_models == 0)
                return usage_error("%s", "--set comes after the --model it "
                                         "sets");
            t->set_model[t->n_sets] = (int)t->n_models - 1;
            slot = &t->sets[t->n_sets++];
        } else if (!strcmp(a, "--events"))
            slot = &t->events;
        else if (!strcmp(a, "--attributes"))
            slot = &t->attributes;
        else if (!strcmp(a, "--explain"))
            slot = &t->explain;
        else if (!strcmp(a, "--summary") || !strcmp(a, "--values"))
            slot = &t->summary;
        else if (!strcmp(a, "--crosstab") || !strcmp(a, "--cross"))
            slot = &t->crosstab;
        else if (!strcmp(a, "--by"))
            slot = &t->by;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            slot = &t->output;
        else if (!strcmp(a, "--value"))
            slot = &t->value;
        else if (!strcmp(a, "--contact-kind"))
            slot = &t->contact_kind;
        else if (!strcmp(a, "--exclude"))
            slot = &t->exclude;
        else if (!strcmp(a, "--capacity")) {
            char *end;
            t->capacity = v ? strtol(v, &end, 10) : -1;
            if (!v || *end || t->capacity < 0)
                return usage_error("--capacity: '%s' is not a count",
                                   v ? v : "");
            i++;
            continue;
        }
        if (slot) {
            if (!v)
                return usage_error("option %s needs a value", a);
            *slot = v;
            i++;
            continue;
        }
        t->rest[t->n_rest++] = a;
    }
    return 0;
}

static int load_extra(seg_dataset *ds, const char *path, int attributes)
{
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.all_attributes = attributes;
    if (seg_dataset_load_csv(ds, path, &o) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        return EXIT_INPUT;
    }
    return 0;
}

/* Fit and score every --model in turn; keep[] receives them when given,
 * else they are freed. */
static int run_models(const tier_args *t, seg_dataset *ds, seg_model **keep)
{
    for (size_t i = 0; i < t->n_models; i++) {
        seg_model *m;
        if (seg_model_new(&m, t->models[i]) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_errmsg());
            return EXIT_USAGE;
        }
        int rc = 0;
        for (size_t j = 0; j < t->n_sets && !rc; j++) {
            if (t->set_model[j] != (int)i)
                continue;
            char key[256];
            const char *eq = strchr(t->sets[j], '=');
            size_t kl = eq ? (size_t)(eq - t->sets[j]) : 0;
            if (!eq || kl == 0 || kl >= sizeof key) {
                rc = usage_error("--set: '%s' is not KEY=VALUE", t->sets[j]);
                break;
            }
            memcpy(key, t->sets[j], kl);
            key[kl] = '\0';
            if (seg_model_set(m, key, eq + 1) != SEG_OK) {
                fprintf(stderr, "segment: --set %s: %s\n", t->sets[j],
                        seg_model_errmsg(m));
                rc = EXIT_USAGE;
            }
        }
        if (!rc && (seg_model_fit(m, ds) != SEG_OK ||
                    seg_model_score(m, ds) != SEG_OK)) {
            fprintf(stderr, "segment: %s\n", seg_model_errmsg(m));
            rc = EXIT_INPUT;
        }
        if (keep && !rc)
            keep[i] = m;
        else
            seg_model_free(m);
        if (rc)
            return rc;
    }
    return 0;
}

static void tier_free(tier_args *t)
{
    free(t->rules);
    free(t->models);
    free(t->sets);
    free(t->set_model);
    free(t->rest);
}

/* What to print after the rule sets ran. */
static int tier_output(const tier_args *t, const cli *c, seg_dataset *ds,
                       seg_rules **rs, const char *last_col)
{
    int fmt = t->json ? SEG_FORMAT_JSON : SEG_FORMAT_CSV;
    if (t->explain) {
        size_t row;
        if (seg_dataset_customer_find(ds, t->explain, &row) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
            return EXIT_INPUT;
        }
        for (size_t i = 0; i < t->n_rules; i++)
            if (seg_rules_explain(rs[i], ds, row,
                                  t->json ? SEG_FORMAT_JSON : SEG_FORMAT_TEXT,
                                  write_stdout, NULL) != SEG_OK) {
                fprintf(stderr, "segment: %s\n", seg_rules_errmsg(rs[i]));
                return EXIT_INPUT;
            }
        return 0;
    }
    const char *by = t->by ? t->by : last_col;
    if (!by && (t->summary || t->crosstab)) {
        fprintf(stderr, "segment: no tier column: give --by COLUMN\n");
        return EXIT_USAGE;
    }
    if (t->crosstab) {
        if (seg_dataset_crosstab(ds, by, t->crosstab, fmt, write_stdout,
                                 NULL) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
            return EXIT_INPUT;
        }
        return 0;
    }
    if (t->summary || t->by) {
        const char *vals[16];
        size_t nv = 0;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", t->summary ? t->summary : "");
        for (char *tok = strtok(copy, ","); tok && nv < 16;
             tok = strtok(NULL, ","))
            vals[nv++] = tok;
        if (seg_dataset_summary(ds, by, vals, nv, fmt, write_stdout,
                                NULL) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
            return EXIT_INPUT;
        }
        return 0;
    }
    if (t->call_list) {
        seg_call_list_options o;
        seg_call_list_options_init(&o);
        o.tier_column = last_col;
        o.value_column = t->value;
        o.capacity = (size_t)t->capacity;
        if (t->contact_kind)
            o.contact_kind = t->contact_kind;
        o.exclude_column = t->exclude;
        o.as_of = c->fo.as_of;
        const seg_rules *r = rs[t->n_rules - 1];
        if (seg_rules_call_list(r, ds, &o, write_stdout, NULL) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_rules_errmsg(r));
            return EXIT_INPUT;
        }
        return 0;
    }
    return print_dataset(ds, c->format);
}

enum { TIER_TABLE, TIER_SUMMARY, TIER_CALLS, TIER_REPORT };

static int cmd_tier(int argc, char **argv, int mode)
{
    tier_args t = {0};
    cli c = {0};
    seg_dataset *ds = NULL;
    seg_rules **rs = NULL;
    int rc = tier_options(argc, argv, &t);
    if (rc == 0 && (mode == TIER_TABLE || mode == TIER_CALLS) && t.n_rules == 0)
        rc = usage_error("%s", "at least one --rules FILE is needed");
    if (rc == 0 && mode == TIER_SUMMARY && !t.by && t.n_rules == 0)
        rc = usage_error("%s", "summary: --by COLUMN (or --rules FILE)");
    if (mode == TIER_CALLS)
        t.call_list = 1;
    if (mode == TIER_SUMMARY && !t.summary && !t.crosstab)
        t.summary = "monetary_total";
    if (rc == 0 && mode == TIER_REPORT && !t.output)
        rc = usage_error("%s", "report: -o FILE.html is needed");
    seg_model **kept = NULL;
    if (rc == 0 && mode == TIER_REPORT &&
        !(kept = calloc(t.n_models + 1, sizeof *kept)))
        rc = EXIT_INPUT;
    if (rc == 0)
        rc = parse_args((int)t.n_rest, (char **)t.rest, &c, 0);
    if (rc == 0 && !(rs = calloc(t.n_rules + 1, sizeof *rs)))
        rc = EXIT_INPUT;
    /* compile every rule set before any work */
    for (size_t i = 0; i < t.n_rules && rc == 0; i++) {
        size_t len;
        char *text = read_text(t.rules[i], &len);
        if (!text) {
            fprintf(stderr, "segment: %s: cannot read\n", t.rules[i]);
            rc = EXIT_INPUT;
        } else if (seg_rules_parse(&rs[i], text, len, t.rules[i]) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_errmsg());
            rc = EXIT_INPUT;
        }
        free(text);
    }
    if (rc == 0 && (seg_dataset_new(&ds) != SEG_OK ||
                    seg_dataset_set_threads(ds, c.threads) != SEG_OK ||
                    seg_dataset_load_csv(ds, c.path, &c.csv) != SEG_OK)) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        rc = EXIT_INPUT;
    }
    if (rc == 0 && t.events)
        rc = load_extra(ds, t.events, 0);
    if (rc == 0 && t.attributes)
        rc = load_extra(ds, t.attributes, 1);
    if (rc == 0 && seg_dataset_compute_features(ds, &c.fo) != SEG_OK) {
        fprintf(stderr, "segment: %s\n", seg_dataset_errmsg(ds));
        rc = EXIT_INPUT;
    }
    if (rc == 0)
        rc = run_models(&t, ds, kept);
    /* each rule set writes its own column, so later ones can read it */
    for (size_t i = 0; i < t.n_rules && rc == 0; i++) {
        if (seg_rules_apply(rs[i], ds, NULL) != SEG_OK) {
            fprintf(stderr, "segment: %s\n", seg_rules_errmsg(rs[i]));
            rc = EXIT_INPUT;
        }
    }
    /* the last rule set's column: the newest label column */
    const char *last_col = NULL;
    for (size_t i = seg_dataset_column_count(ds); rc == 0 && i-- > 0 &&
                                                  !last_col;)
        if (seg_dataset_column_type(ds, seg_dataset_column_name(ds, i)) ==
            SEG_COLUMN_LABEL)
            last_col = seg_dataset_column_name(ds, i);
    if (rc == 0 && mode == TIER_REPORT)
        rc = seg_cli_report(t.output, ds, kept, t.n_models,
                            t.n_rules ? last_col : NULL, t.crosstab, c.path);
    else if (rc == 0)
        rc = tier_output(&t, &c, ds, rs, last_col);
    for (size_t i = 0; kept && i < t.n_models; i++)
        seg_model_free(kept[i]);
    free(kept);
    if (rc == 0 && fflush(stdout) != 0)
        rc = EXIT_INPUT;
    for (size_t i = 0; rs && i < t.n_rules; i++)
        seg_rules_free(rs[i]);
    free(rs);
    seg_dataset_free(ds);
    cli_free(&c);
    tier_free(&t);
    return rc;
}

static int cmd_models(void)
{
    static const char *const types[] = {"", "number", "integer", "text"};
    for (size_t i = 0; i < seg_model_kind_count(); i++) {
        seg_model *m;
        if (seg_model_new(&m, seg_model_kind_name(i)) != SEG_OK)
            continue;
        printf("%s\n", seg_model_kind(m));
        for (size_t j = 0; j < seg_model_param_count(m); j++) {
            seg_param_def d;
            seg_param_def_init(&d);
            seg_model_param_info(m, j, &d);
            printf("  %-20s %-8s ", d.name, types[d.type]);
            if (d.type == SEG_PARAM_STR)
                printf("default '%s'%s%s", d.default_str ? d.default_str : "",
                       d.choices ? ", one of " : "",
                       d.choices ? d.choices : "");
            else
                printf("default %g, %g..%g", d.default_num, d.min, d.max);
            printf("\n      %s\n", d.description ? d.description : "");
        }
        seg_model_free(m);
    }
    return fflush(stdout) == 0 ? 0 : EXIT_INPUT;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("segment %s (library %s)\n", SEG_VERSION_STRING,
               seg_version_string());
        return 0;
    }
    if (strcmp(argv[1], "features") == 0)
        return cmd_features(argc - 2, argv + 2);
    if (strcmp(argv[1], "score") == 0) {
        /* with rule sets, score runs the models and then the rules */
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--rules") == 0)
                return cmd_tier(argc - 2, argv + 2, TIER_TABLE);
        return cmd_score(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "models") == 0)
        return cmd_models();
    if (strcmp(argv[1], "fit") == 0)
        return cmd_fit(argc - 2, argv + 2);
    if (strcmp(argv[1], "tier") == 0)
        return cmd_tier(argc - 2, argv + 2, TIER_TABLE);
    if (strcmp(argv[1], "summary") == 0)
        return cmd_tier(argc - 2, argv + 2, TIER_SUMMARY);
    if (strcmp(argv[1], "calls") == 0)
        return cmd_tier(argc - 2, argv + 2, TIER_CALLS);
    if (strcmp(argv[1], "report") == 0)
        return cmd_tier(argc - 2, argv + 2, TIER_REPORT);
    if (strcmp(argv[1], "holdout") == 0)
        return cmd_table("holdout", argc - 2, argv + 2);
    if (strcmp(argv[1], "table") == 0) {
        if (argc < 3)
            return usage_error("%s", "table: which table? (holdout, "
                                     "profile, silhouette)");
        return cmd_table(argv[2], argc - 3, argv + 3);
    }
    return usage_error("unknown command '%s'", argv[1]);
}
