/* Gamma-Gamma spend per transaction (Fader, Hardie and Lee 2005): a row
 * is (x, m), the repeat purchases and their mean value. */
#include <math.h>

#include "models/clv/internal.h"

static seg__dual ll_gg(const seg__dual *p, const double *d)
{
    double x = d[0], m = d[1];
    seg__dual pp = p[0], q = p[1], v = p[2];
    seg__dual px = dscale(pp, x);
    seg__dual pxq = dadd(px, q);
    seg__dual r = dsub(dsub(dlgamma(pxq), dlgamma(px)), dlgamma(q));
    r = dadd(r, dmul(q, dlog(v)));
    r = dadd(r, dscale(daddc(px, -1), log(m)));
    r = dadd(r, dscale(px, log(x)));
    r = dsub(r, dmul(pxq, dlog(daddc(v, m * x))));
    return r;
}
/* A repeat buyer whose mean spend is not positive was left out of the
 * fit (Gamma-Gamma has no density there) and, like a customer without
 * repeat purchases, gets the population mean. */
double seg__clv_expected_spend(const seg__clv_fit *g, double x, double m)
{
    double p = g->p[0], q = g->p[1], v = g->p[2];
    if (x == 0 || isnan(m) || m <= 0)
        return q > 1 ? p * v / (q - 1) : NAN;
    return (v + m * x) * p / (p * x + q - 1);
}

const seg__clv_spec seg__clv_gg = {
    "gamma_gamma", 3, {"p", "q", "gamma"}, 2, ll_gg, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL};
