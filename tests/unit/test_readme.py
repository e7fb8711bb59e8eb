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


def _experiment_rows() -> dict[str, str]:
    text = (ROOT / "experiments" / "README.md").read_text()
    return dict(re.findall(r"^\| `(\w+)\.toml` \|.*\| ([^|]+) \|$", text, re.M))


def test_the_readmes_counts_are_the_codes():
    """The numbers the READMEs state about scenarios, experiments and the design come from
    the files and code that produce them (issue 24, item 5)."""
    from model.batch.experiment import load_experiment
    from model.files.scenario import load

    counterfactuals = load_experiment(ROOT / "experiments" / "counterfactuals.toml")
    n = len(counterfactuals.scenario_entries)
    readme = (ROOT / "README.md").read_text()
    said = re.search(r"the baseline and (\d+) counterfactuals,\s+([\d,]+) paired", readme)
    assert said and int(said.group(1)) == n - 1
    assert int(said.group(2).replace(",", "")) == counterfactuals.replications
    # experiments/README: runs per experiment and D
    rows = _experiment_rows()
    assert rows["counterfactuals"].strip() == f"{n} × {counterfactuals.replications:,}"
    for name in ("smoke", "invasion_timing_lhs"):
        exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
        assert rows[name].strip() == f"{len(exp.scenario_entries)} × {exp.replications:,}"
    text = (ROOT / "experiments" / "README.md").read_text()
    d = re.search(r"\((\d+) in the baseline\)", text)
    assert d and int(d.group(1)) == len(load(ROOT / "scenarios" / "baseline.toml").uncertain())


def test_the_headline_table_has_a_row_per_scenario_of_the_experiment():
    from model.batch.experiment import load_experiment
    from model.files.scenario import load

    readme = (ROOT / "README.md").read_text()
    paths = load_experiment(ROOT / "experiments" / "counterfactuals.toml").scenario_paths()
    table = readme[readme.index("| scenario |") : readme.index("![paired differences]")]
    named = re.findall(r"^\| \*{0,2}(\w+)\*{0,2} \(([^)]*(?:\([^)]*\)[^)]*)*)\)", table, re.M)
    titles = {load(p).name: load(p).data.get("title") for p in paths}
    assert [name for name, _ in named] == [load(p).name for p in paths]
    assert all(title == titles[name] for name, title in named)


def test_the_readme_names_a_commit_that_exists_and_only_what_model_exports():
    import subprocess

    import model

    readme = (ROOT / "README.md").read_text()
    commits = re.findall(r"\bcode ([0-9a-f]{7,40})\b", readme)
    assert commits, "the headline table names the commit that produced it"
    if (ROOT / ".git").exists():
        for commit in commits:
            found = subprocess.run(
                ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True
            )
            assert found.returncode == 0, f"README names commit {commit}, which git does not know"
    for name in re.findall(r"`model\.(\w+)\(", readme):
        assert hasattr(model, name), f"README calls model.{name}, which model does not export"
