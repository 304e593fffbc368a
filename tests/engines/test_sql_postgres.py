"""The exported Postgres text (``summary_sql(dialect="postgres")``) executed on a real Postgres
server through ``psql``, against :func:`relmark.data.summarize` and
:func:`relmark.data.calibration_holdout` computed in memory on the same rows.

The server is the one of ``RELMARK_POSTGRES_DSN`` (a libpq connection string or URI; the
tests work in a schema of their own and drop it), or a throwaway one started in a temporary
folder with ``initdb``/``pg_ctl`` (on ``PATH`` or in Debian's ``/usr/lib/postgresql/*/bin``),
listening on a Unix socket only. Without either, or without ``psql``, every test skips with
the reason. No Python driver is used: rows go in by ``COPY ... FROM STDIN`` as CSV and come
back as ``psql --csv``, floats in Postgres' shortest round-trip form.

Counts and times (``frequency``, ``recency``, ``T``, the holdout count and length) must be
equal exactly; spend means and ``sum_log_interpurchase`` to 1e-12 relative (the engines sum
in different orders).

What runs: CDNOW (69,659 rows, NUMERIC amounts, a DATE column) in three grids with and without
a split; generated logs with ties on every grid's boundaries, pre-1970 times and many rows per
period (one psql session per matrix: psql's start is most of a small query's cost); TIMESTAMPTZ
read in sessions of three zones across DST changes; every guard's error; returns dropped in a
view; quoted names; a huge first purchase; the how-to's ``AT TIME ZONE`` view; the summary
stored and grouped by ``statistics_sql`` to FHL's BG/NBD; the engines' hypothesis logs.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_transactions
from relmark.engines import sql
from relmark.errors import DataError
from tests.engines.strategies import logs

_INITDB = ("--no-locale", "--no-sync", "--no-instructions")
"""initdb's options: the C collation (ids sort by bytes), nothing flushed (a throwaway)."""
_EXACT = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
_CLOSE = ("monetary_value", "monetary_value_holdout", "sum_log_interpurchase")


# ------------------------------------------------------------------------------ the server
_NULL = "\\N"
"""COPY's NULL marker (CSV's default, an unquoted empty field, would make an empty id NULL)."""


class PostgresError(Exception):
    """psql exited with an error (its standard error is the message)."""


