"""Scenario batches at scale, and ``pactsim batch`` (DESIGN.md §6, §8, §10).

A batch runs every scenario of an experiment file (:mod:`model.batch.experiment`) for the same
replications. Replication *i* gets the same parameter sample and the same random streams
in every scenario (common random numbers), so counterfactual effects are paired.

**Chunks.** The runs of one scenario are cut into chunks of R runs; one chunk is one
:class:`~model.simulation.PactModel` advancing R runs side by side (never one model per
run: Mesa 3.3.1 keeps every model alive, STACK.md). Chunks go to a process pool (default,
one worker per core), to a Dask distributed cluster (``--scheduler tcp://host:8786``) or,
with ``--workers 1``, run in this process. Random numbers are keyed by (seed, purpose,
replication), so the results are identical whatever the chunk size, the number of workers
or the executor.

**Streaming.** A worker returns its chunk's outcome rows and its trajectories already cut
into the HDF5 chunks of ``trajectories.nc`` (and deflated, if asked); the main process writes them as
part files of the partial result folder as they arrive (:mod:`model.batch.folder`) and at
the end streams the parts into ``outcomes.parquet`` and ``trajectories.nc``. Memory stays
bounded by a few chunks in flight, whatever the number of runs. A chunk that raises is
recorded with its traceback and the batch goes on; the exit code is then 1 and
``pactsim batch --resume DIR`` retries it. A batch killed at any moment (SIGKILL
included) is finished by ``--resume``: no run is repeated or lost, and the results are the
ones an uninterrupted batch gives.

**What trajectories.nc keeps.** Dims scenario x run x month x good, float32. By default:
Germany's ``stock``, ``shortage``, ``demand``, ``consumption`` and ``production`` of every
good (what the stock and shortage curves and months-of-cover need), and every run-level
series (war readiness, clearing balance, arrears, credit, suspension, blockade
effectiveness, transit, treaties in force, war phase). That is ~19 kB per run, ~5.4 kB
deflated (the default, zlib level 1): ~78 MB for 15 scenarios x 1,000 runs, ~290 MB raw
(``compression = 0``: less CPU in the workers, ~4 us per run-month, but three times the
bytes to write and consolidate, which costs as much on this machine). Imports by
supplier (another ~30 kB per run) and the other per-good series are left out unless an
experiment asks for them (``[trajectories] variables``); their totals are in the outcome
table. float32 keeps 7 significant digits, ample for curves; the outcome table, computed
from the run itself, stays float64.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import multiprocessing
import os
import socket
import sys
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from model.batch.experiment import (
    DEFAULT_TRAJECTORY_GOODS,
    Design,
    Experiment,
    build_design,
    load_experiment,
    parse_frozen,
    uncertain_paths,
)
from model.batch.folder import (
    STATUS_COMPLETE,
    STATUS_CONSOLIDATED,
    STATUS_ERRORS,
    STATUS_RUNNING,
    BatchFolder,
    ChunkRef,
    FolderInUse,
    TrajectoryLayout,
    chunk_refs,
    final_path,
    pack_parts,
    partial_path,
)
from model.engine.simulation import released_models
from model.errors import UserError
from model.files.scenario import Scenario
from model.world.calendar import parse_month

# draws a batch folder's figures: (folder, scenarios, figure names or None for all) -> paths
BatchFigureWriter = Callable[[Path, Sequence[Scenario], Sequence[str] | None], list[Path]]

DEFAULT_CHUNK = 2000  # runs per model instance; `pactsim bench` measures the best size
FILE_CHUNK_MAX = 250  # runs per HDF5 chunk of trajectories.nc (~0.9 MB of float32 goods data)
FILE_CHUNK_MIN = 20


# ---------------------------------------------------------------------------------------
# one chunk, in a worker
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (picklable, self-contained)."""

    ref: ChunkRef
    scenario: Scenario
    seed: int
    uniforms: Mapping[str, np.ndarray]  # this scenario's uncertain paths only
    paths: tuple[str, ...]  # the design's columns: every chunk gets a param:<path> column for each
    outcomes: tuple[str, ...] | None  # fnmatch patterns of outcome columns to keep
    layout: TrajectoryLayout


