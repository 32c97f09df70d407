#!/usr/bin/env python3
"""The CLI's ladder, control and campaign commands against computations of
their own: the holdout hash of docs/operations.md written again here, a
plain replay of the ladder's rules on random histories, and the campaign's
tests against scipy.stats (where no Python here has scipy, that part is
skipped and said so)."""
import csv
import io
import math
import os
import random
import subprocess
import sys
import tempfile

CLI, SAMPLE = sys.argv[1], sys.argv[2]
SAMPLE_MAP = ["--no-header", "--map", "id=2", "--map", "time=3",
              "--map", "amount=5"]
FAILS = []


def run(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"segment {' '.join(args)}: exit {p.returncode}: "
                         f"{p.stderr}")
    return list(csv.DictReader(io.StringIO(p.stdout)))


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


# ---- the holdout hash, from the formula of docs/operations.md ----
M64 = (1 << 64) - 1


def draw(seed, cid):
    h = 0xcbf29ce484222325
    for b in f"{seed}:{cid}".encode():
        h = ((h ^ b) * 0x100000001b3) & M64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & M64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M64
    h ^= h >> 33
    return (h >> 11) / 2.0 ** 53


def test_control():
    seed = 18446744073709551615  # the largest seed, to see all 64 bits
    rows = run("control", SAMPLE, *SAMPLE_MAP, "--seed", str(seed),
               "--share", "0.25")
    held = 0
    for r in rows:
        want = 0 if draw(seed, r["customer_id"]) < 0.25 else 1
        check(int(r["treatment"]) == want, f"control {r['customer_id']}")
        held += want == 0
    n = len(rows)
    check(abs(held / n - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n),
          f"held out {held} of {n}")


# ---- the ladder, replayed plainly ----
SPEC = """name = lv
period = 90d
points amount = 2
points event review = 15
points event checkin = 3
tier T0 = 0
tier T1 = 100 keep 40
tier T2 = 250 keep 120
tier T3 = 600 keep 300
"""
TIERS = [("T0", 0, 0), ("T1", 100, 40), ("T2", 250, 120), ("T3", 600, 300)]
PERIOD = 90 * 86400
EVENT_POINTS = {"review": 15, "checkin": 3}


def replay(records, as_of):
    """records: (time, order, points) sorted by time then order."""
    tier, start, end, pts, per = 0, None, None, 0.0, 0.0

    def expire(t):
        nonlocal tier, start, end, pts, per
        while tier > 0 and end <= t:
            if per >= TIERS[tier][2]:
                start, end, per = end, end + PERIOD, 0.0
                continue
            j = tier - 1
            while j > 0 and per < TIERS[j][2]:
                j -= 1
            pts = min(pts, TIERS[j][1])
            tier, start = j, end
            end = end + PERIOD if j > 0 else None
            per = 0.0

    for t, _, p in records:
        if t > as_of:
            break
        expire(t)
        if start is None:
            start = t
        # kept to a millionth of a point
        pts = max(0.0, round(pts + p, 6))
        per = round(per + p, 6)
        up = tier
        while up + 1 < len(TIERS) and pts >= TIERS[up + 1][1]:
            up += 1
        if up > tier:
            tier, start, end, per = up, t, t + PERIOD, 0.0
    expire(as_of)
    return TIERS[tier][0], start, end, pts, per


