"""The result folder of a batch on disk: streamed parts, resume, consolidation.

A batch writes into a hidden sibling ``.<name>.partial`` of its final folder and renames
it into place only when the batch is complete, so a folder under ``results/`` is never
half-written (docs/architecture.md §8, §11.2). The partial folder holds::

    manifest.json            status, plan, provenance, sessions, errors (rewritten atomically)
    experiment.toml          the experiment file as it was when the batch started
    scenarios/<name>.toml    every scenario, resolved (``extends`` applied), as it was
    design.parquet           lhs/sobol/morris: the unit-hypercube design (replication x path)
    lock                     pid and host of the process working on the folder
    parts/<tag>.outcomes.arrow       one chunk's outcome rows (an Arrow IPC file)
    parts/<tag>.trajectories.bin     one chunk's trajectories: its HDF5 chunks, deflated, end to end
    parts/<tag>.done                 the chunk's done-marker (JSON: timings, HDF5 chunk lengths), last
    parts/<tag>.error.json           a chunk that raised: error and traceback

``<tag>`` is ``<scenario index>-<chunk index>``; every file name is derived from the plan
(the scenario files' from the scenario's name, an identifier checked by the schema and
again here), and every path written is checked to lie inside the folder.

**Nothing silently wrong.** The manifest records the SHA-256 of the frozen inputs
(``inputs``); resume refuses to go on if any of them changed, naming the file. Each
done-marker records its chunk's identity (tag, scenario, runs) and the size and SHA-256 of
each of its parts; resume verifies every done chunk (:meth:`BatchFolder.verify_chunks`)
and reruns any whose files are missing, damaged or inconsistent, saying which. A finished
folder records the checksums of all its files in the manifest (``outputs``), which
:func:`model.cli.verify.verify_folder` (``pactsim verify``) checks on demand and before
``compare`` and ``report`` read a folder.

**The manifest first.** A new folder is filled under a staging name
``.<name>.partial-new-<pid>`` (manifest first, then the frozen inputs) and renamed to
``.<name>.partial`` only then, so a partial folder always has its manifest and inputs
and can always be resumed; a staging folder left by a killed start is removed by the next
start on the same ``--out``.

Every file is written to a temporary name
and moved into place with ``os.replace`` (atomic on POSIX), the done-marker after the
part files it vouches for, so whenever the process dies -- SIGKILL included -- a chunk is
either done (marker present, parts complete) or not done (rerun on resume; any stray part
or temporary file is overwritten or removed). Resume reads the plan, the frozen experiment
and scenarios and the design from the folder, never from the (possibly edited) files.

Consolidation streams the parts in plan order (scenario, then replication) into
``outcomes.parquet`` (one Parquet row group per chunk, columns unified across scenarios)
and ``trajectories.nc``, whose HDF5 chunks are copied as they are (``write_direct_chunk``):
memory stays bounded by one chunk whatever the number of runs. Status then moves
``running`` -> ``consolidated`` (parts deleted) -> ``complete`` (folder renamed). A batch
with failed chunks is consolidated for inspection but stays partial with status
``errors``; ``--resume`` retries the failed chunks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import numpy as np
import pandas as pd
import pyarrow as pa

from model.engine import cf
from model.engine.variables import unit_dims, unit_of
from model.errors import UserError, resolve_path
from model.files.scenario import Scenario, dumps, parse_toml
from model.store.checksums import (
    OUTCOME_PART,
    TRAJECTORY_PART,
    bytes_digest,
    chunk_identity,
    chunk_problem,
    file_digest,
    outcome_part_schema,
    read_outcome_part,
)
from model.store.manifest import MANIFEST, manifest_path, manifest_text, output_digests
from model.store.results import (
    PARAMETERS_FILE,
    now,
    scenario_file,
    split_parameters,
    write_blocks,
    write_split,
)

PARTS = "parts"
STATUS_RUNNING, STATUS_ERRORS, STATUS_CONSOLIDATED, STATUS_COMPLETE = (
    "running",
    "errors",
    "consolidated",
    "complete",
)


def process_alive(pid: Any) -> bool:
    """Whether a process with this id exists (a pid that is not a positive int: no)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def partial_path(final: Path) -> Path:
    return final.parent / f".{final.name}.partial"


def staging_prefix(final: Path) -> str:
    return f".{final.name}.partial-new-"


def final_path(partial: Path) -> Path:
    name = partial.name
    if not (name.startswith(".") and name.endswith(".partial")):
        raise ValueError(f"{partial} is not a partial batch folder")
    return partial.parent / name[1 : -len(".partial")]


