"""Nothing drawn on top of anything else (issue 24, item 4), measured by matplotlib's renderer.

The figures that marked events with rotated labels (a run's ``stock_cover.png`` and the
comparison's ``shortages.png`` and ``clearing_balance.png``) now number them: no two number
boxes of an axes may overlap, whatever the events (the baseline's Credit Agreement and
transit letters are a month apart). The shortage grid's panel titles (name and title of each
of 19 scenarios) must not run into each other nor out of the figure. Bounding boxes come
from ``get_window_extent`` after a draw, not from pixels.
"""

from __future__ import annotations

import datetime as dt
import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import model
from model.engine.runner import simulate
from model.presentation import plots
from model.presentation.event_marks import event_markers, mark_events, numbered
from model.presentation.report_figures import _clearing, _shortage_grid
from model.presentation.summaries import summarise_arrays
from model.world.calendar import Window

NAMES = (
    "baseline", "no_pact", "invasion_1940_09", "invasion_1941_05", "no_invasion",
    "german_deliveries_on_time", "strict_reciprocity", "barter_only", "no_transit",
    "tight_blockade", "no_romanian_oil_pact", "no_french_fuel_capture",
    "synthetic_plants_bombed_1940", "no_lutzow_sale", "soviet_oil_embargo_1940", "early_buna",
    "jan_1941_quotas_doubled", "soviet_full_quota", "dues_by_seniority",
)  # fmt: skip
TITLES = {n: "The USSR ships every quota on schedule, " + n.replace("_", " ") for n in NAMES}


def _boxes(texts):
    return [t.get_window_extent() for t in texts if t.get_visible() and t.get_text()]


def _overlapping(boxes) -> list[tuple[int, int]]:
    return [
        (i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2) if a.overlaps(b)
    ]


def _number_boxes(ax):
    """The boxes around the event numbers of an axes (their patches, as drawn)."""
    return [
        t.get_bbox_patch().get_window_extent() for t in ax.texts if t.get_bbox_patch() is not None
    ]


def _assert_clean(fig) -> int:
    """No two event numbers of an axes overlap; the count of numbers drawn."""
    fig.canvas.draw()
    drawn = 0
    for ax in fig.axes:
        boxes = _number_boxes(ax)
        drawn += len(boxes)
        assert not _overlapping(boxes), f"event numbers overlap in '{ax.get_title()}'"
    return drawn


@pytest.fixture(scope="module")
def markers():
    """The baseline's and two counterfactuals' events (the invasion moved in one)."""
    return {
        n: event_markers(model.load_scenario(n).data)
        for n in ("baseline", "invasion_1940_09", "no_invasion")
    }


def _summaries(names, months, goods):
    rng = np.random.default_rng(0)
    t, g = len(months), len(goods)
    out = {}
    for k, name in enumerate(names):
        demand = np.full((5, t, g), 100.0)
        shortage = np.clip(rng.normal(10 + k, 5, (5, t, g)), 0, 100)
        data = {
            "stock": rng.uniform(0, 1e5, (5, t, g)), "shortage": shortage, "demand": demand,
            "clearing_balance_rm": np.cumsum(rng.uniform(0, 5e6 * (1 + k / 10), (5, t)), axis=1),
            "suspended": (rng.uniform(size=(5, t)) > 0.7).astype(float),
        }  # fmt: skip
        out[name] = summarise_arrays(name, months, goods, ["t"] * g, data)
    return out


def test_the_baselines_events_are_numbered_without_overlap_on_a_run_figure():
    result = simulate(model.load_scenario("baseline"))
    ds = result.dataset()
    shown = event_markers(result.scenario.data)
    assert ("1939-08", "Credit Agreement") in shown and ("1939-09", "Transit letters") in shown
    for draw in (plots.plot_stock_cover, plots.plot_shortages):
        fig = plots.new_figure()
        ax = draw(ds, shown, ["oil", "rubber"], ax=fig.gca())
        assert _assert_clean(fig) == len(shown)
        legend = ax.get_legend().get_window_extent()
        assert not any(legend.overlaps(b) for b in _number_boxes(ax)), "the legend covers an event"
        assert not [t for t in ax.texts if t.get_rotation()], "no rotated labels any more"
        assert "1  Aug 1939  Credit Agreement" in ax.get_xlabel()  # the key under the dates
        key, ticks = ax.xaxis.label.get_window_extent(), _boxes(ax.get_xticklabels())
        assert not any(key.overlaps(b) for b in ticks)


