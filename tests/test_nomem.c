/* Out of memory is SEG_ENOMEM, wherever it happens: the N-th allocation
 * fails, for every N until the call succeeds, in the rule language and the
 * models. Allocator hooks go in before the library's first allocation, so
 * this test is a process of its own. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <segment.h>

#include "testutil.h"

static long g_countdown = -1; /* the allocation that fails; -1: none */
static long g_live;

static bool fail_now(void)
{
    if (g_countdown < 0)
        return false;
    return g_countdown-- == 0;
}

static void *t_malloc(size_t n, void *u)
{
    (void)u;
    if (fail_now())
        return NULL;
    void *p = malloc(n);
    g_live += p != NULL;
    return p;
}

static void *t_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (fail_now())
        return NULL;
    void *q = realloc(p, n);
    g_live += !p && q;
    return q;
}

static void t_free(void *p, void *u)
{
    (void)u;
    g_live -= p != NULL;
    free(p);
}

typedef int (*op_fn)(void *ctx);

/* Run op with the N-th allocation failing, N = 0, 1, ... until it
 * succeeds; every failure must be SEG_ENOMEM and leave no block behind:
 * nothing leaked, and no output column of a failed apply or score left in
 * the dataset. */

static void every_failure(const char *what, op_fn op, op_fn undo, void *ctx)
{
    for (long n = 0;; n++) {
        long live = g_live;
        g_countdown = n;
        int rc = op(ctx);
        bool failed_alloc = g_countdown < 0;
        g_countdown = -1;
        if (rc == SEG_OK) {
            if (undo)
                undo(ctx);
            if (!failed_alloc)
                return; /* every allocation it makes has been failed */
            continue;  /* the failure was absorbed: the result is whole */
        }
        if (rc != SEG_ENOMEM)
            fail_msg("%s, allocation %ld failing: %d (%s), expected "
                     "SEG_ENOMEM", what, n, rc, seg_errmsg());
        if (g_live != live)
            fail_msg("%s, allocation %ld failing: %ld blocks leaked", what,
                     n, g_live - live);
        if (n > 200000)
            fail_msg("%s: no end", what);
    }
}

/* ---- the rule language ---- */

static const char *const RULES =
    "tier \"VIP customers\" when monetary_total >= 500 and channel in "
    "(\"organic\", \"ads\", \"x\") priority 1 tags \"a\", \"b\", \"c\"\n"
    "tier \"mid\" when orders + 1 + 2 + 3 > 2 or p80(orders) < orders\n"
    "otherwise \"low\"";

typedef struct rules_ctx {
    seg_rules *r;
    seg_dataset *ds;
    char *text;
} rules_ctx;

static int parse_op(void *c)
{
    rules_ctx *x = c;
    return seg_rules_parse(&x->r, RULES, strlen(RULES), "t.rules");
}

static int parse_undo(void *c)
{
    rules_ctx *x = c;
    seg_rules_free(x->r);
    x->r = NULL;
    return 0;
}

static int apply_op(void *c)
{
    rules_ctx *x = c;
    return seg_rules_apply(x->r, x->ds, "t");
}

static int explain_op(void *c)
{
    rules_ctx *x = c;
    char *s = NULL;
    int rc = seg_rules_explain(x->r, x->ds, 0, SEG_FORMAT_JSON, collect, &s);
    free(s);
    return rc;
}

static seg_dataset *people(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"ann", "bob", "cat", "dan", "eve"};
    double spend[] = {500, 120, 40, 0, 900};
    double orders[] = {12, 3, 1, 0, 8};
    const char *channel[] = {"organic", "social", "ads", NULL, "organic"};
    for (int i = 0; i < 5; i++)
        assert_ok(seg_dataset_add_customer(ds, ids[i], NULL));
    assert_ok(seg_dataset_write_f64(ds, "monetary_total", spend, 5));
    assert_ok(seg_dataset_write_f64(ds, "orders", orders, 5));
    assert_ok(seg_dataset_write_labels(ds, "channel", channel, 5));
    return ds;
}

static void test_rules(void **state)
{
    (void)state;
    rules_ctx x = {NULL, people(), NULL};
    every_failure("seg_rules_parse", parse_op, parse_undo, &x);
    assert_ok(parse_op(&x));
    every_failure("seg_rules_apply", apply_op, NULL, &x);
    every_failure("seg_rules_explain", explain_op, NULL, &x);
    seg_rules_free(x.r);
    seg_dataset_free(x.ds);
}

