"""Outcome parts of several scenarios unify: a month parameter fixed in one scenario (NaN in
its part) and uncertain in another (text) is text, null where fixed (the counterfactual batch
with soviet_oil_embargo_1940 failed on this at consolidation)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from model.store.folder import as_type, unified_schema


def test_a_month_parameter_missing_in_one_scenario_unifies_as_text():
    month = pa.table({"param__m": pa.array(["1940-08", "1940-09"]), "x": [1.0, 2.0]})
    fixed = pa.table({"param__m": pa.array([np.nan, np.nan]), "x": [3.0, 4.0]})
    schema = unified_schema([month.schema, fixed.schema])
    assert schema.field("param__m").type == pa.string()
    column = as_type(fixed.column("param__m"), pa.string())
    assert column.null_count == 2 and column.type == pa.string()


def test_real_numbers_never_become_text_silently():
    with pytest.raises(ValueError, match="text in one scenario"):
        as_type(pa.chunked_array([pa.array([1.5, np.nan])]), pa.string())
