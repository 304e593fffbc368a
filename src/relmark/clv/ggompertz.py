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
has no closed form; it is computed with Gauss-Legendre panels after the substitution
:math:`w = m \ln\frac{\alpha+\tau}{\alpha+t_x}` (:math:`m = \max(r+x, 1)`), which turns the
power :math:`(\alpha+\tau)^{-(r+x)}` into (about) :math:`e^{-w}`. The panels follow each part of
the integrand: equal steps in :math:`w` for the power, equal steps in :math:`\tau` for the
Gompertz density's :math:`e^{-sb\tau}`, and steps graded away from the pole of the density at
:math:`\tau = \ln(1-\beta)/b` when :math:`\beta < 1`; each panel gets 8, 12 or 16 nodes by a
bound on its variation (:func:`_dead`). The tests check it against mpmath's adaptive quadrature
(1e-9 in :math:`\ln L`; 2e-10 measured on 150 random parameters and histories, up to
:math:`x = 500` and :math:`T = 1000`).

Fitting on whole-number times (whole days) does not integrate each row: the dead term is a
difference of tails, :math:`C_x(t_x) - C_x(T)`, and the tails at every whole time of each
distinct frequency are sums of unit cells computed once per evaluation (:data:`SHARED`).

The model nests the Pareto/NBD: as :math:`b \to 0` with :math:`\beta/b` fixed,
:math:`S(t) \to (1 + t b/\beta)^{-s}`, the Pareto/NBD's lifetime with scale :math:`\beta/b`.
:math:`b` sets how the dropout hazard changes with age: the individual hazard is
:math:`\eta b e^{bt}`, rising with time since the first purchase. Where the data show no such
rise (CDNOW) the likelihood is largest at that limit, on the boundary of :math:`b`'s domain:
:meth:`GGompertzNBD.fit` reports such an estimate as a boundary estimate (``fit_result.extra
["boundary"]``), and :func:`pareto_nbd_lr_test` tests the Pareto/NBD against the model with the
boundary's 50:50 mixture of :math:`\chi^2_0` and :math:`\chi^2_1`. Bemmaor & Glady's (2012)
Table 2 estimates on CDNOW (:math:`b = 0.0002`, log-likelihood -9594.98) lie on the flat ridge
towards it, 0.0016 below the supremum -9594.974 (the tests reproduce them on the profile).

Predictions: P(alive) is the first term's share of
:math:`L`; a customer alive at :math:`T` has :math:`\lambda \sim \text{Gamma}(r+x, \alpha+T)`
and :math:`\eta \sim \text{Gamma}(s, \beta + e^{bT} - 1)`, so that

.. math::

    E[Y(t) \mid x, t_x, T] = P(\text{alive})\,\frac{r+x}{\alpha+T}
        \int_0^t \Bigl(\frac{\beta + e^{bT} - 1}{\beta + e^{b(T+u)} - 1}\Bigr)^{s} du.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln
from scipy.stats import chi2

from relmark._validation import FloatArray, is_json_number
from relmark.clv._base import RngLike, fit_restricted, fit_time_unit
from relmark.clv._engine import (
    Likelihood,
    Progress,
    SharedTerms,
    one_blas_thread,
    progress_callback,
)
from relmark.clv._params import Param, ParamSet, Prior
from relmark.clv._result import FitResult
from relmark.clv._rfm import Predictions, RFMModel, as_rng
from relmark.clv._special import digamma_rising, log_rising
from relmark.clv.paretonbd import ParetoNBD, _check_time_scale, _log_typical_age
from relmark.errors import (
    ArgumentError,
    ConvergenceError,
    ConvergenceWarning,
    ModelNotFittedError,
    SchemaError,
)

