"""``relmark summarize`` on Parquet files, as a new user's trial met it: a folder is refused
with the glob to pass; ``--date-format`` for timestamps is refused (it was ignored, exit 0);
unparseable text dates are reported as for a CSV file (examples, the expected format);
errors naming customers count customers; files of zoned and naive timestamps are refused."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relmark.cli import main

pytest.importorskip("duckdb", reason="the sql extra is not installed")

COLUMNS = ["--customer", "customer_id", "--date", "date", "--amount", "amount"]


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_gets_the_glob_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]}).to_parquet(
        lake / "part-0.parquet"
    )
    code, _, err = run(["summarize", lake, *COLUMNS, "-o", tmp_path / "s.csv"], capsys)
    assert code != 0
    assert "is a folder" in err
    assert f"'{lake}/*.parquet'" in err
    assert not (tmp_path / "s.csv").exists()


def test_date_format_for_timestamps_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-02-01"])}
    )
    frame.assign(amount=1.0).to_parquet(tmp_path / "p.parquet")
    args = ["summarize", tmp_path / "p.parquet", *COLUMNS, "--date-format", "%d/%m/%Y"]
    code, _, err = run([*args, "-o", tmp_path / "s.csv"], capsys)
    assert code != 0
    assert "--date-format" in err and "holds timestamps" in err
    assert not (tmp_path / "s.csv").exists()


def test_unparseable_dates_read_as_in_a_csv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-13", "2024-02-01", "2024-01-03"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    frame.to_parquet(tmp_path / "p.parquet")
    frame.to_csv(tmp_path / "p.csv", index=False)
    fmt = ["--date-format", "%d/%m/%Y"]
    code, _, parquet_err = run(
        ["summarize", tmp_path / "p.parquet", *COLUMNS, *fmt, "-o", tmp_path / "s.csv"], capsys
    )
    assert code != 0
    code, _, csv_err = run(
        ["summarize", tmp_path / "p.csv", *COLUMNS, *fmt, "-o", tmp_path / "s.csv"], capsys
    )
    assert code != 0
    pattern = r"unparseable dates such as (\[[^\]]*\]) \(expected format '%d/%m/%Y'\)"
    found_parquet, found_csv = re.search(pattern, parquet_err), re.search(pattern, csv_err)
    assert found_parquet is not None and found_csv is not None, (parquet_err, csv_err)
    assert sorted(ast.literal_eval(found_parquet[1])) == sorted(ast.literal_eval(found_csv[1]))
    assert "3 rows of 2 customers" in parquet_err
    assert "pass the format" not in parquet_err
    assert "more)" not in parquet_err  # both customers are shown


def test_late_rows_count_customers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(f"c{i}", day, 1.0) for i in range(8) for day in ("2024-01-01", "2024-03-01")]
    rows += [(f"c{i}", "2024-04-01", 1.0) for i in range(3)]  # 8 + 3 late rows of 8 customers
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(tmp_path / "p.parquet")
    args = ["summarize", tmp_path / "p.parquet", *COLUMNS, "--end", "2024-02-01"]
    code, _, err = run([*args, "-o", tmp_path / "s.csv"], capsys)
    assert code != 0
    assert "11 rows of 8 customers" in err
    assert "(and 3 more)" in err  # of the 8 customers, 5 shown


def test_zoned_and_naive_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tz").mkdir()
    for name, dates in (
        ("naive", pd.to_datetime(["2024-02-01 10:00", "2024-02-05 10:00"])),
        (
            "zoned",
            pd.to_datetime(["2024-01-01 10:00", "2024-01-05 10:00"]).tz_localize("Europe/Paris"),
        ),
    ):
        table = pa.table({"customer_id": ["a", "b"], "date": pa.array(dates), "amount": [1.0] * 2})
        pq.write_table(table, tmp_path / "tz" / f"{name}.parquet")
    glob = tmp_path / "tz" / "*.parquet"
    code, _, err = run(["summarize", glob, *COLUMNS, "-o", tmp_path / "s.csv"], capsys)
    assert code != 0
    assert "zoned.parquet" in err and "naive.parquet" in err and "time zone" in err
    assert not (tmp_path / "s.csv").exists()
