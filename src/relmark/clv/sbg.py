r"""sBG: the shifted-beta-geometric model of contractual retention.

Fader & Hardie (2007), "How to project customer retention", *Journal of Interactive Marketing*
21(1), 76-90; Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the
perils of ignoring heterogeneity", *Marketing Science* 29(1), 85-93 (DEL, DERL).

Time is discrete: a contract is renewed (or not) at the end of each period. A customer churns
at each renewal with probability :math:`\theta`, and :math:`\theta \sim \text{Beta}(\alpha,
\beta)` across customers, so that

.. math::

    P(T = t) = \frac{B(\alpha+1, \beta+t-1)}{B(\alpha,\beta)}, \qquad
    S(t) = \frac{B(\alpha, \beta+t)}{B(\alpha,\beta)}, \qquad
    r_t = \frac{S(t)}{S(t-1)} = \frac{\beta+t-1}{\alpha+\beta+t-1},

with retention rising over time as the customers prone to churn leave (a sorting effect).
The data are lifetimes in periods: ``lifetime`` :math:`t` with ``churned = 1`` contributes
:math:`P(T=t)`, and a customer still active after ``lifetime`` periods (``churned = 0``)
contributes :math:`S(t)`. A cohort table of survivors converts to that form
(:func:`survival_to_lifetimes`).

Discounted expected lifetime of a new customer (first payment now, discount rate :math:`d` per
period) and discounted expected residual lifetime of a customer who has renewed :math:`n`
times (the next payment at the next renewal, FH 2010 eq. 4 and 6):

.. math::

    \mathrm{DEL}(d) = {}_2F_1\bigl(1, \beta; \alpha+\beta; \tfrac{1}{1+d}\bigr), \qquad
    \mathrm{DERL}(d \mid n) = \frac{\beta+n}{\alpha+\beta+n}\,
        {}_2F_1\bigl(1, \beta+n+1; \alpha+\beta+n+1; \tfrac{1}{1+d}\bigr).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, expit

from relmark._validation import FloatArray, _offending, as_float_array, check_count, check_number
from relmark.clv._base import CLVModel, ModelKind, RngLike
from relmark.clv._checks import check_array, check_matching
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import as_rng
from relmark.clv._special import hyp2f1, log_rising
from relmark.errors import ArgumentError, DataError

__all__ = [
    "SBG",
    "derl",
    "discounted_expected_lifetime",
    "log_likelihood",
    "retention",
    "simulate",
    "survival",
    "survival_to_lifetimes",
]

PARAMS = ParamSet(
    (
        Param("alpha", "first shape of the beta distribution of churn probabilities", (0.2, 5.0)),
        Param("beta", "second shape of the beta distribution of churn probabilities", (0.2, 10.0)),
    )
)


def log_likelihood(params: FloatArray, lifetime: FloatArray, churned: FloatArray) -> FloatArray:
    """Per-customer log-likelihood: :math:`\\ln P(T=t)` if churned, else :math:`\\ln S(t)`.

    .. math:: P(T = t) = \\frac{B(\\alpha+1, \\beta+t-1)}{B(\\alpha,\\beta)}, \\qquad
        S(t) = \\frac{B(\\alpha, \\beta+t)}{B(\\alpha,\\beta)}

    (Fader & Hardie 2007).

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    lifetime
        Each customer's lifetime :math:`t` in periods (whole numbers >= 1): the period of
        churn, or the periods observed so far, float array ``(n,)``.
    churned
        1.0 if the customer churned at ``lifetime``, 0.0 if still active (censored), float
        array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``.
    """
    a, b = params
    dead = betaln(a + 1.0, b + lifetime - 1.0)
    alive = betaln(a, b + lifetime)
    out: FloatArray = np.where(churned > 0, dead, alive) - betaln(a, b)
    return out


def log_likelihood_grad(
    params: FloatArray, lifetime: FloatArray, churned: FloatArray
) -> FloatArray:
    """Analytic gradient of :func:`log_likelihood` in ``[alpha, beta]``: shape (n, 2)."""
    a, b = params
    t = lifetime
    base_a = digamma(a) - digamma(a + b)
    base_b = digamma(b) - digamma(a + b)
    # d/da lnB(a+1, b+t-1) = psi(a+1) - psi(a+b+t); d/db = psi(b+t-1) - psi(a+b+t)
    da = np.where(
        churned > 0, digamma(a + 1.0) - digamma(a + b + t), digamma(a) - digamma(a + b + t)
    )
    db = np.where(
        churned > 0, digamma(b + t - 1.0) - digamma(a + b + t), digamma(b + t) - digamma(a + b + t)
    )
    return np.column_stack([da - base_a, db - base_b])


def survival(params: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`S(t) = B(\\alpha, \\beta+t)/B(\\alpha, \\beta)`, the share still active after t.

    Fader & Hardie (2007), eq. 4.

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    t
        Numbers of periods since acquisition (whole numbers >= 0), float array.

    Returns
    -------
    numpy.ndarray
        The survivor shares, in ``(0, 1]`` (1 at ``t = 0``), same shape as ``t``.
    """
    a, b = params
    # B(a, b+t)/B(a, b) = (b)_t/(a+b)_t: betaln's difference loses digits as a + b grows
    out: FloatArray = np.exp(log_rising(b, t) - log_rising(a + b, t))
    return out


