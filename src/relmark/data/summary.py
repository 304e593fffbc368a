"""The per-customer summary every CLV model takes.

:class:`RFMSummary` holds, for each customer, the sufficient statistics of the "buy till you
die" models with lifetimes' names, so that a lifetimes user's summary frame works unchanged:

- ``frequency`` :math:`x`: number of *repeat* purchases (periods with a purchase after the first);
- ``recency`` :math:`t_x`: time of the last purchase, measured from the first;
- ``T``: age, the time from the first purchase to the end of observation;
- ``monetary_value``: mean value of the repeat purchases (0 without repeats), optional;
- ``weights``: counts of identical rows, when rows are grouped (see :meth:`RFMSummary.group`);
- ``sum_log_interpurchase``: the sum of the logs of the customer's inter-purchase times (in the
  summary's time unit; 0 without repeats), optional: the statistic of the Erlang-k models
  (:mod:`relmark.clv.bgcnbd`; BTYDplus' ``litt``);
- for a calibration/holdout split, ``frequency_holdout``, ``monetary_value_holdout`` and
  ``duration_holdout``;
- ``time_unit``: the label of a :class:`relmark.timeunit.TimeUnit` (``"W"``, ``"2W"``,
  ``"2.5D"``), ``currency`` (the one currency of the spend) and ``notes`` (what
  :func:`relmark.data.summarize` dropped or netted, counted);
- ``include_first_purchase``: ``True`` for a summary whose ``frequency`` counts the first
  purchase period too and whose ``monetary_value`` is the mean over all purchase periods
  (lifetimes' ``include_first_transaction=True``, for reporting and marketing RFM). The CLV
  models refuse such a summary: their likelihoods need repeat purchases.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    FloatArray,
    _offending,
    as_float_array,
    as_numbers,
    check_flag,
    check_rfm,
    check_weights,
)
from relmark.data._read import refuse_lazy
from relmark.errors import ArgumentError, CurrencyError, DataError
from relmark.timeunit import TimeUnit

__all__ = ["FIRST_PURCHASE", "RFMSummary", "first_purchase_flag"]

FIRST_PURCHASE = "include_first_purchase"
"""The name of the flag in every form a summary takes: the :class:`RFMSummary` attribute, a
pandas frame's ``attrs`` key, a mapping's key, a (pandas or polars) frame's column."""


def _one_flag(values: Sequence[object], where: str) -> bool:
    """The one boolean of ``values`` (a column repeats it on every row)."""
    found = {bool(v) for v in values if isinstance(v, bool | np.bool_)}
    others = [v for v in values if not isinstance(v, bool | np.bool_)]
    if others:
        raise DataError(
            f"{where} must be True or False (whether frequency counts the first purchase), "
            f"got {others[0]!r:.40}",
            column=FIRST_PURCHASE,
        )
    if len(found) > 1:
        raise DataError(
            f"{where} must be one value for the whole summary, got both True and False",
            column=FIRST_PURCHASE,
        )
    return found.pop() if found else False


def _is_polars(data: object) -> bool:
    return type(data).__module__.split(".")[0] == "polars"


def _is_arrow(data: object) -> bool:
    return isinstance(getattr(data, "column_names", None), list) and hasattr(data, "column")


def _stated(data: object, key: str) -> list[tuple[str, list[object]]]:
    """Where the summary container ``data`` states ``key`` (a flag or the time unit), and the
    values it states there: a pandas frame's ``attrs`` entry and column, a polars frame's or
    pyarrow table's column, a mapping's key. An empty column states nothing."""
    refuse_lazy(data, "data")  # (its columns cannot be read without running the query)
    found: list[tuple[str, list[object]]] = []
    if isinstance(data, Mapping):
        if key in data:
            value = data[key]
            scalar = isinstance(value, str | bool | np.bool_) or value is None
            found.append((f"the key {key!r}", [value] if scalar else _as_list(value)))
        return found
    attrs = getattr(data, "attrs", None)
    if isinstance(data, pd.DataFrame) and isinstance(attrs, Mapping) and key in attrs:
        found.append((f"attrs[{key!r}]", [attrs[key]]))
    column: Any = None
    if isinstance(data, pd.DataFrame) or _is_polars(data):
        names = [str(c) for c in data.columns]  # type: ignore[attr-defined]
        if names.count(key) > 1:
            raise DataError(f"the frame has {names.count(key)} columns of this name", column=key)
        if key in names:
            column = data[key]  # type: ignore[index]
    elif _is_arrow(data):
        names = list(data.column_names)  # type: ignore[attr-defined]
        if names.count(key) > 1:
            raise DataError(f"the table has {names.count(key)} columns of this name", column=key)
        if key in names:
            column = data.column(key)  # type: ignore[attr-defined]
    if column is not None:
        values = _distinct(column)
        if values:
            found.append((f"the column {key!r}", values))
    return found


