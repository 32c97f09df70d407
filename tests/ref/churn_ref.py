#!/usr/bin/python3
"""Reference values of the churn timing (tests/test_clv_timing.c), with
mpmath from the stories of the models, never with libsegment: posterior
integrals by quadrature, medians by root finding on those integrals.

For BG/NBD and MBG/NBD the posterior is integrated over p numerically and
over lambda in closed form from the Poisson story (the chance of no
dropout over t is E[e^(-lambda p t)], lambda integrated); for Pareto/NBD
the next purchase is integrated over its time u, with the density of a
first purchase at u while alive E[lambda e^(-lambda u)] E[e^(-mu u)];
for BG/BB the posterior is a double integral over p and theta.

Run: /usr/bin/python3 tests/ref/churn_ref.py   (mpmath 1.2.1)
"""
import os
import sys

import mpmath as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clv_ref import (BG, BGBB, MBG, PNBD, beta_quad, bg_pmf,  # noqa: E402
                     bg_weights, bgbb_pmf, mpf)

mp.mp.dps = 20
HISTORIES = [(0, 0, 0), (2, 30.43, 38.86), (10, 35, 38), (200, 37, 39),
             (5, 100, 1000), (0, 0, 50)]
HORIZON = 13


def bg_story(par, x, tx, T, mod):
    """P(alive) and, given alive now, the functions of the story"""
    r, al, a, b = mpf(*par)
    x, tx, T = mpf(x, tx, T)
    alive, dead, a, b = bg_weights(par, x, tx, T, mod)
    L = beta_quad(lambda p: alive(p) + dead(p), a, b)
    pa = beta_quad(alive, a, b) / L
    m = 1 if mod else 0

    def lam(extra):
        """E[lambda^x e^(-lambda (T + extra))] over Gamma(r, alpha)"""
        return (al**r / mp.gamma(r) * mp.gamma(r + x) /
                (al + T + extra)**(r + x))

    def alive_at(t):
        f = lambda p: (1 - p)**(x + m) * lam(p * t)
        return beta_quad(f, a, b) / L

    # given alive, the next purchase is the first Poisson event: its CDF
    # by quadrature over the posterior Gamma(r + x, alpha + T) of lambda
    R, A = r + x, al + T
    dens = lambda l: A**R * l**(R - 1) * mp.exp(-A * l) / mp.gamma(R)

    def cdf(t):
        return mp.quad(lambda l: dens(l) * -mp.expm1(-l * t),
                       [0, R / A, 10 * (R + 1) / A, mp.inf])
    return pa, alive_at, cdf


def solve(g):
    """the root of g, increasing in log t, bracketed by doubling, then by
    the Illinois method"""
    lo, hi = mp.mpf(-1), mp.mpf(1)
    while g(lo) > 0:
        lo -= 2
    while g(hi) < 0:
        hi += 2
    return mp.exp(mp.findroot(g, (lo, hi), solver="illinois", tol=1e-18))


def times(pa, q, cdf_alive):
    """next_median, next_half (None when it does not exist) from the CDF
    of the next purchase given alive (which rises to q)"""
    med = solve(lambda lt: cdf_alive(mp.exp(lt)) / q - 0.5)
    half = None
    if pa * q > 0.5:
        half = solve(lambda lt: pa * cdf_alive(mp.exp(lt)) - 0.5)
    return med, half


def bg_row(par, h, mod):
    x, tx, T = h
    pa, alive_at, cdf = bg_story(par, x, tx, T, mod)
    t = HORIZON
    med, half = times(pa, 1, cdf)
    r = mpf(par[0])[0] + x
    A = mpf(par[1])[0] + T
    # given lambda the wait is exponential, of mean 1 / lambda
    dens = lambda l: A**r * l**(r - 1) * mp.exp(-A * l) / mp.gamma(r)
    mean = (mp.quad(lambda l: dens(l) / l,
                    [0, r / A, 10 * (r + 1) / A, mp.inf]) if r > 1 else None)
    return [alive_at(t), bg_pmf(par, t, 0, x, tx, T, mod), 1 - pa, med,
            half, mean]


def pnbd_p_alive(par, x, tx, T):
    """Pareto/NBD P(alive): the dead part's integral over the time of
    death in (t_x, T) on 20 pieces, which its steep fall for x in the
    hundreds needs"""
    r, al, s, be = mpf(*par)
    x, tx, T = mpf(x, tx, T)
    head = mp.gamma(r + x) * al**r / mp.gamma(r) * be**s
    alive = head / ((al + T)**(r + x) * (be + T)**s)
    dead = (head * s * mp.quad(lambda u: (al + u)**(-(r + x)) *
                               (be + u)**(-(s + 1)), mp.linspace(tx, T, 20))
            if T > tx else 0)
    return alive / (alive + dead)


