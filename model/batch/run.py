"""Scenario batches at scale: planning, starting, resuming and consolidating (docs/architecture.md §6, §8, §10).

The chunk worker is :mod:`model.batch.worker`, the executors :mod:`model.batch.executors`,
the folder :mod:`model.store.folder` and the command :mod:`model.cli.batch`.

A batch runs every scenario of an experiment file (:mod:`model.batch.experiment`) for the same
replications. Replication *i* gets the same parameter sample and the same random streams
in every scenario (common random numbers), so counterfactual effects are paired.

**Chunks.** The runs of one scenario are cut into chunks of R runs; one chunk is one
:class:`~model.engine.simulation.PactModel` advancing R runs side by side (never one model per
run: Mesa 3.3.1 keeps every model alive, docs/architecture.md §12). Chunks go to a process pool (default,
one worker per core), to a Dask distributed cluster (``--scheduler tcp://host:8786``) or,
with ``--workers 1``, run in this process. Random numbers are keyed by (seed, purpose,
replication), so the results are identical whatever the chunk size, the number of workers
or the executor.

**Streaming.** A worker returns its chunk's outcome rows and its trajectories already cut
into the HDF5 chunks of ``trajectories.nc`` (and deflated, if asked); the main process writes them as
part files of the partial result folder as they arrive (:mod:`model.store.folder`) and at
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

import math
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.batch import worker
from model.batch.consolidate import consolidate
from model.batch.executors import SerialExecutor, make_executor
from model.batch.experiment import (
    Design,
    Experiment,
    build_design,
    check_design_size,
    design_bytes,
    parse_frozen,
    uncertain_paths,
)
from model.batch.plan import (
    build_layout,
    check_outcome_patterns,
    choose_chunk,
    previews,
)
from model.batch.preflight import Estimate, estimate_batch
from model.batch.progress import progress_bar
from model.batch.worker import ChunkFailure, ChunkOutput, ChunkTask
from model.errors import UserError
from model.files.scenario import Scenario
from model.store.folder import (
    STATUS_COMPLETE,
    STATUS_CONSOLIDATED,
    STATUS_ERRORS,
    STATUS_RUNNING,
    BatchFolder,
    ChunkRef,
    TrajectoryLayout,
    chunk_refs,
    final_path,
    partial_path,
)
from model.store.manifest import is_complete, manifest_path, output_problems

# draws a batch folder's figures: (folder, scenarios, figure names or None for all, worker
# processes) -> paths
BatchFigureWriter = Callable[[Path, Sequence[Scenario], Sequence[str] | None, int], list[Path]]


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
    room: Callable[[Estimate], None] | None = None,
) -> Batch:
    """Plan a new batch and create its partial folder with the frozen inputs.

    ``room`` is shown the batch's estimated disk and memory before anything is written
    (and may refuse, raising).
    """
    from model.store.results import ResultFolder

    t0 = time.perf_counter()
    scenarios = experiment.load_scenarios()
    paths = uncertain_paths(scenarios)
    runs = check_design_size(experiment, len(paths), len(scenarios))  # from the numbers alone
    shapes = previews(scenarios)
    check_outcome_patterns(experiment, shapes)
    chunk = choose_chunk(chunk or experiment.chunk, runs, len(scenarios), workers)
    spec = experiment.trajectories
    layout = build_layout(scenarios, shapes, spec.variables, runs, chunk, spec.compression)
    if room is not None:  # disk and memory, before the design is drawn or a file written
        n_columns = len({c for shape in shapes for c in shape.columns})
        held = design_bytes(
            experiment.sampler, experiment.replications, runs, len(paths), experiment.options
        )
        room(estimate_batch(layout, n_columns, len(scenarios), chunk, workers, held, experiment))
    design = build_design(
        experiment.sampler, experiment.replications, experiment.seed, paths, experiment.options
    )
    final = ResultFolder.create(out, experiment.name).path
    if partial_path(final).exists():
        raise UserError(
            f"{partial_path(final)} exists: resume it with `pactsim batch --resume {final}`"
        )
    manifest = batch_manifest(experiment, scenarios, design, layout, chunk, command, t0)
    blocks = design.blocks() if design.stored else None
    folder = BatchFolder.create(final, manifest, experiment.text, scenarios, blocks)
    return Batch(folder, experiment, scenarios, design, layout, chunk, manifest)


def batch_manifest(
    experiment: Experiment,
    scenarios: Sequence[Scenario],
    design: Design,
    layout: TrajectoryLayout,
    chunk: int,
    command: Sequence[str],
    t0: float,
) -> dict[str, Any]:
    """The manifest of a new batch: what runs, from which files and code, and the plan."""
    from model.store.results import code_version, now, package_versions, scenario_provenance

    provenance = []
    for s in scenarios:
        p = scenario_provenance(s)
        p["path"] = str(s.path)
        provenance.append(p)
    return {
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


def reopen_batch(path: Path) -> Batch | Path:
    """The batch in a partial folder (or a path to its final folder if it is complete)."""

    path = Path(path)
    if not path.name.endswith(".partial"):
        if is_complete(path):
            return path  # complete already
        if partial_path(path).is_dir():
            path = partial_path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such batch folder")
    if not manifest_path(path).exists() or not (path / "experiment.toml").exists():
        raise UserError(
            f"{path}: not a batch folder that can be resumed (no manifest.json or experiment.toml: "
            f"a batch killed before it had written them, or a damaged folder); remove it with "
            f"`rm -r {path}` and start the batch again"
        )
    folder = BatchFolder(path)
    try:
        manifest = folder.read_manifest()
        folder.check_inputs(manifest.get("inputs", {}))
        experiment = parse_frozen(
            folder.frozen_experiment_text(), Path(manifest["experiment"]["file"])
        )
        scenarios = [folder.frozen_scenario(p) for p in manifest["scenarios"]]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise UserError(
            f"{path}: the manifest or a frozen input is damaged ({type(err).__name__}: {err}); "
            f"the batch cannot be resumed: remove it with `rm -r {path}` and start again"
        ) from None
    d = manifest["design"]
    keyed = d.get("draw") == "keyed"  # recomputed from the seed, never read whole
    frozen = None if keyed else folder.frozen_design()
    points = None if frozen is None else frozen[d["paths"]].to_numpy(np.float64)
    design = Design(
        d["sampler"],
        d["seed"],
        tuple(d["paths"]),
        d["runs_per_scenario"],
        points,
        d["options"],
        keyed=keyed,
    )
    layout = TrajectoryLayout.from_dict(manifest["plan"]["trajectories"])
    return Batch(folder, experiment, scenarios, design, layout, manifest["plan"]["chunk"], manifest)


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
    batch: Batch,
    workers: int,
    scheduler: str | None,
    figures: BatchFigureWriter | None = None,
    quiet: bool = False,
    dask_worker_timeout: float | None = None,
) -> BatchReport:
    """Run the chunks not yet done, then consolidate and publish (or keep partial on errors).

    ``figures`` draws the experiment's figures into the folder (None: no figures).
    """

    folder, manifest = batch.folder, batch.manifest
    t0 = time.perf_counter()
    runs_now, executor_text = 0, ""
    folder.lock()
    try:
        if manifest["status"] == STATUS_CONSOLIDATED:
            bad = output_problems(folder.path, manifest)
            if bad:  # consolidate again from the parts (rerunning any that are gone)
                print(f"since consolidation: {'; '.join(bad)}; consolidating again")
                manifest["status"] = STATUS_RUNNING
        if manifest["status"] in (STATUS_RUNNING, STATUS_ERRORS):
            runs_now, executor_text, errors = run_session(
                batch, workers, scheduler, quiet, t0, dask_worker_timeout
            )
            if errors:
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
        folder.drop_parts()
        if figures:
            t_figures = time.perf_counter()
            draw_figures(batch, figures, workers)
            if manifest["sessions"]:
                manifest["sessions"][-1]["seconds_figures"] = round(
                    time.perf_counter() - t_figures, 3
                )
        complete(batch)
    finally:
        folder.unlock()
    path = folder.publish()
    seconds = time.perf_counter() - t0
    return BatchReport(
        path, STATUS_COMPLETE, batch.total_runs, runs_now, [], seconds, executor_text
    )


def complete(batch: Batch) -> None:
    """The finished folder's checksums and status in its manifest. The consolidated files'
    digests were computed when consolidation wrote them (or verified by run_batch, in a
    folder consolidated by an earlier session): they are not read again."""
    from model.store.results import now

    folder, manifest = batch.folder, batch.manifest
    t0 = time.perf_counter()
    outputs = folder.output_digests(known=manifest.get("outputs"))
    if manifest["sessions"]:
        manifest["sessions"][-1]["seconds_final_checksums"] = round(time.perf_counter() - t0, 3)
    manifest.update(status=STATUS_COMPLETE, finished=now(), outputs=outputs)
    folder.write_manifest(manifest)


def run_session(
    batch: Batch,
    workers: int,
    scheduler: str | None,
    quiet: bool,
    t0: float,
    dask_worker_timeout: float | None = None,
) -> tuple[int, str, list[dict[str, Any]]]:
    """One session of a batch: the chunks not yet done, then consolidation.

    Records the session in the manifest; returns the runs it ran, the executor used and
    the chunks that failed (the manifest then says "errors", else "consolidated").
    """
    from model.store.results import now

    folder, manifest = batch.folder, batch.manifest
    names = [s.name for s in batch.scenarios]
    for ref, tag, problem in folder.verify_chunks(batch.refs, names, batch.layout):
        what = f"chunk {tag}"
        if ref is not None:
            what += f" ({names[ref.scenario_index]}, runs {ref.start}-{ref.stop - 1})"
        print(f"{what}: {problem}; {'rerunning it' if ref else 'removed'}", file=sys.stderr)
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
    executor_text = run_chunks(batch, todo, workers, scheduler, quiet, session, dask_worker_timeout)
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
        return runs_now, executor_text, errors
    manifest.update(status=STATUS_CONSOLIDATED, errors=[])
    folder.write_manifest(manifest)
    return runs_now, executor_text, errors


def chunk_failure(task: ChunkTask, record: dict[str, Any]) -> ChunkFailure:
    """A chunk whose worker died or whose result could not be moved."""
    return ChunkFailure(task.ref, record)


def run_chunks(
    batch: Batch,
    todo: Sequence[ChunkRef],
    workers: int,
    scheduler: str | None,
    quiet: bool,
    session: dict[str, Any],
    dask_worker_timeout: float | None = None,
) -> str:
    """Run the chunks on the chosen executor, writing each one's parts as it finishes."""
    folder = batch.folder
    workers = max(1, min(workers, len(todo)))
    executor = make_executor(workers, scheduler, dask_worker_timeout) if todo else SerialExecutor()
    done_runs = batch.total_runs - sum(r.n_runs for r in todo)
    t0 = time.perf_counter()
    with executor, progress_bar(quiet) as progress:
        t_started, started = time.perf_counter(), executor.seconds_starting
        session["executor"] = executor.description
        bar = progress.add_task(batch.experiment.name, total=batch.total_runs, completed=done_runs)
        tasks = (batch.task(r) for r in todo)
        try:
            writing, hashing = _record_chunks(batch, executor, tasks, progress, bar)
        except UserError as err:  # e.g. a Dask cluster left without workers: resumable
            session["failed"] = str(err)
            where = f" --scheduler {scheduler}" if scheduler else ""
            raise UserError(
                f"{err}: start workers and resume with "
                f"`pactsim batch --resume {final_path(folder.path)}{where}`"
            ) from None
        finally:
            _note_cluster(session, executor)
            folder.write_manifest(batch.manifest)
        t_done = time.perf_counter()
    # where the chunk phase's wall time went, in this process: starting the workers (and
    # restarting them, a pool rebuilt after a worker died), running the chunks (writing
    # their parts, checksums included, is part of it) and closing the executor
    restarting = executor.seconds_starting - started
    session["seconds_workers_start"] = round(executor.seconds_starting, 3)
    session["seconds_running_chunks"] = round(t_done - t_started - restarting, 3)
    session["seconds_writing_parts"] = round(writing, 3)
    session["seconds_part_checksums"] = round(hashing, 3)
    session["seconds_workers_stop"] = round(time.perf_counter() - t_done, 3)
    session["seconds_executor"] = round(time.perf_counter() - t0, 3)
    return str(session["executor"])


