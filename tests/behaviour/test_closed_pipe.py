"""A closed stdout (``pactsim compare RESULT | head``) ends a command quietly (issue 24);
a closed stderr does not end a batch.

The reader here closes the pipe before the command writes its first byte: the
deterministic form of ``| head``, whose reader may leave at any line. Every command then
exits with 141 (128 + SIGPIPE, as Unix tools do), prints nothing on stderr, and leaves no
result folder behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.cli.terminal import CLOSED_PIPE_STATUS
from tests.unit.test_compare import MONTHS, freeze_catalogue, synthetic_outcomes

ROOT = Path(__file__).resolve().parents[2]


def closed_pipe(*args: str, buffered: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``pactsim ARGS`` with a stdout whose reader has already gone."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "model.cli", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write)


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("closed_pipe") / "batch"
    path.mkdir()
    freeze_catalogue(path)
    synthetic_outcomes(n=60).to_parquet(path / "outcomes.parquet", index=False)
    manifest = {"status": "complete", "seed": 3, "window": {"start": MONTHS[0], "end": MONTHS[-1]}}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize(
    ("args", "buffered"),
    [
        (("compare", "{result}"), False),  # rich's markdown tables, each line written at once
        (("compare", "{result}"), True),  # ... or at the last flush
        (("compare", "{result}", "--full"), False),  # rich tables
        (("sources", "63"), False),
        (("--help",), False),  # argparse would swallow the error and exit 0
        (("--help",), True),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else ("buffered" if v else "unbuffered"),
)
def test_a_closed_stdout_ends_the_command_quietly(result, args, buffered):
    done = closed_pipe(*(a.format(result=result) for a in args), buffered=buffered)
    assert (done.returncode, done.stderr) == (CLOSED_PIPE_STATUS, "")


def test_validate_with_a_closed_stdout(tmp_path):
    done = closed_pipe("validate", "--runs", "1")
    assert (done.returncode, done.stderr) == (CLOSED_PIPE_STATUS, "")


def test_no_result_folder_is_left_when_stdout_closes(tmp_path):
    # run: the deterministic-run notice comes before the folder is created
    run = closed_pipe("run", "scenarios/baseline.toml", "--out", str(tmp_path / "run"))
    # batch: the start line names the partial folder; it is removed, not left for --resume
    batch = closed_pipe(
        "batch", "experiments/smoke.toml", "--out", str(tmp_path / "batch"),
        "--workers", "1", "--no-figures",
    )  # fmt: skip
    assert [(d.returncode, d.stderr) for d in (run, batch)] == [(CLOSED_PIPE_STATUS, "")] * 2
    assert list(tmp_path.iterdir()) == []


def test_an_error_still_says_so_with_a_closed_stdout(tmp_path):
    done = closed_pipe("compare", str(tmp_path / "missing"))
    assert done.returncode == 2 and "no such result folder" in done.stderr


def test_a_broken_pipe_that_is_not_stdout_is_an_error(monkeypatch, capsys):
    """A worker's or a connection's broken pipe is still one line and exit 2."""
    import model.cli

    def broken(argv):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(model.cli, "_main", broken)
    assert model.cli.main(["batch"]) == 2
    assert "pactsim batch: error: Broken pipe" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_batch_whose_stderr_reader_has_gone_still_finishes(tmp_path, workers):
    """Issue 24: a batch's progress goes to stderr; with its reader gone (``2>&1 >log | head``)
    the first progress line ended the batch with exit 1 and left its partial folder. Now the
    progress goes nowhere and the batch finishes, its results published, its summary on stdout."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "model.cli", "batch", "experiments/smoke.toml",
             "--out", str(tmp_path / "batch"), "--workers", workers, "--no-figures"],
            stdout=subprocess.PIPE, stderr=write, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 0, done.stdout
    assert f"results: {tmp_path / 'batch'}" in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["batch"]  # published, no partial left
    assert json.loads((tmp_path / "batch" / "manifest.json").read_text())["status"] == "complete"


def test_spared_stderr_swallows_a_gone_reader_and_restores_the_stream(monkeypatch):
    from model.cli.terminal import SparedStderr, spared_stderr

    class GoneReader:
        writes = 0

        def write(self, text):
            self.writes += 1
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def isatty(self):
            return False

    gone = GoneReader()
    monkeypatch.setattr(sys, "stderr", gone)
    with spared_stderr():
        assert isinstance(sys.stderr, SparedStderr) and not sys.stderr.isatty()
        assert sys.stderr.write("10/100 runs\n") == len("10/100 runs\n")
        sys.stderr.flush()
        sys.stderr.write("20/100 runs\n")  # not tried again once the reader has gone
    assert sys.stderr is gone and gone.writes == 1
