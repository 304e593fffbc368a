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
# # Exercises: relationship-marketing models by hand
#
# Write each function, then run the cell below it: the checker compares your function with
# relmark's reference on several inputs and says what is wrong (which input, expected vs got, a
# hint for the kind of mistake, and the scale the answer should have). Replace
# `raise NotImplementedError` by your code.

# %%
import numpy as np
from scipy.special import betaln, gammaln  # noqa: F401  (you will need them)

from relmark.teaching import (
    check_bayesian_average,
    check_bgnbd_log_likelihood,
    check_break_even_response_rate,
    check_cronbach_alpha,
    check_did,
    check_lift,
    check_nps,
    check_nps_interval,
    check_p_alive,
    check_referral_breakeven,
    check_shapley,
    check_transition_matrix,
    check_wilson_lower_bound,
)

# %% [markdown]
# ## 1. The BG/NBD log-likelihood of one customer (40 min)
#
# $L = \frac{B(a,b+x)}{B(a,b)}\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
# + \delta_{x>0}\frac{B(a+1,b+x-1)}{B(a,b)}\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}}$


# %%
def bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T):
    raise NotImplementedError


print(check_bgnbd_log_likelihood(bgnbd_log_likelihood))


# %% [markdown]
# ## 2. P(alive) (20 min)


# %%
def p_alive(r, alpha, a, b, x, t_x, T):
    raise NotImplementedError


print(check_p_alive(p_alive))


# %% [markdown]
# ## 3. A transition matrix from stage sequences (25 min)
#
# `panel` is customers x periods of states 0..k-1.


# %%
def transition_matrix(panel, k):
    raise NotImplementedError


print(check_transition_matrix(transition_matrix))


# %% [markdown]
# ## 4. Cronbach's alpha (20 min)


# %%
def cronbach_alpha(items):
    raise NotImplementedError


print(check_cronbach_alpha(cronbach_alpha))


# %% [markdown]
# ## 5. NPS and its 95% interval (30 min)
#
# The Wald interval is NPS $\pm z \cdot se$; use the textbook $z = 1.96$ (the exact 97.5%
# normal quantile, `scipy.stats.norm.ppf(0.975)` = 1.959964, is accepted too).


# %%
def nps(scores):
    raise NotImplementedError


def nps_interval(scores):
    raise NotImplementedError


print(check_nps(nps))
print(check_nps_interval(nps_interval))


# %% [markdown]
# ## 6. When does a loyalty discount pay for itself? (20 min)
#
# With margin $m$, retention $r$ and discount rate $i$, CLV $= m(1+i)/(1+i-r)$. Find the
# retention $r^*$ at which a per-period discount $d$ leaves CLV unchanged.


# %%
def referral_breakeven(margin, retention, discount_rate, discount):
    raise NotImplementedError


print(check_referral_breakeven(referral_breakeven))

# %% [markdown]
# ## 7. The lift of a response model (15 min)
#
# `predicted` are the response probabilities a model gives `N` customers, `responded` (0/1)
# who answered the mailing. Rank the customers by `predicted`, highest first, and take the
# top `share` of them: their lift is their response rate over the overall one,
# $\text{lift} = (r_\text{top}/n_\text{top}) / (R/N)$.


# %%
def lift(predicted, responded, share):
    raise NotImplementedError


print(check_lift(lift))


# %% [markdown]
# ## 8. The break-even response rate (10 min)
#
# A piece costs `cost_per_contact` to send; an order brings `order_value`, of which the goods
# cost `cost_of_goods` and picking, packing and shipping `fulfilment_cost`. Above which
# response rate does the mailing pay?


# %%
def break_even_response_rate(cost_per_contact, order_value, cost_of_goods, fulfilment_cost):
    raise NotImplementedError


print(check_break_even_response_rate(break_even_response_rate))


# %% [markdown]
# ## 9. Does the loyalty programme raise spend? Difference-in-differences (15 min)
#
# The spend of the same members before and after the programme's launch, and of the same
# non-members over the same periods. Members were heavy buyers already: estimate the effect
# of membership, not the gap between the groups.


# %%
def did(members_before, members_after, others_before, others_after):
    raise NotImplementedError


print(check_did(did))


# %% [markdown]
# ## 10. Ratings on few reviews: the Bayesian average (10 min)
#
# An item has `count` reviews with mean `mean`. Shrink it toward the catalogue's
# `prior_mean`, which counts as `prior_weight` reviews:
# $\bar x_B = (C m + n \bar x) / (C + n)$.


# %%
def bayesian_average(mean, count, prior_mean, prior_weight):
    raise NotImplementedError


print(check_bayesian_average(bayesian_average))


# %% [markdown]
# ## 11. Ranking by the share of positive ratings: the Wilson lower bound (15 min)
#
# `positive` of `total` ratings are positive. Return the lower end of the 95 % Wilson score
# interval of the share ($z = 1.96$), a pessimistic share that does not rank one positive
# rating of one above 95 of 100.


# %%
def wilson_lower_bound(positive, total):
    raise NotImplementedError


print(check_wilson_lower_bound(wilson_lower_bound))


# %% [markdown]
# ## 12. Which channel earned the conversions? Shapley attribution (30 min)
#
# `journeys` lists the channels each customer met (`[["search", "email"], ["search"], ...]`),
# `value` what each journey brought (1/0 for converted or not, or the order's value),
# `channels` the channels in the order of your answer. A coalition $S$ of channels is worth
# the value of the journeys whose channels all lie in $S$; a channel's Shapley value is its
# marginal worth $v(\text{before} \cup \{i\}) - v(\text{before})$ averaged over the $n!$
# orders in which the channels could join (`itertools.permutations`). Return one value per
# channel.


# %%
def shapley(journeys, value, channels):
    raise NotImplementedError


print(check_shapley(shapley))

# %%
_ = np
