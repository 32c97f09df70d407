/* What the two ways of computing features share (features.c from the
 * stored transactions, stream.c from totals folded as they arrive): the
 * local calendar, the walk of one day's records, and what each day adds
 * to a customer's totals, so that both give the same bits. Private to
 * lib/dataset. */
#ifndef SEG_DATASET_DAYS_H
#define SEG_DATASET_DAYS_H

#include <math.h>

#include "dataset/struct.h"

static inline int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Local calendar days of the business zone: a division by 86400 where the
 * offset is fixed (UTC included), a lookup where it changes. */
typedef struct calendar {
    const seg__tz *tz;   /* NULL: the offset is fixed */
    int32_t off;
} calendar;

static inline calendar calendar_of(const seg_dataset *ds)
{
    calendar c = {ds->tz, 0};
    if (!c.tz || seg__tz_fixed(c.tz, &c.off))
        c.tz = NULL;
    return c;
}

enum {
    F_ORDERS, F_FREQUENCY, F_TX, F_T, F_RECENCY, F_MTOTAL, F_MMEAN, F_MREPEAT,
    F_FIRST, F_LAST, F_RETURNS, F_RETURNED, F_RRATE, F_H_ORDERS,
    F_H_MONETARY, F_H_LENGTH, F_N
};
typedef struct fcol {
    char *name;
    double *data;
    int kind;            /* seg_column_kind; SEG_KIND_DAYS for durations */
} fcol;

/* Times this far from the epoch take the slow, overflow-free way. */
#define SAFE_T (INT64_C(1) << 60)

static inline int64_t day_of(const calendar *c, int64_t t)
{
    int32_t off = c->tz ? seg__tz_offset(c->tz, t) : c->off;
    if (t > -SAFE_T && t < SAFE_T) {
        int64_t x = t + off, d = x / 86400;
        return d - (x % 86400 < 0);
    }
    int64_t q = floor_div(t, 86400);
    return q + floor_div(t - q * 86400 + off, 86400);
}

/* The last second of the local day d of the instant t (no later than
 * INT64_MAX). */
static inline int64_t day_last(const calendar *c, int64_t t, int64_t d)
{
    bool safe = t > -SAFE_T && t < SAFE_T;
    if (c->tz && safe) {
        /* most days have one offset throughout: their end is t's offset
         * away from midnight, which two lookups confirm */
        int64_t e = (d + 1) * 86400 - seg__tz_offset(c->tz, t) - 1;
        if (day_of(c, e) == d && day_of(c, e + 1) == d + 1)
            return e;
        return seg__tz_day_start(c->tz, d + 1) - 1;
    }
    if (safe)
        return (d + 1) * 86400 - c->off - 1;
    int64_t q = floor_div(t, 86400), into = t - q * 86400 + c->off;
    into -= floor_div(into, 86400) * 86400;
    return t > INT64_MAX - 86400 ? INT64_MAX : t + (86399 - into);
}

/* One local day of a customer's records, from i on (sorted by time) up
 * to the day's end or `last`, whichever is first: its net amount, what it
 * bought and what it returned. A purchase day is one whose net is
 * positive, or a day of $0 orders (zero, with nothing returned), as the
 * customer-base literature counts a $0 order. */
typedef struct cday {
    int64_t d, t0;       /* the day, and its first time */
    ksum net, returned;
    bool has_return, purchase;
} cday;

SEG__INLINE size_t next_day(const calendar *cal, const int64_t *tt,
                       const double *am, size_t i, size_t n, int64_t last,
                       cday *out)
{
    out->d = day_of(cal, tt[i]);
    out->t0 = tt[i];
    int64_t end = day_last(cal, tt[i], out->d);
    end = end < last ? end : last;
    out->net = (ksum){am[i], 0};
    out->has_return = am[i] < 0;
    size_t k = i + 1;
    for (; k < n && tt[k] <= end; k++) {
        ksum_add(&out->net, am[k]);
        out->has_return |= am[k] < 0;
    }
    if (out->has_return) { /* rare: a second pass for what was returned */
        out->returned = (ksum){0, 0};
        for (size_t r = i; r < k; r++)
            if (am[r] < 0)
                ksum_add(&out->returned, -am[r]);
    }
    double v = ksum_value(&out->net);
    out->purchase = v > 0 || (v == 0 && !out->has_return);
    return k;
}

static inline void ksum_merge(ksum *k, const ksum *v)
{
    ksum_add(k, v->s);
    if (v->c != 0)
        ksum_add(k, v->c);
}


/* A customer's totals over the days walked so far: the first purchase
 * day's net, the later purchase days' nets, the nets of days of returns
 * only, and what was returned, each summed in day order. */
typedef struct seg__cacc {
    ksum first, repeat, other, returned;
    int64_t first_t, last_t;   /* the first times of the first and last
                                  purchase days */
    uint32_t orders, returns;  /* purchase days; days with a return */
} seg__cacc;

