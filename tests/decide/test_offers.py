"""The offer chooser against a hand-worked plan and against brute-force search over every
allowed set of offers per customer."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.decide import DEFAULT_CHANNELS, ContactPolicy, OfferPlan, choose_offers

CANDIDATES = pd.DataFrame(
    {
        "customer_id": ["ann", "ann", "ann", "bob", "bob", "cy", "dee"],
        "offer": ["jam", "tea", "cups", "jam", "tea", "tea", "tea"],
        "p_response": [0.30, 0.10, 0.02, 0.20, 0.05, 0.50, 0.40],
        "margin": [8.0, 30.0, 20.0, 8.0, 30.0, 30.0, 30.0],
        "cost": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "level": ["accountable", "basic", "basic", "reactive"],
        "open_complaint": [False, False, True, False],
        "contacts": [0, 0, 0, 2],
    },
    index=pd.Index(["ann", "bob", "cy", "dee"], name="customer_id"),
)
POLICY = ContactPolicy(max_contacts=2, contact_cost={"phone": 1.0, "web": 0.0, "email": 0.1})


def test_hand_worked_plan() -> None:
    # ann (accountable -> phone, 1.00 a contact):
    #   jam 0.30*8 - 0.5 - 1 = 0.90; tea 0.10*30 - 0.5 - 1 = 1.50; cups 0.02*20 - 1.5 = -1.10
    #   two contacts allowed: tea (1.50), then jam (0.90); cups does not pay
    # bob (basic -> web, free): jam 0.20*8 - 0.5 = 1.10; tea 0.05*30 - 0.5 = 1.00: both
    # cy: open complaint -> nothing, although tea would earn 0.5*30 - 0.5 = 14.50
    # dee: 2 of 2 contacts made -> nothing
    plan = choose_offers(CANDIDATES, customers=CUSTOMERS, policy=POLICY)
    got = plan.offers[["customer_id", "offer", "rank", "channel", "expected_margin"]]
    assert got.values.tolist() == [
        ["ann", "tea", 1, "phone", pytest.approx(1.5)],
        ["ann", "jam", 2, "phone", pytest.approx(0.9)],
        ["bob", "jam", 1, "web", pytest.approx(1.1)],
        ["bob", "tea", 2, "web", pytest.approx(1.0)],
    ]
    assert plan.expected_margin == pytest.approx(1.5 + 0.9 + 1.1 + 1.0)
    skipped = dict(zip(plan.skipped["customer_id"], plan.skipped["reason"], strict=True))
    assert skipped["cy"].startswith("open complaint")
    assert skipped["dee"].startswith("contact limit reached: 2 of 2")
    reason = str(plan.offers.loc[0, "reason"])
    assert "P(response) 0.100 x margin 30.00 - cost 0.50 - phone contact 1.00" in reason
    assert "expected margin 1.50" in reason and "accountable" in reason
    assert plan.best().loc["bob", "offer"] == "jam"


def test_defaults_one_contact_basic_level() -> None:
    plan = choose_offers(CANDIDATES)
    # one contact each, default channel web (basic), no contact cost: cy gets tea (14.50)
    best = plan.best()
    assert best["offer"].to_dict() == {"ann": "tea", "bob": "jam", "cy": "tea", "dee": "tea"}
    assert set(best["channel"]) == {DEFAULT_CHANNELS["basic"]}
    assert best.loc["cy", "expected_margin"] == pytest.approx(14.5)


def test_min_expected_margin() -> None:
    policy = ContactPolicy(max_contacts=3, min_expected_margin=1.0)
    plan = choose_offers(CANDIDATES, policy=policy)
    # 1.10 (bob jam) > 1 kept; 1.00 (bob tea) is not above 1
    assert (plan.offers["expected_margin"] > 1.0).all()
    assert plan.offers[plan.offers["customer_id"] == "bob"]["offer"].tolist() == ["jam"]


@st.composite
def problems(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, ContactPolicy]:
    n = draw(st.integers(1, 5))
    rows = [
        {
            "customer_id": c,
            "offer": f"o{o}",
            "p_response": draw(st.floats(0, 1)),
            "margin": draw(st.floats(-20, 50)),
            "cost": draw(st.floats(0, 5)),
        }
        for c in range(n)
        for o in draw(st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True))
    ]
    levels = list(DEFAULT_CHANNELS)
    customers = pd.DataFrame(
        {
            "level": [draw(st.sampled_from(levels)) for _ in range(n)],
            "open_complaint": [draw(st.booleans()) for _ in range(n)],
            "contacts": [draw(st.integers(0, 3)) for _ in range(n)],
        },
        index=pd.Index(range(n), name="customer_id"),
    )
    policy = ContactPolicy(
        max_contacts=draw(st.integers(0, 3)),
        contact_cost={"phone": draw(st.floats(0, 3)), "email": draw(st.floats(0, 1))},
    )
    return pd.DataFrame(rows), customers, policy


@settings(max_examples=60, deadline=None)
@given(problems())
def test_equals_brute_force(problem: tuple[pd.DataFrame, pd.DataFrame, ContactPolicy]) -> None:
    candidates, customers, policy = problem
    plan = choose_offers(candidates, customers=customers, policy=policy)
    for c, group in candidates.groupby("customer_id"):
        info: dict[Any, Any] = customers.loc[c].to_dict()
        allowed = max(policy.max_contacts - int(info["contacts"]), 0)
        channel = policy.channel_by_level[info["level"]]
        values = (
            group["p_response"] * group["margin"]
            - group["cost"]
            - policy.contact_cost.get(channel, 0.0)
        ).tolist()
        best = 0.0
        if not info["open_complaint"]:
            for size in range(allowed + 1):
                for subset in itertools.combinations(range(len(values)), size):
                    if all(values[i] > 0 for i in subset):
                        best = max(best, sum(values[i] for i in subset))
        mine = plan.offers[plan.offers["customer_id"] == c]
        assert float(mine["expected_margin"].sum()) == pytest.approx(best, abs=1e-9)
        assert len(mine) <= allowed
        assert (mine["channel"] == channel).all()
        assert mine["rank"].tolist() == list(range(1, len(mine) + 1))
        assert (c in set(plan.skipped["customer_id"])) == mine.empty


def test_json_round_trip() -> None:
    plan = choose_offers(CANDIDATES, customers=CUSTOMERS, policy=POLICY)
    back = OfferPlan.from_json(plan.to_json())
    pd.testing.assert_frame_equal(back.offers, plan.offers, check_dtype=False)
    pd.testing.assert_frame_equal(back.skipped, plan.skipped, check_dtype=False)
    assert back.policy == plan.policy
    assert np.isfinite(back.offers["expected_margin"]).all()
