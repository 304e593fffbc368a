"""Co-marketing splits, employee advocacy and customer engagement value (decide.advocacy).

The Shapley split is checked against brute force over all orderings of the partners, the core
against a direct enumeration of coalitions, the intervals against statsmodels.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from relmark.decide.advocacy import (
    co_marketing_split,
    customer_engagement_value,
    employee_advocacy,
    influencer_value,
    knowledge_value,
)
from relmark.errors import ArgumentError, DataError


def _brute_shapley(worth: dict[frozenset[str], float], players: list[str]) -> list[float]:
    """Average marginal worth over all n! orderings (the definition)."""
    phi = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        joined: frozenset[str] = frozenset()
        for p in order:
            after = joined | {p}
            phi[p] += worth.get(after, 0.0) - worth.get(joined, 0.0)
            joined = after
    return [phi[p] / len(orders) for p in players]


@st.composite
def games(
    draw: st.DrawFn,
) -> tuple[list[str], dict[frozenset[str], float], dict[frozenset[str], float]]:
    n = draw(st.integers(1, 5))
    players = [f"p{i}" for i in range(n)]
    coalitions = [frozenset(c) for k in range(1, n + 1) for c in itertools.combinations(players, k)]
    value = {c: float(draw(st.integers(0, 100))) for c in coalitions}
    cost = {c: float(draw(st.integers(0, 50))) for c in coalitions}
    return players, value, cost


@settings(max_examples=60, deadline=None)
@given(games())
def test_shapley_split_equals_brute_force(game):
    players, value, cost = game
    split = co_marketing_split(value, cost=cost)
    net = {c: value[c] - cost[c] for c in value}
    assert split.partners == tuple(players)
    np.testing.assert_allclose(split.value_share, _brute_shapley(value, players), atol=1e-9)
    np.testing.assert_allclose(split.cost_share, _brute_shapley(cost, players), atol=1e-9)
    np.testing.assert_allclose(split.net, _brute_shapley(net, players), atol=1e-9)
    # efficiency
    full = frozenset(players)
    assert sum(split.net) == pytest.approx(net[full])
    # the core, enumerated directly
    blocking = [
        c for c in net if c != full and net[c] > sum(split.net[players.index(p)] for p in c) + 1e-7
    ]
    assert split.in_core == (not blocking)
    assert {frozenset(b) for b in split.blocking} == set(blocking)
    json.loads(split.to_json())


def test_hand_example_and_rules():
    # Shapley (two players): a = 30/2 + (120 - 10)/2 = 70, b = 10/2 + (120 - 30)/2 = 50
    value = {"a": 60, "b": 40, ("a", "b"): 160}
    cost = {"a": 30, "b": 30, ("a", "b"): 40}
    s = co_marketing_split(value, cost=cost)
    assert s.net == pytest.approx((70.0, 50.0))
    assert s.value_share == pytest.approx((90.0, 70.0))
    assert s.cost_share == pytest.approx((20.0, 20.0))
    frame = s.to_frame()
    assert frame.loc["a", "gain"] == pytest.approx(40.0)  # 70 - 30 alone
    # proportional to stand-alone net 30 : 10 -> 3/4 and 1/4 of 160 and of 40
    p = co_marketing_split(value, cost=cost, rule="proportional")
    assert p.value_share == pytest.approx((120.0, 40.0))
    assert p.cost_share == pytest.approx((30.0, 10.0))
    e = co_marketing_split(value, cost=cost, rule="equal")
    assert e.net == pytest.approx((60.0, 60.0))


def test_core_violation_is_named():
    # three partners; a and b earn 100 together, all three only 90: a+b would leave
    value = {
        "a": 0,
        "b": 0,
        "c": 0,
        ("a", "b"): 100,
        ("a", "c"): 0,
        ("b", "c"): 0,
        ("a", "b", "c"): 90,
    }
    s = co_marketing_split(value)
    assert not s.in_core
    assert ("a", "b") in s.blocking


def test_employee_advocacy_against_statsmodels():
    shares = pd.DataFrame(
        {
            "employee_id": ["a", "a", "b", "c"],
            "reach": [1000, 200, 300, 500],
            "clicks": [40, 10, 20, 30],
            "conversions": [4, 1, 2, 3],
        }
    )
    k = employee_advocacy(shares, eligible=25, enps_answers=[10, 9, 8, 3, 7], level=0.9)
    assert (k.advocates, k.shares, k.reach, k.clicks, k.conversions) == (3, 4, 2000, 100, 10)
    assert k.participation == pytest.approx(3 / 25)
    lo, hi = proportion_confint(3, 25, alpha=0.1, method="wilson")
    assert k.participation_interval == pytest.approx((lo, hi))
    lo, hi = proportion_confint(10, 100, alpha=0.1, method="wilson")
    assert k.conversion_interval == pytest.approx((lo, hi))
    assert k.reach_per_advocate == pytest.approx(2000 / 3)
    assert k.enps is not None and k.enps.score == pytest.approx(20.0)  # (2 - 1) / 5
    d = json.loads(k.to_json())
    assert d["enps"]["promoters"] == 2


def test_no_clicks_has_no_rate():
    shares = pd.DataFrame({"employee_id": ["a"], "reach": [10], "clicks": [0], "conversions": [0]})
    k = employee_advocacy(shares, eligible=1)
    assert k.conversion_rate is None and k.conversion_interval is None and k.enps is None


def test_engagement_value():
    influence = pd.DataFrame(
        {"influencer_id": ["a", "a", "b"], "customer_id": ["x", "y", "y"], "share": [1, 0.25, 0.75]}
    )
    civ = influencer_value(influence, pd.Series({"x": 40.0, "y": 200.0}))
    assert civ.to_dict() == pytest.approx({"a": 90.0, "b": 150.0})  # 40 + 50; 150
    ideas = pd.DataFrame({"customer_id": ["a"], "idea_id": ["k"], "share": [1.0]})
    ckv = knowledge_value(ideas, pd.Series({"k": 30.0}))
    cev = customer_engagement_value(
        pd.Series({"a": 100.0, "b": 10.0, "c": 5.0}), crv=pd.Series({"b": 1.0}), civ=civ, ckv=ckv
    )
    assert cev.loc["a", "cev"] == pytest.approx(220.0)  # 100 + 0 + 90 + 30
    assert cev.loc["b", "cev"] == pytest.approx(161.0)  # 10 + 1 + 150
    assert cev.index.tolist() == ["a", "b", "c"]
    assert cev.loc["c", "engagement_share"] == pytest.approx(0.0)
    assert cev["engagement_share"].iloc[0] == pytest.approx(1 - 100 / 220)


_any: Any = __import__("relmark.decide.advocacy", fromlist=["x"])

TWO = {"a": 1, "b": 1, ("a", "b"): 3}
SHARES = pd.DataFrame({"employee_id": ["a"], "reach": [10], "clicks": [5], "conversions": [1]})


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: _any.co_marketing_split([1, 2]), ArgumentError, "value"),
        (lambda: _any.co_marketing_split(TWO, rule="fair"), ArgumentError, "rule"),
        (lambda: _any.co_marketing_split({"a": 1, "b": 1}), DataError, "coalitions have no worth"),
        (
            lambda: _any.co_marketing_split({**TWO, ("a", "z"): 1}, partners=["a", "b"]),
            DataError,
            "z",
        ),
        (lambda: _any.co_marketing_split({**TWO, ("a", "a"): 1}), DataError, "twice"),
        (lambda: _any.co_marketing_split({**TWO, (): 1}), DataError, "empty"),
        (
            lambda: _any.co_marketing_split({"a": float("nan"), "b": 1, ("a", "b"): 3}),
            ArgumentError,
            "value",
        ),
        (
            lambda: _any.co_marketing_split({"a": "1", "b": 1, ("a", "b"): 3}),
            ArgumentError,
            "value",
        ),
        (lambda: _any.co_marketing_split(TWO, cost={"a": 1}), DataError, "cost"),
        (lambda: _any.co_marketing_split(TWO, partners="ab"), ArgumentError, "partners"),
        (lambda: _any.co_marketing_split(TWO, partners=["a", "a"]), ArgumentError, "partners"),
        (
            lambda: _any.co_marketing_split({"a": 1, "b": -1, ("a", "b"): 3}, rule="proportional"),
            DataError,
            "one sign",
        ),
        (lambda: _any.co_marketing_split({}), DataError, "no partners"),
        (lambda: _any.employee_advocacy([1], eligible=3), ArgumentError, "shares"),
        (lambda: _any.employee_advocacy(SHARES, eligible=0), ArgumentError, "eligible"),
        (lambda: _any.employee_advocacy(SHARES, eligible=True), ArgumentError, "eligible"),
        (lambda: _any.employee_advocacy(SHARES, eligible=3, level=95), ArgumentError, "level"),
        (
            lambda: _any.employee_advocacy(SHARES.drop(columns="reach"), eligible=3),
            DataError,
            "reach",
        ),
        (
            lambda: _any.employee_advocacy(SHARES.assign(clicks=[0.5]), eligible=3),
            DataError,
            "clicks",
        ),
        (lambda: _any.employee_advocacy(SHARES.assign(reach=[-1]), eligible=3), DataError, "reach"),
        (
            lambda: _any.employee_advocacy(SHARES.assign(reach=["10"]), eligible=3),
            DataError,
            "reach",
        ),
        (
            lambda: _any.employee_advocacy(SHARES.assign(conversions=[9]), eligible=3),
            DataError,
            "clicks",
        ),
        (
            lambda: _any.employee_advocacy(SHARES.assign(employee_id=[7]), eligible=3),
            DataError,
            "employee",
        ),
        (
            lambda: _any.employee_advocacy(SHARES, eligible=3, enps_answers=[11]),
            DataError,
            "answers",
        ),
        (lambda: _any.customer_engagement_value({"a": 1.0}), ArgumentError, "clv"),
        (
            lambda: _any.customer_engagement_value(
                pd.Series({"a": 1.0}), crv=pd.Series({"z": 1.0})
            ),
            DataError,
            "not in clv",
        ),
        (lambda: _any.customer_engagement_value(pd.Series({"a": np.inf})), DataError, "finite"),
        (
            lambda: _any.customer_engagement_value(pd.Series([1.0, 2.0], index=["a", "a"])),
            DataError,
            "twice",
        ),
        (
            lambda: _any.influencer_value(
                pd.DataFrame(
                    {"influencer_id": ["a", "b"], "customer_id": ["x", "x"], "share": [0.6, 0.6]}
                ),
                pd.Series({"x": 1.0}),
            ),
            DataError,
            "credited twice",
        ),
        (
            lambda: _any.influencer_value(
                pd.DataFrame({"influencer_id": ["a"], "customer_id": ["x"], "share": [1.5]}),
                pd.Series({"x": 1.0}),
            ),
            DataError,
            "share",
        ),
        (
            lambda: _any.influencer_value(
                pd.DataFrame({"influencer_id": ["a"], "customer_id": ["q"], "share": [1.0]}),
                pd.Series({"x": 1.0}),
            ),
            DataError,
            "without a value",
        ),
        (
            lambda: _any.knowledge_value(
                pd.DataFrame({"customer_id": ["a"]}), pd.Series({"k": 1.0})
            ),
            DataError,
            "idea_id",
        ),
    ],
)
def test_bad_inputs(call, error, name):
    with pytest.raises(error, match=name):
        call()


# ---------------------------------------------------------------- adversarial review findings
_SHARES = pd.DataFrame(
    {
        "employee_id": ["ann", "ann", "bo"],
        "reach": [500, 300, 200],
        "clicks": [20, 10, 10],
        "conversions": [2, 1, 1],
    }
)
_INFLUENCE = pd.DataFrame(
    {
        "influencer_id": ["ann", "ann", "bo"],
        "customer_id": ["c1", "c2", "c2"],
        "share": [1.0, 0.5, 0.5],
    }
)
_WORTH = pd.Series({"c1": 100.0, "c2": 80.0})

REVIEW_CASES = [
    # worths of 1e308 overflowed in the Shapley sums (raw RuntimeWarning)
    (
        lambda: co_marketing_split({"a": 1e308, "b": 1e308, ("a", "b"): -1e308}),
        ArgumentError,
        "value",
    ),
    (
        lambda: co_marketing_split(
            {"a": 1, "b": 1, ("a", "b"): 1}, cost={"a": -1e308, "b": 1e308, ("a", "b"): 1e308}
        ),
        ArgumentError,
        "cost",
    ),
    (lambda: co_marketing_split({" ": 1.0}), DataError, "value"),  # a blank partner
    (lambda: co_marketing_split({"a": 1.0}, partners=["a "]), ArgumentError, "partners"),
    # a reach of 10**30 raised a raw TypeError, 1e300 a raw OverflowError
    (
        lambda: employee_advocacy(
            _SHARES.assign(reach=pd.Series([10**30, 1, 1], dtype=object)), eligible=10
        ),
        DataError,
        "reach",
    ),
    (
        lambda: employee_advocacy(_SHARES.assign(reach=[1e300, 1, 1]), eligible=10),
        DataError,
        "reach",
    ),
    (
        lambda: employee_advocacy(_SHARES.assign(employee_id=["ann", "ann ", "bo"]), eligible=10),
        DataError,
        "employee_id",
    ),  # "ann " would be a third advocate
    (lambda: employee_advocacy(_SHARES, eligible=10, enps_answers=[11]), DataError, "enps_answers"),
    # a missing influencer (or author) id was dropped with its credit
    (
        lambda: influencer_value(_INFLUENCE.assign(influencer_id=[None, "ann", "bo"]), _WORTH),  # type: ignore[list-item]
        DataError,
        "influencer_id",
    ),
    (
        lambda: knowledge_value(
            pd.DataFrame(
                {"customer_id": [np.nan, "c2"], "idea_id": ["i", "i"], "share": [0.5, 0.5]}
            ),
            pd.Series({"i": 10.0}),
        ),
        DataError,
        "customer_id",
    ),
    (
        lambda: influencer_value(_INFLUENCE.assign(influencer_id=[1, "1", "bo"]), _WORTH),
        DataError,
        "influencer_id",
    ),
    (
        lambda: influencer_value(
            _INFLUENCE.assign(share=[1.0, 1.0, 0.0]), pd.Series({"c1": 1e308, "c2": 1e308})
        ),
        DataError,
        "civ",
    ),
    (
        lambda: customer_engagement_value(pd.Series({"a": 1e308}), crv=pd.Series({"a": 1e308})),
        DataError,
        "clv",
    ),
    (lambda: customer_engagement_value(pd.Series([], dtype=float)), DataError, "clv"),  # type: ignore[arg-type]
    (lambda: customer_engagement_value(pd.Series([1.0], index=[np.nan])), DataError, "clv"),
    (
        lambda: customer_engagement_value(
            pd.Series([1.0, 2.0], index=pd.Index([1, "1"], dtype=object))
        ),
        DataError,
        "clv",
    ),
]


@pytest.mark.parametrize(("call", "error", "name"), REVIEW_CASES)
def test_review_bad_inputs(call, error, name):
    with pytest.raises(error) as info:
        call()
    assert name in str(info.value)


def test_reach_sums_do_not_wrap_around():
    """Three shares of 2^52 reach 3 * 2^52 (an int64 sum of 2^62 each wrapped negative)."""
    k = employee_advocacy(_SHARES.assign(reach=[2**52, 2**52, 2**52]), eligible=10)
    assert k.reach == 3 * 2**52


def test_values_an_int64_series_is_read_and_beyond_float_is_refused_by_row():
    # an object column holding 10**20 (a Python int) raised a raw TypeError from np.isfinite,
    # and 10**400 among the shares a raw OverflowError: now the first is a number, the second
    # a DataError naming the row
    out = customer_engagement_value(pd.Series([10**20, 5], index=["a", "b"], dtype=object))
    assert out.loc["a", "cev"] == 1e20
    with pytest.raises(DataError) as err:
        customer_engagement_value(pd.Series([1.0, 10**400], index=["a", "b"]))
    assert err.value.column == "clv" and err.value.rows == ("b",)
    influence = pd.DataFrame(
        {"influencer_id": ["ann", "bo"], "customer_id": ["c1", "c2"], "share": [1, 10**400]}
    )
    with pytest.raises(DataError) as err:
        influencer_value(influence, pd.Series({"c1": 1.0, "c2": 2.0}))
    assert err.value.column == "share" and err.value.rows == (1,)


@pytest.mark.parametrize(
    "bad", [True, "3", None, pd.NA, 2.5, -1, 2**53, float("nan"), np.float64("inf")]
)
def test_counts_refuse_each_kind_of_non_count_by_row(bad: object):
    shares = pd.DataFrame(
        {
            "employee_id": ["ann", "bo"],
            "reach": pd.Series([5, bad], dtype=object),
            "clicks": [1, 1],
            "conversions": [0, 0],
        }
    )
    with pytest.raises(DataError) as err:
        employee_advocacy(shares, eligible=2)
    assert err.value.column == "reach" and err.value.rows == (1,)


_ODD = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just(10**400),
)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(_ODD, min_size=1, max_size=8))
def test_values_refuse_exactly_the_non_finite_non_numbers(values: list[object]) -> None:
    """The rows refused are, by a direct per-value reading, those that are not a finite real
    number (booleans and text are not numbers; 10**400 is beyond float64)."""

    def ok(v: object) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return False
        try:
            return math.isfinite(float(v))
        except OverflowError:
            return False

    ids = [f"c{i}" for i in range(len(values))]
    clv = pd.Series(values, index=ids, dtype=object)
    bad = tuple(i for i, v in zip(ids, values, strict=True) if not ok(v))
    if bad:
        with pytest.raises(DataError) as err:
            customer_engagement_value(clv)
        assert err.value.column == "clv" and err.value.rows == bad
    else:
        out = customer_engagement_value(clv)
        assert out["clv"].to_dict() == {i: float(v) for i, v in zip(ids, values, strict=True)}  # type: ignore[arg-type]