def write_atomic(path: Path, write: Callable[[Path], None] | bytes | str) -> None:
    """Write a file under a temporary name, flush it to disk and move it into place."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    if isinstance(write, bytes | str):
        data = write.encode() if isinstance(write, str) else write
        tmp.write_bytes(data)
    else:
        write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def unified_schema(schemas: Sequence[pa.Schema]) -> pa.Schema:
    """One schema for the parts of all scenarios. A column that is text in one scenario and a
    number in another is text: a parameter that is a month in one scenario is missing (NaN,
    its part being written without knowing the others) where another scenario fixes it."""
    text = {f.name for s in schemas for f in s if f.type == pa.string()}
    fixed = [
        pa.schema([pa.field(f.name, pa.string()) if f.name in text else f for f in s])
        for s in schemas
    ]
    return pa.unify_schemas(fixed, promote_options="permissive").remove_metadata()


def as_type(column: pa.ChunkedArray, kind: pa.DataType) -> pa.ChunkedArray:
    """``column`` as ``kind``; a number column that must become text is all missing (NaN) and
    becomes nulls (anything else is an error, not a silent 'nan' string)."""
    if kind == pa.string() and column.type != pa.string():
        values = column.to_numpy(zero_copy_only=False)
        if not np.all(pd.isna(values)):
            raise ValueError(
                f"a column is text in one scenario and numbers in another ({column.type})"
            )
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    return column if column.type == kind else column.cast(kind)


@dataclass(frozen=True)
class ChunkRef:
    """One chunk of the plan: runs start..stop-1 of one scenario."""

    scenario_index: int
    chunk_index: int
    start: int
    stop: int

    @property
    def tag(self) -> str:
        return f"{self.scenario_index:03d}-{self.chunk_index:06d}"

    @property
    def n_runs(self) -> int:
        return self.stop - self.start


def chunk_refs(n_scenarios: int, runs_per_scenario: int, chunk: int) -> list[ChunkRef]:
    """The plan's chunks in order: scenario by scenario, replications ascending."""
    return [
        ChunkRef(s, c, start, min(start + chunk, runs_per_scenario))
        for s in range(n_scenarios)
        for c, start in enumerate(range(0, runs_per_scenario, chunk))
    ]


class FolderInUse(RuntimeError):
    pass


