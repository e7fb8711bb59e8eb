"""`typed_columns(cols)` (how an outcome table is built) is `typed(pd.DataFrame(cols))`:
the same columns in the same order, dtypes and values, for numbers, counts with and without
missing values, text with nulls and all-null text, narrow ints and floats, plain lists."""

import numpy as np
import pandas as pd
import pytest

from model.engine.outcomes import typed, typed_columns

CASES = {
    "mixed": {
        "replication": np.array([1, 2]),
        "suspension_months": np.array([np.nan, 1.0]),
        "military_short_months_oil": np.array([1.0, 3.0]),
        "flag": np.array([True, False]),
        "stockout_oil": ["1941-02", None],
        "first_suspension": [None, None],
        "narrow": np.array([1, 2], dtype=np.int32),
        "f32": np.array([0.1, 0.2], dtype=np.float32),
        "listed": [1.5, 2.5],
    },
    "text only": {"scenario": ["a", "b"]},
    "counts only": {"replication": np.arange(3)},
}


@pytest.mark.parametrize("name", list(CASES))
def test_typed_columns_is_typed_frame(name: str) -> None:
    cols = CASES[name]
    got, expected = typed_columns(cols), typed(pd.DataFrame(cols))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert list(got.columns) == list(cols)
