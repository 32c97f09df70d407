#!/usr/bin/env python3
"""Whole-process benchmark: the `segment` tool against the programs a user
would otherwise run, on the same files, in the same run.

    jobs.py --segment PATH [--sizes 100k,1M,5M] [--runs 3] [--jobs a,b,...]
            [--peers DIR] [--out FILE.md] [--cache DIR] [--check WHEN]

Every job is a pair of processes, libsegment and its peer, run alternately
(libsegment first on even runs, the peer first on odd ones), so that a
slow spell of the machine falls on both. Wall time is taken around the
process, peak memory is its maximum resident set size as GNU time reports
it (wait4()'s ru_maxrss without GNU time); the table gives medians and the ratio libsegment / peer (below 1: libsegment is
faster or smaller). docs/bench.md describes the jobs and how to read the
tables.

This script needs only the standard library. The order files are written by
gen_orders.py with a Python that has numpy (this one, /usr/bin/python3 or
--python), and cached. The peers live outside the repository (lifetimes is
not a Debian package and is not ours to ship): --peers DIR, or
$SEGMENT_BENCH_PEERS, or ../shared/peers next to the repository. Without
them the libsegment side still runs and the report says the peers were
not found.
"""
import argparse
import csv
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))
AS_OF = "2023-12-31"
GEN_VERSION = 2   # part of the cached file names: bump when gen_orders.py changes
KMEANS_COLS = ("log_recency", "log_orders", "log_monetary")


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---- where things are ----

def find_peers(opt):
    if opt == "none":
        return None, ["none"]
    if opt:
        if not os.path.isfile(os.path.join(opt, "peer_pandas_rfm.py")):
            sys.exit("jobs.py: no peer_pandas_rfm.py in --peers %s" % opt)
        return os.path.realpath(opt), [opt]
    cands = []
    if os.environ.get("SEGMENT_BENCH_PEERS"):
        cands.append(os.environ["SEGMENT_BENCH_PEERS"])
    cands.append(os.path.join(SRC_ROOT, "..", "shared", "peers"))
    # a git worktree lives elsewhere; ../shared/peers is next to the main
    # checkout, whose .git the worktree shares
    try:
        common = subprocess.run(["git", "-C", SRC_ROOT, "rev-parse",
                                 "--path-format=absolute", "--git-common-dir"],
                                capture_output=True, text=True, timeout=10)
        if common.returncode == 0 and common.stdout.strip():
            main = os.path.dirname(common.stdout.strip())
            cands.append(os.path.join(main, "..", "shared", "peers"))
    except (OSError, subprocess.SubprocessError):
        pass
    for c in cands:
        if os.path.isfile(os.path.join(c, "peer_pandas_rfm.py")):
            return os.path.realpath(c), cands
    return None, cands


def python_with(modules, opt):
    """A Python that imports every module named: the peers are run with
    Debian's packages, which need not be on the Python running this."""
    cands = [opt] if opt else [sys.executable, "/usr/bin/python3",
                               shutil.which("python3")]
    probe = "import " + ", ".join(modules)
    for c in cands:
        if c and os.path.exists(c) and subprocess.run(
                [c, "-c", probe], capture_output=True).returncode == 0:
            return c
    return None


def parse_count(s):
    s = s.strip().lower()
    mult = 1
    if s.endswith("k"):
        mult, s = 1000, s[:-1]
    elif s.endswith("m"):
        mult, s = 1000000, s[:-1]
    return int(float(s) * mult)


def label(n):
    if n >= 1000000 and n % 100000 == 0:
        return "%gM" % (n / 1000000)
    if n >= 1000 and n % 1000 == 0:
        return "%gk" % (n / 1000)
    return str(n)


class Size:
    """CUSTOMERS, or CUSTOMERS:ROWS (100k means 100,000 customers and, by
    default, ten times as many rows)."""

    def __init__(self, text, per_customer):
        if ":" in text:
            c, r = text.split(":", 1)
            self.customers, self.rows = parse_count(c), parse_count(r)
        else:
            self.customers = parse_count(text)
            self.rows = self.customers * per_customer
        self.name = label(self.customers)
        self.text = text


# ---- the input files, generated once and cached ----

