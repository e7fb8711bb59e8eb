"""Paired comparison of counterfactuals against the baseline, and ``pactsim compare``.

Replication *i* of every scenario in a batch draws the same uncertain parameters and the
same shocks (common random numbers, docs/architecture.md §6), so the effect of a counterfactual is
measured run by run: scenario minus baseline for the same replication, over the
replications both scenarios share. The paired differences vary far less than either
scenario does on its own, so small effects show.

Statistics (per scenario, per outcome):

- continuous outcomes -- cumulative shortage of each critical good (kt), months of cover
  and war readiness on 1941-06 (22 June 1941), cumulative imports by supplier (M RM), peak
  arrears (M RM), the final clearing balance, suspension months -- the **mean** paired
  difference;
- the month each critical good first runs out -- the **median** paired difference in
  months. A good that does not run out within the window is *censored*: it is counted as
  running out in the month after the window ends, so a difference involving such a run is
  a bound (at least / at most that many months), and the share of runs in which the good
  runs out is reported for both scenarios;
- intervals: percentile bootstrap over replications (each pair resampled as one), 2,000
  resamples by default, 90 % by default, from
  ``numpy.random.default_rng(SeedSequence([seed, crc32(scenario name)]))`` -- so adding a
  scenario to a batch does not move the intervals of the others.

Units are in the ``unit`` column of every row; numbers are in that unit.
"""

from __future__ import annotations

import contextlib
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from model.analysis.metrics import KEY_DATE, Metric, metrics_for
from model.engine.cf import joined, month_labels
from model.engine.outcomes import column_name
from model.errors import ScenarioError, UserError
from model.store.manifest import manifest_path, read_manifest

CONFIDENCE = 0.90
N_RESAMPLES = 2000


# ---------------------------------------------------------------------------------------
# reading a result folder
# ---------------------------------------------------------------------------------------
@dataclass
class BatchResults:
    """The saved results of a batch (or a single run): nothing here re-runs the model."""

    path: Path
    outcomes: pd.DataFrame
    manifest: dict[str, Any]
    months: list[str]
    units: dict[str, str] = field(default_factory=dict)  # good -> unit
    critical: tuple[str, ...] = ()  # the critical goods of the catalogue, in its order

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(self.outcomes["scenario"].astype(str)))

    @property
    def trajectories_path(self) -> Path:
        return self.path / "trajectories.nc"

    def trajectories(self) -> xr.Dataset:
        """The labelled trajectories (dims scenario, run, month, good), read lazily."""

        if not self.trajectories_path.exists():
            raise UserError(
                f"{self.path}: no trajectories.nc; the figures need the batch's trajectories"
            )
        ds = joined(xr.open_dataset(self.trajectories_path, engine="h5netcdf"))
        if "scenario" not in ds.dims:  # a `pactsim run` folder: one scenario
            name = (
                str(self.outcomes["scenario"].iloc[0])
                if "scenario" in self.outcomes
                else ds.attrs.get("scenario", "run")
            )
            ds = ds.expand_dims(scenario=[name])
        return ds


def load_results(path: str | Path) -> BatchResults:
    """Read outcomes.parquet, manifest.json and the month axis of a result folder."""

    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such result folder")
    table_path = path / "outcomes.parquet"
    if not table_path.exists():
        raise UserError(
            f"{path}: no outcomes.parquet (is this a result folder of `pactsim batch`?)"
        )
    outcomes = pd.read_parquet(table_path)
    outcomes = outcomes.rename(columns=column_name)  # folders written before issue 13
    if "replication" not in outcomes:
        raise UserError(f"{table_path}: no 'replication' column; cannot pair runs across scenarios")
    if "scenario" not in outcomes:
        outcomes.insert(0, "scenario", "run")
    manifest = read_manifest(path) if manifest_path(path).exists() else {}
    months, units = _months_and_units(path, manifest)
    scenarios = list(dict.fromkeys(outcomes["scenario"].astype(str)))
    return BatchResults(
        path, outcomes, manifest, months, units, folder_critical_goods(path, manifest, scenarios)
    )


def folder_critical_goods(
    path: Path, manifest: dict[str, Any], scenarios: Sequence[str]
) -> tuple[str, ...]:
    """The critical goods of a result folder's catalogue (``critical = true`` in its goods).

    Read from the scenarios the folder froze into ``scenarios/``, else (a folder written
    before every result folder froze them) from the scenario files its manifest names, if
    they are still there; never from another scenario.
    """
    from model.files.scenario import load
    from model.store.results import frozen_data
    from model.world.goods import critical_goods

    for name in scenarios:
        goods = frozen_data(path, name).get("goods")
        if isinstance(goods, dict):
            return critical_goods(goods)
    files = [p.get("path") for p in manifest.get("scenarios", []) if isinstance(p, dict)]
    for file in files:
        if file and Path(file).is_file():
            with contextlib.suppress(ScenarioError, OSError):
                return critical_goods(load(file).data.get("goods", {}))
    return ()


