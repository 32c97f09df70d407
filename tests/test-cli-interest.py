#!/usr/bin/env python3
"""The interest workflow through the CLI: a generated shop with categories
loaded with --map category=, scored with --model interest, compared with
the pandas reference of tests/ref/interest_ref.py (computed from the raw
CSV files), then tiered by rules that read interest.top and
"x" in interest.top3; and the errors of bad input.

    test-cli-interest.py SEGMENT GEN_SHOP REPO

and the worked example of docs/operations.md, "Interest tiers", on the
bundled shop with the shipped interest_tiers.rules, as the page shows it.
"""
import io
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "ref"))
try:
    import pandas as pd
    from interest_ref import epoch_seconds, interest
except ImportError:
    print("pandas is missing: skipped")
    sys.exit(77)

SEG, GEN, REPO = sys.argv[1], sys.argv[2], sys.argv[3]
WEIGHTS = {"page_view": 1.0, "add_to_cart": 3.0, "pricing_view": 2.0,
           "checkout": 0.0}
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def run(*args, ok=True):
    p = subprocess.run([SEG] + list(args), capture_output=True, text=True)
    if ok and p.returncode != 0:
        sys.exit("segment %s failed: %s" % (" ".join(args), p.stderr))
    return p


def load_args(d):
    return [os.path.join(d, "orders.csv"), "--map", "category=category",
            "--events", os.path.join(d, "events.csv"), "--events-map",
            "category=category", "--timezone", "Asia/Shanghai",
            "--as-of", "2026-03-31"]


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    return a == b


def compare(got, ref, top, what):
    """Every customer of the CLI's table against the reference."""
    bad = 0
    cols = ["top", "top%d" % top, "score", "label", "browsed_not_bought",
            "browsed_not_bought_count"] + \
        ["share%d" % (q + 1) for q in range(top)]
    for cid, row in got.iterrows():
        for c in cols:
            g = row["interest." + c]
            if cid in ref.index:
                r = ref.at[cid, c]
            else:  # nothing with a category up to as_of
                r = 0.0 if c in ("score", "browsed_not_bought_count") else None
            if isinstance(r, float) and math.isnan(r) and c not in (
                    "score",) and not c.startswith("share") and \
                    c != "browsed_not_bought_count":
                r = None
            if isinstance(g, float) and math.isnan(g) and not (
                    c == "score" or c.startswith("share") or
                    c == "browsed_not_bought_count"):
                g = None
            if not same(g, r):
                bad += 1
                if bad <= 5:
                    print("  %s %s: got %r, expected %r" % (cid, c, g, r))
    check(bad == 0, "%s: %d cells differ from the reference" % (what, bad))


SUMMARY = """\
interest_tier,count,share,monetary_total_total,monetary_total_mean,\
monetary_total_share
Held back,99,0.33,60230.61,608.39,0.299942287963293
Electronics fan,38,0.12666666666666668,11717.98,308.3678947368421,\
0.05835434393754451
Home & living,71,0.23666666666666666,55108.57,776.1770422535211,\
0.27443505174836
Focused,77,0.25666666666666665,62654.16,813.6903896103896,\
0.31201131950711164
Broad,15,0.05,11096.01,739.734,0.05525699684369092
"""


def worked_example():
    data = os.path.join(REPO, "examples", "data")
    a = [os.path.join(data, "shop_orders.csv"), "--map", "category=category",
         "--events", os.path.join(data, "shop_events.csv"), "--events-map",
         "category=category", "--timezone", "Asia/Shanghai",
         "--as-of", "2026-06-30", "--model", "interest", "--set",
         "weights=page_view=1,pricing_view=2,add_to_cart=3,checkout=4"]
    p = run("summary", *a, "--rules",
            os.path.join(REPO, "examples", "rules", "interest_tiers.rules"))
    check(p.stdout == SUMMARY, "the summary of docs/operations.md:\n" +
          p.stdout)
    p = run("score", *a, "--columns", "interest.top3,interest.share1,"
            "interest.label,interest.browsed_not_bought", "--format", "csv")
    check(p.stdout.splitlines()[1] ==
          "C00001,home|books|electronics,0.858947186815796,home,home",
          "C00001 of docs/operations.md: " + p.stdout.splitlines()[1])
    # the page works C00001's score by hand
    o = pd.read_csv(os.path.join(data, "shop_orders.csv"))
    e = pd.read_csv(os.path.join(data, "shop_events.csv"))
    o["t"], e["t"] = epoch_seconds(o.time, 8), epoch_seconds(e.time, 8)
    as_of = int((pd.Timestamp("2026-06-30 23:59:59") -
                 pd.Timestamp("1970-01-01")).total_seconds()) - 8 * 3600
    ref = interest(o, e, as_of, weights={"page_view": 1, "pricing_view": 2,
                                         "add_to_cart": 3, "checkout": 4})
    check(abs(ref.at["C00001", "score"] - 0.03406819451371926) < 1e-12,
          "C00001's score by the reference")


