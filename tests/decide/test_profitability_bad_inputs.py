# mypy: disable-error-code="arg-type"
"""Bad inputs to cost to serve and the whale curve: each raises relmark's error naming the
argument or column at fault (and the customers where there are some)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.decide.profitability import customer_profitability, whale_curve
from relmark.errors import ArgumentError, CurrencyError, DataError


def _acts(**changes: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "margin": [10.0, 20.0, 5.0], "orders": [1, 2, 3]}
    )
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


CASES: list[tuple[str, Callable[[], object], type[Exception], str, tuple[object, ...]]] = [
    (
        "costs overflow",
        lambda: customer_profitability(_acts(orders=(0, 1e308)), {"orders": 10.0}),
        DataError,
        "margin",
        (),
    ),
    ("whale overflows", lambda: whale_curve([1e308, 1e308]), DataError, "profit", ()),
    (
        "activities not a frame",
        lambda: customer_profitability({"a": 1}, {"orders": 1.0}),
        ArgumentError,
        "activities",
        (),
    ),
    ("no rates", lambda: customer_profitability(_acts(), {}), ArgumentError, "rates", ()),
    (
        "rate negative",
        lambda: customer_profitability(_acts(), {"orders": -1.0}),
        ArgumentError,
        "orders",
        (),
    ),
    (
        "driver column missing",
        lambda: customer_profitability(_acts(), {"returns": 1.0}),
        DataError,
        "returns",
        (),
    ),
    (
        "quantity negative",
        lambda: customer_profitability(_acts(orders=(2, -1)), {"orders": 1.0}),
        DataError,
        "orders",
        ("c",),
    ),
    (
        "quantity NaN",
        lambda: customer_profitability(_acts(orders=(1, np.nan)), {"orders": 1.0}),
        DataError,
        "orders",
        ("b",),
    ),
    (
        "margin text",
        lambda: customer_profitability(_acts(margin=(0, "10")), {"orders": 1.0}),
        DataError,
        "margin",
        (),
    ),
    (
        "customer twice",
        lambda: customer_profitability(_acts(customer_id=(1, "a")), {"orders": 1.0}),
        DataError,
        "customer_id",
        ("a", "a"),
    ),
    (
        "empty frame",
        lambda: customer_profitability(_acts().iloc[:0], {"orders": 1.0}),
        DataError,
        "customer_id",
        (),
    ),
    ("whale of nothing", lambda: whale_curve([]), DataError, "profit", ()),
    ("whale NaN", lambda: whale_curve([1.0, np.nan]), DataError, "profit", (1,)),
    (
        "whale currency a number",
        lambda: whale_curve([1.0], currency=978),
        ArgumentError,
        "currency",
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


def test_currencies_are_not_mixed() -> None:
    mixed = _acts().assign(currency=["EUR", "EUR", "USD"])
    with pytest.raises(CurrencyError, match="currency"):
        customer_profitability(mixed, {"orders": 1.0}, currency_column="currency")
    with pytest.raises(CurrencyError, match="EUR"):
        customer_profitability(
            _acts().assign(currency="EUR"),
            {"orders": 1.0},
            currency="USD",
            currency_column="currency",
        )
    eur = customer_profitability(_acts(), {"orders": 1.0}, currency="EUR")
    with pytest.raises(CurrencyError, match="EUR"):
        whale_curve(eur, currency="USD")
