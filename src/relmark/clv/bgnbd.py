r"""BG/NBD: the beta-geometric / negative binomial distribution model.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", *Marketing Science* 24(2), 275-284.

While active, a customer buys as a Poisson process with rate :math:`\lambda`; after each purchase
they become inactive with probability :math:`p`. Across customers
:math:`\lambda \sim \text{Gamma}(r, \alpha)` and :math:`p \sim \text{Beta}(a, b)`.

For a customer with :math:`x` repeat purchases, the last at :math:`t_x`, observed for :math:`T`
(FHL 2005, eq. 6):

.. math::

    L(r,\alpha,a,b \mid x,t_x,T) = \frac{B(a, b+x)}{B(a,b)}
        \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
      + \delta_{x>0}\,\frac{B(a+1, b+x-1)}{B(a,b)}
        \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}}

computed in log space as one ``logaddexp``. The probability of being alive is
:math:`1/\bigl(1 + \delta_{x>0}\frac{a}{b+x-1}(\frac{\alpha+T}{\alpha+t_x})^{r+x}\bigr)`, and the
conditional expectation of purchases in :math:`(T, T+t]` (eq. 10) is evaluated through Euler's
transformation of its Gauss hypergeometric function,

.. math::

    1 - \Bigl(\tfrac{\alpha+T}{\alpha+T+t}\Bigr)^{r+x}
        {}_2F_1\bigl(r+x, b+x; a+b+x-1; z\bigr)
    = 1 - (1-z)^{a-1}\,{}_2F_1\bigl(a+b-1-r,\ a-1;\ a+b+x-1;\ z\bigr),
    \qquad z = \frac{t}{\alpha+T+t},

whose parameters stay small when :math:`x` is in the thousands (the left-hand form overflows),
and the removable singularity at :math:`a = 1` is bridged by interpolation.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import integrate, special
from scipy.linalg import eigh_tridiagonal
from scipy.special import (
    betainc,
    betaln,
    expit,
    exprel,
    gammaln,
    xlogy,
)

from relmark._validation import FloatArray
from relmark.clv._base import RngLike
from relmark.clv._checks import frequency_grid
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import Predictions, RFMModel, as_rng
from relmark.clv._special import (
    digamma_rising,
    hyp2f1,
    log_rising,
    trigamma_rising,
    warn_nonfinite,
)
from relmark.clv._tabulate import tabulate

__all__ = [
    "BGNBD",
    "conditional_expected_purchases",
    "conditional_prob_purchases",
    "dert",
    "expected_purchases_new_customer",
    "log_likelihood",
    "log_likelihood_and_grad",
    "log_likelihood_grad",
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
        Param("alpha", "scale (in time units) of the gamma distribution of rates", (0.5, 50.0)),
        Param("a", "first shape of the beta distribution of dropout probabilities", (0.1, 5.0)),
        Param("b", "second shape of the beta distribution of dropout probabilities", (0.1, 10.0)),
    )
)


def _x_tables(
    params: FloatArray, x: FloatArray, shift: int = 0
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray]:
    """Terms that depend on the data only through the integer frequency, tabulated once.

    ``gammaln``, ``betaln`` and ``digamma`` of ``r + x``, ``b + x`` ... are evaluated on the
    distinct frequencies (:func:`~relmark.clv._checks.frequency_grid`) and gathered, which is
    far cheaper than evaluating them per customer. Returns the gather index, the grid,
    ``log(a/(b+x-1+shift))`` (``-inf`` at x = 0 for BG/NBD) and the x-dependent part of the
    log-likelihood. ``shift = 1`` gives MBG/NBD, where dropout is also possible right after
    the first purchase.
    """
    r, _, a, b = params
    xi, grid = frequency_grid(x)
    pos = (grid > 0) | (shift > 0)
    b_x1 = np.where(pos, b + (grid + (shift - 1.0)), 1.0)
    log_ab = np.where(pos, np.log(a) - np.log(b_x1), -np.inf)
    # ln Gamma(r+x) - ln Gamma(r) as one log rising factorial: the two log-gammas cancel to no
    # digit at r ~ 1e25 (a near-Poisson purchase process)
    # B(a, b+x+shift)/B(a, b) as two log rising factorials too: betaln's difference loses
    # digits as a + b grows (a = b = 1e8: 1e-8 absolute, a row of -1.5e-7 came out -6.3e-7)
    n = grid + shift
    base = log_rising(r, grid) + log_rising(b, n) - log_rising(a + b, n)
    return xi, grid, log_ab, base


class _Parts(NamedTuple):
    """What :func:`_core` computes per row, for the gradient and Hessian passes to reuse."""

    ll: FloatArray
    odds: FloatArray
    rx: FloatArray
    xi: npt.NDArray[np.intp]
    grid: FloatArray
    a_t: FloatArray
    r""":math:`\alpha + T`"""
    a_tx: FloatArray
    r""":math:`\alpha + t_x`"""
    ratio: FloatArray
    r""":math:`(T - t_x)/(\alpha + t_x)`"""
    d_r: FloatArray
    r""":math:`\ln\frac{\alpha+T}{\alpha+t_x}` as ``log1p(ratio)``"""
    l_ta: FloatArray
    r""":math:`\ln\frac{\alpha+T}{\alpha}` as ``log1p(T/alpha)``"""


def _dead_alive(odds: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:math:`w_2 = \text{odds}/(1+\text{odds})` and :math:`1 - w_2 = 1/(1+\text{odds})`, each
    to full relative precision (odds of inf: 1 and 0)."""
    v2 = 1.0 / (1.0 + odds)
    with np.errstate(invalid="ignore"):
        w2 = np.where(np.isinf(odds), 1.0, odds * v2)
    return w2, v2


def _core(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, shift: int = 0
) -> _Parts:
    r"""Log-likelihood rows and the pieces the gradient and Hessian reuse (:class:`_Parts`).

    With :math:`D_1 = -(r+x)\ln(\alpha+T)` and
    :math:`D_2 = \ln\frac{a}{b+x-1} - (r+x)\ln(\alpha+t_x)`, the likelihood is
    :math:`e^{A}(e^{D_1} + e^{D_2})`; ``odds`` is :math:`e^{D_2 - D_1}`, the odds of having
    dropped out, so that :math:`\ln L = A + D_1 + \operatorname{log1p}(\text{odds})` and
    :math:`P(\text{alive}) = 1/(1+\text{odds})`.
    """
    r, alpha, _, _ = params
    xi, grid, log_ab, base = _x_tables(params, x, shift)
    a_t = alpha + T
    a_tx = alpha + tx
    rx = r + x
    # ln((alpha+T)/(alpha+t_x)) and r ln(alpha) - r ln(alpha+T) as log1p: the ratios round to
    # 1 when alpha >> T (alpha ~ 1e24) while r times their logs is not small
    ratio = (T - tx) / a_tx
    d_r = np.log1p(ratio)
    log_odds = log_ab[xi] + rx * d_r
    with np.errstate(over="ignore"):
        odds = np.exp(log_odds)
    l_ta = np.log1p(T / alpha)
    head = base[xi] - r * l_ta - x * np.log(a_t)
    ll = head + np.log1p(odds)
    huge = np.isinf(odds)  # odds beyond 1e308 (x in the millions): log1p(odds) = log_odds
    if huge.any():
        ll[huge] = (head + log_odds)[huge]
    return _Parts(ll, odds, rx, xi, grid, a_t, a_tx, ratio, d_r, l_ta)


