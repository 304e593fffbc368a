r"""Gamma-Gamma: the spend per transaction.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
*Journal of Marketing Research* 42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma model of
monetary value", note 025.

A customer's transaction values are i.i.d. :math:`\text{Gamma}(p, \nu)`; across customers
:math:`\nu \sim \text{Gamma}(q, \gamma)`. For a customer with :math:`x` repeat transactions of
mean value :math:`\bar z`, the density of :math:`\bar z` (note 025, eq. 4) is

.. math::

    f(\bar z \mid p, q, \gamma, x) =
      \frac{\Gamma(px+q)}{\Gamma(px)\,\Gamma(q)}
      \frac{\gamma^q\, \bar z^{px-1}\, x^{px}}{(\gamma + x\bar z)^{px+q}},

and the expected spend per transaction given the history is the weighted average of the population
mean :math:`p\gamma/(q-1)` and the customer's own mean:

.. math::

    E[Z \mid \bar z, x] = \frac{q-1}{px+q-1}\,\frac{p\gamma}{q-1}
                        + \frac{px}{px+q-1}\,\bar z
                        = \frac{p(\gamma + x\bar z)}{px+q-1}.

The population mean exists only for :math:`q > 1`: a model with :math:`q \le 1` predicts an
infinite mean spend and is refused. Fitting constrains :math:`q > 1` by default.

Only repeat buyers (``frequency > 0``) carry information on spend; the fit uses them and records
how many customers without repeat purchases it set aside (``fit_result.extra["n_excluded"]``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln, zeta

from relmark._validation import FloatArray, _offending, broadcast_columns, check_frequency
from relmark.clv._base import (
    CLVModel,
    ModelKind,
    RngLike,
    customer_labels,
    fit_time_unit,
)
from relmark.clv._checks import check_array, frequency_grid
from relmark.clv._engine import Likelihood, Progress, SharedTerms
from relmark.clv._params import Param, ParamSet, Prior
from relmark.clv._rfm import as_rng
from relmark.clv._special import digamma_rising, log_rising
from relmark.errors import DataError, ParameterError, SchemaError

__all__ = [
    "GammaGamma",
    "expected_spend",
    "log_likelihood",
    "log_likelihood_and_grad",
    "log_likelihood_grad",
    "log_likelihood_grad_hess",
    "simulate",
]

PARAMS = ParamSet(
    (
        Param("p", "shape of the gamma distribution of one transaction's value", (0.5, 20.0)),
        Param("q", "shape of the gamma distribution of the scale nu across customers", (1.5, 20.0)),
        Param("gamma", "scale of the gamma distribution of nu (in money units)", (1.0, 200.0)),
    )
)


def _prepare(
    frequency: FloatArray, monetary_value: FloatArray
) -> tuple[tuple[FloatArray], tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray]]:
    r"""The grid of frequencies (:func:`~relmark.clv._checks.frequency_grid`; its terms are
    tabulated once per evaluation) and, per row, the index of its frequency, ``x``,
    :math:`x\bar z` and :math:`\ln(x\bar z)` (constant during a fit, so a fit computes them
    once)."""
    xi, grid = frequency_grid(frequency)
    xz = frequency * monetary_value
    return (grid,), (xi, frequency, xz, np.log(xz))


def _x_table(params: FloatArray, grid: FloatArray) -> FloatArray:
    r"""Per frequency ``x`` of the grid, the columns

    0. :math:`\ln\Gamma(px+q) - \ln\Gamma(px) + \ln x` (of the log-density),
    1. :math:`\psi(px+q) - \psi(px)` and 2. :math:`\psi(px+q) - \psi(q)` (of its gradient in
       ``p`` and ``q``),
    3. :math:`x` itself,
    4. :math:`\psi'(px+q)` and 5. :math:`\psi'(px)` (of the Hessian),

    zeros at ``x = 0``, which carries no spend. The rows read columns 0-2; the Hessian
    (:func:`_rows_hessian`) sums the columns over the customers of each frequency. Computed
    once per evaluation, for the grid's few distinct frequencies (the trigammas cost ~10 µs:
    here, not once per block of rows)."""
    p, q = float(params[0]), float(params[1])
    out = np.zeros((grid.shape[0], 6))
    pos = grid > 0
    gp = grid[pos]
    pg = p * gp
    out[pos, 0] = log_rising(pg, q) + np.log(gp)
    out[pos, 1] = digamma_rising(pg, q)
    out[pos, 2] = digamma_rising(np.full_like(pg, q), pg)
    out[pos, 3] = gp
    # trigamma psi'(v) = zeta(2, v) (scipy's polygamma wraps it in Python: 5x slower)
    out[pos, 4] = zeta(2.0, pg + q)
    out[pos, 5] = zeta(2.0, pg)
    return out


def _rows(
    params: FloatArray,
    table: FloatArray,
    xi: npt.NDArray[np.intp],
    x: FloatArray,
    xz: FloatArray,
    log_xz: FloatArray,
    *,
    grad: bool = True,
) -> tuple[FloatArray, FloatArray]:
    r"""Log-density rows and gradients from the frequency table of :func:`_x_table`.

    The density of note 025 (eq. 4) written with :math:`L = \ln(\gamma + x\bar z)` and
    :math:`d = \ln(x\bar z) - L = -\ln(1 + \gamma/(x\bar z))`:

    .. math:: \ln f = \ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln\gamma
        + px\,d + \ln x - \ln(x\bar z) - qL,

    whose terms stay of the size of :math:`\ln f` (the form with :math:`(px-1)\ln\bar z`,
    :math:`px\ln x` and :math:`(px+q)L` apart cancels terms of size :math:`px\ln x`)."""
    p, q, g = (float(v) for v in params)
    d, log_gxz = _log_terms(g, xz, log_xz)
    log_g = math.log(g)
    ll = np.take(table[:, 0], xi)
    ll += q * log_g - float(gammaln(q))
    ll += p * x * d
    ll -= log_xz
    ll -= q * log_gxz
    if not grad:
        return ll, np.empty((0, 3))
    out = np.empty((x.shape[0], 3))
    out[:, 0] = x * (np.take(table[:, 1], xi) + d)
    out[:, 1] = np.take(table[:, 2], xi) + log_g - log_gxz
    out[:, 2] = q / g - (p * x + q) / (g + xz)
    return ll, out


def _log_terms(g: float, xz: FloatArray, log_xz: FloatArray) -> tuple[FloatArray, FloatArray]:
    r""":math:`d = -\mathrm{log1p}(\gamma/(x\bar z))` and :math:`L = \ln(x\bar z) - d` of
    :func:`_rows`. The difference :math:`\ln(x\bar z) - \ln(\gamma + x\bar z)` lost its
    digits where :math:`\gamma \ll x\bar z` (and ``p x`` multiplies it: 2e-12 of the
    log-density at :math:`px = 2400`); rows whose :math:`\gamma/(x\bar z)` overflows (a mean
    spend below 1e-308 of :math:`\gamma`) take the difference of the logarithms."""
    d = np.log1p(g / xz)
    np.negative(d, out=d)
    if d.min(initial=0.0) == -math.inf:
        bad = np.isinf(d)
        d[bad] = log_xz[bad] - np.log(g + xz[bad])
    log_gxz = log_xz - d
    return d, log_gxz


def log_likelihood(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    """Per-customer log-density of the mean spend (note 025, eq. 4); ``frequency > 0``.

    .. math:: f(\\bar z \\mid p, q, \\gamma, x) =
        \\frac{\\Gamma(px+q)}{\\Gamma(px)\\,\\Gamma(q)}
        \\frac{\\gamma^q\\, \\bar z^{px-1}\\, x^{px}}{(\\gamma + x\\bar z)^{px+q}}

    Parameters
    ----------
    params
        ``[p, q, gamma]`` (``gamma`` in money units), float array ``(3,)``.
    frequency
        Repeat transactions :math:`x` of each customer (whole numbers > 0), float array
        ``(n,)``.
    monetary_value
        Each customer's mean value :math:`\\bar z > 0` of their repeat transactions, in money
        units, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\ln f(\\bar z \\mid p, q, \\gamma, x)` of each customer, shape ``(n,)``.
    """
    return log_likelihood_and_grad(params, frequency, monetary_value, grad=False)[0]


def log_likelihood_and_grad(
    params: FloatArray,
    frequency: FloatArray,
    monetary_value: FloatArray,
    *,
    grad: bool = True,
) -> tuple[FloatArray, FloatArray]:
    r"""Log-density rows and their gradient in ``[p, q, gamma]`` (shape (n, 3)).

    :math:`\partial_p = x[\psi(px+q) - \psi(px) + \ln\bar z + \ln x - \ln(\gamma + x\bar z)]`,
    :math:`\partial_q = \psi(px+q) - \psi(q) + \ln\gamma - \ln(\gamma + x\bar z)`,
    :math:`\partial_\gamma = q/\gamma - (px+q)/(\gamma + x\bar z)`.

    The terms that depend on the data only through the integer frequency are tabulated once
    per call (:func:`_x_table`); a fit also computes the per-row constants once (:data:`SHARED`).

    Parameters
    ----------
    params
        ``[p, q, gamma]`` (``gamma`` in money units), float array ``(3,)``.
    frequency
        Repeat transactions :math:`x` of each customer (whole numbers > 0), float array
        ``(n,)``.
    monetary_value
        Each customer's mean value :math:`\bar z > 0` of their repeat transactions, in money
        units, float array ``(n,)``.
    grad
        Whether to compute the gradient (keyword-only; ``False`` returns an empty ``(0, 3)``
        array in its place).

    Returns
    -------
    tuple of numpy.ndarray
        The log-density of each customer, shape ``(n,)``, and its gradient, shape ``(n, 3)``.
    """
    (grid,), rows = _prepare(frequency, monetary_value)
    return _rows(params, _x_table(params, grid), *rows, grad=grad)


def _hessian_sums(
    weights: FloatArray,
    xi: npt.NDArray[np.intp],
    x: FloatArray,
    xz: FloatArray,
    log_xz: FloatArray,
    n_grid: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""What :func:`_rows_hessian` reads of a block of rows that depends on the data and the
    weights only (the engine computes it once per block: a third of a pass): the weight
    :math:`c_x` of the customers of each frequency (indexed like the grid), the rows'
    :math:`w_i x_i` and ``[W, sum_i w_i ln(x_i zbar_i)]``."""
    size = int(xi.max(initial=-1)) + 1 if n_grid is None else n_grid
    cnt = np.bincount(xi, weights, size).astype(np.float64)
    return cnt, weights * x, np.array([float(cnt.sum()), float(weights @ log_xz)])


def _rows_hessian(
    params: FloatArray,
    table: FloatArray,
    weights: FloatArray,
    xi: npt.NDArray[np.intp],
    x: FloatArray,
    xz: FloatArray,
    log_xz: FloatArray,
    cnt: FloatArray | None = None,
    wx: FloatArray | None = None,
    totals: FloatArray | None = None,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted value, gradient and Hessian from the prepared rows (:data:`SHARED`) and the
    frequency table of :func:`_x_table`, from weighted sums.

    With :math:`L_i`, :math:`d_i` of :func:`_rows`, :math:`R_i = 1/(\gamma + x_i\bar z_i)`,
    the weight :math:`c_x` of the customers of each frequency and :math:`W = \sum_i w_i`,
    every term is a sum over the frequencies or one of the row sums
    :math:`\sum_i w_i x_i^k d_i`, :math:`\sum_i w_i x_i^k R_i` and
    :math:`\sum_i w_i x_i^k R_i^2` (:math:`k = 0, 1`), with the constant
    :math:`\sum_i w_i\ln(x_i\bar z_i)` (so that :math:`\sum_i w_i L_i` is the sum of the two):

    .. math::
        \sum_i w_i\ln f_i = \sum_x c_x T_0(x) + W(q\ln\gamma - \ln\Gamma(q))
            + p\sum_i w_i x_i d_i - \sum_i w_i\ln(x_i\bar z_i) - q\sum_i w_i L_i,

    and the gradient and Hessian of :func:`log_likelihood_grad_hess` likewise. The rows carry
    one division, one ``log1p`` and a reciprocal; nothing of shape ``(n, 3)`` is built.
    ``cnt``, ``wx`` and ``totals`` are :func:`_hessian_sums` of the rows (computed here when
    not given).
    """
    if cnt is None or wx is None or totals is None:
        cnt, wx, totals = _hessian_sums(weights, xi, x, xz, log_xz, table.shape[0])
    p, q, g = (float(v) for v in params)
    w = weights
    with np.errstate(over="ignore", divide="ignore"):
        minus_d = np.divide(g, xz)
        np.log1p(minus_d, out=minus_d)  # -d = log1p(gamma / (x zbar)) >= 0
    if minus_d.max(initial=0.0) == math.inf:  # gamma / (x zbar) overflowed: see _log_terms
        bad = np.isinf(minus_d)
        minus_d[bad] = np.log(g + xz[bad]) - log_xz[bad]
    r = np.add(xz, g)
    np.reciprocal(r, out=r)
    s_d0, s_d1 = float(w @ minus_d), float(wx @ minus_d)
    sr0, sr1 = float(w @ r), float(wx @ r)
    r *= r
    ss0, ss1 = float(w @ r), float(wx @ r)
    total_w, slx = float(totals[0]), float(totals[1])
    sd = -s_d1  # sum_i w_i x_i d_i
    sl = slx + s_d0  # sum_i w_i L_i
    # (a block's counts end at its largest frequency: the grid's later rows have none)
    t0, t1, t2, xs, tri_pxq, tri_px = (table[: cnt.shape[0], j] for j in range(6))
    cx = cnt * xs
    log_g = math.log(g)
    value = float(cnt @ t0) + total_w * (q * log_g - float(gammaln(q))) + p * sd - slx - q * sl
    grad = np.array(
        [
            float(cx @ t1) + sd,
            float(cnt @ t2) + total_w * log_g - sl,
            total_w * q / g - p * sr1 - q * sr0,
        ]
    )
    h = np.empty((3, 3))
    h[0, 0] = float(cx @ (xs * (tri_pxq - tri_px)))
    h[0, 1] = h[1, 0] = float(cx @ tri_pxq)
    h[0, 2] = h[2, 0] = -sr1
    h[1, 1] = float(cnt @ tri_pxq) - total_w * float(zeta(2.0, q))
    h[1, 2] = h[2, 1] = total_w / g - sr0
    h[2, 2] = -q / g / g * total_w + p * ss1 + q * ss0  # (g * g underflowed at 1e-290)
    return value, grad, h


def log_likelihood_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    monetary_value: FloatArray,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-density, its gradient and its analytic Hessian in
    ``[p, q, gamma]``, in one pass over the rows.

    .. math::
        \partial^2_{pp} = x^2[\psi'(px+q) - \psi'(px)],\quad
        \partial^2_{pq} = x\,\psi'(px+q),\quad
        \partial^2_{p\gamma} = -\frac{x}{\gamma + x\bar z},

        \partial^2_{qq} = \psi'(px+q) - \psi'(q),\quad
        \partial^2_{q\gamma} = \frac1\gamma - \frac{1}{\gamma + x\bar z},\quad
        \partial^2_{\gamma\gamma} = -\frac{q}{\gamma^2} + \frac{px+q}{(\gamma + x\bar z)^2}

    (the gradient is that of :func:`log_likelihood_and_grad`); the trigamma terms are
    tabulated per distinct frequency.

    Parameters
    ----------
    params
        ``[p, q, gamma]`` (``gamma`` in money units), float array ``(3,)``.
    weights
        Count of customers each row stands for, float array ``(n,)``.
    frequency
        Repeat transactions :math:`x` of each customer (whole numbers > 0), float array
        ``(n,)``.
    monetary_value
        Each customer's mean value :math:`\bar z > 0` of their repeat transactions, in money
        units, float array ``(n,)``.

    Returns
    -------
    tuple
        :math:`\sum_i w_i \ln f_i` (float), the weighted gradient ``(3,)`` and the weighted
        Hessian ``(3, 3)``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: Using Iso-Value Curves
    for Customer Base Analysis. Journal of Marketing Research 42(4), 415-430; Fader, P. S. and
    Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value (note 025, eq. 4).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import gammagamma
    >>> p = np.array([6.25, 3.74, 15.44])
    >>> x, z = np.array([1.0, 3.0]), np.array([20.0, 35.0])
    >>> value, grad, hess = gammagamma.log_likelihood_grad_hess(p, np.ones(2), x, z)
    >>> bool(np.isclose(value, gammagamma.log_likelihood(p, x, z).sum()))
    True
    """
    (grid,), rows = _prepare(frequency, monetary_value)
    return _rows_hessian(params, _x_table(params, grid), weights, *rows)


SHARED = SharedTerms(_prepare, _x_table, _rows, _rows_hessian, hessian_sums=_hessian_sums)
"""Gamma-Gamma's fitting path: per-row constants computed once, frequency terms tabulated."""


def log_likelihood_grad(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    """Analytic gradient of :func:`log_likelihood` in ``[p, q, gamma]``: shape (n, 3).

    Parameters
    ----------
    params
        ``[p, q, gamma]`` (``gamma`` in money units), float array ``(3,)``.
    frequency
        Repeat transactions :math:`x` of each customer (whole numbers > 0), float array
        ``(n,)``.
    monetary_value
        Each customer's mean value :math:`\\bar z > 0` of their repeat transactions, in money
        units, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The derivatives in ``p``, ``q`` and ``gamma`` of each customer's log-density, shape
        ``(n, 3)`` (formulas in :func:`log_likelihood_and_grad`).
    """
    return log_likelihood_and_grad(params, frequency, monetary_value)[1]


def expected_spend(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    """Expected value of a transaction given ``x`` repeat purchases of mean ``monetary_value``.

    For ``x = 0`` this is the population mean :math:`p\\gamma/(q-1)`. In general (FHL 2005,
    "RFM and CLV")

    .. math:: E[Z \\mid \\bar z, x] = \\frac{p(\\gamma + x\\bar z)}{px+q-1},

    a weighted average of the population mean and the customer's own mean.

    Parameters
    ----------
    params
        ``[p, q, gamma]`` with ``q > 1``, float array ``(3,)``.
    frequency
        Repeat transactions :math:`x` of each customer (whole numbers >= 0), float array
        ``(n,)``.
    monetary_value
        Each customer's mean repeat-transaction value :math:`\\bar z` in money units
        (ignored where ``x = 0``), float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The expected value of each customer's next transaction, in money units, shape
        ``(n,)``.

    Examples
    --------
    Fader, Hardie & Lee (2005, JMR) estimates on the CDNOW sample:

    >>> import numpy as np
    >>> from relmark.clv import gammagamma
    >>> p = np.array([6.25, 3.74, 15.44])
    >>> round(float(gammagamma.expected_spend(p, np.array([0.0]), np.array([0.0]))[0]), 2)
    35.22
    """
    p, q, g = params
    # the prior mean and the customer's mean, weighted: x * z of 1e12 * 1e300 overflowed to inf
    den = p * frequency + q - 1.0
    out: FloatArray = p * g / den + (p * frequency / den) * monetary_value
    return out


def simulate(
    params: FloatArray, frequency: npt.ArrayLike, *, rng: RngLike = None
) -> dict[str, FloatArray]:
    """Simulate mean spend of customers with the given numbers of repeat transactions.

    Customers with ``frequency == 0`` get ``monetary_value == 0`` (as in lifetimes' summaries).
    Each customer draws :math:`\\nu \\sim \\text{Gamma}(q, \\gamma)`; the mean of their
    :math:`x` transaction values, each :math:`\\text{Gamma}(p, \\nu)`, is
    :math:`\\text{Gamma}(px, x\\nu)`.

    Parameters
    ----------
    params
        ``[p, q, gamma]``, float array ``(3,)``.
    frequency
        Repeat transactions of each customer (whole numbers >= 0).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency`` and ``monetary_value`` (money units) per customer, ready for
        :meth:`GammaGamma.fit`.
    """
    p, q, g = params
    gen = as_rng(rng)
    x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    nu = gen.gamma(q, 1.0 / g, size=x.shape[0])
    # The mean of x i.i.d. Gamma(p, nu) values is Gamma(p x, x nu).
    safe_x = np.where(x > 0, x, 1.0)
    mean = gen.gamma(p * safe_x, 1.0 / (safe_x * nu))
    return {"frequency": x, "monetary_value": np.where(x > 0, mean, 0.0)}


_START_ROWS = 20_000
"""Rows of the systematic sample that the start values are computed from."""


def log_moment_start(
    frequency: FloatArray, monetary_value: FloatArray, weights: FloatArray
) -> FloatArray:
    r"""Start values ``[p, q, gamma]`` by the method of moments of :math:`\ln\bar z` given
    :math:`x` (scale-free: spend in other money units scales ``gamma`` alone).

    :math:`\bar z \mid \nu, x \sim \text{Gamma}(px, x\nu)` and
    :math:`\nu \sim \text{Gamma}(q, \gamma)`, so the logarithm has, at each frequency,

    .. math::
        \operatorname{Var}[\ln\bar z \mid x] = \psi'(px) + \psi'(q),\qquad
        E[\ln\bar z \mid x] = \psi(px) - \ln x - \psi(q) + \ln\gamma

    (both exist for every ``p, q > 0``, unlike the moments of :math:`\bar z` itself).
    ``p`` minimises the weighted squared misfit of the variances of the frequencies with at
    least 10 customers (for each ``p``, :math:`\psi'(q)` is the weighted mean of
    :math:`\operatorname{Var} - \psi'(px)`; a grid in :math:`\ln p`, a finer grid around its
    best point and a parabola through the best three), ``q`` inverts :math:`\psi'` and
    ``gamma`` matches the means. With one such frequency only, the variances do not separate
    ``p`` and ``q``: the variance is split evenly between them then. Computed on a systematic
    sample of :data:`_START_ROWS` rows (the start values need not be estimates: the fit takes
    them to the maximum).

    Parameters
    ----------
    frequency
        Repeat purchases :math:`x > 0` of each row.
    monetary_value
        Mean spend :math:`\bar z > 0` of each row.
    weights
        Customers each row stands for.

    Returns
    -------
    numpy.ndarray
        ``[p, q, gamma]``, finite and > 0.
    """
    step = max(frequency.shape[0] // _START_ROWS, 1)
    x, z, w = frequency[::step], monetary_value[::step], weights[::step]
    lz = np.log(z)
    top = float(x.max())
    if top <= 4 * x.shape[0]:  # small whole numbers: counted, not sorted
        xi = x.astype(np.intp)
        xv = np.arange(int(top) + 1, dtype=np.float64)
    else:
        xv, xi = np.unique(x, return_inverse=True)
    n: FloatArray = np.bincount(xi, w, xv.shape[0]).astype(np.float64)
    safe_n = np.where(n > 0, n, 1.0)
    s1 = np.bincount(xi, w * lz, xv.shape[0]) / safe_n
    s2 = np.bincount(xi, w * (lz - s1[xi]) ** 2, xv.shape[0]) / safe_n
    use = n >= 10
    if not use.any():
        use = n == n.max()
    xv, n, mean, var = xv[use], n[use], s1[use], s2[use]
    var = np.maximum(var * n / np.maximum(n - 1.0, 1.0), 1e-12)  # unbiased; above 0

    def fit_q(log_p: npt.NDArray[np.float64]) -> tuple[FloatArray, FloatArray]:
        """Per candidate ln p: the weighted misfit and the implied psi'(q)."""
        tri = zeta(2.0, np.exp(log_p)[:, None] * xv[None, :])  # psi'
        c = ((var[None, :] - tri) @ n) / n.sum()
        misfit = ((var[None, :] - tri - c[:, None]) ** 2) @ n
        return misfit, c

    if xv.shape[0] > 1:
        # a grid in ln p, then a finer one around its best point, then a parabola
        grid = np.linspace(math.log(0.05), math.log(500.0), 25)
        k = int(np.argmin(fit_q(grid)[0]))
        fine = np.linspace(grid[max(k - 1, 0)], grid[min(k + 1, grid.shape[0] - 1)], 13)
        misfit = fit_q(fine)[0]
        k = min(max(int(np.argmin(misfit)), 1), fine.shape[0] - 2)
        m0, m1, m2 = misfit[k - 1 : k + 2]
        curve = m0 - 2.0 * m1 + m2
        shift = 0.5 * (m0 - m2) / curve if curve > 0 else 0.0
        log_p = float(fine[k] + min(max(shift, -1.0), 1.0) * (fine[1] - fine[0]))
        trig_q = float(fit_q(np.array([log_p]))[1][0])
    else:  # one frequency: its variance split evenly between psi'(px) and psi'(q)
        trig_q = 0.5 * float(var[0])
        log_p = math.log(_inverse_trigamma(trig_q) / float(xv[0]))
    p = math.exp(log_p)
    q = _inverse_trigamma(trig_q) if trig_q > 0 else 1e3
    q = min(max(q, 1.05), 1e3)
    log_g = float(n @ (mean - digamma(p * xv) + np.log(xv))) / float(n.sum()) + float(digamma(q))
    # (beyond 1e308 the fit refuses the mean spend; a start there must not raise OverflowError)
    return np.array([p, q, math.exp(min(log_g, 709.0))])


