/* Features-only datasets: the features folded as the transactions arrive
 * against those of the stored records, bit for bit, for inputs in another
 * order (same-day orders in any order, refunds, $0 days, equal times),
 * in several zones and for several dates; what such a dataset refuses;
 * and loads that fail, which leave it as it was. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DAY 86400
#define NC 60
#define NT 4000
#define NE 300

static uint64_t rng = 88172645463325252u;

static uint32_t next_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

typedef struct rec {
    int cust;
    int64_t t;
    double amount;
    uint32_t key;        /* the order within a day */
} rec;

static rec recs[NT];
static char idbuf[NC][16];
static const int64_t T0 = 1700000000; /* 2023-11-14 */

/* Days close together, many on the same day and at the same second,
 * amounts in cents with refunds, $0 orders, and amounts of many digits. */
static void make_records(void)
{
    for (int c = 0; c < NC; c++)
        snprintf(idbuf[c], sizeof idbuf[c], "c%03d", c);
    for (int i = 0; i < NT; i++) {
        rec *r = &recs[i];
        r->cust = (int)(next_u32() % NC);
        int64_t day = next_u32() % 90;
        uint32_t k = next_u32() % 10;
        /* midnight UTC, a few fixed times, or any second */
        int64_t sec = k < 4 ? 0 : k < 7 ? (int64_t)(next_u32() % 4) * 21600
                                        : (int64_t)(next_u32() % DAY);
        r->t = T0 + day * DAY + sec;
        uint32_t a = next_u32() % 20;
        if (a == 0)
            r->amount = 0;
        else if (a < 4)
            r->amount = -(double)(next_u32() % 5000) / 100.0;
        else if (a == 4)
            r->amount = 0.1 * (double)(next_u32() % 7) + 1e-13;
        else
            r->amount = (double)(next_u32() % 30000) / 100.0;
        r->key = next_u32();
    }
    /* a customer with refunds only, and one whose first day nets out */
    recs[0].cust = recs[1].cust = NC - 1;
    recs[0].amount = -12.5;
    recs[1].amount = -3.25;
    recs[0].t = T0 + 2 * DAY + 7200;
    recs[1].t = T0 + 3 * DAY + 7200;
    for (int i = 2; i < NT; i++)
        if (recs[i].cust == NC - 1)
            recs[i].cust = NC - 2;
}

static int64_t local_day(int64_t t, int32_t off)
{
    int64_t x = t + off;
    return x / DAY - (x % DAY < 0);
}

static int32_t zone_off;

/* By local day, then in any order within it: what a log sorted by date
 * gives, and what a features-only dataset folds. */
static int by_day(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int64_t dx = local_day(x->t, zone_off), dy = local_day(y->t, zone_off);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

static void add_all(seg_dataset *ds, const rec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_ok(seg_dataset_add_transaction(ds, idbuf[r[i].cust], r[i].t,
                                              r[i].amount));
}

static void add_events(seg_dataset *ds)
{
    uint64_t keep = rng;
    rng = 12345;
    for (int i = 0; i < NE; i++)
        assert_ok(seg_dataset_add_event(ds, idbuf[next_u32() % NC],
                                        T0 + (int64_t)(next_u32() % (90 * DAY)),
                                        next_u32() % 2 ? "visit" : "mail",
                                        NAN));
    rng = keep;
}

/* Every column of a, cell by cell and bit by bit, equal in b (customers
 * matched by id, since their rows follow the order of arrival). */
static void assert_same_columns(seg_dataset *a, seg_dataset *b)
{
    size_t nc = seg_dataset_column_count(a);
    assert_int_equal(nc, seg_dataset_column_count(b));
    assert_int_equal(seg_dataset_customer_count(a),
                     seg_dataset_customer_count(b));
    for (size_t k = 0; k < nc; k++) {
        const char *name = seg_dataset_column_name(a, k);
        assert_int_equal(seg_dataset_column_kind(a, name),
                         seg_dataset_column_kind(b, name));
        for (size_t r = 0; r < seg_dataset_customer_count(a); r++) {
            size_t rb;
            double va, vb;
            assert_ok(seg_dataset_customer_find(
                b, seg_dataset_customer_id(a, r), &rb));
            assert_ok(seg_dataset_get_f64(a, name, r, &va));
            assert_ok(seg_dataset_get_f64(b, name, rb, &vb));
            if (memcmp(&va, &vb, sizeof va) != 0)
                fail_msg("%s of %s: %.17g against %.17g", name,
                         seg_dataset_customer_id(a, r), va, vb);
        }
    }
}

static seg_dataset *new_in(const char *zone)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_timezone(ds, zone));
    return ds;
}

