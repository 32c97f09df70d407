"""The libsegment pipeline on a dask DataFrame of transactions.

    import dask.dataframe as dd
    import libsegment.dask as lsd
    orders = dd.read_csv("orders-*.csv", parse_dates=["date"])
    orders = lsd.partition_by_customer(orders, id="customer_id")
    res = lsd.run(orders, id="customer_id", time="date", amount="amount",
                  as_of="2023-12-31", unit="week",
                  models=[("rfm", {}), ("bgnbd", {}), ("gamma_gamma", {})],
                  rules=open("value_tiers.rules").read())
    res.models["bgnbd"].results      # fitted on the client
    res.frame.compute()              # one row per customer

Every customer's transactions must be in one partition
(partition_by_customer() makes it so; run() checks it). The work divides
into passes over the partitions, each loading a partition into a dataset of
its own and computing the features at one as_of:

1. summaries: per model to fit, the weighted unique rows of its inputs
   ((x, t_x, T) for the purchase models, (x, mean spend) for Gamma-Gamma)
   or, for RFM, exact histograms (value -> count) of its input columns;
   histograms of the columns the rules take population statistics of;
2. on the client, the merged summaries fit the models (the fitter sorts and
   merges identical rows itself, so the fit is the one a single process
   makes) and give the statistics, which are written into the rule text as
   numbers;
3. scoring and tiers per partition, with the saved model texts and that
   rule text shipped to the workers.

A statistic of a column that a model writes takes one more pass (score,
then histograms). docs/scale.md says what each pass costs.
"""
import math
import os
import re
import tempfile

import numpy as np
import pandas as pd
from dask import compute, delayed
import dask.dataframe as dd

from . import _native as N
from ._arrays import Times
from .dataset import Dataset
from .model import Model
from .rules import Rules

__all__ = ["partition_by_customer", "run", "Result", "rule_statistics",
           "CLV_INPUTS", "RFM_INPUTS"]

# The parameters naming the columns each summarisable kind reads.
CLV_INPUTS = {
    "bgnbd": ("x_column", "t_x_column", "T_column"),
    "mbgnbd": ("x_column", "t_x_column", "T_column"),
    "pareto_nbd": ("x_column", "t_x_column", "T_column"),
    "bgbb": ("x_column", "t_x_column", "n_column"),
    "gamma_gamma": ("x_column", "m_column"),
    "clv": ("x_column", "t_x_column", "T_column", "m_column"),
}
RFM_INPUTS = ("r_column", "f_column", "m_column", "value_column")
WEIGHT = "__weight"


def partition_by_customer(ddf, id="customer_id", npartitions=None):
    """The same transactions with every customer's rows in one partition:
    a shuffle on a hash of the id. npartitions defaults to the frame's.
    Row order does not matter: features sort each customer's records."""
    return ddf.shuffle(on=id, npartitions=npartitions or ddf.npartitions)


