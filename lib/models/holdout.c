/* The calibration/holdout report: predicted against actual purchases
 * in the holdout period, by calibration frequency. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/clv/internal.h"
#include "models/struct.h"

enum { BUCKETS = 8 }; /* frequencies 0 .. 6 and 7+ */

static const char *col_param(const seg_model *m, const char *param,
                             const char *def)
{
    const char *v;
    return seg_model_get_str(m, param, &v) == SEG_OK && *v ? v : def;
}

typedef struct sums {
    double cnt[BUCKETS + 1], pred[BUCKETS + 1], act[BUCKETS + 1], mae;
} sums;

/* Predict every customer with a calibration purchase; the last bucket is
 * the total. */
static int predict(const seg_model *m, const seg_dataset *ds, sums *s)
{
    const char *cols[5] = {col_param(m, "x_column", "frequency"),
                           col_param(m, "t_x_column", "t_x"),
                           col_param(m, "T_column", "T"), "holdout_orders",
                           "holdout_length"};
    size_t n = seg_dataset_customer_count(ds);
    double *v[5] = {NULL};
    int rc = SEG_OK;
    for (int c = 0; c < 5 && !rc; c++) {
        v[c] = seg__malloc((n ? n : 1) * sizeof **v);
        if (!v[c])
            rc = seg__nomem(&m->err);
        else if ((rc = seg_dataset_copy_f64(ds, cols[c], v[c], n)) != SEG_OK)
            seg__model_error(m, rc, "holdout: %s", seg_dataset_errmsg(ds));
    }
    /* with covariates, each customer's own values follow the history */
    bool *has = rc ? NULL : seg__calloc(n ? n : 1, sizeof *has);
    double *z = NULL;
    size_t k = 0;
    if (!rc && !has)
        rc = seg__nomem(&m->err);
    for (size_t i = 0; i < n && !rc; i++)
        has[i] = !isnan(v[0][i]) && !isnan(v[3][i]);
    if (!rc)
        rc = seg__clv_holdout_covariates(m, ds, has, &z, &k);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!has[i])
            continue; /* no calibration purchase: not predicted */
        double args[4 + SEG__COV_MAX] = {v[4][i], v[0][i], v[1][i], v[2][i]};
        double e;
        for (size_t c = 0; c < k; c++)
            args[4 + c] = z[i * k + c];
        rc = seg_model_eval(m, "expected", args, 4 + k, &e);
        if (rc == SEG_ENOTFOUND)
            rc = seg__model_error(m, rc, "model '%s' has no holdout report: "
                                  "it predicts no purchases", m->name);
        if (rc)
            break;
        int b = v[0][i] >= 7 ? 7 : (int)v[0][i];
        s->cnt[b]++, s->pred[b] += e, s->act[b] += v[3][i];
        s->cnt[BUCKETS]++, s->pred[BUCKETS] += e, s->act[BUCKETS] += v[3][i];
        s->mae += fabs(e - v[3][i]);
    }
    for (int c = 0; c < 5; c++)
        seg__free(v[c]);
    seg__free(has);
    seg__free(z);
    return rc;
}

/* One row a frequency with customers, then "total", then "mae" with the
 * mean absolute error per customer as its prediction. */
int seg__holdout_table(const seg_model *m, const seg_dataset *ds,
                       seg_table **out)
{
    if (!ds)
        return seg__model_error(m, SEG_EINVAL, "holdout: dataset is NULL");
    sums s;
    memset(&s, 0, sizeof s);
    int rc = predict(m, ds, &s);
    if (rc)
        return rc;
    static const char *const names[4] = {"frequency", "customers",
                                         "predicted", "actual"};
    static const int types[4] = {SEG_COLUMN_LABEL, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC};
    seg_table *t = NULL;
    rc = seg__table_new(&t, "holdout", 4, names, types);
    for (int b = 0; b <= BUCKETS + 1 && !rc; b++) {
        if (b < BUCKETS && s.cnt[b] == 0)
            continue;
        char label[8];
        snprintf(label, sizeof label, "%d", b);
        const char *lab = b == BUCKETS + 1 ? "mae" : b == BUCKETS ? "total"
                          : b == 7 ? "7+" : label;
        int k = b > BUCKETS ? BUCKETS : b;
        size_t r;
        rc = seg__table_add_row(t, &r);
        if (!rc)
            rc = seg__table_set_text(t, r, 0, lab);
        if (!rc)
            rc = seg__table_set_num(t, r, 1, s.cnt[k]);
        if (!rc && b > BUCKETS) {
            rc = seg__table_set_num(t, r, 2, s.cnt[k] ? s.mae / s.cnt[k] : 0);
        } else if (!rc) {
            rc = seg__table_set_num(t, r, 2,
                                    s.cnt[k] ? s.pred[k] / s.cnt[k] : 0);
            if (!rc)
                rc = seg__table_set_num(t, r, 3,
                                        s.cnt[k] ? s.act[k] / s.cnt[k] : 0);
        }
    }
    if (rc) {
        seg_table_free(t);
        return seg__nomem(&m->err);
    }
    *out = t;
    return SEG_OK;
}

/* CSV is the table; JSON is {"rows":[...],"mae":E}. */
int seg__holdout_report(const seg_model *m, const seg_dataset *ds,
                        int format, seg_write_fn write, void *user_data)
{
    seg_table *t;
    int rc = seg__holdout_table(m, ds, &t);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    if (format == SEG_FORMAT_JSON) {
        size_t rows = seg_table_row_count(t) - 1; /* without mae */
        seg__w_str(&w, "{\"rows\":[\n");
        for (size_t r = 0; r < rows; r++) {
            seg__w_str(&w, r ? ",\n{" : "{");
            seg__report_json_members(&w, t, r, 0, 4);
            seg__w_str(&w, "}");
        }
        seg__w_str(&w, "\n],\"mae\":");
        seg__w_num(&w, seg_table_f64(t, rows, 2));
        seg__w_str(&w, "}\n");
    } else {
        seg__table_write(&w, t);
    }
    seg_table_free(t);
    rc = seg__w_finish(&w, NULL);
    return rc ? seg__report_write_error(m, "holdout", rc) : SEG_OK;
}
