#!/usr/bin/env python3
"""A synthetic shop for the report's tests: customers who buy at their own
rate and stop at some point (the BG/NBD story), browse before buying, and
came through one channel each. Plain Python, seeded: the same files every
run.

    gen-shop.py DIR [CUSTOMERS]

writes DIR/orders.csv (customer_id,time,amount in Beijing time),
DIR/events.csv (customer_id,time,kind) and DIR/customers.csv
(customer_id,channel).
"""
import datetime
import os
import random
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rnd = random.Random(20261201)
    start = datetime.datetime(2025, 1, 1, 9, 0)
    end = datetime.datetime(2026, 6, 30, 21, 0)
    days = (end - start).days
    channels = ["微信小程序", "天猫", "京东", "门店", "抖音"]
    weights = [0.35, 0.25, 0.2, 0.12, 0.08]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "orders.csv"), "w", encoding="utf-8") as fo, \
            open(os.path.join(out, "events.csv"), "w", encoding="utf-8") as fe, \
            open(os.path.join(out, "customers.csv"), "w",
                 encoding="utf-8") as fc:
        fo.write("customer_id,time,amount\n")
        fe.write("customer_id,time,kind\n")
        fc.write("customer_id,channel\n")
        for i in range(n):
            cid = "C%05d" % (i + 1)
            fc.write("%s,%s\n" % (cid, rnd.choices(channels, weights)[0]))
            first = rnd.randrange(0, days - 20)
            rate = rnd.gammavariate(0.6, 1 / 20.0)  # purchases a day
            p_stop = rnd.betavariate(0.8, 3.0)
            spend = rnd.gammavariate(3.0, 60.0)
            t = float(first)
            browsing = rnd.random() < 0.15  # never buys, only browses
            for k in range(rnd.randrange(1, 6)):
                d = max(0.0, t - rnd.uniform(0, 10))
                kind = rnd.choice(["page_view", "page_view", "add_to_cart",
                                   "pricing_view", "checkout"])
                when = start + datetime.timedelta(days=d,
                                                  hours=rnd.uniform(0, 12))
                fe.write("%s,%s,%s\n" % (cid, when.strftime("%Y-%m-%dT%H:%M:%S"),
                                         kind))
            if browsing:
                continue
            while t < days:
                when = start + datetime.timedelta(days=t,
                                                  hours=rnd.uniform(0, 12))
                amount = max(1.0, rnd.gammavariate(4.0, spend / 4.0))
                fo.write("%s,%s,%.2f\n" % (cid, when.strftime(
                    "%Y-%m-%dT%H:%M:%S"), amount))
                if rnd.random() < p_stop or rate <= 0:
                    break
                t += rnd.expovariate(rate) if rate > 0 else days
    return 0


if __name__ == "__main__":
    sys.exit(main())
