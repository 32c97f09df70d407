/* CLV in calendar months whatever the unit of its inputs: the same value
 * from durations in days and in weeks, equal to an independent
 * computation (tests/ref/clv_units_ref.py); an unknown unit is an error;
 * a model file of 0.1 (units_per_month in it) gives its old numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

#define assert_rel(got, want, tol)                                          \
    do {                                                                    \
        double g_ = (got), w_ = (want);                                     \
        if (!(fabs(g_ - w_) <= (tol) * fabs(w_)))                           \
            fail_msg("%s = %.17g, expected %.17g (relative %g)", #got, g_,  \
                     w_, fabs(g_ - w_) / fabs(w_));                         \
    } while (0)

#define BG_W "r=0.243,alpha=4.414,a=0.793,b=2.426"
#define BG_D "r=0.243,alpha=30.898,a=0.793,b=2.426" /* alpha x 7 */
#define GG "p=6.25,q=3.74,gamma=15.44"
/* clv_units_ref.py: x = 2, t_x = 30.43 weeks, T = 38.86 weeks, m = 22.35 */
#define VALUE 36.310644895373578
#define VALUE_01 36.289211125599216 /* a month of 4.345 weeks, as in 0.1 */

static seg_model *clv_on(seg_dataset *ds, const char *fixed)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, "clv"));
    assert_ok(seg_model_set_str(m, "fixed", fixed));
    assert_ok(seg_model_set_str(m, "fixed_spend", GG));
    if (seg_model_fit(m, ds))
        fail_msg("fit: %s", seg_model_errmsg(m));
    return m;
}

static double value_of(seg_model *m, double x, double tx, double T, double s)
{
    double a[4] = {x, tx, T, s}, v;
    if (seg_model_eval(m, "value", a, 4, &v))
        fail_msg("eval: %s", seg_model_errmsg(m));
    return v;
}

static void test_days_and_weeks_give_one_value(void **state)
{
    (void)state;
    seg_dataset *w = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    seg_dataset *d = cdnow_sample("1997-09-30", SEG_UNIT_DAY, NULL);
    seg_model *mw = clv_on(w, BG_W), *md = clv_on(d, BG_D);
    assert_rel(value_of(mw, 2, 30.43, 38.86, 22.35), VALUE, 1e-9);
    assert_rel(value_of(md, 2, 30.43 * 7, 38.86 * 7, 22.35), VALUE, 1e-9);
    /* scored: every customer's value the same in either unit (T and t_x
     * in weeks are the days over 7) */
    assert_ok(seg_model_score(mw, w));
    assert_ok(seg_model_score(md, d));
    size_t n = seg_dataset_customer_count(w);
    double *vw = malloc(n * sizeof *vw), *vd = malloc(n * sizeof *vd);
    assert_ok(seg_dataset_copy_f64(w, "clv.value", vw, n));
    assert_ok(seg_dataset_copy_f64(d, "clv.value", vd, n));
    for (size_t i = 0; i < n; i++)
        assert_rel(vw[i], vd[i], 1e-9);
    /* clv.expected: the purchases of the next 364 days (horizon_days),
     * 52 weeks, in either unit; and what the weekly model gives at 52 */
    assert_ok(seg_dataset_copy_f64(w, "clv.expected", vw, n));
    assert_ok(seg_dataset_copy_f64(d, "clv.expected", vd, n));
    for (size_t i = 0; i < n; i++)
        assert_rel(vw[i], vd[i], 1e-9);
    double fx, ftx, fT;
    assert_ok(seg_dataset_get_f64(w, "frequency", 0, &fx));
    assert_ok(seg_dataset_get_f64(w, "t_x", 0, &ftx));
    assert_ok(seg_dataset_get_f64(w, "T", 0, &fT));
    double e52[4] = {52, fx, ftx, fT}, e;
    assert_ok(seg_model_eval(mw, "expected", e52, 4, &e));
    assert_rel(vw[0], e, 1e-12);
    free(vw);
    free(vd);
    /* a model fitted on weeks refuses durations in days */
    assert_int_equal(seg_model_score(mw, d), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(mw), "fitted on durations in "
                                                  "weeks, and 'T' is in days"));
    /* saved and loaded: the unit goes with the model */
    char path[] = "/tmp/seg-clvu-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_ok(seg_model_save(md, path));
    seg_model *back;
    assert_ok(seg_model_load(&back, path));
    remove(path);
    assert_rel(value_of(back, 2, 30.43 * 7, 38.86 * 7, 22.35), VALUE, 1e-12);
    seg_model_free(back);
    seg_model_free(mw);
    seg_model_free(md);
    seg_dataset_free(w);
    seg_dataset_free(d);
}

