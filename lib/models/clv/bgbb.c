/* BG/BB (Fader, Hardie and Shang 2010): discrete transaction
 * opportunities, a beta-distributed chance to buy at each and a
 * beta-geometric dropout. A row is (x, t_x, n). */
#include <math.h>

#include "models/clv/internal.h"

static seg__dual ll_bgbb(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], n = d[2];
    seg__dual al = p[0], be = p[1], ga = p[2], de = p[3];
    seg__dual acc = dadd(dlbeta_shift(al, be, x, n - x),
                         dlbeta_shift(ga, de, 0, n));
    for (double i = 0; i <= n - tx - 1; i++) {
        seg__dual t = dadd(dlbeta_shift(al, be, x, tx - x + i),
                           dlbeta_shift(ga, de, 1, tx + i));
        acc = dlogsumexp(acc, t);
    }
    return acc;
}

static double p_alive_bgbb(const double *p, double x, double tx, double n)
{
    seg__dual dp[SEG__NP] = {dc(p[0]), dc(p[1]), dc(p[2]), dc(p[3])};
    double d[3] = {x, tx, n};
    double ll = ll_bgbb(dp, d).v;
    double alive = lbeta_shift(p[0], p[1], x, n - x) +
                   lbeta_shift(p[2], p[3], 0, n + 1);
    return exp(alive - ll);
}

/* (1 - e^(g(gamma + c) - g(1 + c))) / (gamma - 1) with
 * g(u) = lgamma(u + t) - lgamma(u): the factor of the BG/BB expectations
 * that is 0/0 at gamma = 1; near it from the Taylor series of g, so that
 * neither a large gamma (the exponent under- or overflows as a difference
 * of two exponentials) nor gamma near 1 loses the value. */
static double dropout_ratio(double ga, double c, double t)
{
    double e = ga - 1, D, Dq; /* D = g(1+c) - g(gamma+c), Dq = D / e */
    if (fabs(e) < 1e-4) {
        double g1 = seg__digamma(1 + c + t) - seg__digamma(1 + c);
        double g2 = seg__trigamma(1 + c + t) - seg__trigamma(1 + c);
        Dq = -(g1 + e / 2 * g2);
        D = Dq * e;
    } else {
        D = seg__lgamma_diff(1 + c, t) - seg__lgamma_diff(ga + c, t);
        Dq = D / e;
    }
    /* 1 - e^D over e, as -Dq expm1(D)/D */
    return D == 0 ? -Dq : -Dq * (expm1(D) / D);
}

/* Fader, Hardie and Shang (2010), eq. 13: t future opportunities */
static double expected_bgbb(const double *p, double t, double x, double tx,
                            double n)
{
    double a = p[0], b = p[1], ga = p[2], de = p[3];
    seg__dual dp[SEG__NP] = {dc(a), dc(b), dc(ga), dc(de)};
    double d[3] = {x, tx, n};
    double ll = ll_bgbb(dp, d).v;
    double lead = lbeta_shift(a, b, x + 1, n - x) - ll + log(de) +
                  seg__lgamma_diff(1 + de, n) - seg__lgamma_diff(ga + de, n);
    return exp(lead) * dropout_ratio(ga, de + n, t);
}

/* Fader, Hardie and Shang (2010), eq. 8: transactions in the first t
 * opportunities of a new customer */
static double expected_unconditional_bgbb(const double *p, double t)
{
    double a = p[0], b = p[1], ga = p[2], de = p[3];
    return a / (a + b) * de * dropout_ratio(ga, de, t);
}

/* P(k transactions in the next t opportunities | x, t_x, n). Alive at
 * opportunity n + 1, the customer is alive for J of the t opportunities
 * (J = j < t with the weight of theta (1-theta)^(j-1), J = t with
 * (1-theta)^(t-1)) and buys at each of those with p:
 *   sum over j >= k of C(j, k) B(alpha+x+k, beta+n-x+j-k)/B(alpha, beta)
 *   times B(gamma+1, delta+n+j)/B(gamma, delta) (j < t) or
 *   B(gamma, delta+n+t)/B(gamma, delta) (j = t),
 * over the likelihood, in logs; a customer no longer alive buys nothing. */
static double pmf_bgbb(const double *p, double t, double k, double x,
                       double tx, double n)
{
    if (t == 0 || k > t)
        return k == 0 ? 1 : 0;
    double a = p[0], b = p[1], ga = p[2], de = p[3];
    seg__dual dp[SEG__NP] = {dc(a), dc(b), dc(ga), dc(de)};
    double d[3] = {x, tx, n};
    double ll = ll_bgbb(dp, d).v;
    double l = -INFINITY;
    for (double j = k > 0 ? k : 1; j <= t; j++) {
        double lt = seg__lgamma(j + 1) - seg__lgamma(k + 1) -
                    seg__lgamma(j - k + 1) +
                    lbeta_shift(a, b, x + k, n - x + j - k) +
                    (j < t ? lbeta_shift(ga, de, 1, n + j)
                           : lbeta_shift(ga, de, 0, n + t)) -
                    ll;
        l = dlogsumexp(dc(l), dc(lt)).v;
    }
    if (k == 0) {
        double pa = p_alive_bgbb(p, x, tx, n);
        if (pa < 1)
            l = dlogsumexp(dc(l), dc(log1p(-pa))).v;
    }
    return exp(l);
}

const seg__clv_spec seg__clv_bgbb = {
    "bgbb", 4, {"alpha", "beta", "gamma", "delta"}, 3, ll_bgbb, p_alive_bgbb,
    expected_bgbb, expected_unconditional_bgbb, pmf_bgbb, seg__bgbb_prepare,
    seg__bgbb_total, seg__bgbb_release, seg__bgbb_threads};
