#!/usr/bin/env python3
"""The reclaim command on random lead histories against a plain replay of
the rules of docs/operations.md (tests/ref/reclaim_ref.py), row by row:
the columns, the reclaim list and the reminder list; then the worked
example of the docs on the bundled leads, and a bad definition.

    test-reclaim.py SEGMENT EXAMPLES_DATA
"""
import csv
import datetime
import io
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "ref"))
import reclaim_ref as ref  # noqa: E402

CLI, DATA = sys.argv[1], sys.argv[2]
FAILS = []
T0 = 1704067200  # 2024-01-01T00:00:00Z
DAY = 86400

SPEC_TEXT = """# the rules of the random histories
name = lp
owner_since = since
assigned = assigned
released = released
followup = call visit
deal = transaction
deal = event won
rule quiet = no followup in 12d
rule cold = no deal in 40d
rule quiet2 = no followup in 2w   # never first: quiet fires before it
reminder = 4d
cap = 5
lockout = 25d
"""
SPEC = ref.Spec(["call", "visit"], ["won"], True,
                [("quiet", "followup", 12), ("cold", "deal", 40),
                 ("quiet2", "followup", 14)], 4, 5, 25)
OWNERS = ["ann", "bo", "chen", "dai", ""]


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def run(*args, ok=True):
    p = subprocess.run([CLI, *args], capture_output=True, text=True,
                       encoding="utf-8")
    if ok and p.returncode != 0:
        raise SystemExit(f"segment {' '.join(args)}: exit {p.returncode}: "
                         f"{p.stderr}")
    return p


def rows(p):
    return list(csv.DictReader(io.StringIO(p.stdout)))


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def when(rnd, lo, hi):
    """A day in [lo, hi), at midnight or at a whole hour."""
    return T0 + rnd.randrange(lo, hi) * DAY + rnd.choice([0, 0, 9, 15]) * 3600


def histories(rnd, n):
    leads, tx, ev = {}, [], []
    for c in range(n):
        cid = f"q{c:03d}"
        owner = rnd.choice(OWNERS)
        # assignment dates on few days, so that the cap sees ties
        since = T0 + rnd.choice([40, 50, 55, 58, 60]) * DAY \
            if rnd.random() < 0.6 else None
        recs = []
        for _ in range(rnd.randrange(0, 6)):
            t = when(rnd, 0, 70)
            r = rnd.random()
            if r < 0.2:
                a = rnd.choice([25.0, -10.0, 0.0])
                tx.append((cid, t, a))
                recs.append((t, "tx", a))
                continue
            if r < 0.75:
                k = rnd.choice(["call", "visit", "email", "won", "assigned"])
            else:
                k = "released:" + rnd.choice(["ann", "bo", "chen", "eve"])
            ev.append((cid, t, k))
            recs.append((t, "ev", k))
        leads[cid] = {"owner": owner, "since": since, "records": recs}
    return leads, tx, ev


def write(d, leads, tx, ev):
    with open(os.path.join(d, "owners.csv"), "w") as f:
        f.write("customer_id,owner,since\n")
        for cid, l in leads.items():
            s = iso(l["since"]) if l["since"] is not None else ""
            f.write(f"{cid},{l['owner']},{s}\n")
    with open(os.path.join(d, "tx.csv"), "w") as f:
        f.write("customer_id,time,amount\n")
        for cid, t, a in tx:
            f.write(f"{cid},{t},{a}\n")
    with open(os.path.join(d, "ev.csv"), "w") as f:
        f.write("customer_id,time,kind\n")
        for cid, t, k in ev:
            f.write(f"{cid},{t},{k}\n")
    with open(os.path.join(d, "spec.reclaim"), "w") as f:
        f.write(SPEC_TEXT)


def num(s):
    return None if s == "" else float(s)


def compare_columns(got, want, as_of):
    seen = set()
    for r in got:
        cid = r["customer_id"]
        seen.add(cid)
        w = want[cid]
        tag = f"{cid} on day {(as_of - T0) / DAY:g}"
        check(r["lp.status"] == w["status"],
              f"{tag}: status {r['lp.status']} != {w['status']}")
        check(r["lp.rule"] == (w["rule"] or ""),
              f"{tag}: rule {r['lp.rule']} != {w['rule']}")
        for col, key in (("days_since_followup", "since"),
                         ("fires", "fires"), ("days_left", "left"),
                         ("locked_until", "until")):
            g, x = num(r["lp." + col]), w[key]
            check(g == (None if x is None else float(x)),
                  f"{tag}: {col} {g} != {x}")
        check(r["lp.locked_owner"] == (w["locked"] or ""),
              f"{tag}: locked_owner {r['lp.locked_owner']} != {w['locked']}")
    check(seen == set(want), "every lead has a row")


