/* The customer dataset: customers, records, columns, all-or-nothing changes.
 * The public functions that add records and attributes are in
 * lib/ingest/records.c, with the checks every input shares. */
#include <math.h>
#include <string.h>

#include "dataset/struct.h"

int seg_dataset_new(seg_dataset **out)
{
    if (!out)
        return seg__error(NULL, SEG_EINVAL, "seg_dataset_new: out is NULL");
    *out = NULL;
    seg_dataset *ds = seg__calloc(1, sizeof *ds);
    if (!ds)
        return seg__nomem(NULL);
    if (seg__errbuf_init(&ds->err)) {
        seg__free(ds);
        return seg__nomem(NULL);
    }
    ds->tx_grouped = true;
    ds->max_time = INT64_MIN;
    *out = ds;
    return SEG_OK;
}

int seg_dataset_set_threads(seg_dataset *ds, int threads)
{
    if (!ds || threads < 0 || threads > SEG__MAX_THREADS)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_set_threads: threads must be 0 to %d",
                          SEG__MAX_THREADS);
    ds->threads = threads;
    return SEG_OK;
}

int seg_dataset_set_timezone(seg_dataset *ds, const char *zone)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_dataset_set_timezone: dataset is NULL");
    seg__tz *tz = NULL;
    if (zone) {
        int rc = seg__tz_open(&tz, zone, &ds->err);
        if (rc)
            return rc;
        int32_t off;
        /* UTC by any spelling is the default's fast path */
        if (seg__tz_fixed(tz, &off) && off == 0 && strcmp(zone, "UTC") == 0) {
            seg__tz_free(tz);
            tz = NULL;
        }
    }
    seg__tz_free(ds->tz);
    ds->tz = tz;
    return SEG_OK;
}

const char *seg_dataset_timezone(const seg_dataset *ds)
{
    return ds && ds->tz ? seg__tz_name(ds->tz) : "UTC";
}

int seg_dataset_parse_time(const seg_dataset *ds, int64_t *out,
                           const char *s, size_t len, int format)
{
    if (!ds || !out || (!s && len))
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_parse_time: NULL argument");
    int base = format & ~SEG_TIME_END_OF_DAY;
    if (base < SEG_TIME_AUTO || base > SEG_TIME_EPOCH ||
        (format & ~(SEG_TIME_END_OF_DAY | 0xff)))
        return seg__error(&ds->err, SEG_EINVAL, "unknown time format %d",
                          format);
    int rc = seg__time_parse_in(ds->tz, out, s, len, format);
    if (rc) {
        char ex[64];
        return seg__error(&ds->err, rc, "'%s' is not a valid time",
                          seg__excerpt(ex, sizeof ex, s ? s : "", len));
    }
    return SEG_OK;
}

void seg__column_free(seg__column *c)
{
    if (!c)
        return;
    seg__free(c->name);
    seg__free(c->num);
    seg__free(c->lab);
    seg__intern_free(&c->labels);
    seg__free(c);
}

void seg_dataset_free(seg_dataset *ds)
{
    if (!ds)
        return;
    seg__intern_free(&ds->ids);
    seg__intern_free(&ds->kinds);
    seg__free(ds->tx_cust);
    seg__free(ds->tx_time);
    seg__free(ds->tx_amount);
    seg__free(ds->ev_cust);
    seg__free(ds->ev_time);
    seg__free(ds->ev_kind);
    seg__free(ds->ev_value);
    for (size_t i = 0; i < ds->n_cols; i++)
        seg__column_free(ds->cols[i]);
    seg__free(ds->cols);
    seg__free(ds->undo);
    seg__tz_free(ds->tz);
    seg__errbuf_destroy(&ds->err);
    seg__free(ds);
}

const char *seg_dataset_errmsg(const seg_dataset *ds)
{
    return ds ? seg__errbuf_get(&ds->err) : seg_errmsg();
}

size_t seg_dataset_customer_count(const seg_dataset *ds)
{
    return ds ? ds->ids.n : 0;
}

size_t seg_dataset_transaction_count(const seg_dataset *ds)
{
    return ds ? ds->n_tx : 0;
}

