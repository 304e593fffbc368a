"""A fit's time unit and the unit its data state: the argument must agree with the data.

A summary built in weeks has ``recency`` and ``T`` in weeks; a model fitted to it with
``time_unit="D"`` was labelled days (its rates then read per day: 7x off in every prediction
in calendar time) without a word. Now a conflict is an ArgumentError naming ``time_unit`` and
both units, an equal unit spelt otherwise (``"7D"`` for ``"W"``) is accepted, and a pandas
frame's ``attrs["time_unit"]`` (what :meth:`RFMSummary.to_frame` writes) or a ``time_unit``
column (what ``relmark summarize`` writes) is read, where it used to be ignored (the model had
no unit).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from relmark.clv import BGBB, BGNBD, MBGNBD, SBG, BdW, GGompertzNBD, ParetoNBD
from relmark.clv._base import CLVModel
from relmark.data import RFMSummary
from relmark.errors import ArgumentError, DataError

RFM_MODELS: list[type[CLVModel]] = [BGNBD, MBGNBD, ParetoNBD, BGBB, GGompertzNBD]


def _weeks() -> RFMSummary:
    return RFMSummary(
        customer_id=["a", "b", "c", "d"],
        frequency=[0, 2, 1, 3],
        recency=[0.0, 20.0, 5.0, 30.0],
        T=[39.0, 39.0, 30.0, 35.0],
        time_unit="W",
    )


def _containers() -> dict[str, Any]:
    """The same week-unit summary in every form it comes in, each stating 'W'."""
    s = _weeks()
    frame = s.to_frame()
    column = frame.reset_index().assign(time_unit="W")
    column.attrs.clear()
    return {
        "RFMSummary": s,
        "pandas attrs": frame,
        "pandas column": column,
        "polars column": pl.from_pandas(column),
        "arrow column": pa.Table.from_pandas(column, preserve_index=False),
        "mapping key": {c: column[c].to_numpy() for c in ("frequency", "recency", "T")}
        | {"time_unit": "W"},
    }


@pytest.mark.parametrize("model", RFM_MODELS, ids=lambda m: m.name)
@pytest.mark.parametrize("form", list(_containers()))
def test_a_time_unit_other_than_the_datas_is_refused(model: type[CLVModel], form: str) -> None:
    data = _containers()[form]
    with pytest.raises(
        ArgumentError, match=r"is 'D', but the data's recency and T are in 'W'"
    ) as info:
        model.fit(data, time_unit="D")
    assert info.value.argument == "time_unit"


@pytest.mark.parametrize("model", [SBG, BdW], ids=lambda m: m.name)
def test_lifetime_models_refuse_a_conflicting_unit_too(model: type[CLVModel]) -> None:
    data = {"lifetime": [1.0, 2.0, 3.0], "churned": [1.0, 1.0, 0.0], "time_unit": "M"}
    with pytest.raises(ArgumentError, match=r"'W'.*'M'") as info:
        model.fit(data, time_unit="W")
    assert info.value.argument == "time_unit"


@pytest.mark.parametrize("given", ["W", "7D", "168h", ("D", 7)])
@pytest.mark.parametrize("form", list(_containers()))
def test_an_equal_unit_is_accepted_and_the_datas_unit_is_kept(given: Any, form: str) -> None:
    """``"7D"`` is ``"W"`` (TimeUnit's equality); every form of the summary gives the model
    the data's unit, given or not (a pandas frame's attrs and a column were ignored: the
    model had no unit)."""
    data = _containers()[form]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # four customers: the fit need not converge
        assert BGNBD.fit(data, time_unit=given).time_unit == "W"
        assert BGNBD.fit(data).time_unit == "W"


def test_the_argument_labels_data_that_state_no_unit() -> None:
    frame = _weeks().to_frame()
    frame.attrs.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert BGNBD.fit(frame, time_unit="14D").time_unit == "2W"
        assert BGNBD.fit(frame).time_unit is None
        none_attr = _weeks().to_frame()
        none_attr.attrs["time_unit"] = None  # to_frame of a summary without a unit
        assert BGNBD.fit(none_attr, time_unit="D").time_unit == "D"


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (lambda f: f.attrs.update(time_unit="fortnight"), r"attrs\['time_unit'\] is not a time"),
        (lambda f: f.attrs.update(time_unit=7), r"attrs\['time_unit'\] is not a time unit"),
        (lambda f: f.insert(0, "time_unit", ["W", "D", "W", "W"]), "several time units"),
        (lambda f: f.insert(0, "time_unit", ["W", None, "W", "W"]), "some rows and none"),
        (lambda f: f.insert(0, "time_unit", "D"), r"attrs\['time_unit'\] is 'W' and the col"),
    ],
)
def test_a_frame_whose_unit_is_not_one_unit_is_a_data_error(tamper: Any, match: str) -> None:
    frame = _weeks().to_frame()
    tamper(frame)
    with pytest.raises(DataError, match=match) as info:
        BGNBD.fit(frame)
    assert info.value.column == "time_unit"


def test_the_conflict_is_found_before_the_fit() -> None:
    """The error comes before any work: a progress callback is never called."""
    calls: list[tuple[str, float]] = []
    with pytest.raises(ArgumentError, match="time_unit"):
        BGNBD.fit(_weeks(), time_unit="M", progress=lambda s, f: calls.append((s, f)))
    assert calls == []


def test_from_frame_and_from_mapping_agree_with_the_data() -> None:
    frame = _weeks().to_frame()
    with pytest.raises(ArgumentError, match=r"'h'.*'W'") as info:
        RFMSummary.from_frame(frame, time_unit="h")
    assert info.value.argument == "time_unit"
    assert RFMSummary.from_frame(frame, time_unit="7D").time_unit == "W"
    mapping = {"frequency": [0.0], "recency": [0.0], "T": [3.0], "time_unit": ["2W"]}
    assert RFMSummary.from_mapping(mapping).time_unit == "2W"
    assert RFMSummary.from_mapping(mapping, time_unit="14D").time_unit == "2W"
    with pytest.raises(ArgumentError, match=r"'W'.*'2W'"):
        RFMSummary.from_mapping(mapping, time_unit="W")
    assert np.array_equal(RFMSummary.from_mapping(mapping).T, [3.0])
    frame_col = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [2.0], "time_unit": "D"})
    assert RFMSummary.from_frame(frame_col).time_unit == "D"


def test_a_tuple_or_timeunit_in_attrs_is_a_unit() -> None:
    """``attrs["time_unit"] = ("D", 7)`` (a form ``time_unit`` takes) was 'not a time unit'."""
    from relmark.timeunit import TimeUnit

    for value in (("D", 7), ["D", 7], TimeUnit("W"), "7D"):
        frame = _weeks().to_frame()
        frame.attrs["time_unit"] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert BGNBD.fit(frame).time_unit == "W"


def test_log_likelihood_refuses_data_in_another_unit() -> None:
    """A weekly model's log-likelihood of a daily summary read the days as weeks."""
    weekly = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    s = _weeks()
    days = RFMSummary(
        customer_id=s.customer_id,
        frequency=s.frequency,
        recency=s.recency * 7,
        T=s.T * 7,
        time_unit="D",
    )
    with pytest.raises(ArgumentError, match=r"is in time unit 'D'.*the model in 'W'") as info:
        weekly.log_likelihood(days)
    assert info.value.argument == "data"
    with pytest.raises(ArgumentError, match="time unit 'D'"):
        weekly.log_likelihood(days.to_frame())
    # the same unit spelt otherwise, or data without a unit, or a model without one: read
    assert weekly.log_likelihood(s).shape == (4,)
    assert np.array_equal(weekly.with_time_unit("7D").log_likelihood(s), weekly.log_likelihood(s))
    assert weekly.with_time_unit(None).log_likelihood(days).shape == (4,)
    assert np.array_equal(
        weekly.log_likelihood(frequency=s.frequency, recency=s.recency, T=s.T),
        weekly.log_likelihood(s),
    )
