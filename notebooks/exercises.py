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
    check_bgnbd_log_likelihood,
    check_cronbach_alpha,
    check_nps,
    check_nps_interval,
    check_p_alive,
    check_referral_breakeven,
    check_transition_matrix,
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

# %%
_ = np
