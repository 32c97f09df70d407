"""The shared library and its C prototypes: the one place that knows the
ABI. Everything above works with Python and numpy values."""
import ctypes
import ctypes.util
import datetime
import math
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, byref, c_char, c_char_p, c_double,
                    c_int, c_int64, c_size_t, c_uint, c_void_p)

ENV = "SEGMENT_LIBRARY"
_HERE = os.path.dirname(os.path.abspath(__file__))
# What a build may copy next to the package (see docs/guide-python.md).
_BUNDLED = ("libsegment.so.0", "libsegment.so", "libsegment.0.dylib",
            "libsegment.dylib", "segment.dll", "libsegment.dll")


class LibraryNotFoundError(ImportError):
    """The shared library could not be loaded; the message says how to
    point at it."""


def _candidates():
    explicit = os.environ.get(ENV)
    if explicit:
        # An explicit choice that fails must not silently load another
        # build of the library.
        return [explicit], True
    paths = [os.path.join(_HERE, n) for n in _BUNDLED
             if os.path.exists(os.path.join(_HERE, n))]
    found = ctypes.util.find_library("segment")
    if found:
        paths.append(found)
    paths.append("libsegment.so.0")
    return paths, False


def _load():
    paths, explicit = _candidates()
    errors = []
    for path in paths:
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    where = ("%s=%s could not be loaded" % (ENV, paths[0]) if explicit
             else "libsegment was not found")
    raise LibraryNotFoundError(
        "%s (%s). Point %s at the library, for example "
        "SEGMENT_LIBRARY=/path/to/libsegment.so.0 (in a build tree: "
        "build/libsegment.so.0), or install the library (meson install) "
        "and run ldconfig." % (where, "; ".join(errors), ENV))


library, library_path = _load()
_L = library