class Files:
    def __init__(self, cache, size, seed, segment, numpy_py):
        self.cache, self.size, self.seed = cache, size, seed
        self.segment, self.numpy_py = segment, numpy_py
        self.stem = "orders-v%d-%d-%d-s%d" % (GEN_VERSION, size.customers,
                                             size.rows, seed)

    def path(self, suffix):
        return os.path.join(self.cache, self.stem + suffix)

    def orders(self, layout):
        p = self.path("-%s.csv" % layout)
        if not os.path.exists(p):
            if not self.numpy_py:
                sys.exit("jobs.py: no Python with numpy to write %s "
                         "(apt-get install python3-numpy, or --python)" % p)
            log("writing %s" % p)
            subprocess.run([self.numpy_py, os.path.join(HERE, "gen_orders.py"),
                            str(self.size.customers), str(self.size.rows), p,
                            "--seed", str(self.seed), "--order", layout],
                           check=True)
        return p

    def _features(self):
        """The tool's own feature table of the date-sorted file: both
        sides of jobs c and d then read the same numbers."""
        p = self.path("-features.csv")
        if not os.path.exists(p):
            tmp = p + ".tmp%d" % os.getpid()
            with open(tmp, "wb") as f:
                subprocess.run([self.segment, "features", self.orders("date"),
                                "--as-of", AS_OF, "--time-unit", "day"],
                               stdout=f, check=True)
            os.replace(tmp, p)
        return p

    def summary(self):
        """customer_id,frequency,recency,T,monetary_value: the layout
        lifetimes' summary_data_from_transaction_data produces and
        peer_lifetimes_bgnbd.py --summary-cache reads (recency there is
        t_x, first to last purchase day)."""
        p = self.path("-summary.csv")
        if not os.path.exists(p):
            tmp = p + ".tmp%d" % os.getpid()
            with open(self._features(), newline="") as fi, \
                    open(tmp, "w", newline="") as fo:
                rd = csv.DictReader(fi)
                fo.write("customer_id,frequency,recency,T,monetary_value\n")
                for d in rd:
                    fo.write("%s,%s,%s,%s,%s\n" % (
                        d["customer_id"], d["frequency"], d["t_x"], d["T"],
                        d["monetary_repeat_mean"]))
            os.replace(tmp, p)
        return p

    def kmeans(self):
        """log1p of recency, purchase days and spend per customer, as CSV
        for the tool and, with the same doubles, as the .npz that
        peer_sklearn_kmeans.py --features-cache reads."""
        p = self.path("-kmeans.csv")
        if not os.path.exists(p):
            tmp = p + ".tmp%d" % os.getpid()
            with open(self._features(), newline="") as fi, \
                    open(tmp, "w", newline="") as fo:
                rd = csv.DictReader(fi)
                fo.write("customer_id,%s\n" % ",".join(KMEANS_COLS))
                for d in rd:
                    fo.write("%s,%r,%r,%r\n" % (
                        d["customer_id"], math.log1p(float(d["recency"])),
                        math.log1p(float(d["orders"])),
                        math.log1p(float(d["monetary_total"]))))
            os.replace(tmp, p)
        return p

    def kmeans_npz(self, py):
        p = self.path("-kmeans.npz")
        if not os.path.exists(p):
            tmp = self.path("-kmeans.tmp%d.npz" % os.getpid())
            # round_trip: the doubles of the CSV exactly, as strtod reads them
            code = ("import sys, numpy as np, pandas as pd\n"
                    "d = pd.read_csv(sys.argv[1], float_precision='round_trip')\n"
                    "np.savez(sys.argv[2], X=d[%r].to_numpy(np.float64), "
                    "ids=d['customer_id'].to_numpy(np.int64))\n"
                    % (list(KMEANS_COLS),))
            subprocess.run([py, "-c", code, self.kmeans(), tmp], check=True)
            os.replace(tmp, p)
        return p


# ---- running one process ----

class Run:
    def __init__(self, wall, rss_mib, err, out_text):
        self.wall, self.rss, self.err, self.out_text = wall, rss_mib, err, out_text


def gnu_time():
    """GNU time, when installed: its child is forked from a small process.
    A child forked from this script starts with this script's pages, and
    Linux carries that high-water mark through exec into ru_maxrss, so
    wait4() alone puts a floor of this script's size under every figure."""
    t = shutil.which("time") or "/usr/bin/time"
    try:
        p = subprocess.run([t, "--version"], capture_output=True, text=True,
                           timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return t if "GNU" in p.stdout + p.stderr else None


def run_process(cmd, timer):
    """cmd: dict(argv, cwd, env, stdin, stdout). Returns a Run; the
    process's stdout goes to a file (the tool writes its CSV there), its
    stderr is kept for the phase timings."""
    argv = cmd["argv"]
    stat = cmd["stdout"] + ".rss"
    if timer:
        argv = [timer, "-f", "%M", "-o", stat] + argv
    fin = open(cmd["stdin"], "rb") if cmd.get("stdin") else subprocess.DEVNULL
    fout = open(cmd["stdout"], "wb")
    t0 = time.perf_counter()
    try:
        p = subprocess.Popen(argv, cwd=cmd.get("cwd"), env=cmd["env"],
                             stdin=fin, stdout=fout, stderr=subprocess.PIPE)
    finally:
        fout.close()
        if fin is not subprocess.DEVNULL:
            fin.close()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    err = err.decode("utf-8", "replace")
    if p.returncode != 0:
        raise RuntimeError("%s exited with %d:\n%s" % (
            " ".join(cmd["argv"]), p.returncode, err[-2000:]))
    kib = ru.ru_maxrss
    if timer:
        with open(stat) as f:
            kib = int(f.read().split()[-1])
    out_text = ""
    if cmd.get("keep_stdout"):
        with open(cmd["stdout"], "r", errors="replace") as f:
            out_text = f.read(20000)
    return Run(wall, kib / 1024.0, err, out_text)


def warm(paths):
    """Read the inputs once, so that the first process of a pair does not
    pay for the disk and the second find them cached."""
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


# ---- the jobs ----

class Ctx:
    pass


def seg_cmd(ctx, argv, out):
    return dict(argv=[ctx.segment] + argv, env=dict(ctx.env), stdout=out,
                keep_stdout=out.endswith(".json"))


def py_cmd(ctx, argv, out_stdout, env_extra=None, lifetimes=False):
    env = dict(ctx.env)
    if lifetimes:
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.join(ctx.peers, "autograd"),
             os.path.join(ctx.peers, "lifetimes")] +
            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(env_extra or {})
    return dict(argv=[ctx.py] + argv, env=env, stdout=out_stdout)