class Result:
    """What run() gives back.

    frame: a dask DataFrame, one row per customer indexed by customer_id,
      numeric columns as float64 (times as epoch seconds), labels as
      object (None missing); lazy until computed.
    models: {name: Model} fitted on the client (or as given).
    model_texts: {name: saved model text}, what the workers loaded.
    statistics: {"p80(monetary_total)": value, ...}, the population
      statistics the rules used.
    rules_text: the rule text the workers applied (statistics as numbers).
    as_of: the end of observation, epoch seconds.
    customers: the number of customers."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


# ---- pieces that run on the workers -------------------------------------

def _load(pdf, spec):
    ds = Dataset()
    ds.set_threads(spec["threads"])
    if len(pdf):
        ds.add_transactions(pdf[spec["id"]], pdf[spec["time"]],
                            pdf[spec["amount"]])
    ds.compute_features(as_of=spec["as_of"], unit=spec["unit"],
                        holdout_from=spec["holdout_from"])
    return ds


def _model_from_text(text):
    fd, path = tempfile.mkstemp(suffix=".model")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return Model.load(path)
    finally:
        os.unlink(path)


def _model_text(model):
    fd, path = tempfile.mkstemp(suffix=".model")
    os.close(fd)
    try:
        model.save(path)
        with open(path, encoding="utf-8") as f:
            return f.read()
    finally:
        os.unlink(path)


def _histogram(values):
    """Exact histogram of a float64 array: a Series value -> count, NaN
    kept as a value of its own."""
    return pd.Series(values).value_counts(dropna=False, sort=False)


def _unique_rows(ds, cols):
    """The distinct rows of the columns with how many customers have each."""
    frame = pd.DataFrame({c: ds.column(c, raw=True) for c in cols})
    counts = frame.value_counts(dropna=False, sort=False)
    return counts.rename(WEIGHT).reset_index()


def _summaries(pdf, spec):
    ds = _load(pdf, spec)
    for text in spec["models"]:
        _model_from_text(text).score(ds)
    have = set(ds.columns())
    for c in spec["hist"]:
        if c in have and ds.column_type(c) == "label":
            raise ValueError("'%s' is a label column: a summary or a "
                             "population statistic needs numbers" % c)
    ids = np.asarray(ds.ids(), dtype=object)
    return {
        "customers": len(ds),
        "id_hashes": pd.util.hash_array(ids) if spec["check"] else None,
        "rows": [_unique_rows(ds, cols) for cols in spec["rows"]],
        # the units of the summaries' durations, which clv reads
        "kinds": {c: ds.column_kind(c) for cols in spec["rows"]
                  for c in cols if c in have},
        "hist": {c: _histogram(ds.column(c, raw=True))
                 for c in spec["hist"] if c in have},
    }


def _output_frame(ds, columns):
    data = {}
    for name in columns:
        if ds.column_type(name) == "label":
            data[name] = ds.column(name)
        else:
            data[name] = ds.column(name, raw=True)
    index = pd.Index(ds.ids(), name="customer_id", dtype=object)
    return pd.DataFrame(data, index=index, columns=list(columns))


def _score(pdf, spec):
    ds = _load(pdf, spec)
    for text in spec["models"]:
        _model_from_text(text).score(ds)
    if spec["rules"] is not None:
        Rules(spec["rules"], "<rules>").apply(ds, spec["rules_column"])
    columns = spec["columns"] if spec["columns"] is not None else ds.columns()
    return _output_frame(ds, columns)


# ---- merging on the client ----------------------------------------------

def _merge_rows(parts):
    frame = pd.concat(parts, ignore_index=True)
    keys = [c for c in frame.columns if c != WEIGHT]
    return frame.groupby(keys, dropna=False, sort=True)[WEIGHT].sum() \
        .reset_index()


def _merge_hist(parts):
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.empty(0)
    merged = pd.concat(parts).groupby(level=0, dropna=False).sum()
    merged = merged.sort_index()
    return np.repeat(merged.index.to_numpy(dtype=np.float64),
                     merged.to_numpy(dtype=np.int64))


def _summary_dataset(columns):
    """A client dataset whose rows are the merged summaries: attributes
    only, ids the row numbers."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({k: np.asarray(v, dtype=np.float64)
                          for k, v in columns.items()},
                         index=np.arange(n).astype(str).astype(object))
    ds = Dataset()
    ds.set_attributes_df(frame, id=None)  # the ids encoded once
    return ds


def _fit_clv(model, cols, parts, kinds):
    rows = _merge_rows(parts)
    columns = {c: rows[c].to_numpy() for c in cols}
    columns[WEIGHT] = rows[WEIGHT].to_numpy(dtype=np.float64)
    ds = _summary_dataset(columns)
    for c in cols:
        if kinds.get(c, "none") != "none":
            ds.set_column_kind(c, kinds[c])
    # stays set: changing a parameter unfits a model, and scoring reads
    # no weights
    model.set("weight_column", WEIGHT)
    model.fit(ds)
    return len(rows)


def _fit_rfm(model, cols, hists):
    ds = _summary_dataset({c: hists[c] for c in cols})
    model.fit(ds)


def _check_partitioning(parts):
    hashes = [p["id_hashes"] for p in parts if p["id_hashes"] is not None
              and len(p["id_hashes"])]
    if not hashes:
        return
    allh = np.concatenate(hashes)
    if np.unique(allh).size != allh.size:
        raise ValueError(
            "a customer's transactions are in more than one partition; "
            "repartition with libsegment.dask.partition_by_customer()")


# ---- population statistics of the rules ---------------------------------

_IDENT = "A-Za-z_\u0080-\U0010ffff"
_STAT = re.compile(
    r"(?<![%s0-9.])(mean|avg|median|min|max|sum|stddev|p[0-9.]+)\s*\(\s*"
    r"(`\x00+`|[%s][%s0-9.]*)\s*\)" % (_IDENT, _IDENT, _IDENT))


