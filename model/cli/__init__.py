"""The ``pactsim`` command: every subcommand, one module each (``model/cli/<command>.py``).

Each module provides ``add_arguments(parser, command)`` and ``main(args) -> int`` and only
parses, calls the library and prints. This file dispatches, hands the commands the
presentation layer's figure writers (``args.figure_writers``), and turns
every expected failure (a bad scenario or experiment file, a missing result folder, an
operating-system error such as a read-only folder or a full disk) into one clear line on
stderr and exit code 2, and Ctrl-C at any moment into one line and exit code 130 -- never
a traceback. A closed stdout (``pactsim compare RESULT | head``) is no error: the command
ends quietly with exit code 141 (128 + SIGPIPE, what a shell reports for a Unix tool whose
reader has gone), and a result folder it was writing is removed, never left half-written
(:mod:`model.cli.terminal`). Before ``compare`` and ``report`` read a result folder, its files are checked
against the checksums its manifest records (:mod:`model.store.manifest`).

May import: every layer (this is the top one).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from model.cli.terminal import CLOSED_PIPE_STATUS, quiet_stdout, stdout_closed
from model.errors import ScenarioError, UserError

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("model.cli.run", "run one scenario and write a result folder"),
    "check": (
        "model.cli.check",
        "validate scenario and experiment files without running them",
    ),
    "diff": ("model.cli.diff", "print every value that differs between two scenarios"),
    "batch": ("model.cli.batch", "run an experiment file: many scenarios x replications"),
    "bench": ("model.cli.bench", "measure throughput and memory of the vectorised model"),
    "compare": (
        "model.cli.compare",
        "paired differences of scenarios against the baseline",
    ),
    "report": ("model.cli.report", "figures and a report from a result folder"),
    "sensitivity": ("model.cli.sensitivity", "Sobol or Morris sensitivity analysis"),
    "validate": ("model.cli.validate", "the baseline against the historical record"),
    "dashboard": ("model.cli.dashboard", "explore a counterfactual live in the browser"),
    "sources": ("model.cli.sources", "print rows of the historical record the scenarios cite"),
    "verify": ("model.cli.verify", "check a result folder against its recorded checksums"),
}
# the commands that read a result folder (``args.result``): checked before they read it
READS_RESULT = ("compare", "report")
# what to do about the operating-system errors a user meets
OS_ADVICE = {
    errno.ENOSPC: "free some disk space, then resume or rerun",
    errno.EACCES: "check the permissions, or choose another folder",
    errno.EPERM: "check the permissions, or choose another folder",
    errno.EROFS: "the file system is read-only: choose a writable folder (--out)",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "the path is a folder: name a file",
    errno.ELOOP: "the path goes round a loop of symbolic links: fix the links",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.ENOENT: "check the path",
}


def _load(name: str):
    module_name, _ = COMMANDS[name]
    return importlib.import_module(module_name)


def _figure_writers():
    """The presentation layer's figure writers, handed to the commands below it."""
    from model.presentation.figures import FIGURE_WRITERS

    return FIGURE_WRITERS


class LazyWriters:
    """:func:`_figure_writers`, imported at the first use: a command refused by its input
    never loads the plotting modules."""

    def __getattr__(self, name: str):
        return getattr(_figure_writers(), name)


def _figure_names():
    """The figures a batch can draw (the report's list)."""
    from model.presentation.report_figures import FIGURES

    return FIGURES


class Parser(argparse.ArgumentParser):
    """argparse, except that a closed stdout under ``--help`` or ``--version`` reaches
    :func:`main` (argparse would swallow it and exit 0 without a word)."""

    command_parsers: dict[str, argparse.ArgumentParser]  # the top parser's, by command

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (file or sys.stderr).write(message)


