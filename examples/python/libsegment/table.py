"""Tables: summaries, crosstabs, model reports, explanations, call lists
and reclaim lists, read cell by cell through the seg_table handle."""
import math
from ctypes import byref

from . import _native as N
from ._arrays import np, pandas

# Numeric columns of the library's tables that hold counts or ranks.
_INTEGER_COLUMNS = {"count", "customers", "size", "rank", "priority", "k",
                    "rule", "line", "n", "cluster", "matched"}
_DATE_COLUMNS = {"last_contact", "fired", "fires", "locked_until"}


class Table:
    """A read-only table: .name, .columns, .types ("numeric" or "label"),
    len(), .rows(), .column(name), .to_pandas(). Its cells are copied out
    of the library when it is made, so it depends on nothing else."""

    def __init__(self, name, columns, types, data, counts=False):
        self.name = name
        self.columns = list(columns)
        self.types = list(types)
        self._data = data  # one list per column: float or str or None
        self._counts = counts

    @classmethod
    def _make(cls, call, err):
        """From a function filling a seg_table **."""
        p = N.P()
        N.check(call(byref(p)), err)
        try:
            return cls._from_handle(p)
        finally:
            N.t_free(p)

    @classmethod
    def _from_handle(cls, p):
        nrow, ncol = N.t_rows(p), N.t_cols(p)
        names, types, data = [], [], []
        for c in range(ncol):
            names.append(N.u(N.t_colname(p, c)))
            numeric = N.t_coltype(p, c) == N.NUMERIC
            types.append("numeric" if numeric else "label")
            if numeric:
                col = [N.t_f64(p, r, c) for r in range(nrow)]
                data.append([None if math.isnan(v) else v for v in col])
            else:
                data.append([N.u(N.t_text(p, r, c)) for r in range(nrow)])
        return cls(N.u(N.t_name(p)), names, types, data,
                   counts=N.u(N.t_name(p)) == "crosstab")

    def __len__(self):
        return len(self._data[0]) if self._data else 0

    def __repr__(self):
        return "<Table %s: %d rows, columns %s>" % (self.name, len(self),
                                                   ", ".join(self.columns))

    def rows(self):
        """The rows as tuples of float, str and None."""
        return list(zip(*self._data)) if self._data else []

    def _index(self, name):
        try:
            return self.columns.index(name)
        except ValueError:
            raise KeyError(name) from None

    def column(self, name):
        """One column: a numpy array (float64, int64 for counts) or a list of
        str, or a list without numpy."""
        i = self._index(name)
        values = self._data[i]
        if np is None or self.types[i] == "label":
            return list(values)
        return self._typed(i)

    def _is_integer(self, i):
        if self.types[i] != "numeric":
            return False
        if not (self._counts or self.columns[i] in _INTEGER_COLUMNS):
            return False
        return all(v is None or float(v).is_integer() for v in self._data[i])

    def _typed(self, i, nullable=False):
        values = np.array([math.nan if v is None else v
                           for v in self._data[i]], dtype=np.float64)
        if not self._is_integer(i):
            return values
        missing = np.isnan(values)
        if not missing.any():
            return values.astype(np.int64)
        if nullable and pandas() is not None:
            return pandas().arrays.IntegerArray(
                np.where(missing, 0, values).astype(np.int64), missing)
        return values

    def to_pandas(self):
        """The table as a DataFrame: float64 or int64 (Int64 with missing
        cells) for numbers, object for texts."""
        pd = pandas()
        if pd is None:
            raise ImportError("this needs pandas")
        data = {}
        for i, name in enumerate(self.columns):
            if self.types[i] == "numeric":
                data[name] = self._typed(i, nullable=True)
            elif name in _DATE_COLUMNS:
                data[name] = pd.to_datetime(pd.Series(self._data[i],
                                                      dtype=object))
            else:
                data[name] = pd.array(self._data[i], dtype=object)
        return pd.DataFrame(data, columns=self.columns)
