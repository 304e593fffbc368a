"""Hypothesis strategies for the domain objects, kept with the tests that use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from relmark.domain import Conversion, Money, Referral, ReferralProgram, ReferralStatus

T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)


def money(currency: str = "EUR", *, max_cents: int = 100_000) -> st.SearchStrategy[Money]:
    """Amounts in whole cents, zero to ``max_cents``."""
    return st.integers(0, max_cents).map(
        lambda c: Money(amount=Decimal(c) / 100, currency=currency)
    )


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


def conversions(currency: str = "EUR") -> st.SearchStrategy[list[Conversion]]:
    """One publisher's orders over 60 days before ``T0``, some refunded in part or in full."""

    def build(i: int, cents: int, days: int, refund: str) -> Conversion:
        gross = Money(amount=Decimal(cents) / 100, currency=currency)
        refunded = {
            "none": None,
            "part": Money(amount=Decimal(cents // 2) / 100, currency=currency),
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
