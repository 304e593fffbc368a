"""Hypothesis strategies for the domain objects, kept with the tests that use them.

``OBJECTS`` maps every public pydantic model of :mod:`relmark.domain` to a strategy of valid
instances; the strategies follow the models' own constraints (ids without surrounding
whitespace, amounts below 10^18 in a known currency, whole points, aware datetimes, the
cross-field rules) and build stateful objects (ledgers, statements, referrals) through their
public operations, so every drawn object is one a caller could have made. ``bad_values`` draws
values no numeric argument accepts. ``eur`` and ``usd`` build the amounts the example tests
write by hand.
"""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from relmark.domain import (
    CURRENCIES,
    Channel,
    Click,
    CommissionPlan,
    Conversion,
    Customer,
    Direction,
    Interaction,
    Lot,
    LoyaltyRules,
    Money,
    Partner,
    PointsLedger,
    Publisher,
    Referral,
    ReferralProgram,
    ReferralStatus,
    Review,
    RewardLedger,
    Role,
    Statement,
    Ticket,
    Tier,
    TierRule,
    Transaction,
    minor_unit_step,
    payout_statement,
)
from relmark.errors import LedgerError

T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)
D0 = date(2024, 1, 1)
CODES = sorted(CURRENCIES)

ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).map(lambda s: unicodedata.normalize("NFC", s))
"""Identifiers: any printable text without whitespace or invisible format characters, in
Unicode normal form C (unicode included): the ids relmark accepts."""
currencies = st.sampled_from(CODES)
zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
instants = st.builds(
    lambda minutes, tz: (T0 + timedelta(minutes=minutes)).astimezone(tz),
    st.integers(-(10**6), 10**6),
    zones,
)
"""Timezone-aware datetimes around ``T0``, in several offsets."""


def eur(v: str) -> Money:
    """``v`` euros, exactly (``eur("19.99")``)."""
    return Money(amount=Decimal(v), currency="EUR")


def usd(v: str) -> Money:
    """``v`` US dollars, exactly."""
    return Money(amount=Decimal(v), currency="USD")


def amounts(*, max_cents: int = 10**14, signed: bool = False) -> st.SearchStrategy[Decimal]:
    """Decimals with 0 to 4 places, below 10^18 in absolute value."""
    low = -max_cents if signed else 0
    return st.builds(
        lambda c, places: Decimal(c).scaleb(-places), st.integers(low, max_cents), st.integers(0, 4)
    )


def money(currency: str = "EUR", *, max_cents: int = 100_000) -> st.SearchStrategy[Money]:
    """Amounts in whole minor units (cents for EUR), zero to ``max_cents`` of them."""
    step = minor_unit_step(currency)
    return st.integers(0, max_cents).map(lambda c: Money(amount=c * step, currency=currency))


def settled_money() -> st.SearchStrategy[Money]:
    """Money that changes hands: >= 0, whole minor units of any known currency."""
    return st.builds(
        lambda c, code: Money(amount=c * minor_unit_step(code), currency=code),
        st.integers(0, 10**14),
        currencies,
    )


def any_money(*, signed: bool = True) -> st.SearchStrategy[Money]:
    """Money in any known currency, negative too when ``signed``."""
    return st.builds(Money, amount=amounts(signed=signed), currency=currencies)


shares = st.integers(0, 10_000).map(lambda bp: Decimal(bp) / 10_000)


def programs() -> st.SearchStrategy[ReferralProgram]:
    """One- or two-sided referral programmes, with or without a cap per period."""
    return st.builds(
        ReferralProgram,
        referrer_reward=money(max_cents=5_000),
        referee_reward=st.none() | money(max_cents=5_000),
        max_rewards_per_period=st.none() | st.integers(1, 4),
    )


def referral(index: int, status: ReferralStatus) -> Referral:
    """Referral ``r<index>`` moved along the state machine to ``status``."""
    ref = Referral(
        id=f"r{index}", referrer=f"a{index}", referee=f"b{index}", code=f"C{index}", updated_at=T0
    )
    path = [ReferralStatus.SIGNED_UP, ReferralStatus.QUALIFIED]
    for step in path[: path.index(status) + 1] if status in path else []:
        ref = ref.advance(step, at=T0)
    return ref


