"""The exported warehouse SQL (``summary_sql``, ``statistics_sql``) never gives a silently
wrong summary: the bounds of relmark.data, guards that fail the query on rows relmark.data
refuses, table names parsed in the target dialect, and identifiers quoted only when needed.

Every dialect's text is parsed by sqlglot in that dialect; the DuckDB and Postgres texts are
executed on DuckDB and the Spark SQL text on local Spark, against relmark.data computed in
memory on the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from relmark.clv import BGNBD, ParetoNBD
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_transactions
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError

CAL, END = "1997-06-30", "1998-01-01"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


def _run(con: duckdb.DuckDBPyConnection, text: str, unit: str = "D") -> RFMSummary:
    return RFMSummary.from_frame(con.sql(text).df(), customer_id="customer_id", time_unit=unit)


def _same(got: RFMSummary, want: RFMSummary) -> None:
    pd.testing.assert_frame_equal(got.to_frame(), want.to_frame(), check_exact=False, rtol=1e-12)


# ------------------------------------------------------------- 1. observation_end's bound
def test_holdout_with_late_rows_fails_as_in_memory_and_equals_it_without(
    cdnow: pd.DataFrame,
) -> None:
    """CDNOW runs to 1998-06-30: with observation_end 1998-01-01 the in-memory split refuses
    the later rows, and so does every exported text (it counted the later rows as holdout
    purchases, silently); on the rows up to the end the text equals the in-memory split, whose
    holdout count is the distinct (customer, day) pairs counted directly."""
    ends: dict[str, Any] = {"calibration_end": CAL, "observation_end": END}
    kw: dict[str, Any] = {"monetary_value": "amount", **ends}
    with pytest.raises(DataError, match="after the end of observation"):
        calibration_holdout(cdnow, **kw)
    con = duckdb.connect()
    con.register("orders", cdnow)
    kept = cdnow[cdnow["date"] <= pd.Timestamp(END)]
    con.register("kept", kept)
    n_late = int((cdnow["date"] > pd.Timestamp(END)).sum())
    want = calibration_holdout(kept, **kw)
    buyers = kept.loc[kept["date"] <= pd.Timestamp(CAL), "customer_id"].unique()
    holdout = kept[(kept["date"] > pd.Timestamp(CAL)) & kept["customer_id"].isin(buyers)]
    assert want.frequency_holdout is not None
    assert want.frequency_holdout.sum() == len(holdout[["customer_id", "date"]].drop_duplicates())
    for dialect in ("duckdb", "postgres"):  # DuckDB reads Postgres' text as it is
        with pytest.raises(duckdb.Error, match=f"relmark: {n_late} row\\(s\\) after observation"):
            con.sql(sql.summary_sql(table="orders", dialect=dialect, **kw)).df()
        _same(_run(con, sql.summary_sql(table="kept", dialect=dialect, **kw)), want)


def test_summary_bounds_are_relmark_datas_later_period_rule() -> None:
    """relmark.data.summarize keeps a purchase later on observation_end's own day (the same
    period) and refuses one in a later period; the text does the same."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01 00:00", "2024-01-05 18:00", "2024-01-03 00:00"]),
        }
    )
    con = duckdb.connect()
    con.register("same_day", log)
    end = "2024-01-05 12:00"
    want = summarize(log, observation_end=end)
    _same(_run(con, sql.summary_sql(table="same_day", observation_end=end)), want)
    late = pd.concat([log, log.iloc[[2]].assign(date=pd.Timestamp("2024-01-06"))])
    con.register("next_day", late)
    with pytest.raises(DataError, match="after the end of observation"):
        summarize(late, observation_end=end)
    with pytest.raises(duckdb.Error, match="relmark: 1 row\\(s\\) after observation_end"):
        con.sql(sql.summary_sql(table="next_day", observation_end=end)).df()


# ------------------------------------------------------------- 4. the other preconditions
BAD_ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("null id", {"customer_id": None}, "missing or blank customer id \\(column customer_id\\)"),
    ("blank id", {"customer_id": "  "}, "missing or blank customer id"),
    ("null time", {"date": pd.NaT}, "missing time \\(column date\\)"),
    ("null amount", {"amount": None}, "missing amount \\(column amount\\)"),
    ("return", {"amount": -5.0}, "negative \\(a return\\), infinite or NaN amount"),
    ("nan", {"amount": float("nan")}, "negative \\(a return\\), infinite or NaN amount"),
    ("inf", {"amount": float("inf")}, "negative \\(a return\\), infinite or NaN amount"),
    ("-inf", {"amount": float("-inf")}, "negative \\(a return\\), infinite or NaN amount"),
]


