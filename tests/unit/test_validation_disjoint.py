"""Validation targets are out of sample: no input of baseline.toml cites their rows (docs/architecture.md §9).

The test follows the citations in the comments of scenarios/baseline.toml ("row 63",
"rows 63-72", "O34", "G8/G9", "H98"), expands STOCKS.md/FACTS.md aliases (G4 = row 98, from
scenarios/validation/derivations.toml) and fails if any key path cites a row that a
target with role = "validation" uses. Nothing is exempt (the Soviet side and the treaties
included, since issue 11).
"""

from __future__ import annotations

from model.analysis.validation import DEFAULT_TARGETS, load_targets, scenario_path
from model.files.scenario import load
from tests.baseline_citations import aliases, entries, expand, rows_cited

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
