/* Per-customer features at an as-of time, by the conventions of the
 * customer-base literature: a purchase is a calendar day with an order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/days.h"

/* the default version; lib/core/compat.c has 0.1's */
#ifdef SEG__VERSIONED
void seg__features_options_init_0_2(seg_features_options *o);
SEG__VERSIONED(seg__features_options_init_0_2, "seg_features_options_init@@SEG_0.2");
SEG__VERSIONED_API void seg__features_options_init_0_2(seg_features_options *o)
#else
void seg_features_options_init(seg_features_options *o)
#endif
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->as_of = SEG_TIME_NONE;
    o->time_unit = SEG_UNIT_DAY;
    o->holdout_from = SEG_TIME_NONE;
}

/* The windows of a computation: their lengths in days, and the first
 * local day of each (the last is the day of the calibration's end). */
typedef struct windows {
    int n;
    int len[SEG_FEATURES_MAX_WINDOWS];
    int64_t from[SEG_FEATURES_MAX_WINDOWS];
} windows;

static const char *const fnames[F_N] = {
    "orders", "frequency", "t_x", "T", "recency", "monetary_total",
    "monetary_mean", "monetary_repeat_mean", "first_purchase",
    "last_purchase", "returns", "returned_amount", "return_rate",
    "holdout_orders", "holdout_monetary", "holdout_length"};

/* What each feature is; a duration's unit is set when it is known. */
static const int fkinds[F_N] = {
    SEG_KIND_COUNT, SEG_KIND_COUNT, SEG_KIND_DAYS, SEG_KIND_DAYS,
    SEG_KIND_DAYS, SEG_KIND_AMOUNT, SEG_KIND_AMOUNT, SEG_KIND_AMOUNT,
    SEG_KIND_TIMESTAMP, SEG_KIND_TIMESTAMP, SEG_KIND_COUNT, SEG_KIND_AMOUNT,
    SEG_KIND_NONE, SEG_KIND_COUNT, SEG_KIND_AMOUNT, SEG_KIND_DAYS};

static void fcols_free(fcol *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seg__free(c[i].name);
        seg__free(c[i].data);
    }
    seg__free(c);
}

/* Walk one customer's transactions (sorted by time): purchase days up to
 * cal_day, and in the holdout. False when a sum of amounts is beyond a
 * double (the caller names the customer). */
static bool customer_features(const calendar *cal, const windows *win,
                              const int64_t *tt, const double *am, size_t n,
                              int64_t cal_end, int64_t cal_day, bool holdout,
                              int64_t as_of, double unit, size_t row,
                              fcol *out)
{
    double w_orders[SEG_FEATURES_MAX_WINDOWS];
    ksum w_net[SEG_FEATURES_MAX_WINDOWS];
    for (int w = 0; w < win->n; w++) { /* no windows: nothing to clear */
        w_orders[w] = 0;
        w_net[w] = (ksum){0, 0};
    }
    seg__cacc acc;
    memset(&acc, 0, sizeof acc);
    size_t i = 0;
    while (i < n && tt[i] <= cal_end) {
        cday day;
        i = next_day(cal, tt, am, i, n, cal_end, &day);
        for (int w = 0; w < win->n; w++) {
            if (day.d >= win->from[w]) {
                w_orders[w] += day.purchase;
                ksum_merge(&w_net[w], &day.net);
            }
        }
        acc_day(&acc, &day);
    }
    bool finite = acc_finite(&acc);
    if (holdout) {
        double h_orders = 0;
        ksum h_total = {0, 0};
        while (i < n && tt[i] <= as_of) {
            cday day;
            size_t from = i;
            i = next_day(cal, tt, am, i, n, as_of, &day);
            h_orders += day.purchase;
            for (; from < i; from++)
                ksum_add(&h_total, am[from]);
        }
        finite = finite && isfinite(ksum_value(&h_total));
        out[F_H_ORDERS].data[row] = h_orders;
        out[F_H_MONETARY].data[row] = ksum_value(&h_total);
    }
    for (int w = 0; w < win->n; w++) {
        out[F_N + 2 * w].data[row] = w_orders[w];
        out[F_N + 2 * w + 1].data[row] = ksum_value(&w_net[w]);
    }
    acc_write(&acc, cal, cal_day, unit, row, out);
    return finite;
}


