r"""Pareto/NBD: Poisson purchases and an exponential lifetime, both gamma-heterogeneous.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", *Management Science* 33(1); Fader & Hardie (2005), "A note on deriving the
Pareto/NBD model and related expressions" (note 008); Fader, Hardie & Lee (2005), "RFM and
CLV", *JMR* 42(4) (DERT).

While alive a customer buys at rate :math:`\lambda \sim \text{Gamma}(r, \alpha)`; their lifetime
is exponential with rate :math:`\mu \sim \text{Gamma}(s, \beta)`. For :math:`x` repeat purchases,
the last at :math:`t_x`, in :math:`(0, T]`,

.. math::

    L = \frac{\Gamma(r+x)\,\alpha^r\beta^s}{\Gamma(r)} \Bigl[
        \frac{1}{(\alpha+T)^{r+x}(\beta+T)^s}
        + s \int_{t_x}^{T} \frac{d\tau}{(\alpha+\tau)^{r+x}(\beta+\tau)^{s+1}} \Bigr].

The integral is :math:`A_0/(r+s+x)` of note 008, a difference of two Gauss hypergeometric
functions :math:`{}_2F_1(a, b; a+1; z)`. relmark rewrites them with
:math:`{}_2F_1(a,b;a+1;z) = (1-z)^{1-b}\,{}_2F_1(1, a+1-b; a+1; z)`, whose series has positive
terms bounded by :math:`z^k`, so for :math:`\alpha \ge \beta`

.. math::

    \int_{t_x}^{T} \cdots = \frac{1}{r+s+x}\Bigl[
      \frac{G(z_{t_x})}{(\alpha+t_x)^{r+x}(\beta+t_x)^{s}}
      - \frac{G(z_T)}{(\alpha+T)^{r+x}(\beta+T)^{s}} \Bigr],\quad
    G(z) = {}_2F_1(1, r+x; r+s+x+1; z),\ z_\tau = \frac{\alpha-\beta}{\alpha+\tau},

(symmetrically for :math:`\alpha < \beta`; exactly :math:`G = 1` for :math:`\alpha = \beta`), and
everything is evaluated in log space, so nothing overflows for :math:`x` in the thousands.

Fitting uses the analytic gradient (:func:`log_likelihood_and_grad`): the derivatives of
:math:`G` in its parameters (through :math:`r` and :math:`s`) and in :math:`z` come from the
same positive series as :math:`G` itself, which converges at least like :math:`z^k`; customers with
:math:`z_{t_x} > 3/4` (very unequal :math:`\alpha` and :math:`\beta`) get central differences
instead. Tested against mpmath derivatives of a 40-digit quadrature of the likelihood. The
analytic Hessian (:func:`log_likelihood_grad_hess`) comes from the same table of pair terms:
the second derivatives enter the Hessian linearly, so only their weighted sums over the
customers' pairs are formed (:func:`_pair_rows_hessian`), and a large fit finishes in two
full-data passes.

Predictions: :math:`P(\text{alive}) = (\alpha+T)^{-(r+x)}(\beta+T)^{-s} / [\cdot]`;
:math:`E[Y(t)\mid\cdot] = P(\text{alive})\,\frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
[1 - (\frac{\beta+T}{\beta+T+t})^{s-1}]` (with its :math:`s = 1` limit, a logarithm);
:math:`\mathrm{DERT}(\delta) = P(\text{alive})\,\frac{r+x}{\alpha+T}\,(\beta+T)\,
U(1, 2-s, \delta(\beta+T))` (Tricomi's function; FHL 2005 eq. 2 after
:math:`U(s,s,z) = z^{1-s}U(1,2-s,z)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import integrate, special
from scipy.special import exprel, gammaln, hyperu, roots_legendre

from relmark._validation import FloatArray
from relmark.clv._base import RngLike, _distinct_rows, decode_key, integer_key
from relmark.clv._engine import Likelihood, Progress, SharedTerms
from relmark.clv._params import Param, ParamSet, Prior
from relmark.clv._rfm import Predictions, RFMModel, as_rng
from relmark.clv._special import (
    digamma_rising,
    hyp2f1,
    log_rising,
    trigamma_rising,
    warn_nonfinite,
)
from relmark.clv._tabulate import MIN_ROWS, tabulate
from relmark.errors import DataError

__all__ = [
    "ParetoNBD",
    "conditional_expected_purchases",
    "conditional_prob_purchases",
    "dert",
    "expected_purchases_new_customer",
    "log_likelihood",
    "log_likelihood_and_grad",
    "log_likelihood_grad_hess",
    "p_alive",
    "p_alive_ahead",
    "prob_purchases",
    "remaining",
    "simulate",
]

PARAMS = ParamSet(
    (
        Param("r", "shape of the gamma distribution of purchase rates", (0.05, 5.0)),
        Param(
            "alpha", "scale (time units) of the gamma distribution of purchase rates", (0.5, 50.0)
        ),
        Param("s", "shape of the gamma distribution of dropout rates", (0.05, 5.0)),
        Param("beta", "scale (time units) of the gamma distribution of dropout rates", (0.5, 50.0)),
    )
)


def _log_g(
    c: FloatArray,
    d: FloatArray,
    z: FloatArray,
    w: FloatArray | None = None,
    e: FloatArray | None = None,
) -> FloatArray:
    """``log 2F1(1, c; d; z)`` for ``0 <= z < 1`` and ``0 < c < d - 1`` (a positive series):
    :func:`relmark.clv._special.hyp2f1`, and where that has no value (``c`` in the thousands
    with ``z`` near 1: a near-Poisson purchase process, ``r`` and ``alpha`` large at a fixed
    ratio) its Euler integral by quadrature (:func:`_log_g_by_quadrature`), which takes
    ``w = 1 - z`` as given (computed by the caller as a ratio of the scales, exact to
    rounding where ``1 - z`` is not: at ``r = 1e8``, ``alpha = r / 0.4``, ``1 - z`` is ~5e-8
    and keeps only eight digits), and ``e = d - c`` likewise (``s + 1``, which ``d - c``
    keeps to 1e-8 only at ``r = 1e8``)."""
    if w is None:
        w = 1.0 - np.asarray(z, dtype=np.float64)
    if e is None:
        e = np.asarray(d, dtype=np.float64) - np.asarray(c, dtype=np.float64)
    c, d, z, w, e = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (c, d, z, w, e)))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(hyp2f1(1.0, c, d, z))
    bad = ~np.isfinite(out)
    if bad.any():
        out = np.array(out, dtype=np.float64, ndmin=1)
        rows = bad.reshape(out.shape)
        cb, eb, wb = (np.broadcast_to(v, out.shape)[rows] for v in (c, e, w))
        out[rows] = _log_g_by_quadrature(cb, eb, wb)
        out = out.reshape(c.shape)
    result: FloatArray = out
    return result


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
_G_LEVELS = (1.0, 4.0, 12.0, 40.0)
"""Drops of the log integrand below its peak that bound the panels of
:func:`_log_g_by_quadrature` (beyond 40 the tails hold less than 1e-17 of the integral)."""
_G_SPLIT = 3
"""Equal sub-panels of each interval between two breakpoints (12 Gauss-Legendre nodes each)."""
_G_BENDS = (-10.0, -4.0, -1.5, 0.0, 1.5, 4.0, 10.0)
"""Breakpoints about each bend of the log integrand (:func:`_log_g_by_quadrature`)."""


def _bisect(f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray) -> FloatArray:
    """The root of the decreasing ``f`` (elementwise) in ``[lo, hi]`` with ``f(lo) > 0 > f(hi)``,
    by 64 bisections (to 5e-20 of the bracket)."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        up = f(mid) > 0.0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    out: FloatArray = 0.5 * (lo + hi)
    return out


