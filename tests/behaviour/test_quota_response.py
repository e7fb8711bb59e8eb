"""More quota never ships less (issue 22, item 2): the routes share their room by plan, not by demand.

The border crossings and the German ships for timber allot their room among goods by the
USSR's export plan (model.actors.soviet_union.SovietUnion._allot), so asking more of one good
never takes room from another. What may still reorder goods is the Soviet policy, a sourced
brake: the value paced against German counter-deliveries (row 37) and the balancing
suspensions (rows 38, 51, 53). Without those, doubling every quota must never ship less of
any good in any run; with them, a run that ships less of a good must show the policy
binding on that good.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from model.actors.soviet_policy import BINDING_CODE
from model.engine.runner import simulate
from model.files.scenario import Scenario, load
from tests.baseline_citations import BASELINE

N_RUNS = 20
TREATIES = ("commercial_1940", "bessarabia_1940", "january_1941")
GOODS = ("oil", "grain", "manganese", "chrome", "phosphates", "fats", "cotton", "timber")
BRAKES = {BINDING_CODE["pacing"], BINDING_CODE["suspension"]}


def scaled(base: Scenario, factor: float, policy: bool) -> Scenario:
    data = copy.deepcopy(dict(base.data))
    for t in TREATIES:
        for quota in data["treaties"][t].get("quotas", {}).values():
            quota["quantity"] = quota["quantity"] * factor
        if not policy:
            data["treaties"][t].pop("reciprocity", None)
    if not policy:
        data["soviet_union"]["policy"] = {"border_rail": {}}
    return Scenario(base.name, base.path, data, base.files)


def shipped(scenario: Scenario):
    r = simulate(scenario, n_runs=N_RUNS, seed=0, variables=["soviet_deliveries", "binding"])
    m = list(r.months)
    window = slice(m.index("1939-09"), m.index("1941-06") + 1)
    g = list(r.goods)
    totals = {
        x: r.trajectory["soviet_deliveries"][window, :, g.index(x)].sum(axis=0) for x in GOODS
    }
    binding = {x: r.trajectory["binding"][window, :, g.index(x)] for x in GOODS}
    return totals, binding


@pytest.fixture(scope="module")
def base():
    return load(BASELINE)


def test_without_the_policy_brakes_more_quota_never_ships_less(base):
    before, _ = shipped(scaled(base, 1.0, policy=False))
    after, binding = shipped(scaled(base, 2.0, policy=False))
    for good in GOODS:
        less = after[good] < before[good] * (1 - 1e-5) - 1e-3  # float32 trajectories
        assert not less.any(), f"{good}: less shipped in {int(less.sum())} of {N_RUNS} runs"
    # the routes do bind: the test is not passing because nothing limits the trade
    assert (binding["grain"] == BINDING_CODE["rail"]).any()
    assert (binding["timber"] == BINDING_CODE["lifting"]).any()


def test_with_the_policy_a_good_ships_less_only_where_the_policy_binds_on_it(base):
    before, _ = shipped(base)
    after, binding = shipped(scaled(base, 2.0, policy=True))
    for good in GOODS:
        less = after[good] < before[good] * (1 - 1e-5) - 1e-3  # float32 trajectories
        braked = np.isin(binding[good], list(BRAKES)).any(axis=0)
        assert not (less & ~braked).any(), (
            f"{good}: less shipped without the policy binding in {int((less & ~braked).sum())} runs"
        )
