"""Hand-made tiny scenarios for mechanism tests: a few goods, routes and one year."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from model.files.scenario import Scenario, merge

BASE: dict[str, Any] = {
    "name": "tiny",
    "title": "Tiny test scenario",
    "question": "Does one mechanism do what it says?",
    "window": {"start": "1940-01", "end": "1940-12"},
    "goods": {
        "oil": {"unit": "t", "price_rm_per_unit": 100.0, "critical": True},
        "grain": {"unit": "t", "price_rm_per_unit": 150.0, "critical": True},
        "rubber": {"unit": "t", "price_rm_per_unit": 1000.0, "critical": True},
        "machine_tools": {
            "unit": "RM",
            "kind": "machinery",
            "price_rm_per_unit": 1.0,
            "tonnes_per_unit": 0.0,
        },
    },
    "routes": {
        "sea": {"capacity_t_per_month": 1e9, "transit_months": 1, "blockade_exposure": 1.0},
        "rail": {"capacity_t_per_month": 1e9, "transit_months": 0, "blockade_exposure": 0.0},
        "soviet_border_rail": {
            "capacity_t_per_month": 1e9,
            "transit_months": 0,
            "blockade_exposure": 0.0,
        },
        "trans_siberian": {
            "capacity_t_per_month": 1e9,
            "transit_months": 1,
            "blockade_exposure": 0.0,
        },
    },
    "germany": {
        "initial_stock": {"oil": 1_000_000.0, "grain": 1_000_000.0, "rubber": 1_000_000.0},
        "domestic_output_per_month": {},
        "harvest": {"good": "grain", "calendar_month": 8, "output_t": 0.0, "shock_sd": 0.0},
        "civil_demand_per_month": {},
        "military_demand_per_month": {},
        "war_phases": {
            "multipliers": {"peace": 1.0, "campaign": 1.0},
            "schedule": [{"from": "1940-01", "phase": "peace"}],
            "invasion_phase": "campaign",
        },
        "rationing": {
            "cover_threshold_months": 4.0,
            "civil_floor_share": 0.5,
            "military_priority": True,
        },
        "exports": {
            "capacity_rm_per_month": [{"from": "1940-01", "rm": 0.0}],
            "delivery_share": 1.0,
            "mix": {"machine_tools": 1.0},
        },
    },
    "soviet_union": {
        "pool_cap_months": 1000.0,
        "exportable_surplus_per_month": {"oil": 1_000_000.0, "grain": 1_000_000.0},
        "harvest": {
            "good": "grain",
            "calendar_month": 8,
            "exportable_t": 0.0,
            "shock_sd": 0.0,
            "initial_t": 0.0,
        },
        "policy": {"border_rail": {}},
    },
    "blockade": {
        "import_start": "none",
        "export_start": "none",
        "effectiveness": 0.0,
        "ramp_months": 0,
    },
    "suppliers": {},
    "treaties": {},
    "events": {"invasion": "none"},
    "shocks": {"blockade_noise_sd": 0.0},
}


def tiny_scenario(changes: dict[str, Any] | None = None) -> Scenario:
    """The tiny scenario with ``changes`` deep-merged over it (tables merge, values replace)."""
    data = merge(copy.deepcopy(BASE), changes or {})
    return Scenario(name="tiny", path=Path("tiny.toml"), data=data)


def far_east_rubber(per_month: float) -> dict[str, Any]:
    """A Far-Eastern rubber supplier: by sea, or by the Trans-Siberian and the border railway."""
    return {
        "routes": ["sea", "trans_siberian", "soviet_border_rail"],
        "route_groups": [["sea"], ["trans_siberian", "soviet_border_rail"]],
        "offers": [{"good": "rubber", "from": "1940-01", "to": "1940-12", "per_month": per_month}],
    }
