"""Hypothesis strategies for transaction logs (relmark.data)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import strategies as st

IDS = st.sampled_from(["007", "7", "a", "A", "b ", "é", "10", "2"])
"""Customer ids that differ only in leading zeros, case, a trailing space or an accent."""


@st.composite
def transaction_logs(draw: st.DrawFn, *, returns: bool = False) -> pd.DataFrame:
    """A log of 1-40 transactions in 2024 (to the minute), amounts 0-500, and, with
    ``returns``, returns dated like one of the purchases and at most its amount."""
    n = draw(st.integers(1, 40))
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        minute = draw(st.integers(0, 366 * 24 * 60 - 1))
        rows.append(
            {
                "customer_id": draw(IDS),
                "date": pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=minute),
                "amount": draw(st.integers(0, 50_000)) / 100,
            }
        )
    if returns:
        for row in list(rows):
            if draw(st.booleans()):
                share = draw(st.integers(0, 100)) / 100
                rows.append({**row, "amount": -round(row["amount"] * share, 2)})
    return pd.DataFrame(rows)


JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "2024-01-01",
            "01/02/2024",
            "13/02/2024",
            "2024-03-31T00:30+02:00",
            "9999-12-31",
            "45292",
            "",
            " ",
            "NaN",
            "007",
            "-5",
            "1e400",
        ]
    ),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.datetimes(),
)
"""Values a broken export may hold in any column."""


@st.composite
def junk_logs(draw: st.DrawFn) -> pd.DataFrame:
    """A log of 1-8 rows whose id, date and amount columns hold arbitrary values."""
    n = draw(st.integers(1, 8))
    column = st.lists(JUNK, min_size=n, max_size=n)
    return pd.DataFrame(
        {"customer_id": draw(column), "date": draw(column), "amount": draw(column)},
        dtype=object,
    )
