"""The historical record the scenario files cite, shipped with the project as data.

May import: nothing else of ``model`` (the lowest layer: the standard library only).

Scenario files cite their sources in TOML comments and in validation targets:

- ``row 63``, ``rows 63-73``, ``rows 63–73``, ``rows 37-38, 51-54``, ``row 105/107``,
  ``history row 41``, ``the row-37 ratio`` and ``H129`` are rows of FACTS.md (German–Soviet
  trade, treaties, blockade; ids ``1`` ... ``151``);
- ``O34``, ``R5``, ``G8/G9``, ``M4``, ``C1``, ``U4`` (also written ``STOCKS U4``) are rows of
  STOCKS.md (German supply and stocks, O = oil, R = rubber, G = grain and food, M = manganese,
  C = chrome, U = the Soviet side).

Both files leave some row numbers out on purpose: those rows are kept back as out-of-sample
validation targets, so a citation of one is an error. ``record.csv`` holds every numbered
table row of both files (transcribed once from them), ``tags.csv`` the meaning
of their reliability tags (P, S, W, F, U, D), ``sections.csv`` FACTS.md's section 2 (the
commodity parameters, prose), one entry per bullet (``FACTS §2.1`` ...; scenario files cite the
section as ``FACTS §2``). This package imports nothing from the rest of ``model``.

>>> lookup("63").value
'1.0 Mt; 95 M RM'
>>> find_citations("# row 64: 250 M RM / 1.6 Mt; rows 63-72, O43 and G8/G9")
['row 64', 'rows 63-72', 'O43', 'G8', 'G9']
>>> [r.id for r in resolve("rows 37-38, 51-52")]
['37', '38', '51', '52']
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

__all__ = [
    "Row",
    "UnknownRow",
    "citation_spans",
    "find_citations",
    "lookup",
    "resolve",
    "rows",
    "search",
    "tag_meaning",
]

TABLES = ("FACTS", "STOCKS")


class UnknownRow(KeyError):
    """A cited row that is not in the record (a wrong number, or a row kept back)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Row:
    """One table row of FACTS.md or STOCKS.md; every field is text as printed."""

    id: str  # "63" (FACTS) or "O12" (STOCKS)
    table: str  # "FACTS" or "STOCKS"
    section: str  # the heading the row sits under
    quantity: str
    value: str
    unit: str
    period: str
    measures: str  # FACTS' "What it measures" column; "" where the table has none
    source: str
    status: str  # reliability tag as printed: "P", "W/S", "S (press)", ...
    notes: str  # transcription notes ("" for most rows)

    @property
    def label(self) -> str:
        """How to cite the row: ``FACTS row 63``, ``STOCKS O12`` or ``FACTS §2.48``."""
        if self.id.startswith("§"):
            return f"{self.table} {self.id}"
        return f"FACTS row {self.id}" if self.table == "FACTS" else f"STOCKS {self.id}"

    @property
    def status_meaning(self) -> str:
        return tag_meaning(self.status, self.table)


@cache
def _rows() -> tuple[Row, ...]:
    names = [f.name for f in fields(Row)]
    text = resources.files(__name__).joinpath("record.csv").read_text(encoding="utf-8")
    return tuple(Row(**{n: r[n] for n in names}) for r in csv.DictReader(text.splitlines()))


@cache
def _sections() -> tuple[Row, ...]:
    """FACTS.md section 2 (commodity parameters, prose), one entry per bullet: ``§2.1`` ..."""
    names = [f.name for f in fields(Row)]
    text = resources.files(__name__).joinpath("sections.csv").read_text(encoding="utf-8")
    return tuple(Row(**{n: r[n] for n in names}) for r in csv.DictReader(text.splitlines()))


_SECTION = re.compile(r"(?:(FACTS|STOCKS)\s*)?§\s*(\d+)(?:\.(\d+))?", re.I)


