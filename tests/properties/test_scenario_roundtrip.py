"""Round trip: a resolved scenario written with ``dumps`` loads back equal, and valid.

Starting from the resolved baseline, Hypothesis perturbs numeric leaves (keeping them
valid: every factor lies in [0.5, 1], so shares stay shares, quantities stay
non-negative and the order low <= mode <= high of a distribution is kept), rescales
distribution tables, turns plain quantities into triangular distributions and the
invasion month into a choice of months. The result is written as TOML, loaded again
through the full loader (``extends``-free, validated) and compared with what was written.
"""

from __future__ import annotations

import copy
import tempfile
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from model.files.scenario import dumps, load
from model.world.distributions import is_distribution
from model.world.keypaths import get_path, set_path, walk

ROOT = Path(__file__).resolve().parents[2]
BASELINE = load(ROOT / "scenarios" / "baseline.toml")

# whole numbers the model needs as such (calendar months, month counts, years)
WHOLE = ("calendar_month", "transit_months", "review_interval_months", "suspension_months",
         "ramp_months", "months_after_invasion", "repayment_start_year")  # fmt: skip
NUMERIC_KEYS = ("low", "mode", "high", "mean", "sd", "median", "sigma")
LEAVES = dict(walk(BASELINE.data))
NUMBERS = sorted(
    p for p, v in LEAVES.items()
    if isinstance(v, int | float) and not isinstance(v, bool) and not p.endswith(WHOLE)
)  # fmt: skip
DISTRIBUTIONS = sorted(
    p
    for p, v in LEAVES.items()
    if is_distribution(v) and all(not isinstance(v.get(k), str) for k in NUMERIC_KEYS)
)
QUANTITY_TABLES = ("germany.initial_stock.", "germany.domestic_output_per_month.", "germany.civil_demand_per_month.",
                   "germany.military_demand_per_month.", "soviet_union.exportable_surplus_per_month.")  # fmt: skip
SAMPLED_PLAIN = sorted(
    p for p in NUMBERS if p.startswith(QUANTITY_TABLES) or p.endswith((".per_month", ".quantity"))
)
WINDOW_MONTHS = ["1939-09", "1940-06", "1940-09", "1941-05", "1941-06", "1942-06", "1942-12"]

factor = st.floats(min_value=0.5, max_value=1.0, allow_nan=False)


def scaled(value, f):
    return int(value * f) if isinstance(value, int) else value * f


@st.composite
def perturbed_baseline(draw):
    data = copy.deepcopy(dict(BASELINE.data))
    for path in draw(st.lists(st.sampled_from(NUMBERS), max_size=12, unique=True)):
        set_path(data, path, scaled(get_path(data, path), draw(factor)))
    for path in draw(st.lists(st.sampled_from(DISTRIBUTIONS), max_size=6, unique=True)):
        f = draw(factor)
        spec = dict(get_path(data, path))
        for key in NUMERIC_KEYS:
            if key in spec:
                spec[key] = scaled(spec[key], f)
        set_path(data, path, spec)
    for path in draw(st.lists(st.sampled_from(SAMPLED_PLAIN), max_size=4, unique=True)):
        v = float(get_path(data, path))
        set_path(
            data, path, {"dist": "triangular", "low": v * 0.5, "mode": v, "high": v * 1.5 + 1.0}
        )
    if draw(st.booleans()):
        months = draw(st.lists(st.sampled_from(WINDOW_MONTHS), min_size=1, max_size=3, unique=True))
        weights = draw(st.lists(st.integers(1, 5), min_size=len(months), max_size=len(months)))
        data["events"]["invasion"] = {"dist": "choice", "values": months, "weights": weights}
    return data


def test_there_is_something_to_perturb():
    assert len(NUMBERS) > 100 and len(DISTRIBUTIONS) > 20 and len(SAMPLED_PLAIN) > 30


@settings(max_examples=30, deadline=None)
@given(data=perturbed_baseline())
def test_dump_then_load_gives_the_same_scenario(data):
    text = dumps(data)
    assert tomllib.loads(text) == data
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roundtrip.toml"
        path.write_text(text, encoding="utf-8")
        again = load(path)  # validates
    assert again.data == data
    assert [p for p, _ in again.uncertain()] == [p for p, v in walk(data) if is_distribution(v)]
