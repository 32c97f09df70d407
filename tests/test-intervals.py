#!/usr/bin/env python3
"""The prediction intervals and the diagnostics of BG/NBD through the
command line, against computations of this file's own: a parametric
bootstrap with numpy's generator and a covariance from this file's own
Hessian of the log-likelihood (Fader, Hardie and Lee 2005, eq. 6), the
period-transactions check from the pmf (eq. 8), the tracking expectation
from E[X(t)] (eq. 9) with scipy's 2F1, and the actual counts with pandas
from the raw CDNOW file. Skipped (exit 77) when no Python here has numpy,
scipy and pandas (/usr/bin/python3 does)."""
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
from scipy import optimize, special  # noqa: E402

CLI, SAMPLE = sys.argv[1], sys.argv[2]
SUMMARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                       "cdnow_customers_summary.csv")
del sys.argv[1:3]
ARGS = ["--no-header", "--map", "id=2", "--map", "time=3", "--map",
        "amount=5", "--as-of", "1998-06-30", "--holdout-from", "1997-10-01",
        "--time-unit", "week"]


def run(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return pd.read_csv(io.StringIO(p.stdout), dtype={"customer_id": str},
                       float_precision="round_trip")


# ---- BG/NBD, written from the paper ----

def loglik(theta, x, tx, T):
    r, al, a, b = np.exp(theta)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
    A2 = (special.gammaln(a + b) + special.gammaln(b + x) -
          special.gammaln(b) - special.gammaln(a + b + x))
    A3 = -(r + x) * np.log(al + T)
    with np.errstate(divide="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(al + tx), -np.inf)
    return np.sum(A1 + A2 + np.logaddexp(A3, A4))


def p_alive(p, x, tx, T):
    r, al, a, b = p
    v = 1 / (1 + (x > 0) * a / np.maximum(b + x - 1, 1e-300) *
             ((al + T) / (al + tx)) ** (r + x))
    return v


def expected(p, t, x, tx, T):
    r, al, a, b = p
    z = t / (al + T + t)
    f = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    e = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x)
                                      * f)
    return e * p_alive(p, x, tx, T)


def expected_new(p, t):
    r, al, a, b = p
    t = np.asarray(t, dtype=float)
    f = special.hyp2f1(r, b, a + b - 1, t / (al + t))
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * f)


def pmf_new(p, t, n):
    r, al, a, b = p
    lb = special.betaln
    nb = np.exp(special.gammaln(r + n) - special.gammaln(r) -
                special.gammaln(n + 1) + r * np.log(al / (al + t)) +
                n * np.log(t / (al + t)))
    v = np.exp(lb(a, b + n) - lb(a, b)) * nb
    if n > 0:
        tail = 1 - sum(np.exp(special.gammaln(r + j) - special.gammaln(r) -
                              special.gammaln(j + 1) +
                              r * np.log(al / (al + t)) +
                              j * np.log(t / (al + t))) for j in range(n))
        v = v + np.exp(lb(a + 1, b + n - 1) - lb(a, b)) * tail
    return v


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


# ---- the raw file with pandas ----

def purchase_days():
    raw = pd.read_csv(SAMPLE, sep=r"\s+", header=None, dtype={1: str, 2: str})
    raw["day"] = pd.to_datetime(raw[2], format="%Y%m%d")
    return raw.groupby(1)["day"].apply(lambda s: sorted(set(s)))


CAL_END = pd.Timestamp("1997-09-30")
END = pd.Timestamp("1998-06-30")


class Intervals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scored = run("score", SAMPLE, *ARGS, "--model", "bgnbd",
                         "--set", "interval=0.9", "--set", "draws=4000",
                         "--set", "seed=3")
        cls.ci = run("table", "ci", SAMPLE, *ARGS, "--model", "bgnbd",
                     "--set", "interval=0.9")
        d = cls.scored.dropna(subset=["frequency"])
        cls.x, cls.tx, cls.T = (d[c].to_numpy(float)
                                for c in ("frequency", "t_x", "T"))
        c_est = np.log(cls.ci["estimate"].to_numpy(float))
        res = optimize.minimize(lambda t: -loglik(t, cls.x, cls.tx, cls.T),
                                c_est, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-12,
                                         "maxiter": 20000})
        cls.theta = res.x
        cls.cov = np.linalg.inv(
            -hessian(lambda t: loglik(t, cls.x, cls.tx, cls.T), res.x))

    def test_fit_and_parameter_intervals(self):
        est = self.ci["estimate"].to_numpy(float)
        np.testing.assert_allclose(est, np.exp(self.theta), rtol=1e-4)
        se_log = np.sqrt(np.diag(self.cov))
        z = 1.6448536269514722
        np.testing.assert_allclose(self.ci["lo"], est * np.exp(-z * se_log),
                                   rtol=2e-3)
        np.testing.assert_allclose(self.ci["hi"], est * np.exp(z * se_log),
                                   rtol=2e-3)

    def test_prediction_intervals(self):
        rng = np.random.default_rng(20240601)
        draws = np.exp(rng.multivariate_normal(self.theta, self.cov, 40000))
        P = [draws[:, i] for i in range(4)]
        d = self.scored.dropna(subset=["frequency"])
        picks = [d[d.frequency == f].iloc[0] for f in (0, 1, 2, 5, 10)]
        picks.append(d.iloc[d.frequency.to_numpy().argmax()])
        for row in picks:
            x, tx, T = row.frequency, row.t_x, row["T"]
            for what, vals in (
                    ("p_alive", p_alive(P, x, tx, T)),
                    ("expected", expected(P, 52, x, tx, T))):
                lo, hi = np.quantile(vals, [0.05, 0.95])
                width = max(hi - lo, 1e-12)
                # 4000 draws: a quantile's Monte Carlo error is about 1% of
                # the width; the Hessians agree to about 0.2%
                self.assertLess(abs(row[f"bgnbd.{what}_lo"] - lo), 0.06 * width
                                + 1e-12, (what, x, tx, T))
                self.assertLess(abs(row[f"bgnbd.{what}_hi"] - hi), 0.06 * width
                                + 1e-12, (what, x, tx, T))


