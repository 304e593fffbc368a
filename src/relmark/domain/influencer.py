"""Influencer marketing and employee advocacy: engagement rate and earned media value.

The engagement rate divides interactions by a *declared* denominator — followers, reach or
impressions give very different numbers, so the denominator is part of the answer. Earned media
value prices each kind of interaction with a rate card the user supplies (there is no standard
rate card; relmark never invents one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import relmark.domain._checks as _checks
from relmark._validation import check_choice
from relmark.domain.core import Money, in_decimal_context, one_currency
from relmark.errors import ArgumentError

__all__ = ["earned_media_value", "engagement_rate"]


def engagement_rate(
    interactions: int, *, denominator: Literal["followers", "reach", "impressions"], base: int
) -> float:
    """Interactions (likes, comments, shares, saves) per unit of the declared base, in %.

    >>> engagement_rate(450, denominator="reach", base=15_000)
    3.0

    Parameters
    ----------
    interactions
        Likes, comments, shares and saves (whole, >= 0).
    denominator
        What ``base`` counts: ``"followers"``, ``"reach"`` or ``"impressions"``.
    base
        The declared base (whole, >= 1).

    Returns
    -------
    float
        The engagement rate in %.

    Raises
    ------
    ArgumentError
        ``denominator`` is not one of the three; ``interactions`` is not a whole number >= 0;
        ``base`` not a whole number >= 1.
    """
    check_choice(denominator, "denominator", ("followers", "reach", "impressions"))
    n = _checks.whole(interactions, "interactions")
    b = _checks.whole(base, "base", minimum=1)
    try:
        return 100 * n / b  # exact integer ratio, rounded once (100.0 * n overflowed)
    except OverflowError:
        raise ArgumentError(
            f"{n} interactions on a base of {b} is too large a rate for a float",
            argument="interactions",
        ) from None


@in_decimal_context
def earned_media_value(counts: Mapping[str, int], rate_card: Mapping[str, Money]) -> Money:
    """Sum of counts times the rate card's value per action (one currency).

    >>> from decimal import Decimal
    >>> eur = lambda v: Money(amount=Decimal(v), currency="EUR")
    >>> earned_media_value({"share": 10, "comment": 4}, {"share": eur("0.50"), "comment": eur("1")})
    Money(amount=Decimal('9.00'), currency='EUR')

    Parameters
    ----------
    counts
        Action -> whole count (>= 0).
    rate_card
        Action -> value of one action (>= 0, one currency).

    Returns
    -------
    Money
        The earned media value.

    Raises
    ------
    ArgumentError
        ``rate_card`` is empty, has no rate for a counted action, or a rate that is not a
        non-negative Money; a count is not a whole number >= 0.
    CurrencyError
        The rate card mixes currencies.
    """
    if not isinstance(counts, Mapping):
        raise ArgumentError("must map actions to whole counts", argument="counts")
    if not isinstance(rate_card, Mapping) or not rate_card:
        raise ArgumentError("must map actions to Money (and not be empty)", argument="rate_card")
    for action, rate in rate_card.items():
        _checks.instance(rate, Money, f"rate_card[{action!r}]")
        if rate.amount < 0:
            raise ArgumentError(f"rate for {action!r} is negative", argument="rate_card")
    missing = sorted(str(a) for a in set(counts) - set(rate_card))
    if missing:
        raise ArgumentError(f"no rate for {', '.join(missing)}", argument="rate_card")
    currency = one_currency([(f"rate_card[{a!r}]", m) for a, m in rate_card.items()])
    total = Money.zero(str(currency))
    for action, n in counts.items():
        total = total + rate_card[action].times(_checks.whole(n, f"counts[{action!r}]"))
    return total
