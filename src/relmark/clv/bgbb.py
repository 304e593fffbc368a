r"""BG/BB: beta-geometric / beta-Bernoulli, non-contractual with discrete opportunities.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
setting", *Marketing Science* 29(6), 1086-1108.

At each of :math:`n` transaction opportunities after the first (annual donations, event
attendances), an active customer transacts with probability :math:`p \sim \text{Beta}(\alpha,
\beta)`, and may become inactive at the start of each opportunity with probability
:math:`\theta \sim \text{Beta}(\gamma, \delta)`. The data are relmark's usual names on the
discrete grid: ``frequency`` :math:`x` (transactions in the :math:`n` opportunities),
``recency`` :math:`t_x` (the opportunity of the last one, 0 if none) and ``T`` :math:`= n`
(the number of opportunities). The likelihood (FHS 2010, eq. 5) is

.. math::

    L = \frac{B(\alpha+x, \beta+n-x)}{B(\alpha,\beta)}\frac{B(\gamma, \delta+n)}{B(\gamma,\delta)}
      + \sum_{i=0}^{n-t_x-1} \frac{B(\alpha+x, \beta+t_x-x+i)}{B(\alpha,\beta)}
        \frac{B(\gamma+1, \delta+t_x+i)}{B(\gamma,\delta)},

evaluated as a log-sum-exp. Predictions: P(alive at opportunity :math:`n+1`) (eq. 11),
expected transactions in the next :math:`t` opportunities (eq. 13, as its finite sum, which
has no singularity at :math:`\gamma = 1`), :math:`P(X(n) = x)` (eq. 6), and DERT with a
discount rate per opportunity (eq. 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, gammaln, logsumexp

from relmark._validation import FloatArray, _offending, check_number, check_rfm
from relmark.clv._base import RngLike
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import Predictions, RFMModel, as_rng
from relmark.clv._special import hyp2f1
from relmark.errors import ArgumentError, DataError

__all__ = [
    "BGBB",
    "conditional_expected_purchases",
    "dert",
    "expected_purchases_new_customer",
    "log_likelihood",
    "p_alive",
    "prob_purchases",
    "simulate",
]

PARAMS = ParamSet(
    (
        Param(
            "alpha", "first shape of the beta distribution of transaction probabilities", (0.2, 5.0)
        ),
        Param(
            "beta", "second shape of the beta distribution of transaction probabilities", (0.2, 5.0)
        ),
        Param("gamma", "first shape of the beta distribution of dropout probabilities", (0.2, 5.0)),
        Param(
            "delta", "second shape of the beta distribution of dropout probabilities", (0.2, 5.0)
        ),
    )
)


def _log_l(params: FloatArray, x: FloatArray, tx: FloatArray, n: FloatArray) -> FloatArray:
    a, b, g, d = params
    base_p = betaln(a, b)
    base_t = betaln(g, d)
    first: FloatArray = betaln(a + x, b + n - x) - base_p + betaln(g, d + n) - base_t
    gap = (n - tx).astype(np.int64)
    width = int(gap.max(initial=0))
    if width == 0:
        return first
    i = np.arange(width, dtype=np.float64)[None, :]
    terms = (
        betaln(a + x[:, None], b + tx[:, None] - x[:, None] + i)
        - base_p
        + betaln(g + 1.0, d + tx[:, None] + i)
        - base_t
    )
    terms = np.where(i < gap[:, None], terms, -np.inf)
    out: FloatArray = logsumexp(np.column_stack([first, terms]), axis=1)
    return out


def log_likelihood(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood (FHS 2010, eq. 5); ``T`` is the number of opportunities.

    .. math:: L = \\frac{B(\\alpha+x, \\beta+n-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma, \\delta+n)}{B(\\gamma,\\delta)}
        + \\sum_{i=0}^{n-t_x-1} \\frac{B(\\alpha+x, \\beta+t_x-x+i)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma+1, \\delta+t_x+i)}{B(\\gamma,\\delta)}

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    frequency
        Transactions :math:`x` of each customer in the :math:`n` opportunities after the first
        (whole numbers, :math:`0 \\le x \\le n`), float array ``(n_customers,)``.
    recency
        The opportunity :math:`t_x` of each customer's last transaction (0 without one), float
        array ``(n_customers,)``.
    T
        Each customer's number of opportunities :math:`n \\ge t_x` (whole numbers), float
        array ``(n_customers,)``.

    Returns
    -------
    numpy.ndarray
        :math:`\\ln L` of each customer, shape ``(n_customers,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import bgbb
    >>> p = np.array([1.204, 0.750, 0.657, 2.783])  # FHS 2010's donation data
    >>> # the four possible histories (x, t_x) in n = 2 opportunities: probabilities sum to 1
    >>> x, tx = np.array([0.0, 1, 1, 2]), np.array([0.0, 1, 2, 2])
    >>> round(float(np.exp(bgbb.log_likelihood(p, x, tx, np.full(4, 2.0))).sum()), 12)
    1.0
    """
    return _log_l(params, frequency, recency, T)


