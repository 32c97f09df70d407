/* Churn timing of the purchase models (p_alive_at, p_none, p_never,
 * next_median, next_half, next_mean; docs/clv.md) against independent
 * computations: tests/ref/churn_ref.py (mpmath quadrature over the
 * posterior from the models' stories), seeded Monte Carlo simulations of
 * the stories forward from posterior draws, the unconditional forms at an
 * empty history, and monotonicity in the horizon. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define BG "r=0.243,alpha=4.414,a=0.793,b=2.426"
#define MBG "r=0.525,alpha=6.183,a=0.891,b=1.614"
#define PNBD "r=0.553,alpha=10.578,s=0.606,beta=11.669"
#define BGBB "alpha=1.204,beta=0.750,gamma=0.657,delta=2.783"

/* tests/ref/churn_ref.py */
#include "clv_timing_ref.h"

static const double histories_ref[6][3] = {
    {0, 0, 0}, {2, 30.43, 38.86}, {10, 35, 38}, {200, 37, 39},
    {5, 100, 1000}, {0, 0, 50}};
#define HORIZON 13

static const char *const quantity[6] = {"p_alive_at", "p_none", "p_never",
                                        "next_median", "next_half",
                                        "next_mean"};

/* one customer per history, so that a fit with fixed parameters has
 * columns to read */
static seg_dataset *small_data(void)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double x[2] = {2, 0}, tx[2] = {3, 0}, T[2] = {6, 6};
    assert_ok(seg_dataset_add_customer(ds, "a", NULL));
    assert_ok(seg_dataset_add_customer(ds, "b", NULL));
    assert_ok(seg_dataset_write_f64(ds, "frequency", x, 2));
    assert_ok(seg_dataset_write_f64(ds, "t_x", tx, 2));
    assert_ok(seg_dataset_write_f64(ds, "T", T, 2));
    assert_ok(seg_dataset_write_f64(ds, "recency", tx, 2));
    assert_ok(seg_dataset_write_f64(ds, "periods", T, 2));
    return ds;
}

static seg_model *fixed(const char *kind, const char *params)
{
    seg_dataset *ds = small_data();
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    assert_ok(seg_model_set_str(m, "fixed", params));
    if (seg_model_fit(m, ds))
        fail_msg("fit %s: %s", kind, seg_model_errmsg(m));
    seg_dataset_free(ds);
    return m;
}

/* the quantity q (t first for the two probabilities), or NaN when the
 * model says it does not exist */
static double q_at(const seg_model *m, int q, double t, const double *h)
{
    double a[4] = {t, h[0], h[1], h[2]}, v;
    const double *args = q <= 1 ? a : a + 1;
    int rc = seg_model_eval(m, quantity[q], args, q <= 1 ? 4 : 3, &v);
    if (rc == SEG_ERANGE && q >= 4)
        return NAN;
    if (rc)
        fail_msg("%s: %s", quantity[q], seg_model_errmsg(m));
    return v;
}

static void check_close(const char *what, double got, double want,
                        double tol)
{
    if (isnan(want) && isnan(got))
        return;
    if (!(fabs(got - want) <= tol * fabs(want) + 1e-300))
        fail_msg("%s = %.17g, expected %.17g (relative %g)", what, got, want,
                 fabs(got - want) / fabs(want));
}

/* ---- against mpmath ---- */

static void test_against_mpmath(void **state)
{
    (void)state;
    const struct {
        const char *kind, *params;
        const double (*ref)[6];
    } k[3] = {{"bgnbd", BG, ref_bgnbd},
              {"mbgnbd", MBG, ref_mbgnbd},
              {"pareto_nbd", PNBD, ref_pareto_nbd}};
    for (int i = 0; i < 3; i++) {
        seg_model *m = fixed(k[i].kind, k[i].params);
        for (int h = 0; h < 6; h++)
            for (int q = 0; q < 6; q++) {
                char what[96];
                snprintf(what, sizeof what, "%s %s (%g, %g, %g)", k[i].kind,
                         quantity[q], histories_ref[h][0],
                         histories_ref[h][1], histories_ref[h][2]);
                /* p_never is 0 exactly for one-time BG/NBD buyers */
                check_close(what, q_at(m, q, HORIZON, histories_ref[h]),
                            k[i].ref[h][q], 1e-9);
            }
        seg_model_free(m);
    }
    seg_model *m = fixed("bgbb", BGBB);
    for (size_t i = 0; i < sizeof ref_bgbb / sizeof *ref_bgbb; i++) {
        const double *r = ref_bgbb[i];
        for (int q = 0; q < 2; q++)
            check_close(quantity[q], q_at(m, q, r[3], r), r[4 + q], 1e-9);
    }
    seg_model_free(m);
}

