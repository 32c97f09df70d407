#!/usr/bin/env python3
"""Write a synthetic order log, the kind a shop exports, deterministically.

    gen_orders.py CUSTOMERS ROWS OUT.csv [--seed S] [--order date|customer]

`customer_id,date,amount`, one order a row: ids are distinct random 9-digit
integers, dates ISO from 2021-01-01 to 2023-12-30 (the snapshot is
2023-12-31), amounts with two decimals. `--order date` (the default) sorts
the rows by date, orders of one day in random order, as an export does;
`--order customer` writes the same rows grouped by customer, each customer's
orders by date, the easy case for a loader.

Purchases follow the BG/NBD story, so that the lifetime-value models have
something to find: each customer arrives on a uniformly drawn day, buys at a
rate drawn from a gamma distribution, and after every repeat purchase drops
out with a probability drawn from a beta distribution. Spend is log-normal
around a log-normal mean of the customer's own. The rate is scaled so that
about ROWS orders happen, then surplus repeat orders are removed at random
(thinning keeps the purchases a Poisson process) to hit ROWS exactly.

Same arguments, same bytes: every draw comes from one seeded generator.
Needs numpy.
"""
import argparse
import os
import sys
import time

import numpy as np

DAYS = 1094                      # 2021-01-01 .. 2023-12-30
EPOCH = np.datetime64("2021-01-01")
RATE_SHAPE, RATE_MEAN = 0.9, 0.02  # gamma purchase rate, per day
DROP_A, DROP_B = 0.6, 4.0          # beta dropout probability
SPEND_MU, SPEND_SD_CUSTOMER, SPEND_SD_ORDER = 3.4, 0.6, 0.7
MAX_CENTS = 999_999_999            # 9,999,999.99: seven integer digits
CHUNK_CUSTOMERS = 1 << 20
CHUNK_ROWS = 1 << 21


def histories(rng, n, scale):
    """Arrival day, observed window, and the counts of each customer: k
    repeat purchases seen out of the n_window a Poisson process would give
    over the whole window."""
    birth = rng.random(n) * DAYS
    window = DAYS - birth
    rate = rng.gamma(RATE_SHAPE, RATE_MEAN / RATE_SHAPE, n) * scale
    drop = rng.beta(DROP_A, DROP_B, n)
    # BG/NBD: alive at the first purchase, the dropout follows a repeat one,
    # so the repeats seen are min(repeats before dropout, Poisson count)
    lives = rng.geometric(np.maximum(drop, 1e-12))
    n_window = rng.poisson(rate * window)
    return birth, window, n_window, np.minimum(lives, n_window)


def simulate(rng, n, scale):
    """Orders of n customers as (customer index, day) arrays: the n first
    purchases, then the repeat purchases."""
    birth, window, n_window, k = histories(rng, n, scale)
    # The first k of n_window uniform order statistics, without drawing the
    # other n_window - k: U(j) = S(j) / S(n_window + 1) for S the partial
    # sums of unit exponentials, and S(n_window + 1) = S(k) + Gamma(rest).
    total = int(k.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), k)
    spacing = rng.standard_exponential(total)
    s = np.cumsum(spacing)
    ends = np.cumsum(k)
    has = k > 0
    base = np.zeros(n)
    base[has] = s[ends[has] - k[has]] - spacing[ends[has] - k[has]]
    s -= base[owner]
    last = np.zeros(n)
    last[has] = s[ends[has] - 1]
    rest = rng.standard_gamma(np.maximum(n_window - k, 0) + 1.0)
    t = s / (last + rest)[owner] * window[owner]
    day_rep = np.floor(birth[owner] + t).astype(np.int64)
    day_first = np.floor(birth).astype(np.int64)
    cust = np.concatenate([np.arange(n, dtype=np.int64), owner])
    day = np.minimum(np.concatenate([day_first, day_rep]), DAYS - 1)
    return cust, day


def rows_for(seed, customers, scale):
    """Orders per customer at a rate scale, on a sample of customers: the
    counts alone, which is all the tuning needs."""
    rng = np.random.default_rng([seed, 1])
    return customers + int(histories(rng, customers, scale)[3].sum())


def tune_scale(seed, customers, rows):
    """Rate scale that gives a little more than `rows`, so that thinning
    can bring the count down exactly."""
    sample = min(customers, 100_000)
    target = rows / customers * 1.02 + 0.5 * (rows / customers) / np.sqrt(sample)
    lo, hi = 0.05, 20.0
    for _ in range(14):
        mid = np.sqrt(lo * hi)
        if rows_for(seed, sample, mid) / sample < target:
            lo = mid
        else:
            hi = mid
    return hi


