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

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, field_serializer, model_validator

import relmark.domain._checks as _checks
from relmark._validation import check_choice, check_number
from relmark.domain.core import (
    MAX_AMOUNT,
    Currency,
    CustomerId,
    DecimalText,
    Frozen,
    Identifier,
    Money,
    NonNegativeMoney,
    NonNegativeSettledMoney,
    UnsignedZero,
    in_decimal_context,
    one_currency,
)
from relmark.domain.currency import check_currency, minor_unit_step
from relmark.errors import ArgumentError, DataError, LedgerError, ParameterError

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

Share = Annotated[Decimal, DecimalText, Field(ge=0, le=1, allow_inf_nan=False), UnsignedZero]
Volume = Annotated[
    Decimal, DecimalText, Field(ge=0, allow_inf_nan=False, lt=Decimal(10) ** 18), UnsignedZero
]


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
    """An order, with the parts a revenue share may exclude.

    Every amount is >= 0, a whole number of minor units (:data:`SettledMoney`: ``0.005 EUR``
    is refused) and in the currency of ``gross``; tax plus shipping and the refund each are at
    most the gross; ``refunded_at`` needs ``refunded`` and is not before the order.
    """

    order_id: Identifier
    customer_id: CustomerId
    at: AwareDatetime
    gross: NonNegativeSettledMoney
    tax: NonNegativeSettledMoney | None = None
    shipping: NonNegativeSettledMoney | None = None
    refunded: NonNegativeSettledMoney | None = None
    refunded_at: AwareDatetime | None = None
    email: str = ""
    payment_fingerprint: str = ""
    device: str = ""

    @model_validator(mode="after")
    @in_decimal_context  # sums in 60 digits, not the caller's (prec=3 let 99.99 + 0.02 pass)
    def _consistent(self) -> Conversion:
        parts = [("gross", self.gross)] + [
            (name, m)
            for name, m in (
                ("tax", self.tax),
                ("shipping", self.shipping),
                ("refunded", self.refunded),
            )
            if m is not None
        ]
        one_currency(parts)
        deductions = sum((m.amount for m in (self.tax, self.shipping) if m is not None), Decimal(0))
        if deductions > self.gross.amount:
            raise ValueError(
                f"order {self.order_id}: tax + shipping ({deductions}) exceed the "
                f"gross {self.gross.amount}"
            )
        if self.refunded is not None and self.refunded.amount > self.gross.amount:
            raise ValueError(
                f"order {self.order_id}: refunded {self.refunded.amount} exceeds "
                f"the gross {self.gross.amount}"
            )
        if self.refunded is None and self.refunded_at is not None:
            raise ValueError(f"order {self.order_id}: refunded_at without refunded")
        if self.refunded_at is not None and self.refunded_at < self.at:
            raise ValueError(f"order {self.order_id}: refunded_at is before the order")
        return self

    @property
    def fully_refunded(self) -> bool:
        """Whether the whole gross was refunded."""
        return self.refunded is not None and self.refunded.amount == self.gross.amount

    @in_decimal_context
    def base(self, kind: Literal["gross", "net"]) -> Money:
        """The commission base: the gross, or the net: gross less tax and shipping, less the
        refunded share of it (a refund of a quarter of the gross removes a quarter of the
        net, so a full refund leaves 0 and the base is never negative).

        Parameters
        ----------
        kind
            ``"gross"`` or ``"net"``.

        Returns
        -------
        Money
            The base, in the order's currency.

        Raises
        ------
        ArgumentError
            ``kind`` is not ``"gross"`` or ``"net"``.
        """
        check_choice(kind, "kind", ("gross", "net"))
        if kind == "gross":
            return self.gross
        net = self.gross.amount - sum(
            (m.amount for m in (self.tax, self.shipping) if m is not None), Decimal(0)
        )
        if self.refunded is not None and self.refunded.amount > 0:
            if self.fully_refunded:
                net = Decimal(0)
            else:
                net -= net * self.refunded.amount / self.gross.amount
        return Money._new(net, self.gross.currency)


