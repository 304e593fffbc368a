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
# # Customer-base analysis of CDNOW, end to end
#
# Who is still a customer, how much will they buy, and what are they worth? This notebook
# answers the three questions for the CDNOW sample used by Fader, Hardie & Lee (2005): 2357
# customers who first bought in early 1997, observed for 78 weeks.
#
# 1. From transactions to one row per customer.
# 2. Fit BG/NBD, MBG/NBD and Pareto/NBD on the first 39 weeks, with standard errors.
# 3. Check them on the next 39 weeks.
# 4. Add spend (Gamma-Gamma) and compute CLV with intervals.

# %%
import numpy as np

from relmark.clv import BGNBD, MBGNBD, GammaGamma, ParetoNBD, clv, clv_interval
from relmark.clv.diagnostics import calibration_holdout_table, period_transactions
from relmark.data import calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions
from relmark.plot import plot_calibration_holdout, plot_p_alive_matrix, plot_period_transactions

# %% [markdown]
# ## 1. Transactions to customers
#
# Weeks with day resolution (`freq_multiplier=7` on days), calibration to 1997-09-30, holdout
# to 1998-06-30. Purchases on the same day are merged; the first purchase is not a repeat one.

# %%
log = load_cdnow_sample_transactions()
summary = calibration_holdout(
    log,
    calibration_end="1997-09-30",
    observation_end="1998-06-30",
    monetary_value="amount",
    freq_multiplier=7,
)
summary.to_frame().head()

# %% [markdown]
# ## 2. Three purchase models
#
# Each fit is a maximum-likelihood estimate with standard errors from the Hessian. The
# published BG/NBD values are r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (LL = -9582.4);
# Pareto/NBD r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669 (LL = -9595.0).

# %%
models = {cls.name: cls.fit(summary) for cls in (BGNBD, MBGNBD, ParetoNBD)}
print(models["BGNBD"].fit_result.summary())
{name: round(m.fit_result.aic, 1) for name, m in models.items()}

# %% [markdown]
# ## 3. Holdout check
#
# Mean repeat purchases in the 39 holdout weeks, by calibration frequency.

# %%
table = calibration_holdout_table(models, summary)
plot_calibration_holdout(table)

# %%
# the figure takes what the diagnostic returns: (table, chi-square, p-value)
plot_period_transactions(period_transactions(models["BGNBD"], summary))

# %% [markdown]
# Who is still alive? P(alive) falls fast for frequent buyers who have gone quiet.

# %%
plot_p_alive_matrix(models["BGNBD"], T=39.0)

# %% [markdown]
# ## 4. Spend and CLV
#
# Gamma-Gamma on the repeat buyers, then 12 months of CLV (4.345-week months, 1% per month),
# with 95% intervals from both models' parameter uncertainty.

# %%
spend = GammaGamma.fit(summary)
print(spend.fit_result.summary())
value = clv(
    models["BGNBD"].with_time_unit("W"),
    spend,
    summary.frequency,
    summary.recency,
    summary.T,
    summary.monetary_value,
)
top = np.argsort(-value)[:5]
iv = clv_interval(
    models["BGNBD"].with_time_unit("W"),
    spend,
    summary.frequency[top],
    summary.recency[top],
    summary.T[top],
    summary.monetary_value[top],
    n_draws=100,
    rng=1,
)
for cid, est, lo, hi in zip(summary.customer_id[top], iv.estimate, iv.lower, iv.upper, strict=True):
    print(f"customer {cid}: CLV {est:8.2f}  [{lo:8.2f}, {hi:8.2f}]")

# %% [markdown]
# ## 5. Beyond the point estimates
#
# The P(alive) matrix behind the heat map, as data (one row per possible history):

# %%
alive = models["BGNBD"].p_alive_matrix(T=39.0, max_frequency=10, points=5)
alive.pivot(index="frequency", columns="recency", values="p_alive").round(2).head()

# %% [markdown]
# The most valuable customer: P(alive) along their calibration purchases (it jumps at each
# purchase and decays in between), and the probability of exactly n purchases in the
# 39 holdout weeks.

# %%
best = summary.customer_id[top[0]]
dates = log.loc[(log["customer_id"] == best) & (log["date"] <= "1997-09-30"), "date"]
bg = models["BGNBD"].with_time_unit("W")
path = bg.p_alive_path(dates, end=float(summary.T[top[0]]), points=14)
print(path.round(3).tail(8).to_string(index=False))
i = top[0]
probs = bg.conditional_prob_purchases(
    list(range(8)), summary.frequency[i], summary.recency[i], summary.T[i], t=39.0
)
print("P(n purchases in the holdout), n = 0..7:", probs.round(3).tolist())
print("actual holdout purchases:", summary.frequency_holdout[i])

# %% [markdown]
# All three models on the holdout in one table: per-customer MAE and RMSE, the aggregate
# error and the log score of the actual holdout counts (higher is better).

# %%
from relmark.clv import bootstrap, compare_models, likelihood_ratio_test, simulate_transactions

compare_models(models, summary).to_frame().round(4)

# %% [markdown]
# Bootstrap intervals (resampling customers) next to the asymptotic ones, and a
# likelihood-ratio test of BG/NBD's r = 0.25.

# %%
boot = bootstrap(models["BGNBD"], summary, n_boot=40, rng=1, n_jobs=2)
for name in ("r", "alpha", "a", "b"):
    lo, hi = boot.conf_int(0.95)[name]
    wlo, whi = models["BGNBD"].fit_result.conf_int(0.95)[name]
    print(f"{name:6s} bootstrap [{lo:7.3f}, {hi:7.3f}]   asymptotic [{wlo:7.3f}, {whi:7.3f}]")
restricted = BGNBD.fit(summary, fixed={"r": 0.25})
test = likelihood_ratio_test(restricted, models["BGNBD"], summary)
print(f"LR test of r = 0.25: statistic {test.statistic:.3f}, p-value {test.p_value:.3f}")

# %% [markdown]
# A transaction log simulated from the fitted BG/NBD, summarised like the real one: its
# distribution of repeat purchases matches the real customers'.

# %%
from relmark.data import summarize

sim_log = simulate_transactions(bg, summary.T.round(), start="1997-01-01", rng=3)
end = sim_log["date"].min() + np.timedelta64(int(summary.T.round().max() * 7), "D")
simulated = summarize(sim_log, freq_multiplier=7, observation_end=end)
np.c_[
    np.bincount(np.minimum(summary.frequency, 7).astype(int), minlength=8),
    np.bincount(np.minimum(simulated.frequency, 7).astype(int), minlength=8),
]
