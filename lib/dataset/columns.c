/* The dataset's columns: one namespace for attributes, features, model
 * outputs and tiers; numbers or labels, with kinds (timestamps, durations,
 * counts, amounts), read and written whole or by cell. */
#include <math.h>
#include <string.h>

#include "dataset/struct.h"

seg__column *seg__ds_find_column(const seg_dataset *ds, const char *name)
{
    for (size_t i = 0; i < ds->n_cols; i++)
        if (strcmp(ds->cols[i]->name, name) == 0)
            return ds->cols[i];
    return NULL;
}

static const char *type_name(int type)
{
    return type == SEG_COLUMN_NUMERIC ? "numeric" : "label";
}

int seg__ds_column(seg_dataset *ds, const char *name, size_t name_len,
                   int type, int origin, seg__column **col)
{
    for (size_t i = 0; i < ds->n_cols; i++) {
        seg__column *c = ds->cols[i];
        if (strlen(c->name) == name_len &&
            memcmp(c->name, name, name_len) == 0) {
            if (c->type != type)
                return seg__error(&ds->err, SEG_ETYPE,
                                  "column '%s' is a %s column, not %s",
                                  c->name, type_name(c->type),
                                  type_name(type));
            *col = c;
            return SEG_OK;
        }
    }
    if (seg__grow((void **)&ds->cols, &ds->cap_cols, ds->n_cols + 1,
                  sizeof *ds->cols))
        return seg__nomem(&ds->err);
    seg__column *c = seg__calloc(1, sizeof *c);
    if (!c || !(c->name = seg__strndup(name, name_len))) {
        seg__free(c);
        return seg__nomem(&ds->err);
    }
    c->type = type;
    c->origin = origin;
    ds->cols[ds->n_cols++] = c;
    *col = c;
    return SEG_OK;
}

/* Make rows 0..row of c exist, filling new ones as missing. */
static int column_extend(seg_dataset *ds, seg__column *c, size_t rows)
{
    if (rows <= c->n)
        return SEG_OK;
    size_t cap = c->cap;
    int rc = c->type == SEG_COLUMN_NUMERIC
                 ? seg__grow((void **)&c->num, &cap, rows, sizeof *c->num)
                 : seg__grow((void **)&c->lab, &cap, rows, sizeof *c->lab);
    if (rc)
        return seg__nomem(&ds->err);
    c->cap = cap;
    for (size_t i = c->n; i < rows; i++) {
        if (c->type == SEG_COLUMN_NUMERIC)
            c->num[i] = NAN;
        else
            c->lab[i] = 0;
    }
    c->n = rows;
    return SEG_OK;
}

int seg__ds_set_num(seg_dataset *ds, seg__column *c, uint32_t row, double v)
{
    if (seg__ds_save_cell(ds, c, row))
        return seg__nomem(&ds->err);
    int rc = column_extend(ds, c, (size_t)row + 1);
    if (rc)
        return rc;
    c->num[row] = v;
    return SEG_OK;
}

bool seg__ds_adopt_num(seg_dataset *ds, seg__column *c, double *vals,
                       size_t n, size_t cap)
{
    /* a column made inside the mark goes away whole on a rollback, so
     * nothing of it needs saving; the rows beyond n must not exist */
    if (c->type != SEG_COLUMN_NUMERIC || c->num || c->n || n > cap ||
        ds->ids.n != n)
        return false;
    c->num = vals;
    c->n = n;
    c->cap = cap;
    return true;
}

int seg__ds_set_label(seg_dataset *ds, seg__column *c, uint32_t row,
                      const char *s, size_t n)
{
    uint32_t code = 0;
    if (s) {
        uint32_t k;
        int rc = seg__intern(&c->labels, s, n, &k, NULL);
        if (rc)
            return rc == SEG_ENOMEM ? seg__nomem(&ds->err)
                                    : seg__error(&ds->err, rc,
                                                 "too many labels");
        code = k + 1;
    }
    if (seg__ds_save_cell(ds, c, row))
        return seg__nomem(&ds->err);
    int rc = column_extend(ds, c, (size_t)row + 1);
    if (rc)
        return rc;
    c->lab[row] = code;
    return SEG_OK;
}

double seg__column_num(const seg__column *c, size_t row)
{
    return row < c->n ? c->num[row] : NAN;
}

const char *seg__column_label(const seg__column *c, size_t row)
{
    if (row >= c->n || c->lab[row] == 0)
        return NULL;
    return seg__intern_str(&c->labels, c->lab[row] - 1);
}

