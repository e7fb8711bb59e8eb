"""What the Mesa agents read of a scenario: ``[germany]``, ``[soviet_union]``, ``[blockade]``,
``[suppliers]`` and ``[shocks]``, each key with its kind, bounds and default.

The agents' own modules import Mesa (about 1.4 s), which loading and checking a scenario
must not (``pactsim run --runs`` and ``pactsim batch`` refuse an oversized request before
Mesa loads), so their declarations live here, next door; the Mesa-free modules carry their
own (:data:`model.actors.stockpiling.SCHEMA`, :data:`model.actors.soviet_policy.SCHEMA`, each
treaty rule's ``SCHEMA``, :data:`model.world.routes.SCHEMA`). :mod:`model.files.schema`
assembles them into the scenario schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.actors import soviet_policy, stockpiling
from model.world.kinds import (
    GOOD,
    GOODS_QUANTITIES,
    MIX,
    MONTH,
    PHASE,
    PLAIN_QUANTITY,
    QUANTITY,
    ROUTE,
    SHARE,
    START,
    SUPPLIER,
    TREATY,
    at_least_one,
    ordered,
    schedule,
)
from model.world.nodes import (
    Choice,
    Context,
    Flag,
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

# War phase used from the invasion on when ``invasion_phase`` is not given.
INVASION_PHASE = Ref("phases", "war phase", default="campaign")


def default_invasion_phase(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if "invasion_phase" not in table and INVASION_PHASE.default not in ctx.names.get("phases", ()):
        ctx.fail(
            _join(where, "invasion_phase"),
            f"missing; without it the phase '{INVASION_PHASE.default}' is used, which is not among the multipliers",
        )


def periods() -> ListOf:
    """A dated list of per-good tables: from each ``from`` on, the goods listed take the
    entry's values (unlisted goods: the base table), until the next entry."""
    return ListOf(
        Table({"from": MONTH, "per_month": GOODS_QUANTITIES}, required=("from", "per_month")),
        ascending="from",
    )


def harvest(
    amount_key: str, extra: Mapping[str, Node], year_factor: Node = PLAIN_QUANTITY
) -> Table:
    return Table(
        {
            "good": GOOD,
            "calendar_month": Number(low=1, high=12, integer=True),
            amount_key: QUANTITY,
            "shock_sd": Number(low=0, default=0.0),
            "year_factor": MapOf(Year(), year_factor),
            **extra,
        },
        required=("good", "calendar_month", amount_key),
    )


GERMANY = Table(
    {
        "initial_stock": GOODS_QUANTITIES,
        "domestic_output_per_month": GOODS_QUANTITIES,
        "harvest": harvest(
            "output_t", {"output_t_by_year": MapOf(Year(), QUANTITY)}, year_factor=QUANTITY
        ),
        "reserves": MapOf(
            GOOD,
            Table(
                {
                    "initial_t": QUANTITY,
                    "carry_over_from": MONTH,
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
        "stockpiling": stockpiling.SCHEMA,
        "synthetic": MapOf(
            GOOD,
            Table(
                {
                    "utilisation": Number(low=0, high=1, sampled=True, default=1.0),
                    "schedule": schedule("t_per_month", QUANTITY),
                    "capacity_lost": schedule("share", SHARE),
                },
                required=("schedule",),
            ),
        ),
        "civil_demand_per_month": GOODS_QUANTITIES,
        "civil_demand_by_period": periods(),
        "domestic_output_by_period": periods(),
        "military_demand_per_month": GOODS_QUANTITIES,
        "war_phases": Table(
            {
                "multipliers": MapOf(Name(), PLAIN_QUANTITY, min_len=1),
                "schedule": ListOf(
                    Table({"from": MONTH, "phase": PHASE}, required=("from", "phase")), 1, "from"
                ),
                "invasion_phase": INVASION_PHASE,
                "good_multipliers": MapOf(PHASE, MapOf(GOOD, QUANTITY)),
            },
            required=("multipliers", "schedule"),
            rules=(default_invasion_phase,),
        ),
        "rationing": Table(
            {
                "cover_threshold_months": Number(low=0, positive=True, sampled=True),
                "civil_floor_share": SHARE,
                "military_priority": Flag(default=True),
                "from": Month(sampled=True, default="1934-01"),
            },
            required=("cover_threshold_months", "civil_floor_share"),
        ),
        "substitution": MapOf(
            GOOD,
            Table(
                {
                    "share": SHARE,
                    "military_share": Number(low=0, high=1, sampled=True, default=0.0),
                    "to": GOOD,
                    "ratio": Number(low=0, sampled=True, default=1.0),
                },
                required=("share",),
            ),
        ),
        "exports": Table(
            {
                "capacity_rm_per_month": ListOf(
                    Table({"from": MONTH, "rm": QUANTITY}, required=("from", "rm")), 1, "from"
                ),
                "delivery_share": Number(low=0, high=1, sampled=True, default=1.0),
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
            ("seniority", "pro_rata"),
            "order in which the USSR serves its agreements",
            default="pro_rata",
        ),
        "harvest": harvest("exportable_t", {"initial_t": Number(low=0, sampled=True, default=0.0)}),
        "policy": soviet_policy.SCHEMA,
    },
    required=("pool_cap_months", "harvest"),
)

BLOCKADE = Table(
    {
        "import_start": Month(sampled=True, none=True, default="none"),
        "export_start": Month(sampled=True, none=True, default="none"),
        "effectiveness": Number(low=0, high=1, sampled=True, default=0.0),
        "ramp_months": Number(low=0, integer=True, default=0),
        "preemption": ListOf(
            Table(
                {"supplier": SUPPLIER, "good": GOOD, "share": SHARE, "from": MONTH, "to": MONTH},
                required=("supplier", "good", "share", "from", "to"),
                rules=(ordered(),),
            )
        ),
    },
    default={},
)

SUPPLIERS = MapOf(
    Name(),
    Table(
        {
            "name": Text(),
            "routes": ListOf(ROUTE, min_len=1),
            # absent: each route is a group of its own
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

SHOCKS = Table({"blockade_noise_sd": Number(low=0, default=0.0)})
