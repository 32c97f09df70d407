/* BG/BB (Fader, Hardie and Shang 2010): discrete transaction
 * opportunities, a beta-distributed chance to buy at each and a
 * beta-geometric dropout. A row is (x, t_x, n). */
#include <math.h>

#include "models/clv/internal.h"

static seg__dual ll_bgbb(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], n = d[2];
    seg__dual al = p[0], be = p[1], ga = p[2], de = p[3];
    seg__dual base = dadd(dlbeta(al, be), dlbeta(ga, de));
    seg__dual acc = dsub(dadd(dlbeta(daddc(al, x), daddc(be, n - x)),
                              dlbeta(ga, daddc(de, n))), base);
    for (double i = 0; i <= n - tx - 1; i++) {
        seg__dual t = dsub(dadd(dlbeta(daddc(al, x), daddc(be, tx - x + i)),
                                dlbeta(daddc(ga, 1), daddc(de, tx + i))),
                           base);
        acc = dlogsumexp(acc, t);
    }
    return acc;
}

static double p_alive_bgbb(const double *p, double x, double tx, double n)
{
    seg__dual dp[SEG__NP] = {dc(p[0]), dc(p[1]), dc(p[2]), dc(p[3])};
    double d[3] = {x, tx, n};
    double ll = ll_bgbb(dp, d).v;
    double alive = dlbeta(dc(p[0] + x), dc(p[1] + n - x)).v -
                   dlbeta(dc(p[0]), dc(p[1])).v +
                   dlbeta(dc(p[2]), dc(p[3] + n + 1)).v -
                   dlbeta(dc(p[2]), dc(p[3])).v;
    return exp(alive - ll);
}

/* Fader, Hardie and Shang (2010), eq. 13: t future opportunities */
static double expected_bgbb(const double *p, double t, double x, double tx,
                            double n)
{
    double a = p[0], b = p[1], ga = p[2], de = p[3];
    seg__dual dp[SEG__NP] = {dc(a), dc(b), dc(ga), dc(de)};
    double d[3] = {x, tx, n};
    double ll = ll_bgbb(dp, d).v;
    double lead = dlbeta(dc(a + x + 1), dc(b + n - x)).v -
                  dlbeta(dc(a), dc(b)).v - ll + log(de) - log(fabs(ga - 1)) +
                  lgamma(ga + de) - lgamma(1 + de);
    double d1 = lgamma(1 + de + n) - lgamma(ga + de + n);
    double d2 = lgamma(1 + de + n + t) - lgamma(ga + de + n + t);
    double diff = ga > 1 ? exp(d1) - exp(d2) : exp(d2) - exp(d1);
    return exp(lead) * diff;
}

/* Fader, Hardie and Shang (2010), eq. 8: transactions in the first t
 * opportunities of a new customer */
static double expected_unconditional_bgbb(const double *p, double t)
{
    double a = p[0], b = p[1], ga = p[2], de = p[3];
    double lr = lgamma(ga + de) - lgamma(1 + de) + lgamma(1 + de + t) -
                lgamma(ga + de + t);
    /* 1 - e^lr over (gamma - 1), with the limit log((1+de+t)/(1+de)) at
     * gamma = 1 */
    double f = fabs(ga - 1) < 1e-12 ? seg__digamma(1 + de + t) -
                                          seg__digamma(1 + de)
                                    : -expm1(lr) / (ga - 1);
    return a / (a + b) * de * f;
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
    double lb = dlbeta(dc(a), dc(b)).v, lg = dlbeta(dc(ga), dc(de)).v;
    double l = -INFINITY;
    for (double j = k > 0 ? k : 1; j <= t; j++) {
        double lt = lgamma(j + 1) - lgamma(k + 1) - lgamma(j - k + 1) +
                    dlbeta(dc(a + x + k), dc(b + n - x + j - k)).v - lb +
                    (j < t ? dlbeta(dc(ga + 1), dc(de + n + j)).v
                           : dlbeta(dc(ga), dc(de + n + t)).v) -
                    lg - ll;
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
    expected_bgbb, expected_unconditional_bgbb, pmf_bgbb};
