"""Models: fit on one dataset, score any dataset with the same columns."""
import collections
from ctypes import byref, c_char_p, c_double

from . import _native as N
from ._arrays import np
from .table import Table

Param = collections.namedtuple(
    "Param", "name type description min max default choices")
Param.__doc__ = """One parameter of a model kind: type is "f64", "int" or
"str"; min and max bound numbers; choices lists the allowed texts (None for
any text)."""

_PARAM_TYPES = {1: "f64", 2: "int", 3: "str"}


class Model:
    """A model by kind ("rfm", "bgnbd", "clv", "kmeans" ...), with
    parameters as keywords."""

    def __init__(self, kind=None, name=None, _handle=None, **params):
        self._p = None
        if _handle is not None:
            self._p = _handle
        else:
            p = N.P()
            N.check(N.m_new(byref(p), N.s(kind)), N.errmsg)
            self._p = p
        if name:
            N.check(N.m_set_name(self._p, N.s(name)), self._err)
        for key, value in params.items():
            self.set(key, value)

    @classmethod
    def load(cls, path):
        p = N.P()
        N.check(N.m_load(byref(p), N.s(path)), N.errmsg)
        return cls(_handle=p)

    def close(self):
        if getattr(self, "_p", None):
            N.m_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return N.m_errmsg(self._p)

    @property
    def kind(self):
        return N.u(N.m_kind(self._p))

    @property
    def name(self):
        return N.u(N.m_name(self._p))

    def set(self, key, value):
        N.check(N.m_set(self._p, N.s(key), N.s(value)), self._err)
        return self

    def get(self, key):
        """A parameter's current value: a number or a text."""
        for p in self.params():
            if p.name == key and p.type == "str":
                out = c_char_p()
                N.check(N.m_get_str(self._p, N.s(key), byref(out)), self._err)
                return N.u(out.value)
        v = c_double()
        N.check(N.m_get_f64(self._p, N.s(key), byref(v)), self._err)
        return int(v.value) if _is_int_param(self, key) else v.value

    def params(self):
        """The parameters of this model: a list of Param."""
        return _params(self._p, self._err)

    def fit(self, dataset):
        N.check(N.m_fit(self._p, dataset._p), self._err)
        return self

    def score(self, dataset):
        N.check(N.m_score(self._p, dataset._p), self._err)

    def save(self, path):
        N.check(N.m_save(self._p, N.s(path)), self._err)

    @property
    def results(self):
        out, i = {}, 0
        while True:
            name = N.m_result_name(self._p, i)
            if name is None:
                return out
            v = c_double()
            N.check(N.m_result(self._p, name, byref(v)), self._err)
            out[N.u(name)] = v.value
            i += 1

    def eval(self, quantity, *args):
        """A quantity of the fitted model, such as "p_alive" (x, t_x, T) or
        "expected" (t, x, t_x, T). With numbers, a float; with arrays (or
        pandas Series), an array of the arguments' broadcast shape."""
        key = N.s(quantity)
        out = c_double()
        if np is None or all(np.ndim(a) == 0 for a in args):
            a = (c_double * max(len(args), 1))(*[float(x) for x in args])
            N.check(N.m_eval(self._p, key, a, len(args), byref(out)),
                    self._err)
            return out.value
        grid = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64)
                                     for a in args])
        flat = np.ascontiguousarray(
            np.stack([g.ravel() for g in grid], axis=1))
        result = np.empty(flat.shape[0], dtype=np.float64)
        row = (c_double * len(args))()
        # one C call per element: the library evaluates scalars
        for i in range(flat.shape[0]):
            row[:] = flat[i].tolist()
            N.check(N.m_eval(self._p, key, row, len(args), byref(out)),
                    self._err)
            result[i] = out.value
        return result.reshape(grid[0].shape)

    def report(self, name, dataset=None, format="csv"):
        c = N.Collect()
        N.check(N.m_report(self._p, dataset._p if dataset else None,
                           N.s(name), {"csv": N.CSV, "json": N.JSON}[format],
                           c.fn, None), self._err)
        return c.text()

    def report_table(self, name, dataset=None):
        """A named report ("holdout", "profile", "silhouette") as a
        Table."""
        ds = dataset._p if dataset else None
        return Table._make(lambda out: N.m_report_table(
            out, self._p, ds, N.s(name)), self._err)


def _is_int_param(model, key):
    return any(p.name == key and p.type == "int" for p in model.params())


def _params(handle, err):
    out = []
    for i in range(N.m_param_count(handle)):
        d = N.ParamDef()
        N.param_def_init(byref(d))
        N.check(N.m_param_info(handle, i, byref(d)), err)
        kind = _PARAM_TYPES.get(d.type, str(d.type))
        if kind == "str":
            default, lo, hi = N.u(d.default_str) or "", None, None
        else:
            default, lo, hi = d.default_num, d.min, d.max
            if kind == "int":
                default, lo, hi = int(default), int(lo), int(hi)
        choices = N.u(d.choices)
        out.append(Param(N.u(d.name), kind, N.u(d.description), lo, hi,
                         default, None if choices is None
                         else choices.split("|")))
    return out


def model_kinds():
    """Names of the registered model kinds, built-in and plug-in."""
    return [N.u(N.m_kind_name(i)) for i in range(N.m_kind_count())]


def models():
    """Every registered kind with its parameters: {kind: [Param, ...]}."""
    out = {}
    for kind in model_kinds():
        m = Model(kind)
        try:
            out[kind] = m.params()
        finally:
            m.close()
    return out
