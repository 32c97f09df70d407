/* Customer-base models against independent computations: every
 * conditional quantity at an empty history against its unconditional
 * counterpart, and values against tests/ref/clv_ref.py (mpmath: posterior
 * integrals by quadrature from the definitions of the models, and
 * mpmath's own hyp2f1). Also: bounded work on data that do not identify
 * a model, and loaded states held to the same bounds as fitted ones. */
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

static double eval(const seg_model *m, const char *q, const double *a,
                   size_t n)
{
    double v;
    if (seg_model_eval(m, q, a, n, &v))
        fail_msg("%s: %s", q, seg_model_errmsg(m));
    return v;
}

/* |got - want| <= tol |want| */
#define assert_rel(got, want, tol)                                          \
    do {                                                                    \
        double g_ = (got), w_ = (want);                                     \
        if (!(fabs(g_ - w_) <= (tol) * fabs(w_)))                           \
            fail_msg("%s = %.17g, expected %.17g (relative %g, tolerance "  \
                     "%g)", #got, g_, w_, fabs(g_ - w_) / fabs(w_),         \
                     (double)(tol));                                        \
    } while (0)

/* customers with these (x, t_x, T) or (x, t_x, n) histories, `copies`
 * of each */
static seg_dataset *histories(const double (*h)[3], int nh, int copies)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    int n = nh * copies;
    double *c[3];
    for (int k = 0; k < 3; k++)
        c[k] = malloc((size_t)n * sizeof **c);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        for (int k = 0; k < 3; k++)
            c[k][i] = h[i % nh][k];
    }
    static const char *const names[3][3] = {{"frequency", "t_x", "T"},
                                            {"frequency", "recency", "periods"},
                                            {"m", "", ""}};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 3; k++)
            if (s == 0 || k > 0)
                assert_ok(seg_dataset_write_f64(ds, names[s][k], c[k],
                                                (size_t)n));
    for (int k = 0; k < 3; k++)
        free(c[k]);
    return ds;
}

static seg_model *fixed_on(const char *kind, const char *fixed,
                           seg_dataset *ds)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    assert_ok(seg_model_set_str(m, "fixed", fixed));
    if (seg_model_fit(m, ds))
        fail_msg("fit %s: %s", kind, seg_model_errmsg(m));
    return m;
}

#define BG "r=0.243,alpha=4.414,a=0.793,b=2.426"
#define MBG "r=0.525,alpha=6.183,a=0.891,b=1.614"
#define PNBD "r=0.553,alpha=10.578,s=0.606,beta=11.669"
#define BGBB "alpha=1.204,beta=0.750,gamma=0.657,delta=2.783"

static const double one_history[1][3] = {{2, 3, 6}};

/* ---- item: conditional quantities at an empty history ---- */

static void test_empty_history_is_unconditional(void **state)
{
    (void)state;
    seg_dataset *small = histories(one_history, 1, 3);
    struct {
        const char *kind, *fixed;
        double alive0; /* P(alive) of a new customer */
    } k[4] = {{"bgnbd", BG, 1},
              {"mbgnbd", MBG, 1.614 / (0.891 + 1.614)},
              {"pareto_nbd", PNBD, 1},
              {"bgbb", BGBB, 2.783 / (0.657 + 2.783)}};
    for (int i = 0; i < 4; i++) {
        seg_model *m = fixed_on(k[i].kind, k[i].fixed,
                                i == 3 ? small : g_cdnow);
        double z[3] = {0, 0, 0};
        assert_rel(eval(m, "p_alive", z, 3), k[i].alive0, 1e-14);
        static const double ts[4] = {1, 5, 39, 500};
        for (int j = 0; j < 4; j++) {
            double t = ts[j];
            double a4[4] = {t, 0, 0, 0};
            assert_rel(eval(m, "expected", a4, 4),
                       eval(m, "expected_unconditional", &t, 1), 1e-12);
            for (double n = 0; n <= 6; n++) {
                double a2[2] = {t, n}, a5[5] = {t, n, 0, 0, 0};
                assert_rel(eval(m, "pmf_conditional", a5, 5),
                           eval(m, "pmf", a2, 2), 1e-12);
            }
        }
        seg_model_free(m);
    }
    /* the reported case: MBG/NBD at an empty history, clv through it too */
    seg_model *m = fixed_on("mbgnbd", MBG, g_cdnow);
    double a4[4] = {39, 0, 0, 0}, t = 39;
    assert_rel(eval(m, "expected", a4, 4), 1.1829536655971726, 1e-9);
    assert_rel(eval(m, "expected_unconditional", &t, 1), 1.1829536655971726,
               1e-9);
    seg_model_free(m);
    seg_model *c;
    assert_ok(seg_model_new(&c, "clv"));
    assert_ok(seg_model_set_str(c, "purchase_model", "mbgnbd"));
    assert_ok(seg_model_set_str(c, "fixed", MBG));
    assert_ok(seg_model_set_str(c, "fixed_spend", "p=6.25,q=3.74,gamma=15.44"));
    assert_ok(seg_model_fit(c, g_cdnow));
    double h[4] = {0, 0, 0, 10}, xm[2] = {0, 10};
    double spend = eval(c, "expected_spend", xm, 2), want = 0, prev = 0;
    assert_rel(spend, 6.25 * 15.44 / 2.74, 1e-14); /* the population mean */
    for (int i = 1; i <= 12; i++) {
        double u = i * (365.2425 / 84); /* a month in weeks */
        double e = eval(c, "expected_unconditional", &u, 1);
        want += spend * (e - prev) / pow(1.01, i);
        prev = e;
    }
    assert_rel(eval(c, "value", h, 4), want, 1e-12);
    seg_model_free(c);
    /* Gamma-Gamma: no repeat purchase, the population mean */
    seg_model *g;
    assert_ok(seg_model_new(&g, "gamma_gamma"));
    assert_ok(seg_model_set_str(g, "fixed", "p=6.25,q=3.74,gamma=15.44"));
    assert_ok(seg_model_fit(g, g_cdnow));
    assert_rel(eval(g, "expected_spend", xm, 2), 6.25 * 15.44 / 2.74, 1e-14);
    seg_model_free(g);
    seg_dataset_free(small);
}

