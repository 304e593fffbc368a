"""Bad inputs to the Shapley attribution: each raises relmark's error naming the argument, column
or journey at fault (before: no such functions)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from relmark.decide import compare_attribution, shapley_attribution
from relmark.errors import ArgumentError, DataError

OK = [["search", "email"], ["search"]]

DATA_CASES: list[tuple[str, dict[str, Any], str, tuple[int, ...]]] = [
    ("journeys none", {"journeys": None}, "journeys", ()),
    ("journeys text", {"journeys": "search,email"}, "journeys", ()),
    ("journeys a number", {"journeys": 3}, "journeys", ()),
    ("no journeys", {"journeys": []}, "journeys", ()),
    ("a journey is text", {"journeys": [["a"], "ab"]}, "journeys", (1,)),
    ("a journey is a number", {"journeys": [["a"], 7]}, "journeys", (1,)),
    ("a journey is None", {"journeys": [None, ["a"]]}, "journeys", (0,)),
    ("a touchpoint is a number", {"journeys": [["a", 1]]}, "journeys", (0,)),
    ("a touchpoint is blank", {"journeys": [["a"], ["  "]]}, "journeys", (1,)),
    ("a touchpoint is None", {"journeys": [["a"], ["b", None]]}, "journeys", (1,)),
    ("value too short", {"journeys": OK, "value": [1]}, "value", ()),
    ("value NaN", {"journeys": OK, "value": [1, float("nan")]}, "value", (1,)),
    ("value infinite", {"journeys": OK, "value": [np.inf, 1]}, "value", (0,)),
    ("value negative (a refund)", {"journeys": OK, "value": [1, -2]}, "value", (1,)),
    ("value text", {"journeys": OK, "value": ["1", "0"]}, "value", ()),
    ("value booleans", {"journeys": OK, "value": [True, False]}, "value", ()),
    ("value overflows", {"journeys": OK, "value": [1.5e308, 1.5e308]}, "value", ()),
    ("value 2-d", {"journeys": OK, "value": [[1, 0]]}, "value", ()),
    (
        "touchpoint not among channels",
        {"journeys": [["a"], ["b", "c"]], "channels": ["a", "b"]},
        "journeys",
        (1,),
    ),
]

ARGUMENT_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("method misspelt", {"method": "Exact"}, "method"),
    ("method none", {"method": None}, "method"),
    (
        "exact beyond 20 channels",
        {"journeys": [[f"c{k}" for k in range(21)]], "method": "exact"},
        "method",
    ),
    ("n_permutations 1", {"n_permutations": 1}, "n_permutations"),
    ("n_permutations fractional", {"n_permutations": 10.5}, "n_permutations"),
    ("n_permutations NaN", {"n_permutations": float("nan")}, "n_permutations"),
    ("n_permutations bool", {"n_permutations": True}, "n_permutations"),
    ("level 95", {"level": 95}, "level"),
    ("level 1", {"level": 1.0}, "level"),
    ("level NaN", {"level": float("nan")}, "level"),
    ("rng negative", {"rng": -1}, "rng"),
    ("rng text", {"rng": "seed"}, "rng"),
    ("channels text", {"channels": "search"}, "channels"),
    ("channels duplicated", {"channels": ["search", "email", "search"]}, "channels"),
    ("channels with a number", {"channels": ["search", "email", 3]}, "channels"),
    ("channels blank", {"channels": ["search", "email", ""]}, "channels"),
]


@pytest.mark.parametrize("function", [shapley_attribution, compare_attribution])
@pytest.mark.parametrize(
    ("case", "kwargs", "column", "rows"), DATA_CASES, ids=[c[0] for c in DATA_CASES]
)
def test_bad_data(
    function: Any, case: str, kwargs: dict[str, Any], column: str, rows: tuple[int, ...]
) -> None:
    with pytest.raises(DataError) as info:
        function(**kwargs)
    assert info.value.column == column, case
    assert f"column {column!r}" in str(info.value)
    assert info.value.rows[: len(rows)] == rows


@pytest.mark.parametrize("function", [shapley_attribution, compare_attribution])
@pytest.mark.parametrize(
    ("case", "kwargs", "argument"), ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES]
)
def test_bad_arguments(function: Any, case: str, kwargs: dict[str, Any], argument: str) -> None:
    kwargs = {"journeys": OK, **kwargs}
    with pytest.raises(ArgumentError) as info:
        function(**kwargs)
    assert info.value.argument == argument, case
    assert f"argument {argument!r}" in str(info.value)


def test_sampled_errors_only_where_the_sampler_is_used() -> None:
    """n_permutations and rng are checked even when the exact method runs: a typo is not hidden
    until the day the channels pass 15."""
    with pytest.raises(ArgumentError, match="n_permutations"):
        shapley_attribution(OK, method="exact", n_permutations=0)


def test_compare_refuses_set_journeys() -> None:
    with pytest.raises(DataError) as info:
        compare_attribution([["a", "b"], {"a", "b"}])  # type: ignore[list-item]
    assert info.value.column == "journeys" and info.value.rows == (1,)
    assert "order" in str(info.value)


def test_a_huge_number_of_orderings_is_refused_not_run() -> None:
    """n_permutations=10**18 ran (for ever) before this review."""
    with pytest.raises(ArgumentError, match="n_permutations"):
        shapley_attribution([["a", "b"]], method="sampled", n_permutations=10**18)
    with pytest.raises(ArgumentError, match="n_permutations"):
        compare_attribution([["a", "b"]], method="sampled", n_permutations=10**7)