@dataclass
class ChunkOutput:
    """A chunk's part files, serialised by the worker: Parquet rows and HDF5 chunks."""

    ref: ChunkRef
    outcomes: bytes
    trajectories: bytes
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChunkFailure:
    ref: ChunkRef
    error: dict[str, Any]


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run one chunk: outcome rows (parameter sample included) and packed trajectories."""
    from model.engine.outcomes import OUTCOME_VARIABLES, outcomes_table
    from model.engine.runner import simulate

    t0 = time.perf_counter()
    ref = task.ref
    reps = np.arange(ref.start, ref.stop)
    with released_models():
        result = simulate(
            task.scenario,
            n_runs=len(reps),
            seed=task.seed,
            replications=reps,
            sample=True,
            uniforms=dict(task.uniforms),
            chunk=len(reps),
            variables={*OUTCOME_VARIABLES, *task.layout.variables},  # record only what is read
        )
        t1 = time.perf_counter()
        table = shape_outcomes(
            outcomes_table(result), task.scenario.name, task.paths, task.outcomes
        )
        t2 = time.perf_counter()
        blocks = pack_trajectories(result, task.layout, ref)
        outcomes, trajectories, lengths = pack_parts(arrow_table(table), blocks)
        t3 = time.perf_counter()
        del result
    info = {
        "seconds": round(time.perf_counter() - t0, 4),
        "seconds_model": round(t1 - t0, 4),
        "seconds_outcomes": round(t2 - t1, 4),
        "seconds_packing": round(t3 - t2, 4),  # trajectories cut (and deflated), rows to Parquet
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    return ChunkOutput(
        ref, outcomes, trajectories, info | {"rows": len(table), "block_bytes": lengths}
    )


def run_chunk_safely(task: ChunkTask) -> ChunkOutput | ChunkFailure:
    """run_chunk, with any exception returned as a record instead of raised."""
    try:
        return run_chunk(task)
    except Exception as err:  # a chunk that raises must not stop the batch
        return ChunkFailure(task.ref, failure_record(err))


def failure_record(err: BaseException) -> dict[str, Any]:
    return {
        "error": type(err).__name__,
        "message": str(err),
        "traceback": "".join(traceback.format_exception(err)),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def shape_outcomes(
    table: pd.DataFrame, scenario: str, paths: Sequence[str], patterns: Sequence[str] | None
) -> pd.DataFrame:
    """scenario, replication, param:<path> for every design path (NaN where the scenario
    fixes or lacks it), then the outcome columns the experiment keeps."""
    n = len(table)
    cols: dict[str, Any] = {
        "scenario": [scenario] * n,
        "replication": table["replication"].to_numpy(np.int64),
    }
    for p in paths:
        name = f"param:{p}"
        cols[name] = table[name].to_numpy(np.float64) if name in table else np.full(n, np.nan)
    for name in table.columns:
        if name == "replication" or name.startswith("param:"):
            continue
        if patterns is None or any(fnmatchcase(name, pat) for pat in patterns):
            cols[name] = table[name].to_numpy()
    return pd.DataFrame(cols)


def variable_array(result: Any, name: str) -> np.ndarray:
    """One trajectory variable with the run axis first: (run, month[, supplier][, good])."""
    if name == "imports":
        return np.transpose(result.imports(), (2, 0, 1, 3))  # (month, origin, run, good)
    return np.swapaxes(result.trajectory[name], 0, 1)


def pack_trajectories(
    result: Any, layout: TrajectoryLayout, ref: ChunkRef
) -> dict[str, list[bytes]]:
    """Each variable cut into the HDF5 chunks of trajectories.nc, on its axes (deflated if asked)."""
    labels = {
        "month": list(result.months),
        "good": list(result.goods),
        "supplier": list(result.origins),
    }
    target = {
        "month": list(layout.months),
        "good": list(layout.goods),
        "supplier": list(layout.suppliers),
    }
    out: dict[str, list[bytes]] = {}
    fc = layout.file_chunk
    for name, dims in layout.variables.items():
        data = np.asarray(variable_array(result, name), dtype="<f4")
        if any(labels[d] != target[d] for d in dims):  # a scenario with its own months or goods
            placed = np.full((data.shape[0], *(len(target[d]) for d in dims)), np.nan, dtype="<f4")
            index = [np.array([target[d].index(x) for x in labels[d]]) for d in dims]
            placed[(slice(None), *np.ix_(*index))] = data
            data = placed
        blocks = []
        for k in range(layout.n_blocks(ref)):
            block = data[k * fc : (k + 1) * fc]
            if len(block) < fc:
                block = np.concatenate(
                    [block, np.full((fc - len(block), *block.shape[1:]), np.nan, dtype="<f4")]
                )
            raw = np.ascontiguousarray(block).tobytes()
            blocks.append(zlib.compress(raw, layout.compression) if layout.compression else raw)
        out[name] = blocks
    return out


def arrow_table(table: pd.DataFrame) -> pa.Table:
    """The part's Arrow table: text and all-missing columns as utf8, no pandas metadata."""
    t = pa.Table.from_pandas(table, preserve_index=False)
    fields = []
    for f in t.schema:
        kind = f.type
        if (
            pa.types.is_null(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
        ):
            kind = pa.string()
        fields.append(pa.field(f.name, kind))
    return t.cast(pa.schema(fields)).replace_schema_metadata(None)


# ---------------------------------------------------------------------------------------
# executors: serial, process pool, Dask
# ---------------------------------------------------------------------------------------
class SerialExecutor:
    """Chunks one after another in this process (``--workers 1``)."""

    def __init__(self) -> None:
        self.description = "serial, in-process"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput | ChunkFailure]:
        for task in tasks:
            yield run_chunk_safely(task)


