"""libsegment from Python through ctypes: no compiler needed.

    import libsegment
    ds = libsegment.Dataset.from_pandas(transactions=df)  # or load_csv()
    ds.compute_features(unit="week")
    rfm = libsegment.Model("rfm", segments="cn8", language="zh")
    rfm.fit(ds)
    rfm.score(ds)
    ds.column("rfm.segment")         # numpy array of labels (a copy)
    ds.to_pandas()                   # DataFrame: int64 counts, datetime64
                                     # times, categorical labels
    ds.summary_table("rfm.segment", ["monetary_total"]).to_pandas()

The shared library is found through $SEGMENT_LIBRARY, then a copy next to
this package, then the system's library path. Errors raise SegmentError
with the library's message. numpy and pandas are optional.
"""
from ._native import (ECANCELED, ECONVERGE, EINVAL, EIO, ELIMIT, EMISUSE,
                      ENOMEM, ENOTFOUND, EPARSE, ERANGE, ETYPE, EEXISTS,
                      EVERSION, OK, LibraryNotFoundError, SegmentError,
                      library, library_path)
from . import _native
from .dataset import Dataset, Snapshots
from .model import Model, Param, model_kinds, models
from .reclaim import Reclaim
from .rules import Rules
from .simulate import chi2_sf, compare, simulate, simulate_dataset
from .table import Table

__version__ = "0.2.0"
__all__ = ["Dataset", "LibraryNotFoundError", "Model", "Param", "Reclaim",
           "Rules", "SegmentError", "Snapshots", "Table", "library", "library_path",
           "OK", "EINVAL", "ENOMEM", "EIO", "EPARSE", "ENOTFOUND", "ETYPE",
           "ERANGE", "EMISUSE", "EEXISTS", "ELIMIT", "EVERSION", "ECONVERGE",
           "ECANCELED",
           "library_version", "model_kinds", "models",
           "simulate", "simulate_dataset", "compare", "chi2_sf"]


def library_version():
    """The version of the loaded shared library, such as "0.2.0"."""
    return _native.u(_native.version_string())
