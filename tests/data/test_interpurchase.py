"""The summary's ``sum_log_interpurchase`` statistic and the holdout mean-spend rule, on
hand-made logs (arithmetic in the comments) and against a direct computation (hypothesis)."""

from __future__ import annotations

import itertools
import math
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.errors import ArgumentError, DataError

from .strategies import transaction_logs

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
        "date": [
            "2024-01-01",
            "2024-01-01",  # same day: merged with the first purchase
            "2024-01-04",
            "2024-01-11",
            "2024-01-03",
            "2024-01-02",
            "2024-01-20",
        ],
        "amount": [10.0, 5.0, 20.0, 7.0, 3.0, 4.0, 6.0],
    }
)


def test_hand_log_in_days_and_weeks() -> None:
    """a buys on days 0, 3 and 10 (gaps 3 and 7), b once, c on days 0 and 18."""
    s = summarize(LOG, observation_end="2024-01-31", sum_log_interpurchase=True)
    assert s.customer_id.tolist() == ["a", "b", "c"]
    assert s.sum_log_interpurchase is not None
    np.testing.assert_allclose(
        s.sum_log_interpurchase, [math.log(3) + math.log(7), 0.0, math.log(18)], rtol=1e-15
    )
    weeks = summarize(
        LOG, observation_end="2024-01-31", freq_multiplier=7, sum_log_interpurchase=True
    )
    assert weeks.sum_log_interpurchase is not None
    # gaps 3/7 and 7/7 weeks: ln(3/7) + ln(1); c: ln(18/7)
    np.testing.assert_allclose(
        weeks.sum_log_interpurchase, [math.log(3 / 7), 0.0, math.log(18 / 7)], rtol=1e-14
    )
    assert "sum_log_interpurchase" in weeks.to_frame().columns
    assert RFMSummary.from_frame(weeks.to_frame()) == weeks


def test_default_leaves_the_summary_unchanged() -> None:
    s = summarize(LOG, observation_end="2024-01-31")
    assert s.sum_log_interpurchase is None
    assert "sum_log_interpurchase" not in s.columns


def test_calibration_part_only() -> None:
    """In a split the statistic is the calibration period's: a's gaps up to 2024-01-05 are
    just 3 days (day 10 is in the holdout)."""
    s = calibration_holdout(
        LOG,
        calibration_end="2024-01-05",
        observation_end="2024-01-31",
        sum_log_interpurchase=True,
    )
    assert s.sum_log_interpurchase is not None
    assert s.sum_log_interpurchase.tolist() == [math.log(3), 0.0, 0.0]


def _direct(log: pd.DataFrame) -> dict[str, float]:
    """Sum of ln(day gaps) over each customer's distinct purchase days, in plain Python."""
    out: dict[str, float] = {}
    for cid, rows in log.groupby("customer_id"):
        days = sorted({ts.normalize() for ts in rows["date"]})
        out[str(cid)] = sum(
            math.log((b - a) / pd.Timedelta(days=1)) for a, b in itertools.pairwise(days)
        )
    return out


@settings(max_examples=40, deadline=None)
@given(log=transaction_logs())
def test_statistic_equals_a_direct_computation(log: pd.DataFrame) -> None:
    s = summarize(log, sum_log_interpurchase=True)
    want = _direct(log)
    assert s.sum_log_interpurchase is not None
    got = dict(zip(s.customer_id.tolist(), s.sum_log_interpurchase.tolist(), strict=True))
    assert set(got) == set(want)
    for cid, value in want.items():
        assert got[cid] == pytest.approx(value, rel=1e-13, abs=1e-13)


# ------------------------------------------------------------------ holdout mean spend
SPLIT = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b", "b"],
        "date": [
            "2024-01-01",
            "2024-01-15",
            "2024-01-15",
            "2024-01-20",
            "2024-01-02",
            "2024-01-10",
        ],
        "amount": [50.0, 10.0, 20.0, 30.0, 8.0, 12.0],
    }
)


def test_holdout_spend_per_period_and_per_transaction() -> None:
    """a's holdout: 10 + 20 on the 15th (one period) and 30 on the 20th. Per period (the
    calibration's rule, the default): (10 + 20 + 30) / 2 periods = 30; per transaction
    (lifetimes): 60 / 3 = 20. b's holdout: one transaction of 12, both rules 12. The holdout
    frequency counts periods: 2 for a, 1 for b."""
    kw: dict[str, Any] = {
        "calibration_end": "2024-01-05",
        "observation_end": "2024-01-31",
        "monetary_value": "amount",
    }
    per_period = calibration_holdout(SPLIT, **kw)
    per_row = calibration_holdout(SPLIT, holdout_spend="transaction", **kw)
    assert per_period.frequency_holdout is not None
    assert per_period.frequency_holdout.tolist() == [2.0, 1.0]
    assert per_period.monetary_value_holdout is not None
    assert per_row.monetary_value_holdout is not None
    assert per_period.monetary_value_holdout.tolist() == [30.0, 12.0]
    assert per_row.monetary_value_holdout.tolist() == [20.0, 12.0]


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: summarize(LOG, sum_log_interpurchase=cast(Any, "yes")), ArgumentError, None),
        (lambda: summarize(LOG, sum_log_interpurchase=cast(Any, 1)), ArgumentError, None),
        (
            lambda: calibration_holdout(
                SPLIT, calibration_end="2024-01-05", holdout_spend=cast(Any, "mean")
            ),
            ArgumentError,
            "holdout_spend",
        ),
        (
            lambda: RFMSummary(
                customer_id=[1, 2],
                frequency=[0, 1],
                recency=[0, 2.0],
                T=[5.0, 5.0],
                sum_log_interpurchase=[0.3, 0.7],
            ),
            DataError,
            "sum_log_interpurchase",
        ),
        (
            lambda: RFMSummary(
                customer_id=[1, 2],
                frequency=[0, 1],
                recency=[0, 2.0],
                T=[5.0, 5.0],
                sum_log_interpurchase=[0.0, np.nan],
            ),
            DataError,
            "sum_log_interpurchase",
        ),
        (
            lambda: RFMSummary(
                customer_id=[1, 2],
                frequency=[0, 1],
                recency=[0, 2.0],
                T=[5.0, 5.0],
                sum_log_interpurchase=[0.0],
            ),
            DataError,
            "sum_log_interpurchase",
        ),
    ],
)
def test_bad_options_and_columns(call: Any, error: type[Exception], name: str | None) -> None:
    with pytest.raises(error) as info:
        call()
    exc: Any = info.value
    expected = name or "sum_log_interpurchase"
    assert expected in (getattr(exc, "argument", None), getattr(exc, "column", None)) or (
        expected in str(exc)
    )
