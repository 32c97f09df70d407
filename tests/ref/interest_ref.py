#!/usr/bin/python3
"""Reference for the interest model (docs/models.md, "Interest"), from the
raw CSV files with pandas, never with libsegment: per customer and
category the decayed, weighted score

    S = sum over purchases  w_buy * (1 or amount) * 2^(-age / half_life)
      + sum over events     w_kind * 2^(-age / half_life)

of the records up to as_of (age in days before it; a purchase is a
transaction with a positive amount), then the top categories by score,
ties to the name first in byte order, their shares of the customer's
total, the label, and the browsed-not-bought categories: at least
browse_min events of a kind weighted above 0, and no purchase.

Used by tests/test-cli-interest.py; run alone it prints the top rows:
    /usr/bin/python3 tests/ref/interest_ref.py ORDERS.csv EVENTS.csv
"""
import sys

import numpy as np
import pandas as pd

DAY = 86400.0


def epoch_seconds(local, utc_offset_hours):
    """Times written in a fixed-offset zone, as epoch seconds."""
    t = pd.to_datetime(local)
    return (t - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1) - \
        int(utc_offset_hours * 3600)


def interest(orders, events, as_of, half_life_days=30.0, purchase_weight=3.0,
             basis="count", weights=None, default_weight=1.0, top=3,
             browse_min=3, focus_share=0.5, mixed="mixed"):
    """orders: customer_id, t (epoch s), amount, category; events:
    customer_id, t, kind, category. Returns one row per customer that has
    a scored category."""
    weights = weights or {}
    half = half_life_days * DAY
    o = orders[(orders.t <= as_of) & (orders.amount > 0) &
               orders.category.notna()].copy()
    o["w"] = purchase_weight * (o.amount if basis == "amount" else 1.0) * \
        np.exp2(-(as_of - o.t) / half)
    o["bought"] = True
    e = events[(events.t <= as_of) & events.category.notna()].copy()
    e["wk"] = e.kind.map(lambda k: weights.get(k, default_weight))
    e = e[e.wk > 0]
    e["w"] = e.wk * np.exp2(-(as_of - e.t) / half)
    cols = ["customer_id", "category"]
    s_buy = o.groupby(cols).w.sum().rename("buy")
    s_ev = e.groupby(cols).w.sum().rename("browse")
    n_ev = e.groupby(cols).size().rename("views")
    bought = o.groupby(cols).bought.any()
    g = pd.concat([s_buy, s_ev, n_ev, bought], axis=1).reset_index()
    g[["buy", "browse", "views"]] = g[["buy", "browse", "views"]].fillna(0)
    g["bought"] = g.bought.eq(True)
    g["score"] = g.buy + g.browse
    total = g.groupby("customer_id").score.sum().rename("score")
    ranked = g[g.score > 0].sort_values(["customer_id", "score", "category"],
                                        ascending=[True, False, True])
    ranked["place"] = ranked.groupby("customer_id").cumcount()
    ranked = ranked[ranked.place < top]
    out = pd.DataFrame({"score": total})
    out["top"] = ranked[ranked.place == 0].set_index("customer_id").category
    out["top%d" % top] = ranked.groupby("customer_id").category.agg("|".join)
    for q in range(top):
        r = ranked[ranked.place == q].set_index("customer_id")
        out["share%d" % (q + 1)] = r.score / out.score
    out["label"] = np.where(out.share1 >= focus_share, out["top"], mixed)
    out.loc[out["top"].isna(), "label"] = None
    bnb = g[~g.bought & (g.views >= browse_min)].sort_values(
        ["customer_id", "browse", "category"], ascending=[True, False, True])
    out["browsed_not_bought"] = bnb.groupby("customer_id").category.first()
    out["browsed_not_bought_count"] = bnb.groupby("customer_id").size()
    out["browsed_not_bought_count"] = \
        out.browsed_not_bought_count.fillna(0)
    return out


if __name__ == "__main__":
    od = pd.read_csv(sys.argv[1])
    ev = pd.read_csv(sys.argv[2])
    od["t"] = epoch_seconds(od.time, 8)
    ev["t"] = epoch_seconds(ev.time, 8)
    print(interest(od, ev, max(od.t.max(), ev.t.max())).head(20))