size_t seg_dataset_column_count(const seg_dataset *ds)
{
    return ds ? ds->n_cols : 0;
}

const char *seg_dataset_column_name(const seg_dataset *ds, size_t i)
{
    return ds && i < ds->n_cols ? ds->cols[i]->name : NULL;
}

static int lookup(const seg_dataset *ds, const char *name, int type,
                  const seg__column **out)
{
    if (!ds || !name)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "NULL dataset or column name");
    const seg__column *c = seg__ds_find_column(ds, name);
    if (!c) {
        char ex[64];
        return seg__error(&ds->err, SEG_ENOTFOUND, "no column '%s'",
                          seg__excerpt(ex, sizeof ex, name, strlen(name)));
    }
    if (type && c->type != type)
        return seg__error(&ds->err, SEG_ETYPE, "column '%s' is a %s column",
                          c->name, type_name(c->type));
    *out = c;
    return SEG_OK;
}

int seg_dataset_column_type(const seg_dataset *ds, const char *name)
{
    const seg__column *c;
    int rc = lookup(ds, name, 0, &c);
    return rc ? rc : c->type;
}

static const char *const kind_names[] = {"none", "timestamp", "days",
                                         "weeks", "count", "amount"};

const char *seg_column_kind_name(int kind)
{
    if (kind < 0 || kind >= (int)(sizeof kind_names / sizeof *kind_names))
        return NULL;
    return kind_names[kind];
}

int seg_dataset_column_kind(const seg_dataset *ds, const char *name)
{
    const seg__column *c;
    int rc = lookup(ds, name, 0, &c);
    return rc ? rc : c->kind;
}

int seg_dataset_set_column_kind(seg_dataset *ds, const char *name, int kind)
{
    const seg__column *c;
    int rc = lookup(ds, name, 0, &c);
    if (rc)
        return rc;
    if (!seg_column_kind_name(kind))
        return seg__error(&ds->err, SEG_EINVAL, "unknown column kind %d",
                          kind);
    if (kind != SEG_KIND_NONE && c->type != SEG_COLUMN_NUMERIC)
        return seg__error(&ds->err, SEG_ETYPE, "column '%s' is a label "
                          "column: only numbers have a kind", c->name);
    ((seg__column *)c)->kind = kind; /* ds is ours to change */
    return SEG_OK;
}

/* The column of a cell read by the typed getters, with their checks. */
static int cell_column(const seg_dataset *ds, const char *column, int type,
                       size_t row, const void *out, const seg__column **c)
{
    int rc = lookup(ds, column, type, c);
    if (rc)
        return rc;
    if (!out)
        return seg__error(&ds->err, SEG_EINVAL, "out is NULL");
    if (row >= ds->ids.n)
        return seg__error(&ds->err, SEG_ERANGE, "row %zu out of range (%zu rows)",
                          row, ds->ids.n);
    return SEG_OK;
}

int seg_dataset_get_f64(const seg_dataset *ds, const char *column, size_t row,
                        double *out)
{
    const seg__column *c;
    int rc = cell_column(ds, column, SEG_COLUMN_NUMERIC, row, out, &c);
    if (!rc)
        *out = seg__column_num(c, row);
    return rc;
}

int seg_dataset_get_label(const seg_dataset *ds, const char *column,
                          size_t row, const char **out)
{
    const seg__column *c;
    int rc = cell_column(ds, column, SEG_COLUMN_LABEL, row, out, &c);
    if (!rc)
        *out = seg__column_label(c, row);
    return rc;
}

static int copy_out(const seg_dataset *ds, const char *column, int type,
                    void *dst, size_t n)
{
    const seg__column *c;
    int rc = lookup(ds, column, type, &c);
    if (rc)
        return rc;
    if (!dst)
        return seg__error(&ds->err, SEG_EINVAL, "dst is NULL");
    if (n < ds->ids.n)
        return seg__error(&ds->err, SEG_ERANGE,
                          "destination holds %zu values, %zu needed", n,
                          ds->ids.n);
    for (size_t i = 0; i < ds->ids.n; i++) {
        if (type == SEG_COLUMN_NUMERIC)
            ((double *)dst)[i] = seg__column_num(c, i);
        else
            ((const char **)dst)[i] = seg__column_label(c, i);
    }
    return SEG_OK;
}

