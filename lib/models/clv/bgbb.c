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

const seg__clv_spec seg__clv_bgbb = {
    "bgbb", 4, {"alpha", "beta", "gamma", "delta"}, 3, ll_bgbb, p_alive_bgbb,
    expected_bgbb, NULL, NULL};
