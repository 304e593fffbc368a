r"""Customer profitability with activity-based cost to serve, and the whale curve.

**Cost to serve** (activity-based costing, Kaplan & Narayanan 2001): each customer consumes
activities (orders placed, returns, service tickets, contacts...) whose cost driver rates are
known; the cost to serve is the sum of driver rate times quantity, and the customer's profit is
the gross margin less it,

.. math:: \text{cost}_i = \sum_d \text{rate}_d\, q_{id}, \qquad
    \pi_i = \text{margin}_i - \text{cost}_i.

An unprofitable customer (:math:`\pi_i < 0`) is explained by the driver whose cost exceeds what
it costs a typical profitable customer by the most,

.. math:: \text{reason}_i = \arg\max_d \bigl(\text{rate}_d q_{id} - \overline{\text{rate}_d
    q_{\cdot d}}^{\,\text{profitable}}\bigr),

or ``"low margin"`` when no driver costs more than it does for profitable customers.

**The whale curve** ranks customers from most to least profitable and plots the cumulative
profit as a share of the total: it typically rises to 150-300% of total profit (the peak) before
the unprofitable customers bring it back down to 100%.

Amounts are floats here (analytic frames, not a ledger): a result carries its one currency and
amounts in different currencies are never combined (a ``currency`` column with two values is a
:class:`~relmark.errors.CurrencyError`).

References
----------
Kaplan, R. S. & Narayanan, V. G. (2001). "Measuring and managing customer profitability",
*Journal of Cost Management* 15(5), 5-15. Cooper, R. & Kaplan, R. S. (1991). "Profit priorities
from activity-based costing", *Harvard Business Review* 69(3), 130-135.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from relmark._validation import as_float_array, check_number
from relmark.decide.campaign import _Stored
from relmark.domain.currency import check_currency
from relmark.errors import ArgumentError, CurrencyError, DataError

__all__ = [
    "CustomerProfitability",
    "WhaleCurve",
    "customer_profitability",
    "whale_curve",
]

LOW_MARGIN = "low margin"
"""The reason given for an unprofitable customer none of whose drivers costs more than it does
for the average profitable customer."""


class CustomerProfitability(_Stored):
    """Per-customer margin, cost to serve by driver, profit and the reason for a loss.

    Parameters
    ----------
    currency
        The one currency of the amounts (``None`` if not stated).
    customers
        Customer ids, in the input's order.
    drivers
        The cost drivers, in the order of ``rates``.
    rates
        Cost per unit of each driver.
    margin
        Gross margin of each customer.
    costs
        ``costs[i][d]``: the cost of driver ``d`` for customer ``i``.
    cost_to_serve
        Their sum per customer.
    profit
        ``margin - cost_to_serve``.
    reasons
        For an unprofitable customer, the driver that costs most beyond what it costs the
        average profitable customer (or ``"low margin"``); ``None`` for a profitable one.
    """

    _kind: ClassVar[str] = "customer_profitability"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("customers", "margin", "costs", "cost_to_serve", "profit", "reasons"),
        ("drivers", "rates"),
    )

    currency: str | None
    customers: tuple[str, ...]
    drivers: tuple[str, ...]
    rates: tuple[Annotated[float, Field(ge=0.0)], ...]
    margin: tuple[float, ...]
    costs: tuple[tuple[Annotated[float, Field(ge=0.0)], ...], ...]
    cost_to_serve: tuple[float, ...]
    profit: tuple[float, ...]
    reasons: tuple[str | None, ...]

    @model_validator(mode="after")
    def _check_sums(self) -> CustomerProfitability:
        if self.currency is not None:
            check_currency(self.currency, "currency")
        if len(set(self.customers)) != len(self.customers):
            raise ValueError("customers: an id appears twice")
        n = len(self.drivers)
        for i, row in enumerate(self.costs):
            if len(row) != n:
                raise ValueError(f"costs: row {i} has {len(row)} costs for {n} drivers")
            if not math.isclose(math.fsum(row), self.cost_to_serve[i], rel_tol=1e-9, abs_tol=1e-9):
                raise ValueError(f"cost_to_serve: row {i} is not the sum of its costs")
            want = self.margin[i] - self.cost_to_serve[i]
            if not math.isclose(self.profit[i], want, rel_tol=1e-9, abs_tol=1e-9):
                raise ValueError(f"profit: row {i} is not margin - cost_to_serve")
            reason = self.reasons[i]
            if (reason is None) != (self.profit[i] >= 0) or (
                reason is not None and reason not in (*self.drivers, LOW_MARGIN)
            ):
                raise ValueError(f"reasons: row {i} ({reason!r}) does not fit its profit")
        return self

    @property
    def unprofitable(self) -> tuple[str, ...]:
        """Ids of the customers with a negative profit, most unprofitable first."""
        order = sorted(range(len(self.profit)), key=lambda i: self.profit[i])
        return tuple(self.customers[i] for i in order if self.profit[i] < 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per customer: margin, ``cost_<driver>`` columns, cost to serve, profit,
        ``unprofitable`` and ``reason``.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id.
        """
        frame = pd.DataFrame(
            {"margin": self.margin}, index=pd.Index(self.customers, name="customer_id")
        )
        costs = np.asarray(self.costs, dtype=np.float64).reshape(len(self.customers), -1)
        for j, d in enumerate(self.drivers):
            frame[f"cost_{d}"] = costs[:, j]
        frame["cost_to_serve"] = self.cost_to_serve
        frame["profit"] = self.profit
        frame["unprofitable"] = np.asarray(self.profit) < 0
        frame["reason"] = pd.Series(self.reasons, index=frame.index, dtype=object)
        return frame