class DefaultsHelp(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default once: not for on/off flags, options without
    one, or options whose help already says it; descriptions keep their line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.nargs == 0:
            return action.help
        if "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


DESCRIPTION = """\
pactsim: an agent-based simulation of German-Soviet trade 1939-1941 under Britain's blockade.
Scenario files (scenarios/*.toml) set the treaties, stocks and uncertain estimates; experiment
files (experiments/*.toml) say which scenarios to run and how many replications.
"""
EPILOG = """\
typical use:
  pactsim run scenarios/baseline.toml --runs 100      one scenario, 100 Monte Carlo runs
  pactsim batch experiments/counterfactuals.toml      every counterfactual, paired runs
  pactsim compare results/counterfactuals-<time>      paired differences against the baseline
  pactsim report results/counterfactuals-<time>       report.html with its figures
  pactsim check scenarios/*.toml                      validate files without running them
  pactsim sources 63                                  a cited row of the historical record

pactsim COMMAND --help lists a command's options with their defaults.
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pactsim {version('pactsim')}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "pactsim (not installed)"


def build_parser(argv: list[str]) -> Parser:
    defaults = DefaultsHelp  # every --help shows the defaults
    parser = Parser(
        prog="pactsim", description=DESCRIPTION, epilog=EPILOG, formatter_class=defaults
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None)
    parser.command_parsers = {}
    for name, (_module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=defaults)
        parser.command_parsers[name] = p
        if name == wanted:  # import only the module that will run
            _load(name).add_arguments(p, name)
    return parser


def os_error_line(err: OSError) -> str:
    """An OSError as one line: what failed, on which path, what to do."""
    what = err.strerror or str(err) or type(err).__name__
    paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
    where = f" ({' -> '.join(paths)})" if paths else ""
    advice = OS_ADVICE.get(err.errno or 0, "check the path and try again")
    return f"{what}{where}; {advice}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        status = _guarded(argv)
        sys.stdout.flush()  # a closed pipe shows here when the output was buffered
    except SystemExit:  # --help, --version and usage errors (argparse)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _closed_pipe()
        raise
    except BrokenPipeError:  # stdout's reader has gone (_guarded told it from other pipes)
        return _closed_pipe()
    return status


def _closed_pipe() -> int:
    quiet_stdout()  # what is still buffered goes nowhere, without a word at exit
    return CLOSED_PIPE_STATUS


def _guarded(argv: list[str]) -> int:
    """:func:`_main` with every expected failure as one line on stderr."""
    name = next((a for a in argv if not a.startswith("-")), "")
    try:
        return _main(argv)
    except (ScenarioError, UserError) as err:
        from model.cli.hints import with_hint

        message = " ".join(
            (with_hint(err, name) if isinstance(err, ScenarioError) else str(err)).split()
        )
        print(f"pactsim {name}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError as err:
        if stdout_closed():
            raise
        print(f"pactsim {name}: error: {os_error_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"pactsim {name}: error: {os_error_line(err)}", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"pactsim {name}: error: an input is nested too deeply to read", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pactsim {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        from model.cli.hints import unreadable_data

        line = unreadable_data(err)
        if line is None:
            raise  # a bug: its traceback is what a report needs
        print(f"pactsim {name}: error: {line}", file=sys.stderr)
        return 2


def _main(argv: list[str]) -> int:
    # figures go to files: the entry point picks matplotlib's file backend (unless the user
    # chose one), so importing the plotting module switches nothing for anyone else
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = build_parser(argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser: its usage, "pactsim compare: error: ..."
        named = parser.command_parsers.get(args.command) if args.command else None
        (named or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not args.command:
        parser.print_help()
        return 2
    module = _load(args.command)
    args.figure_writers = LazyWriters()  # imported when a command first draws
    if args.command == "batch":  # checked before the first run (imported only if named)
        args.figure_names = _figure_names
    result = getattr(args, "result", None)
    if isinstance(result, Path) and result.is_file():
        raise UserError(
            f"{result}: is a file; expected a result folder (pactsim run or batch writes one)"
        )
    if args.command in READS_RESULT and isinstance(result, Path):
        from model.store.manifest import refuse_damaged

        refuse_damaged(args.result)
    return int(module.main(args) or 0)
