"""'relmark cohorts': the cohort table of a CSV log, checked by hand, as CSV, Parquet and JSON,
and the errors a user meets (one line, exit status 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from relmark.cli import main

LOG = """customer_id,date,amount
a,2024-01-05,10
a,2024-01-20,5
a,2024-03-01,4
b,2024-01-31,6
b,2024-02-01,3
c,2024-02-15,8
c,2024-04-10,2
d,2024-02-28,1
"""
"""January cohort a, b; February cohort c, d. a buys again in March (age 2), b in February
(age 1), c in April (age 2); d never. Observation ends 2024-04-10 (the February cohort's age 3
is May: not observed)."""


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(LOG)
    return path


def test_retention_csv_by_hand(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """January: 2 customers, active at ages 0..3: 2, 1 (b), 1 (a), 0: retention 1, .5, .5, 0;
    February: 2, 0, 1 (c), not observed: 1, 0, .5, empty."""
    out = tmp_path / "cohorts.csv"
    assert main(["cohorts", str(log), "-o", str(out)]) == 0
    frame: Any = pd.read_csv(out, index_col="cohort")
    assert list(frame.columns) == ["customers", "0", "1", "2", "3"]
    assert frame.loc["2024-01"].tolist() == [2, 1.0, 0.5, 0.5, 0.0]
    assert frame.loc["2024-02", ["customers", "0", "1", "2"]].tolist() == [2, 1.0, 0.0, 0.5]
    assert pd.isna(frame.loc["2024-02", "3"])
    said = capsys.readouterr().out
    assert "2 cohorts (2024-01 to 2024-02), 4 customers, ages 0-3 months" in said


def test_revenue_per_customer_parquet_and_json(log: Path, tmp_path: Path):
    """Revenue per customer acquired, by hand: January at age 0 (10 + 5 + 6) / 2 = 10.5, age 1
    3 / 2 = 1.5, age 2 4 / 2 = 2; February age 0 (8 + 1) / 2 = 4.5, age 2 2 / 2 = 1. The JSON
    holds the counts and the revenue."""
    out, js = tmp_path / "cohorts.parquet", tmp_path / "cohorts.json"
    args = ["cohorts", str(log), "--amount", "amount", "--kind", "revenue_per_customer"]
    assert main([*args, "-o", str(out), "--json", str(js)]) == 0
    frame: Any = pd.read_parquet(out).set_index("cohort")
    assert frame.loc["2024-01", ["0", "1", "2", "3"]].tolist() == [10.5, 1.5, 2.0, 0.0]
    assert frame.loc["2024-02", ["0", "1", "2"]].tolist() == [4.5, 0.0, 1.0]
    assert pd.isna(frame.loc["2024-02", "3"])
    d = json.loads(js.read_text())
    assert d["sizes"] == [2, 2]
    assert d["active"] == [[2, 1, 1, 0], [2, 0, 1, None]]
    assert d["revenue"] == [[21.0, 3.0, 4.0, 0.0], [9.0, 0.0, 2.0, None]]


def test_end_extends_the_observed_ages(log: Path, tmp_path: Path):
    """--end 2024-06-30: ages 0..5; the February cohort is observed to age 4 (June)."""
    out = tmp_path / "c.csv"
    assert (
        main(["cohorts", str(log), "--kind", "active", "--end", "2024-06-30", "-o", str(out)]) == 0
    )
    frame: Any = pd.read_csv(out, index_col="cohort")
    assert frame.loc["2024-02", ["1", "2", "3", "4"]].tolist() == [0, 1, 0, 0]
    assert pd.isna(frame.loc["2024-02", "5"])


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        (["--kind", "revenue"], "needs --amount"),
        (["--customer", "user"], "missing column(s) 'user'"),
        (["--end", "2024-02-01"], "after the end of observation"),
        (["--amount", "date"], "date"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], phrase: str
):
    out = tmp_path / "c.csv"
    assert main(["cohorts", str(log), *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("relmark: error:") and phrase in err and err.count("\n") == 1
    assert not out.exists()


def test_bad_dates_name_the_csv_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date\na,2024-13-05\nb,2024-01-01\n")
    assert main(["cohorts", str(bad), "-o", str(tmp_path / "c.csv")]) == 2
    assert "CSV lines: 2" in capsys.readouterr().err


def test_output_must_not_be_the_input(log: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["cohorts", str(log), "-o", str(log)]) == 2
    assert main(["cohorts", str(log), "-o", str(log) + ".csv", "--json", str(log)]) == 2
    assert log.read_text() == LOG
