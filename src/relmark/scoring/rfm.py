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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from relmark._validation import FloatArray, as_float_array, as_numbers
from relmark.data.summary import RFMSummary
from relmark.errors import DataError

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

    Examples
    --------
    >>> quantile_scores([10, 10, 10, 10, 50, 60, 70, 80, 90, 100]).tolist()
    [2, 2, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    x = as_float_array(values, "values")
    if n_bins < 2:
        raise DataError(f"n_bins must be >= 2, got {n_bins}")
    v = x if higher_is_better else -x
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
        Bins per dimension (5: quintiles).
    method
        ``"independent"``: each dimension binned over all customers; ``"nested"``: frequency
        binned within each recency score, and monetary within each (R, F) cell.
    """
    r = as_float_array(time_since_last, "time_since_last")
    f = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    if not (r.shape == f.shape == m.shape):
        raise DataError("time_since_last, frequency and monetary_value differ in length")
    if np.any(r < 0):
        raise DataError("must be >= 0", column="time_since_last")
    rs = quantile_scores(r, n_bins, higher_is_better=False)
    if method == "independent":
        return RFMScores(rs, quantile_scores(f, n_bins), quantile_scores(m, n_bins))
    fs = np.zeros_like(rs)
    ms = np.zeros_like(rs)
    for rv in np.unique(rs):
        idx = np.flatnonzero(rs == rv)
        fs[idx] = quantile_scores(f[idx], n_bins)
        for fv in np.unique(fs[idx]):
            jdx = idx[fs[idx] == fv]
            ms[jdx] = quantile_scores(m[jdx], n_bins)
    return RFMScores(rs, fs, ms)


def rfm_from_summary(
    summary: RFMSummary,
    *,
    n_bins: int = 5,
    method: Literal["independent", "nested"] = "independent",
) -> RFMScores:
    """RFM scores from the data layer's summary: time since the last purchase is
    ``T - recency``, frequency counts all purchases (repeat + first) and monetary is the
    summary's ``monetary_value`` (mean repeat spend; 0 without repeats)."""
    if summary.monetary_value is None:
        raise DataError("the summary has no monetary_value (summarize(..., monetary_value=...))")
    return rfm_scores(
        summary.T - summary.recency,
        summary.frequency + 1.0,
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
    cells: list[str], segments: Mapping[str, str] = DEFAULT_SEGMENTS, *, other: str = "other"
) -> list[str]:
    """Name each cell code by the first anchored pattern it matches (``other`` if none).

    Patterns must be anchored (``^...$``): an unanchored pattern would match inside codes.
    """
    compiled = []
    for name, pattern in segments.items():
        if not (pattern.startswith("^") and pattern.endswith("$")):
            raise DataError(f"segment {name!r}: pattern {pattern!r} must be anchored with ^...$")
        compiled.append((name, re.compile(pattern)))
    return [next((n for n, rx in compiled if rx.match(c)), other) for c in cells]


PYRAMID_TIERS: tuple[str, ...] = ("platinum", "gold", "iron", "lead")


def customer_pyramid(
    value: npt.ArrayLike, *, cuts: tuple[float, float, float] = (0.01, 0.05, 0.20)
) -> list[str]:
    """Customer pyramid tiers (Zeithaml, Rust & Lemon 2001) by profit or CLV.

    ``cuts`` are the cumulative shares of customers, best first: by default the top 1% are
    platinum, the next 4% gold, the next 15% iron and the remaining 80% lead. Ties share a tier
    (decided by value, not row order).
    """
    v = as_float_array(value, "value")
    c = as_numbers(cuts, "cuts")
    if c.shape != (len(PYRAMID_TIERS) - 1,) or not (
        np.all(np.diff(c) > 0) and c[0] > 0 and c[-1] < 1
    ):
        raise DataError(
            f"cuts must be {len(PYRAMID_TIERS) - 1} increasing shares in (0, 1), one between "
            f"each two of the tiers {', '.join(PYRAMID_TIERS)}; got {cuts!r}",
            column="cuts",
        )
    s = np.sort(v)[::-1]
    share_above = np.searchsorted(-s, -v, side="left") / v.shape[0]  # share strictly better
    tier = np.searchsorted(c, share_above, side="right")
    return [PYRAMID_TIERS[int(t)] for t in tier]


def lorenz_curve(value: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Cumulative share of customers (ascending value) against cumulative share of value."""
    v = np.sort(as_float_array(value, "value"))
    if np.any(v < 0) or v.sum() <= 0:
        raise DataError("values must be >= 0 and not all zero", column="value")
    x = np.r_[0.0, np.arange(1, v.shape[0] + 1) / v.shape[0]]
    y = np.r_[0.0, np.cumsum(v) / v.sum()]
    return x, y


def gini(value: npt.ArrayLike) -> float:
    """Gini coefficient of value across customers (0: equal, towards 1: concentrated).

    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 10])
    0.75
    """
    x, y = lorenz_curve(value)
    return float(1.0 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))
