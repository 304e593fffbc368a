# mypy: disable-error-code="arg-type"
"""Bad inputs to customer equity and the budget optimum: each raises relmark's error naming the
argument or column at fault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from relmark.decide.equity import (
    SpendResponse,
    customer_equity,
    customer_equity_per_prospect,
    optimal_budget,
)
from relmark.errors import ArgumentError, DataError, SchemaError, ValidationError

ACQ = SpendResponse(ceiling=0.4, efficiency=0.02)
RET = SpendResponse(ceiling=0.8, efficiency=0.05)
CE_OK: dict[str, Any] = {
    "acquisition": ACQ,
    "retention": RET,
    "margin": 100.0,
    "discount_rate": 0.1,
}
EQ_OK: dict[str, Any] = {
    "new_customers": [10, 10],
    "new_customer_value": 80.0,
    "acquisition_cost": 30.0,
    "discount_rate": 0.1,
}


CASES: list[tuple[str, Callable[[], object], type[Exception], str, tuple[object, ...]]] = [
    (
        "base overflows",
        lambda: customer_equity([1e308, 1e308], **EQ_OK),
        DataError,
        "current_values",
        (),
    ),
    (
        "margin 0",
        lambda: optimal_budget(ACQ, RET, margin=0.0, discount_rate=0.1),
        ArgumentError,
        "margin",
        (),
    ),
    (
        "margin NaN",
        lambda: optimal_budget(ACQ, RET, margin=np.nan, discount_rate=0.1),
        ArgumentError,
        "margin",
        (),
    ),
    (
        "margin text",
        lambda: optimal_budget(ACQ, RET, margin="100", discount_rate=0.1),
        ArgumentError,
        "margin",
        (),
    ),
    (
        "discount 0",
        lambda: optimal_budget(ACQ, RET, margin=1.0, discount_rate=0.0),
        ArgumentError,
        "discount_rate",
        (),
    ),
    (
        "discount negative",
        lambda: optimal_budget(ACQ, RET, margin=1.0, discount_rate=-0.1),
        ArgumentError,
        "discount_rate",
        (),
    ),
    (
        "acquisition not a curve",
        lambda: optimal_budget((0.4, 0.02), RET, margin=1.0, discount_rate=0.1),
        ArgumentError,
        "acquisition",
        (),
    ),
    (
        "retention not a curve",
        lambda: optimal_budget(ACQ, None, margin=1.0, discount_rate=0.1),
        ArgumentError,
        "retention",
        (),
    ),
    (
        "ceiling above 1",
        lambda: SpendResponse(ceiling=1.2, efficiency=0.1),
        ValidationError,
        "ceiling",
        (),
    ),
    (
        "efficiency 0",
        lambda: SpendResponse(ceiling=0.5, efficiency=0.0),
        ValidationError,
        "efficiency",
        (),
    ),
    (
        "rate at the ceiling",
        lambda: SpendResponse.from_points(10.0, 0.5, ceiling=0.5),
        ArgumentError,
        "rate",
        (),
    ),
    (
        "spend 0 in calibration",
        lambda: SpendResponse.from_points(0.0, 0.2, ceiling=0.5),
        ArgumentError,
        "spend",
        (),
    ),
    ("negative spend", lambda: ACQ.rate(-1.0), ArgumentError, "spend", ()),
    (
        "grid negative",
        lambda: customer_equity_per_prospect([1.0, -2.0], 1.0, **CE_OK),
        DataError,
        "acquisition_spend",
        (1,),
    ),
    (
        "grid NaN",
        lambda: customer_equity_per_prospect(1.0, [np.nan], **CE_OK),
        DataError,
        "retention_spend",
        (0,),
    ),
    (
        "grid text",
        lambda: customer_equity_per_prospect(["1"], 1.0, **CE_OK),
        DataError,
        "acquisition_spend",
        (),
    ),
    (
        "grids do not broadcast",
        lambda: customer_equity_per_prospect([1.0, 2.0], [1.0, 2.0, 3.0], **CE_OK),
        DataError,
        "retention_spend",
        (),
    ),
    ("base empty", lambda: customer_equity([], **EQ_OK), DataError, "current_values", ()),
    (
        "base NaN",
        lambda: customer_equity([1.0, np.nan], **EQ_OK),
        DataError,
        "current_values",
        (1,),
    ),
    (
        "cohort negative",
        lambda: customer_equity([1.0], **{**EQ_OK, "new_customers": [5, -1]}),
        DataError,
        "new_customers",
        (1,),
    ),
    (
        "acquisition cost negative",
        lambda: customer_equity([1.0], **{**EQ_OK, "acquisition_cost": -3.0}),
        ArgumentError,
        "acquisition_cost",
        (),
    ),
    (
        "value infinite",
        lambda: customer_equity([1.0], **{**EQ_OK, "new_customer_value": np.inf}),
        ArgumentError,
        "new_customer_value",
        (),
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "name", "rows"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(
    call: Callable[[], object], error: type[Exception], name: str, rows: tuple[object, ...]
) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)
    if rows:
        assert isinstance(info.value, DataError)
        assert info.value.rows[: len(rows)] == rows


def test_tampered_curve_json() -> None:
    text = ACQ.to_json().replace("0.4", "1.4")
    with pytest.raises(SchemaError, match="ceiling"):
        SpendResponse.from_json(text)
