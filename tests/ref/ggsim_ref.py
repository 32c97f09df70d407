#!/usr/bin/python3
"""Reference values for tests/test_ggsim.c, computed from the definitions
of the models with mpmath (quadrature of the lifetime density) and scipy
(the chi-square tail), never with libsegment.

Run: /usr/bin/python3 tests/ref/ggsim_ref.py
"""
import mpmath as mp
from scipy import stats

mp.mp.dps = 30

# GGompertz/NBD (Bemmaor and Glady 2012): Poisson purchases at
# lambda ~ Gamma(r, alpha) while alive; lifetime hazard eta b e^(b t) with
# eta ~ Gamma(s, beta), so S(t) = (beta / (beta + e^(bt) - 1))^s.
GG = [mp.mpf(v) for v in ("0.7", "5", "0.05", "0.5", "2")]


def surv(p, t):
    r, al, b, s, be = p
    return (be / (be + mp.exp(b * t) - 1)) ** s


def dens(p, t):
    r, al, b, s, be = p
    return s * b * mp.exp(b * t) * be ** s / (be + mp.exp(b * t) - 1) ** (s + 1)


def lam_part(p, x, t):
    """integral over Gamma(r, alpha) of lambda^x e^(-lambda t)"""
    r, al = p[0], p[1]
    return mp.gamma(r + x) / mp.gamma(r) * al ** r / (al + t) ** (r + x)


def loglik(p, x, tx, T):
    """alive through T, or gone at tau in (t_x, T): the purchase part
    integrated over lambda in closed form, over tau by quadrature"""
    alive = lam_part(p, x, T) * surv(p, T)
    gone = mp.quad(lambda tau: lam_part(p, x, tau) * dens(p, tau), [tx, T])
    return mp.log(alive + gone), alive / (alive + gone)


def expected_new(p, t):
    """E X(t) of a new customer: lambda times the expected time alive"""
    r, al = p[0], p[1]
    return r / al * mp.quad(lambda u: surv(p, u), [0, t])


def p_zero_new(p, t):
    """P(X(t) = 0) of a new customer: no purchase while alive"""
    r, al = p[0], p[1]
    no = lambda u: (al / (al + u)) ** r
    return surv(p, t) * no(t) + mp.quad(lambda u: no(u) * dens(p, u), [0, t])


print("/* GGompertz/NBD r=0.7 alpha=5 b=0.05 s=0.5 beta=2:")
print("   x, t_x, T, log-likelihood, P(alive) */")
for x, tx, T in [(0, 0, 52), (1, 10, 52), (4, 30.5, 60), (12, 80, 104),
                 (3, 52, 52)]:
    ll, pa = loglik(GG, x, tx, T)
    print("{%d, %s, %s, %s, %s}," % (x, tx, T, mp.nstr(ll, 17),
                                      mp.nstr(pa, 17)))
print("/* E X(t) and P(X(t) = 0) of a new customer, t = 10, 52, 104 */")
for t in (10, 52, 104):
    print("{%d, %s, %s}," % (t, mp.nstr(expected_new(GG, t), 17),
                             mp.nstr(p_zero_new(GG, t), 17)))
print("/* chi-square upper tail (scipy.stats.chi2.sf): x, df, P */")
for x, df in [(0.5, 1), (3.841458820694124, 1), (10, 1), (40, 1), (1, 2),
              (7.5, 3), (0.1, 4), (30, 4), (120, 10), (2, 0.5), (900, 5)]:
    print("{%s, %s, %r}," % (x, df, float(stats.chi2.sf(x, df))))
