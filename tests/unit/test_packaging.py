"""What a non-editable install ships: every subpackage, and the scenario and experiment files.

The scenario and experiment folders stay at the top of the checkout; pyproject.toml maps them
into the package as ``model/scenarios`` and ``model/experiments``. Here the installed layout
is built from pyproject.toml's own mapping and globs (as a wheel lays it out) and a fresh
interpreter, started outside the checkout, loads the baseline and checks a shipped
experiment by name. ``.ci/run`` builds the real wheel and runs a scenario from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_of_model_is_packaged():
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "model").rglob("__init__.py")
    }
    listed = set(SETUPTOOLS["packages"])
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"
    mapped = SETUPTOOLS["package-dir"]
    assert listed - found == set(mapped), "every listed package is in model/ or mapped"
    assert all((ROOT / folder).is_dir() for folder in mapped.values())


def installed_layout(site: Path) -> None:
    """``site/model`` as a wheel holds it: the package, plus the mapped folders' data files."""
    shutil.copytree(ROOT / "model", site / "model", ignore=shutil.ignore_patterns("__pycache__"))
    for package, folder in SETUPTOOLS["package-dir"].items():
        target = site.joinpath(*package.split("."))
        for pattern in SETUPTOOLS["package-data"][package]:
            for file in (ROOT / folder).glob(pattern):
                (target / file.relative_to(ROOT / folder)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target / file.relative_to(ROOT / folder))


def test_an_installed_package_finds_its_scenarios_and_experiments(tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    installed_layout(site)
    elsewhere.mkdir()
    script = (
        "import sys, model\n"
        "from model.cli import main\n"
        "s = model.load_scenario('baseline')\n"
        "print(s.path)\n"
        "sys.exit(main(['check', 'baseline', 'no_pact', 'smoke']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert Path(lines[0]) == (site / "model" / "scenarios" / "baseline.toml").resolve()
    assert lines[1:] == ["ok  baseline", "ok  no_pact", "ok  smoke"]


def test_the_checkout_uses_its_own_folders():
    from model.files.scenario import shipped

    assert shipped("scenarios") == ROOT / "scenarios"
    assert shipped("experiments") == ROOT / "experiments"
