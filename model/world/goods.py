"""The catalogue of goods: data from the scenario, not an enum in the code.

Raw materials are counted in tonnes (platinum in kg); German counter-deliveries of
machinery, plant, naval equipment, weapons and coal/steel are counted in Reichsmarks.
Each good has a reference price in RM per unit (derived from the delivered values in
history rows 63-72, or an estimate that says so in the scenario) so that every flow can
be valued for the clearing account, and a tonnage per unit so that routes can count it.
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
        units = tuple(str(table[g].get("unit", "t")) for g in ids)
        kinds = tuple(str(table[g].get("kind", "raw")) for g in ids)
        price = np.array([float(table[g]["price_rm_per_unit"]) for g in ids])
        default_tonnes = [1.0 if u == "t" else 0.001 if u == "kg" else 0.0 for u in units]
        tonnes = np.array(
            [
                float(table[g].get("tonnes_per_unit", d))
                for g, d in zip(ids, default_tonnes, strict=True)
            ]
        )
        critical = np.array([bool(table[g].get("critical", False)) for g in ids])
        for arr in (price, tonnes, critical):
            arr.setflags(write=False)
        periods = tuple(
            (parse_month(p["from"]), parse_month(p["to"]), i, float(p["rm_per_unit"]))
            for i, g in enumerate(ids)
            for p in table[g].get("price_by_period", ())
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
    return tuple(g for g, spec in table.items() if bool(spec.get("critical", False)))