class PoolExecutor:
    """A local process pool; at most two chunks per worker are in flight (bounded memory).

    Workers are forked (fast: the model is already imported) when the pool opens, before
    any other thread (the progress bar) exists. A worker that dies (e.g. killed by the
    system) fails the chunks it held; the pool is rebuilt and the batch goes on.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self.description = f"process pool, {workers} workers"
        self.pool: ProcessPoolExecutor | None = None
        self.generation = 0

    def _open(self) -> None:
        # fork is fast (the model is already imported) but only safe with no other thread
        # alive (a lock held by one would stay locked in the child): else a fork server
        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
            gc.freeze()  # the garbage collector of a forked worker then leaves the inherited
            # objects alone, so their pages stay shared instead of being copied
        else:
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if context.get_start_method() == "forkserver":
                context.set_forkserver_preload(["model.batch.run", "model.engine.runner", "model.engine.outcomes"])
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_ignore_interrupts
        )
        for future in [self.pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result()  # every worker is up before any other thread starts
        self.generation += 1

    def __enter__(self) -> PoolExecutor:
        self._open()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=exc_type is None, cancel_futures=True)

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput | ChunkFailure]:
        todo = iter(tasks)
        pending: dict[Any, tuple[ChunkTask, int]] = {}

        def submit() -> None:
            task = next(todo, None)
            if task is not None:
                pending[self.pool.submit(run_chunk_safely, task)] = (task, self.generation)

        for _ in range(2 * self.workers):
            submit()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task, generation = pending.pop(future)
                try:
                    out = future.result()
                except BrokenProcessPool as err:
                    out = ChunkFailure(
                        task.ref,
                        failure_record(err)
                        | {"message": "a worker process died while running this chunk"},
                    )
                    if generation == self.generation:
                        self.pool.shutdown(wait=False, cancel_futures=True)
                        self._open()
                except Exception as err:
                    out = ChunkFailure(task.ref, failure_record(err))
                yield out
                submit()


def _ignore_interrupts() -> None:
    """Ctrl-C is the main process's to handle: it stops submitting and keeps what is done."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class DaskExecutor:
    """A Dask distributed cluster; at most two chunks per worker thread are in flight."""

    def __init__(self, address: str):
        self.address = address
        self.description = f"Dask cluster at {address}"

    def __enter__(self) -> DaskExecutor:
        from dask.distributed import Client


        try:
            self.client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            raise UserError(f"cannot reach the Dask scheduler at {self.address}: {err}") from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.description = f"Dask cluster at {self.address}, {self.slots} worker threads"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def map(self, tasks: Iterable[ChunkTask]) -> Iterator[ChunkOutput | ChunkFailure]:
        from dask.distributed import as_completed

        todo = iter(tasks)
        pending: dict[str, ChunkTask] = {}
        stream = as_completed()

        def submit() -> None:
            task = next(todo, None)
            if task is not None:
                future = self.client.submit(run_chunk_safely, task, pure=False)
                pending[future.key] = task
                stream.add(future)

        for _ in range(2 * self.slots):
            submit()
        for future in stream:
            task = pending.pop(future.key)
            try:
                out = future.result()
            except Exception as err:  # the worker died or the result could not be moved
                out = ChunkFailure(task.ref, failure_record(err))
            future.release()
            yield out
            submit()


def make_executor(
    workers: int, scheduler: str | None
) -> SerialExecutor | PoolExecutor | DaskExecutor:
    if scheduler:
        return DaskExecutor(scheduler)
    if workers <= 1:
        return SerialExecutor()
    return PoolExecutor(workers)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioShape:
    """What a scenario's runs look like, from one deterministic run: axes and columns."""

    months: tuple[str, ...]
    goods: tuple[str, ...]
    units: tuple[str, ...]
    prices: tuple[float, ...]
    origins: tuple[str, ...]
    columns: tuple[str, ...]
    dims: Mapping[str, tuple[str, ...]]  # variable -> dims after run


