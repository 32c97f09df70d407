#!/usr/bin/env python3
"""RFM from CSV to scores: libsegment against pandas, in the same run.

    rfm_vs_pandas.py BENCH [CUSTOMERS ROWS]

BENCH is the tests/bench program; it writes the synthetic file (1M
customers, 10M rows by default) and runs libsegment. pandas does the same
work: read_csv, group by customer (recency, purchase days, spend), and qcut
on ranks into five scores. Each side runs in its own process; the figures
are wall time and peak resident memory of that process."""
import os
import subprocess
import sys
import tempfile
import time

PANDAS = r'''
import sys, time
import pandas as pd
t0 = time.time()
df = pd.read_csv(sys.argv[1])
df["day"] = df["date"] // 86400
as_of = df["date"].max() // 86400
g = df.groupby("customer_id").agg(last=("day", "max"),
                                  orders=("day", "nunique"),
                                  monetary=("amount", "sum"))
g["recency"] = as_of - g["last"]
r = pd.qcut((-g["recency"]).rank(method="first"), 5, labels=False) + 1
f = pd.qcut(g["orders"].rank(method="first"), 5, labels=False) + 1
m = pd.qcut(g["monetary"].rank(method="first"), 5, labels=False) + 1
g["score"] = r * 100 + f * 10 + m
print("pandas rfm: %.3f s, %d customers" % (time.time() - t0, len(g)))
'''


def run(cmd):
    start = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    out = p.stdout.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed")
    return time.time() - start, usage.ru_maxrss / 1024.0, out.strip()


def main():
    bench = sys.argv[1]
    customers = sys.argv[2] if len(sys.argv) > 2 else "1000000"
    rows = sys.argv[3] if len(sys.argv) > 3 else "10000000"
    py = None
    for cand in (sys.executable, "/usr/bin/python3"):
        if subprocess.run([cand, "-c", "import pandas"],
                          capture_output=True).returncode == 0:
            py = cand
            break
    if not py:
        print("pandas is not installed (apt-get install python3-pandas): "
              "skipped")
        return 77
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tx.csv")
        subprocess.run([bench, "gen", customers, rows, path], check=True)
        seg_t, seg_mb, seg_out = run([bench, "rfm", path])
        pd_t, pd_mb, pd_out = run([py, "-c", PANDAS, path])
    print(seg_out)
    print(pd_out)
    print(f"libsegment: {seg_t:.2f} s, peak {seg_mb:.0f} MiB")
    print(f"pandas:     {pd_t:.2f} s, peak {pd_mb:.0f} MiB")
    print(f"libsegment is {pd_t / seg_t:.1f}x faster (target 20x) with "
          f"{seg_mb / pd_mb:.2f} of pandas' peak memory (target 0.33 or less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