def sections(citation: str) -> list[Row] | None:
    """The entries a section citation names (``FACTS §2``, ``§2``, ``§2.48``; None if the
    text is not one); :class:`UnknownRow` if the record has no such section or entry."""
    m = _SECTION.fullmatch(citation.strip())
    if m is None:
        return None
    table = (m.group(1) or "FACTS").upper()
    prefix = f"§{m.group(2)}."
    found = [
        r
        for r in _sections()
        if r.table == table
        and r.id.startswith(prefix)
        and (m.group(3) is None or r.id == f"{prefix}{m.group(3)}")
    ]
    if not found:
        known = sorted({r.id.split(".")[0] for r in _sections() if r.table == table})
        raise UnknownRow(
            f"{citation.strip()!r}: the record has {table} {', '.join(known) or 'no'} "
            f"section(s) of prose ({table} §2.1 ... as `pactsim sources --search` lists them)"
        )
    return found


@cache
def _index() -> dict[str, Row]:
    return {r.id: r for r in _rows()}


@cache
def _tags() -> dict[tuple[str, str], str]:
    text = resources.files(__name__).joinpath("tags.csv").read_text(encoding="utf-8")
    return {(r["table"], r["tag"]): r["meaning"] for r in csv.DictReader(text.splitlines())}


def rows(table: str | None = None) -> tuple[Row, ...]:
    """Every row of the record (or of one table, ``"FACTS"`` or ``"STOCKS"``), in file order."""
    if table is not None and table not in TABLES:
        raise ValueError(f"table must be one of {TABLES}, not {table!r}")
    return tuple(r for r in _rows() if table is None or r.table == table)


def tags(table: str = "FACTS") -> dict[str, str]:
    """The reliability-tag legend of one table: tag letter -> meaning."""
    return {tag: meaning for (t, tag), meaning in _tags().items() if t == table}


def tag_meaning(status: str, table: str = "FACTS") -> str:
    """What a status tag means: ``"W/S"`` -> both meanings, qualifiers such as "(press)" kept."""
    legend = tags(table)
    head, _, qualifier = status.partition("(")
    letters = re.findall(r"[A-Z]", head)
    if len(letters) == 1:
        text = legend.get(letters[0], "unknown tag")
    else:
        text = "; ".join(f"{t} = {legend.get(t, 'unknown tag')}" for t in letters)
    return f"{text} ({qualifier.rstrip(')').strip()})" if qualifier else text


def _canonical_id(row_id: object) -> str:
    text = str(row_id).strip()
    if m := re.fullmatch(r"(?:H|(?:history\s+)?rows?\s*)?(\d+)", text, re.I):
        return str(int(m.group(1)))
    if m := re.fullmatch(r"(?:STOCKS\s+)?([ORGMCU])(\d+)", text, re.I):
        return f"{m.group(1).upper()}{int(m.group(2))}"
    return text


def _missing_message(row_id: str) -> str:
    if row_id.isdigit():
        table, prefix, number = "FACTS", "", int(row_id)
        label = f"FACTS row {row_id}"
    elif re.fullmatch(r"[ORGMCU]\d+", row_id):
        table, prefix, number = "STOCKS", row_id[0], int(row_id[1:])
        label = f"STOCKS row {row_id}"
    else:
        return f"{row_id!r} is not a row id: FACTS rows are numbers (63), STOCKS rows O12, U4, ..."
    present = sorted(
        int(r.id[len(prefix) :])
        for r in rows(table)
        if (r.id.isdigit() if not prefix else r.id[0] == prefix)
    )
    if number < 1 or number > present[-1]:
        return f"{label} does not exist ({table}.md's rows run {prefix}1-{prefix}{present[-1]})"
    return (
        f"{label} is not in the record: {table}.md keeps it back as an out-of-sample "
        f"validation target (or the citation is wrong)"
    )


def lookup(row_id: str | int) -> Row:
    """The row with this id: ``lookup("63")``, ``lookup(63)``, ``lookup("H63")``, ``lookup("O12")``.

    Raises :class:`UnknownRow` (a ``KeyError``) for a row that is not in the record.
    """
    key = _canonical_id(row_id)
    try:
        return _index()[key]
    except KeyError:
        raise UnknownRow(_missing_message(key)) from None


