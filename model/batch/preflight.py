"""Before a batch runs: what it will need (disk, memory) and whether its figure names
exist.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from model.batch.experiment import Experiment
from model.errors import UserError
from model.files.nodes import Context, ListOf, Ref
from model.store.folder import TrajectoryLayout


@dataclass(frozen=True)
class Estimate:
    """What a batch will need: peak disk (parts plus consolidated files) and memory."""

    disk_bytes: int
    memory_bytes: int

    def text(self) -> str:
        return f"~{size_text(self.disk_bytes)} of disk at its peak, ~{size_text(self.memory_bytes)} of memory"


def size_text(n_bytes: float) -> str:
    """``"1.2 GB"``, ``"340 MB"``, ``"12 kB"``: bytes in the unit that reads best."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"


LARGE_BATCH_BYTES = 10**9  # from this much disk on, a batch says what it needs before it starts


def estimate_batch(
    layout: TrajectoryLayout,
    n_columns: int,
    n_scenarios: int,
    chunk: int,
    workers: int,
    n_paths: int,
) -> Estimate:
    """Disk: the parts, then the consolidated files beside them (raw float32 trajectories,
    deflated ~3.4x at level 1 and up; 8 bytes per outcome cell). Memory: the design and,
    per worker, two chunks in flight with the model's own arrays (~4x what it records)."""
    sizes = layout.sizes()
    cells = sum(math.prod(sizes[d] for d in dims) for dims in layout.variables.values())
    per_run = 4 * cells / (3.4 if layout.compression else 1.0) + 8 * n_columns
    runs = n_scenarios * layout.runs
    disk = 2 * per_run * runs
    memory = 8 * layout.runs * (n_paths + 1) + max(1, workers) * 2 * chunk * (
        4 * cells * 4 + 8 * n_columns
    )
    return Estimate(int(disk), int(memory))


def check_room(estimate: Estimate, force: bool, where: Path | None = None) -> None:
    """Refuse (unless ``force``) a batch the disk cannot hold; say what a large one needs."""
    target = Path(where or Path("results"))
    probe = next((p for p in (target, *target.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    if estimate.disk_bytes >= LARGE_BATCH_BYTES:
        print(f"this batch needs {estimate.text()}; {size_text(free)} free on {probe}", flush=True)
    if free < estimate.disk_bytes and not force:
        raise UserError(
            f"not enough disk for the batch on {probe} ({size_text(free)} free, "
            f"~{size_text(estimate.disk_bytes)} needed): free some space, choose another --out, "
            f"fewer replications or trajectory variables, or pass --force"
        )


def check_figure_names(experiment: Experiment, known: Sequence[str] | None) -> None:
    """The experiment's figure names, checked against the figures there are (before any run)."""
    if known is None or not experiment.figures:
        return
    ctx = Context(experiment.path, names={"figures": tuple(known)})
    ListOf(Ref("figures", "figure")).check(list(experiment.figures), "figures", ctx)
