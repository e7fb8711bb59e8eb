"""Figures a historian reads at a glance (issue 13, part 4): 20 colours, only a scenario's own
events, a single run that promises no band."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import model
from model.engine.runner import simulate
from model.presentation import plots
from model.presentation.event_marks import event_label
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
    assert event_label("1941-06", "invasion") == "invasion, Jun 1941"


def test_a_single_run_promises_no_band():
    result = simulate(model.load_scenario("baseline"))
    ds = result.dataset()
    fig = plots.new_figure()
    ax = plots.plot_stock_cover(ds, goods=["oil"], ax=fig.gca())
    assert "5-95" not in ax.get_title() and "one run" in ax.get_title()


def test_clearing_lines_like_the_baseline_are_one_grey_legend_entry():
    """A scenario whose median clearing balance stays within 2 % of the baseline's is drawn
    grey and named once in the legend; one that departs keeps its colour (issue 24, item 4)."""
    import numpy as np

    from model.presentation.summaries import like_baseline, summarise_arrays

    rng = np.random.default_rng(0)
    base = np.cumsum(rng.uniform(0, 5e6, (30, 12)), axis=1)
    months = [f"1940-{m:02d}" for m in range(1, 13)]
    arrays = {"baseline": base, "alike": base * 1.01, "apart": base * 0.5}
    summaries = {
        n: summarise_arrays(n, months, [], [], {"clearing_balance_rm": a})
        for n, a in arrays.items()
    }
    names = list(arrays)
    assert like_baseline(summaries, names) == ["alike"]
    ax = plots.new_figure().gca()
    plots.plot_clearing_balance(summaries, names, ax=ax)
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:2] == ["baseline", "apart"] and "alike" in labels[2] and len(labels) == 3