def test_events_close_together_are_staggered_not_stacked():
    """Five events in five months on a narrow axes: each number its own place."""
    months = Window.from_texts("1939-06", "1942-12").labels
    close = [(f"1940-{m:02d}", f"event {m}") for m in range(1, 6)]
    fig = plots.new_figure(3.0, 2.0)
    ax = fig.gca()
    ax.plot(plots.month_dates(months), np.zeros(len(months)))
    drawn = mark_events(ax, close, months)
    assert sorted(drawn.values()) == [1, 2, 3, 4, 5]
    assert _assert_clean(fig) == 5


def test_shortage_grid_titles_and_numbers_do_not_collide(markers):
    months = Window.from_texts("1939-06", "1942-12").labels
    goods = ["oil", "rubber", "manganese", "chrome"]
    summaries = _summaries(NAMES, months, goods)
    by_name = {n: markers.get(n, markers["baseline"]) for n in NAMES}
    fig = _shortage_grid(summaries, list(NAMES), "baseline", goods, by_name, TITLES)
    assert _assert_clean(fig) > len(NAMES)
    panels = [ax for ax in fig.axes if ax.get_title()]
    titles = _boxes([ax.title for ax in panels])
    assert len(titles) == len(NAMES)
    assert not _overlapping(titles), "panel titles run into each other"
    page = fig.bbox
    assert all(page.x0 <= b.x0 and b.x1 <= page.x1 and b.y1 <= page.y1 for b in titles), "clipped"
    # the legend panel lists every number drawn, with its date
    key = fig.axes[len(NAMES)].texts[-1].get_text()
    for (month, label), n in numbered(*by_name.values()).items():
        assert f"{n}  {dt.date(int(month[:4]), int(month[5:]), 1):%b %Y}  {label}" in key


def test_clearing_balance_numbers_its_events_and_keys_them(markers):
    months = Window.from_texts("1939-06", "1942-12").labels
    names = list(NAMES[:6])
    fig = _clearing(
        _summaries(names, months, ["oil"]), names, plots.scenario_styles(names), markers["baseline"]
    )
    assert _assert_clean(fig) >= len(markers["baseline"])
    assert "Credit Agreement" in fig.axes[1].get_xlabel()


# ---------------------------------------------------------------------------------------
# a 108-month window, 1934-01 to 1942-12 (issue 19, item 7), on synthetic summaries
# ---------------------------------------------------------------------------------------
LONG = Window.from_texts("1934-01", "1942-12").labels


def _time_axes(fig):
    return [ax for ax in fig.axes if ax.get_xticklabels() and ax.axison]


def _assert_dated_by_year(fig) -> None:
    fig.canvas.draw()
    for ax in _time_axes(fig):
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        if not labels:  # shared x: the labels are on the bottom row
            continue
        assert all(len(t) == 4 and t.isdigit() for t in labels), labels
        assert 3 <= len(labels) <= 8, labels
        assert not _overlapping(_boxes(ax.get_xticklabels()))


def _event_lines(ax) -> set[str]:
    """The months of the dashed event lines of an axes (drawn at dates)."""
    return {
        f"{line.get_xdata()[0]:%Y-%m}"
        for line in ax.lines
        if line.get_linestyle() == "--" and isinstance(line.get_xdata()[0], dt.date)
    }


