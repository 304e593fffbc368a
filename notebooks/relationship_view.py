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
# # The relationship view, for a marketing team
#
# Every model in one table: who is still a customer, what they are worth, which segment and
# stage they are in — and what to do next, with the reason. CDNOW customers, as of the end of
# September 1997.

# %%
import matplotlib.pyplot as plt

from relmark.datasets import load_cdnow_transactions
from relmark.view import migration, propose_actions, relationship_view

log = load_cdnow_transactions()
view = relationship_view(log[log["date"] <= "1997-09-30"], observation_end="1997-09-30", n_draws=0)
view.table.head()

# %% [markdown]
# Where is the value? Champions are a third of the customers and most of the CLV.

# %%
by_segment = view.value_by("segment")
fig, ax = plt.subplots(figsize=(7, 4))
ax.barh(by_segment.index, by_segment["clv"])
ax.set_xlabel("expected 12-month CLV ($)")
ax.set_title("Expected 12-month CLV by RFM segment ($)")
plt.show()

# %% [markdown]
# What to do, customer by customer (Kotler's level, next contact, whether offers pay):

# %%
proposals = propose_actions(view, unit_margin=0.25)
print(proposals["next_contact"].value_counts())
print(proposals.iloc[0]["reason"])

# %% [markdown]
# Three months later: how did customers move between lifecycle stages, and where is the value?

# %%
later = relationship_view(log[log["date"] <= "1997-12-31"], observation_end="1997-12-31", n_draws=0)
counts, value = migration(view, later, column="stage")
counts
