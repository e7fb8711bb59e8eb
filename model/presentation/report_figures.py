"""The comparison figures of a result folder, with their captions (``pactsim batch`` and
``pactsim report`` draw them).

:func:`write_figures` reads a result folder and draws the figures named in :data:`FIGURES`
into ``figures/``; nothing re-runs the model. The statistics are those of
:mod:`model.analysis.compare`; the drawing is :mod:`model.presentation.plots`.
"""

from __future__ import annotations

import contextlib
import hashlib
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.compare import (
    BatchResults,
    fmt_level,
    load_results,
)
from model.analysis.metrics import HEADLINE
from model.errors import UserError
from model.presentation import captions, kept_grid, layout
from model.presentation.event_marks import event_key, numbered
from model.presentation.figure_pool import (
    LazyPool,
    compare_tasks,
    failed,
    figure_task,
    paired_table,
    prepare_task,
    summary_tasks,
)
from model.presentation.summaries import VARIABLES, Summary, supplier_totals
from model.store.results import frozen_data

if TYPE_CHECKING:
    from model.files.scenario import Scenario


@dataclass(frozen=True)
class Figure:
    path: Path
    title: str
    caption: str
    drawn: bool = True  # False: an existing file was kept


# ---------------------------------------------------------------------------------------
# scenarios: titles, questions, event markers (from manifest.json and the scenario files)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    question: str
    files: tuple[tuple[str, str, str], ...]  # (path, sha256 in the manifest, status now)
    data: dict[str, Any]


def scenario_infos(
    results: BatchResults, scenarios: Sequence[Scenario] | None = None
) -> dict[str, ScenarioInfo]:
    """Title, question and files of every scenario in the result, in the result's order."""
    given = {s.name: s for s in scenarios or ()}
    recorded = {
        str(p.get("name")): p for p in results.manifest.get("scenarios", []) if isinstance(p, dict)
    }
    out = {}
    for name in results.scenarios:
        prov = recorded.get(name, {})
        files = tuple(_file_status(f) for f in prov.get("files", []) if isinstance(f, dict))
        if name in given:
            data = dict(given[name].data)
        else:
            data = frozen_data(results.path, name) or _scenario_data(prov)
        title = str(prov.get("title") or data.get("title") or name)
        question = str(prov.get("question") or data.get("question") or "")
        out[name] = ScenarioInfo(name, title, question, files, data)
    return out


def _file_status(entry: dict[str, Any]) -> tuple[str, str, str]:
    path, sha = str(entry.get("path", "")), str(entry.get("sha256", ""))
    p = Path(path)
    if not p.exists():
        return path, sha, "missing now"
    now = hashlib.sha256(p.read_bytes()).hexdigest()
    return path, sha, "unchanged" if now == sha else "changed since the run"


def _scenario_data(prov: dict[str, Any]) -> dict[str, Any]:
    """The resolved data of the scenario file named in the manifest, or {} if unreadable."""
    from model.files.scenario import ScenarioError, load, read_toml

    files = [f.get("path") for f in prov.get("files", []) if isinstance(f, dict)]
    if not files or not Path(files[-1]).exists():  # type: ignore[arg-type]
        return {}
    try:
        return dict(load(files[-1]).data)  # type: ignore[arg-type]
    except (ScenarioError, ValueError, KeyError, OSError):
        try:
            return read_toml(Path(files[-1]))  # type: ignore[arg-type]
        except (ScenarioError, OSError):
            return {}


def markers_for(
    infos: dict[str, ScenarioInfo], names: Sequence[str], baseline: str
) -> list[tuple[str, str]]:
    """Event markers of the scenario drawn (the last of ``names``): only the events it has
    (``no_invasion`` draws no invasion line); an event it moves from the baseline's date is
    labelled with its name."""
    from model.presentation.event_marks import event_markers

    shown = names[-1] if names else baseline
    if shown not in infos:
        return []
    base = event_markers(infos[baseline].data) if baseline in infos else []
    return [
        (month, label if (month, label) in base or shown == baseline else f"{label} ({shown})")
        for month, label in event_markers(infos[shown].data)
    ]


