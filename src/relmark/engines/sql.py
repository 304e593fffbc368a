"""The per-customer summary in SQL: run by embedded DuckDB, exported for warehouses.

One query computes what :func:`relmark.data.summarize` and
:func:`relmark.data.calibration_holdout` compute, with the same definitions (lifetimes'):

1. each transaction time is placed on the period grid of ``time_unit`` (days, Monday-to-Sunday
   weeks, hours, calendar months), as integer ordinals counted from 1970-01-01 with floor
   semantics, also before 1970;
2. the transactions of one customer in one period are merged (amounts summed);
3. ``frequency`` = periods with a purchase minus one (the first purchase is not a repeat),
   ``recency`` = last period minus first, ``T`` = end of observation minus first period, both
   divided by ``freq_multiplier``;
4. ``monetary_value`` = mean of the merged repeat purchases (0 without repeats);
5. with ``calibration_end``: the calibration summary of the transactions up to it, and per
   calibration customer the number of holdout periods with a purchase, the mean holdout
   transaction value and the holdout length.

:func:`summarize` and :func:`calibration_holdout` run the query with DuckDB (out of core: a
folder of Parquet files larger than memory works) and return an
:class:`~relmark.data.RFMSummary` equal to the in-memory one. :func:`summary_sql` gives the
query as text for DuckDB, Postgres, BigQuery, Snowflake or Spark SQL (transpiled by sqlglot),
to run in the warehouse. :func:`fit` groups a summary by the model's data fields in SQL and fits
on the distinct rows with their counts: exactly the in-memory estimate.

Money sums are floating-point sums in the engine's order; amounts that are exact binary
fractions (whole cents scaled to integers, quarters, ...) give bit-identical spend means, other
amounts agree to the last few units in the last place.
"""

from __future__ import annotations

import os
import threading
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

try:
    import duckdb
    import sqlglot
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "relmark.engines.sql needs duckdb and sqlglot: pip install 'relmark[sql]'"
    ) from exc

from relmark._validation import check_choice, check_count, check_number
from relmark.clv import CLVModel
from relmark.clv._base import refuse_first_purchase
from relmark.data import RFMSummary
from relmark.data.summary import FIRST_PURCHASE
from relmark.data.transactions import _unit as _summary_unit
from relmark.engines._options import log_options, refuse_counted_first, summary_options
from relmark.errors import ArgumentError, CurrencyError, DataError

__all__ = [
    "DIALECTS",
    "calibration_holdout",
    "fit",
    "statistics_sql",
    "summarize",
    "summary_sql",
]

DIALECTS: Final[tuple[str, ...]] = ("duckdb", "postgres", "bigquery", "snowflake", "spark")
"""The SQL dialects :func:`summary_sql` writes."""

_UNITS: Final[tuple[str, ...]] = ("D", "W", "h", "M")
_RESIDUE: Final[str] = "CAST('1e-12' AS DOUBLE)"
"""Netted spend within this fraction of the amounts summed is zero (relmark.data's rule: a full
refund in float sums can leave -1e-15)."""
_SOURCE: Final[str] = "relmark_source"
_PARQUET: Final[tuple[str, ...]] = (".parquet", ".pq", ".parquet.gz")
_CSV: Final[tuple[str, ...]] = (".csv", ".csv.gz", ".tsv", ".txt", ".csv.zst")

Source = Any
"""What the DuckDB engine reads: a path or glob of Parquet/CSV files (or a list of them), a
DuckDB relation (e.g. ``con.table("transactions")``), a pandas or polars DataFrame, or a
pyarrow Table."""


# ---------------------------------------------------------------------- arguments
def _ident(name: object, argument: str) -> str:
    """A column name as a quoted SQL identifier."""
    if not isinstance(name, str) or not name:
        raise ArgumentError(f"must be a non-empty column name, got {name!r}", argument=argument)
    return '"' + name.replace('"', '""') + '"'


def _timestamp(value: object, argument: str, zone: str = "UTC") -> pd.Timestamp:
    """A date option as a naive wall-clock timestamp: aware ones are converted to ``zone`` (UTC
    by default), as the in-memory path converts the log."""
    if isinstance(value, bool) or value is None:
        raise ArgumentError(f"must be a date, got {value!r}", argument=argument)
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot parse {value!r} as a date", argument=argument) from None
    if pd.isna(ts):
        raise ArgumentError(f"must be a date, got {value!r}", argument=argument)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(zone).tz_localize(None)
    return ts


def _literal(ts: pd.Timestamp) -> str:
    return f"CAST('{ts.strftime('%Y-%m-%d %H:%M:%S.%f')}' AS TIMESTAMP)"


def _multiplier(value: object) -> str:
    fm = check_number(value, "freq_multiplier", low=0.0, low_open=True)
    return f"CAST('{fm!r}' AS DOUBLE)"


def _unit(time_unit: object) -> str:
    return check_choice(time_unit, "time_unit", _UNITS)


def _unit_label(time_unit: str, freq_multiplier: float) -> str | None:
    """The summary's time-unit label, exactly as :func:`relmark.data.summarize` writes it (the
    same checks of ``time_unit`` and ``freq_multiplier``, the same
    :class:`~relmark.timeunit.TimeUnit`)."""
    return _summary_unit(time_unit, freq_multiplier)[2].label


def _period(ts: str, time_unit: str) -> str:
    """SQL for the integer period ordinal of the timestamp expression ``ts`` (floor semantics;
    only functions every target dialect has: day differences between dates and EXTRACT)."""
    day = f"DATE_DIFF('day', CAST('1970-01-01' AS DATE), CAST({ts} AS DATE))"
    if time_unit == "D":
        return day
    if time_unit == "h":
        return f"({day} * 24 + EXTRACT(HOUR FROM {ts}))"
    if time_unit == "W":  # 1970-01-01 was a Thursday: weeks start on Monday
        return f"CAST(FLOOR(CAST({day} + 3 AS DOUBLE) / 7) AS BIGINT)"
    return f"((EXTRACT(YEAR FROM {ts}) - 1970) * 12 + EXTRACT(MONTH FROM {ts}) - 1)"


