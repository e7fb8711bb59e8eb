"""Planning a batch before it runs: what each scenario records (a one-month preview), the
chunk sizes (runs per model instance, runs per HDF5 chunk) and the trajectory layout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from model.batch.experiment import (
    DEFAULT_CHUNK,
    DEFAULT_TRAJECTORY_GOODS,
    Experiment,
)
from model.engine.simulation import released_models
from model.engine.variables import file_variables
from model.files.scenario import Scenario
from model.store.folder import (
    TrajectoryLayout,
)
from model.world.calendar import parse_month

FILE_CHUNK_MAX = 250  # runs per HDF5 chunk of trajectories.nc (~0.9 MB of float32 goods data)
FILE_CHUNK_MIN = 20


# ---------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioShape:
    """What a scenario's runs look like, from one deterministic run: axes and columns."""

    months: tuple[str, ...]
    goods: tuple[str, ...]
    units: tuple[str, ...]
    prices: tuple[float, ...]
    origins: tuple[str, ...]
    columns: tuple[str, ...]
    dims: Mapping[str, tuple[str, ...]]  # variable -> dims after run


def preview(scenario: Scenario) -> ScenarioShape:
    """The axes, outcome columns and variable dims of a scenario's runs, from one run."""
    from model.engine.outcomes import outcomes_table
    from model.engine.runner import simulate

    with released_models():
        result = simulate(scenario, n_runs=1, sample=False)
        columns = tuple(outcomes_table(result).columns)
        ds = result.dataset()
        dims = {
            name: tuple(d for d in ds[name].dims if d != "run")
            for name in ds.data_vars
            if "run" in ds[name].dims
        }
        shape = ScenarioShape(
            months=tuple(result.months),
            goods=tuple(result.goods),
            units=tuple(result.units),
            prices=tuple(float(p) for p in result.prices),
            origins=tuple(result.origins),
            columns=columns,
            dims=dims,  # type: ignore[arg-type]
        )
    return shape


def axes(scenario: Scenario) -> tuple[tuple[str, ...], ...]:
    """A scenario's months, goods (with units and prices) and origins, without running it."""
    from model.engine.simulation import PactModel

    with released_models():
        m = PactModel(scenario, n_runs=1)
        out = (
            tuple(m.window.labels),
            tuple(m.goods.ids),
            tuple(m.goods.units),
            tuple(float(p) for p in m.goods.price_rm_per_unit),
            tuple(m.origins),
        )
    return out  # type: ignore[return-value]


def previews(scenarios: Sequence[Scenario]) -> list[ScenarioShape]:
    """One run of the first scenario, and of any other whose axes differ from it (the
    outcome columns and variables follow from the axes); the others reuse its shape."""
    first = preview(scenarios[0])
    first_axes = (first.months, first.goods, first.units, first.prices, first.origins)
    return [first, *(first if axes(s) == first_axes else preview(s) for s in scenarios[1:])]


def choose_chunk(requested: int | None, runs: int, n_scenarios: int, workers: int) -> int:
    """Runs per model instance: as asked, else about the measured best (DEFAULT_CHUNK), with
    a chunk for every worker, more if that lets the workers finish together without halving
    the chunk, and a round size (so HDF5 chunks divide it)."""
    if requested:
        return max(1, min(requested, runs))
    per_scenario = math.ceil(runs / DEFAULT_CHUNK)
    if workers > 1:
        per_scenario = max(per_scenario, math.ceil(workers / n_scenarios))
        while (
            (n_scenarios * per_scenario) % workers
            and n_scenarios * per_scenario < 8 * workers
            and runs / (per_scenario + 1) >= DEFAULT_CHUNK / 2  # smaller chunks cost more per run
        ):
            per_scenario += 1
    chunk = math.ceil(runs / per_scenario)
    rounded = math.ceil(chunk / 50) * 50
    if chunk > 100 and math.ceil(runs / rounded) == per_scenario:
        chunk = rounded
    return max(1, min(chunk, runs))


def choose_file_chunk(chunk: int) -> int:
    """Runs per HDF5 chunk: a divisor of the batch chunk, so chunks map onto whole HDF5 chunks."""
    if chunk <= FILE_CHUNK_MAX:
        return chunk
    divisor = next(d for d in range(FILE_CHUNK_MAX, 0, -1) if chunk % d == 0)
    return divisor if divisor >= FILE_CHUNK_MIN else chunk


def build_layout(
    scenarios: Sequence[Scenario],
    shapes: Sequence[ScenarioShape],
    variables: Sequence[str] | None,
    runs: int,
    chunk: int,
    compression: int,
) -> TrajectoryLayout:
    months = sorted({m for s in shapes for m in s.months}, key=parse_month)
    goods, units, prices = [], [], []
    for shape in shapes:
        for g, u, p in zip(shape.goods, shape.units, shape.prices, strict=True):
            if g not in goods:
                goods.append(g)
                units.append(u)
                prices.append(p)
    suppliers = list(dict.fromkeys(o for s in shapes for o in s.origins))
    dims: dict[str, tuple[str, ...]] = {}
    for shape in shapes:
        for name, d in shape.dims.items():
            dims.setdefault(name, d)
    if variables is None:
        run_series = [n for n, d in dims.items() if d == ("month",)]
        variables = [*DEFAULT_TRAJECTORY_GOODS, *run_series]
    chosen = {  # one file variable per unit of the goods (model.engine.cf)
        fname: d
        for name in variables
        if name in dims
        for fname, (_, d, _) in file_variables(name, dims[name], units).items()
    }
    return TrajectoryLayout(
        scenarios=tuple(s.name for s in scenarios),
        runs=runs,
        months=tuple(months),
        goods=tuple(goods),
        suppliers=tuple(suppliers),
        units=tuple(units),
        prices=tuple(prices),
        variables=chosen,
        file_chunk=choose_file_chunk(chunk),
        compression=compression,
    )


def check_outcome_patterns(experiment: Experiment, shapes: Sequence[ScenarioShape]) -> None:
    from model.files.scenario import ScenarioError

    if experiment.outcomes is None:
        return
    from model.engine.outcomes import PARAM_PREFIX, column_name

    columns = {c for s in shapes for c in s.columns}
    for i, pattern in enumerate(experiment.outcomes):
        if not any(fnmatchcase(c, column_name(pattern)) for c in columns):
            sample = ", ".join(sorted(c for c in columns if not c.startswith(PARAM_PREFIX))[:12])
            raise ScenarioError(
                experiment.path,
                f"outcomes[{i}]",
                f"{pattern!r} matches no outcome column; columns include {sample}, ...",
            )
