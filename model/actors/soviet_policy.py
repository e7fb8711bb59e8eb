"""The Soviet export policy: named rules that decide how much of the treaty dues to ship.

What the USSR ships to Germany each month is its outstanding treaty dues, cut in turn by
(docs/architecture.md §3; rows 37-38, 51-57, 61):

1. **supply** -- what its export pool holds (the Soviet economy, :mod:`model.actors.soviet_union`);
2. **suspension** -- goods held back: the treaty's own balancing (the ``reciprocity`` treaty
   rule, row 38), this policy's monthly watch on the clearing account (``suspension``: the
   spring-1940 stop came about seven weeks after signing, row 51, not at a six-monthly
   reckoning) and dated political events (``political_events``: embargoes);
3. **pacing** -- the value shipped is kept within what German counter-deliveries justify
   (``clearing_pacing``): the USSR lets its deliveries run ahead of Germany's by the
   treaty's own horizons (Soviet deliveries within 18 months, German within 27: row 37)
   plus a tolerated lead, tightened while a political threat stands (Aug-Sep 1940, row 53),
   each good against its own share (by the export plan);
4. **rail** -- the border crossings and the gauge change (``border_rail``; rows 49, 79-85);
5. **lifting** -- goods that leave by another route (``soviet_union.routes_by_good``: timber
   by sea, lifted by German ships, row 59) are limited by that route.

Each rule is a plug-in looked up by name in :data:`POLICIES` from
``[soviet_union.policy.<name>]``; an unknown name is rejected with the list of valid ones.
One protocol (:class:`PolicyRule`, checked at registration as the treaty rules are): a rule
declares the steps it acts in (``phases``, of :data:`POLICY_PHASES`) and implements a method
of each name -- ``review`` the clearing account (suspension), ``held_back`` goods
(suspension, political events), scale the pacing's ``lead_factor`` (political events), give
a ``budget_by_good`` and ``record`` what shipped against it (pacing), fit the offer to the
``routes`` (the rail rule, by the routes' capacities in the scenario). The Soviet Union asks
every rule in force that acts in a step, in the order above, names none, and records per
month and good which step bound (:data:`BINDING`).

Units: RM for values, each good's unit for quantities, month indices for dates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from model.treaties.month import checked_registry
from model.treaties.reciprocity import BalanceWatch
from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, MONTHS, QUANTITY
from model.world.nodes import Choice, ListOf, Month, Node, Number, Table, Text
from model.world.parameters import NEVER, ParameterView

# What limited Soviet deliveries of a good in a month, as recorded (trajectory `binding`):
BINDING = ("no_dues", "quota", "supply", "suspension", "pacing", "rail", "lifting")
BINDING_CODE = {name: code for code, name in enumerate(BINDING)}


def binding_shares(codes: np.ndarray) -> dict[str, float]:
    """Share of the run-months with treaty dues in which each constraint bound, largest first.

    ``codes``: recorded ``binding`` codes of one good, any shape (months x runs); months
    with nothing due (``no_dues``) are left out. Empty when nothing was ever due.
    """
    codes = np.asarray(codes).astype(int).ravel()
    due = codes[codes != BINDING_CODE["no_dues"]]
    if not len(due):
        return {}
    counts = np.bincount(due, minlength=len(BINDING))
    shares = {
        BINDING[k]: counts[k] / len(due) for k in np.argsort(-counts, kind="stable") if counts[k]
    }
    return shares


def describe_binding(codes: np.ndarray, top: int = 2) -> str:
    """``"supply 48 %, rail 29 %"``: what limited a good's Soviet deliveries most of the time."""
    shares = binding_shares(codes)
    if not shares:
        return "nothing due"
    return ", ".join(f"{name} {share:.0%}" for name, share in list(shares.items())[:top])


@dataclass
class PolicyMonth:
    """What the policy rules read in a month: the clearing account and the trade state (R,)."""

    month: int
    trading: np.ndarray
    arrears_rm: np.ndarray
    due_clearing_rm: np.ndarray
    soviet_delivered_rm: np.ndarray
    german_delivered_rm: np.ndarray
    due_ratio: np.ndarray  # German RM owed per Soviet RM delivered, by the treaty horizons


