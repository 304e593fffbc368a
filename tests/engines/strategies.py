"""Hypothesis strategies for the engines' tests: transaction logs with the awkward cases."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

# Instants that sit on period boundaries: midnights, the last second of a day, a Sunday night
# and the Monday after it (week boundary), month ends, New Year, and times before 1970.
_BASE = pd.Timestamp("2023-12-31 00:00:00")  # a Sunday
_EDGES = [
    "2023-12-31 23:59:59",
    "2024-01-01 00:00:00",
    "2024-01-07 23:59:59",
    "2024-01-08 00:00:00",
    "2024-01-31 23:59:59",
    "2024-02-01 00:00:00",
    "2024-02-29 12:00:00",
    "2024-03-01 00:00:00",
    "1969-12-31 23:59:59",
    "1970-01-01 00:00:00",
    "1969-12-29 00:00:00",
]


@st.composite
def timestamps(draw: st.DrawFn) -> pd.Timestamp:
    """A time to the second: on a period boundary, or anywhere in about 100 days."""
    if draw(st.booleans()):
        return pd.Timestamp(draw(st.sampled_from(_EDGES)))
    return _BASE + pd.Timedelta(seconds=draw(st.integers(0, 100 * 86_400)))


@st.composite
def logs(draw: st.DrawFn, *, zoned: bool = False) -> pd.DataFrame:
    """A transaction log of up to 6 customers with many rows per day (repeats of one time),
    amounts that are exact binary fractions (quarters), so sums are exact in any order; with
    ``zoned`` the times are aware, in a zone with a fractional offset (Asia/Kolkata)."""
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.sampled_from(["a", "b", "c", "Z", "é", "aa"]), min_size=n, max_size=n))
    times = draw(st.lists(timestamps(), min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(times) - 1), min_size=n, max_size=n))
    amounts = draw(st.lists(st.integers(0, 4_000), min_size=n, max_size=n))
    dates = pd.Series([times[i] for i in picks], dtype="datetime64[ns]")
    if zoned:
        dates = dates.dt.tz_localize("UTC").dt.tz_convert("Asia/Kolkata")
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": [a / 4 for a in amounts]})


_EXCEL_1970 = 25_569  # 1970-01-01 as an Excel serial day


@st.composite
def option_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, object]]:
    """A log of :func:`logs` and the summary options to apply to it: missing or blank ids to
    drop, returns (negative amounts) to drop, a currency column, dates given as Unix epoch
    seconds or milliseconds (with or without a time zone) or Excel serial days (fractions
    included, so rounding to the microsecond matters at midnight)."""
    log = draw(logs())
    n = len(log)
    kw: dict[str, object] = {"monetary_value": "amount"}
    if draw(st.booleans()):
        blank = draw(
            st.lists(st.sampled_from([None, "", "  ", "\t", "keep"]), min_size=n, max_size=n)
        )
        ids = [c if b == "keep" else b for c, b in zip(log["customer_id"], blank, strict=True)]
        log["customer_id"] = pd.Series(ids, dtype=object)
        kw["missing_ids"] = "drop"
    if draw(st.booleans()):
        negative = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        log["amount"] = [-a if neg else a for a, neg in zip(log["amount"], negative, strict=True)]
        kw["returns"] = "drop"
    if draw(st.booleans()):
        log["currency"] = draw(st.sampled_from(["EUR", "JPY"]))
        kw["currency"] = "currency"
    unit = draw(st.sampled_from([None, "s", "ms", "excel"]))
    if unit is not None:
        ns = log["date"].astype("int64").to_numpy()
        if unit == "s":
            log["date"] = ns / 1e9
        elif unit == "ms":
            log["date"] = ns / 1e6
        else:
            log["date"] = ns / 86_400e9 + _EXCEL_1970
        kw["date_unit"] = unit
        if unit != "excel" and draw(st.booleans()):
            kw["timezone"] = "Asia/Kolkata"
    return log, kw
