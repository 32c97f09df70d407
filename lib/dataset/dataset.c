/* The customer dataset: customers, records, all-or-nothing changes (its
 * columns are in columns.c).
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
    ds->features_end = SEG_TIME_NONE;
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

int seg_dataset_set_progress(seg_dataset *ds, seg_progress_fn fn,
                             void *user_data)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_dataset_set_progress: dataset is NULL");
    ds->progress_fn = fn;
    ds->progress_user = user_data;
    return SEG_OK;
}

int seg__ds_progress_begin(seg__progress *p, const seg_dataset *ds,
                           const seg__errbuf *err, int stage, uint64_t total)
{
    return seg__progress_begin(p, ds->progress_fn, ds->progress_user,
                               err ? err : &ds->err, stage, total);
}

int seg_dataset_set_timezone(seg_dataset *ds, const char *zone)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL,
                          "seg_dataset_set_timezone: dataset is NULL");
    if (ds->stream && (ds->n_tx || seg__stream_count(ds)))
        return seg__error(&ds->err, SEG_EMISUSE, "seg_dataset_set_timezone: "
                          "the transactions of this features-only dataset "
                          "were folded by the days of its zone already");
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
    seg__intern_free(&ds->cats);
    seg__free(ds->tx_cat);
    seg__free(ds->ev_cat);
    seg__free(ds->tx_cust);
    seg__free(ds->tx_time);
    seg__free(ds->tx_amount);
    seg__stream_free(ds->stream);
    seg__free(ds->ev_cust);
    seg__free(ds->ev_time);
    seg__free(ds->ev_kind);
    seg__free(ds->ev_value);
    for (size_t i = 0; i < ds->n_cols; i++)
        seg__column_free(ds->cols[i]);
    seg__free(ds->cols);
    seg__free(ds->undo);
    for (size_t i = 0; i < ds->n_parked; i++)
        seg__column_free(ds->parked[i].col);
    seg__free(ds->parked);
    seg__tz_free(ds->tz);
    seg__errbuf_destroy(&ds->err);
    seg__free(ds);
}

/* The calling thread's copy, as for models and rule sets: threads reading
 * a shared dataset may fail on it at the same time. */
static _Thread_local char t_dataset_msg[SEG__ERRMSG_MAX];

const char *seg_dataset_errmsg(const seg_dataset *ds)
{
    return ds ? seg__errbuf_copy(&ds->err, t_dataset_msg) : seg_errmsg();
}

size_t seg_dataset_customer_count(const seg_dataset *ds)
{
    return ds ? ds->ids.n : 0;
}

size_t seg_dataset_transaction_count(const seg_dataset *ds)
{
    return ds ? ds->n_tx + (size_t)seg__stream_count(ds) : 0;
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
    ds->mark_cats = ds->cats.n;
    ds->mark_tx_cat = ds->tx_cat != NULL;
    ds->mark_ev_cat = ds->ev_cat != NULL;
    ds->mark_cols = ds->n_cols;
    ds->mark_grouped = ds->tx_grouped;
    ds->mark_max_time = ds->max_time;
    ds->mark_features_end = ds->features_end;
    ds->n_undo = 0;
    for (size_t i = 0; i < ds->n_cols; i++) {
        ds->cols[i]->mark_n = ds->cols[i]->n;
        ds->cols[i]->mark_labels = ds->cols[i]->labels.n;
    }
    if (ds->stream)
        seg__stream_mark(ds);
}

bool seg__ds_is_marked(const seg_dataset *ds) { return ds->marked; }

void seg__ds_commit(seg_dataset *ds)
{
    ds->marked = false;
    ds->n_undo = 0;
    if (ds->stream)
        seg__stream_commit(ds);
    for (size_t i = 0; i < ds->n_parked; i++)
        seg__column_free(ds->parked[i].col);
    ds->n_parked = 0;
}

/* The categories of records [from, to) undone: their entries back to 0,
 * or the array gone when the mark found none. */
