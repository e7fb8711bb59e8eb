"""`pactsim --version` and defaults in `--help` (issue 13, part 7)."""

from __future__ import annotations

import pytest

from model.cli import main as cli_main


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli_main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("pactsim ")


@pytest.mark.parametrize(
    ("command", "shown"), [("compare", "(default: 2000)"), ("run", "(default: 0)")]
)
def test_help_shows_defaults(capsys, command, shown):
    with pytest.raises(SystemExit):
        cli_main([command, "--help"])
    assert shown in capsys.readouterr().out


def test_top_level_help_says_what_pactsim_is_and_lists_every_command(capsys):
    from model.cli import COMMANDS

    with pytest.raises(SystemExit):
        cli_main(["--help"])
    out = capsys.readouterr().out
    assert "German-Soviet trade" in out and "typical use:" in out
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize("command", ["batch", "dashboard", "validate", "run", "compare"])
def test_no_option_prints_its_default_twice(capsys, command):
    with pytest.raises(SystemExit):
        cli_main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # help text wrapped over lines
    options = text.split("options:")[1]
    for entry in options.split(" --")[1:]:
        assert entry.count("default") <= 1, entry
