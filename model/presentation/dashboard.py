"""Explore a counterfactual live in the browser: levers, the dashboard's model, ``pactsim dashboard``.

The dashboard (``model/presentation/dashboard_app.py``, a Mesa SolaraViz page) runs the same
:class:`~model.engine.simulation.PactModel` as ``pactsim run``: :class:`DashboardModel` only turns
the page's controls into a scenario -- a scenario file from ``scenarios/`` with some key
paths overridden -- and then hands it to ``PactModel``. There is no second copy of the
dynamics. Each lever maps to key paths of the scenario:

=========================  ==========================================================
lever                      key path(s)
=========================  ==========================================================
invasion month             ``events.invasion`` (a month ``YYYY-MM`` or ``"none"``)
German delivery rate       ``germany.exports.delivery_share`` (share 0-1)
reciprocity tolerance      ``treaties.<id>.reciprocity.tolerated_imbalance_rm`` of every
                           treaty with a reciprocity rule (typed in M RM)
blockade effectiveness     ``blockade.effectiveness`` (share 0-1)
Trans-Siberian capacity    ``routes.trans_siberian.capacity_t_per_month``
synthetic oil capacity     every ``germany.synthetic.oil.schedule[i].t_per_month``,
                           multiplied (a distribution is scaled as a whole)
=========================  ==========================================================

A lever left at its starting position (``None`` here; on the page, the slider where it
starts) keeps the scenario file's own value, so that choosing another scenario file is not
undone by the sliders. A lever that moves a number the file gives as a distribution fixes
it to that number in every run. A value that cannot be used -- a month that does not
exist, a negative or non-numeric tolerance, anything the scenario schema rejects -- is
*refused*: the model is built without it and the refusal is reported in
:attr:`DashboardModel.refused` for the page to show. Building a model never raises
because of a control.

With ``runs`` > 1 the model advances that many Monte Carlo runs side by side (uncertain
parameters drawn by :func:`model.engine.runner.draw_uniforms`, the same draws as ``pactsim run
--runs N --seed S``); with one run every distribution takes its central value. The
unmodified baseline is run once per process for each (runs, seed) and drawn behind.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.engine.runner import draw_uniforms
from model.engine.simulation import PactModel
from model.files.scenario import Scenario, ScenarioError, load, shipped
from model.world.calendar import MonthError, is_month_text, parse_month
from model.world.distributions import central, is_distribution
from model.world.routes import TRANSIT_ROUTE

AS_IN_SCENARIO = "as in scenario"
BASELINE_FILE = "baseline.toml"
SCENARIO_DIR_ENV = "PACTSIM_SCENARIOS"
APP_MODULE = "model.presentation.dashboard_app"
RUN_CHOICES = (1, 20, 100)
DEFAULT_RUNS = 20

INVASION = "events.invasion"
DELIVERY_SHARE = "germany.exports.delivery_share"
BLOCKADE = "blockade.effectiveness"
TRANS_SIBERIAN = f"routes.{TRANSIT_ROUTE}.capacity_t_per_month"
SYNTHETIC_OIL = "germany.synthetic.oil.schedule"

_SCALED_KEYS = (
    "low",
    "mode",
    "high",
    "mean",
    "sd",
    "median",
)  # a distribution's numbers in its unit


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
# levers
# ---------------------------------------------------------------------------------------
def _number(value: Any) -> float:
    """The central value of a number or a distribution in a scenario."""
    return float(central(value)) if is_distribution(value) else float(value)


def _show(value: Any) -> str:
    """A scenario value for people: numbers with thousands separators, distributions by centre."""
    if isinstance(value, bool) or not (isinstance(value, int | float) or is_distribution(value)):
        return str(value)
    number = _number(value)
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"
    return f"~{text}" if is_distribution(value) else text


def _show_m_rm(value: Any) -> str:
    if value is None:
        return "-"
    return f"{'~' if is_distribution(value) else ''}{_number(value) / 1e6:,.3g} M RM"


def scale_quantity(value: Any, factor: float) -> Any:
    """A quantity (number or distribution table) multiplied by ``factor`` >= 0."""
    if factor == 0:
        return 0.0
    if not is_distribution(value):
        return float(value) * factor
    out = dict(value)
    for key in _SCALED_KEYS:
        if key in out:
            out[key] = float(out[key]) * factor
    if out["dist"] == "choice":
        out["values"] = [float(v) * factor for v in out["values"]]
    return out


@dataclass(frozen=True)
class LeverStarts:
    """Where the controls start: the baseline's central values (read, never hard-coded)."""

    delivery_share: float
    blockade_effectiveness: float
    trans_siberian_t_per_month: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> LeverStarts:
        return cls(
            delivery_share=_number(scenario.get(DELIVERY_SHARE, 1.0)),
            blockade_effectiveness=_number(scenario.get(BLOCKADE, 0.0)),
            trans_siberian_t_per_month=_number(scenario.get(TRANS_SIBERIAN, 0.0)),
        )


