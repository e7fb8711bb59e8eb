"""Bounded before allocated: every size that follows from a file is checked before anything is
read whole, drawn or allocated.

Three classes, each generated over the commands (and the API) that meet it:

- **input files** that are not regular files of a few MB (a character device, a FIFO, a
  folder, a sparse file larger than the cap): every command that reads a scenario or an
  experiment refuses them in one line naming the file, exit 2, nothing written;
- **sizes from the numbers**: the corpus ``experiment_corpus/`` (``# expect:`` / ``# says:``
  as in ``scenario_corpus/``) holds experiments beyond the run limits or any machine's memory
  for every sampler; ``pactsim check``, ``pactsim batch`` and (Sobol and Morris)
  ``pactsim sensitivity`` refuse each in one line naming the key, and the refusal allocates
  nothing (tracemalloc's peak, which numpy reports to, stays under 64 MB);
- **sizes against the machine**: with the free memory and disk set to a small workstation's,
  a design, a batch's trajectories, ``pactsim run --runs`` and ``model.evaluate`` on a
  10**7-point design are refused the same way.
"""

from __future__ import annotations

import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import model
from model.batch import experiment as experiment_module
from model.batch.experiment import build_design, runs_per_scenario
from model.cli import main as pactsim
from model.files import limits
from model.world.randomness import master_key, permuted

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
CORPUS = Path(__file__).resolve().parent / "experiment_corpus"
CASES = sorted(CORPUS.glob("*.toml"))
PEAK_LIMIT = 64 * 2**20  # what a refusal may allocate (the imports and one preview run)
GB = 10**9


def one_error_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, out + err
    assert "Traceback" not in err
    assert lines[0].startswith(f"pactsim {command}: error: "), lines[0]
    return lines[0]


def peak_of(call) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------------------
# input files: regular files of at most a few MB
# ---------------------------------------------------------------------------------------
def _device(tmp_path: Path) -> Path:
    return Path("/dev/zero")


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.toml"
    path.mkdir()
    return path


def _oversized(tmp_path: Path) -> Path:
    path = tmp_path / "huge.toml"
    with open(path, "wb") as f:  # sparse: no disk used
        f.truncate(limits.MAX_INPUT_BYTES + 1)
    return path


KINDS = {
    "device": (_device, "is a character device"),
    "fifo": (_fifo, "is a FIFO"),
    "folder": (_folder, "is a folder"),
    "oversized": (
        _oversized,
        "is 4,000,001 bytes, more than the 4,000,000 bytes an input file may have",
    ),
}
COMMANDS = {
    "check": lambda f, out: ["check", str(f)],
    "run": lambda f, out: ["run", str(f), "--out", str(out)],
    "batch": lambda f, out: ["batch", str(f), "--out", str(out)],
    "sensitivity": lambda f, out: ["sensitivity", str(f), "--out", str(out)],
    "diff": lambda f, out: ["diff", str(BASELINE), str(f)],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_input_that_is_not_a_small_regular_file_is_refused_unread(
    tmp_path, capsys, kind, command
):
    make, says = KINDS[kind]
    path = make(tmp_path)
    out = tmp_path / "out"
    assert pactsim(COMMANDS[command](path, out)) == 2
    line = one_error_line(capsys, command)
    assert f"{path}: {says}" in line
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "small.toml"
    path.write_text('name = "x"\n')
    tiny = tmp_path / "tiny"
    tiny.write_text("x")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(tiny))  # 1 byte when asked
    with pytest.raises(model.ScenarioError, match="grew while being read"):
        limits.read_input(path, limit=4)


# ---------------------------------------------------------------------------------------
# sizes from the numbers: the experiment corpus, through check, batch and sensitivity
# ---------------------------------------------------------------------------------------
def expectation(path: Path) -> tuple[str, str]:
    head = path.read_text(encoding="utf-8").splitlines()[:2]
    key = re.fullmatch(r"# expect: ?(.*)", head[0])
    says = re.fullmatch(r"# says: (.*)", head[1])
    assert key and says, f"{path.name} must start with '# expect:' and '# says:'"
    return key.group(1).strip(), says.group(1)


def test_corpus_covers_every_sampler():
    samplers = {re.search(r'sampler = "(\w+)"', p.read_text()) for p in CASES}
    named = {m.group(1) if m else "mc" for m in samplers}
    assert named == set(experiment_module.SAMPLERS)


def _commands(path: Path) -> list[str]:
    sampler = re.search(r'sampler = "(\w+)"', path.read_text())
    sensitivity = sampler is not None and sampler.group(1) in ("sobol", "morris")
    return ["check", "batch", *(["sensitivity"] if sensitivity else [])]


@pytest.mark.parametrize(
    ("path", "command"),
    [(p, c) for p in CASES for c in _commands(p)],
    ids=lambda v: v.stem if isinstance(v, Path) else v,
)
def test_an_experiment_too_large_is_refused_from_its_numbers(tmp_path, capsys, path, command):
    key, says = expectation(path)
    out = tmp_path / "out"
    args = [command, str(path)] + ([] if command == "check" else ["--out", str(out)])
    if command == "batch":  # the command that would allocate most: nothing before refusing
        code, peak = peak_of(lambda: pactsim(args))
        assert peak < PEAK_LIMIT, f"{peak / 2**20:.0f} MB allocated before the refusal"
    else:
        code = pactsim(args)
    assert code == 2
    line = one_error_line(capsys, command)
    assert f"{path.name}: {key}: " in line and says in line, line
    assert not out.exists() and not list(tmp_path.glob(".out*"))