size_t seg_dataset_event_count(const seg_dataset *ds)
{
    return ds ? ds->n_ev : 0;
}

/* ---- all-or-nothing changes ---- */

void seg__ds_mark(seg_dataset *ds)
{
    ds->marked = true;
    ds->mark_cust = ds->ids.n;
    ds->mark_tx = ds->n_tx;
    ds->mark_ev = ds->n_ev;
    ds->mark_kinds = ds->kinds.n;
    ds->mark_cols = ds->n_cols;
    ds->mark_grouped = ds->tx_grouped;
    ds->mark_max_time = ds->max_time;
    ds->n_undo = 0;
    for (size_t i = 0; i < ds->n_cols; i++) {
        ds->cols[i]->mark_n = ds->cols[i]->n;
        ds->cols[i]->mark_labels = ds->cols[i]->labels.n;
    }
}

void seg__ds_commit(seg_dataset *ds)
{
    ds->marked = false;
    ds->n_undo = 0;
}

void seg__ds_rollback(seg_dataset *ds)
{
    while (ds->n_undo) {
        seg__undo *u = &ds->undo[--ds->n_undo];
        seg__column *c = ds->cols[u->col];
        if (c->type == SEG_COLUMN_NUMERIC)
            c->num[u->row] = u->num;
        else
            c->lab[u->row] = u->lab;
    }
    for (size_t i = ds->mark_cols; i < ds->n_cols; i++)
        seg__column_free(ds->cols[i]);
    ds->n_cols = ds->mark_cols;
    for (size_t i = 0; i < ds->n_cols; i++) {
        seg__column *c = ds->cols[i];
        if (c->n > c->mark_n)
            c->n = c->mark_n;
        seg__intern_truncate(&c->labels, c->mark_labels);
    }
    ds->n_tx = ds->mark_tx;
    ds->n_ev = ds->mark_ev;
    ds->tx_grouped = ds->mark_grouped;
    ds->max_time = ds->mark_max_time;
    seg__intern_truncate(&ds->kinds, ds->mark_kinds);
    seg__intern_truncate(&ds->ids, ds->mark_cust);
    ds->marked = false;
}

/* Remember a cell's value before it is overwritten, when rollback needs it. */
static int save_cell(seg_dataset *ds, seg__column *c, uint32_t row)
{
    if (!ds->marked || row >= c->mark_n)
        return SEG_OK;
    size_t ci = 0;
    while (ci < ds->mark_cols && ds->cols[ci] != c)
        ci++;
    if (ci == ds->mark_cols)
        return SEG_OK; /* a column created inside the mark goes away whole */
    if (seg__grow((void **)&ds->undo, &ds->cap_undo, ds->n_undo + 1,
                  sizeof *ds->undo))
        return SEG_ENOMEM;
    seg__undo *u = &ds->undo[ds->n_undo++];
    u->col = (uint32_t)ci;
    u->row = row;
    u->num = c->type == SEG_COLUMN_NUMERIC ? c->num[row] : NAN;
    u->lab = c->type == SEG_COLUMN_LABEL ? c->lab[row] : 0;
    return SEG_OK;
}

/* ---- customers ---- */

static int check_text(const seg__errbuf *e, const char *what, const char *s,
                      size_t n)
{
    if (n == 0)
        return seg__error(e, SEG_EPARSE, "%s is empty", what);
    if (!seg__utf8_valid(s, n))
        return seg__error(e, SEG_EPARSE, "%s is not valid UTF-8", what);
    return SEG_OK;
}

int seg__ds_customer(seg_dataset *ds, const char *id, size_t n, uint32_t *row)
{
    return seg__ds_customer_h(ds, id, n, (uint32_t)seg__hash(id, n), row);
}

int seg__ds_customer_h(seg_dataset *ds, const char *id, size_t n, uint32_t h,
                       uint32_t *row)
{
    int rc = seg__intern_h(&ds->ids, id, n, h, row, NULL);
    if (rc == SEG_ELIMIT)
        return seg__error(&ds->err, rc, "too many customers (limit %u)",
                          SEG__INTERN_MAX);
    if (rc)
        return seg__nomem(&ds->err);
    return SEG_OK;
}

