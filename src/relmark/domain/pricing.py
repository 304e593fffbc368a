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

from dataclasses import dataclass

from relmark.errors import DataError

__all__ = ["OfferComparison", "breakeven_retention", "compare_offer", "simple_clv"]


def simple_clv(margin: float, retention: float, discount_rate: float) -> float:
    """:math:`m(1+i)/(1+i-r)`.

    >>> round(simple_clv(100, 0.8, 0.1), 2)
    366.67
    """
    if not 0 <= retention < 1 or discount_rate < 0:
        raise DataError("retention must be in [0, 1) and the discount rate >= 0")
    return margin * (1 + discount_rate) / (1 + discount_rate - retention)


def breakeven_retention(
    margin: float, retention: float, discount_rate: float, discount: float
) -> float:
    """Retention at which a per-period price discount leaves CLV unchanged.

    >>> round(breakeven_retention(100, 0.8, 0.1, 10), 4)
    0.83
    """
    if not 0 < discount < margin:
        raise DataError("the discount must be positive and below the margin")
    r_star = 1 + discount_rate - (1 + discount_rate - retention) * (margin - discount) / margin
    if r_star >= 1:
        raise DataError(f"break-even retention {r_star:.4f} >= 1: the discount cannot pay off")
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
    """Compare a relationship-pricing offer's CLV with the status quo."""
    return OfferComparison(
        simple_clv(margin, retention, discount_rate),
        simple_clv(margin - discount, new_retention, discount_rate),
        breakeven_retention(margin, retention, discount_rate, discount),
    )
