"""`pactsim batch`: the same results serially, in a process pool and on a Dask cluster,
whatever the chunking; a batch killed at any moment resumes to the same results; a chunk
that raises is recorded and retried."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from model.batch import worker as batch_worker
from model.cli import main
from model.engine.cf import joined
from model.engine.outcomes import outcomes_table, param_column
from model.engine.runner import simulate
from model.files.scenario import load
from model.store.results import read_outcomes

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def experiment(
    tmp_path: Path, replications: int, sampler: str = "mc", extra: str = "", name: str = "pair"
) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n'
        f'scenarios = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "no_pact.toml"}"]\n'
        f'replications = {replications}\nsampler = "{sampler}"\nseed = 11\n{extra}'
    )
    return path


def batch(*args: str) -> int:
    return main(["batch", *args, "--quiet", "--no-figures"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """The experiment every test here runs (2 scenarios x 12 replications), run serially
    in one chunk per scenario: the results the other executors and resumes must give."""
    folder = tmp_path_factory.mktemp("reference")
    exp = experiment(folder, 12)
    assert batch(str(exp), "--out", str(folder / "serial"), "--workers", "1") == 0
    return exp, folder / "serial"


def assert_same_results(a: Path, b: Path) -> None:
    ta = (  # the parameters joined back; the folder names differ
        read_outcomes(a)
        .drop(columns="folder")
        .sort_values(["scenario", "replication"], ignore_index=True)
    )
    tb = (
        read_outcomes(b)
        .drop(columns="folder")
        .sort_values(["scenario", "replication"], ignore_index=True)
    )
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)
    with (
        joined(xr.open_dataset(a / "trajectories.nc", engine="h5netcdf")) as da,
        joined(xr.open_dataset(b / "trajectories.nc", engine="h5netcdf")) as db,
    ):
        assert set(da.data_vars) == set(db.data_vars)
        for name in da.data_vars:
            assert np.array_equal(
                da[name].values, db[name].values, equal_nan=da[name].dtype.kind == "f"
            ), name
        for coord in ("scenario", "run", "month", "good"):
            assert np.array_equal(da[coord].values, db[coord].values)


def test_serial_pool_and_dask_give_identical_results_whatever_the_chunking(tmp_path, reference):
    from dask.distributed import LocalCluster

    exp, serial = reference
    assert batch(str(exp), "--out", str(tmp_path / "pool"), "--workers", "2", "--chunk", "5") == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert (
            batch(str(exp), "--out", str(tmp_path / "dask"), "--scheduler", address, "--chunk", "4")
            == 0
        )
    assert_same_results(serial, tmp_path / "pool")
    assert_same_results(serial, tmp_path / "dask")
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no partial folder left
    executors = [
        json.loads((f / "manifest.json").read_text())["sessions"][0]["executor"]
        for f in (serial, tmp_path / "pool", tmp_path / "dask")
    ]
    assert (
        executors[0].startswith("serial")
        and executors[1].startswith("process pool")
        and executors[2].startswith("Dask")
    )


def test_replications_are_paired_across_scenarios_and_match_pactsim_run(reference):
    _, folder = reference
    table = read_outcomes(folder)  # outcomes.parquet with parameters.parquet joined back
    assert list(table["scenario"].unique()) == ["baseline", "no_pact"] and len(table) == 24
    assert list(table["replication"]) == [*range(12), *range(12)]  # sorted: scenario, replication
    # common random numbers: replication i has the same parameter sample in both scenarios
    params = [c for c in table.columns if c.startswith("param__")]
    base, other = (
        table[table["scenario"] == s].set_index("replication")[params]
        for s in ("baseline", "no_pact")
    )
    files = {s: load(ROOT / "scenarios" / f"{s}.toml") for s in ("baseline", "no_pact")}
    paths = {param_column(p): p for s in files.values() for p, _ in s.uncertain()}
    same_spec = [
        c for c in params if files["baseline"].get(paths[c]) == files["no_pact"].get(paths[c])
    ]
    shared = [c for c in same_spec if base[c].notna().all() and other[c].notna().all()]
    assert len(shared) > 20
    pd.testing.assert_frame_equal(base[shared], other[shared], check_exact=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete"
        and manifest["runs"] == 24
        and manifest["design"]["sampler"] == "mc"
    )
    assert manifest["window"] == {"start": "1939-06", "end": "1942-12"}
    assert (folder / "experiment.toml").exists() and (
        folder / "scenarios" / "no_pact.toml"
    ).exists()

    def months(values):
        return [None if pd.isna(m) else m for m in values]

    with joined(xr.open_dataset(folder / "trajectories.nc", engine="h5netcdf")) as ds:
        assert (
            ds["stock"].dims == ("scenario", "run", "month", "good")
            and ds["stock"].dtype == np.float32
        )
        assert ds["war_readiness"].dims == ("scenario", "run", "month")
        assert list(ds["unit"].values[:2]) == ["t", "t"] and not np.isnan(ds["stock"].values).any()
        for name in (
            "baseline",
            "no_pact",
        ):  # the same rows and curves as `pactsim run --runs 12 --seed 11`
            result = simulate(load(SCENARIOS / f"{name}.toml"), n_runs=12, seed=11)
            expected = outcomes_table(result)
            rows = table[table["scenario"] == name].reset_index(drop=True)
            for column in expected.columns:
                if expected[column].dtype.kind in "fiub":
                    assert np.array_equal(
                        rows[column].to_numpy(float),
                        expected[column].to_numpy(float),
                        equal_nan=True,
                    ), column
                else:
                    assert months(rows[column]) == months(expected[column]), column
            stock = ds["stock"].sel(scenario=name).values
            assert np.array_equal(
                stock, np.swapaxes(result.trajectory["stock"], 0, 1).astype(np.float32)
            )


def test_a_batch_killed_part_way_resumes_to_the_uninterrupted_results(tmp_path, reference):
    exp, serial = reference
    out, partial = tmp_path / "killed", tmp_path / ".killed.partial"
    command = [
        sys.executable,
        "-m",
        "model.cli",
        "batch",
        str(exp),
        "--out",
        str(out),
        "--workers",
        "2",
        "--chunk",
        "2",
        "--quiet",
        "--no-figures",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list((partial / "parts").glob("*.done"))) < 2:
            time.sleep(0.01)
        done_before = len(list((partial / "parts").glob("*.done")))
        os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, mid-write perhaps
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done_at_kill = len(list((partial / "parts").glob("*.done")))
    assert 2 <= done_before <= done_at_kill < 12, "the batch should have been killed part-way"
    assert not out.exists() and (partial / "lock").exists()  # a stale lock, taken over below

    assert batch("--resume", str(out), "--workers", "2") == 0
    assert out.is_dir() and not partial.exists() and not (out / "parts").exists()
    assert_same_results(serial, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["sessions"]) == 2
    assert manifest["sessions"][1]["chunks"] == 12 - done_at_kill  # done chunks are not rerun
    assert "finished" not in manifest["sessions"][0]  # the killed session
    assert batch("--resume", str(out)) == 0  # complete: nothing to do


def test_half_written_parts_are_never_taken_as_done(tmp_path, monkeypatch, reference):
    exp, serial = reference
    calls = {"n": 0}
    real = batch_worker.run_chunk_safely

    def interrupted_after_three(task):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(batch_worker, "run_chunk_safely", interrupted_after_three)
    assert batch(str(exp), "--out", str(tmp_path / "cut"), "--workers", "1", "--chunk", "4") == 130
    monkeypatch.setattr(batch_worker, "run_chunk_safely", real)
    parts = tmp_path / ".cut.partial" / "parts"
    assert len(list(parts.glob("*.done"))) == 3
    # what a kill can leave: a chunk written but not marked done, a torn part, a temporary file
    (parts / "001-000000.outcomes.arrow").write_bytes(b"ARROW1 torn")
    (parts / "001-000001.trajectories.bin").write_bytes(b"")
    (parts / "000-000000.outcomes.arrow.tmp-99999").write_bytes(b"junk")
    (parts / "000-000001.done").unlink()  # a chunk whose marker never made it to disk
    assert batch("--resume", str(tmp_path / ".cut.partial"), "--workers", "1") == 0
    assert_same_results(serial, tmp_path / "cut")
    assert (
        json.loads((tmp_path / "cut" / "manifest.json").read_text())["sessions"][1]["chunks"] == 4
    )


def test_a_chunk_that_raises_is_recorded_and_the_batch_goes_on(
    tmp_path, monkeypatch, capsys, reference
):
    exp, serial = reference
    real = batch_worker.run_chunk

    def fails_on_no_pact_second_chunk(task):
        if task.ref.scenario_index == 1 and task.ref.chunk_index == 1:
            raise FloatingPointError("a run blew up")
        return real(task)

    monkeypatch.setattr(batch_worker, "run_chunk", fails_on_no_pact_second_chunk)
    assert batch(str(exp), "--out", str(tmp_path / "flaky"), "--workers", "1", "--chunk", "4") == 1
    printed = capsys.readouterr()
    assert "1 chunk(s) failed" in printed.out and "--resume" in printed.out
    assert "FloatingPointError: a run blew up" in printed.err
    partial = tmp_path / ".flaky.partial"
    manifest = json.loads((partial / "manifest.json").read_text())
    assert manifest["status"] == "errors"
    assert (
        manifest["errors"][0]["error"] == "FloatingPointError"
        and manifest["errors"][0]["start"] == 4
    )
    assert "Traceback" in json.loads((partial / "errors.json").read_text())[0]["traceback"]
    assert (
        len(pd.read_parquet(partial / "outcomes.parquet")) == 20
    )  # the other runs, for inspection
    assert not (tmp_path / "flaky").exists()

    monkeypatch.setattr(batch_worker, "run_chunk", real)
    assert batch("--resume", str(tmp_path / "flaky"), "--workers", "1") == 0
    assert_same_results(serial, tmp_path / "flaky")
    assert json.loads((tmp_path / "flaky" / "manifest.json").read_text())["errors"] == []


def test_sobol_batch_stores_the_design_for_salib(tmp_path):
    exp = experiment(
        tmp_path,
        1,
        sampler="sobol",
        extra='outcomes = ["war_readiness_mean"]\n[sobol]\nsecond_order = false\n[trajectories]\nvariables = ["stock"]\n',
    )
    exp.write_text(exp.read_text().replace(f', "{SCENARIOS / "no_pact.toml"}"', ""))
    assert batch(str(exp), "--out", str(tmp_path / "s"), "--workers", "1") == 0
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    problem = manifest["design"]["problem"]
    D = problem["num_vars"]
    table = pd.read_parquet(tmp_path / "s" / "outcomes.parquet")
    assert len(table) == D + 2 and list(table.columns[-1:]) == ["war_readiness_mean"]
    design = pd.read_parquet(tmp_path / "s" / "design.parquet")
    assert list(design.columns[1:]) == problem["names"] and len(design) == D + 2
    from SALib.analyze import sobol

    sobol.analyze(
        problem, table["war_readiness_mean"].to_numpy(), calc_second_order=False, num_resamples=10
    )
    with joined(xr.open_dataset(tmp_path / "s" / "trajectories.nc", engine="h5netcdf")) as ds:
        assert list(ds.data_vars) == ["stock"]  # unit, price_rm_per_unit: coordinates
