"""sBG against Fader & Hardie's published fits and brute-force sums."""

from __future__ import annotations

import numpy as np
import pytest

from relmark.clv import SBG
from relmark.clv.sbg import survival_to_lifetimes
from relmark.datasets import load_retention
from relmark.errors import DataError


@pytest.mark.parametrize(
    ("segment", "alpha", "beta"), [("regular", 0.704, 1.182), ("high_end", 0.668, 3.806)]
)
def test_published_fits_and_projections(segment: str, alpha: float, beta: float) -> None:
    """Fader & Hardie (2007), J. Interactive Marketing 21(1): fitted on years 1-7 of 1000
    customers, regular alpha = 0.704, beta = 1.182; high end alpha = 0.668, beta = 3.806. The
    projections for years 8-12 track the actual survival (Table 1) within 2 points."""
    table = load_retention(segment)
    model = SBG.fit_survival(table["alive"].to_numpy()[:8])
    assert round(model.params["alpha"], 3) == alpha
    assert round(model.params["beta"], 3) == beta
    projected = 100 * model.survival(np.arange(8, 13))
    actual = table["percent_alive"].to_numpy()[8:]
    assert np.all(np.abs(projected - actual) < 2.0)


def test_survival_is_the_product_of_retention_rates() -> None:
    m = SBG(alpha=0.704, beta=1.182)
    t = np.arange(1, 30)
    np.testing.assert_allclose(m.survival(t), np.cumprod(m.retention(t)), rtol=1e-12)
    churn = m.prob_churn_at(t)
    np.testing.assert_allclose(churn, np.r_[1.0, m.survival(t)[:-1]] - m.survival(t), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 4, 20])
def test_del_and_derl_equal_brute_force_sums(n: int) -> None:
    """DEL = sum_t S(t)/(1+d)^t and DERL(n) = sum_k S(n+k)/S(n)/(1+d)^(k-1) (FH 2010)."""
    m = SBG(alpha=0.668, beta=3.806)
    d = 0.1
    k = np.arange(0, 4000, dtype=float)
    del_sum = float(np.sum(m.survival(k) / (1 + d) ** k))
    assert m.discounted_expected_lifetime(d) == pytest.approx(del_sum, rel=1e-10)
    kk = k[1:]
    derl_sum = float(np.sum(m.conditional_survival(kk, n) / (1 + d) ** (kk - 1)))
    assert float(m.derl(d, n)[0]) == pytest.approx(derl_sum, rel=1e-10)


def test_residual_value_of_a_customer_base() -> None:
    m = SBG(alpha=0.704, beta=1.182)
    counts = np.array([100.0, 60.0, 40.0])
    want = 50.0 * sum(c * float(m.derl(0.1, i)[0]) for i, c in enumerate(counts))
    assert m.residual_value(counts, value_per_period=50.0, discount_rate=0.1) == pytest.approx(want)


def test_cohort_table_and_per_customer_lifetimes_give_the_same_fit() -> None:
    alive = [1000, 631, 468, 382, 326, 289, 262, 241]
    d = survival_to_lifetimes(alive)
    rows = np.repeat(np.arange(d["weights"].size), d["weights"].astype(int))
    per_customer = SBG.fit(
        {"lifetime": d["lifetime"][rows], "churned": d["churned"][rows]}, compress=False
    )
    cohort = SBG.fit_survival(alive)
    np.testing.assert_allclose(per_customer.params_array, cohort.params_array, rtol=1e-7)
    assert per_customer.fit_result.log_likelihood == pytest.approx(
        cohort.fit_result.log_likelihood, rel=1e-12
    )


def test_bad_tables_are_refused() -> None:
    with pytest.raises(DataError, match="non-increasing"):
        SBG.fit_survival([1000, 700, 800])
    with pytest.raises(DataError, match="whole numbers"):
        SBG.fit({"lifetime": [1.5, 2.0], "churned": [1.0, 0.0]})
    with pytest.raises(DataError, match="0 or 1"):
        SBG.fit({"lifetime": [1.0, 2.0], "churned": [2.0, 0.0]})


def _series_mp(a: float, b: float, d: float, n: int, start: int) -> float:
    """sum_{t>=0} S(n+start+t)/S(n) / (1+d)^t from the definition S(t) = prod_{j<t}
    (b+j)/(a+b+j) (FH 2007, eq. 4), summed in mpmath until the terms are below 1e-25."""
    import mpmath as mp

    with mp.workdps(30):
        A, B, w = mp.mpf(a), mp.mpf(b), 1 / (1 + mp.mpf(d))
        term = mp.mpf(1)
        for j in range(n, n + start):
            term *= (B + j) / (A + B + j)
        total, t = mp.mpf(0), 0
        while term > mp.mpf(10) ** -25 * (total + term):
            total += term
            term *= (B + n + start + t) / (A + B + n + start + t) * w
            t += 1
        return float(total)


def test_del_and_derl_at_a_tiny_alpha_match_the_defining_sums() -> None:
    """alpha = 1e-8, beta = 1e8 (almost nobody churns): scipy's 2F1 was NaN for DEL and DERL;
    now (1+d) E[1/(d+theta)] by the beta-mean rule, within 1e-12 of the defining sums."""
    m = SBG(alpha=1e-8, beta=1e8)
    d = 0.1
    assert abs(m.discounted_expected_lifetime(d) / _series_mp(1e-8, 1e8, d, 0, 0) - 1) <= 1e-12
    got = m.derl(d, [0, 5])
    for g, n in zip(got, (0, 5), strict=True):
        assert abs(g / _series_mp(1e-8, 1e8, d, n, 1) - 1) <= 1e-12


def test_conditional_survival_at_huge_shapes_matches_mpmath() -> None:
    """alpha = beta = 1e8 after 1e6 renewals: S(n+t)/S(n) was 0/0 (NaN); now the ratio of rising
    factorials (b+n)_t/(a+b+n)_t, within 1e-12 of mpmath's."""
    import mpmath as mp

    got = SBG(alpha=1e8, beta=1e8).conditional_survival(10, 1e6)[0]
    with mp.workdps(30):
        want = mp.rf(mp.mpf(1e8) + 1e6, 10) / mp.rf(mp.mpf(2e8) + 1e6, 10)
    assert abs(got / float(want) - 1) <= 1e-12


def test_simulate_at_tiny_shapes_matches_the_limit_model() -> None:
    """alpha = beta = 1e-8: numpy's beta draws were NaN (geometric's ValueError); now drawn in
    logs. Beta(e, e) tends to a fair coin on {0, 1}: half churn at period 1, half never (censored
    at 12); 20,000 customers, 5 standard errors."""
    out = SBG(alpha=1e-8, beta=1e-8).simulate(20_000, 12, rng=3)
    life, churned = out["lifetime"], out["churned"]
    assert set(np.unique(life).tolist()) <= {1.0, 12.0}
    assert np.all((life == 1.0) == (churned == 1.0))
    assert abs(churned.mean() - 0.5) <= 5 * 0.5 / np.sqrt(20_000)
