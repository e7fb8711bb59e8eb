"""The Soviet export policy and the treaty terms as signed (issue 11), rule by rule.

- no key under ``soviet_union`` in the baseline cites the delivery rows 63-78;
- an unknown policy rule is rejected with the list of valid names, naming file and key path;
- Germany's counter-value as signed: 18/27 of the value received during the Soviet horizon,
  rising to all of it by month 27 (row 37), frozen once the treaty has ended;
- the binding-constraint record: codes per stage, shares, and the run summary's line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.actors.soviet_policy import BINDING, BINDING_CODE, binding_shares, describe_binding
from model.errors import ScenarioError
from model.files.scenario import load
from model.files.schema import validate
from model.treaties.values import ValuesRule
from tests.baseline_citations import entries, rows_cited

ROOT = Path(__file__).resolve().parents[2]
DELIVERY_ROWS = {f"row {n}" for n in range(63, 79)}


def test_no_soviet_key_cites_the_delivery_rows():
    cited = {
        e.path: sorted(rows_cited(e.comment) & DELIVERY_ROWS)
        for e in entries()
        if e.path.startswith("soviet_union")
    }
    assert len(cited) > 20  # the check reads the Soviet section
    offending = {path: rows for path, rows in cited.items() if rows}
    assert not offending, offending


def test_an_unknown_policy_rule_lists_the_valid_ones():
    data = load(ROOT / "scenarios" / "baseline.toml").data
    bad = {**data, "soviet_union": {**data["soviet_union"], "policy": {"pacing": {"lead_rm": 1.0}}}}
    with pytest.raises(ScenarioError) as err:
        validate(bad, "bad.toml")
    message = str(err.value)
    assert "bad.toml" in message and "soviet_union.policy.pacing" in message
    for name in ("suspension", "clearing_pacing", "political_events", "border_rail"):
        assert name in message


def horizons(start: int = 0) -> ValuesRule:
    R = 1
    return ValuesRule(
        soviet_rm=None, soviet_first=None, soviet_last=None, soviet_mix_units_per_rm=None,
        german_rm=None, german_ratio=None,
        soviet_horizon=np.full(R, 18.0), german_horizon=np.full(R, 27.0),
        german_first=np.full(R, start), german_last=np.full(R, start + 26),
        soviet_received_rm=np.zeros(R), ratio_held=np.zeros(R),
    )  # fmt: skip


def test_counter_value_as_signed_is_18_27_then_all_by_month_27():
    rule = horizons()
    assert rule.ratio(-1)[0] == 0.0  # before the treaty
    for month in (0, 5, 17):  # within the Soviet horizon: the ratio of the horizons
        assert rule.ratio(month)[0] == pytest.approx(18 / 27)
    assert rule.ratio(20)[0] == pytest.approx(21 / 27)  # 21 months of 27 owed on all of it
    assert rule.ratio(26)[0] == pytest.approx(1.0)
    assert rule.ratio(40)[0] == pytest.approx(1.0)


def test_binding_codes_name_the_last_stage_that_cut():
    """The step that binds is the last that cut: loosening an earlier one would only meet it."""
    from model.actors.soviet_union import SovietUnion

    due = np.array([[10.0, 10.0, 10.0, 10.0, 0.0, 10.0, 10.0]])
    supplied = np.array([[10.0, 2.0, 10.0, 10.0, 0.0, 10.0, 2.0]])  # goods 1 and 6: supply
    released = np.array([[10.0, 2.0, 0.0, 10.0, 0.0, 10.0, 2.0]])  # good 2: suspension
    paced = np.array([[10.0, 2.0, 0.0, 5.0, 0.0, 10.0, 2.0]])  # good 3: pacing
    shipped = np.array([[10.0, 2.0, 0.0, 5.0, 0.0, 8.0, 1.9]])  # goods 5 and 6: rail
    agent = SovietUnion.__new__(SovietUnion)  # only the recorder's state is needed
    # (agreements, runs, goods): two agreements whose stages add up to the arrays above
    agent._stages = tuple(
        np.stack([0.25 * s, 0.75 * s]) for s in (due, supplied, released, paced, shipped)
    )
    codes = [BINDING[c] for c in agent.binding()[0]]
    assert codes == ["quota", "supply", "suspension", "pacing", "no_dues", "rail", "rail"]


def test_the_earliest_agreement_is_served_first():
    from model.actors.soviet_union import _serve_goods

    dues = np.array([[[4.0, 6.0]], [[10.0, 10.0]]])  # (agreements by seniority, runs, goods)
    supplied = _serve_goods(dues, np.array([[8.0, 20.0]]))
    assert supplied.tolist() == [[[4.0, 6.0]], [[4.0, 10.0]]]
    unlimited = _serve_goods(supplied, np.full((1, 2), np.inf))
    assert np.array_equal(unlimited, supplied)


def _pacing(price):
    from types import SimpleNamespace

    from model.actors.soviet_policy import PacingPolicy

    rule = PacingPolicy.__new__(PacingPolicy)  # the rule's state, without a scenario
    rule.lead_rm, rule.price, rule.first = 10.0, np.asarray(price, dtype=float), np.zeros(1, int)
    rule.german_before = rule.soviet_before = rule.owed_before = np.zeros(1)
    rule.due_rm, rule.shipped_rm = np.zeros((1, len(price))), np.zeros((1, len(price)))
    ctx = SimpleNamespace(
        month=5,
        german_delivered_rm=np.array([30.0]),
        soviet_delivered_rm=np.array([0.0]),
        due_clearing_rm=np.array([0.0]),
        due_ratio=np.array([1.0]),
    )
    return rule, ctx


def test_pacing_gives_each_good_its_plan_share_whatever_the_others_owe():
    """40 RM allowed (30 delivered + a lead of 10), shared 3:1 by the plan's value; a good's
    room does not depend on another's dues, and what it shipped counts against its own."""
    plan_rm = np.array([[30.0, 10.0, 5.0]])  # good 2 is never owed: no share
    rule, ctx = _pacing([1.0, 2.0, 1.0])
    units = rule.budget_by_good(ctx, 1.0, np.array([[5.0, 1.0, 0.0]]), plan_rm)
    assert np.allclose(units, [[30.0, 5.0, 0.0]])  # 30 RM of good 0; 10 RM = 5 units of good 1
    more, _ = _pacing([1.0, 2.0, 1.0])
    units_more = more.budget_by_good(ctx, 1.0, np.array([[500.0, 1.0, 0.0]]), plan_rm)
    assert np.array_equal(units_more, units)  # 100x the dues of good 0: good 1 keeps its room
    rule.record(5, np.array([[10.0, 5.0, 0.0]]))
    ctx.soviet_delivered_rm = ctx.due_clearing_rm = np.array([20.0])  # owed at parity
    left = rule.budget_by_good(ctx, 1.0, np.zeros((1, 3)), plan_rm)
    assert np.allclose(left, [[20.0, 0.0, 0.0]])  # good 1 used its share; good 0 keeps 20 RM
    # what Germany owes is the treaties' reckoning: owed at 0.5 (a longer German horizon),
    # the same 20 RM leave 30 RM of room, at the new ratio 1 (a new agreement) worth 30 RM
    ctx.due_clearing_rm = np.array([10.0])
    assert np.isclose(rule.allowed_rm(ctx, 1.0)[0], 20.0 + 30.0)