def _check_currency_arg(currency: object) -> None:
    """``currency=``: ``None`` or a known ISO 4217 code (ArgumentError for other than text,
    CurrencyError for an unknown code, naming ``currency``)."""
    if currency is None:
        return
    if not isinstance(currency, str):
        raise ArgumentError(f"must be a currency code, got {currency!r}", argument="currency")
    check_currency(currency, "currency")


def _currency(frame: pd.DataFrame, column: str | None, argument: str | None) -> str | None:
    if column is None:
        return argument
    if column not in frame.columns:
        raise DataError("missing (the currency column)", column=column)
    values = frame[column]
    if values.isna().any():
        raise DataError(
            "missing values", column=column, rows=frame.index[values.isna().to_numpy()].tolist()
        )
    found = sorted({str(v) for v in values})
    if len(found) == 1:
        check_currency(found[0], f"column {column!r}")
    if len(found) > 1:
        first = frame.index[(values.astype(str) != found[0]).to_numpy()].tolist()[:5]
        raise CurrencyError(
            f"column {column!r}: amounts in {found} cannot be combined (rows {first}); "
            "convert them to one currency first"
        )
    if argument is not None and argument != found[0]:
        raise CurrencyError(f"column {column!r} is {found[0]}, but currency={argument!r}")
    return found[0]


