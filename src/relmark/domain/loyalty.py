r"""Loyalty programmes: accrual rules, a points ledger that cannot lose points, liability.

Accrual (seed 002: points, birthday gifts, personalised offers): points per currency unit with
a stated rounding policy, a tier multiplier and a birthday bonus. The :class:`PointsLedger`
keeps lots of points (earned when, expiring when) and consumes them first-in first-out; every
operation returns a *new* ledger, and one that would overdraw, double-post (same idempotency
key) or lose points raises :class:`~relmark.errors.LedgerError`, so the old ledger stands
unchanged. Invariant: earned = redeemed + expired + balance.

Liability: outstanding points × (1 − breakage) × value per point. Revenue allocation follows
IFRS 15 (paragraphs 73-86, Illustrative Example 52): the transaction price is split between the
goods and the points in proportion to their standalone selling prices.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
from pydantic import Field

from relmark.domain.core import Frozen, Money
from relmark.errors import DataError, LedgerError

__all__ = [
    "Lot",
    "LoyaltyRules",
    "PointsLedger",
    "TierRule",
    "allocate_revenue",
    "outstanding_liability",
    "qualify_tier",
    "recognised_revenue",
]


class LoyaltyRules(Frozen):
    """How purchases earn points."""

    points_per_unit: Decimal = Field(gt=0)
    """Points per currency unit spent."""
    rounding: str = "down"
    """``"down"`` (whole points, truncated) or ``"half_up"``."""
    tier_multipliers: dict[str, Decimal] = Field(default_factory=lambda: {"base": Decimal(1)})
    birthday_bonus: int = Field(default=0, ge=0)
    validity_days: int | None = Field(default=365, ge=1)

    def points_for(self, spend: Money, *, tier: str = "base", birthday: bool = False) -> int:
        """Points earned by a purchase.

        >>> rules = LoyaltyRules(points_per_unit=Decimal("1.5"), birthday_bonus=100)
        >>> rules.points_for(Money(amount="19.99", currency="EUR"), birthday=True)
        129
        """
        if tier not in self.tier_multipliers:
            raise DataError(f"unknown tier {tier!r}", column="tier")
        if spend.amount < 0:
            raise DataError("spend cannot be negative", column="spend")
        raw = spend.amount * self.points_per_unit * self.tier_multipliers[tier]
        mode = ROUND_DOWN if self.rounding == "down" else ROUND_HALF_UP
        return int(raw.quantize(Decimal(1), rounding=mode)) + (
            self.birthday_bonus if birthday else 0
        )


class Lot(Frozen):
    """Points earned together, with their expiry date."""

    key: str
    points: int = Field(ge=0)
    earned: date
    expires: date | None


def _whole_points(points: object, *, what: str) -> int:
    """``points`` as a positive Python int; floats (even integral), bools, Decimals and
    strings are refused so a ledger never holds fractional or coerced points."""
    if isinstance(points, bool | np.bool_) or not isinstance(points, int | np.integer):
        raise LedgerError(
            f"{what} points must be a positive whole number (int), got {points!r} "
            f"of type {type(points).__name__}"
        )
    value = int(points)
    if value <= 0:
        raise LedgerError(f"{what} points must be > 0, got {value}")
    return value


class PointsLedger(Frozen):
    """An immutable points ledger for one member (FIFO lots, idempotency keys)."""

    lots: tuple[Lot, ...] = ()
    keys: frozenset[str] = frozenset()
    earned_total: int = 0
    redeemed_total: int = 0
    expired_total: int = 0

    @property
    def balance(self) -> int:
        """Points available now."""
        return sum(lot.points for lot in self.lots)

    def _check_key(self, key: str) -> None:
        if key in self.keys:
            raise LedgerError(f"operation {key!r} was already posted")

    def earn(self, points: int, *, key: str, on: date, expires: date | None = None) -> PointsLedger:
        """Add ``points`` earned on ``on``."""
        self._check_key(key)
        points = _whole_points(points, what="earned")
        lot = Lot(key=key, points=points, earned=on, expires=expires)
        return self.model_copy(
            update={
                "lots": (*self.lots, lot),
                "keys": self.keys | {key},
                "earned_total": self.earned_total + points,
            }
        )

    def redeem(self, points: int, *, key: str, on: date) -> PointsLedger:
        """Spend ``points``, oldest lots first; raises LedgerError if the balance is short."""
        self._check_key(key)
        points = _whole_points(points, what="redeemed")
        current = (
            self.expire(on=on, key=None)
            if any(lot.expires is not None and lot.expires < on for lot in self.lots)
            else self
        )
        if points > current.balance:
            raise LedgerError(f"cannot redeem {points} points: balance is {current.balance}")
        left = points
        lots = []
        for lot in current.lots:
            take = min(left, lot.points)
            left -= take
            if lot.points - take > 0:
                lots.append(lot.model_copy(update={"points": lot.points - take}))
        return current.model_copy(
            update={
                "lots": tuple(lots),
                "keys": current.keys | {key},
                "redeemed_total": current.redeemed_total + points,
            }
        )

    def expire(self, *, on: date, key: str | None = None) -> PointsLedger:
        """Remove lots whose expiry date is before ``on``."""
        if key is not None:
            self._check_key(key)
        keep = tuple(lot for lot in self.lots if lot.expires is None or lot.expires >= on)
        gone = self.balance - sum(lot.points for lot in keep)
        keys = self.keys if key is None else self.keys | {key}
        return self.model_copy(
            update={"lots": keep, "keys": keys, "expired_total": self.expired_total + gone}
        )

    def expire_inactive(
        self, *, on: date, last_activity: date, inactivity_days: int, key: str
    ) -> PointsLedger:
        """Expire every remaining point when the member has been inactive for longer than
        ``inactivity_days`` at ``on`` (expiry by inactivity); otherwise the ledger is unchanged."""
        self._check_key(key)
        if (on - last_activity).days <= inactivity_days:
            return self
        gone = self.balance
        return self.model_copy(
            update={
                "lots": (),
                "keys": self.keys | {key},
                "expired_total": self.expired_total + gone,
            }
        )

    def balances(self) -> bool:
        """The ledger's invariant: earned = redeemed + expired + balance."""
        return self.earned_total == self.redeemed_total + self.expired_total + self.balance


