r"""Relationship pricing: what a loyalty discount must do to retention to pay for itself.

With margin :math:`m` per period, retention :math:`r` and discount rate :math:`i`, the value of a
customer at the start of a period (margin received now) is

.. math:: \mathrm{CLV} = \frac{m(1+i)}{1+i-r}.

A per-period discount :math:`\delta` lowers the margin to :math:`m - \delta`; it breaks even when
retention rises to

.. math:: r^* = 1 + i - (1+i-r)\frac{m-\delta}{m}

(DOMAIN.md 2.4; Berry 1983's "good prices for loyal customers").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from relmark._validation import check_number
from relmark.errors import ArgumentError

__all__ = ["OfferComparison", "breakeven_retention", "compare_offer", "simple_clv"]


def simple_clv(margin: float, retention: float, discount_rate: float) -> float:
    """:math:`m(1+i)/(1+i-r)`.

    >>> round(simple_clv(100, 0.8, 0.1), 2)
    366.67

    Parameters
    ----------
    margin
        Margin per period, :math:`m`.
    retention
        Retention per period, :math:`r` in [0, 1).
    discount_rate
        Discount rate per period, :math:`i >= 0`.

    Returns
    -------
    float
        The CLV at the start of a period.

    Raises
    ------
    ArgumentError
        ``margin`` is not finite (a negative margin is allowed: a loss-making customer),
        ``retention`` is not in [0, 1), ``discount_rate`` is not a finite number >= 0.
    """
    m = check_number(margin, "margin")
    r = check_number(retention, "retention", low=0, high=1, high_open=True)
    i = check_number(discount_rate, "discount_rate", low=0)
    out = m * (1 + i) / (1 + i - r)
    if not math.isfinite(out):
        # m (1 + i) overflowed for a huge rate: the same value as m / (1 - r / (1 + i)), whose
        # denominator is in (0, 1]
        out = m / (1 - r / (1 + i))
    if not math.isfinite(out):
        raise ArgumentError(f"the CLV of margin {m} overflows", argument="margin")
    return out


def breakeven_retention(
    margin: float, retention: float, discount_rate: float, discount: float
) -> float:
    """Retention at which a per-period price discount leaves CLV unchanged.

    >>> round(breakeven_retention(100, 0.8, 0.1, 10), 4)
    0.83

    Parameters
    ----------
    margin
        Margin per period, :math:`m > 0`.
    retention
        Retention per period, :math:`r` in [0, 1).
    discount_rate
        Discount rate per period, :math:`i >= 0`.
    discount
        The price discount per period, :math:`\\delta` in (0, m).

    Returns
    -------
    float
        The break-even retention :math:`r^*` (< 1).

    Raises
    ------
    ArgumentError
        ``margin`` is not a finite number > 0, ``retention`` not in [0, 1), ``discount_rate``
        not >= 0, ``discount`` not in (0, margin); or the break-even retention is >= 1 (the
        discount cannot pay off: named ``discount``).
    """
    m = check_number(margin, "margin", low=0, low_open=True)
    r = check_number(retention, "retention", low=0, high=1, high_open=True)
    i = check_number(discount_rate, "discount_rate", low=0)
    d = check_number(discount, "discount", low=0, low_open=True)
    if d >= m:
        raise ArgumentError(f"must be below the margin {m}, got {d}", argument="discount")
    # (m - d) / m first, in (0, 1): (1 + i - r) (m - d) overflowed to inf for huge margins and
    # rates, and 1 + i - inf = -inf was returned as a retention
    r_star = 1 + i - (1 + i - r) * ((m - d) / m)
    if r_star >= 1:
        raise ArgumentError(
            f"break-even retention {r_star:.6g} >= 1: the discount cannot pay off",
            argument="discount",
        )
    return r_star


@dataclass(frozen=True)
class OfferComparison:
    """CLV without and with an offer, and the break-even retention."""

    clv_without: float
    clv_with: float
    breakeven_retention: float

    @property
    def pays_off(self) -> bool:
        """Whether the offer raises CLV."""
        return self.clv_with > self.clv_without


def compare_offer(
    margin: float, retention: float, discount_rate: float, *, discount: float, new_retention: float
) -> OfferComparison:
    """Compare a relationship-pricing offer's CLV with the status quo.

    Parameters
    ----------
    margin, retention, discount_rate
        As :func:`simple_clv`.
    discount
        The price discount per period.
    new_retention
        The retention expected with the offer, in [0, 1).

    Returns
    -------
    OfferComparison
        CLV without and with the offer, and the break-even retention.

    Raises
    ------
    ArgumentError
        As :func:`breakeven_retention`, or ``new_retention`` not in [0, 1).
    """
    breakeven = breakeven_retention(margin, retention, discount_rate, discount)
    check_number(new_retention, "new_retention", low=0, high=1, high_open=True)
    return OfferComparison(
        simple_clv(margin, retention, discount_rate),
        simple_clv(margin - discount, new_retention, discount_rate),
        breakeven,
    )
