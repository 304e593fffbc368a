r"""BG/CNBD-k and MBG/CNBD-k: BG/NBD and MBG/NBD with Erlang-k inter-purchase times.

Platzer & Reutterer (2016), "Ticking away the moments: timing regularity helps to better
predict customer activity", *Marketing Science* 35(5), 779-799; Reutterer, Platzer &
Schröder (2021), "Leveraging purchase regularity for predicting customer behavior the easy
way", *International Journal of Research in Marketing* 38(1), 194-215.

While active, a customer's inter-purchase times are Erlang-:math:`k` with rate
:math:`\lambda` (a purchase at every :math:`k`-th event of a Poisson process of rate
:math:`\lambda`: the larger :math:`k`, the more regular the purchases); after each purchase
(MBG/CNBD-k: the first one included) they drop out with probability :math:`p`. Across
customers :math:`\lambda \sim \text{Gamma}(r, \alpha)` and :math:`p \sim \text{Beta}(a, b)`;
:math:`k` is fixed (a setting), and :math:`k = 1` is BG/NBD (MBG/NBD).

With :math:`x` repeat purchases, the last at :math:`t_x`, age :math:`T`, :math:`s = r + kx`,
:math:`u = T - t_x` and :math:`\ell = \sum_i \ln \Delta t_i`, the sum of the logs of the
inter-purchase times (``sum_log_interpurchase`` of :func:`relmark.data.summarize`), integrating
:math:`\lambda` and :math:`p` out of the individual-level likelihood gives

.. math::

    L = \frac{e^{(k-1)\ell}}{((k-1)!)^x}\,\frac{\Gamma(s)\,\alpha^r}{\Gamma(r)}
        \Bigl[\frac{B(a, b+x+\sigma)}{B(a,b)} \frac{S_2}{(\alpha+T)^{s}}
        + \delta\,\frac{B(a+1, b+x-1+\sigma)}{B(a,b)}\frac{1}{(\alpha+t_x)^{s}}\Bigr],
    \qquad S_2 = \sum_{j=0}^{k-1} \frac{\Gamma(s+j)}{\Gamma(s)\,j!}
        \Bigl(\frac{u}{\alpha+T}\Bigr)^{j},

with :math:`\sigma = 0, \delta = [x > 0]` for BG/CNBD-k and :math:`\sigma = 1, \delta = 1` for
MBG/CNBD-k: the first term is "still active" (no purchase for :math:`u`: fewer than :math:`k`
Poisson events), the second "dropped out after the last purchase". With :math:`k` fixed the
factor with :math:`\ell` is a constant: the estimates do not depend on it, only the
log-likelihood (and so the choice of :math:`k`, :func:`profile_k`) does.

Predictions use the posterior of an active customer: the number :math:`j` of Poisson events
since the last purchase has weights :math:`\pi_j \propto` the :math:`j`-th term of
:math:`S_2`; given :math:`j`, :math:`\lambda \sim \text{Gamma}(s+j, \alpha+T)`, and
:math:`p \sim \text{Beta}(a, b+x+\sigma)`. The :math:`m`-th purchase after :math:`T` needs
:math:`mk - j` more events, whose count in :math:`(T, T+t]` is negative binomial, so that
:math:`P(\text{it happens by } T+t) = I_q(mk-j, s+j)` (regularised incomplete beta,
:math:`q = t/(\alpha+T+t)`), and

.. math::

    E[Y(t) \mid x, t_x, T] = P(\text{alive}) \sum_{j} \pi_j \sum_{m \ge 1}
        \frac{B(a, b'+m-1)}{B(a, b')}\, I_q(mk-j,\ s+j), \qquad b' = b + x + \sigma,

summed until the terms vanish (BTYDplus approximates this expectation by a rescaled BG/NBD
formula corrected by simulation; here it is the exact series). P(n purchases), P(alive) ahead
and the new customer's predictions are sums of the same kind.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.special import (
    betainc,
    betaln,
    expit,
    gammaln,
    hyp2f1,
    logsumexp,
)

from relmark._validation import FloatArray, _offending, check_flag, check_rfm
from relmark.clv._base import (
    RngLike,
    _column,
    _group_rows,
    fit_time_unit,
    integer_key,
    read_json,
)
from relmark.clv._checks import frequency_grid
from relmark.clv._engine import Likelihood, Progress
from relmark.clv._params import ParamSet, Prior, Setting
from relmark.clv._rfm import Predictions, RFMModel, as_rng
from relmark.clv._special import digamma_rising, log_rising, trigamma_rising
from relmark.clv._tabulate import tabulate
from relmark.clv.bgnbd import (
    _DERT_LOGIT_B,
    PARAMS,
    _beta_inverse_mean,
    _gauss_laguerre,
    _log_trapezoid,
    beta_geometric_grad_hess,
    beta_geometric_log_likelihood_and_grad,
)
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError

__all__ = [
    "BGCNBD",
    "MBGCNBD",
    "KProfile",
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
    "profile_k",
    "simulate",
]

LITT = "sum_log_interpurchase"
"""The summary column with each customer's sum of log inter-purchase times."""

K_SETTING = Setting(
    "k", "Erlang order of the inter-purchase times (1: Poisson, BG/NBD)", 1.0, low=1.0, whole=True
)

_MAX_K = 1000
_MAX_TERMS = 1_000_000


def _phase_log_weights(s: FloatArray, u: FloatArray, beta: FloatArray, k: int) -> FloatArray:
    r"""``ln c_j``, ``j = 0..k-1``: :math:`c_j = \Gamma(s+j)/(\Gamma(s) j!)\,(u/\beta)^j`,
    shape ``(n, k)``, built by the recursion :math:`c_j = c_{j-1}(s+j-1)z/j`."""
    out = np.zeros((s.shape[0], k))
    if k > 1:
        with np.errstate(divide="ignore"):
            lz = np.log(u) - np.log(beta)
        for j in range(1, k):
            out[:, j] = out[:, j - 1] + np.log(s + j - 1.0) + lz - math.log(j)
    return out


@dataclass(frozen=True)
class Moments:
    """``ln S_2`` and the phase moments of :func:`_phase_moments` (None: not computed)."""

    log_s2: FloatArray
    h: FloatArray | None
    j: FloatArray | None
    hh: FloatArray | None
    g: FloatArray | None
    jj: FloatArray | None
    hj: FloatArray | None


def _phase_moments(s: FloatArray, u: FloatArray, beta: FloatArray, k: int, order: int) -> Moments:
    r"""``ln S_2`` and the moments of the phase posterior :math:`\pi_j = c_j / S_2` that the
    derivatives need, from the recursion :math:`c_j = c_{j-1}(s+j-1)z/j` in plain floats (ten
    times cheaper than ``logsumexp``); the rare rows whose terms overflow (orders of magnitude
    beyond 1e300) take the log-space sum.

    With :math:`H_j = \sum_{i<j} 1/(s+i) = \partial_s \ln c_j` and
    :math:`G_j = \sum_{i<j} 1/(s+i)^2 = -\partial^2_s \ln c_j`: ``order`` 1 adds
    :math:`E_\pi[H]` and :math:`E_\pi[j]`; ``order`` 2 also :math:`E_\pi[H^2]`,
    :math:`E_\pi[G]`, :math:`E_\pi[j^2]` and :math:`E_\pi[Hj]` (absent moments are None).
    """
    n = s.shape[0]
    if k == 1:
        zeros = np.zeros(n)
        count = 6 if order >= 2 else 2 if order else 0
        return Moments(zeros, *([zeros] * count), *([None] * (6 - count)))
    z = u / beta
    c = np.ones(n)
    total = np.ones(n)
    sums = [np.zeros(n) for _ in range(6 if order >= 2 else 2 if order else 0)]
    harmonic = np.zeros(n)
    squares = np.zeros(n)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(1, k):
            sj = s + (j - 1.0)
            c = c * sj * z * (1.0 / j)
            total += c
            if order:
                inv = 1.0 / sj
                harmonic = harmonic + inv
                ch = c * harmonic
                sums[0] += ch
                sums[1] += j * c
                if order >= 2:
                    squares = squares + inv * inv
                    sums[2] += ch * harmonic
                    sums[3] += c * squares
                    sums[4] += (j * j) * c
                    sums[5] += j * ch
    bad = ~np.isfinite(total)
    if order:
        inv_total = 1.0 / total
        for v in sums:
            v *= inv_total
    log_s2 = np.log(total)
    if bad.any():  # huge s * z: the weights in logs
        sb = s[bad]
        cj = _phase_log_weights(sb, u[bad], beta[bad], k)
        top = cj.max(axis=1)
        pi = np.exp(cj - top[:, None])
        norm = pi.sum(axis=1)
        pi /= norm[:, None]
        log_s2[bad] = top + np.log(norm)
        if order:
            inv = 1.0 / (sb[:, None] + np.arange(k - 1.0))
            zero = np.zeros((sb.shape[0], 1))
            h = np.concatenate([zero, np.cumsum(inv, axis=1)], axis=1)
            jj = np.arange(k, dtype=np.float64)
            sums[0][bad] = (pi * h).sum(axis=1)
            sums[1][bad] = pi @ jj
            if order >= 2:
                g2 = np.concatenate([zero, np.cumsum(inv * inv, axis=1)], axis=1)
                sums[2][bad] = (pi * h * h).sum(axis=1)
                sums[3][bad] = (pi * g2).sum(axis=1)
                sums[4][bad] = pi @ (jj * jj)
                sums[5][bad] = (pi * h) @ jj
    padded: list[FloatArray | None] = [*sums, *([None] * (6 - len(sums)))]
    return Moments(log_s2, *padded)


