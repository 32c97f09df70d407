#!/usr/bin/env python3
"""The CLI's snapshots and migrate commands on the CDNOW sample against
pandas: the recency tiers of each date, the previous tier, the last
change and the transition table, computed again from the raw file."""
import csv
import io
import subprocess
import sys
import tempfile

try:
    import pandas as pd
except ImportError:
    print("no pandas in this Python: skipped")
    sys.exit(77)

CLI, SAMPLE = sys.argv[1], sys.argv[2]
MAP = ["--no-header", "--map", "id=2", "--map", "time=3", "--map", "amount=5"]
DATES = ["1997-01-31", "1997-04-30", "1997-09-30", "1998-06-30"]
RULES = """output "rtier"
tier "active" when recency <= 60d
tier "warm" when recency <= 180d
otherwise "lapsed"
"""
ALERTS = """output "alert"
tier "dropped" when previous(rtier) = "active" and rtier != "active"
otherwise "none"
"""
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def run(*args, code=0):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if p.returncode != code:
        raise SystemExit(f"segment {' '.join(args)}: exit {p.returncode}: "
                         f"{p.stderr}")
    return p


def rows(*args):
    return list(csv.DictReader(io.StringIO(run(*args).stdout)))


# ---- the tiers again, from the raw file ----
raw = pd.read_csv(SAMPLE, sep=r"\s+", header=None, dtype=str)
tx = pd.DataFrame({"id": raw[1],
                   "day": pd.to_datetime(raw[2], format="%Y%m%d"),
                   "amount": raw[4].astype(float)})
# a purchase day: a day whose net is positive, or of $0 orders only
days = tx.groupby(["id", "day"]).agg(net=("amount", "sum"),
                                     low=("amount", "min")).reset_index()
days["purchase"] = (days.net > 0) | ((days.net == 0) & (days.low >= 0))
ids = sorted(tx.id.unique())


def tiers_at(date):
    d = pd.Timestamp(date)
    seen = set(tx.id[tx.day <= d])
    last = days[(days.day <= d) & days.purchase].groupby("id").day.max()
    out = {}
    for c in ids:
        if c not in seen:
            out[c] = ""
            continue
        rec = (d - last[c]).days if c in last.index else None
        out[c] = ("active" if rec is not None and rec <= 60 else
                  "warm" if rec is not None and rec <= 180 else "lapsed")
    return out


want = [tiers_at(d) for d in DATES]

