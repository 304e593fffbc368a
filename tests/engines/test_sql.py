"""The DuckDB engine against the in-memory summary, fit and the SQL export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, GammaGamma, ParetoNBD
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_transactions
from relmark.engines import sql
from relmark.errors import ArgumentError, CurrencyError, DataError
from tests.engines.strategies import logs, option_logs

CAL = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


def assert_same(got: RFMSummary, want: RFMSummary, *, exact_money: bool = True) -> None:
    """Equal column by column: ids, unit and counts/times exactly; spend means exactly, or to
    a few units in the last place when the amounts are not binary fractions (sum order)."""
    assert got.columns == want.columns
    assert got.time_unit == want.time_unit
    assert got.customer_id.tolist() == want.customer_id.tolist()
    # a sum of logarithms depends on the order of summation (DuckDB's threads), as spend does
    summed = "sum_log_interpurchase"
    for name in got.columns:
        a, b = getattr(got, name), getattr(want, name)
        if name == summed or not (exact_money or "monetary" not in name):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    if exact_money and summed not in got.columns:
        assert got == want


UNITS = [("D", 7), ("D", 1), ("W", 1), ("M", 1), ("h", 24), ("D", 2.5)]


@pytest.mark.parametrize(("unit", "fm"), UNITS)
def test_cdnow_summary_equals_in_memory(cdnow: pd.DataFrame, unit: str, fm: float) -> None:
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit, "freq_multiplier": fm}
    assert_same(sql.summarize(cdnow, **kw), summarize(cdnow, **kw), exact_money=False)


@pytest.mark.parametrize(("unit", "fm"), UNITS[:3])
def test_cdnow_calibration_holdout_equals_in_memory(
    cdnow: pd.DataFrame, unit: str, fm: float
) -> None:
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit, "freq_multiplier": fm}
    got = sql.calibration_holdout(cdnow, calibration_end=CAL, observation_end="1998-06-30", **kw)
    want = calibration_holdout(cdnow, calibration_end=CAL, observation_end="1998-06-30", **kw)
    assert_same(got, want, exact_money=False)


def test_cdnow_published_counts(cdnow: pd.DataFrame) -> None:
    """23,570 customers, 11,516 of them repeat buyers (the CDNOW master cohort)."""
    s = sql.summarize(cdnow, time_unit="D", freq_multiplier=7)
    assert len(s) == 23_570
    assert int((s.frequency > 0).sum()) == 11_516
    assert s.T.max() == pytest.approx(77.857, abs=1e-3)  # 1997-01-01 to 1998-06-30 in weeks


def test_sources_files_globs_relations_frames(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "W"}
    want = sql.summarize(cdnow, **kw)
    shuffled = cdnow.sample(frac=1.0, random_state=1)
    for i in range(3):
        shuffled.iloc[i::3].to_parquet(tmp_path / f"part-{i}.parquet")
    cdnow.to_csv(tmp_path / "log.csv", index=False)
    con = duckdb.connect()
    con.register("cdnow_view", cdnow)
    con.execute("CREATE TABLE orders AS SELECT * FROM cdnow_view")
    sources: list[object] = [
        str(tmp_path / "*.parquet"),
        [tmp_path / "part-0.parquet", tmp_path / "part-1.parquet", tmp_path / "part-2.parquet"],
        tmp_path / "log.csv",
        con.table("orders"),
        pl.from_pandas(cdnow),
        pa.Table.from_pandas(cdnow),
    ]
    for source in sources:
        assert_same(sql.summarize(source, **kw), want, exact_money=False)


def test_text_dates_with_a_format(cdnow: pd.DataFrame) -> None:
    raw = cdnow.assign(date=cdnow["date"].dt.strftime("%Y%m%d").astype(int))
    got = sql.summarize(raw, date_format="%Y%m%d", time_unit="D", freq_multiplier=7)
    assert_same(got, summarize(cdnow, time_unit="D", freq_multiplier=7))


@settings(max_examples=40)
@given(log=logs(), unit=st.sampled_from([("D", 1), ("W", 1), ("M", 1), ("h", 1), ("D", 7)]))
def test_generated_logs_equal_in_memory(log: pd.DataFrame, unit: tuple[str, float]) -> None:
    """Ties at period boundaries, many rows per time, binary-fraction amounts: bit-identical."""
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": unit[0],
        "freq_multiplier": unit[1],
    }
    assert_same(sql.summarize(log, **kw), summarize(log, **kw))
    end = log["date"].max() + pd.Timedelta(days=40)
    assert_same(
        sql.summarize(log, observation_end=end, **kw),
        summarize(log, observation_end=end, **kw),
    )


@settings(max_examples=20)
@given(
    log=logs(zoned=True),
    unit=st.sampled_from(["D", "h", "W", "M"]),
    zone=st.sampled_from([None, "UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_zoned_logs_equal_in_memory(log: pd.DataFrame, unit: str, zone: str | None) -> None:
    """Aware times binned by their day in ``timezone`` (UTC by default), as in memory."""
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit, "timezone": zone}
    assert_same(sql.summarize(log, **kw), summarize(log, **kw))


@pytest.mark.parametrize("zone", [None, "Europe/Berlin", "Asia/Kolkata"])
def test_text_times_with_utc_offsets(zone: str | None) -> None:
    """DuckDB's cast to TIMESTAMP drops an offset silently; the engine converts it instead."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": [
                "2024-01-01 23:30:00+02:00",  # 21:30 UTC, 22:30 in Berlin: still 1 January
                "2024-01-02 00:30:00+02:00",  # 22:30 UTC on 1 January; 2 January in Kolkata
                "2024-01-07T23:59:59Z",
                "2024-01-01 01:00:00-05:00",
                "2024-01-31 22:00:00-03:00",
            ],
        }
    )
    for unit in ("D", "W", "M"):
        kw: dict[str, Any] = {"time_unit": unit, "timezone": zone}
        assert_same(sql.summarize(log, **kw), summarize(log, **kw))
    mixed = log.assign(date=[*log["date"][:4], "2024-02-01 10:00:00"])
    with pytest.raises(DataError, match="offsets mixed") as err:
        sql.summarize(mixed)
    assert err.value.column == "date"


