"""The schema of a scenario file, written as data, and the check of a resolved scenario.

:func:`validate` is called by :func:`model.files.scenario.load` on the resolved scenario (after
``extends`` has been merged). It raises ONE :class:`~model.errors.ScenarioError` -- the
first problem found -- naming the file, the key path (``treaties.commercial_1940.quotas.
oil.quantity``, ``germany.synthetic.oil.schedule[2].t_per_month``) and what was expected.

The schema (:data:`SCENARIO`) mirrors ``scenarios/baseline.toml`` key by key. It is built
from a handful of node types, each of which checks one value:

- :class:`Number` -- finite, of magnitude 0 or 1e-12..1e15 (beyond, float64 sums over
  months overflow or underflow), within bounds (a *share* lies in [0, 1]; quantities are
  non-negative), an integer where the code needs one (``transit_months``, at most 144);
- :class:`Identifier` -- the scenario's ``name``: a letter, then up to 63 letters, digits,
  ``_`` or ``-`` (it labels tables and names a file inside a result folder: never a path);
- :class:`Month` -- ``YYYY-MM`` in the engine's range; ``"none"`` (never) where the code
  accepts it; inside the scenario window for one-off events (invasion, conquests, lots);
- :class:`Ref` -- the name of a good, route, supplier, war phase or treaty party that
  exists in this scenario (the error lists the valid names);
- :class:`Table` (fixed keys; unknown keys are rejected with the allowed ones),
  :class:`MapOf` (keys are goods, years or free names) and :class:`ListOf`.

A number or month the model reads through ``ParameterView.number`` / ``.month`` is
``sampled``: it may be a distribution (``{dist = ...}``, :mod:`model.world.distributions`),
whose spec is checked and whose whole range must satisfy the same bounds. Values read as
plain data (``view.raw``) must be plain. Cross-key rules (a window's ``to`` on or after
its ``from``, schedules in order, exactly one of two keys) are small functions attached
to the tables they concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.files.nodes import (
    Choice,
    Context,
    Flag,
    Identifier,
    ListOf,
    MapOf,
    Month,
    Name,
    Node,
    Number,
    Ref,
    Table,
    Text,
    Year,
    _join,
)
from model.files.rules import at_least_one, exactly_one, offered_by_supplier, ordered, together
from model.world.calendar import MonthError, parse_month
from model.world.distributions import is_distribution
from model.world.routes import SOVIET_ROUTE

# A route's transit time sizes the model's in-transit arrays (months x runs x goods): longer
# than the engine's whole calendar (1934-01..1945-12) it would only allocate memory
MAX_TRANSIT_MONTHS = 144

# The delivery profiles a quota may name. The treaty rules a treaty may hold are the keys of
# RULE_SCHEMAS below: this file declares them as data and does not import model.treaties;
# tests/unit/test_schema.py holds that the rule registry (model.treaties.rules) agrees.
PROFILES = ("even", "front_loaded", "back_loaded")
# War phase used from the invasion on when ``invasion_phase`` is not given (model.actors.germany).
DEFAULT_INVASION_PHASE = "campaign"


def positive_sum(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if sum(table.values()) <= 0:
        ctx.fail(where, "the shares of a mix must not all be zero")


def default_invasion_phase(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if "invasion_phase" not in table and DEFAULT_INVASION_PHASE not in ctx.names.get("phases", ()):
        ctx.fail(
            _join(where, "invasion_phase"),
            f"missing; without it the phase '{DEFAULT_INVASION_PHASE}' is used, which is not among the multipliers",
        )


# ---------------------------------------------------------------------------------------
# the schema, key by key as in scenarios/baseline.toml
# ---------------------------------------------------------------------------------------
QUANTITY = Number(low=0, sampled=True)  # non-negative; may be a distribution
PLAIN_QUANTITY = Number(low=0)
SHARE = Number(low=0, high=1, sampled=True)
PLAIN_SHARE = Number(low=0, high=1)
MONTH = Month(sampled=True)
START = Month(sampled=True, none=True)  # "none": never starts
EVENT = Month(sampled=True, none=True, in_window=True)
GOOD = Ref("goods", "good")
ROUTE = Ref("routes", "route")
SUPPLIER = Ref("suppliers", "supplier")
PHASE = Ref("phases", "war phase")
PARTY = Ref("parties", "party", "parties")
TREATY = Ref("treaties", "treaty")
GOODS_QUANTITIES = MapOf(GOOD, QUANTITY)
MIX = MapOf(GOOD, PLAIN_SHARE, min_len=1, rules=(positive_sum,))


def _periods() -> ListOf:
    """A dated list of per-good tables: from each ``from`` on, the goods listed take the
    entry's values (unlisted goods: the base table), until the next entry."""
    return ListOf(
        Table({"from": MONTH, "per_month": GOODS_QUANTITIES}, required=("from", "per_month")),
        ascending="from",
    )


