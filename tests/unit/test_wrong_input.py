"""What a new user types wrong: every refusal is one line naming what was wrong and what
would do, exit 2, no traceback (issue 24, item 3). Cheap: nothing here runs the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.analysis.validation import DEFAULT_RUNS
from model.cli import main as pactsim
from model.files.scenario import shipped


def refused(capsys, *argv: str) -> str:
    """The one error line of ``pactsim ARGV`` (exit 2)."""
    assert pactsim(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["run", "long_baselin"], "did you mean long_baseline"),  # was: file not found
        (["check", "no_pakt"], "did you mean no_pact?"),
        (["diff", "baseline", "no_pakt"], "did you mean no_pact?"),
        (["batch", "smok"], "did you mean smoke?"),
        (["run", str(shipped("scenarios") / "baselin.toml")], "baseline.toml"),
    ],
)
def test_a_mistyped_name_says_what_it_may_have_meant(capsys, monkeypatch, tmp_path, argv, meant):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, *argv)
    assert "file not found" in err and meant in err


def test_a_name_near_nothing_lists_the_shipped_scenarios(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, "run", "zzz")
    assert "shipped scenarios: barter_only, baseline," in err and "more" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--seed", "-1"],  # was: numpy's "expected non-negative integer" traceback
        ["compare", "{folder}", "--seed", "-1"],  # the same, from the bootstrap
        ["report", "{folder}", "--seed", "-1"],  # the same, from a figure worker
        ["run", "baseline", "--seed", "-1"],
    ],
)
def test_a_negative_seed_is_refused(capsys, tmp_path, argv):
    err = refused(capsys, *(a.format(folder=tmp_path) for a in argv))
    assert "--seed must be a whole number from 0 to 2**64 - 1, got -1" in err


@pytest.mark.parametrize("runs", ["-3", "0", "100000000"])
def test_validate_refuses_runs_out_of_range(capsys, runs):
    # 10**8 used to start the runs (and not finish in a minute)
    assert "--runs must be from 1 to 10,000,000" in refused(capsys, "validate", "--runs", runs)


def test_sensitivity_chunk_zero_is_refused(capsys):
    # --chunk 0 was read as "not given" and a full analysis started
    file = str(shipped("experiments") / "sensitivity_oil.toml")
    err = refused(capsys, "sensitivity", file, "--chunk", "0")
    assert "--chunk must be at least 1, got 0" in err


@pytest.mark.parametrize("command", ["compare", "report", "verify"])
def test_a_file_is_not_a_result_folder(capsys, tmp_path, command):
    empty = tmp_path / "outcomes.parquet"
    empty.touch()  # was: "no such result folder", though it is there
    assert "is a file; expected a result folder" in refused(capsys, command, str(empty))


@pytest.fixture
def foreign(tmp_path) -> Path:
    """A folder another tool wrote: its own manifest, an outcomes file that is no Parquet."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"tool": "other", "version": 3}))
    (folder / "outcomes.parquet").write_text("a,b\n1,2\n")
    return folder


def test_compare_on_another_tools_folder(capsys, foreign):
    err = refused(capsys, "compare", str(foreign))  # was: pyarrow's ArrowInvalid traceback
    assert "outcomes.parquet" in err and "is this a result folder pactsim wrote?" in err


def test_verify_on_another_tools_folder(capsys, foreign):
    err = refused(capsys, "verify", str(foreign))  # was: "no checksums recorded ...; ok", exit 0
    assert "names no pactsim command; not a result folder" in err


def test_an_unknown_option_is_said_by_the_command(capsys, tmp_path):
    with pytest.raises(SystemExit) as done:  # argparse's usage error
        pactsim(["compare", str(tmp_path), "--runs", "5"])
    assert done.value.code == 2
    err = capsys.readouterr().err  # was: the top-level usage and "pactsim: error: ..."
    assert "usage: pactsim compare" in err
    assert "pactsim compare: error: unrecognized arguments: --runs 5" in err


@pytest.mark.parametrize("scenario", [[], ["--scenario", "long_baseline"]])
def test_validate_refuses_runs_its_memory_cannot_hold(capsys, scenario):
    """Issue 24: `validate --runs 10000000` (within --runs' range) held 5 GB and ran on past
    25 s; the memory floor `pactsim run` has now refuses it before any run."""
    err = refused(capsys, "validate", "--runs", "10000000", *scenario)
    name = scenario[-1] if scenario else "baseline"
    assert f"10,000,000 runs of {name} need ~" in err and "of memory" in err
    assert f"fewer runs, or the default, --runs {DEFAULT_RUNS:,}" in err
