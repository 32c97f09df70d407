/* Pareto/NBD (Schmittlein, Morrison and Colombo 1987): purchases at a
 * Poisson rate and an exponential lifetime, both gamma across customers,
 * in the log-space form of Fader and Hardie (2005, note 008). */
#include <float.h>
#include <math.h>

#include "models/clv/internal.h"

typedef struct a0_ctx {
    const seg__dual *p;
    double x, tx, T;
} a0_ctx;

/* (alpha + tau)^-(r+x) (beta + tau)^-(s+1) over tau in (t_x, T), in the
 * logit of (tau - t_x) / (T - t_x) */
static seg__dual a0_integrand(double y, double lp, double lq, void *vc)
{
    (void)y;
    const a0_ctx *c = vc;
    double w = c->T - c->tx, tau = c->tx + w * exp(lp);
    seg__dual l = dadd(dmul(daddc(c->p[0], c->x), dlog(daddc(c->p[1], tau))),
                       dmul(daddc(c->p[2], 1), dlog(daddc(c->p[3], tau))));
    return daddc(dscale(l, -1), log(w) + lp + lq);
}

double seg__pnbd_a0_centre(const double *p, double x, double tx, double T)
{
    /* the integrand falls by e over about (min(alpha, beta) + t_x) / k in
     * tau, k = r + s + x + 1: centre the rule on that scale */
    double k = p[0] + p[2] + x + 1;
    double scale = (fmin(p[1], p[3]) + tx) / k / (T - tx);
    return fmax(-40, fmin(0, log(scale)));
}

/* log A0 by quadrature: the dropout part of the likelihood is
 * s/(r+s+x) A0 with A0 = (r+s+x) times the integral of a0_integrand. It
 * serves where the series of the 2F1 converge too slowly: beta or alpha
 * tiny against the other, so that the argument is within 1e-9 of 1. */
static seg__dual pnbd_log_a0_quad(const seg__dual *p, double x, double tx,
                                  double T)
{
    a0_ctx c = {p, x, tx, T};
    const double v[4] = {p[0].v, p[1].v, p[2].v, p[3].v};
    double m = seg__pnbd_a0_centre(v, x, tx, T);
    seg__dual l = seg__quad_logit(a0_integrand, &c, m, SEG__PNBD_A0_SPREAD);
    return dadd(l, dlog(daddc(dadd(p[0], p[2]), x)));
}

/* log A0 of the Pareto/NBD likelihood (Fader and Hardie 2005, note 008),
 * or -inf when t_x = T. */
static bool pnbd_log_a0(const seg__dual *p, double x, double tx, double T,
                        seg__dual *out)
{
    seg__dual r = p[0], al = p[1], s = p[2], be = p[3];
    if (tx >= T) {
        *out = dc(-INFINITY);
        return true;
    }
    seg__dual rsx = daddc(dadd(r, s), x);
    bool a_ge_b = al.v >= be.v;
    seg__dual big = a_ge_b ? al : be, small = a_ge_b ? be : al;
    seg__dual bparam = a_ge_b ? daddc(s, 1) : daddc(r, x);
    seg__dual f1, f2;
    seg__dual z1 = ddiv(dsub(big, small), daddc(big, tx));
    seg__dual z2 = ddiv(dsub(big, small), daddc(big, T));
    if (!seg__log_hyp2f1(rsx, bparam, daddc(rsx, 1), z1, &f1) ||
        !seg__log_hyp2f1(rsx, bparam, daddc(rsx, 1), z2, &f2)) {
        *out = pnbd_log_a0_quad(p, x, tx, T);
        return isfinite(out->v);
    }
    f1 = dsub(f1, dmul(rsx, dlog(daddc(big, tx))));
    f2 = dsub(f2, dmul(rsx, dlog(daddc(big, T))));
    if (!(f1.v > f2.v)) {
        *out = dc(-INFINITY);
        return true;
    }
    *out = dlogdiffexp(f1, f2);
    if (f2.v - f1.v > -1e-6) {
        /* the difference of two nearly equal terms has lost its digits */
        *out = pnbd_log_a0_quad(p, x, tx, T);
        return isfinite(out->v);
    }
    return true;
}
static seg__dual ll_pnbd(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], s = p[2], be = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual head = dadd(dadd(dlgamma_diff(r, x),
                               dmul(r, dlog(al))),
                          dmul(s, dlog(be)));
    seg__dual t1 = dscale(dadd(dmul(rx, dlog(daddc(al, T))),
                               dmul(s, dlog(daddc(be, T)))), -1);
    seg__dual la0;
    if (!pnbd_log_a0(p, x, tx, T, &la0))
        return dc(NAN);
    if (la0.v == -INFINITY)
        return dadd(head, t1);
    seg__dual t2 = dadd(dsub(dlog(s), dlog(daddc(dadd(r, s), x))), la0);
    return dadd(head, dlogsumexp(t1, t2));
}

