"""Follow-ups of a new user's trial of :func:`relmark.engines.sql.summarize` on folders of
Parquet files: an error naming customers counts customers (it counted rows: 'and 1777 more'
for 614 more customers); unparseable text dates show examples and the expected format, as
relmark.data does; ``date_format`` for a TIMESTAMP column is refused (it was silently unused);
files that disagree on what the date or id column holds (a zoned file among naive ones) are
refused by name instead of read as the first file's type."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relmark.data import summarize as summarize_in_memory
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError

OPTS: dict[str, Any] = {
    "customer_id": "customer_id",
    "datetime": "date",
    "monetary_value": "amount",
}


def _late_log() -> pd.DataFrame:
    """Customers c0..c6 with two purchases after 2024-06-30 each (14 rows, 7 customers), and
    d0..d2 with none."""
    rows = []
    for i in range(7):
        rows += [(f"c{i}", "2024-01-02", 1.0), (f"c{i}", "2024-07-02", 2.0)]
        rows += [(f"c{i}", "2024-08-02", 3.0)]
    rows += [(f"d{i}", "2024-02-02", 1.0) for i in range(3)]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def test_late_transactions_count_customers_not_rows(tmp_path: Path) -> None:
    log = _late_log()
    log.iloc[::2].to_parquet(tmp_path / "a.parquet")
    log.iloc[1::2].to_parquet(tmp_path / "b.parquet")
    late = log[log["date"] > "2024-06-30"]  # brute force: the rows and customers at fault
    n_rows, n_customers = len(late), late["customer_id"].nunique()
    assert (n_rows, n_customers) == (14, 7)
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "*.parquet"), observation_end="2024-06-30", **OPTS)
    exc = err.value
    assert exc.column == "date"
    assert exc.count == n_customers
    assert sorted(map(str, exc.rows)) == sorted(late["customer_id"].unique())
    assert f"{n_rows} rows of {n_customers} customers" in str(exc)
    assert f"(and {n_customers - 5} more)" in str(exc)  # five shown


def test_unparseable_dates_count_customers_and_show_examples(tmp_path: Path) -> None:
    """Three ISO dates of two customers read with '%d/%m/%Y': as relmark.data says it."""
    log = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2024-01-13", "2024-02-01", "2024-01-03"]}
    )
    log = log.assign(amount=1.0)
    path = tmp_path / "p.parquet"
    log.to_parquet(path)
    with pytest.raises(DataError) as err:
        sql.summarize(str(path), date_format="%d/%m/%Y", **OPTS)
    text = str(err.value)
    assert err.value.count == 2
    assert "3 rows of 2 customers" in text
    assert "(and 1 more)" not in text
    assert "(expected format '%d/%m/%Y')" in text
    assert "pass the format" not in text
    shown = text.split("such as ")[1].split(" (expected")[0]
    assert sorted(ast.literal_eval(shown)) == sorted(log["date"])  # the raw values, as written
    with pytest.raises(DataError) as csv_err:  # relmark.data's wording, the same content
        summarize_in_memory(log, date_format="%d/%m/%Y", **OPTS)
    assert "(expected format '%d/%m/%Y')" in str(csv_err.value)


def test_unparseable_dates_without_a_format_show_examples(tmp_path: Path) -> None:
    log = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-13", "soon"], "amount": 1.0})
    log.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "p.parquet"), **OPTS)
    assert "unparseable dates such as ['soon'] (pass their format with date_format=)" in str(
        err.value
    )
    assert err.value.rows == ("b",)


@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_date_format_for_timestamps_is_refused(tmp_path: Path, zone: str | None) -> None:
    log = _late_log()
    if zone is not None:
        log = log.assign(date=log["date"].dt.tz_localize(zone))
    log.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(ArgumentError) as err:
        sql.summarize(str(tmp_path / "p.parquet"), date_format="%d/%m/%Y", **OPTS)
    assert err.value.argument == "date_format"
    assert "holds timestamps" in str(err.value)
    with pytest.raises(ArgumentError) as split_err:
        sql.calibration_holdout(
            str(tmp_path / "p.parquet"),
            calibration_end="2024-03-01",
            date_format="%Y-%m-%d",
            **OPTS,
        )
    assert split_err.value.argument == "date_format"
    with pytest.raises(ArgumentError) as mem_err:  # relmark.data: the same rule
        summarize_in_memory(log, date_format="%d/%m/%Y", **OPTS)
    assert mem_err.value.argument == "date_format"
    with pytest.raises(ArgumentError) as obj_err:  # datetime objects too
        summarize_in_memory(log.astype({"date": object}), date_format="%d/%m/%Y", **OPTS)
    assert obj_err.value.argument == "date_format"


def _write(path: Path, ids: list[object], dates: pa.Array) -> None:
    pq.write_table(pa.table({"customer_id": ids, "date": dates, "amount": [1.0] * len(ids)}), path)


@pytest.mark.parametrize("order", [("naive", "zoned"), ("zoned", "naive")])
def test_zoned_and_naive_files_are_refused(tmp_path: Path, order: tuple[str, str]) -> None:
    """DuckDB read the zoned file's 10:00+01:00 as 09:00 (or the naive file's in the session's
    zone), silently; relmark.data refuses dates with a zone mixed with dates without."""
    naive = pa.array(pd.to_datetime(["2024-02-01 10:00", "2024-02-05 10:00"]))
    zoned = pa.array(
        pd.to_datetime(["2024-01-01 10:00", "2024-01-05 10:00"]).tz_localize("Europe/Paris")
    )
    for i, kind in enumerate(order):
        _write(tmp_path / f"{i}-{kind}.parquet", ["a", "b"], naive if kind == "naive" else zoned)
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    text = str(err.value)
    assert err.value.column == "date"
    assert "zoned.parquet" in text and "naive.parquet" in text
    assert "time zone" in text
    frame = pd.DataFrame({"customer_id": ["a", "b"] * 2})
    frame["date"] = list(naive.to_pandas()) + list(zoned.to_pandas())
    with pytest.raises(DataError, match="without a time zone"):  # the in-memory rule
        summarize_in_memory(frame.assign(amount=1.0), **OPTS)


def test_text_and_integer_ids_across_files_are_refused(tmp_path: Path) -> None:
    """Ids 7 in one file and '7' in another were one customer (DuckDB cast 7 to '7')."""
    dates = pa.array(pd.to_datetime(["2024-01-01", "2024-01-09"]))
    _write(tmp_path / "a.parquet", ["7", "x"], dates)
    _write(tmp_path / "b.parquet", [7, 8], dates)
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    assert err.value.column == "customer_id"
    assert "text in" in str(err.value) and "whole numbers in" in str(err.value)


def test_text_and_timestamp_dates_across_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.parquet", ["a", "b"], pa.array(pd.to_datetime(["2024-01-01"] * 2)))
    _write(tmp_path / "b.parquet", ["a", "b"], pa.array(["2024-01-05", "2024-01-09"]))
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    assert err.value.column == "date"


def test_dates_and_naive_timestamps_across_files_are_one_kind(tmp_path: Path) -> None:
    """A DATE file among TIMESTAMP files is read as midnight, as relmark.data reads it."""
    days = pa.array(pd.to_datetime(["2024-01-01", "2024-01-03"]).date)
    times = pa.array(pd.to_datetime(["2024-01-05 12:00", "2024-01-09 06:00"]))
    _write(tmp_path / "a.parquet", ["a", "b"], times)
    _write(tmp_path / "b.parquet", ["a", "b"], days)
    got = sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "b"],
            "date": pd.to_datetime(
                ["2024-01-05 12:00", "2024-01-09 06:00", "2024-01-01 00:00", "2024-01-03 00:00"]
            ),
            "amount": 1.0,
        }
    )
    want = summarize_in_memory(frame, **OPTS)
    pd.testing.assert_frame_equal(
        got.to_frame().sort_index(), want.to_frame().sort_index(), check_dtype=False
    )


def test_nan_amounts_in_parquet_are_refused(tmp_path: Path) -> None:
    """DuckDB folds isnan() to false where the file's statistics (which skip NaN) are finite:
    a NaN amount was summed and reported as 'add up beyond the float range'."""
    pq.write_table(
        pa.table(
            {
                "customer_id": ["a", "a", "b"],
                "date": pa.array(pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-03"])),
                "amount": [1.0, float("nan"), 2.0],
            }
        ),
        tmp_path / "p.parquet",
    )
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "p.parquet"), **OPTS)
    assert err.value.column == "amount" and err.value.rows == ("a",)
    assert "missing (NaN) or infinite amounts" in str(err.value)


def test_amounts_rounded_by_a_first_integer_file_are_refused(tmp_path: Path) -> None:
    """A first file of whole-number amounts made DuckDB cast a later file's 1.5 to 2."""
    dates = pa.array(pd.to_datetime(["2024-01-01", "2024-01-05"]))
    pq.write_table(
        pa.table({"customer_id": ["a", "a"], "date": dates, "amount": [1, 2]}),
        tmp_path / "a.parquet",
    )
    pq.write_table(
        pa.table({"customer_id": ["a", "b"], "date": dates, "amount": [1.5, 2.5]}),
        tmp_path / "b.parquet",
    )
    with pytest.raises(DataError) as err:
        sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    assert err.value.column == "amount"
    assert "whole numbers in" in str(err.value)
    # floats first: the whole numbers are read as floats, exactly as relmark.data reads them
    (tmp_path / "a.parquet").rename(tmp_path / "c.parquet")
    got = sql.summarize(str(tmp_path / "*.parquet"), **OPTS)
    # a's purchases: 2024-01-01 (1.5 and 1, the first day), 2024-01-05 (2): one repeat day
    row = got.to_frame().loc["a"]
    assert [row["frequency"], row["monetary_value"]] == [1.0, 2.0]


def test_twice_named_column_and_struct_fields(tmp_path: Path) -> None:
    dates = pa.array(pd.to_datetime(["2024-01-01", "2024-01-05"]))
    twice = pa.Table.from_arrays(
        [pa.array(["a", "a"]), dates, pa.array([1.0, 2.0]), pa.array(["x", "y"])],
        names=["customer_id", "date", "amount", "date"],
    )
    pq.write_table(twice, tmp_path / "twice.parquet")
    with pytest.raises(DataError) as err:  # DuckDB read the first, renaming the second
        sql.summarize(str(tmp_path / "twice.parquet"), **OPTS)
    assert err.value.column == "date" and "2 columns" in str(err.value)
    nested = pa.table(
        {
            "customer_id": ["a", "a"],
            "date": dates,
            "amount": [1.0, 2.0],
            "s": pa.array([{"date": "x"}, {"date": "y"}]),
        }
    )
    pq.write_table(nested, tmp_path / "nested.parquet")  # a struct's field is not the column
    got = sql.summarize(str(tmp_path / "nested.parquet"), **OPTS)
    assert got.to_frame().loc["a", "frequency"] == 1
