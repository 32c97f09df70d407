/* Uncertainty of the customer-base models, the draws: confidence
 * intervals of the parameters, and the parameter vectors behind the
 * prediction intervals (bootstrap.c), drawn from the asymptotic normal
 * or refitted on resampled customers, in one place and one order with
 * one seeded generator, so that the intervals do not depend on the
 * threads that evaluate them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/clv/internal.h"

#define PI 3.14159265358979323846
#define SQRT2 1.41421356237309504880

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

typedef seg__clv_rng rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void rng_seed(rng *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *g)
{
    uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* uniform in (0, 1) */
static double rng_unit(rng *g)
{
    return ((double)(rng_next(g) >> 11) + 0.5) * 0x1p-53;
}

/* standard normal, by Box and Muller: one value a call, so that the
 * stream of values does not depend on an odd count */
static double rng_normal(rng *g)
{
    double u = rng_unit(g), v = rng_unit(g);
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/* The quantile of the standard normal at p in (0.5, 1), by bisection of
 * Phi(z) = p with erfc (exact to the last bits after 200 halvings of
 * [0, 40]). */
static double normal_quantile(double p)
{
    double lo = 0, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / SQRT2) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* The level of the intervals: the model's `interval`, or for the
 * parameters' table 0.95 when no interval is set. */
double seg__clv_level(const seg_model *m, double fallback)
{
    double l = seg__param_num(m, "interval");
    return l > 0 ? l : fallback;
}

/* ---- confidence intervals of the parameters ---- */

/* One row a parameter: on the log scale, exp(log p +- z se(log p)),
 * se(log p) = se(p) / p by the delta method. Every parameter is
 * positive, and the likelihood is much closer to normal in the log of a
 * shape or scale (the scale the optimiser works in) than in the
 * parameter itself, where a symmetric interval would reach below zero
 * for the poorly identified ones. */
int seg__clv_ci_table(const seg_model *m, const seg__clv_scored *s,
                      seg_table **out)
{
    static const char *const names[6] = {"parameter", "estimate", "se",
                                         "lo", "hi", "level"};
    static const int types[6] = {SEG_COLUMN_LABEL,   SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC,
                                 SEG_COLUMN_NUMERIC, SEG_COLUMN_NUMERIC};
    double level = seg__clv_level(m, 0.95), z = normal_quantile((1 + level) / 2);
    seg_table *t = NULL;
    int rc = seg__table_new(&t, "ci", 6, names, types);
    const seg__clv_fit *fits[2] = {s->f, s->kind == SEG__CLV_CLV ? s->gg : NULL};
    for (int k = 0; k < 2 && fits[k] && !rc; k++) {
        const seg__clv_spec *sp = seg__clv_spec_of(fits[k]->kind);
        for (int i = 0; i < sp->np && !rc; i++) {
            double p = fits[k]->p[i], se = fits[k]->se[i];
            double hw = z * se / p;
            char name[40];
            snprintf(name, sizeof name, "%s%s", k ? "spend." : "",
                     sp->names[i]);
            size_t r;
            rc = seg__table_add_row(t, &r);
            if (!rc)
                rc = seg__table_set_text(t, r, 0, name);
            if (!rc)
                rc = seg__table_set_num(t, r, 1, p);
            if (!rc)
                rc = seg__table_set_num(t, r, 2, se);
            if (!rc)
                rc = seg__table_set_num(t, r, 3, isfinite(hw) ? p * exp(-hw)
                                                              : NAN);
            if (!rc)
                rc = seg__table_set_num(t, r, 4, isfinite(hw) ? p * exp(hw)
                                                              : NAN);
            if (!rc)
                rc = seg__table_set_num(t, r, 5, level);
        }
    }
    if (rc) {
        seg_table_free(t);
        return seg__nomem(NULL);
    }
    *out = t;
    return SEG_OK;
}

/* ---- the parameter draws ---- */

/* The lower Cholesky factor of the np x np covariance in f (rows of
 * SEG__NP); false when the fit has none or it is not positive definite. */
static bool chol(const seg__clv_fit *f, int np, double *L)
{
    memset(L, 0, SEG__NP * SEG__NP * sizeof *L);
    for (int j = 0; j < np; j++) {
        double d = f->vcov[j * SEG__NP + j];
        for (int k = 0; k < j; k++)
            d -= L[j * SEG__NP + k] * L[j * SEG__NP + k];
        if (!(d > 0) || !isfinite(d))
            return false;
        L[j * SEG__NP + j] = sqrt(d);
        for (int i = j + 1; i < np; i++) {
            double v = f->vcov[i * SEG__NP + j];
            for (int k = 0; k < j; k++)
                v -= L[i * SEG__NP + k] * L[j * SEG__NP + k];
            L[i * SEG__NP + j] = v / L[j * SEG__NP + j];
            if (!isfinite(L[i * SEG__NP + j]))
                return false;
        }
    }
    return true;
}

/* Whether the parameters p of a kind are ones a fit could give. */
static bool usable(int kind, const double *p)
{
    int np = seg__clv_spec_of(kind)->np;
    for (int i = 0; i < np; i++)
        if (seg__clv_bad_param(kind, i, p[i]))
            return false;
    return true;
}

/* D parameter vectors of fit f into out (SEG__NP each): the log-parameters
 * drawn from their asymptotic normal N(log p, cov). A draw outside the
 * parameters' range (or a Gamma-Gamma q <= 1, an infinite mean spend) is
 * drawn again: those are far in the tails, and the predictions have no
 * value there. */
static int draw_normal(const seg_model *m, const seg__clv_fit *f, rng *g,
                       size_t D, double *out)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    int np = sp->np;
    double L[SEG__NP * SEG__NP];
    if (!chol(f, np, L))
        return seg__model_error(
            m, SEG_EINVAL, "%s: no covariance of the %s parameters to draw "
            "from (a model file without one, or a Hessian that is not "
            "positive definite at the fit): refit, or use "
            "bootstrap=nonparametric", seg_model_name(m), sp->kind);
    size_t rejected = 0;
    for (size_t d = 0; d < D;) {
        double z[SEG__NP], *p = out + d * SEG__NP;
        for (int i = 0; i < np; i++)
            z[i] = rng_normal(g);
        for (int i = 0; i < SEG__NP; i++) {
            double t = i < np ? log(f->p[i]) : 0;
            for (int k = 0; k <= i && i < np; k++)
                t += L[i * SEG__NP + k] * z[k];
            p[i] = i < np ? exp(t) : 0;
        }
        if (usable(f->kind, p)) {
            d++;
        } else if (++rejected > 10 * D) {
            return seg__model_error(m, SEG_ERANGE, "%s: the %s parameters "
                                    "are too uncertain to draw from: most "
                                    "draws leave their range",
                                    seg_model_name(m), sp->kind);
        }
    }
    return SEG_OK;
}