int seg_dataset_customer_find(const seg_dataset *ds, const char *id,
                              size_t *row)
{
    if (!ds || !id || !row)
        return seg__error(ds ? &ds->err : NULL, SEG_EINVAL,
                          "seg_dataset_customer_find: NULL argument");
    uint32_t r;
    if (!seg__intern_find(&ds->ids, id, strlen(id), &r)) {
        char ex[64];
        return seg__error(&ds->err, SEG_ENOTFOUND, "no customer '%s'",
                          seg__excerpt(ex, sizeof ex, id, strlen(id)));
    }
    *row = r;
    return SEG_OK;
}

const char *seg_dataset_customer_id(const seg_dataset *ds, size_t row)
{
    if (!ds || row >= ds->ids.n)
        return NULL;
    return seg__intern_str(&ds->ids, (uint32_t)row);
}

/* ---- records ---- */

int seg__ds_reserve_tx(seg_dataset *ds, size_t more)
{
    size_t need = ds->n_tx + more;
    if (need < more)
        return seg__nomem(&ds->err);
    if (need <= ds->cap_tx)
        return SEG_OK;
    size_t c1 = ds->cap_tx, c2 = ds->cap_tx, c3 = ds->cap_tx;
    if (seg__grow((void **)&ds->tx_cust, &c1, need, sizeof *ds->tx_cust) ||
        seg__grow((void **)&ds->tx_time, &c2, need, sizeof *ds->tx_time) ||
        seg__grow((void **)&ds->tx_amount, &c3, need, sizeof *ds->tx_amount))
        return seg__nomem(&ds->err);
    ds->cap_tx = c1;
    return SEG_OK;
}

void seg__ds_reserve_tx_hint(seg_dataset *ds, size_t more)
{
    size_t need = ds->n_tx + more;
    if (need < more || need <= ds->cap_tx)
        return;
    size_t c1 = ds->cap_tx, c2 = ds->cap_tx, c3 = ds->cap_tx;
    seg__grow((void **)&ds->tx_cust, &c1, need, sizeof *ds->tx_cust);
    seg__grow((void **)&ds->tx_time, &c2, need, sizeof *ds->tx_time);
    seg__grow((void **)&ds->tx_amount, &c3, need, sizeof *ds->tx_amount);
    /* what all three have (an array that grew alone stays grown) */
    ds->cap_tx = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
}

int seg__ds_reserve_ev(seg_dataset *ds, size_t more)
{
    size_t need = ds->n_ev + more;
    if (need < more)
        return seg__nomem(&ds->err);
    if (need <= ds->cap_ev)
        return SEG_OK;
    size_t c1 = ds->cap_ev, c2 = ds->cap_ev, c3 = ds->cap_ev,
           c4 = ds->cap_ev;
    if (seg__grow((void **)&ds->ev_cust, &c1, need, sizeof *ds->ev_cust) ||
        seg__grow((void **)&ds->ev_time, &c2, need, sizeof *ds->ev_time) ||
        seg__grow((void **)&ds->ev_kind, &c3, need, sizeof *ds->ev_kind) ||
        seg__grow((void **)&ds->ev_value, &c4, need, sizeof *ds->ev_value))
        return seg__nomem(&ds->err);
    ds->cap_ev = c1;
    return SEG_OK;
}

int seg__ds_push_ev(seg_dataset *ds, uint32_t row, int64_t t,
                    const char *kind, size_t kind_len, double value)
{
    uint32_t k;
    int rc = seg__intern(&ds->kinds, kind, kind_len, &k, NULL);
    if (rc)
        return rc == SEG_ENOMEM ? seg__nomem(&ds->err)
                                : seg__error(&ds->err, rc,
                                             "too many event kinds");
    rc = seg__ds_reserve_ev(ds, 1);
    if (rc)
        return rc;
    if (t > ds->max_time)
        ds->max_time = t;
    ds->ev_cust[ds->n_ev] = row;
    ds->ev_time[ds->n_ev] = t;
    ds->ev_kind[ds->n_ev] = k;
    ds->ev_value[ds->n_ev] = value;
    ds->n_ev++;
    return SEG_OK;
}

