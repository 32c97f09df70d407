"""Tier and score rules (the language of docs/rules.md)."""
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
        """Why each customer got its tier: one row per customer and value
        the deciding rule read (customer_id, tier, rule, line, column,
        value)."""
        if isinstance(customer_ids, str):
            customer_ids = [customer_ids]
        if N.r_explain_table is not None and N.HAS_TABLES:
            parts = [Table._make(lambda out: N.r_explain_table(
                out, self._p, dataset._p, dataset.row(cid)), self._err)
                for cid in customer_ids]
            return _concat(parts)
        names = ["customer_id", "tier", "rule", "line", "column", "value"]
        rows = []
        for cid in customer_ids:
            e = self.explain(dataset, cid, json=True)
            values = e.get("values") or {None: None}
            for column, value in values.items():
                rows.append([e.get("customer_id"), e.get("tier"),
                             e.get("rule"), e.get("line"), column,
                             None if value is None else str(value)])
        cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in names]
        types = ["label", "label", "numeric", "numeric", "label", "label"]
        for i in (2, 3):
            cols[i] = [None if v is None else float(v) for v in cols[i]]
        return Table("explanations", names, types, cols)

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
        if N.r_call_list_table is not None and N.HAS_TABLES:
            return Table._make(lambda out: N.r_call_list_table(
                out, self._p, dataset._p, byref(o)), self._err)
        c = N.Collect()
        N.check(N.r_call_list(self._p, dataset._p, byref(o), c.fn, None),
                self._err)
        return Table.from_csv(c.text(), "call_list")


def _concat(tables):
    if not tables:
        return Table("explanations", [], [], [])
    first = tables[0]
    data = [sum((t._data[i] for t in tables), [])
            for i in range(len(first.columns))]
    return Table(first.name, first.columns, first.types, data)