def _harvest(
    amount_key: str, extra: Mapping[str, Node], year_factor: Node = PLAIN_QUANTITY
) -> Table:
    return Table(
        {
            "good": GOOD,
            "calendar_month": Number(low=1, high=12, integer=True),
            amount_key: QUANTITY,
            "shock_sd": PLAIN_QUANTITY,
            "year_factor": MapOf(Year(), year_factor),
            **extra,
        },
        required=("good", "calendar_month", amount_key),
    )


def _schedule(value_key: str, value: Node) -> ListOf:
    return ListOf(
        Table({"from": MONTH, value_key: value}, required=("from", value_key)), ascending="from"
    )


WINDOW = Table(
    {"start": Month(), "end": Month()}, required=("start", "end"), rules=(ordered("start", "end"),)
)

GOODS = MapOf(
    Name(),
    Table(
        {
            "unit": Choice(("t", "kg", "RM"), "unit"),
            "kind": Choice(("raw", "machinery"), "kind of good"),
            "price_rm_per_unit": Number(low=0, positive=True),
            "critical": Flag(),
            "tonnes_per_unit": PLAIN_QUANTITY,
        },
        required=("price_rm_per_unit",),
    ),
    min_len=1,
)

ROUTES = MapOf(
    Name(),
    Table(
        {
            "description": Text(),
            "capacity_t_per_month": QUANTITY,
            "transit_months": Number(low=0, high=MAX_TRANSIT_MONTHS, integer=True),
            "blockade_exposure": PLAIN_SHARE,
            "winter_months": ListOf(Number(low=1, high=12, integer=True)),
            "winter_capacity_share": PLAIN_SHARE,
            "open_from": MONTH,
            "close_from": START,
        },
        required=("capacity_t_per_month",),
        rules=(ordered("open_from", "close_from"),),
    ),
    required=(SOVIET_ROUTE,),
)