@settings(max_examples=15)
@given(log=logs())
def test_generated_calibration_holdout_equal_in_memory(log: pd.DataFrame) -> None:
    cal = pd.Timestamp("2024-01-08 00:00:00")  # a week and day boundary, also a tie
    end = max(log["date"].max(), cal) + pd.Timedelta(days=3)
    if not (log["date"] <= cal).any():
        with pytest.raises(DataError, match="no transactions up to calibration_end"):
            sql.calibration_holdout(log, calibration_end=cal, observation_end=end)
        return
    for unit in ("D", "W"):
        kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit}
        refused: DataError | ArgumentError | None = None
        try:
            want = calibration_holdout(log, calibration_end=cal, observation_end=end, **kw)
        except (DataError, ArgumentError) as exc:  # e.g. a holdout shorter than one week
            refused = exc
        if refused is not None:
            with pytest.raises((DataError, ArgumentError)) as err:
                sql.calibration_holdout(log, calibration_end=cal, observation_end=end, **kw)
            if getattr(refused, "column", None) == "duration_holdout" or isinstance(
                refused, ArgumentError
            ):  # a holdout of no length: the engine's one ArgumentError (relmark.data's too,
                # or a DataError listing every customer's duration_holdout of 0)
                assert isinstance(err.value, ArgumentError)
                assert err.value.argument == "observation_end"
            else:
                assert isinstance(err.value, DataError) and isinstance(refused, DataError)
                assert err.value.column == refused.column
            continue
        assert_same(
            sql.calibration_holdout(log, calibration_end=cal, observation_end=end, **kw), want
        )


# ---------------------------------------------------------------------- export
@pytest.mark.parametrize("dialect", sql.DIALECTS)
@pytest.mark.parametrize("calibration", [False, True])
def test_export_parses_back(dialect: str, calibration: bool) -> None:
    text = sql.summary_sql(
        table="sales.orders",
        monetary_value="amount",
        time_unit="W",
        calibration_end="1997-09-30" if calibration else None,
        observation_end="1998-06-30" if calibration else None,
        dialect=dialect,
    )
    tree = sqlglot.parse_one(text, read=dialect)
    assert "sales" in text and "orders" in text
    names = [e.alias_or_name for e in tree.expressions]
    expected = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    if calibration:
        expected += ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]
    assert names == expected


