"""Cohort matrices against a hand-computed log and an independent pandas group-by."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.datasets import load_cdnow_sample_transactions
from relmark.decide import CohortTable, cohort_table

# Hand log (observation ends 2024-04-10: months Jan..Apr, ages 0..3)
#   a: Jan 5 (10), Jan 20 (5), Mar 1 (4)    -> cohort Jan, active at ages 0, 2
#   b: Jan 31 (6), Feb 1 (3)                -> cohort Jan, active at ages 0, 1
#   c: Feb 15 (8), Apr 10 (2)               -> cohort Feb, active at ages 0, 2
#   d: Feb 28 (1)                           -> cohort Feb, active at age 0
# Jan cohort (2 customers): active 2, 1, 1, 0; revenue 10+5+6 = 21, 3, 4, 0
# Feb cohort (2 customers): active 2, 0, 1, -- ; revenue 8+1 = 9, 0, 2, --
HAND = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "date": [
            "2024-01-05",
            "2024-01-20",
            "2024-03-01",
            "2024-01-31",
            "2024-02-01",
            "2024-02-15",
            "2024-04-10",
            "2024-02-28",
        ],
        "amount": [10.0, 5.0, 4.0, 6.0, 3.0, 8.0, 2.0, 1.0],
    }
)


def test_hand_log_counts_shares_revenue() -> None:
    t = cohort_table(HAND, monetary_value="amount")
    assert t.cohorts == ("2024-01", "2024-02")
    assert t.ages == (0, 1, 2, 3)
    assert t.sizes == (2, 2)
    assert t.active == ((2, 1, 1, 0), (2, 0, 1, None))
    assert t.retention == ((1.0, 0.5, 0.5, 0.0), (1.0, 0.0, 0.5, None))
    assert t.revenue == ((21.0, 3.0, 4.0, 0.0), (9.0, 0.0, 2.0, None))
    assert t.revenue_per_customer == ((10.5, 1.5, 2.0, 0.0), (4.5, 0.0, 1.0, None))
    assert t.observation_end == "2024-04-10T00:00:00"


def test_frames_are_nullable_not_nan() -> None:
    t = cohort_table(HAND, monetary_value="amount")
    f = t.to_frame("active")
    assert str(f.dtypes.iloc[0]) == "Int64"
    assert f.loc["2024-02", 3] is pd.NA
    assert f.loc["2024-01", 1] == 1
    r = t.to_frame("revenue_per_customer")
    assert r.loc["2024-01", 0] == pytest.approx(10.5)
    assert not r.isna().to_numpy().sum() > 1  # only the one unobserved cell


def test_later_observation_end_extends_ages() -> None:
    t = cohort_table(HAND, observation_end="2024-06-30")
    # Jan..Jun: ages 0..5; the Feb cohort is observed to age 4
    assert t.ages == (0, 1, 2, 3, 4, 5)
    assert t.active == ((2, 1, 1, 0, 0, 0), (2, 0, 1, 0, 0, None))
    assert t.revenue is None


def test_json_round_trip_is_strict() -> None:
    t = cohort_table(HAND, monetary_value="amount")
    d = json.loads(t.to_json())
    assert d["active"][1] == [2, 0, 1, None]
    fields: dict[str, Any] = {k: _tuples(v) for k, v in d.items()}
    assert CohortTable(**fields) == t


def _tuples(v: object) -> object:
    if isinstance(v, list):
        return tuple(_tuples(x) for x in v)
    return v


def test_timezone_bins_by_local_month_or_utc() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            # 23:30 in New York on Jan 31 is 04:30 UTC on Feb 1
            "date": [
                "2024-01-31T23:30:00-05:00",
                "2024-03-01T10:00:00-05:00",
                "2024-02-10T00:00:00+01:00",
            ],
        }
    )
    utc = cohort_table(log)
    assert utc.cohorts == ("2024-02",)
    assert utc.sizes == (2,)
    assert utc.active == ((2, 1),)
    local = cohort_table(log, timezone="America/New_York")
    assert local.cohorts == ("2024-01", "2024-02")
    assert local.active == ((1, 0, 1), (1, 0, None))


def test_netted_returns_reduce_revenue_but_are_not_purchases() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": ["2024-01-03", "2024-01-20", "2024-02-05", "2024-02-07"],
            "amount": [10.0, -4.0, 7.0, 3.0],
        }
    )
    t = cohort_table(log, monetary_value="amount", returns="net")
    # Jan: a bought 10, returned 4 -> revenue 6; Feb: a 7 (age 1), b 3 (own cohort)
    assert t.revenue == ((6.0, 7.0), (3.0, None))
    assert t.active == ((1, 1), (1, None))


def test_cdnow_against_pandas_groupby() -> None:
    log = load_cdnow_sample_transactions()
    t = cohort_table(log, monetary_value="amount")
    # independent: pandas periods and group-bys
    month = log["date"].dt.to_period("M")
    first = month.groupby(log["customer_id"]).transform("min")
    age = (month - first).apply(lambda d: d.n)
    frame = pd.DataFrame({"c": first.astype(str), "a": age, "id": log["customer_id"]})
    active: Any = frame.drop_duplicates().groupby(["c", "a"]).size().unstack(fill_value=0)
    revenue: Any = log["amount"].groupby([frame["c"], frame["a"]]).sum().unstack(fill_value=0)
    assert t.cohorts == ("1997-01", "1997-02", "1997-03")
    assert t.sizes == tuple(frame.groupby("c")["id"].nunique().tolist())
    assert sum(t.sizes) == 2357
    for i, c in enumerate(t.cohorts):
        for a in t.ages:
            if t.active[i][a] is None:
                assert i + a > 17  # Jan 1997 .. Jun 1998 is 18 months
                continue
            assert t.active[i][a] == int(active.loc[c].get(a, 0))
            assert t.revenue is not None
            assert t.revenue[i][a] == pytest.approx(float(revenue.loc[c].get(a, 0.0)))
    assert t.retention[0][1] == pytest.approx(int(active.loc["1997-01", 1]) / t.sizes[0])


logs = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.dates(
            min_value=pd.Timestamp("2023-01-01").date(), max_value=pd.Timestamp("2024-12-31").date()
        ),
        st.integers(0, 1000),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(logs)
def test_property_invariants(rows: list[tuple[int, object, int]]) -> None:
    log = pd.DataFrame(
        {
            "customer_id": [f"c{r[0]}" for r in rows],
            "date": [str(r[1]) for r in rows],
            "amount": [r[2] / 10 for r in rows],
        }
    )
    t = cohort_table(log, monetary_value="amount")
    assert sum(t.sizes) == log["customer_id"].nunique()
    assert t.revenue is not None
    total = sum(v for row in t.revenue for v in row if v is not None)
    assert total == pytest.approx(log["amount"].sum())
    last = len(t.ages) - 1
    months = [pd.Period(c, "M") for c in t.cohorts]
    for i, row in enumerate(t.active):
        assert row[0] == t.sizes[i]  # everybody is active in their acquisition month
        offset = (months[i] - months[0]).n
        for a, v in enumerate(row):
            assert (v is None) == (a > last - offset)
            assert v is None or 0 <= v <= t.sizes[i]
    assert all(
        v is None or np.isfinite(v) for rows_ in (t.retention, t.revenue) for r in rows_ for v in r
    )