def _beta_mean_route(a: float, bp: float, discount_rate: float) -> float:
    r""":math:`{}_2F_1(1, b'; a+b'; 1/(1+d)) = (1+d)\,E[1/(d+\theta)]`,
    :math:`\theta \sim \text{Beta}(a, b')` (the sum :math:`\sum_t E[(1-\theta)^t]/(1+d)^t`),
    by :func:`relmark.clv.bgnbd._beta_inverse_mean` where scipy's 2F1 is not finite (a tiny
    ``alpha`` with a huge ``beta``: NaN)."""
    from relmark.clv.bgnbd import _beta_inverse_mean

    mean = float(_beta_inverse_mean(np.array([discount_rate]), a, bp)[0])
    return (1.0 + discount_rate) * mean


def retention(params: FloatArray, t: FloatArray) -> FloatArray:
    """Retention rate of period ``t >= 1``: :math:`(\\beta+t-1)/(\\alpha+\\beta+t-1)`.

    :math:`r_t = S(t)/S(t-1)`, rising with :math:`t` (Fader & Hardie 2007).

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    t
        Periods (whole numbers >= 1), float array.

    Returns
    -------
    numpy.ndarray
        The retention rates, in ``(0, 1)``, same shape as ``t``.
    """
    a, b = params
    out: FloatArray = (b + t - 1.0) / (a + b + t - 1.0)
    return out


def discounted_expected_lifetime(params: FloatArray, discount_rate: float) -> float:
    """DEL of a new customer, :math:`{}_2F_1(1, \\beta; \\alpha+\\beta; 1/(1+d))`.

    The discounted expected lifetime in periods, the first payment now (Fader & Hardie 2010,
    eq. 4): :math:`\\mathrm{DEL}(d) = \\sum_{t \\ge 0} S(t)/(1+d)^t`.

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    discount_rate
        The discount rate :math:`d` per period, > 0.

    Returns
    -------
    float
        The discounted expected number of payments (>= 1); times the value per period it is a
        new customer's expected lifetime value.
    """
    a, b = params
    out = float(hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate)))
    return out if np.isfinite(out) else _beta_mean_route(float(a), float(b), discount_rate)


def derl(params: FloatArray, discount_rate: float, renewals: FloatArray) -> FloatArray:
    """DERL of customers who have renewed ``renewals`` times (FH 2010, eq. 6).

    .. math:: \\mathrm{DERL}(d \\mid n) = \\frac{\\beta+n}{\\alpha+\\beta+n}\\,
        {}_2F_1\\Bigl(1, \\beta+n+1; \\alpha+\\beta+n+1; \\frac{1}{1+d}\\Bigr)

    the next payment due at the next renewal.

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    discount_rate
        The discount rate :math:`d` per period, > 0.
    renewals
        The number of renewals :math:`n` of each customer (whole numbers >= 0), float array.

    Returns
    -------
    numpy.ndarray
        The discounted expected residual number of payments, same shape as ``renewals``.
    """
    a, b = params
    n = renewals
    d = discount_rate
    with np.errstate(invalid="ignore"):
        out: FloatArray = (
            (b + n) / (a + b + n) * hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, 1.0 / (1.0 + d))
        )
    bad = ~np.isfinite(out)
    for nv in np.unique(n[bad]):
        # sum_{t>=0} E[(1-theta)^(t+1)]/(1+d)^t over Beta(a, b+n): (1+d)[(1+d)E[1/(d+theta)] - 1]
        out[bad & (n == nv)] = (1.0 + d) * (_beta_mean_route(float(a), float(b + nv), d) - 1.0)
    return out


