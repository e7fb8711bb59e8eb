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
    compare,
    fmt_diff,
    fmt_interval,
    fmt_level,
    load_results,
    method_lines,
)
from model.errors import UserError


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
def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "result", type=Path, metavar="RESULT_DIR", help="a result folder of `pactsim batch`"
    )
    parser.add_argument(
        "--baseline", default="baseline", help="the scenario the others are compared with"
    )
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
        "--all", action="store_true", help="also show outcomes that are zero in both scenarios"
    )


def main(args: argparse.Namespace) -> int:

    if args.resamples < 100:
        raise UserError(f"--resamples must be at least 100, got {args.resamples}")
    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence must lie between 0 and 1, got {args.confidence}")
    results = load_results(args.result)
    table = compare(results, args.baseline, args.seed, args.resamples, args.confidence)
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
    else:
        print_table(table, show_all=args.all)
        if args.csv:
            print(f"rows written to {args.csv}")
    return 0
