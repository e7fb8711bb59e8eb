"""``pactsim verify RESULT_DIR``: check a result folder against the checksums it records.

A complete folder (``pactsim batch``, ``run`` or ``sensitivity``) records the size and
SHA-256 of each of its files in ``manifest.json`` (``outputs``, :mod:`model.store.manifest`);
:func:`folder_problems` recomputes them and lists every file that is missing or differs. A partial batch folder
is checked as ``--resume`` would check it: its frozen inputs against ``inputs`` and every
done chunk against its done-marker (:meth:`model.store.folder.BatchFolder.verify_chunks`),
without changing anything. ``pactsim compare`` and ``report`` call
:func:`model.store.manifest.refuse_damaged` before they read a folder, so a damaged result is never analysed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from model.errors import UserError
from model.store.folder import partial_path
from model.store.manifest import output_problems, read_manifest


def partial_problems(path: Path) -> tuple[str, list[str]]:
    """A partial batch folder, checked as ``--resume`` checks it (nothing is changed)."""
    from model.batch.run import reopen_batch

    batch = reopen_batch(path)  # refuses changed inputs or an unreadable manifest
    if isinstance(batch, Path):
        return folder_problems(batch)
    names = [s.name for s in batch.scenarios]
    bad = batch.folder.verify_chunks(batch.refs, names, batch.layout, drop=False)
    problems = [f"chunk {tag}: {why} (rerun by --resume)" for _, tag, why in bad]
    good = len(batch.folder.done_tags()) - len(bad)
    status = batch.manifest.get("status")
    problems += (
        output_problems(batch.folder.path, batch.manifest) if status == "consolidated" else []
    )
    summary = (
        f"partial batch ({status}): {good} of {len(batch.refs)} chunks done and sound; "
        f"finish it with `pactsim batch --resume {path}`"
    )
    return summary, problems


def folder_problems(path: Path) -> tuple[str, list[str]]:
    """(a one-line summary, the problems found) for a result folder."""
    path = Path(path)
    if not path.is_dir() and partial_path(path).is_dir():
        path = partial_path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such result folder")
    if path.name.endswith(".partial") or (path / "parts").is_dir():
        return partial_problems(path)
    manifest = read_manifest(path)
    command = manifest.get("command")
    if "outputs" not in manifest and not (isinstance(command, list) and command[:1] == ["pactsim"]):
        raise UserError(f"{path}: its manifest.json names no pactsim command; not a result folder")
    if "outputs" not in manifest:
        return f"{path}: no checksums recorded (a folder written before pactsim kept them)", []
    problems = output_problems(path, manifest)
    if manifest.get("status") != "complete":
        problems.append(f"manifest status is {manifest.get('status')!r}, not 'complete'")
    return f"{path}: {len(manifest['outputs'])} files checked", problems


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("result", type=Path, metavar="RESULT_DIR", help="a result folder")


def main(args: argparse.Namespace) -> int:
    summary, problems = folder_problems(args.result)
    for problem in problems:
        print(f"damaged: {problem}")
    print(summary + ("" if problems else "; ok"))
    return 1 if problems else 0
