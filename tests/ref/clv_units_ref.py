#!/usr/bin/python3
"""Reference value for tests/test_clv_units.c: the discrete 12-month CLV
of one customer with fixed BG/NBD and Gamma-Gamma parameters, a month
being a twelfth of 365.2425 days, from Fader, Hardie and Lee (2005)
eq. 10 (mpmath's hyp2f1) and the Gamma-Gamma posterior mean; never with
libsegment. The same customer in weeks and in days (alpha times 7) gives
the same value.

Run: /usr/bin/python3 tests/ref/clv_units_ref.py
"""
import mpmath as mp

from clv_ref import bg_conditional_hyp

mp.mp.dps = 30
R, ALPHA_W, A, B = "0.243", "4.414", "0.793", "2.426"
P, Q, G = mp.mpf("6.25"), mp.mpf("3.74"), mp.mpf("15.44")


def value(alpha, x, tx, T, m, month, d="0.01", months=12):
    par = (mp.mpf(R), mp.mpf(alpha), mp.mpf(A), mp.mpf(B))
    spend = P * (G + x * mp.mpf(m)) / (P * x + Q - 1)
    v, prev = mp.mpf(0), mp.mpf(0)
    for i in range(1, months + 1):
        e = bg_conditional_hyp(par, i * month, x, tx, T)
        v += spend * (e - prev) / (1 + mp.mpf(d))**i
        prev = e
    return v


if __name__ == "__main__":
    month_days = mp.mpf("365.2425") / 12
    w = value(ALPHA_W, 2, mp.mpf("30.43"), mp.mpf("38.86"), "22.35",
              month_days / 7)
    d = value(mp.mpf(ALPHA_W) * 7, 2, mp.mpf("30.43") * 7,
              mp.mpf("38.86") * 7, "22.35", month_days)
    print("weeks", mp.nstr(w, 17))
    print("days ", mp.nstr(d, 17))
    # the 0.1 default, a month of 4.345 weeks
    print("0.1  ", mp.nstr(value(ALPHA_W, 2, mp.mpf("30.43"),
                                 mp.mpf("38.86"), "22.35",
                                 mp.mpf("4.345")), 17))
    # the 0.1 default read as days: what --time-unit day gave
    print("0.1 d", mp.nstr(value(mp.mpf(ALPHA_W) * 7, 2, mp.mpf("30.43") * 7,
                                 mp.mpf("38.86") * 7, "22.35",
                                 mp.mpf("4.345")), 17))