static void test_mbgnbd_against_quadrature(void **state)
{
    (void)state;
    seg_model *m = fixed_on("mbgnbd", MBG, g_cdnow);
    /* clv_ref.py: bg_expected (and bg_expected_2d, a double integral) */
    double a[4] = {39, 2, 30.43, 38.86}, b[4] = {10, 7, 35, 38.86};
    assert_rel(eval(m, "expected", a, 4), 1.2629606232673657, 1e-9);
    assert_rel(eval(m, "expected", b, 4), 1.2886606084785385, 1e-9);
    seg_model_free(m);
}

/* ---- item: BG/NBD with a + b < 1 ---- */

static void test_bgnbd_small_a_plus_b(void **state)
{
    (void)state;
    seg_model *m = fixed_on("bgnbd", "r=0.11,alpha=2.24,a=0.31,b=0.5", g_cdnow);
    double a[4] = {30, 0, 0, 38.86}, b[4] = {30, 3, 20, 38.86};
    /* clv_ref.py: bg_expected; the second also bg_conditional_hyp */
    assert_rel(eval(m, "expected", a, 4), 0.071037846817285932, 1e-9);
    assert_rel(eval(m, "expected", b, 4), 1.1206248341554159, 1e-9);
    /* every customer scores */
    assert_ok(seg_model_score(m, g_cdnow));
    size_t n = seg_dataset_customer_count(g_cdnow);
    for (size_t i = 0; i < n; i++) {
        double v;
        assert_ok(seg_dataset_get_f64(g_cdnow, "bgnbd.expected", i, &v));
        assert_true(isfinite(v) && v >= 0);
    }
    seg_model_free(m);
}

/* ---- item: BG/NBD at and near a = 1; an unidentified fit ---- */

static void test_bgnbd_a_near_one(void **state)
{
    (void)state;
    static const struct {
        const char *a;
        double u, c; /* clv_ref.py: E[X(39)], E(39 | 2, 30.43, 38.86) */
    } k[5] = {{"1", 1.0842790105915187, 1.1021367860399558},
              {"1.000000001", 1.0842790101162923, 1.1021367854937253},
              {"0.999999999", 1.0842790110667451, 1.1021367865861863},
              {"1.000001", 1.0842785353654066, 1.1021362398096755},
              {"0.999999", 1.0842794858182148, 1.1021373322707007}};
    for (int i = 0; i < 5; i++) {
        char fixed[96];
        snprintf(fixed, sizeof fixed, "r=0.243,alpha=4.414,a=%s,b=2.426",
                 k[i].a);
        seg_model *m = fixed_on("bgnbd", fixed, g_cdnow);
        double t = 39, a4[4] = {39, 2, 30.43, 38.86};
        assert_rel(eval(m, "expected_unconditional", &t, 1), k[i].u, 1e-9);
        assert_rel(eval(m, "expected", a4, 4), k[i].c, 1e-9);
        assert_ok(seg_model_score(m, g_cdnow));
        seg_model_free(m);
    }
}