def log_likelihood(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood (FHL 2005, eq. 6), in log space.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \\ge t_x`), in
        the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\ln L(r, \\alpha, a, b \\mid x, t_x, T)` of each customer, shape ``(n,)``.

    Notes
    -----
    Hot path of the fit: the arrays are trusted (validated once by :meth:`BGNBD.fit`).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgnbd
    >>> round(float(bgnbd.log_likelihood(np.array([0.243, 4.414, 0.793, 2.426]),
    ...                    np.array([2.0]), np.array([30.43]), np.array([38.86]))[0]), 4)
    -9.4586
    """
    return _core(params, frequency, recency, T).ll


def log_likelihood_and_grad(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Log-likelihood rows and their analytic gradient in ``[r, alpha, a, b]`` (shape (n, 4)).

    With :math:`w_2 = P(\text{dead term})`:
    :math:`\partial_r = \psi(r+x)-\psi(r)+\ln\alpha-(1-w_2)\ln(\alpha+T)-w_2\ln(\alpha+t_x)`,
    :math:`\partial_\alpha = r/\alpha-(r+x)[(1-w_2)/(\alpha+T)+w_2/(\alpha+t_x)]`,
    :math:`\partial_a = \psi(a+b)-\psi(a+b+x)+w_2/a`,
    :math:`\partial_b = \psi(a+b)-\psi(a+b+x)+\psi(b+x)-\psi(b)-w_2/(b+x-1)`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \ge t_x`), in
        the model's time unit, float array ``(n,)``.

    Returns
    -------
    tuple of numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``, and its gradient, shape
        ``(n, 4)``.
    """
    return beta_geometric_log_likelihood_and_grad(params, frequency, recency, T, shift=0)


def beta_geometric_log_likelihood_and_grad(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray, *, shift: int
) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood and gradient of BG/NBD (``shift = 0``) and MBG/NBD (``shift = 1``): the
    formulas of :func:`log_likelihood_and_grad` with ``b + x`` replaced by ``b + x + shift``."""
    r, alpha, a, b = params
    x = frequency
    p = _core(params, x, recency, T, shift)
    xi, grid = p.xi, p.grid
    # w2 = odds/(1+odds), and v2 = 1 - w2 without its rounding (w2 = 1.0 while v2 ~ 1e-250);
    # not scipy's expit, which is ~6x slower than numpy's division
    w2, v2 = _dead_alive(p.odds)
    pos = (grid > 0) | (shift > 0)
    common = -digamma_rising(a + b, grid + shift)
    g = np.empty((x.shape[0], 4))
    # ln(alpha) - (1 - w2) ln(alpha+T) - w2 ln(alpha+t_x) as log1p's weighted by v2 and w2:
    # w2 rounds to 1 where v2 ~ 1e-250 is the whole value, and the logs cancel at alpha ~ 1e25
    g[:, 0] = digamma_rising(r, grid)[xi] - v2 * p.l_ta - w2 * np.log1p(recency / alpha)
    # (1 - w2)(r - (r+x) alpha/(alpha+T)) + w2 (r - (r+x) alpha/(alpha+t_x)), over alpha: r/alpha
    # and w2 (r+x)/(alpha+t_x) cancel in MBG/NBD's rows with x = 0 = t_x (and overflow at tiny
    # alpha); r - (r+x) alpha/(alpha+t) = r t/(alpha+t) - x alpha/(alpha+t) does not cancel at
    # alpha ~ 1e25
    i_t, i_tx = 1.0 / p.a_t, 1.0 / p.a_tx
    f_t, f_tx = T * i_t, recency * i_tx
    e_t, e_tx = alpha * i_t, alpha * i_tx
    g[:, 1] = (v2 * (r * f_t - x * e_t) + w2 * (r * f_tx - x * e_tx)) / alpha
    g[:, 2] = common[xi] + w2 / a
    inv = np.where(pos, 1.0 / np.where(pos, b + (grid + (shift - 1.0)), 1.0), 0.0)
    # psi(b+n) - psi(b) - w2/(b+n-1) as psi(b+n-1) - psi(b) + v2/(b+n-1): at b ~ 1e-200 both
    # 1/b's cancel (the gradient was 0 where v2/b is the value)
    g[:, 3] = (common + digamma_rising(b, _below(grid + shift, pos)))[xi] + v2 * inv[xi]
    return p.ll, g


def _below(n: FloatArray, pos: npt.NDArray[np.bool_]) -> FloatArray:
    """``n - 1`` where the dropped-out term exists (``pos``), ``n`` (0) elsewhere: the
    rising factorials of ``b`` with their last factor ``b + n - 1`` taken out, which the
    dropout term's :math:`w_2/(b+n-1)` cancels (:math:`1 - w_2 = v_2` is what is left)."""
    out: FloatArray = np.where(pos, n - 1.0, n)
    return out


_TINY_PARAM = 1e-100
"""Below this ``a``, ``b`` or ``alpha`` the Hessian's products of small factors are formed per
row in an order that does not underflow (slower by a few per-row operations)."""

_SMALL_A = 1e-3
"""From ``a <= _SMALL_A * b`` down the b entry of the Hessian takes :func:`_trigamma_shift`."""


def _trigamma_shift(a: float, y: FloatArray) -> FloatArray:
    r""":math:`\psi'(y+a) - \psi'(y)` for :math:`a \le 10^{-3} y` by Taylor's series in
    :math:`a`, :math:`\sum_{k=1}^{8} \frac{a^k}{k!}\psi^{(k+1)}(y)` (its terms fall by
    :math:`a/y \le 10^{-3}` each: 1e-24 relative after eight), where the plain difference
    cancels (every digit at :math:`a = 10^{-200}`)."""
    out = np.zeros(np.shape(y))
    coef = 1.0
    for k in range(1, 9):
        coef = coef * a / k
        out = out + coef * special.polygamma(k + 1, y)
    return out


def _tally(counts: npt.NDArray[Any], values: FloatArray) -> float:
    """``counts @ values`` over the frequencies that occur: the grid of
    :func:`~relmark.clv._checks.frequency_grid` may hold frequencies no row has, whose
    values can be infinite (:math:`\\psi'(r+x) - \\psi'(r) = -\\infty` at r = 1e-200), and
    0 * inf would make the sum NaN."""
    seen = counts != 0.0
    return float(counts[seen] @ values[seen])


def log_likelihood_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-likelihood, its gradient and its analytic Hessian in
    ``[r, alpha, a, b]``, in one pass over the rows.

    With :math:`\ln L = A + \operatorname{softplus}(\eta)`, where
    :math:`A = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + \ln B(a, b+x) - \ln B(a, b)
    - (r+x)\ln(\alpha+T)` and
    :math:`\eta = \ln a - \ln(b+x-1) + (r+x)[\ln(\alpha+T) - \ln(\alpha+t_x)]` (the log odds
    of having dropped out; :math:`-\infty` at :math:`x = 0`), and :math:`w_2 = \sigma(\eta)`:

    .. math::
        \nabla^2 \ln L = \nabla^2 A + w_2 \nabla^2\eta + w_2(1-w_2)\,
        \nabla\eta\,\nabla\eta^\top

    with :math:`\partial^2_{rr} A = \psi'(r+x) - \psi'(r)`,
    :math:`\partial^2_{r\alpha} A = 1/\alpha - 1/(\alpha+T)`,
    :math:`\partial^2_{\alpha\alpha} A = -r/\alpha^2 + (r+x)/(\alpha+T)^2`,
    :math:`\partial^2_{aa} A = \partial^2_{ab} A = \psi'(a+b) - \psi'(a+b+x)`,
    :math:`\partial^2_{bb} A = \psi'(b+x) - \psi'(b) + \psi'(a+b) - \psi'(a+b+x)`;
    :math:`\nabla\eta = (\ln\frac{\alpha+T}{\alpha+t_x},\ (r+x)(\frac{1}{\alpha+T} -
    \frac{1}{\alpha+t_x}),\ 1/a,\ -1/(b+x-1))`,
    :math:`\partial^2_{r\alpha}\eta = \frac{1}{\alpha+T} - \frac{1}{\alpha+t_x}`,
    :math:`\partial^2_{\alpha\alpha}\eta = -(r+x)[(\alpha+T)^{-2} - (\alpha+t_x)^{-2}]`,
    :math:`\partial^2_{aa}\eta = -1/a^2`, :math:`\partial^2_{bb}\eta = 1/(b+x-1)^2`.
    Terms that depend on the data only through :math:`x` are summed per distinct frequency.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    weights
        Count of customers each row stands for, float array ``(n,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase (0 when :math:`x = 0`), float
        array ``(n,)``.
    T
        Each customer's age :math:`T \ge t_x`, float array ``(n,)``.

    Returns
    -------
    tuple
        :math:`\sum_i w_i \ln L_i` (float), the weighted gradient ``(4,)`` and the weighted
        Hessian ``(4, 4)``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers" the Easy
    Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284 (eq. 6).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> x, tx, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86])
    >>> value, grad, hess = bgnbd.log_likelihood_grad_hess(p, np.ones(2), x, tx, T)
    >>> bool(np.allclose(grad, bgnbd.log_likelihood_grad(p, x, tx, T).sum(axis=0)))
    True
    """
    return beta_geometric_grad_hess(params, weights, frequency, recency, T, shift=0)


def beta_geometric_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    shift: int,
) -> tuple[float, FloatArray, FloatArray]:
    """:func:`log_likelihood_grad_hess` of BG/NBD (``shift = 0``) and MBG/NBD (``shift = 1``:
    ``b + x`` replaced by ``b + x + 1``)."""
    # numpy scalars: at an a so small that a * a underflows, 1/a**2 is inf (a Hessian the
    # engine refuses), not a ZeroDivisionError
    r, alpha, a, b = (np.float64(v) for v in params)
    w = weights
    p = _core(params, frequency, recency, T, shift)
    ll, rx, xi, grid = p.ll, p.rx, p.xi, p.grid
    w2, v2 = _dead_alive(p.odds)  # v2 = 1 - w2 without its rounding
    pos = (grid > 0) | (shift > 0)
    inv_b = np.where(pos, 1.0 / np.where(pos, b + (grid + (shift - 1.0)), 1.0), 0.0)
    # the alpha row and column are summed alpha times (alpha squared) larger and divided at the
    # end: r/alpha and (r+x)/(alpha+t_x) each overflow at alpha ~ 1e-300 (inf - inf) and, in
    # MBG/NBD's rows with x = 0 = t_x (whose dropped-out term does not depend on alpha), cancel
    # to rounding noise (1e185 at alpha = 1e-100 where the entry is 1e-52)
    al = float(alpha)  # a Python float: an entry beyond float range is inf without a warning
    # alpha/(alpha+t) and t/(alpha+t) both as quotients: 1 - e_t cancels at alpha ~ 1e25
    i_t, i_tx = 1.0 / p.a_t, 1.0 / p.a_tx
    f_t, f_tx = T * i_t, recency * i_tx
    e_t, e_tx = alpha * i_t, alpha * i_tx
    x = frequency
    d_r = p.d_r  # d eta / dr
    # alpha d eta / d alpha = (r+x)(e_t - e_tx), as a product: the e's cancel at alpha ~ 1e25,
    # the f's (1 - e) at alpha ~ 1e-300
    sd_al = -rx * e_t * p.ratio
    ww2 = w * w2
    q = ww2 * v2
    nx = grid.shape[0]
    cnt = np.bincount(xi, w, nx)
    cq = np.bincount(xi, q, nx)
    q_r = q * d_r
    q_sd = q * sd_al
    # below 1e-100 the products of tiny factors underflow: d eta / d alpha itself (not alpha
    # times it) for the a and b columns, as q (~ a or b when tiny) times sd_al (~ alpha)
    # underflowed at a = alpha = 1e-200 (an entry of -1.39 came out 0); w2/a and v2/(b+n-1)
    # per row for the a and b entries (w2^2 underflowed at a = 1e-200, v2^2 at b = 1e-200)
    tiny = min(float(a), float(b), al) < _TINY_PARAM
    q_al = q * (sd_al / al) if tiny else q_sd
    cq_r = np.bincount(xi, q_r, nx)
    cq_al = np.bincount(xi, q_al, nx)
    wv2 = w * v2
    w2sum = float(ww2.sum())
    # the b terms with v2 = 1 - w2 in place of 1 - w2 (see _below): at b ~ 1e-200 the 1/b's
    # and 1/b^2's of the rising factorials and of the dropout term cancel
    b_down = _below(grid + shift, pos)
    if tiny:
        vi = v2 * inv_b[xi]
        b_grad, b_curv = float(w @ vi), float((w * vi) @ vi)
    else:
        cv2 = np.bincount(xi, wv2, nx)
        b_grad = float(cv2 @ inv_b)
        # sum w v2^2 = sum w v2 - sum q per frequency: where v2 is tiny this cancels to an
        # absolute eps v2/(b+n-1)^2, negligible beside psi'(b+n-1) - psi'(b) (b not tiny here)
        b_curv = float((cv2 - cq) @ (inv_b * inv_b))
    common = -digamma_rising(a + b, grid + shift)
    tri_common = -trigamma_rising(a + b, grid + shift)

    g = np.empty(4)
    # v2 and w2 apart, as in the per-row gradient (w2 = 1.0 while v2 ~ 1e-250 is the value)
    g[0] = (
        _tally(cnt, digamma_rising(r, grid))
        - float(wv2 @ p.l_ta)
        - float(ww2 @ np.log1p(recency / alpha))
    )
    # per row: (1 - w2)(r - (r+x) e_t) + w2 (r - (r+x) e_tx), over alpha, with
    # r - (r+x) e_t = r f_t - x e_t
    g[1] = (float(wv2 @ (r * f_t - x * e_t)) + float(ww2 @ (r * f_tx - x * e_tx))) / al
    g[2] = _tally(cnt, common) + w2sum / a
    g[3] = _tally(cnt, common + digamma_rising(b, b_down)) + b_grad

    h = np.empty((4, 4))
    h[0, 0] = _tally(cnt, trigamma_rising(r, grid)) + float(q_r @ d_r)
    h[0, 1] = (float(wv2 @ f_t) + float(ww2 @ f_tx) + float(q_r @ sd_al)) / al
    h[1, 1] = (
        (
            # (r+x) e^2 - r = x e^2 - r f (1 + e)
            float(wv2 @ (x * (e_t * e_t) - r * f_t * (1.0 + e_t)))
            + float(ww2 @ (x * (e_tx * e_tx) - r * f_tx * (1.0 + e_tx)))
            + float(q_sd @ sd_al)
        )
        / al
        / al
    )
    h[0, 2] = float(cq_r.sum()) / a
    h[0, 3] = -float(cq_r @ inv_b)
    h[1, 2] = float(cq_al.sum()) / a / (al if not tiny else 1.0)
    h[1, 3] = -float(cq_al @ inv_b) / (al if not tiny else 1.0)
    # w2 (1 - w2) / a^2 - w2 / a^2 = -(w2/a)^2 per row: the difference of the sums lost
    # every digit where w2 ~ a is tiny (and a * a underflowed at a = 1e-200: NaN)
    h[2, 2] = _tally(cnt, tri_common) - (
        float(ww2 @ (w2 / a)) / a if tiny else float(ww2 @ w2) / a / a
    )
    h[2, 3] = _tally(cnt, tri_common) - float(cq @ inv_b) / a
    if a <= _SMALL_A * b:
        # psi'(b+n) - psi'(b) - psi'(a+b+n) + psi'(a+b) is ~a: as a series in a (the plain
        # differences cancel to no digit at a = 1e-200); the dropout terms (~w2 ~ a) as they are
        d_tri = _trigamma_shift(a, b + grid + shift) - _trigamma_shift(a, b + 0.0 * grid)
        wi = w2 * inv_b[xi]
        h[3, 3] = _tally(cnt, -d_tri) + float((w * wi) @ (inv_b[xi] * (1.0 + v2)))
    else:
        # psi'(b+n) - psi'(b) + (w2 + w2 v2)/(b+n-1)^2 = psi'(b+n-1) - psi'(b) - (v2/(b+n-1))^2
        h[3, 3] = _tally(cnt, trigamma_rising(b, b_down) + tri_common) - b_curv
    for i in range(4):
        for j in range(i):
            h[i, j] = h[j, i]
    return float(w @ ll), g, h


def log_likelihood_grad(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Analytic gradient of :func:`log_likelihood` in ``[r, alpha, a, b]``: shape (n, 4).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \\ge t_x`), in
        the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\partial \\ln L / \\partial (r, \\alpha, a, b)` per customer, shape
        ``(n, 4)`` (formulas in :func:`log_likelihood_and_grad`).
    """
    return log_likelihood_and_grad(params, frequency, recency, T)[1]