def threads_args(ctx):
    return ["--threads", str(ctx.threads)] if ctx.threads is not None else []


def job_rfm_seg(ctx, f, layout, d):
    return seg_cmd(ctx, ["score", f.orders(layout), "--model", "rfm",
                         "--as-of", AS_OF, "--time-unit", "day"] +
                   threads_args(ctx), os.path.join(d, "seg.csv"))


def job_rfm_pandas(ctx, f, layout, d):
    return py_cmd(ctx, [os.path.join(ctx.peers, "peer_pandas_rfm.py"),
                        f.orders(layout), os.path.join(d, "peer.csv")],
                  os.path.join(d, "peer.stdout"))


def job_rfm_sqlite(ctx, f, layout, d):
    # the script reads tx.csv from its working folder
    os.symlink(f.orders(layout), os.path.join(d, "tx.csv"))
    return dict(argv=[ctx.sqlite3, ":memory:"], cwd=d, env=dict(ctx.env),
                stdin=os.path.join(ctx.peers, "peer_sqlite_rfm.sql"),
                stdout=os.path.join(d, "peer.stdout"), keep_stdout=True)


def job_clv_fit_seg(ctx, f, layout, d):
    return seg_cmd(ctx, ["fit", f.orders(layout), "--model", "clv",
                         "--as-of", AS_OF, "--time-unit", "day", "--json"] +
                   threads_args(ctx), os.path.join(d, "seg.json"))


def job_clv_fit_peer(ctx, f, layout, d):
    return py_cmd(ctx, [os.path.join(ctx.peers, "peer_lifetimes_bgnbd.py"),
                        f.orders(layout), os.path.join(d, "peer.json")],
                  os.path.join(d, "peer.stdout"), lifetimes=True)


def job_bgnbd_seg(ctx, f, layout, d):
    return seg_cmd(ctx, ["fit", f.summary(), "--summary",
                         "--map", "id=customer_id", "--model", "bgnbd",
                         "--set", "t_x_column=recency", "--json"],
                   os.path.join(d, "seg.json"))


def job_bgnbd_peer(ctx, f, layout, d):
    # the peer's first argument is unused with --summary-cache
    return py_cmd(ctx, [os.path.join(ctx.peers, "peer_lifetimes_bgnbd.py"),
                        f.summary(), os.path.join(d, "peer.json"),
                        "--summary-cache", f.summary(), "--no-gg"],
                  os.path.join(d, "peer.stdout"), lifetimes=True)


def job_kmeans_seg(threads):
    def build(ctx, f, layout, d):
        return seg_cmd(ctx, ["score", f.kmeans(), "--summary",
                             "--map", "id=customer_id", "--model", "kmeans",
                             "--set", "k=8", "--set", "n_init=10",
                             "--set", "features=" + ",".join(KMEANS_COLS),
                             "--set", "threads=%d" % threads,
                             "--threads", str(threads)],
                       os.path.join(d, "seg.csv"))
    return build


def job_kmeans_peer(threads):
    def build(ctx, f, layout, d):
        n = str(threads)
        return py_cmd(ctx, [os.path.join(ctx.peers, "peer_sklearn_kmeans.py"),
                            f.kmeans(), os.path.join(d, "peer.csv"),
                            "--n-init", "10",
                            "--features-cache", f.kmeans_npz(ctx.py)],
                      os.path.join(d, "peer.stdout"),
                      env_extra={"OMP_NUM_THREADS": n,
                                 "OPENBLAS_NUM_THREADS": n,
                                 "MKL_NUM_THREADS": n})
    return build


def job_clv_score_seg(ctx, f, layout, d):
    return seg_cmd(ctx, ["score", f.orders(layout), "--model", "clv",
                         "--as-of", AS_OF, "--time-unit", "day",
                         "--set", "units_per_month=30",
                         "--set", "horizon=52"] + threads_args(ctx),
                   os.path.join(d, "seg.csv"))


