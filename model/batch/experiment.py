"""Experiment files: which scenarios, how many replications, which sampler (DESIGN.md §8).

An experiment is a TOML file under ``experiments/``::

    name = "counterfactuals"          # the result folder is results/<name>-<time>
    description = "..."
    scenarios = ["baseline", "no_pact"]   # files in scenarios/ (or paths)
    replications = 1000
    sampler = "mc"                    # mc, lhs, sobol or morris
    seed = 0                          # master seed
    outcomes = ["stockout_*", "war_readiness_*"]   # columns to keep (fnmatch); default all
    figures = ["paired_differences"]  # drawn by model.presentation.report after the batch
    chunk = 2000                      # runs per model instance (default: measured best)

    [trajectories]                    # what trajectories.nc keeps (see model.batch.worker)
    variables = ["stock", "shortage", "demand", "consumption", "production", "war_readiness"]
    compression = 1                   # zlib level 1-9 (~3.4x smaller at 1); default 0 stores raw float32

    [sobol]                           # sampler options
    second_order = true
    [morris]
    levels = 4

    [sensitivity]                     # options of `pactsim sensitivity` (model.analysis.sensitivity); a batch ignores them

**Common random numbers.** Replication *i* of every scenario gets the same parameter
sample and the same shocks, so counterfactual differences are paired:

- ``mc``: uniforms from :func:`model.randomness.parameter_uniforms`, keyed by (master seed,
  key path, replication) -- the same numbers ``pactsim run --runs N --seed S`` uses, and
  independent of which other uncertainties a scenario has;
- ``lhs``, ``sobol``, ``morris``: one design in the unit hypercube over the *union* of the
  uncertain key paths of all the experiment's scenarios (sorted), row *i* = replication
  *i*; a scenario that lacks a path (or fixes it to a number) ignores that column.

Uniforms become values through :func:`model.distributions.ppf` inside the model. The number
of runs per scenario is ``replications`` for ``mc`` and ``lhs``; for ``sobol`` it is
``replications * (2D + 2)`` (Saltelli's scheme, ``replications`` = SALib's base sample N,
a power of two; ``D + 2`` without second order); for ``morris`` ``replications * (D + 1)``
(``replications`` trajectories). Morris grid levels {0, 1/(p-1), ..., 1} are read as the
quantiles at the centres of p equal-probability cells, (2k + 1) / 2p, so unbounded
distributions never take their 1e-12 tails; the design stored for SALib's analysis is the
untransformed grid (bounds [0, 1]).

Every problem with a file raises :class:`~model.scenario.ScenarioError` naming the file,
the key path and what was expected.
"""

from __future__ import annotations

import re
import tomllib
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.files.scenario import Scenario, ScenarioError, load, read_toml
from model.world.randomness import master_key, parameter_uniforms

SAMPLERS = ("mc", "lhs", "sobol", "morris")
KEYS = (
    "name", "description", "scenarios", "replications", "sampler", "seed", "outcomes",
    "figures", "chunk", "trajectories", "sobol", "morris", "sensitivity",
)  # fmt: skip
SAMPLER_OPTIONS: dict[str, dict[str, type]] = {
    "sobol": {"second_order": bool},
    "morris": {"levels": int, "optimal_trajectories": int},
}
# Trajectories kept by default: Germany's stock, shortage, demand, consumption and
# production of every good, and every run-level series (see model.batch.worker).
DEFAULT_TRAJECTORY_GOODS = ("stock", "shortage", "demand", "consumption", "production")
# Raw float32 by default: deflating costs a worker ~5 us per run-month, almost as much as the
# model (bench, 2,000-run chunks: 8.6 raw against 14.4 deflated). Experiments whose folders are
# kept and shared (counterfactuals) ask for level 1, ~3.4x smaller.
DEFAULT_COMPRESSION = 0
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Limits on what sizes a batch's memory and time, checked before anything runs: the seed
# becomes a uint64 SeedSequence word (and an HDF5 attribute); a design of more runs than
# this would not fit a workstation's memory in its design table alone (8 bytes x runs x D)
SEED_MAX = 2**64 - 1
MAX_REPLICATIONS = 10_000_000
MAX_RUNS_PER_SCENARIO = 10_000_000
MAX_RUNS = 100_000_000
MAX_MORRIS_LEVELS = 1000
MAX_CHUNK = 100_000


@dataclass(frozen=True)
class TrajectorySpec:
    """Which trajectory variables a batch keeps (None: the default set) and how packed."""

    variables: tuple[str, ...] | None = None
    compression: int = DEFAULT_COMPRESSION


