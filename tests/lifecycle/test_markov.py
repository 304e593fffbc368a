"""Markov estimation, forecasts, absorption and customer value against independent
computations (simulation, closed forms, exact fractions, brute force)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import DataError
from relmark.lifecycle import (
    FOUR_STAGES,
    absorption,
    base_value,
    chain_value,
    compare_policies,
    estimate_transitions,
    forecast,
    stage_panel,
    stationary_distribution,
)
from tests.lifecycle.strategies import panels, stochastic


def test_estimation_recovers_a_known_chain() -> None:
    truth = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(1)
    n, periods = 3000, 8
    panel = np.empty((n, periods), dtype=int)
    panel[:, 0] = rng.integers(0, 2, n)
    for t in range(1, periods):
        u = rng.random(n)[:, None]
        panel[:, t] = (u > np.cumsum(truth[panel[:, t - 1]], axis=1)).sum(axis=1)
    panel[: n // 3, 5:] = -1  # right-censored customers
    est = estimate_transitions(panel, ["active", "lapsing", "lost"])
    np.testing.assert_allclose(est.matrix, truth, atol=0.02)
    assert np.all((est.wilson_low <= est.matrix + 1e-12) & (est.matrix <= est.wilson_high + 1e-12))
    assert np.all(est.goodman_high - est.goodman_low >= est.wilson_high - est.wilson_low - 1e-12)


def test_counts_and_wilson_interval_by_hand() -> None:
    """Moves 0->1, 1->1, 0->0, 0->1: row a is 1/3, 2/3. Wilson for 1 of 3 at z = 1.96."""
    est = estimate_transitions([[0, 1, 1], [0, 0, 1]], ["a", "b"])
    assert est.counts.tolist() == [[1.0, 2.0], [0.0, 1.0]]
    np.testing.assert_allclose(est.matrix, [[1 / 3, 2 / 3], [0.0, 1.0]], rtol=1e-15)
    z, k, n = 1.959963984540054, 1, 3
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert (est.wilson_low[0, 0], est.wilson_high[0, 0]) == pytest.approx(
        (centre - half, centre + half), rel=1e-12
    )


def test_prior_only_on_allowed_moves_and_empty_rows_reported() -> None:
    allowed = np.array([[True, True], [False, True]])
    est = estimate_transitions([[0, 0, 0]], ["a", "b"], prior=1.0, allowed=allowed)
    assert est.matrix[1].tolist() == [0.0, 1.0]
    assert est.matrix[0].tolist() == [0.75, 0.25]
    ml = estimate_transitions([[0, 0, 0]], ["a", "b"])
    assert ml.empty_rows == ("b",)
    with pytest.raises(DataError, match="no transitions observed out of b"):
        ml.complete()


@given(panels(), st.sampled_from([0.0, 0.5, 1.0]))
@settings(max_examples=80, deadline=None)
def test_estimates_from_random_panels_are_stochastic(
    case: tuple[np.ndarray, int], prior: float
) -> None:
    """Every row with data sums to one, within [0, 1] and its intervals; the counts are the
    panel's observed pairs, counted here by brute force."""
    panel, k = case
    est = estimate_transitions(panel, [f"s{i}" for i in range(k)], prior=prior)
    want = np.zeros((k, k))
    for row in panel:
        for a, b in itertools.pairwise(row):
            if a >= 0 and b >= 0:
                want[a, b] += 1
    np.testing.assert_array_equal(est.counts, want)
    full = [i for i in range(k) if f"s{i}" not in est.empty_rows]
    assert len(full) + len(est.empty_rows) == k
    if prior > 0:
        assert not est.empty_rows
    m = est.matrix[full]
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((m >= 0) & (m <= 1))
    assert np.all(est.wilson_low[full] <= m + 1e-12) and np.all(m <= est.wilson_high[full] + 1e-12)
    assert np.isnan(est.matrix[[i for i in range(k) if i not in full]]).all()
    if (
        not est.empty_rows
        and k > 1
        and np.linalg.matrix_rank(np.vstack([est.matrix.T - np.eye(k), np.ones(k)])) == k
    ):
        pi = stationary_distribution(est.complete())
        assert pi.sum() == pytest.approx(1.0, rel=1e-12)
        np.testing.assert_allclose(pi @ est.matrix, pi, atol=1e-10)


