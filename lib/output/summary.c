/* Tier summaries and crosstabs of label columns. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "output/internal.h"

static int find_label_column(const seg_dataset *ds, const char *name,
                        const seg__column **out)
{
    const seg__column *c = name ? seg__ds_find_column(ds, name) : NULL;
    if (!c)
        return seg__error(seg__ds_err(ds), SEG_ENOTFOUND, "no column '%s'",
                          name ? name : "(null)");
    if (c->type != SEG_COLUMN_LABEL)
        return seg__error(seg__ds_err(ds), SEG_ETYPE, "'%s' is not a label column",
                          name);
    *out = c;
    return SEG_OK;
}

/* Group index of a row: label index + 1, 0 for missing. */
static size_t group_of(const seg__column *c, size_t row)
{
    return row < c->n ? c->lab[row] : 0;
}

static const char *group_name(const seg__column *c, size_t g)
{
    return g ? seg__intern_str(&c->labels, (uint32_t)(g - 1)) : "";
}

static int emit(seg__buf *b, const char *fmt, ...) SEG__PRINTF(2, 3);
static int emit(seg__buf *b, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return n < 0 || seg__buf_append(b, line, (size_t)n) ? SEG_ENOMEM : SEG_OK;
}

static int json_str(seg__buf *b, const char *s)
{
    int rc = seg__buf_append(b, "\"", 1);
    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;
        rc = c == '"' || c == '\\' ? emit(b, "\\%c", c)
             : c < 0x20             ? emit(b, "\\u%04x", c)
                                    : seg__buf_append(b, s, 1);
    }
    return rc ? SEG_ENOMEM : seg__buf_append(b, "\"", 1);
}

static int num(seg__buf *b, double v, bool json)
{
    char t[40];
    if (isnan(v))
        return json ? emit(b, "null") : SEG_OK;
    seg__format_f64(t, v);
    return emit(b, "%s", t);
}

static int finish(const seg_dataset *ds, seg__buf *b, int rc,
                  seg_write_fn write, void *user_data)
{
    if (rc)
        rc = seg__nomem(seg__ds_err(ds));
    else if (write(b->data ? b->data : "", b->len, user_data) != 0)
        rc = seg__error(seg__ds_err(ds), SEG_EIO, "the writer stopped");
    seg__buf_free(b);
    return rc;
}