class Tier(Frozen):
    """Rate applying from ``threshold`` of period volume upwards."""

    threshold: Volume
    rate: Share


class CommissionPlan(Frozen):
    """A commission plan; every component set is added (hybrid plans).

    ``per_action`` and ``per_click`` are rates and may be below the minor unit (0.004 EUR a
    click); the statement rounds the commission once.
    """

    revenue_share: Share | None = None
    base: Literal["gross", "net"] = "net"
    per_action: NonNegativeMoney | None = None
    per_click: NonNegativeMoney | None = None
    tiers: tuple[Tier, ...] = ()
    tier_mode: Literal["retroactive", "marginal"] = "retroactive"
    recurring_days: int | None = Field(default=None, ge=1, strict=True)
    """Commission also on repeat orders within this many days of the customer's first
    attributed conversion (select them with :func:`recurring_eligible`); ``None``: only
    conversions attributed to a click earn."""
    level_rates: tuple[Share, ...] = ()
    """Multi-level: shares of the commission paid to the recruiter, the recruiter's recruiter,
    ...; the length of the tuple is the depth cap. The upline is paid *on top of* the
    publisher's commission, so each rate is in [0, 1], they sum to at most 1, and the
    percentage of revenue paid in all, (revenue share + highest tier rate) x (1 + sum of
    level rates), is at most 1."""
    currency: Currency | None = None
    """The currency of the plan's amounts, tier thresholds included (a tier from 1,000 EUR is not
    one from 1,000 JPY): conversions in another currency are refused with a CurrencyError.
    ``None``: the currency of ``per_action``/``per_click`` if set, else the conversions'."""

    @model_validator(mode="after")
    @in_decimal_context
    def _payouts_within_revenue(self) -> CommissionPlan:
        if self.tiers:
            thresholds = sorted(t.threshold for t in self.tiers)
            if thresholds[0] != 0:
                raise ParameterError("tiers must start at a threshold of 0")
            if len(set(thresholds)) != len(thresholds):
                raise ParameterError(f"two tiers share a threshold: {thresholds}")
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
        if self.currency is not None:
            currencies.add(self.currency)
        if len(currencies) > 1:
            raise ParameterError(
                f"per_action, per_click and currency must share one currency, got "
                f"{sorted(currencies)}"
            )
        return self


def _tiered(volume: Decimal, tiers: Sequence[Tier], mode: str) -> Decimal:
    ordered = sorted(tiers, key=lambda t: t.threshold)  # the plan checked: first at 0, unique
    if mode == "retroactive":
        rate = max((t for t in ordered if volume >= t.threshold), key=lambda t: t.threshold).rate
        return volume * rate
    total = Decimal(0)
    for tier, nxt in zip(ordered, [*ordered[1:], None], strict=True):
        top = volume if nxt is None else min(volume, nxt.threshold)
        if top > tier.threshold:
            total += (top - tier.threshold) * tier.rate
    return total


def _check_inputs(
    plan: object, conversions: object, currency: str | None = None
) -> tuple[CommissionPlan, list[Conversion], str | None]:
    """The plan, the conversions as a list, and their one currency with the plan's fixed
    amounts (None if neither has any); an ArgumentError for wrong types, a LedgerError for a
    conversion listed twice, a CurrencyError for mixed currencies."""
    p = _checks.instance(plan, CommissionPlan, "plan")
    orders = _checks.instances(conversions, Conversion, "conversions")
    seen: set[str] = set()
    for c in orders:
        if c.order_id in seen:
            raise LedgerError(f"conversion {c.order_id!r} is listed twice; it would be paid twice")
        seen.add(c.order_id)
    sources: list[tuple[str, Money]] = [(f"conversion {c.order_id!r}", c.gross) for c in orders]
    for name, money in (("per_action", p.per_action), ("per_click", p.per_click)):
        if money is not None:
            sources.append((f"plan.{name}", money))
    if p.currency is not None:
        sources.append(("plan.currency", Money.zero(p.currency)))
    if currency is not None:
        sources.insert(0, ("currency", Money.zero(check_currency(currency, "currency"))))
    return p, orders, one_currency(sources)


