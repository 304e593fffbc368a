"""Item-to-item similarities and per-customer recommendations against a dense brute-force
computation with numpy (every pair, every customer)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.data import read_items
from relmark.decide import ItemSimilarity, item_similarity, recommend_items


def _dense_similarity(x: Any, measure: str, min_count: int) -> Any:
    b = (np.asarray(x) > 0).astype(float)
    co = b.T @ b
    n_i = np.diag(co).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "cosine":
            s = co / np.sqrt(np.outer(n_i, n_i))
        elif measure == "lift":
            s = b.shape[0] * co / np.outer(n_i, n_i)
        else:
            s = co / n_i[:, None]
    s[(co < min_count) | (co == 0)] = 0.0
    np.fill_diagonal(s, 0.0)
    return s, co


def _dense_top(s: Any, k: int) -> list[list[tuple[int, float]]]:
    """Each row's k best (score desc, column asc), zero scores excluded."""
    out = []
    for row in s:
        order = sorted((j for j in range(len(row)) if row[j] > 0), key=lambda j: (-row[j], j))
        out.append([(j, float(row[j])) for j in order[:k]])
    return out


matrices = st.integers(2, 12).flatmap(
    lambda m: st.lists(st.lists(st.integers(0, 2), min_size=m, max_size=m), min_size=1, max_size=25)
)


@settings(max_examples=40, deadline=None)
@given(
    matrices,
    st.sampled_from(["cosine", "lift", "confidence"]),
    st.integers(1, 4),
    st.integers(1, 2),
)
def test_similarity_equals_dense(rows: list[list[int]], measure: str, k: int, least: int) -> None:
    x = np.array(rows)
    sim = item_similarity(sp.csr_matrix(x), measure=measure, top_k=k, min_count=least)
    s, co = _dense_similarity(x, measure, least)
    frame = sim.to_frame()
    for i, expected in enumerate(_dense_top(s, k)):
        got = frame[frame["item"] == i]
        assert got["neighbor"].tolist() == [j for j, _ in expected]
        assert got["score"].to_numpy() == pytest.approx([v for _, v in expected])
        assert got["count"].tolist() == [int(co[i, j]) for j, _ in expected]
        assert got["rank"].tolist() == list(range(1, len(expected) + 1))


@settings(max_examples=40, deadline=None)
@given(matrices, st.sampled_from(["sum", "max"]), st.integers(1, 3))
def test_recommendations_equal_dense(rows: list[list[int]], aggregate: str, k: int) -> None:
    x = np.array(rows)
    sim = item_similarity(sp.csr_matrix(x), top_k=3)
    kept = sim.matrix().toarray()
    b = x > 0
    if aggregate == "sum":
        score = b.astype(float) @ kept
    else:
        score = np.max(np.where(b[:, :, None], kept[None, :, :], 0.0), axis=1)
    score[b] = 0.0
    recs = recommend_items(sim, sp.csr_matrix(x), top_k=k, aggregate=aggregate, block=4)
    for c in range(x.shape[0]):
        got = recs[recs["customer_id"] == c]
        positive = np.flatnonzero(score[c] > 0)
        assert len(got) == min(k, positive.shape[0])
        assert not b[c, got["item"].to_numpy(dtype=int)].any()  # nothing already bought
        assert got["score"].to_numpy() == pytest.approx(score[c, got["item"].to_numpy(dtype=int)])
        if len(got):
            floor = float(got["score"].min())
            left = np.setdiff1d(positive, got["item"].to_numpy(dtype=int))
            assert (score[c, left] <= floor + 1e-12).all()
            for item, because in zip(got["item"], got["because"], strict=True):
                contributions = np.where(b[c], kept[:, item], 0.0)
                assert b[c, because]
                assert contributions[because] == pytest.approx(contributions.max())


def test_hand_example() -> None:
    # ann: tea, cups; bob: tea, cups, jam; cy: jam; dee: tea (n_tea 3, n_cups 2, n_jam 2)
    # C(tea, cups) = 2, C(tea, jam) = 1, C(cups, jam) = 1, N = 4
    # cosine(tea, cups) = 2/sqrt(3*2) = 0.8165; lift(tea, cups) = 4*2/(3*2) = 1.3333
    # confidence(jam -> cups) = 1/2; confidence(tea -> cups) = 2/3
    log = read_items(
        {
            "customer_id": ["ann", "ann", "bob", "bob", "bob", "cy", "dee"],
            "item": ["tea", "cups", "tea", "cups", "jam", "jam", "tea"],
        }
    )
    cos = item_similarity(log).to_frame().set_index(["item", "neighbor"])["score"]
    assert cos["tea", "cups"] == pytest.approx(2 / np.sqrt(6))
    lift = item_similarity(log, measure="lift").to_frame().set_index(["item", "neighbor"])["score"]
    assert lift["tea", "cups"] == pytest.approx(4 / 3)
    assert lift["jam", "tea"] == pytest.approx(4 * 1 / (2 * 3))
    conf = item_similarity(log, measure="confidence")
    c = conf.to_frame().set_index(["item", "neighbor"])["score"]
    assert (c["jam", "cups"], c["tea", "cups"]) == pytest.approx((0.5, 2 / 3))
    # dee (tea only): cups by max confidence 2/3, jam 1/3
    recs = recommend_items(conf, log, aggregate="max")
    dee = recs[recs["customer_id"] == "dee"]
    assert dee["item"].tolist() == ["cups", "jam"]
    assert dee["score"].to_numpy() == pytest.approx([2 / 3, 1 / 3])
    assert set(dee["because"]) == {"tea"}
    assert recs[recs["customer_id"] == "bob"].empty  # bob bought everything


def test_json_round_trip() -> None:
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]]))
    sim = item_similarity(x, measure="lift", items=["a", "b", "c"])
    back = ItemSimilarity.from_json(sim.to_json())
    assert back.to_frame().equals(sim.to_frame())
    assert back.measure == "lift"
