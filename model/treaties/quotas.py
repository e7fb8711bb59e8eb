"""``quotas``: Soviet deliveries owed per good over a delivery window (rows 40-46, 59)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import PROFILES, TreatyMonth, window_share
from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, QUANTITY, exactly_one, ordered
from model.world.nodes import Choice, MapOf, Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


@dataclass
class QuotaRule:
    """Soviet deliveries owed per good: quantity over a window, spread by a profile."""

    entries: list[
        tuple[int, np.ndarray, np.ndarray, np.ndarray, str]
    ]  # good, qty, first, last, profile
    phases = ("obligations",)
    SCHEMA = MapOf(
        GOOD,
        Table(
            {
                "quantity": QUANTITY,
                "value_rm": QUANTITY,
                "from": MONTH,
                "to": MONTH,
                "profile": Choice(PROFILES, "delivery profile", default="even"),
            },
            required=("from", "to"),
            rules=(exactly_one("quantity", "value_rm"), ordered()),
        ),
    )

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> QuotaRule:
        entries = []
        for good, spec in table.items():
            g = goods.index(good)
            p = f"{path}.{good}"
            if "quantity" in spec:
                qty = view.number(f"{p}.quantity")
            else:
                qty = view.number(f"{p}.value_rm") / goods.price_rm_per_unit[g]
            entries.append(
                (
                    g,
                    qty,
                    view.month(f"{p}.from"),
                    view.month(f"{p}.to"),
                    str(view.raw(f"{p}.profile")),
                )
            )
        return cls(entries)

    def obligations(
        self, month: np.ndarray, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        due = state.soviet_due[treaty.due_slot]  # (..., R, G): every month at once
        for g, qty, first, last, profile in self.entries:
            due[..., g] += qty * window_share(month, first, last, profile) * active
