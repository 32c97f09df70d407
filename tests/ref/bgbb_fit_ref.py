#!/usr/bin/python3
"""Reference values of the BG/BB fit for tests/test_clv.c, computed with
mpmath and scipy from the model's definition, never with libsegment.

The donations data (tests/data/donations.csv, Fader, Hardie and Shang
2010): the maximum-likelihood estimate, its log-likelihood and the
standard errors from the inverse of the Hessian of the negative
log-likelihood, the Hessian by central differences of the log-likelihood
in 30-digit arithmetic. A few rows' likelihoods also come from the double
integral over the purchase and dropout probabilities, which checks the
Beta-function form the rest uses.

Run: /usr/bin/python3 tests/ref/bgbb_fit_ref.py   (mpmath 1.2.1, scipy)
"""
import os

import mpmath as mp
import numpy as np
from scipy.optimize import minimize

mp.mp.dps = 30
HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    rows = []
    with open(os.path.join(HERE, "..", "data", "donations.csv")) as f:
        next(f)
        for line in f:
            x, tx, n, w = (int(v) for v in line.split(","))
            rows.append((x, tx, n, w))
    return rows


def row_ll(par, x, tx, n):
    """log of Fader, Hardie and Shang (2010), eq. 5"""
    al, be, ga, de = par
    nab, ngd = mp.beta(al, be), mp.beta(ga, de)
    L = mp.beta(al + x, be + n - x) / nab * mp.beta(ga, de + n) / ngd
    for i in range(n - tx):
        L += (mp.beta(al + x, be + tx - x + i) / nab *
              mp.beta(ga + 1, de + tx + i) / ngd)
    return mp.log(L)


def row_ll_integral(par, x, tx, n):
    """the same as a double integral over p ~ Beta(al, be) and theta ~
    Beta(ga, de) of the probability of the history"""
    al, be, ga, de = par

    def f(p, th):
        live = p**x * (1 - p)**(n - x) * (1 - th)**n
        dead = sum(p**x * (1 - p)**(tx - x + i) * th * (1 - th)**(tx + i)
                   for i in range(n - tx))
        return ((live + dead) * p**(al - 1) * (1 - p)**(be - 1) *
                th**(ga - 1) * (1 - th)**(de - 1))

    v = mp.quad(f, [0, 0.5, 1], [0, 0.5, 1])
    return mp.log(v / (mp.beta(al, be) * mp.beta(ga, de)))


def total(par, rows):
    return mp.fsum(w * row_ll(par, x, tx, n) for x, tx, n, w in rows)


def main():
    rows = load()
    # the optimum: scipy in double precision from the published values,
    # then Newton in 30 digits on the central-difference derivatives
    f = lambda t: -float(total([mp.e**mp.mpf(v) for v in t], rows))
    res = minimize(f, np.log([1.2, 0.75, 0.66, 2.8]), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000})
    p = [mp.mpf(float(v)) for v in np.exp(res.x)]
    h = mp.mpf("1e-8")
    for _ in range(6):
        g = mp.matrix(4, 1)
        H = mp.matrix(4, 4)
        for i in range(4):
            def fi(v, i=i):
                q = list(p)
                q[i] = v
                return total(q, rows)
            g[i] = mp.diff(fi, p[i], h=h)
        for i in range(4):
            for j in range(4):
                def fij(a, b, i=i, j=j):
                    q = list(p)
                    q[i] += a
                    q[j] += b
                    return total(q, rows)
                H[i, j] = (fij(h, h) - fij(h, -h) - fij(-h, h) +
                           fij(-h, -h)) / (4 * h * h)
        step = mp.lu_solve(H, g)
        p = [p[i] - step[i] for i in range(4)]
    C = mp.inverse(-H)
    print("optimum", " ".join(mp.nstr(v, 15) for v in p))
    print("loglik", mp.nstr(total(p, rows), 18))
    print("gradient", " ".join(mp.nstr(g[i], 3) for i in range(4)))
    print("se", " ".join(mp.nstr(mp.sqrt(C[i, i]), 12) for i in range(4)))
    pub = [mp.mpf(v) for v in ("1.204", "0.750", "0.657", "2.783")]
    for x, tx, n in ((0, 0, 6), (3, 4, 6), (6, 6, 6), (2, 5, 9)):
        mp.mp.dps = 20
        a, b = row_ll(pub, x, tx, n), row_ll_integral(pub, x, tx, n)
        mp.mp.dps = 30
        print("row %d,%d,%d beta-form %s integral %s" %
              (x, tx, n, mp.nstr(a, 15), mp.nstr(b, 15)))


if __name__ == "__main__":
    main()
