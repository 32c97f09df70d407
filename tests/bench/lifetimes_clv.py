#!/usr/bin/env python3
"""Lifetime value of every customer with lifetimes, the job that
`segment score DATA.csv --model clv --as-of 2023-12-31 --time-unit day
--set units_per_month=30` does, for the whole-process benchmark.

    lifetimes_clv.py IN.csv OUT.csv [--peers DIR]

CSV (pandas) -> summary_data_from_transaction_data (days, observation end
2023-12-31, amounts) -> BetaGeoFitter -> GammaGammaFitter on the repeat
buyers -> per customer: P(alive), purchases expected in the next 52 days,
expected mean spend, and the 12-month value discounted 1 % a month with
30-day months -> CSV. lifetimes is not a Debian package; it and autograd
are taken from the peers folder (DIR, or on PYTHONPATH already), never
from the project. Phase timings go to stderr as JSON.
"""
import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("inp")
ap.add_argument("out")
ap.add_argument("--peers", default=os.environ.get("SEGMENT_BENCH_PEERS"))
args = ap.parse_args()
if args.peers:
    sys.path[:0] = [os.path.join(args.peers, "autograd"),
                    os.path.join(args.peers, "lifetimes")]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

HORIZON_DAYS = 52   # segment's default horizon of .expected, in the unit
MONTHS = 12
DISCOUNT = 0.01

ph = {}
t = time.perf_counter()
df = pd.read_csv(args.inp, dtype={"customer_id": np.int64, "amount": np.float64},
                 parse_dates=["date"])
ph["read_csv"] = time.perf_counter() - t
t = time.perf_counter()
s = summary_data_from_transaction_data(df, "customer_id", "date",
                                       monetary_value_col="amount",
                                       observation_period_end="2023-12-31",
                                       freq="D")
del df
ph["lifetimes_summary"] = time.perf_counter() - t
f, rec, T, mv = (s[c].values for c in ("frequency", "recency", "T",
                                        "monetary_value"))
t = time.perf_counter()
bgf = BetaGeoFitter(penalizer_coef=0.0).fit(f, rec, T)
ph["bgnbd_fit"] = time.perf_counter() - t
rep = (f > 0) & (mv > 0)
t = time.perf_counter()
ggf = GammaGammaFitter(penalizer_coef=0.0).fit(f[rep], mv[rep])
ph["gg_fit"] = time.perf_counter() - t
t = time.perf_counter()
out = pd.DataFrame(index=s.index)
out["p_alive"] = bgf.conditional_probability_alive(f, rec, T)
out["expected"] = bgf.conditional_expected_number_of_purchases_up_to_time(
    HORIZON_DAYS, f, rec, T)
out["spend"] = np.asarray(ggf.conditional_expected_average_profit(f, mv))
out["value"] = ggf.customer_lifetime_value(bgf, f, rec, T, mv, time=MONTHS,
                                           discount_rate=DISCOUNT,
                                           freq="D").to_numpy()
ph["clv"] = time.perf_counter() - t
t = time.perf_counter()
out.to_csv(args.out)
ph["write"] = time.perf_counter() - t
res = dict(n_customers=len(s), phases_s=ph, bgnbd=bgf.params_.to_dict(),
           gg=ggf.params_.to_dict(), gg_n=int(rep.sum()))
sys.stderr.write(json.dumps(res) + "\n")
