r"""Loyalty programmes: accrual rules, a points ledger that cannot lose points, liability.

Accrual (seed 002: points, birthday gifts, personalised offers): points per currency unit with
a stated rounding policy (``"down"`` or ``"half_up"``; any other name is refused), a tier
multiplier and a birthday bonus.

The :class:`PointsLedger` keeps lots of points (earned when, expiring when) and consumes them
first-in first-out. Points are whole numbers everywhere (a Python or numpy int; ``2.0``,
``True``, ``"2"`` and Decimals are refused) and in JSON. Every operation returns a *new*
ledger; one that would overdraw, double-post (an idempotency key already used, also after a
JSON round trip), use points earned after the operation's date, or lose points raises
:class:`~relmark.errors.LedgerError` and the old ledger stands unchanged. A bad argument
(0.5 points, a naive or missing date, an expiry before the earn date, ``inactivity_days=0``) is
an :class:`~relmark.errors.ArgumentError` naming it. Invariant, checked also when a ledger is
read from JSON: earned + adjusted = redeemed + expired + balance.

Liability: outstanding points × (1 − breakage) × value per point. Revenue allocation follows
IFRS 15 (paragraphs 73-86, Illustrative Example 52): the transaction price is split between the
goods and the points in proportion to their standalone selling prices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

import relmark.domain._checks as _checks
from relmark._validation import check_flag
from relmark.domain.core import (
    Currency,
    DecimalText,
    Frozen,
    Identifier,
    Money,
    NonNegativeMoney,
    in_decimal_context,
    one_currency,
)
from relmark.domain.currency import minor_unit_step
from relmark.errors import ArgumentError, CurrencyError, LedgerError

__all__ = [
    "MAX_POINTS",
    "Lot",
    "LoyaltyRules",
    "PointsLedger",
    "TierRule",
    "allocate_revenue",
    "outstanding_liability",
    "qualify_tier",
    "recognised_revenue",
]

MAX_POINTS = 2**53 - 1
"""The largest point count (an operation or a total): the largest integer every JSON reader
holds exactly (RFC 7493); beyond it JavaScript would silently round."""

Multiplier = Annotated[Decimal, DecimalText, Field(gt=0, allow_inf_nan=False, le=1000)]


def _day_only(value: object) -> object:
    if isinstance(value, datetime) or (
        not isinstance(value, date)
        and not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value))
    ):
        raise ValueError(
            f"must be a date (YYYY-MM-DD), not a datetime or a timestamp, got {value!r:.60}"
        )
    return value


Day = Annotated[date, BeforeValidator(_day_only)]
"""A calendar date, exactly: a datetime, date-time text or a number (a timestamp) is refused,
not truncated to its day (the ledger's methods refuse them too)."""


class LoyaltyRules(Frozen):
    """How purchases earn points.

    Attributes
    ----------
    points_per_unit
        Points per currency unit spent (> 0).
    rounding
        ``"down"`` (whole points, truncated) or ``"half_up"``; nothing else.
    tier_multipliers
        Tier name -> multiplier (> 0, at most 1000); at least one tier.
    birthday_bonus
        Whole points added on the member's birthday (>= 0).
    validity_days
        Days points stay valid (>= 1), or ``None`` for no expiry.
    currency
        The currency of the spend the rules price (1.5 points per EUR is not 1.5 points per
        JPY); ``None`` accepts any, a set currency refuses others with a CurrencyError.
    """

    points_per_unit: Annotated[Decimal, DecimalText, Field(gt=0, allow_inf_nan=False, le=10**6)]
    rounding: Literal["down", "half_up"] = "down"
    tier_multipliers: dict[Identifier, Multiplier] = Field(
        default_factory=lambda: {"base": Decimal(1)}, min_length=1
    )
    """Written to JSON sorted by tier name (byte-stable)."""
    birthday_bonus: int = Field(default=0, ge=0, le=MAX_POINTS, strict=True)
    validity_days: int | None = Field(default=365, ge=1, strict=True)
    currency: Currency | None = None

    @field_serializer("tier_multipliers")
    def _sorted_tiers(self, tiers: dict[str, Decimal]) -> dict[str, Decimal]:
        return dict(sorted(tiers.items()))

    @in_decimal_context
    def points_for(self, spend: Money, *, tier: str = "base", birthday: bool = False) -> int:
        """Points earned by a purchase.

        >>> rules = LoyaltyRules(points_per_unit=Decimal("1.5"), birthday_bonus=100)
        >>> rules.points_for(Money(amount="19.99", currency="EUR"), birthday=True)
        129

        Parameters
        ----------
        spend
            The purchase amount (>= 0, in the rules' currency if they have one).
        tier
            A key of :attr:`tier_multipliers`.
        birthday
            Whether the purchase falls on the member's birthday (adds :attr:`birthday_bonus`).

        Returns
        -------
        int
            Whole points.

        Raises
        ------
        ArgumentError
            ``spend`` is not Money or is negative; ``tier`` is unknown; ``birthday`` is not a
            bool.
        CurrencyError
            ``spend`` is not in the rules' currency.
        """
        _checks.instance(spend, Money, "spend")
        if spend.amount < 0:
            raise ArgumentError(f"cannot be negative, got {spend.amount}", argument="spend")
        if self.currency is not None and spend.currency != self.currency:
            raise CurrencyError(
                f"argument 'spend': the rules price {self.currency}, got {spend.currency}"
            )
        if not isinstance(tier, str) or tier not in self.tier_multipliers:
            known = ", ".join(map(repr, self.tier_multipliers))
            raise ArgumentError(f"unknown tier {tier!r} (known: {known})", argument="tier")
        bonus = self.birthday_bonus if check_flag(birthday, "birthday") else 0
        raw = spend.amount * self.points_per_unit * self.tier_multipliers[tier]
        mode = ROUND_DOWN if self.rounding == "down" else ROUND_HALF_UP
        points = int(raw.quantize(Decimal(1), rounding=mode)) + bonus
        if points > MAX_POINTS:
            raise ArgumentError(
                f"earns {points} points, more than 2^53 - 1 (no ledger can hold them)",
                argument="spend",
            )
        return points


class Lot(Frozen):
    """Points earned (or credited by an adjustment) together, with their expiry date."""

    key: Identifier
    points: int = Field(ge=1, le=MAX_POINTS, strict=True)
    earned: Day
    expires: Day | None = None

    @model_validator(mode="after")
    def _expiry_after_earning(self) -> Lot:
        if self.expires is not None and self.expires < self.earned:
            raise ValueError(
                f"lot {self.key!r} expires ({self.expires}) before it was earned ({self.earned})"
            )
        return self


def _whole_points(points: object, *, what: str, signed: bool = False) -> int:
    """``points`` as a Python int (> 0, or != 0 when ``signed``); floats (even integral),
    bools, Decimals and strings are refused so a ledger never holds fractional points."""
    if isinstance(points, bool | np.bool_) or not isinstance(points, int | np.integer):
        raise ArgumentError(
            f"{what} points must be a {'non-zero' if signed else 'positive'} whole number "
            f"(int), got {points!r} of type {type(points).__name__}",
            argument="points",
        )
    value = int(points)
    if abs(value) > MAX_POINTS:
        raise ArgumentError(
            f"{what} points must be at most 2^53 - 1, got {value}", argument="points"
        )
    if value == 0 or (value < 0 and not signed):
        raise ArgumentError(
            f"{what} points must be {'!= 0' if signed else '> 0'}, got {value}",
            argument="points",
        )
    return value


class PointsLedger(Frozen):
    """An immutable points ledger for one member (FIFO lots, idempotency keys).

    >>> ledger = PointsLedger().earn(100, key="order-1", on=date(2024, 1, 5))
    >>> ledger = ledger.redeem(30, key="reward-1", on=date(2024, 2, 1))
    >>> ledger.balance, ledger.balances()
    (70, True)
    >>> ledger.redeem(30, key="reward-1", on=date(2024, 2, 2))
    Traceback (most recent call last):
    ...
    relmark.errors.LedgerError: operation 'reward-1' was already posted
    """

    lots: tuple[Lot, ...] = ()
    keys: frozenset[Identifier] = frozenset()
    """Every idempotency key posted (written to JSON sorted, so the JSON is byte-stable)."""
    earned_total: int = Field(default=0, ge=0, le=MAX_POINTS, strict=True)
    redeemed_total: int = Field(default=0, ge=0, le=MAX_POINTS, strict=True)
    expired_total: int = Field(default=0, ge=0, le=MAX_POINTS, strict=True)
    adjusted_total: int = Field(default=0, ge=-MAX_POINTS, le=MAX_POINTS, strict=True)
    """Net points credited (+) or debited (−) by :meth:`adjust`."""
    last_activity: Day | None = None
    """The date of the member's last earn or redemption (set exactly when something was ever
    earned or redeemed)."""

    @field_validator("keys", mode="before")
    @classmethod
    def _unique_keys(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            seen: set[str] = set()
            for key in value:
                if not isinstance(key, str):
                    continue  # refused by the field's own type check, with its position
                if key in seen:
                    raise ValueError(f"idempotency key {key!r} appears twice")
                seen.add(key)
        return value

    @field_serializer("keys")
    def _sorted_keys(self, keys: frozenset[str]) -> list[str]:
        return sorted(keys)

    @model_validator(mode="after")
    def _reconciles(self) -> PointsLedger:
        lot_keys = [lot.key for lot in self.lots]
        if len(set(lot_keys)) != len(lot_keys):
            raise ValueError("two lots share an idempotency key")
        unknown = sorted(set(lot_keys) - self.keys)
        if unknown:
            raise ValueError(f"lots {unknown[:5]} were never posted (not in keys)")
        active = self.earned_total > 0 or self.redeemed_total > 0
        if active != (self.last_activity is not None):
            raise ValueError(
                f"last_activity is {self.last_activity}, but earned_total is "
                f"{self.earned_total} and redeemed_total {self.redeemed_total}: a ledger has a "
                "last activity exactly when points were earned or redeemed"
            )
        if not self.balances():
            raise ValueError(
                f"totals do not reconcile with the lots: earned {self.earned_total} + adjusted "
                f"{self.adjusted_total} != redeemed {self.redeemed_total} + expired "
                f"{self.expired_total} + balance {self.balance}"
            )
        return self

    @property
    def balance(self) -> int:
        """Points available now."""
        return sum(lot.points for lot in self.lots)

    def balances(self) -> bool:
        """The ledger's invariant: earned + adjusted = redeemed + expired + balance.

        Returns
        -------
        bool
            Whether the totals reconcile with the lots (always, for a ledger relmark built or read).
        """
        return (
            self.earned_total + self.adjusted_total
            == self.redeemed_total + self.expired_total + self.balance
        )

    # ------------------------------------------------------------------ helpers
    def _key(self, key: object) -> str:
        k = _checks.identifier(key, "key")
        if k in self.keys:
            raise LedgerError(f"operation {k!r} was already posted")
        return k

    def _build(self, **update: object) -> PointsLedger:
        """A new ledger with ``update`` (validated fields only: the invariant is checked by
        the operations, so model_copy's skipped validation loses nothing)."""
        for name in ("earned_total", "redeemed_total", "expired_total", "adjusted_total"):
            value = update.get(name, 0)
            if isinstance(value, int) and abs(value) > MAX_POINTS:
                raise LedgerError(f"{name} would exceed 2^53 - 1 points")
        return self.model_copy(update=update)

    def _expired_by(self, on: date) -> PointsLedger:
        if any(lot.expires is not None and lot.expires < on for lot in self.lots):
            return self._expire(on, None)
        return self

    def _expire(self, on: date, key: str | None) -> PointsLedger:
        keep = tuple(lot for lot in self.lots if lot.expires is None or lot.expires >= on)
        gone = self.balance - sum(lot.points for lot in keep)
        keys = self.keys if key is None else self.keys | {key}
        return self._build(lots=keep, keys=keys, expired_total=self.expired_total + gone)

    def _take(self, points: int, on: date, what: str) -> tuple[Lot, ...]:
        """Lots left after consuming ``points`` first-in first-out from lots earned by ``on``."""
        usable = sum(lot.points for lot in self.lots if lot.earned <= on)
        if points > usable:
            if points <= self.balance:
                raise LedgerError(
                    f"cannot {what} {points} points on {on}: only {usable} of the balance "
                    f"{self.balance} were earned by then (an operation cannot use points "
                    "earned after its date)"
                )
            raise LedgerError(f"cannot {what} {points} points: balance is {self.balance}")
        order = sorted(range(len(self.lots)), key=lambda i: (self.lots[i].earned, i))
        left = points
        new = list(self.lots)
        for i in order:
            lot = new[i]
            if left == 0 or lot.earned > on:
                continue
            take = min(left, lot.points)
            left -= take
            new[i] = lot.model_copy(update={"points": lot.points - take})
        return tuple(lot for lot in new if lot.points > 0)

    def _latest(self, on: date) -> date:
        return on if self.last_activity is None else max(self.last_activity, on)

    # --------------------------------------------------------------- operations
    def earn(self, points: int, *, key: str, on: date, expires: date | None = None) -> PointsLedger:
        """Add ``points`` earned on ``on``, valid through ``expires`` (``None``: no expiry).

        Parameters
        ----------
        points
            Whole points > 0.
        key
            Idempotency key of the operation (posted once).
        on
            The earn date.
        expires
            The last day the points are valid (on or after ``on``), or ``None``.

        Returns
        -------
        PointsLedger
            A new ledger; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``points`` is not a whole number > 0; ``key`` is not an identifier; ``on`` or
            ``expires`` is not a date, or ``expires`` is before ``on``.
        LedgerError
            ``key`` was already posted.
        """
        k = self._key(key)
        n = _whole_points(points, what="earned")
        day = _checks.day(on, "on")
        if expires is not None and _checks.day(expires, "expires") < day:
            raise ArgumentError(f"{expires} is before the earn date {day}", argument="expires")
        lot = Lot(key=k, points=n, earned=day, expires=expires)
        return self._build(
            lots=(*self.lots, lot),
            keys=self.keys | {k},
            earned_total=self.earned_total + n,
            last_activity=self._latest(day),
        )

    def redeem(self, points: int, *, key: str, on: date) -> PointsLedger:
        """Spend ``points`` on ``on``, oldest lots first, after expiring lots whose expiry
        date is before ``on``; only points earned by ``on`` can be used.

        Parameters
        ----------
        points
            Whole points > 0.
        key
            Idempotency key of the operation (posted once).
        on
            The redemption date.

        Returns
        -------
        PointsLedger
            A new ledger; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``points`` is not a whole number > 0, ``key`` not an identifier, ``on`` not a date.
        LedgerError
            ``key`` was already posted, or the balance (of points earned by ``on``) is short.
        """
        k = self._key(key)
        n = _whole_points(points, what="redeemed")
        day = _checks.day(on, "on")
        current = self._expired_by(day)
        lots = current._take(n, day, "redeem")
        return current._build(
            lots=lots,
            keys=current.keys | {k},
            redeemed_total=current.redeemed_total + n,
            last_activity=self._latest(day),
        )

    def adjust(
        self, points: int, *, key: str, on: date, reason: str, expires: date | None = None
    ) -> PointsLedger:
        """Credit (``points`` > 0, a new lot) or debit (``points`` < 0, oldest lots first)
        points outside accrual and redemption: a goodwill gesture, a correction. An
        adjustment is not member activity (it does not move :attr:`last_activity`).

        Parameters
        ----------
        points
            Whole points, > 0 for a credit, < 0 for a debit.
        key
            Idempotency key of the operation (posted once).
        on
            The date of the adjustment.
        reason
            Why (required, kept by the caller's audit trail).
        expires
            The last valid day of a credit, or ``None``.

        Returns
        -------
        PointsLedger
            A new ledger; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``points`` is not a non-zero whole number, ``reason`` is empty, a date is bad.
        LedgerError
            ``key`` was already posted, or a debit exceeds the balance earned by ``on``.
        """
        k = self._key(key)
        n = _whole_points(points, what="adjusted", signed=True)
        day = _checks.day(on, "on")
        if not isinstance(reason, str) or not reason.strip():
            raise ArgumentError("an adjustment needs a reason", argument="reason")
        if n > 0:
            if expires is not None and _checks.day(expires, "expires") < day:
                raise ArgumentError(f"{expires} is before {day}", argument="expires")
            lot = Lot(key=k, points=n, earned=day, expires=expires)
            return self._build(
                lots=(*self.lots, lot), keys=self.keys | {k}, adjusted_total=self.adjusted_total + n
            )
        if expires is not None:
            raise ArgumentError("only a credit (points > 0) has an expiry", argument="expires")
        current = self._expired_by(day)
        lots = current._take(-n, day, "debit")
        return current._build(
            lots=lots, keys=current.keys | {k}, adjusted_total=current.adjusted_total + n
        )

    def expire(self, *, on: date, key: str | None = None) -> PointsLedger:
        """Remove lots whose expiry date is before ``on`` (a lot expiring on ``on`` is still
        valid that day).

        Parameters
        ----------
        on
            The date of the expiry run.
        key
            Idempotency key, or ``None`` for an unkeyed run.

        Returns
        -------
        PointsLedger
            A new ledger; this one is unchanged.

        Raises
        ------
        ArgumentError
            ``on`` is not a date or ``key`` is not an identifier.
        LedgerError
            ``key`` was already posted.
        """
        day = _checks.day(on, "on")
        k = None if key is None else self._key(key)
        return self._expire(day, k)

    def expire_inactive(
        self,
        *,
        on: date,
        inactivity_days: int,
        key: str,
        last_activity: date | None = None,
    ) -> PointsLedger:
        """Expire every remaining point when the member has been inactive for longer than
        ``inactivity_days`` at ``on`` (expiry by inactivity); otherwise the ledger is unchanged
        (and ``key`` is not used).

        Parameters
        ----------
        on
            The date of the check.
        inactivity_days
            Whole days of inactivity allowed (>= 1).
        key
            Idempotency key of the expiry.
        last_activity
            The member's last activity; defaults to the ledger's own :attr:`last_activity`.
            It cannot be before it (the ledger saw later activity) nor after ``on``.

        Returns
        -------
        PointsLedger
            A new ledger, or this one when the member is still active.

        Raises
        ------
        ArgumentError
            A bad date, ``inactivity_days`` not a whole number >= 1, an inconsistent
            ``last_activity``, or none known.
        LedgerError
            ``key`` was already posted, or a lot was earned after ``on``.
        """
        k = self._key(key)
        day = _checks.day(on, "on")
        days = _checks.whole(inactivity_days, "inactivity_days", minimum=1)
        if last_activity is None:
            if self.last_activity is None:
                raise ArgumentError(
                    "the ledger records no activity: pass the member's last activity",
                    argument="last_activity",
                )
            last = self.last_activity
        else:
            last = _checks.day(last_activity, "last_activity")
            if self.last_activity is not None and last < self.last_activity:
                raise ArgumentError(
                    f"{last} is before the ledger's last activity {self.last_activity}",
                    argument="last_activity",
                )
        if last > day:
            raise ArgumentError(f"{last} is after on={day}", argument="last_activity")
        late = [lot.key for lot in self.lots if lot.earned > day]
        if late:
            raise LedgerError(f"cannot expire on {day} lots earned later: {late[:5]}")
        if (day - last).days <= days:
            return self
        return self._build(
            lots=(), keys=self.keys | {k}, expired_total=self.expired_total + self.balance
        )


@in_decimal_context
def outstanding_liability(points: int, *, breakage: Decimal, value_per_point: Money) -> Money:
    """Liability of outstanding points: points × (1 − breakage) × value per point (exact,
    not rounded).

    >>> outstanding_liability(10_000, breakage=Decimal("0.05"),
    ...                       value_per_point=Money(amount="0.01", currency="EUR"))
    Money(amount=Decimal('95.0000'), currency='EUR')

    Parameters
    ----------
    points
        Outstanding points (whole, >= 0).
    breakage
        The share expected never to be redeemed, in [0, 1].
    value_per_point
        What one redeemed point costs (>= 0).

    Returns
    -------
    Money
        The liability, unrounded.

    Raises
    ------
    ArgumentError
        ``points`` is not a whole number >= 0, ``breakage`` not a number in [0, 1] (a float is
        read from its shortest text), ``value_per_point`` not a non-negative Money.
    """
    n = _checks.whole(points, "points")
    if n > MAX_POINTS:
        raise ArgumentError(f"must be at most 2^53 - 1, got {n}", argument="points")
    b = _checks.exact(breakage, "breakage", low=Decimal(0), high=Decimal(1))
    _checks.instance(value_per_point, Money, "value_per_point")
    if value_per_point.amount < 0:
        raise ArgumentError("cannot be negative", argument="value_per_point")
    return value_per_point.times(Decimal(n) * (Decimal(1) - b))


@in_decimal_context
def allocate_revenue(
    price: Money, goods_standalone: Money, points_standalone: Money
) -> tuple[Money, Money]:
    """Split a transaction price between goods and points by relative standalone prices
    (IFRS 15.74-.76), rounded half-up to the currency's minor unit, the goods taking the
    remainder: the two parts add up to the price exactly.

    IFRS 15 Illustrative Example 52: sales 100,000, points standalone 9,500
    (10,000 points x 0.95 x 95% expected redemption) -> 91,324 to goods, 8,676 to points:

    >>> eur = lambda v: Money(amount=v, currency="EUR")
    >>> goods, points = allocate_revenue(eur("100000"), eur("100000"), eur("9500"))
    >>> goods.amount.quantize(Decimal(1)), points.amount.quantize(Decimal(1))
    (Decimal('91324'), Decimal('8676'))

    Parameters
    ----------
    price
        The transaction price.
    goods_standalone
        The goods' standalone selling price.
    points_standalone
        The points' standalone selling price (value x expected redemption).

    Returns
    -------
    tuple of Money
        The revenue allocated to the goods and to the points, adding up to ``price``.

    Raises
    ------
    ArgumentError
        An argument is not Money or is negative, or the standalone prices add up to zero.
    CurrencyError
        The three amounts are not in one currency.
    """
    named = (
        ("price", price),
        ("goods_standalone", goods_standalone),
        ("points_standalone", points_standalone),
    )
    for name, money in named:
        _checks.instance(money, Money, name)
        if money.amount < 0:
            raise ArgumentError(f"cannot be negative, got {money.amount}", argument=name)
    currency = one_currency(list(named))
    assert currency is not None
    step = minor_unit_step(currency)
    if price.amount != price.amount.quantize(step):
        raise ArgumentError(
            f"{price.amount} {currency} is not a whole number of minor units ({step}): the "
            "parts are rounded to them and could not add up to it without one going negative",
            argument="price",
        )
    total = goods_standalone.amount + points_standalone.amount
    if total <= 0:
        raise ArgumentError(
            "the standalone prices add up to zero: nothing to allocate by",
            argument="points_standalone",
        )
    share = points_standalone.amount / total
    to_points = (price.amount * share).quantize(step, rounding=ROUND_HALF_UP)
    return Money._new(price.amount - to_points, currency), Money._new(to_points, currency)


@in_decimal_context
def recognised_revenue(
    allocated_to_points: Money, redeemed: int, expected_redemptions: int
) -> Money:
    """Revenue recognised on points redeemed so far, rounded half-up to the minor unit
    (IFRS 15 IE52: 8,676 x 4,500/9,500 = 4,110).

    Parameters
    ----------
    allocated_to_points
        Revenue allocated to the points (:func:`allocate_revenue`).
    redeemed
        Points redeemed so far (whole, <= ``expected_redemptions``).
    expected_redemptions
        Points expected to be redeemed in all (whole, >= 1).

    Returns
    -------
    Money
        Revenue to recognise, rounded to the minor unit.

    Raises
    ------
    ArgumentError
        ``allocated_to_points`` is not a non-negative Money; ``expected_redemptions`` is not a
        whole number >= 1; ``redeemed`` is not a whole number in [0, expected_redemptions].
    """
    _checks.instance(allocated_to_points, Money, "allocated_to_points")
    if allocated_to_points.amount < 0:
        raise ArgumentError("cannot be negative", argument="allocated_to_points")
    expected = _checks.whole(expected_redemptions, "expected_redemptions", minimum=1)
    done = _checks.whole(redeemed, "redeemed")
    if done > expected:
        raise ArgumentError(f"{done} exceeds expected_redemptions {expected}", argument="redeemed")
    amount = allocated_to_points.amount * Decimal(done) / Decimal(expected)
    step = minor_unit_step(allocated_to_points.currency)
    return Money(
        amount=amount.quantize(step, rounding=ROUND_HALF_UP), currency=allocated_to_points.currency
    )


class TierRule(Frozen):
    """A loyalty tier reached by spending ``threshold`` within the qualification window."""

    name: Identifier
    threshold: NonNegativeMoney


@in_decimal_context
def qualify_tier(
    spend: Sequence[tuple[date, Money]],
    tiers: Sequence[TierRule],
    *,
    on: date,
    window_days: int = 365,
    base_tier: str = "base",
) -> str:
    """The highest tier whose threshold the spend in ``(on - window, on]`` reaches.

    >>> eur = lambda v: Money(amount=Decimal(v), currency="EUR")
    >>> tiers = [
    ...     TierRule(name="silver", threshold=eur("500")),
    ...     TierRule(name="gold", threshold=eur("2000")),
    ... ]
    >>> qualify_tier([(date(2024, 1, 5), eur("300")), (date(2024, 6, 1), eur("250"))], tiers,
    ...              on=date(2024, 12, 31))
    'silver'

    Parameters
    ----------
    spend
        (date, amount) of each purchase.
    tiers
        The tiers (unique names and thresholds, one currency).
    on
        The qualification date.
    window_days
        Length of the qualification window (whole, >= 1).
    base_tier
        The tier of a member who reaches none.

    Returns
    -------
    str
        The name of the tier reached.

    Raises
    ------
    ArgumentError
        A spend entry is not a (date, Money) pair or is negative; tiers repeat a name or a
        threshold, or use ``base_tier``'s name; ``window_days`` is not a whole number >= 1.
    CurrencyError
        Tiers or spend in more than one currency.
    """
    rules = _checks.instances(tiers, TierRule, "tiers")
    day = _checks.day(on, "on")
    window = _checks.whole(window_days, "window_days", minimum=1)
    base = _checks.identifier(base_tier, "base_tier")
    names = [t.name for t in rules]
    if len(set(names)) != len(names) or base in names:
        raise ArgumentError(
            f"tier names must be unique and differ from base_tier {base!r}, got {names}",
            argument="tiers",
        )
    if len({t.threshold.amount for t in rules}) != len(rules):
        raise ArgumentError(
            "two tiers share a threshold: the tier reached would be ambiguous", argument="tiers"
        )
    entries: list[tuple[str, Money]] = [(f"tier {t.name!r}", t.threshold) for t in rules]
    items = _checks.instances(spend, object, "spend")
    spent: list[tuple[date, Money]] = []
    for i, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2 or not isinstance(item[1], Money):
            raise ArgumentError(
                f"item {i} must be a (date, Money) pair, got {item!r:.80}", argument="spend"
            )
        when = _checks.day(item[0], f"spend[{i}]")
        if item[1].amount < 0:
            raise ArgumentError(f"item {i} is negative ({item[1].amount})", argument="spend")
        spent.append((when, item[1]))
        entries.append((f"spend[{i}]", item[1]))
    one_currency(entries)
    if not rules:
        return base
    start = day.toordinal() - window
    total = sum(
        (m.amount for d, m in spent if start < d.toordinal() <= day.toordinal()), Decimal(0)
    )
    reached = [t for t in rules if t.threshold.amount <= total]
    return max(reached, key=lambda t: t.threshold.amount).name if reached else base
