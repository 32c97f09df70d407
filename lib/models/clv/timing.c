/* Churn timing of the purchase models: P(alive) at a later time, the
 * chance of no purchase over a horizon, and when the next purchase comes
 * (docs/clv.md, "Churn timing").
 *
 * The time to the next purchase, counted from the end of the history T,
 * has a defective distribution: a customer who is dead, or who dies
 * before buying again, never buys, so P(next purchase by T + t) rises to
 * 1 - P(never) < 1. Two medians follow from it: `next_median`, the median
 * given that a next purchase comes (it always exists), and `next_half`,
 * the time by which the next purchase has come with probability 1/2 (it
 * exists only when P(never) < 1/2). `next_mean` is the mean given that a
 * next purchase comes; it is infinite where the gamma mixture of rates
 * has too heavy a tail. */
#include <math.h>
#include <string.h>

#include "models/clv/internal.h"

#define LN2 0.69314718055994530942

const char *const seg__clv_timing_names[SEG__TIMING_N] = {
    "p_alive_at", "p_none", "p_never", "next_median", "next_half",
    "next_mean"};

int seg__clv_timing_count(int kind)
{
    /* a kind added later has none until its formulas are here */
    switch (kind) {
    case SEG__CLV_BGNBD:
    case SEG__CLV_MBGNBD:
    case SEG__CLV_PNBD:
        return SEG__TIMING_N;
    case SEG__CLV_BGBB:
        return 2;
    default:
        return 0;
    }
}

/* ---- BG/NBD and MBG/NBD ----
 *
 * Alive at T, a customer has lambda ~ Gamma(R, A) and p ~ Beta(a, b')
 * with R = r + x, A = alpha + T and b' = b + x (b + x + 1 for MBG/NBD,
 * whose customers also face the coin at the first purchase): the
 * posterior of Fader, Hardie and Lee (2005) given that the customer is
 * alive. The dropout coin is tossed at each purchase, so over the next t
 * the customer survives with E[(1-p)^N(t)] = e^(-lambda p t); over lambda
 * that is (1 + p t / A)^-R and over p, by Euler's integral and Pfaff's
 * transformation,
 *   P(alive at T + t | alive at T) = (A/(A+t))^R 2F1(R, b'; a+b'; t/(A+t)).
 * A customer alive at T buys again for certain (the coin comes only with
 * a purchase), so the next purchase, given that it comes, is the first
 * event of a Poisson process with a gamma rate: a Lomax time with
 * P(> t) = (A/(A+t))^R. */

typedef struct fam_ctx {
    double R, A, a, b, t;
} fam_ctx;

/* the Beta(a, b') density in y = logit p times (1 + p t / A)^-R */
static seg__dual fam_alive_integrand(double y, double lp, double lq,
                                     void *vc)
{
    (void)y;
    const fam_ctx *c = vc;
    return dc(c->a * lp + c->b * lq - c->R * log1p(exp(lp) * c->t / c->A));
}

static double fam_alive_at(double R, double A, double a, double b, double t)
{
    if (t == 0)
        return 1;
    seg__dual l;
    if (seg__log_hyp2f1(dc(R), dc(b), dc(a + b), dc(t / (A + t)), &l)) {
        double v = exp(R * (log(A) - log(A + t)) + l.v);
        if (v >= 0 && v <= 1)
            return v;
    }
    /* where the series does not converge: the integral over p */
    fam_ctx c = {R, A, a, b, t};
    double lb = seg__lgamma(fmin(a, b)) -
                seg__lgamma_diff(fmax(a, b), fmin(a, b));
    double s = sqrt(seg__trigamma(a) + seg__trigamma(b));
    return exp(seg__quad_logit(fam_alive_integrand, &c, log(a) - log(b), s).v -
               lb);
}

static void fam_timing(const double *p, double t, double x, double T,
                       bool mod, double pa, double *o)
{
    double R = p[0] + x, A = p[1] + T, a = p[2], b = p[3] + x + (mod ? 1 : 0);
    o[SEG__TIMING_P_ALIVE_AT] = pa * fam_alive_at(R, A, a, b, t);
    o[SEG__TIMING_P_NEVER] = 1 - pa;
    o[SEG__TIMING_NEXT_MEDIAN] = A * expm1(LN2 / R);
    /* 1 - pa + pa (A/(A+t))^R = 1/2 */
    o[SEG__TIMING_NEXT_HALF] =
        pa > 0.5 ? A * expm1(-log1p(-0.5 / pa) / R) : NAN;
    o[SEG__TIMING_NEXT_MEAN] = R > 1 ? A / (R - 1) : NAN;
}

