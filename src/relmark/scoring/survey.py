r"""Survey instruments as data, and scoring of responses.

An :class:`Instrument` lists constructs, each made of Likert items with scale bounds and a
reverse-coding flag. Scoring (:func:`score_responses`) validates every answer (out-of-range or
non-integer answers raise :class:`~relmark.errors.DataError` naming respondent and item; missing
answers are allowed and counted), reverse-codes :math:`x' = lo + hi - x`, averages each
construct over the answered items when at least ``min_answered`` of them were answered, and
rescales to 0-100 as :math:`100(\bar x - lo)/(hi - lo)`.

The relationship-quality index (:func:`quality_index`) is a weighted composite of construct
scores, with given weights or weights estimated by least squares against an outcome (e.g.
repurchase intention), reported with t-based confidence intervals from the OLS covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import t as t_dist

from relmark._validation import as_numbers, check_level
from relmark.errors import DataError

__all__ = [
    "FIVE_FACTORS",
    "Construct",
    "Instrument",
    "Item",
    "QualityIndex",
    "SurveyScores",
    "quality_index",
    "score_responses",
]


class Item(BaseModel):
    """One Likert item."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    id: str = Field(min_length=1)
    wording: str
    low: int = 1
    high: int = 7
    reverse: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> Item:
        if self.low >= self.high:
            raise ValueError(f"item {self.id!r}: low ({self.low}) must be below high ({self.high})")
        return self


