"""Distributed paths on Dask (the ``dask`` extra): summarise, fit and score beyond one machine.

The same definitions as :mod:`relmark.data` and :mod:`relmark.clv`, run partition by partition:

- :func:`summarize` builds the per-customer summary from a Dask DataFrame of transactions
  (e.g. many Parquet or CSV files) without collecting the log: transactions are reduced to one
  row per (customer, period) and then to one row per customer on the cluster; only the summary
  (one row per customer) comes back.
- :func:`fit` gathers the *distinct* (frequency, recency, T) rows with their counts from the
  cluster and maximises the likelihood on them: exactly the in-memory estimate.
- :func:`score` applies a fitted model partition by partition and returns a Dask DataFrame; the
  model travels as its JSON, never as a pickled closure.

Nothing here is imported by the rest of relmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

try:
    import dask
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.dask needs dask: pip install 'relmark[dask]'") from exc

from relmark._validation import check_flag
from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.clv._base import refuse_first_purchase
from relmark.data import RFMSummary
from relmark.data.summary import FIRST_PURCHASE
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import TimeUnit, periods

__all__ = ["fit", "score", "summarize"]

_SHOWN = 10
"""Offending row labels kept per problem and partition (DataError shows the first five)."""


def _check_columns(
    transactions: dd.DataFrame, customer_id: str, datetime: str, monetary_value: str | None
) -> None:
    """Columns present and of usable types, from the frame's metadata (nothing computed)."""
    cols = [customer_id, datetime] + ([monetary_value] if monetary_value else [])
    missing = [c for c in cols if c not in transactions.columns]
    if missing:
        found = ", ".join(map(str, transactions.columns))
        raise DataError(
            f"missing column(s) {', '.join(missing)} (found: {found})", column=missing[0]
        )
    ids = transactions[customer_id].dtype
    if pd.api.types.is_float_dtype(ids) or pd.api.types.is_bool_dtype(ids):
        raise DataError(
            f"customer ids are {ids} (007 has become 7.0 already): read them as text",
            column=customer_id,
        )
    dates = transactions[datetime].dtype
    if not pd.api.types.is_datetime64_any_dtype(dates):
        what = "numbers" if pd.api.types.is_numeric_dtype(dates) else f"of type {dates}"
        raise DataError(
            f"dates are {what}: convert them to datetimes first (dd.to_datetime, with the unit "
            "of numbers: unit='s' or 'ms', or origin='1899-12-30', unit='D' for Excel days)",
            column=datetime,
        )
    if monetary_value is not None:
        amounts = transactions[monetary_value].dtype
        if not pd.api.types.is_numeric_dtype(amounts) or pd.api.types.is_bool_dtype(amounts):
            raise DataError(
                f"amounts are {amounts}, not numbers (text is not converted)",
                column=monetary_value,
            )


def _naive(dates: pd.Series) -> pd.Series:
    """Datetimes with a time zone converted to UTC wall-clock time, as the in-memory path."""
    if getattr(dates.dt, "tz", None) is not None:
        converted: pd.Series = dates.dt.tz_convert("UTC").dt.tz_localize(None)
        return converted
    return dates


def _row_problems(
    part: pd.DataFrame, customer_id: str, datetime: str, monetary_value: str | None
) -> pd.DataFrame:
    """The bad rows of one partition: (column, problem, first labels, count) per problem."""
    checks = [
        (customer_id, "missing customer ids", part[customer_id].isna().to_numpy()),
        (datetime, "missing dates", part[datetime].isna().to_numpy()),
    ]
    if monetary_value is not None:
        amounts = part[monetary_value].to_numpy(dtype=np.float64, na_value=np.nan)
        checks += [
            (monetary_value, "missing (NaN) or infinite amounts", ~np.isfinite(amounts)),
            (
                monetary_value,
                "negative amounts (returns: the Dask path refuses them; drop or net them first)",
                amounts < 0,
            ),
        ]
    found = [
        (column, message, part.index[bad][:_SHOWN].tolist(), int(bad.sum()))
        for column, message, bad in checks
        if bad.any()
    ]
    return pd.DataFrame(found, columns=["column", "problem", "labels", "count"])