def _column_values(data: object, key: str) -> list[object]:
    """Every value of the column ``key`` of a frame, table or mapping (for error rows)."""
    if isinstance(data, Mapping):
        value = data[key]
        return [value] if isinstance(value, str) else _as_list(value)
    if _is_arrow(data):
        return _as_list(data.column(key))  # type: ignore[attr-defined]
    return _as_list(data[key])  # type: ignore[index]


def _distinct(column: object) -> list[object]:
    """The distinct values of a column (pandas, polars, pyarrow; missing values kept), by the
    container's own ``unique`` (a million rows: ~10 ms, against ~250 ms for a list of every
    row); every value when they do not hash."""
    unique = getattr(column, "unique", None)
    if callable(unique):
        try:
            return _as_list(unique())
        except TypeError:  # unhashable values (lists in an object column)
            pass
    return _as_list(column)


def first_purchase_flag(data: object) -> bool:
    """Whether the summary ``data`` counts the first purchase (``include_first_purchase``),
    read from every form a summary takes.

    - an :class:`RFMSummary`: its ``include_first_purchase``;
    - a pandas DataFrame: ``attrs["include_first_purchase"]`` (set by
      :meth:`RFMSummary.to_frame`) and/or a column of that name (one value on every row);
    - a polars DataFrame (which has no ``attrs``) or a pyarrow Table: a column of that name;
    - a mapping of columns: a key of that name (a bool, or one bool per row).

    An empty column (a summary of no customers) states nothing. Anything else (arrays given as
    keywords) carries no flag: ``False``. A polars LazyFrame is a query, not a summary, and
    is refused.

    Parameters
    ----------
    data
        The summary container.

    Returns
    -------
    bool
        ``True`` when the container says its ``frequency`` counts the first purchase.

    Raises
    ------
    ArgumentError
        ``data`` is a polars LazyFrame (call ``.collect()`` first), naming ``data``.
    DataError
        The flag is not a bool (``1``, ``"True"``, ``None``), a column mixes True and False
        or appears twice, or a pandas frame's ``attrs`` and its column disagree (the message
        says what each holds); it names ``include_first_purchase``.

    Examples
    --------
    >>> first_purchase_flag({"frequency": [1], "include_first_purchase": True})
    True
    >>> first_purchase_flag(pd.DataFrame({"frequency": [1]}))
    False
    """
    if isinstance(data, RFMSummary):
        return data.include_first_purchase
    flags = [(where, _one_flag(values, where)) for where, values in _stated(data, FIRST_PURCHASE)]
    if len({flag for _, flag in flags}) > 1:
        (where_a, a), (where_b, b) = flags
        raise DataError(
            f"{where_a} is {a} and {where_b} holds {b}: they disagree (a summary counts the "
            "first purchase or does not)",
            column=FIRST_PURCHASE,
        )
    return flags[0][1] if flags else False


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def time_unit_stated(data: object) -> tuple[TimeUnit, str] | None:
    """The time unit a summary container states, and where it states it; None when it states
    none.

    - an :class:`RFMSummary`: its ``time_unit``;
    - a pandas DataFrame: ``attrs["time_unit"]`` (set by :meth:`RFMSummary.to_frame`; ``None``
      there states nothing) and/or a ``time_unit`` column (one label on every row, as the
      ``relmark summarize`` CSV and Parquet files have it);
    - a polars DataFrame or a pyarrow Table: a ``time_unit`` column;
    - a mapping of columns: a ``time_unit`` key (a label, or one label per row);
    - any other object: its ``time_unit`` attribute, when it is a label or a
      :class:`~relmark.timeunit.TimeUnit`.

    A column whose values are all missing (a summary without a unit written to a file)
    states nothing.

    Parameters
    ----------
    data
        The summary container.

    Returns
    -------
    tuple of (TimeUnit, str) or None
        The unit and where it was read (``"attrs['time_unit']"``, ``"the column
        'time_unit'"``, ...).

    Raises
    ------
    DataError
        Naming ``time_unit``: a stated unit is not a time unit label, a column holds two
        units or misses the label on some rows, or the ``attrs`` entry and the column state
        different units.
    ArgumentError
        ``data`` is a polars LazyFrame, naming ``data``.

    Examples
    --------
    >>> time_unit_stated(pd.DataFrame({"frequency": [0], "time_unit": ["7D"]}))
    (TimeUnit('W'), "the column 'time_unit'")
    >>> time_unit_stated({"frequency": [0]}) is None
    True
    """
    if isinstance(data, RFMSummary):
        unit = data.unit
        return None if unit is None else (unit, "the summary's time_unit")
    if isinstance(data, Mapping | pd.DataFrame) or _is_polars(data) or _is_arrow(data):
        places = _stated(data, "time_unit")
    else:
        value = getattr(data, "time_unit", None)
        stated = isinstance(value, str | TimeUnit)
        places = [("data.time_unit", [value])] if stated else []
    units: list[tuple[TimeUnit, str]] = []
    for where, values in places:
        given = [v for v in values if not _missing(v)]
        if not given:
            continue
        if len(given) < len(values):  # (values are distinct: the rows from the column)
            column = _column_values(data, "time_unit")
            rows = [i for i, v in enumerate(column) if _missing(v)]
            raise DataError(
                f"{where} has a time unit on some rows and none on others",
                column="time_unit",
                rows=rows,
            )
        labels = {
            v
            if isinstance(v, str | TimeUnit)
            else tuple(v)
            if isinstance(v, list | tuple)
            else repr(v)
            for v in given
        }
        try:
            parsed = {TimeUnit.parse(v) for v in labels}
        except ArgumentError as exc:
            raise DataError(
                f"{where} is not a time unit: {str(exc).split(': ', 1)[-1]}", column="time_unit"
            ) from None
        if len(parsed) > 1:
            shown = ", ".join(sorted(u.label for u in parsed))
            raise DataError(
                f"{where} holds several time units ({shown}): one summary has one unit",
                column="time_unit",
            )
        units.append((parsed.pop(), where))
    if len({u for u, _ in units}) > 1:
        (a, where_a), (b, where_b) = units
        raise DataError(
            f"{where_a} is {a.label!r} and {where_b} holds {b.label!r}: they disagree (a "
            "summary has one unit)",
            column="time_unit",
        )
    return units[0] if units else None


