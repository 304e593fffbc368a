r"""BdW: the beta-discrete-Weibull model of contractual retention (sBG with duration dependence).

Fader, Hardie, Liu, Davin & Steenburgh (2018), "'How to project customer retention' revisited:
the role of duration dependence", *Journal of Interactive Marketing* 43, 1-16.

Time is discrete, as in the sBG (:mod:`relmark.clv.sbg`). Each customer's lifetime follows a
discrete Weibull distribution, :math:`P(T > t \mid \theta, c) = (1-\theta)^{t^c}`, so that the
individual churn hazard at renewal :math:`t` is :math:`1 - (1-\theta)^{t^c - (t-1)^c}`: rising
with tenure for :math:`c > 1`, falling for :math:`c < 1`, constant (the geometric of the sBG)
at :math:`c = 1`. With :math:`\theta \sim \text{Beta}(\alpha, \beta)` across customers,

.. math::

    S(t) = \frac{B(\alpha, \beta + t^c)}{B(\alpha, \beta)}, \qquad
    P(T = t) = S(t-1) - S(t), \qquad r_t = \frac{S(t)}{S(t-1)}.

At :math:`c = 1` these are the sBG's expressions exactly. Observed retention can then fall or
rise with tenure for two reasons the model separates: heterogeneity (sorting, as in the sBG)
and individual duration dependence (:math:`c`).

Discounted expected residual lifetime of a customer who has renewed :math:`n` times (the next
payment at the next renewal) and discounted expected lifetime of a new customer, at discount
rate :math:`d` per period, have no closed form; they are summed until the remaining tail is
below :math:`10^{-14}` of the sum (the tail is bounded by a geometric series):

.. math::

    \mathrm{DERL}(d \mid n) = \sum_{j \ge 0} \frac{S(n+1+j)}{S(n)} (1+d)^{-j}, \qquad
    \mathrm{DEL}(d) = 1 + \frac{\mathrm{DERL}(d \mid 0)}{1+d}.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma, gammaln

from relmark._validation import FloatArray, _offending, check_count, check_number
from relmark.clv._base import CLVModel, ModelKind, RngLike
from relmark.clv._checks import check_array, check_matching
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import as_rng
from relmark.clv.sbg import survival_to_lifetimes
from relmark.errors import ArgumentError, DataError

__all__ = [
    "BdW",
    "derl",
    "discounted_expected_lifetime",
    "log_likelihood",
    "retention",
    "simulate",
    "survival",
]

PARAMS = ParamSet(
    (
        Param("alpha", "first shape of the beta distribution of churn probabilities", (0.2, 2.0)),
        Param("beta", "second shape of the beta distribution of churn probabilities", (0.2, 10.0)),
        Param(
            "c",
            "duration dependence of the individual churn hazard (1: none, the sBG)",
            (0.5, 3.0),
        ),
    )
)

_TAIL = 1e-14
"""Relative size of the tail left off a DERL sum."""

_MAX_TERMS = 2_000_000
"""A DERL sum that needs more terms than this (a discount rate near 0) is refused."""

_MAX_LIFETIME = 2.0**53
"""Whole numbers of periods beyond this are not distinct from their predecessor in floats."""


def _log_survival(params: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`\\ln S(t) = \\ln B(\\alpha, \\beta + t^c) - \\ln B(\\alpha, \\beta)`; where
    :math:`t^c` overflows, :math:`\\ln B(\\alpha, x) = \\ln\\Gamma(\\alpha) - \\alpha \\ln x`
    (its limit, exact to :math:`O(1/x)`, :math:`x > 10^{308}`) with :math:`\\ln x = c \\ln t`."""
    a, b, c = params
    with np.errstate(over="ignore"):
        u = np.power(t, c)
    out: FloatArray = betaln(a, b + u) - betaln(a, b)
    huge = np.isinf(u)
    if np.any(huge):
        log_u = c * np.log(np.where(huge, t, 1.0))
        out = np.where(huge, gammaln(a) - a * log_u - betaln(a, b), out)
    return out


def survival(params: FloatArray, t: FloatArray) -> FloatArray:
    """:math:`S(t) = B(\\alpha, \\beta + t^c)/B(\\alpha, \\beta)`, the share still active after t.

    Fader et al. (2018): the discrete-Weibull survivor function :math:`(1-\\theta)^{t^c}`
    averaged over :math:`\\theta \\sim \\text{Beta}(\\alpha, \\beta)`.

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
    t
        Numbers of periods since acquisition (whole numbers >= 0), float array.

    Returns
    -------
    numpy.ndarray
        The survivor shares, in ``(0, 1]`` (1 at ``t = 0``), same shape as ``t``.
    """
    out: FloatArray = np.exp(_log_survival(params, t))
    return out


