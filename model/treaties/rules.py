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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.parameters import ParameterView

PROFILES = ("even", "front_loaded", "back_loaded")


def window_share(month: int, first: np.ndarray, last: np.ndarray, profile: str = "even") -> np.ndarray:
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

    entries: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, str]]  # good, qty, first, last, profile

    @classmethod
    def build(cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue) -> QuotaRule:
        entries = []
        for good, spec in table.items():
            g = goods.index(good)
            p = f"{path}.{good}"
            if "quantity" in spec:
                qty = view.number(f"{p}.quantity")
            else:
                qty = view.number(f"{p}.value_rm") / goods.price_rm_per_unit[g]
            entries.append(
                (g, qty, view.month(f"{p}.from"), view.month(f"{p}.to"), str(spec.get("profile", "even")))
            )
        return cls(entries)

    def soviet_due(self, month: int, out: np.ndarray) -> None:
        for g, qty, first, last, profile in self.entries:
            out[:, g] += qty * window_share(month, first, last, profile)


@dataclass
class ValuesRule:
    """RM to be delivered by each side: a Soviet mix, a German sum, or a German ratio."""

    soviet_rm: np.ndarray | None
    soviet_first: np.ndarray | None
    soviet_last: np.ndarray | None
    soviet_mix_units_per_rm: np.ndarray | None  # (G,) units of each good per RM
    german_rm: np.ndarray | None
    german_ratio: np.ndarray | None
    german_first: np.ndarray
    german_last: np.ndarray

    @classmethod
    def build(cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue) -> ValuesRule:
        soviet_rm = view.number(f"{path}.soviet_rm") if "soviet_rm" in table else None
        mix = None
        if soviet_rm is not None:
            shares = np.zeros(goods.n)
            for good, share in table["soviet_mix"].items():
                shares[goods.index(good)] = float(share)
            mix = shares / shares.sum() / goods.price_rm_per_unit
        has_german = "german_rm" in table or "german_ratio" in table
        return cls(
            soviet_rm=soviet_rm,
            soviet_first=view.month(f"{path}.soviet_from") if soviet_rm is not None else None,
            soviet_last=view.month(f"{path}.soviet_to") if soviet_rm is not None else None,
            soviet_mix_units_per_rm=mix,
            german_rm=view.number(f"{path}.german_rm") if "german_rm" in table else None,
            german_ratio=view.number(f"{path}.german_ratio") if "german_ratio" in table else None,
            german_first=view.month(f"{path}.german_from") if has_german else np.zeros(view.n_runs, int),
            german_last=view.month(f"{path}.german_to") if has_german else np.zeros(view.n_runs, int),
        )

    def soviet_due(self, month: int, out: np.ndarray) -> None:
        if self.soviet_rm is not None:
            rm = self.soviet_rm * window_share(month, self.soviet_first, self.soviet_last)
            out += rm[:, None] * self.soviet_mix_units_per_rm[None, :]

    def german_due_rm(self, month: int) -> np.ndarray:
        """Fixed German obligations (e.g. credit-financed orders) falling due this month."""
        if self.german_rm is None:
            return 0.0
        return self.german_rm * window_share(month, self.german_first, self.german_last)

    def ratio(self, month: int) -> np.ndarray:
        """German RM owed per RM of Soviet deliveries this month (0 outside the window)."""
        if self.german_ratio is None:
            return 0.0
        inside = (self.german_first <= month) & (month <= self.german_last)
        return self.german_ratio * inside


@dataclass
class CreditRule:
    """A merchandise credit: German deliveries drawn on a line, with interest."""

    line_rm: np.ndarray
    interest_share_per_year: np.ndarray
    draw_first: np.ndarray
    draw_last: np.ndarray
    repayment_start_year: int

    @classmethod
    def build(cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue) -> CreditRule:
        return cls(
            line_rm=view.number(f"{path}.line_rm"),
            interest_share_per_year=view.number(f"{path}.interest_share_per_year", 0.0),
            draw_first=view.month(f"{path}.draw_from"),
            draw_last=view.month(f"{path}.draw_to"),
            repayment_start_year=int(table.get("repayment_start_year", 1946)),
        )

    def drawable(self, month: int) -> np.ndarray:
        return (self.draw_first <= month) & (month <= self.draw_last)


