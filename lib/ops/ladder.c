/* The replay of a membership ladder: each customer's purchases and
 * point-earning events in time order up to the analysis date, with
 * upgrades as the growth points reach a threshold, and at the end of each
 * validity period a renewal (保级) or a downgrade. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ladder.h"

/* Each customer's records, by customer: offsets into index arrays, in
 * time order (ties in the order they were added). An index array is NULL
 * where the records are already so (transactions grouped by customer and
 * sorted by time): then index i is record i. */
typedef struct lad_index {
    size_t *tx_off, *ev_off;
    uint32_t *tx_idx, *ev_idx;
    int32_t *ev_of_kind; /* dataset kind -> ladder event, or -1 */
} lad_index;

static void index_free(lad_index *x)
{
    seg__free(x->tx_off);
    seg__free(x->ev_off);
    seg__free(x->tx_idx);
    seg__free(x->ev_idx);
    seg__free(x->ev_of_kind);
}

static bool in_time_order(const int64_t *t, const size_t *off,
                          const uint32_t *idx, size_t n)
{
    for (size_t c = 0; c < n; c++)
        for (size_t i = off[c] + 1; i < off[c + 1]; i++)
            if (t[idx ? idx[i] : i] < t[idx ? idx[i - 1] : i - 1])
                return false;
    return true;
}

