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


# ---------------------------------------------------------------- adversarial review findings
REVIEW_CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "ids 1 and '1' (one id in the result)",
        lambda: customer_profitability(_acts().assign(customer_id=[1, "1", "c"]), {"orders": 1.0}),
        DataError,
        "customer_id",
    ),
    (
        "an empty id",
        lambda: customer_profitability(_acts(customer_id=(1, "")), {"orders": 1.0}),
        DataError,
        "customer_id",
    ),
    (
        "an id with surrounding spaces",
        lambda: customer_profitability(_acts(customer_id=(0, "b ")), {"orders": 1.0}),
        DataError,
        "customer_id",
    ),
    (
        "the margin column as a cost driver",
        lambda: customer_profitability(_acts(), {"margin": 1.0}),
        ArgumentError,
        "rates",
    ),
    (
        "a currency that is no ISO code",
        lambda: customer_profitability(_acts(), {"orders": 1.0}, currency="EURO"),
        CurrencyError,
        "currency",
    ),
    (
        "a lower-case currency",
        lambda: customer_profitability(_acts(), {"orders": 1.0}, currency="eur"),
        CurrencyError,
        "currency",
    ),
    (
        "a currency column of junk",
        lambda: customer_profitability(
            _acts().assign(cur="XX1"), {"orders": 1.0}, currency_column="cur"
        ),
        CurrencyError,
        "cur",
    ),
    (
        "a whale curve in 'dollars'",
        lambda: whale_curve([1.0], currency="dollars"),
        CurrencyError,
        "currency",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "name"), [c[1:] for c in REVIEW_CASES], ids=[c[0] for c in REVIEW_CASES]
)
def test_review_bad_input(call: Callable[[], object], error: type[Exception], name: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)


def test_whale_total_does_not_cancel() -> None:
    """1e16 + 1 - 1e16 is 1 (the running float sum gave 0)."""
    curve = whale_curve([1e16, 1.0, -1e16])
    assert curve.total_profit == 1.0
    assert curve.cumulative_share is not None


def test_tampered_results_are_refused() -> None:
    import json

    from relmark.decide.profitability import CustomerProfitability, WhaleCurve
    from relmark.errors import SchemaError

    result = customer_profitability(_acts(), {"orders": 8.0}, currency="EUR")
    data = result.to_dict()
    for key, value in [
        ("profit", [1000.0, 4.0, -19.0]),  # 10 - 8 is 2, not 1000
        ("profit", [2.0]),
        ("costs", [[8.0], [16.0, 1.0], [24.0]]),
        ("currency", "EURO"),
        ("customers", ["a", "a", "c"]),
        ("reasons", [None, None, "zzz"]),
    ]:
        with pytest.raises(SchemaError) as info:
            CustomerProfitability.from_json(json.dumps({**data, key: value}))
        assert key in str(info.value)
    curve = whale_curve([50.0, -20.0, 30.0, -10.0]).to_dict()
    for key, value in [("cumulative_profit", [0.0]), ("loss", -5.0), ("peak_profit", 1e9)]:
        with pytest.raises(SchemaError) as info:
            WhaleCurve.from_json(json.dumps({**curve, key: value}))
        assert key in str(info.value)
