"""A fixed-seed snapshot of every outcome column: 100 Monte Carlo runs (seed 0) of ``baseline``
and ``no_pact``, compared exactly with the stored table (issue 21: refactoring must not change
a single number).

This is the guard for behaviour-preserving work (moving code, declaring parameters once,
speeding up the month). A change that is *meant* to move results (a new mechanism, a new
calibration) regenerates the snapshot in the same commit and says why:

    PACTSIM_UPDATE_GOLDEN=1 python -m pytest tests/regression/test_golden_outcomes.py

Columns may be added (a new outcome is not a changed one); every stored column must still be
present with identical values, bit for bit. Checked when it was written: the snapshot written on
Python 3.11 (numpy 2.x of that venv) is reproduced bit-exactly on Python 3.13 with numpy 2.5 and
scipy 1.18; the numpy/scipy versions that wrote it are kept in its metadata for diagnosis.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import scipy

from model.engine.outcomes import outcomes_table, to_arrow
from model.engine.runner import simulate
from model.files.scenario import load

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden") / "outcomes_seed0_100.parquet"
SCENARIOS = ("baseline", "no_pact")
N_RUNS, SEED = 100, 0


def _versions() -> dict[str, str]:
    minor = lambda v: ".".join(v.split(".")[:2])  # noqa: E731
    return {"numpy": minor(np.__version__), "scipy": minor(scipy.__version__)}


def _current() -> pd.DataFrame:
    tables = []
    for name in SCENARIOS:
        result = simulate(load(ROOT / "scenarios" / f"{name}.toml"), n_runs=N_RUNS, seed=SEED)
        table = outcomes_table(result)
        table.insert(0, "scenario", name)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


@pytest.fixture(scope="module")
def current() -> pd.DataFrame:
    return _current()


def test_outcomes_match_the_golden_snapshot(current: pd.DataFrame) -> None:
    if os.environ.get("PACTSIM_UPDATE_GOLDEN"):
        table = to_arrow(current)
        meta = {b"pactsim_golden": json.dumps(_versions()).encode()}
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.replace_schema_metadata(meta), GOLDEN)
    stored_table = pq.read_table(GOLDEN)
    written_with = json.loads((stored_table.schema.metadata or {})[b"pactsim_golden"])
    stored = stored_table.replace_schema_metadata(None).to_pandas()
    now = to_arrow(current).to_pandas()
    missing = [c for c in stored.columns if c not in now.columns]
    assert not missing, f"outcome columns gone: {missing}"
    assert len(now) == len(stored), "row count changed"
    changed = []
    for col in stored.columns:
        a, b = stored[col], now[col]
        if a.dtype.kind == "f":
            x, y = a.to_numpy(), b.to_numpy(np.float64)
            same = np.array_equal(x, y, equal_nan=True)
        else:
            same = (
                a.astype(object).where(a.notna(), None).tolist()
                == b.astype(object).where(b.notna(), None).tolist()
            )
        if not same:
            changed.append(col)
    assert not changed, (
        f"{len(changed)} outcome columns differ from the golden snapshot "
        f"(snapshot written with {written_with}): {changed[:12]}"
    )


def test_the_snapshot_is_not_trivial() -> None:
    stored = pq.read_table(GOLDEN).to_pandas()
    assert set(stored["scenario"]) == set(SCENARIOS)
    assert len(stored) == N_RUNS * len(SCENARIOS)
    assert stored.shape[1] > 300
    # the two scenarios differ (the snapshot would not catch a model that ignores its treaties)
    base = stored[stored.scenario == "baseline"]["soviet_to_invasion_rm"].to_numpy()
    nopact = stored[stored.scenario == "no_pact"]["soviet_to_invasion_rm"].to_numpy()
    assert np.median(base) > 2 * np.median(nopact)
