/* k-means against a plain Lloyd iteration written out here: the same
 * starting centres must end at the same labels and inertia, and a fit
 * from k-means++ must be a fixed point of Lloyd's step, on any number of
 * threads. Up to four features the runs filter over a tree of boxes,
 * beyond that they keep Hamerly's bounds: both are checked, and on points
 * of a grid, where many are equal and many sit at the same distance from
 * two centres (ties go to the lower centre, as in a plain search). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "segment.h"

#define assert_ok(x) assert_int_equal((x), SEG_OK)

/* more than one block of the bound tests, and not a whole number of
 * them; overlapping blobs, so that many points sit near a boundary */
enum { N = 5003, MAXF = 6 };
static const char *const FEAT[MAXF] = {"a", "b", "c", "d", "e", "f"};
static const char *const FEATURES[MAXF + 1] = {
    "", "a", "a,b", "a,b,c", "a,b,c,d", "a,b,c,d,e", "a,b,c,d,e,f"};

/* the points of the test at hand, with NF features of them */
static double X[N][MAXF];
static int NF = 3;

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* grid: each feature one of 0, 1, 2, 3; else overlapping blobs */
static seg_dataset *points_of(int nf, bool grid)
{
    uint32_t s = 2463534242u;
    NF = nf;
    for (int i = 0; i < N; i++) {
        int g = i % 7;
        for (int f = 0; f < NF; f++)
            X[i][f] = grid ? (double)(xorshift(&s) % 4)
                           : (double)((g * (f + 2)) % 5) * 2.5 +
                                 (double)xorshift(&s) / 4294967296.0 * 6.0;
    }
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
    }
    static double col[N];
    for (int f = 0; f < NF; f++) {
        for (int i = 0; i < N; i++)
            col[i] = X[i][f];
        assert_ok(seg_dataset_write_f64(ds, FEAT[f], col, N));
    }
    return ds;
}

static seg_dataset *points(void)
{
    return points_of(3, false);
}

static double dist2(const double *x, const double *c)
{
    double s = 0;
    for (int f = 0; f < NF; f++)
        s += (x[f] - c[f]) * (x[f] - c[f]);
    return s;
}

static int nearest(const double *x, const double (*c)[MAXF], int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (dist2(x, c[j]) < dist2(x, c[best]))
            best = j;
    return best;
}

/* the means of the clusters of lab; an empty cluster keeps its centre */
static void means(const int *lab, int k, double (*c)[MAXF])
{
    double sum[64][MAXF] = {{0}}, cnt[64] = {0};
    for (int i = 0; i < N; i++) {
        cnt[lab[i]]++;
        for (int f = 0; f < NF; f++)
            sum[lab[i]][f] += X[i][f];
    }
    for (int j = 0; j < k; j++)
        if (cnt[j] > 0)
            for (int f = 0; f < NF; f++)
                c[j][f] = sum[j][f] / cnt[j];
}

static double inertia_of(const int *lab, const double (*c)[MAXF])
{
    double s = 0;
    for (int i = 0; i < N; i++)
        s += dist2(X[i], c[lab[i]]);
    return s;
}

static seg_model *kmeans(int k, int threads, const char *init)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, "kmeans"));
    assert_ok(seg_model_set_str(m, "features", FEATURES[NF]));
    assert_ok(seg_model_set_int(m, "standardize", 0));
    assert_ok(seg_model_set_int(m, "k", k));
    assert_ok(seg_model_set_int(m, "threads", threads));
    assert_ok(seg_model_set_int(m, "max_iter", 100000));
    assert_ok(seg_model_set_f64(m, "tol", 0));
    if (init)
        assert_ok(seg_model_set_str(m, "init", init));
    return m;
}

static void labels_of(seg_model *m, seg_dataset *ds, int *lab)
{
    assert_ok(seg_model_score(m, ds));
    for (int i = 0; i < N; i++) {
        double v;
        assert_ok(seg_dataset_get_f64(ds, "kmeans.cluster", (size_t)i, &v));
        lab[i] = (int)v;
    }
}

static double result(const seg_model *m, const char *name)
{
    double v;
    assert_ok(seg_model_result(m, name, &v));
    return v;
}

/* From given centres: Lloyd's steps until no label changes, here by brute
 * force, against the fit. */
static void same_as_lloyd(int nf, bool grid)
{
    seg_dataset *ds = points_of(nf, grid);
    static const int ks[] = {1, 2, 5, 8, 11};
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        int k = ks[t];
        double c[64][MAXF];
        char init[4096] = "";
        for (int j = 0; j < k; j++) {
            int row = (j * 613 + 17) % N;
            for (int f = 0; f < NF; f++) {
                /* on the grid, centres between its points: ties */
                c[j][f] = X[row][f] + (grid ? 0.5 * (double)(j % 2) : 0);
                snprintf(init + strlen(init), sizeof init - strlen(init),
                         "%s%.17g", f ? "," : j ? ";" : "", c[j][f]);
            }
        }
        static int lab[N], fit[N];
        for (int i = 0; i < N; i++)
            lab[i] = nearest(X[i], (const double(*)[MAXF])c, k);
        for (int changed = 1; changed;) {
            means(lab, k, c);
            changed = 0;
            for (int i = 0; i < N; i++) {
                int a = nearest(X[i], (const double(*)[MAXF])c, k);
                changed += a != lab[i];
                lab[i] = a;
            }
        }
        double want = inertia_of(lab, (const double(*)[MAXF])c);
        for (int threads = 1; threads <= 3; threads += 2) {
            seg_model *m = kmeans(k, threads, init);
            assert_ok(seg_model_fit(m, ds));
            labels_of(m, ds, fit);
            assert_memory_equal(fit, lab, sizeof lab);
            assert_true(fabs(result(m, "inertia") - want) <= 1e-9 * want);
            seg_model_free(m);
        }
    }
    seg_dataset_free(ds);
}

static void test_same_as_lloyd(void **state)
{
    (void)state;
    for (int nf = 1; nf <= MAXF; nf++)
        same_as_lloyd(nf, false);
}

static void test_same_as_lloyd_on_a_grid(void **state)
{
    (void)state;
    for (int nf = 1; nf <= MAXF; nf++)
        same_as_lloyd(nf, true);
}

/* From k-means++: the fit is a fixed point of Lloyd's step (each label the
 * nearest centre, each centre its points' mean, the inertia theirs), and
 * the same on one, two and three threads. */
static void test_fixed_point(void **state)
{
    (void)state;
    seg_dataset *ds = points();
    static int lab[N], lab1[N];
    double inertia1 = 0;
    for (int threads = 1; threads <= 3; threads++) {
        seg_model *m = kmeans(8, threads, NULL);
        assert_ok(seg_model_set_int(m, "n_init", 5));
        assert_ok(seg_model_fit(m, ds));
        labels_of(m, ds, lab);
        double c[64][MAXF];
        means(lab, 8, c);
        for (int i = 0; i < N; i++)
            assert_int_equal(nearest(X[i], (const double(*)[MAXF])c, 8),
                             lab[i]);
        double got = result(m, "inertia");
        double want = inertia_of(lab, (const double(*)[MAXF])c);
        assert_true(fabs(got - want) <= 1e-9 * want);
        if (threads == 1) {
            inertia1 = got;
            memcpy(lab1, lab, sizeof lab);
        } else {
            assert_true(got == inertia1);
            assert_memory_equal(lab, lab1, sizeof lab);
        }
        seg_model_free(m);
    }
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_lloyd),
        cmocka_unit_test(test_same_as_lloyd_on_a_grid),
        cmocka_unit_test(test_fixed_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
