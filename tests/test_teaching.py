"""Every checker passes the reference solution and fails typical wrong answers, with a message
that names the failing case."""

from __future__ import annotations

import numpy as np
import pytest

from relmark.teaching import (
    EXERCISES,
    check_bgnbd_loglik,
    check_cronbach_alpha,
    check_nps,
    check_nps_interval,
    check_p_alive,
    check_referral_breakeven,
    check_transition_matrix,
)
from relmark.teaching import solutions as sol


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solutions_pass(name: str) -> None:
    checker = EXERCISES[name][0]
    result = checker(getattr(sol, name))
    assert result.passed, str(result)


def test_typical_mistakes_fail_with_a_useful_message() -> None:
    # forgetting that x = 0 has no dropout term
    def naive_ll(r, alpha, a, b, x, t_x, T):
        from scipy.special import betaln, gammaln

        base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        alive = np.exp(betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T))
        dead = np.exp(betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x))
        return base + np.log(alive + dead)

    r = check_bgnbd_loglik(naive_ll)
    assert not r.passed
    assert "case 1" in r.message
    assert "x > 0" in r.message
    assert not check_p_alive(lambda r, al, a, b, x, tx, T: 0.5)
    # population variance instead of sample variance
    assert not check_cronbach_alpha(
        lambda x: (
            x.shape[1] / (x.shape[1] - 1) * (1 - x.var(axis=0).sum() / x.sum(axis=1).var(ddof=1))
        )
    )
    # promoters 8-10 instead of 9-10
    wrong_nps = check_nps(
        lambda s: 100 * (np.mean(np.asarray(s) >= 8) - np.mean(np.asarray(s) <= 6))
    )
    assert not wrong_nps
    assert "expected" in wrong_nps.message
    assert "promoters answer 9 or 10" in wrong_nps.message
    assert not check_nps_interval(lambda s: (0.0, 0.0))
    # rows normalised by the grand total
    assert not check_transition_matrix(lambda p, k: sol.transition_matrix(p, k) / k)
    assert not check_referral_breakeven(lambda m, r, i, d: r)


def test_a_crashing_function_is_a_result_not_a_crash() -> None:
    def broken(scores):
        raise NotImplementedError("write me")

    r = check_nps(broken)
    assert not r.passed
    assert "NotImplementedError: write me" in r.message


def test_answers_that_are_not_numbers_are_reported_not_crashed_on() -> None:
    for wrong in ("abc", {"nps": 20.0}, "20.0", None):
        result = check_nps(lambda scores, wrong=wrong: wrong)
        assert not result.passed
        assert "expected numbers" in result.message
