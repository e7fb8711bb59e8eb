"""The dashboard page: a Mesa SolaraViz app over :class:`model.dashboard.DashboardModel`.

Served by ``pactsim dashboard`` (``solara run model.presentation.dashboard_app``). SolaraViz provides
the controls (Reset, Play/Pause, Step) and the "Model Parameters" card built from
:func:`model_params`; a lever takes effect when Reset rebuilds the model. Each browser
session gets its own model (``Page`` builds one per session; a module-level model would
be shared by every session).

The three components are plain functions of the model, so SolaraViz re-renders them after
every step:

- :func:`StatusPanel` -- the month, the levers in effect, refused values, the clearing
  balance, the arrears and the suspension state;
- :func:`StockCoverChart` -- German stocks of the critical goods in months of cover
  (stock / demand of the month);
- :func:`ShortageChart` -- unmet German demand as a share of demand.

The charts are small SVG multiples (one panel per critical good): the live scenario as
the median over runs with a 5-95 % band, the unmodified baseline's whole curve drawn
faintly behind. Each panel carries its plotted values in ``data-*`` attributes (read by
the browser test). SVG keeps the page offline-safe and quick to redraw every month; the
figures of result folders stay in :mod:`model.presentation.plots`.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import solara

from model.presentation.dashboard import (
    AS_IN_SCENARIO,
    BASELINE_FILE,
    DEFAULT_RUNS,
    INVASION,
    RUN_CHOICES,
    DashboardModel,
    LeverStarts,
    Reference,
    load_scenario,
    scenario_dir,
    scenario_files,
)
from model.presentation.plots import OKABE_ITO
from model.world.calendar import format_month, parse_month
from model.world.distributions import central, is_distribution

# Mesa 3.3.1's ComponentsView calls use_state after an early return and Solara warns when it
# checks the component (on import of mesa.visualization, hence the import inside Page).
# Harmless here: the component list never changes. Keep the server log readable.
warnings.filterwarnings(
    "ignore", message=r".*ComponentsView: `use_state` found despite early return"
)

INVASION_CHOICES = (
    AS_IN_SCENARIO,
    "none",
    *(format_month(i) for i in range(parse_month("1940-06"), parse_month("1942-12") + 1)),
)
PLAY_INTERVAL_MS = 1  # SolaraViz waits this long between months; the redraw (~40-90 ms) paces Play
TITLE = "pactsim: German-Soviet trade under the blockade, 1939-1942"


# ---------------------------------------------------------------------------------------
# controls
# ---------------------------------------------------------------------------------------
def model_params(folder: Path) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the levers (user inputs) and the fixed arguments."""
    starts = LeverStarts.from_scenario(load_scenario(folder, BASELINE_FILE))
    return {
        "scenario_file": {"type": "Select", "label": "Scenario file", "value": BASELINE_FILE, "values": scenario_files(folder)},
        "invasion": {"type": "Select", "label": "Invasion month", "value": AS_IN_SCENARIO, "values": list(INVASION_CHOICES)},
        "delivery_share": {
            "type": "SliderFloat", "label": "German delivery rate (share of what is due)",
            "value": starts.delivery_share, "min": 0.0, "max": 1.0, "step": 0.05,
        },
        "tolerance_m_rm": {"type": "InputText", "label": "Reciprocity tolerance, M RM (blank: file)", "value": ""},
        "blockade_effectiveness": {
            "type": "SliderFloat", "label": "Blockade effectiveness",
            "value": starts.blockade_effectiveness, "min": 0.0, "max": 1.0, "step": 0.01,
        },
        "trans_siberian_t_per_month": {
            "type": "SliderInt", "label": "Trans-Siberian capacity, t/month",
            "value": int(round(starts.trans_siberian_t_per_month, -3)), "min": 0, "max": 150_000, "step": 1_000,
        },
        "synthetic_oil_scale": {
            "type": "SliderFloat", "label": "Synthetic oil capacity (x the scenario's schedule)",
            "value": 1.0, "min": 0.0, "max": 2.0, "step": 0.05,
        },
        "runs": {"type": "Select", "label": "Runs (1: central values; more: Monte Carlo band)", "value": DEFAULT_RUNS, "values": list(RUN_CHOICES)},
        "seed": 0,
        "scenario_folder": str(folder),
    }  # fmt: skip


