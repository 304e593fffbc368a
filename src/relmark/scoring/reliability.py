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
from scipy.stats import beta as beta_dist

from relmark._validation import FloatArray, as_numbers, check_count, check_level, check_number
from relmark.errors import ArgumentError, DataError, NumericalWarning
from relmark.scoring._align import check_aligned

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
    """Conventional cut-offs (Nunnally 1978; Fornell & Larcker 1981; Henseler et al. 2015).

    Raises
    ------
    ArgumentError
        A cut-off that is not a number in [0, 1] (``htmt``: >= 0), or ``min_respondents`` that
        is not a whole number >= 1; the error names the field.
    """

    alpha: float = 0.7
    omega: float = 0.7
    ave: float = 0.5
    htmt: float = 0.85
    min_respondents: int = 30

    def __post_init__(self) -> None:
        for name in ("alpha", "omega", "ave"):
            check_number(getattr(self, name), name, low=0.0, high=1.0)
        check_number(self.htmt, "htmt", low=0.0)
        check_count(self.min_respondents, "min_respondents", minimum=1)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its Feldt interval and item diagnostics."""

    alpha: float
    ci: tuple[float, float]
    standardized: float
    item_total: FloatArray
    """Corrected item-total correlations (item vs the sum of the other items)."""
    alpha_if_deleted: FloatArray | None
    """Alpha of the other items with each item left out (``None`` for two items: one item
    left has no alpha)."""
    n: int
    k: int


def _matrix(items: npt.ArrayLike, name: str = "items", *, min_items: int = 2) -> FloatArray:
    """Respondents x items: finite, >= 3 respondents, >= ``min_items`` items, each item with
    some variance (DataError naming ``name`` and the rows otherwise)."""
    x = as_numbers(items, name)
    if x.ndim != 2 or x.shape[1] < min_items:
        raise DataError(
            f"need a 2-d array of respondents x items with at least {min_items} items, got "
            f"shape {x.shape}",
            column=name,
        )
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise DataError(
            "missing or infinite answers: drop or impute those respondents first",
            column=name,
            rows=np.flatnonzero(bad).tolist(),
        )
    if x.shape[0] < 3:
        raise DataError(f"need at least 3 respondents, got {x.shape[0]}", column=name)
    # every statistic here is invariant to one shift and scale of all answers: bring them to
    # [-1, 1] so that squares of huge (1e200) or tiny (1e-300) answers neither overflow nor
    # underflow
    # (and centre each item: an offset of 1e15 on every answer must not swamp the variance)
    scale = float(np.abs(x).max())
    if scale > 0:  # all-zero answers: no scale to divide by (0/0), refused just below
        centre = (x / scale).mean(axis=0) * scale
        with np.errstate(over="ignore", invalid="ignore"):
            d = x - centre  # exact differences first: 1e15 + small answers keep their digits
        if not np.isfinite(d).all():  # answers of +-1e308: differences overflow, scale first
            d = x / scale - centre / scale
        x = d
        x = np.asarray(x / np.abs(x).max(), dtype=np.float64) if np.abs(x).max() > 0 else x
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if constant.size:
        raise DataError(
            f"item(s) {', '.join(map(str, constant.tolist()))} (by position) have the same "
            "answer from every respondent: no variance to correlate, so no reliability",
            column=name,
        )
    return x


def _correlations(x: FloatArray, name: str) -> FloatArray:
    """The items' correlation matrix (finite: every item varies)."""
    r = np.atleast_2d(np.asarray(np.corrcoef(x, rowvar=False), dtype=np.float64))
    if not np.isfinite(r).all():  # pragma: no cover - excluded by _matrix's variance check
        raise DataError("the item correlations are not finite", column=name)
    return r