@dataclass
class ReciprocityRule:
    """The owed side (the USSR) reviews the clearing balance and suspends goods.

    At each review month (every ``review_interval_months`` from the treaty's start), if
    German arrears exceed the tolerated imbalance -- ``tolerated_imbalance_rm`` and, when
    given, ``tolerated_shortfall_share`` of all that Germany owes on the clearing account
    (row 38: deliveries must keep to a fixed *ratio*, so the same arrears weigh less once
    much has been delivered) -- the listed goods are suspended for ``suspension_months``;
    a suspension ends early once arrears fall below ``resume_below_share`` of the
    tolerance. While suspended, Germany raises its deliveries by
    ``german_catch_up_share`` of its export capacity (rows 38, 51, 53).
    """

    interval: int
    tolerated_rm: np.ndarray
    suspend_mask: np.ndarray  # (G,)
    suspension_months: int
    resume_below_share: float
    german_catch_up_share: float
    tolerated_shortfall_share: np.ndarray = field(default=None)  # (R,) share of the clearing dues
    suspended_until: np.ndarray = field(default=None)  # (R,) month index

    @classmethod
    def build(cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue) -> ReciprocityRule:
        return cls(
            interval=int(table.get("review_interval_months", 6)),
            tolerated_rm=view.number(f"{path}.tolerated_imbalance_rm"),
            suspend_mask=goods.mask(table.get("suspend_goods", [])),
            suspension_months=int(table.get("suspension_months", 1)),
            resume_below_share=float(table.get("resume_below_share", 0.5)),
            german_catch_up_share=float(table.get("german_catch_up_share", 0.0)),
            tolerated_shortfall_share=view.number(f"{path}.tolerated_shortfall_share", 0.0),
            suspended_until=np.full(view.n_runs, -1, dtype=np.int64),
        )

    def review(
        self, month: int, start: np.ndarray, active: np.ndarray, arrears_rm: np.ndarray, due_rm: np.ndarray | float = 0.0
    ) -> None:
        """``due_rm``: all that Germany has owed on the clearing account so far (R,)."""
        review_month = active & (((month - start) % self.interval) == 0)
        suspended = self.suspended_until > month
        lagging = (arrears_rm > self.tolerated_rm) & (arrears_rm > self.tolerated_shortfall_share * due_rm)
        start_now = review_month & ~suspended & lagging
        self.suspended_until = np.where(start_now, month + self.suspension_months, self.suspended_until)
        resume = suspended & (arrears_rm < self.resume_below_share * self.tolerated_rm)
        self.suspended_until = np.where(resume | ~active, np.minimum(self.suspended_until, month), self.suspended_until)

    def suspended(self, month: int) -> np.ndarray:
        return self.suspended_until > month


@dataclass
class TransitRule:
    """Goods the USSR lets cross its territory on a route, within a window."""

    goods_mask: np.ndarray  # (G,)
    route: str
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def build(cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue) -> TransitRule:
        return cls(
            goods_mask=goods.mask(table["goods"]),
            route=str(table["route"]),
            first=view.month(f"{path}.from"),
            last=view.month(f"{path}.to"),
        )

    def allowed(self, month: int) -> np.ndarray:
        """(R, G) bool: which goods may transit this month."""
        inside = (self.first <= month) & (month <= self.last)
        return inside[:, None] & self.goods_mask[None, :]


@dataclass
class ThirdPartyPurchaseRule:
    """The USSR buys goods from a supplier and passes them on to Germany (row 85)."""

    entries: list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray, str]]  # good, supplier, per_month, first, last, route

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
    title: str
    parties: tuple[str, ...]
    first: np.ndarray  # (R,) month index
    last: np.ndarray
    rules: dict[str, Any]

    @classmethod
    def from_view(cls, treaty_id: str, view: ParameterView, goods: GoodsCatalogue) -> Treaty:
        base = f"treaties.{treaty_id}"
        table = view.raw(base)
        rules = {}
        for name, rule_cls in RULES.items():
            if name in table:
                rules[name] = rule_cls.build(f"{base}.{name}", table[name], view, goods)
        return cls(
            id=treaty_id,
            title=str(table.get("title", treaty_id)),
            parties=tuple(table.get("parties", ("germany", "soviet_union"))),
            first=view.month(f"{base}.from"),
            last=view.month(f"{base}.to"),
            rules=rules,
        )

    @property
    def german_soviet(self) -> bool:
        return set(self.parties) == {"germany", "soviet_union"}

    def active(self, month: int, trade_ended: np.ndarray) -> np.ndarray:
        """(R,) bool: in force this month (and not ended by an invasion)."""
        inside = (self.first <= month) & (month <= self.last)
        return inside & ~(trade_ended & self.german_soviet)
