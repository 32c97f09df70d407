/* Models fitted on one dataset side by side: AIC, BIC, and the
 * likelihood-ratio test of each model against the largest other model
 * nested in it, with the chi-square tail from the incomplete gamma
 * function. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "models/internal.h"
#include "output/internal.h"

/* Terms of a series or continued fraction before either gives up; both
 * converge in far fewer for any df and x a test can give. */
#define MAX_TERMS 100000

/* e^-x x^a / Gamma(a), the factor both expansions share */
static double gamma_factor(double a, double x)
{
    return exp(a * log(x) - x - seg__lgamma(a));
}

/* P(a, x) by its power series, for x < a + 1 */
static double lower_series(double a, double x)
{
    double term = 1 / a, sum = term;
    for (int n = 1; n < MAX_TERMS; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-17)
            break;
    }
    return gamma_factor(a, x) * sum;
}

/* Q(a, x) by its continued fraction (Legendre's), evaluated forward by
 * the modified Lentz method, for x >= a + 1 */
static double upper_fraction(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < MAX_TERMS; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double step = d * c;
        h *= step;
        if (fabs(step - 1) < 1e-16)
            break;
    }
    return gamma_factor(a, x) * h;
}

double seg_chi2_sf(double x, double df)
{
    if (isnan(x) || !(df > 0))
        return NAN;
    if (x <= 0)
        return 1;
    if (x == INFINITY)
        return 0;
    double a = df / 2, h = x / 2;
    return h < a + 1 ? 1 - lower_series(a, h) : upper_fraction(a, h);
}

#define MAX_MODELS 64

typedef struct entry {
    const seg_model *m;
    const char *kind;
    double k, loglik, n;
} entry;

static bool is_fixed(const seg_model *m)
{
    const char *fixed = NULL;
    return seg_model_get_str(m, "fixed", &fixed) == SEG_OK && fixed && *fixed;
}

/* Whether every estimated parameter of a is one of b's. */
static bool params_within(const seg_model *a, const seg_model *b)
{
    for (size_t i = 0;; i++) {
        const char *name = seg_model_result_name(a, i);
        if (!name)
            return true;
        double v;
        if (seg_model_result_is_param(a, name) == 1 &&
            seg_model_result(b, name, &v) != SEG_OK)
            return false;
    }
}

/* Whether a is a special case of b, with the degrees of freedom of the
 * test and whether the restriction is on the boundary of b's space. */
static bool nested_in(const entry *a, const entry *b, double *df,
                      bool *boundary)
{
    *df = b->k - a->k;
    *boundary = false;
    if (!(*df > 0))
        return false;
    if (!strcmp(a->kind, b->kind))
        return a->k == 0 || params_within(a->m, b->m);
    /* b -> 0 with beta / b held takes the Gompertz lifetime to an
     * exponential one: Pareto/NBD is GGompertz/NBD's edge */
    if (!strcmp(a->kind, "pareto_nbd") && !strcmp(b->kind, "ggompertz") &&
        !is_fixed(a->m)) {
        *boundary = true;
        return true;
    }
    return false;
}

static int entry_of(const seg_model *m, entry *e)
{
    static const char *const kinds[] = {"bgnbd", "mbgnbd", "pareto_nbd",
                                        "ggompertz", "bgbb", "gamma_gamma"};
    if (!m)
        return seg__error(NULL, SEG_EINVAL, "compare: a model is NULL");
    e->m = m;
    e->kind = seg_model_kind(m);
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        known = known || !strcmp(e->kind, kinds[i]);
    if (!known)
        return seg__error(NULL, SEG_EINVAL, "compare: model '%s' is a %s; "
                          "compare takes the customer-base kinds that fit "
                          "one likelihood (bgnbd, mbgnbd, pareto_nbd, "
                          "ggompertz, bgbb, gamma_gamma)", seg_model_name(m),
                          e->kind);
    if (!seg_model_is_fitted(m))
        return seg__error(NULL, SEG_EMISUSE, "compare: model '%s' is not "
                          "fitted", seg_model_name(m));
    e->k = 0;
    for (size_t i = 0; !is_fixed(m); i++) {
        const char *name = seg_model_result_name(m, i);
        if (!name)
            break;
        e->k += seg_model_result_is_param(m, name) == 1;
    }
    if (seg_model_result(m, "loglik", &e->loglik) != SEG_OK ||
        seg_model_result(m, "customers", &e->n) != SEG_OK)
        return seg__error(NULL, SEG_EINVAL, "compare: model '%s' has no "
                          "log-likelihood", seg_model_name(m));
    return SEG_OK;
}

