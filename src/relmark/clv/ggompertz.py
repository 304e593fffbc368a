r"""GGompertz/NBD: purchases of a Poisson process, Gompertz lifetimes, gamma heterogeneity in both.

Bemmaor & Glady (2012), "Modeling purchasing behavior with sudden 'death': a flexible customer
lifetime model", *Management Science* 58(5), 1012-1021.

A customer buys as a Poisson process of rate :math:`\lambda \sim \text{Gamma}(r, \alpha)` while
alive, and dies at a Gompertz time, :math:`P(\tau > t \mid \eta) = \exp(-\eta(e^{bt} - 1))`,
with :math:`\eta \sim \text{Gamma}(s, \beta)` across customers and :math:`b > 0` common to all.
Across customers the lifetime is the *gamma-Gompertz*:

.. math::

    S(t) = \Bigl(\frac{\beta}{\beta + e^{bt} - 1}\Bigr)^{s}, \qquad
    f(t) = \frac{s\,b\,e^{bt}\,\beta^{s}}{(\beta + e^{bt} - 1)^{s+1}}.

The likelihood of a history :math:`(x, t_x, T)` (Bemmaor & Glady 2012) is

.. math::

    L = \frac{\Gamma(r+x)}{\Gamma(r)}\Bigl[\frac{\alpha^{r}}{(\alpha+T)^{r+x}}\,S(T)
        + \int_{t_x}^{T} \frac{\alpha^{r}}{(\alpha+\tau)^{r+x}}\,f(\tau)\,d\tau\Bigr],

the first term the customer alive at :math:`T`, the second dead at :math:`\tau`. The integral
has no closed form; it is computed with fixed Gauss-Legendre nodes after the substitution
:math:`w = m \ln\frac{\alpha+\tau}{\alpha+t_x}` (:math:`m = \max(r+x, 1)`), which turns the
power :math:`(\alpha+\tau)^{-(r+x)}` into (about) :math:`e^{-w}`; the interval
:math:`[0, W]` is split into panels of length at most 2 up to :math:`w = 16`, then panels that
double in length, each of 16 nodes, so long histories (large :math:`x`, hence large :math:`W`)
get more panels. The tests check it against mpmath's adaptive quadrature (1e-9 in
:math:`\ln L`; 2.1e-11 measured) on a grid that includes long histories.

The model nests the Pareto/NBD: as :math:`b \to 0` with :math:`\beta/b` fixed,
:math:`S(t) \to (1 + t b/\beta)^{-s}`, the Pareto/NBD's lifetime with scale :math:`\beta/b`.
:math:`b` sets how the dropout hazard changes with age: the individual hazard is
:math:`\eta b e^{bt}`, rising with time since the first purchase.

Predictions: P(alive) is the first term's share of
:math:`L`; a customer alive at :math:`T` has :math:`\lambda \sim \text{Gamma}(r+x, \alpha+T)`
and :math:`\eta \sim \text{Gamma}(s, \beta + e^{bT} - 1)`, so that

.. math::

    E[Y(t) \mid x, t_x, T] = P(\text{alive})\,\frac{r+x}{\alpha+T}
        \int_0^t \Bigl(\frac{\beta + e^{bT} - 1}{\beta + e^{b(T+u)} - 1}\Bigr)^{s} du.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from relmark._validation import FloatArray
from relmark.clv._base import RngLike
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import Predictions, RFMModel, as_rng

__all__ = [
    "GGompertzNBD",
    "conditional_expected_purchases",
    "expected_purchases_new_customer",
    "log_likelihood",
    "p_alive",
    "prob_purchases",
    "simulate",
    "survival",
]

PARAMS = ParamSet(
    (
        Param("r", "shape of the gamma distribution of purchase rates", (0.05, 5.0)),
        Param(
            "alpha", "scale (time units) of the gamma distribution of purchase rates", (0.5, 50.0)
        ),
        Param("b", "Gompertz rate (per time unit) at which the dropout hazard grows", (0.01, 0.5)),
        Param("s", "shape of the gamma distribution of the Gompertz scales", (0.1, 5.0)),
        Param("beta", "scale of the gamma distribution of the Gompertz scales", (0.05, 5.0)),
    )
)

_NODES = 16
"""Gauss-Legendre nodes per panel."""

_PANEL = 2.0
"""Length of the first panel of the likelihood's integral, in the substituted variable w."""


_CHUNK = 2048
"""Rows per pass of the likelihood's quadrature (its temporaries stay in cache)."""

