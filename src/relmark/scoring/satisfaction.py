r"""Satisfaction metrics: NPS with intervals, CSAT, customer effort, an ACSI-style index.

Net Promoter Score on the 0-10 "how likely are you to recommend" scale (promoters 9-10,
detractors 0-6): :math:`\mathrm{NPS} = 100(p_P - p_D)`, with the multinomial standard error
:math:`100\sqrt{(p_P + p_D - (p_P - p_D)^2)/n}`. The adjusted-Wald interval adds 3 to
:math:`n` and 0.75 to the promoter and detractor counts (Sauro & Lewis 2016, *Quantifying
the User Experience*, ch. 5); the bootstrap interval resamples respondents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from relmark._validation import (
    FloatArray,
    as_finite_vector,
    as_numbers,
    check_count,
    check_level,
    check_rng,
)
from relmark.errors import ArgumentError, DataError
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


MAX_BOOTSTRAP = 1_000_000
"""The most bootstrap resamples :func:`nps` draws (more do not move a 3-digit interval)."""


def _answers(values: npt.ArrayLike, lo: int, hi: int, name: str) -> FloatArray:
    """A non-empty 1-d array of whole-number answers in ``lo..hi``."""
    x = as_numbers(values, name)
    if x.ndim != 1:
        raise DataError(f"one answer per respondent (1-d), got shape {x.shape}", column=name)
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
    level: float = 0.95,
    n_bootstrap: int = 0,
    rng: RngLike = None,
) -> NPSResult:
    """Net Promoter Score of 0-10 answers, with Wald, adjusted-Wald and bootstrap intervals.

    Parameters
    ----------
    answers
        One whole-number answer in 0..10 per respondent.
    level
        Coverage of the intervals, strictly between 0 and 1.
    n_bootstrap
        Bootstrap resamples (0: no bootstrap interval; at most :data:`MAX_BOOTSTRAP`).
    rng
        Random generator or seed of the bootstrap.

    Returns
    -------
    NPSResult
        Score, counts, standard error and intervals, all within [-100, 100] with
        ``lower <= upper``.

    Raises
    ------
    ArgumentError
        ``level`` outside (0, 1); ``n_bootstrap`` not a whole number in 0..MAX_BOOTSTRAP;
        ``rng`` not a Generator, a seed >= 0 or None.
    DataError
        Naming ``answers``: empty, not 1-d, text or booleans, or answers (rows listed) that are
        not whole numbers in 0..10.

    Examples
    --------
    >>> r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    >>> r.score, r.promoters, r.detractors
    (20.0, 5, 3)

    A level is a coverage in (0, 1), not a percentage:

    >>> nps([10, 9, 3], level=95)
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'level': must be strictly between 0 and 1, got 95
    """
    check_level(level, "level")
    draws = check_count(n_bootstrap, "n_bootstrap")
    if draws > MAX_BOOTSTRAP:
        raise ArgumentError(
            f"at most {MAX_BOOTSTRAP:,} resamples, got {n_bootstrap!r}", argument="n_bootstrap"
        )
    gen = check_rng(rng) if draws else None
    x = _answers(answers, 0, 10, "answers")
    n = x.size
    prom = int(np.count_nonzero(x >= 9))
    det = int(np.count_nonzero(x <= 6))
    z = float(norm.isf((1 - level) / 2))  # isf: precise for levels close to 1

    def wald(p_p: float, p_d: float, m: float) -> tuple[float, float, float]:
        diff = p_p - p_d
        se = float(np.sqrt(max(p_p + p_d - diff**2, 0.0) / m))
        return 100 * diff, 100 * se, 100 * z * se

    score, se, half = wald(prom / n, det / n, n)
    adj_n = n + 3.0
    adj_score, _, adj_half = wald((prom + 0.75) / adj_n, (det + 0.75) / adj_n, adj_n)
    boot: tuple[float, float] | None = None
    if gen is not None:
        # resampling n respondents with replacement draws (promoters, passives, detractors)
        # from a multinomial: the same distribution in O(n_bootstrap) memory, not n x draws
        shares = np.array([prom, n - prom - det, det], dtype=np.float64) / n
        counts = gen.multinomial(n, shares, size=draws)
        sims = 100.0 * (counts[:, 0] - counts[:, 2]) / n
        lo, hi = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2])
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
    """Difference ``b - a`` of two independent waves: (difference, z statistic, two-sided p).

    Parameters
    ----------
    a, b
        The two waves' :func:`nps` results.

    Returns
    -------
    difference, z, p
        ``b.score - a.score``, its z statistic with the two standard errors combined, and the
        two-sided p-value.

    Raises
    ------
    ArgumentError
        ``a`` or ``b`` is not an :class:`NPSResult`, or holds a score outside [-100, 100] or a
        standard error outside [0, 100] (NaN included).
    DataError
        Both waves have zero variance (every answer the same category in both): no test.

    Examples
    --------
    >>> d, z, p = nps_difference(nps([10, 9, 3, 5]), nps([10, 10, 9, 7]))
    >>> d
    75.0
    """
    for wave, name in ((a, "a"), (b, "b")):
        if not isinstance(wave, NPSResult):
            raise ArgumentError(
                f"must be an NPSResult (from nps()), got {type(wave).__name__}", argument=name
            )
        # an NPSResult is a plain record: one built by hand may hold NaN or an impossible score
        if not (
            isinstance(wave.score, int | float)
            and isinstance(wave.se, int | float)
            and -100.0 <= wave.score <= 100.0
            and 0.0 <= wave.se <= 100.0
        ):
            raise ArgumentError(
                f"score must be in [-100, 100] and se in [0, 100], got score {wave.score!r} and "
                f"se {wave.se!r}",
                argument=name,
            )
    diff = b.score - a.score
    se = float(np.hypot(a.se, b.se))
    if se == 0:
        raise DataError(
            "both waves have zero variance: the difference cannot be tested", column="b"
        )
    z = diff / se
    return diff, z, float(2 * norm.sf(abs(z)))


def csat(answers: npt.ArrayLike, *, scale: int = 5, top: int = 2) -> float:
    """Customer satisfaction: the share (in %) answering in the top ``top`` boxes of 1..scale
    (top-two-box on 1-5 by default: 4 or 5).

    Parameters
    ----------
    answers
        One whole-number answer in 1..scale per respondent.
    scale
        The highest answer (a whole number >= 2).
    top
        How many boxes count as satisfied, 1..scale-1.

    Returns
    -------
    float
        Percentage in [0, 100].

    Raises
    ------
    ArgumentError
        ``scale`` or ``top`` not a whole number in range (text, booleans, NaN, 2.5).
    DataError
        Naming ``answers``, as :func:`nps` with the range 1..scale.

    Examples
    --------
    >>> csat([5, 4, 3, 1])
    50.0
    """
    k = check_count(scale, "scale", minimum=2)
    boxes = int(_whole_in(top, "top", 1, k - 1))
    x = _answers(answers, 1, k, "answers")
    return float(100 * np.mean(x > k - boxes))


def _whole_in(value: object, name: str, low: int, high: int) -> int:
    """A whole number in ``low..high`` (ArgumentError naming ``name``)."""
    n = check_count(value, name, minimum=low)
    if n > high:
        msg = f"must be a whole number in {low}..{high}, got {value!r}"
        raise ArgumentError(msg, argument=name)
    return n


def customer_effort_score(answers: npt.ArrayLike, *, scale: int = 7) -> float:
    """Customer effort score: the mean answer on 1..scale ("the company made it easy").

    Parameters
    ----------
    answers
        One whole-number answer in 1..scale per respondent.
    scale
        The highest answer (a whole number >= 2).

    Returns
    -------
    float
        The mean answer, in [1, scale].

    Raises
    ------
    ArgumentError
        ``scale`` not a whole number >= 2.
    DataError
        Naming ``answers``, as :func:`csat`.

    Examples
    --------
    >>> customer_effort_score([7, 6, 5, 2])
    5.0
    """
    k = check_count(scale, "scale", minimum=2)
    return float(_answers(answers, 1, k, "answers").mean())


def acsi_index(item_means: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """ACSI-style 0-100 index from 1-10 item means: :math:`100\\sum_i w_i(\\bar X_i - 1)/9`
    with weights normalised to sum to one.

    Parameters
    ----------
    item_means
        Mean answer per item on the 1-10 scale (a non-empty 1-d array).
    weights
        One non-negative weight per item, not all zero.

    Returns
    -------
    float
        The index, in [0, 100].

    Raises
    ------
    DataError
        Naming ``item_means`` or ``weights``: empty, not 1-d, of different lengths, text or
        booleans, NaN or infinite, means outside 1..10, negative or all-zero weights.

    Examples
    --------
    >>> acsi_index([10, 5.5, 1], [1, 2, 1])
    50.0
    """
    m = as_finite_vector(item_means, "item_means")
    w = as_finite_vector(weights, "weights")
    if m.shape != w.shape:
        raise DataError(
            f"one weight per item: {w.size} weights for {m.size} items", column="weights"
        )
    w = w / np.abs(w).max() if np.abs(w).max() > 0 else w  # a weight of 1e308 would overflow
    if np.any(w < 0) or w.sum() <= 0:
        raise DataError(
            "must be non-negative and not all zero",
            column="weights",
            rows=np.flatnonzero(w < 0).tolist(),
        )
    bad = (m < 1) | (m > 10)
    if bad.any():
        raise DataError(
            "item means must lie in 1..10", column="item_means", rows=np.flatnonzero(bad).tolist()
        )
    return float(100 * np.sum(w / w.sum() * (m - 1.0)) / 9.0)


def servqual_gaps(
    expectations: npt.ArrayLike,
    perceptions: npt.ArrayLike,
    dimensions: Mapping[str, Sequence[int]],
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

    Returns
    -------
    dict
        Dimension name -> mean gap (perception minus expectation).

    Raises
    ------
    ArgumentError
        Naming ``dimensions``: not a non-empty mapping of names to non-empty lists of whole
        item positions within the items (booleans, 1.5 or out-of-range positions).
    DataError
        Naming ``expectations`` or ``perceptions``: text or booleans, not 2-d, no
        respondents, different shapes, or missing answers (with the rows).

    Examples
    --------
    >>> servqual_gaps([[6, 7], [5, 7]], [[5, 7], [4, 6]], {"reliability": [0], "empathy": [1]})
    {'reliability': -1.0, 'empathy': -0.5}
    """
    e = as_numbers(expectations, "expectations")
    p = as_numbers(perceptions, "perceptions")
    for arr, label in ((e, "expectations"), (p, "perceptions")):
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise DataError(
                f"must be respondents x items (at least one of each), got shape {arr.shape}",
                column=label,
            )
        bad = ~np.isfinite(arr).all(axis=1)
        if bad.any():
            raise DataError(
                "missing answers: score complete respondents only",
                column=label,
                rows=np.flatnonzero(bad).tolist(),
            )
    if e.shape != p.shape:
        raise DataError(
            f"expectations {e.shape} and perceptions {p.shape} differ in shape",
            column="perceptions",
        )
    if not isinstance(dimensions, Mapping) or not dimensions:
        raise ArgumentError(
            "must map at least one dimension name to item positions", argument="dimensions"
        )
    out = {}
    for name, cols in dimensions.items():
        ok = (
            isinstance(cols, list | tuple)
            and len(cols) > 0
            and all(
                isinstance(c, int | np.integer) and not isinstance(c, bool) and 0 <= c < e.shape[1]
                for c in cols
            )
        )
        if not ok:
            raise ArgumentError(
                f"dimension {name!r}: item positions must be a non-empty list of whole numbers "
                f"in 0..{e.shape[1] - 1}, got {cols!r}",
                argument="dimensions",
            )
        idx = [int(c) for c in cols]
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
            gap = float(_mean(p[:, idx]) - _mean(e[:, idx]))
        if not np.isfinite(gap):
            raise DataError(
                f"dimension {name!r}: the answers are too large to subtract (overflow)",
                column="perceptions",
            )
        out[name] = gap
    return out


def _mean(x: FloatArray) -> float:
    """The mean without overflow in the sum (answers near 1e308 have a finite mean)."""
    size = float(np.abs(x).max())
    return float((x / size).mean() * size) if size > 0 else 0.0
