r"""Referral marketing: referrals as a state machine, programme rules and referral economics.

A :class:`Referral` moves invited → signed up → qualified → rewarded, or to rejected (with a
reason) from any open state; any other move raises
:class:`~relmark.errors.IllegalTransitionError`. The status may be given as a
:class:`ReferralStatus` or as the string JSON carries (``"signed_up"``); an unknown one is an
:class:`~relmark.errors.ArgumentError`.

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

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, Field, StringConstraints, model_validator

import relmark.domain._checks as _checks
from relmark._validation import check_number
from relmark.domain.core import CustomerId, Frozen, Identifier, Money, NonNegativeSettledMoney
from relmark.domain.currency import check_currency
from relmark.errors import ArgumentError, CurrencyError, IllegalTransitionError, LedgerError

__all__ = [
    "Referral",
    "ReferralProgram",
    "ReferralStatus",
    "RewardLedger",
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


def _status(value: object) -> ReferralStatus:
    if isinstance(value, ReferralStatus):
        return value
    if isinstance(value, str):
        try:
            return ReferralStatus(value)
        except ValueError:
            pass
    known = ", ".join(repr(s.value) for s in ReferralStatus)
    raise ArgumentError(f"unknown referral status {value!r:.60} (one of {known})", argument="to")


class Referral(Frozen):
    """One referral from a referrer to a referee (never the same customer).

    A rejected referral carries its reason; any other carries none.

    >>> from datetime import UTC
    >>> r = Referral(id="r1", referrer="a", referee="b", code="A1",
    ...              updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    >>> r.advance("signed_up", at=datetime(2024, 1, 2, tzinfo=UTC)).status
    <ReferralStatus.SIGNED_UP: 'signed_up'>
    """

    id: Identifier
    referrer: CustomerId
    referee: CustomerId
    code: Identifier
    status: ReferralStatus = ReferralStatus.INVITED
    updated_at: AwareDatetime
    reason: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Referral:
        if self.referrer == self.referee:
            raise ValueError(
                f"referrer and referee are both {self.referrer!r}: a customer "
                "cannot refer themselves"
            )
        if self.status is ReferralStatus.REJECTED and not self.reason.strip():
            raise ValueError("a rejected referral needs a reason")
        if self.status is not ReferralStatus.REJECTED and self.reason:
            raise ValueError(f"a {self.status.value} referral has no reason (only rejections do)")
        return self

    def advance(self, to: ReferralStatus | str, *, at: datetime, reason: str = "") -> Referral:
        """The referral in state ``to``; only the next step or a rejection (with a reason) of
        an open referral are allowed.

        Parameters
        ----------
        to
            The new status (a :class:`ReferralStatus` or its value, e.g. ``"signed_up"``).
        at
            When the move happened (timezone-aware, not before :attr:`updated_at`).
        reason
            Why it was rejected (required for, and only for, a rejection).

        Returns
        -------
        Referral
            A new referral; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``to`` is not a status (or its string value), ``at`` is not a timezone-aware
            datetime, ``reason`` is not a string.
        IllegalTransitionError
            The move is not allowed, a rejection has no reason, ``at`` is before the last
            update.
        """
        target = _status(to)
        when = _checks.aware(at, "at")
        why = _checks.text(reason, "reason")
        if target is ReferralStatus.REJECTED:
            if self.status in (ReferralStatus.REWARDED, ReferralStatus.REJECTED):
                raise IllegalTransitionError(f"a {self.status} referral cannot be rejected")
            if not why.strip():
                raise IllegalTransitionError("a rejection needs a reason")
        else:
            if _NEXT.get(self.status) is not target:
                raise IllegalTransitionError(
                    f"referral {self.id}: {self.status} -> {target} is not allowed"
                )
            if why:
                raise IllegalTransitionError(f"only a rejection has a reason, not {target}")
        if when < self.updated_at:
            raise IllegalTransitionError(
                f"referral {self.id}: {when.isoformat()} is before its last update "
                f"{self.updated_at.isoformat()} (a referral cannot move back in time)"
            )
        return self.model_copy(update={"status": target, "updated_at": when, "reason": why})


class ReferralProgram(Frozen):
    """Reward rules of a referral programme (rewards >= 0, whole numbers of minor units as
    they are paid, both in one currency)."""

    referrer_reward: NonNegativeSettledMoney
    referee_reward: NonNegativeSettledMoney | None = None
    """``None`` for a one-sided programme."""
    max_rewards_per_period: int | None = Field(default=None, ge=1, strict=True)

    @model_validator(mode="after")
    def _one_currency(self) -> ReferralProgram:
        if self.referee_reward is not None and (
            self.referee_reward.currency != self.referrer_reward.currency
        ):
            raise CurrencyError(
                f"referee_reward is in {self.referee_reward.currency}, referrer_reward in "
                f"{self.referrer_reward.currency}: one programme, one currency"
            )
        return self

    def rewards_due(self, qualified_this_period: int, rewarded_this_period: int) -> int:
        """How many qualified referrals can still be rewarded in this period (the cap).

        Parameters
        ----------
        qualified_this_period
            Qualified referrals waiting for a reward (whole, >= 0).
        rewarded_this_period
            Rewards already paid in the period (whole, >= 0).

        Returns
        -------
        int
            How many of them can be rewarded.

        Raises
        ------
        ArgumentError
            A count is not a whole number >= 0.
        """
        qualified = _checks.whole(qualified_this_period, "qualified_this_period")
        rewarded = _checks.whole(rewarded_this_period, "rewarded_this_period")
        if self.max_rewards_per_period is None:
            return qualified
        room = max(self.max_rewards_per_period - rewarded, 0)
        return min(qualified, room)

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

    Parameters
    ----------
    invitations_per_user
        Invitations each user sends (>= 0).
    conversion_rate
        Share of invitations that convert, in [0, 1].

    Returns
    -------
    float
        :math:`K`.

    Raises
    ------
    ArgumentError
        ``invitations_per_user`` is not a finite number >= 0, ``conversion_rate`` not in
        [0, 1] (NaN, inf, text and booleans included).
    """
    n = check_number(invitations_per_user, "invitations_per_user", low=0)
    p = check_number(conversion_rate, "conversion_rate", low=0, high=1)
    return n * p


def amplification(seed_users: float, k: float) -> float:
    """Users a seed finally brings, :math:`U_0/(1-K)`; growth without bound for K >= 1 is
    refused rather than returned as a number.

    >>> amplification(1000, 0.5)
    2000.0

    Parameters
    ----------
    seed_users
        Users :math:`U_0` at the start (>= 0).
    k
        The viral coefficient :math:`K`, in [0, 1).

    Returns
    -------
    float
        :math:`U_0/(1-K)`.

    Raises
    ------
    ArgumentError
        ``seed_users`` is not a finite number >= 0, or ``k`` is not in [0, 1).
    """
    u = check_number(seed_users, "seed_users", low=0)
    kk = check_number(k, "k", low=0)
    if kk >= 1:
        raise ArgumentError(
            f"K = {kk} >= 1: every generation is at least as large, no finite total", argument="k"
        )
    out = u / (1.0 - kk)
    if not math.isfinite(out):
        raise ArgumentError(f"{u} / (1 - {kk}) overflows", argument="seed_users")
    return out


class ValueModel(Protocol):
    """Anything that gives a lifetime value per customer (e.g. a wrapper of relmark.clv.clv):
    called with customer ids, it returns one value per customer.

    Parameters
    ----------
    *args, **kwargs
        Not used: a protocol is a type to implement (``__call__``), not a class to build.
    """

    def __call__(self, customers: Sequence[str]) -> npt.NDArray[np.float64]: ...


def _vector(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """A 1-d finite float array; text, NaN, inf, booleans and nested shapes are refused."""
    raw = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if raw.ndim == 0:
        raw = raw.reshape(1)
    if raw.ndim != 1:
        raise ArgumentError(f"must be 1-d, got shape {raw.shape}", argument=name)
    if raw.dtype.kind in "USVbc" or (
        raw.dtype.kind == "O"
        and any(
            isinstance(v, str | bytes | bool | np.bool_ | complex | np.complexfloating) or v is None
            for v in raw.tolist()
        )
    ):
        # complex values lost their imaginary part in the cast (a ComplexWarning only)
        raise ArgumentError(
            "must hold real numbers (not text, booleans, complex numbers or None)", argument=name
        )
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError("must hold numbers", argument=name) from None
    except OverflowError:  # a Python int beyond a float (10**400)
        raise ArgumentError("holds a number too large for a float", argument=name) from None
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ArgumentError(f"NaN or infinite at positions {bad[:5].tolist()}", argument=name)
    return arr


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
        Whether each referee would have joined without the referral (type two): booleans,
        or 0/1 (``"no"`` is refused, not read as True).
    referral_periods
        Whole period (0 = now) in which each referral happens.
    acquisition_cost
        What acquiring a customer costs otherwise (saved by a type-two referral), >= 0.
    reward_cost
        Referral reward paid per referee (deducted from type-one value), >= 0.
    discount_rate
        Per-period discount rate, > -1.

    Returns
    -------
    float
        The discounted value (0 for a referrer without referees).

    Raises
    ------
    ArgumentError
        Naming the argument: arrays of different lengths, NaN or inf anywhere, text, a
        negative or fractional period, a ``would_have_joined`` that is not boolean, a negative
        cost, a discount rate <= -1.

    Examples
    --------
    One type-one referee worth 500 (reward 50) now, one type-two next period (saving 80), 10%:

    >>> customer_referral_value([500, 300], [False, True], [0, 1],
    ...                         acquisition_cost=80, reward_cost=50, discount_rate=0.1)
    522.7272727272727
    """
    clv = _vector(referee_clv, "referee_clv")
    try:
        raw = np.asarray(would_have_joined)
    except (TypeError, ValueError):  # ragged nested lists
        raise ArgumentError(
            "must be a 1-d list of booleans", argument="would_have_joined"
        ) from None
    if raw.ndim == 0:
        raw = raw.reshape(1)
    if raw.ndim != 1:
        raise ArgumentError(f"must be 1-d, got shape {raw.shape}", argument="would_have_joined")
    booleans = (
        raw.size == 0  # no referees: [] is read as floats by numpy
        or raw.dtype.kind == "b"
        or (raw.dtype.kind in "iu" and bool(np.isin(raw, (0, 1)).all()))
        or (raw.dtype.kind == "O" and all(isinstance(v, bool | np.bool_) for v in raw.tolist()))
    )
    if booleans:
        anyway = raw.astype(bool)
    else:
        raise ArgumentError("must be booleans (or 0/1)", argument="would_have_joined")
    t = _vector(referral_periods, "referral_periods")
    for name, other in (("would_have_joined", anyway), ("referral_periods", t)):
        if other.shape != clv.shape:
            raise ArgumentError(
                f"{name} and referee_clv differ in length ({other.size} and {clv.size}): one "
                "value per referee",
                argument=name,
            )
    bad = np.flatnonzero((t < 0) | (t != np.floor(t)))
    if bad.size:
        raise ArgumentError(
            f"must be whole periods >= 0; positions {bad[:5].tolist()}",
            argument="referral_periods",
        )
    acq = check_number(acquisition_cost, "acquisition_cost", low=0)
    reward = check_number(reward_cost, "reward_cost", low=0)
    rate = check_number(discount_rate, "discount_rate", low=-1, low_open=True)
    with np.errstate(all="ignore"):  # an overflow is refused below, not warned about
        value = np.where(anyway, acq, clv - reward)
        factor = (1.0 + rate) ** -t  # 0 for a positive rate over very many periods: right
        out = float(np.sum(value * factor))
    if not np.isfinite(factor).all():
        raise ArgumentError(
            "the discount factor overflows (a discount rate near -1 over many periods)",
            argument="discount_rate",
        )
    if not np.isfinite(out):  # the values themselves sum beyond a float
        raise ArgumentError(
            "the referees' values (net of rewards) sum beyond the largest float",
            argument="referee_clv",
        )
    return out


def clv_crv_quadrant(
    clv: npt.ArrayLike,
    crv: npt.ArrayLike,
    *,
    clv_cut: float | None = None,
    crv_cut: float | None = None,
) -> list[str]:
    """Kumar et al.'s quadrant per customer; cut points default to the medians (stated).
    A value above its cut is high.

    >>> clv_crv_quadrant([10, 10, 1, 1], [10, 1, 10, 1], clv_cut=5, crv_cut=5)
    ['champions', 'affluents', 'advocates', 'misers']

    Parameters
    ----------
    clv
        Lifetime value per customer.
    crv
        Referral value per customer, aligned with ``clv``.
    clv_cut, crv_cut
        Cut points (default: the medians).

    Returns
    -------
    list of str
        ``champions``, ``affluents``, ``advocates`` or ``misers`` per customer.

    Raises
    ------
    ArgumentError
        ``clv`` and ``crv`` differ in length or hold NaN, inf or text; a cut is not finite.
    """
    a = _vector(clv, "clv")
    b = _vector(crv, "crv")
    if a.shape != b.shape:
        raise ArgumentError(f"clv has {a.size} values, crv {b.size}", argument="crv")
    if a.size == 0:
        return []
    ca = float(np.median(a)) if clv_cut is None else check_number(clv_cut, "clv_cut")
    cb = float(np.median(b)) if crv_cut is None else check_number(crv_cut, "crv_cut")
    names = {(True, True): "champions", (True, False): "affluents", (False, True): "advocates"}
    return [names.get((bool(x > ca), bool(y > cb)), "misers") for x, y in zip(a, b, strict=True)]


Period = Annotated[Identifier, StringConstraints(max_length=50)]
"""An identifier of at most 50 characters (one line: a line separator inside it is refused, as
:meth:`RewardLedger.pay` refuses it)."""


class RewardLedger(Frozen):
    """Rewards paid by a referral programme: each referral rewarded at most once, and no more
    than the programme's cap per period, in one currency. Operations return a new ledger; a
    refused one raises :class:`~relmark.errors.LedgerError` and the old ledger stands. A
    ledger read from JSON is checked the same way (a referral paid twice, two currencies or
    a negative amount are refused)."""

    paid: tuple[tuple[Identifier, Period, NonNegativeSettledMoney], ...] = ()
    """(referral id, period, amount) of every reward paid."""

    @model_validator(mode="after")
    def _paid_once(self) -> RewardLedger:
        ids = [r for r, _, _ in self.paid]
        twice = sorted({r for r in ids if ids.count(r) > 1})
        if twice:
            raise ValueError(f"referrals {twice[:5]} are paid more than once")
        currencies = sorted({m.currency for _, _, m in self.paid})
        if len(currencies) > 1:
            raise CurrencyError(
                f"rewards in several currencies {currencies}: one ledger, one currency"
            )
        return self

    def pay(self, referral: Referral, *, period: str, program: ReferralProgram) -> RewardLedger:
        """Pay the rewards of a qualified referral (both sides for a two-sided programme).

        Parameters
        ----------
        referral
            A qualified referral, not yet rewarded.
        period
            The period the cap counts in (e.g. ``"2024-06"``).
        program
            The programme whose rewards and cap apply.

        Returns
        -------
        RewardLedger
            A new ledger; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``referral`` or ``program`` is of the wrong type, ``period`` not an identifier.
        CurrencyError
            The programme pays in another currency than the ledger's rewards so far.
        LedgerError
            The referral is not qualified, was already rewarded, or the cap is reached.
        """
        ref = _checks.instance(referral, Referral, "referral")
        prog = _checks.instance(program, ReferralProgram, "program")
        when = _checks.identifier(period, "period")
        if len(when) > 50:
            raise ArgumentError("at most 50 characters", argument="period")
        if ref.status is not ReferralStatus.QUALIFIED:
            raise LedgerError(f"referral {ref.id} is {ref.status}, not qualified")
        if any(r == ref.id for r, _, _ in self.paid):
            raise LedgerError(f"referral {ref.id} was already rewarded")
        cost = prog.cost_per_referral
        if self.paid and self.paid[0][2].currency != cost.currency:
            raise CurrencyError(
                f"the programme pays {cost.currency}, the ledger holds "
                f"{self.paid[0][2].currency} rewards: one ledger per currency"
            )
        this_period = len({r for r, p, _ in self.paid if p == when})
        if prog.rewards_due(1, this_period) == 0:
            raise LedgerError(f"the programme's cap for {when} is reached")
        return self.model_copy(update={"paid": (*self.paid, (ref.id, when, cost))})

    def total(self, currency: str) -> Money:
        """Everything paid, in ``currency``.

        Parameters
        ----------
        currency
            The ledger's currency (needed for an empty ledger).

        Returns
        -------
        Money
            The sum of every reward paid.

        Raises
        ------
        CurrencyError
            ``currency`` is not a known code, or the rewards are in another currency.
        """
        out = Money.zero(check_currency(currency, "currency"))
        for _, _, amount in self.paid:
            out = out + amount
        return out