def _g_nodes(
    c: FloatArray, s1: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""The quadrature of :func:`_log_g_by_quadrature`: per row (columns) the nodes ``u``
    ``(K, n)``, their weights times :math:`e^{\varphi(u) - \varphi_{\max}}`, the peak
    :math:`\varphi_{\max}` and :math:`\ln w`, ``w = 1 - z`` (given), ``s1 = d - c``."""
    z = w  # (only its shape is used below)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)  # -inf at z = 1

    def phi(u: FloatArray) -> FloatArray:
        out: FloatArray = u - c * np.logaddexp(0.0, u + log_w) - s1 * np.logaddexp(0.0, u)
        return out

    def slope(u: FloatArray) -> FloatArray:
        out: FloatArray = 1.0 - c * special.expit(u + log_w) - s1 * special.expit(u)
        return out

    ones = np.ones_like(z)
    mode = _bisect(slope, -60.0 * ones, 120.0 * ones)
    top = phi(mode)
    points = [mode]
    for level in _G_LEVELS:
        drop = top - level

        def above(u: FloatArray, drop: FloatArray = drop) -> FloatArray:
            return phi(u) - drop

        def below(u: FloatArray, drop: FloatArray = drop) -> FloatArray:
            return drop - phi(u)

        # left of the mode phi rises with slope <= 1; right of it it may fall as slowly as
        # 1 - d (d - 1 >= c + s, both >= 1e-8 or so): brackets of 100 and 1e12
        points.insert(0, _bisect(below, mode - (level + 60.0), mode))
        points.append(_bisect(above, mode, mode + 1e12))
    # where phi bends: |u| and |u + ln w| within 10 (elsewhere it is linear to e^-10)
    first, last = points[0], points[-1]
    for centre in (np.zeros_like(z), np.where(np.isfinite(log_w), -log_w, 0.0)):
        points.extend(np.clip(centre + step, first, last) for step in _G_BENDS)
    grid = np.sort(np.array(points), axis=0)
    lo, hi = grid[:-1], grid[1:]  # (intervals, n)
    width = (hi - lo) / _G_SPLIT
    panel = np.arange(_G_SPLIT, dtype=np.float64)
    # (intervals, split, nodes, n)
    a = lo[:, None, None, :] + panel[None, :, None, None] * width[:, None, None, :]
    u = a + 0.5 * width[:, None, None, :] * (_GL_NODES[None, None, :, None] + 1.0)
    weight = 0.5 * width[:, None, None, :] * _GL_WEIGHTS[None, None, :, None]
    n = z.shape[0]
    weight = np.broadcast_to(weight, u.shape).reshape(-1, n)
    u = u.reshape(-1, n)
    weight = weight * np.exp(phi(u) - top[None, :])
    return u, weight, top, log_w


def _log_g_by_quadrature(c: FloatArray, e: FloatArray, w: FloatArray) -> FloatArray:
    r"""``log 2F1(1, c; d; z)`` (``0 < c < d - 1``, ``0 <= z <= 1``) from its Euler integral
    in :math:`u = \ln y`,

    .. math:: {}_2F_1(1, c; d; z) = (d-1)\int_{-\infty}^{\infty} e^{\varphi(u)}\,du,\qquad
        \varphi(u) = u - c\ln(1 + w e^u) - (d-c)\ln(1 + e^u),\quad w = 1 - z

    (DLMF 15.6.1 with :math:`t = y/(1+y)`: the Pareto/NBD integral
    :math:`\int_\tau^\infty (\alpha+\tau')^{-(r+x)}(\beta+\tau')^{-(s+1)}d\tau'` in units
    of :math:`\beta+\tau`). :math:`\varphi` is concave (:math:`\varphi'' < 0`), its slope
    falls from 1 to :math:`1 - d < 0`, so the integrand is unimodal with exponential tails:
    the mode and the points where :math:`\varphi` has dropped by 1, 4, 12 and 40 on either
    side are found by bisection, with breakpoints about the two bends of :math:`\varphi`
    (:math:`u = 0` and :math:`u = -\ln w`, :data:`_G_BENDS`), and each interval is summed by
    three 12-node Gauss-Legendre panels (:math:`\varphi` is analytic within :math:`\pi` of
    the real axis; away from the bends it is linear to :math:`e^{-10}`). At :math:`z = 1` it
    is :math:`\ln\frac{d-1}{d-1-c}` (Gauss's sum). Checked against mpmath (30 digits) for
    ``c`` from 0.5 to 1e7, ``d - c - 1`` from 1e-3 to 7.5 and ``1 - z`` from 1e-12 to 0.3:
    within 2e-13 of ``max(1, |log G|)`` (tests).
    """
    _, weight, top, _ = _g_nodes(c, e, w)
    out: FloatArray = np.log(c + (e - 1.0)) + top + np.log(weight.sum(axis=0))
    exact = w <= 0.0
    if exact.any():
        out[exact] = np.log((c[exact] + (e[exact] - 1.0)) / (e[exact] - 1.0))
    return out


def _log_g_moments(c: FloatArray, e: FloatArray, w: FloatArray) -> FloatArray:
    r""":math:`\ln G` and its first and second derivatives from the quadrature of
    :func:`_log_g_by_quadrature`, shape ``(10, n)``, in the coordinates :math:`(c, e, z)`
    with :math:`e = d - c` held fixed when :math:`c` moves (:math:`\partial_c|_e =
    \partial_c + \partial_d`, :math:`\partial_e = \partial_d`): rows :math:`L, L_c, L_e,
    L_z, L_{cc}, L_{ce}, L_{ee}, L_{cz}, L_{ez}, L_{zz}`.

    With :math:`X_c = -\ln(1+we^u)`, :math:`X_e = -\ln(1+e^u)` and
    :math:`X_z = c\,e^u/(1+we^u)` the derivatives of :math:`\varphi`, and expectations
    under the density :math:`\propto e^{\varphi}`: :math:`L_c = 1/(d-1) + E X_c`,
    :math:`L_e = 1/(d-1) + E X_e`, :math:`L_z = E X_z`, and
    :math:`L_{ij} = \operatorname{Cov}(X_i, X_j) + E[\partial_{ij}\varphi] - [i,j \in
    \{c, e\}]/(d-1)^2` with :math:`\partial_{cz}\varphi = X_z/c`,
    :math:`\partial_{zz}\varphi = X_z^2/c` (the others 0). The covariances are centred sums,
    so the second derivatives along :math:`c` at fixed :math:`e` (the direction of
    :math:`r` at large :math:`r`) keep their digits where a difference of the plain
    :math:`(c, d)` derivatives keeps none."""
    u, weight, top, log_w = _g_nodes(c, e, w)
    total = weight.sum(axis=0)
    p = weight / total
    x_c = -np.logaddexp(0.0, u + log_w)
    x_e = -np.logaddexp(0.0, u)
    with np.errstate(over="ignore"):
        rate = np.exp(u + x_c)  # e^u / (1 + w e^u)
    x_z = c * rate
    inv = 1.0 / (c + (e - 1.0))
    out = np.empty((10, w.shape[0]))
    out[0] = np.log(c + (e - 1.0)) + top + np.log(total)
    means = [np.sum(p * v, axis=0) for v in (x_c, x_e, x_z)]
    centred = [v - m for v, m in zip((x_c, x_e, x_z), means, strict=True)]
    out[1] = inv + means[0]
    out[2] = inv + means[1]
    out[3] = means[2]
    for row, (i, j) in zip(
        range(4, 10), ((0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)), strict=True
    ):
        out[row] = np.sum(p * centred[i] * centred[j], axis=0)
    out[4:7] -= inv * inv
    out[7] += np.sum(p * rate, axis=0)
    out[9] += np.sum(p * rate * x_z, axis=0)
    return out


def _log_g_by_age(params: FloatArray, x: FloatArray, t: FloatArray) -> FloatArray:
    """``log 2F1(1, c; r+s+x+1; |alpha-beta| / (max(alpha, beta) + t))`` (the Pareto/NBD
    integral's hypergeometric term at age ``t``; ``c = r + x`` if alpha >= beta, else s + 1).

    It depends on a customer only through ``x`` and ``max(alpha, beta) + t``: large batches
    interpolate it per frequency in the log of that scale (:mod:`relmark.clv._tabulate`, to
    about 1e-13) instead of a ``hyp2f1`` call per customer.
    """
    r, alpha, s, beta = params
    gap, base = abs(alpha - beta), max(alpha, beta)

    def exact(key: FloatArray, scale: FloatArray, near: FloatArray) -> FloatArray:
        # near: min(alpha, beta) + t (so 1 - z = near / scale keeps its digits)
        first = alpha >= beta
        c = r + key if first else np.full_like(key, s + 1.0)
        e = np.full_like(key, s + 1.0) if first else r + key
        return _log_g(c, r + s + key + 1.0, gap / scale, near / scale, e)

    if x.shape[0] < MIN_ROWS:
        return exact(x, base + t, min(alpha, beta) + t)

    def by_scale(key: FloatArray, scale: FloatArray, _t: FloatArray) -> FloatArray:
        return exact(key, scale, scale - gap)  # exact (Sterbenz) where scale <= 2 gap

    return tabulate(by_scale, x, base + t, np.zeros(1))[:, 0]


def _log_powers(
    r: float, x: FloatArray, alpha: float, s: float, beta: float, t: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""``log`` of :math:`\alpha^r\beta^s (\alpha+t)^{-(r+x)}(\beta+t)^{-s}` as
    :math:`-r\,\mathrm{log1p}(t/\alpha) - x\ln(\alpha+t) - s\,\mathrm{log1p}(t/\beta)`,
    with its pieces :math:`-\mathrm{log1p}(t/\alpha)`, :math:`\ln(\alpha+t)` and
    :math:`-\mathrm{log1p}(t/\beta)`: :math:`r\ln\alpha - (r+x)\ln(\alpha+t)` has no
    digit left at :math:`r = 10^{15}` (both terms ~1e16 where their difference is ~10). The
    integrand's :math:`\alpha^r\beta^s (\alpha+t)^{1-(r+x)}(\beta+t)^{-(s+1)}` is this
    plus :math:`\ln(\alpha+t) - \ln(\beta+t)`."""
    log_ra = -np.log1p(t / alpha)
    log_a = np.log(alpha + t)
    log_sb = -np.log1p(t / beta)
    out: FloatArray = r * log_ra - x * log_a + s * log_sb
    return out, log_ra, log_a, log_sb


def _terms(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""``(log of the alive term, log of the bracket [alive + s * integral])``, both times
    :math:`\alpha^r\beta^s` (:func:`_log_powers`: the constant's logs cancel there)."""
    r, alpha, s, beta = params
    big_r = r + s + x
    l_alive, _, log_aT, _ = _log_powers(r, x, alpha, s, beta, T)
    e1, _, log_atx, _ = _log_powers(r, x, alpha, s, beta, tx)
    if alpha >= beta:
        e2 = l_alive
    else:
        e1 = e1 + log_atx - np.log(beta + tx)
        e2 = l_alive + log_aT - np.log(beta + T)
    l1 = e1 + _log_g_by_age(params, x, tx)
    l2 = e2 + _log_g_by_age(params, x, T)
    # log of the integral: l1 + log(1 - exp(l2 - l1)), zero when t_x = T.
    diff = np.minimum(l2 - l1, 0.0)
    # NaN only where the hypergeometric function could not be evaluated (see _special); the
    # predictions warn about it and a fit's line search steps back from it
    with np.errstate(divide="ignore", invalid="ignore"):
        log_int = l1 + np.log(-np.expm1(diff)) - np.log(big_r)
        failed = np.isnan(log_int)
        if failed.any():  # huge r with alpha >> beta: z near 1, out of the series' reach
            log_int = np.array(log_int, dtype=np.float64)
            log_int[failed] = _log_integral_by_quadrature(
                params, *(np.broadcast_to(v, log_int.shape)[failed] for v in (x, tx, T))
            )
        log_bracket = np.logaddexp(l_alive, np.log(s) + log_int)
    return l_alive, log_bracket


def _log_integral_by_quadrature(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r"""``log`` of :math:`\alpha^r\beta^s\int_{t_x}^{T} (\alpha+\tau)^{-(r+x)}
    (\beta+\tau)^{-(s+1)}d\tau` by adaptive quadrature, for the customers whose
    hypergeometric closed form failed (NaN: with r ~ 1e3 or more and alpha >> beta its
    argument is within 1e-3 of 1, where the series needs more terms than it may sum). The
    integrand is scaled by its maximum, at :math:`\tau = t_x` (it decreases), so it lies in
    (0, 1] and nothing overflows; the maximum's log is from :func:`_log_powers`."""
    r, alpha, s, beta = (float(v) for v in params)
    out = np.empty(x.shape[0])
    peaks = _log_powers(r, x, alpha, s, beta, tx)[0] - np.log(beta + tx)
    for i, (xi, lo, hi) in enumerate(zip(x.tolist(), tx.tolist(), T.tolist(), strict=True)):
        rx = r + xi

        def scaled(tau: float, rx: float = rx, lo: float = lo) -> float:
            return math.exp(
                -rx * math.log1p((tau - lo) / (alpha + lo))
                - (s + 1.0) * math.log1p((tau - lo) / (beta + lo))
            )

        value, _ = integrate.quad(scaled, lo, hi, limit=200)
        out[i] = float(peaks[i]) + math.log(value) if value > 0 else -math.inf
    return out


def log_likelihood(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood (note 008, eq. 2), in log space.

    .. math:: L = \\frac{\\Gamma(r+x)\\,\\alpha^r\\beta^s}{\\Gamma(r)} \\Bigl[
        \\frac{1}{(\\alpha+T)^{r+x}(\\beta+T)^s}
        + s \\int_{t_x}^{T} \\frac{d\\tau}{(\\alpha+\\tau)^{r+x}(\\beta+\\tau)^{s+1}} \\Bigr]

    (the integral by the positive hypergeometric series of the module's notes).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]`` (``alpha`` and ``beta`` in the model's time unit), float array
        ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\ln L` of each customer, shape ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import paretonbd
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> one = lambda v: np.array([v])
    >>> round(float(paretonbd.log_likelihood(p, one(2.0), one(30.43), one(38.86))[0]), 4)
    -9.5543
    """
    _, log_bracket = _terms(params, frequency, recency, T)
    out: FloatArray = log_rising(params[0], frequency) + log_bracket
    return out


_SERIES_MAX_Z = 0.75
"""Rows whose series argument exceeds this get a finite-difference gradient instead (the
series needs up to ~140 terms at 0.75, which still beats eight more likelihood evaluations)."""


def _series(
    c: FloatArray, d: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""``G = 2F1(1, c; d; z)`` and its derivatives in ``c``, ``d`` and ``z`` by the series
    :math:`G = \sum_k t_k`, :math:`t_{k+1} = t_k\,\frac{c+k}{d+k}\,z` (``0 <= z <= 3/4``,
    ``0 < c < d``, so every term is positive and the tail is below the last term).

    :math:`\partial_c t_k = t_k \sum_{j<k} \frac{1}{c+j}`,
    :math:`\partial_d t_k = -t_k \sum_{j<k} \frac{1}{d+j}`,
    :math:`\partial_z G = \sum_k k\,t_k / z`.
    """
    t = np.ones_like(z)
    g = np.ones_like(z)
    a_sum = np.zeros_like(z)
    b_sum = np.zeros_like(z)
    g_c = np.zeros_like(z)
    g_d = np.zeros_like(z)
    g_z = np.zeros_like(z)
    z_max = float(z.max(initial=0.0))
    ck = np.array(np.broadcast_to(c, z.shape), dtype=np.float64)  # c + k
    dk = np.array(np.broadcast_to(d, z.shape), dtype=np.float64)  # d + k
    u = np.empty_like(z)
    tmp = np.empty_like(z)
    for k in range(400):  # in place: the temporaries dominate otherwise
        np.divide(ck, dk, out=tmp)
        np.multiply(t, tmp, out=u)  # t_{k+1} / z
        np.multiply(u, k + 1, out=tmp)
        g_z += tmp
        np.reciprocal(ck, out=tmp)
        a_sum += tmp
        np.reciprocal(dk, out=tmp)
        b_sum += tmp
        np.multiply(u, z, out=t)
        g += t
        np.multiply(t, a_sum, out=tmp)
        g_c += tmp
        np.multiply(t, b_sum, out=tmp)
        g_d -= tmp
        ck += 1.0
        dk += 1.0
        if k % 4 == 3:
            # remaining terms of every sum are below the next term / (1 - z)
            bound = float(np.max(u * (k + 2) * (1.0 + a_sum + b_sum), initial=0.0)) / (1.0 - z_max)
            if bound * max(z_max, 1e-300) < 1e-17 or bound < 1e-17:
                break
    return g, g_c, g_d, g_z


_RUN_MIN = 64
"""Rows sharing ``(c, d)`` from which :func:`_series_by_run` uses the matrix form."""

_TERMS_CAP = 400
"""Most series terms: at ``z = 3/4`` about 150 reach the tolerance."""


def _coefficients(c: float, d: float, z_max: float) -> FloatArray:
    r"""The ``(K, 4)`` power-series coefficients of :math:`G`, :math:`\partial_c G`,
    :math:`\partial_d G` and :math:`\partial_z G` in :math:`z` for one ``(c, d)``, with ``K``
    the fewest terms whose remainder is below 1e-17 for every ``z <= z_max`` (the bound of
    :func:`_series`)."""
    j = np.arange(_TERMS_CAP, dtype=np.float64)
    coef = np.empty(_TERMS_CAP + 1)
    coef[0] = 1.0
    np.cumprod((c + j) / (d + j), out=coef[1:])  # (c)_k / (d)_k
    a_sum = np.concatenate([[0.0], np.cumsum(1.0 / (c + j))])
    b_sum = np.concatenate([[0.0], np.cumsum(1.0 / (d + j))])
    k = np.arange(_TERMS_CAP + 1, dtype=np.float64)
    with np.errstate(under="ignore"):
        bound = coef * z_max**k * (k + 2.0) * (1.0 + a_sum + b_sum) / (1.0 - z_max)
    below = bound < 1e-17
    n_terms = int(np.argmax(below)) if below.any() else _TERMS_CAP
    n_terms = max(n_terms, 1)
    out = np.empty((n_terms, 4))
    out[:, 0] = coef[:n_terms]
    out[:, 1] = coef[:n_terms] * a_sum[:n_terms]
    out[:, 2] = -coef[:n_terms] * b_sum[:n_terms]
    out[:, 3] = k[1 : n_terms + 1] * coef[1 : n_terms + 1]
    return out


def _series_by_run(
    c: FloatArray, d: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r""":func:`_series` for rows where runs of equal ``(c, d)`` are contiguous (rows sorted by
    frequency): each run of at least :data:`_RUN_MIN` rows is a polynomial in ``z`` with the
    same coefficients, evaluated as one matrix product of the coefficients and the powers of
    ``z`` (about five times fewer operations than the term-by-term recurrence); shorter runs go
    through :func:`_series`.
    """
    n = z.shape[0]
    out = np.empty((4, n))
    if n == 0:
        return out[0], out[1], out[2], out[3]
    edges = np.flatnonzero((d[1:] != d[:-1]) | (c[1:] != c[:-1])) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [n]])
    long = ends - starts >= _RUN_MIN
    if not long.all():
        rows = np.flatnonzero(np.repeat(~long, ends - starts))
        out[:, rows] = _series(c[rows], d[rows], z[rows])
    for lo, hi in zip(starts[long].tolist(), ends[long].tolist(), strict=True):
        coef = _coefficients(float(c[lo]), float(d[lo]), float(z[lo:hi].max()))
        for a in range(lo, hi, _POWERS_ROWS):
            b = min(a + _POWERS_ROWS, hi)
            powers = np.empty((coef.shape[0], b - a))
            powers[0] = 1.0
            for k in range(1, coef.shape[0]):  # row by row: ten times np.cumprod's speed
                np.multiply(powers[k - 1], z[a:b], out=powers[k])
            out[:, a:b] = coef.T @ powers
    return out[0], out[1], out[2], out[3]


_POWERS_ROWS = 4096
"""Rows per matrix of powers of ``z`` (at most 150 x 4096 doubles, 5 MB)."""


def _log_g_and_grad(
    c: FloatArray,
    d: FloatArray,
    z: FloatArray,
    w: FloatArray | None = None,
    e: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``log G`` for ``G = 2F1(1, c; d; z)`` and its derivatives in ``c``, ``d`` and ``z``.

    By the series (:func:`_series`) up to ``z = 3/4``; beyond, central differences of the
    exact ``log G`` (relative steps 1e-5 in ``c`` and ``d``, ``1e-5 (1 - z)`` in ``z``).
    """
    far = z > _SERIES_MAX_Z
    lg = np.empty_like(z)
    out = [np.empty_like(z) for _ in range(3)]
    near = ~far
    g, g_c, g_d, g_z = _series_by_run(c[near], d[near], z[near])
    lg[near] = np.log(g)
    for slot, deriv in zip(out, (g_c, g_d, g_z), strict=True):
        slot[near] = deriv / g
    if far.any():
        cf, df, zf = c[far], d[far], z[far]
        wf = 1.0 - zf if w is None else np.broadcast_to(w, z.shape)[far]
        ef = df - cf if e is None else np.broadcast_to(e, z.shape)[far]
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = np.log(hyp2f1(1.0, cf, df, zf))
        # large c (the r + x of a near-Poisson purchase process) or no value from hyp2f1:
        # the quadrature's moments (_log_g_moments); otherwise central differences
        exact = (cf >= _MOMENTS_FROM_C) | ~np.isfinite(plain)
        diff = ~exact
        if exact.any():
            moments = _log_g_moments(cf[exact], ef[exact], wf[exact])
            rows = np.flatnonzero(far)[exact]
            lg[rows] = moments[0]
            out[0][rows] = moments[1] - moments[2]  # d/dc at fixed d
            out[1][rows] = moments[2]
            out[2][rows] = moments[3]
        if diff.any():
            cd, dd, zd = cf[diff], df[diff], zf[diff]
            rows = np.flatnonzero(far)[diff]
            lg[rows] = plain[diff]
            hc, hd, hz = 1e-5 * cd, 1e-5 * dd, 1e-5 * (1.0 - zd)
            out[0][rows] = (_log_g(cd + hc, dd, zd) - _log_g(cd - hc, dd, zd)) / (2.0 * hc)
            out[1][rows] = (_log_g(cd, dd + hd, zd) - _log_g(cd, dd - hd, zd)) / (2.0 * hd)
            out[2][rows] = (_log_g(cd, dd, zd + hz) - _log_g(cd, dd, zd - hz)) / (2.0 * hz)
    return lg, out[0], out[1], out[2]


_MOMENTS_FROM_C = 100.0
"""From this ``c`` the gradient's rows beyond :data:`_SERIES_MAX_Z` take the quadrature's
moments (about 0.5 ms a row) instead of central differences, whose relative step in ``c`` is
then a large absolute one."""


def _pair_table(params: FloatArray, x: FloatArray, tau: FloatArray) -> FloatArray:
    r"""Everything a customer's likelihood needs from one pair :math:`(x, \tau)`, with its
    gradient in ``[r, alpha, s, beta]``: an ``(n, 10)`` array whose columns 0-4 are

    .. math:: \ell_\tau = c_x + \ln s - \ln(r+s+x) + e_\tau + \ln G(z_\tau)

    and its gradient (the hypergeometric term of the integral, from :math:`\tau = t_x` or
    :math:`T`), and columns 5-9 are :math:`a_\tau = c_x - (r+x)\ln(\alpha+\tau) -
    s\ln(\beta+\tau)` and its gradient (the alive term, used at :math:`\tau = T`), with
    :math:`c_x = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + s\ln\beta`. Then
    :math:`\ln L = \operatorname{logaddexp}(a_T, \ell_{t_x} + \ln(1 - e^{\ell_T - \ell_{t_x}}))`.
    """
    r, alpha, s, beta = (float(v) for v in params)
    rx = r + x
    big_r = r + s + x
    a_tau, b_tau = alpha + tau, beta + tau
    # r ln alpha + s ln beta taken inside (_log_powers), and their derivatives with the
    # tau-terms' as log1p and quotients: ln alpha - ln(alpha + tau) and r / alpha - (r + x) /
    # (alpha + tau) have no digit left at r ~ 1e15
    alive, l_ra, log_a, l_sb = _log_powers(r, x, alpha, s, beta, tau)
    d_alpha = (r * tau / alpha - x) / a_tau  # r / alpha - (r + x) / (alpha + tau)
    d_beta = s * tau / (beta * b_tau)  # s / beta - s / (beta + tau)
    first = alpha >= beta
    if first:  # G = 2F1(1, r + x; r + s + x + 1; (alpha - beta) / (alpha + tau))
        lg, lg_c, lg_d, lg_z = _log_g_and_grad(
            rx, big_r + 1.0, (alpha - beta) / a_tau, b_tau / a_tau, np.full_like(x, s + 1.0)
        )
        e = alive + lg
        de = (
            l_ra + lg_c + lg_d,
            d_alpha + lg_z * b_tau / a_tau**2,
            l_sb + lg_d,
            d_beta - lg_z / a_tau,
        )
    else:  # G = 2F1(1, s + 1; r + s + x + 1; (beta - alpha) / (beta + tau))
        lg, lg_c, lg_d, lg_z = _log_g_and_grad(
            np.full_like(x, s + 1.0), big_r + 1.0, (beta - alpha) / b_tau, a_tau / b_tau, rx
        )
        e = alive + log_a - np.log(b_tau) + lg
        de = (
            l_ra + lg_d,
            d_alpha + 1.0 / a_tau - lg_z / b_tau,
            l_sb + lg_c + lg_d,
            d_beta - 1.0 / b_tau + lg_z * a_tau / b_tau**2,
        )
    # terms of x alone, once per run of equal x (the pairs come sorted by x)
    starts = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
    lengths = np.diff(np.append(starts, x.shape[0]))
    x_run = x[starts]
    own_run = log_rising(r, x_run)
    psi_run = digamma_rising(r, x_run)
    inv_r_run = 1.0 / (r + s + x_run)
    own = np.repeat(own_run, lengths)
    psi = np.repeat(psi_run, lengths)
    out = np.empty((x.shape[0], 10))
    out[:, 0] = e + np.repeat(own_run + np.log(s) - np.log(r + s + x_run), lengths)
    out[:, 1] = de[0] + np.repeat(psi_run - inv_r_run, lengths)
    out[:, 2] = de[1]
    out[:, 3] = de[2] + np.repeat(1.0 / s - inv_r_run, lengths)
    out[:, 4] = de[3]
    out[:, 5] = own + alive
    out[:, 6] = psi + l_ra
    out[:, 7] = d_alpha
    out[:, 8] = l_sb
    out[:, 9] = d_beta
    return out


def _pair_rows(
    params: FloatArray,
    table: FloatArray,
    i_tx: npt.NDArray[np.intp],
    i_T: npt.NDArray[np.intp],
) -> tuple[FloatArray, FloatArray]:
    r"""Per-customer log-likelihood and gradient from the rows of :func:`_pair_table` of the
    customer's pairs :math:`(x, t_x)` and :math:`(x, T)`.

    With :math:`q = e^{\ell_T - \ell_{t_x}}` and :math:`D = \ell_{t_x} + \ln(1-q)` (the
    log of :math:`s` times the integral, :math:`-\infty` when :math:`t_x = T`),
    :math:`\ln L = \operatorname{logaddexp}(a_T, D)` and
    :math:`\nabla \ln L = P\,\nabla a_T + (1-P)\,\frac{\nabla\ell_{t_x} -
    q\,\nabla\ell_T}{1-q}`, :math:`P` the posterior probability of being alive.
    """
    one = np.take(table, i_tx, axis=0)
    two = np.take(table, i_T, axis=0)
    diff = np.minimum(two[:, 0] - one[:, 0], 0.0)  # log q
    one_minus_q = -np.expm1(diff)
    with np.errstate(divide="ignore"):
        dead = one[:, 0] + np.log(one_minus_q)
    ll = np.logaddexp(two[:, 5], dead)
    # NaN only where the hypergeometric function could not be evaluated (see _special)
    p_live = np.exp(two[:, 5] - ll)
    w_dead = np.exp(dead - ll) / np.where(one_minus_q > 0, one_minus_q, 1.0)  # 0 when t_x = T
    grad = p_live[:, None] * two[:, 6:10]
    grad += w_dead[:, None] * (one[:, 1:5] - np.exp(diff)[:, None] * two[:, 1:5])
    return ll, grad


_PAIRS_UPPER = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
"""The ten distinct entries of a symmetric 4x4 Hessian in ``[r, alpha, s, beta]``, in the
order of the flat sums of :func:`_pair_rows_hessian`."""


_HESS_SERIES_MAX_Z = 0.995
"""Up to this argument the Hessian pass sums the series (at most :data:`_HESS_TERMS_CAP`
terms); beyond it, central differences of the exact ``log G``."""

_HESS_TERMS_CAP = 12_000
"""Most series terms of the Hessian pass (about 9,000 reach the tolerance at ``z = 0.995``)."""


def _coefficients2(c: float, d: float, z_max: float) -> FloatArray:
    r"""The ``(K, 10)`` power-series coefficients in :math:`z` of :math:`G = {}_2F_1(1, c; d;
    z)` and of its first and second derivatives in ``c``, ``d`` and ``z``: columns
    :math:`G, G_c, G_d, G_z, G_{cc}, G_{cd}, G_{dd}, G_{cz}, G_{dz}, G_{zz}`.

    With :math:`t_k = \frac{(c)_k}{(d)_k} z^k`, :math:`A_k = \sum_{j<k} \frac{1}{c+j}`,
    :math:`B_k = \sum_{j<k} \frac{1}{d+j}` and :math:`A^{(2)}_k, B^{(2)}_k` the sums of the
    squares: :math:`\partial_c t_k = A_k t_k`, :math:`\partial_d t_k = -B_k t_k`,
    :math:`\partial_c^2 t_k = (A_k^2 - A^{(2)}_k) t_k`,
    :math:`\partial_c\partial_d t_k = -A_k B_k t_k`,
    :math:`\partial_d^2 t_k = (B_k^2 + B^{(2)}_k) t_k`, and each :math:`\partial_z` multiplies
    the coefficient of :math:`z^k` by :math:`k` and lowers the power. ``K`` is the fewest terms
    whose remainder bound (that of :func:`_coefficients`, times the further factors
    :math:`(k+2)(1 + A_k + B_k)` of the second derivatives) is below 1e-17 for every
    ``z <= z_max``.
    """
    full = (_TERMS_CAP if z_max <= _SERIES_MAX_Z else _HESS_TERMS_CAP) + 2
    # a short series first (every z below ~0.4 needs fewer than 62 terms), the long one if not
    for cap in (min(64, full), full):
        j = np.arange(cap, dtype=np.float64)
        coef = np.empty(cap + 1)
        coef[0] = 1.0
        np.cumprod((c + j) / (d + j), out=coef[1:])
        inv_c, inv_d = 1.0 / (c + j), 1.0 / (d + j)
        a1 = np.concatenate([[0.0], np.cumsum(inv_c)])
        b1 = np.concatenate([[0.0], np.cumsum(inv_d)])
        k = np.arange(cap + 1, dtype=np.float64)
        with np.errstate(under="ignore"):
            grow = (k + 2.0) ** 2 * (1.0 + a1 + b1) ** 2
            bound = coef * z_max**k * grow / (1.0 - z_max)
        below = bound[: cap - 2] < 1e-17
        if below.any():
            break
    n_terms = max(int(np.argmax(below)) if below.any() else cap - 2, 1)
    a2 = np.concatenate([[0.0], np.cumsum(inv_c * inv_c)])
    b2 = np.concatenate([[0.0], np.cumsum(inv_d * inv_d)])
    m = slice(0, n_terms)
    up1 = slice(1, n_terms + 1)
    up2 = slice(2, n_terms + 2)
    out = np.empty((n_terms, 10))
    out[:, 0] = coef[m]
    out[:, 1] = coef[m] * a1[m]
    out[:, 2] = -coef[m] * b1[m]
    out[:, 3] = k[up1] * coef[up1]
    out[:, 4] = coef[m] * (a1[m] * a1[m] - a2[m])
    out[:, 5] = -coef[m] * a1[m] * b1[m]
    out[:, 6] = coef[m] * (b1[m] * b1[m] + b2[m])
    out[:, 7] = k[up1] * coef[up1] * a1[up1]
    out[:, 8] = -k[up1] * coef[up1] * b1[up1]
    out[:, 9] = k[up2] * k[1 : n_terms + 1] * coef[up2]
    return out


def _powers(z: FloatArray, k: int) -> FloatArray:
    """The ``(k, n)`` powers ``z**0 .. z**(k-1)``, row by row (ten times np.cumprod's speed)."""
    out = np.empty((k, z.shape[0]))
    out[0] = 1.0
    for j in range(1, k):
        np.multiply(out[j - 1], z, out=out[j])
    return out


_SHORT_TERMS = 62
"""Terms of the short series of :func:`_coefficients2_runs` (every z below ~0.4 needs fewer)."""


def _coefficients2_runs(
    c: FloatArray, d: FloatArray, z_max: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """:func:`_coefficients2` for many runs ``(c, d, z_max)`` at once, up to
    :data:`_SHORT_TERMS` terms: the ``(runs, _SHORT_TERMS, 10)`` coefficients and each run's
    number of terms (0 for the runs that need more, which :func:`_coefficients2` gives)."""
    cap = _SHORT_TERMS + 2
    j = np.arange(cap, dtype=np.float64)
    cj, dj = c[:, None] + j, d[:, None] + j
    runs = c.shape[0]
    coef = np.ones((runs, cap + 1))
    np.cumprod(cj / dj, axis=1, out=coef[:, 1:])
    inv_c, inv_d = 1.0 / cj, 1.0 / dj
    a1, b1, a2, b2 = (np.zeros((runs, cap + 1)) for _ in range(4))
    np.cumsum(inv_c, axis=1, out=a1[:, 1:])
    np.cumsum(inv_d, axis=1, out=b1[:, 1:])
    np.cumsum(inv_c * inv_c, axis=1, out=a2[:, 1:])
    np.cumsum(inv_d * inv_d, axis=1, out=b2[:, 1:])
    k = np.arange(cap + 1, dtype=np.float64)
    zm = z_max[:, None]
    with np.errstate(under="ignore"):
        grow = (k + 2.0) ** 2 * (1.0 + a1 + b1) ** 2
        bound = coef * zm**k * grow / (1.0 - zm)
    below = bound[:, : cap - 2] < 1e-17
    n_terms = np.where(below.any(axis=1), np.maximum(np.argmax(below, axis=1), 1), 0)
    m, up1, up2 = slice(0, cap - 2), slice(1, cap - 1), slice(2, cap)
    out = np.empty((runs, cap - 2, 10))
    out[:, :, 0] = coef[:, m]
    out[:, :, 1] = coef[:, m] * a1[:, m]
    out[:, :, 2] = -coef[:, m] * b1[:, m]
    out[:, :, 3] = k[up1] * coef[:, up1]
    out[:, :, 4] = coef[:, m] * (a1[:, m] * a1[:, m] - a2[:, m])
    out[:, :, 5] = -coef[:, m] * a1[:, m] * b1[:, m]
    out[:, :, 6] = coef[:, m] * (b1[:, m] * b1[:, m] + b2[:, m])
    out[:, :, 7] = k[up1] * coef[:, up1] * a1[:, up1]
    out[:, :, 8] = -k[up1] * coef[:, up1] * b1[:, up1]
    out[:, :, 9] = k[up2] * k[up1] * coef[:, up2]
    return out, n_terms.astype(np.intp)


def _log_g_hess(
    c: FloatArray, d: FloatArray, z: FloatArray, w: FloatArray, e: FloatArray
) -> FloatArray:
    r"""``log G`` for :math:`G = {}_2F_1(1, c; d; z)` and its first and second derivatives in
    the coordinates ``(c, e, z)``, :math:`e = d - c` (:math:`\partial_c` at fixed :math:`e`
    is :math:`\partial_c + \partial_d`, :math:`\partial_e = \partial_d`: each of
    :math:`r` and :math:`s` moves one of them): shape ``(10, n)``, rows :math:`L, L_c, L_e,
    L_z, L_{cc}, L_{ce}, L_{ee}, L_{cz}, L_{ez}, L_{zz}`, from :math:`L_i = G_i/G`,
    :math:`L_{ij} = G_{ij}/G - L_i L_j` in ``(c, d, z)``.

    Rows must come sorted so that equal ``(c, d)`` are contiguous; each run is a polynomial in
    ``z`` (:func:`_coefficients2`) evaluated as one matrix product, up to ``z = 0.995`` (very
    unequal alpha and beta need the long series of :data:`_HESS_TERMS_CAP` terms); beyond,
    the quadrature's moments (:func:`_log_g_moments`; central differences of ``log G``, as
    before, lost every digit of :math:`L_{cc}` at :math:`c \sim 10^4`, a near-Poisson
    purchase process).
    """
    n = z.shape[0]
    raw = np.empty((10, n))
    far = z > _HESS_SERIES_MAX_Z
    near_rows = np.flatnonzero(~far)
    if near_rows.shape[0]:
        cn, dn, zn = c[near_rows], d[near_rows], z[near_rows]
        edges = np.flatnonzero((dn[1:] != dn[:-1]) | (cn[1:] != cn[:-1])) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [near_rows.shape[0]]])
        vals = np.empty((10, near_rows.shape[0]))
        # the short series of every run at once; runs that need more terms one by one
        coefs, n_terms = _coefficients2_runs(
            cn[starts], dn[starts], np.maximum.reduceat(zn, starts)
        )
        run_lo, run_hi, run_k = starts.tolist(), ends.tolist(), n_terms.tolist()
        for lo, hi, k_run in zip(run_lo, run_hi, run_k, strict=True):
            if k_run:
                continue
            coef = _coefficients2(float(cn[lo]), float(dn[lo]), float(zn[lo:hi].max()))
            chunk = max(64, min(_POWERS_ROWS, 2**19 // coef.shape[0]))  # at most 4 MB
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                vals[:, a:b] = coef.T @ _powers(zn[a:b], coef.shape[0])
        first_run = 0
        for a in range(0, near_rows.shape[0], _POWERS_ROWS):
            b = min(a + _POWERS_ROWS, near_rows.shape[0])
            while run_hi[first_run] <= a:
                first_run += 1
            last_run = first_run
            while last_run + 1 < len(run_lo) and run_lo[last_run + 1] < b:
                last_run += 1
            k_chunk = max(run_k[first_run : last_run + 1])
            if not k_chunk:
                continue
            powers = _powers(zn[a:b], k_chunk)
            for i in range(first_run, last_run + 1):
                k_run = run_k[i]
                if k_run:
                    lo, hi = max(run_lo[i], a), min(run_hi[i], b)
                    vals[:, lo:hi] = coefs[i, :k_run].T @ powers[:k_run, lo - a : hi - a]
        raw[:, near_rows] = vals
    out = np.empty((10, n))
    raw[:, far] = 1.0  # overwritten below
    g = raw[0]
    out[0] = np.log(g)
    first = raw[1:4] / g
    out[1:4] = first
    for col, (i, j) in zip(
        range(4, 10), ((0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)), strict=True
    ):
        out[col] = raw[col] / g - first[i] * first[j]
    # to the coordinates (c, e = d - c, z): d/dc at fixed e is d/dc + d/dd
    out[1] += out[2]
    out[4] += 2.0 * out[5] + out[6]
    out[5] += out[6]
    out[7] += out[8]
    if far.any():
        out[:, far] = _log_g_moments(c[far], e[far], w[far])
    return out


def _sym(flat: FloatArray) -> FloatArray:
    """The ``(4, 4)`` symmetric matrix of the ten entries of :data:`_PAIRS_UPPER`."""
    out = np.empty((4, 4))
    for v, (i, j) in zip(flat.tolist(), _PAIRS_UPPER, strict=True):
        out[i, j] = out[j, i] = v
    return out


def _upper(entries: dict[tuple[int, int], float]) -> FloatArray:
    """The ten entries of :data:`_PAIRS_UPPER` from a dict (missing entries are 0)."""
    return np.array([entries.get(ij, 0.0) for ij in _PAIRS_UPPER])


def _m_hessian_sum(
    params: FloatArray, x: FloatArray, tau: FloatArray, omega: FloatArray
) -> FloatArray:
    r""":math:`\sum_i \omega_i \nabla^2 m(x_i, \tau_i)` in ``[r, alpha, s, beta]`` (the ten
    entries of :data:`_PAIRS_UPPER`), where :math:`m_\tau = e_\tau + \ln G(c, d, z_\tau)` is
    the part of the integral's term :math:`\ell_\tau` of :func:`_pair_table` that depends on
    :math:`\tau`.

    For :math:`\alpha \ge \beta`, :math:`e_\tau = -(r+x)\ln A - s\ln B` with
    :math:`A = \alpha+\tau`, :math:`B = \beta+\tau`, and :math:`c = r+x`, :math:`d = r+s+x+1`,
    :math:`z = (\alpha-\beta)/A`, so
    :math:`\nabla^2 \ln G = \sum_{u,v \in \{c,d,z\}} L_{uv}\nabla u\,\nabla v^\top
    + L_z \nabla^2 z` with :math:`\nabla z = (0, B/A^2, 0, -1/A)`,
    :math:`\partial^2_{\alpha\alpha} z = -2B/A^3`, :math:`\partial^2_{\alpha\beta} z = 1/A^2`
    (for :math:`\alpha < \beta` the roles of the two scales swap: :math:`c = s+1`,
    :math:`z = (\beta-\alpha)/B`, and the powers of :math:`A` and :math:`B` are
    :math:`1-r-x` and :math:`s+1`). The derivatives :math:`L_{uv}` of :math:`\ln G` come from
    :func:`_log_g_hess` on the rows sorted by frequency (its runs of equal ``(c, d)``). The
    caller sums the weights of repeated pairs (every customer without repeat purchases has the
    pair :math:`(0, 0)`).
    """
    r, alpha, s, beta = (float(v) for v in params)
    if x.shape[0] == 0:
        return np.zeros(10)
    top = float(x.max())
    order = np.argsort(x.astype(np.int16 if top < 2**15 else np.int64), kind="stable")
    xs, ts, ws = x[order], tau[order], omega[order]
    a_tau, b_tau = alpha + ts, beta + ts
    inv_a, inv_b = 1.0 / a_tau, 1.0 / b_tau
    rx = r + xs
    d = r + s + xs + 1.0
    if alpha >= beta:
        lgh = _log_g_hess(rx, d, (alpha - beta) * inv_a, b_tau * inv_a, np.full_like(xs, s + 1.0))
        ci, oi = 0, 2
        z_a, z_b = b_tau * inv_a * inv_a, -inv_a
        z2 = {(1, 1): -2.0 * b_tau * inv_a * inv_a * inv_a, (1, 3): inv_a * inv_a}
        pow_a, pow_b = rx, np.full_like(xs, s)
    else:
        lgh = _log_g_hess(np.full_like(xs, s + 1.0), d, (beta - alpha) * inv_b, a_tau * inv_b, rx)
        ci, oi = 2, 0
        z_a, z_b = -inv_b, a_tau * inv_b * inv_b
        z2 = {(3, 3): -2.0 * a_tau * inv_b * inv_b * inv_b, (1, 3): inv_b * inv_b}
        pow_a, pow_b = rx - 1.0, np.full_like(xs, s + 1.0)
    # derivatives in (c, e = d - c, z): the parameter of c moves c at fixed e, the other e
    l_z, l_cc, l_ce, l_ee, l_cz, l_ez, l_zz = lgh[3], *lgh[4:10]
    w_a, w_b = ws * z_a, ws * z_b
    entries: dict[tuple[int, int], float] = {
        (ci, ci): float(ws @ l_cc),
        (oi, oi): float(ws @ l_ee),
        (0, 2): float(ws @ l_ce),
        (min(ci, 1), max(ci, 1)): float(w_a @ l_cz),
        (ci, 3): float(w_b @ l_cz),
        (min(oi, 1), max(oi, 1)): float(w_a @ l_ez),
        (oi, 3): float(w_b @ l_ez),
        (1, 1): float(w_a @ (l_zz * z_a)),
        (1, 3): float(w_a @ (l_zz * z_b)),
        (3, 3): float(w_b @ (l_zz * z_b)),
    }
    for ij, second in z2.items():
        entries[ij] += float((ws * l_z) @ second)
    # the powers: -(r+x) ln A - s ln B (or (1-r-x) ln A - (s+1) ln B)
    entries[(0, 1)] -= float(ws @ inv_a)
    entries[(1, 1)] += float((ws * pow_a) @ (inv_a * inv_a))
    entries[(2, 3)] -= float(ws @ inv_b)
    entries[(3, 3)] += float((ws * pow_b) @ (inv_b * inv_b))
    return _upper(entries)


def _trigamma_sum(r: float, x: FloatArray, w: FloatArray) -> float:
    r""":math:`\sum_i w_i\,[\psi'(r+x_i) - \psi'(r)]`, with :math:`\psi'` computed once per
    distinct frequency (whole numbers: counted by ``bincount``)."""
    top = float(x.max(initial=0.0))
    if top < 4 * x.shape[0] + 1024:
        per_x = np.bincount(x.astype(np.intp), weights=w)
        seen = np.flatnonzero(per_x)
        values, counts = seen.astype(np.float64), per_x[seen]
    else:
        values, inverse = np.unique(x, return_inverse=True)
        counts = np.bincount(inverse, weights=w)
    tri = trigamma_rising(r, values)
    return float(counts @ tri)


def _pair_rows_hessian(
    params: FloatArray,
    table: FloatArray,
    weights: FloatArray,
    i_tx: npt.NDArray[np.intp],
    i_T: npt.NDArray[np.intp],
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-likelihood, its gradient and its Hessian from the rows of
    :func:`_pair_table` of each customer's pairs and the customers' own data.

    Write :math:`\ln L = c_x + \operatorname{logaddexp}(\alpha_T, k_x + D)` with
    :math:`c_x = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + s\ln\beta`,
    :math:`\alpha_T = -(r+x)\ln(\alpha+T) - s\ln(\beta+T)`, :math:`k_x = \ln s - \ln(r+s+x)`,
    :math:`D = m_{t_x} + \ln(1-q)`, :math:`q = e^{\delta}`, :math:`\delta = m_T - m_{t_x}`
    (:math:`m_\tau` of :func:`_m_hessian_sum`), and :math:`P` the probability of being alive.
    Then

    .. math::
        \nabla^2 \ln L = \nabla^2 c_x + P\,\nabla^2 \alpha_T + (1-P)\,(\nabla^2 k_x
            + \nabla^2 D) + P(1-P)\,(\nabla a_T - \nabla \ell)(\nabla a_T - \nabla \ell)^\top,
        \qquad \nabla^2 D = \frac{\nabla^2 m_{t_x} - q\,\nabla^2 m_T}{1-q}
            - \frac{q}{(1-q)^2}\nabla\delta\,\nabla\delta^\top,

    (:math:`a_T = c_x + \alpha_T` and :math:`\ell = c_x + k_x + D`, whose gradients the
    table holds). The second derivatives enter linearly, so only their weighted sums are
    formed: :math:`\nabla^2 c_x` and :math:`\nabla^2 k_x` in closed form per frequency, and
    :math:`\sum (1-P)/(1-q)\,(\nabla^2 m_{t_x} - q\nabla^2 m_T)` from the series of
    :func:`_log_g_hess` at each customer's two pairs (:func:`_m_hessian_sum`); no table of
    second derivatives is built. :math:`(1-P)/(1-q) = e^{\ell_{t_x} - \ln L}` keeps customers
    with :math:`t_x` near :math:`T` exact (those with :math:`t_x = T` have :math:`1 - P = 0`).

    On data with few distinct pairs (whole days: fewer than the block's customers) the
    weights of each pair are summed first (``bincount``) and each pair's series is summed
    once.
    """
    r, alpha, s, beta = (float(v) for v in params)
    one = np.take(table, i_tx, axis=0)
    two = np.take(table, i_T, axis=0)
    diff = np.minimum(two[:, 0] - one[:, 0], 0.0)
    one_minus_q = -np.expm1(diff)
    with np.errstate(divide="ignore"):
        dead = one[:, 0] + np.log(one_minus_q)
    ll = np.logaddexp(two[:, 5], dead)
    p_live = np.exp(two[:, 5] - ll)
    some = one_minus_q > 0
    w_dead = np.where(some, np.exp(one[:, 0] - ll), 0.0)  # (1 - P) / (1 - q)
    q = np.exp(diff)
    p_dead = w_dead * one_minus_q
    d_delta = two[:, 1:5] - one[:, 1:5]
    ratio = np.where(some, q / np.where(some, one_minus_q, 1.0), 0.0)
    grad_d = one[:, 1:5] - ratio[:, None] * d_delta
    grad_d[~some] = 0.0
    grad = p_live[:, None] * two[:, 6:10] + p_dead[:, None] * grad_d
    w = weights
    value = float(w @ ll)
    g = w @ grad
    # the outer products
    hess = -(d_delta * (w * w_dead * ratio)[:, None]).T @ d_delta
    spread = two[:, 6:10] - grad_d
    hess += (spread * (w * p_live * p_dead)[:, None]).T @ spread
    # the second derivatives, which enter linearly: c_x (weight 1), k_x (1 - P), alpha_T (P)
    w_sum = float(w.sum())
    w_live, w_gone = w * p_live, w * p_dead
    inv_r2 = 1.0 / (r + s + frequency) ** 2
    gone_r2 = float(w_gone @ inv_r2)
    a_T, b_T = alpha + T, beta + T
    inv_a, inv_b = 1.0 / a_T, 1.0 / b_T
    flat = _upper(
        {
            (0, 0): _trigamma_sum(r, frequency, w) + gone_r2,
            (0, 1): w_sum / alpha - float(w_live @ inv_a),
            (0, 2): gone_r2,
            (1, 1): -r * w_sum / alpha**2 + float((w_live * (r + frequency)) @ (inv_a * inv_a)),
            (2, 2): gone_r2 - float(w_gone.sum()) / s**2,
            (2, 3): w_sum / beta - float(w_live @ inv_b),
            (3, 3): -s * w_sum / beta**2 + s * float(w_live @ (inv_b * inv_b)),
        }
    )
    # the tau-dependent part of the integral's terms at t_x (weight (1-P)/(1-q)) and T
    omega_tx = w * w_dead
    omega_T = -omega_tx * q
    if table.shape[0] <= i_tx.shape[0]:
        # few distinct pairs: sum the weights of each, then one series per pair
        n_keys = table.shape[0]
        omega = np.asarray(np.bincount(i_tx, omega_tx, n_keys), dtype=np.float64)
        omega += np.bincount(i_T, omega_T, n_keys)
        x_k, tau_k = np.zeros(n_keys), np.zeros(n_keys)
        x_k[i_tx], tau_k[i_tx] = frequency, recency
        x_k[i_T], tau_k[i_T] = frequency, T
        used = omega != 0.0
        flat += _m_hessian_sum(params, x_k[used], tau_k[used], omega[used])
    else:
        # every pair once, but (0, 0): the pair at t_x of all customers without repeat
        # purchases, summed into one row
        repeat = frequency > 0
        kept = omega_tx[repeat]
        flat += _m_hessian_sum(
            params,
            np.concatenate([[0.0], frequency[repeat], frequency]),
            np.concatenate([[0.0], recency[repeat], T]),
            np.concatenate([[float(omega_tx.sum()) - float(kept.sum())], kept, omega_T]),
        )
    hess += _sym(flat)
    return value, g, 0.5 * (hess + hess.T)


def _pair_rows_raw(
    params: FloatArray,
    table: FloatArray,
    i_tx: npt.NDArray[np.intp],
    i_T: npt.NDArray[np.intp],
    *_data: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """:func:`_pair_rows` on the rows of :func:`_prepare` (the customers' own columns, there
    for the Hessian, are not read)."""
    return _pair_rows(params, table, i_tx, i_T)


def _prepare(
    frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> tuple[
    tuple[FloatArray, FloatArray],
    tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray],
]:
    """The pairs of :func:`_pairs`, and per customer its two indices into them and its own
    ``frequency, recency, T`` (which :func:`_pair_rows_hessian` reads)."""
    keys, (i_tx, i_T) = _pairs(frequency, recency, T)
    return keys, (i_tx, i_T, frequency, recency, T)


def log_likelihood_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-likelihood, its gradient and its analytic Hessian in
    ``[r, alpha, s, beta]``, in one pass.

    The second derivatives of :math:`\ln G` in its parameters and argument come from the same
    positive series as :math:`G` (:func:`_coefficients2`; beyond :math:`z = 0.995` central
    differences of :math:`\ln G`), their chain rule through each pair's terms
    :func:`_m_hessian_sum`, and their combination per customer :func:`_pair_rows_hessian`.
    Tested against mpmath second derivatives of a 30-digit quadrature of the likelihood.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    weights
        Customers each row stands for, float array ``(n,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    tuple
        The weighted sum of the log-likelihood (float), of its gradient (``(4,)``) and of its
        Hessian (``(4, 4)``).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import paretonbd
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> one = lambda v: np.array([v])
    >>> value, grad, hess = paretonbd.log_likelihood_grad_hess(
    ...     p, one(1.0), one(2.0), one(30.43), one(38.86))
    >>> round(value, 4), hess.shape
    (-9.5543, (4, 4))
    """
    (x_k, tau_k), (i_tx, i_T) = _pairs(frequency, recency, T)
    p = np.asarray(params, dtype=np.float64)
    table = _pair_table(p, x_k, tau_k)
    return _pair_rows_hessian(p, table, weights, i_tx, i_T, frequency, recency, T)


def log_likelihood_and_grad(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Per-customer log-likelihood and its analytic gradient in ``[r, alpha, s, beta]``.

    Each customer's two hypergeometric terms (at :math:`t_x` and at :math:`T`) and the alive
    term are computed with their gradients by :func:`_pair_table` (the derivatives of
    :math:`\ln G` in its parameters and argument come from the same positive series as
    :math:`G`; beyond :math:`z = 3/4` from central differences of :math:`\ln G`), and combined
    by :func:`_pair_rows`. A fit computes the table once per distinct pair instead (see
    :data:`SHARED`).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]`` (``alpha`` and ``beta`` in the model's time unit), float array
        ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    tuple of numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``, and its gradient in
        ``[r, alpha, s, beta]``, shape ``(n, 4)``.
    """
    n = frequency.shape[0]
    table = _pair_table(
        np.asarray(params, dtype=np.float64),
        np.concatenate([frequency, frequency]),
        np.concatenate([recency, T]),
    )
    return _pair_rows(params, table, np.arange(n), np.arange(n, 2 * n))


def _pairs(
    frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> tuple[tuple[FloatArray, FloatArray], tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    r"""The pairs :math:`(x, t_x)` and :math:`(x, T)` of a data set, sorted by :math:`x` (so
    that :func:`_series_by_run` sees long runs), with each row's index into them.

    Identical pairs are computed once: on whole-day data all of them (a million customers hold
    a few thousand pairs), found by one pass over a dense table of the integer keys; on
    continuous times the pairs of customers without repeat purchases, :math:`(0, 0)`, and any
    identical pairs the sort puts side by side.
    """
    n = frequency.shape[0]
    x2, tau2 = np.concatenate([frequency, frequency]), np.concatenate([recency, T])
    index = np.empty(2 * n, dtype=np.intp)
    head = tau2[n : n + 256]  # ages: on continuous times these settle it without a pass
    whole = bool(np.array_equal(np.floor(head), head))
    integer = integer_key((x2, tau2)) if whole else None
    if integer is not None and math.prod(integer[1]) <= 16 * n + 1024:
        # integer times: mark the keys present in a dense table, number them in order
        key, bases = integer
        present = np.zeros(math.prod(bases), dtype=np.bool_)
        present[key] = True
        index[:] = (np.cumsum(present) - 1)[key]
        x_k, tau_k = decode_key(np.flatnonzero(present), bases)
        return (x_k, tau_k), (index[:n], index[n:])
    x_max = float(x2.max(initial=0.0))
    code = 2.0 * x2 + (tau2 != 0)  # by frequency; within it the pairs at 0 first
    order = np.argsort(code.astype(np.int16 if x_max < 16_000 else np.int64), kind="stable")
    xs, ts = x2[order], tau2[order]
    new = np.ones(2 * n, dtype=np.bool_)
    new[1:] = (xs[1:] != xs[:-1]) | (ts[1:] != ts[:-1])
    index[order] = np.cumsum(new) - 1
    return (xs[new], ts[new]), (index[:n], index[n:])


SHARED = SharedTerms(_prepare, _pair_table, _pair_rows_raw, _pair_rows_hessian)
"""Pareto/NBD's fitting path: the pair terms computed once per distinct pair, and the analytic
Hessian from the same table (:func:`_pair_rows_hessian`: about two evaluations' work, so a
large fit finishes in two full-data passes)."""


TIME_SCALE_LIMITS = (1e-100, 1e100)
"""The typical ages (time units) a fit accepts: the fitted scales ``alpha`` and ``beta`` are of
the data's time scale, and beyond about 1e150 (or below 1e-150) their squares, on which the
gradient and Hessian rest, overflow or underflow double precision."""


def _log_typical_age(T: FloatArray, weights: FloatArray | None) -> float:
    """The weighted mean of the log of the positive ages (0 when there are none), on every
    k-th row of large data (at most ~40,000 rows: it sets a scale)."""
    every = max(T.shape[0] // 20_000, 1)
    t_s = T[::every]
    w_s = np.ones(t_s.shape[0]) if weights is None else weights[::every]
    aged = t_s > 0
    if not aged.any():
        return 0.0
    return float(w_s[aged] @ np.log(t_s[aged])) / float(w_s[aged].sum())


def _check_time_scale(
    T: FloatArray,
    weights: FloatArray | None,
    *,
    model: str = "Pareto/NBD",
    scaling: str = "alpha and beta scale with it, r and s do not",
) -> None:
    r"""Refuse to fit data whose typical age (the geometric mean of the positive ages,
    :func:`_log_typical_age`) lies outside :data:`TIME_SCALE_LIMITS`: DataError naming
    ``T``. A fit is equivariant in the time unit (:math:`\alpha` and :math:`\beta` scale
    with it, :math:`r` and :math:`s` do not), so such data are fitted exactly in a time unit
    that brings their ages near 1; single ages of any size among ordinary ones are fitted as
    they are. ``model`` names the model and ``scaling`` says how its parameters follow the time unit
    in the message (the GGompertz/NBD refuses the same
    ages: its boundary reference is a Pareto/NBD fit)."""
    log_typical = _log_typical_age(T, weights)
    lo, hi = TIME_SCALE_LIMITS
    if not math.log(lo) <= log_typical <= math.log(hi):
        raise DataError(
            f"the typical age (geometric mean) is 1e{log_typical / math.log(10):.0f} time "
            f"units, outside the {lo:g} to {hi:g} a {model} fit computes accurately: "
            f"express the ages in a time unit that brings them near 1 ({scaling})",
            column="T",
        )


def p_alive(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that a customer with history (x, t_x, T) is alive at T (note 008, eq. 11).

    .. math:: P(\\text{alive} \\mid x, t_x, T) =
        \\frac{(\\alpha+T)^{-(r+x)}(\\beta+T)^{-s}}{(\\alpha+T)^{-(r+x)}(\\beta+T)^{-s}
        + s \\int_{t_x}^{T} (\\alpha+\\tau)^{-(r+x)}(\\beta+\\tau)^{-(s+1)}\\,d\\tau}

    (Schmittlein, Morrison & Colombo 1987).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]`` (``alpha`` and ``beta`` in the model's time unit), float array
        ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The probabilities, in ``(0, 1]``, shape ``(n,)``.
    """
    if frequency.shape == (1,):  # one customer (a service's request)
        one = _p_alive_one(params, float(frequency[0]), float(recency[0]), float(T[0]))
        if one is not None:
            return np.array([one])
    l_alive, log_bracket = _terms(params, frequency, recency, T)
    out: FloatArray = np.exp(np.minimum(l_alive - log_bracket, 0.0))
    warn_nonfinite(out, "Pareto/NBD P(alive)")
    return out


def _p_alive_one(params: FloatArray, x: float, tx: float, T: float) -> float | None:
    """:func:`p_alive` of one customer in Python floats (the terms of :func:`_terms`; array
    operations on one element cost about 1 us each): ``1 / (1 + s * integral / alive)``.
    None where scipy's ``hyp2f1`` needs the checks of :func:`relmark.clv._special.hyp2f1`
    (z > 0.9, or a non-finite value)."""
    r, alpha, s, beta = params.tolist()
    rx, big_r = r + x, r + s + x
    log_a, log_b = math.log(alpha + T), math.log(beta + T)
    l_alive = -rx * log_a - s * log_b
    if alpha >= beta:
        c, base = rx, alpha
        e1 = -rx * math.log(alpha + tx) - s * math.log(beta + tx)
        e2 = l_alive
    else:
        c, base = s + 1.0, beta
        e1 = (1.0 - rx) * math.log(alpha + tx) - (s + 1.0) * math.log(beta + tx)
        e2 = (1.0 - rx) * log_a - (s + 1.0) * log_b
    z1 = abs(alpha - beta) / (base + tx)  # >= the z at T
    if not z1 <= 0.9:
        return None
    g1 = float(special.hyp2f1(1.0, c, big_r + 1.0, z1))
    g2 = float(special.hyp2f1(1.0, c, big_r + 1.0, abs(alpha - beta) / (base + T)))
    if not (0.0 < g1 < math.inf and 0.0 < g2 < math.inf):
        return None
    l1, l2 = e1 + math.log(g1), e2 + math.log(g2)
    if l2 >= l1:  # t_x = T: the integral over (t_x, T) is 0
        return 1.0
    # log(s * integral / alive), the integral being exp(l1) (1 - exp(l2 - l1)) / (r + s + x)
    k = math.log(s) + l1 + math.log(-math.expm1(l2 - l1)) - math.log(big_r) - l_alive
    return 1.0 / (1.0 + math.exp(k)) if k < 700.0 else math.exp(-k)


def _remaining(s: float, rate_num: FloatArray, beta_t: FloatArray, t: FloatArray) -> FloatArray:
    """``rate_num * beta_t * [1 - (beta_t/(beta_t+t))^(s-1)] / (s-1)`` with its s = 1 limit."""
    log_ratio = -np.log1p(t / beta_t)
    out: FloatArray = rate_num * beta_t * (-log_ratio) * exprel((s - 1.0) * log_ratio)
    return out


def conditional_expected_purchases(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` given the history (SMC 1987; note 008, eq. 14).

    .. math:: E[Y(t) \\mid x, t_x, T] = P(\\text{alive} \\mid x, t_x, T)\\,
        \\frac{(r+x)(\\beta+T)}{(\\alpha+T)(s-1)}
        \\Bigl[1 - \\Bigl(\\frac{\\beta+T}{\\beta+T+t}\\Bigr)^{s-1}\\Bigr],

    with the limit :math:`\\frac{r+x}{\\alpha+T}(\\beta+T)\\ln\\frac{\\beta+T+t}{\\beta+T}`
    at :math:`s = 1`.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    t
        Horizon(s) after ``T``, in the model's time unit (>= 0), broadcast against the
        histories.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Expected purchases, of the broadcast shape of ``t`` and the histories.

    Examples
    --------
    Fader, Hardie & Lee (2005): a customer with x = 26, t_x = 30.86, T = 31 is expected to
    make 25.46 purchases in the next 52 weeks.

    >>> import numpy as np
    >>> from relmark.clv import paretonbd
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> one = lambda v: np.array([v])
    >>> round(float(paretonbd.conditional_expected_purchases(
    ...     p, one(52.0), one(26.0), one(30.86), one(31.0))[0]), 2)
    25.46
    """
    r, alpha, s, beta = params
    x, tx, T_ = np.broadcast_arrays(frequency, recency, T)
    alive = p_alive(params, x, tx, T_)  # once per customer, whatever the number of horizons
    rate = (r + x) / (alpha + T_)
    out: FloatArray = _remaining(float(s), rate, beta + T_, np.asarray(t)) * alive
    return out


def remaining(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    T: FloatArray,
    weights: FloatArray | None = None,
) -> FloatArray:
    r"""Expected purchases in ``(T, T+t]`` of customers alive at ``T``: shape (customers,
    horizons), or summed over horizons against ``weights``.

    The closed form (see the module) is :math:`\frac{r+x}{\alpha+T}\,h(\beta+T, t)` with
    :math:`h(b, t) = b\,[1 - (b/(b+t))^{s-1}]/(s-1)` the same function of :math:`b` for every
    customer, so large batches interpolate :math:`h` (or its weighted sum over horizons) in
    :math:`\log b` to 1e-13 (:mod:`relmark.clv._tabulate`) instead of two transcendental
    functions per customer and horizon.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    t
        The horizons, in the model's time unit, float array ``(k,)``.
    frequency
        Repeat purchases of each customer, float array ``(n,)``.
    T
        Each customer's age, in the model's time unit, float array ``(n,)``.
    weights
        Optional weights of the horizons, shape ``(k,)``.

    Returns
    -------
    numpy.ndarray
        Expected purchases, shape ``(n, k)``, or ``(n,)`` summed against ``weights``.
    """
    r, alpha, s, beta = params
    s_ = float(s)

    def per_scale(_key: FloatArray, b: FloatArray, t: FloatArray) -> FloatArray:
        return _remaining(s_, np.ones_like(b), b, t)

    b = beta + T
    h = tabulate(per_scale, np.zeros_like(b), b, np.asarray(t, dtype=np.float64), weights)
    rate = (r + frequency) / (alpha + T)
    out: FloatArray = rate * h if weights is not None else rate[:, None] * h
    return out


def expected_purchases_new_customer(params: FloatArray, t: FloatArray) -> FloatArray:
    """Expected purchases of a new customer in ``(0, t]``: :math:`\\frac{r\\beta}{\\alpha(s-1)}
    [1 - (\\frac{\\beta}{\\beta+t})^{s-1}]`, with the logarithmic limit at s = 1
    (Schmittlein, Morrison & Colombo 1987).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    t
        Horizons since the first purchase, in the model's time unit (>= 0), float array.

    Returns
    -------
    numpy.ndarray
        Expected repeat purchases, same shape as ``t``.
    """
    r, alpha, s, beta = params
    return _remaining(float(s), np.full_like(t, r / alpha), np.full_like(t, beta), t)


def dert(
    params: FloatArray,
    discount_rate: float,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Discounted expected residual transactions with continuous discounting (FHL 2005, eq. 2).

    :math:`\\mathrm{DERT} = P(\\text{alive})\\,\\frac{r+x}{\\alpha+T}\\,E[1/(\\delta+\\mu)]`
    with :math:`\\mu \\sim \\text{Gamma}(s, \\beta+T)` a posteriori, and
    :math:`E[1/(\\delta+\\mu)] = (\\beta+T)\\,U(1, 2-s, \\delta(\\beta+T))`
    (Tricomi's confluent hypergeometric function; FHL 2005's
    :math:`\\delta^{s-1}(\\beta+T)^s\\,U(s, s; \\delta(\\beta+T))` after Kummer's
    transformation).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    discount_rate
        The continuous discount rate :math:`\\delta` per time unit of the model, > 0.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Discounted expected residual transactions of each customer, shape ``(n,)``.
    """
    r, alpha, s, beta = params
    b = beta + T
    z = discount_rate * b
    # scipy's hyperu is NaN beyond z ~ 1e250 (an age of 1e300): there U(1, 2-s, z) is
    # 1/z (1 - s/z + ...) to every digit
    with np.errstate(invalid="ignore", over="ignore"):
        mean_inverse = np.where(z > 1e100, (1.0 - s / z) / discount_rate, b * _hyperu_1(2.0 - s, z))
    # from s = 1e3 scipy's hyperu(1, 2 - s, z) is NaN (small z) or wrong (s = 1e8, z = 1e3:
    # 1.06e-9 for 1.0e-8): Gauss-Laguerre there, exact to rounding (mpmath)
    lost = ~np.isfinite(mean_inverse) | (s >= _LAPLACE_FROM_S)
    if lost.any():
        mean_inverse = np.array(mean_inverse, dtype=np.float64)
        mean_inverse[lost] = np.broadcast_to(b, lost.shape)[lost] * _laplace_power(
            float(s), np.broadcast_to(z, lost.shape)[lost]
        )
    out: FloatArray = (
        p_alive(params, frequency, recency, T) * (r + frequency) / (alpha + T) * (mean_inverse)
    )
    return out


_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = special.roots_laguerre(64)
_LAPLACE_FROM_S = 1e3
"""From this dropout shape DERT's mean inverse rate is :func:`_laplace_power`."""


def _laplace_power(s: float, z: FloatArray) -> FloatArray:
    r""":math:`\int_0^\infty e^{-zv}(1+v)^{-s}\,dv = U(1, 2-s, z)` for a large ``s``, by
    64-point Gauss-Laguerre in :math:`y = (s+z)v`: the integrand is then
    :math:`e^{-y}\exp\bigl(y\,s/(s+z) - s\,\mathrm{log1p}(y/(s+z))\bigr)/(s+z)`, whose
    second factor is within :math:`y^2/(2s)` of 1 (smooth: exact to rounding from
    :math:`s \sim 10^3`, where scipy's ``hyperu`` starts to fail)."""
    k = s + z[None, :]
    y = _LAGUERRE_NODES[:, None]
    rest = np.exp(y * (s / k) - s * np.log1p(y / k)) / k
    out: FloatArray = _LAGUERRE_WEIGHTS @ rest
    return out


def _hyperu_1(b: float, z: FloatArray) -> FloatArray:
    """Tricomi's :math:`U(1, b, z)` from scipy's ``hyperu``, except within 1e-3 of a
    non-positive integer :math:`b = n` (a dropout shape ``s`` near 2, 3, ...), where
    ``hyperu`` loses every digit (``U(1, -3 + 1e-12, 3) = -4e7``, not 0.19): there it is the
    quadratic through :math:`b = n - 0.01, n, n + 0.01`, within 3e-7 relative of mpmath."""
    n = round(b)
    d = b - n
    if n > 0 or d == 0 or abs(d) >= 1e-3:
        out: FloatArray = hyperu(1.0, b, z)
        return out
    h = 1e-2
    lo, mid, hi = hyperu(1.0, n - h, z), hyperu(1.0, float(n), z), hyperu(1.0, n + h, z)
    u = d / h
    near: FloatArray = mid + u * (hi - lo) / 2.0 + u * u * (hi - 2.0 * mid + lo) / 2.0
    return near


_NODES, _WEIGHTS = roots_legendre(96)


def prob_purchases(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`P(X(t) = n)` for a new customer.

    Conditioning on the lifetime :math:`\\tau` and integrating the purchase rate analytically,

    .. math:: P(X(t)=n) = \\mathrm{NB}(n; r, \\tfrac{\\alpha}{\\alpha+t})
        (\\tfrac{\\beta}{\\beta+t})^s
        + \\int_0^t \\mathrm{NB}(n; r, \\tfrac{\\alpha}{\\alpha+\\tau})
        \\frac{s\\beta^s}{(\\beta+\\tau)^{s+1}}\\,d\\tau,

    the integral by 96-point Gauss-Legendre quadrature (a smooth integrand), with
    :math:`\\mathrm{NB}(n; r, q) = \\frac{\\Gamma(r+n)}{\\Gamma(r)\\,n!}q^r(1-q)^n`.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    n
        Counts of repeat purchases (whole numbers >= 0), float array.
    t
        Horizons since the first purchase, in the model's time unit, broadcast against ``n``.

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape of ``n`` and ``t``.
    """
    r, alpha, s, beta = params
    shape, (n_, t_) = _flat(np.asarray(n, np.float64), np.asarray(t, np.float64))
    if n_.shape[0] == 0:
        return np.zeros(shape)
    (n_u, t_u), inverse = _distinct_rows((n_, t_))
    out = np.empty(n_u.shape[0])
    for lo in range(0, n_u.shape[0], _NODE_ROWS):
        nn, tt = n_u[lo : lo + _NODE_ROWS], t_u[lo : lo + _NODE_ROWS]
        # the lifetime's survival and density with s ln(beta / (beta + tau)) as
        # -s log1p(tau / beta): s ln beta - (s + 1) ln(beta + tau) kept 1e-7 at s = beta = 1e8
        # (P(X(t) = 0) was 1.0000002)
        alive = np.exp(_log_nb(nn, r, alpha, tt) - s * np.log1p(tt / beta))
        tau = 0.5 * tt[None, :] * (_NODES[:, None] + 1.0)
        dens = np.exp(
            _log_nb(nn[None, :], r, alpha, tau)
            + np.log(s)
            - s * np.log1p(tau / beta)
            - np.log(beta + tau)
        )
        out[lo : lo + _NODE_ROWS] = alive + 0.5 * tt * _node_sum(dens)
    result: FloatArray = out[inverse].reshape(shape)
    return result


_NODE_ROWS = 4_096
"""Rows evaluated at once by the quadratures (96 nodes each: 3 MB temporaries)."""


def _node_sum(values: FloatArray) -> FloatArray:
    """:math:`\\sum_k w_k v_k` over the first axis (the 96 Gauss-Legendre nodes), accumulated
    node by node: each row's sum is then the same bits whatever else is in the batch (a matrix
    product's blocking and vector order depend on the batch's size and alignment)."""
    acc: FloatArray = values[0] * _WEIGHTS[0]
    for k in range(1, _WEIGHTS.shape[0]):
        acc += values[k] * _WEIGHTS[k]
    return acc


def _log_nb(
    k: FloatArray, rr: FloatArray | float, aa: FloatArray | float, tau: FloatArray
) -> FloatArray:
    """Log of the negative binomial probability of ``k`` purchases in ``tau`` with a
    Gamma(``rr``, ``aa``) purchase rate (0 at ``k = 0``, ``tau = 0``: the ``k log`` term is
    dropped there). :math:`\\ln\\Gamma(r+k) - \\ln\\Gamma(r)` is :func:`log_rising` and
    :math:`r\\ln\\frac{\\alpha}{\\alpha+\\tau}` is :math:`-r\\,\\mathrm{log1p}(\\tau/\\alpha)`:
    the plain differences lose their digits at large :math:`r` (a near-Poisson purchase
    process)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = (
            log_rising(rr, k)
            - gammaln(k + 1.0)
            - rr * np.log1p(tau / aa)
            + np.where(k > 0, k * (np.log(tau) - np.log(aa + tau)), 0.0)
        )
    return out


def _flat(*values: FloatArray) -> tuple[tuple[int, ...], list[FloatArray]]:
    """The broadcast shape of ``values`` and each broadcast to it, flattened, in float64."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    flat = [
        np.ascontiguousarray(np.broadcast_to(v, shape), dtype=np.float64).ravel() for v in values
    ]
    return shape, flat


def p_alive_ahead(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that a customer with history (x, t_x, T) is still active at ``T + t``.

    Alive at ``T``, the dropout rate is :math:`\\mu \\sim \\text{Gamma}(s, \\beta+T)` (the
    purchases say nothing more about it) and the lifetime memoryless, so

    .. math:: P(\\text{alive at } T+t \\mid x, t_x, T) = P(\\text{alive} \\mid x, t_x, T)
        \\Bigl(\\frac{\\beta+T}{\\beta+T+t}\\Bigr)^{s}

    (Fader, Hardie & Lee 2005, "A note on deriving the Pareto/NBD model and related
    expressions", note 008).

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    t
        Horizons after ``T``, in the model's time unit (>= 0), broadcast against the histories.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0).
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit.

    Returns
    -------
    numpy.ndarray
        The probabilities, in ``[0, 1]``, of the broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import paretonbd
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> paretonbd.p_alive_ahead(p, np.array([0.0, 52.0]), 2.0, 30.43, 38.86).round(3)
    array([0.869, 0.566])
    """
    _, _, s, beta = params
    shape, (t_, x, tx, T_) = _flat(t, frequency, recency, T)
    out: FloatArray = p_alive(params, x, tx, T_) * np.exp(-s * np.log1p(t_ / (beta + T_)))
    return out.reshape(shape)


def _prob_active(
    r: FloatArray, alpha: FloatArray, s: float, beta: FloatArray, n: FloatArray, t: FloatArray
) -> FloatArray:
    """:func:`prob_purchases` with one ``(r, alpha, beta)`` per row (1-d arrays of one length).

    The same formula, the integral over the lifetime taken in its distribution function
    :math:`u = 1 - (\\beta/(\\beta+\\tau))^s` by 96-point Gauss-Legendre on
    :math:`(0, F(t))`: the rule then stays accurate when ``t`` is many times ``beta`` (the
    lifetime density lies near 0, where a rule uniform in :math:`\\tau` puts few nodes), and
    the probabilities sum to 1 over ``n`` for every ``t``."""

    out = np.empty(n.shape[0])
    for lo in range(0, n.shape[0], _NODE_ROWS):
        rows = slice(lo, lo + _NODE_ROWS)
        rr, aa, bb, nn, tt = r[rows], alpha[rows], beta[rows], n[rows], t[rows]
        log_survive = -s * np.log1p(tt / bb)  # log P(lifetime > t)
        alive = np.exp(_log_nb(nn, rr, aa, tt) + log_survive)
        died_by_t = -np.expm1(log_survive)  # F(t)
        u = 0.5 * died_by_t[None, :] * (_NODES[:, None] + 1.0)
        tau = bb[None, :] * np.expm1(-np.log1p(-u) / s)  # F^-1(u)
        nb = np.exp(_log_nb(nn[None, :], rr[None, :], aa[None, :], tau))
        out[rows] = alive + 0.5 * died_by_t * _node_sum(nb)
    return out


def conditional_prob_purchases(
    params: FloatArray,
    n: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """:math:`P(Y(t) = n \\mid x, t_x, T)`: exactly ``n`` purchases in ``(T, T+t]``.

    A customer inactive at ``T`` buys nothing more. An active one is, from ``T`` on, a new
    customer with :math:`\\lambda \\sim \\text{Gamma}(r+x, \\alpha+T)` and
    :math:`\\mu \\sim \\text{Gamma}(s, \\beta+T)` (Poisson purchases and an exponential
    lifetime are memoryless), so with :func:`prob_purchases`

    .. math:: P(Y(t) = n \\mid x, t_x, T) = P(\\text{alive})\\,
        P\\bigl(X(t) = n \\mid r+x, \\alpha+T, s, \\beta+T\\bigr)
        + \\delta_{n=0}\\bigl(1 - P(\\text{alive})\\bigr)

    (Fader & Hardie derive a closed form in Gauss hypergeometric functions; this evaluates
    the same expectation by 96-point Gauss-Legendre quadrature over the lifetime, as
    :func:`prob_purchases` does). Its mean over ``n`` is
    :func:`conditional_expected_purchases`.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    n
        Counts (whole numbers >= 0), broadcast against the histories.
    t
        Horizons after ``T``, in the model's time unit (>= 0), broadcast likewise.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0).
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first.
    T
        Each customer's age :math:`T \\ge t_x`, in the model's time unit.

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape of ``n``, ``t`` and the histories.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import paretonbd
    >>> p = np.array([0.553, 10.578, 0.606, 11.669])
    >>> k = np.arange(3.0)
    >>> paretonbd.conditional_prob_purchases(p, k, 39.0, 2.0, 30.43, 38.86).round(3)
    array([0.408, 0.219, 0.152])
    """
    r, alpha, s, beta = params
    shape, (n_, t_, x, tx, T_) = _flat(n, t, frequency, recency, T)
    if n_.shape[0] == 0:
        return np.zeros(shape)
    alive = p_alive(params, x, tx, T_)
    # the active customer's probability depends on (n, t, x, T) only: computed once per
    # distinct row (a million customers of whole-day data hold a few thousand), each row's
    # value the same bits as alone
    (n_u, t_u, x_u, T_u), inverse = _distinct_rows((n_, t_, x, T_))
    active = _prob_active(r + x_u, alpha + T_u, float(s), beta + T_u, n_u, t_u)[inverse]
    out: FloatArray = alive * active + np.where(n_ == 0, 1.0 - alive, 0.0)
    return out.reshape(shape)


def simulate(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
    """Simulate customers observed for ``T`` after their first purchase.

    Each customer draws :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)`,
    :math:`\\mu \\sim \\text{Gamma}(s, \\beta)` and an exponential lifetime of rate
    :math:`\\mu`, and buys as a Poisson process of rate :math:`\\lambda` while alive.

    Parameters
    ----------
    params
        ``[r, alpha, s, beta]``, float array ``(4,)``.
    T
        Each customer's observation length, in the model's time unit (one value per customer).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency``, ``recency``, ``T`` and the latent ``alive`` flag at ``T``, each of shape
        ``(n,)``, ready for :meth:`ParetoNBD.fit`.
    """
    r, alpha, s, beta = params
    gen = as_rng(rng)
    T_arr = np.atleast_1d(np.asarray(T, dtype=np.float64))
    n = T_arr.shape[0]
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    mu = gen.gamma(s, 1.0 / beta, size=n)
    # a rate that underflows to (or near) 0 with a tiny s: the customer never drops out
    with np.errstate(divide="ignore", over="ignore"):
        life = gen.exponential(1.0, size=n) / mu
    window = np.minimum(life, T_arr)
    x = gen.poisson(lam * window).astype(np.float64)
    # The last of x uniform purchase times on (0, window) is window * U^(1/x).
    with np.errstate(divide="ignore"):
        tx = np.where(x > 0, window * gen.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    return {"frequency": x, "recency": tx, "T": T_arr, "alive": (life > T_arr).astype(np.float64)}


class ParetoNBD(RFMModel):
    """The Pareto/NBD model with parameters ``r, alpha, s, beta``.

    >>> from relmark.clv import ParetoNBD
    >>> m = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> round(float(m.p_alive(26, 30.86, 31)[0]), 4)
    0.9979

    See :mod:`relmark.clv.paretonbd` for the likelihood and formulas.

    Parameters
    ----------
    **params
        ``r`` and ``alpha``, shape and scale (in the data's time unit) of the gamma
        distribution of purchase rates :math:`\\lambda`; ``s`` and ``beta``, shape and scale
        (in the data's time unit) of the gamma distribution of dropout rates :math:`\\mu`.
        All four are finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).
    """

    name: ClassVar[str] = "ParetoNBD"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood,
        value_and_grad=log_likelihood_and_grad,
        expensive=True,
        shared=SHARED,
    )
    predictions: ClassVar[Predictions] = Predictions(
        p_alive,
        conditional_expected_purchases,
        expected_purchases_new_customer,
        prob_purchases,
        simulate,
        dert,
        remaining,
        conditional_prob_purchases,
        p_alive_ahead,
    )

    @classmethod
    def _fit_arrays(
        cls,
        arrays: tuple[FloatArray, ...],
        w: FloatArray | None,
        checked: tuple[dict[str, float], dict[str, float], dict[str, Prior], Progress | None],
        *,
        start: Mapping[str, float] | None,
        compress: bool | None,
        time_unit: object,
    ) -> Self:
        """The base fit, after :func:`_check_time_scale` on the ages."""
        _check_time_scale(arrays[2], w)
        return super()._fit_arrays(
            arrays, w, checked, start=start, compress=compress, time_unit=time_unit
        )

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, _, T = data
        mean_x = float(weights @ x) / float(weights.sum())
        # both scales in the data's time unit (a fit is equivariant in it): beta the typical
        # age (the geometric mean, which one outlying age moves little), alpha the typical
        # time between purchases
        typical = math.exp(_log_typical_age(T, weights))
        return np.array([1.0, typical / max(mean_x, 1e-6), 1.0, typical])
