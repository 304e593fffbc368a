"""relmark.data at the ends of its range of times, 1677-09-22 00:00 .. 2262-04-11 00:00.

Every time inside the range is summarised correctly: the summaries equal a brute-force summary
computed here with Python ``datetime`` objects and integers (period ordinals from
``date.toordinal``, ``weekday`` and ``year * 12 + month``, never numpy's datetime64 casts).
numpy's cast of nanosecond times to days wraps around int64 within a day of the nanosecond
minimum (1677-09-22 00:00 became 2262-04-11), which gave a purchase on each end frequency 0
and 1677-09-22 00:00:01 with 2262-04-10 23:59 "recency > T". Times just outside the range
are refused, by row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from relmark.data import calibration_holdout, summarize
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import BASES, periods

LOW = dt.datetime(1677, 9, 22)
HIGH = dt.datetime(2262, 4, 11)
_EPOCH = dt.date(1970, 1, 1).toordinal()


def _ordinal(when: dt.datetime, base: str) -> int:
    """The period of ``when`` on the grid of ``base``, counted with datetime and integers."""
    days = when.date().toordinal() - _EPOCH
    if base == "D":
        return days
    if base == "h":
        return days * 24 + when.hour
    if base == "W":  # weeks from Monday: the Monday 1969-12-29 starts week 0
        monday = when.date().toordinal() - when.weekday()
        return (monday - dt.date(1969, 12, 29).toordinal()) // 7
    return (when.year - 1970) * 12 + when.month - 1


def _brute(
    rows: list[tuple[str, dt.datetime]],
    base: str,
    mult: float,
    end: dt.datetime | None,
    cal_end: dt.datetime | None = None,
) -> dict[str, tuple[float, ...]]:
    """Per customer (frequency, recency, T[, frequency_holdout, duration_holdout])."""
    last = max(w for _, w in rows) if end is None else end
    cut = last if cal_end is None else cal_end
    cal: dict[str, set[int]] = defaultdict(set)
    hold: dict[str, set[int]] = defaultdict(set)
    for who, when in rows:
        (cal if when <= cut else hold)[who].add(_ordinal(when, base))
    end_p = _ordinal(cut, base)
    out: dict[str, tuple[float, ...]] = {}
    for who, ps in cal.items():
        row: tuple[float, ...] = (
            len(ps) - 1.0,
            (max(ps) - min(ps)) / mult,
            (end_p - min(ps)) / mult,
        )
        if cal_end is not None:
            duration = (_ordinal(last, base) - _ordinal(cal_end, base)) / mult
            row += (float(len(hold[who])), duration)
        out[who] = row
    return out


def _frame(rows: list[tuple[str, dt.datetime]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [r[1].isoformat(sep=" ") for r in rows],
        }
    )


def _ends() -> list[tuple[str, dt.datetime]]:
    """Customers at either end or both: the first and last instants, a second after the
    first, a minute before the last, the ends of the first day, week and month."""
    s, m = dt.timedelta(seconds=1), dt.timedelta(minutes=1)
    return [
        ("lo", LOW),
        ("lo", LOW),
        ("lo", LOW + s),
        ("lo", LOW + dt.timedelta(hours=23, minutes=59, seconds=59)),
        ("lo", dt.datetime(1677, 9, 23)),
        ("lo", dt.datetime(1677, 9, 26, 23, 59)),  # a Sunday: the first week's last day
        ("lo", dt.datetime(1677, 9, 27)),  # Monday
        ("lo", dt.datetime(1677, 9, 30, 23, 59, 59)),
        ("lo", dt.datetime(1677, 10, 1)),
        ("both", LOW + s),
        ("both", HIGH - m),
        ("ends", LOW),
        ("ends", HIGH),
        ("hi", dt.datetime(2262, 3, 31, 23, 59, 59)),
        ("hi", dt.datetime(2262, 4, 1)),
        ("hi", dt.datetime(2262, 4, 10, 23)),
        ("hi", HIGH - s),
        ("hi", HIGH),
        ("mid", dt.datetime(1970, 1, 1)),
        ("mid", dt.datetime(1969, 12, 31, 23, 59, 59)),
    ]


def _random(rng: np.random.Generator, n: int) -> list[tuple[str, dt.datetime]]:
    """``n`` purchases of 12 customers: half at random seconds of the range, half within two
    days of an end."""
    span = int((HIGH - LOW).total_seconds())
    far = rng.integers(0, span + 1, n // 2)
    near = rng.integers(0, 2 * 86_400, n - n // 2)
    near = np.where(rng.random(near.shape[0]) < 0.5, near, span - near)
    secs = np.concatenate([far, near])
    who = [int(w) for w in rng.integers(0, 12, size=(secs.shape[0],))]
    return [
        (f"c{w:02d}", LOW + dt.timedelta(seconds=x))
        for w, x in zip(who, secs.tolist(), strict=True)
    ]


UNITS = [("D", 1), ("D", 7), ("D", 2.5), ("W", 1), ("W", 2), ("M", 1), ("M", 3), ("h", 1)]
UNITS += [("h", 24), ("h", 0.5)]


def _check(got: pd.DataFrame, want: dict[str, tuple[float, ...]], cols: list[str]) -> None:
    assert sorted(got.index) == sorted(want)
    for who, row in want.items():
        np.testing.assert_allclose(
            got.loc[who, cols].to_numpy(dtype=float), row, rtol=1e-15, err_msg=who
        )


@pytest.mark.parametrize(("base", "mult"), UNITS)
@pytest.mark.parametrize("end", [None, HIGH])
def test_summaries_at_the_range_ends_equal_a_brute_force_count(
    base: str, mult: float, end: dt.datetime | None
) -> None:
    rows = _ends() + _random(np.random.default_rng(5), 60)
    want = _brute(rows, base, mult, end)
    got = summarize(
        _frame(rows),
        time_unit=base,
        freq_multiplier=mult,
        observation_end=None if end is None else end.isoformat(),
    ).to_frame()
    _check(got, want, ["frequency", "recency", "T"])
    # the brute force itself: a purchase at each end is one repeat purchase, 213502 days
    days = (HIGH - LOW).days
    if base == "D" and mult == 1:
        assert want["ends"] == (1.0, days, days)


@pytest.mark.parametrize(("base", "mult"), UNITS)
@pytest.mark.parametrize(
    "cal_end",
    [LOW + dt.timedelta(hours=12), dt.datetime(2000, 1, 1), dt.datetime(2262, 3, 31, 23, 59, 59)],
)
@pytest.mark.parametrize("end", [None, HIGH])
def test_splits_at_the_range_ends_equal_a_brute_force_count(
    base: str, mult: float, cal_end: dt.datetime, end: dt.datetime | None
) -> None:
    rows = _ends() + _random(np.random.default_rng(6), 60)
    want = _brute(rows, base, mult, end, cal_end)
    got = calibration_holdout(
        _frame(rows),
        calibration_end=cal_end.isoformat(),
        observation_end=None if end is None else end.isoformat(),
        time_unit=base,
        freq_multiplier=mult,
    ).to_frame()
    _check(got, want, ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"])


def test_datetime_columns_and_epoch_seconds_at_the_ends() -> None:
    """The same at both ends from a datetime64 column and from Unix epoch seconds."""
    rows = _ends()
    want = _brute(rows, "D", 1, None)
    frame = _frame(rows)
    as_datetimes = frame.assign(date=pd.to_datetime(frame["date"]))
    epoch = [int((w - dt.datetime(1970, 1, 1)).total_seconds()) for _, w in rows]
    for got in (
        summarize(as_datetimes).to_frame(),
        summarize(frame.assign(date=epoch), date_unit="s").to_frame(),
    ):
        _check(got, want, ["frequency", "recency", "T"])


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_epoch_seconds_at_the_ends_in_a_time_zone(zone: str) -> None:
    """Epoch instants inside the range are checked as instants, then binned by their local
    day in ``zone`` (computed here with zoneinfo), which may lie a few hours outside the range
    (1677-09-22 00:00 UTC is 16:07 on 21 September in Los Angeles's local mean time)."""
    utc = dt.UTC
    rows = [(who, w.replace(tzinfo=utc)) for who, w in _ends()]
    rows += [("ends", LOW.replace(tzinfo=utc)), ("ends", HIGH.replace(tzinfo=utc))]
    local = [(who, w.astimezone(ZoneInfo(zone)).replace(tzinfo=None)) for who, w in rows]
    want = _brute(local, "D", 1, None)
    epoch = [int(w.timestamp()) for _, w in rows]
    log = pd.DataFrame({"customer_id": [r[0] for r in rows], "date": epoch})
    _check(
        summarize(log, date_unit="s", timezone=zone).to_frame(), want, ["frequency", "recency", "T"]
    )
    assert want["ends"] == (1.0, (HIGH - LOW).days, (HIGH - LOW).days)


def test_periods_at_the_nanosecond_ends() -> None:
    """periods() of nanosecond times at the ends of the range, on every base, equals the
    ordinals counted with datetime (numpy's cast gave 1677-09-22 the period of 2262-04-11)."""
    whens = [LOW, LOW + dt.timedelta(hours=23, minutes=59), HIGH - dt.timedelta(hours=1), HIGH]
    stamps = np.array([np.datetime64(w, "ns") for w in whens])
    for base in BASES:
        assert periods(stamps, base).tolist() == [_ordinal(w, base) for w in whens]
    # the first and last nanosecond times themselves (outside the range of relmark.data)
    first = np.array([np.iinfo(np.int64).min + 1], dtype=np.int64).view("datetime64[ns]")
    last = np.array([np.iinfo(np.int64).max], dtype=np.int64).view("datetime64[ns]")
    for base in BASES:
        day = dt.datetime(1677, 9, 21, 0, 12, 43)
        assert periods(first, base).tolist() == [_ordinal(day, base)]
        day = dt.datetime(2262, 4, 11, 23, 47, 16)
        assert periods(last, base).tolist() == [_ordinal(day, base)]


@pytest.mark.parametrize(
    "when",
    [
        "1677-09-21 23:59:59",
        "1677-09-21 00:12:43.145224193",  # the first nanosecond time
        "2262-04-11 00:00:01",
        "2262-04-11 23:47:16.854775807",  # the last one
    ],
)
def test_times_just_outside_are_refused_by_row(when: str) -> None:
    log = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2000-01-01", when, "2000-01-02"]})
    with pytest.raises(DataError, match=r"outside 1677-09-22 \.\. 2262-04-11") as err:
        summarize(log)
    assert err.value.column == "date" and err.value.rows == (1,)
    with pytest.raises(ArgumentError, match="outside") as arg:
        summarize(log.iloc[[0, 2]], observation_end=when)
    assert arg.value.argument == "observation_end"


def test_baskets_by_day_at_the_range_ends() -> None:
    """read_items' baskets (a customer's lines of one day) on the first and last days are
    two baskets, and two lines on the first day one (the cast made the two days one)."""
    from relmark.data.items import read_items

    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "item": ["x", "y", "z"],
            "date": ["1677-09-22 00:00", "1677-09-22 23:00", "2262-04-11 00:00"],
        }
    )
    items = read_items(log, datetime="date")
    assert items.n_baskets == 2
    assert items.basket.tolist() == [0, 0, 1]
