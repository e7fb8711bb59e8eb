"""Treaties as data: parties, a period in force, and rules looked up by name.

A treaty table in a scenario has ``title``, ``parties``, ``signed``, ``from`` and ``to``,
and any of these rules (DESIGN.md §4), each a sub-table named after the rule:

- ``quotas``: per good, a quantity (or ``value_rm``) over a delivery window, with a
  delivery profile (``even``, ``front_loaded``, ``back_loaded``);
- ``values``: RM the Soviet side delivers over a window in a mix of goods (Schedule C of
  the 1939 credit agreement, row 29), RM Germany owes over a window (``german_rm``), or the
  ratio of German to Soviet deliveries Germany owes (``german_ratio``, row 37);
- ``credit``: a credit line with interest and a drawing window (rows 25-28);
- ``reciprocity``: the owed side reviews the balance and suspends goods (rows 38, 51, 53);
- ``transit``: goods allowed over a route through the USSR (rows 49-50, 79-84);
- ``third_party_purchase``: the USSR buys a good from a supplier and passes it on (row 85).

An invasion ends every German-Soviet treaty at once (``trade_ended``). Rules are plug-ins:
:data:`RULES` maps each name to its class; an unknown name is rejected with the list of
valid ones (scipy's ``solve_ivp`` ``METHODS`` habit).

**One protocol.** Each rule class declares the phases of the month it acts in (``phases``,
a subset of :data:`PHASES`) and implements a method of the same name taking
``(month, treaty, active, state)``: ``obligations`` adds to what falls due this month,
``reciprocity`` lets the owed side review the balance, ``clearing`` settles the account.
``state`` is the month's :class:`TreatyMonth`, which the model reads after each phase; the
model loops over the rules in force and never names one. Adding a rule is one class here,
one line in :data:`RULES` and its schema in :mod:`model.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.actors.soviet_policy import BalanceWatch
from model.world.goods import GoodsCatalogue
from model.world.parameters import ParameterView

PROFILES = ("even", "front_loaded", "back_loaded")
PHASES = ("obligations", "reciprocity", "clearing")


@dataclass
class TreatyMonth:
    """What the treaty rules in force say in one month, per run; filled phase by phase."""

    n_runs: int
    n_goods: int
    arrears_rm: np.ndarray | None = None  # read by reciprocity
    due_clearing_rm: np.ndarray | None = None
    soviet_rm: np.ndarray | None = None  # read by clearing: Soviet deliveries this month, RM
    soviet_due: np.ndarray = field(init=False)  # (R, G) Soviet deliveries falling due
    german_fixed_rm: np.ndarray = field(init=False)  # (R,) fixed German dues (credit orders)
    transit: np.ndarray = field(init=False)  # (R, G) bool
    held: np.ndarray = field(init=False)  # (R, G) bool: goods the owed side suspends
    catch_up: np.ndarray = field(init=False)  # (R,) extra share of German export capacity
    threatened: np.ndarray = field(init=False)  # (R,) bool
    drawable: np.ndarray = field(init=False)  # (R,) bool: a credit line may be drawn
    line_rm: np.ndarray = field(init=False)
    interest_share_per_year: np.ndarray = field(init=False)
    due_ratio: np.ndarray = field(init=False)  # German RM owed per Soviet RM, this month's treaty
    owner: np.ndarray = field(
        init=False
    )  # (R,) index of the treaty this month's Soviet deliveries count under

    def __post_init__(self) -> None:
        R, G = self.n_runs, self.n_goods
        self.soviet_due = np.zeros((R, G))
        self.german_fixed_rm = np.zeros(R)
        self.transit = np.zeros((R, G), dtype=bool)
        self.held = np.zeros((R, G), dtype=bool)
        self.catch_up = np.zeros(R)
        self.threatened = np.zeros(R, dtype=bool)
        self.drawable = np.zeros(R, dtype=bool)
        self.line_rm = np.zeros(R)
        self.interest_share_per_year = np.zeros(R)
        self.due_ratio = np.zeros(R)
        self.owner = np.full(R, -1)


def window_share(
    month: int, first: np.ndarray, last: np.ndarray, profile: str = "even"
) -> np.ndarray:
    """Share (R,) of a window's total due in ``month`` under a delivery profile."""
    n = np.maximum(last - first + 1, 1).astype(float)
    k = month - first
    inside = (k >= 0) & (month <= last)
    if profile == "even":
        share = 1.0 / n
    elif profile == "front_loaded":
        share = 2.0 * (n - k) / (n * (n + 1))
    elif profile == "back_loaded":
        share = 2.0 * (k + 1) / (n * (n + 1))
    else:  # validated at load time
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return np.where(inside, share, 0.0)


