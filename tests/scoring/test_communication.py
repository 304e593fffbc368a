"""Communication metrics and score (relmark.scoring.communication).

Expected values are worked out by hand in the comments; the median latency is checked against
a direct Kaplan-Meier computation written here from its definition.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.domain import Channel, Direction, Interaction
from relmark.errors import ArgumentError, DataError
from relmark.scoring.communication import communication_scores

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _row(frame: pd.DataFrame, key: object) -> dict[Any, Any]:
    """One row of a result table as a dict."""
    return frame.loc[[key]].iloc[0].to_dict()


def _frame(rows: Sequence[tuple[str, float, str, str]]) -> pd.DataFrame:
    """(customer, hours after T0, channel, direction) rows as a contact frame."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "at": [T0 + timedelta(hours=r[1]) for r in rows],
            "channel": [r[2] for r in rows],
            "direction": [r[3] for r in rows],
        }
    )


def test_hand_example_two_customers_two_channels():
    rows = [
        # c1 e-mail: asks at 0 h and 10 h, one reply at 12 h answers both (12 h and 2 h);
        # asks again at 200 h and is never answered: censored at the end (720 h) -> 520 h.
        ("c1", 0, "email", "inbound"),
        ("c1", 10, "email", "inbound"),
        ("c1", 12, "email", "outbound"),
        ("c1", 200, "email", "inbound"),
        # c1 phone: the firm calls twice, the customer never calls.
        ("c1", 50, "phone", "outbound"),
        ("c1", 400, "phone", "outbound"),
        # c2 chat: asks at 100 h, answered at 148 h (48 h: late for a 24 h target).
        ("c2", 100, "chat", "inbound"),
        ("c2", 148, "chat", "outbound"),
    ]
    r = communication_scores(_frame(rows), start=T0, end=T0 + timedelta(hours=720))
    email = _row(r.by_customer_channel, ("c1", "email"))
    assert (email["contacts"], email["inbound"], email["outbound"]) == (4, 3, 1)
    assert (email["answered"], email["unanswered"]) == (2, 1)
    # window 30 days, period 30 days: 4 contacts per period
    assert email["contacts_per_period"] == pytest.approx(4.0)
    assert email["two_way_ratio"] == pytest.approx(0.75)
    # latencies 12, 2 (events), 520 (censored): KM S drops to 2/3 at 2 h, 1/3 at 12 h -> median 12
    assert email["median_latency_hours"] == pytest.approx(12.0)
    phone = _row(r.by_customer_channel, ("c1", "phone"))
    assert phone["two_way_ratio"] == 0.0
    assert pd.isna(phone["median_latency_hours"])  # no question asked: no latency
    c1 = _row(r.by_customer, "c1")
    # c1: 6 contacts, 3 inbound -> share 0.5 -> dialogue 100
    assert c1["dialogue"] == pytest.approx(100.0)
    # decided: 12 h and 2 h on time; 520 h open > 24 h late -> 2 / 3
    assert c1["responsiveness"] == pytest.approx(200.0 / 3.0)
    # rate 6 per period against the target 2: 100 * 2/6
    assert c1["cadence"] == pytest.approx(100.0 / 3.0)
    assert c1["score"] == pytest.approx((100.0 + 200.0 / 3.0 + 100.0 / 3.0) / 3.0)
    c2 = _row(r.by_customer, "c2")
    # c2: 1 of 2 inbound -> 100; answered late -> 0; rate 2 = target -> 100
    assert (c2["dialogue"], c2["responsiveness"], c2["cadence"]) == pytest.approx(
        (100.0, 0.0, 100.0)
    )
    chat = _row(r.by_channel, "chat")
    assert chat["answered_within_target"] == pytest.approx(0.0)
    assert r.by_channel.loc["email", "answered_within_target"] == pytest.approx(2.0 / 3.0)
    assert pd.isna(_row(r.by_channel, "phone")["answered_within_target"])


def test_open_question_younger_than_target_is_not_late():
    # asked 10 h before the end of the window: not answered, but not yet late for 24 h
    rows = [("c", 0, "email", "outbound"), ("c", 710, "email", "inbound")]
    r = communication_scores(_frame(rows), start=T0, end=T0 + timedelta(hours=720))
    assert pd.isna(_row(r.by_customer, "c")["responsiveness"])
    # the score is the mean of the two components it has: dialogue 100, cadence 100
    assert r.by_customer.loc["c", "score"] == pytest.approx(100.0)


