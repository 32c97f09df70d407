#!/usr/bin/python3
"""Reference values for test_month_curve_against_mpmath in
tests/test_internal.c: E[X(t) | alive at T] of the BG/NBD family at month
ends, the factor g(x, T, t) of the month curve, from the closed form of
Fader, Hardie and Lee (2005, eq. 10) with the posterior's parameters
(b + 1 for MBG/NBD) and mpmath's own hyp2f1, never with libsegment:
  g = (a+b'-1)/(a-1) [1 - (A/(A+t))^R 2F1(R, b'; a+b'-1; t/(A+t))],
  R = r + x, A = alpha + T, b' = b + x (+1).
The cases: large x (the longest Euler-transformed series, and the terms
whose powers of 1 - z cancel), a largest month with z near 0.94 (the
series every month shares its coefficients with), and a parameter set
where the series is summed without the Euler transform.

Run: /usr/bin/python3 tests/ref/clv_month_curve_ref.py   (mpmath 1.2.1)
"""
import mpmath as mp

mp.mp.dps = 40
BENCH = (0.91510588586836283, 23.455003143764333, 0.60225166138568376,
         3.9025908628952393)
MBG = (0.525, 6.183, 0.891, 1.614)
DIRECT = (0.5, 10.0, 6.0, 8.0)  # |(c-a)(c-b)| > |a b|: no Euler transform
CASES = [(BENCH, 0, 0, 1094), (BENCH, 0, 12, 100), (BENCH, 0, 150, 1094),
         (BENCH, 0, 381, 1094), (BENCH, 0, 900, 200), (BENCH, 0, 0, 0.5),
         (MBG, 1, 40, 400), (MBG, 1, 900, 1094), (DIRECT, 0, 0, 30),
         (DIRECT, 0, 2, 300)]
MONTHS = (1, 2, 6, 11, 12)
UPM = mp.mpf("365.2425") / 12  # days in a month


def mpf(v):
    return mp.mpf(repr(float(v)))


def g(par, mod, x, T, t):
    r, al, a, b = (mpf(v) for v in par)
    R, A, bb = r + x, al + mpf(T), b + x + mod
    c = a + bb - 1
    return c / (a - 1) * (1 - (A / (A + t)) ** R *
                          mp.hyp2f1(R, bb, c, t / (A + t)))


SETS = (BENCH, MBG, DIRECT)
for par, mod, x, T in CASES:
    # t as the library forms it: i times the month, rounded to a double
    vals = [g(par, mod, x, T, mpf(float(i * UPM))) for i in MONTHS]
    print("        {%d, %d, %d, %s, {%s}}," % (
        SETS.index(par), mod, x, repr(float(T)), ", ".join(mp.nstr(v, 17) for v in vals)))
