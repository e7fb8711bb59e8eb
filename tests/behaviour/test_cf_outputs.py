"""Result files fit the tools users have (issue 13, part 2): CF trajectories, one outcomes schema.

A `pactsim run` folder and a small `pactsim batch` folder both open with plain xarray, have
a real time axis (``sel(month="1941")``, ``resample(month="YS")``), units and long names on
every variable and the same layout; the outcomes of two different scenarios' `pactsim run`
folders concatenate (pyarrow, and polars when installed) with identical schemas.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xarray as xr

from model.cli import main
from model.engine.outcomes import column_name, param_column

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cf")
    out = {}
    for name, extra in (("baseline", ["--runs", "3"]), ("no_pact", [])):
        out[name] = tmp / name
        args = ["run", str(ROOT / "scenarios" / f"{name}.toml"), "--out", str(out[name])]
        assert main([*args, *extra, "--no-figures"]) == 0
    exp = tmp / "tiny.toml"
    exp.write_text(
        textwrap.dedent(
            f"""
            name = "tiny"
            scenarios = ["{ROOT / "scenarios" / "baseline.toml"}", "{ROOT / "scenarios" / "no_pact.toml"}"]
            replications = 4
            sampler = "mc"
            seed = 5
            chunk = 2
            [trajectories]
            variables = ["stock", "demand", "imports", "binding", "war_readiness"]
            """
        )
    )
    out["batch"] = tmp / "batch"
    assert main(["batch", str(exp), "--out", str(out["batch"]), "--workers", "1"]) == 0
    return out


@pytest.mark.parametrize("which", ["baseline", "batch"])
def test_trajectories_are_cf_with_a_time_axis(folders, which):
    with xr.open_dataset(folders[which] / "trajectories.nc", engine="h5netcdf") as ds:
        assert ds.attrs["Conventions"] == "CF-1.10" and ds.attrs["title"] and ds.attrs["history"]
        assert ds["month"].dtype.kind == "M" and ds["month_label"].values[0] == "1939-06"
        year = ds["stock"].sel(month="1941")
        assert year.sizes["month"] == 12 and str(year["month_label"].values[0]) == "1941-01"
        yearly = ds["stock"].resample(month="YS").mean()
        assert yearly.sizes["month"] == 4  # 1939 .. 1942
        assert ds["stock"].dims == ("scenario", "run", "month", "good")
        assert ds["imports"].dims == ("scenario", "run", "month", "supplier", "good")
        assert "soviet_union" in ds["supplier"].values
        for name in [*ds.data_vars, *ds.coords]:
            attrs = {**ds[name].attrs, **ds[name].encoding}
            assert "long_name" in attrs and "units" in attrs, name
        for name in ds.data_vars:
            assert ds[name].dtype == np.float32, name
        assert ds["stock"].attrs["units"].startswith("t") and "RM" in ds["stock"].attrs["units"]
        assert ds["imports"].attrs["units"].startswith("t month-1")
        assert ds["war_readiness"].attrs["units"] == "1"
        assert ds["binding"].attrs["flag_meanings"].split()[:2] == ["no_dues", "quota"]
        assert len(ds["binding"].attrs["flag_values"]) == len(
            ds["binding"].attrs["flag_meanings"].split()
        )


def test_run_and_batch_files_share_one_layout(folders):
    with (
        xr.open_dataset(folders["baseline"] / "trajectories.nc", engine="h5netcdf") as run,
        xr.open_dataset(folders["batch"] / "trajectories.nc", engine="h5netcdf") as batch,
    ):
        for name in batch.data_vars:
            assert run[name].dims == batch[name].dims and run[name].dtype == batch[name].dtype
        assert set(batch.coords) == set(run.coords)
        assert np.array_equal(run["month"].values, batch["month"].values)


SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def test_outcomes_of_two_scenarios_concatenate_with_one_schema(folders):
    a = pq.read_table(folders["baseline"] / "outcomes.parquet")
    b = pq.read_table(folders["no_pact"] / "outcomes.parquet")
    c = pq.read_table(folders["batch"] / "outcomes.parquet")
    outcomes = [f for f in a.schema if not f.name.startswith("param__")]
    assert pa.schema(outcomes) == pa.schema(
        [f for f in b.schema if not f.name.startswith("param__")]
    )
    for table in (a, b, c):
        for f in table.schema:
            assert not pa.types.is_null(f.type), f.name
            assert SQL_NAME.match(f.name), f.name
            assert f.type in (pa.string(), pa.int64(), pa.float64()), (f.name, f.type)
    assert a.schema.field("stockout_tungsten").type == pa.string()
    assert a.schema.field("cover_oil_1941_06").type == pa.float64()
    invasion = a.column(param_column("soviet_union.policy.political_events[0].month")).to_pylist()
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in invasion), invasion
    both = pa.concat_tables([a.select(b.column_names), b])  # the deterministic run has no params
    assert both.num_rows == 4
    polars = pytest.importorskip("polars")
    b2 = folders["no_pact"] / "outcomes.parquet"
    assert polars.read_parquet([b2, b2]).height == 2


def test_column_names_written_before_issue_13_map_to_todays():
    assert column_name("cover_oil_1941-06") == "cover_oil_1941_06"
    assert column_name("param:events.invasion") == "param__events__invasion"
    assert column_name("cover_*_1941-06") == "cover_*_1941_06"
    assert (
        param_column("germany.ration_cuts[0].cut_share")
        == "param__germany__ration_cuts_0__cut_share"
    )
