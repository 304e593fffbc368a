"""Regression tests of an adversarial review of :mod:`relmark.engines.sql`: each case was a
silent wrong answer, a raw exception or a misnamed error, and is checked against
:func:`relmark.data.summarize` / :func:`relmark.data.calibration_holdout` (the independent
in-memory implementation) or against values worked out by hand in the docstring.

- End dates (``observation_end``, ``calibration_end``) were read by ``pd.Timestamp``, not by
  the log's rules: ``1.72e9`` with ``date_unit='s'`` became 1.72 s after 1970 (every
  transaction "after the end"), ``5`` 5 ns after 1970 (a DataError naming the date column
  instead of an ArgumentError naming the option), ``'01/03/2024'`` with
  ``date_format='%d/%m/%Y'`` 3 January; ``9999-12-31`` was accepted (T of 2.9 million days);
  an end with a UTC offset against a log of wall-clock times was converted instead of refused.
- Customer ids were trimmed of ASCII white space only: ``'a\\u00a0'`` and ``'a'``,
  ``'e\\u0301'`` and ``'\\u00e9'`` were two customers (relmark.data refuses them as twins); an
  id of NBSP passed the checks, was not dropped by ``missing_ids='drop'`` and failed later,
  naming a summary row.
- A polars LazyFrame was a raw AttributeError (:func:`summarize`) or an error naming ``data``
  (:func:`fit`); HUGEINT and DECIMAL ids were "floating-point numbers", BLOB ids accepted as
  bytearrays; ``summary_sql(pretty="no")`` was read as True.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark.data as rd
from relmark.clv import BGNBD
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError, RelmarkError

pl = pytest.importorskip("polars")

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "c", "c"],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03", "2024-01-02", "2024-02-20"]
        ),
        "amount": [10.0, 5.0, 20.0, 7.0, 1.0, 2.0],
    }
)


def _frame(summary: Any) -> pd.DataFrame:
    frame: pd.DataFrame = summary.to_frame()
    return frame


# ---------------------------------------------------------------------- end dates
def test_numeric_end_read_in_date_unit() -> None:
    """Epoch seconds: the log's dates 1.7e9 (2023-11-14 22:13:20 UTC) and 1.71e9 (2024-03-09
    16:00:00 UTC); ``observation_end=1.72e9`` is 2024-07-03 09:46:40 UTC: T = 232 days
    (2023-11-14 to 2024-07-03) for every customer, recency of b = 116 days (to 2024-03-09)."""
    log = pd.DataFrame({"customer_id": ["a", "b", "b"], "date": [1.7e9, 1.7e9, 1.71e9]})
    got = sql.summarize(log, date_unit="s", observation_end=1.72e9)
    assert got.T.tolist() == [232.0, 232.0]
    assert got.recency.tolist() == [0.0, 116.0]
    assert got == rd.summarize(log, date_unit="s", observation_end=1.72e9)
    text = sql.summarize(log, date_unit="s", observation_end="1720000000")
    assert text == got


def test_excel_end_and_formatted_end() -> None:
    """Excel serial 45292 is 2024-01-01 and 45352 2024-03-01; ``'01/03/2024'`` with
    ``date_format='%d/%m/%Y'`` is 1 March: T of a (first 2024-01-01) = 60 days."""
    log = pd.DataFrame({"customer_id": ["a", "a"], "date": [45292.0, 45300.0]})
    got = sql.summarize(log, date_unit="excel", observation_end=45352)
    assert got.T.tolist() == [60.0]
    assert got == rd.summarize(log, date_unit="excel", observation_end=45352)
    text = pd.DataFrame({"customer_id": ["a", "a"], "date": ["01/01/2024", "09/01/2024"]})
    kw: dict[str, Any] = {"date_format": "%d/%m/%Y", "observation_end": "01/03/2024"}
    got = sql.summarize(text, **kw)
    assert got.T.tolist() == [60.0]
    assert got == rd.summarize(text, **kw)


@pytest.mark.parametrize("value", [5, np.float64(1.7e18), 1e300])
def test_numeric_end_without_date_unit_is_refused(value: object) -> None:
    with pytest.raises(ArgumentError, match="dates are numbers") as info:
        sql.summarize(LOG, observation_end=value)
    assert info.value.argument == "observation_end"
    with pytest.raises(ArgumentError) as info:
        sql.calibration_holdout(LOG, calibration_end=value)
    assert info.value.argument == "calibration_end"
    with pytest.raises(ArgumentError) as info:
        sql.summary_sql(observation_end=value)
    assert info.value.argument == "observation_end"


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("observation_end", {"observation_end": "9999-12-31"}),
        ("observation_end", {"observation_end": dt.date(9999, 12, 31)}),
        ("calibration_end", {"calibration_end": "1600-01-01"}),
        ("calibration_end", {"calibration_end": "9999-01-01", "observation_end": "9999-12-31"}),
    ],
)
def test_end_outside_the_range_is_refused(name: str, kw: dict[str, Any], tmp_path: Path) -> None:
    """As relmark.data refuses it (the same argument named first)."""
    split = "calibration_end" in kw
    mem = rd.calibration_holdout if split else rd.summarize
    with pytest.raises(ArgumentError, match="outside 1677-09-22") as expected:
        mem(LOG, **kw)
    assert expected.value.argument == name
    calls = [
        lambda: (sql.calibration_holdout if split else sql.summarize)(LOG, **kw),
        lambda: sql.summarize_to_parquet(LOG, tmp_path / "s.parquet", **kw),
        lambda: sql.summary_sql(**kw),
    ]
    for call in calls:
        with pytest.raises(ArgumentError, match="outside 1677-09-22") as info:
            call()
        assert info.value.argument == name
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["observation_end", "calibration_end"])
@pytest.mark.parametrize(
    "value", [pd.Timestamp("2024-03-01", tz="Asia/Tokyo"), "2024-03-01T00:00+09:00"]
)
def test_aware_end_against_wall_clock_log_is_refused(name: str, value: object) -> None:
    """As relmark.data refuses it, naming the option."""
    kw: dict[str, Any] = {name: value}
    split = name == "calibration_end"
    with pytest.raises(ArgumentError, match="UTC offset or time zone") as expected:
        (rd.calibration_holdout if split else rd.summarize)(LOG, **kw)
    assert expected.value.argument == name
    with pytest.raises(ArgumentError, match="UTC offset or time zone") as info:
        (sql.calibration_holdout if split else sql.summarize)(LOG, **kw)
    assert info.value.argument == name
    with pytest.raises(ArgumentError, match="UTC offset or time zone") as info:
        sql.summary_sql(**kw)
    assert info.value.argument == name


def test_aware_end_against_zoned_log_is_converted() -> None:
    """A zoned log binned in Tokyo: the end 2024-03-01 00:00+09:00 is the wall-clock end
    2024-03-01 00:00 there; T of a (first 2024-01-01 09:00 Tokyo) = 60 days."""
    log = LOG.assign(date=LOG["date"].dt.tz_localize("UTC"))
    kw: dict[str, Any] = {
        "observation_end": pd.Timestamp("2024-03-01", tz="Asia/Tokyo"),
        "timezone": "Asia/Tokyo",
    }
    got = sql.summarize(log, **kw)
    assert got.T.tolist()[0] == 60.0
    assert got == rd.summarize(log, **kw)


# ---------------------------------------------------------------------- customer ids
TWINS = [
    ["a", "a\u00a0"],  # NBSP
    ["a", "\u3000a"],  # ideographic space
    ["a", "a\x1c"],  # a separator str.strip removes
    ["a", "\u200ba"],  # zero-width space
    ["\u00e9", "e\u0301"],  # NFC and NFD
    ["caf\u00e9", "cafe\u0301 "],
]


@pytest.mark.parametrize("ids", TWINS)
def test_ids_differing_by_unicode_space_or_normal_form_are_refused(ids: list[str]) -> None:
    log = pd.DataFrame(
        {
            "customer_id": [*ids, "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        }
    )
    with pytest.raises(DataError, match="differ only by spaces") as expected:
        rd.summarize(log)
    assert expected.value.column == "customer_id"
    with pytest.raises(DataError, match="Unicode normal form") as info:
        sql.summarize(log)
    assert info.value.column == "customer_id"
    assert sorted(map(str, info.value.rows)) == sorted(ids)


@pytest.mark.parametrize("blank", ["\u00a0", "\u200b", "\x1c", " \u3000 "])
def test_unicode_blank_ids_are_missing(blank: str) -> None:
    """Refused naming ``missing_ids='drop'``, and dropped by it: then the summary is the
    in-memory one (b: one purchase, T = 17 days to 2024-01-20)."""
    log = pd.DataFrame(
        {
            "customer_id": ["b", blank, "b"],
            "date": pd.to_datetime(["2024-01-03", "2024-01-10", "2024-01-20"]),
        }
    )
    with pytest.raises(DataError, match="missing_ids='drop'") as info:
        sql.summarize(log)
    assert info.value.column == "customer_id"
    got = sql.summarize(log, missing_ids="drop")
    assert got.customer_id.tolist() == ["b"] and got.T.tolist() == [17.0]
    assert got.notes == ("dropped 1 transaction with a missing customer id",)
    pd.testing.assert_frame_equal(_frame(got), _frame(rd.summarize(log, missing_ids="drop")))


ODD = st.sampled_from(
    ["a", "A", " a", "a ", "a\u00a0", "\u00e9", "e\u0301", "\u200b\u00e9", "b", "007", "7"]
)


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(ODD, min_size=1, max_size=6))
def test_ids_are_judged_as_in_memory(ids: list[str]) -> None:
    """Whatever mix of spellings: the same error column, or the same summary."""
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(range(len(ids)), "D"),
        }
    )
    try:
        expected: Any = rd.summarize(log)
    except DataError as exc:
        expected = exc
    if isinstance(expected, DataError):
        with pytest.raises(DataError) as info:
            sql.summarize(log)
        assert info.value.column == expected.column
    else:
        pd.testing.assert_frame_equal(_frame(sql.summarize(log)), _frame(expected))


# ---------------------------------------------------------------------- sources and types
def test_lazy_frame_is_refused_naming_source() -> None:
    lazy = pl.from_pandas(LOG).lazy()
    with pytest.raises(ArgumentError, match=r"\.collect\(\)") as info:
        sql.summarize(lazy)
    assert info.value.argument == "source"
    summary = pl.from_pandas(rd.summarize(LOG).to_frame().reset_index()).lazy()
    with pytest.raises(ArgumentError, match=r"\.collect\(\)") as info:
        sql.fit(BGNBD, summary, time_unit="D")
    assert info.value.argument == "source"


@pytest.mark.parametrize("cast", ["HUGEINT", "UHUGEINT", "DECIMAL(38,0)", "DECIMAL(10,2)", "BLOB"])
def test_wide_decimal_and_blob_ids_are_refused(cast: str) -> None:
    con = duckdb.connect()
    value = "'7'" if cast == "BLOB" else "7"
    rel = con.sql(f"SELECT CAST({value} AS {cast}) AS customer_id, TIMESTAMP '2024-01-01' AS date")
    with pytest.raises(DataError, match=f"of type {cast.split('(')[0]}") as info:
        sql.summarize(rel)
    assert info.value.column == "customer_id"
    assert "floating-point" not in str(info.value)


def test_summary_sql_pretty_is_a_flag() -> None:
    with pytest.raises(ArgumentError) as info:
        sql.summary_sql(pretty="no")  # type: ignore[arg-type]
    assert info.value.argument == "pretty"
    assert "\n" not in sql.summary_sql(pretty=False)


def test_every_review_error_is_a_relmark_error() -> None:
    """The inputs that raised raw exceptions before."""
    for call in (
        lambda: sql.summarize(pl.from_pandas(LOG).lazy()),
        lambda: sql.summarize(LOG, observation_end=[1, 2]),
        lambda: sql.summarize(LOG, observation_end={"a": 1}),
    ):
        with pytest.raises(RelmarkError):
            call()