GERMANY = Table(
    {
        "initial_stock": GOODS_QUANTITIES,
        "domestic_output_per_month": GOODS_QUANTITIES,
        "harvest": _harvest(
            "output_t", {"output_t_by_year": MapOf(Year(), QUANTITY)}, year_factor=QUANTITY
        ),  # model.germany samples it
        "reserves": MapOf(
            GOOD,
            Table(
                {
                    "initial_t": QUANTITY,
                    "carry_over_from": Month(),
                    "ration_cuts": ListOf(
                        Table(
                            {"below_share": SHARE, "cut_share": SHARE},
                            required=("below_share", "cut_share"),
                        )
                    ),
                },
                rules=(at_least_one("initial_t", "carry_over_from"),),
            ),
        ),
        "recycling": MapOf(GOOD, SHARE),
        "stockpiling": MapOf(
            Name(),
            Table(
                {
                    "from": START,
                    "to": MONTH,
                    "fx_rm_per_month": QUANTITY,
                    "clearing_suppliers": ListOf(SUPPLIER, distinct=True),
                    "goods": MapOf(
                        GOOD,
                        Table(
                            {"target_months": QUANTITY, "supplier": SUPPLIER},
                            required=("target_months", "supplier"),
                        ),
                        min_len=1,
                    ),
                },
                required=("from", "to", "goods"),
                rules=(ordered(), offered_by_supplier),
            ),
        ),
        "synthetic": MapOf(
            GOOD,
            Table(
                {
                    "utilisation": SHARE,
                    "schedule": _schedule("t_per_month", QUANTITY),
                    "capacity_lost": _schedule("share", SHARE),
                },
                required=("schedule",),
            ),
        ),
        "civil_demand_per_month": GOODS_QUANTITIES,
        "civil_demand_by_period": _periods(),
        "domestic_output_by_period": _periods(),
        "military_demand_per_month": GOODS_QUANTITIES,
        "war_phases": Table(
            {
                "multipliers": MapOf(Name(), PLAIN_QUANTITY, min_len=1),
                "schedule": ListOf(
                    Table({"from": MONTH, "phase": PHASE}, required=("from", "phase")), 1, "from"
                ),
                "invasion_phase": PHASE,
                "good_multipliers": MapOf(PHASE, MapOf(GOOD, QUANTITY)),
            },
            required=("multipliers", "schedule"),
            rules=(default_invasion_phase,),
        ),
        "rationing": Table(
            {
                "cover_threshold_months": Number(low=0, positive=True, sampled=True),
                "civil_floor_share": SHARE,
                "military_priority": Flag(),
                "from": MONTH,
            },
            required=("cover_threshold_months", "civil_floor_share"),
        ),
        "substitution": MapOf(
            GOOD,
            Table(
                {"share": SHARE, "military_share": SHARE, "to": GOOD, "ratio": QUANTITY},
                required=("share",),
            ),
        ),
        "exports": Table(
            {
                "capacity_rm_per_month": ListOf(
                    Table({"from": MONTH, "rm": QUANTITY}, required=("from", "rm")), 1, "from"
                ),
                "delivery_share": SHARE,
                "mix": MIX,
                "withheld": Table(
                    {"from": START, "goods": ListOf(GOOD), "share": SHARE},
                    required=("from", "goods", "share"),
                    empty_ok=True,
                ),
                "lots": ListOf(
                    Table(
                        {
                            "good": GOOD,
                            "month": Month(sampled=True, in_window=True),
                            "rm": QUANTITY,
                            "name": Text(),
                            "treaty": TREATY,
                        },
                        required=("good", "month", "rm"),
                    )
                ),
            },
            required=("capacity_rm_per_month", "mix"),
        ),
    },
    required=("harvest", "war_phases", "rationing", "exports"),
)

BALANCE_WATCH: dict[str, Node] = {
    "review_interval_months": Number(low=1, high=120, integer=True),
    "tolerated_imbalance_rm": QUANTITY,
    "tolerated_shortfall_share": SHARE,
    "threat_share": SHARE,
    "suspend_goods": ListOf(GOOD),
    "suspension_months": Number(low=1, high=120, integer=True),
    "resume_below_share": PLAIN_SHARE,
    "german_catch_up_share": PLAIN_SHARE,
    "reckoning_from": Month(sampled=True),
    "from": MONTH,
}

# every number a balance watch acts on is stated in the file (no defaults in the code); a
# missing threat_share means no threat, a missing tolerated_shortfall_share no share test
BALANCE_WATCH_REQUIRED = (
    "review_interval_months",
    "tolerated_imbalance_rm",
    "suspend_goods",
    "suspension_months",
    "resume_below_share",
    "german_catch_up_share",
)

