/* Pareto/NBD with time-varying covariates on CLVTools' apparel data
 * (tests/data/apparel, GPL-3, from the CLVTools package; the covariate
 * table cut to the periods before 2008), fitted as CLVTools' vignette
 * does: weeks, estimation to 2006-12-31, 104 weeks after the first date,
 * High.Season, Gender and Channel on both processes. The references are
 * tests/ref/clv_dyncov_ref.py: the likelihood of single customers by
 * direct integration over lambda and mu with mpmath. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define DYN SEG_TEST_DATA "/apparel/apparel_dynamic_cov.csv"

static seg_dataset *g_app;

static int setup(void **state)
{
    (void)state;
    g_app = apparel_weeks(SEG_TEST_DATA "/apparel/apparel_static_cov.csv",
                          NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    seg_dataset_free(g_app);
    return 0;
}

static seg_model *model(const char *const *set, const char *table)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, "pareto_nbd"));
    for (size_t i = 0; set && set[i]; i++)
        if (seg_model_set_pair(m, set[i]))
            fail_msg("%s: %s", set[i], seg_model_errmsg(m));
    if (table && seg_model_load_covariate_table(m, table, "Id", "Cov.Date"))
        fail_msg("%s: %s", table, seg_model_errmsg(m));
    return m;
}

static const char *const ALL3[] = {
    "trans_covariates=High.Season,Gender,Channel",
    "life_covariates=High.Season,Gender,Channel", "dynamic_covariates=on",
    NULL};

/* |got - want| <= tol |want| */
#define assert_rel(got, want, tol) assert_near(got, want, (tol) * fabs(want))

static seg_model *fit(const char *const *set, const char *fixed,
                      const seg_dataset *ds)
{
    seg_model *m = model(set, DYN);
    if (fixed && seg_model_set_str(m, "fixed", fixed))
        fail_msg("fixed: %s", seg_model_errmsg(m));
    if (seg_model_fit(m, ds))
        fail_msg("fit: %s", seg_model_errmsg(m));
    return m;
}

/* The vignette's fit: the three covariates on both processes. The
 * dropout effect of High.Season is not identified by these data: it runs
 * to large negative values (no one leaves during the high season) while
 * the log-likelihood still rises by less than 1e-6; its standard error
 * says so. The other parameters converge to their values at that limit.
 * The same fit with High.Season on the purchase process alone is well
 * defined. */