def test_a_108_month_window_is_dated_by_year_with_the_pact_and_the_invasion():
    from model.presentation.report_figures import _stock_fans

    events = event_markers(model.load_scenario("long_baseline").data)
    assert ("1939-08", "Credit Agreement") in events and ("1941-06", "invasion") in events
    names = ["long_baseline", "no_trade_collapse", "credit_1935_not_drawn"]
    goods = ["oil", "rubber", "grain", "manganese"]
    summaries = _summaries(names, LONG, goods)
    styles = plots.scenario_styles(names, names[0])
    figures = {
        "stocks": _stock_fans(summaries, goods, names[:2], styles, events, {}),
        "shortages": _shortage_grid(summaries, names, names[0], goods, dict.fromkeys(names, events), {}),
        "clearing": _clearing(summaries, names, styles, events),
    }  # fmt: skip
    for name, fig in figures.items():
        _assert_dated_by_year(fig)
        assert _assert_clean(fig) >= len(events), name
        drawn = [ax for ax in fig.axes if _event_lines(ax)]
        assert drawn and all({"1939-08", "1941-06"} <= _event_lines(ax) for ax in drawn), name


def test_the_dashboard_charts_a_108_month_window_by_year():
    from model.presentation.dashboard_svg import small_multiples

    rng = np.random.default_rng(1)
    live = {"oil": rng.uniform(0, 5, (3, 30))}  # 30 months simulated so far
    base = {"oil": np.r_[np.full(65, np.nan), rng.uniform(0, 5, 43)][None, :]}  # from 1939-06
    svg = small_multiples("cover", LONG, ["oil"], live, base, "months", 3.0, "1941-06", "1941-06",
                          3, 30, treaties=("1935-04", "1939-08"))  # fmt: skip
    years = [y for y in svg.split('data-year="')[1:]]
    assert 3 <= len(years) <= 5 and years[0].startswith("1934")  # not nine labels in 112 px
    assert 'data-mark="treaty" data-month="1939-08"' in svg
    assert 'data-mark="invasion" data-month="1941-06"' in svg


def test_a_kept_stock_fan_grid_draws_the_same_pixels_as_a_new_figure(tmp_path):
    """A figure worker keeps one 2 x 4 grid (``kept_grid.reusing``): cleared of the previous
    figure's lines, bands, event texts, legend, titles and limits, it saves the same image
    as a new figure -- here after a figure of another window, scale, scenario and goods."""
    from PIL import Image

    from model.presentation import kept_grid
    from model.presentation.report_figures import _stock_fans

    goods = ["oil", "rubber", "grain", "manganese", "chrome"]
    names = ["long_baseline", "no_trade_collapse", "credit_1935_not_drawn"]
    styles = plots.scenario_styles(names, names[0])
    events = event_markers(model.load_scenario("long_baseline").data)
    before = _summaries(names, LONG, goods)
    short = Window.from_texts("1939-06", "1941-05").labels
    after = {n: _scaled(s, 1e3) for n, s in _summaries(names, short, goods).items()}

    def draw(summaries, shown, markers, path, goods=goods):
        with plots.drawing():
            fig = _stock_fans(summaries, goods, shown, styles, markers, {})
            plots.save(fig, path)
        return fig

    with kept_grid.reusing():
        first = draw(before, names[:2], events, tmp_path / "first.png", goods[:4])
        kept = draw(after, [names[0], names[2]], [], tmp_path / "kept.png")
    new = draw(after, [names[0], names[2]], [], tmp_path / "new.png")
    assert kept is first and new is not first  # the grid was reused, then not
    pixels = {p: np.asarray(Image.open(tmp_path / f"{p}.png")) for p in ("first", "kept", "new")}
    assert pixels["kept"].shape == pixels["new"].shape
    assert (pixels["kept"] == pixels["new"]).all()
    assert not (pixels["first"].shape == pixels["new"].shape
                and (pixels["first"] == pixels["new"]).all())  # fmt: skip


def _scaled(summary, factor):
    """The summary with its stock quantiles scaled by ``factor`` (another axis scale)."""
    import dataclasses

    return dataclasses.replace(summary, stock=summary.stock * factor)
