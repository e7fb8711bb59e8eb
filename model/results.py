"""Result folders: add-only, never overwritten, never half-written.

A result folder holds ``manifest.json`` (code version, scenario files and their hashes,
seed, package versions, times, status), ``outcomes.parquet`` (one row per run),
``trajectories.nc`` (labelled arrays: run x month x good, imports by supplier) and
``figures/``. It is written into a hidden ``.<name>.partial`` sibling and renamed into
place only when complete; if anything fails the partial folder is removed, so a user
never finds a half-written result (DESIGN.md §8, STYLE.md habit 9).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from model.scenario import Scenario

if TYPE_CHECKING:
    from model.runner import RunResult

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pactsim", "mesa", "numpy", "scipy", "pandas", "xarray", "pyarrow", "h5netcdf", "matplotlib", "SALib", "dask")


def code_version() -> dict[str, Any]:
    """The git commit of the code (and whether the tree had local changes)."""
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "model"))}
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


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ResultFolder:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls, out: Path | None, name: str, root: Path | None = None) -> ResultFolder:
        """Choose a folder that does not exist yet (never overwrite a result)."""
        from model.cli import UserError

        if out is not None:
            out = Path(out)
            if out.exists():
                raise UserError(f"{out} already exists; results are never overwritten (choose another --out)")
            return cls(out)
        root = root or Path("results")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = root / f"{name}-{stamp}"
        n = 2
        while path.exists():
            path = root / f"{name}-{stamp}-{n}"
            n += 1
        return cls(path)

    @contextlib.contextmanager
    def writing(self, command: Sequence[str], seed: int, scenarios: Sequence[Scenario], **extra: Any) -> Iterator[Writer]:
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
            yield writer
            manifest.update(status="complete", finished=now())
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
        (self.path / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str) + "\n")

    def write_outcomes(self, table: pd.DataFrame) -> None:
        table.to_parquet(self.path / "outcomes.parquet", index=False)
        self.manifest["runs"] = int(len(table))

    def write_trajectories(self, ds: xr.Dataset) -> None:
        encoding = {name: {"zlib": True, "complevel": 1} for name in ds.data_vars if ds[name].dtype.kind == "f"}
        ds.to_netcdf(self.path / "trajectories.nc", engine="h5netcdf", encoding=encoding)

    def write_standard_figures(self, result: RunResult) -> None:
        from model import plots

        figures = self.path / "figures"
        figures.mkdir(exist_ok=True)
        ds = result.dataset()
        markers = plots.event_markers(result.scenario.data)
        for name, draw in (("stock_cover", plots.plot_stock_cover), ("shortages", plots.plot_shortages)):
            fig = plots.new_figure()
            draw(ds, markers=markers, ax=fig.gca())
            plots.save(fig, figures / f"{name}.png")
        self.manifest["figures"] = sorted(p.name for p in figures.iterdir())


def summary_lines(result: RunResult, table: pd.DataFrame) -> list[str]:
    """A few lines for the terminal: stock-outs, suspensions, arrears."""
    lines = [f"scenario {result.scenario.name}: {result.n_runs} run(s), {result.months[0]} to {result.months[-1]}"]
    crit = ("oil", "rubber", "grain", "manganese", "chrome", "nickel", "tungsten")
    parts = []
    for good in crit:
        col = table.get(f"stockout_{good}")
        if col is None:
            continue
        hit = col.dropna()
        if hit.empty:
            parts.append(f"{good}: not before {result.months[-1]}")
        else:
            share = len(hit) / len(col)
            median = sorted(hit)[len(hit) // 2]
            parts.append(f"{good}: {median}" + (f" (in {share:.1%} of runs)" if len(col) > 1 else ""))
    lines.append("first month German stocks run out -- " + "; ".join(parts))
    susp = result.trajectory["suspended"]
    months = [result.months[t] for t in range(len(result.months)) if susp[t].mean() >= 0.5]
    lines.append(
        "Soviet suspensions (months in most runs): " + (", ".join(months) if months else "none")
        + f"; mean {table['suspension_months'].mean():.1f} months per run"
    )
    arrears = result.trajectory["arrears_rm"]
    peak_t = int(np.median(arrears, axis=1).argmax())
    lines.append(
        f"German arrears: {np.median(arrears[peak_t]) / 1e6:.0f} M RM at their peak ({result.months[peak_t]}); "
        f"clearing balance at the end {np.median(table['clearing_balance_rm']) / 1e6:.0f} M RM (median)"
    )
    return lines