def _km_median(hours: list[float], observed: list[bool]) -> float:
    """Kaplan-Meier median written from the product-limit definition."""
    s = 1.0
    times = sorted({h for h, o in zip(hours, observed, strict=True) if o})
    for t in times:
        at_risk = sum(1 for h in hours if h >= t)
        deaths = sum(1 for h, o in zip(hours, observed, strict=True) if o and h == t)
        s *= 1 - deaths / at_risk
        if s <= 0.5 + 1e-12:
            return t
    return float("inf")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 700), st.booleans()), min_size=1, max_size=30
    )
)
def test_properties(events):
    rows = [(f"c{c}", float(h), "email", "inbound" if i else "outbound") for c, h, i in events]
    end = T0 + timedelta(hours=720)
    r = communication_scores(_frame(rows), start=T0, end=end)
    scores = r.by_customer.to_numpy(dtype=float, na_value=np.nan)
    finite = scores[~np.isnan(scores)]
    assert ((finite >= 0) & (finite <= 100 + 1e-9)).all()
    json.loads(r.to_json())  # strict JSON: no NaN
    # swapping who started every contact leaves dialogue unchanged
    swapped = [(c, h, ch, "outbound" if d == "inbound" else "inbound") for c, h, ch, d in rows]
    r2 = communication_scores(_frame(swapped), start=T0, end=end)
    pd.testing.assert_series_equal(r.by_customer["dialogue"], r2.by_customer["dialogue"])
    # the median latency equals a direct Kaplan-Meier computation
    for row in r.by_customer_channel.reset_index().to_dict("records"):
        cid = row["customer_id"]
        mine = sorted((h, d) for c, h, _, d in rows if c == cid)
        outs = [h for h, d in mine if d == "outbound"]
        hours, observed = [], []
        for h, d in mine:
            if d == "inbound":
                later = [o for o in outs if o > h]
                hours.append((min(later) if later else 720.0) - h)
                observed.append(bool(later))
        expected = _km_median(hours, observed) if hours else float("inf")
        got = row["median_latency_hours"]
        if np.isfinite(expected):
            assert got == pytest.approx(expected)
        else:
            assert pd.isna(got)


def test_interaction_objects_and_json():
    log = [
        Interaction(
            id="1", customer_id="a", at=T0, channel=Channel.SMS, direction=Direction.INBOUND
        ),
        Interaction(
            id="2",
            customer_id="a",
            at=T0 + timedelta(hours=1),
            channel=Channel.SMS,
            direction=Direction.OUTBOUND,
        ),
    ]
    r = communication_scores(log, end=T0 + timedelta(days=15))
    assert r.by_customer_channel.loc[("a", "sms"), "median_latency_hours"] == pytest.approx(1.0)
    d = json.loads(r.to_json())
    assert d["by_customer"][0]["customer_id"] == "a"
    assert d["weights"] == pytest.approx(
        dict.fromkeys(("dialogue", "responsiveness", "cadence"), 1 / 3)
    )


def test_time_zones_are_one_instant():
    east = timezone(timedelta(hours=9))
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "at": pd.to_datetime([T0.astimezone(east), (T0 + timedelta(hours=3)).astimezone(east)]),
            "channel": ["email", "email"],
            "direction": ["inbound", "outbound"],
        }
    )
    r = communication_scores(frame)
    assert r.by_customer_channel.iloc[0]["median_latency_hours"] == pytest.approx(3.0)


GOOD = _frame([("a", 0, "email", "inbound"), ("a", 5, "email", "outbound")])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"period_days": 0}, ArgumentError, "period_days"),
        ({"period_days": float("nan")}, ArgumentError, "period_days"),
        ({"target_contacts_per_period": -1}, ArgumentError, "target_contacts_per_period"),
        ({"target_response_hours": "24"}, ArgumentError, "target_response_hours"),
        ({"target_response_hours": True}, ArgumentError, "target_response_hours"),
        ({"weights": {"trust": 1.0}}, ArgumentError, "weights"),
        ({"weights": {"dialogue": 0.0}}, ArgumentError, "weights"),
        ({"weights": {"dialogue": -1.0}}, ArgumentError, "dialogue"),
        ({"weights": [1, 1, 1]}, ArgumentError, "weights"),
        ({"start": datetime(2026, 3, 1)}, ArgumentError, "start"),
        ({"end": "2026-04-01"}, ArgumentError, "end"),
        ({"end": T0}, ArgumentError, "end"),
        ({"end": T0 + timedelta(hours=1)}, DataError, "at"),
    ],
)
def test_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        communication_scores(GOOD, **kwargs)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.drop(columns="direction"), "direction"),
        (lambda f: f.iloc[:0], "interactions"),
        (lambda f: f.assign(channel=["email", "pigeon"]), "channel"),
        (lambda f: f.assign(direction=["in", "outbound"]), "direction"),
        (lambda f: f.assign(customer_id=["a", 7]), "customer_id"),
        (lambda f: f.assign(customer_id=["a", " "]), "customer_id"),
        (lambda f: f.assign(at=f["at"].dt.tz_localize(None)), "at"),
        (lambda f: f.assign(at=[f["at"].iloc[0], pd.NaT]), "at"),
    ],
)
def test_bad_data(change, column):
    with pytest.raises(DataError) as info:
        communication_scores(change(GOOD.copy()))
    assert info.value.column == column