def survival_to_lifetimes(
    alive: Sequence[float] | npt.ArrayLike,
) -> dict[str, FloatArray]:
    """A cohort's survivor counts ``alive[0..k]`` as lifetimes with churn flags and weights.

    ``alive[t]`` customers are active after ``t`` periods (``alive[0]`` is the cohort). The
    ``alive[t-1] - alive[t]`` who left at period ``t`` have ``lifetime = t, churned = 1``; the
    ``alive[k]`` still active are censored at ``lifetime = k``.

    Parameters
    ----------
    alive
        Survivor counts of one cohort, ``alive[0]`` its size: at least two non-increasing
        whole numbers >= 0.

    Returns
    -------
    dict of str to numpy.ndarray
        ``lifetime``, ``churned`` and ``weights`` (the number of customers of each row), rows
        with zero weight left out; ready for :meth:`SBG.fit`.

    Raises
    ------
    DataError
        For fewer than two counts, or counts that are not non-increasing whole numbers >= 0
        (naming ``alive`` and the offending positions).

    Examples
    --------
    >>> survival_to_lifetimes([1000, 631, 468])["weights"].tolist()
    [369.0, 163.0, 468.0]
    """
    counts = as_float_array(alive, "alive")
    if counts.shape[0] < 2:
        raise DataError("needs the cohort size and at least one later count", column="alive")
    if counts[0] <= 0:  # an empty cohort: the fit divided by its zero weight
        raise DataError("the cohort size alive[0] must be > 0", column="alive", rows=[0])
    lost = -np.diff(counts)
    if np.any(lost < 0) or np.any(counts != np.round(counts)) or np.any(counts < 0):
        raise DataError(
            "survivor counts must be non-increasing non-negative integers",
            column="alive",
            rows=_offending(np.r_[False, lost < 0] | (counts < 0), None),
        )
    k = counts.shape[0] - 1
    lifetime = np.r_[np.arange(1, k + 1, dtype=np.float64), float(k)]
    churned = np.r_[np.ones(k), 0.0]
    weights = np.r_[lost, counts[-1]]
    keep = weights > 0
    return {"lifetime": lifetime[keep], "churned": churned[keep], "weights": weights[keep]}


_SMALL_SHAPE = 1e-3
"""Below this ``alpha`` or ``beta`` :func:`simulate` draws the churn probability in logs."""


def simulate(
    params: FloatArray, n_customers: int, n_periods: int, *, rng: RngLike = None
) -> dict[str, FloatArray]:
    """Lifetimes of ``n_customers`` followed for ``n_periods`` renewals.

    Each customer draws :math:`\\theta \\sim \\text{Beta}(\\alpha, \\beta)` and churns at a
    geometric period :math:`T \\ge 1` with success probability :math:`\\theta`.

    Parameters
    ----------
    params
        ``[alpha, beta]``, float array ``(2,)``.
    n_customers
        Number of customers, a whole number >= 1.
    n_periods
        Periods each customer is followed (censoring), a whole number >= 1.
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``lifetime`` (at most ``n_periods``) and ``churned`` (1.0 if the customer churned
        within ``n_periods``), each of shape ``(n_customers,)``.
    """
    a, b = params
    gen = as_rng(rng)
    if min(a, b) >= _SMALL_SHAPE:
        theta = gen.beta(a, b, size=n_customers)
    else:
        # numpy's beta gives NaN at shapes ~1e-8: X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b) in
        # logs, ln X = ln Gamma(a+1) draw + ln(U)/a (no underflow to 0/0)
        log_x = np.log(gen.gamma(a + 1.0, size=n_customers)) + np.log(gen.random(n_customers)) / a
        log_y = np.log(gen.gamma(b + 1.0, size=n_customers)) + np.log(gen.random(n_customers)) / b
        theta = expit(log_x - log_y)
    if float(theta.min()) > 1e-15:
        life = gen.geometric(theta).astype(np.float64)  # period of churn, >= 1
    else:
        # a churn probability that is 0 (or too small for numpy's geometric): by inversion,
        # ceil(ln U / ln(1 - theta)), inf (never) at theta = 0
        u = 1.0 - gen.random(n_customers)  # in (0, 1]
        with np.errstate(divide="ignore"):
            life = np.maximum(1.0, np.ceil(np.log(u) / np.log1p(-theta)))
    churned = (life <= n_periods).astype(np.float64)
    return {"lifetime": np.minimum(life, float(n_periods)), "churned": churned}


