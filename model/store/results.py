"""Result folders: add-only, never overwritten, never half-written.

A result folder holds ``manifest.json`` (:mod:`model.store.manifest`: code version, scenario
files and their hashes, seed, package versions, times, status), ``outcomes.parquet`` (one row per run),
``trajectories.nc`` (labelled arrays: run x month x good, imports by supplier) and
``figures/``. It is written into a hidden ``.<name>.partial`` sibling and renamed into
place only when complete; if anything fails the partial folder is removed, so a user
never finds a half-written result (docs/architecture.md §8, §11.2).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xarray as xr

from model.engine.outcomes import to_arrow
from model.errors import ScenarioError, UserError
from model.files.scenario import Scenario, dumps, read_toml
from model.store.manifest import manifest_path, manifest_text, output_digests
from model.world.nodes import IDENTIFIER_TEXT, is_identifier

if TYPE_CHECKING:
    pass

from model import PROJECT_ROOT

PACKAGES = (
    "pactsim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "pyarrow",
    "h5netcdf",
    "matplotlib",
    "SALib",
    "dask",
)


def code_version() -> dict[str, Any]:
    """The git commit of the code (and whether the tree had local changes)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    if not (PROJECT_ROOT / ".git").exists():  # installed (a wheel): no checkout to ask
        return {"commit": "unknown", "dirty": None}
    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", "model")),
        }
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def scenario_provenance(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "resolved_sha256": scenario.sha256,
        "files": [{"path": f, "sha256": h} for f, h in scenario.files],
    }


def scenario_file(name: str) -> str:
    """The frozen scenario's file name inside a result folder, from its (identifier) name."""
    if not is_identifier(name):
        raise UserError(f"scenario name {name!r} is not {IDENTIFIER_TEXT}; it cannot name a file")
    return f"scenarios/{name}.toml"


def frozen_data(folder: Path, name: str) -> dict[str, Any]:
    """The resolved scenario ``name`` that a result folder froze into ``scenarios/``, or {}
    (a folder written before every result folder froze its scenarios)."""
    if not is_identifier(name):
        return {}
    try:
        return read_toml(Path(folder) / scenario_file(name))
    except ScenarioError:
        return {}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ResultFolder:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls, out: Path | None, name: str, root: Path | None = None) -> ResultFolder:
        """Choose a folder that does not exist yet (never overwrite a result)."""

        if out is not None:
            out = Path(out)
            if out.exists():
                raise UserError(
                    f"{out} already exists; results are never overwritten (choose another --out)"
                )
            return cls(out)
        root = root or Path("results")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = root / f"{name}-{stamp}"
        if path.resolve().parent != root.resolve() or "/" in name or name.startswith("."):
            raise UserError(
                f"{name!r} cannot name a result folder under {root} (not an identifier)"
            )
        n = 2
        while path.exists():
            path = root / f"{name}-{stamp}-{n}"
            n += 1
        return cls(path)

    @contextlib.contextmanager
    def writing(
        self, command: Sequence[str], seed: int, scenarios: Sequence[Scenario], **extra: Any
    ) -> Iterator[Writer]:
        partial = self.path.parent / f".{self.path.name}.partial-{os.getpid()}"
        partial.mkdir(parents=True)
        manifest = {
            "status": "running",
            "command": ["pactsim", *command],
            "code": code_version(),
            "packages": package_versions(),
            "platform": platform.platform(),
            "seed": seed,
            "scenarios": [scenario_provenance(s) for s in scenarios],
            "started": now(),
            **extra,
        }
        writer = Writer(partial, manifest, self.path.name)
        try:
            for s in scenarios:  # the resolved scenarios, as a batch freezes them
                frozen = partial / scenario_file(s.name)
                frozen.parent.mkdir(exist_ok=True)
                frozen.write_text(dumps(s.data), encoding="utf-8")
            yield writer
            manifest.update(status="complete", finished=now(), outputs=output_digests(partial))
            writer.write_manifest()
            partial.rename(self.path)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise


class Writer:
    """Writes the parts of a result folder."""

    def __init__(self, path: Path, manifest: dict[str, Any], name: str = ""):
        self.path = path
        self.manifest = manifest
        self.name = name or path.name  # the folder's final name (its outcome rows say it)

    def write_manifest(self) -> None:
        manifest_path(self.path).write_text(manifest_text(self.manifest))

    def write_outcomes(self, table: pd.DataFrame) -> None:
        """``outcomes.parquet`` (no parameter columns; ``folder`` first) and
        ``parameters.parquet`` (the runs' parameter values, long): see :func:`split_parameters`."""
        outcomes, parameters = split_parameters(to_arrow(table), self.name)
        pq.write_table(outcomes, self.path / "outcomes.parquet")
        pq.write_table(parameters, self.path / PARAMETERS_FILE)
        self.manifest["runs"] = int(len(table))

    def write_trajectories(self, ds: xr.Dataset) -> None:
        encoding = {
            name: {"zlib": True, "complevel": 1}
            for name in ds.data_vars
            if ds[name].dtype.kind == "f"
        }
        # encoded in memory, then written by Python: a full disk is then an ordinary OSError,
        # where h5py writing to the disk itself printed a traceback per handle and crashed
        # the interpreter at exit
        buffer = io.BytesIO()
        try:
            ds.to_netcdf(buffer, engine="h5netcdf", encoding=encoding)
        except (TypeError, ValueError):  # an xarray that cannot write to a file object
            ds.to_netcdf(self.path / "trajectories.nc", engine="h5netcdf", encoding=encoding)
            return
        with open(self.path / "trajectories.nc", "wb") as f:
            f.write(buffer.getbuffer())


