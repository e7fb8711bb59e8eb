"""The errors a user sees: printed by the ``pactsim`` command as one line, never a traceback.

The lowest layer of the package: it imports nothing from ``model``, and every layer may
raise these. ``UserError`` is a mistake in what the user asked for (a missing folder, a bad
option); ``ScenarioError`` is a file that cannot be used, named with its key path and what
was expected there.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """An error in what the user asked for or supplied; printed without a traceback."""


class ScenarioError(ValueError):
    """A scenario file that cannot be used."""

    def __init__(self, file: str | Path, key_path: str, expected: str):
        self.file = str(file)
        self.key_path = key_path
        self.expected = expected
        where = f"{self.file}: {key_path}" if key_path else self.file
        super().__init__(f"{where}: {expected}")


def resolve_path(path: str | Path) -> Path:
    """``Path(path).resolve()``, with a loop of symbolic links as ``OSError(ELOOP)`` on every Python.

    Python 3.11 and 3.12 raise ``RuntimeError("Symlink loop from ...")`` there, which the
    command would show as a traceback; 3.13 raises the ``OSError`` the command explains.
    """
    try:
        return Path(path).resolve()
    except RuntimeError as err:  # Python < 3.13
        import errno

        raise OSError(errno.ELOOP, "Too many levels of symbolic links", str(path)) from err