def pnbd_none(par, t, x, tx, T):
    """P(no purchase in (T, T+t]): dead; or alive, no purchase while
    alive through t, or dead at u < t without one"""
    r, al, s, be = mpf(*par)
    pa = pnbd_p_alive(par, x, tx, T)
    R, A, B = r + x, al + T, be + T
    none = lambda u: (A / (A + u))**R
    stay = (B / (B + t))**s * none(t)
    leave = mp.quad(lambda u: s * B**s / (B + u)**(s + 1) * none(u),
                    mp.linspace(0, t, 5))
    return 1 - pa + pa * (stay + leave)


def pnbd_row(par, h):
    x, tx, T = h
    r, al, s, be = mpf(*par)
    pa = pnbd_p_alive(par, x, tx, T)
    R, A, B = r + x, al + T, be + T
    f = lambda u: R / A * (A / (A + u))**(R + 1) * (B / (B + u))**s
    # over v = log u: the tail of u f(u) falls only like u^-(R+s)
    pts = [-mp.inf, 0, mp.log(A), mp.log(B), 10, 50, 200, mp.inf]
    cdf = lambda t: mp.quad(f, [0, t])
    q = mp.quad(lambda v: mp.exp(v) * f(mp.exp(v)), pts)
    mean = (mp.quad(lambda v: mp.exp(2 * v) * f(mp.exp(v)), pts) / q
            if R + s > 1 else None)
    med, half = times(pa, q, cdf)
    t = HORIZON
    mu = lambda v: B**s * v**(s - 1) * mp.exp(-B * v) / mp.gamma(s)
    alive_at = pa * mp.quad(lambda v: mu(v) * mp.exp(-v * t),
                            [0, s / B, 10 * (s + 1) / B, mp.inf])
    return [alive_at, pnbd_none(par, t, x, tx, T), 1 - pa * q, med, half,
            mean]


def bgbb_row(par, h, t):
    """P(alive at opportunity n + t) by a double integral over p and
    theta of the story: transactions at the opportunities while alive,
    a dropout with theta before each"""
    x, tx, n = [int(v) for v in h]
    al, be, ga, de = mpf(*par)

    def lik(p, th, upto):
        """likelihood of the history, and of it with the customer alive
        through opportunity upto"""
        alive = p**x * (1 - p)**(n - x) * (1 - th)**n
        dead = sum(p**x * (1 - p)**(tx - x + i) * th * (1 - th)**(tx + i)
                   for i in range(n - tx))
        return alive + dead, p**x * (1 - p)**(n - x) * (1 - th)**upto

    def both(j):
        f = lambda p, th: (lik(p, th, n + t)[j] *
                           p**(al - 1) * (1 - p)**(be - 1) *
                           th**(ga - 1) * (1 - th)**(de - 1))
        return mp.quad(f, [0, 0.5, 1], [0, 0.5, 1])
    return [both(1) / both(0), bgbb_pmf(par, t, 0, x, tx, n)]


def show(name, v):
    print("    {%s}," % ", ".join("NAN" if e is None else mp.nstr(e, 17)
                                 for e in v), "/*", name, "*/")


if __name__ == "__main__":
    print("/* Generated by tests/ref/churn_ref.py (mpmath); do not edit: run\n"
          " * /usr/bin/python3 tests/ref/churn_ref.py > tests/clv_timing_ref.h"
          " */")
    print("/* bgnbd, mbgnbd, pareto_nbd: per history (x, t_x, T) at "
          "t = %d: p_alive_at, p_none, p_never, next_median, next_half, "
          "next_mean */" % HORIZON)
    for kind, fn in (("bgnbd", lambda h: bg_row(BG, h, False)),
                     ("mbgnbd", lambda h: bg_row(MBG, h, True)),
                     ("pareto_nbd", lambda h: pnbd_row(PNBD, h))):
        print("static const double ref_%s[][6] = {" % kind)
        for h in HISTORIES:
            show(str(h), fn(h))
        print("};")
    print("/* bgbb: (x, t_x, n, t): p_alive_at, p_none */")
    print("static const double ref_bgbb[][6] = {")
    for h, t in (((0, 0, 0), 3), ((2, 3, 6), 1), ((2, 3, 6), 4),
                 ((4, 5, 6), 5), ((1, 1, 10), 3)):
        show(str(h), list(h) + [t] + bgbb_row(BGBB, h, t))
    print("};")