/* ---- an empty history is a new customer ---- */

static void test_empty_history(void **state)
{
    (void)state;
    const double z[3] = {0, 0, 0};
    const char *kinds[4] = {"bgnbd", "mbgnbd", "pareto_nbd", "bgbb"};
    const char *params[4] = {BG, MBG, PNBD, BGBB};
    for (int i = 0; i < 4; i++) {
        seg_model *m = fixed(kinds[i], params[i]);
        for (double t = 1; t <= 64; t *= 4) {
            double a[2] = {t, 0}, pmf;
            assert_ok(seg_model_eval(m, "pmf", a, 2, &pmf));
            check_close("p_none", q_at(m, 1, t, z), pmf, 1e-12);
        }
        seg_model_free(m);
    }
    /* BG/NBD and MBG/NBD: a new customer's next purchase is a Lomax time
     * of median alpha (2^(1/r) - 1); alive with 1 and b/(a+b) */
    seg_model *m = fixed("bgnbd", BG);
    check_close("median", q_at(m, 3, 0, z), 4.414 * (pow(2, 1 / 0.243) - 1),
                1e-13);
    assert_true(q_at(m, 2, 0, z) == 0);
    seg_model_free(m);
    m = fixed("mbgnbd", MBG);
    check_close("median", q_at(m, 3, 0, z), 6.183 * (pow(2, 1 / 0.525) - 1),
                1e-13);
    check_close("p_never", q_at(m, 2, 0, z), 0.891 / (0.891 + 1.614), 1e-13);
    seg_model_free(m);
    /* Pareto/NBD: exponential lifetimes, P(alive at t) = (beta/(beta+t))^s */
    m = fixed("pareto_nbd", PNBD);
    for (double t = 1; t <= 64; t *= 4)
        check_close("p_alive_at", q_at(m, 0, t, z),
                    pow(11.669 / (11.669 + t), 0.606), 1e-13);
    seg_model_free(m);
    /* BG/BB: alive at opportunity t with B(gamma, delta + t)/B(gamma, delta) */
    m = fixed("bgbb", BGBB);
    for (double t = 1; t <= 16; t *= 2) {
        double g = 0.657, d = 2.783;
        check_close("p_alive_at", q_at(m, 0, t, z),
                    exp(lgamma(d + t) - lgamma(g + d + t) - lgamma(d) +
                        lgamma(g + d)), 1e-12);
    }
    seg_model_free(m);
}

/* ---- monotone in the horizon ----
 * P(alive at T + t) falls with t, and so does P(no purchase in t), the
 * survival function of the next purchase's time: its complement, the
 * chance of a purchase by T + t, rises, towards 1 - P(never). */

static void test_monotone(void **state)
{
    (void)state;
    const char *kinds[4] = {"bgnbd", "mbgnbd", "pareto_nbd", "bgbb"};
    const char *params[4] = {BG, MBG, PNBD, BGBB};
    const double hist[3][3] = {{2, 3, 6}, {0, 0, 5}, {6, 6, 6}};
    for (int i = 0; i < 4; i++) {
        seg_model *m = fixed(kinds[i], params[i]);
        for (int h = 0; h < 3; h++) {
            double pa_prev = 2, none_prev = 2;
            for (double t = 0; t <= 400; t = t < 10 ? t + 1 : t * 1.5) {
                double tt = floor(t);
                double pa = q_at(m, 0, tt, hist[h]);
                double none = q_at(m, 1, tt, hist[h]);
                if (!(pa <= pa_prev && none <= none_prev))
                    fail_msg("%s at t = %g: p_alive_at %.17g after %.17g, "
                             "p_none %.17g after %.17g", kinds[i], tt, pa,
                             pa_prev, none, none_prev);
                pa_prev = pa;
                none_prev = none;
            }
            /* P(no purchase ever) bounds every P(no purchase in t) */
            if (i < 3)
                assert_true(none_prev >= q_at(m, 2, 0, hist[h]) - 1e-12);
        }
        seg_model_free(m);
    }
}

