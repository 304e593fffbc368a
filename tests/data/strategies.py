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
