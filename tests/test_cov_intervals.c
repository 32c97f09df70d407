/* Prediction intervals of purchase models with static covariates:
 * coverage by simulation from known parameters with a two-level label
 * covariate on both processes of Pareto/NBD (the truth from a model
 * without covariates at the customer's own parameters), the same
 * intervals for any number of threads, the covariance kept in a saved
 * model, the nonparametric bootstrap over customers with their
 * covariates, and the errors. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segment.h>

#include "testutil.h"

static double *column(const seg_dataset *ds, const char *name)
{
    size_t n = seg_dataset_customer_count(ds);
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    if (seg_dataset_copy_f64(ds, name, v, n))
        fail_msg("%s: %s", name, seg_dataset_errmsg(ds));
    return v;
}

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

/* One Pareto/NBD customer over (0, T] (Schmittlein, Morrison and
 * Colombo 1987): lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), an
 * exponential lifetime at mu, Poisson purchases at lambda while alive. */
static void pnbd_customer(rng *g, double r, double alpha, double s,
                          double beta, double T, double *x, double *tx)
{
    double lambda = gamma1(g, r) / alpha, mu = gamma1(g, s) / beta;
    double end = -log(unif(g)) / mu, t = 0;
    if (end > T)
        end = T;
    *x = 0;
    *tx = 0;
    for (;;) {
        t += -log(unif(g)) / lambda;
        if (t > end)
            return;
        *x += 1;
        *tx = t;
    }
}

/* the truth: r, alpha, s, beta and the effects of level B */
static const double R = 0.6, ALPHA = 6, S = 0.7, BETA = 10;
static const double G_TRANS = 0.5, G_LIFE = -0.6;

/* A simulated base of n customers, half of them in group B; customers 0
 * (group A) and 1 (group B) are the probes, three purchases, the last
 * at 30 of 52 weeks. */
static seg_dataset *simulate(rng *g, size_t n)
{
    seg_dataset *ds;
    assert_ok(seg_dataset_new(&ds));
    double *v[3];
    const char **grp = malloc(n * sizeof *grp);
    assert_non_null(grp);
    for (int c = 0; c < 3; c++)
        assert_non_null(v[c] = malloc(n * sizeof **v));
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%zu", i);
        assert_ok(seg_dataset_add_customer(ds, id, NULL));
        bool b = i == 1 || (i > 1 && unif(g) < 0.5);
        grp[i] = b ? "B" : "A";
        double T = 52 + floor(52 * unif(g));
        pnbd_customer(g, R, b ? ALPHA * exp(-G_TRANS) : ALPHA, S,
                      b ? BETA * exp(-G_LIFE) : BETA, T, &v[0][i], &v[1][i]);
        v[2][i] = T;
    }
    for (int p = 0; p < 2; p++)
        v[0][p] = 3, v[1][p] = 30, v[2][p] = 52;
    assert_ok(seg_dataset_write_f64(ds, "frequency", v[0], n));
    assert_ok(seg_dataset_write_f64(ds, "t_x", v[1], n));
    assert_ok(seg_dataset_write_f64(ds, "T", v[2], n));
    assert_ok(seg_dataset_write_labels(ds, "grp", grp, n));
    for (int c = 0; c < 3; c++)
        free(v[c]);
    free(grp);
    return ds;
}

static seg_model *cov_model(const char *kind, const char *draws,
                            const char *seed)
{
    seg_model *m;
    assert_ok(seg_model_new(&m, kind));
    assert_ok(seg_model_set(m, "trans_covariates", "grp"));
    assert_ok(seg_model_set(m, "life_covariates", "grp"));
    assert_ok(seg_model_set(m, "interval", "0.9"));
    assert_ok(seg_model_set(m, "draws", draws));
    assert_ok(seg_model_set(m, "seed", seed));
    return m;
}

/* 90% intervals of the probes' P(alive) and expected purchases over 52
 * weeks hold the true values (those of a model without covariates fixed
 * at the probe's own parameters) in about 90% of 40 simulated bases. */
