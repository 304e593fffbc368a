"""Bad inputs to association rules and item-to-item recommendations: each raises a relmark
error naming the argument or column (no raw numpy, scipy or pandas errors)."""

from __future__ import annotations

import json
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
        "purchases",  # recommend_items has no argument ``items``: the matrix is at fault
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


# ---------------------------------------------------------------- adversarial review (round 3)
def _itemsets_json(**changes: object) -> str:
    import json

    d = json.loads(SETS.to_json())
    d.update(changes)
    return json.dumps(d)


def _rules_json(**changes: object) -> str:
    import json

    d = json.loads(_D.association_rules(SETS, min_confidence=0.0).to_json())
    d.update(changes)
    return json.dumps(d)


def _sim_json(**changes: object) -> str:
    import json

    d = json.loads(SIM.to_json())
    d.update(changes)
    return json.dumps(d)


_N_SETS = len(SETS.itemsets)
_N_RULES = len(_D.association_rules(SETS, min_confidence=0.0).antecedents)
_N_SIM = SIM.neighbor.shape[0]

REVIEW: list[tuple[str, type[Exception], str, Callable[[], object]]] = [
    # a dense 0/1 array was read as baskets of the labels 0 and 1
    (
        "dense array",
        ArgumentError,
        "baskets",
        lambda: _D.frequent_itemsets(X.toarray(), min_support=0.5),
    ),
    # a float32 NaN item reached the sparse constructor (negative index)
    (
        "float32 nan item",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets([[1.0, np.float32("nan")]], min_support=0.5),
    ),
    (
        "unhashable item",
        DataError,
        "baskets",
        lambda: _D.frequent_itemsets([["a", ["b"]]], min_support=0.5),
    ),
    # items="ab" was split into the labels "a" and "b"
    (
        "items text",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(X, min_support=0.5, items="abc"),
    ),
    (
        "items unhashable",
        ArgumentError,
        "items",
        lambda: _D.frequent_itemsets(X, min_support=0.5, items=[["a"], ["b"], ["c"]]),
    ),
    # tampered FrequentItemsets JSON was accepted, then broke association_rules
    (
        "itemsets n 0",
        SchemaError,
        "n_baskets",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(n_baskets=0)),
    ),
    (
        "itemsets n bool",
        SchemaError,
        "n_baskets",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(n_baskets=True)),
    ),
    (
        "itemsets n text",
        SchemaError,
        "n_baskets",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(n_baskets="3")),
    ),
    (
        "itemsets counts negative",
        SchemaError,
        "counts",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(counts=[-1] * _N_SETS)),
    ),
    (
        "itemsets counts > n",
        SchemaError,
        "counts",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(counts=[99] * _N_SETS)),
    ),
    (
        "itemsets min_support",
        SchemaError,
        "min_support",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(min_support=5)),
    ),
    (
        "itemsets max_len",
        SchemaError,
        "max_len",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(max_len="x")),
    ),
    (
        "itemsets items text",
        SchemaError,
        "items",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(items="abc")),
    ),
    (
        "itemsets items repeat",
        SchemaError,
        "items",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(items=["a", "a", "b"])),
    ),
    (
        "itemsets not a list",
        SchemaError,
        "itemsets",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(itemsets=5)),
    ),
    (
        "itemsets subset missing",
        SchemaError,
        "itemsets",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(itemsets=[[0, 1]], counts=[1])),
    ),
    (
        "itemsets extra key",
        SchemaError,
        "extra",
        lambda: _D.FrequentItemsets.from_json(_itemsets_json(extra=1)),
    ),
    (
        "rules from hand-built itemsets",
        ArgumentError,
        "itemsets",
        lambda: _D.association_rules(
            _D.FrequentItemsets(("a", "b"), ((0, 1),), (1,), 3, 0.3, None)
        ),
    ),
    (
        "rules with no baskets",
        ArgumentError,
        "itemsets",
        lambda: _D.association_rules(_D.FrequentItemsets(("a",), ((0,),), (1,), 0, 0.3, None)),
    ),
    # tampered AssociationRules JSON was accepted (NaN, text, out-of-range positions)
    (
        "rules NaN lift",
        SchemaError,
        "lift",
        lambda: _D.AssociationRules.from_json(_rules_json(lift=[float("nan")] * _N_RULES)),
    ),
    (
        "rules text lift",
        SchemaError,
        "lift",
        lambda: _D.AssociationRules.from_json(_rules_json(lift=["1"] * _N_RULES)),
    ),
    (
        "rules null lift",
        SchemaError,
        "lift",
        lambda: _D.AssociationRules.from_json(_rules_json(lift=[None] * _N_RULES)),
    ),
    (
        "rules position out of range",
        SchemaError,
        "antecedents",
        lambda: _D.AssociationRules.from_json(_rules_json(antecedents=[[99]] * _N_RULES)),
    ),
    (
        "rules negative support",
        SchemaError,
        "support",
        lambda: _D.AssociationRules.from_json(_rules_json(support=[-0.5] * _N_RULES)),
    ),
    (
        "rules min_confidence",
        SchemaError,
        "min_confidence",
        lambda: _D.AssociationRules.from_json(_rules_json(min_confidence=2)),
    ),
    (
        "rules n_baskets",
        SchemaError,
        "n_baskets",
        lambda: _D.AssociationRules.from_json(_rules_json(n_baskets=-1)),
    ),
    # tampered ItemSimilarity JSON was accepted (NaN or negative scores made NaN recommendations)
    (
        "similarity NaN score",
        SchemaError,
        "score",
        lambda: _D.ItemSimilarity.from_json(_sim_json(score=[float("nan")] * _N_SIM)),
    ),
    (
        "similarity negative score",
        SchemaError,
        "score",
        lambda: _D.ItemSimilarity.from_json(_sim_json(score=[-1.0] * _N_SIM)),
    ),
    (
        "similarity text score",
        SchemaError,
        "score",
        lambda: _D.ItemSimilarity.from_json(_sim_json(score=["a"] * _N_SIM)),
    ),
    (
        "similarity negative count",
        SchemaError,
        "count",
        lambda: _D.ItemSimilarity.from_json(_sim_json(count=[-1] * _N_SIM)),
    ),
    (
        "similarity top_k",
        SchemaError,
        "top_k",
        lambda: _D.ItemSimilarity.from_json(_sim_json(top_k=0)),
    ),
    (
        "similarity n_customers",
        SchemaError,
        "n_customers",
        lambda: _D.ItemSimilarity.from_json(_sim_json(n_customers=-1)),
    ),
    (
        "similarity items text",
        SchemaError,
        "items",
        lambda: _D.ItemSimilarity.from_json(_sim_json(items="abc")),
    ),
    (
        "similarity self",
        SchemaError,
        "neighbor",
        lambda: _D.ItemSimilarity.from_json(_sim_json(neighbor=[0] * _N_SIM)),
    ),
    # repeated customer ids made two customers' recommendations indistinguishable
    (
        "customer ids repeat",
        ArgumentError,
        "customer_ids",
        lambda: _D.recommend_items(SIM, X, customer_ids=["a", "a", "b"]),
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


def test_nonzero_entries_are_purchases() -> None:
    """0.3, 256 (which wrapped to 0 in int8) and 1e300 are purchases: counts by hand 3, 1."""
    m = sp.csr_matrix(np.array([[0.3, 0.0], [256.0, 1.0], [1e300, 0.0]]))
    sets = _D.frequent_itemsets(m, min_support=0.5)  # 2 of 3 baskets
    assert dict(zip(sets.itemsets, sets.counts, strict=True)) == {(0,): 3}
    assert _D.item_similarity(m, measure="confidence").count.tolist() == [1, 1]


def test_tampered_json_round_trips_when_untouched() -> None:
    rules = _D.association_rules(SETS, min_confidence=0.0)
    assert _D.FrequentItemsets.from_json(SETS.to_json()) == SETS
    assert _D.AssociationRules.from_json(rules.to_json()).to_frame().equals(rules.to_frame())
    assert _D.ItemSimilarity.from_json(SIM.to_json()).to_frame().equals(SIM.to_frame())


def test_labels_json() -> None:
    """Float labels round-trip; labels JSON cannot hold (Timestamps) raised a raw TypeError."""
    import pandas as pd

    sets = _D.frequent_itemsets([[1.5, 2.5], [1.5, 2.5]], min_support=0.5)
    assert _D.FrequentItemsets.from_json(sets.to_json()) == sets
    rules = _D.association_rules(sets)
    assert _D.AssociationRules.from_json(rules.to_json()).items == (1.5, 2.5)
    dated = _D.frequent_itemsets([[pd.Timestamp("2024-01-01")]], min_support=0.5)
    with pytest.raises(DataError) as err:
        dated.to_json()
    assert err.value.column == "items"
    log = read_items(
        pd.DataFrame(
            {"customer_id": ["a", "a"], "item": pd.to_datetime(["2024-01-01", "2024-01-02"])}
        )
    )
    with pytest.raises(DataError) as err:
        _D.item_similarity(log).to_json()
    assert err.value.column == "items"


# an integer literal beyond float64 (400 digits) in saved JSON raised a raw OverflowError from
# math.isfinite / math.isnan / numpy: now the SchemaError naming the key
_HUGE = 10**400


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("min_support", lambda: _itemsets_json(min_support=_HUGE)),
        ("items", lambda: _itemsets_json(items=["a", _HUGE, "c"])),
        ("lift", lambda: _rules_json(lift=[_HUGE] * len(json.loads(_rules_json())["lift"]))),
        ("min_lift", lambda: _rules_json(min_lift=_HUGE)),
    ],
)
def test_json_integer_beyond_float_names_the_key(key: str, text: Callable[[], str]) -> None:
    cls = _D.FrequentItemsets if key in ("min_support", "items") else _D.AssociationRules
    with pytest.raises(SchemaError) as err:
        cls.from_json(text())
    assert err.value.key == key


