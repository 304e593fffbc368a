"""Teaching exercises on programme impact and reputation: difference-in-differences, the
Bayesian average and the Wilson lower bound.

The checkers work like the others of :mod:`relmark.teaching`: they call the student's function
on several cases, compare with relmark's reference (:func:`relmark.decide.membership_effect`,
:func:`relmark.scoring.reviews.bayesian_average`,
:func:`relmark.scoring.reviews.wilson_lower_bound`), and name a known kind of mistake with its
own hint.

>>> from relmark.teaching import check_did
>>> def mean(x):
...     return sum(x) / len(x)
>>> def my_did(members_before, members_after, others_before, others_after):
...     return (mean(members_after) - mean(members_before)) - (
...         mean(others_after) - mean(others_before))
>>> print(check_did(my_did))
check_did: all 4 cases correct.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from relmark.teaching import CheckResult, _Case, _Mistake, _run

__all__ = ["check_bayesian_average", "check_did", "check_wilson_lower_bound"]


def _did_reference(tb: np.ndarray, ta: np.ndarray, cb: np.ndarray, ca: np.ndarray) -> float:
    import pandas as pd

    from relmark.decide.loyalty import membership_effect

    n, m = tb.size, cb.size
    ids = [f"m{i}" for i in range(n)] + [f"o{i}" for i in range(m)]
    panel = pd.DataFrame(
        {
            "customer_id": ids * 2,
            "period": [0] * (n + m) + [1] * (n + m),
            "spend": np.concatenate([tb, cb, ta, ca]),
            "member": [0] * (n + m) + [1] * n + [0] * m,
        }
    )
    return membership_effect(panel).effect


def check_did(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(members_before, members_after, others_before, others_after)``: the
    difference-in-differences estimate of a loyalty programme's effect on spend from the
    spend of the same members (and of the same non-members) before and after the launch.

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
        ``student`` is not a function.

    References
    ----------
    Angrist & Pischke (2009), *Mostly Harmless Econometrics*, sec. 5.2.

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_did(solutions.did).passed
    True
    >>> check_did(lambda tb, ta, cb, ca: sum(ta) / len(ta) - sum(ca) / len(ca)).mistake
    'members against non-members after the launch only'
    """

    rng = np.random.default_rng(20)
    cases = [
        _Case(
            (
                np.array([10.0, 12.0]),
                np.array([15.0, 16.0]),
                np.array([10.0, 9.0]),
                np.array([11.0, 11.0]),
            ),
            3.0,
        )
    ]
    for n, m, effect in [(30, 50, 4.0), (5, 8, -2.0), (200, 100, 0.5)]:
        tb = rng.gamma(4, 10, n) + 10
        cb = rng.gamma(4, 10, m)
        ta = tb + 3 + effect + rng.normal(0, 4, n)
        ca = cb + 3 + rng.normal(0, 4, m)
        args = tuple(np.round(v, 2) for v in (tb, ta, cb, ca))
        cases.append(_Case(args, _did_reference(*args)))

    def mean(x: Any) -> float:
        return float(np.mean(x))

    return _run(
        "check_did",
        student,
        cases,
        rtol=1e-9,
        hint="take the members' change (mean after - mean before) and subtract the "
        "non-members' change over the same periods.",
        scale="extra spend per member and period, in the spend's unit (positive if membership "
        "raised spend)",
        mistakes=[
            _Mistake(
                "members against non-members after the launch only",
                "members spent more before the launch too (heavy buyers join): compare the "
                "changes, not the levels after the launch.",
                lambda a, _: mean(a[1]) - mean(a[3]),
            ),
            _Mistake(
                "the members' change alone",
                "spend moves for everyone (season, prices): subtract the non-members' change "
                "over the same periods.",
                lambda a, _: mean(a[1]) - mean(a[0]),
            ),
            _Mistake(
                "the difference the wrong way round",
                "the effect is the members' change minus the non-members' change.",
                lambda _, want: -float(want),
            ),
        ],
    )