static void compare_in(const char *zone, int32_t off, int64_t as_of,
                       int unit)
{
    static rec shuffled[NT], by_date[NT];
    memcpy(shuffled, recs, sizeof recs);
    for (int i = NT - 1; i > 0; i--) {
        int j = (int)(next_u32() % (uint32_t)(i + 1));
        rec t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
    }
    zone_off = off;
    memcpy(by_date, recs, sizeof recs);
    qsort(by_date, NT, sizeof *by_date, by_day);

    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = as_of;
    fo.time_unit = unit;
    seg_dataset *stored = new_in(zone), *folded = new_in(zone);
    add_all(stored, shuffled, NT);
    add_events(stored);
    assert_ok(seg_dataset_set_features_only(folded, as_of));
    add_events(folded);
    add_all(folded, by_date, NT);
    assert_int_equal(seg_dataset_transaction_count(folded), NT);
    assert_ok(seg_dataset_compute_features(stored, &fo));
    assert_ok(seg_dataset_compute_features(folded, &fo));
    assert_same_columns(stored, folded);
    /* and by hand for the customer of refunds only */
    size_t row;
    double v;
    assert_ok(seg_dataset_customer_find(folded, idbuf[NC - 1], &row));
    assert_ok(seg_dataset_get_f64(folded, "orders", row, &v));
    assert_true(v == 0);
    assert_ok(seg_dataset_get_f64(folded, "returns", row, &v));
    assert_true(v == 2);
    assert_ok(seg_dataset_get_f64(folded, "monetary_total", row, &v));
    assert_true(v == -15.75);
    seg_dataset_free(stored);
    seg_dataset_free(folded);
}

static void test_same_bits(void **state)
{
    (void)state;
    make_records();
    int64_t mid = T0 + 45 * DAY + 3600;
    compare_in(NULL, 0, SEG_TIME_NONE, SEG_UNIT_DAY);
    compare_in(NULL, 0, mid, SEG_UNIT_WEEK);
    compare_in("+05:30", 19800, SEG_TIME_NONE, SEG_UNIT_DAY);
    compare_in("-08:00", -28800, mid, SEG_UNIT_DAY);
}

/* A zone whose offset changes inside the period (New York left summer
 * time on 2023-11-05, before T0, so a period from October). */
static void test_same_bits_zone_with_transitions(void **state)
{
    (void)state;
    seg_dataset *probe;
    assert_ok(seg_dataset_new(&probe));
    int rc = seg_dataset_set_timezone(probe, "America/New_York");
    seg_dataset_free(probe);
    if (rc != SEG_OK)
        skip();
    make_records();
    for (int i = 0; i < NT; i++)
        recs[i].t -= 30 * DAY;
    /* the day sort takes the winter offset: no record between 04:00 and
     * 05:00 UTC, where summer and winter days differ */
    for (int i = 0; i < NT; i++) {
        int64_t s = ((recs[i].t % DAY) + DAY) % DAY;
        if (s >= 3 * 3600 && s < 6 * 3600)
            recs[i].t -= 4 * 3600;
    }
    compare_in("America/New_York", -5 * 3600, SEG_TIME_NONE, SEG_UNIT_DAY);
}

/* More customers than one thread takes (65,536): each lane's customers
 * on a thread of their own, checked then written block by block, the
 * same bits as the records kept on one and on two threads, refunds in
 * both lanes (the returns are kept apart, a lane's own); and the sums
 * beyond a double, in customers of both lanes, name the first. */
enum { NBIG = 150000 };

