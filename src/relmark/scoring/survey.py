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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import t as t_dist

from relmark._validation import as_numbers, check_level, check_number
from relmark.errors import ArgumentError, DataError
from relmark.scoring._align import check_aligned

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
        """Mean, standard deviation and respondents scored per construct (0-100 scale).

        Returns
        -------
        pandas.DataFrame
            One row per construct: ``mean``, ``sd`` and ``scored``.
        """
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

    Returns
    -------
    SurveyScores
        Per respondent and construct: the item mean, the 0-100 score and the items answered.

    Raises
    ------
    ArgumentError
        ``instrument`` not an :class:`Instrument`; ``min_answered`` not a share in (0, 1] nor
        a whole number of items that every construct has (NaN, text, booleans, 2.5, or 3 for
        a construct of two items, which could never be scored).
    DataError
        Naming the item column: a missing column, text or booleans, an answer outside the
        item's scale or not a whole number (with the respondents); no respondents; a
        duplicated item column; an array of the wrong shape (``responses``).

    Examples
    --------
    >>> scores = score_responses(FIVE_FACTORS, [[7, 6, 1, 7, 7, 5, 4, 6, 6, 2, 3]])
    >>> round(float(scores.scaled.loc[0, "trust"]), 2), float(scores.means.loc[0, "satisfaction"])
    (94.44, 7.0)
    """
    if not isinstance(instrument, Instrument):
        raise ArgumentError(
            f"must be an Instrument, got {type(instrument).__name__}", argument="instrument"
        )
    share = check_number(min_answered, "min_answered", low=0.0, low_open=True)
    smallest = min(len(c.items) for c in instrument.constructs)
    if share > 1 and (share != int(share) or share > smallest):
        raise ArgumentError(
            f"must be a share in (0, 1] or a whole number of items <= {smallest} (the smallest "
            f"construct), got {min_answered!r}",
            argument="min_answered",
        )
    items = instrument.items
    if isinstance(responses, pd.DataFrame):
        missing = [i.id for i in items if i.id not in responses.columns]
        if missing:
            raise DataError(f"missing item column(s): {', '.join(missing)}", column=missing[0])
        doubled = [i.id for i in items if int((responses.columns == i.id).sum()) > 1]
        if doubled:
            raise DataError("the item column appears more than once", column=doubled[0])
        frame = pd.DataFrame(
            {i.id: as_numbers(responses[i.id].to_numpy(), i.id) for i in items},
            index=responses.index,
        )
    else:
        arr = as_numbers(responses, "responses")
        if arr.ndim != 2 or arr.shape[1] != len(items):
            raise DataError(
                f"expected respondents x {len(items)} items, got shape {arr.shape}",
                column="responses",
            )
        frame = pd.DataFrame(arr, columns=[i.id for i in items])
    if len(frame) == 0:
        raise DataError("no respondents: the responses are empty", column="responses")
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
        need = share * len(c.items) if share <= 1 else share
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
    weights: Mapping[str, float] | None = None,
    outcome: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> QualityIndex:
    """Weighted composite of construct scores.

    Either give ``weights`` (normalised to sum to one), or give an ``outcome`` per respondent
    (e.g. repurchase intention): the weights are then the OLS coefficients of the outcome on
    the constructs (with intercept), normalised to sum to one, and reported with t-based
    confidence intervals (same normalisation) from the OLS covariance.

    Parameters
    ----------
    construct_scores
        One row per respondent, one numeric column per construct (e.g.
        :attr:`SurveyScores.means`), complete rows.
    weights
        Construct name -> non-negative weight, one for every column.
    outcome
        One finite value per respondent (rows in the same order).
    level
        Coverage of the weights' intervals, strictly between 0 and 1.

    Returns
    -------
    QualityIndex
        Weights, their intervals (estimated weights only), the index per respondent and R².

    Raises
    ------
    ArgumentError
        Both or neither of ``weights`` and ``outcome``; ``weights`` naming unknown constructs,
        missing one, or not finite non-negative numbers summing to more than zero;
        ``level`` outside (0, 1); ``construct_scores`` not a DataFrame.
    DataError
        Naming the column or ``outcome``: no respondents or constructs, text or booleans,
        missing or infinite scores (with the rows), an outcome of the wrong length, NaN or
        constant, or a Series whose index differs from the scores'; too few respondents,
        constructs that are collinear (one is a combination of others, or constant) or
        estimated weights that do not sum to a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"trust": [80.0, 40.0], "satisfaction": [60.0, 20.0]})
    >>> quality_index(scores, weights={"trust": 3, "satisfaction": 1}).scores.tolist()
    [75.0, 35.0]
    """
    check_level(level, "level")
    if not isinstance(construct_scores, pd.DataFrame):
        raise ArgumentError(
            f"must be a DataFrame of construct scores, got {type(construct_scores).__name__}",
            argument="construct_scores",
        )
    if (weights is None) == (outcome is None):
        raise ArgumentError(
            "give either weights or an outcome to estimate them from (not both)",
            argument="weights" if weights is not None else "outcome",
        )
    if construct_scores.shape[1] == 0 or len(construct_scores) == 0:
        raise DataError(
            f"no respondents or no constructs (shape {construct_scores.shape})",
            column="construct_scores",
        )
    labels = list(construct_scores.columns)
    doubled = sorted({str(c) for c in labels if labels.count(c) > 1})
    if doubled:
        raise DataError("the construct column appears more than once", column=doubled[0])
    values = {c: as_numbers(construct_scores[c].to_numpy(), str(c)) for c in construct_scores}
    for c, v in values.items():
        bad = ~np.isfinite(v)
        if bad.any():
            raise DataError(
                "construct scores have missing or infinite values: score complete respondents only",
                column=str(c),
                rows=construct_scores.index[bad].tolist(),
            )
    scores = pd.DataFrame(values, index=construct_scores.index)
    ci = None
    r2 = None
    if weights is not None:
        if not isinstance(weights, Mapping):
            raise ArgumentError("must map construct names to weights", argument="weights")
        unknown = sorted(map(str, set(weights) - set(scores.columns)))
        absent = [str(c) for c in labels if c not in weights]
        if unknown or absent:
            raise ArgumentError(
                f"one weight per construct: unknown {unknown}, missing {absent}",
                argument="weights",
            )
        given = [check_number(weights[c], f"weights[{c!r}]", low=0.0) for c in scores.columns]
        w = pd.Series(given, index=scores.columns, dtype=np.float64)
        if w.max() > 0:  # only the proportions count: 1e308 + 1e308 would overflow the sum
            w = w / w.max()
        if w.sum() <= 0:
            raise ArgumentError("the weights are all zero", argument="weights")
    else:
        check_aligned({"construct_scores": construct_scores, "outcome": outcome})
        y = as_numbers(outcome, "outcome")  # type: ignore[arg-type]
        if y.shape != (len(scores),):
            raise DataError(
                f"one value per respondent: shape {y.shape} for {len(scores)} respondents",
                column="outcome",
            )
        bad = ~np.isfinite(y)
        if bad.any():
            raise DataError(
                "missing or infinite values", column="outcome", rows=np.flatnonzero(bad).tolist()
            )
        if np.ptp(y) == 0:
            raise DataError("the outcome is constant: no weights to estimate", column="outcome")
        # the regression runs on standardised columns (centred, unit spread) and an outcome
        # scaled to unit spread: the normalised weights, their intervals and R^2 are the same,
        # and scores of 1e300 or 1e-300 neither overflow nor look collinear to the rank test
        raw = scores.to_numpy()
        size = np.maximum(np.abs(raw).max(axis=0), np.finfo(np.float64).tiny)
        raw = raw / size
        raw = raw - raw.mean(axis=0)
        spread = np.abs(raw).max(axis=0)
        spread = np.where(spread > 0, spread, 1.0)  # a constant column stays 0: collinear
        y = y / np.abs(y).max()
        y = y - y.mean()
        y = y / np.abs(y).max()
        x = np.column_stack([np.ones(len(scores)), raw / spread])
        n, p = x.shape
        if n <= p:
            raise DataError(
                f"{n} respondents cannot estimate {p} coefficients", column="construct_scores"
            )
        if np.linalg.matrix_rank(x) < p:
            raise DataError(
                "the constructs are collinear (one is constant or a combination of the "
                "others): their weights cannot be told apart; drop or merge constructs",
                column="construct_scores",
            )
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        sigma2 = float(resid @ resid) / (n - p)
        cov = sigma2 * np.linalg.pinv(x.T @ x)
        unscale = 1.0 / (size * spread)  # back to the coefficients of the given scores
        unscale = unscale / unscale.max()  # (up to one factor, which the weights drop)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))[1:] * unscale
        b = coef[1:] * unscale
        total = b.sum()
        if not total > 0:
            raise DataError(
                "estimated weights do not sum to a positive number", column="construct_scores"
            )
        q = float(t_dist.isf((1 - level) / 2, n - p))  # isf: precise for levels close to 1
        w = pd.Series(b / total, index=scores.columns)
        ci = pd.DataFrame(
            {"low": (b - q * se) / total, "high": (b + q * se) / total}, index=scores.columns
        )
        r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    w = w / w.sum()
    return QualityIndex(w, ci, scores @ w, r2)
