"""Before a batch runs: what it will need (disk, memory) and whether its figure names
exist.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model.batch.experiment import DEFAULT_TRAJECTORY_GOODS, Experiment
from model.errors import UserError
from model.files.limits import available_memory, free_disk, size_text
from model.world.nodes import Context, ListOf, Ref

if TYPE_CHECKING:
    from model.files.scenario import Scenario
    from model.store.folder import TrajectoryLayout


@dataclass(frozen=True)
class Estimate:
    """What a batch will need: peak disk (parts plus consolidated files) and memory, and
    where that follows from (the file, its key and the sizes, for the error that refuses it)."""

    disk_bytes: int
    memory_bytes: int
    file: str = ""
    basis: str = (
        "the batch"  # "10,000,000 runs per scenario x 2 scenario(s), 6 trajectory variables"
    )

    def text(self) -> str:
        return f"~{size_text(self.disk_bytes)} of disk at its peak, ~{size_text(self.memory_bytes)} of memory"


LARGE_BATCH_BYTES = 10**9  # from this much disk on, a batch says what it needs before it starts


def estimate_batch(
    layout: TrajectoryLayout,
    n_columns: int,
    n_scenarios: int,
    chunk: int,
    workers: int,
    design_bytes: int = 0,
    experiment: Experiment | None = None,
) -> Estimate:
    """Disk: the parts, then the consolidated files beside them (raw float32 trajectories,
    deflated ~3.4x at level 1 and up; 8 bytes per outcome cell). Memory: the design held
    whole (sobol and morris; mc and lhs are drawn chunk by chunk) and, per worker, two chunks
    in flight with the model's own arrays (~4x what it records)."""
    sizes = layout.sizes()
    cells = sum(math.prod(sizes[d] for d in dims) for dims in layout.variables.values())
    per_run = 4 * cells / (3.4 if layout.compression else 1.0) + 8 * n_columns
    runs = n_scenarios * layout.runs
    disk = 2 * per_run * runs
    memory = design_bytes + max(1, workers) * 2 * chunk * (4 * cells * 4 + 8 * n_columns)
    basis = (
        f"{layout.runs:,} runs per scenario x {n_scenarios} scenario(s), "
        f"{len(layout.variables)} trajectory variable(s) (~{size_text(per_run)} per run)"
    )
    return Estimate(int(disk), int(memory), str(experiment.path) if experiment else "", basis)


def disk_floor(experiment: Experiment, scenarios: Sequence[Scenario], runs: int) -> Estimate:
    """A lower bound of the batch's disk from the files' numbers alone, before the engine is
    imported: each scenario's months x its goods x the goods variables kept (the default set
    when the experiment names none; run series and outcome columns are left out, so the
    bound is low), 4 bytes a cell, deflated as :func:`estimate_batch` assumes, parts plus
    consolidated files. :func:`estimate_batch` refines it once the layout is known."""
    spec = experiment.trajectories
    kept = spec.variables if spec.variables is not None else DEFAULT_TRAJECTORY_GOODS
    n_goods_vars = sum(1 for v in kept if v in DEFAULT_TRAJECTORY_GOODS)
    cells = sum(s.month_good_cells() for s in scenarios) * n_goods_vars
    per_run = 4 * cells / (3.4 if spec.compression else 1.0)
    basis = (
        f"{runs:,} runs per scenario x {len(scenarios)} scenario(s), at least "
        f"{n_goods_vars} trajectory variable(s) by good (~{size_text(per_run / max(len(scenarios), 1))} per run)"
    )
    return Estimate(int(2 * per_run * runs), 0, str(experiment.path), basis)


def check_room(
    estimate: Estimate, force: bool, where: Path | None = None, quiet: bool = False
) -> None:
    """Refuse (unless ``force``) a batch the disk or the memory cannot hold, naming the
    experiment's key and what it implies; say what a large one needs."""
    free, probe = free_disk(Path(where or Path("results")))
    where_key = f"{estimate.file}: replications: " if estimate.file else ""
    if free < estimate.disk_bytes and not force:
        raise UserError(
            f"{where_key}not enough disk: {estimate.basis} need ~{size_text(estimate.disk_bytes)} of disk at the "
            f"peak; {size_text(free)} is free on {probe}: fewer replications or trajectory "
            f"variables, another --out, or --force"
        )
    memory = available_memory()
    if memory < estimate.memory_bytes and not force:
        raise UserError(
            f"{where_key}not enough memory: {estimate.basis} need ~{size_text(estimate.memory_bytes)} of memory; "
            f"{size_text(memory)} is available: fewer --workers, a smaller --chunk or fewer "
            f"replications, or --force"
        )
    if estimate.disk_bytes >= LARGE_BATCH_BYTES and not quiet:
        print(f"this batch needs {estimate.text()}; {size_text(free)} free on {probe}", flush=True)


def check_figure_names(experiment: Experiment, known: Sequence[str] | None) -> None:
    """The experiment's figure names, checked against the figures there are (before any run)."""
    if known is None or not experiment.figures:
        return
    ctx = Context(experiment.path, names={"figures": tuple(known)})
    ListOf(Ref("figures", "figure")).check(list(experiment.figures), "figures", ctx)