_UNIFORM = 8
"""The likelihood's integral has up to this many panels of equal length (at most
:data:`_PANEL`) before the panels start doubling."""


@cache
def _rule(edges: tuple[float, ...]) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights on [0, 1]: 16 Gauss-Legendre nodes on each panel between ``edges``."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    nodes, weights = [], []
    for lo, hi in itertools.pairwise(edges):
        nodes.append(lo + (hi - lo) * (x + 1.0) / 2.0)
        weights.append(w * (hi - lo) / 2.0)
    u, v = np.concatenate(nodes), np.concatenate(weights)
    u.setflags(write=False)
    v.setflags(write=False)
    return u, v


def _uniform(panels: int) -> tuple[FloatArray, FloatArray]:
    """The rule of ``panels`` equal panels on [0, 1]."""
    return _rule(tuple(np.linspace(0.0, 1.0, panels + 1).tolist()))


def _likelihood_rule(k: int) -> tuple[FloatArray, FloatArray]:
    r"""The rule of bucket ``k`` of the likelihood's integral over [0, W], as fractions of W.

    ``k <= 8``: ``k`` equal panels (W <= 2k); ``k = 8 + j``: 8 equal panels on the first
    ``16 / L`` of the interval (:math:`L = 16 \cdot 2^j \ge W`), then panels doubling.
    """
    if k <= _UNIFORM:
        return _uniform(k)
    span = _PANEL * _UNIFORM * 2.0 ** (k - _UNIFORM)
    edges = np.r_[
        np.arange(0.0, _PANEL * _UNIFORM, _PANEL),
        _PANEL * _UNIFORM * 2.0 ** np.arange(0, k - _UNIFORM + 1),
    ]
    return _rule(tuple((edges / span).tolist()))


def _bucket(W: FloatArray) -> FloatArray:
    """The bucket of each interval length W (see :func:`_likelihood_rule`)."""
    uniform = np.ceil(np.maximum(W, 1e-300) / _PANEL)
    doubling = _UNIFORM + np.ceil(np.log2(np.maximum(W, _PANEL * _UNIFORM) / (_PANEL * _UNIFORM)))
    out: FloatArray = np.where(W <= _PANEL * _UNIFORM, uniform, doubling)
    return out


def _log_d(b: float, beta: float, t: FloatArray) -> FloatArray:
    """:math:`\\ln(\\beta + e^{bt} - 1) = bt + \\ln(\\beta e^{-bt} - \\mathrm{expm1}(-bt))`,
    without overflow or cancellation."""
    bt = b * t
    out: FloatArray = bt + np.log(beta * np.exp(-bt) - np.expm1(-bt))
    return out


def _q(b: float, beta: float, t: FloatArray) -> FloatArray:
    """:math:`e^{bt}/(\\beta + e^{bt} - 1)`, the derivative of :math:`\\ln D` in :math:`bt`."""
    bt = b * t
    out: FloatArray = 1.0 / (beta * np.exp(-bt) - np.expm1(-bt))
    return out


def survival(params: FloatArray, t: FloatArray) -> FloatArray:
    """The gamma-Gompertz survivor function :math:`S(t) = (\\beta/(\\beta + e^{bt} - 1))^s`.

    Bemmaor & Glady (2012).

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    t
        Times since the first purchase, >= 0, float array.

    Returns
    -------
    numpy.ndarray
        The share of customers still alive after ``t``, same shape as ``t``.
    """
    _, _, b, s, beta = params
    out: FloatArray = np.exp(s * (np.log(beta) - _log_d(b, beta, t)))
    return out


