"""The item-level generator: its closed-form truth against the simulated baskets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from relmark.data import read_items
from relmark.datasets import make_item_transactions
from relmark.errors import ArgumentError


def test_truth_matches_simulation() -> None:
    data = make_item_transactions(60_000, n_items=20, rng=3)
    log = read_items(data.transactions, basket="basket_id", category="category")
    x = log.basket_matrix().toarray().astype(bool)
    col = {name: j for j, name in enumerate(log.items.tolist())}
    n = x.shape[0]
    for row in data.planted.to_dict("records"):
        a, b = x[:, col[row["antecedent"]]], x[:, col[row["consequent"]]]
        s_a, s_ab = a.mean(), (a & b).mean()
        se = math.sqrt(row["support"] * (1 - row["support"]) / n)
        assert s_ab == pytest.approx(row["support"], abs=4 * se)
        assert s_a == pytest.approx(row["antecedent_support"], rel=0.05)
        assert s_ab / s_a == pytest.approx(row["confidence"], rel=0.05)
        assert s_ab / s_a / b.mean() == pytest.approx(row["lift"], rel=0.06)
    # no empty baskets in the log; every line's category is its item's
    assert x.any(axis=1).all()
    cats = dict(zip(data.catalog["item"], data.catalog["category"], strict=True))
    assert all(
        cats[i] == c
        for i, c in zip(data.transactions["item"], data.transactions["category"], strict=True)
    )


def test_reproducible_and_shaped() -> None:
    one = make_item_transactions(500, rng=np.random.default_rng(9))
    two = make_item_transactions(500, rng=9)
    assert one.transactions.equals(two.transactions)
    assert list(one.transactions.columns) == [
        "customer_id",
        "basket_id",
        "date",
        "item",
        "category",
        "price",
    ]
    assert (one.catalog["margin"] < one.catalog["price"]).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_baskets": 0}, "n_baskets"),
        ({"n_items": 1}, "n_items"),
        ({"base_support": 0.0}, "base_support"),
        ({"base_support": float("nan")}, "base_support"),
        ({"rules": [(0, 0, 0.5)]}, "rules"),
        ({"rules": [(0, 1, 1.5)]}, "rules"),
        ({"rules": [(0, 1, 0.5), (1, 2, 0.5)]}, "rules"),
        ({"rules": [(0, 99, 0.5)]}, "rules"),
        ({"rng": "seed"}, "rng"),
        ({"days": 0}, "days"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ArgumentError) as err:
        make_item_transactions(**kwargs)  # type: ignore[arg-type]
    assert err.value.argument == name
