"""Teaching exercises: checkers that compare a student's function with relmark's reference.

Each checker calls the student's function on several inputs, compares with the reference and
returns a :class:`CheckResult` whose message says, in plain words, which input failed, what was
expected and what came back, with a hint. ``print(result)`` in a notebook shows it.

>>> from relmark.teaching import check_nps
>>> def my_nps(scores):
...     promoters = sum(s >= 9 for s in scores)
...     detractors = sum(s <= 6 for s in scores)
...     return 100 * (promoters - detractors) / len(scores)
>>> print(check_nps(my_nps))
check_nps: all 4 cases correct.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "EXERCISES",
    "CheckResult",
    "check_bgnbd_loglik",
    "check_cronbach_alpha",
    "check_nps",
    "check_nps_interval",
    "check_p_alive",
    "check_referral_breakeven",
    "check_transition_matrix",
]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a checker: passed or not, and a message for the student."""

    name: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    def __bool__(self) -> bool:
        return self.passed


def _run(
    name: str,
    student: Callable[..., Any],
    cases: Sequence[tuple[tuple[Any, ...], Any]],
    *,
    rtol: float,
    hint: str,
) -> CheckResult:
    for i, (args, want) in enumerate(cases, start=1):
        shown = ", ".join(
            repr(a) if not isinstance(a, np.ndarray) else f"array{a.shape}" for a in args
        )
        try:
            got = student(*args)
        except Exception as exc:
            return CheckResult(
                name, False, f"case {i} ({shown}) raised {type(exc).__name__}: {exc}"
            )
        try:
            if got is None or isinstance(got, str | bytes):
                raise TypeError("text")
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return CheckResult(
                name, False, f"case {i} ({shown}): expected numbers, got {got!r}. Hint: {hint}"
            )
        want_arr = np.asarray(want, dtype=np.float64)
        if got_arr.shape != want_arr.shape:
            return CheckResult(
                name,
                False,
                f"case {i} ({shown}): expected shape {want_arr.shape}, got {got_arr.shape}",
            )
        if not np.all(np.isfinite(got_arr)):
            return CheckResult(
                name, False, f"case {i} ({shown}): got a NaN or infinite value. Hint: {hint}"
            )
        if not np.allclose(got_arr, want_arr, rtol=rtol, atol=1e-12):
            return CheckResult(
                name,
                False,
                f"case {i} ({shown}): expected {np.round(want_arr, 6).tolist()}, "
                f"got {np.round(got_arr, 6).tolist()}. Hint: {hint}",
            )
    return CheckResult(name, True, f"all {len(cases)} cases correct.")