class BatchFolder:
    """A partial batch folder and the protocol for writing into it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.parts = self.path / PARTS

    # creation and locking ---------------------------------------------------------------
    @classmethod
    def create(
        cls,
        final: Path,
        manifest: dict[str, Any],
        experiment_text: str,
        scenarios: Sequence[Scenario],
        design: Iterable[pd.DataFrame] | None,
    ) -> BatchFolder:
        """A new partial folder, filled under a staging name: its manifest first, then the
        frozen inputs and their hashes (``manifest["inputs"]``); renamed into place last."""
        partial = partial_path(final)
        remove_dead_staging(final)
        staging = cls(final.parent / f"{staging_prefix(final)}{os.getpid()}")
        staging.path.mkdir(parents=True)
        try:
            staging.write_manifest(manifest)
            (staging.path / PARTS).mkdir()
            (staging.path / "scenarios").mkdir()
            staging.freeze_inputs(experiment_text, scenarios, design)
            manifest["inputs"] = staging.input_digests()
            staging.write_manifest(manifest)
            if partial.exists():
                raise FileExistsError(partial)
            staging.path.rename(partial)
        except BaseException:
            shutil.rmtree(staging.path, ignore_errors=True)
            raise
        return cls(partial)

    def inside(self, path: Path) -> Path:
        """``path``, checked to lie inside this folder (never a file elsewhere)."""
        root = resolve_path(self.path)
        resolved = resolve_path(path)
        if resolved != root and root not in resolved.parents:
            raise UserError(f"refusing to write {path}: it lies outside the result folder {root}")
        return path

    def write(self, path: Path, data: Callable[[Path], None] | bytes | str) -> None:
        write_atomic(self.inside(path), data)

    def lock(self) -> None:
        """Claim the folder; a lock left by a dead process (e.g. SIGKILL) is taken over."""
        lock = self.path / "lock"
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": now()}
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text())
            except (OSError, ValueError):
                holder = {}
            if holder.get("host") == me["host"] and process_alive(holder.get("pid")):
                raise FolderInUse(
                    f"{self.path} is being written by process {holder['pid']}"
                ) from None
            write_atomic(lock, json.dumps(me))
            return
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(me))

    def unlock(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / "lock").unlink()

    # manifest and frozen inputs ----------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        return json.loads(manifest_path(self.path).read_text())

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        self.write(manifest_path(self.path), manifest_text(manifest))

    def freeze_inputs(
        self,
        experiment_text: str,
        scenarios: Sequence[Scenario],
        design: Iterable[pd.DataFrame] | None,
    ) -> None:
        """The experiment, the resolved scenarios and the design (written block by block, one
        Parquet row group per block, so a large design is never held whole)."""
        self.write(self.path / "experiment.toml", experiment_text)
        for s in scenarios:
            self.write(self.path / scenario_file(s.name), dumps(s.data))
        if design is not None:
            self.write(self.path / "design.parquet", lambda p: write_blocks(p, design))

    def input_digests(self) -> dict[str, dict[str, Any]]:
        """Size and SHA-256 of every frozen input (experiment, scenarios, design)."""
        files = [self.path / "experiment.toml", *sorted((self.path / "scenarios").glob("*.toml"))]
        if (self.path / "design.parquet").exists():
            files.append(self.path / "design.parquet")
        return {p.relative_to(self.path).as_posix(): file_digest(p) for p in files}

    def check_inputs(self, recorded: Mapping[str, Mapping[str, Any]]) -> None:
        """Refuse to go on if a frozen input changed since the batch started, naming it."""
        for name, digest in recorded.items():
            path = self.inside(self.path / name)
            if not path.is_file():
                raise UserError(
                    f"{path}: the frozen input is missing; the batch cannot be resumed "
                    f"consistently (restore the file, or remove the folder: rm -r {self.path})"
                )
            if file_digest(path)["sha256"] != digest.get("sha256"):
                raise UserError(
                    f"{path} changed since the batch started (its SHA-256 differs from the "
                    f"manifest's); resuming would mix two inputs in one result. Restore it, or "
                    f"start a new batch (remove this one: rm -r {self.path})"
                )

    def output_digests(
        self, known: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Size and SHA-256 of every file of the folder but the manifest, the lock and parts
        (``known``: digests computed since the files were written, not read again)."""
        return output_digests(self.path, skip=(MANIFEST, "lock"), skip_under=PARTS, known=known)

    def frozen_experiment_text(self) -> str:
        return (self.path / "experiment.toml").read_text(encoding="utf-8")

    def frozen_scenario(self, provenance: Mapping[str, Any]) -> Scenario:
        name = provenance["name"]
        path = self.inside(self.path / scenario_file(name))
        data = parse_toml(path.read_text(encoding="utf-8"), path)
        files = tuple((f["path"], f["sha256"]) for f in provenance.get("files", []))
        scenario = Scenario(
            name=name, path=Path(provenance.get("path", name)), data=data, files=files
        )
        if scenario.sha256 != provenance["resolved_sha256"]:
            raise ValueError(
                f"{self.path}: the frozen scenario {name!r} does not match its recorded hash"
            )
        return scenario

    def frozen_design(self) -> pd.DataFrame | None:
        """The stored design (a batch whose design is keyed recomputes it instead)."""
        path = self.path / "design.parquet"
        return pd.read_parquet(path) if path.exists() else None

    # parts --------------------------------------------------------------------------------
    def _part(self, ref: ChunkRef, suffix: str) -> Path:
        return self.parts / f"{ref.tag}.{suffix}"

    def done_tags(self) -> set[str]:
        return {p.name[: -len(".done")] for p in self.parts.glob("*.done")}

    def clean_strays(self) -> None:
        """Remove temporary files and parts without a done-marker (a chunk cut short)."""
        done = self.done_tags()
        for p in list(self.parts.iterdir()) + list(self.path.glob("*.tmp-*")):
            tag = p.name.split(".", 1)[0]
            if ".tmp-" in p.name or (tag not in done and not p.name.endswith(".error.json")):
                p.unlink(missing_ok=True)

    def record_chunk(
        self,
        ref: ChunkRef,
        outcomes: bytes,
        trajectories: bytes,
        info: Mapping[str, Any],
        scenario: str = "",
    ) -> float:
        """Write a finished chunk's parts (as the worker serialised them), then its done-marker:
        the chunk's identity and each part's size and SHA-256 (returns seconds hashing)."""
        t0 = time.perf_counter()
        digests = {OUTCOME_PART: bytes_digest(outcomes)}
        digests[TRAJECTORY_PART] = bytes_digest(trajectories)
        hashing = time.perf_counter() - t0
        self.write(self._part(ref, OUTCOME_PART), outcomes)
        self.write(self._part(ref, TRAJECTORY_PART), trajectories)
        marker = {**info, **chunk_identity(ref, scenario), "parts": digests}
        self.write(self._part(ref, "done"), json.dumps(marker, default=str))
        self._part(ref, "error.json").unlink(missing_ok=True)
        return hashing

    def verify_chunks(
        self,
        refs: Sequence[ChunkRef],
        names: Sequence[str],
        layout: TrajectoryLayout,
        drop: bool = True,
    ) -> list[tuple[ChunkRef | None, str, str]]:
        """Check every done chunk against its marker; drop the ones that fail (if ``drop``).

        Returns (chunk or None for a marker outside the plan, tag, what was wrong) for each
        failing chunk: its marker and parts are removed, so that the next session reruns it.
        """
        by_tag = {r.tag: r for r in refs}
        dropped: list[tuple[ChunkRef | None, str, str]] = []
        for tag in sorted(self.done_tags()):
            ref = by_tag.get(tag)
            if ref is None:
                problem = "a done-marker that is not a chunk of the plan"
            else:
                problem = chunk_problem(self.parts, ref, names[ref.scenario_index], layout) or ""
            if problem and drop:
                for p in self.parts.glob(f"{tag}.*"):
                    if not p.name.endswith(".error.json"):
                        p.unlink(missing_ok=True)
            if problem:
                dropped.append((ref, tag, problem))
        return dropped

    def record_error(self, ref: ChunkRef, error: Mapping[str, Any]) -> None:
        self.write(
            self._part(ref, "error.json"),
            json.dumps({"tag": ref.tag, "start": ref.start, "stop": ref.stop, **error}),
        )

    def errors(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.parts.glob("*.error.json"))]

    def done_info(self, ref: ChunkRef) -> dict[str, Any]:
        return json.loads(self._part(ref, "done").read_text())

    # consolidation -------------------------------------------------------------------------
    def consolidate_outcomes(self, refs: Iterable[ChunkRef]) -> int:
        """Stream the done chunks' outcome rows, in plan order, into outcomes.parquet."""
        done = self.done_tags()
        paths = [self._part(r, OUTCOME_PART) for r in refs if r.tag in done]
        if not paths:
            return 0
        schema = unified_schema([outcome_part_schema(p) for p in paths])
        name = final_path(self.path).name
        rows = 0

        def parts() -> Iterator[tuple[pa.Table, pa.Table]]:
            nonlocal rows
            for p in paths:
                table = read_outcome_part(p)
                have = set(table.column_names)
                columns = [
                    as_type(table.column(f.name), f.type)
                    if f.name in have
                    else pa.nulls(table.num_rows, f.type)
                    for f in schema
                ]
                rows += table.num_rows
                yield split_parameters(pa.Table.from_arrays(columns, schema=schema), name)

        def write(outcomes_tmp: Path) -> None:  # parameters.parquet beside it, streamed together
            self.write(self.path / PARAMETERS_FILE, lambda t: write_split(outcomes_tmp, t, parts()))

        self.write(self.path / "outcomes.parquet", write)
        return rows

    def consolidate_trajectories(
        self, refs: Sequence[ChunkRef], layout: TrajectoryLayout, attrs: Mapping[str, Any]
    ) -> None:
        """Create trajectories.nc and copy every done chunk's compressed HDF5 chunks into it."""
        done = self.done_tags()

        def write(tmp: Path) -> None:
            layout.create(tmp, attrs)
            with h5py.File(tmp, "r+") as f:
                datasets = {name: f[name].id for name in layout.variables}
                for ref in refs:
                    if ref.tag not in done:
                        continue
                    data = memoryview(self._part(ref, TRAJECTORY_PART).read_bytes())
                    lengths = self.done_info(ref)["block_bytes"]
                    at = 0
                    for name, dims in layout.variables.items():
                        for k, n in enumerate(lengths[name]):
                            offset = (
                                ref.scenario_index,
                                ref.start + k * layout.file_chunk,
                                *(0,) * len(dims),
                            )
                            datasets[name].write_direct_chunk(offset, data[at : at + n])
                            at += n

        self.write(self.path / "trajectories.nc", write)

    def drop_parts(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)

    def publish(self) -> Path:
        """Rename the finished folder into place (refusing to overwrite anything)."""
        final = final_path(self.path)
        if final.exists():
            raise FileExistsError(
                f"{final} appeared while the batch ran; the result stays in {self.path}"
            )
        self.path.rename(final)
        self.path = final
        self.parts = final / PARTS
        return final


