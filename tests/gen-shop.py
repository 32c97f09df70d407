#!/usr/bin/env python3
"""A synthetic shop for the report's tests: customers who buy at their own
rate and stop at some point (the BG/NBD story), browse before buying, and
came through one channel each. Plain Python, seeded: the same files every
run.

    gen-shop.py DIR [CUSTOMERS] [--categories]

writes DIR/orders.csv (customer_id,time,amount in Beijing time),
DIR/events.csv (customer_id,time,kind) and DIR/customers.csv
(customer_id,channel). With --categories, orders and events have a fourth
column, category: each customer favours a few of six product categories,
and about a third keep looking at one that they never buy (interest held
back by price or by what the product lacks), with a few more page views of
it. The categories come from a random stream of their own, so that the
orders, events and channels are the same with or without them.
"""
import datetime
import os
import random
import sys


CATEGORIES = ["electronics", "home", "books", "beauty", "sports", "toys"]


class Taste:
    """One customer's categories: favourites by weight, and perhaps one
    that is looked at but never bought."""

    def __init__(self, rc):
        self.rc = rc
        self.w = [rc.gammavariate(0.5, 1.0) for _ in CATEGORIES]
        self.held = rc.randrange(len(CATEGORIES)) if rc.random() < 0.35 \
            else None
        if self.held is not None:
            self.w[self.held] = 0.0  # the others' gamma weights are > 0

    def bought(self):
        return self.rc.choices(CATEGORIES, self.w)[0]

    def looked(self):
        if self.held is not None and self.rc.random() < 0.4:
            return CATEGORIES[self.held]
        return self.bought()


def main():
    args = [a for a in sys.argv[1:] if a != "--categories"]
    cats = len(args) < len(sys.argv) - 1
    out = args[0]
    n = int(args[1]) if len(args) > 1 else 4000
    rnd = random.Random(20261201)
    rc = random.Random(15)
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
        fo.write("customer_id,time,amount%s\n" % (",category" if cats else ""))
        fe.write("customer_id,time,kind%s\n" % (",category" if cats else ""))
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
            taste = Taste(rc) if cats else None
            for k in range(rnd.randrange(1, 6)):
                d = max(0.0, t - rnd.uniform(0, 10))
                kind = rnd.choice(["page_view", "page_view", "add_to_cart",
                                   "pricing_view", "checkout"])
                when = start + datetime.timedelta(days=d,
                                                  hours=rnd.uniform(0, 12))
                fe.write("%s,%s,%s%s\n" % (
                    cid, when.strftime("%Y-%m-%dT%H:%M:%S"), kind,
                    "," + taste.looked() if cats else ""))
            if cats and taste.held is not None:
                for k in range(rc.randrange(1, 6)):
                    d = min(days, first + rc.uniform(0, 120))
                    when = start + datetime.timedelta(
                        days=d, hours=rc.uniform(0, 12))
                    fe.write("%s,%s,page_view,%s\n" % (
                        cid, when.strftime("%Y-%m-%dT%H:%M:%S"),
                        CATEGORIES[taste.held]))
            if browsing:
                continue
            while t < days:
                when = start + datetime.timedelta(days=t,
                                                  hours=rnd.uniform(0, 12))
                amount = max(1.0, rnd.gammavariate(4.0, spend / 4.0))
                fo.write("%s,%s,%.2f%s\n" % (cid, when.strftime(
                    "%Y-%m-%dT%H:%M:%S"), amount,
                    "," + taste.bought() if cats else ""))
                if rnd.random() < p_stop or rate <= 0:
                    break
                t += rnd.expovariate(rate) if rate > 0 else days
    return 0


if __name__ == "__main__":
    sys.exit(main())
