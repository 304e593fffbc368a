r"""Referral marketing: referrals as a state machine, programme rules and referral economics.

A :class:`Referral` moves invited → signed up → qualified → rewarded, or to rejected (with a
reason) from any open state; any other move raises
:class:`~relmark.errors.IllegalTransitionError`.

Economics:

- viral coefficient :math:`K` = invitations per user × conversion rate; a seed of :math:`U_0`
  users grows to :math:`U_0(1 + K + K^2 + \dots) = U_0/(1-K)` when :math:`K < 1`;
- customer referral value (Kumar, Petersen & Leone 2007, *Harvard Business Review* 85(10);
  2010, *Journal of Marketing* 74(5)): referees who would not have joined otherwise ("type
  one") count at their CLV net of the referral reward; those who would have joined anyway
  ("type two") count only at the acquisition cost saved; both discounted to today;
- the CLV × CRV quadrant: champions (high both), affluents (high CLV, low CRV), advocates
  (low CLV, high CRV), misers (low both).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, Field

from relmark.domain.core import CustomerId, Frozen, Identifier, Money
from relmark.errors import DataError, IllegalTransitionError

__all__ = [
    "Referral",
    "ReferralProgram",
    "ReferralStatus",
    "ValueModel",
    "amplification",
    "clv_crv_quadrant",
    "customer_referral_value",
    "viral_coefficient",
]


class ReferralStatus(StrEnum):
    """Where a referral stands."""

    INVITED = "invited"
    SIGNED_UP = "signed_up"
    QUALIFIED = "qualified"
    REWARDED = "rewarded"
    REJECTED = "rejected"


_NEXT: dict[ReferralStatus, ReferralStatus] = {
    ReferralStatus.INVITED: ReferralStatus.SIGNED_UP,
    ReferralStatus.SIGNED_UP: ReferralStatus.QUALIFIED,
    ReferralStatus.QUALIFIED: ReferralStatus.REWARDED,
}


class Referral(Frozen):
    """One referral from a referrer to a referee."""

    id: Identifier
    referrer: CustomerId
    referee: CustomerId
    code: Identifier
    status: ReferralStatus = ReferralStatus.INVITED
    updated_at: AwareDatetime
    reason: str = ""

    def advance(self, to: ReferralStatus, *, at: AwareDatetime, reason: str = "") -> Referral:
        """The referral in state ``to``; only the next step or a rejection (with a reason) of
        an open referral are allowed."""
        if to is ReferralStatus.REJECTED:
            if self.status in (ReferralStatus.REWARDED, ReferralStatus.REJECTED):
                raise IllegalTransitionError(f"a {self.status} referral cannot be rejected")
            if not reason:
                raise IllegalTransitionError("a rejection needs a reason")
        elif _NEXT.get(self.status) is not to:
            raise IllegalTransitionError(
                f"referral {self.id}: {self.status} -> {to} is not allowed"
            )
        if at < self.updated_at:
            raise IllegalTransitionError("a referral cannot move back in time")
        return self.model_copy(update={"status": to, "updated_at": at, "reason": reason})


class ReferralProgram(Frozen):
    """Reward rules of a referral programme."""

    referrer_reward: Money
    referee_reward: Money | None = None
    """``None`` for a one-sided programme."""
    max_rewards_per_period: int | None = Field(default=None, ge=1)

    def rewards_due(self, qualified_this_period: int, rewarded_this_period: int) -> int:
        """How many qualified referrals can still be rewarded in this period (the cap)."""
        if qualified_this_period < 0 or rewarded_this_period < 0:
            raise DataError("counts cannot be negative")
        if self.max_rewards_per_period is None:
            return qualified_this_period
        room = max(self.max_rewards_per_period - rewarded_this_period, 0)
        return min(qualified_this_period, room)

    @property
    def cost_per_referral(self) -> Money:
        """Total reward paid for one qualified referral (both sides)."""
        if self.referee_reward is None:
            return self.referrer_reward
        return self.referrer_reward + self.referee_reward


def viral_coefficient(invitations_per_user: float, conversion_rate: float) -> float:
    """:math:`K` = invitations per user × conversion rate.

    >>> viral_coefficient(5, 0.1)
    0.5
    """
    if invitations_per_user < 0 or not 0 <= conversion_rate <= 1:
        raise DataError("invitations must be >= 0 and the conversion rate in [0, 1]")
    return invitations_per_user * conversion_rate


def amplification(seed_users: float, k: float) -> float:
    """Users a seed finally brings, :math:`U_0/(1-K)`; growth without bound for K >= 1 is
    refused with a DataError rather than returned as a number.

    >>> amplification(1000, 0.5)
    2000.0
    """
    if k >= 1:
        raise DataError(f"K = {k} >= 1: every generation is at least as large, no finite total")
    if k < 0:
        raise DataError("K cannot be negative")
    return seed_users / (1.0 - k)


class ValueModel(Protocol):
    """Anything that gives a lifetime value per customer (e.g. a wrapper of relmark.clv.clv)."""

    def __call__(self, customers: Sequence[str]) -> npt.NDArray[np.float64]: ...


def customer_referral_value(
    referee_clv: npt.ArrayLike,
    would_have_joined: npt.ArrayLike,
    referral_periods: npt.ArrayLike,
    *,
    acquisition_cost: float,
    reward_cost: float,
    discount_rate: float,
) -> float:
    """Customer referral value of one referrer (Kumar, Petersen & Leone 2007, 2010).

    Parameters
    ----------
    referee_clv
        CLV of each of the referrer's referees (from any CLV model, or plain numbers).
    would_have_joined
        Whether each referee would have joined without the referral (type two).
    referral_periods
        Period (0 = now) in which each referral happens.
    acquisition_cost
        What acquiring a customer costs otherwise (saved by a type-two referral).
    reward_cost
        Referral reward paid per referee (deducted from type-one value).
    discount_rate
        Per-period discount rate.

    Examples
    --------
    One type-one referee worth 500 (reward 50) now, one type-two next period (saving 80), 10%:

    >>> customer_referral_value([500, 300], [False, True], [0, 1],
    ...                         acquisition_cost=80, reward_cost=50, discount_rate=0.1)
    522.7272727272727
    """
    clv = np.asarray(referee_clv, dtype=np.float64)
    anyway = np.asarray(would_have_joined, dtype=bool)
    t = np.asarray(referral_periods, dtype=np.float64)
    if not (clv.shape == anyway.shape == t.shape):
        raise DataError("referee_clv, would_have_joined and referral_periods differ in length")
    if np.any(t < 0) or discount_rate <= -1:
        raise DataError("periods must be >= 0 and discount_rate > -1")
    value = np.where(anyway, acquisition_cost, clv - reward_cost)
    return float(np.sum(value / (1.0 + discount_rate) ** t))


def clv_crv_quadrant(
    clv: npt.ArrayLike,
    crv: npt.ArrayLike,
    *,
    clv_cut: float | None = None,
    crv_cut: float | None = None,
) -> list[str]:
    """Kumar et al.'s quadrant per customer; cut points default to the medians (stated)."""
    a = np.asarray(clv, dtype=np.float64)
    b = np.asarray(crv, dtype=np.float64)
    ca = float(np.median(a)) if clv_cut is None else clv_cut
    cb = float(np.median(b)) if crv_cut is None else crv_cut
    names = {(True, True): "champions", (True, False): "affluents", (False, True): "advocates"}
    return [names.get((bool(x > ca), bool(y > cb)), "misers") for x, y in zip(a, b, strict=True)]


