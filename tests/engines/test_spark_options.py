"""The Spark summary reads the log as :func:`relmark.data.summarize` does: currencies, returns
(refused, dropped, netted), missing ids, time zones, numeric dates and strftime formats give
the in-memory summary on the same small logs; bad logs are refused naming the column.

Spark runs in local mode on the shared session (tests/engines/conftest.py); each summary is a
few small jobs, so the cases are few and each covers several options.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("Java is not on PATH: Spark cannot start", allow_module_level=True)

from pyspark.sql import DataFrame, SparkSession

from relmark.data import calibration_holdout, summarize
from relmark.engines import spark as rspark
from relmark.engines import sql
from relmark.errors import ArgumentError, CurrencyError, DataError
from tests.engines.test_sql import assert_same

# Offsets of several zones; a blank id; returns in periods with a purchase (c's return nets
# its whole purchase of 4 January: c keeps its purchase period, with nothing left to spend).
# Amounts are binary fractions, so float sums are exact in any order.
LOG = pd.DataFrame(
    {
        "cid": ["a", "a", "a", "b", "b", " ", "c", "c", "a", "c"],
        "when": [
            "2024-01-01T10:00:00+01:00",
            "2024-01-05T23:30:00+00:00",  # 6 January in Berlin
            "2024-01-09T12:00:00+02:00",
            "2024-01-02T00:30:00+01:00",
            "2024-01-20T08:00:00Z",
            "2024-01-03T08:00:00Z",
            "2024-01-04T08:00:00Z",
            "2024-01-04T09:00:00Z",
            "2024-01-09T13:00:00+02:00",
            "2024-01-12T09:00:00Z",
        ],
        "amt": [10.0, 4.5, 8.0, 3.0, 2.0, 1.0, 5.0, -5.0, -3.0, 0.25],
        "cur": ["EUR"] * 10,
    }
)
KW: dict[str, Any] = {
    "customer_id": "cid",
    "datetime": "when",
    "monetary_value": "amt",
    "currency": "cur",
    "timezone": "Europe/Berlin",
    "missing_ids": "drop",
}


def _frame(spark: SparkSession, log: pd.DataFrame) -> DataFrame:
    return spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False))


@pytest.mark.parametrize("returns", ["drop", "net"])
def test_log_options_equal_in_memory(spark: SparkSession, returns: str) -> None:
    kw: dict[str, Any] = {**KW, "returns": returns}
    got = rspark.summarize(_frame(spark, LOG), **kw)
    want = summarize(LOG, **kw)
    assert_same(got, want, exact_money=False)
    np.testing.assert_array_equal(got.monetary_value, want.monetary_value)  # binary fractions
    assert got.currency == want.currency == "EUR"
    if returns == "drop":  # the DuckDB engine's notes (no row labels in a table engine)
        assert got.notes == sql.summarize(LOG, returns="drop", **KW).notes
    else:  # a: (4.5 + 8 - 3) / 2 periods = 4.75 by hand; c: 5 - 5 nets to 0, then 0.25
        assert (
            got.notes[1]
            == want.notes[1]
            == "netted 2 returns against the purchases of their period"
        )
        assert got.monetary_value is not None and got.monetary_value.tolist()[0] == 4.75


def test_netted_holdout_per_transaction_equals_in_memory(spark: SparkSession) -> None:
    """Returns in the holdout reduce its spend and are not holdout transactions."""
    kw: dict[str, Any] = {**KW, "returns": "net", "holdout_spend": "transaction"}
    cal: dict[str, Any] = {"calibration_end": "2024-01-08", "observation_end": "2024-01-31"}
    got = rspark.summarize(_frame(spark, LOG), **kw, **cal)
    want = calibration_holdout(LOG, **kw, **cal)
    assert_same(got, want, exact_money=False)
    np.testing.assert_array_equal(got.monetary_value_holdout, want.monetary_value_holdout)
    # a's holdout: 8 and -3 on 9 January, one purchase transaction: 5 by hand
    assert got.monetary_value_holdout is not None
    assert got.monetary_value_holdout.tolist()[0] == 5.0


def test_numeric_and_formatted_dates_equal_in_memory(spark: SparkSession) -> None:
    """Excel serial days (local), epoch milliseconds (UTC, binned in New York) and a
    strftime format read as in memory."""
    days = pd.to_datetime(
        ["2023-12-31 23:00", "2024-01-01 03:00", "2024-02-29 12:00", "2024-01-15 00:00"]
    )
    log = pd.DataFrame(
        {
            "customer_id": ["x", "x", "x", "y"],
            "excel": (days - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1),
            "ms": (days - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1),
            "text": days.strftime("%d/%m/%Y %H:%M"),
        }
    )
    frame = _frame(spark, log)
    cases: list[dict[str, Any]] = [
        {"datetime": "excel", "date_unit": "excel", "time_unit": "W"},
        {"datetime": "ms", "date_unit": "ms", "timezone": "America/New_York"},
        {"datetime": "text", "date_format": "%d/%m/%Y %H:%M", "time_unit": "h"},
    ]
    for kw in cases:
        assert_same(rspark.summarize(frame, **kw), summarize(log, **kw))
    # A TIMESTAMP is an instant (converted to the zone, as an aware pandas datetime); a
    # TIMESTAMP_NTZ a wall-clock time (taken as written, as a naive one)
    stamps = frame.selectExpr(
        "customer_id",
        "timestamp_millis(ms) AS ltz",
        "CAST(timestamp_millis(ms) AS TIMESTAMP_NTZ) AS ntz",
    )
    local = log.assign(ltz=days.tz_localize("UTC"), ntz=days)
    for column in ("ltz", "ntz"):
        kw = {"datetime": column, "timezone": "Asia/Tokyo"}
        got = rspark.summarize(stamps, **kw)
        assert_same(got, summarize(local, **kw))
        # by hand: in Tokyo x's first two instants fall on 1 January (one period, frequency
        # 1); as wall-clock times they are two days (frequency 2)
        assert got.frequency.tolist()[0] == (1.0 if column == "ltz" else 2.0)


def _raises(kind: type[Exception], call: Any, **kw: Any) -> Any:
    with pytest.raises(kind) as err:
        call(**kw)
    return err.value


def test_bad_logs_are_refused_naming_the_column(spark: SparkSession) -> None:
    frame = _frame(spark, LOG)
    # two currencies
    mixed = LOG.assign(cur=["EUR"] * 9 + ["USD"])
    err = _raises(
        CurrencyError, rspark.summarize, transactions=_frame(spark, mixed), returns="drop", **KW
    )
    assert "EUR (6 rows), USD (1 rows)" in str(err)
    # a code that is not ISO 4217, naming its customer
    lower = LOG.assign(cur=["EUR"] * 9 + ["eur"])
    err = _raises(
        DataError, rspark.summarize, transactions=_frame(spark, lower), returns="drop", **KW
    )
    assert err.column == "cur" and err.rows == ("c",) and "ISO 4217" in str(err)
    # a return without a purchase in its period: nothing to net it against
    orphan = LOG.assign(when=LOG["when"].where(LOG.index != 7, "2024-01-10T09:00:00Z"))
    err = _raises(
        DataError, rspark.summarize, transactions=_frame(spark, orphan), returns="net", **KW
    )
    assert err.column == "amt" and err.rows == ("c",) and "without a purchase" in str(err)
    # returns refused by default, naming the customers
    kw = {k: v for k, v in KW.items() if k != "missing_ids"}
    err = _raises(DataError, rspark.summarize, transactions=frame, **{**kw, "missing_ids": "drop"})
    assert err.column == "amt" and set(err.rows) == {"a", "c"} and "returns='net'" in str(err)
    # a blank id, refused by default
    err = _raises(DataError, rspark.summarize, transactions=frame, returns="drop", **kw)
    assert err.column == "cid" and "missing_ids='drop'" in str(err)
    # ids that differ only by spaces around them
    padded = LOG.assign(cid=LOG["cid"].where(LOG.index != 2, " a"))
    err = _raises(
        DataError, rspark.summarize, transactions=_frame(spark, padded), returns="drop", **KW
    )
    assert err.column == "cid" and err.rows == (" a",)
    # offsets on some dates only
    naive = LOG.assign(when=LOG["when"].where(LOG.index != 0, "2024-01-01T10:00:00"))
    err = _raises(
        DataError, rspark.summarize, transactions=_frame(spark, naive), returns="drop", **KW
    )
    assert err.column == "when" and "offsets mixed" in str(err)


def test_bad_options_are_refused_before_any_job(spark: SparkSession) -> None:
    frame = _frame(spark, LOG)
    numbers = _frame(spark, pd.DataFrame({"customer_id": [1.0, 2.0], "date": [45000, 45001]}))
    cases: list[tuple[type[Exception], dict[str, Any], str]] = [
        (ArgumentError, {"dayfirst": True}, "dayfirst"),
        (ArgumentError, {"date_format": "%Y-%Q"}, "date_format"),
        (ArgumentError, {"returns": "keep"}, "returns"),
        (ArgumentError, {"missing_ids": "skip"}, "missing_ids"),
        (ArgumentError, {"timezone": "Mars/Olympus"}, "timezone"),
        (ArgumentError, {"date_unit": "days"}, "date_unit"),
        (ArgumentError, {"monetary_value": None, "currency": "cur"}, "currency"),
        (ArgumentError, {"monetary_value": None, "returns": "net"}, "returns"),
        (DataError, {"currency": "currency"}, "currency"),
    ]
    base = {k: v for k, v in KW.items() if k not in ("monetary_value", "currency")}
    base |= {"monetary_value": "amt"}
    for kind, kw, name in cases:
        err = _raises(kind, rspark.summary_frame, transactions=frame, **{**base, **kw})
        assert name in (getattr(err, "argument", None), getattr(err, "column", None)), (kw, err)
    err = _raises(DataError, rspark.summary_frame, transactions=numbers)
    assert err.column == "customer_id" and "floating-point" in str(err)
    ints = numbers.selectExpr("CAST(customer_id AS BIGINT) AS customer_id", "date")
    err = _raises(DataError, rspark.summary_frame, transactions=ints)
    assert err.column == "date" and "date_unit=" in str(err)
    stamps = ints.selectExpr("customer_id", "timestamp_seconds(date) AS date")
    err = _raises(ArgumentError, rspark.summary_frame, transactions=stamps, date_unit="s")
    assert err.argument == "date_unit"


def test_spend_beyond_the_float_range_names_the_amount_column(spark: SparkSession) -> None:
    """Customer a's three finite amounts of 1e308 add up to inf: relmark.data's DataError
    naming the amount column ('paid') and the customer, in a summary and in a split's holdout
    (Spark named monetary_value, the summary's column, not the log's)."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-02", "2024-01-09"]
            ),
            "paid": [1e308, 1e308, 1e308, 1.0, 2.0],
        }
    )
    frame = _frame(spark, log)
    splits: list[dict[str, Any]] = [{}, {"calibration_end": "2024-01-01 12:00"}]
    for split in splits:
        with pytest.raises(DataError, match="add up beyond the float range") as want:
            (calibration_holdout if split else summarize)(log, monetary_value="paid", **split)
        with pytest.raises(DataError, match="add up beyond the float range") as err:
            rspark.summarize(frame, monetary_value="paid", **split)
        assert (err.value.column, err.value.rows) == (want.value.column, want.value.rows)
        assert (err.value.column, err.value.rows) == ("paid", ("a",))


