"""Live file-system failures (issue 14's leftovers): a full disk and loops of symbolic links.

A full disk is a real 1 MB tmpfs (skipped where mounting is not allowed); the command must
end with one line and exit 2, leave no folder behind, and not crash the interpreter (h5py,
writing a netCDF file straight to a full disk, printed a traceback per file handle and
segfaulted at exit). Symbolic-link loops are refused with the file named, on every Python
(3.11 and 3.12 raise RuntimeError from ``Path.resolve``, 3.13 OSError).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def pactsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "model.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("mounting a small tmpfs is not allowed here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_run_on_a_full_disk_fails_in_one_line_and_leaves_nothing(full_disk):
    done = pactsim("run", str(BASELINE), "--runs", "50", "--out", str(full_disk / "x"))
    assert done.returncode == 2, done.stderr  # not 139 (a segfault) nor 1 (a traceback)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], done.stderr
    assert list(full_disk.iterdir()) == []  # no folder, no hidden partial one


def test_a_loop_of_symbolic_links_is_named_by_run_check_and_batch(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    os.symlink(b, a)
    os.symlink(a, b)
    for command in ("run", "check", "batch"):
        done = pactsim(command, str(a))
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr and str(a) in done.stderr, (command, done.stderr)
        assert "symbolic links" in done.stderr, (command, done.stderr)
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    done = pactsim("run", str(BASELINE), "--runs", "2", "--out", str(loop / "out"))
    assert done.returncode == 2 and "loop of symbolic links" in done.stderr, done.stderr


def test_a_batch_the_disk_cannot_hold_is_refused_before_it_runs(full_disk):
    out = full_disk / "b"
    done = pactsim("batch", str(ROOT / "experiments" / "smoke.toml"), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert "not enough disk" in done.stderr and "MB of disk at the peak" in done.stderr, done.stderr
    assert not out.exists()
