"""Per-run parameter arrays: the bridge from a scenario's data to R runs side by side.

Every number the dynamics read becomes an array of length R (the run axis). A number
that is a distribution in the scenario takes, for each run, the value drawn for that run
(``draws``: key path -> array of R values, from a sampler) or, in a deterministic run,
its central value. Months become integer month indices per run, so dated rules are
per-run masks (docs/architecture.md §6). ``"none"`` as a month means "never" (e.g. no invasion).
An absent key reads as its default in the scenario's schema (:func:`declared`); the read
sites state none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from model.world.calendar import parse_month
from model.world.distributions import central, is_distribution, is_month_distribution, ppf_rows
from model.world.keypaths import get_path, split_path
from model.world.nodes import FalseOr, ListOf, MapOf, Node, Table


class Scenario(Protocol):
    """What the view reads of a scenario (``model.files.scenario.Scenario``): its data and
    the schema that declares its keys."""

    @property
    def data(self) -> Mapping[str, Any]: ...

    @property
    def schema(self) -> Node: ...


def declared(schema: Node, path: str) -> Node:
    """The node that declares ``path`` (``"routes.x.transit_months"``, ``"a.b[2].c"``)."""
    node = schema
    for part in split_path(path):
        if isinstance(node, FalseOr):
            node = node.node
        if isinstance(node, Table) and isinstance(part, str) and part in node.fields:
            node = node.fields[part]
        elif isinstance(node, MapOf) and isinstance(part, str):
            node = node.value
        elif isinstance(node, ListOf) and isinstance(part, int):
            node = node.item
        else:
            raise KeyError(f"{path}: not declared in the scenario schema")
    return node


def default_of(node: Node) -> Any:
    """What an absent key reads as: its declared default, an empty table or array, or None."""
    if node.default is not None:
        return node.default
    return {} if isinstance(node, MapOf) else [] if isinstance(node, ListOf) else None


NEVER = 10**7  # a month index beyond any window: "this event does not happen"


class ParameterView:
    """Read numbers and months of one scenario as per-run arrays of length ``n_runs``."""

    def __init__(
        self,
        scenario: Scenario,
        n_runs: int,
        uniforms: Mapping[str, np.ndarray] | None = None,
    ):
        self.scenario = scenario
        self.n_runs = int(n_runs)
        self.uniforms = dict(uniforms or {})
        self._cache: dict[str, np.ndarray] = {}
        self._sample_all()

    def _sample_all(self) -> None:
        """Map every sampled distribution through its inverse CDF at once (:func:`ppf_rows`:
        one array operation per step for all the triangular ones, not one call per key)."""
        specs = {}
        for path in self.uniforms:
            try:
                value = self.raw(path)
            except KeyError:
                continue  # not in the scenario: refused where it is read
            if is_distribution(value):
                specs[path] = value
        if not specs:
            return
        u = np.empty((len(specs), self.n_runs))
        for row, path in zip(u, specs, strict=True):
            row[:] = self.uniforms[path]  # (R,), or one value for every run
        values = ppf_rows(list(specs.values()), u)
        values.setflags(write=False)
        self._cache.update(zip(specs, values, strict=True))

    # raw access -----------------------------------------------------------------------
    def raw(self, path: str) -> Any:
        """The value as written, or the schema's default for an absent key (None: none)."""
        try:
            return get_path(self.scenario.data, path)
        except KeyError:
            return default_of(declared(self.scenario.schema, path))

    def _present(self, path: str) -> Any:
        value = self.raw(path)
        if value is None:
            raise KeyError(path)
        return value

    # per-run arrays -------------------------------------------------------------------
    def number(self, path: str) -> np.ndarray:
        """A float array of shape (R,)."""
        out = self._cache.get(path)  # sampled ones are there from the start
        return out if out is not None else self._resolve(path, self._present(path), month=False)

    def month(self, path: str) -> np.ndarray:
        """An int array of shape (R,) of month indices (NEVER for "none")."""
        out = self._cache.get(path)
        if out is None:
            out = self._resolve(path, self._present(path), month=True)
        return out.astype(np.int64)

    def resolved(self, path: str) -> np.ndarray:
        """The per-run values used for ``path`` (numbers, or month indices for months)."""
        if path in self._cache:
            return self._cache[path]
        value = self.raw(path)
        return self._resolve(
            path, value, month=is_distribution(value) and is_month_distribution(value)
        )

    def _resolve(self, path: str, value: Any, month: bool) -> np.ndarray:
        out = self._cache.get(path)  # sampled distributions are there from the start
        if out is not None:
            return out
        if not month and isinstance(value, int | float):  # the common case, first
            number = float(value)
        elif is_distribution(value):
            c = central(value)
            number = float(parse_month(c)) if isinstance(c, str) else float(c)
        elif month:
            number = float(NEVER if value == "none" else parse_month(value))
        else:
            number = float(value)
        out = np.empty(self.n_runs)
        out.fill(number)
        out.setflags(write=False)
        self._cache[path] = out
        return out
