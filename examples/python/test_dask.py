"""libsegment.dask on a real distributed.LocalCluster (two worker
processes), against one process running the same pipeline on the same
data; run by meson test, skipped (77) without dask and distributed."""
import importlib.util
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

MISSING = [m for m in ("numpy", "pandas", "dask", "distributed")
           if importlib.util.find_spec(m) is None]
if MISSING:
    print("skipped: %s not installed (apt-get install python3-dask "
          "python3-distributed)" % ", ".join(MISSING))
    sys.exit(77)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import libsegment  # noqa: E402
import libsegment.dask as lsd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SAMPLE = os.environ.get("SEG_SAMPLE", os.path.join(
    SOURCE, "examples", "data", "cdnow_sample.txt"))
GEN = os.path.join(SOURCE, "tests", "bench", "gen_orders.py")
VALUE_TIERS = os.path.join(SOURCE, "examples", "rules", "value_tiers.rules")

# Statistics of features and of a model's output (one more pass), in a
# string and a comment that must be left alone.
RULES = """output "mix"
# p10(orders) in a comment is not a statistic
tier "top" when monetary_total >= p80(monetary_total)
    and recency < mean(recency) + stddev(T)
tier "named" when `monetary_mean` > p99.5(`monetary_mean`)
tier "rfm" when rfm.total > median(rfm.total) and orders >= min(orders) + 1
tier "low" when monetary_total < sum(monetary_total) / 1e6 -- or max(T)
otherwise "p50(x) rest"
"""
MODELS = [("rfm", {}), ("rfm", {"name": "cn", "segments": "cn8"}),
          ("bgnbd", {}), ("gamma_gamma", {}), ("clv", {"name": "value"})]
PARAMS = {"rfm": [], "cn": [], "bgnbd": ["r", "alpha", "a", "b"],
          "gamma_gamma": ["p", "q", "gamma"],
          "value": ["r", "alpha", "a", "b", "spend.p", "spend.q",
                    "spend.gamma"]}


def single_process(load, as_of, unit, rules, kinds=MODELS):
    """The pipeline in one process, from the file, with no dask."""
    ds = libsegment.Dataset()
    load(ds)
    ds.compute_features(as_of=as_of, unit=unit)
    models = {}
    for kind, params in kinds:
        params = dict(params)
        m = libsegment.Model(kind, name=params.pop("name", None), **params)
        m.fit(ds)
        m.score(ds)
        models[m.name] = m
    for text in rules:
        libsegment.Rules(text).apply(ds)
    return ds, models


