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


# ---------------------------------------------------------------- adversarial review findings
def test_extreme_curves_are_refused_not_divided_by_zero() -> None:
    """A retention ceiling of 1 with a discount rate of 1e-300 (1 + d - r = 0) and curves whose
    ceiling x efficiency underflows raised a raw ZeroDivisionError."""
    acq = SpendResponse(ceiling=0.4, efficiency=0.02)
    with pytest.raises(ArgumentError, match="retention"):
        optimal_budget(
            acq, SpendResponse(ceiling=1.0, efficiency=1.0), margin=1e12, discount_rate=1e-300
        )
    with pytest.raises(ArgumentError, match=r"acquisition|retention"):
        optimal_budget(
            SpendResponse(ceiling=1e-300, efficiency=1e-300),
            SpendResponse(ceiling=1.0, efficiency=1e12),
            margin=1e12,
            discount_rate=1e-300,
        )


def test_future_overflow_names_new_customers() -> None:
    with pytest.raises(DataError, match="new_customers"):
        customer_equity(
            [1.0],
            new_customers=[1e300],
            new_customer_value=1e12,
            acquisition_cost=0.0,
            discount_rate=0.0,
        )


def test_tampered_results_are_refused() -> None:
    import json

    from relmark.decide.equity import BudgetOptimum, CustomerEquity

    ce = customer_equity(
        [100.0, 50.0],
        new_customers=[10, 10],
        new_customer_value=80.0,
        acquisition_cost=30.0,
        discount_rate=0.25,
    ).to_dict()
    for key, value in [("total", 1e9), ("future_total", 5.0), ("customers", -1)]:
        with pytest.raises(SchemaError) as info:
            CustomerEquity.from_json(json.dumps({**ce, key: value}))
        assert key in str(info.value)
    acq = SpendResponse(ceiling=0.4, efficiency=0.02)
    ret = SpendResponse(ceiling=0.8, efficiency=0.05)
    best = optimal_budget(acq, ret, margin=100.0, discount_rate=0.1).to_dict()
    for key, value in [("acquisition_rate", 5.0), ("acquisition_spend", -5.0)]:
        with pytest.raises(SchemaError) as info:
            BudgetOptimum.from_json(json.dumps({**best, key: value}))
        assert key in str(info.value)


def test_an_int_beyond_float_is_refused() -> None:
    """A Python int of 10**400 raised a raw OverflowError converting to float64."""
    with pytest.raises(DataError, match="current_values"):
        customer_equity(
            [10**400],
            new_customers=[1],
            new_customer_value=1.0,
            acquisition_cost=0.0,
            discount_rate=0.1,
        )
