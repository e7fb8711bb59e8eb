"""A result folder's ``manifest.json``: its name, reading it, and the checksums it records.

Every complete folder (``pactsim run``, ``batch``, ``sensitivity``) records the size and
SHA-256 of each of its files in the manifest (``outputs``); :func:`output_problems` lists
every recorded file that is missing or differs, and :func:`refuse_damaged` is what the
commands that read a folder call first, so a damaged result is never analysed.
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any

from model.errors import UserError
from model.store.checksums import file_digest

MANIFEST = "manifest.json"


def manifest_path(folder: Path) -> Path:
    return Path(folder) / MANIFEST


def manifest_text(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, default=str) + "\n"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a result folder; a missing or unreadable one is a :class:`UserError`."""
    try:
        manifest = json.loads(manifest_path(folder).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{folder}: no {MANIFEST}; not a result folder") from None
    except (OSError, ValueError) as err:
        raise UserError(f"{folder}/{MANIFEST} cannot be read ({type(err).__name__})") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{folder}/{MANIFEST} is not a JSON object")
    return manifest


def output_digests(
    folder: Path,
    skip: Container[str] = (MANIFEST,),
    skip_under: str | None = None,
    known: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file in the folder (relative path -> digest), but ``skip``
    and anything under ``skip_under``: what the manifest's ``outputs`` records.

    ``known``: digests the caller computed (or verified) itself since it wrote those files,
    taken as they are for a file of the recorded size instead of reading it again (a batch's
    consolidated outputs, hashed when consolidation wrote them)."""
    known = known or {}
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in skip and not (skip_under and rel.startswith(skip_under)):
            digest = known.get(rel)
            if digest is not None and digest.get("bytes") == p.stat().st_size:
                out[rel] = dict(digest)
            else:
                out[rel] = file_digest(p)
    return out


def output_problems(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Every recorded output that is missing or differs from its recorded checksum."""
    problems = []
    for name, digest in manifest.get("outputs", {}).items():
        file = Path(folder) / name
        if not file.is_file():
            problems.append(f"{name} is missing")
        elif file_digest(file) != digest:
            problems.append(f"{name} is damaged (its size or SHA-256 differs from the manifest's)")
    return problems


def is_complete(folder: Path) -> bool:
    """A folder with a manifest and no batch parts (a finished result, possibly damaged)."""
    return manifest_path(folder).is_file() and not (Path(folder) / "parts").exists()


def refuse_damaged(folder: Path) -> None:
    """Raise UserError if a complete result folder's files differ from its checksums."""
    folder = Path(folder)
    if not is_complete(folder):
        return  # not a complete folder: the reader says what is missing
    problems = output_problems(folder, read_manifest(folder))
    if problems:
        raise UserError(
            f"{folder} is damaged: {'; '.join(problems)}; rerun the batch (or `pactsim verify {folder}`)"
        )
