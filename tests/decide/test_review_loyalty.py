"""Adversarial review of decide.loyalty's text-period ordering (_period_codes): labels whose
numbers do not give their time order are refused naming the column, never misordered."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from relmark.decide import loyalty
from relmark.errors import DataError


def _panel(periods: Sequence[object], n: int = 4) -> pd.DataFrame:
    rows = []
    for c in range(n):
        for j, p in enumerate(periods):
            member = int(c < n // 2 and j >= len(periods) // 2)
            rows.append({"customer": c, "period": p, "outcome": float(c + j), "member": member})
    return pd.DataFrame(rows)


def _both(frame: pd.DataFrame) -> None:
    loyalty.membership_effect(
        frame, customer="customer", period="period", outcome="outcome", member="member"
    )


def _tiers(frame: pd.DataFrame) -> loyalty.TierMigration:
    tiered = frame.assign(tier=["gold" if m else "base" for m in frame["member"]])
    return loyalty.tier_migration(
        tiered, customer="customer", period="period", tier="tier", tiers=["base", "gold"]
    )


@pytest.mark.parametrize(
    ("periods", "match"),
    [
        (["-3", "-2", "-1"], "sign"),  # read as separators, -1 came first (silently)
        (["t-2", "t-1"], "sign"),
        (["1" * 5000, "2" * 5000], "digits"),  # int() raised a raw ValueError
        ([b"2026-9", b"2026-10"], "bytes"),  # sorted as bytes: b"2026-10" first (silently)
    ],
)
def test_unorderable_text_periods_refused(periods: list[object], match: str) -> None:
    frame = _panel(periods)
    with pytest.raises(DataError, match=match) as info:
        _both(frame)
    assert info.value.column == "period"
    with pytest.raises(DataError, match=match) as info:
        _tiers(frame)
    assert info.value.column == "period"


def test_year_after_a_dash_is_ordered() -> None:
    """'FY-2024' is a label with a year, not a negative number: ordered by the year. By hand:
    members are gold from the second period, so 2 base -> gold moves, 2 base -> base."""
    result = _tiers(_panel(["FY-2025", "FY-2024"][::-1]))
    assert result.counts == ((2, 2), (0, 0))