def _note_cluster(session: dict[str, Any], executor: Any) -> None:
    """A Dask session records the workers it met and lost (not only those at the start)."""
    summary = getattr(executor, "summary", None)
    if summary is None:
        return
    cluster = summary()
    session["cluster"] = cluster
    lost = cluster["workers_lost"]
    session["executor"] = (
        f"Dask cluster at {cluster['address']}, {len(cluster['workers_seen'])} worker(s) with "
        f"{cluster['threads_seen']} thread(s) in all"
        + (f", {len(lost)} lost during the batch" if lost else "")
    )


def _record_chunks(
    batch: Batch, executor: Any, tasks: Any, progress: Any, bar: Any
) -> tuple[float, float]:
    """Write each chunk's parts as it finishes; the seconds spent writing (checksums
    included) and, of them, computing the parts' checksums."""
    folder = batch.folder
    writing = hashing = 0.0
    for out in executor.map(worker.run_chunk_safely, tasks, chunk_failure):
        t0 = time.perf_counter()
        if isinstance(out, ChunkOutput):
            name = batch.scenarios[out.ref.scenario_index].name
            hashing += folder.record_chunk(out.ref, out.outcomes, out.trajectories, out.info, name)
        else:
            folder.record_error(out.ref, out.error)
            name = batch.scenarios[out.ref.scenario_index].name
            progress.console.print(
                f"chunk {out.ref.tag} ({name}, runs {out.ref.start}-{out.ref.stop - 1}) failed: "
                f"{out.error['error']}: {out.error['message']}"
            )
        writing += time.perf_counter() - t0
        progress.advance(bar, out.ref.n_runs)
    return writing, hashing