static void drop_categories(uint32_t **cat, bool existed, size_t from,
                            size_t to)
{
    if (!*cat)
        return;
    if (!existed) {
        seg__free(*cat);
        *cat = NULL;
    } else if (to > from) {
        memset(*cat + from, 0, (to - from) * sizeof **cat);
    }
}

void seg__ds_rollback(seg_dataset *ds)
{
    if (ds->stream) /* the records held at the mark back first */
        seg__stream_rollback(ds);
    /* the replaced columns back in their places, latest first, so a column
     * replaced twice ends as it was at the mark */
    while (ds->n_parked) {
        struct seg__parked *p = &ds->parked[--ds->n_parked];
        seg__column_free(ds->cols[p->at]);
        ds->cols[p->at] = p->col;
    }
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
    drop_categories(&ds->tx_cat, ds->mark_tx_cat, ds->mark_tx, ds->n_tx);
    drop_categories(&ds->ev_cat, ds->mark_ev_cat, ds->mark_ev, ds->n_ev);
    seg__intern_truncate(&ds->cats, ds->mark_cats);
    ds->n_tx = ds->mark_tx;
    ds->n_ev = ds->mark_ev;
    ds->tx_grouped = ds->mark_grouped;
    ds->max_time = ds->mark_max_time;
    ds->features_end = ds->mark_features_end;
    seg__intern_truncate(&ds->kinds, ds->mark_kinds);
    seg__intern_truncate(&ds->ids, ds->mark_cust);
    ds->marked = false;
}

/* Remember a cell's value before it is overwritten, when rollback needs it. */
int seg__ds_save_cell(seg_dataset *ds, seg__column *c, uint32_t row)
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