def preview(scenario: Scenario) -> ScenarioShape:
    """The axes, outcome columns and variable dims of a scenario's runs, from one run."""
    from model.engine.outcomes import outcomes_table
    from model.engine.runner import simulate

    with released_models():
        result = simulate(scenario, n_runs=1, sample=False)
        columns = tuple(outcomes_table(result).columns)
        ds = result.dataset()
        dims = {
            name: tuple(d for d in ds[name].dims if d != "run")
            for name in ds.data_vars
            if "run" in ds[name].dims
        }
        shape = ScenarioShape(
            months=tuple(result.months),
            goods=tuple(result.goods),
            units=tuple(result.units),
            prices=tuple(float(p) for p in result.prices),
            origins=tuple(result.origins),
            columns=columns,
            dims=dims,
        )
    return shape


def axes(scenario: Scenario) -> tuple[tuple[str, ...], ...]:
    """A scenario's months, goods (with units and prices) and origins, without running it."""
    from model.engine.simulation import PactModel

    with released_models():
        m = PactModel(scenario, n_runs=1)
        out = (
            tuple(m.window.labels),
            tuple(m.goods.ids),
            tuple(m.goods.units),
            tuple(float(p) for p in m.goods.price_rm_per_unit),
            tuple(m.origins),
        )
    return out


def previews(scenarios: Sequence[Scenario]) -> list[ScenarioShape]:
    """One run of the first scenario, and of any other whose axes differ from it (the
    outcome columns and variables follow from the axes); the others reuse its shape."""
    first = preview(scenarios[0])
    first_axes = (first.months, first.goods, first.units, first.prices, first.origins)
    return [first, *(first if axes(s) == first_axes else preview(s) for s in scenarios[1:])]


def choose_chunk(requested: int | None, runs: int, n_scenarios: int, workers: int) -> int:
    """Runs per model instance: as asked, else about the measured best (DEFAULT_CHUNK), with
    a chunk for every worker, more if that lets the workers finish together without halving
    the chunk, and a round size (so HDF5 chunks divide it)."""
    if requested:
        return max(1, min(requested, runs))
    per_scenario = math.ceil(runs / DEFAULT_CHUNK)
    if workers > 1:
        per_scenario = max(per_scenario, math.ceil(workers / n_scenarios))
        while (
            (n_scenarios * per_scenario) % workers
            and n_scenarios * per_scenario < 8 * workers
            and runs / (per_scenario + 1) >= DEFAULT_CHUNK / 2  # smaller chunks cost more per run
        ):
            per_scenario += 1
    chunk = math.ceil(runs / per_scenario)
    rounded = math.ceil(chunk / 50) * 50
    if chunk > 100 and math.ceil(runs / rounded) == per_scenario:
        chunk = rounded
    return max(1, min(chunk, runs))


def choose_file_chunk(chunk: int) -> int:
    """Runs per HDF5 chunk: a divisor of the batch chunk, so chunks map onto whole HDF5 chunks."""
    if chunk <= FILE_CHUNK_MAX:
        return chunk
    divisor = next(d for d in range(FILE_CHUNK_MAX, 0, -1) if chunk % d == 0)
    return divisor if divisor >= FILE_CHUNK_MIN else chunk


def build_layout(
    scenarios: Sequence[Scenario],
    shapes: Sequence[ScenarioShape],
    variables: Sequence[str] | None,
    runs: int,
    chunk: int,
    compression: int,
) -> TrajectoryLayout:
    months = sorted({m for s in shapes for m in s.months}, key=parse_month)
    goods, units, prices = [], [], []
    for shape in shapes:
        for g, u, p in zip(shape.goods, shape.units, shape.prices, strict=True):
            if g not in goods:
                goods.append(g)
                units.append(u)
                prices.append(p)
    suppliers = list(dict.fromkeys(o for s in shapes for o in s.origins))
    dims: dict[str, tuple[str, ...]] = {}
    for shape in shapes:
        for name, d in shape.dims.items():
            dims.setdefault(name, d)
    if variables is None:
        run_series = [n for n, d in dims.items() if d == ("month",)]
        variables = [*DEFAULT_TRAJECTORY_GOODS, *run_series]
    chosen = {name: dims[name] for name in variables if name in dims}
    if not any("supplier" in d for d in chosen.values()):
        suppliers = []  # no variable by supplier: no supplier axis in the file
    return TrajectoryLayout(
        scenarios=tuple(s.name for s in scenarios),
        runs=runs,
        months=tuple(months),
        goods=tuple(goods),
        suppliers=tuple(suppliers),
        units=tuple(units),
        prices=tuple(prices),
        variables=chosen,
        file_chunk=choose_file_chunk(chunk),
        compression=compression,
    )


