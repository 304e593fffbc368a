# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Referral and loyalty programme economics
#
# Viral growth, customer referral value and the CLV x CRV quadrant, the liability of a points
# programme, and when a loyalty discount pays for itself.

# %%
from decimal import Decimal

import numpy as np

from relmark.domain import (
    Money,
    allocate_revenue,
    amplification,
    breakeven_retention,
    clv_crv_quadrant,
    customer_referral_value,
    outstanding_liability,
    viral_coefficient,
)

k = viral_coefficient(invitations_per_user=4, conversion_rate=0.15)
print(f"K = {k:.2f}; 1,000 seed users grow to {amplification(1000, k):,.0f}")

# %% [markdown]
# Customer referral value (Kumar, Petersen & Leone): referees who would not have joined
# otherwise count at their CLV net of the reward; those who would have joined anyway only at
# the acquisition cost saved.

# %%
rng = np.random.default_rng(3)
clv = rng.gamma(2.0, 150.0, size=200)
crv = np.array(
    [
        customer_referral_value(
            rng.gamma(2.0, 150.0, size=m),
            rng.random(m) < 0.4,
            rng.integers(0, 4, size=m),
            acquisition_cost=60,
            reward_cost=20,
            discount_rate=0.02,
        )
        for m in rng.poisson(1.5, size=200)
    ]
)
quadrants = clv_crv_quadrant(clv, crv)
{q: quadrants.count(q) for q in ("champions", "affluents", "advocates", "misers")}

# %% [markdown]
# Loyalty points: liability and IFRS 15 allocation (Illustrative Example 52).

# %%
eur = lambda v: Money(amount=Decimal(v), currency="EUR")  # noqa: E731
print(outstanding_liability(250_000, breakage=Decimal("0.2"), value_per_point=eur("0.01")))
goods, points = allocate_revenue(eur("100000"), eur("100000"), eur("9500"))
print(goods.amount.quantize(Decimal(1)), points.amount.quantize(Decimal(1)))

# %% [markdown]
# Relationship pricing: margin 100 per year, retention 80%, discount rate 10%. A 10 discount
# pays for itself only if retention reaches:

# %%
print(round(breakeven_retention(100, 0.8, 0.1, 10), 4))

# %% [markdown]
# ## Affiliate programme economics
#
# A publisher paid 8% of net revenue plus a tier bonus: what do the period's statements look
# like once refunds are clawed back and recent orders are held for the 30-day return window?

# %%
from datetime import UTC, datetime, timedelta

from relmark.domain import CommissionPlan, Conversion, Publisher, Tier, payout_statement

now = datetime(2024, 6, 30, tzinfo=UTC)
orders = [
    Conversion(
        order_id=f"o{i}",
        customer_id=f"c{i}",
        at=now - timedelta(days=int(d)),
        gross=eur(f"{amount:.2f}"),
        tax=eur(f"{amount * 0.2:.2f}"),
        refunded=eur(f"{amount:.2f}") if i % 9 == 0 else None,
    )
    for i, (d, amount) in enumerate(
        zip(rng.integers(1, 90, 40), rng.gamma(3.0, 30.0, 40), strict=True)
    )
]
plan = CommissionPlan(
    revenue_share=Decimal("0.08"),
    tiers=(
        Tier(threshold=Decimal(0), rate=Decimal(0)),
        Tier(threshold=Decimal(2000), rate=Decimal("0.02")),
    ),
    tier_mode="marginal",
)
statement = payout_statement(
    Publisher(id="p1", name="Blog", email="blog@example.com"), plan, orders, as_of=now
)
statement