def _inverse_trigamma(y: float) -> float:
    r"""The :math:`q > 0` with :math:`\psi'(q) = y` (``y > 0``): Newton's method on the
    convex, decreasing :math:`\psi'` from :math:`q_0 = 1/y + 1/2` (:math:`\psi'(q) \approx
    1/q + 1/(2q^2)`; Minka 2002) for :math:`y < 6`, :math:`q_0 = (y - \pi^2/6)^{-1/2}`
    (:math:`\psi'(q) \approx 1/q^2 + \pi^2/6` near 0) otherwise; a step below 0 halves
    ``q`` instead."""
    q = 1.0 / y + 0.5 if y < 6.0 else 1.0 / (y - math.pi**2 / 6.0 + 1e-300) ** 0.5
    for _ in range(60):
        t = float(zeta(2.0, q))  # psi'(q); psi''(q) = -2 zeta(3, q)
        step = (t - y) / (-2.0 * float(zeta(3.0, q)))
        q_new = q - step
        if not q_new > 0:
            q_new = q / 2.0
        if abs(q_new - q) <= 1e-12 * q:
            return q_new
        q = q_new
    return q


def _repeat_buyers(
    x: FloatArray, z: FloatArray, w: FloatArray | None, data: object
) -> tuple[FloatArray, FloatArray, FloatArray | None, int]:
    """The rows of the repeat buyers (``x > 0``), validated (a mean spend of 0 is refused),
    and the number of customers set aside.

    One pass for the mask and one gather by the rows' positions: ``x[mask]`` with a mask that
    keeps 40 % of the rows at random cost 5-7 ms per column at 1M rows (a mispredicted branch
    per row), ``np.flatnonzero`` and ``take`` 0.4 + 0.2 ms.
    """
    keep = x > 0
    n_keep = int(np.count_nonzero(keep))
    if n_keep == 0:
        raise DataError("no customer has repeat purchases: spend cannot be fitted")
    n_rows = x.shape[0]
    if n_keep < n_rows:
        rows = np.flatnonzero(keep)
        xs, zs = x.take(rows), z.take(rows)
        ws = None if w is None else w.take(rows)
    else:
        xs, zs, ws = x, z, w
    if not zs.all():  # a repeat buyer's mean spend of 0
        raise DataError(
            "repeat buyers with a mean spend of 0 have no Gamma-Gamma density; exclude them "
            "explicitly (e.g. keep rows with monetary_value > 0) and report how many",
            column="monetary_value",
            rows=_offending(keep & (z == 0), customer_labels(data)),
        )
    if w is None or ws is None:
        n_excluded = n_rows - n_keep
    else:  # counts: whole numbers, summed exactly in float64 below 2**53
        n_excluded = round(float(w.sum()) - float(ws.sum()))
    return xs, zs, ws, n_excluded


