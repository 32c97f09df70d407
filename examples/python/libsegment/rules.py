"""Tier and score rules (the language of docs/rules.md)."""
import itertools
import json as _json
from ctypes import byref

from . import _native as N
from .table import Table


class Rules:
    """A compiled tier-rule set."""

    def __init__(self, text, name="<rules>"):
        self._p = None
        raw = N.s(text)
        p = N.P()
        N.check(N.r_parse(byref(p), raw, len(raw), N.s(name)), N.errmsg)
        self._p = p

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(f.read(), path)

    def close(self):
        if getattr(self, "_p", None):
            N.r_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return N.r_errmsg(self._p)

    @property
    def output(self):
        """The column that apply() writes by default."""
        return N.u(N.r_output(self._p))

    def apply(self, dataset, column=None):
        N.check(N.r_apply(self._p, dataset._p, N.s(column)), self._err)

    def explain(self, dataset, customer_id, json=False):
        c = N.Collect()
        N.check(N.r_explain(self._p, dataset._p, dataset.row(customer_id),
                            N.JSON if json else N.TEXT, c.fn, None),
                self._err)
        return _json.loads(c.text()) if json else c.text()

    def explain_table(self, dataset, customer_ids):
        """Why customers got their tiers, as one Table: `customer_id`, then
        the columns of seg_rules_explain_table() (rule, line, kind, label,
        group, matched, points, cap, column, value, text), one row per rule
        evaluated and column it read."""
        if isinstance(customer_ids, str):
            customer_ids = [customer_ids]
        parts = []
        for cid in customer_ids:
            row = dataset.row(cid)
            parts.append((cid, Table._make(lambda out: N.r_explain_table(
                out, self._p, dataset._p, row), self._err)))
        return _with_ids(parts)

    def call_list(self, dataset, tier_column=None, value_column=None,
                  capacity=0, contact_kind=None, exclude_column=None,
                  as_of=None):
        """Today's call list as a Table (rank, customer_id, tier, priority,
        value, last_contact); the tiers are read from the column apply()
        wrote unless tier_column names another."""
        o = N.CallListOptions()
        N.cl_init(byref(o))
        o.tier_column = N.s(tier_column or self.output)
        o.value_column = N.s(value_column)
        o.capacity = capacity
        if contact_kind is not None:
            o.contact_kind = N.s(contact_kind)
        o.exclude_column = N.s(exclude_column)
        if as_of is not None:
            o.as_of = N.parse_time(as_of)
        return Table._make(lambda out: N.r_call_list_table(
            out, self._p, dataset._p, byref(o)), self._err)


_EXPLAIN_COLUMNS = ["rule", "line", "kind", "label", "group", "matched",
                    "points", "cap", "column", "value", "text"]
_EXPLAIN_TYPES = ["numeric", "numeric", "label", "label", "label", "numeric",
                  "numeric", "numeric", "label", "numeric", "label"]


def _with_ids(parts):
    """One table from per-customer tables, a customer_id column first."""
    if not parts:
        return Table("explanations", ["customer_id"] + _EXPLAIN_COLUMNS,
                     ["label"] + _EXPLAIN_TYPES,
                     [[] for _ in range(len(_EXPLAIN_COLUMNS) + 1)])
    first = parts[0][1]
    ids = list(itertools.chain.from_iterable([cid] * len(t)
                                             for cid, t in parts))
    data = [list(itertools.chain.from_iterable(t._data[i] for _, t in parts))
            for i in range(len(first.columns))]
    return Table("explanations", ["customer_id"] + first.columns,
                 ["label"] + first.types, [ids] + data)