# ---------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------


def write_figures(
    folder: Path,
    baseline: str = "baseline",
    scenarios: Sequence[Scenario] | None = None,
    figures: Sequence[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
) -> list[Path]:
    """Draw the comparison figures of a result folder into ``folder/figures``; their paths.

    ``figures`` names the ones wanted (see :data:`FIGURES`; default all). A figure whose data
    the folder lacks (e.g. trajectories not kept) is left out. ``workers``: processes to
    draw on (default one per core).
    """
    results = load_results(folder)
    drawn = draw_figures(results, baseline, scenarios, None, seed, figures, workers=workers)
    return [f.path for f in drawn]


@dataclass
class Drawing:
    """What every figure of a result folder reads (scenarios in drawing order, baseline first)."""

    results: BatchResults
    baseline: str
    names: list[str]
    infos: dict[str, ScenarioInfo]
    styles: Any
    summaries: dict[str, Summary]  # per scenario (empty without trajectories)
    have: set[str]
    goods: list[str]
    base_markers: Any
    table: pd.DataFrame | None
    seed: int

    @property
    def titles(self) -> dict[str, str]:
        return {n: i.title for n, i in self.infos.items()}


# each figure: (drawing) -> (draw, file stem, title, caption), maybe none; ``draw()`` makes the
# matplotlib figure (None: nothing to draw), called only when the file is (re)drawn, in a
# worker: a module-level function with its data, picklable
Drawn = Iterator[tuple[Callable[[], Any], str, str, str]]
PANEL_TITLE_CHARS = 40  # a small panel's title (fontsize 8 in 3.6 inches) wraps at this
# the figures that read trajectories (through the per-scenario summaries)
FROM_TRAJECTORIES = ("stocks", "shortages", "clearing_balance")


def _draw_stocks(d: Drawing) -> Drawn:
    if {"stock", "shortage", "demand"} <= d.have:
        for name in d.names[1:] or d.names:
            shown = [d.baseline, name] if name != d.baseline else [d.baseline]
            markers = markers_for(d.infos, shown, d.baseline)
            part = {s: d.summaries.get(s) for s in shown}
            fig = partial(_stock_fans, part, d.goods, shown, d.styles, markers, d.titles)
            title = (
                f"German stocks: {d.infos[name].title}" if name != d.baseline else "German stocks"
            )
            yield fig, f"stocks_{name}", title, captions.caption_stocks(name, d.baseline, d.infos)


def _draw_shortages(d: Drawing) -> Drawn:

    if {"shortage", "demand"} <= d.have:
        markers = {n: markers_for(d.infos, [d.baseline, n], d.baseline) for n in d.names}
        fig = partial(_shortage_grid, d.summaries, d.names, d.baseline, d.goods, markers, d.titles)
        yield fig, "shortages", "Shortages", captions.caption_shortages()


def _draw_stockout_months(d: Drawing) -> Drawn:
    results = d.results
    if any(f"stockout_{g}" in results.outcomes for g in results.critical):
        goods = [g for g in results.critical if f"stockout_{g}" in results.outcomes]
        table = results.outcomes
        scenario = table["scenario"].astype(str)
        data = {
            g: {n: list(table.loc[scenario == n, f"stockout_{g}"]) for n in d.names} for g in goods
        }
        fig = partial(_stockout_panels, data, results.months, d.names, d.styles)
        yield (
            fig,
            "stockout_months",
            "When stocks run out",
            captions.caption_stockouts(results.months),
        )


def _draw_deliveries(d: Drawing) -> Drawn:
    totals = supplier_totals(d.results.outcomes, d.names)
    if not totals.empty and totals.shape[1] > 0:
        fig = partial(_deliveries, totals, d.names)
        yield fig, "deliveries_by_supplier", "Imports by supplier", captions.caption_deliveries()


def _draw_clearing(d: Drawing) -> Drawn:
    if "clearing_balance_rm" in d.have:
        fig = partial(_clearing, d.summaries, d.names, d.styles, d.base_markers)
        yield fig, "clearing_balance", "The clearing account", captions.caption_clearing()


def _draw_differences(d: Drawing) -> Drawn:
    if len(d.names) > 1 and d.table is not None and headline_rows(d.table):
        fig = partial(_differences, d.table, d.names, d.styles)
        title = "Paired differences against the baseline"
        yield fig, "paired_differences", title, captions.caption_differences(d.table)


# the registry of figures, in drawing order; ``stocks`` draws one per counterfactual
DRAWERS: dict[str, Callable[[Drawing], Drawn]] = {
    "stocks": _draw_stocks,
    "shortages": _draw_shortages,
    "stockout_months": _draw_stockout_months,
    "deliveries_by_supplier": _draw_deliveries,
    "clearing_balance": _draw_clearing,
    "paired_differences": _draw_differences,
}
FIGURES = tuple(DRAWERS)


def _print(text: str) -> None:
    print(text, flush=True)


def draw_figures(
    results: BatchResults,
    baseline: str = "baseline",
    scenarios: Sequence[Scenario] | None = None,
    table: pd.DataFrame | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
    redraw: bool = True,
    say: Callable[[str], None] | None = _print,
    workers: int | None = None,
    executor: Any = None,
) -> list[Figure]:
    """Draw the figures named in ``only`` (default all of :data:`FIGURES`) into ``figures/``.

    ``redraw=False`` keeps a figure already in ``figures/`` (``pactsim report`` reuses the
    batch's figures); ``Figure.drawn`` says which were drawn now. ``say`` gets a line saying
    how many figures are to be drawn, then one line per figure (None: silent).

    The work runs on ``executor`` (default: a :class:`LazyPool` of ``workers`` processes,
    one per core): first each scenario's quantiles over runs
    (:mod:`model.presentation.summaries`; only when a figure that is drawn needs the
    trajectories) and each counterfactual's paired differences, then one figure per task.
    Long because it plans both stages (what the figures to be drawn need) and joins them."""
    from model.presentation import plots

    unknown = sorted(set(only or ()) - set(FIGURES))
    if unknown:
        raise UserError(
            f"unknown figure(s) {', '.join(unknown)}; figures are: {', '.join(FIGURES)}"
        )
    wanted = set(only) if only is not None else set(FIGURES)
    out_dir = results.path / "figures"
    out_dir.mkdir(exist_ok=True)
    names = results.scenarios
    baseline = baseline if baseline in names else names[0]
    names = [baseline, *[n for n in names if n != baseline]]
    infos = scenario_infos(results, scenarios)
    styles = plots.scenario_styles(names, baseline)
    have = _trajectory_variables(results)
    goods = [g for g in results.critical if g in set(results.units) or g in have.get("good", ())]
    base_markers = markers_for(infos, [baseline], baseline)
    drawing = Drawing(
        results, baseline, names, infos, styles, {}, set(have.get("variables", ())), goods,
        base_markers, table, seed,
    )  # fmt: skip
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(LazyPool(workers))
        # first what the figures read, once: each scenario's quantiles over runs and each
        # counterfactual's paired differences (the bootstrap), a task each
        tasks: list[tuple[str, Any]] = []
        if _summaries_needed(drawing, wanted, out_dir, redraw):
            tasks += summary_tasks(
                results.trajectories_path, names, getattr(executor, "workers", 1)
            )
        if table is None and _table_needed(drawing, wanted, out_dir, redraw):
            # the figure shows the headline outcomes only: their columns alone are compared
            tasks += compare_tasks(results, baseline, seed, HEADLINE)
        parts: dict[str, pd.DataFrame] = {}
        for kind, name, value in executor.map(prepare_task, tasks, failed):
            if kind == "summaries":
                drawing.summaries.update(value)
            else:
                parts[name] = value
        if parts:
            drawing.table = paired_table([parts[n] for n in names[1:]])
        jobs = [job for key, draw in DRAWERS.items() if key in wanted for job in draw(drawing)]
        return _draw_jobs(jobs, out_dir, redraw, say, executor)


def _table_needed(d: Drawing, wanted: set[str], out_dir: Path, redraw: bool) -> bool:
    if "paired_differences" not in wanted or len(d.names) < 2:
        return False
    return redraw or not (out_dir / "paired_differences.png").exists()


def _summaries_needed(d: Drawing, wanted: set[str], out_dir: Path, redraw: bool) -> bool:
    """Whether a figure to be drawn now reads the trajectories."""
    if not d.have or not wanted & set(FROM_TRAJECTORIES):
        return False
    if redraw:
        return True
    stems = {"shortages", "clearing_balance", *(f"stocks_{n}" for n in d.names)}
    return any(not (out_dir / f"{stem}.png").exists() for stem in stems)


def _draw_jobs(
    jobs: Sequence[tuple[Callable[[], Any], str, str, str]],
    out_dir: Path,
    redraw: bool,
    say: Callable[[str], None] | None,
    executor: Any,
) -> list[Figure]:
    """Draw (or keep) each figure on the executor, one progress line per figure drawn (in
    the order they finish); the figures in the registry's order."""
    todo = [name for _, name, _, _ in jobs if redraw or not (out_dir / f"{name}.png").exists()]
    if say and todo:
        kept = f" ({len(jobs) - len(todo)} kept)" if len(todo) < len(jobs) else ""
        say(f"figures: drawing {len(todo)} into {out_dir}{kept}")
    tasks = [(make, out_dir / f"{name}.png") for make, name, _, _ in jobs if name in todo]
    # the slowest first, so that no worker is left with a long one at the end
    tasks.sort(key=lambda t: t[1].stem not in ("shortages", "paired_differences"))
    empty: set[str] = set()
    for n, (path, seconds, drew) in enumerate(executor.map(figure_task, tasks, failed), 1):
        if not drew:
            empty.add(path.stem)
        if say:
            say(f"figure {n}/{len(todo)}: {path.name} ({seconds:.1f} s)")
    return [
        Figure(out_dir / f"{name}.png", title, caption, name in todo)
        for _, name, title, caption in jobs
        if name not in empty
    ]


def _trajectory_variables(results: BatchResults) -> dict[str, list[str]]:
    """The figures' variables in the folder's trajectories and their goods ({} without)."""
    if not results.trajectories_path.exists():
        return {}
    with results.trajectories() as ds:
        return {
            "variables": [v for v in VARIABLES if v in ds],
            "good": [str(g) for g in ds["good"].values] if "good" in ds.coords else [],
        }


def _stock_fans(
    summaries, goods: Sequence[str], shown: Sequence[str], styles, markers, titles
) -> Any:
    from model.presentation import plots

    fig, axes = kept_grid.grid_figure(14, 7.5, 2, 4)
    numbers = numbered(markers)
    text = (
        "line: median of the runs\ndark band: middle 50 % of runs\nlight band: 90 % of runs\n"
        "strip along the bottom: months in which\nmost runs are short (>= 1 % of demand unmet)\n"
        + _events_text(numbers)
    )
    _place_grid(fig, 4, text, 0.75, 0.58, 0.35, 0.8, 0.6, legend=list(shown))
    for ax, good in zip(axes, goods, strict=False):
        plots.plot_stock_fan(summaries, good, shown, styles, markers, numbers, ax=ax)
        plots.year_axis(ax)
    for ax in axes[len(goods) : -1]:
        ax.axis("off")
    plots.legend_panel(axes[-1], axes[0], text)
    title = " vs ".join(titles.get(s, s) for s in reversed(shown))
    if len(shown) == 1:
        title = titles.get(shown[0], shown[0])
    layout.suptitle(fig, f"German stocks of critical goods -- {title}")
    return fig


def _place_grid(
    fig: Any, cols: int, key: str, left: float, top: float, bottom: float, wgap: float,
    hgap: float, legend: Sequence[str] = (), ncol: int = 1,
) -> None:  # fmt: skip
    """Place a grid whose last panel holds the legend (``legend``: its labels, in ``ncol``
    columns) and the text ``key`` (fontsize 8), either of which may be wider than a panel:
    the right margin grows until both fit."""

    width = fig.get_size_inches()[0]
    need = max(layout.text_width(fig, [key], 8), layout.legend_width(fig, legend, ncol)) + 0.15
    rest = width - left - (cols - 1) * wgap  # the panels' width plus the right margin
    right = max(0.12, (cols * need - rest) / (cols - 1)) if cols > 1 else 0.12
    layout.place(fig, left, right, top, bottom, wgap, hgap)


def _shortage_grid(summaries, names, baseline, goods, markers, titles) -> Any:
    """Small multiples: one panel per scenario, the goods ever short (median > 0.5 % of
    demand in some scenario) in a colour each, the baseline dashed beneath."""
    from model.presentation import plots

    def peak(good: str) -> float:
        return max(float(np.nanmax(s.unmet_median[:, s.good(good)])) for s in summaries.values())

    short = [g for g in goods if peak(g) >= 0.005] or list(goods[:1])
    n = len(names) + 1  # a panel for the legend
    cols = min(4, n)
    rows = -(-n // cols)
    fig = plots.new_figure(3.6 * cols, 0.8 + 2.6 * rows, layout=None)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True)).ravel()
    numbers = numbered(*markers.values())  # one number per event in every panel
    text = (
        "solid: the scenario (median of runs); dashed: the baseline\n"
        f"goods never short (< 0.5 %): {', '.join(g for g in goods if g not in short) or 'none'}\n"
        + _events_text(numbers)
    )
    _place_grid(fig, cols, text, 0.7, 0.78, 0.35, 0.15, 0.5, legend=list(short), ncol=2)
    for ax, name in zip(axes, names, strict=False):
        # the name, then the title wrapped to the panel (one line of both overran its neighbour)
        title = f"{name}\n{textwrap.fill(titles.get(name, name), PANEL_TITLE_CHARS)}"
        plots.plot_shortage_panel(
            summaries, name, baseline, short, markers[name], title, numbers, ax=ax
        )
        plots.year_axis(ax)
    for ax in axes[len(names) :]:
        ax.axis("off")
    for ax in axes[::cols]:
        ax.set_ylabel("unmet demand, %")
    plots.legend_panel(axes[len(names)], axes[0], text, ncol=2)
    axes[len(names)].get_legend().set_title("good")
    layout.suptitle(fig, "German shortages of critical goods: unmet demand, % of demand")
    return fig