@dataclass(frozen=True)
class Postgres:
    """A reachable server: ``psql`` runs with ``dsn`` and ``schema`` first on the search
    path."""

    psql: str
    dsn: str
    schema: str

    def run(self, text: str, *, stdin: str | None = None, zone: str = "UTC") -> str:
        """Run ``text`` (one statement when ``stdin`` feeds a ``COPY ... FROM STDIN``) with the
        session time zone ``zone``; the CSV output, or PostgresError with psql's message."""
        env = dict(os.environ)
        env["PGOPTIONS"] = (
            f"-c search_path={self.schema} -c TimeZone={zone} -c extra_float_digits=1 "
            "-c lc_messages=C -c client_min_messages=warning"
        )
        env["PGCLIENTENCODING"] = "UTF8"
        command = [self.psql, "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-d", self.dsn]
        if stdin is None:
            command += ["-f", "-"]
            stdin = text
        else:
            command += ["-c", text]
        done = subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        if done.returncode != 0:
            raise PostgresError(done.stderr.strip())
        return done.stdout

    def load(self, name: str, log: pd.DataFrame, types: dict[str, str]) -> None:
        """Create table ``name`` with the columns ``types`` (column: Postgres type) and copy
        ``log``'s rows in: None/NaT as NULL (an empty text stays empty), floats in their
        shortest round-trip form (NaN and infinities as Postgres spells them), times in ISO
        form (with their offset when aware)."""
        columns = ", ".join(f'"{c}" {t}' for c, t in types.items())
        self.run(f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({columns})")
        out = io.StringIO()
        cells = {c: [_cell(v) for v in log[c].tolist()] for c in types}
        frame = pd.DataFrame(cells, dtype=object)
        frame.to_csv(out, index=False, header=False, na_rep=_NULL)  # "" stays a text
        self.run(f"COPY {name} FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')", stdin=out.getvalue())

    def query(self, text: str, *, zone: str = "UTC", text_ids: bool) -> pd.DataFrame:
        """The result of ``text`` as a frame (customer ids as text or as integers)."""
        return _frame(self.run(text, zone=zone), text_ids)

    def query_many(
        self, queries: Sequence[tuple[str, str]], *, text_ids: bool
    ) -> list[pd.DataFrame]:
        """The results of several ``(text, zone)`` queries run in one psql session (one
        connection: the tests' cost is mostly psql's start), each in its session zone."""
        marker = f"relmark-{uuid.uuid4().hex}"
        script = "".join(
            f"SET TimeZone = '{zone}';\n{text};\n\\echo {marker}\n" for text, zone in queries
        )
        parts = self.run(script).split(marker + "\n")
        assert len(parts) == len(queries) + 1 and parts[-1] == ""
        return [_frame(part, text_ids) for part in parts[:-1]]


def _frame(csv: str, text_ids: bool) -> pd.DataFrame:
    id_type: Any = str if text_ids else np.int64
    return pd.read_csv(io.StringIO(csv), dtype={"customer_id": id_type}, keep_default_na=False)


def _cell(value: object) -> object:
    """A value as a CSV cell Postgres reads back exactly."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return "NaN"
        if np.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found is not None:
        return found
    debian = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return debian[-1] if debian else None


@contextlib.contextmanager
def _own_server() -> Iterator[str]:
    """A throwaway server in a temporary folder (Unix socket only, no fsync); its DSN. As
    root, initdb and the server run as the ``postgres`` user (Postgres refuses root)."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip(
            "no Postgres server: set RELMARK_POSTGRES_DSN, or put initdb and pg_ctl on PATH"
        )
    prefix: list[str] = []
    folder = tempfile.mkdtemp(prefix="relmark-pg-")
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            shutil.rmtree(folder)
            pytest.skip("running as root without a 'postgres' user (and runuser) to run initdb")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    port = "5433"  # the socket's name in its own folder: no clash with another server
    log = os.path.join(folder, "log")
    server = f"-c listen_addresses='' -k {folder} -p {port} -c fsync=off"
    try:
        for command in (
            [initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", *_INITDB],
            [pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "start", "-o", server],
        ):
            done = subprocess.run(
                prefix + command, capture_output=True, text=True, timeout=120, check=False
            )
            if done.returncode != 0:
                tail = Path(log).read_text()[-2000:] if os.path.exists(log) else ""
                pytest.fail(f"{command[0]} failed: {done.stdout}{done.stderr}{tail}")
        yield f"host={folder} port={port} user=postgres dbname=postgres"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(
                [*prefix, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    """The server of RELMARK_POSTGRES_DSN or a throwaway one; a fresh schema in it."""
    psql = _tool("psql")
    if psql is None:
        pytest.skip("psql (the Postgres client) is not on PATH")
    with contextlib.ExitStack() as stack:
        given = os.environ.get("RELMARK_POSTGRES_DSN")
        dsn = given or stack.enter_context(_own_server())
        schema = f"relmark_test_{uuid.uuid4().hex[:12]}"
        server = Postgres(psql=psql, dsn=dsn, schema=schema)
        try:
            server.run(f"CREATE SCHEMA {schema}")
        except PostgresError as exc:
            if not given:  # the server started here must answer
                raise
            pytest.skip(f"RELMARK_POSTGRES_DSN is not reachable: {exc}")
        yield server
        server.run(f"DROP SCHEMA {schema} CASCADE")


# ------------------------------------------------------------------------------ comparison
def assert_rows_equal(frame: pd.DataFrame, want: RFMSummary) -> None:
    """Postgres' rows equal the in-memory summary's, customer by customer: the same ids, once
    each; counts and times exactly; spend and the log sums to 1e-12 relative."""
    expected = want.to_frame()
    assert list(frame.columns) == ["customer_id", *expected.columns]
    ids = frame["customer_id"]
    assert ids.is_unique
    got = frame.set_index("customer_id")
    assert sorted(got.index.tolist()) == sorted(expected.index.tolist())
    got = got.loc[expected.index]
    for name in expected.columns:
        a = got[name].to_numpy(dtype=np.float64)
        b = expected[name].to_numpy(dtype=np.float64)
        if name in _EXACT:
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert name in _CLOSE, name
            atol = 1e-12 if name == "sum_log_interpurchase" else 0.0  # logs of g/7 cancel
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=atol, err_msg=name)
    summary = RFMSummary.from_frame(
        frame,
        customer_id="customer_id",
        time_unit=want.time_unit,
        include_first_purchase=want.include_first_purchase,
    )
    assert summary.columns == want.columns


def _options(
    unit: str, fm: float, first: bool, split: tuple[str, str] | None, **extra: Any
) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": unit,
        "freq_multiplier": fm,
        "include_first_purchase": first,
        "sum_log_interpurchase": True,
        **extra,
    }
    if split is not None:
        kw["calibration_end"], kw["observation_end"] = split
    return kw


def _in_memory(log: pd.DataFrame, kw: dict[str, Any]) -> RFMSummary:
    if "calibration_end" in kw:
        return calibration_holdout(log, **kw)
    kw = {k: v for k, v in kw.items() if k != "holdout_spend"}
    return summarize(log, **kw)


def _export(table: str, kw: dict[str, Any]) -> str:
    kw = {k: v for k, v in kw.items() if k != "timezone"}
    return sql.summary_sql(table=table, dialect="postgres", **kw)


# ------------------------------------------------------------------------------ CDNOW
@pytest.fixture(scope="module")
def cdnow(pg: Postgres) -> pd.DataFrame:
    """CDNOW's 69,659 transactions in table ``cdnow``: integer ids, a DATE column and the
    amounts as NUMERIC, as warehouses keep money (each float's shortest decimal, which the
    text's cast to DOUBLE PRECISION turns back into the same float)."""
    log = load_cdnow_transactions()
    frame = log.assign(date=log["date"].dt.date.astype(str))
    pg.load("cdnow", frame, {"customer_id": "bigint", "date": "date", "amount": "numeric"})
    return log


CDNOW_CASES = [
    ("D", 7, False, None),
    ("W", 1, True, None),
    ("M", 1, False, None),
    ("D", 7, False, ("1997-09-30", "1998-06-30")),
    ("W", 1, True, ("1997-09-30", "1998-06-30")),
    ("M", 1, False, ("1997-12-31", "1998-06-30")),
]


@pytest.mark.parametrize(("unit", "fm", "first", "split"), CDNOW_CASES)
def test_cdnow_on_postgres_equals_in_memory(
    pg: Postgres,
    cdnow: pd.DataFrame,
    unit: str,
    fm: float,
    first: bool,
    split: tuple[str, str] | None,
) -> None:
    """All 23,570 customers of the CDNOW log row by row, in weeks of days (FHL's unit),
    Monday weeks and calendar months, with and without a calibration/holdout split (FHL 2005's
    calibration end 1997-09-30, and a month end for the monthly grid; holdout to the log's
    last day, 1998-06-30)."""
    kw = _options(unit, fm, first, split)
    want = _in_memory(cdnow, kw)
    got = pg.query(_export("cdnow", kw), text_ids=False)
    assert len(got) == len(want.customer_id)
    assert_rows_equal(got, want)


# ------------------------------------------------------------------------------ generated logs
# Instants on period boundaries of every grid, as wall-clock times: midnights and the last
# microsecond before them, a Sunday night and the Monday after (1970-01-01 was a Thursday),
# month ends (February 1968 and 1972 were leap months), New Year 1970, before 1970 too.
NAIVE_EDGES = [
    "1969-12-28 23:59:59.999999",  # Sunday
    "1969-12-29 00:00:00",  # Monday: a new week
    "1969-12-31 23:59:59.999999",
    "1970-01-01 00:00:00",
    "1970-01-04 23:59:59.999999",
    "1970-01-05 00:00:00",
    "1970-01-31 23:59:59.999999",
    "1970-02-01 00:00:00",
    "1970-02-28 23:00:00",
    "1970-03-01 00:00:00",
    "1970-06-30 00:00:00",  # the split's calibration end, on it
    "1970-06-30 12:00:00",  # the split's calibration end inside a period
    "1970-06-30 12:00:00.000001",
    "1970-07-01 00:00:00",
]


def generated_log(
    rng: np.random.Generator,
    *,
    customers: int,
    start: str,
    days: int,
    edges: Sequence[str],
) -> pd.DataFrame:
    """A log with text ids (accents, mixed case, digits), each customer with 1-12 purchase
    days, some days with many rows (up to 25: one time repeated, or spread over the day),
    a fifth of the rows on the ``edges``, amounts in cents (not binary fractions) and some
    zero; naive wall-clock times to the microsecond."""
    names = [f"c{i:04d}" for i in range(customers - 4)] + ["é", "Zz", "a b", "0042"]
    base = pd.Timestamp(start)
    edge_times = [pd.Timestamp(e) for e in edges]
    rows: list[tuple[str, pd.Timestamp, float]] = []
    for name in names:
        for _ in range(int(rng.integers(1, 13))):
            if rng.random() < 0.2:
                day = edge_times[int(rng.integers(len(edge_times)))]
            else:
                micro = int(rng.integers(0, days * 86_400_000_000))
                day = base + pd.Timedelta(microseconds=micro)
            many = int(rng.integers(2, 26)) if rng.random() < 0.15 else 1
            same = rng.random() < 0.5
            for _ in range(many):
                ts = (
                    day
                    if same
                    else day.normalize()
                    + pd.Timedelta(microseconds=int(rng.integers(0, 86_400_000_000)))
                )
                cents = 0 if rng.random() < 0.03 else int(rng.integers(1, 100_000))
                rows.append((name, ts, cents / 100))
    order = rng.permutation(len(rows))
    return pd.DataFrame(
        {
            "customer_id": [rows[i][0] for i in order],
            "date": pd.to_datetime([rows[i][1] for i in order]).as_unit("us"),
            "amount": [rows[i][2] for i in order],
        }
    )


@pytest.fixture(scope="module")
def naive(pg: Postgres) -> pd.DataFrame:
    """300 customers from 1969-10-01 to 1970-12-31 (times before the epoch: floor, not
    truncation) in table ``naive`` (a TIMESTAMP column)."""
    log = generated_log(
        np.random.default_rng(20261204),
        customers=300,
        start="1969-10-01",
        days=456,
        edges=NAIVE_EDGES,
    )
    pg.load("naive", log, {"customer_id": "text", "date": "timestamp", "amount": "float8"})
    return log


SPLITS: list[tuple[str, str] | None] = [
    None,
    ("1970-06-30 00:00:00", "1970-12-31 23:59:59.999999"),
    ("1970-06-30 12:00:00", "1971-01-01 00:00:00"),
]


NAIVE_UNITS = [("D", 1.0), ("D", 7.0), ("W", 1.0), ("M", 1.0), ("h", 1.0), ("D", 2.5)]
NAIVE_CASES = [
    (unit, fm, first, split)
    for unit, fm in NAIVE_UNITS
    for first in (False, True)
    for split in range(len(SPLITS))
]


def _naive_options(unit: str, fm: float, first: bool, split: int) -> dict[str, Any]:
    kw = _options(unit, fm, first, SPLITS[split])
    if split and unit == "D" and fm == 7:
        kw["holdout_spend"] = "transaction"
    return kw


@pytest.fixture(scope="module")
def naive_results(pg: Postgres, naive: pd.DataFrame) -> dict[tuple[Any, ...], pd.DataFrame]:
    """Every case of NAIVE_CASES run on Postgres (one psql session)."""
    texts = [(_export("naive", _naive_options(*case)), "UTC") for case in NAIVE_CASES]
    return dict(zip(NAIVE_CASES, pg.query_many(texts, text_ids=True), strict=True))


@pytest.mark.parametrize(
    ("unit", "fm", "first", "split"),
    NAIVE_CASES,
    ids=[
        f"{u}{fm:g}-{'first' if f else 'repeat'}-{('summary', 'on-boundary', 'inside')[s]}"
        for u, fm, f, s in NAIVE_CASES
    ],
)
def test_generated_log_on_postgres_equals_in_memory(
    naive_results: dict[tuple[Any, ...], pd.DataFrame],
    naive: pd.DataFrame,
    unit: str,
    fm: float,
    first: bool,
    split: int,
) -> None:
    """Ties on the grid's boundaries, many rows per period, pre-1970 times, calibration ends
    on a boundary and inside a period, the first purchase counted or not, a fractional
    multiplier; the holdout spend per transaction once."""
    want = _in_memory(naive, _naive_options(unit, fm, first, split))
    assert_rows_equal(naive_results[unit, fm, first, split], want)


# Instants (UTC) on the local boundaries of the zones tested: Berlin's spring-forward and
# fall-back nights (02:30 happens twice on 2024-10-27; New York's 01:30 on 2024-11-03), local
# midnights, a local Monday and month start in Berlin (UTC+1/+2) and Kolkata (UTC+5:30), the
# last microsecond before each.
ZONED_EDGES = [
    "2023-12-31 22:59:59.999999",
    "2023-12-31 23:00:00",
    "2024-01-07 22:59:59.999999",
    "2024-01-07 23:00:00",
    "2024-02-29 18:29:59.999999",
    "2024-02-29 18:30:00",
    "2024-03-31 00:59:59.999999",
    "2024-03-31 01:00:00",
    "2024-06-29 22:00:00",
    "2024-06-30 18:30:00",
    "2024-10-27 00:30:00",
    "2024-10-27 01:30:00",
    "2024-11-03 05:30:00",  # New York: 01:30 EDT
    "2024-11-03 06:30:00",  # New York: 01:30 EST, an hour later
    "2024-12-30 22:59:59.999999",
]


@pytest.fixture(scope="module")
def zoned(pg: Postgres) -> pd.DataFrame:
    """200 customers over 2024 with aware times (UTC) in table ``zoned`` (a TIMESTAMPTZ
    column)."""
    log = generated_log(
        np.random.default_rng(1204),
        customers=200,
        start="2024-01-01",
        days=364,
        edges=ZONED_EDGES,
    )
    log["date"] = log["date"].dt.tz_localize("UTC")
    pg.load("zoned", log, {"customer_id": "text", "date": "timestamptz", "amount": "float8"})
    return log


ZONED_SPLITS: list[tuple[str, str] | None] = [None, ("2024-06-30 00:00:00", "2025-01-01 00:00:00")]
ZONED_CASES = [
    (zone, unit, split)
    for zone in ("UTC", "Europe/Berlin", "Asia/Kolkata")
    for unit in ("D", "W", "M", "h")
    for split in range(len(ZONED_SPLITS))
]


def _zoned_options(zone: str, unit: str, split: int) -> dict[str, Any]:
    return _options(unit, 1, False, ZONED_SPLITS[split], timezone=zone)


@pytest.fixture(scope="module")
def zoned_results(pg: Postgres, zoned: pd.DataFrame) -> dict[tuple[Any, ...], pd.DataFrame]:
    """Every case of ZONED_CASES run on Postgres, each in a session of its zone."""
    texts = [(_export("zoned", _zoned_options(*case)), case[0]) for case in ZONED_CASES]
    return dict(zip(ZONED_CASES, pg.query_many(texts, text_ids=True), strict=True))


@pytest.mark.parametrize(
    ("zone", "unit", "split"),
    ZONED_CASES,
    ids=[f"{z}-{u}-{('summary', 'split')[s]}" for z, u, s in ZONED_CASES],
)
def test_zoned_times_binned_by_the_session_zone_equal_in_memory(
    zoned_results: dict[tuple[Any, ...], pd.DataFrame],
    zoned: pd.DataFrame,
    zone: str,
    unit: str,
    split: int,
) -> None:
    """A TIMESTAMPTZ column read in a session whose TimeZone is ``zone`` gives that zone's
    wall-clock times (the text's precondition: times of one zone), so the Postgres summary is
    relmark.data's with ``timezone=zone``, across the DST changes; the ends are local times."""
    want = _in_memory(zoned, _zoned_options(zone, unit, split))
    assert_rows_equal(zoned_results[zone, unit, split], want)


# ------------------------------------------------------------------------------ the guards
def _small(**bad: Any) -> pd.DataFrame:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-02", "2024-01-09"]),
            "amount": [10.0, 20.0, 5.0, 7.0],
        }
    ).astype({"customer_id": object, "amount": object, "date": object})
    for column, value in bad.items():
        log.loc[2, column] = value
    return log