static void test_fit_apparel(void **state)
{
    (void)state;
    seg_model *m = fit(ALL3, NULL, g_app);
    static const char *const names[10] = {
        "r", "alpha", "s", "beta", "trans.High.Season", "trans.Gender",
        "trans.Channel", "life.High.Season", "life.Gender", "life.Channel"};
    const double p[10] = {2.159099, 123.96199, 1.2572020, 85.15962,
                          0.71849742, 0.25823310, 0.62285662, -24,
                          -0.54411214, 0.53682114};
    const double se[10] = {0.41995, 23.833, 0.77163, 69.012, 0.059647,
                           0.10126, 0.10182, NAN, 0.21544, 0.21904};
    for (int i = 0; i < 10; i++) {
        char name[40];
        snprintf(name, sizeof name, "se.%s", names[i]);
        if (i == 7) {
            assert_true(result_of(m, names[i]) < -15);
            assert_true(result_of(m, name) > 1e3);
            continue;
        }
        assert_rel(result_of(m, names[i]), p[i], 1e-5);
        assert_rel(result_of(m, name), se[i], 2e-3);
    }
    assert_near(result_of(m, "loglik"), -5752.623172, 1e-5);
    assert_int_equal(result_of(m, "customers"), 600);
    seg_model_free(m);

    static const char *const well[] = {
        "trans_covariates=High.Season,Gender,Channel",
        "life_covariates=Gender,Channel", "dynamic_covariates=on", NULL};
    m = fit(well, NULL, g_app);
    const double q[9] = {2.117349172, 123.0067805, 0.8093819367, 59.71562723,
                         0.7195445792, 0.2651794311, 0.6217487582,
                         -0.5814306204, 0.613759219};
    const double qse[9] = {0.41270, 23.599, 0.36482, 40.937, 0.059693,
                           0.10175, 0.10219, 0.24297, 0.24691};
    const char *const qn[9] = {"r", "alpha", "s", "beta", "trans.High.Season",
                               "trans.Gender", "trans.Channel", "life.Gender",
                               "life.Channel"};
    for (int i = 0; i < 9; i++) {
        char name[40];
        snprintf(name, sizeof name, "se.%s", qn[i]);
        assert_rel(result_of(m, qn[i]), q[i], 1e-6);
        assert_rel(result_of(m, name), qse[i], 2e-3);
    }
    double ll = result_of(m, "loglik");
    assert_near(ll, -5753.325734, 1e-5);
    /* the fitted optimum is where the likelihood's own finite differences
     * vanish: a wrong analytic gradient would have stopped elsewhere (a
     * base parameter, a purchase and a dropout effect) */
    static const int check[3] = {1, 4, 8};
    for (int c = 0; c < 3; c++) {
        int i = check[c];
        double v[9], d[2];
        for (int j = 0; j < 9; j++)
            v[j] = result_of(m, qn[j]);
        for (int sgn = 0; sgn < 2; sgn++) {
            double h = (sgn ? -1 : 1) * 1e-4 * (i < 4 ? v[i] : 1);
            char fixed[512];
            size_t o = 0;
            for (int j = 0; j < 9; j++)
                o += (size_t)snprintf(fixed + o, sizeof fixed - o, "%s%s=%.17g",
                                      j ? "," : "", qn[j],
                                      v[j] + (j == i ? h : 0));
            seg_model *e = fit(well, fixed, g_app);
            d[sgn] = result_of(e, "loglik");
            seg_model_free(e);
        }
        double step = 1e-4 * (i < 4 ? v[i] : 1);
        double fd = (d[0] - d[1]) / (2 * step);
        /* against the curvature: 1/se^2 times the step */
        char name[40];
        snprintf(name, sizeof name, "se.%s", qn[i]);
        double curv = 1 / pow(result_of(m, name), 2);
        assert_true(fabs(fd) < 1e-3 * curv * fmax(1, fabs(v[i])) + 1e-4);
    }
    seg_model_free(m);
}

/* With covariates constant over time (Gender and Channel do not change
 * in the table) the model is the static one: the same log-likelihood as
 * the static covariates of apparel_static_cov.csv at the same effects. */
#define PN "r=1.838966671,alpha=92.962962,s=0.5913041411,beta=49.51308271," \
    "trans.Gender=0.2861354382,trans.Channel=0.6239299854,"                \
    "life.Gender=-0.6418679913,life.Channel=0.7897588076"

static void test_static_special_case(void **state)
{
    (void)state;
    static const char *const stat[] = {"trans_covariates=Gender,Channel",
                                       "life_covariates=Gender,Channel",
                                       NULL};
    static const char *const dyn[] = {"trans_covariates=Gender,Channel",
                                      "life_covariates=Gender,Channel",
                                      "dynamic_covariates=on", NULL};
    seg_model *a = model(stat, NULL);
    assert_ok(seg_model_set_str(a, "fixed", PN));
    assert_ok(seg_model_fit(a, g_app));
    seg_model *b = fit(dyn, PN, g_app);
    double la = result_of(a, "loglik"), lb = result_of(b, "loglik");
    assert_near(lb, la, 1e-10 * fabs(la));
    assert_ok(seg_model_score(a, g_app));
    seg_model_set_name(b, "dyn");
    assert_ok(seg_model_score(b, g_app));
    size_t n = seg_dataset_customer_count(g_app);
    double *pa = malloc(4 * n * sizeof *pa), *pb = pa + n, *ea = pb + n,
           *eb = ea + n;
    assert_non_null(pa);
    assert_ok(seg_dataset_copy_f64(g_app, "pareto_nbd.p_alive", pa, n));
    assert_ok(seg_dataset_copy_f64(g_app, "dyn.p_alive", pb, n));
    assert_ok(seg_dataset_copy_f64(g_app, "pareto_nbd.expected", ea, n));
    assert_ok(seg_dataset_copy_f64(g_app, "dyn.expected", eb, n));
    for (size_t i = 0; i < n; i++) {
        assert_near(pb[i], pa[i], 1e-10);
        assert_near(eb[i], ea[i], 1e-10 * fmax(1, ea[i]));
    }
    free(pa);
    seg_model_free(a);
    seg_model_free(b);
}