/* ---- Monte Carlo of the stories ---- */

static uint64_t g_rng;

static double unif(void)
{
    /* splitmix64 */
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* Gamma(shape k, rate 1): Marsaglia and Tsang, with U^(1/k) below 1 */
static double gamma_draw(double k)
{
    if (k < 1)
        return gamma_draw(k + 1) * pow(unif(), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = normal(), v = 1 + c * z;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = unif();
        if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

static double beta_draw(double a, double b)
{
    double x = gamma_draw(a), y = gamma_draw(b);
    return x / (x + y);
}

/* outcomes of one simulated customer: alive at T + t, a purchase in t,
 * the time of the next purchase (INFINITY: none ever) */
typedef struct sim {
    bool alive_at, bought;
    double next;
} sim;

/* BG/NBD (mod 0) and MBG/NBD (mod 1): alive at T with P(alive); then
 * lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+mod), purchases at rate
 * lambda, and the coin p after each */
static sim sim_bg(const double *p, int mod, double pa, const double *h,
                  double t)
{
    sim s = {false, false, INFINITY};
    if (unif() >= pa)
        return s;
    double lam = gamma_draw(p[0] + h[0]) / (p[1] + h[2]);
    double drop = beta_draw(p[2], p[3] + h[0] + mod);
    s.next = -log(unif()) / lam;
    s.bought = s.next <= t;
    s.alive_at = true;
    for (double u = s.next; u <= t; u += -log(unif()) / lam)
        if (unif() < drop) {
            s.alive_at = false;
            break;
        }
    return s;
}

/* Pareto/NBD: alive at T; lambda ~ Gamma(r+x, alpha+T), mu ~
 * Gamma(s, beta+T); the lifetime and the next purchase race */
static sim sim_pnbd(const double *p, double pa, const double *h, double t)
{
    sim s = {false, false, INFINITY};
    if (unif() >= pa)
        return s;
    double lam = gamma_draw(p[0] + h[0]) / (p[1] + h[2]);
    double mu = gamma_draw(p[2]) / (p[3] + h[2]);
    double death = -log(unif()) / mu, buy = -log(unif()) / lam;
    s.alive_at = death > t;
    if (buy < death)
        s.next = buy;
    s.bought = s.next <= t;
    return s;
}

/* |share of n - want| within 4.5 standard errors */
static void check_share(const char *what, double k, double n, double want)
{
    double se = sqrt(want * (1 - want) / n);
    if (!(fabs(k / n - want) <= 4.5 * se + 1e-12))
        fail_msg("%s: simulated %.6f, computed %.6f (se %.2g)", what, k / n,
                 want, se);
}

static void test_monte_carlo(void **state)
{
    (void)state;
    const double par[3][4] = {{0.243, 4.414, 0.793, 2.426},
                              {0.525, 6.183, 0.891, 1.614},
                              {0.553, 10.578, 0.606, 11.669}};
    const char *kinds[3] = {"bgnbd", "mbgnbd", "pareto_nbd"};
    const char *params[3] = {BG, MBG, PNBD};
    const double hist[4][3] = {{2, 30.43, 38.86}, {10, 35, 38},
                               {5, 100, 1000}, {0, 0, 20}};
    enum { N = 200000 };
    g_rng = 20261201;
    for (int k = 0; k < 3; k++) {
        seg_model *m = fixed(kinds[k], params[k]);
        for (int h = 0; h < 4; h++) {
            double pa, v[6];
            assert_ok(seg_model_eval(m, "p_alive", hist[h], 3, &pa));
            for (int q = 0; q < 6; q++)
                v[q] = q_at(m, q, HORIZON, hist[h]);
            double alive = 0, none = 0, never = 0, by_med = 0, by_half = 0;
            double buyers = 0, sum = 0, sum2 = 0;
            for (int i = 0; i < N; i++) {
                sim s = k < 2 ? sim_bg(par[k], k, pa, hist[h], HORIZON)
                              : sim_pnbd(par[k], pa, hist[h], HORIZON);
                alive += s.alive_at;
                none += !s.bought;
                if (isinf(s.next)) {
                    never++;
                    continue;
                }
                buyers++;
                by_med += s.next <= v[3];
                by_half += s.next <= v[4];
                sum += s.next;
                sum2 += s.next * s.next;
            }
            char what[64];
            snprintf(what, sizeof what, "%s h%d p_alive_at", kinds[k], h);
            check_share(what, alive, N, v[0]);
            snprintf(what, sizeof what, "%s h%d p_none", kinds[k], h);
            check_share(what, none, N, v[1]);
            snprintf(what, sizeof what, "%s h%d p_never", kinds[k], h);
            check_share(what, never, N, v[2]);
            /* the median given a purchase halves the buyers; next_half
             * halves everyone */
            snprintf(what, sizeof what, "%s h%d next_median", kinds[k], h);
            check_share(what, by_med, buyers, 0.5);
            if (!isnan(v[4])) {
                snprintf(what, sizeof what, "%s h%d next_half", kinds[k], h);
                check_share(what, by_half, N, 0.5);
            }
            /* the mean, where the rate's tail leaves the variance finite
             * (r + x > 2): within 4.5 standard errors */
            double R = par[k][0] + hist[h][0];
            if (R > 2 && k < 2) {
                double mean = sum / buyers;
                double se = sqrt((sum2 / buyers - mean * mean) / buyers);
                if (!(fabs(mean - v[5]) <= 4.5 * se))
                    fail_msg("%s h%d next_mean: simulated %g (se %g), "
                             "computed %g", kinds[k], h, mean, se, v[5]);
            }
        }
        seg_model_free(m);
    }
}

/* BG/BB by its whole story: (p, theta) from the prior, the n
 * opportunities simulated and kept when they give the history exactly,
 * then t more */
static void test_monte_carlo_bgbb(void **state)
{
    (void)state;
    seg_model *m = fixed("bgbb", BGBB);
    const double hist[2][3] = {{2, 3, 6}, {4, 6, 6}};
    const int t = 4;
    g_rng = 15;
    for (int h = 0; h < 2; h++) {
        double kept = 0, alive = 0, none = 0;
        while (kept < 40000) {
            double p = beta_draw(1.204, 0.750), th = beta_draw(0.657, 2.783);
            int x = 0, last = 0;
            bool live = true, later = false;
            /* at each opportunity the customer may die, then buys with p */
            for (int j = 1; j <= 6 + t; j++) {
                if (live && unif() < th)
                    live = false;
                bool buy = live && unif() < p;
                if (buy && j <= 6) {
                    x++;
                    last = j;
                }
                later = later || (buy && j > 6);
            }
            if (x != hist[h][0] || last != hist[h][1])
                continue;
            kept++;
            alive += live;
            none += !later;
        }
        double a[4] = {t, hist[h][0], hist[h][1], hist[h][2]}, v[2];
        assert_ok(seg_model_eval(m, "p_alive_at", a, 4, &v[0]));
        assert_ok(seg_model_eval(m, "p_none", a, 4, &v[1]));
        check_share("bgbb p_alive_at", alive, kept, v[0]);
        check_share("bgbb p_none", none, kept, v[1]);
    }
    seg_model_free(m);
}

/* ---- the score's columns ---- */

static void test_score_columns(void **state)
{
    (void)state;
    seg_dataset *ds = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    seg_model *m;
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    assert_ok(seg_model_set_str(m, "fixed", PNBD));
    assert_ok(seg_model_set_str(m, "timing", "on"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    size_t n = seg_dataset_customer_count(ds);
    double *col[3], *v[7];
    const char *in[3] = {"frequency", "t_x", "T"};
    for (int c = 0; c < 3; c++) {
        col[c] = malloc(n * sizeof **col);
        assert_ok(seg_dataset_copy_f64(ds, in[c], col[c], n));
    }
    for (int q = 0; q < 7; q++) {
        char name[64];
        snprintf(name, sizeof name, "pareto_nbd.%s",
                 q < 6 ? quantity[q] : "next_date");
        v[q] = malloc(n * sizeof **v);
        assert_ok(seg_dataset_copy_f64(ds, name, v[q], n));
    }
    assert_int_equal(seg_dataset_column_kind(ds, "pareto_nbd.next_date"),
                     SEG_KIND_TIMESTAMP);
    /* 13 weeks: the default 90 days in weeks */
    int64_t end;
    assert_ok(seg_time_parse(&end, "1997-09-30", 10, SEG_TIME_ISO8601));
    for (size_t i = 0; i < n; i += 97) {
        double h[3] = {col[0][i], col[1][i], col[2][i]};
        if (isnan(h[0]))
            continue;
        for (int q = 0; q < 6; q++)
            check_close(quantity[q], v[q][i], q_at(m, q, 90.0 / 7, h), 1e-15);
        /* the day of the analysis plus the median, in whole days */
        double day = floor((double)end / 86400);
        assert_true(v[6][i] == (day + round(v[3][i] * 7)) * 86400);
    }
    for (int c = 0; c < 3; c++)
        free(col[c]);
    for (int q = 0; q < 7; q++)
        free(v[q]);
    /* off by default: no column */
    seg_model_free(m);
    assert_ok(seg_model_new(&m, "bgnbd"));
    assert_ok(seg_model_set_str(m, "fixed", BG));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    assert_int_equal(seg_dataset_column_kind(ds, "bgnbd.p_none"),
                     SEG_ENOTFOUND);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* durations of unknown unit need timing_horizon; a median that does not
 * exist is an error of eval naming the reason */
static void test_errors(void **state)
{
    (void)state;
    seg_dataset *ds = small_data();
    seg_model *m;
    assert_ok(seg_model_new(&m, "bgnbd"));
    assert_ok(seg_model_set_str(m, "fixed", BG));
    assert_ok(seg_model_set_str(m, "timing", "on"));
    assert_ok(seg_model_fit(m, ds));
    assert_int_equal(seg_model_score(m, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(m), "timing_horizon"));
    assert_int_equal(seg_dataset_column_kind(ds, "bgnbd.p_alive"),
                     SEG_ENOTFOUND);
    /* a parameter set is a model to fit again */
    assert_ok(seg_model_set_f64(m, "timing_horizon", 4));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double p[2];
    assert_ok(seg_dataset_copy_f64(ds, "bgnbd.p_none", p, 2));
    double a[4] = {4, 2, 3, 6}, v;
    assert_ok(seg_model_eval(m, "p_none", a, 4, &v));
    assert_true(p[0] == v);
    /* no next_date without an analysis date */
    assert_int_equal(seg_dataset_column_kind(ds, "bgnbd.next_date"),
                     SEG_ENOTFOUND);
    /* P(alive) well below 1/2: no next_half */
    double dead[3] = {3, 1, 600};
    assert_int_equal(seg_model_eval(m, "next_half", dead, 3, &v), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "1/2"));
    assert_int_equal(seg_model_eval(m, "next_mean", dead, 2, &v),
                     SEG_EINVAL);
    double neg[4] = {-1, 2, 3, 6};
    assert_int_equal(seg_model_eval(m, "p_alive_at", neg, 4, &v), SEG_ERANGE);
    seg_model_free(m);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_mpmath),
        cmocka_unit_test(test_empty_history),
        cmocka_unit_test(test_monotone),
        cmocka_unit_test(test_monte_carlo),
        cmocka_unit_test(test_monte_carlo_bgbb),
        cmocka_unit_test(test_score_columns),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
