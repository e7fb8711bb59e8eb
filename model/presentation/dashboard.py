"""Explore a counterfactual live in the browser: the dashboard's model, ``pactsim dashboard``.

The dashboard (``model/presentation/dashboard_app.py``) runs the same
:class:`~model.engine.simulation.PactModel` as ``pactsim run``: :class:`DashboardModel` only turns
the page's controls into a scenario -- a scenario file from ``scenarios/`` with some key
paths overridden by the levers of :mod:`model.presentation.dashboard_levers` -- and then
hands it to ``PactModel``. There is no second copy of the dynamics.

With ``runs`` > 1 the model advances that many Monte Carlo runs side by side (uncertain
parameters drawn by :func:`model.engine.runner.draw_uniforms`, the same draws as ``pactsim run
--runs N --seed S``); with one run every distribution takes its central value. The
unmodified baseline is run once per process for each (runs, seed) and drawn behind.
:func:`summary_rows` says what the levers changed (when oil runs out, the cover at the
invasion, imports by origin, the clearing account); :func:`export_table` is the shown
series and the levers applied, for download.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.engine.runner import draw_uniforms
from model.engine.simulation import PactModel
from model.files.scenario import Scenario, ScenarioError, load, shipped
from model.presentation.dashboard_levers import apply_levers, lever_starts

BASELINE_FILE = "baseline.toml"
SCENARIO_DIR_ENV = "PACTSIM_SCENARIOS"
SCENARIO_FILE_ENV = "PACTSIM_SCENARIO"  # the file the page starts from (dashboard --scenario)
APP_MODULE = "model.presentation.dashboard_app"
RUN_CHOICES = (1, 20, 100)
DEFAULT_RUNS = 20

INVASION = "events.invasion"


# ---------------------------------------------------------------------------------------
# scenario files
# ---------------------------------------------------------------------------------------
def scenario_dir() -> Path:
    """Where the scenario files are: $PACTSIM_SCENARIOS, ./scenarios, or the shipped ones."""
    if os.environ.get(SCENARIO_DIR_ENV):
        return Path(os.environ[SCENARIO_DIR_ENV])
    here = Path.cwd() / "scenarios"
    if (here / BASELINE_FILE).exists():
        return here
    return shipped("scenarios")


def start_file() -> str:
    """The scenario file the page starts from: $PACTSIM_SCENARIO (a name in the scenarios
    folder, set by ``pactsim dashboard --scenario``), or the baseline."""
    return os.environ.get(SCENARIO_FILE_ENV) or BASELINE_FILE


def scenario_files(folder: Path) -> list[str]:
    """The scenario files a user can pick, baseline first."""
    names = sorted(p.name for p in folder.glob("*.toml"))
    return sorted(names, key=lambda n: n != BASELINE_FILE)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int) -> Scenario:
    return load(path)


def load_scenario(folder: Path, name: str) -> Scenario:
    """Load ``name`` from ``folder`` (cached until the file changes)."""
    path = Path(folder) / name
    if Path(name).name != name or path.suffix != ".toml":
        raise ScenarioError(path, "", "expected the name of a .toml file in the scenarios folder")
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    return _load_cached(str(path), mtime)


# ---------------------------------------------------------------------------------------
# the model the page runs
# ---------------------------------------------------------------------------------------
def model_arguments(scenario: Scenario, runs: int, seed: int) -> dict[str, Any]:
    """PactModel's arguments for ``runs`` runs: Monte Carlo draws as in ``pactsim run``, or central values."""
    reps = np.arange(runs)
    uniforms = draw_uniforms(scenario, seed, reps) if runs > 1 else None
    return {
        "scenario": scenario,
        "n_runs": runs,
        "seed": seed,
        "replications": reps,
        "uniforms": uniforms,
    }


@dataclass(frozen=True)
class Reference:
    """A finished run of the unmodified baseline, drawn faintly behind the live curves."""

    months: list[str]
    goods: tuple[str, ...]
    trajectory: dict[str, np.ndarray]
    invasion: str
    trade: dict[str, np.ndarray]  # :func:`trade_series` over the whole window
    treaties: tuple[str, ...] = ()  # the months treaties were signed


