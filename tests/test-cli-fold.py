#!/usr/bin/env python3
"""features, fit, score and tier fold the transactions into their features
as they load when the job needs nothing else of them (RFM, k-means, the
purchase and spend models, rules): the same bytes as the path that
keeps the records (data read from standard input keeps them), on a
generated log with refunds, $0 orders, same-day orders in any order, rows
sorted by date, by customer, or not at all, in two zones and with as_of
leaving records out; and the orders and net amounts counted here
independently of the library."""
import csv
import datetime
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal

CLI, RULES = sys.argv[1:3]
del sys.argv[1:3]


def run(*args, stdin=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True,
                          input=stdin)


def make_log(seed, n_customers=300, n_rows=6000):
    rnd = random.Random(seed)
    start = datetime.datetime(2023, 1, 1)
    rows = []
    for _ in range(n_rows):
        c = "c%04d" % rnd.randrange(n_customers)
        t = start + datetime.timedelta(days=rnd.randrange(120),
                                       seconds=rnd.choice(
                                           [0, 0, 3600 * 3, 3600 * 22,
                                            rnd.randrange(86400)]))
        k = rnd.randrange(20)
        if k == 0:
            a = Decimal("0")
        elif k < 4:
            a = -Decimal(rnd.randrange(1, 5000)) / 100
        else:
            a = Decimal(rnd.randrange(1, 30000)) / 100
        rows.append((c, t, a))
    return rows


def write(rows, path, order):
    if order == "date":
        rows = sorted(rows, key=lambda r: r[1])
    elif order == "customer":
        rows = sorted(rows, key=lambda r: (r[0], r[1]))
    with open(path, "w") as f:
        f.write("customer_id,time,amount\n")
        for c, t, a in rows:
            f.write("%s,%s,%s\n" % (c, t.strftime("%Y-%m-%d %H:%M:%S"), a))


def expected(rows, as_of):
    """Orders (purchase days) and net amount per customer up to the end of
    the day as_of (times without an offset are local times of the zone):
    a day is a purchase when its net is positive, or when it has $0 orders
    and no return."""
    end = datetime.datetime.combine(as_of, datetime.time(23, 59, 59))
    days, total = {}, {}
    for c, t, a in rows:
        if t > end:
            continue
        d = days.setdefault(c, {}).setdefault(t.date(), [Decimal(0), 0])
        d[0] += a
        d[1] |= 2 if a < 0 else 1
        total[c] = total.get(c, Decimal(0)) + a
    orders = {c: sum(1 for net, f in ds.values()
                     if net > 0 or (net == 0 and not f & 2))
              for c, ds in days.items()}
    return orders, total


