"""`pactsim check` and `pactsim diff` through the real CLI entry point.

Every file in ``scenario_corpus/`` breaks exactly one rule. Its first lines say what the
error must name: ``# expect: <key path>`` (empty for a whole-file problem) and optionally
``# says: <fragment of the message>``. A file that cannot hold comments (an empty file)
has its expectation in :data:`NO_COMMENT`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from model.cli import main as pactsim
from model.cli.diff import differences, show
from model.files.scenario import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "scenario_corpus"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
NO_COMMENT = {"empty.toml": ("", "the file is empty")}


def expectation(path: Path) -> tuple[str, str]:
    if path.name in NO_COMMENT:
        return NO_COMMENT[path.name]
    head = path.read_bytes().decode("utf-8", errors="replace").splitlines()[:2]
    key = re.fullmatch(r"# expect: ?(.*)", head[0]) if head else None
    assert key, f"{path.name} must start with '# expect: <key path>'"
    says = re.fullmatch(r"# says: (.*)", head[1]) if len(head) > 1 else None
    return key.group(1).strip(), says.group(1) if says else ""


MALFORMED = sorted(CORPUS.glob("*.toml"))


def test_corpus_is_large_enough():
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_check_rejects_malformed_file(path: Path, capsys):
    key_path, fragment = expectation(path)
    code = pactsim(["check", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert "Traceback" not in err
    assert line.startswith("pactsim check: error: ")
    assert path.name in line, f"the error must name the file: {line}"
    if key_path:
        assert f"{path.name}: {key_path}: " in line, line
    assert fragment in line, line


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_pass(path: Path, capsys):
    assert pactsim(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok  {path}\n"
    assert err == ""


def test_check_many_files_reports_each_and_fails_if_any_is_bad(capsys):
    good, bad = SCENARIOS[0], CORPUS / "month_13.toml"
    assert pactsim(["check", str(good), str(bad), str(good)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"ok  {good}", f"ok  {good}"]
    assert len(err.splitlines()) == 1 and "month_13.toml" in err


@pytest.mark.parametrize(
    "target, fragment",
    [
        ("does_not_exist.toml", "file not found"),
        (".", "is a folder; expected a regular TOML file"),
        # never read whole (tests/unit/test_bounded_inputs.py has FIFOs and oversized files)
        ("/dev/zero", "is a character device"),
        ("/dev/null", "is a character device"),
    ],
)
def test_check_unreadable_paths(tmp_path, target, fragment, capsys):
    assert pactsim(["check", str(tmp_path / target)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err


def test_deeply_nested_toml_is_one_line_error(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert pactsim(["check", str(deep)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "deep.toml" in err


@pytest.mark.skipif(
    importlib.util.find_spec("model.engine.runner") is None, reason="pactsim run not there yet"
)
@pytest.mark.parametrize(
    "name", ["month_13.toml", "syntax_error.toml", "cycle_a.toml", "empty.toml"]
)
def test_run_on_bad_file_exits_2_and_writes_nothing(tmp_path, name, capsys):
    out_dir = tmp_path / "results" / "should_not_exist"
    code = pactsim(["run", str(CORPUS / name), "--out", str(out_dir), "--no-figures"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and name in err and "Traceback" not in err
    assert not out_dir.exists()
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


# ---------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------
def test_diff_lists_the_overrides_of_a_counterfactual(capsys):
    base, other = (
        ROOT / "scenarios" / "baseline.toml",
        ROOT / "scenarios" / "no_french_fuel_capture.toml",
    )
    assert pactsim(["diff", str(base), str(other)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'name: "baseline" -> "no_french_fuel_capture"' in lines
    assert (
        "events.conquests.france_low_countries.capture.oil: "
        '{dist = "triangular", low = 200000, mode = 400000, high = 700000} -> 0.0'
    ) in lines
    assert all(
        line.split(":")[0]
        in {"name", "title", "question", "events.conquests.france_low_countries.capture.oil"}
        for line in lines
    )


def test_diff_of_a_file_with_itself_is_empty(capsys):
    base = ROOT / "scenarios" / "baseline.toml"
    assert pactsim(["diff", str(base), str(base)]) == 0
    assert capsys.readouterr().out == ""


def test_diff_shows_keys_only_on_one_side(capsys):
    base, other = (
        ROOT / "scenarios" / "baseline.toml",
        ROOT / "scenarios" / "soviet_oil_embargo_1940.toml",
    )
    assert pactsim(["diff", str(base), str(other)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'soviet_union.policy.political_events[1].kind: (absent) -> "threat"' in lines
    assert 'soviet_union.policy.political_events[0].kind: "threat" -> "embargo"' in lines


def test_diff_of_a_bad_file_is_one_error_line(capsys):
    base = ROOT / "scenarios" / "baseline.toml"
    assert pactsim(["diff", str(base), str(CORPUS / "unknown_key.toml")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "unknown_key.toml: colour: " in err


def test_differences_and_show():
    a = {
        "x": 1,
        "t": {"d": {"dist": "uniform", "low": 0, "high": 1}},
        "l": [{"m": "1940-01"}],
        "f": True,
    }
    b = {"x": 1.0, "t": {"d": 0.5}, "l": [{"m": "1940-02"}], "f": 1, "n": [1, 2]}
    assert differences(a, b) == [
        ("t.d", {"dist": "uniform", "low": 0, "high": 1}, 0.5),
        ("l[0].m", "1940-01", "1940-02"),
        ("f", True, 1),
        ("n", "(absent)", [1, 2]),
    ]
    assert (
        show({"dist": "choice", "values": ["1941-05", "1941-06"]})
        == '{dist = "choice", values = ["1941-05", "1941-06"]}'
    )
    assert show(False) == "false"


def test_readme_lists_every_scenario_with_its_question():
    readme = (ROOT / "scenarios" / "README.md").read_text()
    for path in SCENARIOS:
        question = load(path).get("question")
        assert f"| `{path.name}` | {question} |" in readme, path.name


CITATION = re.compile(
    r"#.*(rows? \d+|counterfactual|estimate|as in the baseline|\b[OGRMCU]\d+\b|FACTS|timeline)"
)


@pytest.mark.parametrize(
    "path",
    [p for p in SCENARIOS if p.stem not in ("baseline", "long_baseline")],
    ids=lambda p: p.stem,
)
def test_every_override_cites_its_source(path):
    """Each value a counterfactual sets carries a history row or says 'counterfactual'.

    long_baseline.toml is a baseline of its own (the 1930s inputs): it is held to
    baseline.toml's rules instead (tests/unit/test_long_baseline.py)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("#", 1)[0].strip()
        if (
            "=" not in code
            or code.endswith("[")
            or code.split("=")[0].strip() in ("extends", "name", "title", "question")
        ):
            continue
        assert CITATION.search(line), f"{path.name}:{number}: {line.strip()}"
