"""relmark.timeunit: labels, parsing, carrying, month length, and the units the models accept."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import ArgumentError
from relmark.timeunit import BASES, MONTH_DAYS, TimeUnit, periods


@given(
    st.sampled_from(BASES),
    st.one_of(
        st.integers(1, 10_000).map(float),
        st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False),
    ),
)
@settings(max_examples=200, deadline=None)
def test_labels_round_trip(base: str, multiple: float) -> None:
    unit = TimeUnit(base, multiple)
    assert TimeUnit.parse(unit.label) == unit
    assert TimeUnit.parse((unit.base, unit.multiple)) == unit
    assert hash(TimeUnit.parse(unit.label)) == hash(unit)
    assert unit.hours == pytest.approx(TimeUnit(base, 1).hours * multiple, rel=1e-12)


@pytest.mark.parametrize(
    ("given", "label"),
    [
        ("D", "D"),
        ("14D", "2W"),
        ("7D", "W"),
        (("D", 7), "W"),
        (("W", 7), "7W"),
        ("2.5D", "2.5D"),
        (("D", 2.5), "2.5D"),
        ("24h", "D"),
        (("h", 24), "D"),
        ("168h", "W"),
        ("12h", "12h"),
        ("3M", "3M"),
        ("0.5W", "0.5W"),
    ],
)
def test_labels(given: object, label: str) -> None:
    assert TimeUnit.parse(given).label == label
    assert str(TimeUnit.parse(given)) == label


@pytest.mark.parametrize(
    "bad",
    [
        "fortnight",
        "d",
        "H",
        "0D",
        "-1D",
        "nanD",
        "infD",
        "",
        " W",
        "W ",
        "1e400D",
        None,
        3,
        ("W",),
        ("W", 0),
        ("W", -2),
        ("W", float("nan")),
        ("W", True),
        ("Q", 1),
        ("W", "2"),
    ],
)
def test_bad_units_are_argument_errors(bad: object) -> None:
    with pytest.raises(ArgumentError) as err:
        TimeUnit.parse(bad, argument="time_unit")
    assert err.value.argument == "time_unit"


def test_a_month_is_365_25_over_12_days_in_every_unit() -> None:
    """One month length: 30.4375 days, 4.348 weeks, 730.5 hours, 1 month (lifetimes mixed 30
    days with 4.345 weeks; the view used 30.4 days)."""
    assert MONTH_DAYS == 365.25 / 12
    assert TimeUnit("D").per_month == pytest.approx(30.4375, rel=1e-15)
    assert TimeUnit("W").per_month == pytest.approx(30.4375 / 7, rel=1e-15)
    assert TimeUnit("h").per_month == pytest.approx(730.5, rel=1e-15)
    assert TimeUnit("M").per_month == 1.0
    assert TimeUnit("M", 3).per_month == pytest.approx(1 / 3)
    assert TimeUnit("D", 14).per_month == pytest.approx(30.4375 / 14)
    for a in BASES:
        for b in BASES:
            ua, ub = TimeUnit(a), TimeUnit(b)
            assert ua.per_month * ua.length_in(ub) == pytest.approx(ub.per_month, rel=1e-12)


def test_the_clv_month_is_the_time_unit_month() -> None:
    from relmark.clv.value import PERIOD_LENGTH

    for base in BASES:
        assert PERIOD_LENGTH[base] == TimeUnit(base).per_month


def test_period_grid_against_pandas() -> None:
    """Days, hours, Monday-to-Sunday weeks and calendar months as pandas counts them."""
    dates = pd.date_range("1999-12-25", "2001-03-10", freq="17h").to_numpy()
    for base, freq in [("D", "D"), ("h", "h"), ("W", "W-SUN"), ("M", "M")]:
        ours = periods(dates, base)  # type: ignore[arg-type]
        theirs = pd.PeriodIndex(dates, freq=freq).asi8
        np.testing.assert_array_equal(np.diff(ours), np.diff(theirs))


def test_immutable() -> None:
    unit = TimeUnit("W")
    with pytest.raises(AttributeError):
        unit.base = "D"  # type: ignore[misc]
    assert math.isfinite(unit.days)