/* The customers c0 .. c1-1, on one thread. Their transactions are
 * perm[start[c] .. start[c + 1]) when the dataset's are not grouped by
 * customer; when they are, those from a0 on, customer by customer. */
typedef struct feat_job {
    const seg_dataset *ds;
    const size_t *start;
    const uint32_t *perm;
    /* the transactions' times and amounts: the dataset's, or those of a
     * seg__tx_groups, already by customer and in time order */
    const int64_t *tt_all;
    const double *am_all;
    size_t c0, c1, a0;
    int64_t cal_end, cal_day, as_of;
    bool holdout;
    calendar cal;
    const windows *win;
    double unit;
    fcol *cols;
    int rc;
    size_t bad;          /* with SEG_ERANGE: the customer whose sums overflow */
    seg__progress *progress;
    size_t lead;         /* the caller's job: the number of jobs; else 0 */
} feat_job;

static void *feat_worker(void *arg)
{
    feat_job *j = arg;
    const seg_dataset *ds = j->ds;
    seg__txrec *scratch = NULL;
    int64_t *st = NULL;
    double *sa = NULL;
    size_t scap = 0, stcap = 0, sacap = 0;
    size_t a = j->a0, b = a;
    for (size_t c = j->c0; c < j->c1; c++, a = b) {
        /* the caller's job reports as if every job were as far */
        if ((j->rc = seg__progress_poll(j->progress, j->lead,
                                        (c - j->c0) * j->lead)) != SEG_OK)
            break;
        if (j->start) {
            a = j->start[c];
            b = j->start[c + 1];
        } else {
            while (b < ds->n_tx && ds->tx_cust[b] == c)
                b++;
        }
        size_t n = b - a;
        if (n == 0) {
            customer_features(&j->cal, j->win, NULL, NULL, 0, j->cal_end,
                              j->cal_day, j->holdout, j->as_of, j->unit, c,
                              j->cols);
            continue;
        }
        const int64_t *tt = j->tt_all + a;
        const double *am = j->am_all + a;
        if (j->perm) {
            /* not grouped: gather a copy, in file order, which for a log
             * sorted by date is already the order wanted */
            if (seg__grow((void **)&st, &stcap, n, sizeof *st) ||
                seg__grow((void **)&sa, &sacap, n, sizeof *sa)) {
                j->rc = SEG_ENOMEM;
                break;
            }
            for (size_t k = 0; k < n; k++) {
                size_t ix = j->perm[a + k];
                st[k] = ds->tx_time[ix];
                sa[k] = ds->tx_amount[ix];
            }
            tt = st;
            am = sa;
        }
        bool sorted = true;
        for (size_t k = 1; k < n && sorted; k++)
            sorted = tt[k] > tt[k - 1] ||
                     (tt[k] == tt[k - 1] && am[k] >= am[k - 1]);
        if (!sorted) {
            /* out of order: sort a copy (taken before st and sa may
             * move, since tt and am may be them) */
            if (seg__grow((void **)&scratch, &scap, n, sizeof *scratch)) {
                j->rc = SEG_ENOMEM;
                break;
            }
            for (size_t k = 0; k < n; k++) {
                scratch[k].t = tt[k];
                scratch[k].amount = am[k];
            }
            if (seg__grow((void **)&st, &stcap, n, sizeof *st) ||
                seg__grow((void **)&sa, &sacap, n, sizeof *sa)) {
                j->rc = SEG_ENOMEM;
                break;
            }
            qsort(scratch, n, sizeof *scratch, seg__cmp_tx);
            for (size_t k = 0; k < n; k++) {
                st[k] = scratch[k].t;
                sa[k] = scratch[k].amount;
            }
            tt = st;
            am = sa;
        }
        if (!customer_features(&j->cal, j->win, tt, am, n, j->cal_end,
                               j->cal_day, j->holdout, j->as_of, j->unit, c,
                               j->cols)) {
            j->rc = SEG_ERANGE;
            j->bad = c;
            break;
        }
    }
    seg__free(scratch);
    seg__free(st);
    seg__free(sa);
    return NULL;
}