/* ---- Pareto/NBD ----
 *
 * Alive at T, lambda ~ Gamma(R, A) and mu ~ Gamma(s, B), independent,
 * with R = r + x, A = alpha + T, B = beta + T (Schmittlein, Morrison and
 * Colombo 1987; Fader and Hardie's note 008 on P(alive)). The lifetime is
 * exponential, so P(alive at T + t | alive) = (B/(B+t))^s. The next
 * purchase and the death compete: the purchase comes first with
 * lambda/(lambda+mu), at a time exponential with rate lambda + mu. With
 * lambda = U V / A and mu = (1-U) V / B, U ~ Beta(R, s) and
 * V ~ Gamma(R+s, 1) independent, lambda + mu = V c(U) with
 * c(U) = U/A + (1-U)/B and lambda/(lambda+mu) = w(U) = U / (A c(U)), so
 * V integrates in closed form and what is left is one integral over U:
 *   P(a next purchase | alive)          = Q = E[w(U)],
 *   P(a next purchase by t | alive)     = E[w(U) (1 - (1 + c(U) t)^-(R+s))],
 *   E[time; a next purchase | alive]    = E[w(U) / c(U)] / (R + s - 1),
 * the last finite only for R + s > 1. */

typedef struct pn_ctx {
    double R, s, lA, lB, t;
} pn_ctx;

/* The density of U in y = logit U times w(U). Its derivative slots carry
 * functions h(U), which seg__quad_logit averages with the weights of the
 * integral, so that one pass gives Q and E[w h] / Q for each h:
 * d[0] = 1 - (1 + c t)^-(R+s), d[1] = 1 / c, d[2] its derivative in t. */
static seg__dual pn_integrand(double y, double lp, double lq, void *vc)
{
    (void)y;
    const pn_ctx *c = vc;
    double lc = dlogsumexp(dc(lp - c->lA), dc(lq - c->lB)).v;
    double k = c->R + c->s, ct = exp(lc) * c->t;
    seg__dual v = dc(c->R * lp + c->s * lq + lp - c->lA - lc);
    v.d[0] = -expm1(-k * log1p(ct));
    v.d[1] = exp(-lc);
    v.d[2] = k * exp(lc - (k + 1) * log1p(ct));
    v.d[3] = 0;
    return v;
}

/* log Q and, at t, the distribution of the next purchase's time given
 * that it comes: its CDF, its density and E[w / c] / Q */
static double pn_pass(const pn_ctx *c, double t, double *cdf, double *pdf,
                      double *inv_c)
{
    pn_ctx k = *c;
    k.t = t;
    double m = log(c->R) - log(c->s);
    double sc = sqrt(seg__trigamma(c->R) + seg__trigamma(c->s));
    seg__dual r = seg__quad_logit(pn_integrand, &k, m, sc);
    if (cdf)
        *cdf = r.d[0];
    if (pdf)
        *pdf = r.d[2];
    if (inv_c)
        *inv_c = r.d[1];
    /* log B(R, s), stable for one of them large as in bgnbd.c */
    return r.v - seg__lgamma(fmin(c->R, c->s)) +
           seg__lgamma_diff(fmax(c->R, c->s), fmin(c->R, c->s));
}

/* The time at which the CDF of pn_pass reaches `target` (0 < target < 1):
 * Newton's method in log t inside a bracket that halves when a step
 * leaves it. NaN past 1e12 time units. */
static double pn_solve(const pn_ctx *c, double target, double guess)
{
    double lo = -INFINITY, hi = INFINITY, u = log(guess);
    for (int it = 0; it < 200; it++) {
        double F, f;
        pn_pass(c, exp(u), &F, &f, NULL);
        if (!isfinite(F))
            return NAN;
        double g = F - target;
        if (fabs(g) <= 1e-13 * target)
            return exp(u);
        if (g < 0)
            lo = u;
        else
            hi = u;
        if (hi - lo < 1e-13 * fmax(1, fabs(u)))
            return exp(u);
        /* at most a factor e^2 at a time: far from the root the density
         * can be tiny and the Newton step wild */
        double step = -g / (f * exp(u));
        step = isfinite(step) ? fmax(-2, fmin(2, step)) : g < 0 ? 2 : -2;
        double next = u + step;
        if (!(next > lo && next < hi))
            next = isfinite(lo) && isfinite(hi) ? (lo + hi) / 2
                   : g < 0                      ? u + 2
                                                : u - 2;
        if (next > log(1e12))
            return NAN;
        if (fabs(next - u) < 1e-14 * fmax(1, fabs(u)))
            return exp(next);
        u = next;
    }
    return exp(u);
}

