"""From a transaction log to the per-customer summary.

The definitions are lifetimes' (``summary_data_from_transaction_data`` and
``calibration_and_holdout_data``), reproduced exactly but computed with a vectorised numpy
pipeline (factorise ids, one lexsort, ``reduceat``) instead of pandas group-bys:

1. each transaction's date is placed on a period grid (``time_unit``: ``"D"`` days, ``"W"``
   Monday-to-Sunday weeks, ``"h"`` hours, ``"M"`` calendar months);
2. transactions of one customer in the same period are merged (their amounts summed);
3. ``frequency`` = number of periods with a purchase minus one (the first purchase is not a
   repeat purchase); ``recency`` = last period minus first; ``T`` = end of observation minus
   first period; both divided by ``freq_multiplier``;
4. ``monetary_value`` = mean of the merged repeat purchases (0 for customers without any).

CDNOW in weeks, as in Fader, Hardie & Lee (2005): ``time_unit="D", freq_multiplier=7``.

Nothing is dropped or coerced silently: missing columns, missing or unparseable dates, missing
or negative amounts and transactions after the end of observation raise
:class:`~relmark.errors.DataError` naming the column and the first offending rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import TIME_UNITS, FloatArray
from relmark.data.summary import RFMSummary
from relmark.errors import DataError

__all__ = ["calibration_holdout", "summarize"]


def _get_column(table: Any, name: str) -> Any:
    """Column ``name`` of a pandas/polars DataFrame or a mapping of arrays, or DataError."""
    columns = getattr(table, "columns", None)
    if columns is None and isinstance(table, Mapping):
        columns = list(table.keys())
    if columns is None:
        raise DataError(
            f"transactions must be a DataFrame or a mapping of columns, got {type(table).__name__}"
        )
    if name not in list(columns):
        found = ", ".join(map(str, columns))
        raise DataError(f"missing column (found: {found})", column=name)
    col = table[name]
    to_numpy = getattr(col, "to_numpy", None)
    if to_numpy is not None and not isinstance(col, pd.Series | pd.Index):
        return to_numpy()  # polars
    return col


def _parse_dates(raw: Any, column: str, fmt: str | None) -> npt.NDArray[np.datetime64]:
    series = pd.Series(raw) if not isinstance(raw, pd.Series) else raw
    missing = series.isna().to_numpy()
    if missing.any():
        rows = series.index[missing].tolist()
        raise DataError("missing dates", column=column, rows=rows)
    if fmt is not None and pd.api.types.is_numeric_dtype(series):
        series = series.astype(str)  # e.g. 19970101 read from a CSV as an integer
    try:
        parsed = pd.to_datetime(series, format=fmt, errors="coerce")
        if fmt is None and parsed.isna().any():  # e.g. dates with and without times
            iso = pd.to_datetime(series, format="ISO8601", errors="coerce")
            if iso.isna().sum() < parsed.isna().sum():
                parsed = iso
    except (TypeError, ValueError) as exc:
        raise DataError(f"dates cannot be parsed ({exc})", column=column) from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        rows = series.index[bad].tolist()
        shown = series[bad].head(3).tolist()
        raise DataError(
            f"unparseable dates such as {shown!r}"
            + (f" (expected format {fmt!r})" if fmt else " (pass the format with date_format=)"),
            column=column,
            rows=rows,
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]")


def _to_timestamp(value: Any, name: str, fmt: str | None) -> np.datetime64:
    """A date given as an option: ISO format, or the log's own ``fmt``."""
    try:
        ts = pd.to_datetime(value)
    except (TypeError, ValueError):
        try:
            ts = pd.to_datetime(value, format=fmt) if fmt else None
        except (TypeError, ValueError):
            ts = None
        if ts is None:
            raise DataError(f"cannot parse {value!r} as a date", column=name) from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return np.datetime64(ts.to_datetime64(), "ns")


def _periods(dates: npt.NDArray[np.datetime64], unit: str) -> npt.NDArray[np.int64]:
    """Integer period ordinals of ``dates`` on the grid of ``unit``."""
    if unit == "D":
        return dates.astype("datetime64[D]").astype(np.int64)
    if unit == "h":
        return dates.astype("datetime64[h]").astype(np.int64)
    if unit == "W":  # Monday-to-Sunday weeks (pandas 'W-SUN'); 1970-01-01 was a Thursday
        days = dates.astype("datetime64[D]").astype(np.int64)
        return np.floor_divide(days + 3, 7)
    return dates.astype("datetime64[M]").astype(np.int64)


@dataclass(frozen=True)
class _Log:
    """A validated transaction log: customer codes, period ordinals, dates and amounts."""

    ids: npt.NDArray[Any]  # distinct customer ids, sorted
    codes: npt.NDArray[np.intp]
    dates: npt.NDArray[np.datetime64]
    amounts: FloatArray | None
    rows: npt.NDArray[Any]  # row labels for error messages


