"""The SQL summary's repeat spend is the sum over the periods after the first, as
:func:`relmark.data.summarize` sums it, in the DuckDB engine, in every exported dialect and on
Spark: the total minus the first period's spend lost the digits of small repeat purchases
after a huge first one (1e12, then 0.01 each: (1e12 + 0.03) - 1e12 is 0.030029296875 in
floating point, a mean of 0.0100098 instead of 0.01).

Also here: the range of times relmark.data accepts (1677-09-22 .. 2262-04-11) in the engine and
in the exported text, and epoch-second dates read the same whatever the time zone of a DuckDB
relation's own connection.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.engines import sql
from relmark.errors import DataError

DAYS = pd.to_datetime(
    ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-08", "2024-01-09"]
)
REPEATS = {"a": [0.01, 0.01, 0.01], "b": [0.1, 0.2, 0.3, 0.7], "c": [3.5], "d": []}
FIRSTS = {"a": 1e12, "b": 1e15, "c": 2.0, "d": 1e14}


def _log() -> pd.DataFrame:
    """Each customer's huge first purchase (two rows on the first day for ``b``: merged into
    one period), then small repeat purchases on later days."""
    rows: list[tuple[str, pd.Timestamp, float]] = []
    for cid, first in FIRSTS.items():
        rows.append((cid, DAYS[0], first))
        if cid == "b":
            rows.append((cid, DAYS[0] + pd.Timedelta(hours=5), 12.25))
        rows += [(cid, DAYS[1 + i], amount) for i, amount in enumerate(REPEATS[cid])]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def _mean_repeat(cid: str) -> float:
    """The mean repeat spend computed directly: an exactly rounded sum (math.fsum)."""
    spend = REPEATS[cid]
    return math.fsum(spend) / len(spend) if spend else 0.0


def _close(got: RFMSummary | pd.DataFrame, want: RFMSummary) -> None:
    frame = got.to_frame() if isinstance(got, RFMSummary) else got
    pd.testing.assert_frame_equal(frame, want.to_frame(), check_exact=False, rtol=1e-12)


def test_in_memory_reference_is_the_sum_of_the_repeats() -> None:
    """The reference itself, against the direct computation (and the old formula's error)."""
    want = summarize(_log(), monetary_value="amount")
    assert want.monetary_value is not None
    direct = [_mean_repeat(str(c)) for c in want.customer_id]
    np.testing.assert_allclose(want.monetary_value, direct, rtol=1e-12, atol=0)
    old = ((1e12 + 0.03) - 1e12) / 3  # what total - first gave for customer a
    assert abs(old / 0.01 - 1) > 1e-4


def test_duckdb_engine_equals_in_memory(tmp_path: Path) -> None:
    log = _log()
    kw: dict[str, Any] = {"monetary_value": "amount"}
    want = summarize(log, **kw)
    _close(sql.summarize(log, **kw), want)
    path = tmp_path / "s.parquet"
    for k in (1, 3):
        sql.summarize_to_parquet(log, path, partitions=k, overwrite=True, **kw)
        got = pd.read_parquet(path).sort_values("customer_id").set_index("customer_id")
        _close(got.drop(columns="time_unit"), want)
    split: dict[str, Any] = {"calibration_end": "2024-01-05", "observation_end": "2024-01-10"}
    _close(sql.calibration_holdout(log, **kw, **split), calibration_holdout(log, **kw, **split))


def test_first_purchase_counted_is_still_the_total() -> None:
    """With include_first_purchase the spend is the mean over every period: the total."""
    kw: dict[str, Any] = {"monetary_value": "amount", "include_first_purchase": True}
    _close(sql.summarize(_log(), **kw), summarize(_log(), **kw))


def _repeat_sums(tree: Any) -> list[exp.Sum]:
    """The SUMs of the customers' aggregate that count only the periods after the first."""
    return [
        s
        for s in tree.find_all(exp.Sum)
        if any(g.sql() == "p > start_p" for g in s.find_all(exp.GT))
    ]


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("dialect", sql.DIALECTS)
def test_every_dialect_sums_the_later_periods(dialect: str, split: bool) -> None:
    """Parsed by sqlglot in its dialect: each customer's first period (a MIN grouped by
    customer) is joined back to the merged periods and the spend summed over the later ones;
    nothing subtracts a first period's spend. Executed on DuckDB (Postgres' text as it is, the
    others transpiled back): equal to relmark.data to 1e-12."""
    ends: dict[str, Any] = (
        {"calibration_end": "2024-01-05", "observation_end": "2024-01-10"} if split else {}
    )
    text = sql.summary_sql(table="orders", monetary_value="amount", dialect=dialect, **ends)
    tree = sqlglot.parse_one(text, read=dialect)
    firsts = {c.alias_or_name: c for c in tree.find_all(exp.CTE)}["firsts"].this
    assert [g.sql() for g in firsts.args["group"].expressions] == ["customer_id"]
    assert [m.this.sql() for m in firsts.find_all(exp.Min)] == ["p"]
    assert len(_repeat_sums(tree)) == 1
    assert "first_amount" not in text and "ARG_MIN" not in text.upper()
    assert "MIN_BY" not in text.upper()
    con = duckdb.connect()
    log = _log()
    con.register("orders", log)
    runnable = (
        text
        if dialect in ("duckdb", "postgres")
        else sqlglot.transpile(text, read=dialect, write="duckdb")[0]
    )
    got = RFMSummary.from_frame(con.sql(runnable).df(), customer_id="customer_id")
    want = (calibration_holdout if split else summarize)(log, monetary_value="amount", **ends)
    _close(got, want)


def test_spark_nets_returns_after_a_huge_first_purchase(spark: Any) -> None:
    """The Spark engine runs the same query with netted returns: the repeat spend and its
    residue scale are both sums over the later periods (a return of 0.01 nets one repeat)."""
    from relmark.engines import spark as engine

    log = _log()
    ret = pd.DataFrame({"customer_id": ["a"], "date": [DAYS[2]], "amount": [-0.01]})
    log = pd.concat([log, ret], ignore_index=True)
    kw: dict[str, Any] = {"monetary_value": "amount", "returns": "net"}
    want = summarize(log, **kw)
    assert want.monetary_value is not None
    np.testing.assert_allclose(want.monetary_value[0], 0.02 / 3, rtol=1e-12)
    frame = spark.createDataFrame(log)
    _close(engine.summarize(frame, **kw), want)


# ------------------------------------------------------------ times outside relmark.data's range
OUTSIDE = ["9999-12-31", "1600-01-01", "infinity", "-infinity"]


@pytest.mark.parametrize("when", OUTSIDE)
def test_times_outside_the_range_are_refused(when: str) -> None:
    """relmark.data refuses them by row; the engine names the column and the customer, and
    the exported text (DuckDB's and Postgres', without observation_end) fails with its
    message instead of a summary with T in the millions of days."""
    con = duckdb.connect()
    con.sql(
        "CREATE TABLE orders AS SELECT * FROM (VALUES "
        "('a', TIMESTAMP '2024-01-01', 1.0), ('a', TIMESTAMP '2024-01-05', 2.0), "
        f"('b', TIMESTAMP '2024-01-03', 3.0), ('b', CAST('{when}' AS TIMESTAMP), 1.0)) "
        "AS t(customer_id, date, amount)"
    )
    with pytest.raises(DataError, match=r"outside 1677-09-22 \.\. 2262-04-11") as err:
        sql.summarize(con.table("orders"), monetary_value="amount")
    assert err.value.column == "date" and err.value.rows == ("b",)
    for dialect in ("duckdb", "postgres"):
        for unit in ("D", "M"):
            text = sql.summary_sql(table="orders", monetary_value="amount", time_unit=unit,
                                   dialect=dialect)  # fmt: skip
            with pytest.raises(duckdb.Error, match=r"relmark: 1 row\(s\) with a time outside"):
                con.sql(text).fetchall()


def test_the_range_ends_are_kept() -> None:
    """The first and last days relmark.data accepts are accepted: one repeat purchase,
    recency and T the days between them, counted directly with datetime.date."""
    import datetime as dt

    days = float((dt.date(2262, 4, 11) - dt.date(1677, 9, 22)).days)
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": [pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")],
        }
    )
    con = duckdb.connect()
    con.register("transactions", log)
    for frame in (
        sql.summarize(log).to_frame().reset_index(),
        con.sql(sql.summary_sql()).df(),
        con.sql(sql.summary_sql(dialect="postgres")).df(),
    ):
        assert frame[["frequency", "recency", "T"]].values.tolist() == [[1.0, days, days]]


