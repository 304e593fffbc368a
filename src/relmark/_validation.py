"""The checks every relmark package calls at its boundary (the base layer, with
:mod:`relmark.errors` and :mod:`relmark.typing`).

Two kinds: per-customer columns (``frequency``, ``recency``, ``T``, weights), which raise
:class:`~relmark.errors.DataError` naming the column and the rows; and scalar arguments
(horizons, rates, levels, counts, choices), which raise :class:`~relmark.errors.ArgumentError`
naming the argument. Validation happens once, at the boundary: likelihoods and predictions trust
their input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from relmark.errors import ArgumentError, DataError
from relmark.timeunit import BASES
from relmark.typing import FloatArray, IntArray

__all__ = [
    "MAX_WHOLE",
    "FloatArray",
    "IntArray",
    "as_finite_vector",
    "as_float_array",
    "as_numbers",
    "as_vector",
    "broadcast_columns",
    "check_choice",
    "check_count",
    "check_flag",
    "check_frequency",
    "check_level",
    "check_number",
    "check_probability",
    "check_rfm",
    "check_rng",
    "check_weights",
    "is_json_number",
    "reals_or_nan",
]

TIME_UNITS = BASES
"""The base time units (days, weeks, hours, months): :data:`relmark.timeunit.BASES`; a unit with
a multiple is a :class:`relmark.timeunit.TimeUnit`."""

MAX_WHOLE = 2**53 - 1
"""The largest count a float64 column holds unambiguously: every whole number up to
:math:`2^{53}` is a float64, but :math:`2^{53} + 1` is not (it is stored as :math:`2^{53}`, and
above it the floats skip integers: ``x + 1 == x``). A count (a frequency, a weight, a number of
opportunities) of :math:`2^{53}` or more therefore cannot be told from its neighbours, and is
refused."""


def _is_real(value: object) -> bool:
    """A real number that is not a bool (``True`` is not a rate) nor text."""
    return isinstance(
        value, int | float | np.integer | np.floating | Decimal | Fraction
    ) and not isinstance(value, bool | np.bool_)


def check_number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    whole: bool = False,
) -> float:
    """A finite real number within ``[low, high]`` (open ends when ``low_open``/``high_open``),
    a whole number if ``whole``; an :class:`~relmark.errors.ArgumentError` naming ``name``
    otherwise (NaN, infinities, text, booleans, arrays).

    >>> check_number(0.01, "discount_rate", low=-1, low_open=True)
    0.01
    """
    if not _is_real(value):
        raise ArgumentError(
            f"must be a number, got {value!r} of type {type(value).__name__}", argument=name
        )
    try:
        x = float(value)  # type: ignore[arg-type]
    except (OverflowError, ValueError):  # 10**400, Decimal("sNaN")
        x = math.inf
    if not math.isfinite(x):
        raise ArgumentError(f"must be finite, got {value!r}", argument=name)
    if whole and x != math.floor(x):
        raise ArgumentError(f"must be a whole number, got {value!r}", argument=name)
    if low is not None and (x < low or (low_open and x == low)):
        raise ArgumentError(
            f"must be {'>' if low_open else '>='} {low:g}, got {value!r}", argument=name
        )
    if high is not None and (x > high or (high_open and x == high)):
        raise ArgumentError(
            f"must be {'<' if high_open else '<='} {high:g}, got {value!r}", argument=name
        )
    return x


def check_count(value: object, name: str, *, minimum: int = 0) -> int:
    """A whole number (a Python or numpy int, or an integral float) >= ``minimum``, as ``int``.

    >>> check_count(12, "periods", minimum=1)
    12
    """
    x = check_number(value, name, low=minimum, whole=True)
    if isinstance(value, int | np.integer):  # exact: float(10**18 + 1) is 10**18
        return int(value)
    return int(x)


def check_probability(value: object, name: str, *, open_low: bool = False) -> float:
    """A probability in ``[0, 1]`` (``(0, 1]`` with ``open_low``).

    >>> check_probability(0.3, "margin")
    0.3
    """
    return check_number(value, name, low=0.0, high=1.0, low_open=open_low)


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """One of ``choices``, exactly (no case folding, no defaulting).

    >>> check_choice("net", "returns", ("refuse", "drop", "net"))
    'net'
    """
    if not isinstance(value, str) or value not in choices:
        raise ArgumentError(
            f"must be one of {', '.join(map(repr, choices))}, got {value!r}", argument=name
        )
    return value


def _offending(mask: npt.NDArray[np.bool_], labels: Sequence[object] | None) -> list[object]:
    """Every row where ``mask`` is true: its label (customer id) or, without labels, its
    position (for :class:`~relmark.errors.DataError`, which shows the first and the count)."""
    positions: list[int] = np.flatnonzero(mask).tolist()
    if labels is None:
        return list(positions)
    return [labels[i] for i in positions]


def as_numbers(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` (any shape) as float64, refusing text and booleans, which numpy would
    convert (``"22"`` to 22, ``True`` to 1), and ragged nested lists, with a DataError naming
    ``name``; NaN and infinities are left to the caller.

    >>> as_numbers([1, 2.5], "spend")
    array([1. , 2.5])
    """
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    try:
        raw = np.asarray(values)
    except ValueError as exc:  # ragged nested lists: numpy refuses to build an array
        msg = f"values are not a rectangular array of numbers ({exc})"
        raise DataError(msg, column=name) from None
    if values is None or raw.dtype.kind in "cmM":
        what = {"c": "complex numbers", "m": "time spans", "M": "dates"}.get(
            raw.dtype.kind, "missing (None)"
        )
        raise DataError(f"values are {what}, not real numbers", column=name)
    if raw.dtype.kind in "USV" or (
        raw.dtype.kind == "O" and any(isinstance(v, str | bytes) for v in raw.flat)
    ):
        raise DataError("values are text, not numbers", column=name)
    if raw.dtype.kind == "b" or (
        (raw.dtype.kind == "O" or isinstance(values, list | tuple)) and _has_booleans(values)
    ):
        raise DataError("values are booleans (True/False), not numbers", column=name)
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an int of 10**400
        raise DataError(f"values are not numbers ({exc})", column=name) from None