static void add_big(seg_dataset *ds, int bad_a, int bad_b)
{
    char id[16];
    for (int day = 0; day < 3; day++)
        for (int c = 0; c < NBIG; c++) {
            if ((c + day) % 3 == 0 && day)
                continue;
            snprintf(id, sizeof id, "m%06d", c);
            double a = (c == bad_a || c == bad_b) ? 1e308
                                                  : 1 + (c * 7 + day) % 97 / 4.0;
            if (c % 11 == 5 && day > 0) /* a refund, or a day of them */
                a = -a / (day == 1 ? 3 : 1);
            assert_ok(seg_dataset_add_transaction(
                ds, id, T0 + day * DAY + (c % 17) * 60, a));
        }
}

static void test_many_customers_on_lanes(void **state)
{
    (void)state;
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.as_of = T0 + 10 * DAY;
    seg_dataset *stored = new_in(NULL);
    add_big(stored, -1, -1);
    assert_ok(seg_dataset_compute_features(stored, &fo));
    for (int threads = 1; threads <= 2; threads++) {
        seg_dataset *folded = new_in(NULL);
        assert_ok(seg_dataset_set_threads(folded, threads));
        assert_ok(seg_dataset_set_features_only(folded, fo.as_of));
        add_big(folded, -1, -1);
        assert_ok(seg_dataset_compute_features(folded, &fo));
        assert_same_columns(stored, folded);
        seg_dataset_free(folded);
    }
    /* 70000 is in lane 1 ((70000 >> 12) & 1), 100000 in lane 0 */
    for (int threads = 1; threads <= 2; threads++) {
        seg_dataset *folded = new_in(NULL);
        assert_ok(seg_dataset_set_threads(folded, threads));
        assert_ok(seg_dataset_set_features_only(folded, fo.as_of));
        add_big(folded, 100000, 70000);
        assert_int_equal(seg_dataset_compute_features(folded, &fo),
                         SEG_ERANGE);
        assert_non_null(strstr(seg_dataset_errmsg(folded), "'m070000'"));
        seg_dataset_free(folded);
    }
    seg_dataset_free(stored);
}

static void test_refusals(void **state)
{
    (void)state;
    seg_dataset *ds;
    seg_features_options fo;
    seg_features_options_init(&fo);
    /* a day before one walked already names the customer */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_features_only(ds, SEG_TIME_NONE));
    assert_int_equal(seg_dataset_set_features_only(ds, SEG_TIME_NONE),
                     SEG_EMISUSE);
    assert_ok(seg_dataset_add_transaction(ds, "a", T0 + DAY, 5));
    assert_ok(seg_dataset_add_transaction(ds, "b", T0 + DAY, 5));
    assert_ok(seg_dataset_add_transaction(ds, "b", T0 + 10, 5));
    assert_int_equal(seg_dataset_set_timezone(ds, "+01:00"), SEG_EMISUSE);
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    assert_non_null(strstr(seg_dataset_errmsg(ds), "'b'"));
    assert_int_equal(seg_dataset_column_count(ds), 0);
    seg_dataset_free(ds);

    /* transactions first, then the call */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_add_transaction(ds, "a", T0, 5));
    assert_int_equal(seg_dataset_set_features_only(ds, SEG_TIME_NONE),
                     SEG_EMISUSE);
    seg_dataset_free(ds);
    assert_int_equal(seg_dataset_set_features_only(NULL, SEG_TIME_NONE),
                     SEG_EINVAL);

    /* windows, a holdout, another date, a second time */
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_features_only(ds, T0 + 5 * DAY));
    assert_ok(seg_dataset_add_transaction(ds, "a", T0, 5));
    assert_ok(seg_dataset_add_transaction(ds, "a", T0 + 9 * DAY, 7));
    fo.as_of = T0 + 5 * DAY;
    fo.windows[0] = 30;
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    fo.windows[0] = 0;
    fo.holdout_from = T0 + DAY;
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    fo.holdout_from = SEG_TIME_NONE;
    fo.as_of = T0 + 10 * DAY; /* a record left out would count */
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    fo.as_of = SEG_TIME_NONE; /* the latest time: the same */
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    fo.as_of = T0 + 5 * DAY;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    double v;
    assert_ok(seg_dataset_get_f64(ds, "monetary_total", 0, &v));
    assert_true(v == 5);
    assert_int_equal(seg_dataset_compute_features(ds, &fo), SEG_EMISUSE);
    assert_int_equal(seg_dataset_transaction_count(ds), 2);
    assert_int_equal(seg_dataset_add_transaction(ds, "a", T0, 1) != SEG_OK,
                     1);
    assert_ok(seg_dataset_get_f64(ds, "monetary_total", 0, &v));
    assert_true(v == 5);
    /* what reads the records refuses too */
    seg_model *m;
    assert_ok(seg_model_new(&m, "engagement"));
    assert_ok(seg_model_fit(m, ds));
    assert_int_equal(seg_model_score(m, ds), SEG_EMISUSE);
    assert_non_null(strstr(seg_model_errmsg(m), "features-only"));
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* Customers folded on two threads, each its own lane of rows: a day out
 * of order names the customer a fold of the whole batch in one order of
 * blocks meets first: row 4100 (second lane, fifth block of 1024 rows)
 * before row 9000 (first lane, ninth block), though row 9000's record
 * comes first in the file, on one thread and on two. */