/* small and large a and b: clv_ref.py, E(52 | 0, 0, 38.86) by bg_expected
 * and E(52 | 2, 30.43, 38.86) by bg_conditional_hyp (mpmath's hyp2f1) */
static void test_bgnbd_small_and_large_a_b(void **state)
{
    (void)state;
    static const struct {
        const char *ab;
        double e0, e2;
    } k[7] = {{"a=1e-5,b=2.426", 0.29199908417989326, 2.6952683779337364},
              {"a=1e-10,b=2.426", 0.29199981512417817, 2.6952904744289367},
              {"a=0.793,b=1e-10", 0.1745089064260514, 0.80410819124165745},
              {"a=0.793,b=1e10", 0.29199981511419462, 2.695290473885956},
              {"a=0.793,b=0.01", 0.1756179083710961, 0.80951330135396042},
              {"a=0.01,b=0.01", 0.23290555894268348, 2.6354018850051786},
              {"a=0.001,b=0.2", 0.29135468721682597, 2.6900078346587798}};
    for (int i = 0; i < 7; i++) {
        char fixed[96];
        snprintf(fixed, sizeof fixed, "r=0.243,alpha=4.414,%s", k[i].ab);
        seg_model *m = fixed_on("bgnbd", fixed, g_cdnow);
        double a0[4] = {52, 0, 0, 38.86}, a2[4] = {52, 2, 30.43, 38.86};
        assert_rel(eval(m, "expected", a0, 4), k[i].e0, 1e-9);
        assert_rel(eval(m, "expected", a2, 4), k[i].e2, 1e-9);
        seg_model_free(m);
    }
}

static void test_no_repeat_purchase_is_not_a_fit(void **state)
{
    (void)state;
    static const double h[3][3] = {{0, 0, 10}, {0, 0, 20}, {0, 0, 38}};
    seg_dataset *ds = histories(h, 3, 20);
    static const char *const kinds[4] = {"bgnbd", "mbgnbd", "pareto_nbd",
                                         "bgbb"};
    for (int i = 0; i < 4; i++) {
        seg_model *m;
        assert_ok(seg_model_new(&m, kinds[i]));
        assert_int_equal(seg_model_fit(m, ds), SEG_ECONVERGE);
        assert_non_null(strstr(seg_model_errmsg(m), "no customer has a "
                                                    "repeat purchase"));
        assert_false(seg_model_is_fitted(m));
        seg_model_free(m);
    }
    seg_dataset_free(ds);
}

/* ---- item: bounded work on degenerate data ---- */

static long evaluations_in(const char *msg)
{
    const char *e = strstr(msg, " evaluations");
    assert_non_null(e);
    while (e > msg && (e[-1] >= '0' && e[-1] <= '9'))
        e--;
    return strtol(e, NULL, 10);
}

