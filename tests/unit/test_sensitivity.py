"""Sensitivity analysis: the analysis function against analytic indices, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.analysis.sensitivity import analyse, load_spec, problem_for
from model.batch.experiment import build_design
from model.cli import main as cli_main
from model.files.scenario import ScenarioError
from model.store.results import read_outcomes

BASELINE = "scenarios/baseline.toml"


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function():
    """Analytic: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (Ishigami & Homma 1990)."""
    names = ["x1", "x2", "x3"]
    design = build_design("sobol", 2**13, 7, names, {"second_order": False})
    x = -np.pi + 2 * np.pi * design.points  # unit hypercube -> [-pi, pi]^3, as ppf would
    table = analyse(
        "sobol", problem_for(names), design.points, ishigami(x), second_order=False, resamples=100
    )
    np.testing.assert_allclose(table["S1"], [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(table["ST"], [0.558, 0.442, 0.244], atol=0.03)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.05).all()


def test_morris_ranks_a_linear_function():
    names = ["small", "large", "none"]
    design = build_design("morris", 60, 3, names, {"levels": 4})
    y = 1.0 * design.points[:, 0] + 10.0 * design.points[:, 1]
    table = analyse("morris", problem_for(names), design.points, y, resamples=100).set_index(
        "parameter"
    )
    assert (
        table.loc["large", "mu_star"] > table.loc["small", "mu_star"] > table.loc["none", "mu_star"]
    )
    assert table.loc["none", "mu_star"] == pytest.approx(0.0, abs=1e-12)


def test_constant_and_missing_outcomes():
    names = ["a", "b"]
    design = build_design("sobol", 8, 1, names, {"second_order": False})
    flat = analyse(
        "sobol", problem_for(names), design.points, np.ones(design.n_runs), second_order=False
    )
    assert (flat["ST"] == 0).all() and flat["note"].str.contains("does not vary").all()
    with pytest.raises(ValueError, match="no value"):
        analyse(
            "sobol",
            problem_for(names),
            design.points,
            np.full(design.n_runs, np.nan),
            second_order=False,
        )


def write_experiment(tmp_path: Path, extra: str = "", sampler: str = "sobol") -> str:
    path = tmp_path / "sens.toml"
    path.write_text(
        f"""
name = "sens_test"
scenarios = ["{Path(BASELINE).resolve()}"]
sampler = "{sampler}"
replications = 8
seed = 5
outcomes = ["stockout_oil", "cover_oil_1941_06"]
{extra}
"""
    )
    return str(path)


def test_sensitivity_command_end_to_end(tmp_path, capsys):
    params = '["germany.initial_stock.oil", "germany.synthetic.oil.utilisation", "routes.danube_rail.capacity_t_per_month"]'
    exp = write_experiment(
        tmp_path,
        f"[sobol]\nsecond_order = false\n[sensitivity]\nparameters = {params}\nresamples = 50",
    )
    out = tmp_path / "result"
    assert (
        cli_main(
            ["sensitivity", exp, "--out", str(out), "--workers", "1", "--chunk", "16", "--quiet"]
        )
        == 0
    )
    assert "cover_oil_1941_06" in capsys.readouterr().out
    runs = read_outcomes(out)  # the outcomes with their parameters joined back
    assert len(runs) == 8 * (3 + 2)
    assert runs["stockout_oil"].between(0, 43).all()  # months from 1939-06, 43 = not by 1942-12
    # the design reaches the model: the oil stock used follows the design's quantiles
    design = pd.read_parquet(out / "design.parquet")
    rank = np.corrcoef(
        design["germany.initial_stock.oil"].rank(),
        runs["param__germany__initial_stock__oil"].rank(),
    )[0, 1]
    assert rank > 0.99
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["outcome"]) == {"stockout_oil", "cover_oil_1941_06"}
    assert set(indices["scenario"]) == {"baseline"}
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(indices.columns)
    cover = indices[indices["outcome"] == "cover_oil_1941_06"].set_index("parameter")
    assert cover["ST"].idxmax() == "germany.initial_stock.oil"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete"
        and manifest["kind"] == "sensitivity"
        and manifest["runs"] == 40
    )
    assert (out / "figures" / "sensitivity_baseline.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("extra", "sampler", "message"),
    [
        ("", "mc", "expected 'sobol' or 'morris'"),
        (
            '[sensitivity]\nparameters = ["no.such.path"]',
            "sobol",
            r"sensitivity.parameters\[0\]: unknown uncertain key path .*germany\.initial_stock\.oil",
        ),
        ("[sensitivity]\nparameters = []", "sobol", "sensitivity.parameters: expected at least 1"),
        (
            '[sensitivity]\nparameters = ["routes.danube_rail.capacity_t_per_month", "routes.danube_rail.capacity_t_per_month"]',
            "sobol",
            "listed twice",
        ),
        ('[sensitivity]\nshocks = "sometimes"', "sobol", "unknown shock mode .*fixed, vary"),
        ("[sensitivity]\nconfidence = 1.0", "sobol", "sensitivity.confidence: .*excluded"),
        ("[sensitivity]\nconfidence = 0", "sobol", "sensitivity.confidence: expected a share"),
        (
            "[sensitivity]\nresamples = 5",
            "sobol",
            "sensitivity.resamples: expected a whole number >= 10",
        ),
        ("[sensitivity]\ncolour = 1", "sobol", "sensitivity.colour: unknown key .*allowed keys"),
        ("sensitivity = 3", "sobol", "sensitivity: expected a table"),
    ],
)
def test_bad_files_name_the_key(tmp_path, extra, sampler, message):
    with pytest.raises(ScenarioError, match=message):
        load_spec(write_experiment(tmp_path, extra, sampler))


def test_the_shipped_oil_experiment_is_valid():
    spec = load_spec("experiments/sensitivity_oil.toml")
    assert spec.method == "sobol" and [s.name for s in spec.scenarios] == ["baseline"]
    assert "stockout_oil" in spec.patterns and "war_readiness_1941_06" in spec.patterns
    n_runs = spec.experiment.replications * (len(spec.parameters) + 2)
    assert (
        n_runs <= 120_000
    )  # stays within the 5-minute budget on 2 cores (~1,000+ runs/s per core)


def test_a_design_through_the_process_pool_equals_serial(tmp_path):
    """The sensitivity runs use the batch executors: a process pool gives the serial rows."""
    from model.analysis.sensitivity import resolve_outcomes, run_design

    params = '["germany.initial_stock.oil", "routes.danube_rail.capacity_t_per_month"]'
    spec = load_spec(
        write_experiment(
            tmp_path, f"[sobol]\nsecond_order = false\n[sensitivity]\nparameters = {params}"
        )
    )
    design = build_design(
        spec.method,
        spec.experiment.replications,
        spec.experiment.seed,
        spec.parameters,
        spec.options,
    )
    outcomes = resolve_outcomes(spec)
    serial = run_design(spec, design, outcomes, chunk=7, workers=1)
    pooled = run_design(spec, design, outcomes, chunk=7, workers=2)
    assert len(serial) == design.n_runs == 8 * (2 + 2)
    assert serial["stockout_oil"].notna().all()
    pd.testing.assert_frame_equal(serial, pooled, check_exact=True)