def check_outcome_patterns(experiment: Experiment, shapes: Sequence[ScenarioShape]) -> None:
    from model.files.scenario import ScenarioError

    if experiment.outcomes is None:
        return
    columns = {c for s in shapes for c in s.columns}
    for i, pattern in enumerate(experiment.outcomes):
        if not any(fnmatchcase(c, pattern) for c in columns):
            sample = ", ".join(sorted(c for c in columns if not c.startswith("param:"))[:12])
            raise ScenarioError(
                experiment.path,
                f"outcomes[{i}]",
                f"{pattern!r} matches no outcome column; columns include {sample}, ...",
            )


def design_table(design: Design) -> pd.DataFrame | None:
    if design.points is None:
        return None
    table = pd.DataFrame(design.points, columns=list(design.paths))
    table.insert(0, "replication", np.arange(design.n_runs, dtype=np.int64))
    return table


# ---------------------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------------------
@dataclass
class Batch:
    """A batch being run: its folder, inputs and plan."""

    folder: BatchFolder
    experiment: Experiment
    scenarios: list[Scenario]
    design: Design
    layout: TrajectoryLayout
    chunk: int
    manifest: dict[str, Any]

    @property
    def refs(self) -> list[ChunkRef]:
        return chunk_refs(len(self.scenarios), self.design.n_runs, self.chunk)

    @property
    def total_runs(self) -> int:
        return len(self.scenarios) * self.design.n_runs

    def task(self, ref: ChunkRef) -> ChunkTask:
        scenario = self.scenarios[ref.scenario_index]
        own = [p for p, _ in scenario.uncertain()]
        return ChunkTask(
            ref=ref,
            scenario=scenario,
            seed=self.experiment.seed,
            uniforms=self.design.uniforms(own, ref.start, ref.stop),
            paths=self.design.paths,
            outcomes=self.experiment.outcomes,
            layout=self.layout,
        )


def start_batch(
    experiment: Experiment,
    out: Path | None,
    workers: int,
    chunk: int | None,
    command: Sequence[str],
) -> Batch:
    """Plan a new batch and create its partial folder with the frozen inputs."""
    from model.batch.results import (
        ResultFolder,
        code_version,
        now,
        package_versions,
        scenario_provenance,
    )

    t0 = time.perf_counter()
    scenarios = experiment.load_scenarios()
    shapes = previews(scenarios)
    check_outcome_patterns(experiment, shapes)
    paths = uncertain_paths(scenarios)
    design = build_design(
        experiment.sampler, experiment.replications, experiment.seed, paths, experiment.options
    )
    chunk = choose_chunk(chunk or experiment.chunk, design.n_runs, len(scenarios), workers)
    spec = experiment.trajectories
    layout = build_layout(scenarios, shapes, spec.variables, design.n_runs, chunk, spec.compression)
    final = ResultFolder.create(out, experiment.name).path
    if partial_path(final).exists():
        raise UserError(
            f"{partial_path(final)} exists: resume it with `pactsim batch --resume {final}`"
        )
    folder = BatchFolder.create(final)
    provenance = []
    for s in scenarios:
        p = scenario_provenance(s)
        p["path"] = str(s.path)
        provenance.append(p)
    manifest = {
        "kind": "batch",
        "status": STATUS_RUNNING,
        "command": ["pactsim", *command],
        "experiment": {
            "name": experiment.name,
            "file": str(experiment.path),
            "description": experiment.description,
            "sampler": experiment.sampler,
            "replications": experiment.replications,
            "seed": experiment.seed,
            "outcomes": list(experiment.outcomes) if experiment.outcomes is not None else "all",
            "figures": "all" if experiment.figures is None else list(experiment.figures),
        },
        "code": code_version(),
        "packages": package_versions(),
        "seed": experiment.seed,
        "scenarios": provenance,
        "window": {"start": layout.months[0], "end": layout.months[-1]},
        "design": design.describe(),
        "plan": {
            "runs_per_scenario": design.n_runs,
            "runs": len(scenarios) * design.n_runs,
            "chunk": chunk,
            "chunks": len(scenarios) * math.ceil(design.n_runs / chunk),
            "trajectories": layout.to_dict(),
        },
        "runs": len(scenarios) * design.n_runs,
        "started": now(),
        "seconds_plan": round(time.perf_counter() - t0, 3),
        "sessions": [],
    }
    folder.freeze_inputs(experiment.text, scenarios, design_table(design))
    folder.write_manifest(manifest)
    return Batch(folder, experiment, scenarios, design, layout, chunk, manifest)


