#!/usr/bin/env python3
"""libsegment.dask on the 10M-transaction bench file: 1 and 2 worker
processes, against one process; not a test (docs/scale.md has figures).

    SEGMENT_LIBRARY=build/libsegment.so.0 PYTHONPATH=examples/python \\
      /usr/bin/python3 tests/bench/dask_bench.py [ORDERS.csv] [--workers 1,2]

The file is tests/bench/gen_orders.py's `customer_id,date,amount`, by
default ~/.cache/libsegment-bench/orders-v2-1000000-10000000-s20231231-
date.csv. Each configuration reports wall time per phase and CPU time
(user + system) of the client and of every worker, so that a loaded
machine's figures can still be compared.
"""
import argparse
import os
import resource
import sys
import time

import dask.dataframe as dd
import psutil
from distributed import Client, LocalCluster, wait

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "python"))
import libsegment  # noqa: E402
import libsegment.dask as lsd  # noqa: E402

DEFAULT = os.path.expanduser(
    "~/.cache/libsegment-bench/orders-v2-1000000-10000000-s20231231-date.csv")
RULES = os.path.join(HERE, "..", "..", "examples", "rules",
                     "value_tiers.rules")
MODELS = [("rfm", {}), ("bgnbd", {}), ("gamma_gamma", {})]
AS_OF, UNIT = "2023-12-31", "week"


def cpu_seconds():
    t = psutil.Process().cpu_times()
    return t.user + t.system


def single(path, rules):
    t0, c0 = time.time(), cpu_seconds()
    ds = libsegment.Dataset()
    ds.set_threads(1)
    ds.load_csv(path, id="customer_id", time="date", amount="amount")
    ds.compute_features(as_of=AS_OF, unit=UNIT)
    t1 = time.time()
    models = {}
    for kind, params in MODELS:
        m = libsegment.Model(kind, **params)
        m.fit(ds)
        models[m.name] = m
    t2 = time.time()
    for m in models.values():
        m.score(ds)
    libsegment.Rules(rules).apply(ds)
    t3 = time.time()
    print("one process, one thread: load+features %.1f s, fits %.1f s, "
          "scores+tiers %.1f s; wall %.1f s, CPU %.1f s"
          % (t1 - t0, t2 - t1, t3 - t2, t3 - t0, cpu_seconds() - c0))
    tiers = dict(zip(ds.ids(), ds.column("value_tier")))
    return models, tiers


def distributed(path, rules, workers, partitions):
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                           processes=True, dashboard_address=None,
                           memory_limit=0)
    client = Client(cluster)
    try:
        wcpu0 = sum(client.run(cpu_seconds).values())
        c0, t0 = cpu_seconds(), time.time()
        orders = dd.read_csv(path, dtype={"customer_id": "int64"},
                             parse_dates=["date"], blocksize=32_000_000)
        orders = lsd.partition_by_customer(orders, id="customer_id",
                                           npartitions=partitions).persist()
        wait(orders)
        t1 = time.time()
        res = lsd.run(orders, models=MODELS, rules=rules, as_of=AS_OF,
                      unit=UNIT, time="date", persist=False)
        t2 = time.time()
        tiers = res.frame["value_tier"].compute()
        t3 = time.time()
        wcpu = sum(client.run(cpu_seconds).values()) - wcpu0
        ccpu = cpu_seconds() - c0
        print("%d worker process%s, %d partitions: read+shuffle %.1f s, "
              "summaries+fits %.1f s, scores+tiers (gathered) %.1f s; wall %.1f s; "
              "CPU workers %.1f s + client %.1f s"
              % (workers, "" if workers == 1 else "es", partitions,
                 t1 - t0, t2 - t1, t3 - t2, t3 - t0, wcpu, ccpu))
        print("   tiers:", dict(tiers.value_counts()))
        print("   rows sent for the fits: " + ", ".join(
            "%s %d" % (n, m.results["rows"]) for n, m in res.models.items()
            if "rows" in m.results))
        return res, tiers
    finally:
        client.close()
        cluster.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("orders", nargs="?", default=DEFAULT)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--no-single", action="store_true")
    args = ap.parse_args()
    with open(RULES, encoding="utf-8") as f:
        rules = f.read()
    print("load average at start: %.1f %.1f %.1f on %d processors"
          % (os.getloadavg() + (os.cpu_count(),)))
    ref, ref_tiers = (None, None) if args.no_single else \
        single(args.orders, rules)
    for n in [int(w) for w in args.workers.split(",")]:
        res, tiers = distributed(args.orders, rules, n, args.partitions)
        if ref:
            differ = sum(ref_tiers[cid] != t for cid, t in tiers.items())
            print("   customers whose tier differs from one process: %d of "
                  "%d" % (differ, len(ref_tiers)))
            worst = 0.0
            for name, m in ref.items():
                for k, v in m.results.items():
                    if m.kind != "rfm" and k in ("r", "alpha", "a", "b", "p",
                                                 "q", "gamma"):
                        got = res.models[name].results[k]
                        worst = max(worst, abs(got - v) / abs(v))
            print("   largest relative difference of a parameter from one "
                  "process: %.3g" % worst)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("client peak RSS %.0f MB; load average at end: %.1f %.1f %.1f"
          % ((peak,) + os.getloadavg()))


if __name__ == "__main__":
    main()