def _log(**bad: Any) -> pd.DataFrame:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-02", "2024-01-09"]),
            "amount": [10.0, 20.0, 5.0, 7.0],
        }
    ).astype({"customer_id": object, "amount": object})
    for column, value in bad.items():
        log.loc[2, column] = value
    if "amount" not in bad:
        log["amount"] = log["amount"].astype(float)
    return log


def _register(con: duckdb.DuckDBPyConnection, name: str, log: pd.DataFrame) -> None:
    """The log as an Arrow table: a NaN amount stays NaN (pandas' own registration would make
    it NULL), None is NULL."""
    amounts = pa.array(log["amount"].tolist(), type=pa.float64(), from_pandas=False)
    table = pa.Table.from_pandas(log.drop(columns="amount"), preserve_index=False)
    con.register(name, table.append_column("amount", amounts))


@pytest.mark.parametrize(("case", "bad", "match"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_rows_relmark_data_refuses_fail_the_query(
    case: str, bad: dict[str, Any], match: str, dialect: str
) -> None:
    """Each row relmark.data refuses by default fails the exported query, in the error's text,
    instead of being netted (returns), ignored (NULL amounts, times) or grouped as a customer
    (NULL ids)."""
    log = _log(**bad)
    with pytest.raises(DataError):
        summarize(log, monetary_value="amount")
    con = duckdb.connect()
    _register(con, "orders", log)
    with pytest.raises(duckdb.Error, match="relmark: 1 row\\(s\\) with a " + match):
        con.sql(sql.summary_sql(table="orders", monetary_value="amount", dialect=dialect)).df()


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_clean_rows_equal_in_memory_with_numeric_ids(dialect: str) -> None:
    log = _log().assign(customer_id=[1, 1, 2, 3])
    con = duckdb.connect()
    con.register("orders", log)
    text = sql.summary_sql(table="orders", monetary_value="amount", dialect=dialect)
    _same(_run(con, text), summarize(log, monetary_value="amount"))


def test_spark_sql_text_runs_guarded_and_equals_in_memory(spark: Any) -> None:
    """The Spark SQL text on local Spark (ANSI casts): a missing id fails it naming the
    column; on clean rows it equals relmark.data, with and without the split."""
    bad = _log(customer_id=None)
    spark.createDataFrame(pa.Table.from_pandas(bad, preserve_index=False)).createOrReplaceTempView(
        "relmark_bad_orders"
    )
    text = sql.summary_sql(table="relmark_bad_orders", monetary_value="amount", dialect="spark")
    with pytest.raises(Exception, match="relmark: 1 row\\(s\\) with a missing or blank"):
        spark.sql(text).toArrow()
    log = _log()
    spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False)).createOrReplaceTempView(
        "relmark_orders"
    )
    kw: dict[str, Any] = {"monetary_value": "amount"}
    split: dict[str, Any] = {"calibration_end": "2024-01-03", "observation_end": "2024-01-10"}
    extras: tuple[tuple[dict[str, Any], RFMSummary], ...] = (
        ({}, summarize(log, **kw)),
        (split, calibration_holdout(log, **kw, **split)),
    )
    for extra, want in extras:
        text = sql.summary_sql(table="relmark_orders", dialect="spark", **kw, **extra)
        frame = spark.sql(text).toArrow().to_pandas()
        got = RFMSummary.from_frame(frame, customer_id="customer_id", time_unit="D")
        _same(got, want)


# ------------------------------------------------------------- 2. the table, in its dialect
@pytest.mark.parametrize(
    ("table", "dialect", "written"),
    [
        ("`p.d.orders`", "bigquery", "`p.d.orders`"),
        ("`my-project`.sales.orders", "bigquery", "`my-project`.sales.orders"),
        ('"My DB".sales."Orders"', "snowflake", '"My DB".sales."Orders"'),
        ("`lake`.`orders`", "spark", "`lake`.`orders`"),
        ('sales."Orders"', "postgres", 'sales."Orders"'),
        ("(SELECT * FROM orders WHERE amount >= 0) AS o", "duckdb", "AS o"),
    ],
)
def test_table_is_read_in_the_target_dialect(table: str, dialect: str, written: str) -> None:
    for text in (
        sql.summary_sql(table=table, dialect=dialect, pretty=False),
        sql.statistics_sql(BGNBD, table=table, dialect=dialect),
    ):
        assert written in text
        sqlglot.parse_one(text, read=dialect)