__all__ = [
    "GGompertzNBD",
    "conditional_expected_purchases",
    "expected_purchases_new_customer",
    "log_likelihood",
    "p_alive",
    "pareto_nbd_lr_test",
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

_CHUNK = 2048
"""Rows per pass of the likelihood's quadrature (its temporaries stay in cache)."""

_VARIATION = 8.0
"""Largest variation of the log of each part of the dead term's integrand (the power, the
Gompertz density) over one panel (:func:`_dead`)."""

_NODES_FOR = ((2.5, 8), (8.0, 12), (16.0, 16))
"""Gauss-Legendre nodes for a panel by the bound on the variation of the log of its integrand:
on :math:`e^{-Vu}`, 8 nodes err 4e-14 relative at :math:`V = 4`, 12 nodes 2e-16 at 8 and
16 nodes 2e-15 at 16 (1e-11 at 32)."""

_GRADING = 3.0
"""Panels graded away from the singularity of the Gompertz density's :math:`\\ln I` (a pole of
order :math:`s+1` of the density) end at most this many times as far from it as they start."""

_CUT = 40.0
"""Where the power decays, the dead term's interval ends once the integrand has fallen by
:math:`e^{-40}` (a relative error below 1e-16)."""

_POLE_VARIATION = 6.0 * math.log(_GRADING)
"""The most the log of the Gompertz density's :math:`I^{-(s+1)}` varies over one graded panel:
:math:`(s+1)\\ln 3` for :math:`s \\le 5` (ratio :data:`_GRADING`); for larger :math:`s` the
panels' ratio shrinks to :math:`e^{6 \\ln 3/(s+1)}`, so that a strong pole (a large
:math:`s`) keeps the variation per panel within what 16 nodes integrate (see :func:`_dead`)."""

_MAX_PANELS = 4096
"""At most this many panels of each kind per row (equal in :math:`w`, equal in :math:`\\tau`,
graded): more are asked only at parameters far from any data (an optimiser's trial step, an
age of 1e300), where they bound the work and memory instead of raising."""

_TINY = float(np.finfo(np.float64).tiny)
"""The weight (as a width) of a panel of zero width, whose log must stay finite."""

_NODE_BUDGET = 1 << 18
"""Quadrature nodes per pass (rows times nodes per row): rows with many panels pass in smaller
groups, so that the temporaries stay bounded."""


@cache
def _gauss(nodes: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    u, v = (x + 1.0) / 2.0, w / 2.0
    u.setflags(write=False)
    v.setflags(write=False)
    return u, v


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
    c0, l1, g1 = _alive(params, x, T, grad)
    l2, g2 = _dead(params, x, tx, T, grad)
    return c0, l1, l2, g1, g2


def _alive(
    params: FloatArray, x: FloatArray, T: FloatArray, grad: bool
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """The constant :math:`\\ln\\Gamma(r+x) - \\ln\\Gamma(r)`, the log of the alive term
    :math:`\\alpha^r (\\alpha+T)^{-(r+x)} S(T)` and (with ``grad``) its gradient.

    The rising factorial by :func:`relmark.clv._special.log_rising` and :math:`r\\ln\\alpha -
    (r+x)\\ln(\\alpha+T)` as :math:`-r\\,\\mathrm{log1p}(T/\\alpha) - x\\ln(\\alpha+T)`, its
    derivatives as :math:`-\\mathrm{log1p}(T/\\alpha)` and :math:`(rT/\\alpha - x)/(\\alpha+T)`:
    the plain differences have no digit left at :math:`r = 10^{15}`."""
    r, a, b, s, beta = params
    c0 = log_rising(r, x)
    log_beta = np.log(beta)
    log_aT = np.log(a + T)
    log_ra = -np.log1p(T / a)  # ln a - ln(a + T)
    log_dT = _log_d(b, beta, T)
    l1 = r * log_ra - x * log_aT + s * (log_beta - log_dT)
    g1 = None
    if grad:
        g1 = np.column_stack(
            [
                log_ra,
                (r * T / a - x) / (a + T),  # r / a - (r + x) / (a + T)
                -s * T * _q(b, beta, T),
                log_beta - log_dT,
                s / beta - s * np.exp(-log_dT),
            ]
        )
    return c0, l1, g1


def _dead(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, grad: bool
) -> tuple[FloatArray, FloatArray | None]:
    r"""The log of the dead term :math:`\int_{t_x}^T \alpha^r (\alpha+\tau)^{-(r+x)}
    f(\tau)\,d\tau` (``-inf`` when :math:`t_x = T`) and (with ``grad``) its gradient
    divided by it.

    On :math:`w = m' \ln\frac{\alpha+\tau}{\alpha+t_x}` (:math:`m' = \max(r+x, 1)`) the log
    of the integrand is :math:`(1-r-x)\ln(\alpha+\tau) - s b\tau - (s+1)\ln I(\tau)` plus a
    constant, :math:`I = \beta e^{-b\tau} + 1 - e^{-b\tau}`. Each part is monotone, so its
    variation over a panel is bounded: the power's, :math:`|1-r-x|/m'` per unit of :math:`w`;
    the Gompertz part's, :math:`s b + (s+1) b|\beta-1| e^{-b t_x}/I(t_x)` per unit of
    :math:`\tau` (or its total over the interval). The panels are the union of equal steps in
    :math:`w` and in :math:`\tau` that keep each part's variation within :data:`_VARIATION`, and
    each panel gets 8, 12 or 16 Gauss-Legendre nodes by the bound on its variation (a
    variation of 16 costs 16 nodes 2e-15 relative, see :data:`_NODES_FOR`). Where the power
    decays (:math:`r + x > 1`) the interval ends once it has fallen by :math:`e^{-40}` more
    than the Gompertz part can rise.
    """
    r, a, b, s, beta = params
    m = r + x
    log_beta = np.log(beta)
    n = x.shape[0]
    l2 = np.full(n, -np.inf)
    g2 = np.zeros((n, 5)) if grad else None
    live = np.flatnonzero(tx < T)
    if live.size == 0:
        return l2, g2
    m_l, tx_l, T_l, x_l = m[live], tx[live], T[live], x[live]
    pm = np.maximum(m_l, 1.0)
    log_atx = np.log(a + tx_l)
    W = pm * np.log1p((T_l - tx_l) / (a + tx_l))
    inner_tx = beta * np.exp(-b * tx_l) - np.expm1(-b * tx_l)
    inner_T = beta * np.exp(-b * T_l) - np.expm1(-b * T_l)
    rise = (s + 1.0) * np.abs(np.log(inner_T / inner_tx))  # most the ln I part can vary
    v_pow_all = np.abs(1.0 - m_l) / pm * W
    decay = (m_l - 1.0) / pm  # the power's fall per unit of w
    safe = np.where(decay > 0, decay, 1.0)
    W = np.minimum(W, np.where(decay > 0, (_CUT + rise + s * b * (T_l - tx_l)) / safe, np.inf))
    # the Gompertz part falls by s b per unit of tau, the rest rises by at most rise + v_pow_all
    T_end = np.minimum(tx_l + (_CUT + rise + v_pow_all) / (s * b), T_l)
    # a strong Gompertz part (a large s) falls faster than s b: for beta < 1 its ln I part
    # falls too, by (s+1) ln(I/I_tx), which reaches _CUT + v_pow_all where
    # 1 - e^{-b(tau - tx)} = I_tx expm1(c) / ((1 - beta) e^{-b tx}), c = (_CUT + v_pow_all)/(s+1);
    # for beta > 1 the log of the part is concave, with slope b (1 - (s+1)/I_tx) at tx
    c_cut = (_CUT + v_pow_all) / (s + 1.0)
    if beta < 1.0:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            q_cut = inner_tx * np.expm1(c_cut) / ((1.0 - beta) * np.exp(-b * tx_l))
            du = -np.log1p(-np.where(q_cut < 1.0, q_cut, 0.0)) / b
        T_end = np.minimum(T_end, np.where(q_cut < 1.0, tx_l + du, np.inf))
    elif beta > 1.0:
        slope = b * ((s + 1.0) / inner_tx - 1.0)
        T_end = np.minimum(
            T_end,
            np.where(
                slope > 0, tx_l + (_CUT + v_pow_all) / np.where(slope > 0, slope, 1.0), np.inf
            ),
        )
    W = np.minimum(W, pm * np.log1p((T_end - tx_l) / (a + tx_l)))
    T_end = np.minimum(tx_l + (a + tx_l) * np.expm1(W / pm), T_end)
    span = np.maximum(T_end - tx_l, 0.0)
    # panels equal in w (the power), equal in tau (e^{-s b tau}; for beta > 1 also the poles of
    # 1/I at imaginary distance pi/b), geometric away from the singularity of ln I at
    # tau_s = ln(1 - beta)/b < 0 for beta < 1 (each panel at most 3 times its distance from it)
    v_pow = np.abs(1.0 - m_l) / pm * W
    # the Gompertz part's slope in w grows with a + tau (tau is exponential in w): bounded at
    # the end by its most per unit of tau times (a + T_end)/pm; equal steps in w keep that
    # slope times the step within _VARIATION too
    # (for beta < 1 the slope of ln I near its pole is left to the graded panels below)
    f_rate = s * b + (s + 1.0) * b * max(beta - 1.0, 0.0) * np.exp(-b * tx_l) / inner_tx
    f_w = f_rate * (a + T_end) / pm * W
    p_w = np.clip(np.ceil(np.maximum(v_pow, f_w) / _VARIATION), 1.0, _MAX_PANELS)
    p_u = np.clip(np.ceil(s * b * span / _VARIATION), 1.0, _MAX_PANELS)
    if beta > 1.0:
        p_u = np.clip(np.maximum(p_u, np.ceil(span * b / np.pi)), 1.0, _MAX_PANELS)
    log_grading = math.log(_GRADING) if s <= 5.0 else _POLE_VARIATION / (s + 1.0)
    if beta < 1.0:
        gap = tx_l - np.log1p(-beta) / b  # distance from the singularity
        log_ratio = np.log1p(span / gap)
        ratio = np.exp(log_ratio)
        p_g = np.clip(np.ceil(log_ratio / log_grading), 1.0, _MAX_PANELS)
        # 8 nodes on [1, 1.5], 12 on [1, 2], 16 on [1, 3] integrate t^-6 (a pole of order
        # s + 1 = 6) to 3e-12, 1e-13 and 1e-13 relative
        # s + 1 = 2 (and weaker poles): 8 nodes on [1, 1.5], 12 on [1, 3]: 3e-15, 7e-13
        # stronger poles (s > 5): by the variation (s+1) ln(ratio) per panel, as t^-6 on
        # [1, 1.5], [1, 2] and [1, 3] (2.4, 4.2, 6.6), on panels relatively farther from the pole
        if s <= 1.0:
            n_sing = np.where(ratio <= 1.5, 8, 12)
        elif s <= 5.0:
            n_sing = np.select([ratio <= 1.5, ratio <= 2.0], [8, 12], 16)
        else:
            v_g = (s + 1.0) * log_ratio / p_g
            n_sing = np.select(
                [v_g <= 6.0 * math.log(1.5), v_g <= 6.0 * math.log(2.0)], [8, 12], 16
            )
    else:
        gap = np.ones_like(span)
        p_g = np.ones_like(span)
        n_sing = np.full(span.shape, 8)
    bound = (v_pow + f_w) / p_w  # at least each panel's variation (its slope times width)
    n_var = np.select([bound <= _NODES_FOR[0][0], bound <= _NODES_FOR[1][0]], [8, 12], 16)
    nodes = np.maximum(n_var, n_sing)
    # the integrand's log at tx, without the power: the nodes add their offsets from it, so
    # that a strong Gompertz part (a large s), which falls within a few ulps of tx, keeps them
    log_inner_tx = np.log(inner_tx)
    # r ln a + (1 - r - x) ln(a + tx), without the cancellation of its first two terms
    const = (
        -r * np.log1p(tx_l / a)
        + (1.0 - x_l) * log_atx
        + math.log(s * b)
        + s * (log_beta - log_inner_tx)
        - log_inner_tx
        - s * b * tx_l
        - np.log(pm)
    )
    dot = "ij,ij->i"
    if not (np.all(np.isfinite(p_w)) and np.all(np.isfinite(p_u)) and np.all(np.isfinite(p_g))):
        # parameters where the panel rule is undefined (an optimiser's step to b or s of 0 or
        # inf): no value here, which the optimiser's line search refuses (was int(NaN): a raw
        # ValueError out of fit)
        return np.full(n, np.nan), (np.full((n, 5), np.nan) if grad else None)
    # rows grouped by their rule: (p_w, p_u, p_g, nodes) coded as one integer
    base = int(max(p_w.max(), p_u.max(), p_g.max())) + 1
    code = (nodes.astype(np.int64) * base + p_g.astype(np.int64)) * base + p_u.astype(np.int64)
    code = code * base + p_w.astype(np.int64)
    uniq, kind = np.unique(code, return_inverse=True)
    order = np.argsort(kind, kind="stable")
    ends = np.cumsum(np.bincount(kind, minlength=uniq.shape[0]))
    for j, c in enumerate(uniq.tolist()):
        pw, c = c % base, c // base
        pu, c = c % base, c // base
        pg, nn = c % base, c // base
        sel = order[(ends[j - 1] if j else 0) : ends[j]]
        step = max(1, min(_CHUNK, _NODE_BUDGET // ((pw + pu + pg) * nn)))
        for lo in range(0, sel.shape[0], step):
            i = sel[lo : lo + step]
            rows = live[i]
            # panel edges in w: equal steps in w and (as w) in tau, merged
            edges = [W[i, None] * np.linspace(0.0, 1.0, pw + 1)[None, :]]
            offsets = []  # edges in tau, as offsets from tx
            if pu > 1:
                offsets.append(span[i, None] * (np.arange(1, pu) / pu)[None, :])
            if pg > 1:
                offsets.append(gap[i, None] * np.expm1(log_grading * np.arange(1, pg))[None, :])
            edges.extend(pm[i, None] * np.log1p(o / (a + tx_l)[i, None]) for o in offsets)
            edges_w = np.concatenate(edges, axis=1)
            if len(edges) > 1:
                edges_w = np.minimum(np.sort(edges_w, axis=1), W[i, None])
            width = np.diff(edges_w, axis=1)
            u, v = _gauss(nn)
            w_nodes = (edges_w[:, :-1, None] + width[:, :, None] * u[None, None, :]).reshape(
                i.shape[0], -1
            )
            log_weight = (
                np.log(np.maximum(width, _TINY))[:, :, None] + np.log(v)[None, None, :]
            ).reshape(i.shape[0], -1)
            pmi = pm[i, None]
            y = w_nodes / pmi  # ln((a+tau)/(a+tx))
            em = np.expm1(y)
            atx = (a + tx_l)[i, None]
            off = atx * em  # tau - tx
            tau = off + tx_l[i, None]
            bt = b * tau
            e_neg = np.exp(-bt)
            inner = beta * e_neg - np.expm1(-bt)  # (beta + e^{bt} - 1) e^{-bt}
            # ln I(tau) - ln I(tx), from the offset: I(tau) - I(tx) = (1 - beta) e^{-b tx}
            # (1 - e^{-b off})
            rel_inner = np.log1p(
                (1.0 - beta) * np.exp(-b * tx_l[i, None]) * -np.expm1(-b * off) / inner_tx[i, None]
            )
            log_inner = log_inner_tx[i, None] + rel_inner
            # h(tau) dtau = a^r (a+tau)^-m f(tau) (a+tau)/pm dw, with
            # ln f = ln(s b) + s ln(beta) - s b tau - (s+1) ln(inner)
            log_terms = (
                (1.0 - m_l[i, None]) * y - s * b * off - (s + 1.0) * rel_inner + const[i, None]
            ) + log_weight
            top = log_terms.max(axis=1, keepdims=True)
            share = np.exp(log_terms - top)
            total = share.sum(axis=1)
            l2[rows] = top[:, 0] + np.log(total)
            if g2 is not None:
                share /= total[:, None]
                q = 1.0 / inner  # e^{b tau} / D
                s_y = np.einsum(dot, share, y)
                inv_at = 1.0 / (atx + atx * em)
                s_inv_at = np.einsum(dot, share, inv_at)
                s_tau_at = np.einsum(dot, share, tau * inv_at)
                s_tau = np.einsum(dot, share, tau)
                s_tau_q = np.einsum(dot, share, tau * q)
                s_log_inner = np.einsum(dot, share, log_inner)
                s_inv_d = np.einsum(dot, share, e_neg * q)
                # ln a - <ln(a + tau)> and r / a - (r + x) <1 / (a + tau)>, without their
                # cancellations: -log1p(tx / a) - <y> and r <tau / (a + tau)> / a - x <...>
                g2[rows, 0] = -np.log1p(tx_l[i] / a) - s_y
                g2[rows, 1] = r / a * s_tau_at - x_l[i] * s_inv_at
                g2[rows, 2] = 1.0 / b + s_tau - (s + 1.0) * s_tau_q
                g2[rows, 3] = 1.0 / s + log_beta - (b * s_tau + s_log_inner)
                g2[rows, 4] = s / beta - (s + 1.0) * s_inv_d
    return l2, g2


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
    grad[:, 0] += digamma_rising(r, x)
    out: FloatArray = c0 + total
    return out, grad


_GRID_CELLS = 1_000_000
"""At most this many unit cells (distinct frequencies times the longest age) in the fitting path
for whole-number times (:func:`_grid_keys`)."""


def _grid_keys(
    x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[tuple[npt.NDArray[Any], ...], tuple[npt.NDArray[Any], ...]]:
    r"""The fitting path's keys: on whole-number times, the distinct frequencies.

    The dead term is a difference of tails, :math:`\int_{t_x}^T = C_x(t_x) - C_x(T)` with
    :math:`C_x(t) = \int_t^{D} \alpha^r(\alpha+\tau)^{-(r+x)} f(\tau)\,d\tau` and
    :math:`D = \max T`; when :math:`t_x` and :math:`T` are whole numbers the tails at
    :math:`0, 1, \dots, D` of each distinct :math:`x` are sums of the integrals over the unit
    cells, computed once per evaluation (:func:`_grid_table`). This pays when there are fewer
    cells than rows (a million whole-day customers hold a few hundred thousand distinct rows
    but about 80 frequencies times 550 days). Otherwise (continuous times, small data) the keys
    are a placeholder and each row is integrated on its own.
    """
    n = x.shape[0]
    top = float(T.max(initial=0.0))
    xs, group = np.unique(x, return_inverse=True)
    cells = xs.shape[0] * top
    whole = bool(np.array_equal(tx, np.floor(tx)) and np.array_equal(T, np.floor(T)))
    if not whole or n == 0 or top < 1 or cells > min(n, _GRID_CELLS):
        return (np.zeros(1),), (x, tx, T)
    width = int(top) + 1
    base = group.astype(np.intp) * width
    keys = (xs, np.full(xs.shape[0], top))
    return keys, (base + tx.astype(np.intp), base + T.astype(np.intp), x, T)


def _grid_table(params: FloatArray, *keys: npt.NDArray[Any]) -> FloatArray:
    r"""The tails :math:`\ln C_x(d)` and their gradients divided by :math:`C_x(d)`, for each
    key frequency :math:`x` and :math:`d = 0, \dots, D`: shape ``(n_x, D + 1, 6)``
    (:math:`C_x(D) = 0`, its log ``-inf`` and gradient 0).

    Each unit cell :math:`[d, d+1]` is integrated by the rule of the per-row likelihood
    (:func:`_dead`); the tails are their log-sum from the right, and the gradients the
    cells' gradients weighted by their shares of each tail.
    """
    if len(keys) == 1:  # no grid: rows are integrated one by one
        return np.zeros((1, 1, 6))
    xs, top = keys
    n_x, cells = xs.shape[0], int(top[0])
    lo = np.tile(np.arange(cells, dtype=np.float64), n_x)
    l2, g2 = _dead(params, np.repeat(xs, cells), lo, lo + 1.0, grad=True)
    assert g2 is not None
    log_cell = l2.reshape(n_x, cells)
    g_cell = g2.reshape(n_x, cells, 5)
    out = np.zeros((n_x, cells + 1, 6))
    out[:, cells, 0] = -np.inf
    log_tail = np.logaddexp.accumulate(log_cell[:, ::-1], axis=1)[:, ::-1]
    out[:, :cells, 0] = log_tail
    share = np.exp(log_cell - log_tail)  # of cell d in the tail from d
    g = np.zeros((n_x, 5))
    for d in range(cells - 1, -1, -1):
        w = share[:, d, None]
        g = w * g_cell[:, d] + (1.0 - w) * g
        out[:, d, 1:] = g
    return out


def _grid_rows(
    params: FloatArray, table: FloatArray, *cols: npt.NDArray[Any]
) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and gradient from the tails of :func:`_grid_table`.

    :math:`L = \Gamma(r+x)/\Gamma(r)\,[A + C_x(t_x) - C_x(T)]` with :math:`A` the alive
    term. No cancellation: :math:`C_x(T) \le A` (the power is at most
    :math:`(\alpha+T)^{-(r+x)}` beyond :math:`T`) and :math:`C_x(t_x) \le 2L`, so the three
    terms' rounding errors are within a few units of :math:`L`'s last digit.
    """
    if len(cols) == 3:
        return log_likelihood_and_grad(params, *cols)
    at_tx, at_T, x, T = cols
    flat = table.reshape(-1, 6)
    tail_tx, tail_T = flat[at_tx], flat[at_T]
    c0, l1, g1 = _alive(params, x, T, True)
    assert g1 is not None
    ref = np.maximum(l1, tail_tx[:, 0])
    alive = np.exp(l1 - ref)
    upper = np.exp(tail_tx[:, 0] - ref)
    lower = np.exp(tail_T[:, 0] - ref)
    total = alive + (upper - lower)
    grad = (
        alive[:, None] * g1 + upper[:, None] * tail_tx[:, 1:] - lower[:, None] * tail_T[:, 1:]
    ) / total[:, None]
    r = params[0]
    grad[:, 0] += digamma_rising(r, x)
    out: FloatArray = c0 + ref + np.log(total)
    return out, grad


SHARED = SharedTerms(_grid_keys, _grid_table, _grid_rows)
"""GGompertz/NBD's fitting path: on whole-number times, the dead term's tails computed once
per distinct frequency and unit cell."""


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


_HORIZON_PANELS = 8
"""Equal panels (16 nodes each) of the integrals over a horizon (:func:`_integral`)."""

_HORIZON_ROWS = 4096
"""Rows per pass of the integrals over a horizon."""


def _alive_end(params: FloatArray, T: FloatArray) -> FloatArray:
    """The time :math:`u` after :math:`T` at which :math:`(D(T)/D(T+u))^s` (the survival of a
    customer alive at :math:`T`) has fallen by :math:`e^{-40}` (:data:`_CUT`):
    :math:`bu = A + \\ln(1 + Be^{-A})`, :math:`A = \\ln I(T) + 40/s`,
    :math:`B = (1-\\beta)e^{-bT}`; infinite where that overflows."""
    _, _, b, s, beta = params
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        big = np.log(beta * np.exp(-b * T) - np.expm1(-b * T)) + _CUT / s
        out: FloatArray = (big + np.log1p((1.0 - beta) * np.exp(-b * T) * np.exp(-big))) / b
    return np.where(np.isnan(out), np.inf, out)


def _integral(
    fn: Callable[[FloatArray, slice], FloatArray],
    t: FloatArray,
    params: FloatArray,
    T: FloatArray,
    *,
    order: float,
    power: tuple[float, float] | None = None,
) -> FloatArray:
    """:math:`\\int_0^t fn(u) du` for each row, for an integrand that carries the survival
    :math:`(D(T)/D(T+u))^s` after age :math:`T` (a pole of order ``order`` at
    :math:`u = \\ln(1-\\beta)/b - T` when :math:`\\beta < 1`).

    The interval ends where the survival has fallen by :math:`e^{-40}` (:func:`_alive_end`: a
    horizon of 1e300 is the whole lifetime, not 128 nodes spread over it); on it, equal panels,
    panels graded away from the pole (as :func:`_dead`'s) and, for :math:`\\beta > 1`, panels
    graded both ways from the real part of the complex poles of :math:`\\ln D`
    (:math:`\\ln(\\beta - 1)/b - T \\pm i\\pi/b`), 16 Gauss-Legendre nodes each.
    ``fn(nodes, rows)`` gives the integrand at ``nodes`` (rows by nodes) of the rows ``rows``
    (a slice). ``power = (alpha, k)``: the integrand also carries a power
    :math:`(\\alpha + u)^{-k}` (a pole of order ``k`` at :math:`-\\alpha`), whose panels are
    graded from 0 too.
    """
    _, _, b, _, beta = params
    upper = np.minimum(t, _alive_end(params, T))
    n = t.shape[0]
    out = np.zeros(n)
    u16, v16 = _gauss(_NODES)
    log_grading = math.log(_GRADING) if order <= 6.0 else _POLE_VARIATION / order
    for lo in range(0, n, _HORIZON_ROWS):
        rows = slice(lo, min(lo + _HORIZON_ROWS, n))
        up = upper[rows]
        parts = [up[:, None] * np.linspace(0.0, 1.0, _HORIZON_PANELS + 1)[None, :]]
        if beta < 1.0:
            gap = T[rows] - math.log1p(-beta) / b
            p_g = int(np.clip(np.ceil(np.log1p(up / gap) / log_grading).max(initial=1.0), 1, 64))
            steps = gap[:, None] * np.expm1(log_grading * np.arange(1, p_g))[None, :]
            parts.append(np.minimum(steps, up[:, None]))
        elif beta > 1.0:  # ln D's poles at ln(beta - 1)/b - T + i(2k+1)pi/b: graded both ways
            centre = math.log(beta - 1.0) / b - T[rows]
            reach = np.maximum(np.abs(centre), np.abs(up - centre)) * b / np.pi
            p_c = int(
                np.clip(np.ceil(np.log1p(reach) / math.log(_GRADING)).max(initial=1.0), 1, 64)
            )
            steps = np.pi / b * np.expm1(math.log(_GRADING) * np.arange(p_c + 1))
            around = centre[:, None] + np.concatenate([-steps[:0:-1], steps])[None, :]
            parts.append(np.clip(around, 0.0, up[:, None]))
        if power is not None:
            scale, k = power
            log_ratio = math.log(_GRADING) if k <= 6.0 else _POLE_VARIATION / k
            p_a = int(np.clip(np.ceil(np.log1p(up / scale) / log_ratio).max(initial=1.0), 1, 64))
            steps = scale * np.expm1(log_ratio * np.arange(1, p_a))
            parts.append(np.minimum(steps[None, :], up[:, None]))
        edges = np.sort(np.concatenate(parts, axis=1), axis=1)
        width = np.diff(edges, axis=1)
        nodes = (edges[:, :-1, None] + width[:, :, None] * u16).reshape(up.shape[0], -1)
        weights = (width[:, :, None] * v16).reshape(up.shape[0], -1)
        out[rows] = (fn(nodes, rows) * weights).sum(axis=1)
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

    def ratio(u: FloatArray, rows: slice) -> FloatArray:
        out: FloatArray = np.exp(s * (base[rows, None] - _log_d(b, beta, T_rep[rows, None] + u)))
        return out

    alive_time = _integral(ratio, t_rep, params, T_rep, order=s).reshape(n, h)
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

    def ratio(u: FloatArray, rows: slice) -> FloatArray:
        out: FloatArray = np.exp(s * (base[rows, None] - _log_d(b, beta, flat[3][rows, None] + u)))
        return out

    alive_time = _integral(ratio, flat[0], params, flat[3], order=s)
    out: FloatArray = alive * (r + flat[1]) / (a + flat[3]) * alive_time
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
    start = np.zeros_like(flat)
    out: FloatArray = (
        r
        / a
        * _integral(lambda u, _: survival(params, u), flat, params, start, order=float(params[3]))
    )
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
    log_c = log_rising(r, k) - gammaln(k + 1.0)

    def log_nb(kk: FloatArray, tau: FloatArray, lc: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            log_tau = np.log(tau)
        term = np.where(kk > 0, kk * np.where(tau > 0, log_tau, 0.0), 0.0)
        term = np.where((kk > 0) & (tau <= 0), -np.inf, term)
        out: FloatArray = lc - r * np.log1p(tau / a) + term - kk * np.log(a + tau)
        return out

    alive = np.exp(log_nb(k, h, log_c) + s * (np.log(beta) - _log_d(b, beta, h)))

    def dead(u: FloatArray, rows: slice) -> FloatArray:
        log_f = np.log(s * b) + b * u + s * np.log(beta) - (s + 1.0) * _log_d(b, beta, u)
        out: FloatArray = np.exp(log_nb(k[rows, None], u, log_c[rows, None]) + log_f)
        return out

    # the density's mass beyond where the survival has fallen by e^-40 is below 4e-18
    grading = (float(a), float(r + k.max(initial=0.0)))
    out: FloatArray = alive + _integral(
        dead, h, params, np.zeros_like(h), order=s + 1.0, power=grading
    )
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
        log_likelihood, value_and_grad=log_likelihood_and_grad, expensive=True, shared=SHARED
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
        """The base fit (with start values, priors or fixed parameters), after
        :func:`relmark.clv.paretonbd._check_time_scale` on the ages, as :meth:`fit`."""
        _check_time_scale(arrays[2], w, model="GGompertz/NBD", scaling=_SCALING)
        return super()._fit_arrays(
            arrays, w, checked, start=start, compress=compress, time_unit=time_unit
        )

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, _, T = data
        # equivariant in the time unit (alpha scales with it, b inversely; r, s and beta do
        # not): b the inverse of the mean age, alpha the mean time between purchases
        total_T = float(weights @ T)
        mean_T = total_T / float(weights.sum())
        if not (math.isfinite(mean_T) and mean_T > 0.0):  # no ages > 0, or their sum overflows
            mean_T = math.exp(_log_typical_age(T, weights))
        mean_x = float(weights @ x) / float(weights.sum())
        return np.array([1.0, mean_T / max(mean_x, 1e-6), 1.0 / mean_T, 1.0, 1.0])

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
        priors: Mapping[str, Any] | None = None,
        fixed: Mapping[str, float] | None = None,
        progress: Progress | str | None = None,
        **columns: npt.ArrayLike | None,
    ) -> Self:
        """Fit by maximum likelihood, reporting an estimate on the Pareto/NBD boundary as such.

        As :meth:`relmark.clv.CLVModel.fit`. When the likelihood rises towards ``b -> 0``
        (no evidence that the dropout hazard grows with age; CDNOW is such a case), the
        maximum lies on the boundary of the domain, where the model is the Pareto/NBD with
        dropout scale :math:`\\beta/b`. The fit then checks that the Pareto/NBD attains the
        GGompertz/NBD's likelihood, at its estimates and at a small :math:`b` (within
        :data:`BOUNDARY_TOLERANCE`), and returns the boundary estimate without a
        convergence warning: ``fit_result.converged`` is true, ``fit_result.message`` says
        so, and ``fit_result.extra["boundary"]`` records the Pareto/NBD fit, the one-sided
        score and the likelihood-ratio test of the Pareto/NBD against the GGompertz/NBD, a
        boundary test whose statistic follows the 50:50 mixture of :math:`\\chi^2_0` and
        :math:`\\chi^2_1` (Self & Liang 1987). The estimates are the Pareto/NBD's
        :math:`r, \\alpha, s`, with :math:`b` at :data:`BOUNDARY_B` over the longest age
        (predictions there equal the Pareto/NBD's to about 1e-7 relative) and
        :math:`\\beta = b\\,\\beta_\\text{PNBD}`; :math:`r, \\alpha, s` have the Pareto/NBD's
        standard errors, :math:`b` and :math:`\\beta` none (NaN: at the boundary only their
        ratio is identified, and ``extra["boundary"]["nested_bse"]["beta"]`` is its standard
        error).

        Fits with ``start``, ``priors``, ``fixed`` or (non-empty) ``settings`` run as asked,
        without the boundary check.

        Parameters
        ----------
        data
            An :class:`relmark.data.RFMSummary`, a lifetimes-style DataFrame or a mapping with
            ``frequency``, ``recency`` and ``T``; or ``None`` with the columns as keywords.
        weights
            Integer counts of identical rows.
        start
            Start values by name (the fit then runs as asked, without the boundary check).
        compress
            Group identical rows into weights: ``None`` (when it pays), True or False.
        time_unit
            Unit of the times in the data (taken from ``data.time_unit`` when present).
        settings
            Fixed settings (GGompertz/NBD has none).
        priors, fixed
            As in :meth:`relmark.clv.CLVModel.fit` (a MAP or restricted fit, run as asked).
        progress
            None, a callable ``progress(stage, fraction)`` or ``"tqdm"``.
        **columns
            The data columns as arrays, overriding those of ``data``.

        Returns
        -------
        GGompertzNBD
            The fitted model; ``fit_result.extra["boundary"]`` is present for an estimate on
            the Pareto/NBD boundary.

        Raises
        ------
        DataError, ArgumentError, ParameterError, ConvergenceError
            As :meth:`relmark.clv.CLVModel.fit`; DataError naming ``T`` also for a typical
            age outside :data:`relmark.clv.paretonbd.TIME_SCALE_LIMITS` (as the Pareto/NBD,
            its boundary reference: a fit is equivariant in the time unit, so such ages are
            fitted in a unit that brings them near 1).

        Warns
        -----
        ConvergenceWarning
            For a fit that did not converge (or whose Hessian is not positive definite) and is
            not on the boundary.

        References
        ----------
        Self, S. G. & Liang, K.-Y. (1987), "Asymptotic properties of maximum likelihood
        estimators and likelihood ratio tests under nonstandard conditions", *Journal of the
        American Statistical Association* 82(398), 605-610.
        """
        if (
            start is not None
            or priors is not None
            or fixed is not None
            or not (settings is None or (isinstance(settings, Mapping) and not settings))
            or not (compress is None or isinstance(compress, bool))
        ):
            return super().fit(
                data,
                weights=weights,
                start=start,
                compress=compress,
                time_unit=time_unit,
                settings=settings,
                priors=priors,
                fixed=fixed,
                progress=progress,
                **columns,
            )
        report = progress_callback(progress, desc=f"{cls.name} fit")
        unit = fit_time_unit(data, time_unit)  # (equal to the data's, when it states one)
        arrays, w = cls._coerce(data, weights, columns)
        _check_time_scale(arrays[2], w, model="GGompertz/NBD", scaling=_SCALING)
        with one_blas_thread():
            arrays, w_all = cls._compress(arrays, w, compress)
            result = fit_restricted(
                model=cls.name,
                pset=cls.param_set,
                lik=cls.likelihood,
                data=arrays,
                weights=w_all,
                start=cls._start(arrays, w_all),
                priors={},
                fixed={},
                quiet=True,
                progress=report,
            )
            identified = bool(np.all(np.isfinite(result.cov_unconstrained)))
            if not (result.converged and identified):
                result = _boundary_result(result, arrays, w_all) or result
        if "boundary" not in result.extra:
            if not identified:
                warnings.warn(
                    f"{cls.name}: the Hessian at the estimates is not finite or not positive "
                    "definite; the parameters are not identified by these data and standard "
                    "errors are NaN",
                    ConvergenceWarning,
                    stacklevel=2,
                )
            if not result.converged:
                warnings.warn(
                    f"{cls.name}: the fit did not converge (per-customer |gradient| "
                    f"{result.grad_norm:.2e}, log-likelihood still to gain "
                    f"{result.log_likelihood_change:.2e}); estimates "
                    f"{result.params_array.tolist()}",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        return cls._make(result.params, time_unit=unit, fit=result)

    def sample_params(self, n_draws: int, *, rng: RngLike = None) -> FloatArray:
        """Draw parameter vectors from the estimates' asymptotic normal distribution.

        As :meth:`relmark.clv.CLVModel.sample_params`; a fit on the Pareto/NBD boundary has no
        distribution for ``b`` and ``beta`` (only ``beta / b`` is identified) and refuses.

        Parameters
        ----------
        n_draws
            Number of draws, a whole number >= 1.
        rng
            Random generator or seed.

        Returns
        -------
        numpy.ndarray
            An ``(n_draws, 5)`` array.

        Raises
        ------
        ArgumentError
            For a bad ``n_draws``.
        ModelNotFittedError
            Without a fit result or a finite covariance, or for a fit on the boundary (saying
            so: draw from its Pareto/NBD, ``fit_result.extra["boundary"]``, instead).
        """
        if self.is_fitted and "boundary" in self.fit_result.extra:
            raise ModelNotFittedError(
                f"{self.name}: the estimate lies on the Pareto/NBD boundary b -> 0, where b and "
                "beta have no standard errors (only beta/b is identified); draw parameters from "
                "the Pareto/NBD fit on the same data (fit_result.extra['boundary'])"
            )
        return super().sample_params(n_draws, rng=rng)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`, checking a boundary fit's record too.

        As :meth:`relmark.clv.CLVModel.from_dict`; a fit on the Pareto/NBD boundary must also
        be consistent with its ``extra["boundary"]``: every key present with its type, the
        estimates of ``r``, ``alpha``, ``s`` and ``beta / b`` those of the recorded Pareto/NBD
        fit, and the statistic and p-value those of the recorded gain.

        Parameters
        ----------
        d
            A saved model's dict.

        Returns
        -------
        GGompertzNBD
            An equal model.

        Raises
        ------
        SchemaError
            As :meth:`relmark.clv.CLVModel.from_dict`, and naming the key
            (``"fit.extra.boundary.p_value"``, ...) of a boundary record that is malformed or
            disagrees with the estimates (an edited file).
        """
        model = super().from_dict(d)
        if model.is_fitted and "boundary" in model.fit_result.extra:
            _check_boundary(model.fit_result)
        return model


_SCALING = "alpha scales with it, b inversely; r, s and beta do not"
"""How the parameters follow the time unit (the fit is equivariant in it)."""

BOUNDARY_B = 1e-7
"""A fit on the Pareto/NBD boundary reports :math:`b` = this over the longest age :math:`T`
(so :math:`bT \\le 10^{-7}`: the GGompertz/NBD's likelihood and predictions there differ from
the Pareto/NBD's by about that, relative)."""

BOUNDARY_TOLERANCE = 1e-3
"""Log-likelihood within which the Pareto/NBD attains the GGompertz/NBD's fit for a fit that
did not converge to be reported on the boundary: a likelihood-ratio statistic below 0.002
(p-value above 0.48), no evidence against the Pareto/NBD."""

_SCORE_STEP = 1e-4
"""The one-sided score in :math:`b` at 0 is a difference quotient over :math:`bT` = this."""


def _chi_bar_squared(statistic: float) -> float:
    """P-value of a likelihood-ratio statistic for one parameter on the boundary of its
    domain: under the null the statistic is :math:`\\chi^2_0` (0) or :math:`\\chi^2_1`
    with probability 1/2 each (Self & Liang 1987), so :math:`p = \\tfrac12 P(\\chi^2_1 \\ge
    \\Lambda)` for :math:`\\Lambda > 0` and 1 at :math:`\\Lambda = 0`."""
    return 1.0 if statistic <= 0.0 else 0.5 * float(chi2.sf(statistic, 1))


def _boundary_result(
    result: FitResult, data: tuple[FloatArray, ...], weights: FloatArray
) -> FitResult | None:
    """The boundary estimate when an unconverged (or unidentified) fit ran to the Pareto/NBD
    limit :math:`b \\to 0`, else None.

    The Pareto/NBD is fitted on the same rows; the boundary holds when it converged and
    neither the GGompertz/NBD's fit nor the log-likelihood at :math:`b = h`
    (:math:`hT` = :data:`_SCORE_STEP`, :math:`\\beta = h\\beta_\\text{PNBD}`, the other
    parameters the Pareto/NBD's) is above the Pareto/NBD's by more than
    :data:`BOUNDARY_TOLERANCE`. The one-sided score :math:`(\\ell(h) - \\ell_\\text{PNBD})/h`
    is recorded (the Pareto/NBD's gradient in the other parameters is 0, so this is the
    profile likelihood's slope at 0; on CDNOW it is negative: the maximum is the boundary
    itself; on a flat profile it can be slightly positive with an interior maximum that
    gains less than the tolerance).
    """
    x, tx, T = data
    try:
        pareto = fit_restricted(
            model=ParetoNBD.name,
            pset=ParetoNBD.param_set,
            lik=ParetoNBD.likelihood,
            data=data,
            weights=weights,
            start=ParetoNBD._start(data, weights),
            priors={},
            fixed={},
            quiet=True,
        )
    except ConvergenceError:  # no Pareto/NBD fit (ages of 1e300): no boundary to report
        return None
    ll_p = pareto.log_likelihood
    if not pareto.converged or result.log_likelihood > ll_p + BOUNDARY_TOLERANCE:
        return None
    r, a, s, beta_p = pareto.params_array.tolist()
    top = max(float(T.max(initial=0.0)), 1e-12)
    h = _SCORE_STEP / top
    ll_h = float(log_likelihood(np.array([r, a, h, s, h * beta_p]), x, tx, T) @ weights)
    score = (ll_h - ll_p) / h
    if not math.isfinite(score) or ll_h > ll_p + BOUNDARY_TOLERANCE:
        return None
    b = BOUNDARY_B / top
    theta = np.array([r, a, b, s, b * beta_p])
    ll = float(log_likelihood(theta, x, tx, T) @ weights)
    cov = np.full((5, 5), np.nan)
    keep = [0, 1, 3]  # r, alpha, s: the Pareto/NBD's (its indices 0, 1, 2)
    cov[np.ix_(keep, keep)] = pareto.cov_unconstrained[:3, :3]
    gain = max(result.log_likelihood, ll_h) - ll_p
    statistic = max(2.0 * gain, 0.0)
    message = (
        "b at its lower bound 0: the estimate lies on the boundary, where the GGompertz/NBD is "
        f"the Pareto/NBD with dropout scale beta/b = {beta_p:.6g} (its fit: log-likelihood "
        f"{ll_p:.4f}; the best b > 0 found changes the log-likelihood by {gain:+.2g}, within "
        f"the tolerance {BOUNDARY_TOLERANCE:g}; "
        f"the one-sided score in b at 0 is {score:.4g}). b and beta have no standard errors "
        "(only beta/b is identified); the likelihood-ratio test against the Pareto/NBD is a "
        "boundary test (50:50 mixture of chi2_0 and chi2_1)"
    )
    boundary = {
        "parameter": "b",
        "bound": 0.0,
        "nested": ParetoNBD.name,
        "nested_params": pareto.params,
        "nested_bse": pareto.bse,
        "nested_log_likelihood": ll_p,
        "score": score,
        "gain": gain,
        "statistic": statistic,
        "p_value": _chi_bar_squared(statistic),
        "unconstrained_fit": {
            "params": result.params,
            "log_likelihood": result.log_likelihood,
        },
        "without_bse": ["b", "beta"],
    }
    return FitResult(
        model=result.model,
        param_set=result.param_set,
        params_array=theta,
        cov_unconstrained=cov,
        jacobian=result.param_set.jacobian(result.param_set.to_unconstrained(theta)),
        log_likelihood=ll,
        nobs=result.nobs,
        n_unique=result.n_unique,
        converged=True,
        grad_norm=pareto.grad_norm,
        log_likelihood_change=pareto.log_likelihood_change,
        n_iter=result.n_iter + pareto.n_iter,
        n_fev=result.n_fev + pareto.n_fev,
        message=message,
        extra={"boundary": boundary},
    )


_BOUNDARY_KEYS = (
    "parameter",
    "bound",
    "nested",
    "nested_params",
    "nested_bse",
    "nested_log_likelihood",
    "score",
    "gain",
    "statistic",
    "p_value",
    "unconstrained_fit",
    "without_bse",
)
"""The keys of ``fit_result.extra["boundary"]`` (:func:`_boundary_result`)."""


def _check_boundary(fit: FitResult) -> None:
    """A loaded boundary fit's record, checked against its estimates (SchemaError naming the
    key): a file whose boundary record, estimates or covariance were edited apart is refused."""
    where = "fit.extra.boundary"
    record = fit.extra["boundary"]
    if not isinstance(record, Mapping):
        raise SchemaError(f"must be a JSON object, got {record!r}", key=where)
    unknown = sorted(str(k) for k in set(record) - set(_BOUNDARY_KEYS))
    if unknown:
        raise SchemaError("is not a key of a boundary record", key=f"{where}.{unknown[0]}")
    for key in _BOUNDARY_KEYS:
        if key not in record:
            raise SchemaError("is missing", key=f"{where}.{key}")
    fixed = {"parameter": "b", "bound": 0.0, "nested": ParetoNBD.name, "without_bse": ["b", "beta"]}
    for key, want in fixed.items():
        if record[key] != want or isinstance(record[key], bool):
            raise SchemaError(f"must be {want!r}, got {record[key]!r}", key=f"{where}.{key}")
    for key in ("nested_log_likelihood", "score", "gain", "statistic", "p_value"):
        if not is_json_number(record[key]):
            raise SchemaError(f"must be a finite number, got {record[key]!r}", key=f"{where}.{key}")
    names = ParetoNBD.param_set.names
    nested = record["nested_params"]
    if not isinstance(nested, Mapping) or list(nested) != list(names):
        raise SchemaError(f"must map {', '.join(names)} to numbers", key=f"{where}.nested_params")
    for name in names:
        if not is_json_number(nested[name]) or not nested[name] > 0:
            raise SchemaError(
                f"must be a finite number > 0, got {nested[name]!r}",
                key=f"{where}.nested_params.{name}",
            )
    bse = record["nested_bse"]
    if not isinstance(bse, Mapping) or list(bse) != list(names):
        raise SchemaError(f"must map {', '.join(names)} to numbers", key=f"{where}.nested_bse")
    for name in names:
        v = bse[name]
        if not is_json_number(v, allow_nan=True) or v < 0:
            raise SchemaError(
                f"must be a number >= 0 (or NaN), got {v!r}", key=f"{where}.nested_bse.{name}"
            )
    est = fit.params
    for name in ("r", "alpha", "s"):
        if est[name] != nested[name]:
            raise SchemaError(
                f"is {nested[name]!r}, but the estimate of {name} is {est[name]!r}: the file was "
                "edited",
                key=f"{where}.nested_params.{name}",
            )
    if not math.isclose(est["beta"] / est["b"], nested["beta"], rel_tol=1e-12):
        raise SchemaError(
            f"is {nested['beta']!r}, but the estimates give beta/b = {est['beta'] / est['b']!r}: "
            "the file was edited",
            key=f"{where}.nested_params.beta",
        )
    ll_p = float(record["nested_log_likelihood"])
    if abs(fit.log_likelihood - ll_p) > max(BOUNDARY_TOLERANCE, 1e-6 * abs(ll_p)):
        raise SchemaError(
            f"is {ll_p!r}, but the fit's log-likelihood is {fit.log_likelihood!r}: not the same "
            "fit",
            key=f"{where}.nested_log_likelihood",
        )
    gain, statistic = float(record["gain"]), float(record["statistic"])
    if gain > BOUNDARY_TOLERANCE or statistic != max(2.0 * gain, 0.0):
        raise SchemaError(
            f"is {statistic!r} for a gain of {gain!r} (at most {BOUNDARY_TOLERANCE:g} on the "
            "boundary; the statistic is twice it, or 0)",
            key=f"{where}.statistic",
        )
    if not math.isclose(float(record["p_value"]), _chi_bar_squared(statistic), rel_tol=1e-12):
        raise SchemaError(
            f"is {record['p_value']!r}, not the chi-bar-squared p-value of the statistic "
            f"{statistic!r}",
            key=f"{where}.p_value",
        )
    free = record["unconstrained_fit"]
    gg_names = fit.param_set.names
    if (
        not isinstance(free, Mapping)
        or set(free) != {"params", "log_likelihood"}
        or not is_json_number(free["log_likelihood"])
        or not isinstance(free["params"], Mapping)
        or list(free["params"]) != list(gg_names)
        or not all(is_json_number(free["params"][n]) and free["params"][n] > 0 for n in gg_names)
    ):
        raise SchemaError(
            "must hold the fit's 'params' (finite numbers > 0) and its 'log_likelihood'",
            key=f"{where}.unconstrained_fit",
        )
    if not fit.converged:
        raise SchemaError("a fit on the boundary is reported as converged", key="fit.converged")


def pareto_nbd_lr_test(restricted: ParetoNBD, full: GGompertzNBD) -> tuple[float, float]:
    """Likelihood-ratio test of the Pareto/NBD against the GGompertz/NBD that nests it.

    The Pareto/NBD is the GGompertz/NBD's limit :math:`b \\to 0` (with :math:`\\beta/b`
    held), a point on the boundary of :math:`b`'s domain, so the statistic
    :math:`\\Lambda = 2(\\ell_\\text{GG} - \\ell_\\text{PNBD})` is not :math:`\\chi^2_1`
    under the null but the 50:50 mixture of :math:`\\chi^2_0` and :math:`\\chi^2_1`
    (Self & Liang 1987): :math:`p = \\tfrac12 P(\\chi^2_1 \\ge \\Lambda)`, half the naive
    p-value (the 5% critical value is 2.71, not 3.84). A GGompertz/NBD fit on the boundary
    has :math:`\\Lambda = 0` and :math:`p = 1`.

    Parameters
    ----------
    restricted
        A Pareto/NBD fitted by maximum likelihood.
    full
        A GGompertz/NBD fitted by maximum likelihood on the same data.

    Returns
    -------
    tuple of float
        The statistic :math:`\\Lambda` and its p-value. The GGompertz/NBD's supremum is at
        least the Pareto/NBD's maximum, so a negative difference within the fits' tolerance
        (:data:`BOUNDARY_TOLERANCE`) is reported as 0.

    Raises
    ------
    ArgumentError
        For models that are not fitted, MAP or restricted fits, or fits that cannot be of the
        same data (naming ``restricted`` or ``full``): on different numbers of customers or in
        different time units; a GGompertz/NBD whose log-likelihood is below the Pareto/NBD's
        by more than :data:`BOUNDARY_TOLERANCE` (the nesting model's maximum cannot be);
        a Pareto/NBD whose log-likelihood is not the one a boundary GGompertz/NBD fit
        recorded for the Pareto/NBD on its data.

    References
    ----------
    Self, S. G. & Liang, K.-Y. (1987), *JASA* 82(398), 605-610.

    Examples
    --------
    >>> from relmark.clv import GGompertzNBD, ParetoNBD
    >>> from relmark.clv.ggompertz import pareto_nbd_lr_test
    >>> data = ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=12.0).simulate([60.0] * 2000, rng=3)
    >>> statistic, p = pareto_nbd_lr_test(ParetoNBD.fit(data), GGompertzNBD.fit(data))
    >>> bool(p > 0.05)
    True
    """
    for name, m, kind in (("restricted", restricted, ParetoNBD), ("full", full, GGompertzNBD)):
        if not isinstance(m, kind) or not m.is_fitted:
            raise ArgumentError(f"must be a fitted {kind.name}", argument=name)
        extra = m.fit_result.extra
        if extra.get("estimator") == "MAP" or extra.get("fixed"):
            raise ArgumentError(
                "is a MAP or restricted fit: the test compares maximum-likelihood fits",
                argument=name,
            )
    if restricted.fit_result.nobs != full.fit_result.nobs:
        raise ArgumentError(
            f"the fits saw {restricted.fit_result.nobs:,} and {full.fit_result.nobs:,} "
            "customers: not the same data",
            argument="full",
        )
    units = (restricted.time_unit, full.time_unit)
    if None not in units and units[0] != units[1]:
        raise ArgumentError(
            f"is in the time unit {units[1]!r}, the Pareto/NBD in {units[0]!r}: not the same data",
            argument="full",
        )
    ll_p = restricted.fit_result.log_likelihood
    boundary = full.fit_result.extra.get("boundary")
    if isinstance(boundary, Mapping):
        recorded = float(boundary["nested_log_likelihood"])
        if abs(ll_p - recorded) > max(BOUNDARY_TOLERANCE, 1e-9 * abs(recorded)):
            raise ArgumentError(
                f"has log-likelihood {ll_p:.6f}, but the Pareto/NBD fitted with the "
                f"GGompertz/NBD on its data has {recorded:.6f}: not the same data (or not the "
                "maximum)",
                argument="restricted",
            )
    gap = full.fit_result.log_likelihood - ll_p
    if gap < -BOUNDARY_TOLERANCE:
        raise ArgumentError(
            f"has log-likelihood {full.fit_result.log_likelihood:.6f}, {-gap:.3g} below the "
            f"Pareto/NBD's {ll_p:.6f}, which it nests: not the same data, or not its maximum "
            "(refit without start values)",
            argument="full",
        )
    statistic = max(2.0 * gap, 0.0)  # sup over the nesting model >= the nested fit's
    return statistic, _chi_bar_squared(statistic)
