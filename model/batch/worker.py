"""One chunk of a batch, in a worker: run it, keep the outcome rows and pack the trajectories.

A :class:`ChunkTask` is picklable and self-contained; :func:`run_chunk_safely` is what the
executors (:mod:`model.batch.executors`) run. The worker returns its chunk's outcome rows as
Parquet bytes and its trajectories already cut into the HDF5 chunks of ``trajectories.nc``.
"""

from __future__ import annotations

import os
import socket
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from model.batch.executors import failure_record
from model.engine.simulation import released_models
from model.engine.variables import UNIT_DIMS, base_name, unit_dims, unit_of
from model.files.scenario import Scenario
from model.store.checksums import pack_parts
from model.store.folder import ChunkRef, TrajectoryLayout


# ---------------------------------------------------------------------------------------
# one chunk, in a worker
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (picklable, self-contained)."""

    ref: ChunkRef
    scenario: Scenario
    seed: int
    uniforms: Mapping[str, np.ndarray]  # this scenario's uncertain paths only
    paths: tuple[str, ...]  # the design's columns: every chunk gets a param__<path> column for each
    outcomes: tuple[str, ...] | None  # fnmatch patterns of outcome columns to keep
    layout: TrajectoryLayout


@dataclass
class ChunkOutput:
    """A chunk's part files, serialised by the worker: Parquet rows and HDF5 chunks."""

    ref: ChunkRef
    outcomes: bytes
    trajectories: bytes
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChunkFailure:
    ref: ChunkRef
    error: dict[str, Any]


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run one chunk: outcome rows (parameter sample included) and packed trajectories."""
    from model.engine.outcomes import OUTCOME_VARIABLES, outcomes_table
    from model.engine.runner import simulate

    t0 = time.perf_counter()
    ref = task.ref
    reps = np.arange(ref.start, ref.stop)
    with released_models():
        result = simulate(
            task.scenario,
            n_runs=len(reps),
            seed=task.seed,
            replications=reps,
            sample=True,
            uniforms=dict(task.uniforms),
            chunk=len(reps),
            variables={
                *OUTCOME_VARIABLES,
                *(base_name(n, d) for n, d in task.layout.variables.items()),
            },  # record only what is read
        )
        t1 = time.perf_counter()
        check_finite(result, reps)
        table = shape_outcomes(
            outcomes_table(result), task.scenario.name, task.paths, task.outcomes
        )
        t2 = time.perf_counter()
        blocks = pack_trajectories(result, task.layout, ref)
        outcomes, trajectories, lengths = pack_parts(arrow_table(table), blocks)
        t3 = time.perf_counter()
        del result
    info = {
        "seconds": round(time.perf_counter() - t0, 4),
        "seconds_model": round(t1 - t0, 4),
        "seconds_outcomes": round(t2 - t1, 4),
        "seconds_packing": round(t3 - t2, 4),  # trajectories cut (and deflated), rows to Parquet
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    return ChunkOutput(
        ref, outcomes, trajectories, info | {"rows": len(table), "block_bytes": lengths}
    )


class NonFiniteError(ArithmeticError):
    """A run whose stocks or balances left float64's range (inf or NaN)."""


# the recorded series that are finite in every sound run: (name, what it is)
FINITE_SERIES = (
    ("stock", "Germany's stock"),
    ("demand", "Germany's demand"),
    ("clearing_balance_rm", "the clearing balance"),
    ("arrears_rm", "the arrears"),
)


def check_finite(result: Any, replications: np.ndarray) -> None:
    """Fail a chunk whose runs went non-finite, naming the series, good, month and run (the
    scenario values under that good are the ones to look at)."""
    for name, what in FINITE_SERIES:
        data = result.trajectory.get(name)
        if data is None or np.isfinite(data).all():
            continue
        where = np.argwhere(~np.isfinite(data))[0]  # (month, run[, good])
        month, run = result.months[int(where[0])], int(replications[int(where[1])])
        good = f" of {result.goods[int(where[2])]}" if data.ndim == 3 else ""
        value = data[tuple(where)]
        hint = f" (look at the scenario's values for {result.goods[int(where[2])]})" if good else ""
        raise NonFiniteError(
            f"{what}{good} became {value} in {month} in replication {run}: a value of scenario "
            f"{result.scenario.name!r} is too large or too small for the model's arithmetic{hint}"
        )