/* The term of the time y (t_x or T) in A0 of pnbd_log_a0(), without
 * derivatives and to its last bit: log 2F1(r+s+x, b; r+s+x+1; z(y)) -
 * (r+s+x) log(big + y), z(y) = (big - small) / (big + y). It depends on
 * x and y alone, so that the intervals evaluate it once per distinct
 * (x, t_x) and (x, T), for n times y[] at once (the series share their
 * ratios): ok[k] false where the series fails. */
void seg__pnbd_alive_terms(const double *p, double x, const double *y, int n,
                           bool *ok, double *f)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    double rsx = r + s + x;
    bool a_ge_b = al >= be;
    double big = a_ge_b ? al : be, small = a_ge_b ? be : al;
    double bparam = a_ge_b ? s + 1 : r + x;
    for (int i0 = 0; i0 < n; i0 += SEG__HYP2F1_BATCH) {
        int m = n - i0 < SEG__HYP2F1_BATCH ? n - i0 : SEG__HYP2F1_BATCH;
        double z[SEG__HYP2F1_BATCH];
        for (int k = 0; k < m; k++)
            z[k] = (big - small) / (big + y[i0 + k]);
        seg__log_hyp2f1_f64_n(rsx, bparam, rsx + 1, z, m, ok + i0, f + i0);
        for (int k = 0; k < m; k++)
            if (ok[i0 + k])
                f[i0 + k] = f[i0 + k] - rsx * log(big + y[i0 + k]);
    }
}

/* What P(alive) needs of the pair (x, T) alone under p: the term of T
 * and the logarithms that the odds of having left add to A0. The
 * scaled pieces stay unset until seg__pnbd_pair_scale(). */
void seg__pnbd_alive_pair(const double *p, double x, double T,
                          seg__pnbd_pair *pp)
{
    bool ok;
    double f;
    seg__pnbd_alive_terms(p, x, &T, 1, &ok, &f);
    seg__pnbd_pair_of_x(p, x, T, seg__pnbd_x_log(p, x), ok, f, pp);
}

double seg__pnbd_x_log(const double *p, double x)
{
    return log(p[2]) - log(p[0] + p[2] + x);
}

void seg__pnbd_pair_of_x(const double *p, double x, double T, double ax,
                         bool ok, double f, seg__pnbd_pair *pp)
{
    pp->ok = ok;
    pp->f = ok ? f : NAN;
    pp->a = ax;
    pp->b = (p[0] + x) * log(p[1] + T);
    pp->c = p[2] * log(p[3] + T);
    pp->g = pp->e2 = NAN;
}

/* e^v where it is a normal number, else NaN: a factor of the scaled
 * form that has lost digits to underflow, or overflowed, sends its
 * history to seg__pnbd_alive_of_terms() */
static double exp_normal(double v)
{
    double e = exp(v);
    return e >= DBL_MIN && e <= DBL_MAX ? e : NAN;
}

