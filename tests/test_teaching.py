"""Every checker passes the reference solution and fails typical wrong answers, with a message
that names the failing case, the kind of mistake and its own hint, and the expected scale."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, gammaln

from relmark.teaching import (
    EXERCISES,
    CheckResult,
    check_bayesian_average,
    check_bgnbd_log_likelihood,
    check_break_even_response_rate,
    check_cronbach_alpha,
    check_did,
    check_lift,
    check_nps,
    check_nps_interval,
    check_p_alive,
    check_referral_breakeven,
    check_shapley,
    check_transition_matrix,
    check_wilson_lower_bound,
)
from relmark.teaching import solutions as sol


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solutions_pass(name: str) -> None:
    checker = EXERCISES[name][0]
    result = checker(getattr(sol, name))
    assert result.passed, str(result)
    assert result.mistake is None


def test_the_textbook_z_is_accepted_where_the_exercise_says_so() -> None:
    """The NPS exercise says z = 1.96: it passes, and so does the exact 1.959964 (1.96 failed
    at rtol 1e-6 before). Another z (1.95) is still wrong."""
    assert check_nps_interval(sol.nps_interval_textbook)
    assert check_nps_interval(sol.nps_interval)
    result = check_nps_interval(lambda s: sol.nps_interval(s, z=1.95))
    assert not result
    assert "z = 1.96" in result.message


# ---------------------------------------------------------------------- wrong answers, by kind
def _top(p: Any, y: Any, share: float) -> Any:
    """Outcomes of the top ``share`` ranked by ``p`` (for the lift mistakes)."""
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    return np.asarray(y, dtype=float)[order][: round(share * len(order))]


def _naive_ll(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    """The dropout term also at x = 0 (the classic slip)."""
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = np.exp(betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T))
    dead = np.exp(betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x))
    return float(base + np.log(alive + dead))


def _ll_no_dropout(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    return float(base + betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T))


def _p_alive_upside_down(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    if x == 0:
        return 1.0
    return float(1.0 / (1.0 + a / (b + x - 1) * ((alpha + t_x) / (alpha + T)) ** (r + x)))


def _p_alive_no_x0_case(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    return float(1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)))


def _counts(panel: Any, k: int) -> np.ndarray:
    p = np.asarray(panel)
    c = np.zeros((k, k))
    np.add.at(c, (p[:, :-1].ravel(), p[:, 1:].ravel()), 1.0)
    return c


def _alpha(x: np.ndarray, item_ddof: int, total_ddof: int, factor: bool = True) -> float:
    k = x.shape[1]
    ratio = x.var(axis=0, ddof=item_ddof).sum() / x.sum(axis=1).var(ddof=total_ddof)
    return float((k / (k - 1) if factor else 1.0) * (1 - ratio))


def _nps_cut(promoter: int, detractor: int) -> Callable[[Any], float]:
    def student(scores: Any) -> float:
        s = np.asarray(scores)
        return float(100 * (np.mean(s >= promoter) - np.mean(s <= detractor)))

    return student


def _wald(
    z: float, *, variance: str = "right", ddof: int = 0, clip: bool = True
) -> Callable[[Any], tuple[float, float]]:
    def student(scores: Any) -> tuple[float, float]:
        s = np.asarray(scores)
        pp, pd_ = float(np.mean(s >= 9)), float(np.mean(s <= 6))
        var = pp + pd_ - (pp - pd_) ** 2 if variance == "right" else pp * (1 - pp) + pd_ * (1 - pd_)
        se = 100 * math.sqrt(var / (s.size - ddof))
        score = 100 * (pp - pd_)
        low, high = score - z * se, score + z * se
        return (max(low, -100), min(high, 100)) if clip else (low, high)

    return student


def _score_and_se(scores: Any) -> tuple[float, float]:
    s = np.asarray(scores)
    pp, pd_ = float(np.mean(s >= 9)), float(np.mean(s <= 6))
    return 100 * (pp - pd_), 100 * math.sqrt((pp + pd_ - (pp - pd_) ** 2) / s.size)


WRONG: list[tuple[Callable[[Callable[..., Any]], CheckResult], Callable[..., Any], str, str]] = [
    # (checker, wrong answer, the mistake it must be recognised as, a phrase of its hint)
    (
        check_bgnbd_log_likelihood,
        lambda *a: math.exp(sol.bgnbd_log_likelihood(*a)),
        "the likelihood instead of its log",
        "return log L",
    ),
    (
        check_bgnbd_log_likelihood,
        lambda *a: -sol.bgnbd_log_likelihood(*a),
        "a sign error",
        "negative log-likelihood",
    ),
    (
        check_bgnbd_log_likelihood,
        lambda *a: sol.bgnbd_log_likelihood(*a) / math.log(10),
        "log base 10 instead of the natural log",
        "natural log",
    ),
    (check_bgnbd_log_likelihood, _naive_ll, "a dropout term at x = 0", "x > 0"),
    (check_bgnbd_log_likelihood, _ll_no_dropout, "the dropout term missing", "dropped out"),
    (
        check_p_alive,
        lambda *a: 1 - sol.p_alive(*a),
        "P(dropped out) instead of P(alive)",
        "1 - P(alive)",
    ),
    (
        check_p_alive,
        lambda *a: 100 * sol.p_alive(*a),
        "a percent instead of a share",
        "not a percent",
    ),
    (check_p_alive, _p_alive_upside_down, "a sign error in the exponent", "^(r+x)"),
    (check_p_alive, _p_alive_no_x0_case, "the x > 0 formula used at x = 0", "exactly 1"),
    (
        check_transition_matrix,
        lambda p, k: sol.transition_matrix(p, k).T,
        "the matrix transposed",
        "moved from",
    ),
    (
        check_transition_matrix,
        lambda p, k: _counts(p, k) / _counts(p, k).sum(),
        "counts divided by the grand total",
        "each row must sum to 1",
    ),
    (
        check_transition_matrix,
        lambda p, k: _counts(p, k) / _counts(p, k).sum(axis=0, keepdims=True),
        "columns normalised instead of rows",
        "row totals",
    ),
    (
        check_transition_matrix,
        lambda p, k: 100 * sol.transition_matrix(p, k),
        "percents instead of shares",
        "shares between 0 and 1",
    ),
    (
        check_cronbach_alpha,
        lambda x: _alpha(x, 0, 1),
        "mixed variance definitions",
        "population variances (ddof=0",
    ),
    (
        check_cronbach_alpha,
        lambda x: _alpha(x, 1, 0),
        "mixed variance definitions",
        "sample variances (ddof=1)",
    ),
    (
        check_cronbach_alpha,
        lambda x: _alpha(x, 1, 1, factor=False),
        "the factor k/(k-1) missing",
        "k/(k-1)",
    ),
    (
        check_cronbach_alpha,
        lambda x: _alpha(np.asarray(x).T, 1, 1),
        "respondents taken for items",
        "columns",
    ),
    (
        check_cronbach_alpha,
        lambda x: 100 * sol.cronbach_alpha(x),
        "a percent instead of a share",
        "not a percent",
    ),
    (check_nps, lambda s: sol.nps(s) / 100, "a share instead of a percent", "-100..100"),
    (check_nps, lambda s: -sol.nps(s), "a sign error", "promoters minus detractors"),
    (check_nps, _nps_cut(8, 6), "8 counted as a promoter", "9 or 10 only"),
    (check_nps, _nps_cut(9, 7), "7 counted as a detractor", "0 to 6"),
    (check_nps, _nps_cut(9, 5), "6 left out of the detractors", "6 included"),
    (
        check_nps_interval,
        lambda s: tuple(v / 100 for v in sol.nps_interval_textbook(s)),
        "a share instead of a percent",
        "multiply",
    ),
    (
        check_nps_interval,
        lambda s: tuple(v / 100 for v in sol.nps_interval(s)),
        "a share instead of a percent",
        "multiply",
    ),
    (
        check_nps_interval,
        _wald(1.96, variance="independent"),
        "the wrong variance: promoters and detractors treated as independent",
        "not independent",
    ),
    (
        check_nps_interval,
        _wald(1.959963984540054, ddof=1),
        "the wrong variance: n - 1 instead of n",
        "not n - 1",
    ),
    (check_nps_interval, _wald(1.6448536269514722), "the 90% interval", "z = 1.645"),
    (check_nps_interval, _wald(2.5758293035489004), "the 99% interval", "z = 2.576"),
    (
        check_nps_interval,
        lambda s: sol.nps_interval(s)[::-1],
        "(high, low) instead of (low, high)",
        "lower bound first",
    ),
    (
        check_nps_interval,
        _wald(1.96, clip=False),
        "the interval not clipped to the scale",
        "clip the bounds",
    ),
    (
        check_nps_interval,
        _score_and_se,
        "(score, standard error) instead of (low, high)",
        "return the interval",
    ),
    (check_referral_breakeven, lambda m, r, i, d: r, "the retention unchanged", "above r"),
    (
        check_referral_breakeven,
        lambda m, r, i, d: 1 + i - (1 + i - r) * m / (m - d),
        "the margin ratio upside down",
        "(m-d)/m",
    ),
    (
        check_referral_breakeven,
        lambda m, r, i, d: 1 + i + (1 + i - r) * (m - d) / m,
        "a sign error",
        "subtracted",
    ),
    (
        check_referral_breakeven,
        lambda m, r, i, d: 1 - (1 - r) * (m - d) / m,
        "the discount rate left out",
        "keep the discount rate",
    ),
    (
        check_referral_breakeven,
        lambda m, r, i, d: 100 * sol.referral_breakeven(m, r, i, d),
        "a percent instead of a share",
        "share between 0 and 1",
    ),
    (
        check_lift,
        lambda p, y, s: _top(p, y, s).mean(),
        "the response rate instead of the lift",
        "overall response rate",
    ),
    (
        check_lift,
        lambda p, y, s: _top(p, y, s).sum() / np.sum(y),
        "the gain instead of the lift",
        "the gain",
    ),
    (
        check_lift,
        lambda p, y, s: _top(-np.asarray(p), y, s).mean() / np.mean(y),
        "the lowest-ranked customers",
        "highest predicted",
    ),
    (check_lift, lambda p, y, s: 1 / sol.lift(p, y, s), "the ratio upside down", "overall rate"),
    (
        check_lift,
        lambda p, y, s: 100 * sol.lift(p, y, s),
        "an index (x 100) instead of a ratio",
        "do not multiply",
    ),
    (
        check_break_even_response_rate,
        lambda c, v, g, f: c / v,
        "the order value instead of the margin",
        "not its revenue",
    ),
    (
        check_break_even_response_rate,
        lambda c, v, g, f: c / (v - g),
        "the fulfilment cost left out",
        "net of fulfilment",
    ),
    (
        check_break_even_response_rate,
        lambda c, v, g, f: (v - g - f) / c,
        "the ratio upside down",
        "cost / margin",
    ),
    (
        check_break_even_response_rate,
        lambda c, v, g, f: 100 * c / (v - g - f),
        "a percent instead of a share",
        "not the percent",
    ),
]


def test_campaign_exercises_by_hand() -> None:
    """Lift, by hand: 20 customers, 5 responders (overall 0.25); the top 2 by prediction (0.31,
    0.27) both responded: (2/2) / 0.25 = 4; the top 5 hold 3: 0.6 / 0.25 = 2.4. Break-even:
    0.50 / (60 - 30 - 5) = 0.02, 1.20 / (80 - 35 - 5) = 0.03."""
    p = [0.31, 0.05, 0.22, 0.12, 0.08, 0.27, 0.02, 0.15, 0.11, 0.04]
    p += [0.19, 0.07, 0.03, 0.25, 0.09, 0.13, 0.06, 0.17, 0.01, 0.10]
    y = [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert sol.lift(p, y, 0.1) == pytest.approx(4.0)
    assert sol.lift(p, y, 0.25) == pytest.approx(2.4)
    assert sol.break_even_response_rate(0.5, 60, 30, 5) == pytest.approx(0.02)
    assert sol.break_even_response_rate(1.2, 80, 35, 5) == pytest.approx(0.03)


@pytest.mark.parametrize(
    ("checker", "student", "kind", "phrase"),
    WRONG,
    ids=[f"{c.__name__}: {k}" for c, _, k, _ in WRONG],
)
def test_each_kind_of_wrong_answer_gets_its_own_hint(
    checker: Callable[[Callable[..., Any]], CheckResult],
    student: Callable[..., Any],
    kind: str,
    phrase: str,
) -> None:
    result = checker(student)
    assert not result.passed
    assert result.mistake == kind, result.message
    assert f"This looks like {kind}" in result.message
    assert phrase in result.message
    assert "Expected scale:" in result.message
    assert "expected" in result.message and "got" in result.message


def test_each_checker_says_the_expected_scale() -> None:
    scales = {
        check_bgnbd_log_likelihood: "a negative number",
        check_p_alive: "between 0 and 1",
        check_transition_matrix: "summing to 1",
        check_cronbach_alpha: "at most 1",
        check_nps: "between -100 and 100",
        check_nps_interval: "between -100 and 100",
        check_referral_breakeven: "between the current retention r and 1",
        check_lift: "a ratio around 1",
        check_break_even_response_rate: "a share between 0 and 1",
        check_did: "extra spend per member and period",
        check_bayesian_average: "between the item's mean and the prior mean",
        check_wilson_lower_bound: "a share in [0, 1]",
        check_shapley: "one value per channel",
    }
    assert set(scales) == {c for c, *_ in EXERCISES.values()}
    for checker, scale in scales.items():
        result = checker(lambda *args: 12345.0)  # not a known mistake: the general hint
        assert not result.passed
        assert result.mistake in (None, "wrong shape"), result.message
        assert f"Expected scale: {scale}" in result.message or scale in result.message


def test_an_unknown_mistake_gets_the_general_hint() -> None:
    result = check_nps(lambda s: 42.0)
    assert not result.passed and result.mistake is None
    assert "case 1" in result.message
    assert "Hint: promoters answer 9 or 10" in result.message


def test_a_crashing_function_is_a_result_not_a_crash() -> None:
    def broken(scores: Any) -> float:
        raise NotImplementedError("write me")

    r = check_nps(broken)
    assert not r.passed
    assert "NotImplementedError: write me" in r.message


def test_answers_that_are_not_numbers_are_reported_not_crashed_on() -> None:
    for wrong in ("abc", {"nps": 20.0}, "20.0", None):
        result = check_nps(lambda scores, wrong=wrong: wrong)
        assert not result.passed
        assert "expected numbers" in result.message
        assert "Expected scale: a score between -100 and 100" in result.message


def test_wrong_shapes_and_non_finite_answers() -> None:
    shape = check_nps_interval(lambda s: 10.0)
    assert shape.mistake == "wrong shape"
    assert "expected shape (2,)" in shape.message
    nan = check_p_alive(lambda *a: float("nan"))
    assert nan.mistake == "not finite"


@settings(max_examples=40)
@given(
    name=st.sampled_from(sorted(EXERCISES)),
    answer=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.floats(-1e6, 1e6), max_size=4),
        st.text(max_size=5),
        st.none(),
    ),
)
def test_any_answer_gives_a_result_with_the_scale(name: str, answer: object) -> None:
    """Whatever a student's function returns, the checker reports (never raises) and, when it
    fails, says the expected scale; only the reference's answers pass."""
    result = EXERCISES[name][0](lambda *args: answer)
    assert isinstance(result, CheckResult)
    if not result.passed:
        assert "Expected scale:" in result.message


