"""The baseline reproduces the historical record: every target of scenarios/validation/targets.toml
holds its band (docs/architecture.md §9), and ``pactsim validate`` reports it.

One seeded Monte Carlo batch (100 runs, seed 0) is shared by all the checks. A band is a
tolerance, not a golden number: a change that moves a median out of its band has broken
the calibration against history (see docs/calibration.md before widening a band).
"""

from __future__ import annotations

import json

import pytest

from model.analysis.validation import (
    DEFAULT_TARGETS,
    evaluate_all,
    load_targets,
    scenario_path,
)
from model.cli import main as cli_main
from model.engine.runner import simulate
from model.files.scenario import ScenarioError, load

N_RUNS = 100
SEED = 0
BASELINE = load(scenario_path(DEFAULT_TARGETS))
TARGETS = load_targets(DEFAULT_TARGETS, BASELINE)


@pytest.fixture(scope="module")
def results():
    result = simulate(BASELINE, n_runs=N_RUNS, seed=SEED)
    return {
        r.target.id: r
        for r in evaluate_all(
            TARGETS,
            BASELINE,
            lambda s: result if s is BASELINE else simulate(s, n_runs=N_RUNS, seed=SEED),
        )
    }


# Out-of-sample misses, kept visible: since issue 11 the Soviet deliveries by good are outputs
# of Soviet supply and policy, not inputs; where the model misses the record it says so here.
KNOWN_MISSES = {
    "german_rubber_stock_oct_1940": "model 0 t vs 1,500 t (seed 0): with the blockade complete overseas (FACTS §2) the "
    "5 % leak of overseas rubber (~18 kt to mid-1941) is gone; Buna, the transit and the French booty do not cover "
    "use at the substitution share chosen (with this stock in view) when the leak was there",
    "oil_drawdown_russian_campaign": "model -0.92 Mt vs -1.95 Mt (seed 0): the eastern-war demand comes from O16's "
    "war requirement (x1.46), no longer from O35, the memo of this target; below the British 400 kt/month",
    "oil_not_exhausted_before_mid_1942": "73 % of runs run out before June 1942 (<= 50 % asked): the model's stock is "
    "the Reich's (~2 Mt at the invasion, row 90), not O32's Axis-wide 5-7 Mt, and military use keeps priority "
    "(O39's cut of allocations reaches only civil use)",
    "soviet_chrome_to_invasion": "model ~40 kt vs 23 kt (seed 0): C5's 'small' surplus is not small enough",
    "soviet_phosphates_to_invasion": "model ~465 kt vs 214 kt (seed 0): the apatite surplus is taken from the 500 kt quota (row 43)",
    "soviet_oilcake_to_invasion": "model ~71 kt vs 36 kt (seed 0): no record of an oilcake quota or surplus; the "
    "surplus is a wide prior (12-144 kt/yr, no longer the delivered 36 kt / 18 months) and the chosen 50 kt/yr quota binds",
    "soviet_nickel_to_invasion": "model ~3.7 kt vs 1.8 kt (seed 0): no record of a nickel quota or of Soviet nickel "
    "output; the surplus is a prior (0-4.8 kt/yr, no longer the delivered 1.8 kt / 18 months)",
    "soviet_grain_to_invasion": "model ~2.22 Mt vs 1.6 Mt (seed 0): the quotas bind (most months); with the "
    "border crossings a prior (200-800 kt/month) instead of the 290 kt fitted to the deliveries, nothing in the "
    "model holds grain to the record's 1.6 Mt",
    "soviet_manganese_to_invasion": "model ~252 kt vs 185 kt (seed 0): supply binds (about half the months); the Soviet "
    "manganese surplus is a wide prior (100-400 kt/yr) with no export record",
}


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN_MISSES[t.id], strict=True))
        if t.id in KNOWN_MISSES
        else t
        for t in TARGETS
    ],
    ids=[t.id for t in TARGETS],
)
def test_the_baseline_holds_the_band(results, target):
    r = results[target.id]
    assert r.within_band, (
        f"{target.id} ({target.source} [{target.tag}]): model {r.median:.4g} {target.unit}, "
        f"record {target.record:.4g}, band {target.low:.4g}..{target.high:.4g}"
    )