def _months_and_units(path: Path, manifest: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    from model.world.calendar import Window

    nc = path / "trajectories.nc"
    if nc.exists():
        with xr.open_dataset(nc, engine="h5netcdf") as ds:
            months = month_labels(ds)
            units = {}
            if "unit" in ds:
                unit = ds["unit"]
                unit = unit.isel({d: 0 for d in unit.dims if d != "good"})
                units = {
                    str(g): str(u) for g, u in zip(unit["good"].values, unit.values, strict=True)
                }
            return months, units
    window = manifest.get("window")
    if isinstance(window, dict) and "start" in window and "end" in window:
        return Window.from_texts(window["start"], window["end"]).labels, {}
    raise UserError(
        f"{path}: neither trajectories.nc nor a window in manifest.json; cannot place stock-out months"
    )


def stockout_position(values: pd.Series | Sequence[Any], months: Sequence[str]) -> np.ndarray:
    """Month a good runs out as months from the window's start; ``len(months)`` if never.

    ``len(months)`` is the month after the window ends: a censored value.
    """
    index = {m: i for i, m in enumerate(months)}
    censor = float(len(months))
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out[i] = censor
        elif str(v) in index:
            out[i] = index[str(v)]
        else:
            raise ValueError(
                f"stock-out month {v!r} is outside the window {months[0]}..{months[-1]}"
            )
    return out


def metric_values(table: pd.DataFrame, metric: Metric, months: Sequence[str]) -> np.ndarray:
    if metric.kind == "month":
        return stockout_position(table[metric.column], months)
    if metric.kind == "share":
        return (stockout_position(table[metric.column], months) < len(months)) * metric.scale
    return pd.to_numeric(table[metric.column], errors="coerce").to_numpy(dtype=float) * metric.scale


def position_label(position: float, months: Sequence[str]) -> str:
    """A (median) stock-out position as a month, or 'after <end>' when censored."""
    if not np.isfinite(position):
        return "n/a"
    if position >= len(months):
        return f"after {months[-1]}"
    return months[int(np.floor(position))]


# ---------------------------------------------------------------------------------------
# the bootstrap
# ---------------------------------------------------------------------------------------
def scenario_rng(seed: int, scenario: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(scenario.encode())]))


@dataclass(frozen=True)
class ResampledMedians:
    """Medians of resampled columns read off each resample's counts of every distinct value.

    The columns bootstrapped by their median are differences of whole months (a few dozen
    distinct values): the k-th smallest of a resample is the first distinct value whose
    cumulative count exceeds k, so one matrix product of the resample counts with the
    values' indicators replaces sorting every resample -- the same order statistics, and
    the same median as ``np.median`` (the mean of the two middle values, (a + b) / 2, for
    an even count). Only for finite columns with few distinct values (else None).
    """

    values: tuple[np.ndarray, ...]  # each column's distinct values, sorted
    indicators: np.ndarray  # (n, sum of distinct counts): 1 where row i has that value
    n: int

    MAX_DISTINCT = 512

    @classmethod
    def of(cls, columns: np.ndarray) -> ResampledMedians | None:
        n = columns.shape[0]
        if n == 0 or not np.isfinite(columns).all():
            return None
        values, blocks = [], []
        for col in columns.T:
            distinct, inverse = np.unique(col, return_inverse=True)
            if len(distinct) > cls.MAX_DISTINCT:
                return None
            block = np.zeros((n, len(distinct)))
            block[np.arange(n), inverse.ravel()] = 1.0
            values.append(distinct)
            blocks.append(block)
        return cls(tuple(values), np.hstack(blocks), n)

    def medians(self, counts: np.ndarray) -> np.ndarray:
        """(resamples, columns): the median of each resample (counts: resamples x n) and column."""
        tallies = counts @ self.indicators  # whole numbers, exact in float64
        out = np.empty((counts.shape[0], len(self.values)))
        lower, upper = (self.n - 1) // 2, self.n // 2  # the middle order statistics (0-based)
        at = 0
        for j, distinct in enumerate(self.values):
            cum = np.cumsum(tallies[:, at : at + len(distinct)], axis=1)
            at += len(distinct)
            low = distinct[np.argmax(cum > lower, axis=1)]
            if lower == upper:
                out[:, j] = low
            else:
                high = distinct[np.argmax(cum > upper, axis=1)]
                out[:, j] = (low + high) / 2
        return out


