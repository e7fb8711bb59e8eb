"""Grids of axes kept from one figure to the next of the same shape, in a figure worker.

Making a 2 x 4 grid's axes and their tick objects again cost ~0.17 s of a ~0.8 s stock-fan
figure (18 of the main job's 23 figures). Within :class:`reusing` (a worker draws and saves one
figure at a time, in :func:`model.presentation.plots.drawing`), :func:`grid_figure` hands out
the same figure for the same shape, cleared of what the previous one drew; elsewhere a new
one. Only methods of the figure are called: matplotlib is imported by
:mod:`model.presentation.plots` alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_KEPT: dict[tuple[float, float, int, int], tuple[Any, np.ndarray]] = {}
_REUSING: list[bool] = []


class reusing:  # noqa: N801 (a context, like matplotlib's rc_context)
    """Within: :func:`grid_figure` reuses one figure per shape."""

    def __enter__(self) -> None:
        _REUSING.append(True)

    def __exit__(self, *exc: object) -> None:
        _REUSING.pop()


def grid_figure(width: float, height: float, rows: int, cols: int) -> tuple[Any, np.ndarray]:
    """A ``width`` x ``height`` figure with a ``rows`` x ``cols`` grid of axes (raveled) at
    fixed margins (``layout=None``): within :class:`reusing` the kept one of that shape, its
    data artists, legends, titles and labels removed and its limits reset (a closed figure
    still draws and saves)."""
    from model.presentation import plots

    key = (width, height, rows, cols)
    kept = _KEPT.get(key) if _REUSING else None
    if kept is None:
        fig = plots.new_figure(width, height, layout=None)
        kept = fig, np.atleast_1d(fig.subplots(rows, cols)).ravel()
        if _REUSING:
            _KEPT[key] = kept
        return kept
    fig, axes = kept
    for ax in axes:
        _clear(ax)
    fig.suptitle("")
    return kept


def _clear(ax: Any) -> None:
    """Remove what a plot drew on ``ax`` and reset its data limits and autoscaling, keeping
    the axes, their axis objects and ticks (locators are set again by every plot)."""
    for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images]:
        artist.remove()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_axis_on()
    ax.set_autoscale_on(True)
    ax.relim()  # no artists left: null data limits
    ax.autoscale_view()