# ---------------------------------------------------------------- adversarial review (r5)
from relmark.errors import ArgumentError  # noqa: E402


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("student", [None, 42, "my_function", 20.0])
def test_a_student_that_is_not_a_function(name: str, student: Any) -> None:
    # check_nps(my_nps(scores)) reported "case 1 raised TypeError: 'float' is not callable"
    with pytest.raises(ArgumentError) as err:
        EXERCISES[name][0](student)
    assert err.value.argument == "student" and "'student'" in str(err.value)


@pytest.mark.parametrize(
    "answer",
    [
        True,
        np.True_,
        ("1", "2"),
        ["0.5"],
        np.array(["1", "2"]),
        np.datetime64("2020-01-01"),
        np.timedelta64(3, "D"),
        1 + 2j,
    ],
    ids=repr,
)
def test_non_numbers_are_not_answers(answer: Any) -> None:
    # numpy converted them: True to 1 (passing the x = 0 case of P(alive)), a date to 18262
    for check in (check_p_alive, check_nps, check_nps_interval):
        result = check(lambda *args: answer)
        assert not result.passed
        assert "case 1" in result.message and "expected numbers" in result.message


def test_an_integer_beyond_any_float() -> None:
    result = check_nps(lambda scores: 10**400)  # OverflowError before
    assert not result.passed and "too large for a float" in result.message


