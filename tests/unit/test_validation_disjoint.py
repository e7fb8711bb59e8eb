"""Validation targets are out of sample: no input of baseline.toml cites their rows (docs/architecture.md §9).

The test follows the citations in the comments of scenarios/baseline.toml ("row 63",
"rows 63-72", "O34", "G8/G9", "H98"), expands STOCKS.md/FACTS.md aliases (G4 = row 98, from
scenarios/validation/derivations.toml) and fails if any key path cites a row that a
target with role = "validation" uses. Nothing is exempt (the Soviet side and the treaties
included, since issue 11).
"""

from __future__ import annotations

import math
import re
import tomllib

from model.analysis.validation import DEFAULT_TARGETS, UNITS, load_targets, scenario_path
from model.files.scenario import load
from model.record import resolve
from tests.baseline_citations import BASELINE, DERIVATIONS, aliases, entries, expand, rows_cited

TARGETS = load_targets(DEFAULT_TARGETS, load(scenario_path(DEFAULT_TARGETS)))


def validation_rows() -> set[str]:
    rows: set[str] = set()
    for t in TARGETS:
        if t.role == "validation":
            for row in t.rows:
                rows |= rows_cited(row)
    return expand(rows, aliases())


def test_the_row_parser_reads_the_forms_the_file_uses():
    assert rows_cited("rows 63-65; O34, G8/G9 and row 101") == {
        "row 63",
        "row 64",
        "row 65",
        "O34",
        "G8",
        "G9",
        "row 101",
    }
    assert rows_cited("rows 52, 56: arrears; = H98") == {"row 52", "row 56", "row 98"}
    assert rows_cited("no record: chosen a priori") == set()


def test_no_input_cites_a_validation_target():
    banned = validation_rows()
    assert {"M4", "row 123", "G8", "G9", "G13", "row 100", "O34", "row 91", "row 63"} <= banned
    offending = []
    for e in entries():
        hit = expand(rows_cited(e.comment), aliases()) & banned
        if hit:
            offending.append(f"line {e.line}: {e.path} cites {sorted(hit)}: {e.comment[:100]}")
    assert not offending, "inputs that cite a validation target's rows:\n" + "\n".join(offending)


# ---------------------------------------------------------------------------------------
# Values, not only citations (issue 22): an input may not carry a validation row's number
# under another label. The numbers "derivable from a validation row by one division or
# product" are its figures (tonnes and RM, scaled by their magnitude words), the unit value
# of each RM figure over each tonnage figure of the row (RM/t), each figure per month and
# per year over the target's period and over the ~18 months of Sipols' list (row 63), and
# the same for the target's own record. Only numbers of 10 and more are checked (prices,
# tonnages, rates, sums): a share or a factor is matched by the ratio of almost any two figures.
# ---------------------------------------------------------------------------------------
CHECKED_SECTIONS = ("goods", "soviet_union", "treaties")
SCALE = {"kt": 1e3, "mt": 1e6, "m": 1e6, "bn": 1e9, "k": 1e3}
_FIGURE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(kt|Mt|M|bn|k)?(\s*RM)?")


def figures(text: str, unit: str = "") -> tuple[set[float], set[float]]:
    """(tonnages, RM values) printed in a record cell, scaled by their magnitude words."""
    tonnes: set[float] = set()
    money: set[float] = set()
    found = _FIGURE.findall(text)
    for digits, word, rm in found:
        value = float(digits.replace(",", "")) * (SCALE[word.lower()] if word else 1.0)
        if len(found) == 1 and not word and not rm:  # the magnitude is in the unit column
            value *= next((f for w, f in SCALE.items() if unit.lower().startswith(w)), 1.0)
            rm = "RM" in unit
        if value > 0:
            (money if rm else tonnes).add(value)
    return tonnes, money


def derivable(target) -> set[float]:
    tonnes: set[float] = set()
    money: set[float] = set()
    for citation in target.rows:
        for row in resolve(citation):
            t, m = figures(row.value, row.unit)
            tonnes |= t
            money |= m
    record = abs(float(target.record)) * UNITS[target.unit]
    (money if "RM" in target.unit else tonnes).add(record) if record else None
    base = tonnes | money
    months = {12.0, 18.0, float(_months(target.first, target.last))}
    out = set(base) | {a / b for a in money for b in tonnes}
    out |= {a / m for a in base for m in months}
    return out


