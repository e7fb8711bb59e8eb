"""Run one scenario: R runs in vectorised chunks, a result object, and ``pactsim run``.

:func:`simulate` advances ``n_runs`` runs of a scenario in chunks of at most ``chunk``
runs per model instance (one Mesa model per chunk, never one per run: Mesa 3.3.1 keeps
every model alive, docs/architecture.md §12). Replication *i* draws its uncertain parameters and shocks
from streams keyed by *i*, so results do not depend on the chunking.

A single run (``n_runs=1``, ``sample=False``) uses every distribution's central value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from model.engine import cf
from model.engine.simulation import PactModel, released_models
from model.engine.variables import (
    GOODS_VARIABLES,
    RM_GOODS_VARIABLES,
    RUN_VARIABLES,
    file_variables,
)
from model.files.scenario import Scenario
from model.world.randomness import master_key, parameter_uniforms

DEFAULT_CHUNK = 1000


@dataclass
class RunResult:
    """Trajectories of R runs of one scenario: arrays shaped (month, run, ...).

    The exception is ``imports``, stored sparsely as (month, pair, run) for the
    (origin, good) pairs in ``import_pairs``; :meth:`imports` gives the dense array.
    """

    def imports(self) -> np.ndarray:
        """Arrivals in Germany by origin, dense: (month, origin, run, good)."""
        sparse = self.trajectory["imports"]
        T, _, R = sparse.shape
        out = np.zeros((T, len(self.origins), R, len(self.goods)), dtype=sparse.dtype)
        for p, (origin, good) in enumerate(self.import_pairs):
            out[:, origin, :, good] = sparse[:, p]
        return out

    scenario: Scenario
    seed: int
    replications: np.ndarray
    months: list[str]
    goods: tuple[str, ...]
    units: tuple[str, ...]
    prices: np.ndarray
    origins: tuple[str, ...]
    import_pairs: list[tuple[int, int]]
    trajectory: dict[str, np.ndarray]
    parameters: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return len(self.replications)

    def dataset(self) -> xr.Dataset:
        """Labelled arrays with CF attributes (:mod:`model.engine.cf`): dims run, month (the
        first day of each month; ``month_label`` beside it), good (and supplier for imports),
        as recorded (float32 by good, float64 per run)."""
        coords = {
            "run": self.replications,
            "month": cf.month_dates(self.months),
            "month_label": ("month", list(self.months)),
            "good": list(self.goods),
            "supplier": list(self.origins),
            "unit": ("good", list(self.units)),
            "price_rm_per_unit": ("good", np.asarray(self.prices, dtype=np.float64)),
        }
        data_vars = {}
        tr = self.trajectory
        for name in (*GOODS_VARIABLES, *RM_GOODS_VARIABLES):
            if name in tr:
                data_vars[name] = (("run", "month", "good"), np.swapaxes(tr[name], 0, 1))
        for name in RUN_VARIABLES:
            if name in tr:
                data_vars[name] = (("run", "month"), np.swapaxes(tr[name], 0, 1))  # type: ignore[assignment]
        if "imports" in tr:
            imports = np.transpose(
                self.imports(), (2, 0, 1, 3)
            )  # (month, origin, run, good) -> run first
            data_vars["imports"] = (("run", "month", "supplier", "good"), imports)  # type: ignore[assignment]
        ds = cf.annotate(xr.Dataset(data_vars, coords=coords))
        ds.attrs.update(scenario=self.scenario.name, seed=self.seed)
        return ds

    def file_dataset(self, command: str = "run") -> xr.Dataset:
        """The layout of ``trajectories.nc``, the same as a batch's: a ``scenario`` dimension
        (of one), float32 trajectories, CF attributes and encodings."""
        ds = self.dataset()
        units = list(self.units)
        data, attrs = {}, {}
        for name in ds.data_vars:
            var = ds[name].astype(cf.FILE_DTYPE).expand_dims(scenario=[self.scenario.name])
            for fname, (unit, _, index) in file_variables(
                str(name), [str(d) for d in var.dims], units
            ).items():
                if unit:  # one unit per variable: this unit's goods on their own dimension
                    var_u = var.isel(good=index).drop_vars(["unit", "price_rm_per_unit"])
                    data[fname] = var_u.rename(good=cf.UNIT_DIMS[unit][0])
                else:
                    data[fname] = var
                attrs[fname] = cf.file_attrs(fname, unit)
        out = cf.annotate(
            xr.Dataset(data).assign_coords(
                {k: ds[k] for k in ("good", "unit", "price_rm_per_unit")}
            )
        )
        for name, a in attrs.items():
            out[name].attrs = a
        out.attrs.update(cf.global_attrs(command, {"seed": self.seed}))
        days_units = cf.month_days(self.months)[1]
        out["month"].encoding.update(units=days_units, calendar=cf.CALENDAR, dtype="int32")
        return out


def draw_uniforms(scenario: Scenario, seed: int, replications: np.ndarray) -> dict[str, np.ndarray]:
    """Monte Carlo uniforms for every uncertain parameter, keyed by replication."""
    paths = [p for p, _ in scenario.uncertain()]
    return parameter_uniforms(master_key(seed), paths, replications)


# What a run of simulate() holds at its peak per run, over what its trajectories record: the
# model's own arrays, the concatenated result and the outcome table (measured: 3.2x at 1,000
# and 4,000 runs of the baseline, tracemalloc)
PEAK_PER_RECORDED = 4


def memory_per_run(scenario: Scenario) -> int:
    """Bytes :func:`simulate` (and a result folder's files built from it) needs per run of
    ``scenario`` at its peak, from the trajectories a one-run model allocates (none is run)."""
    with released_models():
        model = PactModel(scenario, n_runs=1)
        recorded = sum(int(np.asarray(v).nbytes) for v in model.trajectory.values())
    return PEAK_PER_RECORDED * recorded


def simulate(
    scenario: Scenario,
    n_runs: int = 1,
    seed: int = 0,
    replications: np.ndarray | None = None,
    sample: bool | None = None,
    uniforms: dict[str, np.ndarray] | None = None,
    chunk: int = DEFAULT_CHUNK,
    variables: Iterable[str] | None = None,
) -> RunResult:
    """Run a scenario. ``sample`` defaults to True for more than one run.

    ``variables`` limits the recorded trajectories (default: all of them).
    """
    reps = np.arange(n_runs) if replications is None else np.asarray(replications)
    sample = len(reps) > 1 if sample is None else sample
    if uniforms is None and sample:
        uniforms = draw_uniforms(scenario, seed, reps)
    parts: list[dict[str, np.ndarray]] = []
    params: dict[str, list[np.ndarray]] = {}
    model = None
    for start in range(0, len(reps), chunk):
        sl = slice(start, start + chunk)
        chunk_uniforms = {k: v[sl] for k, v in (uniforms or {}).items()}
        with released_models():  # Mesa 3.3.1 would keep every chunk's model alive
            model = PactModel(
                scenario, n_runs=len(reps[sl]), seed=seed, replications=reps[sl], uniforms=chunk_uniforms,
                variables=variables,
            )  # fmt: skip
            model.run()
        parts.append(model.trajectory)
        for path in chunk_uniforms:
            params.setdefault(path, []).append(model.parameter_values(path))
    if len(parts) == 1:  # the common case (a batch chunk): no copy
        trajectory = parts[0]
    else:
        trajectory = {
            k: np.concatenate([p[k] for p in parts], axis=2 if k == "imports" else 1)
            for k in parts[0]
        }
    assert model is not None, "no chunk ran"
    return RunResult(
        scenario=scenario,
        seed=seed,
        replications=reps,
        months=model.window.labels,
        goods=model.goods.ids,
        units=model.goods.units,
        prices=np.asarray(model.goods.price_rm_per_unit),
        origins=model.origins,
        import_pairs=model.import_pairs,
        trajectory=trajectory,
        parameters={k: np.concatenate(v) for k, v in params.items()},
    )