/* One row: the model's criteria, and its test against the largest model
 * nested in it. */
static int put_row(seg_table *t, const entry *e, size_t n, size_t i,
                   double min_aic, double min_bic)
{
    const entry *me = &e[i];
    double aic = 2 * me->k - 2 * me->loglik;
    double bic = me->k * log(me->n) - 2 * me->loglik;
    const double nums[7] = {me->k, me->loglik, me->n, aic, bic,
                            aic - min_aic, bic - min_bic};
    size_t row;
    int rc = seg__table_add_row(t, &row);
    if (!rc)
        rc = seg__table_set_text(t, row, 0, seg_model_name(me->m));
    if (!rc)
        rc = seg__table_set_text(t, row, 1, me->kind);
    for (int c = 0; c < 7 && !rc; c++)
        rc = seg__table_set_num(t, row, 2 + (size_t)c, nums[c]);
    int best = -1;
    double best_df = 0;
    bool best_edge = false;
    for (size_t j = 0; j < n && !rc; j++) {
        double df;
        bool edge;
        if (j != i && nested_in(&e[j], me, &df, &edge) &&
            (best < 0 || e[j].k > e[best].k)) {
            best = (int)j;
            best_df = df;
            best_edge = edge;
        }
    }
    if (!rc && best >= 0) {
        double lr = fmax(0, 2 * (me->loglik - e[best].loglik));
        double p = seg_chi2_sf(lr, best_df);
        if (best_edge && lr > 0)
            p /= 2;
        rc = seg__table_set_text(t, row, 9, seg_model_name(e[best].m));
        if (!rc)
            rc = seg__table_set_num(t, row, 10, lr);
        if (!rc)
            rc = seg__table_set_num(t, row, 11, best_df);
        if (!rc)
            rc = seg__table_set_num(t, row, 12, p);
    }
    return rc;
}

int seg_model_compare(seg_table **out, const seg_model *const *models,
                      size_t n)
{
    if (!out || !models)
        return seg__error(NULL, SEG_EINVAL, "compare: NULL argument");
    *out = NULL;
    if (n == 0 || n > MAX_MODELS)
        return seg__error(NULL, SEG_EINVAL, "compare: 1 to %d models, not "
                          "%zu", MAX_MODELS, n);
    entry e[MAX_MODELS];
    double min_aic = INFINITY, min_bic = INFINITY;
    for (size_t i = 0; i < n; i++) {
        int rc = entry_of(models[i], &e[i]);
        if (rc)
            return rc;
        if (fabs(e[i].n - e[0].n) > 1e-9 * e[0].n)
            return seg__error(NULL, SEG_ERANGE, "compare: '%s' was fitted on "
                              "%.17g customers and '%s' on %.17g: the "
                              "criteria compare fits of one dataset",
                              seg_model_name(e[0].m), e[0].n,
                              seg_model_name(e[i].m), e[i].n);
        min_aic = fmin(min_aic, 2 * e[i].k - 2 * e[i].loglik);
        min_bic = fmin(min_bic, e[i].k * log(e[i].n) - 2 * e[i].loglik);
    }
    static const char *const names[13] = {
        "model", "kind", "parameters", "loglik", "customers", "aic", "bic",
        "delta_aic", "delta_bic", "nested", "lr", "df", "p_value"};
    int types[13];
    for (int c = 0; c < 13; c++)
        types[c] = c < 2 || c == 9 ? SEG_COLUMN_LABEL : SEG_COLUMN_NUMERIC;
    seg_table *t = NULL;
    int rc = seg__table_new(&t, "compare", 13, names, types);
    for (size_t i = 0; i < n && !rc; i++)
        rc = put_row(t, e, n, i, min_aic, min_bic);
    if (rc) {
        seg_table_free(t);
        return rc == SEG_ENOMEM ? seg__nomem(NULL) : rc;
    }
    *out = t;
    return SEG_OK;
}
