"""The dashboard's charts as SVG small multiples: one panel per good, live over the baseline.

Pure functions of arrays (no Solara, no model): :func:`small_multiples` draws one chart --
a panel per critical good (or trade series) with the live scenario's median over runs and
its 5-95 % band in one colour, the unmodified baseline's whole curve faintly behind, the
treaties' signing (the pact of 1939-08 among them) and the two invasion lines -- and a
legend in the slots after the last panel whose marks are drawn with the very colours and
dashes of the panels (``LIVE``, ``BASELINE``, ``INVASION``...). A long window (1934-42)
labels every second or third January. Each panel carries its plotted values in
``data-*`` attributes (read by the browser test). SVG keeps the page offline-safe and quick
to redraw every month.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np

LIVE = "#0072B2"  # this scenario's median and band, in every panel
BASELINE_STYLE = 'stroke="#555" stroke-opacity="0.45" stroke-width="1.3" stroke-dasharray="3 2"'
INVASION_STYLE = 'stroke="#c00" stroke-dasharray="4 2"'  # this scenario's invasion
BASELINE_INVASION_STYLE = 'stroke="#999" stroke-dasharray="2 2"'
TREATY_STYLE = 'stroke="#7a5" stroke-dasharray="1 2"'  # a treaty signed (the pact: 1939-08)
MAX_YEAR_LABELS = 5  # per panel: more than this and the labels ran into each other


def _summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Median over runs and, for several runs, the 5 and 95 % quantiles (per month).

    A month where some run has no demand (NaN) is left out of the line (plain percentiles:
    ``nanpercentile`` costs ~10 ms per good, too slow to redraw every month).
    """
    if values.shape[0] == 1 or values.shape[1] == 0:
        return values[0] if len(values) else np.zeros(0), None, None
    lo, median, hi = np.percentile(values, [5, 50, 95], axis=0)
    return median, lo, hi


# ---------------------------------------------------------------------------------------
# SVG small multiples
# ---------------------------------------------------------------------------------------
PANEL_W, PANEL_H, COLS = 150.0, 112.0, 5  # 7 goods and the legend in two rows
LEFT, RIGHT, TOP, BOTTOM = 30.0, 8.0, 16.0, 17.0


def _nice_ceiling(x: float) -> float:
    if not np.isfinite(x) or x <= 0:
        return 1.0
    exponent = 10 ** np.floor(np.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * exponent >= x * 0.999:
            return float(m * exponent)
    return float(10 * exponent)


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else f"{v:.4g}"


def _path(xs: Sequence[float], ys: Sequence[float]) -> str:
    """SVG path data; a NaN breaks the line."""
    parts, pen_down = [], False
    for x, y in zip(xs, ys, strict=True):
        if not np.isfinite(y):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    return "".join(parts)


def small_multiples(
    chart: str,
    months: Sequence[str],
    goods: Sequence[str],
    live: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    unit: str,
    y_floor: float,
    invasion: str,
    reference_invasion: str,
    n_runs: int,
    step: int,
    titles: dict[str, str] | None = None,
    treaties: Sequence[str] = (),
) -> str:
    """One SVG: a panel per good; ``live[g]`` is (run, months so far), ``reference[g]`` (run,
    ``months``); ``titles`` the panels' titles (default the goods), ``treaties`` months marked."""
    slot = _legend_slot(len(goods))
    rows = slot // COLS + 1  # the legend takes two slots
    width, height = COLS * PANEL_W, rows * PANEL_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'role="img" data-chart="{chart}" data-step="{step}" '
        f'style="font-family: sans-serif; font-size: 10px; display: block">'
    ]
    for k, good in enumerate(goods):
        lines = (invasion, reference_invasion, tuple(treaties))
        title = (titles or {}).get(good, good)
        out += _panel(k, good, title, months, live[good], reference[good], unit, y_floor, lines)
    out += _legend(slot, n_runs, unit)
    out.append("</svg>")
    return "".join(out)


