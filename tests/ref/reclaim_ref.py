#!/usr/bin/python3
"""A plain replay of the lead-pool reclaim of docs/operations.md, written
from the documented rules alone (never from libsegment's code), for
tests/test-reclaim.py.

A lead is a dict: owner ("" for none), since (epoch seconds or None),
records: a list of (time, what, kind_or_amount) in the order they were
added, what being "tx" (amount) or "ev" (event kind).
"""
DAY = 86400


def floor_days(secs):
    return secs // DAY  # Python floors toward minus infinity


class Spec:
    def __init__(self, followup, deal_kinds, deal_tx, rules, reminder, cap,
                 lockout, assigned="assigned", released="released"):
        self.followup = set(followup)
        self.deal_kinds = set(deal_kinds)
        self.deal_tx = deal_tx
        self.rules = rules  # [(name, "followup" or "deal", days)]
        self.reminder, self.cap, self.lockout = reminder, cap, lockout
        self.assigned, self.released = assigned, released


def facts(spec, lead, as_of):
    f = dict(assigned=None, followup=None, deal=None, first=None,
             rel_any=None, rel_any_owner=None, rel_own=None)

    def later(k, t):
        if f[k] is None or t > f[k]:
            f[k] = t

    for t, what, x in lead["records"]:
        if t > as_of:
            continue
        if f["first"] is None or t < f["first"]:
            f["first"] = t
        if what == "tx":
            if spec.deal_tx and x > 0:
                later("deal", t)
            continue
        if x in spec.followup:
            later("followup", t)
        if x in spec.deal_kinds:
            later("deal", t)
        if x == spec.assigned:
            later("assigned", t)
        prefix = spec.released + ":"
        if x.startswith(prefix) and len(x) > len(prefix):
            who = x[len(prefix):]
            # the latest release; of equal times the one added last
            if f["rel_any"] is None or t >= f["rel_any"]:
                f["rel_any"], f["rel_any_owner"] = t, who
            if lead["owner"] and who == lead["owner"]:
                later("rel_own", t)
    if lead["since"] is not None:
        f["assigned"] = lead["since"]
    return f


def clock(f, last):
    known = [t for t in (f["assigned"], last) if t is not None]
    return max(known) if known else f["first"]


def judge_one(spec, lead, as_of):
    """status, rule, since, fires, left; before the cap."""
    f = facts(spec, lead, as_of)
    out = dict(status="pool", rule=None, since=None, fires=None, left=None,
               fstart=None, facts=f)
    if not lead["owner"]:
        return out
    fstart = clock(f, f["followup"])
    out["fstart"] = fstart
    out["since"] = floor_days(as_of - fstart) if fstart is not None else None
    out["status"] = "kept"
    m = spec.lockout * DAY
    if spec.lockout and f["rel_own"] is not None:
        a, r = f["assigned"], f["rel_own"]
        if (a is not None and r <= a < r + m) or \
           (a is None and as_of < r + m):
            out.update(status="reclaimed", rule="lockout", fires=as_of)
            return out
    dstart = clock(f, f["deal"])
    best = None
    for i, (name, kind, days) in enumerate(spec.rules):
        s = dstart if kind == "deal" else fstart
        if s is None:
            continue
        at = s + days * DAY
        if best is None or at < best[0]:
            best = (at, i, days - floor_days(as_of - s))
    if best is None:
        return out
    at, i, left = best
    out.update(rule=spec.rules[i][0], fires=at, left=left)
    if at <= as_of:
        out["status"] = "reclaimed"
    elif spec.reminder and left <= spec.reminder:
        out["status"] = "reminder"
    return out


def judge(spec, leads, as_of):
    """leads: {id: lead}; returns {id: outcome} with the cap and the
    lock-outs applied."""
    out = {cid: judge_one(spec, lead, as_of) for cid, lead in leads.items()}
    if spec.cap:
        by_owner = {}
        for cid, o in out.items():
            if o["status"] in ("kept", "reminder"):
                by_owner.setdefault(leads[cid]["owner"], []).append(cid)
        for owner, held in by_owner.items():
            if len(held) <= spec.cap:
                continue
            # the longest without a follow-up first (unknown before any),
            # then by id (bytes)
            held.sort(key=lambda c: (
                float("-inf") if out[c]["fstart"] is None
                else out[c]["fstart"], c.encode()))
            for cid in held[:len(held) - spec.cap]:
                out[cid].update(status="reclaimed", rule="cap", fires=as_of,
                                left=None)
    m = spec.lockout * DAY
    for cid, o in out.items():
        o["locked"] = o["until"] = None
        if not m:
            continue
        f = o["facts"]
        if o["status"] == "reclaimed":
            o["locked"], o["until"] = leads[cid]["owner"], as_of + m
        elif f["rel_any"] is not None and f["rel_any"] + m > as_of:
            o["locked"], o["until"] = f["rel_any_owner"], f["rel_any"] + m
    return out


def reclaim_list(leads, out):
    ids = [c for c, o in out.items() if o["status"] == "reclaimed"]
    return sorted(ids, key=lambda c: (leads[c]["owner"].encode(),
                                      c.encode()))


def reminder_list(leads, out):
    ids = [c for c, o in out.items() if o["status"] == "reminder"]
    return sorted(ids, key=lambda c: (out[c]["left"],
                                      leads[c]["owner"].encode(),
                                      c.encode()))