def test_exported_duckdb_text_runs_and_equals(cdnow: pd.DataFrame) -> None:
    con = duckdb.connect()
    con.register("orders", cdnow)
    text = sql.summary_sql(
        table="orders", monetary_value="amount", time_unit="D", freq_multiplier=7
    )
    got = RFMSummary.from_frame(con.sql(text).df(), customer_id="customer_id", time_unit="W")
    assert_same(
        got,
        summarize(cdnow, monetary_value="amount", time_unit="D", freq_multiplier=7),
        exact_money=False,
    )


def test_exported_calibration_text_runs_and_equals(cdnow: pd.DataFrame) -> None:
    con = duckdb.connect()
    con.register("orders", cdnow)
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "W"}
    ends: dict[str, Any] = {"calibration_end": CAL, "observation_end": "1998-06-30"}
    frame = con.sql(sql.summary_sql(table="orders", **kw, **ends)).df()
    got = RFMSummary.from_frame(frame, customer_id="customer_id", time_unit="W")
    assert_same(got, calibration_holdout(cdnow, **kw, **ends), exact_money=False)


def test_postgres_text_gives_the_same_rows(cdnow: pd.DataFrame) -> None:
    """Postgres has no MIN_BY, and no text uses it (the first period is joined back). DuckDB
    runs Postgres' text too (its syntax is Postgres'), and the rows are those of DuckDB's own
    text, spend means included."""
    con = duckdb.connect()
    con.register("orders", cdnow)
    kw: dict[str, Any] = {"table": "orders", "monetary_value": "amount", "time_unit": "W"}
    text = sql.summary_sql(dialect="postgres", **kw)
    assert "MIN_BY" not in text.upper() and "ARG_MIN" not in text.upper()
    joined = con.sql(text).df()
    one_pass = con.sql(sql.summary_sql(dialect="duckdb", **kw)).df()
    # DuckDB's parallel float sums are not in a fixed order: spend means to the last bits
    pd.testing.assert_frame_equal(joined, one_pass, check_exact=False, rtol=1e-13)
    pd.testing.assert_frame_equal(
        joined.drop(columns="monetary_value"),
        one_pass.drop(columns="monetary_value"),
        check_exact=True,
    )


def test_statistics_sql_per_dialect() -> None:
    for dialect in sql.DIALECTS:
        text = sql.statistics_sql(BGNBD, table="s", dialect=dialect)
        assert sqlglot.parse_one(text, read=dialect).alias_or_name == ""
        assert "GROUP BY" in text


