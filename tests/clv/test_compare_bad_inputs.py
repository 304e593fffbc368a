"""Bad inputs to :func:`relmark.clv.compare_models` and :class:`relmark.clv.ModelComparison`
found by the adversarial review: each raises relmark's error naming the column, argument or
key; extreme but valid inputs give finite values."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD, ModelComparison, compare_models
from relmark.errors import ArgumentError, DataError, SchemaError

_HOLD = {
    "frequency": [0.0, 2.0, 5.0],
    "recency": [0.0, 20.0, 35.0],
    "T": [39.0] * 3,
    "frequency_holdout": [0.0, 1.0, 3.0],
    "duration_holdout": [39.0] * 3,
}
_MODELS = {"bg": BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)}


class _Predicts:
    """A duck-typed purchase model predicting fixed values."""

    def __init__(self, values: list[float]) -> None:
        self.values = np.array(values)

    def conditional_expected_purchases(self, *args: Any, **kwargs: Any) -> Any:
        return self.values


@pytest.mark.parametrize("column", ["T", "frequency_holdout", "duration_holdout"])
def test_a_column_given_twice_is_named(column: str) -> None:
    # a pandas frame with two columns of one name: read as a 2-d block, refused as
    # "must be whole numbers" or "expected a 1-d array" (a wrong reason)
    frame = pd.DataFrame(_HOLD)
    frame = pd.concat([frame, frame[[column]]], axis=1)
    with pytest.raises(DataError, match="appears twice") as err:
        compare_models(_MODELS, frame)
    assert err.value.column == column


@pytest.mark.parametrize("value", [1e300, 2.0**53])
def test_holdout_counts_beyond_2_53_are_refused(value: float) -> None:
    # 1e300 passed as a whole number, and its squared error overflowed: rmse = inf
    with pytest.raises(DataError, match="2\\^53") as err:
        compare_models(_MODELS, {**_HOLD, "frequency_holdout": [0.0, 1.0, value]})
    assert err.value.column == "frequency_holdout"


@pytest.mark.parametrize(
    ("values", "reason"),
    [([np.nan, 1.0, 1.0], "NaN or infinite"), ([np.inf] * 3, "NaN or infinite"), ([1.0], "shape")],
)
def test_a_model_predicting_nan_or_the_wrong_shape_is_named(
    values: list[float], reason: str
) -> None:
    # NaN predictions gave a table of NaN errors, silently
    with pytest.raises(ArgumentError, match=reason) as err:
        compare_models({"odd": _Predicts(values)}, _HOLD)
    assert err.value.argument == "models"
    assert "'odd'" in str(err.value)


def test_large_errors_keep_a_finite_rmse() -> None:
    # err**2 overflowed for errors beyond 1e154: the rmse of [1e200 - 0, 1e200 - 1, 1e200 - 3]
    table = compare_models({"big": _Predicts([1e200] * 3)}, _HOLD).to_frame()
    assert math.isclose(table["rmse"].to_numpy(dtype=float)[0], 1e200, rel_tol=1e-12)
    assert math.isclose(table["mae"].to_numpy(dtype=float)[0], 1e200, rel_tol=1e-12)


def test_rmse_equals_the_plain_formula_on_ordinary_errors() -> None:
    pred = np.array([0.5, 2.5, 1.0])
    y = np.array(_HOLD["frequency_holdout"])
    table = compare_models({"p": _Predicts(list(pred))}, _HOLD).to_frame()
    assert math.isclose(
        table["rmse"].to_numpy(dtype=float)[0],
        math.sqrt(np.mean((pred - y) ** 2)),
        rel_tol=1e-14,
    )


@pytest.mark.parametrize("customers", [10**400, 2**53])
def test_saved_customers_beyond_2_53_are_refused(customers: int) -> None:
    d = json.loads(compare_models(_MODELS, _HOLD).to_json())
    d["customers"] = customers  # a 400-digit count was accepted
    with pytest.raises(SchemaError) as err:
        ModelComparison.from_dict(d)
    assert err.value.key == "customers"
