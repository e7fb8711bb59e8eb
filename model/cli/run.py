"""``pactsim run``: one scenario, a deterministic run or N Monte Carlo runs, into a result folder.

The figures come from the presentation layer's writer that ``model.cli`` passes down as
``args.figure_writers``; without it (called as a library) no figures are drawn.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.cli.arguments import check_runs, check_seed
from model.errors import UserError
from model.files.limits import available_memory, size_text
from model.files.scenario import Scenario, load
from model.world.goods import critical_goods
from model.world.randomness import DEFAULT_SEED

if TYPE_CHECKING:  # the engine and the store load once the scenario is read and checked
    import pandas as pd

    from model.engine.runner import RunResult


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("scenario", help="scenario file, e.g. scenarios/baseline.toml")
    parser.add_argument(
        "--runs", type=int, default=1, help="number of runs (Monte Carlo over the distributions)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed")
    parser.add_argument(
        "--out", type=Path, default=None, help="result folder (default results/<scenario>-<time>)"
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")


def main(args: argparse.Namespace) -> int:
    check_runs(args.runs)
    check_seed(args.seed)
    scenario = load(args.scenario)
    check_run_memory(scenario, args.runs)
    from model.engine.outcomes import outcomes_table
    from model.engine.runner import simulate
    from model.store.results import ResultFolder

    n_uncertain = len(scenario.uncertain())
    if args.runs == 1 and n_uncertain:
        print(f"one deterministic run: {n_uncertain} uncertain parameters at their central values")
    folder = ResultFolder.create(args.out, scenario.name)
    with folder.writing(
        command=["run", *sys.argv[2:]], seed=args.seed, scenarios=[scenario]
    ) as out:
        result = simulate(scenario, n_runs=args.runs, seed=args.seed)
        table = outcomes_table(result)
        table.insert(0, "scenario", scenario.name)
        out.write_outcomes(table)
        out.write_trajectories(result.file_dataset())
        writers = getattr(args, "figure_writers", None)  # handed down by model.cli
        if writers and not args.no_figures:
            out.manifest["figures"] = writers.run(out.path, result)
    for line in summary_lines(result, table):
        print(line)
    print(f"results: {folder.path}")
    return 0


BATCH_ADVICE = "`pactsim batch`, which writes the runs to disk chunk by chunk"


def check_run_memory(scenario: Scenario, runs: int, advice: str = BATCH_ADVICE) -> None:
    """Refuse ``--runs`` whose trajectories the machine's memory cannot hold, before any run
    (``pactsim run`` and ``pactsim validate`` keep every run's series in memory; a batch
    streams them to disk); ``advice``: what to do instead, after "fewer runs, or"."""
    if runs <= 100:
        return
    free = available_memory()
    # a floor from the file's numbers alone (4 float64 series by good: stock, shortage, demand,
    # consumption), before the engine is imported; the model's own allocation refines it
    per_run = 4 * 8 * scenario.month_good_cells()
    if per_run * runs <= free:
        from model.engine.runner import memory_per_run

        per_run = memory_per_run(scenario)
    need = per_run * runs
    if need > free:
        raise UserError(
            f"--runs {runs:,}: {runs:,} runs of {scenario.name} need ~{size_text(need)} of memory "
            f"(~{size_text(per_run)} per run); {size_text(free)} is available: fewer runs, or "
            f"{advice}"
        )


def binding_line(result: RunResult) -> str:
    """What limited Soviet deliveries of the binding goods (oil, grain: analysis.metrics), over
    the months the treaties were in force."""
    from model.actors.soviet_policy import describe_binding
    from model.analysis.metrics import BINDING_GOODS

    trading = np.asarray(result.trajectory["treaties_in_force"]) > 0  # (month, run)
    parts = []
    for good in BINDING_GOODS:
        if good in result.goods:
            codes = result.trajectory["binding"][:, :, result.goods.index(good)][trading]
            parts.append(f"{good}: {describe_binding(codes)}")
    return "what limited Soviet deliveries (share of treaty months) -- " + "; ".join(parts)


def summary_lines(result: RunResult, table: pd.DataFrame) -> list[str]:
    """A few lines for the terminal: stock-outs, suspensions, arrears."""
    lines = [
        f"scenario {result.scenario.name}: {result.n_runs} run(s), {result.months[0]} to {result.months[-1]}"
    ]
    crit = critical_goods(result.scenario.data.get("goods", {}))
    parts = []
    for good in crit:
        col = table.get(f"stockout_{good}")
        if col is None:
            continue
        hit = col.dropna()
        if hit.empty:
            parts.append(f"{good}: not before {result.months[-1]}")
        else:
            share = len(hit) / len(col)
            median = sorted(hit)[len(hit) // 2]
            parts.append(
                f"{good}: {median}" + (f" (in {share:.1%} of runs)" if len(col) > 1 else "")
            )
    lines.append("first month German stocks run out -- " + "; ".join(parts))
    susp = result.trajectory["suspended"]
    months = [result.months[t] for t in range(len(result.months)) if susp[t].mean() >= 0.5]
    lines.append(
        "Soviet suspensions (months in most runs): "
        + (", ".join(months) if months else "none")
        + f"; mean {table['suspension_months'].mean():.1f} months per run"
    )
    if "binding" in result.trajectory:
        lines.append(binding_line(result))
    arrears = result.trajectory["arrears_rm"]
    peak_t = int(np.median(arrears, axis=1).argmax())
    lines.append(
        f"German arrears: {np.median(arrears[peak_t]) / 1e6:.0f} M RM at their peak ({result.months[peak_t]}); "
        f"clearing balance at the end {np.median(table['clearing_balance_rm']) / 1e6:.0f} M RM (median)"
    )
    return lines
