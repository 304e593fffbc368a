r"""Satisfaction metrics: NPS with intervals, CSAT, customer effort, an ACSI-style index.

Net Promoter Score on the 0-10 "how likely are you to recommend" scale (promoters 9-10,
detractors 0-6): :math:`\mathrm{NPS} = 100(p_P - p_D)`, with the multinomial standard error
:math:`100\sqrt{(p_P + p_D - (p_P - p_D)^2)/n}`. The adjusted-Wald interval adds 3 to
:math:`n` and 0.75 to the promoter and detractor counts (Sauro & Lewis 2016, *Quantifying
the User Experience*, ch. 5); the bootstrap interval resamples respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from relmark._validation import FloatArray, as_numbers, check_level
from relmark.errors import DataError
from relmark.typing import RngLike

__all__ = [
    "NPSResult",
    "acsi_index",
    "csat",
    "customer_effort_score",
    "nps",
    "nps_difference",
    "servqual_gaps",
]


def _answers(values: npt.ArrayLike, lo: int, hi: int, name: str) -> FloatArray:
    x = as_numbers(values, name).ravel()
    if x.size == 0:
        raise DataError("no answers", column=name)
    bad = ~np.isfinite(x) | (x < lo) | (x > hi) | (x != np.round(x))
    if bad.any():
        raise DataError(
            f"answers must be whole numbers in {lo}..{hi}",
            column=name,
            rows=np.flatnonzero(bad).tolist(),
        )
    return x


@dataclass(frozen=True)
class NPSResult:
    """A Net Promoter Score with its standard error and intervals (all on the -100..100 scale)."""

    score: float
    n: int
    promoters: int
    detractors: int
    se: float
    wald: tuple[float, float]
    adjusted_wald: tuple[float, float]
    bootstrap: tuple[float, float] | None


def nps(
    answers: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 0,
    rng: RngLike = None,
) -> NPSResult:
    """Net Promoter Score of 0-10 answers, with Wald, adjusted-Wald and bootstrap intervals.

    Examples
    --------
    >>> r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    >>> r.score, r.promoters, r.detractors
    (20.0, 5, 3)
    """
    check_level(confidence, "confidence")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
        raise DataError(
            f"must be a whole number >= 0 (0: no bootstrap), got {n_bootstrap!r}",
            column="n_bootstrap",
        )
    x = _answers(answers, 0, 10, "nps")
    n = x.size
    prom = int(np.count_nonzero(x >= 9))
    det = int(np.count_nonzero(x <= 6))
    z = float(norm.ppf(0.5 + confidence / 2))

    def wald(p_p: float, p_d: float, m: float) -> tuple[float, float, float]:
        diff = p_p - p_d
        se = float(np.sqrt(max(p_p + p_d - diff**2, 0.0) / m))
        return 100 * diff, 100 * se, 100 * z * se

    score, se, half = wald(prom / n, det / n, n)
    adj_n = n + 3.0
    adj_score, _, adj_half = wald((prom + 0.75) / adj_n, (det + 0.75) / adj_n, adj_n)
    boot: tuple[float, float] | None = None
    if n_bootstrap > 0:
        gen = np.random.default_rng(rng)
        labels = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
        idx = gen.integers(0, n, size=(n_bootstrap, n))
        sims = 100 * labels[idx].mean(axis=1)
        lo, hi = np.quantile(sims, [(1 - confidence) / 2, (1 + confidence) / 2])
        boot = (float(lo), float(hi))
    return NPSResult(
        score=score,
        n=n,
        promoters=prom,
        detractors=det,
        se=se,
        wald=(max(score - half, -100.0), min(score + half, 100.0)),
        adjusted_wald=(max(adj_score - adj_half, -100.0), min(adj_score + adj_half, 100.0)),
        bootstrap=boot,
    )


def nps_difference(a: NPSResult, b: NPSResult) -> tuple[float, float, float]:
    """Difference ``b - a`` of two independent waves: (difference, z statistic, two-sided p)."""
    diff = b.score - a.score
    se = float(np.hypot(a.se, b.se))
    if se == 0:
        raise DataError("both waves have zero variance: the difference cannot be tested")
    z = diff / se
    return diff, z, float(2 * norm.sf(abs(z)))


def csat(answers: npt.ArrayLike, *, scale: int = 5, top: int = 2) -> float:
    """Customer satisfaction: the share (in %) answering in the top ``top`` boxes of 1..scale
    (top-two-box on 1-5 by default: 4 or 5)."""
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top < scale:
        raise DataError(
            f"must be a whole number of boxes in 1..{scale - 1}, got {top!r}", column="top"
        )
    x = _answers(answers, 1, scale, "csat")
    return float(100 * np.mean(x > scale - top))


def customer_effort_score(answers: npt.ArrayLike, *, scale: int = 7) -> float:
    """Customer effort score: the mean answer on 1..scale ("the company made it easy")."""
    return float(_answers(answers, 1, scale, "ces").mean())


def acsi_index(item_means: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """ACSI-style 0-100 index from 1-10 item means: :math:`100\\sum_i w_i(\\bar X_i - 1)/9`
    with weights normalised to sum to one."""
    m = as_numbers(item_means, "item_means")
    w = as_numbers(weights, "weights")
    if m.shape != w.shape or not np.isfinite(w).all() or np.any(w < 0) or w.sum() <= 0:
        raise DataError(
            "must be finite, non-negative, not all zero, one per item", column="weights"
        )
    if not np.all((m >= 1) & (m <= 10)):  # NaN fails too
        raise DataError("item means must lie in 1..10", column="item_means")
    return float(100 * np.sum(w / w.sum() * (m - 1.0)) / 9.0)


def servqual_gaps(
    expectations: npt.ArrayLike,
    perceptions: npt.ArrayLike,
    dimensions: dict[str, list[int]],
) -> dict[str, float]:
    """SERVQUAL / expectation-disconfirmation gaps: mean perception minus mean expectation per
    dimension (Parasuraman, Zeithaml & Berry 1988); negative gaps are shortfalls.

    Parameters
    ----------
    expectations, perceptions
        Respondents x items, the same items in both (e.g. 1-7 answers).
    dimensions
        Dimension name -> item column positions (tangibles, reliability, responsiveness,
        assurance, empathy in the original instrument).

    Examples
    --------
    >>> servqual_gaps([[6, 7], [5, 7]], [[5, 7], [4, 6]], {"reliability": [0], "empathy": [1]})
    {'reliability': -1.0, 'empathy': -0.5}
    """
    e = np.asarray(expectations, dtype=np.float64)
    p = np.asarray(perceptions, dtype=np.float64)
    if e.shape != p.shape or e.ndim != 2:
        raise DataError("expectations and perceptions must be respondents x items, same shape")
    if not (np.isfinite(e).all() and np.isfinite(p).all()):
        raise DataError("missing answers: score complete respondents only")
    out = {}
    for name, cols in dimensions.items():
        if not cols or min(cols) < 0 or max(cols) >= e.shape[1]:
            raise DataError(f"dimension {name!r}: item positions out of range", column=name)
        out[name] = float((p[:, cols] - e[:, cols]).mean())
    return out
