"""Teaching exercises: checkers that compare a student's function with relmark's reference.

Each checker calls the student's function on several inputs, compares with the reference and
returns a :class:`CheckResult` whose message says, in plain words, which input failed, what was
expected and what came back, and the expected scale of the answer. When the wrong answer is a
known kind of mistake (the likelihood instead of its log, a sign error, a percent given as a
share, a sample variance mixed with a population one, ...), the message names that mistake and
gives its own hint, and :attr:`CheckResult.mistake` says which it was; otherwise it gives the
exercise's general hint. ``print(result)`` in a notebook shows it.

Where the exercise says so, more than one answer is right: the NPS interval accepts the
textbook :math:`z = 1.96` as well as the exact 97.5% normal quantile 1.959964.

>>> from relmark.teaching import check_nps
>>> def my_nps(scores):
...     promoters = sum(s >= 9 for s in scores)
...     detractors = sum(s <= 6 for s in scores)
...     return 100 * (promoters - detractors) / len(scores)
>>> print(check_nps(my_nps))
check_nps: all 5 cases correct.
>>> result = check_nps(lambda s: my_nps(s) / 100)
>>> result.mistake
'a share instead of a percent'
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from scipy.special import betaln, gammaln

from relmark.errors import ArgumentError

__all__ = [
    "EXERCISES",
    "CheckResult",
    "check_bayesian_average",
    "check_bgnbd_log_likelihood",
    "check_break_even_response_rate",
    "check_cronbach_alpha",
    "check_did",
    "check_lift",
    "check_nps",
    "check_nps_interval",
    "check_p_alive",
    "check_referral_breakeven",
    "check_shapley",
    "check_transition_matrix",
    "check_wilson_lower_bound",
]

Answer = Any
"""What a student's function returns (a number, a tuple, an array)."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a checker: passed or not, a message for the student, the mistake recognised.

    Parameters
    ----------
    name
        The checker's name.
    passed
        Whether every case was answered correctly.
    message
        What went wrong (or that all cases are correct), in words.
    mistake
        The kind of wrong answer recognised (e.g. ``"likelihood instead of its log"``), or
        ``None`` when the answer is right or not a known kind of mistake.
    """

    name: str
    passed: bool
    message: str
    mistake: str | None = None

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    def __bool__(self) -> bool:
        return self.passed


@dataclass(frozen=True)
class _Mistake:
    """A kind of wrong answer: what it would give for a case, and the hint for it."""

    kind: str
    hint: str
    answer: Callable[[tuple[Any, ...], Any], Answer | None]
    """The wrong answer for (arguments, right answer), or None where it does not apply."""


@dataclass(frozen=True)
class _Case:
    args: tuple[Any, ...]
    want: Answer
    also: tuple[Answer, ...] = field(default=())
    """Other answers the exercise accepts (e.g. with the textbook z = 1.96)."""


def _close(got: np.ndarray, want: Answer, rtol: float) -> bool:
    w = np.asarray(want, dtype=np.float64)
    return got.shape == w.shape and bool(np.allclose(got, w, rtol=rtol, atol=1e-12))


def _sign(_: tuple[Any, ...], want: Answer) -> Answer:
    return -np.asarray(want, dtype=np.float64)


def _times(factor: float) -> Callable[[tuple[Any, ...], Any], Answer]:
    return lambda _, want: np.asarray(want, dtype=np.float64) * factor


def _shown(args: tuple[Any, ...]) -> str:
    return ", ".join(repr(a) if not isinstance(a, np.ndarray) else f"array{a.shape}" for a in args)


def _round(values: np.ndarray) -> Any:
    """Six decimals for the message; a huge answer (1.8e302) as it is (rounding multiplies it
    by 1e6, which overflowed with a RuntimeWarning)."""
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.round(values, 6)
    return np.where(np.isfinite(rounded), rounded, values).tolist()


def _is_number(value: object) -> bool:
    """A real number: not a bool, text, a date or a complex number."""
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool | np.bool_)


def _answer(student: Callable[..., Any], case: _Case) -> np.ndarray | str:
    """The student's answer as a float array, or what is wrong with it, in words.

    Only real numbers count: text (``"0.5"``, ``("1", "2")``), booleans, dates and complex
    numbers are not answers, though numpy would convert them (``True`` to 1, a date to its
    day count). The student gets a copy of the inputs, so an answer that edits them in place
    does not change what the checker compares it with."""
    try:
        got = student(*copy.deepcopy(case.args))
    except Exception as exc:  # a student's function may raise anything: report it
        return f"raised {type(exc).__name__}: {exc}"
    wrong = f"expected numbers, got {got!r}"
    if got is None or isinstance(got, str | bytes | dict | bool | np.bool_):
        return wrong
    try:
        raw = np.asarray(got)
    except (TypeError, ValueError):  # ragged lists
        return wrong
    if raw.dtype.kind == "O":
        if not all(_is_number(v) for v in raw.flat):
            return wrong
    elif raw.dtype.kind not in "iuf":
        return wrong
    try:
        return raw.astype(np.float64)
    except OverflowError:  # an integer beyond any float (10**400)
        return f"a number too large for a float, got {got!r}"


def _diagnose(
    mistakes: Sequence[_Mistake], wrong: Sequence[tuple[_Case, np.ndarray]]
) -> _Mistake | None:
    """The first mistake that explains every wrong answer it applies to (at least one)."""
    for mistake in mistakes:
        matched = 0
        for case, got in wrong:
            expected = mistake.answer(case.args, case.want)
            if expected is None:
                continue
            if not _close(got, expected, 1e-6):
                break
            matched += 1
        else:
            if matched:
                return mistake
    return None


def _run(
    name: str,
    student: Callable[..., Any],
    cases: Sequence[_Case],
    *,
    rtol: float,
    hint: str,
    scale: str,
    mistakes: Sequence[_Mistake] = (),
) -> CheckResult:
    """Run ``student`` on every case and report the first wrong one, with the hint of the
    mistake that explains all the wrong answers (tried in order) or the general ``hint``, and
    the expected scale."""
    if not callable(student):
        raise ArgumentError(
            f"must be the function to check (pass it without calling it: {name}(my_function)), "
            f"got {student!r} of type {type(student).__name__}",
            argument="student",
        )
    answers = [_answer(student, case) for case in cases]
    wrong = [
        (case, got)
        for case, got in zip(cases, answers, strict=True)
        if isinstance(got, np.ndarray)
        and got.shape == np.shape(case.want)
        and np.all(np.isfinite(got))
        and not any(_close(got, right, rtol) for right in (case.want, *case.also))
    ]
    for i, (case, got) in enumerate(zip(cases, answers, strict=True), start=1):
        shown = _shown(case.args)
        if isinstance(got, str):
            if got.startswith("raised"):
                return CheckResult(name, False, f"case {i} ({shown}) {got}")
            return CheckResult(
                name, False, f"case {i} ({shown}): {got}. Expected scale: {scale}. Hint: {hint}"
            )
        want_arr = np.asarray(case.want, dtype=np.float64)
        if got.shape != want_arr.shape:
            return CheckResult(
                name,
                False,
                f"case {i} ({shown}): expected shape {want_arr.shape}, got {got.shape}. "
                f"Expected scale: {scale}.",
                "wrong shape",
            )
        if not np.all(np.isfinite(got)):
            return CheckResult(
                name,
                False,
                f"case {i} ({shown}): got a NaN or infinite value. Expected scale: {scale}. "
                f"Hint: {hint}",
                "not finite",
            )
        if any(_close(got, right, rtol) for right in (case.want, *case.also)):
            continue
        said = f"case {i} ({shown}): expected {_round(want_arr)}, got {_round(got)}."
        mistake = _diagnose(mistakes, wrong)
        if mistake is not None:
            return CheckResult(
                name,
                False,
                f"{said} This looks like {mistake.kind}: {mistake.hint} Expected scale: {scale}.",
                mistake.kind,
            )
        return CheckResult(name, False, f"{said} Expected scale: {scale}. Hint: {hint}")
    return CheckResult(name, True, f"all {len(cases)} cases correct.")


# ---------------------------------------------------------------------- BG/NBD
_BGNBD = (0.243, 4.414, 0.793, 2.426)
"""Fader, Hardie & Lee (2005)'s CDNOW estimates (r, alpha, a, b)."""


