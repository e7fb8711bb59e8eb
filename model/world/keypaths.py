"""Key paths into nested scenario data: ``"treaties.commercial_1940.quotas.oil.quantity"``,
``"germany.synthetic.oil.schedule[1].t_per_month"``.

Tables are walked by key, arrays of tables by ``[index]``; a distribution table counts as one
leaf. Pure functions on plain mappings and lists, used by the scenario files above and by
:class:`model.world.parameters.ParameterView`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from model.world.distributions import is_distribution


def walk(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (path, leaf) for every leaf; a distribution table counts as one leaf."""
    leaves: list[tuple[str, Any]] = []
    _collect(node, prefix, leaves)
    yield from leaves


_SCALARS = frozenset({str, int, float, bool})  # leaves for certain: no Mapping checks


def _collect(node: Any, prefix: str, leaves: list[tuple[str, Any]]) -> None:
    """:func:`walk`'s leaves in order, appended (plain recursion: a chain of generators
    would pass every leaf up through each level)."""
    if type(node) in _SCALARS:
        leaves.append((prefix, node))
    elif isinstance(node, dict | Mapping) and not is_distribution(node):
        for key, value in node.items():
            _collect(value, f"{prefix}.{key}" if prefix else str(key), leaves)
    elif isinstance(node, list) and any(isinstance(x, dict | Mapping) for x in node):
        for i, item in enumerate(node):
            _collect(item, f"{prefix}[{i}]", leaves)
    else:
        leaves.append((prefix, node))


@functools.lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str | int, ...]:
    """``"a.b[2].c"`` -> ``("a", "b", 2, "c")``, remembered: models read the same paths."""
    parts: list[str | int] = []
    for piece in path.split("."):
        while "[" in piece:
            head, rest = piece.split("[", 1)
            if head:
                parts.append(head)
            index, piece = rest.split("]", 1)
            parts.append(int(index))
        if piece:
            parts.append(piece)
    return tuple(parts)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=16384, typed=True)  # checking a scenario joins the same paths
def join_key(where: str, key: Any) -> str:
    """``where.key``; a key that is not a bare TOML key is quoted, as TOML would write it."""
    text = str(key)
    if not _BARE_KEY.fullmatch(text):
        text = json.dumps(text, ensure_ascii=False)
    return f"{where}.{text}" if where else text


def get_path(data: Any, path: str) -> Any:
    node = data
    for part in _split(path):
        try:
            node = node[part]
        except (IndexError, TypeError) as err:
            raise KeyError(path) from err
    return node


def set_path(data: Any, path: str, value: Any) -> None:
    parts = _split(path)
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def split_path(path: str) -> list[str | int]:
    """``"a.b[2].c"`` -> ``["a", "b", 2, "c"]``: table keys and array indices in order."""
    return list(_split(path))