def run_chunk_safely(task: ChunkTask) -> ChunkOutput | ChunkFailure:
    """run_chunk, with any exception returned as a record instead of raised."""
    try:
        return run_chunk(task)
    except Exception as err:  # a chunk that raises must not stop the batch
        return ChunkFailure(task.ref, failure_record(err))


def shape_outcomes(
    table: pd.DataFrame, scenario: str, paths: Sequence[str], patterns: Sequence[str] | None
) -> pd.DataFrame:
    """scenario, replication, param__<path> for every design path (NaN where the scenario
    fixes or lacks it), then the outcome columns the experiment keeps (patterns named
    before issue 13 are read with today's names)."""
    from model.engine.outcomes import PARAM_PREFIX, column_name, param_column

    n = len(table)
    cols: dict[str, Any] = {
        "scenario": [scenario] * n,
        "replication": table["replication"].to_numpy(np.int64),
    }
    for p in paths:
        name = param_column(p)
        cols[name] = table[name].to_numpy() if name in table else np.full(n, np.nan)
    patterns = None if patterns is None else [column_name(pat) for pat in patterns]
    for name in table.columns:
        if name == "replication" or name.startswith(PARAM_PREFIX):
            continue
        if patterns is None or any(fnmatchcase(name, pat) for pat in patterns):
            cols[name] = table[name].to_numpy()
    return pd.DataFrame(cols)


def variable_array(result: Any, name: str) -> np.ndarray:
    """One trajectory variable with the run axis first: (run, month[, supplier][, good])."""
    if name == "imports":
        return np.transpose(result.imports(), (2, 0, 1, 3))  # (month, origin, run, good)
    return np.swapaxes(result.trajectory[name], 0, 1)


def pack_trajectories(
    result: Any, layout: TrajectoryLayout, ref: ChunkRef
) -> dict[str, list[bytes]]:
    """Each variable cut into the HDF5 chunks of trajectories.nc, on its axes (deflated if asked)."""
    labels = {
        "month": list(result.months),
        "good": list(result.goods),
        "supplier": list(result.origins),
    }
    target = {
        "month": list(layout.months),
        "good": list(layout.goods),
        "supplier": list(layout.suppliers),
    }
    out: dict[str, list[bytes]] = {}
    fc = layout.file_chunk
    for name, dims in layout.variables.items():
        data = np.asarray(variable_array(result, base_name(name, dims)), dtype="<f4")
        unit = unit_of(dims)
        if unit:  # this unit's goods only, on their own dimension (model.engine.cf)
            mine = [i for i, u in enumerate(result.units) if u == unit]
            data = data[..., mine]
            labels[UNIT_DIMS[unit][0]] = [result.goods[i] for i in mine]
            target[UNIT_DIMS[unit][0]] = unit_dims(layout.goods, layout.units)[UNIT_DIMS[unit][0]]
        if any(labels[d] != target[d] for d in dims):  # a scenario with its own months or goods
            placed = np.full((data.shape[0], *(len(target[d]) for d in dims)), np.nan, dtype="<f4")
            index = [np.array([target[d].index(x) for x in labels[d]]) for d in dims]
            key: tuple[Any, ...] = (slice(None), *np.ix_(*index))
            placed[key] = data
            data = placed
        blocks = []
        for k in range(layout.n_blocks(ref)):
            block = data[k * fc : (k + 1) * fc]
            if len(block) < fc:
                block = np.concatenate(
                    [block, np.full((fc - len(block), *block.shape[1:]), np.nan, dtype="<f4")]
                )
            raw = np.ascontiguousarray(block).tobytes()
            blocks.append(zlib.compress(raw, layout.compression) if layout.compression else raw)
        out[name] = blocks
    return out


def arrow_table(table: pd.DataFrame) -> pa.Table:
    """The part's Arrow table in the outcomes schema (:func:`model.engine.outcomes.to_arrow`)."""
    from model.engine.outcomes import to_arrow

    return to_arrow(table)
