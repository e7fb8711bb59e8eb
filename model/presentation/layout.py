"""Fixed layouts for the batch's figures: a grid of axes at margins given in inches, the
texts whose size varies (scenario names, legends, keys) measured by the figure's renderer.

matplotlib's constrained layout measured every tick label of every axes twice more than the
drawing itself does -- a third of the time of a comparison figure. Here a figure's builder
says its margins, measuring only what varies, before it draws (the event numbers are
staggered by the axes' final width). Only methods of the figure given are called:
matplotlib is imported by :mod:`model.presentation.plots` alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def place(
    fig: Any,
    left: float,
    right: float,
    top: float,
    bottom: float,
    wgap: float = 0.0,
    hgap: float = 0.0,
) -> None:
    """Put the figure's grid of axes at fixed margins and gaps between panels, in inches."""
    width, height = fig.get_size_inches()
    specs = [ax.get_subplotspec() for ax in fig.axes]
    grid = next((spec.get_gridspec() for spec in specs if spec is not None), None)
    rows, cols = grid.get_geometry() if grid is not None else (1, 1)
    panel_w = (width - left - right - (cols - 1) * wgap) / cols
    panel_h = (height - top - bottom - (rows - 1) * hgap) / rows
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=wgap / panel_w,
        hspace=hgap / panel_h,
    )


def text_width(fig: Any, texts: Iterable[str], fontsize: float) -> float:
    """The widest line of ``texts`` at ``fontsize`` as the figure's renderer sets it, inches."""
    widest = 0.0
    for line in (line for t in texts for line in str(t).split("\n") if line):
        probe = fig.text(0, 0, line, fontsize=fontsize)
        widest = max(widest, probe.get_window_extent().width)
        probe.remove()
    return widest / fig.dpi


def legend_width(fig: Any, labels: Sequence[str], ncol: int = 1, fontsize: float = 8) -> float:
    """The width of a frameless legend of ``labels`` in ``ncol`` columns, inches (matplotlib's
    default handle length 2, text pad 0.8 and column spacing 2, in font sizes)."""
    em = fontsize / 72
    per = max(1, -(-len(labels) // max(ncol, 1)))
    columns = [labels[i : i + per] for i in range(0, len(labels), per)]
    label_w = sum(text_width(fig, c, fontsize) for c in columns)
    return label_w + len(columns) * 2.8 * em + (len(columns) - 1) * 2.0 * em + 0.8 * em


def suptitle(fig: Any, text: str, fontsize: float = 12) -> None:
    """The figure's title, 0.08 inch below its top edge."""
    fig.suptitle(text, fontsize=fontsize, y=1 - 0.08 / fig.get_size_inches()[1], va="top")