def _read_log(
    transactions: Any,
    customer_id: str,
    datetime: str,
    monetary_value: str | None,
    date_format: str | None,
) -> _Log:
    raw_ids = _get_column(transactions, customer_id)
    raw_dates = _get_column(transactions, datetime)
    rows = np.asarray(raw_ids.index if isinstance(raw_ids, pd.Series) else np.arange(len(raw_ids)))
    if len(rows) == 0:
        raise DataError("the transaction log is empty")
    id_series = pd.Series(np.asarray(raw_ids))
    if id_series.isna().any():
        bad = id_series.isna().to_numpy()
        raise DataError("missing customer ids", column=customer_id, rows=rows[bad].tolist())
    codes, uniques = pd.factorize(id_series, sort=True)
    dates = _parse_dates(
        pd.Series(np.asarray(raw_dates), index=rows)
        if not isinstance(raw_dates, pd.Series)
        else raw_dates,
        datetime,
        date_format,
    )
    amounts: FloatArray | None = None
    if monetary_value is not None:
        raw_amt = _get_column(transactions, monetary_value)
        try:
            amounts = np.asarray(raw_amt, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("amounts are not numbers", column=monetary_value) from None
        bad = ~np.isfinite(amounts)
        if bad.any():
            raise DataError(
                "missing (NaN) or infinite amounts",
                column=monetary_value,
                rows=rows[bad].tolist(),
            )
        neg = amounts < 0
        if neg.any():
            raise DataError(
                "negative amounts (record returns as a separate adjustment, not a negative sale)",
                column=monetary_value,
                rows=rows[neg].tolist(),
            )
    return _Log(np.asarray(uniques), codes.astype(np.intp), dates, amounts, rows)


def _check_unit(time_unit: str, freq_multiplier: float) -> None:
    if time_unit not in TIME_UNITS:
        raise DataError(f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    if not freq_multiplier > 0:
        raise DataError(f"freq_multiplier must be > 0, got {freq_multiplier!r}")


def _unit_label(time_unit: str, freq_multiplier: float) -> str:
    if time_unit == "D" and freq_multiplier == 7:
        return "W"
    if freq_multiplier == 1:
        return time_unit
    return f"{freq_multiplier:g}{time_unit}"


def _summarize_log(
    log: _Log,
    mask: npt.NDArray[np.bool_] | None,
    end: np.datetime64,
    time_unit: str,
    freq_multiplier: float,
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Core: (customer codes present, frequency, recency, T, monetary_value)."""
    codes, dates, amounts = log.codes, log.dates, log.amounts
    if mask is not None:
        codes, dates = codes[mask], dates[mask]
        amounts = None if amounts is None else amounts[mask]
    per = _periods(dates, time_unit)
    end_p = int(_periods(np.array([end]), time_unit)[0])
    n_codes = log.ids.shape[0]
    present = np.bincount(codes, minlength=n_codes) > 0
    # First and last period per customer (unbuffered ufunc.at: one pass, no sort).
    first_p = np.full(n_codes, np.iinfo(np.int64).max)
    last_p = np.full(n_codes, np.iinfo(np.int64).min)
    np.minimum.at(first_p, codes, per)
    np.maximum.at(last_p, codes, per)
    # Distinct (customer, period) pairs: sort one integer key (values only, no argsort).
    pmin = int(per.min())
    span = int(per.max()) - pmin + 1
    key = np.sort(codes.astype(np.int64) * span + (per - pmin))
    distinct = np.empty(key.shape[0], dtype=bool)
    distinct[0] = True
    np.not_equal(key[1:], key[:-1], out=distinct[1:])
    idx = np.flatnonzero(present)
    count = np.bincount(key[distinct] // span, minlength=n_codes)[idx].astype(np.float64)
    frequency = count - 1.0
    recency = (last_p[idx] - first_p[idx]) / freq_multiplier
    T = (end_p - first_p[idx]) / freq_multiplier
    monetary: FloatArray | None = None
    if amounts is not None:
        total = np.bincount(codes, weights=amounts, minlength=n_codes)[idx]
        in_first = per == first_p[codes]
        first_total = np.bincount(
            codes, weights=np.where(in_first, amounts, 0.0), minlength=n_codes
        )[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, (total - first_total) / frequency, 0.0)
    return idx, frequency, recency.astype(np.float64), T.astype(np.float64), monetary


def summarize(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    date_format: str | None = None,
) -> RFMSummary:
    """Summarise a transaction log into one row per customer.

    Parameters
    ----------
    transactions
        A pandas or polars DataFrame, or a mapping of equal-length arrays, one row per
        transaction.
    customer_id, datetime, monetary_value
        Column names of the customer id, the transaction time and (optionally) its value.
    time_unit
        Period grid: ``"D"`` (days), ``"W"`` (Monday-to-Sunday weeks), ``"h"`` (hours) or
        ``"M"`` (calendar months). Purchases in the same period are merged.
    freq_multiplier
        Divide times by this (``time_unit="D", freq_multiplier=7`` gives weeks with day
        resolution, as in the CDNOW papers).
    observation_end
        End of observation (default: the last transaction's date). A transaction in a later
        period raises :class:`~relmark.errors.DataError`.
    date_format
        ``strftime`` format of the dates when they are strings pandas cannot infer.

    Returns
    -------
    RFMSummary
        Sorted by customer id, with ``monetary_value`` when ``monetary_value`` is given.

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
    _check_unit(time_unit, freq_multiplier)
    log = _read_log(transactions, customer_id, datetime, monetary_value, date_format)
    if observation_end is None:
        end = log.dates.max()
    else:
        end = _to_timestamp(observation_end, "observation_end", date_format)
        late = _periods(log.dates, time_unit) > _periods(np.array([end]), time_unit)[0]
        if late.any():
            raise DataError(
                f"transactions after the end of observation {pd.Timestamp(end).date()} "
                "(filter them out first, or move observation_end)",
                column=datetime,
                rows=log.rows[late].tolist(),
            )
    codes, x, tx, T, m = _summarize_log(log, None, end, time_unit, freq_multiplier)
    return RFMSummary(
        customer_id=log.ids[codes],
        frequency=x,
        recency=tx,
        T=T,
        monetary_value=m,
        time_unit=_unit_label(time_unit, freq_multiplier),
    )


def calibration_holdout(
    transactions: Any,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    date_format: str | None = None,
) -> RFMSummary:
    """Summary of a calibration period with the customers' purchases in a holdout period.

    The calibration summary is :func:`summarize` of the transactions up to ``calibration_end``
    (inclusive). For the customers seen in calibration, the holdout columns count what happened
    in ``(calibration_end, observation_end]``: ``frequency_holdout`` is the number of periods
    with a purchase, ``monetary_value_holdout`` the mean value of the holdout transactions (as
    lifetimes computes it: per transaction, not per merged period), and ``duration_holdout``
    the holdout length. Customers whose first purchase falls in the holdout are not part of the
    calibration cohort and do not appear (lifetimes' definition).

    Parameters
    ----------
    transactions, customer_id, datetime, monetary_value, time_unit, freq_multiplier, date_format
        As for :func:`summarize`.
    calibration_end
        Last moment of the calibration period.
    observation_end
        End of the holdout period (default: the last transaction's date). Later transactions
        raise :class:`~relmark.errors.DataError`.
    """
    _check_unit(time_unit, freq_multiplier)
    log = _read_log(transactions, customer_id, datetime, monetary_value, date_format)
    cal_end = _to_timestamp(calibration_end, "calibration_end", date_format)
    obs_end = (
        log.dates.max()
        if observation_end is None
        else _to_timestamp(observation_end, "observation_end", date_format)
    )
    if obs_end <= cal_end:
        raise DataError("observation_end must be after calibration_end", column="observation_end")
    late = log.dates > obs_end
    if late.any():
        raise DataError(
            f"transactions after the end of observation {pd.Timestamp(obs_end).date()}",
            column=datetime,
            rows=log.rows[late].tolist(),
        )
    in_cal = log.dates <= cal_end
    if not in_cal.any():
        raise DataError(f"no transactions up to calibration_end {pd.Timestamp(cal_end).date()}")
    codes, x, tx, T, m = _summarize_log(log, in_cal, cal_end, time_unit, freq_multiplier)
    # Holdout: distinct (customer, period) pairs after the calibration end.
    hold = ~in_cal
    n_codes = log.ids.shape[0]
    h_codes = log.codes[hold]
    h_per = _periods(log.dates[hold], time_unit)
    freq_h = np.zeros(n_codes)
    if h_codes.size:
        pairs = np.unique(np.stack([h_codes.astype(np.int64), h_per]), axis=1)
        freq_h = np.bincount(pairs[0], minlength=n_codes).astype(np.float64)
    money_h: FloatArray | None = None
    if log.amounts is not None:
        sums = np.bincount(h_codes, weights=log.amounts[hold], minlength=n_codes)
        counts = np.bincount(h_codes, minlength=n_codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            money_h = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)[codes]
    duration = (
        _periods(np.array([obs_end]), time_unit)[0] - _periods(np.array([cal_end]), time_unit)[0]
    ) / freq_multiplier
    return RFMSummary(
        customer_id=log.ids[codes],
        frequency=x,
        recency=tx,
        T=T,
        monetary_value=m,
        time_unit=_unit_label(time_unit, freq_multiplier),
        frequency_holdout=freq_h[codes],
        monetary_value_holdout=money_h,
        duration_holdout=np.full(codes.shape[0], float(duration)),
    )
