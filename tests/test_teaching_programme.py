"""The DiD, Bayesian-average and Wilson-bound exercises: right answers pass (the exact normal
quantile and the textbook 1.96), each known mistake is named, a non-function is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from relmark.errors import ArgumentError
from relmark.teaching import (
    EXERCISES,
    check_bayesian_average,
    check_did,
    check_wilson_lower_bound,
    solutions,
)


def _mean(x: Any) -> float:
    return float(np.mean(x))


def test_reference_solutions_pass() -> None:
    assert check_did(solutions.did).passed
    assert check_bayesian_average(solutions.bayesian_average).passed
    assert check_wilson_lower_bound(solutions.wilson_lower_bound).passed
    for name in ("did", "bayesian_average", "wilson_lower_bound"):
        assert name in EXERCISES


def test_did_hand_case() -> None:
    """Case 1 by hand: members 11 -> 15.5 (+4.5), others 9.5 -> 11 (+1.5): 3."""
    result = check_did(lambda tb, ta, cb, ca: 3.0)
    assert not result.passed  # right on the hand case only
    assert "case 2" in result.message


def test_wilson_accepts_the_exact_quantile() -> None:
    def exact(k: int, n: int) -> float:
        z = 1.959963984540054
        p = k / n
        c = (p + z * z / (2 * n)) / (1 + z * z / n)
        h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return float(c - h)

    assert check_wilson_lower_bound(exact).passed


MISTAKES: list[tuple[Callable[..., Any], Callable[..., Any], str]] = [
    (check_did, lambda tb, ta, cb, ca: _mean(ta) - _mean(ca), "after the launch only"),
    (check_did, lambda tb, ta, cb, ca: _mean(ta) - _mean(tb), "the members' change alone"),
    (check_did, lambda *a: -solutions.did(*a), "the wrong way round"),
    (check_bayesian_average, lambda x, n, m, c: (n * m + c * x) / (c + n), "weights swapped"),
    (check_bayesian_average, lambda x, n, m, c: x, "the plain mean"),
    (check_bayesian_average, lambda x, n, m, c: (c * m + n * x) / n, "denominator"),
    (
        check_wilson_lower_bound,
        lambda k, n: k / n - 1.96 * np.sqrt(k / n * (1 - k / n) / n),
        "Wald",
    ),
    (check_wilson_lower_bound, lambda k, n: 100 * solutions.wilson_lower_bound(k, n), "percent"),
]


@pytest.mark.parametrize(("checker", "student", "kind"), MISTAKES)
def test_mistakes_are_named(
    checker: Callable[..., Any], student: Callable[..., Any], kind: str
) -> None:
    result = checker(student)
    assert not result.passed
    assert result.mistake is not None and kind in result.mistake


@pytest.mark.parametrize("checker", [check_did, check_bayesian_average, check_wilson_lower_bound])
def test_not_a_function(checker: Callable[..., Any]) -> None:
    with pytest.raises(ArgumentError, match="student"):
        checker(3.0)