def test_a_student_who_edits_the_inputs_is_still_diagnosed() -> None:
    def transposed_and_wipes(panel: Any, k: int) -> Any:
        out = sol.transition_matrix(panel, k).T
        panel[:] = 0
        return out

    assert check_transition_matrix(transposed_and_wipes).mistake == "the matrix transposed"

    def percent_and_wipes(items: Any) -> float:
        out = 100 * sol.cronbach_alpha(items)
        items[:] = 0  # the diagnosis divided by a zero variance (RuntimeWarning) before
        return out

    assert check_cronbach_alpha(percent_and_wipes).mistake == "a percent instead of a share"


def test_exact_real_numbers_are_answers() -> None:
    from decimal import Decimal
    from fractions import Fraction

    assert check_nps(lambda s: Fraction(round(10 * sol.nps(s)), 10)).passed  # was refused
    assert check_nps(lambda s: Decimal(str(sol.nps(s)))).passed


# ---------------------------------------------------------------------- Shapley attribution
def test_shapley_hand_case() -> None:
    """Worth split over each journey's distinct channels (the path-based game is a sum of
    unanimity games, Shapley 1953): journeys (search, display, search) 120, (email) 40,
    (display, email) 60, (search, email, display) 90, (display) 0 give display
    120/2 + 60/2 + 90/3 = 120, email 40 + 30 + 30 = 100, search 60 + 30 = 90."""
    journeys = [
        ["search", "display", "search"],
        ["email"],
        ["display", "email"],
        ["search", "email", "display"],
        ["display"],
    ]
    value = [120.0, 40.0, 60.0, 90.0, 0.0]
    assert sol.shapley(journeys, value, ["display", "email", "search"]) == pytest.approx(
        [120.0, 100.0, 90.0]
    )
    assert check_shapley(lambda j, v, c: [120.0, 100.0, 90.0]).message.startswith(
        "case 1"
    )  # case 1 is the two-channel example, not this one


