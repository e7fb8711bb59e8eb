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
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq
import xarray as xr

from model.engine.outcomes import to_arrow
from model.errors import ScenarioError, UserError
from model.files.nodes import IDENTIFIER_TEXT, is_identifier
from model.files.scenario import Scenario, dumps, read_toml
from model.store.manifest import manifest_path, manifest_text, output_digests

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
        writer = Writer(partial, manifest)
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

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = path
        self.manifest = manifest

    def write_manifest(self) -> None:
        manifest_path(self.path).write_text(manifest_text(self.manifest))

    def write_outcomes(self, table: pd.DataFrame) -> None:
        pq.write_table(to_arrow(table), self.path / "outcomes.parquet")
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