def agreeing_time_unit(
    data: object, time_unit: object, *, argument: str = "time_unit"
) -> str | None:
    """The time unit of a summary read from ``data`` with an explicit ``time_unit``: the
    argument when given (it must equal a unit the data states: ``"7D"`` equals ``"W"``), else
    the data's own (:func:`time_unit_stated`), as a label; None when neither says.

    Parameters
    ----------
    data
        The summary container.
    time_unit
        The caller's unit (a label, a :class:`~relmark.timeunit.TimeUnit`, a tuple) or None.
    argument
        The argument name errors report.

    Returns
    -------
    str or None
        The label.

    Raises
    ------
    ArgumentError
        Naming ``argument``: it is not a time unit, or it differs from the unit the data
        states (both units in the message: the data's ``recency`` and ``T`` are in theirs).
    DataError
        What :func:`time_unit_stated` raises.

    Examples
    --------
    >>> s = RFMSummary(customer_id=[1], frequency=[0], recency=[0], T=[3.0], time_unit="W")
    >>> agreeing_time_unit(s, "7D"), agreeing_time_unit(s, None)
    ('W', 'W')
    """
    given = None if time_unit is None else TimeUnit.parse(time_unit, argument=argument)
    stated = time_unit_stated(data)
    if given is not None and stated is not None and given != stated[0]:
        unit, where = stated
        raise ArgumentError(
            f"is {given.label!r}, but the data's recency and T are in {unit.label!r} ({where} "
            f"says so): leave {argument} out to use {unit.label!r}, or summarize the "
            f"transactions again in {given.label!r}",
            argument=argument,
        )
    unit_ = given if given is not None else (None if stated is None else stated[0])
    return None if unit_ is None else unit_.label


def _as_list(value: object) -> list[object]:
    """The values of a column (pandas, polars, pyarrow, numpy, a list) as Python objects."""
    to_list = (
        getattr(value, "to_list", None)
        or getattr(value, "to_pylist", None)
        or getattr(value, "tolist", None)
    )
    if isinstance(value, pd.DataFrame):  # a frame's duplicated column name
        raise DataError(
            f"the frame has {value.shape[1]} columns of this name", column=str(value.columns[0])
        )
    if callable(to_list):
        out = to_list()
        return list(out) if isinstance(out, list) else [out]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


_OPTIONAL = (
    "monetary_value",
    "weights",
    "frequency_holdout",
    "monetary_value_holdout",
    "duration_holdout",
    "sum_log_interpurchase",
)
_HOLDOUT = ("frequency_holdout", "monetary_value_holdout", "duration_holdout")


