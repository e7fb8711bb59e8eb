"""Figures: pure functions of saved results (STYLE.md habit 12).

Each ``plot_*`` function takes an ``xarray.Dataset`` of trajectories (dims run, month,
good), optional event markers and an optional matplotlib ``ax``, draws, and returns the
``ax``; callers decide file names. Only this module imports matplotlib. Months are drawn
on a dated axis; the invasion and treaty dates are marked; the palette is Okabe-Ito
(colour-blind safe).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
CRITICAL = ("oil", "rubber", "grain", "manganese", "chrome", "nickel", "tungsten")


def month_dates(months: Sequence[str]) -> list[dt.date]:
    return [dt.date(int(m[:4]), int(m[5:7]), 15) for m in months]


def event_markers(scenario_data: Mapping[str, Any]) -> list[tuple[str, str]]:
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


def new_figure(width: float = 10.0, height: float = 5.5) -> plt.Figure:
    return plt.figure(figsize=(width, height), layout="constrained")


def save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _mark_events(ax: plt.Axes, markers: Sequence[tuple[str, str]], months: Sequence[str]) -> None:
    first, last = months[0], months[-1]
    for month, label in markers:
        if not first <= month <= last:
            continue
        x = month_dates([month])[0]
        ax.axvline(x, color="0.4", lw=0.8, ls="--")
        ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right", fontsize=7, color="0.3")


def _date_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.grid(alpha=0.3)


def _band(ax: plt.Axes, x: list, values: np.ndarray, color: str, label: str) -> None:
    """Median line with a 5-95 % band over runs (values: run x month)."""
    median = np.nanmedian(values, axis=0)
    ax.plot(x, median, color=color, lw=1.8, label=label)
    if values.shape[0] > 1:
        lo, hi = np.nanpercentile(values, [5, 95], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)


def plot_stock_cover(
    ds: xr.Dataset, markers: Sequence[tuple[str, str]] = (), goods: Sequence[str] = CRITICAL, ax: plt.Axes | None = None
) -> plt.Axes:
    """German stocks of the critical goods in months of cover (stock / demand)."""
    ax = ax or plt.gca()
    months = [str(m) for m in ds["month"].values]
    x = month_dates(months)
    for i, good in enumerate(g for g in goods if g in ds["good"].values):
        stock = ds["stock"].sel(good=good).values
        demand = ds["demand"].sel(good=good).values
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(demand > 0, stock / np.where(demand > 0, demand, 1.0), np.nan)
        _band(ax, x, cover, OKABE_ITO[i % len(OKABE_ITO)], good)
    _mark_events(ax, markers, months)
    _date_axis(ax)
    ax.set_ylabel("German stock, months of current demand")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_title(f"German stockpiles of critical goods ({ds.attrs.get('scenario', '')}; median, 5-95 % band)")
    ax.legend(ncol=4, fontsize=8, loc="upper right")
    return ax


def plot_shortages(
    ds: xr.Dataset, markers: Sequence[tuple[str, str]] = (), goods: Sequence[str] | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """German shortage by good: unmet demand as a share of demand (median over runs)."""
    ax = ax or plt.gca()
    months = [str(m) for m in ds["month"].values]
    x = month_dates(months)
    units = dict(zip(ds["good"].values, ds["unit"].values, strict=True))
    goods = goods or [g for g in ds["good"].values if units[g] != "RM"]
    drawn = 0
    for good in goods:
        shortage = ds["shortage"].sel(good=good).values
        demand = ds["demand"].sel(good=good).values
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(demand > 0, shortage / np.where(demand > 0, demand, 1.0), 0.0)
        if np.nanmax(np.nanmedian(share, axis=0)) < 0.005:
            continue
        style = "-" if drawn < len(OKABE_ITO) else "--"
        _band(ax, x, 100 * share, OKABE_ITO[drawn % len(OKABE_ITO)], good)
        ax.lines[-1].set_linestyle(style)
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no shortages above 0.5 % of demand", transform=ax.transAxes, ha="center")
    _mark_events(ax, markers, months)
    _date_axis(ax)
    ax.set_ylim(0, 100)
    ax.set_ylabel("shortage, % of German demand")
    ax.set_title(f"German shortages by good ({ds.attrs.get('scenario', '')}; median, 5-95 % band)")
    if drawn:
        ax.legend(ncol=4, fontsize=8, loc="upper left")
    return ax
