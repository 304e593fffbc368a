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
# # Who pays for the relationship? Cost to serve, loyalty tiers and customer equity
#
# A companion to `programme_and_budget` (does the loyalty programme pay, acquisition or
# retention): before the next dollar goes to retention, know which customers are worth
# retaining. On a simulated base you can replace with your own (only the column names matter):
#
# 1. **Cost to serve** by activity-based costing and the **whale curve**: who loses money,
#    and why (Kaplan & Narayanan 2001).
# 2. What a **returns policy** for the customers who lose money through returns would add.
# 3. How members move between the **loyalty tiers**, with intervals (tier migration).
# 4. **Customer equity**: the current base plus future cohorts (Rust, Lemon & Zeithaml 2004),
#    before and after the returns policy.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from relmark.decide import customer_equity, customer_profitability, tier_migration, whale_curve

rng = np.random.default_rng(20)
n = 2000
margin = rng.gamma(1.2, 90.0, n).round(2)  # a year's gross margin per customer
returner = rng.random(n) < 0.08  # a few customers send much of what they buy back
activities = pd.DataFrame(
    {
        "customer_id": [f"c{i:04d}" for i in range(n)],
        "margin": margin,
        "orders": 1 + rng.poisson(margin / 25),
        "returns": np.where(returner, rng.poisson(8.0, n), rng.poisson(0.4, n)),
        "tickets": rng.poisson(np.where(rng.random(n) < 0.05, 4.0, 0.3)),
        "contacts": rng.poisson(6.0, n),
    }
)
rates = {"orders": 4.0, "returns": 12.0, "tickets": 25.0, "contacts": 1.5}
activities.head()

# %% [markdown]
# ## 1. Cost to serve and the whale curve
#
# Each driver's rate is what one unit of the activity costs (the returns desk's cost over
# the returns it handled, ...). Profit = margin - the sum of rate x quantity; a loss is
# explained by the driver on which the customer costs most beyond the average profitable
# customer.

# %%
profit = customer_profitability(activities, rates, currency="EUR")
frame = profit.to_frame()
print(frame["reason"].value_counts())
curve = whale_curve(profit)
print(
    f"the best {curve.peak_customer_share:.0%} of customers earn {curve.peak_share:.0%} of "
    f"total profit ({curve.peak_profit:,.0f} of {curve.total_profit:,.0f} EUR); "
    f"{curve.unprofitable_customers} customers lose {curve.loss:,.0f} EUR"
)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.array(curve.customer_share) * 100, np.array(curve.cumulative_share) * 100)
ax.axhline(100, color="grey", lw=0.8)
ax.set_xlabel("customers, most profitable first (%)")
ax.set_ylabel("cumulative profit (% of total)")
ax.set_title(f"Whale curve: the hump at {curve.peak_share:.0%}")
plt.show()

# %% [markdown]
# The best 73 % of the customers earn 122 % of the total profit (121,087 of 98,918 EUR); the
# other 547 give 22,169 back. Most losses come from service tickets (235 customers) and
# returns (209), not from a low margin (43): the remedies are a cheaper service channel and
# a returns policy, not dropping the customers.
#
# By hand for one customer: the first row's cost to serve is
# 4 x orders + 12 x returns + 25 x tickets + 1.5 x contacts.

# %%
row = activities.iloc[0]
by_hand = sum(rates[d] * row[d] for d in rates)
print(f"{row.customer_id}: cost to serve {by_hand:.2f}, profit {row.margin - by_hand:.2f}")
assert abs(frame.loc[row.customer_id, "cost_to_serve"] - by_hand) < 1e-9

# %% [markdown]
# ## 2. A returns policy for the customers who lose money through returns
#
# Suppose a policy (a restocking fee, free returns only above a basket size) halves the
# returns of the customers whose loss the returns explain. Their returns cost 12 each, so
# the profit gained is 12 x the returns avoided.