@functools.lru_cache(maxsize=8)
def _reference(path: str, mtime_ns: int, runs: int, seed: int) -> Reference:
    scenario = _load_cached(path, mtime_ns)
    done = PactModel(**model_arguments(scenario, runs, seed)).run()
    keep = ("stock", "demand", "shortage", "clearing_balance_rm", "arrears_rm", "suspended")
    return Reference(
        done.window.labels,
        done.goods.ids,
        {k: done.trajectory[k] for k in keep},
        str(scenario.get(INVASION)),
        trade_series(done, done.window.n_months),
        signed_months(scenario),
    )


def signed_months(scenario: Scenario) -> tuple[str, ...]:
    """The months the scenario's treaties were signed (the pact of 1939-08 among them)."""
    from model.presentation.event_marks import event_markers

    return tuple(sorted({m for m, label in event_markers(scenario.data) if label != "invasion"}))


# ---------------------------------------------------------------------------------------
# what the levers change: series and a summary, from a model's trajectory
# ---------------------------------------------------------------------------------------
SOVIET = "soviet_union"
TRADE = (  # the trade chart's panels: (key, title)
    ("imports_soviet", "imports from the USSR"),
    ("imports_other", "imports from other suppliers"),
    ("clearing", "clearing balance"),
    ("arrears", "German arrears"),
)
RUNS_OUT_SHARE = 0.01  # a good runs out when the stock falls below 1 % of a month's demand


def trade_series(model: PactModel, upto: int) -> dict[str, np.ndarray]:
    """(run, month) series in M RM for the first ``upto`` months: imports by origin (a
    month's arrivals at reference prices), the clearing balance and the arrears."""
    t = model.trajectory
    price = model.goods.price_rm_per_unit
    imports = np.asarray(t["imports"][:upto], dtype=float)  # (month, pair, run)
    soviet = model.origins.index(SOVIET)
    value = np.stack([imports[:, p] * price[g] for p, (_, g) in enumerate(model.import_pairs)], 1)
    from_ussr = np.array([o == soviet for o, _ in model.import_pairs])
    return {
        "imports_soviet": value[:, from_ussr].sum(axis=1).T / 1e6,
        "imports_other": value[:, ~from_ussr].sum(axis=1).T / 1e6,
        "clearing": np.asarray(t["clearing_balance_rm"][:upto], float).T / 1e6,
        "arrears": np.asarray(t["arrears_rm"][:upto], float).T / 1e6,
    }


def runs_out(stock: np.ndarray, demand: np.ndarray, months: list[str]) -> str:
    """The median over runs of the month the stock first falls below 1 % of a month's
    demand ((month, run) arrays); 'not by <last month>' where most runs have not."""
    if not len(months):
        return "-"
    out = stock < RUNS_OUT_SHARE * np.where(demand > 0, demand, np.inf)
    first = np.where(out.any(axis=0), out.argmax(axis=0), len(months)).astype(float)
    median = int(np.ceil(np.median(first)))
    return months[median] if median < len(months) else f"not by {months[-1]}"


def cover_at(stock: np.ndarray, demand: np.ndarray, months: list[str], month: str) -> str:
    """Median months of cover (stock / demand) in ``month``, if it has been simulated."""
    if month not in months:
        return "-"
    i = months.index(month)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand[i] > 0, stock[i] / demand[i], np.nan)
    return f"{np.nanmedian(cover):.2f} months ({month})"


def _total(series: np.ndarray) -> str:
    """Median over runs of the sum over months, M RM."""
    return f"{np.median(series.sum(axis=1)):,.0f}" if series.size else "0"


def summary_rows(
    model: PactModel, reference: Reference, upto: int, invasion: str
) -> list[tuple[str, str, str]]:
    """(what, this scenario, baseline) for the months simulated so far, the baseline over
    the same calendar months: when oil runs out, the oil cover at each one's invasion,
    imports from the USSR and from the others to date (what the blockade lever moves)."""
    months = model.window.labels[:upto]
    shared = [m for m in reference.months if m <= (months[-1] if months else "")]
    n = len(shared)
    oil, ref_oil = model.goods.index("oil"), reference.goods.index("oil")
    live = (model.trajectory["stock"][:upto, :, oil], model.trajectory["demand"][:upto, :, oil])
    base = (
        reference.trajectory["stock"][:n, :, ref_oil],
        reference.trajectory["demand"][:n, :, ref_oil],
    )
    trade = trade_series(model, upto)
    ref_trade = {k: v[:, :n] for k, v in reference.trade.items()}
    return [
        ("Oil runs out (median month)", runs_out(*live, months), runs_out(*base, shared)),
        ("Oil cover at the invasion", cover_at(*live, months, invasion), cover_at(*base, shared, reference.invasion)),
        ("Imports from the USSR to date, M RM", _total(trade["imports_soviet"]), _total(ref_trade["imports_soviet"])),
        ("Imports from other suppliers to date, M RM", _total(trade["imports_other"]), _total(ref_trade["imports_other"])),
    ]  # fmt: skip


