"""Spark (the ``spark`` extra): the summary by Spark SQL, fitting from statistics grouped on
the cluster, scoring with the model's JSON sent to the executors.

- :func:`summary_frame` runs the query of :func:`relmark.engines.sql.summary_sql` (transpiled
  to Spark SQL) over a Spark DataFrame or table of transactions and returns the per-customer
  summary as a Spark DataFrame (nothing collected); :func:`summarize` collects it as an
  :class:`~relmark.data.RFMSummary`, equal to :func:`relmark.data.summarize`. The log is read
  with the in-memory rules and options: one currency or a
  :class:`~relmark.errors.CurrencyError`, returns refused, dropped or netted, blank ids refused
  or dropped (counted in the notes), dates as timestamps, text (ISO with or without a UTC
  offset, or a ``strftime`` format) or numbers (Excel days, epoch seconds or milliseconds),
  binned in a time zone.
- :func:`fit` groups a summary by the model's data fields on the cluster and maximises the
  likelihood on the driver over the distinct rows and their counts: exactly the in-memory
  estimate, and small (whole-period data has few distinct rows).
- :func:`score` scores every customer with ``mapInArrow`` (``mapInPandas``' Arrow twin, which
  needs no pandas on the executors); the models travel as their JSON text, rebuilt on each
  executor with :func:`relmark.clv.load_model`, never as pickled objects.

The session must use UTC (``spark.sql.session.timeZone``), so that timestamps are placed on
the period grid as in memory; :func:`local_session` builds such a session for tests and
notebooks.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import sqlglot

try:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.engines.spark needs pyspark: pip install 'relmark[spark]'") from exc

from relmark._validation import check_flag
from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.data import RFMSummary
from relmark.data._read import end_is_aware, end_zone_error
from relmark.data.summary import FIRST_PURCHASE
from relmark.data.transactions import refuse_empty_holdout
from relmark.engines import sql
from relmark.engines._options import (
    check_clv_horizon,
    fit_grouped,
    log_options,
    refuse_counted_first,
    summary_options,
)
from relmark.errors import ArgumentError, CurrencyError, DataError
from relmark.typing import FloatArray

__all__ = ["fit", "local_session", "score", "summarize", "summary_frame"]

_UTC = ("UTC", "Etc/UTC", "GMT", "Z", "+00:00")


def local_session(*, cores: int = 1, app_name: str = "relmark") -> SparkSession:
    """A local-mode Spark session set up for relmark: UTC, no UI, few shuffle partitions, and
    Python workers running this interpreter (so they import the same relmark: the environment
    variable ``PYSPARK_PYTHON`` is set to it unless it is already set).

    Parameters
    ----------
    cores
        Worker threads (``local[cores]``).
    app_name
        The application name.

    Returns
    -------
    pyspark.sql.SparkSession
        The active session (an existing one is reused, with these settings applied).

    Raises
    ------
    ArgumentError
        Naming ``cores`` when it is not a whole number >= 1.
    """
    from relmark._validation import check_count

    n = check_count(cores, "cores", minimum=1)
    # Python workers start PYSPARK_PYTHON (default: whatever "python3" is on PATH, which may
    # lack relmark); point it at this interpreter unless the caller chose one.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(f"local[{n}]")
        .appName(str(app_name))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(n))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def _session(frame: DataFrame) -> SparkSession:
    spark = frame.sparkSession
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone not in _UTC:
        raise ArgumentError(
            f"the Spark session's time zone is {zone!r}; set spark.sql.session.timeZone to "
            "'UTC' so that times are placed on the period grid as in memory",
            argument="transactions",
        )
    return spark


def _frame(data: Any, argument: str) -> DataFrame:
    if not isinstance(data, DataFrame):
        raise ArgumentError(
            f"must be a Spark DataFrame (spark.table(...), spark.read.parquet(...)), got "
            f"{type(data).__name__}",
            argument=argument,
        )
    return data


def _view(frame: DataFrame, columns: list[str], what: str) -> str:
    for col in columns:
        if col not in frame.columns:
            raise DataError(
                f"missing column in the {what} (found: {', '.join(frame.columns)})", column=col
            )
    name = f"relmark_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(name)
    return name


def _collect(frame: DataFrame) -> dict[str, Any]:
    """Collect a (small) Spark result as numpy columns through Arrow."""
    table = frame.toArrow()
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


# ---------------------------------------------------------------------- reading the log
_NAME = "the Spark DataFrame"
_SPACE_RE = r"^\s+|\s+$"
_OFFSET_RE = sql._OFFSET
_US_PER = {"excel": 86400000000.0, "s": 1000000.0, "ms": 1000.0}
_STRFTIME = {
    "Y": "yyyy",
    "y": "yy",
    "m": "M",
    "d": "d",
    "H": "H",
    "I": "h",
    "M": "m",
    "S": "s",
    "f": "SSSSSS",
    "p": "a",
    "b": "MMM",
    "B": "MMMM",
    "j": "D",
}
"""strftime directives and the Spark (java.time) pattern letters that read the same text; the
one-letter ones accept one or two digits, as ``strptime`` does."""


def _java_pattern(date_format: str) -> str:
    """A strftime format as a Spark datetime pattern (literal text quoted); directives other
    than those of :data:`_STRFTIME` are refused naming ``date_format``."""
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'")
            literal.clear()

    i = 0
    while i < len(date_format):
        char = date_format[i]
        if char != "%":
            literal.append(char)
            i += 1
            continue
        directive = date_format[i + 1 : i + 2]
        if directive == "%":
            literal.append("%")
        elif directive in _STRFTIME:
            flush()
            out.append(_STRFTIME[directive])
        else:
            raise ArgumentError(
                f"%{directive} is not read by the Spark engine (it reads "
                + " ".join(f"%{k}" for k in _STRFTIME)
                + " and %%): convert the dates in Spark first, or use relmark.data.summarize",
                argument="date_format",
            )
        i += 2
    flush()
    return "".join(out)


def _col(name: str) -> Column:
    return sf.col("`" + name.replace("`", "``") + "`")


def _trimmed(col: Column) -> Column:
    return sf.regexp_replace(col.cast("string"), _SPACE_RE, "")


def _blank(col: Column) -> Column:
    return col.isNull() | (_trimmed(col) == "")


def _day(ts: Column) -> Column:
    return sf.datediff(sf.to_date(ts), sf.to_date(sf.lit("1970-01-01")))


def _period_col(ts: Column, time_unit: str) -> Column:
    """The integer period ordinal of ``ts``, as :func:`relmark.engines.sql._period` (floor
    semantics, Monday-to-Sunday weeks)."""
    day = _day(ts).cast("long")
    if time_unit == "D":
        return day
    if time_unit == "h":
        return day * 24 + sf.hour(ts)
    if time_unit == "W":
        return sf.floor((day + 3).cast("double") / 7).cast("long")
    return (sf.year(ts) - 1970) * 12 + sf.month(ts) - 1


def _literal_ts(ts: pd.Timestamp) -> Column:
    return sf.expr(sql._literal(ts))  # parsed in the session's zone, UTC


def _numeric_ts(col: Column, date_unit: str, zone: str) -> Column:
    """Dates given as numbers, computed as :func:`relmark.data.summarize` does (microseconds in
    float64, rounded half to even; NULL outside 1677-09-22 .. 2262-04-11, or for an Excel day
    below 61); epoch instants converted to ``zone``, Excel days local."""
    num = col.try_cast("double")
    if date_unit == "excel":
        micro = (num + sf.lit(-25569.0)) * sf.lit(_US_PER["excel"])
    else:
        micro = num * sf.lit(_US_PER[date_unit])
    ok = ~sf.isnan(num) & (micro >= sf.lit(sql._US_LOW)) & (micro <= sf.lit(sql._US_HIGH))
    if date_unit == "excel":
        ok = ok & (num >= 61)
    ts = sf.when(ok, sf.timestamp_micros(sf.bround(micro, 0).cast("long")))
    return ts if date_unit == "excel" else sf.from_utc_timestamp(ts, zone)


def _text_ts(col: Column, date_format: str | None, zone: str) -> Column:
    text = col.cast("string")
    if date_format is not None:
        return sf.try_to_timestamp(text, sf.lit(_java_pattern(date_format)))
    parsed = text.try_cast("timestamp")
    return sf.when(text.rlike(_OFFSET_RE), sf.from_utc_timestamp(parsed, zone)).otherwise(parsed)


_NUMBERS = (
    st.ByteType,
    st.ShortType,
    st.IntegerType,
    st.LongType,
    st.FloatType,
    st.DoubleType,
    st.DecimalType,
)


@dataclass(frozen=True)
class _Log:
    """A log prepared for the summary query: columns ``__cid``, ``__ts`` (and ``__amount``),
    the rows kept; the notes and the currency found."""

    rows: DataFrame
    notes: tuple[str, ...]
    currency: str | None


def _types(frame: DataFrame, names: list[str | None]) -> dict[str, st.DataType]:
    found = {f.name: f.dataType for f in frame.schema.fields}
    for name in names:
        if name is not None and name not in found:
            raise DataError(
                f"missing column in the transactions (found: {', '.join(frame.columns)})",
                column=name,
            )
    return found


def _read(
    frame: DataFrame,
    spark: SparkSession,
    *,
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    currency: str | None,
    date_format: str | None,
    date_unit: str | None,
    zone: str,
    returns: str,
    missing_ids: str,
    time_unit: str,
    obs: pd.Timestamp | None,
    cal: pd.Timestamp | None,
    validate: bool,
    ends: Sequence[tuple[str, object]] = (),
) -> _Log:
    """The checks and conversions of :func:`relmark.engines.sql.summarize`, on Spark: every
    count in one job, then a job per kind of problem found (to name its first customers)."""
    types = _types(frame, [customer_id, datetime, monetary_value, currency])
    id_type, date_type = types[customer_id], types[datetime]
    if isinstance(id_type, st.FloatType | st.DoubleType | st.DecimalType):
        raise DataError(
            f"customer ids are floating-point numbers ({id_type.simpleString()}): ids are "
            "whole numbers or text (a float column usually means missing ids read as NaN)",
            column=customer_id,
        )
    if isinstance(id_type, st.BooleanType) or not isinstance(
        id_type, st.StringType | st.ByteType | st.ShortType | st.IntegerType | st.LongType
    ):
        raise DataError(
            f"customer ids must be text or whole numbers, got {id_type.simpleString()}",
            column=customer_id,
        )
    raw_id, raw_date = _col(customer_id), _col(datetime)
    is_time = isinstance(date_type, st.TimestampType | st.TimestampNTZType | st.DateType)
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
    elif isinstance(date_type, st.TimestampType):  # an instant: to the wall clock of the zone
        ts = sf.from_utc_timestamp(raw_date, zone)
    elif is_time:  # TIMESTAMP_NTZ, DATE: wall-clock times, taken as written
        ts = raw_date.cast("timestamp")
    elif isinstance(date_type, _NUMBERS) and date_format is None:
        raise DataError(
            f"dates in {_NAME} are numbers ({date_type.simpleString()}): name their unit with "
            "date_unit='excel' (Excel serial days), 's' or 'ms' (Unix epoch seconds or "
            "milliseconds), or, for numbers such as 20240131, their format with "
            "date_format='%Y%m%d'",
            column=datetime,
        )
    elif isinstance(date_type, (st.StringType, *_NUMBERS)):
        ts = _text_ts(raw_date, date_format, zone)
    else:
        raise DataError(
            f"dates must be timestamps, dates, text or numbers, got {date_type.simpleString()}",
            column=datetime,
        )
    zoned = [(n, v) for n, v in ends if v is not None and end_is_aware(v)]
    if zoned:  # relmark.data's check_end_zone: two clocks compared otherwise
        if isinstance(date_type, st.TimestampType) or date_unit is not None:
            log_aware = isinstance(date_type, st.TimestampType) or date_unit != "excel"
        elif is_time:  # TIMESTAMP_NTZ, DATE
            log_aware = False
        else:  # text (mixing offsets is refused by the checks): one row with one decides
            with_offset = frame.where(raw_date.cast("string").rlike(_OFFSET_RE))
            log_aware = bool(with_offset.limit(1).count())
        if not log_aware:
            raise end_zone_error(*zoned[0])
    amount: Column | None = None
    if monetary_value is not None:
        money_type = types[monetary_value]
        if not isinstance(money_type, (*_NUMBERS, st.StringType)):
            raise DataError(
                f"amounts must be numbers, got {money_type.simpleString()}",
                column=monetary_value,
            )
        amount = _col(monetary_value).try_cast("double")
    notes: list[str] = []
    keep = sf.lit(True)
    drops: list[tuple[Column, str]] = []
    if missing_ids == "drop":
        drops.append((_blank(raw_id), "transaction{s} with a missing customer id"))
    if returns == "drop" and amount is not None:
        drops.append((sf.coalesce(amount < 0, sf.lit(False)), "return{s} (negative amounts)"))
    for cond, _ in drops:
        keep = keep & ~cond
    prepared = frame.select(
        raw_id.alias("__cid"),
        ts.alias("__ts"),
        *([] if amount is None else [amount.alias("__amount")]),
        raw_date.alias("__date"),
        *([] if monetary_value is None else [_col(monetary_value).alias("__money")]),
        *([] if currency is None else [_col(currency).alias("__currency")]),
        keep.alias("__keep"),
        *(cond.alias(f"__drop{i}") for i, (cond, _) in enumerate(drops)),
    )
    rows = prepared.where("__keep")
    code: str | None = None
    if validate:
        _check(
            prepared,
            rows,
            drops=[w for _, w in drops],
            customer_id=customer_id,
            datetime=datetime,
            monetary_value=monetary_value,
            currency=currency,
            returns=returns,
            text_dates=not is_time and date_unit is None and date_format is None,
            string_ids=isinstance(id_type, st.StringType),
            unparseable=unparseable,
            time_unit=time_unit,
            obs=obs,
            cal=cal,
            notes=notes,
        )
        if currency is not None:
            code = _currency(rows, currency)
    elif currency is not None:
        raise ArgumentError(
            "the currency column is read by the checks: pass validate=True", argument="validate"
        )
    columns = ["__cid", "__ts"] + ([] if amount is None else ["__amount"])
    return _Log(rows.select(*columns), tuple(notes), code)


def _plural(n: int, word: str) -> str:
    return f"{n:,} " + word.format(s="" if n == 1 else "s")


def _check(
    prepared: DataFrame,
    rows: DataFrame,
    *,
    drops: list[str],
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    currency: str | None,
    returns: str,
    text_dates: bool,
    string_ids: bool,
    unparseable: str,
    time_unit: str,
    obs: pd.Timestamp | None,
    cal: pd.Timestamp | None,
    notes: list[str],
) -> None:
    cid, ts, date = sf.col("__cid"), sf.col("__ts"), sf.col("__date")
    checks: list[tuple[Column, str, str | None, bool]] = [
        (
            _blank(cid),
            "missing or blank customer ids (pass missing_ids='drop' to drop and count them)",
            customer_id,
            False,
        ),
        (date.isNull(), "missing dates", datetime, True),
        (date.isNotNull() & ts.isNull(), unparseable, datetime, True),
        (  # Spark reads years 1..9999: relmark.data's range (a text 9999-12-31 was a date)
            (ts < _literal_ts(sql._TS_LOW)) | (ts > _literal_ts(sql._TS_HIGH)),
            "dates outside 1677-09-22 .. 2262-04-11 (the range of nanosecond timestamps; "
            "placeholders such as 9999-12-31 are not dates)",
            datetime,
            True,
        ),
    ]
    if monetary_value is not None:
        money, num = sf.col("__money"), sf.col("__amount")
        checks += [
            (money.isNotNull() & num.isNull(), "amounts are not numbers", monetary_value, True),
            (
                num.isNull() | sf.isnan(num) | (sf.abs(num) == float("inf")),
                "missing (NaN) or infinite amounts",
                monetary_value,
                True,
            ),
        ]
        if returns == "refuse":
            checks.append(
                (
                    num < 0,
                    "negative amounts (returns): pass returns='drop' to drop them or "
                    "returns='net' to net them against the purchases of their period",
                    monetary_value,
                    True,
                )
            )
    if obs is not None:
        late = (
            ts > _literal_ts(obs)
            if cal is not None  # calibration_holdout compares times, summarize periods
            else _period_col(ts, time_unit) > _period_col(_literal_ts(obs), time_unit)
        )
        checks.append((late, "transactions after the end of observation", datetime, True))
    keep = sf.col("__keep")

    def count(cond: Column, where: Column = keep) -> Column:
        return sf.sum(sf.when(where & sf.coalesce(cond, sf.lit(False)), 1).otherwise(0))

    extra = [sf.count(sf.lit(1)).alias("rows"), count(sf.lit(True)).alias("n")]
    extra += [count(sf.lit(True), sf.col(f"__drop{i}")).alias(f"d{i}") for i in range(len(drops))]
    if text_dates:
        extra += [
            count(date.cast("string").rlike(_OFFSET_RE)).alias("offset"),
            count(date.isNotNull()).alias("dated"),
        ]
    if string_ids:
        extra.append(count(cid != sf.regexp_replace(cid, _SPACE_RE, "")).alias("padded"))
    if monetary_value is not None and returns == "net":
        extra.append(count(sf.col("__amount") < 0).alias("returns"))
    if currency is not None:
        code = _trimmed(sf.col("__currency"))
        checks += [
            (sf.col("__currency").isNull() | (code == ""), "missing currencies", currency, True),
            (
                (code != "") & ~code.rlike("^[A-Z]{3}$"),
                "currencies must be ISO 4217 codes (three capital letters)",
                currency,
                True,
            ),
        ]
    if cal is not None:
        bought = sf.lit(True)
        if monetary_value is not None and returns == "net":
            bought = sf.col("__amount") >= 0
        extra += [
            count((ts <= _literal_ts(cal)) & bought).alias("cal"),
            sf.max(sf.when(keep, ts)).alias("last"),
        ]
    got = prepared.agg(
        *extra, *(count(c).alias(f"c{i}") for i, (c, *_) in enumerate(checks))
    ).collect()[0]
    for i, what in enumerate(drops):
        if got[f"d{i}"]:
            notes.append(f"dropped {_plural(int(got[f'd{i}']), what)}")
    if int(got["rows"]) == 0:
        raise DataError(f"the transaction log in {_NAME} is empty")
    if int(got["n"]) == 0:
        raise DataError(f"no transactions left in {_NAME} after dropping (see the notes)")
    if text_dates and 0 < int(got["offset"]) < int(got["dated"]):
        raise DataError(
            f"dates with and without UTC offsets mixed in {_NAME} ({int(got['offset'])} of "
            f"{int(got['dated'])} have one): give every date an offset, or none",
            column=datetime,
        )
    for i, (cond, message, column, name_ids) in enumerate(checks):
        n = int(got[f"c{i}"] or 0)
        if n == 0:
            continue
        ids = []
        if name_ids:
            sample = rows.where(sf.coalesce(cond, sf.lit(False))).select("__cid").distinct()
            ids = [r[0] for r in sample.limit(10).collect()]
        raise DataError(
            f"{message} in {_NAME}: {n} rows" + (" (rows are customer ids)" if name_ids else ""),
            column=column,
            rows=ids,
            count=n,
        )
    if string_ids and int(got["padded"] or 0):
        _padded_twins(rows, customer_id)
    if monetary_value is not None and returns == "net" and int(got["returns"] or 0):
        _check_net(rows, monetary_value, time_unit, cal)
        notes.append(
            f"netted {_plural(int(got['returns']), 'return{s}')} against the purchases of "
            "their period"
        )
    if cal is not None:
        if int(got["cal"] or 0) == 0:
            raise DataError(f"no transactions up to calibration_end {cal.date()} in {_NAME}")
        if obs is None and pd.Timestamp(got["last"]) <= cal:
            raise ArgumentError(
                f"the last transaction {pd.Timestamp(got['last'])} is not after it: pass "
                "observation_end",
                argument="calibration_end",
            )
        if obs is None:
            _refuse_empty_holdout(cal, pd.Timestamp(got["last"]), given=False, time_unit=time_unit)


def _refuse_empty_holdout(
    cal: pd.Timestamp, end: pd.Timestamp, *, given: bool, time_unit: str
) -> None:
    """relmark.data's refusal of a holdout of no length (``end`` in ``cal``'s period: every
    customer's duration_holdout 0, refused as a DataError listing them all)."""
    with duckdb.connect() as con:  # the periods by the summary query's own rule
        apart = sql._periods_apart(con, end, cal, time_unit)
    refuse_empty_holdout(
        calibration_end=cal, end=end, given=given, periods_apart=apart, time_unit=time_unit
    )


