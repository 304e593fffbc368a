"""Loyalty rules, the points ledger, the liability and IFRS 15 allocation, and tier
qualification of :mod:`relmark.domain.loyalty`, against worked examples and invariants."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.domain import (
    LoyaltyRules,
    Money,
    PointsLedger,
    TierRule,
    allocate_revenue,
    outstanding_liability,
    qualify_tier,
    recognised_revenue,
)
from relmark.errors import ArgumentError, CurrencyError, LedgerError
from tests.domain.strategies import eur


def test_ifrs15_illustrative_example_52() -> None:
    """IFRS 15 IE52: 100,000 of sales, 10,000 points with standalone 0.95 each and 95%
    expected redemption (9,500): 91,324 to goods, 8,676 to points; 4,500 of 9,500 expected
    points redeemed in year 1 -> revenue 4,110."""
    goods, points = allocate_revenue(eur("100000"), eur("100000"), eur("9500"))
    assert round(goods.amount) == 91_324
    assert round(points.amount) == 8_676
    assert goods + points == eur("100000.00")
    assert round(recognised_revenue(points, 4_500, 9_500).amount) == 4_110


def test_accrual_rounding_tiers_and_liability() -> None:
    rules = LoyaltyRules(
        points_per_unit=Decimal(1),
        tier_multipliers={"base": Decimal(1), "gold": Decimal(2)},
        birthday_bonus=50,
    )
    assert rules.points_for(eur("19.99")) == 19
    assert rules.points_for(eur("19.99"), tier="gold") == 39
    assert rules.points_for(eur("10"), birthday=True) == 60
    liability = outstanding_liability(10_000, breakage=Decimal("0.05"), value_per_point=eur("0.01"))
    assert liability.amount == Decimal("95.00")


ops = st.lists(
    st.tuples(
        st.sampled_from(["earn", "redeem", "expire"]), st.integers(1, 500), st.integers(0, 60)
    ),
    max_size=40,
)


@given(ops)
@settings(max_examples=150, deadline=None)
def test_ledger_never_loses_or_overdraws(sequence: list[tuple[str, int, int]]) -> None:
    """Random operations: totals always balance, failures leave the ledger unchanged.

    The test keeps its own sums of the accepted earns and redemptions: the ledger's totals
    equal them, and every point earned is redeemed, expired or still in a lot."""
    ledger = PointsLedger()
    day0 = date(2024, 1, 1)
    earned = redeemed = 0
    for n, (op, points, offset) in enumerate(sequence):
        on = day0 + timedelta(days=offset + n)
        before = ledger
        try:
            if op == "earn":
                ledger = ledger.earn(points, key=f"k{n}", on=on, expires=on + timedelta(days=30))
                earned += points
            elif op == "redeem":
                ledger = ledger.redeem(points, key=f"k{n}", on=on)
                redeemed += points
            else:
                ledger = ledger.expire(on=on)
        except LedgerError:
            assert ledger == before
        assert ledger.balance >= 0
        assert (ledger.earned_total, ledger.redeemed_total) == (earned, redeemed)
        in_lots = sum(lot.points for lot in ledger.lots)
        assert earned == redeemed + ledger.expired_total + in_lots
    with pytest.raises(LedgerError, match="already posted"):
        ledger.earn(1, key="dup", on=day0).earn(1, key="dup", on=day0)


def test_expiry_by_inactivity() -> None:
    ledger = PointsLedger().earn(100, key="e1", on=date(2024, 1, 1))
    kept = ledger.expire_inactive(
        on=date(2024, 6, 1), last_activity=date(2024, 1, 1), inactivity_days=365, key="x"
    )
    assert kept.balance == 100
    assert kept.expired_total == 0
    gone = ledger.expire_inactive(
        on=date(2025, 6, 1), last_activity=date(2024, 1, 1), inactivity_days=365, key="x"
    )
    assert gone.balance == 0
    assert gone.expired_total == 100
    assert (gone.earned_total, gone.redeemed_total, gone.lots) == (100, 0, ())


@pytest.mark.parametrize("bad", [2.5, 3.0, True, Decimal("2"), "2"])
def test_points_ledger_refuses_non_whole_points(bad: object) -> None:
    """Fractional, bool, Decimal or string points never enter the ledger (it stays valid)."""
    ledger = PointsLedger().earn(100, key="e1", on=date(2024, 1, 1))
    with pytest.raises(ArgumentError, match=re.escape(repr(bad))):
        ledger.redeem(bad, key="r1", on=date(2024, 1, 2))  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="'points': earned points must be a positive whole"):
        PointsLedger().earn(bad, key="e2", on=date(2024, 1, 1))  # type: ignore[arg-type]
    assert ledger.balance == 100
    assert PointsLedger.model_validate_json(ledger.model_dump_json()) == ledger


def test_points_ledger_accepts_numpy_integers_as_python_ints() -> None:
    import numpy as np

    ledger = PointsLedger().earn(np.int64(100), key="e1", on=date(2024, 1, 1))  # type: ignore[arg-type]
    ledger = ledger.redeem(np.int32(40), key="r1", on=date(2024, 1, 2))  # type: ignore[arg-type]
    assert ledger.balance == 60
    assert type(ledger.lots[0].points) is int
    assert PointsLedger.model_validate_json(ledger.model_dump_json()) == ledger
    assert (ledger.earned_total, ledger.redeemed_total, ledger.expired_total) == (100, 40, 0)
    assert type(ledger.earned_total) is type(ledger.redeemed_total) is int


def test_allocate_revenue_refuses_mixed_currencies() -> None:
    usd = Money(amount=Decimal("100"), currency="USD")
    with pytest.raises(CurrencyError, match=r"USD.*EUR"):
        allocate_revenue(usd, eur("100"), eur("10"))
    with pytest.raises(CurrencyError, match=r"EUR.*USD"):
        allocate_revenue(eur("100"), eur("100"), Money(amount=Decimal("10"), currency="USD"))


def test_tier_qualification_window() -> None:
    tiers = [
        TierRule(name="silver", threshold=eur("500")),
        TierRule(name="gold", threshold=eur("2000")),
    ]
    spend = [(date(2023, 6, 1), eur("5000")), (date(2024, 3, 1), eur("600"))]
    assert qualify_tier(spend, tiers, on=date(2024, 6, 30)) == "silver"  # 2023 spend expired
    assert qualify_tier(spend, tiers, on=date(2024, 1, 1)) == "gold"
