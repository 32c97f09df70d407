"""Simulated customers (seg_simulate_table, seg_simulate_dataset) and the
comparison of fitted models (seg_model_compare, seg_chi2_sf)."""
from ctypes import byref

from . import _native as N
from .dataset import Dataset
from .table import Table


def _spec(model, params, spend, customers, seed, start, join_end, end,
          unit_days, id_prefix, summary):
    spec = N.SimSpec()
    N.sim_init(byref(spec))
    # the spec holds pointers: keep the encoded texts alive with it
    keep = []

    def text(v):
        if v is None:
            return None
        b = N.s(v)
        keep.append(b)
        return b
    if isinstance(params, dict):
        params = ",".join("%s=%r" % (k, float(v)) for k, v in params.items())
    if isinstance(spend, dict):
        spend = ",".join("%s=%r" % (k, float(v)) for k, v in spend.items())
    spec.model = text(model)
    spec.params = text(params)
    spec.spend = text(spend)
    if customers is not None:
        spec.customers = int(customers)
    spec.seed = int(seed)
    if start is not None:
        spec.start = N.parse_time(start, end_of_day=False)
    if join_end is not None:
        spec.join_end = N.parse_time(join_end, end_of_day=False)
    if end is not None:
        spec.end = N.parse_time(end, end_of_day=False)
    if unit_days is not None:
        spec.unit_days = float(unit_days)
    if id_prefix is not None:
        spec.id_prefix = text(id_prefix)
    spec.summary = 1 if summary else 0
    return spec, keep


def _from(model):
    if model is None:
        return None
    return model._p


def simulate(model=None, params=None, spend=None, customers=1000, seed=0,
             start=None, join_end=None, end=None, unit_days=None,
             id_prefix=None, summary=False, from_model=None):
    """Customers and their transactions drawn from a purchase model
    ("bgnbd", "mbgnbd", "pareto_nbd", "ggompertz") with params (text
    "r=...,alpha=..." or a dict) and optional Gamma-Gamma spend, or from a
    fitted Model (from_model). A Table of customer_id, time, amount; with
    summary=True one row per customer (customer_id, frequency, t_x, T,
    monetary_repeat_mean). Times are epoch seconds, datetimes or ISO 8601
    texts; the same seed gives the same table. Table.to_pandas() gives a
    DataFrame."""
    spec, keep = _spec(model, params, spend, customers, seed, start,
                       join_end, end, unit_days, id_prefix, summary)
    t = Table._make(lambda out: N.sim_table(out, byref(spec),
                                            _from(from_model)), N.errmsg)
    del keep
    return t


def simulate_dataset(model=None, params=None, spend=None, customers=1000,
                     seed=0, start=None, join_end=None, end=None,
                     unit_days=None, id_prefix=None, from_model=None,
                     dataset=None):
    """As simulate(), the transactions added to a Dataset (a new one, or
    `dataset`), all or nothing; returns the dataset."""
    ds = dataset if dataset is not None else Dataset()
    spec, keep = _spec(model, params, spend, customers, seed, start,
                       join_end, end, unit_days, id_prefix, False)
    N.check(N.sim_dataset(ds._p, byref(spec), _from(from_model)), N.errmsg)
    del keep
    return ds


def compare(models):
    """A Table comparing models fitted on one dataset: model, kind,
    parameters, loglik, customers, aic, bic, delta_aic, delta_bic, and
    the likelihood-ratio test against the first earlier nested model
    (nested, lr, df, p_value)."""
    models = list(models)
    arr = (N.P * max(len(models), 1))(*[m._p for m in models])
    # the models stay referenced by `models` until the table is made
    return Table._make(lambda out: N.m_compare(out, arr, len(models)),
                       N.errmsg)


def chi2_sf(x, df):
    """P(X > x) for a chi-square X with df degrees of freedom."""
    return N.chi2_sf(float(x), float(df))
