"""Issue 14: nothing lost, nothing silently wrong, nothing left behind.

Names never become paths outside a result folder; damaged parts are rerun, never published;
edited frozen inputs are refused; a folder always has its manifest; workers die with the
batch; validation bounds what sizes memory and time; OS errors are one line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from model.batch import preflight
from model.batch import run as batch_run
from model.batch import worker as batch_worker
from model.cli import main
from model.engine.cf import joined
from model.errors import UserError
from model.store.folder import BatchFolder
from model.store.results import ResultFolder, read_outcomes

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
N_REPS, CHUNK = 6, 2  # 2 scenarios x 3 chunks


def experiment(folder: Path, extra: str = "", name: str = "hard", reps: int = N_REPS) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n'
        f'scenarios = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "no_pact.toml"}"]\n'
        f"replications = {reps}\nseed = 7\n{extra}"
    )
    return path


def batch(*args: str) -> int:
    return main(["batch", *args, "--quiet", "--no-figures"])


def same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(  # parameters joined back; the folder names differ
        read_outcomes(a).drop(columns="folder"), read_outcomes(b).drop(columns="folder")
    )
    with (
        joined(xr.open_dataset(a / "trajectories.nc", engine="h5netcdf")) as da,
        joined(xr.open_dataset(b / "trajectories.nc", engine="h5netcdf")) as db,
    ):
        for name in da.data_vars:
            assert np.array_equal(
                da[name].values, db[name].values, equal_nan=da[name].dtype.kind == "f"
            ), name


@pytest.fixture(scope="module")
def runs(tmp_path_factory, monkeypatch_module):
    """The reference result, and a partial folder with every chunk done but not consolidated."""
    folder = tmp_path_factory.mktemp("hardening")
    exp = experiment(folder)
    assert (
        batch(str(exp), "--out", str(folder / "ref"), "--workers", "1", "--chunk", str(CHUNK)) == 0
    )

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch_module.setattr(batch_run, "consolidate", stop)
    code = batch(str(exp), "--out", str(folder / "cut"), "--workers", "1", "--chunk", str(CHUNK))
    monkeypatch_module.undo()
    assert code == 130
    partial = folder / ".cut.partial"
    assert len(list((partial / "parts").glob("*.done"))) == 6
    return exp, folder / "ref", partial


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


# 1. names ------------------------------------------------------------------------------
def test_a_scenario_name_that_is_a_path_is_refused_before_anything_is_written(tmp_path, capsys):
    bad = tmp_path / "deep" / "evil.toml"
    bad.parent.mkdir()
    bad.write_text(
        f'extends = "{os.path.relpath(SCENARIOS / "baseline", bad.parent)}"\n'
        'name = "../../../../decoy/victim"\n'
    )
    exp = tmp_path / "exp.toml"
    exp.write_text(f'name = "exp"\nscenarios = ["{bad}"]\nreplications = 2\n')
    assert batch(str(exp), "--out", str(tmp_path / "out"), "--workers", "1") == 2
    err = capsys.readouterr().err
    assert "name: expected an identifier" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "exp.toml"]
    assert main(["check", str(bad)]) == 2


def test_result_folders_and_written_paths_stay_inside(tmp_path):
    with pytest.raises(UserError):
        ResultFolder.create(None, "../../escape", root=tmp_path / "results")
    folder = BatchFolder(tmp_path)
    with pytest.raises(UserError, match="outside the result folder"):
        folder.write(tmp_path / ".." / "victim.toml", "x")
    assert not (tmp_path.parent / "victim.toml").exists()


# 2. damaged parts: rerun, never published ------------------------------------------------
def _damage(partial: Path, kind: str, victim: int, other: int) -> None:
    parts = partial / "parts"
    tags = sorted(p.name[: -len(".done")] for p in parts.glob("*.done"))
    a, b = tags[victim % len(tags)], tags[other % len(tags)]
    if a == b:
        b = tags[(other + 1) % len(tags)]
    part = parts / f"{a}.{'trajectories.bin' if victim % 2 else 'outcomes.arrow'}"
    if kind == "garbage":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    elif kind == "truncate":
        part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 3])
    elif kind == "delete":
        part.unlink()
    elif kind == "copy_parts":  # another chunk's parts under this chunk's names
        for suffix in ("outcomes.arrow", "trajectories.bin"):
            shutil.copy(parts / f"{b}.{suffix}", parts / f"{a}.{suffix}")
    elif kind == "copy_all":  # ... and its marker too
        for suffix in ("outcomes.arrow", "trajectories.bin", "done"):
            shutil.copy(parts / f"{b}.{suffix}", parts / f"{a}.{suffix}")
    elif kind == "edit_lengths":
        marker = json.loads((parts / f"{a}.done").read_text())
        name = next(iter(marker["block_bytes"]))
        marker["block_bytes"][name][0] += 7
        (parts / f"{a}.done").write_text(json.dumps(marker))
    elif kind == "edit_rows":
        marker = json.loads((parts / f"{a}.done").read_text())
        marker["rows"] = 1
        (parts / f"{a}.done").write_text(json.dumps(marker))
    elif kind == "corrupt_marker":
        (parts / f"{a}.done").write_bytes(b"{not json")
    elif kind == "stray_marker":
        (parts / "007-000009.done").write_text("{}")


DAMAGE = st.sampled_from(
    [
        "garbage",
        "truncate",
        "delete",
        "copy_parts",
        "copy_all",
        "edit_lengths",
        "edit_rows",
        "corrupt_marker",
        "stray_marker",
    ]
)


@settings(
    phases=(Phase.generate,),  # no shrinking: each example resumes a batch
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    damages=st.lists(
        st.tuples(DAMAGE, st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=2
    )
)
def test_random_damage_to_parts_is_rerun_never_published(runs, damages, capsys):
    _, ref, cut = runs
    with tempfile.TemporaryDirectory() as tmp:
        partial = Path(tmp) / ".cut.partial"
        shutil.copytree(cut, partial)
        for kind, victim, other in damages:
            _damage(partial, kind, victim, other)
        capsys.readouterr()
        assert batch("--resume", str(partial), "--workers", "1") == 0
        err = capsys.readouterr().err
        assert "rerunning it" in err or "removed" in err or "is missing" in err or err == ""
        same_results(ref, Path(tmp) / "cut")
        assert main(["verify", str(Path(tmp) / "cut")]) == 0


def test_a_damaged_complete_folder_is_refused_by_verify_compare_and_report(runs, tmp_path, capsys):
    _, ref, _ = runs
    copy = tmp_path / "copy"
    shutil.copytree(ref, copy)
    assert main(["verify", str(copy)]) == 0
    data = bytearray((copy / "outcomes.parquet").read_bytes())
    data[100] ^= 0x01
    (copy / "outcomes.parquet").write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["verify", str(copy)]) == 1
    assert "outcomes.parquet is damaged" in capsys.readouterr().out
    for command in ("compare", "report"):
        assert main([command, str(copy)]) == 2
        err = capsys.readouterr().err
        assert "damaged" in err and "outcomes.parquet" in err and "Traceback" not in err


# 3. edited frozen inputs -----------------------------------------------------------------
@pytest.mark.parametrize("target", ["experiment.toml", "scenarios/no_pact.toml"])
def test_resume_refuses_an_edited_frozen_input_naming_it(runs, tmp_path, capsys, target):
    _, _, cut = runs
    partial = tmp_path / ".cut.partial"
    shutil.copytree(cut, partial)
    path = partial / target
    path.write_text(path.read_text().replace("seed = 7", "seed = 8") + "\n# edited\n")
    capsys.readouterr()
    assert batch("--resume", str(partial), "--workers", "1") == 2
    err = capsys.readouterr().err
    assert target in err and "changed since the batch started" in err


# 4. the manifest first -------------------------------------------------------------------
def test_a_start_cut_short_leaves_nothing_and_a_folder_without_manifest_offers_removal(
    tmp_path, monkeypatch, capsys
):
    exp = experiment(tmp_path)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(BatchFolder, "freeze_inputs", killed)
    assert batch(str(exp), "--out", str(tmp_path / "out"), "--workers", "1") == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.toml"]
    # a staging folder left by a SIGKILLed start is removed by the next start
    dead = tmp_path / ".out.partial-new-999999999"
    dead.mkdir()
    monkeypatch.undo()
    bare = tmp_path / ".bare.partial"
    bare.mkdir()
    capsys.readouterr()
    assert batch("--resume", str(bare)) == 2
    assert f"rm -r {bare}" in capsys.readouterr().err
    assert batch(str(exp), "--out", str(tmp_path / "out"), "--workers", "1", "--chunk", "3") == 0
    assert not dead.exists() and (tmp_path / "out" / "manifest.json").exists()


# 5. nothing left behind ------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_workers_die_when_the_main_process_is_killed(tmp_path):
    exp = experiment(tmp_path, reps=400)
    partial = tmp_path / ".out.partial"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "model.cli",
            "batch",
            str(exp),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "2",
            "--chunk",
            "20",
            "--quiet",
            "--no-figures",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and not list((partial / "parts").glob("*.done")):
            time.sleep(0.05)
        workers = _children(process.pid)
        assert workers, "the pool's workers should be running"
        os.kill(process.pid, signal.SIGKILL)  # the main process only
    finally:
        process.wait(timeout=30)
    deadline = time.monotonic() + 5
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [
            w
            for w in alive
            if Path(f"/proc/{w}").exists()
            and "Z"
            not in (Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[:1] or ["Z"])
        ]
    assert not alive, f"workers {alive} outlived the batch"


def test_a_dask_cluster_without_workers_fails_clearly_and_resumes(runs, tmp_path, capsys):
    from dask.distributed import LocalCluster

    exp, ref, _ = runs
    with LocalCluster(n_workers=0, dashboard_address=None, processes=False) as cluster:
        code = batch(
            str(exp),
            "--out",
            str(tmp_path / "d"),
            "--scheduler",
            cluster.scheduler_address,
            "--dask-worker-timeout",
            "1",
        )
    assert code == 2
    assert "no worker for 1 s" in capsys.readouterr().err
    assert batch("--resume", str(tmp_path / "d"), "--workers", "1") == 0
    same_results(ref, tmp_path / "d")


# 6. validation before anything runs ------------------------------------------------------
@pytest.mark.parametrize(
    "extra, key",
    [
        ("", "seed"),  # seed = 2**64 below
        ("outcomes = []\n", "outcomes"),
        ('figures = ["no_such_figure"]\n', "figures[0]"),
        ('sampler = "morris"\n[morris]\nlevels = 1000000000\n', "morris.levels"),
    ],
)
def test_values_that_size_a_batch_are_refused_before_the_first_run(tmp_path, capsys, extra, key):
    exp = experiment(tmp_path, extra=extra)
    if key == "seed":
        exp.write_text(exp.read_text().replace("seed = 7", f"seed = {2**64}"))
    args = ["--out", str(tmp_path / "out"), "--workers", "1"]
    assert main(["batch", str(exp), *args, "--quiet"]) == 2
    assert f"{exp.name}: {key}: " in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.partial").exists()


def test_too_many_runs_are_refused_by_check_and_batch(tmp_path, capsys):
    exp = experiment(tmp_path, reps=10**12)
    assert main(["check", str(exp)]) == 2
    assert "replications: expected a whole number from 1 to 10,000,000" in capsys.readouterr().err
    exp = experiment(tmp_path, extra='sampler = "sobol"\n', reps=2**23)
    assert main(["check", str(exp)]) == 2
    assert "the limits are" in capsys.readouterr().err
    assert main(["check", str(ROOT / "experiments" / "smoke.toml")]) == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_run_whose_stocks_overflow_fails_naming_the_good(tmp_path):
    from model.batch.plan import build_layout, previews
    from model.files.scenario import Scenario, load
    from model.store.folder import ChunkRef

    base = load(SCENARIOS / "baseline.toml")
    data = json.loads(json.dumps(base.data, default=str))
    data["germany"]["initial_stock"]["oil"] = 1e308
    data["germany"]["domestic_output_per_month"]["oil"] = 1e308
    scenario = Scenario("overflow", base.path, data)
    layout = build_layout([base], previews([base]), (), 2, 2, 0)
    task = batch_worker.ChunkTask(ChunkRef(0, 0, 0, 2), scenario, 0, {}, (), None, layout)
    out = batch_worker.run_chunk_safely(task)
    assert isinstance(out, batch_worker.ChunkFailure)
    assert out.error["error"] == "NonFiniteError" and "oil" in out.error["message"]


def test_a_large_batch_says_what_it_needs_and_refuses_a_small_disk(monkeypatch, capsys):
    estimate = preflight.Estimate(disk_bytes=50 * 10**9, memory_bytes=10**9)

    class Usage:
        free = 10**9

    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(UserError, match="not enough disk: .* ~50.0 GB of disk at the peak; 1.0 GB"):
        preflight.check_room(estimate, force=False)
    assert capsys.readouterr().out == ""  # the refusal is the one line
    preflight.check_room(estimate, force=True)  # --force
    assert "50.0 GB of disk" in capsys.readouterr().out  # a large batch says what it needs


# 7. OS errors and Ctrl-C: one line -------------------------------------------------------
def test_os_errors_and_interrupts_are_one_line(tmp_path, monkeypatch, capsys):
    exp = experiment(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert batch(str(exp), "--out", str(blocker / "out"), "--workers", "1") == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Not a directory" in err and str(blocker) in err
    assert main(["run", str(SCENARIOS / "baseline.toml"), "--seed", "-1"]) == 2
    assert "--seed must be" in capsys.readouterr().err
    import model.cli

    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(model.cli, "build_parser", interrupted)
    assert main(["batch", str(exp)]) == 130
    assert capsys.readouterr().err.strip() == "pactsim batch: interrupted"
