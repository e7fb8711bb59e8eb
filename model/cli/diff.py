"""``pactsim diff A B``: every value that differs between two scenario files.

``diff`` resolves both scenarios and prints every key path whose value differs, as
``path: A-value -> B-value`` (``(absent)`` for a key only one side has), in the order of
A's keys followed by keys only B has. A distribution counts as one value. Exit 0.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from model.files.scenario import load
from model.world.keypaths import walk

ABSENT = "(absent)"


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("a", metavar="A", help="first scenario file")
    parser.add_argument("b", metavar="B", help="second scenario file")


def main(args: argparse.Namespace) -> int:
    return diff_files(args.a, args.b)


# ---------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------
def show(value: Any) -> str:
    """A value as it would be written in a scenario file (inline TOML)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    try:
        return ABSENT if value is ABSENT else json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # nan and inf are written as Python writes them; dates as text
        return repr(value) if isinstance(value, float) else str(value)


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key path, value in A, value in B) for every leaf that differs; ABSENT marks a missing side."""
    left, right = dict(walk(a)), dict(walk(b))
    out = []
    for path in [*left, *(p for p in right if p not in left)]:
        va, vb = left.get(path, ABSENT), right.get(path, ABSENT)
        if not _same(va, vb):
            out.append((path, va, vb))
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (1 and 1.0 are the same; true and 1 are not)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b and (isinstance(a, int | float) == isinstance(b, int | float))


def diff_files(file_a: str, file_b: str) -> int:
    a, b = load(file_a), load(file_b)
    for path, va, vb in differences(a.data, b.data):
        print(f"{path}: {show(va)} -> {show(vb)}")
    return 0
