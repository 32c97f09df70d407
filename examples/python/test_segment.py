"""Tests of the ctypes binding; run by meson test."""
import gc
import importlib.util
import math
import os
import sys
import tempfile
import unittest

import libsegment
from libsegment import _native

SAMPLE = os.environ.get("SEG_SAMPLE", os.path.join(
    os.path.dirname(__file__), "..", "data", "cdnow_sample.txt"))


needs_numpy = unittest.skipUnless(importlib.util.find_spec("numpy"),
                                  "numpy is not installed")
needs_pandas = unittest.skipUnless(importlib.util.find_spec("pandas"),
                                   "pandas is not installed")


def cdnow():
    ds = libsegment.Dataset()
    ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
    ds.compute_features(as_of="1997-09-30", unit="week")
    return ds


class Binding(unittest.TestCase):
    def test_struct_layouts_match_the_library(self):
        import ctypes
        o = _native.CsvOptions()
        _native.csv_init(ctypes.byref(o))
        self.assertEqual(o.size, ctypes.sizeof(_native.CsvOptions))
        f = _native.FeatureOptions()
        _native.fo_init(ctypes.byref(f))
        self.assertEqual(f.size, ctypes.sizeof(_native.FeatureOptions))
        o = _native.SnapshotOptions()
        _native.sn_init(ctypes.byref(o))
        self.assertEqual(o.size, ctypes.sizeof(_native.SnapshotOptions))

    def test_features_and_columns(self):
        ds = cdnow()
        self.assertEqual(len(ds), 2357)
        self.assertIn("frequency", ds.columns())
        freq = ds.column("frequency")
        self.assertEqual(len(freq), 2357)
        self.assertEqual(float(freq[ds.row("0001")]), 2.0)

    def test_features_named_only(self):
        ds = libsegment.Dataset()
        ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        ds.compute_features(as_of="1997-09-30", unit="week",
                            columns=["T", "frequency", "nope"])
        cols = ds.columns()
        self.assertIn("T", cols)
        self.assertIn("frequency", cols)
        self.assertNotIn("recency", cols)
        self.assertNotIn("nope", cols)
        full = cdnow()
        self.assertEqual(list(ds.column("T")), list(full.column("T")))

    def test_threads_give_the_same_columns(self):
        one = libsegment.Dataset()
        one.set_threads(1)
        one.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        one.compute_features(as_of="1997-09-30", unit="week")
        four = libsegment.Dataset()
        four.set_threads(4)
        four.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        four.compute_features(as_of="1997-09-30", unit="week")
        self.assertEqual(list(one.column("T")), list(four.column("T")))
        with self.assertRaises(libsegment.SegmentError):
            one.set_threads(-1)

    def test_models_and_results(self):
        ds = cdnow()
        m = libsegment.Model("bgnbd").fit(ds)
        r = m.results
        self.assertAlmostEqual(r["r"], 0.243, 3)
        self.assertAlmostEqual(r["b"], 2.426, 3)
        self.assertAlmostEqual(m.eval("expected", 39, 2, 30.43, 38.86), 1.226,
                               3)
        rfm = libsegment.Model("rfm", name="v", segments="cn8", language="zh")
        rfm.fit(ds)
        rfm.score(ds)
        self.assertIn(ds.column("v.segment")[0], ["重要价值客户", "一般发展客户",
                                                  "重要保持客户", "一般价值客户",
                                                  "重要发展客户", "重要挽留客户",
                                                  "一般保持客户", "一般挽留客户"])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.model")
            m.save(path)
            back = libsegment.Model.load(path)
            self.assertEqual(back.kind, "bgnbd")
            self.assertEqual(back.results["r"], r["r"])

    def test_errors_carry_the_message(self):
        with self.assertRaises(libsegment.SegmentError) as e:
            libsegment.Model("nope")
        self.assertIn("known: rfm", str(e.exception))
        self.assertEqual(e.exception.code, -5)
        ds = cdnow()
        rules = libsegment.Rules('tier "VIP" when monetry >= 100', "t.rules")
        with self.assertRaises(libsegment.SegmentError) as e:
            rules.apply(ds)
        self.assertIn("did you mean 'monetary_total'", str(e.exception))
        with self.assertRaises(libsegment.SegmentError) as e:
            libsegment.Rules('tier "x" monetary_total > 1')
        self.assertIn("expected 'when'", str(e.exception))
        with self.assertRaises(libsegment.SegmentError):
            libsegment.Model("rfm", k_r=99)

    def test_progress_and_cancellation(self):
        ds = libsegment.Dataset()
        seen = []
        ds.set_progress(lambda stage, done, total:
                        seen.append((stage, done, total)))
        ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        self.assertEqual(seen[0], ("load", 0, os.path.getsize(SAMPLE)))
        ds.compute_features(as_of="1997-09-30", unit="week")
        self.assertEqual(seen[-1][0], "features")
        before = ds.columns()
        # a true result stops the call: nothing changes
        ds.set_progress(lambda stage, done, total: stage == "score")
        m = libsegment.Model("rfm")
        m.fit(ds)
        with self.assertRaises(libsegment.SegmentError) as e:
            m.score(ds)
        self.assertEqual(e.exception.code, libsegment.ECANCELED)
        self.assertIn("canceled", str(e.exception))
        self.assertEqual(ds.columns(), before)

        # an exception in the callback stops the call and comes back
        def interrupt(stage, done, total):
            raise KeyboardInterrupt
        ds.set_progress(interrupt)
        with self.assertRaises(KeyboardInterrupt):
            libsegment.Model("bgnbd").fit(ds)
        ds.set_progress(None)
        m.score(ds)
        self.assertIn("rfm.score", ds.columns())

    def test_rules_and_explanations(self):
        ds = cdnow()
        r = libsegment.Rules('output "tier"\n'
                          'tier "VIP" when monetary_total >= p80(monetary_total)\n'
                          'otherwise "other"')
        r.apply(ds)
        self.assertEqual(set(ds.column("tier")), {"VIP", "other"})
        text = r.explain(ds, "0001")
        self.assertIn("customer 0001", text)
        js = r.explain(ds, "0001", json=True)
        self.assertEqual(js["customer_id"], "0001")
        self.assertIn("count,share", ds.summary("tier", ["monetary_total"]))

    def test_snapshots_and_transitions(self):
        ds = libsegment.Dataset()
        ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        r = libsegment.Rules('output "rt"\n'
                             'tier "active" when recency <= 60d\n'
                             'otherwise "idle"')
        s = ds.snapshots(["1997-03-31", "1997-06-30", "1997-09-30"], r,
                         models=[libsegment.Model("rfm")])
        self.assertEqual(s.columns, ["rt@1997-03-31", "rt@1997-06-30",
                                     "rt@1997-09-30"])
        self.assertEqual(len(s.dates), 3)
        a, b = list(ds.column(s.columns[1])), list(ds.column(s.columns[2]))
        self.assertEqual(list(ds.column("rt.previous")), a)
        t = s.transitions()
        self.assertEqual(t.columns, ["from", "to", "customers", "revenue",
                                     "share"])
        pairs = {}
        for x, y in zip(a, b):
            pairs[(x, y)] = pairs.get((x, y), 0) + 1
        self.assertEqual({(f, g): n for f, g, n, _, _ in t.rows()}, pairs)
        if importlib.util.find_spec("pandas"):
            df = t.to_pandas()
            self.assertEqual(int(df["customers"].sum()), len(ds))
        with self.assertRaises(libsegment.SegmentError):
            ds.snapshots(["1997-06-30", "1997-03-31"], r)

    def test_bulk_adds(self):
        ds = libsegment.Dataset()
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
        m = libsegment.Model("rfm").fit(ds)
        r = libsegment.Rules('tier "a" when orders > 1')
        del ds
        gc.collect()
        ds2 = cdnow()
        m.score(ds2)
        r.apply(ds2)
        del m, r
        gc.collect()
        self.assertEqual(len(ds2.column("rfm.score")), 2357)

    @needs_numpy
    def test_numpy_column_is_a_copy(self):
        # A view of the library's memory would dangle once the column is
        # replaced or the dataset freed: every column is a copy.
        import numpy
        ds = cdnow()
        a = ds.column("T")
        self.assertIsInstance(a, numpy.ndarray)
        self.assertTrue(a.flags.owndata)
        b = ds.column("T")
        self.assertFalse(numpy.shares_memory(a, b))
        del ds
        gc.collect()
        self.assertAlmostEqual(float(a.max()), 272 / 7, 9)  # still alive

    @needs_pandas
    def test_pandas(self):
        ds = cdnow()
        df = ds.to_pandas()
        self.assertEqual(len(df), 2357)
        self.assertEqual(df.index.name, "customer_id")
        self.assertEqual(float(df.loc["0001", "frequency"]), 2.0)


HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("SEG_PYTHON_SOURCE", HERE)


def run_python(code, env_extra=None, drop=(), cwd=None):
    """Run code in a fresh interpreter; returns (returncode, stdout+stderr)."""
    import subprocess
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    for key in drop:
        env.pop(key, None)
    env.update(env_extra or {})
    p = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    return p.returncode, p.stdout


def pip_missing():
    """Why `pip install --no-build-isolation` cannot build here, or None."""
    for module in ("pip", "setuptools"):
        if importlib.util.find_spec(module) is None:
            return "%s is not installed for %s" % (module, sys.executable)
    # asked in a fresh interpreter: setuptools does not import cleanly
    # after numpy and pandas have imported distutils
    rc, out = run_python("import setuptools; print(setuptools.__version__)")
    if rc != 0:
        return "setuptools does not import: " + out
    version = tuple(int(x) for x in out.split()[-1].split(".")[:2])
    # older setuptools builds wheels through the separate wheel package
    if version < (70, 1) and importlib.util.find_spec("wheel") is None:
        return "setuptools %s needs the wheel package, not installed for %s" \
            % (out.split()[-1], sys.executable)
    return None


class Install(unittest.TestCase):
    def test_pip_install_into_a_target(self):
        why = pip_missing()
        if why:
            self.skipTest(why)
        import shutil
        import subprocess
        with tempfile.TemporaryDirectory() as d:
            # a copy, so that the build leaves nothing in the source tree
            src = os.path.join(d, "src")
            shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns(
                "build", "*.egg-info", "__pycache__", "libsegment.so*"))
            target = os.path.join(d, "site")
            p = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--no-build-isolation",
                 "--no-deps", "--no-index", "--disable-pip-version-check",
                 "--target", target, src],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                universal_newlines=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout)
            code = ("import libsegment, sys; print(libsegment.__file__); "
                    "print(libsegment.library_path); "
                    "print(libsegment.library_version())")
            rc, out = run_python(code, {"PYTHONPATH": target}, cwd=d)
            self.assertEqual(rc, 0, out)
            lines = out.splitlines()
            self.assertTrue(lines[0].startswith(target), out)
            self.assertEqual(lines[1], os.environ["SEGMENT_LIBRARY"])
            self.assertEqual(lines[2], libsegment.library_version())
            # a library next to the package is found without the variable
            bundled = os.path.join(target, "libsegment", "libsegment.so.0")
            shutil.copy(os.environ["SEGMENT_LIBRARY"], bundled)
            rc, out = run_python(code, {"PYTHONPATH": target},
                                 drop=["SEGMENT_LIBRARY"], cwd=d)
            self.assertEqual(rc, 0, out)
            self.assertEqual(out.splitlines()[1], bundled)

    def test_a_missing_library_says_how_to_point_at_it(self):
        rc, out = run_python(
            "import sys; sys.path.insert(0, %r)\n"
            "try:\n    import libsegment\n"
            "except ImportError as e:\n"
            "    print(type(e).__name__); print(e); sys.exit(3)\n" % HERE,
            {"SEGMENT_LIBRARY": "/nonexistent/libsegment.so.0"})
        self.assertEqual(rc, 3, out)
        self.assertIn("LibraryNotFoundError", out)
        self.assertIn("SEGMENT_LIBRARY=/path/to/libsegment.so.0", out)
        self.assertIn("ldconfig", out)
        self.assertIn("/nonexistent/libsegment.so.0", out)

    def test_without_numpy_columns_are_lists(self):
        rc, out = run_python(
            "import sys; sys.path.insert(0, %r)\n"
            "sys.modules['numpy'] = None; sys.modules['pandas'] = None\n"
            "import libsegment\n"
            "ds = libsegment.Dataset()\n"
            "ds.add_transactions(['a', 'b', 'a'], ['2024-01-01', "
            "'2024-01-02', 1704240000], [10, 20.5, 3])\n"
            "ds.set_attributes('city', ['a', 'b'], ['Oslo', None])\n"
            "ds.compute_features()\n"
            "print(ds.column('orders'), ds.column('city'))\n" % HERE)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.strip(), "[2.0, 1.0] ['Oslo', None]")