def retention(params: FloatArray, t: FloatArray) -> FloatArray:
    """Retention rate of period ``t >= 1``: :math:`r_t = S(t)/S(t-1)`.

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
    t
        Periods (whole numbers >= 1), float array.

    Returns
    -------
    numpy.ndarray
        The retention rates, in ``(0, 1)``, same shape as ``t``.
    """
    out: FloatArray = np.exp(_log_survival(params, t) - _log_survival(params, t - 1.0))
    return out


def log_likelihood(params: FloatArray, lifetime: FloatArray, churned: FloatArray) -> FloatArray:
    """Per-customer log-likelihood: :math:`\\ln(S(t-1) - S(t))` if churned, else :math:`\\ln S(t)`.

    .. math:: S(t) = \\frac{B(\\alpha, \\beta + t^c)}{B(\\alpha,\\beta)}

    (Fader et al. 2018).

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
    lifetime
        Each customer's lifetime :math:`t` in periods (whole numbers >= 1), float array ``(n,)``.
    churned
        1.0 if the customer churned at ``lifetime``, 0.0 if still active, float array ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The log-likelihood of each customer, shape ``(n,)``.
    """
    now = _log_survival(params, lifetime)
    before = _log_survival(params, lifetime - 1.0)
    dead = before + np.log(-np.expm1(np.minimum(now - before, -1e-300)))
    out: FloatArray = np.where(churned > 0, dead, now)
    return out


def _log_survival_grad(params: FloatArray, t: FloatArray) -> FloatArray:
    """Gradient of :math:`\\ln S(t)` in ``[alpha, beta, c]``: shape (n, 3)."""
    a, b, c = params
    with np.errstate(over="ignore"):
        u = np.power(t, c)
    huge = np.isinf(u)  # t^c beyond floats: the limits of ln B(a, x) = lnG(a) - a ln x
    u_f = np.where(huge, 1.0, u)
    ab = digamma(a + b)
    abu = digamma(a + b + u_f)
    # d/du lnB(a, b+u) = psi(b+u) - psi(a+b+u), by its expansion -a/x + a(a-1)/(2x^2) for
    # x = b + u > 1e8, where the difference of the two digammas cancels to 0 (to 1e-16)
    x = b + u_f
    big = x > 1e8
    x_big = np.where(big, x, 1.0)
    dd = np.where(
        big,
        -a / x_big + (a / x_big) * ((a - 1.0) / (2.0 * x_big)),
        digamma(np.where(big, 1.0, x)) - digamma(np.where(big, 1.0, x) + a),
    )
    # du/dc = u ln t (0 at t = 0)
    logt = np.log(np.where(t > 0, t, 1.0))
    d_alpha = np.where(huge, ab - c * logt, ab - abu)
    d_beta = np.where(huge, ab - digamma(b), dd - digamma(b) + ab)
    d_c = np.where(huge, -a * logt, dd * u_f * logt)
    return np.column_stack([d_alpha, d_beta, d_c])


def log_likelihood_grad(
    params: FloatArray, lifetime: FloatArray, churned: FloatArray
) -> FloatArray:
    """Analytic gradient of :func:`log_likelihood` in ``[alpha, beta, c]``: shape (n, 3)."""
    g_now = _log_survival_grad(params, lifetime)
    g_before = _log_survival_grad(params, lifetime - 1.0)
    now = _log_survival(params, lifetime)
    before = _log_survival(params, lifetime - 1.0)
    # d ln(S1 - S2) = (S1 dlnS1 - S2 dlnS2)/(S1 - S2), with q = S2/S1
    step = np.minimum(now - before, -1e-300)
    q = np.exp(step)[:, None]
    dead = (g_before - q * g_now) / (-np.expm1(step))[:, None]
    out: FloatArray = np.where(churned[:, None] > 0, dead, g_now)
    return out