@pytest.mark.parametrize("zone", [None, "Europe/Berlin", "Asia/Kolkata"])
def test_epoch_dates_ignore_the_relations_session_time_zone(zone: str | None) -> None:
    """Epoch seconds are UTC instants: a relation whose connection is in New York time gives
    the summary of relmark.data (b's purchase at 22:13 UTC was on the previous New York day
    when the cast read the naive UTC time in the session's zone)."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": [1704070800, 1704160800, 1704147200, 1704240000],
        }
    )
    user = duckdb.connect()
    user.execute("SET TimeZone = 'America/New_York'")
    user.register("log", log)
    for unit in ("s", "ms"):
        frame = log.assign(date=log["date"] * (1000 if unit == "ms" else 1))
        user.register("log", frame)
        want = summarize(frame, date_unit=unit, timezone=zone)
        assert sql.summarize(user.table("log"), date_unit=unit, timezone=zone) == want


# ------------------------------------------------------------ spend sums beyond the float range
def _overflowing() -> pd.DataFrame:
    """Customer a's three purchases of 1e308 add up to inf (finite amounts); b's are small."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-02", "2024-01-09"]
            ),
            "amount": [1e308, 1e308, 1e308, 1.0, 2.0],
        }
    )


@pytest.mark.parametrize("split", [False, True])
def test_spend_beyond_the_float_range_is_refused_as_in_memory(split: bool, tmp_path: Path) -> None:
    """relmark.data refuses it naming the amount column and the customer; so does the engine
    (it named monetary_value) and the Parquet writer (it wrote inf), leaving no file; the
    exported text fails naming the customer and the column (DuckDB summed to inf)."""
    log = _overflowing()
    kw: dict[str, Any] = {"monetary_value": "amount"}
    if split:
        kw["calibration_end"] = "2024-01-01 12:00"
    match = r"add up beyond the float range"
    with pytest.raises(DataError, match=match) as err:
        (calibration_holdout if split else summarize)(log, **kw)
    assert err.value.column == "amount" and err.value.rows == ("a",)
    out = tmp_path / "s.parquet"
    for run in (
        lambda: (sql.calibration_holdout if split else sql.summarize)(log, **kw),
        lambda: sql.summarize_to_parquet(log, out, **kw),
    ):
        with pytest.raises(DataError, match=match) as err:
            run()
        assert err.value.column == "amount" and err.value.rows == ("a",)
    assert list(tmp_path.iterdir()) == []
    con = duckdb.connect()
    con.register("transactions", log)
    for dialect in ("duckdb", "postgres"):
        text = sql.summary_sql(dialect=dialect, **kw)
        with pytest.raises(duckdb.Error, match=r"relmark: the amounts of customer a add up"):
            con.sql(text).fetchall()
    fine = log.assign(amount=[1.0, 2.0, 3.0, 4.0, 5.0])
    con.register("transactions", fine)
    want = (calibration_holdout if split else summarize)(fine, **kw)
    got = RFMSummary.from_frame(con.sql(sql.summary_sql(**kw)).df(), customer_id="customer_id")
    _close(got, want)
