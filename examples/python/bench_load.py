"""Time loading transactions from a pandas DataFrame against load_csv of the
same rows, and check that both give the same features.

    SEGMENT_LIBRARY=build/libsegment.so.0 PYTHONPATH=examples/python \\
        python3 examples/python/bench_load.py [ROWS]
"""
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import libsegment


def frame(rows, customers=100000, seed=1):
    rng = np.random.default_rng(seed)
    ids = pd.Series(rng.integers(0, customers, rows)).map("C{:06d}".format)
    start = np.datetime64("1997-01-01T00:00:00", "s")
    secs = rng.integers(0, 546 * 86400, rows)
    amounts = np.round(rng.gamma(2.0, 20.0, rows), 2)
    return pd.DataFrame({"customer_id": ids.to_numpy(dtype=object),
                         "time": start + secs.astype("timedelta64[s]"),
                         "amount": amounts})


def best_of(runs, fn):
    times, out = [], None
    for _ in range(runs):
        out = None  # the previous dataset is freed outside the timing
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1440000
    df = frame(rows)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tx.csv")
        out = df.assign(time=df["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        out.to_csv(path, index=False)

        def from_csv():
            ds = libsegment.Dataset()
            ds.load_csv(path, id="customer_id", time="time", amount="amount")
            return ds

        def from_frame():
            ds = libsegment.Dataset()
            ds.add_transactions_df(df)
            return ds

        t_csv, a = best_of(5, from_csv)
        t_df, b = best_of(5, from_frame)
    for ds in (a, b):
        ds.compute_features(as_of="1998-06-30")
    same = a.ids() == b.ids() and all(
        np.array_equal(a.column(c, raw=True), b.column(c, raw=True),
                       equal_nan=True)
        for c in ("orders", "t_x", "T", "monetary_total", "first_purchase"))
    print("%d rows, %d customers" % (rows, len(a)))
    print("load_csv            %.3f s" % t_csv)
    print("add_transactions_df %.3f s" % t_df)
    print("same features:", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
