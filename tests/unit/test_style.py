"""The habits CI holds: ruff's formatting and lint rules, and mypy over the library.

They run the venv's own tools (``sys.executable -m ruff`` / ``-m mypy``) with the settings
in pyproject.toml, from the project root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_format_is_applied():
    done = run("ruff", "format", "--check", ".")
    assert done.returncode == 0, "run `ruff format .`:\n" + done.stdout + done.stderr


def test_ruff_check_passes():
    done = run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_passes_over_the_library():
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    done = run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
