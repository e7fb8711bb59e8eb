"""``pactsim report RESULT_DIR``: figures and a report from a result folder
(what they hold is :mod:`model.presentation.report`'s).
"""

from __future__ import annotations

import argparse

from model.analysis.compare import load_results
from model.cli.arguments import check_seed
from model.cli.compare import add_result_arguments
from model.errors import UserError
from model.presentation.report import write_report


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_result_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap intervals")
    parser.add_argument(
        "--redraw",
        action="store_true",
        help="draw every figure again (by default the figures the batch drew are reused)",
    )


def main(args: argparse.Namespace) -> int:
    from model.batch.executors import default_workers, start_forkserver
    from model.presentation.figure_pool import PRELOAD

    check_seed(args.seed)
    if default_workers() > 1:  # the figure workers' imports, while the results are read
        start_forkserver(PRELOAD)
    results = load_results(args.result)
    if args.baseline is None:
        names = results.scenarios
        args.baseline = "baseline" if "baseline" in names or not names else names[0]
    if results.scenarios and args.baseline not in results.scenarios:
        # also in a folder of one scenario (a `pactsim run`), where nothing is compared: a name
        # the user typed that the folder lacks is a mistake, not a default to ignore
        raise UserError(
            f"{args.result}: no scenario {args.baseline!r} to compare against; "
            f"scenarios are: {', '.join(results.scenarios)}"
        )
    print(
        f"pactsim report: {'redrawing every figure' if args.redraw else 'reusing the figures in figures/ (--redraw draws them again)'}, "
        "then report.md, report.html and paired_differences.csv",
        flush=True,
    )
    paths = write_report(args.result, args.baseline, args.seed, redraw=args.redraw)
    drawn, kept = paths.pop("figures_drawn"), paths.pop("figures_kept")
    print(f"figures in {args.result / 'figures'}: {len(drawn)} drawn, {len(kept)} reused")
    for kind in ("html", "md", "csv"):
        if kind in paths:
            print(f"{kind}: {paths[kind]}")
    return 0
