"""Tests of the ctypes binding; run by meson test."""
import gc
import os
import sys
import tempfile
import unittest

import segment

SAMPLE = os.environ.get("SEG_SAMPLE", os.path.join(
    os.path.dirname(__file__), "..", "data", "cdnow_sample.txt"))


def cdnow():
    ds = segment.Dataset()
    ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
    ds.compute_features(as_of="1997-09-30", unit="week")
    return ds


class Binding(unittest.TestCase):
    def test_struct_layouts_match_the_library(self):
        import ctypes
        o = segment._CsvOptions()
        segment._csv_init(ctypes.byref(o))
        self.assertEqual(o.size, ctypes.sizeof(segment._CsvOptions))
        f = segment._FeatureOptions()
        segment._fo_init(ctypes.byref(f))
        self.assertEqual(f.size, ctypes.sizeof(segment._FeatureOptions))

    def test_features_and_columns(self):
        ds = cdnow()
        self.assertEqual(len(ds), 2357)
        self.assertIn("frequency", ds.columns())
        freq = ds.column("frequency")
        self.assertEqual(len(freq), 2357)
        self.assertEqual(float(freq[ds.row("0001")]), 2.0)

    def test_threads_give_the_same_columns(self):
        one = segment.Dataset()
        one.set_threads(1)
        one.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        one.compute_features(as_of="1997-09-30", unit="week")
        four = segment.Dataset()
        four.set_threads(4)
        four.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        four.compute_features(as_of="1997-09-30", unit="week")
        self.assertEqual(list(one.column("T")), list(four.column("T")))
        with self.assertRaises(segment.SegmentError):
            one.set_threads(-1)

    def test_models_and_results(self):
        ds = cdnow()
        m = segment.Model("bgnbd").fit(ds)
        r = m.results
        self.assertAlmostEqual(r["r"], 0.243, 3)
        self.assertAlmostEqual(r["b"], 2.426, 3)
        self.assertAlmostEqual(m.eval("expected", 39, 2, 30.43, 38.86), 1.226,
                               3)
        rfm = segment.Model("rfm", name="v", segments="cn8", language="zh")
        rfm.fit(ds)
        rfm.score(ds)
        self.assertIn(ds.column("v.segment")[0], ["重要价值客户", "一般发展客户",
                                                  "重要保持客户", "一般价值客户",
                                                  "重要发展客户", "重要挽留客户",
                                                  "一般保持客户", "一般挽留客户"])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.model")
            m.save(path)
            back = segment.Model.load(path)
            self.assertEqual(back.kind, "bgnbd")
            self.assertEqual(back.results["r"], r["r"])

    def test_errors_carry_the_message(self):
        with self.assertRaises(segment.SegmentError) as e:
            segment.Model("nope")
        self.assertIn("known: rfm", str(e.exception))
        self.assertEqual(e.exception.code, -5)
        ds = cdnow()
        rules = segment.Rules('tier "VIP" when monetry >= 100', "t.rules")
        with self.assertRaises(segment.SegmentError) as e:
            rules.apply(ds)
        self.assertIn("did you mean 'monetary_total'", str(e.exception))
        with self.assertRaises(segment.SegmentError) as e:
            segment.Rules('tier "x" monetary_total > 1')
        self.assertIn("expected 'when'", str(e.exception))
        with self.assertRaises(segment.SegmentError):
            segment.Model("rfm", k_r=99)

    def test_rules_and_explanations(self):
        ds = cdnow()
        r = segment.Rules('output "tier"\n'
                          'tier "VIP" when monetary_total >= p80(monetary_total)\n'
                          'otherwise "other"')
        r.apply(ds)
        self.assertEqual(set(ds.column("tier")), {"VIP", "other"})
        text = r.explain(ds, "0001")
        self.assertIn("customer 0001", text)
        js = r.explain(ds, "0001", json=True)
        self.assertEqual(js["customer_id"], "0001")
        self.assertIn("count,share", ds.summary("tier", ["monetary_total"]))

    def test_bulk_adds(self):
        ds = segment.Dataset()
        ds.add_transactions(["张三", "李四", "张三"],
                            ["2024-01-01", "2024-01-02", 1704240000],
                            [10, 20.5, 3])
        ds.add_events(["李四"], ["2024-01-03"], ["visit"], [None])
        ds.compute_features()
        self.assertEqual(ds.ids(), ["张三", "李四"])
        self.assertEqual(list(ds.column("orders")), [2.0, 1.0])
        self.assertIn('"customer_id":"张三"', ds.export(format="json"))

    def test_free_in_any_order(self):
        # finalizers run in any order: a model or rule set outlives the
        # dataset it used, and a dataset outlives both
        ds = cdnow()
        m = segment.Model("rfm").fit(ds)
        r = segment.Rules('tier "a" when orders > 1')
        del ds
        gc.collect()
        ds2 = cdnow()
        m.score(ds2)
        r.apply(ds2)
        del m, r
        gc.collect()
        self.assertEqual(len(ds2.column("rfm.score")), 2357)

    @unittest.skipUnless(__import__("importlib").util.find_spec("numpy"),
                         "numpy is not installed")
    def test_numpy_zero_copy(self):
        import numpy
        ds = cdnow()
        a = ds.column("T")
        self.assertIsInstance(a, numpy.ndarray)
        self.assertFalse(a.flags.writeable)
        self.assertFalse(a.flags.owndata)  # the library's memory
        b = ds.column("T")
        self.assertTrue(numpy.shares_memory(a, b))
        del ds
        gc.collect()
        self.assertAlmostEqual(float(a.max()), 272 / 7, 9)  # still alive

    @unittest.skipUnless(__import__("importlib").util.find_spec("pandas"),
                         "pandas is not installed")
    def test_pandas(self):
        ds = cdnow()
        df = ds.to_pandas()
        self.assertEqual(len(df), 2357)
        self.assertEqual(df.index.name, "customer_id")
        self.assertEqual(float(df.loc["0001", "frequency"]), 2.0)


if __name__ == "__main__":
    unittest.main()