class BulkErrors(unittest.TestCase):
    def test_bad_rows_add_nothing(self):
        ds = libsegment.Dataset()
        with self.assertRaisesRegex(ValueError, "row 1: missing ids"):
            ds.add_transactions(["a", None], [1, 2], [1, 2])
        with self.assertRaisesRegex(ValueError, "NUL"):
            ds.add_transactions(["a", "b\0c"], [1, 2], [1, 2])
        with self.assertRaisesRegex(ValueError, "lengths differ"):
            ds.add_transactions(["a", "b"], [1, 2], [1])
        with self.assertRaises(libsegment.SegmentError) as e:
            ds.add_transactions(["a", ""], [1, 2], [1, 2])
        self.assertIn("1", str(e.exception))
        self.assertEqual(len(ds), 0)
        self.assertEqual(ds.transaction_count, 0)
        ds.add_transactions([], [], [])
        ds.add_events([], [], [], [])
        self.assertEqual(len(ds), 0)


def cdnow_frame():
    """The CDNOW sample as a DataFrame: id, datetime64 time, amount."""
    import pandas
    df = pandas.read_csv(SAMPLE, sep=r"\s+", header=None, dtype={1: str},
                         names=["n", "customer_id", "date", "cds", "amount"])
    df["time"] = pandas.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df