def _terms(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, grad: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None, FloatArray | None]:
    """Constant, alive and dead log-terms of the likelihood (and their gradients)."""
    r, a, b, s, beta = params
    m = r + x
    c0 = gammaln(m) - gammaln(r)
    log_a, log_beta = np.log(a), np.log(beta)
    log_aT = np.log(a + T)
    log_dT = _log_d(b, beta, T)
    l1 = r * log_a - m * log_aT + s * (log_beta - log_dT)
    # the dead term, on w = pm ln((a+tau)/(a+tx)) in [0, W]
    pm = np.maximum(m, 1.0)
    log_atx = np.log(a + tx)
    W = pm * (log_aT - log_atx)
    n = x.shape[0]
    l2 = np.full(n, -np.inf)
    g1 = g2 = None
    if grad:
        g1 = np.column_stack(
            [
                log_a - log_aT,
                r / a - m / (a + T),
                -s * T * _q(b, beta, T),
                log_beta - log_dT,
                s / beta - s * np.exp(-log_dT),
            ]
        )
        g2 = np.zeros((n, 5))
    panels = _bucket(W)
    const = r * log_a + np.log(s * b) + s * log_beta
    dot = "ij,ij->i"
    chunks = [
        (k, rows[lo : lo + _CHUNK])
        for k in np.unique(panels[W > 0]).astype(int).tolist()
        for rows in [np.flatnonzero((panels == k) & (W > 0))]
        for lo in range(0, rows.shape[0], _CHUNK)
    ]
    for k, rows in chunks:
        u, v = _likelihood_rule(k)
        Wk = W[rows, None]
        y = Wk * (u[None, :] / pm[rows, None])  # ln((a+tau)/(a+tx))
        em = np.expm1(y)
        atx = (a + tx)[rows, None]
        tau = atx * em + tx[rows, None]
        bt = b * tau
        e_neg = np.exp(-bt)
        inner = beta * e_neg - np.expm1(-bt)  # (beta + e^{bt} - 1) e^{-bt}
        log_inner = np.log(inner)
        log_at = log_atx[rows, None] + y  # ln(a + tau)
        # h(tau) dtau = a^r (a+tau)^-m f(tau) (a+tau)/pm dw, with
        # ln f = ln(s b) + s ln(beta) - s b tau - (s+1) ln(inner)
        log_terms = (
            (1.0 - m[rows, None]) * log_at
            - s * bt
            - (s + 1.0) * log_inner
            + (np.log(Wk / pm[rows, None]) + const)
        ) + np.log(v)[None, :]
        top = log_terms.max(axis=1, keepdims=True)
        share = np.exp(log_terms - top)
        total = share.sum(axis=1)
        l2[rows] = top[:, 0] + np.log(total)
        if grad and g2 is not None:
            share /= total[:, None]
            q = 1.0 / inner  # e^{b tau} / D
            s_log_at = np.einsum(dot, share, log_at)
            s_inv_at = np.einsum(dot, share, 1.0 / (atx + atx * em))
            s_tau = np.einsum(dot, share, tau)
            s_tau_q = np.einsum(dot, share, tau * q)
            s_log_inner = np.einsum(dot, share, log_inner)
            s_inv_d = np.einsum(dot, share, e_neg * q)
            mr = m[rows]
            g2[rows, 0] = log_a - s_log_at
            g2[rows, 1] = r / a - mr * s_inv_at
            g2[rows, 2] = 1.0 / b + s_tau - (s + 1.0) * s_tau_q
            g2[rows, 3] = 1.0 / s + log_beta - (b * s_tau + s_log_inner)
            g2[rows, 4] = s / beta - (s + 1.0) * s_inv_d
    return c0, l1, l2, g1, g2