def bootstrap_paired(
    diff: np.ndarray,
    statistics: Sequence[str],
    rng: np.random.Generator,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
    block: int = 250,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and percentile-bootstrap interval of paired differences.

    ``diff`` is (n pairs, K outcomes); ``statistics[k]`` is "mean" (NaN pairs ignored) or
    "median". Every outcome is resampled with the same replications, ``block`` resamples at
    a time: means through resample counts (a matrix product), medians on the resampled
    values. Returns (estimate, low, high), each of length K.
    """
    diff = np.asarray(diff, dtype=float)
    n, k = diff.shape
    is_median = np.array([s == "median" for s in statistics])
    finite = np.isfinite(diff)
    est = np.full(k, np.nan)
    with warnings.catch_warnings():  # all-NaN columns give NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        if n and (~is_median).any():
            est[~is_median] = np.nanmean(diff[:, ~is_median], axis=0)
        if n and is_median.any():
            est[is_median] = np.nanmedian(diff[:, is_median], axis=0)
    if n < 2:
        return est, np.full(k, np.nan), np.full(k, np.nan)
    filled = np.where(finite, diff, 0.0)
    boots = np.empty((n_resamples, k))
    med_cols = np.flatnonzero(is_median)
    block = max(1, min(block, 4_000_000 // max(n * max(med_cols.size, 1), 1)))  # bounded memory
    median = np.median if finite[:, med_cols].all() else np.nanmedian
    histogram = ResampledMedians.of(diff[:, med_cols]) if med_cols.size else None
    for start in range(0, n_resamples, block):
        b = min(block, n_resamples - start)
        idx = rng.integers(0, n, size=(b, n))
        counts = (
            np.bincount((idx + n * np.arange(b)[:, None]).ravel(), minlength=b * n)
            .reshape(b, n)
            .astype(float)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            boots[start : start + b] = (counts @ filled) / (counts @ finite.astype(float))
        if med_cols.size and histogram is not None:
            boots[start : start + b, med_cols] = histogram.medians(counts)
        elif med_cols.size:
            boots[start : start + b, med_cols] = median(diff[:, med_cols][idx], axis=1)
    tail = 100 * (1 - confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(boots, [tail, 100 - tail], axis=0)
        if med_cols.size:  # medians of whole months: take resampled values, not interpolations
            low[med_cols], high[med_cols] = np.nanpercentile(
                boots[:, med_cols], [tail, 100 - tail], axis=0, method="nearest"
            )
    return est, low, high


# ---------------------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------------------
def paired_tables(
    outcomes: pd.DataFrame, baseline: str, scenario: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``baseline`` and ``scenario`` aligned on the replications both have."""

    def rows(name: str) -> pd.DataFrame:
        t = outcomes[outcomes["scenario"].astype(str) == name]
        return t.drop_duplicates("replication", keep="last").set_index("replication")

    b, s = rows(baseline), rows(scenario)
    common = b.index.intersection(s.index).sort_values()
    return b.loc[common], s.loc[common]


def compare(
    results: BatchResults,
    baseline: str = "baseline",
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
    key_date: str = KEY_DATE,
) -> pd.DataFrame:
    """One tidy row per (scenario, outcome): paired difference against ``baseline``."""

    names = results.scenarios
    if baseline not in names:
        raise UserError(
            f"{results.path}: no scenario {baseline!r} to compare against; scenarios are: {', '.join(names)}"
        )
    others = [s for s in names if s != baseline]
    if not others:
        raise UserError(f"{results.path}: only {baseline!r} is in this result; nothing to compare")
    ms = metrics_for(list(results.outcomes.columns), results.units, key_date, results.critical)
    rows = []
    for name in others:
        b, s = paired_tables(results.outcomes, baseline, name)
        vb = (
            np.column_stack([metric_values(b, m, results.months) for m in ms])
            if ms
            else np.empty((len(b), 0))
        )
        vs = (
            np.column_stack([metric_values(s, m, results.months) for m in ms])
            if ms
            else np.empty((len(s), 0))
        )
        est, low, high = bootstrap_paired(
            vs - vb, [m.statistic for m in ms], scenario_rng(seed, name), n_resamples, confidence
        )
        for k, m in enumerate(ms):
            rows.append(_row(name, m, vb[:, k], vs[:, k], est[k], low[k], high[k], results.months))
    table = pd.DataFrame(rows)
    table.attrs.update(
        baseline=baseline,
        seed=seed,
        n_resamples=n_resamples,
        confidence=confidence,
        censor_month=_after(results.months),
    )
    return table


def _after(months: Sequence[str]) -> str:
    from model.world.calendar import format_month, parse_month

    return format_month(parse_month(months[-1]) + 1)


def _row(
    scenario: str,
    m: Metric,
    vb: np.ndarray,
    vs: np.ndarray,
    est: float,
    low: float,
    high: float,
    months: Sequence[str],
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "scenario": scenario,
        "outcome": m.column if m.kind != "share" else f"{m.column}:share",
        "group": m.group,
        "label": m.label,
        "unit": m.unit,
        "statistic": f"{m.statistic} paired difference",
        "n_pairs": len(vb),
    }
    with np.errstate(invalid="ignore"):
        if m.censored:
            censor = len(months)
            row["baseline"] = float(np.median(vb)) if len(vb) else np.nan
            row["scenario_value"] = float(np.median(vs)) if len(vs) else np.nan
            row["baseline_month"] = position_label(row["baseline"], months)
            row["scenario_month"] = position_label(row["scenario_value"], months)
            row["share_out_baseline"] = float(np.mean(vb < censor)) if len(vb) else np.nan
            row["share_out_scenario"] = float(np.mean(vs < censor)) if len(vs) else np.nan
        else:
            row["baseline"] = float(np.nanmean(vb)) if np.isfinite(vb).any() else np.nan
            row["scenario_value"] = float(np.nanmean(vs)) if np.isfinite(vs).any() else np.nan
    row.update(difference=float(est), ci_low=float(low), ci_high=float(high))
    row["excludes_zero"] = bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))
    row["note"] = _note(row, m, months)
    return row


