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

from relmark._validation import FloatArray, as_numbers, check_level, check_number
from relmark.errors import ArgumentError, DataError
from relmark.scoring._align import check_aligned

__all__ = ["Reputation", "reputation_scores"]


def _check_lambda(forgetting: object) -> float:
    return check_number(forgetting, "forgetting", low=0.0, high=1.0, low_open=True)


MAX_EVIDENCE = 1e15
"""The most (discounted) evidence a reputation holds: beyond it the Beta quantiles and the
score lose all precision."""


def _evidence(value: object, name: str) -> float:
    return check_number(value, name, low=0.0, high=MAX_EVIDENCE)


@dataclass(frozen=True)
class Reputation:
    """Beta-reputation state of one customer or partner.

    Parameters
    ----------
    positive, negative
        Evidence so far (kept and broken promises, discounted): finite numbers in
        [0, MAX_EVIDENCE].
    forgetting
        The forgetting factor :math:`\\lambda \\in (0, 1]`.

    Raises
    ------
    ArgumentError
        Naming the field: NaN, infinite, negative, text or booleans; ``forgetting`` outside
        (0, 1].

    Examples
    --------
    >>> rep = Reputation().update(kept=8, broken=1).update(kept=1, broken=1)
    >>> round(rep.score, 4)
    0.7692
    """

    positive: float = 0.0
    negative: float = 0.0
    forgetting: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "forgetting", _check_lambda(self.forgetting))
        object.__setattr__(self, "positive", _evidence(self.positive, "positive"))
        object.__setattr__(self, "negative", _evidence(self.negative, "negative"))

    def update(self, *, kept: float = 0.0, broken: float = 0.0) -> Reputation:
        """A new state after one period's evidence (older evidence discounted).

        Parameters
        ----------
        kept, broken
            This period's kept and broken promises: finite numbers in [0, MAX_EVIDENCE].

        Returns
        -------
        Reputation
            :math:`(\\lambda r + kept, \\lambda s + broken)`.

        Raises
        ------
        ArgumentError
            Naming ``kept`` or ``broken``: NaN, infinite, negative, text or booleans, or
            evidence that would exceed :data:`MAX_EVIDENCE` with the discounted past.
        """
        k, b = _evidence(kept, "kept"), _evidence(broken, "broken")
        lam = self.forgetting
        positive, negative = lam * self.positive + k, lam * self.negative + b
        for total, name in ((positive, "kept"), (negative, "broken")):
            if total > MAX_EVIDENCE:
                raise ArgumentError(
                    f"the evidence would reach {total:g}, above MAX_EVIDENCE ({MAX_EVIDENCE:g})",
                    argument=name,
                )
        return Reputation(positive, negative, lam)

    @property
    def score(self) -> float:
        """Expected trustworthiness :math:`(r+1)/(r+s+2)`."""
        return 1.0 / (1.0 + (self.negative + 1.0) / (self.positive + 1.0))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval of :math:`\\text{Beta}(r+1, s+1)`.

        Parameters
        ----------
        level
            Coverage, strictly between 0 and 1.

        Returns
        -------
        lower, upper
            Within [0, 1], ``lower <= score <= upper`` up to the skew of the Beta.

        Raises
        ------
        ArgumentError
            ``level`` outside (0, 1).
        """
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
        Arrays of shape (parties, periods): evidence per period, oldest first. A 1-d array is
        refused: one total per party and one party over time look alike.
    forgetting
        The forgetting factor :math:`\\lambda`.
    level
        Credible level.

    Returns
    -------
    score, lower, upper
        One value per party after the last period.

    Raises
    ------
    ArgumentError
        ``forgetting`` outside (0, 1] or ``level`` outside (0, 1).
    DataError
        Naming ``kept`` or ``broken``: not 2-d, no parties or no periods, different shapes,
        DataFrames whose indexes differ,
        text or booleans, NaN, infinite or negative evidence, or discounted evidence above
        :data:`MAX_EVIDENCE` (with the parties' rows).

    Examples
    --------
    >>> score, lo, hi = reputation_scores([[8, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> score.round(4).tolist()
    [0.7692, 0.5]
    """
    lam = _check_lambda(forgetting)
    check_level(level, "level")
    check_aligned({"kept": kept, "broken": broken})
    k = as_numbers(kept, "kept")
    b = as_numbers(broken, "broken")
    for arr, name in ((k, "kept"), (b, "broken")):
        if arr.ndim != 2:
            raise DataError(
                f"must be parties x periods (2-d), got shape {arr.shape}; for one total per "
                "party pass a column, e.g. np.reshape(values, (-1, 1))",
                column=name,
            )
        if 0 in arr.shape:
            raise DataError(f"no parties or no periods (shape {arr.shape})", column=name)
        bad = ~(np.isfinite(arr) & (arr >= 0) & (arr <= MAX_EVIDENCE)).all(axis=1)
        if bad.any():
            raise DataError(
                f"evidence counts must be finite, >= 0 and <= {MAX_EVIDENCE:g}",
                column=name,
                rows=np.flatnonzero(bad).tolist(),
            )
    if k.shape != b.shape:
        raise DataError(f"kept {k.shape} and broken {b.shape} differ in shape", column="broken")
    periods = k.shape[1]
    decay = lam ** np.arange(periods - 1, -1, -1, dtype=np.float64)
    r = k @ decay
    s = b @ decay
    for total, name in ((r, "kept"), (s, "broken")):
        over = total > MAX_EVIDENCE  # as Reputation.update refuses it, one period at a time
        if over.any():
            raise DataError(
                f"the discounted evidence exceeds MAX_EVIDENCE ({MAX_EVIDENCE:g})",
                column=name,
                rows=np.flatnonzero(over).tolist(),
            )
    score = 1.0 / (1.0 + (s + 1.0) / (r + 1.0))
    lo = beta_dist.ppf((1 - level) / 2, r + 1.0, s + 1.0)
    hi = beta_dist.ppf((1 + level) / 2, r + 1.0, s + 1.0)
    return score, np.asarray(lo, np.float64), np.asarray(hi, np.float64)
