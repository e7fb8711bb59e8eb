"""README's two commands stay true: CI runs README's test command, and the main job exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    top = text[text.index("## Two commands") : text.index("## Commands")]
    return re.findall(r"```bash\n(.+?)\n```", top)


def test_ci_runs_the_test_command_written_in_the_readme():
    main_job, tests = readme_commands()
    assert "pytest" in tests
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert tests.strip() in ci_lines


def test_the_main_job_runs_an_experiment_that_exists():
    main_job, _ = readme_commands()
    experiment = re.search(r"pactsim batch (\S+)", main_job).group(1)
    assert (ROOT / experiment).is_file()