@needs_pandas
class Pandas(unittest.TestCase):
    def test_a_frame_loads_as_the_csv_does(self):
        import numpy
        df = cdnow_frame()
        ds = libsegment.Dataset.from_pandas(transactions=df)
        self.assertEqual(ds.transaction_count, len(df))
        ds.compute_features(as_of="1997-09-30", unit="week")
        ref = cdnow()
        self.assertEqual(ds.ids(), ref.ids())
        for name in ["orders", "frequency", "t_x", "T", "monetary_total",
                     "first_purchase"]:
            numpy.testing.assert_array_equal(ds.column(name),
                                             ref.column(name), name)

    def test_times_from_numpy_and_aware_pandas(self):
        import numpy
        import pandas
        ids = numpy.array(["x", "y", "x"])
        naive = numpy.array(["2024-01-01T12:00", "1969-12-31T23:59:59.5",
                             "2024-01-03"], dtype="datetime64[ms]")
        a = libsegment.Dataset()
        a.add_transactions(ids, naive, numpy.array([1, 2, 3]))
        aware = pandas.Series(pandas.to_datetime(
            ["2024-01-01T13:00", "1970-01-01T00:59:59.5", "2024-01-03T01:00"]
        )).dt.tz_localize("Europe/Oslo")
        b = libsegment.Dataset()
        b.add_transactions(pandas.Series(ids), aware, [1.0, 2.0, 3.0])
        c = libsegment.Dataset()
        c.add_transactions(list(ids), [1704110400, -1, 1704240000], [1, 2, 3])
        import datetime
        d = libsegment.Dataset()
        d.add_transactions(ids, [datetime.datetime(2024, 1, 1, 12),
                                 datetime.datetime(1969, 12, 31, 23, 59, 59,
                                                   500000),
                                 "2024-01-03"], [1, 2, 3])
        e = libsegment.Dataset()
        e.add_transactions(ids, numpy.array(naive, dtype=object), [1, 2, 3])
        for ds in (a, b, c, d, e):
            ds.compute_features(as_of="2024-01-31")
            self.assertEqual(list(ds.column("first_purchase")),
                             [numpy.datetime64(1704110400, "s"),
                              numpy.datetime64(-1, "s")])
        with self.assertRaisesRegex(ValueError, "row 1: missing times"):
            a.add_transactions(ids, numpy.array(["2024-01-01", "NaT",
                                                 "2024-01-01"],
                                                dtype="datetime64[s]"),
                               [1, 2, 3])

    def test_events_and_attributes_from_frames(self):
        import numpy
        import pandas
        ev = pandas.DataFrame({
            "customer_id": ["a", "b", "a", "c"],
            "time": pandas.to_datetime(["2024-01-01", "2024-01-02",
                                        "2024-01-05", "2024-01-03"]),
            "kind": pandas.Categorical(["visit", "visit", "call", "visit"]),
            "value": [1.0, None, numpy.nan, 4.0]})
        tx = pandas.DataFrame({"customer_id": ["a"], "amount": [5.0],
                               "time": pandas.to_datetime(["2024-01-04"])})
        attrs = pandas.DataFrame({
            "age": [31, 45, None], "city": ["Oslo", None, "北京"],
            "plan": pandas.Categorical(["gold", "free", None])},
            index=pandas.Index(["a", "b", "d"], name="customer_id"))
        ds = libsegment.Dataset.from_pandas(transactions=tx, events=ev,
                                            attributes=attrs.reset_index())
        self.assertEqual(ds.event_count, 4)
        ds.set_attributes_df(attrs[["age"]].iloc[:1] * 0 + 30, id=None,
                             columns=["age"])
        self.assertEqual(ds.ids(), ["a", "b", "c", "d"])
        ds.compute_features(as_of="2024-01-31")
        df = ds.to_pandas()
        self.assertEqual(df.loc["a", "age"], 30)
        self.assertEqual(df.loc["b", "age"], 45)
        self.assertTrue(numpy.isnan(df.loc["d", "age"]))
        self.assertEqual(str(df["city"].dtype), "category")
        self.assertEqual(ds.column("city").tolist(),
                         ["Oslo", None, None, "北京"])
        self.assertEqual(ds.column("plan").tolist(),
                         ["gold", "free", None, None])
        self.assertEqual(str(df["plan"].dtype), "category")
        self.assertEqual(df["events.visit.count"].tolist(), [1, 1, 1, 0])
        self.assertEqual(df.loc["a", "events.call.last"],
                         pandas.Timestamp("2024-01-05", tz="UTC"))

    def test_categories_and_interest(self):
        import pandas
        tx = pandas.DataFrame({
            "customer_id": ["a", "a", "b"],
            "time": pandas.to_datetime(["2024-01-21", "2024-01-31",
                                        "2024-01-31"]),
            "amount": [10.0, 20.0, 5.0],
            "category": pandas.Categorical(["books", None, "toys"])})
        ev = pandas.DataFrame({
            "customer_id": ["a", "a", "b"],
            "time": pandas.to_datetime(["2024-01-31", "2024-01-31",
                                        "2024-01-21"]),
            "kind": ["view", "view", "view"],
            "category": ["home", "home", float("nan")]})
        ds = libsegment.Dataset.from_pandas(transactions=tx, events=ev,
                                            category="category")
        ds.compute_features()
        m = libsegment.Model("interest", half_life_days=10, browse_min=2)
        m.fit(ds)
        m.score(ds)
        df = ds.to_pandas()
        # a: books 3 * 2^-1 = 1.5 (the other order has no category),
        # home 1 + 1 = 2; b: toys 3 (its view has no category)
        self.assertEqual(df.loc["a", "interest.top3"], "home|books")
        self.assertAlmostEqual(df.loc["a", "interest.share1"], 2 / 3.5)
        self.assertEqual(df.loc["a", "interest.browsed_not_bought"], "home")
        self.assertEqual(df.loc["b", "interest.top"], "toys")
        self.assertEqual(df.loc["b", "interest.share1"], 1.0)
        with self.assertRaises(libsegment.SegmentError) as e:
            ds.add_transactions(["c"], [0], [1.0], categories=["tv|audio"])
        self.assertIn("has a '|'", str(e.exception))
        self.assertEqual(ds.transaction_count, 3)

    def test_attributes_in_bulk_and_one_by_one(self):
        # The bulk setters are used where the library has them; without
        # them the binding sets one customer at a time. Both must agree.
        import pandas
        attrs = pandas.DataFrame({"customer_id": ["a", "b", "c"],
                                  "score": [1.5, None, 3.0],
                                  "city": ["Oslo", None, "Lima"]})

        def load():
            ds = libsegment.Dataset()
            ds.set_attributes_df(attrs)
            return ds.to_pandas()

        paths = [load()]
        for df in paths:
            self.assertEqual(df.index.tolist(), ["a", "b", "c"])
            self.assertEqual(df["score"].tolist()[::2], [1.5, 3.0])
            self.assertTrue(pandas.isna(df.loc["b", "score"]))
            self.assertEqual(df["city"].tolist()[::2], ["Oslo", "Lima"])
            self.assertTrue(pandas.isna(df.loc["b", "city"]))

    def test_types_follow_the_column_kinds(self):
        import numpy
        import pandas
        ds = libsegment.Dataset()
        ds.set_timezone("Asia/Shanghai")
        self.assertEqual(ds.timezone, "Asia/Shanghai")
        ds.add_transactions(["a", "a", "b"],
                            ["2024-03-01T07:00:00+08:00",
                             "2024-03-01T20:00:00+08:00",
                             "2024-03-05T09:30:00+08:00"], [10, 5, 3])
        ds.add_events(["b"], ["2024-03-06T23:00:00+08:00"], ["visit"])
        ds.compute_features(as_of="2024-03-10", unit="week")
        self.assertEqual(ds.column_kind("last_purchase"), "timestamp")
        self.assertEqual(ds.column_kind("orders"), "count")
        self.assertEqual(ds.column_kind("T"), "weeks")
        df = ds.to_pandas()
        # one purchase day in Beijing; the times are Beijing's, as given
        self.assertEqual(df.loc["a", "orders"], 1)
        self.assertEqual(df["orders"].dtype, "int64")
        self.assertEqual(df["returns"].dtype, "int64")
        self.assertEqual(df["events.visit.count"].dtype, "int64")
        first = df.loc["a", "first_purchase"]
        self.assertIsInstance(first, pandas.Timestamp)
        self.assertEqual(str(first.tz), "Asia/Shanghai")
        self.assertEqual(first, pandas.Timestamp("2024-03-01T07:00:00",
                                                 tz="Asia/Shanghai"))
        self.assertEqual(df.loc["b", "events.visit.last"].isoformat(),
                         "2024-03-06T23:00:00+08:00")
        self.assertEqual(df["T"].dtype, "float64")
        # numpy: datetime64 of the same instants (UTC, as numpy's are)
        self.assertEqual(ds.column("first_purchase")[0],
                         numpy.datetime64("2024-02-29T23:00:00", "s"))
        # a fixed offset is a fixed-offset zone
        f = libsegment.Dataset()
        f.set_timezone("-05:30")
        f.add_transactions(["x"], ["2024-01-01T00:00:00Z"], [1])
        f.compute_features()
        self.assertEqual(f.to_pandas().loc["x", "first_purchase"].isoformat(),
                         "2023-12-31T18:30:00-05:30")

    def test_dtypes(self):
        import pandas
        ds = libsegment.Dataset.from_pandas(transactions=cdnow_frame())
        ds.add_events(["lead"], ["1997-05-01"], ["visit"])
        ds.compute_features(as_of="1998-06-30", holdout_from="1997-10-01",
                            unit="week")
        libsegment.Model("rfm").fit(ds).score(ds)
        df = ds.to_pandas()
        self.assertEqual(df["orders"].dtype, "int64")
        # the lead has no purchase: its frequency is missing
        self.assertEqual(str(df["frequency"].dtype), "Int64")
        self.assertTrue(pandas.isna(df.loc["lead", "frequency"]))
        self.assertEqual(df.loc["0001", "frequency"], 2)
        self.assertEqual(df["holdout_orders"].dtype, "int64")
        self.assertEqual(df["events.visit.count"].dtype, "int64")
        # timestamps: tz-aware, in the dataset's zone (UTC by default)
        self.assertEqual(str(df["first_purchase"].dtype),
                         "datetime64[ns, UTC]")
        self.assertEqual(df.loc["0001", "first_purchase"],
                         pandas.Timestamp("1997-01-01", tz="UTC"))
        self.assertTrue(pandas.isna(df.loc["lead", "last_purchase"]))
        self.assertEqual(str(df["events.visit.last"].dtype),
                         "datetime64[ns, UTC]")
        self.assertEqual(df["T"].dtype, "float64")
        self.assertEqual(str(df["rfm.segment"].dtype), "category")
        self.assertIn("Champions", df["rfm.segment"].cat.categories)
        # numpy: the same, with float64 for a count with a missing value
        self.assertEqual(ds.column("orders").dtype, "int64")
        self.assertEqual(ds.column("frequency").dtype, "float64")
        self.assertEqual(ds.column("last_purchase").dtype, "datetime64[s]")
        self.assertEqual(ds.column("orders", raw=True).dtype, "float64")
        s = ds.series("rfm.segment")
        self.assertEqual(s.index[0], "0001")


