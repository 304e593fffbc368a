"""Array arguments and the frequency grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv._checks import check_array, check_matching, frequency_grid
from relmark.errors import ArgumentError


@pytest.mark.parametrize(
    ("value", "expected"), [(3, [3.0]), (0.0, [0.0]), ([1, 2.5], [1.0, 2.5]), (np.int64(4), [4.0])]
)
def test_numbers_and_1d_arrays_pass(value: object, expected: list[float]) -> None:
    assert check_array(value, "t").tolist() == expected


@pytest.mark.parametrize(
    "value", [-1, float("nan"), "1", True, None, [[1.0]], [], [1, None], 1j, [True, False]]
)
def test_everything_else_is_an_argument_error(value: object) -> None:
    with pytest.raises(ArgumentError) as err:
        check_array(value, "t")
    assert err.value.argument == "t"


def test_whole_and_open_bounds() -> None:
    with pytest.raises(ArgumentError, match="whole"):
        check_array([1, 1.5], "n", whole=True)
    with pytest.raises(ArgumentError, match="> 1"):
        check_array(1, "t", low=1.0, low_open=True)
    check_matching(np.ones(1), "t", 5)
    with pytest.raises(ArgumentError, match="3 values for 2 customers"):
        check_matching(np.ones(3), "t", 2)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10**13), min_size=1, max_size=30))
def test_the_grid_gathers_back_every_frequency(values: list[int]) -> None:
    """Small frequencies use 0..max, huge ones the distinct values; either way grid[i] == x,
    and the grid never grows with the largest frequency beyond the small case."""
    x = np.array(values, dtype=np.float64)
    index, grid = frequency_grid(x)
    np.testing.assert_array_equal(grid[index], x)
    assert grid.size <= max(1 << 16, 4 * x.size) + 1
