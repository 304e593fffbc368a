"""DuckDB's errors, mapped the same way for :func:`relmark.engines.sql.summarize` (and
``calibration_holdout``) and :func:`~relmark.engines.sql.summarize_to_parquet` (one helper,
``_run_guarded``): a column type no row of which is valid is a DataError naming the column, a
failed query a DataError naming the source, a query out of memory an ArgumentError naming
``memory_limit`` (the Parquet writer's advice names ``partitions`` too), an interrupted query
(Ctrl-C, or the connection's ``interrupt()``) a KeyboardInterrupt; settings given for a DuckDB
relation, which runs on its own connection, are refused instead of ignored.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError

BASE = (
    "SELECT * FROM (VALUES ('a', TIMESTAMP '2024-01-01', 1.0), ('a', TIMESTAMP '2024-01-05', "
    "2.0), ('b', TIMESTAMP '2024-01-03', 4.0)) AS t(customer_id, date, amount)"
)


def _summarize(source: Any, tmp_path: Path, **kw: Any) -> Any:
    return sql.summarize(source, **kw)


def _split(source: Any, tmp_path: Path, **kw: Any) -> Any:
    return sql.calibration_holdout(source, calibration_end="2024-01-04", **kw)


def _to_parquet(source: Any, tmp_path: Path, **kw: Any) -> Any:
    return sql.summarize_to_parquet(source, tmp_path / "out.parquet", **kw)


PATHS: list[Callable[..., Any]] = [_summarize, _split, _to_parquet]


def _no_output(tmp_path: Path) -> None:
    """Nothing written: neither the file nor its temporary."""
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out.parquet")] == []


# ---------------------------------------------------------------------- bad column types
TYPES = [
    ("customer_id", "[customer_id]", r"column of type VARCHAR\[\]"),
    ("customer_id", "{'c': customer_id}", "column of type STRUCT"),
    ("customer_id", "amount > 1", "customer ids are booleans"),
    ("date", "[date]", r"column of type TIMESTAMP\[\]"),
    ("date", "amount > 1", "dates are booleans"),
    ("amount", "amount > 1", "amounts are booleans"),
    ("amount", "[amount]", r"column of type DECIMAL\(2,1\)\[\] .*: amounts are numbers"),
]


@pytest.mark.parametrize("run", PATHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("column", "value", "match"), TYPES)
def test_bad_column_types_name_the_column(
    run: Callable[..., Any], column: str, value: str, match: str, tmp_path: Path
) -> None:
    """A boolean amount was read as 1.0 (a summary with a spend of 1), a list of ids failed
    in DuckDB's binder naming no column, struct ids and (in the Parquet writer) boolean ids
    were accepted; relmark.data refuses every one naming the column."""
    names = ["customer_id", "date", "amount"]
    cols = ", ".join(f"{value} AS {c}" if c == column else c for c in names)
    con = duckdb.connect()
    rel = con.sql(f"SELECT {cols} FROM ({BASE})")
    with pytest.raises(DataError, match=match) as err:
        run(rel, tmp_path, monetary_value="amount")
    assert err.value.column == column
    _no_output(tmp_path)


# ---------------------------------------------------------------------- a failed query
@pytest.mark.parametrize("run", PATHS, ids=lambda f: f.__name__)
def test_a_failed_query_is_a_data_error_naming_the_source(
    run: Callable[..., Any], tmp_path: Path
) -> None:
    """A relation whose own SQL fails when it runs (a text that is no number cast to one):
    DuckDB's first line, in a DataError naming the relation."""
    con = duckdb.connect()
    rel = con.sql(
        "SELECT 'a' AS customer_id, TIMESTAMP '2024-01-01' + to_days(CAST(i AS INTEGER)) AS "
        "date, CAST(v AS DOUBLE) AS amount FROM (VALUES (1, '1.5'), (2, 'x')) AS t(i, v)"
    )
    with pytest.raises(DataError, match=r"DuckDB could not read the DuckDB relation: Conv"):
        run(rel, tmp_path, monetary_value="amount")
    _no_output(tmp_path)


# ---------------------------------------------------------------------- out of memory
def _many_customers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400_000
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 200_000, n),
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 999, n), "D"),
            "amount": rng.integers(1, 10_000, n) / 100,
        }
    )


@pytest.mark.parametrize(
    ("run", "advice"),
    [
        (_summarize, "raise memory_limit, or lower threads (each thread holds"),
        (_to_parquet, "raise memory_limit or partitions, or lower threads"),
    ],
    ids=["summarize", "to_parquet"],
)
def test_out_of_memory_names_memory_limit(
    run: Callable[..., Any], advice: str, tmp_path: Path
) -> None:
    """200,000 customers' hash tables in 6 MB (one thread): the checks pass, the summary
    query runs out of memory; DuckDB's message and the advice, naming memory_limit."""
    with pytest.raises(ArgumentError) as err:
        run(_many_customers(), tmp_path, monetary_value="amount", memory_limit="6MB",
            threads=1, **({"partitions": 1} if run is _to_parquet else {}))  # fmt: skip
    assert err.value.argument == "memory_limit"
    text = str(err.value)
    assert "DuckDB ran out of memory on the DataFrame (Out of Memory Error" in text
    assert advice in text
    _no_output(tmp_path)


