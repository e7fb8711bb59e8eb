"""Experiment files are validated at the boundary; samplers give paired (CRN) designs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.batch.experiment import build_design, load_experiment, runs_per_scenario, uncertain_paths
from model.batch.plan import choose_chunk, choose_file_chunk
from model.batch.worker import shape_outcomes
from model.cli import main
from model.engine.runner import draw_uniforms
from model.files.scenario import ScenarioError, load
from model.world.distributions import ppf
from model.world.randomness import master_key, parameter_uniforms

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BASE = f'scenarios = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "no_pact.toml"}"]\n'


@pytest.mark.parametrize(
    ("text", "key_path", "expected"),
    [
        (BASE + "replications = 10\ncolour = 3\n", "colour", "unknown key"),
        (BASE + "replications = 0\n", "replications", "from 1 to 10,000,000, got 0"),
        (BASE + 'replications = "ten"\n', "replications", "whole number"),
        (BASE, "replications", "missing"),
        (BASE + 'replications = 10\nsampler = "halton"\n', "sampler", "mc, lhs, sobol, morris"),
        (BASE + 'replications = 12\nsampler = "sobol"\n', "replications", "power of two"),
        (BASE + "replications = 8\n[sobol]\nsecond_order = 1\n", "sobol", 'sampler = "mc"'),
        (
            BASE + 'replications = 8\nsampler = "sobol"\n[sobol]\norder = 2\n',
            "sobol.order",
            "unknown option",
        ),
        (
            BASE + 'replications = 8\nsampler = "morris"\n[morris]\nlevels = true\n',
            "morris.levels",
            "whole number",
        ),
        (
            'scenarios = ["baseline", "atlantis"]\nreplications = 5\n',
            "scenarios[1]",
            "no scenario 'atlantis'",
        ),
        (
            'scenarios = ["baseline", "baseline"]\nreplications = 5\n',
            "scenarios[1]",
            "listed twice",
        ),
        ("scenarios = []\nreplications = 5\n", "scenarios", "at least 1 entry"),
        (
            BASE + "replications = 5\n[trajectories]\nvariables = ['stock', 'morale']\n",
            "trajectories.variables[1]",
            'unknown variable "morale"',
        ),
        (
            BASE + "replications = 5\n[trajectories]\ncompression = 12\n",
            "trajectories.compression",
            "0 (none) to 9",
        ),
        (BASE + 'replications = 5\nname = "a b"\n', "name", "expected a name"),
        (BASE + "replications = 5\nchunk = -1\n", "chunk", "from 1 to 100,000, got -1"),
    ],
)
def test_a_bad_experiment_names_the_file_and_key_path(tmp_path, text, key_path, expected):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    assert err.value.file.endswith("exp.toml") and err.value.key_path == key_path
    assert expected in str(err.value)


def test_cli_reports_a_bad_experiment_in_one_line(tmp_path, capsys):
    path = write(tmp_path, BASE + "replications = 5\nseeds = 3\n")
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "exp.toml: seeds: unknown key" in err
    assert main(["batch", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_outcome_pattern_that_matches_nothing_is_rejected_before_running(tmp_path, capsys):
    path = write(tmp_path, BASE + 'replications = 5\noutcomes = ["stockout_*", "morale_*"]\n')
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    assert "outcomes[1]: 'morale_*' matches no outcome column" in capsys.readouterr().err
    assert not list(tmp_path.glob(".out*")) and not (tmp_path / "out").exists()


def test_shipped_experiments_are_valid():
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        experiment = load_experiment(path)
        assert experiment.load_scenarios()
    counterfactuals = load_experiment(ROOT / "experiments" / "counterfactuals.toml")
    arc = load_experiment(ROOT / "experiments" / "arc_1934_1941.toml")
    windows = {p.stem: load(p).get("window.start") for p in SCENARIOS.glob("*.toml")}
    # every scenario of the pact-era window is in counterfactuals.toml; every one that starts
    # in 1934 (the 1930s counterfactuals of long_baseline) in arc_1934_1941.toml, except
    # prewar.toml, which is long_baseline cut at 1939-08 (a different window again)
    assert {p.stem for p in counterfactuals.scenario_paths()} == {
        name for name, start in windows.items() if start == "1939-06"
    }
    assert {p.stem for p in arc.scenario_paths()} == {
        name for name, start in windows.items() if start == "1934-01" and name != "prewar"
    }
    assert (
        counterfactuals.replications == 1000 and counterfactuals.scenario_entries[0] == "baseline"
    )
    assert arc.replications == 1000 and arc.scenario_entries[0] == "long_baseline"


def test_mc_draws_are_keyed_by_path_and_replication_as_in_pactsim_run():
    baseline = load(SCENARIOS / "baseline.toml")
    paths = uncertain_paths([baseline])
    design = build_design("mc", 40, 7, paths, {})
    own = [p for p, _ in baseline.uncertain()]
    whole = design.uniforms(own, 0, 40)
    reference = draw_uniforms(baseline, 7, np.arange(40))
    for p in own:
        assert np.array_equal(whole[p], reference[p])
        assert np.array_equal(
            design.uniforms([p], 13, 29)[p], whole[p][13:29]
        )  # chunking does not matter
    # a path's draws do not depend on which other paths a scenario has
    alone = parameter_uniforms(master_key(7), [own[3]], np.arange(40))
    assert np.array_equal(alone[own[3]], whole[own[3]])


@pytest.mark.parametrize(
    ("sampler", "options"),
    [
        ("lhs", {}),
        ("sobol", {"second_order": True}),
        ("sobol", {"second_order": False}),
        ("morris", {"levels": 4}),
    ],
)
def test_design_samplers_share_one_design_over_the_union_of_paths(sampler, options):
    paths = ("a.x", "b.y", "c.z")
    n = 8
    design = build_design(sampler, n, 3, paths, options)
    runs = runs_per_scenario(sampler, n, len(paths), options)
    assert design.n_runs == runs
    if sampler == "lhs":  # keyed, drawn chunk by chunk: no stored points
        assert design.points is None and design.keyed
    else:
        assert design.points.shape == (runs, 3)
    assert {"sobol": 8 * 8 if options.get("second_order") else 8 * 5, "morris": 8 * 4, "lhs": 8}[
        sampler
    ] == runs
    again = build_design(sampler, n, 3, paths, options)
    full = design.uniforms(paths, 0, runs)
    repeat = again.uniforms(paths, 0, runs)
    assert all(np.array_equal(full[p], repeat[p]) for p in paths)  # the seed fixes the design
    # a scenario lacking a path takes the other columns unchanged (common random numbers)
    part = design.uniforms(("a.x", "c.z"), 0, runs)
    assert np.array_equal(full["a.x"], part["a.x"]) and np.array_equal(full["c.z"], part["c.z"])
    for u in full.values():
        assert ((u > 0) & (u < 1)).all() or sampler == "sobol"
    if sampler == "lhs":  # one point in each of the n strata of every column
        for u in full.values():
            assert sorted(np.floor(u * n).astype(int)) == list(range(n))
    if sampler == "morris":  # the grid read at the centres of equal-probability cells
        assert set(np.round(full["a.x"], 6)) <= {0.125, 0.375, 0.625, 0.875}
        levels = np.unique(design.points) * 3
        assert np.allclose(levels, np.round(levels)) and levels.min() >= 0 and levels.max() <= 3
    if (
        sampler == "sobol"
    ):  # Saltelli's A, AB_i, (BA_i,) B blocks: AB_1 differs from A only in column 1
        a, ab1 = design.points[0], design.points[1]
        assert a[1] == ab1[1] and a[2] == ab1[2] and a[0] != ab1[0]
        assert design.problem()["names"] == list(paths)


def test_mapped_parameter_values_follow_the_distribution():
    spec = {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0}
    design = build_design("lhs", 1000, 0, ("p",), {})
    values = ppf(spec, design.uniforms(["p"], 0, 1000)["p"])
    assert 1.0 <= values.min() and values.max() <= 4.0
    assert abs(np.median(values) - 2.27) < 0.05  # triangular(1, 2, 4) median = 4 - sqrt(3 * 1.5)


def test_outcome_rows_carry_the_design_columns_and_keep_the_chosen_outcomes():
    import pandas as pd

    table = pd.DataFrame(
        {
            "replication": [4, 5],
            "param__a": [1.0, 2.0],
            "stockout_oil": ["1941-01", None],
            "shortage_oil": [1.0, 2.0],
        }
    )
    out = shape_outcomes(table, "no_pact", ("a", "b"), ("stockout_*",))
    assert list(out.columns) == ["scenario", "replication", "param__a", "param__b", "stockout_oil"]
    assert out["param__b"].isna().all() and (out["scenario"] == "no_pact").all()
    assert list(shape_outcomes(table, "x", ("a",), None).columns)[-1] == "shortage_oil"


def test_chunk_sizes():
    assert choose_chunk(None, 1000, 15, 2) == 1000  # one chunk per scenario, 15 for 2 workers
    assert choose_chunk(None, 1000, 3, 2) == 1000  # halving them would cost more than it saves
    assert choose_chunk(None, 1000, 1, 2) == 500  # a chunk for every worker
    assert choose_chunk(None, 10_000, 1, 2) == 1700  # 6 chunks, not 5 of 2,000
    assert choose_chunk(None, 100_000, 1, 2) == 2000
    assert choose_chunk(None, 1000, 1, 1) == 1000  # serially: one model instance
    assert choose_chunk(300, 50, 1, 2) == 50
    for chunk in (1, 7, 200, 1000, 2000, 2500, 1234, 10007):
        fc = choose_file_chunk(chunk)
        assert chunk % fc == 0 and (fc <= 250 or fc == chunk)


def test_trajectories_are_placed_on_the_batch_axes_and_cut_into_whole_hdf5_chunks():
    import zlib
    from types import SimpleNamespace

    from model.store.folder import ChunkRef, TrajectoryLayout

    months, goods = ["1939-06", "1939-07", "1939-08"], ["oil", "grain", "rubber"]
    layout = TrajectoryLayout(
        scenarios=("a",), runs=10, months=tuple(months), goods=tuple(goods), suppliers=(), units=("t",) * 3,
        prices=(1.0,) * 3, variables={"stock": ("month", "good"), "war_readiness": ("month",)}, file_chunk=4, compression=1,
    )  # fmt: skip
    # a scenario whose window starts a month later and which has no rubber
    stock = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)  # (month, run, good)
    result = SimpleNamespace(
        months=months[1:],
        goods=["grain", "oil"],
        origins=[],
        trajectory={"stock": stock, "war_readiness": np.ones((2, 3), np.float32)},
    )
    from model.batch.worker import pack_trajectories

    blocks = pack_trajectories(
        result, layout, ChunkRef(0, 2, 8, 10)
    )  # runs 8-9: one HDF5 chunk, padded
    assert len(blocks["stock"]) == 1 and len(blocks["war_readiness"]) == 1
    block = np.frombuffer(zlib.decompress(blocks["stock"][0]), dtype="<f4").reshape(4, 3, 3)
    assert np.isnan(block[:, 0]).all() and np.isnan(block[:, :, 2]).all()  # month and good it lacks
    assert (
        block[0, 1, 0] == stock[0, 0, 1] and block[0, 1, 1] == stock[0, 0, 0]
    )  # oil, grain of run 8
    assert np.isnan(block[3]).all()  # padding past the last run
