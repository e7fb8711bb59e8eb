"""Experiment files: which scenarios, how many replications, which sampler (docs/architecture.md §8).

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

- ``mc``: uniforms from :func:`model.world.randomness.parameter_uniforms`, keyed by (master seed,
  key path, replication) -- the same numbers ``pactsim run --runs N --seed S`` uses, and
  independent of which other uncertainties a scenario has;
- ``lhs``, ``sobol``, ``morris``: one design in the unit hypercube over the *union* of the
  uncertain key paths of all the experiment's scenarios (sorted), row *i* = replication
  *i*; a scenario that lacks a path (or fixes it to a number) ignores that column.

Uniforms become values through :func:`model.world.distributions.ppf` inside the model. The number
of runs per scenario is ``replications`` for ``mc`` and ``lhs``; for ``sobol`` it is
``replications * (2D + 2)`` (Saltelli's scheme, ``replications`` = SALib's base sample N,
a power of two; ``D + 2`` without second order); for ``morris`` ``replications * (D + 1)``
(``replications`` trajectories). Morris grid levels {0, 1/(p-1), ..., 1} are read as the
quantiles at the centres of p equal-probability cells, (2k + 1) / 2p, so unbounded
distributions never take their 1e-12 tails; the design stored for SALib's analysis is the
untransformed grid (bounds [0, 1]).

The file is checked by :data:`EXPERIMENT`, declared with the scenario schema's node types
(:mod:`model.world.nodes`): every problem raises one :class:`~model.errors.ScenarioError`
naming the file, the key path and what was expected (and the valid names, where a name is
wrong), in the same form as a scenario file's.
"""

from __future__ import annotations

import re
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.errors import resolve_path
from model.files.limits import available_memory, read_input, size_text
from model.files.scenario import (
    Scenario,
    ScenarioError,
    find_file,
    load,
    parse_toml,
    shipped,
    toml_data,
)
from model.world.nodes import (
    Anything,
    Choice,
    Context,
    FalseOr,
    Flag,
    Integer,
    ListOf,
    MapOf,
    Matches,
    Node,
    Ref,
    Table,
    Text,
    _join,
    _show,
)
from model.world.randomness import DEFAULT_SEED, master_key, parameter_uniforms, permuted

if TYPE_CHECKING:
    import pandas as pd

SAMPLERS = ("mc", "lhs", "sobol", "morris")
DEFAULT_CHUNK = 2000  # runs per model instance; `pactsim bench` measures the best size
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