# ---------------------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------------------
class SuspensionPolicy:
    """The USSR's own watch on the clearing account, month by month (rows 51, 61).

    Between the treaty's six-monthly reckonings the USSR looked at the balance itself: it
    stopped oil and grain in late March 1940, about seven weeks after signing (row 51),
    when Germany had delivered next to nothing. Reviewed every ``review_interval_months``
    (monthly in the baseline) from the start of each German-Soviet treaty in force.
    """

    phases = ("review", "held_back")
    SCHEMA: ClassVar[Node] = BalanceWatch.SCHEMA

    def __init__(
        self, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ):
        self.watch = BalanceWatch(path, table, view, goods)

    def review(self, ctx: PolicyMonth, start: np.ndarray) -> np.ndarray:
        """Review the account; return Germany's catch-up share (R,) while goods are held."""
        self.watch.review(ctx.month, start, ctx.trading, ctx.arrears_rm, ctx.due_clearing_rm)
        return self.watch.suspended(ctx.month) * self.watch.german_catch_up_share

    def held_back(self, month: int) -> np.ndarray:
        return self.watch.suspended(month)[:, None] & self.watch.suspend_mask[None, :]


class PacingPolicy:
    """Keep the value shipped of each good within its share of what German counter-deliveries justify.

    The treaty horizons (18 months for Soviet deliveries, 27 for German, row 37) let Germany
    lag by their ratio, and ``lead_rm`` is the further advance the USSR tolerated, so the
    USSR's deliveries may stay within ``(german_delivered + lead_rm x factor) / due_ratio``
    (rows 37, 61); a standing political threat scales the lead by its ``lead_factor``
    (row 53). How that value was shared among goods is not in the record. Each good is
    paced on its own account: its cumulative deliveries stay within the share of the
    allowed value that its planned export to Germany (the monthly surplus less other
    buyers', as for the routes' room) has among the goods fallen due so far -- an analogy
    with the Soviet export trade, run by good by export corporations (Exportkhleb, Exportles,
    Soyuznefteexport) each on its own plan. A good that could not ship its share keeps the
    room for later; no other good takes it. So asking more of one good never takes value
    from another: the shares do not depend on the quotas, only on which goods are owed.
    """

    phases = ("budget_by_good", "record")
    SCHEMA: ClassVar[Node] = Table(
        {"lead_rm": QUANTITY, "from": Month(sampled=True, default="1934-01")}, required=("lead_rm",)
    )

    def __init__(
        self, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ):
        self.lead_rm = view.number(f"{path}.lead_rm")
        self.price = goods.price_rm_per_unit
        # the deliveries counted are those from ``from`` on (absent: the window's start), so
        # that a run starting in 1934 paces the pact era as the baseline does, not on the
        # balance of the 1930s
        self.first = view.month(f"{path}.from")
        self.german_before = np.zeros(view.n_runs)
        self.soviet_before = np.zeros(view.n_runs)
        self.owed_before = np.zeros(view.n_runs)
        self.due_rm = np.zeros((view.n_runs, goods.n))  # value fallen due by good, from `first`
        self.shipped_rm = np.zeros((view.n_runs, goods.n))  # value of the dues shipped, by good

    def allowed_rm(self, ctx: PolicyMonth, lead_factor: np.ndarray | float) -> np.ndarray:
        """Value (R,) the USSR may have delivered in all since ``from``, by the clearing.

        What Germany owes for the deliveries so far is the treaties' own reckoning
        (``due_clearing_rm``: each agreement's deliveries at its horizons' ratio, row 37); the
        USSR may add deliveries until that, less what Germany delivered, reaches the lead,
        each new RM owed at the ratio of the agreement now in force.
        """
        before = ctx.month < self.first  # the cumulative totals run to the month before
        self.german_before = np.where(before, ctx.german_delivered_rm, self.german_before)
        self.soviet_before = np.where(before, ctx.soviet_delivered_rm, self.soviet_before)
        self.owed_before = np.where(before, ctx.due_clearing_rm, self.owed_before)
        german = ctx.german_delivered_rm - self.german_before
        soviet = ctx.soviet_delivered_rm - self.soviet_before
        owed = ctx.due_clearing_rm - self.owed_before
        room = np.maximum(german + self.lead_rm * lead_factor - owed, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                ctx.due_ratio > 0,
                soviet + room / np.where(ctx.due_ratio > 0, ctx.due_ratio, 1.0),
                np.inf,
            )

    def budget_by_good(
        self,
        ctx: PolicyMonth,
        lead_factor: np.ndarray | float,
        due: np.ndarray,
        plan_rm: np.ndarray,
    ) -> np.ndarray:
        """Units (R, G) of each good the USSR may ship this month.

        ``due`` (R, G): what fell due this month; ``plan_rm`` (R, G): the monthly export plan
        to Germany by value. The allowed value is shared among the goods that have fallen due
        so far by their share of the plan. Value delivered outside the dues (purchases abroad
        on Germany's behalf, row 85) is taken off the allowed value before it is shared.
        """
        counting = (ctx.month >= self.first)[:, None]
        self.due_rm += due * self.price[None, :] * counting
        allowed = self.allowed_rm(ctx, lead_factor)
        own = self.shipped_rm.sum(axis=1)  # not BLAS: bitwise equal for any R
        others = np.maximum(ctx.soviet_delivered_rm - self.soviet_before - own, 0.0)
        allowed = np.maximum(allowed - others, 0.0)
        weight = plan_rm * (self.due_rm > 0)
        total = weight.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                total[:, None] > 0, weight / np.where(total > 0, total, 1.0)[:, None], 0.0
            )
            room = np.maximum(share * allowed[:, None] - self.shipped_rm, 0.0)
            # an infinite allowance (no German dues yet) leaves every good unpaced, and so
            # do the months before ``from`` (the 1930s of a long run)
            unpaced = np.isinf(allowed) | (ctx.month < self.first)
            room = np.where(unpaced[:, None], np.inf, room)
            price = np.where(self.price > 0, self.price, 1.0)
            return np.where(self.price[None, :] > 0, room / price[None, :], np.inf)

    def record(self, month: int, loaded: np.ndarray) -> None:
        """Count this month's shipments of the dues (R, G) against each good's share."""
        self.shipped_rm += loaded * self.price[None, :] * (month >= self.first)[:, None]


