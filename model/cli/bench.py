"""Throughput and memory of the vectorised model, and ``pactsim bench`` (docs/architecture.md §6, §10).

Measured in one process run, so that the ratios compare like with like on this machine:

1. **batches**: the baseline, Monte Carlo, through the real batch path (``pactsim batch``:
   process pool over every core, part files, consolidation into outcomes.parquet and
   trajectories.nc, no figures) at 1,000, 10,000 and 100,000 runs in a temporary folder;
   wall seconds from the experiment file to the published folder (the interpreter and
   its imports excluded), and the peak memory of this process plus its workers (the sum
   of their PSS, sampled every 50 ms by a watcher process). They run first, while this
   process is small. The fork server their workers come from is started when the bench
   starts, as ``pactsim batch`` starts it (:func:`start_forkserver_as_batch`). ``batch_phases_<size>`` says
   where each batch's seconds went, from the timings the batch recorded in its manifest
   (:func:`batch_phases`), and the share of worker start-up and checksums;
2. **the main job**: the README's ``pactsim batch experiments/counterfactuals.toml`` with its
   figures (``main_job_seconds``; ``main_job_phases``: runs, consolidation, figures and the
   rest -- planning, folder, publishing), in a temporary folder;
3. **single**: one run per model instance (R = 1), repeated a few hundred times in this
   process -- the model alone (no outcomes, no writing), the cheapest a one-run-at-a-time
   loop can be (``single_run_ms``: the median). Each model is released after use (Mesa 3.3.1
   keeps models alive); then the dashboard's Reset and a full run of its 20 runs
   (``dashboard_reset_run_s``, the median);
4. **chunk sweep**: one core, in this process, a chunk's whole work (model, outcome table,
   packed trajectories and Parquet rows) at several chunk sizes R: wall microseconds per
   run-month, and the model's share of it.

``speedup`` is vectorised runs/s of the 10,000-run batch over single runs/s; ``speedup_per_core``
divides it by the number of workers. ``load_average`` is the machine's 1-minute load when the
bench started and ended: on shared cores every number is slower, the ratios still compare.
``--profile 1,2000`` prints, instead, a cProfile of the month step at R = 1 and at a chunk
of 2,000 runs (:func:`model.cli.bench_profile.profile_months`): where the time of one month goes.
``--quick`` (under a minute) leaves out the 100k batch, times fewer single runs and a shorter
sweep, and runs the main job at 100 replications per scenario (``main_job_runs`` says).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import UserError
from model.files.scenario import shipped
from model.store.manifest import read_manifest

TARGETS = {  # from the issues (20 and before); reported, never enforced
    "seconds_10k": ("<=", 5.0),
    "seconds_100k": ("<=", 45.0),
    "peak_memory_mb_100k": ("<", 4096.0),
    "us_per_run_month": ("<=", 5.0),
    "speedup": (">=", 10.0),
    "main_job_seconds": ("<=", 15.0),
    "single_run_ms": ("<=", 20.0),
    "dashboard_reset_run_s": ("<=", 0.3),
}


def label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


# The watcher: sums the PSS of a process and its descendants (but itself) until told to stop
# on stdin, then prints the peak in MB.
WATCHER = """
import select, sys, psutil
root, me, interval = psutil.Process(int(sys.argv[1])), psutil.Process(), float(sys.argv[2])
peak = 0.0
print("watching", flush=True)
while True:
    total = 0
    for p in (root, *root.children(recursive=True)):
        if p.pid != me.pid:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                pass
    peak = max(peak, total / 2**20)
    if select.select([sys.stdin], [], [], interval)[0]:
        break
