"""Spark (the ``spark`` extra): the summary by Spark SQL, fitting from statistics grouped on
the cluster, scoring with the model's JSON sent to the executors.

- :func:`summary_frame` runs the query of :func:`relmark.engines.sql.summary_sql` (transpiled
  to Spark SQL) over a Spark DataFrame or table of transactions and returns the per-customer
  summary as a Spark DataFrame (nothing collected); :func:`summarize` collects it as an
  :class:`~relmark.data.RFMSummary`, equal to :func:`relmark.data.summarize`.
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
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import sqlglot

try:
    from pyspark.sql import DataFrame, SparkSession
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.engines.spark needs pyspark: pip install 'relmark[spark]'") from exc

from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.data import RFMSummary
from relmark.engines import sql
from relmark.errors import ArgumentError, DataError
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
    validate: bool = True,
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
) -> DataFrame:
    """The per-customer summary as a Spark DataFrame, computed by Spark SQL.

    Parameters
    ----------
    transactions
        A Spark DataFrame with one row per transaction; the time column a ``TIMESTAMP`` or
        ``DATE`` (the session in UTC).
    customer_id, datetime, monetary_value, time_unit, freq_multiplier, observation_end
        As for :func:`relmark.data.summarize`.
    calibration_end
        With a date: the calibration/holdout columns, as
        :func:`relmark.data.calibration_holdout`.
    validate
        Count bad rows first (one Spark job): missing or blank ids, missing dates, missing,
        NaN, infinite or negative amounts, transactions after ``observation_end``.
    sum_log_interpurchase, holdout_spend
        As for :func:`relmark.data.calibration_holdout` (the column ``sum_log_interpurchase``;
        the holdout mean spend per purchase period or per transaction).

    Returns
    -------
    pyspark.sql.DataFrame
        Columns ``customer_id``, ``frequency``, ``recency``, ``T`` (``monetary_value``, holdout
        columns), sorted by customer id; lazy.

    Raises
    ------
    DataError
        Naming a missing column, or (with ``validate``) the column and first customers of bad
        rows.
    ArgumentError
        Naming the argument, as :func:`relmark.engines.sql.summary_sql`; ``transactions`` not a
        Spark DataFrame or its session not in UTC.
    """
    frame = _frame(transactions, "transactions")
    spark = _session(frame)
    cols = [customer_id, datetime] + ([monetary_value] if monetary_value is not None else [])
    text = sql.summary_sql(
        table="__relmark_view__",
        customer_id=customer_id,
        datetime=datetime,
        monetary_value=monetary_value,
        time_unit=time_unit,
        freq_multiplier=freq_multiplier,
        observation_end=observation_end,
        calibration_end=calibration_end,
        dialect="spark",
        pretty=False,
        sum_log_interpurchase=sum_log_interpurchase,
        holdout_spend=holdout_spend,
    )
    view = _view(frame, [c for c in cols if isinstance(c, str)], "transactions")
    if validate:
        unit = sql._unit(time_unit)
        _validate(
            spark,
            view,
            customer_id,
            datetime,
            monetary_value,
            unit,
            observation_end,
            calibration_end,
        )
    return spark.sql(text.replace("__relmark_view__", view))


def _validate(
    spark: SparkSession,
    view: str,
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    time_unit: str,
    observation_end: Any,
    calibration_end: Any,
) -> None:
    """One Spark job counting bad rows (the checks of :func:`relmark.engines.sql.summarize`,
    written in DuckDB's dialect and transpiled); a DataError naming the column and up to ten
    offending customers for the first kind found."""
    cid, date = sql._ident(customer_id, "customer_id"), sql._ident(datetime, "datetime")
    ts = f"CAST({date} AS TIMESTAMP)"
    checks = [
        (
            f"{cid} IS NULL OR TRIM(CAST({cid} AS VARCHAR)) = ''",
            "missing or blank customer ids",
            customer_id,
        ),
        (f"{date} IS NULL", "missing dates", datetime),
    ]
    if monetary_value is not None:
        amount = f"CAST({sql._ident(monetary_value, 'monetary_value')} AS DOUBLE)"
        checks += [
            (
                f"{amount} IS NULL OR isnan({amount}) OR abs({amount}) = CAST('inf' AS DOUBLE)",
                "missing, non-numeric, NaN or infinite amounts",
                monetary_value,
            ),
            (
                f"{amount} < 0",
                "negative amounts (record returns as a separate adjustment, not a negative sale)",
                monetary_value,
            ),
        ]
    if observation_end is not None:
        end = sql._literal(sql._timestamp(observation_end, "observation_end"))
        late = (
            f"{ts} > {end}"
            if calibration_end is not None  # calibration_holdout compares times
            else f"{sql._period(ts, time_unit)} > {sql._period(end, time_unit)}"  # by periods
        )
        checks.append((late, "transactions after the end of observation", datetime))
    counts = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}" for i, (cond, _, _) in enumerate(checks)
    )

    def run(query: str) -> list[Any]:
        return spark.sql(sqlglot.transpile(query, read="duckdb", write="spark")[0]).collect()

    row = run(f"SELECT COUNT(*) AS n, {counts} FROM {view}")[0]
    if int(row["n"]) == 0:
        raise DataError("the transaction log is empty")
    for i, (cond, message, column) in enumerate(checks):
        count = int(row[f"c{i}"] or 0)
        if count:
            ids = (
                []
                if column == customer_id
                else [r[0] for r in run(f"SELECT {cid} FROM {view} WHERE {cond} LIMIT 10")]
            )
            raise DataError(
                f"{message}: {count} rows (rows are customer ids)",
                column=column,
                rows=ids,
                count=count,
            )


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
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
) -> RFMSummary:
    """:func:`summary_frame` collected on the driver as an :class:`~relmark.data.RFMSummary`.

    Parameters
    ----------
    transactions, customer_id, datetime, monetary_value, time_unit, freq_multiplier
        As for :func:`summary_frame`.
    observation_end, calibration_end, sum_log_interpurchase, holdout_spend
        As for :func:`summary_frame`.

    Returns
    -------
    RFMSummary
        Equal to :func:`relmark.data.summarize` (or ``calibration_holdout``) of the same log.

    Raises
    ------
    DataError
        A missing column; an empty log; the summary's own checks.
    ArgumentError
        As for :func:`summary_frame`.
    """
    out = _collect(
        summary_frame(
            transactions,
            customer_id=customer_id,
            datetime=datetime,
            monetary_value=monetary_value,
            time_unit=time_unit,
            freq_multiplier=freq_multiplier,
            observation_end=observation_end,
            calibration_end=calibration_end,
            sum_log_interpurchase=sum_log_interpurchase,
            holdout_spend=holdout_spend,
        )
    )
    if out["frequency"].shape[0] == 0:
        raise DataError("the transaction log is empty")
    return sql._to_summary(out, time_unit, float(freq_multiplier))


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
        A missing column, NaN values, or the model's checks of the grouped rows.
    ArgumentError
        Naming ``model`` or ``summary``.
    """
    fields = sql._fields(model)
    frame = _frame(summary, "summary")
    if "compress" in options or "weights" in options:
        name = "compress" if "compress" in options else "weights"
        raise ArgumentError("is set by the grouping itself", argument=name)
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
    return model.fit(data, weights=weights, compress=False, time_unit=time_unit, **options)


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
        A missing column (per-row checks run on the executors and fail the Spark job with the
        DataError's message).
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
    options: dict[str, Any] = {
        "horizon": horizon,
        "periods": periods,
        "period_length": period_length,
        "discount_rate": discount_rate,
    }
    # Check the options on the driver, on one customer, before any job starts.
    score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        [0.0],
        [0.0],
        [1.0],
        None if spend is None else [1.0],
        **options,
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
