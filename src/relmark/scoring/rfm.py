r"""Customer differentiation: RFM scores, segments, the customer pyramid, Lorenz and Gini.

Marketing RFM uses the *time since* the last purchase ("recency" in marketing, but in relmark
``recency`` is the time of the last purchase since the first, :math:`t_x`); here it is
``time_since_last`` :math:`= T - t_x`, and a *short* time since the last purchase scores high.

Scores are quantile bins where tied customers always share a score: bins are cut at the
distinct values' positions, never by row order (the common ``qcut(rank(method="first"))``
idiom splits ties by row order, so two identical customers can get different scores).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    FloatArray,
    as_finite_vector,
    as_numbers,
    check_choice,
    check_count,
    check_flag,
)
from relmark.data.summary import RFMSummary
from relmark.errors import ArgumentError, DataError
from relmark.scoring._align import check_aligned

__all__ = [
    "DEFAULT_SEGMENTS",
    "PYRAMID_TIERS",
    "RFMScores",
    "customer_pyramid",
    "gini",
    "lorenz_curve",
    "quantile_scores",
    "rfm_from_summary",
    "rfm_scores",
    "segment",
]

IntArray = npt.NDArray[np.int64]


def quantile_scores(
    values: npt.ArrayLike, n_bins: int = 5, *, higher_is_better: bool = True
) -> IntArray:
    """Scores 1..n_bins by quantile, identical values always in the same bin.

    Each customer's score is set by the share of customers with a strictly smaller value plus
    half the share of ties (the mid-rank), so the score depends on the value alone, not on the
    row order.

    Parameters
    ----------
    values
        One finite number per customer (a non-empty 1-d array).
    n_bins
        Number of scores, a whole number >= 2.
    higher_is_better
        Whether a high value scores high (``False`` for time since the last purchase).

    Returns
    -------
    numpy.ndarray of int64
        Scores in ``1..n_bins``.

    Raises
    ------
    ArgumentError
        ``n_bins`` not a whole number in 2..MAX_BINS, ``higher_is_better`` not True or False.
    DataError
        Naming ``values``: empty, not 1-d, text or booleans, NaN or infinite (with the rows).

    Examples
    --------
    >>> quantile_scores([10, 10, 10, 10, 50, 60, 70, 80, 90, 100]).tolist()
    [2, 2, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    return _scores(as_finite_vector(values, "values"), n_bins, higher_is_better=higher_is_better)


MAX_BINS = 2**53
"""The most bins :func:`quantile_scores` cuts (scores are exact integers up to it)."""


def _scores(x: FloatArray, n_bins: object, *, higher_is_better: object = True) -> IntArray:
    n_bins = check_count(n_bins, "n_bins", minimum=2)
    if n_bins > MAX_BINS:
        raise ArgumentError(f"at most 2**53 bins, got {n_bins!r}", argument="n_bins")
    v = x if check_flag(higher_is_better, "higher_is_better") else -x
    s = np.sort(v)
    below = np.searchsorted(s, v, side="left")
    upto = np.searchsorted(s, v, side="right")
    mid = (below + upto) / 2.0 / v.shape[0]  # mid-rank share in (0, 1)
    out: IntArray = (np.minimum(np.floor(mid * n_bins), n_bins - 1) + 1).astype(np.int64)
    return out


@dataclass(frozen=True)
class RFMScores:
    """Per-customer R, F and M scores and their cell codes (e.g. ``"545"``)."""

    recency_score: IntArray
    frequency_score: IntArray
    monetary_score: IntArray

    @property
    def cells(self) -> list[str]:
        """Cell codes R, F, M digits."""
        return [
            f"{r}{f}{m}"
            for r, f, m in zip(
                self.recency_score, self.frequency_score, self.monetary_score, strict=True
            )
        ]


def rfm_scores(
    time_since_last: npt.ArrayLike,
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    n_bins: int = 5,
    method: Literal["independent", "nested"] = "independent",
) -> RFMScores:
    """RFM quintile scores.

    Parameters
    ----------
    time_since_last
        Time since the last purchase (shorter is better).
    frequency, monetary_value
        Purchases and spend (higher is better).
    n_bins
        Bins per dimension, 2..9 (5: quintiles; the cell codes have one digit per score).
    method
        ``"independent"``: each dimension binned over all customers; ``"nested"``: frequency
        binned within each recency score, and monetary within each (R, F) cell.

    Returns
    -------
    RFMScores
        Scores 1..n_bins per customer and dimension, and the cell codes.

    Raises
    ------
    ArgumentError
        ``n_bins`` not a whole number in 2..9; ``method`` not ``"independent"`` or
        ``"nested"`` (exactly).
    DataError
        Naming the column: empty, not 1-d, text or booleans, NaN or infinite values, a
        negative time since the last purchase or frequency (with the rows), columns of
        different lengths, or pandas Series whose indexes differ.

    Examples
    --------
    >>> rfm_scores([1, 30], [5, 1], [100.0, 20.0], n_bins=2).cells
    ['222', '111']
    """
    n_bins = check_count(n_bins, "n_bins", minimum=2)
    if n_bins > 9:
        raise ArgumentError(
            f"at most 9 bins: a cell code has one digit per score ('545'), got {n_bins}",
            argument="n_bins",
        )
    check_choice(method, "method", ("independent", "nested"))
    check_aligned(
        {
            "time_since_last": time_since_last,
            "frequency": frequency,
            "monetary_value": monetary_value,
        }
    )
    r = as_finite_vector(time_since_last, "time_since_last")
    f = as_finite_vector(frequency, "frequency")
    m = as_finite_vector(monetary_value, "monetary_value")
    if not (r.shape == f.shape == m.shape):
        raise DataError(
            f"time_since_last, frequency and monetary_value differ in length ({r.size}, "
            f"{f.size}, {m.size})",
            column="frequency" if r.shape != f.shape else "monetary_value",
        )
    for arr, name in ((r, "time_since_last"), (f, "frequency")):
        if np.any(arr < 0):
            raise DataError("must be >= 0", column=name, rows=np.flatnonzero(arr < 0).tolist())
    rs = _scores(r, n_bins, higher_is_better=False)
    if method == "independent":
        return RFMScores(rs, _scores(f, n_bins), _scores(m, n_bins))
    fs = np.zeros_like(rs)
    ms = np.zeros_like(rs)
    for rv in np.unique(rs):
        idx = np.flatnonzero(rs == rv)
        fs[idx] = _scores(f[idx], n_bins)
        for fv in np.unique(fs[idx]):
            jdx = idx[fs[idx] == fv]
            ms[jdx] = _scores(m[jdx], n_bins)
    return RFMScores(rs, fs, ms)


def rfm_from_summary(
    summary: RFMSummary,
    *,
    n_bins: int = 5,
    method: Literal["independent", "nested"] = "independent",
) -> RFMScores:
    """RFM scores from the data layer's summary: time since the last purchase is
    ``T - recency``, frequency counts all purchases (repeat + first) and monetary is the
    summary's ``monetary_value``.

    Marketing RFM counts every purchase, so a summary built with
    ``include_first_purchase=True`` is the natural input: its ``frequency`` is taken as it is
    and its ``monetary_value`` is the mean spend over all purchase periods (one-time buyers
    get their one purchase's spend). A default summary (repeat purchases) gets
    ``frequency + 1`` and its mean *repeat* spend (0 without repeats): the same F scores, but
    M scores that rank one-time buyers lowest.

    Parameters
    ----------
    summary
        The data layer's per-customer summary, with ``monetary_value``.
    n_bins, method
        As :func:`rfm_scores`.

    Returns
    -------
    RFMScores

    Raises
    ------
    ArgumentError
        ``summary`` not an :class:`~relmark.data.RFMSummary`; ``n_bins`` or ``method`` as
        :func:`rfm_scores`.
    DataError
        The summary has no ``monetary_value`` column.
    """
    if not isinstance(summary, RFMSummary):
        raise ArgumentError(
            f"must be an RFMSummary (relmark.data.summarize), got {type(summary).__name__}",
            argument="summary",
        )
    if summary.monetary_value is None:
        raise DataError(
            "the summary has no monetary_value (summarize(..., monetary_value=...))",
            column="monetary_value",
        )
    return rfm_scores(
        summary.T - summary.recency,
        summary.frequency if summary.include_first_purchase else summary.frequency + 1.0,
        summary.monetary_value,
        n_bins=n_bins,
        method=method,
    )


DEFAULT_SEGMENTS: Mapping[str, str] = {
    "champions": r"^[45][45][45]$",
    "loyal": r"^[345][45][1-5]$",
    "new": r"^5[12][1-5]$",
    "promising": r"^4[12][1-5]$",
    "at risk": r"^[12][345][1-5]$",
    "hibernating": r"^[12][12][1-5]$",
    "need attention": r"^3[1-3][1-5]$",
}
"""Segment name -> anchored pattern on the R, F, M cell code; first match wins, in order."""


def segment(
    cells: Sequence[str], segments: Mapping[str, str] = DEFAULT_SEGMENTS, *, other: str = "other"
) -> list[str]:
    """Name each cell code by the first anchored pattern it matches (``other`` if none).

    Patterns must be anchored (``^...$``): an unanchored pattern would match inside codes.

    Parameters
    ----------
    cells
        Cell codes such as ``"545"`` (:attr:`RFMScores.cells`), a list of strings.
    segments
        Segment name -> anchored regular expression, tried in order.
    other
        The name of cells no pattern matches.

    Returns
    -------
    list of str
        One segment name per cell.

    Raises
    ------
    ArgumentError
        Naming ``segments`` (a pattern that is not text, not anchored, or not a valid regular
        expression), ``other`` (not text) or ``cells`` (a single string, or not a list).
    DataError
        Naming ``cells``: a code that is not text (with the rows).

    Examples
    --------
    >>> segment(["555", "155", "311"])
    ['champions', 'at risk', 'need attention']
    """
    if isinstance(cells, str) or not isinstance(cells, Sequence | np.ndarray | pd.Series):
        raise ArgumentError(
            f"must be a list of cell codes, got {type(cells).__name__}", argument="cells"
        )
    if not isinstance(other, str):
        raise ArgumentError(f"must be a segment name (text), got {other!r}", argument="other")
    if not isinstance(segments, Mapping):
        raise ArgumentError("must map segment names to patterns", argument="segments")
    compiled = []
    for name, pattern in segments.items():
        if not (isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$")):
            raise ArgumentError(
                f"segment {name!r}: pattern {pattern!r} must be text anchored with ^...$",
                argument="segments",
            )
        try:
            compiled.append((name, re.compile(pattern)))
        except re.error as exc:
            raise ArgumentError(
                f"segment {name!r}: {pattern!r} is not a regular expression ({exc})",
                argument="segments",
            ) from None
    codes = list(cells)
    not_text = [i for i, c in enumerate(codes) if not isinstance(c, str)]
    if not_text:
        raise DataError("cell codes are text such as '545'", column="cells", rows=not_text)
    return [next((n for n, rx in compiled if rx.match(c)), other) for c in codes]


PYRAMID_TIERS: tuple[str, ...] = ("platinum", "gold", "iron", "lead")


def customer_pyramid(
    value: npt.ArrayLike, *, cuts: tuple[float, float, float] = (0.01, 0.05, 0.20)
) -> list[str]:
    """Customer pyramid tiers (Zeithaml, Rust & Lemon 2001) by profit or CLV.

    ``cuts`` are the cumulative shares of customers, best first: by default the top 1% are
    platinum, the next 4% gold, the next 15% iron and the remaining 80% lead. Ties share a tier
    (decided by value, not row order).

    Parameters
    ----------
    value
        Profit or CLV per customer (finite; negative values are allowed).
    cuts
        Three increasing cumulative shares in (0, 1).

    Returns
    -------
    list of str
        ``"platinum"``, ``"gold"``, ``"iron"`` or ``"lead"`` per customer.

    Raises
    ------
    ArgumentError
        Naming ``cuts``: not three increasing finite shares strictly between 0 and 1.
    DataError
        Naming ``value``: empty, not 1-d, text or booleans, NaN or infinite (with the rows).

    Examples
    --------
    >>> customer_pyramid([100.0, 5.0, 3.0, 1.0], cuts=(0.25, 0.5, 0.75))
    ['platinum', 'gold', 'iron', 'lead']
    """
    v = as_finite_vector(value, "value")
    try:
        c = as_numbers(cuts, "cuts")
    except DataError as exc:
        raise ArgumentError(str(exc), argument="cuts") from None
    if c.shape != (len(PYRAMID_TIERS) - 1,) or not (
        np.all(np.diff(c) > 0) and c[0] > 0 and c[-1] < 1
    ):
        raise ArgumentError(
            f"cuts must be {len(PYRAMID_TIERS) - 1} increasing shares in (0, 1), one between "
            f"each two of the tiers {', '.join(PYRAMID_TIERS)}; got {cuts!r}",
            argument="cuts",
        )
    s = np.sort(v)[::-1]
    share_above = np.searchsorted(-s, -v, side="left") / v.shape[0]  # share strictly better
    tier = np.searchsorted(c, share_above, side="right")
    return [PYRAMID_TIERS[int(t)] for t in tier]


def lorenz_curve(value: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Cumulative share of customers (ascending value) against cumulative share of value.

    Parameters
    ----------
    value
        Non-negative value per customer, not all zero.

    Returns
    -------
    shares of customers, shares of value
        Both from 0 to 1, ``n + 1`` points.

    Raises
    ------
    DataError
        Naming ``value``: empty, not 1-d, text or booleans, NaN or infinite, negative (with
        the rows) or all zero.

    Examples
    --------
    >>> x, y = lorenz_curve([1, 3])
    >>> x.tolist(), y.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """
    raw = as_finite_vector(value, "value")
    if np.any(raw < 0):
        raise DataError("must be >= 0", column="value", rows=np.flatnonzero(raw < 0).tolist())
    v = np.sort(raw)
    if v[-1] > 0:
        v = v / v[-1]  # shares are scale-free; values near 1e308 would overflow the sum
    if v.sum() <= 0:
        raise DataError("the values are all zero: no share of value", column="value")
    x = np.r_[0.0, np.arange(1, v.shape[0] + 1) / v.shape[0]]
    y = np.r_[0.0, np.cumsum(v) / v.sum()]
    return x, y


def gini(value: npt.ArrayLike) -> float:
    """Gini coefficient of value across customers (0: equal, towards 1: concentrated).

    One minus twice the area under the (trapezoidal) Lorenz curve, which equals the mean
    absolute difference over twice the mean,
    :math:`G = \\sum_i\\sum_j |x_i - x_j| / (2 n^2 \\bar x)`: at most :math:`(n-1)/n`.

    Parameters
    ----------
    value
        Non-negative value per customer, not all zero.

    Returns
    -------
    float
        The coefficient, in :math:`[0, (n-1)/n]`.

    Raises
    ------
    DataError
        Naming ``value``, as :func:`lorenz_curve`.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 10])
    0.75
    """
    x, y = lorenz_curve(value)
    return float(1.0 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))