def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def test_ladder(d):
    rnd = random.Random(15)
    t0 = 1704067200
    tx, ev, hist = [], [], {}
    order = 0
    for c in range(300):
        cid = f"m{c:03d}"
        hist[cid] = []
        for _ in range(rnd.randrange(0, 25)):
            t = t0 + rnd.randrange(0, 400) * 86400 + rnd.randrange(3) * 3600
            if rnd.random() < 0.6:
                a = round(rnd.uniform(-30, 120), 2)
                tx.append((cid, t, a))
                hist[cid].append((t, 0, order, 2 * a))
            else:
                k = rnd.choice(["review", "checkin", "visit"])
                ev.append((cid, t, k))
                if k in EVENT_POINTS:
                    hist[cid].append((t, 1, order, EVENT_POINTS[k]))
            order += 1
    # a file as generated (customers' records out of time order), and the
    # same sorted by time (a log by date), which the library replays in
    # one pass rather than customer by customer
    for name, order in (("", lambda r: 0), ("sorted-", lambda r: r[1])):
        with open(os.path.join(d, name + "tx.csv"), "w") as f:
            f.write("customer_id,time,amount\n")
            for cid, t, a in sorted(tx, key=order):
                f.write(f"{cid},{t},{a}\n")
        with open(os.path.join(d, name + "ev.csv"), "w") as f:
            f.write("customer_id,time,kind\n")
            for cid, t, k in sorted(ev, key=order):
                f.write(f"{cid},{t},{k}\n")
    with open(os.path.join(d, "spec.ladder"), "w") as f:
        f.write(SPEC)
    as_of = t0 + 380 * 86400
    for name in ("", "sorted-"):
        check_ladder(d, name, hist, tx, ev, as_of)


def check_ladder(d, name, hist, tx, ev, as_of):
    rows = run("ladder", os.path.join(d, name + "tx.csv"), "--time-format",
               "epoch", "--events", os.path.join(d, name + "ev.csv"),
               "--ladder", os.path.join(d, "spec.ladder"), "--as-of",
               str(as_of), "--epoch-times")
    seen = 0
    for r in rows:
        cid = r["customer_id"]
        # purchases first at one time, then in the order added
        recs = sorted(hist[cid], key=lambda x: (x[0], x[1], x[2]))
        tier, start, end, pts, per = replay(
            [(t, o, p) for t, _, o, p in recs], as_of)
        check(r["lv.tier"] == tier, f"ladder {cid} tier {r['lv.tier']} "
              f"!= {tier}")
        got_start = float(r["lv.tier_start"]) if r["lv.tier_start"] else None
        got_end = float(r["lv.tier_end"]) if r["lv.tier_end"] else None
        check(got_start == start and got_end == end,
              f"ladder {cid} period {got_start}..{got_end} != {start}..{end}")
        check(abs(float(r["lv.points"]) - pts) < 1e-6 and
              abs(float(r["lv.period_points"]) - per) < 1e-6,
              f"ladder {cid} points")
        seen += 1
    active = {cid for cid, _, _ in tx} | {cid for cid, _, _ in ev}
    check(seen == len(active), "every customer with records has a row")
    tiers = {r["lv.tier"] for r in rows}
    check(len(tiers) >= 3, f"the histories reach several tiers: {tiers}")


# The bundled 健身俱乐部 example with the fitness preset (period 365 days;
# 1 point a yuan, 10 a check-in, 20 a class, 200 a referral; 入门级 0,
# 活跃级 1000 keep 600, 忠实级 3000 keep 2000, VIP级 8000 keep 5000), on
# 2025-12-31, worked by hand:
# F01 fee 3000 on 01-05: 忠实级 01-05..2026-01-05; 20 check-ins: 3200, 200.
# F02 fee 600 on 01-10, check-ins daily from 02-01: the 40th (03-12) makes
#     1000, 活跃级 03-12..2026-03-12; 5 more: 1050, period 50.
# F03 fee 8000 on 2024-01-02: VIP级 to 2025-01-01 (2024 has 366 days); in
#     that period 3000 + a referral 200 = 3200 < 5000 but >= 2000: 忠实级
#     2025-01-01..2026-01-01, balance cut to 3000; 10 classes: 3200, 200.
# F04 fee 1200 on 2024-03-01: 活跃级 to 2025-03-01; 70 check-ins (700 >=
#     600) renew it to 2026-03-01; 1900 points, period 0, 600 to keep.
# F05 fee 1000 on 2024-02-01: 活跃级 to 2025-01-31; nothing since: 入门级
#     from 2025-01-31 with 0 points.
# F06 fee 1500 on 05-01 (活跃级 to 2026-05-01), return -300 on 05-10:
#     1200 points, period -300, 900 to keep; a return does not end a tier.
# F07 fee 199 on 11-01 and 3 check-ins: 入门级, 229 points, 771 to go.
FITNESS = {
    "F01": ("忠实级", "2025-01-05", "2026-01-05", 3200, 200, 4800, 1800),
    "F02": ("活跃级", "2025-03-12", "2026-03-12", 1050, 50, 1950, 550),
    "F03": ("忠实级", "2025-01-01", "2026-01-01", 3200, 200, 4800, 1800),
    "F04": ("活跃级", "2025-03-01", "2026-03-01", 1900, 0, 1100, 600),
    "F05": ("入门级", "2025-01-31", "", 0, 0, 1000, None),
    "F06": ("活跃级", "2025-05-01", "2026-05-01", 1200, -300, 1800, 900),
    "F07": ("入门级", "2025-11-01", "", 229, 229, 771, None),
}