def _stockout_panels(data, months, names, styles) -> Any:
    """``data``: good -> scenario -> the stock-out month of each run (None: not within)."""
    from model.presentation import plots

    fig = plots.new_figure(14, 7.5, layout=None)
    axes = fig.subplots(2, 4).ravel()
    text = (
        "each curve: the share of runs in which the\nGerman stock has run out (less than 1 % of a\n"
        f"month's demand left) by that month;\nwhere a curve ends: the share by {months[-1]}\n"
        "(the rest do not run out within the window)"
    )
    ncol = 1 if len(names) <= 8 else 2
    _place_grid(fig, 4, text, 0.75, 0.62, 0.35, 0.8, 0.6, legend=list(names), ncol=ncol)
    for ax, (good, by_scenario) in zip(axes, data.items(), strict=False):
        plots.plot_stockout_ecdf(by_scenario, months, good, styles, ax=ax)
        plots.year_axis(ax)
    for ax in axes[len(data) : -1]:
        ax.axis("off")
    plots.legend_panel(axes[-1], axes[0], text, ncol=ncol)
    layout.suptitle(fig, "When German stocks of critical goods run out")
    return fig


def _deliveries(totals: pd.DataFrame, names) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(12, 1.6 + 0.45 * len(names), layout=None)
    ax = fig.subplots()
    legend_rows = -(-totals.shape[1] // 8)
    names_w = layout.text_width(fig, [str(n) for n in totals.index], 10)
    layout.place(fig, left=names_w + 0.2, right=0.25, top=0.45 + 0.22 * legend_rows, bottom=0.55)
    plots.plot_deliveries_by_supplier(totals, ax=ax)
    ax.legend(
        ncol=min(totals.shape[1], 8),
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    layout.suptitle(fig, "Where Germany's imports came from: cumulative imports by supplier")
    return fig


def _clearing(summaries, names, styles, markers) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(12, 7.5, layout=None)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    numbers = numbered(markers)
    # the legend beside the top panel: the scenarios' names and the look-alikes' entry
    labels = [*names, plots.like_baseline_label(summaries, names)]
    key_lines = event_key(numbers, 150).count("\n") + 1 if numbers else 0
    layout.place(
        fig, left=0.95, right=layout.text_width(fig, labels, 8) + 0.75, top=0.62,
        bottom=0.4 + 0.15 * key_lines, hgap=0.15,
    )  # fmt: skip
    plots.plot_clearing_balance(summaries, names, styles, markers, numbers, ax=top)
    top.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="scenario"
    )
    top.set_title(
        "German-Soviet clearing balance (median, 50 % band; triangles: months most runs are under a Soviet suspension)",
        fontsize=10,
    )
    if summaries[names[0]].suspended_pct is not None:
        shown = plots.plot_suspensions(summaries, names, styles, markers, numbers, ax=bottom)
        months = summaries[names[0]].months
        within = {m: k for m, k in numbers.items() if months[0] <= m[0] <= months[-1]}
        if within:
            shown.set_xlabel("dashed lines: " + event_key(within, 150), fontsize=8, color="0.3")
    else:
        bottom.axis("off")
    layout.suptitle(fig, "The clearing account and Soviet suspensions")
    return fig


def headline_rows(table: pd.DataFrame) -> list[str]:
    """The outcome ids of the headline, those present in the table."""
    ids = set(table["outcome"])
    return [h for h in HEADLINE if h in ids]


def _differences(table: pd.DataFrame, names, styles) -> Any:
    from model.presentation import plots

    heads = headline_rows(table)
    if not heads:
        return None
    n_cols = 4
    n_rows = -(-len(heads) // n_cols)
    others = [n for n in names if n in set(table["scenario"])]
    fig = plots.new_figure(15, 0.9 + n_rows * (0.9 + 0.32 * len(others)), layout=None)
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for i, (ax, outcome) in enumerate(zip(axes, heads, strict=False)):
        rows = (
            table[table["outcome"] == outcome].set_index("scenario").reindex(others).reset_index()
        )
        label = str(rows["label"].iloc[0])
        first = rows.dropna(subset=["baseline"]).iloc[0] if rows["baseline"].notna().any() else None
        level = ""
        if rows["unit"].iloc[0] == "months" and rows["group"].iloc[0] == "runs out":
            label += " (median)"
            if first is not None:
                level = f"{first['baseline_month']} ({first['share_out_baseline']:.0%} of runs out)"
        elif first is not None:
            # a level of a percentage is in %, its difference in percentage points
            unit = "%" if first["unit"] == "% pts" else first["unit"]
            level = f"{fmt_level(first, 'baseline')} {unit}"
        plots.plot_paired_differences(rows, label, styles, ax=ax, baseline_level=level)
        if i % n_cols:
            ax.set_yticklabels([])
    for ax in axes[len(heads) :]:
        ax.axis("off")
    level = f"{table.attrs.get('confidence', 0.9):.0%}"
    # the panels' titles: up to four lines at fontsize 10, above each row
    lines = max((ax.get_title().count("\n") + 1 for ax in axes[: len(heads)]), default=1)
    title_in = 0.1 + lines * 10 * 1.2 / 72
    layout.place(
        fig, left=layout.text_width(fig, others, 10) + 0.25, right=0.15, top=0.35 + title_in,
        bottom=0.55, wgap=0.3, hgap=0.55 + title_in,
    )  # fmt: skip
    layout.suptitle(
        fig,
        f"Each counterfactual minus the baseline, same runs paired (dot: estimate; bar: {level} bootstrap interval)",
    )
    return fig


def _events_text(numbers: dict[tuple[str, str], int]) -> str:
    if not numbers:
        return ""
    return "dashed lines, numbered:\n" + event_key(numbers)
