"""``relmark.engines.sql.fit`` reads the summary's own time unit, as the in-memory fit does."""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb")

from relmark.clv import BGNBD
from relmark.datasets import load_cdnow_summary
from relmark.engines import sql
from relmark.errors import ArgumentError


def test_a_frames_attrs_state_the_unit_and_a_conflict_is_refused() -> None:
    """A ``to_frame()`` frame's ``attrs["time_unit"]`` was ignored (the model came back with
    no unit) and ``time_unit="D"`` on a weekly frame labelled it days: the frame's unit is
    the model's, and a conflicting one is an ArgumentError naming ``time_unit``."""
    frame = load_cdnow_summary().to_frame().reset_index()
    assert frame.attrs["time_unit"] == "W"
    assert sql.fit(BGNBD, frame).time_unit == "W"
    assert sql.fit(BGNBD, frame, time_unit="7D").time_unit == "W"
    with pytest.raises(ArgumentError, match="attrs") as info:
        sql.fit(BGNBD, frame, time_unit="D")
    assert info.value.argument == "time_unit"
    with pytest.raises(ArgumentError) as info:
        sql.fit(BGNBD, load_cdnow_summary(), time_unit="D")
    assert info.value.argument == "time_unit"
