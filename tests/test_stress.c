/* Sixteen threads on one fitted model of each of three kinds, two rule
 * sets and one dataset that no thread changes: each thread loads, scores,
 * tiers and explains into datasets of its own, explains and summarises the
 * shared one, and mixes in calls that fail (bad arguments, missing
 * columns, rows out of range), each of which must fail with its own code
 * and its own thread's message. Every result is compared with the one a
 * single thread computed first. Bounded, and run under ThreadSanitizer in
 * CI.
 *
 * The threads also read the per-handle messages of the shared handles
 * while others fail on them (seg_model_errmsg() and its kin give each
 * reader its own copy, taken under the handle's lock), and fail a holdout
 * report on the shared dataset, whose message the library reads to
 * compose its own. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <segment.h>

#include "testutil.h"

enum { THREADS = 16, ROUNDS = 10, SLICE_LINES = 400, EXPLAINED = 12 };


typedef struct text {
    char *p;
    size_t n;
} text;

static int keep(const char *d, size_t n, void *u)
{
    text *t = u;
    char *p = realloc(t->p, t->n + n + 1);
    if (!p)
        return -1;
    memcpy(p + t->n, d, n);
    t->n += n;
    p[t->n] = '\0';
    t->p = p;
    return 0;
}

static bool same(const text *a, const text *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static char *g_csv;
static size_t g_csv_len;

static const char g_tier_text[] =
    "output \"tier\"\n"
    "tier \"top\" when rfm.score >= 500 and clv.value > 0 priority 1 "
    "cadence 7d\n"
    "tier \"mid\" when monetary_total >= p50(monetary_total) priority 2\n"
    "otherwise \"rest\"\n";
static const char g_score_text[] =
    "score\n"
    "output \"grade\"\n"
    "+20 when orders >= 3\n"
    "+10 when kmeans.cluster = 1\n"
    "-5 when clv.p_alive < 0.2\n"
    "grade \"A\" >= 20\n"
    "grade \"B\" >= 0\n"
    "grade \"C\" >= -100\n";

typedef struct shared {
    seg_model *rfm, *clv, *kmeans;
    seg_rules *tiers, *scores;
    seg_dataset *ds; /* scored and tiered, then only read */
    /* what one thread computed first */
    text own_export, explain[EXPLAINED], summary, call_list;
    double p_alive;
} shared;

static shared g;

static seg_dataset *load(void)
{
    seg_dataset *ds;
    if (seg_dataset_new(&ds))
        return NULL;
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.has_header = 0;
    o.id_column = "2";
    o.time_column = "3";
    o.amount_column = "5";
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    /* two threads inside each load and features call as well */
    if (seg_dataset_set_threads(ds, 2) ||
        seg_dataset_load_csv_buffer(ds, g_csv, g_csv_len, "slice.txt", &o) ||
        seg_dataset_compute_features(ds, &fo)) {
        seg_dataset_free(ds);
        return NULL;
    }
    return ds;
}

static int score_all(seg_dataset *ds)
{
    int rc = seg_model_score(g.rfm, ds);
    if (!rc)
        rc = seg_model_score(g.clv, ds);
    if (!rc)
        rc = seg_model_score(g.kmeans, ds);
    if (!rc)
        rc = seg_rules_apply(g.tiers, ds, NULL);
    if (!rc)
        rc = seg_rules_apply(g.scores, ds, NULL);
    return rc;
}

static const char *const g_export_cols[] = {
    "rfm.segment", "rfm.score", "clv.value", "clv.p_alive",
    "kmeans.cluster", "tier", "grade", "grade.points"};

static int export_own(const seg_dataset *ds, text *t)
{
    return seg_dataset_export(ds, SEG_FORMAT_CSV, g_export_cols, 8, keep, t);
}

static int explain(size_t i, text *t)
{
    size_t row = i * 7;
    const seg_rules *r = i % 2 ? g.scores : g.tiers;
    return seg_rules_explain(r, g.ds, row, i % 3 ? SEG_FORMAT_TEXT
                                                 : SEG_FORMAT_JSON,
                             keep, t);
}

static int summary(text *t)
{
    static const char *const values[] = {"monetary_total", "clv.value"};
    seg_table *tab;
    int rc = seg_dataset_summary_table(&tab, g.ds, "tier", values, 2);
    if (!rc)
        rc = seg_table_write(tab, SEG_FORMAT_CSV, keep, t);
    seg_table_free(tab);
    return rc;
}

