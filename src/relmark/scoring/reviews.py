r"""Ratings that hold up on few reviews, review volume/valence/recency, and when to ask.

A product with one five-star review is not better than one with 400 reviews averaging 4.8.
Four estimators shrink or bound what few reviews say:

- :func:`bayesian_average`: the mean star shrunk toward a stated prior mean :math:`m` with the
  weight of :math:`C` pseudo-reviews, :math:`(C m + n \bar x)/(C + n)`;
- :func:`wilson_interval` / :func:`wilson_lower_bound`: the Wilson (1927) score interval of the
  share of positive ratings, whose lower end ranks items by "at least this share is positive";
- :func:`star_posterior`: a Dirichlet posterior of the star shares (the multinomial's conjugate
  prior) and the credible interval of the mean star, exact moments with a beta approximation,
  or Monte-Carlo;
- :func:`review_aggregates`: per product or partner, volume, valence (mean stars), share
  positive and recency, from :class:`~relmark.domain.review.Review` objects or a frame;

and :func:`review_hazard`, the discrete-time response hazard by days since purchase from
review-request logs with censoring (a life table, Kaplan & Meier 1958): the day on which a
request is most likely to be answered is when to ask.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import beta as beta_dist
from scipy.stats import norm

from relmark._validation import (
    FloatArray,
    as_numbers,
    broadcast_columns,
    check_choice,
    check_count,
    check_level,
    check_number,
    check_rng,
)
from relmark.domain.review import MAX_STARS, Review, reviews_to_frame
from relmark.errors import ArgumentError, DataError
from relmark.typing import RngLike

__all__ = [
    "StarPosterior",
    "bayesian_average",
    "review_aggregates",
    "review_hazard",
    "star_posterior",
    "wilson_interval",
    "wilson_lower_bound",
]

MAX_COUNT = 1e15
"""The largest star count or Dirichlet pseudo-count :func:`star_posterior` accepts (beyond it
the posterior's quantiles lose all precision)."""

MAX_DAY = 1_000_000
"""The last day since purchase :func:`review_hazard` tabulates."""

MAX_DRAWS = 1_000_000
"""The most Monte-Carlo draws :func:`star_posterior` takes per item."""


def _whole_nonnegative(x: FloatArray, name: str) -> None:
    bad = (x < 0) | (x != np.floor(x))
    if bad.any():
        raise DataError(
            "must be whole numbers >= 0", column=name, rows=np.flatnonzero(bad).tolist()
        )


def _pair(first: str, a: npt.ArrayLike, second: str, b: npt.ArrayLike) -> tuple[FloatArray, ...]:
    """Two per-item columns of one length (a number is broadcast); errors name a column (the
    second one when the lengths differ)."""
    try:
        return broadcast_columns({first: a, second: b})
    except DataError as exc:
        if exc.column is not None:
            raise
        raise DataError(f"{exc} ({first} and {second})", column=second) from None


def bayesian_average(
    mean: npt.ArrayLike,
    count: npt.ArrayLike,
    *,
    prior_mean: float,
    prior_weight: float,
) -> FloatArray:
    r"""The mean rating shrunk toward a prior: a Bayesian (credibility-weighted) average.

    .. math:: \tilde x = \frac{C\,m + n\,\bar x}{C + n}

    where :math:`\bar x` is an item's mean rating over its :math:`n` reviews, :math:`m` the
    prior mean (e.g. the mean over all items) and :math:`C` the prior weight, counted in
    reviews: an item with :math:`n = C` reviews sits halfway between its own mean and
    :math:`m`. It is the posterior mean of a normal mean with a normal prior of variance
    :math:`\sigma^2/C` (Bühlmann credibility; e.g. Gelman et al. 2013, *Bayesian Data
    Analysis*, 3rd ed., sec. 2.5).

    Parameters
    ----------
    mean
        Each item's mean rating :math:`\bar x` (any finite number where ``count`` is 0: it
        is ignored there), a number or a 1-d array.
    count
        Each item's number of reviews :math:`n`, whole numbers >= 0, a number or a 1-d array
        of the same length as ``mean``.
    prior_mean
        The prior mean :math:`m`, a finite number.
    prior_weight
        The prior's weight :math:`C` in pseudo-reviews, > 0 (with 0 the plain mean is the
        answer).

    Returns
    -------
    numpy.ndarray
        One shrunk mean per item, between :math:`\bar x` and :math:`m`; :math:`m` where
        :math:`n = 0`.

    Raises
    ------
    ArgumentError
        ``prior_mean`` not finite or ``prior_weight`` not > 0.
    DataError
        Naming ``mean`` or ``count``: text, booleans, NaN or infinite values, different
        lengths, or counts that are negative or not whole (with the rows).

    Examples
    --------
    One five-star review against 400 reviews averaging 4.8, prior 3.9 weighted as 10 reviews:

    >>> bayesian_average([5.0, 4.8], [1, 400], prior_mean=3.9, prior_weight=10).round(4)
    array([4.    , 4.7780])
    """
    m = check_number(prior_mean, "prior_mean")
    c = check_number(prior_weight, "prior_weight", low=0.0, low_open=True)
    x, n = _pair("mean", mean, "count", count)
    _whole_nonnegative(n, "count")
    share = n / (c + n)  # in [0, 1): no overflow for huge counts
    out: FloatArray = (1.0 - share) * m + share * x  # a convex combination: never overflows
    return out


def _wilson_inputs(
    positive: npt.ArrayLike, total: npt.ArrayLike, level: float
) -> tuple[FloatArray, FloatArray, float]:
    lev = check_level(level, "level")
    k, n = _pair("positive", positive, "total", total)
    _whole_nonnegative(k, "positive")
    _whole_nonnegative(n, "total")
    over = k > n
    if over.any():
        raise DataError(
            "more positive ratings than ratings (positive > total)",
            column="positive",
            rows=np.flatnonzero(over).tolist(),
        )
    return k, n, float(norm.isf((1.0 - lev) / 2))  # 0.5 + lev/2 rounds to 1 near lev = 1


def wilson_interval(
    positive: npt.ArrayLike, total: npt.ArrayLike, *, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    r"""The Wilson score interval of the share of positive ratings (Wilson 1927).

    With :math:`\hat p = k/n` positive out of :math:`n` ratings and
    :math:`z = \Phi^{-1}(1/2 + \text{level}/2)`:

    .. math::

        \frac{\hat p + \frac{z^2}{2n} \mp z\sqrt{\frac{\hat p(1-\hat p)}{n}
        + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}

    the interval that inverts the score test; unlike :math:`\hat p \pm z\,se` it stays in
    [0, 1] and does not collapse to a point at :math:`k = 0` or :math:`k = n` (Wilson, E. B.
    1927, "Probable inference, the law of succession, and statistical inference", *JASA*
    22(158), 209-212; Agresti & Coull 1998, *Am. Stat.* 52(2)). It is statsmodels'
    ``proportion_confint(k, n, alpha=1 - level, method="wilson")``.

    Parameters
    ----------
    positive
        Positive ratings :math:`k` per item (e.g. 4 and 5 stars), whole numbers >= 0.
    total
        Ratings :math:`n` per item, whole numbers >= ``positive``. With :math:`n = 0` the
        interval is [0, 1]: nothing is known.
    level
        Coverage of the two-sided interval, strictly between 0 and 1.

    Returns
    -------
    lower, upper : numpy.ndarray
        Within [0, 1], ``lower <= k/n <= upper``.

    Raises
    ------
    ArgumentError
        ``level`` outside (0, 1).
    DataError
        Naming ``positive`` or ``total``: text, booleans, NaN, infinite, negative or fractional
        counts, different lengths, or ``positive > total`` (with the rows).

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.4902, 0.9433)
    """
    k, n, z = _wilson_inputs(positive, total, level)
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    z2 = z * z
    denom = 1.0 + z2 / safe
    centre = (p + z2 / 2 / safe) / denom  # 2 * n overflows for n near 1e308
    half = z * np.sqrt(p * (1 - p) / safe + (z / 2 / safe) ** 2) / denom
    lower = np.where(n > 0, np.clip(centre - half, 0.0, p), 0.0)
    upper = np.where(n > 0, np.clip(centre + half, p, 1.0), 1.0)
    return lower, upper


def wilson_lower_bound(
    positive: npt.ArrayLike, total: npt.ArrayLike, *, level: float = 0.95
) -> FloatArray:
    r"""The lower end of the Wilson score interval of the share of positive ratings: a ranking
    that does not put one 5-star review above 95 of 100 (Miller 2009, "How not to sort by
    average rating"). See :func:`wilson_interval` for the formula.

    Parameters
    ----------
    positive
        Positive ratings per item, whole numbers >= 0.
    total
        Ratings per item, whole numbers >= ``positive`` (0 gives a bound of 0).
    level
        Coverage of the two-sided interval whose lower end this is (0.95: :math:`z = 1.96`).

    Returns
    -------
    numpy.ndarray
        One bound per item, in [0, 1].

    Raises
    ------
    ArgumentError
        ``level`` outside (0, 1).
    DataError
        As :func:`wilson_interval`.

    Examples
    --------
    >>> wilson_lower_bound([1, 95], [1, 100]).round(4)
    array([0.2065, 0.8882])
    """
    return wilson_interval(positive, total, level=level)[0]


@dataclass(frozen=True)
class StarPosterior:
    """The Dirichlet posterior of star ratings, per item.

    ``alpha[i][k]`` is item ``i``'s posterior parameter of star ``k + 1`` (prior plus count);
    ``mean``, ``sd``, ``lower`` and ``upper`` describe the posterior of the mean star
    :math:`\\sum_k k\\,p_k`, on the 1..K scale.
    """

    alpha: tuple[tuple[float, ...], ...]
    mean: tuple[float, ...]
    sd: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    level: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field.

        Returns
        -------
        dict
            Field name -> lists of numbers (``level`` a number, ``method`` a string).
        """
        return {
            "alpha": [list(a) for a in self.alpha],
            "mean": list(self.mean),
            "sd": list(self.sd),
            "lower": list(self.lower),
            "upper": list(self.upper),
            "level": self.level,
            "method": self.method,
        }

    def to_json(self) -> str:
        """The posterior as JSON text.

        Returns
        -------
        str
            :meth:`to_dict` as JSON.
        """
        return json.dumps(self.to_dict(), allow_nan=False)


def _prior_vector(prior: object, stars: int) -> FloatArray:
    if isinstance(prior, int | float | np.integer | np.floating | np.bool_):
        a = check_number(prior, "prior", low=0.0, low_open=True, high=MAX_COUNT)
        return np.full(stars, a)
    try:
        arr = as_numbers(prior, "prior")  # type: ignore[arg-type]
    except DataError as exc:
        raise ArgumentError(str(exc), argument="prior") from None
    if arr.shape != (stars,) or not (np.isfinite(arr) & (arr > 0) & (arr <= MAX_COUNT)).all():
        raise ArgumentError(
            f"must be a number in (0, {MAX_COUNT:g}] or {stars} such numbers, one per star",
            argument="prior",
        )
    return arr


def star_posterior(
    counts: npt.ArrayLike,
    *,
    prior: float | npt.ArrayLike = 1.0,
    level: float = 0.95,
    method: str = "exact",
    draws: int = 20_000,
    rng: RngLike = None,
) -> StarPosterior:
    r"""Dirichlet posterior of star ratings and the credible interval of the mean star.

    With counts :math:`c_k` of ratings of :math:`k = 1..K` stars and a Dirichlet prior
    :math:`\alpha^0_k` (pseudo-counts), the star shares are
    :math:`p \sim \text{Dirichlet}(\alpha)`, :math:`\alpha_k = \alpha^0_k + c_k`,
    :math:`\alpha_0 = \sum_k \alpha_k` (the multinomial's conjugate prior; Gelman et al. 2013,
    *Bayesian Data Analysis*, 3rd ed., sec. 3.4). The mean star :math:`\mu = \sum_k k\,p_k`
    has exactly

    .. math::

        E\mu = \sum_k k\,\frac{\alpha_k}{\alpha_0}, \qquad
        \operatorname{Var}\mu = \frac{\sum_k k^2 \alpha_k/\alpha_0 - (E\mu)^2}{\alpha_0 + 1}.

    ``method="exact"`` uses these moments and a **beta approximation**: :math:`(\mu-1)/(K-1)`
    is taken as the beta with that mean and variance (method of moments), whose equal-tailed
    quantiles give the interval (exact for :math:`K = 2`, where the posterior of the share is
    a beta). ``method="monte_carlo"`` draws ``draws`` share vectors from the Dirichlet with
    ``rng`` and reports their mean, standard deviation and empirical quantiles.

    Parameters
    ----------
    counts
        Star counts: a 1-d array of :math:`K \geq 2` counts (one item) or a 2-d array of items
        by stars, whole numbers in 0..:data:`MAX_COUNT`; column ``k`` is ``k + 1`` stars.
    prior
        Dirichlet pseudo-counts: one number in (0, :data:`MAX_COUNT`] for every star (1:
        uniform) or :math:`K` such numbers.
    level
        Coverage of the equal-tailed credible interval, strictly between 0 and 1.
    method
        ``"exact"`` (moments and beta approximation) or ``"monte_carlo"``.
    draws
        Monte-Carlo draws per item (100 to :data:`MAX_DRAWS`; checked, but unused by
        ``"exact"``).
    rng
        Random generator or seed for ``"monte_carlo"``.

    Returns
    -------
    StarPosterior
        Posterior parameters, and mean, sd and interval of the mean star per item, on the
        1..K scale with ``1 <= lower <= upper <= K``.

    Raises
    ------
    ArgumentError
        ``prior`` not > 0 or of the wrong length, ``level`` outside (0, 1), ``method`` not one
        of the two, ``draws`` outside 100..MAX_DRAWS, ``rng`` not a generator or seed.
    DataError
        Naming ``counts``: not 1-d or 2-d, fewer than 2 stars, no items, text, booleans, NaN,
        infinite, negative or fractional counts (with the item rows).

    Examples
    --------
    >>> post = star_posterior([0, 0, 1, 3, 6])
    >>> round(post.mean[0], 4), round(post.sd[0], 4)
    (4.0, 0.3028)
    >>> [round(x, 2) for x in (post.lower[0], post.upper[0])]
    [3.4, 4.5]
    """
    lev = check_level(level, "level")
    how = check_choice(method, "method", ("exact", "monte_carlo"))
    n_draws = check_count(draws, "draws", minimum=100)
    if n_draws > MAX_DRAWS:
        raise ArgumentError(f"must be <= {MAX_DRAWS}, got {draws!r}", argument="draws")
    gen = check_rng(rng)
    c = as_numbers(counts, "counts")
    if c.ndim == 1:
        c = c.reshape(1, -1)
    if c.ndim != 2:
        raise DataError(
            f"must be 1-d (stars) or 2-d (items x stars), got {c.ndim}-d", column="counts"
        )
    if c.shape[0] == 0:
        raise DataError("no items: the counts are empty", column="counts")
    if c.shape[1] < 2:
        raise DataError(f"needs at least 2 stars, got {c.shape[1]}", column="counts")
    bad = ~(np.isfinite(c) & (c >= 0) & (c == np.floor(c)) & (c <= MAX_COUNT)).all(axis=1)
    if bad.any():
        raise DataError(
            f"counts must be whole numbers in 0..{MAX_COUNT:g}",
            column="counts",
            rows=np.flatnonzero(bad).tolist(),
        )
    stars = c.shape[1]
    alpha = c + _prior_vector(prior, stars)
    grid = np.arange(1, stars + 1, dtype=np.float64)
    lo_q, hi_q = 0.5 - lev / 2, 0.5 + lev / 2
    a0 = alpha.sum(axis=1)
    if how == "exact":
        share = alpha / a0[:, None]
        mean = share @ grid
        spread = np.maximum(share @ grid**2 - mean**2, 0.0)
        var = spread / (a0 + 1.0)
        span = stars - 1.0
        m = np.clip((mean - 1.0) / span, 1e-300, 1 - 1e-16)
        v = var / span**2
        # >= a0 > 0 as Var(mu) <= m(1-m)/(a0+1); rounding can lose a tiny a0 (prior 1e-300)
        nu = np.maximum(m * (1 - m) / np.maximum(v, 1e-300) - 1.0, a0)
        a, b = m * nu, (1 - m) * nu
        lower = 1.0 + span * beta_dist.ppf(lo_q, a, b)
        upper = 1.0 + span * beta_dist.ppf(hi_q, a, b)
        sd = np.sqrt(var)
    else:
        mean, sd, lower, upper = (np.empty(c.shape[0]) for _ in range(4))
        for i, row in enumerate(alpha):
            mu = gen.dirichlet(row, size=n_draws) @ grid
            mean[i], sd[i] = mu.mean(), mu.std(ddof=1)
            lower[i], upper[i] = np.quantile(mu, [lo_q, hi_q])
    lower = np.clip(np.minimum(lower, mean), 1.0, stars)
    upper = np.clip(np.maximum(upper, mean), 1.0, stars)

    def floats(x: FloatArray) -> tuple[float, ...]:
        return tuple(float(v) for v in x)

    return StarPosterior(
        alpha=tuple(floats(row) for row in alpha),
        mean=floats(mean),
        sd=floats(sd),
        lower=floats(lower),
        upper=floats(upper),
        level=lev,
        method=how,
    )


_REVIEW_COLUMNS = ("item_id", "stars", "at")


def _review_frame(reviews: Sequence[Review] | pd.DataFrame) -> pd.DataFrame:
    if not isinstance(reviews, pd.DataFrame):
        return reviews_to_frame(reviews)[list(_REVIEW_COLUMNS)]
    missing = [col for col in _REVIEW_COLUMNS if col not in reviews.columns]
    if missing:
        raise DataError(f"missing columns {missing}", column=missing[0])
    if len(reviews) == 0:
        raise DataError("no reviews: the frame is empty", column="stars")
    frame = reviews[list(_REVIEW_COLUMNS)].reset_index(drop=True)
    ids = frame["item_id"]
    is_text = ids.map(lambda v: isinstance(v, str) and v.strip() == v != "").to_numpy(dtype=bool)
    is_int = ids.map(
        lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)
    ).to_numpy(dtype=bool)
    kind = is_text if is_text.sum() >= is_int.sum() else is_int
    if not kind.all():  # "7" and 7 would be two items that look alike: one kind of id only
        raise DataError(
            "item ids must be all non-empty text without surrounding spaces, or all whole "
            "numbers (not booleans, NaN or a mix of the two)",
            column="item_id",
            rows=np.flatnonzero(~kind).tolist(),
        )
    stars = frame["stars"]
    if stars.dtype.kind not in "iuf":
        raise DataError("stars must be numbers (not text or booleans)", column="stars")
    s = stars.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(s) | (s < 1) | (s != np.floor(s)) | (s > MAX_STARS)
    if bad.any():
        raise DataError(
            f"stars must be whole numbers in 1..{MAX_STARS}",
            column="stars",
            rows=np.flatnonzero(bad).tolist(),
        )
    at = frame["at"]
    if not isinstance(at.dtype, pd.DatetimeTZDtype):
        raise DataError("must be timezone-aware timestamps", column="at")
    if at.isna().any():
        raise DataError(
            "missing timestamps", column="at", rows=np.flatnonzero(at.isna().to_numpy()).tolist()
        )
    return frame


def review_aggregates(
    reviews: Sequence[Review] | pd.DataFrame,
    *,
    as_of: pd.Timestamp | Any,
    positive_from: int = 4,
    window_days: float = 90.0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Volume, valence and recency of reviews per product or partner.

    Volume is the number of reviews; valence the mean stars (the two dimensions of
    word-of-mouth whose effects on sales differ, Liu 2006, *J. Marketing* 70(3), 74-89;
    Chevalier & Mayzlin 2006, *JMR* 43(3)); recency the days since the latest review. The
    share positive and the lower end of its Wilson interval at ``level``
    (:func:`wilson_lower_bound`) are given beside them.

    Parameters
    ----------
    reviews
        :class:`~relmark.domain.review.Review` objects, or a frame with columns ``item_id``
        (product or partner id), ``stars`` (whole numbers in 1..5) and ``at`` (timezone-aware
        timestamps).
    as_of
        The reference time (timezone-aware), not before any review.
    positive_from
        The fewest stars that count as positive (4: 4 and 5 stars of 5), >= 1.
    window_days
        The window, in days before ``as_of``, of ``recent_volume`` (> 0).
    level
        Coverage of the Wilson interval whose lower end is ``wilson_lower``, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``item_id`` (sorted), columns ``volume``, ``valence``, ``positive_share``,
        ``wilson_lower``, ``last_review``, ``days_since_last`` and ``recent_volume``.

    Raises
    ------
    ArgumentError
        ``as_of`` not a timezone-aware time, or earlier than a review; ``positive_from`` not a
        whole number >= 1; ``window_days`` not > 0; ``level`` outside (0, 1).
    DataError
        A missing column, an empty input, bad item ids, stars or timestamps (with the rows);
        a list that holds something other than reviews, or a review id twice.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from relmark.domain.review import Review
    >>> day = lambda d: datetime(2026, 3, d, tzinfo=timezone.utc)
    >>> reviews = [Review(id="1", item_id="a", stars=5, at=day(1)),
    ...            Review(id="2", item_id="a", stars=3, at=day(20)),
    ...            Review(id="3", item_id="b", stars=4, at=day(10))]
    >>> agg = review_aggregates(reviews, as_of=day(30))
    >>> agg[["volume", "valence", "days_since_last"]].to_dict("index")
    {'a': {'volume': 2, 'valence': 4.0, 'days_since_last': 10.0}, 'b': {'volume': 1, \
'valence': 4.0, 'days_since_last': 20.0}}
    """
    top = check_count(positive_from, "positive_from", minimum=1)
    window = check_number(window_days, "window_days", low=0.0, low_open=True)
    lev = check_level(level, "level")
    try:
        ref = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"must be a timezone-aware time, got {as_of!r}", argument="as_of"
        ) from None
    if pd.isna(ref) or ref.tzinfo is None:
        raise ArgumentError(f"must be a timezone-aware time, got {as_of!r}", argument="as_of")
    frame = _review_frame(reviews)
    at = frame["at"]
    late = (at > ref).to_numpy()
    if late.any():
        first = int(np.flatnonzero(late)[0])
        raise ArgumentError(
            f"is before review row {first} ({at.iloc[first]}); {int(late.sum())} reviews are later",
            argument="as_of",
        )
    stars = frame["stars"].to_numpy(dtype=np.float64)
    age_days = (ref - at).dt.total_seconds().to_numpy() / 86_400.0
    work = pd.DataFrame(
        {
            "item_id": frame["item_id"].to_numpy(),
            "stars": stars,
            "positive": (stars >= top).astype(np.int64),
            "recent": (age_days <= window).astype(np.int64),
            "at": at.to_numpy(),
            "age": age_days,
        }
    )
    grouped = work.groupby("item_id", sort=True)
    out = pd.DataFrame(
        {
            "volume": grouped.size().astype(np.int64),
            "valence": grouped["stars"].mean(),
            "positive": grouped["positive"].sum(),
            "last_review": grouped["at"].max(),
            "days_since_last": grouped["age"].min(),
            "recent_volume": grouped["recent"].sum().astype(np.int64),
        }
    )
    out["positive_share"] = out["positive"] / out["volume"]
    out["wilson_lower"] = wilson_lower_bound(
        out["positive"].to_numpy(), out["volume"].to_numpy(), level=lev
    )
    out.index.name = "item_id"
    return out[
        [
            "volume",
            "valence",
            "positive_share",
            "wilson_lower",
            "last_review",
            "days_since_last",
            "recent_volume",
        ]
    ]


def review_hazard(
    days: npt.ArrayLike, responded: npt.ArrayLike, *, max_day: int | None = None
) -> pd.DataFrame:
    r"""The daily response hazard of review requests by days since purchase (a life table).

    Each request is followed from purchase (day 0): either a review came on day :math:`t_i`
    (``responded``), or none had come when it was last observed, :math:`t_i` days after
    purchase (censored: the customer may still review). A censored request counts as at risk
    on every day up to and including :math:`t_i`. On day :math:`d`:

    .. math::

        n_d = \#\{i: t_i \geq d\}, \quad r_d = \#\{i: t_i = d, \text{responded}\}, \quad
        h_d = r_d / n_d, \quad F_d = 1 - \prod_{j \le d} (1 - h_j),

    the discrete-time hazard and the cumulative share that has reviewed (the Kaplan-Meier
    product-limit estimator, Kaplan & Meier 1958, *JASA* 53(282), 457-481, on a daily grid;
    Singer & Willett 1993, *J. Educ. Stat.* 18(2), 155-195, for the discrete-time hazard).
    Censored requests are neither dropped nor counted as "never reviews". The day of the
    highest hazard is the best day to send (or repeat) the request.

    Parameters
    ----------
    days
        Whole days since purchase at the review or at censoring, 0..:data:`MAX_DAY`, one per
        request.
    responded
        True where a review came on that day, False where the request is censored there.
    max_day
        The last day of the table (default: the largest ``days``), at most :data:`MAX_DAY`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``day`` 0..max_day, columns ``at_risk``, ``responses``, ``censored``,
        ``hazard`` and ``cumulative_response``; ``hazard`` is 0 on a day with nobody at risk
        and ``cumulative_response`` then stays where it was.

    Raises
    ------
    ArgumentError
        ``max_day`` not a whole number in 0..MAX_DAY.
    DataError
        Naming ``days``: empty, not 1-d, text, booleans, NaN, infinite, negative or fractional
        days; naming ``responded``: not booleans or of another length (with the rows).

    Examples
    --------
    >>> table = review_hazard([1, 1, 2, 3, 3], [True, False, True, True, False])
    >>> table[["at_risk", "responses", "hazard"]].loc[1:].to_dict("list")
    {'at_risk': [5, 3, 2], 'responses': [1, 1, 1], 'hazard': [0.2, 0.3333333333333333, 0.5]}
    """
    t = as_numbers(days, "days")
    if t.ndim != 1:
        raise DataError(f"must be 1-d, got shape {t.shape}", column="days")
    if t.size == 0:
        raise DataError("no requests: the input is empty", column="days")
    bad = ~np.isfinite(t) | (t < 0) | (t != np.floor(t)) | (t > MAX_DAY)
    if bad.any():
        raise DataError(
            f"must be whole numbers of days in 0..{MAX_DAY}",
            column="days",
            rows=np.flatnonzero(bad).tolist(),
        )
    if isinstance(responded, str | bytes):
        raise DataError("must be booleans, one per request", column="responded")
    try:
        r = np.asarray(responded)
    except (TypeError, ValueError):
        raise DataError("must be booleans, one per request", column="responded") from None
    if r.dtype.kind != "b":
        raise DataError("must be booleans (True/False), one per request", column="responded")
    if r.shape != t.shape:
        raise DataError(f"has shape {r.shape} for {t.size} requests", column="responded")
    last = int(t.max()) if max_day is None else check_count(max_day, "max_day")
    if last > MAX_DAY:
        raise ArgumentError(f"must be <= {MAX_DAY}, got {max_day!r}", argument="max_day")
    grid = np.arange(last + 1)
    ti = t.astype(np.int64)
    counts_all = np.bincount(ti, minlength=max(last, int(ti.max())) + 1)
    responses = np.bincount(ti[r], minlength=counts_all.size)[: last + 1]
    censored = np.bincount(ti[~r], minlength=counts_all.size)[: last + 1]
    at_risk = counts_all[::-1].cumsum()[::-1][: last + 1]
    hazard = np.divide(
        responses, at_risk, out=np.zeros(last + 1, dtype=np.float64), where=at_risk > 0
    )
    cumulative = 1.0 - np.cumprod(1.0 - hazard)
    return pd.DataFrame(
        {
            "at_risk": at_risk.astype(np.int64),
            "responses": responses.astype(np.int64),
            "censored": censored.astype(np.int64),
            "hazard": hazard,
            "cumulative_response": cumulative,
        },
        index=pd.Index(grid, name="day"),
    )
