"""Global sensitivity analysis, and ``pactsim sensitivity``.

Which uncertain numbers of a scenario decide an outcome? A Sobol analysis (Saltelli's
sampling scheme: N (2D + 2) runs with second-order terms, N (D + 2) without) splits the
variance of an outcome into the share each uncertain parameter explains on its own
(first-order index S1) and together with the others (total index ST); a Morris screening
(N (D + 1) runs) ranks the parameters by the mean absolute elementary effect mu*.

**The file.** An experiment file of :mod:`model.batch.experiment` with ``sampler = "sobol"`` or
``"morris"``: ``replications`` is SALib's base sample N (a power of two for Sobol) or the
number of Morris trajectories; ``outcomes`` names the outcome columns analysed (fnmatch
patterns allowed, as in a batch; see :mod:`model.engine.outcomes`); every scenario listed is
analysed on the same design. An optional ``[sensitivity]`` table (a batch ignores it) sets

- ``parameters``: the key paths analysed (default: every distribution in the scenarios; the
  others stay at their central values);
- ``confidence`` (default 0.95) and ``resamples`` (default 1,000) of the bootstrap intervals;
- ``shocks``: ``"fixed"`` (default: every run sees the same harvest and blockade shocks, those
  of replication 0, so the indices measure the parameters alone) or ``"vary"`` (run *i* gets
  the shocks of replication *i*, as in a batch; the noise then lowers the sum of S1).

**The runs.** The design is :func:`model.batch.experiment.build_design` over the parameters: a point
of the unit hypercube per run, turned into parameter values by
:func:`model.world.distributions.ppf` inside the model (``simulate(..., uniforms=...)``). Runs go in
chunks, each chunk one vectorised model, over a process pool; only the analysed outcomes come
back, so memory does not grow with the number of runs.

**Outcomes as numbers.** A month outcome (``stockout_<good>``, ``first_suspension``) becomes
the months from the window's start to that month, censored at the window's length: a run in
which it does not happen counts as the month after the window ends. Every other outcome is
its column.

Written with :class:`model.store.results.ResultFolder`: ``manifest.json``, ``design.parquet`` (the
unit-hypercube points), ``outcomes.parquet`` (one row per scenario and run: the parameter
values used and the outcomes), ``indices.csv`` and ``figures/sensitivity_<scenario>.png``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd

from model.batch.experiment import DEFAULT_CHUNK  # one default for batches and designs
from model.engine.outcomes import PARAM_PREFIX, column_name, param_column
from model.errors import ScenarioError
from model.world.nodes import Choice, Context, ListOf, Number, Ref, Rule, Table

if TYPE_CHECKING:
    from model.batch.experiment import Design, Experiment
    from model.engine.runner import RunResult
    from model.files.scenario import Scenario


def _below_one(key: str) -> Rule:
    def rule(table: Mapping[str, Any], where: str, ctx: Context) -> None:
        if table.get(key, 0) == 1:
            ctx.fail(f"{where}.{key}", "expected a share between 0 and 1 (both excluded), got 1")

    return rule


# The [sensitivity] table, declared with the schema's node types: errors name the file,
# the key path, what was expected and the valid names (the uncertain key paths).
SENSITIVITY_TABLE = Table(
    {
        "parameters": ListOf(
            Ref("uncertain", "uncertain key path", "uncertain key paths (distributions)"),
            min_len=1,
            distinct=True,
        ),
        "confidence": Number(low=0, high=1, positive=True),
        "resamples": Number(low=10, integer=True),
        "shocks": Choice(("fixed", "vary"), "shock mode"),
    },
    rules=(_below_one("confidence"),),
)
MONTH_OUTCOMES = ("stockout_", "first_suspension")
SHOWN_OUTCOMES = 6  # outcomes drawn and printed; indices.csv has them all


@dataclass(frozen=True)
class SensitivitySpec:
    """A sensitivity experiment: the batch experiment plus its ``[sensitivity]`` table."""

    experiment: Experiment
    scenarios: tuple[Scenario, ...]
    parameters: tuple[str, ...]
    patterns: tuple[str, ...]
    confidence: float = 0.95
    resamples: int = 1000
    shocks: str = "fixed"
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.experiment.sampler

    @property
    def second_order(self) -> bool:
        return bool(self.options.get("second_order", True))


# ---------------------------------------------------------------------------------------
# the experiment file
# ---------------------------------------------------------------------------------------
def load_spec(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity experiment (errors name the file and key path)."""
    from model.batch.experiment import load_experiment

    path = Path(path)
    experiment = load_experiment(path)
    path = experiment.path

    def fail(key: str, expected: str) -> ScenarioError:
        return ScenarioError(path, key, expected)

    if experiment.sampler not in ("sobol", "morris"):
        raise fail(
            "sampler",
            f"expected 'sobol' or 'morris' for a sensitivity analysis, got {experiment.sampler!r}",
        )
    extra = _sensitivity_table(path)
    scenarios = tuple(experiment.load_scenarios())
    uncertain = tuple(sorted({p for s in scenarios for p, _ in s.uncertain()}))
    SENSITIVITY_TABLE.check(extra, "sensitivity", Context(path, names={"uncertain": uncertain}))
    parameters = extra.get("parameters", list(uncertain))
    if not parameters:
        raise fail("sensitivity.parameters", "expected a non-empty list of key paths")
    if not experiment.outcomes:
        raise fail(
            "outcomes", 'expected the outcomes to analyse, e.g. ["stockout_oil", "shortage_oil"]'
        )
    confidence = extra.get("confidence", 0.95)
    resamples = extra.get("resamples", 1000)
    shocks = extra.get("shocks", "fixed")
    return SensitivitySpec(
        experiment,
        scenarios,
        tuple(parameters),
        tuple(experiment.outcomes),
        float(confidence),
        resamples,
        shocks,
        dict(experiment.options),
    )


