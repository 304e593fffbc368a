"""Affiliate marketing: publishers, commission plans, attribution, payouts and fraud checks.

An advertiser pays a publisher a commission per conversion that came through the publisher's
link (seed 000). Money is exact: amounts are :class:`~relmark.domain.core.Money` (``Decimal``),
commissions are computed exactly and rounded once, at statement level, half-to-even to the cent.

- **Plans** (:class:`CommissionPlan`): revenue share on a stated base (gross, or net of tax,
  shipping and returns), a fixed amount per action (CPA/CPL), per click, tiered by the period's
  volume (``retroactive``: the reached tier's rate applies to the whole volume; ``marginal``:
  each tier's rate applies to the slice within it), recurring for a limited number of days after
  the customer's first attributed conversion, multi-level (a share to the publishers who
  recruited the publisher, up to a depth cap), and any sum of these (hybrid).
- **Attribution** (:func:`attribute`): last click within a lookback window (a later click by
  another publisher overrides), or first click, or linear; ties broken deterministically by
  time then publisher id.
- **Statements** (:func:`payout_statement`): commissions are held until the return window
  closes, clawed back when an order is refunded, and paid otherwise.
- **Fraud checks** (:func:`fraud_checks`): reason codes, not booleans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from relmark.domain.core import CustomerId, Frozen, Identifier, Money
from relmark.errors import DataError, LedgerError, ParameterError

__all__ = [
    "Click",
    "CommissionPlan",
    "Conversion",
    "FraudReason",
    "Publisher",
    "Statement",
    "Tier",
    "attribute",
    "commission",
    "fraud_checks",
    "payout_statement",
    "recurring_eligible",
]

CENT = Decimal("0.01")


class Publisher(Frozen):
    """A publisher (affiliate); ``recruited_by`` links multi-level networks."""

    id: Identifier
    name: str
    email: str
    recruited_by: Identifier | None = None

    @model_validator(mode="after")
    def _not_self_recruited(self) -> Publisher:
        if self.recruited_by is not None and self.recruited_by == self.id:
            raise ParameterError(f"publisher {self.id!r} cannot be recruited by itself")
        return self


class Click(Frozen):
    """A click on a publisher's link."""

    publisher_id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    device: str = ""


class Conversion(Frozen):
    """An order, with the parts a revenue share may exclude."""

    order_id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    gross: Money
    tax: Money | None = None
    shipping: Money | None = None
    refunded: Money | None = None
    refunded_at: AwareDatetime | None = None
    email: str = ""
    payment_fingerprint: str = ""
    device: str = ""

    def base(self, kind: Literal["gross", "net"]) -> Money:
        """The commission base: gross, or net of tax, shipping and refunds."""
        if kind == "gross":
            return self.gross
        out = self.gross
        for part in (self.tax, self.shipping, self.refunded):
            if part is not None:
                out = out - part
        if out.amount < 0:
            raise DataError(f"order {self.order_id}: deductions exceed the gross amount")
        return out


class Tier(Frozen):
    """Rate applying from ``threshold`` of period volume upwards."""

    threshold: Decimal = Field(ge=0)
    rate: Decimal = Field(ge=0, le=1)


class CommissionPlan(Frozen):
    """A commission plan; every component set is added (hybrid plans)."""

    revenue_share: Decimal | None = Field(default=None, ge=0, le=1)
    base: Literal["gross", "net"] = "net"
    per_action: Money | None = None
    per_click: Money | None = None
    tiers: tuple[Tier, ...] = ()
    tier_mode: Literal["retroactive", "marginal"] = "retroactive"
    recurring_days: int | None = Field(default=None, ge=1)
    """Commission also on repeat orders within this many days of the customer's first
    attributed conversion (select them with :func:`recurring_eligible`); ``None``: only
    conversions attributed to a click earn."""
    level_rates: tuple[Annotated[Decimal, Field(ge=0, le=1)], ...] = ()
    """Multi-level: shares of the commission paid to the recruiter, the recruiter's recruiter,
    ...; the length of the tuple is the depth cap. The upline is paid *on top of* the
    publisher's commission, so each rate is in [0, 1], they sum to at most 1, and the
    percentage of revenue paid in all, (revenue share + highest tier rate) x (1 + sum of
    level rates), is at most 1."""

    @model_validator(mode="after")
    def _payouts_within_revenue(self) -> CommissionPlan:
        levels = sum(self.level_rates, Decimal(0))
        if levels > 1:
            raise ParameterError(f"level_rates must sum to at most 1, got {levels}")
        pct = (self.revenue_share or Decimal(0)) + max(
            (t.rate for t in self.tiers), default=Decimal(0)
        )
        if pct * (1 + levels) > 1:
            raise ParameterError(
                f"revenue_share + highest tier rate ({pct}) times 1 + sum of level_rates "
                f"({1 + levels}) exceeds 1: the plan would pay out more than the revenue"
            )
        currencies = {m.currency for m in (self.per_action, self.per_click) if m is not None}
        if len(currencies) > 1:
            raise ParameterError(
                f"per_action and per_click must share one currency, got {sorted(currencies)}"
            )
        return self


