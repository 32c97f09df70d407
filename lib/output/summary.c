/* Tier summaries and crosstabs of label columns, made as seg_table and
 * written through the one writer. */
#include <math.h>
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
        return seg__error(seg__ds_err(ds), SEG_ETYPE,
                          "'%s' is not a label column", name);
    *out = c;
    return SEG_OK;
}

/* Group index of a row: label index + 1, 0 for missing. */
static size_t group_of(const seg__column *c, size_t row)
{
    return row < c->n ? c->lab[row] : 0;
}

/* The label of a group; NULL for the missing one. */
static const char *group_label(const seg__column *c, size_t g)
{
    return g ? seg__intern_str(&c->labels, (uint32_t)(g - 1)) : NULL;
}

static int check_format(const seg_dataset *ds, int format)
{
    if (format != SEG_FORMAT_CSV && format != SEG_FORMAT_JSON)
        return seg__error(seg__ds_err(ds), SEG_EINVAL, "unknown format %d",
                          format);
    return SEG_OK;
}

/* A table builder's status as the dataset's error. */
static int built(const seg_dataset *ds, int rc)
{
    if (rc == SEG_ENOMEM)
        return seg__nomem(seg__ds_err(ds));
    if (rc)
        return seg__error(seg__ds_err(ds), rc, "cannot build the table");
    return SEG_OK;
}

/* "<name><suffix>", owned by the caller. */
static char *suffixed(const char *name, const char *suffix)
{
    size_t a = strlen(name), b = strlen(suffix);
    char *s = seg__malloc(a + b + 1);
    if (s) {
        memcpy(s, name, a);
        memcpy(s + a, suffix, b + 1);
    }
    return s;
}

/* ---- the tier summary ---- */

/* Per-group counts and totals of the value columns. */
typedef struct summary_sums {
    size_t ng;           /* groups: labels + 1 (missing is group 0) */
    double *count;       /* ng */
    ksum *tot;           /* ng * n_values */
    ksum *all;           /* n_values */
} summary_sums;

static void sums_free(summary_sums *s)
{
    seg__free(s->count);
    seg__free(s->tot);
    seg__free(s->all);
}

static int make_summary(seg_table **out, const seg_dataset *ds,
                        const seg__column *lc, const char *label_column,
                        const char *const *value_columns, size_t n_values,
                        const summary_sums *s)
{
    size_t nc = 3 + 3 * n_values, n = seg__ds_n(ds);
    const char **names = seg__calloc(nc, sizeof *names);
    int *types = seg__calloc(nc, sizeof *types);
    char **owned = seg__calloc(3 * n_values + 1, sizeof *owned);
    int rc = names && types && owned ? SEG_OK : SEG_ENOMEM;
    static const char *const suffix[3] = {"_total", "_mean", "_share"};
    if (!rc) {
        names[0] = label_column;
        names[1] = "count";
        names[2] = "share";
        types[0] = SEG_COLUMN_LABEL;
        types[1] = types[2] = SEG_COLUMN_NUMERIC;
    }
    for (size_t i = 0; i < 3 * n_values && !rc; i++) {
        owned[i] = suffixed(value_columns[i / 3], suffix[i % 3]);
        names[3 + i] = owned[i];
        types[3 + i] = SEG_COLUMN_NUMERIC;
        if (!owned[i])
            rc = SEG_ENOMEM;
    }
    seg_table *t = NULL;
    if (!rc)
        rc = seg__table_new(&t, "summary", nc, names, types);
    for (size_t g = 1; g <= s->ng && !rc; g++) {
        size_t gi = g % s->ng; /* labels in order, missing last */
        if (s->count[gi] == 0)
            continue;
        size_t r;
        rc = seg__table_add_row(t, &r);
        if (!rc)
            rc = seg__table_set_text(t, r, 0, group_label(lc, gi));
        if (!rc)
            rc = seg__table_set_num(t, r, 1, s->count[gi]);
        if (!rc)
            rc = seg__table_set_num(t, r, 2, s->count[gi] / (double)n);
        for (size_t v = 0; v < n_values && !rc; v++) {
            double tv = ksum_value(&s->tot[gi * n_values + v]);
            double whole = ksum_value(&s->all[v]);
            rc = seg__table_set_num(t, r, 3 + 3 * v, tv);
            if (!rc)
                rc = seg__table_set_num(t, r, 4 + 3 * v, tv / s->count[gi]);
            if (!rc)
                rc = seg__table_set_num(t, r, 5 + 3 * v,
                                        whole != 0 ? tv / whole : NAN);
        }
    }
    for (size_t i = 0; owned && i < 3 * n_values; i++)
        seg__free(owned[i]);
    seg__free(owned);
    seg__free(names);
    seg__free(types);
    if (rc) {
        seg_table_free(t);
        return built(ds, rc);
    }
    *out = t;
    return SEG_OK;
}

