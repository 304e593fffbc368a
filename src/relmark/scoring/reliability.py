r"""Reliability of multi-item scales: Cronbach's alpha, McDonald's omega, CR, AVE, HTMT.

For :math:`k` items with variances :math:`\sigma_i^2` and total-score variance
:math:`\sigma_X^2`, Cronbach's (1951) alpha is

.. math:: \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\sum_i \sigma_i^2}{\sigma_X^2}\Bigr),

with Feldt's (1965) interval :math:`1 - (1-\hat\alpha)F_{1\mp c/2}(n-1, (n-1)(k-1))`. From a
one-factor model with standardised loadings :math:`\lambda_i`, McDonald's omega is
:math:`(\sum\lambda_i)^2 / ((\sum\lambda_i)^2 + \sum(1-\lambda_i^2))` (equal to composite
reliability), and the average variance extracted is :math:`\overline{\lambda^2}` (Fornell &
Larcker 1981). HTMT is Henseler, Ringle & Sarstedt's (2015) heterotrait-monotrait ratio.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.stats import f as f_dist

from relmark._validation import FloatArray, as_numbers, check_level
from relmark.errors import DataError, NumericalWarning

__all__ = [
    "AlphaResult",
    "ReliabilityThresholds",
    "average_variance_extracted",
    "composite_reliability",
    "cronbach_alpha",
    "fornell_larcker",
    "htmt",
    "one_factor_loadings",
]


@dataclass(frozen=True)
class ReliabilityThresholds:
    """Conventional cut-offs (Nunnally 1978; Fornell & Larcker 1981; Henseler et al. 2015)."""

    alpha: float = 0.7
    omega: float = 0.7
    ave: float = 0.5
    htmt: float = 0.85
    min_respondents: int = 30


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its Feldt interval and item diagnostics."""

    alpha: float
    ci: tuple[float, float]
    standardized: float
    item_total: FloatArray
    """Corrected item-total correlations (item vs the sum of the other items)."""
    alpha_if_deleted: FloatArray
    n: int
    k: int


def _matrix(items: npt.ArrayLike) -> FloatArray:
    x = as_numbers(items, "items")
    if x.ndim != 2 or x.shape[1] < 2:
        raise DataError("need a 2-d array of respondents x items with at least 2 items")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise DataError(
            "missing answers: drop or impute those respondents first",
            rows=np.flatnonzero(bad).tolist(),
        )
    if x.shape[0] < 3:
        raise DataError("need at least 3 respondents")
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if constant.size:
        raise DataError(
            f"item(s) {', '.join(map(str, constant.tolist()))} (by position) have the same "
            "answer from every respondent: no variance to correlate, so no reliability",
            column="items",
        )
    return x


