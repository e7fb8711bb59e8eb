"""Per-scenario quantiles over runs: what the comparison figures draw, computed once.

A figure of a batch draws medians, bands and shares over a scenario's runs -- never a run's
own line. :func:`summarise` reduces one scenario's trajectories (run x month [x good]) to
those statistics once, so that the 17 stock figures of the counterfactual batch, the
shortage grid and the clearing chart share the baseline's quantiles instead of sorting its
runs again for each panel. A :class:`Summary` is small (a few kB per scenario), picklable,
and goes with the drawing tasks to the worker pool.

The statistics are the ones the figures drew before: ``np.nanpercentile`` over runs, a
month outside a scenario's window (NaN in every run) NaN; unmet demand a share of demand,
0 where there is no demand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

STOCK_QUANTILES = (5, 25, 50, 75, 95)  # the stock fans: 90 % band, 50 % band, median
CLEARING_QUANTILES = (25, 50, 75)
SHORT_SHARE = 0.01  # a run is short of a good in a month when >= 1 % of demand is unmet
MAX_SUPPLIERS = 7  # suppliers drawn separately in the deliveries chart; the rest are "other"
VARIABLES = ("stock", "shortage", "demand", "clearing_balance_rm", "suspended")


@dataclass(frozen=True)
class Summary:
    """One scenario's trajectories reduced over runs (None: the variable was not kept)."""

    name: str
    months: tuple[str, ...]
    goods: tuple[str, ...]
    units: tuple[str, ...]
    stock: np.ndarray | None  # (quantile, month, good): STOCK_QUANTILES of the stock
    short: np.ndarray | None  # (month, good) bool: most runs short (unmet >= SHORT_SHARE)
    unmet_median: np.ndarray | None  # (month, good): median unmet share of demand (0-1)
    clearing_m_rm: np.ndarray | None  # (quantile, month): CLEARING_QUANTILES, M RM
    suspended_most: np.ndarray | None  # (month,) bool: mean of ``suspended`` >= 0.5
    suspended_pct: np.ndarray | None  # (month,): % of runs with deliveries suspended

    def good(self, good: str) -> int:
        return self.goods.index(good)


def quantiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.nanpercentile(values, q, axis=0)``, fast where it can be: a column without NaN
    (or all NaN, a month outside the window) takes np.percentile's one partition; only a
    column with some NaN goes through nanpercentile's slow path. Same numbers."""
    values = np.asarray(values, dtype=float)
    out = np.percentile(values, q, axis=0)
    nan = np.isnan(values)
    some = nan.any(axis=0) & ~nan.all(axis=0)
    if some.any():
        out[:, some] = np.nanpercentile(values[:, some], q, axis=0)
    return out


def unmet_share(shortage: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Shortage as a share of demand (0 where there is no demand)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, shortage / np.where(demand > 0, demand, 1.0), 0.0)


def median_over_runs(values: np.ndarray) -> np.ndarray:
    return quantiles(values, (50,))[0]


def summarise_arrays(
    name: str,
    months: Sequence[str],
    goods: Sequence[str],
    units: Sequence[str],
    data: dict[str, np.ndarray],
) -> Summary:
    """The summary of one scenario from its arrays (run, month[, good]) by variable name."""
    stock = data.get("stock")
    shortage, demand = data.get("shortage"), data.get("demand")
    share = (
        unmet_share(np.asarray(shortage, float), np.asarray(demand, float))
        if shortage is not None and demand is not None
        else None
    )
    clearing = data.get("clearing_balance_rm")
    suspended = data.get("suspended")
    susp = None if suspended is None else np.asarray(suspended, dtype=float)
    return Summary(
        name=name,
        months=tuple(months),
        goods=tuple(goods),
        units=tuple(units),
        stock=None if stock is None else quantiles(stock, STOCK_QUANTILES),
        short=None if share is None else (share >= SHORT_SHARE).mean(axis=0) >= 0.5,
        unmet_median=None if share is None else median_over_runs(share),
        clearing_m_rm=None
        if clearing is None
        else quantiles(np.asarray(clearing, float) / 1e6, CLEARING_QUANTILES),
        suspended_most=None if susp is None else susp.mean(axis=0) >= 0.5,
        suspended_pct=None if susp is None else 100 * (susp > 0).mean(axis=0),
    )


def summarise(trajectories: Path, scenario: str) -> Summary:
    """Read one scenario of a result folder's ``trajectories.nc`` and summarise it (a file
    without a scenario dimension, as tests write, is that one scenario)."""
    return summarise_many(trajectories, [scenario])[scenario]


def summarise_many(trajectories: Path, scenarios: Sequence[str]) -> dict[str, Summary]:
    """:func:`summarise` for several scenarios of one file, opened once: opening the
    counterfactual batch's file (~40 variables) cost more than reading a scenario's data."""
    import xarray as xr

    from model.engine.cf import joined, month_labels

    out = {}
    with xr.open_dataset(trajectories, engine="h5netcdf") as raw:
        ds = joined(raw)
        keep = [v for v in VARIABLES if v in ds]
        months = month_labels(ds)
        goods = [str(g) for g in ds["good"].values] if "good" in ds.coords else []
        units = [str(u) for u in np.ravel(ds["unit"].values)] if "unit" in ds else [""] * len(goods)
        for scenario in scenarios:
            part = ds[keep].sel(scenario=scenario) if "scenario" in ds.dims else ds[keep]
            part = part.load()
            data = {v: np.asarray(part[v].transpose("run", ...).values) for v in keep}
            out[scenario] = summarise_arrays(scenario, months, goods, units, data)
    return out


def supplier_totals(
    outcomes: pd.DataFrame, names: Sequence[str], max_suppliers: int = MAX_SUPPLIERS
) -> pd.DataFrame:
    """Mean cumulative imports by supplier, M RM: rows scenarios, the largest suppliers then 'other'."""
    cols = [c for c in outcomes.columns if c.startswith("imports_rm_")]
    means = (
        outcomes.groupby(outcomes["scenario"].astype(str))[cols].mean().reindex(list(names)) / 1e6
    )
    means.columns = [c.removeprefix("imports_rm_") for c in cols]
    order = means.max(axis=0).sort_values(ascending=False)
    keep = [s for s in order.index[:max_suppliers] if order[s] > 0]
    rest = [s for s in means.columns if s not in keep]
    out = means[keep].copy()
    if rest and means[rest].to_numpy().sum() > 0:
        out["other"] = means[rest].sum(axis=1)
    return out


LIKE_BASELINE = 0.02  # of the baseline's largest absolute median balance


def like_baseline(summaries: Mapping[str, Summary], scenarios: Sequence[str]) -> list[str]:
    """The scenarios after the first whose median clearing balance never differs from the
    first's by more than LIKE_BASELINE of its largest absolute value (months outside a
    window, NaN, left out)."""
    base = summaries[scenarios[0]].clearing_m_rm
    if base is None or not np.isfinite(base[1]).any():
        return []
    scale = float(np.nanmax(np.abs(base[1])))
    out = []
    for s in scenarios[1:]:
        med = summaries[s].clearing_m_rm
        if med is None or scale <= 0:
            continue
        gap = np.abs(med[1] - base[1])
        if np.isfinite(gap).any() and np.nanmax(gap) <= LIKE_BASELINE * scale:
            out.append(s)
    return out
