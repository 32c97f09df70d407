#!/usr/bin/env python3
"""The segment CLI: output, help, version and exit codes."""
import csv
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

CLI, DATA, SAMPLE = sys.argv[1:4]
del sys.argv[1:4]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


class Cli(unittest.TestCase):
    def test_features_on_the_sample(self):
        p = run("features", SAMPLE, "--no-header", "--map", "id=2",
                "--map", "time=3", "--map", "amount=5",
                "--as-of", "1997-09-30", "--time-unit", "week")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(len(rows), 2357)
        self.assertEqual(list(rows[0])[:6], ["customer_id", "orders",
                         "frequency", "t_x", "T", "recency"])
        ref = {}
        with open(os.path.join(DATA, "cdnow_customers_summary.csv")) as f:
            for r in csv.DictReader(f):
                ref[int(r["ID"])] = r
        for row in rows:
            r = ref[int(row["customer_id"])]
            self.assertEqual(float(row["frequency"]), float(r["frequency"]))
            self.assertAlmostEqual(float(row["t_x"]), float(r["recency"]), 2)
            self.assertAlmostEqual(float(row["T"]), float(r["T"]), 2)

    def test_holdout_and_json(self):
        p = run("features", SAMPLE, "--no-header", "--map", "id=2",
                "--map", "time=3", "--map", "amount=5", "--as-of",
                "1998-06-30", "--holdout-from", "1997-10-01",
                "--time-unit", "week", "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        import json
        rows = json.loads(p.stdout)
        days = set()
        with open(SAMPLE) as f:
            for line in f:
                _, sid, date, _, _ = line.split()
                if "19971001" <= date <= "19980630":
                    days.add((sid, date))
        self.assertEqual(sum(r["holdout_orders"] for r in rows), len(days))

    def test_threads_give_the_same_output(self):
        args = ["features", SAMPLE, "--no-header", "--map", "id=2",
                "--map", "time=3", "--map", "amount=5"]
        one = run(*args, "--threads", "1")
        four = run(*args, "--threads", "4")
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertEqual(one.stdout, four.stdout)
        tier = ["tier", SAMPLE, "--no-header", "--map", "id=2", "--map",
                "time=3", "--map", "amount=5", "--rules",
                os.path.join(os.path.dirname(SAMPLE), "..", "rules",
                             "value_tiers.rules")]
        three, default = run(*tier, "--threads", "3"), run(*tier)
        self.assertEqual(three.returncode, 0, three.stderr)
        self.assertIn("value_tier", three.stdout.splitlines()[0])
        self.assertEqual(three.stdout, default.stdout)
        for bad in ("x", "-1", "65", ""):
            p = run(*args, "--threads", bad)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("--threads", p.stderr)

    def test_large_exports_are_the_same_on_threads(self):
        # more customers than one block of the writer: the blocks of a
        # round go out in order, numbers as printf writes them
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "orders.csv")
            with open(path, "w") as f:
                f.write("customer_id,date,amount\n")
                for i in range(20000):
                    day = datetime.date(2023, 1, 1) + datetime.timedelta(i % 300)
                    f.write(f"{i},{day},{(i * 37) % 10000 / 100:.2f}\n")
                    f.write(f"{i},2023-12-{1 + i % 28:02d},{i % 7 + 0.5}\n")
            args = ["score", path, "--model", "rfm", "--columns", "all"]
            one = run(*args, "--threads", "1")
            two = run(*args, "--threads", "2")
            self.assertEqual(one.returncode, 0, one.stderr)
            self.assertEqual(one.stdout, two.stdout)
            js1 = run(*args, "--threads", "1", "--format", "json")
            js2 = run(*args, "--threads", "2", "--format", "json")
            self.assertEqual(js1.returncode, 0, js1.stderr)
            self.assertEqual(js1.stdout, js2.stdout)
            rows = list(csv.DictReader(io.StringIO(one.stdout)))
            objs = json.loads(js1.stdout)
            self.assertEqual(len(rows), 20000)
            self.assertEqual(len(objs), 20000)

            def printf(v):
                if v == int(v) and abs(v) < 2 ** 53:
                    return "%d" % v
                for p in (15, 16, 17):
                    t = "%.*g" % (p, v)
                    if float(t) == v:
                        return t
                return t
            for row, obj in zip(rows, objs):
                self.assertEqual(row["customer_id"], obj["customer_id"])
                for name in ("monetary_total", "monetary_mean", "orders"):
                    v = obj[name]
                    self.assertEqual(row[name], printf(v), name)

    def test_many_threads_under_an_address_space_limit(self):
        # Each thread reserves address space of its own (its stack, glibc's
        # heap arena): under ulimit -v, --threads 16 must run where one
        # thread does, with fewer threads, and give the same output.
        import random
        import resource
        limit = 200 << 20

        def limited():
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        probe = subprocess.run([CLI, "--version"], capture_output=True,
                               preexec_fn=limited)
        if probe.returncode != 0:  # a sanitizer reserves far more
            self.skipTest("the tool does not start under a 200 MiB limit")
        rnd = random.Random(7)
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "orders.csv")
            ids = set()
            with open(data, "w") as f:
                f.write("customer_id,date,amount\n")
                for _ in range(1000000):  # 26 MB: several batches
                    c = rnd.randrange(100000)
                    ids.add(c)
                    f.write("C%06d,2023-%02d-%02d,%d.%02d\n" % (
                        c, rnd.randrange(1, 13),
                        rnd.randrange(1, 29), rnd.randrange(1, 500),
                        rnd.randrange(100)))
            outs = []
            for threads in ("1", "16"):
                p = subprocess.run([CLI, "features", data, "--threads",
                                    threads], capture_output=True, text=True,
                                   preexec_fn=limited)
                self.assertEqual(p.returncode, 0, (threads, p.stderr))
                outs.append(p.stdout)
            self.assertEqual(outs[0], outs[1])
            self.assertEqual(len(outs[0].splitlines()), len(ids) + 1)

    def test_event_kinds_beyond_the_column_limit(self):
        # 100 kinds become columns: the 99 most frequent ones (ties by first
        # appearance), the rest counted together as other_kinds
        import collections
        import random
        rnd = random.Random(11)
        rows = []
        for i in range(6000):
            kind = ("k%03d" % rnd.randrange(300) if rnd.random() < 0.6
                    else rnd.choice(["view", "cart_add", "purchase"]))
            rows.append(("C%03d" % rnd.randrange(200),
                         "2024-01-%02d" % rnd.randrange(1, 29), kind))
        with tempfile.TemporaryDirectory() as d:
            ev = os.path.join(d, "events.csv")
            with open(ev, "w") as f:
                f.write("customer_id,time,kind\n")
                f.writelines("%s,%s,%s\n" % r for r in rows)
            orders = os.path.join(d, "orders.csv")
            with open(orders, "w") as f:
                f.write("customer_id,date,amount\n")
                f.writelines("C%03d,2024-01-01,10\n" % c for c in range(200))
            p = run("features", orders, "--events", ev)
            self.assertEqual(p.returncode, 0, p.stderr)
        table = list(csv.DictReader(io.StringIO(p.stdout)))
        counts = collections.Counter(r[2] for r in rows)
        first = {}
        for r in rows:
            first.setdefault(r[2], len(first))
        ranked = sorted(counts, key=lambda k: (-counts[k], first[k]))
        kept = set(ranked[:99])
        cols = [c for c in table[0] if c.startswith("events.")
                and c.endswith(".count")]
        self.assertEqual(len(cols), 100)
        self.assertEqual({c[7:-6] for c in cols}, kept | {"other_kinds"})
        per = collections.Counter((r[0], r[2] in kept and r[2] or None)
                                  for r in rows)
        for row in table:
            want = per[(row["customer_id"], None)]
            self.assertEqual(float(row["events.other_kinds.count"]), want)
            self.assertEqual(float(row["events.view.count"]),
                             sum(1 for r in rows if r[0] ==
                                 row["customer_id"] and r[2] == "view"))

    def test_help_and_version(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("features", p.stdout)
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^segment \d+\.\d+\.\d+")

    def test_usage_errors_exit_1(self):
        for args in [(), ("frobnicate",), ("features",),
                     ("features", SAMPLE, "--time-unit", "month"),
                     ("features", SAMPLE, "--as-of", "yesterday"),
                     ("features", SAMPLE, "--map", "color=3"),
                     ("features", SAMPLE, "--bogus")]:
            p = run(*args)
            self.assertEqual(p.returncode, 1, args)
            self.assertIn("segment:", p.stderr)

    def test_bad_input_exits_2_with_the_message(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            f.write("id,time,amount\na,2024-01-01,1\nb,2024-01-02,abc\n")
        try:
            p = run("features", f.name)
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"{f.name}:3:3: amount 'abc' is not a number",
                          p.stderr)
        finally:
            os.unlink(f.name)
        p = run("features", "/nonexistent.csv")
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot open", p.stderr)


class Score(unittest.TestCase):
    ARGS = ["--no-header", "--map", "id=2", "--map", "time=3",
            "--map", "amount=5", "--as-of", "1997-09-30",
            "--time-unit", "week"]

    def test_models_lists_parameters(self):
        p = run("models")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("rfm", p.stdout)
        self.assertIn("k_r", p.stdout)
        self.assertIn("marketing|cn8|value|none", p.stdout)

    def test_score_save_then_load_gives_the_same_output(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rfm.model")
            p = run("score", SAMPLE, *self.ARGS, "--model", "rfm",
                    "--set", "segments=cn8", "--set", "language=zh",
                    "--save-model", path)
            self.assertEqual(p.returncode, 0, p.stderr)
            rows = list(csv.DictReader(io.StringIO(p.stdout)))
            self.assertEqual(len(rows), 2357)
            self.assertIn("rfm.score", rows[0])
            self.assertIn(rows[0]["rfm.segment"],
                          ["重要价值客户", "重要发展客户", "重要保持客户",
                           "重要挽留客户", "一般价值客户", "一般发展客户",
                           "一般保持客户", "一般挽留客户"])
            q = run("score", SAMPLE, *self.ARGS, "--load-model", path)
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertEqual(p.stdout, q.stdout)
            self.assertEqual(os.listdir(d), ["rfm.model"])

    def test_covariates_give_intervals(self):
        # the draws include the effects: each customer's interval follows
        # the customer's covariates (tests/test-cov-cli.py checks values)
        app = os.path.join(DATA, "apparel")
        args = [os.path.join(app, "apparel_transactions.csv"),
                "--map", "amount=Price", "--attributes",
                os.path.join(app, "apparel_static_cov.csv"),
                "--time-unit", "week", "--as-of", "2006-12-31"]
        for kind in ("pareto_nbd", "bgnbd"):
            p = run("score", *args, "--model", kind,
                    "--set", "trans_covariates=Channel",
                    "--set", "interval=0.9", "--set", "draws=200")
            self.assertEqual(p.returncode, 0, p.stderr)
            head = p.stdout.splitlines()[0].split(",")
            for c in ("p_alive_lo", "p_alive_hi", "expected_lo",
                      "expected_hi"):
                self.assertIn("%s.%s" % (kind, c), head)

    def test_dynamic_covariates_score(self):
        # constant covariates from the table give the static model's
        # predictions; a table short of the horizon is an error
        app = os.path.join(DATA, "apparel")
        args = [os.path.join(app, "apparel_transactions.csv"),
                "--map", "amount=Price", "--attributes",
                os.path.join(app, "apparel_static_cov.csv"),
                "--time-unit", "week", "--as-of", "2006-12-31"]
        fixed = ("fixed=r=1.84,alpha=93,s=0.59,beta=49.5,trans.Gender=0.29,"
                 "trans.Channel=0.62,life.Gender=-0.64,life.Channel=0.79")
        cov = ["--set", "trans_covariates=Gender,Channel",
               "--set", "life_covariates=Gender,Channel", "--set", fixed,
               "--set", "horizon=52"]
        dyn = os.path.join(app, "apparel_dynamic_cov.csv")
        p = run("score", *args, "--model", "pareto_nbd", *cov)
        self.assertEqual(p.returncode, 0, p.stderr)
        q = run("score", *args, "--model", "pareto_nbd", *cov,
                "--set", "dynamic_covariates=on",
                "--dynamic-covariates", dyn)
        self.assertEqual(q.returncode, 0, q.stderr)
        a = list(csv.DictReader(io.StringIO(p.stdout)))
        b = list(csv.DictReader(io.StringIO(q.stdout)))
        self.assertEqual(len(a), 600)
        for x, y in zip(a, b):
            for c in ("pareto_nbd.p_alive", "pareto_nbd.expected"):
                self.assertAlmostEqual(float(x[c]), float(y[c]), places=9)
        r = run("score", *args, "--model", "pareto_nbd", *cov,
                "--set", "horizon=100", "--set", "dynamic_covariates=on",
                "--dynamic-covariates", dyn)
        self.assertEqual(r.returncode, 2)
        self.assertIn("the covariate table does not cover", r.stderr)
        self.assertEqual(r.stdout, "")
        r = run("fit", *args, "--model", "pareto_nbd",
                "--set", "dynamic_covariates=on",
                "--set", "trans_covariates=Gender")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no covariate table", r.stderr)

    def test_covariates_fit_score_save_load(self):
        app = os.path.join(DATA, "apparel")
        args = [os.path.join(app, "apparel_transactions.csv"),
                "--map", "amount=Price", "--attributes",
                os.path.join(app, "apparel_static_cov.csv"),
                "--time-unit", "week", "--as-of", "2006-12-31"]
        cov = ["--set", "trans_covariates=Gender,Channel",
               "--set", "life_covariates=Gender,Channel"]
        p = run("fit", *args, "--model", "pareto_nbd", *cov, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        for name in ("trans.Gender", "trans.Channel", "life.Gender",
                     "life.Channel"):
            self.assertIn(name, out["parameters"])
            self.assertGreater(out["standard_errors"][name], 0)
        # tests/ref/clv_cov_ref.py: scipy's fit of the same likelihood
        self.assertAlmostEqual(out["loglik"], -5821.0626858690, places=5)
        self.assertAlmostEqual(out["parameters"]["trans.Channel"],
                               0.6239296168, places=5)
        # Newton on the exact Hessian: 34 evaluations (BFGS took 110)
        self.assertLess(out["evaluations"], 60)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "pnbd.model")
            p = run("score", *args, "--model", "clv", "--set",
                    "purchase_model=pareto_nbd", *cov, "--save-model", path)
            self.assertEqual(p.returncode, 0, p.stderr)
            rows = list(csv.DictReader(io.StringIO(p.stdout)))
            self.assertEqual(len(rows), 600)
            for c in ("clv.p_alive", "clv.expected", "clv.value"):
                self.assertIn(c, rows[0])
            # the same history with other covariates: other predictions
            same = {r["clv.expected"] for r in rows
                    if r["frequency"] == "0" and r["T"] == "104"}
            self.assertEqual(len(same), 4)
            q = run("score", *args, "--load-model", path)
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertEqual(p.stdout, q.stdout)
            with open(path) as f:
                self.assertIn("covariate 1 ", f.read())
        # a customer without a covariate is named
        with tempfile.TemporaryDirectory() as d:
            attrs = os.path.join(d, "attrs.csv")
            with open(os.path.join(app, "apparel_static_cov.csv")) as f:
                lines = f.read().splitlines()
            lines[5] = lines[5].rsplit(",", 1)[0] + ","
            with open(attrs, "w") as f:
                f.write("\n".join(lines) + "\n")
            bad = list(args)
            bad[bad.index("--attributes") + 1] = attrs
            p = run("fit", *bad, "--model", "pareto_nbd", *cov)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("customer '5'", p.stderr)
            self.assertIn("Channel", p.stderr)

    def test_score_errors(self):
        p = run("score", SAMPLE, *self.ARGS)
        self.assertEqual(p.returncode, 1)
        p = run("score", SAMPLE, *self.ARGS, "--model", "nope")
        self.assertEqual(p.returncode, 1)
        self.assertIn("known: rfm", p.stderr)
        p = run("score", SAMPLE, *self.ARGS, "--model", "rfm",
                "--set", "k_rr=3")
        self.assertEqual(p.returncode, 1)
        self.assertIn("did you mean 'k_r'", p.stderr)
        p = run("score", SAMPLE, *self.ARGS, "--model", "rfm",
                "--set", "k_r=99")
        self.assertEqual(p.returncode, 1)
        p = run("score", SAMPLE, *self.ARGS, "--load-model", "/nonexistent")
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot open", p.stderr)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# libsegment model\nformat 9\n")
        try:
            p = run("score", SAMPLE, *self.ARGS, "--load-model", f.name)
            self.assertEqual(p.returncode, 2)
            self.assertIn("newer", p.stderr)
        finally:
            os.unlink(f.name)


class Fit(unittest.TestCase):
    def test_fit_summary_json(self):
        import json
        p = run("fit", os.path.join(DATA, "donations.csv"), "--summary",
                "--model", "bgbb", "--set", "weight_column=weights", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["model"], "bgbb")
        self.assertAlmostEqual(out["parameters"]["alpha"], 1.204, 3)
        self.assertAlmostEqual(out["parameters"]["delta"], 2.783, 3)
        self.assertGreater(out["standard_errors"]["gamma"], 0)
        self.assertTrue(out["converged"])
        self.assertAlmostEqual(out["loglik"], -33225.6, 1)
        # tests/ref/bgbb_fit_ref.py: the optimum's log-likelihood and the
        # standard errors from its Hessian by differences in 30 digits
        self.assertAlmostEqual(out["loglik"], -33225.5812743470068, 6)
        for k, v in (("alpha", 0.0693913623889), ("beta", 0.0294477166604),
                     ("gamma", 0.0510098589564), ("delta", 0.320819003043)):
            self.assertAlmostEqual(out["standard_errors"][k] / v, 1, 6)
        self.assertLessEqual(out["evaluations"], 30)

    def test_large_bgnbd_fit_is_the_optimum_on_any_threads(self):
        # 60,000 customers simulated from BG/NBD in days: enough distinct
        # rows for the evaluator's factors of the pairs (x, t_x), (x, T)
        # and for its chunks on two threads. The optimum is checked
        # against the log-likelihood of Fader, Hardie and Lee (2005),
        # summed here row by row: equal at the fit, and flat around it.
        import math
        import random
        rnd = random.Random(13)
        rows = []
        for i in range(60000):
            lam = rnd.gammavariate(0.9, 1 / 20.0)
            pd = rnd.betavariate(0.6, 3.9)
            T = rnd.randint(300, 1095)
            t, x, tx = 0.0, 0, 0
            while True:
                t += rnd.expovariate(lam)
                if t > T:
                    break
                x, tx = x + 1, int(t)
                if rnd.random() < pd:
                    break
            rows.append((x, tx, T))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.csv")
            with open(path, "w") as f:
                f.write("customer_id,frequency,recency,T\n")
                for i, (x, tx, T) in enumerate(rows):
                    f.write("c%d,%d,%d,%d\n" % (i, x, tx, T))
            outs = []
            for threads in ("1", "2"):
                p = run("fit", path, "--summary", "--map", "id=customer_id",
                        "--model", "bgnbd", "--set", "t_x_column=recency",
                        "--set", "threads=" + threads, "--json")
                self.assertEqual(p.returncode, 0, p.stderr)
                outs.append(json.loads(p.stdout))
        self.assertEqual(outs[0]["parameters"], outs[1]["parameters"])
        self.assertEqual(outs[0]["loglik"], outs[1]["loglik"])
        out = outs[0]
        self.assertGreaterEqual(out["rows"], 32768)

        def ll(r, al, a, b):
            s = 0.0
            for x, tx, T in rows:
                head = (math.lgamma(r + x) - math.lgamma(r) + r * math.log(al)
                        + math.lgamma(a + b) + math.lgamma(b + x)
                        - math.lgamma(b) - math.lgamma(a + b + x))
                l1 = -(r + x) * math.log(al + T)
                if x == 0:
                    s += head + l1
                    continue
                l2 = (math.log(a) - math.log(b + x - 1)
                      - (r + x) * math.log(al + tx))
                m = max(l1, l2)
                s += head + m + math.log(math.exp(l1 - m) + math.exp(l2 - m))
            return s

        p = [out["parameters"][k] for k in ("r", "alpha", "a", "b")]
        at = ll(*p)
        self.assertAlmostEqual(out["loglik"] / at, 1, 11)
        # the gradient in the log-parameters, per customer, by central
        # differences: zero at the optimum to the differences' error
        for i in range(4):
            hi, lo = list(p), list(p)
            hi[i] *= math.exp(1e-4)
            lo[i] *= math.exp(-1e-4)
            g = (ll(*hi) - ll(*lo)) / 2e-4 / len(rows)
            self.assertLess(abs(g), 1e-6)

    def test_fit_transactions(self):
        import json
        p = run("fit", SAMPLE, *Score.ARGS, "--model", "pareto_nbd", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertAlmostEqual(out["parameters"]["beta"], 11.669, 3)
        self.assertAlmostEqual(out["loglik"], -9595.0, 1)

    def test_holdout(self):
        p = run("holdout", SAMPLE, "--no-header", "--map", "id=2",
                "--map", "time=3", "--map", "amount=5", "--as-of",
                "1998-06-30", "--holdout-from", "1997-10-01",
                "--time-unit", "week", "--model", "bgnbd")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "frequency,customers,predicted,actual")
        self.assertTrue(lines[-2].startswith("total,2357,"))
        self.assertTrue(lines[-1].startswith("mae,2357,"))
        p = run("holdout", SAMPLE, *Score.ARGS, "--model", "bgnbd")
        self.assertEqual(p.returncode, 1)

    def test_kmeans_tables(self):
        p = run("table", "profile", SAMPLE, *Score.ARGS, "--model", "kmeans",
                "--set", "log1p=all", "--set", "k=3")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0],
                         "cluster,size,share,recency,frequency,monetary_total")
        self.assertEqual(sum(int(l.split(",")[1]) for l in lines[1:]), 2357)
        p = run("table", "silhouette", SAMPLE, *Score.ARGS, "--model",
                "kmeans", "--set", "k_max=4", "--set", "sample=300")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.splitlines()[-1].startswith("best,"))
        p = run("table", "nope", SAMPLE, *Score.ARGS, "--model", "kmeans")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no report 'nope'", p.stderr)

    def test_gamma_gamma_leaves_out_a_zero_spend(self):
        # issue 12: a repeat buyer with a mean spend of $0 is left out of
        # the fit, counted, and predicted the population mean; the
        # parameters are the maximum of the likelihood of the others
        # (tests/ref/clv_ref.py, "gg hand-built", by mpmath)
        import csv
        import json
        xs = [1, 1, 2, 2, 3, 3, 4, 5, 1, 6, 2, 3, 1, 2, 4, 7]
        ms = [5, 80, 15, 40, 25, 8, 30, 120, 50, 28, 12, 60, 9, 33, 200, 26]
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "spend.csv")
            with open(data, "w") as f:
                f.write("id,frequency,monetary_repeat_mean\n")
                for i, (x, m) in enumerate(zip(xs, ms)):
                    f.write("c%d,%d,%d\n" % (i, x, m))
                f.write("zero,1,0\nnew,0,0\n")
            p = run("fit", data, "--summary", "--model", "gamma_gamma",
                    "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            want = {"p": 1.5961257404645053, "q": 2.3314876150775221,
                    "gamma": 41.803711477165234}
            for k, v in want.items():
                self.assertLess(abs(out["parameters"][k] / v - 1), 1e-7, k)
            self.assertEqual(out["excluded"], 1)
            self.assertEqual(out["customers"], 16)
            self.assertGreater(out["evaluations"], 0)
            self.assertGreaterEqual(out["fit_seconds"], 0)
            self.assertGreaterEqual(out["fit_cpu_seconds"], 0)
            p = run("score", data, "--summary", "--model", "gamma_gamma")
            self.assertEqual(p.returncode, 0, p.stderr)
            rows = {r["customer_id"]: r for r in
                    csv.DictReader(p.stdout.splitlines())}
            pop = want["p"] * want["gamma"] / (want["q"] - 1)
            for who in ("zero", "new"):
                got = float(rows[who]["gamma_gamma.expected_spend"])
                self.assertLess(abs(got / pop - 1), 1e-7, who)

    def test_fit_bad_data_exits_2(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            f.write("frequency,t_x,T\n2,40,38\n")
        try:
            p = run("fit", f.name, "--summary", "--model", "bgnbd")
            self.assertEqual(p.returncode, 2)
            self.assertIn("t_x greater than T", p.stderr)
        finally:
            os.unlink(f.name)

    def test_pareto_nbd_long_after_the_last_purchase(self):
        """A snapshot a year after the sample's last purchase: s and beta
        grow together without end (every customer drops out at about the
        same rate). The fit ends, in seconds, with the error that says so
        (it took minutes while each of its rows summed series near z = 1
        to their limit, and its Hessian came from differences), never
        with a fit whose standard errors are NaN."""
        with tempfile.NamedTemporaryFile("w", suffix=".txt",
                                         delete=False) as f:
            with open(SAMPLE) as src:
                for line in src:
                    if int(line.split()[1]) <= 600:
                        f.write(line)
        try:
            p = subprocess.run(
                [CLI, "fit", f.name, "--no-header", "--map", "id=2",
                 "--map", "time=3", "--map", "amount=5", "--as-of",
                 "1999-06-30", "--time-unit", "week", "--model",
                 "pareto_nbd"], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("the data do not identify", p.stderr)
            self.assertRegex(p.stderr, r"(beta|s) went to|flat along")
            self.assertNotIn("nan", p.stdout)
        finally:
            os.unlink(f.name)


class Tier(unittest.TestCase):
    RULES = os.path.join(os.path.dirname(SAMPLE), "..", "rules")

    def rules(self, name):
        return os.path.join(self.RULES, name)

    def test_tier_table_summary_explain(self):
        base = ["tier", SAMPLE, *Score.ARGS, "--model", "rfm",
                "--rules", self.rules("rfm_actions.rules"),
                "--rules", self.rules("value_tiers.rules")]
        p = run(*base)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(len(rows), 2357)
        self.assertIn(rows[0]["value_tier"], ["高价值", "中价值", "低价值"])
        self.assertTrue(rows[0]["action"])
        p = run(*base, "--summary", "monetary_total")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].startswith("value_tier,count,share,"))
        self.assertEqual(sum(int(l.split(",")[1]) for l in lines[1:]), 2357)
        p = run(*base, "--explain", "0001")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('rfm.segment = "Champions"', p.stdout)
        p = run(*base, "--crosstab", "rfm.segment")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.splitlines()[-1].startswith("total,"))

    def test_churn_tiers_from_the_model(self):
        """流失 / 沉默 / 待复购 from clv's timing columns on the CDNOW
        sample: every tier as its rule says, the columns against the
        Pareto/NBD closed forms with the fitted parameters, and the
        expected date of the next order from the median"""
        data = [SAMPLE, "--no-header", "--map", "id=2", "--map", "time=3",
                "--map", "amount=5", "--as-of", "1998-06-30", "--model",
                "clv", "--set", "purchase_model=pareto_nbd"]
        p = run("fit", *data)
        self.assertEqual(p.returncode, 0, p.stderr)
        par = {l.split()[0]: float(l.split()[1])
               for l in p.stdout.splitlines() if len(l.split()) == 2}
        cols = ("T,clv.p_alive,clv.p_alive_at,clv.p_none,clv.p_never,"
                "clv.next_median,clv.next_date,churn_tier")
        p = run("tier", *data, "--set", "timing=on", "--rules",
                self.rules("churn_tiers.rules"), "--columns", cols)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(len(rows), 2357)
        count = {}
        for row in rows:
            pa, pat = float(row["clv.p_alive"]), float(row["clv.p_alive_at"])
            none, never = float(row["clv.p_none"]), float(row["clv.p_never"])
            # exponential lifetimes: alive at T + 90 days with
            # (B / (B + 90))^s more, B = beta + T
            B = par["beta"] + float(row["T"])
            self.assertAlmostEqual(pat, pa * (B / (B + 90))**par["s"],
                                   delta=1e-9)
            self.assertTrue(never <= none <= 1 and 1 - pa <= never)
            # the analysis day plus the median, to whole days
            day = datetime.date(1998, 6, 30) + datetime.timedelta(
                days=round(float(row["clv.next_median"])))
            self.assertEqual(row["clv.next_date"],
                             day.isoformat() + "T00:00:00Z")
            want = ("流失" if pat < 0.2 else "沉默" if none >= 0.8 else
                    "待复购" if (day - datetime.date(1998, 6, 30)).days
                    <= 30 else "活跃")
            self.assertEqual(row["churn_tier"], want, row)
            count[want] = count.get(want, 0) + 1
        # each tier is there, and most of the base has gone quiet
        self.assertEqual(set(count), {"流失", "沉默", "待复购", "活跃"})
        self.assertGreater(count["沉默"] + count["流失"], 2357 / 2)
        # a shorter horizon leaves more customers without a purchase in it
        # less often: p_none rises as the horizon shrinks
        p = run("score", *data, "--set", "timing=on", "--set",
                "timing_days=30", "--columns", "clv.p_none")
        self.assertEqual(p.returncode, 0, p.stderr)
        short = list(csv.DictReader(io.StringIO(p.stdout)))
        for a, b in zip(rows, short):
            self.assertGreaterEqual(float(b["clv.p_none"]),
                                    float(a["clv.p_none"]))

    def test_call_list(self):
        p = run("tier", SAMPLE, *Score.ARGS, "--model", "rfm", "--rules",
                self.rules("rfm_actions.rules"), "--call-list",
                "--capacity", "10", "--value", "monetary_total")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0],
                         "rank,customer_id,tier,priority,value,last_contact")
        self.assertEqual(len(lines), 11)
        self.assertTrue(all(",Win back: call,1," in l for l in lines[1:]))

    def test_issue_commands(self):
        p = run("score", SAMPLE, *Score.ARGS, "--model", "rfm", "--rules",
                self.rules("rfm_actions.rules"), "--explain", "0001")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('tier "VIP care"', p.stdout)
        p = run("summary", SAMPLE, *Score.ARGS, "--model", "rfm",
                "--by", "rfm.segment", "--values", "monetary_total")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("rfm.segment,count,share,"))
        p = run("summary", SAMPLE, *Score.ARGS, "--model", "rfm",
                "--rules", self.rules("value_tiers.rules"),
                "--by", "value_tier", "--cross", "rfm.segment")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("value_tier,"))
        p = run("calls", SAMPLE, *Score.ARGS, "--model", "rfm", "--rules",
                self.rules("rfm_actions.rules"), "--capacity", "3")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 4)
        p = run("calls", SAMPLE, *Score.ARGS, "--capacity", "3")
        self.assertEqual(p.returncode, 1)

    def test_report_is_self_contained(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "report.html")
            p = run("report", SAMPLE, "--no-header", "--map", "id=2",
                    "--map", "time=3", "--map", "amount=5", "--as-of",
                    "1998-06-30", "--holdout-from", "1997-10-01",
                    "--time-unit", "week", "--model", "rfm", "--model", "clv",
                    "--model", "kmeans", "--set", "log1p=all",
                    "--rules", self.rules("value_tiers.rules"),
                    "--cross", "rfm.segment", "-o", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, encoding="utf-8") as f:
                html = f.read()
        for part in ["Tiers: value_tier", "Customers by R and F score",
                     "Customer lifetime value", "Calibration against holdout",
                     "Profiles (centroids", "value_tier by rfm.segment"]:
            self.assertIn(part, html)
        self.assertGreaterEqual(html.count("<svg"), 4)
        self.assertNotIn("<script", html)
        self.assertNotIn("http://", html)
        self.assertNotIn("https://", html)
        p = run("report", SAMPLE, *Score.ARGS)
        self.assertEqual(p.returncode, 1)

    def test_report_tables_are_the_library_tables(self):
        import re
        args = [SAMPLE, "--no-header", "--map", "id=2", "--map", "time=3",
                "--map", "amount=5", "--as-of", "1998-06-30",
                "--holdout-from", "1997-10-01", "--time-unit", "week",
                "--model", "rfm", "--rules", self.rules("value_tiers.rules")]
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "report.html")
            p = run("report", *args, "--model", "bgnbd", "--crosstab",
                    "rfm.segment", "-o", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, encoding="utf-8") as f:
                html = f.read()

        def table_after(heading):
            part = html.split(heading, 1)[1].split("<table>\n", 1)[1]
            part = part.split("</table>", 1)[0]
            return [[re.sub(r"<[^>]*>", "", c) for c in
                     re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
                    for row in part.splitlines()]

        def number(cell):
            # the report's human formats: 1,234.50, 12.5%, "–" for none
            if cell == "–":
                return None
            if cell.endswith("%"):
                return float(cell[:-1].replace(",", "")) / 100
            return float(cell.replace(",", ""))

        def by_label(rows):
            # the report orders rows and columns by tier; compare by name
            return {r[0]: dict(zip(rows[0][1:], r[1:])) for r in rows[1:]}
        p = run("tier", *args, "--crosstab", "rfm.segment")
        self.assertEqual(p.returncode, 0, p.stderr)
        want = list(csv.reader(io.StringIO(p.stdout)))
        got = table_after("value_tier by rfm.segment</h2>")
        self.assertEqual(len(got), len(want))
        self.assertEqual(sorted(got[0]), sorted(want[0]))
        gw, ww = by_label(got), by_label(want)
        self.assertEqual(set(gw), set(ww))
        for label, cells in ww.items():
            for col, v in cells.items():
                self.assertEqual(number(gw[label][col]), float(v))
        p = run("holdout", *args[:-4], "--model", "bgnbd")
        self.assertEqual(p.returncode, 0, p.stderr)
        want = list(csv.reader(io.StringIO(p.stdout)))
        got = table_after("Calibration against holdout")
        self.assertEqual(len(got), len(want))
        self.assertEqual(got[0], want[0])
        for g, w in zip(got[1:], want[1:]):
            self.assertEqual(len(g), 4)  # the mae row's missing actual too
            self.assertEqual(g[0], "mean absolute error" if w[0] == "mae"
                             else w[0])
            self.assertEqual(number(g[1]), float(w[1]))
            for x, y in zip(g[2:], w[2:]):
                if y:
                    self.assertAlmostEqual(number(x), float(y),
                                           delta=abs(float(y)) * 1e-3)
                else:
                    self.assertIsNone(number(x))

    def test_lead_grades(self):
        data = os.path.dirname(SAMPLE)
        p = run("tier", os.path.join(data, "lead_events.csv"), "--attributes",
                os.path.join(data, "leads.csv"), "--rules",
                self.rules("lead_grading.rules"), "--explain", "L001",
                "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        import json
        out = json.loads(p.stdout)
        self.assertEqual(out["grade"], "A+")
        self.assertEqual(out["points"], 85)

    def test_rule_errors(self):
        with tempfile.NamedTemporaryFile("w", suffix=".rules",
                                         delete=False) as f:
            f.write('tier "VIP" when monetry >= 100\n')
        try:
            p = run("tier", SAMPLE, *Score.ARGS, "--rules", f.name)
            self.assertEqual(p.returncode, 2)
            self.assertIn("unknown column 'monetry' (did you mean "
                          "'monetary_total'?)", p.stderr)
        finally:
            os.unlink(f.name)
        p = run("tier", SAMPLE, *Score.ARGS)
        self.assertEqual(p.returncode, 1)


EXAMPLES = os.path.join(os.path.dirname(SAMPLE), "..")
MAN_PAGE = os.path.join(EXAMPLES, "cli", "segment.1")


def rules(name):
    return os.path.join(EXAMPLES, "rules", name)


def help_commands():
    """The commands that 'segment --help' lists."""
    out = run("--help").stdout.split("commands:\n", 1)[1]
    names = []
    for line in out.splitlines():
        if not line.strip():
            break
        if line.startswith("  ") and not line.startswith("   "):
            names.append(line.split()[0])
    return names


def help_options(command):
    """The options that 'segment COMMAND --help' lists."""
    p = run(command, "--help")
    opts = set()
    for line in p.stdout.split("options:\n", 1)[1].splitlines():
        if line.startswith("  ") and line.lstrip().startswith("-"):
            for word in line.split(None, 2)[:2]:
                if word.startswith("-"):
                    opts.add(word.rstrip(","))
    return opts


def man_sections():
    """Section title -> the first line of each .TP item in it."""
    sections, current, items, after_tp = {}, None, None, False
    with open(MAN_PAGE, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH "):
                current = line[4:].strip('"')
                items = sections.setdefault(current, [])
            elif line == ".TP":
                after_tp = True
            elif after_tp:
                items.append(line.replace("\\-", "-"))
                after_tp = False
    return sections


class Output(unittest.TestCase):
    """-o FILE: every command that prints, written whole or not at all."""
    SAMPLE_ARGS = [SAMPLE, *Score.ARGS]

    COMMANDS = [
        ["features", *SAMPLE_ARGS],
        ["score", *SAMPLE_ARGS, "--model", "rfm"],
        ["fit", *SAMPLE_ARGS, "--model", "pareto_nbd"],
        ["holdout", SAMPLE, "--no-header", "--map", "id=2", "--map",
         "time=3", "--map", "amount=5", "--holdout-from", "1997-10-01",
         "--model", "bgnbd"],
        ["table", "profile", *SAMPLE_ARGS, "--model", "kmeans", "--set",
         "k=3"],
        ["tier", *SAMPLE_ARGS, "--rules", rules("value_tiers.rules")],
        ["tier", *SAMPLE_ARGS, "--model", "rfm", "--rules",
         rules("rfm_actions.rules"), "--explain", "0001"],
        ["summary", *SAMPLE_ARGS, "--model", "rfm", "--by", "rfm.segment"],
        ["summary", *SAMPLE_ARGS, "--model", "rfm", "--rules",
         rules("value_tiers.rules"), "--crosstab", "rfm.segment"],
        ["calls", *SAMPLE_ARGS, "--model", "rfm", "--rules",
         rules("rfm_actions.rules"), "--capacity", "5"],
        ["models"],
    ]

    def test_every_command_writes_the_file(self):
        for args in self.COMMANDS:
            with self.subTest(args[0]), tempfile.TemporaryDirectory() as d:
                want = run(*args)
                self.assertEqual(want.returncode, 0, want.stderr)
                out = os.path.join(d, "out.txt")
                p = run(*args, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout, "")
                with open(out, encoding="utf-8") as f:
                    self.assertEqual(f.read(), want.stdout)
                self.assertEqual(os.listdir(d), ["out.txt"])
                q = run(*args, "--output=" + out)
                self.assertEqual(q.returncode, 0, q.stderr)

    def test_a_failure_leaves_the_old_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            with open(out, "w") as f:
                f.write("old\n")
            for args in (["table", "nope", *self.SAMPLE_ARGS, "--model",
                          "kmeans"],
                         ["tier", *self.SAMPLE_ARGS, "--rules",
                          rules("value_tiers.rules"), "--explain", "NOPE"]):
                p = run(*args, "-o", out)
                self.assertEqual(p.returncode, 2, args)
                with open(out) as f:
                    self.assertEqual(f.read(), "old\n")
                self.assertEqual(os.listdir(d), ["out.csv"])
        p = run("features", *self.SAMPLE_ARGS, "-o",
                "/nonexistent-dir/out.csv")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/nonexistent-dir/out.csv", p.stderr)
        self.assertFalse(os.path.exists("/nonexistent-dir"))

    def test_report_is_written_atomically(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "r.html")
            p = run("report", *self.SAMPLE_ARGS, "--model", "rfm", "-o", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.listdir(d), ["r.html"])
            with open(out) as f:
                self.assertTrue(f.read().endswith("</html>\n"))


class Files(unittest.TestCase):
    """-o FILE is written by the library as it writes its own files
    (docs/files.md); no output may replace an input."""
    ARGS = ["models"]

    def want(self):
        p = run(*self.ARGS)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_a_symbolic_link_is_followed_and_kept(self):
        with tempfile.TemporaryDirectory() as d:
            target, link = os.path.join(d, "t.txt"), os.path.join(d, "l")
            with open(target, "w") as f:
                f.write("old\n")
            os.symlink("t.txt", link)
            p = run(*self.ARGS, "-o", link)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.islink(link))
            self.assertEqual(os.readlink(link), "t.txt")
            with open(target) as f:
                self.assertEqual(f.read(), self.want())
            self.assertEqual(sorted(os.listdir(d)), ["l", "t.txt"])

    def test_modes(self):
        with tempfile.TemporaryDirectory() as d:
            new = os.path.join(d, "new.txt")
            p = subprocess.run([CLI, *self.ARGS, "-o", new],
                               capture_output=True, text=True,
                               preexec_fn=lambda: os.umask(0o077))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.stat(new).st_mode & 0o7777, 0o600)
            old = os.path.join(d, "old.txt")
            with open(old, "w") as f:
                f.write("old\n")
            os.chmod(old, 0o640)
            p = run(*self.ARGS, "-o", old)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.stat(old).st_mode & 0o7777, 0o640)
            with open(old) as f:
                self.assertEqual(f.read(), self.want())

    def test_a_fifo_is_written_through(self):
        import threading
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "fifo")
            os.mkfifo(fifo)
            got = []

            def read():
                with open(fifo) as f:
                    got.append(f.read())
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            p = run(*self.ARGS, "-o", fifo)
            reader.join(60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(got, [self.want()])
            import stat
            self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
            self.assertEqual(os.listdir(d), ["fifo"])

    def test_dev_stdout_on_a_terminal(self):
        import pty
        import stat
        import tty
        try:
            master, slave = pty.openpty()
        except OSError as e:
            self.skipTest(f"no terminal: {e}")
        tty.setraw(slave)  # no \r added to the lines
        device = os.ttyname(slave)
        p = subprocess.Popen([CLI, *self.ARGS, "-o", "/dev/stdout"],
                             stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            out += chunk
        err = p.stderr.read()
        p.stderr.close()
        self.assertEqual(p.wait(), 0, err)
        self.assertTrue(stat.S_ISCHR(os.stat(device).st_mode))
        os.close(master)
        self.assertEqual(out.decode(), self.want())
        self.assertTrue(os.path.islink("/dev/stdout"))

    # /dev/stdout onto a pipe is /proc/self/fd/1, a link to "pipe:[N]",
    # a name that exists nowhere: it is opened as it is, not followed.
    def test_dev_stdout_on_a_pipe(self):
        p = run(*self.ARGS, "-o", "/dev/stdout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, self.want())

    def test_a_failed_write_keeps_the_old_file(self):
        import resource
        import signal

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            with open(out, "w") as f:
                f.write("old\n")
            p = subprocess.run([CLI, "features", *Output.SAMPLE_ARGS, "-o",
                                out], capture_output=True, text=True,
                               preexec_fn=small_files)
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"{out}: write failed: ", p.stderr)
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
            with open(out) as f:
                self.assertEqual(f.read(), "old\n")
            self.assertEqual(os.listdir(d), ["out.csv"])
        if os.path.exists("/dev/full"):
            p = run(*self.ARGS, "-o", "/dev/full")
            self.assertEqual(p.returncode, 2)
            self.assertEqual(p.stderr, "segment: /dev/full: write failed: "
                             "No space left on device\n")
            with open("/dev/full", "w") as full:
                p = subprocess.run([CLI, *self.ARGS], stdout=full,
                                   stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 2)
            self.assertIn("standard output", p.stderr)

    def refused(self, args, victim, stdin=None):
        with open(victim, "rb") as f:
            before = f.read()
        p = subprocess.run([CLI, *args], capture_output=True, text=True,
                           stdin=stdin)
        self.assertEqual(p.returncode, 1, (args, p.stderr))
        self.assertIn("would replace", p.stderr)
        self.assertIn("give another file", p.stderr)
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), before)
        return p.stderr

    def test_no_output_replaces_an_input(self):
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "DATA.csv")
            rules_file = os.path.join(d, "RULES.rules")
            events = os.path.join(d, "events.csv")
            attrs = os.path.join(d, "attrs.csv")
            model = os.path.join(d, "rfm.model")
            with open(SAMPLE) as f, open(data, "w") as g:
                g.write(f.read())
            with open(rules(name="value_tiers.rules")) as f, \
                    open(rules_file, "w") as g:
                g.write(f.read())
            with open(events, "w") as f:
                f.write("id,time,kind\n0001,1997-03-01,call\n")
            with open(attrs, "w") as f:
                f.write("id,region\n0001,north\n")
            base = [data, *Score.ARGS]
            p = run("score", *base, "--model", "rfm", "--save-model", model)
            self.assertEqual(p.returncode, 0, p.stderr)
            link = os.path.join(d, "link.csv")
            os.symlink("DATA.csv", link)
            hard = os.path.join(d, "hard.csv")
            os.link(data, hard)
            err = self.refused(["report", *base, "--model", "rfm", "-o",
                                data], data)
            self.assertIn(f"--output {data} would replace the data file "
                          f"{data}", err)
            err = self.refused(["report", *base, "--model", "rfm", "-o",
                                link], data)
            self.assertIn(f"--output {link} would replace the data file "
                          f"{data}", err)
            self.refused(["features", *base, "--output=" + hard], data)
            err = self.refused(["score", *base, "--model", "rfm",
                                "--save-model", data], data)
            self.assertIn(f"--save-model {data} would replace", err)
            self.refused(["score", *base, "--model", "rfm", "--save-model",
                          link], data)
            err = self.refused(["tier", *base, "--rules", rules_file, "-o",
                                rules_file], rules_file)
            self.assertIn(f"the --rules file {rules_file}", err)
            err = self.refused(["features", *base, "--events", events, "-o",
                                events], events)
            self.assertIn(f"the --events file {events}", err)
            err = self.refused(["features", *base, "--attributes", attrs,
                                "-o", attrs], attrs)
            self.assertIn(f"the --attributes file {attrs}", err)
            err = self.refused(["score", *base, "--load-model", model, "-o",
                                model], model)
            self.assertIn(f"the --load-model file {model}", err)
            with open(data) as stdin:
                err = self.refused(["features", "-", *Score.ARGS, "-o",
                                    data], data, stdin=stdin)
            self.assertIn("the data file <stdin>", err)
            self.assertEqual(sorted(os.listdir(d)),
                             ["DATA.csv", "RULES.rules", "attrs.csv",
                              "events.csv", "hard.csv", "link.csv",
                              "rfm.model"])
            # another file, and one that does not exist yet, are fine
            p = run("features", *base, "-o", events)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run("features", *base, "-o", os.path.join(d, "new.csv"))
            self.assertEqual(p.returncode, 0, p.stderr)


