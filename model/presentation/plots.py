"""Figures: pure functions of saved results (docs/architecture.md §11.3).

Each ``plot_*`` function takes an ``xarray.Dataset`` of trajectories (dims run, month,
good), optional event markers and an optional matplotlib ``ax``, draws, and returns the
``ax``; callers decide file names. Only this module imports matplotlib. Months are drawn
on a dated axis; the invasion and treaty dates are marked; the palette is Okabe-Ito
(colour-blind safe).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import xarray as xr

from model.engine.cf import month_labels
from model.presentation.event_marks import (
    Marker,
    event_key,
    mark_events,
)
from model.presentation.summaries import Summary, like_baseline

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")


def month_dates(months: Sequence[str]) -> list[dt.date]:
    return [dt.date(int(m[:4]), int(m[5:7]), 15) for m in months]


def new_figure(
    width: float = 10.0, height: float = 5.5, layout: str | None = "constrained"
) -> plt.Figure:
    """A figure of ``width`` x ``height`` inches; ``layout=None`` leaves the axes where
    :func:`model.presentation.layout.place` puts them (the batch's figures)."""
    return plt.figure(figsize=(width, height), layout=layout)


# drawing options: a title set at the top of its axes (matplotlib otherwise measures the
# axis' tick labels at every draw to move it above any at the top; there are none)
RC = {"axes.titley": 1.0}


def drawing() -> Any:
    """The context in which figures are made (:data:`RC`)."""
    return plt.rc_context(RC)


def save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(
        path, dpi=110, pil_kwargs={"compress_level": 1}
    )  # zlib 1: a third of the encoding time, ~15 % more bytes
    plt.close(fig)


def _side_legend(ax: plt.Axes) -> None:
    """The goods' legend beside the axes: inside, it covered the numbered events at the top."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="good")


def _key_below(ax: plt.Axes, numbers: Mapping[Marker, int]) -> None:
    """The key of the numbered events as the axis label, under the dates."""
    if numbers:
        ax.set_xlabel("dashed lines: " + event_key(numbers, 150), fontsize=8, color="0.3")


def _date_axis(ax: plt.Axes) -> None:
    if _years_shown(ax) > 5:  # a wide window (up to 1934-45): a label every year or two
        year_axis(ax)
        return
    _fixed_dates(ax, major=(1, 7), major_format="%b %Y")
    ax.grid(alpha=0.3)


def _years_shown(ax: plt.Axes) -> float:
    low, high = ax.get_xlim()
    return (high - low) / 365.25


def _fixed_dates(
    ax: plt.Axes, major: Sequence[int], major_format: str, every: int = 1, minor: Sequence[int] = ()
) -> None:
    """Ticks on the first of the given months (major ones on years divisible by ``every``,
    as YearLocator), placed once: date locators rerun dateutil's rrule at every layout pass."""
    low, high = (mdates.num2date(v) for v in ax.get_xlim())

    def firsts(months: Sequence[int], every: int) -> list[float]:
        days = [
            dt.datetime(y, m, 1, tzinfo=low.tzinfo)
            for y in range(low.year, high.year + 1)
            if y % every == 0
            for m in months
        ]
        return [float(mdates.date2num(d)) for d in days if low <= d <= high]

    ax.xaxis.set_major_locator(mticker.FixedLocator(firsts(major, every)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(major_format))
    if minor:
        ax.xaxis.set_minor_locator(mticker.FixedLocator(firsts(minor, 1)))


def _band(ax: plt.Axes, x: list, values: np.ndarray, color: str, label: str) -> None:
    """Median line with a 5-95 % band over runs (values: run x month)."""
    median = np.nanmedian(values, axis=0)
    ax.plot(x, median, color=color, lw=1.8, label=label)
    if values.shape[0] > 1:
        lo, hi = np.nanpercentile(values, [5, 95], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)


def plot_stock_cover(
    ds: xr.Dataset,
    markers: Sequence[tuple[str, str]] = (),
    goods: Sequence[str] = (),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """German stocks of ``goods`` (the critical goods, from the catalogue) in months of cover."""
    ax = ax or plt.gca()
    months = month_labels(ds)
    x = month_dates(months)
    for i, good in enumerate(g for g in goods if g in ds["good"].values):
        stock = ds["stock"].sel(good=good).values
        demand = ds["demand"].sel(good=good).values
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(demand > 0, stock / np.where(demand > 0, demand, 1.0), np.nan)
        _band(ax, x, cover, OKABE_ITO[i % len(OKABE_ITO)], good)
    _key_below(ax, mark_events(ax, markers, months))
    _date_axis(ax)
    ax.set_ylabel("German stock, months of current demand")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0)
    spread = "median, 5-95 % band" if ds.sizes.get("run", 1) > 1 else "one run at central values"
    ax.set_title(f"German stockpiles of critical goods ({ds.attrs.get('scenario', '')}; {spread})")
    _side_legend(ax)
    return ax


def plot_shortages(
    ds: xr.Dataset,
    markers: Sequence[tuple[str, str]] = (),
    goods: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """German shortage by good: unmet demand as a share of demand (median over runs)."""
    ax = ax or plt.gca()
    months = month_labels(ds)
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
    _key_below(ax, mark_events(ax, markers, months))
    _date_axis(ax)
    ax.set_ylim(0, 100)
    ax.set_ylabel("shortage, % of German demand")
    spread = "median, 5-95 % band" if ds.sizes.get("run", 1) > 1 else "one run at central values"
    ax.set_title(f"German shortages by good ({ds.attrs.get('scenario', '')}; {spread})")
    if drawn:
        _side_legend(ax)
    return ax


# ---------------------------------------------------------------------------------------
# Comparing scenarios (pactsim report): the data carry a ``scenario`` dimension.
# ---------------------------------------------------------------------------------------
# 20 colours told apart on a white page (Okabe-Ito without yellow and black, then Paul Tol's
# "muted" and "dark" schemes): up to 20 counterfactuals get a colour each, all solid lines
LINE_COLOURS = (
    "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7",
    "#882255", "#332288", "#DDCC77", "#117733", "#88CCEE", "#AA4499",
    "#44AA99", "#999933", "#661100", "#6699CC", "#888888", "#EE7733",
    "#004488", "#BB5566",
)  # fmt: skip
BASELINE_COLOUR = "#000000"


def scenario_styles(names: Sequence[str], baseline: str = "baseline") -> dict[str, dict[str, Any]]:
    """Colour and line style per scenario: the baseline black, the others one of 20 colours
    each (solid; dashed only beyond 20)."""
    out: dict[str, dict[str, Any]] = {}
    i = 0
    for name in names:
        if name == baseline:
            out[name] = {"color": BASELINE_COLOUR, "ls": "-", "lw": 2.0, "zorder": 4}
        else:
            out[name] = {
                "color": LINE_COLOURS[i % len(LINE_COLOURS)],
                "ls": ("-", "--", ":")[i // len(LINE_COLOURS) % 3],
                "lw": 1.6,
                "zorder": 3,
            }
            i += 1
    return out


def _line(st: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "color": st["color"],
        "ls": st.get("ls", "-"),
        "lw": st.get("lw", 1.6),
        "zorder": st.get("zorder", 3),
    }


def tonnage_scale(max_value: float, unit: str = "t") -> tuple[float, str]:
    """Divisor and unit label so that the axis reads in t, kt or Mt (kg, t for platinum)."""
    if unit == "kg":
        return (1e3, "t") if max_value >= 1e4 else (1.0, "kg")
    if unit == "RM":
        return 1e6, "M RM"
    if max_value >= 2e6:
        return 1e6, "Mt"
    if max_value >= 2e3:
        return 1e3, "kt"
    return 1.0, "t"


def _finite_max(arrays: Iterable[np.ndarray], default: float = 1.0) -> float:
    """The largest finite value (months outside a scenario's own window are NaN)."""
    finite = [a[np.isfinite(a)] for a in map(np.asarray, arrays)]
    return max((float(a.max()) for a in finite if a.size), default=default)


def plot_stock_fan(
    summaries: Mapping[str, Summary],
    good: str,
    scenarios: Sequence[str],
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    markers: Sequence[tuple[str, str]] = (),
    numbers: Mapping[Marker, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Fan chart of the German stock of one good: median, 50 % and 90 % bands per scenario
    (from each scenario's :class:`~model.presentation.summaries.Summary`).

    Months in which most runs of a scenario are short of the good (unmet demand of 1 % or
    more) are shaded as a strip in that scenario's colour along the bottom of the axes.
    """
    ax = ax or plt.gca()
    styles = dict(styles or scenario_styles(scenarios))
    first = summaries[scenarios[0]]
    months = list(first.months)
    x = month_dates(months)
    g = first.good(good)
    unit = first.units[g] or "t"
    fans = {s: summaries[s].stock[:, :, g] for s in scenarios}  # type: ignore[index]
    top = _finite_max(f[-1] for f in fans.values())
    div, label = tonnage_scale(top, unit)
    strip = 0.035
    for i, s in enumerate(scenarios):
        st = styles[s]
        lo5, lo25, med, hi75, hi95 = fans[s] / div
        ax.fill_between(x, lo5, hi95, color=st["color"], alpha=0.10, lw=0)
        ax.fill_between(x, lo25, hi75, color=st["color"], alpha=0.25, lw=0)
        ax.plot(x, med, label=s, **_line(st))
        short = summaries[s].short
        if short is not None:
            ax.fill_between(x, i * strip, (i + 1) * strip, where=short[:, g], step="mid", color=st["color"],
                            alpha=0.8, lw=0, transform=ax.get_xaxis_transform())  # fmt: skip
    # numbered: the legend panel lists the events (labels on seven panels ran into each other)
    mark_events(ax, markers, months, numbers, fontsize=6)
    _date_axis(ax)
    ax.set_ylim(bottom=-(top / div) * strip * len(scenarios) * 1.3)
    ax.set_ylabel(f"German stock, {label}")
    ax.set_title(good)
    return ax


def plot_shortage_panel(
    summaries: Mapping[str, Summary],
    scenario: str,
    baseline: str,
    goods: Sequence[str],
    markers: Sequence[tuple[str, str]] = (),
    title: str = "",
    numbers: Mapping[Marker, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """One scenario of a small-multiples grid: unmet demand per good, % (median of runs),
    in the good's colour, over the baseline's as a thin dashed line of the same colour."""
    ax = ax or plt.gca()
    months = list(summaries[scenario].months)
    x = month_dates(months)
    for i, good in enumerate(goods):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        lines: list[tuple[str, dict[str, Any]]] = [(scenario, {"lw": 1.6})]
        if scenario != baseline:
            lines.insert(0, (baseline, {"lw": 0.9, "ls": "--", "alpha": 0.6}))
        for name, style in lines:
            summary = summaries[name]
            median = summary.unmet_median[:, summary.good(good)]  # type: ignore[index]
            label = good if name == scenario else None
            ax.plot(x, 100 * median, color=colour, label=label, **style)
    mark_events(ax, markers, months, numbers, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_title(title or scenario, fontsize=8)
    return ax


def plot_stockout_ecdf(
    stockouts: Mapping[str, Sequence[str | None]],
    months: Sequence[str],
    good: str = "",
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Distribution of the month a good runs out: share of runs run out by each month.

    ``stockouts`` maps a scenario to the stock-out month of each run (None: not within the
    window); a curve that ends below 100 % leaves that share of runs censored.
    """
    ax = ax or plt.gca()
    styles = dict(styles or scenario_styles(list(stockouts)))
    x = month_dates(months)
    index = {m: i for i, m in enumerate(months)}
    for s, values in stockouts.items():
        pos = np.array(
            [
                index.get(str(v), len(months)) if v is not None and v == v else len(months)
                for v in values
            ]
        )
        share = (
            100 * (pos[:, None] <= np.arange(len(months))[None, :]).mean(axis=0)
            if len(pos)
            else np.zeros(len(months))
        )
        st = styles[s]
        ax.step(x, share, where="post", label=s, **_line(st))
    _date_axis(ax)
    ax.set_ylim(-2, 105)
    ax.set_ylabel("runs in which the stock has run out, %")
    ax.set_title(good)
    return ax


def plot_deliveries_by_supplier(
    totals_m_rm: Any, colours: Sequence[str] | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """Cumulative German imports, M RM, stacked by supplier: one bar per scenario.

    ``totals_m_rm`` is a pandas DataFrame, rows scenarios, columns suppliers.
    """
    ax = ax or plt.gca()
    colours = colours or OKABE_ITO
    names = [str(i) for i in totals_m_rm.index]
    y = np.arange(len(names))[::-1]
    left = np.zeros(len(names))
    hatches = ("", "//", "..", "xx")
    for j, supplier in enumerate(totals_m_rm.columns):
        values = totals_m_rm[supplier].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colours[j % len(colours)], hatch=hatches[j // len(colours) % 4],
                edgecolor="white", lw=0.5, label=str(supplier).replace("_", " "))  # fmt: skip
        left += values
    for yi, total in zip(y, left, strict=True):
        ax.annotate(
            f"{total:,.0f}",
            (total, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, names)
    ax.set_xlabel("cumulative imports into Germany over the window, M RM (mean over runs)")
    top = float(np.max(left)) if len(left) else 0.0
    ax.set_xlim(0, top * 1.12 if top > 0 else 1)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_clearing_balance(
    summaries: Mapping[str, Summary],
    scenarios: Sequence[str],
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    markers: Sequence[tuple[str, str]] = (),
    numbers: Mapping[Marker, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """German-Soviet clearing balance, M RM (Soviet deliveries minus German, median and 50 % band).

    Months in which most runs are under a Soviet suspension are marked on the median line.
    A scenario whose median stays within LIKE_BASELINE of the baseline's (the first
    of ``scenarios``) all window long is drawn as a thin grey line without its band, and the
    legend names those together: many such look-alike colours told nothing apart.
    """
    ax = ax or plt.gca()
    styles = dict(styles or scenario_styles(scenarios))
    months = list(summaries[scenarios[0]].months)
    x = np.array(month_dates(months))
    alike = set(like_baseline(summaries, scenarios))
    for s in scenarios:
        st, summary = styles[s], summaries[s]
        lo, med, hi = summary.clearing_m_rm  # type: ignore[misc]
        if s in alike:
            ax.plot(x, med, color="0.6", lw=0.8, zorder=2)
            continue
        ax.fill_between(x, lo, hi, color=st["color"], alpha=0.15, lw=0)
        ax.plot(x, med, label=s, **_line(st))
        if summary.suspended_most is not None:
            susp = summary.suspended_most
            ax.plot(x[susp], med[susp], ls="none", marker="v", ms=6, color=st["color"], mec="black",
                    mew=0.5)  # fmt: skip
    if alike:
        ax.plot([], [], color="0.6", lw=0.8, label=like_baseline_label(summaries, scenarios))
    ax.axhline(0, color="0.5", lw=0.8)
    mark_events(ax, markers, months, numbers)
    _date_axis(ax)
    ax.set_ylabel("clearing balance, M RM\n(Soviet minus German deliveries)")
    return ax


def like_baseline_label(summaries: Mapping[str, Summary], scenarios: Sequence[str]) -> str:
    """The clearing chart's legend entry for the scenarios drawn grey ("" if none)."""
    alike = set(like_baseline(summaries, scenarios))
    if not alike:
        return ""
    names = textwrap.fill(", ".join(s for s in scenarios if s in alike), 40)
    return f"like the baseline (within 2 %):\n{names}"


def plot_suspensions(
    summaries: Mapping[str, Summary],
    scenarios: Sequence[str],
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    markers: Sequence[tuple[str, str]] = (),
    numbers: Mapping[Marker, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Share of runs in which Soviet deliveries are suspended, per month, %."""
    ax = ax or plt.gca()
    styles = dict(styles or scenario_styles(scenarios))
    months = list(summaries[scenarios[0]].months)
    x = month_dates(months)
    for s in scenarios:
        ax.step(x, summaries[s].suspended_pct, where="mid", label=s, **_line(styles[s]))
    mark_events(ax, markers, months, numbers)
    _date_axis(ax)
    ax.set_ylim(-2, 102)
    ax.set_ylabel("runs with Soviet\ndeliveries suspended, %")
    return ax


def plot_paired_differences(
    rows: Any,
    title: str = "",
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    ax: plt.Axes | None = None,
    baseline_level: str = "",
) -> plt.Axes:
    """Paired differences of one outcome with their intervals: one row per scenario.

    ``baseline_level`` (e.g. "2.2 months") is written under the title: what the differences
    are differences from.

    ``rows`` is a pandas DataFrame with columns scenario, difference, ci_low, ci_high, unit
    (the output of :func:`model.analysis.compare.compare` for one outcome).
    """
    ax = ax or plt.gca()
    names = [str(s) for s in rows["scenario"]]
    styles = dict(styles or scenario_styles(names))
    y = np.arange(len(names))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        colour = styles.get(str(r["scenario"]), {"color": "0.3"})["color"]
        d, lo, hi = float(r["difference"]), float(r["ci_low"]), float(r["ci_high"])
        if np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [yi, yi], color=colour, lw=2.5, solid_capstyle="butt")
        ax.plot([d], [yi], marker="o", ms=6, color=colour, mec="black", mew=0.6)
    ax.axvline(0, color="0.3", lw=0.9)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.7, len(names) - 0.3)
    unit = str(rows["unit"].iloc[0]) if len(rows) else ""
    ax.set_xlabel(f"difference vs baseline, {unit}")
    heading = textwrap.fill(title, 34)  # panels side by side: a long title must not overrun
    ax.set_title(heading + (f"\nbaseline: {baseline_level}" if baseline_level else ""), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_sobol_indices(
    indices: Any, title: str = "", top: int = 12, ax: plt.Axes | None = None
) -> plt.Axes:
    """First-order (S1) and total (ST) Sobol indices with their confidence intervals.

    ``indices`` is a pandas DataFrame with columns parameter, S1, S1_conf, ST, ST_conf; the
    ``top`` parameters by ST are drawn, largest at the top.
    """
    ax = ax or plt.gca()
    part = indices.sort_values("ST", ascending=False).head(top).iloc[::-1]
    y = np.arange(len(part))
    h = 0.38
    ax.barh(y + h / 2, part["ST"], height=h, xerr=part["ST_conf"], color=OKABE_ITO[4], label="total (ST)",
            error_kw={"lw": 0.8, "capsize": 2})  # fmt: skip
    ax.barh(y - h / 2, part["S1"], height=h, xerr=part["S1_conf"], color=OKABE_ITO[0], label="first order (S1)",
            error_kw={"lw": 0.8, "capsize": 2})  # fmt: skip
    ax.set_yticks(y, [str(p) for p in part["parameter"]], fontsize=8)
    ax.axvline(0, color="0.3", lw=0.8)
    if float((part["ST"] + part["ST_conf"]).max()) > 1:  # estimates above 1 are sampling noise
        ax.axvline(1, color="0.4", lw=0.8, ls=":")
    low = float(np.nanmin(np.r_[part["S1"] - part["S1_conf"], 0.0]))
    high = float(np.nanmax(np.r_[part["ST"] + part["ST_conf"], part["S1"] + part["S1_conf"], 0.1]))
    ax.set_xlim(max(low, -0.2) - 0.02, min(high, 1.3) + 0.02)  # wild intervals are cut at the frame
    ax.set_xlabel("share of output variance")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_morris(
    indices: Any, title: str = "", top: int = 12, ax: plt.Axes | None = None
) -> plt.Axes:
    """Morris screening: mean absolute elementary effect (mu*) with its interval, and sigma.

    ``indices`` is a pandas DataFrame with columns parameter, mu_star, mu_star_conf, sigma.
    """
    ax = ax or plt.gca()
    part = indices.sort_values("mu_star", ascending=False).head(top).iloc[::-1]
    y = np.arange(len(part))
    h = 0.38
    ax.barh(y + h / 2, part["mu_star"], height=h, xerr=part["mu_star_conf"], color=OKABE_ITO[4], label="mu* (mean |effect|)",
            error_kw={"lw": 0.8, "capsize": 2})  # fmt: skip
    ax.barh(
        y - h / 2,
        part["sigma"],
        height=h,
        color=OKABE_ITO[0],
        label="sigma (interaction / non-linearity)",
    )
    ax.set_yticks(y, [str(p) for p in part["parameter"]], fontsize=8)
    ax.set_xlabel("elementary effect, outcome units\n(per full range of the parameter's quantile)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def year_axis(ax: plt.Axes) -> plt.Axes:
    """A dated axis for small panels: a label each January (every 2nd past 7 years), a tick each July."""
    every = max(1, int(np.ceil(_years_shown(ax) / 7)))
    _fixed_dates(ax, major=(1,), major_format="%Y", every=every, minor=(7,))
    ax.grid(alpha=0.3)
    return ax


def legend_panel(ax: plt.Axes, handles_from: plt.Axes, text: str = "", ncol: int = 1) -> plt.Axes:
    """Use a spare panel for the legend of ``handles_from`` and a short explanation."""
    handles, labels = handles_from.get_legend_handles_labels()
    ax.axis("off")
    ax.legend(
        handles,
        labels,
        loc="upper left",
        fontsize=8,
        ncol=ncol,
        frameon=False,
        title="scenario",
        title_fontsize=9,
    )
    if text:
        ax.text(
            0.0, 0.0, text, transform=ax.transAxes, fontsize=8, va="bottom", ha="left", color="0.25"
        )
    return ax