# ---------------------------------------------------------------------------------------
# sizes against the machine (its free memory and disk set to a small workstation's)
# ---------------------------------------------------------------------------------------
@pytest.fixture
def small_machine(monkeypatch):
    """8 GB of memory available, 50 GB of disk free, wherever the code asks."""
    for module in (limits, experiment_module):
        monkeypatch.setattr(module, "available_memory", lambda: 8 * GB, raising=False)
    import model.api  # noqa: F401  (imports limits lazily)
    from model.batch import preflight
    from model.cli import run as scenario_run

    for module in (preflight, scenario_run):
        monkeypatch.setattr(module, "available_memory", lambda: 8 * GB)
    monkeypatch.setattr(preflight, "free_disk", lambda where: (50 * GB, Path(where)))
    return 8 * GB


def write_experiment(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(f'scenarios = ["{BASELINE}"]\n{body}')
    return path


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # a design too large for 8 GB, within the run limits
        ('sampler = "sobol"\nreplications = 65536\n', "a sobol design of"),
        ('sampler = "morris"\nreplications = 100000\n', "a morris design of"),
        # drawn chunk by chunk, so only their trajectories on disk are too large
        ('sampler = "lhs"\nreplications = 10000000\n', "of disk at the peak; 50.0 GB is free"),
    ],
)
def test_a_batch_beyond_the_machine_is_refused_before_it_draws(
    tmp_path, capsys, small_machine, body, says
):
    path = write_experiment(tmp_path, body)
    out = tmp_path / "out"
    code, peak = peak_of(lambda: pactsim(["batch", str(path), "--out", str(out)]))
    assert code == 2
    line = one_error_line(capsys, "batch")
    assert "big.toml: replications: " in line and says in line, line
    assert peak < PEAK_LIMIT and not out.exists()


def test_pactsim_run_refuses_runs_the_memory_cannot_hold(tmp_path, capsys, small_machine):
    out = tmp_path / "out"
    code, peak = peak_of(
        lambda: pactsim(["run", str(BASELINE), "--runs", "1000000", "--out", str(out)])
    )
    assert code == 2 and peak < PEAK_LIMIT and not out.exists()
    line = one_error_line(capsys, "run")
    assert "--runs 1,000,000: " in line and "8.0 GB is available" in line


def test_evaluate_refuses_a_design_of_ten_million_points_from_its_length(small_machine):
    base = model.load_scenario("baseline")
    path = next(p for p, _ in base.uncertain())
    design = pd.DataFrame({path: np.full(10**7, 0.5)})
    with pytest.raises(model.ScenarioError) as err:
        peak_of(lambda: model.evaluate(base, design, values="uniform"))
    assert err.value.key_path == "design" and "10,000,000 runs" in str(err.value)
    assert "8.0 GB is available" in str(err.value) and "\n" not in str(err.value)
    beyond = pd.DataFrame({path: np.full(10**7 + 1, 0.5)})
    with pytest.raises(model.ScenarioError, match="the limit is 10,000,000"):
        model.evaluate(base, beyond, values="uniform")


# ---------------------------------------------------------------------------------------
# a large allowed design is drawn and written chunk by chunk
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000, 4097])
def test_the_keyed_permutation_is_a_bijection_computed_slice_by_slice(n):
    key = master_key(11)
    whole = permuted(key, "p", n, np.arange(n))
    assert sorted(whole.tolist()) == list(range(n))
    assert np.array_equal(permuted(key, "p", n, np.arange(n // 3, n)), whole[n // 3 :])
    if n > 3:
        assert not np.array_equal(whole, permuted(key, "q", n, np.arange(n)))


def test_lhs_is_drawn_by_chunk_and_written_in_row_groups(tmp_path):
    from model.store.results import write_blocks

    paths = ("a.x", "b.y")
    n = 10_000
    design = build_design("lhs", n, 5, paths, {})
    assert design.points is None and design.keyed and design.stored
    assert design.n_runs == runs_per_scenario("lhs", n, 2, {})
    whole = design.uniforms(paths, 0, n)
    for u in whole.values():  # one point in each of the n strata
        assert np.array_equal(np.sort(np.floor(u * n).astype(int)), np.arange(n))
    pieces = [design.uniforms(paths, a, min(a + 777, n)) for a in range(0, n, 777)]
    for p in paths:
        assert np.array_equal(np.concatenate([q[p] for q in pieces]), whole[p])
    target = tmp_path / "design.parquet"
    write_blocks(target, design.blocks(rows=4096))
    assert pq.ParquetFile(target).metadata.num_row_groups == 3
    table = pd.read_parquet(target)
    assert table["replication"].tolist() == list(range(n))
    assert np.array_equal(table["a.x"].to_numpy(), whole["a.x"])


def test_a_batch_the_disk_cannot_hold_is_refused_before_the_engine_is_imported(tmp_path):
    """10 million runs of one scenario: the disk floor from the files' numbers alone (months x
    goods x the goods variables kept) refuses it before the engine, Mesa or the store load."""
    import shutil
    import subprocess
    import sys

    if shutil.disk_usage(tmp_path).free > 340 * 10**9:  # the floor is ~344 GB
        pytest.skip("this machine's disk could hold the batch's floor")
    exp = tmp_path / "huge.toml"
    exp.write_text(
        f'scenarios = ["{(ROOT / "scenarios" / "baseline.toml").as_posix()}"]\n'
        'replications = 10000000\nsampler = "lhs"\n'
    )
    probe = (
        "import sys\n"
        "from model.cli import main\n"
        f"code = main(['batch', {str(exp)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
        "heavy = [m for m in ('mesa', 'model.engine.simulation', 'model.store.results') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'CODE', code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY [] CODE 2" in done.stdout, done.stdout + done.stderr
    assert "replications: not enough disk" in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
