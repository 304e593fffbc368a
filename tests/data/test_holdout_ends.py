"""A holdout of no length: both ends in one period of the time unit's grid.

``calibration_holdout`` with ``calibration_end`` and ``observation_end`` (or, without it, the
last transaction) in the same day, week or month gave every customer ``duration_holdout`` 0,
and the summary's check said so as a DataError naming every customer. It is one
ArgumentError naming the end at fault and both dates, the message of the DuckDB and Dask
engines (checked against an independent count of the periods between the ends).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from relmark.data import calibration_holdout
from relmark.errors import ArgumentError

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b"],
        "date": ["2024-01-01", "2024-01-05", "2024-01-20", "2024-01-03"],
    }
)


@pytest.mark.parametrize(
    ("kw", "argument", "dates"),
    [
        (  # Tuesday and Saturday of one Monday-to-Sunday week
            {"calibration_end": "2024-01-16", "observation_end": "2024-01-20", "time_unit": "W"},
            "observation_end",
            ("2024-01-16 00:00:00", "2024-01-20 00:00:00"),
        ),
        (  # the last transaction (Saturday 2024-01-20) is the default end
            {"calibration_end": "2024-01-16", "time_unit": "W"},
            "calibration_end",
            ("2024-01-16 00:00:00", "2024-01-20 00:00:00"),
        ),
        (
            {"calibration_end": "2024-01-10", "observation_end": "2024-01-31", "time_unit": "M"},
            "observation_end",
            ("2024-01-10 00:00:00", "2024-01-31 00:00:00"),
        ),
        (
            {"calibration_end": "2024-01-20 01:00", "observation_end": "2024-01-20 12:00"},
            "observation_end",
            ("2024-01-20 01:00:00", "2024-01-20 12:00:00"),
        ),
        (  # a 14-day unit sits on the day grid: the same day is 0 units apart
            {
                "calibration_end": "2024-01-20 01:00",
                "observation_end": "2024-01-20 23:59",
                "freq_multiplier": 14,
            },
            "observation_end",
            ("2024-01-20 01:00:00", "2024-01-20 23:59:00"),
        ),
    ],
)
def test_both_ends_in_one_period_is_one_argument_error(
    kw: dict[str, Any], argument: str, dates: tuple[str, str]
) -> None:
    with pytest.raises(ArgumentError) as info:
        calibration_holdout(LOG, **kw)
    assert info.value.argument == argument
    text = str(info.value)
    assert all(d in text for d in dates)
    assert "same period" in text
    assert "'a'" not in text and "'b'" not in text  # no customers named: it is not their data


def test_the_given_end_is_checked_before_the_log_is_read() -> None:
    """A log that would fail (no date column) is not read: the ends alone decide."""
    with pytest.raises(ArgumentError, match="same period") as info:
        calibration_holdout(
            LOG.drop(columns="date"),
            calibration_end="2024-01-16",
            observation_end="2024-01-20",
            time_unit="W",
        )
    assert info.value.argument == "observation_end"


@pytest.mark.parametrize(
    ("cal", "obs", "unit", "mult", "want"),
    [
        ("2024-01-14 23:59", "2024-01-15 00:00", "W", 1, 1.0),  # Sunday, then Monday
        ("2024-01-31 23:00", "2024-02-01 00:00", "M", 1, 1.0),
        ("2024-01-10 23:59", "2024-01-11 00:00", "D", 1, 1.0),
        ("2024-01-10 23:59", "2024-01-11 00:00", "D", 14, 1.0 / 14.0),
        ("2024-01-10 10:59", "2024-01-10 11:00", "h", 1, 1.0),
    ],
)
def test_ends_one_period_apart_are_accepted(
    cal: str, obs: str, unit: str, mult: float, want: float
) -> None:
    """Ties at the period boundaries: one period apart is a holdout of one period (divided by
    the multiple), counted here by hand."""
    log = pd.DataFrame({"customer_id": ["a", "a"], "date": ["2024-01-01", cal]})
    s = calibration_holdout(
        log, calibration_end=cal, observation_end=obs, time_unit=unit, freq_multiplier=mult
    )
    assert s.duration_holdout is not None
    assert s.duration_holdout.tolist() == [want]
