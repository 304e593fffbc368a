"""Referrals (state machine, programme, reward ledger), viral growth and customer referral
value of :mod:`relmark.domain.referral`, against hand computations and a reference model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from relmark.domain import (
    Referral,
    ReferralProgram,
    ReferralStatus,
    RewardLedger,
    amplification,
    clv_crv_quadrant,
    customer_referral_value,
    viral_coefficient,
)
from relmark.errors import ArgumentError, IllegalTransitionError, LedgerError
from tests.domain import strategies
from tests.domain.strategies import T0, eur


def test_referral_state_machine() -> None:
    r = Referral(id="r1", referrer="a", referee="b", code="A1", updated_at=T0)
    r = r.advance(ReferralStatus.SIGNED_UP, at=T0)
    with pytest.raises(IllegalTransitionError, match="signed_up -> rewarded"):
        r.advance(ReferralStatus.REWARDED, at=T0)
    with pytest.raises(IllegalTransitionError, match="needs a reason"):
        r.advance(ReferralStatus.REJECTED, at=T0)
    done = r.advance(ReferralStatus.QUALIFIED, at=T0).advance(ReferralStatus.REWARDED, at=T0)
    with pytest.raises(IllegalTransitionError):
        done.advance(ReferralStatus.REJECTED, at=T0, reason="fraud")
    program = ReferralProgram(
        referrer_reward=eur("10"), referee_reward=eur("5"), max_rewards_per_period=3
    )
    assert program.cost_per_referral == eur("15")
    assert program.rewards_due(5, 1) == 2


def test_viral_growth_and_crv_hand_computations() -> None:
    """K = 5 invitations x 10% = 0.5; a seed of 1000 grows to 1000/(1-0.5) = 2000."""
    k = viral_coefficient(5, 0.1)
    assert k == pytest.approx(0.5)
    assert amplification(1000, k) == pytest.approx(2000)
    with pytest.raises(ArgumentError, match=r"argument 'k': K = 1\.2 >= 1"):
        amplification(1000, 1.2)
    # Kumar et al.: type one at CLV net of reward, type two at acquisition cost saved
    crv = customer_referral_value(
        [500, 300, 200],
        [False, True, False],
        [0, 1, 2],
        acquisition_cost=80,
        reward_cost=50,
        discount_rate=0.1,
    )
    assert crv == pytest.approx(450 + 80 / 1.1 + 150 / 1.21)
    assert clv_crv_quadrant([10, 10, 1, 1], [10, 1, 10, 1], clv_cut=5, crv_cut=5) == [
        "champions",
        "affluents",
        "advocates",
        "misers",
    ]


def test_reward_ledger_pays_once_and_respects_the_cap() -> None:
    program = ReferralProgram(
        referrer_reward=eur("10"), referee_reward=eur("5"), max_rewards_per_period=1
    )
    base = Referral(id="r1", referrer="a", referee="b", code="X", updated_at=T0)
    qualified = base.advance(ReferralStatus.SIGNED_UP, at=T0).advance(
        ReferralStatus.QUALIFIED, at=T0
    )
    ledger = RewardLedger().pay(qualified, period="2024-06", program=program)
    assert ledger.total("EUR") == eur("15")
    with pytest.raises(LedgerError, match="already rewarded"):
        ledger.pay(qualified, period="2024-06", program=program)
    other = qualified.model_copy(update={"id": "r2"})
    with pytest.raises(LedgerError, match="cap"):
        ledger.pay(other, period="2024-06", program=program)
    assert ledger.pay(other, period="2024-07", program=program).total("EUR") == eur("30")
    with pytest.raises(LedgerError, match="not qualified"):
        RewardLedger().pay(base, period="2024-06", program=program)


@settings(max_examples=150, deadline=None)
@given(program=strategies.programs(), attempts=strategies.payments())
def test_reward_ledger_against_a_reference_model(
    program: ReferralProgram, attempts: list[tuple[int, str, ReferralStatus]]
) -> None:
    """Random sequences of payments: the ledger accepts exactly what a plain reference model
    (a set of paid referrals, a count per period) accepts, a refused payment leaves it
    unchanged, and its total is always count x (referrer reward + referee reward)."""
    referee = program.referee_reward
    cost = program.referrer_reward.amount + (0 if referee is None else referee.amount)
    ledger = RewardLedger()
    paid: set[int] = set()
    per_period: dict[str, int] = {}
    cap = program.max_rewards_per_period
    for number, period, status in attempts:
        ref = strategies.referral(number, status)
        allowed = (
            status is ReferralStatus.QUALIFIED
            and number not in paid
            and (cap is None or per_period.get(period, 0) < cap)
        )
        if allowed:
            ledger = ledger.pay(ref, period=period, program=program)
            paid.add(number)
            per_period[period] = per_period.get(period, 0) + 1
        else:
            before = ledger
            with pytest.raises(LedgerError):
                ledger.pay(ref, period=period, program=program)
            assert ledger == before
        assert len(ledger.paid) == len(paid)
        assert ledger.total("EUR").amount == len(paid) * cost