_TYPES = {"customer_id": "text", "date": "timestamp", "amount": "float8"}
BAD_ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("null id", {"customer_id": None}, "missing or blank customer id \\(column customer_id\\)"),
    ("blank id", {"customer_id": "  "}, "missing or blank customer id \\(column customer_id\\)"),
    ("empty id", {"customer_id": ""}, "missing or blank customer id \\(column customer_id\\)"),
    ("null time", {"date": None}, "missing time \\(column date\\)"),
    ("null amount", {"amount": None}, "missing amount \\(column amount\\)"),
    ("return", {"amount": -5.0}, "negative \\(a return\\), infinite or NaN amount"),
    ("nan", {"amount": float("nan")}, "negative \\(a return\\), infinite or NaN amount"),
    ("inf", {"amount": float("inf")}, "negative \\(a return\\), infinite or NaN amount"),
    ("-inf", {"amount": float("-inf")}, "negative \\(a return\\), infinite or NaN amount"),
]


@pytest.mark.parametrize(("case", "bad", "match"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_rows_relmark_data_refuses_fail_the_postgres_query(
    pg: Postgres, case: str, bad: dict[str, Any], match: str
) -> None:
    """Each row relmark.data refuses fails the query on Postgres (the cast of the message to
    BIGINT is Postgres' 'invalid input syntax' error, which shows it), with the count of rows
    and the column."""
    log = _small(**bad)
    with pytest.raises(DataError):
        summarize(log.astype({"amount": float}), monetary_value="amount")
    table = "bad_" + "".join(ch if ch.isalnum() else "_" for ch in case)
    pg.load(table, log, _TYPES)
    ((column, value),) = bad.items()
    stored = "IS NULL" if value is None else "IS NOT NULL"  # NULL stored as NULL, '' as ''
    count = f'SELECT COUNT(*) AS n FROM {table} WHERE "{column}" {stored}'
    assert pg.run(count).split() == ["n", "1" if value is None else "4"]
    text = sql.summary_sql(table=table, monetary_value="amount", dialect="postgres")
    with pytest.raises(PostgresError, match="relmark: 1 row\\(s\\) with a " + match) as info:
        pg.run(text)
    assert "invalid input syntax for type bigint" in str(info.value)


def test_integer_ids_are_guarded_and_summarised(pg: Postgres) -> None:
    """BIGINT ids: the blank-id guard casts them to text; a NULL one fails the query, the
    clean log equals relmark.data."""
    log = _small().assign(customer_id=[1, 1, 2, 3])
    pg.load("int_ids", log, {**_TYPES, "customer_id": "bigint"})
    text = sql.summary_sql(table="int_ids", monetary_value="amount", dialect="postgres")
    got = pg.query(text, text_ids=False)
    assert_rows_equal(got, summarize(log.astype({"amount": float}), monetary_value="amount"))
    with_null = log.assign(customer_id=pd.Series([1, 1, None, 3], dtype=object))
    pg.load("int_ids_null", with_null, {**_TYPES, "customer_id": "bigint"})
    text = sql.summary_sql(table="int_ids_null", monetary_value="amount", dialect="postgres")
    with pytest.raises(PostgresError, match="relmark: 1 row\\(s\\) with a missing or blank"):
        pg.run(text)


def test_returns_fail_the_query_and_a_view_dropping_them_equals_returns_drop(
    pg: Postgres, naive: pd.DataFrame
) -> None:
    """The generated log with a tenth of its rows turned into returns (negative amounts):
    the text refuses them with their count; read through a subquery that drops them
    (``table=`` parsed as Postgres) it equals relmark.data's ``returns="drop"``, with and
    without the split."""
    rng = np.random.default_rng(7)
    log = naive.copy()
    back = rng.random(len(log)) < 0.1
    log.loc[back, "amount"] = -log.loc[back, "amount"] - 0.01
    n_back = int(back.sum())
    pg.load("with_returns", log, _TYPES)
    kw = _options("W", 1, False, None)
    with pytest.raises(PostgresError, match=f"relmark: {n_back} row\\(s\\) with a negative"):
        pg.run(_export("with_returns", kw))
    view = "(SELECT * FROM with_returns WHERE amount >= 0) AS kept"
    for split in SPLITS[:2]:
        kw = _options("W", 1, False, split)
        want = _in_memory(log, {**kw, "returns": "drop"})
        assert_rows_equal(pg.query(_export(view, kw), text_ids=True), want)


def test_rows_after_observation_end_fail_the_query(pg: Postgres, naive: pd.DataFrame) -> None:
    """relmark.data's bounds: a summary keeps rows later on observation_end's own day (the
    same period) and refuses a later period; a calibration/holdout split refuses any later
    time. The text counts the refused rows; ending the table there (a subquery) gives the
    in-memory result."""
    end = pd.Timestamp("1970-06-30 12:00:00")
    late_day = int((naive["date"].dt.normalize() > end.normalize()).sum())
    late_time = int((naive["date"] > end).sum())
    assert 0 < late_day < late_time
    kw = _options("D", 1, False, None, observation_end=str(end))
    with pytest.raises(DataError, match="after the end of observation"):
        summarize(naive, **kw)
    with pytest.raises(PostgresError, match=f"relmark: {late_day} row\\(s\\) after obs"):
        pg.run(_export("naive", kw))
    day_end = "(SELECT * FROM naive WHERE date < '1970-07-01') AS upto"
    kept = naive[naive["date"] < pd.Timestamp("1970-07-01")]
    assert_rows_equal(pg.query(_export(day_end, kw), text_ids=True), summarize(kept, **kw))
    split = _options("D", 1, False, ("1970-03-31", str(end)))
    with pytest.raises(PostgresError, match=f"relmark: {late_time} row\\(s\\) after obs"):
        pg.run(_export("naive", split))
    time_end = f"(SELECT * FROM naive WHERE date <= '{end}') AS upto"
    kept = naive[naive["date"] <= end]
    assert_rows_equal(
        pg.query(_export(time_end, split), text_ids=True),
        calibration_holdout(kept, **split),
    )


def test_quoted_table_and_column_names_resolve_on_postgres(pg: Postgres) -> None:
    """Plain lower-case names go unquoted (Postgres folds them to lower case: a column
    created as CUSTOMER_ID unquoted is customer_id), others are quoted exactly: a mixed-case
    table, a column with a space and capitals, a reserved word."""
    log = (
        _small().astype({"amount": float}).rename(columns={"date": "Ordered At", "amount": "order"})
    )
    pg.run('CREATE TABLE "Orders" (CUSTOMER_ID text, "Ordered At" timestamp, "order" float8)')
    pg.load('"Orders"', log, {"customer_id": "text", "Ordered At": "timestamp", "order": "float8"})
    text = sql.summary_sql(
        table='"Orders"',
        customer_id="customer_id",
        datetime="Ordered At",
        monetary_value="order",
        dialect="postgres",
    )
    want = summarize(log, datetime="Ordered At", monetary_value="order")
    assert_rows_equal(pg.query(text, text_ids=True), want)


@pytest.mark.parametrize("placeholder", ["9999-12-31", "infinity", "-infinity", "1600-01-01"])
def test_times_outside_relmark_datas_range_fail_the_query(pg: Postgres, placeholder: str) -> None:
    """relmark.data refuses times outside 1677-09-22 .. 2262-04-11 (a 9999-12-31 placeholder
    is no date); without observation_end the text took such a row's time as the end of
    observation (T of 2,913,173 days for every customer) or, for Postgres' infinite times,
    returned NULL T. The query must fail naming the column."""
    log = _small()
    log.loc[2, "date"] = placeholder
    if placeholder[0].isdigit():
        as_text = log.astype({"date": str, "amount": float})
        with pytest.raises(DataError, match=r"dates outside 1677-09-22 \.\. 2262-04-11"):
            summarize(as_text, monetary_value="amount")
    table = "far_" + "".join(ch if ch.isalnum() else "_" for ch in placeholder)
    pg.load(table, log, _TYPES)
    guard = "relmark: 1 row\\(s\\) with a time outside .*column date"
    for unit in ("M", "D"):
        text = sql.summary_sql(
            table=table, monetary_value="amount", time_unit=unit, dialect="postgres"
        )
        infinite = unit == "D" and placeholder.endswith("infinity")
        # the day arithmetic of an infinite time fails before the guard's cast is reached
        with pytest.raises(
            PostgresError, match=f"{guard}|cannot subtract infinite dates" if infinite else guard
        ):
            pg.run(text)


@pytest.mark.parametrize("split", [False, True], ids=["summary", "split"])
@pytest.mark.parametrize("unit", ["D", "W"])
def test_small_repeats_after_a_huge_first_purchase_keep_their_digits(
    pg: Postgres, unit: str, split: bool
) -> None:
    """A first purchase of 1e12 then repeats of 0.01: the repeat spend is the sum over the
    later periods, as relmark.data sums it, not the total minus the first period (which lost
    all but a few digits: 1e12 + 0.01 is 1000000000000.0100098). Checked against the exact
    means of the periods' sums in rationals, and against relmark.data to 1e-12."""
    days = pd.date_range("2024-01-01", periods=40, freq="3D")
    log = pd.DataFrame(
        {
            "customer_id": ["big"] * 40 + ["small"] * 3,
            "date": [*days, *days[:3]],
            "amount": [1e12, *[0.01] * 39, 5.0, 0.25, 0.75],
        }
    )
    pg.load(f"huge_first_{unit}_{split}", log, _TYPES)
    kw = _options(unit, 1, False, ("2024-03-31", "2024-05-28") if split else None)
    want = _in_memory(log, kw)
    got = pg.query(_export(f"huge_first_{unit}_{split}", kw), text_ids=True)
    assert_rows_equal(got, want)
    seen = log[log["date"] <= pd.Timestamp("2024-03-31")] if split else log
    mean = got.set_index("customer_id")["monetary_value"]
    for name, rows in seen.groupby("customer_id"):
        periods = rows["date"].dt.to_period("D" if unit == "D" else "W-SUN")
        sums = [
            sum((Fraction(a) for a in group["amount"]), Fraction(0))
            for _, group in rows.groupby(periods)
        ]
        repeats = sums[1:]  # grouped in period order: the first is the first purchase
        exact = sum(repeats, Fraction(0)) / len(repeats) if repeats else Fraction(0)
        assert mean[name] == pytest.approx(float(exact), rel=1e-13), name


@pytest.mark.parametrize("unit", ["D", "h"])
def test_a_view_at_time_zone_equals_in_memory_whatever_the_session_zone(
    pg: Postgres, zoned: pd.DataFrame, unit: str
) -> None:
    """The how-to's Postgres view, ``ordered_at AT TIME ZONE 'America/New_York'`` (a
    TIMESTAMPTZ turned into New York wall-clock times), read in a session of another zone:
    relmark.data's ``timezone="America/New_York"`` (the fall-back night of 2024-11-03
    repeats 01:00-02:00 there)."""
    view = (
        "(SELECT customer_id, date AT TIME ZONE 'America/New_York' AS date, amount "
        "FROM zoned) AS ny"
    )
    kw = _options(unit, 1, False, None, timezone="America/New_York")
    want = _in_memory(zoned, kw)
    got = pg.query(_export(view, kw), zone="Asia/Kolkata", text_ids=True)
    assert_rows_equal(got, want)


# ------------------------------------------------------------------------------ to a fit
def test_cdnow_sample_summary_and_statistics_in_postgres_fit_fhls_bgnbd(pg: Postgres) -> None:
    """The warehouse path end to end on the CDNOW 1/10 sample (6,919 rows, 2,357 customers):
    the calibration summary (39 weeks of days, to 1997-09-30) stored by ``CREATE TABLE ... AS``
    the exported text, grouped in Postgres by ``statistics_sql(BGNBD)``; the distinct rows and
    counts equal pandas' grouping of relmark.data's summary, and the BG/NBD fit on them gives
    Fader, Hardie & Lee (2005, Marketing Science 24(2), section 5): r = 0.243,
    alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4."""
    log = load_cdnow_sample_transactions()
    frame = log.assign(date=log["date"].dt.date.astype(str))
    pg.load("cdnow_sample", frame, {"customer_id": "bigint", "date": "date", "amount": "float8"})
    kw = _options("D", 7, False, ("1997-09-30", "1998-06-30"))
    text = _export("cdnow_sample", kw)
    pg.run(f"DROP TABLE IF EXISTS sample_summary; CREATE TABLE sample_summary AS {text}")
    grouped = pg.query(
        sql.statistics_sql(BGNBD, table="sample_summary", dialect="postgres"),
        text_ids=False,
    )
    summary = calibration_holdout(log, **kw)
    want = (
        summary.to_frame()
        .groupby(["frequency", "recency", "T"])
        .size()
        .rename("weights")
        .reset_index()
    )
    assert len(grouped) == len(want) == 1016
    assert int(grouped["weights"].sum()) == 2357
    for name in ("frequency", "recency", "T", "weights"):
        np.testing.assert_array_equal(
            grouped[name].to_numpy(np.float64), want[name].to_numpy(np.float64), err_msg=name
        )
    data = {f: grouped[f].to_numpy(np.float64) for f in ("frequency", "recency", "T")}
    model = BGNBD.fit(
        data, weights=grouped["weights"].to_numpy(np.float64), compress=False, time_unit="W"
    )
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(model.params[k], 3) for k in published} == published
    assert round(model.fit_result.log_likelihood, 1) == -9582.4


# ------------------------------------------------------------------------------ any log
@settings(max_examples=15, deadline=None)
@given(
    log=st.one_of(logs(), logs(zoned=True)),
    unit=st.sampled_from(["D", "W", "M", "h"]),
    first=st.booleans(),
)
def test_any_generated_log_on_postgres_equals_in_memory(
    pg: Postgres, log: pd.DataFrame, unit: str, first: bool
) -> None:
    """The engines' strategy logs (boundary instants, repeated times, ids 'é', 'Z', 'aa',
    quarter amounts, so sums are exact in any order; aware ones in Asia/Kolkata, binned by
    their UTC day as relmark.data's default): equal to relmark.data, spend included, to
    1e-12."""
    zoned = isinstance(log["date"].dtype, pd.DatetimeTZDtype)
    pg.load("any_log", log, {**_TYPES, "date": "timestamptz" if zoned else "timestamp"})
    kw = _options(unit, 1, first, None)
    got = pg.query(_export("any_log", kw), text_ids=True)
    assert_rows_equal(got, _in_memory(log, kw))


def test_spend_near_and_beyond_the_float_range(pg: Postgres) -> None:
    """Amounts of 8e307 (repeat sum 1.6e308, still finite) give relmark.data's mean exactly;
    three of 1e308 add up beyond the float range, which relmark.data refuses and Postgres'
    float8 sum fails on (its own overflow error, before the text's guard is reached)."""
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    for amount, fails in ((8e307, False), (1e308, True)):
        log = pd.DataFrame({"customer_id": ["a"] * 3, "date": days, "amount": [amount] * 3})
        pg.load("huge_amounts", log, _TYPES)
        text = sql.summary_sql(table="huge_amounts", monetary_value="amount", dialect="postgres")
        if fails:
            with pytest.raises(DataError, match="beyond the float range"):
                summarize(log, monetary_value="amount")
            with pytest.raises(
                PostgresError, match=r"beyond the float range|value out of range: overflow"
            ):
                pg.run(text)
        else:
            got = pg.query(text, text_ids=True)
            assert_rows_equal(got, summarize(log, monetary_value="amount"))
            assert got["monetary_value"].tolist() == [8e307]