/* ---- models ---- */

typedef struct model_ctx {
    seg_model *m, *back;
    seg_dataset *ds;
    const char *kind;
    char path[64];
} model_ctx;

static int fit_op(void *c)
{
    model_ctx *x = c;
    return seg_model_fit(x->m, x->ds);
}

static int score_op(void *c)
{
    model_ctx *x = c;
    return seg_model_score(x->m, x->ds);
}

static int save_op(void *c)
{
    model_ctx *x = c;
    return seg_model_save(x->m, x->path);
}

static int load_op(void *c)
{
    model_ctx *x = c;
    return seg_model_load(&x->back, x->path);
}

static int load_undo(void *c)
{
    model_ctx *x = c;
    seg_model_free(x->back);
    x->back = NULL;
    return 0;
}

static int new_op(void *c)
{
    model_ctx *x = c;
    return seg_model_new(&x->back, x->kind);
}

static void one_kind(const char *kind, const char *features)
{
    model_ctx x = {NULL, NULL, NULL, kind, "/tmp/seg-nomem-XXXXXX"};
    int fd = mkstemp(x.path);
    assert_true(fd >= 0);
    close(fd);
    assert_ok(seg_dataset_new(&x.ds));
    const char *ids[] = {"a", "b", "c", "d", "a", "b", "e", "f"};
    int64_t t[] = {0, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 9 * 86400,
                   4 * 86400, 7 * 86400};
    double am[] = {10, 20, 30, 40, 50, 60, 70, 80};
    assert_ok(seg_dataset_add_transactions(x.ds, ids, t, am, 8));
    assert_ok(seg_dataset_compute_features(x.ds, NULL));
    every_failure("seg_model_new", new_op, load_undo, &x);
    assert_ok(seg_model_new(&x.m, kind));
    if (features) {
        assert_ok(seg_model_set_str(x.m, "features", features));
        assert_ok(seg_model_set_int(x.m, "k", 2));
        assert_ok(seg_model_set_int(x.m, "threads", 1));
        assert_ok(seg_model_set_int(x.m, "n_init", 2));
    }
    every_failure("seg_model_fit", fit_op, NULL, &x);
    assert_ok(seg_model_set_name(x.m, "a model with a name"));
    every_failure("seg_model_score", score_op, NULL, &x);
    every_failure("seg_model_save", save_op, NULL, &x);
    every_failure("seg_model_load", load_op, load_undo, &x);
    remove(x.path);
    seg_model_free(x.m);
    seg_dataset_free(x.ds);
}

/* The registry of kinds is built at its first use, with out of memory
 * there too: a kind missing for that reason is added at the next call,
 * and is SEG_ENOMEM meanwhile, never "no model kind". */
static int kinds_op(void *c)
{
    (void)c;
    seg_model *m;
    int rc = seg_model_new(&m, "kmeans");
    seg_model_free(m);
    return rc;
}

static void test_models(void **state)
{
    (void)state;
    long n = 0;
    do {
        g_countdown = n++;
        int rc = kinds_op(NULL);
        g_countdown = -1;
        if (rc != SEG_OK && rc != SEG_ENOMEM)
            fail_msg("the first seg_model_new: %d (%s)", rc, seg_errmsg());
    } while (seg_model_kind_count() < 10 || kinds_op(NULL) != SEG_OK);
    one_kind("rfm", NULL);
    one_kind("kmeans", "recency,frequency");
}

/* ---- snapshots ---- */

typedef struct snap_ctx {
    seg_dataset *ds;
    seg_rules *r;
    size_t ncols;
} snap_ctx;

/* Two dates, a model fitted at each, hysteresis and the migration: a
 * failure anywhere leaves the dataset's columns as they were. */
static int snap_op(void *c)
{
    snap_ctx *x = c;
    static const int64_t dates[2] = {INT64_C(1704153599),
                                     INT64_C(1706831999)};
    seg_snapshot_options o;
    seg_snapshot_options_init(&o);
    o.enter_hold = "hi=2";
    seg_snapshots *s = NULL;
    seg_table *t = NULL;
    /* a model not fitted yet, so that it is fitted at each date */
    seg_model *m = NULL;
    int rc = seg_model_new(&m, "rfm");
    if (!rc)
        rc = seg_snapshots_run(&s, x->ds, dates, 2, &m, 1,
                               (const seg_rules *const *)&x->r, 1, &o);
    seg_model_free(m);
    if (rc && x->ncols != SIZE_MAX &&
        seg_dataset_column_count(x->ds) != x->ncols)
        fail_msg("a failed snapshot run left columns");
    if (!rc)
        rc = seg_snapshots_transition_table(&t, s, x->ds, 0, 1);
    seg_table_free(t);
    seg_snapshots_free(s);
    return rc;
}