def generate(seed, customers, rows):
    if rows < customers:
        sys.exit("gen_orders: ROWS must be at least CUSTOMERS (every customer "
                 "buys once)")
    scale = tune_scale(seed, customers, rows)
    while True:
        rng = np.random.default_rng([seed, 2])
        custs, days = [], []
        for lo in range(0, customers, CHUNK_CUSTOMERS):
            n = min(CHUNK_CUSTOMERS, customers - lo)
            c, d = simulate(rng, n, scale)
            custs.append((c + lo).astype(np.int32))
            days.append(d.astype(np.int16))
        total = sum(len(c) for c in custs)
        if total >= rows:
            break
        scale *= 1.05 * rows / total
    # each chunk lists its n first purchases first; they are never thinned
    nfirst = [min(CHUNK_CUSTOMERS, customers - lo)
              for lo in range(0, customers, CHUNK_CUSTOMERS)]
    is_first = np.concatenate([np.arange(len(c)) < k
                               for c, k in zip(custs, nfirst)])
    cust = np.concatenate(custs)
    day = np.concatenate(days)
    del custs, days
    excess = len(cust) - rows
    if excess:
        key = rng.random(len(cust))
        key[is_first] = 2.0
        drop = np.argpartition(key, excess - 1)[:excess]
        keep = np.ones(len(cust), bool)
        keep[drop] = False
        cust, day = cust[keep], day[keep]
        del key, keep, drop
    del is_first

    ids = np.zeros(0, np.int64)
    while len(ids) < customers:
        ids = np.unique(np.concatenate(
            [ids, rng.integers(100_000_000, 1_000_000_000,
                               customers + customers // 100 + 16)]))
    ids = rng.permutation(ids)[:customers]

    loc = rng.normal(SPEND_MU, SPEND_SD_CUSTOMER, customers)
    logs = loc[cust] + rng.normal(0.0, SPEND_SD_ORDER, len(cust))
    cents = np.clip(np.rint(np.exp(logs) * 100), 1, MAX_CENTS).astype(np.int64)
    del logs
    return ids, cust, day, cents


def order_rows(rng_seed, ids, cust, day, how):
    rng = np.random.default_rng([rng_seed, 3])
    if how == "date":
        # a random order within each day, then a stable sort by day (a radix
        # sort on int16), so a day's orders are not grouped by customer
        perm = rng.permutation(len(day))
        return perm[np.argsort(day[perm], kind="stable")]
    return np.lexsort((day, ids[cust]))


def date_table():
    days = EPOCH + np.arange(DAYS)
    text = np.array([str(d) for d in days], dtype="S10")
    return np.frombuffer(text.tobytes(), np.uint8).reshape(DAYS, 10)


def write(path, ids, cust, day, cents, order):
    """Fixed-width rows of bytes, built with array operations, then the
    leading zeros of the amounts dropped by one boolean mask: text at numpy
    speed, where savetxt formats row by row in Python. The bytes are built
    column by column (each a contiguous array) and transposed once."""
    dates = date_table().T.copy()
    width = 9 + 1 + 10 + 1 + 7 + 1 + 2 + 1
    ids32 = ids.astype(np.uint32)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(b"customer_id,date,amount\n")
        for lo in range(0, len(order), CHUNK_ROWS):
            sel = order[lo:lo + CHUNK_ROWS]
            n = len(sel)
            col = np.empty((width, n), np.uint8)
            keep = np.ones((width, n), bool)
            cid = ids32[cust[sel]]
            for k in range(9):
                col[8 - k] = cid % 10 + 48
                cid //= 10
            col[9] = col[20] = ord(",")
            d = day[sel]
            for j in range(10):
                col[10 + j] = dates[j][d]
            c = cents[sel].astype(np.uint32)
            whole = c // 100
            frac = c - whole * 100
            w = whole.copy()
            for k in range(7):
                col[27 - k] = w % 10 + 48
                w //= 10
            for k in range(6):  # the units digit always stays
                keep[21 + k] = whole >= 10 ** (6 - k)
            col[28] = ord(".")
            col[29] = frac // 10 + 48
            col[30] = frac % 10 + 48
            col[31] = ord("\n")
            f.write(np.ascontiguousarray(col.T)[np.ascontiguousarray(keep.T)]
                    .tobytes())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("customers", type=int)
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20231231)
    ap.add_argument("--order", choices=("date", "customer"), default="date")
    a = ap.parse_args()
    t0 = time.perf_counter()
    ids, cust, day, cents = generate(a.seed, a.customers, a.rows)
    t1 = time.perf_counter()
    order = order_rows(a.seed, ids, cust, day, a.order)
    t2 = time.perf_counter()
    write(a.out, ids, cust, day, cents, order)
    t3 = time.perf_counter()
    sys.stderr.write("gen_orders: %d customers, %d rows, order %s: draw %.1f s, "
                     "sort %.1f s, write %.1f s\n"
                     % (a.customers, len(order), a.order, t1 - t0, t2 - t1,
                        t3 - t2))


if __name__ == "__main__":
    main()