def test_similarity_json_score_beyond_float_names_the_key() -> None:
    d = json.loads(SIM.to_json())
    d["score"] = [_HUGE] * len(d["score"])
    with pytest.raises(SchemaError) as err:
        _D.ItemSimilarity.from_json(json.dumps(d))
    assert err.value.key == "score"


# ---------------------------------------------------------------- adversarial review (round 4)
def _with(text: str, key: str, position: int | None, value: object) -> str:
    d = json.loads(text)
    if position is None:
        d[key] = value
    else:
        d[key][position] = value
    return json.dumps(d)


@pytest.mark.parametrize(
    ("cls", "text", "key", "position"),
    [
        # a 400-digit whole number: a raw OverflowError (n_baskets, in the float arithmetic;
        # indptr/neighbor/count, in the int64 arrays), or accepted (max_len, top_k, ...)
        ("FrequentItemsets", lambda: SETS.to_json(), "n_baskets", None),
        ("FrequentItemsets", lambda: SETS.to_json(), "max_len", None),
        ("FrequentItemsets", lambda: SETS.to_json(), "counts", 0),
        ("AssociationRules", lambda: _rules_json(), "n_baskets", None),
        ("ItemSimilarity", lambda: SIM.to_json(), "indptr", 0),
        ("ItemSimilarity", lambda: SIM.to_json(), "neighbor", 0),
        ("ItemSimilarity", lambda: SIM.to_json(), "count", 0),
        ("ItemSimilarity", lambda: SIM.to_json(), "top_k", None),
        ("ItemSimilarity", lambda: SIM.to_json(), "n_customers", None),
    ],
)
def test_json_whole_number_beyond_2_53_names_the_key(
    cls: str, text: Callable[[], str], key: str, position: int | None
) -> None:
    with pytest.raises(SchemaError) as err:
        getattr(_D, cls).from_json(_with(text(), key, position, _HUGE))
    assert err.value.key == key
    with pytest.raises(SchemaError) as err:
        getattr(_D, cls).from_json(_with(text(), key, position, 2**53))
    assert err.value.key == key