static void test_degenerate_fit_is_bounded(void **state)
{
    (void)state;
    /* 100 customers, two histories: every repeat buyer bought at the very
     * end, nobody stopped; the likelihood improves without end as r and
     * alpha grow together */
    static const double h[2][3] = {{1, 10, 10}, {0, 0, 10}};
    seg_dataset *ds = histories(h, 2, 50);
    seg_model *m;
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    int rc = seg_model_fit(m, ds);
    assert_int_equal(rc, SEG_ECONVERGE);
    const char *msg = seg_model_errmsg(m);
    print_message("%s\n", msg);
    assert_non_null(strstr(msg, "did not converge"));
    /* 8 x max_iter (2000) at most */
    assert_true(evaluations_in(msg) <= 16000);
    assert_false(seg_model_is_fitted(m));
    seg_model_free(m);
    seg_dataset_free(ds);
    /* another pair, with a small max_iter: the evaluations stay within
     * the budget of 8 x max_iter */
    static const double h2[2][3] = {{1, 0.001, 50}, {5, 10, 10}};
    ds = histories(h2, 2, 50);
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    assert_ok(seg_model_set_int(m, "max_iter", 50));
    assert_int_equal(seg_model_fit(m, ds), SEG_ECONVERGE);
    msg = seg_model_errmsg(m);
    print_message("%s\n", msg);
    assert_true(evaluations_in(msg) <= 400);
    assert_false(seg_model_is_fitted(m));
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* ---- item: the conditional PMF ---- */

static void check_pmf_sums(const seg_model *m, double t, double x, double tx,
                           double T, int nmax, double tol)
{
    double sum = 0, mean = 0;
    for (int n = 0; n <= nmax; n++) {
        double a5[5] = {t, n, x, tx, T};
        double p = eval(m, "pmf_conditional", a5, 5);
        assert_true(p >= 0);
        sum += p;
        mean += n * p;
    }
    double a4[4] = {t, x, tx, T};
    assert_near(sum, 1, tol);
    assert_rel(mean, eval(m, "expected", a4, 4), tol);
}

static void test_pmf_conditional(void **state)
{
    (void)state;
    seg_dataset *small = histories(one_history, 1, 3);
    const char *kinds[4] = {"bgnbd", "mbgnbd", "pareto_nbd", "bgbb"};
    const char *fixed[4] = {BG, MBG, PNBD, BGBB};
    for (int i = 0; i < 4; i++) {
        seg_model *m = fixed_on(kinds[i], fixed[i], i == 3 ? small : g_cdnow);
        double a5[5] = {0, 0, 2, 5, 6};
        assert_near(eval(m, "pmf_conditional", a5, 5), 1, 0);
        a5[1] = 3;
        assert_near(eval(m, "pmf_conditional", a5, 5), 0, 0);
        if (i < 3) {
            check_pmf_sums(m, 39, 2, 30.43, 38.86, 400, 1e-9);
            check_pmf_sums(m, 10, 0, 0, 20, 200, 1e-9);
            check_pmf_sums(m, 100, 10, 35, 38, 1500, 1e-9);
        } else {
            check_pmf_sums(m, 5, 3, 5, 6, 5, 1e-9);
            check_pmf_sums(m, 20, 0, 0, 6, 20, 1e-9);
        }
        seg_model_free(m);
    }
    /* clv_ref.py: bg_pmf, pnbd_pmf, bgbb_pmf */
    static const double h[5][5] = {{39, 0, 2, 30.43, 38.86},
                                   {39, 1, 2, 30.43, 38.86},
                                   {39, 5, 2, 30.43, 38.86},
                                   {10, 3, 0, 0, 20},
                                   {100, 40, 10, 35, 38}};
    static const double bg[5] = {0.44537286208299557, 0.23931893743502776,
                                 0.022863812898119037, 0.0016341239393829616,
                                 0.0027476965877442707};
    static const double mbg[5] = {0.44000590917770686, 0.23422405642628645,
                                  0.024376067466719023, 0.0017356499776391446,
                                  0.0022223258397115934};
    static const double pn[4] = {0.40806272360646378, 0.21928749790096378,
                                 0.031981970261184638, 0.0019220179795408967};
    seg_model *b = fixed_on("bgnbd", BG, g_cdnow);
    seg_model *mb = fixed_on("mbgnbd", MBG, g_cdnow);
    seg_model *p = fixed_on("pareto_nbd", PNBD, g_cdnow);
    for (int i = 0; i < 5; i++) {
        assert_rel(eval(b, "pmf_conditional", h[i], 5), bg[i], 1e-9);
        assert_rel(eval(mb, "pmf_conditional", h[i], 5), mbg[i], 1e-9);
        if (i < 4)
            assert_rel(eval(p, "pmf_conditional", h[i], 5), pn[i], 1e-8);
    }
    /* far in the tail: positive, and falling as a negative binomial tail
     * does (the ratio of neighbours tends to t / (alpha + T + t)) */
    for (int n = 240; n <= 2000; n += 40) {
        double a2[2] = {39, n}, a3[2] = {39, n + 1};
        double p0 = eval(mb, "pmf", a2, 2), p1 = eval(mb, "pmf", a3, 2);
        assert_true(p0 > 0 && p1 > 0 && p1 < p0);
        assert_true(p1 / p0 < 39 / (6.183 + 39) * (1 + 1.0 / n) + 1e-12);
    }
    /* clv_ref.py bg_pmf_tail (the integrals over p as Beta functions, the
     * tail from mpmath's betainc): far in the tail, to 1e-9 relative */
    static const double ht[3][5] = {{39, 300, 0, 0, 0},
                                    {39, 150, 2, 30.43, 38.86},
                                    {500, 2000, 10, 35, 38}};
    static const double bgt[3] = {4.747632058613786e-19,
                                  1.0848887197280451e-48,
                                  7.1092415601348232e-60};
    static const double mbgt[3] = {8.723792986226277e-24,
                                   9.6309213053211612e-50,
                                   2.0882732198623276e-62};
    for (int i = 0; i < 3; i++) {
        assert_rel(eval(b, "pmf_conditional", ht[i], 5), bgt[i], 1e-9);
        assert_rel(eval(mb, "pmf_conditional", ht[i], 5), mbgt[i], 1e-9);
    }
    seg_model_free(b);
    seg_model_free(mb);
    seg_model_free(p);
    seg_model *bb = fixed_on("bgbb", BGBB, small);
    static const double hb[4][5] = {{5, 0, 3, 5, 6}, {5, 2, 3, 5, 6},
                                    {5, 5, 6, 6, 6}, {3, 1, 0, 0, 6}};
    static const double vb[4] = {0.30950712337305003, 0.18180076247653168,
                                 0.49597325297139744, 0.02778456538994576};
    for (int i = 0; i < 4; i++)
        assert_rel(eval(bb, "pmf_conditional", hb[i], 5), vb[i], 1e-8);
    seg_model_free(bb);
    seg_dataset_free(small);
}

/* ---- item: large t ---- */

static void test_large_t(void **state)
{
    (void)state;
    seg_model *m = fixed_on("bgnbd", BG, g_cdnow);
    /* clv_ref.py: bg_unconditional_hyp, mpmath's hyp2f1 */
    static const double t[4] = {1e5, 3e5, 1e7, 1e9};
    static const double want[4] = {29.607861654554955, 39.578914336275287,
                                   92.383980656915203, 256.25492550312445};
    for (int i = 0; i < 4; i++)
        assert_rel(eval(m, "expected_unconditional", &t[i], 1), want[i], 1e-8);
    seg_model_free(m);
}

/* ---- item: every evaluation bounded, finite or an error ---- */

static void score_all(seg_model *m, const char *col)
{
    assert_ok(seg_model_score(m, g_cdnow));
    size_t n = seg_dataset_customer_count(g_cdnow);
    for (size_t i = 0; i < n; i++) {
        double v;
        assert_ok(seg_dataset_get_f64(g_cdnow, col, i, &v));
        assert_true(isfinite(v));
    }
}

static void test_extreme_parameters(void **state)
{
    (void)state;
    /* Pareto/NBD with a tiny beta: clv_ref.py pnbd_p_alive */
    seg_model *m = fixed_on("pareto_nbd", "r=0.553,alpha=10.578,s=0.606,"
                            "beta=1e-9", g_cdnow);
    static const double h[3][3] = {{0, 0, 38.86}, {2, 30.43, 38.86},
                                   {1, 0.5, 30}};
    static const double pa[3] = {1.6309522513708849e-7, 0.82892131277066123,
                                 0.015061478720411284};
    for (int i = 0; i < 3; i++)
        assert_rel(eval(m, "p_alive", h[i], 3), pa[i], 1e-8);
    score_all(m, "pareto_nbd.p_alive");
    seg_model_free(m);
    /* a large r */
    m = fixed_on("bgnbd", "r=1000,alpha=4.414,a=0.793,b=2.426", g_cdnow);
    score_all(m, "bgnbd.expected");
    seg_model_free(m);
    /* clv at the largest units_per_month */
    static const double upm[2] = {430000, 1e6};
    for (int i = 0; i < 2; i++) {
        seg_model *c;
        assert_ok(seg_model_new(&c, "clv"));
        assert_ok(seg_model_set_f64(c, "units_per_month", upm[i]));
        assert_ok(seg_model_set_str(c, "fixed", BG));
        assert_ok(seg_model_set_str(c, "fixed_spend",
                                    "p=6.25,q=3.74,gamma=15.44"));
        assert_ok(seg_model_fit(c, g_cdnow));
        score_all(c, "clv.value");
        seg_model_free(c);
    }
    /* parameters outside the range the formulas serve: an error naming
     * the parameter */
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    assert_ok(seg_model_set_str(m, "fixed", "r=0.553,alpha=10.578,s=0.606,"
                                "beta=1e-12"));
    assert_int_equal(seg_model_fit(m, g_cdnow), SEG_ERANGE);
    assert_non_null(strstr(seg_model_errmsg(m), "beta"));
    seg_model_free(m);
}

static void test_bgbb_gamma_near_one_and_large(void **state)
{
    (void)state;
    seg_dataset *small = histories(one_history, 1, 3);
    static const struct {
        const char *g;
        double e; /* clv_ref.py bgbb_expected: E(5 | 3, 5, 6) */
    } k[4] = {{"1", 1.5087471958733291},
              {"1.000000001", 1.5087471951125705},
              {"0.999999", 1.5087479566321825},
              {"100000", 1.4287492574901659e-9}};
    for (int i = 0; i < 4; i++) {
        char fixed[96];
        snprintf(fixed, sizeof fixed, "alpha=1.204,beta=0.750,gamma=%s,"
                 "delta=2.783", k[i].g);
        seg_model *m = fixed_on("bgbb", fixed, small);
        double a4[4] = {5, 3, 5, 6};
        assert_rel(eval(m, "expected", a4, 4), k[i].e, 1e-9);
        seg_model_free(m);
    }
    seg_dataset_free(small);
}

/* Pareto/NBD P(alive), which the intervals share, at t_x = 0, t_x near
 * T, x in the hundreds, alpha < beta (the fit of the 1M bench) and
 * alpha > beta: clv_ref.py pnbd_p_alive_steep */
static void test_pnbd_p_alive_accuracy(void **state)
{
    (void)state;
    static const double h[11][3] = {
        {0, 0, 1094},      {0, 0, 1},         {1, 0, 500},
        {2, 1093.9, 1094}, {5, 1093, 1094},   {50, 1000, 1094},
        {300, 1090, 1094}, {300, 900, 1094},  {381, 600, 1094},
        {10, 0, 1094},     {1, 1e-3, 1094}};
    static const char *const par[2] = {
        "r=1.161831503,alpha=34.7979112,s=0.6901860487,beta=195.2357393",
        "r=0.553,alpha=110.578,s=0.606,beta=11.669"};
    static const double want[2][11] = {
        {0.030062332535528888, 0.99642191872790331, 0.014911692638543052,
         0.999946457347292, 0.99946312657948022, 0.49241936730808852,
         0.99617287621354925, 9.9012224685480745e-23,
         1.4575637794436339e-93, 3.1528925671161944e-16,
         0.001956973003993723},
        {0.021267553808093939, 0.95127661259877905, 0.011366808347592719,
         0.99994518476854572, 0.99945055240027452, 0.54981485545771504,
         0.99623608325350044, 4.7793021157016971e-21,
         1.3133314786026188e-85, 2.6209571048917925e-12,
         0.0024961980519268616}};
    for (int k = 0; k < 2; k++) {
        seg_model *m = fixed_on("pareto_nbd", par[k], g_cdnow);
        for (int i = 0; i < 11; i++)
            assert_rel(eval(m, "p_alive", h[i], 3), want[k][i], 1e-12);
        seg_model_free(m);
    }
}

/* Every parameter of every purchase model at the ends of its range (and
 * inside them), the others at the published values: every quantity
 * finite and in range. */
static void test_parameter_range(void **state)
{
    (void)state;
    static const double h[4][3] = {{0, 0, 38.86}, {2, 30.43, 38.86},
                                   {1, 0.5, 30}, {300, 38.8, 38.86}};
    static const double hb[3][3] = {{0, 0, 6}, {3, 5, 6}, {6, 6, 6}};
    seg_dataset *cont = histories(h, 4, 1), *disc = histories(hb, 3, 1);
    static const char *const kinds[4] = {"bgnbd", "mbgnbd", "pareto_nbd",
                                         "bgbb"};
    static const char *const names[4][4] = {{"r", "alpha", "a", "b"},
                                            {"r", "alpha", "a", "b"},
                                            {"r", "alpha", "s", "beta"},
                                            {"alpha", "beta", "gamma",
                                             "delta"}};
    static const double base[4][4] = {{0.243, 4.414, 0.793, 2.426},
                                      {0.525, 6.183, 0.891, 1.614},
                                      {0.553, 10.578, 0.606, 11.669},
                                      {1.204, 0.75, 0.657, 2.783}};
    static const double ends[4] = {1e-10, 1e-5, 1e5, 1e10};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 4; e++) {
                char fx[256];
                int o = 0;
                for (int i = 0; i < 4; i++)
                    o += snprintf(fx + o, sizeof fx - (size_t)o, "%s%s=%.17g",
                                  i ? "," : "", names[k][i],
                                  i == j ? ends[e] : base[k][i]);
                seg_model *m = fixed_on(kinds[k], fx, k == 3 ? disc : cont);
                for (int i = 0; i < (k == 3 ? 3 : 4); i++) {
                    const double *y = k == 3 ? hb[i] : h[i];
                    double t = k == 3 ? 5 : 52;
                    double a4[4] = {t, y[0], y[1], y[2]};
                    double a5[5] = {t, 1, y[0], y[1], y[2]};
                    double pa = eval(m, "p_alive", y, 3);
                    double ex = eval(m, "expected", a4, 4);
                    double pm = eval(m, "pmf_conditional", a5, 5);
                    if (!(pa >= 0 && pa <= 1 && ex >= 0 && pm >= 0 &&
                          pm <= 1))
                        fail_msg("%s %s history %d: p_alive %g expected %g "
                                 "pmf %g", kinds[k], fx, i, pa, ex, pm);
                }
                seg_model_free(m);
            }
    seg_dataset_free(cont);
    seg_dataset_free(disc);
    /* BG/BB sums over the opportunities of a history: n is bounded */
    seg_dataset *small = histories(one_history, 1, 3);
    seg_model *m = fixed_on("bgbb", BGBB, small);
    double big[3] = {2, 3, 1e7}, v;
    assert_int_equal(seg_model_eval(m, "p_alive", big, 3, &v), SEG_ERANGE);
    /* the bound, as the entry point or the kind states it */
    const char *msg = seg_model_errmsg(m);
    assert_true(strstr(msg, "1e6") || strstr(msg, "1e+06"));
    seg_model_free(m);
    seg_dataset_free(small);
}