def test_fitness():
    data = os.path.join(os.path.dirname(SAMPLE), "fitness_fees.csv")
    events = os.path.join(os.path.dirname(SAMPLE), "fitness_visits.csv")
    rows = run("ladder", data, "--events", events, "--preset", "fitness",
               "--as-of", "2025-12-31")
    check(len(rows) == len(FITNESS), "fitness rows")
    for r in rows:
        tier, start, end, pts, per, nxt, keep = FITNESS[r["customer_id"]]
        got = (r["ladder.tier"], r["ladder.tier_start"][:10],
               r["ladder.tier_end"][:10], float(r["ladder.points"]),
               float(r["ladder.period_points"]), float(r["ladder.to_next"]),
               float(r["ladder.to_keep"]) if r["ladder.to_keep"] else None)
        check(got == (tier, start, end, pts, per, nxt, keep),
              f"fitness {r['customer_id']}: {got}")
    ledger = run("ladder", data, "--events", events, "--preset", "fitness",
                 "--as-of", "2025-12-31", "--ledger", "F03")
    changes = [(r["time"][:10], r["source"], r["tier"]) for r in ledger
               if r["source"] in ("upgrade", "renewal", "downgrade")]
    check(changes == [("2024-01-02", "upgrade", "VIP级"),
                      ("2025-01-01", "downgrade", "忠实级")],
          f"F03's changes {changes}")


# ---- the campaign against scipy ----
SCIPY = r'''
import csv, json, math, sys
from scipy import stats
groups = json.load(open(sys.argv[1]))
out = {}
# everyone, by tier: each tier's difference weighted by its size
tiers = [g for name, g in groups.items() if not name.startswith("(")]
total = sum(len(t) + len(c) for t, c in tiers)
strat = {"conv": 0, "conv_se2": 0, "rev": 0, "rev_se2": 0, "df_den": 0}
for t, c in tiers:
    w = (len(t) + len(c)) / total
    p1 = sum(v > 0 for v in t) / len(t)
    p2 = sum(v > 0 for v in c) / len(c)
    strat["conv"] += w * (p1 - p2)
    strat["conv_se2"] += w * w * (p1 * (1 - p1) / len(t) + p2 * (1 - p2) / len(c))
    a = w * w * stats.tvar(t) / len(t)
    b = w * w * stats.tvar(c) / len(c)
    strat["rev"] += w * (sum(t) / len(t) - sum(c) / len(c))
    strat["rev_se2"] += a + b
    strat["df_den"] += a * a / (len(t) - 1) + b * b / (len(c) - 1)
se, d = math.sqrt(strat["conv_se2"]), strat["conv"]
q = stats.norm.ppf(0.975)
df = strat["rev_se2"] ** 2 / strat["df_den"]
sr, dr = math.sqrt(strat["rev_se2"]), strat["rev"]
out["(all)"] = {"conv_p": 2 * stats.norm.sf(abs(d / se)),
                "conv_low": d - q * se, "conv_high": d + q * se,
                "revenue_p": 2 * stats.t.sf(abs(dr / sr), df),
                "revenue_df": df,
                "revenue_low": dr - stats.t.ppf(0.975, df) * sr,
                "revenue_high": dr + stats.t.ppf(0.975, df) * sr}
for name, (t, c) in groups.items():
    n1, n2 = len(t), len(c)
    x1, x2 = sum(v > 0 for v in t), sum(v > 0 for v in c)
    p1, p2, pool = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    q = stats.norm.ppf(0.975)
    w = stats.ttest_ind(t, c, equal_var=False)
    v1 = stats.tvar(t) / n1
    v2 = stats.tvar(c) / n2
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    qt = stats.t.ppf(0.975, df)
    d = sum(t) / n1 - sum(c) / n2
    out[name] = {"conv_p": 2 * stats.norm.sf(abs(z)),
                 "conv_low": p1 - p2 - q * se, "conv_high": p1 - p2 + q * se,
                 "revenue_p": float(w.pvalue), "revenue_df": df,
                 "revenue_low": d - qt * math.sqrt(v1 + v2),
                 "revenue_high": d + qt * math.sqrt(v1 + v2)}
print(json.dumps(out))
'''


