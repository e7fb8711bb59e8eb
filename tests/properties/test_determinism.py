"""The same seed gives identical arrays; a run is the same alone or inside a batch."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.runner import draw_uniforms, simulate
from model.engine.simulation import PactModel
from model.files.scenario import load

BASELINE = load("scenarios/baseline.toml")


def run_at(replications: np.ndarray, seed: int) -> PactModel:
    uniforms = draw_uniforms(BASELINE, seed, replications)
    return PactModel(
        BASELINE, n_runs=len(replications), seed=seed, replications=replications, uniforms=uniforms
    ).run()


def column(model: PactModel, name: str, i: int) -> np.ndarray:
    arr = model.trajectory[name]
    return arr[:, :, i] if name == "imports" else arr[:, i]


def test_the_same_seed_gives_identical_arrays():
    a, b = run_at(np.arange(16), seed=3), run_at(np.arange(16), seed=3)
    for name in a.trajectory:
        np.testing.assert_array_equal(a.trajectory[name], b.trajectory[name], err_msg=name)


def test_a_different_seed_gives_different_runs():
    a, b = run_at(np.arange(8), seed=3), run_at(np.arange(8), seed=4)
    assert not np.array_equal(a.trajectory["stock"], b.trajectory["stock"])


@pytest.mark.parametrize("i", [0, 17, 63])
def test_run_i_is_identical_alone_or_inside_a_batch_of_64(i):
    batch = run_at(np.arange(64), seed=11)
    alone = run_at(np.array([i]), seed=11)
    for name in batch.trajectory:
        np.testing.assert_array_equal(column(alone, name, 0), column(batch, name, i), err_msg=name)


def test_chunking_does_not_change_results():
    whole = simulate(BASELINE, n_runs=50, seed=5, chunk=50)
    pieces = simulate(BASELINE, n_runs=50, seed=5, chunk=7)
    for name in whole.trajectory:
        np.testing.assert_array_equal(whole.trajectory[name], pieces.trajectory[name], err_msg=name)
    for path in whole.parameters:
        np.testing.assert_array_equal(whole.parameters[path], pieces.parameters[path])


@pytest.mark.parametrize("name", ["baseline", "no_pact", "invasion_1940_09", "tight_blockade"])
def test_audited_and_unaudited_runs_give_identical_trajectories(name):
    """The production path skips the holders' monthly ledgers; the dynamics must not notice."""
    scenario = load(f"scenarios/{name}.toml")
    reps = np.arange(12)
    uniforms = draw_uniforms(scenario, 7, reps)

    def run(audit: bool) -> PactModel:
        return PactModel(
            scenario, n_runs=len(reps), seed=7, replications=reps, uniforms=uniforms, audit=audit
        ).run()

    audited, production = run(True), run(False)
    assert set(audited.trajectory) == set(production.trajectory)
    assert audited.trajectory["stock"].shape[1] == len(reps)
    for var in audited.trajectory:
        np.testing.assert_array_equal(
            audited.trajectory[var], production.trajectory[var], err_msg=var
        )