@in_decimal_context
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

    Parameters
    ----------
    plan
        The commission plan.
    conversions
        The publisher's orders of the period (unique ids, one currency).
    clicks
        Clicks paid by ``plan.per_click`` (whole, >= 0).

    Returns
    -------
    Decimal
        The commission in the conversions' currency, unrounded.

    Raises
    ------
    ArgumentError
        ``plan`` is not a CommissionPlan, ``conversions`` not a list of Conversion, ``clicks``
        not a whole number >= 0.
    CurrencyError
        Conversions, ``per_action`` and ``per_click`` are not all in one currency.
    LedgerError
        An order is listed twice.
    """
    plan, conversions, _ = _check_inputs(plan, conversions)
    clicks = _checks.whole(clicks, "clicks")
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


@in_decimal_context
def attribute(
    clicks: Sequence[Click],
    conversion: Conversion,
    *,
    lookback: timedelta = timedelta(days=30),
    model: Literal["last", "first", "linear"] = "last",
) -> dict[str, Decimal]:
    """Publisher -> share of credit for a conversion (empty: no eligible click).

    Eligible clicks are the customer's clicks in ``[at - lookback, at]``; ties in time are
    broken by publisher id, so the result never depends on input order. Linear shares are
    rounded to 18 decimal places and add up to exactly 1 (the last publisher by id takes the
    rounding remainder).

    Parameters
    ----------
    clicks
        Clicks of any customers and publishers.
    conversion
        The order to credit.
    lookback
        How far before the order a click counts.
    model
        ``"last"``, ``"first"`` or ``"linear"``.

    Returns
    -------
    dict of str to Decimal
        Publisher id -> share of credit (the shares add up to 1), empty without a click.

    Raises
    ------
    ArgumentError
        ``model`` is not ``"last"``, ``"first"`` or ``"linear"`` (``"Last"`` is refused, not
        defaulted); ``lookback`` is not a timedelta >= 0; wrong types.
    DataError
        The same click (publisher, customer, time, device) is listed twice.
    """
    clicks = _checks.instances(clicks, Click, "clicks")
    _checks.instance(conversion, Conversion, "conversion")
    lookback = _checks.duration(lookback, "lookback")
    check_choice(model, "model", ("last", "first", "linear"))
    seen: dict[Click, int] = {}
    for i, c in enumerate(clicks):
        if c in seen:  # the same click exported twice would double its publisher's linear share
            raise DataError(
                f"the same click is listed twice (positions {seen[c]} and {i}: publisher "
                f"{c.publisher_id!r}, customer {c.customer_id!r} at {c.at.isoformat()})",
                column="clicks",
                rows=[seen[c], i],
            )
        seen[c] = i
    eligible = sorted(
        (
            c
            for c in clicks
            if c.customer_id == conversion.customer_id
            and _checks.shifted(conversion.at, lookback, back=True) <= c.at <= conversion.at
        ),
        key=lambda c: (c.at, c.publisher_id),
    )
    if not eligible:
        return {}
    if model == "last":
        return {eligible[-1].publisher_id: Decimal(1)}
    if model == "first":
        return {eligible[0].publisher_id: Decimal(1)}
    counts: dict[str, int] = {}
    for c in eligible:
        counts[c.publisher_id] = counts.get(c.publisher_id, 0) + 1
    names = sorted(counts)
    step = Decimal(1).scaleb(-18)  # shares to 18 places: exact to add in any 28-digit context
    out = {
        p: (Decimal(counts[p]) / Decimal(len(eligible))).quantize(step, rounding=ROUND_HALF_EVEN)
        for p in names[:-1]
    }
    out[names[-1]] = Decimal(1) - sum(out.values(), Decimal(0))
    return out


class Statement(Frozen):
    """A publisher's payout statement for a period (amounts rounded half-even to the currency's
    minor unit).

    The earned commission is what is held plus what is payable, exactly; every amount is a
    whole number of minor units, and no recruiter's share exceeds the payable (checked also
    when a statement is read from JSON).
    """

    publisher_id: Identifier
    currency: Currency
    earned: Volume
    held: Volume
    payable: Volume
    clawed_back: Volume
    upline: dict[Identifier, Volume] = Field(default_factory=dict)

    @field_serializer("upline")
    def _sorted_upline(self, upline: dict[str, Decimal]) -> dict[str, Decimal]:
        return dict(sorted(upline.items()))

    @model_validator(mode="after")
    @in_decimal_context
    def _not_own_upline(self) -> Statement:
        if self.publisher_id in self.upline:
            raise ValueError(f"publisher {self.publisher_id!r} cannot be in its own upline")
        step = minor_unit_step(self.currency)
        amounts = [
            ("earned", self.earned),
            ("held", self.held),
            ("payable", self.payable),
            ("clawed_back", self.clawed_back),
            *((f"upline[{k!r}]", v) for k, v in sorted(self.upline.items())),
        ]
        for name, value in amounts:
            if value != value.quantize(step):
                raise ValueError(
                    f"{name} {value} is not a whole number of {self.currency} minor units ({step})"
                )
        if self.held + self.payable != self.earned:
            raise ValueError(
                f"held {self.held} + payable {self.payable} != earned {self.earned}: the "
                "earned commission is what is held plus what is payable"
            )
        over = sorted(k for k, v in self.upline.items() if v > self.payable)
        if over:
            raise ValueError(
                f"upline[{over[0]!r}] exceeds the payable {self.payable}: a level's share is a "
                "share of the payable"
            )
        return self


@in_decimal_context
def payout_statement(
    publisher: Publisher,
    plan: CommissionPlan,
    conversions: Sequence[Conversion],
    *,
    as_of: datetime,
    return_window: timedelta = timedelta(days=30),
    clicks: int = 0,
    network: Sequence[Publisher] = (),
    currency: str | None = None,
) -> Statement:
    """Statement for the conversions attributed to ``publisher`` in a period.

    Commission on an order is *held* until its return window closes at ``as_of``, *clawed back*
    if the order was refunded in full (partial refunds reduce a net-based commission), and
    *payable* otherwise. Multi-level shares go to the recruiters in ``network``. Amounts are
    rounded half-even to the currency's minor unit (cents, yen, fils), once.

    Parameters
    ----------
    publisher, plan, conversions
        Who is paid, by which plan, for which orders (unique order ids, one currency).
    as_of
        The statement date (timezone-aware); no order or refund may be dated after it.
    return_window
        How long an order can still be returned (a timedelta >= 0).
    clicks
        Clicks paid per click (whole, >= 0).
    network
        Publishers of the upline; every recruiter the plan's levels reach must be there.
    currency
        The statement's currency; needed when no conversion or fixed amount gives it, and
        must agree with them otherwise.

    Returns
    -------
    Statement

    Raises
    ------
    ArgumentError
        Wrong types, a naive ``as_of``, a negative window or click count, no currency known.
    CurrencyError
        Conversions, plan amounts and ``currency`` are not in one currency.
    DataError
        An order or refund is dated after ``as_of``; a recruiter the levels reach is missing
        from ``network`` (its share would silently go unpaid); a publisher appears twice,
        differently.
    LedgerError
        An order is listed twice, or the recruitment chain has a cycle.
    """
    pub = _checks.instance(publisher, Publisher, "publisher")
    plan, orders, found = _check_inputs(plan, conversions, currency)
    when = _checks.aware(as_of, "as_of")
    window = _checks.duration(return_window, "return_window")
    clicks = _checks.whole(clicks, "clicks")
    members = _checks.instances(network, Publisher, "network")
    if found is None:
        raise ArgumentError(
            "no conversion and no fixed amount gives the statement's currency: pass currency=",
            argument="currency",
        )
    late = [c.order_id for c in orders if c.at > when]
    if late:
        raise DataError("orders dated after as_of", column="at", rows=late)
    late = [c.order_id for c in orders if c.refunded_at is not None and c.refunded_at > when]
    if late:
        raise DataError("refunds dated after as_of", column="refunded_at", rows=late)
    step = minor_unit_step(found)

    def rounded(value: Decimal) -> Decimal:
        return value.quantize(step, rounding=ROUND_HALF_EVEN)

    no_clicks = plan.model_copy(update={"per_click": None})
    full_refund = [c for c in orders if c.fully_refunded]
    live = [c for c in orders if not c.fully_refunded]
    closed = [c for c in live if _checks.shifted(c.at, window) <= when]
    earned_all = commission(plan, live, clicks=clicks)
    # the tier rate is the period's (all live orders' volume): the closed orders' part of the
    # tiered commission is their share of that volume (a tier computed on the closed orders
    # alone paid less, and held + payable fell short of the earned commission)
    linear = no_clicks.model_copy(update={"tiers": ()})
    payable = commission(linear, closed) if closed else Decimal(0)
    if plan.tiers and closed:
        volume = sum((c.base(plan.base).amount for c in live), Decimal(0))
        if volume > 0:
            part = sum((c.base(plan.base).amount for c in closed), Decimal(0))
            payable += _tiered(volume, plan.tiers, plan.tier_mode) * part / volume
    if plan.per_click is not None:
        payable += plan.per_click.amount * clicks
    payable = min(payable, earned_all)  # the last digit of the 60-digit share
    clawed = (
        commission(no_clicks.model_copy(update={"base": "gross"}), full_refund)
        if full_refund
        else Decimal(0)
    )
    by_id: dict[str, Publisher] = {}
    for p in [pub, *members]:
        if p.id in by_id and by_id[p.id] != p:
            raise DataError(
                f"publisher {p.id!r} appears twice in the network, differently",
                column="network",
                rows=[p.id],
            )
        by_id[p.id] = p
    upline: dict[str, Decimal] = {}
    if plan.level_rates:
        chain = [pub.id]
        nxt = pub.recruited_by
        while nxt is not None:
            if nxt in chain:
                cycle = " -> ".join([*chain[chain.index(nxt) :], nxt])
                raise LedgerError(f"recruitment cycle among publishers: {cycle}")
            chain.append(nxt)
            nxt = by_id[nxt].recruited_by if nxt in by_id else None
        boss = pub.recruited_by
        for level, rate in enumerate(plan.level_rates):
            if boss is None:
                break
            upline[boss] = rounded(payable * rate)
            if level + 1 < len(plan.level_rates):
                if boss not in by_id:
                    raise DataError(
                        f"recruiter {boss!r} is not in the network: the plan pays "
                        f"{len(plan.level_rates)} levels and its upline is unknown",
                        column="network",
                        rows=[boss],
                    )
                boss = by_id[boss].recruited_by
    too_big = [
        name
        for name, value in (("earned", earned_all), ("clawed_back", clawed))
        if abs(value) >= MAX_AMOUNT
    ]
    if too_big:
        raise LedgerError(
            f"the statement's {', '.join(too_big)} reaches 10^18: too large to hold exactly"
        )
    earned, paid = rounded(earned_all), rounded(payable)
    return Statement(
        publisher_id=pub.id,
        currency=found,
        earned=earned,
        held=earned - paid,  # the rounding remainder: held + payable = earned, exactly
        payable=paid,
        clawed_back=rounded(clawed),
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
    seen_orders: Iterable[str],
    recent_conversions: Sequence[Conversion] = (),
    publisher_fingerprints: Iterable[str] = frozenset(),
    min_seconds: float = 10.0,
    max_per_hour: int = 20,
) -> list[FraudReason]:
    """Reason codes for a conversion credited to ``publisher`` through ``click``.

    Self-referral by normalised email, payment instrument or device; a duplicate order id;
    a click-to-conversion time below ``min_seconds``; more than ``max_per_hour`` of the
    publisher's conversions in the hour before this one (velocity).

    Parameters
    ----------
    conversion
        The order credited to ``publisher``.
    click
        The credited click (the same customer and publisher, not after the order).
    publisher
        The publisher credited.
    seen_orders
        Order ids already paid.
    recent_conversions
        The publisher's other recent conversions.
    publisher_fingerprints
        The publisher's own payment instruments and devices.
    min_seconds
        The fastest plausible click-to-conversion time.
    max_per_hour
        The most conversions per hour that are plausible.

    Returns
    -------
    list of FraudReason
        Empty for a clean conversion.

    Raises
    ------
    ArgumentError
        Wrong types; the click is another customer's, another publisher's, or after the
        conversion (it cannot have caused it); ``min_seconds`` not a finite number >= 0;
        ``max_per_hour`` not a whole number >= 0.
    """
    conv = _checks.instance(conversion, Conversion, "conversion")
    clk = _checks.instance(click, Click, "click")
    pub = _checks.instance(publisher, Publisher, "publisher")
    seen = _strings(seen_orders, "seen_orders")
    prints = _strings(publisher_fingerprints, "publisher_fingerprints")
    recent = _checks.instances(recent_conversions, Conversion, "recent_conversions")
    fastest = check_number(min_seconds, "min_seconds", low=0)
    cap = _checks.whole(max_per_hour, "max_per_hour")
    if clk.customer_id != conv.customer_id:
        raise ArgumentError(
            f"the click is customer {clk.customer_id!r}'s, the conversion {conv.customer_id!r}'s",
            argument="click",
        )
    if clk.publisher_id != pub.id:
        raise ArgumentError(
            f"the click is publisher {clk.publisher_id!r}'s, not {pub.id!r}'s", argument="click"
        )
    if clk.at > conv.at:
        raise ArgumentError("the click is after the conversion", argument="click")
    reasons = []
    if conv.email and _norm_email(conv.email) == _norm_email(pub.email):
        reasons.append(FraudReason.SELF_REFERRAL_EMAIL)
    if conv.payment_fingerprint and conv.payment_fingerprint in prints:
        reasons.append(FraudReason.SELF_REFERRAL_PAYMENT)
    if conv.device and clk.device and conv.device == clk.device and conv.device in prints:
        reasons.append(FraudReason.SELF_REFERRAL_DEVICE)
    if conv.order_id in seen:
        reasons.append(FraudReason.DUPLICATE_ORDER)
    if (conv.at - clk.at).total_seconds() < fastest:
        reasons.append(FraudReason.TOO_FAST)
    hour_before = _checks.shifted(conv.at, timedelta(hours=1), back=True)  # year 1: overflowed
    window = [c for c in recent if hour_before <= c.at <= conv.at]
    if len(window) > cap:
        reasons.append(FraudReason.VELOCITY)
    return reasons


def _strings(values: object, name: str) -> frozenset[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ArgumentError(f"must be a set of strings, got {type(values).__name__}", argument=name)
    out = list(values)
    if not all(isinstance(v, str) for v in out):
        raise ArgumentError("must hold strings only", argument=name)
    return frozenset(out)


def recurring_eligible(
    conversions: Sequence[Conversion], first_attributed: Mapping[str, datetime], days: int
) -> list[Conversion]:
    """Repeat orders that still earn a recurring commission: those of customers whose first
    attributed conversion was at most ``days`` days earlier.

    Parameters
    ----------
    conversions
        Repeat orders.
    first_attributed
        Customer id -> time of the first attributed conversion (timezone-aware).
    days
        How long recurring commission runs (whole, >= 1).

    Returns
    -------
    list of Conversion
        The orders that still earn, in input order.

    Raises
    ------
    ArgumentError
        Wrong types; a first-attribution time that is not timezone-aware; ``days`` not a
        whole number >= 1.
    """
    orders = _checks.instances(conversions, Conversion, "conversions")
    if not isinstance(first_attributed, Mapping):
        raise ArgumentError("must map customer ids to datetimes", argument="first_attributed")
    starts = {
        _checks.identifier(k, "first_attributed"): _checks.aware(v, f"first_attributed[{k!r}]")
        for k, v in first_attributed.items()
    }
    n = _checks.whole(days, "days", minimum=1)
    span = timedelta(days=min(n, timedelta.max.days))  # beyond it: any time (it overflowed)
    out = []
    for c in orders:
        start = starts.get(c.customer_id)
        if start is not None and start <= c.at <= _checks.shifted(start, span):
            out.append(c)
    return out