def run_dask(ddf, as_of, unit, rules, models=MODELS, **kw):
    results = []
    for text in rules:
        results.append(lsd.run(ddf, models=models, rules=text, as_of=as_of,
                               unit=unit, **kw))
    return results


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.space = tempfile.TemporaryDirectory()
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   local_directory=cls.space.name)
        cls.client = Client(cls.cluster)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()
        cls.space.cleanup()

    def compare(self, ds, models, results):
        self.assertEqual(len(self.client.scheduler_info()["workers"]), 2)
        ref = {c: (ds.column(c) if ds.column_type(c) == "label"
                   else ds.column(c, raw=True)) for c in ds.columns()}
        ids = ds.ids()
        for res in results:
            self.assertEqual(res.customers, len(ds))
            for name, m in models.items():
                got = res.models[name].results
                for p in PARAMS[name]:
                    want = m.results[p]
                    self.assertLessEqual(abs(got[p] - want),
                                         1e-9 * abs(want), (name, p))
                if PARAMS[name]:  # the same weighted rows
                    self.assertEqual(got["rows"], m.results["rows"])
            out = res.frame.compute()
            self.assertEqual(len(out), len(ds))
            self.assertTrue(out.index.is_unique)
            out = out.loc[ids]
            for c in out.columns:
                if c not in ref:
                    continue
                got = out[c].to_numpy()
                if ref[c].dtype == object:
                    self.assertEqual(list(got), list(ref[c]), c)
                else:
                    self.assertTrue(np.array_equal(got.astype(np.float64),
                                                   ref[c], equal_nan=True),
                                    c)
            self.assertTrue(set(ref) <= set(out.columns) | {"mix", "mix.rule",
                                                           "value_tier",
                                                           "value_tier.rule"})

    def test_cdnow_sample(self):
        t0 = time.time()
        raw = pd.read_csv(SAMPLE, delim_whitespace=True, header=None,
                          dtype={0: str, 1: str, 2: str})
        tx = pd.DataFrame({"customer_id": raw[1],
                           "time": pd.to_datetime(raw[2], format="%Y%m%d"),
                           "amount": raw[4]})
        ddf = lsd.partition_by_customer(
            dd.from_pandas(tx, npartitions=3, sort=False), npartitions=4)
        with open(VALUE_TIERS, encoding="utf-8") as f:
            rules = [RULES, f.read()]
        ds, models = single_process(
            lambda d: d.load_csv(SAMPLE, id=2, time=3, amount=5,
                                 header=False), "1997-09-30", "week", rules)
        results = run_dask(ddf, "1997-09-30", "week", rules)
        self.compare(ds, models, results)
        stats = results[0].statistics
        self.assertIn("median(rfm.total)", stats)
        self.assertIn("p99.5(monetary_mean)", stats)
        self.assertEqual(stats["min(orders)"], 1.0)
        # independent: numpy over the single process's columns
        mt = ds.column("monetary_total", raw=True)
        self.assertAlmostEqual(stats["p80(monetary_total)"],
                               float(np.quantile(mt, 0.8)), delta=1e-12)
        self.assertAlmostEqual(stats["stddev(T)"],
                               float(np.std(ds.column("T", raw=True),
                                            ddof=1)), delta=1e-12)
        # a sum is correctly rounded here; one process adds in row order
        # (lib/rules/binder.c): within (k - 1) 2^-53 sum|x| of each other
        naive = 0.0
        for x in mt:
            naive += x
        bound = (len(mt) - 1) * 2.0 ** -53 * float(np.abs(mt).sum())
        self.assertLessEqual(abs(stats["sum(monetary_total)"] - naive),
                             bound)
        self.assertEqual(stats["sum(monetary_total)"], math.fsum(mt))
        self.assertIn("p50(x) rest", results[0].rules_text)
        self.assertIn("p10(orders) in a comment", results[0].rules_text)
        print("cdnow sample: %.1f s" % (time.time() - t0))

    def test_generated_50k(self):
        t0 = time.time()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "orders.csv")
            subprocess.run([sys.executable, GEN, "50000", "250000", path,
                            "--seed", "17"], check=True,
                           stdout=subprocess.DEVNULL)
            ddf = dd.read_csv(path, dtype={"customer_id": str},
                              parse_dates=["date"], blocksize=2_000_000)
            ddf = lsd.partition_by_customer(ddf, npartitions=4)
            rules = [RULES]
            # clv refits the same two models: left to the sample's case
            kinds = MODELS[:4]
            # as_of None: the latest transaction, found over the partitions
            ds, models = single_process(
                lambda x: x.load_csv(path, id="customer_id", time="date",
                                     amount="amount"), None, "week", rules,
                kinds)
            results = run_dask(ddf, None, "week", rules, kinds, time="date")
            self.compare(ds, models, results)
        print("50k customers: %.1f s" % (time.time() - t0))

    def test_errors(self):
        raw = pd.DataFrame({"customer_id": ["a", "b", "a", "b"],
                            "time": pd.to_datetime(["2024-01-01"] * 2 +
                                                   ["2024-02-01"] * 2),
                            "amount": [1.0, 2.0, 3.0, 4.0]})
        split = dd.from_pandas(raw, npartitions=2, sort=False)
        with self.assertRaisesRegex(ValueError, "more than one partition"):
            lsd.run(split, models=["rfm"])
        whole = lsd.partition_by_customer(split, npartitions=2)
        with self.assertRaisesRegex(ValueError, "kmeans"):
            lsd.run(whole, models=["kmeans"])
        with self.assertRaisesRegex(ValueError, "two models are named"):
            lsd.run(whole, models=["rfm", "rfm"])
        with self.assertRaises(libsegment.SegmentError):
            lsd.run(whole, rules='tier "x" when orders >')
        with self.assertRaisesRegex(ValueError, "no partition has"):
            lsd.run(whole, rules='tier "x" when orders > p50(nothing)')
        res = lsd.run(whole, models=["rfm"], rules='tier "x" when orders > '
                      'mean(orders)\notherwise "y"')
        out = res.frame.compute().sort_index()
        self.assertEqual(list(out["tier"]), ["y", "y"])
        self.assertEqual(res.statistics, {"mean(orders)": 2.0})


class Statistics(unittest.TestCase):
    """The statistics parser and arithmetic, without a cluster."""

    def test_spans(self):
        text = ('tier "p80(a)" when `x y` > p80(`x y`) and b>=mean( b ) '
                "# max(c)\n-- sum(d)\nand e = 'min(e)' and f < stddev(f.g)")
        found = [(n, p, c) for _, _, n, p, c in lsd.rule_statistics(text)]
        self.assertEqual(found, [("p80", 80.0, "x y"), ("mean", None, "b"),
                                 ("stddev", None, "f.g")])

    def test_quantile_matches_a_hand_computation(self):
        v = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
        # h = 4 * 0.3 = 1.2: 2 + 0.2 * (4 - 2)
        self.assertEqual(lsd._statistic("p", 30.0, v), 2.4)
        self.assertEqual(lsd._statistic("median", None, v), 4.0)
        self.assertEqual(lsd._statistic("p", 100.0, v), 16.0)
        self.assertEqual(lsd._statistic("stddev", None, np.array([2.0, 4.0,
                                                                  4.0, 4.0,
                                                                  5.0, 5.0,
                                                                  7.0, 9.0])),
                         math.sqrt(32 / 7))
        self.assertTrue(math.isnan(lsd._statistic("mean", None,
                                                  np.array([np.nan]))))

    def test_literals_round_trip(self):
        for v in (0.1, -2.5, 1e-300, 93.72200000000004):
            text = lsd._literal(v)
            ds = libsegment.Dataset()
            ds.set_attributes("x", ["a"], [v])
            libsegment.Rules('tier "eq" when x = %s\notherwise "ne"'
                             % text).apply(ds)
            self.assertEqual(ds.column("tier")[0], "eq", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
