"""The per-customer decision columns of the relationship view: communication score, cost to
serve and profit, customer engagement value; and how the proposals use profitability.

Every expected value is worked by hand in the comments (the view must call the library's
functions, so a test that only compared with those functions would check nothing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.decide import customer_profitability
from relmark.domain import Channel, Direction, Interaction
from relmark.scoring import communication_scores
from relmark.view import RelationshipView, propose_actions, relationship_view

T0 = datetime(2023, 1, 1, tzinfo=UTC)
END = T0 + timedelta(days=30)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    """300 customers c0..c299 with a few purchases each (a quick log)."""
    rng = np.random.default_rng(11)
    rows: list[tuple[str, pd.Timestamp, float]] = []
    start = pd.Timestamp("2023-01-01")
    for c in range(300):
        t = float(rng.uniform(0, 20))
        lam, p = rng.gamma(1.0, 1 / 3.0), rng.beta(1.0, 4.0)
        while t < 50:
            rows.append((f"c{c}", start + pd.Timedelta(days=int(t * 7)), float(rng.gamma(5, 4))))
            if rng.random() < p:
                break
            t += rng.exponential(1 / lam)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def _cell(frame: pd.DataFrame, row: str | int, column: str) -> Any:
    """One value of a frame (typed loosely, as pandas' scalars are)."""
    return frame.loc[row, column]


def _contact(i: int, customer: str, hours: float, direction: str) -> Interaction:
    return Interaction(
        id=f"i{i}",
        customer_id=customer,
        at=T0 + timedelta(hours=hours),
        channel=Channel.EMAIL,
        direction=Direction(direction),
    )


def _contacts() -> list[Interaction]:
    """c1 writes twice (answered after 2 h and after 30 h), c2 gets one newsletter, and zz
    (not a customer of the view) writes once."""
    return [
        _contact(1, "c1", 0, "inbound"),
        _contact(2, "c1", 2, "outbound"),
        _contact(3, "c1", 100, "inbound"),
        _contact(4, "c1", 130, "outbound"),
        _contact(5, "c2", 10, "outbound"),
        _contact(6, "zz", 50, "inbound"),
    ]


def _profitability() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "zz"],
            "margin": [100.0, 40.0, 30.0, 5.0],
            "orders": [2, 10, 1, 1],
            "returns": [0, 3, 0, 0],
        }
    )


RATES = {"orders": 5.0, "returns": 8.0}


def test_no_side_inputs_leave_the_new_columns_empty_with_notes(log: pd.DataFrame) -> None:
    view = relationship_view(log, n_draws=0)
    t = view.table
    for column in ("communication", "dialogue", "responsiveness", "cadence", "cost_to_serve"):
        assert t[column].isna().all(), column
    for column in ("profit", "civ", "ckv", "cev", "engagement_share"):
        assert t[column].isna().all(), column
    assert t["unprofitable"].isna().all() and t["loss_driver"].isna().all()
    assert view.notes["communication"] == "no contact records given"
    assert view.notes["profit"].startswith("no cost-to-serve data given")
    assert view.notes["civ"] == "no influencer data given"
    assert view.notes["ckv"] == "no knowledge data given"
    assert view.notes["cev"].startswith("no referral, influencer or knowledge data given")


def test_communication_columns_by_hand(log: pd.DataFrame) -> None:
    """Window 30 days, period 30 days, target 2 contacts per period and 24 h.

    c1: 4 contacts, 2 inbound: s = 0.5, dialogue = 100 (1 - |2 s - 1|) = 100; latencies 2 h
    (on time) and 30 h (late): responsiveness 100 x 1/2 = 50; 4 contacts per period against
    the target 2: cadence 100 min(2, 1/2) = 50; score (100 + 50 + 50) / 3 = 66.67.
    c2: 1 outbound: s = 0, dialogue 0; no inbound: no responsiveness; 1 per period: cadence
    100 min(1/2, 2) = 50; score (0 + 50) / 2 = 25.
    """
    view = relationship_view(
        log, n_draws=0, interactions=communication_scores(_contacts(), start=T0, end=END)
    )
    t = view.table
    assert list(t.loc["c1", ["dialogue", "responsiveness", "cadence"]]) == [100.0, 50.0, 50.0]
    assert _cell(t, "c1", "communication") == pytest.approx(200 / 3)
    assert _cell(t, "c2", "dialogue") == 0.0 and np.isnan(_cell(t, "c2", "responsiveness"))
    assert _cell(t, "c2", "cadence") == 50.0
    assert _cell(t, "c2", "communication") == pytest.approx(25.0)
    assert t["communication"].notna().sum() == 2
    note = view.notes["communication"]
    assert "contact records for 2 of 300 customers" in note
    assert "1 customers with contacts not in this view left out" in note
    assert "responsiveness empty for 1 customers" in note
    # the records themselves are scored with communication_scores' defaults: the window from
    # the first to the last contact (0 h .. 130 h), so c1's cadence differs
    raw = relationship_view(log, n_draws=0, interactions=_contacts()).table
    # 4 contacts x 30 days / (130 / 24 days) = 22.15 per period: cadence 100 x 2 / 22.15
    assert _cell(raw, "c1", "cadence") == pytest.approx(100 * 2 / (4 * 30 / (130 / 24)))