static int alloc_col(fcol *c, const char *name, int kind, size_t rows)
{
    c->kind = kind;
    c->name = seg__strndup(name, strlen(name));
    c->data = seg__malloc((rows ? rows : 1) * sizeof *c->data);
    return c->name && c->data ? SEG_OK : SEG_ENOMEM;
}

/* Per kind: count, last, then a count per window. */
/* Event kinds that become columns of their own; beyond them the rarer
 * kinds are counted together under OTHER_KIND, so that memory grows with
 * customers, not with customers times kinds (a page or product id used as
 * a kind has thousands). */
#define MAX_KIND_COLUMNS 100
#define OTHER_KIND "other_kinds"

static size_t kind_columns(size_t kinds)
{
    return kinds > MAX_KIND_COLUMNS ? MAX_KIND_COLUMNS : kinds;
}

typedef struct kind_rank {
    size_t count;
    uint32_t kind;
} kind_rank;

static int by_count(const void *a, const void *b)
{
    const kind_rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->kind < y->kind ? -1 : x->kind > y->kind;
}

/* Each kind's slot of columns: its own for the MAX_KIND_COLUMNS - 1 most
 * frequent kinds (ties by first appearance), the last slot for the rest,
 * when there are more than MAX_KIND_COLUMNS kinds. */
static int kind_slots(const seg_dataset *ds, uint32_t *slot,
                      const char **names)
{
    size_t nk = ds->kinds.n, ns = kind_columns(nk);
    if (ns == nk) {
        for (size_t k = 0; k < nk; k++) {
            slot[k] = (uint32_t)k;
            names[k] = seg__intern_str(&ds->kinds, (uint32_t)k);
        }
        return SEG_OK;
    }
    kind_rank *rank = seg__calloc(nk, sizeof *rank);
    if (!rank)
        return SEG_ENOMEM;
    for (size_t k = 0; k < nk; k++)
        rank[k].kind = (uint32_t)k;
    for (size_t i = 0; i < ds->n_ev; i++)
        rank[ds->ev_kind[i]].count++;
    qsort(rank, nk, sizeof *rank, by_count);
    int rc = SEG_OK;
    for (size_t j = 0; j < nk; j++) {
        uint32_t k = rank[j].kind;
        slot[k] = (uint32_t)(j < ns - 1 ? j : ns - 1);
        if (j < ns - 1) {
            names[j] = seg__intern_str(&ds->kinds, k);
            if (strcmp(names[j], OTHER_KIND) == 0)
                rc = seg__error(&ds->err, SEG_EEXISTS, "an event kind is "
                                "named '%s', the name of the kinds beyond "
                                "the first %d: rename it", OTHER_KIND,
                                MAX_KIND_COLUMNS - 1);
        }
    }
    names[ns - 1] = OTHER_KIND;
    seg__free(rank);
    return rc;
}

static int event_features(const seg_dataset *ds, const calendar *cal,
                          const windows *win, int64_t cal_end, fcol *cols)
{
    size_t nc = ds->ids.n, stride = 2 + (size_t)win->n;
    size_t nk = ds->kinds.n, ns = kind_columns(nk);
    uint32_t *slot = seg__malloc((nk ? nk : 1) * sizeof *slot);
    const char **names = seg__malloc((nk ? nk : 1) * sizeof *names);
    int src = slot && names ? kind_slots(ds, slot, names) : SEG_ENOMEM;
    for (size_t k = 0; k < ns && !src; k++) {
        const char *kind = names[k];
        size_t len = strlen(kind) + 40;
        char *nm = seg__malloc(len);
        if (!nm) {
            src = SEG_ENOMEM;
            break;
        }
        fcol *kc = cols + stride * k;
        snprintf(nm, len, "events.%s.count", kind);
        int rc = alloc_col(&kc[0], nm, SEG_KIND_COUNT, nc);
        snprintf(nm, len, "events.%s.last", kind);
        if (!rc)
            rc = alloc_col(&kc[1], nm, SEG_KIND_TIMESTAMP, nc);
        for (int w = 0; w < win->n && !rc; w++) {
            snprintf(nm, len, "events.%s.count_%dd", kind, win->len[w]);
            rc = alloc_col(&kc[2 + w], nm, SEG_KIND_COUNT, nc);
        }
        seg__free(nm);
        if (rc)
            src = rc;
        for (size_t r = 0; r < nc && !rc; r++) {
            kc[0].data[r] = 0;
            kc[1].data[r] = NAN;
            for (int w = 0; w < win->n; w++)
                kc[2 + w].data[r] = 0;
        }
    }
    seg__free(names);
    if (src) {
        seg__free(slot);
        return src;
    }
    for (size_t i = 0; i < ds->n_ev; i++) {
        if (ds->ev_time[i] > cal_end)
            continue;
        uint32_t k = slot[ds->ev_kind[i]], r = ds->ev_cust[i];
        fcol *kc = cols + stride * k;
        kc[0].data[r] += 1;
        double t = (double)ds->ev_time[i], *last = &kc[1].data[r];
        if (isnan(*last) || t > *last)
            *last = t;
        if (win->n) {
            int64_t d = day_of(cal, ds->ev_time[i]);
            for (int w = 0; w < win->n; w++)
                kc[2 + w].data[r] += d >= win->from[w];
        }
    }
    seg__free(slot);
    return SEG_OK;
}