def export_table(model: Any, series: dict[str, tuple[str, np.ndarray, np.ndarray]]) -> Any:
    """The shown series as a long table (one row per series and month: the median and 5-95 %
    of this scenario's runs and the baseline's median) with the scenario file and the levers
    applied (their key paths and values, JSON) on every row."""
    import json

    import pandas as pd

    levers = json.dumps(model.overrides, default=str, sort_keys=True)
    frames = []
    for name, (chart, live, base) in series.items():
        months = model.window.labels[: live.shape[1]]
        lo, med, hi = (
            (np.percentile(live, q, axis=0) for q in (5, 50, 95)) if live.size else ([], [], [])
        )
        frames.append(pd.DataFrame({
            "chart": chart, "series": name, "month": months, "median": med, "p05": lo, "p95": hi,
            "baseline_median": np.median(base, axis=0)[: len(months)] if base.size else np.nan,
        }))  # fmt: skip
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table.insert(0, "scenario_file", model.scenario_file)
    table.insert(1, "runs", model.n_runs)
    table.insert(2, "seed", model.seed)
    table["levers"] = levers
    return table


def reference_run(folder: Path, runs: int, seed: int) -> Reference:
    """The baseline file of ``folder``, run once per process for each (runs, seed)."""
    path = Path(folder) / BASELINE_FILE
    return _reference(str(path), path.stat().st_mtime_ns, runs, seed)


class DashboardModel(PactModel):
    """A :class:`PactModel` built from the dashboard's controls (see the module docstring).

    Every argument is a keyword with a default, as SolaraViz's Reset requires. ``None``
    (or :data:`AS_IN_SCENARIO`) means "as in the scenario file"; so does a slider at its
    starting position. The model stops (``running = False``) after the window's last month.
    """

    def __init__(
        self,
        scenario_file: str = BASELINE_FILE,
        runs: int = DEFAULT_RUNS,
        seed: int = 0,
        scenario_folder: str | None = None,
        **levers: Any,
    ):
        folder = Path(scenario_folder) if scenario_folder else scenario_dir()
        refused: list[str] = []
        try:
            base = load_scenario(folder, str(scenario_file))
        except ScenarioError as err:
            refused.append(
                f"Scenario {scenario_file!r} refused: {err}; showing {BASELINE_FILE} instead"
            )
            scenario_file, base = BASELINE_FILE, load_scenario(folder, BASELINE_FILE)
        starts = lever_starts(load_scenario(folder, BASELINE_FILE))
        chosen, applied = apply_levers(base, starts, **levers)
        runs = int(runs)
        if runs < 1:
            refused.append(f"Runs {runs} refused: at least one run is needed; using 1")
            runs = 1
        super().__init__(**model_arguments(chosen, runs, int(seed)))
        self.scenario_file = str(scenario_file)
        self.arguments = {"scenario_file": self.scenario_file, "runs": runs, "seed": int(seed),
                          "scenario_folder": scenario_folder, **levers}  # fmt: skip
        self.applied = applied.applied
        self.overrides = applied.overrides
        self.refused = refused + applied.refused
        self.reference = reference_run(folder, runs, int(seed))

    def step(self) -> None:
        if self.step_index >= self.window.n_months:  # the window is over: nothing to advance
            self.running = False
            return
        super().step()
        if self.step_index >= self.window.n_months:
            self.running = False

    @property
    def month_label(self) -> str | None:
        """The last simulated month ``YYYY-MM`` (None before the first step)."""
        return self.window.labels[self.step_index - 1] if self.step_index else None
