"""``pactsim compare``: the paired comparison of a result folder as a terminal table,
JSON records or CSV (the statistics are :mod:`model.analysis.compare`'s).
"""

from __future__ import annotations

import argparse
import json
import textwrap
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
from model.cli import terminal
from model.cli.arguments import check_seed
from model.errors import UserError
from model.store.results import frozen_data


def _full_difference(row: pd.Series) -> str:
    """The difference cell of ``--full``: a median of the paired differences says so."""
    median = str(row.get("statistic", "")).startswith("median")
    return fmt_diff(row) + (" (median)" if median else "")


def print_table(table: pd.DataFrame, show_all: bool = False) -> None:
    from rich.table import Table

    console = terminal.console()
    level = f"{table.attrs.get('confidence', CONFIDENCE):.0%} interval"
    for scenario, part in table.groupby("scenario", sort=False):
        n = int(part["n_pairs"].iloc[0])
        t = Table(
            title=f"{scenario} vs {table.attrs.get('baseline', 'baseline')} ({n} paired runs)",
            title_justify="left",
        )
        t.add_column("outcome, unit", ratio=3, min_width=18)
        for col in ("baseline", "scenario", "difference", level):
            t.add_column(col, justify="right", no_wrap=True)
        t.add_column("note", ratio=2, min_width=10)
        for _, row in part.iterrows():
            if not show_all and _negligible(row):
                continue
            t.add_row(
                f"{row['label']}, {row['unit']}",
                fmt_level(row, "baseline"),
                fmt_level(row, "scenario"),
                _full_difference(row),
                fmt_interval(row),
                row["note"],
                style="bold" if row["excludes_zero"] else None,
            )
        console.print(t)
    console.print(
        "difference: the mean of the paired differences (scenario minus baseline, run by run); "
        "'(median)': the median of the paired differences, for the month a good runs out. "
        "Bold: the interval excludes 0; rows zero in both scenarios are hidden (--all shows them).",
        highlight=False,
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


HEADLINE_ROW_CHARS = 120  # the default output's rows: no wider than a wide terminal


def _packed(cells: list[list[str]], limit: int = HEADLINE_ROW_CHARS) -> list[list[int]]:
    """The columns (after the first) in the fewest groups of equal size, consecutive, whose
    Markdown rows stay within ``limit`` characters (one column a table, if need be)."""

    def width(columns: list[int]) -> int:
        return max(len("| " + " | ".join([r[0], *(r[c] for c in columns)]) + " |") for r in cells)

    columns = list(range(1, len(cells[0])))
    for n_groups in range(1, len(columns) + 1):
        size = -(-len(columns) // n_groups)
        groups = [columns[i : i + size] for i in range(0, len(columns), size)]
        if all(width(g) <= limit for g in groups):
            return groups
    return [[c] for c in columns]


def narrow_headline_lines(table: pd.DataFrame, titles: dict[str, str]) -> list[str]:
    """The default output: the headline in Markdown tables whose rows fit
    :data:`HEADLINE_ROW_CHARS`, scenarios by name, their titles once below."""
    baseline = table.attrs.get("baseline", "baseline")
    wide = headline_lines(table, titles)
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in wide]
    rows = [rows[0], *rows[2:]]  # without the |---| line
    names = [baseline, *dict.fromkeys(table["scenario"].astype(str))]
    rows = (
        [rows[0]]
        + [[f"**{baseline}**: level", *rows[1][1:]]]
        + [[name, *row[1:]] for name, row in zip(names[1:], rows[2:], strict=True)]
    )
    out: list[str] = []
    for group in _packed(rows):
        out += [f"| {r[0]} | " + " | ".join(r[c] for c in group) + " |" for r in rows[:1]]
        out.append("|" + "---|" * (len(group) + 1))
        out += [f"| {r[0]} | " + " | ".join(r[c] for c in group) + " |" for r in rows[1:]]
        out.append("")
    key = "; ".join(f"{n}: {titles.get(n, n)}" for n in names)
    out += textwrap.wrap(f"Scenarios -- {key}.", HEADLINE_ROW_CHARS - 20)
    return out


def print_headline(table: pd.DataFrame, titles: dict[str, str], wide: bool = False) -> None:
    level = f"{table.attrs.get('confidence', CONFIDENCE):.0%}"
    n = int(table["n_pairs"].min()) if len(table) else 0
    baseline = table.attrs.get("baseline", "baseline")
    lines = headline_lines(table, titles) if wide else narrow_headline_lines(table, titles)
    for line in lines:
        print(line)
    note = (
        f"Cell: scenario minus {baseline} over {n:,} paired runs (mean; a stock-out: median shift "
        f"in months, then the share of runs out and its change), {level} interval, * excludes 0. "
        "All outcomes: --full; terms: docs/glossary.md."
    )
    print("\n" + "\n".join(textwrap.wrap(note, HEADLINE_ROW_CHARS - 20)))


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
        "--wide",
        action="store_true",
        help="the headline as one Markdown table, a line per scenario with its title (README's)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="with --full: also show outcomes that are zero in both scenarios",
    )


def main(args: argparse.Namespace) -> int:

    check_seed(args.seed)
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
        print_headline(table, scenario_titles(results, results.scenarios), args.wide)
    if args.csv and not args.json:
        print(f"rows written to {args.csv}")
    return 0