@pytest.mark.parametrize(
    ("table", "dialect"),
    [
        ("`p.d.orders`", "duckdb"),  # backquotes are not DuckDB's
        ("orders; DROP TABLE orders", "postgres"),
        ("orders WHERE amount > 0", "snowflake"),
        ("orders JOIN returns", "spark"),
        ("(SELECT", "bigquery"),
        ("   ", "bigquery"),
    ],
)
def test_bad_table_names_are_argument_errors(table: str, dialect: str) -> None:
    for write in (
        lambda: sql.summary_sql(table=table, dialect=dialect),
        lambda: sql.statistics_sql(ParetoNBD, table=table, dialect=dialect),
    ):
        with pytest.raises(ArgumentError) as info:
            write()
        assert info.value.argument == "table"


# ------------------------------------------------------------- 3. quoting per dialect
def _column_quoting(text: str, dialect: str) -> dict[str, bool]:
    tree = sqlglot.parse_one(text, read=dialect)
    return {
        i.name: bool(i.quoted)
        for i in tree.find_all(exp.Identifier)
        if isinstance(i.parent, exp.Column)
    }


@pytest.mark.parametrize("dialect", sql.DIALECTS)
def test_plain_lower_case_columns_are_unquoted_others_quoted_exactly(dialect: str) -> None:
    """A plain lower-case name is written unquoted, so it resolves case-insensitively
    (Snowflake's CUSTOMER_ID, Postgres' customer_id); a name with capitals, a space or a
    reserved word is quoted exactly as given; the result's columns are relmark's names,
    quoted (case kept: "T" stays T in Postgres and Snowflake)."""
    text = sql.summary_sql(
        table="orders",
        customer_id="customer_id",
        datetime="Ordered At",
        monetary_value="order",
        dialect=dialect,
    )
    quoting = _column_quoting(text, dialect)
    assert quoting["customer_id"] is False
    assert quoting["Ordered At"] is True
    assert quoting["order"] is True
    tree = sqlglot.parse_one(text, read=dialect)
    aliases = {a.alias: a.args["alias"].quoted for a in tree.expressions}
    assert aliases == dict.fromkeys(
        ("customer_id", "frequency", "recency", "T", "monetary_value"), True
    )
    stats = sqlglot.parse_one(sql.statistics_sql(BGNBD, table="s", dialect=dialect), read=dialect)
    assert {c.name for c in stats.find_all(exp.Column) if c.this.quoted} == {
        "frequency",
        "recency",
        "T",
    }


def test_snowflake_text_resolves_upper_case_columns() -> None:
    """DuckDB standing in for Snowflake's folding: unquoted names resolve whatever the case of
    the stored columns, so the Snowflake text read back to DuckDB runs on a table with
    CUSTOMER_ID, DATE, AMOUNT."""
    log = _log().rename(columns=str.upper)
    con = duckdb.connect()
    con.register("orders", log)
    text = sql.summary_sql(table="orders", monetary_value="amount", dialect="snowflake")
    assert '"customer_id"' not in text.split("SELECT", 2)[1]  # the read of the column
    back = sqlglot.transpile(text, read="snowflake", write="duckdb")[0]
    _same(_run(con, back), summarize(_log(), monetary_value="amount"))


@pytest.mark.parametrize("dialect", sql.DIALECTS)
@pytest.mark.parametrize("split", [False, True])
def test_every_dialect_parses_with_every_option(dialect: str, split: bool) -> None:
    ends: dict[str, Any] = {"observation_end": END}
    if split:
        ends["calibration_end"] = CAL
    text = sql.summary_sql(
        table="orders",
        monetary_value="amount",
        sum_log_interpurchase=True,
        dialect=dialect,
        **ends,
    )
    tree = sqlglot.parse_one(text, read=dialect)
    assert tree.find(exp.Select) is not None
    assert "after observation_end" in text


# ------------------------------------------------------------- 5. a folder as the source
def test_a_folder_is_refused_with_the_glob_to_use(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    cdnow.head(100).to_parquet(lake / "part-0.parquet")
    for source in (f"{lake}/", str(lake), lake):
        with pytest.raises(
            ArgumentError, match=r"is a folder: pass a glob .*lake/\*\.parquet"
        ) as info:
            sql.summarize(source)
        assert info.value.argument == "source"
    got = sql.summarize(f"{lake}/*.parquet")
    np.testing.assert_array_equal(got.frequency, summarize(cdnow.head(100)).frequency)