# the peer writes the customer and its four CLV values: e2 writes the same
CLV_COLUMNS = "clv.p_alive,clv.expected,clv.spend,clv.value"


def job_clv_score_columns_seg(ctx, f, layout, d):
    job = job_clv_score_seg(ctx, f, layout, d)
    job["argv"] += ["--columns", CLV_COLUMNS]
    return job


def job_clv_score_peer(ctx, f, layout, d):
    return py_cmd(ctx, [os.path.join(HERE, "lifetimes_clv.py"),
                        f.orders(layout), os.path.join(d, "peer.csv"),
                        "--peers", ctx.peers],
                  os.path.join(d, "peer.stdout"))


# ---- agreement of the results (outside the timed runs) ----

def read_rows(path, key, cols):
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        return {r[key]: tuple(r[c] for c in cols) for r in rd}


def share(n, total):
    return "%.2f%%" % (100.0 * n / total) if total else "-"


def check_rfm(d, peer_cols, peer_name):
    seg = read_rows(os.path.join(d, "seg.csv"), "customer_id",
                    ("recency", "orders", "monetary_total",
                     "rfm.r", "rfm.f", "rfm.m"))
    peer = read_rows(os.path.join(d, peer_cols[0]), "customer_id",
                     peer_cols[1])
    both = seg.keys() & peer.keys()
    n = len(both)
    rec = sum(float(seg[k][0]) == float(peer[k][0]) for k in both)
    mon = sum(abs(float(seg[k][2]) - float(peer[k][2])) < 0.005 for k in both)
    fq = sum(int(seg[k][1]) == int(peer[k][1]) for k in both)
    sc = [sum(int(seg[k][3 + i]) == int(peer[k][3 + i]) for k in both)
          for i in range(3)]
    return ("%d customers (libsegment %d, %s %d); recency equal %s, "
            "monetary equal to the cent %s; frequency: purchase days = rows "
            "for %s (the tool merges same-day orders, %s counts rows); "
            "scores equal R %s, F %s, M %s"
            % (n, len(seg), peer_name, len(peer), share(rec, n),
               share(mon, n), share(fq, n), peer_name, share(sc[0], n),
               share(sc[1], n), share(sc[2], n)))


def check_rfm_pandas(d):
    return check_rfm(d, ("peer.csv", ("recency_days", "frequency", "monetary",
                                      "R", "F", "M")), "pandas")


def check_rfm_sqlite(d):
    return check_rfm(d, ("rfm_sqlite.csv", ("recency_days", "frequency",
                                            "monetary", "R", "F", "M")),
                     "sqlite3")


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def compare_params(pairs):
    worst = max(rel(a, b) for _, a, b in pairs)
    text = ", ".join("%s %.7g / %.7g" % (n, a, b) for n, a, b in pairs)
    return "%s; largest relative difference %.1e" % (text, worst)


def check_clv_fit(d):
    s = json.load(open(os.path.join(d, "seg.json")))
    p = json.load(open(os.path.join(d, "peer.json")))
    sp = s["parameters"]

    def spend(name):
        # 0.2.0 prints "spend.p" at the top level; a later layout may nest it
        for v in (s.get("spend", {}).get("parameters", {}).get(name),
                  sp.get("spend." + name), s.get("spend." + name)):
            if v is not None:
                return v
        raise KeyError("spend." + name)
    pairs = [(k, sp[k], p["bgnbd"][k]) for k in ("r", "alpha", "a", "b")]
    pairs += [("p", spend("p"), p["gg"]["p"]), ("q", spend("q"), p["gg"]["q"]),
              ("gamma", spend("gamma"), p["gg"]["v"])]
    return "libsegment / lifetimes: " + compare_params(pairs)


def check_bgnbd(d):
    s = json.load(open(os.path.join(d, "seg.json")))["parameters"]
    p = json.load(open(os.path.join(d, "peer.json")))["bgnbd"]
    return "libsegment / lifetimes: " + compare_params(
        [(k, s[k], p[k]) for k in ("r", "alpha", "a", "b")])