def test_communication_can_enter_quality(log: pd.DataFrame) -> None:
    """c1: survey 80 and 60, communication 66.67: quality (80 + 60 + 66.67) / 3 = 68.89;
    c2: no survey, communication 25: quality 25; c3: survey 40 only: 40."""
    survey = pd.DataFrame(
        {"trust": [80.0, 40.0], "satisfaction": [60.0, np.nan]}, index=["c1", "c3"]
    )
    scores = communication_scores(_contacts(), start=T0, end=END)
    plain = relationship_view(log, n_draws=0, survey_scores=survey, interactions=scores).table
    assert _cell(plain, "c1", "quality") == 70.0 and np.isnan(_cell(plain, "c2", "quality"))
    view = relationship_view(
        log,
        n_draws=0,
        survey_scores=survey,
        interactions=scores,
        communication_in_quality=True,
    )
    q = view.table["quality"]
    assert q["c1"] == pytest.approx((80 + 60 + 200 / 3) / 3)
    assert q["c2"] == pytest.approx(25.0) and q["c3"] == 40.0
    assert q.notna().sum() == 3
    assert "enters as one more construct for 2 customers" in view.notes["quality"]
    alone = relationship_view(log, n_draws=0, communication_in_quality=True)
    assert alone.table["quality"].isna().all()
    assert "no communication score for any customer" in alone.notes["quality"]


def test_profitability_columns_by_hand(log: pd.DataFrame) -> None:
    """Rates orders 5, returns 8. c1: cost 2 x 5 = 10, profit 100 - 10 = 90. c2: cost
    10 x 5 + 3 x 8 = 74, profit 40 - 74 = -34; the profitable c1, c3 (and zz) cost 10, 5, 5 in
    orders (mean 6.67) and 0 in returns: c2's orders exceed that by 43.3, returns by 24: the
    driver is orders. c3: cost 5, profit 25."""
    profit = customer_profitability(_profitability(), RATES, currency="EUR")
    view = relationship_view(log, n_draws=0, profitability=profit)
    t = view.table
    assert t.loc[["c1", "c2", "c3"], "cost_to_serve"].tolist() == [10.0, 74.0, 5.0]
    assert t.loc[["c1", "c2", "c3"], "profit"].tolist() == [90.0, -34.0, 25.0]
    assert t.loc[["c1", "c2", "c3"], "unprofitable"].tolist() == [False, True, False]
    assert _cell(t, "c2", "loss_driver") == "orders"
    assert pd.isna(_cell(t, "c1", "loss_driver"))  # a text column: missing for a profitable one
    assert _cell(t, "c4", "unprofitable") is None and np.isnan(_cell(t, "c4", "profit"))
    note = view.notes["profit"]
    assert note.startswith("cost to serve for 3 of 300 customers (EUR), 1 unprofitable")
    assert "1 customers of the profitability not in this view left out" in note
    records = {r["customer_id"]: r for r in view.to_records()}
    text = json.dumps(list(records.values()), allow_nan=False)  # JSON for a service
    assert json.loads(text)[0].keys() == records["c1"].keys()
    assert records["c2"]["profit"] == -34.0 and records["c2"]["unprofitable"] is True
    assert records["c2"]["loss_driver"] == "orders"
    assert records["c4"]["profit"] is None and records["c4"]["unprofitable"] is None


