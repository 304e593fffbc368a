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
    next_purchase_probability,
    next_purchase_time,
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


# ---------------------------------------------------------------- next-purchase timing (BG/NBD)
CDNOW_BGNBD = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _paths(
    n: int, T: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An independent BG/NBD simulator: (x, t_x) at T, alive at T, first purchase after T
    (inf if none)."""
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x, tx, nxt = np.zeros(n), np.zeros(n), np.full(n, np.inf)
    alive = np.ones(n, dtype=bool)
    for i in range(n):
        now = 0.0
        while True:
            now += rng.exponential(1.0 / lam[i])
            if now > T:
                nxt[i] = now
                break
            x[i] += 1
            tx[i] = now
            if rng.random() < p[i]:
                alive[i] = False
                break
    return x, tx, alive, nxt


@pytest.fixture(scope="module")
def paths() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _paths(20_000, 30.0, np.random.default_rng(11))


def test_next_purchase_is_one_minus_no_purchase_probability() -> None:
    x, tx, T = [0, 2, 7], [0.0, 30.43, 35.0], [38.86, 38.86, 38.86]
    got = next_purchase_probability(CDNOW_BGNBD, x, tx, T, t=39)
    none = CDNOW_BGNBD.conditional_prob_purchases(0, x, tx, T, t=39)
    np.testing.assert_allclose(got, 1 - none, rtol=1e-12)
    # by hand for x = 0 (P(alive) = 1): 1 - (43.274 / 82.274)^0.243
    assert got[0] == pytest.approx(1 - (43.274 / 82.274) ** 0.243, rel=1e-12)


def test_new_customer_against_the_model_simulator() -> None:
    # x = 0, T = 0: P(first repeat purchase within t) = 1 - (alpha / (alpha + t))^r
    sim = CDNOW_BGNBD.simulate(np.full(40_000, 12.0), rng=5)
    share = float((np.asarray(sim["frequency"]) >= 1).mean())
    p = float(next_purchase_probability(CDNOW_BGNBD, [0], [0], [0], t=12)[0])
    assert p == pytest.approx(1 - (4.414 / 16.414) ** 0.243)
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / 40_000)


def test_next_purchase_probability_by_simulation(
    paths: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    x, tx, _, nxt = paths
    T, t = 30.0, 10.0
    p = next_purchase_probability(CDNOW_BGNBD, x, tx, np.full(x.size, T), t=t)
    bought = nxt <= T + t
    for group in (x == 0, x == 1, (x >= 2) & (x <= 4), x >= 5, np.ones(x.size, bool)):
        n = int(group.sum())
        se = np.sqrt(np.sum(p[group] * (1 - p[group]))) / n
        assert abs(bought[group].mean() - p[group].mean()) < 4 * se + 1e-3, n


def test_next_purchase_time_quantile_by_simulation(
    paths: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    x, tx, alive, nxt = paths
    T = 30.0
    for q in (0.25, 0.5, 0.8):
        tq = next_purchase_time(CDNOW_BGNBD, x, tx, np.full(x.size, T), quantile=q)
        # given alive and the history, P(next purchase within t_q) = q exactly
        hit = (nxt[alive] - T) <= tq[alive]
        assert abs(hit.mean() - q) < 4 * np.sqrt(q * (1 - q) / alive.sum())
    # the median by hand for x = 2, T = 38.86: (alpha + T)(2^(1/(r+x)) - 1)
    m = next_purchase_time(CDNOW_BGNBD, [2], [30.43], [38.86])[0]
    assert m == pytest.approx((4.414 + 38.86) * (2 ** (1 / 2.243) - 1), rel=1e-12)


def test_next_purchase_extremes_are_finite() -> None:
    big = next_purchase_probability(CDNOW_BGNBD, [1e6], [1e5], [1e5], t=1e-9)
    assert np.isfinite(big).all() and 0 <= big[0] <= 1
    assert next_purchase_probability(CDNOW_BGNBD, [3], [5.0], [10.0], t=0)[0] == 0.0
    far = next_purchase_probability(CDNOW_BGNBD, [3], [5.0], [10.0], t=1e300)[0]
    assert far == pytest.approx(CDNOW_BGNBD.p_alive([3], [5.0], [10.0])[0])
    assert np.isfinite(next_purchase_time(CDNOW_BGNBD, [0], [0], [1e6], quantile=0.999))
