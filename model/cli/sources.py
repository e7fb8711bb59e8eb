"""``pactsim sources``: print rows of the historical record that the scenario files cite.

    pactsim sources 63                 # FACTS row 63
    pactsim sources "rows 63-66" O34   # a range, a STOCKS row
    pactsim sources --search Schnurre  # every row that mentions a word
    pactsim sources "FACTS §2"         # the commodity parameters (section 2), as scenarios cite it

Errors (a row that is not in the record) are one line on stderr and exit code 2; the
command defines no exception of its own so that it needs nothing from ``model.cli``.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from model.record import Row, UnknownRow, resolve, search

FIELDS = ("quantity", "value", "unit", "period", "measures", "source", "status", "notes")


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "rows",
        nargs="*",
        metavar="ROW",
        help='row ids or citations as the scenario files write them: 63, "rows 63-66", H129, '
        'O34, "STOCKS U4", "FACTS §2" (FACTS rows are numbers, STOCKS rows O/R/G/M/C/U + '
        "number, FACTS §2.1 ... the entries of FACTS' section 2)",
    )
    parser.add_argument(
        "--search",
        metavar="WORD",
        help="print every row any of whose fields contains WORD (case and accents ignored)",
    )


def format_row(row: Row, width: int = 100) -> str:
    lines = [f"{row.label}  ({row.section})"]
    for name in FIELDS:
        value = getattr(row, name)
        if name == "status" and value:
            value = f"{value} — {row.status_meaning}"
        if not value:
            continue
        wrapped = textwrap.wrap(value, width - 12) or [""]
        lines.append(f"  {name:<9} {wrapped[0]}")
        lines.extend(f"  {'':<9} {more}" for more in wrapped[1:])
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if not args.rows and not args.search:
        print("pactsim sources: error: give ROW ids or --search WORD", file=sys.stderr)
        return 2
    found: list[Row] = []
    failed = False
    for citation in args.rows:
        try:
            found.extend(resolve(citation))
        except UnknownRow as err:
            print(f"pactsim sources: error: {err}", file=sys.stderr)
            failed = True
    if failed:
        return 2
    if args.search:
        hits = search(args.search)
        if not hits:
            print(f"pactsim sources: no row mentions {args.search!r}", file=sys.stderr)
            return 1
        found.extend(hits)
    print("\n\n".join(format_row(r) for r in found))
    return 0