def reopen_batch(path: Path) -> Batch | Path:
    """The batch in a partial folder (or a path to its final folder if it is complete)."""

    path = Path(path)
    if not path.name.endswith(".partial"):
        if (path / "manifest.json").exists() and not (path / "parts").exists():
            return path  # complete already
        if partial_path(path).is_dir():
            path = partial_path(path)
    if not (path / "manifest.json").exists() or not (path / "experiment.toml").exists():
        raise UserError(
            f"{path}: not a batch folder that can be resumed (no manifest.json and experiment.toml)"
        )
    folder = BatchFolder(path)
    manifest = folder.read_manifest()
    experiment = parse_frozen(folder.frozen_experiment_text(), Path(manifest["experiment"]["file"]))
    scenarios = [folder.frozen_scenario(p) for p in manifest["scenarios"]]
    d = manifest["design"]
    frozen = folder.frozen_design()
    points = None if frozen is None else frozen[d["paths"]].to_numpy(np.float64)
    design = Design(
        d["sampler"], d["seed"], tuple(d["paths"]), d["runs_per_scenario"], points, d["options"]
    )
    layout = TrajectoryLayout.from_dict(manifest["plan"]["trajectories"])
    return Batch(folder, experiment, scenarios, design, layout, manifest["plan"]["chunk"], manifest)


def progress_bar(quiet: bool) -> Any:
    """A live bar on a terminal (runs done, runs/s, time left); a line per tenth elsewhere."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RunsPerSecond(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} runs/s" if speed else "- runs/s")

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        return LogProgress(console, quiet)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        RunsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    )


class LogProgress:
    """The progress bar's interface for logs: one plain line each time a tenth is done."""

    def __init__(self, console: Any, quiet: bool):
        self.console, self.quiet = console, quiet
        self.tasks: dict[int, dict[str, Any]] = {}

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def add_task(self, description: str, total: int, completed: int = 0) -> int:
        self.tasks[0] = {
            "name": description,
            "total": total,
            "done": completed,
            "start": completed,
            "t0": time.perf_counter(),
            "tenth": 0,
        }
        return 0

    def advance(self, task_id: int, runs: int) -> None:
        t = self.tasks[task_id]
        t["done"] += runs
        tenth = int(10 * t["done"] / t["total"]) if t["total"] else 10
        if self.quiet or tenth <= t["tenth"]:
            return
        t["tenth"] = tenth
        seconds = time.perf_counter() - t["t0"]
        rate = (t["done"] - t["start"]) / seconds if seconds > 0 else 0.0
        left = (t["total"] - t["done"]) / rate if rate else float("nan")
        self.console.print(
            f"{t['name']}: {t['done']}/{t['total']} runs, {rate:,.0f} runs/s, {left:,.0f} s left",
            highlight=False,
        )


@dataclass
class BatchReport:
    path: Path
    status: str
    runs: int  # in the batch
    runs_now: int  # run by this call (fewer when resuming)
    errors: list[dict[str, Any]]
    seconds: float
    executor: str

    @property
    def ok(self) -> bool:
        return self.status == STATUS_COMPLETE


