/* Uncertainty of the customer-base models: the parameters' confidence
 * intervals against their closed form, the prediction intervals' seeds
 * and threads, their columns in rules and in saved models, and coverage
 * by simulation from known parameters. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

static seg_dataset *g_cdnow;

static int load_cdnow(void **state)
{
    (void)state;
    g_cdnow = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    return 0;
}

static int free_cdnow(void **state)
{
    (void)state;
    seg_dataset_free(g_cdnow);
    return 0;
}

static double *column(const seg_dataset *ds, const char *name)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    if (seg_dataset_copy_f64(ds, name, v, n))
        fail_msg("%s: %s", name, seg_dataset_errmsg(ds));
    return v;
}

/* the z of a two-sided interval, from tables of the normal distribution */
#define Z90 1.6448536269514722
#define Z95 1.959963984540054

static void check_ci(seg_model *m, double z, double level)
{
    seg_table *t;
    assert_ok(seg_model_report_table(&t, m, NULL, "ci"));
    assert_int_equal(seg_table_column_count(t), 6);
    for (size_t r = 0; r < seg_table_row_count(t); r++) {
        const char *name = seg_table_text(t, r, 0);
        double p, se;
        char sename[48];
        if (!strncmp(name, "spend.", 6))
            snprintf(sename, sizeof sename, "spend.se.%s", name + 6);
        else
            snprintf(sename, sizeof sename, "se.%s", name);
        assert_ok(seg_model_result(m, name, &p));
        assert_ok(seg_model_result(m, sename, &se));
        assert_true(seg_table_f64(t, r, 1) == p);
        assert_true(seg_table_f64(t, r, 2) == se);
        /* exp(log p -+ z se / p): the delta method's se of log p */
        double lo = p * exp(-z * se / p), hi = p * exp(z * se / p);
        assert_true(fabs(seg_table_f64(t, r, 3) / lo - 1) < 1e-13);
        assert_true(fabs(seg_table_f64(t, r, 4) / hi - 1) < 1e-13);
        assert_true(seg_table_f64(t, r, 5) == level);
    }
    seg_table_free(t);
}

static void test_ci_table(void **state)
{
    (void)state;
    seg_model *m;
    assert_ok(seg_model_new(&m, "clv"));
    assert_ok(seg_model_fit(m, g_cdnow));
    check_ci(m, Z95, 0.95);
    seg_table *t;
    assert_ok(seg_model_report_table(&t, m, NULL, "ci"));
    assert_int_equal(seg_table_row_count(t), 7); /* r alpha a b, spend p q g */
    assert_string_equal(seg_table_text(t, 4, 0), "spend.p");
    seg_table_free(t);
    assert_ok(seg_model_set(m, "interval", "0.9"));
    assert_ok(seg_model_fit(m, g_cdnow));
    check_ci(m, Z90, 0.9);
    seg_model_free(m);
}

static const char *const outs[] = {"clv.p_alive", "clv.expected",
                                   "clv.spend", "clv.value"};

/* The eight interval columns of a clv score, one block after another. */
static double *score_intervals(seg_model *m, const char *threads)
{
    assert_ok(seg_model_set(m, "threads", threads));
    assert_ok(seg_model_fit(m, g_cdnow));
    assert_ok(seg_model_score(m, g_cdnow));
    size_t n = seg_dataset_customer_count(g_cdnow);
    double *all = malloc(8 * n * sizeof *all);
    assert_non_null(all);
    for (int c = 0; c < 8; c++) {
        char name[40];
        snprintf(name, sizeof name, "%s_%s", outs[c / 2],
                 c % 2 ? "hi" : "lo");
        double *v = column(g_cdnow, name);
        memcpy(all + c * n, v, n * sizeof *v);
        free(v);
    }
    return all;
}

static void test_same_seed_same_intervals(void **state)
{
    (void)state;
    seg_model *m;
    assert_ok(seg_model_new(&m, "clv"));
    assert_ok(seg_model_set(m, "interval", "0.8"));
    assert_ok(seg_model_set(m, "draws", "300"));
    assert_ok(seg_model_set(m, "seed", "11"));
    size_t n = seg_dataset_customer_count(g_cdnow);
    double *one = score_intervals(m, "1");
    double *two = score_intervals(m, "2");
    double *five = score_intervals(m, "5");
    assert_memory_equal(one, two, 8 * n * sizeof *one);
    assert_memory_equal(one, five, 8 * n * sizeof *one);
    assert_ok(seg_model_set(m, "seed", "12"));
    double *other = score_intervals(m, "2");
    assert_true(memcmp(one, other, 8 * n * sizeof *one) != 0);
    /* every interval is ordered and holds the point prediction */
    for (int c = 0; c < 4; c++) {
        double *v = column(g_cdnow, outs[c]);
        size_t inside = 0, with = 0;
        for (size_t i = 0; i < n; i++) {
            double lo = other[2 * c * n + i], hi = other[(2 * c + 1) * n + i];
            if (isnan(v[i])) {
                assert_true(isnan(lo) && isnan(hi));
                continue;
            }
            with++;
            assert_true(lo <= hi);
            inside += lo <= v[i] * (1 + 1e-12) && v[i] <= hi * (1 + 1e-12);
        }
        assert_true(inside == with);
        free(v);
    }
    free(one);
    free(two);
    free(five);
    free(other);
    seg_model_free(m);
}