def _padded_twins(rows: DataFrame, customer_id: str) -> None:
    """Ids that differ only by white space around them are refused, as in memory."""
    stripped = sf.regexp_replace(sf.col("__cid"), _SPACE_RE, "")
    twins = (
        rows.where(sf.col("__cid") != stripped)
        .select(stripped.alias("t"))
        .distinct()
        .join(rows.select("__cid", stripped.alias("t")).distinct(), "t")
        .groupBy("t")
        .agg(sf.count(sf.lit(1)).alias("k"), sf.min("__cid").alias("c"))
        .where("k > 1")
        .orderBy("c")
        .limit(10)
        .collect()
    )
    if twins:
        ids = [r["c"] for r in twins]
        raise DataError(
            f"customer ids in {_NAME} that differ only by spaces around them (such as "
            f"{ids[0]!r}): strip them, or make them distinct",
            column=customer_id,
            rows=ids,
        )


def _check_net(
    rows: DataFrame, monetary_value: str, time_unit: str, cal: pd.Timestamp | None
) -> None:
    """Netted returns need a purchase of their customer in their period and may not exceed it
    (relmark.data's rule); with ``calibration_end``, on their own side of it."""
    amount = sf.col("__amount")
    keys = [sf.col("__cid"), _period_col(sf.col("__ts"), time_unit).alias("p")]
    sides = [[]] if cal is None else [[], [(sf.col("__ts") <= _literal_ts(cal)).alias("side")]]
    for extra in sides:
        groups = rows.groupBy(*keys, *extra).agg(
            sf.sum(sf.when(amount >= 0, 1).otherwise(0)).alias("bought"),
            sf.sum(amount).alias("total"),
            sf.sum(sf.when(amount >= 0, amount).otherwise(0.0)).alias("spent"),
            sf.sum(sf.when(amount < 0, 1).otherwise(0)).alias("returned"),
        )
        excess = sf.col("total") < -1e-9 * (1.0 + sf.abs(sf.col("spent")))
        returned, bought = sf.col("returned"), sf.col("bought")
        got = (
            groups.where("returned > 0")
            .agg(
                sf.sum(sf.when(bought == 0, returned).otherwise(0)).alias("o"),
                sf.sum(sf.when((bought > 0) & excess, returned).otherwise(0)).alias("x"),
            )
            .collect()[0]
        )
        orphan, over = int(got["o"] or 0), int(got["x"] or 0)
        bad = orphan + over
        if not bad:
            continue
        if extra:
            message = (
                f"returns whose purchases fall on the other side of calibration_end {cal} in "
                "their period: each part must net its own returns (put calibration_end on a "
                "period boundary, or returns='drop')"
            )
        elif orphan:
            message = (
                "returns (negative amounts) in a period without a purchase by the customer: "
                "nothing to net them against (returns='drop' drops them)"
            )
        else:
            message = (
                "returns exceed the purchases of their customer in their period (net spend < 0)"
            )
        cond = (sf.col("bought") == 0) | excess
        if not extra and orphan:
            cond = sf.col("bought") == 0
        ids = [
            r[0]
            for r in groups.where(sf.col("returned") > 0)
            .where(cond)
            .select("__cid")
            .distinct()
            .limit(10)
            .collect()
        ]
        raise DataError(
            f"{message}: {bad} rows (rows are customer ids)",
            column=monetary_value,
            rows=ids,
            count=bad,
        )


