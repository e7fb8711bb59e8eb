"""The catalogue of goods: data from the scenario, not an enum in the code.

Raw materials are counted in tonnes (platinum in kg); German counter-deliveries of
machinery, plant, naval equipment, weapons and coal/steel are counted in Reichsmarks.
Each good has a reference price in RM per unit (a contract or trade-statistic price, or a
world price of the year, each cited in the scenario; never a delivery total divided by its
tonnes, which are validation rows) so that every flow can be valued for the clearing
account, and a tonnage per unit so that routes can count it.
A good may carry another price for part of the window (``price_by_period``: the 1930s
import unit value of oil, O5, in a run that starts in 1934): flows of those months are
valued, and RM due converted to tonnes, at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.world.calendar import parse_month
from model.world.kinds import PLAIN_QUANTITY, ordered
from model.world.nodes import Choice, Flag, ListOf, MapOf, Month, Name, Number, Table

# tonnes in one unit of a good, by its unit, unless the good states ``tonnes_per_unit``
TONNES_BY_UNIT = {"t": 1.0, "kg": 0.001, "RM": 0.0}
GOOD_FIELDS = Table(
    {
        "unit": Choice(tuple(TONNES_BY_UNIT), "unit", default="t"),
        "kind": Choice(("raw", "machinery"), "kind of good", default="raw"),
        "price_rm_per_unit": Number(low=0, positive=True),
        "critical": Flag(default=False),
        "tonnes_per_unit": PLAIN_QUANTITY,  # absent: TONNES_BY_UNIT of its unit
        # another price for part of the window (issue 19: the 1930s import unit value of oil,
        # O5, before the wartime price of the reference); outside the periods the reference
        "price_by_period": ListOf(
            Table(
                {"from": Month(), "to": Month(), "rm_per_unit": Number(low=0, positive=True)},
                required=("from", "to", "rm_per_unit"),
                rules=(ordered("from", "to"),),
            ),
            min_len=1,
            ascending="from",
            default=(),
        ),
    },
    required=("price_rm_per_unit",),
)
SCHEMA = MapOf(Name(), GOOD_FIELDS, min_len=1)  # ``[goods]``
DEFAULTS = {k: n.default for k, n in GOOD_FIELDS.fields.items() if n.default is not None}


def declared_good(spec: Mapping[str, Any]) -> dict[str, Any]:
    """One ``[goods.<id>]`` table with every absent key at its declared default."""
    out = {**DEFAULTS, **spec}
    out.setdefault("tonnes_per_unit", TONNES_BY_UNIT[out["unit"]])
    return out


@dataclass(frozen=True)
class GoodsCatalogue:
    ids: tuple[str, ...]
    units: tuple[str, ...]
    kinds: tuple[str, ...]
    price_rm_per_unit: np.ndarray  # (G,)
    tonnes_per_unit: np.ndarray  # (G,)
    critical: np.ndarray  # (G,) bool
    # other prices for parts of the window: (first month, last month, good, RM per unit)
    price_periods: tuple[tuple[int, int, int, float], ...] = ()

    @classmethod
    def from_table(cls, table: Mapping[str, Mapping[str, Any]]) -> GoodsCatalogue:
        ids = tuple(table)
        specs = [declared_good(table[g]) for g in ids]
        units = tuple(str(spec["unit"]) for spec in specs)
        kinds = tuple(str(spec["kind"]) for spec in specs)
        price = np.array([float(spec["price_rm_per_unit"]) for spec in specs])
        tonnes = np.array([float(spec["tonnes_per_unit"]) for spec in specs])
        critical = np.array([bool(spec["critical"]) for spec in specs])
        for arr in (price, tonnes, critical):
            arr.setflags(write=False)
        periods = tuple(
            (parse_month(p["from"]), parse_month(p["to"]), i, float(p["rm_per_unit"]))
            for i, spec in enumerate(specs)
            for p in spec["price_by_period"]
        )
        return cls(ids, units, kinds, price, tonnes, critical, periods)

    def price_at(self, month: int | np.ndarray) -> np.ndarray:
        """RM per unit of each good in ``month``: (G,), or (..., G) for an array of months.

        The reference price, or a good's ``price_by_period`` where one covers the month;
        without any period the reference array itself.
        """
        if not self.price_periods:
            return self.price_rm_per_unit
        m = np.asarray(month)
        price = np.broadcast_to(self.price_rm_per_unit, (*m.shape, self.n)).copy()
        for first, last, g, p in self.price_periods:
            price[..., g] = np.where((first <= m) & (m <= last), p, price[..., g])
        return price

    @property
    def critical_ids(self) -> tuple[str, ...]:
        """The goods marked ``critical = true``, in catalogue order."""
        return tuple(g for g, c in zip(self.ids, self.critical, strict=True) if c)

    @property
    def n(self) -> int:
        return len(self.ids)

    def index(self, good: str) -> int:
        try:
            return self.ids.index(good)
        except ValueError:
            raise KeyError(f"unknown good {good!r}; goods are: {', '.join(self.ids)}") from None

    def mask(self, goods: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for g in goods:
            out[self.index(g)] = True
        return out

    @property
    def machinery(self) -> np.ndarray:
        return np.array([k == "machinery" for k in self.kinds])

    @property
    def raw(self) -> np.ndarray:
        return ~self.machinery


def critical_goods(table: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """The critical goods of a scenario's ``[goods]`` table (``critical = true``), in its order.

    The one source of "the critical goods" for tables, figures and summaries: the goods
    whose military demand defines war readiness, marked in the catalogue (baseline.toml).
    """
    return tuple(g for g, spec in table.items() if declared_good(spec)["critical"])