def test_the_range_ends_equal_in_memory(spark: SparkSession) -> None:
    """Purchases on the first and last instants relmark.data accepts (1677-09-22 00:00,
    2262-04-11 00:00) and a second or a minute inside them: Spark's summaries and split equal
    relmark.data's (itself checked against a datetime brute force in tests/data), and a
    purchase on each end is one repeat purchase 213502 days (datetime.date) apart."""
    import datetime as dt

    log = pd.DataFrame(
        {
            "customer_id": ["ends", "ends", "lo", "lo", "lo", "hi", "hi", "both", "both"],
            "date": pd.to_datetime(
                [
                    "1677-09-22 00:00",
                    "2262-04-11 00:00",
                    "1677-09-22 00:00",
                    "1677-09-22 23:59:59",
                    "1677-10-01 00:00",
                    "2262-03-31 23:59:59",
                    "2262-04-10 23:59",
                    "1677-09-22 00:00:01",
                    "2262-04-10 23:59",
                ],
                format="ISO8601",
            ),
            "amount": [1.0, 2.0, 0.5, 0.25, 4.0, 8.0, 16.0, 32.0, 64.0],
        }
    )
    frame = _frame(spark, log)
    days = float((dt.date(2262, 4, 11) - dt.date(1677, 9, 22)).days)
    for unit in ("D", "M"):
        kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit}
        want = summarize(log, **kw)
        assert_same(rspark.summarize(frame, **kw), want)
    memory = summarize(log)
    i = memory.customer_id.tolist().index("ends")
    assert (memory.frequency[i], memory.recency[i], memory.T[i]) == (1.0, days, days)
    split: dict[str, Any] = {"calibration_end": "2000-01-01", "observation_end": "2262-04-11"}
    assert_same(
        rspark.summarize(frame, time_unit="W", **split),
        calibration_holdout(log, time_unit="W", **split),
    )