/* ---- the nonparametric bootstrap: refits on customers resampled ---- */

/* Index of the row whose cumulative weight first exceeds u. */
static size_t pick(const double *cum, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void seg__clv_multinomial(seg__clv_rng *g, const double *cum, size_t n,
                          size_t customers, double *cnt)
{
    double total = cum[n - 1];
    memset(cnt, 0, n * sizeof *cnt);
    for (size_t k = 0; k < customers; k++)
        cnt[pick(cum, n, rng_unit(g) * total)]++;
}

/* D refits of a kind into out (SEG__NP each), each on as many customers
 * as the fit had, drawn with replacement: a multinomial count of each
 * distinct history, drawn one customer at a time. */
static int resample_kind(const seg_model *m, int kind, const seg_dataset *ds,
                         rng *g, size_t D, double *out)
{
    seg__clv_rows all = {NULL, NULL, 0, 0};
    size_t excluded;
    int rc = seg__clv_load_rows(m, kind, ds, &all, &excluded);
    int nc = seg__clv_spec_of(kind)->ncols;
    size_t n = all.n;
    double *cum = rc ? NULL : seg__malloc(n * sizeof *cum);
    double *cnt = rc ? NULL : seg__malloc(n * sizeof *cnt);
    seg__clv_rows b = {rc ? NULL : seg__malloc(n * (size_t)nc * sizeof *b.d),
                       rc ? NULL : seg__malloc(n * sizeof *b.w), 0, 0};
    if (!rc && (!cum || !cnt || !b.d || !b.w))
        rc = seg__nomem(NULL);
    double total = 0;
    for (size_t i = 0; i < n && !rc; i++)
        cum[i] = total += all.w[i];
    size_t customers = (size_t)llround(total);
    for (size_t d = 0; d < D && !rc; d++) {
        seg__clv_multinomial(g, cum, n, customers, cnt);
        b.n = 0;
        b.total_w = 0;
        for (size_t i = 0; i < n; i++) {
            if (cnt[i] == 0)
                continue;
            memcpy(b.d + b.n * (size_t)nc, all.d + i * (size_t)nc,
                   (size_t)nc * sizeof *b.d);
            b.w[b.n++] = cnt[i];
            b.total_w += cnt[i];
        }
        seg__clv_fit f;
        rc = seg__clv_fit_rows(m, kind, &b, 0, NULL, &f);
        if (rc && rc != SEG_ENOMEM && rc != SEG_ECANCELED)
            rc = seg__model_error(m, rc, "%s: resample %zu of %zu: %s",
                                  seg_model_name(m), d + 1, D,
                                  seg_model_errmsg(m));
        if (!rc)
            memcpy(out + d * SEG__NP, f.p, sizeof f.p);
        if (!rc)
            rc = seg__progress_at(seg__progress_current(), d);
    }
    seg__free(cum);
    seg__free(cnt);
    seg__free(b.d);
    seg__free(b.w);
    seg__clv_rows_free(&all);
    return rc;
}

int seg__clv_resample(const seg_model *m, const seg_dataset *ds, int kind,
                      int purchase_kind, double **draws)
{
    *draws = NULL;
    if (!(seg__param_num(m, "interval") > 0) ||
        strcmp(seg__param_str(m, "bootstrap"), "nonparametric") != 0)
        return SEG_OK;
    if (*seg__param_str(m, "fixed") ||
        (kind == SEG__CLV_CLV && *seg__param_str(m, "fixed_spend")))
        return seg__model_error(m, SEG_EINVAL, "%s: bootstrap=nonparametric "
                                "refits the model, and its parameters are "
                                "fixed", seg_model_name(m));
    size_t D = (size_t)seg__param_num(m, "draws");
    int nfits = kind == SEG__CLV_CLV ? 2 : 1;
    double *v = seg__malloc(D * (size_t)nfits * SEG__NP * sizeof *v);
    if (!v)
        return seg__nomem(NULL);
    rng g;
    rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
    int rc = resample_kind(m, purchase_kind, ds, &g, D, v);
    if (!rc && nfits == 2)
        rc = resample_kind(m, SEG__CLV_GG, ds, &g, D, v + D * SEG__NP);
    for (size_t d = 0; d < D && !rc && nfits == 2; d++)
        if (!(v[(D + d) * SEG__NP + 1] > 1))
            rc = seg__model_error(m, SEG_ERANGE, "%s: resample %zu gives a "
                                  "Gamma-Gamma q <= 1: the mean spend is "
                                  "infinite", seg_model_name(m), d + 1);
    if (rc)
        seg__free(v);
    else
        *draws = v;
    return rc;
}

/* The draws as fits: the natural parameters v (SEG__NP each) of kind. */
static seg__clv_fit *as_fits(const seg__clv_fit *f, const double *v, size_t D)
{
    seg__clv_fit *out = seg__malloc(D * sizeof *out);
    for (size_t d = 0; out && d < D; d++) {
        out[d] = *f;
        memcpy(out[d].p, v + d * SEG__NP, sizeof out[d].p);
    }
    return out;
}

/* The draws behind the intervals, as fits: made here, in one stream, for
 * the parametric bootstrap; the fit's resamples for the nonparametric. */
int seg__clv_make_draws(const seg_model *m, const seg__clv_scored *s,
                        size_t *D, seg__clv_fit **fd, seg__clv_fit **ggd)
{
    bool clv = s->kind == SEG__CLV_CLV;
    *D = (size_t)seg__param_num(m, "draws");
    double *v = NULL;
    int rc = SEG_OK;
    if (strcmp(seg__param_str(m, "bootstrap"), "nonparametric") == 0) {
        if (!s->resampled || s->nresampled != *D)
            return seg__model_error(m, SEG_EINVAL, "%s: the resamples of "
                                    "bootstrap=nonparametric are made by the "
                                    "fit and not saved with the model: fit "
                                    "it again", seg_model_name(m));
    } else {
        v = seg__malloc(*D * (clv ? 2 : 1) * SEG__NP * sizeof *v);
        if (!v)
            return seg__nomem(NULL);
        rng g;
        rng_seed(&g, (uint64_t)seg__param_num(m, "seed"));
        rc = draw_normal(m, s->f, &g, *D, v);
        if (!rc && clv)
            rc = draw_normal(m, s->gg, &g, *D, v + *D * SEG__NP);
    }
    const double *src = v ? v : s->resampled;
    if (!rc) {
        *fd = as_fits(s->f, src, *D);
        *ggd = clv ? as_fits(s->gg, src + *D * SEG__NP, *D) : NULL;
        if (!*fd || (clv && !*ggd))
            rc = seg__nomem(NULL);
    }
    seg__free(v);
    return rc;
}

/* ---- for the intervals of a model with covariates (cov_bootstrap.c) */

void seg__clv_rng_seed(seg__clv_rng *g, uint64_t seed) { rng_seed(g, seed); }

double seg__clv_rng_unit(seg__clv_rng *g) { return rng_unit(g); }

double seg__clv_rng_normal(seg__clv_rng *g) { return rng_normal(g); }

int seg__clv_draw_normal(const seg_model *m, const seg__clv_fit *f,
                         seg__clv_rng *g, size_t D, double *out)
{
    return draw_normal(m, f, g, D, out);
}

int seg__clv_resample_kind(const seg_model *m, int kind,
                           const seg_dataset *ds, seg__clv_rng *g, size_t D,
                           double *out)
{
    return resample_kind(m, kind, ds, g, D, out);
}
