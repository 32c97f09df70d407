#!/usr/bin/env python3
"""segment simulate and segment compare as a user runs them: a simulated
file read back by the other commands, the same seed giving the same
bytes, and the comparison's criteria worked out here from the fits'
log-likelihoods (scipy's chi-square tail for the test)."""
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

CLI, DATA = sys.argv[1:3]
del sys.argv[1:3]
APPAREL = ["--map", "id=Id", "--map", "time=Date", "--map", "amount=Price",
           "--as-of", "2006-12-31", "--time-unit", "week"]
BG = ["--model", "bgnbd", "--set", "r=0.25", "--set", "alpha=4",
      "--set", "a=0.8", "--set", "b=2.5"]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


class Simulate(unittest.TestCase):
    def test_same_seed_same_file_read_back(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
            args = [*BG, "--spend", "p=6,q=4,gamma=16", "--customers", "300",
                    "--seed", "9", "--start", "2024-01-01",
                    "--join-end", "2024-03-31", "--end", "2025-12-31"]
            for path in (a, b):
                p = run("simulate", *args, "-o", path)
                self.assertEqual(p.returncode, 0, p.stderr)
            with open(a) as f, open(b) as g:
                text = f.read()
                self.assertEqual(text, g.read())
            rows = list(csv.DictReader(io.StringIO(text)))
            self.assertEqual(rows[0]["customer_id"], "c001")
            ids = {r["customer_id"] for r in rows}
            self.assertEqual(len(ids), 300)
            firsts = {}
            for r in rows:
                firsts.setdefault(r["customer_id"], r["time"])
                self.assertGreater(float(r["amount"]), 0)
            self.assertTrue(all("2024-01-01" <= t[:10] <= "2024-03-31"
                                for t in firsts.values()))
            p = run("features", a, "--as-of", "2025-12-31")
            self.assertEqual(p.returncode, 0, p.stderr)
            feats = list(csv.DictReader(io.StringIO(p.stdout)))
            self.assertEqual(len(feats), 300)
            days = {}
            for r in rows:
                days.setdefault(r["customer_id"], set()).add(r["time"][:10])
            for r in feats:
                self.assertEqual(int(r["orders"]), len(days[r["customer_id"]]))
            p = run("simulate", *args, "--seed", "10", "-o", "-")
            self.assertNotEqual(p.stdout, text)

    def test_summary_refits(self):
        p = run("simulate", *BG, "--customers", "20000", "--seed", "1",
                "--start", "2024-01-01", "--end", "2025-12-28", "--summary")
        self.assertEqual(p.returncode, 0, p.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            f.write(p.stdout)
        try:
            q = run("fit", f.name, "--summary", "--model", "bgnbd", "--json")
        finally:
            os.unlink(f.name)
        self.assertEqual(q.returncode, 0, q.stderr)
        fit = json.loads(q.stdout)
        for name, truth in (("r", 0.25), ("alpha", 4), ("a", 0.8),
                            ("b", 2.5)):
            self.assertLess(abs(fit["parameters"][name] - truth),
                            3 * fit["standard_errors"][name], name)

    def test_from_a_saved_model(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "m.model")
            p = run("fit", os.path.join(DATA, "apparel",
                                        "apparel_transactions.csv"),
                    *APPAREL, "--model", "pareto_nbd", "--save-model", model)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run("simulate", "--load-model", model, "--customers", "50",
                    "--start", "2024-01-01", "--end", "2024-12-31")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len({r["customer_id"] for r in
                                  csv.DictReader(io.StringIO(p.stdout))}), 50)

    def test_errors(self):
        base = ["--start", "2024-01-01", "--end", "2024-12-31"]
        p = run("simulate", "--model", "bgnbd", "--set", "r=1", *base)
        self.assertEqual(p.returncode, 2)
        self.assertIn("'alpha' is missing", p.stderr)
        p = run("simulate", *BG)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--start DATE and --end DATE", p.stderr)
        p = run("simulate", "--model", "kmeans", "--set", "k=3", *base)
        self.assertEqual(p.returncode, 2)
        self.assertIn("must be bgnbd", p.stderr)


class Compare(unittest.TestCase):
    def test_table_by_hand(self):
        path = os.path.join(DATA, "apparel", "apparel_transactions.csv")
        p = run("compare", path, *APPAREL, "--model", "bgnbd",
                "--model", "mbgnbd", "--model", "pareto_nbd",
                "--model", "pareto_nbd", "--set",
                "fixed=r=1,alpha=40,s=0.5,beta=40")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual([r["model"] for r in rows],
                         ["bgnbd", "mbgnbd", "pareto_nbd", "pareto_nbd_4"])
        lls = {}
        for r in rows:
            q = run("fit", path, *APPAREL, "--model", r["kind"], "--json",
                    *(["--set", "fixed=r=1,alpha=40,s=0.5,beta=40"]
                      if r["model"] == "pareto_nbd_4" else []))
            ll = json.loads(q.stdout)["loglik"]
            lls[r["model"]] = ll
            k = 0 if r["model"] == "pareto_nbd_4" else 4
            self.assertEqual(float(r["parameters"]), k)
            self.assertAlmostEqual(float(r["aic"]), 2 * k - 2 * ll, places=6)
            self.assertAlmostEqual(float(r["bic"]),
                                   k * math.log(600) - 2 * ll, places=6)
        self.assertEqual(rows[0]["lr"], "")
        self.assertEqual(rows[1]["lr"], "")
        self.assertEqual(rows[2]["nested"], "pareto_nbd_4")
        lr = 2 * (lls["pareto_nbd"] - lls["pareto_nbd_4"])
        self.assertAlmostEqual(float(rows[2]["lr"]), lr, places=6)
        try:
            from scipy import stats
        except ImportError:
            self.skipTest("scipy is not installed")
        self.assertAlmostEqual(float(rows[2]["p_value"]),
                               stats.chi2.sf(lr, 4), delta=1e-12)


if __name__ == "__main__":
    unittest.main()