# ---------------------------------------------------------------------- interrupted queries
def _endless(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """A relation of ten billion rows: its first scan runs for minutes."""
    return con.sql(
        "SELECT i % 1000 AS customer_id, TIMESTAMP '2020-01-01' + to_seconds(i % 100000000) "
        "AS date, CAST(i % 7 AS DOUBLE) AS amount FROM range(10000000000) AS t(i)"
    )


@pytest.mark.parametrize("run", PATHS, ids=lambda f: f.__name__)
def test_an_interrupted_relation_query_is_a_keyboard_interrupt(
    run: Callable[..., Any], tmp_path: Path
) -> None:
    """The relation's connection interrupted (DuckDB's InterruptException was a DataError
    'could not read'): a KeyboardInterrupt naming the source, and no file."""
    con = duckdb.connect()
    stop = threading.Event()

    def interrupt() -> None:
        while not stop.wait(0.1):
            con.interrupt()

    thread = threading.Thread(target=interrupt, daemon=True)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="DuckDB query on the DuckDB relation"):
            run(_endless(con), tmp_path, monetary_value="amount")
    finally:
        stop.set()
        thread.join()
    _no_output(tmp_path)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """Three million transactions in Parquet: the summary query runs for about a second."""
    path = tmp_path / "log.parquet"
    duckdb.sql(
        "COPY (SELECT i % 300000 AS customer_id, TIMESTAMP '2020-01-01' + "
        "to_seconds((i * 7919) % 90000000) AS date, CAST(i % 100 AS DOUBLE) AS amount "
        f"FROM range(3000000) AS t(i)) TO '{path}' (FORMAT parquet)"
    )
    return path


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to the main thread")
@pytest.mark.parametrize("run", [_summarize, _to_parquet], ids=lambda f: f.__name__)
def test_ctrl_c_in_the_summary_query_is_a_keyboard_interrupt(
    run: Callable[..., Any], tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT while the summary query runs (sent at its first progress report, the Parquet
    writer's partition query): this DuckDB raises RuntimeError('Query interrupted') and
    drops the KeyboardInterrupt; the user's Ctrl-C is a KeyboardInterrupt again. DuckDB's
    progress is read every millisecond here (every 0.2 s by default, which an idle machine's
    query could beat: the signal then came after it), so the first report comes while the
    query runs on any machine."""
    monkeypatch.setattr(sql, "_PROGRESS_EVERY", 0.001)
    sent: list[float] = []

    def progress(pct: float) -> None:
        if not sent:
            sent.append(pct)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        run(str(log_file), tmp_path, monetary_value="amount", progress=progress)
    assert sent and sent[0] < 100.0  # mid-query
    _no_output(tmp_path)


# ---------------------------------------------------------------------- a relation's settings
@pytest.mark.parametrize(
    ("run", "setting"),
    [
        (_summarize, {"memory_limit": "1GB"}),
        (_split, {"threads": 1}),
        (_to_parquet, {"memory_limit": "1GB"}),
        (_to_parquet, {"temp_directory": "spill"}),
    ],
)
def test_a_relation_refuses_connection_settings(
    run: Callable[..., Any], setting: dict[str, Any], tmp_path: Path
) -> None:
    """A relation's queries run on its own connection: memory_limit, threads and
    temp_directory set on relmark's were silently ignored (a 30MB limit let 2M customers
    through)."""
    rel = duckdb.connect().sql(BASE)
    with pytest.raises(ArgumentError, match="runs on its own connection") as err:
        run(rel, tmp_path, monetary_value="amount", **setting)
    assert err.value.argument == next(iter(setting))
    summary = duckdb.connect().sql(
        "SELECT * FROM (VALUES (1.0, 5.0, 9.0), (0.0, 0.0, 9.0)) AS t(frequency, recency, T)"
    )
    with pytest.raises(ArgumentError, match="runs on its own connection") as err:
        sql.fit(BGNBD, summary, memory_limit="1GB")
    assert err.value.argument == "memory_limit"


@pytest.mark.parametrize("run", PATHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", ["yes", 5])
def test_progress_must_be_a_callable(run: Callable[..., Any], bad: object, tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match=r"callable\(percent\)") as err:
        run(duckdb.connect().sql(BASE), tmp_path, progress=bad)
    assert err.value.argument == "progress"


@pytest.mark.parametrize(
    ("values", "match"),
    [(["1", "0", "2"], "values are text, not numbers"), ([True, False, True], "booleans")],
)
def test_fit_refuses_columns_that_are_not_numbers(values: list[object], match: str) -> None:
    """Text frequencies were read as numbers ('2' as 2.0) and booleans as 1.0/0.0, and
    fitted; the in-memory fit refuses them, naming the column."""
    frame = pd.DataFrame({"frequency": values, "recency": [5.0, 0.0, 6.0], "T": [9.0] * 3})
    with pytest.raises(DataError, match=match) as err:
        sql.fit(BGNBD, frame)
    assert err.value.column == "frequency"
    with pytest.raises(DataError) as err:
        BGNBD.fit(frame)
    assert err.value.column == "frequency"