def check_kmeans(d, features, peer_err):
    """Both partitions scored by one objective: the inertia of each set of
    labels on the z-scored features (population sd, as StandardScaler),
    with each cluster's centre its mean."""
    with open(features, newline="") as f:
        rd = csv.reader(f)
        next(rd)
        ids, xs = [], []
        for r in rd:
            ids.append(r[0])
            xs.append([float(v) for v in r[1:4]])
    n = len(xs)
    for j in range(3):
        col = [x[j] for x in xs]
        mu = math.fsum(col) / n
        sd = math.sqrt(math.fsum((v - mu) ** 2 for v in col) / n) or 1.0
        for x in xs:
            x[j] = (x[j] - mu) / sd

    def inertia(labels):
        sums, cnt = {}, {}
        for i, k in enumerate(ids):
            c = labels[k]
            s = sums.setdefault(c, [0.0, 0.0, 0.0])
            for j in range(3):
                s[j] += xs[i][j]
            cnt[c] = cnt.get(c, 0) + 1
        cen = {c: [v / cnt[c] for v in s] for c, s in sums.items()}
        tot = math.fsum(sum((xs[i][j] - cen[labels[k]][j]) ** 2
                            for j in range(3)) for i, k in enumerate(ids))
        return tot, sorted(cnt.values(), reverse=True)
    seg = {k: v[0] for k, v in read_rows(os.path.join(d, "seg.csv"),
                                         "customer_id",
                                         ("kmeans.cluster",)).items()}
    peer = {k: v[0] for k, v in read_rows(os.path.join(d, "peer.csv"),
                                          "customer_id",
                                          ("cluster",)).items()}
    si, ss = inertia(seg)
    pi, ps = inertia(peer)
    reported = ""
    try:
        # its own figure measures to the centres the labels were assigned
        # to, not to the means of the final clusters
        reported = "; scikit-learn reports %.8g" % json.loads(
            peer_err.strip().splitlines()[-1])["inertia"]
    except (ValueError, KeyError, IndexError):
        pass
    return ("inertia libsegment %.8g, scikit-learn %.8g (%+.3f%%)%s; "
            "cluster sizes %s / %s" % (si, pi, 100 * (si - pi) / pi, reported,
                                       ss, ps))


def check_clv_score(d):
    seg = read_rows(os.path.join(d, "seg.csv"), "customer_id",
                    ("clv.p_alive", "clv.expected", "clv.spend", "clv.value"))
    peer = read_rows(os.path.join(d, "peer.csv"), "customer_id",
                     ("p_alive", "expected", "spend", "value"))
    both = seg.keys() & peer.keys()
    out = ["%d customers (libsegment %d, lifetimes %d)"
           % (len(both), len(seg), len(peer))]
    for i, name in enumerate(("p_alive", "expected", "spend", "value")):
        worst, worst_abs = 0.0, 0.0
        for k in both:
            a, b = float(seg[k][i]), float(peer[k][i])
            worst_abs = max(worst_abs, abs(a - b))
            if abs(b) > 1e-9:
                worst = max(worst, rel(a, b))
        out.append("%s max relative difference %.1e (absolute %.1e)"
                   % (name, worst, worst_abs))
    return "; ".join(out)


class Job:
    def __init__(self, key, title, peer, inp, seg, peer_cmd, needs, check,
                 reads_orders):
        self.key, self.title, self.peer, self.inp = key, title, peer, inp
        self.seg, self.peer_cmd, self.needs = seg, peer_cmd, needs
        self.check, self.reads_orders = check, reads_orders


JOBS = [
    Job("a1", "RFM scores, CSV -> CSV", "pandas", "orders",
        job_rfm_seg, job_rfm_pandas, ("pandas",), check_rfm_pandas, True),
    Job("a2", "RFM scores, CSV -> CSV", "sqlite3", "orders",
        job_rfm_seg, job_rfm_sqlite, ("sqlite3",), check_rfm_sqlite, True),
    Job("b", "CSV -> BG/NBD + Gamma-Gamma fit", "lifetimes", "orders",
        job_clv_fit_seg, job_clv_fit_peer, ("lifetimes",), check_clv_fit,
        True),
    Job("c", "BG/NBD fit from a summary", "lifetimes", "summary",
        job_bgnbd_seg, job_bgnbd_peer, ("lifetimes",), check_bgnbd, False),
    Job("d1", "k-means k=8 n_init=10, 1 thread", "scikit-learn", "kmeans",
        job_kmeans_seg(1), job_kmeans_peer(1), ("sklearn",), None, False),
    Job("d2", "k-means k=8 n_init=10, 2 threads", "scikit-learn", "kmeans",
        job_kmeans_seg(2), job_kmeans_peer(2), ("sklearn",), None, False),
    Job("e", "CSV -> BG/NBD + Gamma-Gamma -> CLV of every customer -> CSV",
        "lifetimes", "orders", job_clv_score_seg, job_clv_score_peer,
        ("lifetimes",), check_clv_score, True),
    Job("e2", "the same, writing the peer's columns (the four CLV values)",
        "lifetimes", "orders", job_clv_score_columns_seg, job_clv_score_peer,
        ("lifetimes",), check_clv_score, True),
]


def select_jobs(spec):
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    chosen = []
    for k in keys:
        hit = [j for j in JOBS if j.key == k or j.key.rstrip("12") == k]
        if not hit:
            sys.exit("jobs.py: unknown job '%s' (a, a1, a2, b, c, d, d1, d2, e, e2)"
                     % k)
        chosen += [j for j in hit if j not in chosen]
    return [j for j in JOBS if j in chosen]


