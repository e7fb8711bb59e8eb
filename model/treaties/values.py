"""``values``: RM owed by each side -- Schedule C (row 29), fixed German sums (row 30) and
German counter-value as signed (equal value over the 18/27-month horizons, row 37).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import TreatyMonth, window_share
from model.world.goods import GoodsCatalogue
from model.world.kinds import MIX, MONTH, QUANTITY, ordered, together
from model.world.nodes import Number, Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


@dataclass
class ValuesRule:
    """RM to be delivered by each side: a Soviet mix, a fixed German sum, German counter-value.

    Germany owes counter-value for the Soviet deliveries made while this rule's treaty is
    the one in force (the latest to start): either as signed in Feb 1940 (row 37) --
    equal value, the Soviet side delivering within ``soviet_horizon_months`` and the German
    within ``german_horizon_months``, so that under even delivery Germany owes, ``e``
    months in, the share ``(min(e, H_de) / H_de) / (min(e, H_su) / H_su)`` of the value it
    has received (18/27 for the first 18 months, rising to 1 by month 27) -- or at a fixed
    ``german_ratio`` (a parity clearing, row 33). ``german_rm`` is a fixed German sum over
    ``german_from``..``german_to`` (credit-financed orders, row 30).
    """

    soviet_rm: np.ndarray | None
    soviet_first: np.ndarray | None
    soviet_last: np.ndarray | None
    soviet_mix_units_per_rm: np.ndarray | None  # (G,) units of each good per RM
    german_rm: np.ndarray | None
    german_ratio: np.ndarray | None
    soviet_horizon: np.ndarray | None  # months
    german_horizon: np.ndarray | None
    german_first: np.ndarray
    german_last: np.ndarray
    soviet_received_rm: np.ndarray  # (R,) Soviet value delivered while this treaty was in force
    ratio_held: np.ndarray  # (R,) the share owed when the treaty was last in force
    # the catalogue, for a good's price_by_period: RM due converted at the month's price
    goods: GoodsCatalogue | None = None
    phases = ("obligations", "clearing")
    SCHEMA = Table(
        {
            "soviet_rm": QUANTITY,
            "soviet_from": MONTH,
            "soviet_to": MONTH,
            "soviet_mix": MIX,
            "german_rm": QUANTITY,
            "german_ratio": QUANTITY,
            "soviet_horizon_months": Number(low=1, high=120, sampled=True),
            "german_horizon_months": Number(low=1, high=120, sampled=True),
            "german_from": MONTH,
            "german_to": MONTH,
        },
        rules=(
            together(("soviet_rm",), ("soviet_mix", "soviet_from", "soviet_to")),
            together(
                ("german_rm", "german_ratio", "german_horizon_months"), ("german_from", "german_to")
            ),
            together(("german_horizon_months",), ("soviet_horizon_months",)),
            ordered("soviet_from", "soviet_to"),
            ordered("german_from", "german_to"),
        ),
    )

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> ValuesRule:
        soviet_rm = view.number(f"{path}.soviet_rm") if "soviet_rm" in table else None
        mix = None
        if soviet_rm is not None:
            shares = np.zeros(goods.n)
            for good, share in table["soviet_mix"].items():
                shares[goods.index(good)] = float(share)
            mix = shares / shares.sum() / goods.price_rm_per_unit
        has_german = any(k in table for k in ("german_rm", "german_ratio", "german_horizon_months"))
        return cls(
            soviet_rm=soviet_rm,
            soviet_first=view.month(f"{path}.soviet_from") if soviet_rm is not None else None,
            soviet_last=view.month(f"{path}.soviet_to") if soviet_rm is not None else None,
            soviet_mix_units_per_rm=mix,
            german_rm=view.number(f"{path}.german_rm") if "german_rm" in table else None,
            german_ratio=view.number(f"{path}.german_ratio") if "german_ratio" in table else None,
            soviet_horizon=view.number(f"{path}.soviet_horizon_months")
            if "german_horizon_months" in table
            else None,
            german_horizon=view.number(f"{path}.german_horizon_months")
            if "german_horizon_months" in table
            else None,
            german_first=view.month(f"{path}.german_from")
            if has_german
            else np.zeros(view.n_runs, int),
            german_last=view.month(f"{path}.german_to")
            if has_german
            else np.zeros(view.n_runs, int),
            soviet_received_rm=np.zeros(view.n_runs),
            ratio_held=np.zeros(view.n_runs),
            goods=goods,
        )

    @property
    def owes_counter_value(self) -> bool:
        return self.german_ratio is not None or self.german_horizon is not None

    def obligations(
        self, month: np.ndarray, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        if self.soviet_rm is not None:
            first, last, mix = self.soviet_first, self.soviet_last, self.soviet_mix_units_per_rm
            assert first is not None and last is not None and mix is not None  # set with soviet_rm
            rm = self.soviet_rm * window_share(month, first, last) * active
            if self.goods is not None and self.goods.price_periods:  # units per RM this month
                mix = mix * self.goods.price_rm_per_unit / self.goods.price_at(month)
            state.soviet_due[treaty.due_slot] += rm[..., None] * mix
        if self.german_rm is not None:
            state.german_fixed_rm += (
                self.german_rm * window_share(month, self.german_first, self.german_last) * active
            )

    def ratio(self, month: int) -> np.ndarray:
        """German RM owed per Soviet RM received, ``month`` into the German horizon (R,)."""
        if self.german_ratio is not None:
            return self.german_ratio * (self.german_first <= month)
        if self.german_horizon is None:
            return np.zeros(len(self.german_first))
        assert self.soviet_horizon is not None  # the schema requires both horizons together
        e = np.maximum(month - self.german_first + 1, 0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            owed = np.minimum(e, self.german_horizon) / self.german_horizon
            delivered = np.minimum(e, self.soviet_horizon) / self.soviet_horizon
            return np.where(e > 0, owed / np.where(delivered > 0, delivered, 1.0), 0.0)

    def clearing(self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth) -> None:
        """Credit this month's Soviet deliveries to the treaty that owns them; add its dues."""
        if not self.owes_counter_value:
            return
        owns = state.owner == treaty.index
        self.soviet_received_rm += state.soviet_rm * owns
        # what Germany owes matures with the horizons while the treaty is in force, and stays
        # where it stood once the treaty has ended (an invasion ends it: docs/architecture.md §4)
        ratio = np.where(active, self.ratio(month), self.ratio_held)
        self.ratio_held = ratio
        state.due_ratio = np.where(owns, ratio, state.due_ratio)
        state.due_clearing_rm += ratio * self.soviet_received_rm


def counter_value_owner(
    treaties: list[Treaty], active: dict[str, np.ndarray], month: int
) -> np.ndarray:
    """(R,) index of the treaty this month's Soviet deliveries count under (-1: none).

    The German-Soviet treaty in force that owes counter-value and started last: from Feb
    1941 deliveries count under the January 1941 agreement, before it under Feb 1940's.
    """
    owner = np.full(len(next(iter(active.values()))) if active else 0, -1)
    best = np.full(owner.shape, -np.inf)
    for t in treaties:
        rule = t.rules.get("values")  # the registry's name of ValuesRule (rules.RULES)
        if rule is None or not rule.owes_counter_value:
            continue
        later = active[t.id] & (rule.german_first <= month) & (rule.german_first > best)
        best = np.where(later, rule.german_first, best)
        owner = np.where(later, t.index, owner)
    return owner