/* ---- item: continuous discounting ---- */

static void test_continuous_discounting_accuracy(void **state)
{
    (void)state;
    /* clv_ref.py: dert, the integral of e^(-k u) dE(u) over 12 months,
     * by mpmath from its own hyp2f1, at the smallest, a middle and the
     * largest discount rate, and at the ends of units_per_month */
    static const double rate[7] = {0.01, 1, 10, 1, 0.01, 10, 10};
    static const double upm[7] = {4.345, 4.345, 4.345, 30, 1e6, 1e6, 1e-6};
    static const double dert[7] = {1.4787500584391235, 0.22153967255207388,
                                   0.066899458765109545, 1.2086206058274638,
                                   152.63446234114206, 63.298872645295406,
                                   1.5705602581646597e-8};
    for (int i = 0; i < 7; i++) {
        seg_model *c;
        assert_ok(seg_model_new(&c, "clv"));
        assert_ok(seg_model_set_str(c, "discounting", "continuous"));
        assert_ok(seg_model_set_f64(c, "discount_rate", rate[i]));
        assert_ok(seg_model_set_f64(c, "units_per_month", upm[i]));
        assert_ok(seg_model_set_str(c, "fixed", BG));
        assert_ok(seg_model_set_str(c, "fixed_spend",
                                    "p=6.25,q=3.74,gamma=15.44"));
        assert_ok(seg_model_fit(c, g_cdnow));
        double h[4] = {2, 30.43, 38.86, 20}, xm[2] = {2, 20};
        double spend = eval(c, "expected_spend", xm, 2);
        assert_rel(spend, (15.44 + 40) * 6.25 / (12.5 + 2.74), 1e-14);
        assert_rel(eval(c, "value", h, 4), spend * dert[i], 1e-8);
        seg_model_free(c);
    }
}

