r"""MBG/NBD: BG/NBD in which a customer may also drop out right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", *International Journal of Research in Marketing* 24(3), 201-209.

As in BG/NBD, purchases are Poisson with rate :math:`\lambda \sim \text{Gamma}(r, \alpha)` and
after *every* purchase, the first included, the customer drops out with probability
:math:`p \sim \text{Beta}(a, b)`. A customer with no repeat purchase can therefore be inactive,
which removes BG/NBD's artefact that such customers are always alive. The likelihood is

.. math::

    L = \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)} \Bigl[
        \frac{B(a, b+x+1)}{B(a,b)} (\alpha+T)^{-(r+x)}
      + \frac{B(a+1, b+x)}{B(a,b)} (\alpha+t_x)^{-(r+x)} \Bigr],

so that :math:`P(\text{alive}) = 1/\bigl(1 + \frac{a}{b+x}(\frac{\alpha+T}{\alpha+t_x})^{r+x}\bigr)`
and the conditional expectation is BG/NBD's with :math:`b+x` replaced by :math:`b+x+1`
(evaluated by the same overflow-free hypergeometric form, :mod:`relmark.clv.bgnbd`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, expit

from relmark._validation import FloatArray
from relmark.clv._base import RngLike
from relmark.clv._engine import Likelihood
from relmark.clv._params import ParamSet
from relmark.clv._rfm import Predictions, RFMModel
from relmark.clv._special import log_rising
from relmark.clv.bgcnbd import dert as erlang_dert  # MBG/CNBD-k at k = 1 is MBG/NBD
from relmark.clv.bgnbd import (
    PARAMS,
    _core,
    alive_scalar,
    beta_geometric_alive_ahead,
    beta_geometric_conditional_prob,
    beta_geometric_grad_hess,
    beta_geometric_log_likelihood_and_grad,
    conditional_from_remaining,
    negbin_log_pmf,
    simulate_beta_geometric,
)
from relmark.clv.bgnbd import remaining as beta_geometric_remaining

__all__ = [
    "MBGNBD",
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


def log_likelihood(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood (Batislam et al. 2007, eq. 6), in log space.

    .. math:: L = \\frac{\\Gamma(r+x)\\alpha^r}{\\Gamma(r)} \\Bigl[
        \\frac{B(a, b+x+1)}{B(a,b)} (\\alpha+T)^{-(r+x)}
        + \\frac{B(a+1, b+x)}{B(a,b)} (\\alpha+t_x)^{-(r+x)} \\Bigr]

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
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\ln L` of each customer, shape ``(n,)``.
    """
    return _core(params, frequency, recency, T, shift=1)[0]


