/* GGompertz/NBD, simulation and model comparison. Every number is checked
 * against a computation of its own: tests/ref/ggsim_ref.py (mpmath
 * quadrature of the model's definition, scipy's chi-square tail), the
 * models' closed forms, or the true parameters of a simulation. */
#include <unistd.h>

#include "testutil.h"

/* A dataset of summaries from a table with customer_id, frequency, t_x
 * and T columns (seg_simulate_table() with summary set). */
static seg_dataset *summary_dataset(const seg_table *t)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    size_t n = seg_table_row_count(t);
    const char **ids = calloc(n, sizeof *ids);
    double *v = calloc(n, sizeof *v);
    assert_true(ids && v);
    for (size_t i = 0; i < n; i++)
        ids[i] = seg_table_text(t, i, 0);
    static const char *const cols[3] = {"frequency", "t_x", "T"};
    for (size_t c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++)
            v[i] = seg_table_f64(t, i, c + 1);
        assert_ok(seg_dataset_set_attributes_f64(ds, cols[c], ids, v, n));
    }
    free(ids);
    free(v);
    return ds;
}

/* One customer (x, t_x, T) as a dataset. */
static seg_dataset *one_history(double x, double tx, double T)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "frequency", x));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "t_x", tx));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "T", T));
    return ds;
}

static seg_model *fixed_model(const char *kind, const char *fixed,
                              const seg_dataset *ds)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    assert_ok(seg_model_set_str(m, "fixed", fixed));
    assert_ok(seg_model_fit(m, ds));
    return m;
}

static double result(const seg_model *m, const char *name)
{
    double v;
    assert_ok(seg_model_result(m, name, &v));
    return v;
}

static const char GG[] = "r=0.7,alpha=5,b=0.05,s=0.5,beta=2";

/* The log-likelihood and P(alive) of single histories against mpmath's
 * quadrature of the definition (tests/ref/ggsim_ref.py). */
static void test_gg_loglik_reference(void **state)
{
    (void)state;
    static const double ref[][5] = {
        {0, 0, 52, -1.2312934107721106, 0.23189173082732682},
        {1, 10, 52, -5.4250112661609474, 0.18871958364379194},
        {4, 30.5, 60, -15.367879868379494, 0.16084470460726908},
        {12, 80, 104, -39.761538088896128, 0.13862613367504002},
        {3, 52, 52, -13.654726827854106, 1.0},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        const double *h = ref[i];
        seg_dataset *ds = one_history(h[0], h[1], h[2]);
        seg_model *m = fixed_model("ggompertz", GG, ds);
        assert_near(result(m, "loglik"), h[3], 1e-9 * fabs(h[3]));
        double pa;
        assert_ok(seg_model_eval(m, "p_alive", h, 3, &pa));
        assert_near(pa, h[4], 1e-9);
        seg_model_free(m);
        seg_dataset_free(ds);
    }
}

/* A new customer's expectation and P(X = 0) against quadrature, and the
 * conditional expectation at zero history equal to the unconditional. */
