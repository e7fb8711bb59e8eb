"""Each mechanism on a hand-made tiny scenario, with numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.simulation import PactModel
from model.files.scenario import merge
from tests.tiny import far_east_rubber, tiny_scenario

MONTHS = [f"1940-{m:02d}" for m in range(1, 13)]


def run(changes: dict, n_runs: int = 1, audit: bool = True) -> PactModel:
    return PactModel(tiny_scenario(changes), n_runs=n_runs, audit=audit).run()


def good(model: PactModel, name: str) -> int:
    return model.goods.index(name)


def imports_from(model: PactModel, origin: str, good_name: str) -> np.ndarray:
    """Arrivals in Germany by month for run 0."""
    o, g = model.origins.index(origin), good(model, good_name)
    p = model.import_pairs.index((o, g))
    return model.trajectory["imports"][:, p, 0].astype(float)


TREATY = {
    "treaties": {
        "pact": {
            "title": "Test agreement",
            "parties": ["germany", "soviet_union"],
            "signed": "1940-01",
            "from": "1940-01",
            "to": "1940-12",
            "quotas": {"oil": {"quantity": 1200.0, "from": "1940-03", "to": "1940-08"}},
        }
    }
}


def test_a_quota_is_delivered_on_its_schedule():
    m = run(TREATY)
    oil = m.trajectory["soviet_deliveries"][:, 0, good(m, "oil")]
    expected = np.array([0, 0, 200, 200, 200, 200, 200, 200, 0, 0, 0, 0], dtype=float)
    np.testing.assert_allclose(oil, expected, rtol=1e-6)
    np.testing.assert_allclose(imports_from(m, "soviet_union", "oil"), expected, rtol=1e-6)


def test_a_front_loaded_quota_delivers_the_same_total_earlier():
    m = run(merge(TREATY, {"treaties": {"pact": {"quotas": {"oil": {"profile": "front_loaded"}}}}}))
    oil = m.trajectory["soviet_deliveries"][2:8, 0, good(m, "oil")].astype(float)
    assert oil.sum() == pytest.approx(1200.0, rel=1e-6)
    assert np.all(np.diff(oil) < 0)


def test_a_quota_beyond_the_soviet_surplus_is_carried_forward():
    changes = {**TREATY, "soviet_union": {"exportable_surplus_per_month": {"oil": 150.0}}}
    m = run(changes)
    oil = m.trajectory["soviet_deliveries"][:, 0, good(m, "oil")].astype(float)
    # Jan-Feb surplus (300 t) waits in the pool; from March 200 t/month are due.
    assert oil[2] == pytest.approx(200.0)
    assert oil[:9].sum() == pytest.approx(1200.0, rel=1e-6)  # the backlog is made good by September


BLOCKADED_SUPPLIER = {
    "suppliers": {
        "neutral": {
            "name": "A neutral",
            "routes": ["sea"],
            "offers": [{"good": "oil", "from": "1940-01", "to": "1940-12", "per_month": 1000.0}],
        }
    },
    "blockade": {"import_start": "1940-01", "effectiveness": 0.6, "ramp_months": 0},
}


def test_a_blockaded_sea_route_delivers_one_minus_effectiveness():
    m = run(BLOCKADED_SUPPLIER)
    arrivals = imports_from(m, "neutral", "oil")
    assert arrivals[0] == 0.0  # one month at sea
    np.testing.assert_allclose(arrivals[1:], 400.0, rtol=1e-6)
    np.testing.assert_allclose(m.trajectory["losses"][:, 0, good(m, "oil")], 600.0, rtol=1e-6)


def test_the_blockade_ramps_up_and_spares_overland_routes():
    ramp = {
        **BLOCKADED_SUPPLIER,
        "blockade": {"import_start": "1940-03", "effectiveness": 0.8, "ramp_months": 4},
    }
    m = run(ramp)
    losses = m.trajectory["losses"][:, 0, good(m, "oil")].astype(float)
    np.testing.assert_allclose(losses[:6], [0, 0, 200, 400, 600, 800], rtol=1e-6)
    overland = {
        **ramp,
        "suppliers": {"neutral": {**ramp["suppliers"]["neutral"], "routes": ["rail"]}},
    }
    m = run(overland)
    assert m.trajectory["losses"].max() == 0.0
    np.testing.assert_allclose(imports_from(m, "neutral", "oil"), 1000.0, rtol=1e-6)


def test_route_capacity_caps_arrivals_and_is_shared_in_proportion():
    changes = {
        "routes": {"rail": {"capacity_t_per_month": 300.0}},
        "suppliers": {
            "big": {
                "routes": ["rail"],
                "offers": [
                    {"good": "oil", "from": "1940-01", "to": "1940-12", "per_month": 1000.0}
                ],
            },
            "small": {
                "routes": ["rail"],
                "offers": [
                    {"good": "grain", "from": "1940-01", "to": "1940-12", "per_month": 500.0}
                ],
            },
        },
    }
    m = run(changes)
    np.testing.assert_allclose(imports_from(m, "big", "oil"), 200.0, rtol=1e-6)
    np.testing.assert_allclose(imports_from(m, "small", "grain"), 100.0, rtol=1e-6)


def test_rationing_cuts_civil_demand_before_military_demand():
    changes = {
        "germany": {
            "initial_stock": {"oil": 100.0},
            "civil_demand_per_month": {"oil": 100.0},
            "military_demand_per_month": {"oil": 80.0},
        }
    }
    m = run(changes)
    g = good(m, "oil")
    tr = m.trajectory
    assert tr["military_use"][0, 0, g] == pytest.approx(80.0)  # military first
    assert tr["consumption"][0, 0, g] == pytest.approx(100.0)  # civil gets the 20 t left
    assert tr["rationed"][0, 0, g] > 0  # civil demand was cut (cover 100/180 < 4 months)
    assert tr["shortage"][0, 0, g] > 0  # and still not all of the cut demand was met
    assert (
        tr["military_use"][1, 0, g] == 0.0 and tr["shortage"][1, 0, g] > 80.0
    )  # then nothing is left


def test_the_invasion_month_ends_the_treaties_and_the_transit():
    changes = {
        "treaties": {
            "pact": {
                **TREATY["treaties"]["pact"],
                "quotas": {"oil": {"quantity": 1200.0, "from": "1940-01", "to": "1940-12"}},
                "transit": {
                    "goods": ["rubber"],
                    "route": "trans_siberian",
                    "from": "1940-01",
                    "to": "1940-12",
                },
            }
        },
        "suppliers": {"far_east": far_east_rubber(50.0)},
        "blockade": {"import_start": "1940-01", "effectiveness": 0.95, "ramp_months": 0},
        "events": {"invasion": "1940-06"},
    }
    m = run(changes)
    tr = m.trajectory
    june = MONTHS.index("1940-06")
    soviet_oil = tr["soviet_deliveries"][:, 0, good(m, "oil")]
    assert np.all(soviet_oil[: june + 1] > 0) and np.all(soviet_oil[june + 1 :] == 0)
    assert np.all(tr["transit_t"][: june + 1, 0] == pytest.approx(50.0))
    assert np.all(tr["transit_t"][june + 1 :, 0] == 0)
    assert np.all(tr["treaties_in_force"][june + 1 :, 0] == 0)
    # after the invasion rubber goes by sea, where the blockade takes 95 % of it
    assert tr["losses"][june + 1, 0, good(m, "rubber")] == pytest.approx(47.5)


def test_german_arrears_lead_to_a_suspension_of_the_listed_goods():
    changes = {
        "treaties": {
            "pact": {
                **TREATY["treaties"]["pact"],
                "quotas": {"oil": {"quantity": 12_000.0, "from": "1940-01", "to": "1940-12"}},
                "values": {"german_ratio": 1.0, "german_from": "1940-01", "german_to": "1940-12"},
                "reciprocity": {
                    "review_interval_months": 1,
                    "tolerated_imbalance_rm": 150_000.0,
                    "suspend_goods": ["oil"],
                    "suspension_months": 2,
                    "resume_below_share": 0.0,
                    "german_catch_up_share": 0.0,
                },
            }
        }
    }
    m = run(changes)  # Germany's export capacity is 0: every RM of Soviet oil becomes arrears
    suspended = m.trajectory["suspended"][:, 0]
    arrears = m.trajectory["arrears_rm"][:, 0]
    assert arrears[0] == pytest.approx(100_000.0)  # 1,000 t x 100 RM/t owed after January
    first = int(np.argmax(suspended > 0))
    assert MONTHS[first] == "1940-03"  # arrears 200,000 RM > 150,000 at the March review
    assert suspended[first : first + 2].all()
    assert m.trajectory["soviet_deliveries"][first, 0, good(m, "oil")] == 0.0


def test_machinery_needs_an_open_route_but_no_tonnage_capacity():
    changes = merge(
        TREATY,
        {
            "routes": {
                "soviet_border_rail": {"capacity_t_per_month": 100.0}
            },  # quota 200 t/month: congested
            "germany": {"exports": {"capacity_rm_per_month": [{"from": "1940-01", "rm": 5_000.0}]}},
            "treaties": {
                "pact": {
                    "values": {
                        "german_ratio": 1.0,
                        "german_from": "1940-01",
                        "german_to": "1940-12",
                    }
                }
            },
        },
    )
    m = run(changes)
    tools = m.trajectory["german_exports"][:, 0, good(m, "machine_tools")]
    oil = m.trajectory["soviet_deliveries"][:, 0, good(m, "oil")]
    assert oil.max() == pytest.approx(100.0)  # the gauge change caps Soviet tonnage
    assert tools.max() == pytest.approx(5_000.0)  # but not German machinery valued in RM


def test_a_lot_ships_only_while_its_treaty_is_in_force():
    lot = {"good": "machine_tools", "month": "1940-05", "rm": 1_000.0, "treaty": "pact"}
    in_force = merge(TREATY, {"germany": {"exports": {"lots": [lot]}}})
    m = run(in_force)
    assert m.trajectory["german_exports"][4, 0, good(m, "machine_tools")] == pytest.approx(1_000.0)
    never = merge(in_force, {"treaties": {"pact": {"from": "none"}}})
    m = run(never)
    assert m.trajectory["german_exports"].max() == 0.0


def test_cargo_a_full_route_cannot_take_goes_by_the_next_best_route():
    changes = {
        "routes": {
            "rail": {"capacity_t_per_month": 300.0},  # the preferred, unexposed route
            "sea": {"capacity_t_per_month": 1_000.0, "transit_months": 0},
        },
        "suppliers": {
            "sweden": {
                "routes": ["rail", "sea"],
                "offers": [{"good": "oil", "from": "1940-01", "to": "1940-12", "per_month": 800.0}],
            }
        },
        "blockade": {"import_start": "1940-01", "effectiveness": 0.5, "ramp_months": 0},
    }
    m = run(changes)
    # 300 t by rail; the other 500 t by sea, where the blockade takes half
    np.testing.assert_allclose(imports_from(m, "sweden", "oil"), 300.0 + 250.0, rtol=1e-6)
    np.testing.assert_allclose(m.trajectory["losses"][:, 0, good(m, "oil")], 250.0, rtol=1e-6)
