"""relmark.data.summary: the RFMSummary container (time unit labels, currency, notes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.data import RFMSummary, summarize
from relmark.datasets import load_cdnow_sample_transactions
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import TimeUnit

ROWS: dict[str, Any] = {
    "customer_id": ["a", "b"],
    "frequency": [2, 0],
    "recency": [30.0, 0],
    "T": [38.0, 38.0],
}


@pytest.mark.parametrize(
    ("given", "label"), [("W", "W"), ("14D", "2W"), (("D", 2.5), "2.5D"), (TimeUnit("h", 24), "D")]
)
def test_time_unit_is_a_time_unit_label(given: object, label: str) -> None:
    s = RFMSummary(**ROWS, time_unit=given)  # type: ignore[arg-type]
    assert s.time_unit == label
    assert s.unit == TimeUnit.parse(label)


@pytest.mark.parametrize("bad", ["fortnight", "0D", ("W", -1), 7])
def test_bad_time_units_are_refused(bad: object) -> None:
    with pytest.raises(ArgumentError) as err:
        RFMSummary(**ROWS, time_unit=bad)  # type: ignore[arg-type]
    assert err.value.argument == "time_unit"


@pytest.mark.parametrize("bad", ["eur", "EURO", "", 978])
def test_currency_must_be_a_code(bad: object) -> None:
    with pytest.raises(ArgumentError) as err:
        RFMSummary(**ROWS, currency=bad)  # type: ignore[arg-type]
    assert err.value.argument == "currency"


def test_notes_are_kept_but_not_part_of_equality() -> None:
    a = RFMSummary(**ROWS, notes=("dropped 1 row",))
    b = RFMSummary(**ROWS)
    assert a == b
    assert a.notes == ("dropped 1 row",)
    assert a.group().notes == ("dropped 1 row",)
    with pytest.raises(ArgumentError):
        RFMSummary(**ROWS, notes="one sentence")


def test_duplicate_ids_named() -> None:
    with pytest.raises(DataError) as err:
        RFMSummary(customer_id=["a", "a"], frequency=[0, 0], recency=[0, 0], T=[5.0, 5.0])
    assert err.value.rows == ("a",)
    assert err.value.column == "customer_id"


def test_a_14_day_summary_fits_with_bgnbd() -> None:
    """summarize(freq_multiplier=14) labelled '14D', which BGNBD.fit refused; a fortnight is
    '2W', and the fitted rates are the weekly ones times two (a BG/NBD property: lambda scales
    with the unit, so alpha halves)."""
    from relmark.clv import BGNBD

    log = load_cdnow_sample_transactions()
    log = log[log["date"] <= "1997-09-30"]
    fortnights = summarize(log, freq_multiplier=14, observation_end="1997-09-30")
    weeks = summarize(log, freq_multiplier=7, observation_end="1997-09-30")
    assert fortnights.time_unit == "2W"
    m14 = BGNBD.fit(fortnights)
    m7 = BGNBD.fit(weeks)
    assert m14.time_unit == "2W"
    assert m14.params["alpha"] == pytest.approx(m7.params["alpha"] / 2, rel=1e-4)
    assert m14.params["r"] == pytest.approx(m7.params["r"], rel=1e-4)
    for unit in ("2.5D", "D"):
        mult = TimeUnit.parse(unit).multiple
        s = summarize(log, freq_multiplier=mult, observation_end="1997-09-30")
        assert BGNBD.fit(s).time_unit == unit
    hourly = summarize(log.head(50), time_unit="h", freq_multiplier=24)
    assert hourly.time_unit == "D"


def test_frame_ids_stay_text() -> None:
    log = pd.DataFrame({"customer_id": ["007", "7"], "date": ["2024-01-01", "2024-01-02"]})
    s = summarize(log)
    assert s.customer_id.tolist() == ["007", "7"]
    assert RFMSummary.from_frame(s.to_frame()).customer_id.tolist() == ["007", "7"]
    assert np.all(s.T >= 0)


def test_a_small_repeat_purchase_after_a_large_first_one_keeps_its_digits() -> None:
    """The repeat spend is summed directly, not as total minus the first period (1e7 + 0.001
    minus 1e7 is 0.00099999977 in floats), and is never zeroed when returns are refused (a
    clean-up meant for netted returns turned it into 0.0)."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-01", "2024-01-09"]),
            "amount": [1e7, 0.001, 5.0, 2.5],
        }
    )
    s = summarize(log, monetary_value="amount", observation_end="2024-02-01")
    assert s.monetary_value is not None
    assert s.monetary_value.tolist() == [0.001, 2.5]


@pytest.mark.parametrize("ids", [[1.0, 2.0], [1.5, 2.0], np.array([7.0, np.nan])])
def test_float_customer_ids_are_refused(ids: object) -> None:
    """An id column read as float (7.0 for "7", NaN for a blank) was accepted by RFMSummary
    while summarize refuses float ids in a log: 7.0 and 7 would be one customer."""
    with pytest.raises(DataError, match="floating-point") as err:
        RFMSummary(customer_id=ids, frequency=[0, 1], recency=[0, 2], T=[3, 4])  # type: ignore[arg-type]
    assert err.value.column == "customer_id"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=0, max_size=6), min_size=2, max_size=30),
    st.sampled_from(["U", "object", "int"]),
)
def test_duplicate_ids_are_found_whatever_their_order_and_type(ids: list[str], kind: str) -> None:
    """Unsorted ids are checked by sorted 64-bit hashes first (3x faster than a hash table
    on 1M text ids); a repeat must never pass, whatever the dtype: the result must agree with
    Python's own set of the ids."""
    from relmark.data.summary import _surely_unique

    values: np.ndarray[Any, Any]
    if kind == "int":
        values = np.array([hash(v) % 7 for v in ids], dtype=np.int64)
    else:
        values = np.array(ids, dtype=object if kind == "object" else None)
    distinct = len(set(values.tolist())) == len(values)
    if _surely_unique(values):
        assert distinct
    n = len(values)
    if not distinct and (kind == "int" or all(v.isalnum() and v.isascii() for v in ids)):
        with pytest.raises(DataError, match="duplicate"):
            RFMSummary(customer_id=values, frequency=[0] * n, recency=[0] * n, T=[1] * n)
