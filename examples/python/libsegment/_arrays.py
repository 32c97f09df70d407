"""Columnar conversions between Python, numpy and pandas values and the C
arrays of the bulk calls, without a Python loop per row where numpy is
installed. numpy and pandas stay optional: each function takes its plain
path without them."""
import ctypes
import math

from . import _native as N

try:
    import numpy as np
except ImportError:
    np = None

_pd = False


def pandas():
    """pandas, imported on first use (it takes a while to import), or None."""
    global _pd
    if _pd is False:
        try:
            import pandas as pd
        except ImportError:
            pd = None
        _pd = pd
    return _pd


class CStrings:
    """A `const char *const *` array built from one bytes buffer, which it
    keeps alive for as long as the array is used."""

    def __init__(self, values, what="ids", missing_ok=False):
        self.n = len(values)
        if np is None:
            self._plain(values, what, missing_ok)
            return
        pd = pandas()
        codes = None
        if pd is not None and isinstance(getattr(values, "dtype", None),
                                         pd.CategoricalDtype):
            # the categories are the distinct values: each encoded once
            cat = pd.Categorical(values)
            codes = np.asarray(cat.codes, dtype=np.intp)
            texts = np.asarray(cat.categories, dtype=object)
            missing = codes < 0
            if pd.api.types.infer_dtype(texts) != "string":
                texts = texts.astype(str)
        else:
            texts = np.asarray(values)
            missing = np.zeros(self.n, dtype=bool)
            all_text = texts.dtype.kind == "U" or (
                pd is not None and texts.dtype.kind == "O" and
                pd.api.types.infer_dtype(texts, skipna=False) == "string")
            if not all_text:
                if texts.dtype.kind == "O":
                    missing = pd.isna(texts) if pd is not None else \
                        np.equal(texts, None)
                    if missing.any():
                        texts = texts.copy()
                        texts[missing] = ""
                texts = texts.astype(str)
        if missing.any() and not missing_ok:
            raise ValueError("row %d: missing %s"
                             % (int(np.flatnonzero(missing)[0]), what))
        starts = self._pack(texts.tolist(), what)
        if codes is None:
            ptrs = starts
        elif len(starts):
            ptrs = starts[np.where(missing, 0, codes)]
        else:
            ptrs = np.zeros(self.n, dtype=np.uintp)
        ptrs[missing] = 0
        self._ptrs = np.ascontiguousarray(ptrs, dtype=np.uintp)
        self.pointer = self._ptrs.ctypes.data_as(N.STRS)

    def _pack(self, texts, what):
        if not texts:
            self._buf = None
            return np.zeros(0, dtype=np.uintp)
        joined = "\0".join(texts)
        try:
            self._buf = np.frombuffer((joined + "\0").encode("utf-8"),
                                      dtype=np.uint8)
        except UnicodeEncodeError as e:
            raise ValueError("%s: %s" % (what, e)) from None
        ends = np.flatnonzero(self._buf == 0)
        if len(ends) != len(texts):
            raise ValueError("%s: a value contains a NUL character" % what)
        starts = np.empty(len(texts), dtype=np.uintp)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        return starts + np.uintp(self._buf.ctypes.data)

    def _plain(self, values, what, missing_ok):
        vals = list(values)
        for i, v in enumerate(vals):
            if v is None and not missing_ok:
                raise ValueError("row %d: missing %s" % (i, what))
            if v is not None and "\0" in str(v):
                raise ValueError("%s: a value contains a NUL character"
                                 % what)
        self._arr = (ctypes.c_char_p * max(len(vals), 1))(
            *[N.s(v) for v in vals])
        self.pointer = ctypes.cast(self._arr, N.STRS)


