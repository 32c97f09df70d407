"""libsegment from Python through ctypes: no compiler needed.

    import segment
    ds = segment.Dataset()
    ds.load_csv("orders.csv")              # customer_id,date,amount
    ds.compute_features(unit="week")
    rfm = segment.Model("rfm", segments="cn8", language="zh")
    rfm.fit(ds)
    rfm.score(ds)
    ds.column("rfm.segment")               # a list of labels
    ds.column("recency")                   # a numpy array (no copy) if numpy
    ds.to_pandas()                         # a DataFrame if pandas

The library is found through $SEGMENT_LIBRARY, then the system's library
path. Errors raise SegmentError with the library's message.
"""
import ctypes
import ctypes.util
import json as _json
import math
import os
from ctypes import (CFUNCTYPE, POINTER, byref, c_char, c_char_p, c_double,
                    c_int, c_int64, c_size_t, c_void_p)

__all__ = ["Dataset", "Model", "Rules", "SegmentError", "library"]


def _load():
    path = os.environ.get("SEGMENT_LIBRARY") or \
        ctypes.util.find_library("segment") or "libsegment.so.0"
    return ctypes.CDLL(path)


library = _load()
_L = library


class SegmentError(Exception):
    """A failed call: .code is the seg_status, str() the library's message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _s(text):
    return None if text is None else str(text).encode("utf-8")


def _u(raw):
    return None if raw is None else raw.decode("utf-8")


_WRITE = CFUNCTYPE(c_int, POINTER(c_char), c_size_t, c_void_p)


class _Collect:
    """A seg_write_fn gathering the output into one string."""

    def __init__(self):
        self.parts = []
        self.fn = _WRITE(self._write)

    def _write(self, data, length, _user):
        self.parts.append(ctypes.string_at(data, length))
        return 0

    def text(self):
        return b"".join(self.parts).decode("utf-8")


class _CsvOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("delimiter", c_char),
                ("has_header", c_int), ("time_format", c_int),
                ("id_column", c_char_p), ("time_column", c_char_p),
                ("amount_column", c_char_p), ("kind_column", c_char_p),
                ("value_column", c_char_p),
                ("attribute_columns", POINTER(c_char_p)),
                ("n_attribute_columns", c_size_t), ("row_ids", c_int),
                ("all_attributes", c_int)]


class _FeatureOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("as_of", c_int64), ("time_unit", c_int),
                ("holdout_from", c_int64)]


_P = c_void_p


def _fn(name, restype, *argtypes):
    f = getattr(_L, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_errmsg = _fn("seg_errmsg", c_char_p)
_ds_new = _fn("seg_dataset_new", c_int, POINTER(_P))
_ds_free = _fn("seg_dataset_free", None, _P)
_ds_errmsg = _fn("seg_dataset_errmsg", c_char_p, _P)
_ds_threads = _fn("seg_dataset_set_threads", c_int, _P, c_int)
_ds_count = _fn("seg_dataset_customer_count", c_size_t, _P)
_ds_id = _fn("seg_dataset_customer_id", c_char_p, _P, c_size_t)
_ds_find = _fn("seg_dataset_customer_find", c_int, _P, c_char_p,
               POINTER(c_size_t))
_ds_add_txs = _fn("seg_dataset_add_transactions", c_int, _P,
                  POINTER(c_char_p), POINTER(c_int64), POINTER(c_double),
                  c_size_t)
_ds_add_evs = _fn("seg_dataset_add_events", c_int, _P, POINTER(c_char_p),
                  POINTER(c_int64), POINTER(c_char_p), POINTER(c_double),
                  c_size_t)
_ds_set_num = _fn("seg_dataset_set_attribute_f64", c_int, _P, c_char_p,
                  c_char_p, c_double)
_ds_set_str = _fn("seg_dataset_set_attribute_str", c_int, _P, c_char_p,
                  c_char_p, c_char_p)
_csv_init = _fn("seg_csv_options_init", None, POINTER(_CsvOptions))
_ds_load = _fn("seg_dataset_load_csv", c_int, _P, c_char_p,
               POINTER(_CsvOptions))
_fo_init = _fn("seg_features_options_init", None, POINTER(_FeatureOptions))
_ds_features = _fn("seg_dataset_compute_features", c_int, _P,
                   POINTER(_FeatureOptions))
_ds_ncols = _fn("seg_dataset_column_count", c_size_t, _P)
_ds_colname = _fn("seg_dataset_column_name", c_char_p, _P, c_size_t)
_ds_coltype = _fn("seg_dataset_column_type", c_int, _P, c_char_p)
_ds_copy = _fn("seg_dataset_copy_f64", c_int, _P, c_char_p,
               POINTER(c_double), c_size_t)
_ds_labels = _fn("seg_dataset_copy_labels", c_int, _P, c_char_p,
                 POINTER(c_char_p), c_size_t)
_ds_data = _fn("seg_dataset_column_data", c_int, _P, c_char_p,
               POINTER(POINTER(c_double)), POINTER(c_size_t))
_ds_export = _fn("seg_dataset_export", c_int, _P, c_int, POINTER(c_char_p),
                 c_size_t, _WRITE, c_void_p)
_ds_summary = _fn("seg_dataset_summary", c_int, _P, c_char_p,
                  POINTER(c_char_p), c_size_t, c_int, _WRITE, c_void_p)
_time_parse = _fn("seg_time_parse", c_int, POINTER(c_int64), c_char_p,
                  c_size_t, c_int)

_m_new = _fn("seg_model_new", c_int, POINTER(_P), c_char_p)
_m_free = _fn("seg_model_free", None, _P)
_m_errmsg = _fn("seg_model_errmsg", c_char_p, _P)
_m_set = _fn("seg_model_set", c_int, _P, c_char_p, c_char_p)
_m_set_name = _fn("seg_model_set_name", c_int, _P, c_char_p)
_m_fit = _fn("seg_model_fit", c_int, _P, _P)
_m_score = _fn("seg_model_score", c_int, _P, _P)
_m_save = _fn("seg_model_save", c_int, _P, c_char_p)
_m_load = _fn("seg_model_load", c_int, POINTER(_P), c_char_p)
_m_kind = _fn("seg_model_kind", c_char_p, _P)
_m_result_name = _fn("seg_model_result_name", c_char_p, _P, c_size_t)
_m_result = _fn("seg_model_result", c_int, _P, c_char_p, POINTER(c_double))
_m_eval = _fn("seg_model_eval", c_int, _P, c_char_p, POINTER(c_double),
              c_size_t, POINTER(c_double))
_m_report = _fn("seg_model_report", c_int, _P, _P, c_char_p, c_int, _WRITE,
                c_void_p)

_r_parse = _fn("seg_rules_parse", c_int, POINTER(_P), c_char_p, c_size_t,
               c_char_p)
_r_free = _fn("seg_rules_free", None, _P)
_r_errmsg = _fn("seg_rules_errmsg", c_char_p, _P)
_r_apply = _fn("seg_rules_apply", c_int, _P, _P, c_char_p)
_r_explain = _fn("seg_rules_explain", c_int, _P, _P, c_size_t, c_int, _WRITE,
                 c_void_p)

NUMERIC, LABEL = 1, 2
CSV, JSON, TEXT = 1, 2, 3


def _check(rc, message):
    """Raise for a failed call; message is read only then."""
    if rc < 0:
        raise SegmentError(rc, _u(message()))
    return rc


def _time(value, end_of_day=True):
    """Epoch seconds from an int, a datetime or an ISO 8601 / YYYYMMDD text;
    a date alone means the end of that day (or its start)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if hasattr(value, "timestamp"):
        return int(value.timestamp())
    text = _s(value)
    out = c_int64()
    _check(_time_parse(byref(out), text, len(text), 0),
           lambda: b"not a time: " + text)
    date_only = len(text) == 10 or (len(text) == 8 and text.isdigit())
    return out.value + (86399 if date_only and end_of_day else 0)


