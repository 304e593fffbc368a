"""RFMSummary.from_frame reads the currency as it reads the time unit: ``attrs`` and/or a
``currency`` column, which must agree; and names the foreign frame it refuses.

Found by attacking ``from_frame``: a ``currency`` column (what ``relmark summarize`` writes)
was ignored, so a frame whose attrs said EUR and whose column said USD was EUR without a word,
and a frame without attrs had no currency; a polars frame was refused as "must be a pandas
DataFrame, got DataFrame".
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import relmark.data as rd
from relmark.data import RFMSummary
from relmark.errors import ArgumentError, CurrencyError, DataError


def _frame() -> pd.DataFrame:
    return RFMSummary(
        customer_id=["a", "b"],
        frequency=[1, 0],
        recency=[3.0, 0.0],
        T=[5.0, 5.0],
        monetary_value=[2.0, 0.0],
        currency="EUR",
        time_unit="W",
    ).to_frame()


def test_a_currency_column_is_read() -> None:
    frame = _frame().assign(currency="USD")
    frame.attrs.clear()
    assert RFMSummary.from_frame(frame).currency == "USD"
    assert RFMSummary.from_frame(_frame().assign(currency="EUR")).currency == "EUR"


def test_attrs_and_column_that_disagree_are_refused() -> None:
    with pytest.raises(DataError, match=r"attrs\['currency'\] is 'EUR' and the column") as info:
        RFMSummary.from_frame(_frame().assign(currency="USD"))
    assert info.value.column == "currency"


def test_a_column_of_two_currencies_is_a_currency_error() -> None:
    with pytest.raises(CurrencyError, match=r"several currencies \('EUR', 'USD'\)"):
        RFMSummary.from_frame(_frame().assign(currency=["EUR", "USD"]))


def test_a_currency_column_without_spend_is_not_a_currency() -> None:
    frame = _frame().drop(columns="monetary_value").assign(currency="USD")
    assert RFMSummary.from_frame(frame).currency is None


def test_a_polars_frame_is_named_as_polars() -> None:
    with pytest.raises(
        ArgumentError, match=r"got polars\.DataFrame: pass frame\.to_pandas"
    ) as info:
        RFMSummary.from_frame(pl.from_pandas(_frame()))  # type: ignore[arg-type]
    assert info.value.argument == "frame"


@pytest.mark.parametrize("twin", ["customer_id", "date", "amount"])
def test_a_column_named_twice_is_refused_naming_it(twin: str) -> None:
    """A pandas frame with two columns of the name asked for gave "not a column of values
    (Buffer has wrong number of dimensions ...)": a DataError naming the column and the count."""

    names = ["customer_id", "date", "amount"]
    row: list[object] = [1, "2020-01-01", 3.0]
    frame = pd.DataFrame([[*row, row[names.index(twin)]]], columns=[*names, twin])
    with pytest.raises(DataError, match=f"2 columns named '{twin}'") as info:
        rd.summarize(frame, monetary_value="amount")
    assert info.value.column == twin


def test_date_format_applies_to_the_log_not_to_a_timestamp_end() -> None:
    """``date_format`` for text dates with ``observation_end`` given as a timestamp (as the
    CLI passes ``--end``): the end is not refused as a timestamp column given a format."""
    log = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["19970101", "19970105", "19970103"], "amount": 1.0}
    )
    s = rd.summarize(
        log, date_format="%Y%m%d", observation_end=pd.Timestamp("1997-01-10"), time_unit="D"
    )
    assert s.T.tolist() == [9.0, 7.0]
