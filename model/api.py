"""The public Python API: load a scenario, override it safely, evaluate a design in one call.

Re-exported by ``model/__init__.py`` (lazily, so ``import model`` stays cheap)::

    import model
    base = model.load_scenario("baseline")
    tight = model.with_overrides(base, {"blockade.effectiveness": 0.6})   # validated
    table = model.evaluate(base, design)                                   # one vectorised call

- :func:`with_overrides` checks the result with the same schema as scenario files
  (:mod:`model.files.schema`): a value out of bounds, a month outside the window or a
  misspelt key raises :class:`~model.errors.ScenarioError` naming the override's key path.
- :func:`evaluate` runs every point of a design -- a DataFrame whose columns are key paths and
  whose rows are points -- side by side in one :func:`model.engine.runner.simulate` call. The
  values are either the parameters themselves (``values="direct"``), or uniforms in (0, 1)
  mapped through each uncertain parameter's inverse CDF (``values="uniform"``, the machinery a
  batch uses). A direct value of a parameter the model samples per run becomes a per-run
  value; a key path the model reads once per model (a treaty term, a route's existence, an
  invasion "none") splits the design into one call per distinct value.
- ``shocks="central"`` switches every random shock off (harvest and blockade noise: their
  ``*_sd`` set to 0) and leaves every uncertain parameter outside the design at its central
  value, so the result depends on neither the seed nor a replication label. ``shocks=[0, 1]``
  (replication labels) evaluates each point under those replications' shocks, as a batch
  with ``seed`` would draw them (common random numbers).

The outcomes are :func:`model.engine.outcomes.outcomes_table`, one row per (point,
replication), with ``point``, ``replication`` (``<NA>`` for central) and the design's key paths
(the values used, months as ``YYYY-MM``) in front. Units: as ``docs/glossary.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from model.engine.outcomes import outcomes_table
from model.engine.runner import DEFAULT_CHUNK, simulate
from model.errors import ScenarioError
from model.files import scenario as scenario_files
from model.files.scenario import Scenario
from model.world.calendar import format_month, is_month_text
from model.world.distributions import is_distribution, is_month_distribution
from model.world.keypaths import set_path, walk
from model.world.nodes import Month, Node, Number
from model.world.parameters import declared
from model.world.randomness import DEFAULT_SEED

Shocks = Literal["central"] | int | Sequence[int]

__all__ = [
    "DEFAULT_SEED",
    "ScenarioError",
    "evaluate",
    "load_scenario",
    "shock_paths",
    "with_overrides",
]


# ---------------------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------------------
def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario file, validated; a bare name that is no file in the current folder is a
    shipped scenario (``"baseline"``: ``scenarios/baseline.toml``)."""
    return scenario_files.load(name_or_path)