# --- citations -----------------------------------------------------------------------------
_DASH = r"\s*[-–—]\s*"
_NUMRANGE = rf"\d+(?:{_DASH}\d+)?"
# a number after "row 67, " is a further row unless a unit follows it ("row 67, 10 kt, ...")
_NOT_A_QUANTITY = r"(?!\s*(?:[kM]?t|bbl|kg|M\s*RM|RM|months?|years?|yrs?|per)\b|\s*%|[\d.,]*\d)"
_FACTS_ROWS = re.compile(
    rf"\brows?(?:\s+|-)(?P<list>{_NUMRANGE}(?:\s*(?:,|/|&|\band\b)\s*{_NUMRANGE}{_NOT_A_QUANTITY})*)",
    re.I,
)
_H_ROWS = re.compile(
    rf"(?<![\w.])H(\d+)(?:{_DASH}H?(\d+))?(?![\w])(?!\s+1[89]\d\d)"
)  # not "H1 1941"
_STOCKS_ROWS = re.compile(rf"(?<![\w.])([ORGMCU])(\d+)(?:{_DASH}\1?(\d+))?(?![\w])")


def citation_spans(text: str) -> list[tuple[int, str]]:
    """Every citation in ``text`` as (character offset, canonical citation), in text order.

    Canonical forms: ``row 63``, ``rows 63-73`` (FACTS; ``H129`` becomes ``row 129``) and
    ``O34``, ``O3-O5`` (STOCKS). A list ``rows 37-38, 51-54`` gives one citation per item.
    """
    found: list[tuple[int, str]] = []
    for m in _FACTS_ROWS.finditer(text):
        for item in re.finditer(_NUMRANGE, m.group("list")):
            found.append((m.start("list") + item.start(), _facts_citation(item.group())))
    for m in _H_ROWS.finditer(text):
        found.append(
            (m.start(), _facts_citation(m.group(1) + ("-" + m.group(2) if m.group(2) else "")))
        )
    for m in _STOCKS_ROWS.finditer(text):
        p, a, b = m.groups()
        found.append((m.start(), f"{p}{int(a)}-{p}{int(b)}" if b else f"{p}{int(a)}"))
    return sorted(found)


def _facts_citation(item: str) -> str:
    numbers = [int(n) for n in re.findall(r"\d+", item)]
    if len(numbers) == 2:
        return f"rows {numbers[0]}-{numbers[1]}"
    return f"row {numbers[0]}"


def find_citations(text: str) -> list[str]:
    """The citations of the record in ``text``, canonical and in order (see :func:`citation_spans`)."""
    return [c for _, c in citation_spans(text)]


def resolve(citation: str | int) -> list[Row]:
    """The rows a citation names: ``resolve("rows 63–73")``, ``resolve("STOCKS U4")``, ``resolve(63)``.

    A range needs both ends in the record; rows kept back inside it are skipped. Raises
    :class:`UnknownRow` (a ``KeyError``) naming the first cited row that is not in the record.
    """
    text = str(citation).strip()
    if (entries := sections(text)) is not None:
        return entries
    if re.fullmatch(_NUMRANGE, text):
        text = f"rows {text}"
    elif re.fullmatch(r"[orgmcu]\d+", text):
        text = text.upper()
    items = find_citations(text)
    if not items:
        raise UnknownRow(_missing_message(text))
    out: list[Row] = []
    for item in items:
        ids = re.findall(r"[ORGMCU]?\d+", item.removeprefix("rows ").removeprefix("row "))
        if len(ids) == 1:
            out.append(lookup(ids[0]))
            continue
        first, last = lookup(ids[0]), lookup(ids[1])
        table = rows(first.table)
        i, j = table.index(first), table.index(last)
        if j < i:
            raise UnknownRow(f"{item!r} runs backwards ({last.label} comes before {first.label})")
        out.extend(table[i : j + 1])
    return out


def folded(text: str) -> str:
    """Text for matching: case and accents dropped (``Lützow`` -> ``lutzow``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search(word: str) -> list[Row]:
    """Rows and section entries any of whose fields contains ``word``, ignoring case and
    accents (``Lutzow`` finds *Lützow*)."""
    needle = folded(word)
    return [
        r
        for r in (*_rows(), *_sections())
        if any(needle in folded(getattr(r, f.name)) for f in fields(Row))
    ]