class SBG(CLVModel):
    """The shifted-beta-geometric retention model with parameters ``alpha, beta``.

    Fit it to a cohort's survivors with :meth:`fit_survival`, or to per-customer lifetimes
    (``lifetime``, ``churned``) with :meth:`fit`.

    >>> from relmark.clv import SBG
    >>> m = SBG.fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params["alpha"], 3), round(m.params["beta"], 3)
    (0.704, 1.182)

    These are the estimates Fader & Hardie (2007) publish for their "regular" segment.

    Parameters
    ----------
    **params
        ``alpha`` and ``beta``, the shapes of the beta distribution of the churn probability
        :math:`\\theta` at each renewal, both finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).
    """

    name: ClassVar[str] = "SBG"
    kind: ClassVar[ModelKind] = "retention"
    param_set: ClassVar[ParamSet] = PARAMS
    data_fields: ClassVar[tuple[str, ...]] = ("lifetime", "churned")
    likelihood: ClassVar[Likelihood] = Likelihood(log_likelihood, log_likelihood_grad)
    discrete: ClassVar[bool] = True

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        t, c = arrays["lifetime"], arrays["churned"]
        bad = (t < 1) | (t != np.round(t))
        if bad.any():
            raise DataError(
                "lifetimes are whole numbers of periods >= 1",
                column="lifetime",
                rows=_offending(bad, labels),
            )
        bad = (c != 0) & (c != 1)
        if bad.any():
            raise DataError(
                "churned must be 0 or 1", column="churned", rows=_offending(bad, labels)
            )
        return t, c

    @classmethod
    def fit_survival(cls, alive: Sequence[float] | npt.ArrayLike) -> SBG:
        """Fit to a cohort's survivor counts ``alive[0..k]`` (see :func:`survival_to_lifetimes`).

        Parameters
        ----------
        alive
            Survivor counts of one cohort, ``alive[0]`` its size, then the customers still
            active after each period: non-increasing whole numbers >= 0.

        Returns
        -------
        SBG
            The fitted model (its :attr:`fit_result` counts each customer once).

        Raises
        ------
        DataError
            For counts that are not a survivor curve (naming ``alive``).
        ConvergenceError
            When the log-likelihood is not finite at the start values.
        """
        data = survival_to_lifetimes(alive)
        return cls.fit(
            {"lifetime": data["lifetime"], "churned": data["churned"]}, weights=data["weights"]
        )

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """Share of a new cohort still active after ``t`` periods (whole numbers >= 0); see
        :func:`survival`.

        Parameters
        ----------
        t
            Periods since acquisition, whole numbers >= 0 (a number or an array).

        Returns
        -------
        numpy.ndarray
            :math:`S(t)`, one value per period.

        Raises
        ------
        ArgumentError
            For periods that are not whole numbers >= 0 (naming ``t``).

        Examples
        --------
        >>> from relmark.clv import SBG
        >>> SBG(alpha=0.704, beta=1.182).survival([0, 1]).round(4).tolist()
        [1.0, 0.6267]
        """
        return survival(self._values, check_array(t, "t", whole=True))

    def retention(self, t: npt.ArrayLike) -> FloatArray:
        """Retention rate in period ``t`` (whole numbers >= 1); see :func:`retention`.

        Parameters
        ----------
        t
            Periods, whole numbers >= 1 (a number or an array).

        Returns
        -------
        numpy.ndarray
            :math:`r_t = (\\beta+t-1)/(\\alpha+\\beta+t-1)`, one value per period.

        Raises
        ------
        ArgumentError
            For periods that are not whole numbers >= 1 (naming ``t``).
        """
        return retention(self._values, check_array(t, "t", low=1.0, whole=True))

    def prob_churn_at(self, t: npt.ArrayLike) -> FloatArray:
        """:math:`P(T = t)`, the probability that a new customer churns at period ``t >= 1``.

        Parameters
        ----------
        t
            Periods, whole numbers >= 1 (a number or an array).

        Returns
        -------
        numpy.ndarray
            :math:`B(\\alpha+1, \\beta+t-1)/B(\\alpha,\\beta)`, one value per period.

        Raises
        ------
        ArgumentError
            For periods that are not whole numbers >= 1 (naming ``t``).
        """
        tt = check_array(t, "t", low=1.0, whole=True)
        return np.exp(log_likelihood(self._values, tt, np.ones_like(tt)))

    def conditional_survival(self, t: npt.ArrayLike, renewals: npt.ArrayLike) -> FloatArray:
        """Probability that a customer who has renewed ``renewals`` times is still active
        ``t`` periods later: :math:`S(n+t)/S(n)`.

        Parameters
        ----------
        t
            Further periods, whole numbers >= 0.
        renewals
            Renewals :math:`n` made so far, whole numbers >= 0: one value, or one per ``t``.

        Returns
        -------
        numpy.ndarray
            The conditional survival probabilities, of the broadcast shape.

        Raises
        ------
        ArgumentError
            For values that are not whole numbers >= 0, or lengths that do not match (naming
            ``t`` or ``renewals``).
        """
        tt = check_array(t, "t", whole=True)
        n = check_array(renewals, "renewals", whole=True)
        if n.shape[0] != 1:
            check_matching(tt, "t", n.shape[0])
        a, b = self._values
        # S(n+t)/S(n) = (b+n)_t/(a+b+n)_t: both survivals underflow to 0 at a = b = 1e8 (NaN)
        out: FloatArray = np.exp(log_rising(b + n, tt) - log_rising(a + b + n, tt))
        return out

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL of a new customer at ``discount_rate`` per period (> 0); see
        :func:`discounted_expected_lifetime`.

        Parameters
        ----------
        discount_rate
            The discount rate per period, a finite number > 0.

        Returns
        -------
        float
            The discounted expected number of payments of a new customer.

        Raises
        ------
        ArgumentError
            For a rate that is not a finite number > 0 (naming ``discount_rate``).
        """
        return discounted_expected_lifetime(self._values, _check_rate(discount_rate))

    def derl(self, discount_rate: float, renewals: npt.ArrayLike) -> FloatArray:
        """DERL of customers who have renewed ``renewals`` times; see :func:`derl`.

        Parameters
        ----------
        discount_rate
            The discount rate per period, a finite number > 0.
        renewals
            Renewals made so far, whole numbers >= 0 (a number or an array).

        Returns
        -------
        numpy.ndarray
            The discounted expected residual number of payments, one per value of
            ``renewals``.

        Raises
        ------
        ArgumentError
            For a bad rate or renewals (naming the argument).
        """
        rate = _check_rate(discount_rate)
        return derl(self._values, rate, check_array(renewals, "renewals", whole=True))

    def residual_value(
        self,
        active_by_renewals: npt.ArrayLike,
        *,
        value_per_period: float,
        discount_rate: float,
    ) -> float:
        """Expected residual value of an existing customer base (FH 2010).

        Parameters
        ----------
        active_by_renewals
            ``counts[n]`` = active customers who have renewed ``n`` times.
        value_per_period
            Net cash flow of one customer per period.
        discount_rate
            Discount rate per period, a finite number > 0.

        Returns
        -------
        float
            :math:`v \\sum_n \\text{counts}_n\\,\\mathrm{DERL}(d \\mid n)`: the discounted
            value of the base's future payments, in the unit of ``value_per_period``.

        Raises
        ------
        ArgumentError
            For counts that are not finite numbers >= 0, or a bad value or rate (naming the
            argument).
        """
        counts = check_array(active_by_renewals, "active_by_renewals")
        value = check_number(value_per_period, "value_per_period")
        n = np.arange(counts.shape[0], dtype=np.float64)
        return float(value * counts @ self.derl(discount_rate, n))

    def simulate(
        self, n_customers: int, n_periods: int, *, rng: RngLike = None
    ) -> dict[str, FloatArray]:
        """Simulate lifetimes; see :func:`simulate`.

        Parameters
        ----------
        n_customers
            Number of customers, a whole number >= 1.
        n_periods
            Periods each customer is followed, a whole number >= 1.
        rng
            A ``numpy.random.Generator``, a seed or ``None``, keyword-only.

        Returns
        -------
        dict of str to numpy.ndarray
            ``lifetime`` and ``churned`` per customer, ready for :meth:`fit`.

        Raises
        ------
        ArgumentError
            For counts that are not whole numbers >= 1 (naming the argument).
        """
        count = check_count(n_customers, "n_customers", minimum=1)
        if count > _MAX_CUSTOMERS:  # 10**12 asked numpy for 7 TiB (a raw MemoryError)
            raise ArgumentError(
                f"must be at most {_MAX_CUSTOMERS:,}, got {count:,}", argument="n_customers"
            )
        return simulate(
            self._values, count, check_count(n_periods, "n_periods", minimum=1), rng=rng
        )


_MAX_CUSTOMERS = 10_000_000
"""More simulated customers than this is a mistake (and a large allocation)."""


def _check_rate(d: object) -> float:
    """A discount rate per period: finite and > 0 (at 0 the discounted lifetime may be
    infinite)."""
    return check_number(d, "discount_rate", low=0.0, low_open=True)