def _has_booleans(values: object) -> bool:
    """True if a (nested) list, tuple or object array holds a bool: numpy turns ``[1.0, True]``
    into floats, so they are looked for before conversion."""
    if isinstance(values, bool | np.bool_):
        return True
    if isinstance(values, np.ndarray):
        return values.dtype == np.bool_ or (
            values.dtype == object and any(_has_booleans(v) for v in values.flat)
        )
    if isinstance(values, list | tuple):
        return any(_has_booleans(v) for v in values)
    return False


def as_finite_vector(values: npt.ArrayLike, name: str) -> FloatArray:
    """A non-empty 1-d array of finite numbers (DataError naming ``name`` and the rows).

    >>> as_finite_vector((3, 4), "answers")
    array([3., 4.])
    """
    x = as_numbers(values, name)
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


def check_flag(value: object, name: str) -> bool:
    """A real boolean: ``"no"``, ``0`` and ``None`` are not flags (ArgumentError naming it).

    >>> check_flag(True, "normalize")
    True
    """
    if not isinstance(value, bool | np.bool_):
        raise ArgumentError(f"must be True or False, got {value!r}", argument=name)
    return bool(value)


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from ``rng``: a Generator, a seed (a whole number >= 0) or None.

    >>> float(check_rng(7).random()) == float(np.random.default_rng(7).random())
    True
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ArgumentError(
        f"must be a numpy Generator, a seed (a whole number >= 0) or None, got {rng!r}",
        argument=name,
    )