def test_engagement_value_by_hand(log: pd.DataFrame) -> None:
    """c1 refers c3 (who would not have joined; now; no reward, no acquisition cost): CRV(c1)
    = CLV(c3). CIV(c1) = 50, CKV(c2) = 20. CEV(c1) = CLV(c1) + CLV(c3) + 50, CEV(c2) = CLV(c2)
    + 20, CEV(c3) = CLV(c3); engagement share(c1) = 1 - CLV(c1) / CEV(c1)."""
    refs = pd.DataFrame(
        {"referrer": ["c1"], "referee": ["c3"], "would_have_joined": [False], "period": [0]}
    )
    view = relationship_view(
        log,
        n_draws=0,
        referrals=refs,
        civ=pd.Series({"c1": 50.0, "nobody": 9.0}),
        ckv=pd.Series({"c2": 20.0}),
    )
    t = view.table
    clv1, clv2, clv3 = (float(_cell(t, c, "clv")) for c in ("c1", "c2", "c3"))
    assert _cell(t, "c1", "crv") == pytest.approx(clv3)
    assert _cell(t, "c1", "cev") == pytest.approx(clv1 + clv3 + 50.0)
    assert _cell(t, "c2", "cev") == pytest.approx(clv2 + 20.0)
    assert _cell(t, "c3", "cev") == pytest.approx(clv3)
    assert _cell(t, "c1", "engagement_share") == pytest.approx(1 - clv1 / (clv1 + clv3 + 50.0))
    assert _cell(t, "c3", "engagement_share") == 0.0
    assert _cell(t, "c1", "civ") == 50.0 and _cell(t, "c2", "civ") == 0.0
    assert _cell(t, "c2", "ckv") == 20.0 and _cell(t, "c1", "ckv") == 0.0
    assert view.notes["cev"] == "CLV + CRV + CIV + CKV"
    assert "1 customers not in this view left out" in view.notes["civ"]
    # without referrals: CRV counts as 0, and the note says so
    alone = relationship_view(log, n_draws=0, ckv=pd.Series({"c2": 20.0}))
    assert _cell(alone.table, "c1", "cev") == pytest.approx(clv1)
    assert alone.table["civ"].isna().all()
    assert alone.notes["cev"].endswith("no data for CRV, CIV: counted as 0")


def test_text_ids_match_whole_number_ids() -> None:
    """CDNOW's ids are whole numbers; the communication, profitability and engagement results
    keep ids as text: "1" is customer 1."""
    from relmark.datasets import load_cdnow_sample_transactions

    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    acts = pd.DataFrame({"customer_id": ["1"], "margin": [10.0], "orders": [3]})
    view = relationship_view(
        log,
        n_draws=0,
        profitability=customer_profitability(acts, {"orders": 4.0}),
        ckv=pd.Series({1: 7.0}),
    )
    assert _cell(view.table, 1, "profit") == -2.0  # 10 - 3 x 4
    assert _cell(view.table, 1, "loss_driver") == "low margin"  # the only customer loses money
    assert _cell(view.table, 1, "ckv") == 7.0


@pytest.fixture(scope="module")
def plain(log: pd.DataFrame) -> RelationshipView:
    return relationship_view(log, n_draws=0)


SETTINGS = {"unit_margin": 0.3, "retention_offer_cost": 0.01, "retention_uplift": 1.0}