@dataclass(frozen=True)
class Experiment:
    """A parsed, validated experiment file (scenario files are only named here)."""

    name: str
    path: Path
    scenario_entries: tuple[str, ...]
    replications: int
    sampler: str = "mc"
    seed: int = 0
    description: str = ""
    outcomes: tuple[str, ...] | None = None  # fnmatch patterns; None keeps every column
    figures: tuple[str, ...] | None = None  # None: every figure model.presentation.report draws
    chunk: int | None = None
    trajectories: TrajectorySpec = field(default_factory=TrajectorySpec)
    options: Mapping[str, Any] = field(default_factory=dict)  # the sampler's own table
    text: str = ""  # the file as written, kept with the results

    def scenario_paths(self) -> list[Path]:
        return [
            find_scenario(entry, self.path, f"scenarios[{i}]")
            for i, entry in enumerate(self.scenario_entries)
        ]

    def load_scenarios(self) -> list[Scenario]:
        """Load and validate every scenario; names must be distinct."""
        scenarios = [load(p) for p in self.scenario_paths()]
        seen: dict[str, int] = {}
        for i, s in enumerate(scenarios):
            if s.name in seen:
                raise ScenarioError(
                    self.path,
                    f"scenarios[{i}]",
                    f"scenario name {s.name!r} already used by scenarios[{seen[s.name]}]",
                )
            seen[s.name] = i
        return scenarios


