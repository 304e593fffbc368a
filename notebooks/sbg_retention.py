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
# # Contractual retention: projecting survival and valuing a subscriber base with sBG
#
# Fader & Hardie (2007) show why projecting retention with a straight line or a single churn
# rate goes wrong: customers differ, the churn-prone leave first, and retention *rises* with
# tenure. The shifted-beta-geometric model captures that with two parameters.

# %%
import numpy as np

from relmark.clv import SBG
from relmark.datasets import load_retention
from relmark.plot import plot_survival

table = load_retention("regular")
model = SBG.fit_survival(table["alive"].to_numpy()[:8])  # fit on years 0..7
print(model.fit_result.summary())  # alpha = 0.704, beta = 1.182 (Fader & Hardie 2007)

# %% [markdown]
# Projected survival for years 8-12 against what actually happened:

# %%
print(np.round(100 * model.survival(np.arange(8, 13)), 1), table["percent_alive"].to_numpy()[8:])
plot_survival(model, table["percent_alive"])

# %% [markdown]
# Retention by tenure rises: a customer in their fifth year is far more likely to renew than a
# new one.

# %%
print(np.round(model.retention(np.arange(1, 11)), 3))

# %% [markdown]
# ## Valuing the existing base (Fader & Hardie 2010)
#
# DERL is the discounted expected residual lifetime of a customer who has renewed n times.
# With 100 customers per tenure 0..4, $50 per period and a 10% discount rate:

# %%
counts = np.full(5, 100.0)
print(np.round(model.derl(0.10, np.arange(5)), 3))
value = model.residual_value(counts, value_per_period=50, discount_rate=0.10)
print(f"residual value of the base: ${value:,.0f}")
