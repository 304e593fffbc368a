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
# # Every purchase model on CDNOW's holdout
#
# Which "buy till you die" model should forecast this customer base? Fit every non-contractual
# purchase model relmark has on the first 39 weeks of the CDNOW sample (2357 customers, Fader,
# Hardie & Lee 2005) and judge them on the next 39 weeks, in one table:
#
# | model | purchasing while active | dropout |
# |---|---|---|
# | BG/NBD | Poisson (exponential gaps) | after each repeat purchase |
# | MBG/NBD | Poisson | after every purchase, the first included |
# | Pareto/NBD | Poisson | exponential time, constant rate |
# | BG/CNBD-k, MBG/CNBD-k | Erlang-k gaps (regular buyers) | as BG/NBD, MBG/NBD |
# | GGompertz/NBD | Poisson | Gompertz: a hazard that changes with age |
#
# Two questions beyond "which is best": are CDNOW's buyers **regular** (k > 1), and does their
# dropout **depend on age** (Gompertz b > 0)? Section 6 runs the same comparison on simulated
# regular buyers, where the answer to the first is yes.

# %%
import numpy as np
import pandas as pd

from relmark.clv import (
    BGCNBD,
    BGNBD,
    MBGCNBD,
    MBGNBD,
    GGompertzNBD,
    ParetoNBD,
    bgcnbd,
    compare_models,
)
from relmark.clv.diagnostics import calibration_holdout_table
from relmark.clv.ggompertz import pareto_nbd_lr_test
from relmark.data import calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions
from relmark.plot import plot_calibration_holdout

split = calibration_holdout(
    load_cdnow_sample_transactions(),
    calibration_end="1997-09-30",
    observation_end="1998-06-30",
    freq_multiplier=7,  # weeks with day resolution
    sum_log_interpurchase=True,  # the Erlang-k models need the log gaps
)
print(len(split.frequency), "customers;", int(split.frequency_holdout.sum()), "holdout repeats")

# %% [markdown]
# ## 1. The classic three
#
# The published estimates are BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
# (log-likelihood -9582.4) and Pareto/NBD r = 0.553, alpha = 10.578, s = 0.606,
# beta = 11.669 (-9595.0); the fits below reproduce them.

# %%
models = {cls.name: cls.fit(split) for cls in (BGNBD, MBGNBD, ParetoNBD)}
for name, model in models.items():
    params = ", ".join(f"{k} = {v:.3f}" for k, v in model.params.items())
    print(f"{name:10s} LL {model.fit_result.log_likelihood:9.1f}   {params}")

# %% [markdown]
# ## 2. Regularity: the profile likelihood over k
#
# BG/CNBD-k has Erlang-k gaps between purchases; k = 1 is BG/NBD. If CDNOW's buyers were
# regular (a CD every month), the likelihood would rise at k = 2 or 3.

# %%
profile = bgcnbd.profile_k(split, k=range(1, 5))
print("best k:", profile.best_k)
print("log-likelihood by k:", [round(v, 1) for v in profile.log_likelihood])

# %% [markdown]
# It falls from -9582.4 at k = 1 to -9855.3 at k = 2: CDNOW's buyers are not regular, and
# BG/CNBD-1 *is* BG/NBD (same log-likelihood). To see what imposing regularity would cost,
# the table below also carries BG/CNBD-2 and MBG/CNBD-2.

# %%
models["BGCNBD-2"] = BGCNBD.fit(split, settings={"k": 2})
models["MBGCNBD-2"] = MBGCNBD.fit(split, settings={"k": 2})
print(f"BG/CNBD-1 LL {profile.model.fit_result.log_likelihood:.1f} (BG/NBD's, k = 1)")

# %% [markdown]
# ## 3. Age-dependent dropout: GGompertz/NBD
#
# GGompertz/NBD lets the dropout hazard grow (b > 0) with age and nests Pareto/NBD as b -> 0.
# On CDNOW the likelihood is largest on that boundary: the fit reports a boundary estimate
# (converged, no warning; `fit_result.extra["boundary"]`), with the Pareto/NBD's
# log-likelihood and a one-sided score in b that is negative (the likelihood falls as b
# leaves 0). The test against the Pareto/NBD is a boundary test (50:50 chi2_0 / chi2_1).

# %%
models["GGompertzNBD"] = GGompertzNBD.fit(split)
gg = models["GGompertzNBD"]
boundary = gg.fit_result.extra["boundary"]
print(f"on the boundary b -> 0: beta/b = {boundary['nested_params']['beta']:.3f}")
print(f"one-sided score in b at 0: {boundary['score']:.2f}")
print(f"LL {gg.fit_result.log_likelihood:.3f}")
print(f"Pareto/NBD LL {models['ParetoNBD'].fit_result.log_likelihood:.3f}")
statistic, p_value = pareto_nbd_lr_test(models["ParetoNBD"], gg)
print(f"boundary LR test: statistic {statistic:.3f}, p = {p_value:.3f}")
assert boundary["score"] < 0
assert p_value == 1.0

# %% [markdown]
# ## 4. The model-comparison table
#
# Each model predicts each customer's holdout repeat purchases from their calibration
# history: per-customer MAE and RMSE, the predicted total against the actual 1882, the
# aggregate error, the log score (mean log P(actual holdout count); higher is better; empty
# for GGompertz/NBD, which has no conditional P(n) here) and the calibration AIC.

