#!/usr/bin/env python3
"""Snapshots against one analysis date, whole processes of the segment
tool on the cached 1M-customer / 10M-transaction order log (gen_orders.py,
as jobs.py caches it):

    snapshots.py SEGMENT [ORDERS.csv] [--runs 3]

one:  segment tier ORDERS --as-of D4 with RFM, CLV and a 10-rule tier set
      (the everyday one-date run, its tier column written out)
four: segment migrate ORDERS --dates D1,D2,D3,D4 with the same models and
      rules, fitted and scored at each date, plus the transition table
The two alternate, RUNS each; the medians of wall time, processor time
(user + sys) and peak RSS from GNU time -v, and the ratios four / one."""
import os
import re
import statistics
import subprocess
import sys
import tempfile

DATES = ["2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"]
RULES = """output "value_tier"
tier "VIP" when clv.value >= p95(clv.value) and rfm.r >= 4
tier "高价值" when clv.value >= p80(clv.value)
tier "潜力" when rfm.f >= 4 and rfm.m >= 3
tier "新客" when orders = 1 and recency <= 30d
tier "活跃" when recency <= 60d
tier "回流" when previous(value_tier) = "沉默" and recency <= 90d
tier "犹豫" when clv.p_alive >= 0.6 and recency <= 180d
tier "沉默" when recency <= 365d
tier "流失风险" when clv.p_alive < 0.3
otherwise "流失"
"""


def measure(cmd):
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-2000:]}")

    def field(name):
        return re.search(re.escape(name) + r": (.*)", p.stderr).group(1)
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    cpu = float(field("User time (seconds)")) + float(
        field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return secs, cpu, rss


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = 3
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args = [a for a in args if a != str(runs)]
    seg = args[0]
    orders = args[1] if len(args) > 1 else os.path.expanduser(
        "~/.cache/libsegment-bench/"
        "orders-v2-1000000-10000000-s20231231-date.csv")
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "tiers.rules")
        with open(rules, "w") as f:
            f.write(RULES)
        common = [orders, "--map", "id=customer_id", "--map", "time=date",
                  "--map", "amount=amount", "--model", "rfm", "--model",
                  "clv", "--rules", rules, "--quiet", "-o", os.devnull]
        # the one-date run has no snapshot before it: previous() is
        # missing there, as at a first snapshot
        one_rules = os.path.join(tmp, "one.rules")
        with open(one_rules, "w") as f:
            f.write(RULES.replace('previous(value_tier) = "沉默"', "false"))
        one = [seg, "tier", *common, "--as-of", DATES[-1], "--columns",
               "value_tier"]
        one[one.index(rules)] = one_rules
        four = [seg, "migrate", *common, "--dates", ",".join(DATES)]
        got = {"one": [], "four": []}
        for r in range(runs):
            order = ("one", "four") if r % 2 == 0 else ("four", "one")
            for name in order:
                got[name].append(measure(one if name == "one" else four))
                print(name, "run", r + 1, "wall %.2f s cpu %.2f s rss %.0f "
                      "MiB" % got[name][-1], flush=True)
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)]
           for k, v in got.items()}
    print("\n| run | wall s | cpu s | peak RSS MiB |\n|---|---|---|---|")
    for k in ("one", "four"):
        print("| %s | %.2f | %.2f | %.0f |" % (k, *med[k]))
    print("| four / one | %.2f | %.2f | %.2f |" % tuple(
        med["four"][i] / med["one"][i] for i in range(3)))


if __name__ == "__main__":
    main()