def p_alive(
    params: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Probability of being active at the next opportunity :math:`n+1` (FHS 2010, eq. 11).

    .. math:: P(\\text{alive at } n+1 \\mid x, t_x, n) =
        \\frac{B(\\alpha+x, \\beta+n-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma, \\delta+n+1)}{B(\\gamma,\\delta)}\\Big/ L(\\alpha,\\beta,\\gamma,\\delta
        \\mid x, t_x, n)

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    frequency
        Transactions :math:`x` of each customer in the :math:`n` opportunities after the first
        (whole numbers, :math:`0 \\le x \\le n`), float array ``(n_customers,)``.
    recency
        The opportunity :math:`t_x` of each customer's last transaction (0 without one), float
        array ``(n_customers,)``.
    T
        Each customer's number of opportunities :math:`n \\ge t_x` (whole numbers), float
        array ``(n_customers,)``.

    Returns
    -------
    numpy.ndarray
        The probabilities, in ``(0, 1)``, shape ``(n_customers,)``.
    """
    a, b, g, d = params
    x, n = frequency, T
    num = betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n + 1.0) - betaln(g, d)
    out: FloatArray = np.exp(num - _log_l(params, frequency, recency, T))
    return out


def conditional_expected_purchases(
    params: FloatArray, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray
) -> FloatArray:
    """Expected transactions in the next ``t`` opportunities (FHS 2010, eq. 13).

    Evaluated as the finite sum over the coming opportunities (no singularity at
    :math:`\\gamma = 1`, unlike the paper's closed form):

    .. math:: E[X(n, n+t) \\mid x, t_x, n] = \\frac{1}{L}
        \\frac{B(\\alpha+x+1, \\beta+n-x)}{B(\\alpha,\\beta)}
        \\sum_{k=1}^{t} \\frac{B(\\gamma, \\delta+n+k)}{B(\\gamma,\\delta)}

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    t
        The number of coming opportunities (whole numbers >= 0), broadcast against the
        histories.
    frequency
        Transactions :math:`x` of each customer in the :math:`n` opportunities after the first
        (whole numbers, :math:`0 \\le x \\le n`), float array ``(n_customers,)``.
    recency
        The opportunity :math:`t_x` of each customer's last transaction (0 without one), float
        array ``(n_customers,)``.
    T
        Each customer's number of opportunities :math:`n \\ge t_x` (whole numbers), float
        array ``(n_customers,)``.

    Returns
    -------
    numpy.ndarray
        Expected transactions, of the broadcast shape of ``t`` and the histories.
    """
    a, b, g, d = params
    t, x, tx, n = np.broadcast_arrays(t, frequency, recency, T)
    log_l = _log_l(params, x.ravel(), tx.ravel(), n.ravel()).reshape(x.shape)
    lead = betaln(a + x + 1.0, b + n - x) - betaln(a, b) - betaln(g, d) - log_l
    horizon = int(np.max(t, initial=0))
    out = np.zeros(x.shape)
    for k in range(1, horizon + 1):
        out += np.where(k <= t, np.exp(lead + betaln(g, d + n + k)), 0.0)
    return out


def expected_purchases_new_customer(params: FloatArray, t: FloatArray) -> FloatArray:
    """Expected transactions of a new customer in ``t`` opportunities (FHS 2010, eq. 7).

    .. math:: E[X(t)] = \\frac{\\alpha}{\\alpha+\\beta}
        \\sum_{k=1}^{t} \\frac{B(\\gamma, \\delta+k)}{B(\\gamma,\\delta)}

    (the paper's closed form as its finite sum).

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    t
        Numbers of opportunities (whole numbers >= 0), float array.

    Returns
    -------
    numpy.ndarray
        Expected transactions, same shape as ``t``.
    """
    a, b, g, d = params
    horizon = int(np.max(t, initial=0))
    k = np.arange(1, horizon + 1, dtype=np.float64)
    per = a / (a + b) * np.exp(betaln(g, d + k) - betaln(g, d))
    cum = np.r_[0.0, np.cumsum(per)]
    out: FloatArray = cum[np.asarray(t, dtype=np.int64)]
    return out


def prob_purchases(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`P(X(t) = n)` for a new customer over ``t`` opportunities (FHS 2010, eq. 6).

    With :math:`x` the count and :math:`n` the opportunities, as in the paper:

    .. math:: P(X(n) = x) = \\binom{n}{x}
        \\frac{B(\\alpha+x, \\beta+n-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma, \\delta+n)}{B(\\gamma,\\delta)}
        + \\sum_{i=x}^{n-1} \\binom{i}{x}
        \\frac{B(\\alpha+x, \\beta+i-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma+1, \\delta+i)}{B(\\gamma,\\delta)}

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    n
        Counts of transactions (whole numbers >= 0), float array.
    t
        Numbers of opportunities (whole numbers >= 0), broadcast against ``n``.

    Returns
    -------
    numpy.ndarray
        The probabilities (0 where ``n > t``), of the broadcast shape of ``n`` and ``t``.
    """
    a, b, g, d = params
    # (below, x is the count and n the number of opportunities, as in the paper)
    x, n = np.broadcast_arrays(np.asarray(n, np.float64), np.asarray(t, np.float64))

    def log_choose(top: FloatArray, k: FloatArray) -> FloatArray:
        out: FloatArray = gammaln(top + 1.0) - gammaln(k + 1.0) - gammaln(top - k + 1.0)
        return out

    # counts above the opportunities (n = 1e300 at t = 6) make log-gammas of negative
    # arguments, NaN, masked to 0 below: no RuntimeWarning for them
    with np.errstate(invalid="ignore", over="ignore"):
        first = np.exp(
            log_choose(n, x)
            + betaln(a + x, b + n - x)
            - betaln(a, b)
            + betaln(g, d + n)
            - betaln(g, d)
        )
    total = np.where(x <= n, first, 0.0)
    for i in range(int(np.max(n, initial=0))):
        fi = float(i)
        with np.errstate(invalid="ignore"):
            term = np.exp(
                log_choose(np.full_like(x, fi), x)
                + betaln(a + x, b + fi - x)
                - betaln(a, b)
                + betaln(g + 1.0, d + fi)
                - betaln(g, d)
            )
        total = total + np.where((x <= fi) & (fi < n), term, 0.0)
    out: FloatArray = total
    return out


def dert(
    params: FloatArray,
    discount_rate: float,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Discounted expected residual transactions, discount rate per opportunity (eq. 14).

    With :math:`d` the discount rate per opportunity (FHS 2010, eq. 14):

    .. math:: \\mathrm{DERT}(d \\mid x, t_x, n) = \\frac{1}{L}
        \\frac{B(\\alpha+x+1, \\beta+n-x)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma, \\delta+n+1)}{B(\\gamma,\\delta)\\,(1+d)}\\,
        {}_2F_1\\Bigl(1, \\delta+n+1; \\gamma+\\delta+n+1; \\frac{1}{1+d}\\Bigr)

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    discount_rate
        The discount rate :math:`d` per opportunity, > 0 (0.1 for 10 % a year with annual
        opportunities).
    frequency
        Transactions :math:`x` of each customer in the :math:`n` opportunities after the first
        (whole numbers, :math:`0 \\le x \\le n`), float array ``(n_customers,)``.
    recency
        The opportunity :math:`t_x` of each customer's last transaction (0 without one), float
        array ``(n_customers,)``.
    T
        Each customer's number of opportunities :math:`n \\ge t_x` (whole numbers), float
        array ``(n_customers,)``.

    Returns
    -------
    numpy.ndarray
        Discounted expected residual transactions of each customer, shape ``(n_customers,)``.
    """
    a, b, g, d = params
    x, n = frequency, T
    z = 1.0 / (1.0 + discount_rate)
    log_num = (
        betaln(a + x + 1.0, b + n - x)
        - betaln(a, b)
        + betaln(g, d + n + 1.0)
        - betaln(g, d)
        + np.log(z)
        + np.log(hyp2f1(1.0, d + n + 1.0, g + d + n + 1.0, z))
    )
    out: FloatArray = np.exp(log_num - _log_l(params, frequency, recency, T))
    return out


def simulate(params: FloatArray, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
    """Simulate customers with ``T`` transaction opportunities each (whole numbers).

    Each customer draws :math:`p \\sim \\text{Beta}(\\alpha, \\beta)` and
    :math:`\\theta \\sim \\text{Beta}(\\gamma, \\delta)`; at each opportunity they first
    drop out with probability :math:`\\theta` and, if still active, transact with probability
    :math:`p`.

    Parameters
    ----------
    params
        ``[alpha, beta, gamma, delta]``, float array ``(4,)``.
    T
        Each customer's number of opportunities (whole numbers >= 0).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency``, ``recency``, ``T`` and the latent ``alive`` flag, each of shape
        ``(n_customers,)``, ready for :meth:`BGBB.fit`. ``alive`` is the state at opportunity
        :math:`n + 1` (after its dropout draw), the state :func:`p_alive` gives the probability
        of: among customers of one history its mean is their P(alive) (Fader, Hardie & Shang
        2010, eq. 11). Until relmark 0.1 it was the state after the batch's last
        opportunity.
    """
    a, b, g, d = params
    gen = as_rng(rng)
    n = np.atleast_1d(np.asarray(T, dtype=np.float64))
    size = n.shape[0]
    p = gen.beta(a, b, size=size)
    theta = gen.beta(g, d, size=size)
    alive = np.ones(size, dtype=bool)
    alive_at_n = np.ones(size, dtype=bool)  # the state after each customer's own n-th
    x = np.zeros(size)
    tx = np.zeros(size)
    for j in range(1, int(n.max(initial=0)) + 1):
        alive &= gen.random(size) >= theta
        buy = alive & (j <= n) & (gen.random(size) < p)
        x[buy] += 1
        tx[buy] = j
        alive_at_n[n == j] = alive[n == j]
    # the state at opportunity n + 1, where p_alive reports it: one more dropout draw (drawn
    # after the history, which keeps the histories of a seed as before)
    alive_next = alive_at_n & (gen.random(size) >= theta)
    return {"frequency": x, "recency": tx, "T": n, "alive": alive_next.astype(np.float64)}


class BGBB(RFMModel):
    """The BG/BB model with parameters ``alpha, beta, gamma, delta``; ``T`` counts
    opportunities.

    Fader, Hardie & Shang (2010). Time is discrete: ``frequency``, ``recency`` and ``T`` are
    whole numbers of transaction opportunities, and so are prediction horizons (at most
    :data:`MAX_OPPORTUNITIES`). See :mod:`relmark.clv.bgbb` for the formulas.

    Parameters
    ----------
    **params
        ``alpha`` and ``beta``, the shapes of the beta distribution of the transaction
        probability :math:`p` at each opportunity; ``gamma`` and ``delta``, the shapes of the
        beta distribution of the dropout probability :math:`\\theta` at each opportunity. All
        four are finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).

    Examples
    --------
    >>> from relmark.clv import BGBB
    >>> m = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> [round(float(v), 2) for v in m.p_alive([0, 2, 6], [0, 4, 6], 6)]
    [0.11, 0.59, 0.93]
    """

    name: ClassVar[str] = "BGBB"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(log_likelihood)
    predictions: ClassVar[Predictions] = Predictions(
        p_alive,
        conditional_expected_purchases,
        expected_purchases_new_customer,
        prob_purchases,
        simulate,
        dert,
    )
    discrete: ClassVar[bool] = True

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        x, tx, n = check_rfm(
            arrays["frequency"], arrays["recency"], arrays["T"], labels=labels, discrete=True
        )
        _check_opportunities(n, labels)
        return x, tx, n

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        return np.array([1.0, 1.0, 1.0, 3.0])

    @classmethod
    def _rfm(
        cls, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        x, tx, n = super()._rfm(frequency, recency, T)
        _check_opportunities(n, None)
        return x, tx, n

    def dert(  # type: ignore[override]
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        discount_rate_per_opportunity: float,
    ) -> FloatArray:
        """Discounted expected residual transactions, discounted at
        ``discount_rate_per_opportunity`` (> 0) per opportunity (FHS 2010, eq. 14); see
        :func:`dert`.

        Parameters
        ----------
        frequency
            Transactions of each customer (whole numbers >= 0), a number or an array.
        recency
            The opportunity of each customer's last transaction (0 without one).
        T
            Each customer's number of opportunities (whole numbers, at most
            :data:`MAX_OPPORTUNITIES`).
        discount_rate_per_opportunity
            The discount rate per opportunity, a finite number > 0, keyword-only (BG/BB has
            no continuous time, hence its own name).

        Returns
        -------
        numpy.ndarray
            One DERT (discounted transactions, >= 0) per customer.

        Raises
        ------
        DataError
            For an invalid history (naming the column).
        ArgumentError
            For a rate that is not a finite number > 0.
        """
        rate = check_number(
            discount_rate_per_opportunity, "discount_rate_per_opportunity", low=0.0, low_open=True
        )
        return dert(self._values, rate, *self._rfm(frequency, recency, T))

    @classmethod
    def _horizon(cls, t: npt.ArrayLike, name: str = "t") -> FloatArray:
        h = super()._horizon(t, name)
        if float(h.max()) > MAX_OPPORTUNITIES:
            raise ArgumentError(
                f"BG/BB sums over opportunities one by one: at most {MAX_OPPORTUNITIES:,} "
                f"opportunities, got {float(h.max()):g}",
                argument=name,
            )
        return h


MAX_OPPORTUNITIES = 10_000
"""The most opportunities (of the data's ``T`` and of a horizon) BG/BB evaluates: its sums run
over opportunities one by one (FHS 2010 studies 6 annual opportunities)."""


def _check_opportunities(n: FloatArray, labels: Sequence[object] | None) -> None:
    bad = n > MAX_OPPORTUNITIES
    if bad.any():
        raise DataError(
            f"BG/BB sums over opportunities one by one: at most {MAX_OPPORTUNITIES:,}",
            column="T",
            rows=_offending(bad, labels),
        )
