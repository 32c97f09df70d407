#!/usr/bin/python3
"""Reference values for the covariate fits in tests/test_clv_cov.c, on
CLVTools' apparel data (tests/data/apparel), never with libsegment:

- the customers' (x, t_x, T) in weeks from the transactions up to
  2006-12-31 (104 weeks after the first date), one purchase per day;
- Pareto/NBD and BG/NBD log-likelihoods with static covariates in
  CLVTools' form, written from the papers (Fader and Hardie 2005, note 008;
  Fader, Hardie and Lee 2005), the Pareto/NBD integral over the dropout
  time by 64-point Gauss-Legendre, and maximised with scipy (L-BFGS-B and
  then BFGS on the logs of the parameters and the effects), standard
  errors from a finite-difference Hessian of the log-likelihood;
- the likelihood of a few customers by direct integration over the
  heterogeneity (lambda, mu) or (lambda, p) with mpmath at the fitted
  parameters: the definition of the models, not their closed forms.

Run: /usr/bin/python3 tests/ref/clv_cov_ref.py   (numpy, scipy, pandas, mpmath)
"""
import os
import sys

import mpmath as mp
import numpy as np
import pandas as pd
from scipy import optimize, special

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data', 'apparel')


def cbs():
    tx = pd.read_csv(os.path.join(DATA, 'apparel_transactions.csv'),
                     parse_dates=['Date'])
    end = pd.Timestamp('2006-12-31')
    tx = tx[tx.Date <= end].drop_duplicates(['Id', 'Date'])
    g = tx.groupby('Id').Date
    first, last, n = g.min(), g.max(), g.count()
    d = pd.DataFrame({'x': n - 1, 't_x': (last - first).dt.days / 7,
                      'T': (end - first).dt.days / 7})
    cov = pd.read_csv(os.path.join(DATA, 'apparel_static_cov.csv'))
    return d.join(cov.set_index('Id'))


GL_X, GL_W = np.polynomial.legendre.leggauss(64)


def pnbd_ll(par, x, tx, T, Z):
    """par: log r, log alpha, log s, log beta, gamma_trans (k), gamma_life (k)"""
    k = Z.shape[1]
    r, al, s, be = np.exp(par[:4])
    gt, gl = par[4:4 + k], par[4 + k:4 + 2 * k]
    a = al * np.exp(-Z @ gt)
    b = be * np.exp(-Z @ gl)
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(a) + \
        s * np.log(b)
    alive = -(r + x) * np.log(a + T) - s * np.log(b + T)
    # s * integral over tau in (t_x, T) of (a+tau)^-(r+x) (b+tau)^-(s+1)
    h = (T - tx) / 2
    tau = tx[:, None] + h[:, None] * (GL_X[None, :] + 1)
    lf = -(r + x)[:, None] * np.log(a[:, None] + tau) - \
        (s + 1) * np.log(b[:, None] + tau)
    mx = lf.max(axis=1)
    integral = np.log(s) + mx + np.log(h * (np.exp(lf - mx[:, None]) @ GL_W))
    integral = np.where(T > tx, integral, -np.inf)
    return head + np.logaddexp(alive, integral)


def bgnbd_ll(par, x, tx, T, Z):
    """par: log r, log alpha, log a, log b, gamma_trans (k), gamma_life (k);
    a_i = a e^(gl z), b_i = b e^(gl z), alpha_i = alpha e^(-gt z)"""
    k = Z.shape[1]
    r, al, A, B = np.exp(par[:4])
    gt, gl = par[4:4 + k], par[4 + k:4 + 2 * k]
    al = al * np.exp(-Z @ gt)
    a = A * np.exp(Z @ gl)
    b = B * np.exp(Z @ gl)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
    A2 = special.gammaln(a + b) + special.gammaln(b + x) - \
        special.gammaln(b) - special.gammaln(a + b + x)
    A3 = -(r + x) * np.log(al + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) -
                  (r + x) * np.log(al + tx), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def fit(ll, d, k, start):
    x, tx, T = d.x.values.astype(float), d.t_x.values, d['T'].values
    Z = d[['Gender', 'Channel']].values.astype(float)[:, :k]

    def f(p):
        v = -ll(p, x, tx, T, Z).sum()
        return v if np.isfinite(v) else 1e300

    res = optimize.minimize(f, start, method='L-BFGS-B',
                            options={'maxiter': 20000, 'ftol': 1e-15,
                                     'gtol': 1e-10})
    res = optimize.minimize(f, res.x, method='BFGS',
                            options={'gtol': 1e-7, 'maxiter': 20000})
    # finite-difference Hessian of -ll in the unknowns
    n = len(res.x)
    H = np.zeros((n, n))
    h = 1e-4
    for i in range(n):
        for j in range(n):
            e_i = np.eye(n)[i] * h
            e_j = np.eye(n)[j] * h
            H[i, j] = (f(res.x + e_i + e_j) - f(res.x + e_i - e_j) -
                       f(res.x - e_i + e_j) + f(res.x - e_i - e_j)) / (4 * h * h)
    cov = np.linalg.inv(H)
    se = np.sqrt(np.diag(cov))
    nat = res.x.copy()
    nat[:4] = np.exp(res.x[:4])
    se_nat = se.copy()
    se_nat[:4] = nat[:4] * se[:4]
    # the gradient at the optimum by central differences, as a check
    g = np.array([(f(res.x + np.eye(n)[i] * 1e-6) -
                   f(res.x - np.eye(n)[i] * 1e-6)) / 2e-6 for i in range(n)])
    return nat, se_nat, -res.fun, np.abs(g).max()


