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
    "german_rubber_stock_mid_1939": "model ~32 kt vs R9's ~46 (5-6 months): the model's rubber imports already "
    "meet R1's (1936: ~75 kt vs 73.4; 1938: ~99 vs 91.9) with R5's ~100 kt/yr of use, so 46 kt would need imports "
    "beyond R1's record; the Plan's one exchange proportion, fitted to the oil stock (O43), gives rubber oil's ~4 "
    "months of cover, between R10/row 90's 2-3 months (17-25 kt) and R9's 5-6",
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


# The mid-1939 state against the ranges baseline.toml draws its initial stocks from (issue
# 19, item 2). Each is read at the month its range describes: the end of 1939-05 (the month
# before baseline.toml's window) for oil, rubber and manganese, whose ranges are mid-1939
# estimates in months of use (row 90, O43); grain at the end of 1939-07, because the range is
# G1's "~5 Mt in Jul 1939" (baseline.toml applies it at its June start, two months of use
# earlier: docs/calibration.md §3b). Findings, not fits: a change that moves one outside
# must say so with a strict xfail naming the mechanism.
RANGE_MONTH = {"oil": "1939-05", "rubber": "1939-05", "manganese": "1939-05", "grain": "1939-07"}
STATE_MISSES: dict[str, str] = {}
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
    g, t = list(run.goods).index(good), list(run.months).index(RANGE_MONTH[good])
    median = float(np.median(run.trajectory["stock"][t, :, g]))
    assert spec["low"] <= median <= spec["high"], (good, median, spec)


def test_grain_at_g1s_month_is_the_july_stock_not_the_june_one(run):
    """The long run's grain is G1's size at G1's month (July), and two months of use more at
    the end of May: the baseline's June-start reading of G1 is two months early."""
    g = list(run.goods).index("grain")
    months = list(run.months)
    may, july = (
        float(np.median(run.trajectory["stock"][months.index(m), :, g]))
        for m in ("1939-05", "1939-07")
    )
    spec = get_path(BASELINE.data, "germany.initial_stock.grain")
    assert spec["low"] <= july <= spec["high"] < may
    use = float(np.median(run.trajectory["consumption"][months.index("1939-06"), :, g]))
    assert may - july == pytest.approx(2 * use, rel=0.25)  # June and July's use, less imports