int seg_dataset_summary_table(seg_table **out, const seg_dataset *ds,
                              const char *label_column,
                              const char *const *value_columns,
                              size_t n_values)
{
    if (out)
        *out = NULL;
    if (!out || !ds || (n_values && !value_columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_summary_table: NULL argument");
    const seg__column *lc = NULL;
    int rc = find_label_column(ds, label_column, &lc);
    if (rc)
        return rc;
    size_t nv = n_values ? n_values : 1, n = seg__ds_n(ds);
    summary_sums s = {lc->labels.n + 1, NULL, NULL, NULL};
    const seg__column **vc = seg__calloc(nv, sizeof *vc);
    s.count = seg__calloc(s.ng, sizeof *s.count);
    s.tot = seg__calloc(s.ng * nv, sizeof *s.tot);
    s.all = seg__calloc(nv, sizeof *s.all);
    if (!vc || !s.count || !s.tot || !s.all)
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
        s.count[g]++;
        for (size_t v = 0; v < n_values; v++) {
            double x = seg__column_num(vc[v], i);
            if (!isnan(x)) {
                ksum_add(&s.tot[g * n_values + v], x);
                ksum_add(&s.all[v], x);
            }
        }
    }
    if (!rc)
        rc = make_summary(out, ds, lc, label_column, value_columns, n_values,
                          &s);
    seg__free(vc);
    sums_free(&s);
    return rc;
}

/* The JSON of seg_dataset_summary(): per row, the label, count and share,
 * and an object per value column. */
static void summary_json(seg__writer *w, const seg_table *t,
                         const char *const *value_columns, size_t n_values)
{
    seg__w_raw(w, "[", 1);
    for (size_t r = 0; r < seg_table_row_count(t) && !w->rc; r++) {
        seg__w_str(w, r ? ",\n{\"label\":" : "\n{\"label\":");
        seg__w_text(w, seg_table_text(t, r, 0));
        seg__w_str(w, ",\"count\":");
        seg__w_num(w, seg_table_f64(t, r, 1));
        seg__w_str(w, ",\"share\":");
        seg__w_num(w, seg_table_f64(t, r, 2));
        for (size_t v = 0; v < n_values; v++) {
            seg__w_raw(w, ",", 1);
            seg__w_text(w, value_columns[v]);
            seg__w_str(w, ":{\"total\":");
            seg__w_num(w, seg_table_f64(t, r, 3 + 3 * v));
            seg__w_str(w, ",\"mean\":");
            seg__w_num(w, seg_table_f64(t, r, 4 + 3 * v));
            seg__w_str(w, ",\"share\":");
            seg__w_num(w, seg_table_f64(t, r, 5 + 3 * v));
            seg__w_raw(w, "}", 1);
        }
        seg__w_raw(w, "}", 1);
    }
    seg__w_str(w, "\n]\n");
}

int seg_dataset_summary(const seg_dataset *ds, const char *label_column,
                        const char *const *value_columns, size_t n_values,
                        int format, seg_write_fn write, void *user_data)
{
    if (!ds || !write || (n_values && !value_columns))
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_summary: NULL argument");
    int rc = check_format(ds, format);
    seg_table *t = NULL;
    if (!rc)
        rc = seg_dataset_summary_table(&t, ds, label_column, value_columns,
                                       n_values);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    if (format == SEG_FORMAT_JSON)
        summary_json(&w, t, value_columns, n_values);
    else
        seg__table_write(&w, t);
    seg_table_free(t);
    return seg__w_finish(&w, seg__ds_err(ds));
}

/* ---- the crosstab ---- */

int seg_dataset_crosstab_table(seg_table **out, const seg_dataset *ds,
                               const char *row_column, const char *col_column)
{
    if (out)
        *out = NULL;
    if (!out || !ds)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_crosstab_table: NULL argument");
    const seg__column *rcol = NULL, *ccol = NULL;
    int rc = find_label_column(ds, row_column, &rcol);
    if (!rc)
        rc = find_label_column(ds, col_column, &ccol);
    if (rc)
        return rc;
    size_t nr = rcol->labels.n + 1, nc = ccol->labels.n + 1;
    if (nr > 100000 / nc + 1)
        return seg__error(seg__ds_err(ds), SEG_ELIMIT,
                          "crosstab of %zu x %zu labels is too large", nr, nc);
    double *cell = seg__calloc(nr * nc, sizeof *cell);
    double *rt = seg__calloc(nr, sizeof *rt), *ct = seg__calloc(nc, sizeof *ct);
    size_t *tcol = seg__calloc(nc, sizeof *tcol); /* table column of a label */
    const char **names = seg__calloc(nc + 2, sizeof *names);
    int *types = seg__calloc(nc + 2, sizeof *types);
    seg_table *t = NULL;
    if (!cell || !rt || !ct || !tcol || !names || !types)
        rc = SEG_ENOMEM;
    for (size_t i = 0; i < seg__ds_n(ds) && !rc; i++) {
        size_t a = group_of(rcol, i), c = group_of(ccol, i);
        cell[a * nc + c]++;
        rt[a]++;
        ct[c]++;
    }
    size_t k = 0;
    if (!rc) {
        names[k] = row_column;
        types[k++] = SEG_COLUMN_LABEL;
        for (size_t c = 1; c <= nc; c++) {
            size_t ci = c % nc; /* labels in order, missing last */
            if (ct[ci] == 0)
                continue;
            const char *l = group_label(ccol, ci);
            tcol[ci] = k;
            names[k] = l ? l : "";
            types[k++] = SEG_COLUMN_NUMERIC;
        }
        names[k] = "total";
        types[k++] = SEG_COLUMN_NUMERIC;
        rc = seg__table_new(&t, "crosstab", k, names, types);
    }
    for (size_t a = 1; a <= nr && !rc; a++) {
        size_t ai = a % nr, r;
        if (rt[ai] == 0)
            continue;
        rc = seg__table_add_row(t, &r);
        if (!rc)
            rc = seg__table_set_text(t, r, 0, group_label(rcol, ai));
        for (size_t c = 0; c < nc && !rc; c++)
            if (ct[c] > 0)
                rc = seg__table_set_num(t, r, tcol[c], cell[ai * nc + c]);
        if (!rc)
            rc = seg__table_set_num(t, r, k - 1, rt[ai]);
    }
    size_t r;
    if (!rc)
        rc = seg__table_add_row(t, &r);
    if (!rc)
        rc = seg__table_set_text(t, r, 0, "total");
    for (size_t c = 0; c < nc && !rc; c++)
        if (ct[c] > 0)
            rc = seg__table_set_num(t, r, tcol[c], ct[c]);
    if (!rc)
        rc = seg__table_set_num(t, r, k - 1, (double)seg__ds_n(ds));
    seg__free(cell);
    seg__free(rt);
    seg__free(ct);
    seg__free(tcol);
    seg__free(names);
    seg__free(types);
    if (rc) {
        seg_table_free(t);
        return built(ds, rc);
    }
    *out = t;
    return SEG_OK;
}

/* The JSON of seg_dataset_crosstab(): the two column names, the counts as
 * an object of objects keyed by the labels, the grand total. */
static void crosstab_json(seg__writer *w, const seg_table *t,
                          const char *col_column)
{
    size_t nr = seg_table_row_count(t), nc = seg_table_column_count(t);
    seg__w_str(w, "{\"rows\":");
    seg__w_text(w, seg_table_column_name(t, 0));
    seg__w_str(w, ",\"columns\":");
    seg__w_text(w, col_column);
    seg__w_str(w, ",\"counts\":{");
    for (size_t r = 0; r + 1 < nr && !w->rc; r++) { /* the last is "total" */
        const char *l = seg_table_text(t, r, 0);
        if (r)
            seg__w_raw(w, ",", 1);
        seg__w_text(w, l ? l : "");
        seg__w_str(w, ":{");
        for (size_t c = 1; c + 1 < nc; c++) {
            if (c > 1)
                seg__w_raw(w, ",", 1);
            seg__w_text(w, seg_table_column_name(t, c));
            seg__w_raw(w, ":", 1);
            seg__w_num(w, seg_table_f64(t, r, c));
        }
        seg__w_raw(w, "}", 1);
    }
    seg__w_str(w, "},\"total\":");
    seg__w_num(w, seg_table_f64(t, nr - 1, nc - 1));
    seg__w_str(w, "}\n");
}

int seg_dataset_crosstab(const seg_dataset *ds, const char *row_column,
                         const char *col_column, int format,
                         seg_write_fn write, void *user_data)
{
    if (!ds || !write)
        return seg__error(ds ? seg__ds_err(ds) : NULL, SEG_EINVAL,
                          "seg_dataset_crosstab: NULL argument");
    int rc = check_format(ds, format);
    seg_table *t = NULL;
    if (!rc)
        rc = seg_dataset_crosstab_table(&t, ds, row_column, col_column);
    if (rc)
        return rc;
    seg__writer w;
    seg__w_init(&w, format, write, user_data);
    if (format == SEG_FORMAT_JSON)
        crosstab_json(&w, t, col_column);
    else
        seg__table_write(&w, t);
    seg_table_free(t);
    return seg__w_finish(&w, seg__ds_err(ds));
}
