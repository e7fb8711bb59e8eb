"""``transit``: goods the USSR lets cross its territory on a route (rows 49-50, 79-84)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, ROUTE, START, ordered
from model.world.nodes import ListOf, Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


@dataclass
class TransitRule:
    """Goods the USSR lets cross its territory on a route, within a window."""

    goods_mask: np.ndarray  # (G,)
    route: str
    first: np.ndarray
    last: np.ndarray
    phases = ("obligations",)
    SCHEMA = Table(
        {"goods": ListOf(GOOD), "route": ROUTE, "from": START, "to": MONTH},
        required=("goods", "route", "from", "to"),
        rules=(ordered(),),
    )

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> TransitRule:
        return cls(
            goods_mask=goods.mask(table["goods"]),
            route=str(table["route"]),
            first=view.month(f"{path}.from"),
            last=view.month(f"{path}.to"),
        )

    def obligations(
        self, month: np.ndarray, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        """Which goods may transit in each month."""
        inside = (self.first <= month) & (month <= self.last) & active
        state.transit |= inside[..., None] & self.goods_mask