def log_likelihood(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Per-customer log-likelihood (Bemmaor & Glady 2012), integrated numerically.

    .. math:: L = \\frac{\\Gamma(r+x)}{\\Gamma(r)}\\Bigl[\\frac{\\alpha^r S(T)}{(\\alpha+T)^{r+x}}
        + \\int_{t_x}^T \\frac{\\alpha^r f(\\tau)}{(\\alpha+\\tau)^{r+x}} d\\tau\\Bigr]

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    x, tx, T
        Frequency, recency and age of each customer, float arrays ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``.
    """
    c0, l1, l2, _, _ = _terms(params, x, tx, T, grad=False)
    out: FloatArray = c0 + np.logaddexp(l1, l2)
    return out


def log_likelihood_and_grad(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`log_likelihood` and its gradient in ``[r, alpha, b, s, beta]``, shape (n, 5).

    The gradient of the integral is the integral of the integrand's gradient (the limits do not
    depend on the parameters), on the same nodes.
    """
    r = params[0]
    c0, l1, l2, g1, g2 = _terms(params, x, tx, T, grad=True)
    assert g1 is not None
    assert g2 is not None
    total = np.logaddexp(l1, l2)
    p1 = np.exp(l1 - total)[:, None]
    grad = p1 * g1 + (1.0 - p1) * g2
    grad[:, 0] += digamma(r + x) - digamma(r)
    out: FloatArray = c0 + total
    return out, grad


def p_alive(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """P(alive at T | x, t_x, T): the alive term's share of the likelihood.

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    x, tx, T
        Frequency, recency and age of each customer, float arrays ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The probabilities, shape ``(n,)``.
    """
    _, l1, l2, _, _ = _terms(params, x, tx, T, grad=False)
    out: FloatArray = np.exp(l1 - np.logaddexp(l1, l2))
    return out


def _integral(fn: Callable[[FloatArray], FloatArray], t: FloatArray, panels: int = 8) -> FloatArray:
    """:math:`\\int_0^t fn(u) du` for each ``t`` (1-d), on ``panels`` equal panels of 16
    Gauss-Legendre nodes (``fn`` maps an (n, nodes) array of times to values)."""
    u, v = _uniform(panels)
    nodes = t[:, None] * u[None, :]
    out: FloatArray = (fn(nodes) * v[None, :]).sum(axis=1) * t
    return out


def remaining(
    params: FloatArray,
    times: FloatArray,
    x: FloatArray,
    T: FloatArray,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` of customers alive at ``T``, for each horizon.

    :math:`\\frac{r+x}{\\alpha+T}\\int_0^t ((\\beta+e^{bT}-1)/(\\beta+e^{b(T+u)}-1))^s du`.

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    times
        Horizons, float array ``(h,)``.
    x, T
        Frequency and age of each customer, float arrays ``(n,)``.
    weights
        Optional weights of the horizons ``(h,)``: the weighted sum over horizons is returned.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, h)``, or ``(n,)`` with ``weights``.
    """
    r, a, b, s, beta = params
    n, h = x.shape[0], times.shape[0]
    T_rep = np.repeat(T, h)
    t_rep = np.tile(times, n)
    base = _log_d(b, beta, T_rep)

    def ratio(u: FloatArray) -> FloatArray:
        out: FloatArray = np.exp(s * (base[:, None] - _log_d(b, beta, T_rep[:, None] + u)))
        return out

    alive_time = _integral(ratio, t_rep).reshape(n, h)
    out: FloatArray = ((r + x) / (a + T))[:, None] * alive_time
    if weights is not None:
        summed: FloatArray = out @ weights
        return summed
    return out


def conditional_expected_purchases(
    params: FloatArray, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """:math:`E[Y(t) \\mid x, t_x, T]`, expected purchases in ``(T, T+t]``.

    .. math:: P(\\text{alive})\\,\\frac{r+x}{\\alpha+T}\\int_0^t
        \\Bigl(\\frac{\\beta+e^{bT}-1}{\\beta+e^{b(T+u)}-1}\\Bigr)^s du

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    t
        Horizons (broadcast against the histories).
    x, tx, T
        Frequency, recency and age of each customer.

    Returns
    -------
    numpy.ndarray
        The expectations, of the broadcast shape.
    """
    tt, xx, ttx, TT = np.broadcast_arrays(t, x, tx, T)
    shape = tt.shape
    flat = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in (tt, xx, ttx, TT)]
    alive = p_alive(params, flat[1], flat[2], flat[3])
    r, a, b, s, beta = params
    base = _log_d(b, beta, flat[3])

    def ratio(u: FloatArray) -> FloatArray:
        out: FloatArray = np.exp(s * (base[:, None] - _log_d(b, beta, flat[3][:, None] + u)))
        return out

    out: FloatArray = alive * (r + flat[1]) / (a + flat[3]) * _integral(ratio, flat[0])
    return out.reshape(shape)


def expected_purchases_new_customer(params: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`E[X(t)] = \\frac{r}{\\alpha}\\int_0^t S(u)\\,du` for a customer just acquired.

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    t
        Horizons, float array.

    Returns
    -------
    numpy.ndarray
        The expected numbers of purchases, same shape as ``t``.
    """
    r, a = params[0], params[1]
    tt = np.asarray(t, dtype=np.float64)
    flat = tt.ravel()
    out: FloatArray = r / a * _integral(lambda u: survival(params, u), flat)
    return out.reshape(tt.shape)


def prob_purchases(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`P(X(t) = n)` for a customer just acquired.

    .. math:: P(X(t)=n) = \\mathrm{NB}(n; t)\\,S(t) + \\int_0^t \\mathrm{NB}(n; \\tau) f(\\tau)
        d\\tau, \\quad \\mathrm{NB}(n;\\tau) = \\frac{\\Gamma(r+n)}{\\Gamma(r)\\,n!}
        \\Bigl(\\frac{\\alpha}{\\alpha+\\tau}\\Bigr)^r\\Bigl(\\frac{\\tau}{\\alpha+\\tau}\\Bigr)^n

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    n
        Numbers of purchases (whole numbers >= 0), broadcast against ``t``.
    t
        Horizons.

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape.
    """
    r, a, b, s, beta = params
    nn, tt = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(t, np.float64))
    shape = nn.shape
    k, h = nn.ravel(), tt.ravel()
    log_c = gammaln(r + k) - gammaln(r) - gammaln(k + 1.0)

    def log_nb(kk: FloatArray, tau: FloatArray, lc: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            log_tau = np.log(tau)
        term = np.where(kk > 0, kk * np.where(tau > 0, log_tau, 0.0), 0.0)
        term = np.where((kk > 0) & (tau <= 0), -np.inf, term)
        out: FloatArray = lc + r * np.log(a / (a + tau)) + term - kk * np.log(a + tau)
        return out

    alive = np.exp(log_nb(k, h, log_c) + np.log(survival(params, h)))

    def dead(u: FloatArray) -> FloatArray:
        log_f = np.log(s * b) + b * u + s * np.log(beta) - (s + 1.0) * _log_d(b, beta, u)
        out: FloatArray = np.exp(log_nb(k[:, None], u, log_c[:, None]) + log_f)
        return out

    out: FloatArray = alive + _integral(dead, h, panels=8)
    return np.minimum(out, 1.0).reshape(shape)


def simulate(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
    """Simulate customers observed for ``T`` after their first purchase.

    Each customer draws :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)`,
    :math:`\\eta \\sim \\text{Gamma}(s, \\beta)` and a Gompertz lifetime by inversion,
    :math:`\\tau = \\ln(1 + E/\\eta)/b` with :math:`E` standard exponential, and buys as a
    Poisson process of rate :math:`\\lambda` while alive.

    Parameters
    ----------
    params
        ``[r, alpha, b, s, beta]``, float array ``(5,)``.
    T
        Each customer's observation length, in the model's time unit (one value per customer).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency``, ``recency``, ``T`` and the latent ``alive`` flag at ``T``, each of shape
        ``(n,)``, ready for :meth:`GGompertzNBD.fit`.
    """
    r, alpha, b, s, beta = params
    gen = as_rng(rng)
    T_arr = np.atleast_1d(np.asarray(T, dtype=np.float64))
    n = T_arr.shape[0]
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    eta = gen.gamma(s, 1.0 / beta, size=n)
    with np.errstate(divide="ignore", over="ignore"):
        life = np.log1p(gen.exponential(1.0, size=n) / eta) / b
    window = np.minimum(life, T_arr)
    x = gen.poisson(lam * window).astype(np.float64)
    with np.errstate(divide="ignore"):
        tx = np.where(x > 0, window * gen.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    return {"frequency": x, "recency": tx, "T": T_arr, "alive": (life > T_arr).astype(np.float64)}


class GGompertzNBD(RFMModel):
    """The Gamma/Gompertz/NBD model with parameters ``r, alpha, b, s, beta``.

    >>> from relmark.clv import GGompertzNBD
    >>> m = GGompertzNBD(r=0.55, alpha=10.6, b=0.01, s=0.6, beta=0.12)
    >>> round(float(m.p_alive(2, 30.43, 38.86)[0]), 4)
    0.8441

    See :mod:`relmark.clv.ggompertz` for the likelihood and formulas. ``b -> 0`` with
    ``beta / b`` fixed is the Pareto/NBD with dropout scale ``beta / b``.

    Parameters
    ----------
    **params
        ``r`` and ``alpha``, shape and scale (in the data's time unit) of the gamma
        distribution of purchase rates; ``b``, the Gompertz rate (per time unit) at which each
        customer's dropout hazard grows; ``s`` and ``beta``, shape and scale of the gamma
        distribution of the customers' Gompertz scales :math:`\\eta`. All five finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).
    """

    name: ClassVar[str] = "GGompertzNBD"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood, value_and_grad=log_likelihood_and_grad, expensive=True
    )
    predictions: ClassVar[Predictions] = Predictions(
        p_alive,
        conditional_expected_purchases,
        expected_purchases_new_customer,
        prob_purchases,
        simulate,
        None,
        remaining,
    )

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, _, T = data
        mean_rate = float(weights @ x) / max(float(weights @ T), 1e-9)
        mean_T = max(float(weights @ T) / float(weights.sum()), 1e-3)
        b = 1.0 / mean_T
        return np.array([1.0, min(1.0 / max(mean_rate, 1e-6), 1e6), b, 1.0, 1.0])
