"""``pactsim validate``: the baseline against the historical record, as two tables.

The targets, their roles and their evaluation live in :mod:`model.analysis.validation`;
this module parses the command line and prints the calibration and validation groups.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from model.analysis.validation import (
    DEFAULT_RUNS,
    DEFAULT_TARGETS,
    ROLES,
    TargetResult,
    scenario_path,
    scenario_targets,
    validate,
)
from model.cli import terminal
from model.cli.arguments import check_runs, check_seed
from model.errors import UserError
from model.files.scenario import shipped
from model.world.randomness import DEFAULT_SEED


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"Monte Carlo runs (default {DEFAULT_RUNS})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument(
        "--targets",
        type=Path,
        default=DEFAULT_TARGETS,
        help="targets file (default scenarios/validation/targets.toml)",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help="scenario file or name in scenarios/ (default: the one the targets file names); "
        "a scenario with its own scenarios/validation/targets_<name>.toml (long_baseline) "
        "is also checked against those",
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _share(value: float) -> str:
    return f"{value:.0%}"


def table_rows(results: Sequence[TargetResult]) -> list[list[str]]:
    """One row of text per target: what the table shows (and the tests can read)."""
    rows = []
    for r in results:
        t = r.target
        rel = r.relative_error
        if t.summary == "share":
            record = "yes" if t.record else "no"
            model_value, band = f"{_share(r.median)} of runs", "—"
            accept = (
                f">= {_share(t.low)} of runs"
                if t.high >= 1
                else f"{_share(t.low)}-{_share(t.high)} of runs"
            )
            rel_text = "—"
        else:
            record, model_value = _fmt(t.record), _fmt(r.median)
            band = f"{_fmt(r.p05)} – {_fmt(r.p95)}"
            accept = f"{_fmt(t.low)} – {_fmt(t.high)}"
            rel_text = "—" if rel is None else ("0%" if round(rel * 100) == 0 else f"{rel:+.0%}")
        period = t.first if t.first == t.last else f"{t.first}..{t.last}"
        rows.append(
            [t.id, period, t.unit, record, model_value, band, rel_text, accept,
             "yes" if r.within_band else "NO", t.source, f"[{t.tag}]"]
        )  # fmt: skip
    return rows


# what a terminal shows of :func:`table_rows`: (heading, justify, the row's cells joined);
# the target's source and tag go under its name, the model's 90 % band beside its median,
# so that the table reads in 120 columns (it forced 190)
COLUMNS = (
    ("target\nsource [tag]", "left", lambda r: f"{r[0]}\n{r[9]} {r[10]}"),
    ("period", "left", lambda r: r[1].replace("..", " to\n")),
    ("unit", "left", lambda r: r[2]),
    ("record", "right", lambda r: r[3]),
    ("model median\n[5–95 %]", "right", lambda r: r[4] if r[5] == "—" else f"{r[4]}\n[{r[5]}]"),
    ("rel.\nerror", "right", lambda r: r[6]),
    ("acceptance\nband", "right", lambda r: r[7]),
    ("in\nband", "center", lambda r: r[8]),
)  # fmt: skip
PIPED_WIDTH = terminal.PIPED_WIDTH  # without a terminal or $COLUMNS


ROLE_TITLES = {
    "calibration": "calibration targets (parameters may be fitted to these)",
    "validation": "validation targets (no input cites their rows: out-of-sample evidence)",
}


def print_table(
    results: Sequence[TargetResult], n_runs: int, seed: int, scenario: str = "baseline"
) -> None:
    """One table per role, calibration first, each with its count (docs/architecture.md §9)."""
    from rich.markup import escape
    from rich.table import Table

    console = terminal.console(PIPED_WIDTH)  # the terminal's width, or $COLUMNS
    for role in ROLES:
        group = [r for r in results if r.target.role == role]
        inside = sum(r.within_band for r in group)
        table = Table(
            title=f"{role}: {len(group)} {ROLE_TITLES[role]} -- {scenario} vs the record ({n_runs} runs, seed {seed})"
        )
        rows = table_rows(group)
        for name, justify, _ in COLUMNS:  # every column wraps (rich crops a table that cannot)
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for row in rows:
            style = None if row[8] == "yes" else "red"
            table.add_row(*(escape(cell(row)) for _, _, cell in COLUMNS), style=style)
        console.print(table)
        console.print(f"{role}: {inside} of {len(group)} targets within their bands.")
    inside = sum(r.within_band for r in results)
    console.print(
        f"{inside} of {len(results)} targets within their bands. Each target's description, note and "
        "source are in scenarios/validation/targets.toml; --json prints them with the numbers."
    )


def check_validation_memory(targets: Path, scenario: Path | None, runs: int) -> None:
    """Refuse ``--runs`` whose series the machine's memory cannot hold, before any run: the
    validated scenario's runs are held in memory at once, like ``pactsim run``'s (it took
    5 GB and more than 25 s to be stopped at --runs 10,000,000)."""
    from model.cli.run import check_run_memory
    from model.files.scenario import load

    file = scenario if scenario is not None else scenario_path(targets)
    check_run_memory(load(file), runs, f"the default, --runs {DEFAULT_RUNS:,}")


def main(args: argparse.Namespace) -> int:

    check_runs(args.runs)
    check_seed(args.seed)
    scenario, extra = args.scenario, []
    if scenario is not None:
        named = shipped("scenarios") / f"{scenario}.toml"
        if scenario.suffix != ".toml" and len(scenario.parts) == 1:
            if not named.is_file():
                available = ", ".join(sorted(p.stem for p in named.parent.glob("*.toml")))
                raise UserError(
                    f"--scenario: no scenario {str(scenario)!r}; available: {available}"
                )
            scenario = named
        own = scenario_targets(scenario)
        if own is not None and own.resolve() != Path(args.targets).resolve():
            extra.append(own)
    check_validation_memory(args.targets, scenario, args.runs)
    results = validate(
        args.targets, n_runs=args.runs, seed=args.seed, scenario_file=scenario, extra_targets=extra
    )
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print_table(
            results, args.runs, args.seed, "baseline" if scenario is None else Path(scenario).stem
        )
    return 0
