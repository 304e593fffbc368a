"""The purchase HMM against brute-force enumeration and parameter recovery."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from relmark.errors import DataError
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
    with pytest.raises(DataError, match="0, 1"):
        forward_backward(TRUTH, [[0, 2, 1]])
    with pytest.raises(DataError, match="sum to one"):
        HMMParams(np.array([0.5, 0.4]), TRUTH.Q, TRUTH.theta)


def test_bad_panels_and_arguments_are_refused() -> None:
    """Purchases of -5 or inf were read as unobserved; an all-NaN panel gave theta NaN;
    n_starts = 0 failed an assert and k = 0 divided by zero; HMMParams took a NaN theta."""
    import numpy as np
    import pytest

    from relmark.errors import DataError
    from relmark.lifecycle import HMMParams, fit_hmm

    good = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    cases = [
        (lambda: fit_hmm(np.array([[1.0, -5.0, 0.0]]), rng=1), "purchases"),
        (lambda: fit_hmm(np.array([[1.0, np.inf, 0.0]]), rng=1), "purchases"),
        (lambda: fit_hmm(np.full((3, 4), np.nan), rng=1), "purchases"),
        (lambda: fit_hmm(good, n_starts=0, rng=1), "n_starts"),
        (lambda: fit_hmm(good, k=0, rng=1), "k"),
    ]
    for call, column in cases:
        with pytest.raises(DataError) as err:
            call()
        assert err.value.column == column
    with pytest.raises(DataError):
        HMMParams(np.array([0.5, 0.5]), np.eye(2), np.array([np.nan, 0.5]))
    with pytest.raises(DataError):
        HMMParams(np.array([0.5, 0.5]), np.array([[1.5, -0.5], [0.0, 1.0]]), np.array([0.2, 0.5]))
