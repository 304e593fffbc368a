"""communication_scores: bad rows are named by the frame's own index labels, and contacts far
from 1970 (a Python datetime holds years 1-9999) get their true latencies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from relmark.errors import DataError
from relmark.scoring import communication_scores

PLUS2 = timezone(timedelta(hours=2))


def _frame(at: Sequence[Any], index: list[Any], directions: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1"] * len(at),
            "at": pd.Series(list(at), dtype=object, index=index),
            "channel": ["email"] * len(at),
            "direction": directions,
        },
        index=index,
    )


@pytest.mark.parametrize(
    ("at", "label", "words"),
    [
        ([datetime(2024, 1, 1, tzinfo=UTC), None], "y", "missing timestamps"),
        ([datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2)], "y", "naive"),
        ([datetime(2024, 1, 1, tzinfo=PLUS2), "2024-01-02"], "y", "str"),
    ],
    ids=["missing", "naive", "text"],
)
def test_bad_times_are_named_by_index_label(at: list[object], label: str, words: str) -> None:
    frame = _frame(at, ["x", "y"], ["inbound", "outbound"])
    with pytest.raises(DataError, match=words) as info:
        communication_scores(frame)
    assert info.value.column == "at"
    assert info.value.rows == (label,)  # the label, not the position 1


def test_bad_channel_and_id_are_named_by_index_label() -> None:
    at = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)]
    frame = _frame(at, [10, 20], ["inbound", "outbound"]).assign(channel=["email", "pigeon"])
    with pytest.raises(DataError, match="must be one of") as info:
        communication_scores(frame)
    assert (info.value.column, info.value.rows) == ("channel", (20,))
    frame = _frame(at, [10, 20], ["inbound", "outbound"]).assign(customer_id=[" c", "c"])
    with pytest.raises(DataError, match="customer ids") as info:
        communication_scores(frame)
    assert (info.value.column, info.value.rows) == ("customer_id", (10,))


def test_contacts_outside_the_window_are_named_by_index_label() -> None:
    at = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)]
    frame = _frame(at, ["early", "late"], ["inbound", "outbound"])
    with pytest.raises(DataError, match="outside the window") as info:
        communication_scores(frame, end=datetime(2024, 2, 1, tzinfo=UTC))
    assert (info.value.column, info.value.rows) == ("at", ("late",))


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (datetime(1, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=PLUS2)),
        (datetime(2024, 1, 1, tzinfo=UTC), datetime(2300, 6, 1, 12, tzinfo=PLUS2)),
        (datetime(1600, 1, 1, tzinfo=PLUS2), datetime(9999, 12, 30, tzinfo=UTC)),
    ],
    ids=["year 1", "year 2300", "1600 to 9999"],
)
def test_latency_far_from_1970_is_exact(question: datetime, answer: datetime) -> None:
    # beyond 1677-2262 nanoseconds since 1970 overflow: a year-1 question answered in 2024
    # was 2,360,927 hours late instead of 17,733,214
    frame = _frame([question, answer], [0, 1], ["inbound", "outbound"])
    result = communication_scores(frame)
    expected = (answer - question).total_seconds() / 3600  # Python's exact timedelta
    latency = result.by_customer_channel["median_latency_hours"].iloc[0]
    assert float(latency) == pytest.approx(expected, rel=1e-12)
