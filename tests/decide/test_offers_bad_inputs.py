"""Bad inputs to the offer chooser and its contact policy: each raises a relmark error naming
the argument, field or column (no raw pandas errors, no NaN out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import relmark.decide
from relmark.errors import ArgumentError, DataError, SchemaError

_D: Any = relmark.decide  # untyped: the cases pass what the signatures forbid
C = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "offer": ["x", "y", "x"],
        "p_response": [0.1, 0.2, 0.3],
        "margin": [10.0, 5.0, 8.0],
        "cost": [0.5, 0.5, 0.5],
    }
)
S = pd.DataFrame({"level": ["basic", "reactive"]}, index=pd.Index(["a", "b"], name="customer_id"))


def _with(**columns: Any) -> pd.DataFrame:
    return C.assign(**columns)


def _name(err: BaseException) -> str:
    return str(
        getattr(err, "argument", None) or getattr(err, "column", None) or getattr(err, "key", "")
    )


CASES: list[tuple[str, type[Exception], str, Callable[[], object]]] = [
    ("not a frame", ArgumentError, "candidates", lambda: _D.choose_offers(C.to_dict())),
    ("empty", DataError, "customer_id", lambda: _D.choose_offers(C.iloc[:0])),
    (
        "no p_response",
        DataError,
        "p_response",
        lambda: _D.choose_offers(C.drop(columns="p_response")),
    ),
    ("no cost", DataError, "cost", lambda: _D.choose_offers(C.drop(columns="cost"))),
    ("no offer", DataError, "offer", lambda: _D.choose_offers(C.drop(columns="offer"))),
    ("p > 1", DataError, "p_response", lambda: _D.choose_offers(_with(p_response=[0.1, 1.2, 0.3]))),
    (
        "p nan",
        DataError,
        "p_response",
        lambda: _D.choose_offers(_with(p_response=[0.1, np.nan, 0.3])),
    ),
    (
        "p text",
        DataError,
        "p_response",
        lambda: _D.choose_offers(_with(p_response=["0.1", "0.2", "0.3"])),
    ),
    ("margin inf", DataError, "margin", lambda: _D.choose_offers(_with(margin=[1.0, np.inf, 2.0]))),
    ("cost negative", DataError, "cost", lambda: _D.choose_offers(_with(cost=[0.5, -1.0, 0.5]))),
    ("offer twice", DataError, "offer", lambda: _D.choose_offers(_with(offer=["x", "x", "x"]))),
    (
        "missing customer",
        DataError,
        "customer_id",
        lambda: _D.choose_offers(_with(customer_id=["a", None, "b"])),
    ),
    (
        "policy kind",
        ArgumentError,
        "policy",
        lambda: _D.choose_offers(C, policy={"max_contacts": 1}),
    ),
    ("customers kind", ArgumentError, "customers", lambda: _D.choose_offers(C, customers=[1, 2])),
    (
        "customer not in customers",
        DataError,
        "customer_id",
        lambda: _D.choose_offers(C, customers=S.iloc[:1]),
    ),
    (
        "repeated customers",
        DataError,
        "customer_id",
        lambda: _D.choose_offers(C, customers=pd.concat([S, S])),
    ),
    (
        "unknown level",
        DataError,
        "level",
        lambda: _D.choose_offers(C, customers=S.assign(level=["basic", "gold"])),
    ),
    (
        "complaint text",
        DataError,
        "open_complaint",
        lambda: _D.choose_offers(C, customers=S.assign(open_complaint=["no", "yes"])),
    ),
    (
        "contacts negative",
        DataError,
        "contacts",
        lambda: _D.choose_offers(C, customers=S.assign(contacts=[0, -1])),
    ),
    (
        "contacts fraction",
        DataError,
        "contacts",
        lambda: _D.choose_offers(C, customers=S.assign(contacts=[0, 0.5])),
    ),
    (
        "contacts nan",
        DataError,
        "contacts",
        lambda: _D.choose_offers(C, customers=S.assign(contacts=[0, np.nan])),
    ),
    ("max_contacts -1", ArgumentError, "max_contacts", lambda: _D.ContactPolicy(max_contacts=-1)),
    ("max_contacts 1.5", ArgumentError, "max_contacts", lambda: _D.ContactPolicy(max_contacts=1.5)),
    (
        "unknown level key",
        ArgumentError,
        "channel_by_level",
        lambda: _D.ContactPolicy(channel_by_level={**_D.DEFAULT_CHANNELS, "gold": "sms"}),
    ),
    (
        "level unmapped",
        ArgumentError,
        "channel_by_level",
        lambda: _D.ContactPolicy(channel_by_level={"basic": "web"}),
    ),
    (
        "empty channel",
        ArgumentError,
        "channel_by_level",
        lambda: _D.ContactPolicy(channel_by_level={**_D.DEFAULT_CHANNELS, "basic": ""}),
    ),
    (
        "channels not a mapping",
        ArgumentError,
        "channel_by_level",
        lambda: _D.ContactPolicy(channel_by_level=["web"]),
    ),
    (
        "cost negative",
        ArgumentError,
        "contact_cost",
        lambda: _D.ContactPolicy(contact_cost={"web": -1}),
    ),
    (
        "cost nan",
        ArgumentError,
        "contact_cost",
        lambda: _D.ContactPolicy(contact_cost={"web": float("nan")}),
    ),
    (
        "default level",
        ArgumentError,
        "default_level",
        lambda: _D.ContactPolicy(default_level="gold"),
    ),
    (
        "min margin inf",
        ArgumentError,
        "min_expected_margin",
        lambda: _D.ContactPolicy(min_expected_margin=float("inf")),
    ),
    ("plan json", SchemaError, "schema", lambda: _D.OfferPlan.from_json('{"schema": 9}')),
    (
        "plan json policy",
        SchemaError,
        "policy",
        lambda: _D.OfferPlan.from_json(
            '{"schema": 1, "policy": {"max_contacts": -1}, "offers": {}, "skipped": {}}'
        ),
    ),
    (
        "plan json offers",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json('{"schema": 1, "policy": {}, "skipped": {}}'),
    ),
]


@pytest.mark.parametrize(("case", "error", "name", "call"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    case: str, error: type[Exception], name: str, call: Callable[[], object]
) -> None:
    with pytest.raises(error) as err:
        call()
    assert _name(err.value) == name, (case, err.value)


def test_error_rows_name_the_candidate() -> None:
    with pytest.raises(DataError) as err:
        _D.choose_offers(_with(p_response=[0.1, 1.2, 0.3]))
    assert err.value.rows == (1,)


# ---------------------------------------------------------------- adversarial review (round 3)
def _plan_json(section: str, column: str, value: object) -> str:
    import json

    d = json.loads(_D.choose_offers(C).to_json())
    d[section][column] = value
    return json.dumps(d)


REVIEW: list[tuple[str, type[Exception], str, Callable[[], object]]] = [
    # 1 and "1" were two customers
    (
        "ids mix kinds",
        DataError,
        "customer_id",
        lambda: _D.choose_offers(_with(customer_id=[1, "1", 2])),
    ),
    ("offers mix kinds", DataError, "offer", lambda: _D.choose_offers(_with(offer=[1, "1", 2]))),
    # a non-text channel key was turned into text
    (
        "cost channel not text",
        ArgumentError,
        "contact_cost",
        lambda: _D.ContactPolicy(contact_cost={1: 1.0}),
    ),
    # the plan's total overflowed to inf (and a RuntimeWarning)
    (
        "margins overflow",
        DataError,
        "margin",
        lambda: _D.choose_offers(_with(margin=[1e308] * 3, p_response=[1.0] * 3, cost=[0.0] * 3)),
    ),
    # tampered OfferPlan JSON: raw ValueError/TypeError, or accepted
    (
        "plan text p",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json(_plan_json("offers", "p_response", ["x"] * 2)),
    ),
    (
        "plan null rank",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json(_plan_json("offers", "rank", [None] * 2)),
    ),
    (
        "plan ragged",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json(_plan_json("offers", "rank", [1])),
    ),
    (
        "plan p 7",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json(_plan_json("offers", "p_response", [7.0] * 2)),
    ),
    (
        "plan skipped ragged",
        SchemaError,
        "skipped",
        lambda: _D.OfferPlan.from_json(_plan_json("skipped", "reason", ["a", "b"])),
    ),
    (
        "plan skipped extra",
        SchemaError,
        "skipped",
        lambda: _D.OfferPlan.from_json(_plan_json("skipped", "zz", [])),
    ),
    (
        "plan margin edited",
        SchemaError,
        "offers",
        lambda: _D.OfferPlan.from_json(_plan_json("offers", "margin", [1.0, 1.0])),
    ),
]


@pytest.mark.parametrize(("case", "error", "name", "call"), REVIEW, ids=[c[0] for c in REVIEW])
def test_review_bad_input(
    case: str, error: type[Exception], name: str, call: Callable[[], object]
) -> None:
    with pytest.raises(error) as err:
        call()
    assert _name(err.value) == name, (case, err.value)
    assert name in str(err.value)


def test_huge_contact_counts_do_not_wrap() -> None:
    """1e300 contacts made (int64 cast: RuntimeWarning, wrap-around) and max_contacts 10**19
    (OverflowError): by hand, a gets none (limit reached) and b gets one offer; with 10**19
    contacts allowed every paying candidate is made (x and y for a, x for b)."""
    plan = _D.choose_offers(C, customers=S.assign(contacts=[1e300, 0.0]))
    assert plan.offers["customer_id"].tolist() == ["b"]
    assert "contact limit reached" in plan.skipped.set_index("customer_id").loc["a", "reason"]
    many = _D.choose_offers(C, policy=_D.ContactPolicy(max_contacts=10**19))
    assert sorted(zip(many.offers["customer_id"], many.offers["offer"], strict=True)) == [
        ("a", "x"),
        ("a", "y"),
        ("b", "x"),
    ]


def test_plan_round_trips() -> None:
    plan = _D.choose_offers(C, customers=S)
    back = _D.OfferPlan.from_json(plan.to_json())
    assert back.offers.equals(plan.offers)
    pd.testing.assert_frame_equal(  # no one skipped: an empty table, dtypes aside
        back.skipped, plan.skipped, check_dtype=False, check_index_type=False
    )


@pytest.mark.parametrize(
    ("candidates", "column"),
    [
        # blank ids were customers and offers of their own
        (_with(offer=["x", "", "x"]), "offer"),
        (_with(customer_id=["a", "a", "  "]), "customer_id"),
        # a repeated column made a 2-d value array (raw ValueError)
        (pd.concat([C, C[["p_response"]]], axis=1), "p_response"),
    ],
)
def test_review_candidates(candidates: pd.DataFrame, column: str) -> None:
    with pytest.raises(DataError) as err:
        _D.choose_offers(candidates)
    assert err.value.column == column and column in str(err.value)


def test_plan_with_unstorable_ids() -> None:
    """Timestamp ids: to_json raised a raw TypeError."""
    day = pd.Timestamp("2024-01-01")
    plan = _D.choose_offers(_with(customer_id=[day, day, day + pd.Timedelta(days=1)]))
    with pytest.raises(DataError) as err:
        plan.to_json()
    assert err.value.column == "customer_id"
