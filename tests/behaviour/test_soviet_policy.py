"""Treaties that bind: Soviet deliveries follow Soviet supply, the dues and the export policy.

Seeded batches of the real scenarios (issue 11):

- halving every quota of the 1940 and 1941 agreements cuts Soviet oil and grain to 1941-06
  by at least a quarter each (the quota binds some of the time, so it matters);
- doubling the January 1941 quotas in ``no_invasion`` raises grain in 1941-42 unless another
  constraint binds -- and then the binding-constraint record names it;
- ``no_pact`` never ships Germany more of any good than the pact does, on average and run by
  run (pooled dues); with the earlier agreements served first, except where pacing cut;
- the spring-1940 suspension emerges in most runs, but not in the same month in all;
- the new counterfactuals act: ``soviet_full_quota`` ships more than the baseline, and the
  oil embargo is recorded as a suspension, not as a shortage of supply.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from model.actors.soviet_policy import BINDING, BINDING_CODE
from model.engine.runner import RunResult, simulate
from model.files.scenario import Scenario, load

ROOT = Path(__file__).resolve().parents[2]
RUNS, SEED = 60, 11


@cache
def scenario(name: str) -> Scenario:
    return load(ROOT / "scenarios" / f"{name}.toml")


def run(sc: Scenario) -> RunResult:
    return simulate(sc, n_runs=RUNS, seed=SEED, sample=True)


@cache
def baseline() -> RunResult:
    return run(scenario("baseline"))


def to_invasion(
    result: RunResult, good: str, first: str = "1939-06", last: str = "1941-06"
) -> np.ndarray:
    """Soviet deliveries of a good over first..last, per run."""
    months = list(result.months)
    g = list(result.goods).index(good)
    a, b = months.index(first), months.index(last)
    return result.trajectory["soviet_deliveries"][a : b + 1, :, g].sum(axis=0)


def quotas_scaled(sc: Scenario, factor: float, treaties: tuple[str, ...]) -> Scenario:
    changes = {}
    for t in treaties:
        for good, spec in sc.get(f"treaties.{t}.quotas").items():
            changes[f"treaties.{t}.quotas.{good}.quantity"] = float(spec["quantity"]) * factor
    return sc.with_overrides(changes)


AGREEMENTS_1940_41 = ("commercial_1940", "bessarabia_1940", "january_1941")


def test_halving_the_quotas_cuts_soviet_oil_and_grain():
    """Every quota of the 1940 and 1941 agreements halved (Bessarabia's too) cuts Soviet oil
    and grain by at least a quarter over the agreements' months to the invasion (1940-02 ..
    1941-06). Measured (seed 11, 60 runs): oil -25.3 %, grain -26.0 %. Less than half,
    because the border railway binds in most months as signed (the halved dues fit it) and
    Schedule C (row 29) is not halved; counted from 1939-06, the pre-pact clearing (rows 9-12,
    untouched) brings grain to -24.5 %."""
    half = run(quotas_scaled(scenario("baseline"), 0.5, AGREEMENTS_1940_41))
    for good in ("oil", "grain"):
        before = to_invasion(baseline(), good, "1940-02").mean()
        after = to_invasion(half, good, "1940-02").mean()
        assert after <= 0.75 * before, (
            f"{good}: {after:,.0f} t vs {before:,.0f} t with the quotas as signed"
        )


def test_doubling_the_1941_quotas_raises_grain_unless_another_constraint_binds():
    base = run(scenario("no_invasion"))
    doubled = run(quotas_scaled(scenario("no_invasion"), 2.0, ("january_1941",)))
    months = list(base.months)
    a, b = months.index("1941-02"), months.index("1942-12")
    g = list(base.goods).index("grain")
    gain = to_invasion(doubled, "grain", "1941-02", "1942-12") - to_invasion(
        base, "grain", "1941-02", "1942-12"
    )
    assert gain.mean() > 0  # the quota binds some of the time: asking for more gets more
    # where the grain did not rise, the record names what bound instead of the quota
    codes = doubled.trajectory["binding"][a : b + 1, :, g].astype(int)
    flat = gain <= 0.01 * to_invasion(base, "grain", "1941-02", "1942-12")
    if flat.any():
        bound = codes[:, flat]
        assert (bound != BINDING_CODE["quota"]).mean() > 0.9, (
            "grain did not rise although the quota bound"
        )
    names = {BINDING[c] for c in np.unique(codes)}
    assert names <= set(BINDING) and names - {"quota", "no_dues"}, names


def _no_pact_excess(order: str = "pro_rata") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per good: what no_pact ships beyond the pact, per run, and the pact's binding codes."""
    change = {"soviet_union.dues_order": order}
    pact = run(scenario("baseline").with_overrides(change))
    none = run(scenario("no_pact").with_overrides(change))
    last = list(pact.months).index("1941-06")
    return {
        good: (
            to_invasion(none, good) - to_invasion(pact, good),
            pact.trajectory["binding"][: last + 1, :, g].astype(int),
        )
        for g, (good, unit) in enumerate(zip(pact.goods, pact.units, strict=True))
        if unit != "RM"  # machinery goes the other way
    }


