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
:class:`~relmark.data.RFMSummary` equal to the in-memory one; :func:`summarize_to_parquet`
writes it to one Parquet file instead, by customer-hash partitions, never holding it in Python
(for summaries larger than memory). :func:`summary_sql` gives the query as text for DuckDB,
Postgres, BigQuery, Snowflake or Spark SQL (transpiled by sqlglot), to run in the warehouse.
:func:`fit` groups a summary by the model's data fields in SQL and fits on the distinct rows
with their counts: exactly the in-memory estimate.

Money sums are floating-point sums in the engine's order; amounts that are exact binary
fractions (whole cents scaled to integers, quarters, ...) give bit-identical spend means, other
amounts agree to the last few units in the last place.
"""

from __future__ import annotations

import os
import re
import threading
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import numpy as np
import pandas as pd

try:
    import duckdb
    import sqlglot
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "relmark.engines.sql needs duckdb and sqlglot: pip install 'relmark[sql]'"
    ) from exc

from relmark._validation import check_choice, check_count, check_flag, check_number
from relmark.clv import CLVModel
from relmark.clv._base import refuse_first_purchase
from relmark.clv._engine import Progress, progress_callback
from relmark.data import RFMSummary
from relmark.data._read import (
    _INVISIBLE,
    _NS_HIGH,
    _NS_LOW,
    LogOptions,
    end_is_aware,
    end_zone_error,
    option_date,
    refuse_lazy,
)
from relmark.data.summary import FIRST_PURCHASE, agreeing_time_unit
from relmark.data.transactions import _unit as _summary_unit
from relmark.data.transactions import refuse_empty_holdout
from relmark.engines._options import (
    fit_grouped,
    log_options,
    refuse_counted_first,
    summary_options,
)
from relmark.errors import ArgumentError, CurrencyError, DataError

__all__ = [
    "DIALECTS",
    "SummaryFile",
    "calibration_holdout",
    "fit",
    "statistics_sql",
    "summarize",
    "summarize_to_parquet",
    "summary_sql",
]

DIALECTS: Final[tuple[str, ...]] = ("duckdb", "postgres", "bigquery", "snowflake", "spark")
"""The SQL dialects :func:`summary_sql` writes."""

_UNITS: Final[tuple[str, ...]] = ("D", "W", "h", "M")
_RESIDUE: Final[str] = "CAST('1e-12' AS DOUBLE)"
"""Netted spend within this fraction of the amounts summed is zero (relmark.data's rule: a full
refund in float sums can leave -1e-15)."""
_MAX_DOUBLE: Final[str] = "CAST('1.7976931348623157e308' AS DOUBLE)"
"""The largest finite double: ``NOT (x >= 0 AND x <= max)`` holds for negative, infinite and
NaN amounts whichever way the dialect orders NaN (greatest, or unordered)."""
_TS_LOW: Final[pd.Timestamp] = pd.Timestamp(_NS_LOW)
_TS_HIGH: Final[pd.Timestamp] = pd.Timestamp(_NS_HIGH)
"""relmark.data's range of times (nanosecond timestamps): earlier or later ones are refused
(``infinity`` compares greater than every time, ``-infinity`` less)."""
_SOURCE: Final[str] = "relmark_source"
_PARQUET: Final[tuple[str, ...]] = (".parquet", ".pq", ".parquet.gz")
_CSV: Final[tuple[str, ...]] = (".csv", ".csv.gz", ".tsv", ".txt", ".csv.zst")

_T = TypeVar("_T")

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


_PLAIN: Final[re.Pattern[str]] = re.compile(r"[a-z_][a-z0-9_]*")
_RESERVED: Final[frozenset[str]] = frozenset(
    {k.upper() for d in ("duckdb", "bigquery") for k in sqlglot.Dialect.get_or_raise(d)
     .generator_class.RESERVED_KEYWORDS}
    | {  # Snowflake's and Spark's (ANSI) reserved words that DuckDB and BigQuery allow
        "ACCOUNT", "CONNECT", "CONNECTION", "DATABASE", "DELETE", "DROP", "GSCLUSTER",
        "INCREMENT", "INSERT", "ISSUE", "MINUS", "ORGANIZATION", "REGEXP", "REVOKE", "RLIKE",
        "ROW", "SAMPLE", "SCHEMA", "START", "TRIGGER", "UPDATE", "VALUES", "VIEW", "WHENEVER",
        "FILTER", "TIME", "UNKNOWN",
    }
)  # fmt: skip
"""Words written quoted even when they are plain lower-case names."""
_TABLE: Final[str] = "relmark_table"
"""Stands for ``table=`` in the DuckDB text; replaced by the name parsed in the target dialect."""


def _plain(name: str) -> bool:
    """A lower-case name every dialect reads unquoted as itself, case-insensitively: Snowflake
    resolves it to its upper-case stored name, Postgres folds it to lower case."""
    return _PLAIN.fullmatch(name) is not None and name.upper() not in _RESERVED


def _table(table: object, dialect: str) -> sqlglot.exp.Expression:
    """``table=`` (a table, a view or a subquery in parentheses) parsed in the target dialect;
    an ArgumentError naming ``table`` for anything else."""
    if not isinstance(table, str) or not table.strip():
        raise ArgumentError(f"must be a table name, got {table!r}", argument="table")
    try:
        statements = sqlglot.parse(f"SELECT * FROM {table}", read=dialect)
    except sqlglot.errors.SqlglotError as exc:
        raise ArgumentError(
            f"cannot read {table!r} as a table name or subquery in {dialect} SQL "
            f"({_first_line(exc)})",
            argument="table",
        ) from None
    tree = statements[0] if len(statements) == 1 else None
    extra = [] if tree is None else [k for k, v in tree.args.items() if v and k not in
                                     ("expressions", "from_")]  # fmt: skip
    source = None if tree is None or extra else tree.args["from_"].this
    if not isinstance(source, sqlglot.exp.Table | sqlglot.exp.Subquery):
        raise ArgumentError(
            f"must be one table name or a subquery in parentheses in {dialect} SQL, got {table!r}",
            argument="table",
        )
    return source


def _export(query: str, table: sqlglot.exp.Expression, dialect: str, pretty: bool) -> str:
    """The DuckDB ``query`` in ``dialect``: the user's column names that are :func:`_plain`
    unquoted (the quoted ones stay exactly as given), ``FROM relmark_table`` replaced by
    ``table`` as parsed in ``dialect``."""
    tree = sqlglot.parse_one(query, read="duckdb")
    for ident in tree.find_all(sqlglot.exp.Identifier):
        if ident.quoted and isinstance(ident.parent, sqlglot.exp.Column) and _plain(ident.name):
            ident.set("quoted", False)
    for node in list(tree.find_all(sqlglot.exp.Table)):
        if node.name == _TABLE:
            node.replace(table.copy())
    return tree.sql(dialect=dialect, pretty=pretty)


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
    litt: bool = False,
    holdout_spend: str = "period",
    net: bool = False,
    first: bool = False,
    guards: Sequence[tuple[str, str]] = (),
    overflow: str | None = None,
) -> str:
    """The summary query in DuckDB's dialect (the one sqlglot transpiles from).

    The repeat spend is the sum over the merged periods after the first (each marked with its
    customer's first period, ``start_p``, by a join on the customers' ``MIN(p)``: standard SQL
    in every dialect), as :func:`relmark.data.summarize` sums it; the total minus the first
    period's spend lost the digits of small repeat purchases after a huge first one (1e12,
    then 0.01 each: the sum 0.030029296875 for 0.03, an ulp of 1e12 being 1.2e-4).

    With ``litt`` the sum of the logs of the gaps between consecutive merged periods (``LAG``
    over each customer's periods); ``holdout_spend`` divides the holdout amounts by the
    holdout purchase periods (``"period"``) or rows. With
    ``net`` negative amounts are netted returns (checked first: each in a period with a
    purchase of its customer, so the merged periods are purchase periods): they are not
    counted as holdout transactions. With ``first`` the first purchase period counts in
    ``frequency`` and in the mean spend (``include_first_purchase``).

    ``guards`` are ``(condition on tx's customer_id, ts, amount; message)`` pairs: when a row
    of the table meets a condition the query fails, in every dialect, with the count of such
    rows and the message in the error: the text ``'relmark: <count> <message>'`` cast to an
    integer (a cast error in DuckDB, Postgres, BigQuery, Snowflake and ANSI Spark, which
    shows the text; an engine turning the failed cast into NULL gets NULL ``T`` in every
    row, which :meth:`~relmark.data.RFMSummary.from_frame` refuses). The end periods carry the
    guard, so no row of the result escapes it. With ``overflow`` (the amount column's name)
    a spend sum beyond the float range fails the query the same way, naming the customer (the
    engines check their results instead, naming the column as relmark.data does).
    """
    money = amount_expr is not None
    amount_col = f", {amount_expr} AS amount" if money else ""
    end = "MAX(ts)" if observation_end is None else _literal(observation_end)
    cal = calibration_end is not None
    bounds = f"SELECT {end} AS obs_end" + (
        f", {_literal(calibration_end)} AS cal_end" if calibration_end is not None else ""
    )
    g = " + g.g" if guards else ""
    ends = f"SELECT {_period('obs_end', time_unit)}{g} AS end_p" + (
        f", {_period('cal_end', time_unit)}{g} AS cal_p" if cal else ""
    )
    amt = ", amount" if money else ""
    where = " WHERE ts <= (SELECT cal_end FROM bounds)" if cal else ""
    net = net and money
    merged_amt = ", SUM(amount) AS amount" if money else ""
    merged_amt += ", SUM(ABS(amount)) AS scale" if net else ""
    # the spend summed over the periods it counts: all of them with ``first``, else the
    # periods after the first (never the total minus the first period: see above)
    later = "" if first else "CASE WHEN p > start_p THEN {} ELSE CAST(0 AS DOUBLE) END"
    total = f", SUM({later.format('amount') if later else 'amount'}) AS total" if money else ""
    if net:
        total += f", SUM({later.format('scale') if later else 'scale'}) AS scale"
    marked = money and not first
    t_end = "e.cal_p" if cal else "e.end_p"
    cols = [
        'c.customer_id AS "customer_id"',
        f'CAST(c.n{"" if first else " - 1"} AS DOUBLE) AS "frequency"',
        f'CAST(c.last_p - c.first_p AS DOUBLE) / {fm} AS "recency"',
        f'CAST({t_end} - c.first_p AS DOUBLE) / {fm} AS "T"',
    ]
    repeat = "c.total"
    if net:  # a netted period can leave -1e-15: zeroed relative to the amounts, as in memory
        scale = "c.scale"
        repeat = (
            f"(CASE WHEN ABS({repeat}) <= {_RESIDUE} * {scale} "
            f"THEN CAST(0 AS DOUBLE) ELSE {repeat} END)"
        )

    def finite(total: str, spend: str) -> str:
        """``spend``, or with ``overflow`` a failed cast naming the customer whose amounts
        add up beyond the float range (DuckDB, BigQuery, Snowflake and Spark sum to inf)."""
        if overflow is None:
            return spend
        text = (
            "'relmark: the amounts of customer ' || CAST(c.customer_id AS VARCHAR) || "
            f"' add up beyond the float range (about 1.8e308) (column "
            f"{overflow.replace(chr(39), chr(39) * 2)})'"
        )
        return (
            f"CASE WHEN ABS(COALESCE({total}, CAST(0 AS DOUBLE))) <= {_MAX_DOUBLE} "
            f"THEN {spend} ELSE CAST({text} AS BIGINT) END"
        )

    if money and first:
        spend = f"{repeat} / CAST(c.n AS DOUBLE)"
        cols.append(f'{finite("c.total", spend)} AS "monetary_value"')
    elif money:
        spend = (
            f"CASE WHEN c.n > 1 THEN {repeat} / CAST(c.n - 1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END"
        )
        cols.append(f'{finite("c.total", spend)} AS "monetary_value"')
    if cal:
        cols.append('CAST(COALESCE(h.n_periods, 0) AS DOUBLE) AS "frequency_holdout"')
        if money:
            per = "h.n_periods" if holdout_spend == "period" else "h.n_rows"
            h_total = "h.total"
            if net:
                h_total = (
                    f"(CASE WHEN ABS(h.total) <= {_RESIDUE} * h.scale THEN 0 ELSE h.total END)"
                )
            spend = (
                f"CASE WHEN {per} > 0 THEN {h_total} / CAST({per} AS DOUBLE) "
                "ELSE CAST(0 AS DOUBLE) END"
            )
            cols.append(f'{finite("h.total", spend)} AS "monetary_value_holdout"')
        cols.append(f'CAST(e.end_p - e.cal_p AS DOUBLE) / {fm} AS "duration_holdout"')
    ctes = [
        f"tx AS (SELECT {id_expr} AS customer_id, {ts_expr} AS ts{amount_col} FROM {table})",
        f"bounds AS ({bounds}{' FROM tx' if observation_end is None else ''})",
        f"ends AS ({ends} FROM bounds{' CROSS JOIN guard AS g' if guards else ''})",
        f"periods AS (SELECT customer_id, ts{amt}, {_period('ts', time_unit)} AS p FROM tx)",
        f"merged AS (SELECT customer_id, p{merged_amt} FROM periods{where} "
        "GROUP BY customer_id, p)",
    ]
    if marked:  # a join, not MIN(p) OVER (PARTITION BY customer_id): that window sorts the
        # merged periods, 1.7x the whole query's time on 20M rows (41 s against 24 s, loaded)
        kept = "".join(f", m.{c} AS {c}" for c in (["amount"] + (["scale"] if net else [])))
        ctes += [
            "firsts AS (SELECT customer_id, MIN(p) AS start_p FROM merged GROUP BY customer_id)",
            f"marked AS (SELECT m.customer_id AS customer_id, m.p AS p{kept}, f.start_p AS "
            "start_p FROM merged AS m JOIN firsts AS f ON m.customer_id = f.customer_id)",
        ]
    ctes.append(
        "customers AS (SELECT customer_id, MIN(p) AS first_p, MAX(p) AS last_p, COUNT(*) AS n"
        f"{total} FROM {'marked' if marked else 'merged'} GROUP BY customer_id)"
    )
    if guards:
        counts = ", ".join(
            f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS k{i}" for i, (cond, _) in enumerate(guards)
        )
        fails = " + ".join(
            f"CASE WHEN k{i} > 0 THEN CAST('relmark: ' || CAST(k{i} AS VARCHAR) || "
            f"' {message.replace(chr(39), chr(39) * 2)}' AS BIGINT) ELSE 0 END"
            for i, (_, message) in enumerate(guards)
        )
        ctes[2:2] = [
            f"checks AS (SELECT {counts} FROM tx)",
            f"guard AS (SELECT {fails} AS g FROM checks)",
        ]
    joins = ""
    if cal:
        rows = "SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END)" if net else "COUNT(*)"
        h_money = f", SUM(amount) AS total, {rows} AS n_rows" if money else ""
        h_money += ", SUM(ABS(amount)) AS scale" if net else ""
        ctes.append(
            "holdout AS (SELECT customer_id, COUNT(DISTINCT p) AS n_periods"
            f"{h_money} FROM periods WHERE ts > (SELECT cal_end FROM bounds) "
            "AND ts <= (SELECT obs_end FROM bounds) "
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
        cols.append('COALESCE(l.s, CAST(0 AS DOUBLE)) AS "sum_log_interpurchase"')
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

    **Preconditions.** The text cannot validate the data as :func:`summarize` does, so it
    fails (a cast error whose text starts ``relmark:`` and names the column) on
    the rows relmark.data refuses by default: a missing or blank customer id, a missing time,
    a time outside 1677-09-22 .. 2262-04-11 (placeholders such as 9999-12-31, ``infinity``),
    a missing, negative (a return), infinite or NaN amount, a customer's amounts adding up
    beyond the float range (about 1.8e308: it names the customer), a transaction after
    ``observation_end`` (in a later period of the grid for the summary, any later time for the
    calibration/holdout split: relmark.data's rules). This costs one more scan of the table.
    An engine that turns a failed cast into NULL (Spark with ANSI mode off) gives NULL ``T``
    in every row instead, which :meth:`~relmark.data.RFMSummary.from_frame` refuses. What
    the text cannot see is the caller's to ensure, in a view: times as wall-clock times of
    one zone (it reads the column as written), one currency, ids without stray spaces (only
    all-blank ids are caught) and compared exactly (no case- or accent-insensitive collation
    on the id column: it merges ``'Zz'`` and ``'zz'`` into one customer; cast it, e.g.
    ``customer_id COLLATE "C"`` in Postgres), returns dropped (or netted by
    :func:`relmark.data.summarize`). The rows come sorted in the id column's collation.

    **Names.** ``table`` is parsed in the target dialect (BigQuery's backquotes, Snowflake's
    double quotes). A column name that is plain lower case (``[a-z_][a-z0-9_]*``, not a
    reserved word) is written unquoted, so it resolves as the warehouse folds names
    (Snowflake's ``CUSTOMER_ID``, Postgres' ``customer_id``); any other name is quoted exactly
    as given (``"CustomerID"``, ``"order"``). The result's columns are relmark's names,
    quoted: ``T`` stays ``T`` in Postgres and Snowflake.

    Parameters
    ----------
    table
        The table (or view, or subquery in parentheses) holding the transactions, as written
        in the target dialect (e.g. ``"sales.orders"``, ``"`project.sales.orders`"`` in
        BigQuery).
    customer_id, datetime, monetary_value
        Column names of the customer id, the transaction time (a ``TIMESTAMP`` or ``DATE``
        column of wall-clock times; convert zoned times in the warehouse first) and,
        optionally, the value.
    time_unit
        Period grid: ``"D"``, ``"W"`` (Monday-to-Sunday), ``"h"`` or ``"M"``.
    freq_multiplier
        Divide times by this (``"D"`` with 7: weeks with day resolution).
    observation_end
        End of observation; the last transaction time when ``None``. Later transactions fail
        the query (see the preconditions). A wall-clock date or time (text, a datetime, a
        naive ``Timestamp``) in 1677-09-22 .. 2262-04-11, as the table's times are; one with a
        UTC offset or zone, or a number, is refused.
    calibration_end
        With a date: the calibration/holdout query (holdout up to ``observation_end``); read
        as ``observation_end``.
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
        finite number > 0, an unreadable date, one outside 1677-09-22 .. 2262-04-11 or with a
        UTC offset or zone, ``observation_end`` not after ``calibration_end``, a ``table``
        that is not one table name or subquery in the dialect, ``pretty`` not a bool.

    Examples
    --------
    >>> sql = summary_sql(table="`p.d.orders`", monetary_value="amount", dialect="bigquery")
    >>> "DATE_DIFF(" in sql and "GROUP BY" in sql
    True
    """
    dialect = check_choice(dialect, "dialect", DIALECTS)
    source = _table(table, dialect)
    unit = _unit(time_unit)
    fm = _multiplier(freq_multiplier)
    for name, value in (("calibration_end", calibration_end), ("observation_end", observation_end)):
        if value is not None and end_is_aware(value):  # the table's times are wall-clock times
            raise ArgumentError(
                f"has a UTC offset or time zone ({value!r}) while the table's times are "
                "wall-clock times (see the preconditions): give the end as a wall-clock time",
                argument=name,
            )
    obs, cal = _ends(observation_end, calibration_end)
    if obs is not None and cal is not None:  # the holdout would have no length
        with duckdb.connect() as con:
            apart = _periods_apart(con, obs, cal, unit)
        refuse_empty_holdout(
            calibration_end=cal, end=obs, given=True, periods_apart=apart, time_unit=unit
        )
    pretty = check_flag(pretty, "pretty")
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    id_col = _ident(customer_id, "customer_id")
    ts_col = _ident(datetime, "datetime")
    guards = [
        (
            "customer_id IS NULL OR TRIM(CAST(customer_id AS VARCHAR)) = ''",
            f"row(s) with a missing or blank customer id (column {customer_id})",
        ),
        ("ts IS NULL", f"row(s) with a missing time (column {datetime})"),
        (
            f"ts < {_literal(_TS_LOW)} OR ts > {_literal(_TS_HIGH)}",
            f"row(s) with a time outside 1677-09-22 .. 2262-04-11 (column {datetime}): "
            "placeholders such as 9999-12-31 are not dates",
        ),
    ]
    if monetary_value is not None:
        guards += [
            ("amount IS NULL", f"row(s) with a missing amount (column {monetary_value})"),
            (
                f"NOT (amount >= 0 AND amount <= {_MAX_DOUBLE})",
                f"row(s) with a negative (a return), infinite or NaN amount (column "
                f"{monetary_value}): drop the returns in a view",
            ),
        ]
    if obs is not None:  # the rules of relmark.data: a later period, or any later time
        late = (
            f"ts > {_literal(obs)}"
            if cal is not None
            else (f"{_period('ts', unit)} > {_period(_literal(obs), unit)}")
        )
        guards.append(
            (late, f"row(s) after observation_end {obs} (column {datetime}): end the view there")
        )
    query = _query(
        table=_TABLE,
        id_expr=id_col,
        ts_expr=f"CAST({ts_col} AS TIMESTAMP)",
        amount_expr=None
        if monetary_value is None
        else f"CAST({_ident(monetary_value, 'monetary_value')} AS DOUBLE)",
        time_unit=unit,
        fm=fm,
        observation_end=obs,
        calibration_end=cal,
        litt=chosen.litt,
        holdout_spend=chosen.holdout_spend,
        first=chosen.first,
        guards=guards,
        overflow=monetary_value,
    )
    return _export(query, source, dialect, pretty)


_WALL_CLOCK: Final[LogOptions] = LogOptions.check(
    customer_id="customer_id", datetime="date", monetary_value=None, currency=None,
    date_format=None, dayfirst=None, date_unit=None, timezone=None, returns="refuse",
    missing_ids="refuse",
)  # fmt: skip
"""The rules :func:`summary_sql` reads its end dates by: those of a log of wall-clock times
(aware dates converted to UTC)."""


def _ends(
    observation_end: object, calibration_end: object, opts: LogOptions = _WALL_CLOCK
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The end dates read as :func:`relmark.data.summarize` reads them, with the log's rules
    ``opts`` (:func:`relmark.data._read.option_date`: numbers in ``date_unit``, text in
    ``date_format``, aware dates converted to ``timezone``, 1677-09-22 .. 2262-04-11): an
    ArgumentError naming the option otherwise. ``pd.Timestamp(value)`` read 5 as 5 ns after
    1970, ``1.7e9`` with ``date_unit='s'`` as 1.7 s, ``'01/03/2024'`` with
    ``date_format='%d/%m/%Y'`` as 3 January, and accepted 9999-12-31."""

    def read(value: object, name: str) -> pd.Timestamp | None:
        return None if value is None else pd.Timestamp(option_date(value, name, opts))

    cal = read(calibration_end, "calibration_end")  # first, as relmark.data reads them
    obs = read(observation_end, "observation_end")
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
            if os.path.isdir(p):
                folder = p.rstrip("/" + os.sep) or p
                raise ArgumentError(
                    f"{p!r} is a folder: pass a glob of its files, e.g. "
                    f"'{folder}/*.parquet' (or '{folder}/**/*.parquet' with sub-folders, "
                    f"'{folder}/*.csv' for CSV)",
                    argument="source",
                )
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
    refuse_lazy(source, "source")
    module = type(source).__module__.split(".")[0]
    if module in ("polars", "pyarrow"):
        arrow = source.to_arrow() if module == "polars" else source
        return con.from_arrow(arrow), f"the {module} table"
    raise ArgumentError(
        "must be a path or glob of Parquet/CSV files, a list of them, a DuckDB relation, a "
        f"pandas or polars DataFrame or a pyarrow Table, got {type(source).__name__}",
        argument="source",
    )


def _refuse_twin_columns(
    source: object, rel: duckdb.DuckDBPyRelation, columns: Sequence[str | None], name: str
) -> None:
    """A column read (``columns``) whose name the source holds twice: DuckDB reads the first
    (it renames a frame's second ``date`` to ``date_1``), relmark.data refuses it; a
    DataError naming the column. Files are read with DuckDB's names."""
    if isinstance(source, pd.DataFrame):
        names = [str(c) for c in source.columns]
    elif hasattr(source, "column_names") and not isinstance(source, duckdb.DuckDBPyRelation):
        names = [str(c) for c in source.column_names]
    else:
        names = list(rel.columns)
    for column in columns:
        if column is not None and names.count(column) > 1:
            raise DataError(
                f"{names.count(column)} columns of {name} have this name: keep one, or rename "
                "the others",
                column=column,
            )


def _parquet_kind(physical: object, converted: object, logical: object) -> str:
    """What a Parquet file's column holds, by its schema: ``'zoned'`` (timestamps adjusted to
    UTC, which DuckDB reads as TIMESTAMP WITH TIME ZONE), ``'naive'`` (timestamps without a
    zone, INT96, dates), ``'text'``, ``'integer'``, ``'float'``, ``'boolean'`` or the physical
    type."""
    logical, converted = str(logical or ""), str(converted or "")
    if logical.startswith("TimestampType"):
        return "zoned" if "isAdjustedToUTC=1" in logical else "naive"
    if physical == "INT96" or converted.startswith(("TIMESTAMP", "DATE")):
        return "naive"
    if logical.startswith("DateType"):
        return "naive"
    if logical.startswith(("StringType", "EnumType", "JsonType")) or converted in (
        "UTF8",
        "ENUM",
        "JSON",
    ):
        return "text"
    if physical in ("INT32", "INT64") or converted.startswith(("INT", "UINT")):
        return "integer"
    if physical in ("FLOAT", "DOUBLE") or converted == "DECIMAL":
        return "float"
    if physical == "BOOLEAN":
        return "boolean"
    return str(physical)


_KIND_WORDS: Final[dict[str, str]] = {
    "zoned": "timestamps with a time zone (UTC-adjusted)",
    "naive": "timestamps or dates without a time zone",
    "text": "text",
    "integer": "whole numbers",
    "float": "floating-point numbers",
    "number": "floating-point numbers",
    "BYTE_ARRAY": "binary values (BLOB)",
    "boolean": "booleans",
}


def _top_level(
    rows: Sequence[tuple[Any, ...]],
) -> list[tuple[str, str, object, object, object]]:
    """The top-level columns of DuckDB's ``parquet_schema`` rows (``file_name, name,
    num_children, type, converted_type, logical_type``, in each file's schema order: the root,
    then its children depth first), as ``(file, name, type, converted, logical)``; a field of a
    struct named like a column is not one (it was taken for the column: 'text in' the file)."""
    out: list[tuple[str, str, object, object, object]] = []
    stack: list[int] = []
    current: object = None
    for file_name, col, children, physical, converted, logical in rows:
        if file_name != current or not stack:  # a file's root
            current, stack = file_name, [int(children or 0)]
            continue
        if len(stack) == 1:
            out.append((str(file_name), str(col), physical, converted, logical))
        stack[-1] -= 1
        if children:
            stack.append(int(children))
        while len(stack) > 1 and stack[-1] == 0:
            stack.pop()
    return out


def _refuse_mixed_files(
    source: object,
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[tuple[str | None, str]],
    name: str,
) -> None:
    """Parquet files that disagree on what a column read holds: DuckDB reads every file as the
    first one's type, silently (a file of Europe/Paris timestamps among naive ones was read as
    wall clocks in UTC; ids 7 among text ids became '7'; text dates among timestamps were
    parsed; amounts 1.5 after a file of whole numbers were rounded to 2). relmark.data refuses
    dates with a zone mixed with dates without and ids mixing text and numbers: so is a mix of
    files here, a DataError naming the column and two files; and so is a file holding a
    column read twice (DuckDB read the first, renaming the second ``date_1``). DuckDB matches
    the names of the files' columns regardless of case, and so does this check. ``columns``
    pairs a column with its role (``'date'``, ``'id'``, ``'amount'`` or ``'currency'``)."""
    paths = _paths(source)
    if paths is None or not all(p.lower().endswith(_PARQUET) for p in paths):
        return
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    try:
        rows = con.sql(
            "SELECT file_name, name, num_children, type, converted_type, logical_type "
            f"FROM parquet_schema([{listed}])"
        ).fetchall()
    except duckdb.Error:
        return  # unreadable files are reported by the scan, by DuckDB's words
    top = _top_level(rows)
    for column, role in columns:
        if column is None:
            continue
        kinds: dict[str, str] = {}
        per_file: dict[str, int] = {}
        for file_name, col, physical, converted, logical in top:
            if col.lower() == column.lower():
                per_file[file_name] = per_file.get(file_name, 0) + 1
                kinds.setdefault(_parquet_kind(physical, converted, logical), file_name)
        twice = [f for f, k in per_file.items() if k > 1]
        if twice:
            raise DataError(
                f"{per_file[twice[0]]} columns of {twice[0]} have this name (in {name}): keep "
                "one, or rename the others",
                column=column,
            )
        if role == "amount":  # DuckDB casts 1.5 to a first file's BIGINT as 2
            kinds = {("number" if k == "float" else k): f for k, f in kinds.items()}
            if set(kinds) <= {"number", "integer"} and "integer" not in list(kinds)[:1]:
                continue  # whole numbers after floats are read as floats, exactly
        if len(kinds) < 2:
            continue
        # the zoned file first: the zone is what the mix loses
        (k1, f1), (k2, f2) = sorted(kinds.items(), key=lambda kv: kv[0] != "zoned")[:2]
        what = {"date": "dates", "id": "customer ids", "amount": "amounts"}.get(role, "currencies")
        advice = (
            "give every file's dates a time zone, or none"
            if "zoned" in kinds
            else f"write the {what} of every file with one type"
        )
        raise DataError(
            f"the files of {name} hold different kinds of {what}: {_KIND_WORDS.get(k1, k1)} in "
            f"{f1}, {_KIND_WORDS.get(k2, k2)} in {f2} (DuckDB would read every file as the "
            f"first one's type): {advice}",
            column=column,
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
    # the naive UTC time as an instant, explicitly: a cast to TIMESTAMPTZ would read it in the
    # session's TimeZone (a relation's own connection may not be in UTC)
    return f"timezone('{quoted}', timezone('UTC', {ts}))"


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


_MEMORY_ADVICE: Final[str] = (
    "raise memory_limit, or lower threads (each thread holds its own hash tables)"
)


def _check_progress(progress: object) -> Callable[[float], None] | None:
    """The ``progress(percent)`` callback of :func:`summarize`, :func:`calibration_holdout`
    and :func:`summarize_to_parquet`: None or a callable, an ArgumentError naming
    ``progress`` otherwise."""
    if progress is not None and not callable(progress):
        raise ArgumentError("must be a callable(percent)", argument="progress")
    return progress


def _interrupted(exc: BaseException) -> bool:
    """A query stopped by Ctrl-C: DuckDB's InterruptException, or the RuntimeError('Query
    interrupted') this DuckDB raises when it saw the signal (the KeyboardInterrupt is lost)."""
    if isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and str(exc).startswith("Query interrupted")


def _run_guarded(work: Callable[[], _T], name: str, *, advice: str = _MEMORY_ADVICE) -> _T:
    """``work()`` (DuckDB queries on ``name``) with DuckDB's errors mapped, the same for
    every query of this module: out of memory is an ArgumentError naming ``memory_limit``
    (with ``advice``), an interrupted query (Ctrl-C) a KeyboardInterrupt again, any other
    DuckDB error (a failed cast, an unreadable file, a bad column type) a DataError naming
    ``name`` and DuckDB's first line."""
    try:
        return work()
    except duckdb.OutOfMemoryException as exc:
        raise ArgumentError(
            f"DuckDB ran out of memory on {name} ({_first_line(exc)}): {advice}",
            argument="memory_limit",
        ) from None
    except (duckdb.Error, RuntimeError) as exc:
        if _interrupted(exc):
            raise KeyboardInterrupt(f"the DuckDB query on {name} was interrupted") from None
        if not isinstance(exc, duckdb.Error):
            raise
        raise DataError(f"DuckDB could not read {name}: {_first_line(exc)}") from None


def _run(rel: duckdb.DuckDBPyRelation, sql: str, name: str) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        result = rel.query(_SOURCE, sql)
        assert result is not None
        return dict(result.fetchnumpy())

    return _run_guarded(work, name)


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
    out = _watched(con, progress, lambda: _run(rel, sql_text, name))
    if progress is not None:
        progress(100.0)
    return out


_PROGRESS_EVERY: float = 0.2
"""Seconds between two readings of DuckDB's progress while a query runs (the tests read it
every millisecond, so that a query of a tenth of a second reports on any machine)."""


def _watched(
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[float], None] | None,
    work: Callable[[], _T],
    *,
    before: float = 0.0,
    share: float = 100.0,
) -> _T:
    """``work()``, while a watcher thread (which only reads the connection's progress) calls
    ``progress`` every 0.2 s with ``before + share * p / 100`` when DuckDB's percentage done
    ``p`` has grown: one query of several reports its share of the whole."""
    if progress is None:
        return work()
    done = threading.Event()

    def watch() -> None:
        last = -1.0
        while not done.wait(_PROGRESS_EVERY):
            pct = float(con.query_progress())
            if pct > last:  # reported only when it grows (-1: nothing running yet)
                progress(before + share * min(pct, 100.0) / 100.0)
                last = pct

    watcher = threading.Thread(target=watch, name="relmark-duckdb-progress", daemon=True)
    watcher.start()
    try:
        return work()
    finally:
        done.set()
        watcher.join()


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
    last: bool = False,
) -> dict[str, Any]:
    """One scan counting every kind of bad row; a DataError naming the column and the first
    offending customers for the first kind found. Returns the scan's counts (``n``: the rows)
    and with ``last`` the last transaction time (``last_ts``) in the same scan."""
    checks: list[tuple[str, str, str | None, str]] = [
        (
            _blank_id(id_col, id_type),
            "missing or blank customer ids (pass missing_ids='drop' to drop and count them)",
            customer_id,
            "row",
        ),
        (f"{raw_date} IS NULL", "missing dates", datetime, "id"),
        (f"{raw_date} IS NOT NULL AND {ts} IS NULL", unparseable, datetime, "id"),
        (
            f"{ts} < {_literal(_TS_LOW)} OR {ts} > {_literal(_TS_HIGH)}",
            "dates outside 1677-09-22 .. 2262-04-11 (the range of nanosecond timestamps; "
            "placeholders such as 9999-12-31 are not dates)",
            datetime,
            "id",
        ),
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
                # not isnan: DuckDB folds isnan to false where a Parquet file's statistics
                # (min and max, which skip NaN) are finite, and accepted NaN amounts
                f"{num} IS NULL OR NOT isfinite({num})",
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
    maximum = f", MAX({ts}) AS last_ts" if last else ""
    got = _run(rel, f"SELECT COUNT(*) AS n, {counts}{maximum} FROM {_SOURCE}", name)
    if int(got["n"][0]) == 0:
        if dropped:
            raise DataError(f"no transactions left in {name} after dropping (see the notes)")
        raise DataError(f"the transaction log in {name} is empty")
    for i, (cond, message, column, _kind) in enumerate(checks):
        count = got[f"c{i}"][0]
        if count is np.ma.masked or int(count) == 0:
            continue
        if _kind == "row":
            raise DataError(
                f"{message} in {name}: {_plural(int(count), 'row')}",
                column=column,
                count=int(count),
            )
        # rows= lists customers, so count= is of customers (it was of rows: 'and 1777 more'
        # for 614 more customers)
        rows = _sample(rel, id_col, cond, name)
        customers = int(
            _run(rel, f"SELECT COUNT(DISTINCT {id_col}) AS k FROM {_SOURCE} WHERE {cond}", name)[
                "k"
            ][0]
        )
        if _EXAMPLES in message:
            message = message.replace(_EXAMPLES, repr(_examples(rel, raw_date, cond, name)))
        raise DataError(
            f"{message} in {name}: {_plural(int(count), 'row')} of "
            f"{_plural(customers, 'customer')} (rows are customer ids)",
            column=column,
            rows=rows,
            count=customers,
        )
    return got


_EXAMPLES: Final[str] = "\x00examples\x00"
"""Where a message of :func:`_validate` shows the first offending raw values."""


def _examples(
    rel: duckdb.DuckDBPyRelation, raw: str, condition: str, name: str, limit: int = 3
) -> list[str]:
    """The first ``limit`` offending values of column ``raw`` as text (as relmark.data's
    'unparseable dates such as [...]')."""
    got = _run(
        rel,
        f"SELECT CAST({raw} AS VARCHAR) AS v FROM {_SOURCE} WHERE {condition} LIMIT {limit}",
        name,
    )["v"]
    return [str(v) for v in np.asarray(got, dtype=object).tolist()]


_SPACE: Final[str] = "' \t\n\r\x0b\x0c'"
_WHITE: Final[str] = "'" + "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "'"
"""Every character Python's ``str.strip`` removes (Unicode white space: ``\\x1c``, NBSP,
U+3000, ...), as a SQL text of characters to trim."""
_ASCII_WHITE: Final[str] = "'" + "".join(c for c in map(chr, range(128)) if c.isspace()) + "'"
_ZERO_WIDTH: Final[str] = "'" + _INVISIBLE + "'"


def _canonical_id(text: str) -> str:
    """DuckDB SQL for relmark.data's canonical id (``relmark.data._read._canonical``): the
    text without Unicode white space around it and, when not ASCII (more bytes than
    characters), also in normal form C without zero-width characters around it. Only ASCII
    white space was trimmed: ``'a\\u00a0'`` and ``'a'``, ``'e\\u0301'`` and ``'\\u00e9'``
    were two customers, an id of NBSP one more.

    An ASCII id whose first and last characters are above ``' '`` is its own canonical form:
    tested first, as a trim with a list of characters costs (5M ids, 2 threads: 0.2 s for
    the blank and padded counts together, against 2.9 s for the former ASCII trims and 9 s
    for trims with every Unicode space)."""
    unicode = (
        f"TRIM(TRIM(TRIM(nfc_normalize(TRIM({text}, {_WHITE})), {_WHITE}), {_ZERO_WIDTH}), "
        f"{_WHITE})"
    )
    ascii_id = (
        f"CASE WHEN substring({text}, 1, 1) > ' ' AND substring({text}, -1, 1) > ' ' "
        f"THEN {text} ELSE TRIM({text}, {_ASCII_WHITE}) END"
    )
    return f"(CASE WHEN strlen({text}) = length({text}) THEN {ascii_id} ELSE {unicode} END)"


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
    return f"({id_col} IS NULL OR {_canonical_id(f'CAST({id_col} AS VARCHAR)')} = '')"


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
            raise DataError(
                f"{message} in {name}: {_plural(int(count), 'row')}",
                column=column,
                count=int(count),
            )
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
    """Ids that differ only by white space around them (``" 007"`` and ``"007"``), zero-width
    characters around them or Unicode normal form (:func:`_canonical_id`) are refused, as in
    memory: two customers to the data, most likely one in the export. A cheap count first;
    the grouping runs only over the ids that differ from their canonical form."""
    stripped = _canonical_id(id_col)
    got = _run(rel, f"SELECT COUNT(*) AS k FROM {_SOURCE} WHERE {id_col} <> {stripped}", name)
    if int(got["k"][0]) == 0:
        return
    twins = _run(
        rel,
        f"WITH padded AS (SELECT DISTINCT {stripped} AS t FROM {_SOURCE} "
        f"WHERE {id_col} <> {stripped}) "
        f"SELECT s.{id_col} AS c FROM {_SOURCE} AS s JOIN padded AS p "
        f"ON {_canonical_id(f's.{id_col}')} = p.t "
        f"GROUP BY s.{id_col}, p.t QUALIFY COUNT(*) OVER (PARTITION BY p.t) > 1 "
        "ORDER BY 1 LIMIT 10",
        name,
    )["c"]
    if len(twins):
        rows = np.asarray(twins, dtype=object).tolist()
        raise DataError(
            f"customer ids in {name} that differ only by spaces around them (or zero-width "
            f"characters, or Unicode normal form), such as {rows[0]!r}: strip them, or make "
            "them distinct",
            column=customer_id,
            rows=rows,
        )


def _own_connection(source: object, **settings: object) -> None:
    """Refuse DuckDB settings for a DuckDB relation: its queries run on the relation's own
    connection, where relmark's connection settings would be silently ignored; an
    ArgumentError naming the first setting given."""
    if not isinstance(source, duckdb.DuckDBPyRelation):
        return
    for name, value in settings.items():
        if value is not None:
            raise ArgumentError(
                "a DuckDB relation runs on its own connection, which relmark does not change: "
                f'set {name} there (con.execute("SET {name} = ...")), or pass files or a '
                "frame",
                argument=name,
            )


def _nested(type_name: str) -> bool:
    """A list, array, struct, map or union type (``VARCHAR[]``, ``STRUCT(x INTEGER)``)."""
    return "[" in type_name or type_name.startswith(("STRUCT", "MAP", "UNION", "LIST"))


def _refuse_types(
    rel: duckdb.DuckDBPyRelation,
    name: str,
    customer_id: str,
    id_type: str,
    datetime: str,
    monetary_value: str | None,
) -> None:
    """Column types no row of which is valid, refused before any scan with
    :func:`relmark.data.summarize`'s messages (booleans), or naming the type (nested values):
    a DataError naming the column. Without this a boolean amount was read as 1.0/0.0 and a
    list of ids failed in DuckDB's binder, naming no column."""
    date_type = _column_type(rel, datetime, name)
    amount_type = None if monetary_value is None else _column_type(rel, monetary_value, name)
    checks = [
        (customer_id, id_type, "customer ids are booleans (True/False), not ids", "ids are "
         "whole numbers or text"),
        (datetime, date_type, "dates are booleans (True/False)", "dates are timestamps, dates, "
         "text or numbers with date_unit="),
        (monetary_value, amount_type, "amounts are booleans (True/False), not numbers",
         "amounts are numbers"),
    ]  # fmt: skip
    for column, type_name, boolean, wanted in checks:
        if column is None or type_name is None:
            continue
        if type_name == "BOOLEAN":
            raise DataError(f"{boolean} in {name}", column=column)
        if _nested(type_name):
            raise DataError(f"column of type {type_name} in {name}: {wanted}", column=column)


def _connection(
    memory_limit: str | None, threads: int | None, *, track: bool = False
) -> duckdb.DuckDBPyConnection:
    """relmark's DuckDB connection: UTC, the settings checked; with ``track`` DuckDB tracks
    each query's progress for ``query_progress()`` (off by default in a non-interactive
    process, where it stayed -1: a progress callback got 100 only), never printing its own
    bar (relmark's callbacks report it)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar_print = false")
    if track:
        con.execute("SET enable_progress_bar = true")
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


@dataclass(frozen=True)
class _Prepared:
    """A validated log, ready for the summary query: the relation (after the drops), its name
    for messages, the :func:`_query` keywords, the notes, the currency code, the rows and (when
    asked for) the last transaction time."""

    con: duckdb.DuckDBPyConnection
    rel: duckdb.DuckDBPyRelation
    name: str
    id_col: str
    query: dict[str, Any]
    notes: list[str]
    currency: str | None
    rows: int
    last: pd.Timestamp | None
    unit: str
    freq_multiplier: float
    first: bool


def _execute(
    source: Source,
    *,
    memory_limit: str | None,
    threads: int | None,
    progress: Callable[[float], None] | None,
    **options: Any,
) -> RFMSummary:
    """The checked summary query run into an :class:`~relmark.data.RFMSummary`."""
    progress = _check_progress(progress)
    _own_connection(source, memory_limit=memory_limit, threads=threads)
    track = progress is not None
    prep = _prepare(source, lambda: _connection(memory_limit, threads, track=track), **options)
    try:
        query = _query(table=_SOURCE, **prep.query)
        out = _run_watched(prep.rel, prep.con, query, prep.name, progress)
    finally:
        prep.con.close()
    return _to_summary(
        out,
        prep.unit,
        prep.freq_multiplier,
        currency=prep.currency,
        notes=prep.notes,
        first=prep.first,
        amount_column=options["monetary_value"],
    )


def _prepare(
    source: Source,
    connect: Callable[[], duckdb.DuckDBPyConnection],
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
    currency: str | None = None,
    dayfirst: bool | None = None,
    date_unit: str | None = None,
    returns: str = "refuse",
    missing_ids: str = "refuse",
    sum_log_interpurchase: bool = False,
    holdout_spend: str = "period",
    include_first_purchase: bool = False,
    find_last: bool = False,
) -> _Prepared:
    """Check the options, open the connection (``connect``) and validate the log in its
    scans, once: what :func:`_query` needs to summarise it. With ``find_last``, the last
    transaction time is found in the validation scan (a partitioned query needs the one end of
    observation of the whole log). The connection is closed on an error, else by the caller."""
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    unit = _unit(time_unit)
    fm = _multiplier(freq_multiplier)
    fm_value = float(freq_multiplier)
    if date_format is not None and (not isinstance(date_format, str) or not date_format):
        raise ArgumentError(
            f"must be a strftime format, got {date_format!r}", argument="date_format"
        )
    opts = log_options(
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
    obs, cal = _ends(observation_end, calibration_end, opts)
    con = connect()
    notes: list[str] = []
    try:
        if obs is not None and cal is not None:  # before any scan
            apart = _periods_apart(con, obs, cal, unit)
            refuse_empty_holdout(
                calibration_end=cal, end=obs, given=True, periods_apart=apart, time_unit=unit
            )
        rel, name = _relation(source, con)
        id_col = _ident(customer_id, "customer_id")
        raw_date = _ident(datetime, "datetime")
        _refuse_twin_columns(source, rel, [customer_id, datetime, monetary_value, currency], name)
        _refuse_mixed_files(
            source,
            con,
            [(customer_id, "id"), (datetime, "date"), (monetary_value, "amount"), (currency, "c")],
            name,
        )
        id_type = _column_type(rel, customer_id, name)
        _refuse_types(rel, name, customer_id, id_type, datetime, monetary_value)
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
        if id_type.startswith(("FLOAT", "DOUBLE", "REAL")):
            raise DataError(
                f"customer ids in {name} are floating-point numbers ({id_type}): ids are whole "
                "numbers or text (a float column usually means missing ids read as NaN)",
                column=customer_id,
            )
        if id_type.startswith(("DECIMAL", "HUGEINT", "UHUGEINT", "BLOB")):
            # DECIMAL was called floating-point; HUGEINT ids came back as floats (refused as
            # "an id column read as float"), BLOB ids as bytearrays (accepted, unhashable)
            raise DataError(
                f"customer ids in {name} are of type {id_type}: ids are text or whole numbers "
                "of at most 64 bits (cast the column to VARCHAR or BIGINT)",
                column=customer_id,
            )
        date_type = _column_type(rel, datetime, name)
        is_time = date_type.startswith(("TIMESTAMP", "DATE"))
        if date_format is not None and is_time:
            raise ArgumentError(
                f"is for dates given as text, but column {datetime!r} of {name} holds "
                f"timestamps ({date_type}), not text: drop it (a timestamp needs no format)",
                argument="date_format",
            )
        unparseable = f"unparseable dates such as {_EXAMPLES} " + (
            "(pass their format with date_format=)"
            if date_format is None
            else f"(expected format {date_format!r})"
        )
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
        zoned = [
            (n, v)
            for n, v in (("observation_end", observation_end), ("calibration_end", calibration_end))
            if v is not None and end_is_aware(v)
        ]
        if zoned:  # relmark.data's check_end_zone: two clocks compared otherwise
            if "WITH TIME ZONE" in date_type or date_unit is not None:
                log_aware = "WITH TIME ZONE" in date_type or date_unit != "excel"
            elif is_time:
                log_aware = False
            else:
                log_aware = _count(rel, _has_offset(f"CAST({raw_date} AS VARCHAR)"), name) > 0
            if not log_aware:
                raise end_zone_error(*zoned[0])
        amount_col = None
        if monetary_value is not None:
            amount_col = _ident(monetary_value, "monetary_value")
            _column_type(rel, monetary_value, name)
        late = None
        if cal is not None and obs is not None:
            late = f"{ts} > {_literal(obs)}"
        elif obs is not None:
            late = f"{_period(ts, unit)} > {_period(_literal(obs), unit)}"
        scan = _validate(
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
            last=find_last,
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
                end = pd.Timestamp(_run(rel, f"SELECT MAX({ts}) AS m FROM {_SOURCE}", name)["m"][0])
                if end <= cal:
                    raise ArgumentError(
                        f"the last transaction {end} is not after it: pass observation_end",
                        argument="calibration_end",
                    )
                apart = _periods_apart(con, end, cal, unit)
                refuse_empty_holdout(
                    calibration_end=cal, end=end, given=False, periods_apart=apart, time_unit=unit
                )
        query: dict[str, Any] = {
            "id_expr": id_col,
            "ts_expr": ts,
            "amount_expr": None if amount_col is None else f"CAST({amount_col} AS DOUBLE)",
            "time_unit": unit,
            "fm": fm,
            "observation_end": obs,
            "calibration_end": cal,
            "litt": chosen.litt,
            "holdout_spend": chosen.holdout_spend,
            "first": chosen.first,
        }
        latest = None
        if find_last:
            value = scan["last_ts"][0]
            latest = None if value is np.ma.masked else pd.Timestamp(value)
    except BaseException:
        con.close()
        raise
    return _Prepared(
        con=con,
        rel=rel,
        name=name,
        id_col=id_col,
        query=query,
        notes=notes,
        currency=code,
        rows=int(scan["n"][0]),
        last=latest,
        unit=unit,
        freq_multiplier=fm_value,
        first=chosen.first,
    )


def _periods_apart(
    con: duckdb.DuckDBPyConnection, end: pd.Timestamp, start: pd.Timestamp, time_unit: str
) -> int:
    """The periods of ``time_unit`` from ``start``'s to ``end``'s (the query's rule)."""
    span = f"{_period(_literal(end), time_unit)} - {_period(_literal(start), time_unit)}"
    return int(con.execute(f"SELECT {span}").fetchall()[0][0])


def _refuse_overflow(customers: Sequence[object], column: str) -> None:
    """relmark.data's DataError for spend sums beyond the float range (finite amounts, an
    infinite sum), naming the amount column and the customers; nothing for none."""
    if len(customers):
        raise DataError(
            "the amounts of these customers add up beyond the float range (about 1.8e308)",
            column=column,
            rows=list(customers),
        )


_NUMBER_TYPES: Final[tuple[str, ...]] = (*_WHOLE_TYPES, "FLOAT", "DOUBLE", "DECIMAL", "REAL")


_SHOWN_CUSTOMERS: Final[int] = 10
"""The customers a spend-overflow error lists at most."""


def _not_finite(batch: Any) -> list[object]:
    """The customers of an Arrow record batch of the summary whose ``monetary_value`` or
    ``monetary_value_holdout`` is not finite (their amounts summed beyond the float range).

    :func:`summarize_to_parquet` checks each batch as it streams it to the file (about 1 ms
    per million customers), rather than reading the file again afterwards (11 ms per 1.8
    million customers from the page cache, more from disk) or failing the query at the first
    such customer (the ``overflow`` guard of :func:`_query`, which names one customer in a
    cast error, where relmark.data lists them in a DataError)."""
    import pyarrow.compute as pc

    mask = None
    for column in ("monetary_value", "monetary_value_holdout"):
        if column in batch.schema.names:
            bad = pc.fill_null(pc.invert(pc.is_finite(batch.column(column))), False)
            mask = bad if mask is None else pc.or_(mask, bad)
    if mask is None or not pc.any(mask).as_py():
        return []
    return list(batch.column("customer_id").filter(mask).to_pylist())


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
    amount_column: str | None = None,
) -> RFMSummary:
    """An RFMSummary from the query's columns (numpy arrays); a spend beyond the float range
    is the DataError of relmark.data, naming ``amount_column`` and the customers."""
    ids = np.asarray(out["customer_id"])
    if ids.dtype.kind in "USO":
        ids = np.asarray(ids, dtype=object)
    for key in ("monetary_value", "monetary_value_holdout"):
        if key in out:
            spend = np.ma.filled(np.ma.asarray(out[key], dtype=np.float64), np.nan)
            _refuse_overflow(ids[~np.isfinite(spend)].tolist(), amount_column or key)
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
        As for :func:`relmark.data.summarize`: ``observation_end`` is read with the log's
        rules (a number in ``date_unit``, text in ``date_format``, 1677-09-22 ..
        2262-04-11; one with a UTC offset or zone only for a log of zoned times).
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
        Refused for a DuckDB relation (an ArgumentError naming it): the relation's queries run
        on its own connection, whose settings apply (``SET memory_limit`` there).
    threads
        DuckDB's worker threads (default: all cores); refused for a DuckDB relation, as
        ``memory_limit``.
    progress
        Called with the percentage done (0-100) every 0.2 s while the summary query runs and
        with 100 at the end (e.g. ``lambda pct: bar.update(pct - bar.n)`` with a tqdm bar);
        nothing is shown otherwise. For a DuckDB relation (which runs on its own connection)
        only the final 100.
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
        amounts, transactions after ``observation_end``, an empty log, an unreadable file;
        Parquet files that disagree on what the date or id column holds (timestamps with a
        time zone in one, without in another; text ids in one, numbers in another), which
        DuckDB would read as the first file's type. Errors listing customers count customers
        (the message says how many rows too).
    ArgumentError
        Naming the argument: an unknown source type or file kind, time unit, a multiplier
        that is not a finite number > 0, an unreadable date, ``date_format`` for a column of
        timestamps (it is for text); an option this engine does not
        compute (``returns="net"``, ``dayfirst``), naming :func:`relmark.data.summarize`;
        ``memory_limit`` when DuckDB runs out of memory; a DuckDB setting given with a
        relation.
    CurrencyError
        The ``currency`` column holds two or more currencies.
    KeyboardInterrupt
        The query was interrupted (Ctrl-C, or the relation's connection's ``interrupt()``).

    Notes
    -----
    Dates outside 1677-09-22 .. 2262-04-11 (placeholders such as 9999-12-31, ``infinity``)
    are refused as in memory, and so are column types no row of which is valid (booleans,
    lists, structs), naming the column. ``monetary_value`` is the sum of the spend in the
    periods after the first divided by ``frequency``, as in memory: never the total minus the
    first period (which lost the digits of small repeat purchases after a huge first one).

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


# ---------------------------------------------------------------------- summary to Parquet
_ROWS_PER_PARTITION: Final[int] = 25_000_000
"""Transaction rows per customer-hash partition when ``partitions=None`` (at most): at 100M
rows (2 cores, DuckDB's default memory limit) 2 partitions peaked at 4.1 GiB in 33 s, 5 at
1.7 GiB in 27 s (the hash tables of the first period and the merged periods dominate; the
extra scans of the source cost less)."""
_BYTES_PER_ROW: Final[int] = 64
"""About the bytes of DuckDB's hash tables per transaction row of a partition (the merged
periods and the customers): ``partitions=None`` keeps a partition's rows times this under the
memory limit."""
_BATCH_ROWS: Final[int] = 1_000_000
_PARTITION_ADVICE: Final[str] = "raise memory_limit or partitions, or lower threads"
_SIZE_UNITS: Final[dict[str, float]] = {
    "B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
    "KIB": 2.0**10, "MIB": 2.0**20, "GIB": 2.0**30, "TIB": 2.0**40,
}  # fmt: skip


@dataclass(frozen=True)
class SummaryFile:
    """What :func:`summarize_to_parquet` wrote: the file and the summary's metadata (the
    columns themselves stay on disk).

    Attributes
    ----------
    path
        The Parquet file written.
    customers
        Its rows: one per customer.
    time_unit
        The summary's time-unit label (also in the file's ``time_unit`` column), as
        :attr:`relmark.data.RFMSummary.time_unit`.
    currency
        The one currency of the spend (also in the file's ``currency`` column), or None.
    notes
        What was dropped, as :attr:`relmark.data.RFMSummary.notes`.
    include_first_purchase
        Whether frequency and spend count the first purchase (then the file has an
        ``include_first_purchase`` column holding True, which the models refuse).
    partitions
        The customer-hash partitions the query ran in.
    """

    path: str
    customers: int
    time_unit: str | None
    currency: str | None
    notes: tuple[str, ...]
    include_first_purchase: bool
    partitions: int


def _memory_bytes(con: duckdb.DuckDBPyConnection) -> float | None:
    """DuckDB's memory limit in bytes (``'5.5 GiB'``), None when it cannot be read."""
    text = str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    parts = text.replace(" ", "").upper()
    for unit in sorted(_SIZE_UNITS, key=len, reverse=True):
        if parts.endswith(unit):
            try:
                return float(parts[: -len(unit)]) * _SIZE_UNITS[unit]
            except ValueError:
                return None
    return None


def _auto_partitions(rows: int, memory: float | None) -> int:
    """Partitions for ``rows`` transaction rows: at most :data:`_ROWS_PER_PARTITION` rows each,
    and their hash tables (:data:`_BYTES_PER_ROW` a row) within half the memory limit."""
    k = -(-rows // _ROWS_PER_PARTITION)
    if memory is not None and memory > 0:
        k = max(k, int(np.ceil(rows * _BYTES_PER_ROW / (memory / 2))))
    return max(k, 1)


def _output_path(output: object, overwrite: object, source: object) -> str:
    """The output file, checked: a Parquet name, in a folder that exists, not the source,
    not an existing file unless ``overwrite``."""
    if not isinstance(output, str | os.PathLike) or not os.fspath(output):
        raise ArgumentError(
            f"must be the path of a Parquet file, got {output!r}", argument="output"
        )
    path = os.fspath(output)
    if not isinstance(path, str) or not path.lower().endswith((".parquet", ".pq")):
        raise ArgumentError(
            f"must be a Parquet file name ending in .parquet or .pq, got {path!r}",
            argument="output",
        )
    if not isinstance(overwrite, bool):
        raise ArgumentError(f"must be True or False, got {overwrite!r}", argument="overwrite")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ArgumentError(f"the folder {folder!r} does not exist", argument="output")
    if os.path.isdir(path):
        raise ArgumentError(f"{path!r} is a folder", argument="output")
    if os.path.exists(path) and not overwrite:
        raise ArgumentError(
            f"{path!r} exists: pass overwrite=True to replace it", argument="output"
        )
    for p in _paths(source) or []:
        if os.path.abspath(p) == os.path.abspath(path):
            raise ArgumentError("must differ from source", argument="output")
    return path


def summarize_to_parquet(
    source: Source,
    output: str | os.PathLike[str],
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    calibration_end: Any = None,
    date_format: str | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
    partitions: int | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    overwrite: bool = False,
) -> SummaryFile:
    """:func:`summarize` (or, with ``calibration_end``, :func:`calibration_holdout`) written
    to a Parquet file by DuckDB, never held in Python: for logs whose summary does not fit in
    memory.

    The log is validated once (the same scans and errors as :func:`summarize`); then the
    summary query runs once per customer-hash partition (``hash(customer_id) % K = i``),
    each streamed into the one output file. Each customer is in exactly one partition, and
    the end of observation (the last transaction time when ``observation_end`` is None) is the
    whole log's, so every row equals the in-memory summary's; DuckDB's hash tables hold one
    partition at a time.

    The file holds the columns of :class:`~relmark.data.RFMSummary`'s frame (``customer_id``
    first) and, as ``relmark summarize`` writes them, a ``time_unit`` column, a ``currency``
    column with ``currency=`` and an ``include_first_purchase`` column (True) with
    ``include_first_purchase=True``: :func:`fit` (``fit(BGNBD, path)``),
    :func:`relmark.engines.outofcore.score_parquet` and ``relmark fit``/``relmark score`` read
    it as it is. Rows are grouped by partition, not sorted (sort by ``customer_id`` when
    reading if the order matters).

    Parameters
    ----------
    source
        As for :func:`summarize`.
    output
        The Parquet file to write (``.parquet`` or ``.pq``) in an existing folder; written
        under a temporary name and renamed when complete.
    customer_id, datetime, monetary_value, time_unit, freq_multiplier, observation_end
        As for :func:`summarize`.
    calibration_end
        With a date: the calibration/holdout summary, as :func:`calibration_holdout`.
    date_format, timezone, currency, dayfirst, date_unit, returns, missing_ids
        As for :func:`summarize`.
    sum_log_interpurchase, holdout_spend, include_first_purchase
        As for :func:`calibration_holdout` (``holdout_spend`` with ``calibration_end`` only).
    partitions
        The number of customer-hash partitions ``K`` (a whole number >= 1). None: chosen from
        the rows and the memory limit, one per 25 million rows at most and few enough rows
        each for the hash tables to fit in half of ``memory_limit``. The source is read once
        per partition (plus the validation scans, once).
    temp_directory
        DuckDB's spill folder (default: DuckDB's, ``.tmp`` in the working directory).
    memory_limit, threads
        DuckDB's settings, as for :func:`summarize`.
    progress
        Called with the percentage done (0-100) over all partitions every 0.2 s, and with 100
        at the end.
    overwrite
        Replace an existing ``output`` (refused otherwise).

    Returns
    -------
    SummaryFile
        The path, the customers written, the time unit, currency, notes, partitions.

    Raises
    ------
    ArgumentError
        As for :func:`summarize`; naming ``output`` (not a Parquet name, a missing folder, an
        existing file without ``overwrite``, the source itself), ``partitions`` (not a whole
        number >= 1), ``temp_directory``, ``overwrite``.
    DataError, CurrencyError
        As for :func:`summarize` and :func:`calibration_holdout`.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03"],
    ...                     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "summary.parquet"
    >>> done = summarize_to_parquet(log, path, monetary_value="amount", partitions=2)
    >>> done.customers, done.time_unit, done.partitions
    (2, 'D', 2)
    >>> frame = pd.read_parquet(path).sort_values("customer_id")
    >>> frame[["customer_id", "frequency", "T", "monetary_value", "time_unit"]].values.tolist()
    [['a', 1.0, 7.0, 20.0, 'D'], ['b', 0.0, 5.0, 0.0, 'D']]
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("summarize_to_parquet needs pyarrow: pip install pyarrow") from exc
    path = _output_path(output, overwrite, source)
    k_given = None if partitions is None else check_count(partitions, "partitions", minimum=1)
    spill = None
    if temp_directory is not None:
        if not isinstance(temp_directory, str | os.PathLike) or not os.fspath(temp_directory):
            raise ArgumentError(
                f"must be a folder path, got {temp_directory!r}", argument="temp_directory"
            )
        spill = str(os.fspath(temp_directory))
        if os.path.exists(spill) and not os.path.isdir(spill):
            raise ArgumentError(f"{spill!r} is not a folder", argument="temp_directory")
    progress = _check_progress(progress)
    _own_connection(
        source, memory_limit=memory_limit, threads=threads, temp_directory=temp_directory
    )

    def connect() -> duckdb.DuckDBPyConnection:
        con = _connection(memory_limit, threads, track=progress is not None)
        if spill is not None:
            con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
        return con

    prep = _prepare(
        source,
        connect,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        observation_end=observation_end,
        calibration_end=calibration_end,
        date_format=date_format,
        timezone=timezone,
        currency=currency,
        dayfirst=dayfirst,
        date_unit=date_unit,
        returns=returns,
        missing_ids=missing_ids,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
        find_last=observation_end is None,
    )
    con, name = prep.con, prep.name
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.relmark-tmp"
    writer: pq.ParquetWriter | None = None
    customers = 0
    overflow: list[object] = []  # customers whose spend summed to inf, in the order streamed
    try:
        k = k_given if k_given is not None else _auto_partitions(prep.rows, _memory_bytes(con))
        options = dict(prep.query)
        if options["observation_end"] is None:  # the whole log's end, in every partition
            options["observation_end"] = prep.last
        query = _query(table=_SOURCE, **options).removesuffix(" ORDER BY c.customer_id")
        label = _unit_label(prep.unit, prep.freq_multiplier)
        extra = ", " + ("CAST(NULL AS VARCHAR)" if label is None else _text(label))
        extra += " AS time_unit"
        if prep.currency is not None:
            extra += f", {_text(prep.currency)} AS currency"
        if prep.first:
            extra += f", true AS {FIRST_PURCHASE}"
        for i in range(k):
            part = prep.rel if k == 1 else prep.rel.filter(f"hash({prep.id_col}) % {k} = {i}")

            def write(part: duckdb.DuckDBPyRelation = part) -> int:
                nonlocal writer
                rows = 0
                sql_text = f"SELECT s.*{extra} FROM ({query}) AS s"
                result = part.query(_SOURCE, sql_text)
                assert result is not None
                reader = result.to_arrow_reader(_BATCH_ROWS)
                for batch in reader:
                    if monetary_value is not None:  # inf summed: relmark.data refuses it
                        overflow.extend(_not_finite(batch))
                        if len(overflow) >= _SHOWN_CUSTOMERS:
                            break
                    if overflow:  # the file is discarded: only the customers matter
                        continue
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, batch.schema)
                    writer.write_batch(batch)
                    rows += batch.num_rows
                if writer is None:  # the first partitions can be empty
                    writer = pq.ParquetWriter(tmp, reader.schema)
                return rows

            def watched(write: Callable[[], int] = write, i: int = i) -> int:
                return _watched(con, progress, write, before=100.0 * i / k, share=100.0 / k)

            try:
                customers += _run_guarded(watched, name, advice=_PARTITION_ADVICE)
            except (OSError, pa.ArrowException) as exc:
                raise ArgumentError(f"cannot write {path}: {exc}", argument="output") from None
            if len(overflow) >= _SHOWN_CUSTOMERS:
                break
        if monetary_value is not None:
            _refuse_overflow(overflow[:_SHOWN_CUSTOMERS], monetary_value)
        assert writer is not None
        writer.close()
        writer = None
        os.replace(tmp, path)
    finally:
        con.close()
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    if progress is not None:
        progress(100.0)
    return SummaryFile(
        path=path,
        customers=customers,
        time_unit=label,
        currency=prep.currency,
        notes=tuple(prep.notes),
        include_first_purchase=prep.first,
        partitions=k,
    )


def _text(value: str) -> str:
    """A SQL text literal."""
    return "'" + value.replace("'", "''") + "'"


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
        The summary table in the target dialect (parsed in it, as by :func:`summary_sql`).
    dialect
        One of :data:`DIALECTS`.

    Returns
    -------
    str
        The fields are quoted with their case, as :func:`summary_sql` names its result's
        columns (a table made from its result has them).

    Raises
    ------
    ArgumentError
        Naming ``model``, ``table`` or ``dialect``.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> print(statistics_sql(BGNBD, table="s", dialect="postgres"))
    SELECT "frequency", "recency", "T", COUNT(*) AS "weights" FROM s GROUP BY "frequency", \
"recency", "T" ORDER BY "frequency", "recency", "T"
    """
    fields = _fields(model)
    dialect = check_choice(dialect, "dialect", DIALECTS)
    source = _table(table, dialect)
    cols = ", ".join(_ident(f, "model") for f in fields)
    query = f'SELECT {cols}, COUNT(*) AS "weights" FROM {_TABLE} GROUP BY {cols} ORDER BY {cols}'
    tree = sqlglot.parse_one(query, read="duckdb")
    for node in list(tree.find_all(sqlglot.exp.Table)):
        node.replace(source.copy())
    return tree.sql(dialect=dialect)


def _saved_unit(rel: duckdb.DuckDBPyRelation, name: str, given: str | None) -> str | None:
    """The one time unit of a summary's ``time_unit`` column (``given`` must agree with it):
    a DataError naming the column for several or unreadable units, an ArgumentError naming
    ``time_unit`` for a ``given`` one that differs."""
    from relmark.timeunit import TimeUnit

    col = _ident("time_unit", "source")
    seen = _run(rel, f"SELECT DISTINCT CAST({col} AS VARCHAR) AS v FROM {_SOURCE} LIMIT 3", name)
    labels = [None if v is np.ma.masked else v for v in np.asarray(seen["v"], object).tolist()]
    if not labels:  # an empty summary: refused as such by the caller
        return given
    if len(labels) != 1 or labels[0] is None:
        raise DataError(
            f"the summary in {name} must hold one time unit, got {labels}", column="time_unit"
        )
    try:
        saved = TimeUnit.parse(str(labels[0]))
    except ArgumentError:
        raise DataError(
            f"{labels[0]!r} in {name} is not a time unit (e.g. W, D, 2W)", column="time_unit"
        ) from None
    if given is not None and TimeUnit.parse(given) != saved:
        raise ArgumentError(
            f"{given!r}, but {name} is in time unit {saved.label}", argument="time_unit"
        )
    return given if given is not None else saved.label


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
    progress: Progress | str | None = None,
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
        Unit of the summary's times (taken from an RFMSummary, or from the summary's
        ``time_unit`` column as :func:`summarize_to_parquet` and ``relmark summarize`` write
        it, which must agree with it).
    memory_limit, threads
        DuckDB settings, as for :func:`summarize`.
    progress
        Off (``None``, the default); a callable ``progress(stage, fraction)``, called with
        monotone fractions from 0 to 1: stage ``"group"`` while DuckDB checks and groups the
        summary (its percentage done, every 0.2 s, from 0 to 0.5), then the
        stages of ``model.fit``'s own progress rescaled to the rest, the last call
        ``("done", 1.0)``; or ``"tqdm"`` for a progress bar (the ``progress`` extra). As
        ``model.fit``'s ``progress``.
    **options
        Passed to ``model.fit`` (e.g. ``start=``).

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    DataError
        A missing data column or one that is not numbers (text, booleans), or the model's own
        checks of the grouped rows (negative frequency, recency > T, ...), naming the column;
        a summary that counts the first purchase (``include_first_purchase=True``, or a
        column of that name holding True).
    ArgumentError
        Naming ``model``, ``source``, ``progress`` or a DuckDB setting (which a DuckDB
        relation takes from its own connection).

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
    report = _FitProgress(progress_callback(progress, desc=f"{model.name} fit"))
    refuse_lazy(source, "source")
    refuse_first_purchase(source)
    # the data's own unit (an RFMSummary's, a frame's attrs or time_unit column), which a
    # given time_unit must equal (a file or a DuckDB relation states none here)
    unit = (
        time_unit
        if isinstance(source, str | os.PathLike)
        else agreeing_time_unit(source, time_unit)
    )
    if isinstance(source, RFMSummary):
        source = source.to_frame().reset_index()
    _own_connection(source, memory_limit=memory_limit, threads=threads)
    con = _connection(memory_limit, threads, track=report.on)
    report("group", 0.0)
    try:
        rel, name = _relation(source, con)
        _refuse_twin_columns(source, rel, list(fields), name)
        for f in fields:  # text and booleans were read as numbers ('2' as 2.0, True as 1.0)
            kind = _column_type(rel, f, name)
            if kind == "BOOLEAN":
                raise DataError(
                    f"values are booleans (True/False), not numbers, in {name}", column=f
                )
            if not _is_number(kind):
                what = "text" if kind.startswith("VARCHAR") else f"of type {kind}"
                raise DataError(f"values are {what}, not numbers, in {name}", column=f)
        if FIRST_PURCHASE in rel.columns:  # a flag column, as the Spark engine writes it
            flag = _ident(FIRST_PURCHASE, "source")
            seen = _run(rel, f"SELECT DISTINCT {flag} AS v FROM {_SOURCE} LIMIT 3", name)["v"]
            refuse_counted_first([None if v is np.ma.masked else v for v in seen.tolist()])
        if "time_unit" in rel.columns:  # as summarize_to_parquet and `relmark summarize` write
            unit = _saved_unit(rel, name, unit)
        grouping = statistics_sql(model, table=_SOURCE)
        out = _watched(
            con,
            report.grouping if report.on else None,
            lambda: _run(rel, grouping, name),
            share=_GROUPING_SHARE,
        )
        report("group", _GROUPING_SHARE)
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
    fitted = fit_grouped(
        model,
        data,
        weights,
        where=name,
        time_unit=unit,
        progress=report.fitting if report.on else None,
        **options,
    )
    report.finish()
    return fitted


_GROUPING_SHARE: Final[float] = 0.5
"""The share of :func:`fit`'s progress (0 to 1) for the checks and the grouping query in
DuckDB; the model's fit has the rest."""


class _FitProgress:
    """:func:`fit`'s ``progress(stage, fraction)``: the grouping query's share, then the
    model's fit rescaled, fractions kept monotone, ``("done", 1.0)`` last, exactly once
    (nothing without a callback)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.on = progress is not None
        self.last = 0.0
        self.done = False

    def __call__(self, stage: str, fraction: float) -> None:
        if self.progress is None or self.done:
            return
        self.last = max(self.last, min(fraction, 1.0))
        self.done = stage == "done"
        self.progress(stage, 1.0 if self.done else self.last)

    def grouping(self, fraction: float) -> None:
        """DuckDB's progress of the grouping query, already scaled to its share."""
        self("group", fraction)

    def fitting(self, stage: str, fraction: float) -> None:
        """The model fit's progress, rescaled to the share after the grouping."""
        self(stage, _GROUPING_SHARE + (1.0 - _GROUPING_SHARE) * fraction)

    def finish(self) -> None:
        """``("done", 1.0)`` unless the fit has reported it."""
        self("done", 1.0)
