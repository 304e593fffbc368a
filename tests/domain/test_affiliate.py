"""Affiliate plans, attribution, payout statements, recurring commission and fraud checks of
:mod:`relmark.domain.affiliate`, against hand computations and invariants."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.domain import (
    Click,
    CommissionPlan,
    Conversion,
    Publisher,
    Tier,
    attribute,
    commission,
    fraud_checks,
    payout_statement,
    recurring_eligible,
)
from relmark.errors import CurrencyError, LedgerError
from tests.domain import strategies
from tests.domain.strategies import T0, eur, usd


def order(oid: str, gross: str, *, at: datetime = T0, **kw: object) -> Conversion:
    return Conversion(order_id=oid, customer_id="c1", at=at, gross=eur(gross), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- plans
def test_revenue_share_bases_and_fixed_amounts() -> None:
    o = order("o1", "121.00", tax=eur("21.00"), shipping=eur("5.00"))
    assert commission(CommissionPlan(revenue_share=Decimal("0.1"), base="gross"), [o]) == Decimal(
        "12.100"
    )
    assert commission(CommissionPlan(revenue_share=Decimal("0.1"), base="net"), [o]) == Decimal(
        "9.500"
    )
    hybrid = CommissionPlan(
        per_action=eur("2"), per_click=eur("0.05"), revenue_share=Decimal("0.05")
    )
    assert commission(hybrid, [o, order("o2", "10")], clicks=100) == Decimal("2") * 2 + Decimal(
        "5"
    ) + Decimal("0.05") * (95 + 10)


def test_tiers_retroactive_versus_marginal() -> None:
    """Volume 1500 with 5% up to 1000 and 10% above: retroactive 150, marginal 50 + 50 = 100."""
    tiers = (
        Tier(threshold=Decimal(0), rate=Decimal("0.05")),
        Tier(threshold=Decimal(1000), rate=Decimal("0.10")),
    )
    orders = [order("o1", "1500")]
    assert commission(
        CommissionPlan(tiers=tiers, tier_mode="retroactive", base="gross"), orders
    ) == Decimal("150")
    assert commission(
        CommissionPlan(tiers=tiers, tier_mode="marginal", base="gross"), orders
    ) == Decimal("100")


def test_attribution_models_overrides_and_ties() -> None:
    clicks = [
        Click(publisher_id="p1", customer_id="c1", at=T0 - timedelta(days=40)),  # outside window
        Click(publisher_id="p2", customer_id="c1", at=T0 - timedelta(days=10)),
        Click(publisher_id="p3", customer_id="c1", at=T0 - timedelta(days=2)),  # later: overrides
        Click(publisher_id="p4", customer_id="c2", at=T0 - timedelta(days=1)),  # other customer
    ]
    conv = order("o1", "50")
    assert attribute(clicks, conv) == {"p3": Decimal(1)}
    assert attribute(clicks, conv, model="first") == {"p2": Decimal(1)}
    linear = attribute(clicks, conv, model="linear")
    assert linear == {"p2": Decimal("0.5"), "p3": Decimal("0.5")}
    tie = [
        Click(publisher_id=p, customer_id="c1", at=T0 - timedelta(hours=1)) for p in ("zz", "aa")
    ]
    assert attribute(tie, conv) == attribute(list(reversed(tie)), conv) == {"zz": Decimal(1)}
    assert attribute(clicks, conv, lookback=timedelta(days=1)) == {}


def test_statement_holds_claws_back_and_rounds_half_even() -> None:
    pub = Publisher(id="p1", name="P", email="p@x.com", recruited_by="p0")
    boss = Publisher(id="p0", name="B", email="b@x.com")
    plan = CommissionPlan(revenue_share=Decimal("0.1"), base="gross", level_rates=(Decimal("0.1"),))
    old = order("o1", "100.05", at=T0 - timedelta(days=40))  # window closed: payable 10.005
    new = order("o2", "50", at=T0 - timedelta(days=5))  # still in the return window: held
    refunded = order("o3", "80", at=T0 - timedelta(days=40), refunded=eur("80"), refunded_at=T0)
    st = payout_statement(pub, plan, [old, new, refunded], as_of=T0, network=[pub, boss])
    assert st.payable == Decimal("10.00")  # 10.005 rounds half-even to 10.00
    assert st.held == Decimal("5.00")
    assert st.clawed_back == Decimal("8.00")
    assert st.upline == {"p0": Decimal("1.00")}


def test_recurring_window() -> None:
    first = {"c1": T0}
    later = [
        order("o2", "10", at=T0 + timedelta(days=20)),
        order("o3", "10", at=T0 + timedelta(days=100)),
    ]
    assert [c.order_id for c in recurring_eligible(later, first, 90)] == ["o2"]


def test_fraud_reason_codes() -> None:
    """One conversion that trips every check: the publisher's own Gmail address (dots and
    '+aff' dropped, googlemail = gmail), card and device, an order id already seen, 3 s after
    the click, and 25 conversions in the velocity window."""
    pub = Publisher(id="p1", name="P", email="John.Doe+aff@gmail.com")
    click = Click(publisher_id="p1", customer_id="c1", at=T0 - timedelta(seconds=3), device="dev1")
    conv = order(
        "o1", "10", email="johndoe@googlemail.com", payment_fingerprint="card9", device="dev1"
    )
    reasons = fraud_checks(
        conv,
        click,
        pub,
        seen_orders={"o1"},
        publisher_fingerprints={"card9", "dev1"},
        recent_conversions=[conv] * 25,
    )
    assert {str(r) for r in reasons} == {
        "self_referral_email",
        "self_referral_payment",
        "self_referral_device",
        "duplicate_order",
        "too_fast",
        "velocity",
    }
    clean = fraud_checks(
        order("o9", "10"),
        click.model_copy(update={"at": T0 - timedelta(hours=1)}),
        pub,
        seen_orders=set(),
    )
    assert clean == []


@settings(max_examples=150, deadline=None)
@given(
    orders=strategies.conversions(),
    rate=st.sampled_from([Decimal("0.05"), Decimal("0.1"), Decimal("0.125")]),
    base=st.sampled_from(["gross", "net"]),
    days=st.integers(1, 45),
)
def test_statement_invariants_over_random_orders(
    orders: list[Conversion], rate: Decimal, base: str, days: int
) -> None:
    """For a flat revenue share, over random orders, refunds and return windows: held +
    payable is the earned commission within the two roundings (one cent), the claw-back is the
    gross share of the fully refunded orders, nothing is negative, and a later statement date
    only moves commission from held to payable."""
    pub = Publisher(id="p1", name="P", email="p@x.com")
    plan = CommissionPlan(revenue_share=rate, base=base)  # type: ignore[arg-type]
    window = timedelta(days=days)
    now = payout_statement(pub, plan, orders, as_of=T0, return_window=window, currency="EUR")
    later = payout_statement(
        pub, plan, orders, as_of=T0 + window, return_window=window, currency="EUR"
    )
    for st_ in (now, later):
        assert min(st_.earned, st_.held, st_.payable, st_.clawed_back) >= 0
        assert abs(st_.held + st_.payable - st_.earned) <= Decimal("0.01")
    full = sum((o.gross.amount for o in orders if o.refunded == o.gross), Decimal(0))
    assert now.clawed_back == (full * rate).quantize(Decimal("0.01"))
    assert later.held == 0  # every return window has closed
    assert later.payable >= now.payable
    assert later.earned == now.earned


# ------------------------------------------ review fixes: currencies, duplicates, levels
def test_commission_refuses_mixed_currencies() -> None:
    share = CommissionPlan(revenue_share=Decimal("0.1"), base="gross")
    mixed = [
        order("o1", "100"),
        Conversion(order_id="o2", customer_id="c1", at=T0, gross=usd("100")),
    ]
    with pytest.raises(CurrencyError, match=r"EUR.*USD"):
        commission(share, mixed)
    with pytest.raises(CurrencyError, match=r"EUR.*USD"):
        commission(CommissionPlan(per_action=usd("5")), [order("o1", "100")])
    with pytest.raises(CurrencyError, match=r"EUR.*USD"):
        payout_statement(Publisher(id="p1", name="P", email="p@x.com"), share, mixed, as_of=T0)


def test_statement_currency_comes_from_the_plan_without_conversions() -> None:
    pub = Publisher(id="p1", name="P", email="p@x.com")
    st_ = payout_statement(pub, CommissionPlan(per_click=usd("0.10")), [], as_of=T0, clicks=10)
    assert st_.currency == "USD"
    assert st_.payable == Decimal("1.00")


def test_duplicate_conversions_are_refused_not_paid_twice() -> None:
    plan = CommissionPlan(revenue_share=Decimal("0.1"), base="gross")
    o = order("o1", "100", at=T0 - timedelta(days=40))
    with pytest.raises(LedgerError, match="'o1'"):
        commission(plan, [o, o])
    with pytest.raises(LedgerError, match="'o1'"):
        payout_statement(Publisher(id="p1", name="P", email="p@x.com"), plan, [o, o], as_of=T0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"level_rates": (Decimal(2),)}, "less than or equal to 1"),
        ({"level_rates": (Decimal("-0.5"),)}, "greater than or equal to 0"),
        ({"level_rates": (Decimal("0.6"), Decimal("0.6"))}, "level_rates must sum"),
        ({"revenue_share": Decimal("0.6"), "level_rates": (Decimal("0.7"),)}, "exceeds 1"),
        (
            {
                "tiers": (Tier(threshold=Decimal(0), rate=Decimal("0.9")),),
                "level_rates": (Decimal("0.2"),),
            },
            "exceeds 1",
        ),
        ({"per_action": eur("1"), "per_click": usd("1")}, "one currency"),
    ],
)
def test_commission_plan_refuses_payouts_above_revenue(
    kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        CommissionPlan(**kwargs)  # type: ignore[arg-type]


def test_upline_payouts_stay_within_revenue_at_the_limit() -> None:
    """Revenue share 0.5 and one level at rate 1: the publisher is paid 50 of the 100 and its
    recruiter 1 x 50 on top, so the payouts are exactly the revenue, no more."""
    pub = Publisher(id="p1", name="P", email="p@x.com", recruited_by="p0")
    boss = Publisher(id="p0", name="B", email="b@x.com")
    plan = CommissionPlan(revenue_share=Decimal("0.5"), base="gross", level_rates=(Decimal(1),))
    st_ = payout_statement(
        pub, plan, [order("o1", "100", at=T0 - timedelta(days=40))], as_of=T0, network=[pub, boss]
    )
    assert st_.payable == Decimal("50.00")
    assert st_.upline == {"p0": Decimal("50.00")}
    assert st_.payable + sum(st_.upline.values()) == Decimal("100")


def test_recruitment_cycles_are_refused() -> None:
    with pytest.raises(ValueError, match="'p1' cannot be recruited by itself"):
        Publisher(id="p1", name="P", email="p@x.com", recruited_by="p1")
    a = Publisher(id="a", name="A", email="a@x.com", recruited_by="b")
    b = Publisher(id="b", name="B", email="b@x.com", recruited_by="a")
    plan = CommissionPlan(
        revenue_share=Decimal("0.1"), base="gross", level_rates=(Decimal("0.1"),) * 3
    )
    orders = [order("o1", "100", at=T0 - timedelta(days=40))]
    with pytest.raises(LedgerError, match="recruitment cycle among publishers: a -> b -> a"):
        payout_statement(a, plan, orders, as_of=T0, network=[a, b])


def test_net_base_loses_the_refunded_share_of_the_net() -> None:
    """Gross 120 with tax 20: a refund of 30 (a quarter of the gross) removes a quarter of the
    net 100, leaving 75; a full refund leaves 0 (gross - tax - refund was -20 before, and the
    commission raised a DataError)."""
    part = order("o1", "120", tax=eur("20"), refunded=eur("30"), refunded_at=T0)
    assert part.base("net") == eur("75")
    full = order("o2", "120", tax=eur("20"), refunded=eur("120"), refunded_at=T0)
    assert full.base("net").amount == 0
    share = CommissionPlan(revenue_share=Decimal("0.1"), base="net")
    assert commission(share, [part, full]) == Decimal("7.5")


def test_linear_shares_add_up_to_exactly_one() -> None:
    """Three publishers: 1/3 each would add up to 0.999...9 in Decimal; shares have 18 places
    and the last publisher by id takes the remainder, so exactly the whole conversion is
    credited (summed in the caller's default 28-digit context too)."""
    clicks = [
        Click(publisher_id=p, customer_id="c1", at=T0 - timedelta(hours=h))
        for h, p in enumerate(("b", "c", "a"), start=1)
    ]
    shares = attribute(clicks, order("o1", "30"), model="linear")
    assert sum(shares.values()) == 1
    assert shares["a"] == shares["b"] == Decimal("0.333333333333333333")
    assert shares["c"] == Decimal("0.333333333333333334")


def test_a_click_listed_twice_is_refused_not_credited_twice() -> None:
    """Linear attribution counted an exported-twice click twice: p1 got 2/3 of an order that
    one p1 click and one p2 click share equally (1/2 each, computed by hand)."""
    from relmark.domain import Click, attribute
    from relmark.errors import DataError

    o = order("o1", "100")
    c1 = Click(publisher_id="p1", customer_id="c1", at=T0 - timedelta(days=2))
    c2 = Click(publisher_id="p2", customer_id="c1", at=T0 - timedelta(days=1))
    assert attribute([c1, c2], o, model="linear") == {"p1": Decimal("0.5"), "p2": Decimal("0.5")}
    with pytest.raises(DataError, match="listed twice") as err:
        attribute([c1, c2, c1], o, model="linear")
    assert err.value.rows == (0, 2)
    assert err.value.column == "clicks"