def p_alive(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that a customer with history (x, t_x, T) is still active (FHL 2005, eq. 11).

    .. math:: P(\\text{alive}) = \\Bigl(1 + \\delta_{x>0}\\frac{a}{b+x-1}
        \\bigl(\\tfrac{\\alpha+T}{\\alpha+t_x}\\bigr)^{r+x}\\Bigr)^{-1}

    Parameters
    ----------
    params
        ``[r, alpha, a, b]`` (``alpha`` in the model's time unit), float array ``(4,)``.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \\ge t_x`), in
        the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`P(\\text{alive} \\mid x, t_x, T)` of each customer, in ``[0, 1]`` (exactly 1
        without repeat purchases), shape ``(n,)``.
    """
    r, alpha, a, b = params
    x = frequency
    if x.shape == (1,):  # one customer: Python floats are ten times cheaper than numpy here
        x0 = float(x[0])
        if x0 == 0:
            return np.ones(1)
        return np.array([alive_scalar(params, b + x0 - 1.0, x0, float(recency[0]), float(T[0]))])
    repeat = x > 0
    # x = 0 gets b in the denominator (finite) and P(alive) = 1 below
    log_odds = np.log(a / (b - 1.0 + np.maximum(x, 1.0))) + (r + x) * np.log1p(
        (T - recency) / (alpha + recency)
    )
    out: FloatArray = np.where(repeat, expit(-log_odds), 1.0)  # 1 / (1 + odds), no overflow
    return out


def alive_scalar(params: FloatArray, b_x: float, x: float, tx: float, T: float) -> float:
    """``1 / (1 + a/b_x ((alpha+T)/(alpha+t_x))^(r+x))`` for one customer, in Python floats."""
    r, alpha, a, _ = (float(v) for v in params)
    # ln((alpha+T)/(alpha+t_x)) as log1p: the ratio rounds to 1 when alpha >> T (alpha ~ 1e24)
    # while (r + x) times its log is not small
    log_odds = math.log(a / b_x) + (r + x) * math.log1p((T - tx) / (alpha + tx))
    return 1.0 / (1.0 + math.exp(log_odds)) if log_odds < 700.0 else math.exp(-log_odds)


def _h(a: float, c1: FloatArray, cc: FloatArray, z: FloatArray, log1mz: FloatArray) -> FloatArray:
    """``[1 - (1-z)^(a-1) 2F1(c1, a-1; cc; z)] / (a-1)`` for ``a`` away from 1."""
    first = -log1mz * exprel((a - 1.0) * log1mz)  # (1 - (1-z)^(a-1)) / (a-1)
    f_minus_1 = (hyp2f1(c1, a - 1.0, cc, z) - 1.0) / (a - 1.0)
    out: FloatArray = first - np.exp((a - 1.0) * log1mz) * f_minus_1
    return out


def _lagrange(at: FloatArray | float, nodes: FloatArray, values: list[FloatArray]) -> FloatArray:
    """Cubic Lagrange interpolation through ``(nodes[i], values[i])``, evaluated ``at``."""
    out = np.zeros_like(values[0])
    for i, ni in enumerate(nodes):
        weight = np.prod([(at - nj) / (ni - nj) for j, nj in enumerate(nodes) if j != i], axis=0)
        out = out + weight * values[i]
    return out


def _item(v: FloatArray | float) -> float:
    """The value of a one-element array (or a number) as a Python float."""
    return float(v.item()) if isinstance(v, np.ndarray | np.generic) else float(v)


_ONE_HORIZONS = 60
"""Horizons up to which one customer's expectations skip the general array path."""


def _one_remaining(
    a: float, b_x: float, r_x: float, t: float | FloatArray, alpha_t: float
) -> float | FloatArray | None:
    """:func:`_scaled_remaining` for one customer (a service's request): in Python floats for
    one horizon (ten times cheaper than one-element arrays), in one short array for several
    (a monthly CLV: 10 us for twelve horizons instead of 25 one by one); None near the
    removable singularities, which the array path bridges."""
    c0 = a + b_x - 1.0
    if abs(a - 1.0) <= 2e-3 or abs(c0) <= 2e-3 or r_x < _TINY_SHAPE:
        return None
    xp: Any = np if isinstance(t, np.ndarray) else math
    # (1 - z)^(a-1) and its difference from 1, each to full precision (|a - 1| > 2e-3 here,
    # so dividing by a - 1 loses nothing); few array operations: each costs about 1 us here
    log1mz = xp.log1p(t / alpha_t)
    y = log1mz * (1.0 - a)
    z = t / (alpha_t + t)
    if bool(np.any(_cancels(a, c0, r_x, z))):  # the array path sums the series instead
        return None
    hyp = special.hyp2f1(c0 - r_x, a - 1.0, c0, z)
    # near z = 1 scipy can fail: the repaired function there (see relmark.clv._special)
    if isinstance(z, np.ndarray):
        retry = not (z.max() <= 0.9 and math.isfinite(hyp.sum()))
    else:
        retry = not (z <= 0.9 and math.isfinite(hyp))
    if retry:
        hyp = hyp2f1(c0 - r_x, a - 1.0, c0, z)
    # c0 [(1 - (1-z)^(a-1)) - (1-z)^(a-1) (2F1 - 1)] / (a - 1)
    out = (xp.expm1(y) + xp.exp(y) * (hyp - 1.0)) * (-c0 / (a - 1.0))
    finite = math.isfinite(out) if xp is math else bool(np.isfinite(out).all())
    if not finite:  # huge r + x: the array path integrates numerically
        return None
    return out if xp is np else float(out)


_TINY_SHAPE = 1e-6
"""Below this ``r + x`` the expected purchases are integrated (see :func:`_scaled_remaining`)."""


_SERIES_TERMS = 400
"""Terms of :func:`_remaining_series` before it gives up (z <= 0.5 and a <= 200 need ~60)."""


def _cancels(a: float, c0: Any, r_x: Any, z: Any) -> Any:
    """Where the closed form's two terms cancel (relative error ~2e-16 c0 / (r' z): 5e-5 at
    b = 1e6 with t/(alpha+T) = 1e-6) and :func:`_remaining_series` converges fast."""
    return (c0 > r_x) & (z > 0.0) & (z <= 0.5) & (c0 > 1e3 * r_x * z) & (a <= 200.0)


def _remaining_series(
    a: float, c0: FloatArray, r_x: FloatArray, z: FloatArray, log1mz: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    r"""The expected purchases of a customer alive at ``T`` as a series of positive terms,

    .. math:: (1-z)^{a-1}\,c_0 \sum_{k \ge 1} \frac{(a)_{k-1} z^k}{k!}
        \Bigl[1 - \prod_{j<k} \Bigl(1 - \frac{r'}{c_0 + j}\Bigr)\Bigr],
        \qquad c_0 = a + b' - 1 > r',

    the closed form :math:`\frac{c_0}{a-1}[1 - (1-z)^{a-1}\,{}_2F_1(c_0 - r', a - 1; c_0;
    z)]` with the binomial series of :math:`(1-z)^{1-a}` and the Gauss series subtracted term
    by term (each bracket by ``expm1`` of a sum of ``log1p``'s): no cancellation, where the
    closed form's terms cancel to ~1e-16 c0 / (r' z) relative (b' = 1e9, t/(alpha+T) = 1e-6:
    6 % off). Returns the values and whether each converged (its last term below 1e-17 of
    the sum) within ``_SERIES_TERMS`` terms."""
    total = np.zeros(z.shape)
    coef = np.ones(z.shape)  # (a)_{k-1} z^k / k!, from k = 1
    coef = coef * z
    log_prod = np.zeros(z.shape)
    done = np.zeros(z.shape, dtype=bool)
    for k in range(1, _SERIES_TERMS + 1):
        log_prod = log_prod + np.log1p(-r_x / (c0 + (k - 1.0)))
        term = coef * -np.expm1(log_prod)
        total = total + term
        done = term <= 1e-17 * total
        if done.all():
            break
        coef = coef * ((a + k - 1.0) * z / (k + 1.0))
    out: FloatArray = np.exp((a - 1.0) * log1mz) * c0 * total
    return out, done


def _remaining_by_quadrature(
    a: float, b_x: FloatArray, r_x: FloatArray, t: FloatArray, alpha_t: FloatArray
) -> FloatArray:
    r"""The expected purchases in ``(T, T+t]`` of a customer alive at ``T`` as the integral

    .. math:: \int_0^1 \frac{1 - \bigl(1 + p\,t/\alpha'\bigr)^{-r'}}{p}\,
        \frac{p^{a-1}(1-p)^{b'-1}}{B(a, b')}\,dp

    (the rate integrated out in closed form; QUADPACK's algebraic-weight rule takes the beta
    density's end-point singularities), where the hypergeometric closed form fails: its
    series alternates and cancels when ``r'`` is ~1e5 or more with a small ``alpha``.
    """
    out = np.empty(b_x.shape[0])
    for i, (bx, rx, ti, at) in enumerate(zip(b_x, r_x, t, alpha_t, strict=True)):

        def integrand(p: float, rx: float = rx, ti: float = ti, at: float = at) -> float:
            return -math.expm1(-rx * math.log1p(p * ti / at)) / p if p > 0 else rx * ti / at

        log_beta = float(betaln(a, bx))
        if log_beta > -700.0 and (a >= _CONCENTRATED_A or bx > 1e6 or a < 1e-6):
            # concentrated or near-degenerate beta densities, where QUADPACK's algebraic
            # weights fail (NaN at a = 1e8, b' = 1e-8 and at a = 1e-8, b' = 1e8): the
            # trapezoidal rule in logit p of _beta_inverse_mean, g(p) being analytic in the
            # same strip (its branch point p = -alpha'/t is the pole -eps there)
            p_n, w_n, left, right = _beta_rule(a, bx, at / ti if ti > 0 else 1.0)
            with np.errstate(invalid="ignore", divide="ignore"):  # p = 0 (underflow): g(0)
                g_n = np.where(
                    p_n > 0, -np.expm1(-rx * np.log1p(p_n * (ti / at))) / p_n, rx * ti / at
                )
            out[i] = float(w_n @ g_n) + left * integrand(0.0) + right * integrand(1.0)
            continue
        if log_beta > -700.0 and bx < 0.5:
            # (1-p)^(b'-1) with b' -> 0: QUADPACK's moments of the weight are ~1/b' and its
            # value was 5e-9 off at b' = 1e-8 (a = 1); instead g(1) plus the integral of
            # (g(p) - g(1))/(1-p), bounded, against (1-p)^b' (the same integral)
            g1 = integrand(1.0)

            def slope(p: float, g1: float = g1, f: Any = integrand) -> float:
                return (f(p) - g1) / (1.0 - p) if p < 1.0 else 0.0

            value, _ = integrate.quad(
                slope, 0.0, 1.0, weight="alg", wvar=(a - 1.0, bx), limit=200, epsabs=0.0
            )
            out[i] = g1 + value * math.exp(-log_beta)
            continue
        if log_beta > -700.0:
            value, _ = integrate.quad(
                integrand, 0.0, 1.0, weight="alg", wvar=(a - 1.0, bx - 1.0), limit=200
            )
            out[i] = value * math.exp(-log_beta)
            continue

        # B(a, b') below 1e-304: both shapes are large (> 1), so the beta density is bounded
        # and concentrated. Its normaliser 1/B(a, b') would overflow, and ln B(a, b') (~1e17
        # at shapes ~1e17) has an absolute rounding error far above 1 (exp(ln pdf) overflowed
        # at a = 1.2e17, b = 1.1e18): integrate the density relative to its mode, in logs
        # (its log is 0 at the mode and negative elsewhere), and divide by its own integral.
        mode = (a - 1.0) / (a + bx - 2.0)

        def relative(p: float, bx: float = bx, mode: float = mode) -> float:
            if p <= 0.0 or p >= 1.0:
                return 0.0
            d = p - mode
            return math.exp(
                (a - 1.0) * math.log1p(d / mode) + (bx - 1.0) * math.log1p(-d / (1.0 - mode))
            )

        def weighted(p: float) -> float:
            return integrand(p) * relative(p)

        # the mass lies within 60 standard deviations of the mode (beyond, the density is
        # below e^-60 of its peak even at the skewed end of these shapes)
        sd = math.sqrt(a * bx / ((a + bx) ** 2 * (a + bx + 1.0)))
        lo, hi = max(mode - 60.0 * sd, 0.0), min(mode + 60.0 * sd, 1.0)
        points = sorted({p for k in (-20, -8, -3, 0, 3, 8, 20) if lo < (p := mode + k * sd) < hi})
        # (the log density's terms, ~(a + b') sd each, cancel to O(1): ~1e-8 relative noise
        # at shapes ~1e17, so a tighter tolerance is unreachable)
        opts: dict[str, Any] = {"points": points, "limit": 400, "epsabs": 0.0, "epsrel": 1e-8}
        top, _ = integrate.quad(weighted, lo, hi, **opts)
        total, _ = integrate.quad(relative, lo, hi, **opts)
        out[i] = top / total
    return out


def _scaled_remaining(
    a: float, b_x: FloatArray, r_x: FloatArray, t: FloatArray, alpha_t: FloatArray
) -> FloatArray:
    """``(a+b'-1)/(a-1) * [1 - ((α')/(α'+t))^{r'} 2F1(r', b'; a+b'-1; t/(α'+t))]``.

    With ``b' = b + x``, ``r' = r + x``, ``α' = α + T``: the expected purchases in ``(T, T+t]``
    of a customer known to be alive. Two removable singularities are bridged by cubic Lagrange
    interpolation from points 0.001 and 0.002 away: ``a = 1`` and ``a + b' - 1 = 0`` (a customer
    without repeat purchases when ``a + b = 1``, where the 2F1 has a pole that the factor
    ``a + b' - 1`` cancels).
    """
    d = 1e-3
    if np.size(b_x) == np.size(r_x) == np.size(alpha_t) == 1 and np.size(t) <= _ONE_HORIZONS:
        # one customer (a service's request), at one or a few horizons
        times = np.ravel(t)
        value = _one_remaining(
            a, _item(b_x), _item(r_x), _item(times) if times.size == 1 else times, _item(alpha_t)
        )
        if value is not None:
            # the horizons' shape, with the customer's leading axes (all of length 1)
            ndim = max(np.ndim(t), np.ndim(b_x), np.ndim(r_x), np.ndim(alpha_t))
            shape = (1,) * (ndim - np.ndim(t)) + np.shape(t)
            return np.asarray(value, dtype=np.float64).reshape(shape)
    z = t / (alpha_t + t)
    log1mz = -np.log1p(t / alpha_t)
    cc = a + b_x - 1.0
    near_pole = np.abs(cc) < 2 * d
    if np.any(near_pole):  # evaluated below by interpolation; keep the 2F1 away from its pole
        cc = np.where(near_pole, 1.0, cc)
    c1 = cc - r_x
    steps = np.array([-2 * d, -d, d, 2 * d])

    def h_of(c1: FloatArray, cc: FloatArray, z: FloatArray, log1mz: FloatArray) -> FloatArray:
        if abs(a - 1.0) > 2 * d:
            return _h(a, c1, cc, z, log1mz)
        # a = 1: interpolate in a
        nodes = 1.0 + steps
        return _lagrange(a, nodes, [_h(n, c1 - a + n, cc - a + n, z, log1mz) for n in nodes])

    out: FloatArray = np.array(cc * h_of(c1, cc, z, log1mz), dtype=np.float64)
    if np.any(near_pole):  # a + b' - 1 = 0: interpolate (a + b' - 1) * h in b'
        near = np.broadcast_to(near_pole, out.shape)
        true_cc = np.broadcast_to(a + b_x - 1.0, out.shape)[near]
        r_n, z_n, l_n = (np.broadcast_to(v, out.shape)[near] for v in (r_x, z, log1mz))
        # (at a = 1 too, in a: _h's 1/(a-1) was 0/0 where a = 1 and b' ~ 0 meet)
        values = [n * h_of(n - r_n, np.full_like(r_n, n), z_n, l_n) for n in steps]
        out[near] = _lagrange(true_cc, steps, values)
    # c0 >> r' z: the closed form's terms cancel; the series of positive terms does not
    true_c0 = np.broadcast_to(a + b_x - 1.0, out.shape)
    r_b, z_b = np.broadcast_to(r_x, out.shape), np.broadcast_to(z, out.shape)
    use = _cancels(a, true_c0, r_b, z_b)
    if use.any():
        value, ok = _remaining_series(
            a, true_c0[use], r_b[use], z_b[use], np.broadcast_to(log1mz, out.shape)[use]
        )
        where = np.flatnonzero(use.ravel())[ok]
        out.ravel()[where] = value[ok]
    # r + x below 1e-6: the closed form is 1 minus a number within r of 1 (0.1 % off at
    # r = 1e-12); the integral has no such cancellation
    bad = ~np.isfinite(out) | (np.broadcast_to(r_x, out.shape) < _TINY_SHAPE)
    if bad.any():  # the 2F1 fails (r + x ~ 1e5 with a small alpha gave NaN): integrate over p
        out[bad] = _remaining_by_quadrature(
            a, *(np.broadcast_to(v, out.shape)[bad] for v in (b_x, r_x, t, alpha_t))
        )
    warn_nonfinite(out, "the BG/NBD expected purchases")
    return out


def remaining(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    T: FloatArray,
    weights: FloatArray | None = None,
    *,
    shift: float = 0.0,
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` of customers alive at ``T`` (BG/NBD: shift 0;
    MBG/NBD: shift 1, the extra dropout chance at the first purchase).

    ``x, T`` are one value per customer and ``t`` a vector of horizons: the result is
    (customers, horizons), or summed over horizons against ``weights``. With many customers
    it is interpolated per frequency in ``log(alpha + T)`` (:mod:`relmark.clv._tabulate`).

    .. math:: \\frac{a+b+x-1}{a-1}\\Bigl[1 - \\Bigl(\\frac{\\alpha+T}{\\alpha+T+t}
        \\Bigr)^{r+x} {}_2F_1\\Bigl(r+x, b+x; a+b+x-1; \\frac{t}{\\alpha+T+t}\\Bigr)\\Bigr]

    (FHL 2005, eq. 10 without its :math:`P(\\text{alive})` factor; ``b + x`` becomes
    ``b + x + shift``).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        The horizons, in the model's time unit, float array ``(k,)``.
    frequency
        Repeat purchases of each customer, float array ``(n,)``.
    T
        Each customer's age, in the model's time unit, float array ``(n,)``.
    weights
        Optional weights of the horizons, shape ``(k,)`` (a discounted sum over periods).
    shift
        0 for BG/NBD, 1 for MBG/NBD.

    Returns
    -------
    numpy.ndarray
        Expected purchases, shape ``(n, k)``; shape ``(n,)`` with ``weights`` (their
        weighted sum over the horizons).
    """
    r, alpha, a, b = params

    def exact(key: FloatArray, scale: FloatArray, times: FloatArray) -> FloatArray:
        return _scaled_remaining(float(a), b + shift + key, r + key, times, scale)

    return tabulate(exact, frequency, alpha + T, t, weights)


def conditional_from_remaining(
    params: FloatArray,
    shift: float,
    alive: FloatArray,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """``P(alive) * remaining`` for any broadcastable shapes, by the fast path when
    the horizons form a row (one horizon, or ``t`` shaped (1, k) against customers (n, 1))."""
    t = np.asarray(t, dtype=np.float64)
    r, alpha, a, b = params
    if t.size == 1 and x.size == 1:  # one customer, one horizon (a service's request)
        one: FloatArray = _scaled_remaining(float(a), b + shift + x, r + x, t, alpha + T) * alive
        return one
    shape = np.broadcast_shapes(t.shape, x.shape, T.shape)
    if t.size == 1 or (t.ndim == 2 and t.shape[0] == 1 and x.ndim == 2 and x.shape[1] == 1):
        xs, Ts = np.broadcast_arrays(x, T)
        n = xs.size
        if t.size == 1:
            rem = remaining(params, t.reshape(1), xs.ravel(), Ts.ravel(), shift=shift)
            rem = rem.reshape(xs.shape)
        else:
            rem = remaining(params, t.ravel(), xs.ravel(), Ts.ravel(), shift=shift)
            rem = rem.reshape(n, t.shape[1])
        out: FloatArray = np.broadcast_to(rem * alive, shape).copy()
        return out
    t_, x_, T_ = np.broadcast_arrays(t, x, T)
    result: FloatArray = _scaled_remaining(float(a), b + shift + x_, r + x_, t_, alpha + T_) * alive
    return result


def conditional_expected_purchases(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` given the history (FHL 2005, eq. 10).

    .. math:: E[Y(t) \\mid x, t_x, T] = P(\\text{alive} \\mid x, t_x, T)\\,
        \\frac{a+b+x-1}{a-1}\\Bigl[1 - \\Bigl(\\frac{\\alpha+T}{\\alpha+T+t}
        \\Bigr)^{r+x} {}_2F_1\\Bigl(r+x, b+x; a+b+x-1; \\frac{t}{\\alpha+T+t}\\Bigr)\\Bigr]

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        Horizon(s) after ``T``, in the model's time unit (>= 0); broadcast against the
        histories (``t`` of shape ``(1, k)`` with histories of shape ``(n, 1)`` gives every
        customer at every horizon).
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0).
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`).
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \\ge t_x`), in
        the model's time unit.

    Returns
    -------
    numpy.ndarray
        Expected purchases, of the broadcast shape of ``t`` and the histories.

    Examples
    --------
    The published example (FHL 2005, section 5): a customer with x = 2, t_x = 30.43, T = 38.86
    is expected to make 1.226 purchases in the next 39 weeks.

    >>> import numpy as np
    >>> from relmark.clv import bgnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> round(float(bgnbd.conditional_expected_purchases(
    ...     p, np.array([39.0]), np.array([2.0]), np.array([30.43]), np.array([38.86]))[0]), 3)
    1.226
    """
    x, tx, T_ = np.broadcast_arrays(frequency, recency, T)
    return conditional_from_remaining(params, 0.0, p_alive(params, x, tx, T_), t, x, T_)


def expected_purchases_new_customer(params: FloatArray, t: FloatArray) -> FloatArray:
    """Expected purchases of a new customer in ``(0, t]`` (FHL 2005, eq. 9).

    .. math:: E[X(t)] = \\frac{a+b-1}{a-1}\\Bigl[1 - \\Bigl(\\frac{\\alpha}{\\alpha+t}
        \\Bigr)^{r} {}_2F_1\\Bigl(r, b; a+b-1; \\frac{t}{\\alpha+t}\\Bigr)\\Bigr]

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    t
        Horizons since the first purchase, in the model's time unit (>= 0), float array.

    Returns
    -------
    numpy.ndarray
        Expected repeat purchases, same shape as ``t``.
    """
    zero = np.zeros_like(t)
    return conditional_expected_purchases(params, t, zero, zero, zero)


def prob_purchases(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`P(X(t) = n)` for a new customer (FHL 2005, eq. 8).

    The finite sum of the paper is the negative-binomial upper tail, evaluated with the
    regularised incomplete beta function:

    .. math:: P(X(t) = n) = \\frac{B(a, b+n)}{B(a, b)}\\,\\mathrm{NB}(n; r, \\tfrac{t}{\\alpha+t})
        + \\delta_{n>0}\\frac{B(a+1, b+n-1)}{B(a, b)}\\,
        I_{t/(\\alpha+t)}(n, r),

    with :math:`\\mathrm{NB}(n; r, q) = \\frac{\\Gamma(r+n)}{\\Gamma(r)\\,n!}(1-q)^r q^n`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    n
        Counts of repeat purchases (whole numbers >= 0), float array.
    t
        Horizons since the first purchase, in the model's time unit, broadcast against ``n``.

    Returns
    -------
    numpy.ndarray
        The probabilities, of the broadcast shape of ``n`` and ``t``.
    """
    r, alpha, a, b = params
    n, t = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
    log_nb = negbin_log_pmf(n, r, alpha, t)
    # B(a, b+n)/B(a, b) as rising factorials (betaln's difference: 5e-7 off at a = b = 1e8)
    log_beta_ratio = log_rising(b, n) - log_rising(a + b, n)
    first = np.exp(log_beta_ratio + log_nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(
            n > 0,
            np.exp(np.log(a) - np.log(np.maximum(b + n - 1.0, 1e-300)) + log_beta_ratio),
            0.0,
        )
        tail = np.where(n > 0, betainc(np.maximum(n, 1e-300), r, t / (alpha + t)), 0.0)
    out: FloatArray = first + coef * tail
    return out


def negbin_log_pmf(n: FloatArray, r: float, alpha: float, t: FloatArray) -> FloatArray:
    r""":math:`\ln P(N(t) = n)` of the gamma-Poisson count (negative binomial),
    :math:`\ln\frac{\Gamma(r+n)}{\Gamma(r)\,n!} - r\operatorname{log1p}(t/\alpha)
    + n \ln\frac{t}{\alpha+t}`, with the log rising factorial and ``log1p``: both stay
    accurate for a near-Poisson process (:math:`r, \alpha \sim 10^{25}`), where
    ``gammaln(r + n) - gammaln(r)`` and ``r * log(alpha / (alpha + t))`` lose every digit."""
    out: FloatArray = (
        log_rising(r, n) - gammaln(n + 1.0) - r * np.log1p(t / alpha) + xlogy(n, t / (alpha + t))
    )
    return out


def beta_geometric_survival(
    params: FloatArray, shift: float, t: FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    """``E[exp(-lambda p t)]`` over the posterior of an active customer, ``lambda ~ Gamma(r+x,
    alpha+T)`` and ``p ~ Beta(a, b+x+shift)`` (the formula in :func:`p_alive_ahead`)."""
    r, alpha, a, b = params
    b_x = b + x + shift
    z = t / (alpha + T + t)
    # (1 - z)^a from t / (alpha + T) (z rounds to 1 for t in the 1e17s: log1p(-1) = -inf)
    scale = np.exp(-a * np.log1p(t / (alpha + T)))
    far = z >= 1.0  # an active customer is surely gone by then (the product tends to 0)
    with np.errstate(all="ignore"):
        hyp = hyp2f1(a, a + b + shift - r, a + b_x, np.where(far, 0.0, z))
    out: FloatArray = np.where(far, 0.0, scale * hyp)
    return out


def p_alive_ahead(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that a customer with history (x, t_x, T) is still active at ``T + t``.

    An active customer with rate :math:`\\lambda` and dropout probability :math:`p` survives
    the Poisson(:math:`\\lambda t`) purchases of the next ``t`` with probability
    :math:`E[(1-p)^N] = e^{-\\lambda p t}`. Given the history and alive at ``T``,
    :math:`\\lambda \\sim \\text{Gamma}(r+x, \\alpha+T)` and
    :math:`p \\sim \\text{Beta}(a, b+x)` independently (FHL 2005, section 4), so

    .. math:: P(\\text{alive at } T+t \\mid x, t_x, T) = P(\\text{alive} \\mid x, t_x, T)
        \\,(1-z)^{a}\\,{}_2F_1(a, a+b-r; a+b+x; z), \\qquad z = \\frac{t}{\\alpha+T+t},

    the expectation :math:`{}_2F_1(r+x, a; a+b+x; -t/(\\alpha+T))` after Pfaff's
    transformation (its parameters stay small when :math:`x` is large, and :math:`0 \\le z < 1`).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
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
        The probabilities, in ``[0, 1]``, of the broadcast shape (``t = 0`` gives
        :func:`p_alive`).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> one = np.ones(2)
    >>> bgnbd.p_alive_ahead(p, np.array([0.0, 52.0]), 2 * one, 30.43 * one, 38.86 * one).round(3)
    array([0.727, 0.532])
    """
    return beta_geometric_alive_ahead(params, 0.0, t, frequency, recency, T)


def beta_geometric_alive_ahead(
    params: FloatArray,
    shift: float,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """:func:`p_alive_ahead` of BG/NBD (``shift = 0``) and MBG/NBD (``shift = 1``)."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in (t, frequency, recency, T)))
    t_, x, tx, T_ = (
        np.ascontiguousarray(np.broadcast_to(v, shape), dtype=np.float64).ravel()
        for v in (t, frequency, recency, T)
    )
    alive = (p_alive if shift == 0 else _mbg_alive)(params, x, tx, T_)
    out: FloatArray = alive * beta_geometric_survival(params, shift, t_, x, T_)
    return out.reshape(shape)


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
    customer whose rate and dropout probability are distributed as the posteriors
    :math:`\\text{Gamma}(r+x, \\alpha+T)` and :math:`\\text{Beta}(a, b+x)` (memorylessness
    of the Poisson process; the alive term of the likelihood, FHL 2005 eq. 6, is
    :math:`(1-p)^x \\lambda^x e^{-\\lambda T}`), so with :func:`prob_purchases` (FHL 2005, eq. 8)

    .. math:: P(Y(t) = n \\mid x, t_x, T) = P(\\text{alive})\\,
        P\\bigl(X(t) = n \\mid r+x, \\alpha+T, a, b+x\\bigr)
        + \\delta_{n=0}\\bigl(1 - P(\\text{alive})\\bigr).

    Its mean over ``n`` is :func:`conditional_expected_purchases`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
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
    The FHL (2005) customer with x = 2, t_x = 30.43, T = 38.86, over the next 39 weeks:

    >>> import numpy as np
    >>> from relmark.clv import bgnbd
    >>> p = np.array([0.243, 4.414, 0.793, 2.426])
    >>> k = np.arange(3.0)
    >>> bgnbd.conditional_prob_purchases(p, k, 39.0 + 0 * k, 2 + 0 * k, 30.43 + 0 * k,
    ...                                  38.86 + 0 * k).round(3)
    array([0.445, 0.239, 0.144])
    """
    return beta_geometric_conditional_prob(params, 0.0, n, t, frequency, recency, T)


def beta_geometric_conditional_prob(
    params: FloatArray,
    shift: float,
    n: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """:func:`conditional_prob_purchases` of BG/NBD (``shift = 0``) and MBG/NBD (``shift =
    1``: the posterior of ``p`` of an active customer is ``Beta(a, b+x+1)``)."""
    r, alpha, a, b = params
    shape = np.broadcast_shapes(*(np.shape(v) for v in (n, t, frequency, recency, T)))
    n_, t_, x, tx, T_ = (
        np.ascontiguousarray(np.broadcast_to(v, shape), dtype=np.float64).ravel()
        for v in (n, t, frequency, recency, T)
    )
    alive = (p_alive if shift == 0 else _mbg_alive)(params, x, tx, T_)
    posterior = np.stack([r + x, alpha + T_, np.full_like(x, a), b + x + shift])
    active = prob_purchases(posterior, n_, t_)
    out: FloatArray = alive * active + np.where(n_ == 0, 1.0 - alive, 0.0)
    return out.reshape(shape)


def _mbg_alive(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """MBG/NBD's P(alive) (kept here so that this module needs not import ``mbgnbd``)."""
    r, alpha, a, b = params
    log_odds = np.log(a / (b + x)) + (r + x) * np.log1p((T - tx) / (alpha + tx))
    out: FloatArray = expit(-log_odds)
    return out


_DERT_NODES = 48


def _gauss(diag: FloatArray, off: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Golub-Welsch: nodes and normalised weights from a Jacobi matrix (no overflow-prone
    normalising constant: the weights are the squared first eigenvector components)."""
    nodes, vecs = eigh_tridiagonal(diag, off)
    weights = np.asarray(vecs[0] ** 2, dtype=np.float64)
    return np.asarray(nodes, dtype=np.float64), weights / weights.sum()


def _gauss_laguerre(n: int, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Gauss rule for the weight u^alpha e^-u on (0, inf), i.e. Gamma(alpha + 1, 1)."""
    k = np.arange(n, dtype=np.float64)
    return _gauss(2 * k + alpha + 1.0, np.sqrt(k[1:] * (k[1:] + alpha)))


def _log_trapezoid(shape: float, c: float, power: int) -> tuple[FloatArray, FloatArray]:
    r"""Nodes and weights for :math:`E[g(u)]`, :math:`u \sim \text{Gamma}(\text{shape}, 1)`,
    by the trapezoidal rule in :math:`t = \ln u` (step 0.2).

    For a small shape the weight sits near 0, where :math:`g = \rho^{k-j}\,{}_2F_1(\dots)`,
    :math:`\rho = u/(c+u)`, turns from 0 to its bulk value on the scale of :math:`c`
    (:math:`(\alpha+T)\delta`, tiny for a tiny discount rate): Gauss-Laguerre nodes do not
    resolve it (2-3 % off at :math:`\delta = 10^{-6}`, :math:`r = 0.24`). In :math:`t` the
    integrand is analytic in a strip of half-width about :math:`\pi/2`, so that the rule
    converges geometrically (error about :math:`e^{-2\pi(\pi/2)/0.2}`). It starts where the
    weight below is under 1e-17, or where :math:`g \le (u/c)^{k-j}` is under
    :math:`e^{-40}`, whichever is later, and stops where the Gamma tail is negligible.
    """
    step = 0.2
    t_mass = (math.log(1e-17) + math.lgamma(shape + 1.0)) / shape
    t_lo = max(t_mass, math.log(max(min(c, 1.0), 1e-300)) - 40.0 / power)
    t_hi = math.log(shape + 60.0 + 12.0 * math.sqrt(shape))
    t = np.arange(t_lo, t_hi + step, step)
    u = np.exp(t)
    w: FloatArray = step * np.exp(shape * t - u - math.lgamma(shape))
    return u, w


_DERT_LOGIT_B = 10.0
"""From this :math:`b'` on (and wherever :math:`\\varepsilon < 10^{-8}`) DERT's beta mean is
:func:`_beta_inverse_mean`'s: scipy's 2F1 was 2e-9 off at :math:`x = 10^3` and slower from
:math:`b' \\approx 10` (CDNOW's parameters, 2,000 customers: 1,271 vs 110 us a customer at
:math:`x = 10`, 1,830 vs 97 at 100; 313 vs 679 at :math:`x = 0`)."""

_LOGIT_TAIL = 37.0  # the geometric lower tail is exact to e^-37 (~1e-16) relative


_CONCENTRATED_A = 20.0
"""From this ``a`` on :func:`_beta_inverse_mean` steps by the width of the density in
:math:`\\tau` (:func:`_beta_inverse_mean_concentrated`): its general step, ~1/a, made 4e8
nodes at a = b' = 1e8 (a DERT that exhausted the memory)."""


def _inverse_mean_sum(
    eps: FloatArray, p: FloatArray, wt: FloatArray, tail: float, right: float = 0.0
) -> FloatArray:
    """``sum_k wt_k / (eps + p_k) + tail / eps + right / (1 + eps)`` for each eps (any
    shape), in blocks."""
    flat = np.ascontiguousarray(eps, dtype=np.float64).ravel()
    out = np.empty_like(flat)
    step = max(1, 2_000_000 // p.size)
    for lo in range(0, flat.size, step):
        e = flat[lo : lo + step]
        out[lo : lo + step] = (
            (wt[None, :] / (e[:, None] + p[None, :])).sum(axis=1) + tail / e + right / (1.0 + e)
        )
    result: FloatArray = out.reshape(np.shape(eps))
    return result


def _right_end(a: float, bp: float, hi: float) -> float:
    """Where the rule in :math:`\\tau` may stop for the geometric right tail of
    :func:`_right_tail`: ``hi`` or, if that is further, the point from which
    :math:`1 - p` and :math:`(a+b')e^{-\\tau}` are below :math:`e^{-40}` (a tiny
    :math:`b'`, whose density falls only as :math:`e^{-b'\\tau}`: 42/b' made 4e9 nodes at
    b' = 1e-8)."""
    return min(hi, max(40.0, math.log(a + bp) + 40.0))


def _right_tail(bp: float, end: float, h: float, shift: float) -> float:
    r"""The rule's terms beyond ``end`` summed: there :math:`p = 1` and the log density is
    :math:`-b'	au` (to 1e-17), so they are :math:`e^{-b'(	au_e + ih) - 	ext{shift}}`,
    :math:`i \ge 1`, a geometric series (the infinite trapezoidal rule, not a truncation)."""
    return math.exp(-bp * end - shift) * math.exp(-bp * h) / -math.expm1(-bp * h)


_Rule = tuple[FloatArray, FloatArray, float, float]
"""Nodes ``p`` and weights of a rule for :math:`E[g(p)]`, p ~ Beta(a, b'), and the weights of
its geometric tails, which multiply :math:`g(0)` and :math:`g(1)`."""


def _beta_rule(a: float, bp: float, low: float) -> _Rule:
    """The rule of :func:`_beta_inverse_mean` for a ``g`` that is flat below ``p = low``
    (:math:`1/(\\varepsilon + p)`: low = eps)."""
    if a >= _CONCENTRATED_A:
        return _concentrated_rule(a, bp)
    h = min(0.15, (2.0 * math.pi**2 / 3.0) / (40.0 + (a + 1.0) * math.log(2.0)))
    t0 = min(math.log(low), -math.log(a + bp)) - _LOGIT_TAIL
    t_full = math.log((a + 12.0 * math.sqrt(a) + 60.0) / (a + bp)) + 42.0 / bp
    t_hi = _right_end(a, bp, t_full)
    tau = t0 + h * np.arange(math.ceil((t_hi - t0) / h) + 1.0)
    log_w = a * tau - (a + bp) * np.logaddexp(0.0, tau)
    shift = float(log_w.max())
    wt = np.exp(log_w - shift)
    q = math.exp(-a * h)
    # the terms below tau0: sum_{i>=1} e^{a(tau0 - i h)} = e^{a tau0} q / (1 - q)
    tail = math.exp(a * t0 - shift) * q / -math.expm1(-a * h)
    right = _right_tail(bp, float(tau[-1]), h, shift) if t_hi < t_full else 0.0
    total = float(wt.sum()) + tail + right
    return expit(tau), wt / total, tail / total, right / total


def _beta_inverse_mean_concentrated(eps: FloatArray, a: float, bp: float) -> FloatArray:
    """:func:`_beta_inverse_mean` by :func:`_concentrated_rule`."""
    p, wt, _, right = _concentrated_rule(a, bp)
    return _inverse_mean_sum(eps, p, wt, 0.0, right)


def _concentrated_rule(a: float, bp: float) -> _Rule:
    r""":func:`_beta_inverse_mean` for :math:`a \ge 20`: the trapezoidal rule in
    :math:`\tau = \ln(p/(1-p))` with a step of 0.4 of the density's width there,
    :math:`\sigma = (1/a + 1/b')^{1/2}` (1/the square root of minus the second derivative of
    its log :math:`f(\tau) = a\tau - (a+b')\ln(1+e^\tau)` at the mode
    :math:`\ln(a/b')`), at most 0.15. :math:`f` is concave, so that its tails fall at
    least geometrically: the rule runs from the mode outwards until :math:`f - \tau` (the
    left, where :math:`1/(\varepsilon+p) \le 1/p`) and :math:`f` (the right) are 60 below
    their values at the mode; with :math:`a \ge 20` the left tail beyond is below
    :math:`e^{-60}` relative and no geometric tail is needed. Self-normalised, as the general
    rule (no :math:`B(a, b')`)."""
    mode = math.log(a) - math.log(bp)
    sigma = math.sqrt(1.0 / a + 1.0 / bp)
    h = min(0.15, 0.4 * sigma)

    def log_f(t: float) -> float:
        return a * t - (a + bp) * (max(t, 0.0) + math.log1p(math.exp(-abs(t))))

    top = log_f(mode)
    k = 1.0
    while log_f(mode - k * sigma) + k * sigma > top - 60.0:
        k *= 2.0
    lo = mode - k * sigma
    k = 1.0
    cap = _right_end(a, bp, math.inf)
    while mode + k * sigma < cap and log_f(mode + k * sigma) > top - 60.0:
        k *= 2.0
    hi = min(mode + k * sigma, cap)
    tau = lo + h * np.arange(math.ceil((hi - lo) / h) + 1.0)
    log_w = a * tau - (a + bp) * np.logaddexp(0.0, tau)
    shift = float(log_w.max())
    wt = np.exp(log_w - shift)
    right = _right_tail(bp, float(tau[-1]), h, shift) if hi == cap else 0.0
    total = float(wt.sum()) + right
    return expit(tau), wt / total, 0.0, right / total


def _beta_inverse_mean(eps: FloatArray, a: float, bp: float) -> FloatArray:
    r""":math:`E[1/(\varepsilon + p)]`, :math:`p \sim \text{Beta}(a, b')`, for each
    :math:`\varepsilon > 0` of ``eps`` (any shape), from :math:`\varepsilon` itself.

    The closed form :math:`w\,{}_2F_1(1, b'; a+b'; w)`, :math:`w = 1/(1+\varepsilon)`,
    needs :math:`1 - w = \varepsilon/(1+\varepsilon)` to full relative precision: for
    :math:`a < 1` the value grows like :math:`\varepsilon^{a-1}`, so that the rounding of
    :math:`w` (an absolute 1e-16) moves it by :math:`(1-a)\,10^{-16}/\varepsilon` relative
    (4e-6 at :math:`x = 10^{11}` in BG/NBD's DERT, where :math:`\varepsilon \approx c/x`), and
    scipy's 2F1 fails outright near :math:`w = 1` with a huge :math:`b'`. Here instead the
    trapezoidal rule in :math:`\tau = \ln(p/(1-p))`, where the density is
    :math:`\propto e^{a\tau}(1+e^\tau)^{-(a+b')}`, with :math:`p` and
    :math:`\varepsilon` exact. The integrand is analytic in the strip :math:`|\Im\tau| < \pi`
    (poles at :math:`p = -\varepsilon` and :math:`p = \infty`); on :math:`\Im\tau = \pi/3` it
    is at most :math:`2^{a+1}` times its integral, so a step
    :math:`h \le (2\pi^2/3)/(40 + (a+1)\ln 2)` gives an error under 1e-17. Below
    :math:`\tau_0 = \min(\ln\varepsilon_{\min}, -\ln(a+b')) - 37` the terms are
    :math:`e^{a\tau}/\varepsilon` to 1e-16 relative and sum as a geometric series (for a tiny
    :math:`a` that tail is not small); the rule stops where :math:`p\,(a+b')` is past the
    upper quantile of a Gamma(:math:`a`) (:math:`a + 12\sqrt a + 60`) and
    :math:`e^{-b'\tau}` is under 1e-18. The weights are normalised by their own sum (the same
    rule applied to the density), so that no :math:`B(a, b')` (whose logarithm cancels for a
    huge :math:`b'`) is formed.
    """
    p, wt, left, right = _beta_rule(a, bp, float(np.min(eps)))
    return _inverse_mean_sum(eps, p, wt, left, right)


def dert(
    params: FloatArray,
    discount_rate: float,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Discounted expected residual transactions with continuous discounting at rate δ.

    An active customer with rate λ and dropout probability p makes, discounted,
    :math:`\\sum_{k\\ge1}(1-p)^{k-1}(\\tfrac{\\lambda}{\\lambda+\\delta})^k
    = \\lambda/(\\delta + p\\lambda)` transactions. Given the history, λ ~ Gamma(r+x, α+T)
    and p ~ Beta(a, b+x) for an active customer, so

    .. math:: \\mathrm{DERT} = P(\\text{alive})\\,
        E\\Bigl[\\frac{\\lambda}{\\delta + p\\lambda}\\Bigr],

    the expectation over p in closed form (a Gauss hypergeometric function of positive
    terms, after Pfaff's transformation) and over λ by generalised Gauss-Laguerre quadrature
    whose weight is exactly the posterior density (nodes by Golub-Welsch, once per distinct
    frequency); for a small posterior shape :math:`r + x < 5`, whose weight sits near 0 where
    the integrand turns on the scale of :math:`(\alpha+T)\\delta`, by the trapezoidal rule in
    :math:`\\ln u` instead (Gauss-Laguerre was 2 % off at :math:`\\delta = 10^{-6}`).
    From :math:`b+x \\ge 10` on, or where :math:`\\varepsilon = (\\alpha+T)\\delta/u < 10^{-8}`,
    the mean over p is :func:`_beta_inverse_mean`'s, from :math:`\\varepsilon` itself: the
    closed form's argument :math:`w = 1/(1+\\varepsilon)` rounds :math:`1-w` away at a large
    frequency (DERT/x was 4e-6 off at :math:`x = 10^{11}`, 34 % at :math:`10^{15}`, -47 % at
    :math:`2^{53}-1`; now within 1e-11 of mpmath at every accepted frequency).

    The expectation depends on the history only through :math:`x` and :math:`\\alpha + T`:
    from 20,000 customers on it is interpolated per frequency in :math:`\\ln(\\alpha+T)`
    (:mod:`relmark.clv._tabulate`: Chebyshev points, each exact, accepted when converged to
    1e-13), which took CDNOW's 100,000 customers from ~2,100 to ~500,000 a second
    (``benchmarks/bench_dert.py``; at x = 0 the exact rule costs ~235 2F1's a customer).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    discount_rate
        The continuous discount rate :math:`\\delta` per time unit of the model, > 0.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T` (time since the first purchase, :math:`T \\ge t_x`), in
        the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Discounted expected residual transactions of each customer, shape ``(n,)``.
    """
    alpha = params[1]
    x = frequency
    rate = float(discount_rate)

    def exact(key: FloatArray, scale: FloatArray, times: FloatArray) -> FloatArray:
        flat = _dert_alive(params, rate, key[:, 0], scale[:, 0])
        return flat[:, None]

    # the active customer's part depends on the history only through x and alpha + T: per
    # distinct x a Chebyshev interpolant in ln(alpha + T), accepted when converged to 1e-13
    # (relmark.clv._tabulate; each node exact): at x = 0 the exact rule costs ~235 2F1's a
    # customer (the trapezoidal rule of a small shape), ~470 us
    alive_part = tabulate(exact, x, alpha + T, np.zeros(1))[:, 0]
    result: FloatArray = alive_part * p_alive(params, x, recency, T)
    return result


def _dert_alive(params: FloatArray, rate: float, x: FloatArray, a_t: FloatArray) -> FloatArray:
    """:math:`E[\\lambda/(\\delta + p\\lambda)]` over the posterior of an active customer
    (Gamma(r+x, alpha+T), Beta(a, b+x)) for each row of ``x`` and ``a_t`` = alpha + T, by the
    quadratures of :func:`dert`."""
    r, _, a, b = params
    out = np.empty(x.shape[0])
    c = a_t * rate
    for xv in np.unique(x):
        rows = x == xv
        # u = λ(α+T) ~ Gamma(r + x, 1) by generalised Gauss-Laguerre. For fixed u, with
        # c = δ(α+T): E_p[u/(c + p u)] = w 2F1(1, b+x; a+b+x; w), w = u/(c+u) (Pfaff), a
        # series of positive terms.
        # a small shape puts weight near u = 0, where the integrand turns at u ~ c: more nodes
        # (Gauss-Laguerre misses it at a tiny discount rate: the trapezoidal rule in ln u then)
        if r + xv >= 5:
            u, wu = _gauss_laguerre(_DERT_NODES, float(r + xv - 1.0))
        else:
            u, wu = _log_trapezoid(float(r + xv), float(c[rows].min()), 1)
        with np.errstate(over="ignore"):  # a rate of 1e300: eps = inf, the term's limit 0
            eps = c[rows][:, None] / u[None, :]
        bp = float(b + xv)
        vals = np.full(eps.shape[0], np.nan)
        if bp < _DERT_LOGIT_B and float(eps.min()) >= 1e-8:
            w = 1.0 / (1.0 + eps)
            with np.errstate(all="ignore"):
                # scipy's own 2F1: where it fails the logit rule below takes over
                vals = (w * special.hyp2f1(1.0, bp, a + bp, w)) @ wu
        bad = ~np.isfinite(vals)
        if bad.any():
            # E_p[1/(eps + p)] from eps itself (1 - w is lost at a huge frequency)
            vals[bad] = _beta_inverse_mean(eps[bad], float(a), bp) @ wu
        out[rows] = vals
    return out


def simulate(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
    """Simulate repeat-purchase histories of customers observed for ``T`` after their first.

    Each customer draws :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and
    :math:`p \\sim \\text{Beta}(a, b)`, buys as a Poisson process of rate :math:`\\lambda`
    and drops out after each repeat purchase with probability :math:`p`.

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    T
        Each customer's observation length, in the model's time unit (one value per customer).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency``, ``recency``, ``T`` and the latent ``alive`` flag at ``T`` (1.0 or 0.0),
        each of shape ``(n,)``, ready for :meth:`BGNBD.fit`.
    """
    return simulate_beta_geometric(params, T, rng=rng, drop_after_first=False)


def simulate_beta_geometric(
    params: FloatArray, T: npt.ArrayLike, *, rng: RngLike, drop_after_first: bool
) -> dict[str, FloatArray]:
    """Poisson purchases with a beta-geometric dropout after each purchase (BG/NBD), or after
    every purchase including the first (MBG/NBD, ``drop_after_first=True``)."""
    r, alpha, a, b = params
    gen = as_rng(rng)
    T_arr = np.atleast_1d(np.asarray(T, dtype=np.float64))
    n = T_arr.shape[0]
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    p = gen.beta(a, b, size=n)
    now = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    # still buying and inside the window
    active = gen.random(n) >= p if drop_after_first else np.ones(n, dtype=bool)
    alive = active.copy()
    while active.any():
        idx = np.flatnonzero(active)
        # a purchase rate that underflows to (or near) 0 with a tiny r: no next purchase
        with np.errstate(divide="ignore", over="ignore"):
            now[idx] += gen.exponential(1.0, size=idx.size) / lam[idx]
        inside = now[idx] <= T_arr[idx]
        buy = idx[inside]
        x[buy] += 1
        tx[buy] = now[buy]
        drop = buy[gen.random(buy.size) < p[buy]]
        alive[drop] = False
        active[idx[~inside]] = False
        active[drop] = False
    return {"frequency": x, "recency": tx, "T": T_arr, "alive": alive.astype(np.float64)}


class BGNBD(RFMModel):
    """The BG/NBD model (Fader, Hardie & Lee 2005) with parameters ``r, alpha, a, b``.

    Build it from known parameters or fit it:

    >>> from relmark.clv import BGNBD
    >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(float(model.conditional_expected_purchases(2, 30.43, 38.86, t=39)[0]), 3)
    1.226

    See :mod:`relmark.clv.bgnbd` for the likelihood and formulas.

    Parameters
    ----------
    **params
        ``r`` and ``alpha``, shape and scale (in the data's time unit) of the gamma
        distribution of purchase rates :math:`\\lambda`; ``a`` and ``b``, the shapes of the
        beta distribution of the dropout probability :math:`p` after each purchase. All four
        are finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).
    """

    name: ClassVar[str] = "BGNBD"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood,
        log_likelihood_grad,
        log_likelihood_and_grad,
        value_grad_hess=log_likelihood_grad_hess,
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
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, _, T = data
        mean_rate = float(weights @ x) / max(float(weights @ T), 1e-9)
        r = 1.0
        alpha = r / max(mean_rate, 1e-6)
        return np.array([r, min(alpha, 1e6), 1.0, 3.0])