@pytest.mark.parametrize("schema", [True, 1.0])
@pytest.mark.parametrize("cls", ["FrequentItemsets", "AssociationRules", "ItemSimilarity"])
def test_json_schema_version_must_be_the_integer(cls: str, schema: object) -> None:
    # true and 1.0 equal 1 in Python: they were read as schema version 1
    text = {"FrequentItemsets": SETS.to_json, "ItemSimilarity": SIM.to_json}.get(cls, _rules_json)()
    with pytest.raises(SchemaError) as err:
        getattr(_D, cls).from_json(_with(text, "schema", None, schema))
    assert err.value.key == "schema"


def test_json_negative_conviction_names_conviction() -> None:
    # named 'lift' before
    d = json.loads(_rules_json())
    d["conviction"][0] = -1.0
    with pytest.raises(SchemaError, match=">= 0") as err:
        _D.AssociationRules.from_json(json.dumps(d))
    assert err.value.key == "conviction"


def test_rules_and_similarities_compare_with_eq() -> None:
    # the dataclass == compared numpy arrays as a tuple: a raw ValueError ("truth value of an
    # array is ambiguous") on any two rule sets or similarity tables
    rules = _D.association_rules(SETS, min_confidence=0.0)
    assert _D.AssociationRules.from_json(rules.to_json()) == rules
    assert _D.ItemSimilarity.from_json(SIM.to_json()) == SIM
    other = _D.association_rules(SETS, min_confidence=0.9)
    assert rules != other
    assert _D.item_similarity(X, top_k=1) != SIM
    assert rules != SIM and SIM != "SIM"
