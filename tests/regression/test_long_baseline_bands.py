"""The long baseline's pre-pact targets hold their bands (50 runs, seed 0; issue 19).

scenarios/validation/targets_long_baseline.toml against scenarios/long_baseline.toml. The misses
are strict xfails, as the baseline's chrome and phosphates are in test_validation_bands: they
are findings (docs/calibration.md §3b), and a change that brings one into its band must
say so by removing its mark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.analysis.validation import evaluate, load_targets
from model.engine.runner import simulate
from model.files.scenario import get_path, load

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "scenarios" / "validation" / "targets_long_baseline.toml"
SCENARIO = load(ROOT / "scenarios" / "long_baseline.toml")
MISSES = {
    "german_rubber_stock_mid_1939": "model ~33 kt vs R9's ~46 (5-6 months): the exchange limit fitted to the oil stock (O43) buys rubber the same share of its gap as oil; R10/row 90's 2-3 months (17-25 kt) is the other reading",
}


EDGE: set[str] = set()  # misses within a few tenths of a per cent of their band: not strict


@pytest.fixture(scope="module")
def run():
    return simulate(SCENARIO, n_runs=50, seed=0)


@pytest.fixture(scope="module")
def results(run):
    return {r.target.id: r for r in evaluate(run, load_targets(TARGETS, SCENARIO))}


@pytest.mark.parametrize(
    "target_id",
    [
        pytest.param(
            t.id,
            marks=pytest.mark.xfail(strict=t.id not in EDGE, reason=MISSES[t.id]),
        )
        if t.id in MISSES
        else t.id
        for t in load_targets(TARGETS, SCENARIO)
    ],
)
def test_the_long_baseline_holds_the_band(results, target_id):
    r = results[target_id]
    assert r.within_band, (target_id, r.median, r.target.low, r.target.high)


# The mid-1939 state (end of 1939-05, the month before baseline.toml's window) against the
# ranges baseline.toml draws its initial stocks from (issue 19, item 2). Findings, not fits
# (docs/calibration.md §3b): a change that brings one inside must remove its mark.
STATE_MISSES = {
    "grain": "median ~6.7 Mt vs 4.5-5.5: the long run reads G1's ~5 Mt at its date, July (4.8 Mt there), the baseline as its June stock; two months of use apart",
    "manganese": "median ~92 kt vs 110-190: the Plan's exchange buys every good the same share of its gap; the baseline's range is an analogy, not a record",
}
BASELINE = load(ROOT / "scenarios" / "baseline.toml")


@pytest.mark.parametrize(
    "good",
    [
        pytest.param(g, marks=pytest.mark.xfail(strict=True, reason=STATE_MISSES[g]))
        if g in STATE_MISSES
        else g
        for g in ("oil", "grain", "rubber", "manganese")
    ],
)
def test_the_mid_1939_state_falls_in_the_baselines_initial_range(run, good):
    spec = get_path(BASELINE.data, f"germany.initial_stock.{good}")
    g, t = list(run.goods).index(good), list(run.months).index("1939-05")
    median = float(np.median(run.trajectory["stock"][t, :, g]))
    assert spec["low"] <= median <= spec["high"], (good, median, spec)
