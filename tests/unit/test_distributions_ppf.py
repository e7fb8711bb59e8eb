"""`distributions.ppf` gives the bits of scipy's frozen distributions.

The triangular and lognormal branches compute scipy's inverse CDFs without going through
``scipy.stats`` (whose import costs a second and slows every later garbage collection);
they must agree with it exactly, edges included, or the golden outcomes would move.
"""

import numpy as np
import pytest
from scipy import stats

from model.world.distributions import ppf

EDGES = np.array([1e-12, 1 - 1e-12, 0.5, 0.25, 0.75, 1e-300, 1.0 - 2**-53, 0.0, 1.0])
Q = np.concatenate([np.linspace(0.0, 1.0, 20001), EDGES, np.random.default_rng(7).random(20000)])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and bool((np.asarray(a).view(np.int64) == b.view(np.int64)).all())


@pytest.mark.parametrize(
    ("low", "mode", "high"),
    [(1.0, 2.0, 4.0), (0.0, 0.0, 1.0), (3.0, 7.0, 7.0), (-2.5, 0.1, 9.75), (0.3, 0.31, 0.9)],
)
def test_triangular_is_scipys_triang(low: float, mode: float, high: float) -> None:
    u = np.clip(Q, 1e-12, 1 - 1e-12)  # what ppf feeds the inverse CDF
    expected = stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
    got = ppf({"dist": "triangular", "low": low, "mode": mode, "high": high}, Q)
    assert same_bits(got, np.asarray(expected, dtype=float))


@pytest.mark.parametrize(("median", "sigma"), [(1.0, 0.1), (250.0, 0.35), (1e-3, 2.0)])
def test_lognormal_is_exp_of_scipys_norm(median: float, sigma: float) -> None:
    u = np.clip(Q, 1e-12, 1 - 1e-12)
    expected = np.exp(np.log(median) + sigma * stats.norm.ppf(u))
    got = ppf({"dist": "lognormal", "median": median, "sigma": sigma}, Q)
    assert same_bits(got, expected)
    bounded = ppf({"dist": "lognormal", "median": median, "sigma": sigma, "high": median}, Q)
    assert same_bits(bounded, np.clip(expected, 0.0, median))


def test_a_sampled_baseline_run_does_not_import_scipy_stats() -> None:
    """Importing scipy.stats after ``released_models`` froze the heap made its collection
    cost ~15 ms a model (every one of scipy.stats' objects traversed)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from model.engine.runner import simulate\n"
        "from model.files.scenario import load, shipped\n"
        "simulate(load(shipped('scenarios') / 'baseline.toml'), n_runs=2, sample=True)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rows_at_once_are_each_spec_alone() -> None:
    """ppf_rows (how a model maps all its uniforms) gives each row the bits of ppf alone,
    whatever kinds share the call: numbers and months, batched kinds and the others."""
    from model.world.distributions import ppf_rows

    specs = [
        {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0},
        {"dist": "uniform", "low": "1941-05", "high": "1941-07"},
        {"dist": "triangular", "low": "1940-01", "mode": "1940-04", "high": "1940-12"},
        {"dist": "choice", "values": [0.2, 0.5, 0.9], "weights": [1.0, 2.0, 1.0]},
        {"dist": "uniform", "low": -3.0, "high": 11.5},
        {"dist": "lognormal", "median": 3.0, "sigma": 0.4, "low": 1.0},
        {"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 1.0},
        {"dist": "choice", "values": ["1941-06", "1941-09"]},
    ]
    u = np.random.default_rng(3).random((len(specs), 5000))
    u[:, : len(EDGES)] = EDGES
    rows = ppf_rows(specs, u)
    for spec, row, q in zip(specs, rows, u, strict=True):
        assert same_bits(row, ppf(spec, q)), spec