static void test_disorder_named_on_any_threads(void **state)
{
    (void)state;
    enum { N = 200000 };
    size_t cap = (size_t)N * 32 + 256, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)snprintf(buf, cap, "id,time,amount\n");
    for (int i = 0; i < N; i++) /* customer i is row i */
        len += (size_t)snprintf(buf + len, cap - len, "c%d,%lld,5\n", i,
                                (long long)(T0 + 10 * DAY));
    len += (size_t)snprintf(buf + len, cap - len, "c9000,%lld,5\n",
                            (long long)(T0 + 5 * DAY));
    len += (size_t)snprintf(buf + len, cap - len, "c4100,%lld,5\n",
                            (long long)(T0 + 5 * DAY));
    for (int threads = 1; threads <= 2; threads++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        assert_ok(seg_dataset_set_threads(ds, threads));
        assert_ok(seg_dataset_set_features_only(ds, SEG_TIME_NONE));
        assert_ok(seg_dataset_load_csv_buffer(ds, buf, len, "log.csv", NULL));
        assert_int_equal(seg_dataset_compute_features(ds, NULL), SEG_EMISUSE);
        const char *msg = seg_dataset_errmsg(ds);
        if (!strstr(msg, "customer 'c4100'"))
            fail_msg("%d threads: %s", threads, msg);
        seg_dataset_free(ds);
    }
    free(buf);
}

/* A call that fails part way leaves the totals as they were: the features
 * equal those of the calls that succeeded, whether the failing call found
 * records only held or some folded already. */
enum { BIG = 70000 };
static const char *ids[BIG];
static int64_t times[BIG];
static double amounts[BIG];

static void fill(size_t n, int64_t from)
{
    for (size_t i = 0; i < n; i++) {
        ids[i] = idbuf[i % NC];
        times[i] = from + (int64_t)(i / 1000) * DAY + (int64_t)(i % 7);
        amounts[i] = (double)(i % 1000) / 100.0 - 1.0;
    }
}

static void add_both(seg_dataset *a, seg_dataset *b, size_t n)
{
    assert_ok(seg_dataset_add_transactions(a, ids, times, amounts, n));
    assert_ok(seg_dataset_add_transactions(b, ids, times, amounts, n));
}

static void test_failed_call_changes_nothing(void **state)
{
    (void)state;
    make_records();
    for (int folded_before = 0; folded_before < 2; folded_before++) {
        seg_dataset *folded, *stored;
        assert_ok(seg_dataset_new(&folded));
        assert_ok(seg_dataset_new(&stored));
        assert_ok(seg_dataset_set_features_only(folded, SEG_TIME_NONE));
        size_t before = folded_before ? BIG + 10 : 100;
        fill(folded_before ? BIG : 100, T0);
        add_both(folded, stored, folded_before ? BIG : 100);
        if (folded_before) { /* a second call folds the first one's */
            fill(10, T0 + 100 * DAY);
            add_both(folded, stored, 10);
        }
        /* later records, the last of them not a number */
        fill(BIG, T0 + 200 * DAY);
        amounts[BIG - 1] = NAN;
        assert_int_not_equal(seg_dataset_add_transactions(folded, ids, times,
                                                          amounts, BIG),
                             SEG_OK);
        assert_int_equal(seg_dataset_transaction_count(folded), before);
        assert_ok(seg_dataset_compute_features(stored, NULL));
        assert_ok(seg_dataset_compute_features(folded, NULL));
        assert_same_columns(stored, folded);
        seg_dataset_free(folded);
        seg_dataset_free(stored);
    }
}

