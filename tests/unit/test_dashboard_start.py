"""``pactsim dashboard --scenario``: checked before any server starts, then the page's
first state (issue 24). No browser and no server: ``os.execve`` is replaced by a recorder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import model.cli.dashboard as dashboard_cli
from model.cli import main as pactsim
from model.files.scenario import load, shipped
from model.presentation.dashboard import SCENARIO_DIR_ENV, SCENARIO_FILE_ENV, DashboardModel

pytest.importorskip("solara")
from model.presentation.dashboard_app import initial_arguments  # noqa: E402


@pytest.fixture
def served(monkeypatch):
    """What the command would have served: the exec'd command and its environment."""
    calls: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(dashboard_cli, "_port_free", lambda host, port: True)
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    return calls


@pytest.mark.parametrize("wrong", ["long_baselin", "long_baselin.toml"])
def test_a_wrong_name_is_one_line_with_the_choices_and_no_server(served, capsys, wrong):
    assert pactsim(["dashboard", "--scenario", wrong]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{wrong}'" in err
    assert "did you mean long_baseline?" in err
    assert all(p.stem in err for p in shipped("scenarios").glob("*.toml"))
    assert served == []  # nothing was started


def test_a_broken_file_is_refused_before_the_server(served, capsys, tmp_path):
    (tmp_path / "baseline.toml").write_text((shipped("scenarios") / "baseline.toml").read_text())
    (tmp_path / "mine.toml").write_text('extends = "baseline"\nwindow = "1940"\n')
    assert pactsim(["dashboard", "--scenarios", str(tmp_path), "--scenario", "mine"]) == 2
    err = capsys.readouterr().err
    assert "mine.toml" in err and "window" in err and served == []


def test_a_file_outside_the_scenarios_folder_is_refused(served, capsys, tmp_path):
    other = shipped("scenarios") / "no_pact.toml"
    assert pactsim(["dashboard", "--scenarios", str(tmp_path), "--scenario", str(other)]) == 2
    assert "not in the scenarios folder" in capsys.readouterr().err and served == []


@pytest.mark.parametrize(
    ("given", "file"),
    [
        (None, "baseline.toml"),
        ("long_baseline", "long_baseline.toml"),
        (str(shipped("scenarios") / "no_pact.toml"), "no_pact.toml"),  # a path: its folder
    ],
)
def test_the_scenario_reaches_the_page(served, capsys, monkeypatch, given, file):
    argv = ["dashboard", "--port", "8799"] + (["--scenario", given] if given else [])
    assert pactsim(argv) == 0
    [(_, command, env)] = served
    assert "solara" in command and env[SCENARIO_FILE_ENV] == file
    assert Path(env[SCENARIO_DIR_ENV]) == shipped("scenarios").resolve()
    assert file in capsys.readouterr().out
    monkeypatch.setenv(SCENARIO_DIR_ENV, env[SCENARIO_DIR_ENV])
    monkeypatch.setenv(SCENARIO_FILE_ENV, env[SCENARIO_FILE_ENV])
    first = initial_arguments(Path(env[SCENARIO_DIR_ENV]))
    assert first["scenario_file"] == file
    if given == "long_baseline":  # the page's first model runs that scenario's window
        model = DashboardModel(**{**first, "runs": 1})
        start = load(shipped("scenarios") / file).data["window"]["start"]
        assert model.scenario_file == file and model.window.labels[0] == start