typedef struct pair {
    int64_t t;
    uint32_t i;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Sort the customers' slices that are out of time order. */
static int sort_slices(const int64_t *t, const size_t *off, uint32_t *idx,
                       size_t n)
{
    pair *p = NULL;
    size_t cap = 0;
    for (size_t c = 0; c < n; c++) {
        size_t a = off[c], m = off[c + 1] - a;
        bool sorted = true;
        for (size_t i = a + 1; i < a + m && sorted; i++)
            sorted = t[idx[i]] >= t[idx[i - 1]];
        if (sorted)
            continue;
        if (m > cap) {
            pair *q = seg__realloc(p, m * sizeof *q);
            if (!q) {
                seg__free(p);
                return SEG_ENOMEM;
            }
            p = q;
            cap = m;
        }
        for (size_t i = 0; i < m; i++)
            p[i] = (pair){t[idx[a + i]], idx[a + i]};
        qsort(p, m, sizeof *p, cmp_pair);
        for (size_t i = 0; i < m; i++)
            idx[a + i] = p[i].i;
    }
    seg__free(p);
    return SEG_OK;
}

/* Offsets and indices by counting: one pass to count, one to place, so
 * that records of a customer keep the order they were added. keep[i] says
 * whether record i is indexed (NULL: all). */
static int bucket(const uint32_t *cust, size_t m, size_t n,
                  const bool *keep, size_t **off_out, uint32_t **idx_out)
{
    size_t *off = seg__calloc(n + 2, sizeof *off);
    if (!off)
        return SEG_ENOMEM;
    size_t kept = 0;
    for (size_t i = 0; i < m; i++)
        if (!keep || keep[i]) {
            off[cust[i] + 2]++;
            kept++;
        }
    for (size_t c = 2; c < n + 2; c++)
        off[c] += off[c - 1];
    uint32_t *idx = seg__malloc((kept ? kept : 1) * sizeof *idx);
    if (!idx) {
        seg__free(off);
        return SEG_ENOMEM;
    }
    for (size_t i = 0; i < m; i++)
        if (!keep || keep[i])
            idx[off[cust[i] + 1]++] = (uint32_t)i;
    *off_out = off;
    *idx_out = idx;
    return SEG_OK;
}

static int build_tx(const seg__tx_view *tx, size_t n, lad_index *x)
{
    if (tx->grouped) {
        x->tx_off = seg__calloc(n + 1, sizeof *x->tx_off);
        if (!x->tx_off)
            return SEG_ENOMEM;
        for (size_t i = 0; i < tx->n; i++)
            x->tx_off[tx->cust[i] + 1]++;
        for (size_t c = 1; c <= n; c++)
            x->tx_off[c] += x->tx_off[c - 1];
        if (in_time_order(tx->time, x->tx_off, NULL, n))
            return SEG_OK;
        seg__free(x->tx_off);
        x->tx_off = NULL;
    }
    if (bucket(tx->cust, tx->n, n, NULL, &x->tx_off, &x->tx_idx))
        return SEG_ENOMEM;
    return sort_slices(tx->time, x->tx_off, x->tx_idx, n);
}

/* The ladder's event of each of the dataset's kinds, or -1; *any says
 * whether some kind earns points. */
static int32_t *kind_map(const seg_ladder *l, const seg_dataset *ds,
                         bool *any)
{
    size_t nk = seg__ds_kind_count(ds);
    int32_t *map = seg__malloc((nk ? nk : 1) * sizeof *map);
    *any = false;
    for (size_t k = 0; map && k < nk; k++) {
        map[k] = -1;
        for (size_t e = 0; e < l->n_events; e++)
            if (strcmp(seg__ds_kind_name(ds, k), l->events[e].kind) == 0) {
                map[k] = (int32_t)e;
                *any = true;
            }
    }
    return map;
}

static int build_ev(const seg_ladder *l, const seg_dataset *ds,
                    const seg__ev_view *ev, size_t n, lad_index *x)
{
    bool any;
    if (!(x->ev_of_kind = kind_map(l, ds, &any)))
        return SEG_ENOMEM;
    bool *keep = seg__malloc((ev->n ? ev->n : 1) * sizeof *keep);
    if (!keep)
        return SEG_ENOMEM;
    for (size_t i = 0; i < ev->n; i++)
        keep[i] = any && x->ev_of_kind[ev->kind[i]] >= 0;
    int rc = bucket(ev->cust, ev->n, n, keep, &x->ev_off, &x->ev_idx);
    seg__free(keep);
    return rc ? rc : sort_slices(ev->time, x->ev_off, x->ev_idx, n);
}

/* ---- the replay of one customer ---- */

typedef struct lad_state {
    size_t tier;
    int64_t start, end; /* SEG_TIME_NONE: not known, or no expiry */
    double points, period_points;
} lad_state;

/* What the ledger is told: a record, or a change of tier. */
typedef enum lad_what { LAD_PURCHASE, LAD_RETURN, LAD_EVENT, LAD_UPGRADE,
                        LAD_RENEWAL, LAD_DOWNGRADE } lad_what;

typedef struct lad_sink {
    int (*entry)(struct lad_sink *s, const lad_state *st, int64_t t,
                 lad_what what, const char *kind, double points);
} lad_sink;

typedef struct lad_replay {
    const seg_ladder *l;
    const lad_index *x;
    seg__tx_view tx;
    seg__ev_view ev;
    int64_t as_of;
} lad_replay;

/* Validity periods that ended at or before t: each renews the tier when
 * the period's points reach its keep, else drops to the highest lower tier
 * whose keep they reach, with the balance cut to that tier's threshold
 * (so that it is not upgraded straight back). */
static int expire(const seg_ladder *l, lad_state *s, int64_t t, lad_sink *k)
{
    while (s->tier > 0 && l->period > 0 && s->end <= t) {
        const lad_tier *cur = &l->tiers[s->tier];
        int64_t e = s->end;
        if (s->period_points >= cur->keep) {
            s->start = e;
            s->end = e + l->period;
            if (s->period_points <= 0 && s->end <= t) {
                /* idle periods of a tier kept at 0 points: jump them */
                int64_t more = (t - s->end) / l->period + 1;
                s->start += more * l->period;
                s->end += more * l->period;
            }
            s->period_points = 0;
            if (k && k->entry(k, s, s->start, LAD_RENEWAL, NULL, 0))
                return SEG_ENOMEM;
            continue;
        }
        size_t j = s->tier - 1;
        while (j > 0 && !(s->period_points >= l->tiers[j].keep))
            j--;
        double before = s->points;
        if (s->points > l->tiers[j].threshold)
            s->points = l->tiers[j].threshold;
        s->tier = j;
        s->start = e;
        s->end = j > 0 ? e + l->period : SEG_TIME_NONE;
        s->period_points = 0;
        if (k && k->entry(k, s, e, LAD_DOWNGRADE, NULL, s->points - before))
            return SEG_ENOMEM;
    }
    return SEG_OK;
}

static double round6(double v)
{
    return nearbyint(v * 1e6) / 1e6;
}

static int earn(const seg_ladder *l, lad_state *s, int64_t t, double pts,
                lad_what what, const char *kind, lad_sink *k)
{
    if (s->start == SEG_TIME_NONE)
        s->start = t;
    /* kept to a millionth of a point, so that sums of prices in cents
     * reach a threshold of whole points when their decimals do */
    s->points = round6(s->points + pts);
    if (s->points < 0)
        s->points = 0;
    s->period_points = round6(s->period_points + pts);
    if (k && k->entry(k, s, t, what, kind, pts))
        return SEG_ENOMEM;
    size_t up = s->tier;
    while (up + 1 < l->n_tiers && s->points >= l->tiers[up + 1].threshold)
        up++;
    if (up == s->tier)
        return SEG_OK;
    s->tier = up;
    s->start = t;
    s->end = l->period > 0 ? t + l->period : SEG_TIME_NONE;
    s->period_points = 0;
    return k && k->entry(k, s, t, LAD_UPGRADE, NULL, 0) ? SEG_ENOMEM
                                                          : SEG_OK;
}

/* One record: first the periods that ended before it, then its points. */
static int step_tx(const seg_ladder *l, lad_state *s, const seg__tx_view *tx,
                   size_t i, lad_sink *k)
{
    if (expire(l, s, tx->time[i], k))
        return SEG_ENOMEM;
    double a = tx->amount[i];
    return earn(l, s, tx->time[i], a * l->per_amount,
                a < 0 ? LAD_RETURN : LAD_PURCHASE, NULL, k);
}

static int step_ev(const seg_ladder *l, lad_state *s, const seg__ev_view *ev,
                   size_t i, const int32_t *map, lad_sink *k)
{
    if (expire(l, s, ev->time[i], k))
        return SEG_ENOMEM;
    const lad_event *e = &l->events[map[ev->kind[i]]];
    return earn(l, s, ev->time[i], e->points, LAD_EVENT, e->kind, k);
}

static int replay_one(const lad_replay *r, size_t c, lad_state *s,
                      lad_sink *k)
{
    const seg_ladder *l = r->l;
    const lad_index *x = r->x;
    *s = (lad_state){0, SEG_TIME_NONE, SEG_TIME_NONE, 0, 0};
    size_t i = x->tx_off[c], ie = x->tx_off[c + 1];
    size_t j = x->ev_off[c], je = x->ev_off[c + 1];
    for (;;) {
        size_t ti = i < ie ? (x->tx_idx ? x->tx_idx[i] : i) : 0;
        size_t ej = j < je ? x->ev_idx[j] : 0;
        bool has_tx = i < ie && r->tx.time[ti] <= r->as_of;
        bool has_ev = j < je && r->ev.time[ej] <= r->as_of;
        if (!has_tx && !has_ev)
            break;
        /* at one time, purchases first */
        bool take_tx = has_tx && (!has_ev || r->tx.time[ti] <= r->ev.time[ej]);
        int rc = take_tx ? step_tx(l, s, &r->tx, ti, k)
                         : step_ev(l, s, &r->ev, ej, x->ev_of_kind, k);
        if (rc)
            return rc;
        i += take_tx;
        j += !take_tx;
    }
    return expire(l, s, r->as_of, k);
}

/* Whether the records are in time order as they were added (a log sorted
 * by date); of the events, those that earn points. */
static bool tx_time_sorted(const seg__tx_view *tx)
{
    for (size_t i = 1; i < tx->n; i++)
        if (tx->time[i] < tx->time[i - 1])
            return false;
    return true;
}

static bool ev_time_sorted(const seg__ev_view *ev, const int32_t *map)
{
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < ev->n; i++) {
        if (map[ev->kind[i]] < 0)
            continue;
        if (ev->time[i] < last)
            return false;
        last = ev->time[i];
    }
    return true;
}

