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
