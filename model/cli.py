"""The ``pactsim`` command.

Each subcommand lives in the module of the concept it serves; that module provides
``add_arguments(parser, command)`` and ``main(args) -> int`` (``args.command`` names the
subcommand, so one module may serve several). This file only dispatches, and turns
every expected failure (a bad scenario or experiment file, a missing result folder) into
one clear line on stderr and exit code 2 -- never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("model.runner", "run one scenario and write a result folder"),
    "check": ("model.scenario_commands", "validate scenario files without running them"),
    "diff": ("model.scenario_commands", "print every value that differs between two scenarios"),
    "batch": ("model.batch", "run an experiment file: many scenarios x replications"),
    "bench": ("model.bench", "measure throughput and memory of the vectorised model"),
    "compare": ("model.compare", "paired differences of scenarios against the baseline"),
    "report": ("model.report", "figures and a report from a result folder"),
    "sensitivity": ("model.sensitivity", "Sobol or Morris sensitivity analysis"),
    "validate": ("model.validation", "the baseline against the historical record"),
    "dashboard": ("model.dashboard", "explore a counterfactual live in the browser"),
    "sources": ("model.record.command", "print rows of the historical record the scenarios cite"),
}


class UserError(Exception):
    """An error in what the user asked for or supplied; printed without a traceback."""


def _load(name: str):
    module_name, _ = COMMANDS[name]
    return importlib.import_module(module_name)


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pactsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (_module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:  # import only the module that will run
            _load(name).add_arguments(p, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    from model.cli import (
        UserError as user_error,  # the same class when run as `python -m model.cli`
    )
    from model.scenario import ScenarioError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = _load(args.command)
    try:
        return int(module.main(args) or 0)
    except (ScenarioError, user_error) as err:
        print(f"pactsim {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pactsim {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
