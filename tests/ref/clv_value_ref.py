#!/usr/bin/python3
"""Reference values for test_value_factorisation in tests/test_clv_numerics.c:
the discounted 12-month value per unit of spend of a few BG/NBD and MBG/NBD
histories, and the factorisation E[X(t) | x, t_x, T] = P(alive | x, t_x, T)
g(x, T, t), computed with mpmath from the closed forms of Fader, Hardie and
Lee (2005, eq. 10) and Batislam et al. (2007), never with libsegment.

Run: /usr/bin/python3 tests/ref/clv_value_ref.py   (mpmath 1.2.1)
"""
import mpmath as mp

mp.mp.dps = 40
BG = (0.243, 4.414, 0.793, 2.426)
MBG = (0.525, 6.183, 0.891, 1.614)
MONTH = mp.mpf("365.2425") / 84  # a month in weeks
RATE = mp.mpf("0.01")
HISTORIES = [(2, 30.43, 38.86), (7, 35.0, 38.86), (0, 0, 38.86),
             (25, 9.0, 77.0)]


def mpf(v):
    return v if isinstance(v, mp.mpf) else mp.mpf(repr(v))


def p_alive(par, x, tx, T, mod):
    r, al, a, b = (mpf(v) for v in par)
    x, tx, T = mpf(x), mpf(tx), mpf(T)
    if x == 0 and not mod:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x - 1 + (1 if mod else 0)) *
                ((al + T) / (al + tx)) ** (r + x))


def expected(par, t, x, tx, T, mod):
    """E[X(T, T + t) | x, t_x, T]: eq. (10), b + 1 for MBG/NBD"""
    r, al, a, b = (mpf(v) for v in par)
    x, T, t = mpf(x), mpf(T), mp.mpf(t)
    if t == 0:
        return mp.mpf(0)
    bb = b + x + (1 if mod else 0)
    c = a + bb - 1
    g = c / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) *
                       mp.hyp2f1(r + x, bb, c, t / (al + T + t)))
    return p_alive(par, x, tx, T, mod) * g


def value(par, x, tx, T, mod):
    v, prev = 0, 0
    for i in range(1, 13):
        e = expected(par, i * MONTH, x, tx, T, mod)
        v += (e - prev) / (1 + RATE) ** i
        prev = e
    return v


for name, par, mod in (("bgnbd", BG, False), ("mbgnbd", MBG, True)):
    for h in HISTORIES:
        x, tx, T = h
        # the factor of P(alive) does not depend on t_x
        g1 = expected(par, 52, x, tx, T, mod) / p_alive(par, x, tx, T, mod)
        g2 = expected(par, 52, x, T, T, mod) / p_alive(par, x, T, T, mod)
        assert abs(g1 / g2 - 1) < mp.mpf(10) ** -30
        print("%s {%g, %g, %g}: value/spend %s, g(52) %s" % (
            name, x, tx, T, mp.nstr(value(par, x, tx, T, mod), 17),
            mp.nstr(g1, 17)))
