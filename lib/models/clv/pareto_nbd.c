/* Pareto/NBD (Schmittlein, Morrison and Colombo 1987): purchases at a
 * Poisson rate and an exponential lifetime, both gamma across customers,
 * in the log-space form of Fader and Hardie (2005, note 008). */
#include <math.h>

#include "models/clv/internal.h"

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
        !seg__log_hyp2f1(rsx, bparam, daddc(rsx, 1), z2, &f2))
        return false;
    f1 = dsub(f1, dmul(rsx, dlog(daddc(big, tx))));
    f2 = dsub(f2, dmul(rsx, dlog(daddc(big, T))));
    if (!(f1.v > f2.v)) {
        *out = dc(-INFINITY);
        return true;
    }
    *out = dlogdiffexp(f1, f2);
    return true;
}
static seg__dual ll_pnbd(const seg__dual *p, const double *d)
{
    double x = d[0], tx = d[1], T = d[2];
    seg__dual r = p[0], al = p[1], s = p[2], be = p[3];
    seg__dual rx = daddc(r, x);
    seg__dual head = dadd(dadd(dsub(dlgamma(rx), dlgamma(r)),
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

static double p_alive_pnbd(const double *p, double x, double tx, double T)
{
    seg__dual dp[SEG__NP] = {dc(p[0]), dc(p[1]), dc(p[2]), dc(p[3])}, la0;
    if (!pnbd_log_a0(dp, x, tx, T, &la0))
        return NAN;
    if (la0.v == -INFINITY)
        return 1;
    double l = log(p[2]) - log(p[0] + p[2] + x) + la0.v +
               (p[0] + x) * log(p[1] + T) + p[2] * log(p[3] + T);
    return 1 / (1 + exp(l));
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

const seg__clv_spec seg__clv_pnbd = {
    "pareto_nbd", 4, {"r", "alpha", "s", "beta"}, 3, ll_pnbd, p_alive_pnbd,
    expected_pnbd, expected_unconditional_pnbd, NULL};
