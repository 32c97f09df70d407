"""The customer dataset."""
import ctypes
import math
from ctypes import byref, c_size_t

from . import _native as N
from ._arrays import CStrings, F64s, Times, np, pandas, typed_numbers
from . import _arrays
from .table import Table


_KINDS = ("none", "timestamp", "days", "weeks", "count", "amount")


class Dataset:
    """Customers with their transactions, events and attributes; columns."""

    def __init__(self):
        self._p = None
        p = N.P()
        N.check(N.ds_new(byref(p)), N.errmsg)
        self._p = p

    @classmethod
    def from_pandas(cls, transactions=None, events=None, attributes=None,
                    id="customer_id", time="time", amount="amount",
                    kind="kind", value="value", category=None, threads=None):
        """A dataset from DataFrames of transactions (id, time, amount),
        events (id, time, kind, optional value) and attributes (one row per
        customer: every column but id). An id of None takes the frame's
        index. category names the column of the transactions' and events'
        categories (for the interest model), when they have one."""
        ds = cls()
        if threads is not None:
            ds.set_threads(threads)
        if transactions is not None:
            ds.add_transactions_df(transactions, id=id, time=time,
                                   amount=amount, category=category)
        if events is not None:
            ds.add_events_df(events, id=id, time=time, kind=kind,
                             value=value, category=category)
        if attributes is not None:
            ds.set_attributes_df(attributes, id=id)
        return ds

    def close(self):
        if getattr(self, "_p", None):
            N.ds_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return N.ds_errmsg(self._p)

    def __len__(self):
        return N.ds_count(self._p)

    @property
    def transaction_count(self):
        return N.ds_tx_count(self._p)

    @property
    def event_count(self):
        return N.ds_ev_count(self._p)

    def ids(self):
        return [N.u(N.ds_id(self._p, i)) for i in range(len(self))]

    def row(self, customer_id):
        r = c_size_t()
        N.check(N.ds_find(self._p, N.s(customer_id), byref(r)), self._err)
        return r.value

    def set_threads(self, threads):
        """Threads that loading and features may use: 0 (the default) for
        the machine's processors, 1 for the calling thread alone."""
        N.check(N.ds_threads(self._p, threads), self._err)

    @property
    def timezone(self):
        """The business time zone: "UTC", an offset such as "+08:00", or an
        IANA name."""
        return N.u(N.ds_timezone(self._p))

    def set_timezone(self, zone):
        """Set the business time zone (before loading): the zone of
        purchase days and dates, and of the timestamps to_pandas() gives."""
        N.check(N.ds_set_timezone(self._p, N.s(zone)), self._err)

    def column_kind(self, name):
        """What a numeric column's numbers are: "timestamp", "days",
        "weeks", "count", "amount" or "none" (labels too)."""
        k = N.check(N.ds_colkind(self._p, N.s(name)), self._err)
        return _KINDS[k]

    def set_column_kind(self, name, kind):
        """Say what a numeric column's numbers are (one of the names
        column_kind() gives): a duration's unit is what models such as clv
        read to convert their calendar horizons."""
        if kind not in _KINDS:
            raise ValueError("unknown column kind %r (one of %s)"
                             % (kind, ", ".join(_KINDS)))
        N.check(N.ds_set_colkind(self._p, N.s(name), _KINDS.index(kind)),
                self._err)

    def set_progress(self, callback):
        """Call callback(stage, done, total) during long calls on this
        dataset: loads, features, fits and scores of models on it, rules,
        exports. stage is "load" (done and total in bytes), "records",
        "features", "score", "rules", "export" (customers) or "fit"
        (iterations; total 0). It runs at each call's start and about every
        50 ms, on the calling thread. A true result stops the call with
        SegmentError (code ECANCELED); an exception its body raises stops
        it and is raised again (for Ctrl-C, have a SIGINT handler set a
        flag that the callback returns). Either way the
        dataset, model or rules are as before the call. None removes it."""
        if callback is None:
            N.check(N.ds_progress(self._p, ctypes.cast(None, N.PROGRESS),
                                  None), self._err)
            self._progress = None
            return
        fn = N.progress_callback(callback)
        N.check(N.ds_progress(self._p, fn, None), self._err)
        self._progress = fn  # kept alive while the library may call it

    def load_csv(self, path, id=None, time=None, amount=None, kind=None,
                 value=None, attributes=(), header=True, delimiter=None,
                 summary=False, category=None):
        """Load a CSV file; column roles by header name or 1-based number.
        summary=True loads every column as an attribute, rows as customers
        unless id names a column. category names the column of the
        records' categories (never looked for in the header)."""
        o = N.CsvOptions()
        N.csv_init(byref(o))
        o.has_header = 1 if header else 0
        if delimiter:
            o.delimiter = {"tab": b"\t", "space": b" "}.get(
                delimiter, delimiter.encode())
        o.id_column, o.time_column = N.s(id), N.s(time)
        o.amount_column, o.kind_column = N.s(amount), N.s(kind)
        o.value_column = N.s(value)
        attrs = N.strings(attributes)
        o.attribute_columns = attrs
        o.n_attribute_columns = len(attributes)
        if summary:
            o.all_attributes = 1
            o.row_ids = 1 if id is None else 0
        N.check(N.ds_load_cat(self._p, N.s(path), byref(o), N.s(category)),
                self._err)

    # Records in bulk ------------------------------------------------------

    @staticmethod
    def _same_length(**arrays):
        lengths = {k: len(v) for k, v in arrays.items() if v is not None}
        if len(set(lengths.values())) > 1:
            raise ValueError("lengths differ: " + ", ".join(
                "%s %d" % kv for kv in lengths.items()))

    def add_transactions(self, ids, times, amounts, categories=None):
        """Add transactions from three columns in one call: lists, numpy
        arrays or pandas Series. Times are datetime64 (naive means UTC),
        integers (epoch seconds) or texts; amounts numbers; categories
        (optional) texts, None or NaN for none. Nothing is added if a row
        is bad."""
        self._same_length(ids=ids, times=times, amounts=amounts,
                          categories=categories)
        cid, ct = CStrings(ids), Times(times)
        ca = F64s(amounts, "amounts")
        if categories is None:
            N.check(N.ds_add_txs(self._p, cid.pointer, ct.pointer,
                                 ca.pointer, cid.n), self._err)
            return
        cc = CStrings(categories, "categories", missing_ok=True)
        N.check(N.ds_add_txs_cat(self._p, cid.pointer, ct.pointer, ca.pointer,
                                 cc.pointer, cid.n), self._err)

    def add_events(self, ids, times, kinds, values=None, categories=None):
        """Add events from columns in one call; values may be None (no
        values at all) or have missing entries (None or NaN); so may
        categories."""
        self._same_length(ids=ids, times=times, kinds=kinds, values=values,
                          categories=categories)
        cid, ct = CStrings(ids), Times(times)
        ck = CStrings(kinds, "kinds")
        cv = None if values is None else F64s(values, "values")
        vp = None if cv is None else cv.pointer
        if categories is None:
            N.check(N.ds_add_evs(self._p, cid.pointer, ct.pointer,
                                 ck.pointer, vp, cid.n), self._err)
            return
        cc = CStrings(categories, "categories", missing_ok=True)
        N.check(N.ds_add_evs_cat(self._p, cid.pointer, ct.pointer, ck.pointer,
                                 vp, cc.pointer, cid.n), self._err)

    def set_attribute(self, customer_id, name, value):
        if value is None or isinstance(value, str):
            rc = N.ds_set_str(self._p, N.s(customer_id), N.s(name),
                              N.s(value))
        else:
            rc = N.ds_set_num(self._p, N.s(customer_id), N.s(name),
                              float(value))
        N.check(rc, self._err)

    def set_attributes(self, name, ids, values):
        """Set one attribute for many customers: a numeric column from
        numbers (NaN or None missing), a label column from texts (None
        missing)."""
        self._same_length(ids=ids, values=values)
        self._set_attributes(name, CStrings(ids), values)

    def _set_attributes(self, name, cid, values):
        numeric = _is_numeric(values)
        if numeric:
            cv = F64s(values, name)
            bulk = N.ds_set_nums
        else:
            cv = CStrings(_as_text(values), name, missing_ok=True)
            bulk = N.ds_set_strs
        N.check(bulk(self._p, N.s(name), cid.pointer, cv.pointer, cid.n),
                self._err)

    def add_transactions_df(self, df, id="customer_id", time="time",
                            amount="amount", category=None):
        """Add a DataFrame of transactions; id=None takes the index;
        category names the column of their categories, if any."""
        cats = None if category is None else _col(df, category)
        self.add_transactions(_col(df, id), _col(df, time), _col(df, amount),
                              cats)

    def add_events_df(self, df, id="customer_id", time="time", kind="kind",
                      value="value", category=None):
        """Add a DataFrame of events; a missing value column means none;
        category names the column of their categories, if any."""
        values = _col(df, value) if value is not None and value in df else None
        cats = None if category is None else _col(df, category)
        self.add_events(_col(df, id), _col(df, time), _col(df, kind), values,
                        cats)

    def set_attributes_df(self, df, id="customer_id", columns=None):
        """Set attributes from a DataFrame with one row per customer: every
        column but the id (or those named)."""
        cid = CStrings(_col(df, id))  # once for every column
        names = [c for c in (df.columns if columns is None else columns)
                 if c != id]
        for name in names:
            self._set_attributes(str(name), cid, df[name])

    # Features and columns -------------------------------------------------

    def compute_features(self, as_of=None, unit="day", holdout_from=None,
                         columns=None):
        """The feature columns (docs/features.md). columns: the names the
        caller will read; of the purchase features only those named are
        computed (None: all)."""
        o = N.FeatureOptions()
        N.fo_init(byref(o))
        if columns is not None:
            names = [N.s(str(c)) for c in columns]
            keep = (ctypes.c_char_p * max(len(names), 1))(*names)
            o.columns = ctypes.cast(keep, ctypes.POINTER(ctypes.c_char_p))
            o.n_columns = len(names)
        if as_of is not None:
            o.as_of = N.parse_time(as_of)
        if holdout_from is not None:
            o.holdout_from = N.parse_time(holdout_from, end_of_day=False)
        o.time_unit = {"day": 1, "week": 2}[unit]
        N.check(N.ds_features(self._p, byref(o)), self._err)

    def snapshots(self, dates, rules, models=(), unit="day",
                  tier_column=None, enter_hold=None, leave_hold=None):
        """Run the models and rule sets at each of the dates (increasing;
        a date alone means the end of that day) and keep each customer's
        tier at each: the columns T@YYYY-MM-DD, T.previous and T.changed
        of seg_snapshots_run(). A model fitted already is scored only; the
        others are fitted at each date. Returns a Snapshots, whose
        transitions() is the migration table."""
        rules = [rules] if hasattr(rules, "_p") else list(rules)
        models = list(models)
        fo = N.FeatureOptions()
        N.fo_init(byref(fo))
        fo.time_unit = {"day": 1, "week": 2}[unit]
        o = N.SnapshotOptions()
        N.sn_init(byref(o))
        o.features = ctypes.pointer(fo)
        o.tier_column = N.s(tier_column)
        o.enter_hold = N.s(enter_hold)
        o.leave_hold = N.s(leave_hold)
        times = (ctypes.c_int64 * max(len(dates), 1))(
            *[N.parse_time(d) for d in dates])
        mp = (N.P * max(len(models), 1))(*[m._p for m in models])
        rp = (N.P * max(len(rules), 1))(*[r._p for r in rules])
        p = N.P()
        N.check(N.sn_run(byref(p), self._p, times, len(dates), mp,
                         len(models), rp, len(rules), byref(o)), self._err)
        return Snapshots(p, self, rules, models)

    def columns(self):
        return [N.u(N.ds_colname(self._p, i))
                for i in range(N.ds_ncols(self._p))]

    def column_type(self, name):
        """"numeric" or "label"."""
        t = N.check(N.ds_coltype(self._p, N.s(name)), self._err)
        return "label" if t == N.LABEL else "numeric"

    def column(self, name, raw=False):
        """A column as a new numpy array that the caller owns, typed by
        the column's kind (column_kind()): datetime64[s] for timestamps
        (UTC, as numpy's are; NaT missing), int64 for counts without
        missing values, float64 otherwise, object for labels (None
        missing). raw=True gives float64 for every numeric column. Without
        numpy, a list.

        The array is a copy: later changes of the dataset (features
        recomputed, a model scoring into the column, the dataset freed) do
        not reach it."""
        t = N.check(N.ds_coltype(self._p, N.s(name)), self._err)
        n = len(self)
        if np is None:
            return self._column_plain(name, t, n)
        if t == N.LABEL:
            cats, codes = self._label_codes(name, n)
            lookup = np.empty(len(cats) + 1, dtype=object)
            lookup[:len(cats)] = cats
            return lookup[codes]  # -1, missing, picks the trailing None
        values = self._numbers(name, n)
        return values if raw else typed_numbers(self._kind(name), values)

    def _kind(self, name):
        return N.check(N.ds_colkind(self._p, N.s(name)), self._err)

    def _numbers(self, name, n):
        values = np.empty(n, dtype=np.float64)
        N.check(N.ds_copy(self._p, N.s(name), values.ctypes.data, n),
                self._err)
        return values

    def _label_codes(self, name, n):
        ptrs = np.zeros(n, dtype=np.uintp)
        N.check(N.ds_labels(self._p, N.s(name), ptrs.ctypes.data, n),
                self._err)
        # the strings are borrowed: decoded before anything can change them
        return _arrays.labels_from_pointers(ptrs)

    def _column_plain(self, name, t, n):
        if t == N.LABEL:
            out = (ctypes.c_char_p * max(n, 1))()
            N.check(N.ds_labels(self._p, N.s(name), ctypes.addressof(out), n),
                    self._err)
            return [N.u(out[i]) for i in range(n)]
        out = (ctypes.c_double * max(n, 1))()
        N.check(N.ds_copy(self._p, N.s(name), ctypes.addressof(out), n),
                self._err)
        return list(out[:n])

    def series(self, name):
        """A column as a pandas Series indexed by customer id."""
        pd = _need_pandas()
        return pd.Series(self._pandas_values(name, len(self)),
                         index=self._index(), name=name)

    def _pandas_values(self, name, n):
        pd = pandas()
        if N.ds_coltype(self._p, N.s(name)) == N.LABEL:
            cats, codes = self._label_codes(name, n)
            return pd.Categorical.from_codes(codes, categories=cats)
        values = typed_numbers(self._kind(name), self._numbers(name, n),
                               nullable_ints=True)
        if getattr(values, "dtype", None) is not None and \
                values.dtype.kind == "M":
            # pandas before 2.0 holds nanoseconds only; the instants shown
            # in the dataset's zone, as exports write them
            values = pd.DatetimeIndex(values.astype("datetime64[ns]")) \
                .tz_localize("UTC") \
                .tz_convert(_arrays.pandas_zone(self.timezone))
        return values

    def _index(self):
        return pandas().Index(self.ids(), name="customer_id", dtype=object)

    def to_pandas(self, columns=None):
        """Columns (all by default) as a DataFrame indexed by customer id,
        with the dtypes of column(), but timestamps tz-aware in the
        dataset's zone (pandas Timestamps), labels as categories, and
        counts with a missing value as pandas' nullable Int64."""
        pd = _need_pandas()
        n = len(self)
        names = self.columns() if columns is None else list(columns)
        data = {name: self._pandas_values(name, n) for name in names}
        return pd.DataFrame(data, index=self._index(), columns=names)

    # Output ---------------------------------------------------------------

    def export(self, columns=None, format="csv"):
        c = N.Collect()
        cols = None if columns is None else N.strings(columns)
        N.check(N.ds_export(self._p, {"csv": N.CSV, "json": N.JSON}[format],
                            cols, 0 if columns is None else len(columns),
                            c.fn, None), self._err)
        return c.text()

    def summary(self, by, values=(), format="csv"):
        """The tier summary as CSV or JSON text; summary_table() for a
        Table."""
        c = N.Collect()
        N.check(N.ds_summary(self._p, N.s(by), N.strings(values),
                             len(values),
                             {"csv": N.CSV, "json": N.JSON}[format], c.fn,
                             None), self._err)
        return c.text()

    def summary_table(self, by, values=()):
        """Per label of `by`: count, share, and for each value column its
        total, mean and share."""
        return Table._make(lambda out: N.ds_summary_table(
            out, self._p, N.s(by), N.strings(values), len(values)),
            self._err)

    def crosstab(self, rows, cols, format="csv"):
        c = N.Collect()
        N.check(N.ds_crosstab(self._p, N.s(rows), N.s(cols),
                              {"csv": N.CSV, "json": N.JSON}[format], c.fn,
                              None), self._err)
        return c.text()

    def crosstab_table(self, rows, cols):
        """Counts of customers per pair of labels, with totals."""
        return Table._make(lambda out: N.ds_crosstab_table(
            out, self._p, N.s(rows), N.s(cols)), self._err)