# one schema per rule of model.actors.soviet_policy.POLICIES
POLICY_SCHEMAS: dict[str, Node] = {
    "suspension": Table(BALANCE_WATCH, required=BALANCE_WATCH_REQUIRED),
    "clearing_pacing": Table({"lead_rm": QUANTITY, "from": MONTH}, required=("lead_rm",)),
    "political_events": ListOf(
        Table(
            {
                "kind": Choice(("embargo", "threat"), "kind of political event"),
                "month": Month(sampled=True),
                "months": Number(low=1, high=120, integer=True),
                "goods": ListOf(GOOD),
                "lead_factor": PLAIN_QUANTITY,
                "note": Text(),
            },
            required=("kind", "month"),
        )
    ),
    "border_rail": Table({}, empty_ok=True),
}


def _unknown_policy(key: str, fields: Mapping[str, Node]) -> str:
    return f"unknown Soviet policy rule {key!r}; rule names are: {', '.join(POLICY_SCHEMAS)}"


SOVIET_UNION = Table(
    {
        "pool_cap_months": QUANTITY,
        "exportable_surplus_per_month": GOODS_QUANTITIES,
        "production": MapOf(
            GOOD,
            Table(
                {"t_per_year": QUANTITY, "export_share": SHARE},
                required=("t_per_year", "export_share"),
            ),
        ),
        "other_buyers_share": MapOf(GOOD, SHARE),
        "routes_by_good": MapOf(GOOD, ROUTE),
        "dues_carry_months": Number(low=0, high=120, integer=True),
        "dues_order": Choice(
            ("seniority", "pro_rata"), "order in which the USSR serves its agreements"
        ),
        "harvest": _harvest("exportable_t", {"initial_t": QUANTITY}),
        "policy": Table(POLICY_SCHEMAS, unknown=_unknown_policy, empty_ok=True),
    },
    required=("pool_cap_months", "harvest"),
)

BLOCKADE = Table(
    {
        "import_start": START,
        "export_start": START,
        "effectiveness": SHARE,
        "ramp_months": Number(low=0, integer=True),
        "preemption": ListOf(
            Table(
                {"supplier": SUPPLIER, "good": GOOD, "share": SHARE, "from": MONTH, "to": MONTH},
                required=("supplier", "good", "share", "from", "to"),
                rules=(ordered(),),
            )
        ),
    }
)

SUPPLIERS = MapOf(
    Name(),
    Table(
        {
            "name": Text(),
            "routes": ListOf(ROUTE, min_len=1),
            "route_groups": ListOf(ListOf(ROUTE, min_len=1), min_len=1),
            "offers": ListOf(
                Table(
                    {"good": GOOD, "from": MONTH, "to": MONTH, "per_month": QUANTITY},
                    required=("good", "from", "to", "per_month"),
                    rules=(ordered(),),
                )
            ),
        },
        required=("routes",),
    ),
)

# one schema per treaty rule (model.treaties.rules.RULES has one class per key, in this order)
RULE_SCHEMAS: dict[str, Node] = {
    "quotas": MapOf(
        GOOD,
        Table(
            {
                "quantity": QUANTITY,
                "value_rm": QUANTITY,
                "from": MONTH,
                "to": MONTH,
                "profile": Choice(PROFILES, "delivery profile"),
            },
            required=("from", "to"),
            rules=(exactly_one("quantity", "value_rm"), ordered()),
        ),
    ),
    "values": Table(
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
    ),
    "credit": Table(
        {
            "line_rm": QUANTITY,
            "interest_share_per_year": SHARE,
            "draw_from": MONTH,
            "draw_to": MONTH,
        },
        required=("line_rm", "draw_from", "draw_to"),
        rules=(ordered("draw_from", "draw_to"),),
    ),
    "reciprocity": Table(BALANCE_WATCH, required=BALANCE_WATCH_REQUIRED),
    "transit": Table(
        {"goods": ListOf(GOOD), "route": ROUTE, "from": START, "to": MONTH},
        required=("goods", "route", "from", "to"),
        rules=(ordered(),),
    ),
    "third_party_purchase": MapOf(
        GOOD,
        Table(
            {
                "supplier": SUPPLIER,
                "per_month": QUANTITY,
                "from": MONTH,
                "to": MONTH,
                "route": ROUTE,
            },
            required=("supplier", "per_month", "from", "to"),
            rules=(ordered(),),
        ),
    ),
    "barter_only": Table(
        {"tolerated_imbalance_rm": QUANTITY}, required=("tolerated_imbalance_rm",)
    ),
}


