#!/usr/bin/python3
"""Reference values for tests/test_clv_dyncov.c, on CLVTools' apparel data
(tests/data/apparel), never with libsegment: the log-likelihood of single
customers under Pareto/NBD with time-varying covariates (Bachmann, Meierer
and Naef 2021), from its definition.

Given lambda and mu, a customer who comes alive at the first purchase buys
at lambda exp(gt'z(t)) and leaves at mu exp(gl'z(t)), z(t) the covariates of
the week (Sunday to Saturday, the covariate table's Cov.Date) holding t. The
likelihood of the repeat purchases at t_1..t_x and of no purchase after t_x
up to T is

  prod_j lambda exp(gt'z(t_j)) [exp(-lambda B(T) - mu D(T))
                 + int_{t_x}^T mu exp(gl'z(tau)) exp(-lambda B(tau) - mu D(tau)) dtau]

with B, D the integrated multipliers; for fixed (lambda, mu) the integral
over tau is a sum of exponentials over the weeks, exact. That function is
integrated numerically against the gamma densities of lambda and mu with
mpmath: a product Gauss-Legendre rule of 192 x 192 nodes on log lambda and
log mu at 25 digits (the rule of 384 x 384 nodes agrees to 1e-12; run
with --check).

Run: /usr/bin/python3 tests/ref/clv_dyncov_ref.py   (pandas, mpmath)
"""
import datetime as dt
import os
import sys

import mpmath as mp
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data', 'apparel')
END = dt.date(2006, 12, 31)
NAMES = ['High.Season', 'Gender', 'Channel']
# the fixed parameters of the test (PD in test_clv_dyncov.c)
PAR = dict(r=2.16, alpha=124.0, s=1.26, beta=85.0,
           gt=[0.72, 0.26, 0.62], gl=[-0.8, -0.54, 0.54])


def customer(cid):
    tx = pd.read_csv(os.path.join(DATA, 'apparel_transactions.csv'))
    days = sorted({dt.date.fromisoformat(d) for d in tx[tx.Id == cid].Date})
    days = [d for d in days if d <= END]
    cov = pd.read_csv(os.path.join(DATA, 'apparel_dynamic_cov.csv'))
    cov = cov[cov.Id == cid]
    weeks = {dt.date.fromisoformat(d): [float(v) for v in row]
             for d, row in zip(cov['Cov.Date'], cov[NAMES].values)}
    return days, weeks


def pieces(days, weeks, gt, gl):
    """(start, length, et, el) in weeks from the first purchase, to T"""
    d0 = days[0]
    T = mp.mpf((END - d0).days) / 7
    out = []
    for start in sorted(weeks):
        a = max(start, d0)
        b = min(start + dt.timedelta(days=7), END)
        if b <= a:
            continue
        z = weeks[start]
        et = mp.exp(sum(mp.mpf(g) * v for g, v in zip(gt, z)))
        el = mp.exp(sum(mp.mpf(g) * v for g, v in zip(gl, z)))
        out.append((mp.mpf((a - d0).days) / 7, mp.mpf((b - a).days) / 7,
                    et, el))
    return T, out


def loglik(cid, p):
    days, weeks = customer(cid)
    d0 = days[0]
    x = len(days) - 1
    tx = mp.mpf((days[-1] - d0).days) / 7
    T, ps = pieces(days, weeks, p['gt'], p['gl'])
    # the purchases' multipliers
    lmult = mp.mpf(0)
    for d in days[1:]:
        start = max(w for w in weeks if w <= d)
        lmult += sum(mp.mpf(g) * v for g, v in zip(p['gt'], weeks[start]))
    # exposures at the piece starts
    B = D = mp.mpf(0)
    rows = []
    for (u0, h, et, el) in ps:
        rows.append((u0, h, et, el, B, D))
        B += et * h
        D += el * h
    BT, DT = B, D
    # the pieces after t_x, cut at t_x
    tail = []
    for (u0, h, et, el, B0, D0) in rows:
        if u0 + h <= tx:
            continue
        a = max(u0, tx)
        tail.append((u0 + h - a, et, el, B0 + et * (a - u0), D0 + el * (a - u0)))
    r, al, s, be = (mp.mpf(p[k]) for k in ('r', 'alpha', 's', 'beta'))

    def given(lam, mu):
        v = mp.exp(-lam * BT - mu * DT)
        for (h, et, el, Ba, Da) in tail:
            k = lam * et + mu * el
            v += mu * el * mp.exp(-lam * Ba - mu * Da) * -mp.expm1(-k * h) / k
        return v

    lg = lambda v, a, b: a * mp.log(b) - mp.loggamma(a) + (a - 1) * mp.log(v) - b * v

    def f(u, w):
        lam, mu = mp.exp(u), mp.exp(w)
        return mp.exp(lg(lam, r, al) + lg(mu, s, be) + x * u + u + w) * \
            given(lam, mu)

    # Gauss-Legendre in log lambda and log mu over ranges centred on the
    # rates the history suggests, wide enough that the densities outside
    # are below 1e-15 of the whole
    cu = mp.log((r + x) / (al + BT))
    cw = mp.log(s / be)
    val = product_rule(f, (cu - 14, cu + 6), (cw - 32, cw + 5), DEGREE)
    return lmult + mp.log(val), x, tx, T


DEGREE = 7


def product_rule(f, ru, rw, degree):
    nodes = mp.calculus.quadrature.GaussLegendre(mp.mp).calc_nodes(
        degree, mp.mp.prec)
    def scaled(a, b):
        h = (b - a) / 2
        return [(a + h * (t + 1), h * w) for t, w in nodes]
    nu, nw = scaled(*ru), scaled(*rw)
    return mp.fsum(wu * ww * f(u, w) for u, wu in nu for w, ww in nw)


if __name__ == '__main__':
    mp.mp.dps = 25
    args = sys.argv[1:]
    if '--check' in args:
        args.remove('--check')
        DEGREE = 8
    ids = [int(a) for a in args] or [1, 2, 31, 68, 100]
    for cid in ids:
        ll, x, tx, T = loglik(cid, PAR)
        print('customer %d: x=%d t_x=%s T=%s loglik=%s' %
              (cid, x, mp.nstr(tx, 10), mp.nstr(T, 10), mp.nstr(ll, 17)))
        sys.stdout.flush()