# %%
table = compare_models(models, split).to_frame()
table.round(4)

# %% [markdown]
# What the numbers say (check them in the table):
#
# - **RMSE and aggregate error**: Pareto/NBD is best (RMSE 1.6028; 1666 of the 1882
#   repeats, -11.5 %); GGompertz/NBD, at b -> 0, equals it. BG/NBD is close (1.6080, -12.2 %).
# - **Log score and AIC**: MBG/NBD is best (log score -0.982, AIC 19172.3) although it is
#   the most pessimistic of the classic three (1577, -16.2 %): it lets one-time buyers drop
#   out, and most CDNOW customers are one-time buyers.
# - **Regularity imposed** (k = 2) loses about 270 log-likelihood points (AIC +545), the log
#   score falls to -1.09 and the forecast to 1466 and 1350 (-22 % and -28 %).
# - **MAE** ranks MBG/CNBD-2 first (0.734), the model that forecasts least: 71 % of customers
#   buy nothing in the holdout, and the absolute error is smallest for a forecast near the
#   median, 0. Judge count forecasts by RMSE, the aggregate error and the log score (a proper
#   scoring rule), not by MAE alone.
# - Every model under-forecasts the holdout: the customers bought more in the second 39
#   weeks than any of these stationary models expects from the first.

# %%
print(f"customers without a holdout repeat: {np.mean(split.frequency_holdout == 0):.0%}")
print("smallest RMSE:", table["rmse"].idxmin(), "| best log score:", table["log_score"].idxmax())
print("smallest MAE:", table["mae"].idxmin(), "| smallest AIC:", table["aic"].idxmin())
assert table["rmse"].idxmin() in ("ParetoNBD", "GGompertzNBD")
assert table["log_score"].idxmax() == table["aic"].idxmin() == "MBGNBD"
assert table.loc["BGCNBD-2", "aic"] > table.loc["BGNBD", "aic"] + 500
assert (table["predicted_total"] < table["actual_total"]).all()

# %% [markdown]
# ## 5. By calibration frequency
#
# The mean holdout purchases by calibration frequency: where the models differ is the
# heavy buyers (7+ repeat purchases), the customers a retention programme acts on.

# %%
by_frequency = calibration_holdout_table(
    {k: models[k] for k in ("BGNBD", "MBGNBD", "ParetoNBD", "BGCNBD-2")}, split
)
plot_calibration_holdout(by_frequency)

# %% [markdown]
# ## 6. Where regularity pays: simulated regular buyers
#
# The same comparison on customers who *are* regular: 3000 customers observed for 52 weeks
# and a 26-week holdout, simulated here (independently of relmark) from BG/CNBD-3 with
# r = 3, alpha = 5, a = 1, b = 6: Erlang-3 gaps between purchases (a mean gap of 3 / lambda,
# about 5 weeks), and after each repeat purchase a chance p to leave.

# %%
sim = np.random.default_rng(5)
n, k, weeks, holdout_weeks = 3000, 3, 52.0, 26.0
lam = sim.gamma(3.0, 1 / 5.0, n)  # r = 3, alpha = 5
p = sim.beta(1.0, 6.0, n)  # a = 1, b = 6
t = np.zeros(n)
active = np.ones(n, dtype=bool)
x, t_x, log_gaps, y = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
while active.any():
    gap = sim.gamma(k, 1 / lam)
    t += gap
    active &= t <= weeks + holdout_weeks
    seen = active & (t <= weeks)
    x += seen
    t_x = np.where(seen, t, t_x)
    log_gaps += np.where(seen, np.log(gap), 0.0)
    y += active & (t > weeks)
    active &= sim.random(n) >= p  # leaves after this repeat purchase with probability p
regular = pd.DataFrame(
    {
        "frequency": x,
        "recency": t_x,
        "T": weeks,
        "sum_log_interpurchase": log_gaps,
        "frequency_holdout": y,
        "duration_holdout": holdout_weeks,
    }
)
regular_profile = bgcnbd.profile_k(regular, k=range(1, 6))
print("best k:", regular_profile.best_k)
print("log-likelihood by k:", [round(v, 1) for v in regular_profile.log_likelihood])
print({name: round(v, 2) for name, v in regular_profile.model.params.items()})
regular_models = {
    "BGNBD": BGNBD.fit(regular),
    "MBGNBD": MBGNBD.fit(regular),
    f"BGCNBD-{regular_profile.best_k}": regular_profile.model,
}
regular_table = compare_models(regular_models, regular).to_frame()
regular_table.round(4)

# %% [markdown]
# Here the profile finds k = 3 (log-likelihood -47,852 against -51,670 at k = 1) with
# estimates near the truth (r 3.17, alpha 5.23, a 0.96, b 5.62), and BG/CNBD-3 wins on every
# measure: MAE 0.821 against BG/NBD's 0.967, RMSE 1.505 against 1.583, an aggregate error of
# -0.7 % against +9.2 %, a log score of -0.979 against -1.063. Regularity matters where it
# exists; on CDNOW it does not.

# %%
assert regular_profile.best_k == 3
assert (
    regular_table.loc["BGCNBD-3", ["mae", "rmse"]] < regular_table.loc["BGNBD", ["mae", "rmse"]]
).all()
assert regular_table["log_score"].idxmax() == "BGCNBD-3"
