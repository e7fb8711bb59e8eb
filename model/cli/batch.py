"""``pactsim batch``: run an experiment file, or resume an interrupted batch.

The figures come from the presentation layer's writer that ``model.cli`` passes down as
``args.figure_writers``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# light modules only at import: a batch refused by its file or its size never loads the
# engine, the store or Dask (the heavy modules are imported once the checks have passed)
from model.batch.executors import (
    DASK_WORKER_TIMEOUT_S,
    PRELOAD,
    default_workers,
    start_forkserver,
)
from model.batch.experiment import (
    DEFAULT_CHUNK,
    check_design_size,
    load_experiment,
    uncertain_paths,
)
from model.batch.preflight import check_figure_names, check_room, disk_floor
from model.cli import terminal
from model.errors import UserError

if TYPE_CHECKING:
    from model.batch.run import Batch


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
    parser.add_argument(
        "--dask-worker-timeout",
        type=float,
        default=DASK_WORKER_TIMEOUT_S,
        metavar="SECONDS",
        help=f"with --scheduler: fail (resumably) after this long with no worker (default {DASK_WORKER_TIMEOUT_S:g})",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--force", action="store_true", help="start even if the disk looks too small for the batch"
    )


def resumed(args: argparse.Namespace) -> Batch | None:
    """The batch ``--resume DIR`` names (None if it is complete already)."""
    if args.experiment is not None or args.chunk is not None or args.out is not None:
        raise UserError(
            "--resume DIR takes the experiment, chunk and folder recorded in DIR; drop the other arguments"
        )
    from model.batch.run import reopen_batch

    batch = reopen_batch(args.resume)
    if isinstance(batch, Path):
        print(f"{batch} is complete; nothing to resume")
        return None
    from model.store.results import code_version

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
    return batch


def started(args: argparse.Namespace, workers: int) -> Batch:
    """A new batch of the experiment file: checked, planned, its folder created."""
    if args.experiment is None:
        raise UserError("name an experiment file (e.g. experiments/smoke.toml) or --resume DIR")
    experiment = load_experiment(args.experiment)
    if not args.no_figures:
        known = getattr(args, "figure_names", None)  # model.cli hands down a function
        check_figure_names(experiment, known() if callable(known) and experiment.figures else known)
    scenarios = experiment.load_scenarios()  # the size from the numbers, before any import
    runs = check_design_size(experiment, len(uncertain_paths(scenarios)), len(scenarios))
    check_room(disk_floor(experiment, scenarios, runs), args.force, args.out, quiet=True)
    figures = not args.no_figures and experiment.figures != ()
    if workers > 1 or figures:  # the fork server's imports overlap the planning below
        from model.presentation.figure_pool import PRELOAD as FIGURE_PRELOAD

        start_forkserver(PRELOAD + (FIGURE_PRELOAD if figures else ()))
    from model.batch.run import start_batch

    batch = start_batch(
        experiment,
        args.out,
        workers,
        args.chunk,
        ["batch", *sys.argv[2:]],
        room=lambda estimate: check_room(estimate, args.force, args.out),
    )
    n = len(batch.scenarios)
    try:
        print(
            f"batch {experiment.name}: {n} scenario(s) x {batch.design.n_runs} runs ({experiment.sampler}), "
            f"chunks of {batch.chunk}; writing {batch.folder.path}",
            flush=True,
        )
    except BrokenPipeError:  # stdout closed before any run: no partial folder is left behind
        shutil.rmtree(batch.folder.path, ignore_errors=True)
        raise
    return batch


def main(args: argparse.Namespace) -> int:

    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if args.chunk is not None and args.chunk < 1:
        raise UserError(f"--chunk must be at least 1, got {args.chunk}")
    if not args.dask_worker_timeout > 0:
        raise UserError(f"--dask-worker-timeout must be positive, got {args.dask_worker_timeout}")
    batch = resumed(args) if args.resume is not None else started(args, workers)
    if batch is None:
        return 0
    from model.batch.run import process_seconds, run_batch, summary_line
    from model.store.folder import FolderInUse, final_path

    final = final_path(batch.folder.path)
    writers = getattr(args, "figure_writers", None)  # handed down by model.cli
    figures = None if args.no_figures or writers is None else writers.batch
    try:
        with terminal.spared_stderr():  # progress on a closed stderr must not end the batch
            report = run_batch(
                batch,
                workers,
                args.scheduler,
                figures=figures,
                quiet=args.quiet,
                dask_worker_timeout=args.dask_worker_timeout,
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
    print(summary_line(report, batch.manifest, process_seconds()))
    print(f"results: {report.path}")
    return 0