def _raise_problems(found: pd.DataFrame) -> None:
    """One DataError for every problem of the log (as the in-memory path)."""
    if found.empty:
        return
    merged = []
    for (column, problem), group in found.groupby(["column", "problem"], sort=False):
        labels = [label for labels in group["labels"] for label in labels][:_SHOWN]
        merged.append((str(column), str(problem), labels, int(group["count"].sum())))
    if len(merged) == 1:
        column, problem, labels, count = merged[0]
        raise DataError(problem, column=column, rows=labels, count=count)
    parts = [
        f"column {column!r}: {problem} (rows {', '.join(map(repr, labels[:5]))}"
        + (f" and {count - len(labels[:5])} more)" if count > len(labels[:5]) else ")")
        for column, problem, labels, count in merged
    ]
    raise DataError(f"{len(merged)} problems in the transaction log: " + "; ".join(parts))


def _end_period(observation_end: Any, base: str) -> int:
    try:
        end = pd.Timestamp(observation_end)
    except (TypeError, ValueError, OverflowError):
        raise ArgumentError(
            f"cannot read {observation_end!r} as a date", argument="observation_end"
        ) from None
    if pd.isna(end):
        raise ArgumentError("must be a date, got a missing value", argument="observation_end")
    if end.tzinfo is not None:
        end = end.tz_convert("UTC").tz_localize(None)
    stamp = np.array([end.to_datetime64()], dtype="datetime64[ns]")
    return int(periods(stamp, base)[0])  # type: ignore[arg-type]