def derl(params: FloatArray, discount_rate: float, renewals: FloatArray) -> FloatArray:
    """DERL of customers who have renewed ``renewals`` times.

    .. math:: \\mathrm{DERL}(d \\mid n) = \\sum_{j \\ge 0} \\frac{S(n+1+j)}{S(n)} (1+d)^{-j}

    summed until the tail, at most :math:`\\frac{S(n+1+j)}{S(n)}\\,\\delta^j/(1-\\delta)`
    with :math:`\\delta = 1/(1+d)`, is below :math:`10^{-14}` of the sum.

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
    discount_rate
        The discount rate :math:`d` per period, > 0.
    renewals
        The number of renewals :math:`n` of each customer (whole numbers >= 0), float array.

    Returns
    -------
    numpy.ndarray
        The discounted expected residual number of payments, same shape as ``renewals``.

    Raises
    ------
    ArgumentError
        When the sum needs more than 2 million terms (a discount rate near 0; naming
        ``discount_rate``).
    """
    n = np.asarray(renewals, dtype=np.float64).ravel()
    delta = 1.0 / (1.0 + _check_rate(discount_rate))
    log_delta = np.log(delta)
    base = _log_survival(params, n)
    total = np.zeros(n.shape[0])
    start = 0
    chunk = 256
    while True:
        j = np.arange(start, start + chunk, dtype=np.float64)
        log_terms = _log_survival(params, n[:, None] + 1.0 + j[None, :]) - base[:, None]
        log_terms = log_terms + j[None, :] * log_delta
        total += np.exp(log_terms).sum(axis=1)
        tail = np.exp(log_terms[:, -1]) / (1.0 - delta)
        start += chunk
        if np.all(tail <= _TAIL * total):
            break
        if start >= _MAX_TERMS:
            raise ArgumentError(
                f"the discounted residual lifetime at {discount_rate:g} per period needs more "
                f"than {_MAX_TERMS:,} terms; use a larger rate",
                argument="discount_rate",
            )
        chunk = min(4 * chunk, 1 << 16)
    out: FloatArray = total.reshape(np.shape(renewals))
    return out


def discounted_expected_lifetime(params: FloatArray, discount_rate: float) -> float:
    """DEL of a new customer, :math:`\\sum_{t \\ge 0} S(t)/(1+d)^t` (the first payment now).

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
    discount_rate
        The discount rate :math:`d` per period, > 0.

    Returns
    -------
    float
        The discounted expected number of payments (>= 1).
    """
    return float(1.0 + derl(params, discount_rate, np.zeros(1))[0] / (1.0 + discount_rate))