static void pnbd_timing(const double *p, double t, double x, double T,
                        double pa, double *o)
{
    pn_ctx c = {p[0] + x, p[2], log(p[1] + T), log(p[3] + T), 0};
    double B = p[3] + T;
    o[SEG__TIMING_P_ALIVE_AT] = pa * exp(p[2] * (log(B) - log(B + t)));
    double inv_c, lq = pn_pass(&c, 1, NULL, NULL, &inv_c);
    double q = exp(lq);
    o[SEG__TIMING_P_NEVER] = 1 - pa * q;
    /* the BG/NBD median with the same rate, a start near the answer */
    double guess = (p[1] + T) * expm1(LN2 / c.R);
    if (!(guess > 0 && isfinite(guess)))
        guess = 1;
    o[SEG__TIMING_NEXT_MEDIAN] = pn_solve(&c, 0.5, guess);
    o[SEG__TIMING_NEXT_HALF] =
        pa * q > 0.5 ? pn_solve(&c, 0.5 / (pa * q), guess) : NAN;
    o[SEG__TIMING_NEXT_MEAN] = c.R + c.s > 1 ? inv_c / (c.R + c.s - 1) : NAN;
}

/* ---- BG/BB ----
 *
 * Alive at opportunity n + t: the likelihood's term of a customer alive
 * through n + t, over the whole likelihood (Fader, Hardie and Shang
 * 2010, whose P(alive) is the case t = 1). */
static double bgbb_alive_at(const double *p, double t, double x, double tx,
                            double n)
{
    seg__dual dp[SEG__NP] = {dc(p[0]), dc(p[1]), dc(p[2]), dc(p[3])};
    double d[3] = {x, tx, n};
    double ll = seg__clv_bgbb.row_ll(dp, d).v;
    return exp(lbeta_shift(p[0], p[1], x, n - x) +
               lbeta_shift(p[2], p[3], 0, n + t) - ll);
}

bool seg__clv_timing(const seg__clv_fit *f, double t, double x, double tx,
                     double T, double *o)
{
    const seg__clv_spec *sp = seg__clv_spec_of(f->kind);
    int nt = seg__clv_timing_count(f->kind);
    for (int i = 0; i < SEG__TIMING_N; i++)
        o[i] = NAN;
    if (!nt)
        return false;
    o[SEG__TIMING_P_NONE] = sp->pmf(f->p, t, 0, x, tx, T);
    if (f->kind == SEG__CLV_BGBB) {
        o[SEG__TIMING_P_ALIVE_AT] = bgbb_alive_at(f->p, t, x, tx, T);
    } else {
        double pa = sp->p_alive(f->p, x, tx, T);
        if (!(pa >= 0 && pa <= 1))
            return false;
        if (f->kind == SEG__CLV_PNBD)
            pnbd_timing(f->p, t, x, T, pa, o);
        else
            fam_timing(f->p, t, x, T, f->kind == SEG__CLV_MBGNBD, pa, o);
    }
    /* the probabilities always exist; the times may not */
    for (int i = 0; i < nt && i <= SEG__TIMING_P_NEVER; i++) {
        if (!(o[i] >= -1e-12 && o[i] <= 1 + 1e-12))
            return false;
        o[i] = fmin(1, fmax(0, o[i]));
    }
    return true;
}