/* A CSV file sorted by date, loaded by the threaded loader a batch at a
 * time, against the same file stored. */
static void test_csv_load(void **state)
{
    (void)state;
    make_records();
    static rec by_date[NT];
    zone_off = 0;
    memcpy(by_date, recs, sizeof recs);
    qsort(by_date, NT, sizeof *by_date, by_day);
    size_t cap = 64u << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)snprintf(buf, cap, "id,time,amount\n");
    /* each record under many ids, for a load of several batches and
     * more customers than the fold takes in file order */
    size_t lines = 0;
    for (int i = 0; i < NT; i++)
        for (int rep = 0; rep < 3000; rep++) {
            if ((i + rep) % 8)
                continue;
            len += (size_t)snprintf(buf + len, cap - len, "%s-%d,%lld,%.2f\n",
                                    idbuf[by_date[i].cust], rep,
                                    (long long)by_date[i].t,
                                    by_date[i].amount);
            lines++;
        }
    seg_dataset *folded, *stored;
    assert_ok(seg_dataset_new(&folded));
    assert_ok(seg_dataset_new(&stored));
    assert_ok(seg_dataset_set_threads(folded, 2));
    assert_ok(seg_dataset_set_features_only(folded, SEG_TIME_NONE));
    assert_ok(seg_dataset_load_csv_buffer(folded, buf, len, "log.csv", NULL));
    assert_ok(seg_dataset_load_csv_buffer(stored, buf, len, "log.csv", NULL));
    assert_int_equal(seg_dataset_transaction_count(folded), lines);
    assert_true(seg_dataset_customer_count(folded) > 150000);
    assert_ok(seg_dataset_compute_features(stored, NULL));
    assert_ok(seg_dataset_compute_features(folded, NULL));
    assert_same_columns(stored, folded);
    seg_dataset_free(folded);
    seg_dataset_free(stored);
    free(buf);
}

/* Live bytes, counted through the library's allocator: each block has
 * its size ahead of it. Atomic: loads on threads allocate at once. */
typedef union { size_t n; max_align_t align; } head;
static _Atomic size_t live_bytes, peak_bytes;

static void count_bytes(size_t add, size_t sub)
{
    /* unsigned: add - sub wraps, and the sum wraps back */
    size_t now = atomic_fetch_add(&live_bytes, add - sub) + (add - sub);
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak &&
           !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
        ;
}

static void *c_malloc(size_t n, void *u)
{
    (void)u;
    head *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->n = n;
    count_bytes(n, 0);
    return h + 1;
}

static void c_free(void *p, void *u)
{
    (void)u;
    if (!p)
        return;
    head *h = (head *)p - 1;
    count_bytes(0, h->n);
    free(h);
}

static void *c_realloc(void *p, size_t n, void *u)
{
    if (!p)
        return c_malloc(n, u);
    head *h = (head *)p - 1;
    size_t old = h->n;
    head *q = realloc(h, sizeof *q + n);
    if (!q)
        return NULL;
    q->n = n;
    count_bytes(n, old);
    return q + 1;
}

/* A CSV load of many batches into a features-only dataset with totals
 * already, failing at its last line: the totals are as they were, and
 * the load kept the state of its mark once, not once a batch, and only
 * of the block of totals it reached. */
enum { FIRST = 300000, SECOND = 185000, REACHED = 150000 };