def _query(
    *,
    table: str,
    id_expr: str,
    ts_expr: str,
    amount_expr: str | None,
    time_unit: str,
    fm: str,
    observation_end: pd.Timestamp | None,
    calibration_end: pd.Timestamp | None,
    min_by: bool = True,
    litt: bool = False,
    holdout_spend: str = "period",
    net: bool = False,
    first: bool = False,
) -> str:
    """The summary query in DuckDB's dialect (the one sqlglot transpiles from).

    With ``min_by`` the first period's amount is taken in the per-customer aggregate
    (``ARG_MIN``/``MIN_BY``: one pass, no join); without it (Postgres has neither) by joining
    the merged periods back on the first period. Both give the same value: periods are
    distinct per customer after merging. With ``litt`` the sum of the logs of the gaps between
    consecutive merged periods (``LAG`` over each customer's periods); ``holdout_spend``
    divides the holdout amounts by the holdout purchase periods (``"period"``) or rows. With
    ``net`` negative amounts are netted returns (checked first: each in a period with a
    purchase of its customer, so the merged periods are purchase periods): they are not
    counted as holdout transactions. With ``first`` the first purchase period counts in
    ``frequency`` and in the mean spend (``include_first_purchase``).
    """
    money = amount_expr is not None
    amount_col = f", {amount_expr} AS amount" if money else ""
    end = "MAX(ts)" if observation_end is None else _literal(observation_end)
    cal = calibration_end is not None
    bounds = f"SELECT {end} AS obs_end" + (
        f", {_literal(calibration_end)} AS cal_end" if calibration_end is not None else ""
    )
    ends = f"SELECT {_period('obs_end', time_unit)} AS end_p" + (
        f", {_period('cal_end', time_unit)} AS cal_p" if cal else ""
    )
    amt = ", amount" if money else ""
    where = " WHERE ts <= (SELECT cal_end FROM bounds)" if cal else ""
    net = net and money
    merged_amt = ", SUM(amount) AS amount" if money else ""
    merged_amt += ", SUM(ABS(amount)) AS scale" if net else ""
    total = ", SUM(amount) AS total" if money else ""
    total += ", SUM(scale) AS scale" if net else ""
    if net and min_by and not first:
        total += ", ARG_MIN(scale, p) AS first_scale"
    t_end = "e.cal_p" if cal else "e.end_p"
    cols = [
        "c.customer_id AS customer_id",
        f"CAST(c.n{'' if first else ' - 1'} AS DOUBLE) AS frequency",
        f"CAST(c.last_p - c.first_p AS DOUBLE) / {fm} AS recency",
        f"CAST({t_end} - c.first_p AS DOUBLE) / {fm} AS T",
    ]
    f_alias = "c" if min_by else "f"
    repeat = "c.total" if first else f"(c.total - {f_alias}.first_amount)"
    if net:  # a netted period can leave -1e-15: zeroed relative to the amounts, as in memory
        scale = "c.scale" if first else f"(c.scale - {f_alias}.first_scale)"
        repeat = (
            f"(CASE WHEN ABS({repeat}) <= {_RESIDUE} * {scale} "
            f"THEN CAST(0 AS DOUBLE) ELSE {repeat} END)"
        )
    if money and first:
        cols.append(f"{repeat} / CAST(c.n AS DOUBLE) AS monetary_value")
    elif money:
        cols.append(
            f"CASE WHEN c.n > 1 THEN {repeat} / CAST(c.n - 1 AS DOUBLE) "
            "ELSE CAST(0 AS DOUBLE) END AS monetary_value"
        )
    if cal:
        cols.append("CAST(COALESCE(h.n_periods, 0) AS DOUBLE) AS frequency_holdout")
        if money:
            per = "h.n_periods" if holdout_spend == "period" else "h.n_rows"
            h_total = "h.total"
            if net:
                h_total = (
                    f"(CASE WHEN ABS(h.total) <= {_RESIDUE} * h.scale THEN 0 ELSE h.total END)"
                )
            cols.append(
                f"CASE WHEN {per} > 0 THEN {h_total} / CAST({per} AS DOUBLE) "
                "ELSE CAST(0 AS DOUBLE) END AS monetary_value_holdout"
            )
        cols.append(f"CAST(e.end_p - e.cal_p AS DOUBLE) / {fm} AS duration_holdout")
    ctes = [
        f"tx AS (SELECT {id_expr} AS customer_id, {ts_expr} AS ts{amount_col} FROM {table})",
        f"bounds AS ({bounds}{' FROM tx' if observation_end is None else ''})",
        f"ends AS ({ends} FROM bounds)",
        f"periods AS (SELECT customer_id, ts{amt}, {_period('ts', time_unit)} AS p FROM tx)",
        f"merged AS (SELECT customer_id, p{merged_amt} FROM periods{where} "
        "GROUP BY customer_id, p)",
        "customers AS (SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n"
        f"{total}{', ARG_MIN(amount, p) AS first_amount' if money and min_by else ''} "
        "FROM merged GROUP BY customer_id)",
    ]
    joins = ""
    if money and not min_by and not first:
        ctes.append(
            "firsts AS (SELECT m.customer_id AS customer_id, m.amount AS first_amount"
            f"{', m.scale AS first_scale' if net else ''} "
            "FROM merged AS m JOIN customers AS c "
            "ON m.customer_id = c.customer_id AND m.p = c.first_p)"
        )
        joins += " JOIN firsts AS f ON f.customer_id = c.customer_id"
    if cal:
        rows = "SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END)" if net else "COUNT(*)"
        h_money = f", SUM(amount) AS total, {rows} AS n_rows" if money else ""
        h_money += ", SUM(ABS(amount)) AS scale" if net else ""
        ctes.append(
            "holdout AS (SELECT customer_id, COUNT(DISTINCT p) AS n_periods"
            f"{h_money} FROM periods WHERE ts > (SELECT cal_end FROM bounds) "
            "GROUP BY customer_id)"
        )
        joins += " LEFT JOIN holdout AS h ON h.customer_id = c.customer_id"
    if litt:
        ctes.append(
            "gaps AS (SELECT customer_id, p - LAG(p) OVER (PARTITION BY customer_id ORDER BY p) "
            "AS gap FROM merged)"
        )
        ctes.append(
            f"litt AS (SELECT customer_id, SUM(LN(CAST(gap AS DOUBLE) / {fm})) AS s "
            "FROM gaps WHERE gap IS NOT NULL GROUP BY customer_id)"
        )
        joins += " LEFT JOIN litt AS l ON l.customer_id = c.customer_id"
        cols.append("COALESCE(l.s, CAST(0 AS DOUBLE)) AS sum_log_interpurchase")
    return (
        "WITH "
        + ", ".join(ctes)
        + f" SELECT {', '.join(cols)} FROM customers AS c{joins} CROSS JOIN ends AS e"
        + " ORDER BY c.customer_id"
    )


