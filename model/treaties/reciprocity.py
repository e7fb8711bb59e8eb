"""``reciprocity``: the treaty's own six-monthly balancing; the owed side suspends (row 38).

The balance watch (:class:`BalanceWatch`) is reciprocity's one mechanism, used by the
treaty's rule (:class:`ReciprocityRule`, at the treaty's review interval) and by the USSR's
own monthly watch (the ``suspension`` policy, :mod:`model.actors.soviet_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTHS, PLAIN_SHARE, QUANTITY
from model.world.nodes import ListOf, Month, Node, Number, Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


class BalanceWatch:
    """Suspend listed goods while German arrears exceed a tolerance; resume when they fall.

    Arrears count against the tolerance when they exceed both ``tolerated_imbalance_rm``
    and ``tolerated_shortfall_share`` of all Germany has owed so far (row 38 balances to a
    fixed *ratio*: the same arrears weigh less once much has been delivered). A suspension
    lasts at least ``suspension_months`` and ends once arrears fall below either threshold of the
    tolerance scaled by ``resume_below_share``. Shared by the treaty's six-monthly balancing
    and the USSR's own monthly watch; ``review_interval_months`` tells them apart.
    """

    # every number a watch acts on is stated in the file; a missing threat_share means no
    # threat, a missing tolerated_shortfall_share no share test
    SCHEMA: ClassVar[Node] = Table(
        {
            "review_interval_months": MONTHS,
            "tolerated_imbalance_rm": QUANTITY,
            "tolerated_shortfall_share": Number(low=0, high=1, sampled=True, default=0.0),
            "threat_share": Number(low=0, high=1, sampled=True, default=np.inf),
            "suspend_goods": ListOf(GOOD),
            "suspension_months": MONTHS,
            "resume_below_share": PLAIN_SHARE,
            "german_catch_up_share": PLAIN_SHARE,
            "reckoning_from": Month(sampled=True),
            "from": Month(sampled=True, default="1934-01"),  # absent: the engine's first month
        },
        required=(
            "review_interval_months",
            "tolerated_imbalance_rm",
            "suspend_goods",
            "suspension_months",
            "resume_below_share",
            "german_catch_up_share",
        ),
    )

    def __init__(
        self,
        path: str,
        table: Mapping[str, Any],
        view: ParameterView,
        goods: GoodsCatalogue,
    ):
        # the schema requires these (SCHEMA)
        self.interval = int(table["review_interval_months"])
        self.tolerated_rm = view.number(f"{path}.tolerated_imbalance_rm")
        self.tolerated_share = view.number(f"{path}.tolerated_shortfall_share")
        self.suspend_mask = goods.mask(table["suspend_goods"])
        self.min_months = int(table["suspension_months"])
        self.resume_below_share = float(table["resume_below_share"])
        self.german_catch_up_share = float(table["german_catch_up_share"])
        self.threat_share = view.number(f"{path}.threat_share")
        # what the month compares arrears with, worked out once: the threat's share of the
        # dues (absent: no threat) and the thresholds of the resumption
        self.threat_on = np.isfinite(self.threat_share)
        self.threat_level = np.where(self.threat_on, self.threat_share, 0.0)
        self.resume_rm = self.resume_below_share * self.tolerated_rm
        self.resume_share = self.resume_below_share * self.tolerated_share
        # reckoned every interval from this month (row 38), else from the start it is given
        self.reckoning_from = (
            view.month(f"{path}.reckoning_from") if "reckoning_from" in table else None
        )
        self.until = np.full(view.n_runs, -1, dtype=np.int64)
        self.threatened = np.zeros(view.n_runs, dtype=bool)
        # what Germany owed counts from ``from`` on (absent: the window's start): a run that
        # starts in 1934 weighs the pact era's arrears against the pact era's dues
        self.first = view.month(f"{path}.from")
        self.due_before = np.zeros(view.n_runs)

    def review(
        self,
        month: int,
        start: np.ndarray,
        active: np.ndarray,
        arrears: np.ndarray,
        due: np.ndarray,
    ) -> None:
        if self.reckoning_from is not None:
            start = self.reckoning_from
        self.due_before = np.where(month < self.first, due, self.due_before)
        due = due - self.due_before
        reviewing = active & (((month - start) % self.interval) == 0) & (month >= start)
        suspended = self.until > month
        lagging = (arrears > self.tolerated_rm) & (arrears > self.tolerated_share * due)
        begin = reviewing & ~suspended & lagging
        self.until = np.where(begin, month + self.min_months, self.until)
        # a threat: lagging by more than the threat share of the dues, short of suspending
        threat = self.threat_on & (arrears > self.threat_level * due)
        self.threatened = reviewing & ~lagging & threat & (arrears > 0)
        # back under the tolerance, scaled by the resume share: either of its two tests passes
        resume = suspended & ((arrears < self.resume_rm) | (arrears < self.resume_share * due))
        self.until = np.where(resume | ~active, np.minimum(self.until, month), self.until)

    def suspended(self, month: int) -> np.ndarray:
        return self.until > month


class ReciprocityRule:
    """The treaty's own balancing: reviewed at its interval, the owed side suspends (row 38).

    Every ``review_interval_months`` (six in the Feb 1940 agreement, row 38) from the
    treaty's start the USSR compares German arrears with the tolerance (see
    :class:`BalanceWatch`): above it the listed goods of this treaty's
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