def customer_profitability(
    activities: pd.DataFrame,
    rates: Mapping[str, float],
    *,
    customer: str = "customer_id",
    margin: str = "margin",
    currency: str | None = None,
    currency_column: str | None = None,
) -> CustomerProfitability:
    r"""Activity-based customer profitability: margin minus driver rates times quantities.

    .. math:: \pi_i = \text{margin}_i - \sum_d \text{rate}_d\, q_{id}

    Parameters
    ----------
    activities
        One row per customer: the id, the gross margin (revenue less the cost of the goods)
        and one column per cost driver with the quantity consumed (orders, returns, tickets,
        contacts, ...; finite numbers >= 0).
    rates
        Driver column -> cost per unit (finite, >= 0); at least one.
    customer, margin
        Column names of the id and the margin.
    currency
        The currency of margin and rates (ISO code), recorded in the result.
    currency_column
        A column stating each row's currency: all must be the same.

    Returns
    -------
    CustomerProfitability
        Per customer: costs by driver, cost to serve, profit and the reason for a loss.

    Raises
    ------
    ArgumentError
        ``activities`` not a DataFrame; ``rates`` empty, not a mapping, a rate negative or not
        a finite number, a driver that is the id, margin or currency column; ``currency`` not
        text.
    DataError
        Naming the column: missing, missing values, a quantity negative or not a finite number,
        a margin not a finite number, a customer id repeated (``1`` and ``"1"`` are one id), empty
        or with surrounding spaces.
    CurrencyError
        Rows in different currencies, a currency column contradicting ``currency``, or a
        currency that is not an ISO 4217 code.

    References
    ----------
    Kaplan & Narayanan (2001), *J. Cost Management* 15(5).

    Examples
    --------
    >>> import pandas as pd
    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "margin": [100.0, 40.0],
    ...                      "orders": [2, 10], "returns": [0, 3]})
    >>> p = customer_profitability(acts, {"orders": 5.0, "returns": 8.0}, currency="EUR")
    >>> p.profit, p.reasons  # 100 - 10; 40 - 50 - 24: orders cost 40 above a's 10
    ((90.0, -34.0), (None, 'orders'))
    """
    if not isinstance(activities, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame, got {type(activities).__name__}", argument="activities"
        )
    if not isinstance(rates, Mapping) or not rates:
        raise ArgumentError("must map at least one driver column to its rate", argument="rates")
    _check_currency_arg(currency)
    drivers = tuple(rates)
    rate = np.array([check_number(rates[d], f"rates[{d!r}]", low=0.0) for d in drivers])
    for name in (customer, margin, *drivers):
        if not isinstance(name, str):
            raise ArgumentError(f"column names are text, got {name!r}", argument="rates")
        if name not in activities.columns:
            raise DataError(f"missing (have {list(activities.columns)[:10]})", column=name)
    taken = [d for d in drivers if d in (customer, margin, currency_column)]
    if taken:
        raise ArgumentError(
            f"the driver {taken[0]!r} is the id, margin or currency column, not a quantity",
            argument="rates",
        )
    if len(activities) == 0:
        raise DataError("no customers: the frame is empty", column=customer)
    cur = _currency(activities, currency_column, currency)
    ids = activities[customer]
    if ids.isna().any():
        raise DataError(
            "missing ids", column=customer, rows=activities.index[ids.isna().to_numpy()].tolist()
        )
    text = ids.map(str)
    blank = (text.str.strip() != text).to_numpy() | (text == "").to_numpy()
    if blank.any():
        raise DataError(
            "ids must be non-empty without surrounding spaces",
            column=customer,
            rows=ids[blank].tolist(),
        )
    dup = text.duplicated(keep=False).to_numpy()  # 1 and "1" are one id in the result
    if dup.any():
        raise DataError(
            "a customer appears twice (one row per customer; 1 and '1' are the same id)",
            column=customer,
            rows=ids[dup].tolist(),
        )
    labels = ids.tolist()
    m = as_float_array(activities[margin].to_numpy(), margin, labels=labels)
    q = np.column_stack(
        [as_float_array(activities[d].to_numpy(), d, labels=labels) for d in drivers]
    )
    for j, d in enumerate(drivers):
        bad = q[:, j] < 0
        if bad.any():
            raise DataError("quantities must be >= 0", column=d, rows=ids[bad].tolist())
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        costs = q * rate[None, :]
        total = costs.sum(axis=1)
        profit = m - total
    if not (np.isfinite(total).all() and np.isfinite(profit).all()):
        raise DataError("the costs overflow", column=margin)
    losing = profit < 0
    typical = costs[~losing].mean(axis=0) if (~losing).any() else costs.mean(axis=0)
    excess = costs - typical[None, :]
    worst = np.argmax(excess, axis=1)
    above = excess[np.arange(len(m)), worst] > 0
    names = np.asarray(drivers, dtype=object)[worst]
    reasons: list[str | None] = [
        (str(names[i]) if above[i] else LOW_MARGIN) if losing[i] else None for i in range(len(m))
    ]
    return CustomerProfitability(
        currency=cur,
        customers=tuple(str(v) for v in labels),
        drivers=drivers,
        rates=tuple(float(r) for r in rate),
        margin=tuple(float(v) for v in m),
        costs=tuple(tuple(float(v) for v in row) for row in costs),
        cost_to_serve=tuple(float(v) for v in total),
        profit=tuple(float(v) for v in profit),
        reasons=tuple(reasons),
    )


