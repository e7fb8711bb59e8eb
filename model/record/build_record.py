"""Transcribe the historical record from its two markdown files into ``record.csv``.

This script was used once to transcribe the record that the scenario files cite from

- ``/work/shared/history/FACTS.md``  (rows "1" ... "151": "row N", "history row N", "H#"), and
- ``/work/shared/history/STOCKS.md`` (rows "O#", "R#", "G#", "M#", "C#", "U#"),

into ``model/record/record.csv`` (one row per numbered table row of either file, with a
``table`` column) and ``model/record/tags.csv`` (the reliability-tag legends of both files).
The output is committed; the markdown is not shipped with the project, so this script is
never run at import time or by the tests. Re-run it by hand only if the markdown changes::

    python model/record/build_record.py [HISTORY_DIR]

Only the numbered tables of section 1 of each file are transcribed: the timeline table of
FACTS.md section 3 and the annual balances of STOCKS.md section 2 carry no row ids, so no
scenario can cite them. Cells are kept as printed (markdown emphasis included); the header of
each table decides which column a cell goes to, since the tables differ in their columns.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

HISTORY = Path("/work/shared/history")
HERE = Path(__file__).resolve().parent
COLUMNS = (
    "id", "table", "section", "quantity", "value", "unit", "period", "measures", "source",
    "status", "notes",
)  # fmt: skip

# table header (as printed, lower case) -> record column
HEADER = {
    "#": "id",
    "quantity": "quantity",
    "commodity": "quantity",
    "value": "value",
    "unit": "unit",
    "date": "period",
    "period": "period",
    "date / period": "period",
    "what it measures": "measures",
    "source": "source",
    "source (title, page/section; url)": "source",
    "status": "status",
}
ID = {"FACTS": re.compile(r"^\d+$"), "STOCKS": re.compile(r"^[ORGMCU]\d+$")}


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


extra: set[str] = set()  # ids of rows with a cell more than their table's header


def parse(path: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    section = ""
    header: list[str] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            header = None
            continue
        if not line.startswith("|"):
            header = None
            continue
        parts = cells(line)
        if header is None:
            header = [h.lower() for h in parts]
            continue
        if set("".join(parts)) <= set("-: "):
            continue  # the |---|---| rule
        if header[0] != "#" or not ID[table].match(parts[0]):
            continue  # a table without row ids
        names = header
        if len(parts) == len(header) + 1 and "what it measures" not in header:
            # FACTS 1e: rows 76-85 carry a "What it measures" cell after the period that
            # the table's header lacks
            at = next(k for k, h in enumerate(header) if HEADER.get(h) == "period") + 1
            names = [*header[:at], "what it measures", *header[at:]]
            extra.add(parts[0])
        if len(parts) != len(names):
            raise ValueError(f"{path}:{i + 1}: {len(parts)} cells under {len(header)} headers")
        row = dict.fromkeys(COLUMNS, "")
        for name, cell in zip(names, parts, strict=True):
            row[HEADER[name]] = cell
        row["table"], row["section"] = table, section
        rows.append(row)
    return rows


def add_notes(rows: list[dict[str, str]]) -> None:
    """Transcription notes: what a reader of one row alone would otherwise misread."""
    by_id = {(r["table"], r["id"]): r for r in rows}

    def source_of(k: int) -> str:
        """Row k's source with "same" / "same as row N" replaced by the source meant."""
        r, text = rows[k], rows[k]["source"]
        if m := re.match(r"same as row (\d+)", text):
            other = rows.index(by_id[(r["table"], m.group(1))])
            return source_of(other) + text[m.end() :]
        if text.startswith("same") and k > 0 and rows[k - 1]["section"] == r["section"]:
            return source_of(k - 1) + text[len("same") :]
        return text

    for k, r in enumerate(rows):
        notes = []
        if r["source"].startswith("same"):
            notes.append(f"source {r['source'].split(';')[0].split(' (')[0]!r} is: {source_of(k)}")
        if r["period"] == "same" and r["table"] == "FACTS" and r["section"].startswith("1e"):
            notes.append(f'period "same" as row 63: {by_id[("FACTS", "63")]["period"]}')
        if r["source"] in {"same", "Sipols"} and r["section"].startswith("1e"):
            notes.append("source: Sipols 1997 as in row 63")
        if r["table"] == "FACTS" and r["id"] in extra:
            notes.append('"What it measures" cell printed without a header column in FACTS.md')
        if not r["unit"] and r["value"]:
            notes.append("unit blank in the record: the units are in the value")
        r["notes"] = "; ".join(notes)


TAGS = [
    # tag, table, meaning (the legends of FACTS.md and STOCKS.md, as printed)
    ("P", "FACTS", "primary document (contemporary official text)"),
    ("S", "FACTS", "secondary source (a historian, or a contemporary newspaper reporting official figures)"),
    ("W", "FACTS", "encyclopedia article or its mirror"),
    ("F", "FACTS", "forum post, blog or propaganda piece; low reliability, use only as a bound"),
    ("U", "FACTS", "unconfirmed: reported in the secondary literature but not checked against its source; use only as a soft target"),
    ("D", "FACTS", "derived by arithmetic on other rows; the working is shown"),
    ("P", "STOCKS", "primary document seen in an excerpt: an official or contemporary government text (Hansard, FRUS, FDR Library memos, USSBS, Minerals Yearbook)"),
    ("S", "STOCKS", "secondary source seen: a historian, a reputable translated monograph, or a contemporary newspaper reporting official or expert estimates (marked 'press': wartime estimates, not German statistics)"),
    ("W", "STOCKS", "encyclopedia or Wikipedia mirror seen"),
    ("F", "STOCKS", "forum, blog or popular or propaganda book seen; use only as a bound"),
    ("U", "STOCKS", "unconfirmed: reported but not checked against its source; do not use without checking"),
    ("D", "STOCKS", "derived by arithmetic from tagged rows; the working is shown"),
]  # fmt: skip


def main(history: Path = HISTORY) -> None:
    rows = parse(history / "FACTS.md", "FACTS") + parse(history / "STOCKS.md", "STOCKS")
    add_notes(rows)
    with open(HERE / "record.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with open(HERE / "tags.csv", "w", newline="", encoding="utf-8") as f:
        tags = csv.writer(f, lineterminator="\n")
        tags.writerow(["tag", "table", "meaning"])
        tags.writerows(TAGS)
    counts = {t: sum(r["table"] == t for r in rows) for t in ("FACTS", "STOCKS")}
    print(f"wrote {len(rows)} rows {counts} to {HERE / 'record.csv'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HISTORY)
