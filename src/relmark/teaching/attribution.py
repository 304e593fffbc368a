"""Teaching exercise on attribution: the Shapley value of channels from customer journeys.

The checker works like the others of :mod:`relmark.teaching`: it calls the student's function
on several sets of journeys, compares with relmark's reference
(:func:`relmark.decide.shapley_attribution`, exact enumeration of the coalitions) and names a
known kind of mistake (last-touch or first-touch credit, a split over touches rather than
channels, a worth counted only for the exact channel set, a sum over orderings instead of the
mean, shares instead of worth) with its own hint.

>>> from relmark.teaching import check_shapley, solutions
>>> print(check_shapley(solutions.shapley))
check_shapley: all 4 cases correct.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import permutations
from typing import Any

import numpy as np

from relmark.teaching import CheckResult, _Case, _Mistake, _run

__all__ = ["check_shapley"]

_Args = tuple[Any, ...]


def _journey_cases() -> list[tuple[list[list[str]], list[float], list[str]]]:
    """(journeys, value, channels): a hand case, repeats and values, an idle channel, random."""
    cases: list[tuple[list[list[str]], list[float], list[str]]] = [
        # search completes the third journey alone and shares the first two with email:
        # email 2 x 1/2 = 1, search 1 + 2 x 1/2 = 2.
        (
            [["search", "email"], ["search", "email"], ["search"]],
            [1.0, 1.0, 1.0],
            ["email", "search"],
        ),
        # each journey's worth split over its distinct channels: display 60 + 30 + 30 = 120,
        # email 40 + 30 + 30 = 100, search 60 + 30 = 90 (the last journey did not convert).
        (
            [
                ["search", "display", "search"],
                ["email"],
                ["display", "email"],
                ["search", "email", "display"],
                ["display"],
            ],
            [120.0, 40.0, 60.0, 90.0, 0.0],
            ["display", "email", "search"],
        ),
        # a channel in no journey gets nothing; repeated touches count once
        (
            [["social", "social", "search"], ["search"], ["social"], ["search", "social"]],
            [1.0, 1.0, 0.0, 1.0],
            ["affiliate", "search", "social"],
        ),
    ]
    rng = np.random.default_rng(19)
    names = ["display", "email", "search", "social"]
    journeys = [
        [names[int(k)] for k in rng.integers(0, 4, int(rng.integers(1, 5)))] for _ in range(25)
    ]
    value = [float(v) for v in np.round(rng.gamma(2.0, 30.0, 25) * (rng.random(25) < 0.6), 2)]
    cases.append((journeys, value, names))
    return cases


def _credit(args: _Args, share: Callable[[Sequence[str]], dict[str, float]]) -> list[float]:
    """Each journey's worth credited to channels by ``share`` (a rule of thumb)."""
    journeys, value, channels = args
    total = dict.fromkeys(channels, 0.0)
    for journey, worth in zip(journeys, value, strict=True):
        for channel, part in share(journey).items():
            total[channel] += worth * part
    return [total[c] for c in channels]


def _by_touch(journey: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for channel in journey:
        out[channel] = out.get(channel, 0.0) + 1.0 / len(journey)
    return out


def _exact_set_game(args: _Args, _: Any) -> list[float]:
    """Shapley values when v(S) counts only the journeys whose channels are exactly S."""
    journeys, value, channels = args
    worth: dict[frozenset[str], float] = {}
    for journey, w in zip(journeys, value, strict=True):
        key = frozenset(journey)
        worth[key] = worth.get(key, 0.0) + w
    total = dict.fromkeys(channels, 0.0)
    orders = list(permutations(channels))
    for order in orders:
        joined: set[str] = set()
        for channel in order:
            before = worth.get(frozenset(joined), 0.0)
            joined.add(channel)
            total[channel] += worth.get(frozenset(joined), 0.0) - before
    return [total[c] / len(orders) for c in channels]


def _shares(args: _Args, want: Any) -> Any:
    total = float(np.sum(want))
    return None if total == 0 else np.asarray(want, dtype=np.float64) / total


def check_shapley(student: Callable[..., Any]) -> CheckResult:
    r"""Check ``student(journeys, value, channels)``: the Shapley value of each channel, in the
    order of ``channels``, for the path-based game of the journeys.

    A coalition :math:`S` of channels is worth the total value of the journeys all of whose
    channels lie in :math:`S`, and a channel's Shapley value is its marginal worth averaged
    over the :math:`n!` orders in which the channels could join:

    .. math::

        v(S) = \sum_{j:\ \emptyset \ne C_j \subseteq S} w_j, \qquad
        \phi_i = \frac{1}{n!} \sum_{\text{orders } \pi}
        \bigl(v(P_i^\pi \cup \{i\}) - v(P_i^\pi)\bigr),

    with :math:`P_i^\pi` the channels before :math:`i` in the order :math:`\pi`.

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

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of Games
    II*, 307-317.

    Zhao, K., Mahboobi, S. H., & Bagheri, S. R. (2018). Shapley value methods for attribution
    modeling in online advertising. arXiv:1804.05327.

    Examples
    --------
    >>> from relmark.teaching import solutions
    >>> check_shapley(solutions.shapley).passed
    True
    >>> def last_touch(journeys, value, channels):
    ...     return [sum(w for j, w in zip(journeys, value) if j[-1] == c) for c in channels]
    >>> check_shapley(last_touch).mistake
    'last-touch attribution'
    """
    from relmark.decide.attribution import shapley_attribution

    cases = [
        _Case(
            (journeys, value, channels),
            list(shapley_attribution(journeys, value, channels=channels, method="exact").values),
        )
        for journeys, value, channels in _journey_cases()
    ]

    def summed(args: _Args, want: Any) -> Any:
        return np.asarray(want, dtype=np.float64) * math.factorial(len(args[2]))

    return _run(
        "check_shapley",
        student,
        cases,
        rtol=1e-9,
        hint="v(S) is the worth of the journeys whose channels all lie in S; for each of the "
        "n! orders of the channels (itertools.permutations), credit each channel with "
        "v(channels before it + it) - v(channels before it); average over the orders.",
        scale="one value per channel, in the journeys' worth (conversions or money), adding up "
        "to the worth of all journeys with a touchpoint",
        mistakes=[
            _Mistake(
                "last-touch attribution",
                "the last touch is a rule of thumb, not the Shapley value: average each "
                "channel's marginal worth over every order in which channels could join.",
                lambda a, _: _credit(a, lambda j: {j[-1]: 1.0}),
            ),
            _Mistake(
                "first-touch attribution",
                "the first touch is a rule of thumb, not the Shapley value: average each "
                "channel's marginal worth over every order in which channels could join.",
                lambda a, _: _credit(a, lambda j: {j[0]: 1.0}),
            ),
            _Mistake(
                "a split over touches instead of channels",
                "a coalition either contains a channel or not: touching it twice does not "
                "make it worth more. Use the set of channels of each journey.",
                lambda a, _: _credit(a, _by_touch),
            ),
            _Mistake(
                "the worth of the exact channel set only",
                "v(S) counts every journey whose channels are all in S (a subset of S), not "
                "only the journeys whose channels are exactly S.",
                _exact_set_game,
            ),
            _Mistake(
                "the marginal worths summed over the orders, not averaged",
                "divide the sum over the n! orders by n! (math.factorial(n)).",
                summed,
            ),
            _Mistake(
                "shares of the total instead of worth",
                "return each channel's value in the journeys' worth; the values add up to the "
                "total worth, not to 1.",
                _shares,
            ),
        ],
    )
