"""The outputs are declared once and the glossary names every one of them.

Every trajectory variable of :data:`model.engine.variables.VARIABLES` and every outcome
column of a run (its goods, origins and dates written as the glossary's ``<good>``,
``<origin>``, ``<YYYY_MM>``) appears in docs/glossary.md in backticks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

from model.engine import cf
from model.engine.outcomes import PARAM_PREFIX
from model.engine.variables import ALL_VARIABLES, VARIABLES

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text()
NAMED = set(re.findall(r"`([^`]+)`", GLOSSARY))
GOLDEN = ROOT / "tests" / "regression" / "golden" / "outcomes_seed0_100.parquet"


def _pattern(column: str, goods: set[str], origins: set[str]) -> str:
    out = re.sub(r"\d{4}_\d{2}", "<YYYY_MM>", column)
    for origin in sorted(origins, key=len, reverse=True):
        out = re.sub(rf"(?<=_){origin}(?=_|$)", "<origin>", out)
    for good in sorted(goods, key=len, reverse=True):
        out = re.sub(rf"(?<=_){good}(?=_|$)", "<good>", out)
    return out


def test_the_glossary_names_every_trajectory_variable():
    missing = [name for name in VARIABLES if name not in NAMED]
    assert not missing, f"docs/glossary.md does not name the variables {missing}"


def test_the_glossary_names_every_outcome_column():
    from model.files.scenario import load

    data = load("baseline").data
    goods, origins = set(data["goods"]), {*data["suppliers"], "soviet_union"}
    names = pq.read_schema(GOLDEN).names
    assert len(names) > 100 and any(c.startswith(PARAM_PREFIX) for c in names)
    assert "param__<key path>" in NAMED  # one family: the run's value of each uncertain key
    columns = [c for c in names if c not in ("scenario", "run") and not c.startswith(PARAM_PREFIX)]
    missing = sorted(
        {_pattern(c, goods, origins) for c in columns}
        - {_pattern(n, goods, origins) for n in NAMED}
    )
    assert not missing, f"docs/glossary.md does not name the outcome columns {missing}"


def test_the_recorder_and_the_cf_writer_read_the_one_registry():
    from model.engine.simulation import PactModel

    assert cf.VARIABLES is VARIABLES
    model = PactModel.__init__.__globals__
    assert model["ALL_VARIABLES"] is ALL_VARIABLES == tuple(VARIABLES)
    for name, (_, _, long_name) in VARIABLES.items():
        assert cf.variable_attrs(name, ["oil"], ["t"])["long_name"].startswith(long_name)