/* Swap the new feature columns in, in two steps: what can fail (a name
 * taken, the room for the column table), then what cannot. */
static int install_prepare(seg_dataset *ds, fcol *cols, size_t n,
                           seg__column ***fresh_out)
{
    for (size_t i = 0; i < n; i++) {
        if (!cols[i].name)
            continue;
        const seg__column *c = seg__ds_find_column(ds, cols[i].name);
        if (c && c->origin != SEG__ORIGIN_FEATURE)
            return seg__error(&ds->err, SEG_EEXISTS,
                              "column '%s' exists and is not a feature: "
                              "rename it before computing features",
                              cols[i].name);
    }
    if (seg__grow((void **)&ds->cols, &ds->cap_cols, ds->n_cols + n,
                  sizeof *ds->cols) ||
        (ds->marked && seg__grow((void **)&ds->parked, &ds->cap_parked,
                                 ds->n_parked + n, sizeof *ds->parked)))
        return seg__nomem(&ds->err);
    seg__column **fresh = seg__calloc(n ? n : 1, sizeof *fresh);
    if (!fresh)
        return seg__nomem(&ds->err);
    for (size_t i = 0; i < n; i++) {
        if (!cols[i].name)
            continue;
        if (!(fresh[i] = seg__calloc(1, sizeof **fresh))) {
            for (size_t j = 0; j < i; j++)
                seg__free(fresh[j]);
            seg__free(fresh);
            return seg__nomem(&ds->err);
        }
    }
    *fresh_out = fresh;
    return SEG_OK;
}

static void install_apply(seg_dataset *ds, fcol *cols, size_t n,
                          seg__column **fresh)
{
    /* Drop feature columns of an earlier computation that this one does
     * not produce (a holdout then none), then put each new column in place.
     * Inside a mark those from before it stay where they are, since a
     * rollback puts columns back by place. */
    size_t w = 0;
    for (size_t i = 0; i < ds->n_cols; i++) {
        seg__column *c = ds->cols[i];
        bool kept = c->origin != SEG__ORIGIN_FEATURE ||
                    (ds->marked && i < ds->mark_cols);
        for (size_t j = 0; j < n && !kept; j++)
            kept = cols[j].name && strcmp(cols[j].name, c->name) == 0;
        if (kept)
            ds->cols[w++] = c;
        else
            seg__column_free(c);
    }
    ds->n_cols = w;
    for (size_t i = 0; i < n; i++) {
        if (!cols[i].name)
            continue;
        seg__column *c = fresh[i];
        c->name = cols[i].name;
        c->num = cols[i].data;
        c->n = c->cap = ds->ids.n;
        c->type = SEG_COLUMN_NUMERIC;
        c->origin = SEG__ORIGIN_FEATURE;
        c->kind = cols[i].kind;
        cols[i].name = NULL;
        cols[i].data = NULL;
        seg__column *old = seg__ds_find_column(ds, c->name);
        if (old) {
            /* cannot fail: the room to park old was reserved */
            (void)seg__ds_replace_column(ds, old, c);
        } else {
            ds->cols[ds->n_cols++] = c;
        }
    }
    seg__free(fresh);
}

