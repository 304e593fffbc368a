"""Validation of per-customer (frequency, recency, T) data, shared by every model.

Validation happens once, at the boundary: the likelihoods and predictions trust their input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from relmark.errors import DataError

__all__ = [
    "FloatArray",
    "IntArray",
    "as_float_array",
    "as_numbers",
    "broadcast_columns",
    "check_level",
    "check_rfm",
    "check_weights",
]

FloatArray = npt.NDArray[np.float64]
TIME_UNITS = ("D", "W", "h", "M")
"""Time units of summaries and models: days, weeks, hours, months."""
IntArray = npt.NDArray[np.int64]


def _offending(mask: npt.NDArray[np.bool_], labels: Sequence[object] | None) -> list[object]:
    """Every row where ``mask`` is true: its label (customer id) or, without labels, its
    position (for :class:`~relmark.errors.DataError`, which shows the first and the count)."""
    positions: list[int] = np.flatnonzero(mask).tolist()
    if labels is None:
        return list(positions)
    return [labels[i] for i in positions]


def as_numbers(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` (any shape) as float64, refusing text, which numpy would convert (``"22"``),
    with a DataError naming ``name``; NaN and infinities are left to the caller."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    raw = np.asarray(values)
    if raw.dtype.kind in "USV" or (
        raw.dtype.kind == "O" and any(isinstance(v, str | bytes) for v in raw.flat)
    ):
        raise DataError("values are text, not numbers", column=name)
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"values are not numbers ({exc})", column=name) from None


def broadcast_columns(columns: Mapping[str, npt.ArrayLike]) -> tuple[FloatArray, ...]:
    """Per-customer columns as finite float64 arrays of one length: a number (0-d) is
    broadcast to every customer; arrays must agree in length (a one-element list is not
    broadcast, it is one customer). Errors name the column."""
    arrays = []
    for name, values in columns.items():
        arr = as_numbers(values, name)
        if arr.ndim > 1:
            raise DataError(f"expected a number or a 1-d array, got shape {arr.shape}", column=name)
        arrays.append(arr)
    lengths = {name: a.shape[0] for name, a in zip(columns, arrays, strict=True) if a.ndim == 1}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise DataError(f"the columns differ in length ({listed})")
    n = next(iter(lengths.values()), 1)
    return tuple(
        as_float_array(np.broadcast_to(a, (n,)) if a.ndim == 0 else a, name)
        for name, a in zip(columns, arrays, strict=True)
    )


def check_level(value: float, name: str) -> float:
    """A confidence (or credible) level, or one minus it: strictly between 0 and 1 (NaN and
    1.5 gave NaN intervals). DataError naming the argument otherwise."""
    if isinstance(value, bool) or not 0.0 < value < 1.0:
        raise DataError(f"must be strictly between 0 and 1, got {value!r}", column=name)
    return float(value)


def as_float_array(
    values: npt.ArrayLike, name: str, *, labels: Sequence[object] | None = None
) -> FloatArray:
    """Convert ``values`` to a 1-d float64 array; refuse NaN, infinities and non-numbers
    (text too, which numpy would convert: ``"22"`` is not a spend)."""
    arr = as_numbers(values, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise DataError(f"expected a 1-d array, got shape {arr.shape}", column=name)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(
            "missing (NaN) or infinite values", column=name, rows=_offending(bad, labels)
        )
    return arr


def check_weights(
    weights: npt.ArrayLike | None, n: int, *, labels: Sequence[object] | None = None
) -> FloatArray | None:
    """Validate optional integer weights (counts of identical rows): integers >= 1."""
    if weights is None:
        return None
    w = as_float_array(weights, "weights", labels=labels)
    if w.shape[0] != n:
        raise DataError(f"has {w.shape[0]} values for {n} customers", column="weights")
    bad = (w < 1) | (w != np.round(w))
    if bad.any():
        raise DataError(
            "weights are counts of identical rows: integers >= 1",
            column="weights",
            rows=_offending(bad, labels),
        )
    return w


def check_rfm(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    labels: Sequence[object] | None = None,
    discrete: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate per-customer frequency, recency and age.

    Parameters
    ----------
    frequency, recency, T
        Repeat purchases ``x``, time of the last purchase since the first ``t_x`` and age ``T``.
    labels
        Customer ids used to name offending rows in errors (positions are used otherwise).
    discrete
        For discrete-opportunity models (BG/BB): recency and T must be whole numbers and
        ``frequency <= recency``.

    Returns
    -------
    tuple of three float64 arrays

    Raises
    ------
    DataError
        Naming the column and the first offending customers when: a value is missing or
        infinite; frequency is negative or not an integer; recency or T is negative;
        recency > T; recency != 0 where frequency == 0; T == 0 is allowed only with x == 0.
    """
    x = as_float_array(frequency, "frequency", labels=labels)
    tx = as_float_array(recency, "recency", labels=labels)
    t = as_float_array(T, "T", labels=labels)
    if not (x.shape == tx.shape == t.shape):
        raise DataError(
            f"frequency, recency and T differ in length ({x.shape[0]}, {tx.shape[0]}, {t.shape[0]})"
        )
    if x.shape[0] == 0:
        raise DataError("no customers: the data are empty")
    ok = (x >= 0) & (x == np.floor(x)) & (tx >= 0) & (tx <= t) & ((x == 0) == (tx == 0))
    if discrete:
        ok &= (tx == np.floor(tx)) & (t == np.floor(t)) & (x <= tx)
    if ok.all():  # the common case: one pass, then out
        return x, tx, t
    checks: list[tuple[npt.NDArray[np.bool_], str, str]] = [
        ((x < 0) | (x != np.round(x)), "frequency", "must be a non-negative integer"),
        (tx < 0, "recency", "must be >= 0"),
        (t < 0, "T", "must be >= 0"),
        (tx > t, "recency", "recency (time of the last purchase) is greater than T (age)"),
        ((x == 0) & (tx != 0), "recency", "must be 0 where frequency is 0"),
        ((x > 0) & (tx == 0), "recency", "must be > 0 where frequency > 0 (repeat purchases)"),
    ]
    if discrete:
        checks += [
            ((tx != np.round(tx)), "recency", "must be a whole number of periods"),
            ((t != np.round(t)), "T", "must be a whole number of periods"),
            (x > tx, "frequency", "cannot exceed recency in a discrete-opportunity model"),
        ]
    for bad, column, message in checks:
        if bad.any():
            raise DataError(message, column=column, rows=_offending(bad, labels))
    return x, tx, t
