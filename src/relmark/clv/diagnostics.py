r"""Model checks: calibration vs holdout, and period transactions.

- :func:`calibration_holdout_table`: mean predicted and actual holdout repeat purchases by
  calibration frequency (0, 1, ..., k+), the check of Fader, Hardie & Lee (2005, Figure 3).
- :func:`period_transactions`: expected and actual numbers of customers with 0, 1, ..., k+
  repeat purchases in calibration. relmark computes the expectation exactly, as
  :math:`\sum_i P(X(T_i) = n)` with each customer's own age :math:`T_i` (lifetimes simulates
  it), and reports Pearson's chi-square statistic.
- :func:`tracking`: cumulative and incremental repeat transactions of the cohort over calendar
  time, actual against the model (FHL 2005, Figure 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from relmark._validation import check_count, check_number
from relmark.clv._base import refuse_first_purchase
from relmark.data.summary import RFMSummary
from relmark.errors import ArgumentError, DataError

__all__ = ["calibration_holdout_table", "period_transactions", "tracking"]


def calibration_holdout_table(
    models: dict[str, Any], summary: RFMSummary, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean predicted vs actual holdout repeat purchases by calibration frequency.

    Parameters
    ----------
    models
        Purchase models by display name.
    summary
        A calibration/holdout summary (:func:`relmark.data.calibration_holdout`).
    max_frequency
        Frequencies at or above this are pooled in the last row (``"7+"``).

    Returns
    -------
    pandas.DataFrame
        One row per calibration frequency ``"0"``, ..., ``"k+"``: ``customers``, the mean
        ``actual`` holdout repeat purchases and one column per model with its mean
        :meth:`~relmark.clv.BGNBD.conditional_expected_purchases` over the holdout duration
        (NaN for a frequency without customers). ``attrs`` keeps the holdout duration and
        time unit for :mod:`relmark.plot`.

    Raises
    ------
    DataError
        For a summary without holdout columns.
    """
    _check_summary(summary)
    max_frequency = check_count(max_frequency, "max_frequency", minimum=1)
    if not isinstance(models, dict):
        raise ArgumentError("must be a dict of purchase models by name", argument="models")
    for name, model in models.items():
        _check_model(model, f"models[{name!r}]", "conditional_expected_purchases")
    if summary.frequency_holdout is None or summary.duration_holdout is None:
        raise DataError("needs a calibration/holdout summary (relmark.data.calibration_holdout)")
    duration = float(summary.duration_holdout[0])
    bins = np.minimum(summary.frequency, max_frequency).astype(np.int64)
    counts = np.bincount(bins, minlength=max_frequency + 1)
    frame = pd.DataFrame({"customers": counts})
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["actual"] = (
            np.bincount(bins, weights=summary.frequency_holdout, minlength=counts.size) / counts
        )
        for name, model in models.items():
            pred = model.conditional_expected_purchases(
                summary.frequency, summary.recency, summary.T, t=duration
            )
            frame[name] = np.bincount(bins, weights=pred, minlength=counts.size) / counts
    frame.index = pd.Index(
        [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"],
        name="calibration repeat purchases",
    )
    frame.attrs.update(duration_holdout=duration, time_unit=summary.time_unit)  # for the figure
    return frame


def period_transactions(
    model: Any, summary: RFMSummary, *, max_frequency: int = 7
) -> tuple[pd.DataFrame, float, float]:
    """Expected vs actual customers by number of repeat purchases in calibration.

    The expected count of customers with :math:`n` repeat purchases is
    :math:`\\sum_i P(X(T_i) = n)` over the customers' own ages :math:`T_i`
    (the model's ``prob_purchases``); the last row pools :math:`n \\ge k`.

    Parameters
    ----------
    model
        A purchase model with ``prob_purchases`` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), in the
        summary's time unit.
    summary
        A per-customer summary (:class:`relmark.data.RFMSummary`).
    max_frequency
        The number :math:`k` of the pooled last row ``"k+"`` (keyword-only, default 7).

    Returns
    -------
    table, chi_square, p_value
        The table has columns ``actual`` and ``expected`` indexed 0..k-1 and ``k+``; the
        statistic compares them with ``k`` degrees of freedom minus the model's parameters.
    """
    _check_model(model, "model", "prob_purchases")
    _check_summary(summary)
    max_frequency = check_count(max_frequency, "max_frequency", minimum=1)
    ages = summary.T
    expected = np.zeros(max_frequency + 1)
    for n in range(max_frequency):
        expected[n] = float(np.sum(model.prob_purchases(np.full(ages.shape, float(n)), t=ages)))
    expected[max_frequency] = len(summary) - expected[:max_frequency].sum()
    actual = np.bincount(
        np.minimum(summary.frequency, max_frequency).astype(np.int64), minlength=max_frequency + 1
    )
    table = pd.DataFrame(
        {"actual": actual, "expected": expected},
        index=pd.Index(
            [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"],
            name="repeat purchases",
        ),
    )
    stat = float(np.sum((actual - expected) ** 2 / expected))
    dof = max(max_frequency - len(getattr(model, "params", {})), 1)
    return table, stat, float(chi2.sf(stat, dof))


def tracking(
    model: Any,
    log: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    unit_days: float = 7.0,
    calibration_end: Any = None,
) -> pd.DataFrame:
    """Cumulative and incremental repeat transactions of the cohort by period, actual vs model.

    Each customer enters at their first purchase :math:`t_{0i}`; the model expects
    :math:`\\sum_i E[X(\\tau - t_{0i})]` repeat transactions by calendar time :math:`\\tau`
    (``expected_purchases_new_customer``), compared with the repeat transactions actually
    logged (purchases after the first day of each customer, same-day purchases merged).

    Parameters
    ----------
    model
        A purchase model in the time unit of ``unit_days`` days (weeks: 7).
    log
        Transaction log with customer ids and dates.
    customer_id
        Name of the customer-id column of ``log``.
    datetime
        Name of the date (or timestamp) column of ``log``; times are cut to days.
    unit_days
        Length of one period in days: the model's time unit (7 for a weekly model).
    calibration_end
        Marked in the result (column ``calibration``) to tell fit from forecast.

    Returns
    -------
    pandas.DataFrame
        One row per period since the first purchase in the log: ``actual`` and ``expected``
        repeat transactions in the period, their cumulative sums ``actual_cumulative`` and
        ``expected_cumulative``, and ``calibration`` (a flag) when ``calibration_end`` is
        given.
    """
    _check_model(model, "model", "expected_purchases_new_customer")
    unit_days = check_number(unit_days, "unit_days", low=0.0, low_open=True)
    if not isinstance(log, pd.DataFrame):
        raise ArgumentError(f"must be a pandas DataFrame, got {type(log).__name__}", argument="log")
    for column in (customer_id, datetime):
        if not isinstance(column, str) or column not in log.columns:
            raise DataError("no such column in the log", column=str(column))
    if len(log) == 0:
        raise DataError("no transactions: the log is empty", column=datetime)
    try:
        parsed = pd.to_datetime(log[datetime])
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(f"not dates ({exc})", column=datetime) from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise DataError("missing dates", column=datetime, rows=log.index[bad].tolist())
    if log[customer_id].isna().any():
        raise DataError(
            "missing customer ids",
            column=customer_id,
            rows=log.index[log[customer_id].isna().to_numpy()].tolist(),
        )
    dates = parsed.dt.normalize()
    frame = pd.DataFrame({"c": log[customer_id].to_numpy(), "d": dates.to_numpy()})
    frame = frame.drop_duplicates()
    first = frame.groupby("c")["d"].transform("min")
    start = frame["d"].min()
    period = ((frame["d"] - start).dt.days // unit_days).astype(int)
    repeat = frame["d"] > first
    n_periods = int(period.max()) + 1
    actual = np.bincount(period[repeat], minlength=n_periods).astype(np.float64)
    entry = ((frame.groupby("c")["d"].min() - start).dt.days / unit_days).to_numpy()
    ends = np.arange(1, n_periods + 1, dtype=np.float64)
    expected_cum = np.array(
        [
            float(model.expected_purchases_new_customer(t=np.maximum(e - entry, 0.0)).sum())
            for e in ends
        ]
    )
    out = pd.DataFrame(
        {
            "actual": actual,
            "expected": np.diff(np.r_[0.0, expected_cum]),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
        },
        index=pd.Index(np.arange(n_periods), name="period"),
    )
    if calibration_end is not None:
        cut = (pd.Timestamp(calibration_end) - start).days / unit_days
        out["calibration"] = out.index < cut
    out.attrs["unit_days"] = float(unit_days)  # the period length, for relmark.plot
    return out


def _check_summary(summary: object) -> None:
    """An :class:`~relmark.data.RFMSummary` (ArgumentError naming ``summary``: anything else
    raised AttributeError)."""
    if not isinstance(summary, RFMSummary):
        raise ArgumentError(
            f"must be a relmark.data.RFMSummary, got {type(summary).__name__}", argument="summary"
        )
    refuse_first_purchase(summary)  # the models predict repeat purchases


def _check_model(model: object, name: str, method: str) -> None:
    """A purchase model with ``method`` (ArgumentError naming it: None raised AttributeError)."""
    if not callable(getattr(model, method, None)):
        raise ArgumentError(
            f"must be a purchase model with {method} (BGNBD, ...), got {type(model).__name__}",
            argument=name,
        )
