"""``pactsim dashboard``: check the arguments, then serve the page of
:mod:`model.presentation.dashboard_app` with Solara (the levers and the model are
:mod:`model.presentation.dashboard`'s).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from pathlib import Path

from model.errors import UserError, resolve_path
from model.presentation.dashboard import APP_MODULE, BASELINE_FILE, SCENARIO_DIR_ENV, scenario_dir


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


def main(args: argparse.Namespace) -> int:
    """Check the arguments, then become the Solara server (exec: one process, Ctrl-C stops it)."""

    if not 0 < args.port < 65536:
        raise UserError(f"--port must be between 1 and 65535, got {args.port}")
    folder = resolve_path(args.scenarios or scenario_dir())
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
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # offline machines: no analytics calls
    }
    print(
        f"pactsim dashboard: http://{args.host}:{args.port}/  (scenarios from {folder}; Ctrl-C stops)",
        flush=True,
    )
    command = solara_command(args.host, args.port)
    os.execve(command[0], command, env)
    return 0  # not reached: execve replaces this process
