#!/usr/bin/env python3
"""Units through the segment CLI: rule literals under either time unit,
timestamps against dates and as_of, CLV in calendar months, warnings,
--exclude with text columns. Expected values are worked out by hand or
computed here independently of the library."""
import csv
import datetime
import io
import os
import subprocess
import sys
import tempfile
import unittest

CLI, SAMPLE = sys.argv[1:3]
del sys.argv[1:3]
SAMPLE_ARGS = ["--no-header", "--map", "id=2", "--map", "time=3",
               "--map", "amount=5", "--as-of", "1997-09-30"]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


def rows_of(p):
    return {r["customer_id"]: r for r in csv.DictReader(io.StringIO(p.stdout))}


def last_purchases():
    """Each customer's last purchase day up to 1997-09-30, from the file."""
    last = {}
    with open(SAMPLE) as f:
        for line in f:
            _, cid, day, _, _ = line.split()
            d = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            if d <= datetime.date(1997, 9, 30):
                last[cid] = max(last.get(cid, d), d)
    return last


class Temp:
    """A file with the given text, removed afterwards."""
    def __init__(self, text, suffix):
        self.text, self.suffix = text, suffix

    def __enter__(self):
        f = tempfile.NamedTemporaryFile("w", suffix=self.suffix, delete=False,
                                        encoding="utf-8")
        f.write(self.text)
        f.close()
        self.name = f.name
        return f.name

    def __exit__(self, *a):
        os.unlink(self.name)


class RuleUnits(unittest.TestCase):
    RULES = ('tier "recent" when recency <= 90d\n'
             'tier "half" when recency <= 6mo\n'
             'tier "year" when recency < 1y\n'
             'otherwise "old"\n')

    def tiers(self, unit, rules):
        with Temp(rules, ".rules") as f:
            p = run("tier", SAMPLE, *SAMPLE_ARGS, "--time-unit", unit,
                    "--rules", f)
        self.assertEqual(p.returncode, 0, p.stderr)
        return {k: v["tier"] for k, v in rows_of(p).items()}

    def test_same_tiers_under_day_and_week(self):
        days = self.tiers("day", self.RULES)
        weeks = self.tiers("week", self.RULES)
        self.assertEqual(days, weeks)
        # by hand from the file: a customer's last purchase day to
        # 1997-09-30, against 90, 182.6 and 365.2 days
        last = last_purchases()
        end = datetime.date(1997, 9, 30)
        for cid, d in last.items():
            r = (end - d).days
            want = ("recent" if r <= 90 else "half" if r <= 182.62125
                    else "year" if r < 365.2425 else "old")
            self.assertEqual(days[cid], want, cid)
        self.assertGreater(sum(v == "recent" for v in days.values()), 100)
        self.assertLess(sum(v == "recent" for v in weeks.values()),
                        len(weeks))

    def test_timestamps_with_dates_and_as_of(self):
        rules = ('tier "a" when last_purchase within 30d\n'
                 'tier "b" when last_purchase > as_of - 90d\n'
                 'tier "c" when last_purchase >= 1997-03-01\n'
                 'otherwise "d"\n')
        days = self.tiers("day", rules)
        self.assertEqual(days, self.tiers("week", rules))
        last = last_purchases()
        for cid, d in last.items():
            want = ("a" if d >= datetime.date(1997, 9, 1) else
                    "b" if d >= datetime.date(1997, 7, 3) else
                    "c" if d >= datetime.date(1997, 3, 1) else "d")
            self.assertEqual(days[cid], want, cid)

    def test_a_duration_with_a_count_is_an_error_with_its_place(self):
        with Temp('tier "x" when frequency >= 30d\n', ".rules") as f:
            p = run("tier", SAMPLE, *SAMPLE_ARGS, "--rules", f)
        self.assertEqual(p.returncode, 2)
        self.assertIn(":1:25: compares a duration with 'frequency' (count)",
                      p.stderr)


class Warnings(unittest.TestCase):
    PRESET = os.path.join(os.path.dirname(SAMPLE), "..", "rules",
                          "rfm_actions.rules")

    def test_an_english_preset_on_chinese_segments_warns(self):
        p = run("tier", SAMPLE, *SAMPLE_ARGS, "--model", "rfm", "--set",
                "language=zh", "--rules", self.PRESET)
        self.assertEqual(p.returncode, 0, p.stderr)
        # every customer gets the default, and stderr says why
        self.assertEqual({r["action"] for r in rows_of(p).values()},
                         {"No action"})
        warnings = [l for l in p.stderr.splitlines()
                    if l.startswith("segment: warning: ")]
        self.assertEqual(len(warnings), 10)
        self.assertIn("rfm_actions.rules:5:38: no customer has 'rfm.segment' "
                      "= 'Champions', so this comparison is always false "
                      "(its labels: '冠军客户'", warnings[0])
        p = run("tier", SAMPLE, *SAMPLE_ARGS, "--model", "rfm", "--rules",
                self.PRESET)
        self.assertEqual(p.returncode, 0, p.stderr)
        # in English only the segment no one is in this sample: no new
        # customers on 1997-09-30
        self.assertEqual(p.stderr.count("warning"), 1)
        self.assertIn("'New Customers'", p.stderr)