def python_with_scipy():
    for cand in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(cand) and subprocess.run(
                [cand, "-c", "import scipy"], capture_output=True
        ).returncode == 0:
            return cand
    return None


def test_campaign(d):
    py = python_with_scipy()
    if not py:
        print("campaign against scipy: skipped (no Python here has scipy)")
        return
    import json
    rnd = random.Random(2024)
    t0, day = 1704067200, 86400
    groups = {}
    tx = open(os.path.join(d, "ctx.csv"), "w")
    at = open(os.path.join(d, "cattr.csv"), "w")
    tx.write("customer_id,time,amount\n")
    at.write("customer_id,treatment,tier\n")
    spec = {"gold": (40, 35, 0.5, 0.35, 80), "silver": (120, 90, 0.3, 0.25,
            40), "new": (300, 280, 0.12, 0.1, 25)}
    for tier, (nt, nc, pt, pc, mean) in spec.items():
        arms = ([], [])
        for arm, n, p in ((1, nt, pt), (0, nc, pc)):
            for i in range(n):
                cid = f"{tier}-{arm}-{i}"
                at.write(f"{cid},{arm},{tier}\n")
                rev = 0.0
                # before the campaign, and after the window: not counted
                tx.write(f"{cid},{t0 - 5 * day},50\n")
                tx.write(f"{cid},{t0 + 45 * day},70\n")
                if rnd.random() < p:
                    for _ in range(rnd.randrange(1, 3)):
                        a = round(rnd.expovariate(1 / mean), 2) + 1
                        tx.write(f"{cid},{t0 + rnd.randrange(1, 30) * day},"
                                 f"{a}\n")
                        rev += a
                arms[1 - arm].append(rev)
        groups[tier] = arms
    tx.close()
    at.close()
    groups["(pooled)"] = (sum((g[0] for g in groups.values()), []),
                          sum((g[1] for g in groups.values()), []))
    with open(os.path.join(d, "groups.json"), "w") as f:
        json.dump(groups, f)
    ref = json.loads(subprocess.run(
        [py, "-c", SCIPY, os.path.join(d, "groups.json")],
        capture_output=True, text=True, check=True).stdout)
    # the campaign day is 2024-01-01; the window its next 30 days
    rows = run("campaign", os.path.join(d, "ctx.csv"), "--time-format",
               "epoch", "--attributes", os.path.join(d, "cattr.csv"),
               "--by", "tier", "--campaign-date", "2023-12-31",
               "--window", "31")
    # without tiers, everyone is one plain two-sample comparison
    rows += [dict(r, tier="(pooled)") for r in run(
        "campaign", os.path.join(d, "ctx.csv"), "--time-format", "epoch",
        "--attributes", os.path.join(d, "cattr.csv"), "--campaign-date",
        "2023-12-31", "--window", "31")]
    check(len(rows) == 5, "campaign rows")
    for r in rows:
        want = ref[r["tier"]]
        for k, v in want.items():
            got = float(r[k])
            check(abs(got - v) <= 1e-9 * max(1, abs(v)),
                  f"campaign {r['tier']} {k} {got!r} != scipy {v!r}")
    print("campaign against scipy:", len(rows), "rows compared")


with tempfile.TemporaryDirectory() as d:
    test_control()
    test_fitness()
    test_ladder(d)
    test_campaign(d)
if FAILS:
    sys.exit(f"{len(FAILS)} failures")
print("ok")