/* ---- columns ---- */

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
    if (save_cell(ds, c, row))
        return seg__nomem(&ds->err);
    int rc = column_extend(ds, c, (size_t)row + 1);
    if (rc)
        return rc;
    c->num[row] = v;
    return SEG_OK;
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
    if (save_cell(ds, c, row))
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

int seg_dataset_get_f64(const seg_dataset *ds, const char *column, size_t row,
                        double *out)
{
    const seg__column *c;
    int rc = lookup(ds, column, SEG_COLUMN_NUMERIC, &c);
    if (rc)
        return rc;
    if (!out)
        return seg__error(&ds->err, SEG_EINVAL, "out is NULL");
    if (row >= ds->ids.n)
        return seg__error(&ds->err, SEG_ERANGE, "row %zu out of range (%zu rows)",
                          row, ds->ids.n);
    *out = seg__column_num(c, row);
    return SEG_OK;
}

int seg_dataset_get_label(const seg_dataset *ds, const char *column,
                          size_t row, const char **out)
{
    const seg__column *c;
    int rc = lookup(ds, column, SEG_COLUMN_LABEL, &c);
    if (rc)
        return rc;
    if (!out)
        return seg__error(&ds->err, SEG_EINVAL, "out is NULL");
    if (row >= ds->ids.n)
        return seg__error(&ds->err, SEG_ERANGE, "row %zu out of range (%zu rows)",
                          row, ds->ids.n);
    *out = seg__column_label(c, row);
    return SEG_OK;
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

static void replace_column(seg_dataset *ds, seg__column *old,
                           seg__column *fresh)
{
    for (size_t i = 0; i < ds->n_cols; i++) {
        if (ds->cols[i] == old) {
            ds->cols[i] = fresh;
            seg__column_free(old);
            return;
        }
    }
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
    if (old) {
        replace_column(ds, old, fresh);
        return SEG_OK;
    }
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
    return check_text(&ds->err, "column name", column, strlen(column));
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
    int rc = check_text(&ds->err, "column name", name, strlen(name));
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

/* ---- narrow accessors ---- */

const seg__errbuf *seg__ds_err(const seg_dataset *ds) { return &ds->err; }

size_t seg__ds_n(const seg_dataset *ds) { return ds->ids.n; }

const char *seg__ds_id(const seg_dataset *ds, size_t row)
{
    return seg__intern_str(&ds->ids, (uint32_t)row);
}

const seg__interner *seg__ds_ids(const seg_dataset *ds) { return &ds->ids; }

int64_t seg__ds_max_time(const seg_dataset *ds)
{
    return ds->n_tx || ds->n_ev ? ds->max_time : 0;
}

seg__tx_view seg__ds_tx(const seg_dataset *ds)
{
    seg__tx_view v = {ds->n_tx, ds->tx_cust, ds->tx_time, ds->tx_amount,
                      ds->tx_grouped};
    return v;
}

seg__ev_view seg__ds_ev(const seg_dataset *ds)
{
    seg__ev_view v = {ds->n_ev, ds->ev_cust, ds->ev_time, ds->ev_kind,
                      ds->ev_value};
    return v;
}

size_t seg__ds_kind_count(const seg_dataset *ds) { return ds->kinds.n; }

const char *seg__ds_kind_name(const seg_dataset *ds, size_t i)
{
    return seg__intern_str(&ds->kinds, (uint32_t)i);
}

bool seg__ds_kind_find(const seg_dataset *ds, const char *s, size_t n,
                       uint32_t *idx)
{
    return seg__intern_find(&ds->kinds, s, n, idx);
}

size_t seg__ds_n_columns(const seg_dataset *ds) { return ds->n_cols; }

seg__column *seg__ds_column_at(const seg_dataset *ds, size_t i)
{
    return ds->cols[i];
}

int seg__ds_threads(const seg_dataset *ds) { return ds->threads; }

const seg__tz *seg__ds_tz(const seg_dataset *ds) { return ds->tz; }