def _bgnbd_terms(args: tuple[Any, ...]) -> tuple[float, float, float]:
    """log of the common factor, of the 'alive' term and of the 'dropped out' term."""
    r, alpha, a, b, x, t_x, T = args
    base = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * math.log(alpha + T)
    dead = (
        betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * math.log(alpha + t_x)
        if b + x - 1 > 0
        else -math.inf
    )
    return float(base), float(alive), float(dead)


def _ll_without_dropout(args: tuple[Any, ...], _: Answer) -> Answer | None:
    if args[4] == 0:
        return None
    base, alive, _dead = _bgnbd_terms(args)
    return base + alive


def _ll_dropout_at_zero(args: tuple[Any, ...], _: Answer) -> Answer | None:
    if args[4] != 0:
        return None
    base, alive, dead = _bgnbd_terms(args)
    return base + float(np.logaddexp(alive, dead))


def check_bgnbd_log_likelihood(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(r, alpha, a, b, x, t_x, T)``: one customer's BG/NBD log-likelihood.

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_bgnbd_log_likelihood(solutions.bgnbd_log_likelihood).passed
    True
    >>> likelihood = lambda *args: math.exp(solutions.bgnbd_log_likelihood(*args))
    >>> check_bgnbd_log_likelihood(likelihood).mistake
    'the likelihood instead of its log'
    """
    from relmark.clv import BGNBD

    model = BGNBD(r=_BGNBD[0], alpha=_BGNBD[1], a=_BGNBD[2], b=_BGNBD[3])
    cases = []
    for x, tx, T in [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (26, 30.86, 31.0)]:
        want = model.log_likelihood(frequency=[float(x)], recency=[tx], T=[T])[0]
        cases.append(_Case((*_BGNBD, x, tx, T), float(want)))
    return _run(
        "check_bgnbd_log_likelihood",
        student,
        cases,
        rtol=1e-6,
        hint="the second term B(a+1, b+x-1)/B(a,b) (alpha+t_x)^-(r+x) only exists when x > 0; "
        "work with gammaln/betaln (logs) to avoid overflow.",
        scale="a negative number (the log of a probability): here between about -40 and -0.5, "
        "in nats (natural logs)",
        mistakes=[
            _Mistake(
                "the likelihood instead of its log",
                "your answer is exp(log-likelihood), the likelihood L itself; return log L "
                "(add the logs of the factors, use np.logaddexp for the sum of the two terms).",
                lambda _, want: math.exp(want),
            ),
            _Mistake(
                "a sign error",
                "your answer is minus the log-likelihood (the negative log-likelihood an "
                "optimiser minimises); return log L, which is negative.",
                _sign,
            ),
            _Mistake(
                "log base 10 instead of the natural log",
                "your answer is log10 L; likelihoods use the natural log (np.log, gammaln).",
                lambda _, want: want / math.log(10.0),
            ),
            _Mistake(
                "the dropout term missing",
                "for x > 0 the likelihood has a second term, B(a+1, b+x-1)/B(a,b) "
                "(alpha+t_x)^-(r+x) times the common factor: the customer may have dropped out "
                "after the last purchase.",
                _ll_without_dropout,
            ),
            _Mistake(
                "a dropout term at x = 0",
                "the dropout term only exists when x > 0 (a customer without repeat purchases "
                "cannot have dropped out after one); for x = 0 it is the first term alone.",
                _ll_dropout_at_zero,
            ),
        ],
    )


def _p_alive_flipped(args: tuple[Any, ...], want: Answer) -> Answer | None:
    r, alpha, a, b, x, t_x, T = args
    if x == 0:
        return None
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + t_x) / (alpha + T)) ** (r + x))


def _p_alive_x0(args: tuple[Any, ...], want: Answer) -> Answer | None:
    r, alpha, a, b, x, _t_x, T = args
    if x != 0:
        return None
    return None if b + x - 1 <= 0 else 1.0 / (1.0 + a / (b - 1) * ((alpha + T) / alpha) ** r)


def check_p_alive(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(r, alpha, a, b, x, t_x, T)``: BG/NBD P(alive).

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_p_alive(solutions.p_alive).passed
    True
    >>> check_p_alive(lambda *args: 1 - solutions.p_alive(*args)).mistake
    'P(dropped out) instead of P(alive)'
    """
    from relmark.clv import BGNBD

    m = BGNBD(r=_BGNBD[0], alpha=_BGNBD[1], a=_BGNBD[2], b=_BGNBD[3])
    cases = [
        _Case((*_BGNBD, x, tx, T), float(m.p_alive(x, tx, T)[0]))
        for x, tx, T in [(0, 0.0, 38.86), (2, 30.43, 38.86), (10, 20.0, 38.86), (1, 38.86, 38.86)]
    ]
    return _run(
        "check_p_alive",
        student,
        cases,
        rtol=1e-6,
        hint="a customer without repeat purchases is alive with probability 1 under BG/NBD; "
        "otherwise 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).",
        scale="a probability: a share between 0 and 1",
        mistakes=[
            _Mistake(
                "P(dropped out) instead of P(alive)",
                "your answer is 1 - P(alive); P(alive) = 1 / (1 + a/(b+x-1) ...), the "
                "probability that the customer has not dropped out.",
                lambda _, want: 1.0 - want,
            ),
            _Mistake(
                "a percent instead of a share",
                "a probability is a share between 0 and 1, not a percent: do not multiply by 100.",
                _times(100.0),
            ),
            _Mistake(
                "a sign error in the exponent",
                "the term is ((alpha+T)/(alpha+t_x))^(r+x), >= 1: the longer since the last "
                "purchase, the less likely alive; yours is ((alpha+T)/(alpha+t_x))^-(r+x).",
                _p_alive_flipped,
            ),
            _Mistake(
                "the x > 0 formula used at x = 0",
                "under BG/NBD a customer can only drop out right after a purchase: without "
                "repeat purchases (x = 0) P(alive) is exactly 1.",
                _p_alive_x0,
            ),
        ],
    )


# ---------------------------------------------------------------------- Markov chains
def _counts(panel: np.ndarray, k: int) -> np.ndarray:
    counts = np.zeros((k, k))
    np.add.at(counts, (panel[:, :-1].ravel(), panel[:, 1:].ravel()), 1.0)
    return counts


def check_transition_matrix(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(panel, k)``: the ML transition matrix from a customers x periods panel
    of state indices 0..k-1 (every state observed as a source).

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_transition_matrix(solutions.transition_matrix).passed
    True
    >>> check_transition_matrix(lambda p, k: solutions.transition_matrix(p, k).T).mistake
    'the matrix transposed'
    """
    from relmark.lifecycle import estimate_transitions

    rng = np.random.default_rng(7)
    cases = []
    for n, t, k in [(5, 4, 2), (50, 6, 3), (200, 10, 4)]:
        panel = rng.integers(0, k, size=(n, t))
        want = estimate_transitions(panel, [str(i) for i in range(k)]).matrix
        cases.append(_Case((panel, k), np.asarray(want, dtype=np.float64)))

    def by_total(args: tuple[Any, ...], _: Answer) -> Answer:
        c = _counts(*args)
        return c / c.sum()

    def by_column(args: tuple[Any, ...], _: Answer) -> Answer:
        c = _counts(*args)
        return c / c.sum(axis=0, keepdims=True)

    return _run(
        "check_transition_matrix",
        student,
        cases,
        rtol=1e-9,
        hint="count moves from period t to t+1 for every customer, then divide each row by its "
        "total; rows must sum to one.",
        scale="a k x k matrix of probabilities in [0, 1], each row (from a state) summing to 1",
        mistakes=[
            _Mistake(
                "the matrix transposed",
                "rows are the state moved from and columns the state moved to: P[i, j] = "
                "P(next = j | now = i).",
                lambda _, want: np.asarray(want).T,
            ),
            _Mistake(
                "counts divided by the grand total",
                "divide each row's counts by that row's total (moves out of the state), not by "
                "all moves: each row must sum to 1.",
                by_total,
            ),
            _Mistake(
                "columns normalised instead of rows",
                "divide by the row totals (moves out of state i), not the column totals: each "
                "row must sum to 1.",
                by_column,
            ),
            _Mistake(
                "percents instead of shares",
                "transition probabilities are shares between 0 and 1: do not multiply by 100.",
                _times(100.0),
            ),
        ],
    )


# ---------------------------------------------------------------------- reliability
def _alpha(items: np.ndarray, item_ddof: int, total_ddof: int, factor: bool = True) -> float:
    k = items.shape[1]
    ratio = items.var(axis=0, ddof=item_ddof).sum() / items.sum(axis=1).var(ddof=total_ddof)
    return float((k / (k - 1) if factor else 1.0) * (1.0 - ratio))


def check_cronbach_alpha(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(items)``: Cronbach's alpha of a respondents x items array.

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_cronbach_alpha(solutions.cronbach_alpha).passed
    True
    >>> mixed = lambda x: (x.shape[1] / (x.shape[1] - 1)
    ...                    * (1 - x.var(axis=0).sum() / x.sum(axis=1).var(ddof=1)))
    >>> check_cronbach_alpha(mixed).mistake
    'mixed variance definitions'
    """
    from relmark.scoring import ReliabilityThresholds, cronbach_alpha

    rng = np.random.default_rng(3)
    cases = []
    for n, k in [(40, 3), (100, 5), (12, 4)]:
        f = rng.standard_normal((n, 1))
        items = np.round(4 + f + rng.normal(0, 0.8, (n, k)))
        result = cronbach_alpha(items, thresholds=ReliabilityThresholds(min_respondents=3))
        cases.append(_Case((items,), float(result.alpha)))
    return _run(
        "check_cronbach_alpha",
        student,
        cases,
        rtol=1e-9,
        hint="alpha = k/(k-1) (1 - sum of item variances / variance of the total score); the "
        "items are columns, and items and total need the same variance definition.",
        scale="a number at most 1 (here between about 0.8 and 0.9: the items agree)",
        mistakes=[
            _Mistake(
                "mixed variance definitions",
                "the item variances are population variances (ddof=0, numpy's default) and the "
                "total's a sample variance (ddof=1), or the other way round: use one definition "
                "for both (then the choice cancels out).",
                lambda args, _: _alpha(args[0], 0, 1),
            ),
            _Mistake(
                "mixed variance definitions",
                "the item variances are sample variances (ddof=1) and the total's a population "
                "variance (ddof=0): use one definition for both (then the choice cancels out).",
                lambda args, _: _alpha(args[0], 1, 0),
            ),
            _Mistake(
                "the factor k/(k-1) missing",
                "alpha = k/(k-1) (1 - ...): multiply by k/(k-1), k the number of items.",
                lambda args, _: _alpha(args[0], 1, 1, factor=False),
            ),
            _Mistake(
                "respondents taken for items",
                "items are the columns (axis 0 runs over respondents): item variances are "
                "x.var(axis=0), the total score is x.sum(axis=1).",
                lambda args, _: _alpha(args[0].T, 1, 1),
            ),
            _Mistake(
                "a percent instead of a share",
                "alpha is a number at most 1, not a percent: do not multiply by 100.",
                _times(100.0),
            ),
        ],
    )


# ---------------------------------------------------------------------- NPS
def _nps_with(scores: Sequence[int], promoter: int, detractor: int) -> float:
    s = np.asarray(scores)
    return float(100 * (np.mean(s >= promoter) - np.mean(s <= detractor)))


def check_nps(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(scores)``: the Net Promoter Score of 0-10 answers.

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_nps(solutions.nps).passed
    True
    """
    from relmark.scoring import nps

    samples = [
        [10, 9, 9, 8, 7, 6, 3, 10, 9, 5],
        [10] * 5,
        [0, 1, 2, 7, 8],
        [6, 7, 8, 9],
        [8, 6, 6, 9, 2],  # tells 8-as-promoter (-20) from 6-as-passive (0) apart
    ]
    return _run(
        "check_nps",
        student,
        [_Case((s,), nps(s).score) for s in samples],
        rtol=1e-12,
        hint="promoters answer 9 or 10, detractors 0 to 6; NPS = 100 (promoters - detractors) / n.",
        scale="a score between -100 and 100 (percentage points, not a share)",
        mistakes=[
            _Mistake(
                "a share instead of a percent",
                "NPS is on a -100..100 scale: 100 (promoters - detractors) / n, not a share.",
                _times(0.01),
            ),
            _Mistake(
                "a sign error",
                "NPS is promoters minus detractors, not detractors minus promoters.",
                _sign,
            ),
            _Mistake(
                "8 counted as a promoter",
                "promoters answer 9 or 10 only; 7 and 8 are passives.",
                lambda args, _: _nps_with(args[0], 8, 6),
            ),
            _Mistake(
                "7 counted as a detractor",
                "detractors answer 0 to 6; 7 and 8 are passives.",
                lambda args, _: _nps_with(args[0], 9, 7),
            ),
            _Mistake(
                "6 left out of the detractors",
                "detractors answer 0 to 6, 6 included.",
                lambda args, _: _nps_with(args[0], 9, 5),
            ),
        ],
    )


def _nps_parts(scores: Sequence[int]) -> tuple[float, float, float, int]:
    s = np.asarray(scores)
    pp, pd_ = float(np.mean(s >= 9)), float(np.mean(s <= 6))
    return pp, pd_, pp - pd_, s.size


def _interval(score: float, half: float) -> tuple[float, float]:
    return max(score - half, -100.0), min(score + half, 100.0)


def _wald_with(
    scores: Sequence[int], *, z: float, variance: str = "right", n_minus_one: bool = False
) -> tuple[float, float]:
    pp, pd_, diff, n = _nps_parts(scores)
    var = {
        "right": pp + pd_ - diff**2,
        "independent": pp * (1 - pp) + pd_ * (1 - pd_),
    }[variance]
    se = 100 * math.sqrt(var / (n - 1 if n_minus_one else n))
    return _interval(100 * diff, z * se)


def _wald_mistake(
    z: float, *, share: bool = False, variance: str = "right", n_minus_one: bool = False
) -> Callable[[tuple[Any, ...], Any], Answer]:
    def answer(args: tuple[Any, ...], _: Answer) -> Answer:
        low, high = _wald_with(args[0], z=z, variance=variance, n_minus_one=n_minus_one)
        return (low / 100, high / 100) if share else (low, high)

    return answer


Z_975 = 1.959963984540054
"""The 97.5% normal quantile, ``scipy.stats.norm.ppf(0.975)``."""


def check_nps_interval(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(scores)``: the 95% Wald interval ``(low, high)`` of the NPS.

    Either z is right, as the exercise says: the textbook 1.96 or the exact 97.5% normal
    quantile 1.959964 (:data:`Z_975`).

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_nps_interval(solutions.nps_interval).passed
    True
    >>> check_nps_interval(solutions.nps_interval_textbook).passed
    True
    """
    from relmark.scoring import nps

    samples = [
        [10, 9, 9, 8, 7, 6, 3, 10, 9, 5],
        list(range(11)) * 3,
        [10, 9, 8, 3] * 25,
        [10] * 9 + [0],  # 80 + 37: the upper bound is clipped at 100
    ]
    cases = [_Case((s,), nps(s).wald, also=(_wald_with(s, z=1.96),)) for s in samples]

    def unclipped(z: float) -> Callable[[tuple[Any, ...], Any], Answer]:
        def answer(args: tuple[Any, ...], _: Answer) -> Answer:
            pp, pd_, diff, n = _nps_parts(args[0])
            half = z * 100 * math.sqrt((pp + pd_ - diff**2) / n)
            return (100 * diff - half, 100 * diff + half)

        return answer

    def score_and_se(args: tuple[Any, ...], _: Answer) -> Answer:
        pp, pd_, diff, n = _nps_parts(args[0])
        return (100 * diff, 100 * math.sqrt((pp + pd_ - diff**2) / n))

    mistakes = [
        _Mistake(
            "(high, low) instead of (low, high)",
            "return the lower bound first.",
            lambda args, want: tuple(np.asarray(want)[::-1]),
        ),
        _Mistake(
            "(score, standard error) instead of (low, high)",
            "return the interval: score - z se and score + z se, with z = 1.96.",
            score_and_se,
        ),
        _Mistake(
            "the 90% interval",
            "z = 1.645 gives a 90% interval; the 95% interval uses z = 1.96 (exactly "
            "scipy.stats.norm.ppf(0.975) = 1.959964; either is accepted).",
            lambda args, _: _wald_with(args[0], z=1.6448536269514722),
        ),
        _Mistake(
            "the 99% interval",
            "z = 2.576 gives a 99% interval; the 95% interval uses z = 1.96.",
            lambda args, _: _wald_with(args[0], z=2.5758293035489004),
        ),
    ]
    for z in (Z_975, 1.96):  # each mistake made with either accepted z
        mistakes += [
            _Mistake(
                "a share instead of a percent",
                "the interval is on the NPS scale, -100..100: multiply the shares' interval "
                "by 100.",
                _wald_mistake(z, share=True),
            ),
            _Mistake(
                "the wrong variance: promoters and detractors treated as independent",
                "the shares of promoters and detractors are not independent (they come from "
                "one multinomial): var = (pP + pD - (pP - pD)^2) / n, not "
                "(pP(1-pP) + pD(1-pD)) / n.",
                _wald_mistake(z, variance="independent"),
            ),
            _Mistake(
                "the wrong variance: n - 1 instead of n",
                "the Wald standard error divides by n (the number of answers), not n - 1.",
                _wald_mistake(z, n_minus_one=True),
            ),
            _Mistake(
                "the interval not clipped to the scale",
                "NPS cannot leave -100..100: clip the bounds (max(low, -100), min(high, 100)).",
                unclipped(z),
            ),
        ]
    return _run(
        "check_nps_interval",
        student,
        cases,
        rtol=1e-6,
        hint="the standard error is 100 sqrt((pP + pD - (pP - pD)^2) / n); the interval is "
        "NPS -/+ z se with z = 1.96 (or exactly scipy.stats.norm.ppf(0.975) = 1.959964), "
        "clipped to -100..100.",
        scale="two numbers (low, high) between -100 and 100, low <= NPS <= high",
        mistakes=mistakes,
    )


# ---------------------------------------------------------------------- relationship pricing
def check_referral_breakeven(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(margin, retention, discount_rate, discount)``: the retention at which a
    loyalty discount leaves CLV = m(1+i)/(1+i-r) unchanged.

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_referral_breakeven(solutions.referral_breakeven).passed
    True
    >>> check_referral_breakeven(lambda m, r, i, d: r).mistake
    'the retention unchanged'
    """
    from relmark.domain import breakeven_retention

    args = [(100.0, 0.8, 0.1, 10.0), (50.0, 0.6, 0.05, 5.0), (200.0, 0.9, 0.12, 30.0)]

    def flipped(a: tuple[Any, ...], _: Answer) -> Answer:
        m, r, i, d = a
        return 1 + i - (1 + i - r) * m / (m - d)

    def sign(a: tuple[Any, ...], _: Answer) -> Answer:
        m, r, i, d = a
        return 1 + i + (1 + i - r) * (m - d) / m

    def no_discounting(a: tuple[Any, ...], _: Answer) -> Answer:
        m, r, _i, d = a
        return 1 - (1 - r) * (m - d) / m

    return _run(
        "check_referral_breakeven",
        student,
        [_Case(a, breakeven_retention(*a)) for a in args],
        rtol=1e-9,
        hint="set m(1+i)/(1+i-r) equal to (m-d)(1+i)/(1+i-r*) and solve for r*.",
        scale="a retention rate, a share between the current retention r and 1 (a discount "
        "pays only if customers stay longer)",
        mistakes=[
            _Mistake(
                "the retention unchanged",
                "r* is the retention the discount must reach, above r: the discount lowers the "
                "margin to m - d, so customers must stay longer.",
                lambda a, _: a[1],
            ),
            _Mistake(
                "the margin ratio upside down",
                "solving m/(1+i-r) = (m-d)/(1+i-r*) gives 1+i-r* = (1+i-r)(m-d)/m: the ratio is "
                "(m-d)/m, below 1.",
                flipped,
            ),
            _Mistake(
                "a sign error",
                "r* = 1 + i - (1+i-r)(m-d)/m: the second term is subtracted.",
                sign,
            ),
            _Mistake(
                "the discount rate left out",
                "keep the discount rate i: CLV = m(1+i)/(1+i-r), so r* = 1 + i - (1+i-r)(m-d)/m.",
                no_discounting,
            ),
            _Mistake(
                "a percent instead of a share",
                "a retention rate is a share between 0 and 1: do not multiply by 100.",
                _times(100.0),
            ),
        ],
    )


# ---------------------------------------------------------------------- campaign economics
_LIFT_CASES: list[tuple[list[float], list[int], float]] = [
    (
        [
            0.31,
            0.05,
            0.22,
            0.12,
            0.08,
            0.27,
            0.02,
            0.15,
            0.11,
            0.04,
            0.19,
            0.07,
            0.03,
            0.25,
            0.09,
            0.13,
            0.06,
            0.17,
            0.01,
            0.10,
        ],
        [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
        0.1,
    ),
    (
        [
            0.31,
            0.05,
            0.22,
            0.12,
            0.08,
            0.27,
            0.02,
            0.15,
            0.11,
            0.04,
            0.19,
            0.07,
            0.03,
            0.25,
            0.09,
            0.13,
            0.06,
            0.17,
            0.01,
            0.10,
        ],
        [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
        0.25,
    ),
    (
        [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.55, 0.45, 0.35, 0.65],
        [1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1],
        0.5,
    ),
]
"""(predicted, responded, share): no ties at the cut, share x customers a whole number."""


def _lift_parts(args: tuple[Any, ...], top: bool = True) -> tuple[float, float, float, float]:
    """Responders and customers in the top (or bottom) share, and in total."""
    predicted, responded, share = args
    order = np.argsort(-np.asarray(predicted, dtype=np.float64), kind="stable")
    y = np.asarray(responded, dtype=np.float64)[order]
    k = round(share * y.size)
    group = y[:k] if top else y[-k:]
    return float(group.sum()), float(k), float(y.sum()), float(y.size)


def check_lift(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(predicted, responded, share)``: the lift of the top ``share`` of
    customers ranked by predicted response (the first row of a gains table).

    .. math:: \\text{lift} = \\frac{r_{\\text{top}} / n_{\\text{top}}}{R / N}

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_lift(solutions.lift).passed
    True
    >>> check_lift(lambda p, y, s: 100 * solutions.lift(p, y, s)).mistake
    'an index (x 100) instead of a ratio'
    """
    from relmark.decide import gains_table

    cases = [
        _Case((np.array(p), np.array(y), s), gains_table(p, y, groups=round(1 / s)).lift[0])
        for p, y, s in _LIFT_CASES
    ]

    def rate(a: tuple[Any, ...], _: Answer) -> Answer:
        r, n, _r, _n = _lift_parts(a)
        return r / n

    def gain(a: tuple[Any, ...], _: Answer) -> Answer:
        r, _k, total, _n = _lift_parts(a)
        return r / total

    def bottom(a: tuple[Any, ...], _: Answer) -> Answer:
        r, n, total, size = _lift_parts(a, top=False)
        return (r / n) / (total / size)

    def upside_down(a: tuple[Any, ...], want: Answer) -> Answer | None:
        return None if want == 0 else 1.0 / want

    return _run(
        "check_lift",
        student,
        cases,
        rtol=1e-9,
        hint="sort the customers by predicted response, highest first; take the first "
        "share x N; lift = (their responders / their number) / (all responders / N).",
        scale="a ratio around 1 (1 = no better than mailing at random; the best groups of a "
        "good model 2 to 4)",
        mistakes=[
            _Mistake(
                "the response rate instead of the lift",
                "divide the group's response rate by the overall response rate R / N.",
                rate,
            ),
            _Mistake(
                "the gain instead of the lift",
                "responders in the group / all responders is the gain (the cumulative response "
                "curve); the lift compares response rates: (r / n) / (R / N).",
                gain,
            ),
            _Mistake(
                "the lowest-ranked customers",
                "sort from the highest predicted response down (np.argsort(-predicted)).",
                bottom,
            ),
            _Mistake(
                "the ratio upside down",
                "lift is the group's rate over the overall rate, not the other way round.",
                upside_down,
            ),
            _Mistake(
                "an index (x 100) instead of a ratio",
                "the exercise asks for the ratio (2.5), not the index (250): do not multiply "
                "by 100.",
                _times(100.0),
            ),
        ],
    )


def check_break_even_response_rate(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(cost_per_contact, order_value, cost_of_goods, fulfilment_cost)``: the
    response rate at which a mailing breaks even.

    .. math:: r^{*} = \\frac{c}{\\text{order value} - \\text{cost of goods} -
        \\text{fulfilment}}

    Parameters
    ----------
    student
        The student's function.

    Returns
    -------
    CheckResult
        Passed, or the first wrong case with the mistake it looks like and its hint.

    Raises
    ------
    ArgumentError
        ``student`` is not a function (e.g. its result was passed).

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_break_even_response_rate(solutions.break_even_response_rate).passed
    True
    >>> check_break_even_response_rate(lambda c, v, g, f: c / v).mistake
    'the order value instead of the margin'
    """
    from relmark.decide import break_even_response_rate

    args = [(0.5, 60.0, 30.0, 5.0), (1.2, 80.0, 35.0, 5.0), (0.75, 100.0, 55.0, 20.0)]
    cases = [_Case(a, break_even_response_rate(a[0], a[1] - a[2] - a[3])) for a in args]
    return _run(
        "check_break_even_response_rate",
        student,
        cases,
        rtol=1e-9,
        hint="a response earns the margin m = order value - cost of goods - fulfilment; a "
        "contact costs c; break-even is where r m = c.",
        scale="a share between 0 and 1, here a few percent (0.02 for 2%)",
        mistakes=[
            _Mistake(
                "the order value instead of the margin",
                "a response is worth its margin, not its revenue: subtract the cost of the "
                "goods and of fulfilment from the order value.",
                lambda a, _: a[0] / a[1],
            ),
            _Mistake(
                "the fulfilment cost left out",
                "the margin per response is net of fulfilment (picking, packing, shipping): "
                "m = order value - cost of goods - fulfilment.",
                lambda a, _: a[0] / (a[1] - a[2]),
            ),
            _Mistake(
                "the ratio upside down",
                "break-even is cost / margin (a small share), not margin / cost.",
                lambda a, want: 1.0 / want,
            ),
            _Mistake(
                "a percent instead of a share",
                "return the share (0.02), not the percent (2).",
                _times(100.0),
            ),
        ],
    )


EXERCISES: dict[str, tuple[Callable[[Callable[..., Any]], CheckResult], str, int]] = {
    "bgnbd_log_likelihood": (check_bgnbd_log_likelihood, "BG/NBD likelihood, log space", 40),
    "p_alive": (check_p_alive, "probability of being alive", 20),
    "transition_matrix": (check_transition_matrix, "Markov chains, maximum likelihood", 25),
    "cronbach_alpha": (check_cronbach_alpha, "scale reliability", 20),
    "nps": (check_nps, "Net Promoter Score", 10),
    "nps_interval": (check_nps_interval, "sampling error of NPS", 20),
    "referral_breakeven": (check_referral_breakeven, "relationship pricing algebra", 20),
    "lift": (check_lift, "gains tables, lift of a response model", 15),
    "break_even_response_rate": (check_break_even_response_rate, "campaign economics", 10),
}
"""Exercise -> (checker, concept trained, minutes it takes)."""

from relmark.teaching.programme import (  # noqa: E402 (they build on the helpers above)
    check_bayesian_average,
    check_did,
    check_wilson_lower_bound,
)

EXERCISES["did"] = (check_did, "difference-in-differences, loyalty-programme effect", 15)
EXERCISES["bayesian_average"] = (check_bayesian_average, "ratings on few reviews", 10)
EXERCISES["wilson_lower_bound"] = (check_wilson_lower_bound, "ranking by positive share", 15)

from relmark.teaching.attribution import check_shapley  # noqa: E402

EXERCISES["shapley"] = (check_shapley, "Shapley attribution of conversions to channels", 30)
