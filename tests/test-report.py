#!/usr/bin/env python3
"""The HTML report as an analyst reads it: its sections, its periods, its
numbers (human formats, never scientific notation, checked against
computations of their own), axes on every chart, tier colours and orders.

    test-report.py SEGMENT SAMPLE GEN_SHOP RULES_DIR

No browser is needed; .ci/run renders the same reports with Chromium.
"""
import csv
import datetime
import io
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest
from zoneinfo import ZoneInfo

CLI, SAMPLE, GEN_SHOP, RULES = sys.argv[1:5]
del sys.argv[1:5]

SAMPLE_ARGS = ["--no-header", "--map", "id=2", "--map", "time=3", "--map",
               "amount=5", "--as-of", "1998-06-30", "--holdout-from",
               "1997-10-01", "--time-unit", "week"]
TMP = tempfile.mkdtemp(prefix="segment-report-")


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True,
                          encoding="utf-8")


def report(name, *args):
    out = os.path.join(TMP, name)
    p = run("report", *args, "-o", out)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    with open(out, encoding="utf-8") as f:
        return f.read()


def shop_dir():
    d = os.path.join(TMP, "shop")
    if not os.path.exists(os.path.join(d, "orders.csv")):
        subprocess.run([sys.executable, GEN_SHOP, d, "4000"], check=True)
    return d


def shop_args():
    d = shop_dir()
    return [os.path.join(d, "orders.csv"), "--events",
            os.path.join(d, "events.csv"), "--attributes",
            os.path.join(d, "customers.csv"), "--timezone", "Asia/Shanghai",
            "--as-of", "2026-06-30", "--holdout-from", "2026-01-01",
            "--model", "rfm", "--set", "language=zh", "--model", "clv",
            "--set", "units_per_month=30.44", "--model", "engagement",
            "--set", "language=zh", "--model", "stage", "--set",
            "language=zh", "--model", "kmeans", "--set", "log1p=all",
            "--rules", os.path.join(RULES, "value_tiers.rules"),
            "--crosstab", "channel"]


def sample_args():
    return [SAMPLE, *SAMPLE_ARGS, "--model", "rfm", "--model", "clv",
            "--model", "kmeans", "--set", "log1p=all", "--rules",
            os.path.join(RULES, "value_tiers.rules"), "--crosstab",
            "rfm.segment"]


def visible_text(html):
    """What a reader sees: the text between tags, without the style."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.findall(r">([^<]+)<", html)


def sections(html):
    return dict(re.findall(r'<section class="([a-z]+)">(.*?)</section>',
                           html, flags=re.S))


def number(cell):
    cell = cell.strip()
    if cell.endswith("%"):
        return float(cell[:-1].replace(",", "")) / 100
    return float(cell.replace(",", ""))


def table_rows(part):
    """The first table in part, as lists of cell texts."""
    t = part.split("<table", 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]*>", "", c) for c in
             re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in t.split("</tr>") if "<t" in row]


def heat_cells(svg):
    return {(a, b): v for a, b, v in re.findall(
        r'data-row="([^"]*)" data-col="([^"]*)">([^<]*)<', svg)}


def svgs(part):
    return re.findall(r"<svg class=chart.*?</svg>", part, flags=re.S)


def fit_params():
    """The fitted BG/NBD parameters at full precision, from segment fit."""
    p = run("fit", SAMPLE, *SAMPLE_ARGS, "--model", "clv")
    assert p.returncode == 0, p.stderr
    return {k: float(v) for k, v in
            (line.split() for line in p.stdout.splitlines())}


def hyp2f1(a, b, c, z):
    """Gauss's series; z stays below 1 in what the tests ask."""
    term, total, k = 1.0, 1.0, 0
    while abs(term) > 1e-16 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


def bgnbd_p_alive(p, x, t_x, T):
    r, al, a, b = p["r"], p["alpha"], p["a"], p["b"]
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((al + T) / (al + t_x)) ** (r + x))


