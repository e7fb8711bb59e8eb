"""The dashboard page: a Mesa SolaraViz app over :class:`model.presentation.dashboard.DashboardModel`.

Served by ``pactsim dashboard`` (``solara run model.presentation.dashboard_app``). SolaraViz provides
the sidebar: the controls (Reset, Play/Pause, Step) and the "Model Parameters" card built from
:func:`model_params`; a lever takes effect when Reset rebuilds the model. Each browser
session gets its own model (``Page`` builds one per session, in a reactive that Reset
replaces; a module-level model would be shared by every session).

The page draws the main area itself (:func:`Charts`, re-rendered after every step through
Mesa's ``update_counter``), one part under the other across the page's width, instead of
handing components to SolaraViz, whose view puts each in a half-width tile under a "Page 0"
tab:

- :func:`StatusPanel` -- the month, the levers in effect, refused values, the clearing
  balance, the arrears and the suspension state (or the invasion that ended trade);
- :func:`StockCoverChart` -- German stocks of the critical goods in months of cover
  (stock / demand of the month);
- :func:`ShortageChart` -- unmet German demand as a share of demand.

The charts are SVG small multiples (:mod:`model.presentation.dashboard_svg`). A style sheet
(:data:`PAGE_CSS`) hides Mesa's controls this page does not use and keeps every slider's
track wide and its value shown.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
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
from model.presentation.dashboard_svg import small_multiples
from model.world.calendar import format_month, parse_month
from model.world.distributions import central, is_distribution


def _mesa_visualization():
    """``mesa.visualization``, imported without the one warning its import gives.

    Mesa 3.3.1's ComponentsView calls use_state after an early return and Solara warns when
    it checks the component, on import of mesa.visualization. Harmless here (the component
    list never changes); the filter holds for the import only, so the server log stays
    readable and nobody else's warnings are touched.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*ComponentsView: `use_state` found despite early return"
        )
        import mesa.visualization
        import mesa.visualization.utils
    return mesa.visualization


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


def _invasion_label(value: Any) -> str:
    if is_distribution(value):
        value = central(value)
    return str(value) if value is not None else "none"


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
    # the baseline's row for the same calendar month: a scenario with another window (the
    # long baseline starts in 1934) has no baseline value before 1939-06
    label = model.window.labels[t]
    r = ref.months.index(label) if label in ref.months else None
    outside = "— (outside the baseline's window)"
    return [
        (
            "Clearing balance, M RM",
            _m_rm(tr["clearing_balance_rm"][t]),
            outside if r is None else _m_rm(rt["clearing_balance_rm"][r]),
        ),
        (
            "German arrears, M RM",
            _m_rm(tr["arrears_rm"][t]),
            outside if r is None else _m_rm(rt["arrears_rm"][r]),
        ),
        (
            "Soviet deliveries",
            _invaded(model, t) or _suspended(tr["suspended"][t]),
            outside if r is None else _trade(rt["suspended"][r], ref.invasion, ref.months[r]),
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
# Mesa offers no switch for its own controls; this page hides them with a style sheet (no
# private attributes): the sliders "Play Interval", "Render Interval" and the "Use Threads"
# box of its Controls card (this page sets its own pace, PLAY_INTERVAL_MS), and its
# "Information" card (Mesa 3.3 "Step: N", 3.5 "Time: N.0"; the status panel shows the month).
# A slider's label goes above its track (a long label left the track 0 px wide in Vuetify),
# and the value in the slider's thumb label, which Vuetify shows only while dragging, stays.
PAGE_CSS = """
.v-navigation-drawer .v-card:first-child > .v-card__text > .v-input { display: none; }
.v-navigation-drawer .v-card:nth-child(3) { display: none; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-label {
  flex: 1 0 100%; max-width: 100%; white-space: normal; margin: 0 0 26px 0; line-height: 1.3;
}
.v-navigation-drawer .v-input__slider .v-slider { flex: 1 1 100%; }
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-slider__thumb-label { transform: translateY(-6px) translateX(-50%) !important;
  width: auto !important; min-width: 32px; height: 22px !important; border-radius: 4px; padding: 0 5px; }
.v-navigation-drawer .v-slider__thumb-label > * { transform: none !important; }
"""


@solara.component
def Charts(model: DashboardModel):
    """The status panel and the two charts, one under the other across the page's width."""
    update_counter = _mesa_visualization().utils.update_counter  # Mesa's "the model stepped"

    update_counter.get()  # re-render after every Step (Mesa increments it)
    with solara.Column(gap="12px", style="width: 100%; max-width: 1500px") as main:
        StatusPanel(model)
        StockCoverChart(model)
        ShortageChart(model)
    return main


@solara.component
def Page():
    SolaraViz = _mesa_visualization().SolaraViz

    folder = solara.use_memo(scenario_dir, [])
    params = solara.use_memo(lambda: model_params(folder), [])
    first = solara.use_memo(
        lambda: DashboardModel(**initial_arguments(params)), []
    )  # one model per session
    model = solara.use_reactive(first)  # Reset puts the new model here
    solara.Style(PAGE_CSS)
    # no components: Mesa's view lays them out in half-width draggable tiles under a "Page 0"
    # tab; this page draws its own, full width, below
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=PLAY_INTERVAL_MS)
    Charts(model.value)