enum { PREFETCH = 16 };

static void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p, 1);
#else
    (void)p;
#endif
}

/* Records in time order replayed in one pass with a state per customer:
 * each customer sees its records in the order replay_one() gives them,
 * without gathering them first (which reads the log at random). */
static void replay_stream(const seg_ladder *l, const seg__tx_view *tx,
                          const seg__ev_view *ev, const int32_t *map,
                          int64_t as_of, lad_state *st, size_t n)
{
    for (size_t c = 0; c < n; c++)
        st[c] = (lad_state){0, SEG_TIME_NONE, SEG_TIME_NONE, 0, 0};
    size_t i = 0, j = 0;
    for (;;) {
        while (j < ev->n && map[ev->kind[j]] < 0)
            j++;
        bool has_tx = i < tx->n && tx->time[i] <= as_of;
        bool has_ev = j < ev->n && ev->time[j] <= as_of;
        if (!has_tx && !has_ev)
            break;
        if (has_tx && (!has_ev || tx->time[i] <= ev->time[j])) {
            /* the states are read at random: ask for one ahead */
            if (i + PREFETCH < tx->n)
                prefetch(&st[tx->cust[i + PREFETCH]]);
            step_tx(l, &st[tx->cust[i]], tx, i, NULL);
            i++;
        } else {
            step_ev(l, &st[ev->cust[j]], ev, j, map, NULL);
            j++;
        }
    }
    for (size_t c = 0; c < n; c++)
        expire(l, &st[c], as_of, NULL);
}