int seg__ds_check_text(const seg__errbuf *e, const char *what, const char *s,
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

/* The dataset's message for an error of the id table. */
static int ids_error(seg_dataset *ds, int rc)
{
    if (rc == SEG_ELIMIT)
        return seg__error(&ds->err, rc, "too many customers (limit %u)",
                          SEG__INTERN_MAX);
    if (rc)
        return seg__nomem(&ds->err);
    return SEG_OK;
}

int seg__ds_customer_h(seg_dataset *ds, const char *id, size_t n, uint32_t h,
                       uint32_t *row)
{
    return ids_error(ds, seg__intern_h(&ds->ids, id, n, h, row, NULL));
}

int seg__ds_customers_h(seg_dataset *ds, const char *base, const uint32_t *off,
                        const uint32_t *len, const uint32_t *hash, size_t n,
                        uint32_t *rows, size_t *done)
{
    return ids_error(ds, seg__intern_many(&ds->ids, base, off, len, hash, n,
                                          rows, done));
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

/* A category array, when there is one, follows its records' capacity,
 * the new entries 0. */
static int grow_categories(uint32_t **cat, size_t old, size_t cap)
{
    if (!*cat || cap <= old)
        return SEG_OK;
    uint32_t *p = seg__realloc(*cat, cap * sizeof *p);
    if (!p)
        return SEG_ENOMEM;
    memset(p + old, 0, (cap - old) * sizeof *p);
    *cat = p;
    return SEG_OK;
}

int seg__ds_reserve_tx(seg_dataset *ds, size_t more)
{
    size_t need = ds->n_tx + more;
    if (need < more)
        return seg__nomem(&ds->err);
    if (ds->stream) {
        int rc = seg__stream_room(ds, more, &need);
        if (rc)
            return rc;
    }
    if (need <= ds->cap_tx)
        return SEG_OK;
    size_t c1 = ds->cap_tx, c2 = ds->cap_tx, c3 = ds->cap_tx;
    if (seg__grow((void **)&ds->tx_cust, &c1, need, sizeof *ds->tx_cust) ||
        seg__grow((void **)&ds->tx_time, &c2, need, sizeof *ds->tx_time) ||
        seg__grow((void **)&ds->tx_amount, &c3, need, sizeof *ds->tx_amount) ||
        grow_categories(&ds->tx_cat, ds->cap_tx, c1))
        return seg__nomem(&ds->err);
    ds->cap_tx = c1;
    return SEG_OK;
}

void seg__ds_reserve_tx_hint(seg_dataset *ds, size_t more)
{
    size_t need = ds->n_tx + more;
    if (need < more || need <= ds->cap_tx || ds->stream)
        return; /* a features-only dataset holds a batch at a time */
    size_t c1 = ds->cap_tx, c2 = ds->cap_tx, c3 = ds->cap_tx;
    seg__grow((void **)&ds->tx_cust, &c1, need, sizeof *ds->tx_cust);
    seg__grow((void **)&ds->tx_time, &c2, need, sizeof *ds->tx_time);
    seg__grow((void **)&ds->tx_amount, &c3, need, sizeof *ds->tx_amount);
    /* what all three have (an array that grew alone stays grown) */
    size_t cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    if (grow_categories(&ds->tx_cat, ds->cap_tx, cap) == SEG_OK)
        ds->cap_tx = cap;
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
        seg__grow((void **)&ds->ev_value, &c4, need, sizeof *ds->ev_value) ||
        grow_categories(&ds->ev_cat, ds->cap_ev, c1))
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

/* The category of record i of n (of capacity cap): the array made when
 * this is the first record with one. */
static int set_category(seg_dataset *ds, uint32_t **cat, size_t cap,
                        size_t i, const char *s, size_t n)
{
    uint32_t k;
    int rc = seg__intern(&ds->cats, s, n, &k, NULL);
    if (rc)
        return rc == SEG_ENOMEM ? seg__nomem(&ds->err)
                                : seg__error(&ds->err, rc,
                                             "too many categories");
    if (!*cat && !(*cat = seg__calloc(cap, sizeof **cat)))
        return seg__nomem(&ds->err);
    (*cat)[i] = k + 1;
    return SEG_OK;
}

int seg__ds_tx_category(seg_dataset *ds, const char *cat, size_t n)
{
    return set_category(ds, &ds->tx_cat, ds->cap_tx, ds->n_tx - 1, cat, n);
}

int seg__ds_ev_category(seg_dataset *ds, const char *cat, size_t n)
{
    return set_category(ds, &ds->ev_cat, ds->cap_ev, ds->n_ev - 1, cat, n);
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
    return ds->n_tx || ds->n_ev || seg__stream_count(ds) ? ds->max_time : 0;
}

seg__tx_view seg__ds_tx(const seg_dataset *ds)
{
    seg__tx_view v = {ds->n_tx, ds->tx_cust, ds->tx_time, ds->tx_amount,
                      ds->tx_grouped, ds->tx_cat};
    return v;
}

int seg__ds_need_records(const seg_dataset *ds, const seg__errbuf *err,
                         const char *what)
{
    if (!ds->stream)
        return SEG_OK;
    return seg__error(err, SEG_EMISUSE, "%s reads the transactions, and "
                      "this dataset is features-only: they were folded into "
                      "its features (seg_dataset_set_features_only); load "
                      "them with the records kept", what);
}

seg__ev_view seg__ds_ev(const seg_dataset *ds)
{
    seg__ev_view v = {ds->n_ev, ds->ev_cust, ds->ev_time, ds->ev_kind,
                      ds->ev_value, ds->ev_cat};
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

size_t seg__ds_category_count(const seg_dataset *ds) { return ds->cats.n; }

const char *seg__ds_category_name(const seg_dataset *ds, size_t i)
{
    return seg__intern_str(&ds->cats, (uint32_t)i);
}

bool seg__ds_category_find(const seg_dataset *ds, const char *s, size_t n,
                           uint32_t *idx)
{
    return seg__intern_find(&ds->cats, s, n, idx);
}

size_t seg__ds_n_columns(const seg_dataset *ds) { return ds->n_cols; }

seg__column *seg__ds_column_at(const seg_dataset *ds, size_t i)
{
    return ds->cols[i];
}

int seg__ds_threads(const seg_dataset *ds) { return ds->threads; }

const seg__tz *seg__ds_tz(const seg_dataset *ds) { return ds->tz; }

int64_t seg__ds_features_end(const seg_dataset *ds)
{
    return ds->features_end;
}