static void test_coverage(void **state)
{
    (void)state;
    enum { REPS = 40, N = 2000 };
    seg_model *known[2];
    char fixed[160];
    for (int b = 0; b < 2; b++) {
        assert_ok(seg_model_new(&known[b], "pareto_nbd"));
        snprintf(fixed, sizeof fixed, "r=%.17g,alpha=%.17g,s=%.17g,beta=%.17g",
                 R, b ? ALPHA * exp(-G_TRANS) : ALPHA, S,
                 b ? BETA * exp(-G_LIFE) : BETA);
        assert_ok(seg_model_set(known[b], "fixed", fixed));
    }
    rng g = {20260101};
    int cover_pa = 0, cover_e = 0, cover_g = 0;
    double args[4] = {52, 3, 30, 52};
    for (int rep = 0; rep < REPS; rep++) {
        seg_dataset *ds = simulate(&g, N);
        seg_model *m = cov_model("pareto_nbd", "200", "5");
        assert_ok(seg_model_fit(m, ds));
        /* the effects' standard errors: a check of the same Hessian */
        double gt = result_of(m, "trans.grp=B");
        double se = result_of(m, "se.trans.grp=B");
        cover_g += fabs(gt - G_TRANS) <= 1.6448536269514722 * se;
        assert_ok(seg_model_score(m, ds));
        double *lo = column(ds, "pareto_nbd.p_alive_lo");
        double *hi = column(ds, "pareto_nbd.p_alive_hi");
        double *elo = column(ds, "pareto_nbd.expected_lo");
        double *ehi = column(ds, "pareto_nbd.expected_hi");
        for (int b = 0; b < 2; b++) {
            double pa, e;
            assert_ok(seg_model_fit(known[b], ds));
            assert_ok(seg_model_eval(known[b], "p_alive", args + 1, 3, &pa));
            assert_ok(seg_model_eval(known[b], "expected", args, 4, &e));
            cover_pa += lo[b] <= pa && pa <= hi[b];
            cover_e += elo[b] <= e && e <= ehi[b];
        }
        free(lo);
        free(hi);
        free(elo);
        free(ehi);
        seg_model_free(m);
        seg_dataset_free(ds);
    }
    /* 80 trials of each prediction (binomial sd 3.4% at 90%), 40 of the
     * effect */
    print_message("coverage: p_alive %.3f, expected %.3f, trans effect %.3f\n",
                  cover_pa / (2.0 * REPS), cover_e / (2.0 * REPS),
                  cover_g / (double)REPS);
    assert_true(cover_pa >= 0.78 * 2 * REPS);
    assert_true(cover_e >= 0.78 * 2 * REPS);
    assert_true(cover_pa <= 0.99 * 2 * REPS);
    assert_true(cover_e <= 0.99 * 2 * REPS);
    assert_true(cover_g >= 0.7 * REPS);
    for (int b = 0; b < 2; b++)
        seg_model_free(known[b]);
}

static const char *const outs[4] = {"clv.p_alive", "clv.expected",
                                    "clv.spend", "clv.value"};

/* The eight interval columns of a clv score, one block after another. */
static double *intervals(seg_model *m, seg_dataset *ds, const char *threads)
{
    if (threads) {
        assert_ok(seg_model_set(m, "threads", threads));
        assert_ok(seg_model_fit(m, ds));
    }
    assert_ok(seg_model_score(m, ds));
    size_t n = seg_dataset_customer_count(ds);
    double *all = malloc(8 * n * sizeof *all);
    assert_non_null(all);
    for (int c = 0; c < 8; c++) {
        char name[40];
        snprintf(name, sizeof name, "%s_%s", outs[c / 2],
                 c % 2 ? "hi" : "lo");
        double *v = column(ds, name);
        memcpy(all + c * n, v, n * sizeof *v);
        free(v);
    }
    return all;
}