def outstanding_liability(points: int, *, breakage: Decimal, value_per_point: Money) -> Money:
    """Liability of outstanding points: points × (1 − breakage) × value per point."""
    if not Decimal(0) <= breakage <= Decimal(1):
        raise DataError("breakage must be in [0, 1]", column="breakage")
    if points < 0:
        raise DataError("points cannot be negative", column="points")
    return value_per_point.times(Decimal(points) * (Decimal(1) - breakage))


def allocate_revenue(
    price: Money, goods_standalone: Money, points_standalone: Money
) -> tuple[Money, Money]:
    """Split a transaction price between goods and points by relative standalone prices
    (IFRS 15.74-.76), rounded to the cent with the goods taking the remainder.

    IFRS 15 Illustrative Example 52: sales 100,000, points standalone 9,500
    (10,000 points x 0.95 x 95% expected redemption) -> 91,324 to goods, 8,676 to points:

    >>> eur = lambda v: Money(amount=v, currency="EUR")
    >>> goods, points = allocate_revenue(eur("100000"), eur("100000"), eur("9500"))
    >>> goods.amount.quantize(Decimal(1)), points.amount.quantize(Decimal(1))
    (Decimal('91324'), Decimal('8676'))
    """
    for part, name in (
        (goods_standalone, "goods_standalone"),
        (points_standalone, "points_standalone"),
    ):
        if part.currency != price.currency:
            raise LedgerError(
                f"cannot allocate a {price.currency} price by {name} in {part.currency}: "
                "all amounts must share one currency"
            )
    total = goods_standalone + points_standalone
    if total.amount <= 0:
        raise DataError("standalone prices must add up to more than zero")
    share = points_standalone.amount / total.amount
    to_points = (price.amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    to_points_money = Money(amount=to_points, currency=price.currency)
    return price - to_points_money, to_points_money


def recognised_revenue(
    allocated_to_points: Money, redeemed: int, expected_redemptions: int
) -> Money:
    """Revenue recognised on points redeemed so far (IFRS 15 IE52: 8,676 x 4,500/9,500 = 4,110)."""
    if expected_redemptions <= 0 or not 0 <= redeemed <= expected_redemptions:
        raise DataError("need 0 <= redeemed <= expected_redemptions and expected > 0")
    amount = allocated_to_points.amount * Decimal(redeemed) / Decimal(expected_redemptions)
    return Money(
        amount=amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        currency=allocated_to_points.currency,
    )


class TierRule(Frozen):
    """A loyalty tier reached by spending ``threshold`` within the qualification window."""

    name: str
    threshold: Money


def qualify_tier(
    spend: list[tuple[date, Money]],
    tiers: list[TierRule],
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
    """
    if not tiers:
        return base_tier
    currency = tiers[0].threshold.currency
    total = Money.zero(currency)
    start = on.toordinal() - window_days
    for day, amount in spend:
        if start < day.toordinal() <= on.toordinal():
            total = total + amount
    reached = [t for t in tiers if t.threshold <= total]
    return max(reached, key=lambda t: t.threshold.amount).name if reached else base_tier