static char *csv_of(size_t lines, size_t customers, size_t from_day,
                    bool bad_end, size_t *len)
{
    size_t cap = lines * 40 + 64;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = (size_t)snprintf(buf, cap, "id,time,amount\n");
    for (size_t i = 0; i < lines; i++) {
        bool bad = bad_end && i + 1 == lines;
        n += (size_t)snprintf(buf + n, cap - n, "c%zu,%lld,%s%d\n",
                              (i * 7919) % customers,
                              (long long)(T0 + (int64_t)(from_day + i / 20000) *
                                                   DAY + (int64_t)(i % 600)),
                              bad ? "x" : "", (int)(i % 97) - 5);
    }
    *len = n;
    return buf;
}

/* FIRST customers, customer i at row i, a record each, added twice in
 * calls of fewer than the 64K records held, so that the buffer stays at
 * 64K. */
static void add_first(seg_dataset *ds)
{
    static char text[FIRST][12];
    static const char *id[FIRST];
    static int64_t t[FIRST];
    static double a[FIRST];
    for (size_t i = 0; i < FIRST; i++) {
        snprintf(text[i], sizeof text[i], "c%zu", i); /* row i */
        id[i] = text[i];
        t[i] = T0 + (int64_t)(i / 20000) * DAY + (int64_t)(i % 600);
        a[i] = (double)(i % 97) - 5.0;
    }
    for (size_t i = 0; i < FIRST; i += 50000)
        assert_ok(seg_dataset_add_transactions(ds, id + i, t + i, a + i,
                                               50000));
    /* again from the end, the records held then of the first block */
    for (size_t i = FIRST; i > 0; i -= 50000)
        assert_ok(seg_dataset_add_transactions(ds, id + i - 50000,
                                               t + i - 50000, a + i - 50000,
                                               50000));
}

static void test_failed_load_keeps_once(void **state)
{
    (void)state;
    size_t len2;
    /* customers of the first block of totals only */
    char *second = csv_of(SECOND, REACHED, 30, true, &len2);
    seg_dataset *ds, *ref;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_new(&ref));
    assert_ok(seg_dataset_set_features_only(ds, SEG_TIME_NONE));
    assert_ok(seg_dataset_set_features_only(ref, SEG_TIME_NONE));
    /* one thread and a buffer under the threaded loader's 4 MiB: records
     * added one at a time, the held ones folded every 64K */
    assert_true(len2 < (4u << 20));
    assert_ok(seg_dataset_set_threads(ds, 1));
    add_first(ds);
    add_first(ref);
    size_t before = live_bytes;
    peak_bytes = live_bytes;
    assert_int_not_equal(
        seg_dataset_load_csv_buffer(ds, second, len2, "b.csv", NULL), SEG_OK);
    size_t extra = peak_bytes - before;
    /* two blocks of totals (2^18 customers, 24 MiB each): the one reached
     * copied once, with the pool (6 MB) and the records held, and room
     * for the fold; a copy of both would be over the totals' 48 MiB, a
     * copy a batch three times that */
    assert_int_equal(seg_dataset_customer_count(ds), FIRST);
    size_t totals = 2 * ((size_t)1 << 18) * 96;
    if (extra >= totals)
        fail_msg("the failed load took %zu bytes at its peak, for totals "
                 "of %zu", extra, totals);
    assert_true(live_bytes <= before); /* nothing kept */
    assert_int_equal(seg_dataset_transaction_count(ds), 2 * FIRST);
    assert_ok(seg_dataset_compute_features(ref, NULL));
    assert_ok(seg_dataset_compute_features(ds, NULL));
    assert_same_columns(ref, ds);
    seg_dataset_free(ds);
    seg_dataset_free(ref);
    free(second);
}

int main(void)
{
    seg_allocator al;
    seg_allocator_init(&al);
    al.malloc_fn = c_malloc;
    al.realloc_fn = c_realloc;
    al.free_fn = c_free;
    if (seg_config_allocator(&al) != SEG_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits),
        cmocka_unit_test(test_same_bits_zone_with_transitions),
        cmocka_unit_test(test_many_customers_on_lanes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_disorder_named_on_any_threads),
        cmocka_unit_test(test_failed_call_changes_nothing),
        cmocka_unit_test(test_csv_load),
        cmocka_unit_test(test_failed_load_keeps_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