def summarize(
    transactions: dd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    sum_log_interpurchase: bool = False,
    include_first_purchase: bool = False,
) -> RFMSummary:
    """Per-customer summary of a Dask DataFrame of transactions (the definitions of
    :func:`relmark.data.summarize`, computed on the cluster).

    Parameters
    ----------
    transactions
        One row per transaction; dates must already be datetimes (with a time zone, they are
        converted to UTC), amounts numbers.
    customer_id, datetime, monetary_value
        Column names of the customer id, the transaction time and (optionally) its value.
    time_unit, freq_multiplier
        The period grid (``"D"``, ``"W"``, ``"h"``, ``"M"``) and the multiple of the summary's
        time unit, labelled by :class:`relmark.timeunit.TimeUnit` (``("D", 7)`` is ``"W"``,
        ``("W", 7)`` is ``"7W"``), as in memory.
    observation_end
        End of observation (default: the last transaction's period).
    sum_log_interpurchase
        Also compute ``sum_log_interpurchase`` (the sum of the logs of the gaps between
        consecutive purchase periods, in the summary's time unit), as
        :func:`relmark.data.summarize` does.
    include_first_purchase
        Count the first purchase period in ``frequency`` and ``monetary_value`` (the mean over
        all purchase periods), as :func:`relmark.data.summarize` does; the CLV models refuse
        such a summary.

    Returns
    -------
    RFMSummary
        Sorted by customer id.

    Raises
    ------
    ArgumentError
        Naming ``time_unit``, ``freq_multiplier``, ``observation_end`` or
        ``include_first_purchase`` when they are invalid.
    DataError
        For a missing column, float or boolean ids, dates that are not datetimes, amounts that
        are not numbers (checked before any work), and, in one error naming every problem and
        the first offending rows: missing ids or dates, NaN, infinite or negative amounts, and
        transactions after ``observation_end``.
    """
    with_litt = check_flag(sum_log_interpurchase, "sum_log_interpurchase")
    first = check_flag(include_first_purchase, "include_first_purchase")
    base = TimeUnit(time_unit, argument="time_unit").base
    unit = TimeUnit(base, freq_multiplier, argument="freq_multiplier")
    _check_columns(transactions, customer_id, datetime, monetary_value)
    end_p = None if observation_end is None else _end_period(observation_end, base)
    amount = monetary_value

    def to_pairs(part: pd.DataFrame) -> pd.DataFrame:
        ok = part[customer_id].notna() & part[datetime].notna()
        part = part[ok]
        dates = _naive(part[datetime]).to_numpy(dtype="datetime64[ns]")
        return pd.DataFrame(
            {
                "customer": part[customer_id].to_numpy(),
                "period": periods(dates, base),
                "amount": part[amount].to_numpy(dtype=np.float64, na_value=np.nan)
                if amount
                else np.zeros(len(part)),
            }
        )

    meta = pd.DataFrame(
        {
            "customer": pd.Series(dtype=transactions[customer_id].dtype),
            "period": pd.Series(dtype=np.int64),
            "amount": pd.Series(dtype=np.float64),
        }
    )
    problem_meta = pd.DataFrame(
        {
            "column": pd.Series(dtype=object),
            "problem": pd.Series(dtype=object),
            "labels": pd.Series(dtype=object),
            "count": pd.Series(dtype=np.int64),
        }
    )
    problems = transactions.map_partitions(  # type: ignore[no-untyped-call]
        _row_problems, customer_id, datetime, monetary_value, meta=problem_meta
    )
    pairs = transactions.map_partitions(to_pairs, meta=meta)  # type: ignore[no-untyped-call]
    per_period = pairs.groupby(["customer", "period"]).amount.sum().reset_index()
    stats = per_period.groupby("customer").agg({"period": ["min", "max", "count"], "amount": "sum"})
    stats.columns = ["first", "last", "count", "total"]
    firsts = per_period.merge(stats[["first"]].reset_index(), on="customer")
    first_amount = firsts[firsts["period"] == firsts["first"]].groupby("customer").amount.sum()
    joined = stats.join(first_amount.rename("first_total"))
    if with_litt:
        multiple = float(freq_multiplier)

        def log_gaps(part: pd.DataFrame) -> pd.DataFrame:
            # every period of a customer is in one partition after the shuffle by customer
            part = part.sort_values(["customer", "period"])
            cust = part["customer"].to_numpy()
            when = part["period"].to_numpy(dtype=np.int64)
            same = cust[1:] == cust[:-1]
            gaps = np.log((when[1:] - when[:-1])[same] / multiple)
            return pd.DataFrame({"customer": cust[1:][same], "gap": gaps})

        gap_meta = pd.DataFrame({"customer": meta["customer"], "gap": pd.Series(dtype=np.float64)})
        shuffled = per_period[["customer", "period"]].shuffle(on="customer")
        litt = shuffled.map_partitions(log_gaps, meta=gap_meta).groupby("customer").gap.sum()
        joined = joined.join(litt.rename("litt"))
    found, summary = dask.compute(  # type: ignore[attr-defined,no-untyped-call]
        problems, joined
    )
    _raise_problems(found)
    summary = summary.sort_index()
    if summary.empty:
        raise DataError("the transaction log is empty")
    if end_p is None:
        end_p = int(summary["last"].max())
    late = summary["last"] > end_p
    if late.any():
        raise DataError(
            "transactions after the end of observation (filter them out first, or move "
            "observation_end)",
            column=datetime,
            rows=summary.index[late.to_numpy()].tolist(),
        )
    frequency = summary["count"].to_numpy(dtype=np.float64) - (0.0 if first else 1.0)
    monetary = None
    if monetary_value and first:  # the mean over every purchase period
        monetary = summary["total"].to_numpy(dtype=np.float64) / frequency
    elif monetary_value:
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(
                frequency > 0,
                (summary["total"] - summary["first_total"]).to_numpy() / frequency,
                0.0,
            )
    return RFMSummary(
        customer_id=summary.index.to_numpy(),
        frequency=frequency,
        recency=(summary["last"] - summary["first"]).to_numpy() / freq_multiplier,
        T=(end_p - summary["first"]).to_numpy() / freq_multiplier,
        monetary_value=monetary,
        time_unit=unit.label,
        sum_log_interpurchase=(
            summary["litt"].fillna(0.0).to_numpy(dtype=np.float64) if with_litt else None
        ),
        include_first_purchase=first,
    )