/* The reference of x under p: R = u - log(s / (r+s+x)) - w with u =
 * -(r+x) log alpha - s log beta + max(0, log(alpha / beta)), which no
 * term exceeds (the 2F1 with c = a + 1 is at most (1 - z)^-b), and
 * w = min(700, 4 (r+s+x)). Then e^(f - R) <= e^w for every term, and
 * G = e^(k + R) of a pair is e^-w times (alpha+T)^(r+x) (beta+T)^s
 * e^u, at least e^-w: both stay normal while the terms of the times in
 * use span less than 700 + w, and the exponents stay about as large as
 * (r+x) log(alpha+T), whose rounding the odds carry anyway. A function
 * of p and x alone, so that the point estimate and every draw of the
 * intervals compute the same thing. */
double seg__pnbd_reference(const double *p, double x)
{
    double la = log(p[1]), lb = log(p[3]), rsx = p[0] + p[2] + x;
    double u = -(p[0] + x) * la - p[2] * lb + fmax(0, la - lb);
    return u - (log(p[2]) - log(rsx)) - fmin(700, 4 * rsx);
}

double seg__pnbd_term_scale(double f, double R) { return exp_normal(f - R); }

void seg__pnbd_pair_scale(seg__pnbd_pair *pp, double R)
{
    double k = pp->a + pp->b + pp->c;
    pp->g = exp_normal(k + R);
    pp->e2 = exp(k + pp->f);
}

/* The odds of having left are e^(k + f1) - e^(k + f2), k = a + b + c:
 * (G F1) - E2 with F1 = e^(f1 - R) of the t_x and G = e^(k + R),
 * E2 = e^(k + f2) of the pair, so that a history under a draw costs a
 * multiplication and a division. Its rounding error is about that of
 * f1 + log1p(-e^(f2 - f1)) of seg__pnbd_alive_of_terms(): both lose
 * the digits of the ratio e^(f1 - f2) / (e^(f1 - f2) - 1). */
bool seg__pnbd_alive_scaled(const double *f1, const double *F1,
                            const seg__pnbd_pair *pp, size_t n, double *pa)
{
    bool all = true;
    for (size_t d = 0; d < n; d++) {
        double e1 = pp[d].g * F1[d];
        /* what seg__pnbd_alive_of_terms() takes by its series; NaN
         * (a failed series, a factor out of range) fails the test */
        bool ok = pp[d].f - f1[d] <= -1e-6 && e1 <= DBL_MAX;
        pa[d] = ok ? 1 / (1 + (e1 - pp[d].e2)) : NAN;
        all = all && ok;
    }
    return all;
}

/* P(alive) from the term of t_x (ok1, f1) and the pair's pieces: what
 * pnbd_log_a0() makes of the terms, its quadrature where the series
 * fail or the difference loses its digits, then the odds of having
 * left. Where the scaled form serves, it gives the same to rounding. */
double seg__pnbd_alive_of_terms(const double *p, double x, double tx,
                                double T, bool ok1, double f1,
                                const seg__pnbd_pair *pp)
{
    if (tx >= T)
        return 1;
    double la0, f2 = pp->f;
    if (!ok1 || !pp->ok || (f1 > f2 && f2 - f1 > -1e-6)) {
        seg__dual dp[SEG__NP] = {dc(p[0]), dc(p[1]), dc(p[2]), dc(p[3])};
        la0 = pnbd_log_a0_quad(dp, x, tx, T).v;
        if (!isfinite(la0))
            return NAN;
    } else if (!(f1 > f2)) {
        return 1;
    } else {
        la0 = f1 + log1p(-exp(f2 - f1));
    }
    double l = pp->a + la0 + pp->b + pp->c;
    return 1 / (1 + exp(l));
}

/* The intervals' computation for one history and one draw. */
static double p_alive_pnbd(const double *p, double x, double tx, double T)
{
    if (tx >= T)
        return 1;
    bool ok;
    double f, pa;
    seg__pnbd_pair pp;
    seg__pnbd_alive_terms(p, x, &tx, 1, &ok, &f);
    if (!ok)
        f = NAN;
    seg__pnbd_alive_pair(p, x, T, &pp);
    double R = seg__pnbd_reference(p, x);
    seg__pnbd_pair_scale(&pp, R);
    double F = seg__pnbd_term_scale(f, R);
    if (seg__pnbd_alive_scaled(&f, &F, &pp, 1, &pa))
        return pa;
    return seg__pnbd_alive_of_terms(p, x, tx, T, ok, f, &pp);
}