def _numbers(column: pd.Series, name: str) -> npt.NDArray[Any]:
    """A frame column for the constructor's checks: numbers as float64 (missing as NaN), other
    columns as they are (text is then refused, not converted)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        raise DataError("values are booleans (True/False), not numbers", column=name)
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    return column.to_numpy()


class _Labels(Sequence[object]):
    """Customer ids for error messages, as Python objects, converted only when an error names
    them (a list of a million ids costs 30 ms)."""

    def __init__(self, ids: npt.NDArray[Any]) -> None:
        self._ids = ids

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def __getitem__(self, i: Any) -> Any:
        value = self._ids[i]
        return value.item() if isinstance(value, np.generic) else value


def _strictly_increasing(ids: npt.NDArray[Any]) -> bool:
    """Whether the ids are sorted without repeats (one vectorised comparison, 10 ms for a
    million text ids, against 300 ms for hashing them); such ids are also of one kind (text
    and numbers do not compare) and none is missing (NaN compares false, None not at all)."""
    if ids.shape[0] < 2:
        return True
    try:
        return bool(np.all(ids[1:] > ids[:-1]))
    except TypeError:  # ids of types that do not compare (e.g. text and numbers)
        return False


def _surely_unique(ids: npt.NDArray[Any]) -> bool:
    """True if the ids are certainly distinct: their 64-bit hashes, sorted, have no repeat
    (2x faster than a hash table of a million unsorted text ids). False means "maybe not"
    (a repeat or a hash collision): the caller checks exactly."""
    if ids.dtype.kind == "U" and ids.dtype.itemsize:
        codes = np.ascontiguousarray(ids).view(np.uint32).reshape(ids.shape[0], -1)
        hashed = np.full(ids.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(codes.shape[1]):  # FNV-style over the UTF-32 code points
                hashed = (hashed ^ codes[:, k]) * np.uint64(0x100000001B3)
    elif ids.dtype.kind in "iu":
        hashed = ids.astype(np.int64, copy=False).view(np.uint64)
    else:
        try:
            hashed = pd.util.hash_array(ids.astype(object), categorize=False)
        except TypeError:  # unhashable or mixed objects: the exact check names them
            return False
    hashed = np.sort(hashed)
    return not bool((hashed[1:] == hashed[:-1]).any())


def _check_counted(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, labels: Sequence[object]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(frequency, recency, T) of a summary that counts the first purchase: every customer has
    at least one purchase period, recency is 0 exactly for those with one; the rest as
    :func:`~relmark._validation.check_rfm` checks the repeat purchases ``frequency - 1``."""
    x = as_float_array(frequency, "frequency", labels=labels)
    tx = as_float_array(recency, "recency", labels=labels)
    if x.shape == tx.shape:
        bad = (x < 1) | (x != np.floor(x))
        if bad.any():
            raise DataError(
                "must be a whole number >= 1 in a summary that counts the first purchase "
                "(include_first_purchase=True)",
                column="frequency",
                rows=_offending(bad, labels),
            )
        for bad, message in (
            ((x == 1) & (tx != 0), "must be 0 where frequency is 1 (the first purchase only)"),
            ((x > 1) & (tx == 0), "must be > 0 where frequency > 1 (repeat purchases)"),
        ):
            if bad.any():
                raise DataError(message, column="recency", rows=_offending(bad, labels))
    repeats, tx, t = check_rfm(x - 1.0, tx, T, labels=labels)
    return repeats + 1.0, tx, t