_GG = TypeVar("_GG", bound="GammaGamma")

_SCALE_LIMIT = 30
r"""Mean spends beyond :math:`2^{\pm 30}` (~1e±9) are fitted in units of a power of two."""


def _scale_shift(z: FloatArray) -> int:
    r"""The power of two near the spends' geometric mean (of a systematic sample), when it is
    beyond :math:`2^{\pm 30}`; 0 otherwise. A fit's Hessian in ``gamma`` scales as
    :math:`\gamma^{-2}`: at spends of 1e-290 it overflowed (no standard errors, no
    convergence), at 1e290 :math:`x\bar z` did."""
    sample = z[:: max(z.shape[0] // _START_ROWS, 1)]
    log2 = float(np.mean(np.log2(sample)))
    return round(log2) if abs(log2) > _SCALE_LIMIT else 0


def _rescaled(model: _GG, shift: int) -> _GG:
    r"""A fit on spends in units of :math:`2^{\text{shift}}` stated in the data's units:
    :math:`\gamma` times :math:`2^{\text{shift}}` (exactly), the log-likelihood minus
    :math:`n\,\text{shift}\ln 2` (the density of :math:`\bar z/c` is :math:`c` times that of
    :math:`\bar z`); the covariance of :math:`\ln\gamma` is unchanged."""
    result = model.fit_result
    theta = result.params_array.copy()
    theta[2] = math.ldexp(float(theta[2]), shift)
    pset = result.param_set
    extra = dict(result.extra)
    if "fixed" in extra and "gamma" in extra["fixed"]:
        extra["fixed"] = {**extra["fixed"], "gamma": math.ldexp(extra["fixed"]["gamma"], shift)}
    fit = dataclasses.replace(
        result,
        params_array=theta,
        jacobian=pset.jacobian(pset.to_unconstrained(theta)),
        log_likelihood=result.log_likelihood - result.nobs * shift * math.log(2.0),
        extra=extra,
    )
    return type(model)._make(
        dict(zip(pset.names, theta.tolist(), strict=True)),
        time_unit=model.time_unit,
        fit=fit,
        settings=model.settings,
    )


def _implied_q(exc: ParameterError) -> str:
    """``q=0.0098`` from the model's refusal of ``q <= 1`` (its "(got q=...)"; the fit's error
    said "imply got q=0.0098")."""
    found = re.search(r"\(got (q=[^)]*)\)", str(exc))
    return found.group(1) if found else "q <= 1"


class GammaGamma(CLVModel):
    """The Gamma-Gamma spend model with parameters ``p, q, gamma``.

    >>> from relmark.clv import GammaGamma
    >>> spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> [round(float(v), 2) for v in spend.expected_spend([0, 2], [0.0, 22.35])]
    [35.22, 24.66]

    A model with ``q <= 1`` has no finite mean spend and is refused:

    >>> GammaGamma(p=6.0, q=0.9, gamma=15.0)
    Traceback (most recent call last):
    ...
    relmark.errors.ParameterError: argument 'q': GammaGamma needs q > 1 (got q=0.9): ...

    The parameters above are Fader, Hardie & Lee's (2005, JMR) estimates on the CDNOW sample.

    Parameters
    ----------
    **params
        ``p``, the shape of the gamma distribution of one transaction's value; ``q`` (> 1)
        and ``gamma`` (in money units), shape and scale of the gamma distribution of its rate
        :math:`\\nu` across customers. All three are finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, a value that is not a number > 0, or ``q <= 1``
        (an infinite mean spend), naming the parameter.
    """

    name: ClassVar[str] = "GammaGamma"
    kind: ClassVar[ModelKind] = "spend"
    param_set: ClassVar[ParamSet] = PARAMS
    data_fields: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood,
        log_likelihood_grad,
        log_likelihood_and_grad,
        shared=SHARED,
        value_grad_hess=log_likelihood_grad_hess,
        cheap_hessian=True,  # its Hessian pass (weighted sums) costs ~0.7 of a gradient pass
    )

    def log_likelihood(
        self, data: object = None, *, weights: npt.ArrayLike | None = None, **columns: Any
    ) -> FloatArray:
        """:meth:`CLVModel.log_likelihood` of repeat buyers (the rows a fit uses).

        Parameters
        ----------
        data
            A summary, a DataFrame or a mapping with ``frequency`` and ``monetary_value``, or
            ``None`` with the columns as keywords.
        weights
            Counts of identical rows, validated but not applied (one value per row).
        **columns
            ``frequency`` and ``monetary_value`` as arrays, overriding those of ``data``.

        Returns
        -------
        numpy.ndarray
            The log-density of each repeat buyer's mean spend given their frequency, shape
            ``(n,)``.

        Raises
        ------
        DataError
            For rows with ``frequency == 0`` (no spend observed: a value was returned for
            them) or a repeat buyer's ``monetary_value == 0`` (no density: the log of 0 with
            a RuntimeWarning), naming the column and rows; and as :meth:`CLVModel.log_likelihood`.
        """
        (x, z), _ = self._coerce(data, weights, columns)
        labels = customer_labels(data)
        checks = (
            (x == 0, "frequency", "customers without repeat purchases have no spend density"),
            ((x > 0) & (z == 0), "monetary_value", "a mean spend of 0 has no Gamma-Gamma density"),
        )
        for bad, column, message in checks:
            if bad.any():
                raise DataError(message, column=column, rows=_offending(bad, labels))
        return self.likelihood.log_likelihood(self._values, x, z)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """:meth:`CLVModel.from_dict`, and the fit's ``extra.n_excluded`` is a count (an edited
        ``"x"``, -1 or 1.5 loaded silently).

        Parameters
        ----------
        d
            The model as :meth:`to_dict` wrote it (parsed JSON).

        Returns
        -------
        GammaGamma
            The model, with its fit result if one was saved.

        Raises
        ------
        SchemaError
            Naming the key that is missing, malformed or inconsistent.
        """
        model = super().from_dict(d)
        if model.is_fitted and "n_excluded" in model.fit_result.extra:
            v = model.fit_result.extra["n_excluded"]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise SchemaError(
                    f"must be a whole number >= 0, got {v!r}", key="fit.extra.n_excluded"
                )
        return model

    def _check_params(self, values: FloatArray) -> None:
        q = float(values[1])
        if q <= 1.0:
            raise ParameterError(
                f"GammaGamma needs q > 1 (got q={q:g}): with q <= 1 the mean spend "
                "p*gamma/(q-1) is infinite or negative; refit with the default constraint q > 1",
                argument="q",
            )
        p, g = float(values[0]), float(values[2])
        if not math.isfinite(p * g / (q - 1.0)):  # mean_spend was inf (numpy's RuntimeWarning)
            raise ParameterError(
                f"the mean spend p*gamma/(q-1) with p={p:g}, gamma={g:g}, q={q:g} is beyond "
                "floating point (rescale the amounts)",
                argument="gamma",
            )

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        x, z = arrays["frequency"], arrays["monetary_value"]
        check_frequency(x, labels)
        bad = z < 0
        if bad.any():
            raise DataError(
                "spend cannot be negative", column="monetary_value", rows=_offending(bad, labels)
            )
        return x, z

    @classmethod
    def fit(
        cls,
        data: object = None,
        *,
        weights: npt.ArrayLike | None = None,
        start: Mapping[str, float] | None = None,
        compress: bool | None = None,
        time_unit: str | None = None,
        settings: Mapping[str, float] | None = None,
        priors: Mapping[str, Prior] | None = None,
        fixed: Mapping[str, float] | None = None,
        progress: Progress | str | None = None,
        **columns: npt.ArrayLike | None,
    ) -> Self:
        """Fit on the repeat buyers (``frequency > 0``) of ``data``; see :meth:`CLVModel.fit`.

        Customers without repeat purchases carry no spend information; they are set aside and
        counted in ``fit_result.extra["n_excluded"]``. Data whose likelihood peaks at ``q <= 1``
        (spend too heavy-tailed for a finite mean) raise
        :class:`~relmark.errors.ParameterError` rather than return a boundary estimate.

        Parameters
        ----------
        data
            An :class:`relmark.data.RFMSummary`, a DataFrame or a mapping with the columns
            ``frequency`` and ``monetary_value`` (mean spend per repeat purchase, in money
            units), or ``None`` with the columns as keywords.
        weights
            Integer counts of identical rows (a ``weights`` column of ``data`` is used
            otherwise).
        start
            Start values by name (``p``, ``q``, ``gamma``); otherwise the method of moments of
            the log spend (:func:`log_moment_start`: scale-free, spend in any money unit).
        compress
            Group identical rows into weights: ``None`` (default) when it pays, or
            always/never.
        time_unit
            Unit of the summary's times, stored with the model (spend has no time unit of
            its own; kept so that a spend model and its purchase model agree).
        settings
            Accepted for symmetry with :meth:`CLVModel.fit`; Gamma-Gamma has no fixed
            settings, so it must be empty or ``None``.
        priors
            A :class:`~relmark.clv.Prior` per parameter (a MAP fit); see :meth:`CLVModel.fit`.
        fixed
            Parameters held at given values (a restricted fit); see :meth:`CLVModel.fit`.
        progress
            Off (``None``, the default), a callable ``progress(stage, fraction)`` or
            ``"tqdm"``; see :meth:`CLVModel.fit`.
        **columns
            ``frequency`` and ``monetary_value`` as arrays, overriding those of ``data``.

        Returns
        -------
        GammaGamma
            The fitted model; ``fit_result.extra["n_excluded"]`` counts the customers set
            aside.

        Raises
        ------
        DataError
            For missing or invalid columns, repeat buyers with a mean spend of 0, or no
            repeat buyer at all (naming the column and rows).
        ParameterError
            When the likelihood peaks at ``q <= 1``.
        ArgumentError
            For an unknown column keyword, a bad ``compress``, ``time_unit``, setting or
            ``progress``.
        """
        checked = cls._fit_arguments(compress, settings, start, fixed, priors, progress)
        if start is not None:  # (named by their own error, not as an infinite mean spend)
            cls.param_set.validate(start, model=cls.name)
        if checked[1].get("q", 2.0) <= 1.0:  # refused before fitting, not after
            raise ParameterError(
                f"GammaGamma needs q > 1 (got q={checked[1]['q']:g} in fixed): with q <= 1 the "
                "mean spend p*gamma/(q-1) is infinite",
                argument="q",
            )
        unit_label = fit_time_unit(data, time_unit)  # (equal to the data's, when it states one)
        (x_all, z_all), w_all = cls._coerce(data, weights, columns)
        x, z, w, n_excluded = _repeat_buyers(x_all, z_all, w_all, data)
        shift = _scale_shift(z) if "gamma" not in checked[2] else 0
        if shift:
            # spend in units of 2**shift: gamma scales exactly, p and q do not move
            unit = math.ldexp(1.0, shift)
            z = np.ldexp(z, -shift)
            chosen, held, prior_map, report = checked
            held = {n: v / unit if n == "gamma" else v for n, v in held.items()}
            checked = (chosen, held, prior_map, report)
            if start is not None and "gamma" in start:
                start = {**start, "gamma": float(start["gamma"]) / unit}
        try:
            # the buyers' rows, validated above: fitted without a second validation
            model = cls._fit_arrays(
                (x, z), w, checked, start=start, compress=compress, time_unit=unit_label
            )
        except ParameterError as exc:
            if exc.argument != "q" or "q" in checked[1]:
                raise
            raise ParameterError(
                f"these spend data imply {_implied_q(exc)}: an infinite "
                "mean spend per transaction. The Gamma-Gamma model does not fit them; look for "
                "outliers or returns in monetary_value, or model spend otherwise"
            ) from None
        if shift:
            model = _rescaled(model, shift)
        model.fit_result.extra["n_excluded"] = n_excluded
        return model

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, z = data
        return log_moment_start(x, z, weights)

    def expected_spend(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """Expected spend per transaction; see :func:`expected_spend`.

        Parameters
        ----------
        frequency
            Repeat purchases of each customer (whole numbers >= 0), a number or an array.
        monetary_value
            Each customer's mean spend per repeat purchase, in money units (>= 0; ignored
            where ``frequency`` is 0). Scalars broadcast against arrays.

        Returns
        -------
        numpy.ndarray
            :math:`p(\\gamma + x\\bar z)/(px+q-1)` per customer, in money units.

        Raises
        ------
        DataError
            For negative or fractional frequencies, negative spend, text, booleans or NaN
            (naming the column).
        """
        one: tuple[object, object] = (frequency, monetary_value)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in one):
            # one customer (a service's request): validate as Python numbers
            fx, fz = float(one[0]), float(one[1])  # type: ignore[arg-type]
            if math.isfinite(fx + fz) and fx >= 0 and fx == int(fx) and fz >= 0:
                p, q, g = self._values.tolist()
                den = p * fx + q - 1.0
                return np.array([p * g / den + (p * fx / den) * fz])
        x, z = broadcast_columns({"frequency": frequency, "monetary_value": monetary_value})
        self._validate_data({"frequency": x, "monetary_value": z}, None)
        return expected_spend(self._values, x, z)

    @property
    def mean_spend(self) -> float:
        """Population mean spend per transaction, :math:`p\\gamma/(q-1)`."""
        p, q, g = self._values
        return float(p * g / (q - 1.0))

    def simulate(self, frequency: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
        """Simulate mean spend for customers with given repeat purchases (whole numbers >= 0);
        see :func:`simulate`.

        Parameters
        ----------
        frequency
            Repeat purchases of each simulated customer, whole numbers >= 0.
        rng
            A ``numpy.random.Generator``, a seed or ``None``, keyword-only.

        Returns
        -------
        dict of str to numpy.ndarray
            ``frequency`` and ``monetary_value`` per customer (0 without repeat purchases).

        Raises
        ------
        ArgumentError
            For frequencies that are not whole numbers >= 0 (naming ``frequency``).
        """
        return simulate(self._values, check_array(frequency, "frequency", whole=True), rng=rng)
