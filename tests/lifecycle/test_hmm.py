"""The purchase HMM against brute-force enumeration and parameter recovery."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from relmark.errors import DataError, ParameterError
from relmark.lifecycle import HMMParams, fit_hmm, forward_backward, simulate_hmm, viterbi

TRUTH = HMMParams(np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0.05, 0.6]))


def brute_force(params: HMMParams, y: np.ndarray) -> tuple[float, np.ndarray, tuple[int, ...]]:
    """Likelihood, posterior state probabilities and the best path by enumerating all paths."""
    k, t_len = params.pi.size, y.size
    total = 0.0
    post = np.zeros((t_len, k))
    best: tuple[int, ...] = ()
    best_p = -1.0
    for path in itertools.product(range(k), repeat=t_len):
        p = params.pi[path[0]]
        for t in range(1, t_len):
            p *= params.Q[path[t - 1], path[t]]
        for t, s in enumerate(path):
            if not np.isnan(y[t]):
                p *= params.theta[s] if y[t] == 1 else 1 - params.theta[s]
        total += p
        for t, s in enumerate(path):
            post[t, s] += p
        if p > best_p:
            best, best_p = path, p
    return total, post / total, best


@pytest.mark.parametrize("seq", [[0, 1, 1, 0, 1], [1, 0, 0, 0, 0], [0, np.nan, 1, 1, 0]])
def test_forward_backward_and_viterbi_equal_enumeration(seq: list[float]) -> None:
    y = np.array([seq], dtype=float)
    post, ll = forward_backward(TRUTH, y)
    total, want_post, best = brute_force(TRUTH, y[0])
    assert ll[0] == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(post[0], want_post, rtol=1e-10)
    assert tuple(viterbi(TRUTH, y)[0]) == best


def test_baum_welch_recovers_simulated_parameters() -> None:
    _, y = simulate_hmm(TRUTH, 2000, 12, rng=1)
    est, ll = fit_hmm(y, 2, n_starts=2, rng=2)
    np.testing.assert_allclose(est.theta, TRUTH.theta, atol=0.03)
    np.testing.assert_allclose(est.Q, TRUTH.Q, atol=0.05)
    truth_ll = float(forward_backward(TRUTH, y)[1].sum())
    assert ll >= truth_ll - 1e-6  # the MLE is at least as likely as the truth


def test_bad_indicators_are_refused() -> None:
    with pytest.raises(DataError, match="0, 1") as err:
        forward_backward(TRUTH, [[0, 2, 1]])
    assert err.value.column == "purchases"
    with pytest.raises(ParameterError, match="sum to one") as perr:
        HMMParams(np.array([0.5, 0.4]), TRUTH.Q, TRUTH.theta)
    assert perr.value.argument == "pi"


def test_booleans_are_purchase_indicators_and_lists_are_parameters() -> None:
    """Bought or not is naturally a boolean; parameters given as lists become arrays."""
    y = np.array([[True, False, True]])
    np.testing.assert_array_equal(
        forward_backward(TRUTH, y)[1], forward_backward(TRUTH, y * 1.0)[1]
    )
    listed = HMMParams([0.6, 0.4], [[0.9, 0.1], [0.2, 0.8]], [0.05, 0.6])  # type: ignore[arg-type]
    assert isinstance(listed.Q, np.ndarray)
    np.testing.assert_array_equal(listed.Q, TRUTH.Q)


def test_zero_start_shares_and_transitions_are_allowed() -> None:
    """log(0) = -inf is a valid log-probability (no RuntimeWarning, which tests turn into
    errors): a chain that starts in state 0 and never leaves it is a one-state model."""
    stuck = HMMParams(np.array([1.0, 0.0]), np.eye(2), np.array([0.3, 0.8]))
    post, ll = forward_backward(stuck, [[1, 0, 0]])
    assert ll[0] == pytest.approx(np.log(0.3 * 0.7 * 0.7), rel=1e-14)
    np.testing.assert_allclose(post[0, :, 0], 1.0)
    assert viterbi(stuck, [[1, 1, 1]]).tolist() == [[0, 0, 0]]


def test_a_state_without_posterior_weight_does_not_give_nan() -> None:
    """With k = 3 on data a 1-state model explains, a state can lose all weight; its row of
    Q was 0/0 before."""
    y = np.ones((5, 6))
    params, ll = fit_hmm(y, 3, n_starts=2, rng=4)
    assert np.isfinite(params.Q).all() and np.isfinite(params.theta).all()
    assert ll == pytest.approx(0.0, abs=1e-6)  # all ones: the likelihood tends to 1
