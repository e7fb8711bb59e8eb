"""``barter_only``: goods against goods, month by month -- no credit on the clearing account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.kinds import QUANTITY
from model.world.nodes import Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


class BarterOnlyRule:
    """While its treaty is in force, the USSR ships the treaty's dues only as far as Germany
    has paid for what it has received: in a month when German arrears on the clearing account
    exceed ``tolerated_imbalance_rm``, every good of the treaty's dues is held (carried to
    later months, as any held due is). No review interval and no suspension period: deliveries
    go on in the first month Germany has caught up. The treaty's own balancing clause
    (``reciprocity``, row 38) reviews only every few months and tolerates a shortfall; this
    rule is the counterfactual without that credit in kind.
    """

    phases = ("reciprocity",)
    SCHEMA = Table({"tolerated_imbalance_rm": QUANTITY}, required=("tolerated_imbalance_rm",))

    def __init__(self, tolerated_imbalance_rm: np.ndarray):
        self.tolerated_imbalance_rm = tolerated_imbalance_rm  # (R,)

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> BarterOnlyRule:
        return cls(view.number(f"{path}.tolerated_imbalance_rm"))

    def reciprocity(
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        owed = active & (state.arrears_rm > self.tolerated_imbalance_rm)
        held = state.held[treaty.due_slot] if treaty.due_slot >= 0 else state.held
        held |= owed[:, None]