int seg_dataset_summary(const seg_dataset *ds, const char *label_column,
                        const char *const *value_columns, size_t n_values,
                        int format, seg_write_fn write, void *user_data)
{
    if (!ds || !write || (n_values && !value_columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_summary: NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown format %d", format);
    const seg__column *lc;
    int rc = find_label_column(ds, label_column, &lc);
    if (rc)
        return rc;
    const seg__column **vc = seg__calloc(n_values ? n_values : 1, sizeof *vc);
    size_t ng = lc->labels.n + 1, n = seg__ds_n(ds);
    double *count = seg__calloc(ng, sizeof *count);
    ksum *tot = seg__calloc(ng * (n_values ? n_values : 1), sizeof *tot);
    ksum *all = seg__calloc(n_values ? n_values : 1, sizeof *all);
    if (!vc || !count || !tot || !all)
        rc = seg__nomem(seg__ds_err(ds));
    for (size_t v = 0; v < n_values && !rc; v++) {
        vc[v] = value_columns[v] ? seg__ds_find_column(ds, value_columns[v])
                                 : NULL;
        if (!vc[v] || vc[v]->type != SEG_COLUMN_NUMERIC)
            rc = seg__error(seg__ds_err(ds), vc[v] ? SEG_ETYPE : SEG_ENOTFOUND,
                            "no numeric column '%s'",
                            value_columns[v] ? value_columns[v] : "(null)");
    }
    for (size_t i = 0; i < n && !rc; i++) {
        size_t g = group_of(lc, i);
        count[g]++;
        for (size_t v = 0; v < n_values; v++) {
            double x = seg__column_num(vc[v], i);
            if (!isnan(x)) {
                ksum_add(&tot[g * n_values + v], x);
                ksum_add(&all[v], x);
            }
        }
    }
    seg__buf b = {NULL, 0, 0};
    bool json = format == SEG_FORMAT_JSON;
    if (!rc) {
        rc = json ? emit(&b, "[") : seg__csv_field(&b, label_column) ||
                                        emit(&b, ",count,share");
        for (size_t v = 0; v < n_values && !rc && !json; v++)
            rc = emit(&b, ",") || seg__csv_field(&b, value_columns[v]) ||
                 emit(&b, "_total,") || seg__csv_field(&b, value_columns[v]) ||
                 emit(&b, "_mean,") || seg__csv_field(&b, value_columns[v]) ||
                 emit(&b, "_share");
        if (!rc && !json)
            rc = emit(&b, "\n");
    }
    bool first = true;
    for (size_t g = 1; g <= ng && !rc; g++) {
        size_t gi = g % ng; /* labels in order, missing last */
        if (count[gi] == 0)
            continue;
        if (json) {
            rc = emit(&b, "%s\n{\"label\":", first ? "" : ",");
            if (!rc)
                rc = gi ? json_str(&b, group_name(lc, gi)) : emit(&b, "null");
            if (!rc)
                rc = emit(&b, ",\"count\":%.0f,\"share\":", count[gi]);
        } else {
            rc = seg__csv_field(&b, group_name(lc, gi)) ||
                 emit(&b, ",%.0f,", count[gi]);
        }
        if (!rc)
            rc = num(&b, n ? count[gi] / (double)n : NAN, json);
        for (size_t v = 0; v < n_values && !rc; v++) {
            double t = ksum_value(&tot[gi * n_values + v]);
            double whole = ksum_value(&all[v]);
            if (json) {
                rc = emit(&b, ",");
                if (!rc)
                    rc = json_str(&b, value_columns[v]);
                if (!rc)
                    rc = emit(&b, ":{\"total\":");
            } else {
                rc = emit(&b, ",");
            }
            if (!rc)
                rc = num(&b, t, json) || emit(&b, json ? ",\"mean\":" : ",") ||
                     num(&b, t / count[gi], json) ||
                     emit(&b, json ? ",\"share\":" : ",") ||
                     num(&b, whole != 0 ? t / whole : NAN, json) ||
                     (json && emit(&b, "}"));
        }
        if (!rc)
            rc = emit(&b, json ? "}" : "\n");
        first = false;
    }
    if (!rc && json)
        rc = emit(&b, "\n]\n");
    seg__free(vc);
    seg__free(count);
    seg__free(tot);
    seg__free(all);
    if (rc && rc != SEG_ENOMEM) {
        seg__buf_free(&b);
        return rc;
    }
    return finish(ds, &b, rc, write, user_data);
}

int seg_dataset_crosstab(const seg_dataset *ds, const char *row_column,
                         const char *col_column, int format,
                         seg_write_fn write, void *user_data)
{
    if (!ds || !write)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_crosstab: NULL argument");
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown format %d", format);
    const seg__column *rc_, *cc;
    int rc = find_label_column(ds, row_column, &rc_);
    if (!rc)
        rc = find_label_column(ds, col_column, &cc);
    if (rc)
        return rc;
    size_t nr = rc_->labels.n + 1, nc = cc->labels.n + 1;
    if (nr > 100000 / nc + 1)
        return seg__error(seg__ds_err(ds), SEG_ELIMIT, "crosstab of %zu x %zu labels "
                          "is too large", nr, nc);
    double *cell = seg__calloc(nr * nc, sizeof *cell);
    double *rt = seg__calloc(nr, sizeof *rt), *ct = seg__calloc(nc, sizeof *ct);
    if (!cell || !rt || !ct) {
        seg__free(cell), seg__free(rt), seg__free(ct);
        return seg__nomem(seg__ds_err(ds));
    }
    for (size_t i = 0; i < seg__ds_n(ds); i++) {
        size_t a = group_of(rc_, i), c = group_of(cc, i);
        cell[a * nc + c]++;
        rt[a]++;
        ct[c]++;
    }
    seg__buf b = {NULL, 0, 0};
    bool json = format == SEG_FORMAT_JSON;
    if (json) {
        rc = emit(&b, "{\"rows\":");
        if (!rc)
            rc = json_str(&b, row_column);
        if (!rc)
            rc = emit(&b, ",\"columns\":");
        if (!rc)
            rc = json_str(&b, col_column);
        if (!rc)
            rc = emit(&b, ",\"counts\":{");
    } else {
        rc = seg__csv_field(&b, row_column);
        for (size_t c = 1; c <= nc && !rc; c++)
            if (ct[c % nc] > 0)
                rc = emit(&b, ",") || seg__csv_field(&b, group_name(cc, c % nc));
        if (!rc)
            rc = emit(&b, ",total\n");
    }
    bool firstr = true;
    for (size_t a = 1; a <= nr && !rc; a++) {
        size_t ai = a % nr;
        if (rt[ai] == 0)
            continue;
        if (json) {
            rc = emit(&b, "%s", firstr ? "" : ",") ||
                 json_str(&b, group_name(rc_, ai)) || emit(&b, ":{");
            bool first = true;
            for (size_t c = 1; c <= nc && !rc; c++) {
                size_t ci = c % nc;
                if (ct[ci] == 0)
                    continue;
                rc = emit(&b, "%s", first ? "" : ",") ||
                     json_str(&b, group_name(cc, ci)) ||
                     emit(&b, ":%.0f", cell[ai * nc + ci]);
                first = false;
            }
            if (!rc)
                rc = emit(&b, "}");
        } else {
            rc = seg__csv_field(&b, group_name(rc_, ai));
            for (size_t c = 1; c <= nc && !rc; c++)
                if (ct[c % nc] > 0)
                    rc = emit(&b, ",%.0f", cell[ai * nc + c % nc]);
            if (!rc)
                rc = emit(&b, ",%.0f\n", rt[ai]);
        }
        firstr = false;
    }
    if (!rc && !json) {
        rc = emit(&b, "total");
        for (size_t c = 1; c <= nc && !rc; c++)
            if (ct[c % nc] > 0)
                rc = emit(&b, ",%.0f", ct[c % nc]);
        if (!rc)
            rc = emit(&b, ",%zu\n", seg__ds_n(ds));
    }
    if (!rc && json)
        rc = emit(&b, "},\"total\":%zu}\n", seg__ds_n(ds));
    seg__free(cell);
    seg__free(rt);
    seg__free(ct);
    return finish(ds, &b, rc, write, user_data);
}