def check_bayesian_average(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(mean, count, prior_mean, prior_weight)``: an item's mean rating over
    ``count`` reviews shrunk toward ``prior_mean`` weighted as ``prior_weight`` reviews.

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
        ``student`` is not a function.

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_bayesian_average(solutions.bayesian_average).passed
    True
    >>> check_bayesian_average(lambda x, n, m, c: (n * m + c * x) / (c + n)).mistake
    'the weights swapped'
    """
    from relmark.scoring.reviews import bayesian_average

    inputs = [(5.0, 1, 3.9, 10.0), (4.8, 400, 3.9, 10.0), (2.0, 3, 4.2, 5.0), (4.0, 25, 3.0, 50.0)]
    cases = [
        _Case(a, float(bayesian_average(a[0], a[1], prior_mean=a[2], prior_weight=a[3])[0]))
        for a in inputs
    ]
    return _run(
        "check_bayesian_average",
        student,
        cases,
        rtol=1e-9,
        hint="weight the prior mean by the prior weight C and the item's mean by its review "
        "count n, and divide by C + n.",
        scale="a rating between the item's mean and the prior mean",
        mistakes=[
            _Mistake(
                "the weights swapped",
                "the item's mean counts as many times as it has reviews (n), the prior as C.",
                lambda a, _: (a[1] * a[2] + a[3] * a[0]) / (a[3] + a[1]),
            ),
            _Mistake(
                "the plain mean",
                "with few reviews the mean is noisy: shrink it toward the prior mean.",
                lambda a, _: a[0],
            ),
            _Mistake(
                "the prior's weight left out of the denominator",
                "divide by C + n, the total weight, so that the result is an average.",
                lambda a, _: (a[3] * a[2] + a[1] * a[0]) / a[1],
            ),
        ],
    )


def check_wilson_lower_bound(student: Callable[..., Any]) -> CheckResult:
    """Check ``student(positive, total)``: the lower end of the 95% Wilson score interval of
    the share of positive ratings (the exact normal quantile or the textbook 1.96).

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
        ``student`` is not a function.

    References
    ----------
    Wilson, E. B. (1927). "Probable inference, the law of succession, and statistical
    inference", *JASA* 22(158), 209-212.

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_wilson_lower_bound(solutions.wilson_lower_bound).passed
    True
    """
    from relmark.scoring.reviews import wilson_interval

    def wilson(k: float, n: float, z: float) -> tuple[float, float]:
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return float(centre - half), float(centre + half)

    inputs = [(1, 1), (95, 100), (3, 10), (480, 500), (0, 4)]
    cases = [
        _Case((k, n), float(wilson_interval(k, n, level=0.95)[0][0]), also=(wilson(k, n, 1.96)[0],))
        for k, n in inputs
    ]

    def wald(z: float) -> Callable[[tuple[Any, ...], Any], float]:
        def low(a: tuple[Any, ...], _: Any) -> float:
            p = a[0] / a[1]
            return float(p - z * np.sqrt(p * (1 - p) / a[1]))

        return low

    wald_hint = (
        "p - z sqrt(p(1-p)/n) breaks down for few ratings or shares near 0 or 1 (one "
        "positive of one gives 1): use Wilson's score interval."
    )
    upper_hint = "rank by the lower end (centre - half-width): the pessimistic estimate."
    percent_hint = "return the share (0.89), not the percent (89)."

    return _run(
        "check_wilson_lower_bound",
        student,
        cases,
        rtol=1e-5,
        hint="centre = (p + z^2/2n) / (1 + z^2/n), half-width = z sqrt(p(1-p)/n + z^2/4n^2) / "
        "(1 + z^2/n), with p = positive/total and z = 1.96; return centre - half-width.",
        scale="a share in [0, 1], below the observed share positive/total",
        mistakes=[
            *(
                _Mistake(kind, hint, answer)
                for z in (1.959964, 1.96)
                for kind, hint, answer in (
                    ("the Wald (normal) interval", wald_hint, wald(z)),
                    ("the upper end", upper_hint, lambda a, _, z=z: wilson(a[0], a[1], z)[1]),
                    (
                        "a percent instead of a share",
                        percent_hint,
                        lambda a, _, z=z: 100.0 * wilson(a[0], a[1], z)[0],
                    ),
                )
            ),
        ],
    )
