"""The figure writers of the commands, in one explicit registry.

``model.cli`` hands :data:`FIGURE_WRITERS` to the commands of the lower layers (``pactsim
run``, ``batch``, ``sensitivity``) as ``args.figure_writers``, so those layers draw figures
without importing this one. Each writer reads saved results and returns what it drew.
Matplotlib is imported only when a writer runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from model.analysis.sensitivity import SensitivitySpec
    from model.engine.runner import RunResult
    from model.files.scenario import Scenario


def batch_figures(
    path: Path, scenarios: Sequence[Scenario], names: Sequence[str] | None, workers: int = 1
) -> list[Path]:
    """The experiment's comparison figures (``names``; None: all) from a batch folder, drawn
    on ``workers`` processes."""
    from model.presentation.report_figures import write_figures

    return write_figures(
        path,
        scenarios=scenarios,
        figures=None if names is None else list(names),
        workers=workers,
    )


def run_figures(path: Path, result: RunResult) -> list[str]:
    """The stock-cover and shortage figures of one ``pactsim run``; the file names drawn."""
    from model.presentation import plots
    from model.presentation.event_marks import event_markers
    from model.world.goods import critical_goods

    figures = path / "figures"
    figures.mkdir(exist_ok=True)
    ds = result.dataset()
    markers = event_markers(result.scenario.data)
    critical = critical_goods(result.scenario.data.get("goods", {}))
    drawers = (
        ("stock_cover", lambda ax: plots.plot_stock_cover(ds, markers, critical, ax=ax)),
        ("shortages", lambda ax: plots.plot_shortages(ds, markers=markers, ax=ax)),
    )
    for name, draw in drawers:
        with plots.drawing():
            fig = plots.new_figure()
            draw(fig.gca())
        plots.save(fig, figures / f"{name}.png")
    return sorted(p.name for p in figures.iterdir())


def sensitivity_figures(
    path: Path, spec: SensitivitySpec, indices: pd.DataFrame, outcomes: Sequence[str]
) -> list[Path]:
    """One chart of the indices per scenario (the first outcomes that vary)."""
    from model.analysis.sensitivity import outcome_label, shown_outcomes
    from model.presentation import plots

    figures = path / "figures"
    figures.mkdir(exist_ok=True)
    top = min(12, len(spec.parameters))
    draw = plots.plot_sobol_indices if spec.method == "sobol" else plots.plot_morris
    what = "Sobol indices" if spec.method == "sobol" else "Morris screening"
    written = []
    for scenario in spec.scenarios:
        months = _window_labels(scenario)
        shown = shown_outcomes(indices, spec.method, outcomes, scenario.name)
        cols = max(1, min(len(shown), 2))
        rows = max(1, math.ceil(len(shown) / cols))
        fig = plots.new_figure(7.5 * cols, 0.8 + rows * (1.2 + 0.32 * top))
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        for ax, name in zip(axes, shown, strict=False):
            part = indices[(indices["scenario"] == scenario.name) & (indices["outcome"] == name)]
            note = (
                part["note"].iloc[0]
                if isinstance(part["note"].iloc[0], str) and part["note"].iloc[0]
                else ""
            )
            draw(
                part,
                outcome_label(name, months)
                + ("\n(" + note.split(":")[0] + ": unstable)" if note else ""),
                top=top,
                ax=ax,
            )
        for ax in axes[len(shown) :]:
            ax.axis("off")
        if not shown:
            axes[0].text(
                0.5, 0.5, "no analysed outcome varies", ha="center", transform=axes[0].transAxes
            )
        fig.suptitle(
            f"{what}: {scenario.name}, {len(spec.parameters)} uncertain parameters, N = "
            f"{spec.experiment.replications} (bars: {spec.confidence:.0%} interval)",
            fontsize=11,
        )
        target = figures / f"sensitivity_{scenario.name}.png"
        plots.save(fig, target)
        written.append(target)
    return written


def _window_labels(scenario: Scenario) -> list[str]:
    from model.world.calendar import Window

    window = scenario.data.get("window", {})
    return Window.from_texts(window["start"], window["end"]).labels


@dataclass(frozen=True)
class FigureWriters:
    """One writer per command that draws figures."""

    run: Callable[[Path, Any], list[str]]
    batch: Callable[[Path, Sequence[Any], Sequence[str] | None, int], list[Path]]
    sensitivity: Callable[[Path, Any, Any, Sequence[str]], list[Path]]


FIGURE_WRITERS = FigureWriters(
    run=run_figures, batch=batch_figures, sensitivity=sensitivity_figures
)
