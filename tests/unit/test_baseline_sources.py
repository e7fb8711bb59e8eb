"""Every calibrated number in baseline.toml carries its source on its line (docs/architecture.md §7).

A source is a history row ("row 63", "O34", "G8/G9"), a named document (docs/architecture.md, FACTS §2,
Hansard, the timeline) or, for a number the record does not pin down, its basis stated in
one of three forms: a range from named rows ("range from rows: ..."), an analogy
("analogy: ..."), or "no record: chosen ..." (with why). "estimate" alone is not a source.
Nothing is exempt.
"""

from __future__ import annotations

import re

from tests.baseline_citations import entries, rows_cited

# keys whose values are structure or calendar, not calibration
STRUCTURAL = {
    "tonnes_per_unit", "transit_months", "calendar_month", "from", "to", "signed", "month",
    "draw_from", "draw_to", "soviet_from", "soviet_to", "german_from", "german_to",
}  # fmt: skip
NAMED = re.compile(
    r"architecture\.md|FACTS §|timeline|\bas in\b|Hansard|counterfactual|\[D\]|fitted to the calibration",
    re.I,
)
BASIS = re.compile(r"no record|analogy|range from rows", re.I)


def calibrated() -> list:
    out = []
    for e in entries():
        key = e.path.rsplit(".", 1)[-1].split("[")[0]
        value = e.value.split("#", 1)[0].strip()
        if not value or key in STRUCTURAL or not re.search(r"\d", value) or value.startswith('"'):
            continue
        if re.fullmatch(r"0(\.0*)?,?", value.replace("_", "")):
            continue  # a zero says "none of this good", not a calibrated amount
        if key == "price_rm_per_unit" and value == "1.0":
            continue  # goods counted in RM
        if value.startswith("{from =") and "t_per_month" not in value and "rm =" not in value:
            continue  # a war-phase schedule entry: a date and a name
        out.append(e)
    return out


def sourced(comment: str) -> bool:
    if "estimate" in comment.lower() and not (
        rows_cited(comment) or BASIS.search(comment) or NAMED.search(comment)
    ):
        return False
    return bool(rows_cited(comment) or NAMED.search(comment) or BASIS.search(comment))


def test_the_check_reads_the_file_it_should():
    assert len(calibrated()) > 150


def test_every_calibrated_number_cites_its_source_or_states_its_basis():
    missing = [
        f"line {e.line}: {e.path} = {e.value[:50]}  # {e.comment[:60]}"
        for e in calibrated()
        if not sourced(e.comment)
    ]
    assert not missing, "numbers without a source or basis:\n" + "\n".join(missing)


def test_a_bare_estimate_is_not_a_source():
    assert not sourced("estimate")
    assert not sourced("estimate: Bor mine")
    assert sourced("no record: Bor mine's output; chosen small")
    assert sourced("row 124: 27 kt/yr")