@dataclass(frozen=True)
class _Rows:
    """Per-row pieces of the log-likelihood shared by its value, gradient and Hessian."""

    ll: FloatArray
    w: FloatArray  # posterior weight of the dropped-out term
    v: FloatArray | None  # 1 - w without its rounding (w = 1.0 while v ~ 1e-150); order >= 1
    xi: npt.NDArray[np.intp]
    grid: FloatArray
    pos: npt.NDArray[np.bool_]
    s_grid: FloatArray
    s: FloatArray
    beta: FloatArray
    lbeta: FloatArray
    l_tx: FloatArray
    m: Moments


def _rows(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    k: int,
    shift: int,
    order: int,
) -> _Rows:
    """The log-likelihood rows without the ``ell`` term and what the derivatives reuse."""
    r, alpha, a, b = (float(v) for v in params)
    xi, grid = frequency_grid(x)
    pos = (grid > 0) | (shift > 0)
    s_grid = r + k * grid
    # the terms that depend on x only, per distinct frequency; ln Gamma(r+kx) - ln Gamma(r) as
    # one log rising factorial (the two log-gammas cancel to no digit at r ~ 1e25)
    base = (
        log_rising(r, k * grid)
        + (log_rising(b, grid + shift) - log_rising(a + b, grid + shift))
        - grid * math.lgamma(k)
    )
    with np.errstate(divide="ignore"):
        log_ab = np.where(
            pos, math.log(a) - np.log(np.where(pos, b + (grid + (shift - 1.0)), 1.0)), -np.inf
        )
    s = s_grid[xi]
    beta = alpha + T
    lbeta = np.log(beta)
    l_tx = np.log(alpha + tx)
    m = _phase_moments(s, T - tx, beta, k, order)
    # r ln(alpha) - s ln(alpha+T) and s ln((alpha+T)/(alpha+t_x)) through log1p: the logs
    # cancel when alpha >> T (alpha ~ 1e25) while r and s times them are not small
    log_odds = log_ab[xi] + s * np.log1p((T - tx) / (alpha + tx)) - m.log_s2  # dead over alive
    with np.errstate(over="ignore"):
        odds = np.exp(log_odds)
    head = base[xi] + m.log_s2 - r * np.log1p(T / alpha) - (k * x) * lbeta
    ll = head + np.log1p(odds)
    huge = np.isinf(odds)
    if huge.any():
        ll[huge] = (head + log_odds)[huge]
    w = expit(log_odds) if order else odds
    v = expit(-log_odds) if order else None
    return _Rows(ll, w, v, xi, grid, pos, s_grid, s, beta, lbeta, l_tx, m)