def _set(data: dict[str, Any], path: str, value: Any, where: str) -> None:
    try:
        set_path(data, path, copy.deepcopy(value))
    except (KeyError, IndexError, TypeError, ValueError):
        raise ScenarioError(where, path, "no such key path in this scenario") from None


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` with key paths replaced, checked by the scenario schema.

    Raises :class:`ScenarioError` (``"<name> overrides: <key path>: <what was expected>"``).
    """
    from model.files.schema import validate

    where = f"{scenario.name} overrides"
    data = copy.deepcopy(dict(scenario.data))
    for path, value in overrides.items():
        _set(data, path, value, where)
    validate(data, where)
    return Scenario(scenario.name, scenario.path, data, scenario.files)


def shock_paths(scenario: Scenario) -> list[str]:
    """The key paths that scale a random shock (``*.shock_sd``, ``shocks.*_sd``)."""
    return [
        p
        for p, v in walk(scenario.data)
        if isinstance(v, int | float)
        and (p.endswith("shock_sd") or (p.startswith("shocks.") and p.endswith("_sd")))
    ]


def schema_node(path: str) -> Node | None:
    """The schema node that checks the value at ``path`` (None if it cannot be told)."""
    from model.files.schema import SCENARIO

    try:
        return declared(SCENARIO, path)
    except KeyError:
        return None


def _per_run(path: str, column: pd.Series) -> bool:
    """Can this column's direct values be set run by run (a sampled number or month)?"""
    node = schema_node(path)
    if isinstance(node, Number) and node.sampled and not node.integer:
        return bool(pd.api.types.is_numeric_dtype(column))
    if isinstance(node, Month) and node.sampled:
        return all(isinstance(v, str) and is_month_text(v) for v in column)
    return False


# ---------------------------------------------------------------------------------------
# designs
# ---------------------------------------------------------------------------------------
def _check_values(scenario: Scenario, design: pd.DataFrame) -> None:
    """The design through the schema: every column's extremes together (numbers: bounds are
    intervals), every distinct value of other columns alone; an error names row and key path."""
    numeric = [p for p in design.columns if pd.api.types.is_numeric_dtype(design[p])]
    trials: list[dict[str, Any]] = [
        {p: design[p].idxmin() for p in numeric},
        {p: design[p].idxmax() for p in numeric},
    ]
    for path in design.columns:
        if path not in numeric:
            trials += [{path: row} for row in design[path].drop_duplicates().index]
    # each distinct trial once: one row's minima are its maxima, and an empty design's two
    # empty trials check the scenario itself once
    unique = {tuple(rows.items()): rows for rows in trials}
    for rows in unique.values():
        try:
            with_overrides(scenario, {p: _plain(design.at[r, p]) for p, r in rows.items()})
        except ScenarioError as err:
            row = rows.get(err.key_path, next(iter(rows.values()), None))
            raise ScenarioError(f"design row {row!r}", err.key_path, err.expected) from None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _direct(
    scenario: Scenario, design: pd.DataFrame
) -> list[tuple[Scenario, np.ndarray, dict[str, np.ndarray]]]:
    """(scenario, rows, uniforms) per group of rows that share their per-model values."""
    _check_values(scenario, design)
    per_run = [p for p in design.columns if _per_run(p, design[p])]
    fixed = [p for p in design.columns if p not in per_run]
    groups = design.groupby(fixed, sort=False).indices if fixed else {(): np.arange(len(design))}
    out = []
    for key, rows in groups.items():
        values = key if isinstance(key, tuple) else (key,)
        overrides = {p: _plain(v) for p, v in zip(fixed, values, strict=True)}
        uniforms = {}
        for path in per_run:
            column = design[path].to_numpy()[rows]
            choices, index = np.unique(column, return_inverse=True)
            overrides[path] = {"dist": "choice", "values": [_plain(c) for c in choices]}
            uniforms[path] = (index + 0.5) / len(choices)
        # no overrides: the scenario itself, which _check_values has just checked
        changed = with_overrides(scenario, overrides) if overrides else scenario
        out.append((changed, np.asarray(rows), uniforms))
    return out


def _uniform(scenario: Scenario, design: pd.DataFrame) -> dict[str, np.ndarray]:
    uncertain = [p for p, _ in scenario.uncertain()]
    for path in design.columns:
        if path not in uncertain:
            raise ScenarioError(
                f"{scenario.name} design",
                path,
                "not an uncertain parameter of this scenario; uniform values need one of: "
                + ", ".join(uncertain),
            )
        u = design[path].to_numpy(dtype=float)
        if not ((u > 0) & (u < 1)).all():
            raise ScenarioError(f"{scenario.name} design", path, "uniforms must lie in (0, 1)")
    return {p: design[p].to_numpy(dtype=float) for p in design.columns}


def _replications(shocks: Shocks) -> np.ndarray | None:
    if isinstance(shocks, str):
        if shocks != "central":
            raise ValueError(f"shocks must be 'central' or replication labels, got {shocks!r}")
        return None
    labels = np.atleast_1d(np.asarray(shocks, dtype=np.int64))
    if labels.ndim != 1 or len(labels) == 0 or (labels < 0).any():
        raise ValueError("shocks: expected 'central' or non-negative replication labels")
    return labels


def _run_group(
    scenario: Scenario,
    uniforms: dict[str, np.ndarray],
    n_points: int,
    labels: np.ndarray | None,
    seed: int,
    chunk: int,
) -> pd.DataFrame:
    """One vectorised simulate call: n_points x len(labels) runs, point-major."""
    reps = 1 if labels is None else len(labels)
    tiled = {p: np.repeat(u, reps) for p, u in uniforms.items()}
    replications = (
        np.zeros(n_points, dtype=np.int64) if labels is None else np.tile(labels, n_points)
    )
    result = simulate(
        scenario,
        n_runs=len(replications),
        seed=seed,
        replications=replications,
        sample=bool(tiled),
        uniforms=tiled,
        chunk=chunk,
    )
    table = outcomes_table(result)
    used = {p: _used_values(scenario, p, v) for p, v in result.parameters.items()}
    table = table.drop(columns=[c for c in table.columns if c.startswith(("param:", "param__"))])
    shown = pd.array(replications if labels is not None else [pd.NA] * len(replications), "Int64")
    table["replication"] = shown
    return table.assign(**{f"__{p}": v for p, v in used.items()})


def _used_values(scenario: Scenario, path: str, values: np.ndarray) -> Any:
    spec = scenario.get(path)
    if is_distribution(spec) and is_month_distribution(spec):
        return [format_month(int(v)) for v in values]
    return values


def evaluate(
    scenario: Scenario | str | Path,
    design: pd.DataFrame | None = None,
    *,
    values: Literal["direct", "uniform"] = "direct",
    shocks: Shocks = "central",
    seed: int = DEFAULT_SEED,
    chunk: int = DEFAULT_CHUNK,
) -> pd.DataFrame:
    """Outcomes of every point of ``design`` (columns: key paths; rows: points), tidy.

    ``design=None`` evaluates the scenario itself (one point). See the module docstring for
    ``values`` and ``shocks``.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    labels = _replications(shocks)
    if labels is None:
        base = with_overrides(base, dict.fromkeys(shock_paths(base), 0.0))
    design = pd.DataFrame(index=pd.RangeIndex(1, name="point")) if design is None else design
    _check_size(base, len(design), 1 if labels is None else len(labels))
    if values == "uniform":
        groups = [(base, np.arange(len(design)), _uniform(base, design))]
    elif values == "direct":
        groups = _direct(base, design)
    else:
        raise ValueError(f"values must be 'direct' or 'uniform', got {values!r}")
    return _assemble(design, groups, labels, seed, chunk, values)


def _check_size(scenario: Scenario, n_points: int, reps: int) -> None:
    """Refuse a design whose runs exceed the batch's per-scenario limit or the memory the
    machine has for them, from its length alone (before a value is checked or a run made)."""
    from model.batch.experiment import MAX_RUNS_PER_SCENARIO
    from model.engine.runner import memory_per_run
    from model.files.limits import available_memory, size_text

    runs = n_points * reps
    what = f"{n_points:,} point(s) x {reps:,} replication(s) make {runs:,} runs"
    if runs > MAX_RUNS_PER_SCENARIO:
        raise ScenarioError(
            "evaluate",
            "design",
            f"{what}; the limit is {MAX_RUNS_PER_SCENARIO:,} (evaluate it in slices)",
        )
    if runs <= 100:
        return
    per_run = memory_per_run(scenario)
    free = available_memory()
    if per_run * runs > free:
        fit = max(1, free // (per_run * reps))
        raise ScenarioError(
            "evaluate",
            "design",
            f"{what}, ~{size_text(per_run * runs)} of memory (~{size_text(per_run)} per run); "
            f"{size_text(free)} is available: evaluate it in slices of at most {fit:,} points",
        )


def _assemble(
    design: pd.DataFrame,
    groups: list[tuple[Scenario, np.ndarray, dict[str, np.ndarray]]],
    labels: np.ndarray | None,
    seed: int,
    chunk: int,
    values: str,
) -> pd.DataFrame:
    reps = 1 if labels is None else len(labels)
    parts = []
    for scen, rows, uniforms in groups:
        part = _run_group(scen, uniforms, len(rows), labels, seed, chunk)
        part.insert(0, "point", np.repeat(design.index.to_numpy()[rows], reps))
        for path in design.columns:
            used = part.pop(f"__{path}") if f"__{path}" in part else None
            given = np.repeat(design[path].to_numpy()[rows], reps)
            part.insert(
                2 + list(design.columns).index(path),
                path,
                used if values == "uniform" and used is not None else given,
            )
        parts.append(part.drop(columns=[c for c in part.columns if c.startswith("__")]))
    table = pd.concat(parts, ignore_index=True)
    order = np.argsort(
        np.concatenate(
            [
                np.repeat(rows, reps) * reps + np.tile(np.arange(reps), len(rows))
                for _, rows, _ in groups
            ]
        ),
        kind="stable",
    )
    return table.iloc[order].reset_index(drop=True)