def _alpha(x: FloatArray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def cronbach_alpha(
    items: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    thresholds: ReliabilityThresholds | None = None,
) -> AlphaResult:
    """Cronbach's alpha with the Feldt interval, standardised alpha and item diagnostics.

    Parameters
    ----------
    items
        Respondents x items, complete rows (reverse-coded items already recoded).
    confidence
        Level of the Feldt (1965) interval.
    thresholds
        Warns (:class:`~relmark.errors.NumericalWarning`) below ``min_respondents``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]])
    >>> small = ReliabilityThresholds(min_respondents=5)
    >>> round(cronbach_alpha(x, thresholds=small).alpha, 4)
    0.9333
    """
    check_level(confidence, "confidence")
    x = _matrix(items)
    th = thresholds or ReliabilityThresholds()
    n, k = x.shape
    if n < th.min_respondents:
        warnings.warn(
            f"alpha from {n} respondents (< {th.min_respondents}) is imprecise",
            NumericalWarning,
            stacklevel=2,
        )
    a = _alpha(x)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    c = 1.0 - confidence
    lo = 1.0 - (1.0 - a) * float(f_dist.ppf(1.0 - c / 2, df1, df2))
    hi = 1.0 - (1.0 - a) * float(f_dist.ppf(c / 2, df1, df2))
    r = np.atleast_2d(np.asarray(np.corrcoef(x, rowvar=False), dtype=np.float64))
    mean_r = (r.sum() - k) / (k * (k - 1))
    standardized = k * mean_r / (1.0 + (k - 1) * mean_r)
    total = x.sum(axis=1)
    item_total = np.array([np.corrcoef(x[:, i], total - x[:, i])[0, 1] for i in range(k)])
    if k > 2:
        deleted = np.array([_alpha(np.delete(x, i, axis=1)) for i in range(k)])
    else:
        deleted = np.full(k, np.nan)
    return AlphaResult(a, (lo, hi), float(standardized), item_total, deleted, n, k)


def one_factor_loadings(items: npt.ArrayLike) -> FloatArray:
    """Standardised loadings of a one-factor model fitted by minimum residuals (MINRES).

    Minimises the squared off-diagonal residuals of the correlation matrix,
    :math:`\\sum_{i<j}(r_{ij} - \\lambda_i\\lambda_j)^2`. A loading of magnitude >= 1 (a
    Heywood case) triggers a :class:`~relmark.errors.NumericalWarning`.
    """
    x = _matrix(items)
    r = np.atleast_2d(np.asarray(np.corrcoef(x, rowvar=False), dtype=np.float64))
    k = r.shape[0]
    mask = ~np.eye(k, dtype=bool)

    def loss(lam: FloatArray) -> tuple[float, FloatArray]:
        resid = np.where(mask, r - np.outer(lam, lam), 0.0)
        return float((resid**2).sum() / 2), -2.0 * resid @ lam

    eigval, eigvec = np.linalg.eigh(r)
    start = eigvec[:, -1] * np.sqrt(eigval[-1])
    start = start if start.sum() >= 0 else -start
    res = minimize(loss, start, jac=True, method="BFGS", options={"gtol": 1e-10})
    lam = np.asarray(res.x, dtype=np.float64)
    if lam.sum() < 0:
        lam = -lam
    if np.any(np.abs(lam) >= 1.0):
        warnings.warn(
            "Heywood case: a loading of magnitude >= 1 (negative unique variance)",
            NumericalWarning,
            stacklevel=2,
        )
    return lam


def _loadings(loadings: npt.ArrayLike) -> FloatArray:
    """Standardised loadings: a non-empty 1-d array of finite values in [-1, 1]."""
    lam = as_numbers(loadings, "loadings")
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.abs(lam) <= 1):  # NaN fails too
        raise DataError("standardised loadings: one per item, each in [-1, 1]", column="loadings")
    return lam


def composite_reliability(loadings: npt.ArrayLike) -> float:
    """Composite reliability (= McDonald's omega for standardised loadings)."""
    lam = _loadings(loadings)
    s = lam.sum() ** 2
    return float(s / (s + np.sum(1.0 - lam**2)))


def average_variance_extracted(loadings: npt.ArrayLike) -> float:
    """Average variance extracted, the mean squared standardised loading."""
    lam = _loadings(loadings)
    return float(np.mean(lam**2))


def fornell_larcker(ave: npt.ArrayLike, construct_corr: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Fornell-Larcker criterion per construct: sqrt(AVE) exceeds every correlation with the
    other constructs."""
    root = np.sqrt(np.asarray(ave, dtype=np.float64))
    c = np.abs(np.asarray(construct_corr, dtype=np.float64)).copy()
    np.fill_diagonal(c, 0.0)
    return np.asarray(root > c.max(axis=1))


def htmt(items_a: npt.ArrayLike, items_b: npt.ArrayLike) -> float:
    """Heterotrait-monotrait ratio of two constructs' items (Henseler et al. 2015)."""
    a, b = _matrix(items_a), _matrix(items_b)
    if a.shape[0] != b.shape[0]:
        raise DataError("both constructs need the same respondents")
    r = np.atleast_2d(
        np.asarray(np.corrcoef(np.column_stack([a, b]), rowvar=False), dtype=np.float64)
    )
    ka, kb = a.shape[1], b.shape[1]
    hetero = r[:ka, ka:].mean()
    mono_a = r[:ka, :ka][~np.eye(ka, dtype=bool)].mean()
    mono_b = r[ka:, ka:][~np.eye(kb, dtype=bool)].mean()
    return float(hetero / np.sqrt(mono_a * mono_b))
