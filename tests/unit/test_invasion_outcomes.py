"""Invasion-dated outcomes follow each scenario's (each run's) invasion month; the fixed-date
ones keep their date in their name (issue 21, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_campaign_cover_follows_each_runs_invasion_month():
    """campaign_cover_*_invasion reads the eve of each run's invasion (issue 19, item 6);
    campaign_cover_*_1941_06 stays at the historical date; no invasion: null."""
    base = load_scenario("baseline")
    early = with_overrides(base, {"events.invasion": "1940-09"})
    never = with_overrides(base, {"events.invasion": "none"})
    runs = {
        name: simulate(s, n_runs=1)
        for name, s in (("1941", base), ("1940", early), ("none", never))
    }
    rows = {name: outcomes_table(r).iloc[0] for name, r in runs.items()}
    r = runs["1940"]
    oil, months = list(r.goods).index("oil"), list(r.months)
    eve = r.trajectory["stock"][months.index("1940-08"), 0, oil]
    need = r.trajectory["military_demand"][months.index("1940-10"), 0, oil]
    assert rows["1940"]["campaign_cover_oil_invasion"] == pytest.approx(float(eve) / float(need))
    assert rows["1940"]["campaign_cover_oil_invasion"] != rows["1940"]["campaign_cover_oil_1941_06"]
    assert rows["1941"]["campaign_cover_min_invasion"] == rows["1941"]["campaign_cover_min_1941_06"]
    assert np.isnan(rows["none"]["campaign_cover_oil_invasion"])
    assert np.isfinite(rows["none"]["campaign_cover_oil_1941_06"])