def log_likelihood_and_grad(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood rows and their analytic gradient in ``[r, alpha, a, b]``: BG/NBD's with
    ``b + x`` replaced by ``b + x + 1`` (see
    :func:`relmark.clv.bgnbd.beta_geometric_log_likelihood_and_grad`).

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
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    tuple of numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``, and its gradient, shape
        ``(n, 4)``.
    """
    return beta_geometric_log_likelihood_and_grad(params, frequency, recency, T, shift=1)


def log_likelihood_grad_hess(
    params: FloatArray,
    weights: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Weighted sums of the log-likelihood, its gradient and its analytic Hessian in
    ``[r, alpha, a, b]``, in one pass: BG/NBD's formulas with ``b + x`` replaced by
    ``b + x + 1`` (:func:`relmark.clv.bgnbd.log_likelihood_grad_hess`).

    .. math::
        \nabla^2 \ln L = \nabla^2 A + w_2 \nabla^2\eta + w_2(1-w_2)\,
        \nabla\eta\,\nabla\eta^\top,\qquad
        \eta = \ln\frac{a}{b+x} + (r+x)\ln\frac{\alpha+T}{\alpha+t_x}

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
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and
    comparison of models for customer base analysis. International Journal of Research in
    Marketing 24(3), 201-209 (eq. 6).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import mbgnbd
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> x, tx, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86])
    >>> value, grad, hess = mbgnbd.log_likelihood_grad_hess(p, np.ones(2), x, tx, T)
    >>> bool(np.isclose(value, mbgnbd.log_likelihood(p, x, tx, T).sum()))
    True
    """
    return beta_geometric_grad_hess(params, weights, frequency, recency, T, shift=1)


def p_alive(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that each customer is still active (Batislam et al. 2007).

    .. math:: P(\\text{alive} \\mid x, t_x, T) = \\Bigl(1 + \\frac{a}{b+x}
        \\Bigl(\\frac{\\alpha+T}{\\alpha+t_x}\\Bigr)^{r+x}\\Bigr)^{-1},

    for every :math:`x`, :math:`x = 0` included (unlike BG/NBD).

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
        Each customer's age :math:`T \\ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The probabilities, in ``(0, 1]``, shape ``(n,)``.
    """
    r, alpha, a, b = params
    x = frequency
    if x.shape == (1,):  # one customer: Python floats
        x0 = float(x[0])
        return np.array([alive_scalar(params, b + x0, x0, float(recency[0]), float(T[0]))])
    log_odds = np.log(a / (b + x)) + (r + x) * np.log1p((T - recency) / (alpha + recency))
    out: FloatArray = expit(-log_odds)  # 1 / (1 + odds), without overflow
    return out


def conditional_expected_purchases(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` given the history (Batislam et al. 2007, eq. 10).

    .. math:: E[Y(t) \\mid x, t_x, T] = P(\\text{alive} \\mid x, t_x, T)\\,
        \\frac{a+b+x}{a-1}\\Bigl[1 - \\Bigl(\\frac{\\alpha+T}{\\alpha+T+t}
        \\Bigr)^{r+x} {}_2F_1\\Bigl(r+x, b+x+1; a+b+x; \\frac{t}{\\alpha+T+t}\\Bigr)\\Bigr]

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
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
    """
    x, tx, T_ = np.broadcast_arrays(frequency, recency, T)
    return conditional_from_remaining(params, 1.0, p_alive(params, x, tx, T_), t, x, T_)


def remaining(
    params: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    T: FloatArray,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Expected purchases in ``(T, T+t]`` of customers alive at ``T`` (BG/NBD's with the
    extra dropout chance: ``b + x + 1`` for ``b + x``), per horizon or summed against weights.

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
        Optional weights of the horizons, shape ``(k,)``.

    Returns
    -------
    numpy.ndarray
        Expected purchases, shape ``(n, k)``, or ``(n,)`` summed against ``weights``.
    """
    return beta_geometric_remaining(params, t, frequency, T, weights, shift=1.0)


def expected_purchases_new_customer(params: FloatArray, t: FloatArray) -> FloatArray:
    """Expected purchases of a new customer by ``t`` (Batislam et al. 2007, eq. 8).

    .. math:: \\frac{b}{a-1}\\Bigl[1 - \\bigl(\\tfrac{\\alpha}{\\alpha+t}\\bigr)^r
        {}_2F_1\\bigl(r, b+1; a+b; \\tfrac{t}{\\alpha+t}\\bigr)\\Bigr]

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
    """:math:`P(X(t) = n)` for a new customer.

    Given :math:`\\lambda, p`: :math:`(1-p)^{n+1} P(N(t)=n) + p(1-p)^n P(N(t) \\ge n)`, with
    :math:`N` the Poisson purchase process; averaged over the beta and gamma mixing
    distributions (the negative-binomial tail by the regularised incomplete beta function).

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
    n, t = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(t, np.float64))
    log_nb = negbin_log_pmf(n, r, alpha, t)
    # the beta ratios as rising factorials (betaln's differences: 5e-7 off at a = b = 1e8);
    # B(a+1, b+n) = B(a, b+n) a/(a+b+n)
    stay = np.exp(log_rising(b, n + 1.0) - log_rising(a + b, n + 1.0) + log_nb)
    leave = a / (a + b + n) * np.exp(log_rising(b, n) - log_rising(a + b, n))
    tail = np.where(n > 0, betainc(np.maximum(n, 1e-300), r, t / (alpha + t)), 1.0)
    out: FloatArray = stay + leave * tail
    return out


def p_alive_ahead(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability that a customer with history (x, t_x, T) is still active at ``T + t``.

    As in BG/NBD (:func:`relmark.clv.bgnbd.p_alive_ahead`), an active customer survives the
    next ``t`` with probability :math:`e^{-\\lambda p t}`; alive at ``T`` they have survived
    :math:`x + 1` dropout chances, so :math:`p \\sim \\text{Beta}(a, b+x+1)`, and

    .. math:: P(\\text{alive at } T+t \\mid x, t_x, T) = P(\\text{alive} \\mid x, t_x, T)
        \\,(1-z)^{a}\\,{}_2F_1(a, a+b+1-r; a+b+x+1; z), \\qquad z = \\frac{t}{\\alpha+T+t}.

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
        The probabilities, in ``[0, 1]``, of the broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import mbgnbd
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> z = np.zeros(2)
    >>> mbgnbd.p_alive_ahead(p, np.array([0.0, 52.0]), z, z, z + 38.86).round(3)
    array([0.39 , 0.345])
    """
    return beta_geometric_alive_ahead(params, 1.0, t, frequency, recency, T)


def conditional_prob_purchases(
    params: FloatArray,
    n: FloatArray,
    t: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """:math:`P(Y(t) = n \\mid x, t_x, T)`: exactly ``n`` purchases in ``(T, T+t]``.

    An active customer at ``T`` has survived :math:`x + 1` dropout chances; from then on they
    are a BG/NBD new customer (dropout after each further purchase) with the posteriors
    :math:`\\text{Gamma}(r+x, \\alpha+T)` and :math:`\\text{Beta}(a, b+x+1)`, so with
    :func:`relmark.clv.bgnbd.prob_purchases`

    .. math:: P(Y(t) = n \\mid x, t_x, T) = P(\\text{alive})\\,
        P_{\\text{BG/NBD}}\\bigl(X(t) = n \\mid r+x, \\alpha+T, a, b+x+1\\bigr)
        + \\delta_{n=0}\\bigl(1 - P(\\text{alive})\\bigr)

    (the posterior update of Fader, Hardie & Lee 2005 with Batislam et al.'s extra dropout
    chance: the alive term of the likelihood is :math:`(1-p)^{x+1}\\lambda^x e^{-\\lambda T}`).
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
    >>> import numpy as np
    >>> from relmark.clv import mbgnbd
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> k = np.arange(3.0)
    >>> mbgnbd.conditional_prob_purchases(p, k, 39.0, 2.0, 30.43, 38.86).round(3)
    array([0.44 , 0.234, 0.146])
    """
    return beta_geometric_conditional_prob(params, 1.0, n, t, frequency, recency, T)


def dert(
    params: FloatArray,
    discount_rate: float,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    r"""Discounted expected residual transactions with continuous discounting at rate
    :math:`\delta`, :math:`\int_0^\infty e^{-\delta t}\, dE[Y(t) \mid x, t_x, T]` (the
    convention of :func:`relmark.clv.bgnbd.dert`).

    Alive at ``T``, a customer has survived :math:`x + 1` dropout chances, so that
    :math:`p \sim \text{Beta}(a, b+x+1)` and :math:`\lambda \sim \text{Gamma}(r+x,
    \alpha+T)`, and from then on drops out after each purchase as in BG/NBD:

    .. math:: \mathrm{DERT} = P(\text{alive})\,
        E\Bigl[\frac{\lambda}{\delta + p\lambda}\Bigr],

    BG/NBD's expectation with :math:`b+x+1` for :math:`b+x` times MBG/NBD's P(alive), which
    at :math:`x = 0` is below 1: MBG/CNBD-k's at :math:`k = 1`
    (:func:`relmark.clv.bgcnbd.dert`, whose quadrature stays accurate at tiny rates).

    Parameters
    ----------
    params
        ``[r, alpha, a, b]``, float array ``(4,)``.
    discount_rate
        The continuous discount rate :math:`\delta` per time unit of the model, > 0.
    frequency
        Repeat purchases :math:`x` of each customer (whole numbers >= 0), float array ``(n,)``.
    recency
        Time :math:`t_x` of each customer's last repeat purchase since their first, in the
        model's time unit (0 when :math:`x = 0`), float array ``(n,)``.
    T
        Each customer's age :math:`T \ge t_x`, in the model's time unit, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Discounted expected residual transactions of each customer, shape ``(n,)``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves
    for customer base analysis. Journal of Marketing Research 42(4), 415-430 (eq. 2);
    Batislam, Denizel & Filiztekin (2007).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import mbgnbd
    >>> p = np.array([0.525, 6.183, 0.891, 1.614])
    >>> mbgnbd.dert(p, 0.15 / 52, np.array([0.0, 2.0]), np.array([0.0, 30.43]),
    ...             np.array([38.86, 38.86])).round(3)
    array([0.694, 4.746])
    """
    return erlang_dert(params, discount_rate, frequency, recency, T, k=1, modified=True)


def simulate(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
    """Simulate customers observed for ``T`` after their first purchase (dropout possible
    right after the first purchase).

    Each customer draws :math:`\\lambda \\sim \\text{Gamma}(r, \\alpha)` and
    :math:`p \\sim \\text{Beta}(a, b)`, may drop out at once with probability :math:`p`, and
    otherwise buys as a Poisson process dropping out after each repeat purchase with
    probability :math:`p`.

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
        ``frequency``, ``recency``, ``T`` and the latent ``alive`` flag at ``T``, each of shape
        ``(n,)``, ready for :meth:`MBGNBD.fit`.
    """
    return simulate_beta_geometric(params, T, rng=rng, drop_after_first=True)


class MBGNBD(RFMModel):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with ``r, alpha, a, b``.

    The same model was proposed independently as the central variant CBG/NBD (Hoppe & Wagner
    2007, "Customer base analysis: the case for a central variant of the Betageometric/NBD
    model", *Marketing - Journal of Research and Management* 3(2), 75-90). Its DERT
    (:func:`dert`) is BG/NBD's quadrature with the extra dropout chance.

    Parameters
    ----------
    **params
        ``r`` and ``alpha``, shape and scale (in the data's time unit) of the gamma
        distribution of purchase rates; ``a`` and ``b``, the shapes of the beta distribution
        of the dropout probability after each purchase, the first included. All > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).

    Examples
    --------
    >>> from relmark.clv import MBGNBD
    >>> m = MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614)
    >>> round(float(m.p_alive(0, 0, 38.86)[0]), 3)  # no repeat purchase: not surely alive
    0.39
    """

    name: ClassVar[str] = "MBGNBD"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood,
        None,
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
        remaining=remaining,
        conditional_prob_purchases=conditional_prob_purchases,
        p_alive_ahead=p_alive_ahead,
    )

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        x, _, T = data
        mean_rate = float(weights @ x) / max(float(weights @ T), 1e-9)
        return np.array([1.0, min(1.0 / max(mean_rate, 1e-6), 1e6), 1.0, 3.0])