def _note(row: dict[str, Any], m: Metric, months: Sequence[str]) -> str:
    """For stock-out months: when most runs are censored the median difference is a bound.

    A censored baseline run ran out at the censoring month or later, so the true difference
    is at most the one shown (an upper bound); a censored scenario run makes it a lower bound.
    """
    if not m.censored:
        return ""
    shares = (
        f"runs out in {row['share_out_baseline']:.0%} -> {row['share_out_scenario']:.0%} of runs"
    )
    base, scen = (1 - row["share_out_baseline"]) >= 0.5, (1 - row["share_out_scenario"]) >= 0.5
    if base and scen:
        return f"{shares}; most runs censored: the shift is a bound"
    if base:
        return f"{shares}; upper bound: baseline censored"
    if scen:
        return f"{shares}; lower bound: scenario censored"
    return shares


# ---------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------
def fmt(x: float, unit: str = "") -> str:
    """A number for people: sign-free, few digits, thousands separated."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a < 5e-10 or (unit == "months" and float(x).is_integer()):
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:,.1f}"
    if a < 0.0005:  # not zero, but nothing a reader needs digits for
        return "~0"
    if a < 0.01:
        return f"{x:.3f}"
    return f"{x:,.2f}"


def fmt_diff(row: pd.Series | dict[str, Any]) -> str:
    d = row["difference"]
    if d is None or not np.isfinite(d):
        return "n/a"
    return ("+" if d > 0 else "") + fmt(d, row["unit"])


def fmt_interval(row: pd.Series | dict[str, Any]) -> str:
    lo, hi = row["ci_low"], row["ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    return f"[{fmt(lo, row['unit'])}, {fmt(hi, row['unit'])}]"


def fmt_level(row: pd.Series | dict[str, Any], which: str) -> str:
    """The baseline or scenario level: median month (share of runs out) or the mean."""
    if row["unit"] == "months" and row["group"] == "runs out":
        return f"{row[f'{which}_month']}"
    key = "baseline" if which == "baseline" else "scenario_value"
    return fmt(row[key], row["unit"])


def method_lines(table: pd.DataFrame) -> list[str]:
    a = table.attrs
    return [
        f"Paired differences, scenario minus {a.get('baseline', 'baseline')}, over the replications both share "
        "(common random numbers): the mean difference for amounts, the median difference for the month a good runs out.",
        f"Intervals: {a.get('confidence', CONFIDENCE):.0%} percentile bootstrap over replications, "
        f"{a.get('n_resamples', N_RESAMPLES):,} resamples, seed {a.get('seed', 0)}.",
        f"Censoring: a good that has not run out by the window's end is counted as running out in "
        f"{a.get('censor_month', 'the month after the window')} (a censored value). "
        "Where most runs are censored, the median difference is only a bound; the share of runs that run out tells more.",
    ]
