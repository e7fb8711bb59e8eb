"""Invasion-dated outcomes follow each scenario's (each run's) invasion month; the fixed-date
ones keep their date in their name (issue 21, item 3)."""

from __future__ import annotations

import numpy as np

from model.api import load_scenario, with_overrides
from model.engine.outcomes import outcomes_table, sum_to
from model.engine.runner import simulate


def test_sum_to_cuts_each_run_at_its_own_month():
    series = np.arange(24, dtype=float).reshape(6, 4)  # (month, run)
    last = np.array([1, 5, -1, 6])  # 6 = after the window, -1 = before it
    want_to = [series[: t + 1, r].sum() for r, t in enumerate(last)]
    want_after = [series[t + 1 :, r].sum() for r, t in enumerate(last)]
    assert want_to[2] == 0.0 and want_to[3] == series[:, 3].sum()
    assert sum_to(series, last).tolist() == want_to
    assert sum_to(series, last, after=True).tolist() == want_after
    assert (sum_to(series, last) + sum_to(series, last, after=True) == series.sum(axis=0)).all()


def test_soviet_deliveries_to_the_invasion_follow_the_scenario():
    base = load_scenario("baseline")
    later = with_overrides(base, {"events.invasion": "1942-06"})
    rows = {name: outcomes_table(simulate(s, n_runs=1)).iloc[0] for name, s in
            (("1941-06", base), ("1942-06", later))}  # fmt: skip
    # the baseline invades in 1941-06: to the invasion is to the fixed date
    assert rows["1941-06"]["soviet_to_invasion_rm"] == rows["1941-06"]["soviet_to_1941_06_rm"]
    # a year later the trade goes on, and only the invasion-dated outcome counts it
    assert rows["1942-06"]["soviet_to_invasion_rm"] > rows["1942-06"]["soviet_to_1941_06_rm"]
    assert rows["1942-06"]["soviet_to_1941_06_rm"] == rows["1941-06"]["soviet_to_1941_06_rm"]
    assert (
        rows["1941-06"]["military_oil_met_after_invasion"]
        == rows["1941-06"]["military_oil_met_after_1941_06"]
    )