static int install(seg_dataset *ds, fcol *cols, size_t n)
{
    seg__column **fresh;
    int rc = install_prepare(ds, cols, n, &fresh);
    if (!rc)
        install_apply(ds, cols, n, fresh);
    return rc;
}

/* The windows of the options, checked: up to SEG_FEATURES_MAX_WINDOWS
 * distinct lengths of 1 to 36500 days, each ending at the day cal_day. */
static int windows_of(const seg_dataset *ds, const seg_features_options *o,
                      int64_t cal_day, windows *win)
{
    win->n = 0;
    for (int w = 0; w < SEG_FEATURES_MAX_WINDOWS; w++) {
        int len = o->windows[w];
        if (len == 0)
            continue;
        if (len < 0 || len > 36500)
            return seg__error(&ds->err, SEG_EINVAL, "window of %d days: a "
                              "window is 1 to 36500 days", len);
        for (int k = 0; k < win->n; k++)
            if (win->len[k] == len)
                return seg__error(&ds->err, SEG_EINVAL, "window of %d days "
                                  "given twice", len);
        win->len[win->n] = len;
        win->from[win->n++] = cal_day - len + 1;
    }
    return SEG_OK;
}

static int overflow_error(const seg_dataset *ds, size_t row)
{
    char ex[64];
    const char *id = seg__intern_str(&ds->ids, (uint32_t)row);
    return seg__error(&ds->err, SEG_ERANGE, "customer '%s': the sum of the "
                      "amounts is beyond the range of a double (about "
                      "1.8e308)", seg__excerpt(ex, sizeof ex, id, strlen(id)));
}

/* The features of a features-only dataset from its totals: every check
 * first, so that the totals, given back as the features are written, are
 * gone only once nothing can fail. */
static int stream_features(seg_dataset *ds, fcol *cols, size_t ncols,
                           int64_t cal_day, double unit)
{
    seg__progress prog;
    size_t bad = 0;
    int rc = seg__ds_progress_begin(&prog, ds, NULL, SEG_STAGE_FEATURES,
                                    ds->ids.n);
    if (!rc)
        rc = seg__stream_precheck(ds, &prog, &bad);
    seg__progress_end(&prog);
    if (rc == SEG_ERANGE)
        return overflow_error(ds, bad);
    if (rc)
        return rc == SEG_ENOMEM ? seg__nomem(&ds->err) : rc;
    seg__column **fresh;
    if ((rc = install_prepare(ds, cols, ncols, &fresh)) != SEG_OK)
        return rc;
    seg__stream_write(ds, cal_day, unit, cols);
    install_apply(ds, cols, ncols, fresh);
    return SEG_OK;
}

/* The features of every customer: customers in contiguous ranges of
 * about equal transactions, one range a thread; every customer's row is
 * its own. proto holds what every job shares. */
static int run_jobs(const feat_job *proto)
{
    const seg_dataset *ds = proto->ds;
    const size_t *start = proto->start;
    size_t nc = ds->ids.n;
    int rc = SEG_OK;
    /* customers in contiguous ranges of about equal transactions, one
     * range a thread; every customer's row is its own */
    size_t nt_ = ds->n_tx;
    feat_job jobs[SEG__MAX_THREADS];
    int nth = seg__threads(ds->threads, nt_ + nc, 250000);
    size_t c = 0, a = 0; /* where the next range starts */
    for (int t = 0; t < nth; t++) {
        size_t c1 = nc, a1 = nt_;
        if (t < nth - 1 && start) {
            /* the first customer whose start + index reaches the share */
            size_t want = (nt_ + nc) * (size_t)(t + 1) / (size_t)nth;
            size_t lo = c, hi = nc;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (start[mid] + mid < want)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            c1 = lo;
        } else if (t < nth - 1) {
            /* grouped: split the transactions where a customer begins */
            a1 = nt_ * (size_t)(t + 1) / (size_t)nth;
            a1 = a1 < a ? a : a1;
            while (a1 > 0 && a1 < nt_ &&
                   ds->tx_cust[a1] == ds->tx_cust[a1 - 1])
                a1++;
            c1 = a1 < nt_ ? ds->tx_cust[a1] : nc;
        }
        jobs[t] = *proto;
        jobs[t].lead = t == 0 ? (size_t)nth : 0;
        jobs[t].c0 = c;
        jobs[t].c1 = c1;
        jobs[t].a0 = a;
        c = c1;
        a = a1;
    }
    seg__run_jobs(feat_worker, jobs, sizeof *jobs, nth);
    for (int t = 0; t < nth && !rc; t++) {
        rc = jobs[t].rc;
        if (rc == SEG_ERANGE)
            overflow_error(ds, jobs[t].bad);
    }
    return rc;
}