def test_an_end_with_an_offset_against_wall_clock_dates_is_refused_as_in_memory(
    spark: SparkSession,
) -> None:
    """An end date with a UTC offset or a zone against a log of wall-clock times (text
    without offsets, TIMESTAMP_NTZ, Excel days) compares two clocks: relmark.data and the
    DuckDB engine refuse it naming the option, with one message; Spark summarised it. Against
    instants (text with offsets, TIMESTAMP, epoch numbers) it is read."""
    naive = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-01 10:00", "2024-01-05 09:00", "2024-01-03 12:00"],
            "excel": [45292.4, 45296.4, 45294.5],
        }
    )
    frame = _frame(spark, naive)
    ntz = frame.selectExpr("customer_id", "CAST(date AS TIMESTAMP_NTZ) AS date")
    end = "2024-01-09T00:00:00+01:00"
    cases: list[tuple[Any, dict[str, Any]]] = [
        (frame, {"observation_end": end}),
        (frame, {"calibration_end": pd.Timestamp("2024-01-02", tz="UTC")}),
        (ntz, {"observation_end": end}),
        (frame, {"datetime": "excel", "date_unit": "excel", "observation_end": end}),
    ]
    for source, kw in cases:
        name = "calibration_end" if "calibration_end" in kw else "observation_end"
        with pytest.raises(ArgumentError) as memory:
            (calibration_holdout if name == "calibration_end" else summarize)(naive, **kw)
        with pytest.raises(ArgumentError) as duck:
            (sql.calibration_holdout if name == "calibration_end" else sql.summarize)(naive, **kw)
        with pytest.raises(ArgumentError) as got:
            rspark.summarize(source, **kw)
        assert memory.value.argument == duck.value.argument == got.value.argument == name
        assert str(got.value) == str(memory.value) == str(duck.value)
    aware = naive.assign(date=[d.replace(" ", "T") + ":00+00:00" for d in naive["date"]])
    kw = {"observation_end": end}
    assert_same(rspark.summarize(_frame(spark, aware), **kw), summarize(aware, **kw))