@needs_numpy
class Lifetimes(unittest.TestCase):
    def test_an_array_outlives_the_column_it_came_from(self):
        import numpy
        ds = cdnow()
        t = ds.column("T")
        score = ds.column("orders")
        libsegment.Model("rfm", name="v").fit(ds).score(ds)
        seg = ds.column("v.segment")
        keep = (t.copy(), score.copy(), seg.copy())
        # every one of these columns is replaced in the library
        ds.compute_features(as_of="1998-06-30", unit="week")
        libsegment.Model("rfm", name="v", segments="cn8",
                         language="zh").fit(ds).score(ds)
        self.assertFalse(numpy.array_equal(ds.column("T"), keep[0]))
        self.assertNotEqual(ds.column("v.segment").tolist(), keep[2].tolist())
        numpy.testing.assert_array_equal(t, keep[0])
        numpy.testing.assert_array_equal(score, keep[1])
        self.assertEqual(seg.tolist(), keep[2].tolist())
        ds.close()
        gc.collect()
        self.assertAlmostEqual(float(t.max()), 272 / 7, 9)


class Tables(unittest.TestCase):
    def setUp(self):
        ds = libsegment.Dataset()
        ds.load_csv(SAMPLE, id=2, time=3, amount=5, header=False)
        ds.compute_features(as_of="1998-06-30", holdout_from="1997-10-01",
                            unit="week")
        libsegment.Model("rfm").fit(ds).score(ds)
        self.rules = libsegment.Rules.from_file(os.path.join(
            HERE, "..", "rules", "rfm_actions.rules"))
        self.rules.apply(ds)
        self.ds = ds

    def test_summary(self):
        t = self.ds.summary_table("action", ["monetary_total"])
        self.assertEqual(t.columns[:3], ["action", "count", "share"])
        self.assertIn("monetary_total_total", t.columns)
        rows = t.rows()
        self.assertEqual(sum(r[1] for r in rows), 2357)
        self.assertIn("VIP care", [r[0] for r in rows])
        if importlib.util.find_spec("pandas"):
            df = t.to_pandas()
            self.assertEqual(df["count"].dtype, "int64")
            self.assertEqual(df["share"].dtype, "float64")
            self.assertAlmostEqual(df["share"].sum(), 1.0, 9)

    def test_crosstab(self):
        t = self.ds.crosstab_table("rfm.segment", "action")
        self.assertEqual(t.columns[0], "rfm.segment")
        self.assertIn("VIP care", t.columns)
        if importlib.util.find_spec("pandas"):
            df = t.to_pandas()
            self.assertEqual(df["VIP care"].dtype, "int64")

    def test_tables_agree_with_the_librarys_csv(self):
        # The binding reads a table cell by cell; the library's own CSV of
        # the same result, parsed here, must say the same.
        import csv
        import io

        def cell(text, kind):
            if text == "":
                return None
            return float(text) if kind == "numeric" else text

        clv = libsegment.Model("clv").fit(self.ds)
        km = libsegment.Model("kmeans", k=3).fit(self.ds)
        pairs = [
            (self.ds.summary_table("action", ["monetary_total"]),
             self.ds.summary("action", ["monetary_total"])),
            (self.ds.crosstab_table("rfm.segment", "action"),
             self.ds.crosstab("rfm.segment", "action")),
            (clv.report_table("holdout", self.ds),
             clv.report("holdout", self.ds)),
            (km.report_table("profile"), km.report("profile")),
        ]
        for table, text in pairs:
            rows = list(csv.reader(io.StringIO(text)))
            self.assertEqual(rows[0], table.columns)
            self.assertEqual(len(rows) - 1, len(table))
            for got, want in zip(table.rows(), rows[1:]):
                want = want + [""] * (len(table.columns) - len(want))
                self.assertEqual(
                    [None if g is None else (float(g) if k == "numeric"
                                             else g)
                     for g, k in zip(got, table.types)],
                    [cell(w, k) for w, k in zip(want, table.types)])

    def test_reports(self):
        clv = libsegment.Model("clv").fit(self.ds)
        h = clv.report_table("holdout", self.ds)
        self.assertEqual(h.columns, ["frequency", "customers", "predicted",
                                     "actual"])
        self.assertEqual(h.rows()[0][0], "0")
        self.assertEqual(h.column("frequency")[-2], "total")
        km = libsegment.Model("kmeans", k=3).fit(self.ds)
        p = km.report_table("profile")
        self.assertEqual(p.columns[:2], ["cluster", "size"])
        self.assertEqual(len(p), 3)
        if importlib.util.find_spec("pandas"):
            df = h.to_pandas()
            self.assertEqual(df["customers"].dtype, "int64")
            self.assertEqual(df["predicted"].dtype, "float64")
            self.assertEqual(p.to_pandas()["size"].sum(), 2357)

    def test_explanations_and_call_list(self):
        def deciding(table):
            return {(r[0], r[4]) for r in table.rows() if r[6] == 1}

        e = self.rules.explain_table(self.ds, ["0001", "0003"])
        self.assertEqual(e.columns[:6], ["customer_id", "rule", "line",
                                         "kind", "label", "group"])
        self.assertEqual(e.column("customer_id")[0], "0001")
        self.assertEqual(deciding(e), {("0001", "VIP care"),
                                       ("0003", "No action")})
        self.assertIn(("0003", "otherwise"),
                      {(r[0], r[3]) for r in e.rows()})
        self.assertIn("rfm.segment", e.column("column"))
        calls = self.rules.call_list(self.ds, capacity=10)
        self.assertEqual(calls.columns[:3], ["rank", "customer_id", "tier"])
        self.assertEqual(len(calls), 10)
        self.assertEqual(calls.rows()[0][0], 1)
        self.assertTrue(all(isinstance(c, str)
                            for c in calls.column("customer_id")))
        self.assertIn(calls.column("customer_id")[0], self.ds.ids())
        if importlib.util.find_spec("pandas"):
            df = calls.to_pandas()
            self.assertEqual(df["rank"].dtype, "int64")
            self.assertEqual(df["last_contact"].dtype, "datetime64[ns]")