static int compute(seg_dataset *ds, const seg_features_options *opts,
                   const seg__tx_groups *g);

/* Whether purchase feature k is to be computed: every one without a list
 * of the columns the caller reads, else those it names. */
static bool wanted(const seg_features_options *o, int k)
{
    if (!o->columns)
        return true;
    for (size_t i = 0; i < o->n_columns; i++)
        if (strcmp(o->columns[i], fnames[k]) == 0)
            return true;
    return false;
}

int seg_dataset_compute_features(seg_dataset *ds,
                                 const seg_features_options *opts)
{
    if (!ds)
        return seg__error(NULL, SEG_EINVAL, "dataset is NULL");
    return compute(ds, opts, NULL);
}

int seg__ds_features_with(seg_dataset *ds, const seg_features_options *opts,
                          const seg__tx_groups *g)
{
    if (g && g->n_tx != ds->n_tx)
        return seg__error(&ds->err, SEG_EINVAL, "the transactions changed "
                          "since they were grouped");
    return compute(ds, opts, g);
}

static int compute(seg_dataset *ds, const seg_features_options *opts,
                   const seg__tx_groups *g)
{
    seg_features_options o;
    seg_features_options_init(&o);
    if (opts && seg__copy_opts(&o, sizeof o, opts))
        return seg__error(&ds->err, SEG_EINVAL, "seg_features_options.size "
                          "is 0: call seg_features_options_init()");
    if (o.time_unit != SEG_UNIT_DAY && o.time_unit != SEG_UNIT_WEEK)
        return seg__error(&ds->err, SEG_EINVAL, "unknown time unit %d",
                          o.time_unit);
    if (ds->n_tx > UINT32_MAX)
        return seg__error(&ds->err, SEG_ELIMIT,
                          "features support at most 2^32-1 transactions");
    if (o.n_columns && !o.columns)
        return seg__error(&ds->err, SEG_EINVAL, "seg_features_options."
                          "columns is NULL and n_columns %zu", o.n_columns);
    for (size_t i = 0; o.columns && i < o.n_columns; i++)
        if (!o.columns[i])
            return seg__error(&ds->err, SEG_EINVAL, "seg_features_options."
                              "columns[%zu] is NULL", i);
    int64_t as_of = o.as_of;
    if (as_of == SEG_TIME_NONE)
        as_of = seg__ds_max_time(ds);
    bool holdout = o.holdout_from != SEG_TIME_NONE;
    if (holdout && o.holdout_from > as_of)
        return seg__error(&ds->err, SEG_EINVAL,
                          "the holdout starts after as_of");
    int64_t cal_end = holdout ? o.holdout_from - 1 : as_of;
    calendar cal = calendar_of(ds);
    int64_t cal_day = day_of(&cal, cal_end);
    double unit = o.time_unit == SEG_UNIT_WEEK ? 7.0 : 1.0;
    size_t nc = ds->ids.n, nk = kind_columns(ds->kinds.n);
    windows win = {0, {0}, {0}};
    int wrc = windows_of(ds, &o, cal_day, &win);
    if (wrc)
        return wrc;
    if (ds->stream &&
        (wrc = seg__stream_check(ds, cal_end, holdout, win.n)) != SEG_OK)
        return wrc;
    size_t nw = (size_t)win.n;
    size_t ncols = F_N + 2 * nw + (2 + nw) * nk;
    fcol *cols = seg__calloc(ncols, sizeof *cols);
    size_t *start = NULL;
    uint32_t *perm = NULL;
    int rc = cols ? SEG_OK : SEG_ENOMEM;
    for (int k = 0; k < F_N && !rc; k++)
        if (k < F_H_ORDERS ? wanted(&o, k) : holdout)
            rc = alloc_col(&cols[k], fnames[k],
                           fkinds[k] == SEG_KIND_DAYS &&
                                   o.time_unit == SEG_UNIT_WEEK
                               ? SEG_KIND_WEEKS
                               : fkinds[k],
                           nc);
    for (size_t w = 0; w < nw && !rc; w++) {
        char nm[40];
        snprintf(nm, sizeof nm, "orders_%dd", win.len[w]);
        rc = alloc_col(&cols[F_N + 2 * w], nm, SEG_KIND_COUNT, nc);
        snprintf(nm, sizeof nm, "monetary_%dd", win.len[w]);
        if (!rc)
            rc = alloc_col(&cols[F_N + 2 * w + 1], nm, SEG_KIND_AMOUNT, nc);
    }
    if (!rc)
        rc = event_features(ds, &cal, &win, cal_end, cols + F_N + 2 * nw);
    if (!rc && ds->stream) {
        rc = stream_features(ds, cols, ncols, cal_day, unit);
        if (!rc)
            ds->features_end = cal_end;
        fcols_free(cols, ncols);
        return rc;
    }
    if (!rc && !ds->tx_grouped && !g)
        rc = seg__ds_group_by_customer(ds, &start, &perm);
    seg__progress prog;
    if (!rc)
        rc = seg__ds_progress_begin(&prog, ds, NULL, SEG_STAGE_FEATURES, nc);
    if (!rc) {
        feat_job proto = {ds, g ? g->start : start, perm,
                          g ? g->time : ds->tx_time,
                          g ? g->amount : ds->tx_amount, 0, 0, 0, cal_end,
                          cal_day, as_of, holdout, cal, &win, unit, cols,
                          SEG_OK, 0, &prog, 0};
        rc = run_jobs(&proto);
    }
    seg__progress_end(&prog);
    if (!rc && holdout) {
        double len = (double)(day_of(&cal, as_of) -
                              day_of(&cal, o.holdout_from) + 1) / unit;
        for (size_t c = 0; c < nc; c++)
            cols[F_H_LENGTH].data[c] = len;
    }
    seg__free(start);
    seg__free(perm);
    if (rc == SEG_ENOMEM)
        rc = seg__nomem(&ds->err);
    if (!rc)
        rc = install(ds, cols, ncols);
    if (!rc)
        ds->features_end = cal_end;
    if (cols)
        fcols_free(cols, ncols);
    return rc;
}

