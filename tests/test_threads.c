/* Several threads at once on one fitted model and one compiled rule set:
 * each thread scores its own dataset and explains customers of a shared,
 * unchanging one. (One dataset being scored from two threads at once is
 * not supported: scoring writes columns; see seg_dataset.) Run under
 * ThreadSanitizer in CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <segment.h>

#include "testutil.h"

enum { THREADS = 4 };

static seg_dataset *load(void)
{
    return cdnow_sample(NULL, SEG_UNIT_WEEK, NULL);
}

typedef struct job {
    const seg_model *rfm, *bgnbd;
    const seg_rules *rules;
    const seg_dataset *shared;
    seg_dataset *own;
    double sum;
    int failures;
} job;

static int discard(const char *d, size_t n, void *u)
{
    (void)d;
    (void)n;
    (void)u;
    return 0;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (int round = 0; round < 3; round++) {
        if (seg_model_score(j->rfm, j->own) ||
            seg_model_score(j->bgnbd, j->own) ||
            seg_rules_apply(j->rules, j->own, "tier"))
            j->failures++;
        for (size_t row = 0; row < 50; row++)
            if (seg_rules_explain(j->rules, j->shared, row * 7, SEG_FORMAT_TEXT,
                                  discard, NULL))
                j->failures++;
        double args[4] = {39, 2, 30.43, 38.86}, v;
        if (seg_model_eval(j->bgnbd, "expected", args, 4, &v))
            j->failures++;
        j->sum += v;
        /* an error in one thread is that thread's message */
        double bad[3] = {1, 5, 2};
        if (seg_model_eval(j->bgnbd, "p_alive", bad, 3, &v) != SEG_ERANGE ||
            !strstr(seg_errmsg(), "t_x greater than T"))
            j->failures++;
    }
    return NULL;
}

static void test_concurrent_scoring(void **state)
{
    (void)state;
    seg_dataset *shared = load();
    seg_model *rfm, *bgnbd;
    assert_ok(seg_model_new(&rfm, "rfm"));
    assert_ok(seg_model_fit(rfm, shared));
    assert_ok(seg_model_new(&bgnbd, "bgnbd"));
    assert_ok(seg_model_fit(bgnbd, shared));
    const char *text = "tier \"top\" when rfm.score >= 500\notherwise \"rest\"";
    seg_rules *rules;
    assert_ok(seg_rules_parse(&rules, text, strlen(text), NULL));
    assert_ok(seg_model_score(rfm, shared));
    assert_ok(seg_rules_apply(rules, shared, "tier"));

    job jobs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){rfm, bgnbd, rules, shared, load(), 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *a = NULL;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(jobs[i].failures, 0);
        assert_near(jobs[i].sum, jobs[0].sum, 0);
        /* every thread's scores equal the single-threaded ones */
        double x, y;
        for (size_t row = 0; row < seg_dataset_customer_count(shared);
             row += 97) {
            assert_ok(seg_dataset_get_f64(shared, "rfm.score", row, &x));
            assert_ok(seg_dataset_get_f64(jobs[i].own, "rfm.score", row, &y));
            assert_true(x == y || (isnan(x) && isnan(y)));
        }
        seg_dataset_free(jobs[i].own);
    }
    free(a);
    seg_rules_free(rules);
    seg_model_free(rfm);
    seg_model_free(bgnbd);
    seg_dataset_free(shared);
}

static void test_free_order(void **state)
{
    (void)state;
    /* a dataset freed before the model and rules that used it */
    seg_dataset *ds = load();
    seg_model *m;
    seg_rules *r;
    assert_ok(seg_model_new(&m, "rfm"));
    assert_ok(seg_model_fit(m, ds));
    const char *text = "tier \"a\" when orders > 1";
    assert_ok(seg_rules_parse(&r, text, strlen(text), NULL));
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_dataset_free(ds);
    ds = load();
    assert_ok(seg_model_score(m, ds));
    assert_ok(seg_rules_apply(r, ds, NULL));
    seg_model_free(m);
    seg_rules_free(r);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_scoring),
        cmocka_unit_test(test_free_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