def main():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, GEN, d, "400", "--categories"],
                       check=True)
        od = pd.read_csv(os.path.join(d, "orders.csv"))
        ev = pd.read_csv(os.path.join(d, "events.csv"))
        od["t"] = epoch_seconds(od.time, 8)
        ev["t"] = epoch_seconds(ev.time, 8)
        # the end of 2026-03-31 in Beijing time
        as_of = int((pd.Timestamp("2026-03-31 23:59:59") -
                     pd.Timestamp("1970-01-01")).total_seconds()) - 8 * 3600
        check((od.t > as_of).any() and (ev.t > as_of).any(),
              "the data goes on after as_of")
        w = ",".join("%s=%g" % kv for kv in WEIGHTS.items())

        # the defaults but the weights
        p = run("score", *load_args(d), "--model", "interest",
                "--set", "weights=" + w, "--format", "csv")
        got = pd.read_csv(io.StringIO(p.stdout), index_col="customer_id",
                          keep_default_na=False, na_values=[""])
        ref = interest(od, ev, as_of, weights=WEIGHTS)
        check(len(got) == 400, "400 customers")
        check(got["interest.browsed_not_bought"].notna().sum() > 20,
              "some customers browsed without buying")
        compare(got, ref, 3, "defaults")

        # per unit of amount, a shorter half-life, the top 4
        p = run("score", *load_args(d), "--model", "interest",
                "--set", "weights=" + w, "--set", "purchase_basis=amount",
                "--set", "purchase_weight=0.05", "--set",
                "half_life_days=12.5", "--set", "top=4", "--set",
                "browse_min=2", "--set", "focus_share=0.4", "--format", "csv")
        got = pd.read_csv(io.StringIO(p.stdout), index_col="customer_id",
                          keep_default_na=False, na_values=[""])
        ref4 = interest(od, ev, as_of, half_life_days=12.5,
                        purchase_weight=0.05, basis="amount", weights=WEIGHTS,
                        top=4, browse_min=2, focus_share=0.4)
        compare(got, ref4, 4, "amount basis, top 4")

        # tiers from the interest columns
        rules = os.path.join(d, "interest.rules")
        with open(rules, "w") as f:
            f.write('output "interest_tier"\n'
                    'tier "Gadgets" when interest.top = "electronics"\n'
                    'tier "Held back" when interest.browsed_not_bought '
                    'is not missing\n'
                    'tier "Home" when "home" in interest.top3\n'
                    'tier "Typo" when "hoem" in interest.top3\n'
                    'otherwise "Other"\n')
        p = run("tier", *load_args(d), "--model", "interest",
                "--set", "weights=" + w, "--rules", rules,
                "--columns", "interest_tier", "--format", "csv")
        tiers = pd.read_csv(io.StringIO(p.stdout), index_col="customer_id")
        check("no customer has 'hoem' in 'interest.top3', so this test is "
              "always false" in p.stderr,
              "the typo'd category is warned about: " + p.stderr)
        bad = 0
        for cid, t in tiers.interest_tier.items():
            r = ref.loc[cid] if cid in ref.index else None
            want = "Other"
            if r is not None:
                if r["top"] == "electronics":
                    want = "Gadgets"
                elif isinstance(r.browsed_not_bought, str):
                    want = "Held back"
                elif isinstance(r.top3, str) and \
                        "home" in r.top3.split("|"):
                    want = "Home"
            bad += t != want
        check(bad == 0, "%d tiers differ from the reference's" % bad)
        check(set(tiers.interest_tier) >= {"Gadgets", "Held back", "Home",
                                           "Other"},
              "every tier is used: %s" % set(tiers.interest_tier))

        # bad input
        p = run("score", *load_args(d), "--model", "interest", "--set",
                "weights=page_veiw=2", ok=False)
        check(p.returncode != 0 and "no event kind 'page_veiw' in the "
              "dataset (did you mean 'page_view'?)" in p.stderr,
              "an unknown kind in weights: " + p.stderr)
        p = run("score", *load_args(d), "--model", "interest", "--set",
                "half_life_days=0", ok=False)
        check(p.returncode != 0 and "half_life_days" in p.stderr,
              "a half-life of 0: " + p.stderr)
        blank = os.path.join(d, "blank.csv")
        with open(blank, "w") as f:
            f.write("customer_id,time,amount,category\n"
                    "a,2026-01-01,5,\nb,2026-01-02,6,\n")
        p = run("features", blank, "--map", "category=category", ok=False)
        check(p.returncode != 0 and "category column 'category' has no "
              "values" in p.stderr, "a category column of blanks: " +
              p.stderr)
        p = run("score", os.path.join(d, "orders.csv"), "--model", "interest",
                ok=False)
        check(p.returncode != 0 and "--map category=COLUMN" in p.stderr,
              "interest without categories: " + p.stderr)
    worked_example()
    if FAILS:
        sys.exit("%d failures" % len(FAILS))
    print("ok")


if __name__ == "__main__":
    main()
