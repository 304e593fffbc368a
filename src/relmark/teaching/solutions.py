"""Reference solutions of the teaching exercises (for instructors; kept apart from the
exercise notebook). Written the way a student would, with numpy and scipy only."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from scipy.special import betaln, gammaln

__all__ = [
    "bgnbd_log_likelihood",
    "cronbach_alpha",
    "nps",
    "nps_interval",
    "nps_interval_textbook",
    "p_alive",
    "referral_breakeven",
    "transition_matrix",
]


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """One customer's BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6)."""
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    if x == 0:
        return float(base + alive)
    dead = betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
    return float(base + np.logaddexp(alive, dead))


def p_alive(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    """BG/NBD P(alive) (FHL 2005, eq. 11)."""
    if x == 0:
        return 1.0
    return float(1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)))


def transition_matrix(panel: Any, k: int) -> np.ndarray:
    """Maximum-likelihood transition matrix from a customers x periods panel."""
    counts = np.zeros((k, k))
    for row in np.asarray(panel):
        for i, j in pairwise(row):
            counts[i, j] += 1
    out: np.ndarray = counts / counts.sum(axis=1, keepdims=True)
    return out


def cronbach_alpha(items: Any) -> float:
    """Cronbach's alpha."""
    x = np.asarray(items, dtype=float)
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def nps(scores: Any) -> float:
    """Net Promoter Score."""
    s = np.asarray(scores)
    return float(100 * (np.mean(s >= 9) - np.mean(s <= 6)))


def nps_interval(scores: Any, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wald interval of the NPS (z: the exact 97.5% normal quantile)."""
    s = np.asarray(scores)
    pp, pd_ = np.mean(s >= 9), np.mean(s <= 6)
    se = 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / s.size)
    score = 100 * (pp - pd_)
    return float(max(score - z * se, -100)), float(min(score + z * se, 100))


def nps_interval_textbook(scores: Any) -> tuple[float, float]:
    """95% Wald interval of the NPS with the textbook z = 1.96 (accepted too)."""
    return nps_interval(scores, z=1.96)


def referral_breakeven(
    margin: float, retention: float, discount_rate: float, discount: float
) -> float:
    """Retention at which a per-period discount leaves CLV unchanged."""
    i = discount_rate
    return 1 + i - (1 + i - retention) * (margin - discount) / margin
