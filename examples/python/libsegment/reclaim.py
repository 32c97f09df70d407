"""Lead-pool reclaim (公海规则): the definition of docs/operations.md,
its columns on a dataset, and the reclaim and reminder lists as Tables."""
from ctypes import byref

from . import _native as N
from .table import Table


class Reclaim:
    """A reclaim definition: Reclaim(text), Reclaim.from_file(path) or
    Reclaim.preset("standard")."""

    def __init__(self, text, name="<reclaim>"):
        self._p = None
        raw = N.s(text)
        p = N.P()
        N.check(N.rc_parse(byref(p), raw, len(raw), N.s(name)), N.errmsg)
        self._p = p

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(f.read(), path)

    @classmethod
    def preset(cls, name="standard"):
        """A shipped definition ("standard")."""
        self = cls.__new__(cls)
        self._p = None
        p = N.P()
        N.check(N.rc_preset(byref(p), N.s(name)), N.errmsg)
        self._p = p
        return self

    @staticmethod
    def preset_text(name="standard"):
        """The text of a shipped definition, to print or start from."""
        t = N.rc_preset_text(N.s(name))
        if t is None:
            raise KeyError(name)
        return N.u(t)

    def close(self):
        if getattr(self, "_p", None):
            N.rc_free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def _err(self):
        return N.rc_errmsg(self._p)

    @property
    def prefix(self):
        """The prefix of the columns apply() writes ("reclaim")."""
        return N.u(N.rc_prefix(self._p))

    def _as_of(self, as_of):
        return N.TIME_NONE if as_of is None else N.parse_time(as_of)

    def apply(self, dataset, as_of=None):
        """Write PREFIX.status, .rule, .days_since_followup, .fires,
        .days_left, .locked_owner and .locked_until on the dataset; a date
        alone means the end of that day, None the latest record. Nothing is
        written on failure."""
        N.check(N.rc_apply(self._p, dataset._p, self._as_of(as_of)),
                self._err)

    def reclaim_list(self, dataset, as_of=None):
        """The leads that go back to the pool, by owner then id, as a Table
        (customer_id, owner, rule, fired, days_since_followup,
        locked_owner, locked_until); the dataset is unchanged."""
        at = self._as_of(as_of)
        return Table._make(lambda out: N.rc_list_table(
            out, self._p, dataset._p, at), self._err)

    def reminder_list(self, dataset, as_of=None):
        """The leads whose rule fires within the reminder's days, soonest
        first, as a Table (customer_id, owner, rule, fires, days_left,
        days_since_followup)."""
        at = self._as_of(as_of)
        return Table._make(lambda out: N.rc_reminder_table(
            out, self._p, dataset._p, at), self._err)
