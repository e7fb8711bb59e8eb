"""``pactsim compare``: the paired comparison of a result folder as a terminal table,
JSON records or CSV (the statistics are :mod:`model.analysis.compare`'s).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.analysis.compare import (
    CONFIDENCE,
    N_RESAMPLES,
    BatchResults,
    compare,
    fmt,
    fmt_diff,
    fmt_interval,
    fmt_level,
    load_results,
    method_lines,
)
from model.analysis.metrics import HEADLINE_COLUMNS
from model.errors import UserError
from model.store.results import frozen_data


def print_table(table: pd.DataFrame, show_all: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    level = f"{table.attrs.get('confidence', CONFIDENCE):.0%} interval"
    for scenario, part in table.groupby("scenario", sort=False):
        n = int(part["n_pairs"].iloc[0])
        t = Table(
            title=f"{scenario} vs {table.attrs.get('baseline', 'baseline')} ({n} paired runs)",
            title_justify="left",
        )
        t.add_column("outcome, unit", no_wrap=True)
        for col in ("baseline", "scenario", "difference", level):
            t.add_column(col, justify="right", no_wrap=True)
        t.add_column("note", min_width=32)
        for _, row in part.iterrows():
            if not show_all and _negligible(row):
                continue
            t.add_row(
                f"{row['label']}, {row['unit']}",
                fmt_level(row, "baseline"),
                fmt_level(row, "scenario"),
                fmt_diff(row),
                fmt_interval(row),
                row["note"],
                style="bold" if row["excludes_zero"] else None,
            )
        console.print(t)
    console.print(
        "bold: the interval excludes 0; rows zero in both scenarios are hidden (--all shows them)."
    )
    for line in method_lines(table):
        console.print(line, highlight=False)


# ---------------------------------------------------------------------------------------
# the headline table: one line per scenario (the default)
# ---------------------------------------------------------------------------------------


def scenario_titles(results: BatchResults, names: list[str]) -> dict[str, str]:
    """Each scenario's ``title`` from the copy a batch keeps of it (its name if none)."""
    return {name: str(frozen_data(results.path, name).get("title", name)) for name in names}


def _signed(x: float, unit: str) -> str:
    return "n/a" if not np.isfinite(x) else ("+" if x > 0 else "") + fmt(x, unit)


def _difference(row: dict[str, Any]) -> str:
    """``+2.1* [+1.8, +2.4]``: the paired difference, * if its interval excludes 0."""
    star = "*" if row["excludes_zero"] else ""
    lo, hi, unit = row["ci_low"], row["ci_high"], row["unit"]
    return f"{_signed(row['difference'], unit)}{star} [{_signed(lo, unit)}, {_signed(hi, unit)}]"


def _share(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.0%}"


def _cell(rows: dict[str, dict[str, Any]], outcome: str, baseline: bool) -> str:
    row = rows.get(outcome)
    if row is None:
        return "n/a"
    if "share_out_baseline" in row and np.isfinite(row.get("share_out_baseline", np.nan)):
        if baseline:
            return f"{row['baseline_month']} ({_share(row['share_out_baseline'])} of runs)"
        share = rows.get(f"{outcome}:share")
        moved = ""
        if share is not None:
            star = "*" if share["excludes_zero"] else ""
            moved = f", {_signed(share['difference'], 'pts')}{star} pts"
        return f"{_difference(row)} ({_share(row['share_out_scenario'])}{moved})"
    if baseline:
        return fmt_level(row, "baseline")
    return _difference(row)


def headline_lines(table: pd.DataFrame, titles: dict[str, str]) -> list[str]:
    """README's table: a line of baseline levels, then one line per scenario, Markdown."""
    baseline = table.attrs.get("baseline", "baseline")
    by_scenario = {
        name: {str(r["outcome"]): r for r in part.to_dict(orient="records")}
        for name, part in table.groupby("scenario", sort=False)
    }
    present = [(o, h) for o, h in HEADLINE_COLUMNS if any(o in r for r in by_scenario.values())]
    header = ["scenario", *[h for _, h in present]]
    first = next(iter(by_scenario.values()), {})
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        f"| **{baseline}** ({titles.get(baseline, baseline)}): level | "
        + " | ".join(_cell(first, o, True) for o, _ in present)
        + " |",
    ]
    for name, rows in by_scenario.items():
        cells = [_cell(rows, o, False) for o, _ in present]
        lines.append(f"| {name} ({titles.get(name, name)}) | " + " | ".join(cells) + " |")
    return lines


def print_headline(table: pd.DataFrame, titles: dict[str, str]) -> None:
    level = f"{table.attrs.get('confidence', CONFIDENCE):.0%}"
    n = int(table["n_pairs"].min()) if len(table) else 0
    for line in headline_lines(table, titles):
        print(line)
    print(
        f"\nEach cell: paired difference, scenario minus {table.attrs.get('baseline', 'baseline')} "
        f"(mean; median shift for the month a good runs out), its {level} bootstrap interval, "
        f"over {n:,} paired runs; * the interval excludes 0. Runs out: the median shift of the "
        "stock-out month in months (censored at the window's end), then the share of runs that "
        "run out and its change in percentage points. Every outcome: `--full`; terms: "
        "docs/glossary.md."
    )


def _negligible(row: pd.Series) -> bool:
    if row["group"] == "runs out" and row["unit"] == "months":
        return False
    values = [row["baseline"], row["scenario_value"], row["difference"]]
    return all(np.isfinite(v) and abs(v) < 1e-9 for v in values)


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN becomes null."""
    out = []
    for row in table.to_dict(orient="records"):
        out.append(
            {
                k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in row.items()
            }
        )
    return out


# ---------------------------------------------------------------------------------------
# pactsim compare
# ---------------------------------------------------------------------------------------
def add_result_arguments(parser: argparse.ArgumentParser) -> None:
    """RESULT_DIR and --baseline, shared by ``compare`` and ``report``."""
    parser.add_argument(
        "result", type=Path, metavar="RESULT_DIR", help="a result folder of `pactsim batch`"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="the scenario the others are compared with (default: baseline, or the "
        "experiment's first scenario if it has none, e.g. long_baseline)",
    )


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    add_result_arguments(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the rows as JSON instead of a table"
    )
    parser.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the rows to a CSV file"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    parser.add_argument("--resamples", type=int, default=N_RESAMPLES, help="bootstrap resamples")
    parser.add_argument(
        "--confidence", type=float, default=CONFIDENCE, help="interval level, e.g. 0.9"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="one table per scenario with every outcome, instead of one line per scenario",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="with --full: also show outcomes that are zero in both scenarios",
    )


def main(args: argparse.Namespace) -> int:

    if args.resamples < 100:
        raise UserError(f"--resamples must be at least 100, got {args.resamples}")
    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence must lie between 0 and 1, got {args.confidence}")
    results = load_results(args.result)
    reference = args.baseline
    if reference is None:
        names = results.scenarios
        reference = "baseline" if "baseline" in names or not names else names[0]
    table = compare(results, reference, args.seed, args.resamples, args.confidence)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    if args.json:
        payload = {
            "method": method_lines(table),
            **{k: v for k, v in table.attrs.items()},
            "rows": records(table),
        }
        print(json.dumps(payload, indent=1, default=str))
    elif args.full:
        print_table(table, show_all=args.all)
    else:
        print_headline(table, scenario_titles(results, results.scenarios))
    if args.csv and not args.json:
        print(f"rows written to {args.csv}")
    return 0
