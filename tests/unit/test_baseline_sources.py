"""Every calibrated number in baseline.toml carries its source on its line (DESIGN.md §7)."""

from __future__ import annotations

import re
from pathlib import Path

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
# keys whose values are structure or calendar, not calibration
STRUCTURAL = {
    "tonnes_per_unit", "transit_months", "calendar_month", "from", "to", "signed", "month",
    "draw_from", "draw_to", "soviet_from", "soviet_to", "german_from", "german_to",
}  # fmt: skip
SOURCE = re.compile(
    r"row \d+|rows \d+|\b[ORGMCU]\d+\b|estimate|DESIGN|FACTS|timeline|as in|Hansard|counterfactual",
    re.I,
)


def calibrated_lines() -> list[tuple[int, str, str]]:
    out = []
    for number, line in enumerate(BASELINE.read_text().splitlines(), 1):
        m = re.match(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*)$", line)
        if not m or line.lstrip().startswith("#"):
            continue
        key, rest = m.groups()
        value = rest.split("#", 1)[0].strip()
        if key in STRUCTURAL or not re.search(r"\d", value) or value.startswith('"'):
            continue
        if re.fullmatch(r"0(\.0*)?", value.replace("_", "")):
            continue  # a zero says "none of this good", not a calibrated amount
        if key == "price_rm_per_unit" and value == "1.0":
            continue  # goods counted in RM
        out.append((number, line, rest))
    return out


def test_every_calibrated_number_in_the_baseline_cites_its_source():
    lines = calibrated_lines()
    assert len(lines) > 150  # the check is looking at the file it should
    missing = [
        f"line {n}: {line.strip()}"
        for n, line, rest in lines
        if "#" not in rest or not SOURCE.search(rest.split("#", 1)[1])
    ]
    assert not missing, "numbers without a source:\n" + "\n".join(missing)
