"""Reading a transaction log: columns, ids, dates, amounts and currencies, every problem of the
log collected and reported in one :class:`~relmark.errors.DataError`.

The rules (documented for users in ``docs/data.md`` and in :func:`relmark.data.summarize`):

- **Ids** are text or integers as given; text ids are never converted (``"007"`` and ``"7"``
  are two customers). Floating-point ids (what pandas makes of an id column with blanks, where
  ``007`` has already become ``7.0``), booleans, and columns mixing text and numbers are
  refused. Blank or missing ids are refused, or dropped with ``missing_ids="drop"`` and counted
  in the summary's ``notes``.
- **Dates** are datetimes, or text pandas can read. Numbers are refused unless their unit is
  named (``date_unit="excel"``, ``"s"`` or ``"ms"``). Day/month order of ``01/02/2024`` is
  inferred from a day above 12 in the column, refused when no date settles it, unless
  ``dayfirst`` or ``date_format`` says it. Dates with UTC offsets (mixed offsets too) are
  converted to ``timezone`` (default UTC) and binned by their day there; dates without an
  offset are local wall-clock times and are taken as written. Dates outside 1677-09-22 ..
  2262-04-11 (the range of nanosecond timestamps) are refused by row.
- **Amounts** are numbers (text that reads as a number is read); negative amounts are returns,
  refused, dropped or netted (``returns=``).
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark.errors import ArgumentError, CurrencyError, DataError
from relmark.timeunit import Base, periods
from relmark.typing import FloatArray

__all__ = [
    "DATE_UNITS",
    "LINE_INDEX",
    "LogOptions",
    "ReadLog",
    "check_end_zone",
    "option_date",
    "read_log",
]

DATE_UNITS = ("excel", "s", "ms")
"""Units of dates given as numbers: Excel serial days (1900 system), Unix epoch seconds and
milliseconds."""

LINE_INDEX = "csv_line"
"""Name of the index :func:`relmark.data.read_transactions` gives its frame: 1-based line
numbers of the CSV file, which errors then show."""

_NS_LOW = np.datetime64("1677-09-22", "us")
_NS_HIGH = np.datetime64("2262-04-11", "us")
_EXCEL_ORIGIN_DAYS = -25569  # 1899-12-30 in days since 1970-01-01
_US_PER = {"excel": 86_400_000_000.0, "s": 1_000_000.0, "ms": 1_000.0}
_OFFSET = r"(?i)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$"
_DAY_MONTH = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}(?:\D|$)"
_PLAIN_NUMBER = r"\s*[+-]?\d+(?:\.\d*)?\s*"
_NUMBER_KINDS = ("string", "empty", "floating", "integer", "decimal", "mixed-integer-float")
_ISO_OFFSET = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"  # at the end of an ISO date-time


@dataclass(frozen=True)
class LogOptions:
    """The reading options of :func:`relmark.data.summarize`, validated."""

    customer_id: str
    datetime: str
    monetary_value: str | None
    currency: str | None
    date_format: str | None
    dayfirst: bool | None
    date_unit: str | None
    timezone: str | None
    returns: Literal["refuse", "drop", "net"]
    missing_ids: Literal["refuse", "drop"]

    @classmethod
    def check(cls, **options: Any) -> LogOptions:
        """Validate every option, raising :class:`~relmark.errors.ArgumentError` naming it."""
        for name in ("customer_id", "datetime"):
            if not isinstance(options[name], str):
                raise ArgumentError(
                    f"must be a column name (text), got {options[name]!r}", argument=name
                )
        for name in ("monetary_value", "currency", "date_format"):
            if options[name] is not None and not isinstance(options[name], str):
                raise ArgumentError(f"must be text or None, got {options[name]!r}", argument=name)
        if options["dayfirst"] is not None and not isinstance(options["dayfirst"], bool):
            raise ArgumentError(
                f"must be True, False or None, got {options['dayfirst']!r}", argument="dayfirst"
            )
        if options["date_format"] is not None and options["dayfirst"] is not None:
            raise ArgumentError(
                "give date_format or dayfirst, not both (the format already says the order)",
                argument="dayfirst",
            )
        fmt = options["date_format"]
        if fmt is not None:
            try:  # a bad directive ("%Q") raises here, not row by row
                pd.to_datetime(pd.Series(["2000-01-01"]), format=fmt, errors="coerce")
            except ValueError as exc:
                raise ArgumentError(
                    f"not a strftime format ({exc})", argument="date_format"
                ) from None
        if options["currency"] is not None and options["monetary_value"] is None:
            raise ArgumentError(
                "a currency column is the currency of the amounts: name the amount column "
                "with monetary_value=",
                argument="currency",
            )
        unit = options["date_unit"]
        if unit is not None and unit not in DATE_UNITS:
            raise ArgumentError(
                f"must be one of {', '.join(map(repr, DATE_UNITS))} or None, got {unit!r}",
                argument="date_unit",
            )
        if unit is not None and options["date_format"] is not None:
            raise ArgumentError(
                "give date_unit (numbers) or date_format (text), not both", argument="date_unit"
            )
        tz = options["timezone"]
        if tz is not None:
            if not isinstance(tz, str):
                raise ArgumentError(
                    f"must be an IANA time zone name such as 'Europe/Berlin', got {tz!r}",
                    argument="timezone",
                )
            try:
                zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ArgumentError(
                    f"unknown time zone {tz!r} (an IANA name such as 'Europe/Berlin' or 'UTC')",
                    argument="timezone",
                ) from None
        if options["returns"] not in ("refuse", "drop", "net"):
            raise ArgumentError(
                f"must be 'refuse', 'drop' or 'net', got {options['returns']!r}",
                argument="returns",
            )
        if options["returns"] != "refuse" and options["monetary_value"] is None:
            raise ArgumentError(
                "returns are negative amounts: name the amount column with monetary_value=",
                argument="returns",
            )
        if options["missing_ids"] not in ("refuse", "drop"):
            raise ArgumentError(
                f"must be 'refuse' or 'drop', got {options['missing_ids']!r}",
                argument="missing_ids",
            )
        return cls(**options)


@dataclass
class _Problems:
    """Every problem found in a log, reported together."""

    labels: npt.NDArray[Any]
    is_csv: bool = False
    found: list[tuple[str | None, str, npt.NDArray[np.intp]]] = field(default_factory=list)

    @property
    def word(self) -> str:
        return "CSV lines" if self.is_csv else "rows"

    def add(self, column: str | None, message: str, mask: npt.NDArray[np.bool_] | None) -> None:
        positions = np.flatnonzero(mask) if mask is not None else np.zeros(0, dtype=np.intp)
        if mask is not None and positions.size == 0:
            return
        self.found.append((column, message, positions))

    def describe(self, positions: npt.NDArray[np.intp]) -> str:
        return describe_rows(self.labels[positions[:5]].tolist(), positions.size, self.word)

    def raise_any(self) -> None:
        if not self.found:
            return
        every = np.unique(np.concatenate([p for _, _, p in self.found]))
        raise_problems(
            [(c, m, p.size, self.labels[p[:10]].tolist()) for c, m, p in self.found],
            (every.size, self.labels[every[:10]].tolist()),
            is_csv=self.is_csv,
        )


def describe_rows(labels: Sequence[object], count: int, word: str) -> str:
    """``count`` rows at fault by their first five labels: ``"rows 3, 7 and 2 more"``."""
    shown = ", ".join(repr(x) for x in labels[:5])
    more = f" and {count - 5} more" if count > 5 else ""
    return f"{word} {shown}{more}"


def raise_problems(
    found: Sequence[tuple[str | None, str, int, Sequence[object]]],
    every: tuple[int, Sequence[object]],
    *,
    is_csv: bool,
) -> None:
    """Every problem of a log in one DataError (nothing for none): each ``(column, message,
    rows at fault, their first labels)``; ``every`` is the count of the distinct rows at fault
    over all problems and their first labels (the Dask path merges its partitions' problems
    and raises them here: one wording)."""
    if not found:
        return
    word = "CSV lines" if is_csv else "rows"
    if len(found) == 1:
        column, message, count, labels = found[0]
        raise DataError(
            message + (" (rows are CSV line numbers)" if is_csv and count else ""),
            column=column,
            rows=list(labels[:10]),
            count=count,
        )
    parts = []
    for column, message, count, labels in found:
        where = f" ({describe_rows(labels, count, word)})" if count else ""
        prefix = f"column {column!r}: " if column is not None else ""
        parts.append(f"{prefix}{message}{where}")
    columns = {c for c, _, _, _ in found}
    raise DataError(
        f"{len(found)} problems in the transaction log: " + "; ".join(parts),
        column=columns.pop() if len(columns) == 1 else None,
        rows=list(every[1][:10]),
        count=every[0],
    )


@dataclass(frozen=True)
class ReadLog:
    """A validated transaction log: customer codes, dates, amounts, row labels and notes."""

    ids: npt.NDArray[Any]  # distinct customer ids, sorted
    codes: npt.NDArray[np.intp]
    dates: npt.NDArray[np.datetime64]
    amounts: FloatArray | None
    purchase: npt.NDArray[np.bool_] | None  # False for returns netted (returns="net")
    rows: npt.NDArray[Any]  # row labels for error messages
    currency: str | None
    notes: tuple[str, ...]


# ------------------------------------------------------------------------------ columns
def refuse_lazy(value: object, argument: str) -> None:
    """A polars LazyFrame (a query, not data): an ArgumentError naming ``argument``; the one
    check of relmark.data and the engines (the message: "is a polars LazyFrame, a query
    rather than data: call .collect() first")."""
    kind = type(value)
    if kind.__name__ == "LazyFrame" and kind.__module__.split(".")[0] == "polars":
        raise ArgumentError(
            "is a polars LazyFrame, a query rather than data: call .collect() first",
            argument=argument,
        )


def _columns(table: Any, opts: LogOptions) -> dict[str, Any]:
    refuse_lazy(table, "transactions")
    kind = type(table).__name__
    if kind == "Table" and hasattr(table, "column_names"):
        raise ArgumentError(
            "must be a pandas or polars DataFrame or a mapping of columns, got a Table: "
            "pass transactions.to_pandas() (or polars.from_arrow)",
            argument="transactions",
        )
    columns = getattr(table, "columns", None)
    if columns is None and isinstance(table, Mapping):
        columns = list(table.keys())
    if columns is None:
        raise ArgumentError(
            "must be a pandas or polars DataFrame or a mapping of columns, got "
            f"{type(table).__name__}",
            argument="transactions",
        )
    labels = [str(c) for c in columns]
    keys = {str(c): c for c in columns}  # column labels that are not text (0, 1) by their text
    present = list(keys)
    wanted = {
        "customer_id": opts.customer_id,
        "datetime": opts.datetime,
        "monetary_value": opts.monetary_value,
        "currency": opts.currency,
    }
    missing = [name for name in wanted.values() if name is not None and name not in present]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(map(repr, missing))} (found: {', '.join(present)})",
            column=missing[0],
        )
    twice = [n for n in wanted.values() if n is not None and labels.count(n) > 1]
    if twice:  # (pandas gave a 2-d frame for the label: "Buffer has wrong number of dimensions")
        raise DataError(
            f"the frame has {labels.count(twice[0])} columns named {twice[0]!r}: which one is "
            "meant is not known; rename or drop the others",
            column=twice[0],
        )
    out: dict[str, Any] = {}
    for role, name in wanted.items():
        if name is None:
            continue
        col = table[keys[name]]
        to_numpy = getattr(col, "to_numpy", None)
        if to_numpy is not None and not isinstance(col, pd.Series | pd.Index):
            zone = getattr(getattr(col, "dtype", None), "time_zone", None)
            col = to_numpy()  # polars: an aware Datetime gives its UTC instants, naive
            if zone is not None:
                col = pd.Series(col).dt.tz_localize("UTC")
        out[role] = col
    return out


