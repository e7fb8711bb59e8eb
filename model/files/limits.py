"""Bounds on what a file may make the program read or build, checked before it reads or builds.

- :func:`read_input` reads a scenario or experiment file: a regular file of at most
  :data:`MAX_INPUT_BYTES`, else one :class:`~model.errors.ScenarioError` naming it (a device
  such as ``/dev/zero``, a FIFO, a folder or a larger file is refused before a byte is read,
  and a file that grows while it is read is cut at the cap and refused).
- :func:`available_memory` and :func:`free_disk` are what the machine has now; the batch,
  ``pactsim run``, ``pactsim sensitivity`` and the API compare what an experiment implies
  (computed from its numbers alone) with them before they draw or allocate anything.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from model.errors import ScenarioError

# The largest scenario shipped is ~60 kB; a file 70 times larger is not a scenario.
MAX_INPUT_BYTES = 4_000_000

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def size_text(n_bytes: float) -> str:
    """``"1.2 GB"``, ``"340 MB"``, ``"12 kB"``: bytes in the unit that reads best."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"


def read_input(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of an input file: a regular file of at most ``limit`` bytes, else a
    :class:`ScenarioError` naming the file (never a read of an endless or huge file)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except OSError as err:
        raise ScenarioError(path, "", f"cannot be read ({err.strerror or err})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise ScenarioError(path, "", f"is {kind}; expected a regular TOML file")
    cap = f"more than the {limit:,} bytes an input file may have; expected a TOML file"
    if info.st_size > limit:
        raise ScenarioError(path, "", f"is {info.st_size:,} bytes, {cap}")
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as err:
        raise ScenarioError(path, "", f"cannot be read ({err.strerror or err})") from None
    if len(raw) > limit:  # it grew while being read
        raise ScenarioError(path, "", f"is {cap} (it grew while being read)")
    return raw


def available_memory() -> int:
    """Bytes of memory the machine can give now without swapping (``MemAvailable``)."""
    try:
        import psutil  # a dependency of dask.distributed

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):  # pragma: no cover - psutil ships with dask[distributed]
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def free_disk(where: Path) -> tuple[int, Path]:
    """Free bytes on the file system that holds ``where`` (or its first existing parent)."""
    target = Path(where)
    probe = next((p for p in (target, *target.parents) if p.exists()), Path("."))
    return shutil.disk_usage(probe).free, probe