/* clv on the apparel data with Gender and Channel: the same seed gives
 * the same intervals with 1, 2 and 5 threads, and after a save and a
 * load; every interval is ordered and holds the point prediction; each
 * customer's interval follows the customer's covariates. */
static void test_threads_and_files(void **state)
{
    (void)state;
    seg_dataset *ds = apparel_weeks(
        SEG_TEST_DATA "/apparel/apparel_static_cov.csv", NULL);
    seg_model *m;
    assert_ok(seg_model_new(&m, "clv"));
    assert_ok(seg_model_set(m, "purchase_model", "pareto_nbd"));
    assert_ok(seg_model_set(m, "trans_covariates", "Gender,Channel"));
    assert_ok(seg_model_set(m, "life_covariates", "Channel"));
    assert_ok(seg_model_set(m, "interval", "0.8"));
    assert_ok(seg_model_set(m, "draws", "300"));
    assert_ok(seg_model_set(m, "seed", "11"));
    size_t n = seg_dataset_customer_count(ds);
    double *one = intervals(m, ds, "1");
    double *two = intervals(m, ds, "2");
    double *five = intervals(m, ds, "5");
    assert_memory_equal(one, two, 8 * n * sizeof *one);
    assert_memory_equal(one, five, 8 * n * sizeof *one);
    const char *path = "test-cov-intervals.model";
    assert_ok(seg_model_save(m, path));
    seg_model *back;
    assert_ok(seg_model_load(&back, path));
    remove(path);
    assert_ok(seg_model_set_name(back, "clv"));
    double *loaded = intervals(back, ds, NULL);
    assert_memory_equal(one, loaded, 8 * n * sizeof *one);
    for (int c = 0; c < 4; c++) {
        double *v = column(ds, outs[c]);
        for (size_t i = 0; i < n; i++) {
            double lo = one[2 * c * n + i], hi = one[(2 * c + 1) * n + i];
            if (isnan(v[i])) {
                assert_true(isnan(lo) && isnan(hi));
                continue;
            }
            assert_true(lo <= v[i] * (1 + 1e-12) && v[i] <= hi * (1 + 1e-12));
        }
        free(v);
    }
    /* two customers with one history and other covariates have other
     * intervals */
    double *x = column(ds, "frequency"), *tx = column(ds, "t_x");
    double *T = column(ds, "T"), *gd = column(ds, "Gender");
    double *cd = column(ds, "Channel");
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        for (size_t j = i + 1; j < n && !found; j++)
            if (x[i] == x[j] && tx[i] == tx[j] && T[i] == T[j] &&
                gd[i] == gd[j] && cd[i] != cd[j]) {
                found = true;
                for (int c = 0; c < 4; c += 2)
                    assert_true(one[c * n + i] != one[c * n + j]);
            }
    assert_true(found);
    free(x);
    free(tx);
    free(T);
    free(gd);
    free(cd);
    free(one);
    free(two);
    free(five);
    free(loaded);
    seg_model_free(back);
    seg_model_free(m);
    seg_dataset_free(ds);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nonparametric bootstrap resamples customers with their covariates
 * and refits: on the apparel data its intervals are as wide as the
 * parametric ones within Monte Carlo error and the difference between
 * the normal approximation and the resampling (median ratio of widths
 * within 0.75 .. 1.33), and the same seed gives the same intervals. */
static void test_nonparametric(void **state)
{
    (void)state;
    seg_dataset *ds = apparel_weeks(
        SEG_TEST_DATA "/apparel/apparel_static_cov.csv", NULL);
    seg_model *m = cov_model("pareto_nbd", "120", "7");
    assert_ok(seg_model_set(m, "trans_covariates", "Channel"));
    assert_ok(seg_model_set(m, "life_covariates", "Gender"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double *plo = column(ds, "pareto_nbd.expected_lo");
    double *phi = column(ds, "pareto_nbd.expected_hi");
    assert_ok(seg_model_set(m, "bootstrap", "nonparametric"));
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double *nlo = column(ds, "pareto_nbd.expected_lo");
    double *nhi = column(ds, "pareto_nbd.expected_hi");
    double *e = column(ds, "pareto_nbd.expected");
    size_t n = seg_dataset_customer_count(ds), k = 0;
    double *ratio = malloc(n * sizeof *ratio);
    assert_non_null(ratio);
    for (size_t i = 0; i < n; i++) {
        if (isnan(e[i]))
            continue;
        assert_true(nlo[i] <= nhi[i]);
        ratio[k++] = (nhi[i] - nlo[i]) / (phi[i] - plo[i]);
    }
    qsort(ratio, k, sizeof *ratio, cmp_double);
    double med = ratio[k / 2];
    print_message("nonparametric / parametric width: median %.3f\n", med);
    assert_true(med > 0.75 && med < 1.33);
    /* the refits are made again by the next fit, from the same seed */
    assert_ok(seg_model_fit(m, ds));
    assert_ok(seg_model_score(m, ds));
    double *again = column(ds, "pareto_nbd.expected_hi");
    assert_memory_equal(again, nhi, n * sizeof *again);
    free(again);
    free(ratio);
    free(plo);
    free(phi);
    free(nlo);
    free(nhi);
    free(e);
    seg_model_free(m);
    seg_dataset_free(ds);
}

/* A model file without the covariance of its effects (the state line
 * covariate_vcov) asked for intervals says to refit. */
static void test_errors(void **state)
{
    (void)state;
    seg_dataset *ds = apparel_weeks(
        SEG_TEST_DATA "/apparel/apparel_static_cov.csv", NULL);
    seg_model *m = cov_model("pareto_nbd", "50", "1");
    assert_ok(seg_model_set(m, "trans_covariates", "Channel"));
    assert_ok(seg_model_set(m, "life_covariates", ""));
    assert_ok(seg_model_fit(m, ds));
    const char *path = "test-cov-intervals-err.model";
    assert_ok(seg_model_save(m, path));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *body = calloc(1, 1 << 16), line[8192];
    assert_non_null(body);
    size_t k = 0, cut = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "covariate_vcov ", 15))
            cut = strlen(line);
        else if (strncmp(line, "end ", 4))
            k += (size_t)sprintf(body + k, "%s", line);
    }
    fclose(f);
    assert_true(cut > 0);
    /* the state's length, less the line taken out */
    char *st = strstr(body, "\nstate "), *nl = strchr(st + 1, '\n');
    size_t len = strtoul(st + 7, NULL, 10) - cut;
    char fixed_body[1 << 16];
    snprintf(fixed_body, sizeof fixed_body, "%.*s\nstate %zu%s",
             (int)(st - body), body, len, nl);
    strcpy(body, fixed_body);
    remove(path);
    seg_model *l;
    assert_ok(load_model_body(&l, body));
    free(body);
    assert_int_equal(seg_model_score(l, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(l), "no covariance"));
    assert_non_null(strstr(seg_model_errmsg(l), "refit"));
    seg_model_free(l);
    /* nonparametric refits need free parameters */
    char fixed[200];
    snprintf(fixed, sizeof fixed,
             "r=%.17g,alpha=%.17g,s=%.17g,beta=%.17g,trans.Channel=%.17g",
             result_of(m, "r"), result_of(m, "alpha"), result_of(m, "s"),
             result_of(m, "beta"), result_of(m, "trans.Channel"));
    assert_ok(seg_model_set(m, "bootstrap", "nonparametric"));
    assert_ok(seg_model_set(m, "fixed", fixed));
    assert_int_equal(seg_model_fit(m, ds), SEG_EINVAL);
    assert_non_null(strstr(seg_model_errmsg(m), "fixed"));
    seg_model_free(m);
    seg_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_threads_and_files),
        cmocka_unit_test(test_nonparametric),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