def _series(raw: Any, column: str, n: int | None = None) -> pd.Series:
    """A column as a pandas Series indexed by position (categories as their values)."""
    if isinstance(raw, pd.Series):
        s = raw.reset_index(drop=True)
    else:
        try:
            values = np.asarray(raw) if not isinstance(raw, list | tuple) else raw
            s = pd.Series(values)
        except (TypeError, ValueError) as exc:
            raise DataError(f"not a column of values ({exc})", column=column) from None
    if s.ndim != 1 or (isinstance(raw, np.ndarray) and raw.ndim != 1):
        raise DataError("must be one-dimensional", column=column)
    if n is not None and len(s) != n:
        raise DataError(f"has {len(s)} values for {n} transactions", column=column)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object).where(s.notna(), None)
    return s


# ------------------------------------------------------------------------------ ids
def _read_ids(
    s: pd.Series, column: str, report: _Problems
) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """Ids (as given) and the mask of missing ones; problems reported."""
    missing = s.isna().to_numpy()
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        report.add(column, "customer ids are booleans (True/False), not ids", None)
        return s, missing
    if pd.api.types.is_float_dtype(dtype):
        report.add(
            column,
            "customer ids are floating-point numbers (pandas reads an id column with blanks as "
            "floats, and 007 as 7.0): read the ids as text, with relmark.data.read_transactions "
            "or pandas.read_csv(..., dtype={" + repr(column) + ": str})",
            None,
        )
        return s, missing
    if pd.api.types.is_integer_dtype(dtype):
        return s, missing
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("string", "empty"):
            stripped = _canonical(s)
            missing = missing | (stripped == "").fillna(True).to_numpy(dtype=bool)
            _padded_twins(s, stripped, missing, column, report)
            return s, missing
        if kind == "integer":
            return s, missing
        is_text = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if is_text.any():
            blank = np.zeros(len(s), dtype=bool)
            blank[is_text] = s[is_text].str.strip().to_numpy() == ""
            missing = missing | blank
            other = ~is_text & ~missing
            report.add(
                column,
                "customer ids mix text and other values (numbers or objects): give every id as "
                "text ('007' and 7 would be two customers, or one)",
                other,
            )
            return s, missing
        report.add(
            column,
            f"customer ids must be text or whole numbers, got values of kind {kind!r}",
            None,
        )
        return s, missing
    report.add(column, f"customer ids must be text or whole numbers, got dtype {dtype}", None)
    return s, missing


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters an export leaves around ids (str.strip keeps them)."""


def _canonical(s: pd.Series) -> pd.Series:
    """Text ids without spaces around them; non-ASCII ones also without zero-width characters
    around them and in Unicode normal form C (``"e\u0301"`` is ``"é"``). Only the non-ASCII
    ids pay for the second step (one vectorised test for the rest)."""
    stripped = s.str.strip()
    odd = ~s.str.isascii().fillna(True).to_numpy(dtype=bool) & s.notna().to_numpy()
    if not odd.any():
        return stripped
    out = stripped.astype(object)
    fixed = [
        unicodedata.normalize("NFC", v).strip().strip(_INVISIBLE).strip() for v in out[odd].tolist()
    ]
    out[odd] = fixed
    return out


def _padded_twins(
    s: pd.Series,
    stripped: pd.Series,
    missing: npt.NDArray[np.bool_],
    column: str,
    report: _Problems,
) -> None:
    """Ids that differ only by spaces around them (``" 007"`` and ``"007"``), by zero-width
    characters or by Unicode normal form are refused: two customers to the data, most likely
    one in the export."""
    padded = ~missing & (s != stripped).fillna(False).to_numpy(dtype=bool)
    if not padded.any():
        return
    suspects = ~missing & stripped.isin(stripped[padded].unique()).to_numpy(dtype=bool)
    spellings = s[suspects].groupby(stripped[suspects]).transform("nunique")
    twins = np.zeros(len(s), dtype=bool)
    twins[np.flatnonzero(suspects)] = spellings.to_numpy() > 1
    report.add(
        column,
        "customer ids that differ only by spaces around them (or zero-width characters, or "
        "Unicode normal form), such as "
        + (repr(s[twins].iloc[0]) if twins.any() else "''")
        + ": strip them, or make them distinct",
        twins,
    )


# ------------------------------------------------------------------------------ dates
def _local(parsed: pd.Series, timezone: str | None) -> pd.Series:
    """Tz-aware dates as wall-clock times in ``timezone`` (default UTC); naive ones as given."""
    if getattr(parsed.dt, "tz", None) is None:
        return parsed
    local: pd.Series = parsed.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
    return local


def _numeric_dates(
    numbers: FloatArray,
    valid: npt.NDArray[np.bool_],
    column: str,
    unit: str,
    timezone: str | None,
    report: _Problems,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """Dates given as numbers in ``unit``; returns the dates and the rows that are fine."""
    x = np.where(valid, numbers, 0.0)
    infinite = valid & ~np.isfinite(x)
    report.add(column, "infinite dates", infinite)
    ok = valid & ~infinite
    if unit == "excel":
        early = ok & (x < 61)
        report.add(
            column,
            "Excel serial days below 61 (before 1900-03-01) are ambiguous (Excel counts a 29 "
            "February 1900 that did not exist)",
            early,
        )
        ok &= ~early
    with np.errstate(over="ignore"):  # 1e300 days overflow to inf: outside the range below
        if unit == "excel":
            micro = (x + _EXCEL_ORIGIN_DAYS) * _US_PER["excel"]
        else:
            micro = x * _US_PER[unit]
    low = float(_NS_LOW.astype(np.int64))
    high = float(_NS_HIGH.astype(np.int64))
    with np.errstate(invalid="ignore", over="ignore"):
        outside = ok & ((micro < low) | (micro > high))
    hint = {"s": " (are they milliseconds? date_unit='ms')", "ms": "", "excel": ""}[unit]
    report.add(
        column,
        f"dates outside 1677-09-22 .. 2262-04-11 (the range of nanosecond timestamps) when read "
        f"as date_unit={unit!r}{hint}",
        outside,
    )
    ok &= ~outside
    us = np.round(np.where(ok, micro, 0.0)).astype(np.int64).astype("datetime64[us]")
    dates = us.astype("datetime64[ns]")
    if unit != "excel" and timezone is not None:  # epoch instants are UTC
        local = _local(pd.Series(dates).dt.tz_localize("UTC"), timezone)
        dates = local.to_numpy(dtype="datetime64[ns]")
    return dates, ok


def _matches(text: pd.Series, rows: npt.NDArray[np.bool_], pattern: str) -> npt.NDArray[np.bool_]:
    """Where ``pattern`` matches (``re.search``) among ``rows`` only (regexes cost a Python call
    per row with pandas' object strings: they run on the rows that need them)."""
    out = np.zeros(len(text), dtype=bool)
    if rows.any():
        found = text[rows].str.contains(pattern, regex=True).fillna(False)
        out[rows] = found.to_numpy(dtype=bool)
    return out


def _day_month(
    text: pd.Series, rows: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    """Rows written ``a/b/yyyy`` (or with ``.``/``-``) among ``rows``, with ``a`` and ``b``."""
    n = len(text)
    matched = np.zeros(n, dtype=bool)
    first = np.full(n, np.nan)
    second = np.full(n, np.nan)
    candidates = _matches(text, rows, _DAY_MONTH.replace(r"(\d{1,2})", r"(?:\d{1,2})"))
    if candidates.any():
        parts = text[candidates].str.extract(_DAY_MONTH)
        matched[candidates] = True
        first[candidates] = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
        second[candidates] = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    return matched, first, second


def _parse_text(
    text: pd.Series,
    ok: npt.NDArray[np.bool_],
    column: str,
    opts: LogOptions,
    report: _Problems,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """Text dates (``ok`` marks the rows to read): parsed, in local wall-clock time."""
    n = len(text)
    stripped = text.astype(object).where(text.notna(), "").astype(str).str.strip()
    # ISO dates (yyyy-mm-dd...) need no pattern but the offset check: slices, not regexes.
    iso_like = ok & (
        (stripped.str.slice(4, 5) == "-") & (stripped.str.slice(7, 8) == "-")
    ).to_numpy(dtype=bool)
    if opts.date_format is None and ok.any() and not (ok & ~iso_like).any():
        try:  # the common case in one call: raises on mixed offsets and on any bad row
            fast = pd.to_datetime(stripped[ok], format="ISO8601", errors="raise")
        except (ValueError, TypeError, OverflowError):
            pass
        else:
            raw = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
            raw[ok] = _local(fast, opts.timezone).to_numpy(dtype="datetime64[us]")
            return _in_range(raw, ok, column, report)
    codes, uniques = pd.factorize(stripped[ok])
    if len(uniques) > 1000 and len(uniques) > 0.5 * codes.shape[0]:
        return _parse_rows(stripped, ok, iso_like, column, opts, report)
    # Few distinct texts (dates without times): check and parse each text once.
    distinct = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    every = np.ones(len(distinct), dtype=bool)
    sub = _Problems(labels=np.arange(len(distinct), dtype=object))
    iso_u = ((distinct.str.slice(4, 5) == "-") & (distinct.str.slice(7, 8) == "-")).to_numpy(
        dtype=bool
    )
    dates_u, ok_u = _parse_rows(distinct, every, iso_u, column, opts, sub)
    rows = np.flatnonzero(ok)
    for col, message, positions in sub.found:
        if positions.size == 0:
            report.add(col, message, None)
            continue
        bad_u = np.zeros(len(distinct), dtype=bool)
        bad_u[positions] = True
        mask = np.zeros(n, dtype=bool)
        mask[rows] = bad_u[codes]
        report.add(col, message, mask)
    dates = np.zeros(n, dtype="datetime64[ns]")
    dates[rows] = dates_u[codes]
    fine = np.zeros(n, dtype=bool)
    fine[rows] = ok_u[codes]
    return dates, fine


def _parse_rows(
    stripped: pd.Series,
    ok: npt.NDArray[np.bool_],
    iso_like: npt.NDArray[np.bool_],
    column: str,
    opts: LogOptions,
    report: _Problems,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """The careful path of :func:`_parse_text`, row by row (vectorised)."""
    n = len(stripped)
    other = ok & ~iso_like
    if opts.date_format is None:
        plain = _matches(stripped, other, f"^{_PLAIN_NUMBER}$")
        report.add(
            column,
            "dates written as plain numbers (such as "
            + repr(stripped[plain].iloc[0] if plain.any() else "")
            + "): name their unit with date_unit='excel' (Excel serial days), 's' or 'ms' "
            "(Unix epoch), or their format with date_format= (e.g. '%Y%m%d')",
            plain,
        )
        ok = ok & ~plain
        other = other & ~plain
    timed = iso_like & (stripped.str.len() > 10).to_numpy(dtype=bool)
    aware = _matches(stripped, timed, _ISO_OFFSET) | _matches(stripped, other, _OFFSET)
    if aware.any() and (ok & ~aware).any():
        naive = ok & ~aware
        report.add(
            column,
            "dates without a UTC offset while others have one: give every date an offset, or none",
            naive,
        )
        ok = ok & ~naive
        other = other & ~naive
    dayfirst = opts.dayfirst
    if opts.date_format is None and dayfirst is None:
        matched, first, second = _day_month(stripped, other)
        if matched.any():
            day_first = matched & (first > 12)
            month_first = matched & (second > 12)
            if day_first.any() and month_first.any():
                fewer, dayfirst = (
                    (month_first, True)
                    if month_first.sum() <= day_first.sum()
                    else (day_first, False)
                )
                report.add(
                    column,
                    "day/month order differs between rows (some have a day above 12 first, "
                    "others second): pass date_format=",
                    fewer,
                )
                ok = ok & ~fewer
                other = other & ~fewer
            elif day_first.any():
                dayfirst = True
            elif month_first.any():
                dayfirst = False
            else:
                example = stripped[matched].iloc[0]
                report.add(
                    column,
                    f"ambiguous day/month order: no date such as {example!r} has a day above "
                    "12: pass dayfirst=True (day first), dayfirst=False (month first) or "
                    "date_format=",
                    None,
                )
                ok = ok & ~matched
                other = other & ~matched
    utc = bool(aware.any())
    values = stripped[ok]
    parsed_ok = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if len(values):
        # format="mixed": each value parsed on its own (format=None guessed one format from the
        # first value and warned that it could not infer it)
        if opts.date_format is not None:
            parsed = pd.to_datetime(values, format=opts.date_format, errors="coerce", utc=utc)
        else:
            parsed = pd.to_datetime(
                values,
                format="mixed" if other.any() else "ISO8601",
                errors="coerce",
                utc=utc,
                dayfirst=bool(dayfirst),
            )
            failed = parsed.isna()
            if failed.any():  # e.g. ISO dates with and without times
                again = pd.to_datetime(
                    values[failed],
                    format="mixed",
                    errors="coerce",
                    utc=utc,
                    dayfirst=bool(dayfirst),
                )
                parsed = parsed.astype(again.dtype) if parsed.dtype != again.dtype else parsed
                parsed[failed] = again
        if dayfirst is not None and opts.date_format is None and other.any():
            # pandas (dateutil) swaps day and month where the given order is impossible:
            # a date whose day is not the field dayfirst says is unparseable, not swapped.
            matched, first, second = _day_month(stripped, other)
            field = pd.Series((first if dayfirst else second)[ok], index=values.index)
            swapped = field.notna() & parsed.notna() & (parsed.dt.day != field)
            parsed = parsed.mask(swapped)
        parsed_ok = _local(parsed, opts.timezone)
    raw = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    raw[ok] = parsed_ok.to_numpy(dtype="datetime64[us]")
    bad = ok & np.isnat(raw)
    if bad.any():
        shown = stripped[bad].head(3).tolist()
        hint = (
            f" (expected format {opts.date_format!r})"
            if opts.date_format
            else " (pass their format with date_format=)"
        )
        report.add(column, f"unparseable dates such as {shown!r}{hint}", bad)
    ok = ok & ~bad
    return _in_range(raw, ok, column, report)


def _in_range(
    raw: npt.NDArray[np.datetime64],
    ok: npt.NDArray[np.bool_],
    column: str,
    report: _Problems,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    us = raw.astype("datetime64[us]")
    unread = ok & np.isnat(us)  # a date pandas could not convert (NaT) is never a date
    report.add(column, "unreadable dates", unread)
    ok = ok & ~unread
    outside = ok & ((us < _NS_LOW) | (us > _NS_HIGH))
    report.add(
        column,
        "dates outside 1677-09-22 .. 2262-04-11 (the range of nanosecond timestamps; "
        "placeholders such as 9999-12-31 are not dates)",
        outside,
    )
    ok = ok & ~outside
    dates = np.where(ok, us, np.datetime64(0, "us")).astype("datetime64[ns]")
    return dates, ok


def _refuse_format_of_datetimes(opts: LogOptions, column: str, held: str) -> None:
    """``date_format`` is for text: given for a column of datetimes it was silently unused
    (an ArgumentError naming it, as relmark.engines.sql refuses it for a TIMESTAMP column)."""
    # (the log's column only: an end date given as a timestamp is read without the format)
    if opts.date_format is not None and column == opts.datetime:
        raise ArgumentError(
            f"is for dates given as text, but column {column!r} holds timestamps ({held}), "
            "not text: drop it (a timestamp needs no format)",
            argument="date_format",
        )


def _read_dates(
    s: pd.Series,
    keep: npt.NDArray[np.bool_],
    column: str,
    opts: LogOptions,
    report: _Problems,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """Dates of the kept rows as naive local datetime64[ns]; returns (dates, rows fine)."""
    n = len(s)
    missing = keep & s.isna().to_numpy()
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        report.add(column, "dates are booleans (True/False)", None)
        return np.zeros(n, dtype="datetime64[ns]"), np.zeros(n, dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if opts.date_unit is not None:
            raise ArgumentError(
                f"date_unit is for dates given as numbers; column {column!r} holds datetimes",
                argument="date_unit",
            )
        _refuse_format_of_datetimes(opts, column, str(dtype))
        report.add(column, "missing dates", missing)
        local = _local(s, opts.timezone)
        return _in_range(local.to_numpy(dtype="datetime64[us]"), keep & ~missing, column, report)
    if pd.api.types.is_numeric_dtype(dtype):
        if opts.date_unit is None:
            if opts.date_format is not None and pd.api.types.is_integer_dtype(dtype):
                text = s.astype("Int64").astype(str)  # 19970101 read from a CSV as a number
                report.add(column, "missing dates", missing)
                return _parse_text(text, keep & ~missing, column, opts, report)
            report.add(
                column,
                "dates are numbers: name their unit with date_unit='excel' (Excel serial "
                "days), 's' or 'ms' (Unix epoch seconds or milliseconds), or, for numbers "
                "such as 20240131, their format with date_format='%Y%m%d'",
                None,
            )
            return np.zeros(n, dtype="datetime64[ns]"), np.zeros(n, dtype=bool)
        report.add(column, "missing dates", missing)
        numbers = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _numeric_dates(
            numbers, keep & ~missing, column, opts.date_unit, opts.timezone, report
        )
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty"):
        blank = (s.str.strip() == "").fillna(False).to_numpy(dtype=bool)
        missing = missing | (keep & blank)
        report.add(column, "missing dates", missing)
        ok = keep & ~missing
        if opts.date_unit is not None:
            numbers = pd.to_numeric(s.where(ok), errors="coerce").to_numpy(dtype=np.float64)
            text_bad = ok & np.isnan(numbers)
            report.add(
                column,
                f"dates that are not numbers (date_unit={opts.date_unit!r} reads numbers)",
                text_bad,
            )
            return _numeric_dates(
                numbers, ok & ~text_bad, column, opts.date_unit, opts.timezone, report
            )
        return _parse_text(s.astype(str), ok, column, opts, report)
    if kind in ("datetime", "datetime64", "date"):
        _refuse_format_of_datetimes(opts, column, "datetime objects")
        report.add(column, "missing dates", missing)
        ok = keep & ~missing
        # pandas turns a datetime of another zone than the first, or a naive one among aware
        # ones, into NaT: the zones are looked at first.
        aware = ok & s.map(lambda v: getattr(v, "tzinfo", None) is not None).to_numpy(dtype=bool)
        if aware.any() and (ok & ~aware).any():
            report.add(
                column,
                "dates without a time zone while others have one: give every date a zone, or none",
                ok & ~aware,
            )
            ok = ok & aware
        objects = s.where(ok)
        try:
            parsed = pd.to_datetime(objects, errors="coerce", utc=bool(aware.any()))
        except (ValueError, TypeError, OverflowError) as exc:
            report.add(column, f"unreadable dates ({exc})", None)
            return np.zeros(n, dtype="datetime64[ns]"), np.zeros(n, dtype=bool)
        local = _local(parsed, opts.timezone)
        return _in_range(local.to_numpy(dtype="datetime64[us]"), ok, column, report)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _read_dates(pd.to_numeric(s, errors="coerce"), keep, column, opts, report)
    is_text = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    report.add(column, "missing dates", missing)
    if not is_text.any():
        report.add(
            column,
            f"dates must be datetimes, text or numbers, got values of kind {kind!r}",
            None,
        )
        return np.zeros(n, dtype="datetime64[ns]"), np.zeros(n, dtype=bool)
    other = keep & ~missing & ~is_text
    report.add(column, "dates mix text and other values (numbers or objects)", other)
    ok = keep & ~missing & is_text
    return _parse_text(s.where(is_text, "").astype(str), ok, column, opts, report)


def option_date(value: object, name: str, opts: LogOptions) -> np.datetime64:
    """A date given as an option (``observation_end``, ``calibration_end``), read with the
    log's rules; ArgumentError naming ``name`` otherwise."""
    if isinstance(value, bool) or value is None:
        raise ArgumentError(f"must be a date, got {value!r}", argument=name)
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        try:
            stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError) as exc:
            raise ArgumentError(f"not a readable date ({exc})", argument=name) from None
        s = pd.Series([stamp])
        opts = replace(opts, date_unit=None)
    else:
        s = pd.Series([value], dtype=object if not isinstance(value, str) else None)
        text_date = isinstance(value, str) and re.fullmatch(_PLAIN_NUMBER, value) is None
        if text_date and opts.date_unit is not None:  # "2024-01-31" with an Excel log
            opts = replace(opts, date_unit=None)
    report = _Problems(labels=np.array([name], dtype=object))
    dates, ok = _read_dates(s, np.ones(1, dtype=bool), name, opts, report)
    if report.found or not ok[0]:
        message = report.found[0][1] if report.found else "not a date"
        raise ArgumentError(f"{message}; got {value!r}", argument=name)
    day: np.datetime64 = dates[0]
    return day


def _text_is_aware(text: str) -> bool:
    v = text.strip()
    if len(v) > 10 and v[4:5] == "-" and v[7:8] == "-":
        return re.search(_ISO_OFFSET, v) is not None
    return re.search(_OFFSET, v) is not None


def _log_is_aware(s: pd.Series, opts: LogOptions) -> bool:
    """Whether the log's dates are instants (an offset, a zone or epoch numbers); the log
    cannot mix (that is refused), so the first date decides."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return getattr(s.dt, "tz", None) is not None
    if opts.date_unit is not None:
        return opts.date_unit != "excel"  # epoch numbers are UTC instants
    present = s.dropna()
    if len(present) == 0:
        return False
    first = present.iloc[0]
    if isinstance(first, str):
        return _text_is_aware(first)
    return getattr(first, "tzinfo", None) is not None


def end_is_aware(value: object) -> bool:
    """Whether an end date (``observation_end``, ``calibration_end``) has a UTC offset or a
    zone: text ending in one, or a datetime with a ``tzinfo``."""
    if isinstance(value, str):
        return _text_is_aware(value)
    return getattr(value, "tzinfo", None) is not None


def end_zone_error(name: str, value: object) -> ArgumentError:
    """The refusal of an end date with a UTC offset or a zone against a log of wall-clock
    times (the engines raise it too: one message)."""
    return ArgumentError(
        f"has a UTC offset or time zone ({value!r}) while the log's dates are wall-clock "
        "times without one: give both an offset, or neither",
        argument=name,
    )


def check_end_zone(value: object, name: str, transactions: Any, opts: LogOptions) -> None:
    """An end date with a UTC offset or a zone against a log of wall-clock times compares two
    clocks (the log's times are taken as written): ArgumentError naming ``name``."""
    if not end_is_aware(value):
        return
    try:
        column = _columns(transactions, opts)["datetime"]
        dates = _series(column, opts.datetime)
    except (ArgumentError, DataError):
        return  # the log's own error comes from read_log
    if not _log_is_aware(dates, opts):
        raise end_zone_error(name, value)


# ------------------------------------------------------------------------------ amounts
def _read_amounts(
    s: pd.Series, keep: npt.NDArray[np.bool_], column: str, report: _Problems
) -> FloatArray:
    if pd.api.types.is_bool_dtype(s.dtype):
        report.add(column, "amounts are booleans (True/False), not numbers", None)
        return np.zeros(len(s))
    if s.dtype.kind in "cmM":  # pandas would read time spans and dates as nanoseconds
        what = {"c": "complex numbers", "m": "time spans", "M": "dates"}[s.dtype.kind]
        report.add(column, f"amounts are {what}, not real numbers", None)
        return np.zeros(len(s))
    if pd.api.types.is_numeric_dtype(s.dtype):
        amounts = s.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = keep & np.isnan(amounts)
        report.add(column, "missing (NaN) amounts", missing)
    else:
        if pd.api.types.infer_dtype(s, skipna=True) not in _NUMBER_KINDS:
            flags = s.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
            report.add(column, "amounts that are booleans (True/False), not numbers", keep & flags)
            keep = keep & ~flags
        numbers = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        absent = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy(dtype=bool)
        report.add(column, "missing amounts", keep & absent)
        unreadable = keep & ~absent & np.isnan(numbers)
        if unreadable.any():
            shown = s[unreadable].head(3).tolist()
            report.add(column, f"amounts that are not numbers, such as {shown!r}", unreadable)
        amounts = numbers
    infinite = keep & np.isinf(amounts)
    report.add(column, "infinite amounts", infinite)
    return amounts


def _read_currency(
    s: pd.Series, keep: npt.NDArray[np.bool_], column: str, report: _Problems
) -> tuple[str | None, str | None]:
    """The one currency of the kept rows, or (None, message) when they mix currencies."""
    text = s.where(s.isna(), s.astype(str)).str.strip()
    missing = keep & (text.isna() | (text == "")).to_numpy(dtype=bool)
    report.add(column, "missing currencies", missing)
    code = text.str.fullmatch(r"[A-Z]{3}").fillna(False).to_numpy(dtype=bool)
    malformed = keep & ~missing & ~code
    report.add(column, "currencies must be ISO 4217 codes (three capital letters)", malformed)
    good = keep & code
    counts = text[good].value_counts()
    if len(counts) == 0:
        return None, None
    if len(counts) == 1:
        return str(counts.index[0]), None
    main = str(counts.index[0])
    others = good & (text != main).to_numpy(dtype=bool)
    listed = ", ".join(f"{c} ({n} rows)" for c, n in counts.items())
    message = (
        f"column {column!r}: the log mixes currencies: {listed}; amounts in different "
        "currencies cannot be added (summarise each currency separately) "
        f"[first rows not in {main}: {report.describe(np.flatnonzero(others))}]"
    )
    return None, message


# ------------------------------------------------------------------------------ the log
def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def read_log(
    transactions: Any,
    opts: LogOptions,
    *,
    grid: Base,
    late: tuple[np.datetime64, bool] | None = None,
) -> ReadLog:
    """Read and validate a transaction log (every problem in one DataError).

    ``grid`` is the base unit purchases merge on (returns are netted per period of it);
    ``late`` is ``(end, by_period)``: transactions after ``end`` (in a later period of the grid
    when ``by_period``) are problems.
    """
    cols = _columns(transactions, opts)
    raw_ids = cols["customer_id"]
    labels = np.asarray(
        raw_ids.index if isinstance(raw_ids, pd.Series) else np.arange(len(raw_ids)),
        dtype=object,
    )
    report = _Problems(
        labels=labels,
        is_csv=isinstance(raw_ids, pd.Series) and raw_ids.index.name == LINE_INDEX,
    )
    n = len(labels)
    if n == 0:
        raise DataError("the transaction log is empty")
    ids, missing_id = _read_ids(_series(raw_ids, opts.customer_id), opts.customer_id, report)
    keep = np.ones(n, dtype=bool)
    notes: list[str] = []
    if opts.missing_ids == "drop":
        if missing_id.any():
            notes.append(
                f"dropped {_plural(int(missing_id.sum()), 'transaction')} with a missing "
                "customer id "
                f"({report.describe(np.flatnonzero(missing_id))})"
            )
        keep &= ~missing_id
    else:
        report.add(
            opts.customer_id,
            "missing customer ids (pass missing_ids='drop' to drop and count them)",
            missing_id,
        )
    amounts: FloatArray | None = None
    purchase: npt.NDArray[np.bool_] | None = None
    if opts.monetary_value is not None:
        amounts = _read_amounts(
            _series(cols["monetary_value"], opts.monetary_value, n),
            keep,
            opts.monetary_value,
            report,
        )
        negative = keep & (amounts < 0)
        if opts.returns == "refuse":
            report.add(
                opts.monetary_value,
                "negative amounts (returns): pass returns='drop' to drop them or "
                "returns='net' to net them against the purchases of their period",
                negative,
            )
        elif opts.returns == "drop":
            if negative.any():
                notes.append(
                    f"dropped {_plural(int(negative.sum()), 'return')} (negative amounts; "
                    f"{report.describe(np.flatnonzero(negative))})"
                )
            keep &= ~negative
        else:
            purchase = ~negative
    dates, date_ok = _read_dates(
        _series(cols["datetime"], opts.datetime, n), keep, opts.datetime, opts, report
    )
    currency: str | None = None
    mixed: str | None = None
    if opts.currency is not None:
        currency, mixed = _read_currency(
            _series(cols["currency"], opts.currency, n), keep, opts.currency, report
        )
    if not keep.any():
        report.add(None, "no transactions left after dropping (see the notes)", None)
    amount_ok = np.ones(n, dtype=bool) if amounts is None else np.isfinite(amounts)
    fine = keep & date_ok & amount_ok & ~missing_id
    if late is not None and fine.any():
        end, by_period = late
        if by_period:
            after = periods(dates, grid) > periods(np.array([end]), grid)[0]
        else:
            after = dates > end
        report.add(
            opts.datetime,
            f"transactions after the end of observation {pd.Timestamp(end)} (filter them out "
            "first, or move observation_end)",
            fine & after,
        )
    if purchase is not None and amounts is not None and fine.any():
        _check_net(ids, dates, amounts, purchase, fine, grid, opts, report)
    if mixed is not None and not report.found:
        raise CurrencyError(mixed)
    if mixed is not None:
        report.add(opts.currency, mixed.split(": ", 1)[1], None)
    report.raise_any()
    codes, uniques = pd.factorize(ids[keep], sort=True)
    if purchase is not None:
        notes.append(
            f"netted {_plural(int((~purchase[keep]).sum()), 'return')} against the purchases "
            "of their period"
        )
    return ReadLog(
        ids=np.asarray(uniques),
        codes=codes.astype(np.intp),
        dates=dates[keep],
        amounts=None if amounts is None else amounts[keep],
        purchase=None if purchase is None else purchase[keep],
        rows=labels[keep],
        currency=currency,
        notes=tuple(notes),
    )


def _check_net(
    ids: pd.Series,
    dates: npt.NDArray[np.datetime64],
    amounts: FloatArray,
    purchase: npt.NDArray[np.bool_],
    fine: npt.NDArray[np.bool_],
    grid: Base,
    opts: LogOptions,
    report: _Problems,
) -> None:
    """Returns must fall in a period with a purchase of their customer, and not exceed it."""
    returns = fine & ~purchase
    if not returns.any():
        return
    idx = np.flatnonzero(fine)
    codes, _ = pd.factorize(ids[fine])
    per = periods(dates[fine], grid)
    span = int(per.max()) - int(per.min()) + 1
    group = pd.factorize(codes.astype(np.int64) * span + (per - per.min()))[0]
    bought = np.bincount(group, weights=purchase[fine].astype(float))
    total = np.bincount(group, weights=amounts[fine])
    spent = np.bincount(group, weights=np.where(purchase[fine], amounts[fine], 0.0))
    is_return = ~purchase[fine]
    orphan = np.zeros(len(ids), dtype=bool)
    orphan[idx] = is_return & (bought[group] == 0)
    report.add(
        opts.monetary_value,
        "returns (negative amounts) in a period without a purchase by the customer: nothing "
        "to net them against (returns='drop' drops them)",
        orphan,
    )
    over = np.zeros(len(ids), dtype=bool)
    # A full refund in float sums can leave -3e-17 (0.3 - 0.1 - 0.2): not an excess.
    excess = total < -1e-9 * (1.0 + np.abs(spent))
    over[idx] = is_return & (bought[group] > 0) & excess[group]
    report.add(
        opts.monetary_value,
        "returns exceed the purchases of their customer in their period (net spend < 0)",
        over,
    )