def _sensitivity_table(path: Path) -> Any:
    from model.files.scenario import read_toml

    return read_toml(path).get("sensitivity", {})  # checked by SENSITIVITY_TABLE


def resolve_outcomes(spec: SensitivitySpec) -> list[str]:
    """The outcome columns the patterns match in every scenario (one central run each)."""
    from model.engine.outcomes import outcomes_table
    from model.engine.runner import simulate

    common: list[str] | None = None
    for scenario in spec.scenarios:
        table = outcomes_table(simulate(scenario, n_runs=1, sample=False))
        cols = [c for c in table.columns if _analysable(c, table[c])]
        common = cols if common is None else [c for c in common if c in cols]
    out: list[str] = []
    for i, pattern in enumerate(spec.patterns):
        hits = [c for c in common or [] if fnmatchcase(c, column_name(pattern))]
        if not hits:
            near = [c for c in common or [] if c.split("_")[0] == pattern.split("_")[0]][:12]
            raise ScenarioError(
                spec.experiment.path,
                f"outcomes[{i}]",
                f"no outcome matches {pattern!r}; outcomes like it: {', '.join(near) or ', '.join((common or [])[:12])}",
            )
        out += [c for c in hits if c not in out]
    return out


def _analysable(column: str, values: pd.Series) -> bool:
    if column in ("replication", "scenario") or column.startswith(PARAM_PREFIX):
        return False
    return column.startswith(MONTH_OUTCOMES) or pd.api.types.is_numeric_dtype(values)


