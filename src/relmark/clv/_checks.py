"""Checks of the array arguments of the CLV models (horizons, counts, renewals).

Scalar arguments use :mod:`relmark._validation` (``check_number``, ``check_count``,
``check_level``). Horizons and the like may also be arrays (one per customer, or a grid); this
module checks them the same way: numbers (no text, no booleans), finite, within range, whole
where whole, at most one dimension, and raises :class:`~relmark.errors.ArgumentError` naming
the argument. Per-customer data columns (``frequency``, ``recency``, ``T``) are not arguments:
they raise :class:`~relmark.errors.DataError` naming the column
(:func:`relmark._validation.check_rfm`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from relmark._validation import reals_or_nan
from relmark.errors import ArgumentError
from relmark.typing import FloatArray

__all__ = ["check_array", "check_matching", "frequency_grid"]


def _range_text(low: float, low_open: bool, whole: bool) -> str:
    kind = "whole numbers" if whole else "numbers"
    return f"{kind} {'>' if low_open else '>='} {low:g}"


def check_array(
    value: object,
    name: str,
    *,
    low: float = 0.0,
    low_open: bool = False,
    whole: bool = False,
) -> FloatArray:
    """``value`` (a number or a 1-d array of numbers) as a non-empty 1-d float64 array.

    Parameters
    ----------
    value
        The argument as the caller gave it.
    name
        The argument's name, for the error.
    low, low_open
        Every value must be ``>= low`` (``> low`` when ``low_open``).
    whole
        Every value must be a whole number (periods, opportunities, counts).

    Returns
    -------
    numpy.ndarray
        The values as float64, shape ``(n,)`` (a number gives ``(1,)``).

    Raises
    ------
    ArgumentError
        Naming ``name``: text, booleans, None, complex numbers, NaN, infinities, values out of
        range or fractional where whole, more than one dimension, or no values.

    Examples
    --------
    >>> check_array(39, "t").tolist()
    [39.0]
    >>> check_array([1, 2.5], "n", whole=True)
    Traceback (most recent call last):
    ...
    relmark.errors.ArgumentError: argument 'n': must be whole numbers >= 0, got 2.5
    """
    if type(value) is float or (type(value) is int and abs(value) < 2**1024):  # one number
        x = float(value)  # (an int beyond float64 takes the array path: an infinity there)
        in_range = math.isfinite(x) and (x > low or (x == low and not low_open))
        if in_range and (not whole or x == math.floor(x)):
            return np.array([x])
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        raise ArgumentError(
            f"must be a number or an array of numbers, got {value!r}", argument=name
        )
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ArgumentError(
            f"must be a number or a 1-d array of numbers ({exc})", argument=name
        ) from None
    if raw.dtype.kind not in "iuf":
        if raw.dtype.kind == "O" and all(
            isinstance(v, int | float | np.integer | np.floating)
            and not isinstance(v, bool | np.bool_)
            for v in raw.flat
        ):
            raw = reals_or_nan(raw).reshape(raw.shape)  # an int beyond float64: +-inf
        else:
            what = {"b": "booleans", "U": "text", "S": "text", "c": "complex numbers"}.get(
                raw.dtype.kind, f"values of type {raw.dtype}"
            )
            raise ArgumentError(f"must be numbers, got {what}", argument=name)
    if raw.ndim > 1:
        raise ArgumentError(
            f"must be a number or a 1-d array, got shape {raw.shape}", argument=name
        )
    arr = np.atleast_1d(np.asarray(raw, dtype=np.float64))
    if arr.size == 0:
        raise ArgumentError("must hold at least one value, got none", argument=name)
    bad = ~np.isfinite(arr)
    if not bad.any():
        bad = (arr < low) | (arr == low) if low_open else arr < low
        if whole:
            bad |= arr != np.floor(arr)
    if bad.any():
        first = float(arr[np.flatnonzero(bad)[0]])
        raise ArgumentError(
            f"must be {_range_text(low, low_open, whole)}, got {first!r}", argument=name
        )
    return arr


def check_matching(values: FloatArray, name: str, n: int) -> None:
    """An array argument goes with ``n`` customers: one value for all, or one per customer."""
    if values.shape[0] not in (1, n):
        raise ArgumentError(
            f"has {values.shape[0]} values for {n} customers (give one value, or one per customer)",
            argument=name,
        )


_GRID_LIMIT = 1 << 16
"""Frequencies up to this are tabulated on the full grid ``0..max`` (a cheap gather)."""


def frequency_grid(x: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """The index of each row's frequency in a grid, and the grid.

    The grid is ``0..max(x)`` when that is small (a gather is cheaper than sorting), and the
    distinct frequencies otherwise: a frequency of ``1e12`` must not allocate a table of a
    trillion entries (it asked for 7 TiB). ``grid[index] == x`` either way.
    """
    top = float(x.max(initial=0.0))
    if top <= max(_GRID_LIMIT, 4 * x.shape[0]):
        return x.astype(np.intp), np.arange(int(top) + 1, dtype=np.float64)
    grid, inverse = np.unique(x, return_inverse=True)
    return inverse.ravel().astype(np.intp), np.asarray(grid, dtype=np.float64)