def _unknown_treaty_key(key: str, fields: Mapping[str, Node]) -> str:
    return (
        f"unknown rule {key!r}; rule names are: {', '.join(RULE_NAMES)} "
        f"(other treaty keys: {', '.join(TREATY_HEAD)})"
    )


TREATY_HEAD: dict[str, Node] = {
    "title": Text(),
    "parties": ListOf(PARTY, min_len=2),
    "signed": Month(none=True),
    "from": START,  # "none": the treaty never comes into force
    "to": MONTH,
}
RULE_NAMES = tuple(RULE_SCHEMAS)
TREATY_KEYS = (*TREATY_HEAD, *RULE_NAMES)
TREATIES = MapOf(
    Name(),
    Table(
        {**TREATY_HEAD, **RULE_SCHEMAS},
        required=("from", "to"),
        rules=(ordered(),),
        unknown=_unknown_treaty_key,
    ),
)

EVENTS = Table(
    {
        "invasion": EVENT,
        "conquests": MapOf(
            Name(),
            Table(
                {
                    "month": EVENT,
                    "months_after_invasion": Number(low=0, integer=True),
                    "capture": GOODS_QUANTITIES,
                    "output_per_month": GOODS_QUANTITIES,
                    "military_demand_per_month": GOODS_QUANTITIES,
                },
                rules=(exactly_one("month", "months_after_invasion"),),
            ),
        ),
    }
)

SCENARIO = Table(
    {
        "name": Identifier(),
        "title": Text(),
        "question": Text(),
        "window": WINDOW,
        "goods": GOODS,
        "routes": ROUTES,
        "germany": GERMANY,
        "soviet_union": SOVIET_UNION,
        "blockade": BLOCKADE,
        "suppliers": SUPPLIERS,
        "treaties": TREATIES,
        "events": EVENTS,
        "shocks": Table({"blockade_noise_sd": PLAIN_QUANTITY}),
    },
    required=("window", "goods", "routes", "germany", "soviet_union"),
    first=("window", "goods", "routes", "suppliers"),
)


# ---------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------
def _keys(data: Mapping[str, Any], *path: str) -> tuple[str, ...]:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return (
        tuple(str(k) for k in node)
        if isinstance(node, Mapping) and not is_distribution(node)
        else ()
    )


def context(data: Mapping[str, Any], path: Path) -> Context:
    """The names a scenario defines and its window (None if the window is not valid)."""
    window = None
    w = data.get("window")
    if isinstance(w, Mapping):
        try:
            window = (parse_month(w.get("start")), parse_month(w.get("end")))  # type: ignore[arg-type]
        except MonthError:
            window = None
    suppliers = _keys(data, "suppliers")
    offered = {}
    for sid in suppliers:
        table = (data.get("suppliers") or {}).get(sid)
        offers = table.get("offers") if isinstance(table, Mapping) else None
        offered[f"offered by {sid}"] = tuple(
            str(o.get("good")) for o in offers or [] if isinstance(o, Mapping)
        )
    names = {
        **offered,
        "goods": _keys(data, "goods"),
        "routes": _keys(data, "routes"),
        "suppliers": suppliers,
        "phases": _keys(data, "germany", "war_phases", "multipliers"),
        "parties": ("germany", "soviet_union", *suppliers),
        "treaties": _keys(data, "treaties"),
    }
    return Context(Path(path), window, names)


def validate(data: Mapping[str, Any], path: str | Path) -> None:
    """Raise ScenarioError for the first problem in a resolved scenario; return if it is usable."""
    ctx = context(data, Path(path))
    SCENARIO.check(data, "", ctx)