/* The purchase days of every customer, as the features count them, for
 * the diagnostics that follow them over calendar time. */
int seg__ds_purchase_days(const seg_dataset *ds, int64_t **days_out,
                          size_t **start_out)
{
    if (seg__ds_need_records(ds, &ds->err, "the purchase days"))
        return SEG_EMISUSE;
    size_t nc = ds->ids.n, nt = ds->n_tx, nd = 0;
    size_t *at = seg__malloc((nc + 1) * sizeof *at);
    int64_t *days = seg__malloc((nt ? nt : 1) * sizeof *days);
    seg__tx_groups *g = NULL;
    int rc = at && days ? seg__ds_tx_groups(ds, &g) : SEG_ENOMEM;
    calendar cal = calendar_of(ds);
    for (size_t c = 0; c < nc && !rc; c++) {
        size_t first = g->start[c], n = g->start[c + 1] - first;
        at[c] = nd;
        for (size_t i = 0; i < n;) {
            cday day;
            i = next_day(&cal, g->time + first, g->amount + first, i, n,
                         INT64_MAX, &day);
            if (day.purchase)
                days[nd++] = day.d;
        }
    }
    if (!rc)
        at[nc] = nd;
    seg__tx_groups_free(g);
    if (rc) {
        seg__free(at);
        seg__free(days);
        return rc == SEG_ENOMEM ? seg__nomem(&ds->err) : rc;
    }
    *days_out = days;
    *start_out = at;
    return SEG_OK;
}