/* ---- item: loaded states ---- */

/* The score values a history as P(alive) times what it needs of (x, T)
 * alone, computed once per pair: E[X(t) | x, t_x, T] = P(alive | x, t_x,
 * T) g(x, T, t) for every kind, checked here through the quantities of a
 * single history, and the value and g against tests/ref/clv_value_ref.py
 * (mpmath, the closed forms of the papers). */
static void test_value_factorisation(void **state)
{
    (void)state;
    static const double h[4][3] = {{2, 30.43, 38.86}, {7, 35.0, 38.86},
                                   {0, 0, 38.86}, {25, 9.0, 77.0}};
    static const struct {
        const char *kind, *fixed;
        double value[4], g52[4]; /* clv_value_ref.py; 0: not computed */
    } k[4] = {
        {"bgnbd", BG,
         {1.4722294065992506, 5.2188997577720527, 0.23777826733179754,
          7.1182163911723187e-18},
         {2.1452887142804408, 6.5427566263250486, 0.25207302228245893,
          13.287555278303439}},
        {"mbgnbd", MBG,
         {1.5092349791317297, 5.005455950803791, 0.18658760969907366,
          5.0834124800626437e-17},
         {2.2616985383785302, 6.3667621439428029, 0.50728258013186806,
          12.897922232953351}},
        {"pareto_nbd", PNBD, {0}, {0}},
        {"ggompertz", "r=0.7,alpha=5,b=0.05,s=0.5,beta=2", {0}, {0}},
    };
    for (int i = 0; i < 4; i++) {
        seg_model *c;
        assert_ok(seg_model_new(&c, "clv"));
        assert_ok(seg_model_set_str(c, "purchase_model", k[i].kind));
        assert_ok(seg_model_set_str(c, "fixed", k[i].fixed));
        assert_ok(seg_model_set_str(c, "fixed_spend",
                                    "p=6.25,q=3.74,gamma=15.44"));
        assert_ok(seg_model_fit(c, g_cdnow));
        for (int j = 0; j < 4; j++) {
            double x = h[j][0], tx = h[j][1], T = h[j][2];
            double at[3] = {x, tx, T}, alive[3] = {x, T, T};
            double e[4] = {52, x, tx, T}, ea[4] = {52, x, T, T};
            double g = eval(c, "expected", ea, 4) / eval(c, "p_alive", alive, 3);
            assert_rel(eval(c, "expected", e, 4),
                       eval(c, "p_alive", at, 3) * g, 1e-13);
            if (k[i].g52[j] > 0)
                assert_rel(g, k[i].g52[j], 1e-12);
            double hm[4] = {x, tx, T, 20}, xm[2] = {x, 20};
            double v = eval(c, "value", hm, 4) /
                       eval(c, "expected_spend", xm, 2);
            if (k[i].value[j] > 0)
                assert_rel(v, k[i].value[j], 1e-12);
            /* the value by the month sum of single expectations */
            double want = 0, prev = 0;
            for (int m = 1; m <= 12; m++) {
                double em[4] = {m * (365.2425 / 84), x, tx, T};
                double u = eval(c, "expected", em, 4);
                want += (u - prev) / pow(1.01, m);
                prev = u;
            }
            assert_rel(v, want, 1e-12);
        }
        /* the score's path through the pairs gives every customer a value */
        score_all(c, "clv.value");
        seg_model_free(c);
    }
}