def peer_missing(ctx, job):
    if not ctx.peers:
        return "peers not found"
    for need in job.needs:
        if need == "sqlite3" and not ctx.sqlite3:
            return "sqlite3 not installed"
        if need in ("pandas", "sklearn", "lifetimes") and not ctx.py:
            return "no Python with pandas"
        if need == "sklearn" and not ctx.py_sklearn:
            return "scikit-learn not installed"
        if need == "lifetimes" and not ctx.py_lifetimes:
            return "lifetimes does not import (python3-dill, python3-scipy?)"
    return None


# ---- reporting ----

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(v):
    if v != v:
        return "-"
    return "%.3f" % v if v < 10 else "%.2f" % v if v < 100 else "%.1f" % v


def fmt_mib(v):
    return "-" if v != v else "%.0f" % v if v >= 10 else "%.1f" % v


def fmt_ratio(a, b):
    if a != a or b != b or b == 0:
        return "-"
    r = a / b
    return "%.3g" % r


def phases(text):
    """The phase timings a process printed: a JSON object with phases_s
    (the lifetimes and scikit-learn peers), sqlite's .timer lines, or its
    last lines as they are."""
    text = text.strip()
    if not text:
        return ""
    lines = text.splitlines()
    for cand in (text, lines[-1]):
        try:
            obj = json.loads(cand)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("phases_s"), dict):
            return ", ".join("%s %.2f s" % (k, v)
                             for k, v in obj["phases_s"].items())
    timers = [l for l in lines if l.startswith("Run Time:")]
    if timers:
        reals = [float(l.split("real")[1].split()[0]) for l in timers]
        return "sqlite .timer, real seconds per statement: " + ", ".join(
            "%.2f" % r for r in reals)
    tail = " / ".join(lines[-3:])
    return tail[:400]