def bgnbd_expected(p, t, x, t_x, T):
    """Fader, Hardie and Lee (2005), equation (10)."""
    r, al, a, b = p["r"], p["alpha"], p["a"], p["b"]
    head = (a + b + x - 1) / (a - 1)
    z = t / (al + T + t)
    body = 1 - ((al + T) / (al + T + t)) ** (r + x) * \
        hyp2f1(r + x, b + x, a + b + x - 1, z)
    alive = 1 + (x > 0) * a / (b + x - 1) * ((al + T) / (al + t_x)) ** (r + x)
    return head * body / alive


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.en = report("en.html", *sample_args())
        cls.zh = report("zh.html", *shop_args())

    def test_every_section_of_the_models_that_ran(self):
        for html in (self.en, self.zh):
            got = sections(html)
            for kind in ["header", "tiers", "rfm", "clv", "kmeans",
                         "crosstab"]:
                self.assertIn('<section class="%s">' % kind if kind !=
                              "header" else "<section id=header>", html)
        got = sections(self.zh)
        self.assertIn("engagement", got)
        self.assertIn("stage", got)
        self.assertNotIn("engagement", sections(self.en))
        # RFM: segments, both heatmaps, the three histograms
        rfm = sections(self.en)["rfm"]
        self.assertIn("Segment distribution", rfm)
        self.assertIn("Customers by R and F score", rfm)
        self.assertIn("Mean monetary value (monetary_total) by R and F", rfm)
        self.assertEqual(len(svgs(rfm)), 6)
        clv = sections(self.en)["clv"]
        self.assertIn("P(alive) by frequency and recency", clv)
        self.assertIn("Expected purchases in the next 52 weeks", clv)
        # BG/NBD, the default purchase model: P(alive) = 1 at x = 0, said
        self.assertIn("Every customer without a repeat purchase has "
                      "P(alive) = 100% under this model", clv)
        self.assertIn("Calibration against holdout", clv)

    def test_self_contained_and_printable(self):
        for html in (self.en, self.zh):
            self.assertNotIn("<script", html)
            self.assertNotIn("http://", html)
            self.assertNotIn("https://", html)
            self.assertIn("@media print", html)
            self.assertIn('name="viewport"', html)
            self.assertIn("max-width:100%", html)

    def test_no_scientific_notation_nor_raw_floats(self):
        for html in (self.en, self.zh):
            for text in visible_text(html):
                # the input's path names a random folder, which may read
                # like a number
                text = text.replace(TMP, "")
                self.assertIsNone(re.search(r"\d[eE][+-]?\d", text), text)
                self.assertIsNone(re.search(r"\b(nan|inf)\b", text,
                                            flags=re.I), text)
                # no more than 4 significant decimals (a raw double)
                self.assertIsNone(re.search(r"\.0*[1-9]\d{4,}", text), text)
                # whole numbers of five digits or more have separators
                self.assertIsNone(re.search(r"(?<![\d.,])\d{5,}(?![\d-])",
                                            text), text)

    def test_every_chart_has_both_axes_with_ticks_and_titles(self):
        for html in (self.en, self.zh):
            charts = svgs(html)
            self.assertGreaterEqual(len(charts), 12)
            for svg in charts:
                for axis in ("x", "y"):
                    m = re.search(r'<g class="axis %s">(.*?)</g>' % axis, svg,
                                  flags=re.S)
                    self.assertIsNotNone(m, svg[:200])
                    self.assertIn("<line", m.group(1))
                    self.assertRegex(m.group(1), r"class=title[^>]*>[^<]+<")
                    ticks = re.findall(r"<text (?!class=title)[^>]*>[^<]+<",
                                       m.group(1))
                    self.assertGreaterEqual(len(ticks), 1, svg[:200])

    def test_headings_in_the_language_chosen(self):
        self.assertIn('<html lang="zh-CN">', self.zh)
        for word in ["客户分层报告", "校准期", "验证期", "分析日期", "细分分布",
                     "活跃度分级", "购买阶段", "聚类", "行内占比", "客户数"]:
            self.assertIn(word, self.zh)
        for word in ["Customer segmentation report", "Calibration period",
                     "Segment distribution", "share of customers",
                     "Shares within each row", "Period:"]:
            self.assertNotIn(word, self.zh)
        # the same data asked in English gets English headings
        args = shop_args()
        en = report("shop-en.html", *args, "--language", "en")
        self.assertIn("Engagement levels", en)
        self.assertNotIn("活跃度分级", en)
        p = run("report", *args, "--language", "fr", "-o",
                os.path.join(TMP, "x.html"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("--language fr", p.stderr)

    def test_header_counts_and_periods(self):
        d = shop_dir()
        with open(os.path.join(d, "orders.csv"), encoding="utf-8") as f:
            orders = list(csv.DictReader(f))
        with open(os.path.join(d, "events.csv"), encoding="utf-8") as f:
            events = list(csv.DictReader(f))
        head = dict((r[0], r[1]) for r in table_rows(self.zh) if len(r) == 2)
        self.assertEqual(number(head["客户数"]), 4000)
        self.assertEqual(head["客户数"], "4,000")
        self.assertEqual(number(head["交易数"]), len(orders))
        self.assertEqual(number(head["事件数"]), len(events))
        self.assertEqual(head["时区"], "Asia/Shanghai")
        self.assertEqual(head["分析日期（截至）"], "2026-06-30")
        first = min(o["time"] for o in orders)[:10]  # local times already
        self.assertEqual(head["校准期"], "%s – 2025-12-31" % first)
        self.assertEqual(head["验证期"], "2026-01-01 – 2026-06-30")
        en = dict((r[0], r[1]) for r in table_rows(self.en) if len(r) == 2)
        self.assertEqual(en["Calibration period"], "1997-01-01 – 1997-09-30")
        self.assertEqual(en["Holdout period"], "1997-10-01 – 1998-06-30")
        self.assertEqual(en["Customers"], "2,357")
        self.assertEqual(en["Transactions"], "6,919")
        self.assertIn("value_tiers.rules → value_tier", self.en)
        # without --as-of, the analysis date is the latest record's day, in
        # days and in weeks
        with open(SAMPLE) as f:
            last = max(line.split()[2] for line in f)
        last = "%s-%s-%s" % (last[:4], last[4:6], last[6:])
        for unit in ("day", "week"):
            html = report("latest.html", SAMPLE, *SAMPLE_ARGS[:7],
                          "--holdout-from", "1997-10-01", "--time-unit",
                          unit, "--model", "rfm")
            head = dict((r[0], r[1]) for r in table_rows(html)
                        if len(r) == 2)
            self.assertEqual(head["Analysis date (as of)"], last)
            self.assertEqual(head["Holdout period"], "1997-10-01 – " + last)

    def test_each_section_names_its_period(self):
        s = sections(self.en)
        for kind in ["tiers", "rfm", "clv", "kmeans", "crosstab"]:
            self.assertIn("Period: the calibration period, 1997-01-01 to "
                          "1997-09-30 (as of 1997-09-30).", s[kind])
        self.assertIn("fitted on the calibration period (1997-01-01 to "
                      "1997-09-30), compared with the holdout period "
                      "(1997-10-01 to 1998-06-30)", s["clv"])
        z = sections(self.zh)
        for kind in ["engagement", "stage"]:
            self.assertIn("包含验证期", z[kind])
        # without a holdout every section says the whole period
        html = report("noholdout.html", SAMPLE, *SAMPLE_ARGS[:9],
                      "--time-unit", "week", "--model", "rfm")
        self.assertIn("Period: 1997-01-01 to 1998-06-30 (as of 1998-06-30).",
                      sections(html)["rfm"])
        self.assertNotIn("calibration period,", html)

    def test_fit_quality_in_the_header(self):
        p = fit_params()
        models = self.en.split("<h3>Models</h3>", 1)[1].split("</table>")[0]
        self.assertIn("converged", models)
        m = re.search(r"log-likelihood = (-[\d,]+\.\d)", models)
        self.assertAlmostEqual(number(m.group(1)), p["loglik"], delta=0.06)
        # Fader, Hardie and Lee (2005) on the CDNOW sample
        for name, published in [("r", 0.243), ("alpha", 4.414),
                                ("a", 0.793), ("b", 2.426)]:
            m = re.search(r"(?:^|>)%s = ([\d.]+) \(± ([\d.]+)\)" % name,
                          models, flags=re.M)
            self.assertIsNotNone(m, name)
            self.assertAlmostEqual(float(m.group(1)), published, delta=2e-3)
        self.assertIn("purchase_model=bgnbd", models)
        self.assertIn("horizon_days=364", models)

    def test_clv_matrices_against_the_closed_forms(self):
        p = fit_params()
        clv = sections(self.en)["clv"]
        pa, ex = [heat_cells(s) for s in svgs(clv)[1:3]]
        T = 272 / 7  # 1997-01-01 to 1997-09-30: the longest T in weeks
        for (row, col), text in pa.items():
            x, j = int(row), [c for c in sorted({c for _, c in pa},
                                                key=float)].index(col)
            t_x = T * j / 9
            want = bgnbd_p_alive(p, x, t_x, T)
            self.assertAlmostEqual(number(text), want, delta=6e-4,
                                   msg=(row, col))
            want = bgnbd_expected(p, 52, x, t_x, T)
            self.assertAlmostEqual(number(ex[(row, col)]), want, delta=6e-3,
                                   msg=(row, col))
        self.assertEqual(len(pa), 10 + (len({r for r, _ in pa}) - 1) * 10 -
                         9)  # x = 0 only at t_x = 0

    def test_diagnostics_charts_from_the_library_tables(self):
        clv = sections(self.en)["clv"]
        i = clv.index("Repeat transactions by week")
        j = clv.index("Customers by repeat purchases in the calibration")
        track, period = svgs(clv[i:j])[0], svgs(clv[j:])[0]
        p = run("table", "tracking", SAMPLE, *SAMPLE_ARGS, "--model", "clv")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        lines = re.findall(r'<polyline[^>]*points="([^"]*)"', track)
        self.assertEqual(len(lines), 2)  # actual, then the model
        pts = [[tuple(map(float, q.split(","))) for q in line.split()]
               for line in lines]
        self.assertEqual([len(s) for s in pts], [len(rows)] * 2)
        # heights in proportion: the tallest actual week is the highest point
        act = [float(r["actual"]) for r in rows]
        top = min(range(len(act)), key=lambda k: pts[0][k][1])
        self.assertEqual(act[top], max(act))
        # the dashed line at the first holdout week, 1997-10-01's
        first_hold = [r["holdout"] for r in rows].index("1")
        self.assertEqual(rows[first_hold]["start"] >= "1997-10-01", True)
        self.assertIn("stroke-dasharray", track)
        # the period-transactions table is the library's, as shown
        p = run("table", "period_transactions", SAMPLE, *SAMPLE_ARGS,
                "--model", "clv")
        want = list(csv.DictReader(io.StringIO(p.stdout)))
        got = table_rows(clv[j:])
        self.assertEqual([r[0] for r in got[1:]],
                         [w["frequency"] for w in want])
        for g, w in zip(got[1:], want):
            self.assertEqual(number(g[1]), float(w["actual"]))
            self.assertAlmostEqual(number(g[2]), float(w["expected"]),
                                   delta=0.06)
        self.assertEqual(len(re.findall("<rect", period)), 2 + 2 * len(want))
        self.assertIn("每周复购次数", self.zh)
        self.assertIn("按校准期复购次数的客户数", self.zh)

    def test_rfm_grid_and_its_empty_columns(self):
        rfm = sections(self.en)["rfm"]
        counts = heat_cells(svgs(rfm)[1])
        # customers with a purchase day up to the end of calibration
        buyers = set()
        with open(SAMPLE) as f:
            for line in f:
                fields = line.split()
                if fields[2] <= "19970930":
                    buyers.add(fields[1])
        self.assertEqual(sum(number(v) for v in counts.values()), len(buyers))
        empty = [c for c in "12345"
                 if all(number(counts[(r, c)]) == 0 for r in "12345")]
        self.assertTrue(empty)  # the sample's ties leave F = 2 empty
        self.assertIn("scores %s have no customers" % ", ".join(empty), rfm)

    def test_tier_money_and_crosstab_shares(self):
        d = shop_dir()
        tz = ZoneInfo("Asia/Shanghai")
        cut = datetime.datetime(2026, 1, 1, tzinfo=tz)
        total = 0.0
        with open(os.path.join(d, "orders.csv"), encoding="utf-8") as f:
            for o in csv.DictReader(f):
                t = datetime.datetime.fromisoformat(o["time"]).replace(
                    tzinfo=tz)
                if t < cut:
                    total += float(o["amount"])
        rows = table_rows(sections(self.zh)["tiers"])
        col = rows[0].index("monetary_total 合计")
        self.assertAlmostEqual(sum(number(r[col]) for r in rows[1:]), total,
                               delta=0.01 * len(rows))
        for r in rows[1:]:
            self.assertRegex(r[col], r"^\d{1,3}(,\d{3})*\.\d\d$")
        with open(os.path.join(d, "customers.csv"), encoding="utf-8") as f:
            channels = [c["channel"] for c in csv.DictReader(f)]
        cross = sections(self.zh)["crosstab"]
        counts = table_rows(cross)
        shares = table_rows(cross.split("行内占比", 1)[1])
        head = counts[0]
        totals = dict(zip(head, counts[-1]))
        for ch in set(channels):
            self.assertEqual(number(totals[ch]), channels.count(ch))
        for crow, srow in zip(counts[1:], shares[1:]):
            whole = number(crow[-1])
            for c, s in zip(crow[1:-1], srow[1:-1]):
                self.assertAlmostEqual(number(s), number(c) / whole,
                                       delta=5.01e-4)
                self.assertTrue(s.endswith("%"))
        # the chart of those shares: one bar per tier, its parts the shares
        chart = svgs(cross)
        self.assertEqual(len(chart), 1)
        drawn = re.findall(r'class=cell [^>]*>([^<]+)<', chart[0])
        wide = [c for row in shares[1:-1] for c in row[1:-1]
                if number(c) * 550 > 34]  # the parts wide enough to label
        self.assertEqual(drawn, wide)

    def test_one_order_and_stable_colours_per_tier(self):
        def bars(part):
            svg = svgs(part)[0]
            labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
            fills = re.findall(r'<rect [^>]*fill="(#[0-9a-f]+)"', svg)
            return labels[1:], fills  # [0] is the axis title
        en_lab, en_fill = bars(sections(self.en)["tiers"])
        zh_lab, zh_fill = bars(sections(self.zh)["tiers"])
        # value_tiers.rules in rule order, both runs, the same colours
        self.assertEqual(en_lab, ["高价值", "中价值", "低价值"])
        self.assertEqual(zh_lab, en_lab)
        self.assertEqual(zh_fill[:3], en_fill[:3])
        self.assertEqual(len(set(en_fill[:3])), 3)
        # the table below the bars has the same order
        rows = table_rows(sections(self.en)["tiers"])
        self.assertEqual([r[0] for r in rows[1:]], en_lab)
        # RFM segments: the preset's order, whatever the counts
        seg_lab, seg_fill = bars(sections(self.en)["rfm"])
        self.assertEqual(seg_lab[0], "Champions")
        self.assertEqual(len(set(seg_fill[:len(seg_lab)])), len(seg_lab))

    def test_migration_matrix_against_the_table(self):
        # a matrix of the shares of each from-tier, read at a glance: every
        # cell is the share that migrate prints, and the table under it
        # counts every customer once
        dates = "1997-03-31,1997-06-30,1997-09-30,1997-12-31"
        rules = os.path.join(RULES, "value_tiers.rules")
        args = [SAMPLE, "--no-header", "--map", "id=2", "--map", "time=3",
                "--map", "amount=5", "--rules", rules, "--dates", dates]
        for lang in ("en", "zh"):
            html = report("migration-%s.html" % lang, *args, "--language",
                          lang)
            part = sections(html)["migration"]
            self.assertIn("1997-09-30 → 1997-12-31", part)
            p = run("migrate", *args)
            self.assertEqual(p.returncode, 0, p.stderr)
            want = list(csv.DictReader(p.stdout.splitlines()))
            (svg,) = svgs(part)
            cells = heat_cells(svg)
            self.assertEqual(len(cells), len(want))
            for w in want:
                got = cells[(w["from"], w["to"])]
                self.assertAlmostEqual(number(got), float(w["share"]),
                                       delta=0.0005)
            rows = table_rows(part)
            if lang == "en":
                self.assertEqual(rows[0], ["from", "to", "customers",
                                           "revenue", "share"])
            self.assertEqual(sum(number(r[2]) for r in rows[1:]), 2357)
            for axis in ("Tier on", "的层级"):
                if (axis == "Tier on") == (lang == "en"):
                    self.assertIn(axis, svg)

    def test_number_formats(self):
        # shares with a percent sign, counts with separators
        rows = table_rows(sections(self.en)["tiers"])
        share = rows[0].index("share")
        self.assertEqual([r[share] for r in rows[1:]],
                         ["20.0%", "30.0%", "50.0%"])
        self.assertEqual(rows[3][1], "1,178")

    def test_reclaim_section_only_with_a_definition(self):
        for html in (self.en, self.zh):
            self.assertNotIn("reclaim", sections(html))
        data = os.path.dirname(SAMPLE)
        spec = os.path.join(TMP, "leads.reclaim")
        with open(spec, "w", encoding="utf-8") as f:
            f.write("owner_since = owner_since\nreleased = released\n"
                    "followup = call visit email\ndeal = event deal\n"
                    "rule no_followup = no followup in 15d\n"
                    "rule no_deal = no deal in 60d\n"
                    "reminder = 3d\ncap = 200\nlockout = 30d\n")
        html = report("reclaim.html", os.path.join(data,
                                                   "lead_followups.csv"),
                      "--attributes", os.path.join(data, "lead_owners.csv"),
                      "--reclaim", spec, "--as-of", "2026-11-10")
        part = sections(html)["reclaim"]
        self.assertIn("<h2>Lead-pool reclaim</h2>", part)
        self.assertIn("Analysis date: 2026-11-10", part)
        # the worked example of docs/operations.md: L001 a day from its
        # follow-up rule; L002 60 days without a deal since 09-01; L005
        # taken back by carol 5 days after she was released from it
        counts = {r[0]: r[1] for r in table_rows(part)[1:]}
        self.assertEqual(counts, {"kept": "3", "reminder": "1",
                                  "reclaimed": "2", "pool": "1"})
        lists = part.split("<h3>Reclaim list</h3>", 1)[1]
        rec, rem = lists.split("<h3>Reminder list</h3>", 1)
        self.assertEqual([(r[0], r[2], r[5]) for r in table_rows(rec)[1:]],
                         [("L002", "no_deal", "bob"),
                          ("L005", "lockout", "carol")])
        self.assertEqual([(r[0], r[2], r[4]) for r in table_rows(rem)[1:]],
                         [("L001", "no_followup", "1")])
        # in Chinese, with nothing due on an earlier day
        html = report("reclaim-zh.html", os.path.join(
            data, "lead_followups.csv"), "--attributes",
            os.path.join(data, "lead_owners.csv"), "--reclaim", spec,
            "--as-of", "2026-08-10", "--language", "zh")
        part = sections(html)["reclaim"]
        self.assertIn("<h2>公海回收</h2>", part)
        self.assertIn("没有线索回到公海。", part)
        self.assertIn("没有到期的提醒。", part)

    def test_ladder_section(self):
        for html in (self.en, self.zh):
            self.assertNotIn("ladder", sections(html))
        data = os.path.dirname(SAMPLE)
        spec = os.path.join(TMP, "fitness.ladder")
        with open(spec, "w", encoding="utf-8") as f:
            f.write("period = 365d\npoints amount = 1\n"
                    "points event checkin = 10\npoints event class = 20\n"
                    "points event referral = 200\ntier 入门级 = 0\n"
                    "tier 活跃级 = 1000 keep 600\n"
                    "tier 忠实级 = 3000 keep 2000\n"
                    "tier VIP级 = 8000 keep 5000\n")
        html = report("ladder.html", os.path.join(data, "fitness_fees.csv"),
                      "--events", os.path.join(data, "fitness_visits.csv"),
                      "--ladder", spec, "--as-of", "2025-12-31")
        part = sections(html)["ladder"]
        self.assertIn("Analysis date: 2025-12-31", part)
        # the members worked by hand in tests/test-ops.py: 入门级 F05 (0
        # points, 1000 to go) and F07 (229, 771); 活跃级 F02, F04, F06
        # (1050, 1900, 1200; 1950, 1100, 1800 to go); 忠实级 F01, F03
        # (3200 each, 4800 to go); in the ladder's order
        rows = table_rows(part)
        self.assertEqual(rows[0][1:], ["customers", "share",
                                       "ladder.points_total",
                                       "ladder.points_mean",
                                       "ladder.to_next_mean"])
        self.assertEqual([r[0] for r in rows[1:]], ["入门级", "活跃级",
                                                     "忠实级"])
        want = [(2, 229, 229 / 2, 1771 / 2), (3, 4150, 4150 / 3, 4850 / 3),
                (2, 6400, 3200, 4800)]
        for r, (n, total, mean, to_next) in zip(rows[1:], want):
            self.assertEqual(number(r[1]), n)
            self.assertAlmostEqual(number(r[3]), total)
            self.assertAlmostEqual(number(r[4]), mean, delta=0.05)
            self.assertAlmostEqual(number(r[5]), to_next, delta=0.05)

    def test_campaign_section(self):
        for html in (self.en, self.zh):
            self.assertNotIn("campaign", sections(html))
        groups = os.path.join(TMP, "groups.csv")
        p = run("control", SAMPLE, *SAMPLE_ARGS[:7], "--seed", "7",
                "--share", "0.2", "-o", groups)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(groups) as f:
            arms = [r["treatment"] for r in csv.DictReader(f)]
        args = [SAMPLE, *SAMPLE_ARGS[:7], "--as-of", "1997-06-30",
                "--rules", os.path.join(RULES, "value_tiers.rules"),
                "--attributes", groups, "--attributes-map", "attr=treatment",
                "--campaign-date", "1997-06-30", "--window", "90"]
        part = sections(report("campaign.html", *args))["campaign"]
        self.assertIn("Campaign on 1997-06-30; outcome window 90 days after "
                      "it", part)
        rows = table_rows(part)
        self.assertEqual(rows[0][0], "tier")
        self.assertEqual(rows[0][-1], "verdict")
        # everyone's arms, counted from the groups file
        everyone = rows[-1]
        self.assertEqual(everyone[0], "(all)")
        self.assertEqual(number(everyone[1]), arms.count("1"))
        self.assertEqual(number(everyone[2]), arms.count("0"))
        # the verdicts are the campaign command's
        p = run("campaign", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        verdicts = [r["verdict"] for r in csv.DictReader(p.stdout.splitlines())]
        self.assertEqual([r[-1] for r in rows[1:]], verdicts)
        # a campaign the data cannot evaluate is an error, not a silence
        p = run("report", *args[:-8], "--campaign-date", "1997-06-30",
                "-o", os.path.join(TMP, "bad.html"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("treatment", p.stderr)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=1)
    finally:
        import shutil
        shutil.rmtree(TMP, ignore_errors=True)