def test_the_targets_cover_the_record_that_design_section_9_names():
    rows = {row for t in TARGETS for row in t.rows}
    wanted = {
        f"row {n}"
        for n in (
            15,
            51,
            52,
            63,
            64,
            65,
            66,
            68,
            69,
            70,
            71,
            72,
            76,
            79,
            80,
            91,
            110,
            114,
            117,
            129,
            131,
        )
    }
    assert wanted <= rows, sorted(wanted - rows)


def test_validate_prints_json_with_one_object_per_target(capsys):
    assert cli_main(["validate", "--runs", "20", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in out] == [t.id for t in TARGETS]
    fields = {
        "record",
        "median",
        "p05",
        "p95",
        "relative_error",
        "band",
        "within_band",
        "rows",
        "tag",
        "unit",
        "role",
    }
    assert all(fields <= set(o) for o in out)
    assert {o["role"] for o in out} == {"calibration", "validation"}


def test_every_target_has_a_role_and_the_validation_set_is_large_enough():
    roles = [t.role for t in TARGETS]
    assert set(roles) <= {"calibration", "validation"}
    assert roles.count("validation") >= 10


def test_validate_prints_a_table(capsys):
    assert cli_main(["validate", "--runs", "10"]) == 0
    out = capsys.readouterr().out
    assert "soviet_oil_to_invasion" in out and "row 63" in out
    n_cal = sum(t.role == "calibration" for t in TARGETS)
    n_val = sum(t.role == "validation" for t in TARGETS)
    assert (
        f"calibration: {n_cal} calibration targets" in out
        and f"validation: {n_val} validation targets" in out
    )
    assert out.index("calibration: ") < out.index("validation: ")
    assert f"of {len(TARGETS)} targets within their bands" in out


@pytest.mark.parametrize("columns", [None, "100"])
def test_validate_fits_the_terminal(capsys, monkeypatch, columns):
    """The table takes $COLUMNS (120 when piped without it; it forced 190) and wraps its cells
    rather than cropping a column off (issue 24, item 4)."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli_main(["validate", "--runs", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    width = int(columns or 120)
    assert max(map(len, lines)) <= width
    table = [line for line in lines if line[:1] in "┏┃│┡└"]
    assert table and all(line.rstrip()[-1] in "┓┃│┩┘" for line in table), "a column was cropped"
    head = "".join(table[:3])  # the header, the last column ("in band") included
    assert "acceptance" in head and head.rstrip().endswith("band ┃")


BAD_TARGETS = {
    "unknown variable": ('variable = "oil_stock"', "variable"),
    "unknown good": ('good = "bananas"', "good"),
    "month outside the window": ('to = "1944-06"', "to"),
    "a bound-only tag without a band": ('tag = "F"', "band"),
    "unknown key": ('colour = "red"', "colour"),
    "a role that is neither calibration nor validation": ('role = "evidence"', "role"),
    "a counterfactual scenario that does not exist": ('scenario = "no_such_scenario"', "scenario"),
}


@pytest.mark.parametrize("problem", BAD_TARGETS, ids=list(BAD_TARGETS))
def test_a_malformed_targets_file_is_a_clear_error(tmp_path, capsys, problem):
    line, key = BAD_TARGETS[problem]
    text = f"""
scenario = "{BASELINE.path.as_posix()}"
[tolerance]
S = 0.25
[[target]]
id = "oil"
description = "Soviet oil"
variable = "soviet_deliveries"
good = "oil"
statistic = "sum"
from = "1939-09"
to = "1941-06"
unit = "kt"
record = 1000
tag = "S"
rows = ["row 63"]
role = "validation"
"""
    name = line.split(" = ")[0]
    text = (
        "\n".join(row for row in text.splitlines() if not row.startswith(f"{name} = "))
        + f"\n{line}\n"
    )
    path = tmp_path / "targets.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_targets(path, BASELINE)
    assert str(path) in str(err.value) and key in err.value.key_path
    assert cli_main(["validate", "--runs", "2", "--targets", str(path)]) == 2
    assert "pactsim validate: error:" in capsys.readouterr().err
