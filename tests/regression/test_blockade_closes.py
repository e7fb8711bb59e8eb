"""The blockade closes the ocean (issue 22 item 4): after 1939-10 no overseas rubber and no oil
from the Americas reach Germany in the baseline, except by a route the record names (the
Trans-Siberian transit, Japan, Spain) -- suppliers whose every route is the blockaded North Sea
deliver nothing at all."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.simulation import PactModel
from model.files.scenario import find_file, load

SEA_ONLY = ("overseas", "united_states")  # baseline.toml: routes = ["north_sea"] only


@pytest.fixture(scope="module")
def imports():
    scenario = load(find_file("baseline", "scenarios"))
    model = PactModel(scenario, n_runs=20, seed=0).run()
    months = model.window.labels
    return model, months


def _from(model: PactModel, months: list[str], origin: str, good: str) -> np.ndarray:
    o, g = model.origins.index(origin), model.goods.index(good)
    if (o, g) not in model.import_pairs:
        return np.zeros((len(months), model.n_runs))
    return model.trajectory["imports"][:, model.import_pairs.index((o, g)), :].astype(float)


def test_the_sea_only_suppliers_are_routed_by_the_north_sea_alone():
    data = load(find_file("baseline", "scenarios")).data
    for name in SEA_ONLY:
        assert data["suppliers"][name]["routes"] == ["north_sea"], name


@pytest.mark.parametrize(("origin", "good"), [("overseas", "rubber"), ("united_states", "oil")])
def test_no_overseas_rubber_and_no_american_oil_after_october_1939(imports, origin, good):
    model, months = imports
    flows = _from(model, months, origin, good)
    before = months.index("1939-09")
    after = months.index("1939-11")
    assert flows[:before].sum() > 0, "the supplier should deliver before the war"
    assert flows[after:].max() == 0.0
