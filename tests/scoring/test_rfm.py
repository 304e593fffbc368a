"""RFM scores, segments, the customer pyramid, Lorenz and Gini against hand computations."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import ArgumentError
from relmark.scoring import (
    customer_pyramid,
    gini,
    lorenz_curve,
    quantile_scores,
    rfm_from_summary,
    rfm_scores,
    segment,
)
from tests.scoring.strategies import values


def test_ties_share_a_score_whatever_the_row_order() -> None:
    values_ = np.array([5, 5, 5, 5, 5, 1, 2, 3, 9, 9])
    scores = quantile_scores(values_)
    # mid-rank shares: 1 -> 0.05, 2 -> 0.15, 3 -> 0.25, 5 -> 0.55, 9 -> 0.9; times 5, floored
    assert scores.tolist() == [3, 3, 3, 3, 3, 1, 1, 2, 5, 5]
    perm = np.random.default_rng(8).permutation(values_.size)
    np.testing.assert_array_equal(quantile_scores(values_[perm]), scores[perm])


@given(st.lists(st.integers(0, 30), min_size=1, max_size=80), st.integers(2, 10))
@settings(max_examples=100, deadline=None)
def test_scores_in_range_monotone_and_tie_safe(values_: list[int], bins: int) -> None:
    v = np.array(values_, dtype=float)
    s = quantile_scores(v, bins)
    assert s.min() >= 1
    assert s.max() <= bins
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(s[order]) >= 0)
    for value in np.unique(v):
        assert len(set(s[v == value])) == 1


def test_rfm_cells_segments_and_short_time_since_last_scores_high() -> None:
    r = rfm_scores([1, 50, 2, 40, 3], [10, 1, 9, 2, 8], [500, 5, 400, 10, 300])
    assert r.recency_score.tolist() == [5, 1, 4, 2, 3]
    assert r.cells == ["555", "111", "444", "222", "333"]
    want = ["champions", "hibernating", "champions", "hibernating", "need attention"]
    assert segment(r.cells) == want
    with pytest.raises(ArgumentError, match="anchored") as err:
        segment(r.cells, {"bad": "5"})
    assert err.value.argument == "segments"
    nested = rfm_scores(
        [1, 50, 2, 40, 3], [10, 1, 9, 2, 8], [500, 5, 400, 10, 300], method="nested"
    )
    assert nested.recency_score.tolist() == r.recency_score.tolist()
    # one customer per recency score: within each, frequency and monetary are the middle bin
    assert nested.frequency_score.tolist() == [3] * 5
    assert nested.monetary_score.tolist() == [3] * 5


def test_pyramid_counts() -> None:
    value = np.arange(1, 101, dtype=float)
    tiers = customer_pyramid(value)
    assert tiers[-1] == "platinum"
    assert [tiers.count(t) for t in ("platinum", "gold", "iron", "lead")] == [1, 4, 15, 80]


def test_gini_is_the_mean_absolute_difference_over_twice_the_mean() -> None:
    """G = sum_ij |x_i - x_j| / (2 n^2 mean). For 1..n that is (n - 1) / (3n): 99/300 for
    n = 100 (sum_ij |i - j| = n(n^2 - 1)/3, mean (n + 1)/2). [1, 2, 3, 4]: 20 / 80."""
    assert gini(np.arange(1, 101, dtype=float)) == pytest.approx(99 / 300, rel=1e-13)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, rel=1e-14)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75, rel=1e-14)  # the maximum (n-1)/n
    assert gini([1, 1, 1]) == 0.0


@given(values())
@settings(max_examples=80, deadline=None)
def test_gini_equals_the_exact_mean_absolute_difference(v: list[float]) -> None:
    n = len(v)
    exact = Fraction(sum(abs(int(a) - int(b)) for a in v for b in v), 2 * n * int(sum(v)))
    assert gini(v) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    assert 0.0 <= gini(v) <= (n - 1) / n + 1e-15


def test_lorenz_curve_by_hand() -> None:
    x, y = lorenz_curve([3, 1, 0, 4])
    assert x.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert y.tolist() == [0.0, 0.0, 0.125, 0.5, 1.0]


def test_rfm_from_the_summary() -> None:
    from relmark.datasets import load_cdnow_summary

    s = load_cdnow_summary(with_monetary=True)
    scores = rfm_from_summary(s)
    assert s.monetary_value is not None
    direct = rfm_scores(s.T - s.recency, s.frequency + 1.0, s.monetary_value)
    assert scores.cells == direct.cells
    # ties by construction: all one-time buyers share frequency and monetary scores
    one_timers = s.frequency == 0
    assert len(set(scores.frequency_score[one_timers])) == 1
    assert len(set(scores.monetary_score[one_timers])) == 1