def test_proposals_spare_unprofitable_customers_costly_offers(
    log: pd.DataFrame, plain: RelationshipView
) -> None:
    """Two customers who get both a retention and a loyalty offer: made unprofitable, one of
    them gets neither (the reason says why, with the profit and its driver); the other,
    profitable, keeps both; every other proposal is unchanged."""
    before = propose_actions(plain, **SETTINGS)  # type: ignore[arg-type]
    both = before.index[before["retention_offer"] & before["loyalty_offer"]]
    assert len(both) >= 2
    losing, keeping = str(both[0]), str(both[1])
    acts = pd.DataFrame(
        {"customer_id": [losing, keeping], "margin": [10.0, 500.0], "tickets": [4, 1]}
    )
    profit = customer_profitability(acts, {"tickets": 6.0})  # -14 and 494
    view = relationship_view(log, n_draws=0, profitability=profit)
    after = propose_actions(view, **SETTINGS)  # type: ignore[arg-type]
    assert not _cell(after, losing, "retention_offer") and not _cell(after, losing, "loyalty_offer")
    assert _cell(after, keeping, "retention_offer") and _cell(after, keeping, "loyalty_offer")
    reason = str(_cell(after, losing, "reason"))
    # 4 tickets x 6 = 24 > 6 for the profitable customer: the driver is tickets
    assert "unprofitable: profit -14.00 after cost to serve (tickets)" in reason
    assert "but the customer is unprofitable and the offer would deepen the loss" in reason
    assert "but the customer is unprofitable and the discount gives up margin" in reason
    # the numbers behind the decisions do not change, nor does any other decision
    numbers = ["retention_value", "referral_value", "loyalty_gain", "referral_offer", "level"]
    pd.testing.assert_frame_equal(after[numbers], before[numbers])
    rest = after.index != losing
    pd.testing.assert_frame_equal(after[rest], before[rest])
    # a free retention offer is still made: it costs nothing
    free = propose_actions(view, **{**SETTINGS, "retention_offer_cost": 0.0})  # type: ignore[arg-type]
    assert _cell(free, losing, "retention_offer") == (_cell(before, losing, "retention_value") > 0)


def test_chosen_offers_for_unprofitable_customers_say_what_the_margin_must_cover(
    log: pd.DataFrame,
) -> None:
    """c2 loses 10 - 4 x 6 = -14; c1 earns 500 - 6 = 494. Both get the jazz box, 0.2 x 12 - 0.5
    = 1.90 > 0: it pays on its own expected margin, and c2's reason says it must be net of the
    cost to serve."""
    acts = pd.DataFrame({"customer_id": ["c1", "c2"], "margin": [500.0, 10.0], "tickets": [1, 4]})
    view = relationship_view(
        log, n_draws=0, profitability=customer_profitability(acts, {"tickets": 6.0})
    )
    candidates = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "offer": ["jazz box", "jazz box"],
            "p_response": [0.2, 0.2],
            "margin": [12.0, 12.0],
            "cost": [0.5, 0.5],
        }
    )
    got = propose_actions(view, unit_margin=0.3, offers=candidates)
    assert _cell(got, "c1", "offer") == "jazz box" and _cell(got, "c2", "offer") == "jazz box"
    assert _cell(got, "c2", "offer_expected_margin") == pytest.approx(1.9)
    assert str(_cell(got, "c2", "offer_reason")).endswith(
        "the customer is unprofitable (profit -14.00): the offer pays only if its margin is net "
        "of the cost to serve the order"
    )
    assert "unprofitable" not in str(_cell(got, "c1", "offer_reason"))


@settings(max_examples=25, deadline=None)
@given(
    losses=st.lists(st.booleans(), min_size=300, max_size=300),
    cost=st.sampled_from([0.0, 0.01, 1.0]),
)
def test_property_unprofitable_customers_get_no_costly_offer(
    plain: RelationshipView, losses: list[bool], cost: float
) -> None:
    """For any set of unprofitable customers: none gets a loyalty discount nor (when it costs
    anything) a retention offer; every other decision is the one without cost to serve."""
    flags = np.asarray(losses)
    table = plain.table.assign(
        unprofitable=flags.astype(object),
        profit=np.where(flags, -1.0, 1.0),
        loss_driver=pd.Series(["orders" if f else None for f in losses], index=plain.table.index),
    )
    edited = RelationshipView(table, plain.notes, plain.models, plain.time_unit, plain.options)
    kwargs = {**SETTINGS, "retention_offer_cost": cost}
    before = propose_actions(plain, **kwargs)  # type: ignore[arg-type]
    after = propose_actions(edited, **kwargs)  # type: ignore[arg-type]
    assert not after.loc[flags, "loyalty_offer"].any()
    if cost > 0:
        assert not after.loc[flags, "retention_offer"].any()
    else:
        assert after["retention_offer"].equals(before["retention_offer"])
    pd.testing.assert_frame_equal(after[~flags], before[~flags])
    blocked = flags & (before["loyalty_offer"] | (before["retention_offer"] & (cost > 0)))
    assert after.loc[blocked, "reason"].str.contains("but the customer is unprofitable").all()