def compare_lists(args, leads, want, as_of):
    got = rows(run(*args, "--list", "reclaimed"))
    ids = ref.reclaim_list(leads, want)
    check([r["customer_id"] for r in got] == ids,
          f"reclaim list order on {as_of}")
    for r in got:
        w = want[r["customer_id"]]
        check(r["owner"] == leads[r["customer_id"]]["owner"] and
              r["rule"] == w["rule"] and r["fired"] == iso(w["fires"]) and
              r["locked_owner"] == (w["locked"] or "") and
              r["locked_until"] == (iso(w["until"]) if w["until"] else ""),
              f"reclaim list row {r}")
    got = rows(run(*args, "--list", "reminders"))
    ids = ref.reminder_list(leads, want)
    check([r["customer_id"] for r in got] == ids,
          f"reminder list order on {as_of}")
    for r in got:
        w = want[r["customer_id"]]
        check(r["rule"] == w["rule"] and r["fires"] == iso(w["fires"]) and
              float(r["days_left"]) == w["left"] and
              float(r["days_since_followup"]) == w["since"],
              f"reminder list row {r}")
    return len(got)


def test_random(d):
    rnd = random.Random(15)
    leads, tx, ev = histories(rnd, 400)
    write(d, leads, tx, ev)
    statuses, rules, reminders = set(), set(), 0
    # the analysis date at midnight, at the end of a day, in mid-day
    for as_of in (T0 + 62 * DAY, T0 + 66 * DAY - 1, T0 + 71 * DAY + 9 * 3600):
        args = ["reclaim", os.path.join(d, "tx.csv"), "--time-format",
                "epoch", "--events", os.path.join(d, "ev.csv"),
                "--attributes", os.path.join(d, "owners.csv"), "--reclaim",
                os.path.join(d, "spec.reclaim"), "--as-of", str(as_of)]
        want = ref.judge(SPEC, leads, as_of)
        compare_columns(rows(run(*args, "--epoch-times")), want, as_of)
        reminders += compare_lists(args, leads, want, as_of)
        statuses |= {w["status"] for w in want.values()}
        rules |= {w["rule"] for w in want.values()}
    check(statuses == {"kept", "reminder", "reclaimed", "pool"},
          f"the histories reach every status: {statuses}")
    check({"quiet", "cold", "cap", "lockout"} <= rules,
          f"the histories reach every kind of rule: {rules}")
    check(reminders > 0, "some reminders")


# The worked example of docs/operations.md, "Lead-pool reclaim".
def test_bundled():
    args = ["reclaim", os.path.join(DATA, "lead_followups.csv"),
            "--attributes", os.path.join(DATA, "lead_owners.csv"),
            "--preset", "standard", "--as-of", "2026-11-10"]
    got = {r["customer_id"]: r for r in rows(run(*args))}
    want = {"L001": ("reminder", "no_followup", "14", "1", ""),
            "L002": ("reclaimed", "no_deal", "21", "-10", "bob"),
            "L003": ("kept", "no_followup", "2", "13", ""),
            "L004": ("pool", "", "", "", "dave"),
            "L005": ("reclaimed", "lockout", "16", "", "carol"),
            "L006": ("kept", "no_followup", "9", "6", ""),
            "L007": ("kept", "no_followup", "3", "12", "")}
    for cid, w in want.items():
        r = got[cid]
        check((r["reclaim.status"], r["reclaim.rule"],
               r["reclaim.days_since_followup"], r["reclaim.days_left"],
               r["reclaim.locked_owner"]) == w, f"bundled {cid}: {r}")
    rec = rows(run(*args, "--list", "reclaimed"))
    check([r["customer_id"] for r in rec] == ["L002", "L005"],
          f"bundled reclaim list {rec}")
    rem = rows(run(*args, "--list", "reminders"))
    check([r["customer_id"] for r in rem] == ["L001"],
          f"bundled reminder list {rem}")


def test_errors(d):
    bad = os.path.join(d, "bad.reclaim")
    with open(bad, "w") as f:
        f.write("followup = call\nrule quiet = no followup in 10days\n")
    p = run("reclaim", os.path.join(DATA, "lead_followups.csv"),
            "--attributes", os.path.join(DATA, "lead_owners.csv"),
            "--reclaim", bad, ok=False)
    check(p.returncode == 2 and f"{bad}:2:29: expected whole days" in
          p.stderr, f"bad definition: {p.returncode} {p.stderr}")
    p = run("reclaim", os.path.join(DATA, "lead_followups.csv"),
            "--preset", "standard", ok=False)
    check(p.returncode == 2 and "no column 'owner'" in p.stderr,
          f"no owners: {p.returncode} {p.stderr}")
    p = run("reclaim", os.path.join(DATA, "lead_followups.csv"),
            "--preset", "standard", "--list", "all", ok=False)
    check(p.returncode == 1 and "--list" in p.stderr,
          f"bad --list: {p.returncode} {p.stderr}")


def main():
    with tempfile.TemporaryDirectory() as d:
        test_random(d)
        test_bundled()
        test_errors(d)
    if FAILS:
        print(f"{len(FAILS)} failures")
        sys.exit(1)
    print("reclaim: all checks passed")


main()
