"""propose_actions with candidate offers: the offer chooser decides the next contact, on the
channel of each customer's Kotler level; without offers the proposals are unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from relmark.datasets import load_cdnow_summary
from relmark.decide import DEFAULT_CHANNELS, ContactPolicy
from relmark.errors import ArgumentError, DataError
from relmark.view import RelationshipView, propose_actions, relationship_view


@pytest.fixture(scope="module")
def view() -> RelationshipView:
    summary = load_cdnow_summary(with_monetary=True).to_frame()
    return relationship_view(summary, summary_time_unit="W", n_draws=0)


def test_offers_replace_the_label(view: RelationshipView) -> None:
    plain = propose_actions(view, unit_margin=0.25)
    a, b, c = plain.index[:3]
    candidates = pd.DataFrame(
        {
            "customer_id": [a, a, b, c],
            "offer": ["jazz box", "gift card", "jazz box", "jazz box"],
            "p_response": [0.20, 0.05, 0.01, 0.30],
            "margin": [12.0, 40.0, 12.0, 12.0],
            "cost": [0.5, 0.5, 0.5, 0.5],
        }
    )
    status = pd.DataFrame({"open_complaint": False}, index=plain.index)
    status.loc[c, "open_complaint"] = True
    policy = ContactPolicy(contact_cost={"email": 0.1})
    got = propose_actions(
        view, unit_margin=0.25, offers=candidates, contact_policy=policy, customer_status=status
    )
    # the plain columns are today's
    pd.testing.assert_frame_equal(
        got[plain.columns.drop("next_contact")], plain.drop(columns="next_contact")
    )
    # a: jazz box 0.20*12 - 0.5 - contact = 1.90 - contact beats gift card 0.05*40 - 0.5 = 1.50
    channel = DEFAULT_CHANNELS[str(plain.loc[a, "level"])]
    contact = policy.contact_cost.get(channel, 0.0)
    assert got.loc[a, "offer"] == "jazz box"
    assert got.loc[a, "offer_channel"] == channel
    assert got.loc[a, "offer_expected_margin"] == pytest.approx(1.9 - contact)
    assert got.loc[a, "next_contact"] == "offer: jazz box"
    assert "expected margin" in str(got.loc[a, "offer_reason"])
    # b: 0.01*12 - 0.5 < 0 pays nothing; c has an open complaint; the rest had no candidates
    assert got.loc[b, "offer"] is None and got.loc[c, "offer"] is None
    assert str(got.loc[b, "offer_reason"]).startswith("no offer pays")
    assert str(got.loc[c, "offer_reason"]).startswith("open complaint")
    assert got.loc[b, "next_contact"] == plain.loc[b, "next_contact"]
    rest = got.drop(index=[a, b, c])
    assert (rest["offer_reason"] == "no candidate offers").all()
    assert (rest["offer_expected_margin"] == 0.0).all()


def test_offer_arguments_need_offers(view: RelationshipView) -> None:
    with pytest.raises(ArgumentError, match="contact_policy"):
        propose_actions(view, unit_margin=0.25, contact_policy=ContactPolicy())
    unknown = pd.DataFrame(
        {
            "customer_id": ["nobody"],
            "offer": ["x"],
            "p_response": [0.1],
            "margin": [1.0],
            "cost": [0.0],
        }
    )
    with pytest.raises(DataError) as err:
        propose_actions(view, unit_margin=0.25, offers=unknown)
    assert err.value.column == "customer_id"


def test_status_without_offers_names_customer_status(view: RelationshipView) -> None:
    """customer_status= without offers= was blamed on contact_policy (adversarial review)."""
    status = pd.DataFrame({"contacts": 0}, index=view.table.index)
    with pytest.raises(ArgumentError) as err:
        propose_actions(view, unit_margin=0.25, customer_status=status)
    assert err.value.argument == "customer_status"


def test_repeated_status_rows(view: RelationshipView) -> None:
    """A customer_status repeating a customer raised pandas' raw reindex ValueError."""
    first = view.table.index[0]
    candidates = pd.DataFrame(
        {"customer_id": [first], "offer": ["x"], "p_response": [0.5], "margin": [10.0]}
    ).assign(cost=0.5)
    status = pd.DataFrame({"contacts": 0}, index=[*view.table.index, first])
    with pytest.raises(DataError) as err:
        propose_actions(view, unit_margin=0.25, offers=candidates, customer_status=status)
    assert "customer_status" in str(err.value) and first in err.value.rows


def test_status_column_the_view_would_ignore(view: RelationshipView) -> None:
    """A ``level`` column in customer_status was silently ignored (adversarial review)."""
    first = view.table.index[0]
    candidates = pd.DataFrame(
        {"customer_id": [first], "offer": ["x"], "p_response": [0.5], "margin": [10.0]}
    ).assign(cost=0.5)
    status = pd.DataFrame({"contacts": 0, "level": "partnership"}, index=view.table.index)
    with pytest.raises(DataError) as err:
        propose_actions(view, unit_margin=0.25, offers=candidates, customer_status=status)
    assert err.value.column == "level" and "ignored" in str(err.value)
