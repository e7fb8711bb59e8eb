"""`pactsim run` writes a complete result folder, or nothing at all."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from model.cli import main
from model.engine.cf import joined


def test_run_writes_manifest_outcomes_trajectories_and_figures(tmp_path, capsys):
    out = tmp_path / "baseline-run"
    assert (
        main(["run", "scenarios/baseline.toml", "--runs", "20", "--seed", "3", "--out", str(out)])
        == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 3 and manifest["runs"] == 20
    assert manifest["scenarios"][0]["files"][0]["sha256"]
    assert {"mesa", "numpy", "xarray"} <= set(manifest["packages"])
    table = pd.read_parquet(out / "outcomes.parquet")
    assert len(table) == 20 and {"stockout_oil", "cover_oil_1941_06", "suspension_months"} <= set(
        table.columns
    )
    ds = joined(xr.open_dataset(out / "trajectories.nc", engine="h5netcdf"))
    for name in ("stock", "production", "consumption", "demand", "shortage"):
        assert ds[name].dims == ("scenario", "run", "month", "good")
        assert ds[name].dtype == np.float32  # the layout of a batch (model.engine.cf)
    assert ds["imports"].dims == ("scenario", "run", "month", "supplier", "good")
    assert list(ds["scenario"].values) == ["baseline"]
    assert ds["month_label"].values[0] == "1939-06" and ds["month_label"].values[-1] == "1942-12"
    assert ds["month"].values[0] == np.datetime64("1939-06-01")
    assert "oil" in ds["good"].values and "soviet_union" in ds["supplier"].values
    assert ds["stock"].min() >= 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "shortages.png",
        "stock_cover.png",
    ]
    printed = capsys.readouterr().out
    assert "first month German stocks run out" in printed and "Soviet suspensions" in printed


def test_run_never_overwrites_a_result_folder(tmp_path, capsys):
    out = tmp_path / "exists"
    out.mkdir()
    assert main(["run", "scenarios/baseline.toml", "--out", str(out)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_a_bad_run_count_is_refused_without_writing(tmp_path, capsys):
    out = tmp_path / "nothing"
    assert main(["run", "scenarios/baseline.toml", "--runs", "0", "--out", str(out)]) == 2
    assert "--runs" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))