def summary_sql(
    *,
    table: str = "transactions",
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    calibration_end: Any = None,
    dialect: str = "duckdb",
    pretty: bool = True,
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
) -> str:
    """The summary query as SQL text for a warehouse.

    The query reads ``table`` (one row per transaction) and returns one row per customer with
    the columns of :class:`~relmark.data.RFMSummary` (``customer_id``, ``frequency``,
    ``recency``, ``T``, ``monetary_value`` with ``monetary_value=``, the holdout columns with
    ``calibration_end=``), sorted by customer id: the definitions of
    :func:`relmark.data.summarize` and :func:`relmark.data.calibration_holdout`.

    Parameters
    ----------
    table
        The table (or view, or subquery in parentheses) holding the transactions, as written
        in the target dialect (e.g. ``"sales.orders"``).
    customer_id, datetime, monetary_value
        Column names of the customer id, the transaction time (a ``TIMESTAMP`` or ``DATE``
        column in UTC; convert zoned times in the warehouse first) and, optionally, the value.
    time_unit
        Period grid: ``"D"``, ``"W"`` (Monday-to-Sunday), ``"h"`` or ``"M"``.
    freq_multiplier
        Divide times by this (``"D"`` with 7: weeks with day resolution).
    observation_end
        End of observation; the last transaction time when ``None``.
    calibration_end
        With a date: the calibration/holdout query (holdout up to ``observation_end``).
    dialect
        One of :data:`DIALECTS`.
    pretty
        Format the query over several lines.
    sum_log_interpurchase
        Also return ``sum_log_interpurchase`` (as :func:`relmark.data.summarize`).
    holdout_spend
        ``"period"`` (default) or ``"transaction"``: the holdout mean spend per purchase
        period or per transaction (as :func:`relmark.data.calibration_holdout`).
    include_first_purchase
        Count the first purchase period in ``frequency`` and ``monetary_value`` (as
        :func:`relmark.data.summarize`; such a summary is for reports, not the CLV models).

    Returns
    -------
    str
        The query, transpiled from DuckDB's dialect by sqlglot.

    Raises
    ------
    ArgumentError
        Naming the argument: an unknown dialect or time unit, a multiplier that is not a
        finite number > 0, an unreadable date, ``observation_end`` not after
        ``calibration_end``.

    Examples
    --------
    >>> sql = summary_sql(table="orders", monetary_value="amount", dialect="bigquery")
    >>> "DATE_DIFF(" in sql and "GROUP BY" in sql
    True
    """
    dialect = check_choice(dialect, "dialect", DIALECTS)
    if not isinstance(table, str) or not table.strip():
        raise ArgumentError(f"must be a table name, got {table!r}", argument="table")
    unit = _unit(time_unit)
    fm = _multiplier(freq_multiplier)
    obs, cal = _ends(observation_end, calibration_end)
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    query = _query(
        table=table,
        id_expr=_ident(customer_id, "customer_id"),
        ts_expr=f"CAST({_ident(datetime, 'datetime')} AS TIMESTAMP)",
        amount_expr=None
        if monetary_value is None
        else f"CAST({_ident(monetary_value, 'monetary_value')} AS DOUBLE)",
        time_unit=unit,
        fm=fm,
        observation_end=obs,
        calibration_end=cal,
        min_by=dialect != "postgres",
        litt=chosen.litt,
        holdout_spend=chosen.holdout_spend,
        first=chosen.first,
    )
    return sqlglot.transpile(query, read="duckdb", write=dialect, pretty=bool(pretty))[0]


