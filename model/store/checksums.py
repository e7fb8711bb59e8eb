"""A batch folder's part files, their checksums and identities: what a done-marker vouches for.

A chunk's done-marker (:mod:`model.store.folder`) records the chunk's identity
(:func:`chunk_identity`: tag, scenario, runs) and the size and SHA-256 of each of its
parts; :func:`chunk_problem` says what is wrong with a done chunk's files -- a missing or
damaged part, a marker that names another chunk or whose rows and HDF5 chunk lengths do
not fit the plan, outcome rows of other replications -- or None when all agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc  # noqa: F401  (pa.ipc)

if TYPE_CHECKING:
    from model.store.folder import ChunkRef, TrajectoryLayout

# a chunk's part files (parts/<tag>.<suffix>): its outcome rows as an Arrow IPC file (read
# back at no cost by consolidation, where Parquet parts of ~460 columns took ~20 ms each to
# decode), and its trajectories as the HDF5 chunks of trajectories.nc end to end
OUTCOME_PART, TRAJECTORY_PART = "outcomes.arrow", "trajectories.bin"


def read_outcome_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A chunk's outcome rows (``columns`` only, if given) from its part file."""
    with pa.OSFile(str(path)) as f:
        table = pa.ipc.open_file(f).read_all()
    return table if columns is None else table.select(columns)


def outcome_part_schema(path: Path) -> pa.Schema:
    with pa.OSFile(str(path)) as f:
        return pa.ipc.open_file(f).schema


def pack_parts(
    table: pa.Table, blocks: Mapping[str, Sequence[bytes]]
) -> tuple[bytes, bytes, dict[str, list[int]]]:
    """A chunk's part files as bytes: its outcome rows as an Arrow IPC file, and its HDF5
    chunks one after another (variable by variable, in run order) with their lengths for
    the marker."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    lengths = {name: [len(b) for b in bl] for name, bl in blocks.items()}
    return sink.getvalue().to_pybytes(), b"".join(b for bl in blocks.values() for b in bl), lengths


def file_digest(path: Path) -> dict[str, Any]:
    """A file's size and SHA-256, read in 1 MB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


def bytes_digest(data: bytes) -> dict[str, Any]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def chunk_identity(ref: ChunkRef, scenario: str) -> dict[str, Any]:
    """What a done-marker must say about its chunk."""
    return {
        "tag": ref.tag,
        "scenario_index": ref.scenario_index,
        "chunk_index": ref.chunk_index,
        "scenario": scenario,
        "start": ref.start,
        "stop": ref.stop,
    }


def _marker_consistency(
    marker: Mapping[str, Any], ref: ChunkRef, layout: TrajectoryLayout
) -> str | None:
    """Rows and HDF5 chunk lengths in a marker agree with the plan and the part's size."""
    if marker.get("rows") != ref.n_runs:
        return f"its done-marker says {marker.get('rows')!r} rows, expected {ref.n_runs}"
    lengths = marker.get("block_bytes")
    if not isinstance(lengths, dict) or set(lengths) != set(layout.variables):
        return "its done-marker's trajectory variables differ from the plan's"
    total = 0
    for name, blocks in lengths.items():
        if (
            not isinstance(blocks, list)
            or len(blocks) != layout.n_blocks(ref)
            or not all(isinstance(n, int) and n > 0 for n in blocks)
        ):
            return f"its done-marker's lengths of {name!r} do not fit the plan"
        total += sum(blocks)
    if total != marker["parts"][TRAJECTORY_PART].get("bytes"):
        return "its done-marker's trajectory lengths do not add up to trajectories.bin"
    return None


def chunk_problem(
    parts: Path, ref: ChunkRef, scenario: str, layout: TrajectoryLayout
) -> str | None:
    """What is wrong with a done chunk's files (None: marker, parts and identity agree)."""
    try:
        marker = json.loads((parts / f"{ref.tag}.done").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"its done-marker cannot be read ({type(err).__name__})"
    if not isinstance(marker, dict):
        return "its done-marker is not a JSON object"
    expected = chunk_identity(ref, scenario)
    for key, value in expected.items():
        if marker.get(key) != value:
            return f"its done-marker says {key} = {marker.get(key)!r}, expected {value!r}"
    digests = marker.get("parts")
    if not isinstance(digests, dict) or set(digests) != {OUTCOME_PART, TRAJECTORY_PART}:
        return "its done-marker records no checksums (written by an older version)"
    for suffix, digest in digests.items():
        path = parts / f"{ref.tag}.{suffix}"
        if not path.is_file():
            return f"{path.name} is missing"
        if file_digest(path) != digest:
            return f"{path.name} is damaged (its size or SHA-256 differs from the done-marker's)"
    return _marker_consistency(marker, ref, layout) or _rows_problem(parts, ref, scenario)


def _rows_problem(parts: Path, ref: ChunkRef, scenario: str) -> str | None:
    """The outcome part holds this chunk's runs of this scenario, in order."""
    try:
        table = read_outcome_part(
            parts / f"{ref.tag}.{OUTCOME_PART}", columns=["scenario", "replication"]
        )
    except (OSError, ValueError, KeyError, pa.ArrowException) as err:
        return f"{OUTCOME_PART} cannot be read ({type(err).__name__})"
    reps = table.column("replication").to_numpy()
    if not np.array_equal(reps, np.arange(ref.start, ref.stop)):
        return f"{OUTCOME_PART} does not hold replications {ref.start}..{ref.stop - 1}"
    if set(table.column("scenario").to_pylist()) - {scenario}:
        return f"{OUTCOME_PART} holds rows of another scenario than {scenario!r}"
    return None
