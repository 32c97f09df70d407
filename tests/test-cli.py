#!/usr/bin/env python3
"""The segment CLI: output, help, version and exit codes."""
import csv
import io
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
        for part in ["Tier sizes and revenue shares", "RFM: customers by",
                     "Customer lifetime value", "Holdout: predicted",
                     "Cluster profiles", "value_tier by rfm.segment"]:
            self.assertIn(part, html)
        self.assertGreaterEqual(html.count("<svg"), 4)
        self.assertNotIn("<script", html)
        self.assertNotIn("http://", html)
        self.assertNotIn("https://", html)
        p = run("report", SAMPLE, *Score.ARGS)
        self.assertEqual(p.returncode, 1)

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


if __name__ == "__main__":
    unittest.main()
