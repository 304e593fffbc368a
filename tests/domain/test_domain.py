"""Domain objects and economics against worked examples and invariants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from relmark.data import summarize
from relmark.domain import (
    Customer,
    Group,
    LoyaltyRules,
    Money,
    Partner,
    PointsLedger,
    Referral,
    ReferralProgram,
    ReferralStatus,
    Role,
    Transaction,
    allocate_revenue,
    amplification,
    breakeven_retention,
    clv_crv_quadrant,
    compare_offer,
    customer_referral_value,
    json_schemas,
    outstanding_liability,
    recognised_revenue,
    simple_clv,
    transactions_from_frame,
    transactions_to_frame,
    viral_coefficient,
)
from relmark.errors import (
    ArgumentError,
    CurrencyError,
    DataError,
    IllegalTransitionError,
    LedgerError,
)

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def eur(v: str) -> Money:
    return Money(amount=Decimal(v), currency="EUR")


@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=1, places=2),
)
@settings(max_examples=80, deadline=None)
def test_transactions_round_trip_exactly(amount: Decimal, share: Decimal) -> None:
    refund = (amount * share).quantize(Decimal("0.01"))
    t = Transaction(
        id="t1", customer_id="c1", at=T0, amount=eur(str(amount)), refunded=eur(str(refund))
    )
    again = Transaction.model_validate_json(t.model_dump_json())
    assert again == t
    assert again.net.amount == amount - refund


def test_validation_names_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        Transaction(id="t1", customer_id="c1", at=T0, amount=eur("10"), refunded=eur("11"))
    assert "refund 11 must be between 0 and the order amount 10" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        Customer(id="c1", created_at=datetime(2024, 1, 1))
    assert exc.value.errors()[0]["loc"] == ("created_at",)
    with pytest.raises(ValidationError) as exc:
        Money(amount=Decimal("1"), currency="euro")
    assert exc.value.errors()[0]["loc"] == ("currency",)
    with pytest.raises(ValidationError):
        Customer.model_validate({"id": "c1", "created_at": T0, "vip": True})  # extra forbidden
    with pytest.raises(CurrencyError, match="cannot add EUR and USD"):
        _ = eur("1") + Money(amount=Decimal("1"), currency="USD")


def test_partner_group_is_derived_from_role() -> None:
    """DOMAIN.md 1.1 (Morgan & Hunt 1994)."""
    assert Partner(id="p", name="x", role=Role.SUPPLIER).group is Group.MARKETING_PARTNERS
    assert Partner(id="p", name="x", role=Role.ANALYST).group is Group.FINANCIAL_COMMUNITY
    assert Partner(id="p", name="x", role=Role.EMPLOYEE).group is Group.INTERNAL
    assert set(json_schemas()) >= {"Money", "Transaction", "Referral", "Partner"}


def test_transactions_feed_the_data_layer() -> None:
    ts = [
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="2", customer_id="a", at=T0 + timedelta(days=7), amount=eur("30.00")),
        Transaction(id="3", customer_id="b", at=T0 + timedelta(days=1), amount=eur("5.00")),
    ]
    frame = transactions_to_frame(ts)
    s = summarize(frame, monetary_value="amount", observation_end=T0 + timedelta(days=14))
    assert s.to_frame().loc["a", "frequency"] == 1
    assert s.to_frame().loc["a", "monetary_value"] == 30.0
    back = transactions_from_frame(frame)
    assert [t.amount for t in back] == [t.amount for t in ts]


# ---------------------------------------------------------------------------- referral
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


# ---------------------------------------------------------------------------- loyalty
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
    """Random operations: totals always balance, failures leave the ledger unchanged."""
    ledger = PointsLedger()
    day0 = date(2024, 1, 1)
    for n, (op, points, offset) in enumerate(sequence):
        on = day0 + timedelta(days=offset + n)
        before = ledger
        try:
            if op == "earn":
                ledger = ledger.earn(points, key=f"k{n}", on=on, expires=on + timedelta(days=30))
            elif op == "redeem":
                ledger = ledger.redeem(points, key=f"k{n}", on=on)
            else:
                ledger = ledger.expire(on=on)
        except LedgerError:
            assert ledger == before
        assert ledger.balance >= 0
        assert ledger.balances()
    with pytest.raises(LedgerError, match="already posted"):
        ledger.earn(1, key="dup", on=day0).earn(1, key="dup", on=day0)


# ---------------------------------------------------------------------------- pricing
@given(st.floats(10, 1000), st.floats(0.1, 0.9), st.floats(0.0, 0.3), st.floats(0.01, 0.5))
@settings(max_examples=100, deadline=None)
def test_breakeven_retention_leaves_clv_unchanged(
    m: float, r: float, i: float, share: float
) -> None:
    """DOMAIN.md 2.4: plugging r* back into m(1+i)/(1+i-r) with margin m - delta gives the
    original CLV."""
    delta = share * m
    try:
        r_star = breakeven_retention(m, r, i, delta)
    except ArgumentError:
        return
    assert simple_clv(m - delta, r_star, i) == pytest.approx(simple_clv(m, r, i), rel=1e-9)


def test_offer_comparison() -> None:
    c = compare_offer(100, 0.8, 0.1, discount=10, new_retention=0.85)
    assert c.breakeven_retention == pytest.approx(0.83)
    assert c.pays_off


def test_expiry_by_inactivity() -> None:
    ledger = PointsLedger().earn(100, key="e1", on=date(2024, 1, 1))
    kept = ledger.expire_inactive(
        on=date(2024, 6, 1), last_activity=date(2024, 1, 1), inactivity_days=365, key="x"
    )
    assert kept.balance == 100
    gone = ledger.expire_inactive(
        on=date(2025, 6, 1), last_activity=date(2024, 1, 1), inactivity_days=365, key="x"
    )
    assert gone.balance == 0
    assert gone.expired_total == 100
    assert gone.balances()


# ------------------------------------------------------------ review fixes: points, data
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
    assert ledger.balances()


def test_allocate_revenue_refuses_mixed_currencies() -> None:
    usd = Money(amount=Decimal("100"), currency="USD")
    with pytest.raises(CurrencyError, match=r"USD.*EUR"):
        allocate_revenue(usd, eur("100"), eur("10"))
    with pytest.raises(CurrencyError, match=r"EUR.*USD"):
        allocate_revenue(eur("100"), eur("100"), Money(amount=Decimal("10"), currency="USD"))


def test_transactions_from_frame_refuses_duplicate_ids() -> None:
    ts = [
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="1", customer_id="a", at=T0, amount=eur("10.00")),
        Transaction(id="2", customer_id="b", at=T0, amount=eur("5.00")),
    ]
    with pytest.raises(DataError, match="duplicate transaction ids") as info:
        transactions_from_frame(transactions_to_frame(ts))
    assert info.value.column == "transaction_id"
    assert "'1'" in str(info.value)


def test_the_domain_modules_import_each_other_without_cycles() -> None:
    """Issue 16: core imported loyalty and referral (inside json_schemas), which import core.
    The static import graph of relmark.domain's modules (the package's __init__ aside) is now
    acyclic, and core imports only the currency list and the argument checks."""
    import ast
    from pathlib import Path

    import relmark.domain

    root = Path(relmark.domain.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        if path.stem == "__init__":
            continue
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "relmark.domain":
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "relmark.domain."
            ):
                deps.add(str(node.module).rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                deps |= {
                    a.name.rsplit(".", 1)[1]
                    for a in node.names
                    if a.name.startswith("relmark.domain.")
                }
        graph[path.stem] = deps
    assert graph["core"] == {"_checks", "currency"}

    def reaches(start: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            dep == target or (dep not in seen and reaches(dep, target, seen | {dep}))
            for dep in graph.get(start, set())
        )

    assert [m for m in graph if reaches(m, m)] == []