class ReclaimLeads(unittest.TestCase):
    """Three leads of the bundled example, worked by hand on 2026-11-10
    (the end of that day) under the standard preset: L1 (alice since
    10-01, a call 10-27 10:00) is 14 days from its call, one day before
    the 15-day rule: a reminder; L2 (bob since 09-01, a call 10-20) has
    had no deal for 60 days on 10-31: reclaimed, bob locked out for 30
    days; L5 (carol since 10-25, released from carol on 10-20) was taken
    back within the 30 days' lock-out: reclaimed."""

    def dataset(self):
        ds = libsegment.Dataset()
        ds.add_events(["L1", "L2", "L5"],
                      ["2026-10-27T10:00:00Z", "2026-10-20T09:30:00Z",
                       "2026-10-20T12:00:00Z"],
                      ["call", "call", "released:carol"])
        ds.set_attributes("owner", ["L1", "L2", "L5"],
                          ["alice", "bob", "carol"])
        ds.set_attributes("owner_since", ["L1", "L2", "L5"],
                          ["2026-10-01", "2026-09-01", "2026-10-25"])
        return ds

    def test_columns_and_lists(self):
        rc = libsegment.Reclaim.preset("standard")
        self.assertIn("lockout = 30d", libsegment.Reclaim.preset_text())
        ds = self.dataset()
        rc.apply(ds, as_of="2026-11-10")
        self.assertEqual(list(ds.column("reclaim.status")),
                         ["reminder", "reclaimed", "reclaimed"])
        self.assertEqual(list(ds.column("reclaim.rule")),
                         ["no_followup", "no_deal", "lockout"])
        self.assertEqual(list(ds.column("reclaim.locked_owner")),
                         [None, "bob", "carol"])
        rows = rc.reclaim_list(ds, as_of="2026-11-10").rows()
        self.assertEqual([(r[0], r[1], r[2], r[3]) for r in rows],
                         [("L2", "bob", "no_deal", "2026-10-31T00:00:00Z"),
                          ("L5", "carol", "lockout",
                           "2026-11-10T23:59:59Z")])
        rem = rc.reminder_list(ds, as_of="2026-11-10")
        self.assertEqual(rem.rows(), [("L1", "alice", "no_followup",
                                       "2026-11-11T10:00:00Z", 1.0, 14.0)])

    @needs_pandas
    def test_lists_as_data_frames(self):
        rc = libsegment.Reclaim.preset()
        df = rc.reclaim_list(self.dataset(), as_of="2026-11-10").to_pandas()
        self.assertEqual(list(df["customer_id"]), ["L2", "L5"])
        self.assertEqual(str(df["fired"].dtype), "datetime64[ns, UTC]")
        self.assertEqual(str(df["fired"][0]), "2026-10-31 00:00:00+00:00")

    def test_errors(self):
        with self.assertRaises(libsegment.SegmentError) as e:
            libsegment.Reclaim("rule a = no deal in 5d\n", "x.reclaim")
        self.assertIn("x.reclaim:1:13: rule 'a' counts days without a deal",
                      str(e.exception))
        with self.assertRaises(libsegment.SegmentError):
            libsegment.Reclaim.preset("nope")
        rc = libsegment.Reclaim.preset()
        ds = libsegment.Dataset()
        ds.add_events(["L1"], ["2026-10-27"], ["call"])
        with self.assertRaises(libsegment.SegmentError) as e:
            rc.apply(ds)
        self.assertIn("no column 'owner'", str(e.exception))