def run_batch(
    batch: Batch, workers: int, scheduler: str | None, figures: BatchFigureWriter | None = None, quiet: bool = False
) -> BatchReport:
    """Run the chunks not yet done, then consolidate and publish (or keep partial on errors).

    ``figures`` draws the experiment's figures into the folder (None: no figures).
    """
    from model.batch.results import now

    folder, manifest = batch.folder, batch.manifest
    t0 = time.perf_counter()
    runs_now, executor_text, errors = 0, "", []
    folder.lock()
    try:
        if manifest["status"] in (STATUS_RUNNING, STATUS_ERRORS):
            folder.clean_strays()
            done = folder.done_tags()
            todo = [r for r in batch.refs if r.tag not in done]
            runs_now = sum(r.n_runs for r in todo)
            session: dict[str, Any] = {
                "started": now(),
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "chunks": len(todo),
                "runs": runs_now,
            }
            manifest["sessions"].append(session)
            manifest["status"] = STATUS_RUNNING
            folder.write_manifest(manifest)
            executor_text = run_chunks(batch, todo, workers, scheduler, quiet, session)
            t_run = time.perf_counter()
            errors = folder.errors()
            consolidate(batch, errors)
            session.update(
                finished=now(),
                seconds_chunks=round(t_run - t0, 3),
                seconds_consolidate=round(time.perf_counter() - t_run, 3),
            )
            if errors:
                stripped = [{k: v for k, v in e.items() if k != "traceback"} for e in errors]
                manifest.update(status=STATUS_ERRORS, errors=stripped)
                folder.write_manifest(manifest)
                seconds = time.perf_counter() - t0
                return BatchReport(
                    folder.path,
                    STATUS_ERRORS,
                    batch.total_runs,
                    runs_now,
                    errors,
                    seconds,
                    executor_text,
                )
            manifest.update(status=STATUS_CONSOLIDATED, errors=[])
            folder.write_manifest(manifest)
        folder.drop_parts()
        if figures:
            t_figures = time.perf_counter()
            draw_figures(batch, figures)
            if manifest["sessions"]:
                manifest["sessions"][-1]["seconds_figures"] = round(
                    time.perf_counter() - t_figures, 3
                )
        manifest.update(status=STATUS_COMPLETE, finished=now())
        folder.write_manifest(manifest)
    finally:
        folder.unlock()
    path = folder.publish()
    seconds = time.perf_counter() - t0
    return BatchReport(
        path, STATUS_COMPLETE, batch.total_runs, runs_now, [], seconds, executor_text
    )


def run_chunks(
    batch: Batch,
    todo: Sequence[ChunkRef],
    workers: int,
    scheduler: str | None,
    quiet: bool,
    session: dict[str, Any],
) -> str:
    """Run the chunks on the chosen executor, writing each one's parts as it finishes."""
    folder = batch.folder
    workers = max(1, min(workers, len(todo)))
    executor = make_executor(workers, scheduler) if todo else SerialExecutor()
    done_runs = batch.total_runs - sum(r.n_runs for r in todo)
    with executor, progress_bar(quiet) as progress:
        session["executor"] = executor.description
        bar = progress.add_task(batch.experiment.name, total=batch.total_runs, completed=done_runs)
        writing = 0.0
        for out in executor.map(batch.task(r) for r in todo):
            t0 = time.perf_counter()
            if isinstance(out, ChunkOutput):
                folder.record_chunk(out.ref, out.outcomes, out.trajectories, out.info)
            else:
                folder.record_error(out.ref, out.error)
                name = batch.scenarios[out.ref.scenario_index].name
                progress.console.print(
                    f"chunk {out.ref.tag} ({name}, runs {out.ref.start}-{out.ref.stop - 1}) failed: "
                    f"{out.error['error']}: {out.error['message']}"
                )
            writing += time.perf_counter() - t0
            progress.advance(bar, out.ref.n_runs)
    session["seconds_writing_parts"] = round(writing, 3)
    return executor.description


def summary_line(report: BatchReport, manifest: Mapping[str, Any]) -> str:
    """Runs, rate and where the time went, e.g. for 15 x 1,000 runs on 2 cores."""
    session = manifest["sessions"][-1] if manifest.get("sessions") else {}
    if not report.runs_now:
        return f"nothing left to run; {report.seconds:.1f} s to finish the folder"
    chunks = session.get("seconds_chunks", report.seconds)
    resumed = (
        f" (of {report.runs}; the others were done before)" if report.runs_now < report.runs else ""
    )
    parts = [
        f"{report.runs_now:,} runs{resumed} in {chunks:.1f} s ({report.runs_now / chunks:,.0f} runs/s; {report.executor})"
    ]
    for key, what in (("seconds_consolidate", "consolidation"), ("seconds_figures", "figures")):
        if session.get(key):
            parts.append(f"{what} {session[key]:.1f} s")
    return ", ".join(parts) + f"; {report.seconds:.1f} s in all"


def consolidate(batch: Batch, errors: Sequence[Mapping[str, Any]]) -> None:
    folder, manifest = batch.folder, batch.manifest
    rows = folder.consolidate_outcomes(batch.refs)
    attrs = {
        "title": f"pactsim batch {batch.experiment.name}",
        "experiment": batch.experiment.name,
        "sampler": batch.experiment.sampler,
        "seed": batch.experiment.seed,
        "description": "Germany's stocks and flows per scenario, run (replication), month and good; float32",
    }
    if batch.layout.variables:
        folder.consolidate_trajectories(batch.refs, batch.layout, attrs)
    done = folder.done_tags()
    seconds = [folder.done_info(r).get("seconds_model", 0.0) for r in batch.refs if r.tag in done]
    manifest["outcome_rows"] = rows
    manifest["cpu_seconds_model"] = round(float(sum(seconds)), 3)
    if errors:
        with contextlib.suppress(Exception):
            pd.DataFrame([{k: v for k, v in e.items()} for e in errors]).to_json(
                folder.path / "errors.json", orient="records", indent=1
            )


