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
# # Lifecycle stages, transitions and the value of a customer base
#
# From the CDNOW log to a stage per customer per quarter, a transition matrix with intervals,
# a forecast, and the Pfeifer & Carraway (2000) value of the customer base.

# %%
import numpy as np
import pandas as pd

from relmark.datasets import load_cdnow_transactions
from relmark.lifecycle import chain_value, estimate_transitions, forecast, stationary_distribution

log = load_cdnow_transactions()
log["quarter"] = log["date"].dt.to_period("Q")

# %% [markdown]
# Stages by quarter: *active* (bought this quarter), *lapsing* (bought last quarter but not
# this one), *dormant* (no purchase for two quarters or more). Quarters before a customer's
# first purchase are unobserved (-1).

# %%
quarters = pd.period_range(log["quarter"].min(), log["quarter"].max(), freq="Q")
bought = pd.crosstab(log["customer_id"], log["quarter"]).reindex(columns=quarters, fill_value=0) > 0
b = bought.to_numpy()
first = b.argmax(axis=1)
panel = np.full(b.shape, -1)
since = np.zeros(b.shape[0], dtype=int)
for q in range(b.shape[1]):
    since = np.where(b[:, q], 0, since + 1)
    stage = np.where(since == 0, 0, np.where(since == 1, 1, 2))
    panel[:, q] = np.where(q >= first, stage, -1)
states = ("active", "lapsing", "dormant")
est = estimate_transitions(panel, states)
pd.DataFrame(est.matrix, index=states, columns=states).round(3)

# %% [markdown]
# Goodman simultaneous 95% intervals per row:

# %%
pd.DataFrame(
    {"low": est.goodman_low.ravel(), "high": est.goodman_high.ravel()},
    index=pd.MultiIndex.from_product([states, states]),
).round(3)

# %% [markdown]
# Forecast of the stage mix and the long-run distribution:

# %%
import matplotlib.pyplot as plt

now = np.bincount(panel[:, -1][panel[:, -1] >= 0], minlength=3)
mix = forecast(est.matrix, now / now.sum(), 8)
print("stationary:", stationary_distribution(est.matrix).round(3))
fig, ax = plt.subplots(figsize=(7, 4))
ax.stackplot(np.arange(9), mix.T, labels=states)
ax.set_xlabel("quarters ahead")
ax.set_ylabel("share of customers")
ax.set_title("Forecast stage mix (share of customers, by quarter)")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# Value: an active customer earns $10 of margin a quarter minus $1 of marketing; lapsing and
# dormant customers cost $1 of mailing. Quarterly discount rate 3%. Then a policy that stops
# mailing dormant customers.

# %%
reward = np.array([9.0, -1.0, -1.0])
value = chain_value(est.matrix, reward, 0.03)
no_mail = chain_value(est.matrix, np.array([9.0, -1.0, 0.0]), 0.03)
print("value per customer by stage:", value.round(2))
print(
    "customer base:",
    round(float(now @ value)),
    "vs without mailing dormant:",
    round(float(now @ no_mail)),
)