class Construct(BaseModel):
    """A construct measured by the mean of its items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_scale(self) -> Construct:
        # the construct score is the mean of its items, scaled to 0-100 by their range: items
        # on different scales (1-5 and 1-10) would average incomparable numbers
        scales = sorted({(i.low, i.high) for i in self.items})
        if len(scales) > 1:
            raise ValueError(
                f"construct {self.name!r}: its items use different scales {scales}; rescale "
                "them to one scale before averaging"
            )
        return self


class Instrument(BaseModel):
    """A questionnaire: constructs made of items; item ids are unique across the instrument."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    constructs: tuple[Construct, ...] = Field(min_length=1)
    example: bool = False
    """True for illustrative instruments whose wording has not been validated."""

    @model_validator(mode="after")
    def _unique(self) -> Instrument:
        ids = [i.id for c in self.constructs for i in c.items]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate item ids: {', '.join(dup)}")
        names = [c.name for c in self.constructs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate construct names")
        return self

    @property
    def items(self) -> tuple[Item, ...]:
        """All items in order."""
        return tuple(i for c in self.constructs for i in c.items)


def _items(construct: str, *wordings: tuple[str, str, bool]) -> Construct:
    return Construct(
        name=construct,
        items=tuple(Item(id=i, wording=w, reverse=r) for i, w, r in wordings),
    )


FIVE_FACTORS = Instrument(
    name="Five relationship factors (example items)",
    example=True,
    constructs=(
        _items(
            "trust",
            ("trust_1", "I can rely on this company to keep its promises.", False),
            ("trust_2", "The staff are competent and knowledgeable.", False),
            ("trust_3", "I doubt this company has my interests at heart.", True),
        ),
        _items(
            "satisfaction",
            ("sat_1", "Overall I am satisfied with the service.", False),
            ("sat_2", "The service meets my expectations.", False),
        ),
        _items(
            "value",
            ("value_1", "The company recognises and understands me.", False),
            ("value_2", "I get favourable deals as a regular customer.", False),
        ),
        _items(
            "communication",
            ("comm_1", "They respond quickly when I contact them.", False),
            ("comm_2", "They keep me informed.", False),
        ),
        _items(
            "social_bonds",
            ("bond_1", "I have a friendly relationship with the people there.", False),
            ("bond_2", "I would miss the people if I switched.", False),
        ),
    ),
)
"""The five relationship factors of DOMAIN.md 1.4 with *example* items (not validated)."""


@dataclass(frozen=True)
class SurveyScores:
    """Construct scores per respondent (item means and 0-100), answered counts, aggregates."""

    means: pd.DataFrame
    scaled: pd.DataFrame
    answered: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Mean, standard deviation and respondents scored per construct (0-100 scale)."""
        return pd.DataFrame(
            {
                "mean": self.scaled.mean(),
                "sd": self.scaled.std(ddof=1),
                "scored": self.scaled.notna().sum(),
            }
        )


def score_responses(
    instrument: Instrument, responses: pd.DataFrame | npt.ArrayLike, *, min_answered: float = 0.5
) -> SurveyScores:
    """Score survey responses (one row per respondent, one column per item id).

    Parameters
    ----------
    instrument
        The questionnaire.
    responses
        A DataFrame whose columns include every item id (extra columns are ignored), or a 2-d
        array with the items in instrument order.
    min_answered
        A construct is scored for a respondent who answered at least this share (<= 1) or
        this number (> 1) of its items; otherwise the score is missing (NaN), never guessed.
    """
    if not (0 < min_answered <= 1 or (min_answered > 1 and min_answered == int(min_answered))):
        raise DataError(
            f"must be a share in (0, 1] or a whole number of items, got {min_answered!r}",
            column="min_answered",
        )
    items = instrument.items
    if isinstance(responses, pd.DataFrame):
        missing = [i.id for i in items if i.id not in responses.columns]
        if missing:
            raise DataError(f"missing item column(s): {', '.join(missing)}", column=missing[0])
        frame = pd.DataFrame(
            {i.id: as_numbers(responses[i.id].to_numpy(), i.id) for i in items},
            index=responses.index,
        )
    else:
        arr = as_numbers(responses, "responses")
        if arr.ndim != 2 or arr.shape[1] != len(items):
            raise DataError(f"expected respondents x {len(items)} items, got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[i.id for i in items])
    recoded = {}
    for item in items:
        col = frame[item.id].to_numpy()
        answered = ~np.isnan(col)
        bad = answered & ((col < item.low) | (col > item.high) | (col != np.round(col)))
        if bad.any():
            who = frame.index[bad][:5].tolist()
            raise DataError(
                f"answers must be whole numbers in {item.low}..{item.high}",
                column=item.id,
                rows=who,
            )
        recoded[item.id] = item.low + item.high - col if item.reverse else col
    rec = pd.DataFrame(recoded, index=frame.index)
    means, scaled, counts = {}, {}, {}
    for c in instrument.constructs:
        block = rec[[i.id for i in c.items]]
        n_ans = block.notna().sum(axis=1)
        need = min_answered * len(c.items) if min_answered <= 1 else min_answered
        mean = block.mean(axis=1).where(n_ans >= need)
        lo, hi = c.items[0].low, c.items[0].high
        means[c.name] = mean
        scaled[c.name] = 100 * (mean - lo) / (hi - lo)
        counts[c.name] = n_ans
    return SurveyScores(pd.DataFrame(means), pd.DataFrame(scaled), pd.DataFrame(counts))


@dataclass(frozen=True)
class QualityIndex:
    """A relationship-quality index: weights (estimated or given) and per-respondent scores."""

    weights: pd.Series
    ci: pd.DataFrame | None
    scores: pd.Series
    r_squared: float | None


def quality_index(
    construct_scores: pd.DataFrame,
    *,
    weights: dict[str, float] | None = None,
    outcome: npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> QualityIndex:
    """Weighted composite of construct scores.

    Either give ``weights`` (normalised to sum to one), or give an ``outcome`` per respondent
    (e.g. repurchase intention): the weights are then the OLS coefficients of the outcome on
    the constructs (with intercept), normalised to sum to one, and reported with t-based
    confidence intervals (same normalisation) from the OLS covariance.
    """
    check_level(confidence, "confidence")
    scores = construct_scores.dropna()
    if len(scores) != len(construct_scores):
        raise DataError(
            "construct scores have missing values: score complete respondents only",
            rows=construct_scores.index[construct_scores.isna().any(axis=1)][:5].tolist(),
        )
    ci = None
    r2 = None
    if weights is not None:
        w = pd.Series(weights, dtype=float).reindex(scores.columns)
        if w.isna().any() or (w < 0).any() or w.sum() <= 0:
            raise DataError("weights: one non-negative weight per construct, not all zero")
    else:
        if outcome is None:
            raise DataError("give either weights or an outcome to estimate them from")
        y = np.asarray(outcome, dtype=np.float64)
        if y.shape[0] != len(scores) or not np.isfinite(y).all():
            raise DataError("outcome: one finite value per respondent", column="outcome")
        x = np.column_stack([np.ones(len(scores)), scores.to_numpy()])
        n, p = x.shape
        if n <= p:
            raise DataError(f"{n} respondents cannot estimate {p} coefficients")
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        sigma2 = float(resid @ resid) / (n - p)
        cov = sigma2 * np.linalg.inv(x.T @ x)
        se = np.sqrt(np.diag(cov))[1:]
        b = coef[1:]
        total = b.sum()
        if total <= 0:
            raise DataError("estimated weights do not sum to a positive number")
        q = float(t_dist.ppf(0.5 + confidence / 2, n - p))
        w = pd.Series(b / total, index=scores.columns)
        ci = pd.DataFrame(
            {"low": (b - q * se) / total, "high": (b + q * se) / total}, index=scores.columns
        )
        r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    w = w / w.sum()
    return QualityIndex(w, ci, scores @ w, r2)