def _need_pandas():
    pd = pandas()
    if pd is None:
        raise ImportError("this needs pandas (apt-get install python3-pandas"
                          " or pip install pandas)")
    return pd


def _col(df, name):
    if name is None:
        return df.index
    return df[name]


def _is_numeric(values):
    dtype = getattr(values, "dtype", None)
    if dtype is not None:
        pd = pandas()
        if pd is not None and isinstance(dtype, pd.CategoricalDtype):
            return False
        if getattr(dtype, "kind", "O") in "iufb":
            return True
        if pd is not None and pd.api.types.is_numeric_dtype(dtype):
            return True
        if dtype.kind != "O":
            return False
    return all(v is None or (isinstance(v, (int, float))
                             and not isinstance(v, bool))
               for v in values) and \
        any(v is not None for v in values)


def _as_text(values):
    """Label values with None for missing (pandas' NA and NaN too)."""
    pd = pandas()
    if pd is not None:
        s = pd.Series(values, copy=False)
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s  # CStrings encodes each category once
        missing = s.isna().to_numpy()
        out = s.to_numpy(dtype=object, copy=True)
        out[missing] = None
        return out
    return [None if v is None or (isinstance(v, float) and math.isnan(v))
            else v for v in values]


class Snapshots:
    """The history of a snapshot run: its dates, each date's tier column,
    and the migration table between two of the dates."""

    def __init__(self, p, dataset, rules, models):
        self._p = p
        self._ds = dataset  # the tables read its transactions
        self._keep = (rules, models)

    def __del__(self):
        if getattr(self, "_p", None):
            N.sn_free(self._p)
            self._p = None

    def __len__(self):
        return N.sn_count(self._p)

    @property
    def dates(self):
        """The analysis dates, as epoch seconds."""
        return [N.sn_date(self._p, i) for i in range(len(self))]

    @property
    def columns(self):
        """The tier column of each date (T@YYYY-MM-DD)."""
        return [N.u(N.sn_column(self._p, i)) for i in range(len(self))]

    def transitions(self, start=None, end=None):
        """The migration table between snapshots start and end (indices;
        default the last two): from, to (None for no tier), customers,
        revenue (their net amount after the earlier date up to the later)
        and share (of the from-tier's customers). .to_pandas() gives a
        DataFrame."""
        n = len(self)
        start = n - 2 if start is None else start
        end = n - 1 if end is None else end
        if start < 0 or end < 0:
            raise IndexError("snapshot index out of range")
        return Table._make(lambda out: N.sn_transitions(
            out, self._p, self._ds._p, start, end), self._ds._err)