class RewardLedger(Frozen):
    """Rewards paid by a referral programme: each referral rewarded at most once, and no more
    than the programme's cap per period. Operations return a new ledger; a refused one raises
    :class:`~relmark.errors.LedgerError` and the old ledger stands."""

    paid: tuple[tuple[str, str, Money], ...] = ()
    """(referral id, period, amount) of every reward paid."""

    def pay(self, referral: Referral, *, period: str, program: ReferralProgram) -> RewardLedger:
        """Pay the rewards of a qualified referral (both sides for a two-sided programme)."""
        from relmark.errors import LedgerError

        if referral.status is not ReferralStatus.QUALIFIED:
            raise LedgerError(f"referral {referral.id} is {referral.status}, not qualified")
        if any(r == referral.id for r, _, _ in self.paid):
            raise LedgerError(f"referral {referral.id} was already rewarded")
        this_period = len({r for r, p, _ in self.paid if p == period})
        if program.rewards_due(1, this_period) == 0:
            raise LedgerError(f"the programme's cap for {period} is reached")
        return RewardLedger(paid=(*self.paid, (referral.id, period, program.cost_per_referral)))

    def total(self, currency: str) -> Money:
        """Everything paid, in ``currency``."""
        out = Money.zero(currency)
        for _, _, amount in self.paid:
            out = out + amount
        return out
