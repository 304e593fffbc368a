# mypy: disable-error-code="arg-type, list-item, dict-item, call-overload"
# (the bad-input cases call the API with deliberately ill-typed arguments)
"""Rating aggregates that hold up on few reviews, checked against hand computations,
statsmodels (Wilson), exact beta quantiles (two stars) and simulation (Dirichlet)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta as beta_dist

from relmark.domain import Review
from relmark.errors import ArgumentError, DataError
from relmark.scoring import (
    StarPosterior,
    bayesian_average,
    review_aggregates,
    review_hazard,
    star_posterior,
    wilson_interval,
    wilson_lower_bound,
)
from tests.scoring.strategies import request_logs, star_counts


def day(d: int) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=d - 1)


# --- Bayesian average -----------------------------------------------------------------------


def test_bayesian_average_by_hand() -> None:
    # (C m + n x)/(C + n) with m = 3.9, C = 10:
    # one 5-star review: (39 + 5)/11 = 4.0; 400 reviews at 4.8: (39 + 1920)/410 = 4.778048...;
    # no review: the prior 3.9.
    got = bayesian_average([5.0, 4.8, 2.0], [1, 400, 0], prior_mean=3.9, prior_weight=10)
    np.testing.assert_allclose(got, [4.0, 1959 / 410, 3.9], rtol=1e-14)


def test_extreme_values_stay_finite() -> None:
    # a convex combination of +-1e308 with equal weights is 0 (m + w(x - m) overflowed)
    assert bayesian_average(1e308, 1, prior_mean=-1e308, prior_weight=1)[0] == 0.0
    lo, hi = wilson_interval(1e300, 1e300)
    assert np.isfinite(lo).all() and hi[0] == 1.0
    assert lo[0] == pytest.approx(1.0)


def test_bayesian_average_huge_counts_are_the_plain_mean() -> None:
    got = bayesian_average(4.2, 1e300, prior_mean=1.0, prior_weight=5)
    assert np.isfinite(got).all()
    assert got[0] == pytest.approx(4.2, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    x=st.floats(1, 5),
    n=st.integers(0, 10_000),
    m=st.floats(1, 5),
    c=st.floats(0.01, 1000),
)
def test_bayesian_average_lies_between_mean_and_prior(x: float, n: int, m: float, c: float) -> None:
    got = float(bayesian_average(x, n, prior_mean=m, prior_weight=c)[0])
    assert min(x, m) - 1e-12 <= got <= max(x, m) + 1e-12
    # more reviews pull it toward the item's own mean
    more = float(bayesian_average(x, n + 1, prior_mean=m, prior_weight=c)[0])
    assert abs(more - x) <= abs(got - x) + 1e-12


# --- Wilson ---------------------------------------------------------------------------------


def test_wilson_by_hand() -> None:
    # k = 8, n = 10, z = 1.9599640: p = 0.8, z^2 = 3.8414588, denominator 1 + z^2/n = 1.3841459;
    # centre (0.8 + 0.1920729)/1.3841459 = 0.7167402;
    # half z*sqrt(0.016 + 0.0096036)/1.3841459 = 1.9599640*0.1600114/1.3841459 = 0.2265777
    lo, hi = wilson_interval(8, 10)
    assert lo[0] == pytest.approx(0.7167402 - 0.2265777, abs=2e-7)
    assert hi[0] == pytest.approx(0.7167402 + 0.2265777, abs=2e-7)
    assert wilson_lower_bound(8, 10)[0] == lo[0]


def test_wilson_all_positive_and_none_positive() -> None:
    # k = n = 1: lower = (1 + z^2/2 - z*sqrt(z^2/4))/(1 + z^2) = 1/(1 + z^2) = 0.2065493
    z2 = 1.959963984540054**2
    lo, hi = wilson_interval([1, 0], [1, 5])
    assert lo[0] == pytest.approx(1 / (1 + z2), rel=1e-12)
    assert hi[0] == 1.0
    # k = 0, n = 5: upper = (z^2/10 + z*sqrt(z^2/100))/(1 + z^2/5) = (z^2/5)/(1 + z^2/5)
    assert lo[1] == 0.0
    assert hi[1] == pytest.approx((z2 / 5) / (1 + z2 / 5), rel=1e-12)


def test_wilson_no_ratings_is_the_unit_interval() -> None:
    lo, hi = wilson_interval(0, 0)
    assert (lo[0], hi[0]) == (0.0, 1.0)


def test_wilson_agrees_with_statsmodels() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    k = np.array([0, 1, 3, 8, 50, 95, 999, 123_456])
    n = np.array([1, 1, 7, 10, 51, 100, 1000, 200_000])
    for level in (0.8, 0.95, 0.99):
        lo, hi = wilson_interval(k, n, level=level)
        ref_lo, ref_hi = proportion.proportion_confint(k, n, alpha=1 - level, method="wilson")
        np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
        np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


def test_wilson_ranks_one_perfect_review_below_many_good_ones() -> None:
    bounds = wilson_lower_bound([1, 95], [1, 100])
    assert bounds[0] < bounds[1]


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(0, 10**9),
    share=st.floats(0, 1),
    level=st.floats(0.01, 0.999),
)
def test_wilson_interval_contains_the_share(n: int, share: float, level: float) -> None:
    k = math.floor(share * n)
    lo, hi = wilson_interval(k, n, level=level)
    p = k / n if n else 0.5
    assert 0.0 <= lo[0] <= p <= hi[0] <= 1.0


# --- Dirichlet star posterior ---------------------------------------------------------------


def test_star_posterior_moments_by_hand() -> None:
    # counts (0, 0, 1, 3, 6) + uniform prior: alpha = (1, 1, 2, 4, 7), alpha0 = 15;
    # E mu = (1 + 2 + 6 + 16 + 35)/15 = 4; E[k^2] = (1 + 4 + 18 + 64 + 175)/15 = 262/15;
    # Var mu = (262/15 - 16)/16 = 0.0916667, sd = 0.3027650
    post = star_posterior([0, 0, 1, 3, 6])
    assert post.alpha == ((1.0, 1.0, 2.0, 4.0, 7.0),)
    assert post.mean[0] == pytest.approx(4.0, rel=1e-14)
    assert post.sd[0] == pytest.approx(math.sqrt((262 / 15 - 16) / 16), rel=1e-12)
    assert 1 <= post.lower[0] < 4.0 < post.upper[0] <= 5


def test_two_stars_is_the_exact_beta() -> None:
    # K = 2: the mean star is 1 + p with p ~ Beta(1 + c1... ) -> p(2 stars) ~ Beta(a2, a1)
    post = star_posterior([[3, 9]], prior=0.5, level=0.9)
    a1, a2 = 3.5, 9.5
    assert post.lower[0] == pytest.approx(1 + beta_dist.ppf(0.05, a2, a1), rel=1e-10)
    assert post.upper[0] == pytest.approx(1 + beta_dist.ppf(0.95, a2, a1), rel=1e-10)


def test_star_posterior_against_simulation() -> None:
    # Monte-Carlo with a fixed seed against the exact moments; the beta-approximate interval
    # against the simulated quantiles (within 0.02 stars for these counts).
    counts = np.array([[0, 0, 1, 3, 6], [40, 10, 5, 10, 35], [2, 0, 0, 0, 1]])
    exact = star_posterior(counts, prior=[1, 1, 1, 1, 1])
    sim = star_posterior(counts, method="monte_carlo", draws=200_000, rng=11)
    np.testing.assert_allclose(sim.mean, exact.mean, atol=4 * max(exact.sd) / math.sqrt(2e5))
    np.testing.assert_allclose(sim.sd, exact.sd, rtol=0.01)
    np.testing.assert_allclose(sim.lower, exact.lower, atol=0.02)
    np.testing.assert_allclose(sim.upper, exact.upper, atol=0.02)
    # independent simulation with numpy directly, not through relmark
    rng = np.random.default_rng(5)
    mu = rng.dirichlet([41, 11, 6, 11, 36], size=200_000) @ np.arange(1, 6)
    assert exact.mean[1] == pytest.approx(mu.mean(), abs=0.003)
    assert exact.sd[1] == pytest.approx(mu.std(), rel=0.01)


def test_monte_carlo_is_reproducible_with_rng() -> None:
    a = star_posterior([1, 2, 3], method="monte_carlo", draws=500, rng=3)
    b = star_posterior([1, 2, 3], method="monte_carlo", draws=500, rng=np.random.default_rng(3))
    assert a == b


def test_star_posterior_extreme_counts_are_finite() -> None:
    post = star_posterior([[0, 0, 0, 0, 10**12], [10**12, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
    for field in (post.mean, post.sd, post.lower, post.upper):
        assert all(math.isfinite(v) for v in field)
    assert post.mean[0] == pytest.approx(5.0, abs=1e-9)
    assert post.mean[1] == pytest.approx(1.0, abs=1e-9)
    assert post.mean[2] == pytest.approx(3.0)  # the uniform prior alone
    assert 1.0 <= post.lower[1] <= post.upper[1] <= 5.0


def test_star_posterior_json() -> None:
    import json

    post = star_posterior([1, 2, 3, 4, 5])
    data = json.loads(post.to_json())
    assert data == post.to_dict()
    assert (
        StarPosterior(
            alpha=tuple(tuple(a) for a in data["alpha"]),
            mean=tuple(data["mean"]),
            sd=tuple(data["sd"]),
            lower=tuple(data["lower"]),
            upper=tuple(data["upper"]),
            level=data["level"],
            method=data["method"],
        )
        == post
    )


@settings(max_examples=40, deadline=None)
@given(
    counts=star_counts(),
    prior=st.floats(0.01, 100),
    level=st.floats(0.05, 0.999),
)
def test_star_posterior_interval_contains_the_mean(
    counts: list[int], prior: float, level: float
) -> None:
    post = star_posterior(counts, prior=prior, level=level)
    k = len(counts)
    assert 1.0 <= post.lower[0] <= post.mean[0] <= post.upper[0] <= k
    assert post.sd[0] >= 0


# --- per-item aggregates --------------------------------------------------------------------


REVIEWS = [
    Review(id="1", item_id="sku-a", stars=5, at=day(1)),
    Review(id="2", item_id="sku-a", stars=3, at=day(20)),
    Review(id="3", item_id="sku-a", stars=4, at=day(25)),
    Review(id="4", item_id="partner-b", stars=2, at=day(10)),
]


def test_review_aggregates_by_hand() -> None:
    # as of day 31: sku-a has 3 reviews, mean (5 + 3 + 4)/3 = 4, two of them >= 4 stars,
    # the last 6 days ago, all three within 30 days... day 1 is 30 days before day 31;
    # partner-b: one 2-star review, 21 days ago.
    agg = review_aggregates(REVIEWS, as_of=day(31), window_days=29)
    a, b = agg.loc["sku-a"], agg.loc["partner-b"]
    assert list(agg.index) == ["partner-b", "sku-a"]
    assert (a["volume"], a["valence"], a["positive_share"]) == (3, 4.0, pytest.approx(2 / 3))
    assert a["days_since_last"] == 6.0
    assert a["recent_volume"] == 2  # day 1 is 30 days back: outside the 29-day window
    assert a["last_review"] == pd.Timestamp(day(25))
    assert a["wilson_lower"] == pytest.approx(wilson_lower_bound(2, 3)[0])
    assert (b["volume"], b["valence"], b["positive_share"], b["days_since_last"]) == (
        1,
        2.0,
        0.0,
        21.0,
    )


def test_review_aggregates_level() -> None:
    agg = review_aggregates(REVIEWS, as_of=day(31), level=0.8)
    assert agg.loc["sku-a", "wilson_lower"] == pytest.approx(wilson_lower_bound(2, 3, level=0.8)[0])


def test_review_aggregates_from_a_frame_agree() -> None:
    frame = pd.DataFrame(
        {
            "item_id": [r.item_id for r in REVIEWS],
            "stars": [r.stars for r in REVIEWS],
            "at": pd.to_datetime([r.at for r in REVIEWS], utc=True),
        }
    )
    pd.testing.assert_frame_equal(
        review_aggregates(frame, as_of=day(31)), review_aggregates(REVIEWS, as_of=day(31))
    )


# --- response hazard ------------------------------------------------------------------------


def test_review_hazard_by_hand() -> None:
    # requests: reviewed on day 1, censored on day 1, reviewed on day 2, reviewed on day 3,
    # censored on day 3. At risk: day 0: 5, day 1: 5, day 2: 3, day 3: 2.
    # hazard 0, 1/5, 1/3, 1/2; cumulative 1 - 0.8 * 2/3 * 1/2 = 0.7333333 by day 3.
    table = review_hazard([1, 1, 2, 3, 3], [True, False, True, True, False])
    assert table["at_risk"].tolist() == [5, 5, 3, 2]
    assert table["responses"].tolist() == [0, 1, 1, 1]
    assert table["censored"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(table["hazard"], [0, 0.2, 1 / 3, 0.5])
    np.testing.assert_allclose(table["cumulative_response"], [0, 0.2, 1 - 0.8 * 2 / 3, 1 - 0.8 / 3])
    assert int(table["hazard"].idxmax()) == 3


def test_review_hazard_recovers_a_known_hazard() -> None:
    # simulated: a constant daily hazard of 0.1 for 30 days, censored at a uniform day
    rng = np.random.default_rng(2)
    n = 40_000
    event = rng.geometric(0.1, size=n) - 1  # day of the review, 0-based
    cens = rng.integers(0, 30, size=n)
    days = np.minimum(event, cens)
    table = review_hazard(days, event <= cens, max_day=29)
    np.testing.assert_allclose(table["hazard"].iloc[:15], 0.1, atol=0.012)


def test_review_hazard_beyond_the_data_is_zero_not_nan() -> None:
    table = review_hazard([0, 1], [True, False], max_day=4)
    assert table["at_risk"].tolist() == [2, 1, 0, 0, 0]
    assert np.isfinite(table.to_numpy(dtype=float)).all()
    assert table["cumulative_response"].tolist() == [0.5] * 5


@settings(max_examples=50, deadline=None)
@given(
    rows=request_logs(),
)
def test_cumulative_response_is_a_distribution(rows: list[tuple[int, bool]]) -> None:
    days = [d for d, _ in rows]
    table = review_hazard(days, np.array([r for _, r in rows], dtype=bool))
    cum = table["cumulative_response"].to_numpy()
    assert ((cum >= 0) & (cum <= 1)).all()
    assert (np.diff(cum) >= -1e-15).all()
    assert table["responses"].sum() + table["censored"].sum() == len(rows)


# --- bad inputs -----------------------------------------------------------------------------

_FRAME = pd.DataFrame(
    {"item_id": ["a", "b"], "stars": [5, 3], "at": pd.to_datetime([day(1), day(2)], utc=True)}
)

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "nan prior mean",
        lambda: bayesian_average(4, 3, prior_mean=math.nan, prior_weight=1),
        ArgumentError,
        "prior_mean",
    ),
    (
        "zero prior weight",
        lambda: bayesian_average(4, 3, prior_mean=3, prior_weight=0),
        ArgumentError,
        "prior_weight",
    ),
    (
        "bool prior weight",
        lambda: bayesian_average(4, 3, prior_mean=3, prior_weight=True),
        ArgumentError,
        "prior_weight",
    ),
    (
        "nan mean",
        lambda: bayesian_average([4, math.nan], [1, 2], prior_mean=3, prior_weight=1),
        DataError,
        "mean",
    ),
    (
        "fractional count",
        lambda: bayesian_average([4, 4], [1, 2.5], prior_mean=3, prior_weight=1),
        DataError,
        "count",
    ),
    (
        "negative count",
        lambda: bayesian_average([4], [-1], prior_mean=3, prior_weight=1),
        DataError,
        "count",
    ),
    (
        "text mean",
        lambda: bayesian_average(["4"], [1], prior_mean=3, prior_weight=1),
        DataError,
        "mean",
    ),
    (
        "lengths differ",
        lambda: bayesian_average([4, 3], [1, 2, 3], prior_mean=3, prior_weight=1),
        DataError,
        "count",
    ),
    ("positive > total", lambda: wilson_interval([3], [2]), DataError, "positive"),
    ("negative total", lambda: wilson_interval([0], [-2]), DataError, "total"),
    ("level 1", lambda: wilson_lower_bound(1, 2, level=1.0), ArgumentError, "level"),
    ("level nan", lambda: wilson_interval(1, 2, level=math.nan), ArgumentError, "level"),
    ("bool positive", lambda: wilson_interval([True], [1]), DataError, "positive"),
    ("counts 1 star", lambda: star_posterior([3]), DataError, "counts"),
    ("counts 3-d", lambda: star_posterior(np.ones((2, 2, 2))), DataError, "counts"),
    ("counts negative", lambda: star_posterior([[1, 2], [-1, 2]]), DataError, "counts"),
    ("counts nan", lambda: star_posterior([1, math.nan, 2]), DataError, "counts"),
    ("counts empty", lambda: star_posterior(np.zeros((0, 5))), DataError, "counts"),
    ("prior zero", lambda: star_posterior([1, 2], prior=0), ArgumentError, "prior"),
    ("prior wrong length", lambda: star_posterior([1, 2], prior=[1, 1, 1]), ArgumentError, "prior"),
    ("prior text", lambda: star_posterior([1, 2], prior="1"), ArgumentError, "prior"),
    ("method", lambda: star_posterior([1, 2], method="mcmc"), ArgumentError, "method"),
    (
        "draws few",
        lambda: star_posterior([1, 2], method="monte_carlo", draws=5),
        ArgumentError,
        "draws",
    ),
    ("draws many", lambda: star_posterior([1, 2], draws=10**9), ArgumentError, "draws"),
    ("rng", lambda: star_posterior([1, 2], method="monte_carlo", rng="x"), ArgumentError, "rng"),
    ("posterior level", lambda: star_posterior([1, 2], level=0), ArgumentError, "level"),
    (
        "naive as_of",
        lambda: review_aggregates(REVIEWS, as_of=datetime(2026, 4, 1)),
        ArgumentError,
        "as_of",
    ),
    ("as_of text", lambda: review_aggregates(REVIEWS, as_of="soon"), ArgumentError, "as_of"),
    (
        "as_of before a review",
        lambda: review_aggregates(REVIEWS, as_of=day(5)),
        ArgumentError,
        "as_of",
    ),
    (
        "positive_from 0",
        lambda: review_aggregates(REVIEWS, as_of=day(31), positive_from=0),
        ArgumentError,
        "positive_from",
    ),
    (
        "window 0",
        lambda: review_aggregates(REVIEWS, as_of=day(31), window_days=0),
        ArgumentError,
        "window_days",
    ),
    ("empty list", lambda: review_aggregates([], as_of=day(31)), DataError, "reviews"),
    (
        "not reviews",
        lambda: review_aggregates([REVIEWS[0], {"stars": 5}], as_of=day(31)),
        DataError,
        "reviews",
    ),
    (
        "duplicate review id",
        lambda: review_aggregates([REVIEWS[0], REVIEWS[0]], as_of=day(31)),
        DataError,
        "reviews",
    ),
    (
        "frame without stars",
        lambda: review_aggregates(_FRAME.drop(columns="stars"), as_of=day(31)),
        DataError,
        "stars",
    ),
    (
        "frame fractional stars",
        lambda: review_aggregates(_FRAME.assign(stars=[4.5, 3]), as_of=day(31)),
        DataError,
        "stars",
    ),
    (
        "frame text stars",
        lambda: review_aggregates(_FRAME.assign(stars=["5", "3"]), as_of=day(31)),
        DataError,
        "stars",
    ),
    (
        "frame naive at",
        lambda: review_aggregates(
            _FRAME.assign(at=[day(1).replace(tzinfo=None)] * 2), as_of=day(31)
        ),
        DataError,
        "at",
    ),
    (
        "frame missing item",
        lambda: review_aggregates(_FRAME.assign(item_id=["a", None]), as_of=day(31)),
        DataError,
        "item_id",
    ),
    (
        "frame bool items",
        lambda: review_aggregates(_FRAME.assign(item_id=[True, False]), as_of=day(31)),
        DataError,
        "item_id",
    ),
    (
        "frame mixed text and number items",
        lambda: review_aggregates(
            pd.concat([_FRAME, _FRAME.assign(item_id=[7, 8])], ignore_index=True), as_of=day(31)
        ),
        DataError,
        "item_id",
    ),
    (
        "aggregates level",
        lambda: review_aggregates(REVIEWS, as_of=day(31), level=95),
        ArgumentError,
        "level",
    ),
    ("prior huge", lambda: star_posterior([1, 2], prior=1e300), ArgumentError, "prior"),
    ("counts huge", lambda: star_posterior([1, 1e16]), DataError, "counts"),
    ("max_day huge", lambda: review_hazard([1], [True], max_day=10**12), ArgumentError, "max_day"),
    ("days huge", lambda: review_hazard([10**9], [True]), DataError, "days"),
    ("days negative", lambda: review_hazard([1, -1], [True, False]), DataError, "days"),
    ("days fractional", lambda: review_hazard([1.5], [True]), DataError, "days"),
    ("days empty", lambda: review_hazard([], []), DataError, "days"),
    ("responded ints", lambda: review_hazard([1, 2], [1, 0]), DataError, "responded"),
    ("responded length", lambda: review_hazard([1, 2], [True]), DataError, "responded"),
    ("max_day negative", lambda: review_hazard([1], [True], max_day=-1), ArgumentError, "max_day"),
]


@pytest.mark.parametrize(("call", "error", "name"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs_name_the_culprit(
    call: Callable[[], Any], error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert repr(name) in str(info.value)
    where = getattr(info.value, "argument", None) or getattr(info.value, "column", None)
    assert where == name


# ---------------------------------------------------------------- adversarial review findings
def test_wilson_near_level_one_and_huge_counts_stay_finite() -> None:
    """level = 1 - 1e-16 made z infinite (0.5 + level/2 rounds to 1) and n = 1e308 overflowed
    2n: both raised a RuntimeWarning. z is now Phi^-1 of the upper tail, norm.isf(5e-17)."""
    from scipy.stats import norm

    lo, hi = wilson_interval(1, 4, level=1 - 1e-16)
    assert np.isfinite(lo).all() and np.isfinite(hi).all()
    z = norm.isf((1 - (1 - 1e-16)) / 2)  # the level as stored: 1 - 1.11e-16; z about 8.27
    p, n = 0.25, 4.0
    want = (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n
    )
    assert lo[0] == pytest.approx(max(want, 0.0), abs=1e-12)
    lo, _ = wilson_interval(5e307, 1e308)
    assert lo[0] == pytest.approx(0.5, abs=1e-9)


def test_a_tiny_prior_gives_a_finite_interval() -> None:
    """A prior of 1e-300 and no ratings gave NaN ends (the beta's nu rounded to 0)."""
    post = star_posterior([0, 0], prior=1e-300)
    assert all(math.isfinite(v) for v in (*post.lower, *post.upper))
    assert 1.0 <= post.lower[0] <= post.upper[0] <= 2.0
    post.to_json()  # no NaN to write


_T = datetime(2026, 3, 1, tzinfo=UTC)


def test_stars_beyond_the_scale_are_refused() -> None:
    """A Review refuses 6 stars; a frame took 1e300 and gave a valence of 5e299."""
    frame = pd.DataFrame(
        {"item_id": ["a", "b"], "stars": [1e300, 4], "at": pd.to_datetime([_T, _T], utc=True)}
    )
    with pytest.raises(DataError, match="stars"):
        review_aggregates(frame, as_of=_T + timedelta(days=1))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: bayesian_average([5.0], [10**400], prior_mean=3, prior_weight=1), "count"),
        (lambda: wilson_interval([1], [10**400]), "total"),
        (lambda: star_posterior([10**400, 1]), "counts"),
        (lambda: review_hazard([10**400], [True]), "days"),
    ],
)
def test_an_int_beyond_float_is_refused(call: Callable[[], object], name: str) -> None:
    """A Python int of 10**400 raised a raw OverflowError converting to float64."""
    with pytest.raises(DataError, match=name):
        call()