static void test_snapshots(void **state)
{
    (void)state;
    snap_ctx x = {0};
    assert_ok(seg_dataset_new(&x.ds));
    const char *ids[] = {"ann", "bob", "cat", "dan", "eve"};
    for (int i = 0; i < 5; i++)
        for (int k = 0; k <= i; k++)
            assert_ok(seg_dataset_add_transaction(
                x.ds, ids[(i + k) % 5], INT64_C(1704067200) + 86400 * 9 * k,
                10.0 * (i + 1)));
    static const char text[] = "output \"v\"\n"
                               "tier \"hi\" when rfm.score >= 300\n"
                               "otherwise \"lo\"";
    assert_ok(seg_rules_parse(&x.r, text, strlen(text), "t.rules"));
    /* a first run grows what the dataset keeps (its columns, the room of
     * its mark), which is no leak */
    x.ncols = SIZE_MAX;
    assert_ok(snap_op(&x));
    x.ncols = seg_dataset_column_count(x.ds);
    every_failure("seg_snapshots_run", snap_op, NULL, &x);
    seg_rules_free(x.r);
    seg_dataset_free(x.ds);
}

/* ---- a features-only dataset: its totals, same-day records and the
 * features written from them ---- */

static int fold_op(void *c)
{
    (void)c;
    static const char *const ids[] = {"ann", "bob", "cat", "dan", "eve"};
    seg_dataset *ds = NULL;
    int rc = seg_dataset_new(&ds);
    if (!rc)
        rc = seg_dataset_set_features_only(ds, SEG_TIME_NONE);
    for (int i = 0; i < 40 && !rc; i++)
        rc = seg_dataset_add_transaction(
            ds, ids[i % 5], INT64_C(1704067200) + 86400 * (i / 10) + 40 - i,
            (double)(i % 7) - 2.5);
    if (!rc)
        rc = seg_dataset_compute_features(ds, NULL);
    seg_dataset_free(ds);
    return rc;
}

static void test_features_only(void **state)
{
    (void)state;
    every_failure("a features-only dataset", fold_op, NULL, NULL);
}

/* ---- features of a features-only dataset with records held: a failed
 * fold of the last batch leaves the totals as they were ---- */

enum { HELD_BIG = 1 << 16, HELD_MORE = 4000 };

/* Records of five customers over many days, a batch folded and the
 * last ones held: many on each customer's open day (more than the pool
 * and the sort have room for), then some on later days. */
static seg_dataset *held_records(void)
{
    static const char *const ids[] = {"ann", "bob", "cat", "dan", "eve"};
    static const char *id[HELD_BIG];
    static int64_t t[HELD_BIG];
    static double a[HELD_BIG];
    for (size_t i = 0; i < HELD_BIG; i++) {
        id[i] = ids[i % 5];
        t[i] = INT64_C(1704067200) + (int64_t)(i / 1000) * 86400 +
               (int64_t)(999 - i % 1000);
        a[i] = (double)(i % 13) - 3.25;
    }
    seg_dataset *ds = NULL;
    assert_int_equal(seg_dataset_new(&ds), SEG_OK);
    assert_int_equal(seg_dataset_set_features_only(ds, SEG_TIME_NONE),
                     SEG_OK);
    assert_int_equal(seg_dataset_add_transactions(ds, id, t, a, HELD_BIG),
                     SEG_OK);
    int64_t last = t[HELD_BIG - 1];
    for (size_t i = 0; i < HELD_MORE; i++) {
        id[i] = ids[(i * 3) % 5];
        int64_t day = i < 3 * HELD_MORE / 4 ? 0 : 1 + (int64_t)(i % 1000) / 250;
        t[i] = last + 86400 * day + (int64_t)(i % 997);
        a[i] = (double)(i % 5) * 1.5 - 2.0;
    }
    /* folds the first call's records, then holds these */
    assert_int_equal(seg_dataset_add_transactions(ds, id, t, a, HELD_MORE),
                     SEG_OK);
    return ds;
}

