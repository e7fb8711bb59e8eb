"""The scenario schema: what it accepts, what it rejects, and how it names the problem.

The malformed-file corpus (``scenario_corpus/``, exercised through the CLI in
``test_scenario_commands.py``) covers one rejection per file; here the same rules are
checked directly on resolved data, together with the schema's own consistency with the
model code (rule registry, share-named keys, the Soviet route) and a fuzz property: for
any damaged scenario, ``validate`` either accepts it or raises ``ScenarioError`` --
nothing else.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.errors import ScenarioError
from model.files.scenario import load
from model.files.schema import SCENARIO, validate
from model.treaties.rules import RULES
from model.world.keypaths import get_path, set_path, walk
from model.world.nodes import ListOf, MapOf, Number, Table

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
BASELINE = load(ROOT / "scenarios" / "baseline.toml")


def damaged(path: str, value: Any) -> dict:
    data = copy.deepcopy(dict(BASELINE.data))
    set_path(data, path, value)
    return data


def rejection(data: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        validate(data, Path("damaged.toml"))
    return info.value


# ---------------------------------------------------------------------------------------
# what is accepted
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_is_valid(path):
    scenario = load(path)
    assert scenario.name == path.stem


@pytest.mark.parametrize(
    "path, value",
    [
        ("events.invasion", "none"),
        (
            "events.invasion",
            {"dist": "choice", "values": ["1941-05", "1941-06"], "weights": [1, 3]},
        ),
        ("events.invasion", {"dist": "uniform", "low": "1941-05", "high": "1941-07"}),
        ("treaties.commercial_1940.from", "none"),
        ("treaties.commercial_1940.signed", "none"),
        ("treaties.transit_1939.transit.from", "none"),
        ("treaties.transit_1939.transit.goods", []),
        (
            "treaties.commercial_1940.from",
            "1934-01",
        ),  # treaty windows may lie outside the scenario window
        (
            "treaties.commercial_1940.quotas.oil",
            {"value_rm": 85_500_000, "from": "1940-02", "to": "1941-01"},
        ),
        ("treaties.commercial_1940.quotas.oil.profile", "front_loaded"),
        ("germany.exports.lots", []),
        ("germany.exports.withheld", {}),
        ("germany.synthetic.oil.capacity_lost", [{"from": "1940-06", "share": 0.3}]),
        ("germany.initial_stock.oil", {"dist": "normal", "mean": 2.4e6, "sd": 5e5, "low": 0}),
        ("germany.initial_stock.oil", {"dist": "lognormal", "median": 2.4e6, "sigma": 0.3}),
        ("blockade.effectiveness", 1),
        ("routes.narvik.close_from", "none"),
        ("goods.tin", {"unit": "t", "price_rm_per_unit": 3000.0}),
    ],
)
def test_accepts(path, value):
    validate(damaged(path, value), Path("ok.toml"))


# ---------------------------------------------------------------------------------------
# what is rejected, and where
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, value, key_path, fragment",
    [
        ("window.start", "1939-6", "window.start", "expected a month 'YYYY-MM'"),
        ("window.end", 1942, "window.end", "expected a month"),
        (
            "treaties.commercial_1940.quotas.oil.quantity",
            -1,
            "treaties.commercial_1940.quotas.oil.quantity",
            "non-negative",
        ),
        (
            "treaties.commercial_1940.quotas.oil.quantity",
            math.nan,
            "treaties.commercial_1940.quotas.oil.quantity",
            "finite",
        ),
        (
            "germany.synthetic.oil.schedule[2].t_per_month",
            -340_000,
            "germany.synthetic.oil.schedule[2].t_per_month",
            "non-negative",
        ),
        (
            "germany.synthetic.oil.schedule[2].from",
            "1941-00",
            "germany.synthetic.oil.schedule[2].from",
            "does not exist",
        ),
        (
            "germany.synthetic.oil.utilisation",
            1.01,
            "germany.synthetic.oil.utilisation",
            "share between 0 and 1",
        ),
        ("routes.baltic.winter_capacity_share", 2, "routes.baltic.winter_capacity_share", "share"),
        (
            "treaties.credit_1939.credit.interest_share_per_year",
            -0.05,
            "treaties.credit_1939.credit.interest_share_per_year",
            "share",
        ),
        ("routes.baltic.transit_months", True, "routes.baltic.transit_months", "whole number"),
        ("routes.baltic.transit_months", 1.0, "routes.baltic.transit_months", "whole number"),
        ("routes.baltic.winter_months", [1, 13], "routes.baltic.winter_months[1]", "1..12"),
        (
            "treaties.commercial_1940.reciprocity.review_interval_months",
            0,
            "treaties.commercial_1940.reciprocity.review_interval_months",
            "1..120",
        ),
        (
            "treaties.commercial_1940.quotas.oil.from",
            "none",
            "treaties.commercial_1940.quotas.oil.from",
            '"none" is not allowed',
        ),
        (
            "treaties.commercial_1940.quotas.oil.quantity",
            {"dist": "uniform", "low": 2, "high": 1},
            "treaties.commercial_1940.quotas.oil.quantity",
            "bad distribution",
        ),
        (
            "treaties.commercial_1940.quotas.oil.quantity",
            {"dist": "choice", "values": 5},
            "treaties.commercial_1940.quotas.oil.quantity",
            "non-empty list",
        ),
        (
            "treaties.commercial_1940.quotas.oil.quantity",
            {"dist": ["x"]},
            "treaties.commercial_1940.quotas.oil.quantity",
            "bad distribution",
        ),
        (
            "germany.harvest.shock_sd",
            {"dist": "uniform", "low": 0, "high": 0.1},
            "germany.harvest.shock_sd",
            "not sampled",
        ),
        ("germany.harvest.good", "maize", "germany.harvest.good", "unknown good 'maize'"[:12]),
        (
            "germany.substitution.nickel.to",
            "vanadium",
            "germany.substitution.nickel.to",
            'unknown good "vanadium"',
        ),
        ("germany.exports.mix.caviar", 0.1, "germany.exports.mix.caviar", "unknown good"),
        (
            "germany.exports.withheld",
            {"from": "1941-01"},
            "germany.exports.withheld.goods",
            "missing",
        ),
        (
            "germany.exports.lots[0].month",
            "1943-05",
            "germany.exports.lots[0].month",
            "within the scenario window",
        ),
        (
            "germany.war_phases.multipliers",
            {"peace": 0.35, "war": 1.0},
            "germany.war_phases.schedule[1].phase",
            'unknown war phase "mobilisation"',
        ),
        (
            "treaties.transit_1939.transit.route",
            "silk_road",
            "treaties.transit_1939.transit.route",
            "unknown route",
        ),
        (
            "treaties.commercial_1940.third_party_purchase.copper.supplier",
            "chile",
            "treaties.commercial_1940.third_party_purchase.copper.supplier",
            "unknown supplier",
        ),
        (
            "treaties.commercial_1940.quotas.oil.to",
            "1939-01",
            "treaties.commercial_1940.quotas.oil.to",
            "is before 'from'",
        ),
        (
            "treaties.credit_1939.values.soviet_to",
            "1939-01",
            "treaties.credit_1939.values.soviet_to",
            "is before 'soviet_from'",
        ),
        ("blockade.preemption[0].to", "1939-12", "blockade.preemption[0].to", "is before 'from'"),
        (
            "treaties.transit_1939.transit.to",
            "1939-09",
            "treaties.transit_1939.transit.to",
            "is before 'from'",
        ),
        (
            "events.conquests.balkans.month",
            "1938-04",
            "events.conquests.balkans.month",
            "within the scenario window",
        ),
        (
            "events.conquests.occupied_ussr.months_after_invasion",
            -4,
            "events.conquests.occupied_ussr.months_after_invasion",
            ">= 0",
        ),
        (
            "suppliers.far_east.route_groups",
            [["north_sea"], []],
            "suppliers.far_east.route_groups[1]",
            "at least 1",
        ),
        ("shocks.blockade_noise_sd", -0.02, "shocks.blockade_noise_sd", "non-negative"),
        ("title", 7, "title", "expected a text"),
        ("goods.oil.critical", "yes", "goods.oil.critical", "true or false"),
    ],
)
def test_rejects(path, value, key_path, fragment):
    err = rejection(damaged(path, value))
    assert err.key_path == key_path
    assert fragment in err.expected
    assert str(err) == f"damaged.toml: {key_path}: {err.expected}"
    assert "\n" not in str(err)


def test_unknown_key_lists_the_allowed_keys():
    err = rejection(damaged("germany.rationing.cover_months", 4.0))
    assert err.key_path == "germany.rationing.cover_months"
    assert (
        "allowed keys here: cover_threshold_months, civil_floor_share, military_priority"
        in err.expected
    )


def test_unknown_rule_lists_the_registry():
    err = rejection(damaged("treaties.january_1941.barter", {}))
    assert all(name in err.expected for name in RULES)


def test_the_first_problem_in_file_order_is_reported():
    data = damaged("germany.initial_stock.oil", -1)
    set_path(data, "treaties.commercial_1940.quotas.oil.quantity", -1)
    assert rejection(data).key_path == "germany.initial_stock.oil"


def test_window_is_checked_before_anything_that_depends_on_it():
    data = damaged("window.end", "1942-13")
    set_path(data, "events.invasion", "1944-01")
    assert rejection(data).key_path == "window.end"


def test_scenario_without_invasion_phase_needs_a_campaign_phase():
    data = damaged(
        "germany.war_phases.multipliers", {"peace": 0.35, "mobilisation": 0.7, "occupation": 0.7}
    )
    data["germany"]["war_phases"]["schedule"] = [{"from": "1939-06", "phase": "peace"}]
    del data["germany"]["war_phases"]["invasion_phase"]
    del data["germany"]["war_phases"][
        "good_multipliers"
    ]  # it names the eastern_war phase removed above
    err = rejection(data)
    assert err.key_path == "germany.war_phases.invasion_phase" and "campaign" in err.expected


def test_missing_required_key():
    data = copy.deepcopy(dict(BASELINE.data))
    del data["germany"]["rationing"]["civil_floor_share"]
    err = rejection(data)
    assert err.key_path == "germany.rationing.civil_floor_share" and err.expected.startswith(
        "missing"
    )


# ---------------------------------------------------------------------------------------
# the schema agrees with the model code
# ---------------------------------------------------------------------------------------
def schema_fields(node, prefix=""):
    """(key path pattern, node) for every named field of the schema."""
    if isinstance(node, Table):
        for key, child in node.fields.items():
            yield f"{prefix}.{key}".lstrip("."), child
            yield from schema_fields(child, f"{prefix}.{key}")
    elif isinstance(node, MapOf):
        yield from schema_fields(node.value, f"{prefix}.*")
    elif isinstance(node, ListOf):
        yield from schema_fields(node.item, f"{prefix}[]")


SHARE_NAMES = ("_share", "share", "effectiveness", "utilisation", "blockade_exposure")


def test_every_share_named_key_is_a_share():
    shares = [(p, n) for p, n in schema_fields(SCENARIO) if p.split(".")[-1].endswith(SHARE_NAMES)]
    assert len(shares) >= 13
    for path, node in shares:
        if isinstance(node, MapOf):  # a share per good
            node = node.value
        assert isinstance(node, Number) and (node.low, node.high) == (0, 1), path


def test_the_treaty_and_policy_tables_are_built_from_their_registries():
    """Each rule declares its own sub-table; the scenario schema holds those very nodes."""
    from model.actors.soviet_policy import POLICIES
    from model.treaties.rules import TREATY_KEYS

    treaty = SCENARIO.fields["treaties"].value
    assert tuple(treaty.fields) == TREATY_KEYS
    assert all(treaty.fields[name] is rule.SCHEMA for name, rule in RULES.items())
    policy = SCENARIO.fields["soviet_union"].fields["policy"]
    assert all(policy.fields[name] is rule.SCHEMA for name, rule in POLICIES.items())


def test_every_distribution_in_the_baseline_sits_on_a_sampled_key():
    """The baseline's distributions are accepted, and each is on a key the schema samples."""
    assert len(BASELINE.uncertain()) >= 20
    for path, _spec in BASELINE.uncertain():
        data = damaged(path, {"dist": "choice", "values": [get_path(BASELINE.data, path)["dist"]]})
        err = rejection(data)  # a choice of a text is wrong, but not "not sampled"
        assert "not sampled" not in err.expected, path


