"""``third_party_purchase``: the USSR buys goods abroad and passes them on (row 85).

Each purchase is a flow of its own (supplier -> its route -> the border railway -> Germany,
credited to the USSR), which the rule declares (:meth:`ThirdPartyPurchaseRule.flows`), and
an amount due each month the treaty is in force within the purchase's window, which it
adds in the ``obligations`` phase (:attr:`TreatyMonth.purchases`, one (T, R) array per flow,
in the order of the flows). The model adds the flows and requests the amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, QUANTITY, SUPPLIER, ordered
from model.world.nodes import MapOf, Ref, Table
from model.world.parameters import ParameterView
from model.world.routes import SOVIET_ROUTE, TRANSIT_ROUTE, FlowSpec

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


@dataclass
class Purchase:
    good: int
    supplier: str
    per_month: np.ndarray  # (R,) in the good's unit
    first: np.ndarray  # (R,) month index
    last: np.ndarray
    route: str  # the supplier's route to the USSR


@dataclass
class ThirdPartyPurchaseRule:
    """The USSR buys goods from a supplier and passes them on to Germany (row 85)."""

    purchases: list[Purchase]
    phases = ("obligations",)
    SCHEMA = MapOf(
        GOOD,
        Table(
            {
                "supplier": SUPPLIER,
                "per_month": QUANTITY,
                "from": MONTH,
                "to": MONTH,
                "route": Ref("routes", "route", default=TRANSIT_ROUTE),
            },
            required=("supplier", "per_month", "from", "to"),
            rules=(ordered(),),
        ),
    )

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> ThirdPartyPurchaseRule:
        return cls(
            [
                Purchase(
                    goods.index(good),
                    str(spec["supplier"]),
                    view.number(f"{path}.{good}.per_month"),
                    view.month(f"{path}.{good}.from"),
                    view.month(f"{path}.{good}.to"),
                    str(view.raw(f"{path}.{good}.route")),
                )
                for good, spec in table.items()
            ]
        )

    def flows(self, goods: GoodsCatalogue) -> list[FlowSpec]:
        """One flow per purchase: from its supplier by its route and the border railway."""
        return [
            FlowSpec(
                f"{p.supplier}->germany bought by soviet_union ({goods.ids[p.good]})",
                p.supplier,
                "germany",
                (p.route, SOVIET_ROUTE),
                (p.good,),
                origin_label="soviet_union",
            )
            for p in self.purchases
        ]

    def obligations(
        self, month: np.ndarray, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        """What each purchase buys in every month (T, R), in the order of :meth:`flows`."""
        state.purchases += [
            p.per_month * (active & (p.first <= month) & (month <= p.last)) for p in self.purchases
        ]