int seg_dataset_column_data(seg_dataset *ds, const char *column,
                            const double **out, size_t *n)
{
    const seg__column *c;
    int rc = lookup(ds, column, SEG_COLUMN_NUMERIC, &c);
    if (rc)
        return rc;
    if (!out)
        return seg__error(&ds->err, SEG_EINVAL, "out is NULL");
    seg__column *mc = (seg__column *)c; /* ds is ours to change */
    if ((rc = column_extend(ds, mc, ds->ids.n)) != SEG_OK)
        return rc;
    if (!mc->num) { /* an empty dataset: a valid pointer to nothing */
        size_t cap = mc->cap;
        if (seg__grow((void **)&mc->num, &cap, 1, sizeof *mc->num))
            return seg__nomem(&ds->err);
        mc->cap = cap;
    }
    *out = mc->num;
    if (n)
        *n = ds->ids.n;
    return SEG_OK;
}

const double *seg__ds_num_view(const seg_dataset *ds, const char *name)
{
    const seg__column *c = name ? seg__ds_find_column(ds, name) : NULL;
    if (!c || c->type != SEG_COLUMN_NUMERIC || c->n < ds->ids.n || !c->num)
        return NULL;
    return c->num;
}

int seg_dataset_copy_f64(const seg_dataset *ds, const char *column,
                         double *dst, size_t n)
{
    return copy_out(ds, column, SEG_COLUMN_NUMERIC, dst, n);
}

int seg_dataset_copy_labels(const seg_dataset *ds, const char *column,
                            const char **dst, size_t n)
{
    return copy_out(ds, column, SEG_COLUMN_LABEL, dst, n);
}

/* Inside a mark, a column that was there at the mark is kept aside for
 * the rollback instead of freed. */
int seg__ds_replace_column(seg_dataset *ds, seg__column *old,
                           seg__column *fresh)
{
    for (size_t i = 0; i < ds->n_cols; i++) {
        if (ds->cols[i] != old)
            continue;
        /* only the column of the mark's time is kept: one that replaced
         * it inside the mark goes (a run at several dates replaces a
         * column at each) */
        bool parked = false;
        for (size_t k = 0; k < ds->n_parked && !parked; k++)
            parked = ds->parked[k].at == i;
        if (ds->marked && i < ds->mark_cols && !parked) {
            if (seg__grow((void **)&ds->parked, &ds->cap_parked,
                          ds->n_parked + 1, sizeof *ds->parked))
                return SEG_ENOMEM;
            ds->parked[ds->n_parked].col = old;
            ds->parked[ds->n_parked++].at = i;
        } else {
            seg__column_free(old);
        }
        ds->cols[i] = fresh;
        return SEG_OK;
    }
    return SEG_OK;
}

/* Build a new column, then swap it in, so a failure changes nothing. */
static int put_column(seg_dataset *ds, const char *name, int type, int origin,
                      seg__column *fresh)
{
    seg__column *old = seg__ds_find_column(ds, name);
    if (old && old->type != type)
        return seg__error(&ds->err, SEG_ETYPE, "column '%s' is a %s column",
                          name, type_name(old->type));
    if (!(fresh->name = seg__strndup(name, strlen(name))))
        return seg__nomem(&ds->err);
    fresh->type = type;
    fresh->origin = origin;
    if (old)
        return seg__ds_replace_column(ds, old, fresh) ? seg__nomem(&ds->err)
                                                      : SEG_OK;
    if (seg__grow((void **)&ds->cols, &ds->cap_cols, ds->n_cols + 1,
                  sizeof *ds->cols))
        return seg__nomem(&ds->err);
    ds->cols[ds->n_cols++] = fresh;
    return SEG_OK;
}

int seg__ds_put_num_column(seg_dataset *ds, const char *name, int origin,
                           double *data)
{
    seg__column *fresh = seg__calloc(1, sizeof *fresh);
    if (!fresh)
        return seg__nomem(&ds->err);
    fresh->num = data;
    fresh->n = fresh->cap = ds->ids.n;
    int rc = put_column(ds, name, SEG_COLUMN_NUMERIC, origin, fresh);
    if (rc) {
        fresh->num = NULL; /* stays the caller's */
        seg__column_free(fresh);
    }
    return rc;
}

static int check_write(seg_dataset *ds, const char *column, const void *src,
                       size_t n)
{
    if (!ds || !column || (!src && n))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "NULL dataset, column name or values");
    if (n != ds->ids.n)
        return seg__error(&ds->err, SEG_EINVAL,
                          "%zu values given for %zu customers", n, ds->ids.n);
    return seg__ds_check_text(&ds->err, "column name", column, strlen(column));
}