def check_bgnbd_loglik(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(r, alpha, a, b, x, t_x, T)``: one customer's BG/NBD log-likelihood."""
    from relmark.clv import bgnbd

    p = (0.243, 4.414, 0.793, 2.426)
    cases = []
    for x, tx, T in [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (26, 30.86, 31.0)]:
        want = bgnbd.loglik(np.array(p), np.array([float(x)]), np.array([tx]), np.array([T]))[0]
        cases.append(((*p, x, tx, T), want))
    return _run(
        "check_bgnbd_loglik",
        student,
        cases,
        rtol=1e-6,
        hint="the second term B(a+1, b+x-1)/B(a,b) (alpha+t_x)^-(r+x) only exists when x > 0; "
        "work with gammaln/betaln (logs) to avoid overflow.",
    )


def check_p_alive(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(r, alpha, a, b, x, t_x, T)``: BG/NBD P(alive)."""
    from relmark.clv import BGNBD

    m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    cases = [
        ((0.243, 4.414, 0.793, 2.426, x, tx, T), float(m.p_alive(x, tx, T)[0]))
        for x, tx, T in [(0, 0.0, 38.86), (2, 30.43, 38.86), (10, 20.0, 38.86), (1, 38.86, 38.86)]
    ]
    return _run(
        "check_p_alive",
        student,
        cases,
        rtol=1e-6,
        hint="a customer without repeat purchases is alive with probability 1 under BG/NBD; "
        "otherwise 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).",
    )


def check_transition_matrix(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(panel, k)``: the ML transition matrix from a customers x periods panel
    of state indices 0..k-1 (every state observed as a source)."""
    from relmark.lifecycle import estimate_transitions

    rng = np.random.default_rng(7)
    cases = []
    for n, t, k in [(5, 4, 2), (50, 6, 3), (200, 10, 4)]:
        panel = rng.integers(0, k, size=(n, t))
        cases.append(((panel, k), estimate_transitions(panel, [str(i) for i in range(k)]).matrix))
    return _run(
        "check_transition_matrix",
        student,
        cases,
        rtol=1e-9,
        hint="count moves from period t to t+1 for every customer, then divide each row by its "
        "total; rows must sum to one.",
    )


def check_cronbach_alpha(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(items)``: Cronbach's alpha of a respondents x items array."""
    from relmark.scoring import ReliabilityThresholds, cronbach_alpha

    rng = np.random.default_rng(3)
    cases = []
    for n, k in [(40, 3), (100, 5), (12, 4)]:
        f = rng.standard_normal((n, 1))
        items = np.round(4 + f + rng.normal(0, 0.8, (n, k)))
        cases.append(
            (
                (items,),
                cronbach_alpha(items, thresholds=ReliabilityThresholds(min_respondents=2)).alpha,
            )
        )
    return _run(
        "check_cronbach_alpha",
        student,
        cases,
        rtol=1e-9,
        hint="alpha = k/(k-1) (1 - sum of item variances / variance of the total score); the "
        "items are columns, and items and total need the same variance definition.",
    )


def check_nps(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(scores)``: the Net Promoter Score of 0-10 answers."""
    from relmark.scoring import nps

    samples = [[10, 9, 9, 8, 7, 6, 3, 10, 9, 5], [10] * 5, [0, 1, 2, 7, 8], [6, 7, 8, 9]]
    return _run(
        "check_nps",
        student,
        [((s,), nps(s).score) for s in samples],
        rtol=1e-12,
        hint="promoters answer 9 or 10, detractors 0 to 6; NPS = 100 (promoters - detractors) / n.",
    )


def check_nps_interval(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(scores)``: the 95% Wald interval ``(low, high)`` of the NPS."""
    from relmark.scoring import nps

    samples = [[10, 9, 9, 8, 7, 6, 3, 10, 9, 5], list(range(11)) * 3]
    return _run(
        "check_nps_interval",
        student,
        [((s,), nps(s).wald) for s in samples],
        rtol=1e-6,
        hint="the standard error is 100 sqrt((pP + pD - (pP - pD)^2) / n); z is the 97.5% "
        "normal quantile, scipy.stats.norm.ppf(0.975) = 1.959964 (1.96 is off by 2e-5).",
    )


def check_referral_breakeven(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(margin, retention, discount_rate, discount)``: the retention at which a
    loyalty discount leaves CLV = m(1+i)/(1+i-r) unchanged."""
    from relmark.domain import breakeven_retention

    args = [(100.0, 0.8, 0.1, 10.0), (50.0, 0.6, 0.05, 5.0), (200.0, 0.9, 0.12, 30.0)]
    return _run(
        "check_referral_breakeven",
        student,
        [(a, breakeven_retention(*a)) for a in args],
        rtol=1e-9,
        hint="set m(1+i)/(1+i-r) equal to (m-d)(1+i)/(1+i-r*) and solve for r*.",
    )


EXERCISES: dict[str, tuple[Callable[[Callable[..., Any]], CheckResult], str, int]] = {
    "bgnbd_loglik": (check_bgnbd_loglik, "BG/NBD likelihood, log space", 40),
    "p_alive": (check_p_alive, "probability of being alive", 20),
    "transition_matrix": (check_transition_matrix, "Markov chains, maximum likelihood", 25),
    "cronbach_alpha": (check_cronbach_alpha, "scale reliability", 20),
    "nps": (check_nps, "Net Promoter Score", 10),
    "nps_interval": (check_nps_interval, "sampling error of NPS", 20),
    "referral_breakeven": (check_referral_breakeven, "relationship pricing algebra", 20),
}
"""Exercise -> (checker, concept trained, minutes it takes)."""
