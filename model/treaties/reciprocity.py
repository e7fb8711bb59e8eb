"""``reciprocity``: the treaty's own six-monthly balancing; the owed side suspends (row 38)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from model.actors.soviet_policy import BalanceWatch
from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


class ReciprocityRule:
    """The treaty's own balancing: reviewed at its interval, the owed side suspends (row 38).

    Every ``review_interval_months`` (six in the Feb 1940 agreement, row 38) from the
    treaty's start the USSR compares German arrears with the tolerance (see
    :class:`model.actors.soviet_policy.BalanceWatch`): above it the listed goods of this treaty's
    dues are suspended (served by seniority, an earlier agreement's dues such as Schedule C
    keep flowing; pooled pro rata, every due shares the one slot);
    above ``threat_share`` of the dues but short of the tolerance it threatens (rows 53,
    54). While suspended, Germany raises its deliveries by ``german_catch_up_share`` of its
    export capacity.
    """

    phases = ("reciprocity",)
    SCHEMA = BalanceWatch.SCHEMA

    def __init__(self, watch: BalanceWatch):
        self.watch = watch

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> ReciprocityRule:
        return cls(BalanceWatch(path, table, view, goods))

    def reciprocity(
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        w = self.watch
        w.review(month, treaty.first, active, state.arrears_rm, state.due_clearing_rm)
        now = w.suspended(month) & active
        # the treaty's clause suspends that treaty's deliveries (row 38): its own slot
        held = state.held[treaty.due_slot] if treaty.due_slot >= 0 else state.held
        held |= now[:, None] & w.suspend_mask[None, :]
        state.catch_up = np.maximum(state.catch_up, now * w.german_catch_up_share)
        state.threatened |= w.threatened