int seg_dataset_write_f64(seg_dataset *ds, const char *column,
                          const double *src, size_t n)
{
    int rc = check_write(ds, column, src, n);
    if (rc)
        return rc;
    double *data = seg__malloc(n * sizeof *data);
    if (!data)
        return seg__nomem(&ds->err);
    if (n)
        memcpy(data, src, n * sizeof *data);
    rc = seg__ds_put_num_column(ds, column, SEG__ORIGIN_USER, data);
    if (rc)
        seg__free(data);
    return rc;
}

int seg_dataset_write_labels(seg_dataset *ds, const char *column,
                             const char *const *src, size_t n)
{
    int rc = check_write(ds, column, src, n);
    if (rc)
        return rc;
    seg__column *fresh = seg__calloc(1, sizeof *fresh);
    if (!fresh || !(fresh->lab = seg__malloc((n ? n : 1) * sizeof *fresh->lab))) {
        seg__free(fresh);
        return seg__nomem(&ds->err);
    }
    fresh->n = fresh->cap = n;
    /* Hosts and models mostly pass a few strings over and over: the code
     * of a pointer seen lately is remembered, without reading the string
     * again (the strings do not change during the call). */
    struct { const char *p; uint32_t code; } seen[64] = {{NULL, 0}};
    for (size_t i = 0; i < n && !rc; i++) {
        const char *p = src[i];
        if (!p) {
            fresh->lab[i] = 0;
            continue;
        }
        size_t slot = ((uintptr_t)p >> 3) & 63;
        if (seen[slot].p == p) {
            fresh->lab[i] = seen[slot].code;
            continue;
        }
        size_t len = strlen(p);
        uint32_t k;
        if (!seg__utf8_valid(p, len))
            rc = seg__error(&ds->err, SEG_EPARSE,
                            "label of row %zu is not valid UTF-8", i);
        else if ((rc = seg__intern(&fresh->labels, p, len, &k, NULL)) != 0)
            rc = rc == SEG_ENOMEM ? seg__nomem(&ds->err)
                                  : seg__error(&ds->err, rc, "too many labels");
        else {
            fresh->lab[i] = seen[slot].code = k + 1;
            seen[slot].p = p;
        }
    }
    if (!rc)
        rc = put_column(ds, column, SEG_COLUMN_LABEL, SEG__ORIGIN_USER, fresh);
    if (rc)
        seg__column_free(fresh);
    return rc;
}

int seg__ds_put_label_codes(seg_dataset *ds, const char *name,
                            const char *const *names, size_t n_names,
                            uint32_t *codes)
{
    size_t n = ds->ids.n;
    seg__column *fresh = seg__calloc(1, sizeof *fresh);
    uint32_t *map = seg__malloc((n_names ? n_names : 1) * sizeof *map);
    int rc = fresh && map ? SEG_OK : SEG_ENOMEM;
    /* equal names (two rules of one label) share one code */
    bool same = true;
    for (size_t i = 0; i < n_names && !rc; i++) {
        rc = seg__intern(&fresh->labels, names[i], strlen(names[i]), &map[i],
                         NULL);
        same = same && map[i] == i;
        map[i]++;
    }
    if (!rc) {
        for (size_t r = 0; r < n && !same; r++)
            codes[r] = codes[r] ? map[codes[r] - 1] : 0;
        fresh->lab = codes;
        fresh->n = fresh->cap = n;
        rc = put_column(ds, name, SEG_COLUMN_LABEL, SEG__ORIGIN_USER, fresh);
        if (rc)
            fresh->lab = NULL; /* stays the caller's */
    } else {
        rc = seg__nomem(&ds->err);
    }
    if (rc)
        seg__column_free(fresh);
    seg__free(map);
    return rc;
}

int seg__ds_check_put(seg_dataset *ds, const char *name, int type)
{
    int rc = seg__ds_check_text(&ds->err, "column name", name, strlen(name));
    const seg__column *old = rc ? NULL : seg__ds_find_column(ds, name);
    if (old && old->type != type)
        return seg__error(&ds->err, SEG_ETYPE, "column '%s' is a %s column",
                          name, type_name(old->type));
    return rc;
}

int seg_dataset_drop_column(seg_dataset *ds, const char *column)
{
    const seg__column *c;
    int rc = lookup(ds, column, 0, &c);
    if (rc)
        return rc;
    for (size_t i = 0; i < ds->n_cols; i++) {
        if (ds->cols[i] == c) {
            seg__column_free(ds->cols[i]);
            memmove(ds->cols + i, ds->cols + i + 1,
                    (ds->n_cols - i - 1) * sizeof *ds->cols);
            ds->n_cols--;
            break;
        }
    }
    return SEG_OK;
}