def broadcast_columns(
    columns: Mapping[str, npt.ArrayLike], *, finite: bool = True
) -> tuple[FloatArray, ...]:
    """Per-customer columns as finite float64 arrays of one length: a number (0-d) is
    broadcast to every customer; arrays must agree in length (a one-element list is not
    broadcast, it is one customer). Errors name the column. With ``finite=False`` NaN and
    infinities are left to the caller's checks (:func:`check_rfm`'s, which refuse them)."""
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
    read = as_float_array if finite else as_vector
    return tuple(
        read(np.broadcast_to(a, (n,)) if a.ndim == 0 else a, name)
        for name, a in zip(columns, arrays, strict=True)
    )


def check_level(value: object, name: str) -> float:
    """A confidence (or credible) level, or one minus it: strictly between 0 and 1 (NaN and
    1.5 gave NaN intervals). ArgumentError naming the argument otherwise."""
    try:
        x = float(value) if _is_real(value) else math.nan  # type: ignore[arg-type]
    except (OverflowError, ValueError):  # Decimal("sNaN")
        x = math.nan
    if not 0.0 < x < 1.0:
        raise ArgumentError(f"must be strictly between 0 and 1, got {value!r}", argument=name)
    return x


def as_vector(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` as a 1-d float64 array (a number as one value), refusing non-numbers and
    more than one dimension (a DataError naming ``name``), *without* the finiteness check of
    :func:`as_float_array`: for callers whose own range checks refuse NaN and infinities
    (:func:`check_rfm` compares minima and maxima, which NaN fails). A float64 array is
    returned as it is, not copied.

    >>> as_vector(3, "frequency")
    array([3.])
    """
    arr = as_numbers(values, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise DataError(f"expected a 1-d array, got shape {arr.shape}", column=name)
    return arr


def as_float_array(
    values: npt.ArrayLike, name: str, *, labels: Sequence[object] | None = None
) -> FloatArray:
    """Convert ``values`` to a 1-d float64 array; refuse NaN, infinities and non-numbers
    (text too, which numpy would convert: ``"22"`` is not a spend). A float64 array is
    returned as it is (one pass to check it, no copy)."""
    arr = as_vector(values, name)
    if not np.isfinite(arr).all():  # the offending rows are looked for only then
        raise DataError(
            "missing (NaN) or infinite values",
            column=name,
            rows=_offending(~np.isfinite(arr), labels),
        )
    return arr


def check_weights(
    weights: npt.ArrayLike | None, n: int, *, labels: Sequence[object] | None = None
) -> FloatArray | None:
    """Validate optional integer weights (counts of identical rows): one per row, whole
    numbers from 1 to :data:`MAX_WHOLE` (a DataError naming ``weights`` and the rows).

    The common case takes three reductions and one comparison (a minimum and a maximum, which
    NaN fails, and the whole-number test); the offending rows are looked for only on failure.

    >>> check_weights([1, 3], 2)
    array([1., 3.])
    """
    if weights is None:
        return None
    w = as_vector(weights, "weights")
    if w.shape[0] == n and (
        n == 0 or (w.min() >= 1.0 and w.max() <= MAX_WHOLE and np.array_equal(w, np.floor(w)))
    ):
        return w
    w = as_float_array(weights, "weights", labels=labels)  # NaN and infinities first
    if w.shape[0] != n:
        raise DataError(f"has {w.shape[0]} values for {n} customers", column="weights")
    bad = (w < 1) | (w != np.round(w))
    if bad.any():
        raise DataError(
            "weights are counts of identical rows: integers >= 1",
            column="weights",
            rows=_offending(bad, labels),
        )
    raise DataError(
        "counts of 2**53 or more cannot be represented exactly in float64 (2**53 + 1 is "
        "stored as 2**53): at most 2**53 - 1",
        column="weights",
        rows=_offending(w > MAX_WHOLE, labels),
    )


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
        The columns as float64 (float64 arrays as they are, not copied).

    Raises
    ------
    DataError
        Naming the column and the first offending customers when: a value is missing or
        infinite; frequency is negative or not an integer; recency or T is negative;
        recency > T; recency != 0 where frequency == 0; T == 0 is allowed only with x == 0.
        A frequency (and, in discrete time, a recency or T) of :math:`2^{53}` or more is
        refused too (:data:`MAX_WHOLE`): float64 cannot tell it from its neighbours
        (:math:`2^{53} + 1` is stored as :math:`2^{53}`), and the models' terms in
        :math:`x + 1`, :math:`r + x`, ... would be silently wrong.

    Notes
    -----
    Valid data take one pass over each column for the ranges (minima of ``x`` and ``t_x``,
    maxima of ``x`` and ``T``: NaN propagates through them and fails every comparison, so
    they refuse NaN and infinities too) and three element-wise tests (``x`` whole,
    :math:`t_x \\le T`, :math:`x = 0 \\Leftrightarrow t_x = 0`); the offending rows are looked
    for, one condition after the other, only when one fails.

    Examples
    --------
    >>> x, tx, T = check_rfm([0, 2], [0.0, 30.43], [38.86, 38.86])
    >>> x.tolist(), tx.tolist()
    ([0.0, 2.0], [0.0, 30.43])
    """
    try:
        x = as_vector(frequency, "frequency")
        tx = as_vector(recency, "recency")
        t = as_vector(T, "T")
    except DataError:
        pass  # raised again below, after the checks that come before it
    else:
        if _valid_rfm(x, tx, t, discrete=discrete):
            return x, tx, t
    return _refuse_rfm(frequency, recency, T, labels=labels, discrete=discrete)


_BLOCK = 1 << 16
"""Rows checked at a time by :func:`check_rfm` (three columns of 512 KiB and the temporaries
stay in a core's cache: the element-wise tests then read the data from memory once)."""


def _valid_rfm(x: FloatArray, tx: FloatArray, t: FloatArray, *, discrete: bool) -> bool:
    """Whether the columns pass every check of :func:`check_rfm` (without naming a row), block
    by block of :data:`_BLOCK` rows (on 1M rows, 2.6 ms with the data out of cache where the
    whole columns at once took 6.6 ms)."""
    n = x.shape[0]
    if n == 0 or tx.shape[0] != n or t.shape[0] != n:
        return False
    high = MAX_WHOLE if discrete else math.inf
    for start in range(0, n, _BLOCK):
        xs, txs, ts = (
            x[start : start + _BLOCK],
            tx[start : start + _BLOCK],
            t[start : start + _BLOCK],
        )
        # NaN propagates through min and max and fails the comparisons; so do the infinities
        # (T = -inf fails t_x <= T below, t_x = inf fails it with T finite)
        top = float(ts.max())
        if not (
            float(xs.min()) >= 0.0
            and float(xs.max()) <= MAX_WHOLE
            and float(txs.min()) >= 0.0
            and (top <= high if discrete else top < high)
            and np.all(txs <= ts)
            and np.array_equal(xs, np.floor(xs))
            and np.array_equal(xs == 0, txs == 0)
        ):
            return False
        if discrete and not (
            np.array_equal(txs, np.floor(txs))
            and np.array_equal(ts, np.floor(ts))
            and np.all(xs <= txs)
        ):
            return False
    return True


def _refuse_rfm(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    labels: Sequence[object] | None,
    discrete: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The first failed check of :func:`check_rfm` as a DataError naming its column and rows,
    in the documented order (the columns' conversion and finiteness, lengths, emptiness, then
    the conditions one by one)."""
    x = as_float_array(frequency, "frequency", labels=labels)
    tx = as_float_array(recency, "recency", labels=labels)
    t = as_float_array(T, "T", labels=labels)
    if not (x.shape == tx.shape == t.shape):
        raise DataError(
            f"frequency, recency and T differ in length ({x.shape[0]}, {tx.shape[0]}, {t.shape[0]})"
        )
    if x.shape[0] == 0:
        raise DataError("no customers: the data are empty")
    unrepresentable = (
        "cannot be represented exactly in float64 (2**53 + 1 is stored as 2**53): at most 2**53 - 1"
    )
    check_frequency(x, labels)
    checks: list[tuple[Callable[[], npt.NDArray[np.bool_]], str, str]] = [
        (lambda: tx < 0, "recency", "must be >= 0"),
        (lambda: t < 0, "T", "must be >= 0"),
        (lambda: tx > t, "recency", "recency (time of the last purchase) is greater than T (age)"),
        (lambda: (x == 0) & (tx != 0), "recency", "must be 0 where frequency is 0"),
        (
            lambda: (x > 0) & (tx == 0),
            "recency",
            "must be > 0 where frequency > 0 (repeat purchases)",
        ),
    ]
    if discrete:
        checks += [
            (lambda: tx != np.round(tx), "recency", "must be a whole number of periods"),
            (lambda: t != np.round(t), "T", "must be a whole number of periods"),
            (
                lambda: t > MAX_WHOLE,
                "T",
                f"whole numbers of periods of 2**53 or more {unrepresentable}",
            ),
            (lambda: x > tx, "frequency", "cannot exceed recency in a discrete-opportunity model"),
        ]
    for condition, column, message in checks:
        bad = condition()
        if bad.any():
            raise DataError(message, column=column, rows=_offending(bad, labels))
    return x, tx, t


def check_frequency(x: FloatArray, labels: Sequence[object] | None) -> None:
    """Refuse repeat-purchase counts that are not whole numbers >= 0, or that float64 cannot
    represent exactly (2**53 or more: :data:`MAX_WHOLE`), with a DataError naming
    ``frequency`` and the rows (the rule of :func:`check_rfm`, and of spend models).
    """
    if x.shape[0] == 0 or (
        x.min() >= 0.0 and x.max() <= MAX_WHOLE and np.array_equal(x, np.floor(x))
    ):
        return  # the common case: two reductions and one comparison (NaN fails the minimum)
    bad = (x < 0) | (x != np.round(x))
    if bad.any():
        raise DataError(
            "must be a non-negative integer", column="frequency", rows=_offending(bad, labels)
        )
    bad = x > MAX_WHOLE
    if bad.any():
        raise DataError(
            "frequencies of 2**53 or more cannot be represented exactly in float64 (2**53 + 1 "
            "is stored as 2**53): at most 2**53 - 1",
            column="frequency",
            rows=_offending(bad, labels),
        )


def reals_or_nan(values: npt.NDArray[Any]) -> FloatArray:
    """A 1-d array of values read one by one, for columns of Python objects (pandas object
    columns, ids' values): each value as float64 where it is a real number (a Python or numpy
    int or float), NaN where it is not (booleans, text, ``None``, ``pd.NA``, ``Decimal``).

    An integer too large for a float (``10**400``) becomes an infinity. The caller refuses
    the non-finite values with its own message, naming its rows; numeric arrays take one
    vectorised pass.

    >>> reals_or_nan(np.array([1, 2.5, True, "3", None, 10**400], dtype=object)).tolist()
    [1.0, 2.5, nan, nan, nan, inf]
    """
    kind = values.dtype.kind
    if kind in "iuf":
        return np.asarray(values, dtype=np.float64).reshape(-1)
    if kind != "O":  # booleans, text, dates, complex numbers: no value is a real number
        return np.full(values.size, math.nan)
    return np.fromiter((_real_or_nan(v) for v in values.flat), dtype=np.float64, count=values.size)


def _real_or_nan(value: object) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an int beyond float64
        return math.inf if value > 0 else -math.inf


def is_json_number(value: object, *, allow_nan: bool = False) -> bool:
    """Whether a value read from JSON is a finite number a float holds (or NaN, with
    ``allow_nan``): not a boolean, not text or null, not an infinity, not an integer too large
    for a float (``float()`` overflows and ``math.isfinite`` raises on ``10**400``).

    >>> is_json_number(1.5), is_json_number(True), is_json_number(10**400)
    (True, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        x = float(value)
    except OverflowError:
        return False
    return math.isfinite(x) or (allow_nan and math.isnan(x))