def _ends(
    observation_end: object, calibration_end: object, zone: str = "UTC"
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    obs = None if observation_end is None else _timestamp(observation_end, "observation_end", zone)
    cal = None if calibration_end is None else _timestamp(calibration_end, "calibration_end", zone)
    if obs is not None and cal is not None and obs <= cal:
        raise ArgumentError(
            f"must be after calibration_end {cal}, got {obs}", argument="observation_end"
        )
    return obs, cal


# ---------------------------------------------------------------------- DuckDB sources
def _paths(source: object) -> list[str] | None:
    if isinstance(source, str | os.PathLike):
        return [os.fspath(source)]
    if (
        isinstance(source, Sequence)
        and source
        and all(isinstance(s, str | os.PathLike) for s in source)
    ):
        return [os.fspath(s) for s in source]
    return None


def _relation(
    source: Source, con: duckdb.DuckDBPyConnection
) -> tuple[duckdb.DuckDBPyRelation, str]:
    """``source`` as a DuckDB relation (lazy: files are streamed) and a name for messages."""
    if isinstance(source, duckdb.DuckDBPyRelation):
        return source, "the DuckDB relation"
    paths = _paths(source)
    if paths is not None:
        kinds = set()
        for p in paths:
            low = p.lower()
            if low.endswith(_PARQUET):
                kinds.add("parquet")
            elif low.endswith(_CSV):
                kinds.add("csv")
            else:
                raise ArgumentError(
                    f"{p!r} is neither Parquet ({', '.join(_PARQUET)}) nor CSV "
                    f"({', '.join(_CSV)}) by its name",
                    argument="source",
                )
        if len(kinds) > 1:
            raise ArgumentError("mixes Parquet and CSV files", argument="source")
        listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        reader = "read_parquet" if kinds == {"parquet"} else "read_csv"
        options = "" if reader == "read_parquet" else ", auto_detect = true"
        name = paths[0] if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more)"
        try:
            rel = con.sql(f"SELECT * FROM {reader}([{listed}]{options})")
        except duckdb.Error as exc:
            raise DataError(f"cannot read {name}: {_first_line(exc)}") from None
        return rel, name
    if isinstance(source, pd.DataFrame):
        return con.from_df(source), "the DataFrame"
    module = type(source).__module__.split(".")[0]
    if module in ("polars", "pyarrow"):
        arrow = source.to_arrow() if module == "polars" else source
        return con.from_arrow(arrow), f"the {module} table"
    raise ArgumentError(
        "must be a path or glob of Parquet/CSV files, a list of them, a DuckDB relation, a "
        f"pandas or polars DataFrame or a pyarrow Table, got {type(source).__name__}",
        argument="source",
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _column_type(rel: duckdb.DuckDBPyRelation, column: str, name: str) -> str:
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    if column not in types:
        raise DataError(
            f"missing column in {name} (found: {', '.join(rel.columns)})", column=column
        )
    return types[column].upper()


_OFFSET: Final[str] = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
"""A text time ending in a UTC offset (``10:00+02:00``, ``10:00:00.5Z``); a bare date never
matches."""


def _zone(timezone: object) -> str:
    """An IANA zone name, checked as :func:`relmark.data.summarize` checks it."""
    if timezone is None:
        return "UTC"
    if not isinstance(timezone, str):
        raise ArgumentError(
            f"must be an IANA time zone name such as 'Europe/Berlin', got {timezone!r}",
            argument="timezone",
        )
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ArgumentError(
            f"unknown time zone {timezone!r} (an IANA name such as 'Europe/Berlin' or 'UTC')",
            argument="timezone",
        ) from None
    return timezone


def _has_offset(text: str) -> str:
    return f"regexp_matches({text}, '{_OFFSET}')"


_US_PER: Final[dict[str, str]] = {"excel": "86400000000.0", "s": "1000000.0", "ms": "1000.0"}
_US_LOW: Final[float] = float(np.datetime64("1677-09-22", "us").astype(np.int64))
_US_HIGH: Final[float] = float(np.datetime64("2262-04-11", "us").astype(np.int64))


def _numeric_ts(col: str, date_unit: str, zone: str) -> str:
    """DuckDB SQL for dates given as numbers, computed as :func:`relmark.data.summarize` does:
    microseconds ``x * per`` (Excel: ``(x - 25569) * 86400e6``) in float64, rounded half to
    even; NULL for a non-number, an infinite one, one outside 1677-09-22 .. 2262-04-11, or an
    Excel serial day below 61. Epoch instants are UTC, converted to ``zone``; Excel days are
    local."""
    num = f"TRY_CAST({col} AS DOUBLE)"
    if date_unit == "excel":
        micro = f"(({num} + CAST(-25569 AS DOUBLE)) * {_US_PER['excel']})"
    else:
        micro = f"({num} * {_US_PER[date_unit]})"
    ok = f"isfinite({num}) AND {micro} >= {_US_LOW!r} AND {micro} <= {_US_HIGH!r}"
    if date_unit == "excel":
        ok += f" AND {num} >= 61"
    ts = f"CASE WHEN {ok} THEN make_timestamp(CAST(round_even({micro}, 0) AS BIGINT)) END"
    if date_unit == "excel":
        return ts
    quoted = zone.replace("'", "''")
    return f"timezone('{quoted}', CAST({ts} AS TIMESTAMPTZ))"


def _ts_expression(col: str, type_name: str, date_format: str | None, zone: str) -> str:
    """DuckDB SQL turning the date column into a naive wall-clock timestamp (NULL when
    unreadable): zoned times and text with a UTC offset converted to ``zone``, naive times and
    text without an offset taken as written (the rules of :func:`relmark.data.summarize`)."""
    quoted = zone.replace("'", "''")
    if "WITH TIME ZONE" in type_name:
        return f"timezone('{quoted}', {col})"
    if type_name.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({col} AS TIMESTAMP)"
    text = f"CAST({col} AS VARCHAR)"
    if date_format is not None:
        fmt = date_format.replace("'", "''")
        return f"CAST(TRY_STRPTIME({text}, '{fmt}') AS TIMESTAMP)"
    return (
        f"CASE WHEN {_has_offset(text)} THEN timezone('{quoted}', TRY_CAST({text} AS TIMESTAMPTZ)) "
        f"ELSE TRY_CAST({text} AS TIMESTAMP) END"
    )


def _run(rel: duckdb.DuckDBPyRelation, sql: str, name: str) -> dict[str, Any]:
    try:
        result = rel.query(_SOURCE, sql)
        assert result is not None
        return dict(result.fetchnumpy())
    except duckdb.OutOfMemoryException as exc:
        raise ArgumentError(
            f"DuckDB ran out of memory on {name} ({_first_line(exc)}): raise memory_limit, "
            "or lower threads (each thread holds its own hash tables)",
            argument="memory_limit",
        ) from None
    except duckdb.Error as exc:
        raise DataError(f"DuckDB could not read {name}: {_first_line(exc)}") from None


def _run_watched(
    rel: duckdb.DuckDBPyRelation,
    con: duckdb.DuckDBPyConnection,
    sql_text: str,
    name: str,
    progress: Callable[[float], None] | None,
) -> dict[str, Any]:
    """:func:`_run`, calling ``progress`` with DuckDB's percentage done every 0.2 s when it has
    grown (from a watcher thread that only reads the connection's progress) and with 100.0 at
    the end."""
    if progress is None:
        return _run(rel, sql_text, name)
    done = threading.Event()

    def watch() -> None:
        last = -1.0
        while not done.wait(0.2):
            pct = float(con.query_progress())
            if pct > last:  # reported only when it grows (-1: nothing running yet)
                progress(min(pct, 100.0))
                last = pct

    watcher = threading.Thread(target=watch, name="relmark-duckdb-progress", daemon=True)
    watcher.start()
    try:
        out = _run(rel, sql_text, name)
    finally:
        done.set()
        watcher.join()
    progress(100.0)
    return out


def _sample(rel: duckdb.DuckDBPyRelation, id_col: str, condition: str, name: str) -> list[object]:
    rows = _run(
        rel, f"SELECT DISTINCT {id_col} AS c FROM {_SOURCE} WHERE {condition} LIMIT 10", name
    )["c"]
    return [None if v is np.ma.masked else v for v in np.asarray(rows, dtype=object).tolist()]


def _validate(
    rel: duckdb.DuckDBPyRelation,
    name: str,
    *,
    id_col: str,
    id_type: str,
    customer_id: str,
    raw_date: str,
    ts: str,
    datetime: str,
    amount_col: str | None,
    monetary_value: str | None,
    time_unit: str,
    late: str | None,
    unparseable: str = "unparseable dates (pass the format with date_format=)",
    dropped: bool = False,
) -> None:
    """One scan counting every kind of bad row; a DataError naming the column and the first
    offending customers for the first kind found."""
    checks: list[tuple[str, str, str | None, str]] = [
        (
            _blank_id(id_col, id_type),
            "missing or blank customer ids (pass missing_ids='drop' to drop and count them)",
            customer_id,
            "row",
        ),
        (f"{raw_date} IS NULL", "missing dates", datetime, "id"),
        (f"{raw_date} IS NOT NULL AND {ts} IS NULL", unparseable, datetime, "id"),
    ]
    if amount_col is not None:
        num = f"TRY_CAST({amount_col} AS DOUBLE)"
        checks += [
            (
                f"{amount_col} IS NOT NULL AND {num} IS NULL",
                "amounts are not numbers",
                monetary_value,
                "id",
            ),
            (
                f"{num} IS NULL OR isnan({num}) OR isinf({num})",
                "missing (NaN) or infinite amounts",
                monetary_value,
                "id",
            ),
            (
                f"{num} < 0",
                "negative amounts (returns): pass returns='drop' to drop them (netting them, "
                "returns='net', is done by relmark.data.summarize)",
                monetary_value,
                "id",
            ),
        ]
    if late is not None:
        checks.append((late, "transactions after the end of observation", datetime, "id"))
    counts = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}" for i, (cond, *_) in enumerate(checks)
    )
    got = _run(rel, f"SELECT COUNT(*) AS n, {counts} FROM {_SOURCE}", name)
    if int(got["n"][0]) == 0:
        if dropped:
            raise DataError(f"no transactions left in {name} after dropping (see the notes)")
        raise DataError(f"the transaction log in {name} is empty")
    for i, (cond, message, column, _kind) in enumerate(checks):
        count = got[f"c{i}"][0]
        if count is np.ma.masked or int(count) == 0:
            continue
        rows = [] if _kind == "row" else _sample(rel, id_col, cond, name)
        where = "" if _kind == "row" else " (rows are customer ids)"
        raise DataError(
            f"{message} in {name}: {int(count)} rows{where}",
            column=column,
            rows=rows,
            count=int(count),
        )