def test_bad_container():
    with pytest.raises(ArgumentError, match="interactions"):
        communication_scores("a,b,c")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="rows"):
        communication_scores([1, 2])  # type: ignore[list-item]


# ---------------------------------------------------------------- adversarial review findings
_LOG = [("c1", 0, "email", "inbound"), ("c1", 2, "email", "outbound")]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"period_days": 1e308}, "period_days"),  # cadence overflowed (raw RuntimeWarning)
        ({"target_contacts_per_period": 1e300}, "target_contacts_per_period"),
        ({"target_response_hours": 1e300}, "target_response_hours"),
    ],
)
def test_settings_beyond_range_are_refused(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ArgumentError, match=name):
        communication_scores(_frame(_LOG), end=T0 + timedelta(days=1), **kwargs)  # type: ignore[arg-type]


def test_huge_weights_are_normalised_not_zeroed() -> None:
    """Three weights of 1e308 summed to inf: every weight became 0 and every score missing."""
    r = communication_scores(
        _frame(_LOG),
        end=T0 + timedelta(days=1),
        weights={"dialogue": 1e308, "responsiveness": 1e308, "cadence": 1e308},
    )
    assert r.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert not r.by_customer["score"].isna().any()


def test_a_contact_given_twice_is_refused() -> None:
    contact = Interaction(id="i1", customer_id="c1", at=T0, channel="email", direction="inbound")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="interactions"):
        communication_scores([contact, contact], end=T0 + timedelta(days=1))


def test_space_padded_ids_are_refused() -> None:
    """'c1 ' and 'c1' were two customers."""
    rows = [("c1", 0, "email", "inbound"), ("c1 ", 2, "email", "outbound")]
    with pytest.raises(DataError, match="customer_id"):
        communication_scores(_frame(rows), end=T0 + timedelta(days=1))


def test_mixed_utc_offsets_as_python_datetimes_are_each_converted_to_utc() -> None:
    """pandas keeps aware datetimes of several offsets as objects; each is its own instant.
    By hand: asked at 09:00+02:00 (07:00 UTC), answered at 03:00-05:00 (08:00 UTC): 1 hour."""
    asked = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=2)))
    answered = datetime(2026, 3, 2, 3, tzinfo=timezone(timedelta(hours=-5)))
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "at": [asked, answered],
            "channel": ["email", "email"],
            "direction": ["inbound", "outbound"],
        }
    )
    assert frame["at"].dtype == object  # the form of the reported bug
    r = communication_scores(frame)
    assert r.by_customer_channel.iloc[0]["median_latency_hours"] == pytest.approx(1.0)
    # the same contacts as a UTC column give the same scores
    utc = frame.assign(at=pd.to_datetime([asked, answered], utc=True))
    pd.testing.assert_frame_equal(r.by_customer, communication_scores(utc).by_customer)


@pytest.mark.parametrize(
    ("values", "message", "rows"),
    [
        ([datetime(2026, 3, 2, 9), T0], "naive", [0]),  # naive beside aware
        ([T0, "2026-03-02T10:00:00+00:00"], "got str", [1]),  # text is not a timestamp
        ([T0, 1_700_000_000], "got int", [1]),
        ([T0, None], "missing timestamps", [1]),
    ],
)
def test_an_object_at_column_names_the_right_reason_and_rows(
    values: list[object], message: str, rows: list[int]
) -> None:
    frame = GOOD.copy().assign(at=pd.Series(values, dtype=object))
    with pytest.raises(DataError, match=message) as info:
        communication_scores(frame)
    assert info.value.column == "at" and list(info.value.rows) == rows


def test_a_naive_column_says_naive() -> None:
    with pytest.raises(DataError, match="naive") as info:
        communication_scores(GOOD.assign(at=GOOD["at"].dt.tz_localize(None)))
    assert info.value.column == "at" and list(info.value.rows) == [0, 1]