class Dataset:
    """Customers with their transactions, events and attributes; columns."""

    def __init__(self):
        self._p = None
        p = _P()
        _check(_ds_new(byref(p)), _errmsg)
        self._p = p

    def close(self):
        if getattr(self, "_p", None):
            _ds_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return _ds_errmsg(self._p)

    def __len__(self):
        return _ds_count(self._p)

    def ids(self):
        return [_u(_ds_id(self._p, i)) for i in range(len(self))]

    def row(self, customer_id):
        r = c_size_t()
        _check(_ds_find(self._p, _s(customer_id), byref(r)), self._err)
        return r.value

    def set_threads(self, threads):
        """Threads that loading and features may use: 0 (the default) for
        the machine's processors, 1 for the calling thread alone."""
        _check(_ds_threads(self._p, threads), self._err)

    def load_csv(self, path, id=None, time=None, amount=None, kind=None,
                 value=None, attributes=(), header=True, delimiter=None,
                 summary=False):
        """Load a CSV file; column roles by header name or 1-based number.
        summary=True loads every column as an attribute, rows as customers
        unless id names a column."""
        o = _CsvOptions()
        _csv_init(byref(o))
        o.has_header = 1 if header else 0
        if delimiter:
            o.delimiter = {"tab": b"\t", "space": b" "}.get(
                delimiter, delimiter.encode())
        o.id_column, o.time_column = _s(id), _s(time)
        o.amount_column, o.kind_column = _s(amount), _s(kind)
        o.value_column = _s(value)
        attrs = (c_char_p * max(len(attributes), 1))(
            *[_s(a) for a in attributes])
        o.attribute_columns = attrs
        o.n_attribute_columns = len(attributes)
        if summary:
            o.all_attributes = 1
            o.row_ids = 1 if id is None else 0
        _check(_ds_load(self._p, _s(path), byref(o)), self._err)

    def add_transactions(self, ids, times, amounts):
        """Add transactions from three sequences in one call."""
        n = len(ids)
        if not len(times) == len(amounts) == n:
            raise ValueError("ids, times and amounts differ in length")
        cid = (c_char_p * max(n, 1))(*[_s(i) for i in ids])
        ct = (c_int64 * max(n, 1))(*[_time(t, False) for t in times])
        ca = (c_double * max(n, 1))(*[float(a) for a in amounts])
        _check(_ds_add_txs(self._p, cid, ct, ca, n), self._err)

    def add_events(self, ids, times, kinds, values=None):
        n = len(ids)
        cid = (c_char_p * max(n, 1))(*[_s(i) for i in ids])
        ct = (c_int64 * max(n, 1))(*[_time(t, False) for t in times])
        ck = (c_char_p * max(n, 1))(*[_s(k) for k in kinds])
        cv = None
        if values is not None:
            cv = (c_double * max(n, 1))(
                *[math.nan if v is None else float(v) for v in values])
        _check(_ds_add_evs(self._p, cid, ct, ck, cv, n), self._err)

    def set_attribute(self, customer_id, name, value):
        if value is None or isinstance(value, str):
            rc = _ds_set_str(self._p, _s(customer_id), _s(name), _s(value))
        else:
            rc = _ds_set_num(self._p, _s(customer_id), _s(name), float(value))
        _check(rc, self._err)

    def compute_features(self, as_of=None, unit="day", holdout_from=None):
        o = _FeatureOptions()
        _fo_init(byref(o))
        if as_of is not None:
            o.as_of = _time(as_of)
        if holdout_from is not None:
            o.holdout_from = _time(holdout_from, end_of_day=False)
        o.time_unit = {"day": 1, "week": 2}[unit]
        _check(_ds_features(self._p, byref(o)), self._err)

    def columns(self):
        return [_u(_ds_colname(self._p, i))
                for i in range(_ds_ncols(self._p))]

    def column(self, name):
        """A numeric column as a read-only numpy array that shares the
        library's memory (a list of floats without numpy); a label column as
        a list of str (None where missing). The array stays valid while the
        dataset is not changed."""
        t = _check(_ds_coltype(self._p, _s(name)), self._err)
        n = len(self)
        if t == LABEL:
            out = (c_char_p * max(n, 1))()
            _check(_ds_labels(self._p, _s(name), out, n), self._err)
            return [_u(out[i]) for i in range(n)]
        try:
            import numpy
        except ImportError:
            out = (c_double * max(n, 1))()
            _check(_ds_copy(self._p, _s(name), out, n), self._err)
            return list(out[:n])
        ptr, count = POINTER(c_double)(), c_size_t()
        _check(_ds_data(self._p, _s(name), byref(ptr), byref(count)),
               self._err)
        buf = (c_double * count.value).from_address(
            ctypes.addressof(ptr.contents))
        buf._owner = self  # the dataset lives as long as the array
        arr = numpy.frombuffer(buf, dtype=numpy.float64)
        arr.flags.writeable = False
        return arr

    def to_pandas(self):
        """All columns as a pandas DataFrame indexed by customer id."""
        import pandas
        data = {name: self.column(name) for name in self.columns()}
        return pandas.DataFrame(data, index=pandas.Index(self.ids(),
                                                         name="customer_id"))

    def export(self, columns=None, format="csv"):
        c = _Collect()
        cols = None if columns is None else \
            (c_char_p * max(len(columns), 1))(*[_s(x) for x in columns])
        _check(_ds_export(self._p, {"csv": CSV, "json": JSON}[format], cols,
                          0 if columns is None else len(columns), c.fn, None),
               self._err)
        return c.text()

    def summary(self, by, values=(), format="csv"):
        c = _Collect()
        vals = (c_char_p * max(len(values), 1))(*[_s(v) for v in values])
        _check(_ds_summary(self._p, _s(by), vals, len(values),
                           {"csv": CSV, "json": JSON}[format], c.fn, None),
               self._err)
        return c.text()