_SPACE: Final[str] = "' \t\n\r\x0b\x0c'"


_WHOLE_TYPES: Final[tuple[str, ...]] = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT",
)  # fmt: skip


def _blank_id(id_col: str, id_type: str = "VARCHAR") -> str:
    """SQL: the customer id is missing or blank (white space only). A whole-number id cannot
    be blank: only NULL is tested (casting every id to text cost a third of the summary's time
    on integer ids)."""
    if id_type.split("(")[0] in _WHOLE_TYPES:
        return f"({id_col} IS NULL)"
    return f"({id_col} IS NULL OR TRIM(CAST({id_col} AS VARCHAR), {_SPACE}) = '')"


def _count(rel: duckdb.DuckDBPyRelation, condition: str, name: str) -> int:
    got = _run(rel, f"SELECT COUNT(*) AS k FROM {_SOURCE} WHERE {condition}", name)["k"][0]
    return int(got)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _currency(rel: duckdb.DuckDBPyRelation, name: str, column: str) -> str:
    """The one ISO 4217 code of the currency column, checked as in memory: missing or
    malformed codes are a DataError, several codes a CurrencyError."""
    col = _ident(column, "currency")
    _column_type(rel, column, name)
    text = f"TRIM(CAST({col} AS VARCHAR), {_SPACE})"
    got = _run(
        rel,
        f"SELECT SUM(CASE WHEN {col} IS NULL OR {text} = '' THEN 1 ELSE 0 END) AS missing, "
        f"SUM(CASE WHEN {text} <> '' AND NOT regexp_full_match({text}, '[A-Z]{{3}}') "
        f"THEN 1 ELSE 0 END) AS bad FROM {_SOURCE}",
        name,
    )
    for key, message in (
        ("missing", "missing currencies"),
        ("bad", "currencies must be ISO 4217 codes (three capital letters)"),
    ):
        count = got[key][0]
        if count is not np.ma.masked and int(count) > 0:
            raise DataError(f"{message} in {name}: {int(count)} rows", column=column)
    codes = _run(
        rel,
        f"SELECT {text} AS c, COUNT(*) AS n FROM {_SOURCE} GROUP BY 1 ORDER BY 2 DESC, 1",
        name,
    )
    found = [(str(c), int(n)) for c, n in zip(codes["c"], codes["n"], strict=True)]
    if len(found) > 1:
        listed = ", ".join(f"{c} ({n} rows)" for c, n in found[:10])
        raise CurrencyError(
            f"column {column!r}: the log in {name} mixes currencies: {listed}; amounts in "
            "different currencies cannot be added (summarise each currency separately)"
        )
    return found[0][0]


def _check_padded_ids(
    rel: duckdb.DuckDBPyRelation, name: str, id_col: str, customer_id: str
) -> None:
    """Ids that differ only by white space around them (``" 007"`` and ``"007"``) are refused,
    as in memory: two customers to the data, most likely one in the export. A cheap count
    first; the grouping runs only over the ids that have such spaces."""
    stripped = f"TRIM({id_col}, {_SPACE})"
    got = _run(rel, f"SELECT COUNT(*) AS k FROM {_SOURCE} WHERE {id_col} <> {stripped}", name)
    if int(got["k"][0]) == 0:
        return
    twins = _run(
        rel,
        f"WITH padded AS (SELECT DISTINCT {stripped} AS t FROM {_SOURCE} "
        f"WHERE {id_col} <> {stripped}) "
        f"SELECT s.{id_col} AS c FROM {_SOURCE} AS s JOIN padded AS p "
        f"ON TRIM(s.{id_col}, {_SPACE}) = p.t "
        f"GROUP BY s.{id_col}, p.t QUALIFY COUNT(*) OVER (PARTITION BY p.t) > 1 "
        "ORDER BY 1 LIMIT 10",
        name,
    )["c"]
    if len(twins):
        rows = np.asarray(twins, dtype=object).tolist()
        raise DataError(
            f"customer ids in {name} that differ only by spaces around them (such as "
            f"{rows[0]!r}): strip them, or make them distinct",
            column=customer_id,
            rows=rows,
        )


