/* GGompertz/NBD (Bemmaor and Glady 2012, Management Science 58(5)):
 * purchases at a Poisson rate lambda ~ Gamma(r, alpha) while alive, and a
 * lifetime with the Gompertz hazard eta b e^(b tau), eta ~ Gamma(s, beta)
 * across customers, so that the lifetime survives to t with probability
 * S(t) = (beta / (beta + e^(bt) - 1))^s. b -> 0 with beta / b held is
 * Pareto/NBD. The likelihood of (x, t_x, T) is
 *   L = G(r+x)/G(r) alpha^r [ S(T) / (alpha+T)^(r+x)
 *       + b s beta^s * int_{t_x}^T e^(b tau) (beta + e^(b tau) - 1)^-(s+1)
 *                                  (alpha + tau)^-(r+x) dtau ]
 * (their equation 3), the integral by adaptive Gauss-Kronrod quadrature
 * over dual numbers, so that the gradient is the quadrature of the
 * integrand's gradient. */
#include <math.h>

#include "models/clv/internal.h"

/* log(beta + e^(b tau) - 1) as a dual of b and beta: e^(b tau) - 1 by
 * expm1 where b tau is small, and factored out where it is large. */
static seg__dual log_bg(seg__dual b, seg__dual beta, double tau)
{
    double u = b.v * tau, v, db, dbeta;
    if (u > 30) {
        double e = exp(-u), q = 1 + (beta.v - 1) * e;
        v = u + log(q);
        db = tau / q;
        dbeta = e / q;
    } else {
        double den = beta.v + expm1(u);
        v = log(den);
        db = tau * exp(u) / den;
        dbeta = 1 / den;
    }
    seg__dual r;
    r.v = v;
    for (int i = 0; i < SEG__ND; i++)
        r.d[i] = b.d[i] * db + beta.d[i] * dbeta;
    return r;
}

static double log_bg_v(double b, double beta, double tau)
{
    return log_bg(dc(b), dc(beta), tau).v;
}

/* The log of an integrand at tau, in duals. */
typedef seg__dual (*log_fn)(double tau, const void *ctx);

/* Kronrod nodes on [0, 1] of the 15-point rule, the odd ones also the
 * 7-point Gauss rule's, with both rules' weights (QUADPACK's qk15). */