@dataclass(frozen=True)
class TrajectoryLayout:
    """The shape of trajectories.nc: coordinates, variables and their dims, HDF5 chunks.

    Every variable is float32 with dims (scenario, run, month[, supplier][, good]); its HDF5
    chunks are (1, file_chunk, whole other dims), deflated at ``compression`` (0: raw).
    A chunk of the batch always starts on a multiple of ``file_chunk`` runs, so each batch
    chunk maps onto whole HDF5 chunks that a worker can compress on its own.
    """

    scenarios: tuple[str, ...]
    runs: int
    months: tuple[str, ...]
    goods: tuple[str, ...]
    suppliers: tuple[str, ...]
    units: tuple[str, ...]
    prices: tuple[float, ...]
    variables: Mapping[str, tuple[str, ...]]  # name -> dims after (scenario, run)
    file_chunk: int
    compression: int

    def sizes(self) -> dict[str, int]:
        labels = {"month": self.months, "good": self.goods, "supplier": self.suppliers}
        return {d: len(v) for d, v in {**labels, **unit_dims(self.goods, self.units)}.items()}

    def block_shape(self, name: str) -> tuple[int, ...]:
        sizes = self.sizes()
        return (self.file_chunk, *(sizes[d] for d in self.variables[name]))

    def n_blocks(self, ref: ChunkRef) -> int:
        return -(-ref.n_runs // self.file_chunk)

    def to_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrajectoryLayout:
        d = dict(d)
        for key in ("scenarios", "months", "goods", "suppliers", "units", "prices"):
            d[key] = tuple(d[key])
        d["variables"] = {k: tuple(v) for k, v in d["variables"].items()}
        return cls(**d)

    def create(self, path: Path, attrs: Mapping[str, Any]) -> None:
        """An empty netCDF-4 file in the layout of :mod:`model.engine.cf`: coordinates (month
        a CF time axis, ``month_label`` beside it), CF attributes, variables filled with NaN."""
        text = h5py.string_dtype()
        with h5netcdf.File(path, "w") as f:
            f.dimensions = {"scenario": len(self.scenarios), "run": self.runs, **self.sizes()}
            for dim, labels in (
                ("scenario", self.scenarios),
                ("good", self.goods),
                ("supplier", self.suppliers),
                *unit_dims(self.goods, self.units).items(),
            ):
                f.create_variable(dim, (dim,), dtype=text)[:] = np.array(labels, dtype=object)
            days, since = cf.month_days(self.months)
            f.create_variable("month", ("month",), data=days).attrs.update(
                units=since, calendar=cf.CALENDAR
            )
            label = f.create_variable("month_label", ("month",), dtype=text)
            label[:] = np.array(self.months, dtype=object)
            f.create_variable("run", ("run",), data=np.arange(self.runs, dtype=np.int64))
            f.create_variable("unit", ("good",), dtype=text)[:] = np.array(self.units, dtype=object)
            f.create_variable(
                "price_rm_per_unit", ("good",), data=np.asarray(self.prices, dtype=np.float64)
            )
            for name in cf.COORD_ATTRS.keys() & f.variables.keys():
                f.variables[name].attrs.update(cf.COORD_ATTRS[name])
            filters = (
                {"compression": "gzip", "compression_opts": self.compression}
                if self.compression
                else {}
            )
            for name, dims in self.variables.items():
                shape = (1, *self.block_shape(name))
                var = f.create_variable(
                    name,
                    ("scenario", "run", *dims),
                    dtype="f4",
                    fillvalue=np.float32(np.nan),
                    chunks=shape,
                    **filters,
                )
                var.attrs.update(cf.file_attrs(name, unit_of(dims)))
                aux = ["month_label", *(["unit", "price_rm_per_unit"] if "good" in dims else [])]
                var.attrs["coordinates"] = " ".join(aux)
            f.attrs.update(cf.global_attrs("batch", attrs))
            if not any("good" in dims for dims in self.variables.values()):  # as xarray writes
                f.attrs["coordinates"] = "unit price_rm_per_unit"  # them: a run file's layout


def remove_dead_staging(final: Path) -> None:
    """Remove staging folders of this result folder left by starts that were killed."""
    if not final.parent.is_dir():
        return
    for p in final.parent.glob(f"{staging_prefix(final)}*"):
        pid = p.name[len(staging_prefix(final)) :]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
