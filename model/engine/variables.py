"""The trajectory variables, declared once: name -> (axis, kind, long name).

The recorder (:class:`model.engine.simulation.PactModel`) allocates and records them in this
order, the CF writer (:mod:`model.engine.cf`) derives each one's ``units``, ``long_name`` and
``cell_methods`` from its kind, experiment files and validation targets name them, and
docs/glossary.md describes every one (tests/unit/test_outputs_declared.py holds that).
Mesa-free and numpy-free, so a file can be checked without loading the engine.

Axis: ``good`` (run x month x good), ``run`` (run x month) or ``supplier`` (run x month x
origin x good, the imports into Germany). Kind: how the units follow from the goods' units.
"""

from __future__ import annotations

from collections.abc import Sequence

# kind of a variable -> how its units follow from the goods' units
LEVEL, FLOW, RM, RM_FLOW, SHARE, FLAG, TONNES_FLOW, CODE = (
    "level", "flow", "rm", "rm_flow", "share", "flag", "tonnes_flow", "code",
)  # fmt: skip
GOOD, RUN, SUPPLIER = "good", "run", "supplier"

VARIABLES: dict[str, tuple[str, str, str]] = {
    # Germany, by good, in each good's unit
    "stock": (GOOD, LEVEL, "German stock at the end of the month"),
    "production": (GOOD, FLOW, "German domestic production"),
    "consumption": (GOOD, FLOW, "German consumption (civil and military)"),
    "demand": (GOOD, FLOW, "German demand (civil and military)"),
    "military_demand": (GOOD, FLOW, "German military demand"),
    "military_use": (GOOD, FLOW, "German military use"),
    "shortage": (GOOD, FLOW, "German unmet demand (shortage)"),
    "rationed": (GOOD, FLOW, "German civil demand rationed away"),
    "captured": (GOOD, FLOW, "stocks captured by Germany"),
    "losses": (GOOD, FLOW, "shipments to Germany lost on the way (blockade, interdiction)"),
    "soviet_deliveries": (GOOD, FLOW, "Soviet deliveries shipped to Germany"),
    "german_exports": (GOOD, FLOW, "German counter-deliveries to the USSR"),
    "synthetic": (GOOD, FLOW, "German synthetic output (oil, rubber)"),
    "reserve": (GOOD, LEVEL, "German stock held in reserve by the reserve rules"),
    "ration_cut": (GOOD, SHARE, "share of German civil demand cut by the reserve rules"),
    "civil_demand": (GOOD, FLOW, "German civil demand"),
    "civil_use": (GOOD, FLOW, "German civil use"),
    "recycled": (GOOD, FLOW, "German recycling (scrap, reclaim)"),
    "binding": (GOOD, FLAG, "what limited Soviet deliveries of the good in the month"),
    # by good, in Reichsmarks
    "soviet_machinery_rm": (GOOD, RM, "cumulative value of German machinery gained by the USSR"),
    # per run
    "clearing_balance_rm": (
        RUN,
        RM,
        "German-Soviet clearing balance (Soviet minus German deliveries)",
    ),
    "arrears_rm": (RUN, RM, "German deliveries owed on the clearing account and not yet made"),
    "credit_drawn_rm": (RUN, RM, "cumulative draw on the 1939 German credit to the USSR"),
    "soviet_debt_rm": (RUN, RM, "Soviet debt on the 1939 credit, interest included"),
    "soviet_delivered_rm": (RUN, RM, "cumulative value of Soviet deliveries"),
    "german_delivered_rm": (RUN, RM, "cumulative value of German deliveries"),
    "suspended": (RUN, SHARE, "Soviet deliveries suspended for some good (1) or not (0)"),
    "threatened": (RUN, SHARE, "Soviet suspension threatened (1) or not (0)"),
    "war_readiness": (RUN, SHARE, "share of military demand for the critical goods met"),
    "blockade_effectiveness": (RUN, SHARE, "effectiveness of the British blockade against imports"),
    "transit_t": (RUN, TONNES_FLOW, "tonnes loaded on the Soviet transit lanes"),
    "treaties_in_force": (RUN, SHARE, "German-Soviet trade treaties in force (1) or not (0)"),
    "war_phase": (RUN, CODE, "war phase (index of the scenario's germany.war_phases)"),
    # by origin and good
    "imports": (SUPPLIER, FLOW, "arrivals in Germany by supplier"),
}

ALL_VARIABLES = tuple(VARIABLES)
# by good in each good's own unit; by good in RM; per run
GOODS_VARIABLES = tuple(n for n, (a, k, _) in VARIABLES.items() if a == GOOD and k != RM)
RM_GOODS_VARIABLES = tuple(n for n, (a, k, _) in VARIABLES.items() if a == GOOD and k == RM)
RUN_VARIABLES = tuple(n for n, (a, _, _) in VARIABLES.items() if a == RUN)


# the unit of a good -> the dimension and name suffix of its variables in the file
UNIT_DIMS = {"t": ("good_t", ""), "kg": ("good_kg", "_kg"), "RM": ("good_rm", "_rm")}


def file_variables(
    name: str, dims: Sequence[str], units: Sequence[str]
) -> dict[str, tuple[str, tuple[str, ...], list[int]]]:
    """The file variables of a trajectory variable: file name -> (unit of its goods, dims,
    indices of its goods); one per unit of the goods when its units follow theirs."""
    if "good" not in dims or VARIABLES.get(name, ("", SHARE, ""))[1] not in (LEVEL, FLOW):
        return {name: ("", tuple(dims), list(range(len(units))) if "good" in dims else [])}
    out = {}
    for unit, (dim, suffix) in UNIT_DIMS.items():
        index = [i for i, u in enumerate(units) if u == unit]
        if index:
            out[name + suffix] = (unit, tuple(dim if d == "good" else d for d in dims), index)
    return out


def unit_of(dims: Sequence[str]) -> str:
    """The unit of the goods of a file variable's dims ("": not split by unit)."""
    return next((u for u, (dim, _) in UNIT_DIMS.items() if dim in dims), "")


def base_name(name: str, dims: Sequence[str]) -> str:
    """The trajectory variable a file variable holds (``stock_kg`` on ``good_kg``: ``stock``)."""
    unit = unit_of(dims)
    return name.removesuffix(UNIT_DIMS[unit][1]) if unit else name


def unit_dims(goods: Sequence[str], units: Sequence[str]) -> dict[str, list[str]]:
    """The per-unit good dimensions of a catalogue and their labels (``good_kg``: platinum)."""
    out = {
        dim: [g for g, u in zip(goods, units, strict=True) if u == unit]
        for unit, (dim, _) in UNIT_DIMS.items()
    }
    return {dim: labels for dim, labels in out.items() if labels}