def _ll_core(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    k: int,
    shift: int,
    *,
    grad: bool,
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row log-likelihood without the ``ell`` term and, with ``grad``, its gradient."""
    p = _rows(params, x, tx, T, k, shift, 1 if grad else 0)
    if not grad:
        return p.ll, None
    r, alpha, a, b = (float(v) for v in params)
    grid, xi, w, m = p.grid, p.xi, p.w, p.m
    assert m.h is not None
    assert m.j is not None
    assert p.v is not None
    v = p.v
    common = -digamma_rising(a + b, grid + shift)
    inv = np.where(p.pos, 1.0 / np.where(p.pos, b + (grid + (shift - 1.0)), 1.0), 0.0)
    g = np.empty((x.shape[0], 4))
    g[:, 0] = (
        digamma_rising(r, k * grid)[xi] + v * (m.h - np.log1p(T / alpha)) - w * np.log1p(tx / alpha)
    )
    # (1 - w)(r - (j+s) alpha/beta) + w (r - s alpha/(alpha+t_x)), over alpha: r/alpha and
    # w s/(alpha+t_x) cancel in MBG/CNBD-k's rows with x = 0 = t_x and overflow at tiny alpha
    # r - (j+s) alpha/beta = r T/beta - (j + kx) alpha/beta (no cancellation at alpha ~ 1e25)
    f_b = T / p.beta
    e_tx = np.where(p.pos[xi], alpha / (alpha + tx), 0.0)
    f_tx = np.where(p.pos[xi], tx / (alpha + tx), 0.0)
    kx = k * x
    g[:, 1] = (v * (r * f_b - (m.j + kx) * (alpha / p.beta)) + w * (r * f_tx - kx * e_tx)) / alpha
    g[:, 2] = common[xi] + w / a
    g[:, 3] = (common + digamma_rising(b, grid + shift))[xi] - w * inv[xi]
    return p.ll, g


def log_likelihood(
    params: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    sum_log_interpurchase: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r"""Per-customer log-likelihood of BG/CNBD-k (MBG/CNBD-k with ``modified=True``).

    The formula is in :mod:`relmark.clv.bgcnbd` (Platzer & Reutterer 2016; Reutterer,
    Platzer & Schröder 2021), computed in log space (one ``logaddexp`` of the active and the
    dropped-out terms, :math:`S_2` by ``logsumexp``).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of the last repeat purchase since the first (0 when :math:`x = 0`).
    T
        Each customer's age :math:`T \ge t_x`, in the model's time unit.
    sum_log_interpurchase
        :math:`\ell = \sum_i \ln \Delta t_i` over the :math:`x` inter-purchase times (0 when
        :math:`x = 0`), in the model's time unit.
    k
        The Erlang order, a whole number >= 1 (keyword-only).
    modified
        MBG/CNBD-k (dropout possible right after the first purchase), keyword-only.

    Returns
    -------
    numpy.ndarray
        :math:`\ln L` of each customer, shape ``(n,)``.

    Examples
    --------
    With ``k = 1`` it is BG/NBD's (FHL 2005, eq. 6):

    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> one = np.ones(1)
    >>> round(float(bgcnbd.log_likelihood(p, 2 * one, 30.43 * one, 38.86 * one, 0 * one)[0]), 4)
    -9.4586
    """
    ll = _ll_core(params, frequency, recency, T, k, int(modified), grad=False)[0]
    out: FloatArray = ll + (k - 1) * sum_log_interpurchase
    return out


def log_likelihood_and_grad(
    params: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    sum_log_interpurchase: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> tuple[FloatArray, FloatArray]:
    r"""Log-likelihood rows and their analytic gradient in ``[r, alpha, a, b]``.

    With :math:`w` the posterior weight of the dropped-out term, :math:`\pi_j` the phase
    weights, :math:`H_j = \sum_{i<j} 1/(s+i)`, :math:`\beta = \alpha + T` and
    :math:`b' = b + x + \sigma`:
    :math:`\partial_r = \psi(s)-\psi(r)+\ln\alpha+(1-w)(\sum_j\pi_j H_j-\ln\beta)
    -w\ln(\alpha+t_x)`,
    :math:`\partial_\alpha = r/\alpha-(1-w)(\sum_j \pi_j j+s)/\beta-w\,s/(\alpha+t_x)`,
    :math:`\partial_a = \psi(a+b)-\psi(a+b')+w/a`,
    :math:`\partial_b = \psi(a+b)-\psi(a+b')+\psi(b')-\psi(b)-w/(b'-1)`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    frequency, recency, T, sum_log_interpurchase
        The customers' data, as for :func:`log_likelihood`.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    tuple of numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``, and its gradient, ``(n, 4)``.
    """
    ll, g = _ll_core(params, frequency, recency, T, k, int(modified), grad=True)
    assert g is not None
    out: FloatArray = ll + (k - 1) * sum_log_interpurchase
    return out, g


def log_likelihood_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    sum_log_interpurchase: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-likelihood, its gradient and its analytic Hessian in
    ``[r, alpha, a, b]``, in one pass over the rows.

    Write :math:`\ln L = B + \operatorname{logaddexp}(A, D)` with the terms of
    :mod:`relmark.clv.bgcnbd`: :math:`B` the part that depends on the data through :math:`x`
    only (with :math:`r\ln\alpha` and the Erlang term), :math:`A = \ln S_2 - s\ln\beta` the
    active term and :math:`D = \ln\frac{a}{b+x-1+\sigma} - s\ln(\alpha+t_x)` the dropped-out
    one (:math:`s = r+kx`, :math:`\beta = \alpha+T`), and :math:`w = \sigma(D - A)`. Then

    .. math::
        \nabla^2 \ln L = \nabla^2 B + (1-w)\nabla^2 A + w\nabla^2 D
            + w(1-w)\,(\nabla A - \nabla D)(\nabla A - \nabla D)^\top .

    :math:`\ln S_2` is a log-sum-exp over the phases :math:`j` with
    :math:`\partial_s \ln c_j = H_j = \sum_{i<j}(s+i)^{-1}` and
    :math:`\partial_\beta \ln c_j = -j/\beta`, so that with the phase posterior :math:`\pi`:
    :math:`\partial_r A = E[H] - \ln\beta`, :math:`\partial_\alpha A = -(E[j]+s)/\beta`,
    :math:`\partial^2_{rr} A = \operatorname{Var}(H) - E[G]` (:math:`G_j = \sum_{i<j}
    (s+i)^{-2}`), :math:`\partial^2_{r\alpha} A = -\operatorname{Cov}(H, j)/\beta - 1/\beta`,
    :math:`\partial^2_{\alpha\alpha} A = (E[j] + \operatorname{Var}(j) + s)/\beta^2`;
    :math:`\nabla D = (-\ln(\alpha+t_x), -s/(\alpha+t_x), 1/a, -1/(b+x-1+\sigma))`,
    :math:`\partial^2_{r\alpha} D = -1/(\alpha+t_x)`,
    :math:`\partial^2_{\alpha\alpha} D = s/(\alpha+t_x)^2`, :math:`\partial^2_{aa} D =
    -1/a^2`, :math:`\partial^2_{bb} D = (b+x-1+\sigma)^{-2}`; and :math:`B`'s are BG/NBD's
    (:func:`relmark.clv.bgnbd.log_likelihood_grad_hess`) with :math:`s` for :math:`r+x`.
    Terms that depend on the data only through :math:`x` are summed per distinct frequency.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    weights
        Count of customers each row stands for, float array ``(n,)``.
    frequency, recency, T, sum_log_interpurchase
        The customers' data, as for :func:`log_likelihood`.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    tuple
        :math:`\sum_i w_i \ln L_i` (float), the weighted gradient ``(4,)`` and the weighted
        Hessian ``(4, 4)``.

    References
    ----------
    Platzer, M. and Reutterer, T. (2016). Ticking away the moments: timing regularity helps
    to better predict customer activity. Marketing Science 35(5), 779-799.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> x, tx, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86])
    >>> litt = np.array([5.0, 0.0])
    >>> value, grad, hess = bgcnbd.log_likelihood_grad_hess(p, np.ones(2), x, tx, T, litt, k=3)
    >>> bool(np.isclose(value, bgcnbd.log_likelihood(p, x, tx, T, litt, k=3).sum()))
    True
    """
    shift = int(modified)
    r, alpha, a, b = (float(v) for v in params)
    wt = weights
    p = _rows(params, frequency, recency, T, k, shift, 2)
    m, xi, grid, w, s = p.m, p.xi, p.grid, p.w, p.s
    assert m.h is not None
    assert m.j is not None
    assert m.hh is not None
    assert m.g is not None
    assert m.jj is not None
    assert m.hj is not None
    nx = grid.shape[0]
    assert p.v is not None
    v = p.v
    q = w * v
    # the alpha row and column are summed alpha times (alpha squared) larger and divided at the
    # end: r/alpha and s/(alpha+t_x) each overflow at alpha ~ 1e-300 (inf - inf: NaN) and, in
    # MBG/CNBD-k's rows with x = 0 = t_x (whose dropped-out term does not depend on alpha),
    # cancel to rounding noise (1e185 at alpha = 1e-100 where the entry is 1e-52)
    e_b = alpha / p.beta
    f_b = T / p.beta  # 1 - e_b without its cancellation at alpha ~ 1e25
    kx = k * frequency
    # alpha/(alpha + t_x) only where the dropped-out term exists (w = 0 elsewhere)
    e_tx = np.where(p.pos[xi], alpha / (alpha + recency), 0.0)
    f_tx = np.where(p.pos[xi], recency / (alpha + recency), 0.0)
    # gradients of the active (A) and dropped-out (D) terms in r and (times alpha) in alpha
    sa_al = -(m.j + s) * e_b
    sd_al = -s * e_tx
    dd_r = m.h - np.log1p((T - recency) / (alpha + recency))
    # alpha (dA/dalpha - dD/dalpha) = -j e_b + s (e_tx - e_b), with e_tx - e_b as the product
    # e_b (T - t_x)/(alpha + t_x): the e's cancel at alpha ~ 1e25, the f's at alpha ~ 1e-300
    gap = e_b * ((T - recency) / (alpha + recency))
    dd_al = np.where(p.pos[xi], s * gap - m.j * e_b, sa_al - sd_al)
    wv, ww, wq = wt * v, wt * w, wt * q
    cnt = np.bincount(xi, wt, nx)
    cnt_w = np.bincount(xi, ww, nx)
    cnt_q = np.bincount(xi, wq, nx)
    wq_r = wq * dd_r
    wq_al = wq * dd_al
    cq_r = np.bincount(xi, wq_r, nx)
    cq_al = np.bincount(xi, wq_al, nx)
    w_sum, q_sum = float(cnt_w.sum()), float(cnt_q.sum())
    inv_b = np.where(p.pos, 1.0 / np.where(p.pos, b + (grid + (shift - 1.0)), 1.0), 0.0)
    # (B(a, b+x+s)/B(a, b)'s derivatives through the rising functions: no cancellation at
    # a + b ~ 1e8)
    common = -digamma_rising(a + b, grid + shift)
    tri_common = -trigamma_rising(a + b, grid + shift)

    g = np.empty(4)
    g[0] = (
        cnt @ digamma_rising(r, k * grid)
        + float(wv @ (m.h - np.log1p(T / alpha)))
        - float(ww @ np.log1p(recency / alpha))
    )
    # per row: (1 - w)(r + alpha dA/dalpha) + w (r + alpha dD/dalpha), over alpha
    g[1] = (float(wv @ (r * f_b - (m.j + kx) * e_b)) + float(ww @ (r * f_tx - kx * e_tx))) / alpha
    g[2] = cnt @ common + w_sum / a
    g[3] = cnt @ (common + digamma_rising(b, grid + shift)) - cnt_w @ inv_b

    var_h = m.hh - m.h * m.h
    cov_hj = m.hj - m.h * m.j
    var_j = m.jj - m.j * m.j
    h = np.empty((4, 4))
    h[0, 0] = cnt @ trigamma_rising(r, k * grid) + float(wv @ (var_h - m.g)) + float(wq_r @ dd_r)
    h[0, 1] = (float(wv @ (f_b - cov_hj * e_b)) + float(ww @ f_tx) + float(wq_r @ dd_al)) / alpha
    h[1, 1] = (
        (
            # s e^2 - r = kx e^2 - r f (1 + e)
            float(wv @ ((m.j + var_j + kx) * e_b * e_b - r * f_b * (1.0 + e_b)))
            + float(ww @ (kx * e_tx * e_tx - r * f_tx * (1.0 + e_tx)))
            + float(wq_al @ dd_al)
        )
        / alpha
        / alpha
    )
    h[0, 2] = -float(cq_r.sum()) / a
    h[0, 3] = float(cq_r @ inv_b)
    h[1, 2] = -float(cq_al.sum()) / a / alpha
    h[1, 3] = float(cq_al @ inv_b) / alpha
    h[2, 2] = cnt @ tri_common + (q_sum - w_sum) / (a * a)
    h[2, 3] = cnt @ tri_common - float(cnt_q @ inv_b) / a
    h[3, 3] = cnt @ (trigamma_rising(b, grid + shift) + tri_common) + (cnt_w + cnt_q) @ (
        inv_b * inv_b
    )
    for i in range(4):
        for j in range(i):
            h[i, j] = h[j, i]
    value = float(wt @ p.ll) + (k - 1) * float(wt @ sum_log_interpurchase)
    return value, g, h


# ---------------------------------------------------------------------------------- posterior
def _flat(*arrays: npt.ArrayLike) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast arrays together and flatten them (float64), with the broadcast shape."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in arrays))
    flat = [
        np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=np.float64), shape)).ravel()
        for v in arrays
    ]
    return shape, flat