def process_seconds() -> float:
    """Wall-clock seconds since this process started (interpreter start-up and imports too)."""
    try:
        import psutil  # a dependency of dask.distributed

        return max(0.0, time.time() - psutil.Process().create_time())
    except (ImportError, OSError):  # pragma: no cover
        return float("nan")


def summary_line(
    report: BatchReport, manifest: Mapping[str, Any], wall: float | None = None
) -> str:
    """Runs, rate and where the time went, e.g. for 15 x 1,000 runs on 2 cores; ``wall``
    (the command's wall-clock seconds from its start) ends the line, else the batch's own."""
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
    if wall is None or not wall == wall:
        return ", ".join(parts) + f"; {report.seconds:.1f} s in all"
    return ", ".join(parts) + f"; {wall:.1f} s wall time in all, from the command's start"


def draw_figures(batch: Batch, write: BatchFigureWriter, workers: int = 1) -> None:
    """The experiment's figures, drawn by ``write`` (the presentation layer's batch writer)
    on ``workers`` local processes (a Dask batch too: the folder is on this machine).

    ``figures`` absent in the experiment: every figure the writer draws; an empty list: none;
    names: passed on, and checked afterwards.
    """
    manifest, wanted = batch.manifest, batch.experiment.figures
    if wanted is not None and not wanted:
        manifest["figures"] = []
        return
    try:
        write(batch.folder.path, batch.scenarios, list(wanted) if wanted else None, workers)
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
            f"warning: figure(s) not drawn by model.presentation.report: {', '.join(missing)}",
            file=sys.stderr,
        )