def initial_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The arguments Reset would pass before any control is touched."""
    return {k: v["value"] if isinstance(v, dict) and "type" in v else v for k, v in params.items()}


# ---------------------------------------------------------------------------------------
# numbers drawn
# ---------------------------------------------------------------------------------------
def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan
        )


def months_of_cover(trajectory: dict[str, np.ndarray], good: int, upto: int) -> np.ndarray:
    """(run, month) German stock in months of that month's demand, first ``upto`` months."""
    return _ratio(trajectory["stock"][:upto, :, good], trajectory["demand"][:upto, :, good]).T


def shortage_percent(trajectory: dict[str, np.ndarray], good: int, upto: int) -> np.ndarray:
    """(run, month) unmet German demand in % of demand, first ``upto`` months."""
    share = _ratio(trajectory["shortage"][:upto, :, good], trajectory["demand"][:upto, :, good])
    return 100 * np.nan_to_num(share, nan=0.0).T


def _summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Median over runs and, for several runs, the 5 and 95 % quantiles (per month).

    A month where some run has no demand (NaN) is left out of the line (plain percentiles:
    ``nanpercentile`` costs ~10 ms per good, too slow to redraw every month).
    """
    if values.shape[0] == 1 or values.shape[1] == 0:
        return values[0] if len(values) else np.zeros(0), None, None
    lo, median, hi = np.percentile(values, [5, 50, 95], axis=0)
    return median, lo, hi


def _invasion_label(value: Any) -> str:
    if is_distribution(value):
        value = central(value)
    return str(value) if value is not None else "none"


# ---------------------------------------------------------------------------------------
# SVG small multiples
# ---------------------------------------------------------------------------------------
PANEL_W, PANEL_H, COLS = 150.0, 112.0, 3
LEFT, RIGHT, TOP, BOTTOM = 30.0, 8.0, 16.0, 17.0
CHART_MAX_HEIGHT = "345px"  # SolaraViz's grid items are ~390 px high


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
) -> str:
    """One SVG: a panel per good; ``live[g]`` is (run, months so far), ``reference[g]`` (run, ``months``)."""
    rows = -(-(len(goods) + 2) // COLS)  # the legend takes two slots
    width, height = COLS * PANEL_W, rows * PANEL_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'role="img" data-chart="{chart}" data-step="{step}" '
        f'style="font-family: sans-serif; font-size: 10px; display: block; max-height: {CHART_MAX_HEIGHT}">'
    ]
    for k, good in enumerate(goods):
        out += _panel(
            k,
            good,
            months,
            live[good],
            reference[good],
            unit,
            y_floor,
            invasion,
            reference_invasion,
        )
    out += _legend(len(goods), n_runs, unit)
    out.append("</svg>")
    return "".join(out)


def _panel(
    k: int,
    good: str,
    months: Sequence[str],
    live_runs: np.ndarray,
    reference_runs: np.ndarray,
    unit: str,
    y_floor: float,
    invasion: str,
    reference_invasion: str,
) -> list[str]:
    """The SVG elements of the ``k``-th panel: one good, live median and band over the baseline."""
    n_months = len(months)
    inner_w, inner_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    out: list[str] = []
    ox, oy = (k % COLS) * PANEL_W + LEFT, (k // COLS) * PANEL_H + TOP
    colour = OKABE_ITO[k % len(OKABE_ITO)]
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
    out += _panel_frame(good, ox, oy, y_max, months, x, invasion, reference_invasion)
    ref_x = [x(i) for i in range(len(ref_median))]
    out.append(
        f'<path d="{_path(ref_x, y(ref_median))}" fill="none" stroke="#555" stroke-opacity="0.45" '  # type: ignore[arg-type]
        'stroke-width="1.3" stroke-dasharray="3 2"><title>baseline (unmodified)</title></path>'
    )
    xs = [x(i) for i in range(len(median))]
    if lo is not None and hi is not None and len(xs) > 1:
        out += _band(xs, lo, hi, y, colour)
    out.append(
        f'<path d="{_path(xs, y(median))}" fill="none" stroke="{colour}" stroke-width="1.8"/>'  # type: ignore[arg-type]
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
    good: str,
    ox: float,
    oy: float,
    y_max: float,
    months: Sequence[str],
    x: Callable[[float], float],
    invasion: str,
    reference_invasion: str,
) -> list[str]:
    """A panel's title, box, y labels and grid, year ticks and the two invasion lines."""
    inner_w, inner_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    out: list[str] = []
    out.append(
        f'<text x="{ox:.1f}" y="{oy - 5:.1f}" font-weight="bold" font-size="11px" fill="#333">{html.escape(good)}</text>'
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
    for i, label in enumerate(months):
        if label.endswith("-01"):
            xx = x(i)
            out.append(
                f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{oy + inner_h:.1f}" y2="{oy + inner_h + 3:.1f}" stroke="#999"/>'
            )
            out.append(
                f'<text x="{xx:.1f}" y="{oy + inner_h + 12:.1f}" text-anchor="middle" fill="#555">{label[:4]}</text>'
            )
    for month, style in (
        (reference_invasion, 'stroke="#999" stroke-dasharray="2 2"'),
        (invasion, 'stroke="#c00" stroke-dasharray="4 2"'),
    ):
        if month in months:
            xx = x(months.index(month))
            out.append(
                f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{oy:.1f}" y2="{oy + inner_h:.1f}" {style}/>'
            )
    return out


def _legend(k: int, n_runs: int, unit: str) -> list[str]:
    """The legend, in the slot after the last panel (``k``: the number of panels)."""
    out: list[str] = []
    lx, ly = (k % COLS) * PANEL_W + 8, (k // COLS) * PANEL_H + TOP + 4
    runs_text = "median of 1 run" if n_runs == 1 else f"median of {n_runs} runs, 5-95 % band"
    legend = [
        (f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{OKABE_ITO[0]}" stroke-width="1.8"/>', "this scenario"),
        ("", f"({runs_text})"),
        (f'<line x1="{lx}" x2="{lx + 18}" y1="{ly + 28}" y2="{ly + 28}" stroke="#555" stroke-opacity="0.45" stroke-dasharray="3 2" stroke-width="1.3"/>', "baseline, unmodified"),
        (f'<line x1="{lx + 9}" x2="{lx + 9}" y1="{ly + 36}" y2="{ly + 48}" stroke="#c00" stroke-dasharray="4 2"/>', "invasion (grey: baseline's)"),
        ("", unit),
    ]  # fmt: skip
    for j, (mark, text) in enumerate(legend):
        yy = ly + 14 * j + (0 if j < 3 else 6 * (j - 2))
        out.append(mark)
        out.append(f'<text x="{lx + 22}" y="{yy + 3}" fill="#333">{html.escape(text)}</text>')
    return out


def _on_months(values: np.ndarray, months: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """(run, months) values placed on the ``wanted`` months (NaN where a month is missing)."""
    position = {m: i for i, m in enumerate(months)}
    out = np.full((values.shape[0], len(wanted)), np.nan)
    for j, month in enumerate(wanted):
        if month in position:
            out[:, j] = values[:, position[month]]
    return out


def _chart(model: DashboardModel, chart: str, title: str, unit: str, measure, y_floor: float):
    ref: Reference = model.reference
    critical = [g for g, c in zip(model.goods.ids, model.goods.critical, strict=True) if c]
    live = {g: measure(model.trajectory, model.goods.index(g), model.step_index) for g in critical}
    reference = {
        g: _on_months(
            measure(ref.trajectory, ref.goods.index(g), len(ref.months)),
            ref.months,
            model.window.labels,
        )
        if g in ref.goods
        else np.full((1, model.window.n_months), np.nan)
        for g in critical
    }
    svg = small_multiples(
        chart,
        model.window.labels,
        critical,
        live,
        reference,
        unit,
        y_floor,
        _invasion_label(model.pact_scenario.get(INVASION, "none")),
        ref.invasion,
        model.n_runs,
        model.step_index,
    )
    with solara.Column(gap="0px", style="padding: 4px 8px; width: 100%") as main:
        solara.Text(title, style="font-weight: 600")
        solara.HTML(
            tag="div",
            unsafe_innerHTML=svg,
            attributes={"data-testid": f"chart-{chart}"},
            style="width: 100%",
        )
    return main


def StockCoverChart(model: DashboardModel):
    """German stocks of the critical goods in months of cover, live over the baseline."""
    return _chart(
        model,
        "cover",
        "German stocks, months of cover (stock / demand)",
        "months of cover",
        months_of_cover,
        3.0,
    )


def ShortageChart(model: DashboardModel):
    """German shortages of the critical goods in % of demand, live over the baseline."""
    return _chart(
        model,
        "shortage",
        "German shortages, % of demand unmet",
        "% of demand",
        shortage_percent,
        10.0,
    )


# ---------------------------------------------------------------------------------------
# status panel
# ---------------------------------------------------------------------------------------
def _m_rm(values: np.ndarray) -> str:
    if values.size == 1:
        return f"{values[0] / 1e6:,.1f}"
    lo, med, hi = np.percentile(values, [5, 50, 95]) / 1e6
    return f"{med:,.1f} [{lo:,.0f} to {hi:,.0f}]"


def _suspended(values: np.ndarray) -> str:
    n = int(np.count_nonzero(values))
    if values.size == 1:
        return "suspended" if n else "not suspended"
    return f"suspended in {n} of {values.size} runs" if n else "not suspended"


def _trade(suspended: np.ndarray, invasion: str, month: str) -> str:
    """Soviet deliveries in a month: ended by the invasion, suspended, or flowing."""
    if invasion not in ("", "none") and month >= invasion:
        return f"ended by the invasion ({invasion})"
    return _suspended(suspended)


def status_rows(model: DashboardModel) -> list[tuple[str, str, str]]:
    """(quantity, this scenario, baseline) at the last simulated month."""
    t = model.step_index - 1
    ref = model.reference
    tr, rt = model.trajectory, ref.trajectory
    if t < 0:
        return []
    return [
        (
            "Clearing balance, M RM",
            _m_rm(tr["clearing_balance_rm"][t]),
            _m_rm(rt["clearing_balance_rm"][t]),
        ),
        ("German arrears, M RM", _m_rm(tr["arrears_rm"][t]), _m_rm(rt["arrears_rm"][t])),
        (
            "Soviet deliveries",
            _invaded(model, t) or _suspended(tr["suspended"][t]),
            _trade(rt["suspended"][t], ref.invasion, ref.months[t]),
        ),
    ]


def _invaded(model: DashboardModel, t: int) -> str:
    """'ended by the invasion (1941-06)' once the month reaches the invasion in every run
    ('in k of R runs' when the runs differ); '' before it or without an invasion."""
    month = model.window.first + t
    ended = np.asarray(model.invasion_month) <= month
    if not ended.any():
        return ""
    first = model.window.labels[int(min(np.min(model.invasion_month) - model.window.first, t))]
    if ended.all():
        return f"ended by the invasion ({first})"
    return f"ended by the invasion in {int(ended.sum())} of {ended.size} runs"


def StatusPanel(model: DashboardModel):
    """The month, the levers in effect and anything refused, the clearing account."""
    n = model.window.n_months
    month = model.month_label
    scenario_title = model.pact_scenario.get("title", model.pact_scenario.name)
    with solara.Column(
        gap="6px", style="padding: 8px 12px; width: 100%; max-height: 100%; overflow-y: auto"
    ) as main:
        if month:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>Month {month}</b> &nbsp;(step {model.step_index} of {n})",
                attributes={
                    "data-testid": "month",
                    "data-month": month,
                    "data-step": str(model.step_index),
                },
                style="font-size: 1.25em",
            )
        else:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>Before {model.window.labels[0]}</b> &nbsp;(press Step or &#9654;)",
                attributes={"data-testid": "month", "data-month": "", "data-step": "0"},
                style="font-size: 1.25em",
            )
        solara.Text(
            f"Scenario: {model.scenario_file} ({scenario_title}); {model.n_runs} run{'s' if model.n_runs > 1 else ''}"
        )
        for message in model.refused:
            solara.Error(message, dense=True)
        if model.applied:  # plain HTML: solara.Markdown would fetch KaTeX from a CDN
            items = "".join(f"<li>{html.escape(a)}</li>" for a in model.applied)
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>Levers in effect</b> (they take effect on Reset):<ul>{items}</ul>",
                attributes={"data-testid": "levers"},
            )
        else:
            solara.Text(
                "Levers: none moved (the scenario file as written). Move a lever, then press Reset."
            )
        rows = status_rows(model)
        if rows:
            cells = "".join(
                f'<tr data-row="{i}"><td>{html.escape(a)}</td><td><b>{html.escape(b)}</b></td>'
                f'<td style="color:#777">{html.escape(c)}</td></tr>'
                for i, (a, b, c) in enumerate(rows)
            )
            solara.HTML(
                tag="table",
                unsafe_innerHTML=f'<tr><th></th><th align="left">this scenario</th><th align="left">baseline</th></tr>{cells}',
                attributes={"data-testid": "status"},
                style="border-spacing: 10px 2px; margin-left: -10px",
            )
    return main


# ---------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------
@solara.component
def Page():
    from mesa.visualization import SolaraViz  # after the warnings filter above

    folder = solara.use_memo(scenario_dir, [])
    params = solara.use_memo(lambda: model_params(folder), [])
    first = solara.use_memo(
        lambda: DashboardModel(**initial_arguments(params)), []
    )  # one model per session
    SolaraViz(
        first,
        components=[StatusPanel, StockCoverChart, ShortageChart],
        model_params=params,
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    )
