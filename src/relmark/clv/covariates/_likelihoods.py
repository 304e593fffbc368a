r"""Per-customer log-likelihoods with per-customer parameters, and their gradients.

The classic likelihoods of :mod:`relmark.clv.bgnbd`, :mod:`relmark.clv.mbgnbd`,
:mod:`relmark.clv.paretonbd` and :mod:`relmark.clv.gammagamma` take one parameter vector for
every customer (and tabulate terms by frequency, which assumes it). With covariates every
customer has their own scale parameters, so the same formulas are written here over columns of
per-customer parameters ``theta`` of shape ``(n, K)``. Each function returns the log-likelihood
of each customer and its gradient in the **logarithms** of the parameters,
:math:`\partial \ln L_i / \partial \ln\theta_{ik} = \theta_{ik}\,\partial \ln L_i/\partial
\theta_{ik}`, shape ``(n, K)``: the covariate models are linear in those logarithms.

The formulas are those of the classic modules (cited there); the tests check these functions
equal the classic ones row by row when all customers share one parameter vector.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import betaln, digamma, exprel, gammaln

from relmark._validation import FloatArray
from relmark.clv import paretonbd
from relmark.clv._checks import frequency_grid
from relmark.clv._special import digamma_rising, log_rising, trigamma_rising

__all__ = [
    "beta_geometric",
    "beta_geometric_hessian",
    "gamma_gamma",
    "pareto_nbd",
    "pareto_nbd_conditional_expected_purchases",
    "pareto_nbd_p_alive",
]


def _of_shape_plus_x(
    fn: Callable[[FloatArray], FloatArray], shape: FloatArray, x: FloatArray
) -> FloatArray:
    """``fn(shape + x)`` row by row; once per distinct frequency when every row has the same
    ``shape`` (no covariate acts on ``r``: the classic modules' tabulation)."""
    first = shape[:1]
    if shape.size > 64 and bool(np.all(shape == first)):
        xi, grid = frequency_grid(x)
        out: FloatArray = fn(first[0] + grid)[xi]
        return out
    return fn(shape + x)


def _rising(
    fn: Callable[[FloatArray, FloatArray], FloatArray], shape: FloatArray, x: FloatArray
) -> FloatArray:
    """``fn(shape, x)`` (a rising-factorial difference of :mod:`relmark.clv._special`) row by
    row; once per distinct frequency when every row has the same ``shape``."""
    first = shape[:1]
    if shape.size > 64 and bool(np.all(shape == first)):
        xi, grid = frequency_grid(x)
        out: FloatArray = fn(np.full(grid.shape, first[0]), grid)[xi]
        return out
    return fn(shape, x)


def beta_geometric(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, shift: int
) -> tuple[FloatArray, FloatArray]:
    r"""BG/NBD (``shift = 0``, FHL 2005 eq. 6) or MBG/NBD (``shift = 1``, Batislam et al.
    2007) log-likelihood per customer with columns ``theta = [r, alpha, a, b]``.

    .. math:: \ln L = \ln\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)} - (r+x)\ln(\alpha+T)
        + \ln\frac{B(a, b+x+s)}{B(a,b)} + \ln(1 + \text{odds}),\quad
        \text{odds} = \delta\,\frac{a}{b+x-1+s}\Bigl(\frac{\alpha+T}{\alpha+t_x}\Bigr)^{r+x}

    with :math:`\delta = 1` for MBG/NBD or :math:`x > 0`, else 0, and :math:`s` the shift.
    """
    r, alpha, a, b = theta[:, 0], theta[:, 1], theta[:, 2], theta[:, 3]
    rx = r + x
    l_t = np.log(alpha + T)
    pos = (x > 0) | (shift > 0)
    b_x1 = np.where(pos, b + x - 1.0 + shift, 1.0)
    # ln((alpha+T)/(alpha+t_x)), r ln(alpha/(alpha+T)) as log1p and ln Gamma(r+x)/Gamma(r) as
    # one log rising factorial: each cancels to no digit at r, alpha ~ 1e25 otherwise
    with np.errstate(divide="ignore"):
        log_odds = np.where(
            pos, np.log(a) - np.log(b_x1) + rx * np.log1p((T - tx) / (alpha + tx)), -np.inf
        )
    with np.errstate(over="ignore"):
        odds = np.exp(log_odds)
    log1p_odds = np.where(np.isinf(odds), log_odds, np.log1p(odds))
    bxs = b + x + shift
    ll = (
        _rising(log_rising, r, x)
        - r * np.log1p(T / alpha)
        - x * l_t
        + betaln(a, bxs)
        - betaln(a, b)
        + log1p_odds
    )
    w2 = np.where(np.isinf(odds), 1.0, odds / (1.0 + odds))
    v2 = 1.0 / (1.0 + odds)  # 1 - w2 without its rounding
    common = digamma(a + b) - digamma(a + bxs)
    f_t, f_tx = T / (alpha + T), tx / (alpha + tx)
    e_t, e_tx = alpha / (alpha + T), alpha / (alpha + tx)
    g = np.empty((x.shape[0], 4))
    g[:, 0] = r * (
        _rising(digamma_rising, r, x) - v2 * np.log1p(T / alpha) - w2 * np.log1p(tx / alpha)
    )
    # r - alpha (r+x)/(alpha+t) = r t/(alpha+t) - x alpha/(alpha+t)
    g[:, 1] = v2 * (r * f_t - x * e_t) + w2 * (r * f_tx - x * e_tx)
    g[:, 2] = a * common + w2
    g[:, 3] = b * (common + digamma(bxs) - digamma(b) - np.where(pos, w2 / b_x1, 0.0))
    return ll, g


def _log_g_branch(
    r: FloatArray,
    s: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    x: FloatArray,
    tau: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    r"""The Pareto/NBD integral's term at age :math:`\tau`,
    :math:`\ell_\tau = c_x + \ln s - \ln(r+s+x) + e_\tau + \ln G(z_\tau)` (see
    :func:`relmark.clv.paretonbd._pair_table`), and its gradient in ``[r, alpha, s, beta]``
    (natural scale), row by row with each row's own ``alpha, beta`` and branch."""
    n = x.shape[0]
    rx = r + x
    big_r = r + s + x
    a_tau, b_tau = alpha + tau, beta + tau
    log_a, log_b = np.log(a_tau), np.log(b_tau)
    first = alpha >= beta
    e = np.empty(n)
    de = np.empty((n, 4))
    for branch in (True, False):
        rows = np.flatnonzero(first == branch)
        if rows.size == 0:
            continue
        ra, sa, xa = r[rows], s[rows], x[rows]
        al, be, at, bt = alpha[rows], beta[rows], a_tau[rows], b_tau[rows]
        la, lb, rxa = log_a[rows], log_b[rows], rx[rows]
        d = ra + sa + xa + 1.0
        if branch:  # G = 2F1(1, r + x; r + s + x + 1; (alpha - beta) / (alpha + tau))
            lg, lg_c, lg_d, lg_z = paretonbd._log_g_and_grad(rxa, d, (al - be) / at)
            e[rows] = -rxa * la - sa * lb + lg
            de[rows, 0] = -la + lg_c + lg_d
            de[rows, 1] = -rxa / at + lg_z * bt / at**2
            de[rows, 2] = -lb + lg_d
            de[rows, 3] = -sa / bt - lg_z / at
        else:  # G = 2F1(1, s + 1; r + s + x + 1; (beta - alpha) / (beta + tau))
            lg, lg_c, lg_d, lg_z = paretonbd._log_g_and_grad(sa + 1.0, d, (be - al) / bt)
            e[rows] = (1.0 - rxa) * la - (sa + 1.0) * lb + lg
            de[rows, 0] = -la + lg_d
            de[rows, 1] = (1.0 - rxa) / at - lg_z / bt
            de[rows, 2] = -lb + lg_c + lg_d
            de[rows, 3] = -(sa + 1.0) / bt + lg_z * at / bt**2
    own = _rising(log_rising, r, x) + r * np.log(alpha) + s * np.log(beta)
    inv_r = 1.0 / big_r
    ell = e + own + np.log(s) - np.log(big_r)
    grad = de
    grad[:, 0] += _rising(digamma_rising, r, x) + np.log(alpha) - inv_r
    grad[:, 1] += r / alpha
    grad[:, 2] += np.log(beta) + 1.0 / s - inv_r
    grad[:, 3] += s / beta
    return ell, grad


def pareto_nbd(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Pareto/NBD log-likelihood per customer with columns ``theta = [r, alpha, s, beta]``
    (Fader & Hardie 2005, note 008, eq. 2):

    .. math:: L = \frac{\Gamma(r+x)\,\alpha^r\beta^s}{\Gamma(r)} \Bigl[
        \frac{1}{(\alpha+T)^{r+x}(\beta+T)^s}
        + s \int_{t_x}^{T} \frac{d\tau}{(\alpha+\tau)^{r+x}(\beta+\tau)^{s+1}} \Bigr],

    the integral as the difference of the hypergeometric terms at :math:`t_x` and :math:`T`
    (the positive series of :mod:`relmark.clv.paretonbd`), each row with its own
    :math:`\alpha, \beta` (and so its own branch :math:`\alpha \ge \beta` or not).

    Rows are best sorted by ``x``: the series is then evaluated as one polynomial per run of
    equal frequency.
    """
    r, alpha, s, beta = theta[:, 0], theta[:, 1], theta[:, 2], theta[:, 3]
    one, g_one = _log_g_branch(r, s, alpha, beta, x, tx)
    two, g_two = _log_g_branch(r, s, alpha, beta, x, T)
    rx = r + x
    own = _rising(log_rising, r, x) + r * np.log(alpha) + s * np.log(beta)
    a_T = own - rx * np.log(alpha + T) - s * np.log(beta + T)
    diff = np.minimum(two - one, 0.0)
    one_minus_q = -np.expm1(diff)
    with np.errstate(divide="ignore"):
        dead = one + np.log(one_minus_q)
    ll = np.logaddexp(a_T, dead)
    p_live = np.exp(a_T - ll)
    w_dead = np.exp(dead - ll) / np.where(one_minus_q > 0, one_minus_q, 1.0)
    g_alive = np.empty((x.shape[0], 4))
    g_alive[:, 0] = _rising(digamma_rising, r, x) + np.log(alpha) - np.log(alpha + T)
    g_alive[:, 1] = r / alpha - rx / (alpha + T)
    g_alive[:, 2] = np.log(beta) - np.log(beta + T)
    g_alive[:, 3] = s / beta - s / (beta + T)
    grad = p_live[:, None] * g_alive
    grad += w_dead[:, None] * (g_one - np.exp(diff)[:, None] * g_two)
    grad *= theta
    return ll, grad


def gamma_gamma(
    theta: FloatArray, x: FloatArray, monetary_value: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Gamma-Gamma log-density of the mean spend per customer with columns
    ``theta = [p, q, gamma]`` (Fader & Hardie 2013, note 025, eq. 4), ``x > 0``:

    .. math:: \ln f = \ln\frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)} + q\ln\gamma
        + (px-1)\ln\bar z + px\ln x - (px+q)\ln(\gamma + x\bar z).
    """
    p, q, g = theta[:, 0], theta[:, 1], theta[:, 2]
    px = p * x
    log_z = np.log(monetary_value)
    g_xz = g + x * monetary_value
    log_gxz = np.log(g_xz)
    log_g = np.log(g)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * log_g
        + (px - 1.0) * log_z
        + px * np.log(x)
        - (px + q) * log_gxz
    )
    psi_pq = digamma(px + q)
    out = np.empty((x.shape[0], 3))
    out[:, 0] = p * x * (psi_pq - digamma(px) + log_z + np.log(x) - log_gxz)
    out[:, 1] = q * (psi_pq - digamma(q) + log_g - log_gxz)
    out[:, 2] = q - g * (px + q) / g_xz
    return ll, out


def _trigamma(v: FloatArray) -> FloatArray:
    r"""The trigamma function :math:`\psi_1(v)`, :math:`v > 0`: the recurrence
    :math:`\psi_1(v) = \psi_1(v+1) + 1/v^2` up to :math:`v \ge 10`, then the asymptotic
    series :math:`\frac1v + \frac1{2v^2} + \sum_k B_{2k}/v^{2k+1}` to :math:`B_{10}` (relative
    error below 1e-12; ten times cheaper than ``scipy.special.polygamma(1, v)``)."""
    acc = np.zeros_like(v)
    w = np.array(v, dtype=np.float64)
    for _ in range(10):
        small = w < 10.0
        if not small.any():
            break
        acc += np.where(small, 1.0 / (w * w), 0.0)
        w = np.where(small, w + 1.0, w)
    inv = 1.0 / w
    i2 = inv * inv
    series = inv * (
        1.0
        + inv / 2.0
        + i2
        * (
            1.0 / 6.0
            + i2 * (-1.0 / 30.0 + i2 * (1.0 / 42.0 + i2 * (-1.0 / 30.0 + i2 * 5.0 / 66.0)))
        )
    )
    out: FloatArray = acc + series
    return out


def beta_geometric_hessian(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, shift: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r""":func:`beta_geometric` with each customer's Hessian in the log-parameters,
    shape ``(n, 4, 4)``.

    With :math:`\ln L = B + \ln(1 + e^{o})`, :math:`o` the log-odds of having dropped out and
    :math:`w = e^{o}/(1+e^{o})`: :math:`\nabla^2 \ln L = \nabla^2 B + w(1-w)\,\nabla o\,
    \nabla o^\top + w\,\nabla^2 o`, where in :math:`(\ln r, \ln\alpha, \ln a, \ln b)`

    .. math::

        \nabla o &= \bigl(r(l_T - l_{t_x}),\ (r+x)\alpha(\tfrac{1}{\alpha+T}
            - \tfrac{1}{\alpha+t_x}),\ 1,\ -\tfrac{b}{b+x-1+s}\bigr), \\
        \partial^2_{\ln r} B &= \partial_{\ln r} B + r^2(\psi_1(r+x) - \psi_1(r)), \quad
        \partial^2_{\ln r, \ln\alpha} B = \tfrac{rT}{\alpha+T}, \quad
        \partial^2_{\ln\alpha} B = -\tfrac{(r+x)\alpha T}{(\alpha+T)^2},

    and the beta terms' second derivatives are trigamma differences.
    """
    ll, g = beta_geometric(theta, x, tx, T, shift=shift)
    r, alpha, a, b = theta[:, 0], theta[:, 1], theta[:, 2], theta[:, 3]
    rx = r + x
    pos = (x > 0) | (shift > 0)
    b_x1 = np.where(pos, b + x - 1.0 + shift, 1.0)
    bxs = b + x + shift
    # alpha/(alpha+t) and t/(alpha+t) as quotients, and their differences as products: the
    # logs and the e's cancel at alpha ~ 1e25, the f's at alpha ~ 1e-300
    e_t, e_tx = alpha / (alpha + T), alpha / (alpha + tx)
    f_t = T / (alpha + T)
    gap = e_t * (
        (T - tx) / (alpha + tx)
    )  # e_tx - e_t = alpha^2 (1/(alpha+t_x) - 1/(alpha+T))/alpha
    l_gap = np.log1p((T - tx) / (alpha + tx))  # ln(alpha+T) - ln(alpha+t_x)
    # the log-odds o and w = P(dead term); o's gradient and Hessian in the log-parameters
    with np.errstate(divide="ignore", over="ignore"):
        log_odds = np.where(pos, np.log(a) - np.log(b_x1) + rx * l_gap, -np.inf)
        w = np.where(pos, 1.0 / (1.0 + np.exp(-log_odds)), 0.0)
    n = x.shape[0]
    do = (r * l_gap, -rx * gap, np.ones(n), -b / b_x1)
    h = np.empty((n, 4, 4))
    tri = _trigamma
    g_r_b = r * (_rising(digamma_rising, r, x) - np.log1p(T / alpha))
    d_ab = digamma(a + b) - digamma(a + bxs)
    t_ab = tri(a + b) - tri(a + bxs)
    ww = w * (1.0 - w)
    # the terms of B, of w (1 - w) grad(o) grad(o)' and of w hess(o), entry by entry
    upper = {
        (0, 0): g_r_b + r**2 * _rising(trigamma_rising, r, x) + w * do[0],
        (0, 1): r * f_t - w * r * gap,
        # alpha^2 (1/(alpha+T)^2 - 1/(alpha+t_x)^2) = -gap (e_t + e_tx)
        (1, 1): -rx * e_t * f_t + w * (do[1] + rx * gap * (e_t + e_tx)),
        (0, 2): np.zeros(n),
        (0, 3): np.zeros(n),
        (1, 2): np.zeros(n),
        (1, 3): np.zeros(n),
        (2, 2): a * d_ab + a**2 * t_ab,
        (2, 3): a * b * t_ab,
        (3, 3): b * (digamma(bxs) - digamma(b) + d_ab)
        + b**2 * (tri(bxs) - tri(b) + t_ab)
        + w * (-b / b_x1 + (b / b_x1) ** 2),
    }
    for (i, j), value in upper.items():
        value += ww * do[i] * do[j]
        h[:, i, j] = value
        h[:, j, i] = value
    return ll, g, h


def pareto_nbd_p_alive(
    theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r"""Pareto/NBD :math:`P(\text{alive})` per customer with columns ``theta = [r, alpha, s,
    beta]``: the alive term of the likelihood over the likelihood (note 008, eq. 2),
    :math:`\frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)(\alpha+T)^{r+x}(\beta+T)^s} / L`."""
    r, alpha, s, beta = theta[:, 0], theta[:, 1], theta[:, 2], theta[:, 3]
    with np.errstate(over="ignore"):  # the gradient (unused: T = 1e300 squares to inf)
        ll, _ = pareto_nbd(theta, x, tx, T)
    own = _rising(log_rising, r, x) + r * np.log(alpha) + s * np.log(beta)
    a_T = own - (r + x) * np.log(alpha + T) - s * np.log(beta + T)
    out: FloatArray = np.minimum(np.exp(a_T - ll), 1.0)
    return out


def pareto_nbd_p_alive_ahead(
    theta: FloatArray, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r"""Pareto/NBD :math:`P(\text{alive at } T+t)` per customer with columns ``theta``:
    :func:`pareto_nbd_p_alive` times the survival of the next ``t`` of a customer alive at
    ``T``, whose dropout rate is then :math:`\text{Gamma}(s, \beta+T)`:
    :math:`\bigl(\frac{\beta+T}{\beta+T+t}\bigr)^{s}` (note 008; the per-customer
    columns of :func:`relmark.clv.paretonbd.p_alive_ahead`)."""
    s, beta = theta[:, 2], theta[:, 3]
    alive = pareto_nbd_p_alive(theta, x, tx, T)
    out: FloatArray = alive * np.exp(-s * np.log1p(t / (beta + T)))
    return out


def pareto_nbd_conditional_expected_purchases(
    theta: FloatArray, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r"""Pareto/NBD expected purchases in :math:`(T, T+t]` per customer (Fader, Hardie & Lee
    2005):

    .. math:: P(\text{alive})\,\frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
        \Bigl[1 - \Bigl(\frac{\beta+T}{\beta+T+t}\Bigr)^{s-1}\Bigr]

    with its :math:`s = 1` limit, through ``exprel`` as :mod:`relmark.clv.paretonbd` does."""
    r, alpha, s, beta = theta[:, 0], theta[:, 1], theta[:, 2], theta[:, 3]
    alive = pareto_nbd_p_alive(theta, x, tx, T)
    beta_t = beta + T
    log_ratio = -np.log1p(t / beta_t)
    rate = (r + x) / (alpha + T)
    out: FloatArray = rate * beta_t * (-log_ratio) * exprel((s - 1.0) * log_ratio) * alive
    return out