def parse_tolerance_m_rm(text: Any) -> float | None:
    """The typed reciprocity tolerance in M RM; None if empty. Raises ValueError to refuse."""
    if text is None or str(text).strip() == "":
        return None
    cleaned = str(text).strip().replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a number; type the tolerated imbalance in M RM, e.g. 30"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number of M RM")
    if value < 0:
        raise ValueError(f"{text!r} is negative; the tolerated imbalance must be 0 M RM or more")
    return value


def parse_invasion(text: Any) -> str | None:
    """``"none"``, a month ``YYYY-MM``, or None for "as in scenario". Raises ValueError to refuse."""
    if text is None or str(text).strip() in ("", AS_IN_SCENARIO):
        return None
    value = str(text).strip()
    if value == "none":
        return value
    if not is_month_text(value):
        raise ValueError("expected a month 'YYYY-MM' or 'none'")
    try:
        parse_month(value)
    except MonthError as err:
        raise ValueError(str(err)) from None
    return value


@dataclass
class LeverResult:
    """What the controls did to a scenario: overrides applied and values refused."""

    overrides: dict[str, Any] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # readable "lever: new (file: old)"
    refused: list[str] = field(default_factory=list)  # readable "lever 'value': why"

    def set(
        self,
        scenario: Scenario,
        label: str,
        path: str,
        value: Any,
        show: Callable[[Any], str] = _show,
    ) -> None:
        self.overrides[path] = value
        self.applied.append(f"{label}: {show(value)} (file: {show(scenario.get(path))})")


def apply_levers(
    scenario: Scenario,
    starts: LeverStarts,
    *,
    invasion: Any = None,
    delivery_share: float | None = None,
    tolerance_m_rm: Any = None,
    blockade_effectiveness: float | None = None,
    trans_siberian_t_per_month: float | None = None,
    synthetic_oil_scale: float | None = None,
) -> tuple[Scenario, LeverResult]:
    """The scenario with the levers' overrides, validated; refused values are left out."""
    result = LeverResult()
    try:
        month = parse_invasion(invasion)
    except ValueError as err:
        result.refused.append(f"Invasion month {invasion!r} refused: {err}")
    else:
        if month is not None:
            result.set(scenario, "Invasion month", INVASION, month)

    if delivery_share is not None and not math.isclose(delivery_share, starts.delivery_share):
        share = float(delivery_share)
        result.set(scenario, "German delivery rate", DELIVERY_SHARE, share)

    _reciprocity_lever(scenario, result, tolerance_m_rm)

    if blockade_effectiveness is not None and not math.isclose(
        blockade_effectiveness, starts.blockade_effectiveness
    ):
        value = float(blockade_effectiveness)
        result.set(scenario, "Blockade effectiveness", BLOCKADE, value)

    _trans_siberian_lever(scenario, result, starts, trans_siberian_t_per_month)
    _synthetic_oil_lever(scenario, result, synthetic_oil_scale)

    return validated_levers(scenario, result)


def _reciprocity_lever(scenario: Scenario, result: LeverResult, tolerance_m_rm: Any) -> None:
    """The tolerated imbalance of every treaty with a reciprocity rule, in M RM."""
    try:
        tolerance = parse_tolerance_m_rm(tolerance_m_rm)
    except ValueError as err:
        result.refused.append(f"Reciprocity tolerance refused: {err}")
    else:
        if tolerance is not None:
            treaties = scenario.get("treaties", {}) or {}
            with_rule = [
                tid for tid, t in treaties.items() if isinstance(t, Mapping) and "reciprocity" in t
            ]
            for tid in with_rule:
                path = f"treaties.{tid}.reciprocity.tolerated_imbalance_rm"
                result.set(
                    scenario, f"Reciprocity tolerance ({tid})", path, tolerance * 1e6, _show_m_rm
                )
            if not with_rule:
                result.applied.append(
                    "Reciprocity tolerance: no treaty in this scenario has a reciprocity rule"
                )