def main():
    ap = argparse.ArgumentParser(
        description="whole-process benchmark of the segment tool against "
                    "its peers (docs/bench.md)")
    ap.add_argument("--segment", default=os.environ.get("SEGMENT"),
                    help="the segment tool (default $SEGMENT)")
    ap.add_argument("--sizes", default="1M",
                    help="customers per file, comma-separated: 100k,1M,5M; "
                         "CUSTOMERS:ROWS for another number of rows")
    ap.add_argument("--rows-per-customer", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", default="a,b,c,d,e")
    ap.add_argument("--grouped", default="a",
                    help="jobs that also run on the file grouped by customer "
                         "('none' for none; default a)")
    ap.add_argument("--peers", help="folder of the peer programs; 'none' "
                                    "for libsegment alone")
    ap.add_argument("--python", help="Python with numpy and pandas for the "
                                     "generator and the peers")
    ap.add_argument("--threads", type=int,
                    help="--threads for the tool's loading (default: the "
                         "tool's own, every processor)")
    ap.add_argument("--cache", default=os.environ.get("SEGMENT_BENCH_CACHE") or
                    os.path.join(os.path.expanduser("~"), ".cache",
                                 "libsegment-bench"))
    ap.add_argument("--seed", type=int, default=20231231)
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--check", choices=("smallest", "all", "none"),
                    default="smallest",
                    help="compare the results of each pair on the smallest "
                         "size (default), every size, or none; outside the "
                         "timed runs, but slow on millions of customers")
    a = ap.parse_args()

    if not a.segment or not os.access(a.segment, os.X_OK):
        sys.exit("jobs.py: give the segment tool with --segment PATH "
                 "(BUILD/examples/segment)")
    segment = os.path.realpath(a.segment)
    jobs = select_jobs(a.jobs)
    grouped = set() if a.grouped == "none" else \
        {j.key for j in select_jobs(a.grouped)}
    sizes = [Size(s, a.rows_per_customer) for s in a.sizes.split(",") if s]
    os.makedirs(a.cache, exist_ok=True)

    ctx = Ctx()
    ctx.segment = segment
    ctx.threads = a.threads
    ctx.env = dict(os.environ)
    ctx.peers, tried = find_peers(a.peers)
    numpy_py = python_with(["numpy"], a.python)
    ctx.py = python_with(["numpy", "pandas"], a.python)
    ctx.py_sklearn = ctx.py and subprocess.run(
        [ctx.py, "-c", "import sklearn"], capture_output=True).returncode == 0
    ctx.py_lifetimes = False
    if ctx.py and ctx.peers:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.join(ctx.peers, "autograd"),
             os.path.join(ctx.peers, "lifetimes")]))
        ctx.py_lifetimes = subprocess.run(
            [ctx.py, "-c", "import lifetimes"], env=env,
            capture_output=True).returncode == 0
    ctx.sqlite3 = shutil.which("sqlite3")
    ctx.timer = gnu_time()
    ctx.floor = None
    if not ctx.timer:
        _, _, ru = os.wait4(subprocess.Popen(["true"]).pid, 0)
        ctx.floor = ru.ru_maxrss / 1024.0
    if not numpy_py:
        log("jobs.py: no Python with numpy for gen_orders.py "
            "(apt-get install python3-numpy): skipped")
        return 77

    header = report_header(ctx, a, tried)
    log("\n".join(header))
    load_before = os.getloadavg()

    results = []   # dicts: size, layout, job, seg [Run], peer [Run], note
    checks = []
    failures = []
    workdir = os.path.join(a.cache, "run-%d" % os.getpid())
    for size in sizes:
        files = Files(a.cache, size, a.seed, segment, numpy_py)
        for job in jobs:
            layouts = ["date"] + (["customer"] if job.reads_orders and
                                  job.key in grouped else [])
            for layout in layouts:
                res = dict(size=size, layout=layout, job=job, seg=[], peer=[],
                           note=peer_missing(ctx, job))
                results.append(res)
                log("%s %s (%s): %s vs %s" % (size.name, job.key, layout,
                                              "libsegment",
                                              res["note"] or job.peer))
                d = os.path.join(workdir, "%s-%s-%s" % (size.name, job.key,
                                                        layout))
                warmed = False
                for r in range(a.runs):
                    sides = ["seg", "peer"] if r % 2 == 0 else ["peer", "seg"]
                    if res["note"]:
                        sides = ["seg"]
                    shutil.rmtree(d, ignore_errors=True)
                    os.makedirs(d)
                    cmds = {"seg": job.seg(ctx, files, layout, d)}
                    if not res["note"]:
                        cmds["peer"] = job.peer_cmd(ctx, files, layout, d)
                    if not warmed:
                        warm([x for x in cmds["seg"]["argv"] +
                              cmds.get("peer", {"argv": []})["argv"]
                              if x.endswith((".csv", ".npz")) and
                              os.path.isfile(x)])
                        warmed = True
                    for side in sides:
                        try:
                            run = run_process(cmds[side], ctx.timer)
                        except (RuntimeError, OSError) as e:
                            # one failed process must not lose the others'
                            # figures: the pair stops, the report says why
                            res["failed"] = side
                            res["note"] = res["note"] or (
                                "libsegment failed" if side == "seg"
                                else "failed")
                            failures.append("- %s %s %s, %s: %s" % (
                                job.key, size.name, layout,
                                "libsegment" if side == "seg" else job.peer,
                                str(e).strip().replace("\n", " / ")[:600]))
                            log("  " + failures[-1])
                            break
                        res[side].append(run)
                        log("  run %d %-4s %8.3f s %8.1f MiB"
                            % (r + 1, side, run.wall, run.rss))
                    if res.get("failed"):
                        break
                if check_size(a.check, size, sizes) and not res["note"] \
                        and a.runs:
                    last = res["peer"][-1]
                    try:
                        if job.check:
                            text = job.check(d)
                        else:
                            text = check_kmeans(d, files.kmeans(), last.err)
                    except (OSError, KeyError, ValueError, TypeError) as e:
                        text = "could not compare: %s" % e
                    checks.append("- %s %s (%s, %s): %s"
                                  % (job.key, job.title, size.name, layout,
                                     text))
                    log("  " + checks[-1])
                shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()

    header.append("- load average (1, 5, 15 min) at the start %s, at the end "
                  "%s" % ("%.2f %.2f %.2f" % load_before,
                          "%.2f %.2f %.2f" % load_after))
    text = "\n".join(report(header, results, checks, failures, sizes)) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 1 if any(r.get("failed") == "seg" for r in results) else 0


def check_size(mode, size, sizes):
    if mode == "all":
        return True
    return mode == "smallest" and \
        size.customers == min(s.customers for s in sizes)


def version_of(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def report_header(ctx, a, tried):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    h = ["# Whole-process benchmark: segment against its peers", "",
         "- %s UTC, %s, %d processors (%s)"
         % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()), platform.node(),
            os.cpu_count() or 0, cpu),
         "- %s (%s)" % (version_of([ctx.segment, "--version"]), ctx.segment),
         "- runs a pair: %d, alternated; medians of wall time and peak RSS; "
         "ratio = libsegment / peer (below 1: libsegment faster or smaller)"
         % a.runs,
         "- peak RSS %s" % (
             "from GNU time (%s)" % ctx.timer if ctx.timer else
             "from wait4(), which counts this script's pages at the fork: "
             "every figure has a floor of %.0f MiB (install the package "
             "time for GNU time)" % ctx.floor),
         "- orders files from gen_orders.py, seed %d, %d rows a customer "
         "unless given, snapshot %s, units days" % (a.seed,
                                                     a.rows_per_customer,
                                                     AS_OF)]
    if ctx.peers:
        vers = []
        if ctx.py:
            code = ("import pandas, numpy; v = ['pandas ' + pandas.__version__,"
                    " 'numpy ' + numpy.__version__]\n"
                    "try:\n import sklearn; v.append('scikit-learn ' + "
                    "sklearn.__version__)\nexcept ImportError: pass\n"
                    "try:\n import lifetimes; v.append('lifetimes ' + "
                    "lifetimes.__version__)\nexcept ImportError: pass\n"
                    "print(', '.join(v))")
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                [os.path.join(ctx.peers, "autograd"),
                 os.path.join(ctx.peers, "lifetimes")]))
            p = subprocess.run([ctx.py, "-c", code], env=env,
                               capture_output=True, text=True)
            vers.append("%s (%s)" % (p.stdout.strip(), ctx.py))
        if ctx.sqlite3:
            vers.append("sqlite3 " + version_of([ctx.sqlite3, "--version"])
                        .split()[0])
        h.append("- peers from %s: %s" % (ctx.peers, "; ".join(vers)))
    elif tried == ["none"]:
        h.append("- peers not run (--peers none): libsegment alone")
    else:
        h.append("- peers not found (tried %s; --peers DIR or "
                 "$SEGMENT_BENCH_PEERS): libsegment alone"
                 % ", ".join(tried))
    return h


