"""The mechanisms the historical calibration rests on, each on a tiny scenario worked by hand.

- reciprocity with a *ratio* tolerance (row 38): the same arrears suspend deliveries when
  they are most of what Germany owes, not once much has been delivered;
- the USSR loads no more than the border railway takes after the transit it accepted;
- synthetic output is recorded apart from domestic output and counted in production;
- the validation expression language (statistics over a (month, run) series).
"""

from __future__ import annotations

import numpy as np
import pytest

from model.analysis.validation import STATISTICS
from model.engine.simulation import PactModel
from model.files.scenario import merge
from tests.tiny import far_east_rubber, tiny_scenario

MONTHS = [f"1940-{m:02d}" for m in range(1, 13)]


def run(changes: dict) -> PactModel:
    return PactModel(tiny_scenario(changes), n_runs=1, audit=True).run()


def good(model: PactModel, name: str) -> int:
    return model.goods.index(name)


def pact(**rules) -> dict:
    return {
        "treaties": {
            "pact": {
                "title": "Test agreement",
                "parties": ["germany", "soviet_union"],
                "signed": "1940-01",
                "from": "1940-01",
                "to": "1940-12",
                **rules,
            }
        }
    }


# ---------------------------------------------------------------------------------------
# reciprocity: a ratio tolerance
# ---------------------------------------------------------------------------------------
RATIO_RULE = {
    # 1,000 t of oil a month at 100 RM/t: Germany owes 100,000 RM a month (ratio 1)
    "quotas": {"oil": {"quantity": 12_000.0, "from": "1940-01", "to": "1940-12"}},
    "values": {"german_ratio": 1.0, "german_from": "1940-01", "german_to": "1940-12"},
}


def exports_capacity(rm_per_month: float) -> dict:
    return {
        "germany": {"exports": {"capacity_rm_per_month": [{"from": "1940-01", "rm": rm_per_month}]}}
    }


def test_arrears_that_are_a_small_share_of_the_dues_do_not_suspend():
    # Germany pays a month late and then 80,000 of the 100,000 RM it owes each month:
    # arrears grow by 20,000 RM a month from 100,000 after January, above the 150,000 RM
    # tolerance from April, but never half of what has fallen due.
    reciprocity = {
        "review_interval_months": 1,
        "tolerated_imbalance_rm": 150_000.0,
        "tolerated_shortfall_share": 0.5,
        "suspend_goods": ["oil"],
        "suspension_months": 1,
        "resume_below_share": 0.5,
        "german_catch_up_share": 0.0,
    }
    m = run(merge(exports_capacity(80_000.0), pact(**RATIO_RULE, reciprocity=reciprocity)))
    arrears = m.trajectory["arrears_rm"][:, 0]
    assert arrears[5] == pytest.approx(200_000.0)  # 33 % of the 600,000 RM due by June
    assert m.trajectory["suspended"][:, 0].sum() == 0
    # without the ratio tolerance the same arrears suspend oil at the first review above 150,000 RM
    absolute = merge(reciprocity, {"tolerated_shortfall_share": 0.0})
    m = run(merge(exports_capacity(80_000.0), pact(**RATIO_RULE, reciprocity=absolute)))
    assert (
        MONTHS[int(np.argmax(m.trajectory["suspended"][:, 0] > 0))] == "1940-05"
    )  # 160,000 RM after April


def test_a_partner_that_has_delivered_almost_nothing_is_suspended():
    reciprocity = {
        "review_interval_months": 1,
        "tolerated_imbalance_rm": 50_000.0,
        "tolerated_shortfall_share": 0.5,
        "suspend_goods": ["oil"],
        "suspension_months": 1,
        "resume_below_share": 0.5,
        "german_catch_up_share": 0.0,
    }
    m = run(merge(exports_capacity(10_000.0), pact(**RATIO_RULE, reciprocity=reciprocity)))
    suspended = m.trajectory["suspended"][:, 0]
    # after January 90,000 RM (90 % of the dues) is owed: February's review suspends
    assert MONTHS[int(np.argmax(suspended > 0))] == "1940-02"
    assert m.trajectory["soviet_deliveries"][1, 0, good(m, "oil")] == 0.0