static int load_state(const char *kind, const char *fitline,
                      const char *spendline, seg_model **out)
{
    char state[512], body[2048];
    snprintf(state, sizeof state, "%s\n%s%s", fitline,
             spendline ? spendline : "", spendline ? "\n" : "");
    size_t sl = strlen(state) - 1; /* the state without its last newline */
    state[sl] = '\0';
    snprintf(body, sizeof body, "# libsegment model\nformat 1\nkind %s\n"
             "name \"%s\"\nstate %zu\n%s\n", kind, kind, sl, state);
    return load_model_body(out, body);
}

static void test_loaded_states_are_validated(void **state)
{
    (void)state;
    seg_model *m = NULL;
    /* a well-formed state loads and predicts */
    assert_ok(load_state("bgnbd", "fit 0 0.243 4.414 0.793 2.426 nan nan nan "
                         "nan -9582.4 0 2357 1016 20 1", NULL, &m));
    double a[3] = {2, 30.43, 38.86};
    assert_true(eval(m, "p_alive", a, 3) > 0);
    seg_model_free(m);
    m = NULL;
    static const char *const bad[] = {"1e308", "1e-308", "4.9e-324"};
    for (int i = 0; i < 3; i++) {
        char line[256];
        snprintf(line, sizeof line, "fit 0 0.243 %s 0.793 2.426 nan nan nan "
                 "nan -9582.4 0 2357 1016 20 1", bad[i]);
        int rc = load_state("bgnbd", line, NULL, &m);
        assert_true(rc == SEG_ERANGE || rc == SEG_EPARSE);
        assert_non_null(strstr(seg_errmsg(), "alpha"));
        assert_null(m);
    }
    /* Gamma-Gamma q <= 1: an infinite mean spend */
    int rc = load_state("gamma_gamma", "fit 4 6.25 0.9 15.44 0 nan nan nan "
                        "nan -100 0 946 500 20 1", NULL, &m);
    assert_true(rc == SEG_ERANGE || rc == SEG_EPARSE);
    assert_non_null(strstr(seg_errmsg(), "q"));
    assert_null(m);
    /* BG/NBD at a = 1 is an ordinary state */
    assert_ok(load_state("bgnbd", "fit 0 0.243 4.414 1 2.426 nan nan nan "
                         "nan -9582.4 0 2357 1016 20 1", NULL, &m));
    double t = 39;
    assert_rel(eval(m, "expected_unconditional", &t, 1), 1.0842790105915187,
               1e-9);
    seg_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_history_is_unconditional),
        cmocka_unit_test(test_mbgnbd_against_quadrature),
        cmocka_unit_test(test_bgnbd_small_a_plus_b),
        cmocka_unit_test(test_bgnbd_a_near_one),
        cmocka_unit_test(test_bgnbd_small_and_large_a_b),
        cmocka_unit_test(test_no_repeat_purchase_is_not_a_fit),
        cmocka_unit_test(test_degenerate_fit_is_bounded),
        cmocka_unit_test(test_pmf_conditional),
        cmocka_unit_test(test_large_t),
        cmocka_unit_test(test_extreme_parameters),
        cmocka_unit_test(test_pnbd_p_alive_accuracy),
        cmocka_unit_test(test_bgbb_gamma_near_one_and_large),
        cmocka_unit_test(test_parameter_range),
        cmocka_unit_test(test_continuous_discounting_accuracy),
        cmocka_unit_test(test_value_factorisation),
        cmocka_unit_test(test_loaded_states_are_validated),
    };
    return cmocka_run_group_tests(tests, load_cdnow, free_cdnow);
}