print(peak, flush=True)
"""


class PeakMemory:
    """Peak memory (MB) of this process and all its descendants: the sum of their
    proportional set sizes (PSS, so pages a forked worker shares with its parent count
    once), sampled every 50 ms by a small watcher process -- not a thread, which would
    make the batch's process pool give up forking (see PoolExecutor)."""

    def __init__(self, interval_s: float = 0.05):
        self.interval_s = interval_s
        self.peak_mb = 0.0

    def __enter__(self) -> PeakMemory:
        import subprocess
        import sys

        self._watcher = subprocess.Popen(
            [sys.executable, "-c", WATCHER, str(os.getpid()), str(self.interval_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._watcher.stdout is not None
        self._watcher.stdout.readline()  # "watching": the first sample is taken
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._watcher.communicate("stop\n", timeout=60)
        self.peak_mb = float(out.strip().splitlines()[-1])


def start_forkserver_as_batch(figures: bool) -> bool:
    """Start the fork server as ``pactsim batch`` does when it starts (model.cli.batch),
    with the batch workers' modules (and the figures', for the main job) preloaded: its
    imports then overlap the first batch's planning, and every pool of the bench forks its
    workers from it, as every pool of one ``pactsim batch`` does."""
    from model.batch.executors import PRELOAD, start_forkserver

    preload: tuple[str, ...] = PRELOAD
    if figures:
        from model.presentation.figure_pool import PRELOAD as FIGURE_PRELOAD

        preload += FIGURE_PRELOAD
    return start_forkserver(preload)


def bench_single(scenario_path: Path, n: int, seed: int) -> dict[str, float]:
    """R = 1, repeated: n model instances of one run each (total and median seconds)."""
    from model.engine.runner import draw_uniforms, simulate
    from model.engine.simulation import released_models
    from model.files.scenario import load

    scenario = load(scenario_path)
    simulate(scenario, n_runs=1, seed=seed, sample=False)  # warm up
    times = []
    for i in range(n):
        reps = np.array([i])
        uniforms = draw_uniforms(scenario, seed, reps)
        with released_models():
            t0 = time.perf_counter()
            simulate(
                scenario, n_runs=1, seed=seed, replications=reps, sample=True, uniforms=uniforms
            )
            times.append(time.perf_counter() - t0)
    seconds = float(np.sum(times))
    return {
        "runs": n,
        "seconds": seconds,
        "runs_per_second": n / seconds,
        "median_ms": 1e3 * float(np.median(times)),
    }


def bench_dashboard(repeats: int, seed: int = 0) -> float:
    """The dashboard's Reset (a new model from the controls: the baseline, 20 runs) and a
    full run through the window: median seconds of ``repeats`` (after one that fills the
    baseline reference's cache)."""
    from model.engine.simulation import released_models
    from model.presentation.dashboard import DashboardModel

    def reset_and_run() -> float:
        with released_models():
            t0 = time.perf_counter()
            model = DashboardModel(seed=seed)
            while model.running:
                model.step()
            return time.perf_counter() - t0

    reset_and_run()
    return float(np.median([reset_and_run() for _ in range(repeats)]))


def bench_main_job(
    root: Path, workers: int, replications: int | None, path: Path | None = None
) -> dict[str, Any]:
    """The README's main job: experiments/counterfactuals.toml (or ``path``) with its figures,
    through the real batch path (``replications`` None: as in the file), in a temporary folder."""
    from dataclasses import replace

    from model.batch.experiment import load_experiment
    from model.batch.run import run_batch, start_batch
    from model.presentation.figures import batch_figures

    experiment = load_experiment(path or MAIN_JOB)
    if replications is not None:
        experiment = replace(experiment, replications=replications)
    t0 = time.perf_counter()
    batch = start_batch(experiment, root / "main_job", workers, None, ["bench"])
    with contextlib.redirect_stdout(io.StringIO()):  # the figures' progress lines
        report = run_batch(batch, workers, None, figures=batch_figures, quiet=True)
    seconds = time.perf_counter() - t0
    if not report.ok:
        raise RuntimeError(f"the main job failed: {report.errors[:1]}")
    manifest = json.loads((report.path / "manifest.json").read_text())
    session = manifest["sessions"][-1]
    shutil.rmtree(report.path)
    runs = session.get("seconds_chunks", 0.0)
    consolidation = session.get("seconds_consolidate", 0.0)
    figures = session.get("seconds_figures", 0.0)
    return {
        "seconds": seconds,
        "replications": experiment.replications,
        "runs": len(batch.scenarios) * experiment.replications,
        "phases": {
            "runs": runs,
            "consolidation": consolidation,
            "figures": figures,
            "other": max(0.0, seconds - runs - consolidation - figures),
        },
        "figures": len(manifest.get("figures") or []),
    }


def bench_chunks(
    scenario_path: Path, sizes: list[int], runs: int, seed: int
) -> dict[int, dict[str, float]]:
    """One core: a chunk's whole work at several chunk sizes; µs per run-month."""
    from model.batch.experiment import DEFAULT_COMPRESSION, build_design, uncertain_paths
    from model.batch.plan import build_layout, preview
    from model.batch.worker import ChunkTask, run_chunk
    from model.files.scenario import load
    from model.store.folder import ChunkRef

    scenario = load(scenario_path)
    shape = preview(scenario)
    months = len(shape.months)
    paths = uncertain_paths([scenario])
    own = [p for p, _ in scenario.uncertain()]
    out = {}
    for size in sizes:
        total = max(size, runs)
        design = build_design("mc", total, seed, paths, {})
        layout = build_layout([scenario], [shape], None, total, size, DEFAULT_COMPRESSION)
        wall = model = 0.0
        for start in range(0, total, size):
            ref = ChunkRef(0, start // size, start, min(start + size, total))
            task = ChunkTask(
                ref, scenario, seed, design.uniforms(own, ref.start, ref.stop), paths, None, layout
            )
            t0 = time.perf_counter()
            result = run_chunk(task)
            wall += time.perf_counter() - t0
            model += result.info["seconds_model"]
        out[size] = {
            "runs": total,
            "us_per_run_month": 1e6 * wall / (total * months),
            "us_per_run_month_model": 1e6 * model / (total * months),
        }
    return out


def bench_batch(
    scenario_path: Path, runs: int, workers: int, seed: int, root: Path
) -> dict[str, Any]:
    """The real batch path, from an experiment file to the published result folder."""
    from model.batch.experiment import load_experiment
    from model.batch.run import run_batch, start_batch

    exp_path = root / f"bench_{runs}.toml"
    exp_path.write_text(
        f'name = "bench_{runs}"\nscenarios = ["{scenario_path}"]\nreplications = {runs}\n'
        f'sampler = "mc"\nseed = {seed}\nfigures = []\n'
    )
    out = root / f"bench_{runs}"
    with PeakMemory() as memory:
        t0 = time.perf_counter()
        batch = start_batch(load_experiment(exp_path), out, workers, None, ["bench"])
        report = run_batch(batch, workers, None, figures=None, quiet=True)
        seconds = time.perf_counter() - t0
    if not report.ok:
        raise RuntimeError(f"the {runs}-run bench batch failed: {report.errors[:1]}")
    size = sum(p.stat().st_size for p in report.path.rglob("*") if p.is_file())
    manifest = read_manifest(report.path)
    shutil.rmtree(report.path)
    return {
        "runs": runs,
        "seconds": seconds,
        "runs_per_second": runs / seconds,
        "peak_memory_mb": memory.peak_mb,
        "result_mb": size / 2**20,
        "chunk": batch.chunk,
        "cpu_seconds_model": manifest.get("cpu_seconds_model"),
        "phases": batch_phases(manifest, seconds),
    }


# the overheads issue 20 caps at 10 % of a batch: starting the workers and the checksums
OVERHEADS = ("workers_start", "part_checksums", "output_checksums", "final_checksums")


def batch_phases(manifest: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Where a batch's wall ``seconds`` went, from the timings the batch recorded in its
    manifest (its one session): planning, starting the workers, the chunks running (this
    process waiting for them, beside writing their parts), writing the parts and their
    checksums, consolidation, the checksums of the finished folder, and the rest (creating
    the folder, manifests, stopping the workers, publishing) -- they add up to ``seconds``.
    Consolidation writes the outcome files and trajectories.nc in two threads at once:
    ``consolidation_threads`` gives each one's seconds and their checksums'.
    ``overhead_share`` is the share of start-up and checksums (the consolidated files'
    counted whole, though they overlap the other thread); the workers' CPU seconds in the
    model, outcome tables and packing are beside (summed over chunks)."""
    session = manifest["sessions"][-1]

    def get(key: str) -> float:
        return float(session.get(f"seconds_{key}", 0.0))

    phases = {
        "plan": float(manifest.get("seconds_plan", 0.0)),
        "workers_start": get("workers_start"),
        "chunks": get("running_chunks") - get("writing_parts"),
        "writing_parts": get("writing_parts") - get("part_checksums"),
        "part_checksums": get("part_checksums"),
        "consolidation": get("consolidate"),
        "final_checksums": get("final_checksums"),
    }
    phases["other"] = max(0.0, seconds - sum(phases.values()))
    threads = {k: get(k) for k in ("consolidate_outcomes", "consolidate_trajectories")}
    threads["output_checksums"] = get("output_checksums")
    overhead = sum(phases[k] for k in OVERHEADS if k in phases) + threads["output_checksums"]
    cpu = {k: manifest.get(f"cpu_seconds_{k}") for k in ("model", "outcomes", "packing")}
    return {
        "seconds": phases,
        "consolidation_threads": threads,
        "overhead_share": overhead / seconds,
        "worker_cpu_seconds": cpu,
    }


def run_bench(
    sizes: list[int],
    single: int,
    sweep: list[int],
    sweep_runs: int,
    workers: int,
    seed: int = 0,
    main_job: int | None = None,
    dashboard: int = 5,
    main_job_file: Path | None = None,
) -> dict[str, Any]:
    """Every measurement, in one process: ``main_job`` None skips the main job, 0 runs it
    with the file's replications, N with N replications per scenario. Long because it runs
    the measurements in their order (the batches first, while this process is small) and
    gathers every key of the report in one place."""

    scenario_path = shipped("scenarios") / "baseline.toml"
    result: dict[str, Any] = {"workers": workers, "cores": os.cpu_count(), "scenario": "baseline"}
    load_start = os.getloadavg()
    result["forkserver"] = workers > 1 and start_forkserver_as_batch(main_job is not None)
    # the batches first, while this process is small
    root = Path(tempfile.mkdtemp(prefix="pactsim-bench-"))
    try:
        for n in sizes:
            b = bench_batch(scenario_path, n, workers, seed, root)
            key = label(n)
            result[f"seconds_{key}"] = b["seconds"]
            result[f"runs_per_second_{key}"] = b["runs_per_second"]
            result[f"peak_memory_mb_{key}"] = b["peak_memory_mb"]
            result[f"result_mb_{key}"] = b["result_mb"]
            result[f"chunk_{key}"] = b["chunk"]
            result[f"batch_phases_{key}"] = b["phases"]
        if main_job is not None:
            m = bench_main_job(root, workers, main_job or None, main_job_file)
            result.update(
                main_job_seconds=m["seconds"],
                main_job_phases=m["phases"],
                main_job_runs=m["runs"],
                main_job_figures=m["figures"],
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    s = bench_single(scenario_path, single, seed)
    result.update(
        runs_single=s["runs"],
        runs_per_second_single=s["runs_per_second"],
        seconds_per_run_single=s["seconds"] / s["runs"],
        single_run_ms=s["median_ms"],
    )
    if dashboard:
        result["dashboard_reset_run_s"] = bench_dashboard(dashboard, seed)
    chunks = bench_chunks(scenario_path, sweep, sweep_runs, seed)
    best = min(chunks, key=lambda k: chunks[k]["us_per_run_month"])
    result.update(
        best_chunk=best,
        us_per_run_month=chunks[best]["us_per_run_month"],
        us_per_run_month_model=chunks[best]["us_per_run_month_model"],
        chunk_sweep={str(k): round(v["us_per_run_month"], 3) for k, v in chunks.items()},
    )
    reference = "10k" if "runs_per_second_10k" in result else label(max(sizes))
    result["speedup_reference"] = reference
    result["speedup"] = result[f"runs_per_second_{reference}"] / result["runs_per_second_single"]
    result["speedup_per_core"] = result["speedup"] / workers
    usage = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )
    result["max_rss_mb_self"], result["max_rss_mb_largest_child"] = usage
    # the 1-minute load average of the machine when the bench started and when it ended
    # (a shared machine's numbers are slower; the ratios of one run still compare)
    result["load_average"] = {"start": load_start[0], "end": os.getloadavg()[0]}
    result["targets"] = {
        key: {"target": f"{op} {limit:g}", "met": _meets(result.get(key), op, limit)}
        for key, (op, limit) in TARGETS.items()
        if key in result
    }
    return result


def _meets(value: float | None, op: str, limit: float) -> bool | None:
    if value is None:
        return None
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]


def print_table(r: dict[str, Any], sizes: list[int]) -> None:
    single = r["runs_per_second_single"]
    print(f"pactsim bench: baseline, {r['workers']} worker(s) on {r['cores']} core(s)")
    print(
        f"  single runs (R = 1, model only):   {single:8.1f} runs/s  ({1e3 * r['seconds_per_run_single']:.1f} ms per run)"
    )
    sweep = ", ".join(f"R={k}: {v:.2f}" for k, v in r["chunk_sweep"].items())
    print(f"  one core, us per run-month:        {sweep}")
    print(
        f"  best chunk R = {r['best_chunk']}: {r['us_per_run_month']:.2f} us per run-month per core "
        f"({r['us_per_run_month_model']:.2f} of it the model)"
    )
    for n in sizes:
        k = label(n)
        rps = r[f"runs_per_second_{k}"]
        print(
            f"  batch {n:>7,} runs: {r[f'seconds_{k}']:7.2f} s  {rps:8.0f} runs/s  {rps / single:6.1f}x single  "
            f"peak {r[f'peak_memory_mb_{k}']:6.0f} MB  result {r[f'result_mb_{k}']:6.1f} MB  (chunk {r[f'chunk_{k}']})"
        )
    for n in sizes:
        b = r[f"batch_phases_{label(n)}"]
        phases = ", ".join(f"{k} {v:.2f}" for k, v in b["seconds"].items() if v >= 0.005)
        print(
            f"  batch {n:>7,} runs by phase (s): {phases}; start-up and checksums "
            f"{100 * b['overhead_share']:.1f} %"
        )
    print(
        f"  speedup ({r['speedup_reference']} batch over single): {r['speedup']:.1f}x ({r['speedup_per_core']:.1f}x per core)"
    )
    if "main_job_seconds" in r:
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["main_job_phases"].items())
        print(
            f"  main job ({r['main_job_runs']:,} runs, {r['main_job_figures']} figures): "
            f"{r['main_job_seconds']:.1f} s ({phases})"
        )
    print(f"  one run (R = 1), median: {r['single_run_ms']:.1f} ms")
    if "dashboard_reset_run_s" in r:
        print(f"  dashboard Reset and a full run: {r['dashboard_reset_run_s']:.2f} s")
    load = r["load_average"]
    print(f"  load average (1 min): {load['start']:.2f} at the start, {load['end']:.2f} at the end")
    for key, t in r["targets"].items():
        print(f"  target {key} {t['target']}: {'met' if t['met'] else 'NOT met'} ({r[key]:.2f})")


# ---------------------------------------------------------------------------------------
# pactsim bench
# ---------------------------------------------------------------------------------------
MAIN_JOB = shipped("experiments") / "counterfactuals.toml"
QUICK: dict[str, Any] = {"sizes": "1000,10000", "single": 30, "sweep": "1000,2000", "sweep_runs": 2000,
         "main_job_replications": 100, "dashboard": 3}  # fmt: skip
FULL: dict[str, Any] = {"sizes": "1000,10000,100000", "single": 200, "sweep": "250,500,1000,2000,4000",
        "sweep_runs": 4000, "main_job_replications": 0, "dashboard": 5}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="under a minute: no 100k batch, fewer single runs, a shorter sweep, the main job "
        "at 100 replications per scenario",
    )
    parser.add_argument(
        "--sizes", default=None, help=f"runs per batch, comma-separated (default {FULL['sizes']})"
    )
    parser.add_argument(
        "--single",
        type=int,
        default=None,
        help=f"single runs (one model each) to time (default {FULL['single']})",
    )
    parser.add_argument(
        "--sweep",
        default=None,
        help=f"chunk sizes for the one-core sweep (default {FULL['sweep']})",
    )
    parser.add_argument(
        "--sweep-runs",
        type=int,
        default=None,
        help=f"runs per chunk size in the sweep (default {FULL['sweep_runs']})",
    )
    parser.add_argument(
        "--main-job-replications",
        type=int,
        default=None,
        metavar="N",
        help="the main job (experiments/counterfactuals.toml with its figures) at N "
        "replications per scenario (default: as in the file; --quick: 100)",
    )
    parser.add_argument("--no-main-job", action="store_true", help="skip the main job")
    parser.add_argument(
        "--main-job-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="another experiment file as the main job (default experiments/counterfactuals.toml)",
    )
    parser.add_argument(
        "--dashboard", type=int, default=None, metavar="N",
        help="dashboard Reset-and-run repetitions to time (0: skip; default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--profile",
        default=None,
        metavar="R,...",
        help="instead of the measurements: a cProfile of the baseline's month step at each "
        "chunk size R, e.g. 1,2000 (one run, and the best chunk of the sweep)",
    )


def _sizes(text: str, option: str) -> list[int]:

    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UserError(
            f"{option} expects whole numbers separated by commas, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise UserError(f"{option} expects positive whole numbers, got {text!r}")
    return values


def main(args: argparse.Namespace) -> int:
    from model.batch.executors import default_workers

    if args.profile is not None:
        from model.cli.bench_profile import profile_months

        print(profile_months(_sizes(args.profile, "--profile")), end="")
        return 0
    defaults = QUICK if args.quick else FULL
    opt = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in defaults.items()}
    sizes, sweep = _sizes(opt["sizes"], "--sizes"), _sizes(opt["sweep"], "--sweep")
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1 or opt["single"] < 1 or opt["sweep_runs"] < 1:
        raise UserError("--workers, --single and --sweep-runs must be at least 1")
    if opt["main_job_replications"] < 0 or opt["dashboard"] < 0:
        raise UserError("--main-job-replications and --dashboard must be 0 or more")
    main_job = None if args.no_main_job else opt["main_job_replications"]
    result = run_bench(
        sizes, opt["single"], sweep, opt["sweep_runs"], workers, 0, main_job, opt["dashboard"],
        args.main_job_file,
    )  # fmt: skip
    if args.json:
        print(json.dumps(_rounded(result), indent=1))
    else:
        print_table(result, sizes)
    return 0


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