static void test_intervals_in_rules_and_files(void **state)
{
    (void)state;
    seg_model *m, *back;
    assert_ok(seg_model_new(&m, "clv"));
    assert_ok(seg_model_set(m, "interval", "0.9"));
    assert_ok(seg_model_set(m, "draws", "200"));
    assert_ok(seg_model_fit(m, g_cdnow));
    assert_ok(seg_model_score(m, g_cdnow));
    const char *text = "tier \"sure\" when clv.value_lo >= 20\n"
                       "tier \"maybe\" when clv.value_hi >= 20\n"
                       "otherwise \"low\"\n";
    seg_rules *r;
    assert_ok(seg_rules_parse(&r, text, strlen(text), "t.rules"));
    assert_ok(seg_rules_apply(r, g_cdnow, "band"));
    size_t n = seg_dataset_customer_count(g_cdnow), sure = 0;
    double *lo = column(g_cdnow, "clv.value_lo");
    for (size_t i = 0; i < n; i++) {
        const char *b;
        assert_ok(seg_dataset_get_label(g_cdnow, "band", i, &b));
        bool want = lo[i] >= 20;
        assert_int_equal(!strcmp(b, "sure"), want);
        sure += want;
    }
    assert_true(sure > 0 && sure < n);
    seg_rules_free(r);
    free(lo);
    /* a saved model keeps the covariance it draws from */
    const char *path = "test-intervals.model";
    double *before = column(g_cdnow, "clv.value_hi");
    assert_ok(seg_model_save(m, path));
    assert_ok(seg_model_load(&back, path));
    assert_ok(seg_model_score(back, g_cdnow));
    double *after = column(g_cdnow, "clv.value_hi");
    assert_memory_equal(before, after, n * sizeof *before);
    free(before);
    free(after);
    remove(path);
    /* the nonparametric resamples are made by a fit */
    assert_ok(seg_model_set(back, "bootstrap", "nonparametric"));
    assert_ok(seg_model_set(back, "draws", "20"));
    assert_ok(seg_model_fit(back, g_cdnow));
    assert_ok(seg_model_score(back, g_cdnow));
    seg_model_free(back);
    seg_model_free(m);
}

/* ---- coverage by simulation ---- */

typedef struct rng {
    uint64_t s;
} rng;

