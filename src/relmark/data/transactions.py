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
4. ``monetary_value`` = mean of the merged repeat purchases (0 for customers without any);
5. optionally ``sum_log_interpurchase`` = the sum of the logs of the gaps between consecutive
   purchase periods (in the summary's time unit), the statistic of the Erlang-k models;
6. with ``include_first_purchase=True`` (lifetimes' ``include_first_transaction=True``, for
   reports and marketing RFM, never for the CLV models) ``frequency`` = number of purchase
   periods and ``monetary_value`` = mean spend over all of them, first included.

CDNOW in weeks, as in Fader, Hardie & Lee (2005): ``time_unit="D", freq_multiplier=7``.

Nothing is dropped or coerced silently: missing columns, missing or unparseable dates, missing
or negative amounts and transactions after the end of observation raise
:class:`~relmark.errors.DataError` naming the column and the first offending rows.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import FloatArray, check_choice, check_flag, check_number
from relmark.data._read import (
    DATE_UNITS,
    LINE_INDEX,
    LogOptions,
    ReadLog,
    check_end_zone,
    option_date,
    read_log,
)
from relmark.data.summary import RFMSummary
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import BASES, Base, TimeUnit, periods

__all__ = ["DATE_UNITS", "calibration_holdout", "read_transactions", "summarize"]

_Log = ReadLog


def read_transactions(
    path: str | os.PathLike[str],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Read a transaction CSV with every column as text, indexed by CSV line number.

    Ids keep their leading zeros (``007`` and ``7`` are two customers); dates and amounts are
    read by :func:`summarize`, whose errors then name the 1-based line numbers of the file
    (the header is line 1). Blank lines are skipped; line numbers count line breaks inside
    quoted fields. Empty fields are empty text (missing values for :func:`summarize`).

    Parameters
    ----------
    path
        The CSV file.
    sep, encoding
        Field separator and text encoding.

    Returns
    -------
    pandas.DataFrame
        Text columns, index ``csv_line``.

    Raises
    ------
    ArgumentError
        Naming ``path`` when the file does not exist, ``sep`` or ``encoding`` when it is not
        non-empty text or cannot be used.
    DataError
        When the file is not a readable CSV (bad encoding, ragged rows, no header) or its
        header repeats a column name (naming it; pandas would rename the second).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = f.write_text("customer_id,date\\n007,2024-01-01\\n7,2024-01-02\\n")
    >>> read_transactions(f)
             customer_id        date
    csv_line
    2                007  2024-01-01
    3                  7  2024-01-02
    """
    if not isinstance(path, str | os.PathLike):
        raise ArgumentError(f"must be a file path, got {path!r}", argument="path")
    if not os.path.isfile(path):
        raise ArgumentError(f"no such file: {os.fspath(path)!r}", argument="path")
    for name, value in (("sep", sep), ("encoding", encoding)):
        if not isinstance(value, str) or value == "":
            raise ArgumentError(f"must be non-empty text, got {value!r}", argument=name)
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{os.fspath(path)}: not a readable CSV file ({exc})") from None
    except LookupError as exc:  # an unknown encoding
        raise ArgumentError(f"unknown encoding ({exc})", argument="encoding") from None
    except ValueError as exc:  # a separator pandas cannot use
        raise ArgumentError(f"cannot read the file with it ({exc})", argument="sep") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # every row has more fields than the header: pandas takes the extra ones as the index
        # (only some rows: the ParserError above)
        raise DataError(
            f"{os.fspath(path)}: not a readable CSV file (a row has more fields than the header)"
        )
    names = [str(c) for c in frame.columns]
    try:  # pandas renames a repeated header ("date", "date.1"): read the header as written
        header = pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            header=None,
            nrows=1,
            dtype=str,
            keep_default_na=False,
            index_col=False,
        )
        written = [str(v) for v in header.iloc[0].tolist()] if len(header) else names
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        written = names
    repeated = sorted({c for c in written if written.count(c) > 1})
    if repeated:
        raise DataError(
            f"{os.fspath(path)}: the header repeats column names (pandas would rename the "
            "second one)",
            column=repeated[0],
        )
    header_breaks = sum(str(c).count("\n") for c in frame.columns)
    breaks = np.zeros(len(frame), dtype=np.int64)
    for name in frame.columns:
        breaks += frame[name].str.count("\n").to_numpy(dtype=np.int64)
    lines = (
        2 + header_breaks + np.arange(len(frame)) + np.concatenate([[0], np.cumsum(breaks)[:-1]])
    )
    frame.index = pd.Index(lines if len(frame) else np.zeros(0, np.int64), name=LINE_INDEX)
    blank = (frame == "").all(axis=1).to_numpy(dtype=bool) if len(frame.columns) else None
    if blank is not None and blank.any():
        frame = frame[~blank]
    return frame


def _options(**given: Any) -> LogOptions:
    return LogOptions.check(**given)


def _unit(time_unit: object, freq_multiplier: object) -> tuple[Base, float, TimeUnit]:
    """The grid (base), the divisor of period differences, and the unit of the times."""
    if isinstance(time_unit, str) and time_unit not in BASES:
        try:
            unit = TimeUnit.parse(time_unit)
        except ArgumentError:
            pass
        else:  # "14D": the grid is the base, the multiple is freq_multiplier
            raise ArgumentError(
                f"the period grid is a base unit ({', '.join(map(repr, BASES))}); for "
                f"{time_unit!r} pass time_unit={time_unit.lstrip('0123456789.eE+-')!r}, "
                f"freq_multiplier={unit.length_in(TimeUnit(time_unit[-1])):g}",
                argument="time_unit",
            )
    base: Base = check_choice(time_unit, "time_unit", BASES)  # type: ignore[assignment]
    mult = check_number(freq_multiplier, "freq_multiplier", low=0.0, low_open=True)
    return base, mult, TimeUnit(base, mult, argument="freq_multiplier")


def _summarize_log(
    log: ReadLog,
    mask: npt.NDArray[np.bool_] | None,
    end: np.datetime64,
    grid: Base,
    multiple: float,
    first: bool = False,
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Core: (customer codes present, frequency, recency, T, monetary_value).

    Returns netted (``log.purchase`` False) are not purchases: they do not make a period a
    purchase period, but their amounts count in the spend of their period. With ``first``
    frequency counts every purchase period and the spend is their mean (first included)."""
    codes, dates, amounts = log.codes, log.dates, log.amounts
    if mask is not None:
        codes, dates = codes[mask], dates[mask]
        amounts = None if amounts is None else amounts[mask]
    per = periods(dates, grid)
    buy_codes, buy_per = codes, per
    if log.purchase is not None:
        bought = log.purchase if mask is None else log.purchase[mask]
        buy_codes, buy_per = codes[bought], per[bought]
    end_p = int(periods(np.array([end]), grid)[0])
    n_codes = log.ids.shape[0]
    present = np.bincount(buy_codes, minlength=n_codes) > 0
    # First and last period per customer (unbuffered ufunc.at: one pass, no sort).
    first_p = np.full(n_codes, np.iinfo(np.int64).max)
    last_p = np.full(n_codes, np.iinfo(np.int64).min)
    np.minimum.at(first_p, buy_codes, buy_per)
    np.maximum.at(last_p, buy_codes, buy_per)
    # Distinct (customer, period) pairs: sort one integer key (values only, no argsort).
    pmin = int(buy_per.min())
    span = int(buy_per.max()) - pmin + 1
    key = np.sort(buy_codes.astype(np.int64) * span + (buy_per - pmin))
    distinct = np.empty(key.shape[0], dtype=bool)
    distinct[0] = True
    np.not_equal(key[1:], key[:-1], out=distinct[1:])
    idx = np.flatnonzero(present)
    count = np.bincount(key[distinct] // span, minlength=n_codes)[idx].astype(np.float64)
    frequency = count if first else count - 1.0
    recency = (last_p[idx] - first_p[idx]) / multiple
    T = (end_p - first_p[idx]) / multiple
    monetary: FloatArray | None = None
    if amounts is not None:
        in_first = per == first_p[codes]
        repeat = amounts if first else np.where(in_first, 0.0, amounts)
        # the repeat periods' spend summed directly (total - first period lost the digits of
        # a small repeat purchase after a large first one: 1e7 then 0.001 gave 0.00099999)
        repeat_total = np.bincount(codes, weights=repeat, minlength=n_codes)[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, repeat_total / frequency, 0.0)
        if log.purchase is not None:
            # A netted period whose return equals its purchase can leave -1e-15 of float
            # rounding: zero it, relative to the amounts summed (only when returns are netted).
            scale = np.bincount(codes, weights=np.abs(repeat), minlength=n_codes)[idx]
            monetary = np.where(np.abs(repeat_total) <= 1e-12 * scale, 0.0, monetary)
    return idx, frequency, recency.astype(np.float64), T.astype(np.float64), monetary


def _sum_log_interpurchase(
    log: ReadLog,
    mask: npt.NDArray[np.bool_] | None,
    grid: Base,
    multiple: float,
    idx: npt.NDArray[np.intp],
) -> FloatArray:
    """Each present customer's sum of ``ln((p_i - p_{i-1}) / multiple)`` over consecutive
    distinct purchase periods ``p`` (0 without repeats), in the order of ``idx``."""
    codes, dates = log.codes, log.dates
    bought = np.ones(codes.shape[0], dtype=bool) if log.purchase is None else log.purchase
    if mask is not None:
        bought = bought & mask
    codes = codes[bought]
    per = periods(dates[bought], grid)
    pmin = int(per.min())
    span = int(per.max()) - pmin + 1
    key = np.unique(codes.astype(np.int64) * span + (per - pmin))  # sorted distinct pairs
    cust, when = key // span, key % span
    same = cust[1:] == cust[:-1]
    gaps = (when[1:] - when[:-1])[same] / multiple
    total = np.bincount(cust[1:][same], weights=np.log(gaps), minlength=log.ids.shape[0])
    out: FloatArray = total[idx].astype(np.float64)
    return out


_OPTIONS_DOC = """
    customer_id, datetime, monetary_value
        Column names of the customer id, the transaction time and (optionally) its amount.
    currency
        Column of the amounts' ISO 4217 currency codes: every row must have the same one
        (:class:`~relmark.errors.CurrencyError` otherwise); it is kept as
        ``RFMSummary.currency``. Needs ``monetary_value``.
    time_unit
        Period grid: ``"D"`` (days), ``"W"`` (Monday-to-Sunday weeks), ``"h"`` (hours) or
        ``"M"`` (calendar months). Purchases of a customer in one period are merged.
    freq_multiplier
        Divide times by this (``time_unit="D", freq_multiplier=7`` gives weeks with day
        resolution, as in the CDNOW papers). The summary's unit is
        ``TimeUnit(time_unit, freq_multiplier)``: ``"W"``, ``"2W"`` for 14 days, ``"2.5D"``.
    date_format
        ``strftime`` format of text dates (e.g. ``"%d/%m/%Y"``, ``"%Y%m%d"``).
    dayfirst
        For text dates such as ``01/02/2024`` whose order no day above 12 settles: ``True``
        reads 1 February, ``False`` 2 January. Without it (and without ``date_format``) such a
        column is refused.
    date_unit
        Unit of dates given as numbers: ``"excel"`` (Excel serial days, 1900 system, local
        time), ``"s"`` or ``"ms"`` (Unix epoch seconds or milliseconds, UTC). Numbers are
        refused without it.
    timezone
        IANA time zone (``"Europe/Berlin"``) in which purchases are binned by local day (or
        hour, week, month). Dates with a UTC offset (mixed offsets, e.g. ``+01:00`` and
        ``+02:00``, are fine) and epoch numbers are converted to it; the default, ``None``,
        bins them by their UTC day. Dates without an offset are local times and are taken as
        written whatever ``timezone`` is.
    returns
        Negative amounts (returns): ``"refuse"`` (default) reports them; ``"drop"`` drops
        them (counted in ``notes``); ``"net"`` subtracts each from its customer's spend in its
        period (day for ``time_unit="D"``); a netted return is not a purchase, needs a
        purchase of its customer in its period and may not exceed it.
    missing_ids
        Rows with a blank or missing customer id: ``"refuse"`` (default) reports them;
        ``"drop"`` drops them and counts them in ``notes``.
    sum_log_interpurchase
        Also compute the column ``sum_log_interpurchase``: for each customer the sum of the
        logs of the times between consecutive purchase periods, in the summary's time unit
        (0 without repeat purchases; of the calibration period in a split); BG/CNBD-k and
        MBG/CNBD-k need it to compare ``k`` (:func:`relmark.clv.bgcnbd.profile_k`).
        Default ``False``.
    include_first_purchase
        Count the first purchase period too (lifetimes' ``include_first_transaction=True``):
        ``frequency`` is then the number of purchase periods (1, with ``recency`` 0, for a
        one-time buyer) and ``monetary_value`` the mean spend over all of them. ``recency``,
        ``T``, ``sum_log_interpurchase`` and, in a split, the holdout columns (the holdout has
        no first purchase) do not change. The summary records it
        (``RFMSummary.include_first_purchase``) and every CLV model refuses it: use it for
        reports and :func:`relmark.scoring.rfm_from_summary`. Default ``False``."""

_RAISES_DOC = """
    ArgumentError
        An option is invalid (an unknown ``time_unit``, ``freq_multiplier <= 0``, an unknown
        ``timezone`` or ``returns``, a ``date_format`` that is not a strftime format,
        ``currency`` without ``monetary_value``, an unreadable ``observation_end``, an end
        with a UTC offset or zone while the log's dates are wall-clock times), naming
        it; ``transactions`` that are a polars LazyFrame or a pyarrow Table (collect or
        convert them first); for :func:`calibration_holdout`, an ``observation_end`` not
        after ``calibration_end``, or ends (the last transaction's date when
        ``observation_end`` is not given) in one period of the time unit's grid (a holdout
        of 0 periods), naming ``observation_end`` (``calibration_end``) with both dates.
    DataError
        Every problem of the log at once, each naming its column and its first rows (the
        index labels; CSV line numbers for :func:`read_transactions` frames): missing columns,
        missing, blank or floating-point ids, ids mixing text and numbers, missing or
        unparseable dates, dates given as numbers without ``date_unit``, an ambiguous
        day/month order, dates outside 1677-09-22 .. 2262-04-11, dates with and without UTC
        offsets mixed, missing, non-numeric or infinite amounts, returns (per ``returns``),
        transactions after the end of observation, an empty log; for
        :func:`calibration_holdout`, netted returns whose purchase is on the other side of
        ``calibration_end`` (a ``calibration_end`` inside a period).
    CurrencyError
        The ``currency`` column holds two or more currencies (and nothing else is wrong)."""


def summarize(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    currency: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    timezone: str | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    sum_log_interpurchase: bool = False,
    include_first_purchase: bool = False,
) -> RFMSummary:
    """Summarise a transaction log into one row per customer.

    Parameters
    ----------
    transactions
        A pandas or polars DataFrame, or a mapping of equal-length arrays, one row per
        transaction (:func:`read_transactions` reads a CSV).
    observation_end
        End of observation (default: the last transaction's date), read like the dates of
        the log. A transaction in a later period is an error.
    {options}

    Returns
    -------
    RFMSummary
        Sorted by customer id, with ``monetary_value`` when ``monetary_value`` is given, the
        time unit label, the currency and the notes.

    Raises
    ------{raises}

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({{"customer_id": ["a", "a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03"],
    ...                     "amount": [10.0, 5.0, 20.0, 7.0]}})
    >>> s = summarize(log, monetary_value="amount", observation_end="2024-01-15")
    >>> s.to_frame()
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0      7.0  14.0            20.0
    b                  0.0      0.0  12.0             0.0
    >>> summarize(log, freq_multiplier=14).time_unit
    '2W'

    Counting the first purchase (a: periods of 15 and 20; b: one period of 7):

    >>> c = summarize(log, monetary_value="amount", include_first_purchase=True)
    >>> c.frequency.tolist(), c.monetary_value.tolist()
    ([2.0, 1.0], [17.5, 7.0])
    """
    grid, mult, unit = _unit(time_unit, freq_multiplier)
    with_litt = check_flag(sum_log_interpurchase, "sum_log_interpurchase")
    first = check_flag(include_first_purchase, "include_first_purchase")
    opts = _options(
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
    if observation_end is not None:
        check_end_zone(observation_end, "observation_end", transactions, opts)
    end = None if observation_end is None else option_date(observation_end, "observation_end", opts)
    log = read_log(transactions, opts, grid=grid, late=None if end is None else (end, True))
    if end is None:
        end = log.dates.max()
    codes, x, tx, T, m = _summarize_log(log, None, end, grid, mult, first)
    _check_finite_spend(m, log.ids[codes], opts.monetary_value)
    return RFMSummary(
        customer_id=log.ids[codes],
        frequency=x,
        recency=tx,
        T=T,
        monetary_value=m,
        time_unit=unit,
        currency=log.currency,
        notes=log.notes,
        sum_log_interpurchase=(
            _sum_log_interpurchase(log, None, grid, mult, codes) if with_litt else None
        ),
        include_first_purchase=first,
    )


def _check_finite_spend(
    spend: FloatArray | None, ids: npt.NDArray[Any], column: str | None
) -> None:
    """Finite amounts whose sum overflows (two of 1e308) give an infinite mean spend."""
    if spend is None or np.isfinite(spend).all():
        return
    raise DataError(
        "the amounts of these customers add up beyond the float range (about 1.8e308)",
        column=column,
        rows=ids[~np.isfinite(spend)].tolist(),
    )


def _check_split_returns(
    log: ReadLog,
    in_cal: npt.NDArray[np.bool_],
    grid: Base,
    column: str | None,
    cal_end: np.datetime64,
) -> None:
    """A netted return must find its purchase on its own side of ``calibration_end``: a period
    that ``calibration_end`` cuts could otherwise net a holdout return against a calibration
    purchase (a negative holdout spend) or the other way round."""
    assert log.purchase is not None
    assert log.amounts is not None
    if log.purchase.all():
        return
    per = periods(log.dates, grid)
    span = int(per.max()) - int(per.min()) + 1
    key = (log.codes.astype(np.int64) * span + (per - per.min())) * 2 + in_cal
    group = pd.factorize(key)[0]
    bought = np.bincount(group, weights=log.purchase.astype(float))
    total = np.bincount(group, weights=log.amounts)
    spent = np.bincount(group, weights=np.where(log.purchase, log.amounts, 0.0))
    excess = (bought == 0) | (total < -1e-9 * (1.0 + np.abs(spent)))
    bad = ~log.purchase & excess[group]
    if bad.any():
        raise DataError(
            f"returns whose purchases fall on the other side of calibration_end "
            f"{pd.Timestamp(cal_end)} in their period: each part must net its own returns "
            "(put calibration_end on a period boundary, or returns='drop')",
            column=column,
            rows=log.rows[bad].tolist(),
        )


def calibration_holdout(
    transactions: Any,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    currency: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: Literal["excel", "s", "ms"] | None = None,
    timezone: str | None = None,
    returns: Literal["refuse", "drop", "net"] = "refuse",
    missing_ids: Literal["refuse", "drop"] = "refuse",
    sum_log_interpurchase: bool = False,
    holdout_spend: Literal["period", "transaction"] = "period",
    include_first_purchase: bool = False,
) -> RFMSummary:
    """Summary of a calibration period with the customers' purchases in a holdout period.

    The calibration summary is :func:`summarize` of the transactions up to ``calibration_end``
    (inclusive). For the customers seen in calibration, the holdout columns count what happened
    in ``(calibration_end, observation_end]``: ``frequency_holdout`` is the number of periods
    with a purchase, ``monetary_value_holdout`` the mean spend per holdout purchase period (the
    calibration's rule: purchases of one period are merged, their amounts summed; netted
    returns reduce the sum), and ``duration_holdout`` the holdout length.
    Customers whose first purchase falls in the holdout are not part of the calibration cohort
    and do not appear (lifetimes' definition). ``include_first_purchase`` changes the
    calibration columns only: the holdout never holds a customer's first purchase.

    Parameters
    ----------
    transactions
        As for :func:`summarize`.
    calibration_end
        Last moment of the calibration period (read like the dates of the log).
    observation_end
        End of the holdout period (default: the last transaction's date). Later transactions
        are an error.
    {options}
    holdout_spend
        How ``monetary_value_holdout`` averages: ``"period"`` (default), per holdout purchase
        period, as ``monetary_value`` and ``frequency_holdout`` count; ``"transaction"``, per
        holdout transaction (lifetimes' ``calibration_and_holdout_data``; netted returns
        reduce the sum and are not counted as transactions).

    Returns
    -------
    RFMSummary
        With ``frequency_holdout``, ``duration_holdout`` and, with amounts,
        ``monetary_value_holdout``.

    Raises
    ------{raises}

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({{"customer_id": ["a", "a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-05", "2024-01-20", "2024-01-03"]}})
    >>> s = calibration_holdout(log, calibration_end="2024-01-10", observation_end="2024-01-31")
    >>> s.frequency.tolist(), s.frequency_holdout.tolist(), s.duration_holdout.tolist()
    ([1.0, 0.0], [1.0, 0.0], [21.0, 21.0])
    """
    grid, mult, unit = _unit(time_unit, freq_multiplier)
    spend_rule = check_choice(holdout_spend, "holdout_spend", ("period", "transaction"))
    with_litt = check_flag(sum_log_interpurchase, "sum_log_interpurchase")
    first = check_flag(include_first_purchase, "include_first_purchase")
    opts = _options(
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
    for name, value in (("calibration_end", calibration_end), ("observation_end", observation_end)):
        if value is not None:
            check_end_zone(value, name, transactions, opts)
    cal_end = option_date(calibration_end, "calibration_end", opts)
    obs_end = (
        None if observation_end is None else option_date(observation_end, "observation_end", opts)
    )
    if obs_end is not None and obs_end <= cal_end:
        raise ArgumentError(
            f"must be after calibration_end {pd.Timestamp(cal_end)}, got {observation_end!r}",
            argument="observation_end",
        )
    if obs_end is not None:  # before reading the log: the ends alone decide it
        _check_holdout_length(cal_end, obs_end, grid, given=True)
    log = read_log(
        transactions, opts, grid=grid, late=None if obs_end is None else (obs_end, False)
    )
    if obs_end is None:
        obs_end = log.dates.max()
        if obs_end <= cal_end:
            raise ArgumentError(
                f"the last transaction ({pd.Timestamp(obs_end)}) is not after calibration_end: "
                "there is no holdout period",
                argument="calibration_end",
            )
        _check_holdout_length(cal_end, obs_end, grid, given=False)
    in_cal = log.dates <= cal_end
    buys = np.ones(log.codes.shape[0], dtype=bool) if log.purchase is None else log.purchase
    if not (in_cal & buys).any():
        raise DataError(f"no purchases up to calibration_end {pd.Timestamp(cal_end)}")
    if log.purchase is not None and log.amounts is not None:
        _check_split_returns(log, in_cal, grid, opts.monetary_value, cal_end)
    codes, x, tx, T, m = _summarize_log(log, in_cal, cal_end, grid, mult, first)
    _check_finite_spend(m, log.ids[codes], opts.monetary_value)
    # Holdout: distinct (customer, period) pairs of purchases after the calibration end.
    hold = ~in_cal
    n_codes = log.ids.shape[0]
    h_buy = hold & buys
    h_codes = log.codes[h_buy]
    h_per = periods(log.dates[h_buy], grid)
    freq_h = np.zeros(n_codes)
    if h_codes.size:
        pairs = np.unique(np.stack([h_codes.astype(np.int64), h_per]), axis=1)
        freq_h = np.bincount(pairs[0], minlength=n_codes).astype(np.float64)
    money_h: FloatArray | None = None
    if log.amounts is not None:
        sums = np.bincount(log.codes[hold], weights=log.amounts[hold], minlength=n_codes)
        # netted returns can leave -1e-15 of float rounding: zero it relative to the amounts
        # summed, as for monetary_value (an absolute 1e-9 zeroed amounts of 1e-10)
        scale = np.bincount(log.codes[hold], weights=np.abs(log.amounts[hold]), minlength=n_codes)
        sums = np.where(np.isfinite(sums) & (np.abs(sums) <= 1e-12 * scale), 0.0, sums)
        counts = freq_h if spend_rule == "period" else np.bincount(h_codes, minlength=n_codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            money_h = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)[codes]
        _check_finite_spend(money_h, log.ids[codes], opts.monetary_value)
    duration = (
        periods(np.array([obs_end]), grid)[0] - periods(np.array([cal_end]), grid)[0]
    ) / mult
    return RFMSummary(
        customer_id=log.ids[codes],
        frequency=x,
        recency=tx,
        T=T,
        monetary_value=m,
        time_unit=unit,
        frequency_holdout=freq_h[codes],
        monetary_value_holdout=money_h,
        duration_holdout=np.full(codes.shape[0], float(duration)),
        currency=log.currency,
        notes=log.notes,
        sum_log_interpurchase=(
            _sum_log_interpurchase(log, in_cal, grid, mult, codes) if with_litt else None
        ),
        include_first_purchase=first,
    )


def refuse_empty_holdout(
    *, calibration_end: object, end: object, given: bool, periods_apart: int, time_unit: object
) -> None:
    """Refuse a holdout of no length: the end of observation (``observation_end`` when
    ``given``, else the last transaction) in the same period of ``time_unit`` as
    ``calibration_end`` (``periods_apart`` <= 0), where every customer's ``duration_holdout``
    would be 0. An :class:`~relmark.errors.ArgumentError` naming ``observation_end`` (or,
    without it, ``calibration_end``) and both dates, the one message of every engine.

    >>> refuse_empty_holdout(calibration_end="2024-01-10 10:00", end="2024-01-10 12:00",
    ...                      given=True, periods_apart=0, time_unit="D")
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'observation_end': must be after calibration_end \
2024-01-10 10:00:00 by at least one period of time_unit 'D', got 2024-01-10 12:00:00 (the same \
period: the holdout would have no length)
    """
    if periods_apart > 0:
        return
    cal, obs = pd.Timestamp(calibration_end), pd.Timestamp(end)  # type: ignore[arg-type]
    if given:
        raise ArgumentError(
            f"must be after calibration_end {cal} by at least one period of time_unit "
            f"{time_unit!r}, got {obs} (the same period: the holdout would have no length)",
            argument="observation_end",
        )
    raise ArgumentError(
        f"the last transaction ({obs}) is in the same period of time_unit {time_unit!r} as "
        f"calibration_end {cal}: there is no holdout period (pass an earlier calibration_end "
        "or a later observation_end)",
        argument="calibration_end",
    )


def _check_holdout_length(
    cal_end: np.datetime64, obs_end: np.datetime64, grid: Base, *, given: bool
) -> None:
    """:func:`refuse_empty_holdout` for in-memory ends on the grid of ``grid``."""
    ends = periods(np.array([cal_end, obs_end]), grid)
    refuse_empty_holdout(
        calibration_end=cal_end,
        end=obs_end,
        given=given,
        periods_apart=int(ends[1] - ends[0]),
        time_unit=grid,
    )


for _f in (summarize, calibration_holdout):
    assert _f.__doc__ is not None
    _f.__doc__ = _f.__doc__.format(options=_OPTIONS_DOC.strip(), raises=_RAISES_DOC)