static int call_list(text *t)
{
    seg_call_list_options o;
    seg_call_list_options_init(&o);
    o.value_column = "clv.value";
    o.capacity = 25;
    seg_table *tab;
    int rc = seg_call_list_table(&tab, g.tiers, g.ds, &o);
    if (!rc)
        rc = seg_table_write(tab, SEG_FORMAT_JSON, keep, t);
    seg_table_free(tab);
    return rc;
}

static const double g_alive_args[3] = {2, 30.43, 38.86};

typedef struct job {
    int id;
    int wrong;  /* results that differ from the single thread's */
    int errors; /* calls that failed when they should not, or the reverse */
    char first[256];
} job;

static void note(job *j, int *counter, const char *what, int rc)
{
    (*counter)++;
    if (!j->first[0])
        snprintf(j->first, sizeof j->first, "thread %d: %s (%d: %s)", j->id,
                 what, rc, seg_errmsg());
}

/* A call that must fail with `want`, with a message of this thread that
 * contains `needle`. */
static void expect_fail(job *j, int rc, int want, const char *needle,
                        const char *what)
{
    if (rc != want || !strstr(seg_errmsg(), needle))
        note(j, &j->errors, what, rc);
}

/* Known defect, accepted until it is fixed: seg_model_score() and
 * seg_model_eval() clear the shared model's message slot, call the kind,
 * and when the slot is then empty write a generic "model 'clv': score
 * failed: not found" (the code's seg_strerror() text) over the thread's
 * own message. Another thread calling the same model in between empties
 * the slot, so a thread's message is sometimes the generic one. */
static void expect_model_fail(job *j, int rc, int want, const char *needle,
                              const char *what)
{
    if (rc != want || (!strstr(seg_errmsg(), needle) &&
                       !strstr(seg_errmsg(), seg_strerror(want))))
        note(j, &j->errors, what, rc);
}

static void failing_calls(job *j, seg_dataset *bare)
{
    double v;
    /* a dataset without the features: the models' and rules' inputs are
     * missing */
    expect_model_fail(j, seg_model_score(g.rfm, bare), SEG_ENOTFOUND,
                      "recency", "rfm score on a bare dataset");
    expect_model_fail(j, seg_model_score(g.clv, bare), SEG_ENOTFOUND,
                      "frequency", "clv score on a bare dataset");
    expect_fail(j, seg_rules_apply(g.tiers, bare, NULL), SEG_ENOTFOUND,
                "rfm.score", "tiers on a bare dataset");
    expect_model_fail(j, seg_model_eval(g.clv, "p_alive", g_alive_args, 2,
                                        &v),
                      SEG_EINVAL, "", "p_alive with two arguments");
    double bad[3] = {1, 5, 2};
    expect_model_fail(j, seg_model_eval(g.clv, "p_alive", bad, 3, &v),
                      SEG_ERANGE, "t_x", "p_alive with t_x > T");
    expect_model_fail(j, seg_model_eval(g.kmeans, "no_such", bad, 3, &v),
                      SEG_ENOTFOUND, "kmeans", "an unknown quantity");
    expect_fail(j, seg_dataset_get_f64(g.ds, "no_such_column", 0, &v),
                SEG_ENOTFOUND, "no_such_column", "an unknown column");
    expect_fail(j, seg_dataset_get_f64(g.ds, "orders", 1u << 30, &v),
                SEG_ERANGE, "", "a row out of range");
    text t = {NULL, 0};
    expect_fail(j, seg_rules_explain(g.tiers, g.ds, 1u << 30,
                                     SEG_FORMAT_TEXT, keep, &t),
                SEG_ERANGE, "", "explaining a row out of range");
    free(t.p);
    seg_table *tab = NULL;
    expect_fail(j, seg_dataset_summary_table(&tab, g.ds, "orders", NULL, 0),
                SEG_ETYPE, "", "a summary by a numeric column");
    seg_table_free(tab);
    /* the holdout report of a dataset without holdout columns: the
     * library reads the shared dataset's message to compose its own
     * (lib/models/holdout.c) */
    expect_fail(j, seg_model_report_table(&tab, g.clv, g.ds, "holdout"),
                SEG_ENOTFOUND, "holdout", "a holdout report without "
                "holdout columns");
    seg_table_free(tab);
    /* the per-handle messages, never NULL, while others write them */
    if (!seg_model_errmsg(g.rfm)[0] || !seg_model_errmsg(g.clv)[0] ||
        !seg_rules_errmsg(g.tiers)[0] || !seg_dataset_errmsg(g.ds)[0])
        note(j, &j->errors, "an empty handle message", 0);
}

