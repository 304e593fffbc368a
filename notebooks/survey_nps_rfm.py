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
# # Relationship quality, NPS and RFM segments
#
# A simulated relationship-quality survey with a known factor structure, its reliability, NPS
# with intervals, and RFM differentiation of the CDNOW customers.

# %%
import numpy as np
import pandas as pd

from relmark.data import summarize
from relmark.datasets import load_cdnow_transactions
from relmark.scoring import (
    FIVE_FACTORS,
    cronbach_alpha,
    csat,
    customer_pyramid,
    gini,
    lorenz_curve,
    nps,
    quality_index,
    rfm_scores,
    score_responses,
    segment,
)

rng = np.random.default_rng(2026)
n = 400
latent = rng.standard_normal(n)
answers = {}
for item in FIVE_FACTORS.items:
    raw = 4 + 1.2 * latent + rng.normal(0, 1, n)
    value = np.clip(np.round(raw), 1, 7)
    answers[item.id] = 8 - value if item.reverse else value
answers = pd.DataFrame(answers)
scores = score_responses(FIVE_FACTORS, answers)
scores.summary().round(1)

# %% [markdown]
# Reliability of the trust scale (the reverse-coded item is recoded first):

# %%
trust = answers[["trust_1", "trust_2", "trust_3"]].to_numpy().copy()
trust[:, 2] = 8 - trust[:, 2]
a = cronbach_alpha(trust)
print(f"alpha = {a.alpha:.3f}, 95% CI {a.ci[0]:.3f}..{a.ci[1]:.3f}")

# %% [markdown]
# Relationship quality with weights estimated against repurchase intention, and NPS:

# %%
intention = scores.means @ np.array([0.4, 0.3, 0.1, 0.1, 0.1]) + rng.normal(0, 0.5, n)
qi = quality_index(scores.means, outcome=intention)
print(qi.weights.round(3))
recommend = np.clip(np.round(6 + 1.8 * latent + rng.normal(0, 1.5, n)), 0, 10)
r = nps(recommend, n_bootstrap=1000, rng=1)
print(f"NPS {r.score:.1f}; Wald {r.wald[0]:.1f}..{r.wald[1]:.1f}; bootstrap {r.bootstrap}")
satisfied = np.clip(np.round(3.5 + 0.8 * latent + rng.normal(0, 0.7, n)), 1, 5)
print(f"CSAT (top-two-box, 1-5): {csat(satisfied):.1f}%")

# %% [markdown]
# ## RFM segments of CDNOW
#
# Marketing recency is the time *since* the last purchase: T - recency in relmark's summary.

# %%
s = summarize(load_cdnow_transactions(), monetary_value="amount", time_unit="D")
scores_rfm = rfm_scores(s.T - s.recency, s.frequency, s.monetary_value)
segments = pd.Series(segment(scores_rfm.cells)).value_counts()
print(segments)
value = s.frequency * s.monetary_value
print(pd.Series(customer_pyramid(value)).value_counts())
print(f"Gini of repeat spend: {gini(value):.3f}")

import matplotlib.pyplot as plt

x, y = lorenz_curve(value)
fig, ax = plt.subplots(figsize=(5, 5))
ax.plot(x, y, label="CDNOW customers")
ax.plot([0, 1], [0, 1], "k:", label="equality")
ax.set_xlabel("share of customers (ascending value)")
ax.set_ylabel("share of repeat spend")
ax.set_title(f"Lorenz curve of repeat spend (Gini {gini(value):.2f})")
ax.legend()
plt.show()