def _trans_siberian_lever(
    scenario: Scenario, result: LeverResult, starts: LeverStarts, trans_siberian_t_per_month: Any
) -> None:
    """The capacity of the Trans-Siberian route, t/month (refused without the route)."""
    if trans_siberian_t_per_month is not None and not math.isclose(
        trans_siberian_t_per_month, starts.trans_siberian_t_per_month
    ):
        value = float(trans_siberian_t_per_month)
        if scenario.get(TRANS_SIBERIAN) is None:
            result.refused.append(
                f"Trans-Siberian capacity refused: this scenario has no {TRANSIT_ROUTE} route"
            )
        else:
            result.set(scenario, "Trans-Siberian capacity, t/month", TRANS_SIBERIAN, value)


def _synthetic_oil_lever(scenario: Scenario, result: LeverResult, synthetic_oil_scale: Any) -> None:
    """Every entry of the synthetic oil schedule scaled by one factor."""
    if synthetic_oil_scale is not None and not math.isclose(synthetic_oil_scale, 1.0):
        factor = float(synthetic_oil_scale)
        schedule = scenario.get(SYNTHETIC_OIL) or []
        if factor < 0 or not math.isfinite(factor):
            result.refused.append(
                f"Synthetic oil capacity x{factor} refused: the multiplier must be 0 or more"
            )
        elif not schedule:
            result.refused.append(
                "Synthetic oil capacity refused: this scenario has no germany.synthetic.oil.schedule"
            )
        else:
            for i, entry in enumerate(schedule):
                result.overrides[f"{SYNTHETIC_OIL}[{i}].t_per_month"] = scale_quantity(
                    entry["t_per_month"], factor
                )
            result.applied.append(f"Synthetic oil capacity: x{factor:.2f} of the file's schedule")


def validated_levers(scenario: Scenario, result: LeverResult) -> tuple[Scenario, LeverResult]:
    """The scenario with all the overrides if it stays valid; else unchanged, and why."""
    if not result.overrides:
        return scenario, result
    changed = scenario.with_overrides(result.overrides)
    from model.files.schema import validate

    try:
        validate(changed.data, scenario.path)
    except ScenarioError as err:
        message = f"{err.key_path}: {err.expected}" if err.key_path else err.expected
        refused = LeverResult(
            refused=[
                *result.refused,
                f"Levers refused together, the scenario would be invalid: {message}",
            ]
        )
        return scenario, refused
    return changed, result


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


@functools.lru_cache(maxsize=8)
def _reference(path: str, mtime_ns: int, runs: int, seed: int) -> Reference:
    scenario = _load_cached(path, mtime_ns)
    done = PactModel(**model_arguments(scenario, runs, seed)).run()
    keep = ("stock", "demand", "shortage", "clearing_balance_rm", "arrears_rm", "suspended")
    return Reference(
        done.window.labels,
        done.goods.ids,
        {k: done.trajectory[k] for k in keep},
        str(scenario.get(INVASION, "none")),
    )


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
        invasion: str = AS_IN_SCENARIO,
        delivery_share: float | None = None,
        tolerance_m_rm: str = "",
        blockade_effectiveness: float | None = None,
        trans_siberian_t_per_month: float | None = None,
        synthetic_oil_scale: float = 1.0,
        runs: int = DEFAULT_RUNS,
        seed: int = 0,
        scenario_folder: str | None = None,
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
        starts = LeverStarts.from_scenario(load_scenario(folder, BASELINE_FILE))
        chosen, levers = apply_levers(
            base,
            starts,
            invasion=invasion,
            delivery_share=delivery_share,
            tolerance_m_rm=tolerance_m_rm,
            blockade_effectiveness=blockade_effectiveness,
            trans_siberian_t_per_month=trans_siberian_t_per_month,
            synthetic_oil_scale=synthetic_oil_scale,
        )
        runs = int(runs)
        if runs < 1:
            refused.append(f"Runs {runs} refused: at least one run is needed; using 1")
            runs = 1
        super().__init__(**model_arguments(chosen, runs, int(seed)))
        self.scenario_file = str(scenario_file)
        self.applied = levers.applied
        self.refused = refused + levers.refused
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