static int replay_setup(const seg_ladder *l, const seg_dataset *ds,
                        int64_t as_of, lad_index *x, lad_replay *r)
{
    *r = (lad_replay){l, x, seg__ds_tx(ds), seg__ds_ev(ds), as_of};
    if (seg__ds_need_records(ds, &l->err, "a ladder"))
        return SEG_EMISUSE;
    if (r->tx.n > UINT32_MAX || r->ev.n > UINT32_MAX)
        return seg__error(&l->err, SEG_ELIMIT, "a ladder replays at most "
                          "2^32 transactions and events");
    size_t n = seg__ds_n(ds);
    if (build_tx(&r->tx, n, x) || build_ev(l, ds, &r->ev, n, x))
        return seg__nomem(&l->err);
    return SEG_OK;
}

/* ---- columns ---- */

enum { K_TIER, K_START, K_END, K_POINTS, K_PERIOD, K_NEXT, K_KEEP, K_N };
static const char *const col_what[K_N] = {
    "tier", "tier_start", "tier_end", "points", "period_points", "to_next",
    "to_keep"};

static char *col_name(const seg_ladder *l, int k)
{
    return seg__ops_column_name(l->prefix, col_what[k]);
}

static double when(int64_t t)
{
    return t == SEG_TIME_NONE ? NAN : (double)t;
}

static void store(const seg_ladder *l, const lad_state *s, size_t c,
                  uint32_t *codes, double **num)
{
    const lad_tier *t = &l->tiers[s->tier];
    codes[c] = (uint32_t)s->tier + 1;
    num[K_START][c] = when(s->start);
    num[K_END][c] = when(s->end);
    num[K_POINTS][c] = s->points;
    num[K_PERIOD][c] = s->period_points;
    num[K_NEXT][c] = s->tier + 1 < l->n_tiers
                         ? l->tiers[s->tier + 1].threshold - s->points
                         : NAN;
    num[K_KEEP][c] = s->tier > 0 && l->period > 0
                         ? fmax(0, t->keep - s->period_points)
                         : NAN;
}

typedef struct lad_cols {
    char *name[K_N];
    bool existed[K_N];
    uint32_t *codes;
    double *num[K_N];
} lad_cols;

