"""One time unit for summaries, models and values: a base unit and a multiple.

A :class:`TimeUnit` says what one unit of ``recency``, ``T`` and a model's rates is: ``"D"``
(days), ``"W"`` (weeks), ``"h"`` (hours) or ``"M"`` (calendar months), times a positive
``multiple``: ``TimeUnit("D", 14)`` is a fortnight, labelled ``"2W"``. It is the one place that

- parses a label (``"14D"``, ``"7W"``, ``"2.5D"``, ``"24h"``) or a ``(base, multiple)`` tuple;
- writes the label (the multiple is carried up to the largest base it fills exactly: 7 days
  are ``"W"``, 24 hours ``"D"``, 14 days ``"2W"``; a month is never converted to days);
- places dates on the period grid of a base (:func:`periods`);
- gives the length of a month in the unit (:attr:`TimeUnit.per_month`), with one month length
  for the whole library: :data:`MONTH_DAYS` = 365.25 / 12 = 30.4375 days (4.348 weeks, 730.5
  hours).

>>> TimeUnit.parse("14D")
TimeUnit('2W')
>>> TimeUnit.parse(("D", 7)).label, TimeUnit.parse("24h").label, TimeUnit.parse("2.5D").label
('W', 'D', '2.5D')
>>> round(TimeUnit.parse("W").per_month, 4)
4.3482
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from relmark.errors import ArgumentError

__all__ = ["BASES", "HOURS", "MONTH_DAYS", "Base", "TimeUnit", "periods"]

Base = Literal["D", "W", "h", "M"]
"""A base unit: days, weeks (Monday to Sunday), hours, calendar months."""

BASES: Final[tuple[Base, ...]] = ("D", "W", "h", "M")
"""The base units, in the order the docs list them."""

MONTH_DAYS: Final[float] = 365.25 / 12
"""The length of a month in days (a Julian year over 12: 30.4375), used everywhere a month is
turned into days, weeks or hours (CLV periods, the relationship view)."""

HOURS: Final[dict[Base, float]] = {"h": 1.0, "D": 24.0, "W": 168.0, "M": MONTH_DAYS * 24.0}
"""Length of one base unit in hours."""

_LABEL = re.compile(  # ASCII digits only (\d matches "١٤"), the whole text ($ allows "W\n")
    r"(?P<multiple>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)?(?P<base>[DWhM])",
    re.ASCII,
)
_UP: Final[dict[Base, tuple[Base, int]]] = {"h": ("D", 24), "D": ("W", 7)}


def _check_multiple(value: object, argument: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating | Decimal
    ):
        raise ArgumentError(
            f"the multiple must be a number, got {value!r} of type {type(value).__name__}",
            argument=argument,
        )
    try:
        x = float(value)
    except (OverflowError, ValueError):  # 10**400, Decimal("sNaN")
        x = math.nan
    if not math.isfinite(x) or x <= 0:
        raise ArgumentError(
            f"the multiple must be finite and > 0, got {value!r}", argument=argument
        )
    return x


class TimeUnit:
    """A time unit: a base (``"D"``, ``"W"``, ``"h"``, ``"M"``) times a positive multiple.

    Immutable and hashable; two units are equal when their labels are (``TimeUnit("D", 7) ==
    TimeUnit("W")``).

    Parameters
    ----------
    base
        ``"D"`` days, ``"W"`` weeks, ``"h"`` hours or ``"M"`` calendar months.
    multiple
        How many base units make one unit (finite, > 0; need not be whole: ``2.5`` days).
    argument
        The argument name errors report.

    Raises
    ------
    ArgumentError
        Naming ``time_unit`` for an unknown base or a multiple that is not a finite number > 0,
        or one whose length in hours is not a finite, positive float (``TimeUnit("W", 1e308)``).

    Examples
    --------
    >>> TimeUnit("D", 14)
    TimeUnit('2W')
    >>> TimeUnit("h", 12).days
    0.5
    """

    __slots__ = ("_base", "_multiple")
    _base: Base
    _multiple: float

    def __init__(
        self, base: object, multiple: object = 1.0, *, argument: str = "time_unit"
    ) -> None:
        if not isinstance(base, str) or base not in BASES:
            raise ArgumentError(
                f"the base unit must be one of {', '.join(map(repr, BASES))}, got {base!r}",
                argument=argument,
            )
        b: Base = base
        m = _check_multiple(multiple, argument)
        hours = HOURS[b] * m
        if not (math.isfinite(hours) and math.isfinite(1.0 / hours) and 1.0 / hours > 0):
            raise ArgumentError(  # 1e308 weeks are infinite hours; 1e-320 days, no length
                f"the multiple {m!r} gives a unit of {hours!r} hours: not a usable length",
                argument=argument,
            )
        while b in _UP:  # carry up to the largest base the multiple fills exactly
            up, size = _UP[b]
            if m % size != 0:
                break
            b, m = up, m / size
        object.__setattr__(self, "_base", b)
        object.__setattr__(self, "_multiple", m)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"TimeUnit is immutable: cannot set {name!r}")

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, value: object, *, argument: str = "time_unit") -> TimeUnit:
        """A time unit from a label (``"14D"``, ``"W"``, ``"2.5D"``), a ``(base, multiple)``
        tuple or list, or a :class:`TimeUnit`.

        Parameters
        ----------
        value
            What to read.
        argument
            The argument name errors report.

        Returns
        -------
        TimeUnit

        Raises
        ------
        ArgumentError
            Naming ``argument`` when ``value`` is none of these (``"fortnight"``, ``"0D"``,
            ``"d"``, ``("W", -1)``, ``None``).

        Examples
        --------
        >>> TimeUnit.parse("7W"), TimeUnit.parse(("h", 24))
        (TimeUnit('7W'), TimeUnit('D'))
        """
        if isinstance(value, TimeUnit):
            return value
        if isinstance(value, tuple | list):
            if len(value) != 2:
                raise ArgumentError(
                    f"a time unit tuple is (base, multiple), got {value!r}", argument=argument
                )
            return cls(value[0], value[1], argument=argument)
        if isinstance(value, str):
            match = _LABEL.fullmatch(value)
            if match is None:
                raise ArgumentError(
                    "a time unit label is an optional positive multiple and one of "
                    f"{', '.join(map(repr, BASES))} (e.g. 'W', '14D', '24h'), got {value!r}",
                    argument=argument,
                )
            multiple = float(match["multiple"]) if match["multiple"] is not None else 1.0
            return cls(match["base"], multiple, argument=argument)
        raise ArgumentError(
            "a time unit is a label such as 'W' or '14D', or a (base, multiple) tuple, got "
            f"{value!r} of type {type(value).__name__}",
            argument=argument,
        )

    # ------------------------------------------------------------------ properties
    @property
    def base(self) -> Base:
        """The base unit (after carrying: ``TimeUnit("D", 14).base == "W"``)."""
        return self._base

    @property
    def multiple(self) -> float:
        """How many base units make one unit."""
        return self._multiple

    @property
    def label(self) -> str:
        """The label: the multiple (omitted when 1; the shortest text that reads back exactly)
        and the base, e.g. ``"W"``, ``"2W"``, ``"2.5D"``."""
        m = self._multiple
        if m == 1:
            return self._base
        text = str(int(m)) if m.is_integer() and abs(m) < 1e15 else repr(m)
        return f"{text}{self._base}"

    @property
    def hours(self) -> float:
        """Length of one unit in hours (a month being :data:`MONTH_DAYS` days)."""
        return HOURS[self._base] * self._multiple

    @property
    def days(self) -> float:
        """Length of one unit in days (a month being :data:`MONTH_DAYS` days)."""
        return self.hours / 24.0

    @property
    def per_month(self) -> float:
        """How many units make a month of :data:`MONTH_DAYS` days (4.348 for weeks, 30.4375
        for days, 1 for months)."""
        if self._base == "M":
            return 1.0 / self._multiple
        return MONTH_DAYS * 24.0 / self.hours

    def length_in(self, other: TimeUnit) -> float:
        """How many ``other`` units make one of this unit (months of :data:`MONTH_DAYS`).

        Parameters
        ----------
        other
            The unit to measure in.

        Returns
        -------
        float
            The ratio of the two lengths.

        Raises
        ------
        ArgumentError
            Naming ``other`` when it is not a :class:`TimeUnit`.

        Examples
        --------
        >>> TimeUnit("W").length_in(TimeUnit("D"))
        7.0
        """
        if not isinstance(other, TimeUnit):
            raise ArgumentError(
                f"must be a TimeUnit (TimeUnit.parse reads a label), got {other!r}",
                argument="other",
            )
        if self._base == "M" and other._base == "M":
            return self._multiple / other._multiple
        return self.hours / other.hours

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeUnit):
            return NotImplemented
        return self._base == other._base and self._multiple == other._multiple

    def __hash__(self) -> int:
        return hash((self._base, self._multiple))

    def __repr__(self) -> str:
        return f"TimeUnit({self.label!r})"

    def __str__(self) -> str:
        return self.label

    def __reduce__(self) -> tuple[type[TimeUnit], tuple[str, float]]:
        return (TimeUnit, (self._base, self._multiple))


def periods(dates: npt.NDArray[np.datetime64], base: Base) -> npt.NDArray[np.int64]:
    """Integer ordinals of ``dates`` on the grid of a base unit: days, hours, Monday-to-Sunday
    weeks (pandas' ``W-SUN``) or calendar months.

    The grid is the resolution of a summary (purchases in one period merge); differences of
    ordinals divided by the multiple of the summary's :class:`TimeUnit` are times in that unit.

    Parameters
    ----------
    dates
        A numpy ``datetime64`` array (naive: local wall-clock times).
    base
        ``"D"``, ``"W"``, ``"h"`` or ``"M"``.

    Returns
    -------
    numpy.ndarray of int64
        One ordinal per date (consecutive periods have consecutive ordinals).

    Raises
    ------
    ArgumentError
        Naming ``base`` for an unknown base, ``dates`` for an array that is not ``datetime64``
        (text is not parsed here) or that holds NaT.

    Examples
    --------
    >>> d = np.array(["2024-01-07", "2024-01-08"], dtype="datetime64[ns]")
    >>> periods(d, "W").tolist()  # a Sunday, then a Monday
    [2818, 2819]
    """
    if base not in BASES:
        raise ArgumentError(
            f"must be one of {', '.join(map(repr, BASES))}, got {base!r}", argument="base"
        )
    if not isinstance(dates, np.ndarray) or dates.dtype.kind != "M":
        raise ArgumentError(
            f"must be a numpy datetime64 array, got {type(dates).__name__}"
            + (f" of dtype {dates.dtype}" if isinstance(dates, np.ndarray) else ""),
            argument="dates",
        )
    if np.isnat(dates).any():
        raise ArgumentError("missing dates (NaT) have no period", argument="dates")
    if base == "h":
        return _floor(dates, "h")
    if base == "M":  # a calendar cast, date by date: right up to the ends (unlike D's)
        return dates.astype("datetime64[M]").astype(np.int64)
    days = _floor(dates, "D")
    if base == "D":
        return days
    # 1970-01-01 was a Thursday: shift so that weeks start on Monday
    return np.floor_divide(days + 3, 7)


_PER: Final[dict[str, dict[str, int]]] = {  # ticks per day and per hour (datetime64 units)
    "D": {
        "h": 24,
        "m": 1440,
        "s": 86_400,
        "ms": 86_400_000,
        "us": 86_400_000_000,
        "ns": 86_400_000_000_000,
    },
    "h": {"m": 60, "s": 3600, "ms": 3_600_000, "us": 3_600_000_000, "ns": 3_600_000_000_000},
}


def _floor(dates: npt.NDArray[np.datetime64], unit: Literal["D", "h"]) -> npt.NDArray[np.int64]:
    """Days or hours since 1970-01-01 of ``dates``, rounded down, by integer floor division of
    the ticks. numpy's cast (``astype("datetime64[D]")``) rounds a negative tick count down by
    adding ``1 - divisor`` first, which wraps around int64 within a day of the nanosecond
    minimum: 1677-09-22 00:00 became 2262-04-11 (numpy 2.4)."""
    tick, count = np.datetime_data(dates.dtype)
    step = _PER[unit].get(tick, 0)
    if step and step % count == 0:
        per: npt.NDArray[np.int64] = np.floor_divide(dates.view(np.int64), step // count)
        return per
    return dates.astype(f"datetime64[{unit}]").astype(np.int64)
