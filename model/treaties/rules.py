"""Treaties as data: parties, a period in force, and rules looked up by name.

A treaty table in a scenario has ``title``, ``parties``, ``signed``, ``from`` and ``to``,
and any of these rules (docs/architecture.md §4), each a sub-table named after the rule:

- ``quotas``: per good, a quantity (or ``value_rm``) over a delivery window, with a
  delivery profile (``even``, ``front_loaded``, ``back_loaded``);
- ``values``: RM the Soviet side delivers over a window in a mix of goods (Schedule C of
  the 1939 credit agreement, row 29), RM Germany owes over a window (``german_rm``), or the
  ratio of German to Soviet deliveries Germany owes (``german_ratio``, row 37);
- ``credit``: a credit line with interest and a drawing window (rows 25-28);
- ``reciprocity``: the owed side reviews the balance and suspends goods (rows 38, 51, 53);
- ``transit``: goods allowed over a route through the USSR (rows 49-50, 79-84);
- ``third_party_purchase``: the USSR buys a good from a supplier and passes it on (row 85);
- ``barter_only``: dues are held in any month Germany is in arrears (a counterfactual).

An invasion ends every German-Soviet treaty at once (``trade_ended``). Rules are plug-ins:
:data:`RULES` maps each name to its class; an unknown name is rejected with the list of
valid ones (scipy's ``solve_ivp`` ``METHODS`` habit).

**One protocol** (:class:`~model.treaties.month.TreatyRule`, checked by :func:`register`).
Each rule class declares the phases of the month it acts in (``phases``, a subset of
:data:`PHASES`) and implements a method of the same name taking
``(month, treaty, active, state)``: ``obligations`` adds to what falls due this month,
``reciprocity`` lets the owed side review the balance, ``clearing`` settles the account.
``state`` is the month's :class:`TreatyMonth`, which the model reads after each phase; the
model loops over the rules in force and never names one. Each class also declares its
sub-table (``SCHEMA``: kinds, bounds, defaults), from which :data:`SCHEMA` (``[treaties]``)
is assembled. Adding a rule is one module of this package and one line in :data:`RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.treaties.barter import BarterOnlyRule
from model.treaties.credit import CreditRule
from model.treaties.month import PHASES, CarriesGoods, TreatyMonth, TreatyRule, checked_registry
from model.treaties.purchase import ThirdPartyPurchaseRule
from model.treaties.quotas import QuotaRule
from model.treaties.reciprocity import ReciprocityRule
from model.treaties.transit import TransitRule
from model.treaties.values import ValuesRule, counter_value_owner
from model.world.goods import GoodsCatalogue
from model.world.kinds import MONTH, START, ordered
from model.world.nodes import ListOf, MapOf, Month, Name, Node, Ref, Table, Text
from model.world.parameters import ParameterView
from model.world.routes import FlowSpec


def register(rules: Mapping[str, type]) -> dict[str, type[TreatyRule]]:
    """The registry, checked when it is built (:func:`~model.treaties.month.checked_registry`):
    every rule acts in phases of :data:`PHASES`, implements them and ``build``
    (:class:`TreatyRule`) and declares its ``SCHEMA``."""
    return checked_registry(rules, PHASES, "treaty rule", needs=("build",))


RULES = register(  # name -> rule class; each declares its sub-table (SCHEMA)
    {
        "quotas": QuotaRule,
        "values": ValuesRule,
        "credit": CreditRule,
        "reciprocity": ReciprocityRule,
        "transit": TransitRule,
        "third_party_purchase": ThirdPartyPurchaseRule,
        "barter_only": BarterOnlyRule,
    }
)
HEAD: dict[str, Node] = {
    "title": Text(),
    "parties": ListOf(
        Ref("parties", "party", "parties"), min_len=2, default=("germany", "soviet_union")
    ),
    "signed": Month(none=True),
    "from": START,  # "none": the treaty never comes into force
    "to": MONTH,
}
TREATY_KEYS = (*HEAD, *RULES)


def _unknown_key(key: str, fields: Mapping[str, Node]) -> str:
    return (
        f"unknown rule {key!r}; rule names are: {', '.join(RULES)} "
        f"(other treaty keys: {', '.join(HEAD)})"
    )


# ``[treaties.<id>]``: the head, then any of the rules' sub-tables
SCHEMA = MapOf(
    Name(),
    Table(
        {**HEAD, **{name: rule.SCHEMA for name, rule in RULES.items()}},
        required=("from", "to"),
        rules=(ordered(),),
        unknown=_unknown_key,
    ),
)


@dataclass
class Treaty:
    id: str
    index: int  # position in the scenario's treaties
    parties: tuple[str, ...]
    first: np.ndarray  # (R,) month index
    last: np.ndarray
    rules: dict[str, Any]
    due_slot: int = -1  # where its Soviet dues are kept (TreatyMonth.soviet_due); -1: none

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
            parties=tuple(view.raw(f"{base}.parties")),
            first=view.month(f"{base}.from"),
            last=view.month(f"{base}.to"),
            rules=rules,
        )

    def flows(self, goods: GoodsCatalogue) -> list[FlowSpec]:
        """The flows of its rules that carry goods of their own (:class:`CarriesGoods`)."""
        return [
            f
            for rule in self.rules.values()
            if isinstance(rule, CarriesGoods)
            for f in rule.flows(goods)
        ]

    @property
    def owes_soviet_goods(self) -> bool:
        """Its rules make Soviet goods fall due (quotas, or a Soviet value in a mix)."""
        values = self.rules.get("values")
        return "quotas" in self.rules or (values is not None and values.soviet_rm is not None)

    @property
    def german_soviet(self) -> bool:
        return set(self.parties) == {"germany", "soviet_union"}

    def act(
        self, phase: str, month: int | np.ndarray, active: np.ndarray, state: TreatyMonth
    ) -> None:
        """Let every rule of this treaty that acts in ``phase`` do so."""
        for rule in self.rules.values():
            if phase in rule.phases:
                getattr(rule, phase)(month, self, active, state)

    def active(self, month: int | np.ndarray, trade_ended: np.ndarray) -> np.ndarray:
        """(R,) bool: in force this month (and not ended by an invasion)."""
        inside = (self.first <= month) & (month <= self.last)
        return inside & ~(trade_ended & self.german_soviet)


def settle_treaties(
    treaties: list[Treaty], active: dict[str, np.ndarray], month: int, state: TreatyMonth
) -> None:
    """Phase 7 of the treaties: name the treaty this month's Soviet deliveries count under
    (:func:`~model.treaties.values.counter_value_owner`), then let every rule in force that
    acts in ``clearing`` settle its part of the account into ``state``."""
    state.owner = counter_value_owner(treaties, active, month)
    for t in treaties:
        t.act("clearing", month, active[t.id], state)