class Exclude(unittest.TestCase):
    ORDERS = ("customer_id,time,amount\n" +
              "".join("%s,2024-05-0%d,10\n" % (c, i + 1)
                      for i, c in enumerate("ABCDEF")))
    RULES = 'tier "call" when orders >= 1 priority 1\n'

    def calls(self, dnc):
        attrs = "customer_id,dnc\n" + "".join(
            "%s,%s\n" % (c, v) for c, v in zip("ABCDEF", dnc))
        with Temp(self.ORDERS, ".csv") as o, Temp(attrs, ".csv") as a, \
                Temp(self.RULES, ".rules") as r:
            return run("calls", o, "--attributes", a, "--rules", r,
                       "--exclude", "dnc", "--capacity", "10")

    def test_text_columns_say_yes_or_no(self):
        p = self.calls(["是", "否", "TRUE", "false", "Yes", "no"])
        self.assertEqual(p.returncode, 0, p.stderr)
        ids = sorted(l.split(",")[1] for l in p.stdout.splitlines()[1:])
        self.assertEqual(ids, ["B", "D", "F"])
        p = self.calls(["1", "0", "1", "0", "0", "0"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()) - 1, 4)

    def test_another_label_is_an_error_naming_the_column(self):
        p = self.calls(["yes", "no", "maybe", "no", "no", "no"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("the exclude column 'dnc' has the label 'maybe'",
                      p.stderr)


def hyp2f1(a, b, c, z):
    """The Gauss series, summed until its terms vanish (|z| < 1 here)."""
    s, term, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(s):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        s += term
        n += 1
    return s


def bg_expected(r, al, a, b, t, x, tx, T):
    """BG/NBD E[X(t) | x, t_x, T], Fader, Hardie and Lee (2005) eq. 10."""
    num = ((a + b + x - 1) / (a - 1) *
           (1 - ((al + T) / (al + T + t)) ** (r + x) *
            hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t))))
    d = 1 if x == 0 else 1 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    return num / d


class ClvUnits(unittest.TestCase):
    GG = "p=6.25,q=3.74,gamma=15.44"

    def values(self, unit, alpha):
        p = run("score", SAMPLE, *SAMPLE_ARGS, "--time-unit", unit,
                "--model", "clv", "--set",
                "fixed=r=0.243,alpha=%s,a=0.793,b=2.426" % alpha,
                "--set", "fixed_spend=" + self.GG)
        self.assertEqual(p.returncode, 0, p.stderr)
        return rows_of(p)

    def test_day_and_week_give_the_value_of_calendar_months(self):
        weeks = self.values("week", "4.414")
        days = self.values("day", repr(4.414 * 7))
        for cid in weeks:
            for col in ("clv.value", "clv.expected"):
                w, d = float(weeks[cid][col]), float(days[cid][col])
                self.assertAlmostEqual(w / d, 1, delta=1e-9, msg=col)
        # customer 0001: x = 2, t_x = 213 days, T = 272, mean spend 22.345
        row = days["0001"]
        self.assertEqual((row["frequency"], row["t_x"], row["T"]),
                         ("2", "213", "272"))
        x, m = 2, 22.345
        spend = 6.25 * (15.44 + x * m) / (6.25 * x + 3.74 - 1)
        month = 365.2425 / 12
        want, prev = 0.0, 0.0
        for i in range(1, 13):
            e = bg_expected(0.243, 4.414 * 7, 0.793, 2.426, i * month, x,
                            213, 272)
            want += spend * (e - prev) / 1.01 ** i
            prev = e
        self.assertAlmostEqual(float(row["clv.value"]) / want, 1, delta=1e-9)
        # clv.expected: the next 364 days
        self.assertAlmostEqual(float(row["clv.expected"]) / bg_expected(
            0.243, 4.414 * 7, 0.793, 2.426, 364, x, 213, 272), 1, delta=1e-9)

    def test_a_summary_without_a_unit_is_an_error(self):
        with Temp("customer_id,frequency,t_x,T,monetary_repeat_mean\n"
                  "a,2,30,38,20\nb,0,0,38,0\nc,1,10,20,5\n", ".csv") as f:
            p = run("score", f, "--summary", "--model", "clv", "--set",
                    "fixed=r=0.243,alpha=4.414,a=0.793,b=2.426", "--set",
                    "fixed_spend=" + self.GG)
            self.assertEqual(p.returncode, 2)
            self.assertIn("the time unit of 'T' is not known", p.stderr)
            p = run("score", f, "--summary", "--model", "clv", "--set",
                    "fixed=r=0.243,alpha=4.414,a=0.793,b=2.426", "--set",
                    "fixed_spend=" + self.GG, "--set",
                    "units_per_month=4.348125")
            self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
