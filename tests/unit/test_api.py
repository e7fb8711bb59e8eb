"""The public API (model/api.py): validated overrides, central runs without shocks, designs
evaluated in one call that agree with one run at a time, README's example, the EMA example."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import model
from model.engine.outcomes import outcomes_table
from model.engine.runner import draw_uniforms, simulate

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["shortage_oil", "cover_oil_1941_06", "imports_rm_soviet_union", "arrears_rm_max"]


@pytest.fixture(scope="module")
def base():
    return model.load_scenario("baseline")


def test_import_model_is_cheap():
    code = "import sys, model; print('model.engine.simulation' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr


@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"blockade.effectiveness": 1.5}, "blockade.effectiveness", "share between 0 and 1"),
        ({"events.invasion": "1943-05"}, "events.invasion", "within the scenario window"),
        ({"blockade.effectivenes": 0.5}, "blockade.effectivenes", "unknown key"),
        ({"nothere.x.y": 1}, "nothere.x.y", ""),
    ],
)
def test_overrides_are_checked_by_the_schema(base, overrides, path, words):
    with pytest.raises(model.ScenarioError) as err:
        model.with_overrides(base, overrides)
    assert err.value.key_path == path and words in err.value.expected
    assert "overrides" in str(err.value)


def test_a_design_row_that_cannot_be_used_is_named(base):
    design = pd.DataFrame({"blockade.effectiveness": [0.5, 0.7, 1.2]})
    with pytest.raises(model.ScenarioError, match=r"design row 2: blockade.effectiveness"):
        model.evaluate(base, design)


def test_central_has_no_shocks(base):
    """Neither the seed nor the replication label changes a central run; shocks do."""
    a = model.evaluate(base, seed=0)[COLUMNS].to_numpy(float)
    b = model.evaluate(base, seed=12345)[COLUMNS].to_numpy(float)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    # the harvest shocks move grain (the baseline's blockade has no month-to-month noise since
    # issue 22: complete overseas, FACTS §2)
    shocked = model.evaluate(base, shocks=[0, 1], seed=0)[[*COLUMNS, "cover_grain_1941_06"]]
    shocked = shocked.to_numpy(float)
    a = model.evaluate(base, seed=0)[[*COLUMNS, "cover_grain_1941_06"]].to_numpy(float)
    assert not np.allclose(shocked[0], shocked[1])
    assert not np.allclose(shocked[0], a[0])


def test_a_design_in_one_call_equals_one_run_per_point(base):
    design = pd.DataFrame(
        {
            "blockade.effectiveness": [0.6, 0.9, 0.75],
            "routes.trans_siberian.capacity_t_per_month": [20000.0, 70000.0, 45000.0],
            "events.invasion": ["1941-06", "1940-09", "none"],  # "none": a group of its own
        },
        index=pd.Index([10, 11, 12], name="point"),
    )
    table = model.evaluate(base, design)
    assert list(table["point"]) == [10, 11, 12]
    assert list(table["events.invasion"]) == ["1941-06", "1940-09", "none"]
    for i, (_, row) in enumerate(design.iterrows()):
        one = model.evaluate(model.with_overrides(base, row.to_dict()))
        np.testing.assert_allclose(
            table.loc[i, COLUMNS].to_numpy(float), one.loc[0, COLUMNS].to_numpy(float), rtol=1e-6
        )


def test_uniform_values_and_named_replications_match_a_batch(base):
    """values="uniform" with shocks=[r] is replication r of a Monte Carlo batch of that seed."""
    reps = np.array([3, 7])
    uniforms = draw_uniforms(base, 1939, reps)
    batch = outcomes_table(simulate(base, seed=1939, replications=reps, uniforms=uniforms))
    paths = [p for p, _ in base.uncertain()]
    for k, r in enumerate(reps):
        design = pd.DataFrame({p: [uniforms[p][k]] for p in paths})
        row = model.evaluate(base, design, values="uniform", shocks=[int(r)], seed=1939)
        np.testing.assert_allclose(
            row.loc[0, COLUMNS].to_numpy(float), batch.loc[k, COLUMNS].to_numpy(float), rtol=1e-6
        )


def test_uniform_values_need_an_uncertain_path(base):
    with pytest.raises(model.ScenarioError, match="not an uncertain parameter"):
        model.evaluate(base, pd.DataFrame({"window.start": [0.5]}), values="uniform")


def test_the_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API") :]
    code = re.search(r"```python\n(.+?)\n```", section, re.S).group(1)
    exec(compile(code, "README.md (Python API)", "exec"), {})


@pytest.mark.skipif(
    importlib.util.find_spec("ema_workbench") is None,
    reason='EMA Workbench is not installed (optional: pip install -e ".[ema]")',
)
def test_the_ema_prim_example_finds_a_box_in_time():
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        import ema_prim
    finally:
        sys.path.pop(0)
    design, table, box, seconds = ema_prim.discover(400)
    assert len(design) == len(table) == 400
    assert 0 < box.coverage <= 1 and box.density > 0.5
    assert seconds < 10, f"400 LHS points + PRIM took {seconds:.1f} s"