# ---------------------------------------------------------------------------------------
# outcomes as numbers
# ---------------------------------------------------------------------------------------
def outcome_numbers(result: RunResult, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The analysed outcomes of a chunk as float arrays (months as censored positions)."""
    from model.analysis.compare import stockout_position
    from model.engine.outcomes import outcomes_table

    table = outcomes_table(result)
    out = {}
    for name in names:
        if name.startswith(MONTH_OUTCOMES):
            out[name] = stockout_position(table[name], result.months)
        else:
            out[name] = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
    for path, values in result.parameters.items():
        out[param_column(path)] = np.asarray(values, dtype=float)
    return out


# ---------------------------------------------------------------------------------------
# running the design
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DesignChunk:
    """One chunk of a design in one scenario: picklable and self-contained (no worker state)."""

    k: int  # the scenario's index in the spec
    start: int  # the first design row
    scenario: Scenario
    seed: int
    outcomes: tuple[str, ...]
    uniforms: dict[str, np.ndarray]
    replications: np.ndarray


def run_design_chunk(task: DesignChunk) -> tuple[int, int, dict[str, np.ndarray]]:
    """Run one chunk of the design; its analysed outcomes as numbers."""
    from model.engine.runner import simulate
    from model.engine.simulation import released_models

    with released_models():  # Mesa 3.3.1 would keep every chunk's model alive
        result = simulate(
            task.scenario,
            n_runs=len(task.replications),
            seed=task.seed,
            replications=task.replications,
            uniforms=task.uniforms,
            chunk=len(task.replications),
        )
        numbers = outcome_numbers(result, task.outcomes)
    return task.k, task.start, numbers


def _chunk_failed(task: DesignChunk, record: dict[str, Any]) -> NoReturn:
    raise RuntimeError(
        f"sensitivity chunk (scenario {task.scenario.name}, runs from {task.start}) failed: "
        f"{record['error']}: {record['message']}"
    )


def run_design(
    spec: SensitivitySpec,
    design: Design,
    outcomes: Sequence[str],
    chunk: int = DEFAULT_CHUNK,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Every run of the design in every scenario; rows in (scenario, design) order.

    The chunks run on the batch executors (:mod:`model.batch.executors`): in this process
    (``workers = 1``), on a local process pool, or on a Dask cluster (``scheduler``); the
    rows are the same whichever.
    """
    from model.batch.executors import make_executor

    n, seed = design.n_runs, spec.experiment.seed
    tasks = []
    for k, scenario in enumerate(spec.scenarios):
        own = {p for p, _ in scenario.uncertain()}
        paths = [p for p in spec.parameters if p in own]  # a scenario without a path ignores it
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            reps = (
                np.zeros(stop - start, dtype=np.int64)
                if spec.shocks == "fixed"
                else np.arange(start, stop)
            )
            uniforms = design.uniforms(paths, start, stop)
            tasks.append(DesignChunk(k, start, scenario, seed, tuple(outcomes), uniforms, reps))
    parts: dict[tuple[int, int], dict[str, np.ndarray]] = {}

    def keep(k: int, start: int, numbers: dict[str, np.ndarray]) -> None:
        parts[k, start] = numbers
        if progress:
            progress(len(next(iter(numbers.values()))))

    with make_executor(max(1, min(workers, len(tasks))), scheduler) as executor:
        for out in executor.map(run_design_chunk, tasks, _chunk_failed):
            keep(*out)
    frames = []
    for k, scenario in enumerate(spec.scenarios):
        keys = sorted(s for kk, s in parts if kk == k)
        columns = list(parts[k, keys[0]])
        frame = pd.DataFrame(
            {
                c: np.concatenate([parts[k, s].get(c, np.full(0, np.nan)) for s in keys])
                for c in columns
            }
        )
        frame.insert(0, "run", np.arange(n))
        frame.insert(0, "scenario", scenario.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------
# the analysis
# ---------------------------------------------------------------------------------------
def problem_for(names: Sequence[str]) -> dict[str, Any]:
    """A SALib problem over the unit hypercube (values come from the quantiles)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def analyse(
    method: str,
    problem: Mapping[str, Any],
    X: np.ndarray | None,
    Y: np.ndarray,
    second_order: bool = True,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    levels: int = 4,
) -> pd.DataFrame:
    """Sensitivity indices of one outcome ``Y`` (in design order), one row per parameter.

    Sobol (SALib ``sobol.analyze``): S1, S1_conf, ST, ST_conf -- the ``conf`` columns are
    half-widths of the ``confidence`` bootstrap interval. Morris (``morris.analyze`` on the
    design ``X``): mu, mu_star, mu_star_conf, sigma. An outcome that does not vary gives
    zeros and a note; an outcome missing in some runs raises ValueError.
    """
    Y = np.asarray(Y, dtype=float)
    names = list(problem["names"])
    if not np.isfinite(Y).all():
        raise ValueError(f"{int((~np.isfinite(Y)).sum())} runs have no value for this outcome")
    salib_seed = int(np.random.default_rng(np.random.SeedSequence([int(seed), 5])).integers(2**31))
    if np.ptp(Y) == 0:
        cols = (
            ("S1", "S1_conf", "ST", "ST_conf")
            if method == "sobol"
            else ("mu", "mu_star", "mu_star_conf", "sigma")
        )
        table = pd.DataFrame({"parameter": names, **dict.fromkeys(cols, 0.0)})
        table["note"] = "the outcome does not vary"
        return table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (RuntimeWarning, FutureWarning, DeprecationWarning))
        if method == "sobol":
            table = _sobol_table(problem, Y, second_order, confidence, resamples, salib_seed)
        elif method == "morris":
            table = _morris_table(problem, X, Y, confidence, resamples, levels, salib_seed)
        else:
            raise ValueError(f"method must be 'sobol' or 'morris', got {method!r}")
    table["note"] = rare_note(Y)
    return table


def _sobol_table(
    problem: Mapping[str, Any],
    Y: np.ndarray,
    second_order: bool,
    confidence: float,
    resamples: int,
    salib_seed: int,
) -> pd.DataFrame:
    """SALib's Sobol indices of ``Y``: S1, S1_conf, ST, ST_conf per parameter."""
    names = list(problem["names"])
    from SALib.analyze import sobol

    res = sobol.analyze(
        dict(problem),
        Y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=confidence,
        print_to_console=False,
        seed=salib_seed,
    )
    return _indices(names, res, ("S1", "S1_conf", "ST", "ST_conf"))


def _morris_table(
    problem: Mapping[str, Any],
    X: np.ndarray | None,
    Y: np.ndarray,
    confidence: float,
    resamples: int,
    levels: int,
    salib_seed: int,
) -> pd.DataFrame:
    """SALib's Morris screening of ``Y`` on the design ``X``: mu, mu_star, its conf, sigma."""
    names = list(problem["names"])
    from SALib.analyze import morris

    res = morris.analyze(
        dict(problem),
        np.asarray(X, dtype=float),
        Y,
        num_resamples=resamples,
        conf_level=confidence,
        num_levels=levels,
        seed=salib_seed,
    )
    return _indices(names, res, ("mu", "mu_star", "mu_star_conf", "sigma"))


def _indices(names: list[str], res: Mapping[str, Any], keys: tuple[str, ...]) -> pd.DataFrame:
    """One row per parameter: its name and SALib's ``keys``."""
    return pd.DataFrame({"parameter": names, **{k: res[k] for k in keys}})


def rare_note(Y: np.ndarray, threshold: float = 0.05) -> str:
    """A warning when almost every run gives the same value: the indices then rest on a few runs."""
    _, counts = np.unique(Y, return_counts=True)
    differ = 1 - float(np.max(counts)) / len(Y)
    if differ >= threshold:
        return ""
    return f"only {differ:.1%} of runs differ from the most common value: the indices rest on those runs and are unstable"


def analyse_all(
    spec: SensitivitySpec, design: Design, runs: pd.DataFrame, outcomes: Sequence[str]
) -> pd.DataFrame:
    """Indices of every outcome in every scenario: one tidy table."""
    parts = []
    for scenario in spec.scenarios:
        rows = runs[runs["scenario"] == scenario.name]
        for name in outcomes:
            try:
                t = analyse(
                    spec.method,
                    problem_for(spec.parameters),
                    design.points,
                    rows[name].to_numpy(),
                    second_order=spec.second_order,
                    confidence=spec.confidence,
                    resamples=spec.resamples,
                    seed=spec.experiment.seed,
                    levels=int(spec.options.get("levels", 4)),
                )
            except ValueError as err:
                t = pd.DataFrame({"parameter": list(spec.parameters), "note": str(err)})
            t.insert(0, "outcome", name)
            t.insert(0, "scenario", scenario.name)
            parts.append(t)
    return pd.concat(parts, ignore_index=True)


def ranking_key(method: str) -> str:
    return "ST" if method == "sobol" else "mu_star"


def shown_outcomes(
    indices: pd.DataFrame, method: str, outcomes: Sequence[str], scenario: str | None = None
) -> list[str]:
    """The first outcomes (in the file's order) that vary in ``scenario`` (or in any): drawn and printed."""
    key = ranking_key(method)
    if key not in indices:
        return []
    part = indices if scenario is None else indices[indices["scenario"] == scenario]
    ok = part[
        part[key].notna() & ~part["note"].fillna("").str.startswith("the outcome does not vary")
    ]
    varying = set(ok["outcome"])
    return [o for o in outcomes if o in varying][:SHOWN_OUTCOMES]


def outcome_label(name: str, months: Sequence[str] | None = None) -> str:
    if name.startswith(MONTH_OUTCOMES):
        what = (
            f"{name.removeprefix('stockout_')} runs out"
            if name.startswith("stockout_")
            else "first suspension"
        )
        end = f"; {_after(months)} if never" if months else ""
        return f"month {what} (months from {months[0] if months else 'the start'}{end})"
    if name.startswith("shortage_"):
        return f"cumulative {name.removeprefix('shortage_')} shortage, t"
    if name.startswith("cover_"):
        good, month = name.removeprefix("cover_").rsplit("_", 1)
        return f"German {good} stock on {month}, months of demand"
    if name.startswith("war_readiness_"):
        return f"war readiness {name.removeprefix('war_readiness_')} (share of military demand met)"
    return name


def _after(months: Sequence[str]) -> str:
    from model.world.calendar import format_month, parse_month

    return format_month(parse_month(months[-1]) + 1)