class Diagnostics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = run("table", "ci", SAMPLE, *ARGS, "--model", "bgnbd")
        cls.p = cls.ci["estimate"].to_numpy(float)
        days = purchase_days()
        cls.first = {c: d[0] for c, d in days.items() if d[0] <= CAL_END}
        cls.days = days

    def test_period_transactions(self):
        got = run("table", "period_transactions", SAMPLE, *ARGS, "--model",
                  "bgnbd")
        self.assertEqual(list(got["frequency"].astype(str)),
                         ["0", "1", "2", "3", "4", "5", "6", "7+"])
        act = np.zeros(8)
        Ts = []
        for c, f in self.first.items():
            x = sum(1 for d in self.days[c] if d <= CAL_END) - 1
            act[min(x, 7)] += 1
            Ts.append((CAL_END - f).days / 7)
        np.testing.assert_array_equal(got["actual"].to_numpy(float), act)
        Ts = np.array(Ts)
        exp = [np.sum(pmf_new(self.p, Ts, n)) for n in range(7)]
        exp.append(len(Ts) - sum(exp))
        np.testing.assert_allclose(got["expected"].to_numpy(float), exp,
                                   rtol=1e-7)

    def test_tracking(self):
        got = run("table", "tracking", SAMPLE, *ARGS, "--model", "bgnbd")
        day0 = min(self.first.values())
        firsts = np.array([(f - day0).days for f in self.first.values()])
        end = (END - day0).days
        rep = np.zeros(end + 1)
        for c in self.first:
            for d in self.days[c][1:]:
                if d <= END:
                    rep[(d - day0).days] += 1
        n = len(got)
        self.assertEqual(n, end // 7 + 1)
        for k in range(n):
            p0, p1 = 7 * k, min(7 * k + 6, end)
            row = got.iloc[k]
            self.assertEqual(row["start"],
                             (day0 + pd.Timedelta(days=p0)).strftime("%Y-%m-%d"))
            self.assertEqual(row["actual"], rep[p0:p1 + 1].sum())
            self.assertEqual(row["actual_cumulative"], rep[:p1 + 1].sum())
            self.assertEqual(row["holdout"],
                             int(day0 + pd.Timedelta(days=p0) > CAL_END))
            t = (p1 - firsts[firsts <= p1]) / 7
            self.assertAlmostEqual(row["expected_cumulative"] /
                                   np.sum(expected_new(self.p, t)), 1, 9)
        inc = got["expected"].to_numpy(float)
        np.testing.assert_allclose(np.cumsum(inc), got["expected_cumulative"],
                                   rtol=1e-9)

    def test_json_and_errors(self):
        p = subprocess.run([CLI, "table", "period_transactions", SAMPLE,
                            *ARGS, "--model", "bgnbd", "--format", "json"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        import json
        rows = json.loads(p.stdout)
        csv_rows = run("table", "period_transactions", SAMPLE, *ARGS,
                       "--model", "bgnbd")
        self.assertEqual([r["frequency"] for r in rows],
                         list(csv_rows["frequency"].astype(str)))
        self.assertEqual([r["expected"] for r in rows],
                         list(csv_rows["expected"]))
        p = subprocess.run([CLI, "table", "tracking", SUMMARY, "--summary",
                            "--model", "bgnbd", "--set", "t_x_column=recency"],
                           capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("needs the transactions", p.stderr)

    def test_weighted_rows_of_bgbb(self):
        data = os.path.join(os.path.dirname(SUMMARY), "donations.csv")
        got = run("table", "period_transactions", data, "--summary",
                  "--model", "bgbb", "--set", "weight_column=weights")
        d = pd.read_csv(data)
        want = d.groupby(d.frequency.clip(upper=7)).weights.sum()
        np.testing.assert_array_equal(got["actual"].to_numpy(float)[:7],
                                      want.to_numpy(float)[:7])
        self.assertAlmostEqual(got["expected"].sum(), d.weights.sum(), 6)
        pa = run("table", "matrix_palive", data, "--summary", "--model",
                 "bgbb", "--set", "weight_column=weights")
        self.assertTrue(((pa.frequency <= pa.recency) &
                         ((pa.frequency > 0) | (pa.recency == 0))).all())

    def test_matrices(self):
        pa = run("table", "matrix_palive", SAMPLE, *ARGS, "--model", "bgnbd")
        ex = run("table", "matrix_expected", SAMPLE, *ARGS, "--model",
                 "bgnbd")
        self.assertEqual(len(pa), len(ex))
        for _, row in pa.sample(25, random_state=1).iterrows():
            self.assertAlmostEqual(row["value"], p_alive(
                self.p, row.frequency, row.recency, row["T"]), 10)
        for _, row in ex.sample(25, random_state=2).iterrows():
            self.assertEqual(row["horizon"], 52)
            self.assertAlmostEqual(row["value"] / expected(
                self.p, 52, row.frequency, row.recency, row["T"]), 1, 9)


if __name__ == "__main__":
    unittest.main()
