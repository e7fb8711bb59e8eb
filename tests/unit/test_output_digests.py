"""A folder's recorded checksums: digests computed when a file was written are taken as they
are (not read again) only for a file of the recorded size; every other file is read."""

from __future__ import annotations

from model.store.checksums import file_digest
from model.store.manifest import output_digests


def test_known_digests_are_reused_only_for_files_of_their_size(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"a" * 10)
    (tmp_path / "b.bin").write_bytes(b"b" * 20)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.bin").write_bytes(b"c" * 5)
    fresh = output_digests(tmp_path)
    assert fresh == {name: file_digest(tmp_path / name) for name in ("a.bin", "b.bin", "sub/c.bin")}
    # a known digest of the right size stands (the caller vouches for it); one whose size
    # differs from the file's is ignored and the file read; unknown files are read
    known = {
        "a.bin": {"bytes": 10, "sha256": "computed-when-written"},
        "b.bin": {"bytes": 19, "sha256": "stale"},
    }
    out = output_digests(tmp_path, known=known)
    assert out["a.bin"] == {"bytes": 10, "sha256": "computed-when-written"}
    assert out["b.bin"] == fresh["b.bin"]
    assert out["sub/c.bin"] == fresh["sub/c.bin"]
    assert out["a.bin"] is not known["a.bin"]  # a copy: the manifest's entries stay apart
