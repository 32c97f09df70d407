#!/usr/bin/env python3
"""Models with static covariates through the command line, on CLVTools'
apparel data (weeks, estimation to 2006-12-31), against computations of
this file's own:

- the prediction intervals of BG/NBD with Gender and Channel on the
  purchase process: the histories from the raw transactions with pandas,
  the log-likelihood written from Fader, Hardie and Lee (2005, eq. 6)
  with alpha_i = alpha exp(-gamma'z), maximised here with scipy, the
  covariance from this file's own finite-difference Hessian over the base
  parameters and the effects, and a parametric bootstrap with numpy's
  generator;
- the holdout report of Pareto/NBD with covariates on both processes: the
  actual holdout purchases counted with pandas from the raw file, and the
  expected ones from the conditional expectation of Pareto/NBD
  (Schmittlein, Morrison and Colombo 1987; Fader and Hardie's note 2005)
  at each customer's alpha_i and beta_i, P(alive) by double integration
  over (lambda, mu) with scipy, not by the closed form.

Skipped (exit 77) when no Python here has numpy, scipy and pandas."""
import io
import os
import subprocess
import sys


def reexec():
    for cand in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(cand):
            continue
        p = subprocess.run([cand, "-c", "import numpy, scipy, pandas"],
                           capture_output=True)
        if p.returncode == 0:
            if cand != sys.executable:
                os.execv(cand, [cand] + sys.argv)
            return
    print("no Python with numpy, scipy and pandas: skipped")
    sys.exit(77)


reexec()

import unittest  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import integrate, optimize, special  # noqa: E402

CLI, DATA = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
APP = os.path.join(DATA, "apparel")
TRANS = os.path.join(APP, "apparel_transactions.csv")
COV = os.path.join(APP, "apparel_static_cov.csv")
ARGS = [TRANS, "--map", "amount=Price", "--attributes", COV,
        "--time-unit", "week", "--as-of", "2006-12-31"]
END = pd.Timestamp("2006-12-31")


def run(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return p.stdout


def run_csv(*args):
    return pd.read_csv(io.StringIO(run(*args)), dtype={"customer_id": str},
                       float_precision="round_trip")


def fitted(*args):
    """The results of `segment fit` as a dict."""
    out = {}
    for line in run("fit", *args).splitlines():
        name, value = line.split()
        out[name] = float(value)
    return out


def histories():
    """(x, t_x, T) in weeks up to END, one purchase a day, and the
    covariates, by customer, from the raw files."""
    tx = pd.read_csv(TRANS, parse_dates=["Date"])
    cal = tx[tx.Date <= END].drop_duplicates(["Id", "Date"])
    g = cal.groupby("Id").Date
    first, last, n = g.min(), g.max(), g.count()
    d = pd.DataFrame({"x": n - 1, "t_x": (last - first).dt.days / 7,
                      "T": (END - first).dt.days / 7})
    cov = pd.read_csv(COV).set_index("Id")
    d = d.join(cov)
    hold = tx[tx.Date > END].drop_duplicates(["Id", "Date"])
    d["holdout"] = hold.groupby("Id").size().reindex(d.index).fillna(0)
    d["holdout_weeks"] = (tx.Date.max() - END).days / 7
    d.index = d.index.astype(str)
    return d


# ---- BG/NBD with covariates on the purchase process ----

def bg_loglik(theta, x, tx, T, Z):
    r, al, a, b = np.exp(theta[:4])
    ali = al * np.exp(-Z @ theta[4:])
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(ali)
    A2 = (special.gammaln(a + b) + special.gammaln(b + x) -
          special.gammaln(b) - special.gammaln(a + b + x))
    A3 = -(r + x) * np.log(ali + T)
    with np.errstate(divide="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(ali + tx), -np.inf)
    return np.sum(A1 + A2 + np.logaddexp(A3, A4))


def bg_p_alive(r, al, a, b, x, tx, T):
    return 1 / (1 + (x > 0) * a / np.maximum(b + x - 1, 1e-300) *
                ((al + T) / (al + tx)) ** (r + x))


def bg_expected(r, al, a, b, t, x, tx, T):
    z = t / (al + T + t)
    f = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    e = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x)
                                      * f)
    return e * bg_p_alive(r, al, a, b, x, tx, T)


def hessian(f, th, h=1e-4):
    k = len(th)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            def at(di, dj):
                t = np.array(th, dtype=float)
                t[i] += di
                t[j] += dj
                return f(t)
            H[i, j] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
    return H


