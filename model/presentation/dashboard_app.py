"""The dashboard page (Solara) over :class:`model.presentation.dashboard.DashboardModel`.

Served by ``pactsim dashboard`` (``solara run model.presentation.dashboard_app``). The page
draws its own sidebar -- the controls (Reset, Play/Pause, Step; at the end of the window Play
becomes Replay), the scenario file, the runs and one control per lever of
:data:`~model.presentation.dashboard_levers.LEVERS`, and the download of the run -- and its
main area, one part under the other across the page's width:

- :func:`StatusPanel` -- the month, the levers in effect, refused values (checked as soon as
  a control changes, so a message goes when the value is put right), what the levers
  changed (when oil runs out, the oil cover at the invasion, imports by origin), the
  clearing balance, the arrears and the Soviet deliveries;
- three SVG charts of :mod:`model.presentation.dashboard_charts`: stocks in months of
  cover, shortages, and trade with the clearing account.

Each browser session gets its own model (``Page`` builds one per session in a reactive that
Reset replaces). Levers take effect on Reset. Mesa's SolaraViz is not used: its Play button
stayed a greyed pause at the end of a run and its lever card could not show a refusal
before Reset.
"""

from __future__ import annotations

import html
import time
from typing import Any

import numpy as np
import solara

from model.files.scenario import ScenarioError
from model.presentation.dashboard import (
    BASELINE_FILE,
    DEFAULT_RUNS,
    INVASION,
    RUN_CHOICES,
    DashboardModel,
    load_scenario,
    scenario_dir,
    scenario_files,
    start_file,
    summary_rows,
)
from model.presentation.dashboard_charts import Chart, chart_series, export_bytes, invasion_label
from model.presentation.dashboard_levers import (
    LEVERS,
    apply_levers,
    bounds,
    lever_starts,
    month_choices,
)

PLAY_PAUSE_S = 0.001  # between months while playing; the redraw (~40-90 ms) paces Play
TITLE = "pactsim: German-Soviet trade under the blockade, 1939-1942"
PLAY, PAUSE, REPLAY = "▶", "❚❚", "↺ Replay"


# ---------------------------------------------------------------------------------------
# controls
# ---------------------------------------------------------------------------------------
def initial_arguments(folder: Any, scenario_file: str | None = None) -> dict[str, Any]:
    """What Reset passes before any control is touched: the scenario file the page starts
    from (``pactsim dashboard --scenario``; the baseline by default), the default runs,
    every lever at its start (the baseline's values: a lever left there changes nothing)."""
    starts = lever_starts(load_scenario(folder, BASELINE_FILE))
    return {"scenario_file": scenario_file or start_file(), "runs": DEFAULT_RUNS, "seed": 0,
            "scenario_folder": str(folder), **starts}  # fmt: skip


def check_controls(arguments: dict[str, Any]) -> list[str]:
    """What the controls as they stand would refuse (shown at once, not only on Reset)."""
    folder = arguments["scenario_folder"]
    try:
        scenario = load_scenario(folder, str(arguments["scenario_file"]))
    except ScenarioError as err:
        return [f"Scenario {arguments['scenario_file']!r} refused: {err}"]
    starts = lever_starts(load_scenario(folder, BASELINE_FILE))
    levers = {lever.name: arguments.get(lever.name) for lever in LEVERS}
    return apply_levers(scenario, starts, **levers)[1].refused