@given(stochastic())
@settings(max_examples=60, deadline=None)
def test_stationary_distribution_sums_to_one_and_is_a_fixed_point(p: np.ndarray) -> None:
    pi = stationary_distribution(p)
    assert pi.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.all(pi >= 0)
    np.testing.assert_allclose(pi @ p, pi, atol=1e-12)
    # and it is the limit of the forecast from any start (every entry > 0: aperiodic)
    np.testing.assert_allclose(forecast(p, np.eye(p.shape[0])[0], 2000)[-1], pi, atol=1e-9)


def test_two_state_stationary_distribution_closed_form() -> None:
    """P = [[1-a, a], [b, 1-b]] has pi = (b, a) / (a + b): a = 1/10, b = 1/2 -> (5/6, 1/6)."""
    a, b = Fraction(1, 10), Fraction(1, 2)
    pi = stationary_distribution([[1 - float(a), float(a)], [float(b), 1 - float(b)]])
    np.testing.assert_allclose(pi, [float(b / (a + b)), float(a / (a + b))], rtol=1e-14)


@given(stochastic(), st.floats(0.01, 0.5))
@settings(max_examples=60, deadline=None)
def test_infinite_value_is_the_limit_of_finite_sums(p: np.ndarray, d: float) -> None:
    reward = np.linspace(-1.0, 5.0, p.shape[0])
    inf = chain_value(p, reward, d)
    fin = chain_value(p, reward, d, horizon=3000)
    np.testing.assert_allclose(fin, inf, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(
        chain_value(p, reward, d, include_current=False), inf - reward, rtol=1e-12, atol=1e-12
    )


@given(stochastic(), st.integers(1, 30))
@settings(max_examples=60, deadline=None)
def test_forecasts_stay_distributions(p: np.ndarray, periods: int) -> None:
    start = np.zeros(p.shape[0])
    start[0] = 1.0
    f = forecast(p, start, periods)
    np.testing.assert_allclose(f.sum(axis=1), 1.0)
    assert np.all(f >= 0)
    np.testing.assert_allclose(f[periods], start @ np.linalg.matrix_power(p, periods), atol=1e-12)


def test_forecast_by_hand() -> None:
    p = np.array([[0.8, 0.2], [0.3, 0.7]])
    np.testing.assert_allclose(
        forecast(p, [1.0, 0.0], 2)[2], [0.8 * 0.8 + 0.2 * 0.3, 0.8 * 0.2 + 0.2 * 0.7]
    )


def test_chain_value_brute_force_simulation() -> None:
    """Pfeifer & Carraway's V_T against Monte Carlo paths of a two-state chain."""
    p = np.array([[0.6, 0.4], [0.1, 0.9]])
    reward = np.array([40.0, -5.0])
    d = 0.1
    rng = np.random.default_rng(2)
    paths = 200_000
    state = np.zeros(paths, dtype=int)
    total = np.zeros(paths)
    for t in range(60):
        total += reward[state] / (1 + d) ** t
        state = (rng.random(paths) > p[state, 0]).astype(int)
    assert total.mean() == pytest.approx(chain_value(p, reward, d)[0], rel=5e-3)


def test_absorbing_analysis_gamblers_ruin() -> None:
    """Gambler's ruin with a fair coin on 0..4: from state i, P(ruin) = 1 - i/4, the expected
    duration is i(4-i) and its variance i(4-i)((4-i)^2 + i^2 - 2)/3 = 8 (textbook results)."""
    p = np.zeros((5, 5))
    p[0, 0] = p[4, 4] = 1.0
    for i in range(1, 4):
        p[i, i - 1] = p[i, i + 1] = 0.5
    res = absorption(p)
    assert res.absorbing == (0, 4)
    assert res.transient == (1, 2, 3)
    np.testing.assert_allclose(res.probabilities[:, 0], [0.75, 0.5, 0.25])
    np.testing.assert_allclose(res.expected_steps, [3.0, 4.0, 3.0])
    np.testing.assert_allclose(res.variance_steps, [8.0, 8.0, 8.0], rtol=1e-12)
    with pytest.raises(DataError, match="no absorbing state"):
        absorption(np.array([[0.5, 0.5], [0.5, 0.5]]))
    trap = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    with pytest.raises(DataError, match="not certain"):
        absorption(trap)


def test_event_log_on_a_period_grid_with_censoring() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": ["2024-01-15", "2024-05-02", "2024-04-10", "2024-10-01"],
            "stage": ["attract", "convert", "attract", "retain"],
        }
    )
    censor = pd.Series({"a": "2024-09-30"})
    panel, customers, periods = stage_panel(
        events, FOUR_STAGES.stages, end="2024-12-31", censor=censor
    )
    assert customers == ["a", "b"]
    assert [str(p) for p in periods] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert panel.tolist() == [[0, 1, 1, -1], [-1, 0, 0, 2]]
    est = estimate_transitions(panel, FOUR_STAGES.stages)
    assert est.counts[0, 1] == 1  # a: attract -> convert
    assert est.counts[0, 2] == 1  # b: attract -> retain (a skip, counted as observed)


