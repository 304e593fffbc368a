"""Bad inputs to association rules and item-to-item recommendations: each raises a relmark
error naming the argument or column (no raw numpy, scipy or pandas errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import relmark.decide
from relmark.data import read_items
from relmark.errors import ArgumentError, DataError, SchemaError

_D: Any = relmark.decide  # untyped: the cases pass what the signatures forbid
B = [["a", "b"], ["a"], ["b", "c"]]
X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]]))
SETS = _D.frequent_itemsets(B, min_support=0.3)
SIM = _D.item_similarity(X)


def _name(err: BaseException) -> str:
    return str(
        getattr(err, "argument", None) or getattr(err, "column", None) or getattr(err, "key", "")
    )


CASES: list[tuple[str, type[Exception], str, Callable[[], object]]] = [
    ("support 0", ArgumentError, "min_support", lambda: _D.frequent_itemsets(B, min_support=0)),
    ("support > 1", ArgumentError, "min_support", lambda: _D.frequent_itemsets(B, min_support=1.5)),
    (
        "support nan",
        ArgumentError,
        "min_support",
        lambda: _D.frequent_itemsets(B, min_support=float("nan")),
    ),
    (
        "support text",
        ArgumentError,
        "min_support",
        lambda: _D.frequent_itemsets(B, min_support="0.1"),
    ),
    (
        "max_len 0",
        ArgumentError,
        "max_len",
        lambda: _D.frequent_itemsets(B, min_support=0.1, max_len=0),
    ),
    (
        "max_len 1.5",
        ArgumentError,
        "max_len",
        lambda: _D.frequent_itemsets(B, min_support=0.1, max_len=1.5),
    ),
    ("baskets text", ArgumentError, "baskets", lambda: _D.frequent_itemsets("ab", min_support=0.1)),
    ("baskets number", ArgumentError, "baskets", lambda: _D.frequent_itemsets(3, min_support=0.1)),
    ("no baskets", DataError, "baskets", lambda: _D.frequent_itemsets([], min_support=0.1)),
    (
        "basket not a collection",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets([["a"], 5], min_support=0.1),
    ),
    ("basket is text", DataError, "baskets", lambda: _D.frequent_itemsets(["ab"], min_support=0.1)),
    (
        "missing item",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets([["a", None]], min_support=0.1),
    ),
    (
        "mixed items",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets([["a", 1]], min_support=0.1),
    ),
    (
        "negative matrix",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets(sp.csr_matrix(np.array([[1, -1]])), min_support=0.1),
    ),
    (
        "nan matrix",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets(sp.csr_matrix(np.array([[1.0, np.nan]])), min_support=0.1),
    ),
    (
        "labels length",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(X, min_support=0.1, items=["a"]),
    ),
    (
        "labels repeat",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(X, min_support=0.1, items=["a", "a", "b"]),
    ),
    (
        "labels with list",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(B, min_support=0.1, items=["a"]),
    ),
    (
        "labels with log",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(
            read_items({"customer_id": [1], "item": ["a"]}), min_support=0.1, items=["a"]
        ),
    ),
    ("rules of a frame", ArgumentError, "itemsets", lambda: _D.association_rules(B)),
    (
        "confidence > 1",
        ArgumentError,
        "min_confidence",
        lambda: _D.association_rules(SETS, min_confidence=2),
    ),
    (
        "confidence nan",
        ArgumentError,
        "min_confidence",
        lambda: _D.association_rules(SETS, min_confidence=float("nan")),
    ),
    ("lift negative", ArgumentError, "min_lift", lambda: _D.association_rules(SETS, min_lift=-1)),
    (
        "lift inf",
        ArgumentError,
        "min_lift",
        lambda: _D.association_rules(SETS, min_lift=float("inf")),
    ),
    (
        "itemsets json",
        SchemaError,
        "schema",
        lambda: _D.FrequentItemsets.from_json('{"schema": 2}'),
    ),
    (
        "itemsets json keys",
        SchemaError,
        "items",
        lambda: _D.FrequentItemsets.from_json('{"schema": 1}'),
    ),
    ("rules json", SchemaError, "", lambda: _D.AssociationRules.from_json("not json")),
    ("measure", ArgumentError, "measure", lambda: _D.item_similarity(X, measure="jaccard")),
    ("top_k 0", ArgumentError, "top_k", lambda: _D.item_similarity(X, top_k=0)),
    ("min_count 0", ArgumentError, "min_count", lambda: _D.item_similarity(X, min_count=0)),
    ("purchases list", ArgumentError, "purchases", lambda: _D.item_similarity(B)),
    (
        "purchases negative",
        DataError,
        "purchases",
        lambda: _D.item_similarity(sp.csr_matrix(np.array([[1, -2]]))),
    ),
    ("similarity kind", ArgumentError, "similarity", lambda: _D.recommend_items(X, X)),
    ("recommend top_k", ArgumentError, "top_k", lambda: _D.recommend_items(SIM, X, top_k=-1)),
    ("aggregate", ArgumentError, "aggregate", lambda: _D.recommend_items(SIM, X, aggregate="mean")),
    ("block", ArgumentError, "block", lambda: _D.recommend_items(SIM, X, block=0)),
    (
        "columns",
        ArgumentError,
        "items",
        lambda: _D.recommend_items(SIM, sp.csr_matrix(np.ones((2, 4)))),
    ),
    (
        "customer ids",
        ArgumentError,
        "customer_ids",
        lambda: _D.recommend_items(SIM, X, customer_ids=["a"]),
    ),
    (
        "similarity json",
        SchemaError,
        "indptr",
        lambda: _D.ItemSimilarity.from_json(SIM.to_json().replace('"indptr": [0', '"indptr": [1')),
    ),
]


@pytest.mark.parametrize(("case", "error", "name", "call"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    case: str, error: type[Exception], name: str, call: Callable[[], object]
) -> None:
    with pytest.raises(error) as err:
        call()
    assert _name(err.value) == name, (case, err.value)


def test_tampered_rules_json_names_the_key() -> None:
    rules = _D.association_rules(SETS, min_confidence=0.0)
    text = rules.to_json().replace('"lift": [', '"lift": [1.0, ')
    with pytest.raises(SchemaError) as err:
        _D.AssociationRules.from_json(text)
    assert err.value.key == "lift"
    with pytest.raises(SchemaError) as err:
        _D.ItemSimilarity.from_json(SIM.to_json().replace('"cosine"', '"jaccard"'))
    assert err.value.key == "measure"
