"""Argument checks shared by the domain modules (ArgumentError naming the argument).

The number checks come from :mod:`relmark._validation`; these add what domain methods take:
objects of a given class, dates, aware datetimes, durations, identifiers, exact decimals.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import numpy as np

from relmark.errors import ArgumentError

T = TypeVar("T")

DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""Plain decimal text: ASCII digits, an optional point and exponent (``Decimal()`` would also
read ``"1_000"`` and Arabic-Indic digits, and ``"NaN"``, refused separately)."""


def instance(value: object, cls: type[T], name: str) -> T:
    """``value`` if it is a ``cls``; an ArgumentError naming ``name`` otherwise."""
    if not isinstance(value, cls):
        raise ArgumentError(
            f"must be a {cls.__name__}, got {type(value).__name__} {value!r:.80}", argument=name
        )
    return value


def instances(values: object, cls: type[T], name: str) -> list[T]:
    """A list (or tuple) of ``cls``; the position of the first wrong item is named."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ArgumentError(
            f"must be a list of {cls.__name__}, got {type(values).__name__}", argument=name
        )
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, cls):
            raise ArgumentError(
                f"item {i} must be a {cls.__name__}, got {type(v).__name__} {v!r:.80}",
                argument=name,
            )
    return out


def day(value: object, name: str) -> date:
    """A calendar date (a ``datetime`` is refused: points and tiers work by day, and a
    datetime cannot be compared with the dates a ledger holds)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ArgumentError(
            f"must be a datetime.date (not a datetime), got {type(value).__name__} {value!r}",
            argument=name,
        )
    return value


def aware(value: object, name: str) -> datetime:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise ArgumentError(
            f"must be a timezone-aware datetime, got {type(value).__name__} {value!r}",
            argument=name,
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentError(
            f"must be timezone-aware (e.g. tzinfo=datetime.UTC), got the naive {value!r}",
            argument=name,
        )
    return value


def duration(value: object, name: str, *, positive: bool = False) -> timedelta:
    """A ``timedelta`` >= 0 (> 0 when ``positive``)."""
    if not isinstance(value, timedelta):
        raise ArgumentError(
            f"must be a datetime.timedelta, got {type(value).__name__} {value!r}", argument=name
        )
    if value < timedelta(0) or (positive and value == timedelta(0)):
        raise ArgumentError(f"must be {'>' if positive else '>='} 0, got {value!r}", argument=name)
    return value


def id_lookalike(value: str) -> str | None:
    """Why ``value`` could be mistaken for another id, or None: ids must be in Unicode normal
    form C and free of invisible format characters, so that ``"e\u0301"`` and ``"\u00e9"``, or
    ``"a"`` and ``"a\u200b"``, cannot be two customers or two orders (paid twice)."""
    if value.isascii():
        return None
    if unicodedata.normalize("NFC", value) != value:
        return "is not in Unicode normal form C (write it as unicodedata.normalize('NFC', id))"
    if any(unicodedata.category(c) == "Cf" for c in value):
        return "contains an invisible format character (zero-width space, joiner, BOM, ...)"
    return None


def identifier(value: object, name: str) -> str:
    """A non-empty identifier of at most 200 characters on one line, without surrounding
    whitespace, in Unicode normal form C without invisible characters (the rule of the
    models' ``Identifier`` fields)."""
    if (
        not isinstance(value, str)
        or not value
        or value != value.strip()
        or len(value) > 200
        or any(c in value for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    ):
        raise ArgumentError(
            "must be a non-empty string on one line without leading or trailing whitespace "
            f"(at most 200 characters), got {value!r:.80}",
            argument=name,
        )
    problem = id_lookalike(value)
    if problem is not None:
        raise ArgumentError(f"{value!r:.80} {problem}", argument=name)
    return value


def exact(
    value: object,
    name: str,
    *,
    low: Decimal | None = None,
    high: Decimal | None = None,
    low_open: bool = False,
) -> Decimal:
    """An exact, finite decimal from a Decimal, an int or a float (a float is read from its
    shortest decimal text, so ``0.1`` is exactly ``Decimal('0.1')``) or decimal text; bools,
    NaN and infinities are refused."""
    if isinstance(value, bool | np.bool_):
        raise ArgumentError(f"must be a number, got {value!r}", argument=name)
    d: Decimal
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int | np.integer):
        d = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            raise ArgumentError(f"must be finite, got {value!r}", argument=name)
        # the shortest text at the value's own precision: np.float32(0.1) is 0.1, not
        # 0.100000001490116...
        d = Decimal(repr(value) if isinstance(value, float) else str(value))
    elif isinstance(value, str):
        if not DECIMAL_TEXT.fullmatch(value.strip()):  # "NaN", "1_000", "١٢" too
            raise ArgumentError(
                f"must be a finite decimal number, got {value!r:.80}", argument=name
            )
        d = Decimal(value.strip())
    else:
        raise ArgumentError(
            f"must be a number (Decimal, int or float), got {type(value).__name__} {value!r:.80}",
            argument=name,
        )
    if not d.is_finite():
        raise ArgumentError(f"must be finite, got {value!r}", argument=name)
    if low is not None and (d < low or (low_open and d == low)):
        raise ArgumentError(
            f"must be {'>' if low_open else '>='} {low}, got {value!r}", argument=name
        )
    if high is not None and d > high:
        raise ArgumentError(f"must be <= {high}, got {value!r}", argument=name)
    return d


def whole(value: object, name: str, *, minimum: int = 0) -> int:
    """A whole number as ``int``: Python or numpy integers only (``2.0``, ``True``, ``"2"``
    and Decimals are refused), >= ``minimum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ArgumentError(
            f"must be a whole number (int), got {type(value).__name__} {value!r:.80}",
            argument=name,
        )
    n = int(value)
    if n < minimum:
        raise ArgumentError(f"must be >= {minimum}, got {n}", argument=name)
    return n


def text(value: object, name: str) -> str:
    """Any string."""
    if not isinstance(value, str):
        raise ArgumentError(f"must be a string, got {type(value).__name__}", argument=name)
    return value


def shifted(moment: datetime, delta: timedelta, *, back: bool = False) -> datetime:
    """``moment + delta`` (``moment - delta`` when ``back``), or the earliest / latest
    representable time when the window reaches beyond the calendar (``timedelta.max`` as a
    lookback means "any time")."""
    try:
        return moment - delta if back else moment + delta
    except OverflowError:
        edge = datetime.min if back == (delta >= timedelta(0)) else datetime.max
        return edge.replace(tzinfo=moment.tzinfo)
