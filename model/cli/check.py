"""``pactsim check FILE...``: validate scenario files and experiment files without running them.

A scenario file is resolved and validated (``extends``, then :mod:`model.files.schema`) by
:func:`check_file`. A file with a
top-level ``scenarios`` list is an experiment file (:mod:`model.batch.experiment`): its own
keys are validated, then every scenario it names, then the size of its design against the
stated limits (the runs per scenario depend on the scenarios' uncertain parameters). Each
good file prints ``ok  <file>``; each bad one one error line on stderr; exit 0 if every file
is good, 2 otherwise -- never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from model.batch.experiment import check_design_size, load_experiment, uncertain_paths
from model.cli.hints import with_hint
from model.errors import ScenarioError, UserError
from model.files.scenario import find_file, load, read_toml


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="scenario or experiment files to validate"
    )


def is_experiment(file: str) -> bool:
    """A TOML file with a top-level ``scenarios`` list (scenario files have no such key); a
    bare name that is no file here is a shipped experiment if one has that name."""
    path = find_file(file, "scenarios")
    if not path.exists():
        path = find_file(file, "experiments")
    try:
        data = read_toml(path)
    except (ScenarioError, RecursionError):
        return False  # the scenario check says what is wrong with it
    return isinstance(data.get("scenarios"), list)


def check_file(file: str) -> str | None:
    """None if the file is a usable scenario, else the one-line reason."""
    try:
        load(file)
    except ScenarioError as err:
        return with_hint(err, "check")
    except RecursionError:
        return f"{file}: the scenario is nested too deeply to check"
    except Exception as err:  # noqa: BLE001 -- the CLI boundary: one line, never a traceback
        return (
            f"{file}: internal error while checking ({type(err).__name__}: {err}); please report it"
        )
    return None


def check_experiment(file: str) -> str | None:
    """None if the experiment and every scenario it names are usable, else the reason."""
    try:
        experiment = load_experiment(file)
        scenarios = experiment.load_scenarios()
        check_design_size(experiment, len(uncertain_paths(scenarios)), len(scenarios))
    except ScenarioError as err:
        return with_hint(err, "check")
    except UserError as err:
        return str(err)
    return None


def main(args: argparse.Namespace) -> int:
    bad = 0
    for file in args.files:
        if is_experiment(file):
            problem = check_experiment(file)
        else:
            problem = check_file(file)
        if problem is None:
            print(f"ok  {file}")
        else:
            bad += 1
            print(f"pactsim check: error: {' '.join(problem.split())}", file=sys.stderr)
    return 2 if bad else 0