def simulate(
    params: FloatArray, n_customers: int, n_periods: int, *, rng: RngLike = None
) -> dict[str, FloatArray]:
    """Lifetimes of ``n_customers`` followed for ``n_periods`` renewals.

    Each customer draws :math:`\\theta \\sim \\text{Beta}(\\alpha, \\beta)` and a discrete
    Weibull lifetime by inversion: with :math:`U` uniform, :math:`T` is the smallest whole
    :math:`t` with :math:`(1-\\theta)^{t^c} < U`, i.e.
    :math:`T = \\lfloor (\\ln U / \\ln(1-\\theta))^{1/c} \\rfloor + 1`.

    Parameters
    ----------
    params
        ``[alpha, beta, c]``, float array ``(3,)``.
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
    a, b, c = params
    gen = as_rng(rng)
    theta = gen.beta(a, b, size=n_customers)
    u = 1.0 - gen.random(n_customers)  # in (0, 1]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.log(u) / np.log1p(-theta)  # >= 0; inf when theta underflows to 0
        life = np.floor(np.minimum(ratio, 1e300) ** (1.0 / c)) + 1.0
    life = np.where(np.isfinite(life), life, np.inf)
    churned = (life <= n_periods).astype(np.float64)
    return {"lifetime": np.minimum(life, float(n_periods)), "churned": churned}


class BdW(CLVModel):
    """The beta-discrete-Weibull retention model with parameters ``alpha, beta, c``.

    Fit it to a cohort's survivors with :meth:`fit_survival`, or to per-customer lifetimes
    (``lifetime``, ``churned``) with :meth:`fit`, exactly as :class:`relmark.clv.SBG`; ``c = 1``
    is the sBG.

    >>> from relmark.clv import BdW
    >>> m = BdW.fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> {k: round(v, 3) for k, v in m.params.items()}
    {'alpha': 0.456, 'beta': 0.779, 'c': 1.283}

    Parameters
    ----------
    **params
        ``alpha`` and ``beta``, the shapes of the beta distribution of the churn parameter
        :math:`\\theta`, and ``c``, the duration dependence of each customer's hazard; all
        finite and > 0.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, or a value that is not a number > 0 (naming it).
    """

    name: ClassVar[str] = "BdW"
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
        if t.shape[0] == 0:
            raise DataError("no customers: the data are empty", column="lifetime")
        bad = t > _MAX_LIFETIME
        if bad.any():
            raise DataError(
                f"lifetimes beyond {_MAX_LIFETIME:g} periods cannot be told from the period "
                "before in floating point",
                column="lifetime",
                rows=_offending(bad, labels),
            )
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
    def fit_survival(cls, alive: Sequence[float] | npt.ArrayLike) -> BdW:
        """Fit to a cohort's survivor counts ``alive[0..k]``.

        See :func:`relmark.clv.sbg.survival_to_lifetimes` for the conversion.

        Parameters
        ----------
        alive
            Survivor counts of one cohort, ``alive[0]`` its size, then the customers still
            active after each period: non-increasing whole numbers >= 0.

        Returns
        -------
        BdW
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
        """Share of a new cohort still active after ``t`` periods; see :func:`survival`.

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
        >>> from relmark.clv import BdW
        >>> BdW(alpha=0.704, beta=1.182, c=1.0).survival([0, 1]).round(4).tolist()
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
            :math:`r_t = S(t)/S(t-1)`, one value per period.

        Raises
        ------
        ArgumentError
            For periods that are not whole numbers >= 1 (naming ``t``).
        """
        return retention(self._values, check_array(t, "t", low=1.0, whole=True))

    def prob_churn_at(self, t: npt.ArrayLike) -> FloatArray:
        """:math:`P(T = t) = S(t-1) - S(t)`, the probability that a new customer churns at ``t``.

        Parameters
        ----------
        t
            Periods, whole numbers >= 1 (a number or an array).

        Returns
        -------
        numpy.ndarray
            One probability per period.

        Raises
        ------
        ArgumentError
            For periods that are not whole numbers >= 1 (naming ``t``).

        Notes
        -----
        Beyond :math:`2^{53}` periods :math:`t - 1` is :math:`t` in floating point and the
        difference :math:`S(t-1) - S(t)` is lost; there it is :math:`S(t)\\,(-\\partial_t
        \\ln S(t))`, exact to :math:`O(1/t)`, with :math:`-\\partial_t \\ln S =
        c\\,t^{c-1}(\\psi(\\alpha+\\beta+t^c) - \\psi(\\beta+t^c))`, about
        :math:`\\alpha c/t` when :math:`t^c` is large.
        """
        tt = check_array(t, "t", low=1.0, whole=True)
        out = np.exp(log_likelihood(self._values, tt, np.ones_like(tt)))
        far = tt > _MAX_LIFETIME
        if np.any(far):
            a, b, c = (float(v) for v in self._values)
            tf = tt[far]
            log_t = np.log(tf)
            with np.errstate(over="ignore"):
                x = b + np.power(tf, c)
            # psi(x + a) - psi(x): its expansion a/x - a(a-1)/(2x^2) where the digammas cancel
            big = x > 1e8
            xs = np.where(big, 1.0, x)
            with np.errstate(divide="ignore"):
                log_x = np.where(np.isinf(x), c * log_t, np.log(np.where(big, x, 1.0)))
            log_rate = np.where(
                big,
                np.log(a) - log_x + np.log1p(-(a - 1.0) / (2.0 * np.where(big, x, 2.0))),
                np.log(digamma(xs + a) - digamma(xs)),
            )
            log_p = _log_survival(self._values, tf) + math.log(c) + (c - 1.0) * log_t + log_rate
            out[far] = np.exp(log_p)
        return out

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
        out: FloatArray = np.exp(
            _log_survival(self._values, n + tt) - _log_survival(self._values, n)
        )
        return out

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """DEL of a new customer at ``discount_rate`` per period; see
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
        """Expected residual value of an existing customer base (Fader & Hardie 2010's
        definition, with the BdW's DERL).

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
            :math:`v \\sum_n \\text{counts}_n\\,\\mathrm{DERL}(d \\mid n)`, in the unit of
            ``value_per_period``.

        Raises
        ------
        ArgumentError
            For counts that are not finite numbers >= 0, a bad value or rate, or a residual
            value beyond floating point (naming the argument).
        """
        counts = check_array(active_by_renewals, "active_by_renewals")
        value = check_number(value_per_period, "value_per_period")
        n = np.arange(counts.shape[0], dtype=np.float64)
        lifetimes = self.derl(discount_rate, n)
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(value * (counts @ lifetimes))
        if not np.isfinite(total):
            raise ArgumentError(
                f"the residual value of {float(counts.sum()):g} customers at {value:g} per "
                "period is beyond floating point",
                argument="value_per_period",
            )
        return total

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
        if count > _MAX_CUSTOMERS:
            raise ArgumentError(
                f"must be at most {_MAX_CUSTOMERS:,}, got {count:,}", argument="n_customers"
            )
        return simulate(
            self._values, count, check_count(n_periods, "n_periods", minimum=1), rng=rng
        )


_MAX_CUSTOMERS = 10_000_000
"""More simulated customers than this is a mistake (and a large allocation)."""


def _check_rate(d: object) -> float:
    """A discount rate per period: finite and > 0."""
    return check_number(d, "discount_rate", low=0.0, low_open=True)