def _mask(text):
    """The text with comments and strings blanked and the inside of
    `quoted names` replaced by NULs, offsets kept: what the statistic
    pattern may match in."""
    out, i, n = list(text), 0, len(text)
    while i < n:
        c = text[i]
        if c == "#" or text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n:
                if text[j] == c and text.startswith(c + c, j):
                    j += 2
                elif text[j] == c:
                    break
                else:
                    j += 1
            out[i:j + 1] = " " * (min(j + 1, n) - i)
            i = j + 1
        elif c == "`":
            j = text.find("`", i + 1)
            j = n if j < 0 else j
            out[i + 1:j] = "\x00" * (j - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def rule_statistics(text):
    """The population statistics a rule text takes: a list of
    (start, end, function, percent, column) with the span of each call."""
    out = []
    for m in _STAT.finditer(_mask(text)):
        name, percent = m.group(1), None
        if name.startswith("p"):
            try:
                percent = float(name[1:])
            except ValueError:
                continue
            if not 0 <= percent <= 100:
                continue
        col = text[m.start(2):m.end(2)]
        if col.startswith("`"):
            col = col[1:-1]
        out.append((m.start(), m.end(), name, percent, col))
    return out


def _quantile(sorted_values, p):
    """The library's quantile (lib/core/select.c), operation for operation:
    linear interpolation between order statistics."""
    n = len(sorted_values)
    h = (n - 1) * p
    lo = math.floor(h)
    if lo >= n - 1:
        return float(sorted_values[n - 1])
    a, b = float(sorted_values[lo]), float(sorted_values[lo + 1])
    return a + (h - lo) * (b - a)


def _statistic(name, percent, values):
    """A statistic of the finite values of one column, from its merged
    histogram (values sorted). Sums are correctly rounded (math.fsum);
    docs/scale.md gives the bound against the single-process sum."""
    v = values[~np.isnan(values)]
    k = len(v)
    if k == 0:
        return math.nan
    if name in ("mean", "avg"):
        return math.fsum(v) / k
    if name == "sum":
        return math.fsum(v)
    if name == "min":
        return float(v[0])
    if name == "max":
        return float(v[-1])
    if name == "stddev":
        if k < 2:
            return math.nan
        mean = math.fsum(v) / k
        return math.sqrt(math.fsum((v - mean) ** 2) / (k - 1))
    p = 0.5 if name == "median" else percent / 100
    return _quantile(v, p)


def _literal(value):
    if math.isnan(value):
        return "(0/0)"  # missing: a division by zero is missing
    if math.isinf(value):
        raise ValueError("a population statistic is infinite")
    text = repr(float(value))
    return "(0 - %s)" % text[1:] if value < 0 else text


def _bind_statistics(text, stats, hists):
    """The rule text with every statistic replaced by its value."""
    values, pieces, at = {}, [], 0
    for start, end, name, percent, col in stats:
        key = "%s(%s)" % (name, col)
        if key not in values:
            values[key] = _statistic(name, percent, hists[col])
        pieces.append(text[at:start])
        pieces.append(_literal(values[key]))
        at = end
    pieces.append(text[at:])
    return "".join(pieces), values


# ---- the pipeline ---------------------------------------------------------

def _max_epoch(series):
    if len(series) == 0:
        return None
    return int(np.max(Times(series)._arr))


def _resolve_as_of(ddf, time, as_of):
    if as_of is not None:
        return N.parse_time(as_of)
    # the library's default: the latest transaction
    tops = compute(*[delayed(_max_epoch)(p) for p in ddf[time].to_delayed()])
    tops = [t for t in tops if t is not None]
    return max(tops) if tops else 0


def _make_models(models):
    out = []
    for entry in models:
        if isinstance(entry, Model):
            out.append((entry, True))
            continue
        kind, params = (entry, {}) if isinstance(entry, str) else entry
        params = dict(params)
        name = params.pop("name", None)
        out.append((Model(kind, name=name, **params), False))
    return out


def _gather(parts, spec):
    return compute(*[delayed(_summaries)(p, spec) for p in parts])


def _merged(summaries, column):
    return _merge_hist([p["hist"].get(column, pd.Series(dtype=float))
                        for p in summaries])


def _plan(todo, rules, spec):
    """What pass 1 must gather for each model to fit and for the rules:
    {model name: ("rows", columns, index) or ("hist", columns, None)} and
    the statistics of the rule text."""
    wanted, names = {}, set()
    for model, fitted in todo:
        if model.name in names:
            raise ValueError("two models are named %r: give one a name"
                             % model.name)
        names.add(model.name)
        if fitted:
            continue
        if model.kind in CLV_INPUTS:
            if model.get("weight_column"):
                raise ValueError("%s: weight_column is set by run()"
                                 % model.name)
            cols = [model.get(p) for p in CLV_INPUTS[model.kind]]
            wanted[model.name] = ("rows", cols, len(spec["rows"]))
            spec["rows"].append(cols)
        elif model.kind == "rfm":
            cols = sorted({model.get(p) for p in RFM_INPUTS})
            wanted[model.name] = ("hist", cols, None)
            spec["hist"].extend(c for c in cols if c not in spec["hist"])
        else:
            raise ValueError(
                "%s: a %s model cannot be fitted from partial summaries; fit "
                "it on a sample and pass it fitted" % (model.name, model.kind))
    stats = []
    if rules is not None:
        Rules(rules)  # a syntax error raises here, before any work
        stats = rule_statistics(rules)
        spec["hist"].extend(c for c in sorted({s[4] for s in stats})
                            if c not in spec["hist"])
    return wanted, stats


def _fit_all(todo, wanted, first):
    """The models fitted from the merged summaries of pass 1, in order,
    and their saved texts."""
    have = set().union(*[set(p["hist"]) for p in first])
    fitted, texts = {}, []
    for model, _ in todo:
        how = wanted.get(model.name)
        if how and how[0] == "rows":
            kinds = {}
            for p in first:
                if p["customers"]:
                    kinds.update(p["kinds"])
            _fit_clv(model, how[1], [p["rows"][how[2]] for p in first],
                     kinds)
        elif how:
            missing = [c for c in how[1] if c not in have]
            if missing:
                raise ValueError("%s: no feature column %s (run() fits rfm "
                                 "on features only)"
                                 % (model.name, ", ".join(missing)))
            _fit_rfm(model, how[1], {c: _merged(first, c) for c in how[1]})
        fitted[model.name] = model
        texts.append(_model_text(model))
    return fitted, texts


def _bound_rules(rules, stats, parts, spec, first, texts):
    """The rule text with its statistics as numbers, and their values; a
    statistic of a column that a model writes takes one more pass."""
    if rules is None:
        return None, {}
    have = set().union(*[set(p["hist"]) for p in first])
    stat_cols = sorted({s[4] for s in stats})
    hists = {c: _merged(first, c) for c in stat_cols if c in have}
    late = [c for c in stat_cols if c not in have]
    if late and texts:
        again = dict(spec, models=texts, rows=[], hist=late, check=False)
        more = _gather(parts, again)
        hists.update({c: _merged(more, c) for c in late
                      if any(c in p["hist"] for p in more)})
    missing = [c for c in stat_cols if c not in hists]
    if missing:
        raise ValueError("the rules take population statistics of columns "
                         "that no partition has: " + ", ".join(missing))
    text, values = _bind_statistics(rules, stats, hists)
    Rules(text)
    return text, values


def run(ddf, models=(), rules=None, id="customer_id", time="time",
        amount="amount", as_of=None, unit="day", holdout_from=None,
        rules_column=None, columns=None, check_partitioning=True, threads=1,
        persist=True):
    """Features, model fits, scores and tiers of the customers of a dask
    DataFrame of transactions (id, time, amount) partitioned by customer.

    models: kinds or (kind, {param: value, "name": NAME}) to fit, or fitted
      Model objects to score with; each is fitted in turn on the features
      (rfm from exact histograms; bgnbd, mbgnbd, pareto_nbd, bgbb,
      gamma_gamma and clv from weighted unique rows); other kinds must come
      fitted.
    rules: a rule text applied after scoring, its population statistics
      taken over all customers.
    as_of, unit, holdout_from: as Dataset.compute_features(); as_of None
      means the latest transaction, as in one process.
    rules_column: the tier column (the rules' output by default).
    columns: the output columns (all by default).
    threads: threads of each partition's dataset.
    persist: keep the partitions in the workers' memory for the passes,
      rather than reading (and shuffling) them again for each.

    A model that does not fit or rules that do not compile raise
    SegmentError on the client, bad arguments ValueError; a partition's
    error raises from compute()."""
    if persist:
        ddf = ddf.persist()
    parts = ddf.to_delayed()
    spec = {"id": id, "time": time, "amount": amount, "unit": unit,
            "as_of": _resolve_as_of(ddf, time, as_of),
            "holdout_from": holdout_from, "threads": threads,
            "check": check_partitioning, "models": [], "rows": [],
            "hist": []}
    todo = _make_models(models)
    wanted, stats = _plan(todo, rules, spec)
    first = _gather(parts, spec)
    if check_partitioning:
        _check_partitioning(first)
    fitted, texts = _fit_all(todo, wanted, first)
    rules_text, values = _bound_rules(rules, stats, parts, spec, first,
                                      texts)
    final = dict(spec, models=texts, rules=rules_text,
                 rules_column=rules_column, columns=columns)
    meta = _score(ddf.get_partition(0).head(50, compute=True, npartitions=1),
                  final).iloc[:0]
    frame = dd.from_delayed([delayed(_score)(p, final) for p in parts],
                            meta=meta, verify_meta=False)
    return Result(frame=frame, models=fitted,
                  model_texts=dict(zip(fitted, texts)),
                  statistics=values, rules_text=rules_text,
                  as_of=spec["as_of"],
                  customers=sum(p["customers"] for p in first))