static void test_unknown_unit_is_an_error(void **state)
{
    (void)state;
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    const char *ids[] = {"a", "b"};
    double x[] = {2, 0}, tx[] = {30, 0}, T[] = {38, 38}, m[] = {20, 0};
    for (int i = 0; i < 2; i++)
        assert_ok(seg_dataset_add_customer(ds, ids[i], NULL));
    assert_ok(seg_dataset_write_f64(ds, "frequency", x, 2));
    assert_ok(seg_dataset_write_f64(ds, "t_x", tx, 2));
    assert_ok(seg_dataset_write_f64(ds, "T", T, 2));
    assert_ok(seg_dataset_write_f64(ds, "monetary_repeat_mean", m, 2));
    seg_model *c;
    assert_ok(seg_model_new(&c, "clv"));
    assert_ok(seg_model_set_str(c, "fixed", BG_W));
    assert_ok(seg_model_set_str(c, "fixed_spend", GG));
    assert_int_equal(seg_model_fit(c, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(c), "the time unit of 'T' is not "
                                                "known (its kind is none)"));
    /* told the unit by the columns' kinds, or by units_per_month */
    assert_ok(seg_dataset_set_column_kind(ds, "T", SEG_KIND_WEEKS));
    assert_int_equal(seg_model_fit(c, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(c), "'t_x'"));
    assert_ok(seg_dataset_set_column_kind(ds, "t_x", SEG_KIND_DAYS));
    assert_int_equal(seg_model_fit(c, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(c), "'t_x' is in days and 'T' "
                                                "in weeks"));
    assert_ok(seg_dataset_set_column_kind(ds, "t_x", SEG_KIND_WEEKS));
    assert_ok(seg_model_fit(c, ds));
    assert_rel(value_of(c, 2, 30.43, 38.86, 22.35), VALUE, 1e-9);
    assert_ok(seg_model_set_f64(c, "units_per_month", 4.345));
    assert_ok(seg_dataset_set_column_kind(ds, "T", SEG_KIND_NONE));
    assert_ok(seg_model_fit(c, ds));
    assert_rel(value_of(c, 2, 30.43, 38.86, 22.35), VALUE_01, 1e-9);
    seg_model_free(c);
    seg_dataset_free(ds);
}

/* A model file as 0.1 wrote it: every parameter, units_per_month 4.345
 * among them, and no unit in the state. */
static void test_a_model_of_0_1_keeps_its_numbers(void **state)
{
    (void)state;
    const char *st = "fit 0 0.243 4.414 0.793 2.426 0 0 0 0 0 0 1 1 1 1\n"
                     "spend 4 6.25 3.74 15.44 0 0 0 0 0 0 0 1 1 1 1";
    for (int old = 1; old >= 0; old--) {
        char body[4096];
        snprintf(body, sizeof body,
                 "# libsegment model\nformat 1\nkind clv\nname \"clv\"\n"
                 "param purchase_model \"bgnbd\"\nparam x_column \"frequency\"\n"
                 "param t_x_column \"t_x\"\nparam T_column \"T\"\n"
                 "param m_column \"monetary_repeat_mean\"\n"
                 "param horizon_months 12\n%s"
                 "param discount_rate 0.01\nparam discounting \"discrete\"\n"
                 "param horizon 52\nparam weight_column \"\"\n"
                 "param penalizer 0\nparam max_iter 2000\nparam fixed \"\"\n"
                 "param fixed_spend \"\"\nstate %zu\n%s\n",
                 old ? "param units_per_month 4.345\n" : "", strlen(st), st);
        seg_model *m = NULL;
        int rc = load_model_body(&m, body);
        if (old) {
            if (rc)
                fail_msg("load: %s", seg_errmsg());
            assert_rel(value_of(m, 2, 30.43, 38.86, 22.35), VALUE_01, 1e-9);
        } else {
            /* without it the unit is unknown: a clear error */
            assert_int_equal(rc, SEG_EPARSE);
            assert_non_null(strstr(seg_errmsg(), "the file says neither "
                                                 "units_per_month nor the "
                                                 "time unit"));
        }
        seg_model_free(m);
    }
}

/* docs/clv.md: BG/NBD keeps every one-time buyer alive; MBG/NBD's P(alive)
 * at x = 0 is 1 / (1 + a/b ((alpha + T) / alpha)^r), falling with T */
static void test_one_time_buyers(void **state)
{
    (void)state;
    seg_dataset *w = cdnow_sample("1997-09-30", SEG_UNIT_WEEK, NULL);
    seg_model *bg, *mbg;
    assert_ok(seg_model_new(&bg, "bgnbd"));
    assert_ok(seg_model_set_str(bg, "fixed", BG_W));
    assert_ok(seg_model_fit(bg, w));
    assert_ok(seg_model_new(&mbg, "mbgnbd"));
    assert_ok(seg_model_set_str(mbg, "fixed", BG_W));
    assert_ok(seg_model_fit(mbg, w));
    double prev = 1;
    for (double T = 1; T <= 1000; T *= 10) {
        double a[3] = {0, 0, T}, p;
        assert_ok(seg_model_eval(bg, "p_alive", a, 3, &p));
        assert_rel(p, 1, 1e-15);
        assert_ok(seg_model_eval(mbg, "p_alive", a, 3, &p));
        double want = 1 / (1 + 0.793 / 2.426 * pow((4.414 + T) / 4.414,
                                                   0.243));
        assert_rel(p, want, 1e-12);
        assert_true(p < prev);
        prev = p;
    }
    seg_model_free(bg);
    seg_model_free(mbg);
    seg_dataset_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_and_weeks_give_one_value),
        cmocka_unit_test(test_unknown_unit_is_an_error),
        cmocka_unit_test(test_a_model_of_0_1_keeps_its_numbers),
        cmocka_unit_test(test_one_time_buyers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