class RFMSummary:
    """Per-customer (frequency, recency, T[, monetary_value]) with customer ids and time unit.

    Validated once at construction: missing or infinite values, negative or non-integer
    frequency (and ``frequency_holdout``), recency > T, recency != 0 where frequency == 0,
    negative spend, ``duration_holdout`` 0, holdout columns without ``frequency_holdout`` and
    ``duration_holdout``, and duplicate, blank, boolean or mixed text-and-number customer ids
    raise :class:`~relmark.errors.DataError` naming the column and the first offending
    customers; a time unit that is not a :class:`~relmark.timeunit.TimeUnit` label
    raises :class:`~relmark.errors.ArgumentError`. Arrays are read-only.

    ``notes`` (a tuple of sentences) says what :func:`relmark.data.summarize` dropped or
    netted (rows with a missing id, returns), with counts; it is not part of equality.

    With ``include_first_purchase=True`` the summary counts the first purchase:
    ``frequency`` is the number of purchase periods (>= 1; 1 with recency 0 for a one-time
    buyer) and ``monetary_value`` the mean spend over all of them,

    .. math::

        x' = x + 1, \\qquad m' = \\frac{s_0 + x\\,m}{x + 1},

    with :math:`s_0` the spend of the first purchase period (Fader, Hardie & Lee 2005 define
    :math:`x` and :math:`m` over repeat purchases; lifetimes' ``include_first_transaction``
    is this option). The flag is part of equality and is kept by :meth:`to_frame`
    (``frame.attrs``), :meth:`from_frame` and :meth:`group`; every CLV model refuses such a
    summary (:class:`~relmark.errors.DataError` on ``frequency``).

    Parameters
    ----------
    customer_id
        One id per customer, all text or all numbers, unique.
    frequency, recency, T
        Repeat purchases, time of the last purchase since the first, and age.
    monetary_value
        Mean value of the repeat purchases (>= 0), optional.
    weights
        Counts of identical rows (whole numbers >= 1), optional.
    time_unit
        Unit of ``recency`` and ``T``: a :class:`~relmark.timeunit.TimeUnit`, its label
        (``"W"``, ``"14D"``) or a ``(base, multiple)`` tuple; stored as the label.
    frequency_holdout, monetary_value_holdout, duration_holdout
        Holdout columns of a calibration/holdout split, optional.
    currency
        ISO 4217 code of ``monetary_value``, optional.
    notes
        Sentences on what was dropped or netted to build the summary.
    include_first_purchase
        Whether ``frequency`` and ``monetary_value`` count the first purchase period
        (default ``False``: repeat purchases, what the CLV models need).
    sum_log_interpurchase
        Sum of the logs of each customer's inter-purchase times (any real number; 0 without
        repeat purchases), optional: :math:`\\sum_{i=1}^{x} \\ln(t_i - t_{i-1})` with
        :math:`t_0` the first purchase, in the summary's time unit.

    Raises
    ------
    DataError
        A column or customer id is invalid (named, with the first offending customers).
    ArgumentError
        ``time_unit``, ``currency``, ``notes`` or ``include_first_purchase`` is invalid.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

    Examples
    --------
    >>> s = RFMSummary(
    ...     customer_id=["a", "b"], frequency=[2, 0], recency=[30.43, 0], T=[38.86, 38.86]
    ... )
    >>> s
    RFMSummary(2 customers, time unit None, 1 repeat buyers, columns: frequency, recency, T)
    >>> s.to_frame().loc["a", "recency"]
    np.float64(30.43)
    """

    customer_id: npt.NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray | None
    weights: FloatArray | None
    time_unit: str | None
    frequency_holdout: FloatArray | None
    monetary_value_holdout: FloatArray | None
    duration_holdout: FloatArray | None
    sum_log_interpurchase: FloatArray | None
    currency: str | None
    notes: tuple[str, ...]
    include_first_purchase: bool
    _columns: tuple[str, ...]

    __slots__ = (
        "T",
        "_columns",
        "currency",
        "customer_id",
        "duration_holdout",
        "frequency",
        "frequency_holdout",
        "include_first_purchase",
        "monetary_value",
        "monetary_value_holdout",
        "notes",
        "recency",
        "sum_log_interpurchase",
        "time_unit",
        "weights",
    )

    def __init__(
        self,
        *,
        customer_id: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike | None = None,
        weights: npt.ArrayLike | None = None,
        time_unit: str | TimeUnit | tuple[str, float] | None = None,
        frequency_holdout: npt.ArrayLike | None = None,
        monetary_value_holdout: npt.ArrayLike | None = None,
        duration_holdout: npt.ArrayLike | None = None,
        currency: str | None = None,
        notes: Sequence[str] = (),
        sum_log_interpurchase: npt.ArrayLike | None = None,
        include_first_purchase: bool = False,
    ) -> None:
        counted = check_flag(include_first_purchase, "include_first_purchase")
        raw: dict[str, Any] = {
            "monetary_value": monetary_value,
            "weights": weights,
            "frequency_holdout": frequency_holdout,
            "monetary_value_holdout": monetary_value_holdout,
            "duration_holdout": duration_holdout,
            "sum_log_interpurchase": sum_log_interpurchase,
        }
        unit = None if time_unit is None else TimeUnit.parse(time_unit).label
        if currency is not None and not (
            isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency) is not None
        ):
            raise ArgumentError(
                f"must be an ISO 4217 code (three capital letters), got {currency!r}",
                argument="currency",
            )
        if (
            isinstance(notes, str)
            or not isinstance(notes, Sequence)
            or not all(isinstance(n, str) for n in notes)
        ):
            raise ArgumentError("must be a sequence of sentences (text)", argument="notes")
        object.__setattr__(self, "time_unit", unit)
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "notes", tuple(notes))
        object.__setattr__(self, "include_first_purchase", counted)
        self._validate(customer_id, frequency, recency, T, raw)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RFMSummary is immutable: cannot set {name!r}")

    def _validate(
        self,
        customer_id: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        raw: dict[str, Any],
    ) -> None:
        if isinstance(customer_id, list | tuple):  # numpy would make ["a", 1] all text
            kind = pd.api.types.infer_dtype(customer_id, skipna=True)
            scalars = all(isinstance(v, str | int | float | np.number) for v in customer_id)
            if kind in ("mixed", "mixed-integer") and scalars:
                raise DataError(
                    f"customer ids must be all text or all numbers (got values of kind {kind!r})",
                    column="customer_id",
                )
        ids = np.asarray(customer_id)
        if ids.ndim != 1:
            raise DataError("customer ids must be one-dimensional", column="customer_id")
        if ids.dtype.kind == "b":
            raise DataError("customer ids are booleans (True/False), not ids", column="customer_id")
        if ids.dtype.kind in "fc":  # as summarize refuses float ids in a log
            raise DataError(
                "customer ids are floating-point numbers (an id column read as float: 7.0 "
                "and 7 would be one customer, NaN none); pass text or whole numbers",
                column="customer_id",
            )
        blank = np.zeros(ids.shape[0], dtype=bool)
        if ids.dtype.kind == "U" and ids.shape[0]:
            blank = np.strings.str_len(np.strings.strip(ids)) == 0
        elif ids.dtype == object and ids.shape[0] and isinstance(ids[0], str):
            blank = (pd.Series(ids).str.strip() == "").fillna(False).to_numpy(dtype=bool)
        if blank.any():
            raise DataError(
                "blank customer ids", column="customer_id", rows=np.flatnonzero(blank).tolist()
            )
        labels = _Labels(ids)
        if self.include_first_purchase:
            x, tx, t = _check_counted(frequency, recency, T, labels)
        else:
            x, tx, t = check_rfm(frequency, recency, T, labels=labels)
        # repeat purchases, for the checks of sum_log_interpurchase
        repeats = x - 1.0 if self.include_first_purchase else x
        if ids.shape[0] != x.shape[0]:
            raise DataError(f"{ids.shape[0]} ids for {x.shape[0]} customers", column="customer_id")
        if not _strictly_increasing(ids):  # sorted ids (summarize, to_frame) are unique
            kind = pd.api.types.infer_dtype(ids, skipna=False)
            if kind in ("mixed", "mixed-integer", "mixed-integer-float") or (
                kind in ("floating", "empty") and pd.isna(ids).any()
            ):
                raise DataError(
                    "customer ids must be all text or all numbers, none missing "
                    f"(got values of kind {kind!r})",
                    column="customer_id",
                    rows=[i for i, v in enumerate(ids.tolist()) if pd.isna(v)][:10] or None,
                )
            if not _surely_unique(ids):  # a hash collision or a real duplicate: check exactly
                index = pd.Index(ids)
                if not index.is_unique:
                    dup = index[index.duplicated()].unique().tolist()
                    raise DataError("duplicate customer ids", column="customer_id", rows=dup)
        values: dict[str, FloatArray | None] = {"frequency": x, "recency": tx, "T": t}
        for name in _OPTIONAL:
            given = raw[name]
            if given is None:
                values[name] = None
                continue
            arr = (
                check_weights(given, x.shape[0], labels=labels)
                if name == "weights"
                else as_float_array(given, name, labels=labels)
            )
            assert arr is not None
            if arr.shape[0] != x.shape[0]:
                raise DataError(
                    f"has {arr.shape[0]} values for {x.shape[0]} customers", column=name
                )
            if name == "sum_log_interpurchase" and np.any((repeats == 0) & (arr != 0)):
                bad = (repeats == 0) & (arr != 0)
                raise DataError(
                    "must be 0 for customers without repeat purchases (no inter-purchase time)",
                    column=name,
                    rows=_offending(bad, labels),
                )
            if name == "sum_log_interpurchase":
                # x gaps adding up to recency: sum(ln gap) <= x ln(recency / x) (AM-GM)
                with np.errstate(divide="ignore", invalid="ignore"):
                    bound = np.where(
                        repeats > 0, repeats * np.log(tx / np.maximum(repeats, 1.0)), 0.0
                    )
                bad = (repeats > 0) & (arr != 0) & (arr > bound + 1e-9 * (repeats + np.abs(bound)))
                if bad.any():
                    raise DataError(
                        "is larger than x * ln(recency / x) with x the repeat purchases, "
                        "impossible for inter-purchase times that add up to recency",
                        column=name,
                        rows=_offending(bad, labels),
                    )
            if name not in ("weights", "sum_log_interpurchase") and np.any(arr < 0):
                raise DataError("must be >= 0", column=name, rows=_offending(arr < 0, labels))
            if name == "frequency_holdout" and np.any(arr != np.floor(arr)):
                bad = arr != np.floor(arr)
                raise DataError(
                    "must be a whole number of purchases", column=name, rows=_offending(bad, labels)
                )
            if name == "duration_holdout" and np.any(arr == 0):
                raise DataError(
                    "must be > 0 (the length of the holdout period)",
                    column=name,
                    rows=_offending(arr == 0, labels),
                )
            values[name] = arr
        holdout = [n for n in _HOLDOUT if values[n] is not None]
        if holdout and (values["frequency_holdout"] is None or values["duration_holdout"] is None):
            lacking = (
                "frequency_holdout" if values["frequency_holdout"] is None else ("duration_holdout")
            )
            raise DataError(
                "a holdout needs frequency_holdout and duration_holdout "
                f"(got {', '.join(holdout)})",
                column=lacking,
            )
        for name, arr in values.items():
            if arr is not None:
                arr = np.array(arr, dtype=np.float64)
                arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        ids = ids.copy()
        ids.setflags(write=False)
        object.__setattr__(self, "customer_id", ids)
        present = [n for n in _OPTIONAL if values[n] is not None]
        cols = ("frequency", "recency", "T", *present)
        object.__setattr__(self, "_columns", cols)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.frequency.shape[0])

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns present, in lifetimes' order."""
        return self._columns

    @property
    def unit(self) -> TimeUnit | None:
        """The time unit as a :class:`~relmark.timeunit.TimeUnit` (None when not stated)."""
        return None if self.time_unit is None else TimeUnit.parse(self.time_unit)

    @property
    def n_customers(self) -> int:
        """Number of customers represented (the sum of the weights when rows are grouped)."""
        return len(self) if self.weights is None else round(float(self.weights.sum()))

    def __repr__(self) -> str:
        repeat = int(np.count_nonzero(self.frequency > (1 if self.include_first_purchase else 0)))
        counted = ", counts the first purchase" if self.include_first_purchase else ""
        return (
            f"RFMSummary({len(self):,} customers, time unit {self.time_unit!r}, "
            f"{repeat:,} repeat buyers, columns: {', '.join(self._columns)}{counted})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RFMSummary):
            return NotImplemented
        for name in self.__slots__:
            if name == "notes":
                continue
            a, b = getattr(self, name), getattr(other, name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ conversion
    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame indexed by ``customer_id`` with lifetimes' column names.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the optional columns present; the time unit,
            the currency and ``include_first_purchase`` in ``frame.attrs``, which
            :meth:`from_frame` reads back (and the CLV models check).
        """
        data = {name: getattr(self, name) for name in self._columns}
        frame = pd.DataFrame(data, index=pd.Index(self.customer_id, name="customer_id"))
        frame.attrs.update(  # for from_frame
            time_unit=self.time_unit,
            currency=self.currency,
            include_first_purchase=self.include_first_purchase,
        )
        return frame

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        customer_id: str | None = None,
        time_unit: str | TimeUnit | tuple[str, float] | None = None,
        include_first_purchase: bool | None = None,
    ) -> RFMSummary:
        """Build from a lifetimes-style summary frame (columns ``frequency``, ``recency``, ``T``,
        optionally ``monetary_value``, ``weights`` and the holdout columns).

        Parameters
        ----------
        frame
            The summary; customer ids are its index unless ``customer_id`` names a column.
        customer_id
            Column holding the customer ids.
        time_unit
            Unit of ``recency`` and ``T`` (e.g. ``"W"``); by default the frame's
            ``attrs["time_unit"]`` (set by :meth:`to_frame`) or its ``time_unit`` column (one
            label on every row, as ``relmark summarize`` writes it), if any (see
            :func:`time_unit_stated`). Given, it must equal the frame's unit (``"7D"`` equals
            ``"W"``).
        include_first_purchase
            Whether ``frequency`` counts the first purchase (a lifetimes frame built with
            ``include_first_transaction=True``); by default the frame's
            ``attrs["include_first_purchase"]`` (set by :meth:`to_frame`) or its
            ``include_first_purchase`` column (see :func:`first_purchase_flag`), else
            ``False``. Given, it must agree with what the frame says.

        Returns
        -------
        RFMSummary

        Raises
        ------
        ArgumentError
            ``frame`` is not a pandas DataFrame, ``customer_id`` is not a column name,
            ``time_unit`` or ``include_first_purchase`` disagrees with what the frame says
            (both named in the message).
        DataError
            A required column is missing, a column is invalid, or the frame's time unit is
            not one time unit.
        """
        if not isinstance(frame, pd.DataFrame):
            raise ArgumentError(  # (module too: a polars frame is also a "DataFrame")
                f"must be a pandas DataFrame, got {_type_name(frame)}"
                + (": pass frame.to_pandas()" if hasattr(frame, "to_pandas") else ""),
                argument="frame",
            )
        missing = [c for c in ("frequency", "recency", "T") if c not in frame.columns]
        if missing:
            raise DataError(
                f"missing column(s) {', '.join(missing)}; "
                f"found {', '.join(map(str, frame.columns))}",
                column=missing[0],
            )
        if customer_id is not None:
            if not isinstance(customer_id, str):
                raise ArgumentError(
                    f"must be a column name (text) or None, got {customer_id!r}",
                    argument="customer_id",
                )
            if customer_id not in frame.columns:
                raise DataError("no such column", column=customer_id)
            ids = frame[customer_id].to_numpy()
        else:
            ids = frame.index.to_numpy()
        kwargs: dict[str, Any] = {
            name: _numbers(frame[name], name) for name in _OPTIONAL if name in frame.columns
        }
        return cls(
            customer_id=ids,
            frequency=_numbers(frame["frequency"], "frequency"),
            recency=_numbers(frame["recency"], "recency"),
            T=_numbers(frame["T"], "T"),
            time_unit=agreeing_time_unit(frame, time_unit),
            currency=_frame_currency(frame) if "monetary_value" in kwargs else None,
            include_first_purchase=_agreeing_flag(frame, include_first_purchase),
            **kwargs,
        )

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        time_unit: str | TimeUnit | tuple[str, float] | None = None,
        include_first_purchase: bool | None = None,
    ) -> RFMSummary:
        """Build from a mapping of arrays (ids default to positions).

        Parameters
        ----------
        data
            ``frequency``, ``recency``, ``T`` and optionally ``customer_id`` and the optional
            columns, as arrays.
        time_unit
            Unit of ``recency`` and ``T``; by default the mapping's ``time_unit`` key (a label,
            or one label per row), if any. Given, it must equal the key's unit.
        include_first_purchase
            Whether ``frequency`` counts the first purchase (see :class:`RFMSummary`); by
            default the mapping's ``include_first_purchase`` key, else ``False``. Given, it
            must agree with the key.

        Returns
        -------
        RFMSummary

        Raises
        ------
        ArgumentError
            ``data`` is not a mapping; ``time_unit`` or ``include_first_purchase`` disagrees
            with the key.
        DataError
            A required column is missing, a key is not a known column (a misspelt
            ``monetary`` would be dropped), a column is invalid, or the ``time_unit`` key is
            not one time unit.
        """
        if not isinstance(data, Mapping):
            raise ArgumentError(
                f"must be a mapping of columns, got {type(data).__name__}", argument="data"
            )
        missing = [c for c in ("frequency", "recency", "T") if c not in data]
        if missing:
            raise DataError(f"missing column(s) {', '.join(missing)}", column=missing[0])
        known = {"customer_id", "frequency", "recency", "T", "time_unit", FIRST_PURCHASE}
        known.update(_OPTIONAL)
        unknown = [str(k) for k in data if k not in known]
        if unknown:  # a typo ("monetary") would drop the column silently
            raise DataError(
                f"unknown column(s) {', '.join(map(repr, unknown))}; known: "
                f"{', '.join(sorted(known))}",
                column=unknown[0],
            )
        n = as_numbers(data["frequency"], "frequency").reshape(-1).shape[0]
        return cls(
            customer_id=np.asarray(data.get("customer_id", np.arange(n))),
            frequency=data["frequency"],
            recency=data["recency"],
            T=data["T"],
            time_unit=agreeing_time_unit(data, time_unit),
            include_first_purchase=_agreeing_flag(data, include_first_purchase),
            **{k: data[k] for k in _OPTIONAL if k in data},
        )

    # ------------------------------------------------------------------ grouping
    def group(self) -> RFMSummary:
        """Identical (frequency, recency, T) rows grouped into unique rows with integer weights.

        The likelihood of every model is unchanged by grouping (each row's log-likelihood is
        multiplied by its weight). Ids of grouped rows are positions ``0..k-1``; per-customer
        spend and holdout columns do not survive grouping.

        Returns
        -------
        RFMSummary
            The unique rows with ``weights``, the same time unit and notes.

        Examples
        --------
        >>> s = RFMSummary(customer_id=[1, 2, 3], frequency=[0, 0, 1], recency=[0, 0, 2.0],
        ...                T=[5.0, 5.0, 5.0])
        >>> g = s.group()
        >>> g.frequency.tolist(), g.weights.tolist()
        ([0.0, 1.0], [2.0, 1.0])
        """
        stacked = np.column_stack([self.frequency, self.recency, self.T])
        uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
        w = np.ones(len(self)) if self.weights is None else self.weights
        counts = np.bincount(inverse.ravel(), weights=w, minlength=uniq.shape[0]).astype(float)
        return RFMSummary(
            customer_id=np.arange(uniq.shape[0]),
            frequency=uniq[:, 0],
            recency=uniq[:, 1],
            T=uniq[:, 2],
            weights=counts,
            time_unit=self.time_unit,
            notes=self.notes,
            include_first_purchase=self.include_first_purchase,
        )


def _type_name(value: object) -> str:
    """``polars.DataFrame``, ``builtins.list``: a type named with its package."""
    kind = type(value)
    return f"{kind.__module__.split('.')[0]}.{kind.__name__}"


def _frame_currency(frame: pd.DataFrame) -> str | None:
    """The one currency a summary frame states: ``attrs["currency"]`` (``None`` there states
    nothing) and/or a ``currency`` column (one code on every row, as ``relmark summarize``
    writes it); they must agree (the spend is in one currency)."""
    codes: list[tuple[str, object]] = []
    for where, values in _stated(frame, "currency"):
        given = {v for v in values if not _missing(v)}
        if len(given) > 1:
            shown = ", ".join(sorted(map(repr, given)))
            raise CurrencyError(
                f"{where} holds several currencies ({shown}): a summary's spend is in one"
            )
        if given:
            codes.append((where, given.pop()))
    if len({code for _, code in codes}) > 1:
        (where_a, a), (where_b, b) = codes
        raise DataError(
            f"{where_a} is {a!r} and {where_b} holds {b!r}: they disagree (the spend is in "
            "one currency)",
            column="currency",
        )
    code = codes[0][1] if codes else None
    if code is not None and not isinstance(code, str):
        raise DataError(f"must be an ISO 4217 code, got {code!r}", column="currency")
    return code


def _agreeing_flag(data: object, given: bool | None) -> bool:
    """``include_first_purchase`` of a summary read from ``data``: the keyword when given (it
    must agree with a flag the data carries), else the data's own flag."""
    carried = first_purchase_flag(data)
    if given is None:
        return carried
    flag = check_flag(given, FIRST_PURCHASE)
    places = [where for where, _ in _stated(data, FIRST_PURCHASE)]
    if flag != carried and places:
        raise ArgumentError(
            f"is {flag}, but the data's {' and '.join(places)} says {carried}",
            argument=FIRST_PURCHASE,
        )
    return flag