class SegmentError(Exception):
    """A failed call: .code is the seg_status, str() the library's message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# The status codes (seg_status): SegmentError.code is one of them.
OK = 0
EINVAL, ENOMEM, EIO, EPARSE, ENOTFOUND, ETYPE, ERANGE = range(-1, -8, -1)
EMISUSE, EEXISTS, ELIMIT, EVERSION, ECONVERGE, ECANCELED = range(-8, -14, -1)

# What a progress callback raised, re-raised when its call returns.
_pending = threading.local()


def s(text):
    return None if text is None else str(text).encode("utf-8")


def u(raw):
    return None if raw is None else raw.decode("utf-8")


def check(rc, message):
    """Raise for a failed call; message is read only then."""
    if rc < 0:
        raised = getattr(_pending, "error", None)
        _pending.error = None
        if rc == ECANCELED and raised is not None:
            raise raised
        raise SegmentError(rc, u(message()))
    return rc


def progress_callback(callback):
    """A seg_progress_fn calling callback(stage, done, total); a true
    result, or an exception raised in it, stops the call, and the
    exception is raised again when the call returns."""
    def call(stage, done, total, _user):
        try:
            return 1 if callback(u(stage_name(stage)), done, total) else 0
        except BaseException as e:  # noqa: B902 - re-raised by check()
            _pending.error = e
            return 1
    return PROGRESS(call)


WRITE = CFUNCTYPE(c_int, POINTER(c_char), c_size_t, c_void_p)
PROGRESS = CFUNCTYPE(c_int, c_int, ctypes.c_uint64, ctypes.c_uint64,
                     c_void_p)


class Collect:
    """A seg_write_fn gathering the output into one string."""

    def __init__(self):
        self.parts = []
        self.fn = WRITE(self._write)

    def _write(self, data, length, _user):
        self.parts.append(ctypes.string_at(data, length))
        return 0

    def text(self):
        return b"".join(self.parts).decode("utf-8")


class CsvOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("delimiter", c_char),
                ("has_header", c_int), ("time_format", c_int),
                ("id_column", c_char_p), ("time_column", c_char_p),
                ("amount_column", c_char_p), ("kind_column", c_char_p),
                ("value_column", c_char_p),
                ("attribute_columns", POINTER(c_char_p)),
                ("n_attribute_columns", c_size_t), ("row_ids", c_int),
                ("all_attributes", c_int), ("reject_negative_amounts", c_int)]


class FeatureOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("as_of", c_int64), ("time_unit", c_int),
                ("holdout_from", c_int64), ("windows", ctypes.c_int * 8),
                ("columns", POINTER(c_char_p)), ("n_columns", c_size_t)]


class SnapshotOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t),
                ("features", ctypes.POINTER(FeatureOptions)),
                ("tier_column", c_char_p), ("enter_hold", c_char_p),
                ("leave_hold", c_char_p)]


class ParamDef(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("name", c_char_p), ("type", c_int),
                ("description", c_char_p), ("min", c_double),
                ("max", c_double), ("default_num", c_double),
                ("default_str", c_char_p), ("choices", c_char_p)]


class CallListOptions(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("tier_column", c_char_p),
                ("value_column", c_char_p), ("capacity", c_size_t),
                ("contact_kind", c_char_p), ("exclude_column", c_char_p),
                ("as_of", c_int64)]


class SimSpec(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("model", c_char_p), ("params", c_char_p),
                ("spend", c_char_p), ("customers", c_size_t),
                ("seed", ctypes.c_uint64), ("start", c_int64),
                ("join_end", c_int64), ("end", c_int64),
                ("unit_days", c_double), ("id_prefix", c_char_p),
                ("summary", c_int)]


P = c_void_p
STRS = POINTER(c_char_p)
F64S = POINTER(c_double)
I64S = POINTER(c_int64)


def fn(name, restype, *argtypes):
    f = getattr(_L, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


errmsg = fn("seg_errmsg", c_char_p)
version_string = fn("seg_version_string", c_char_p)
version_number = fn("seg_version_number", c_uint)

ds_new = fn("seg_dataset_new", c_int, POINTER(P))
ds_free = fn("seg_dataset_free", None, P)
ds_errmsg = fn("seg_dataset_errmsg", c_char_p, P)
ds_threads = fn("seg_dataset_set_threads", c_int, P, c_int)
ds_progress = fn("seg_dataset_set_progress", c_int, P, PROGRESS, c_void_p)
stage_name = fn("seg_stage_name", c_char_p, c_int)
ds_count = fn("seg_dataset_customer_count", c_size_t, P)
ds_id = fn("seg_dataset_customer_id", c_char_p, P, c_size_t)
ds_find = fn("seg_dataset_customer_find", c_int, P, c_char_p,
             POINTER(c_size_t))
ds_add_txs = fn("seg_dataset_add_transactions", c_int, P, STRS, I64S, F64S,
                c_size_t)
ds_add_evs = fn("seg_dataset_add_events", c_int, P, STRS, I64S, STRS, F64S,
                c_size_t)
ds_add_txs_cat = fn("seg_dataset_add_transactions_cat", c_int, P, STRS, I64S,
                    F64S, STRS, c_size_t)
ds_add_evs_cat = fn("seg_dataset_add_events_cat", c_int, P, STRS, I64S, STRS,
                    F64S, STRS, c_size_t)
ds_tx_count = fn("seg_dataset_transaction_count", c_size_t, P)
ds_ev_count = fn("seg_dataset_event_count", c_size_t, P)
ds_set_num = fn("seg_dataset_set_attribute_f64", c_int, P, c_char_p,
                c_char_p, c_double)
ds_set_str = fn("seg_dataset_set_attribute_str", c_int, P, c_char_p,
                c_char_p, c_char_p)
# Bulk setters: one call per column instead of one per customer.
ds_set_nums = fn("seg_dataset_set_attributes_f64", c_int, P, c_char_p,
                 STRS, F64S, c_size_t)
ds_set_strs = fn("seg_dataset_set_attributes_str", c_int, P, c_char_p,
                 STRS, STRS, c_size_t)
csv_init = fn("seg_csv_options_init", None, POINTER(CsvOptions))
ds_load = fn("seg_dataset_load_csv", c_int, P, c_char_p, POINTER(CsvOptions))
ds_load_cat = fn("seg_dataset_load_csv_cat", c_int, P, c_char_p,
                 POINTER(CsvOptions), c_char_p)
fo_init = fn("seg_features_options_init", None, POINTER(FeatureOptions))
ds_features = fn("seg_dataset_compute_features", c_int, P,
                 POINTER(FeatureOptions))
ds_ncols = fn("seg_dataset_column_count", c_size_t, P)
ds_colname = fn("seg_dataset_column_name", c_char_p, P, c_size_t)
ds_coltype = fn("seg_dataset_column_type", c_int, P, c_char_p)
ds_colkind = fn("seg_dataset_column_kind", c_int, P, c_char_p)
ds_set_colkind = fn("seg_dataset_set_column_kind", c_int, P, c_char_p, c_int)
ds_timezone = fn("seg_dataset_timezone", c_char_p, P)
ds_set_timezone = fn("seg_dataset_set_timezone", c_int, P, c_char_p)
# Pointers are taken as addresses so that numpy arrays can be passed.
ds_copy = fn("seg_dataset_copy_f64", c_int, P, c_char_p, c_void_p, c_size_t)
ds_labels = fn("seg_dataset_copy_labels", c_int, P, c_char_p, c_void_p,
               c_size_t)
ds_export = fn("seg_dataset_export", c_int, P, c_int, STRS, c_size_t, WRITE,
               c_void_p)
ds_summary = fn("seg_dataset_summary", c_int, P, c_char_p, STRS, c_size_t,
                c_int, WRITE, c_void_p)
ds_crosstab = fn("seg_dataset_crosstab", c_int, P, c_char_p, c_char_p,
                 c_int, WRITE, c_void_p)
time_parse = fn("seg_time_parse", c_int, POINTER(c_int64), c_char_p,
                c_size_t, c_int)

m_new = fn("seg_model_new", c_int, POINTER(P), c_char_p)
m_free = fn("seg_model_free", None, P)
m_errmsg = fn("seg_model_errmsg", c_char_p, P)
m_set = fn("seg_model_set", c_int, P, c_char_p, c_char_p)
m_set_name = fn("seg_model_set_name", c_int, P, c_char_p)
m_name = fn("seg_model_name", c_char_p, P)
m_fit = fn("seg_model_fit", c_int, P, P)
m_score = fn("seg_model_score", c_int, P, P)
m_save = fn("seg_model_save", c_int, P, c_char_p)
m_load = fn("seg_model_load", c_int, POINTER(P), c_char_p)
m_kind = fn("seg_model_kind", c_char_p, P)
m_result_name = fn("seg_model_result_name", c_char_p, P, c_size_t)
m_result = fn("seg_model_result", c_int, P, c_char_p, POINTER(c_double))
m_eval = fn("seg_model_eval", c_int, P, c_char_p, F64S, c_size_t,
            POINTER(c_double))
m_report = fn("seg_model_report", c_int, P, P, c_char_p, c_int, WRITE,
              c_void_p)
m_kind_count = fn("seg_model_kind_count", c_size_t)
m_kind_name = fn("seg_model_kind_name", c_char_p, c_size_t)
m_param_count = fn("seg_model_param_count", c_size_t, P)
m_param_info = fn("seg_model_param_info", c_int, P, c_size_t,
                  POINTER(ParamDef))
param_def_init = fn("seg_param_def_init", None, POINTER(ParamDef))
m_get_f64 = fn("seg_model_get_f64", c_int, P, c_char_p, POINTER(c_double))
m_get_str = fn("seg_model_get_str", c_int, P, c_char_p, POINTER(c_char_p))

r_parse = fn("seg_rules_parse", c_int, POINTER(P), c_char_p, c_size_t,
             c_char_p)
r_free = fn("seg_rules_free", None, P)
r_errmsg = fn("seg_rules_errmsg", c_char_p, P)
r_apply = fn("seg_rules_apply", c_int, P, P, c_char_p)
r_output = fn("seg_rules_output", c_char_p, P)
r_explain = fn("seg_rules_explain", c_int, P, P, c_size_t, c_int, WRITE,
               c_void_p)
cl_init = fn("seg_call_list_options_init", None, POINTER(CallListOptions))
r_call_list = fn("seg_rules_call_list", c_int, P, P,
                 POINTER(CallListOptions), WRITE, c_void_p)

# Lead-pool reclaim (segment/ops.h, 0.2.0).
rc_parse = fn("seg_reclaim_parse", c_int, POINTER(P), c_char_p, c_size_t,
              c_char_p)
rc_preset = fn("seg_reclaim_preset", c_int, POINTER(P), c_char_p)
rc_preset_text = fn("seg_reclaim_preset_text", c_char_p, c_char_p)
rc_free = fn("seg_reclaim_free", None, P)
rc_errmsg = fn("seg_reclaim_errmsg", c_char_p, P)
rc_prefix = fn("seg_reclaim_prefix", c_char_p, P)
rc_apply = fn("seg_reclaim_apply", c_int, P, P, c_int64)
rc_list_table = fn("seg_reclaim_list_table", c_int, POINTER(P), P, P,
                   c_int64)
rc_reminder_table = fn("seg_reclaim_reminder_table", c_int, POINTER(P), P, P,
                       c_int64)

# Tables (segment/table.h, 0.2.0).
t_free = fn("seg_table_free", None, P)
t_name = fn("seg_table_name", c_char_p, P)
t_rows = fn("seg_table_row_count", c_size_t, P)
t_cols = fn("seg_table_column_count", c_size_t, P)
t_colname = fn("seg_table_column_name", c_char_p, P, c_size_t)
t_coltype = fn("seg_table_column_type", c_int, P, c_size_t)
t_f64 = fn("seg_table_f64", c_double, P, c_size_t, c_size_t)
t_text = fn("seg_table_text", c_char_p, P, c_size_t, c_size_t)
t_write = fn("seg_table_write", c_int, P, c_int, WRITE, c_void_p)

# Functions that return tables.
ds_summary_table = fn("seg_dataset_summary_table", c_int, POINTER(P), P,
                      c_char_p, STRS, c_size_t)
ds_crosstab_table = fn("seg_dataset_crosstab_table", c_int, POINTER(P), P,
                       c_char_p, c_char_p)
m_report_table = fn("seg_model_report_table", c_int, POINTER(P), P, P,
                    c_char_p)
r_explain_table = fn("seg_rules_explain_table", c_int, POINTER(P), P, P,
                     c_size_t)
r_call_list_table = fn("seg_call_list_table", c_int, POINTER(P), P, P,
                       POINTER(CallListOptions))

# Simulation and model comparison (segment/model.h, 0.2.0).
sim_init = fn("seg_sim_spec_init", None, POINTER(SimSpec))
sim_table = fn("seg_simulate_table", c_int, POINTER(P), POINTER(SimSpec), P)
sim_dataset = fn("seg_simulate_dataset", c_int, P, POINTER(SimSpec), P)
m_compare = fn("seg_model_compare", c_int, POINTER(P), POINTER(P), c_size_t)
chi2_sf = fn("seg_chi2_sf", c_double, c_double, c_double)

# Snapshots and migration (segment/ops.h, 0.2.0).
sn_init = fn("seg_snapshot_options_init", None, POINTER(SnapshotOptions))
sn_run = fn("seg_snapshots_run", c_int, POINTER(P), P, I64S, c_size_t,
            POINTER(P), c_size_t, POINTER(P), c_size_t,
            POINTER(SnapshotOptions))
sn_free = fn("seg_snapshots_free", None, P)
sn_count = fn("seg_snapshots_count", c_size_t, P)
sn_date = fn("seg_snapshots_date", c_int64, P, c_size_t)
sn_column = fn("seg_snapshots_column", c_char_p, P, c_size_t)
sn_transitions = fn("seg_snapshots_transition_table", c_int, POINTER(P), P,
                    P, c_size_t, c_size_t)

NUMERIC, LABEL = 1, 2
# seg_column_kind
KIND_NONE, KIND_TIMESTAMP, KIND_DAYS, KIND_WEEKS, KIND_COUNT, KIND_AMOUNT = \
    range(6)
CSV, JSON, TEXT = 1, 2, 3
TIME_NONE = -(2 ** 63)


def strings(values):
    """A ctypes array of C strings; for short lists and option fields."""
    return (c_char_p * max(len(values), 1))(*[s(v) for v in values])


def parse_time(value, end_of_day=True):
    """Epoch seconds from an int, a datetime or an ISO 8601 / YYYYMMDD text;
    a date alone means the end of that day (or its start)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if hasattr(value, "timestamp"):
        if getattr(value, "tzinfo", False) is None:
            # naive means UTC, as for datetime64, not the host's zone
            value = value.replace(tzinfo=datetime.timezone.utc)
        return math.floor(value.timestamp())
    text = s(value)
    out = c_int64()
    check(time_parse(byref(out), text, len(text), 0),
          lambda: b"not a time: " + text)
    date_only = len(text) == 10 or (len(text) == 8 and text.isdigit())
    return out.value + (86399 if date_only and end_of_day else 0)