def LeverControl(lever, value: Any, window_end: str, on_value):
    """The control of one lever: its kind, bounds and step from the lever's entry."""
    label = lever.control_label
    if lever.control == "Select":
        return solara.Select(
            label=label, values=month_choices(lever, window_end), value=value, on_value=on_value
        )
    if lever.control == "InputText":
        return solara.InputText(label=label, value=value, on_value=on_value)
    low, high = bounds(lever)
    if lever.control == "SliderInt":
        return solara.SliderInt(label=label, value=value, min=int(low), max=int(high), step=int(lever.step),
                                thumb_label="always", on_value=on_value)  # fmt: skip
    return solara.SliderFloat(label=label, value=value, min=low, max=high, step=lever.step,
                              thumb_label="always", on_value=on_value)  # fmt: skip


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
    """(quantity, this scenario, baseline) at the last simulated month: what the levers
    changed so far (:func:`~model.presentation.dashboard.summary_rows`), then the clearing
    account and the Soviet deliveries."""
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
    invasion = invasion_label(model.pact_scenario.get(INVASION))
    summary = summary_rows(model, ref, model.step_index, invasion)
    if r is None:  # before the baseline's window: nothing of it to compare with yet
        summary = [(what, this, outside) for what, this, _ in summary]
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
        *summary,
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
    scenario_title = model.pact_scenario.get("title") or model.pact_scenario.name
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
            if not message.startswith(tuple(lever.label for lever in LEVERS)):  # shown live above
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
# A slider's label goes above its track (a long label left the track 0 px wide in Vuetify),
# and the value in the slider's thumb label, which Vuetify shows only while dragging, stays.
PAGE_CSS = """
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-label {
  flex: 1 0 100%; max-width: 100%; white-space: normal; margin: 0 0 26px 0; line-height: 1.3;
}
.v-navigation-drawer .v-input__slider .v-slider { flex: 1 1 100%; }
.v-navigation-drawer .v-text-field { margin-bottom: 14px; }
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-slider__thumb-label { transform: translateY(-6px) translateX(-50%) !important;
  width: auto !important; min-width: 32px; height: 22px !important; border-radius: 4px; padding: 0 5px; }
.v-navigation-drawer .v-slider__thumb-label > * { transform: none !important; }
"""


@solara.component
def Charts(model: DashboardModel, tick: int):
    """The status panel and the three charts, one under the other across the page's width
    (``tick`` changes after every month: the page redraws)."""
    series = chart_series(model)
    with solara.Column(gap="12px", style="width: 100%; max-width: 1500px") as main:
        StatusPanel(model)
        for chart, panels in series.items():
            Chart(model, chart, panels)
    return main


@solara.component
def Controls(model: solara.Reactive, arguments: solara.Reactive, tick: solara.Reactive):
    """Reset, Play/Pause (Replay at the end of the window) and Step."""
    playing = solara.use_reactive(False)

    def play_loop():
        while playing.value and model.value.running:
            model.value.step()
            tick.value += 1
            time.sleep(PLAY_PAUSE_S)
        playing.value = False

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def reset():
        playing.value = False
        model.value = DashboardModel(**arguments.value)
        tick.value += 1

    def play():
        if playing.value:
            playing.value = False
            return
        if not model.value.running:  # the window is over: the same run again from the start
            model.value = DashboardModel(**model.value.arguments)
            tick.value += 1
        playing.value = True

    def step():
        if model.value.running:
            model.value.step()
            tick.value += 1

    finished = not model.value.running
    label = PAUSE if playing.value else (REPLAY if finished else PLAY)
    with solara.Row(justify="space-between") as row:
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(label=label, color="primary", on_click=play)
        solara.Button(
            label="Step", color="primary", on_click=step, disabled=playing.value or finished
        )
    return row


@solara.component
def Page():
    folder = solara.use_memo(scenario_dir, [])
    first = solara.use_memo(lambda: initial_arguments(folder), [])
    arguments = solara.use_reactive(first)  # the controls as they stand
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(**first), []))
    tick = solara.use_reactive(0)
    window_end = str(load_scenario(folder, BASELINE_FILE).data["window"]["end"])
    refusals = solara.use_memo(lambda: check_controls(arguments.value), [arguments.value])
    solara.Style(PAGE_CSS)

    def setter(name: str):
        return lambda value: arguments.set({**arguments.value, name: value})

    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            Controls(model, arguments, tick)
        with solara.Card("Model Parameters"):
            solara.Select(label="Scenario file", values=scenario_files(folder),
                          value=arguments.value["scenario_file"], on_value=setter("scenario_file"))  # fmt: skip
            for lever in LEVERS:
                LeverControl(lever, arguments.value[lever.name], window_end, setter(lever.name))
            solara.Select(label="Runs (1: central values; more: Monte Carlo band)",
                          values=[str(r) for r in RUN_CHOICES], value=str(arguments.value["runs"]),
                          on_value=lambda v: setter("runs")(int(v)))  # fmt: skip
        with solara.Card("Download the run"):
            m = model.value
            solara.FileDownload(lambda: export_bytes(m, "csv"), filename="pactsim_dashboard.csv",
                                label="shown series and levers, CSV", mime_type="text/csv")  # fmt: skip
            solara.FileDownload(lambda: export_bytes(m, "parquet"), filename="pactsim_dashboard.parquet",
                                label="the same, Parquet")  # fmt: skip
    with solara.Column(style="width: 100%"):
        for message in refusals:
            solara.Error(message, dense=True)
        Charts(model.value, tick.value)