static void assert_same_features(seg_dataset *a, seg_dataset *b)
{
    size_t nc = seg_dataset_column_count(a);
    assert_int_equal(nc, seg_dataset_column_count(b));
    assert_int_equal(seg_dataset_customer_count(a),
                     seg_dataset_customer_count(b));
    for (size_t k = 0; k < nc; k++) {
        const char *name = seg_dataset_column_name(a, k);
        assert_string_equal(name, seg_dataset_column_name(b, k));
        for (size_t r = 0; r < seg_dataset_customer_count(a); r++) {
            double va, vb;
            assert_int_equal(seg_dataset_get_f64(a, name, r, &va), SEG_OK);
            assert_int_equal(seg_dataset_get_f64(b, name, r, &vb), SEG_OK);
            if (memcmp(&va, &vb, sizeof va) != 0)
                fail_msg("%s of row %zu: %.17g against %.17g", name, r, va,
                         vb);
        }
    }
}

static void test_features_of_held_records(void **state)
{
    (void)state;
    seg_dataset *fresh = held_records();
    if (seg_dataset_compute_features(fresh, NULL) != SEG_OK)
        fail_msg("%s", seg_errmsg());
    for (long n = 0;; n++) {
        seg_dataset *ds = held_records();
        g_countdown = n;
        int rc = seg_dataset_compute_features(ds, NULL);
        bool failed_alloc = g_countdown < 0;
        g_countdown = -1;
        if (rc != SEG_OK) {
            if (rc != SEG_ENOMEM)
                fail_msg("allocation %ld failing: %d (%s), expected "
                         "SEG_ENOMEM", n, rc, seg_errmsg());
            assert_int_equal(seg_dataset_transaction_count(ds),
                             HELD_BIG + HELD_MORE);
            assert_int_equal(seg_dataset_compute_features(ds, NULL), SEG_OK);
        }
        assert_same_features(fresh, ds);
        seg_dataset_free(ds);
        if (!failed_alloc)
            break; /* every allocation it makes has been failed */
        if (n > 100000)
            fail_msg("no end");
    }
    seg_dataset_free(fresh);
}

/* A load into such a dataset that fails on any of its allocations (the
 * state of its mark kept, a block copied, room for the fold) leaves its
 * totals as they were: the features equal those without it. */
static void test_failed_load_of_held_records(void **state)
{
    (void)state;
    enum { MORE = 70000 };
    static const char *id[MORE];
    static int64_t t[MORE];
    static double a[MORE];
    static const char *const ids[] = {"ann", "bob", "cat", "dan", "eve",
                                      "fay"};
    for (size_t i = 0; i < MORE; i++) {
        id[i] = ids[i % 6];
        t[i] = INT64_C(1704067200) + 86400 * (int64_t)(70 + i / 5000) +
               (int64_t)(i % 3000);
        a[i] = (double)(i % 11) - 4.5;
    }
    seg_dataset *fresh = held_records();
    assert_int_equal(seg_dataset_compute_features(fresh, NULL), SEG_OK);
    for (long n = 0;; n++) {
        seg_dataset *ds = held_records();
        g_countdown = n;
        int rc = seg_dataset_add_transactions(ds, id, t, a, MORE);
        bool failed_alloc = g_countdown < 0;
        g_countdown = -1;
        if (rc == SEG_OK) {
            seg_dataset_free(ds);
            if (!failed_alloc)
                break;
            continue;
        }
        if (rc != SEG_ENOMEM)
            fail_msg("allocation %ld failing: %d (%s), expected SEG_ENOMEM",
                     n, rc, seg_errmsg());
        assert_int_equal(seg_dataset_transaction_count(ds),
                         HELD_BIG + HELD_MORE);
        assert_int_equal(seg_dataset_compute_features(ds, NULL), SEG_OK);
        assert_same_features(fresh, ds);
        seg_dataset_free(ds);
        if (n > 100000)
            fail_msg("no end");
    }
    seg_dataset_free(fresh);
}

int main(void)
{
    seg_allocator a;
    seg_allocator_init(&a);
    a.malloc_fn = t_malloc;
    a.realloc_fn = t_realloc;
    a.free_fn = t_free;
    if (seg_config_allocator(&a) != SEG_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_features_only),
        cmocka_unit_test(test_features_of_held_records),
        cmocka_unit_test(test_failed_load_of_held_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