class F64s:
    """A `const double *` array: NaN for None."""

    def __init__(self, values, what="values"):
        self.n = len(values)
        if np is None:
            self._arr = (ctypes.c_double * max(self.n, 1))(
                *[math.nan if v is None else float(v) for v in values])
            self.pointer = ctypes.cast(self._arr, N.F64S)
            return
        pd = pandas()
        if pd is not None and isinstance(values, (pd.Series, pd.Index)):
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        try:
            a = np.ascontiguousarray(values, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError("%s: %s" % (what, e)) from None
        if a.ndim != 1:
            raise ValueError("%s: expected one dimension" % what)
        self._arr = a
        self.pointer = a.ctypes.data_as(N.F64S)


class Times:
    """A `const int64_t *` array of epoch seconds from datetime64 values
    (naive ones taken as UTC), timezone-aware pandas values, integers
    (seconds) or, element by element, texts and datetime objects."""

    def __init__(self, values, what="times"):
        self.n = len(values)
        secs = None
        if np is not None:
            secs = self._vectorised(values, what)
        if secs is None:
            plain = [N.parse_time(_scalar(t), False) for t in values]
            if any(t is None for t in plain):
                raise ValueError("row %d: missing %s"
                                 % (plain.index(None), what))
            secs = plain if np is None else np.asarray(plain, dtype=np.int64)
        if np is None:
            self._arr = (ctypes.c_int64 * max(self.n, 1))(*secs)
            self.pointer = ctypes.cast(self._arr, N.I64S)
        else:
            self._arr = np.ascontiguousarray(secs, dtype=np.int64)
            self.pointer = self._arr.ctypes.data_as(N.I64S)

    @staticmethod
    def _vectorised(values, what):
        pd = pandas()
        dtype = getattr(values, "dtype", None)
        a = None
        if pd is not None and dtype is not None and \
                isinstance(dtype, pd.DatetimeTZDtype):
            a = pd.DatetimeIndex(values).tz_convert(None).to_numpy()
        else:
            a = np.asarray(values)
            if pd is not None and a.dtype.kind == "O" and \
                    pd.api.types.infer_dtype(a, skipna=False) in (
                        "datetime", "datetime64"):
                # datetime objects, naive as UTC like datetime64
                idx = pd.DatetimeIndex(a)
                a = (idx.tz_convert(None) if idx.tz is not None
                     else idx).to_numpy()
        if a.dtype.kind == "M":
            nat = np.isnat(a)
            if nat.any():
                raise ValueError("row %d: missing %s"
                                 % (int(np.flatnonzero(nat)[0]), what))
            # numpy rounds down, so instants before 1970 keep their second
            return a.astype("datetime64[s]").view(np.int64)
        if a.dtype.kind in "iu":
            return a.astype(np.int64)
        if a.dtype.kind == "f":
            bad = ~np.isfinite(a)
            if bad.any():
                raise ValueError("row %d: missing %s"
                                 % (int(np.flatnonzero(bad)[0]), what))
            return a.astype(np.int64)
        return None


def _scalar(value):
    # numpy and pandas scalars as plain Python values
    if np is not None and isinstance(value, np.integer):
        return int(value)
    if np is not None and isinstance(value, np.datetime64):
        return int(value.astype("datetime64[s]").astype(np.int64))
    return value


def typed_numbers(kind, values, nullable_ints=False):
    """A numeric column with the dtype its kind (seg_dataset_column_kind())
    gives: datetime64[s] for timestamps, int64 for counts without a
    missing value (pandas' Int64 with one, when nullable_ints), float64
    otherwise. The library says what a column is, so a host's column named
    like a feature is not taken for one."""
    from . import _native as N
    if kind == N.KIND_TIMESTAMP:
        missing = np.isnan(values)
        out = np.full(len(values), np.datetime64("NaT"), "datetime64[s]")
        out[~missing] = values[~missing].astype(np.int64)
        return out
    if kind == N.KIND_COUNT:
        missing = np.isnan(values)
        if not missing.any():
            return values.astype(np.int64)
        if nullable_ints and pandas() is not None:
            return pandas().arrays.IntegerArray(
                np.where(missing, 0, values).astype(np.int64), missing)
    return values


def pandas_zone(name):
    """A zone name of the library as pandas takes it: an IANA name as it
    is, a fixed offset ("+08:00", "-05", "+0800") as a datetime.timezone."""
    import datetime
    import re
    if name in ("UTC", "Z"):
        return datetime.timezone.utc
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)?", name)
    if not m:
        return name
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    sign = -1 if m.group(1) == "-" else 1
    return datetime.timezone(datetime.timedelta(minutes=sign * minutes))


def labels_from_pointers(ptrs):
    """Distinct labels decoded once each, and for every row its code into
    them (-1 where missing): what a Categorical is made of."""
    order, inverse = np.unique(ptrs, return_inverse=True)
    texts = [None if p == 0 else ctypes.string_at(int(p)).decode("utf-8")
             for p in order]
    cats = sorted({t for t in texts if t is not None})
    index = {t: i for i, t in enumerate(cats)}
    remap = np.array([-1 if t is None else index[t] for t in texts],
                     dtype=np.intp)
    return cats, remap[inverse] if len(remap) else \
        np.zeros(0, dtype=np.intp)