static void cols_free(lad_cols *c)
{
    for (int k = 0; k < K_N; k++) {
        seg__free(c->name[k]);
        seg__free(c->num[k]);
    }
    seg__free(c->codes);
}

static int cols_alloc(const seg_ladder *l, seg_dataset *ds, size_t n,
                      lad_cols *c)
{
    for (int k = 0; k < K_N; k++)
        if (!(c->name[k] = col_name(l, k)))
            return seg__nomem(&l->err);
    for (int k = 0; k < K_N; k++) {
        int rc = seg__ds_check_put(ds, c->name[k], k == K_TIER
                                                       ? SEG_COLUMN_LABEL
                                                       : SEG_COLUMN_NUMERIC);
        if (rc)
            return seg__error(&l->err, rc, "ladder: cannot write column "
                              "'%s': %s", c->name[k], seg_dataset_errmsg(ds));
        c->existed[k] = seg__ds_find_column(ds, c->name[k]) != NULL;
    }
    size_t m = n ? n : 1;
    if (!(c->codes = seg__malloc(m * sizeof *c->codes)))
        return seg__nomem(&l->err);
    for (int k = 1; k < K_N; k++)
        if (!(c->num[k] = seg__malloc(m * sizeof *c->num[k])))
            return seg__nomem(&l->err);
    return SEG_OK;
}

/* Put every column, or none of the new ones. */
static int cols_put(const seg_ladder *l, seg_dataset *ds, lad_cols *c)
{
    const char **names = seg__malloc(l->n_tiers * sizeof *names);
    if (!names)
        return seg__nomem(&l->err);
    for (size_t i = 0; i < l->n_tiers; i++)
        names[i] = l->tiers[i].name;
    int rc = seg__ds_put_label_codes(ds, c->name[K_TIER], names, l->n_tiers,
                                     c->codes);
    seg__free(names);
    if (!rc)
        c->codes = NULL;
    for (int k = 1; k < K_N && !rc; k++) {
        rc = seg__ds_put_num_column(ds, c->name[k], SEG__ORIGIN_USER,
                                    c->num[k]);
        if (!rc)
            c->num[k] = NULL;
    }
    for (int k = K_START; k <= K_END && !rc; k++)
        rc = seg_dataset_set_column_kind(ds, c->name[k], SEG_KIND_TIMESTAMP);
    if (!rc)
        return SEG_OK;
    for (int k = 0; k < K_N; k++)
        if (!c->existed[k] && seg__ds_find_column(ds, c->name[k]))
            seg_dataset_drop_column(ds, c->name[k]);
    return rc == SEG_ENOMEM ? seg__nomem(&l->err)
                            : seg__error(&l->err, rc, "ladder: %s",
                                         seg_dataset_errmsg(ds));
}

static int64_t analysis_date(const seg_dataset *ds, int64_t as_of)
{
    return as_of == SEG_TIME_NONE ? seg__ds_max_time(ds) : as_of;
}

int seg_ladder_apply(const seg_ladder *l, seg_dataset *ds, int64_t as_of)
{
    if (!l || !ds)
        return seg__error(l ? &l->err : NULL, SEG_EINVAL,
                          "seg_ladder_apply: NULL argument");
    size_t n = seg__ds_n(ds);
    int64_t at = analysis_date(ds, as_of);
    seg__tx_view tx = seg__ds_tx(ds);
    seg__ev_view ev = seg__ds_ev(ds);
    lad_cols c = {0};
    bool any;
    int32_t *map = kind_map(l, ds, &any);
    lad_state *st = seg__malloc((n ? n : 1) * sizeof *st);
    int rc = map && st ? cols_alloc(l, ds, n, &c) : seg__nomem(&l->err);
    if (!rc)
        rc = seg__ds_need_records(ds, &l->err, "a ladder");
    if (!rc && tx_time_sorted(&tx) && ev_time_sorted(&ev, map)) {
        replay_stream(l, &tx, &ev, map, at, st, n);
    } else if (!rc) {
        lad_index x = {0};
        lad_replay r;
        rc = replay_setup(l, ds, at, &x, &r);
        /* without a ledger a replay cannot fail */
        for (size_t i = 0; i < n && !rc; i++)
            replay_one(&r, i, &st[i], NULL);
        index_free(&x);
    }
    for (size_t i = 0; i < n && !rc; i++)
        store(l, &st[i], i, c.codes, c.num);
    if (!rc)
        rc = cols_put(l, ds, &c);
    cols_free(&c);
    seg__free(st);
    seg__free(map);
    return rc;
}

