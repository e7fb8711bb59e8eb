"""The schema of a scenario file, assembled from the modules that read it, and the check of
a resolved scenario.

:func:`validate` is called by :func:`model.files.scenario.load` on the resolved scenario (after
``extends`` has been merged). It raises ONE :class:`~model.errors.ScenarioError` -- the
first problem found -- naming the file, the key path (``treaties.commercial_1940.quotas.
oil.quantity``, ``germany.synthetic.oil.schedule[2].t_per_month``) and what was expected.

Each parameter is declared once, beside the code that reads it, with the node types of
:mod:`model.world.nodes` (its kind, bounds, unit and default): the treaty rules and
``[treaties]`` in :mod:`model.treaties.rules`, the Soviet policy rules in
:mod:`model.actors.soviet_policy`, the Mesa agents in :mod:`model.actors.schema`, routes in
:mod:`model.world.routes`. This module adds what the engine reads itself (``window``,
``goods``, ``events``) and assembles :data:`SCENARIO`, which is why ``files`` sits above
``treaties`` in the layers (docs/architecture.md §7).

A number or month the model reads through ``ParameterView.number`` / ``.month`` is
``sampled``: it may be a distribution (``{dist = ...}``, :mod:`model.world.distributions`),
whose spec is checked and whose whole range must satisfy the same bounds. Values read as
plain data (``view.raw``) must be plain. ``ParameterView`` takes the default of an absent key
from here (tests/unit/test_parameter_declarations.py holds both rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.actors.schema import BLOCKADE, GERMANY, SHOCKS, SOVIET_UNION, SUPPLIERS
from model.treaties import rules as treaty_rules
from model.world import goods, routes
from model.world.calendar import MonthError, parse_month
from model.world.distributions import is_distribution
from model.world.kinds import GOODS_QUANTITIES, exactly_one, ordered
from model.world.nodes import (
    Context,
    Identifier,
    MapOf,
    Month,
    Name,
    Number,
    Table,
    Text,
)

EVENT = Month(sampled=True, none=True, in_window=True)

WINDOW = Table(
    {"start": Month(), "end": Month()}, required=("start", "end"), rules=(ordered("start", "end"),)
)

EVENTS = Table(
    {
        "invasion": Month(sampled=True, none=True, in_window=True, default="none"),
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
        "goods": goods.SCHEMA,
        "routes": routes.SCHEMA,
        "germany": GERMANY,
        "soviet_union": SOVIET_UNION,
        "blockade": BLOCKADE,
        "suppliers": SUPPLIERS,
        "treaties": treaty_rules.SCHEMA,
        "events": EVENTS,
        "shocks": SHOCKS,
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