def draw_figures(batch: Batch, write: BatchFigureWriter) -> None:
    """The experiment's figures, drawn by ``write`` (the presentation layer's batch writer).

    ``figures`` absent in the experiment: every figure the writer draws; an empty list: none;
    names: passed on, and checked afterwards.
    """
    manifest, wanted = batch.manifest, batch.experiment.figures
    if wanted is not None and not wanted:
        manifest["figures"] = []
        return
    try:
        write(batch.folder.path, batch.scenarios, list(wanted) if wanted else None)
    except Exception as err:
        # the results stand without their figures; `pactsim report` can redraw them
        manifest["figures"] = {"error": f"{type(err).__name__}: {err}"}
        print(
            f"warning: figures failed ({type(err).__name__}: {err}); redraw them with `pactsim report`",
            file=sys.stderr,
        )
        return
    folder = batch.folder.path / "figures"
    drawn = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    manifest["figures"] = drawn
    missing = [n for n in wanted or () if not any(Path(d).stem == n for d in drawn)]
    if missing:
        manifest["figures_missing"] = missing
        print(
            f"warning: figure(s) not drawn by model.presentation.report: {', '.join(missing)}", file=sys.stderr
        )


# ---------------------------------------------------------------------------------------
# pactsim batch
# ---------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "experiment",
        nargs="?",
        type=Path,
        help="experiment file, e.g. experiments/counterfactuals.toml",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="result folder (default results/<name>-<time>)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per core; 1 runs in-process)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786",
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=None,
        metavar="R",
        help=f"runs per model instance (default {DEFAULT_CHUNK})",
    )
    parser.add_argument(
        "--resume", type=Path, default=None, metavar="DIR", help="finish an interrupted batch"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args: argparse.Namespace) -> int:

    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if args.chunk is not None and args.chunk < 1:
        raise UserError(f"--chunk must be at least 1, got {args.chunk}")
    if args.resume is not None:
        if args.experiment is not None or args.chunk is not None or args.out is not None:
            raise UserError(
                "--resume DIR takes the experiment, chunk and folder recorded in DIR; drop the other arguments"
            )
        batch = reopen_batch(args.resume)
        if isinstance(batch, Path):
            print(f"{batch} is complete; nothing to resume")
            return 0
        from model.batch.results import code_version

        started, current = batch.manifest.get("code", {}), code_version()
        if current != started:
            batch.manifest.setdefault("code_on_resume", []).append(current)
            print(
                f"warning: the code has changed since the batch started ({started.get('commit', '?')[:10]}"
                f"{' with local changes' if started.get('dirty') else ''} -> {current.get('commit', '?')[:10]}"
                f"{' with local changes' if current.get('dirty') else ''}); the remaining chunks run the code as it is now",
                file=sys.stderr,
            )
        print(f"resuming {batch.folder.path}", flush=True)
    else:
        if args.experiment is None:
            raise UserError("name an experiment file (e.g. experiments/smoke.toml) or --resume DIR")
        experiment = load_experiment(args.experiment)
        batch = start_batch(experiment, args.out, workers, args.chunk, ["batch", *sys.argv[2:]])
        n = len(batch.scenarios)
        print(
            f"batch {experiment.name}: {n} scenario(s) x {batch.design.n_runs} runs ({experiment.sampler}), "
            f"chunks of {batch.chunk}; writing {batch.folder.path}",
            flush=True,
        )
    final = final_path(batch.folder.path)
    writers = getattr(args, "figure_writers", None)  # handed down by model.cli
    figures = None if args.no_figures or writers is None else writers.batch
    try:
        report = run_batch(
            batch, workers, args.scheduler, figures=figures, quiet=args.quiet
        )
    except FolderInUse as err:
        raise UserError(str(err)) from None
    except KeyboardInterrupt:
        print(f"interrupted; finish with: pactsim batch --resume {final}", file=sys.stderr)
        raise
    if report.errors:
        print(
            f"{len(report.errors)} chunk(s) failed (see {report.path / 'errors.json'}); the other results are in {report.path}"
        )
        print(f"fix the cause and retry the failed chunks with: pactsim batch --resume {final}")
        return 1
    print(summary_line(report, batch.manifest))
    print(f"results: {report.path}")
    return 0