# ---------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------
@dataclass
class QuotaRule:
    """Soviet deliveries owed per good: quantity over a window, spread by a profile."""

    entries: list[
        tuple[int, np.ndarray, np.ndarray, np.ndarray, str]
    ]  # good, qty, first, last, profile
    phases = ("obligations",)

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
                    str(spec.get("profile", "even")),
                )
            )
        return cls(entries)

    def obligations(
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        for g, qty, first, last, profile in self.entries:
            state.soviet_due[:, g] += qty * window_share(month, first, last, profile) * active


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
    phases = ("obligations", "clearing")

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
        )

    @property
    def owes_counter_value(self) -> bool:
        return self.german_ratio is not None or self.german_horizon is not None

    def obligations(
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        if self.soviet_rm is not None:
            rm = self.soviet_rm * window_share(month, self.soviet_first, self.soviet_last) * active
            state.soviet_due += rm[:, None] * self.soviet_mix_units_per_rm[None, :]
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
        # where it stood once the treaty has ended (an invasion ends it: DESIGN.md §4)
        ratio = np.where(active, self.ratio(month), self.ratio_held)
        self.ratio_held = ratio
        state.due_ratio = np.where(owns, ratio, state.due_ratio)
        state.due_clearing_rm += ratio * self.soviet_received_rm


@dataclass
class CreditRule:
    """A merchandise credit: German deliveries drawn on a line, with interest (rows 25-27)."""

    line_rm: np.ndarray
    interest_share_per_year: np.ndarray
    draw_first: np.ndarray
    draw_last: np.ndarray
    phases = ("clearing",)

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> CreditRule:
        return cls(
            line_rm=view.number(f"{path}.line_rm"),
            interest_share_per_year=view.number(f"{path}.interest_share_per_year", 0.0),
            draw_first=view.month(f"{path}.draw_from"),
            draw_last=view.month(f"{path}.draw_to"),
        )

    def clearing(self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth) -> None:
        state.drawable |= (self.draw_first <= month) & (month <= self.draw_last) & active
        state.line_rm = np.maximum(state.line_rm, self.line_rm)
        state.interest_share_per_year = np.maximum(
            state.interest_share_per_year, self.interest_share_per_year
        )


class ReciprocityRule:
    """The treaty's own balancing: reviewed at its interval, the owed side suspends (row 38).

    Every ``review_interval_months`` (six in the Feb 1940 agreement, row 38) from the
    treaty's start the USSR compares German arrears with the tolerance (see
    :class:`model.soviet_policy.BalanceWatch`): above it the listed goods are suspended;
    above ``threat_share`` of the dues but short of the tolerance it threatens (rows 53,
    54). While suspended, Germany raises its deliveries by ``german_catch_up_share`` of its
    export capacity.
    """

    phases = ("reciprocity",)

    def __init__(self, watch: BalanceWatch):
        self.watch = watch

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> ReciprocityRule:
        return cls(BalanceWatch(path, table, view, goods, interval=6))

    def reciprocity(
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        w = self.watch
        w.review(month, treaty.first, active, state.arrears_rm, state.due_clearing_rm)
        now = w.suspended(month) & active
        state.held |= now[:, None] & w.suspend_mask[None, :]
        state.catch_up = np.maximum(state.catch_up, now * w.german_catch_up_share)
        state.threatened |= w.threatened


@dataclass
class TransitRule:
    """Goods the USSR lets cross its territory on a route, within a window."""

    goods_mask: np.ndarray  # (G,)
    route: str
    first: np.ndarray
    last: np.ndarray
    phases = ("obligations",)

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
        self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth
    ) -> None:
        """Which goods may transit this month."""
        inside = (self.first <= month) & (month <= self.last) & active
        state.transit |= inside[:, None] & self.goods_mask[None, :]


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
                    str(spec.get("route", "trans_siberian")),
                )
            )
        return cls(entries)


RULES: dict[str, type] = {
    "quotas": QuotaRule,
    "values": ValuesRule,
    "credit": CreditRule,
    "reciprocity": ReciprocityRule,
    "transit": TransitRule,
    "third_party_purchase": ThirdPartyPurchaseRule,
}
TREATY_KEYS = ("title", "parties", "signed", "from", "to", *RULES)


@dataclass
class Treaty:
    id: str
    index: int  # position in the scenario's treaties
    title: str
    parties: tuple[str, ...]
    first: np.ndarray  # (R,) month index
    last: np.ndarray
    rules: dict[str, Any]

    @classmethod
    def from_view(
        cls, treaty_id: str, index: int, view: ParameterView, goods: GoodsCatalogue
    ) -> Treaty:
        base = f"treaties.{treaty_id}"
        table = view.raw(base)
        rules = {}
        for name, rule_cls in RULES.items():
            if name in table:
                rules[name] = rule_cls.build(f"{base}.{name}", table[name], view, goods)
        return cls(
            id=treaty_id,
            index=index,
            title=str(table.get("title", treaty_id)),
            parties=tuple(table.get("parties", ("germany", "soviet_union"))),
            first=view.month(f"{base}.from"),
            last=view.month(f"{base}.to"),
            rules=rules,
        )

    @property
    def german_soviet(self) -> bool:
        return set(self.parties) == {"germany", "soviet_union"}

    def act(self, phase: str, month: int, active: np.ndarray, state: TreatyMonth) -> None:
        """Let every rule of this treaty that acts in ``phase`` do so."""
        for rule in self.rules.values():
            if phase in rule.phases:
                getattr(rule, phase)(month, self, active, state)

    def active(self, month: int, trade_ended: np.ndarray) -> np.ndarray:
        """(R,) bool: in force this month (and not ended by an invasion)."""
        inside = (self.first <= month) & (month <= self.last)
        return inside & ~(trade_ended & self.german_soviet)


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
        rule = t.rules.get("values")
        if rule is None or not rule.owes_counter_value:
            continue
        later = active[t.id] & (rule.german_first <= month) & (rule.german_first > best)
        best = np.where(later, rule.german_first, best)
        owner = np.where(later, t.index, owner)
    return owner
