"""Consolidation of a batch: its chunks' part files into the result files (docs/architecture.md §8).

The parts stream, in plan order, into ``outcomes.parquet`` and ``parameters.parquet`` and,
beside them in a thread, into ``trajectories.nc`` (:mod:`model.store.folder`): h5py holds
the GIL where pyarrow's Parquet encoding, the fsyncs and the hashing release it, so the two
overlap. Each file's SHA-256 is computed as soon as it is written, for the manifest's
``outputs``; the finished folder's checksums reuse them (:func:`model.batch.run.complete`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.store.checksums import file_digest

if TYPE_CHECKING:
    from model.batch.run import Batch


def consolidate(batch: Batch, errors: Sequence[Mapping[str, Any]]) -> None:
    """The parts into the result files, with their checksums and the chunks' summed CPU
    seconds in the manifest, the seconds of each step (the two threads overlap) in the
    session, and the failed chunks, if any, in errors.json."""
    folder, manifest = batch.folder, batch.manifest
    session = manifest["sessions"][-1] if manifest["sessions"] else {}
    attrs = {
        "title": f"pactsim batch {batch.experiment.name}",
        "experiment": batch.experiment.name,
        "sampler": batch.experiment.sampler,
        "seed": batch.experiment.seed,
        "description": "Germany's stocks and flows per scenario, run (replication), month and good; float32",
    }

    def written(write: Callable[[], Any], names: Sequence[str]) -> tuple[Any, dict, float, float]:
        """``write()``, then the digests of the files it wrote: (its result, digests,
        seconds writing, seconds hashing)."""
        t0 = time.perf_counter()
        out = write()
        t1 = time.perf_counter()
        paths = [folder.path / n for n in names]
        digests = {p.name: file_digest(p) for p in paths if p.is_file()}
        return out, digests, t1 - t0, time.perf_counter() - t1

    def trajectories() -> None:
        if batch.layout.variables:
            folder.consolidate_trajectories(batch.refs, batch.layout, attrs)

    with ThreadPoolExecutor(1, thread_name_prefix="pactsim-consolidate") as pool:
        beside = pool.submit(written, trajectories, ("trajectories.nc",))
        rows, digests, s_outcomes, s_hash = written(
            lambda: folder.consolidate_outcomes(batch.refs),
            ("outcomes.parquet", "parameters.parquet"),
        )
        _, traj_digests, s_traj, s_traj_hash = beside.result()
    done = folder.done_tags()
    infos = [folder.done_info(r) for r in batch.refs if r.tag in done]
    manifest["outcome_rows"] = rows
    manifest["outputs"] = {**digests, **traj_digests}
    session.update(
        seconds_consolidate_outcomes=round(s_outcomes, 3),
        seconds_consolidate_trajectories=round(s_traj, 3),
        seconds_output_checksums=round(s_hash + s_traj_hash, 3),  # in the two threads
    )
    for what in ("model", "outcomes", "packing"):  # in the workers, summed over the chunks
        total = sum(info.get(f"seconds_{what}", 0.0) for info in infos)
        manifest[f"cpu_seconds_{what}"] = round(float(total), 3)
    if errors:
        with contextlib.suppress(Exception):
            pd.DataFrame([{k: v for k, v in e.items()} for e in errors]).to_json(
                folder.path / "errors.json", orient="records", indent=1
            )
