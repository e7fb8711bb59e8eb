"""The dashboard's charts: the series drawn (live runs over the baseline) and their SVG.

:func:`chart_series` computes, for the months simulated so far, every series the page draws
-- German stocks in months of cover and shortages in % of demand per critical good, and the
trade: imports from the USSR and from the other suppliers, the clearing balance and the
German arrears (M RM) -- each with the baseline's whole curve placed on the same months.
The charts (:func:`Chart`) and the download of the run (:func:`export_bytes`) read the same
series, so what is exported is what is shown.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import solara

from model.presentation.dashboard import TRADE, DashboardModel, export_table, trade_series
from model.presentation.dashboard_svg import small_multiples
from model.world.distributions import central, is_distribution

# chart -> (title above it, unit, lowest top of a panel's y axis)
CHARTS = {
    "cover": ("German stocks, months of cover (stock / demand)", "months of cover", 3.0),
    "shortage": ("German shortages, % of demand unmet", "% of demand", 10.0),
    "trade": ("Trade and the clearing account, M RM (imports: a month's arrivals)", "M RM", 1.0),
}


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


def on_months(values: np.ndarray, months: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """(run, months) values placed on the ``wanted`` months (NaN where a month is missing)."""
    position = {m: i for i, m in enumerate(months)}
    out = np.full((values.shape[0], len(wanted)), np.nan)
    for j, month in enumerate(wanted):
        if month in position:
            out[:, j] = values[:, position[month]]
    return out


def invasion_label(value: Any) -> str:
    if is_distribution(value):
        value = central(value)
    return str(value) if value is not None else "none"


def chart_series(model: DashboardModel) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """chart -> panel -> (live (run, months so far), baseline (run, the model's months))."""
    ref = model.reference
    wanted = model.window.labels
    n = model.step_index
    critical = [g for g, c in zip(model.goods.ids, model.goods.critical, strict=True) if c]
    out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {"cover": {}, "shortage": {}}
    for chart, measure in (("cover", months_of_cover), ("shortage", shortage_percent)):
        for g in critical:
            live = measure(model.trajectory, model.goods.index(g), n)
            if g in ref.goods:
                full = measure(ref.trajectory, ref.goods.index(g), len(ref.months))
                base = on_months(full, ref.months, wanted)
            else:
                base = np.full((1, len(wanted)), np.nan)
            out[chart][g] = (live, base)
    live_trade = trade_series(model, n)
    out["trade"] = {
        key: (live_trade[key], on_months(ref.trade[key], ref.months, wanted)) for key, _ in TRADE
    }
    return out


def Chart(model: DashboardModel, chart: str, panels: dict[str, tuple[np.ndarray, np.ndarray]]):
    title, unit, y_floor = CHARTS[chart]
    svg = small_multiples(
        chart,
        model.window.labels,
        list(panels),
        {k: v[0] for k, v in panels.items()},
        {k: v[1] for k, v in panels.items()},
        unit,
        y_floor,
        invasion_label(model.pact_scenario.get("events.invasion")),
        model.reference.invasion,
        model.n_runs,
        model.step_index,
        titles=dict(TRADE) if chart == "trade" else None,
        treaties=model.reference.treaties,
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


def export_bytes(model: DashboardModel, kind: str) -> bytes:
    """The shown series and the levers applied, as CSV or Parquet."""
    series = {
        f"{chart}:{panel}": (chart, live, base)
        for chart, panels in chart_series(model).items()
        for panel, (live, base) in panels.items()
    }
    table = export_table(model, series)
    if kind == "csv":
        return table.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()