def _months(first: str, last: str) -> int:
    (y0, m0), (y1, m1) = (map(int, first.split("-")), map(int, last.split("-")))
    return (y1 - y0) * 12 + (m1 - m0) + 1


def checked_inputs() -> list[tuple[str, float]]:
    """(key path, value) of every number of 10 or more of the Soviet side, the treaties and the
    prices, a distribution giving its low, mode and high."""
    data = tomllib.loads(BASELINE.read_text())
    out: list[tuple[str, float]] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, int | float) and not isinstance(node, bool) and node >= 10:
            out.append((path, float(node)))

    for section in CHECKED_SECTIONS:
        walk(data.get(section, {}), section)
    return out


def registered_keys() -> set[str]:
    return {d["key"] for d in tomllib.loads(DERIVATIONS.read_text())["derivation"]}


def own_sources() -> dict[str, set[str]]:
    """Key path -> the rows its own comment cites (outside the validation rows)."""
    banned = validation_rows()
    out: dict[str, set[str]] = {}
    for e in entries():
        out.setdefault(e.path, set()).update(expand(rows_cited(e.comment), aliases()) - banned)
    return out


def comment_rows(path: str, sources: dict[str, set[str]]) -> set[str]:
    while path:
        if path in sources:
            return sources[path]
        path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
    return set()


def explained_by(value: float, rows: set[str]) -> bool:
    """The value is a figure (or a figure per month or year) of a non-validation row it cites."""
    pool: set[float] = set()
    for citation in rows:
        for row in resolve(citation):
            tonnes, money = figures(row.value, row.unit)
            pool |= tonnes | money | {a / b for a in money for b in tonnes}
    pool |= {a / m for a in set(pool) for m in (12.0, 18.0)}
    return any(math.isclose(value, x, rel_tol=0.02) for x in pool)


def good_of(path: str, goods: set[str]) -> str | None:
    return next((p for p in re.split(r"[.\[\]]", path) if p in goods), None)


def value_hits(inputs: list[tuple[str, float]]) -> list[str]:
    goods = set(tomllib.loads(BASELINE.read_text())["goods"])
    pools = [(t, derivable(t)) for t in TARGETS if t.role == "validation"]
    registered, sources = registered_keys(), own_sources()
    hits = []
    for path, value in inputs:
        key = re.sub(r"\.(low|mode|high)$", "", path)
        if value in TRIVIAL or key in registered:
            continue
        good = good_of(path, goods)
        for target, pool in pools:
            if good is not None and target.good is not None and target.good != good:
                continue  # another good's figures
            near = [x for x in pool if math.isclose(value, x, rel_tol=0.02)]
            if near and not explained_by(value, comment_rows(key, sources)):
                hits.append(f"{path} = {value:g} is {near[0]:.4g} from {target.id}'s rows")
                break
    return hits


# the treaty horizons (rows 37, 58) are structure, not figures of the rows
TRIVIAL = {12.0, 18.0, 27.0}


def test_the_value_check_finds_a_relabelled_delivery_figure():
    oilcake = next(t for t in TARGETS if t.id == "soviet_oilcake_to_invasion")
    assert any(math.isclose(x, 2_000, rel_tol=1e-9) for x in derivable(oilcake))  # 36 kt / 18
    fake = [("soviet_union.exportable_surplus_per_month.fats.mode", 2_000.0)]
    assert comment_rows("soviet_union.exportable_surplus_per_month.fats", own_sources()) == set()
    assert value_hits(fake), "36 kt over 18 months carried as a monthly surplus must be caught"
    chrome = [("goods.chrome.price_rm_per_unit", 87.0)]  # 2 M RM / 23 kt = 86.96 RM/t
    assert value_hits(chrome)


def test_no_input_carries_a_number_derived_from_a_validation_row():
    hits = value_hits(checked_inputs())
    assert not hits, (
        "inputs whose value a validation row gives by one division or product "
        "(register a different derivation in derivations.toml, or rebase them):\n" + "\n".join(hits)
    )