# ---------------------------------------------------------------------------------------
# the border railway: the USSR plans its loading within it
# ---------------------------------------------------------------------------------------
def test_the_ussr_loads_only_what_the_border_takes_after_the_transit():
    changes = merge(
        pact(
            **RATIO_RULE,
            transit={
                "goods": ["rubber"],
                "route": "trans_siberian",
                "from": "1940-01",
                "to": "1940-12",
            },
        ),
        {
            "routes": {"soviet_border_rail": {"capacity_t_per_month": 700.0}},
            "suppliers": {"far_east": far_east_rubber(300.0)},
            "blockade": {"import_start": "1940-01", "effectiveness": 0.95, "ramp_months": 0},
            "germany": {"exports": {"capacity_rm_per_month": [{"from": "1940-01", "rm": 1e9}]}},
        },
    )
    m = run(changes)
    tr = m.trajectory
    oil = tr["soviet_deliveries"][:, 0, good(m, "oil")].astype(float)
    np.testing.assert_allclose(
        oil[:3], 400.0, rtol=1e-6
    )  # 700 t of capacity less 300 t of rubber in transit
    np.testing.assert_allclose(tr["transit_t"][:, 0], 300.0, rtol=1e-6)  # the transit is not cut
    # the border is full, yet German machinery (no tonnage) pays last month's dues in full
    german = np.diff(tr["german_delivered_rm"][:, 0], prepend=0.0)
    np.testing.assert_allclose(german[1:], 100.0 * oil[:-1], rtol=1e-6)


# ---------------------------------------------------------------------------------------
# synthetic output
# ---------------------------------------------------------------------------------------
def test_synthetic_output_is_recorded_and_counted_in_production():
    changes = {
        "germany": {
            "domestic_output_per_month": {"oil": 50.0},
            "synthetic": {
                "oil": {
                    "utilisation": 0.5,
                    "schedule": [
                        {"from": "1940-01", "t_per_month": 100.0},
                        {"from": "1940-07", "t_per_month": 300.0},
                    ],
                    "capacity_lost": [{"from": "1940-10", "share": 0.5}],
                }
            },
        }
    }
    m = run(changes)
    g = good(m, "oil")
    synthetic = m.trajectory["synthetic"][:, 0, g].astype(float)
    np.testing.assert_allclose(synthetic, [50.0] * 6 + [150.0] * 3 + [75.0] * 3, rtol=1e-6)
    np.testing.assert_allclose(m.trajectory["production"][:, 0, g], synthetic + 50.0, rtol=1e-6)
    assert m.trajectory["synthetic"][:, 0, good(m, "grain")].max() == 0.0


# ---------------------------------------------------------------------------------------
# the validation expression language
# ---------------------------------------------------------------------------------------
SERIES = np.array([[0.0, 1.0], [2.0, 0.0], [3.0, 0.0], [4.0, 5.0]])  # (month, run)


@pytest.mark.parametrize(
    "statistic, first, last, expected",
    [
        ("sum", 1, 2, [5.0, 0.0]),
        ("annual_rate", 1, 2, [30.0, 0.0]),
        ("value", 0, 3, [4.0, 5.0]),
        ("increase", 1, 3, [4.0, 4.0]),  # value at the end minus the value before the start
        ("increase", 0, 1, [2.0, 0.0]),  # from the first month: minus nothing
        ("any", 1, 2, [1.0, 0.0]),
        ("count", 0, 3, [3.0, 2.0]),
    ],
)
def test_statistics_over_a_period(statistic, first, last, expected):
    np.testing.assert_allclose(STATISTICS[statistic](SERIES, first, last), expected)