def fit(model: type[CLVModel], summary: dd.DataFrame, **options: Any) -> CLVModel:
    """Fit ``model`` to a Dask DataFrame of per-customer rows: the distinct rows and their
    counts are computed on the cluster, the likelihood maximised locally on them (exactly the
    in-memory estimate, whose checks the rows then pass).

    Parameters
    ----------
    model
        A model class, e.g. :class:`relmark.clv.BGNBD`.
    summary
        One row per customer with the model's data columns (``frequency``, ``recency``, ``T``).
    **options
        Passed to ``model.fit``.

    Returns
    -------
    CLVModel
        The fitted model.

    Raises
    ------
    ArgumentError
        When ``model`` is not a relmark model class.
    DataError
        For a missing column, a column that is not numbers (checked before any work), rows
        the in-memory fit refuses, or a summary that counts the first purchase (a column
        ``include_first_purchase`` holding True).
    """
    if not (isinstance(model, type) and issubclass(model, CLVModel)):
        raise ArgumentError(
            f"must be a relmark model class such as BGNBD, got {model!r}", argument="model"
        )
    fields = list(model.data_fields)
    missing = [c for c in fields if c not in summary.columns]
    if missing:
        found = ", ".join(map(str, summary.columns))
        raise DataError(
            f"missing column(s) {', '.join(missing)} (found: {found})", column=missing[0]
        )
    for name in fields:
        dtype = summary[name].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"values are {dtype}, not numbers (text is not converted)", column=name)
    if FIRST_PURCHASE in summary.columns:  # a flag column, as the Spark engine writes it
        refuse_first_purchase({FIRST_PURCHASE: summary[FIRST_PURCHASE].unique().compute().tolist()})
    counts = summary[fields].groupby(fields).size().compute().rename("weights").reset_index()
    data = {f: counts[f].to_numpy(dtype=np.float64) for f in fields}
    return model.fit(data, weights=counts["weights"].to_numpy(), compress=False, **options)


def _score_partition(
    part: pd.DataFrame,
    purchases_json: str,
    spend_json: str | None,
    horizon: float,
    clv_options: dict[str, Any],
) -> pd.DataFrame:
    purchases = load_model(purchases_json)
    spend = None if spend_json is None else load_model(spend_json)
    columns = score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        part["frequency"].to_numpy(dtype=np.float64),
        part["recency"].to_numpy(dtype=np.float64),
        part["T"].to_numpy(dtype=np.float64),
        None if spend is None else part["monetary_value"].to_numpy(dtype=np.float64),
        horizon=horizon,
        **clv_options,
    )
    return pd.DataFrame(columns, index=part.index)


def score(
    purchases: CLVModel,
    customers: dd.DataFrame,
    *,
    horizon: float,
    spend: CLVModel | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
) -> dd.DataFrame:
    """P(alive) and expected purchases over ``horizon`` per customer (with ``spend``, also the
    expected spend and the CLV over ``periods`` periods, as :func:`relmark.clv.score`), as a
    lazy Dask DataFrame computed partition by partition; the models travel as JSON.

    Parameters
    ----------
    purchases, spend
        A fitted purchase model and, optionally, a spend model.
    customers
        Per-customer rows with ``frequency``, ``recency``, ``T`` (and ``monetary_value`` with
        ``spend``).
    horizon, periods, period_length, discount_rate
        As for :func:`relmark.clv.score`.

    Returns
    -------
    dask.dataframe.DataFrame
        ``p_alive``, ``expected_purchases`` (and ``expected_spend``, ``clv``).

    Raises
    ------
    ArgumentError
        At once, for the arguments :func:`relmark.clv.score` refuses (they are checked on one
        customer before any work): a negative or NaN horizon, periods that are not whole
        numbers >= 1, a discount rate <= -1, models of the wrong kind.
    DataError
        At once for a missing column; when computed, for the rows of a partition that
        :func:`relmark.clv.score` refuses.
    """
    fields = ["frequency", "recency", "T"] + (["monetary_value"] if spend is not None else [])
    missing = [c for c in fields if c not in customers.columns]
    if missing:
        found = ", ".join(map(str, customers.columns))
        raise DataError(
            f"missing column(s) {', '.join(missing)} (found: {found})", column=missing[0]
        )
    options: dict[str, Any] = {
        "periods": periods,
        "period_length": period_length,
        "discount_rate": discount_rate,
    }
    # The in-memory checks of the models and every argument, on one customer, before any work:
    score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        [1.0],
        [1.0],
        [2.0],
        None if spend is None else [1.0],
        horizon=horizon,
        **options,
    )
    names = ["p_alive", "expected_purchases"] + (
        ["expected_spend", "clv"] if spend is not None else []
    )
    meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in names})
    result: dd.DataFrame = customers.map_partitions(  # type: ignore[no-untyped-call]
        _score_partition,
        purchases.to_json(indent=None),
        None if spend is None else spend.to_json(indent=None),
        float(horizon),
        options,
        meta=meta,
    )
    return result