/* One customer of the apparel data alone, in weeks as apparel_weeks(). */
static seg_dataset *one_customer(const char *id)
{
    FILE *f = fopen(SEG_TEST_DATA "/apparel/apparel_transactions.csv", "r");
    assert_non_null(f);
    char line[256], *buf = NULL;
    size_t len = 0, idlen = strlen(id);
    while (fgets(line, sizeof line, f)) {
        if (len && (strncmp(line, id, idlen) || line[idlen] != ','))
            continue;
        size_t l = strlen(line);
        buf = realloc(buf, len + l + 1);
        assert_non_null(buf);
        memcpy(buf + len, line, l + 1);
        len += l;
    }
    fclose(f);
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "Id";
    o.time_column = "Date";
    o.amount_column = "Price";
    assert_ok(seg_dataset_load_csv_buffer(ds, buf, len, "one", &o));
    free(buf);
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_time_parse(&fo.as_of, "2006-12-31", 10, SEG_TIME_ISO8601));
    fo.as_of += 86399;
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}

/* clv_dyncov_ref.py's parameters */
#define PD "r=2.16,alpha=124,s=1.26,beta=85,trans.High.Season=0.72,"        \
    "trans.Gender=0.26,trans.Channel=0.62,life.High.Season=-0.8,"          \
    "life.Gender=-0.54,life.Channel=0.54"

/* The log-likelihood of single customers against clv_dyncov_ref.py's
 * direct integration over lambda and mu (mpmath, 25 digits): the
 * periods, their exposures and the quadrature over the dropout time
 * together. */
static void test_loglik_direct_integration(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        double ll;
    } want[] = {
        {"1", -25.452135173815885},
        {"2", -19.095025707832537},
        {"31", -38.929719692752213},
        {"68", -13.803944201521346},
        {"100", -1.1536462178497634},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        seg_dataset *ds = one_customer(want[i].id);
        seg_model *m = fit(ALL3, PD, ds);
        assert_int_equal(result_of(m, "customers"), 1);
        assert_near(result_of(m, "loglik"), want[i].ll,
                    1e-8 * fabs(want[i].ll));
        seg_model_free(m);
        seg_dataset_free(ds);
    }
}

/* A table in long rows: customer c[i] with value v of "z" in the week
 * starting on day d[i] (YYYY-MM-DD). */
static int set_table(seg_model *m, size_t n, const char *const *c,
                     const char *const *d, const char *const *name)
{
    int64_t start[16];
    double v[16];
    const char *names[16];
    for (size_t i = 0; i < n; i++) {
        assert_ok(seg_time_parse(&start[i], d[i], 10, SEG_TIME_ISO8601));
        v[i] = (double)(i % 2);
        names[i] = name ? name[i] : "z";
    }
    return seg_model_set_covariate_table(m, n, c, start, names, v);
}

static seg_dataset *two_customers(void)
{
    static const char csv[] = "id,date,amount\na,2020-01-05,10\n"
                              "a,2020-01-20,10\nb,2020-01-07,5\n";
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    assert_ok(seg_dataset_load_csv_buffer(ds, csv, strlen(csv), "two", &o));
    seg_features_options fo;
    seg_features_options_init(&fo);
    fo.time_unit = SEG_UNIT_WEEK;
    assert_ok(seg_time_parse(&fo.as_of, "2020-02-01", 10, SEG_TIME_ISO8601));
    assert_ok(seg_dataset_compute_features(ds, &fo));
    return ds;
}

#define assert_msg(m, text)                                                 \
    do {                                                                    \
        if (!strstr(seg_model_errmsg(m), text))                             \
            fail_msg("'%s' lacks '%s'", seg_model_errmsg(m), text);         \
    } while (0)

