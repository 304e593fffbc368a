"""The engine how-tos' examples that need more than Python: the Spark walk of
``docs/howto/spark.md`` (Java, local mode) and the shell session of
``docs/howto/summary-in-sql.md``, run on a folder of Parquet files as a data engineer would
have it (text ids, New York timestamps, returns, one currency) and checked against
``relmark.data.summarize`` of the same rows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relmark.data import summarize
from relmark.datasets import load_cdnow_transactions

ROOT = Path(__file__).resolve().parents[1]
OPTIONS: dict[str, object] = {
    "datetime": "ordered_at",
    "monetary_value": "amount",
    "currency": "currency",
    "returns": "drop",
    "timezone": "America/New_York",
    "time_unit": "D",
    "freq_multiplier": 7,
}


def _blocks(page: str, marker: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text()
    return [code for code in re.findall(r"```python\n(.*?)```", text, re.S) if marker in code]


def _orders() -> pd.DataFrame:
    """CDNOW's 69,659 orders with text ids, a random time of day in New York and 500 partial
    returns five minutes after their order (two of them round to 0, which is not a return)."""
    rng = np.random.default_rng(1)
    cdnow = load_cdnow_transactions()
    seconds = pd.to_timedelta(rng.integers(0, 86_400, len(cdnow)), unit="s")
    orders = pd.DataFrame(
        {
            "customer_id": "C" + cdnow["customer_id"].astype(str).str.zfill(5),
            "ordered_at": (cdnow["date"] + seconds).dt.tz_localize(
                "America/New_York", ambiguous=False, nonexistent="shift_forward"
            ),
            "amount": cdnow["amount"],
            "currency": "USD",
        }
    )
    returns = orders.sample(500, random_state=2)
    returns = returns.assign(
        amount=-(returns["amount"] / 2).round(2),
        ordered_at=returns["ordered_at"] + pd.Timedelta(minutes=5),
    )
    return pd.concat([orders, returns], ignore_index=True)


def _lake(orders: pd.DataFrame, folder: Path) -> None:
    """Four part files, split by customer."""
    folder.mkdir()
    part = orders["customer_id"].str[1:].astype(int) % 4
    for i in range(4):
        orders[part == i].to_parquet(folder / f"part-{i}.parquet", index=False)


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return _orders()


def test_the_lake_has_what_the_pages_say(orders: pd.DataFrame) -> None:
    assert len(orders) == 70_159
    assert int((orders["amount"] < 0).sum()) == 498  # the pages' count of returns


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_walk_runs_and_equals_in_memory(orders: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
    (code,) = _blocks("howto/spark.md", "tests/test_docs_engines.py runs it")
    _lake(orders, tmp_path / "lake")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "dropped 498 returns" in done.stdout and "USD" in done.stdout

    expected = summarize(orders, **OPTIONS).to_frame()  # type: ignore[arg-type]
    got = pd.read_parquet(tmp_path / "clv" / "summary").set_index("customer_id").sort_index()
    assert got.index.equals(expected.index)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=False, rtol=1e-12)
    scores = pd.read_parquet(tmp_path / "clv" / "scores")
    assert len(scores) == len(expected)
    assert {"p_alive", "expected_purchases", "expected_spend", "clv"} <= set(scores.columns)
    assert scores[["p_alive", "expected_purchases", "clv"]].notna().all().all()


def test_shell_session_of_the_duckdb_page(orders: pd.DataFrame, tmp_path: Path) -> None:
    """The ``$ relmark ...`` lines of the DuckDB how-to's first console block, run in a folder
    with ``logs/`` holding the lake: each succeeds, the printed lines are the page's, and the
    summary is ``relmark.data.summarize``'s."""
    pytest.importorskip("duckdb", reason="duckdb is not installed (the sql extra)")
    text = (ROOT / "docs" / "howto" / "summary-in-sql.md").read_text()
    session = text.split("### From the command line", 1)[1]
    console = re.findall(r"```console\n(.*?)```", session, re.S)[0]
    commands = re.findall(r"^\$ (relmark .*?)(?<!\\)$", console.replace("\\\n", " "), re.M)
    _lake(orders, tmp_path / "logs")
    printed = []
    for command in commands:
        args = command.split("#", 1)[0].split()[1:]
        args = [arg.strip("'") for arg in args]
        done = subprocess.run(
            [sys.executable, "-m", "relmark", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        printed += (done.stdout + done.stderr).splitlines()
    shown = [line for line in console.splitlines() if line and not line.startswith(("$", " "))]
    assert shown and set(shown) <= set(printed)

    expected = summarize(orders, **OPTIONS).to_frame()  # type: ignore[arg-type]
    got = pd.read_parquet(tmp_path / "summary.parquet").set_index("customer_id")
    assert set(got["time_unit"]) == {"W"} and set(got["currency"]) == {"USD"}
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=False, rtol=1e-12)
    assert (tmp_path / "scores.parquet").exists()
