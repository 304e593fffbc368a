"""Boundary checks shared by the scoring modules (on top of :mod:`relmark._validation`).

``as_numbers`` refuses text but converts booleans (``True`` -> 1.0); an answer, a loading or a
spend given as ``True`` is a mistake upstream, so :func:`numbers` refuses booleans too.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from relmark._validation import FloatArray, as_numbers
from relmark.errors import ArgumentError, DataError
from relmark.typing import RngLike


def numbers(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` as float64 (any shape), refusing text and booleans with a DataError naming
    ``name``; NaN and infinities are left to the caller."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        booleans = values.dtype == np.bool_
    else:
        try:
            flat = np.asarray(values, dtype=object).ravel()
        except (TypeError, ValueError):
            flat = np.empty(0, dtype=object)  # ragged: as_numbers names it
        booleans = any(isinstance(v, bool | np.bool_) for v in flat)
    if booleans:
        raise DataError("values are booleans, not numbers", column=name)
    try:
        return as_numbers(values, name)
    except ValueError as exc:  # ragged nested lists: numpy refuses before as_numbers can
        if isinstance(exc, DataError):
            raise
        msg = f"values are not a rectangular array of numbers ({exc})"
        raise DataError(msg, column=name) from None


def finite_vector(values: npt.ArrayLike, name: str) -> FloatArray:
    """A non-empty 1-d array of finite numbers (DataError naming ``name`` and the rows)."""
    x = numbers(values, name)
    if x.ndim != 1:
        raise DataError(f"expected a 1-d array, got shape {x.shape}", column=name)
    if x.size == 0:
        raise DataError("no values: the input is empty", column=name)
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataError(
            "missing (NaN) or infinite values", column=name, rows=np.flatnonzero(bad).tolist()
        )
    return x


def flag(value: object, name: str) -> bool:
    """A real boolean (``"no"`` and 0 are not flags)."""
    if not isinstance(value, bool | np.bool_):
        raise ArgumentError(f"must be True or False, got {value!r}", argument=name)
    return bool(value)


def generator(rng: RngLike, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from ``rng``: a Generator, a seed (a whole number >= 0) or None."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ArgumentError(
        f"must be a numpy Generator, a seed (a whole number >= 0) or None, got {rng!r}",
        argument=name,
    )