static const double xk[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.0};
static const double wk[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double wg[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

typedef struct piece {
    double a, b, err;
    seg__dual sum;
} piece;

/* exp(f - c) over [a, b] by the 15-point rule, its error estimate the
 * difference to the embedded 7-point rule. */
static piece gk15(log_fn f, const void *ctx, seg__dual c, double a, double b)
{
    double h = (b - a) / 2, mid = a + h;
    seg__dual k = dc(0);
    double g = 0;
    for (int i = 0; i < 15; i++) {
        int j = i < 8 ? i : 14 - i;
        double t = mid + (i < 8 ? -1 : 1) * h * xk[j];
        seg__dual e = dexp(dsub(f(t, ctx), c));
        k = dadd(k, dscale(e, wk[j]));
        if (j % 2 == 1)
            g += wg[j / 2] * e.v;
    }
    piece p = {a, b, 0, dscale(k, h)};
    p.err = fabs(p.sum.v - g * h);
    return p;
}

#define MAX_PIECES 64

/* The log of the integral of exp(f) over [a, b] (a < b), to a relative
 * error of about 1e-9: the piece with the largest error estimate is
 * halved until the estimates add up to less than that (QUADPACK's qag
 * strategy). The integrand is scaled by its largest value at the ends and
 * the middle, so that no sum underflows. NaN if it does not converge. */
static seg__dual log_integral(log_fn f, const void *ctx, double a, double b)
{
    seg__dual c = f(a, ctx), fm = f((a + b) / 2, ctx), fb = f(b, ctx);
    if (fm.v > c.v)
        c = fm;
    if (fb.v > c.v)
        c = fb;
    if (!isfinite(c.v))
        return dc(NAN);
    piece p[MAX_PIECES];
    int n = 1;
    p[0] = gk15(f, ctx, c, a, b);
    for (;;) {
        seg__dual sum = dc(0);
        double err = 0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            sum = dadd(sum, p[i].sum);
            err += p[i].err;
            if (p[i].err > p[worst].err)
                worst = i;
        }
        if (!(sum.v > 0) || !isfinite(sum.v))
            return dc(sum.v == 0 ? -INFINITY : NAN);
        if (err <= 1e-9 * sum.v || n == MAX_PIECES)
            return err <= 1e-6 * sum.v ? dadd(c, dlog(sum)) : dc(NAN);
        double m = (p[worst].a + p[worst].b) / 2;
        piece right = gk15(f, ctx, c, m, p[worst].b);
        p[worst] = gk15(f, ctx, c, p[worst].a, m);
        p[n++] = right;
    }
}

typedef struct ll_ctx {
    const seg__dual *p;
    double x;
} ll_ctx;

/* log of e^(b tau) (beta + e^(b tau) - 1)^-(s+1) (alpha + tau)^-(r+x) */
static seg__dual ll_integrand(double tau, const void *vc)
{
    const ll_ctx *c = vc;
    const seg__dual *p = c->p;
    seg__dual l = dmul(daddc(p[0], c->x), dlog(daddc(p[1], tau)));
    l = dadd(l, dmul(daddc(p[3], 1), log_bg(p[2], p[4], tau)));
    return dsub(dscale(p[2], tau), l);
}

/* The two terms of the likelihood, in logs: alive at T, and gone at some
 * tau in (t_x, T) (-inf when t_x = T). */
static bool gg_terms(const seg__dual *p, double x, double tx, double T,
                     seg__dual *alive, seg__dual *gone)
{
    seg__dual r = p[0], al = p[1], b = p[2], s = p[3], be = p[4];
    seg__dual head = dadd(dlgamma_diff(r, x), dmul(r, dlog(al)));
    *alive = dsub(head, dmul(daddc(r, x), dlog(daddc(al, T))));
    *alive = dadd(*alive, dmul(s, dsub(dlog(be), log_bg(b, be, T))));
    if (!(tx < T)) {
        *gone = dc(-INFINITY);
        return isfinite(alive->v);
    }
    ll_ctx c = {p, x};
    seg__dual li = log_integral(ll_integrand, &c, tx, T);
    if (isnan(li.v))
        return false;
    *gone = dadd(dadd(head, dadd(dlog(b), dlog(s))), dmul(s, dlog(be)));
    *gone = dadd(*gone, li);
    return isfinite(alive->v);
}

static seg__dual ll_gg(const seg__dual *p, const double *d)
{
    seg__dual alive, gone;
    if (!gg_terms(p, d[0], d[1], d[2], &alive, &gone))
        return dc(NAN);
    return dlogsumexp(alive, gone);
}

static void duals_of(const double *p, seg__dual *dp)
{
    for (int i = 0; i < SEG__NP; i++)
        dp[i] = dc(p[i]);
}

static double p_alive_gg(const double *p, double x, double tx, double T)
{
    seg__dual dp[SEG__NP], alive, gone;
    duals_of(p, dp);
    if (!gg_terms(dp, x, tx, T, &alive, &gone))
        return NAN;
    return exp(alive.v - dlogsumexp(alive, gone).v);
}

typedef struct surv_ctx {
    double b, s, be, T, lB;
} surv_ctx;

/* log of the survival through T + u of a customer alive at T:
 * ((beta + e^(bT) - 1) / (beta + e^(b(T+u)) - 1))^s */
static seg__dual surv_integrand(double u, const void *vc)
{
    const surv_ctx *c = vc;
    return dc(c->s * (c->lB - log_bg_v(c->b, c->be, c->T + u)));
}

/* The expected time alive in (T, T + t] of a customer alive at T. */
static double time_alive(const double *p, double T, double t)
{
    if (t == 0)
        return 0;
    surv_ctx c = {p[2], p[3], p[4], T, log_bg_v(p[2], p[4], T)};
    return exp(log_integral(surv_integrand, &c, 0, t).v);
}

/* Alive at T, lambda ~ Gamma(r + x, alpha + T) and eta ~ Gamma(s,
 * beta + e^(bT) - 1), independent: the purchases expected in (T, T + t]
 * are E[lambda] times the expected time alive there. */
static double expected_gg(const double *p, double t, double x, double tx,
                          double T)
{
    double pa = p_alive_gg(p, x, tx, T);
    return pa * (p[0] + x) / (p[1] + T) * time_alive(p, T, t);
}

static double expected_unconditional_gg(const double *p, double t)
{
    return p[0] / p[1] * time_alive(p, 0, t);
}

typedef struct pmf_ctx {
    double R, A, b, s, be, T, lB, n;
} pmf_ctx;

/* log NB(n; R, u / (A + u)): n purchases in u time units alive */
static double log_nb(const pmf_ctx *c, double u)
{
    double la = log(c->A + u);
    return seg__lgamma_diff(c->R, c->n) - seg__lgamma(c->n + 1) +
           c->R * (log(c->A) - la) + (c->n > 0 ? c->n * (log(u) - la) : 0);
}

/* the remaining lifetime's density at u times NB(n; R, u / (A + u)):
 * s b e^(b(T+u)) B^s / (beta + e^(b(T+u)) - 1)^(s+1), B = beta + e^(bT) - 1 */
static seg__dual pmf_integrand(double u, const void *vc)
{
    const pmf_ctx *c = vc;
    double l = log(c->s) + log(c->b) + c->b * (c->T + u) + c->s * c->lB -
               (c->s + 1) * log_bg_v(c->b, c->be, c->T + u);
    return dc(l + log_nb(c, u));
}

/* P(n purchases in (T, T + t]) of a customer with (x, t_x, T): alive at
 * T, the customer stays through t and buys n times, or leaves at u < t
 * having bought n times by then; or is gone already (n = 0). */
static double pmf_gg(const double *p, double t, double n, double x,
                     double tx, double T)
{
    if (t == 0)
        return n == 0 ? 1 : 0;
    double pa = p_alive_gg(p, x, tx, T);
    if (!isfinite(pa))
        return NAN;
    pmf_ctx c = {p[0] + x, p[1] + T, p[2], p[3], p[4], T,
                 log_bg_v(p[2], p[4], T), n};
    double lstay = log_nb(&c, t) + p[3] * (c.lB - log_bg_v(p[2], p[4], T + t));
    double lleave = log_integral(pmf_integrand, &c, 0, t).v;
    if (isnan(lleave))
        return NAN;
    double l = dlogsumexp(dc(lstay), dc(lleave)).v + log(pa);
    if (n == 0 && pa < 1)
        l = dlogsumexp(dc(l), dc(log1p(-pa))).v;
    return exp(l);
}

/* CLVTools' start for the apparel data (its vignette), one nearer the
 * Pareto/NBD limit (b small), and two of larger b */
const double seg__ggompertz_starts[SEG__GGOMPERTZ_STARTS][SEG__NP] = {
    {0.7, 5, 0.005, 0.02, 0.001}, {0.5, 5, 0.001, 0.5, 0.05},
    {1, 1, 0.05, 1, 1}, {0.5, 2, 0.5, 0.5, 0.5}};

const seg__clv_spec seg__clv_ggompertz = {
    "ggompertz", 5, {"r", "alpha", "b", "s", "beta"}, 3, ll_gg, p_alive_gg,
    expected_gg, expected_unconditional_gg, pmf_gg, NULL, NULL, NULL,
    NULL};
