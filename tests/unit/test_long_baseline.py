"""The whole arc (issue 19): long_baseline.toml's inputs, its rules and its validation.

- every number long_baseline.toml sets states its source or basis, under baseline.toml's
  rules (tests/unit/test_baseline_sources.py), and its arrays repeat baseline.toml's
  entries from 1939-06 on;
- no input of the long run -- its own, and baseline.toml's where it does not replace them --
  cites a row that a validation target of the long run uses;
- the engine's rules for a 1934 start act: dated demand, the stockpiling rule within its
  foreign-exchange limit, each credit line drawn on its own, the Soviet policy counting
  from 1939-06, prewar.toml equal to long_baseline.toml to 1939-08;
- ``pactsim validate --scenario long_baseline`` shows both groups with the 1934-39 targets.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from model.analysis.validation import DEFAULT_TARGETS, load_targets
from model.cli import main
from model.engine.runner import simulate
from model.engine.simulation import PactModel
from model.errors import ScenarioError
from model.files.scenario import Scenario, get_path, load
from model.files.schema import validate
from model.world.calendar import parse_month
from tests.baseline_citations import BASELINE, aliases, entries, expand, rows_cited
from tests.unit.test_baseline_sources import STRUCTURAL, sourced

ROOT = Path(__file__).resolve().parents[2]
LONG = ROOT / "scenarios" / "long_baseline.toml"
LONG_TARGETS = ROOT / "scenarios" / "validation" / "targets_long_baseline.toml"


@pytest.fixture(scope="module")
def long() -> Scenario:
    return load(LONG)


@pytest.fixture(scope="module")
def central(long):
    return simulate(long, n_runs=1, seed=0, sample=False)


def _month(result, label: str) -> int:
    return list(result.months).index(label)


# ---------------------------------------------------------------------------------------
# the inputs
# ---------------------------------------------------------------------------------------
def test_every_number_of_the_long_baseline_states_its_source():
    missing = []
    checked = 0
    for e in entries(LONG):
        key = e.path.rsplit(".", 1)[-1].split("[")[0]
        value = e.value.split("#", 1)[0].strip()
        if not value or key in STRUCTURAL or not any(c.isdigit() for c in value):
            continue
        if value.startswith('"'):
            continue
        checked += 1
        if not sourced(e.comment):
            missing.append(f"line {e.line}: {e.path} = {value[:40]}  # {e.comment[:60]}")
    assert checked > 40
    assert not missing, "numbers without a source or basis:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "path",
    [
        "germany.synthetic.oil.schedule",
        "germany.synthetic.rubber.schedule",
        "germany.exports.capacity_rm_per_month",
    ],
)
def test_replaced_arrays_repeat_the_baselines_entries_from_1939(long, path):
    base = get_path(load(BASELINE).data, path)
    ours = [
        e for e in get_path(long.data, path) if parse_month(e["from"]) >= parse_month("1939-06")
    ]
    assert ours == base


def _validation_rows(paths) -> set[str]:
    rows: set[str] = set()
    for path in paths:
        for t in load_targets(path, load(LONG)):
            if t.role == "validation":
                for row in t.rows:
                    rows |= rows_cited(row)
    return expand(rows, aliases())


def test_no_input_of_the_long_run_cites_a_validation_target():
    banned = _validation_rows([DEFAULT_TARGETS, LONG_TARGETS])
    assert {"row 24", "R9", "O34", "G8"} <= banned
    own = entries(LONG)
    replaced = {e.path for e in own if e.value}
    redocumented = {e.path for e in own if not e.value}  # a table's own comment lines
    inherited = [
        e
        for e in entries(BASELINE)
        if not any(e.path == p or e.path.startswith((p + ".", p + "[")) for p in replaced)
        and not (not e.value and e.path in redocumented)
    ]
    offending = []
    for e in [*own, *inherited]:
        hit = expand(rows_cited(e.comment), aliases()) & banned
        if hit:
            offending.append(f"{e.path} cites {sorted(hit)}: {e.comment[:90]}")
    assert not offending, "\n".join(offending)


def test_the_row_a_baseline_input_cites_makes_a_long_target_calibration():
    """O43/row 90 and G1 are cited by inputs the long run keeps (the rationing threshold,
    the 1939-42 harvest), so their 1939 stock targets are calibration checks; the yearly
    trade values (rows 8, 9, 12) and the credit drawn (row 24) are validation (issue 19:
    at least four validation targets dated before 1939-06)."""
    targets = load_targets(LONG_TARGETS, load(LONG))
    roles = {t.id: t.role for t in targets}
    assert (
        roles["german_oil_stock_outbreak"] == roles["german_grain_stock_jul_1939"] == "calibration"
    )
    assert roles["credit_1935_drawn"] == roles["german_rubber_stock_mid_1939"] == "validation"
    dated_before = [t.id for t in targets if t.first < "1939-06" and t.role == "validation"]
    assert len(dated_before) >= 4, dated_before
    assert {"soviet_value_1934", "soviet_value_1937", "german_value_1937"} <= set(dated_before)


# ---------------------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------------------
def test_demand_and_output_follow_their_dated_tables(central):
    oil = list(central.goods).index("oil")
    demand = central.trajectory["demand"][:, 0, oil]
    # 1938: O6's 552 kt a month (civil 426 + peace military 0.35 x 360); 1940: the baseline's
    assert demand[_month(central, "1938-06")] == pytest.approx(426_000 + 0.35 * 360_000)
    assert demand[_month(central, "1934-06")] == pytest.approx(241_000 + 0.35 * 360_000)
    grain = list(central.goods).index("grain")
    civil_grain = central.trajectory["civil_demand"][:, 0, grain]
    assert civil_grain[_month(central, "1939-07")] == pytest.approx(1_000_000)
    assert civil_grain[_month(central, "1939-08")] == pytest.approx(1_290_000)


def test_nothing_before_1934_is_injected_and_trade_flows_from_the_start(central):
    imports = central.dataset()["imports"]
    us_oil = imports.sel(supplier="united_states", good="oil").values[0]
    assert us_oil[: _month(central, "1939-06")].sum() > 10e6  # the normal trade, by sea
    soviet = central.trajectory["soviet_delivered_rm"][:, 0]
    assert (
        soviet[_month(central, "1934-12")] > 150e6
    )  # rows 23's debt service and current orders, not zero


def test_the_plan_buys_within_its_exchange_and_moves_the_stocks(long):
    no_normal = long.with_overrides({"germany.stockpiling.normal_trade.from": "none"})
    model = PactModel(no_normal, n_runs=1, seed=0)
    grain = model.goods.index("grain")
    fx = get_path(long.data, "germany.stockpiling.four_year_plan.fx_rm_per_month")
    spent, cleared = [], []
    for _ in range(model.window.n_months):
        price = model.goods.price_at(model.month)  # the 1930s oil price (goods.price_by_period)
        model.step()
        value = model.stockpiling.bought[0] * price
        spent.append(float(value.sum() - value[grain]))  # paid in foreign exchange
        cleared.append(float(value[grain]))  # Romanian grain, paid on the clearing (O11)
    spent, cleared = np.array(spent), np.array(cleared)
    first = parse_month("1936-10") - parse_month("1934-01")
    last = parse_month("1939-08") - parse_month("1934-01")
    assert spent[:first].max() == 0.0 and spent[last + 1 :].max() == 0.0
    assert spent[first : last + 1].max() <= fx * (1 + 1e-9)
    assert spent[first : last + 1].sum() > 0.9 * fx * (last + 1 - first)  # the limit binds
    # the clearing is outside the limit: grain is bought beyond the whole exchange
    assert cleared[first : last + 1].max() > fx
    without = load(ROOT / "scenarios" / "no_four_year_plan_stockpiling.toml")
    a = simulate(long, n_runs=1, seed=0, sample=False)
    b = simulate(without, n_runs=1, seed=0, sample=False)
    t, before = _month(a, "1939-08"), _month(a, "1936-09")
    goods = list(a.goods)
    for good in ("oil", "rubber", "manganese", "grain"):
        g = goods.index(good)
        assert a.trajectory["stock"][before, 0, g] == b.trajectory["stock"][before, 0, g]
        assert a.trajectory["stock"][t, 0, g] > b.trajectory["stock"][t, 0, g]
    # the stockpile grows on top of the normal trade instead of crowding it out: most of the
    # exchange goes to oil (its share of the value of the gaps), ~1 Mt over 32 months
    oil, may = goods.index("oil"), _month(a, "1939-05")
    assert a.trajectory["stock"][may, 0, oil] - b.trajectory["stock"][may, 0, oil] > 0.8e6


def test_the_clearing_purchases_are_bounded_by_the_suppliers_route(long):
    """Romanian grain outside the exchange limit arrives no faster than the Danube route
    carries it (its central capacity, 165 kt a month, symmetric): the route binds."""
    cap = 165_000
    a = simulate(long, n_runs=1, seed=0, sample=False)
    imports = a.dataset()["imports"].sel(supplier="romania", good="grain").values[0]
    plan = slice(_month(a, "1937-01"), _month(a, "1939-05") + 1)
    assert imports.max() <= cap * (1 + 1e-6)
    assert np.median(imports[plan]) == pytest.approx(cap, rel=1e-6)


def test_each_credit_line_is_drawn_on_its_own(central):
    drawn = central.trajectory["credit_drawn_rm"][:, 0]
    assert drawn[_month(central, "1939-07")] == pytest.approx(200e6)  # row 23's line, all of it
    # the 1939 line is not used up by the 1935 one: it is drawn from 1939-08 on
    assert drawn[_month(central, "1941-06")] - drawn[_month(central, "1939-07")] > 50e6


def test_prewar_is_the_long_run_cut_at_1939_08():
    a = simulate(load(LONG), n_runs=3, seed=0)
    b = simulate(load(ROOT / "scenarios" / "prewar.toml"), n_runs=3, seed=0)
    n = len(b.months)
    assert list(b.months)[-1] == "1939-08"
    assert np.array_equal(a.trajectory["stock"][:n], b.trajectory["stock"][:n])


def test_a_stockpiled_good_needs_a_supplier_that_trades_it(long):
    data = copy.deepcopy(dict(long.data))
    data["germany"]["stockpiling"]["four_year_plan"]["goods"]["oil"]["supplier"] = "sweden"
    with pytest.raises(ScenarioError) as err:
        validate(data, "long.toml")
    assert "germany.stockpiling.four_year_plan.goods.oil.supplier" in str(err.value)
    assert "'sweden' has no offer of 'oil'" in str(err.value)


# ---------------------------------------------------------------------------------------
# pactsim validate --scenario long_baseline
# ---------------------------------------------------------------------------------------
def test_validate_long_baseline_shows_both_groups_with_the_1930s_targets(capsys):
    assert main(["validate", "--scenario", "long_baseline", "--runs", "8", "--json"]) == 0
    import json

    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"credit_1935_drawn", "soviet_value_1934", "soviet_oil_to_invasion"} <= set(rows)
    assert {r["role"] for r in rows.values()} == {"calibration", "validation"}
    assert rows["soviet_value_1934"]["within_band"]


def test_validate_names_an_unknown_scenario_in_one_line(capsys):
    assert main(["validate", "--scenario", "no_such_scenario", "--runs", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no scenario 'no_such_scenario'" in err and "long_baseline" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------------------------------
# the registry of derived numbers (scenarios/validation/derivations_long_baseline.toml)
# ---------------------------------------------------------------------------------------
def _registry() -> list[dict]:
    import tomllib

    path = ROOT / "scenarios" / "validation" / "derivations_long_baseline.toml"
    return tomllib.loads(path.read_text())["derivation"]


@pytest.mark.parametrize("entry", _registry(), ids=lambda d: f"{d['key']}:{d.get('part', '')}")
def test_the_long_baselines_derived_numbers_hold(entry, long):
    from tests.unit.test_derivations import evaluate

    value = get_path(long.data, entry["key"])
    part = entry.get("part")
    if part is not None:
        value = value[part] if not isinstance(part, int) else value[part]["t_per_month"]
    got = evaluate(entry["formula"], entry["inputs"])
    assert got == pytest.approx(float(value), rel=entry.get("tolerance", 0.01))
    assert set(entry["rows"]) <= set(entry["quotes"])
    cited = set()
    for e in entries(LONG):
        key = entry["key"]
        if e.path == key or e.path.startswith(key + ".") or key.startswith(e.path + "."):
            cited |= rows_cited(e.comment)
    wanted = {r for r in entry["rows"] if rows_cited(r)}
    assert wanted <= cited, (
        f"{entry['key']}: long_baseline.toml does not cite {sorted(wanted - cited)}"
    )


def test_the_dashboard_runs_the_long_baseline_against_the_baseline_by_calendar_month():
    from model.presentation.dashboard import DashboardModel
    from model.presentation.dashboard_app import status_rows

    model = DashboardModel(
        scenario_file="long_baseline.toml", runs=1, scenario_folder=str(ROOT / "scenarios")
    )
    assert model.window.n_months == 108 and not model.refused
    model.step()
    assert all(row[2].startswith("—") for row in status_rows(model))  # 1934-01: no baseline month
    while model.month_label != "1940-08":
        model.step()
    rows = status_rows(model)
    ref = model.reference
    t = ref.months.index("1940-08")
    assert rows[1][2] == f"{ref.trajectory['arrears_rm'][t][0] / 1e6:,.1f}"
    while model.running:
        model.step()
    assert model.month_label == "1942-12"


def test_compare_reads_the_stocks_of_1939_09_and_1941_06_and_the_campaign_cover(central):
    from model.analysis.metrics import metrics_for
    from model.engine.outcomes import outcomes_table

    table = outcomes_table(central)
    oil = list(central.goods).index("oil")
    assert (
        table["stock_oil_1939_09"].iloc[0]
        == central.trajectory["stock"][_month(central, "1939-09"), 0, oil]
    )
    need = central.trajectory["military_demand"][_month(central, "1941-07"), 0, oil]
    eve = central.trajectory["stock"][_month(central, "1941-05"), 0, oil]
    assert table["campaign_cover_oil_1941_06"].iloc[0] == pytest.approx(eve / need)
    # the invasion-dated cover is the same where the scenario invades in 1941-06
    assert (
        table["campaign_cover_oil_invasion"].iloc[0] == table["campaign_cover_oil_1941_06"].iloc[0]
    )
    critical = ("oil", "grain", "rubber", "manganese", "chrome", "nickel", "tungsten")
    shown = {m.column for m in metrics_for(list(table.columns), {}, critical=critical)}
    assert {"stock_oil_1939_09", "stock_rubber_1941_06", "campaign_cover_min_1941_06"} <= shown
    assert "campaign_cover_min_invasion" in shown
    assert {"soviet_debt_rm_1939_09", "credit_drawn_rm_1941_06"} <= shown


def test_a_clearing_supplier_must_exist(long):
    data = copy.deepcopy(dict(long.data))
    data["germany"]["stockpiling"]["four_year_plan"]["clearing_suppliers"] = ["rumania"]
    with pytest.raises(ScenarioError) as err:
        validate(data, "long.toml")
    assert "germany.stockpiling.four_year_plan.clearing_suppliers[0]" in str(err.value)


def test_the_1930s_oil_is_valued_at_o5s_unit_value_and_the_pact_era_at_the_baselines(central):
    """goods.oil.price_by_period: Soviet oil of 1934-39 is valued (and RM due converted to
    tonnes) at O5's import unit value of the year, from 1939-06 at baseline.toml's 91 RM/t."""
    goods = list(central.goods)
    oil = goods.index("oil")
    base = load(ROOT / "scenarios" / "baseline.toml")
    reference = get_path(base.data, "goods.oil.price_rm_per_unit")
    model = PactModel(load(ROOT / "scenarios" / "long_baseline.toml"), n_runs=1, seed=0)
    assert model.goods.price_at(parse_month("1937-06"))[oil] == pytest.approx(230e6 / 4312957, 1e-3)
    assert model.goods.price_at(parse_month("1938-06"))[oil] == pytest.approx(267e6 / 4956750, 1e-3)
    assert model.goods.price_at(parse_month("1939-06"))[oil] == reference
    months = (parse_month("1934-01"), parse_month("1939-06"))
    prices = model.goods.price_at(np.array(months)[:, None])  # (T, 1, G) for month tables
    assert prices.shape == (2, 1, model.goods.n) and prices[1, 0, oil] == reference
    # every month's Soviet deliveries are valued at that month's prices
    shipped = central.trajectory["soviet_deliveries"][:, 0]  # (T, G)
    value = np.diff(central.trajectory["soviet_delivered_rm"][:, 0], prepend=0.0)
    upto = list(central.months).index("1939-12") + 1
    at_month = np.array([model.goods.price_at(parse_month(m)) for m in central.months[:upto]])
    assert value[:upto] == pytest.approx(
        (shipped[:upto] * at_month).sum(axis=1), rel=1e-6
    )  # float32 trajectories
    assert shipped[: list(central.months).index("1937-12") + 1, oil].sum() > 0
    # the baseline has no period: its prices are the reference array itself (golden unchanged)
    goods_of_baseline = PactModel(base, n_runs=1, seed=0).goods
    assert goods_of_baseline.price_at(parse_month("1939-06")) is goods_of_baseline.price_rm_per_unit


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ({"from": "1938-01", "to": "1937-12", "rm_per_unit": 53.3}, "price_by_period[0]"),
        (
            {"from": "1934-01", "to": "1937-12", "rm_per_unit": 0.0},
            "price_by_period[0].rm_per_unit",
        ),
        ({"from": "1934-01", "to": "1937-12"}, "price_by_period[0]"),
    ],
)
def test_a_wrong_price_period_is_named_in_one_line(long, entry, names):
    data = copy.deepcopy(dict(long.data))
    data["goods"]["oil"]["price_by_period"] = [entry]
    with pytest.raises(ScenarioError) as err:
        validate(data, "long.toml")
    assert f"goods.oil.{names}" in str(err.value) and "\n" not in str(err.value)