# ---------------------------------------------------------------------- fitting
def test_fit_from_grouped_statistics_equals_in_memory(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    s = summarize(cdnow, monetary_value="amount", time_unit="D", freq_multiplier=7)
    s.to_frame().reset_index().to_parquet(tmp_path / "summary.parquet")
    for model in (BGNBD, ParetoNBD):
        want = model.fit(s, compress=True)
        for source in (s, tmp_path / "summary.parquet"):
            got = sql.fit(model, source, time_unit="W")
            assert got.params == want.params
            assert got.time_unit == "W"
    repeat = s.to_frame().query("frequency > 0 and monetary_value > 0").reset_index()
    want_gg = GammaGamma.fit(repeat, compress=True)
    assert sql.fit(GammaGamma, repeat).params == want_gg.params


# ---------------------------------------------------------------------- bad input
def _log(**cols: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "customer_id": ["a", "a", "b"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"]),
        "amount": [1.0, 2.0, 3.0],
    }
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("log", "kw", "column", "match"),
    [
        (_log(), {"customer_id": "cust"}, "cust", "missing column"),
        (_log(), {"monetary_value": "value"}, "value", "missing column"),
        (_log(customer_id=["a", None, "b"]), {}, "customer_id", "missing or blank customer"),
        (_log(customer_id=[1.0, np.nan, 2.0]), {}, "customer_id", "floating-point"),
        (_log(customer_id=["a", " ", "b"]), {}, "customer_id", "blank customer ids"),
        (_log(customer_id=["b", "a ", "a"]), {}, "customer_id", "differ only by spaces"),
        (
            _log(customer_id=pd.Series(["a", 7, "b"], dtype=object)),
            {},
            "customer_id",
            "mix text",
        ),
        (_log(date=["2024-01-01", None, "2024-01-03"]), {}, "date", "missing dates"),
        (_log(date=["2024-01-01", "soon", "2024-01-03"]), {}, "date", "unparseable"),
        (_log(amount=[1.0, np.nan, 3.0]), {"monetary_value": "amount"}, "amount", "NaN"),
        (_log(amount=[1.0, np.inf, 3.0]), {"monetary_value": "amount"}, "amount", "infinite"),
        (_log(amount=[1.0, -2.0, 3.0]), {"monetary_value": "amount"}, "amount", "negative"),
        (_log(amount=["1", "x", "3"]), {"monetary_value": "amount"}, "amount", "not numbers"),
        (_log(), {"observation_end": "2024-01-04"}, "date", "after the end"),
    ],
)
def test_bad_logs_are_data_errors(
    log: pd.DataFrame, kw: dict[str, Any], column: str, match: str
) -> None:
    with pytest.raises(DataError, match=match) as err:
        sql.summarize(log, **kw)
    assert err.value.column == column
    if "missing column" not in match and column != "customer_id":
        assert err.value.rows == ("a",)  # the offending customer


def test_empty_log_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        sql.summarize(_log().iloc[:0])
    with pytest.raises(DataError, match="nothing-here"):
        sql.summarize(str(tmp_path / "nothing-here*.parquet"))
    (tmp_path / "broken.parquet").write_text("not parquet")
    with pytest.raises(DataError, match=r"broken\.parquet"):
        sql.summarize(tmp_path / "broken.parquet")
    pd.DataFrame({"id": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(DataError, match=r"other\.parquet") as err:
        sql.summarize(tmp_path / "other.parquet")
    assert err.value.column == "customer_id"


@pytest.mark.parametrize(
    ("kw", "argument"),
    [
        ({"time_unit": "week"}, "time_unit"),
        ({"time_unit": None}, "time_unit"),
        ({"freq_multiplier": 0}, "freq_multiplier"),
        ({"freq_multiplier": float("nan")}, "freq_multiplier"),
        ({"freq_multiplier": "7"}, "freq_multiplier"),
        ({"observation_end": "someday"}, "observation_end"),
        ({"customer_id": ""}, "customer_id"),
        ({"date_format": 7}, "date_format"),
        ({"memory_limit": ""}, "memory_limit"),
        ({"threads": 0}, "threads"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 2}, "timezone"),
    ],
)
def test_bad_arguments_are_argument_errors(kw: dict[str, Any], argument: str) -> None:
    with pytest.raises(ArgumentError) as err:
        sql.summarize(_log(), **kw)
    assert err.value.argument == argument


def test_bad_sources_and_dialects(tmp_path: Path) -> None:
    for source in (42, {"customer_id": [1]}, tmp_path / "log.xlsx"):
        with pytest.raises(ArgumentError) as err:
            sql.summarize(source)
        assert err.value.argument == "source"
    with pytest.raises(ArgumentError) as err:
        sql.summary_sql(dialect="oracle")
    assert err.value.argument == "dialect"
    with pytest.raises(ArgumentError) as err:
        sql.calibration_holdout(_log(), calibration_end="2024-01-04", observation_end="2024-01-02")
    assert err.value.argument == "observation_end"
    with pytest.raises(ArgumentError) as err:
        sql.calibration_holdout(_log(), calibration_end="2024-02-01")
    assert err.value.argument == "calibration_end"
    with pytest.raises(ArgumentError) as err:
        sql.fit(int, _log())  # type: ignore[arg-type]
    assert err.value.argument == "model"
    with pytest.raises(ArgumentError) as err:
        sql.fit(BGNBD, _log(), compress=True)
    assert err.value.argument == "compress"


def test_fit_refuses_bad_summaries() -> None:
    frame = pd.DataFrame({"frequency": [1.0, 0.0], "recency": [5.0, 0.0], "T": [3.0, 4.0]})
    with pytest.raises(DataError) as err:
        sql.fit(BGNBD, frame)
    assert err.value.column == "recency"
    with pytest.raises(DataError) as err:
        sql.fit(BGNBD, frame.drop(columns="T"))
    assert err.value.column == "T"


def test_progress_is_reported_when_asked(cdnow: pd.DataFrame) -> None:
    seen: list[float] = []
    s = sql.summarize(cdnow, time_unit="W", progress=seen.append)
    assert len(s) == 23_570
    assert seen[-1] == 100.0 and all(0.0 <= p <= 100.0 for p in seen)
    assert seen == sorted(seen)
    with pytest.raises(ArgumentError) as err:
        sql.summarize(cdnow, progress="yes")  # type: ignore[arg-type]
    assert err.value.argument == "progress"


# --------------------------------------------------------------- options of relmark.data.summarize
@settings(max_examples=60, deadline=None)
@given(case=option_logs(), unit=st.sampled_from([("D", 1), ("W", 1), ("h", 1), ("D", 7)]))
def test_options_equal_in_memory(
    case: tuple[pd.DataFrame, dict[str, Any]], unit: tuple[str, float]
) -> None:
    """missing_ids='drop', returns='drop', currency, date_unit (with timezone): the summary of
    the in-memory path, bit for bit (the currency included), and the same counts dropped; a
    log that in-memory refuses (everything dropped) is refused too."""
    log, kw = case
    kw = {**kw, "time_unit": unit[0], "freq_multiplier": unit[1]}
    try:
        want = summarize(log, **kw)
    except DataError:
        with pytest.raises(DataError):
            sql.summarize(log, **kw)
        return
    got = sql.summarize(log, **kw)
    assert_same(got, want)
    assert got.currency == want.currency
    # the same notes, without the row labels (the engine does not keep row positions)
    assert [n.split(" (")[0] for n in got.notes] == [n.split(" (")[0] for n in want.notes]


def test_options_on_cdnow_files(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    """A Parquet file with epoch-millisecond dates, a currency column, blank ids and returns."""
    log = cdnow.copy()
    log["customer_id"] = log["customer_id"].astype(str)
    log.loc[log.index[::97], "customer_id"] = " "
    log.loc[log.index[5::89], "amount"] *= -1
    log["date"] = log["date"].astype("int64") // 1_000_000
    log["currency"] = "USD"
    log.to_parquet(tmp_path / "log.parquet")
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "currency": "currency",
        "date_unit": "ms",
        "returns": "drop",
        "missing_ids": "drop",
        "time_unit": "D",
        "freq_multiplier": 7,
    }
    got = sql.summarize(tmp_path / "log.parquet", **kw)
    assert_same(got, summarize(log, **kw), exact_money=False)
    assert got.currency == "USD"
    assert got.notes[0].startswith(f"dropped {len(log.index[::97]):,} transactions")


@pytest.mark.parametrize(
    ("kw", "argument", "match"),
    [
        ({"returns": "net", "monetary_value": "amount"}, "returns", "relmark.data.summarize"),
        ({"dayfirst": True}, "dayfirst", "date_format"),
        ({"dayfirst": "yes"}, "dayfirst", "True, False or None"),
        ({"returns": "keep", "monetary_value": "amount"}, "returns", "'refuse', 'drop'"),
        ({"returns": "drop"}, "returns", "monetary_value"),
        ({"missing_ids": "skip"}, "missing_ids", "'refuse' or 'drop'"),
        ({"currency": "cur"}, "currency", "monetary_value"),
        ({"date_unit": "days"}, "date_unit", "'excel', 's', 'ms'"),
        ({"date_unit": "s"}, "date_unit", "holds datetimes"),
        ({"date_unit": "s", "date_format": "%Y"}, "date_unit", "not both"),
    ],
)
def test_options_refused_name_the_argument(kw: dict[str, Any], argument: str, match: str) -> None:
    with pytest.raises(ArgumentError, match=match) as err:
        sql.summarize(_log(), **kw)
    assert err.value.argument == argument


def test_option_data_errors() -> None:
    euro: dict[str, Any] = {"monetary_value": "amount", "currency": "cur"}
    with pytest.raises(CurrencyError, match=r"EUR \(2 rows\), USD \(1 rows\)"):
        sql.summarize(_log(cur=["EUR", "USD", "EUR"]), **euro)
    for cur, match in (
        (["EUR", None, "EUR"], "missing currencies"),
        (["EUR", "eur", "EUR"], "ISO"),
    ):
        with pytest.raises(DataError, match=match) as err:
            sql.summarize(_log(cur=cur), **euro)
        assert err.value.column == "cur"
    numbers = _log(date=[1.7e9, 1.7e9 + 86_400, 1.7e9])
    with pytest.raises(DataError, match="date_unit=") as err:
        sql.summarize(numbers)
    assert err.value.column == "date"
    for good, bad, unit in ((1.7e9, np.inf, "s"), (1.7e12, 1e300, "ms"), (45292, 60.0, "excel")):
        with pytest.raises(DataError, match=f"date_unit={unit!r}") as err:
            sql.summarize(_log(date=[good, bad, good]), date_unit=unit)  # type: ignore[arg-type]
        assert err.value.column == "date"
        assert err.value.rows == ("a",)
    with pytest.raises(DataError, match="no transactions left") as err:
        sql.summarize(_log(customer_id=[None, " ", ""]), missing_ids="drop")


@settings(max_examples=40, deadline=None)
@given(case=option_logs(), unit=st.sampled_from([("D", 1), ("W", 1), ("D", 7)]))
def test_options_in_calibration_holdout_equal_in_memory(
    case: tuple[pd.DataFrame, dict[str, Any]], unit: tuple[str, float]
) -> None:
    """The same options through the calibration/holdout split (cut on a period boundary and
    inside one): the in-memory split, or the same kind of refusal."""
    log, kw = case
    kw = {**kw, "time_unit": unit[0], "freq_multiplier": unit[1]}
    for cut in ("2024-01-07 23:59:59", "2024-01-20 12:00:00"):
        try:
            want = calibration_holdout(log, calibration_end=cut, **kw)
        except (DataError, ArgumentError) as exc:
            with pytest.raises(type(exc)):
                sql.calibration_holdout(log, calibration_end=cut, **kw)
            continue
        got = sql.calibration_holdout(log, calibration_end=cut, **kw)
        assert_same(got, want)
        assert got.currency == want.currency


# ---------------------------------------------------------------------- sum_log_interpurchase
def _litt_close(a: RFMSummary, b: RFMSummary) -> None:
    """Same customers and the same statistic (summed in another order: to 1e-13)."""
    np.testing.assert_array_equal(a.customer_id, b.customer_id)
    assert a.sum_log_interpurchase is not None and b.sum_log_interpurchase is not None
    np.testing.assert_allclose(
        a.sum_log_interpurchase, b.sum_log_interpurchase, rtol=1e-13, atol=1e-13
    )


@settings(max_examples=25)
@given(log=logs(), unit=st.sampled_from([("D", 1), ("W", 1), ("h", 1), ("D", 7)]))
def test_generated_logs_sum_log_interpurchase_equals_in_memory(
    log: pd.DataFrame, unit: tuple[str, float]
) -> None:
    kw: dict[str, Any] = {
        "time_unit": unit[0],
        "freq_multiplier": unit[1],
        "sum_log_interpurchase": True,
    }
    _litt_close(sql.summarize(log, **kw), summarize(log, **kw))


@pytest.mark.parametrize("spend", ["period", "transaction"])
def test_cdnow_split_statistic_and_holdout_spend_equal_in_memory(
    cdnow: pd.DataFrame, spend: str
) -> None:
    kw: dict[str, Any] = {
        "calibration_end": CAL,
        "monetary_value": "amount",
        "freq_multiplier": 7,
        "sum_log_interpurchase": True,
        "holdout_spend": spend,
    }
    ours, mem = sql.calibration_holdout(cdnow, **kw), calibration_holdout(cdnow, **kw)
    _litt_close(ours, mem)
    assert ours.monetary_value_holdout is not None and mem.monetary_value_holdout is not None
    np.testing.assert_allclose(ours.monetary_value_holdout, mem.monetary_value_holdout, rtol=1e-12)
    text = sql.summary_sql(
        table="t", calibration_end=CAL, sum_log_interpurchase=True, dialect="spark"
    )
    assert "LAG(" in text.upper() and "LN(" in text.upper()
