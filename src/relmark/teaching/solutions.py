"""Reference solutions of the teaching exercises (for instructors; kept apart from the
exercise notebook). Written the way a student would, with numpy and scipy only."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from scipy.special import betaln, gammaln

__all__ = [
    "bayesian_average",
    "bgnbd_log_likelihood",
    "break_even_response_rate",
    "cronbach_alpha",
    "did",
    "lift",
    "nps",
    "nps_interval",
    "nps_interval_textbook",
    "p_alive",
    "referral_breakeven",
    "shapley",
    "transition_matrix",
    "wilson_lower_bound",
]


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """One customer's BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    Parameters
    ----------
    r, alpha, a, b
        The BG/NBD parameters.
    x, t_x, T
        Repeat purchases, time of the last one and age of the customer.

    Returns
    -------
    float
        :math:`\\log L`, in nats.
    """
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    if x == 0:
        return float(base + alive)
    dead = betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
    return float(base + np.logaddexp(alive, dead))


def p_alive(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    """BG/NBD P(alive) (FHL 2005, eq. 11).

    Parameters
    ----------
    r, alpha, a, b
        The BG/NBD parameters.
    x, t_x, T
        Repeat purchases, time of the last one and age of the customer.

    Returns
    -------
    float
        The probability that the customer is still active.
    """
    if x == 0:
        return 1.0
    return float(1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)))


def transition_matrix(panel: Any, k: int) -> np.ndarray:
    """Maximum-likelihood transition matrix from a customers x periods panel.

    Parameters
    ----------
    panel
        Customers x periods of states ``0..k-1``.
    k
        The number of states.

    Returns
    -------
    numpy.ndarray
        ``k x k``, rows summing to one.
    """
    counts = np.zeros((k, k))
    for row in np.asarray(panel):
        for i, j in pairwise(row):
            counts[i, j] += 1
    out: np.ndarray = counts / counts.sum(axis=1, keepdims=True)
    return out


def cronbach_alpha(items: Any) -> float:
    """Cronbach's alpha.

    Parameters
    ----------
    items
        Respondents x items.

    Returns
    -------
    float
        Alpha, with sample variances for items and total alike.
    """
    x = np.asarray(items, dtype=float)
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def nps(scores: Any) -> float:
    """Net Promoter Score.

    Parameters
    ----------
    scores
        Answers on 0-10.

    Returns
    -------
    float
        The score, on -100..100.
    """
    s = np.asarray(scores)
    return float(100 * (np.mean(s >= 9) - np.mean(s <= 6)))


def nps_interval(scores: Any, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wald interval of the NPS.

    Parameters
    ----------
    scores
        Answers on 0-10.
    z
        The normal quantile (the exact 97.5% quantile by default).

    Returns
    -------
    tuple of float
        ``(low, high)``, clipped to -100..100.
    """
    s = np.asarray(scores)
    pp, pd_ = np.mean(s >= 9), np.mean(s <= 6)
    se = 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / s.size)
    score = 100 * (pp - pd_)
    return float(max(score - z * se, -100)), float(min(score + z * se, 100))


def nps_interval_textbook(scores: Any) -> tuple[float, float]:
    """95% Wald interval of the NPS with the textbook z = 1.96 (accepted too).

    Parameters
    ----------
    scores
        Answers on 0-10.

    Returns
    -------
    tuple of float
        ``(low, high)``, clipped to -100..100.
    """
    return nps_interval(scores, z=1.96)


def referral_breakeven(
    margin: float, retention: float, discount_rate: float, discount: float
) -> float:
    """Retention at which a per-period discount leaves CLV unchanged.

    Parameters
    ----------
    margin, retention, discount_rate, discount
        :math:`m`, :math:`r`, :math:`i` and the discount :math:`d` per period.

    Returns
    -------
    float
        The break-even retention :math:`r^*`.
    """
    i = discount_rate
    return 1 + i - (1 + i - retention) * (margin - discount) / margin


def lift(predicted: Any, responded: Any, share: float) -> float:
    """Lift of the top ``share`` of customers ranked by predicted response.

    Parameters
    ----------
    predicted, responded
        Predicted response probabilities and 0/1 outcomes.
    share
        Share of the customers at the top of the ranking (0.1: the top decile).

    Returns
    -------
    float
        (responders / customers in the top share) / (responders / customers overall).
    """
    order = np.argsort(-np.asarray(predicted, dtype=float), kind="stable")
    y = np.asarray(responded, dtype=float)[order]
    k = round(share * y.size)
    return float(y[:k].mean() / y.mean())


def break_even_response_rate(
    cost_per_contact: float, order_value: float, cost_of_goods: float, fulfilment_cost: float
) -> float:
    """Response rate at which a mailing breaks even.

    Parameters
    ----------
    cost_per_contact, order_value, cost_of_goods, fulfilment_cost
        Cost of one piece, and the value, cost of goods and fulfilment cost of one order.

    Returns
    -------
    float
        ``cost_per_contact / (order_value - cost_of_goods - fulfilment_cost)``.
    """
    return cost_per_contact / (order_value - cost_of_goods - fulfilment_cost)


def did(members_before: Any, members_after: Any, others_before: Any, others_after: Any) -> float:
    """Difference-in-differences: the members' change in mean spend minus the non-members'.

    Parameters
    ----------
    members_before, members_after
        Spend of the same members before and after the launch.
    others_before, others_after
        Spend of the same non-members before and after.

    Returns
    -------
    float
        The estimated effect of membership on spend.
    """
    members = np.mean(members_after) - np.mean(members_before)
    others = np.mean(others_after) - np.mean(others_before)
    return float(members - others)


def bayesian_average(mean: float, count: int, prior_mean: float, prior_weight: float) -> float:
    """The mean rating shrunk toward the prior: (C m + n x) / (C + n).

    Parameters
    ----------
    mean, count
        The item's mean rating and its number of reviews.
    prior_mean, prior_weight
        The prior mean and its weight in reviews.

    Returns
    -------
    float
        The Bayesian average.
    """
    return (prior_weight * prior_mean + count * mean) / (prior_weight + count)


def wilson_lower_bound(positive: int, total: int) -> float:
    """Lower end of the 95% Wilson score interval of positive / total.

    Parameters
    ----------
    positive, total
        Positive ratings and all ratings.

    Returns
    -------
    float
        The lower bound.
    """
    z = 1.96
    p = positive / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return float(centre - half)


def shapley(journeys: Any, value: Any, channels: Any) -> list[float]:
    """Shapley value of each channel by brute force over every order of the channels.

    Parameters
    ----------
    journeys
        The channels each journey touched (lists of names).
    value
        Each journey's worth (1/0 for converted or not, or the conversion value).
    channels
        The channels, in the order of the result.

    Returns
    -------
    list of float
        Each channel's marginal worth averaged over the n! orders, where a coalition is worth
        the journeys whose channels all lie in it.
    """
    from itertools import permutations

    def worth(coalition: set[str]) -> float:
        kept = [w for j, w in zip(journeys, value, strict=True) if j and set(j) <= coalition]
        return float(sum(kept))

    total = dict.fromkeys(channels, 0.0)
    orders = list(permutations(channels))
    for order in orders:
        joined: set[str] = set()
        for channel in order:
            before = worth(joined)
            joined.add(channel)
            total[channel] += worth(joined) - before
    return [total[c] / len(orders) for c in channels]
