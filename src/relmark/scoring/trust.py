r"""Trust from behaviour: the beta reputation system (Jøsang & Ismail 2002).

Kept promises (on-time deliveries, resolved disputes) count as positive evidence :math:`r`,
broken ones as negative evidence :math:`s`. The reputation is the mean of
:math:`\text{Beta}(r+1, s+1)`, :math:`E = (r+1)/(r+s+2)`, with a credible interval from the same
distribution. Old evidence fades with a forgetting factor :math:`\lambda \in (0, 1]`:
:math:`r \leftarrow \lambda r + r_{\text{new}}`, :math:`s \leftarrow \lambda s + s_{\text{new}}`.

:class:`Reputation` is an immutable state updated one event at a time (for a service);
:func:`reputation_scores` does the same for many parties and periods at once (for a notebook);
both give identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import beta as beta_dist

from relmark._validation import FloatArray, check_level
from relmark.errors import DataError

__all__ = ["Reputation", "reputation_scores"]


def _check_lambda(forgetting: float) -> float:
    if not 0.0 < forgetting <= 1.0:
        raise DataError(f"must be in (0, 1], got {forgetting}", column="forgetting")
    return float(forgetting)


@dataclass(frozen=True)
class Reputation:
    """Beta-reputation state of one customer or partner.

    >>> rep = Reputation().update(kept=8, broken=1).update(kept=1, broken=1)
    >>> round(rep.score, 4)
    0.7692
    """

    positive: float = 0.0
    negative: float = 0.0
    forgetting: float = 1.0

    def __post_init__(self) -> None:
        _check_lambda(self.forgetting)
        if self.positive < 0 or self.negative < 0:
            raise DataError("evidence counts cannot be negative")

    def update(self, *, kept: float = 0.0, broken: float = 0.0) -> Reputation:
        """A new state after one period's evidence (older evidence discounted)."""
        if kept < 0 or broken < 0:
            raise DataError("evidence counts cannot be negative")
        lam = self.forgetting
        return Reputation(lam * self.positive + kept, lam * self.negative + broken, lam)

    @property
    def score(self) -> float:
        """Expected trustworthiness :math:`(r+1)/(r+s+2)`."""
        return (self.positive + 1.0) / (self.positive + self.negative + 2.0)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval of :math:`\\text{Beta}(r+1, s+1)`."""
        check_level(level, "level")
        dist = beta_dist(self.positive + 1.0, self.negative + 1.0)
        return float(dist.ppf((1 - level) / 2)), float(dist.ppf((1 + level) / 2))


def reputation_scores(
    kept: npt.ArrayLike,
    broken: npt.ArrayLike,
    *,
    forgetting: float = 1.0,
    level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Reputation of many parties from per-period evidence, vectorised.

    Parameters
    ----------
    kept, broken
        Arrays of shape (parties, periods): evidence per period, oldest first.
    forgetting
        The forgetting factor :math:`\\lambda`.
    level
        Credible level.

    Returns
    -------
    score, lower, upper
        One value per party after the last period.
    """
    lam = _check_lambda(forgetting)
    check_level(level, "level")
    k = np.atleast_2d(np.asarray(kept, dtype=np.float64))
    b = np.atleast_2d(np.asarray(broken, dtype=np.float64))
    if k.shape != b.shape:
        raise DataError("kept and broken must have the same shape")
    if np.any(k < 0) or np.any(b < 0) or not (np.isfinite(k).all() and np.isfinite(b).all()):
        raise DataError("evidence counts must be finite and >= 0")
    periods = k.shape[1]
    decay = lam ** np.arange(periods - 1, -1, -1, dtype=np.float64)
    r = k @ decay
    s = b @ decay
    score = (r + 1.0) / (r + s + 2.0)
    lo = beta_dist.ppf((1 - level) / 2, r + 1.0, s + 1.0)
    hi = beta_dist.ppf((1 + level) / 2, r + 1.0, s + 1.0)
    return score, np.asarray(lo, np.float64), np.asarray(hi, np.float64)