def report(header, results, checks, failures, sizes):
    out = list(header)
    out += ["", "## libsegment / peer", "",
            "| job | what | file | customers | rows | libsegment s | peer | "
            "peer s | time ratio | libsegment MiB | peer MiB | memory ratio |",
            "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | "
            "---: | ---: | ---: |"]
    for r in results:
        s, p = r["seg"], r["peer"]
        sw, pw = med([x.wall for x in s]), med([x.wall for x in p])
        sm, pm = med([x.rss for x in s]), med([x.rss for x in p])
        peer = r["job"].peer if not r["note"] else "%s: %s" % (r["job"].peer,
                                                               r["note"])
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                   "%s |" % (r["job"].key, r["job"].title,
                             inp_name(r), r["size"].name,
                             "{:,}".format(r["size"].rows)
                             if r["job"].inp == "orders" else "-",
                             fmt_s(sw), peer, fmt_s(pw), fmt_ratio(sw, pw),
                             fmt_mib(sm), fmt_mib(pm), fmt_ratio(sm, pm)))

    if len(sizes) > 1:
        names = [s.name for s in sizes]
        steps = list(zip(sizes, sizes[1:]))
        out += ["", "## Scaling of libsegment (median wall time, s)", "",
                "| job | file | " + " | ".join(names) + " | " +
                " | ".join("%s/%s (size x%.3g)"
                           % (b.name, x.name, b.customers / x.customers)
                           for x, b in steps) + " |",
                "| --- | --- | " + " | ".join("---:" for _ in names) + " | " +
                " | ".join("---:" for _ in steps) + " |"]
        seen = []
        for r in results:
            k = (r["job"].key, r["layout"])
            if k in seen:
                continue
            seen.append(k)
            t = {}
            for q in results:
                if (q["job"].key, q["layout"]) == k:
                    t[q["size"].name] = med([x.wall for x in q["seg"]])
            out.append("| %s | %s | %s | %s |" % (
                r["job"].key, inp_name(r),
                " | ".join(fmt_s(t.get(n, float("nan"))) for n in names),
                " | ".join(fmt_ratio(t.get(b.name, float("nan")),
                                     t.get(x.name, float("nan")))
                           for x, b in steps)))

    out += ["", "## Phase timings the processes reported (last run)", ""]
    any_phase = False
    for r in results:
        for side in ("seg", "peer"):
            runs = r[side]
            if not runs:
                continue
            ph = phases(runs[-1].err + "\n" + runs[-1].out_text
                        if side == "peer" else runs[-1].err)
            if ph:
                any_phase = True
                out.append("- %s %s %s, %s: %s"
                           % (r["job"].key, r["size"].name, r["layout"],
                              "libsegment" if side == "seg" else r["job"].peer,
                              ph))
    if not any_phase:
        out.append("(none)")
    if not any(r["seg"] and r["seg"][-1].err.strip() for r in results):
        out.append("- libsegment wrote nothing on stderr.")

    if checks:
        out += ["", "## Agreement of the results (last run of each pair)", ""]
        out += checks
    if failures:
        out += ["", "## Failed processes", ""]
        out += failures

    out += ["", "## Every run (wall s / peak MiB, in run order)", ""]
    for r in results:
        out.append("- %s %s %s: libsegment %s; %s %s"
                   % (r["job"].key, r["size"].name, r["layout"],
                      " ".join("%s/%s" % (fmt_s(x.wall), fmt_mib(x.rss))
                               for x in r["seg"]),
                      r["job"].peer,
                      " ".join("%s/%s" % (fmt_s(x.wall), fmt_mib(x.rss))
                               for x in r["peer"]) or "-"))
    return out


def inp_name(r):
    return {"orders": "orders by %s" % ("date" if r["layout"] == "date"
                                         else "customer"),
            "summary": "summary", "kmeans": "features"}[r["job"].inp]


if __name__ == "__main__":
    sys.exit(main())
