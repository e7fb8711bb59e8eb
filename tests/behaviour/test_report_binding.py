"""The report says what limited Soviet oil and grain, scenario by scenario (issue 11)."""

from __future__ import annotations

from pathlib import Path

from model.analysis.compare import load_results
from model.cli import main
from model.presentation.binding_table import binding_rows

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = """
name = "binding_report"
scenarios = ["{scenarios}/baseline.toml", "{scenarios}/soviet_oil_embargo_1940.toml"]
replications = 8
seed = 3
[trajectories]
variables = ["stock", "binding", "treaties_in_force", "suspended", "clearing_balance_rm"]
"""


def test_the_report_names_the_binding_constraint_for_oil_and_grain(tmp_path):
    exp = tmp_path / "e.toml"
    exp.write_text(EXPERIMENT.format(scenarios=(ROOT / "scenarios").as_posix()))
    assert main(["batch", str(exp), "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    rows = {
        r[0]: r[1:]
        for r in binding_rows(
            load_results(tmp_path / "out"), ["baseline", "soviet_oil_embargo_1940"]
        )
    }
    assert set(rows) == {"baseline", "soviet_oil_embargo_1940"}
    assert rows["soviet_oil_embargo_1940"][0].startswith(
        "suspension 100%"
    )  # the embargo holds oil back
    assert any(name in rows["baseline"][1] for name in ("rail", "quota", "supply", "pacing"))
    assert main(["report", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## What limited Soviet deliveries" in text and "soviet\\_oil\\_embargo\\_1940" in text