@dataclass
class PoliticalEvent:
    kind: str
    first: np.ndarray  # (R,) month index
    last: np.ndarray
    goods_mask: np.ndarray  # (G,)
    lead_factor: float


class EventsPolicy:
    """Dated political events with uncertain dates (rows 53, 55, 57).

    Each ``[[soviet_union.policy.political_events]]`` has a ``kind``: ``embargo`` (the listed
    goods are not shipped from ``month`` for ``months``) or ``threat`` (the pacing lead is
    scaled by ``lead_factor`` for ``months``: the Aug-Sep 1940 threat to "temporarily
    discontinue deliveries", row 53).
    """

    KINDS = ("embargo", "threat")
    phases = ("held_back", "lead_factor")
    SCHEMA: ClassVar[Node] = ListOf(
        Table(
            {
                "kind": Choice(KINDS, "kind of political event"),
                "month": MONTH,
                "months": MONTHS,
                "goods": ListOf(GOOD),
                "lead_factor": Number(low=0, default=1.0),
                "note": Text(),
            },
            required=("kind", "month"),
        )
    )

    def __init__(self, path: str, table: Any, view: ParameterView, goods: GoodsCatalogue):
        self.events = []
        for i, spec in enumerate(table):
            p = f"{path}[{i}]"
            first = view.month(f"{p}.month")
            months = view.raw(f"{p}.months")
            last = first + int(months) - 1 if months is not None else np.full(view.n_runs, NEVER)
            self.events.append(
                PoliticalEvent(
                    kind=str(spec["kind"]),
                    first=first,
                    last=last,
                    goods_mask=goods.mask(view.raw(f"{p}.goods")),
                    lead_factor=float(view.raw(f"{p}.lead_factor")),
                )
            )

    def _live(self, e: PoliticalEvent, month: int) -> np.ndarray:
        return (e.first <= month) & (month <= e.last)

    def held_back(self, month: int) -> np.ndarray | None:
        """(R, G) bool of goods under an embargo this month, or None when no event is one."""
        out: np.ndarray | None = None
        for e in self.events:
            if e.kind == "embargo":
                now = self._live(e, month)[:, None] & e.goods_mask[None, :]
                out = now if out is None else out | now
        return out

    def lead_factor(self, month: int) -> np.ndarray | float:
        factor: np.ndarray | float = 1.0
        for e in self.events:
            if e.kind == "threat":
                factor = factor * np.where(self._live(e, month), e.lead_factor, 1.0)
        return factor