class WhaleCurve(_Stored):
    """Cumulative profit against the share of customers ranked by profit.

    Parameters
    ----------
    currency
        The amounts' currency, if known.
    customer_share
        :math:`k/n` for :math:`k = 0..n`.
    cumulative_profit
        Profit of the :math:`k` most profitable customers (starts at 0).
    cumulative_share
        The same as a share of total profit (``None`` when total profit is not positive).
    total_profit
        Sum of all profits.
    peak_profit
        The curve's maximum: the profit of the profitable customers alone.
    peak_share
        ``peak_profit / total_profit`` (e.g. 1.5 = 150%; ``None`` when total is not > 0).
    peak_customer_share
        The share of customers at the peak (those with profit > 0).
    unprofitable_customers
        Customers with profit < 0.
    loss
        Their total loss (>= 0).
    """

    _kind: ClassVar[str] = "whale_curve"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("customer_share", "cumulative_profit", "cumulative_share"),
    )

    currency: str | None
    customer_share: tuple[Annotated[float, Field(ge=0.0, le=1.0)], ...]
    cumulative_profit: tuple[float, ...]
    cumulative_share: tuple[float, ...] | None
    total_profit: float
    peak_profit: float
    peak_share: float | None
    peak_customer_share: Annotated[float, Field(ge=0.0, le=1.0)]
    unprofitable_customers: Annotated[int, Field(ge=0)]
    loss: Annotated[float, Field(ge=0.0)]

    @model_validator(mode="after")
    def _check_curve(self) -> WhaleCurve:
        if self.currency is not None:
            check_currency(self.currency, "currency")
        if self.peak_profit < max(self.total_profit, 0.0) or (
            self.cumulative_profit and self.peak_profit != max(self.cumulative_profit)
        ):
            raise ValueError("peak_profit is not the maximum of the cumulative profit")
        return self


def whale_curve(
    profit: CustomerProfitability | object, *, currency: str | None = None
) -> WhaleCurve:
    r"""The whale curve of customer profitability (Kaplan & Narayanan 2001).

    .. math:: W(k/n) = \frac{\sum_{j \le k} \pi_{(j)}}{\sum_j \pi_j}, \qquad
        \pi_{(1)} \ge \pi_{(2)} \ge \dots

    Parameters
    ----------
    profit
        A :class:`CustomerProfitability`, or per-customer profits (finite numbers).
    currency
        The currency of plain profits (a CustomerProfitability carries its own).

    Returns
    -------
    WhaleCurve
        The curve, its peak (as money and as a share of total profit) and the losses.

    Raises
    ------
    ArgumentError
        ``currency`` not text, or contradicting the CustomerProfitability's.
    DataError
        Naming ``profit``: empty, not finite numbers.

    References
    ----------
    Kaplan & Narayanan (2001), *J. Cost Management* 15(5): the most profitable 20% of
    customers typically earn 150-300% of total profit.

    Examples
    --------
    >>> w = whale_curve([50.0, -20.0, 30.0, -10.0])
    >>> w.cumulative_profit, w.peak_share  # 80 of a total 50: 160%
    ((0.0, 50.0, 80.0, 70.0, 50.0), 1.6)
    """
    _check_currency_arg(currency)
    if isinstance(profit, CustomerProfitability):
        if currency is not None and profit.currency not in (None, currency):
            raise CurrencyError(f"the profits are in {profit.currency}, not {currency}")
        cur = profit.currency or currency
        p = np.asarray(profit.profit, dtype=np.float64)
    else:
        cur = currency
        p = as_float_array(profit, "profit")  # type: ignore[arg-type]
    if p.size == 0:
        raise DataError("no customers: the input is empty", column="profit")
    ranked = np.sort(p)[::-1]
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        cum = np.concatenate([[0.0], np.cumsum(ranked)])
    if not np.isfinite(cum).all():
        raise DataError("the sum overflows", column="profit")
    total = math.fsum(p)  # exact: the running sum may cancel (1e16 + 1 - 1e16)
    cum[-1] = total
    k = int(np.argmax(cum))
    positive = total > 0
    return WhaleCurve(
        currency=cur,
        customer_share=tuple(float(v) for v in np.arange(p.size + 1) / p.size),
        cumulative_profit=tuple(float(v) for v in cum),
        cumulative_share=tuple(float(v) for v in cum / total) if positive else None,
        total_profit=total,
        peak_profit=float(cum[k]),
        peak_share=float(cum[k] / total) if positive else None,
        peak_customer_share=k / p.size,
        unprofitable_customers=int((p < 0).sum()),
        loss=float(-p[p < 0].sum()) if (p < 0).any() else 0.0,
    )