static void test_gg_expectations(void **state)
{
    (void)state;
    static const double ref[][3] = {
        {10, 1.3094644297712521, 0.48756051080812771},
        {52, 4.8476435555042998, 0.29191476769670088},
        {104, 6.3924454448099784, 0.27618713326866896},
    };
    seg_dataset *ds = one_history(1, 10, 52);
    seg_model *m = fixed_model("ggompertz", GG, ds);
    for (size_t i = 0; i < 3; i++) {
        double u, c, z;
        double a[4] = {ref[i][0], 0, 0, 0}, pz[2] = {ref[i][0], 0};
        assert_ok(seg_model_eval(m, "expected_unconditional", a, 1, &u));
        assert_near(u, ref[i][1], 1e-9 * ref[i][1]);
        assert_ok(seg_model_eval(m, "expected", a, 4, &c));
        assert_near(c, u, 1e-12 * u);
        assert_ok(seg_model_eval(m, "pmf", pz, 2, &z));
        assert_near(z, ref[i][2], 1e-8);
    }
    /* the probabilities of a new customer's counts add up to 1, and
     * their mean is the expectation */
    double sum = 0, mean = 0, e;
    for (int n = 0; n < 400; n++) {
        double a[2] = {52, n}, p;
        assert_ok(seg_model_eval(m, "pmf", a, 2, &p));
        sum += p;
        mean += n * p;
    }
    assert_ok(seg_model_eval(m, "expected_unconditional", (double[]){52}, 1,
                             &e));
    assert_near(sum, 1, 1e-8);
    assert_near(mean, e, 1e-6 * e);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* The apparel data in weeks, estimation to 2006-12-31 (CLVTools'
 * vignette). */
static seg_dataset *apparel(void) { return apparel_weeks(NULL, NULL); }

/* On the apparel data the GGompertz/NBD likelihood rises towards its
 * Pareto/NBD edge, b -> 0 and beta -> 0 with beta / b held (scipy's
 * Nelder-Mead and BFGS from CLVTools' start and three others end there
 * too, at -5848.0978): the fit says that the data do not identify b. At
 * b = 1e-6 and beta = b times Pareto/NBD's beta the log-likelihood is
 * Pareto/NBD's. */
static void test_gg_apparel(void **state)
{
    (void)state;
    seg_dataset *ds = apparel();
    seg_model *p;
    assert_ok(seg_model_new(&p, "pareto_nbd"));
    assert_ok(seg_model_fit(p, ds));
    double ll = result(p, "loglik");
    assert_near(ll, -5848.0978, 1e-3);
    assert_near(result(p, "r"), 1.448939, 1e-5);
    assert_near(result(p, "alpha"), 48.63488, 1e-3);
    assert_near(result(p, "s"), 0.5612510, 1e-5);
    assert_near(result(p, "beta"), 46.88211, 1e-3);
    char fixed[200];
    snprintf(fixed, sizeof fixed, "r=%.17g,alpha=%.17g,b=1e-6,s=%.17g,"
             "beta=%.17g", result(p, "r"), result(p, "alpha"),
             result(p, "s"), result(p, "beta") * 1e-6);
    seg_model *edge = fixed_model("ggompertz", fixed, ds);
    assert_near(result(edge, "loglik"), ll, 1e-4);
    seg_model *g;
    assert_ok(seg_model_new(&g, "ggompertz"));
    assert_int_equal(seg_model_fit(g, ds), SEG_ECONVERGE);
    assert_non_null(strstr(seg_model_errmsg(g), "do not identify"));
    seg_model_free(g);
    seg_model_free(edge);
    seg_model_free(p);
    seg_dataset_free(ds);
}

/* CLVTools' estimate on the CDNOW sample (its test_correctness_ggomnbd.R:
 * r 0.55313, alpha 10.5758, b 0.0000011, s 0.60682, beta 0.000013,
 * log-likelihood -9594.9762): at those printed digits the log-likelihood
 * here is within 0.01 of theirs (their b and beta have two digits). */
static void test_gg_cdnow_clvtools(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    seg_csv_options o;
    seg_csv_options_init(&o);
    o.id_column = "ID";
    o.row_ids = 2;
    o.all_attributes = 1;
    assert_ok(seg_dataset_load_csv(
        ds, SEG_TEST_DATA "/cdnow_customers_summary.csv", &o));
    seg_model *m;
    assert_ok(seg_model_new(&m, "ggompertz"));
    assert_ok(seg_model_set_str(m, "t_x_column", "recency"));
    assert_ok(seg_model_set_str(m, "fixed", "r=0.55313,alpha=10.5758,"
                                "b=0.0000011,s=0.60682,beta=0.000013"));
    assert_ok(seg_model_fit(m, ds));
    assert_near(result(m, "loglik"), -9594.9762, 0.01);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* The clv wrapper takes GGompertz/NBD as its purchase model, and a saved
 * model keeps the fifth parameter. */
static void test_gg_clv_and_save(void **state)
{
    (void)state;
    seg_dataset *ds = apparel();
    seg_model *c;
    assert_ok(seg_model_new(&c, "clv"));
    assert_ok(seg_model_set_str(c, "purchase_model", "ggompertz"));
    assert_ok(seg_model_set_str(c, "fixed", GG));
    assert_ok(seg_model_fit(c, ds));
    assert_near(result(c, "beta"), 2, 0);
    assert_ok(seg_model_score(c, ds));
    double v;
    assert_ok(seg_dataset_get_f64(ds, "clv.value", 0, &v));
    assert_true(isfinite(v) && v > 0);
    char path[] = "/tmp/seg-gg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_ok(seg_model_save(c, path));
    seg_model *back;
    assert_ok(seg_model_load(&back, path));
    remove(path);
    assert_near(result(back, "b"), 0.05, 0);
    assert_near(result(back, "beta"), 2, 0);
    double h[4] = {52, 1, 10, 52}, e1, e2;
    assert_ok(seg_model_eval(c, "expected", h, 4, &e1));
    assert_ok(seg_model_eval(back, "expected", h, 4, &e2));
    assert_near(e1, e2, 0);
    seg_model_free(back);
    seg_model_free(c);
    seg_dataset_free(ds);
}

static seg_table *simulate(const char *kind, const char *params,
                           size_t customers, uint64_t seed, int summary)
{
    seg_sim_spec s;
    seg_sim_spec_init(&s);
    s.model = kind;
    s.params = params;
    s.customers = customers;
    s.seed = seed;
    s.start = 1704067200; /* 2024-01-01 */
    s.end = s.start + 104 * 7 * 86400;
    s.summary = summary;
    seg_table *t;
    assert_ok(seg_simulate_table(&t, &s, NULL));
    return t;
}

/* The mean of the repeat purchases over (0, T] of one cohort against the
 * model's unconditional expectation, and the share without any against
 * its P(X(T) = 0), each within four standard errors of the sample. */
static void check_moments(const char *kind, const char *params)
{
    seg_table *t = simulate(kind, params, 40000, 11, 1);
    size_t n = seg_table_row_count(t);
    double sx = 0, sxx = 0, zero = 0;
    for (size_t i = 0; i < n; i++) {
        double x = seg_table_f64(t, i, 1);
        sx += x;
        sxx += x * x;
        zero += x == 0;
        assert_near(seg_table_f64(t, i, 3), 104, 1e-9);
    }
    seg_dataset *ds = one_history(1, 10, 52);
    seg_model *m = fixed_model(kind, params, ds);
    double e, p0, T = 104;
    assert_ok(seg_model_eval(m, "expected_unconditional", &T, 1, &e));
    assert_ok(seg_model_eval(m, "pmf", (double[]){T, 0}, 2, &p0));
    double mean = sx / n, sd = sqrt((sxx / n - mean * mean) / n);
    assert_near(mean, e, 4 * sd);
    assert_near(zero / n, p0, 4 * sqrt(p0 * (1 - p0) / n));
    seg_model_free(m);
    seg_dataset_free(ds);
    seg_table_free(t);
}

static void test_sim_moments(void **state)
{
    (void)state;
    check_moments("bgnbd", "r=0.25,alpha=4,a=0.8,b=2.5");
    check_moments("mbgnbd", "r=0.5,alpha=6,a=0.9,b=1.6");
    check_moments("pareto_nbd", "r=0.55,alpha=10.6,s=0.6,beta=11.7");
    check_moments("ggompertz", GG);
}

static char *table_csv(const seg_table *t)
{
    char *s = NULL;
    assert_ok(seg_table_write(t, SEG_FORMAT_CSV, collect, &s));
    return s;
}

/* The same spec, the same bytes; another seed, other bytes; the first
 * customers do not depend on how many follow. */
static void test_sim_determinism(void **state)
{
    (void)state;
    seg_table *a = simulate("pareto_nbd", "r=0.55,alpha=10.6,s=0.6,beta=11.7",
                            500, 3, 0);
    seg_table *b = simulate("pareto_nbd", "r=0.55,alpha=10.6,s=0.6,beta=11.7",
                            500, 3, 0);
    seg_table *c = simulate("pareto_nbd", "r=0.55,alpha=10.6,s=0.6,beta=11.7",
                            500, 4, 0);
    char *sa = table_csv(a), *sb = table_csv(b), *sc = table_csv(c);
    assert_string_equal(sa, sb);
    assert_true(strcmp(sa, sc) != 0);
    assert_string_equal(seg_table_column_name(a, 0), "customer_id");
    assert_string_equal(seg_table_text(a, 0, 0), "c001");
    free(sa);
    free(sb);
    free(sc);
    seg_table_free(a);
    seg_table_free(b);
    seg_table_free(c);
}

/* Simulate from known parameters, fit, and find them within three
 * standard errors. */
static void check_recovery(const char *kind, const char *params,
                           const char *const *names, const double *truth,
                           int np, size_t customers)
{
    seg_table *t = simulate(kind, params, customers, 21, 1);
    seg_dataset *ds = summary_dataset(t);
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    assert_ok(seg_model_fit(m, ds));
    for (int i = 0; i < np; i++) {
        char se[32];
        snprintf(se, sizeof se, "se.%s", names[i]);
        double v = result(m, names[i]), e = result(m, se);
        if (!(fabs(v - truth[i]) <= 3 * e))
            fail_msg("%s: %s = %g, true %g, se %g", kind, names[i], v,
                     truth[i], e);
    }
    seg_model_free(m);
    seg_dataset_free(ds);
    seg_table_free(t);
}

static void test_sim_recovery(void **state)
{
    (void)state;
    static const char *const bg[] = {"r", "alpha", "a", "b"};
    static const double bgv[] = {0.25, 4, 0.8, 2.5};
    check_recovery("bgnbd", "r=0.25,alpha=4,a=0.8,b=2.5", bg, bgv, 4, 30000);
    static const char *const pn[] = {"r", "alpha", "s", "beta"};
    static const double pnv[] = {0.55, 10.6, 0.6, 11.7};
    check_recovery("pareto_nbd", "r=0.55,alpha=10.6,s=0.6,beta=11.7", pn,
                   pnv, 4, 20000);
}

/* A fitted clv model gives both its purchase and its spend parameters;
 * the transactions load back into a dataset with the same counts. */
static void test_sim_from_model(void **state)
{
    (void)state;
    seg_dataset *ds = one_history(1, 10, 52);
    seg_model *c;
    assert_ok(seg_model_new(&c, "clv"));
    assert_ok(seg_model_set_str(c, "fixed", "r=0.25,alpha=4,a=0.8,b=2.5"));
    assert_ok(seg_model_set_str(c, "fixed_spend", "p=6,q=4,gamma=16"));
    assert_ok(seg_dataset_set_attribute_f64(ds, "a", "monetary_repeat_mean",
                                            10));
    assert_ok(seg_dataset_set_column_kind(ds, "t_x", SEG_KIND_WEEKS));
    assert_ok(seg_dataset_set_column_kind(ds, "T", SEG_KIND_WEEKS));
    assert_ok(seg_model_fit(c, ds));
    seg_sim_spec s;
    seg_sim_spec_init(&s);
    s.customers = 20000;
    s.seed = 5;
    seg_dataset *out;
    assert_ok(seg_dataset_new(&out));
    assert_ok(seg_simulate_dataset(out, &s, c));
    assert_int_equal(seg_dataset_customer_count(out), 20000);
    seg_table *t;
    assert_ok(seg_simulate_table(&t, &s, c));
    assert_int_equal(seg_dataset_transaction_count(out),
                     seg_table_row_count(t));
    /* the mean amount is E[p / nu] = p gamma / (q - 1) = 32 */
    double sum = 0;
    size_t n = seg_table_row_count(t);
    for (size_t i = 0; i < n; i++)
        sum += seg_table_f64(t, i, 2);
    assert_near(sum / n, 32, 1.5);
    seg_table_free(t);
    /* errors: an unknown kind, a parameter missing, out of range */
    s.model = "kmeans";
    assert_int_equal(seg_simulate_table(&t, &s, NULL), SEG_EINVAL);
    s.model = "bgnbd";
    s.params = "r=0.25,alpha=4,a=0.8";
    assert_int_equal(seg_simulate_table(&t, &s, NULL), SEG_EPARSE);
    assert_non_null(strstr(seg_errmsg(), "'b' is missing"));
    s.params = "r=0.25,alpha=4,a=0.8,b=-1";
    assert_int_equal(seg_simulate_table(&t, &s, NULL), SEG_ERANGE);
    s.params = "r=0.25,alpha=4,a=0.8,b=2.5";
    s.end = s.start;
    assert_int_equal(seg_simulate_table(&t, &s, NULL), SEG_ERANGE);
    assert_null(t);
    seg_model_free(c);
    seg_dataset_free(out);
    seg_dataset_free(ds);
}

/* Our chi-square tail against scipy.stats.chi2.sf. */
static void test_chi2(void **state)
{
    (void)state;
    static const double ref[][3] = {
        {0.5, 1, 0.47950012218695337},
        {3.841458820694124, 1, 0.04999999999999989},
        {10, 1, 0.001565402258002549},
        {40, 1, 2.5396285894708634e-10},
        {1, 2, 0.6065306597126334},
        {7.5, 3, 0.0575584519726364},
        {0.1, 4, 0.9987908957257497},
        {30, 4, 4.894437128029217e-06},
        {120, 10, 5.060046065842555e-21},
        {2, 0.5, 0.06792113201010888},
        {900, 5, 2.6614147330185637e-192},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++)
        assert_near(seg_chi2_sf(ref[i][0], ref[i][1]), ref[i][2],
                    1e-12 * ref[i][2] + 1e-15);
    assert_near(seg_chi2_sf(0, 3), 1, 0);
    assert_true(isnan(seg_chi2_sf(1, 0)));
}

/* AIC, BIC and the tests by their definitions, from each model's own
 * log-likelihood. */
static void test_compare(void **state)
{
    (void)state;
    seg_dataset *ds = apparel();
    seg_model *m[4];
    assert_ok(seg_model_new(&m[0], "bgnbd"));
    assert_ok(seg_model_new(&m[1], "mbgnbd"));
    assert_ok(seg_model_new(&m[2], "pareto_nbd"));
    m[3] = fixed_model("pareto_nbd", "r=1,alpha=40,s=0.5,beta=40", ds);
    assert_ok(seg_model_set_name(m[3], "pnbd_fixed"));
    for (int i = 0; i < 3; i++)
        assert_ok(seg_model_fit(m[i], ds));
    seg_table *t;
    assert_ok(seg_model_compare(&t, (const seg_model *const *)m, 4));
    assert_int_equal(seg_table_row_count(t), 4);
    size_t c_aic, c_bic, c_k, c_lr, c_df, c_p, c_nested;
    assert_ok(seg_table_column_find(t, "aic", &c_aic));
    assert_ok(seg_table_column_find(t, "bic", &c_bic));
    assert_ok(seg_table_column_find(t, "parameters", &c_k));
    assert_ok(seg_table_column_find(t, "lr", &c_lr));
    assert_ok(seg_table_column_find(t, "df", &c_df));
    assert_ok(seg_table_column_find(t, "p_value", &c_p));
    assert_ok(seg_table_column_find(t, "nested", &c_nested));
    for (int i = 0; i < 4; i++) {
        double ll = result(m[i], "loglik"), k = i == 3 ? 0 : 4;
        assert_near(seg_table_f64(t, (size_t)i, c_k), k, 0);
        assert_near(seg_table_f64(t, (size_t)i, c_aic), 2 * k - 2 * ll,
                    1e-9);
        assert_near(seg_table_f64(t, (size_t)i, c_bic),
                    k * log(600) - 2 * ll, 1e-9);
    }
    /* bgnbd and mbgnbd are not nested: no test */
    assert_true(isnan(seg_table_f64(t, 0, c_lr)));
    assert_true(isnan(seg_table_f64(t, 1, c_lr)));
    /* the fitted pareto_nbd against the fixed one: LR with 4 df */
    double lr = 2 * (result(m[2], "loglik") - result(m[3], "loglik"));
    assert_string_equal(seg_table_text(t, 2, c_nested), "pnbd_fixed");
    assert_near(seg_table_f64(t, 2, c_lr), lr, 1e-9);
    assert_near(seg_table_f64(t, 2, c_df), 4, 0);
    assert_near(seg_table_f64(t, 2, c_p), seg_chi2_sf(lr, 4), 0);
    /* different data: refused */
    seg_dataset *other = one_history(1, 10, 52);
    seg_model *o = fixed_model("pareto_nbd", "r=1,alpha=40,s=0.5,beta=40",
                               other);
    const seg_model *pair[2] = {m[2], o};
    seg_table *bad;
    assert_int_equal(seg_model_compare(&bad, pair, 2), SEG_ERANGE);
    seg_model_free(o);
    seg_dataset_free(other);
    seg_table_free(t);
    for (int i = 0; i < 4; i++)
        seg_model_free(m[i]);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gg_loglik_reference),
        cmocka_unit_test(test_gg_expectations),
        cmocka_unit_test(test_gg_apparel),
        cmocka_unit_test(test_gg_cdnow_clvtools),
        cmocka_unit_test(test_gg_clv_and_save),
        cmocka_unit_test(test_sim_moments),
        cmocka_unit_test(test_sim_determinism),
        cmocka_unit_test(test_sim_recovery),
        cmocka_unit_test(test_sim_from_model),
        cmocka_unit_test(test_chi2),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
