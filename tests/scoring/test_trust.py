"""Beta reputation against the formula, mpmath Beta quantiles and the one-at-a-time state."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.scoring import Reputation, reputation_scores


def test_beta_reputation_formula() -> None:
    """Jøsang & Ismail (2002): E = (r+1)/(r+s+2); 8 kept, 2 broken -> 0.75."""
    rep = Reputation(positive=8, negative=2)
    assert rep.score == pytest.approx(0.75)


def test_credible_interval_is_the_beta_quantiles() -> None:
    """The bounds of Beta(9, 3) at level 0.9 leave 5 % on each side (mpmath's regularised
    incomplete beta, 30 digits)."""
    lo, hi = Reputation(positive=8, negative=2).interval(0.9)
    with mp.workdps(30):
        assert float(mp.betainc(9, 3, 0, lo, regularized=True)) == pytest.approx(0.05, rel=1e-9)
        assert float(mp.betainc(9, 3, 0, hi, regularized=True)) == pytest.approx(0.95, rel=1e-9)


def test_forgetting_by_hand() -> None:
    """lambda = 0.5: r = 0.5 * 4 + 1 = 3, s = 0.5 * 2 + 1 = 2 -> E = 4 / 7."""
    rep = Reputation(forgetting=0.5).update(kept=4, broken=2).update(kept=1, broken=1)
    assert (rep.positive, rep.negative) == (3.0, 2.0)
    assert rep.score == pytest.approx(4 / 7)
    score, _, _ = reputation_scores([[4, 1]], [[2, 1]], forgetting=0.5)
    assert score[0] == pytest.approx(4 / 7, rel=1e-15)


def test_one_total_per_party_is_a_column() -> None:
    """Three parties, one total each: a column (n, 1), not a row (one party over 3 periods)."""
    kept, broken = np.array([8.0, 0.0, 3.0]), np.array([2.0, 0.0, 3.0])
    score, _, _ = reputation_scores(kept[:, None], broken[:, None])
    np.testing.assert_allclose(score, [0.75, 0.5, 0.5], rtol=1e-15)


@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=12),
    st.floats(0.5, 1.0),
)
@settings(max_examples=60, deadline=None)
def test_one_event_at_a_time_equals_vectorised(events: list[tuple[int, int]], lam: float) -> None:
    rep = Reputation(forgetting=lam)
    for k, b in events:
        rep = rep.update(kept=k, broken=b)
    kept = np.array([[k for k, _ in events]])
    broken = np.array([[b for _, b in events]])
    score, lo, hi = reputation_scores(kept, broken, forgetting=lam)
    assert score[0] == pytest.approx(rep.score, rel=1e-12)
    assert (lo[0], hi[0]) == pytest.approx(rep.interval(), rel=1e-9)
    assert 0.0 <= lo[0] <= hi[0] <= 1.0