class Models(unittest.TestCase):
    def test_listing_with_parameters(self):
        kinds = libsegment.model_kinds()
        self.assertIn("rfm", kinds)
        listing = libsegment.models()
        self.assertEqual(list(listing), kinds)
        params = {p.name: p for p in listing["rfm"]}
        self.assertEqual(params["language"].type, "str")
        self.assertIn("zh", params["language"].choices)
        numeric = [p for ps in listing.values() for p in ps
                   if p.type in ("f64", "int")]
        self.assertTrue(numeric)
        self.assertTrue(all(p.min <= p.default <= p.max for p in numeric))
        m = libsegment.Model("rfm", language="zh")
        self.assertEqual(m.get("language"), "zh")

    @needs_numpy
    def test_eval_over_arrays(self):
        import numpy
        m = libsegment.Model("bgnbd").fit(cdnow())
        x = numpy.array([0, 2, 5])
        got = m.eval("p_alive", x, 30.43, numpy.array([[38.86], [40.0]]))
        self.assertEqual(got.shape, (2, 3))
        self.assertAlmostEqual(got[1, 2], m.eval("p_alive", 5, 30.43, 40.0),
                               12)
        with self.assertRaises(libsegment.SegmentError):
            m.eval("p_alive", x, 50.0, 40.0)  # t_x > T