def _tiered(volume: Decimal, tiers: Sequence[Tier], mode: str) -> Decimal:
    ordered = sorted(tiers, key=lambda t: t.threshold)
    if not ordered or ordered[0].threshold != 0:
        raise DataError("tiers must start at a threshold of 0")
    if mode == "retroactive":
        rate = max((t for t in ordered if volume >= t.threshold), key=lambda t: t.threshold).rate
        return volume * rate
    total = Decimal(0)
    for tier, nxt in zip(ordered, [*ordered[1:], None], strict=True):
        top = volume if nxt is None else min(volume, nxt.threshold)
        if top > tier.threshold:
            total += (top - tier.threshold) * tier.rate
    return total


def _check_inputs(plan: CommissionPlan, conversions: Sequence[Conversion]) -> str | None:
    """The one currency of the conversions and the plan's fixed amounts (None if neither
    has any); raises LedgerError on mixed currencies or a conversion listed twice."""
    seen: set[str] = set()
    for c in conversions:
        if c.order_id in seen:
            raise LedgerError(f"conversion {c.order_id!r} is listed twice; it would be paid twice")
        seen.add(c.order_id)
    sources = [(f"conversion {c.order_id!r}", c.gross.currency) for c in conversions]
    for name, money in (("per_action", plan.per_action), ("per_click", plan.per_click)):
        if money is not None:
            sources.append((name, money.currency))
    if not sources:
        return None
    first_name, first = sources[0]
    for name, cur in sources[1:]:
        if cur != first:
            raise LedgerError(
                f"cannot combine {first} ({first_name}) and {cur} ({name}): "
                "one commission per currency"
            )
    return first


def commission(
    plan: CommissionPlan, conversions: Sequence[Conversion], *, clicks: int = 0
) -> Decimal:
    """Exact (unrounded) commission of one publisher's period: conversions and clicks.

    >>> from datetime import UTC, datetime
    >>> eur = lambda v: Money(amount=Decimal(v), currency="EUR")
    >>> c = Conversion(order_id="o1", customer_id="c", at=datetime(2024, 1, 1, tzinfo=UTC),
    ...                gross=eur("120"), tax=eur("20"))
    >>> commission(CommissionPlan(revenue_share=Decimal("0.1")), [c])
    Decimal('10.0')
    """
    _check_inputs(plan, conversions)
    total = Decimal(0)
    volume = sum((c.base(plan.base).amount for c in conversions), Decimal(0))
    if plan.revenue_share is not None:
        total += volume * plan.revenue_share
    if plan.tiers:
        total += _tiered(volume, plan.tiers, plan.tier_mode)
    if plan.per_action is not None:
        total += plan.per_action.amount * len(conversions)
    if plan.per_click is not None:
        total += plan.per_click.amount * clicks
    return total


def attribute(
    clicks: Sequence[Click],
    conversion: Conversion,
    *,
    lookback: timedelta = timedelta(days=30),
    model: Literal["last", "first", "linear"] = "last",
) -> dict[str, Decimal]:
    """Publisher -> share of credit for a conversion (empty: no eligible click).

    Eligible clicks are the customer's clicks in ``[at - lookback, at]``; ties in time are
    broken by publisher id, so the result never depends on input order.
    """
    eligible = sorted(
        (
            c
            for c in clicks
            if c.customer_id == conversion.customer_id
            and conversion.at - lookback <= c.at <= conversion.at
        ),
        key=lambda c: (c.at, c.publisher_id),
    )
    if not eligible:
        return {}
    if model == "last":
        return {eligible[-1].publisher_id: Decimal(1)}
    if model == "first":
        return {eligible[0].publisher_id: Decimal(1)}
    share = Decimal(1) / Decimal(len(eligible))
    out: dict[str, Decimal] = {}
    for c in eligible:
        out[c.publisher_id] = out.get(c.publisher_id, Decimal(0)) + share
    return out


class Statement(Frozen):
    """A publisher's payout statement for a period (amounts rounded half-even to the cent)."""

    publisher_id: Identifier
    currency: str
    earned: Decimal
    held: Decimal
    payable: Decimal
    clawed_back: Decimal
    upline: dict[str, Decimal] = Field(default_factory=dict)


