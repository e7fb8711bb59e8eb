"""The long baseline's pre-pact targets hold their bands (50 runs, seed 0; issue 19).

scenarios/validation/targets_long_baseline.toml against scenarios/long_baseline.toml. The three
misses are strict xfails, as the baseline's chrome and
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
    "soviet_value_1937": "model ~84 M RM vs 65: the trade levels are rows 10 and 23 (the 1937 bills plus the 1935 agreement's 60 M a year of current orders), and the USSR cut its current business after 1936 (row 11: Germany fifth in Soviet trade by 1938) by more than the record lets the model know",
    "german_value_1937": "model ~83 M RM vs 117: parity for the current orders plus ~25 M RM of the 1935 credit's orders, spread evenly to 1937-03; the German surplus of 1937 (paid in gold and exchange) is not modelled",
    "german_rubber_stock_mid_1939": "model ~33 kt vs R9's ~46 (5-6 months): the exchange limit fitted to the oil stock (O43) buys rubber the same share of its gap as oil; R10/row 90's 2-3 months (17-25 kt) is the other reading",
}


EDGE: set[str] = set()  # misses within a few tenths of a per cent of their band: not strict


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
