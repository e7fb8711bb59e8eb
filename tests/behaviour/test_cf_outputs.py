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
from model.engine import cf
from model.engine.outcomes import column_name, param_column
from model.store.results import read_outcomes

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
        assert ds["stock"].dims == ("scenario", "run", "month", "good_t")
        assert list(ds["good_kg"].values) == ["platinum"] and "stock_kg" in ds
        dims = ("scenario", "run", "month", "supplier", "good_t")
        assert ds["imports"].dims == dims and ds["binding"].dims[-1] == "good"
        assert "soviet_union" in ds["supplier"].values
        for name in [*ds.data_vars, *ds.coords]:
            attrs = {**ds[name].attrs, **ds[name].encoding}
            assert "long_name" in attrs and "units" in attrs, name
        for name in ds.data_vars:
            assert ds[name].dtype == np.float32, name
        assert ds["stock"].attrs["units"] == "t" and ds["stock_kg"].attrs["units"] == "kg"
        price = ds["price_rm_per_unit"].attrs  # money: a number and its currency
        assert price["units"] == "1" and price["currency"] == "RM"
        assert ds["imports"].attrs["units"] == "t month-1"
        joined = cf.joined(ds)  # the per-unit variables back on one good axis, for readers
        assert joined["stock"].dims[-1] == "good" and joined.sizes["good"] == ds.sizes["good"]
        platinum = joined["stock"].sel(good="platinum").values
        assert np.array_equal(platinum, ds["stock_kg"].sel(good_kg="platinum").values)
        assert ds["war_readiness"].attrs["units"] == "1"
        assert ds["binding"].attrs["flag_meanings"].split()[:2] == ["no_dues", "quota"]
        assert len(ds["binding"].attrs["flag_values"]) == len(
            ds["binding"].attrs["flag_meanings"].split()
        )


def test_every_variable_has_one_udunits_unit(folders):
    """Issue 24, item 3: every variable and coordinate of a run file and a batch file has
    units that UDUNITS parses (cf_units, in the test extra): by-good stocks and flows are one
    variable per unit (t; kg for platinum; RM, as units "1" with a currency, for the German
    counter-deliveries), money is "1" with currency "RM"."""
    import cf_units

    for key in ("baseline", "batch"):
        with xr.open_dataset(folders[key] / "trajectories.nc", engine="h5netcdf") as ds:
            checked = 0
            for name in [*ds.data_vars, *ds.coords]:
                units = {**ds[name].attrs, **ds[name].encoding}.get("units")
                cf_units.Unit(units)  # raises ValueError for a text UDUNITS cannot read
                checked += 1
                money = name in ds.data_vars and str(name).endswith("_rm")
                if money or name == "price_rm_per_unit":
                    assert units in ("1", "1 month-1") and ds[name].attrs["currency"] == "RM", name
            assert checked >= 25 and "german_exports_rm" in ds or key == "batch"


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


def test_a_run_a_monte_carlo_run_and_a_batch_read_together(folders):
    """One outcomes schema for every folder (issue 24, item 2): the parameters, which differ
    between scenarios and designs, are in parameters.parquet; a column names the folder."""
    files = [folders[k] / "outcomes.parquet" for k in ("baseline", "no_pact", "batch")]
    tables = [pq.read_table(f) for f in files]
    assert tables[0].schema == tables[1].schema == tables[2].schema  # names, order and types
    for table in tables:
        assert table.column_names[:3] == ["folder", "scenario", "replication"]
        for f in table.schema:
            assert not pa.types.is_null(f.type), f.name
            assert SQL_NAME.match(f.name), f.name
            assert f.type in (pa.string(), pa.int64(), pa.float64()), (f.name, f.type)
            assert not f.name.startswith("param__"), f.name
    assert tables[0].schema.field("stockout_tungsten").type == pa.string()
    assert tables[0].schema.field("cover_oil_1941_06").type == pa.float64()
    expected = {"baseline": 3, "no_pact": 1, "batch": 8}  # MC run, deterministic run, batch
    polars = pytest.importorskip("polars")
    together = polars.read_parquet([str(f) for f in files])  # one call
    assert dict(together.group_by("folder").len().iter_rows()) == expected
    assert together.width == tables[0].num_columns
    duckdb = pytest.importorskip("duckdb")
    listed = ", ".join(f"'{f}'" for f in files)
    rows = duckdb.sql(  # no union_by_name: the columns match by name and position
        f"select folder, count(*), count(cover_oil_1941_06) from read_parquet([{listed}]) group by folder"
    ).fetchall()
    assert {r[0]: r[1] for r in rows} == expected and all(r[1] == r[2] for r in rows)
    width = duckdb.sql(f"select * from read_parquet([{listed}]) limit 1").df().shape[1]
    assert width == tables[0].num_columns  # nothing dropped
    # the parameters, long, and joined back as the outcome table in memory has them
    long = pq.read_table(folders["baseline"] / "parameters.parquet").to_pandas()
    assert set(long["replication"]) == {0, 1, 2} and (long["folder"] == "baseline").all()
    wide = read_outcomes(folders["baseline"])
    invasion = wide[param_column("soviet_union.policy.political_events[0].month")].tolist()
    assert len(invasion) == 3 and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in invasion)
    assert pq.read_table(folders["no_pact"] / "parameters.parquet").num_rows == 0  # central
    batch = read_outcomes(folders["batch"])
    params = [c for c in batch.columns if c.startswith("param__")]
    stored = pq.read_table(folders["batch"] / "parameters.parquet").num_rows
    assert params and stored == int(batch[params].notna().sum().sum())  # every value, once


