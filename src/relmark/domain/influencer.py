"""Influencer marketing and employee advocacy: engagement rate and earned media value.

The engagement rate divides interactions by a *declared* denominator — followers, reach or
impressions give very different numbers, so the denominator is part of the answer. Earned media
value prices each kind of interaction with a rate card the user supplies (there is no standard
rate card; relmark never invents one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from relmark.domain.core import Money
from relmark.errors import DataError

__all__ = ["earned_media_value", "engagement_rate"]


def engagement_rate(
    interactions: int, *, denominator: Literal["followers", "reach", "impressions"], base: int
) -> float:
    """Interactions (likes, comments, shares, saves) per unit of the declared base, in %.

    >>> engagement_rate(450, denominator="reach", base=15_000)
    3.0
    """
    if denominator not in ("followers", "reach", "impressions"):
        raise DataError("denominator must be followers, reach or impressions", column="denominator")
    if base <= 0 or interactions < 0:
        raise DataError("base must be > 0 and interactions >= 0")
    return 100.0 * interactions / base


def earned_media_value(counts: Mapping[str, int], rate_card: Mapping[str, Money]) -> Money:
    """Sum of counts times the rate card's value per action (one currency).

    >>> from decimal import Decimal
    >>> eur = lambda v: Money(amount=Decimal(v), currency="EUR")
    >>> earned_media_value({"share": 10, "comment": 4}, {"share": eur("0.50"), "comment": eur("1")})
    Money(amount=Decimal('9.00'), currency='EUR')
    """
    missing = sorted(set(counts) - set(rate_card))
    if missing:
        raise DataError(f"no rate for {', '.join(missing)}", column="rate_card")
    currencies = {m.currency for m in rate_card.values()}
    if len(currencies) != 1:
        raise DataError("the rate card must use one currency", column="rate_card")
    total = Money.zero(currencies.pop())
    for action, n in counts.items():
        if n < 0:
            raise DataError(f"negative count for {action}", column=action)
        total = total + rate_card[action].times(n)
    return total