class Model:
    """A model by kind ("rfm", "bgnbd", "clv", "kmeans" ...), with
    parameters as keywords."""

    def __init__(self, kind=None, name=None, _handle=None, **params):
        self._p = None
        if _handle is not None:
            self._p = _handle
        else:
            p = _P()
            _check(_m_new(byref(p), _s(kind)), _errmsg)
            self._p = p
        if name:
            _check(_m_set_name(self._p, _s(name)), self._err)
        for key, value in params.items():
            self.set(key, value)

    @classmethod
    def load(cls, path):
        p = _P()
        _check(_m_load(byref(p), _s(path)), _errmsg)
        return cls(_handle=p)

    def close(self):
        if getattr(self, "_p", None):
            _m_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return _m_errmsg(self._p)

    @property
    def kind(self):
        return _u(_m_kind(self._p))

    def set(self, key, value):
        _check(_m_set(self._p, _s(key), _s(value)), self._err)
        return self

    def fit(self, dataset):
        _check(_m_fit(self._p, dataset._p), self._err)
        return self

    def score(self, dataset):
        _check(_m_score(self._p, dataset._p), self._err)

    def save(self, path):
        _check(_m_save(self._p, _s(path)), self._err)

    @property
    def results(self):
        out, i = {}, 0
        while True:
            name = _m_result_name(self._p, i)
            if name is None:
                return out
            v = c_double()
            _check(_m_result(self._p, name, byref(v)), self._err)
            out[_u(name)] = v.value
            i += 1

    def eval(self, quantity, *args):
        a = (c_double * max(len(args), 1))(*[float(x) for x in args])
        v = c_double()
        _check(_m_eval(self._p, _s(quantity), a, len(args), byref(v)),
               self._err)
        return v.value

    def report(self, name, dataset=None, format="csv"):
        c = _Collect()
        _check(_m_report(self._p, dataset._p if dataset else None, _s(name),
                         {"csv": CSV, "json": JSON}[format], c.fn, None),
               self._err)
        return c.text()


class Rules:
    """A compiled tier-rule set (the language of docs/rules.md)."""

    def __init__(self, text, name="<rules>"):
        self._p = None
        raw = _s(text)
        p = _P()
        _check(_r_parse(byref(p), raw, len(raw), _s(name)), _errmsg)
        self._p = p

    def close(self):
        if getattr(self, "_p", None):
            _r_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return _r_errmsg(self._p)

    def apply(self, dataset, column=None):
        _check(_r_apply(self._p, dataset._p, _s(column)), self._err)

    def explain(self, dataset, customer_id, json=False):
        c = _Collect()
        _check(_r_explain(self._p, dataset._p, dataset.row(customer_id),
                          JSON if json else TEXT, c.fn, None), self._err)
        return _json.loads(c.text()) if json else c.text()