# %%
by_returns = frame.index[frame["reason"].str.startswith("returns", na=False)]
after = activities.set_index("customer_id")
avoided = (after.loc[by_returns, "returns"] // 2).sum()
after.loc[by_returns, "returns"] -= after.loc[by_returns, "returns"] // 2
profit_after = customer_profitability(after.reset_index(), rates, currency="EUR")
gain = profit_after.to_frame()["profit"].sum() - frame["profit"].sum()
print(f"{len(by_returns)} customers, {avoided} returns avoided: profit +{gain:,.0f} EUR")
assert abs(gain - 12 * avoided) < 1e-6
print(
    f"unprofitable customers: {curve.unprofitable_customers} -> "
    f"{whale_curve(profit_after).unprofitable_customers}"
)

# %% [markdown]
# 520 returns avoided among the 209 customers add 12 x 520 = 6,240 EUR, and 37 of them
# become profitable (547 -> 510).
#
# ## 3. How members move between the loyalty tiers
#
# The programme's members over five quarters, in the tiers base, silver and gold; the
# transitions were simulated from a known matrix (rows: from, columns: to), which the
# estimate recovers: its 95 % intervals cover the true probabilities (about 19 cells in 20
# in repeated samples).

# %%
tiers = ["base", "silver", "gold"]
true_matrix = np.array([[0.85, 0.13, 0.02], [0.20, 0.70, 0.10], [0.05, 0.25, 0.70]])
members = 1500
state = rng.choice(3, members, p=[0.6, 0.3, 0.1])
rows = []
for quarter in range(1, 6):
    rows.append(
        pd.DataFrame(
            {"customer_id": np.arange(members), "period": quarter, "tier": np.array(tiers)[state]}
        )
    )
    u = rng.random(members)  # next tier: where u falls in the row's cumulative shares
    state = (u[:, None] > true_matrix.cumsum(axis=1)[state][:, :2]).sum(axis=1)
history = pd.concat(rows, ignore_index=True)
migration = tier_migration(history, tiers)
estimate = pd.DataFrame(migration.matrix, index=tiers, columns=tiers)
inside = (np.array(migration.low) <= true_matrix) & (true_matrix <= np.array(migration.high))
print(f"{inside.sum()} of 9 true probabilities inside their 95 % intervals")
estimate.round(3)

# %% [markdown]
# ## 4. Customer equity, before and after the returns policy
#
# Each current customer's value is their yearly profit kept with retention 0.8 and discounted
# at 10 % a year: profit x (1 + 0.1) / (1 + 0.1 - 0.8) = profit x 3.667. Add 300 new customers
# a year for five years, each worth 250 at acquisition and costing 90 to acquire.

# %%
multiplier = 1.1 / (1.1 - 0.8)
settings = {
    "new_customers": [300] * 5,
    "new_customer_value": 250.0,
    "acquisition_cost": 90.0,
    "discount_rate": 0.1,
}
before = customer_equity(frame["profit"] * multiplier, **settings)
after_policy = customer_equity(profit_after.to_frame()["profit"] * multiplier, **settings)
print(
    f"current base {before.current_base:,.0f} + future cohorts {before.future_total:,.0f} "
    f"= {before.total:,.0f}"
)
added = after_policy.total - before.total
print(f"after the returns policy: {after_policy.total:,.0f} (+{added:,.0f})")
# by hand: a cohort of 300 x (250 - 90) = 48,000 a year, discounted over five years
cohorts = sum(300 * (250 - 90) / 1.1**t for t in range(1, 6))
assert abs(before.future_total - cohorts) < 1e-6
print(f"future cohorts by hand: {cohorts:,.0f}")

# %% [markdown]
# The current base is worth 362,701 and five years of new cohorts 181,958 (by hand: 300 x
# (250 - 90) = 48,000 a year, discounted at 10 %): 544,658 in all. The returns policy adds
# 6,240 a year to the base's profit, 6,240 x 3.667 = 22,880 of equity, as much as 143 newly
# acquired customers (22,880 / 160) would bring: cutting what unprofitable relationships
# cost is a place for the next dollar too.
