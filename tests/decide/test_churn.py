"""Churn labels and thresholds against hand-computed confusion tables, scikit-learn and
an end-to-end CDNOW split whose holdout churn is recomputed from the raw log."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, ParetoNBD
from relmark.data import RFMSummary, calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions
from relmark.decide import (
    ChurnThresholds,
    choose_churn_threshold,
    churn_by_inactivity,
    churn_by_p_alive,
    churn_threshold_from_holdout,
    holdout_churned,
)

P = [0.05, 0.2, 0.3, 0.6, 0.9]
Y = [True, True, False, True, False]
TS = [0.1, 0.25, 0.5, 0.95]
# Hand tables ("churned when p < t"):
#  t=0.10: flag {0.05}            TP1 FP0 FN2 TN2  prec 1    rec 1/3  F1 2/4 = 0.5
#  t=0.25: flag {0.05, 0.2}       TP2 FP0 FN1 TN2  prec 1    rec 2/3  F1 4/5 = 0.8
#  t=0.50: flag {0.05, 0.2, 0.3}  TP2 FP1 FN1 TN1  prec 2/3  rec 2/3  F1 4/6
#  t=0.95: flag all               TP3 FP2 FN0 TN0  prec 3/5  rec 1    F1 6/8 = 0.75


def test_hand_confusion_tables_and_f1_choice() -> None:
    r = choose_churn_threshold(P, Y, thresholds=TS)
    assert r.thresholds == tuple(TS)
    assert r.true_positives == (1, 2, 2, 3)
    assert r.false_positives == (0, 0, 1, 2)
    assert r.false_negatives == (2, 1, 1, 0)
    assert r.true_negatives == (2, 2, 1, 0)
    assert r.precision == pytest.approx((1.0, 1.0, 2 / 3, 0.6))
    assert r.recall == pytest.approx((1 / 3, 2 / 3, 2 / 3, 1.0))
    assert r.f1 == pytest.approx((0.5, 0.8, 2 / 3, 0.75))
    assert r.threshold == 0.25
    assert r.chosen["precision"] == 1.0


def test_hand_cost_choice() -> None:
    # cost = c_fp FP + c_fn FN; with c_fp=1, c_fn=5: 10, 5, 6, 2 -> t = 0.95
    r = choose_churn_threshold(
        P, Y, thresholds=TS, criterion="cost", cost_false_positive=1, cost_false_negative=5
    )
    assert r.cost == (10.0, 5.0, 6.0, 2.0)
    assert r.threshold == 0.95
    # with c_fp=5, c_fn=1: 2, 1, 6, 10 -> t = 0.25
    r = choose_churn_threshold(
        P, Y, thresholds=TS, criterion="cost", cost_false_positive=5, cost_false_negative=1
    )
    assert r.cost == (2.0, 1.0, 6.0, 10.0)
    assert r.threshold == 0.25


def test_ties_smallest_threshold_and_strict_inequality() -> None:
    # p equal to t is not flagged; thresholds 0.3 and 0.35 flag the same set
    r = choose_churn_threshold([0.3, 0.7], [True, False], thresholds=[0.35, 0.3, 0.5])
    assert r.thresholds == (0.3, 0.35, 0.5)
    assert r.true_positives == (0, 1, 1)
    assert r.threshold == 0.35


def test_nobody_flagged_gives_zero_precision_not_nan() -> None:
    r = choose_churn_threshold([0.5, 0.6], [False, False], thresholds=[0.0, 1.0])
    assert r.precision == (0.0, 0.0)
    assert r.recall == (0.0, 0.0)
    assert r.f1 == (0.0, 0.0)
    assert r.threshold == 0.0
    json.loads(r.to_json())


def test_default_grid_and_json_round_trip() -> None:
    r = choose_churn_threshold(P, Y)
    assert len(r.thresholds) == 101
    assert r.thresholds[0] == 0.0 and r.thresholds[-1] == 1.0
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in r.to_dict().items()
    }
    back = ChurnThresholds(**fields)
    assert back == r
    frame = r.to_frame()
    assert list(frame.columns)[:2] == ["threshold", "true_positives"]
    assert len(frame) == 101


def test_against_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    p = rng.random(500)
    y = rng.random(500) < 1 - p  # low P(alive) churns more
    ts = [0.2, 0.4, 0.6]
    r = choose_churn_threshold(p, y, thresholds=ts)
    for j, t in enumerate(ts):
        pred = p < t
        tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[False, True]).ravel()
        assert (r.true_positives[j], r.false_positives[j]) == (tp, fp)
        assert (r.false_negatives[j], r.true_negatives[j]) == (fn, tn)
        assert r.precision[j] == pytest.approx(metrics.precision_score(y, pred))
        assert r.recall[j] == pytest.approx(metrics.recall_score(y, pred))
        assert r.f1[j] == pytest.approx(metrics.f1_score(y, pred))


def test_inactivity_by_hand() -> None:
    # time since last purchase T - recency: 2, 28, 5, 4.99
    got = churn_by_inactivity([10.0, 2.0, 0.0, 0.01], [12.0, 30.0, 5.0, 5.0], periods=5)
    assert got.tolist() == [False, True, True, False]


def test_p_alive_labels() -> None:
    assert churn_by_p_alive([0.0, 0.5, 1.0], threshold=0.5).tolist() == [True, False, False]
    assert churn_by_p_alive([0.0, 0.5, 1.0], threshold=0).tolist() == [False, False, False]


def test_holdout_churned_by_hand() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c"],
            "date": ["2024-01-01", "2024-01-20", "2024-01-03", "2024-01-02", "2024-01-09"],
        }
    )
    s = calibration_holdout(log, calibration_end="2024-01-10", observation_end="2024-01-31")
    # a bought on Jan 20 (holdout): alive; b and c bought only in calibration: churned
    assert holdout_churned(s).tolist() == [False, True, True]


@pytest.fixture(scope="module")
def cdnow_split() -> tuple[pd.DataFrame, RFMSummary]:
    log = load_cdnow_sample_transactions()
    s = calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", freq_multiplier=7
    )
    return log, s


def test_cdnow_end_to_end(cdnow_split: tuple[pd.DataFrame, RFMSummary]) -> None:
    log, s = cdnow_split
    model = ParetoNBD.fit(s)
    r = churn_threshold_from_holdout(model, s)
    # independent holdout churn: no transaction after 1997-09-30 among calibration customers
    end = pd.Timestamp("1997-09-30")
    ids = np.asarray(s.customer_id)
    later = set(log.loc[log["date"] > end, "customer_id"])
    churned = np.array([i not in later for i in ids])
    assert churned.sum() == 1673
    p = model.p_alive(s.frequency, s.recency, s.T)
    for j in (0, 40, 78, 100):
        t = r.thresholds[j]
        pred = p < t
        assert r.true_positives[j] == int((pred & churned).sum())
        assert r.false_positives[j] == int((pred & ~churned).sum())
    best = int(np.argmax(r.f1))
    assert r.threshold == r.thresholds[best] == 0.78
    # better than labelling everyone churned (F1 = 2*1673 / (2*1673 + 684) = 0.830)
    assert r.f1[-1] < r.chosen["f1"]
    assert pytest.approx(0.8302, abs=1e-4) == 2 * 1673 / (2 * 1673 + 684)
    cost = churn_threshold_from_holdout(
        model, s, criterion="cost", cost_false_positive=1, cost_false_negative=3
    )
    assert cost.cost[cost.best] == min(cost.cost)
    assert cost.threshold >= r.threshold  # dearer misses: flag more


def test_bgnbd_never_flags_one_time_buyers(cdnow_split: tuple[pd.DataFrame, RFMSummary]) -> None:
    _, s = cdnow_split
    model = BGNBD.fit(s)
    p = model.p_alive(s.frequency, s.recency, s.T)
    assert (p[np.asarray(s.frequency) == 0] == 1.0).all()  # FHL 2005: P(alive | x=0) = 1
    r = churn_threshold_from_holdout(model, s, thresholds=[1.0])
    assert r.true_positives[0] + r.false_positives[0] == int((np.asarray(s.frequency) > 0).sum())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.floats(0, 1), min_size=1, max_size=8),
    st.floats(0, 10),
    st.floats(0.1, 10),
)
def test_property_matches_brute_force(
    rows: list[tuple[float, bool]], ts: list[float], c_fp: float, c_fn: float
) -> None:
    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    r = choose_churn_threshold(
        p,
        y,
        thresholds=ts,
        criterion="cost",
        cost_false_positive=c_fp,
        cost_false_negative=c_fn,
    )
    for j, t in enumerate(r.thresholds):
        tp = sum(1 for pi, yi in zip(p, y, strict=True) if pi < t and yi)
        fp = sum(1 for pi, yi in zip(p, y, strict=True) if pi < t and not yi)
        fn = sum(1 for pi, yi in zip(p, y, strict=True) if pi >= t and yi)
        assert (r.true_positives[j], r.false_positives[j], r.false_negatives[j]) == (tp, fp, fn)
        assert r.true_positives[j] + r.false_positives[j] + r.false_negatives[j] + (
            r.true_negatives[j]
        ) == len(p)
        assert r.cost[j] == pytest.approx(c_fp * fp + c_fn * fn)
    assert list(r.true_positives) == sorted(r.true_positives)  # monotone in t
    assert r.best == min(j for j, c in enumerate(r.cost) if c == min(r.cost))
    assert all(np.isfinite(v) for v in r.precision + r.recall + r.f1)