def _panel(
    k: int,
    good: str,
    title: str,
    months: Sequence[str],
    live_runs: np.ndarray,
    reference_runs: np.ndarray,
    unit: str,
    y_floor: float,
    lines: tuple[str, str, tuple[str, ...]],
) -> list[str]:
    """The SVG elements of the ``k``-th panel: one good, live median and band over the baseline."""
    n_months = len(months)
    inner_w, inner_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    out: list[str] = []
    ox, oy = (k % COLS) * PANEL_W + LEFT, (k // COLS) * PANEL_H + TOP
    colour = LIVE
    median, lo, hi = _summary(live_runs)
    ref_median, _, _ = _summary(reference_runs)
    top_value = max(
        np.nanmax(ref_median, initial=0.0),
        np.nanmax(hi if hi is not None else median, initial=0.0),
        y_floor,
    )
    y_max = _nice_ceiling(top_value)

    def x(i: float, ox: float = ox) -> float:
        return ox + inner_w * i / max(n_months - 1, 1)

    def y(v: np.ndarray, oy: float = oy, y_max: float = y_max) -> np.ndarray:
        return oy + inner_h * (1 - np.clip(v, 0, y_max) / y_max)

    out.append(
        f'<g data-good="{good}" data-median="{",".join(_fmt(v) for v in median)}" '
        f'data-baseline="{",".join(_fmt(v) for v in ref_median)}">'
    )
    out += _panel_frame(title, ox, oy, y_max, months, x, *lines)
    ref_x = [x(i) for i in range(len(ref_median))]
    out.append(
        f'<path d="{_path(ref_x, y(ref_median))}" fill="none" {BASELINE_STYLE} data-mark="baseline">'  # type: ignore[arg-type]
        "<title>baseline (unmodified)</title></path>"
    )
    xs = [x(i) for i in range(len(median))]
    if lo is not None and hi is not None and len(xs) > 1:
        out += _band(xs, lo, hi, y, colour)
    out.append(
        f'<path d="{_path(xs, y(median))}" fill="none" stroke="{colour}" stroke-width="1.8" data-mark="live"/>'  # type: ignore[arg-type]
    )
    if len(median) and np.isfinite(median[-1]):
        out.append(
            f'<circle cx="{xs[-1]:.1f}" cy="{y(median[-1:])[0]:.1f}" r="2.2" fill="{colour}">'
            f"<title>{html.escape(good)} {months[len(median) - 1]}: {median[-1]:.3g} {html.escape(unit)}</title></circle>"
        )
    out.append("</g>")
    return out


def _band(
    xs: Sequence[float],
    lo: np.ndarray,
    hi: np.ndarray,
    y: Callable[[np.ndarray], np.ndarray],
    colour: str,
) -> list[str]:
    """The 5-95 % band as one polygon (months where either edge is missing are skipped)."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    upper = [f"{xx:.1f},{yy:.1f}" for xx, yy, keep in zip(xs, y(hi), ok, strict=True) if keep]
    lower = [f"{xx:.1f},{yy:.1f}" for xx, yy, keep in zip(xs, y(lo), ok, strict=True) if keep]
    if not upper:
        return []
    return [
        f'<polygon points="{" ".join(upper + lower[::-1])}" fill="{colour}" fill-opacity="0.22" stroke="none"/>'
    ]


def _panel_frame(
    title: str,
    ox: float,
    oy: float,
    y_max: float,
    months: Sequence[str],
    x: Callable[[float], float],
    invasion: str,
    reference_invasion: str,
    treaties: tuple[str, ...] = (),
) -> list[str]:
    """A panel's title, box, y labels and grid, year ticks (a label every ``every`` years),
    the treaties' signing and the two invasion lines."""
    inner_w, inner_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    out: list[str] = []
    out.append(
        f'<text x="{ox:.1f}" y="{oy - 5:.1f}" font-weight="bold" font-size="11px" fill="#333">{html.escape(title)}</text>'
    )
    out.append(
        f'<rect x="{ox:.1f}" y="{oy:.1f}" width="{inner_w:.1f}" height="{inner_h:.1f}" fill="none" stroke="#ccc"/>'
    )
    for frac in (0.0, 0.5, 1.0):
        yy = oy + inner_h * (1 - frac)
        out.append(
            f'<text x="{ox - 3:.1f}" y="{yy + 3:.1f}" text-anchor="end" fill="#555">{y_max * frac:.3g}</text>'
        )
        if 0 < frac < 1:
            out.append(
                f'<line x1="{ox:.1f}" x2="{ox + inner_w:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>'
            )
    januaries = [i for i, label in enumerate(months) if label.endswith("-01")]
    every = -(-len(januaries) // MAX_YEAR_LABELS) or 1
    for n, i in enumerate(januaries):
        xx = x(i)
        out.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{oy + inner_h:.1f}" y2="{oy + inner_h + 3:.1f}" stroke="#999"/>'
        )
        if n % every == 0:
            out.append(
                f'<text x="{xx:.1f}" y="{oy + inner_h + 12:.1f}" text-anchor="middle" fill="#555" data-year="{months[i][:4]}">{months[i][:4]}</text>'
            )
    marks = [(m, TREATY_STYLE, "treaty") for m in treaties]
    marks += [
        (reference_invasion, BASELINE_INVASION_STYLE, "baseline-invasion"),
        (invasion, INVASION_STYLE, "invasion"),
    ]
    for month, style, mark in marks:
        if month in months:
            xx = x(months.index(month))
            out.append(
                f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{oy:.1f}" y2="{oy + inner_h:.1f}" {style} data-mark="{mark}" data-month="{month}"/>'
            )
    return out


def _legend_slot(n_panels: int) -> int:
    """Where the legend goes: after the last panel, or at the next row's start where the
    row has no two slots left for it."""
    return n_panels if n_panels % COLS <= COLS - 2 else n_panels + COLS - n_panels % COLS


def _legend(k: int, n_runs: int, unit: str) -> list[str]:
    """The legend, in slot ``k`` and the one after it (:func:`_legend_slot`); each mark
    drawn with the style of what it names (``data-legend`` says which)."""
    out: list[str] = []
    lx, ly = (k % COLS) * PANEL_W + 8, (k // COLS) * PANEL_H + TOP + 4
    runs_text = "median of 1 run" if n_runs == 1 else f"median of {n_runs} runs, 5-95 % band"
    legend = [
        (f'stroke="{LIVE}" stroke-width="1.8"', "live", "this scenario"),
        ("", "", f"({runs_text})"),
        (BASELINE_STYLE, "baseline", "baseline, unmodified"),
        (INVASION_STYLE, "invasion", "invasion, this scenario"),
        (BASELINE_INVASION_STYLE, "baseline-invasion", "invasion, baseline's"),
        (TREATY_STYLE, "treaty", "treaty signed (pact: 1939-08)"),
        ("", "", unit),
    ]
    for j, (style, mark, text) in enumerate(legend):
        yy = ly + 13 * j
        if style:
            out.append(
                f'<line x1="{lx}" x2="{lx + 18}" y1="{yy}" y2="{yy}" {style} data-legend="{mark}"/>'
            )
        out.append(f'<text x="{lx + 22}" y="{yy + 3}" fill="#333">{html.escape(text)}</text>')
    return out