def _posterior(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, k: int, shift: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P(alive) and the phase weights ``pi`` (n, k) and ``s = r + kx`` of each row."""
    r, alpha, a, b = params
    s = r + k * x
    beta = alpha + T
    cj = _phase_log_weights(s, T - tx, beta, k)
    log_s2 = logsumexp(cj, axis=1) if k > 1 else np.zeros(x.shape[0])
    pos = (x > 0) | (shift > 0)
    b_dead = np.where(pos, b + (x + (shift - 1.0)), 1.0)
    with np.errstate(divide="ignore"):
        log_odds = np.log(a) - np.log(b_dead) + s * np.log1p((T - tx) / (alpha + tx)) - log_s2
    alive = np.where(pos, expit(-log_odds), 1.0)
    pi = np.exp(cj - log_s2[:, None])
    return alive, pi, s


def _series(
    a: float,
    bp: FloatArray,
    shape: FloatArray,
    offset: FloatArray,
    q: FloatArray,
    k: int,
    *,
    survival: bool,
) -> FloatArray:
    r""":math:`\sum_{m\ge1} W_m I_q(mk - j, s)` per row, with :math:`W_m = B(a, b'+m-1)/B(a,b')`
    (expected purchases) or :math:`B(a+1, b'+m-1)/B(a,b')` (``survival``: the chance to drop
    out after the m-th).

    :math:`I_q(n, s) = P(N \ge n)` for the negative binomial count :math:`N` of Poisson
    events; one ``betainc`` per row gives it at the first threshold :math:`k - j`, and the
    next thresholds subtract the probabilities :math:`P(N = n)` on the way (a positive
    recursion in logs, :math:`P(N=n+1) = P(N=n)\,q(s+n)/(n+1)`): several times faster than one
    ``betainc`` per term, with an error of a few ``1e-16`` of the first tail per term. A row
    stops past the mode of :math:`N` once the rest, at most
    :math:`P(N=n)/(1-\rho)^2` with :math:`\rho = q(s+n)/(n+1)`, is below ``1e-16`` of its
    sum.
    """
    n_rows = shape.shape[0]
    total = np.zeros(n_rows)
    rows = np.flatnonzero(q > 0)
    if not rows.size:
        return total
    s, qq, b_r = shape[rows], q[rows], bp[rows]
    # the series runs at least past the mode of N, (s q - 1)/(1 - q) events (k per term):
    # refuse at once a horizon that needs more terms than the cap (q = 1 when t >> alpha + T)
    # instead of looping for a minute first
    below = qq < 1.0
    need = np.full(qq.shape[0], np.inf)
    need[below] = (s[below] * qq[below] - 1.0) / ((1.0 - qq[below]) * k)
    if np.any(need > _MAX_TERMS):
        raise ArgumentError(
            f"the horizon is too long for the series of this model (more than {_MAX_TERMS:,} "
            "purchases per customer would be needed); use a shorter t",
            argument="t",
        )
    n = k - offset[rows]  # the first threshold, >= 1
    tail0 = betainc(n, s, qq)
    tail = tail0.copy()
    with np.errstate(divide="ignore"):
        log_q = np.log(qq)
    # ln P(N = n), in logs: far left of a large mean P(N = n) underflows, and a zero would
    # stop the tail from decreasing
    log_pmf = log_rising(s, n) - gammaln(n + 1.0) + s * np.log1p(-qq) + n * log_q
    weight = np.ones(rows.size)  # W_1 before the survival factor
    acc = np.zeros(rows.size)
    live = np.arange(rows.size)
    m = 1
    while live.size:
        if m > _MAX_TERMS:
            raise ArgumentError(
                f"the horizon is too long for the series of this model ({_MAX_TERMS:,} "
                "purchases per customer would be needed); use a shorter t",
                argument="t",
            )
        w = weight[live]
        if survival:
            w = w * a / (a + b_r[live] + m - 1.0)
        term = w * tail[live]
        acc[live] += term
        # the next threshold: k more events
        t_l, p_l, n_l, s_l, q_l = tail[live], log_pmf[live], n[live], s[live], log_q[live]
        for _ in range(k):
            t_l = t_l - np.exp(p_l)
            p_l = p_l + q_l + np.log((s_l + n_l) / (n_l + 1.0))
            n_l = n_l + 1.0
        t_l = np.maximum(t_l, 0.0)
        tail[live], log_pmf[live], n[live] = t_l, p_l, n_l
        weight[live] *= (b_r[live] + m - 1.0) / (a + b_r[live] + m - 1.0)
        # stop past the mode of N, once the rest is provably negligible: there the pmf falls
        # by ratio < 1 per event, so the remaining terms sum to at most
        # E[(N - n + 1)^+] <= P(N = n) / (1 - ratio)^2 (the weights are <= 1)
        ratio = qq[live] * (s_l + n_l) / (n_l + 1.0)
        # (0/0 left of the mode, where the pmf underflows and ratio >= 1: not stopping there)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            rest = np.exp(p_l) / (1.0 - np.minimum(ratio, 1.0)) ** 2
        going = ~((ratio < 1.0) & (rest <= 1e-16 * acc[live]))
        live = live[going]
        m += 1
    total[rows] = acc
    return total


def _active_rows(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    t: FloatArray,
    k: int,
    shift: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """P(alive) per row, and the (row, phase) expansion: phase weights, NB shapes, phase
    offsets, q and b' (each of length ``n * k``, row-major)."""
    _, alpha, _, b = params
    alive, pi, s = _posterior(params, x, tx, T, k, shift)
    j = np.tile(np.arange(k, dtype=np.float64), x.shape[0])
    q = np.repeat(t / (alpha + T + t), k)
    return (
        alive,
        pi.ravel(),
        np.repeat(s, k) + j,
        j,
        q,
        np.repeat(b + x + shift, k),
    )


def _cond_expected(
    params: FloatArray,
    t: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    k: int,
    shift: int,
) -> FloatArray:
    alive, pi, shape, j, q, bp = _active_rows(params, x, tx, T, t, k, shift)
    keep = pi > 0
    per = np.zeros(pi.shape[0])
    per[keep] = _series(
        float(params[2]), bp[keep], shape[keep], j[keep], q[keep], k, survival=False
    )
    out: FloatArray = alive * (pi * per).reshape(-1, k).sum(axis=1)
    return out


def _cond_survival(
    params: FloatArray,
    t: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    k: int,
    shift: int,
) -> FloatArray:
    alive, pi, shape, j, q, bp = _active_rows(params, x, tx, T, t, k, shift)
    keep = pi > 0
    per = np.zeros(pi.shape[0])
    per[keep] = _series(float(params[2]), bp[keep], shape[keep], j[keep], q[keep], k, survival=True)
    out: FloatArray = alive * (1.0 - (pi * per).reshape(-1, k).sum(axis=1))
    return np.clip(out, 0.0, 1.0)


def _cond_prob(
    params: FloatArray,
    n: FloatArray,
    t: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    k: int,
    shift: int,
) -> FloatArray:
    a = float(params[2])
    alive, pi, shape, j, q, bp = _active_rows(params, x, tx, T, t, k, shift)
    nn = np.repeat(n, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(nn > 0, betainc(np.maximum(nn * k - j, 1.0), shape, q), 1.0)
        beyond = betainc((nn + 1.0) * k - j, shape, q)
    # E[(1-p)^(n-1) p] and E[(1-p)^n] under Beta(a, b')
    log_keep = betaln(a, bp + nn) - betaln(a, bp)
    drop = np.where(nn > 0, np.exp(betaln(a + 1.0, bp + nn - 1.0) - betaln(a, bp)), 0.0)
    active = drop * reach + np.exp(log_keep) * np.maximum(reach - beyond, 0.0)
    per = (pi * active).reshape(-1, k).sum(axis=1)
    out: FloatArray = alive * per + np.where(n == 0, 1.0 - alive, 0.0)
    return np.clip(out, 0.0, 1.0)


# ------------------------------------------------------------------------------- public API
def p_alive(
    params: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r"""Probability that a customer with history (x, t_x, T) is still active.

    .. math:: P(\text{alive}) = \Bigl(1 + \delta\,\frac{a}{b+x-1+\sigma}
        \bigl(\tfrac{\alpha+T}{\alpha+t_x}\bigr)^{r+kx} \big/ S_2\Bigr)^{-1}

    (notation of :mod:`relmark.clv.bgcnbd`): the longer the wait since the last purchase
    relative to the regular gap, the smaller :math:`S_2` and P(alive).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    frequency, recency, T
        Each customer's history, float arrays ``(n,)``.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        One probability per customer, shape ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> h = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    >>> round(float(bgcnbd.p_alive(p, *h)[0]), 3), round(float(bgcnbd.p_alive(p, *h, k=3)[0]), 3)
    (0.727, 0.774)
    """
    _, (x, tx, age) = _flat(frequency, recency, T)
    return _posterior(params, x, tx, age, k, int(modified))[0]


def conditional_expected_purchases(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r"""Expected purchases in ``(T, T+t]`` given the history: the exact series of
    :mod:`relmark.clv.bgcnbd`,

    .. math:: E[Y(t)] = P(\text{alive}) \sum_j \pi_j \sum_{m\ge1}
        \frac{B(a, b'+m-1)}{B(a,b')}\, I_{t/(\alpha+T+t)}(mk-j,\ r+kx+j).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        Horizons (>= 0), broadcast against the histories.
    frequency, recency, T
        Each customer's history.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        The expectations, of the broadcast shape.

    Raises
    ------
    ArgumentError
        For a horizon so long that the series would need more than a million terms.

    Examples
    --------
    With ``k = 1`` it is BG/NBD's (FHL 2005, eq. 10):

    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> one = np.ones(1)
    >>> round(float(bgcnbd.conditional_expected_purchases(p, 39 * one, 2 * one, 30.43 * one,
    ...                                                   38.86 * one)[0]), 3)
    1.226
    """
    shape, (t_, x, tx, age) = _flat(t, frequency, recency, T)
    return _cond_expected(params, t_, x, tx, age, k, int(modified)).reshape(shape)


def p_alive_ahead(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r"""Probability of being active at ``T + t`` given the history.

    An active customer survives each purchase in ``(T, T+t]`` with probability
    :math:`1-p`; by summation by parts over the purchase count,

    .. math:: P(\text{alive at } T+t) = P(\text{alive}) \Bigl(1 - \sum_j \pi_j
        \sum_{m\ge1} \frac{B(a+1, b'+m-1)}{B(a,b')}\, I_q(mk-j,\ r+kx+j)\Bigr).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        Horizons (>= 0), broadcast against the histories.
    frequency, recency, T
        Each customer's history.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape (``t = 0`` gives :func:`p_alive`).
    """
    shape, (t_, x, tx, age) = _flat(t, frequency, recency, T)
    return _cond_survival(params, t_, x, tx, age, k, int(modified)).reshape(shape)


def conditional_prob_purchases(
    params: FloatArray,
    n: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r""":math:`P(Y(t) = n \mid x, t_x, T)`: exactly ``n`` purchases in ``(T, T+t]``.

    Given active, phase :math:`j`, :math:`\lambda` and :math:`p`: the :math:`n`-th purchase
    happens by :math:`T+t` with probability :math:`R_n = I_q(nk-j, s+j)` (after mixing over
    :math:`\lambda`), and then either the customer drops out, or survives and makes no
    :math:`(n+1)`-th, so that

    .. math:: P(Y = n \mid \text{active}, j) = E[(1-p)^{n-1}p]\,R_n
        + E[(1-p)^n]\,(R_n - R_{n+1}), \qquad R_0 = 1,

    with the Beta(:math:`a, b'`) moments :math:`B(a+1, b'+n-1)/B(a,b')` and
    :math:`B(a, b'+n)/B(a,b')`; an inactive customer makes none.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    n
        Counts (whole numbers >= 0), broadcast against the histories.
    t
        Horizons (>= 0), broadcast likewise.
    frequency, recency, T
        Each customer's history.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape.
    """
    shape, (n_, t_, x, tx, age) = _flat(n, t, frequency, recency, T)
    return _cond_prob(params, n_, t_, x, tx, age, k, int(modified)).reshape(shape)


def expected_purchases_new_customer(
    params: FloatArray, t: FloatArray, *, k: int = 1, modified: bool = False
) -> FloatArray:
    r"""Expected repeat purchases of a new customer in ``(0, t]``: the conditional
    expectation of a customer with :math:`x = t_x = T = 0`,

    .. math:: E[X(t)] = \frac{b}{a+b}^{\sigma} \sum_{m\ge1} \frac{B(a, b+\sigma+m-1)}
        {B(a,b+\sigma)}\, I_{t/(\alpha+t)}(mk, r).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        Horizons (>= 0).
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        One expectation per horizon.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> bgcnbd.expected_purchases_new_customer(p, np.array([39.0, 78.0])).round(3)
    array([1.197, 1.861])
    """
    t_ = np.asarray(t, dtype=np.float64)
    zero = np.zeros_like(t_)
    return conditional_expected_purchases(params, t_, zero, zero, zero, k=k, modified=modified)


def prob_purchases(
    params: FloatArray, n: FloatArray, t: FloatArray, *, k: int = 1, modified: bool = False
) -> FloatArray:
    """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``
    (:func:`conditional_prob_purchases` at :math:`x = t_x = T = 0`).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    n
        Counts (whole numbers >= 0).
    t
        Horizons (>= 0), broadcast against ``n``.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        :math:`P(X(t) = n)`, of the broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgcnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> bgcnbd.prob_purchases(p, np.arange(3.0), np.array([39.0])).round(3)
    array([0.574, 0.199, 0.085])
    """
    zero = np.zeros(1)
    return conditional_prob_purchases(params, n, t, zero, zero, zero, k=k, modified=modified)


_DERT_NODES = 48


def _dert_phase(
    u: FloatArray, wu: FloatArray, c: FloatArray, j: int, k: int, a: float, bp: float
) -> FloatArray:
    r""":math:`E_u[\rho^{k-j}\,{}_2F_1(1, b'; a+b'; \rho^k)]` per row, :math:`\rho =
    u/(c+u)`, by the quadrature rule ``(u, wu)`` of the posterior of
    :math:`u = \lambda(\alpha+T)`. The beta mean it stands for is
    :math:`E_p[\rho^{k-j}/(1-(1-p)\rho^k)] = (1+c/u)^j\,E_p[1/(\varepsilon_k + p)]` with
    :math:`\varepsilon_k = (1+c/u)^k - 1` (``expm1``): for a large :math:`b'`, a tiny
    :math:`\varepsilon_k`, or where scipy's 2F1 fails (near 1 with a huge :math:`b'`), it is
    taken from :math:`\varepsilon_k` itself by :func:`relmark.clv.bgnbd._beta_inverse_mean`
    (:math:`1 - \rho^k` is lost in rounding at a huge frequency: MBG/NBD drifted from
    :math:`x \approx 10^{12}` and was NaN from :math:`4.8\cdot10^{15}`)."""
    with np.errstate(over="ignore"):  # a rate of 1e300: c/u = inf, the term's limit is 0
        lc = np.log1p(c[:, None] / u[None, :])
        eps = np.expm1(k * lc)
    vals = np.full(c.shape[0], np.nan)
    if bp < _DERT_LOGIT_B and float(eps.min()) >= 1e-8:
        rho = np.exp(-lc)
        with np.errstate(all="ignore"):
            vals = (rho ** (k - j) * hyp2f1(1.0, bp, a + bp, rho**k)) @ wu
    bad = ~np.isfinite(vals)
    if bad.any():
        lb = lc[bad]
        with np.errstate(over="ignore", invalid="ignore"):
            terms = np.exp(j * lb) * _beta_inverse_mean(eps[bad], a, bp)
        vals[bad] = np.where(np.isfinite(lb), terms, 0.0) @ wu
    out: FloatArray = vals
    return out


def dert(
    params: FloatArray,
    discount_rate: float,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    k: int = 1,
    modified: bool = False,
) -> FloatArray:
    r"""Discounted expected residual transactions with continuous discounting at rate
    :math:`\delta`, :math:`\int_0^\infty e^{-\delta t}\, dE[Y(t) \mid x, t_x, T]` (the
    convention of :func:`relmark.clv.bgnbd.dert`).

    An active customer in phase :math:`j` (Poisson events since the last purchase) with rate
    :math:`\lambda` and dropout probability :math:`p` makes the :math:`m`-th purchase after
    :math:`T` at the :math:`(mk-j)`-th event, whose discounted mean is
    :math:`\rho^{mk-j}` with :math:`\rho = \lambda/(\lambda+\delta)`, and is still there to
    make it with probability :math:`(1-p)^{m-1}`; summed over :math:`m`, that is
    :math:`\rho^{k-j}/(1-(1-p)\rho^k)`, whose mean over
    :math:`p \sim \text{Beta}(a, b')` is :math:`\rho^{k-j}\,{}_2F_1(1, b'; a+b'; \rho^k)`.
    With the posterior of :mod:`relmark.clv.bgcnbd` (phase weights :math:`\pi_j`,
    :math:`\lambda \mid j \sim \text{Gamma}(s+j, \alpha+T)`, :math:`b' = b+x+\sigma`):

    .. math:: \mathrm{DERT} = P(\text{alive}) \sum_{j=0}^{k-1} \pi_j\,
        E_{\lambda \mid j}\bigl[\rho^{k-j}\,{}_2F_1(1, b'; a+b'; \rho^k)\bigr],

    the expectation over :math:`\lambda` by generalised Gauss-Laguerre quadrature whose weight
    is exactly the posterior density (Golub-Welsch, 48 nodes, once per distinct frequency and
    phase), or for shapes below 5, where the weight sits near 0 and the integrand turns on
    the scale of :math:`(\alpha+T)\delta`, by the trapezoidal rule in :math:`\ln\lambda`
    (:func:`_log_trapezoid`). At
    :math:`k = 1` it is BG/NBD's (:func:`relmark.clv.bgnbd.dert`) and, with ``modified``,
    MBG/NBD's.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    discount_rate
        The continuous discount rate :math:`\delta` per time unit of the model, > 0.
    frequency, recency, T
        Each customer's history, float arrays ``(n,)``.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).

    Returns
    -------
    numpy.ndarray
        Discounted expected residual transactions of each customer, shape ``(n,)``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves
    for customer base analysis. Journal of Marketing Research 42(4), 415-430 (eq. 2).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgcnbd, bgnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> h = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    >>> one = float(bgcnbd.dert(p, 0.15 / 52, *h)[0])
    >>> bool(np.isclose(one, bgnbd.dert(p, 0.15 / 52, *h)[0], rtol=1e-10))
    True
    >>> round(one, 3), round(float(bgcnbd.dert(p, 0.15 / 52, *h, k=3)[0]), 3)
    (4.968, 5.816)
    """
    shift = int(modified)
    _, (x, tx, age) = _flat(frequency, recency, T)
    r, alpha, a, b = (float(v) for v in params)
    alive, pi, _ = _posterior(params, x, tx, age, k, shift)
    out = np.zeros(x.shape[0])
    # a customer certainly gone (P(alive) underflows to 0, e.g. 1e16 purchases then a pause)
    # has no residual purchases: skipped, so that no quadrature at an absurd b' makes 0 * nan
    rows = np.flatnonzero(alive != 0.0)

    def exact(key: FloatArray, scale: FloatArray, times: FloatArray) -> FloatArray:
        keys, c, phases = key[:, 0], scale[:, 0] * discount_rate, times[0]
        vals = np.empty((keys.shape[0], phases.shape[0]))
        for xv in np.unique(keys):
            sel = keys == xv
            bp = b + float(xv) + shift
            for col, j in enumerate(int(v) for v in phases):
                shape = r + k * float(xv) + j
                if shape >= 5:
                    u, wu = _gauss_laguerre(_DERT_NODES, shape - 1.0)
                else:
                    u, wu = _log_trapezoid(shape, float(c[sel].min()), k - j)
                vals[sel, col] = _dert_phase(u, wu, c[sel], j, k, a, bp)
        return vals

    if rows.size:
        # the phase expectations depend on the history only through x and alpha + T: per
        # distinct x a Chebyshev interpolant in ln(alpha + T) of all k phases, accepted when
        # converged to 1e-13 (relmark.clv._tabulate; each node exact), as in bgnbd.dert
        table = tabulate(exact, x[rows], alpha + age[rows], np.arange(float(k)))
        weight = pi[rows]
        with np.errstate(invalid="ignore"):
            out[rows] = np.where(weight > 0, weight * table, 0.0).sum(axis=1)
    result: FloatArray = alive * out
    return result


def simulate(
    params: FloatArray,
    T: npt.ArrayLike,
    *,
    k: int = 1,
    modified: bool = False,
    rng: RngLike = None,
) -> dict[str, FloatArray]:
    """Simulate repeat-purchase histories with Erlang-k inter-purchase times.

    Each customer draws :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and
    :math:`p \\sim \\text{Beta}(a, b)`; inter-purchase times are Gamma(:math:`k`,
    :math:`\\lambda`); after each repeat purchase (MBG/CNBD-k: also right after the first)
    the customer drops out with probability :math:`p`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    T
        Each customer's observation length, in the model's time unit.
    k
        The Erlang order (keyword-only).
    modified
        MBG/CNBD-k (keyword-only).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency``, ``recency``, ``T``, ``sum_log_interpurchase`` and the latent
        ``alive`` flag at ``T``, each of shape ``(n,)``.
    """
    r, alpha, a, b = params
    gen = as_rng(rng)
    T_arr = np.atleast_1d(np.asarray(T, dtype=np.float64))
    n = T_arr.shape[0]
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    p = gen.beta(a, b, size=n)
    now = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    litt = np.zeros(n)
    active = gen.random(n) >= p if modified else np.ones(n, dtype=bool)
    alive = active.copy()
    while active.any():
        idx = np.flatnonzero(active)
        with np.errstate(divide="ignore", over="ignore"):
            gap = gen.standard_gamma(float(k), size=idx.size) / lam[idx]
        now[idx] += gap
        inside = now[idx] <= T_arr[idx]
        buy = idx[inside]
        x[buy] += 1
        tx[buy] = now[buy]
        litt[buy] += np.log(gap[inside])
        drop = buy[gen.random(buy.size) < p[buy]]
        alive[drop] = False
        active[idx[~inside]] = False
        active[drop] = False
    return {
        "frequency": x,
        "recency": tx,
        "T": T_arr,
        LITT: litt,
        "alive": alive.astype(np.float64),
    }


# ------------------------------------------------------------------------------- the classes
def _litt_bound(x: FloatArray, tx: FloatArray) -> FloatArray:
    r"""The largest possible sum of the logs of ``x`` gaps adding up to ``t_x``,
    :math:`x \ln(t_x / x)` (the AM-GM inequality; 0 where ``x = 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(x > 0, x * np.log(tx / np.maximum(x, 1.0)), 0.0)
    return out


def _k_of(settings: Mapping[str, float]) -> int:
    k = settings.get("k", 1.0)
    if k > _MAX_K:
        raise ParameterError(f"setting k={k:g} must be at most {_MAX_K}", argument="k")
    return int(k)


def _bind(k: int, modified: bool) -> tuple[Likelihood, Predictions]:
    """The likelihood and predictions of one model at one ``k`` (at ``k = 1`` the fit runs
    on BG/NBD's and MBG/NBD's own likelihood functions)."""
    shift = int(modified)

    def ll(params: FloatArray, *data: FloatArray) -> FloatArray:
        return log_likelihood(params, *data, k=k, modified=modified)

    def ll_grad(params: FloatArray, *data: FloatArray) -> tuple[FloatArray, FloatArray]:
        if k == 1:  # BG/NBD (MBG/NBD) itself: its engine path, the Erlang term is 0
            return beta_geometric_log_likelihood_and_grad(params, *data[:3], shift=shift)
        return log_likelihood_and_grad(params, *data, k=k, modified=modified)

    def grad(params: FloatArray, *data: FloatArray) -> FloatArray:
        return ll_grad(params, *data)[1]

    def vgh(
        params: FloatArray, weights: FloatArray, *data: FloatArray
    ) -> tuple[float, FloatArray, FloatArray]:
        if k == 1:
            return beta_geometric_grad_hess(params, weights, *data[:3], shift=shift)
        return log_likelihood_grad_hess(params, weights, *data, k=k, modified=modified)

    def alive(params: FloatArray, *h: FloatArray) -> FloatArray:
        return p_alive(params, *h, k=k, modified=modified)

    def cond(params: FloatArray, t: FloatArray, *h: FloatArray) -> FloatArray:
        return conditional_expected_purchases(params, t, *h, k=k, modified=modified)

    def new(params: FloatArray, t: FloatArray) -> FloatArray:
        return expected_purchases_new_customer(params, t, k=k, modified=modified)

    def prob(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
        return prob_purchases(params, n, t, k=k, modified=modified)

    def sim(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
        return simulate(params, T, k=k, modified=modified, rng=rng)

    def cprob(params: FloatArray, n: FloatArray, t: FloatArray, *h: FloatArray) -> FloatArray:
        return conditional_prob_purchases(params, n, t, *h, k=k, modified=modified)

    def ahead(params: FloatArray, t: FloatArray, *h: FloatArray) -> FloatArray:
        return p_alive_ahead(params, t, *h, k=k, modified=modified)

    def discounted(params: FloatArray, rate: float, *h: FloatArray) -> FloatArray:
        return dert(params, rate, *h, k=k, modified=modified)

    lik = Likelihood(ll, grad, ll_grad, value_grad_hess=vgh)
    preds = Predictions(alive, cond, new, prob, sim, discounted, None, cprob, ahead)
    return lik, preds


@dataclass(frozen=True)
class _Prepared:
    """A fit's data validated once (by :meth:`BGCNBD._prepare`): ``frequency``, ``recency``,
    ``T`` and zeros for ``sum_log_interpurchase``, the weights, the weighted sum of
    ``sum_log_interpurchase`` and the time unit."""

    arrays: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    weights: FloatArray | None
    litt_total: float
    time_unit: str | None


_GROUP_SAMPLE = 20_000


def _grouping_pays(prepared: _Prepared) -> bool:
    r"""Whether whole-number data (whole days) should be grouped although the engine's rule
    (a 20,000-row sample at most 60 % distinct) would not: a row of BG/CNBD-k costs about
    twice BG/NBD's, so grouping pays once the full data repeat rows by a third or more, which
    a sample of 20,000 rows at most 90 % distinct shows (the benchmark's whole days: 85 % of
    the sample and 55 % of a million rows distinct)."""
    x, tx, T, _ = prepared.arrays
    n = x.shape[0]
    if n <= 2.5 * _GROUP_SAMPLE:
        return False
    step = n // _GROUP_SAMPLE
    sample = (x[::step], tx[::step], T[::step])
    if integer_key(sample) is None:
        return False
    return bool(_group_rows(sample, None)[0][0].shape[0] <= 0.9 * sample[0].shape[0])


class BGCNBD(RFMModel):
    """BG/CNBD-k (Platzer & Reutterer 2016): BG/NBD with Erlang-k inter-purchase times.

    Parameters ``r, alpha, a, b`` as in :class:`relmark.clv.BGNBD`; the setting ``k`` (a whole
    number >= 1, default 1 = BG/NBD) is fixed, given to the constructor or to
    ``fit(settings={"k": 3})``, or chosen by :func:`profile_k`. The fit reads the summary
    column ``sum_log_interpurchase`` (``relmark.data.summarize(...,
    sum_log_interpurchase=True)``) when ``k > 1``: the estimates do not depend on it, the
    log-likelihood does. DERT (:func:`dert`) is the posterior expectation of the discounted
    purchases by quadrature, and CLV over a horizon works too (:func:`relmark.clv.clv`).

    >>> from relmark.clv import BGCNBD
    >>> model = BGCNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, k=2)
    >>> round(float(model.p_alive(2, 30.43, 38.86)[0]), 3)
    0.759

    Parameters
    ----------
    **params
        ``r``, ``alpha``, ``a``, ``b`` (finite, > 0) and optionally the setting ``k``.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, a value out of its domain, or a ``k`` that is not
        a whole number >= 1 (naming it).
    """

    name: ClassVar[str] = "BGCNBD"
    param_set: ClassVar[ParamSet] = PARAMS
    settings_spec: ClassVar[tuple[Setting, ...]] = (K_SETTING,)
    data_fields: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T", LITT)
    modified: ClassVar[bool] = False
    likelihood: ClassVar[Likelihood] = _bind(1, False)[0]

    def __init__(self, **params: float) -> None:
        super().__init__(**params)
        self._bound = _bind(_k_of(self._settings), self.modified)

    @property
    def predictions(self) -> Predictions:  # type: ignore[override]
        """The prediction functions at this model's ``k``."""
        return self._bound[1]

    @property
    def k(self) -> int:
        """The Erlang order of the inter-purchase times."""
        return _k_of(self._settings)

    @classmethod
    def likelihood_for(cls, settings: Mapping[str, float]) -> Likelihood:
        """The likelihood at the given ``k`` (see :class:`relmark.clv.CLVModel`).

        Parameters
        ----------
        settings
            ``{"k": k}``, already checked.

        Returns
        -------
        relmark.clv._engine.Likelihood
            The per-row log-likelihood and gradient at that ``k``.
        """
        return _bind(_k_of(settings), cls.modified)[0]

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        x, tx, T = check_rfm(arrays["frequency"], arrays["recency"], arrays["T"], labels=labels)
        litt = arrays[LITT]
        bad = (x == 0) & (litt != 0)
        if bad.any():
            rows = np.flatnonzero(bad)[:10]
            named = [labels[int(i)] for i in rows] if labels is not None else rows.tolist()
            raise DataError(
                "must be 0 for customers without repeat purchases (no inter-purchase time)",
                column=LITT,
                rows=named,
            )
        # x gaps summing to t_x: sum(ln gap) <= x ln(t_x / x) (the AM-GM inequality); 0 is
        # the stand-in of a k = 1 fit without the column
        bound = _litt_bound(x, tx)
        bad = (x > 0) & (litt != 0) & (litt > bound + 1e-9 * (x + np.abs(bound)))
        if bad.any():
            raise DataError(
                "is larger than frequency * ln(recency / frequency), impossible for "
                "inter-purchase times that add up to recency",
                column=LITT,
                rows=_offending(bad, labels),
            )
        return x, tx, T, litt

    @classmethod
    def _settings_from_json(cls, given: object) -> dict[str, float]:
        """The saved settings, with ``k`` at most 1000 (SchemaError naming ``settings.k``)."""
        out = super()._settings_from_json(given)
        if out["k"] > _MAX_K:
            raise SchemaError(f"must be at most {_MAX_K}, got {out['k']:g}", key="settings.k")
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict` (see :meth:`relmark.clv.CLVModel.from_dict`); a fit
        result saved at another ``k`` than the settings' is refused.

        Parameters
        ----------
        d
            A saved model's dict.

        Returns
        -------
        BGCNBD
            An equal model.

        Raises
        ------
        SchemaError
            Naming the key, as :meth:`relmark.clv.CLVModel.from_dict`, and ``settings.k``
            when it differs from the ``k`` the fit was made at (the file was edited).
        """
        model = super().from_dict(d)
        if model.is_fitted:
            fitted_k = model.fit_result.extra.get("k")
            if fitted_k is not None and fitted_k != model.k:
                raise SchemaError(
                    f"is {model.k} but the saved fit was made at k={fitted_k!r} (edited?)",
                    key="settings.k",
                )
        return model

    @classmethod
    def _with_litt(
        cls, data: object, columns: dict[str, Any], k: int
    ) -> tuple[object, dict[str, Any]]:
        """The data with a zero ``sum_log_interpurchase`` when it is absent and not needed
        (``k = 1``); a DataError naming the column when ``k > 1`` needs it."""
        if columns.get(LITT) is not None or _column(data, LITT) is not None:
            return data, columns
        if k > 1:
            raise DataError(
                f"{cls.name} with k={k} needs the column {LITT!r} (the sum of the log "
                "inter-purchase times): relmark.data.summarize(..., "
                "sum_log_interpurchase=True) computes it",
                column=LITT,
            )
        n: Any = (
            _column(data, "frequency") if columns.get("frequency") is None else columns["frequency"]
        )
        size = np.shape(n)[0] if n is not None and np.ndim(n) == 1 else 1
        return data, {**columns, LITT: np.zeros(size)}

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
        """Fit ``r, alpha, a, b`` by maximum likelihood at the fixed ``k`` (see
        :meth:`relmark.clv.CLVModel.fit` for the arguments).

        The estimates do not depend on ``sum_log_interpurchase``: it is added to the
        log-likelihood as the constant :math:`(k-1)\\sum_i w_i \\ell_i`, so that rows are
        grouped as BG/NBD's are and the fit costs about what BG/NBD's does.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``recency``, ``T`` and (for ``k > 1``)
            ``sum_log_interpurchase``, or ``None`` with the columns as keywords.
        weights
            Counts of identical rows.
        start
            Start values by name.
        compress
            Group identical rows (``None``: when it pays).
        time_unit
            Unit of the times (from ``data.time_unit`` otherwise).
        settings
            ``{"k": k}`` (default 1).
        priors, fixed
            Priors on, and fixed values of, parameters (see :meth:`relmark.clv.CLVModel.fit`).
        progress
            A callback ``(stage, fraction)``, ``"tqdm"`` or ``None`` (see
            :meth:`relmark.clv.CLVModel.fit`).
        **columns
            The data columns as arrays.

        Returns
        -------
        BGCNBD
            The fitted model, with ``settings["k"]`` and the full log-likelihood.

        Raises
        ------
        DataError
            For invalid data, or no ``sum_log_interpurchase`` with ``k > 1`` (naming it).
        ArgumentError
            For a bad option or an unknown setting.
        ParameterError
            For a ``k`` that is not a whole number >= 1.

        Examples
        --------
        >>> from relmark.clv import BGCNBD
        >>> truth = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3)
        >>> fitted = BGCNBD.fit(truth.simulate([52.0] * 3000, rng=3), settings={"k": 3})
        >>> fitted.k, round(fitted.params["r"], 1)
        (3, 2.0)
        """
        if settings is not None and not isinstance(settings, Mapping):
            raise ArgumentError(
                f"must be a mapping of settings such as {{'k': 3}}, got {settings!r}",
                argument="settings",
            )
        k = _k_of(cls._check_settings(settings or {}))
        prepared = (
            data
            if isinstance(data, _Prepared)
            else cls._prepare(data, weights, dict(columns), k, time_unit)
        )
        x, _, T, _ = prepared.arrays
        if compress is None and k > 1 and _grouping_pays(prepared):
            compress = True
        if start is None:  # BG/NBD's start, with the event rate k times the purchase rate
            w = prepared.weights
            rate = float(x.sum() if w is None else w @ x) / max(
                float(T.sum() if w is None else w @ T), 1e-9
            )
            start = {"r": 1.0, "alpha": min(1.0 / max(k * rate, 1e-6), 1e6), "a": 1.0, "b": 3.0}
        model = super().fit(
            prepared,
            start=start,
            compress=compress,
            time_unit=prepared.time_unit,
            settings=settings,
            priors=priors,
            fixed=fixed,
            progress=progress,
        )
        result = model.fit_result
        adjusted = replace(
            result,
            log_likelihood=result.log_likelihood + (k - 1) * prepared.litt_total,
            extra={**result.extra, "k": k},
        )
        return cls._make(
            model.params, time_unit=model.time_unit, fit=adjusted, settings=model.settings
        )

    @classmethod
    def _prepare(
        cls,
        data: object,
        weights: npt.ArrayLike | None,
        columns: dict[str, Any],
        k: int,
        time_unit: str | None,
    ) -> _Prepared:
        """Validate the data once: the fit's columns, with ``sum_log_interpurchase`` replaced
        by zeros (so that rows group as BG/NBD's do) and kept as its weighted sum."""
        unit = fit_time_unit(data, time_unit)  # (equal to the data's, when it states one)
        data, cols = cls._with_litt(data, columns, k)
        arrays, w = cls._coerce(data, weights, cols)
        x, tx, T, litt = arrays
        total = float(litt.sum() if w is None else w @ litt)
        return _Prepared(
            (x, tx, T, np.zeros(x.shape[0])), w, total, None if unit is None else str(unit)
        )

    @classmethod
    def _coerce(
        cls,
        data: object,
        weights: npt.ArrayLike | None,
        columns: Mapping[str, npt.ArrayLike | None],
    ) -> tuple[tuple[FloatArray, ...], FloatArray | None]:
        """The validated columns of :meth:`_prepare` as they are, other data validated (see
        :meth:`relmark.clv.CLVModel`)."""
        if isinstance(data, _Prepared):
            return data.arrays, data.weights
        return super()._coerce(data, weights, columns)

    def log_likelihood(
        self, data: object = None, *, weights: npt.ArrayLike | None = None, **columns: Any
    ) -> FloatArray:
        """Per-customer log-likelihood at this model's parameters and ``k`` (see
        :meth:`relmark.clv.CLVModel.log_likelihood`).

        Parameters
        ----------
        data
            A summary with the model's columns, or ``None`` with the columns as keywords.
        weights
            Validated, not applied.
        **columns
            The data columns as arrays.

        Returns
        -------
        numpy.ndarray
            One log-likelihood per data row.

        Raises
        ------
        DataError
            For invalid data, or no ``sum_log_interpurchase`` with ``k > 1``.
        ArgumentError
            For a keyword that is not one of the model's columns.
        """
        data, cols = self._with_litt(data, dict(columns), self.k)
        return super().log_likelihood(data, weights=weights, **cols)


class MBGCNBD(BGCNBD):
    """MBG/CNBD-k (Reutterer, Platzer & Schröder 2021): MBG/NBD with Erlang-k inter-purchase
    times, dropout possible right after the first purchase too (see :class:`BGCNBD`).

    >>> from relmark.clv import MBGCNBD
    >>> model = MBGCNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, k=2)
    >>> round(float(model.p_alive(0, 0, 38.86)[0]), 3)
    0.682

    Parameters
    ----------
    **params
        ``r``, ``alpha``, ``a``, ``b`` (finite, > 0) and optionally the setting ``k``.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, a value out of its domain, or a bad ``k``.
    """

    name: ClassVar[str] = "MBGCNBD"
    modified: ClassVar[bool] = True
    likelihood: ClassVar[Likelihood] = _bind(1, True)[0]


# ------------------------------------------------------------------------------- profile over k
@dataclass(frozen=True)
class KProfile:
    """The profile likelihood over ``k``: one fit per ``k`` and the chosen one.

    Attributes
    ----------
    model
        The fit with the largest log-likelihood (a :class:`BGCNBD` or :class:`MBGCNBD`).
    k
        The orders tried, increasing.
    log_likelihood
        The maximised log-likelihood at each ``k`` (the same order).
    """

    model: BGCNBD
    k: tuple[int, ...]
    log_likelihood: tuple[float, ...]

    @property
    def best_k(self) -> int:
        """The chosen order (the model's ``k``)."""
        return self.model.k

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: the chosen model's dict and the log-likelihood per ``k``.

        Returns
        -------
        dict
            ``{"model": ..., "k": [...], "log_likelihood": [...]}``.
        """
        return {
            "model": self.model.to_dict(),
            "k": list(self.k),
            "log_likelihood": list(self.log_likelihood),
        }

    def to_json(self) -> str:
        """The profile as JSON text (see :meth:`to_dict`).

        Returns
        -------
        str
        """
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> KProfile:
        """Read a profile written by :meth:`to_json`.

        Parameters
        ----------
        text
            JSON text.

        Returns
        -------
        KProfile

        Raises
        ------
        SchemaError
            For JSON that is not a profile (naming the key).
        """
        d = read_json(text)
        for key in ("model", "k", "log_likelihood"):
            if key not in d:
                raise SchemaError("is missing", key=key)
        unknown = sorted(str(key) for key in d if key not in ("model", "k", "log_likelihood"))
        if unknown:
            raise SchemaError("is not a key of a saved k profile", key=unknown[0])
        ks, lls = d["k"], d["log_likelihood"]
        if not (isinstance(ks, list) and isinstance(lls, list) and len(ks) == len(lls) and ks):
            raise SchemaError("k and log_likelihood must be equally long lists", key="k")
        if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= _MAX_K for v in ks):
            raise SchemaError(f"must be whole numbers from 1 to {_MAX_K}", key="k")
        if any(b <= a for a, b in itertools.pairwise(ks)):
            raise SchemaError("must be distinct orders, increasing", key="k")
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in lls
        ):
            raise SchemaError("must be finite numbers", key="log_likelihood")
        name = d["model"].get("model") if isinstance(d["model"], dict) else None
        model_cls = {"BGCNBD": BGCNBD, "MBGCNBD": MBGCNBD}.get(str(name))
        if model_cls is None:
            raise SchemaError(f"must be a BGCNBD or MBGCNBD model, got {name!r}", key="model")
        model = model_cls.from_dict(d["model"])
        if model.k not in ks:
            raise SchemaError(f"does not hold the chosen model's k={model.k}", key="k")
        best = float(lls[ks.index(model.k)])
        fitted = model.fit_result.log_likelihood if model.is_fitted else best
        if max(lls) > best or not math.isclose(best, fitted, rel_tol=1e-9):
            raise SchemaError(
                f"the chosen model (k={model.k}) must have the largest log-likelihood, its fit's",
                key="log_likelihood",
            )
        return cls(model, tuple(ks), tuple(float(v) for v in lls))


def profile_k(
    data: object = None,
    *,
    k: Iterable[int] = (1, 2, 3, 4, 5),
    modified: bool = False,
    weights: npt.ArrayLike | None = None,
    compress: bool | None = None,
    time_unit: str | None = None,
    **columns: npt.ArrayLike | None,
) -> KProfile:
    r"""Choose ``k`` by profile likelihood: fit BG/CNBD-k (MBG/CNBD-k) at each ``k`` and keep
    the fit with the largest log-likelihood (Platzer & Reutterer 2016, section 3.3).

    The log-likelihoods are comparable across ``k`` because each includes the
    :math:`(k-1)\sum\ell - x\ln((k-1)!)` term of the Erlang density; the data must have
    ``sum_log_interpurchase``. The data are validated (and grouped) once for every ``k``, and
    each fit starts from the previous ``k``'s estimates with ``alpha`` scaled by
    :math:`k_{\text{prev}}/k` (the event rate grows with ``k``); the estimates are those of
    separate fits (to 1e-12 relative on CDNOW).

    Parameters
    ----------
    data
        A summary with ``frequency``, ``recency``, ``T`` and ``sum_log_interpurchase``, or
        ``None`` with the columns as keywords.
    k
        The orders to try: distinct whole numbers >= 1 (default 1 to 5).
    modified
        MBG/CNBD-k instead of BG/CNBD-k.
    weights, compress, time_unit
        As for :meth:`BGCNBD.fit`.
    **columns
        The data columns as arrays.

    Returns
    -------
    KProfile
        The chosen fit and the log-likelihood at each ``k``.

    Raises
    ------
    ArgumentError
        For ``k`` that is not distinct whole numbers >= 1 (naming ``k``).
    DataError
        For invalid data or no ``sum_log_interpurchase`` (naming the column).

    Examples
    --------
    >>> from relmark.clv import BGCNBD, bgcnbd
    >>> truth = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3)
    >>> prof = bgcnbd.profile_k(truth.simulate([52.0] * 2000, rng=5), k=[1, 2, 3, 4])
    >>> prof.best_k
    3
    """
    if isinstance(k, str | bytes) or not isinstance(k, Iterable):
        raise ArgumentError(f"must be whole numbers >= 1, got {k!r}", argument="k")
    ks = list(k)
    if not ks or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and 1 <= v <= _MAX_K for v in ks
    ):
        raise ArgumentError(f"must be whole numbers from 1 to {_MAX_K}, got {ks!r}", argument="k")
    if len(set(ks)) != len(ks):
        raise ArgumentError(f"has repeated orders: {ks!r}", argument="k")
    model_cls: type[BGCNBD] = MBGCNBD if check_flag(modified, "modified") else BGCNBD
    if columns.get(LITT) is None and _column(data, LITT) is None:
        raise DataError(
            f"the profile over k needs the column {LITT!r} (the sum of the log inter-purchase "
            "times): relmark.data.summarize(..., sum_log_interpurchase=True) computes it",
            column=LITT,
        )
    # validated and grouped once for every k; each k starts from the previous one's
    # estimates, with the event scale alpha shrunk as k grows (k events per purchase)
    prepared = model_cls._prepare(data, weights, dict(columns), max(ks), time_unit)
    if compress is None and _grouping_pays(prepared):
        compress = True
    (x, tx, T, zero), w = model_cls._compress(prepared.arrays, prepared.weights, compress)
    prepared = replace(prepared, arrays=(x, tx, T, zero), weights=w)
    fits: dict[int, BGCNBD] = {}
    start: dict[str, float] | None = None
    for v in sorted(ks):
        order = int(v)
        if fits:
            last = fits[max(fits)]
            if last.fit_result.converged:
                start = {**last.params, "alpha": last.params["alpha"] * last.k / order}
        fits[order] = model_cls.fit(prepared, compress=False, start=start, settings={"k": order})
    lls = tuple(f.fit_result.log_likelihood for f in fits.values())
    best = max(fits.values(), key=lambda f: f.fit_result.log_likelihood)
    return KProfile(best, tuple(fits), lls)