def _alpha(x: FloatArray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def cronbach_alpha(
    items: npt.ArrayLike,
    *,
    level: float = 0.95,
    thresholds: ReliabilityThresholds | None = None,
) -> AlphaResult:
    """Cronbach's alpha with the Feldt interval, standardised alpha and item diagnostics.

    Parameters
    ----------
    items
        Respondents x items, complete rows (reverse-coded items already recoded).
    level
        Coverage of the Feldt (1965) interval, strictly between 0 and 1.
    thresholds
        Warns (:class:`~relmark.errors.NumericalWarning`) below ``min_respondents``.

    Returns
    -------
    AlphaResult
        Alpha (at most 1; negative when the items disagree), its interval, standardised alpha,
        corrected item-total correlations and alpha if an item is deleted.

    Raises
    ------
    ArgumentError
        ``level`` outside (0, 1) or ``thresholds`` not a :class:`ReliabilityThresholds`.
    DataError
        Naming ``items``: not respondents x at least 2 items of numbers, missing or infinite
        answers (with the rows), fewer than 3 respondents, an item without variance, or items
        whose total score does not vary (alpha is undefined), or an item that is the exact
        complement of the others' total (its item-total correlation is undefined).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]])
    >>> small = ReliabilityThresholds(min_respondents=5)
    >>> round(cronbach_alpha(x, thresholds=small).alpha, 4)
    0.9333
    """
    check_level(level, "level")
    th = _thresholds(thresholds)
    x = _matrix(items)
    n, k = x.shape
    if n < th.min_respondents:
        warnings.warn(
            f"alpha from {n} respondents (< {th.min_respondents}) is imprecise",
            NumericalWarning,
            stacklevel=2,
        )
    total = x.sum(axis=1)
    if np.ptp(total) <= 1e-12 * k:  # answers are scaled to [-1, 1]: rounding, not variance
        raise DataError(
            "the total score is the same for every respondent (the items cancel out): alpha "
            "is undefined",
            column="items",
        )
    rest = total[:, None] - x
    flat = np.flatnonzero(np.ptp(rest, axis=0) <= 1e-12 * k)
    if flat.size:
        raise DataError(
            f"the other items' total is the same for every respondent when item(s) "
            f"{', '.join(map(str, flat.tolist()))} (by position) are left out: the corrected "
            "item-total correlation is undefined",
            column="items",
        )
    a = _alpha(x)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    c = 1.0 - level
    lo = 1.0 - (1.0 - a) * _f_upper(c / 2, df1, df2)
    hi = 1.0 - (1.0 - a) / _f_upper(c / 2, df2, df1)  # F(d1, d2)'s lower = 1 / F(d2, d1)'s upper
    r = _correlations(x, "items")
    mean_r = (r.sum() - k) / (k * (k - 1))
    denominator = 1.0 + (k - 1) * mean_r
    if not denominator > 1e-12:
        raise DataError(
            "the items are perfectly negatively correlated on average: standardised alpha "
            "is undefined",
            column="items",
        )
    standardized = k * mean_r / denominator
    item_total = np.array([np.corrcoef(x[:, i], rest[:, i])[0, 1] for i in range(k)])
    deleted: FloatArray | None = None
    if k > 2:
        deleted = np.array([_alpha(np.delete(x, i, axis=1)) for i in range(k)])
    return AlphaResult(a, (lo, hi), float(standardized), item_total, deleted, n, k)


def _f_upper(p: float, df1: float, df2: float) -> float:
    """The upper ``p`` quantile of F(df1, df2) through the Beta distribution, precise for tiny
    ``p`` (a level of 1 - 1e-16), where ``f.isf`` overflows to inf."""
    c = float(beta_dist.ppf(p, df2 / 2, df1 / 2))
    return (df2 / df1) * (1.0 - c) / c


def _thresholds(thresholds: object) -> ReliabilityThresholds:
    if thresholds is None:
        return ReliabilityThresholds()
    if not isinstance(thresholds, ReliabilityThresholds):
        raise ArgumentError(
            f"must be a ReliabilityThresholds, got {type(thresholds).__name__}",
            argument="thresholds",
        )
    return thresholds


def one_factor_loadings(items: npt.ArrayLike) -> FloatArray:
    """Standardised loadings of a one-factor model fitted by minimum residuals (MINRES).

    Minimises the squared off-diagonal residuals of the correlation matrix,
    :math:`\\sum_{i<j}(r_{ij} - \\lambda_i\\lambda_j)^2`. A loading of magnitude >= 1 (a
    Heywood case) triggers a :class:`~relmark.errors.NumericalWarning`.

    Parameters
    ----------
    items
        Respondents x items (at least 3 items: with two, any loadings whose product is their
        correlation fit exactly, so the loadings are not identified).

    Returns
    -------
    numpy.ndarray
        One standardised loading per item, signed so that they sum to a positive number.

    Raises
    ------
    DataError
        Naming ``items``, as :func:`cronbach_alpha`, or with fewer than 3 items.
    """
    x = _matrix(items, min_items=3)
    r = _correlations(x, "items")
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
    if lam.ndim != 1 or lam.size == 0:
        raise DataError(
            f"standardised loadings: a 1-d array, one per item, got shape {lam.shape}",
            column="loadings",
        )
    bad = ~(np.abs(lam) <= 1)  # NaN is bad too
    if bad.any():
        raise DataError(
            "standardised loadings must be finite and in [-1, 1]",
            column="loadings",
            rows=np.flatnonzero(bad).tolist(),
        )
    return lam


def composite_reliability(loadings: npt.ArrayLike) -> float:
    """Composite reliability (= McDonald's omega for standardised loadings).

    Parameters
    ----------
    loadings
        Standardised loadings, one per item, each in [-1, 1].

    Returns
    -------
    float
        :math:`(\\sum\\lambda_i)^2 / ((\\sum\\lambda_i)^2 + \\sum(1-\\lambda_i^2))`, in [0, 1].

    Raises
    ------
    DataError
        Naming ``loadings``: empty, not 1-d, text or booleans, NaN or outside [-1, 1].

    Examples
    --------
    >>> round(composite_reliability([0.8, 0.7, 0.6]), 4)
    0.7449
    """
    lam = _loadings(loadings)
    s = lam.sum() ** 2
    total = s + np.sum(1.0 - lam**2)
    if total == 0:  # every loading is +-1 and they cancel: 0/0
        raise DataError(
            "loadings of magnitude 1 that sum to zero: reliability is undefined",
            column="loadings",
        )
    return float(s / total)


def average_variance_extracted(loadings: npt.ArrayLike) -> float:
    """Average variance extracted, the mean squared standardised loading.

    Parameters
    ----------
    loadings
        Standardised loadings, one per item, each in [-1, 1].

    Returns
    -------
    float
        :math:`\\overline{\\lambda^2}`, in [0, 1].

    Raises
    ------
    DataError
        Naming ``loadings``, as :func:`composite_reliability`.

    Examples
    --------
    >>> round(average_variance_extracted([0.8, 0.6]), 4)
    0.5
    """
    lam = _loadings(loadings)
    return float(np.mean(lam**2))


def fornell_larcker(ave: npt.ArrayLike, construct_corr: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Fornell-Larcker criterion per construct: sqrt(AVE) exceeds every correlation with the
    other constructs.

    Parameters
    ----------
    ave
        Average variance extracted per construct, each in [0, 1] (at least two constructs).
    construct_corr
        The constructs' correlation matrix: square, symmetric, entries in [-1, 1].

    Returns
    -------
    numpy.ndarray of bool
        Per construct, whether :math:`\\sqrt{AVE}` exceeds its largest absolute correlation.

    Raises
    ------
    DataError
        Naming ``ave`` or ``construct_corr``: text or booleans, NaN, values outside their
        range, fewer than two constructs, a matrix that is not square, symmetric, with ones on
        its diagonal, or of one row per AVE.

    Examples
    --------
    >>> fornell_larcker([0.6, 0.5], [[1.0, 0.8], [0.8, 1.0]]).tolist()
    [False, False]
    """
    a = as_numbers(ave, "ave")
    if a.ndim != 1 or a.size < 2:
        raise DataError(
            f"one AVE per construct, at least two constructs; got shape {a.shape}", column="ave"
        )
    bad = ~((a >= 0) & (a <= 1))
    if bad.any():
        raise DataError("must be in [0, 1]", column="ave", rows=np.flatnonzero(bad).tolist())
    c = as_numbers(construct_corr, "construct_corr")
    if c.shape != (a.size, a.size):
        raise DataError(
            f"must be {a.size} x {a.size} (one row per AVE), got shape {c.shape}",
            column="construct_corr",
        )
    bad_rows = ~((np.abs(c) <= 1).all(axis=1))
    if bad_rows.any():
        raise DataError(
            "correlations must be finite and in [-1, 1]",
            column="construct_corr",
            rows=np.flatnonzero(bad_rows).tolist(),
        )
    if not np.allclose(c, c.T):
        raise DataError("a correlation matrix is symmetric", column="construct_corr")
    off_one = np.flatnonzero(np.abs(np.diag(c) - 1.0) > 1e-9)
    if off_one.size:
        raise DataError(
            "a correlation matrix has ones on its diagonal",
            column="construct_corr",
            rows=off_one.tolist(),
        )
    off = np.abs(c)
    np.fill_diagonal(off, 0.0)
    return np.asarray(np.sqrt(a) > off.max(axis=1))


def htmt(items_a: npt.ArrayLike, items_b: npt.ArrayLike) -> float:
    """Heterotrait-monotrait ratio of two constructs' items (Henseler et al. 2015).

    Parameters
    ----------
    items_a, items_b
        Respondents x items of each construct (the same respondents in the same rows, at
        least two items each).

    Returns
    -------
    float
        Mean between-construct correlation over the geometric mean of the mean
        within-construct correlations (values above 0.85-0.9 suggest the constructs are not
        distinct).

    Raises
    ------
    DataError
        Naming ``items_a`` or ``items_b``: as :func:`cronbach_alpha`, different numbers of
        respondents, DataFrames whose indexes differ (other respondents in the same rows),
        or a construct whose items correlate negatively on average (the ratio is undefined).
    """
    check_aligned({"items_a": items_a, "items_b": items_b})
    a, b = _matrix(items_a, "items_a"), _matrix(items_b, "items_b")
    if a.shape[0] != b.shape[0]:
        raise DataError(
            f"both constructs need the same respondents ({a.shape[0]} and {b.shape[0]} rows)",
            column="items_b",
        )
    r = _correlations(np.column_stack([a, b]), "items_b")
    ka, kb = a.shape[1], b.shape[1]
    hetero = r[:ka, ka:].mean()
    mono_a = r[:ka, :ka][~np.eye(ka, dtype=bool)].mean()
    mono_b = r[ka:, ka:][~np.eye(kb, dtype=bool)].mean()
    for mono, name in ((mono_a, "items_a"), (mono_b, "items_b")):
        if not mono > 0:
            raise DataError(
                f"the items correlate {mono:.3g} on average (not positively): HTMT is undefined",
                column=name,
            )
    return float(hetero / np.sqrt(mono_a * mono_b))
