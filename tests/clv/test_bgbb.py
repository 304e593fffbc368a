"""BG/BB against Fader, Hardie & Shang (2010), lifetimes and brute-force sums."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGBB
from relmark.datasets import load_donations

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return load_donations()


def test_fit_reproduces_published_parameters(donations: pd.DataFrame) -> None:
    """FHS (2010), Marketing Science 29(6): 11,104 donors, 6 opportunities: alpha = 1.204,
    beta = 0.750, gamma = 0.657, delta = 2.783, LL = -33,225.6."""
    m = BGBB.fit(
        frequency=donations["frequency"],
        recency=donations["recency"],
        T=donations["periods"],
        weights=donations["weights"],
    )
    for name, value in PUBLISHED.items():
        assert m.params[name] == pytest.approx(value, abs=6e-4), name
    assert round(m.fit_result.log_likelihood, 1) == -33225.6
    assert m.fit_result.nobs == 11_104


def test_published_p_alive() -> None:
    """FHS (2010): P(alive in 2002) for (x, t_x) = (0, 0), (2, 4), (6, 6): 0.11, 0.59, 0.93."""
    m = BGBB(**PUBLISHED)
    got = m.p_alive([0, 2, 6], [0, 4, 6], 6)
    np.testing.assert_array_equal(np.round(got, 2), [0.11, 0.59, 0.93])


def test_pmf_sums_to_one_and_matches_the_mean() -> None:
    m = BGBB(**PUBLISHED)
    for n in (1, 6, 15):
        x = np.arange(0, n + 1, dtype=float)
        probs = m.prob_purchases(x, t=np.full_like(x, n))
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)
        assert float(x @ probs) == pytest.approx(
            float(m.expected_purchases_new_customer(t=n)[0]), rel=1e-12
        )


def test_pmf_matches_simulation() -> None:
    """Exact P(X(6) = x) against 400,000 simulated donors (independent path)."""
    m = BGBB(**PUBLISHED)
    sim = m.simulate(np.full(400_000, 6.0), rng=np.random.default_rng(3))
    freq = np.bincount(sim["frequency"].astype(int), minlength=7) / 400_000
    exact = m.prob_purchases(np.arange(7.0), t=6.0)
    np.testing.assert_allclose(freq, exact, atol=4e-3)


def test_dert_equals_the_discounted_sum_of_expected_transactions() -> None:
    """DERT (eq. 14) = sum_k [E(k) - E(k-1)] / (1+d)^k with E from eq. 13."""
    m = BGBB(**PUBLISHED)
    d = 0.1
    for x, tx in [(0, 0), (2, 4), (6, 6)]:
        cum = np.array(
            [float(m.conditional_expected_purchases(x, tx, 6, t=k)[0]) for k in range(400)]
        )
        want = float(np.sum(np.diff(cum) / (1 + d) ** np.arange(1, 400)))
        assert float(m.dert(x, tx, 6, discount_rate_per_opportunity=d)[0]) == pytest.approx(
            want, rel=1e-9
        )


def test_agrees_with_lifetimes() -> None:
    from lifetimes import BetaGeoBetaBinomFitter

    lt = BetaGeoBetaBinomFitter()
    lt.params_ = pd.Series(PUBLISHED)
    m = BGBB(**PUBLISHED)
    d = load_donations()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pa = lt.conditional_probability_alive(1, d["frequency"], d["recency"], d["periods"])
        e = lt.conditional_expected_number_of_purchases_up_to_time(
            5, d["frequency"], d["recency"], d["periods"]
        )
    np.testing.assert_allclose(m.p_alive(d["frequency"], d["recency"], d["periods"]), pa, rtol=1e-6)
    np.testing.assert_allclose(
        m.conditional_expected_purchases(d["frequency"], d["recency"], d["periods"], t=5),
        e,
        rtol=1e-6,
    )


def test_prob_purchases_of_a_count_above_the_opportunities_is_zero_without_a_warning() -> None:
    """n = 1e300 purchases in 6 opportunities: 0 (impossible), as it was, but the log-gammas of
    negative arguments behind the mask raised a RuntimeWarning (an error under -W error)."""
    import warnings

    from relmark.clv import BGBB

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = BGBB(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).prob_purchases(
            [1e300, 7.0, 3.0], t=6
        )
    assert got[0] == 0.0 and got[1] == 0.0 and 0.0 < got[2] < 1.0