def payout_statement(
    publisher: Publisher,
    plan: CommissionPlan,
    conversions: Sequence[Conversion],
    *,
    as_of: datetime,
    return_window: timedelta = timedelta(days=30),
    clicks: int = 0,
    network: Sequence[Publisher] = (),
) -> Statement:
    """Statement for the conversions attributed to ``publisher`` in a period.

    Commission on an order is *held* until its return window closes at ``as_of``, *clawed back*
    if the order was refunded in full (partial refunds reduce a net-based commission), and
    *payable* otherwise. Multi-level shares go to the recruiters in ``network``.
    """
    found = _check_inputs(plan, conversions)
    currency = found if found is not None else "EUR"
    full_refund = [
        c for c in conversions if c.refunded is not None and c.refunded.amount >= c.gross.amount
    ]
    live = [c for c in conversions if c not in full_refund]
    closed = [c for c in live if c.at + return_window <= as_of]
    open_ = [c for c in live if c.at + return_window > as_of]
    earned_all = commission(plan, live, clicks=clicks)
    payable = (
        commission(plan.model_copy(update={"per_click": None}), closed) if closed else Decimal(0)
    )
    if plan.per_click is not None:
        payable += plan.per_click.amount * clicks
    held = commission(plan.model_copy(update={"per_click": None}), open_) if open_ else Decimal(0)
    clawed = (
        commission(plan.model_copy(update={"per_click": None, "base": "gross"}), full_refund)
        if full_refund
        else Decimal(0)
    )
    upline: dict[str, Decimal] = {}
    by_id: dict[str, Publisher] = {}
    for p in network:
        if p.id in by_id and by_id[p.id] != p:
            raise DataError(f"publisher {p.id!r} appears twice in the network, differently")
        by_id[p.id] = p
    if plan.level_rates:
        chain = [publisher.id]
        nxt = publisher.recruited_by
        while nxt is not None:
            if nxt in chain:
                cycle = " -> ".join([*chain[chain.index(nxt) :], nxt])
                raise LedgerError(f"recruitment cycle among publishers: {cycle}")
            chain.append(nxt)
            nxt = by_id[nxt].recruited_by if nxt in by_id else None
    boss = publisher.recruited_by
    for rate in plan.level_rates:
        if boss is None or boss not in by_id:
            break
        upline[boss] = (payable * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)
        boss = by_id[boss].recruited_by
    return Statement(
        publisher_id=publisher.id,
        currency=currency,
        earned=earned_all.quantize(CENT, rounding=ROUND_HALF_EVEN),
        held=held.quantize(CENT, rounding=ROUND_HALF_EVEN),
        payable=payable.quantize(CENT, rounding=ROUND_HALF_EVEN),
        clawed_back=clawed.quantize(CENT, rounding=ROUND_HALF_EVEN),
        upline=upline,
    )


class FraudReason(StrEnum):
    """Why a conversion looks fraudulent."""

    SELF_REFERRAL_EMAIL = "self_referral_email"
    SELF_REFERRAL_PAYMENT = "self_referral_payment"
    SELF_REFERRAL_DEVICE = "self_referral_device"
    DUPLICATE_ORDER = "duplicate_order"
    TOO_FAST = "too_fast"
    VELOCITY = "velocity"


def _norm_email(email: str) -> str:
    """Lower-case, drop '+tags' and, for Gmail, dots in the local part."""
    local, _, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def fraud_checks(
    conversion: Conversion,
    click: Click,
    publisher: Publisher,
    *,
    seen_orders: set[str],
    recent_conversions: Sequence[Conversion] = (),
    publisher_fingerprints: set[str] = frozenset(),  # type: ignore[assignment]
    min_seconds: float = 10.0,
    max_per_hour: int = 20,
) -> list[FraudReason]:
    """Reason codes for a conversion credited to ``publisher`` through ``click``.

    Self-referral by normalised email, payment instrument or device; a duplicate order id;
    a click-to-conversion time below ``min_seconds``; more than ``max_per_hour`` of the
    publisher's conversions in the hour before this one (velocity).
    """
    reasons = []
    if conversion.email and _norm_email(conversion.email) == _norm_email(publisher.email):
        reasons.append(FraudReason.SELF_REFERRAL_EMAIL)
    if conversion.payment_fingerprint and conversion.payment_fingerprint in publisher_fingerprints:
        reasons.append(FraudReason.SELF_REFERRAL_PAYMENT)
    if (
        conversion.device
        and click.device
        and conversion.device == click.device
        and (conversion.device in publisher_fingerprints)
    ):
        reasons.append(FraudReason.SELF_REFERRAL_DEVICE)
    if conversion.order_id in seen_orders:
        reasons.append(FraudReason.DUPLICATE_ORDER)
    if (conversion.at - click.at).total_seconds() < min_seconds:
        reasons.append(FraudReason.TOO_FAST)
    window = [
        c for c in recent_conversions if conversion.at - timedelta(hours=1) <= c.at <= conversion.at
    ]
    if len(window) > max_per_hour:
        reasons.append(FraudReason.VELOCITY)
    return reasons


def recurring_eligible(
    conversions: Sequence[Conversion], first_attributed: dict[str, datetime], days: int
) -> list[Conversion]:
    """Repeat orders that still earn a recurring commission: those of customers whose first
    attributed conversion was at most ``days`` days earlier."""
    out = []
    for c in conversions:
        start = first_attributed.get(c.customer_id)
        if start is not None and start <= c.at <= start + timedelta(days=days):
            out.append(c)
    return out
