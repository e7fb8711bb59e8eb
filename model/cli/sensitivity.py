"""``pactsim sensitivity``: run a Sobol or Morris design, analyse it and print the indices
(the design, its runs and the analysis are :mod:`model.analysis.sensitivity`'s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.batch.experiment import DEFAULT_CHUNK, check_design_size, load_experiment
from model.cli import terminal
from model.errors import UserError
from model.files.scenario import parse_toml

if TYPE_CHECKING:  # the analysis (pandas, SALib, the engine) loads once the file is checked
    import pandas as pd

    from model.analysis.sensitivity import SensitivitySpec
    from model.batch.experiment import Design


def print_indices(
    indices: pd.DataFrame, method: str, outcomes: Sequence[str], top: int = 10
) -> None:
    from rich.table import Table

    from model.analysis.sensitivity import ranking_key, shown_outcomes

    console = terminal.console()
    key = ranking_key(method)
    cols = (
        (("S1", "S1_conf"), ("ST", "ST_conf"))
        if method == "sobol"
        else (("mu_star", "mu_star_conf"), ("sigma", None))
    )
    shown = {s: shown_outcomes(indices, method, outcomes, s) for s in indices["scenario"].unique()}
    for (scenario, outcome), part in indices.groupby(["scenario", "outcome"], sort=False):
        if outcome not in shown[scenario]:
            continue
        note = str(part["note"].iloc[0]) if isinstance(part["note"].iloc[0], str) else ""
        t = Table(
            title=f"{scenario}: {outcome}" + (f" -- {note}" if note else ""), title_justify="left"
        )
        t.add_column("parameter")
        for c, _ in cols:
            t.add_column(c, justify="right")
        for _, r in part.sort_values(key, ascending=False).head(top).iterrows():
            t.add_row(
                str(r["parameter"]),
                *[f"{r[c]:.3f}" + (f" ± {r[conf]:.3f}" if conf else "") for c, conf in cols],
            )
        console.print(t)
    rest = [o for o in outcomes if not any(o in v for v in shown.values())]
    if rest:
        console.print(
            f"{len(rest)} more outcome(s) in indices.csv (constant ones have a note): {', '.join(rest[:8])}{' ...' if len(rest) > 8 else ''}"
        )


# ---------------------------------------------------------------------------------------
# pactsim sensitivity
# ---------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "experiment",
        type=Path,
        metavar="EXPERIMENT.toml",
        help="e.g. experiments/sensitivity_oil.toml",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="result folder (default results/<name>-<time>)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per core)"
    )
    parser.add_argument(
        "--chunk", type=int, default=None, help=f"runs per model instance (default {DEFAULT_CHUNK})"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://host:8786",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def main(args: argparse.Namespace) -> int:
    precheck(Path(args.experiment))
    import pandas as pd

    from model.analysis.sensitivity import analyse_all, load_spec, resolve_outcomes, run_design
    from model.batch.experiment import build_design
    from model.store.results import ResultFolder

    spec = load_spec(args.experiment)
    workers, chunk = _workers_and_chunk(args, spec)

    outcomes = resolve_outcomes(spec)  # the size again, with the columns the patterns match
    per_run = 16 * (len(spec.parameters) + len(outcomes))  # parameters and outcomes kept
    check_design_size(spec.experiment, len(spec.parameters), len(spec.scenarios), per_run)
    e = spec.experiment
    design = build_design(spec.method, e.replications, e.seed, spec.parameters, spec.options)
    total = design.n_runs * len(spec.scenarios)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))
    say(
        f"{spec.method}: {len(spec.parameters)} parameters, N = {spec.experiment.replications}, "
        f"{len(outcomes)} outcome(s), scenario(s) {', '.join(s.name for s in spec.scenarios)}: "
        f"{total:,} runs in chunks of {chunk} on {workers} worker(s)"
    )
    folder = ResultFolder.create(args.out, spec.experiment.name)
    t0 = time.perf_counter()
    progress = _progress_printer(say, total, t0)
    command = ["sensitivity", *sys.argv[2:]]
    with folder.writing(
        command=command,
        seed=spec.experiment.seed,
        scenarios=list(spec.scenarios),
        **_manifest_extra(spec, design, outcomes),
    ) as out:
        runs = run_design(spec, design, outcomes, chunk, workers, progress, args.scheduler)
        seconds = time.perf_counter() - t0
        indices = analyse_all(spec, design, runs, outcomes)
        pd.DataFrame(design.points, columns=list(spec.parameters)).to_parquet(
            out.path / "design.parquet", index=False
        )
        out.write_outcomes(runs)
        indices.to_csv(out.path / "indices.csv", index=False)
        writers = getattr(args, "figure_writers", None)  # handed down by model.cli
        figures = writers.sensitivity(out.path, spec, indices, outcomes) if writers else []
        out.manifest.update(
            runs=total,
            seconds_runs=round(seconds, 1),
            runs_per_second=round(total / seconds),
            seconds_total=round(time.perf_counter() - t0, 1),
            figures=[p.name for p in figures],
        )
    print_indices(indices, spec.method, outcomes)
    print(f"{total:,} runs in {seconds:.1f} s ({total / seconds:,.0f} runs/s, {workers} worker(s))")
    print(f"results: {folder.path}")
    return 0


def precheck(path: Path) -> None:
    """The file and the design's size from its numbers (the runs, the design, what is kept
    per run), before the analysis is imported; :func:`main` checks again with the outcomes
    the patterns match."""
    experiment = load_experiment(path)
    if experiment.sampler not in ("sobol", "morris"):
        return  # load_spec says what is wrong
    scenarios = experiment.load_scenarios()
    listed = parse_toml(experiment.text, experiment.path).get("sensitivity", {})
    parameters = listed.get("parameters") if isinstance(listed, dict) else None
    n = len(parameters) if isinstance(parameters, list) else None
    from model.batch.experiment import uncertain_paths

    d = n if n else len(uncertain_paths(scenarios))
    per_run = 16 * (d + len(experiment.outcomes or ()))
    check_design_size(experiment, d, len(scenarios), per_run)


def _workers_and_chunk(args: argparse.Namespace, spec: SensitivitySpec) -> tuple[int, int]:
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    chunk = args.chunk if args.chunk is not None else (spec.experiment.chunk or DEFAULT_CHUNK)
    if chunk < 1:
        raise UserError(f"--chunk must be at least 1, got {chunk}")
    return workers, chunk


def _progress_printer(say: Callable[[str], None], total: int, t0: float) -> Callable[[int], None]:
    """A progress callback that says how far the runs are at every tenth."""
    done, marks = [0], [1]

    def progress(k: int) -> None:
        done[0] += k
        while marks[0] <= 10 and done[0] >= total * marks[0] / 10:
            say(f"  {done[0]:,} / {total:,} runs ({time.perf_counter() - t0:.0f} s)")
            marks[0] += 1

    return progress


def _manifest_extra(
    spec: SensitivitySpec, design: Design, outcomes: Sequence[str]
) -> dict[str, Any]:
    """What the manifest records of a sensitivity experiment beyond a batch's fields."""
    return {
        "kind": "sensitivity",
        "experiment": {
            "name": spec.experiment.name,
            "file": str(spec.experiment.path),
            "description": spec.experiment.description,
            "method": spec.method,
            "N": spec.experiment.replications,
            "options": dict(spec.options),
            "parameters": list(spec.parameters),
            "outcomes": outcomes,
            "confidence": spec.confidence,
            "resamples": spec.resamples,
            "shocks": spec.shocks,
        },
        "design": design.describe(),
    }
