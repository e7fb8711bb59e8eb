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


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def test_no_module_over_600_lines_and_no_function_over_60_without_a_reason():
    """A longer function must say why in its docstring ("long because ...")."""
    import ast

    too_long = []
    for path in sorted((ROOT / "model").rglob("*.py")):
        text = path.read_text()
        name = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                reason = "long because" in (ast.get_docstring(node) or "").lower()
                if lines > MAX_FUNCTION_LINES and not reason:
                    too_long.append(f"{name}:{node.lineno} {node.name}(): {lines} lines")
    assert not too_long, "\n".join(too_long)
