"""Read the citations of scenarios/baseline.toml: each key path with the comments that source it.

Shared by tests/unit/test_baseline_sources.py (every number states its source or basis) and
tests/unit/test_validation_disjoint.py (no input cites a validation target's rows). A
comment belongs to the key on its line; a comment on a line of its own belongs to the table
it sits in (it explains the entries below it); a line inside a multi-line array belongs to
the array's key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
DERIVATIONS = ROOT / "scenarios" / "validation" / "derivations.toml"

# a history row as it is cited: "row 63", "rows 63-72", "rows 52, 56", "O34", "G8/G9", "H98"
_ROW_LIST = re.compile(
    r"\brows?\s+(\d+(?:\s*[-–]\s*\d+)?(?:\s*(?:,|and|/)\s*\d+(?:\s*[-–]\s*\d+)?)*)", re.I
)
_STOCKS_ROW = re.compile(r"\b([ORGMCUH])(\d+)\b")


def rows_cited(text: str) -> set[str]:
    """The rows a comment cites, normalised: FACTS rows as "row N", STOCKS rows as "G8" etc."""
    out: set[str] = set()
    for match in _ROW_LIST.finditer(text):
        for part in re.split(r"\s*(?:,|and|/)\s*", match.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
            if len(bounds) == 2 and bounds[1] >= bounds[0]:
                out |= {f"row {n}" for n in range(bounds[0], bounds[1] + 1)}
            elif bounds:
                out.add(f"row {bounds[0]}")
    for letter, number in _STOCKS_ROW.findall(text):
        out.add(f"row {number}" if letter == "H" else f"{letter}{number}")
    return out


def aliases() -> dict[str, str]:
    """STOCKS.md rows that repeat a FACTS row ("G4 = H98"), from the derivations registry."""
    data = tomllib.loads(DERIVATIONS.read_text())
    return {k: v for k, v in data.get("aliases", {}).items()}


def expand(rows: set[str], alias: dict[str, str]) -> set[str]:
    out = set(rows)
    for a, b in alias.items():
        if a in rows:
            out.add(b)
        if b in rows:
            out.add(a)
    return out


@dataclass(frozen=True)
class Entry:
    line: int
    path: str  # key path, e.g. germany.initial_stock.grain or suppliers.romania.offers[1].per_month
    value: str  # text of the value on its line ("" for a comment line)
    comment: str


def entries(path: Path = BASELINE) -> list[Entry]:
    out: list[Entry] = []
    table = ""
    counts: dict[str, int] = {}
    array_key: str | None = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        code, _, comment = (
            stripped.partition("#") if not stripped.startswith("#") else ("", "", stripped[1:])
        )
        code = code.strip()
        if array_key is not None:
            out.append(Entry(number, array_key, code, comment.strip()))
            if code.startswith("]"):
                array_key = None
            continue
        header = re.fullmatch(r"\[\[([^\]]+)\]\]", code) or re.fullmatch(r"\[([^\]]+)\]", code)
        if header:
            name = header.group(1).strip()
            if code.startswith("[["):
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
            else:
                table = name
            if comment:
                out.append(Entry(number, table, "", comment.strip()))
            continue
        if not code:
            out.append(Entry(number, table, "", comment.strip()))
            continue
        m = re.match(r"^([A-Za-z0-9_\".]+)\s*=\s*(.*)$", code)  # dotted keys too
        if not m:
            continue
        key, value = m.group(1).strip('"'), m.group(2)
        key_path = f"{table}.{key}" if table else key
        if value.startswith("[") and not value.rstrip().endswith("]"):
            array_key = key_path
        out.append(Entry(number, key_path, value, comment.strip()))
    return out
