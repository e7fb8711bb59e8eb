"""``third_party_purchase``: the USSR buys goods abroad and passes them on (row 85)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, QUANTITY, SUPPLIER, ordered
from model.world.nodes import MapOf, Ref, Table
from model.world.parameters import ParameterView
from model.world.routes import TRANSIT_ROUTE

if TYPE_CHECKING:
    pass


@dataclass
class ThirdPartyPurchaseRule:
    """The USSR buys goods from a supplier and passes them on to Germany (row 85).

    Acts in no monthly phase of its own: its purchases are flows (supplier -> route ->
    border railway -> Germany) that the model builds once and requests each month.
    """

    entries: list[
        tuple[int, str, np.ndarray, np.ndarray, np.ndarray, str]
    ]  # good, supplier, per_month, first, last, route
    phases = ()
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
        entries = []
        for good, spec in table.items():
            p = f"{path}.{good}"
            entries.append(
                (
                    goods.index(good),
                    str(spec["supplier"]),
                    view.number(f"{p}.per_month"),
                    view.month(f"{p}.from"),
                    view.month(f"{p}.to"),
                    str(view.raw(f"{p}.route")),
                )
            )
        return cls(entries)