with tempfile.TemporaryDirectory() as tmp:
    rules, alerts = f"{tmp}/r.rules", f"{tmp}/a.rules"
    with open(rules, "w") as f:
        f.write(RULES)
    with open(alerts, "w") as f:
        f.write(ALERTS)
    dates = ",".join(DATES)
    base = [SAMPLE, *MAP, "--dates", dates, "--rules", rules]

    # every customer's tier at each date, the previous and the change
    got = {r["customer_id"]: r
           for r in rows("snapshots", *base, "--model", "rfm")}
    check(sorted(got) == ids, "one row per customer")
    for c in ids:
        hist = [w[c] for w in want]
        for d, t in zip(DATES, hist):
            check(got[c][f"rtier@{d}"] == t, f"{c} at {d}: "
                  f"{got[c][f'rtier@{d}']!r}, pandas {t!r}")
        check(got[c]["rtier.previous"] == hist[-2], f"{c} previous")
        k = len(hist) - 1
        while k > 0 and hist[k - 1] == hist[-1]:
            k -= 1
        changed = got[c]["rtier.changed"]
        check(changed == (f"{DATES[k]}T23:59:59Z" if hist[-1] else ""),
              f"{c} changed {changed}, pandas {DATES[k]}")
    check(any(w == "" for w in want[0].values()),
          "some customers have no history on the first date")

    def transitions(a, b):
        lo, hi = pd.Timestamp(DATES[a]), pd.Timestamp(DATES[b])
        rev = tx[(tx.day > lo) & (tx.day <= hi)].groupby("id").amount.sum()
        df = pd.DataFrame({"from": [want[a][c] for c in ids],
                           "to": [want[b][c] for c in ids],
                           "revenue": [rev.get(c, 0.0) for c in ids]})
        g = df.groupby(["from", "to"]).agg(
            customers=("revenue", "size"), revenue=("revenue", "sum"))
        g["share"] = g.customers / g.groupby(level=0).customers.transform(
            "sum")
        return g

    for between, (a, b) in ((None, (2, 3)), (f"{DATES[0]},{DATES[1]}",
                                             (0, 1))):
        extra = ["--between", between] if between else []
        table = rows("migrate", *base, *extra)
        ref = transitions(a, b)
        check(len(table) == len(ref), f"{a}->{b}: {len(table)} rows, "
              f"pandas {len(ref)}")
        for r in table:
            key = (r["from"], r["to"])
            if key not in ref.index:
                check(False, f"{a}->{b}: no {key} in pandas")
                continue
            w = ref.loc[key]
            check(int(r["customers"]) == w.customers, f"{key} customers")
            check(abs(float(r["revenue"]) - w.revenue) < 1e-6,
                  f"{key} revenue {r['revenue']}, pandas {w.revenue}")
            check(abs(float(r["share"]) - w.share) < 1e-12, f"{key} share")
        news = [r for r in table if r["from"] == ""]
        check(bool(news) == (b == 1), f"{a}->{b}: new customers listed last"
              if b == 1 else "no new customers")
        if news:
            check(table[-1]["from"] == "", "new customers come last")

    # a later rule set reads the previous snapshot's tier
    for r in rows("snapshots", *base, "--rules", alerts, "--columns",
                  "rtier,alert"):
        c = r["customer_id"]
        dropped = want[2][c] == "active" and want[3][c] != "active"
        check(r["alert"] == ("dropped" if dropped else "none"),
              f"{c} alert {r['alert']}")
        check(r["rtier"] == want[3][c], f"{c} tier of the last date")

    # leaving any tier takes more snapshots than there are: each customer
    # keeps its first tier
    for r in rows("snapshots", *base, "--leave-hold", "*=9"):
        hist = [r[f"rtier@{d}"] for d in DATES]
        first = next((t for t in hist if t), "")
        check(all(t in ("", first) for t in hist) and hist[-1] == first,
              f"{r['customer_id']} kept {first}: {hist}")

    # a fixed model: fitted once and saved, then scored at every date; at
    # the last date its scores are those of scoring there alone
    model = f"{tmp}/rfm.model"
    run("fit", SAMPLE, *MAP, "--as-of", DATES[1], "--model", "rfm",
        "--save-model", model)
    snap = {r["customer_id"]: r["rfm.score"]
            for r in rows("snapshots", *base, "--load-model", model,
                          "--columns", "rfm.score")}
    alone = {r["customer_id"]: r["rfm.score"]
             for r in rows("score", SAMPLE, *MAP, "--as-of", DATES[-1],
                           "--load-model", model, "--columns", "rfm.score")}
    check(snap == alone, "a fixed model scores as it does alone")

    # bad input: a clear message, no output
    p = run("snapshots", SAMPLE, *MAP, "--dates", "1997-06-30,1997-03-31",
            "--rules", rules, code=2)
    check("must increase" in p.stderr and not p.stdout, p.stderr)
    p = run("migrate", SAMPLE, *MAP, "--dates", "1997-06-30", "--rules",
            rules, code=1)
    check("two --dates" in p.stderr, p.stderr)
    p = run("snapshots", *base, "--enter-hold", "gold=2", code=2)
    check("no tier 'gold'" in p.stderr, p.stderr)

if FAILS:
    sys.exit(f"{len(FAILS)} failures")
print("snapshots and migration agree with pandas")
