"""The dashboard's levers: which key paths they set, and which values they refuse.

The browser test (tests/behaviour/test_dashboard_browser.py) drives the page; these
check the mapping from controls to a scenario without a browser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.engine.runner import simulate
from model.presentation.dashboard import DashboardModel, load_scenario
from model.presentation.dashboard_levers import (
    AS_IN_SCENARIO,
    LEVERS,
    Lever,
    apply_levers,
    bounds,
    concrete_paths,
    lever_starts,
    scale_quantity,
    schema_node,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS, "baseline.toml")


@pytest.fixture(scope="module")
def starts(baseline):
    return lever_starts(baseline)


def test_levers_at_their_start_keep_the_file(baseline, starts):
    same, result = apply_levers(
        baseline,
        starts,
        invasion=AS_IN_SCENARIO,
        delivery_share=starts["delivery_share"],
        tolerance_m_rm="",
        blockade_effectiveness=starts["blockade_effectiveness"],
        trans_siberian_t_per_month=starts["trans_siberian_t_per_month"],
        synthetic_oil_scale=1.0,
    )
    assert same is baseline and result.overrides == {} and result.refused == []


def test_each_lever_sets_its_key_paths(baseline, starts):
    changed, result = apply_levers(
        baseline,
        starts,
        invasion="1940-09",
        delivery_share=0.5,
        tolerance_m_rm="12.5",
        blockade_effectiveness=0.4,
        trans_siberian_t_per_month=90_000,
        synthetic_oil_scale=2.0,
    )
    assert result.refused == []
    assert changed.get("events.invasion") == "1940-09"
    assert changed.get("germany.exports.delivery_share") == 0.5
    assert changed.get("blockade.effectiveness") == 0.4
    assert changed.get("routes.trans_siberian.capacity_t_per_month") == 90_000
    with_reciprocity = [t for t, v in baseline.get("treaties").items() if "reciprocity" in v]
    assert with_reciprocity  # the baseline has the 1940 and 1941 rules
    for tid in with_reciprocity:
        assert changed.get(f"treaties.{tid}.reciprocity.tolerated_imbalance_rm") == 12.5e6
    for before, after in zip(
        baseline.get("germany.synthetic.oil.schedule"),
        changed.get("germany.synthetic.oil.schedule"),
        strict=True,
    ):
        assert after["t_per_month"] == 2 * before["t_per_month"]
    assert baseline.get("events.invasion") == "1941-06"  # the loaded scenario is untouched


@pytest.mark.parametrize(
    ("levers", "why"),
    [
        ({"invasion": "1941-13"}, "does not exist"),
        ({"invasion": "banana"}, "expected a month"),
        ({"invasion": "1938-01"}, "within the scenario window"),
        ({"tolerance_m_rm": "-5"}, "negative"),
        ({"tolerance_m_rm": "banana"}, "not a number"),
        ({"tolerance_m_rm": "nan"}, "finite"),
    ],
)
def test_bad_values_are_refused_not_raised(baseline, starts, levers, why):
    same, result = apply_levers(baseline, starts, **levers)
    assert same is baseline and result.overrides == {}
    assert len(result.refused) == 1 and why in result.refused[0]


def test_a_refused_value_does_not_block_the_others(baseline, starts):
    changed, result = apply_levers(baseline, starts, invasion="1940-09", tolerance_m_rm="-5")
    assert changed.get("events.invasion") == "1940-09"
    assert len(result.refused) == 1 and "negative" in result.refused[0]


def test_scaling_a_distribution_scales_its_numbers():
    spec = {"dist": "triangular", "low": 10.0, "mode": 20.0, "high": 40.0}
    assert scale_quantity(spec, 1.5) == {
        "dist": "triangular",
        "low": 15.0,
        "mode": 30.0,
        "high": 60.0,
    }
    assert scale_quantity(7.0, 2.0) == 14.0 and scale_quantity(spec, 0.0) == 0.0


def test_the_dashboard_runs_the_same_model_as_the_cli():
    model = DashboardModel(runs=1)
    while model.running:
        model.step()
    assert model.step_index == model.window.n_months and model.month_label == "1942-12"
    cli = simulate(load_scenario(SCENARIOS, "baseline.toml"), n_runs=1)
    np.testing.assert_allclose(model.trajectory["stock"], cli.trajectory["stock"])
    model.step()  # past the window: nothing happens
    assert model.step_index == model.window.n_months


def test_a_missing_scenario_file_is_refused():
    model = DashboardModel(scenario_file="no_such.toml", runs=1)
    assert model.scenario_file == "baseline.toml" and "file not found" in model.refused[0]


# ---------------------------------------------------------------------------------------
# the levers are one list of data, their bounds from the scenario schema (issue 21, item 1)
# ---------------------------------------------------------------------------------------
def test_every_lever_path_is_in_the_schema_and_its_bounds_come_from_it(baseline):
    for lever in LEVERS:
        node = schema_node(lever.path)  # KeyError if the schema has no such key path
        assert concrete_paths(baseline.data, lever.path), f"the baseline has no {lever.path}"
        if lever.control.startswith("Slider") and not lever.scale:
            low, high = bounds(lever)
            assert low == node.low / lever.per_unit  # the schema's, not restated
            assert high == (node.high if node.high is not None else lever.high)
            assert np.isfinite(high), f"{lever.name}: a slider needs a top"
    # the schema's share bounds reach the sliders: 0..1
    assert bounds(next(lv for lv in LEVERS if lv.name == "blockade_effectiveness")) == (0.0, 1.0)
    with pytest.raises(KeyError, match="no 'blockade.no_such_key'"):
        schema_node("blockade.no_such_key")


def test_a_new_lever_is_one_entry_in_the_list(baseline, monkeypatch):
    """A lever added to LEVERS alone: the model takes its keyword, the schema bounds it,
    the page would draw its control (the page reads LEVERS)."""
    import model.presentation.dashboard_levers as levers

    extra = Lever("transit_months", "North Sea transit", "routes.north_sea.transit_months",
                  "SliderInt", step=1, high=6)  # fmt: skip
    assert concrete_paths(baseline.data, extra.path), "the baseline has the route"
    monkeypatch.setattr(levers, "LEVERS", (*levers.LEVERS, extra))
    monkeypatch.setattr(levers, "BY_NAME", {lv.name: lv for lv in levers.LEVERS})
    starts = levers.lever_starts(baseline)
    assert starts["transit_months"] == baseline.get(extra.path)
    low, high = levers.bounds(extra)
    assert (low, high) == (0.0, schema_node(extra.path).high)  # the schema's MAX_TRANSIT_MONTHS
    changed, result = levers.apply_levers(baseline, starts, transit_months=2)
    assert changed.get(extra.path) == 2 and result.refused == []
    _, result = levers.apply_levers(baseline, starts, transit_months=high + 1)
    assert "outside" in result.refused[0]


def test_the_model_refuses_a_keyword_that_is_no_lever():
    with pytest.raises(TypeError, match="unknown lever"):
        DashboardModel(runs=1, no_such_lever=3)
