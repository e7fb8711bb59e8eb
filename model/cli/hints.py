"""What to add to an error a new user meets: the files a mistyped name may have meant, and
what a data file pactsim cannot read is.

``pactsim run long_baselin`` used to end with ``.../long_baselin.toml: file not found``.
Every command's "file not found" now also names the nearest scenario or experiment files
(in the folder the path names, and among the shipped ones, which a bare name finds) or, for
a name in the current folder with nothing near, the shipped choices.

May import: every layer (this is the top one).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from model.errors import ScenarioError
from model.files.scenario import shipped

NOT_FOUND = "file not found"
KINDS = ("scenarios", "experiments")
# the shipped files each command's file arguments may name (others get no list)
COMMAND_KINDS = {
    "run": ("scenarios",),
    "diff": ("scenarios",),
    "check": KINDS,
    "batch": ("experiments",),
    "sensitivity": ("experiments",),
}
SHOWN = 12  # names listed when nothing is near


def _names(folder: Path) -> list[str]:
    try:
        return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    except OSError:
        return []


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def file_hint(err: ScenarioError, command: str) -> str:
    """``"; did you mean ...?"`` (or the shipped choices) for a file ``command`` did not
    find, else ``""``."""
    kinds = COMMAND_KINDS.get(command, ())
    if err.expected != NOT_FOUND or err.key_path or not kinds:
        return ""
    path = Path(err.file)
    near = {path.with_name(f"{n}.toml").resolve(): str(path.with_name(f"{n}.toml"))
            for n in _close(path.stem, path.parent)}  # fmt: skip
    for kind in kinds:  # shipped files are found by their bare name
        for n in _close(path.stem, shipped(kind)):
            near.setdefault((shipped(kind) / f"{n}.toml").resolve(), n)
    if near:
        return f"; did you mean {' or '.join(list(near.values())[:3])}?"
    if path.parent.resolve() != Path.cwd().resolve():
        return ""
    return "".join(f"; shipped {kind}: {_listed(_names(shipped(kind)))}" for kind in kinds)


def _close(stem: str, folder: Path) -> list[str]:
    return difflib.get_close_matches(stem, _names(folder), 3, 0.6)


def with_hint(err: ScenarioError, command: str) -> str:
    """The error's line, with :func:`file_hint`."""
    return str(err) + file_hint(err, command)


def unreadable_data(err: BaseException) -> str | None:
    """The one line for a data file pyarrow cannot read (a folder another tool wrote, a
    truncated file), or None if ``err`` is no such error."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is None or not isinstance(err, pyarrow.ArrowException):
        return None
    what = " ".join(str(err).split()) or type(err).__name__
    return f"a data file cannot be read ({what}); is this a result folder pactsim wrote?"