@st.composite
def referrals(draw: st.DrawFn) -> Referral:
    """A referral moved a random number of steps (statuses as enums or as JSON strings),
    possibly rejected with a reason, at non-decreasing times."""
    referrer = draw(ids)
    referee = draw(ids.filter(lambda x: x != referrer))
    at = draw(instants)
    ref = Referral(id=draw(ids), referrer=referrer, referee=referee, code=draw(ids), updated_at=at)
    for step in ["signed_up", "qualified", "rewarded"][: draw(st.integers(0, 3))]:
        at = at + timedelta(minutes=draw(st.integers(0, 10_000)))
        ref = ref.advance(draw(st.sampled_from([step, ReferralStatus(step)])), at=at)
    if ref.status is not ReferralStatus.REWARDED and draw(st.booleans()):
        ref = ref.advance("rejected", at=at, reason=draw(ids))
    return ref


def payments() -> st.SearchStrategy[list[tuple[int, str, ReferralStatus]]]:
    """Sequences of attempted payments: (referral number, period, the referral's status)."""
    return st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from(["2024-06", "2024-07"]),
            st.sampled_from(
                [ReferralStatus.QUALIFIED] * 3 + [ReferralStatus.INVITED, ReferralStatus.SIGNED_UP]
            ),
        ),
        max_size=25,
    )


@st.composite
def reward_ledgers(draw: st.DrawFn) -> RewardLedger:
    """Reward ledgers built by paying random qualified referrals (refusals skipped)."""
    program = draw(programs())
    ledger = RewardLedger()
    for number, period, status in draw(payments()):
        with contextlib.suppress(LedgerError):
            ledger = ledger.pay(referral(number, status), period=period, program=program)
    return ledger