def _currency(rows: DataFrame, column: str) -> str:
    """The one ISO 4217 code of the currency column (missing or malformed codes are refused
    by :func:`_check`): several codes are a CurrencyError, as in memory."""
    text = _trimmed(sf.col("__currency"))
    codes = rows.groupBy(text.alias("c")).count().orderBy(sf.desc("count"), "c").limit(11).collect()
    if len(codes) > 1:
        listed = ", ".join(f"{r['c']} ({r['count']} rows)" for r in codes[:10])
        raise CurrencyError(
            f"column {column!r}: the log in {_NAME} mixes currencies: {listed}; amounts in "
            "different currencies cannot be added (summarise each currency separately)"
        )
    return str(codes[0]["c"])


def _plan(
    transactions: DataFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    time_unit: str,
    freq_multiplier: float,
    observation_end: Any,
    calibration_end: Any,
    date_format: str | None,
    timezone: str | None,
    currency: str | None,
    dayfirst: bool | None,
    date_unit: str | None,
    returns: str,
    missing_ids: str,
    validate: bool,
    sum_log_interpurchase: bool,
    holdout_spend: str,
    include_first_purchase: bool = False,
) -> tuple[DataFrame, _Log]:
    frame = _frame(transactions, "transactions")
    spark = _session(frame)
    unit = sql._unit(time_unit)
    fm = sql._multiplier(freq_multiplier)
    chosen = summary_options(
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    check_flag(validate, "validate")
    opts = log_options(
        "Spark",
        nets_returns=True,
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
    if date_format is not None:
        _java_pattern(date_format)
    zone = sql._zone(timezone)
    obs, cal = sql._ends(observation_end, calibration_end, opts)
    if obs is not None and cal is not None:  # before any job
        _refuse_empty_holdout(cal, obs, given=True, time_unit=unit)
    log = _read(
        frame,
        spark,
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        currency=currency,
        date_format=date_format,
        date_unit=date_unit,
        zone=zone,
        returns=returns,
        missing_ids=missing_ids,
        time_unit=unit,
        obs=obs,
        cal=cal,
        validate=bool(validate),
        ends=[("observation_end", observation_end), ("calibration_end", calibration_end)],
    )
    view = f"relmark_{uuid.uuid4().hex}"
    log.rows.createOrReplaceTempView(view)
    query = sql._query(
        table=view,
        id_expr="__cid",
        ts_expr="__ts",
        amount_expr=None if monetary_value is None else "__amount",
        time_unit=unit,
        fm=fm,
        observation_end=obs,
        calibration_end=cal,
        litt=chosen.litt,
        holdout_spend=chosen.holdout_spend,
        net=returns == "net",
        first=chosen.first,
    )
    text = sqlglot.transpile(query, read="duckdb", write="spark")[0]
    result = spark.sql(text)
    if chosen.first:  # the flag travels with the rows, as a polars summary carries it
        result = result.withColumn(FIRST_PURCHASE, sf.lit(True))
    return result, log


def summary_frame(
    transactions: DataFrame,
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
    validate: bool = True,
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
) -> DataFrame:
    """The per-customer summary as a Spark DataFrame, computed by Spark SQL.

    The log is read with the rules of :func:`relmark.data.summarize` and of the DuckDB engine
    (:func:`relmark.engines.sql.summarize`), whose options this function takes.

    Parameters
    ----------
    transactions
        A Spark DataFrame with one row per transaction (the session in UTC). The time column
        may be a ``TIMESTAMP`` (an instant: converted to ``timezone``), a ``TIMESTAMP_NTZ`` or
        ``DATE`` (wall-clock times, taken as written), text (ISO 8601, with or without a UTC
        offset, or in ``date_format``) or numbers (with ``date_unit``).
    customer_id, datetime, monetary_value, time_unit, freq_multiplier, observation_end
        As for :func:`relmark.data.summarize`.
    calibration_end
        With a date: the calibration/holdout columns, as
        :func:`relmark.data.calibration_holdout`.
    date_format
        ``strftime`` format of text dates, translated to a Spark datetime pattern (the
        directives ``%Y %y %m %d %H %I %M %S %f %p %b %B %j`` and ``%%``).
    timezone
        IANA zone in which purchases are binned: ``TIMESTAMP`` instants, text with a UTC
        offset and epoch numbers are converted to it (default UTC); wall-clock times are
        taken as written.
    currency
        Column of ISO 4217 codes: every row must have the same one (a
        :class:`~relmark.errors.CurrencyError` otherwise). Needs ``monetary_value`` and
        ``validate``.
    dayfirst
        Refused unless None (give ``date_format``, e.g. ``"%d/%m/%Y"``), as in the DuckDB
        engine.
    date_unit
        Dates given as numbers: ``"excel"`` (Excel serial days, local), ``"s"`` or ``"ms"``
        (Unix epoch, UTC, converted to ``timezone``), computed as in memory.
    returns
        Negative amounts: ``"refuse"`` (default), ``"drop"`` (counted in ``notes``) or
        ``"net"`` (each return reduces its customer's spend in its period; it needs a
        purchase of its customer in its period and may not exceed it, as in memory).
    missing_ids
        Rows with a missing or blank customer id: ``"refuse"`` (default) or ``"drop"``.
    validate
        Run the checks first (one Spark job counting every kind of bad row, then one per kind
        found): missing or blank ids, ids that differ only by spaces around them, missing or
        unparseable dates, dates with and without UTC offsets mixed, missing, non-numeric,
        NaN, infinite or negative amounts (per ``returns``), returns that cannot be netted,
        transactions after ``observation_end``, the currencies.
    sum_log_interpurchase, holdout_spend
        As for :func:`relmark.data.calibration_holdout` (the column ``sum_log_interpurchase``;
        the holdout mean spend per purchase period or per transaction).
    include_first_purchase
        Count the first purchase period in ``frequency`` and ``monetary_value``, as
        :func:`relmark.data.summarize` does. The frame then carries the flag as a column
        ``include_first_purchase`` (``True`` on every row, kept when written to Parquet), so
        that :func:`fit`, :func:`score`, :func:`relmark.engines.sql.fit`,
        :func:`relmark.engines.outofcore.score_parquet` and the models (on the frame
        collected to pandas or polars) refuse it, as they refuse the in-memory summary.

    Returns
    -------
    pyspark.sql.DataFrame
        Columns ``customer_id``, ``frequency``, ``recency``, ``T`` (``monetary_value``, holdout
        columns, ``sum_log_interpurchase``, ``include_first_purchase``), sorted by customer id;
        lazy. The notes (rows dropped) and the currency are kept by :func:`summarize`.

    Raises
    ------
    DataError
        Naming a missing column, or (with ``validate``) the column and first customers of bad
        rows.
    ArgumentError
        Naming the argument, as :func:`relmark.engines.sql.summarize`; ``transactions`` not a
        Spark DataFrame or its session not in UTC.
    CurrencyError
        The ``currency`` column holds two or more currencies.
    """
    frame, _ = _plan(
        transactions,
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
        validate=validate,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    return frame


def summarize(
    transactions: DataFrame,
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
) -> RFMSummary:
    """:func:`summary_frame` collected on the driver as an :class:`~relmark.data.RFMSummary`.

    Parameters
    ----------
    transactions, customer_id, datetime, monetary_value, time_unit, freq_multiplier
        As for :func:`summary_frame`.
    observation_end, calibration_end, date_format, timezone, currency, dayfirst, date_unit
        As for :func:`summary_frame`.
    returns, missing_ids, sum_log_interpurchase, holdout_spend
        As for :func:`summary_frame`.
    include_first_purchase
        Count the first purchase period in ``frequency`` and ``monetary_value``, as
        :func:`relmark.data.summarize` does; the summary records it and the CLV models refuse
        it.

    Returns
    -------
    RFMSummary
        Equal to :func:`relmark.data.summarize` (or ``calibration_holdout``) of the same log,
        with its currency and notes (what was dropped or netted, counted).

    Raises
    ------
    DataError
        A missing column; an empty log; the checks of :func:`summary_frame`.
    ArgumentError
        As for :func:`summary_frame`.
    CurrencyError
        The ``currency`` column holds two or more currencies.
    """
    frame, log = _plan(
        transactions,
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
        validate=True,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
        include_first_purchase=include_first_purchase,
    )
    out = _collect(frame)
    out.pop(FIRST_PURCHASE, None)  # the flag column: the RFMSummary holds it
    if out["frequency"].shape[0] == 0:
        raise DataError("the transaction log is empty")
    return sql._to_summary(
        out,
        sql._unit(time_unit),
        float(freq_multiplier),
        currency=log.currency,
        notes=log.notes,
        first=check_flag(include_first_purchase, "include_first_purchase"),
        amount_column=monetary_value,
    )


def fit(
    model: type[CLVModel], summary: DataFrame, *, time_unit: str | None = None, **options: Any
) -> CLVModel:
    """Fit ``model`` from a Spark DataFrame of per-customer rows: the distinct rows of its data
    fields and their counts are grouped on the cluster, the likelihood maximised on the driver
    (the parameters equal ``model.fit(summary, compress=True)`` in memory).

    Parameters
    ----------
    model
        The model class, e.g. :class:`relmark.clv.BGNBD`.
    summary
        A Spark DataFrame with the model's ``data_fields`` (e.g. from :func:`summary_frame`).
    time_unit
        Unit of the summary's times.
    **options
        Passed to ``model.fit`` (e.g. ``start=``).

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    DataError
        A missing column, NaN values, or the model's checks of the grouped rows; a summary
        that counts the first purchase (a column ``include_first_purchase`` holding True).
    ArgumentError
        Naming ``model`` or ``summary``.
    """
    fields = sql._fields(model)
    frame = _frame(summary, "summary")
    if "compress" in options or "weights" in options:
        name = "compress" if "compress" in options else "weights"
        raise ArgumentError("is set by the grouping itself", argument=name)
    _refuse_counted_first(frame)
    view = _view(frame, list(fields), "summary")
    text = sql.statistics_sql(model, table=view, dialect="spark")
    out = _collect(frame.sparkSession.sql(text))
    data = {f: np.asarray(out[f], dtype=np.float64) for f in fields}
    if out["weights"].shape[0] == 0:
        raise DataError("the summary is empty")
    for f, arr in data.items():
        if not np.all(np.isfinite(arr)):
            raise DataError("missing, NaN or infinite values", column=f)
    weights = np.asarray(out["weights"], dtype=np.float64)
    return fit_grouped(model, data, weights, where="the summary", time_unit=time_unit, **options)


def _refuse_counted_first(frame: DataFrame) -> None:
    """Refuse a frame whose ``include_first_purchase`` column holds True (its distinct values,
    at most three, are collected: a small job over that one column)."""
    if FIRST_PURCHASE in frame.columns:
        rows = frame.select(_col(FIRST_PURCHASE)).distinct().limit(3).collect()
        refuse_counted_first([r[0] for r in rows])


def score(
    purchases: CLVModel,
    customers: DataFrame,
    *,
    horizon: float,
    spend: CLVModel | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
    customer_id: str = "customer_id",
) -> DataFrame:
    """Score every customer on the cluster: ``p_alive``, ``expected_purchases`` (and with
    ``spend``, ``expected_spend`` and ``clv``), as :func:`relmark.clv.score`, per Arrow batch.

    Parameters
    ----------
    purchases
        A fitted purchase model; it travels to the executors as its JSON text.
    customers
        A Spark DataFrame with ``customer_id``, ``frequency``, ``recency``, ``T`` (and
        ``monetary_value`` with ``spend``).
    horizon
        Horizon of the expected purchases, in the model's time unit.
    spend
        A fitted spend model (Gamma-Gamma).
    periods, period_length, discount_rate
        The CLV horizon, as for :func:`relmark.clv.score`.
    customer_id
        The id column (kept in the result).

    Returns
    -------
    pyspark.sql.DataFrame
        Lazy; write it with ``.write.parquet(path)``. Scores equal the in-memory ones (P(alive)
        exactly; expected purchases to about 1e-14, interpolated per batch).

    Raises
    ------
    DataError
        A missing column; a summary that counts the first purchase (a column
        ``include_first_purchase`` holding True, checked by a small job); per-row checks run
        on the executors and fail the Spark job with the DataError's message.
    ArgumentError
        Naming the argument: models that are not fitted relmark models, a bad horizon.
    """
    frame = _frame(customers, "customers")
    for name, m in (("purchases", purchases), ("spend", spend)):
        if m is not None and not isinstance(m, CLVModel):
            raise ArgumentError(f"must be a relmark model, got {type(m).__name__}", argument=name)
    needed = [customer_id, "frequency", "recency", "T"] + (
        ["monetary_value"] if spend is not None else []
    )
    for col in needed:
        if col not in frame.columns:
            raise DataError(
                f"missing column in the customers (found: {', '.join(frame.columns)})", column=col
            )
    _refuse_counted_first(frame)
    options: dict[str, Any] = {
        "horizon": horizon,
        "periods": periods,
        "period_length": period_length,
        "discount_rate": discount_rate,
    }
    # Check the options on the driver, on one customer, before any job starts (the CLV
    # horizon's also without a spend model, which clv.score does not read then).
    score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        [0.0],
        [0.0],
        [1.0],
        None if spend is None else [1.0],
        **options,
    )
    check_clv_horizon(
        purchases,
        spend,
        periods=periods,
        period_length=period_length,
        discount_rate=discount_rate,
    )
    p_json = purchases.to_json(indent=None)
    s_json = None if spend is None else spend.to_json(indent=None)
    names = ["p_alive", "expected_purchases"] + (["expected_spend", "clv"] if spend else [])
    id_type = frame.schema[customer_id].dataType.simpleString()
    schema = f"`{customer_id}` {id_type}, " + ", ".join(f"{n} double" for n in names)

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        p_model = load_model(p_json)
        s_model = None if s_json is None else load_model(s_json)
        for part in batches:

            def column(name: str, batch: pa.RecordBatch = part) -> FloatArray:
                values = batch.column(name).to_numpy(zero_copy_only=False)
                return np.asarray(values, dtype=np.float64)

            got = score_arrays(
                p_model,  # type: ignore[arg-type]
                s_model,  # type: ignore[arg-type]
                column("frequency"),
                column("recency"),
                column("T"),
                None if s_model is None else column("monetary_value"),
                **options,
            )
            arrays = [part.column(customer_id), *(pa.array(got[n]) for n in names)]
            yield pa.RecordBatch.from_arrays(arrays, names=[customer_id, *names])

    # pyspark warns about pandas 3 when a Python UDF is declared (this Arrow-only UDF does not
    # use pandas): the warning is pyspark's to give and the caller's to filter, not relmark's
    return frame.select(*needed).mapInArrow(apply, schema=schema)
