"""The long baseline's pre-pact targets hold their bands (50 runs, seed 0; issue 19).

scenarios/validation/targets_long_baseline.toml against scenarios/long_baseline.toml. The three
misses are xfails (strict but for the one at its band's edge), as the baseline's chrome and
phosphates are in test_validation_bands:
they are findings (docs/calibration.md §3b), and a change that brings one into its band must
say so by removing its mark.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.analysis.validation import evaluate, load_targets
from model.engine.runner import simulate
from model.files.scenario import load

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "scenarios" / "validation" / "targets_long_baseline.toml"
SCENARIO = load(ROOT / "scenarios" / "long_baseline.toml")
MISSES = {
    "german_value_1937": "model ~93 M RM vs 117 (band from 99.5): the 1935 credit's orders are spread evenly to 1937-03, leaving ~25 M RM of them in 1937, and the parity clearing follows the Soviet value, which is lower since the 1930s oil share is the quota mix's (was ~99, at the band's edge)",
    "german_grain_stock_jul_1939": "model ~2.0 Mt vs 5: the Plan's exchange (10 M RM a month, a priori) and the Danube route cap the grain bought; G2-G3's harvest has no surplus",
    "german_rubber_stock_mid_1939": "model ~31 kt vs R9's ~46 (5-6 months); R10/row 90's 2-3 months (17-25 kt) is the other reading",
    "soviet_oil_1936_37": "model ~307 kt vs Goldman's 625 (U6): out of sample since the 1930s Soviet mixes no longer cite "
    "U6 (a validation row of soviet_oil_1940 too); oil at its share of the Feb 1940 quota mix (0.181 of trade_1938's "
    "mix, rows 40-41) is ~15 % of the Soviet value, where Goldman's tonnage makes it 30-38 % in 1936-37: the record has "
    "no other source on the goods the USSR sold Germany in the 1930s",
}


EDGE: set[str] = set()  # a miss within a few tenths of a per cent of its band would not be strict


@pytest.fixture(scope="module")
def results():
    run = simulate(SCENARIO, n_runs=50, seed=0)
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