class Fold(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def compare(self, rows, order, zone, as_of, extra=()):
        path = os.path.join(self.dir, "log-%s.csv" % order)
        write(rows, path, order)
        args = ["--model", "rfm", "--columns", "all", "--as-of",
                as_of.isoformat(), *extra]
        if zone:
            args += ["--timezone", zone]
        folded = run("score", path, *args)
        self.assertEqual(folded.returncode, 0, folded.stderr)
        with open(path) as f:
            kept = run("score", "-", *args, stdin=f.read())
        self.assertEqual(kept.returncode, 0, kept.stderr)
        self.assertEqual(folded.stdout, kept.stdout)
        orders, total = expected(rows, as_of)
        got = list(csv.DictReader(io.StringIO(folded.stdout)))
        self.assertEqual(len(got), len({r[0] for r in rows}))
        for r in got:
            c = r["customer_id"]
            self.assertEqual(float(r["orders"]), orders.get(c, 0), c)
            self.assertEqual(Decimal(r["monetary_total"]).quantize(
                Decimal("0.01")), total.get(c, Decimal(0)), c)
        return folded.stdout

    def test_orders_of_any_kind(self):
        rows = make_log(1)
        for order in ("date", "customer", "random"):
            for zone in (None, "+05:30", "America/New_York"):
                for as_of in (datetime.date(2023, 4, 30),
                              datetime.date(2023, 3, 1)):
                    with self.subTest(order=order, zone=zone, as_of=as_of):
                        self.compare(rows, order, zone, as_of)

    def test_tier_with_rules(self):
        rows = make_log(2)
        self.compare(rows, "date", None, datetime.date(2023, 4, 30),
                     ["--rules", os.path.join(RULES, "value_tiers.rules")])

    def test_one_thread(self):
        rows = make_log(3)
        self.compare(rows, "date", None, datetime.date(2023, 4, 30),
                     ["--threads", "1"])

    def kept_and_folded(self, rows, order, args, strip=None):
        """The command on a file (folded) and on standard input (kept):
        the same bytes, less what strip takes out (run times). The file
        is loaded once when it folds, twice when a customer's days come
        out of order (the fold refuses, the records are kept)."""
        path = os.path.join(self.dir, "log-%s.csv" % order)
        write(rows, path, order)
        folded = run(args[0], path, *args[1:], "--timings")
        self.assertEqual(folded.returncode, 0, folded.stderr)
        self.assertEqual(folded.stderr.count("timing: load"),
                         2 if order == "random" else 1, folded.stderr)
        with open(path) as f:
            kept = run(args[0], "-", *args[1:], stdin=f.read())
        self.assertEqual(kept.returncode, 0, kept.stderr)
        a, b = folded.stdout, kept.stdout
        if strip:
            a, b = strip(a), strip(b)
        self.assertEqual(a, b)
        return folded.stdout

    def test_models_of_columns(self):
        # a log with repeat buyers over a year, for the purchase models
        rnd = random.Random(4)
        start = datetime.datetime(2023, 1, 1)
        rows = []
        for c in range(400):
            # BG/NBD's story, so that every fit has an optimum: buys at a
            # rate of its own (gamma), leaves after a purchase with a
            # probability of its own (beta)
            lam, drop = rnd.gammavariate(2, 1 / 40), rnd.betavariate(1, 3)
            spend = rnd.gammavariate(4, 15)   # the mean of its orders
            t = start + datetime.timedelta(days=rnd.randrange(300),
                                           seconds=rnd.randrange(86400))
            while t < datetime.datetime(2024, 1, 1):
                amount = round(rnd.gammavariate(3, spend / 3), 2) + 0.01
                rows.append(("c%04d" % c, t, Decimal("%.2f" % amount)))
                if rnd.random() < drop:
                    break
                t += datetime.timedelta(days=rnd.expovariate(lam))
        as_of = ["--as-of", "2023-12-31", "--time-unit", "day"]
        # in no order: a customer's days come out of order, and the fold
        # refuses
        shuffled = rows[:]
        rnd.shuffle(shuffled)
        for order, rows in (("date", rows), ("random", shuffled)):
            with self.subTest(order=order):
                out = self.kept_and_folded(
                    rows, order, ["score", "--model", "clv", "--set",
                                  "units_per_month=30", "--model", "rfm",
                                  "--model", "kmeans", "--set", "k=3",
                                  "--columns", "all", *as_of])
                got = list(csv.DictReader(io.StringIO(out)))
                self.assertEqual(len(got), 400)
                self.assertTrue(all(float(r["clv.value"]) > 0 for r in got))

                def no_seconds(text):
                    d = json.loads(text)
                    for k in [k for k in d if k.endswith("seconds")]:
                        del d[k]
                    return d
                for kind in ("pareto_nbd", "bgnbd", "mbgnbd",
                             "gamma_gamma"):
                    fit = self.kept_and_folded(
                        rows, order, ["fit", "--model", kind, "--json",
                                      *as_of], strip=no_seconds)
                    self.assertTrue(all(v > 0 for v in json.loads(
                        fit)["parameters"].values()), kind)
                self.kept_and_folded(
                    rows, order, ["tier", "--model", "clv", "--rules",
                                  os.path.join(RULES, "value_tiers.rules"),
                                  *as_of])
                self.kept_and_folded(rows, order,
                                     ["features", "--columns", "all", *as_of])


if __name__ == "__main__":
    unittest.main()