int seg__clv_timing_eval(const seg_model *m, const seg__clv_fit *f,
                         const char *q, const double *args, size_t n,
                         double *out)
{
    int idx = -1, nt = seg__clv_timing_count(f->kind);
    for (int i = 0; i < nt; i++)
        if (strcmp(q, seg__clv_timing_names[i]) == 0)
            idx = i;
    if (idx < 0)
        return SEG_ENOTFOUND;
    size_t off = idx <= SEG__TIMING_P_NONE ? 1 : 0;
    if (n != 3 + off)
        return seg__model_error(m, SEG_EINVAL, "'%s' takes %zu arguments, "
                                "%zu given", q, 3 + off, n);
    const char *why = seg__clv_bad_row(f->kind, args + off);
    if (!why && off && args[0] < 0)
        why = "a negative horizon";
    /* BG/BB sums over opportunities: whole and bounded counts, as
     * seg_model_eval() holds its other quantities to */
    for (size_t i = 0; i < n && !why && f->kind == SEG__CLV_BGBB; i++)
        if (args[i] != floor(args[i]) || args[i] > 1e6)
            why = "opportunities and transactions must be whole numbers up "
                  "to 1e6";
    if (why)
        return seg__model_error(m, SEG_ERANGE, "'%s': %s", q, why);
    double o[SEG__TIMING_N];
    const double *h = args + off;
    if (!seg__clv_timing(f, off ? args[0] : 0, h[0], h[1], h[2], o))
        return seg__model_error(m, SEG_ERANGE, "'%s' cannot be computed for "
                                "these arguments", q);
    if (isnan(o[idx])) {
        const char *what =
            idx == SEG__TIMING_NEXT_HALF
                ? "P(no purchase ever) >= 1/2: the next purchase does not "
                  "come with probability 1/2 at any time"
            : idx == SEG__TIMING_NEXT_MEAN
                ? "the mean is infinite (the gamma rate has too heavy a "
                  "tail: r + x <= 1, or r + s + x <= 1 for pareto_nbd)"
                : "beyond 1e12 time units";
        return seg__model_error(m, SEG_ERANGE, "'%s': %s", q, what);
    }
    *out = o[idx];
    return SEG_OK;
}

/* A twelfth of the Gregorian year, as in clv.c. */
#define DAYS_PER_MONTH (365.2425 / 12)

int seg__clv_timing_horizon(const seg_model *m, const seg_dataset *ds,
                            int kind, double upm, double *t, double *dpu)
{
    *dpu = 0;
    if (kind == SEG__CLV_CLV) {
        *dpu = DAYS_PER_MONTH / upm;
    } else if (kind != SEG__CLV_BGBB) {
        int k = seg_dataset_column_kind(ds, seg__param_str(m, "T_column"));
        *dpu = k == SEG_KIND_DAYS ? 1 : k == SEG_KIND_WEEKS ? 7 : 0;
    }
    *t = seg__param_num(m, "timing_horizon");
    if (*t > 0)
        return SEG_OK;
    if (kind == SEG__CLV_BGBB)
        return seg__model_error(m, SEG_EINVAL, "%s: timing needs "
                                "timing_horizon, in opportunities",
                                seg_model_name(m));
    if (*dpu == 0)
        return seg__model_error(m, SEG_EINVAL, "%s: timing_days needs the "
                                "time unit of '%s' (days or weeks: compute "
                                "the features), or set timing_horizon in "
                                "its units", seg_model_name(m),
                                seg__param_str(m, "T_column"));
    *t = seg__param_num(m, "timing_days") / *dpu;
    return SEG_OK;
}

int seg__clv_timing_date(const seg_model *m, seg_dataset *ds,
                         const char *prefix, const double *median, double dpu)
{
    int64_t end = seg__ds_features_end(ds);
    if (dpu == 0 || end == SEG_TIME_NONE)
        return SEG_OK;
    size_t n = seg_dataset_customer_count(ds);
    double *d = seg__malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return seg__nomem(NULL);
    const seg__tz *tz = seg__ds_tz(ds); /* NULL: UTC */
    int64_t day = tz ? seg__tz_day(tz, end)
                     : (end >= 0 ? end / 86400 : -((-end + 86399) / 86400));
    for (size_t i = 0; i < n; i++) {
        double days = median[i] * dpu;
        /* the local day of the analysis plus the median, to whole days;
         * a median past a million days is no date */
        if (!(days >= 0 && days < 1e6)) {
            d[i] = NAN;
            continue;
        }
        int64_t dd = day + (int64_t)llround(days);
        d[i] = (double)(tz ? seg__tz_day_start(tz, dd) : dd * 86400);
    }
    int rc = seg__model_put(m, ds, prefix, "next_date", d, NULL);
    seg__free(d);
    char *name = rc ? NULL : seg__model_colname(prefix, "next_date");
    if (!rc && !name)
        rc = seg__nomem(NULL);
    if (!rc)
        rc = seg_dataset_set_column_kind(ds, name, SEG_KIND_TIMESTAMP);
    seg__free(name);
    return rc;
}