def test_review_findings_are_refused_as_in_memory(spark: SparkSession) -> None:
    """Found by the review: a text date in year 9999 (Spark reads years 1..9999) was a date,
    where relmark.data refuses dates outside 1677-09-22 .. 2262-04-11; a holdout of no length
    was a DataError listing every customer's duration_holdout of 0 (relmark.data: one
    ArgumentError naming the option and both dates); periods and discount_rate were not
    checked by score without a spend model."""
    from relmark.clv import BGNBD

    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-01 00:00:00", "9999-12-31 00:00:00", "2024-01-20 00:00:00"],
        }
    )
    with pytest.raises(DataError, match="outside 1677-09-22") as memory:
        summarize(log)
    with pytest.raises(DataError, match="outside 1677-09-22") as got:
        rspark.summarize(_frame(spark, log))
    assert got.value.column == memory.value.column == "date" and got.value.rows == ("a",)
    fine = _frame(spark, log.assign(date=[*log["date"][[0, 2]], "2024-01-05 00:00:00"]))
    cases: list[dict[str, Any]] = [
        {"calibration_end": "2024-01-20 00:00:00", "observation_end": "2024-01-20 12:00:00"},
        {"calibration_end": "2024-01-19 23:00:00", "time_unit": "W"},
    ]
    for kw in cases:
        with pytest.raises(ArgumentError, match="holdout") as err:
            rspark.summarize(fine, **kw)
        assert err.value.argument == (
            "observation_end" if "observation_end" in kw else "calibration_end"
        )
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    customers = _frame(
        spark,
        pd.DataFrame({"customer_id": ["a"], "frequency": [1.0], "recency": [1.0], "T": [2.0]}),
    )
    for options, argument in (
        ({"periods": 0}, "periods"),
        ({"discount_rate": -2.0}, "discount_rate"),
    ):
        with pytest.raises(ArgumentError) as err:
            rspark.score(model, customers, horizon=10.0, **options)
        assert err.value.argument == argument
