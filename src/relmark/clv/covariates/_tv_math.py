r"""The mathematics of the Pareto/NBD with piecewise-constant time-varying covariates.

Bachmann, Meierer & Näf (2021), "The role of time-varying contextual factors in latent attrition
models for customer base analysis", *Marketing Science* 40(4):783-809.

A customer's clock starts at their first purchase. On the period grid their covariates are
constant within each period :math:`k`; while alive they buy at rate
:math:`\lambda\,a(t)`, :math:`a(t) = e^{\gamma_P^\top z_P(t)}`, and drop out at hazard
:math:`\mu\,b(t)`, :math:`b(t) = e^{\gamma_L^\top z_L(t)}`, with
:math:`\lambda \sim \text{Gamma}(r, \alpha)` and :math:`\mu \sim \text{Gamma}(s, \beta)`. With
:math:`A(t) = \int_0^t a`, :math:`B(t) = \int_0^t b` (piecewise linear), integrating out
:math:`\lambda` and :math:`\mu` gives the likelihood of :math:`(x, t_x, T)`

.. math::

    L = a(t_x)\Bigl(\frac{A(t_x)}{t_x}\Bigr)^{x-1}
        \frac{\Gamma(r+x)\,\alpha^r\beta^s}{\Gamma(r)} \Bigl[
        \frac{1}{(\alpha+A(T))^{r+x}(\beta+B(T))^{s}}
        + s \int_{t_x}^{T} \frac{b(\omega)\,d\omega}
          {(\alpha+A(\omega))^{r+x}(\beta+B(\omega))^{s+1}} \Bigr]

(the first factor only for :math:`x \ge 1`: it is the density of the last purchase time
under the inhomogeneous Poisson process, without its parameter-free factor
:math:`t_x^{x-1}/(x-1)!`; with constant covariates it is :math:`a^x`, and the likelihood is the
static-covariate one with :math:`\alpha e^{-\gamma_P^\top z}`, :math:`\beta e^{-\gamma_L^\top z}`).

Within one period the integrand is :math:`b\,(P+au)^{-(r+x)}(Q+bu)^{-(s+1)}`, whose integral
is a difference of two Gauss hypergeometric functions (the closed form of Bachmann et al.).
relmark evaluates each period's integral by Gauss-Legendre quadrature on panels small enough
that the integrand's logarithm changes by at most 1 and its singularities lie at least two
panel lengths away (error below :math:`10^{-12}` relative, checked against mpmath in the
tests), which also gives the exact gradient of that value at the same cost.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import roots_legendre

from relmark._validation import FloatArray
from relmark.clv._special import digamma_rising, log_rising

__all__ = [
    "Prepared",
    "expected_purchases",
    "log_likelihood_and_grad",
    "p_alive",
    "p_alive_ahead",
    "prepare",
    "simulate_rfm",
]

IntArray = npt.NDArray[np.intp]

_NODES, _WEIGHTS = roots_legendre(6)
_NODES01 = (_NODES + 1.0) / 2.0  # on [0, 1]
_WEIGHTS01 = _WEIGHTS / 2.0
_MAX_PANELS = 4096
_NODES4, _WEIGHTS4 = roots_legendre(4)
_NODES4 = (_NODES4 + 1.0) / 2.0
_WEIGHTS4 = _WEIGHTS4 / 2.0
_LOW_DELTA = 0.375
"""Cells whose integrand's log changes by at most this (and whose singularities lie 8 cell
lengths away) take 4 nodes, the others 6 per panel (errors below 1e-12 relative)."""


class Prepared:
    """Parameter-free arrays of one data set (exposures per period, active cells).

    Attributes
    ----------
    x, tx, T
        Frequency, recency, age, shape ``(n,)``.
    zp, zl
        Covariates ``(n, K, kP)`` and ``(n, K, kL)`` (0 outside each customer's window).
    h
        Exposure of each period within ``[first purchase, T]``, ``(n, K)``.
    pre
        Exposure within ``[first purchase, first purchase + t_x]``, ``(n, K)``.
    cell_tx
        The period of the last purchase (``x >= 1``), ``(n,)``.
    act_i, act_k, act_d
        Customer, period and exposure of every period overlapping ``(t_x, T]``.
    """

    def __init__(
        self,
        x: FloatArray,
        tx: FloatArray,
        T: FloatArray,
        zp: FloatArray,
        zl: FloatArray,
        h: FloatArray,
        pre: FloatArray,
        cell_tx: IntArray,
    ) -> None:
        self.x, self.tx, self.T = x, tx, T
        self.zp, self.zl, self.h, self.pre, self.cell_tx = zp, zl, h, pre, cell_tx
        post = h - pre
        post[post < 1e-12 * np.maximum(h, 1.0)] = 0.0
        self.act_i, self.act_k = np.nonzero(post > 0)
        self.act_d = post[self.act_i, self.act_k]
        self.act_flat = self.act_i * h.shape[1] + self.act_k
        self.act_zp = zp[self.act_i, self.act_k]
        self.act_zl = zl[self.act_i, self.act_k]
        n = x.shape[0]
        counts = np.bincount(self.act_i, minlength=n)
        self.act_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.act_count = counts

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.x.shape[0])

    def subset(self, rows: IntArray) -> Prepared:
        """The same arrays for some customers."""
        return Prepared(
            self.x[rows],
            self.tx[rows],
            self.T[rows],
            self.zp[rows],
            self.zl[rows],
            self.h[rows],
            self.pre[rows].copy(),
            self.cell_tx[rows],
        )


def exposures(
    first: FloatArray, end: FloatArray, grid_start: float, period_length: float, n_periods: int
) -> FloatArray:
    """Length of the overlap of each period with ``[first, end]``, ``(n, K)``."""
    lo = grid_start + period_length * np.arange(n_periods, dtype=np.float64)
    hi = lo + period_length
    out: FloatArray = np.clip(
        np.minimum(hi[None, :], end[:, None]) - np.maximum(lo[None, :], first[:, None]), 0.0, None
    )
    return out


def prepare(
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    zp: FloatArray,
    zl: FloatArray,
    *,
    first: FloatArray,
    grid_start: float,
    period_length: float,
) -> Prepared:
    """Exposures and active periods of customers whose first purchase is at ``first`` (on the
    grid's axis), with covariates ``zp``/``zl`` of shape ``(n, K, k)`` on that grid."""
    n_periods = zp.shape[1]
    h = exposures(first, first + T, grid_start, period_length, n_periods)
    pre = exposures(first, first + tx, grid_start, period_length, n_periods)
    # left-closed periods; a purchase within 1e-9 periods of a boundary belongs to the next
    cell = np.floor((first + tx - grid_start) / period_length + 1e-9).astype(np.intp)
    last = np.floor((first + T - grid_start) / period_length - 1e-12).astype(np.intp)
    cell = np.clip(np.minimum(cell, last), 0, n_periods - 1)
    return Prepared(x, tx, T, zp, zl, h, pre, cell)


def _rates(gamma: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``exp(z @ gamma)`` per customer and period, and ``z @ gamma``."""
    eta: FloatArray = z @ gamma if z.shape[2] else np.zeros(z.shape[:2])
    return np.exp(eta), eta


def log_likelihood_and_grad(
    theta: FloatArray, data: Prepared, kp: int, *, grad: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and its gradient in
    ``theta = [r, alpha, s, beta, gamma_P..., gamma_L...]`` (``(n,)`` and ``(n, 4 + kP + kL)``).
    """
    r, alpha, s, beta = (float(v) for v in theta[:4])
    gp = np.asarray(theta[4 : 4 + kp], dtype=np.float64)
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    kl = gl.shape[0]
    n = data.n
    x, tx = data.x, data.tx
    a, eta_p = _rates(gp, data.zp)
    b, _ = _rates(gl, data.zl)
    ah, bh, ap = a * data.h, b * data.h, a * data.pre
    a_T, b_T, a_tx = ah.sum(axis=1), bh.sum(axis=1), ap.sum(axis=1)
    p = r + x
    q = s + 1.0
    lA_T, lB_T = np.log(alpha + a_T), np.log(beta + b_T)
    l_alive = -p * lA_T - s * lB_T

    # --- active cells: the integral over (t_x, T]
    ci, cd = data.act_i, data.act_d
    a_c, b_c = a.ravel()[data.act_flat], b.ravel()[data.act_flat]
    ad, bd = a_c * cd, b_c * cd
    cum_a = np.cumsum(ad) - ad  # exclusive cumulative sums, per customer below
    cum_b = np.cumsum(bd) - bd
    first_of = data.act_start[ci]
    cum_a -= cum_a[first_of]
    cum_b -= cum_b[first_of]
    P0 = alpha + a_tx[ci] + cum_a
    # B at t_x: B(T) minus what accrues after t_x
    b_post = np.bincount(ci, weights=bd, minlength=n)
    b_tx = b_T - b_post
    Q0 = beta + b_tx[ci] + cum_b
    pc = p[ci]
    ya, yb = ad / P0, bd / Q0
    # the panels' budget: log-change of the integrand <= 1, singularities >= 3 panels away
    delta = np.maximum(pc * ya + q * yb, 3.0 * np.maximum(ya, yb))
    m = np.clip(np.ceil(delta), 1.0, _MAX_PANELS).astype(np.intp)
    # reference for log-sum-exp: the integrand at the start of the first active cell
    ref = l_alive.copy()
    has = data.act_count > 0
    start_val = np.full(n, -np.inf)
    if ci.size:
        start_val[has] = (math.log(s) - pc * np.log(P0) - q * np.log(Q0))[data.act_start[has]]
    ref = np.maximum(ref, start_val)

    sums = np.empty((7, ci.shape[0]))
    low = delta <= _LOW_DELTA
    for group, nodes, weights in ((low, _NODES4, _WEIGHTS4), (~low, _NODES01, _WEIGHTS01)):
        rows = np.flatnonzero(group)
        if rows.size:
            sums[:, rows] = _cell_sums(
                P0[rows],
                Q0[rows],
                a_c[rows],
                b_c[rows],
                cd[rows],
                pc[rows],
                q,
                math.log(s) - ref[ci[rows]],
                m[rows] if nodes is _NODES01 else None,
                nodes,
                weights,
            )
    F0, FlP, FlQ, F1, F2, G1, G2 = sums
    I_c = b_c * F0  # s * integral over the cell, scaled by exp(-ref)
    S_int = np.bincount(ci, weights=I_c, minlength=n)
    E = np.exp(l_alive - ref)
    S = E + S_int
    logS = ref + np.log(S)

    x1 = x >= 1
    with np.errstate(divide="ignore", invalid="ignore"):
        l_tx_term = np.where(
            x1,
            eta_p[np.arange(n), data.cell_tx]
            + (x - 1.0) * (np.log(np.where(x1, a_tx, 1.0)) - np.log(np.where(x1, tx, 1.0))),
            0.0,
        )
    ll = log_rising(r, x) + r * math.log(alpha) + s * math.log(beta) + l_tx_term + logS
    if not grad:
        return ll, np.empty((n, 0))

    k = 4 + kp + kl
    g = np.zeros((n, k))

    def per_cust(v: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(ci, weights=v, minlength=n), dtype=np.float64)

    # d S / d theta (scaled by exp(-ref))
    dS = np.zeros((n, k))
    dS[:, 0] = -lA_T * E - per_cust(b_c * FlP)
    dS[:, 1] = -p / (alpha + a_T) * E - p * per_cust(b_c * F1)
    dS[:, 2] = -lB_T * E - per_cust(b_c * FlQ) + S_int / s
    dS[:, 3] = -s / (beta + b_T) * E - q * per_cust(b_c * G1)
    # Effects: sum_c w1_c DA_c with DA_c = DA(t_x) + sum_{c' < c} ad_c' z_c' (the purchase
    # clock's derivative at the cell's start) is DA(t_x) sum_c w1_c + sum_c' ad_c' z_c' W_c',
    # W_c' = sum of w1 over the customer's later cells: one weight per cell, no (cells, k)
    # cumulative sums.
    has_cells = data.act_count > 0
    seg = data.act_start[has_cells]
    last = (data.act_start + data.act_count - 1)[ci]

    def later(v: FloatArray) -> FloatArray:
        cs = np.cumsum(v)
        return np.asarray(cs[last] - cs, dtype=np.float64)

    def by_customer(m: FloatArray) -> FloatArray:
        out = np.zeros((n, m.shape[1]))
        if m.shape[0]:
            out[has_cells] = np.add.reduceat(m, seg, axis=0)
        return out

    if kp:
        dA_T = np.einsum("ik,ikj->ij", ah, data.zp)
        dA_tx = np.einsum("ik,ikj->ij", ap, data.zp)
        w1 = -b_c * pc * F1
        omega = ad * later(w1) - b_c * pc * a_c * F2
        dS[:, 4 : 4 + kp] = (
            (-p / (alpha + a_T) * E)[:, None] * dA_T
            + dA_tx * per_cust(w1)[:, None]
            + by_customer(data.act_zp * omega[:, None])
        )
        # the last-purchase factor
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(x1, (x - 1.0) / np.where(x1, a_tx, 1.0), 0.0)
        g[:, 4 : 4 + kp] = (
            np.where(x1[:, None], data.zp[np.arange(n), data.cell_tx], 0.0) + ratio[:, None] * dA_tx
        )
    if kl:
        dB_T = np.einsum("ik,ikj->ij", bh, data.zl)
        zc = data.act_zl
        dB_tx = dB_T - by_customer(zc * bd[:, None])
        w1 = -b_c * q * G1
        omega = I_c + bd * later(w1) - b_c * q * b_c * G2
        dS[:, 4 + kp :] = (
            (-s / (beta + b_T) * E)[:, None] * dB_T
            + dB_tx * per_cust(w1)[:, None]
            + by_customer(zc * omega[:, None])
        )
    g += dS / S[:, None]
    g[:, 0] += digamma_rising(r, x) + math.log(alpha)
    g[:, 1] += r / alpha
    g[:, 2] += math.log(beta)
    g[:, 3] += s / beta
    return ll, g


def _cell_sums(
    P0: FloatArray,
    Q0: FloatArray,
    a_c: FloatArray,
    b_c: FloatArray,
    cd: FloatArray,
    pc: FloatArray,
    q: float,
    shift: FloatArray,
    m: IntArray | None,
    nodes: FloatArray,
    weights: FloatArray,
) -> FloatArray:
    r"""Gauss-Legendre sums over the cells' panels: rows :math:`\int f`,
    :math:`\int f\ln P`, :math:`\int f\ln Q`, :math:`\int f/P`, :math:`\int f u/P`,
    :math:`\int f/Q`, :math:`\int f u/Q` with :math:`f = e^{shift}P^{-p}Q^{-q}`,
    :math:`P = P_0 + a u`, :math:`Q = Q_0 + b u` over each cell (``m`` panels each, or one)."""
    nc = P0.shape[0]
    if m is not None and bool((m > 1).any()):
        cell_of = np.repeat(np.arange(nc), m)
        panel_no = (np.arange(cell_of.shape[0]) - np.repeat(np.cumsum(m) - m, m)).astype(float)
        width = cd[cell_of] / m[cell_of]
        panels = _node_sums(
            P0[cell_of] + a_c[cell_of] * panel_no * width,
            Q0[cell_of] + b_c[cell_of] * panel_no * width,
            a_c[cell_of],
            b_c[cell_of],
            width,
            pc[cell_of],
            q,
            shift[cell_of],
            nodes,
            weights,
        )
        # u was measured from each panel's start: shift the u-moments to the cell's start
        panels[4] += panel_no * width * panels[3]
        panels[6] += panel_no * width * panels[5]
        out = np.empty((7, nc))
        for j in range(7):
            out[j] = np.bincount(cell_of, weights=panels[j], minlength=nc)
        return out
    return _node_sums(P0, Q0, a_c, b_c, cd, pc, q, shift, nodes, weights)


def _node_sums(
    P0: FloatArray,
    Q0: FloatArray,
    a_c: FloatArray,
    b_c: FloatArray,
    width: FloatArray,
    pc: FloatArray,
    q: float,
    shift: FloatArray,
    nodes: FloatArray,
    weights: FloatArray,
) -> FloatArray:
    """The seven sums of :func:`_cell_sums` over one panel per row, node by node (contiguous
    vectors: several times faster than a rows x nodes array reduced along its short axis)."""
    out = np.zeros((7, P0.shape[0]))
    u = np.empty_like(P0)
    Pn = np.empty_like(P0)
    Qn = np.empty_like(P0)
    lP = np.empty_like(P0)
    lQ = np.empty_like(P0)
    wf = np.empty_like(P0)
    tmp = np.empty_like(P0)
    for node, weight in zip(nodes.tolist(), weights.tolist(), strict=True):
        np.multiply(width, node, out=u)
        np.multiply(a_c, u, out=Pn)
        Pn += P0
        np.multiply(b_c, u, out=Qn)
        Qn += Q0
        np.log(Pn, out=lP)
        np.log(Qn, out=lQ)
        np.multiply(pc, lP, out=wf)
        np.subtract(shift, wf, out=wf)
        np.multiply(lQ, q, out=tmp)
        wf -= tmp
        np.exp(wf, out=wf)
        np.multiply(width, weight, out=tmp)
        wf *= tmp
        out[0] += wf
        np.multiply(wf, lP, out=tmp)
        out[1] += tmp
        np.multiply(wf, lQ, out=tmp)
        out[2] += tmp
        np.divide(wf, Pn, out=tmp)
        out[3] += tmp
        tmp *= u
        out[4] += tmp
        np.divide(wf, Qn, out=tmp)
        out[5] += tmp
        tmp *= u
        out[6] += tmp
    return out


def _log_alive_odds(theta: FloatArray, data: Prepared, kp: int) -> tuple[FloatArray, FloatArray]:
    """``(log alive term, log bracket)`` of each customer."""
    r, alpha, s, beta = (float(v) for v in theta[:4])
    ll, _ = log_likelihood_and_grad(theta, data, kp, grad=False)
    gp = np.asarray(theta[4 : 4 + kp], dtype=np.float64)
    a, eta_p = _rates(gp, data.zp)
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    b, _ = _rates(gl, data.zl)
    a_T, b_T = (a * data.h).sum(axis=1), (b * data.h).sum(axis=1)
    p = r + data.x
    l_alive = -p * np.log(alpha + a_T) - s * np.log(beta + b_T)
    a_tx = (a * data.pre).sum(axis=1)
    n = data.n
    x1 = data.x >= 1
    with np.errstate(divide="ignore", invalid="ignore"):
        l_tx_term = np.where(
            x1,
            eta_p[np.arange(n), data.cell_tx]
            + (data.x - 1.0)
            * (np.log(np.where(x1, a_tx, 1.0)) - np.log(np.where(x1, data.tx, 1.0))),
            0.0,
        )
    const = log_rising(r, data.x) + r * math.log(alpha) + s * math.log(beta) + l_tx_term
    return l_alive, ll - const


def p_alive(theta: FloatArray, data: Prepared, kp: int) -> FloatArray:
    r"""P(alive at T): :math:`(\alpha+A_T)^{-(r+x)}(\beta+B_T)^{-s} / [\cdot]`."""
    l_alive, l_bracket = _log_alive_odds(theta, data, kp)
    out: FloatArray = np.exp(np.minimum(l_alive - l_bracket, 0.0))
    return out


def p_alive_ahead(
    theta: FloatArray,
    data: Prepared,
    kp: int,
    future_b: FloatArray,
    future_len: FloatArray,
) -> FloatArray:
    r"""P(alive at :math:`T+t`) with the future periods' dropout multipliers ``future_b`` and
    exposures ``future_len`` (``(n, J)`` each). Alive at :math:`T`, the dropout rate given the
    data is :math:`\mu \sim \text{Gamma}(s, \beta+B(T))` (the alive term of the likelihood
    factorises in :math:`\lambda` and :math:`\mu`), and the lifetime has hazard
    :math:`\mu\,b(u)`, so

    .. math:: P(\text{alive at } T+t) = P(\text{alive at } T)
        \Bigl(\frac{\beta+B(T)}{\beta+B(T+t)}\Bigr)^{s},
        \qquad B(T+t) = B(T) + \textstyle\sum_j b_j \ell_j .
    """
    s, beta = float(theta[2]), float(theta[3])
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    b, _ = _rates(gl, data.zl)
    q0 = beta + (b * data.h).sum(axis=1)
    extra = (future_b * future_len).sum(axis=1)
    out: FloatArray = p_alive(theta, data, kp) * np.exp(-s * np.log1p(extra / q0))
    return out


def expected_purchases(
    theta: FloatArray,
    data: Prepared,
    kp: int,
    future_a: FloatArray,
    future_b: FloatArray,
    future_len: FloatArray,
) -> FloatArray:
    r"""Expected purchases in :math:`(T, T+t]` given the data, with the future periods' rate
    multipliers ``future_a``/``future_b`` and exposures ``future_len`` (``(n, J)`` each):

    .. math:: E = P(\text{alive})\,\frac{r+x}{\alpha+A_T}\sum_j a_j\,
        \frac{Q_{j-1}^{\,1-s} - Q_j^{\,1-s}}{(s-1)\,b_j}\,(\beta+B_T)^s,
        \qquad Q_j = \beta + B_T + \textstyle\sum_{i\le j} b_i \ell_i

    (a logarithm for :math:`s = 1`).
    """
    r, alpha, s, beta = (float(v) for v in theta[:4])
    gp = np.asarray(theta[4 : 4 + kp], dtype=np.float64)
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    a, _ = _rates(gp, data.zp)
    b, _ = _rates(gl, data.zl)
    a_T, b_T = (a * data.h).sum(axis=1), (b * data.h).sum(axis=1)
    q0 = beta + b_T
    q_hi = q0[:, None] + np.cumsum(future_b * future_len, axis=1)
    q_lo = q_hi - future_b * future_len
    # integral of (q0 / Q(u))^s over each future period, in the dropout clock
    if abs(s - 1.0) < 1e-9:
        seg = np.log(q_hi / q_lo) * q0[:, None]
    else:
        lr_lo, lr_hi = np.log(q_lo / q0[:, None]), np.log(q_hi / q0[:, None])
        # q0 * [ (q_lo/q0)^(1-s) - (q_hi/q0)^(1-s) ] / (s - 1)
        seg = q0[:, None] * (np.exp((1.0 - s) * lr_lo) - np.exp((1.0 - s) * lr_hi)) / (s - 1.0)
    total = (future_a / future_b * seg).sum(axis=1)
    out: FloatArray = p_alive(theta, data, kp) * (r + data.x) / (alpha + a_T) * total
    return out


_NODES16, _WEIGHTS16 = roots_legendre(16)
_NODES16 = (_NODES16 + 1.0) / 2.0
_WEIGHTS16 = _WEIGHTS16 / 2.0


def discounted_purchases(
    theta: FloatArray,
    data: Prepared,
    kp: int,
    future_a: FloatArray,
    future_b: FloatArray,
    future_len: FloatArray,
    discount_rate: float,
) -> FloatArray:
    r"""Expected purchases in :math:`(T, T+t]` discounted continuously at rate :math:`\delta`:

    .. math:: P(\text{alive})\,\frac{r+x}{\alpha+A_T}\int_T^{T+t} e^{-\delta(u-T)}\,a(u)
        \Bigl(\frac{\beta+B_T}{\beta+B(u)}\Bigr)^{s}du,

    each future period's integral by 16-point Gauss-Legendre quadrature (the integrand is a
    smooth product of an exponential and a power of a linear function within a period).
    """
    r, alpha, s, beta = (float(v) for v in theta[:4])
    gp = np.asarray(theta[4 : 4 + kp], dtype=np.float64)
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    a, _ = _rates(gp, data.zp)
    b, _ = _rates(gl, data.zl)
    a_T, b_T = (a * data.h).sum(axis=1), (b * data.h).sum(axis=1)
    q0 = beta + b_T
    q_lo = q0[:, None] + np.cumsum(future_b * future_len, axis=1) - future_b * future_len
    offset = np.cumsum(future_len, axis=1) - future_len
    v = future_len[:, :, None] * _NODES16[None, None, :]
    ratio = np.log(q0[:, None, None]) - np.log(q_lo[:, :, None] + future_b[:, :, None] * v)
    f = np.exp(s * ratio - discount_rate * (offset[:, :, None] + v))
    seg = (f * _WEIGHTS16[None, None, :]).sum(axis=2) * future_len
    total = (future_a * seg).sum(axis=1)
    out: FloatArray = p_alive(theta, data, kp) * (r + data.x) / (alpha + a_T) * total
    return out


def _invert(cum: FloatArray, rate: FloatArray, lo: FloatArray, target: FloatArray) -> FloatArray:
    """The time at which a piecewise-linear clock (``cum`` at each period's end, slope
    ``rate``, period starts ``lo``) reaches ``target`` (one per row; inf beyond the end)."""
    n, _ = cum.shape
    k = (cum < target[:, None]).sum(axis=1)
    out = np.full(n, np.inf)
    inside = k < cum.shape[1]
    rows = np.flatnonzero(inside)
    kk = k[inside]
    before = np.where(kk > 0, cum[rows, np.maximum(kk - 1, 0)], 0.0)
    out[inside] = lo[rows, kk] + (target[inside] - before) / rate[rows, kk]
    return out


def simulate_rfm(
    theta: FloatArray,
    kp: int,
    zp: FloatArray,
    zl: FloatArray,
    h: FloatArray,
    starts: FloatArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Simulate the individual-level model: ``(x, t_x, lambda, mu, lifetime)`` per customer.

    ``h`` is each period's exposure within the customer's window, ``starts`` the time (on the
    customer's clock) at which each period's exposure begins.
    """
    r, alpha, s, beta = (float(v) for v in theta[:4])
    gp = np.asarray(theta[4 : 4 + kp], dtype=np.float64)
    gl = np.asarray(theta[4 + kp :], dtype=np.float64)
    a, _ = _rates(gp, zp)
    b, _ = _rates(gl, zl)
    n = zp.shape[0]
    lam = np.asarray(rng.gamma(r, 1.0 / alpha, size=n), dtype=np.float64)
    mu = np.asarray(rng.gamma(s, 1.0 / beta, size=n), dtype=np.float64)
    cum_b = np.cumsum(b * h, axis=1)
    life = _invert(cum_b, b, starts, np.asarray(rng.exponential(size=n), np.float64) / mu)
    T = h.sum(axis=1)
    end = np.minimum(life, T)
    cum_a = np.cumsum(a * h, axis=1)
    lo = starts
    hi = starts + h
    a_end = (a * np.clip(np.minimum(hi, end[:, None]) - lo, 0.0, h)).sum(axis=1)
    x = rng.poisson(lam * a_end).astype(np.float64)
    with np.errstate(divide="ignore"):
        top = a_end * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1.0))
    tx = np.where(x > 0, _invert(cum_a, a, starts, top), 0.0)
    tx = np.asarray(np.minimum(tx, end), dtype=np.float64)
    return np.asarray(x, dtype=np.float64), tx, lam, mu, life