def test_column_names_written_before_issue_13_map_to_todays():
    assert column_name("cover_oil_1941-06") == "cover_oil_1941_06"
    assert column_name("param:events.invasion") == "param__events__invasion"
    assert column_name("cover_*_1941-06") == "cover_*_1941_06"
    assert (
        param_column("germany.ration_cuts[0].cut_share")
        == "param__germany__ration_cuts_0__cut_share"
    )


# The one thing compliance-checker (cf:1.10) still says of our files, and why it stays:
# CF section 2.4 *recommends* (a "should") that time come after every other dimension; our
# variables are (scenario, run, month[, supplier][, good...]), month before the goods, the
# order in which the engine records them and in which a batch's workers compress their
# blocks, which the file receives as they are (HDF5 chunks copied whole); month last would
# change the worker's packing and the layout plan as well as the run file. Every reader here
# selects dimensions by name, so none depends on the order. Warnings, never errors: one per
# such variable.
ACCEPTED_WARNING = "§2.4 Dimensions"
# and one check the checker could not finish: it subtracts the values of every coordinate
# variable to test their monotony, which fails on our text labels (scenario, good, supplier,
# the goods of each unit), kept as dimension coordinates so that xarray selects by them
# (``sel(scenario="no_pact")``); the one numeric axis, month, is checked here instead
ACCEPTED_CHECKER_EXCEPTIONS = {"check_coordinate_variables_strict_monotonicity"}


@pytest.mark.parametrize("which", ["baseline", "batch"])
def test_compliance_checker_finds_no_cf_error(folders, which):
    """Issue 24, item 3: compliance-checker's cf:1.10 suite on a run file and a batch file
    reports 0 errors (were 26 and 12: units UDUNITS could not read); its warnings are exactly
    the accepted ones above, for exactly the variables with a dimension after month."""
    runner = pytest.importorskip(
        "compliance_checker.runner",
        reason="compliance-checker is not installed (pip install compliance-checker)",
    )
    path = folders[which] / "trajectories.nc"
    suite = runner.CheckSuite()
    suite.load_all_available_checkers()
    dataset = suite.load_dataset(str(path))
    try:
        groups, exceptions = suite.run_all(dataset, ["cf:1.10"])["cf:1.10"]
        report = suite.build_structure("cf:1.10", groups, str(path))
    finally:
        dataset.close()
    failed = {
        level: {
            r.name: list(r.msgs) for r in report[f"{level}_priorities"] if r.value[0] < r.value[1]
        }
        for level in ("high", "medium", "low")
    }
    assert report["high_count"] == 0 and failed["high"] == {}, failed["high"]  # no error
    assert failed["low"] == {}
    assert set(failed["medium"]) == {ACCEPTED_WARNING}, failed["medium"]
    warned = {
        m.split("'s spatio-temporal dimensions")[0] for m in failed["medium"][ACCEPTED_WARNING]
    }
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        after_month = {
            str(n) for n, v in ds.data_vars.items()
            if "month" in v.dims and v.dims.index("month") < len(v.dims) - 1
        }  # fmt: skip
        days = np.diff(ds["month"].values.astype("datetime64[D]").astype(np.int64))
    assert warned == after_month and len(warned) >= 5
    assert set(exceptions) <= ACCEPTED_CHECKER_EXCEPTIONS, {
        k: str(v[0]) for k, v in exceptions.items()
    }
    assert (days > 0).all()  # the check the checker could not finish, for the time axis
