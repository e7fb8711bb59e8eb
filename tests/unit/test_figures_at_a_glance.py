"""Figures a historian reads at a glance (issue 13, part 4): 20 colours, only a scenario's own
events, a single run that promises no band."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import model
from model.engine.runner import simulate
from model.presentation import plots
from model.presentation.report_figures import ScenarioInfo, markers_for


def _info(name: str) -> ScenarioInfo:
    return ScenarioInfo(name, name, "", (), dict(model.load_scenario(name).data))


def test_twenty_scenarios_get_twenty_colours():
    names = ["baseline", *[f"s{i}" for i in range(20)]]
    styles = plots.scenario_styles(names)
    colours = {styles[n]["color"] for n in names[1:]}
    assert len(colours) == 20 and plots.BASELINE_COLOUR not in colours
    assert {styles[n]["ls"] for n in names[1:]} == {"-"}


def test_no_invasion_draws_no_invasion_line_and_moved_events_are_named():
    infos = {n: _info(n) for n in ("baseline", "no_invasion", "invasion_1940_09")}
    assert not [
        m for m in markers_for(infos, ["baseline", "no_invasion"], "baseline") if "invasion" in m[1]
    ]
    moved = markers_for(infos, ["baseline", "invasion_1940_09"], "baseline")
    assert ("1940-09", "invasion (invasion_1940_09)") in moved
    assert plots.event_label("1941-06", "invasion") == "invasion, Jun 1941"


def test_a_single_run_promises_no_band():
    result = simulate(model.load_scenario("baseline"))
    ds = result.dataset()
    fig = plots.new_figure()
    ax = plots.plot_stock_cover(ds, goods=["oil"], ax=fig.gca())
    assert "5-95" not in ax.get_title() and "one run" in ax.get_title()