def pnbd_direct(r, al, s, be, x, tx, T):
    """the Pareto/NBD likelihood of one customer: given lambda and mu,
    alive through T, or dropped out at tau in (t_x, T), integrated over
    lambda ~ Gamma(r, al) and mu ~ Gamma(s, be) by mpmath"""
    r, al, s, be, x, tx, T = [mp.mpf(repr(v)) for v in
                              (r, al, s, be, x, tx, T)]

    def given(lam, mu):
        return lam**x * mp.exp(-(lam + mu) * T) + \
            lam**x * mu / (lam + mu) * (mp.exp(-(lam + mu) * tx) -
                                        mp.exp(-(lam + mu) * T))

    def g(v, shape, rate):
        return rate**shape * v**(shape - 1) * mp.exp(-rate * v) / \
            mp.gamma(shape)

    # lambda and mu in units of their prior scales, split where the
    # integrands bend
    return mp.quad(lambda lam, mu: given(lam, mu) * g(lam, r, al) *
                   g(mu, s, be), [0, r / al, 10 * (r + x) / (al + tx + 1),
                                  mp.inf], [0, s / be, 1, mp.inf])


def bgnbd_direct(r, al, a, b, x, tx, T):
    """the BG/NBD likelihood of one customer given lambda and p, integrated
    over lambda ~ Gamma(r, al) and p ~ Beta(a, b) by mpmath"""
    r, al, a, b, x, tx, T = [mp.mpf(repr(v)) for v in
                             (r, al, a, b, x, tx, T)]

    def given(lam, p):
        v = (1 - p)**x * lam**x * mp.exp(-lam * T)
        if x > 0:
            v += p * (1 - p)**(x - 1) * lam**x * mp.exp(-lam * tx)
        return v

    def g(lam):
        return al**r * lam**(r - 1) * mp.exp(-al * lam) / mp.gamma(r)

    def bp(p):
        return p**(a - 1) * (1 - p)**(b - 1) / mp.beta(a, b)

    return mp.quad(lambda lam, p: given(lam, p) * g(lam) * bp(p),
                   [0, r / al, 10 * (r + x) / (al + tx + 1), mp.inf],
                   [0, mp.mpf(1) / 2, 1])


def main():
    mp.mp.dps = 20
    d = cbs()
    print('customers', len(d), 'repeat buyers', int((d.x > 0).sum()))
    k = 2
    runs = [('pnbd nocov', pnbd_ll, 0, [0, 4, 0, 4]),
            ('pnbd static Gender,Channel', pnbd_ll, 2,
             [0, 4, 0, 4, 0, 0, 0, 0]),
            ('bgnbd static Gender,Channel', bgnbd_ll, 2,
             [0, 4, 0, 1, 0, 0, 0, 0])]
    for name, ll, kk, start in runs:
        nat, se, llv, g = fit(ll, d, kk, np.array(start, float))
        print(name)
        print('  params', ' '.join('%.10g' % v for v in nat))
        print('  se    ', ' '.join('%.6g' % v for v in se))
        print('  loglik %.10f  max |gradient| %.2g' % (llv, g))
    # direct integration for a few customers at given parameters
    pn = (1.838966671, 92.962962, 0.5913041411, 49.51308271,
          0.2861354382, 0.6239299854, -0.6418679913, 0.7897588076)
    bg = (0.7, 40, 0.9, 2.3, 0.46, 0.57, -0.5, 0.3)
    for cid in (1, 2, 31, 68, 100):
        row = d.loc[cid]
        z = np.array([row.Gender, row.Channel], float)
        a = pn[1] * np.exp(-(pn[4] * z[0] + pn[5] * z[1]))
        b = pn[3] * np.exp(-(pn[6] * z[0] + pn[7] * z[1]))
        v = pnbd_direct(pn[0], a, pn[2], b, row.x, row.t_x, row['T'])
        closed = pnbd_ll(np.r_[np.log(pn[:4]), pn[4:]],
                         np.array([row.x], float), np.array([row.t_x]),
                         np.array([row['T']]), z[None, :])[0]
        print('pnbd customer %d (x=%d, t_x=%.10g, T=%.10g, z=%s): '
              'log L direct %s, closed form %.15g' %
              (cid, row.x, row.t_x, row['T'], z, mp.nstr(mp.log(v), 15),
               closed))
    for cid in (1, 2, 31, 68, 100):
        row = d.loc[cid]
        z = np.array([row.Gender, row.Channel], float)
        al = bg[1] * np.exp(-(bg[4] * z[0] + bg[5] * z[1]))
        f = np.exp(bg[6] * z[0] + bg[7] * z[1])
        v = bgnbd_direct(bg[0], al, bg[2] * f, bg[3] * f, row.x, row.t_x,
                         row['T'])
        closed = bgnbd_ll(np.r_[np.log(bg[:4]), bg[4:]],
                          np.array([row.x], float), np.array([row.t_x]),
                          np.array([row['T']]), z[None, :])[0]
        print('bgnbd customer %d: log L direct %s, closed form %.15g' %
              (cid, mp.nstr(mp.log(v), 15), closed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