static double unif(rng *g)
{
    g->s += 0x9E3779B97F4A7C15u;
    uint64_t z = g->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(rng *g)
{
    return sqrt(-2 * log(unif(g))) * cos(6.283185307179586 * unif(g));
}

/* Gamma(k, 1) by Marsaglia and Tsang, with the boost for k < 1 */
static double gamma1(rng *g, double k)
{
    if (k < 1)
        return gamma1(g, k + 1) * pow(unif(g), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(g), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        if (log(unif(g)) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

/* One BG/NBD customer observed over (0, T]: lambda ~ Gamma(r, alpha),
 * p ~ Beta(a, b), Poisson purchases at lambda, and after each one a
 * dropout with probability p (Fader, Hardie and Lee 2005). */
static void bgnbd_customer(rng *g, const double *p, double T, double *x,
                           double *tx)
{
    double lambda = gamma1(g, p[0]) / p[1];
    double ga = gamma1(g, p[2]), drop = ga / (ga + gamma1(g, p[3]));
    double t = 0;
    *x = 0;
    *tx = 0;
    for (;;) {
        t += -log(unif(g)) / lambda;
        if (t > T)
            return;
        *x += 1;
        *tx = t;
        if (unif(g) < drop)
            return;
    }
}

static void test_coverage(void **state)
{
    (void)state;
    enum { REPS = 40, N = 2000 };
    const double truth[4] = {0.25, 4.0, 0.8, 2.5};
    const char *names[4] = {"r", "alpha", "a", "b"};
    seg_model *known;
    assert_ok(seg_model_new(&known, "bgnbd"));
    assert_ok(seg_model_set(known, "fixed", "r=0.25,alpha=4,a=0.8,b=2.5"));
    rng g = {20231231};
    char **ids = malloc(N * sizeof *ids);
    double *v[3];
    for (int c = 0; c < 3; c++)
        v[c] = malloc(N * sizeof **v);
    for (size_t i = 0; i < N; i++) {
        ids[i] = malloc(16);
        snprintf(ids[i], 16, "c%zu", i);
    }
    /* the probe customer: three purchases, the last at 30 of 52 weeks */
    const double probe[3] = {3, 30, 52};
    double truth_pa, truth_e, args[4] = {52, 3, 30, 52};
    int cover_param = 0, cover_pa = 0, cover_e = 0;
    for (int rep = 0; rep < REPS; rep++) {
        seg_dataset *ds;
        assert_ok(seg_dataset_new(&ds));
        for (size_t i = 0; i < N; i++) {
            /* customers arrive over a year before the end */
            double T = 52 + floor(52 * unif(&g));
            bgnbd_customer(&g, truth, T, &v[0][i], &v[1][i]);
            v[2][i] = T;
        }
        v[0][0] = probe[0], v[1][0] = probe[1], v[2][0] = probe[2];
        assert_ok(seg_dataset_set_attributes_f64(ds, "frequency",
                                                 (const char **)ids, v[0], N));
        assert_ok(seg_dataset_set_attributes_f64(ds, "t_x",
                                                 (const char **)ids, v[1], N));
        assert_ok(seg_dataset_set_attributes_f64(ds, "T",
                                                 (const char **)ids, v[2], N));
        seg_model *m;
        assert_ok(seg_model_new(&m, "bgnbd"));
        assert_ok(seg_model_set(m, "interval", "0.9"));
        assert_ok(seg_model_set(m, "draws", "200"));
        assert_ok(seg_model_set(m, "seed", "5"));
        assert_ok(seg_model_fit(m, ds));
        seg_table *t;
        assert_ok(seg_model_report_table(&t, m, NULL, "ci"));
        for (int k = 0; k < 4; k++) {
            assert_string_equal(seg_table_text(t, (size_t)k, 0), names[k]);
            cover_param += seg_table_f64(t, (size_t)k, 3) <= truth[k] &&
                           truth[k] <= seg_table_f64(t, (size_t)k, 4);
        }
        seg_table_free(t);
        assert_ok(seg_model_score(m, ds));
        double *lo = column(ds, "bgnbd.p_alive_lo");
        double *hi = column(ds, "bgnbd.p_alive_hi");
        double *elo = column(ds, "bgnbd.expected_lo");
        double *ehi = column(ds, "bgnbd.expected_hi");
        assert_ok(seg_model_fit(known, ds));
        assert_ok(seg_model_eval(known, "p_alive", args + 1, 3, &truth_pa));
        assert_ok(seg_model_eval(known, "expected", args, 4, &truth_e));
        cover_pa += lo[0] <= truth_pa && truth_pa <= hi[0];
        cover_e += elo[0] <= truth_e && truth_e <= ehi[0];
        free(lo);
        free(hi);
        free(elo);
        free(ehi);
        seg_model_free(m);
        seg_dataset_free(ds);
    }
    /* 90% intervals: 160 parameter trials (binomial sd 2.4%), 40 of each
     * prediction (4.7%) */
    double share = cover_param / (4.0 * REPS);
    print_message("coverage: parameters %.3f, p_alive %.3f, expected %.3f\n",
                  share, cover_pa / (double)REPS, cover_e / (double)REPS);
    assert_true(share > 0.82 && share < 0.97);
    assert_true(cover_pa >= 0.75 * REPS);
    assert_true(cover_e >= 0.75 * REPS);
    for (size_t i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
    for (int c = 0; c < 3; c++)
        free(v[c]);
    seg_model_free(known);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Refits on resampled customers and draws from the asymptotic normal
 * estimate the same sampling distribution: on 2,357 customers their
 * intervals are about as wide (to 5% in the median, measured), and the
 * resamples do not depend on the threads either. */
static void test_nonparametric_against_parametric(void **state)
{
    (void)state;
    size_t n = seg_dataset_customer_count(g_cdnow);
    double *w[2], *keep = NULL;
    for (int np = 0; np < 2; np++) {
        seg_model *m;
        assert_ok(seg_model_new(&m, "bgnbd"));
        assert_ok(seg_model_set(m, "interval", "0.9"));
        assert_ok(seg_model_set(m, "draws", np ? "200" : "1000"));
        assert_ok(seg_model_set(m, "bootstrap",
                                np ? "nonparametric" : "parametric"));
        for (int threads = 1; threads <= (np ? 2 : 1); threads++) {
            assert_ok(seg_model_set(m, "threads", threads == 1 ? "1" : "2"));
            assert_ok(seg_model_fit(m, g_cdnow));
            assert_ok(seg_model_score(m, g_cdnow));
            double *lo = column(g_cdnow, "bgnbd.expected_lo");
            double *hi = column(g_cdnow, "bgnbd.expected_hi");
            for (size_t i = 0; i < n; i++)
                hi[i] -= lo[i];
            if (threads == 2)
                assert_memory_equal(keep, hi, n * sizeof *hi);
            free(keep);
            keep = hi;
            free(lo);
        }
        w[np] = keep;
        keep = NULL;
        seg_model_free(m);
    }
    double *x = column(g_cdnow, "frequency");
    double *ratio = malloc(n * sizeof *ratio);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0)
            ratio[k++] = w[1][i] / w[0][i];
    qsort(ratio, k, sizeof *ratio, cmp_double);
    double median = ratio[k / 2];
    print_message("nonparametric / parametric width: median %.3f\n", median);
    assert_true(median > 0.85 && median < 1.2);
    free(ratio);
    free(x);
    free(w[0]);
    free(w[1]);
}

/* What the intervals' evaluation rests on: every purchase model's
 * expectation is P(alive) times a factor of x and T alone, so the one at
 * t_x = T serves every t_x. */
static void test_expected_over_p_alive_forgets_t_x(void **state)
{
    (void)state;
    static const char *const kinds[4][2] = {
        {"bgnbd", "r=0.243,alpha=4.414,a=0.793,b=2.426"},
        {"mbgnbd", "r=0.525,alpha=6.183,a=0.891,b=1.614"},
        {"pareto_nbd", "r=0.553,alpha=10.578,s=0.606,beta=11.669"},
        {"bgbb", "alpha=1.204,beta=0.750,gamma=0.657,delta=2.783"}};
    static const double hist[4][3] = {{1, 1, 6}, {2, 3, 6}, {4, 5, 6},
                                      {5, 5, 6}};
    for (int k = 0; k < 4; k++) {
        seg_model *m;
        assert_ok(seg_model_new(&m, kinds[k][0]));
        assert_ok(seg_model_set(m, "fixed", kinds[k][1]));
        seg_dataset *ds = NULL;
        if (k == 3) {
            /* BG/BB fits on opportunities */
            assert_ok(seg_dataset_new(&ds));
            const char *ids[2] = {"a", "b"};
            const double x[2] = {1, 0}, t[2] = {1, 0}, n[2] = {6, 6};
            assert_ok(seg_dataset_set_attributes_f64(ds, "frequency", ids, x,
                                                     2));
            assert_ok(seg_dataset_set_attributes_f64(ds, "recency", ids, t, 2));
            assert_ok(seg_dataset_set_attributes_f64(ds, "periods", ids, n,
                                                     2));
        }
        assert_ok(seg_model_fit(m, ds ? ds : g_cdnow));
        for (int h = 0; h < 4; h++) {
            double x = hist[h][0], tx = hist[h][1], T = hist[h][2];
            double a[4] = {5, x, tx, T}, b[4] = {5, x, T, T}, ea, eb, pa, pb;
            assert_ok(seg_model_eval(m, "expected", a, 4, &ea));
            assert_ok(seg_model_eval(m, "p_alive", a + 1, 3, &pa));
            assert_ok(seg_model_eval(m, "expected", b, 4, &eb));
            assert_ok(seg_model_eval(m, "p_alive", b + 1, 3, &pb));
            assert_true(fabs((ea / pa) / (eb / pb) - 1) < 1e-9);
        }
        seg_dataset_free(ds);
        seg_model_free(m);
    }
}

static void test_errors(void **state)
{
    (void)state;
    seg_model *m;
    assert_ok(seg_model_new(&m, "bgnbd"));
    assert_int_equal(seg_model_set(m, "interval", "1"), SEG_ERANGE);
    assert_int_equal(seg_model_set(m, "bootstrap", "jackknife"), SEG_ERANGE);
    assert_ok(seg_model_set(m, "interval", "0.9"));
    assert_ok(seg_model_set(m, "bootstrap", "nonparametric"));
    assert_ok(seg_model_set(m, "fixed", "r=0.25,alpha=4,a=0.8,b=2.5"));
    assert_int_equal(seg_model_fit(m, g_cdnow), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(m), "fixed"));
    seg_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_table),
        cmocka_unit_test(test_same_seed_same_intervals),
        cmocka_unit_test(test_intervals_in_rules_and_files),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_nonparametric_against_parametric),
        cmocka_unit_test(test_expected_over_p_alive_forgets_t_x),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, load_cdnow, free_cdnow);
}