class Simulation(unittest.TestCase):
    """simulate(), simulate_dataset(), compare() and chi2_sf() against
    closed forms: the Pareto/NBD expectation of a cohort's repeat purchases
    (Schmittlein, Morrison and Colombo 1987), AIC, BIC and the chi-square
    tails of one, two and four degrees of freedom."""
    PNBD = {"r": 0.5, "alpha": 8.0, "s": 0.6, "beta": 12.0}

    def test_seeded_tables(self):
        a = libsegment.simulate("pareto_nbd", self.PNBD, customers=50, seed=4)
        b = libsegment.simulate("pareto_nbd", self.PNBD, customers=50, seed=4)
        c = libsegment.simulate("pareto_nbd", self.PNBD, customers=50, seed=5)
        self.assertEqual(a.columns, ["customer_id", "time", "amount"])
        self.assertEqual(a.rows(), b.rows())
        self.assertNotEqual(a.rows(), c.rows())
        self.assertEqual(len(set(a.column("customer_id"))), 50)
        s = libsegment.simulate("pareto_nbd", self.PNBD, customers=50,
                                seed=4, summary=True)
        self.assertEqual(s.columns, ["customer_id", "frequency", "t_x", "T",
                                     "monetary_repeat_mean"])
        self.assertEqual(len(s), 50)
        # one row a purchase: the first and the repeat ones
        self.assertEqual(len(a), 50 + sum(s.column("frequency")))

    def test_cohort_mean_against_closed_form(self):
        n, T = 20000, 104.0
        s = libsegment.simulate("pareto_nbd", self.PNBD, customers=n, seed=9,
                                summary=True)
        x = s.column("frequency")
        p = self.PNBD
        want = p["r"] * p["beta"] / (p["alpha"] * (p["s"] - 1)) * (
            1 - (p["beta"] / (p["beta"] + T)) ** (p["s"] - 1))
        mean = sum(x) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
        self.assertLess(abs(mean - want), 4 * sd / math.sqrt(n))
        self.assertTrue(all(t == T for t in s.column("T")))

    def test_dataset_and_fit(self):
        ds = libsegment.simulate_dataset("bgnbd", "r=0.25,alpha=4,a=0.8,b=2.5",
                                         customers=3000, seed=2)
        self.assertEqual(len(ds), 3000)
        t = libsegment.simulate("bgnbd", "r=0.25,alpha=4,a=0.8,b=2.5",
                                customers=3000, seed=2)
        self.assertEqual(ds.transaction_count, len(t))
        ds.compute_features(unit="week")
        fixed = libsegment.Model("bgnbd", name="truth",
                                 fixed="r=0.25,alpha=4,a=0.8,b=2.5").fit(ds)
        free = libsegment.Model("bgnbd").fit(ds)
        other = libsegment.Model("mbgnbd").fit(ds)
        cmp = libsegment.compare([fixed, free, other])
        rows = {r["model"]: r for r in (dict(zip(cmp.columns, row))
                                        for row in cmp.rows())}
        n = 3000
        for m, k in ((fixed, 0), (free, 4), (other, 4)):
            ll = m.results["loglik"]
            r = rows[m.name]
            self.assertEqual(r["parameters"], k)
            self.assertAlmostEqual(r["aic"], 2 * k - 2 * ll, 8)
            self.assertAlmostEqual(r["bic"], k * math.log(n) - 2 * ll, 8)
        lr = 2 * (free.results["loglik"] - fixed.results["loglik"])
        r = rows[free.name]
        self.assertEqual(r["nested"], "truth")
        self.assertAlmostEqual(r["lr"], lr, 8)
        self.assertEqual(r["df"], 4)
        # chi-square with 4 degrees of freedom: e^(-x/2) (1 + x/2)
        self.assertAlmostEqual(r["p_value"],
                               math.exp(-lr / 2) * (1 + lr / 2), 10)
        self.assertIsNone(rows[other.name]["nested"])
        # from a fitted model: its parameters, exactly
        res = free.results
        params = {k: res[k] for k in ("r", "alpha", "a", "b")}
        self.assertEqual(
            libsegment.simulate(from_model=free, customers=40, seed=3).rows(),
            libsegment.simulate("bgnbd", params, customers=40, seed=3).rows())
        df = cmp.to_pandas() if libsegment.table.pandas else None
        if df is not None:
            self.assertEqual(list(df["model"]), ["truth", "bgnbd", "mbgnbd"])

    def test_chi2_sf_and_errors(self):
        for x in (0.5, 3.84, 10.0):
            self.assertAlmostEqual(libsegment.chi2_sf(x, 1),
                                   math.erfc(math.sqrt(x / 2)), 12)
            self.assertAlmostEqual(libsegment.chi2_sf(x, 2),
                                   math.exp(-x / 2), 12)
        self.assertTrue(math.isnan(libsegment.chi2_sf(1, 0)))
        with self.assertRaises(libsegment.SegmentError) as e:
            libsegment.simulate("nosuch", "r=1")
        self.assertIn("nosuch", str(e.exception))
        with self.assertRaises(libsegment.SegmentError):
            libsegment.simulate("pareto_nbd", "r=1,alpha=2")
        with self.assertRaises(libsegment.SegmentError):
            libsegment.compare([])
        with self.assertRaises(libsegment.SegmentError):
            libsegment.compare([libsegment.Model("bgnbd")])  # not fitted


if __name__ == "__main__":
    unittest.main()