# ---------------------------------------------------------------------------------------
# the schema of an experiment file, with the scenario schema's node types
# ---------------------------------------------------------------------------------------
def _sampler_tables(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    """A [sobol] or [morris] table only with its sampler (checked before its options)."""
    sampler = table.get("sampler", "mc")
    for name in SAMPLER_OPTIONS:
        if name in table and name != sampler:
            ctx.fail(
                _join(where, name),
                f"expected [{name}] options only with sampler = {_show(name)}, "
                f"got sampler = {_show(sampler)}",
            )


def _power_of_two(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    n = table["replications"]
    if table.get("sampler", "mc") == "sobol" and n & (n - 1):
        ctx.fail(
            _join(where, "replications"),
            f"expected a power of two for the sobol sampler (Saltelli's base sample N), got {n:,}",
        )


def _fewer_trajectories(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    """Morris's optimal trajectories are drawn among the ``replications`` trajectories."""
    n = table.get("morris", {}).get("optimal_trajectories")
    if n is not None and not n < table["replications"]:
        ctx.fail(
            _join(_join(where, "morris"), "optimal_trajectories"),
            f"expected a whole number from 2 to replications - 1 = {table['replications'] - 1:,} "
            f"(the trajectories drawn), got {n:,}",
        )


def _unknown_option(sampler: str) -> Callable[[str, Mapping[str, Node]], str]:
    def message(key: str, fields: Mapping[str, Node]) -> str:
        return f"unknown option {key!r}; {sampler} options are: {', '.join(fields)}"

    return message


NAME = Matches(
    NAME_PATTERN.pattern,
    "a name of letters, digits, '_', '-' or '.' (a letter or digit first, 64 at most)",
)
SAMPLER_OPTIONS: dict[str, Table] = {
    "sobol": Table({"second_order": Flag()}, unknown=_unknown_option("sobol")),
    "morris": Table(
        {"levels": Integer(2, MAX_MORRIS_LEVELS), "optimal_trajectories": Integer(low=2)},
        unknown=_unknown_option("morris"),
    ),
}
TRAJECTORIES = FalseOr(
    Table(
        {
            "variables": ListOf(Ref("trajectory variables", "variable")),
            "compression": Integer(0, 9, what="a zlib level from 0 (none) to 9"),
        }
    )
)
EXPERIMENT = Table(
    {
        "name": NAME,
        "description": Text(),
        "scenarios": ListOf(
            Text(non_empty=True, what="the name or path of a scenario file"),
            min_len=1,
            distinct=True,
        ),
        "replications": Integer(1, MAX_REPLICATIONS),
        "sampler": Choice(SAMPLERS, "sampler"),
        "seed": Integer(0, SEED_MAX),
        "outcomes": ListOf(
            Text(non_empty=True, what="an outcome column or pattern"),
            min_len=1,
            hint="leave outcomes out to keep every column",
        ),
        "figures": ListOf(Text(non_empty=True, what="the name of a figure")),
        "chunk": Integer(1, MAX_CHUNK),
        "trajectories": TRAJECTORIES,
        **SAMPLER_OPTIONS,
        # read by `pactsim sensitivity` (model.analysis.sensitivity.SENSITIVITY_TABLE) only
        "sensitivity": MapOf(
            Text(), Anything(), what="a table of options for `pactsim sensitivity`"
        ),
    },
    required=("scenarios", "replications"),
    before=(_sampler_tables,),
    rules=(_power_of_two, _fewer_trajectories),
)
KEYS = tuple(EXPERIMENT.fields)


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
    seed: int = DEFAULT_SEED
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
    path = find_file(path, "experiments")
    raw = read_input(path)
    experiment = parse_experiment(toml_data(path, raw), path, raw.decode("utf-8"))
    experiment.scenario_paths()  # every entry names a file
    return experiment


def parse_experiment(data: Mapping[str, Any], path: Path, text: str = "") -> Experiment:
    """Validate an experiment's data (without touching its scenario files)."""
    variables: tuple[str, ...] = ()
    trajectories = data.get("trajectories")
    if isinstance(trajectories, Mapping) and "variables" in trajectories:
        from model.engine.variables import ALL_VARIABLES as variables
    ctx = Context(path, names={"trajectory variables": variables})
    EXPERIMENT.check(data, "", ctx)
    name = data.get("name", path.stem)
    NAME.check(name, "name", ctx)  # the file's stem when the name is left out
    sampler = data.get("sampler", "mc")
    options = dict(data.get(sampler, {}))
    if sampler == "sobol":
        options.setdefault("second_order", True)
    if sampler == "morris":
        options.setdefault("levels", 4)
    outcomes, figures = data.get("outcomes"), data.get("figures")
    return Experiment(
        name=name,
        path=resolve_path(path),
        scenario_entries=tuple(data["scenarios"]),
        replications=data["replications"],
        sampler=sampler,
        seed=data.get("seed", DEFAULT_SEED),
        description=data.get("description", ""),
        outcomes=None if outcomes is None else tuple(outcomes),
        figures=None if figures is None else tuple(figures),
        chunk=data.get("chunk"),
        trajectories=_trajectory_spec(data.get("trajectories", {})),
        options=options,
        text=text,
    )


def _trajectory_spec(value: Mapping[str, Any] | bool) -> TrajectorySpec:
    if value is False:
        return TrajectorySpec(variables=(), compression=DEFAULT_COMPRESSION)
    assert isinstance(value, Mapping)  # checked by TRAJECTORIES
    variables = value.get("variables")
    return TrajectorySpec(
        variables=None if variables is None else tuple(dict.fromkeys(variables)),
        compression=value.get("compression", DEFAULT_COMPRESSION),
    )


def find_scenario(entry: str, experiment_path: Path, key_path: str) -> Path:
    """A scenario named in an experiment: a name in scenarios/ or a path."""
    here = resolve_path(experiment_path).parent
    name = entry if entry.endswith(".toml") else f"{entry}.toml"
    candidates = [
        here / name,
        here.parent / "scenarios" / name,
        Path.cwd() / name,
        Path.cwd() / "scenarios" / name,
        shipped("scenarios") / name,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return resolve_path(candidate)
    folder = here.parent / "scenarios"
    if not folder.is_dir():
        folder = Path.cwd() / "scenarios"
    available = sorted(p.stem for p in folder.glob("*.toml"))
    raise ScenarioError(
        experiment_path,
        key_path,
        f"no scenario {entry!r} (looked in {here} and {folder}); available: {', '.join(available) or 'none'}",
    )


def parse_frozen(text: str, path: Path) -> Experiment:
    """An experiment from the copy kept in a result folder (for ``--resume``)."""
    return parse_experiment(parse_toml(text, path), path, text)


# ---------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------
def uncertain_paths(scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    """The union of the scenarios' uncertain key paths, sorted (the design's columns)."""
    return tuple(sorted({p for s in scenarios for p, _ in s.uncertain()}))


def check_design_size(
    experiment: Experiment, n_paths: int, n_scenarios: int, bytes_per_run: int = 0
) -> int:
    """The runs per scenario the experiment asks for, computed from its numbers alone and
    refused -- before anything is drawn or written -- beyond the stated limits
    (:data:`MAX_RUNS_PER_SCENARIO`, :data:`MAX_RUNS`) or beyond the memory the machine has
    for drawing the design (:func:`design_bytes`) and for ``bytes_per_run`` held per run of
    every scenario (what a caller keeps of each run until the end)."""
    runs = runs_per_scenario(
        experiment.sampler, experiment.replications, n_paths, experiment.options
    )
    key = "replications"
    if runs > MAX_RUNS_PER_SCENARIO or runs * n_scenarios > MAX_RUNS:
        raise ScenarioError(
            experiment.path,
            key,
            f"{experiment.replications:,} replications make {runs:,} runs per scenario and "
            f"{runs * n_scenarios:,} in all; the limits are {MAX_RUNS_PER_SCENARIO:,} per "
            f"scenario and {MAX_RUNS:,} in all (split the experiment)",
        )
    drawn = design_bytes(
        experiment.sampler, experiment.replications, runs, n_paths, experiment.options
    )
    need = drawn + bytes_per_run * runs * n_scenarios
    if need > MEMORY_FLOOR_BYTES:
        free = available_memory()
        if need > free:
            what = f"a {experiment.sampler} design of {runs:,} runs x {n_paths} parameters"
            optimal = experiment.options.get("optimal_trajectories")
            if experiment.sampler == "morris" and optimal is not None:
                what = (
                    f"{optimal} optimal trajectories chosen among {experiment.replications:,} "
                    f"(SALib's N x N distance matrix)"
                )
            if not drawn:
                what = f"{runs * n_scenarios:,} runs"
            raise ScenarioError(
                experiment.path,
                key,
                f"{experiment.replications:,} replications make {what}, ~{size_text(need)} "
                f"of memory; the machine has {size_text(free)} available (fewer replications "
                f"or parameters, or split the experiment)",
            )
    return runs


# Below this much, a design or a run table is not worth asking the machine about.
MEMORY_FLOOR_BYTES = 64 * 2**20


def design_bytes(
    sampler: str, replications: int, runs: int, n_paths: int, options: Mapping[str, Any]
) -> int:
    """Memory :func:`build_design` needs to draw a design (mc and lhs: none; they are
    keyed and drawn chunk by chunk). SALib's Saltelli scheme draws a base sample of N x 2D and
    the runs x D matrix (and a scaled copy); its Morris sampler N trajectories of (D + 1) x D
    points, and with ``optimal_trajectories`` an N x N distance matrix of the candidates."""
    if sampler in ("mc", "lhs") or not n_paths:
        return 0
    if sampler == "sobol":
        return 8 * (replications * 2 * n_paths + 2 * runs * n_paths)
    held = 8 * 2 * runs * n_paths
    if options.get("optimal_trajectories") is not None:
        held += 8 * replications**2
    return held


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

    ``points`` is (runs, D) for sobol and morris (the design SALib's analysis expects,
    columns ``paths``); None for mc and lhs, which are keyed and drawn chunk by chunk:
    mc's uniforms from counter-based streams keyed by (seed, path, replication), lhs's
    (``keyed``) point *i* of path *p* as (pi_p(i) + u_p(i)) / n, pi_p a keyed permutation of
    the n strata (:func:`model.world.randomness.permuted`) and u_p the keyed uniform of
    (seed, path, replication) -- one point in each stratum of every column, whatever chunks
    draw it. A batch started before the keyed lhs reads its stored points (``points``).
    """

    sampler: str
    seed: int
    paths: tuple[str, ...]
    n_runs: int
    points: np.ndarray | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    keyed: bool = False  # lhs drawn chunk by chunk

    def uniforms(self, paths: Sequence[str], start: int, stop: int) -> dict[str, np.ndarray]:
        """Uniforms in (0, 1) for replications start..stop-1 of the given paths."""
        reps = np.arange(start, stop)
        if self.keyed:
            key = master_key(self.seed)
            jitter = parameter_uniforms(key, [f"lhs:{p}" for p in paths], reps)
            return {
                p: (permuted(key, f"lhs:{p}", self.n_runs, reps) + jitter[f"lhs:{p}"]) / self.n_runs
                for p in paths
            }
        if self.points is None:
            return parameter_uniforms(master_key(self.seed), paths, reps)
        block = self.points[start:stop]
        if self.sampler == "morris":
            levels = self.options["levels"]
            block = (np.rint(block * (levels - 1)) + 0.5) / levels
        column = {p: i for i, p in enumerate(self.paths)}
        return {p: np.ascontiguousarray(block[:, column[p]]) for p in paths}

    @property
    def stored(self) -> bool:
        """Whether the batch keeps the design as ``design.parquet`` (lhs, sobol, morris)."""
        return self.points is not None or self.keyed

    def blocks(self, rows: int = 65_536) -> Iterator[pd.DataFrame]:
        """The design as tables of at most ``rows`` replications (``replication`` and one
        column per path), so a large one is written without being held whole."""
        import pandas as pd

        for start in range(0, self.n_runs, rows):
            stop = min(start + rows, self.n_runs)
            if self.points is not None:
                values = dict(zip(self.paths, self.points[start:stop].T, strict=True))
            else:
                values = self.uniforms(self.paths, start, stop)
            table = pd.DataFrame(values, columns=list(self.paths))
            table.insert(0, "replication", np.arange(start, stop, dtype=np.int64))
            yield table

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
        if self.keyed:
            out["draw"] = "keyed"  # recomputed from the seed on resume
        if self.stored:
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
    if sampler == "lhs":
        return Design(sampler, seed, paths, n_runs, None, options, keyed=True)
    rng = sampler_rng(seed, sampler)
    problem = {"num_vars": len(paths), "names": list(paths), "bounds": [[0.0, 1.0]] * len(paths)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
        if sampler == "sobol":
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
