"""The DuckDB summary with ``include_first_purchase=True`` equals the in-memory one."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_transactions
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError
from tests.engines.strategies import logs
from tests.engines.test_sql import assert_same

CAL = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


def test_hand_log() -> None:
    """a: 15 (10 + 5) on Jan 1, 20 on Jan 8, 3 on Jan 20: 3 periods, mean 38/3; b: 7 on Jan 3:
    1 period, recency 0, mean 7. End Jan 31: T 30 and 28."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-20", "2024-01-03"]
            ),
            "amount": [10.0, 5.0, 20.0, 3.0, 7.0],
        }
    )
    s = sql.summarize(
        log, monetary_value="amount", observation_end="2024-01-31", include_first_purchase=True
    )
    assert s.include_first_purchase is True
    assert s.frequency.tolist() == [3.0, 1.0]
    assert s.recency.tolist() == [19.0, 0.0]
    assert s.T.tolist() == [30.0, 28.0]
    assert s.monetary_value is not None
    np.testing.assert_allclose(s.monetary_value, [38 / 3, 7.0], rtol=1e-15)


@pytest.mark.parametrize(("unit", "fm"), [("D", 7), ("W", 1), ("M", 1)])
def test_cdnow_equals_in_memory(cdnow: pd.DataFrame, unit: str, fm: float) -> None:
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": unit,
        "freq_multiplier": fm,
        "include_first_purchase": True,
    }
    got = sql.summarize(cdnow, **kw)
    assert got.include_first_purchase
    assert_same(got, summarize(cdnow, **kw), exact_money=False)


def test_cdnow_calibration_holdout_equals_in_memory(cdnow: pd.DataFrame) -> None:
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": "D",
        "freq_multiplier": 7,
        "calibration_end": CAL,
        "include_first_purchase": True,
        "sum_log_interpurchase": True,
    }
    got = sql.calibration_holdout(cdnow, **kw)
    want = calibration_holdout(cdnow, **kw)
    assert got.include_first_purchase and want.include_first_purchase
    assert_same(got, want, exact_money=False)


@settings(max_examples=25, deadline=None)
@given(log=logs(), unit=st.sampled_from([("D", 1), ("W", 1), ("h", 1), ("D", 7)]))
def test_generated_logs_equal_in_memory(log: pd.DataFrame, unit: tuple[str, float]) -> None:
    """Binary-fraction amounts: bit-identical, the flag included in equality."""
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": unit[0],
        "freq_multiplier": unit[1],
        "include_first_purchase": True,
    }
    assert_same(sql.summarize(log, **kw), summarize(log, **kw))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_exported_text_runs_and_equals(cdnow: pd.DataFrame, dialect: str) -> None:
    """The exported query (with and without MIN_BY) read back with the flag."""
    con = duckdb.connect()
    con.register("orders", cdnow)
    text = sql.summary_sql(
        table="orders",
        monetary_value="amount",
        time_unit="W",
        dialect=dialect,
        include_first_purchase=True,
    )
    frame = con.sql(text).df()
    got = RFMSummary.from_frame(
        frame, customer_id="customer_id", time_unit="W", include_first_purchase=True
    )
    want = summarize(cdnow, monetary_value="amount", time_unit="W", include_first_purchase=True)
    assert_same(got, want, exact_money=False)


def test_fit_refuses_such_a_summary(cdnow: pd.DataFrame) -> None:
    s = summarize(cdnow.head(500), time_unit="D", freq_multiplier=7, include_first_purchase=True)
    with pytest.raises(DataError) as err:
        sql.fit(BGNBD, s)
    assert err.value.column == "frequency"
    assert "include_first_purchase=False" in str(err.value)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_the_option_must_be_a_flag(bad: Any) -> None:
    log = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-01-01"])})
    calls = [
        lambda: sql.summarize(log, include_first_purchase=bad),
        lambda: sql.calibration_holdout(
            log, calibration_end="2023-12-31", include_first_purchase=bad
        ),
        lambda: sql.summary_sql(include_first_purchase=bad),
    ]
    for call in calls:
        with pytest.raises(ArgumentError) as err:
            call()
        assert err.value.argument == "include_first_purchase"


def test_spark_summarize_equals_in_memory(spark: Any, cdnow: pd.DataFrame) -> None:
    """Spark runs the same query (relmark.engines.sql._query with the option): the CDNOW
    sample's summary and split equal the in-memory ones, the flag included."""
    import pyarrow as pa

    from relmark.engines import spark as rspark

    log = cdnow[cdnow["customer_id"] % 10 == 0]  # 2,357 customers
    frame = spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False))
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": "D",
        "freq_multiplier": 7,
        "include_first_purchase": True,
    }
    got = rspark.summarize(frame, **kw)
    assert got.include_first_purchase
    assert_same(got, summarize(log, **kw), exact_money=False)
    split = rspark.summarize(frame, calibration_end=CAL, **kw)
    assert_same(split, calibration_holdout(log, calibration_end=CAL, **kw), exact_money=False)
    with pytest.raises(ArgumentError) as err:
        rspark.summarize(frame, include_first_purchase="yes")  # type: ignore[arg-type]
    assert err.value.argument == "include_first_purchase"