def write_blocks(path: Path, blocks: Iterable[pd.DataFrame]) -> None:
    """Tables of one schema into one Parquet file, a row group each."""
    writer = None
    try:
        for block in blocks:
            table = pa.Table.from_pandas(block, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


# ---------------------------------------------------------------------------------------
# one outcomes schema for every folder
# ---------------------------------------------------------------------------------------
PARAMETERS_FILE = "parameters.parquet"
PARAMETER_SCHEMA = pa.schema(
    [
        pa.field("folder", pa.string()),
        pa.field("scenario", pa.string()),
        pa.field("replication", pa.int64()),
        pa.field("parameter", pa.string()),  # the outcome table's column, param__<key path>
        pa.field("value", pa.float64()),  # a number (null for a month)
        pa.field("month", pa.string()),  # a month, YYYY-MM (null for a number)
    ]
)


def split_parameters(table: pa.Table, folder: str) -> tuple[pa.Table, pa.Table]:
    """An outcome table as a folder writes it: (outcomes, parameters).

    ``outcomes`` has ``folder`` (the result folder's name), ``scenario`` and ``replication``
    first and then only outcome columns, which follow from the goods, the suppliers and the
    key dates -- so a run, a Monte Carlo run, a batch and runs of different scenarios share
    one schema and read together (``pl.read_parquet([a, b])``, duckdb without
    ``union_by_name``). The uncertain parameters, which differ between scenarios and
    designs, go to ``parameters`` in long form: one row per (run, parameter) that the run
    has (:data:`PARAMETER_SCHEMA`); :func:`read_outcomes` joins them back as columns."""
    from model.engine.outcomes import PARAM_PREFIX

    n = table.num_rows
    names = table.column_names
    scenario = table.column("scenario") if "scenario" in names else pa.nulls(n, pa.string())
    # a sensitivity design's rows are its replications (column "run" in memory)
    index = "replication" if "replication" in names else "run"
    replication = table.column(index).cast(pa.int64())
    front = [pa.array([folder] * n, pa.string()), scenario, replication]
    keys = ("folder", "scenario", "replication")
    rest = [c for c in names if c not in (*keys, index) and not c.startswith(PARAM_PREFIX)]
    outcomes = pa.Table.from_arrays(
        [*front, *(table.column(c) for c in rest)], names=[*keys, *rest]
    )
    pieces = []
    for c in (c for c in names if c.startswith(PARAM_PREFIX)):
        column = table.column(c)
        text = pa.types.is_string(column.type)
        value = pa.nulls(n, pa.float64()) if text else column.cast(pa.float64())
        month = column if text else pa.nulls(n, pa.string())
        pieces.append(
            pa.Table.from_arrays(
                [*front, pa.array([c] * n, pa.string()), value, month], schema=PARAMETER_SCHEMA
            )
        )
    if not pieces:
        return outcomes, PARAMETER_SCHEMA.empty_table()
    parameters = pa.concat_tables(pieces)  # one piece (chunk) per parameter, filtered at once
    has = pc.or_(pc.is_valid(parameters["value"]), pc.is_valid(parameters["month"]))
    return outcomes, parameters.filter(has)


def write_split(
    outcomes_path: Path, parameters_path: Path, parts: Iterator[tuple[pa.Table, pa.Table]]
) -> None:
    """Stream the (outcomes, parameters) tables of :func:`split_parameters` into two files."""
    first = next(parts)
    with (
        pq.ParquetWriter(outcomes_path, first[0].schema) as wide,
        pq.ParquetWriter(parameters_path, PARAMETER_SCHEMA) as narrow,
    ):
        for outcomes, parameters in chain([first], parts):
            wide.write_table(outcomes)
            narrow.write_table(parameters)


def read_outcomes(folder: str | Path, parameters: bool = True) -> pd.DataFrame:
    """A result folder's outcome rows, with its runs' parameters joined back as
    ``param__<key path>`` columns (as the outcome table in memory has them). Folders written
    before the parameters had their own file have them in ``outcomes.parquet`` already."""
    folder = Path(folder)
    table = pd.read_parquet(folder / "outcomes.parquet")
    long_path = folder / PARAMETERS_FILE
    if not parameters or not long_path.exists():
        return table
    long = pd.read_parquet(long_path)
    if long.empty:
        return table
    long["x"] = long["month"].astype(object).where(long["month"].notna(), long["value"])
    wide = long.pivot_table(
        index=["scenario", "replication"], columns="parameter", values="x", aggfunc="first"
    )
    wide.columns.name = None
    return table.merge(wide.reset_index(), on=["scenario", "replication"], how="left")