def test_no_pact_ships_less_of_every_good_than_the_pact_on_average():
    for good, (more, _) in _no_pact_excess().items():
        assert more.mean() <= 1e-6, f"{good}: no_pact ships {more.mean():,.0f} more on average"


def test_no_pact_ships_less_of_every_good_than_the_pact_in_every_run():
    """Issue 11 asks for every run. Before issue 22 the pooled railway and value pacing cut
    every good in proportion, so the small pre-pact flow passed where the pact's was cut
    (seed 11, 60 runs: chrome and iron ore more in 6 runs each); since each good has its
    own share of the routes and of the paced value by the export plan, none does."""
    for good, (more, _) in _no_pact_excess().items():
        assert (more <= 1.0).all(), (
            f"{good}: no_pact ships more in {int((more > 1.0).sum())} of {RUNS} runs"
        )


def test_served_by_seniority_no_pact_ships_more_only_where_pacing_cut_the_pact():
    """With the earlier agreements served first (scenarios/dues_by_seniority.toml), Schedule C
    keeps its room on the railway; no_pact then ships more of a good only in runs where the
    USSR's pacing of the pact's larger deliveries cut it (measured: iron ore, 1 run in 60, 3 %)."""
    for good, (more, codes) in _no_pact_excess("seniority").items():
        for r in np.flatnonzero(more > 1.0):
            assert (codes[:, r] == BINDING_CODE["pacing"]).any(), (good, int(r))


def test_the_spring_1940_suspension_emerges_in_most_runs_at_varying_months():
    result = baseline()
    months = list(result.months)
    a, b = months.index("1940-02"), months.index("1940-06")
    suspended = result.trajectory["suspended"][a : b + 1] > 0  # (T, R)
    hit = suspended.any(axis=0)
    assert hit.mean() >= 0.8
    first = suspended[:, hit].argmax(axis=0)
    assert len(np.unique(first)) >= 2, "every run suspends in the same month, like a clock"


@pytest.mark.parametrize("name", ["soviet_full_quota", "jan_1941_quotas_doubled"])
def test_the_new_counterfactuals_are_valid_and_act(name):
    result = run(scenario(name))
    assert to_invasion(result, "grain").mean() >= to_invasion(baseline(), "grain").mean()
    if (
        name == "soviet_full_quota"
    ):  # every quota on schedule: much more of everything that was short
        for good in ("grain", "manganese", "chrome"):
            assert to_invasion(result, good).mean() > 1.15 * to_invasion(baseline(), good).mean(), (
                good
            )
        # oil: every due, row 41's 900 kt of the first year and 5/18 of the second agreement's
        # 1,350 kt (row 59), in every run -- more than the baseline, which since the pacing
        # reckons what Germany owes by each agreement ships ~87 % of it
        oil = to_invasion(result, "oil")
        assert oil == pytest.approx(np.full_like(oil, 900_000 + 1_350_000 * 5 / 18), rel=1e-4)
        assert oil.mean() > 1.05 * to_invasion(baseline(), "oil").mean()


def test_an_oil_embargo_is_recorded_as_policy_not_supply():
    result = run(scenario("soviet_oil_embargo_1940"))
    months = list(result.months)
    g = list(result.goods).index("oil")
    a, b = months.index("1940-02"), months.index("1941-06")
    codes = result.trajectory["binding"][a : b + 1, :, g].astype(int)
    assert (codes == BINDING_CODE["suspension"]).mean() > 0.95
    assert to_invasion(result, "oil", "1940-01").max() == pytest.approx(0.0, abs=1.0)


def test_barter_only_holds_the_dues_while_germany_is_in_arrears():
    """The barter_only rule (one module, one registry line, one schema entry): with it the
    USSR ships a fraction of the baseline's oil to the invasion and arrears stay small."""
    from model.engine.outcomes import outcomes_table
    from model.engine.runner import simulate
    from model.files.scenario import load

    rows = {
        name: outcomes_table(simulate(load(name), n_runs=1)).iloc[0]
        for name in ("baseline", "barter_only")
    }
    base, barter = rows["baseline"], rows["barter_only"]
    assert barter["soviet_to_invasion_oil"] < 0.5 * base["soviet_to_invasion_oil"]
    assert barter["arrears_rm_max"] < 0.5 * base["arrears_rm_max"]
    assert barter["suspension_months"] > base["suspension_months"]