# ---------------------------------------------------------------------------------------
# extends by relative path (model/files/scenario.py)
# ---------------------------------------------------------------------------------------
def test_extends_accepts_a_relative_path(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "child.toml").write_text(
        f'extends = "{Path("..", "..", "base")}"\nname = "child"\n[events]\ninvasion = "none"\n'
    )
    (tmp_path / "base.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text())
    scenario = load(tmp_path / "deep" / "er" / "child.toml")
    assert scenario.get("events.invasion") == "none"
    assert scenario.get("window.start") == "1939-06"
    assert [Path(f).name for f, _ in scenario.files] == ["base.toml", "child.toml"]


def test_extends_to_a_missing_relative_path_names_the_folder(tmp_path):
    (tmp_path / "child.toml").write_text('extends = "sub/base"\n')
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "child.toml")
    assert info.value.key_path == "extends" and str(tmp_path / "sub") in info.value.expected


# ---------------------------------------------------------------------------------------
# fuzz: validate never fails with anything but ScenarioError
# ---------------------------------------------------------------------------------------
LEAF_PATHS = [p for p, _ in walk(BASELINE.data)]
TABLE_PATHS = sorted({p.rsplit(".", 1)[0] for p in LEAF_PATHS if "." in p})
scalars = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(["none", "1940-13", "1941-06", "1933-01", "oil", "trans_siberian", "peace"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["dist", "low", "high", "mode", "values", "from", "to", "x"]),
            inner,
            max_size=4,
        ),
        st.fixed_dictionaries(
            {
                "dist": st.sampled_from(
                    ["uniform", "triangular", "normal", "lognormal", "choice", "x"]
                )
            },
            optional={
                "low": inner,
                "mode": inner,
                "high": inner,
                "mean": inner,
                "sd": inner,
                "median": inner,
                "sigma": inner,
                "values": inner,
                "weights": inner,
            },
        ),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.one_of(
            st.tuples(st.just("set"), st.sampled_from(LEAF_PATHS + TABLE_PATHS), junk),
            st.tuples(st.just("delete"), st.sampled_from(LEAF_PATHS + TABLE_PATHS), st.none()),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_validate_raises_only_scenario_errors(edits):
    data = copy.deepcopy(dict(BASELINE.data))
    for action, path, value in edits:
        try:
            parent_path, _, key = path.rpartition(".")
            parent = get_path(data, parent_path) if parent_path else data
            if action == "set":
                set_path(data, path, value)
            elif isinstance(parent, dict) and key in parent:
                del parent[key]
        except (KeyError, TypeError, IndexError, ValueError):
            continue  # an earlier edit removed or replaced the path
    try:
        validate(data, Path("fuzz.toml"))
    except ScenarioError as err:
        assert err.file == "fuzz.toml"
        assert "\n" not in str(err)


def test_a_rule_with_a_misspelt_phase_is_refused_at_registration():
    """The registry checks the protocol: a typo in ``phases`` (or a phase without its method)
    is an error naming the rule, never a rule that silently never acts."""
    from model.treaties.rules import register

    class Typo:
        phases = ("obligation",)

        @classmethod
        def build(cls, path, table, view, goods):
            return cls()

        def obligation(self, month, treaty, active, state):
            pass

    class NoMethod:
        phases = ("clearing",)

        @classmethod
        def build(cls, path, table, view, goods):
            return cls()

    with pytest.raises(TypeError, match="'typo' \\(Typo\\): phases must be a tuple of obligations"):
        register({"typo": Typo})
    with pytest.raises(TypeError, match=r"'half' \(NoMethod\) lacks clearing\(\)"):
        register({"half": NoMethod})
    NoSchema = type("NoSchema", (NoMethod,), {"clearing": lambda self, *a: None})
    with pytest.raises(TypeError, match=r"'bare' \(NoSchema\) declares no SCHEMA node"):
        register({"bare": NoSchema})
    assert register({"quotas": RULES["quotas"]}) == {"quotas": RULES["quotas"]}
