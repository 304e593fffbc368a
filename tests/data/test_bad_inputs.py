"""Bad and unusual transaction logs: every case raises relmark's error, of the right type,
whose message names the argument, the column and the offending rows (or CSV lines).

Each case is (call, error type, attribute checks, texts the message must contain). Before this
module 27 of these cases were raw pandas/numpy errors or silently wrong summaries (numbers read
as nanoseconds, 007 merged with 7, mixed offsets refused with pandas' hint, 01/02 read
month-first, 9999-12-31 overflowing, returns and blank ids with no option).
"""

# The cases pass wrong types on purpose.
# mypy: disable-error-code="arg-type, unused-ignore"

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark import _validation as v
from relmark.data import RFMSummary, calibration_holdout, read_transactions, summarize
from relmark.datasets import RETENTION_TABLES, load_cdnow_summary, load_retention
from relmark.errors import ArgumentError, CurrencyError, DataError, RelmarkError
from relmark.timeunit import TimeUnit, periods
from tests.data.strategies import junk_logs

IDS = ["a", "a", "b"]
DATES = ["2024-01-01", "2024-01-05", "2024-01-03"]


def log(**columns: Any) -> pd.DataFrame:
    base: dict[str, Any] = {"customer_id": IDS, "date": DATES}
    base.update(columns)
    return pd.DataFrame(base)


OK = log(amount=[10.0, 20.0, 5.0])
SUMMARY = pd.DataFrame(
    {"frequency": [1, 0], "recency": [2.0, 0.0], "T": [5.0, 5.0]}, index=pd.Index(["a", "b"])
)

Case = tuple[Callable[[], object], type[Exception], dict[str, object], tuple[str, ...]]

CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- arguments
    "time_unit unknown": (
        lambda: summarize(OK, time_unit="fortnight"),
        ArgumentError,
        {"argument": "time_unit"},
        ("fortnight",),
    ),
    "time_unit lower-case d": (
        lambda: summarize(OK, time_unit="d"),
        ArgumentError,
        {"argument": "time_unit"},
        ("'d'",),
    ),
    "time_unit None": (
        lambda: summarize(OK, time_unit=None),
        ArgumentError,  # type: ignore[arg-type]
        {"argument": "time_unit"},
        ("None",),
    ),
    "freq_multiplier 0": (
        lambda: summarize(OK, freq_multiplier=0),
        ArgumentError,
        {"argument": "freq_multiplier"},
        ("> 0",),
    ),
    "freq_multiplier negative": (
        lambda: summarize(OK, freq_multiplier=-7),
        ArgumentError,
        {"argument": "freq_multiplier"},
        ("-7",),
    ),
    "freq_multiplier nan": (
        lambda: summarize(OK, freq_multiplier=float("nan")),
        ArgumentError,
        {"argument": "freq_multiplier"},
        ("finite",),
    ),
    "freq_multiplier inf": (
        lambda: summarize(OK, freq_multiplier=float("inf")),
        ArgumentError,
        {"argument": "freq_multiplier"},
        ("finite",),
    ),
    "freq_multiplier text": (
        lambda: summarize(OK, freq_multiplier="7"),
        ArgumentError,  # type: ignore[arg-type]
        {"argument": "freq_multiplier"},
        ("number",),
    ),
    "freq_multiplier bool": (
        lambda: summarize(OK, freq_multiplier=True),
        ArgumentError,
        {"argument": "freq_multiplier"},
        ("True",),
    ),
    "returns unknown": (
        lambda: summarize(OK, monetary_value="amount", returns="keep"),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "returns"},
        ("keep",),
    ),
    "returns without amounts": (
        lambda: summarize(OK, returns="net"),
        ArgumentError,
        {"argument": "returns"},
        ("monetary_value",),
    ),
    "missing_ids unknown": (
        lambda: summarize(OK, missing_ids="ignore"),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "missing_ids"},
        ("ignore",),
    ),
    "date_unit unknown": (
        lambda: summarize(OK, date_unit="days"),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "date_unit"},
        ("days",),
    ),
    "date_unit with date_format": (
        lambda: summarize(OK, date_unit="s", date_format="%Y"),
        ArgumentError,
        {"argument": "date_unit"},
        ("date_format",),
    ),
    "dayfirst with date_format": (
        lambda: summarize(OK, dayfirst=True, date_format="%d/%m/%Y"),
        ArgumentError,
        {"argument": "dayfirst"},
        ("date_format",),
    ),
    "dayfirst text": (
        lambda: summarize(OK, dayfirst="yes"),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "dayfirst"},
        ("yes",),
    ),
    "timezone unknown": (
        lambda: summarize(OK, timezone="Mars/Base"),
        ArgumentError,
        {"argument": "timezone"},
        ("Mars/Base",),
    ),
    "timezone number": (
        lambda: summarize(OK, timezone=1),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "timezone"},
        ("IANA",),
    ),
    "column name not text": (
        lambda: summarize(OK, customer_id=3),  # type: ignore[arg-type]
        ArgumentError,
        {"argument": "customer_id"},
        ("column name",),
    ),
    "transactions a list": (
        lambda: summarize([1, 2, 3]),
        ArgumentError,
        {"argument": "transactions"},
        ("DataFrame",),
    ),
    "observation_end text": (
        lambda: summarize(OK, observation_end="soon"),
        ArgumentError,
        {"argument": "observation_end"},
        ("soon",),
    ),
    "observation_end number": (
        lambda: summarize(OK, observation_end=45300),
        ArgumentError,
        {"argument": "observation_end"},
        ("date_unit",),
    ),
    "observation_end bool": (
        lambda: summarize(OK, observation_end=True),
        ArgumentError,
        {"argument": "observation_end"},
        ("True",),
    ),
    "observation_end ambiguous": (
        lambda: summarize(OK, observation_end="01/02/2024"),
        ArgumentError,
        {"argument": "observation_end"},
        ("dayfirst",),
    ),
    "calibration_end unreadable": (
        lambda: calibration_holdout(OK, calibration_end="later"),
        ArgumentError,
        {"argument": "calibration_end"},
        ("later",),
    ),
    "holdout end before calibration end": (
        lambda: calibration_holdout(OK, calibration_end="2024-01-04", observation_end="2024-01-02"),
        ArgumentError,
        {"argument": "observation_end"},
        ("calibration_end",),
    ),
    "no holdout period": (
        lambda: calibration_holdout(OK, calibration_end="2024-02-01"),
        ArgumentError,
        {"argument": "calibration_end"},
        ("holdout",),
    ),
    # ---------------------------------------------------------------- columns
    "missing date column": (
        lambda: summarize(OK, datetime="when"),
        DataError,
        {"column": "when"},
        ("missing column", "found"),
    ),
    "missing amount column": (
        lambda: summarize(OK, monetary_value="value"),
        DataError,
        {"column": "value"},
        ("value",),
    ),
    "missing currency column": (
        lambda: summarize(OK, monetary_value="amount", currency="ccy"),
        DataError,
        {"column": "ccy"},
        ("ccy",),
    ),
    "empty log": (lambda: summarize(OK.iloc[:0]), DataError, {}, ("empty",)),
    # ---------------------------------------------------------------- ids
    "blank id": (
        lambda: summarize(log(customer_id=["a", "  ", "b"])),
        DataError,
        {"column": "customer_id", "rows": (1,)},
        ("missing customer ids", "missing_ids='drop'"),
    ),
    "None id": (
        lambda: summarize(log(customer_id=["a", None, "b"])),
        DataError,
        {"column": "customer_id", "rows": (1,)},
        ("missing customer ids",),
    ),
    "ids differing only by spaces": (
        lambda: summarize(log(customer_id=["007", " 007", "b"])),
        DataError,
        {"column": "customer_id", "rows": (0, 1)},
        ("spaces around",),
    ),
    "float ids": (
        lambda: summarize(log(customer_id=[7.0, 7.0, 8.0])),
        DataError,
        {"column": "customer_id"},
        ("floating-point", "dtype"),
    ),
    "bool ids": (
        lambda: summarize(log(customer_id=[True, True, False])),
        DataError,
        {"column": "customer_id"},
        ("booleans",),
    ),
    "ids mixing text and numbers": (
        lambda: summarize(log(customer_id=["007", 7, "b"])),
        DataError,
        {"column": "customer_id", "rows": (1,)},
        ("mix text",),
    ),
    "all ids missing, dropped": (
        lambda: summarize(log(customer_id=[None, None, ""]), missing_ids="drop"),
        DataError,
        {},
        ("no transactions left",),
    ),
    # ---------------------------------------------------------------- dates
    "unparseable date": (
        lambda: summarize(log(date=["2024-01-01", "not a date", "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("unparseable",),
    ),
    "missing date": (
        lambda: summarize(log(date=["2024-01-01", None, "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("missing dates",),
    ),
    "blank date": (
        lambda: summarize(log(date=["2024-01-01", " ", "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("missing dates",),
    ),
    "excel serial without unit": (
        lambda: summarize(log(date=[45292, 45296, 45294])),
        DataError,
        {"column": "date"},
        ("date_unit", "excel"),
    ),
    "excel serial as text without unit": (
        lambda: summarize(log(date=["45292", "45296", "45294"])),
        DataError,
        {"column": "date", "rows": (0, 1, 2)},
        ("plain numbers", "date_unit"),
    ),
    "epoch float without unit": (
        lambda: summarize(log(date=[1.7e9, 1.7e9, 1.7e9])),
        DataError,
        {"column": "date"},
        ("date_unit",),
    ),
    "epoch ms read as seconds": (
        lambda: summarize(log(date=[1704067200000, 1704153600000, 1704240000000]), date_unit="s"),
        DataError,
        {"column": "date", "rows": (0, 1, 2)},
        ("outside", "ms"),
    ),
    "excel serial before 1900-03-01": (
        lambda: summarize(log(date=[45292, 59, 45294]), date_unit="excel"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("below 61",),
    ),
    "infinite epoch": (
        lambda: summarize(log(date=[1.7e9, np.inf, 1.7e9]), date_unit="s"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("infinite",),
    ),
    "text among excel serials": (
        lambda: summarize(log(date=["45292", "x", "45294"]), date_unit="excel"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("not numbers",),
    ),
    "date_unit on datetimes": (
        lambda: summarize(log(date=pd.to_datetime(DATES)), date_unit="s"),
        ArgumentError,
        {"argument": "date_unit"},
        ("datetimes",),
    ),
    "placeholder 9999-12-31": (
        lambda: summarize(log(date=["2024-01-01", "9999-12-31", "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("outside", "1677-09-22"),
    ),
    "year 1": (
        lambda: summarize(log(date=["2024-01-01", "0001-01-01", "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("outside",),
    ),
    "datetime objects out of range": (
        lambda: summarize(
            log(
                date=[
                    pd.Timestamp("2024-01-01").to_pydatetime(),
                    __import__("datetime").datetime(3000, 1, 1),
                    pd.Timestamp("2024-01-03").to_pydatetime(),
                ]
            )
        ),
        DataError,
        {"column": "date", "rows": (1,)},
        ("outside",),
    ),
    "ambiguous day/month": (
        lambda: summarize(log(date=["01/02/2024", "03/04/2024", "05/06/2024"])),
        DataError,
        {"column": "date"},
        ("ambiguous", "dayfirst", "01/02/2024"),
    ),
    "day/month order differs": (
        lambda: summarize(log(date=["13/02/2024", "02/14/2024", "25/06/2024"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("differs",),
    ),
    "dayfirst contradicted": (
        lambda: summarize(log(date=["01/02/2024", "02/14/2024", "05/06/2024"]), dayfirst=True),
        DataError,
        {"column": "date", "rows": (1,)},
        ("unparseable",),
    ),
    "offset and naive mixed": (
        lambda: summarize(log(date=["2024-01-01T10:00+01:00", "2024-01-05", "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1, 2)},
        ("UTC offset",),
    ),
    "wrong date_format": (
        lambda: summarize(OK, date_format="%d.%m.%Y"),
        DataError,
        {"column": "date", "rows": (0, 1, 2)},
        ("%d.%m.%Y",),
    ),
    "bool dates": (
        lambda: summarize(log(date=[True, False, True])),
        DataError,
        {"column": "date"},
        ("booleans",),
    ),
    "dates mixing text and numbers": (
        lambda: summarize(log(date=["2024-01-01", 45292, "2024-01-03"])),
        DataError,
        {"column": "date", "rows": (1,)},
        ("mix text",),
    ),
    "after observation end": (
        lambda: summarize(OK, observation_end="2024-01-04"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("after the end",),
    ),
    "after holdout end": (
        lambda: calibration_holdout(OK, calibration_end="2024-01-02", observation_end="2024-01-04"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("after the end",),
    ),
    "nothing in calibration": (
        lambda: calibration_holdout(OK, calibration_end="2023-12-01"),
        DataError,
        {},
        ("no purchases up to calibration_end",),
    ),
    # ---------------------------------------------------------------- amounts
    "NaN amount": (
        lambda: summarize(log(amount=[1.0, np.nan, 2.0]), monetary_value="amount"),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("missing",),
    ),
    "infinite amount": (
        lambda: summarize(log(amount=[1.0, np.inf, 2.0]), monetary_value="amount"),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("infinite",),
    ),
    "text amount": (
        lambda: summarize(log(amount=["1.0", "twelve", "2"]), monetary_value="amount"),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("not numbers", "twelve"),
    ),
    "bool amounts": (
        lambda: summarize(log(amount=[True, False, True]), monetary_value="amount"),
        DataError,
        {"column": "amount"},
        ("booleans",),
    ),
    "negative amount refused": (
        lambda: summarize(log(amount=[1.0, -2.0, 2.0]), monetary_value="amount"),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("returns='drop'", "returns='net'"),
    ),
    "netted return without purchase": (
        lambda: summarize(log(amount=[10.0, -2.0, 2.0]), monetary_value="amount", returns="net"),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("nothing to net",),
    ),
    "netted return above the day's purchases": (
        lambda: summarize(
            log(date=["2024-01-01", "2024-01-01", "2024-01-03"], amount=[10.0, -12.0, 2.0]),
            monetary_value="amount",
            returns="net",
        ),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("exceed",),
    ),
    "return only customer": (
        lambda: summarize(log(amount=[10.0, 20.0, -5.0]), monetary_value="amount", returns="net"),
        DataError,
        {"column": "amount", "rows": (2,)},
        ("nothing to net",),
    ),
    # ---------------------------------------------------------------- currencies
    "two currencies": (
        lambda: summarize(
            log(amount=[1.0, 2.0, 3.0], ccy=["EUR", "USD", "EUR"]),
            monetary_value="amount",
            currency="ccy",
        ),
        CurrencyError,
        {},
        ("'ccy'", "EUR", "USD", "rows 1"),
    ),
    "missing currency": (
        lambda: summarize(
            log(amount=[1.0, 2.0, 3.0], ccy=["EUR", None, "EUR"]),
            monetary_value="amount",
            currency="ccy",
        ),
        DataError,
        {"column": "ccy", "rows": (1,)},
        ("missing currencies",),
    ),
    "lower-case currency": (
        lambda: summarize(
            log(amount=[1.0, 2.0, 3.0], ccy=["EUR", "eur", "EUR"]),
            monetary_value="amount",
            currency="ccy",
        ),
        DataError,
        {"column": "ccy", "rows": (1,)},
        ("ISO 4217",),
    ),
    # ---------------------------------------------------------------- several at once
    "every problem in one error": (
        lambda: summarize(
            log(
                customer_id=["a", None, "b"],
                date=["2024-01-01", "x", "bad"],
                amount=[1.0, 2.0, -1.0],
            ),
            monetary_value="amount",
        ),
        DataError,
        {"rows": (1, 2), "count": 2},
        ("3 problems", "'customer_id'", "'date'", "'amount'"),
    ),
    # ---------------------------------------------------------------- the container
    "summary recency above T": (
        lambda: RFMSummary(
            customer_id=["a", "b"], frequency=[1, 1], recency=[1.0, 9.0], T=[5.0, 5.0]
        ),
        DataError,
        {"column": "recency", "rows": ("b",)},
        ("greater than T",),
    ),
    "summary negative spend": (
        lambda: RFMSummary(
            customer_id=["a"], frequency=[1], recency=[1.0], T=[5.0], monetary_value=[-1.0]
        ),
        DataError,
        {"column": "monetary_value", "rows": ("a",)},
        (">= 0",),
    ),
    "summary weights fractional": (
        lambda: RFMSummary(customer_id=["a"], frequency=[1], recency=[1.0], T=[5.0], weights=[0.5]),
        DataError,
        {"column": "weights", "rows": ("a",)},
        ("integers",),
    ),
    "summary 2-d ids": (
        lambda: RFMSummary(customer_id=[["a"]], frequency=[1], recency=[1.0], T=[5.0]),
        DataError,
        {"column": "customer_id"},
        ("one-dimensional",),
    ),
    "summary text frequency": (
        lambda: RFMSummary(customer_id=["a"], frequency=["1"], recency=[1.0], T=[5.0]),
        DataError,
        {"column": "frequency"},
        ("text",),
    ),
    "summary from a frame with text numbers": (
        lambda: RFMSummary.from_frame(SUMMARY.assign(frequency=["x", "1"])),
        DataError,
        {"column": "frequency"},
        ("text",),
    ),
    "summary from a frame with boolean numbers": (
        lambda: RFMSummary.from_frame(SUMMARY.assign(frequency=[True, False])),
        DataError,
        {"column": "frequency"},
        ("booleans",),
    ),
    "summary from something not a frame": (
        lambda: RFMSummary.from_frame({"frequency": [1]}),
        ArgumentError,
        {"argument": "frame"},
        ("DataFrame",),
    ),
    "summary from a mapping without T": (
        lambda: RFMSummary.from_mapping({"frequency": [1], "recency": [1.0]}),
        DataError,
        {"column": "T"},
        ("missing",),
    ),
    "summary from a list": (
        lambda: RFMSummary.from_mapping([1, 2]),
        ArgumentError,
        {"argument": "data"},
        ("mapping",),
    ),
    "summary ids mixing text and numbers": (
        lambda: RFMSummary.from_frame(SUMMARY.set_axis(["b", 1])),
        DataError,
        {"column": "customer_id"},
        ("all text or all numbers",),
    ),
    "summary with a missing id": (
        lambda: RFMSummary(
            customer_id=["b", None], frequency=[1, 0], recency=[1.0, 0], T=[5.0, 5.0]
        ),
        DataError,
        {"column": "customer_id", "rows": (1,)},
        ("none missing",),
    ),
    "summary unknown unit": (
        lambda: RFMSummary(customer_id=["a"], frequency=[1], recency=[1.0], T=[5.0], time_unit="Q"),
        ArgumentError,
        {"argument": "time_unit"},
        ("'Q'",),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_named(name: str) -> None:
    _refused_and_named(CASES[name])


def _refused_and_named(case: Case) -> None:
    call, kind, attributes, texts = case
    with pytest.raises(kind) as err:
        call()
    assert isinstance(err.value, RelmarkError)
    message = str(err.value)
    for attribute, expected in attributes.items():
        assert getattr(err.value, attribute) == expected, (attribute, message)
    if "argument" in attributes:
        assert message.startswith(f"argument {attributes['argument']!r}: ")
    if "column" in attributes:
        assert repr(attributes["column"]) in message
    for text in texts:
        assert text in message


def test_there_are_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50


# -------------------------------------------------------------------------- CSV files
@pytest.fixture
def csv(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "log.csv"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_csv_errors_name_the_line_numbers(csv: Callable[[str], Path]) -> None:
    """All problems of a file in one error, with 1-based line numbers (the header is line 1;
    a quoted field with a line break makes a row two lines long)."""
    path = csv(
        "customer_id,date,amount\n"
        "007,2024-01-01,10\n"
        "7,2024-01-02,x\n"
        ",2024-01-03,4\n"
        '"a\nb",bad,1\n'
        "c,2024-01-09,-3\n"
    )
    with pytest.raises(DataError) as err:
        summarize(read_transactions(path), monetary_value="amount")
    assert err.value.rows == (3, 4, 5, 7)
    message = str(err.value)
    assert "4 problems" in message
    assert "CSV lines 3" in message and "CSV lines 4" in message
    assert "CSV lines 5" in message and "CSV lines 7" in message


def test_csv_single_problem_says_lines(csv: Callable[[str], Path]) -> None:
    path = csv("customer_id,date\n\na,2024-01-01\nb,2024-13-01\n")
    with pytest.raises(DataError) as err:
        summarize(read_transactions(path))
    assert err.value.rows == (4,)  # the blank line 2 is skipped but counted
    assert "CSV line numbers" in str(err.value)


def test_csv_ids_are_text(csv: Callable[[str], Path]) -> None:
    path = csv("customer_id,date\n007,2024-01-01\n7,2024-01-02\n007,2024-01-09\n")
    s = summarize(read_transactions(path))
    assert s.customer_id.tolist() == ["007", "7"]
    assert s.frequency.tolist() == [1.0, 0.0]


def test_csv_reader_refuses_what_it_cannot_read(csv: Callable[[str], Path], tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as err:
        read_transactions(tmp_path / "nothing.csv")
    assert err.value.argument == "path"
    with pytest.raises(DataError, match="not a readable CSV"):
        read_transactions(csv(""))
    with pytest.raises(DataError, match="not a readable CSV"):
        read_transactions(csv("a,b\n1,2,3,4\n"))
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("customer_id,date\nJos\xe9,2024-01-01\n".encode("latin-1"))
    with pytest.raises(DataError, match="not a readable CSV"):
        read_transactions(bad)
    assert read_transactions(bad, encoding="latin-1").iloc[0, 0] == "José"


@given(
    log=junk_logs(),
    options=st.fixed_dictionaries(
        {},
        optional={
            "returns": st.sampled_from(["refuse", "drop", "net"]),
            "missing_ids": st.sampled_from(["refuse", "drop"]),
            "date_unit": st.sampled_from(["excel", "s", "ms"]),
            "dayfirst": st.booleans(),
            "timezone": st.sampled_from(["UTC", "Europe/Berlin"]),
            "time_unit": st.sampled_from(["D", "W", "h", "M"]),
        },
    ),
)
@settings(max_examples=150, deadline=None)
def test_junk_gives_a_summary_or_a_relmark_error(log: pd.DataFrame, options: Any) -> None:
    """Arbitrary values in every column: never a raw pandas/numpy error, never a NaN."""
    try:
        s = summarize(log, monetary_value="amount", **options)
    except RelmarkError:
        return
    assert np.isfinite(s.frequency).all() and np.isfinite(s.T).all()
    assert s.monetary_value is not None and np.isfinite(s.monetary_value).all()


# ------------------------------------------------------------------------------------------
# Regressions of the adversarial review (r2): each was a raw error, a silent coercion or a
# wrong result before. (call, error type, attribute checks, texts the message must contain)
# ------------------------------------------------------------------------------------------
def _aware_and_other(second: datetime.datetime) -> pd.DataFrame:
    first = datetime.datetime(2024, 1, 1, 23, tzinfo=datetime.UTC)
    return pd.DataFrame(
        {"customer_id": ["a", "a"], "date": pd.Series([first, second], dtype=object)}
    )


def _rfm(**kw: Any) -> RFMSummary:
    base: dict[str, Any] = {
        "customer_id": ["a", "b"],
        "frequency": [1, 0],
        "recency": [2.0, 0.0],
        "T": [5.0, 5.0],
    }
    base.update(kw)
    return RFMSummary(**base)


REGRESSIONS: dict[str, Case] = {
    "datetimes aware and naive mixed (were NaT, then a raw OverflowError)": (
        lambda: summarize(_aware_and_other(datetime.datetime(2024, 1, 2, 1))),
        DataError,
        {"column": "date", "rows": (1,)},
        ("without a time zone",),
    ),
    "bad date_format directive (raw ValueError)": (
        lambda: summarize(OK, date_format="%Q"),
        ArgumentError,
        {"argument": "date_format"},
        ("strftime",),
    ),
    "Excel serial 1e300 (RuntimeWarning overflow)": (
        lambda: summarize(log(date=[45292.0, 1e300, 45293.0]), date_unit="excel"),
        DataError,
        {"column": "date", "rows": (1,)},
        ("outside",),
    ),
    "calibration_end 1e300 with date_unit (RuntimeWarning overflow)": (
        lambda: calibration_holdout(
            log(date=[45292, 45312, 45300]), calibration_end=1e300, date_unit="excel"
        ),
        ArgumentError,
        {"argument": "calibration_end"},
        ("outside",),
    ),
    "amounts with a True among numbers (counted as 1)": (
        lambda: summarize(
            log(amount=pd.Series([10.0, True, 5.0], dtype=object)), monetary_value="amount"
        ),
        DataError,
        {"column": "amount", "rows": (1,)},
        ("booleans",),
    ),
    "currency column without amounts (ignored)": (
        lambda: summarize(log(ccy=["EUR"] * 3), currency="ccy"),
        ArgumentError,
        {"argument": "currency"},
        ("monetary_value",),
    ),
    "polars LazyFrame (raw PerformanceWarning)": (
        lambda: summarize(pl.from_pandas(OK).lazy()),
        ArgumentError,
        {"argument": "transactions"},
        ("collect",),
    ),
    "pyarrow Table (read as missing columns)": (
        lambda: summarize(pa.Table.from_pandas(OK)),
        ArgumentError,
        {"argument": "transactions"},
        ("to_pandas",),
    ),
    "summary ids mixing text and numbers (made all text)": (
        lambda: _rfm(customer_id=["a", 1]),
        DataError,
        {"column": "customer_id"},
        ("all text or all numbers",),
    ),
    "summary boolean ids (accepted)": (
        lambda: _rfm(customer_id=[True, False]),
        DataError,
        {"column": "customer_id"},
        ("booleans",),
    ),
    "summary blank id (accepted)": (
        lambda: _rfm(customer_id=["a", "  "]),
        DataError,
        {"column": "customer_id", "rows": (1,)},
        ("blank",),
    ),
    "summary fractional frequency_holdout (accepted)": (
        lambda: _rfm(frequency_holdout=[1.5, 0], duration_holdout=[3.0, 3.0]),
        DataError,
        {"column": "frequency_holdout", "rows": ("a",)},
        ("whole",),
    ),
    "summary zero duration_holdout (accepted)": (
        lambda: _rfm(frequency_holdout=[0, 0], duration_holdout=[0.0, 0.0]),
        DataError,
        {"column": "duration_holdout"},
        ("> 0",),
    ),
    "summary holdout without duration (accepted)": (
        lambda: _rfm(frequency_holdout=[1, 0]),
        DataError,
        {"column": "duration_holdout"},
        ("holdout",),
    ),
    "summary non-ASCII currency 'ÉÜR' (accepted)": (
        lambda: _rfm(currency="ÉÜR"),
        ArgumentError,
        {"argument": "currency"},
        ("ISO 4217",),
    ),
    "summary notes=None (raw TypeError)": (
        lambda: _rfm(notes=None),
        ArgumentError,
        {"argument": "notes"},
        ("sentences",),
    ),
    "from_frame customer_id=3 (named a column '3')": (
        lambda: RFMSummary.from_frame(SUMMARY, customer_id=3),
        ArgumentError,
        {"argument": "customer_id"},
        ("column name",),
    ),
    "from_frame datetime T (read as nanoseconds)": (
        lambda: RFMSummary.from_frame(SUMMARY.assign(T=pd.to_datetime(["2024-01-01"] * 2))),
        DataError,
        {"column": "T"},
        ("dates",),
    ),
    "from_frame timedelta T (read as nanoseconds)": (
        lambda: RFMSummary.from_frame(SUMMARY.assign(T=pd.to_timedelta([5, 5], unit="D"))),
        DataError,
        {"column": "T"},
        ("time spans",),
    ),
    "from_mapping ragged frequency (raw ValueError)": (
        lambda: RFMSummary.from_mapping({"frequency": [[1], [1, 2]], "recency": [2], "T": [5]}),
        DataError,
        {"column": "frequency"},
        ("rectangular",),
    ),
    "from_mapping misspelt column (dropped silently)": (
        lambda: RFMSummary.from_mapping(
            {"frequency": [1], "recency": [2.0], "T": [5.0], "monetary": [3.0]}
        ),
        DataError,
        {"column": "monetary"},
        ("unknown column",),
    ),
    "read_transactions sep=5 (raw TypeError)": (
        lambda: read_transactions(Path(__file__), sep=5),
        ArgumentError,
        {"argument": "sep"},
        ("non-empty text",),
    ),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_regression_is_refused_and_named(name: str) -> None:
    _refused_and_named(REGRESSIONS[name])


def test_datetime_objects_of_two_zones_are_one_instant_each() -> None:
    """pandas 3 makes the second zone NaT (the log then failed with an OverflowError)."""
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    both = _aware_and_other(datetime.datetime(2024, 1, 2, 1, tzinfo=berlin))  # 00:00 UTC
    assert summarize(both).frequency.tolist() == [1.0]  # 1 and 2 January, UTC days
    assert summarize(both, timezone="Europe/Berlin").frequency.tolist() == [0.0]  # 2 January


def test_polars_aware_datetimes_keep_their_zone() -> None:
    """23:30 and 00:30 UTC are one day (2 January) in Tokyo; the zone was dropped before."""
    stamps = [datetime.datetime(2024, 1, 1, 23, 30), datetime.datetime(2024, 1, 2, 0, 30)]
    frame = pl.DataFrame(
        {"customer_id": ["a", "a"], "date": pl.Series(stamps).dt.replace_time_zone("UTC")}
    )
    assert summarize(frame).frequency.tolist() == [1.0]
    tokyo = summarize(frame, timezone="Asia/Tokyo", observation_end="2024-01-03 12:00")
    assert tokyo.frequency.tolist() == [0.0] and tokyo.T.tolist() == [1.0]


def test_text_end_dates_with_a_numeric_date_unit() -> None:
    """An Excel log's observation_end may be written as a date (it was refused)."""
    excel = log(date=[45292, 45302, 45293])  # 2024-01-01, 01-11, 01-02
    s = summarize(excel, date_unit="excel", observation_end="2024-01-21")
    assert s.T.tolist() == [20.0, 19.0]
    assert s == summarize(excel, date_unit="excel", observation_end=45312)
    c = calibration_holdout(excel, calibration_end="2024-01-05", date_unit="excel")
    assert c.frequency_holdout is not None and c.duration_holdout is not None
    assert c.frequency_holdout.tolist() == [1.0, 0.0] and c.duration_holdout.tolist() == [6.0] * 2


def test_csv_repeated_header_and_bad_separators(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,date\n1,2024-01-01,2024-01-02\n")
    with pytest.raises(DataError, match="repeats column names") as err:
        read_transactions(path)  # pandas renamed the second one date.1
    assert err.value.column == "date"
    path.write_text("customer_id,date,date.1\n1,2024-01-01,2024-01-02\n")
    assert list(read_transactions(path).columns) == ["customer_id", "date", "date.1"]
    for sep in (None, ""):
        with pytest.raises(ArgumentError) as arg:
            read_transactions(path, sep=sep)
        assert arg.value.argument == "sep"
    with pytest.raises(ArgumentError) as arg:
        read_transactions(path, encoding="klingon")
    assert arg.value.argument == "encoding"


def test_frame_round_trip_keeps_time_unit_and_currency() -> None:
    s = _rfm(monetary_value=[3.0, 0.0], time_unit="14D", currency="EUR")
    back = RFMSummary.from_frame(s.to_frame())
    assert back == s and back.time_unit == "2W" and back.currency == "EUR"
    assert RFMSummary.from_frame(s.to_frame(), time_unit="14D").time_unit == "2W"
    with pytest.raises(ArgumentError, match=r"'D'.*'2W'") as info:  # was relabelled "D"
        RFMSummary.from_frame(s.to_frame(), time_unit="D")
    assert info.value.argument == "time_unit"
    assert RFMSummary.from_mapping({"frequency": 1, "recency": 2.0, "T": 5.0}).T.tolist() == [5.0]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: TimeUnit("D", 10**400), "time_unit"),  # raw OverflowError
        (lambda: TimeUnit("D", Decimal("sNaN")), "time_unit"),  # raw ValueError
        (lambda: TimeUnit("W", 1e308), "time_unit"),  # inf hours
        (lambda: TimeUnit("M", 1e308), "time_unit"),
        (lambda: TimeUnit("D", 1e-320), "time_unit"),  # a month of inf units
        (lambda: TimeUnit.parse("W\n"), "time_unit"),  # accepted
        (lambda: TimeUnit.parse("\u0661\u0664D"), "time_unit"),  # Arabic digits: was '2W'
        (lambda: TimeUnit.parse("x", argument="unit"), "unit"),
        (lambda: TimeUnit("W").length_in("D"), "other"),  # raw AttributeError
        (lambda: periods(np.array(["2024-01-07"], dtype="datetime64[ns]"), "Q"), "base"),
        (lambda: periods(np.array(["2024-01-07"]), "D"), "dates"),  # text parsed silently
        (lambda: periods(np.array(["NaT"], dtype="datetime64[ns]"), "D"), "dates"),  # int min
        (lambda: v.check_number(10**400, "rate"), "rate"),  # raw OverflowError
        (lambda: v.check_number(-(10**400), "rate"), "rate"),
        (lambda: v.check_number(Decimal("sNaN"), "rate"), "rate"),  # raw ValueError
        (lambda: v.check_level(Decimal("sNaN"), "level"), "level"),
        (lambda: load_retention("vip"), "segment"),  # a bare RelmarkError
        (lambda: load_retention(None), "segment"),  # type: ignore[arg-type]
        (lambda: load_retention(cohort_size=0), "cohort_size"),  # a table of zeros
        (lambda: load_retention(cohort_size=-5), "cohort_size"),  # negative counts
        (lambda: load_retention(cohort_size=1.5), "cohort_size"),  # type: ignore[arg-type]
        (lambda: load_retention(cohort_size=True), "cohort_size"),
        (lambda: load_retention(cohort_size=float("nan")), "cohort_size"),  # RuntimeWarning
        (lambda: load_retention(cohort_size="1000"), "cohort_size"),  # raw UFuncTypeError
        (lambda: load_retention(cohort_size=10**18), "cohort_size"),  # int64 overflow
        (lambda: load_cdnow_summary(with_monetary="yes"), "with_monetary"),  # taken as True
    ],
)
def test_base_layer_and_dataset_arguments_are_named(
    call: Callable[[], object], argument: str
) -> None:
    with pytest.raises(ArgumentError) as err:
        call()
    assert err.value.argument == argument
    assert str(err.value).startswith(f"argument {argument!r}: ")


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (None, "None"),  # was NaN
        ([1 + 2j], "complex"),  # raw ComplexWarning
        (np.array(["2024-01-01"], dtype="datetime64[D]"), "dates"),  # was 19723.0
        (np.array([5], dtype="timedelta64[D]"), "time spans"),  # was 5.0
    ],
)
def test_as_numbers_refuses_what_is_not_a_real_number(values: Any, text: str) -> None:
    with pytest.raises(DataError, match=text) as err:
        v.as_numbers(values, "spend")
    assert err.value.column == "spend"


def test_exact_counts_and_fractions() -> None:
    assert v.check_count(10**18 + 1, "n") == 10**18 + 1  # was 10**18 (through a float)
    assert v.check_count(np.int64(2**63 - 1), "n") == 2**63 - 1
    assert v.check_number(Fraction(1, 4), "share") == 0.25  # a real number, was refused
    alive = load_retention(cohort_size=2**53)["alive"].tolist()
    assert alive[0] == 2**53 and alive == sorted(alive, reverse=True)
    with pytest.raises(TypeError):
        RETENTION_TABLES["regular"] = (1.0,)  # type: ignore[index]


def test_split_period_returns_are_netted_on_their_side() -> None:
    """calibration_end inside a day: a holdout return netted against a calibration purchase
    of that day gave a negative holdout spend (a DataError about an internal column)."""
    split = pd.DataFrame(
        {
            "customer_id": ["a"] * 4,
            "date": ["2024-01-01 09:00", "2024-01-05 08:00", "2024-01-05 20:00", "2024-01-15"],
            "amount": [10.0, 8.0, -8.0, 3.0],
        }
    )
    kw: dict[str, Any] = {"monetary_value": "amount", "returns": "net"}
    with pytest.raises(DataError, match="other side of calibration_end") as err:
        calibration_holdout(split, calibration_end="2024-01-05 12:00", **kw)
    assert err.value.column == "amount" and err.value.rows == (2,)
    whole = calibration_holdout(split, calibration_end="2024-01-05 23:59", **kw)
    assert whole.frequency.tolist() == [1.0] and whole.monetary_value is not None
    assert whole.monetary_value.tolist() == [0.0]  # the repeat purchase was refunded in full
    assert whole.monetary_value_holdout is not None
    assert whole.monetary_value_holdout.tolist() == [3.0]


def test_full_refund_with_float_rounding_is_not_an_excess() -> None:
    """0.3 - 0.1 - 0.2 is -2.8e-17 in floats: it was refused as a return above its purchase."""
    refund = pd.DataFrame(
        {
            "customer_id": ["a"] * 4,
            "date": ["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-05"],
            "amount": [10.0, 0.3, -0.1, -0.2],
        }
    )
    s = summarize(refund, monetary_value="amount", returns="net")
    assert s.frequency.tolist() == [1.0] and s.monetary_value is not None
    assert s.monetary_value.tolist() == [0.0]
    with pytest.raises(DataError, match="exceed"):
        summarize(
            refund.assign(amount=[10.0, 0.3, -0.1, -0.2001]), monetary_value="amount", returns="net"
        )


@pytest.mark.parametrize(
    "ids",
    [
        ["007", "007\u200b"],  # a zero-width space (str.strip keeps it)
        ["007", "\ufeff007"],  # a byte-order mark
        ["\u00e9", "e\u0301"],  # é composed and decomposed (NFC and NFD)
    ],
)
def test_ids_differing_by_invisible_characters_are_refused(ids: list[str]) -> None:
    """They were two customers; to the eye and in the export they are one."""
    twins = pd.DataFrame({"customer_id": ids, "date": ["2024-01-01", "2024-01-02"]})
    with pytest.raises(DataError, match="differ only by spaces") as err:
        summarize(twins)
    assert err.value.column == "customer_id" and err.value.rows == (0, 1)


def test_invisible_only_ids_are_missing_and_accents_are_distinct() -> None:
    blank = pd.DataFrame({"customer_id": ["a", "\u200b", None], "date": ["2024-01-01"] * 3})
    with pytest.raises(DataError, match="missing customer ids") as err:
        summarize(blank)
    assert err.value.rows == (1, 2)
    accents = pd.DataFrame({"customer_id": ["\u00e9", "e"], "date": ["2024-01-01"] * 2})
    assert summarize(accents).customer_id.tolist() == ["e", "\u00e9"]


def test_amounts_whose_sum_overflows_name_the_amount_column() -> None:
    """Two finite 1e308 in one period: the error named the internal monetary_value column and
    said 'missing (NaN) or infinite values'."""
    huge = log(amount=[1.0, 1e308, 5.0]).assign(date=["2024-01-01", "2024-01-05", "2024-01-05"])
    huge = pd.concat([huge, huge.iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match="beyond the float range") as err:
        summarize(huge, monetary_value="amount")
    assert err.value.column == "amount" and err.value.rows == ("a",)
    with pytest.raises(DataError, match="beyond the float range"):
        calibration_holdout(huge, calibration_end="2024-01-02", monetary_value="amount")


@pytest.mark.parametrize(
    ("amounts", "text"),
    [
        (pd.to_timedelta([1, 2, 3], unit="D"), "time spans"),  # were read as nanoseconds
        (pd.to_datetime(["2024-01-01"] * 3), "dates"),
        (np.array([1 + 1j, 2, 3]), "complex"),  # raw ComplexWarning
    ],
)
def test_amounts_that_are_not_real_numbers(amounts: Any, text: str) -> None:
    with pytest.raises(DataError, match=text) as err:
        summarize(log(amount=amounts), monetary_value="amount")
    assert err.value.column == "amount"


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series(["a", None], dtype="string"),  # raw TypeError (NA is ambiguous)
        pd.Series(["a", " "]),  # a blank id was accepted
        np.array(["a", ""], dtype=object),
    ],
)
def test_summary_ids_from_pandas_and_objects(ids: Any) -> None:
    with pytest.raises(DataError) as err:
        RFMSummary(customer_id=ids, frequency=[1, 0], recency=[1.0, 0], T=[2.0, 2.0])
    assert err.value.column == "customer_id" and err.value.rows == (1,)


@pytest.mark.parametrize(
    ("end", "utc_day"),
    [
        ("2024-01-10T02:00:00+05:00", 9),  # 9 January 21:00 UTC
        (pd.Timestamp("2024-01-10", tz="UTC"), 10),
        (datetime.datetime(2024, 1, 10, tzinfo=datetime.UTC), 10),
    ],
)
def test_an_end_with_an_offset_needs_a_log_with_offsets(end: Any, utc_day: int) -> None:
    """A log of wall-clock times and an end with an offset are two clocks (it was taken)."""
    with pytest.raises(ArgumentError) as err:
        summarize(OK, observation_end=end)
    assert err.value.argument == "observation_end"
    with pytest.raises(ArgumentError) as err:
        calibration_holdout(OK, calibration_end=end)
    assert err.value.argument == "calibration_end"
    aware = OK.assign(date=[d + "T00:00:00+01:00" for d in DATES])  # 31 Dec, 4 and 2 Jan UTC
    assert summarize(aware, observation_end=end).T.tolist() == [utc_day, utc_day - 2]
    epoch = OK.assign(date=[1704067200, 1704412800, 1704240000])  # 1, 5 and 3 January UTC
    got = summarize(epoch, date_unit="s", observation_end=end).T.tolist()
    assert got == [utc_day - 1, utc_day - 3]


# ------------------------------------------------------------- adversarial review regressions
REVIEW: dict[str, Case] = {
    # 5 > 1 * ln(2 / 1) = 0.69: one gap adding up to recency 2 has ln(gap) = ln 2; accepted
    "sum_log_interpurchase above x ln(recency/x)": (
        lambda: RFMSummary(
            customer_id=[1, 2],
            frequency=[0, 1],
            recency=[0, 2.0],
            T=[5, 5.0],
            sum_log_interpurchase=[0, 5.0],
        ),
        DataError,
        {"column": "sum_log_interpurchase", "rows": (2,)},  # customer 2
        ("impossible",),
    ),
}


@pytest.mark.parametrize("name", list(REVIEW))
def test_review_regression_is_refused_and_named(name: str) -> None:
    _refused_and_named(REVIEW[name])


def test_sum_log_interpurchase_at_its_bound_and_below_is_accepted() -> None:
    """Two gaps of 1.5 (recency 3): sum ln = 2 ln 1.5 = x ln(t_x / x), the largest possible;
    gaps of 0.5 and 2.5 give ln 0.5 + ln 2.5 = 0.223 < 0.811."""
    s = RFMSummary(
        customer_id=[1, 2],
        frequency=[2, 2],
        recency=[3.0, 3.0],
        T=[5.0, 5.0],
        sum_log_interpurchase=[2 * np.log(1.5), np.log(0.5) + np.log(2.5)],
    )
    assert s.sum_log_interpurchase is not None


def test_tiny_holdout_amounts_are_kept() -> None:
    """Holdout spend below 1e-9 was zeroed (an absolute threshold; the calibration spend and
    the DuckDB engine kept it): 3e-10 in one holdout purchase is a mean of 3e-10."""
    tiny = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": ["2024-01-01", "2024-01-05", "2024-02-01"],
            "amount": [1e-10, 2e-10, 3e-10],
        }
    )
    for rule in ("period", "transaction"):
        s = calibration_holdout(
            tiny, calibration_end="2024-01-10", monetary_value="amount", holdout_spend=rule
        )
        assert s.monetary_value_holdout is not None and s.monetary_value is not None
        assert s.monetary_value_holdout[0] == pytest.approx(3e-10, rel=1e-12)
        assert s.monetary_value[0] == pytest.approx(2e-10, rel=1e-12)


def test_a_polars_lazyframe_is_refused_naming_data() -> None:
    """A LazyFrame (a query) was a raw polars TypeError from first_purchase_flag, and so from
    every model's fit, plus a polars PerformanceWarning for resolving its schema."""
    from relmark.clv import BGNBD
    from relmark.data import first_purchase_flag

    lazy = pl.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 5.0], "T": [9.0, 9.0]}).lazy()
    for call in (lambda: first_purchase_flag(lazy), lambda: BGNBD.fit(lazy)):
        with pytest.raises(ArgumentError, match=r"LazyFrame.*\.collect\(\)") as info:
            call()
        assert info.value.argument == "data"