static void test_table_errors(void **state)
{
    (void)state;
    seg_dataset *ds = two_customers();
    static const char *const set[] = {"trans_covariates=z",
                                      "life_covariates=z",
                                      "dynamic_covariates=on", NULL};
    static const char *const FIXED = "r=1,alpha=2,s=1,beta=3,trans.z=0.5,"
                                     "life.z=-0.5";
    seg_model *m = model(set, NULL);
    assert_ok(seg_model_set_str(m, "fixed", FIXED));
    assert_int_equal(seg_model_fit(m, ds), SEG_EINVAL);
    assert_msg(m, "no covariate table");

    const char *c[8] = {"a", "a", "a", "a", "b", "b", "b", "b"};
    const char *d[8] = {"2020-01-05", "2020-01-12", "2020-01-19",
                        "2020-01-26", "2020-01-05", "2020-01-12",
                        "2020-01-19", "2020-01-26"};
    assert_ok(set_table(m, 8, c, d, NULL));
    assert_ok(seg_model_fit(m, ds));
    double ll = result_of(m, "loglik");
    assert_true(isfinite(ll));
    double v;
    const double args[3] = {1, 2, 3};
    assert_int_equal(seg_model_eval(m, "p_alive", args, 3, &v), SEG_EINVAL);
    assert_msg(m, "not available for a model with time-varying covariates");

    /* a bad table is refused and the model keeps the one it had */
    const char *gap[8] = {"2020-01-05", "2020-01-12", "2020-01-26",
                          "2020-02-02", "2020-01-05", "2020-01-12",
                          "2020-01-19", "2020-01-26"};
    assert_int_equal(set_table(m, 8, c, gap, NULL), SEG_EINVAL);
    assert_msg(m, "not consecutive");
    const char *off[8] = {"2020-01-05", "2020-01-12", "2020-01-19",
                          "2020-01-26", "2020-01-06", "2020-01-13",
                          "2020-01-20", "2020-01-27"};
    assert_int_equal(set_table(m, 8, c, off, NULL), SEG_EINVAL);
    assert_msg(m, "not aligned");
    const char *nm[8] = {"z", "z", "z", "z", "z", "w", "z", "z"};
    assert_int_equal(set_table(m, 8, c, d, nm), SEG_EINVAL);
    /* every period needs every name the table has */
    assert_msg(m, "customer 'a' has no value of 'w' for the period of "
                  "2020-01-05");
    const char *twice[8] = {"2020-01-05", "2020-01-05", "2020-01-19",
                            "2020-01-26", "2020-01-05", "2020-01-12",
                            "2020-01-19", "2020-01-26"};
    assert_int_equal(set_table(m, 8, c, twice, NULL), SEG_EINVAL);
    assert_msg(m, "two values");
    assert_ok(seg_model_fit(m, ds));
    assert_near(result_of(m, "loglik"), ll, 0);

    /* the table must cover each customer's estimation period ... */
    assert_ok(set_table(m, 7, c + 1, d + 1, NULL));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_msg(m, "customer 'a': the covariate table does not cover "
                  "2020-01-05 to 2020-02-01");
    assert_ok(set_table(m, 4, c, d, NULL));
    assert_int_equal(seg_model_fit(m, ds), SEG_ERANGE);
    assert_msg(m, "customer 'b' has no rows in the covariate table");
    /* ... and the horizon to be scored */
    assert_ok(set_table(m, 8, c, d, NULL));
    assert_ok(seg_model_set_f64(m, "horizon", 4));
    assert_ok(seg_model_fit(m, ds));
    assert_int_equal(seg_model_score(m, ds), SEG_ERANGE);
    assert_msg(m, "(the end of the estimation period plus the horizon)");
    assert_int_equal(seg_dataset_column_type(ds, "pareto_nbd.p_alive"),
                     SEG_ENOTFOUND);
    seg_model_free(m);

    /* a name the table does not have */
    static const char *const bad[] = {"trans_covariates=y",
                                      "dynamic_covariates=on", NULL};
    m = model(bad, NULL);
    assert_ok(set_table(m, 8, c, d, NULL));
    assert_int_equal(seg_model_fit(m, ds), SEG_ENOTFOUND);
    assert_msg(m, "'y' is not a column of the covariate table");
    seg_model_free(m);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_apparel),
        cmocka_unit_test(test_static_special_case),
        cmocka_unit_test(test_loglik_direct_integration),
        cmocka_unit_test(test_table_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