class Options(unittest.TestCase):
    def test_score_keeps_every_model(self):
        p = run("score", *Output.SAMPLE_ARGS, "--model", "rfm",
                "--model", "clv")
        self.assertEqual(p.returncode, 0, p.stderr)
        header = p.stdout.splitlines()[0].split(",")
        self.assertIn("rfm.segment", header)
        self.assertIn("clv.value", header)
        p = run("score", *Output.SAMPLE_ARGS, "--model", "rfm", "--set",
                "k_r=3", "--model", "kmeans", "--set", "k=3")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual({r["rfm.r"] for r in rows}, {"1", "2", "3"})
        self.assertIn("kmeans.cluster", rows[0])
        p = run("score", *Output.SAMPLE_ARGS, "--set", "k_r=3", "--model",
                "rfm")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--model it is for", p.stderr)

    def test_events_and_attributes_maps(self):
        with tempfile.TemporaryDirectory() as d:
            events = os.path.join(d, "contacts.csv")
            with open(events, "w") as f:
                f.write("who,when,what\n0001,1997-03-01,call\n"
                        "0001,1997-04-01,call\n0002,1997-03-02,call\n")
            attrs = os.path.join(d, "crm.csv")
            with open(attrs, "w") as f:
                f.write("cust,region\n0001,north\n0002,south\n")
            p = run("features", *Output.SAMPLE_ARGS, "--events", events,
                    "--events-map", "id=who", "--events-map", "time=when",
                    "--events-map", "kind=what", "--attributes", attrs,
                    "--attributes-map", "id=cust")
            self.assertEqual(p.returncode, 0, p.stderr)
            rows = {r["customer_id"]: r
                    for r in csv.DictReader(io.StringIO(p.stdout))}
            self.assertEqual(rows["0001"]["events.call.count"], "2")
            self.assertEqual(rows["0002"]["region"], "south")
            p = run("features", *Output.SAMPLE_ARGS, "--attributes", attrs,
                    "--attributes-map", "id=nope")
            self.assertEqual(p.returncode, 2)
            self.assertIn(attrs, p.stderr)
            self.assertIn("nope", p.stderr)
            p = run("features", *Output.SAMPLE_ARGS, "--events", events,
                    "--events-map", "id=who", "--events-map", "time=when",
                    "--events-map", "kind=typo")
            self.assertEqual(p.returncode, 2)
            self.assertIn(events, p.stderr)
        p = run("features", *Output.SAMPLE_ARGS, "--events-map", "id=x")
        self.assertEqual(p.returncode, 1)

    def test_dash_reads_standard_input(self):
        want = run("features", *Output.SAMPLE_ARGS)
        with open(SAMPLE) as f:
            p = subprocess.run([CLI, "features", "-", *Score.ARGS],
                               stdin=f, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, want.stdout)
        p = subprocess.run([CLI, "features", "-"], input="id,time,amount\n"
                           "a,2024-01-01,x\n", capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("<stdin>:2:3", p.stderr)
        p = run("tier", "-", "--rules", "-")
        self.assertEqual(p.returncode, 1)

    def test_command_help_and_usage(self):
        for command in help_commands():
            with self.subTest(command):
                p = run(command, "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(p.stdout.startswith(
                    f"usage: segment {command}"), p.stdout)
                self.assertIn("--help", p.stdout)
                p = run(command, "--bogus")
                self.assertEqual(p.returncode, 1)
                self.assertIn("unknown option '--bogus'", p.stderr)
                self.assertIn(f"usage: segment {command}", p.stderr)
        p = run("features", SAMPLE, "--as-of")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--as-of needs a value", p.stderr)
        self.assertIn("usage: segment features", p.stderr)
        self.assertIn("--holdout-from", help_options("features"))
        self.assertNotIn("--rules", help_options("features"))

    def test_taken_options_are_used(self):
        for args in (["tier", *Output.SAMPLE_ARGS, "--rules",
                      rules("rfm_actions.rules"), "--model", "rfm",
                      "--capacity", "3"],
                     ["tier", *Output.SAMPLE_ARGS, "--rules",
                      rules("value_tiers.rules"), "--explain", "0001",
                      "--crosstab", "value_tier"],
                     ["features", *Output.SAMPLE_ARGS, "--as-of",
                      "1997-01-01"],
                     ["fit", *Output.SAMPLE_ARGS, "--model", "bgnbd",
                      "--model", "pareto_nbd"],
                     ["report", *Output.SAMPLE_ARGS, "--crosstab", "x",
                      "-o", "/nonexistent-dir/r.html"]):
            p = run(*args)
            self.assertEqual(p.returncode, 1, args)

    def test_one_name_per_meaning(self):
        base = ["tier", *Output.SAMPLE_ARGS, "--model", "rfm", "--rules",
                rules("value_tiers.rules")]
        new = run(*base, "--values", "monetary_total")
        old = run(*base, "--summary", "monetary_total")
        self.assertEqual(new.returncode, 0, new.stderr)
        self.assertEqual(new.stdout, old.stdout)
        self.assertEqual(run(*base, "--crosstab", "rfm.segment").stdout,
                         run(*base, "--cross", "rfm.segment").stdout)
        self.assertEqual(run(*base, "--json").stdout,
                         run(*base, "--format", "json").stdout)
        # in score, --summary is the summary input, as in fit and table
        p = run("score", os.path.join(DATA, "donations.csv"), "--summary",
                "--model", "bgbb", "--set", "weight_column=weights")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("bgbb.", p.stdout.splitlines()[0])
        self.assertNotIn("--summary", help_options("tier"))
        self.assertIn("--values", help_options("tier"))
        self.assertIn("--summary", help_options("fit"))
        # a model's tables and the HTML report are different verbs
        self.assertIn("table", help_commands())
        self.assertIn("report", help_commands())
        self.assertIn("usage: segment table NAME",
                      run("table", "--help").stdout)
        self.assertIn("-o REPORT.html", run("report", "--help").stdout)

    # The CLI passes only the roles named; the loader finds the others by
    # their header.
    def test_map_keeps_header_detection(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            f.write("customer_id,order_date,amount\na,2024-01-01,5\n"
                    "a,2024-02-01,7\nb,2024-01-05,3\n")
        try:
            for extra in ([], ["--map", "id=customer_id"]):
                p = run("features", f.name, "--map", "time=order_date",
                        *extra)
                self.assertEqual(p.returncode, 0, p.stderr)
                rows = {r["customer_id"]: r for r in
                        csv.DictReader(io.StringIO(p.stdout))}
                self.assertEqual(rows["a"]["orders"], "2")
                self.assertEqual(rows["a"]["monetary_total"], "12")
        finally:
            os.unlink(f.name)


def features_of(text, *args):
    """The features command on a CSV given as text: (process, rows by id)."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(text)
    try:
        p = run("features", f.name, *args)
    finally:
        os.unlink(f.name)
    rows = {}
    if p.returncode == 0 and "--json" not in args:
        rows = {r["customer_id"]: r for r in
                csv.DictReader(io.StringIO(p.stdout))}
    return p, rows


class TimeZone(unittest.TestCase):
    BEIJING = ("id,time,amount\n"
               "A,2024-03-01T07:00:00+08:00,10\n"
               "A,2024-03-01T20:00:00+08:00,5\n")

    def test_beijing_orders_are_one_day(self):
        p, rows = features_of(self.BEIJING, "--timezone", "Asia/Shanghai",
                              "--as-of", "2024-03-10")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["orders"], "1")
        self.assertEqual(rows["A"]["T"], "9")
        p, rows = features_of(self.BEIJING, "--as-of", "2024-03-10")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["orders"], "2")

    def test_local_times_and_dst(self):
        text = ("id,time,amount\n"
                "A,2024-03-10 00:30,1\nA,2024-03-10 23:30,2\n"
                "B,2024-11-03 00:30,1\nB,2024-11-03 23:30,2\n")
        p, rows = features_of(text, "--timezone", "America/New_York")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["orders"], "1")
        self.assertEqual(rows["B"]["orders"], "1")
        p, rows = features_of(text, "--timezone", "America/New_York",
                              "--holdout-from", "2024-11-03",
                              "--as-of", "2024-11-03")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["B"]["holdout_orders"], "1")
        self.assertEqual(rows["A"]["orders"], "1")

    def test_every_loading_command_takes_it(self):
        for command in help_commands():
            if "--map" in help_options(command):
                self.assertIn("--timezone", help_options(command), command)

    def test_timestamps_are_iso_in_the_zone(self):
        p, rows = features_of(self.BEIJING, "--timezone", "Asia/Shanghai")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["first_purchase"],
                         "2024-03-01T07:00:00+08:00")
        p, rows = features_of(self.BEIJING)
        self.assertEqual(rows["A"]["last_purchase"], "2024-03-01T12:00:00Z")
        p, rows = features_of(self.BEIJING, "--timezone", "Asia/Shanghai",
                              "--epoch-times")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["first_purchase"], "1709247600")
        import json
        p, _ = features_of(self.BEIJING, "--timezone", "+08:00", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)[0]["last_purchase"],
                         "2024-03-01T07:00:00+08:00")

    def test_unknown_zone_exits_2(self):
        p, _ = features_of(self.BEIJING, "--timezone", "Mars/Olympus_Mons")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--timezone", p.stderr)
        self.assertIn("Mars/Olympus_Mons", p.stderr)
        self.assertIn("not found", p.stderr)


class Returns(unittest.TestCase):
    TEXT = "id,time,amount\nA,2024-01-01,100\nA,2024-02-01,-40\n"

    def test_a_negative_amount_is_a_return(self):
        p, rows = features_of(self.TEXT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["orders"], "1")
        self.assertEqual(rows["A"]["monetary_total"], "60")
        self.assertEqual(rows["A"]["returns"], "1")
        self.assertEqual(rows["A"]["returned_amount"], "40")
        self.assertEqual(rows["A"]["return_rate"], "0.4")

    def test_no_returns_makes_it_an_error(self):
        p, _ = features_of(self.TEXT, "--no-returns")
        self.assertEqual(p.returncode, 2)
        self.assertIn(":3:3: amount '-40' is negative", p.stderr)


class Windows(unittest.TestCase):
    def test_windows_count_the_last_days(self):
        text = ("id,time,amount\n"
                "A,2024-01-01,10\nA,2024-02-20,20\nA,2024-03-01,5\n"
                "A,2024-03-01,7\nA,2024-03-02,99\n")
        p, rows = features_of(text, "--as-of", "2024-03-01",
                              "--windows", "1,30,365")
        self.assertEqual(p.returncode, 0, p.stderr)
        a = rows["A"]
        self.assertEqual((a["orders_1d"], a["monetary_1d"]), ("1", "12"))
        self.assertEqual((a["orders_30d"], a["monetary_30d"]), ("2", "32"))
        self.assertEqual((a["orders_365d"], a["monetary_365d"]), ("3", "42"))
        for bad in ("0", "30,30", "x", "1,2,3,4,5,6,7,8,9", "30,"):
            p, _ = features_of(text, "--windows", bad)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("--windows", p.stderr)

    def test_event_windows(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as ev:
            ev.write("id,time,kind\nA,2024-02-28,visit\nA,2024-01-01,visit\n")
        try:
            p, rows = features_of("id,time,amount\nA,2024-03-01,1\n",
                                  "--events", ev.name, "--windows", "7")
        finally:
            os.unlink(ev.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows["A"]["events.visit.count"], "2")
        self.assertEqual(rows["A"]["events.visit.count_7d"], "1")


class InputIssues(unittest.TestCase):
    def test_cr_line_ends_are_an_error(self):
        p, _ = features_of("id,time,amount\rA,2024-01-01,1\r")
        self.assertEqual(p.returncode, 2)
        self.assertIn("carriage returns alone", p.stderr)

    def test_summary_keeps_its_id_column(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv",
                                         delete=False) as f:
            # the CDNOW summary with its ids written as 00001, 00002 ...
            with open(os.path.join(DATA, "cdnow_customers_summary.csv")) as s:
                lines = s.read().splitlines()
            f.write("customer_id,frequency,t_x,T\n")
            for line in lines[1:]:
                cid, rest = line.split(",", 1)
                f.write("%05d,%s\n" % (int(cid), rest))
        try:
            p = run("score", f.name, "--summary", "--model", "bgnbd")
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual([r["customer_id"] for r in rows[:3]],
                         ["00001", "00002", "00003"])
        self.assertEqual(len(rows), 2357)
        self.assertEqual(list(rows[0])[:2], ["customer_id", "frequency"])

    def test_amounts_that_overflow_name_the_customer(self):
        p, _ = features_of("id,time,amount\nbig,2024-01-01,1e308\n"
                           "big,2024-01-02,1e308\n")
        self.assertEqual(p.returncode, 2)
        self.assertIn("customer 'big'", p.stderr)


class Columns(unittest.TestCase):
    """--columns, the narrow default of score --model rfm, --timings, and
    the load of a large file on one thread and on two."""
    ARGS = [SAMPLE, *Score.ARGS]
    RFM_OUT = ["rfm.r", "rfm.f", "rfm.m", "rfm.score", "rfm.total",
               "rfm.segment"]

    def table(self, *args):
        p = run(*args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return list(csv.DictReader(io.StringIO(p.stdout))), p

    def test_score_rfm_writes_its_inputs_and_outputs(self):
        narrow, _ = self.table("score", *self.ARGS, "--model", "rfm")
        full, _ = self.table("score", *self.ARGS, "--model", "rfm",
                             "--columns", "all")
        self.assertEqual(list(narrow[0]), ["customer_id", "recency", "orders",
                                           "monetary_total", *self.RFM_OUT])
        self.assertIn("first_purchase", full[0])
        self.assertEqual(len(narrow), 2357)
        for a, b in zip(narrow, full):
            self.assertEqual(a, {k: b[k] for k in a})
        # the model's own columns follow its parameters
        cols, _ = self.table("score", *self.ARGS, "--model", "rfm", "--set",
                             "f_column=frequency")
        self.assertEqual(list(cols[0])[:4], ["customer_id", "recency",
                                             "frequency", "monetary_total"])
        # only the features the models read are computed: a column named
        # by another of their parameters too (the value preset's)
        value = ["--model", "rfm", "--set", "segments=value", "--set",
                 "value_column=monetary_mean"]
        narrow, _ = self.table("score", *self.ARGS, *value)
        full, _ = self.table("score", *self.ARGS, *value, "--columns", "all")
        self.assertEqual(len(narrow), 2357)
        self.assertGreater(len({a["rfm.segment"] for a in narrow}), 1)
        for a, b in zip(narrow, full):
            self.assertEqual(a, {k: b[k] for k in a})
        # other models, or rule sets, keep every column
        both, _ = self.table("score", *self.ARGS, "--model", "rfm",
                             "--model", "kmeans", "--set", "k=3")
        self.assertIn("first_purchase", both[0])
        # a summary file's columns are the user's own: all written back
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.csv")
            with open(path, "w") as f:
                f.write("id,recency,orders,monetary_total,region\n"
                        "a,3,2,10.5,7\nb,30,1,4,8\nc,9,5,99.25,7\n")
            rows, _ = self.table("score", path, "--summary", "--map",
                                 "id=id", "--model", "rfm", "--set", "k_r=3",
                                 "--set", "k_f=3", "--set", "k_m=3")
        self.assertEqual(list(rows[0])[:5], ["customer_id", "recency",
                                             "orders", "monetary_total",
                                             "region"])

    def test_columns_in_the_order_given(self):
        rows, _ = self.table("score", *self.ARGS, "--model", "rfm",
                             "--columns", "rfm.segment,orders")
        self.assertEqual(list(rows[0]), ["customer_id", "rfm.segment",
                                         "orders"])
        feats, _ = self.table("features", *self.ARGS, "--columns", "T")
        self.assertEqual(list(feats[0]), ["customer_id", "T"])
        p = run("features", *self.ARGS, "--columns", "T", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(set(json.loads(p.stdout)[0]), {"customer_id", "T"})

    def test_columns_errors_write_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            p = run("score", *self.ARGS, "--model", "rfm", "--columns",
                    "orders,nope", "-o", out)
            self.assertEqual(p.returncode, 2)
            self.assertIn("no column 'nope'", p.stderr)
            self.assertFalse(os.path.exists(out))
        p = run("score", *self.ARGS, "--model", "rfm", "--columns", "a,,b")
        self.assertEqual(p.returncode, 2)
        self.assertIn("empty column name", p.stderr)
        p = run("score", *self.ARGS, "--model", "rfm", "--by", "rfm.segment",
                "--columns", "orders")
        self.assertEqual(p.returncode, 1)
        self.assertIn("--columns is for the table", p.stderr)

    def test_timings_leave_the_output_alone(self):
        plain = run("score", *self.ARGS, "--model", "rfm")
        timed = run("score", *self.ARGS, "--model", "rfm", "--timings")
        self.assertEqual(timed.returncode, 0, timed.stderr)
        self.assertEqual(plain.stdout, timed.stdout)
        lines = [line.split() for line in timed.stderr.splitlines()
                 if line.startswith("segment: timing: ")]
        self.assertEqual([w[2] for w in lines],
                         ["load", "features", "models", "write", "total"])
        # each phase: wall and processor seconds, then the peak resident
        # memory so far, which never goes down and is more than nothing
        for w in lines:
            self.assertEqual(w[4:6] + w[7:9] + w[10:], ["s", "wall", "s",
                                                      "cpu", "MiB", "peak"])
        peaks = [float(w[9]) for w in lines]
        self.assertEqual(peaks, sorted(peaks))
        self.assertGreater(peaks[0], 0.5)

    def test_large_file_on_one_thread_as_on_two(self):
        """A file large enough for the batched load (4 MiB and more) gives
        byte for byte the table of two threads, and of the record-by-record
        loader (which a quote in the first line brings in); the totals
        match sums taken here in integer cents."""
        import random
        rnd = random.Random(13)
        lines, cents, days = [], {}, {}
        for i in range(220000):
            cid = "%09d" % rnd.randrange(100000000, 100000000 + 30000)
            c = rnd.randrange(1, 100000)
            day = 1 + i * 1000 // 220000
            lines.append("%s,%d,%d.%02d" % (cid, 1577836800 + day * 86400,
                                            c // 100, c % 100))
            cents[cid] = cents.get(cid, 0) + c
            days.setdefault(cid, set()).add(day)  # orders are purchase days
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "plain.csv")
            quoted = os.path.join(d, "quoted.csv")
            with open(plain, "w") as f:
                f.write("id,time,amount\n" + "\n".join(lines) + "\n")
            first, rest = lines[0].split(",", 1)
            with open(quoted, "w") as f:
                f.write("id,time,amount\n\"%s\",%s\n" % (first, rest) +
                        "\n".join(lines[1:]) + "\n")
            self.assertGreater(os.path.getsize(plain), 4 << 20)
            args = ["--as-of", "2022-12-31", "--columns",
                    "orders,monetary_total,recency,first_purchase"]
            outs = [run("features", path, *args, "--threads", t)
                    for path, t in ((plain, "1"), (plain, "2"),
                                    (quoted, "1"))]
        for p in outs:
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(outs[0].stdout, outs[1].stdout)
        self.assertEqual(outs[0].stdout, outs[2].stdout)
        rows = list(csv.DictReader(io.StringIO(outs[0].stdout)))
        self.assertEqual(len(rows), len(cents))
        for r in rows:
            cid = r["customer_id"]
            self.assertEqual(int(r["orders"]), len(days[cid]))
            self.assertAlmostEqual(float(r["monetary_total"]) * 100,
                                   cents[cid], delta=1e-6 * (1 + abs(cents[cid])))


class ManPage(unittest.TestCase):
    def test_man_page_documents_every_command(self):
        sections = man_sections()
        documented = [item.split()[1] for item in sections["COMMANDS"]]
        self.assertEqual(documented, help_commands())

    def test_man_page_documents_every_option(self):
        listed = set()
        for command in help_commands():
            listed |= help_options(command)
        documented = set()
        for item in man_sections()["OPTIONS"]:
            for word in item.replace(",", " ").replace('"', " ").split():
                if word.startswith("-"):
                    documented.add(word.split("=")[0])
        self.assertEqual(documented - {"--version"}, listed)


if __name__ == "__main__":
    unittest.main()
