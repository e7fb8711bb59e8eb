"""Per-run parameter arrays: the bridge from a scenario's data to R runs side by side.

Every number the dynamics read becomes an array of length R (the run axis). A number
that is a distribution in the scenario takes, for each run, the value drawn for that run
(``draws``: key path -> array of R values, from a sampler) or, in a deterministic run,
its central value. Months become integer month indices per run, so dated rules are
per-run masks (docs/architecture.md §6). ``"none"`` as a month means "never" (e.g. no invasion).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from model.world.calendar import parse_month
from model.world.distributions import central, is_distribution, is_month_distribution, ppf
from model.world.keypaths import get_path


class Scenario(Protocol):
    """What the view reads of a scenario (``model.files.scenario.Scenario``): its data."""

    @property
    def data(self) -> Mapping[str, Any]: ...


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

    # raw access -----------------------------------------------------------------------
    def raw(self, path: str, default: Any = None) -> Any:
        try:
            return get_path(self.scenario.data, path)
        except KeyError:
            return default

    # per-run arrays -------------------------------------------------------------------
    def number(self, path: str, default: float | None = None) -> np.ndarray:
        """A float array of shape (R,)."""
        value = self.raw(path, _MISSING)
        if value is _MISSING:
            if default is None:
                raise KeyError(path)
            return np.full(self.n_runs, float(default))
        return self._resolve(path, value, month=False)

    def month(self, path: str, default: str | None = None) -> np.ndarray:
        """An int array of shape (R,) of month indices (NEVER for "none")."""
        value = self.raw(path, _MISSING)
        if value is _MISSING:
            if default is None:
                raise KeyError(path)
            value = default
        return self._resolve(path, value, month=True).astype(np.int64)

    def resolved(self, path: str) -> np.ndarray:
        """The per-run values used for ``path`` (numbers, or month indices for months)."""
        if path in self._cache:
            return self._cache[path]
        value = self.raw(path)
        return self._resolve(
            path, value, month=is_distribution(value) and is_month_distribution(value)
        )

    def _resolve(self, path: str, value: Any, month: bool) -> np.ndarray:
        if path in self._cache:
            return self._cache[path]
        if is_distribution(value):
            if path in self.uniforms:
                out = ppf(value, self.uniforms[path])
            else:
                c = central(value)
                out = np.full(self.n_runs, float(parse_month(c)) if isinstance(c, str) else c)
        elif month:
            out = np.full(self.n_runs, float(NEVER if value == "none" else parse_month(value)))
        else:
            out = np.full(self.n_runs, float(value))
        out = np.asarray(out, dtype=float)
        out = (
            out.copy()
            if out.shape == (self.n_runs,)
            else np.broadcast_to(out, (self.n_runs,)).copy()
        )
        out.setflags(write=False)
        self._cache[path] = out
        return out


class _Missing:
    pass


_MISSING = _Missing()