class Intervals(unittest.TestCase):
    SET = ["--model", "bgnbd", "--set", "trans_covariates=Gender,Channel"]

    @classmethod
    def setUpClass(cls):
        cls.d = histories()
        cls.scored = run_csv("score", *ARGS, *cls.SET, "--set",
                             "interval=0.9", "--set", "draws=4000",
                             "--set", "seed=3").set_index("customer_id")
        est = fitted(*ARGS, *cls.SET)
        start = np.array([np.log(est[k]) for k in ("r", "alpha", "a", "b")] +
                         [est["trans.Gender"], est["trans.Channel"]])
        d = cls.d
        cls.Z = d[["Gender", "Channel"]].to_numpy(float)
        args = (d.x.to_numpy(float), d.t_x.to_numpy(float),
                d["T"].to_numpy(float), cls.Z)
        res = optimize.minimize(lambda t: -bg_loglik(t, *args), start,
                                method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-11,
                                         "maxiter": 40000, "maxfev": 40000})
        cls.theta = res.x
        cls.est = start
        cls.cov = np.linalg.inv(-hessian(lambda t: bg_loglik(t, *args), res.x))

    def test_histories_and_fit(self):
        s = self.scored.loc[self.d.index]
        for a, b in (("frequency", "x"), ("t_x", "t_x"), ("T", "T")):
            np.testing.assert_allclose(s[a].to_numpy(float),
                                       self.d[b].to_numpy(float), rtol=1e-12)
        np.testing.assert_allclose(self.est, self.theta, atol=2e-4)

    def test_one_customer_each_channel(self):
        rng = np.random.default_rng(20261201)
        th = rng.multivariate_normal(self.theta, self.cov, 40000)
        r, al, a, b = (np.exp(th[:, i]) for i in range(4))
        d = self.d
        picks = []
        for (g, c) in ((0, 0), (1, 0), (0, 1), (1, 1)):
            sub = d[(d.Gender == g) & (d.Channel == c) & (d.x >= 2)]
            picks.append(sub.index[0])
        picks.append(d[d.x == 0].index[0])
        for cid in picks:
            row, got = d.loc[cid], self.scored.loc[cid]
            ali = al * np.exp(-(th[:, 4] * row.Gender + th[:, 5] * row.Channel))
            x, tx, T = row.x, row.t_x, row["T"]
            for what, vals in (
                    ("p_alive", bg_p_alive(r, ali, a, b, x, tx, T)),
                    ("expected", bg_expected(r, ali, a, b, 52, x, tx, T))):
                lo, hi = np.quantile(vals, [0.05, 0.95])
                width = max(hi - lo, 1e-12)
                # 4000 draws: a quantile's Monte Carlo error is about 1% of
                # the width; the two Hessians agree to about 0.2%
                for side, want in (("lo", lo), ("hi", hi)):
                    self.assertLess(abs(got[f"bgnbd.{what}_{side}"] - want),
                                    0.06 * width + 1e-12, (cid, what, side))

    def test_same_across_threads(self):
        outs = [run("score", *ARGS, *self.SET, "--set", "interval=0.8",
                    "--set", "draws=300", "--set", f"threads={t}")
                for t in (1, 2)]
        self.assertEqual(outs[0], outs[1])


# ---- Pareto/NBD: the holdout report with covariates ----

def pnbd_alive_and_dead(r, al, s, be, x, tx, T):
    """The likelihood of (x, t_x, T) split into alive at T and dropped out
    in (t_x, T], the dropout time integrated numerically."""
    head = np.exp(special.gammaln(r + x) - special.gammaln(r) + r * np.log(al))
    alive = head / (al + T) ** (r + x) * (be / (be + T)) ** s
    dead = integrate.quad(lambda u: head / (al + u) ** (r + x) *
                          s * be ** s / (be + u) ** (s + 1), tx, T,
                          epsabs=0, epsrel=1e-12, limit=200)[0]
    return alive, dead


def pnbd_expected(r, al, s, be, t, x, tx, T):
    alive, dead = pnbd_alive_and_dead(r, al, s, be, x, tx, T)
    pa = alive / (alive + dead)
    return pa * (r + x) * (be + T) / ((al + T) * (s - 1)) * \
        (1 - ((be + T) / (be + T + t)) ** (s - 1))


HOLD = ["--time-unit", "week", "--holdout-from", "2007-01-01"]
PNBD = ["--model", "pareto_nbd", "--set", "trans_covariates=Gender,Channel",
        "--set", "life_covariates=Gender,Channel"]


class Holdout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = histories()
        src = [TRANS, "--map", "amount=Price", "--attributes", COV, *HOLD]
        cls.got = run_csv("holdout", *src, *PNBD)
        cls.scored = run_csv("score", *src, *PNBD).set_index("customer_id")
        p = fitted(*src, *PNBD)
        d = cls.d
        Z = d[["Gender", "Channel"]].to_numpy(float)
        gt = np.array([p["trans.Gender"], p["trans.Channel"]])
        gl = np.array([p["life.Gender"], p["life.Channel"]])
        cls.p = p
        cls.al = p["alpha"] * np.exp(-Z @ gt)
        cls.be = p["beta"] * np.exp(-Z @ gl)

    def expected(self, i, t):
        row = self.d.iloc[i]
        return pnbd_expected(self.p["r"], self.al[i], self.p["s"],
                             self.be[i], t, row.x, row.t_x, row["T"])

    def test_actual_and_predicted(self):
        d, got = self.d, self.got.set_index("frequency")
        t = d.holdout_weeks.iloc[0]
        s = self.scored.loc[d.index]
        np.testing.assert_array_equal(s.holdout_orders.to_numpy(float),
                                      d.holdout.to_numpy(float))
        self.assertAlmostEqual(s.holdout_length.iloc[0], t, 12)
        e = np.array([self.expected(i, t) for i in range(len(d))])
        bucket = np.minimum(d.x.to_numpy(), 7)
        for b in range(8):
            lab = "7+" if b == 7 else str(b)
            sel = bucket == b
            self.assertEqual(got.loc[lab, "customers"], sel.sum())
            self.assertAlmostEqual(got.loc[lab, "actual"],
                                   d.holdout[sel].mean(), 12)
            self.assertAlmostEqual(got.loc[lab, "predicted"] /
                                   e[sel].mean(), 1, 8)
        self.assertAlmostEqual(got.loc["total", "predicted"] / e.mean(), 1, 8)
        self.assertAlmostEqual(got.loc["total", "actual"],
                               d.holdout.mean(), 12)

    def test_without_covariates_differs(self):
        src = [TRANS, "--map", "amount=Price", *HOLD]
        plain = run_csv("holdout", *src, "--model", "pareto_nbd")
        self.assertNotAlmostEqual(plain.predicted.iloc[0],
                                  self.got.predicted.iloc[0], 3)


if __name__ == "__main__":
    unittest.main()