def _connection(memory_limit: str | None, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit is not None:
        if not isinstance(memory_limit, str) or not memory_limit.strip():
            raise ArgumentError(
                f"must be a size such as '2GB', got {memory_limit!r}", argument="memory_limit"
            )
        try:
            con.execute(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise ArgumentError(_first_line(exc), argument="memory_limit") from None
    if threads is not None:
        con.execute(f"SET threads = {check_count(threads, 'threads', minimum=1)}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _execute(
    source: Source,
    *,
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    time_unit: str,
    freq_multiplier: float,
    observation_end: object,
    calibration_end: object,
    date_format: str | None,
    timezone: str | None,
    memory_limit: str | None,
    threads: int | None,
    progress: Callable[[float], None] | None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    date_unit: str | None = None,
    returns: str = "refuse",
    missing_ids: str = "refuse",
    sum_log_interpurchase: bool = False,
    holdout_spend: str = "period",
    include_first_purchase: bool = False,
) -> RFMSummary:
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    if progress is not None and not callable(progress):
        raise ArgumentError("must be a callable(percent)", argument="progress")
    unit = _unit(time_unit)
    fm = _multiplier(freq_multiplier)
    fm_value = float(freq_multiplier)
    if date_format is not None and (not isinstance(date_format, str) or not date_format):
        raise ArgumentError(
            f"must be a strftime format, got {date_format!r}", argument="date_format"
        )
    log_options(
        "DuckDB",
        nets_returns=False,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        currency=currency,
        date_format=date_format,
        dayfirst=dayfirst,
        date_unit=date_unit,
        timezone=timezone,
        returns=returns,
        missing_ids=missing_ids,
    )
    zone = _zone(timezone)
    obs, cal = _ends(observation_end, calibration_end, zone)
    con = _connection(memory_limit, threads)
    notes: list[str] = []
    try:
        rel, name = _relation(source, con)
        id_col = _ident(customer_id, "customer_id")
        raw_date = _ident(datetime, "datetime")
        id_type = _column_type(rel, customer_id, name)
        if missing_ids == "drop":
            n_blank = _count(rel, _blank_id(id_col, id_type), name)
            if n_blank:
                notes.append(
                    f"dropped {_plural(n_blank, 'transaction')} with a missing customer id"
                )
                rel = rel.filter(f"NOT {_blank_id(id_col, id_type)}")
        if returns == "drop" and monetary_value is not None:
            money = _ident(monetary_value, "monetary_value")
            negative = f"COALESCE(TRY_CAST({money} AS DOUBLE) < 0, false)"
            _column_type(rel, monetary_value, name)
            n_neg = _count(rel, negative, name)
            if n_neg:
                notes.append(f"dropped {_plural(n_neg, 'return')} (negative amounts)")
                rel = rel.filter(f"NOT {negative}")
        if isinstance(source, pd.DataFrame) and source[customer_id].dtype == object:
            kind = pd.api.types.infer_dtype(source[customer_id], skipna=True)
            if kind not in ("string", "empty"):
                raise DataError(
                    f"customer ids in {name} mix text and other values ({kind}); DuckDB would "
                    "turn 7 into '7': make them all text or all whole numbers",
                    column=customer_id,
                )
        if id_type.startswith(("FLOAT", "DOUBLE", "DECIMAL", "REAL")):
            raise DataError(
                f"customer ids in {name} are floating-point numbers ({id_type}): ids are whole "
                "numbers or text (a float column usually means missing ids read as NaN)",
                column=customer_id,
            )
        date_type = _column_type(rel, datetime, name)
        is_time = date_type.startswith(("TIMESTAMP", "DATE"))
        unparseable = "unparseable dates (pass the format with date_format=)"
        if date_unit is not None:
            if is_time:
                raise ArgumentError(
                    f"date_unit is for dates given as numbers; column {datetime!r} holds datetimes",
                    argument="date_unit",
                )
            ts = _numeric_ts(raw_date, date_unit, zone)
            unparseable = (
                "dates that are not numbers, infinite, or outside 1677-09-22 .. 2262-04-11 "
                f"when read as date_unit={date_unit!r}"
                + (
                    " (or Excel serial days below 61, before 1900-03-01)"
                    if date_unit == "excel"
                    else ""
                )
            )
        else:
            ts = _ts_expression(raw_date, date_type, date_format, zone)
        if date_format is None and date_unit is None and _is_number(date_type):
            raise DataError(
                f"dates in {name} are numbers ({date_type}): name their unit with "
                "date_unit='excel' (Excel serial days), 's' or 'ms' (Unix epoch seconds or "
                "milliseconds), or, for numbers such as 20240131, their format with "
                "date_format='%Y%m%d'",
                column=datetime,
            )
        if date_format is None and date_unit is None and not is_time:
            text = f"CAST({raw_date} AS VARCHAR)"
            got = _run(
                rel,
                f"SELECT SUM(CASE WHEN {_has_offset(text)} THEN 1 ELSE 0 END) AS k, "
                f"COUNT({raw_date}) AS n FROM {_SOURCE}",
                name,
            )
            with_offset, n_dates = int(got["k"][0] or 0), int(got["n"][0])
            if 0 < with_offset < n_dates:
                raise DataError(
                    f"dates with and without UTC offsets mixed in {name} ({with_offset} of "
                    f"{n_dates} have one): give every date an offset, or none",
                    column=datetime,
                )
        amount_col = None
        if monetary_value is not None:
            amount_col = _ident(monetary_value, "monetary_value")
            _column_type(rel, monetary_value, name)
        late = None
        if cal is not None and obs is not None:
            late = f"{ts} > {_literal(obs)}"
        elif obs is not None:
            late = f"{_period(ts, unit)} > {_period(_literal(obs), unit)}"
        _validate(
            rel,
            name,
            id_col=id_col,
            id_type=id_type,
            customer_id=customer_id,
            raw_date=raw_date,
            ts=ts,
            datetime=datetime,
            amount_col=amount_col,
            monetary_value=monetary_value,
            time_unit=unit,
            late=late,
            unparseable=unparseable,
            dropped=bool(notes),
        )
        if id_type.startswith("VARCHAR"):
            _check_padded_ids(rel, name, id_col, customer_id)
        code = None if currency is None else _currency(rel, name, currency)
        if cal is not None:
            got = _run(
                rel,
                f"SELECT SUM(CASE WHEN {ts} <= {_literal(cal)} THEN 1 ELSE 0 END) AS k "
                f"FROM {_SOURCE}",
                name,
            )
            if int(got["k"][0]) == 0:
                raise DataError(f"no transactions up to calibration_end {cal.date()} in {name}")
            if obs is None:
                last = _run(rel, f"SELECT MAX({ts}) AS m FROM {_SOURCE}", name)["m"][0]
                if pd.Timestamp(last) <= cal:
                    raise ArgumentError(
                        f"the last transaction {pd.Timestamp(last)} is not after it: pass "
                        "observation_end",
                        argument="calibration_end",
                    )
        query = _query(
            table=_SOURCE,
            id_expr=id_col,
            ts_expr=ts,
            amount_expr=None if amount_col is None else f"CAST({amount_col} AS DOUBLE)",
            time_unit=unit,
            fm=fm,
            observation_end=obs,
            calibration_end=cal,
            litt=chosen.litt,
            holdout_spend=chosen.holdout_spend,
            first=chosen.first,
        )
        out = _run_watched(rel, con, query, name, progress)
    finally:
        con.close()
    return _to_summary(out, unit, fm_value, currency=code, notes=notes, first=chosen.first)


_NUMBER_TYPES: Final[tuple[str, ...]] = (*_WHOLE_TYPES, "FLOAT", "DOUBLE", "DECIMAL", "REAL")


def _is_number(type_name: str) -> bool:
    return type_name.split("(")[0] in _NUMBER_TYPES


def _to_summary(
    out: dict[str, Any],
    time_unit: str,
    freq_multiplier: float,
    *,
    currency: str | None = None,
    notes: Sequence[str] = (),
    first: bool = False,
) -> RFMSummary:
    """An RFMSummary from the query's columns (numpy arrays)."""
    ids = np.asarray(out["customer_id"])
    if ids.dtype.kind in "USO":
        ids = np.asarray(ids, dtype=object)
    optional: dict[str, Any] = {
        k: np.asarray(out[k], dtype=np.float64)
        for k in (
            "monetary_value",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout",
            "sum_log_interpurchase",
        )
        if k in out
    }
    return RFMSummary(
        customer_id=ids,
        frequency=np.asarray(out["frequency"], dtype=np.float64),
        recency=np.asarray(out["recency"], dtype=np.float64),
        T=np.asarray(out["T"], dtype=np.float64),
        time_unit=_unit_label(time_unit, freq_multiplier),
        currency=currency,
        notes=notes,
        include_first_purchase=first,
        **optional,
    )


def summarize(
    source: Source,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    date_format: str | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    sum_log_interpurchase: bool = False,
    include_first_purchase: bool = False,
) -> RFMSummary:
    """:func:`relmark.data.summarize` run by DuckDB, out of core, over files or frames.

    Parameters
    ----------
    source
        Parquet or CSV files (a path, a glob such as ``"logs/*.parquet"``, or a list), a DuckDB
        relation (``con.table("orders")``, ``con.sql("SELECT ...")``), a pandas or polars
        DataFrame or a pyarrow Table; one row per transaction.
    customer_id, datetime, monetary_value
        Column names. The time column may hold timestamps (zoned ones are converted to UTC, as
        in memory), dates, or text (ISO, or ``date_format``).
    time_unit, freq_multiplier, observation_end
        As for :func:`relmark.data.summarize`.
    date_format
        ``strftime`` format of text dates (e.g. ``"%Y%m%d"``).
    timezone
        IANA zone (``"Europe/Berlin"``) in which purchases are binned: zoned timestamps and
        text with a UTC offset are converted to it (default UTC); naive times are taken as
        written. As in :func:`relmark.data.summarize`.
    currency
        Column of ISO 4217 codes: every row must have the same one (a
        :class:`~relmark.errors.CurrencyError` otherwise), kept as ``RFMSummary.currency``.
        Needs ``monetary_value``. As in :func:`relmark.data.summarize`.
    dayfirst
        Refused unless None: this engine reads text dates as ISO or with ``date_format``
        (``"%d/%m/%Y"`` reads day first, exactly); :func:`relmark.data.summarize` infers the
        order.
    date_unit
        Dates given as numbers: ``"excel"`` (Excel serial days, local), ``"s"`` or ``"ms"``
        (Unix epoch, UTC, converted to ``timezone``), computed exactly as in memory.
    returns
        Negative amounts: ``"refuse"`` (default) or ``"drop"`` (counted in ``notes``);
        ``"net"`` is refused (:func:`relmark.data.summarize` nets them).
    missing_ids
        Rows with a missing or blank customer id: ``"refuse"`` (default) or ``"drop"``
        (counted in ``notes``).
    memory_limit
        DuckDB's memory limit (e.g. ``"2GB"``); larger work spills to a temporary directory.
    threads
        DuckDB's worker threads (default: all cores).
    progress
        Called with the percentage done (0-100) every 0.2 s while the summary query runs and
        with 100 at the end (e.g. ``lambda pct: bar.update(pct - bar.n)`` with a tqdm bar);
        nothing is shown otherwise.
    sum_log_interpurchase
        Also compute ``sum_log_interpurchase``, as :func:`relmark.data.summarize` does.
    include_first_purchase
        Count the first purchase period in ``frequency`` and ``monetary_value``, as
        :func:`relmark.data.summarize` does (a summary for reports; the CLV models refuse it).

    Returns
    -------
    RFMSummary
        Equal to :func:`relmark.data.summarize` of the same log.

    Raises
    ------
    DataError
        Naming the column and the first offending customers: a missing column, missing
        customer ids or dates, unparseable dates, missing, infinite, non-numeric or negative
        amounts, transactions after ``observation_end``, an empty log, an unreadable file.
    ArgumentError
        Naming the argument: an unknown source type or file kind, time unit, a multiplier
        that is not a finite number > 0, an unreadable date; an option this engine does not
        compute (``returns="net"``, ``dayfirst``), naming :func:`relmark.data.summarize`.
    CurrencyError
        The ``currency`` column holds two or more currencies.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03"],
    ...                     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> s = summarize(log, monetary_value="amount", observation_end="2024-01-15")
    >>> s.to_frame()
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0      7.0  14.0            20.0
    b                  0.0      0.0  12.0             0.0
    """
    return _execute(
        source,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        observation_end=observation_end,
        calibration_end=None,
        date_format=date_format,
        timezone=timezone,
        memory_limit=memory_limit,
        threads=threads,
        progress=progress,
        currency=currency,
        dayfirst=dayfirst,
        date_unit=date_unit,
        returns=returns,
        missing_ids=missing_ids,
        sum_log_interpurchase=sum_log_interpurchase,
        include_first_purchase=include_first_purchase,
    )


def calibration_holdout(
    source: Source,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    date_format: str | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
) -> RFMSummary:
    """:func:`relmark.data.calibration_holdout` run by DuckDB, out of core.

    Parameters
    ----------
    source
        As for :func:`summarize`.
    calibration_end
        Last moment of the calibration period.
    observation_end
        End of the holdout period (default: the last transaction time).
    customer_id, datetime, monetary_value, time_unit, freq_multiplier, date_format, timezone
        As for :func:`summarize`.
    currency, dayfirst, date_unit, returns, missing_ids
        As for :func:`summarize`.
    memory_limit, threads, progress
        DuckDB settings and the progress callback, as for :func:`summarize`.
    sum_log_interpurchase, holdout_spend, include_first_purchase
        As for :func:`relmark.data.calibration_holdout` (the first purchase counts in the
        calibration columns only).

    Returns
    -------
    RFMSummary
        With the holdout columns; equal to :func:`relmark.data.calibration_holdout`.

    Raises
    ------
    DataError
        As for :func:`summarize`; also no transaction up to ``calibration_end``.
    ArgumentError
        As for :func:`summarize`; also ``observation_end`` not after ``calibration_end``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 1],
    ...                     "date": pd.to_datetime(["2024-01-01", "2024-01-05",
    ...                                             "2024-01-02", "2024-01-20"])})
    >>> s = calibration_holdout(log, calibration_end="2024-01-10")
    >>> s.frequency_holdout.tolist(), s.duration_holdout.tolist()
    ([1.0, 0.0], [10.0, 10.0])
    """
    if calibration_end is None:
        raise ArgumentError("a calibration end date is needed", argument="calibration_end")
    return _execute(
        source,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        observation_end=observation_end,
        calibration_end=calibration_end,
        date_format=date_format,
        timezone=timezone,
        memory_limit=memory_limit,
        threads=threads,
        progress=progress,
        currency=currency,
        dayfirst=dayfirst,
        date_unit=date_unit,
        returns=returns,
        missing_ids=missing_ids,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )


# ---------------------------------------------------------------------- sufficient statistics
def statistics_sql(
    model: type[CLVModel], *, table: str = "summary", dialect: str = "duckdb"
) -> str:
    """SQL grouping a per-customer summary table by the model's data fields: the distinct rows
    with their counts (``weights``), sorted, which is all a fit needs.

    Parameters
    ----------
    model
        The model class (e.g. :class:`relmark.clv.BGNBD`); its ``data_fields`` are grouped.
    table
        The summary table in the target dialect.
    dialect
        One of :data:`DIALECTS`.

    Returns
    -------
    str

    Raises
    ------
    ArgumentError
        Naming ``model``, ``table`` or ``dialect``.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> print(statistics_sql(BGNBD, table="s", dialect="postgres"))
    SELECT "frequency", "recency", "T", COUNT(*) AS weights FROM s GROUP BY "frequency", \
"recency", "T" ORDER BY "frequency", "recency", "T"
    """
    fields = _fields(model)
    dialect = check_choice(dialect, "dialect", DIALECTS)
    if not isinstance(table, str) or not table.strip():
        raise ArgumentError(f"must be a table name, got {table!r}", argument="table")
    cols = ", ".join(_ident(f, "model") for f in fields)
    query = f"SELECT {cols}, COUNT(*) AS weights FROM {table} GROUP BY {cols} ORDER BY {cols}"
    return sqlglot.transpile(query, read="duckdb", write=dialect)[0]


def _fields(model: object) -> tuple[str, ...]:
    if not (isinstance(model, type) and issubclass(model, CLVModel)) or not hasattr(
        model, "data_fields"
    ):
        raise ArgumentError(
            f"must be a relmark model class such as BGNBD, got {model!r}", argument="model"
        )
    return tuple(model.data_fields)


def fit(
    model: type[CLVModel],
    source: Source,
    *,
    time_unit: str | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    **options: Any,
) -> CLVModel:
    """Fit ``model`` on a per-customer summary grouped in DuckDB: the distinct data rows and
    their counts are computed out of core, the likelihood is maximised on them.

    The grouped rows are exactly those the in-memory fit compresses the summary into (sorted
    the same way), so the parameters equal ``model.fit(summary, compress=True)`` bit for bit.

    Parameters
    ----------
    model
        The model class, e.g. :class:`relmark.clv.BGNBD`.
    source
        The summary (columns named as ``model.data_fields``): files, a relation or a frame, as
        for :func:`summarize`. A :class:`~relmark.data.RFMSummary` is read as its frame.
    time_unit
        Unit of the summary's times (taken from an RFMSummary when given).
    memory_limit, threads
        DuckDB settings, as for :func:`summarize`.
    **options
        Passed to ``model.fit`` (e.g. ``start=``).

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    DataError
        A missing data column, or the model's own checks of the grouped rows (negative
        frequency, recency > T, ...), naming the column; a summary that counts the first
        purchase (``include_first_purchase=True``, or a column of that name holding True).
    ArgumentError
        Naming ``model``, ``source`` or a DuckDB setting.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> from relmark.datasets import load_cdnow_summary
    >>> m = fit(BGNBD, load_cdnow_summary(), time_unit="W")
    >>> round(m.params["r"], 3)
    0.243
    """
    fields = _fields(model)
    if "compress" in options or "weights" in options:
        name = "compress" if "compress" in options else "weights"
        raise ArgumentError("is set by the grouping itself", argument=name)
    unit = time_unit
    refuse_first_purchase(source)
    if isinstance(source, RFMSummary):
        unit = unit if unit is not None else source.time_unit
        source = source.to_frame().reset_index()
    con = _connection(memory_limit, threads)
    try:
        rel, name = _relation(source, con)
        for f in fields:
            _column_type(rel, f, name)
        if FIRST_PURCHASE in rel.columns:  # a flag column, as the Spark engine writes it
            flag = _ident(FIRST_PURCHASE, "source")
            seen = _run(rel, f"SELECT DISTINCT {flag} AS v FROM {_SOURCE} LIMIT 3", name)["v"]
            refuse_counted_first([None if v is np.ma.masked else v for v in seen.tolist()])
        out = _run(rel, statistics_sql(model, table=_SOURCE), name)
    finally:
        con.close()
    data = {f: np.asarray(out[f], dtype=np.float64) for f in fields}
    weights = np.asarray(out["weights"], dtype=np.float64)
    if weights.shape[0] == 0:
        raise DataError(f"the summary in {name} is empty")
    for f, arr in data.items():
        if np.ma.isMaskedArray(out[f]) and np.ma.getmaskarray(out[f]).any():
            raise DataError(f"missing values in {name}", column=f)
        if not np.all(np.isfinite(arr)):
            raise DataError(f"NaN or infinite values in {name}", column=f)
    return model.fit(data, weights=weights, compress=False, time_unit=unit, **options)