def test_the_last_event_of_a_period_wins_by_date_not_by_text() -> None:
    """Dates written without zero padding sort wrongly as text ('2024-1-5' > '2024-1-15')."""
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": ["2024-1-15", "2024-1-5"],
            "stage": ["convert", "attract"],
        }
    )
    panel, _, _ = stage_panel(events, FOUR_STAGES.stages, freq="M")
    assert panel.tolist() == [[1]]  # the 15th (convert) is the last event of January


def test_base_value_and_policy_comparison() -> None:
    """Stopping the mailing to dormant customers saves its cost but loses reactivations: the
    comparison is the base value under each policy's own P and R (Pfeifer & Carraway 2000)."""
    mail = (
        np.array([[0.7, 0.3, 0.0], [0.3, 0.3, 0.4], [0.1, 0.0, 0.9]]),
        np.array([20.0, -2.0, -2.0]),
    )
    stop = (
        np.array([[0.7, 0.3, 0.0], [0.3, 0.3, 0.4], [0.0, 0.0, 1.0]]),
        np.array([20.0, -2.0, 0.0]),
    )
    counts = np.array([100.0, 50.0, 300.0])
    table = compare_policies({"mail": mail, "stop": stop}, counts, 0.05)
    v = np.linalg.solve(np.eye(3) - mail[0] / 1.05, mail[1])  # V = (I - P/(1+d))^-1 R
    assert table.loc["mail", "customer base"] == pytest.approx(counts @ v, rel=1e-12)
    assert table.loc["mail", "customer base"] == pytest.approx(base_value(counts, *mail, 0.05))
    # stopping: dormant customers are worth exactly 0 (absorbing, no cost, no reward)
    assert table.loc["stop", "state 2"] == pytest.approx(0.0, abs=1e-9)


def test_stationary_distribution_needs_one_closed_class() -> None:
    """Two absorbing states: every mixture is stationary, so there is no answer to give (least
    squares returned (0.5, 0.5) for the identity). One absorbing state: all mass there."""
    with pytest.raises(DataError, match="not unique"):
        stationary_distribution(np.eye(2))
    with pytest.raises(DataError, match="not unique"):
        stationary_distribution([[0.5, 0.25, 0.25], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    lost = stationary_distribution([[0.5, 0.5, 0.0], [0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(lost, [0.0, 0.0, 1.0], atol=1e-12)
