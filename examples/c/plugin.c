/* A host-written model: "big_spender" flags customers whose spend is above
 * a multiple of the mean learned at fit time. It is registered through
 * seg_model_register() and then used like a built-in model.
 *
 *   ./plugin cdnow_sample.txt
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

typedef struct spender {
    double mean; /* learned at fit time */
} spender;

static int sp_create(void **state, void *user_data)
{
    (void)user_data;
    *state = calloc(1, sizeof(spender));
    return *state ? SEG_OK : SEG_ENOMEM;
}

static void sp_destroy(void *state, void *user_data)
{
    (void)user_data;
    free(state);
}

static int read_column(const seg_model *m, const seg_dataset *ds,
                       double **out)
{
    const char *col;
    seg_model_get_str(m, "column", &col);
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return SEG_ENOMEM;
    int rc = seg_dataset_copy_f64(ds, col, v, n);
    if (rc) {
        free(v);
        return seg_model_set_error(m, rc, seg_dataset_errmsg(ds));
    }
    *out = v;
    return SEG_OK;
}

static int sp_fit(void *state, seg_model *m, const seg_dataset *ds,
                  void *user_data)
{
    (void)user_data;
    double *v, sum = 0;
    size_t n = seg_dataset_customer_count(ds), cnt = 0;
    int rc = read_column(m, ds, &v);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            cnt++;
        }
    free(v);
    if (cnt == 0)
        return seg_model_set_error(m, SEG_ERANGE, "no values to learn from");
    ((spender *)state)->mean = sum / (double)cnt;
    return SEG_OK;
}

static int sp_score(void *state, const seg_model *m, seg_dataset *ds,
                    const char *prefix, void *user_data)
{
    (void)user_data;
    double factor, *v;
    seg_model_get_f64(m, "factor", &factor);
    int rc = read_column(m, ds, &v);
    if (rc)
        return rc;
    size_t n = seg_dataset_customer_count(ds);
    const char **flag = calloc(n ? n : 1, sizeof *flag);
    if (!flag) {
        free(v);
        return SEG_ENOMEM;
    }
    double limit = factor * ((const spender *)state)->mean;
    for (size_t i = 0; i < n; i++)
        flag[i] = isnan(v[i]) ? NULL : v[i] > limit ? "yes" : "no";
    char name[256];
    snprintf(name, sizeof name, "%s.flag", prefix);
    rc = seg_dataset_write_labels(ds, name, flag, n);
    free(flag);
    free(v);
    return rc ? seg_model_set_error(m, rc, seg_dataset_errmsg(ds)) : SEG_OK;
}

static int sp_save(void *state, const seg_model *m, seg_write_fn write,
                   void *write_user_data, void *user_data)
{
    (void)m;
    (void)user_data;
    char line[64];
    int n = snprintf(line, sizeof line, "%.17g", ((spender *)state)->mean);
    return write(line, (size_t)n, write_user_data) ? SEG_EIO : SEG_OK;
}

static int sp_load(void *state, seg_model *m, const char *text, size_t len,
                   void *user_data)
{
    (void)user_data;
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return seg_model_set_error(m, SEG_EPARSE, "bad state");
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    ((spender *)state)->mean = strtod(buf, &end);
    return *end ? seg_model_set_error(m, SEG_EPARSE, "bad state") : SEG_OK;
}

int register_big_spender(void);

int register_big_spender(void)
{
    seg_param_def params[2];
    seg_param_def_init(&params[0]);
    params[0].name = "column";
    params[0].type = SEG_PARAM_STR;
    params[0].description = "the spend column";
    params[0].default_str = "monetary_total";
    seg_param_def_init(&params[1]);
    params[1].name = "factor";
    params[1].type = SEG_PARAM_F64;
    params[1].description = "a big spender spends this many times the mean";
    params[1].min = 0;
    params[1].max = 1000;
    params[1].default_num = 3;

    seg_model_class cls;
    memset(&cls, 0, sizeof cls);
    cls.size = sizeof cls;
    cls.kind = "big_spender";
    cls.description = "flags customers who spend far above the mean";
    cls.params = params;
    cls.n_params = 2;
    cls.param_def_size = sizeof(seg_param_def);
    cls.create = sp_create;
    cls.destroy = sp_destroy;
    cls.fit = sp_fit;
    cls.score = sp_score;
    cls.save = sp_save;
    cls.load = sp_load;
    return seg_model_register(&cls, NULL, NULL);
}

#ifndef PLUGIN_NO_MAIN
int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRANSACTIONS.txt\n", argv[0]);
        return 1;
    }
    if (register_big_spender() != SEG_OK) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    seg_dataset *ds;
    seg_model *m;
    seg_csv_options csv;
    seg_csv_options_init(&csv);
    csv.has_header = 0;
    csv.id_column = "1";
    csv.time_column = "3";
    csv.amount_column = "5";
    if (seg_dataset_new(&ds) || seg_dataset_load_csv(ds, argv[1], &csv) ||
        seg_dataset_compute_features(ds, NULL)) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    if (seg_model_new(&m, "big_spender") || seg_model_set_f64(m, "factor", 5) ||
        seg_model_fit(m, ds) || seg_model_score(m, ds)) {
        fprintf(stderr, "%s\n", seg_errmsg());
        return 1;
    }
    size_t n = seg_dataset_customer_count(ds), big = 0;
    for (size_t i = 0; i < n; i++) {
        const char *flag;
        seg_dataset_get_label(ds, "big_spender.flag", i, &flag);
        big += flag && strcmp(flag, "yes") == 0;
    }
    printf("%zu of %zu customers spend over 5 times the mean\n", big, n);
    seg_model_free(m);
    seg_dataset_free(ds);
    return 0;
}
#endif
