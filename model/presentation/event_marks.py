"""Dated events on a figure's time axis: a dashed line each, numbered, the numbers in a key.

Labels written along the lines (rotated 90 degrees) ran into each other where two events
are a month apart (the Credit Agreement of August 1939, the transit letters of September)
and across the data. Here each event gets a number in a small box at the top of the axes,
set one row lower where it would touch a neighbour's, and :func:`event_key` lists the
numbers ("1 Aug 1939 Credit Agreement") for a legend panel or the axis label. The same
numbers serve every panel of a figure (:func:`numbered` over all the panels' events).

Only methods of the axes given are called: matplotlib is imported by
:mod:`model.presentation.plots` alone (docs/architecture.md §11.3).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Marker = tuple[str, str]  # (month YYYY-MM, what happened)
NUMBER_STYLE = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.55", "lw": 0.6}
CHAR_WIDTH = 0.62  # a digit's width, in units of the font size
ROW_GAP = 1.0  # between staggered rows of numbers, in box heights


def event_markers(scenario_data: Mapping[str, Any]) -> list[Marker]:
    """(month, label) for the treaties' signing and the invasion, from a scenario's data."""
    out = []
    for tid, t in (scenario_data.get("treaties") or {}).items():
        signed = t.get("signed")
        if isinstance(signed, str) and signed != "none":
            out.append((signed, str(t.get("title", tid)).split(" of ")[0]))
    invasion = (scenario_data.get("events") or {}).get("invasion")
    if isinstance(invasion, str) and invasion != "none":
        out.append((invasion, "invasion"))
    return out


def _date(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 15)


def event_label(month: str, label: str) -> str:
    """'invasion, Jun 1941': what happened and when, for a line on a dated axis."""
    return f"{label}, {_date(month):%b %Y}"


def numbered(*marker_lists: Iterable[Marker]) -> dict[Marker, int]:
    """One number per distinct event of all the lists, 1, 2, ... in date order."""
    events = sorted({m for markers in marker_lists for m in markers})
    return {m: i for i, m in enumerate(events, 1)}


def event_key(numbers: Mapping[Marker, int], width: int = 0) -> str:
    """The key of the numbers, one event a line ('1  Aug 1939  Credit Agreement'); with
    ``width``, on as few lines of that many characters as the events take."""
    items = [
        f"{n}  {_date(m):%b %Y}  {label}"
        for (m, label), n in sorted(numbers.items(), key=lambda x: x[1])
    ]
    if not width:
        return "\n".join(items)
    return "\n".join(textwrap.wrap(" ·  ".join(items), width, break_on_hyphens=False))


def mark_events(
    ax: Any,
    markers: Sequence[Marker],
    months: Sequence[str],
    numbers: Mapping[Marker, int] | None = None,
    fontsize: float = 7,
) -> dict[Marker, int]:
    """A dashed line at each event within ``months``, its number in a box at the top of the
    axes, staggered into rows so that no two boxes touch; the events drawn and their numbers
    (``numbers``: a figure's, e.g. from :func:`numbered` over every panel; default these
    markers')."""
    numbers = dict(numbers) if numbers is not None else numbered(markers)
    first, last = months[0], months[-1]
    shown = sorted(
        (m for m in markers if first <= m[0] <= last and m in numbers), key=lambda m: m[0]
    )
    for month, _ in shown:
        ax.axvline(_date(month), color="0.4", lw=0.8, ls="--")
    if not shown:
        return {}
    low, high = ax.get_xlim()
    span_pt = ax.get_window_extent().width * 72 / ax.figure.dpi
    rows: list[float] = []  # per row, the right edge (axes fraction) of its last box
    for marker in shown:
        text = str(numbers[marker])
        x = (float(ax.convert_xunits(_date(marker[0]))) - low) / (high - low)
        half = (CHAR_WIDTH * len(text) + 0.8) * fontsize / 2 / max(span_pt, 1.0) * 1.5
        row = next((i for i, edge in enumerate(rows) if x - half > edge), len(rows))
        if row == len(rows):
            rows.append(0.0)
        rows[row] = x + half
        ax.annotate(
            text, (_date(marker[0]), 1.0), xycoords=("data", "axes fraction"),
            xytext=(0, -3 - row * (1 + ROW_GAP) * fontsize * 1.4), textcoords="offset points",
            ha="center", va="top", fontsize=fontsize, color="0.2", bbox=NUMBER_STYLE, zorder=6,
        )  # fmt: skip
    return {m: numbers[m] for m in shown}