def conversions(currency: str = "EUR") -> st.SearchStrategy[list[Conversion]]:
    """One publisher's orders over 60 days before ``T0``, some refunded in part or in full."""

    def build(i: int, cents: int, days: int, refund: str) -> Conversion:
        step = minor_unit_step(currency)
        gross = Money(amount=cents * step, currency=currency)
        refunded = {
            "none": None,
            "part": Money(amount=(cents // 2) * step, currency=currency),
            "full": gross,
        }[refund]
        return Conversion(
            order_id=f"o{i}",
            customer_id=f"c{i}",
            at=T0 - timedelta(days=days),
            gross=gross,
            refunded=refunded,
            refunded_at=None if refunded is None else T0,
        )

    return st.lists(
        st.tuples(
            st.integers(1, 500_000), st.integers(0, 60), st.sampled_from(["none", "part", "full"])
        ),
        max_size=12,
    ).map(lambda rows: [build(i, *row) for i, row in enumerate(rows)])


@st.composite
def conversion(draw: st.DrawFn) -> Conversion:
    """One order in any currency with tax, shipping and a refund within the gross."""
    cur = draw(currencies)
    gross = draw(st.integers(0, 10**9))
    tax = draw(st.integers(0, gross))
    ship = draw(st.integers(0, gross - tax))
    refund = draw(st.none() | st.integers(0, gross))
    at = draw(instants)

    def m(c: int) -> Money:
        return Money(amount=c * minor_unit_step(cur), currency=cur)

    return Conversion(
        order_id=draw(ids),
        customer_id=draw(ids),
        at=at,
        gross=m(gross),
        tax=draw(st.sampled_from([None, m(tax)])),
        shipping=draw(st.sampled_from([None, m(ship)])),
        refunded=None if refund is None else m(refund),
        refunded_at=None if refund is None else at + timedelta(days=draw(st.integers(0, 90))),
        email=draw(st.sampled_from(["", "a@b.com"])),
    )


@st.composite
def plans(draw: st.DrawFn) -> CommissionPlan:
    """Commission plans whose total payout stays within the revenue."""
    cur = draw(currencies)
    levels = tuple(draw(st.lists(st.integers(0, 3000), max_size=3)))
    level_rates = tuple(Decimal(x) / 10_000 for x in levels)
    room = Decimal(1) / (1 + sum(level_rates, Decimal(0)))
    share = draw(st.none() | shares.filter(lambda s: s <= room / 2))
    top = (room - (share or 0)).quantize(Decimal("0.0001"), rounding="ROUND_DOWN")
    tiers: tuple[Tier, ...] = ()
    if draw(st.booleans()):
        rates = draw(st.lists(st.integers(0, int(top * 10_000)), min_size=1, max_size=3))
        steps = draw(
            st.lists(st.integers(1, 10**6), min_size=len(rates), max_size=len(rates), unique=True)
        )
        thresholds = [Decimal(0), *sorted(Decimal(s) for s in steps[1:])]
        tiers = tuple(
            Tier(threshold=t, rate=Decimal(r) / 10_000)
            for t, r in zip(thresholds, rates, strict=False)
        )
    fee = st.none() | st.integers(0, 10_000).map(
        lambda c: Money(amount=Decimal(c) / 100, currency=cur)
    )
    return CommissionPlan(
        revenue_share=share,
        base=draw(st.sampled_from(["gross", "net"])),
        per_action=draw(fee),
        per_click=draw(fee),
        tiers=tiers,
        tier_mode=draw(st.sampled_from(["retroactive", "marginal"])),
        recurring_days=draw(st.none() | st.integers(1, 400)),
        level_rates=level_rates,
    )


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    """Statements computed by :func:`payout_statement` over random orders."""
    pub = Publisher(id="p1", name="P", email="p@x.com")
    plan = CommissionPlan(revenue_share=draw(shares), base=draw(st.sampled_from(["gross", "net"])))
    return payout_statement(
        pub,
        plan,
        draw(conversions()),
        as_of=T0,
        currency="EUR",
        return_window=timedelta(days=draw(st.integers(0, 45))),
    )


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    """Tickets with responses and resolutions in time order (or still open)."""
    opened = draw(instants)
    first = draw(st.none() | st.integers(0, 10**5))
    resolved = draw(st.none() | st.integers(first or 0, 2 * 10**5))
    return Ticket(
        id=draw(ids),
        customer_id=draw(ids),
        channel=draw(st.sampled_from(list(Channel))),
        department=draw(ids),
        opened=opened,
        first_response=None if first is None else opened + timedelta(minutes=first),
        resolved=None if resolved is None else opened + timedelta(minutes=resolved),
    )


# ---------------------------------------------------------------- points ledger operations
Op = tuple[str, int, int, int]
"""(operation, points, day offset, expiry offset in days) of one attempted operation."""

ledger_ops: st.SearchStrategy[list[Op]] = st.lists(
    st.tuples(
        st.sampled_from(["earn", "redeem", "adjust", "expire", "inactive"]),
        st.integers(-50, 500),
        st.integers(0, 400),
        st.integers(-5, 200),
    ),
    max_size=30,
)


def apply(ledger: PointsLedger, op: Op, n: int) -> PointsLedger:
    """Attempt operation ``op`` (number ``n``, which makes its idempotency key) on ``ledger``."""
    kind, points, offset, validity = op
    on = D0 + timedelta(days=offset)
    key = f"k{n}"
    if kind == "earn":
        return ledger.earn(points, key=key, on=on, expires=on + timedelta(days=validity))
    if kind == "redeem":
        return ledger.redeem(points, key=key, on=on)
    if kind == "adjust":
        return ledger.adjust(points, key=key, on=on, reason="goodwill")
    if kind == "expire":
        return ledger.expire(on=on, key=key)
    return ledger.expire_inactive(on=on, inactivity_days=max(validity, 1), key=key)


@st.composite
def points_ledgers(draw: st.DrawFn) -> PointsLedger:
    """Ledgers built by random operations (refused ones skipped)."""
    from relmark.errors import RelmarkError

    ledger = PointsLedger()
    for n, op in enumerate(draw(ledger_ops)):
        with contextlib.suppress(RelmarkError):
            ledger = apply(ledger, op, n)
    return ledger


OBJECTS: dict[type[BaseModel], st.SearchStrategy[Any]] = {
    Money: any_money(),
    Customer: st.builds(
        Customer,
        id=ids,
        created_at=instants,
        name=st.none() | st.text(max_size=10),
        birthday=st.none()
        | st.dates(date(2024, 1, 1), date(2024, 12, 31)).map(lambda d: d.strftime("%m-%d")),
    ),
    Transaction: st.builds(
        lambda i, c, at, m, share: Transaction(
            id=i,
            customer_id=c,
            at=at,
            amount=m,
            refunded=None
            if share is None
            else Money(
                amount=(m.amount * share).quantize(
                    minor_unit_step(m.currency), rounding="ROUND_DOWN"
                ),
                currency=m.currency,
            ),
        ),
        ids,
        ids,
        instants,
        settled_money(),
        st.none() | shares,
    ),
    Interaction: st.builds(
        Interaction,
        id=ids,
        customer_id=ids,
        at=instants,
        channel=st.sampled_from(list(Channel)),
        direction=st.sampled_from(list(Direction)),
        topic=st.text(max_size=8),
    ),
    Partner: st.builds(
        Partner,
        id=ids,
        name=st.text(max_size=8),
        role=st.sampled_from(list(Role)),
        since=st.none() | instants,
    ),
    Referral: referrals(),
    ReferralProgram: programs(),
    RewardLedger: reward_ledgers(),
    LoyaltyRules: st.builds(
        LoyaltyRules,
        points_per_unit=shares.filter(lambda s: s > 0).map(lambda s: s * 10),
        rounding=st.sampled_from(["down", "half_up"]),
        tier_multipliers=st.dictionaries(
            ids, shares.filter(lambda s: s > 0).map(lambda s: s * 5), min_size=1, max_size=3
        ),
        birthday_bonus=st.integers(0, 500),
        validity_days=st.none() | st.integers(1, 1000),
        currency=st.none() | currencies,
    ),
    Lot: st.builds(
        lambda k, p, d, v: Lot(
            key=k, points=p, earned=d, expires=None if v is None else d + timedelta(days=v)
        ),
        ids,
        st.integers(1, 10**9),
        st.dates(),
        st.none() | st.integers(0, 1000),
    ).filter(lambda lot: lot.expires is None or lot.expires.year < 9999),
    PointsLedger: points_ledgers(),
    TierRule: st.builds(TierRule, name=ids, threshold=any_money(signed=False)),
    Publisher: st.builds(
        lambda i, boss: Publisher(
            id=i,
            name="P",
            email="p@x.com",
            recruited_by=None if boss is None or boss == i else boss,
        ),
        ids,
        st.none() | ids,
    ),
    Click: st.builds(
        Click, publisher_id=ids, customer_id=ids, at=instants, device=st.text(max_size=5)
    ),
    Conversion: conversion(),
    Tier: st.builds(Tier, threshold=amounts(), rate=shares),
    CommissionPlan: plans(),
    Statement: statements(),
    Ticket: tickets(),
    Review: st.builds(
        Review,
        id=ids,
        item_id=ids,
        stars=st.integers(1, 5),
        at=instants,
        customer_id=st.none() | ids,
        verified=st.booleans(),
        text=st.none() | st.text(max_size=20),
    ),
}

bad_numbers = st.one_of(
    st.sampled_from(
        [
            float("nan"),
            float("inf"),
            float("-inf"),
            True,
            False,
            None,
            "1",
            "nan",
            Decimal("NaN"),
            [1.0],
            {"x": 1},
            b"1",
            object(),
        ]
    ),
)
"""Values that no numeric argument accepts (NaN, infinities, booleans, text, containers)."""