class RailPolicy:
    """The border railway: load no more than the gauge-change stations can transship.

    The USSR plans its own shipments within the tonnage left on the route after the Far
    Eastern transit and the purchases it has accepted (rows 49, 79-85); what does not fit
    stays in the pool and its dues are carried forward. The route's capacity is data
    (``routes.<route>``); this rule only says that the USSR plans by it.
    """

    phases = ("routes",)
    SCHEMA: ClassVar[Node] = Table({}, empty_ok=True)

    def __init__(
        self, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ):
        pass

    def routes(
        self, offer: np.ndarray, fit: Callable[..., np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The offer (K, R, G) fitted to the border railway, then to the other routes
        (``fit(offer, rail)``: the USSR's room on them, :meth:`SovietUnion._fit_to_routes`)."""
        railed = fit(offer, rail=True)
        return railed, fit(railed, rail=False)


# the steps of the USSR's month a policy rule may act in, in the order they are taken
POLICY_PHASES = ("review", "held_back", "lead_factor", "budget_by_good", "routes", "record")


class PolicyRule(Protocol):
    """What every Soviet policy rule is: built from its table, declaring that table
    (``SCHEMA``) and the steps it acts in (``phases``, of :data:`POLICY_PHASES`), with a
    method of each step's name (their signatures are those of the rules above)."""

    phases: ClassVar[tuple[str, ...]]
    SCHEMA: ClassVar[Node]

    def __init__(
        self, path: str, table: Any, view: ParameterView, goods: GoodsCatalogue
    ) -> None: ...


POLICIES: dict[str, type[PolicyRule]] = checked_registry(
    {
        "suspension": SuspensionPolicy,
        "clearing_pacing": PacingPolicy,
        "political_events": EventsPolicy,
        "border_rail": RailPolicy,
    },
    POLICY_PHASES,
    "Soviet policy rule",
)


def _unknown_policy(key: str, fields: Mapping[str, Node]) -> str:
    return f"unknown Soviet policy rule {key!r}; rule names are: {', '.join(POLICIES)}"


# ``[soviet_union.policy]``: one sub-table per rule of POLICIES, each declared by its class
SCHEMA = Table(
    {name: rule.SCHEMA for name, rule in POLICIES.items()},
    unknown=_unknown_policy,
    empty_ok=True,
    default={},
)


class ExportPolicy:
    """The rules in force, in the registry's order; :meth:`acting` lists those of a step."""

    def __init__(self, rules: Mapping[str, PolicyRule]):
        self.rules = dict(rules)
        self._acting = {
            p: tuple(r for r in self.rules.values() if p in r.phases) for p in POLICY_PHASES
        }

    @classmethod
    def from_view(cls, view: ParameterView, goods: GoodsCatalogue) -> ExportPolicy:
        table = view.raw("soviet_union.policy")
        unknown = [name for name in table if name not in POLICIES]
        if unknown:  # the schema rejects these first; this guards the Python API
            raise ValueError(
                f"unknown Soviet policy rule {unknown[0]!r}; rule names are: {', '.join(POLICIES)}"
            )
        return cls(
            {
                name: rule(f"soviet_union.policy.{name}", table[name], view, goods)
                for name, rule in POLICIES.items()
                if name in table
            }
        )

    def acting(self, phase: str) -> tuple[Any, ...]:
        """The rules in force that act in ``phase`` (one of :data:`POLICY_PHASES`)."""
        return self._acting[phase]