/* ---- the ledger ---- */

enum { L_ID, L_TIME, L_SOURCE, L_POINTS, L_BALANCE, L_PERIOD, L_TIER,
       L_END, L_N };

typedef struct ledger_sink {
    lad_sink base;
    const seg_ladder *l;
    const seg_dataset *ds;
    seg_table *t;
    size_t customer;
} ledger_sink;

static const char *const what_name[] = {"purchase", "return", NULL,
                                        "upgrade", "renewal", "downgrade"};

static int ledger_entry(lad_sink *base, const lad_state *s, int64_t t,
                        lad_what what, const char *kind, double points)
{
    ledger_sink *k = (ledger_sink *)base;
    const seg__tz *tz = seg__ds_tz(k->ds);
    size_t row;
    int rc = seg__table_add_row(k->t, &row);
    if (!rc)
        rc = seg__table_set_text(k->t, row, L_ID,
                                 seg__ds_id(k->ds, k->customer));
    if (!rc)
        rc = seg__ops_set_time(k->t, row, L_TIME, tz, t);
    if (!rc)
        rc = seg__table_set_text(k->t, row, L_SOURCE,
                                 what == LAD_EVENT ? kind : what_name[what]);
    if (!rc)
        rc = seg__table_set_num(k->t, row, L_POINTS, points);
    if (!rc)
        rc = seg__table_set_num(k->t, row, L_BALANCE, s->points);
    if (!rc)
        rc = seg__table_set_num(k->t, row, L_PERIOD, s->period_points);
    if (!rc)
        rc = seg__table_set_text(k->t, row, L_TIER,
                                 k->l->tiers[s->tier].name);
    if (!rc)
        rc = seg__ops_set_time(k->t, row, L_END, tz, s->end);
    return rc;
}

int seg_ladder_ledger_table(seg_table **out, const seg_ladder *l,
                            const seg_dataset *ds, int64_t as_of,
                            const char *customer_id)
{
    if (out)
        *out = NULL;
    if (!out || !l || !ds)
        return seg__error(l ? &l->err : NULL, SEG_EINVAL,
                          "seg_ladder_ledger_table: NULL argument");
    size_t n = seg__ds_n(ds), first = 0, last = n;
    if (customer_id) {
        if (seg_dataset_customer_find(ds, customer_id, &first))
            return seg__error(&l->err, SEG_ENOTFOUND, "no customer '%s'",
                              customer_id);
        last = first + 1;
    }
    static const char *const names[L_N] = {
        "customer_id", "time", "source", "points", "balance",
        "period_points", "tier", "tier_end"};
    static const int types[L_N] = {
        SEG_COLUMN_LABEL,   SEG_COLUMN_LABEL,   SEG_COLUMN_LABEL,
        SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
        SEG_COLUMN_LABEL,   SEG_COLUMN_LABEL};
    lad_index x = {0};
    lad_replay r;
    ledger_sink k = {{ledger_entry}, l, ds, NULL, 0};
    int rc = replay_setup(l, ds, analysis_date(ds, as_of), &x, &r);
    if (!rc && seg__table_new(&k.t, "ladder_ledger", L_N, names, types))
        rc = seg__nomem(&l->err);
    for (size_t c = first; c < last && !rc; c++) {
        lad_state s;
        k.customer = c;
        if (replay_one(&r, c, &s, &k.base))
            rc = seg__nomem(&l->err);
    }
    index_free(&x);
    if (rc) {
        seg_table_free(k.t);
        return rc;
    }
    *out = k.t;
    return SEG_OK;
}
