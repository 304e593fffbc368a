"""Frequent itemsets and association rules against hand-computed metrics, brute-force
enumeration of every itemset, and the planted rules of the item-level generator."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

from relmark.data import read_items
from relmark.datasets import make_item_transactions
from relmark.decide import (
    AssociationRules,
    FrequentItemsets,
    association_rules,
    frequent_itemsets,
)
from tests.decide.strategies import baskets as basket_lists

# Five baskets:           milk bread eggs
#   1 milk bread            x    x
#   2 milk bread eggs       x    x    x
#   3 milk                  x
#   4 bread eggs                 x    x
#   5 milk bread            x    x
# s(milk) = 4/5, s(bread) = 4/5, s(eggs) = 2/5, s(milk, bread) = 3/5, s(bread, eggs) = 2/5,
# s(milk, eggs) = 1/5, s(milk, bread, eggs) = 1/5.
# bread -> milk: conf = (3/5)/(4/5) = 0.75, lift = 0.75/0.8 = 0.9375,
#   leverage = 0.6 - 0.8*0.8 = -0.04, conviction = (1-0.8)/(1-0.75) = 0.8.
# eggs -> bread: conf = (2/5)/(2/5) = 1, lift = 1/0.8 = 1.25, leverage = 0.4 - 0.4*0.8 = 0.08,
#   conviction = inf (confidence 1).
# bread -> eggs: conf = 0.4/0.8 = 0.5, lift = 0.5/0.4 = 1.25, leverage 0.08,
#   conviction = (1-0.4)/(1-0.5) = 1.2.
HAND = [
    ["milk", "bread"],
    ["milk", "bread", "eggs"],
    ["milk"],
    ["bread", "eggs"],
    ["milk", "bread"],
]


def _rule(
    rules: AssociationRules, ante: tuple[str, ...], cons: tuple[str, ...]
) -> dict[str, float]:
    frame = rules.to_frame()
    mask = [a == ante and c == cons for a, c in zip(*_sides(frame), strict=True)]
    hit = frame[mask]
    assert len(hit) == 1, (ante, cons)
    record: dict[Any, Any] = hit.iloc[0].to_dict()
    return {k: float(v) for k, v in record.items() if k not in ("antecedents", "consequents")}


def _sides(frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    return frame["antecedents"].tolist(), frame["consequents"].tolist()


def test_hand_example_metrics() -> None:
    sets = frequent_itemsets(HAND, min_support=0.2)
    supports = {
        s: float(v)
        for s, v in zip(sets.to_frame()["itemset"], sets.to_frame()["support"], strict=True)
    }
    assert supports[("milk",)] == pytest.approx(0.8)
    assert supports[("bread", "milk")] == pytest.approx(0.6)
    assert supports[("bread", "eggs", "milk")] == pytest.approx(0.2)
    rules = association_rules(sets, min_confidence=0.0)
    r = _rule(rules, ("bread",), ("milk",))
    assert r["confidence"] == pytest.approx(0.75)
    assert r["lift"] == pytest.approx(0.9375)
    assert r["leverage"] == pytest.approx(-0.04)
    assert r["conviction"] == pytest.approx(0.8)
    r = _rule(rules, ("eggs",), ("bread",))
    assert r["confidence"] == pytest.approx(1.0)
    assert r["lift"] == pytest.approx(1.25)
    assert r["leverage"] == pytest.approx(0.08)
    assert math.isinf(r["conviction"])
    r = _rule(rules, ("bread",), ("eggs",))
    assert (r["confidence"], r["lift"], r["conviction"]) == pytest.approx((0.5, 1.25, 1.2))


def test_filters_and_order() -> None:
    sets = frequent_itemsets(HAND, min_support=0.2)
    rules = association_rules(sets, min_confidence=0.6, min_lift=1.0)
    assert (rules.confidence >= 0.6).all() and (rules.lift >= 1.0).all()
    assert np.all(np.diff(rules.lift) <= 1e-12)  # by descending lift
    # max_len=1 gives single items only, hence no rules
    only = frequent_itemsets(HAND, min_support=0.2, max_len=1)
    assert {len(s) for s in only.itemsets} == {1}
    assert len(association_rules(only).support) == 0


def _brute_force(baskets: list[list[str]], min_support: float) -> dict[tuple[str, ...], int]:
    items = sorted({i for b in baskets for i in b})
    sets = [set(b) for b in baskets]
    need = math.ceil(min_support * len(baskets) - 1e-9 * len(baskets))
    out = {}
    for k in range(1, len(items) + 1):
        for combo in itertools.combinations(items, k):
            c = sum(1 for b in sets if set(combo) <= b)
            if c >= max(need, 1):
                out[combo] = c
    return out


@settings(max_examples=60, deadline=None)
@given(basket_lists())
def test_itemsets_equal_brute_force(baskets: list[list[str]]) -> None:
    for min_support in (0.1, 0.3, 0.6):
        sets = frequent_itemsets(baskets, min_support=min_support)
        got = dict(zip(sets.to_frame()["itemset"], sets.to_frame()["count"].tolist(), strict=True))
        assert got == _brute_force(baskets, min_support)


@settings(max_examples=40, deadline=None)
@given(basket_lists())
def test_rules_equal_brute_force(baskets: list[list[str]]) -> None:
    n = len(baskets)
    truth = _brute_force(baskets, 0.1)
    rules = association_rules(frequent_itemsets(baskets, min_support=0.1), min_confidence=0.3)
    expected = {}
    for s, c in truth.items():
        for k in range(1, len(s)):
            for x in itertools.combinations(s, k):
                y = tuple(i for i in s if i not in x)
                conf = c / truth[x]
                if conf >= 0.3:
                    expected[(x, y)] = (
                        conf,
                        conf / (truth[y] / n),
                        c / n - truth[x] * truth[y] / n**2,
                    )
    frame = rules.to_frame()
    got = {
        (a, b): (cf, lf, lv)
        for a, b, cf, lf, lv in zip(
            frame["antecedents"],
            frame["consequents"],
            frame["confidence"],
            frame["lift"],
            frame["leverage"],
            strict=True,
        )
    }
    assert got.keys() == expected.keys()
    for key, values in expected.items():
        assert got[key] == pytest.approx(values)


def test_matrix_and_item_log_inputs_agree() -> None:
    log = read_items(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "item": ["a", "b", "a", "b", "a"],
            "order": [1, 1, 2, 2, 3],
        },
        basket="order",
    )
    from_log = frequent_itemsets(log, min_support=0.5)
    matrix = sp.csr_matrix(np.array([[1, 1], [2, 1], [1, 0]]))  # a count of 2 is one purchase
    from_matrix = frequent_itemsets(matrix, min_support=0.5, items=["a", "b"])
    assert from_log.to_frame().equals(from_matrix.to_frame())
    assert from_log.to_frame()["count"].tolist() == [3, 2, 2]


def test_recovers_planted_rules() -> None:
    """Simulation with known truth: the generator's closed-form supports, confidences and lifts
    (relmark.datasets.items) are recovered within sampling error on 40,000 baskets."""
    data = make_item_transactions(40_000, n_items=30, rng=5)
    log = read_items(data.transactions, basket="basket_id")
    rules = association_rules(
        frequent_itemsets(log, min_support=0.01, max_len=2), min_confidence=0.3
    )
    truth: list[dict[Any, Any]] = data.planted.to_dict("records")
    for row in truth:
        r = _rule(rules, (row["antecedent"],), (row["consequent"],))
        n_a = row["antecedent_support"] * log.n_baskets
        se = math.sqrt(row["confidence"] * (1 - row["confidence"]) / n_a)
        assert abs(r["confidence"] - row["confidence"]) < 4 * se
        assert r["support"] == pytest.approx(row["support"], rel=0.1)
        assert r["lift"] == pytest.approx(row["lift"], rel=0.1)
    # no rule between free items clears lift 2: they are independent
    frame = rules.to_frame()
    planted = set(zip(data.planted["antecedent"], data.planted["consequent"], strict=True))
    planted |= {(b, a) for a, b in planted}
    others = frame[
        [
            (a[0], c[0]) not in planted
            for a, c in zip(frame["antecedents"], frame["consequents"], strict=True)
        ]
    ]
    assert (others["lift"] < 2).all()


def test_json_round_trip() -> None:
    sets = frequent_itemsets(HAND, min_support=0.2)
    again = FrequentItemsets.from_json(sets.to_json())
    assert again == sets
    rules = association_rules(sets, min_confidence=0.0)
    back = AssociationRules.from_json(rules.to_json())
    assert back.to_frame().equals(rules.to_frame())
    assert math.isinf(float(back.conviction.max()))