static double expected_pnbd(const double *p, double t, double x, double tx,
                            double T)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    double pa = p_alive_pnbd(p, x, tx, T);
    double g = fabs(s - 1) < 1e-10
                   ? log((be + T + t) / (be + T))
                   : -expm1((s - 1) * log((be + T) / (be + T + t))) / (s - 1);
    return (r + x) * (be + T) / (al + T) * g * pa;
}

static double expected_unconditional_pnbd(const double *p, double t)
{
    double r = p[0], al = p[1], s = p[2], be = p[3];
    if (fabs(s - 1) < 1e-10)
        return r * be / al * log((be + t) / be);
    return r * be / (al * (s - 1)) * -expm1((s - 1) * log(be / (be + t)));
}

typedef struct pmf_ctx {
    double R, A, s, B, t, n;
} pmf_ctx;

/* dropout at tau in (0, t) with n purchases before: the density
 * s B^s / (B + tau)^(s+1) times NB(n; R, tau / (A + tau)), in the logit
 * of tau / t */
static seg__dual pmf_integrand(double y, double lp, double lq, void *vc)
{
    (void)y;
    const pmf_ctx *c = vc;
    double tau = c->t * exp(lp), lA = log(c->A + tau);
    double l = log(c->s) + c->s * log(c->B) - (c->s + 1) * log(c->B + tau) +
               seg__lgamma_diff(c->R, c->n) - seg__lgamma(c->n + 1) +
               c->R * (log(c->A) - lA) +
               (c->n > 0 ? c->n * (log(tau) - lA) : 0);
    return dc(l + log(c->t) + lp + lq);
}

/* P(X(T, T+t) = n | x, t_x, T) (Fader, Hardie and Lee 2006, note on the
 * conditional PMF): alive now, lambda ~ Gamma(r+x, alpha+T) and
 * mu ~ Gamma(s, beta+T); the customer stays through t and buys n times,
 * or leaves at tau < t having bought n times by then. The second term is
 * integrated numerically over tau, in logs. */
static double pmf_pnbd(const double *p, double t, double n, double x,
                       double tx, double T)
{
    if (t == 0)
        return n == 0 ? 1 : 0;
    double pa = p_alive_pnbd(p, x, tx, T);
    if (!isfinite(pa))
        return NAN;
    pmf_ctx c = {p[0] + x, p[1] + T, p[2], p[3] + T, t, n};
    double lA = log(c.A + t);
    double lstay = seg__lgamma_diff(c.R, n) - seg__lgamma(n + 1) +
                   c.R * (log(c.A) - lA) + n * (log(t) - lA) +
                   c.s * (log(c.B) - log(c.B + t));
    /* centre the rule on the peak of the integrand: where the n-th
     * purchase is likely, tau / (A + tau) near n / (n + R) */
    double w = n / (n + c.R), tau0 = c.A * w / (1 - w);
    double m = n == 0 ? 0 : fmax(-40, fmin(40, log(tau0 / t)));
    double s = n == 0 ? 2 : fmin(2, 1 + 2 / sqrt(n));
    double lleave = seg__quad_logit(pmf_integrand, &c, m, s).v;
    double l = dlogsumexp(dc(lstay), dc(lleave)).v + log(pa);
    if (n == 0 && pa < 1)
        l = dlogsumexp(dc(l), dc(log1p(-pa))).v;
    return exp(l);
}

const seg__clv_spec seg__clv_pnbd = {
    "pareto_nbd", 4, {"r", "alpha", "s", "beta"}, 3, ll_pnbd, p_alive_pnbd,
    expected_pnbd, expected_unconditional_pnbd, pmf_pnbd, seg__pnbd_prepare,
    seg__pnbd_total, seg__pnbd_release, seg__pnbd_threads};