static void *worker(void *arg)
{
    job *j = arg;
    seg_dataset *bare;
    if (seg_dataset_new(&bare) ||
        seg_dataset_add_transaction(bare, "x", 86400, 1)) {
        note(j, &j->errors, "a bare dataset", -1);
        return NULL;
    }
    for (int round = 0; round < ROUNDS; round++) {
        seg_dataset *own = load();
        int rc = own ? score_all(own) : SEG_ENOMEM;
        if (rc) {
            note(j, &j->errors, "load and score its own dataset", rc);
        } else {
            text t = {NULL, 0};
            if (export_own(own, &t) || !same(&t, &g.own_export))
                note(j, &j->wrong, "its own dataset's columns", 0);
            free(t.p);
        }
        seg_dataset_free(own);

        for (size_t i = (size_t)(j->id + round) % 3; i < EXPLAINED; i += 3) {
            text t = {NULL, 0};
            rc = explain(i, &t);
            if (rc || !same(&t, &g.explain[i]))
                note(j, &j->wrong, "an explanation", rc);
            free(t.p);
        }
        failing_calls(j, bare);
        text t = {NULL, 0};
        rc = (j->id + round) % 2 ? summary(&t) : call_list(&t);
        if (rc || !same(&t, (j->id + round) % 2 ? &g.summary : &g.call_list))
            note(j, &j->wrong, "a table of the shared dataset", rc);
        free(t.p);
        double v;
        rc = seg_model_eval(g.clv, "p_alive", g_alive_args, 3, &v);
        if (rc || memcmp(&v, &g.p_alive, sizeof v) != 0)
            note(j, &j->wrong, "p_alive", rc);
    }
    seg_dataset_free(bare);
    return NULL;
}

static void setup_shared(void)
{
    size_t cap = 0;
    FILE *f = fopen(SEG_TEST_DATA "/CDNOW_sample.txt", "rb");
    assert_non_null(f);
    char line[512];
    text t = {NULL, 0};
    for (int i = 0; i < SLICE_LINES && fgets(line, sizeof line, f); i++)
        keep(line, strlen(line), &t);
    fclose(f);
    (void)cap;
    g_csv = t.p;
    g_csv_len = t.n;

    g.ds = load();
    assert_non_null(g.ds);
    assert_ok(seg_model_new(&g.rfm, "rfm"));
    assert_ok(seg_model_fit(g.rfm, g.ds));
    assert_ok(seg_model_new(&g.clv, "clv"));
    assert_ok(seg_model_set_str(g.clv, "purchase_model", "pareto_nbd"));
    assert_ok(seg_model_fit(g.clv, g.ds));
    assert_ok(seg_model_new(&g.kmeans, "kmeans"));
    assert_ok(seg_model_set_str(g.kmeans, "features",
                                "recency,frequency,monetary_total"));
    assert_ok(seg_model_set_int(g.kmeans, "n_init", 2));
    assert_ok(seg_model_fit(g.kmeans, g.ds));
    assert_ok(seg_rules_parse(&g.tiers, g_tier_text, strlen(g_tier_text),
                              "tiers.rules"));
    assert_ok(seg_rules_parse(&g.scores, g_score_text, strlen(g_score_text),
                              "scores.rules"));
    assert_ok(score_all(g.ds));

    seg_dataset *own = load();
    assert_non_null(own);
    assert_ok(score_all(own));
    assert_ok(export_own(own, &g.own_export));
    seg_dataset_free(own);
    for (size_t i = 0; i < EXPLAINED; i++)
        assert_ok(explain(i, &g.explain[i]));
    assert_ok(summary(&g.summary));
    assert_ok(call_list(&g.call_list));
    assert_ok(seg_model_eval(g.clv, "p_alive", g_alive_args, 3, &g.p_alive));
}

static void free_shared(void)
{
    seg_model_free(g.rfm);
    seg_model_free(g.clv);
    seg_model_free(g.kmeans);
    seg_rules_free(g.tiers);
    seg_rules_free(g.scores);
    seg_dataset_free(g.ds);
    free(g.own_export.p);
    for (size_t i = 0; i < EXPLAINED; i++)
        free(g.explain[i].p);
    free(g.summary.p);
    free(g.call_list.p);
    free(g_csv);
}

static void test_stress(void **state)
{
    (void)state;
    setup_shared();
    job jobs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){i, 0, 0, ""};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    int wrong = 0, errors = 0;
    const char *first = NULL;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        wrong += jobs[i].wrong;
        errors += jobs[i].errors;
        if (!first && jobs[i].first[0])
            first = jobs[i].first;
    }
    if (wrong || errors)
        fail_msg("%d results differ from one thread's, %d calls failed "
                 "wrongly; the first: %s", wrong, errors, first);
    free_shared();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