/* What a day adds to the totals, in two parts, for the totals that
 * stream.c keeps in several places: whether the day has a part for the
 * returns' sums; that part, false for a day that adds no more; and the
 * purchase's. */
static inline bool day_has_returns(const cday *day)
{
    return day->has_return || !day->purchase;
}

static inline bool acc_returns(ksum *other, ksum *returned,
                               uint32_t *returns, const cday *day)
{
    if (day->has_return) {
        ksum_merge(returned, &day->returned);
        ++*returns;
    }
    if (!day->purchase) {
        /* a day of returns: in the net totals, not a purchase */
        ksum_merge(other, &day->net);
        return false;
    }
    return true;
}

static inline void acc_purchase(ksum *first, int64_t *first_t, ksum *repeat,
                                int64_t *last_t, uint32_t *orders,
                                const cday *day)
{
    if (*orders == 0) {
        *first_t = day->t0;
        *first = day->net;
    } else {
        ksum_merge(repeat, &day->net);
    }
    *last_t = day->t0;
    ++*orders;
}

SEG__INLINE void acc_day(seg__cacc *a, const cday *day)
{
    if (day_has_returns(day) &&
        !acc_returns(&a->other, &a->returned, &a->returns, day))
        return;
    acc_purchase(&a->first, &a->first_t, &a->repeat, &a->last_t, &a->orders,
                 day);
}

/* The totals of all days (the first purchase, the repeat ones, then the
 * others) and what was bought (the net with the returns added back). */
static inline void acc_totals(const seg__cacc *a, ksum *total, ksum *gross)
{
    *total = a->first;
    ksum_add(total, a->repeat.s);
    ksum_add(total, a->repeat.c);
    if (a->other.s != 0 || a->other.c != 0)
        ksum_merge(total, &a->other);
    *gross = *total;
    if (a->returns)
        ksum_merge(gross, &a->returned);
}

/* Whether every sum of a customer's is within a double. */
static inline bool acc_finite(const seg__cacc *a)
{
    ksum total, gross;
    acc_totals(a, &total, &gross);
    return isfinite(ksum_value(&total)) &&
           isfinite(ksum_value(&a->repeat)) &&
           isfinite(ksum_value(&gross)) && isfinite(ksum_value(&a->returned));
}


/* Feature k of row `row`, when its column is computed (data not NULL). */
static inline void put_feature(fcol *out, int k, size_t row, double v)
{
    if (out[k].data)
        out[k].data[row] = v;
}

/* The features of the totals (orders to return_rate) in row `row` of
 * out, their columns in the order of the F_ enum; those not computed
 * (no data) are skipped. */
static inline void acc_write(const seg__cacc *a, const calendar *cal,
                             int64_t cal_day, double unit, size_t row,
                             fcol *out)
{
    ksum total, gross;
    acc_totals(a, &total, &gross);
    double g = ksum_value(&gross), r = ksum_value(&a->returned);
    double orders = a->orders;
    put_feature(out, F_RETURNS, row, a->returns);
    put_feature(out, F_RETURNED, row, r);
    put_feature(out, F_RRATE, row, g > 0 ? r / g : NAN);
    put_feature(out, F_ORDERS, row, orders);
    put_feature(out, F_MTOTAL, row, ksum_value(&total));
    if (orders == 0) {
        for (int k = F_FREQUENCY; k <= F_LAST; k++)
            if (k != F_MTOTAL)
                put_feature(out, k, row, NAN);
        return;
    }
    int64_t first_day = day_of(cal, a->first_t);
    int64_t last_day = day_of(cal, a->last_t);
    put_feature(out, F_FREQUENCY, row, orders - 1);
    put_feature(out, F_TX, row, (double)(last_day - first_day) / unit);
    put_feature(out, F_T, row, (double)(cal_day - first_day) / unit);
    put_feature(out, F_RECENCY, row, (double)(cal_day - last_day) / unit);
    put_feature(out, F_MMEAN, row, ksum_value(&total) / orders);
    put_feature(out, F_MREPEAT, row,
                orders > 1 ? ksum_value(&a->repeat) / (orders - 1) : 0.0);
    put_feature(out, F_FIRST, row, (double)a->first_t);
    put_feature(out, F_LAST, row, (double)a->last_t);
}

/* The features of a features-only dataset (stream.c), in three steps so
 * that the totals can give their memory back while the features are
 * written: whether they can be computed for cal_end as asked (the
 * message set); whether every customer's sums are within a double (else
 * SEG_ERANGE with *bad the customer), polling p; then the writing, which
 * cannot fail and leaves the dataset without its totals. */
int seg__stream_check(seg_dataset *ds, int64_t cal_end, bool holdout,
                      int windows);
int seg__stream_precheck(seg_dataset *ds, seg__progress *p, size_t *bad);
void seg__stream_write(seg_dataset *ds, int64_t cal_day, double unit,
                       fcol *out);

#endif /* SEG_DATASET_DAYS_H */
