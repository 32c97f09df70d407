/* The BG/NBD family: BG/NBD (Fader, Hardie and Lee 2005) and MBG/NBD
 * (Batislam et al. 2007), where a customer may also drop out before any
 * repeat purchase. The two differ by a shift of one in the dropout terms,
 * so one piece of code with `modified` serves both. */
#include <math.h>

#include "models/clv/internal.h"

static seg__dual ll_family(const seg__dual *p, const double *d,
                           bool modified)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], a = p[2], b = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual A1 = dadd(dsub(dlgamma(rx), dlgamma(r)), dmul(r, dlog(al)));
    double m = modified ? 1 : 0;
    seg__dual A2 = dsub(dsub(dadd(dlgamma(dadd(a, b)), dlgamma(daddc(b, x + m))),
                             dlgamma(b)),
                        dlgamma(daddc(dadd(a, b), x + m)));
    seg__dual A3 = dscale(dmul(rx, dlog(daddc(al, T))), -1);
    if (!modified && x == 0)
        return dadd(dadd(A1, A2), A3);
    /* the customer may have dropped out right after the last purchase */
    seg__dual A4 = dsub(dsub(dlog(a), dlog(daddc(b, x + m - 1))),
                        dmul(rx, dlog(daddc(al, tx))));
    return dadd(dadd(A1, A2), dlogsumexp(A3, A4));
}

static bool log_hyp(double a, double b, double c, double z, double *out)
{
    seg__dual r;
    if (!seg__log_hyp2f1(dc(a), dc(b), dc(c), dc(z), &r))
        return false;
    *out = r.v;
    return true;
}

static double expected_family(const double *p, double t, double x, double tx,
                              double T, bool mod)
{
    double r = p[0], al = p[1];
    double a = p[2], b = p[3], z = t / (al + T + t), lf;
    double A = r + x, B = mod ? b + x + 1 : b + x,
           C = mod ? a + b + x : a + b + x - 1;
    if (!log_hyp(A, B, C, z, &lf))
        return NAN;
    double inner = -expm1((r + x) * log1p(-z) + lf);
    double lead = (mod ? b + x : a + b + x - 1) / (a - 1);
    double odds = (!mod && x == 0)
                      ? 0
                      : exp(log(a) - log(mod ? b + x : b + x - 1) +
                            (r + x) * (log(al + T) - log(al + tx)));
    return lead * inner / (1 + odds);
}

static double expected_unconditional_family(const double *p, double t,
                                            bool mod)
{
    double r = p[0], al = p[1], lf;
    double a = p[2], b = p[3], z = t / (al + t);
    if (!log_hyp(r, mod ? b + 1 : b, mod ? a + b : a + b - 1, z, &lf))
        return NAN;
    return (mod ? b : a + b - 1) / (a - 1) *
           -expm1(r * log(al / (al + t)) + lf);
}

/* P(X(t) = n) for a new BG/NBD customer (Fader, Hardie and Lee 2005,
 * eq. 8); for MBG/NBD, where a customer may drop out right after the first
 * purchase, the dropout term counts from n = 0:
 * B(a, b+n+1)/B(a,b) NBD(n) + B(a+1, b+n)/B(a,b) (1 - sum_{j<n} NBD(j)). */
static double pmf_family(const double *p, double t, double n, bool mod)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    double lq = log(al / (al + t)), lz = log(t / (al + t));
    double lb0 = dlbeta(dc(a), dc(b)).v;
    double first = exp(dlbeta(dc(a), dc(b + n + (mod ? 1 : 0))).v - lb0 +
                       lgamma(r + n) - lgamma(r) - lgamma(n + 1) + r * lq +
                       n * lz);
    if (n == 0 && !mod)
        return first;
    double sum = 0;
    for (double j = 0; j < n; j++)
        sum += exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * lq + j * lz);
    double drop = dlbeta(dc(a + 1), dc(b + n - (mod ? 0 : 1))).v - lb0;
    return first + exp(drop) * (1 - sum);
}

/* ---- BG/NBD ---- */

static seg__dual ll_bgnbd(const seg__dual *p, const double *d)
{
    return ll_family(p, d, false);
}

static double p_alive_bgnbd(const double *p, double x, double tx, double T)
{
    if (x == 0)
        return 1;
    return 1 / (1 + exp(log(p[2]) - log(p[3] + x - 1) +
                        (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
}

static double expected_bgnbd(const double *p, double t, double x, double tx,
                             double T)
{
    return expected_family(p, t, x, tx, T, false);
}

static double expected_unconditional_bgnbd(const double *p, double t)
{
    return expected_unconditional_family(p, t, false);
}

static double pmf_bgnbd(const double *p, double t, double n)
{
    return pmf_family(p, t, n, false);
}

const seg__clv_spec seg__clv_bgnbd = {
    "bgnbd", 4, {"r", "alpha", "a", "b"}, 3, ll_bgnbd, p_alive_bgnbd,
    expected_bgnbd, expected_unconditional_bgnbd, pmf_bgnbd};

/* ---- MBG/NBD ---- */

static seg__dual ll_mbgnbd(const seg__dual *p, const double *d)
{
    return ll_family(p, d, true);
}

static double p_alive_mbgnbd(const double *p, double x, double tx, double T)
{
    return 1 / (1 + exp(log(p[2]) - log(p[3] + x) +
                        (p[0] + x) * (log(p[1] + T) - log(p[1] + tx))));
}

static double expected_mbgnbd(const double *p, double t, double x, double tx,
                              double T)
{
    return expected_family(p, t, x, tx, T, true);
}

static double expected_unconditional_mbgnbd(const double *p, double t)
{
    return expected_unconditional_family(p, t, true);
}

static double pmf_mbgnbd(const double *p, double t, double n)
{
    return pmf_family(p, t, n, true);
}

const seg__clv_spec seg__clv_mbgnbd = {
    "mbgnbd", 4, {"r", "alpha", "a", "b"}, 3, ll_mbgnbd, p_alive_mbgnbd,
    expected_mbgnbd, expected_unconditional_mbgnbd, pmf_mbgnbd};
