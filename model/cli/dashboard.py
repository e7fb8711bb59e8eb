"""``pactsim dashboard``: check the arguments, then serve the page of
:mod:`model.presentation.dashboard_app` with Solara (the levers and the model are
:mod:`model.presentation.dashboard`'s). ``--scenario`` names the file the page starts
from; it is loaded and checked here, before any server starts, and handed to the page as
``$PACTSIM_SCENARIO``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import socket
import sys
from pathlib import Path

from model.errors import UserError, resolve_path
from model.files.scenario import load
from model.presentation.dashboard import (
    APP_MODULE,
    BASELINE_FILE,
    SCENARIO_DIR_ENV,
    SCENARIO_FILE_ENV,
    scenario_dir,
    scenario_files,
)


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=None,
        help="folder of scenario files to choose from (default ./scenarios)",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        metavar="NAME_OR_PATH",
        help="the scenario the page starts from: a name in the scenarios folder "
        "(long_baseline) or a .toml file in it (default: baseline)",
    )


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def solara_command(host: str, port: int) -> list[str]:
    """The command that serves the page (production mode, no browser, no version check)."""
    return [
        sys.executable, "-m", "solara", "run", APP_MODULE,
        "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version", "--log-level", "warning",
    ]  # fmt: skip


def start_scenario(chosen: str | None, folder: Path, folder_given: bool) -> tuple[Path, str]:
    """The scenarios folder and the file in it the page starts from, checked: ``chosen`` is
    a name in ``folder`` or a .toml file (whose folder is served unless --scenarios says
    another); a name that is not there is refused with the choices."""
    if chosen is None:
        return folder, BASELINE_FILE
    path = Path(chosen)
    if len(path.parts) == 1 and not path.is_file():  # a name in the folder (.toml optional)
        name = path.stem if path.suffix == ".toml" else chosen
        if not (folder / f"{name}.toml").is_file():
            names = [Path(n).stem for n in scenario_files(folder)]
            near = difflib.get_close_matches(name, names, 1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise UserError(
                f"--scenario: no scenario {chosen!r} in {folder}{hint}; "
                f"choose one of: {', '.join(names)}"
            )
        path = folder / f"{name}.toml"
    path = resolve_path(path)
    if not path.is_file():
        raise UserError(f"--scenario: no scenario file {chosen}")
    if path.parent != folder:
        if folder_given:
            raise UserError(
                f"--scenario: {chosen} is not in the scenarios folder {folder} (--scenarios)"
            )
        folder = path.parent  # the file's own folder, with its baseline, is served
    load(path)  # a broken file is refused now (one line naming the key), not in the page
    return folder, path.name


def main(args: argparse.Namespace) -> int:
    """Check the arguments, then become the Solara server (exec: one process, Ctrl-C stops it)."""

    if not 0 < args.port < 65536:
        raise UserError(f"--port must be between 1 and 65535, got {args.port}")
    folder = resolve_path(args.scenarios or scenario_dir())
    folder, start = start_scenario(args.scenario, folder, args.scenarios is not None)
    if not (folder / BASELINE_FILE).exists():
        raise UserError(f"no {BASELINE_FILE} in {folder}; pass --scenarios DIR")
    if not _port_free(args.host, args.port):
        raise UserError(f"port {args.port} on {args.host} is in use; choose another with --port")
    if (
        importlib.util.find_spec("solara") is None
        or importlib.util.find_spec("solara_assets") is None
    ):
        raise UserError(
            "the dashboard needs solara and solara-assets; pip install -e '.[dashboard]'"
        )
    env = {
        **os.environ,
        SCENARIO_DIR_ENV: str(folder),
        SCENARIO_FILE_ENV: start,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # offline machines: no analytics calls
    }
    print(
        f"pactsim dashboard: http://{args.host}:{args.port}/  ({start} from {folder}; Ctrl-C stops)",
        flush=True,
    )
    command = solara_command(args.host, args.port)
    os.execve(command[0], command, env)
    return 0  # not reached: execve replaces this process
