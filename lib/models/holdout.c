/* The calibration/holdout report: predicted against actual purchases
 * in the holdout period, by calibration frequency. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/struct.h"

static const char *col_param(const seg_model *m, const char *param,
                             const char *def)
{
    const char *v;
    return seg_model_get_str(m, param, &v) == SEG_OK && *v ? v : def;
}

int seg__holdout_report(const seg_model *m, const seg_dataset *ds,
                          int format, seg_write_fn write, void *user_data)
{
    if (!ds)
        return seg__model_error(m, SEG_EINVAL, "holdout: dataset is NULL");
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
    enum { B = 8 };
    double cnt[B + 1] = {0}, pred[B + 1] = {0}, act[B + 1] = {0}, mae = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (isnan(v[0][i]) || isnan(v[3][i]))
            continue; /* no calibration purchase: not predicted */
        double args[4] = {v[4][i], v[0][i], v[1][i], v[2][i]}, e;
        rc = seg_model_eval(m, "expected", args, 4, &e);
        if (rc == SEG_ENOTFOUND)
            rc = seg__model_error(m, rc, "model '%s' has no holdout report: "
                                  "it predicts no purchases", m->name);
        if (rc)
            break;
        int b = v[0][i] >= 7 ? 7 : (int)v[0][i];
        cnt[b]++, pred[b] += e, act[b] += v[3][i];
        cnt[B]++, pred[B] += e, act[B] += v[3][i];
        mae += fabs(e - v[3][i]);
    }
    seg__buf out = {NULL, 0, 0};
    bool json = format == SEG_FORMAT_JSON;
    if (!rc)
        rc = seg__buf_append(&out, json ? "{\"rows\":[\n" :
                             "frequency,customers,predicted,actual\n",
                             json ? 10 : 37) ? SEG_ENOMEM : SEG_OK;
    for (int b = 0; b <= B && !rc; b++) {
        if (b < B && cnt[b] == 0)
            continue;
        char label[8], line[256], p[40], a[40];
        snprintf(label, sizeof label, "%s", b == B ? "total" : b == 7 ? "7+" : "");
        if (b < 7)
            snprintf(label, sizeof label, "%d", b);
        seg__format_f64(p, cnt[b] ? pred[b] / cnt[b] : 0);
        seg__format_f64(a, cnt[b] ? act[b] / cnt[b] : 0);
        int len = json ? snprintf(line, sizeof line,
                                  "%s{\"frequency\":\"%s\",\"customers\":%.0f,"
                                  "\"predicted\":%s,\"actual\":%s}",
                                  out.len > 10 ? ",\n" : "", label, cnt[b], p, a)
                       : snprintf(line, sizeof line, "%s,%.0f,%s,%s\n", label,
                                  cnt[b], p, a);
        if (seg__buf_append(&out, line, (size_t)len))
            rc = SEG_ENOMEM;
    }
    if (!rc) {
        char line[128], e[40];
        seg__format_f64(e, cnt[B] ? mae / cnt[B] : 0);
        int len = json ? snprintf(line, sizeof line, "\n],\"mae\":%s}\n", e)
                       : snprintf(line, sizeof line, "mae,%.0f,%s,\n", cnt[B], e);
        if (seg__buf_append(&out, line, (size_t)len))
            rc = SEG_ENOMEM;
    }
    if (rc == SEG_ENOMEM)
        seg__nomem(&m->err);
    if (!rc && write(out.data, out.len, user_data) != 0)
        rc = seg__model_error(m, SEG_EIO, "holdout: the writer stopped");
    seg__buf_free(&out);
    for (int c = 0; c < 5; c++)
        seg__free(v[c]);
    return rc;
}