def test_shapley_reference_is_independent_of_the_library() -> None:
    """The reference solution (brute force over the n! orders) and relmark's coalition
    enumeration (zeta transform) agree on random journeys of 5 channels."""
    from relmark.decide import shapley_attribution

    rng = np.random.default_rng(7)
    names = list("abcde")
    journeys = [[names[k] for k in rng.integers(0, 5, rng.integers(1, 4))] for _ in range(40)]
    value = list(rng.gamma(2.0, 10.0, 40))
    exact = shapley_attribution(journeys, value, channels=names, method="exact").values
    assert sol.shapley(journeys, value, names) == pytest.approx(list(exact), rel=1e-12)


def _last_touch(journeys: Any, value: Any, channels: Any) -> list[float]:
    return [sum(w for j, w in zip(journeys, value, strict=True) if j[-1] == c) for c in channels]


def _first_touch(journeys: Any, value: Any, channels: Any) -> list[float]:
    return [sum(w for j, w in zip(journeys, value, strict=True) if j[0] == c) for c in channels]


def _linear(journeys: Any, value: Any, channels: Any) -> list[float]:
    return [
        sum(w * j.count(c) / len(j) for j, w in zip(journeys, value, strict=True)) for c in channels
    ]


def _exact_set(journeys: Any, value: Any, channels: Any) -> list[float]:
    """The Shapley value of v(S) = worth of journeys whose channel set is exactly S."""
    from itertools import permutations

    def v(s: set[str]) -> float:
        return float(sum(w for j, w in zip(journeys, value, strict=True) if set(j) == s))

    out = dict.fromkeys(channels, 0.0)
    orders = list(permutations(channels))
    for order in orders:
        joined: set[str] = set()
        for c in order:
            before = v(joined)
            joined.add(c)
            out[c] += v(joined) - before
    return [out[c] / len(orders) for c in channels]


@pytest.mark.parametrize(
    ("student", "kind"),
    [
        (_last_touch, "last-touch attribution"),
        (_first_touch, "first-touch attribution"),
        (_linear, "a split over touches instead of channels"),
        (_exact_set, "the worth of the exact channel set only"),
        (
            lambda j, v, c: [math.factorial(len(c)) * x for x in sol.shapley(j, v, c)],
            "the marginal worths summed over the orders, not averaged",
        ),
        (
            lambda j, v, c: list(np.array(sol.shapley(j, v, c)) / sum(sol.shapley(j, v, c))),
            "shares of the total instead of worth",
        ),
    ],
)
def test_shapley_mistakes_are_named(student: Callable[..., Any], kind: str) -> None:
    result = check_shapley(student)
    assert not result.passed
    assert result.mistake == kind, result.message
    assert "Expected scale: one value per channel" in result.message


def test_shapley_wrong_length_is_a_shape_error() -> None:
    result = check_shapley(lambda j, v, c: [1.0])
    assert result.mistake == "wrong shape"
    assert "expected shape (2,)" in result.message