# ---------------------------------------------------------------------------------------
# loading and validation
# ---------------------------------------------------------------------------------------
def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (the scenarios it names must exist)."""
    path = Path(path)
    if path.suffix != ".toml" and not path.exists():
        path = path.with_suffix(".toml")
    data = read_toml(path)
    experiment = parse_experiment(data, path, path.read_text(encoding="utf-8"))
    experiment.scenario_paths()  # every entry names a file
    return experiment


def parse_experiment(data: Mapping[str, Any], path: Path, text: str = "") -> Experiment:
    """Validate an experiment's data (without touching its scenario files)."""
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ScenarioError(path, unknown[0], f"unknown key; expected one of {', '.join(KEYS)}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ScenarioError(
            path, "name", f"expected a name of letters, digits, '_', '-' or '.', got {name!r}"
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(path, "description", f"expected text, got {description!r}")
    entries = _text_list(data, "scenarios", path, required=True)
    if not entries:
        raise ScenarioError(path, "scenarios", "expected at least one scenario")
    for i, entry in enumerate(entries):
        if entry in entries[:i]:
            raise ScenarioError(path, f"scenarios[{i}]", f"{entry!r} is listed twice")
    sampler = data.get("sampler", "mc")
    if sampler not in SAMPLERS:
        raise ScenarioError(
            path, "sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}"
        )
    replications = _integer(
        data, "replications", path, minimum=1, required=True, maximum=MAX_REPLICATIONS
    )
    if sampler == "sobol" and replications & (replications - 1):
        raise ScenarioError(
            path,
            "replications",
            f"the sobol sampler needs a power of two (Saltelli's base sample N), got {replications}",
        )
    seed = _integer(data, "seed", path, minimum=0, default=0, maximum=SEED_MAX)
    chunk = _integer(data, "chunk", path, minimum=1, default=None, maximum=MAX_CHUNK)
    outcomes, figures = _outcomes_and_figures(data, path)
    options = _sampler_options(data, sampler, path)
    if not isinstance(data.get("sensitivity", {}), Mapping):  # read by `pactsim sensitivity` only
        raise ScenarioError(
            path, "sensitivity", "expected a table of options for `pactsim sensitivity`"
        )
    trajectories = _trajectory_spec(data.get("trajectories", {}), path)
    return Experiment(
        name=name,
        path=path.resolve(),
        scenario_entries=tuple(entries),
        replications=replications,
        sampler=sampler,
        seed=seed,
        description=description,
        outcomes=None if outcomes is None else tuple(outcomes),
        figures=None if figures is None else tuple(figures),
        chunk=chunk,
        trajectories=trajectories,
        options=options,
        text=text,
    )


def _outcomes_and_figures(
    data: Mapping[str, Any], path: Path
) -> tuple[list[str] | None, list[str] | None]:
    """The outcome patterns (None: all; never an empty list) and figure names (None: all)."""
    outcomes = _text_list(data, "outcomes", path) if "outcomes" in data else None
    if outcomes is not None and not outcomes:
        raise ScenarioError(
            path,
            "outcomes",
            "expected at least one pattern (leave outcomes out to keep every column)",
        )
    figures = _text_list(data, "figures", path) if "figures" in data else None
    return outcomes, figures


def find_scenario(entry: str, experiment_path: Path, key_path: str) -> Path:
    """A scenario named in an experiment: a name in scenarios/ or a path."""
    here = experiment_path.resolve().parent
    name = entry if entry.endswith(".toml") else f"{entry}.toml"
    candidates = [
        here / name,
        here.parent / "scenarios" / name,
        Path.cwd() / name,
        Path.cwd() / "scenarios" / name,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    folder = here.parent / "scenarios"
    if not folder.is_dir():
        folder = Path.cwd() / "scenarios"
    available = sorted(p.stem for p in folder.glob("*.toml"))
    raise ScenarioError(
        experiment_path,
        key_path,
        f"no scenario {entry!r} (looked in {here} and {folder}); available: {', '.join(available) or 'none'}",
    )


def _integer(
    data: Mapping[str, Any],
    key: str,
    path: Path,
    minimum: int,
    required: bool = False,
    default: Any = None,
    maximum: int | None = None,
) -> Any:
    if key not in data:
        if required:
            raise ScenarioError(path, key, "missing; expected a whole number")
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(path, key, f"expected a whole number, got {value!r}")
    if value < minimum:
        raise ScenarioError(path, key, f"expected a whole number >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ScenarioError(
            path, key, f"expected a whole number from {minimum} to {maximum:,}, got {value:,}"
        )
    return value


def _text_list(data: Mapping[str, Any], key: str, path: Path, required: bool = False) -> list[str]:
    if key not in data:
        if required:
            raise ScenarioError(path, key, "missing; expected a list of names")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise ScenarioError(path, key, f"expected a list of names, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ScenarioError(path, f"{key}[{i}]", f"expected a non-empty name, got {item!r}")
    return list(value)


def _sampler_options(data: Mapping[str, Any], sampler: str, path: Path) -> dict[str, Any]:
    for table, keys in SAMPLER_OPTIONS.items():
        if table not in data:
            continue
        options = data[table]
        if not isinstance(options, Mapping):
            raise ScenarioError(
                path, table, f"expected a table of {table} options, got {options!r}"
            )
        if table != sampler:
            raise ScenarioError(
                path, table, f"options for the {table} sampler, but sampler = {sampler!r}"
            )
        for key, value in options.items():
            if key not in keys:
                raise ScenarioError(
                    path, f"{table}.{key}", f"unknown option; expected one of {', '.join(keys)}"
                )
            kind = keys[key]
            if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
                raise ScenarioError(
                    path,
                    f"{table}.{key}",
                    f"expected {'true or false' if kind is bool else 'a whole number'}, got {value!r}",
                )
    options = dict(data.get(sampler, {}))
    if sampler == "sobol":
        options.setdefault("second_order", True)
    if sampler == "morris":
        options.setdefault("levels", 4)
        if not 2 <= options["levels"] <= MAX_MORRIS_LEVELS:
            raise ScenarioError(
                path,
                "morris.levels",
                f"expected 2 to {MAX_MORRIS_LEVELS} levels, got {options['levels']:,}",
            )
        if (
            "optimal_trajectories" in options
            and not 2 <= options["optimal_trajectories"] < data["replications"]
        ):
            raise ScenarioError(
                path,
                "morris.optimal_trajectories",
                "expected a number from 2 to replications - 1 (the trajectories drawn)",
            )
    return options


def _trajectory_spec(value: Any, path: Path) -> TrajectorySpec:
    from model.engine.simulation import GOODS_VARIABLES, RUN_VARIABLES

    if value is False:
        return TrajectorySpec(variables=(), compression=DEFAULT_COMPRESSION)
    if not isinstance(value, Mapping):
        raise ScenarioError(
            path,
            "trajectories",
            f"expected a table (variables, compression) or false, got {value!r}",
        )
    for key in value:
        if key not in ("variables", "compression"):
            raise ScenarioError(
                path, f"trajectories.{key}", "unknown key; expected variables or compression"
            )
    variables = None
    if "variables" in value:
        variables = _text_list(value, "variables", path)
        known = (*GOODS_VARIABLES, *RUN_VARIABLES, "imports", "soviet_machinery_rm")
        for i, name in enumerate(variables):
            if name not in known:
                raise ScenarioError(
                    path,
                    f"trajectories.variables[{i}]",
                    f"unknown variable {name!r}; expected one of {', '.join(known)}",
                )
        variables = tuple(dict.fromkeys(variables))  # type: ignore[assignment]
    compression = value.get("compression", DEFAULT_COMPRESSION)
    if (
        isinstance(compression, bool)
        or not isinstance(compression, int)
        or not 0 <= compression <= 9
    ):
        raise ScenarioError(
            path,
            "trajectories.compression",
            f"expected a zlib level from 0 (none) to 9, got {compression!r}",
        )
    return TrajectorySpec(variables=variables, compression=compression)  # type: ignore[arg-type]


def parse_frozen(text: str, path: Path) -> Experiment:
    """An experiment from the copy kept in a result folder (for ``--resume``)."""
    return parse_experiment(tomllib.loads(text), path, text)


# ---------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------
def uncertain_paths(scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    """The union of the scenarios' uncertain key paths, sorted (the design's columns)."""
    return tuple(sorted({p for s in scenarios for p, _ in s.uncertain()}))


def check_design_size(experiment: Experiment, n_paths: int, n_scenarios: int) -> int:
    """The runs per scenario the experiment asks for, refused beyond the stated limits
    (:data:`MAX_RUNS_PER_SCENARIO`, :data:`MAX_RUNS`) before anything is drawn or written."""
    runs = runs_per_scenario(
        experiment.sampler, experiment.replications, n_paths, experiment.options
    )
    if runs > MAX_RUNS_PER_SCENARIO or runs * n_scenarios > MAX_RUNS:
        raise ScenarioError(
            experiment.path,
            "replications",
            f"{experiment.replications:,} replications make {runs:,} runs per scenario and "
            f"{runs * n_scenarios:,} in all; the limits are {MAX_RUNS_PER_SCENARIO:,} per "
            f"scenario and {MAX_RUNS:,} in all (split the experiment)",
        )
    return runs


def runs_per_scenario(
    sampler: str, replications: int, n_paths: int, options: Mapping[str, Any]
) -> int:
    if sampler == "sobol":
        return replications * (
            2 * n_paths + 2 if options.get("second_order", True) else n_paths + 2
        )
    if sampler == "morris":
        return options.get("optimal_trajectories", replications) * (n_paths + 1)
    return replications


@dataclass(frozen=True)
class Design:
    """Where in the unit hypercube each replication sits, shared by every scenario.

    ``points`` is (runs, D) for lhs, sobol and morris (the design SALib's analysis
    expects, columns ``paths``); None for mc, whose uniforms are drawn per chunk from
    counter-based streams keyed by (seed, path, replication).
    """

    sampler: str
    seed: int
    paths: tuple[str, ...]
    n_runs: int
    points: np.ndarray | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def uniforms(self, paths: Sequence[str], start: int, stop: int) -> dict[str, np.ndarray]:
        """Uniforms in (0, 1) for replications start..stop-1 of the given paths."""
        reps = np.arange(start, stop)
        if self.points is None:
            return parameter_uniforms(master_key(self.seed), paths, reps)
        block = self.points[start:stop]
        if self.sampler == "morris":
            levels = self.options["levels"]
            block = (np.rint(block * (levels - 1)) + 0.5) / levels
        column = {p: i for i, p in enumerate(self.paths)}
        return {p: np.ascontiguousarray(block[:, column[p]]) for p in paths}

    def problem(self) -> dict[str, Any]:
        """The SALib problem the design was drawn for (unit bounds on every path)."""
        return {
            "num_vars": len(self.paths),
            "names": list(self.paths),
            "bounds": [[0.0, 1.0]] * len(self.paths),
        }

    def describe(self) -> dict[str, Any]:
        out = {
            "sampler": self.sampler,
            "seed": self.seed,
            "paths": list(self.paths),
            "runs_per_scenario": self.n_runs,
            "options": dict(self.options),
        }
        if self.points is not None:
            out["design_file"] = "design.parquet"
        if self.sampler in ("sobol", "morris"):
            out["problem"] = self.problem()  # for SALib's analyze, with Y in replication order
        return out


def sampler_rng(seed: int, sampler: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(sampler.encode())]))


def build_design(
    sampler: str, replications: int, seed: int, paths: Sequence[str], options: Mapping[str, Any]
) -> Design:
    """Draw the experiment's design (nothing is drawn for mc: its streams are keyed)."""
    paths = tuple(paths)
    n_runs = runs_per_scenario(sampler, replications, len(paths), options)
    if sampler == "mc" or not paths:
        return Design(sampler, seed, paths, n_runs if paths else replications, None, options)
    rng = sampler_rng(seed, sampler)
    problem = {"num_vars": len(paths), "names": list(paths), "bounds": [[0.0, 1.0]] * len(paths)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
        if sampler == "lhs":
            from scipy.stats import qmc

            points = qmc.LatinHypercube(d=len(paths), rng=rng).random(replications)
        elif sampler == "sobol":
            from SALib.sample import sobol

            points = sobol.sample(
                problem, replications, calc_second_order=options["second_order"], seed=rng
            )
        else:
            from SALib.sample import morris

            points = morris.sample(
                problem,
                replications,
                num_levels=options["levels"],
                optimal_trajectories=options.get("optimal_trajectories"),
                seed=rng,
            )
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (n_runs, len(paths)):
        raise RuntimeError(
            f"{sampler} design has shape {points.shape}, expected {(n_runs, len(paths))}"
        )
    return Design(sampler, seed, paths, n_runs, points, options)
