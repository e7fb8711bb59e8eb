"""Scenario files: TOML data, resolved through ``extends`` and validated at the boundary.

A scenario file may say ``extends = "baseline"`` (a file in the same folder) and override
any value at any depth: tables merge key by key, everything else (numbers, strings,
arrays, and a distribution table as a whole) is replaced. ``extends`` may also be a
relative path with ``/`` (``extends = "../../../scenarios/baseline"``), resolved against
the folder of the file that says it; the ``.toml`` suffix is optional. The resolved
scenario is checked against :mod:`model.files.schema` and is a frozen object the model only reads. Every problem with a file is raised as a
:class:`ScenarioError` that names the file, the key path and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.errors import ScenarioError, resolve_path
from model.files.limits import read_input
from model.world.calendar import parse_month
from model.world.distributions import is_distribution
from model.world.keypaths import get_path, set_path, walk
from model.world.nodes import Node
from model.world.parameters import declared, default_of


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its data (read-only by convention), provenance and hash."""

    name: str
    path: Path
    data: Mapping[str, Any]
    files: tuple[tuple[str, str], ...] = field(default=())  # (file, sha256) along `extends`

    @property
    def sha256(self) -> str:
        text = json.dumps(self.data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def schema(self) -> Node:
        """The scenario schema: every key's kind, bounds and default (model.files.schema)."""
        from model.files.schema import SCENARIO  # imports the actors' and rules' declarations

        return SCENARIO

    def get(self, path: str) -> Any:
        """The value at ``path`` as written, or the default its schema node declares (None
        where it declares none or the path is not in the schema)."""
        try:
            return get_path(self.data, path)
        except KeyError:
            try:
                return default_of(declared(self.schema, path))
            except KeyError:
                return None

    def month_good_cells(self) -> int:
        """Months of the window x goods of the catalogue: the cells of one run's series by good
        (0 for a window the schema refuses), for size checks before any model is built."""
        window = self.data.get("window", {})
        try:
            months = parse_month(str(window["end"])) - parse_month(str(window["start"])) + 1
        except (KeyError, TypeError, ValueError):
            return 0
        return max(months, 0) * len(self.data.get("goods", {}))

    def uncertain(self) -> list[tuple[str, Mapping[str, Any]]]:
        """Every distribution in the scenario, as (key path, spec), in a stable order."""
        return [(p, v) for p, v in walk(self.data) if is_distribution(v)]

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with some key paths replaced (used by levers, e.g. in the dashboard)."""
        data = copy.deepcopy(dict(self.data))
        for path, value in overrides.items():
            set_path(data, path, value)
        return Scenario(self.name, self.path, data, self.files)


# ---------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------
def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge; anything else, a distribution included, replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if (
            isinstance(value, Mapping)
            and not is_distribution(value)
            and isinstance(out.get(key), Mapping)
            and not is_distribution(out[key])
        ):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's data (read with :func:`model.files.limits.read_input`'s size cap)."""
    return toml_data(path, read_input(path))


def toml_data(path: Path, raw: bytes) -> dict[str, Any]:
    """The data of a TOML file's bytes; every problem a :class:`ScenarioError` naming it."""
    if not raw.strip():
        raise ScenarioError(path, "", "the file is empty; expected a TOML scenario")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "expected UTF-8 text") from None
    data = parse_toml(text, path)
    if not data:
        raise ScenarioError(path, "", "the file defines no keys; expected a TOML scenario")
    return data


def parse_toml(text: str, path: str | Path) -> dict[str, Any]:
    """TOML text as data; a syntax error is a :class:`ScenarioError` naming ``path``.

    The one TOML reader of the package: scenario, experiment and frozen files all come here.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, "", f"TOML syntax error: {err}") from None
    except RecursionError:
        raise ScenarioError(
            path, "", "TOML syntax error: arrays or tables nested too deeply"
        ) from None


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    try:
        path = resolve_path(path)
    except OSError as err:  # a loop of symbolic links, or a folder that cannot be listed
        raise ScenarioError(path, "", f"cannot be read ({err.strerror or err})") from None
    if path in chain:
        cycle = " -> ".join(p.stem for p in (*chain, path))
        raise ScenarioError(path, "extends", f"'extends' forms a cycle: {cycle}")
    raw = read_input(path)
    data = toml_data(path, raw)
    data.setdefault("name", path.stem)  # a child does not inherit its parent's name
    files = [(str(path), hashlib.sha256(raw).hexdigest())]
    parent = data.pop("extends", None)
    if parent is None:
        return data, files
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(path, "extends", f"expected the name of a scenario, got {parent!r}")
    parent_path = path.parent / (parent if parent.endswith(".toml") else f"{parent}.toml")
    if not parent_path.is_file():
        folder = parent_path.parent
        available = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        listed = ", ".join(available[:12]) + (
            f" and {len(available) - 12} more" if len(available) > 12 else ""
        )
        raise ScenarioError(
            path, "extends", f"no scenario {parent!r} in {folder}; available: {listed or '(none)'}"
        )
    base, base_files = _resolve(parent_path, (*chain, path))
    return merge(base, data), base_files + files


def shipped(folder: str) -> Path:
    """The ``scenarios`` or ``experiments`` folder shipped with pactsim: inside the installed
    package (``model/scenarios``, from a wheel or ``pip install .``), else at the top of the
    checkout (an editable install, or ``model`` imported from the checkout)."""
    package = Path(__file__).resolve().parents[1]
    inside = package / folder
    return inside if inside.is_dir() else package.parent / folder


def find_file(name: str | Path, folder: str) -> Path:
    """A file as given (``.toml`` optional); a bare name that is not a file here is looked
    up in the shipped ``folder`` (``"baseline"`` -> ``scenarios/baseline.toml``)."""
    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        path = path.with_suffix(".toml")
    if not path.exists() and len(path.parts) == 1 and (shipped(folder) / path).is_file():
        return shipped(folder) / path
    return path


def load(path: str | Path) -> Scenario:
    """Read, resolve ``extends`` and validate a scenario file (or a shipped one by name)."""
    from model.files.schema import validate  # the schema imports the node types

    path = find_file(path, "scenarios")
    data, files = _resolve(path, ())
    data.setdefault("name", path.stem)
    validate(data, path)
    return Scenario(name=str(data["name"]), path=resolve_path(path), data=data, files=tuple(files))


def dumps(data: Mapping[str, Any]) -> str:
    """A resolved scenario written back as TOML (for `pactsim diff` and round trips)."""
    import tomli_w

    return tomli_w.dumps(dict(data))
