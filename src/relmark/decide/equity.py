r"""Customer equity and the acquisition-retention budget.

**The customer equity test** (Blattberg & Deighton 1996). Spending :math:`A` per prospect on
acquisition wins a share :math:`a(A)` of them, spending :math:`R` per customer and period on
retention keeps a share :math:`r(R)`; both respond with diminishing returns up to a ceiling,

.. math:: a(A) = \bar a\,(1 - e^{-k_a A}), \qquad r(R) = \bar r\,(1 - e^{-k_r R}).

With margin :math:`m` per customer and period and discount rate :math:`d`, the customer equity
per prospect is

.. math:: CE(A, R) = a\,m - A + a\Bigl(m - \frac{R}{r}\Bigr)\frac{r'}{1 - r'}
    = a(A)\Bigl[m + \frac{m\,r(R) - R}{1 + d - r(R)}\Bigr] - A,
    \qquad r' = \frac{r}{1+d}.

The bracket does not depend on :math:`A`, so the optimum separates: :math:`R^*` maximises
:math:`W(R) = (m r - R)/(1+d-r)` (a concave over a positive convex function: one maximum, found
by the root of :math:`W'`), then :math:`A^* = \ln(\bar a k_a V^*)/k_a` (or 0) with
:math:`V^* = m + W(R^*)` from :math:`a'(A^*)\,V^* = 1`. :func:`optimal_budget` returns it, with
what a customer costs at the optimum: :math:`A^*/a(A^*)` per acquired customer and
:math:`R^*/r(R^*)` per retained one, the ratio behind the rule of thumb that acquiring costs
five to six times retaining, computed on the user's own curves. At an interior optimum the
*marginal* costs of an acquired and a retained customer are equal (both are :math:`V^*`,
Pfeifer 2005), so a large ratio of *average* costs says nothing by itself about shifting money
to retention.

**Customer equity of a firm** (Rust, Lemon & Zeithaml 2004; Gupta, Lehmann & Stuart 2004): the
value of the current base plus the discounted value of the cohorts still to be acquired,

.. math:: CE = \sum_{i \in \text{base}} \mathrm{CLV}_i
    + \sum_{t=1}^{H} \frac{n_t\,(\mathrm{CLV}_{\text{new}} - c_{\text{acq}})}{(1+d)^t},

with the per-customer values from relmark's CLV models (the residual value of each current
customer, e.g. :func:`relmark.clv.clv` or an sBG's DERL; the expected value of a new customer,
e.g. an sBG's DEL times the margin): :func:`customer_equity`.

References
----------
Blattberg, R. C. & Deighton, J. (1996). "Manage marketing by the customer equity test",
*Harvard Business Review* 74(4), 136-144. Rust, R. T., Lemon, K. N. & Zeithaml, V. A. (2004).
"Return on marketing: using customer equity to focus marketing strategy", *Journal of
Marketing* 68(1), 109-127. Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). "Valuing
customers", *Journal of Marketing Research* 41(1), 7-18. Pfeifer, P. E. (2005). "The optimal
ratio of acquisition and retention costs", *Journal of Targeting, Measurement and Analysis for
Marketing* 13(2), 179-188.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field, ValidationError, model_validator
from scipy.optimize import brentq

from relmark._validation import as_float_array, as_numbers, check_number
from relmark.decide.campaign import _Stored
from relmark.errors import ArgumentError, DataError
from relmark.typing import FloatArray

__all__ = [
    "BudgetOptimum",
    "CustomerEquity",
    "SpendResponse",
    "customer_equity",
    "customer_equity_per_prospect",
    "optimal_budget",
]

MAX_SPEND = 1e12
"""The largest spend per prospect or customer accepted."""


class SpendResponse(_Stored):
    """A response curve with a ceiling: :math:`\\text{rate}(s) = \\bar c\\,(1 - e^{-k s})`.

    Parameters
    ----------
    ceiling
        The rate approached by unlimited spending, in (0, 1].
    efficiency
        :math:`k` > 0: how fast the rate rises per unit of spend.

    Examples
    --------
    >>> round(SpendResponse(ceiling=0.5, efficiency=0.1).rate(10.0), 4)  # 0.5 (1 - e^-1)
    0.3161
    """

    _kind: ClassVar[str] = "spend_response"

    ceiling: float = Field(gt=0.0, le=1.0)
    efficiency: float = Field(gt=0.0, le=MAX_SPEND)

    @classmethod
    def from_points(cls, spend: float, rate: float, *, ceiling: float) -> SpendResponse:
        """The curve through one observed (spend, rate) point under a stated ceiling, the
        decision-calculus calibration of Blattberg & Deighton (a manager's two judgements).

        .. math:: k = -\\ln(1 - \\text{rate}/\\bar c) / \\text{spend}

        Parameters
        ----------
        spend
            A spend level (> 0).
        rate
            The rate it achieves (in (0, ceiling)).
        ceiling
            The ceiling rate, in (0, 1].

        Returns
        -------
        SpendResponse
            The curve.

        Raises
        ------
        ArgumentError
            Naming the argument out of range (a rate at or above the ceiling has no curve).
        """
        c = check_number(ceiling, "ceiling", low=0.0, high=1.0, low_open=True)
        s = check_number(spend, "spend", low=0.0, high=MAX_SPEND, low_open=True)
        r = check_number(rate, "rate", low=0.0, high=c, low_open=True, high_open=True)
        return cls(ceiling=c, efficiency=-math.log1p(-r / c) / s)

    def rate(self, spend: float) -> float:
        """The rate at ``spend``.

        Parameters
        ----------
        spend
            Spend per prospect or customer (>= 0).

        Returns
        -------
        float
            :math:`\\bar c(1 - e^{-k s})`.

        Raises
        ------
        ArgumentError
            ``spend`` negative or not a finite number.
        """
        s = check_number(spend, "spend", low=0.0, high=MAX_SPEND)
        return self.ceiling * -math.expm1(-self.efficiency * s)


def _rate(curve: SpendResponse, s: FloatArray) -> FloatArray:
    out: FloatArray = curve.ceiling * -np.expm1(-curve.efficiency * s)
    return out


def _spend(values: npt.ArrayLike, name: str) -> FloatArray:
    x = np.atleast_1d(as_numbers(values, name))
    bad = ~((x >= 0) & (x <= MAX_SPEND))  # NaN too
    if bad.any():
        raise DataError(
            f"must be finite numbers in [0, {MAX_SPEND:g}]",
            column=name,
            rows=np.flatnonzero(bad.ravel()).tolist(),
        )
    return x


def _curves(acquisition: object, retention: object) -> tuple[SpendResponse, SpendResponse]:
    for name, curve in (("acquisition", acquisition), ("retention", retention)):
        if not isinstance(curve, SpendResponse):
            raise ArgumentError(
                f"must be a SpendResponse, got {type(curve).__name__}", argument=name
            )
    assert isinstance(acquisition, SpendResponse)
    assert isinstance(retention, SpendResponse)
    return acquisition, retention


def _economics(margin: object, discount_rate: object) -> tuple[float, float]:
    m = check_number(margin, "margin", low=0.0, high=MAX_SPEND, low_open=True)
    d = check_number(discount_rate, "discount_rate", low=0.0, high=10.0, low_open=True)
    return m, d


def customer_equity_per_prospect(
    acquisition_spend: npt.ArrayLike,
    retention_spend: npt.ArrayLike,
    *,
    acquisition: SpendResponse,
    retention: SpendResponse,
    margin: float,
    discount_rate: float,
) -> FloatArray:
    r"""Blattberg & Deighton's customer equity per prospect at given spends.

    .. math:: CE(A, R) = a(A)\Bigl[m + \frac{m\,r(R) - R}{1 + d - r(R)}\Bigr] - A

    Parameters
    ----------
    acquisition_spend, retention_spend
        :math:`A` per prospect and :math:`R` per customer and period (>= 0; arrays broadcast,
        e.g. a grid).
    acquisition, retention
        The response curves.
    margin
        Margin per customer and period, before retention spending (> 0).
    discount_rate
        Per period (> 0).

    Returns
    -------
    numpy.ndarray
        The customer equity per prospect, in the unit of ``margin``.

    Raises
    ------
    ArgumentError
        A curve not a SpendResponse; ``margin`` or ``discount_rate`` not > 0.
    DataError
        A spend negative, non-finite, text, or the two spends not broadcastable.

    References
    ----------
    Blattberg & Deighton (1996), *HBR* 74(4).

    Examples
    --------
    >>> acq = SpendResponse(ceiling=0.4, efficiency=0.02)
    >>> ret = SpendResponse(ceiling=0.8, efficiency=0.05)
    >>> ce = customer_equity_per_prospect(0.0, 0.0, acquisition=acq, retention=ret,
    ...                                   margin=100.0, discount_rate=0.1)
    >>> float(ce[0])  # no spend, no customers
    0.0
    """
    acq, ret = _curves(acquisition, retention)
    m, d = _economics(margin, discount_rate)
    a_s = _spend(acquisition_spend, "acquisition_spend")
    r_s = _spend(retention_spend, "retention_spend")
    try:
        a_s, r_s = np.broadcast_arrays(a_s, r_s)
    except ValueError:
        raise DataError(
            f"shapes {a_s.shape} and {r_s.shape} do not broadcast", column="retention_spend"
        ) from None
    r = _rate(ret, r_s)
    out: FloatArray = _rate(acq, a_s) * (m + (m * r - r_s) / (1 + d - r)) - a_s
    return out


class BudgetOptimum(_Stored):
    """The acquisition and retention spends that maximise customer equity, and what a
    customer costs there.

    Parameters
    ----------
    acquisition_spend, retention_spend
        :math:`A^*` per prospect, :math:`R^*` per customer and period.
    acquisition_rate, retention_rate
        :math:`a(A^*)`, :math:`r(R^*)`.
    customer_equity
        :math:`CE(A^*, R^*)` per prospect.
    value_of_a_customer
        :math:`V^* = m + W(R^*)`: what a newly acquired customer is worth at the optimum
        (first-period margin plus the retained stream net of retention spending).
    cost_per_acquired_customer
        :math:`A^*/a(A^*)` (``None`` when nothing is spent on acquisition).
    cost_per_retained_customer
        :math:`R^*/r(R^*)` (``None`` when nothing is spent on retention).
    acquisition_to_retention_cost
        The ratio of the two (the "five to six times" of the rule of thumb), or ``None``.
    marginal_cost_acquired, marginal_cost_retained
        :math:`1/a'(A^*)` and :math:`1/r'(R^*)`: the spend for one more customer at the
        margin (at an interior optimum the first equals :math:`V^*`).
    margin, discount_rate
        The economics used.
    """

    _kind: ClassVar[str] = "budget_optimum"

    acquisition_spend: Annotated[float, Field(ge=0.0)]
    retention_spend: Annotated[float, Field(ge=0.0)]
    acquisition_rate: Annotated[float, Field(ge=0.0, le=1.0)]
    retention_rate: Annotated[float, Field(ge=0.0, le=1.0)]
    customer_equity: float
    value_of_a_customer: float
    cost_per_acquired_customer: Annotated[float, Field(gt=0.0)] | None
    cost_per_retained_customer: Annotated[float, Field(gt=0.0)] | None
    acquisition_to_retention_cost: Annotated[float, Field(gt=0.0)] | None
    marginal_cost_acquired: Annotated[float, Field(gt=0.0)]
    marginal_cost_retained: Annotated[float, Field(gt=0.0)]
    margin: Annotated[float, Field(gt=0.0)]
    discount_rate: Annotated[float, Field(gt=0.0)]


def optimal_budget(
    acquisition: SpendResponse,
    retention: SpendResponse,
    *,
    margin: float,
    discount_rate: float,
) -> BudgetOptimum:
    r"""The spend split that maximises customer equity (exact, not a grid).

    .. math:: W'(R^*) = 0 \iff (m r' - 1)(1 + d - r) + (m r - R) r' = 0, \qquad
        A^* = \max\Bigl(0, \frac{\ln(\bar a k_a V^*)}{k_a}\Bigr)

    (:math:`R^* = 0` when :math:`W'(0) \le 0`, i.e. :math:`m \bar r k_r \le 1`).

    Parameters
    ----------
    acquisition, retention
        The response curves.
    margin
        Margin per customer and period (> 0).
    discount_rate
        Per period (> 0).

    Returns
    -------
    BudgetOptimum
        The optimal spends, rates, equity and the costs per acquired and retained customer.

    Raises
    ------
    ArgumentError
        A curve not a SpendResponse, ``margin`` or ``discount_rate`` not > 0.

    References
    ----------
    Blattberg & Deighton (1996), *HBR* 74(4).

    Examples
    --------
    >>> acq = SpendResponse(ceiling=0.4, efficiency=0.02)
    >>> ret = SpendResponse(ceiling=0.8, efficiency=0.05)
    >>> best = optimal_budget(acq, ret, margin=100.0, discount_rate=0.1)
    >>> round(best.retention_spend, 2), round(best.acquisition_spend, 2)
    (38.52, 15.84)
    """
    acq, ret = _curves(acquisition, retention)
    m, d = _economics(margin, discount_rate)
    try:
        return _optimum(acq, ret, m, d)
    except (ZeroDivisionError, OverflowError, ValidationError):
        raise ArgumentError(
            "the curves and economics are too extreme for float64 (an efficiency, ceiling or "
            "rate whose product underflows, or a retention ceiling of 1 with a discount rate "
            "below 1e-16): rescale the spend unit",
            argument="retention"
            if 1.0 + d - ret.ceiling <= 1e-12 or ret.ceiling * ret.efficiency == 0
            else "acquisition",
        ) from None


def _optimum(acq: SpendResponse, ret: SpendResponse, m: float, d: float) -> BudgetOptimum:
    c, k = ret.ceiling, ret.efficiency

    def slope(r_s: float) -> float:
        e = math.exp(-k * r_s)
        r = c * (1 - e)
        dr = c * k * e
        return (m * dr - 1) * (1 + d - r) + (m * r - r_s) * dr

    if slope(0.0) <= 0:
        r_star = 0.0
    else:
        hi = 1.0 / k
        while slope(hi) > 0:
            hi *= 2
            if hi > MAX_SPEND:  # pragma: no cover - slope -> -(1 + d - c) < 0
                raise ArgumentError("no finite retention optimum", argument="retention")
        r_star = float(brentq(slope, 0.0, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps))
    r_rate = c * -math.expm1(-k * r_star)
    value = m + (m * r_rate - r_star) / (1 + d - r_rate)
    ca, ka = acq.ceiling, acq.efficiency
    a_star = max(0.0, math.log(ca * ka * value) / ka) if ca * ka * value > 1 else 0.0
    a_rate = ca * -math.expm1(-ka * a_star)
    per_acq = a_star / a_rate if a_star > 0 else None
    per_ret = r_star / r_rate if r_star > 0 else None
    return BudgetOptimum(
        acquisition_spend=a_star,
        retention_spend=r_star,
        acquisition_rate=a_rate,
        retention_rate=r_rate,
        customer_equity=a_rate * value - a_star,
        value_of_a_customer=value,
        cost_per_acquired_customer=per_acq,
        cost_per_retained_customer=per_ret,
        acquisition_to_retention_cost=(
            per_acq / per_ret if per_acq is not None and per_ret is not None else None
        ),
        marginal_cost_acquired=math.exp(ka * a_star) / (ca * ka),
        marginal_cost_retained=math.exp(k * r_star) / (c * k),
        margin=m,
        discount_rate=d,
    )


class CustomerEquity(_Stored):
    """The equity of the current base plus future cohorts.

    Parameters
    ----------
    current_base
        :math:`\\sum_i \\mathrm{CLV}_i` of the customers now.
    future_cohorts
        Each future period's cohort, discounted to today:
        :math:`n_t(\\mathrm{CLV}_{\\text{new}} - c_{\\text{acq}})/(1+d)^t`.
    future_total
        Their sum.
    total
        ``current_base + future_total``.
    customers
        Customers in the current base.
    new_customers
        Customers acquired over the horizon.
    """

    _kind: ClassVar[str] = "customer_equity"

    current_base: float
    future_cohorts: tuple[float, ...]
    future_total: float
    total: float
    customers: Annotated[int, Field(ge=1)]
    new_customers: Annotated[float, Field(ge=0.0)]

    @model_validator(mode="after")
    def _check_sums(self) -> CustomerEquity:
        scale = max(1.0, abs(self.current_base), *(abs(x) for x in self.future_cohorts))
        if not math.isclose(
            self.future_total, math.fsum(self.future_cohorts), rel_tol=1e-9, abs_tol=1e-12 * scale
        ):
            raise ValueError("future_total is not the sum of future_cohorts")
        if not math.isclose(
            self.total, self.current_base + self.future_total, rel_tol=1e-9, abs_tol=1e-12 * scale
        ):
            raise ValueError("total is not current_base + future_total")
        return self


def customer_equity(
    current_values: npt.ArrayLike,
    *,
    new_customers: npt.ArrayLike,
    new_customer_value: float,
    acquisition_cost: float,
    discount_rate: float,
) -> CustomerEquity:
    r"""Customer equity: the current base plus future cohorts (Rust, Lemon & Zeithaml 2004).

    .. math:: CE = \sum_i \mathrm{CLV}_i + \sum_{t=1}^{H}
        \frac{n_t (\mathrm{CLV}_{\text{new}} - c_{\text{acq}})}{(1+d)^t}

    Parameters
    ----------
    current_values
        The residual lifetime value of each current customer (from a CLV model: e.g.
        :func:`relmark.clv.clv`, or an sBG's DERL times the margin); finite numbers.
    new_customers
        :math:`n_t`: customers to be acquired in each future period ``1..H`` (>= 0).
    new_customer_value
        The expected lifetime value of a customer at acquisition, in today's money of that
        period (e.g. an sBG's DEL times the margin).
    acquisition_cost
        Cost per acquired customer (>= 0; :attr:`BudgetOptimum.cost_per_acquired_customer`).
    discount_rate
        Per period (>= 0).

    Returns
    -------
    CustomerEquity
        The parts and the total.

    Raises
    ------
    ArgumentError
        ``new_customer_value``, ``acquisition_cost`` or ``discount_rate`` out of range.
    DataError
        Naming ``current_values`` (not finite numbers, empty) or ``new_customers`` (negative,
        not finite, empty).

    References
    ----------
    Rust, Lemon & Zeithaml (2004), *JM* 68(1); Gupta, Lehmann & Stuart (2004), *JMR* 41(1).

    Examples
    --------
    >>> ce = customer_equity([100.0, 50.0], new_customers=[10, 10], new_customer_value=80.0,
    ...                      acquisition_cost=30.0, discount_rate=0.25)
    >>> ce.future_cohorts, ce.total  # 10 * 50 / 1.25, 10 * 50 / 1.25^2
    ((400.0, 320.0), 870.0)
    """
    base = as_float_array(current_values, "current_values")
    if base.size == 0:
        raise DataError("no customers: the input is empty", column="current_values")
    n = as_float_array(new_customers, "new_customers")
    if n.size == 0:
        raise DataError("no periods: the input is empty", column="new_customers")
    if (n < 0).any():
        raise DataError("must be >= 0", column="new_customers", rows=np.flatnonzero(n < 0).tolist())
    v = check_number(new_customer_value, "new_customer_value", low=-MAX_SPEND, high=MAX_SPEND)
    cost = check_number(acquisition_cost, "acquisition_cost", low=0.0, high=MAX_SPEND)
    d = check_number(discount_rate, "discount_rate", low=0.0, high=10.0)
    t = np.arange(1, n.size + 1, dtype=np.float64)
    with np.errstate(over="ignore"):  # (1 + d)^t beyond float64: the cohort is worth 0 today
        cohorts = n * (v - cost) / (1 + d) ** t
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        current = float(base.sum())
        future = float(cohorts.sum())
    if not math.isfinite(current):
        raise DataError("the sum overflows", column="current_values")
    if not (np.isfinite(cohorts).all() and math.isfinite(future)):
        raise DataError("the future cohorts' worth overflows", column="new_customers")
    if not math.isfinite(current + future):
        raise DataError("the sum overflows", column="current_values")
    return CustomerEquity(
        current_base=current,
        future_cohorts=tuple(float(x) for x in cohorts),
        future_total=future,
        total=current + future,
        customers=int(base.size),
        new_customers=float(n.sum()),
    )