def test_binding_shares_leave_out_months_without_dues():
    codes = np.array([BINDING_CODE[c] for c in ["no_dues", "supply", "supply", "rail", "quota"]])
    assert binding_shares(codes) == {"supply": 0.5, "rail": 0.25, "quota": 0.25}
    assert describe_binding(codes, top=1) == "supply 50%"  # ties go in the order of BINDING
    assert describe_binding(np.array([BINDING_CODE["no_dues"]])) == "nothing due"


def test_the_soviet_policy_rules_are_one_checked_registry_the_actor_never_names():
    """The policies are plug-ins under one protocol, checked as the treaty rules are: each
    acts in steps of POLICY_PHASES and implements them; the Soviet Union iterates the rules
    acting in a step and names none of them."""
    import ast

    from model.actors import soviet_policy
    from model.actors.soviet_policy import POLICIES, POLICY_PHASES
    from model.treaties.month import checked_registry

    for name, rule in POLICIES.items():
        assert rule.phases and set(rule.phases) <= set(POLICY_PHASES), name
        assert all(callable(getattr(rule, phase)) for phase in rule.phases)

    class Typo:
        phases = ("held_bak",)
        SCHEMA = soviet_policy.RailPolicy.SCHEMA

    with pytest.raises(TypeError, match=r"'typo' \(Typo\): phases must be a tuple of review"):
        checked_registry({"typo": Typo}, POLICY_PHASES, "Soviet policy rule")
    source = (ROOT / "model/actors/soviet_union.py").read_text()
    literals = {
        n.value
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    assert not literals & set(POLICIES), "the actor names a policy rule"
    baseline = load("baseline")
    from model.actors.soviet_policy import ExportPolicy
    from model.world.goods import GoodsCatalogue
    from model.world.parameters import ParameterView

    view = ParameterView(baseline, 1)
    policy = ExportPolicy.from_view(view, GoodsCatalogue.from_table(view.raw("goods")))
    in_force = [type(r) for r in policy.rules.values()]
    assert in_force == [rule for rule in POLICIES.values() if rule in in_force]  # registry order
    for phase in POLICY_PHASES:
        assert [type(r) for r in policy.acting(phase)] == [
            rule for rule in in_force if phase in rule.phases
        ]
    assert policy.acting("budget_by_good") and policy.acting("routes")  # the baseline paces, rails
