# mypy: disable-error-code="arg-type, list-item, dict-item, call-overload"
# (this module calls the API with deliberately ill-typed arguments)
"""Every public scoring function tried as an adversarial caller would.

Each case asserts the error type and that the error names the argument (``ArgumentError``) or
the column (``DataError``); cases with rows also check the offending row is listed. Before
this module most of these returned NaN, clipped or coerced silently, or raised numpy's,
pandas' or Python's own exceptions (``LinAlgError``, ``TypeError``, ``IndexError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.errors import ArgumentError, DataError, RelmarkError
from relmark.scoring import (
    FIVE_FACTORS,
    ReliabilityThresholds,
    Reputation,
    acsi_index,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    csat,
    customer_effort_score,
    customer_pyramid,
    fornell_larcker,
    gini,
    htmt,
    lorenz_curve,
    nps,
    nps_difference,
    one_factor_loadings,
    quality_index,
    quantile_scores,
    reputation_scores,
    rfm_from_summary,
    rfm_scores,
    score_responses,
    segment,
    servqual_gaps,
)

NAN, INF = float("nan"), float("inf")
ITEMS = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
SMALL = ReliabilityThresholds(min_respondents=3)
IDS = [i.id for i in FIVE_FACTORS.items]
FRAME = pd.DataFrame([dict.fromkeys(IDS, 5.0), dict.fromkeys(IDS, 3.0)], index=["r1", "r2"])
SCORES = pd.DataFrame(
    {"trust": [10.0, 20.0, 35.0, 40.0, 60.0], "sat": [5.0, 30.0, 20.0, 45.0, 50.0]},
    index=list("abcde"),
)
OUTCOME = [1.0, 2.5, 2.0, 4.5, 5.0]
R, F, M = [1.0, 5.0, 9.0], [3.0, 1.0, 0.0], [50.0, 20.0, 5.0]
WAVE = nps([10, 9, 3, 7])


def _with(frame: pd.DataFrame, column: str, values: list[Any]) -> pd.DataFrame:
    out = frame.copy()
    out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


A = ArgumentError
D = DataError
CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str]] = [
    # ---------------------------------------------------------------- nps
    ("nps level 1.5", lambda: nps([10, 9], level=1.5), A, "level"),
    ("nps level nan", lambda: nps([10, 9], level=NAN), A, "level"),
    ("nps level 95 (a percentage)", lambda: nps([10, 9], level=95), A, "level"),
    ("nps level text", lambda: nps([10, 9], level="0.9"), A, "level"),
    ("nps level bool", lambda: nps([10, 9], level=True), A, "level"),
    ("nps n_bootstrap -5", lambda: nps([10, 9], n_bootstrap=-5), A, "n_bootstrap"),
    ("nps n_bootstrap 2.5", lambda: nps([10, 9], n_bootstrap=2.5), A, "n_bootstrap"),
    ("nps n_bootstrap bool", lambda: nps([10, 9], n_bootstrap=True), A, "n_bootstrap"),
    ("nps n_bootstrap nan", lambda: nps([10, 9], n_bootstrap=NAN), A, "n_bootstrap"),
    (
        "nps n_bootstrap 10**12 (MemoryError)",
        lambda: nps([10], n_bootstrap=10**12),
        A,
        "n_bootstrap",
    ),
    ("nps rng text", lambda: nps([10, 9], n_bootstrap=10, rng="seed"), A, "rng"),
    ("nps rng -1", lambda: nps([10, 9], n_bootstrap=10, rng=-1), A, "rng"),
    ("nps rng bool", lambda: nps([10, 9], n_bootstrap=10, rng=True), A, "rng"),
    ("nps answers empty", lambda: nps([]), D, "answers"),
    ("nps answers 11", lambda: nps([10, 11]), D, "answers"),
    ("nps answers -1", lambda: nps([-1, 10]), D, "answers"),
    ("nps answers 7.5", lambda: nps([7.5]), D, "answers"),
    ("nps answers nan", lambda: nps([10, NAN]), D, "answers"),
    ("nps answers inf", lambda: nps([INF]), D, "answers"),
    ("nps answers text", lambda: nps(["10", "9"]), D, "answers"),
    ("nps answers bool", lambda: nps([True, False]), D, "answers"),
    ("nps answers 2-d (was flattened)", lambda: nps([[10, 9], [3, 4]]), D, "answers"),
    ("nps answers ragged", lambda: nps([[10, 9], [3]]), D, "answers"),
    ("nps answers a dict", lambda: nps({"a": 10}), D, "answers"),
    # ---------------------------------------------------------------- nps_difference
    ("nps_difference a not a result", lambda: nps_difference(20.0, WAVE), A, "a"),
    ("nps_difference b None", lambda: nps_difference(WAVE, None), A, "b"),
    ("nps_difference no variance", lambda: nps_difference(nps([10, 10]), nps([9])), D, "b"),
    # ---------------------------------------------------------------- csat / ces
    ("csat top 7 of 5", lambda: csat([5, 4], top=7), A, "top"),
    ("csat top 0", lambda: csat([5, 4], top=0), A, "top"),
    ("csat top 1.5", lambda: csat([5, 4], top=1.5), A, "top"),
    ("csat top bool", lambda: csat([5, 4], top=True), A, "top"),
    ("csat scale 1", lambda: csat([1], scale=1, top=1), A, "scale"),
    ("csat scale text", lambda: csat([5], scale="5"), A, "scale"),
    ("csat scale nan", lambda: csat([5], scale=NAN), A, "scale"),
    ("csat answers 0 on 1-5", lambda: csat([0, 5]), D, "answers"),
    ("csat answers text", lambda: csat(np.array(["5", "4"])), D, "answers"),
    ("csat answers empty", lambda: csat([]), D, "answers"),
    (
        "ces scale nan (accepted every answer)",
        lambda: customer_effort_score([3], scale=NAN),
        A,
        "scale",
    ),
    ("ces scale 0", lambda: customer_effort_score([3], scale=0), A, "scale"),
    ("ces answers 8 on 1-7", lambda: customer_effort_score([8]), D, "answers"),
    ("ces answers bool", lambda: customer_effort_score(np.array([True])), D, "answers"),
    # ---------------------------------------------------------------- acsi
    ("acsi means nan", lambda: acsi_index([NAN, 5.0], [1.0, 1.0]), D, "item_means"),
    ("acsi means 0", lambda: acsi_index([0.0, 5.0], [1.0, 1.0]), D, "item_means"),
    ("acsi means empty", lambda: acsi_index([], []), D, "item_means"),
    ("acsi means 2-d", lambda: acsi_index([[5.0]], [[1.0]]), D, "item_means"),
    ("acsi weights inf", lambda: acsi_index([8.0, 5.0], [INF, 1.0]), D, "weights"),
    ("acsi weights negative", lambda: acsi_index([8.0, 5.0], [-1.0, 1.0]), D, "weights"),
    ("acsi weights all zero", lambda: acsi_index([8.0, 5.0], [0.0, 0.0]), D, "weights"),
    ("acsi weights wrong length", lambda: acsi_index([8.0, 5.0], [1.0]), D, "weights"),
    ("acsi weights text", lambda: acsi_index([8.0], ["1"]), D, "weights"),
    ("acsi weights bool", lambda: acsi_index([8.0, 5.0], [True, False]), D, "weights"),
    # ---------------------------------------------------------------- servqual
    (
        "servqual text answers",
        lambda: servqual_gaps([["6"]], [["5"]], {"a": [0]}),
        D,
        "expectations",
    ),
    ("servqual 1-d", lambda: servqual_gaps([6, 7], [5, 7], {"a": [0]}), D, "expectations"),
    (
        "servqual no respondents",
        lambda: servqual_gaps(np.empty((0, 2)), np.empty((0, 2)), {"a": [0]}),
        D,
        "expectations",
    ),
    ("servqual nan", lambda: servqual_gaps([[6, 7]], [[NAN, 7]], {"a": [0]}), D, "perceptions"),
    (
        "servqual shapes differ",
        lambda: servqual_gaps([[6, 7]], [[5, 7, 1]], {"a": [0]}),
        D,
        "perceptions",
    ),
    ("servqual no dimensions", lambda: servqual_gaps([[6]], [[5]], {}), A, "dimensions"),
    (
        "servqual position 1.5 (IndexError)",
        lambda: servqual_gaps([[6, 7]], [[5, 7]], {"a": [1.5]}),
        A,
        "dimensions",
    ),
    (
        "servqual position bool",
        lambda: servqual_gaps([[6, 7]], [[5, 7]], {"a": [True]}),
        A,
        "dimensions",
    ),
    (
        "servqual position out of range",
        lambda: servqual_gaps([[6, 7]], [[5, 7]], {"a": [2]}),
        A,
        "dimensions",
    ),
    (
        "servqual empty positions",
        lambda: servqual_gaps([[6, 7]], [[5, 7]], {"a": []}),
        A,
        "dimensions",
    ),
    ("servqual dimensions a list", lambda: servqual_gaps([[6]], [[5]], [[0]]), A, "dimensions"),
    # ---------------------------------------------------------------- cronbach_alpha
    ("alpha level nan", lambda: cronbach_alpha(ITEMS, level=NAN, thresholds=SMALL), A, "level"),
    ("alpha level 0", lambda: cronbach_alpha(ITEMS, level=0.0, thresholds=SMALL), A, "level"),
    (
        "alpha thresholds a dict",
        lambda: cronbach_alpha(ITEMS, thresholds={"alpha": 0.7}),
        A,
        "thresholds",
    ),
    (
        "alpha text items",
        lambda: cronbach_alpha(np.array([["1", "2"]] * 3, dtype=object)),
        D,
        "items",
    ),
    ("alpha bool items", lambda: cronbach_alpha(ITEMS > 2, thresholds=SMALL), D, "items"),
    ("alpha one item", lambda: cronbach_alpha(ITEMS[:, :1], thresholds=SMALL), D, "items"),
    ("alpha 1-d", lambda: cronbach_alpha(ITEMS[:, 0], thresholds=SMALL), D, "items"),
    ("alpha 3-d", lambda: cronbach_alpha(ITEMS[None], thresholds=SMALL), D, "items"),
    ("alpha two respondents", lambda: cronbach_alpha(ITEMS[:2], thresholds=SMALL), D, "items"),
    (
        "alpha nan answer",
        lambda: cronbach_alpha(np.where(ITEMS == 5, NAN, ITEMS), thresholds=SMALL),
        D,
        "items",
    ),
    (
        "alpha constant item",
        lambda: cronbach_alpha(np.c_[ITEMS, np.ones(5)], thresholds=SMALL),
        D,
        "items",
    ),
    (
        "alpha total constant (was -inf)",
        lambda: cronbach_alpha([[1, 5], [2, 4], [3, 3]], thresholds=SMALL),
        D,
        "items",
    ),
    (
        "alpha item-total undefined (was nan)",
        lambda: cronbach_alpha([[1, 5, 1], [2, 4, 2], [3, 3, 4]], thresholds=SMALL),
        D,
        "items",
    ),
    ("alpha empty", lambda: cronbach_alpha(np.empty((0, 3)), thresholds=SMALL), D, "items"),
    ("thresholds alpha nan", lambda: ReliabilityThresholds(alpha=NAN), A, "alpha"),
    ("thresholds ave 1.5", lambda: ReliabilityThresholds(ave=1.5), A, "ave"),
    ("thresholds htmt -1", lambda: ReliabilityThresholds(htmt=-1.0), A, "htmt"),
    (
        "thresholds min_respondents 2.5",
        lambda: ReliabilityThresholds(min_respondents=2.5),
        A,
        "min_respondents",
    ),
    (
        "thresholds min_respondents 0",
        lambda: ReliabilityThresholds(min_respondents=0),
        A,
        "min_respondents",
    ),
    # ---------------------------------------------------------------- loadings, CR, AVE
    ("loadings of 2 items (not identified)", lambda: one_factor_loadings(ITEMS[:, :2]), D, "items"),
    ("loadings text", lambda: one_factor_loadings([["a", "b", "c"]] * 3), D, "items"),
    ("cr nan", lambda: composite_reliability([NAN, 0.7]), D, "loadings"),
    ("cr empty", lambda: composite_reliability([]), D, "loadings"),
    ("cr 1.3", lambda: composite_reliability([1.3, 0.7]), D, "loadings"),
    ("cr 2-d", lambda: composite_reliability([[0.7, 0.8]]), D, "loadings"),
    ("cr text", lambda: composite_reliability(["0.7"]), D, "loadings"),
    ("cr bool", lambda: composite_reliability([True, 0.5]), D, "loadings"),
    ("cr +1 and -1 (0/0)", lambda: composite_reliability([1.0, -1.0]), D, "loadings"),
    ("ave inf", lambda: average_variance_extracted([INF]), D, "loadings"),
    ("ave scalar", lambda: average_variance_extracted(0.7), D, "loadings"),
    # ---------------------------------------------------------------- fornell-larcker
    ("fl text ave", lambda: fornell_larcker(["0.5", "0.6"], np.eye(2)), D, "ave"),
    ("fl nan ave (was False)", lambda: fornell_larcker([NAN, 0.6], np.eye(2)), D, "ave"),
    ("fl negative ave (sqrt nan)", lambda: fornell_larcker([-0.5, 0.6], np.eye(2)), D, "ave"),
    ("fl one construct", lambda: fornell_larcker([0.5], [[1.0]]), D, "ave"),
    ("fl corr wrong shape", lambda: fornell_larcker([0.5, 0.6], np.eye(3)), D, "construct_corr"),
    (
        "fl corr 1.5",
        lambda: fornell_larcker([0.5, 0.6], [[1.0, 1.5], [1.5, 1.0]]),
        D,
        "construct_corr",
    ),
    (
        "fl corr nan",
        lambda: fornell_larcker([0.5, 0.6], [[1.0, NAN], [NAN, 1.0]]),
        D,
        "construct_corr",
    ),
    (
        "fl corr not symmetric",
        lambda: fornell_larcker([0.5, 0.6], [[1.0, 0.2], [0.9, 1.0]]),
        D,
        "construct_corr",
    ),
    # ---------------------------------------------------------------- htmt
    ("htmt different respondents", lambda: htmt(ITEMS, ITEMS[:4]), D, "items_b"),
    (
        "htmt negative within (sqrt nan)",
        lambda: htmt(ITEMS, np.c_[ITEMS[:, 0], 6 - ITEMS[:, 0] + [0, 0, 1, 0, 0]]),
        D,
        "items_b",
    ),
    ("htmt one item", lambda: htmt(ITEMS[:, :1], ITEMS), D, "items_a"),
    # ---------------------------------------------------------------- survey
    ("score instrument a dict", lambda: score_responses({"name": "x"}, FRAME), A, "instrument"),
    (
        "score min_answered -1",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=-1.0),
        A,
        "min_answered",
    ),
    (
        "score min_answered 0",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=0.0),
        A,
        "min_answered",
    ),
    (
        "score min_answered nan",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=NAN),
        A,
        "min_answered",
    ),
    (
        "score min_answered 2.5",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=2.5),
        A,
        "min_answered",
    ),
    (
        "score min_answered bool",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=True),
        A,
        "min_answered",
    ),
    (
        "score min_answered text",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered="all"),
        A,
        "min_answered",
    ),
    (
        "score min_answered 3 > 2 items (all NaN)",
        lambda: score_responses(FIVE_FACTORS, FRAME, min_answered=3),
        A,
        "min_answered",
    ),
    (
        "score missing item column",
        lambda: score_responses(FIVE_FACTORS, FRAME.drop(columns="sat_1")),
        D,
        "sat_1",
    ),
    (
        "score text answers",
        lambda: score_responses(FIVE_FACTORS, _with(FRAME, "comm_1", ["5", "6"])),
        D,
        "comm_1",
    ),
    (
        "score bool answers",
        lambda: score_responses(FIVE_FACTORS, _with(FRAME, "bond_2", [True, False])),
        D,
        "bond_2",
    ),
    (
        "score answer 9 of 7",
        lambda: score_responses(FIVE_FACTORS, _with(FRAME, "trust_2", [9.0, 1.0])),
        D,
        "trust_2",
    ),
    (
        "score answer 2.5",
        lambda: score_responses(FIVE_FACTORS, _with(FRAME, "value_1", [2.5, 1.0])),
        D,
        "value_1",
    ),
    (
        "score answer inf",
        lambda: score_responses(FIVE_FACTORS, _with(FRAME, "value_2", [INF, 1.0])),
        D,
        "value_2",
    ),
    ("score no respondents", lambda: score_responses(FIVE_FACTORS, FRAME.iloc[:0]), D, "responses"),
    (
        "score array wrong width",
        lambda: score_responses(FIVE_FACTORS, np.ones((2, 3))),
        D,
        "responses",
    ),
    ("score array 1-d", lambda: score_responses(FIVE_FACTORS, np.ones(11)), D, "responses"),
    (
        "score duplicated column",
        lambda: score_responses(FIVE_FACTORS, pd.concat([FRAME, FRAME[["sat_1"]]], axis=1)),
        D,
        "sat_1",
    ),
    # ---------------------------------------------------------------- quality index
    ("qi level 1", lambda: quality_index(SCORES, outcome=OUTCOME, level=1.0), A, "level"),
    ("qi level text", lambda: quality_index(SCORES, outcome=OUTCOME, level="95%"), A, "level"),
    ("qi neither weights nor outcome", lambda: quality_index(SCORES), A, "outcome"),
    (
        "qi both weights and outcome",
        lambda: quality_index(SCORES, weights={"trust": 1, "sat": 1}, outcome=OUTCOME),
        A,
        "weights",
    ),
    ("qi scores a list", lambda: quality_index([[1.0, 2.0]], outcome=[1.0]), A, "construct_scores"),
    (
        "qi unknown construct in weights (was dropped)",
        lambda: quality_index(SCORES, weights={"trust": 1, "sat": 1, "bond": 5}),
        A,
        "weights",
    ),
    ("qi weight missing", lambda: quality_index(SCORES, weights={"trust": 1}), A, "weights"),
    (
        "qi weight inf (nan index)",
        lambda: quality_index(SCORES, weights={"trust": INF, "sat": 1}),
        A,
        "weights['trust']",
    ),
    (
        "qi weight negative",
        lambda: quality_index(SCORES, weights={"trust": -1, "sat": 1}),
        A,
        "weights['trust']",
    ),
    (
        "qi weight text",
        lambda: quality_index(SCORES, weights={"trust": "1", "sat": 1}),
        A,
        "weights['trust']",
    ),
    (
        "qi weights zero",
        lambda: quality_index(SCORES, weights={"trust": 0, "sat": 0}),
        A,
        "weights",
    ),
    (
        "qi outcome text (ValueError)",
        lambda: quality_index(SCORES, outcome=["a"] * 5),
        D,
        "outcome",
    ),
    ("qi outcome scalar (IndexError)", lambda: quality_index(SCORES, outcome=3.0), D, "outcome"),
    ("qi outcome short", lambda: quality_index(SCORES, outcome=OUTCOME[:3]), D, "outcome"),
    ("qi outcome nan", lambda: quality_index(SCORES, outcome=[NAN, *OUTCOME[1:]]), D, "outcome"),
    (
        "qi outcome constant (r2 nan)",
        lambda: quality_index(SCORES, outcome=[2.0] * 5),
        D,
        "outcome",
    ),
    (
        "qi outcome bool",
        lambda: quality_index(SCORES, outcome=[True, False, True, False, True]),
        D,
        "outcome",
    ),
    (
        "qi collinear constructs (LinAlgError)",
        lambda: quality_index(SCORES.assign(both=SCORES.trust + SCORES.sat), outcome=OUTCOME),
        D,
        "construct_scores",
    ),
    (
        "qi constant construct",
        lambda: quality_index(SCORES.assign(sat=50.0), outcome=OUTCOME),
        D,
        "construct_scores",
    ),
    (
        "qi too few respondents",
        lambda: quality_index(SCORES.iloc[:3], outcome=OUTCOME[:3]),
        D,
        "construct_scores",
    ),
    (
        "qi no respondents",
        lambda: quality_index(SCORES.iloc[:0], weights={"trust": 1, "sat": 1}),
        D,
        "construct_scores",
    ),
    (
        "qi text scores",
        lambda: quality_index(SCORES.astype(str), weights={"trust": 1, "sat": 1}),
        D,
        "trust",
    ),
    (
        "qi nan score",
        lambda: quality_index(SCORES.assign(sat=[NAN, 1, 2, 3, 4]), outcome=OUTCOME),
        D,
        "sat",
    ),
    (
        "qi inf score",
        lambda: quality_index(SCORES.assign(sat=[INF, 1, 2, 3, 4]), weights={"trust": 1, "sat": 1}),
        D,
        "sat",
    ),
    # ---------------------------------------------------------------- trust
    ("reputation positive nan (score nan)", lambda: Reputation(positive=NAN), A, "positive"),
    ("reputation negative -1", lambda: Reputation(negative=-1.0), A, "negative"),
    ("reputation positive text", lambda: Reputation(positive="3"), A, "positive"),
    ("reputation forgetting 0", lambda: Reputation(forgetting=0.0), A, "forgetting"),
    ("reputation forgetting 1.5", lambda: Reputation(forgetting=1.5), A, "forgetting"),
    ("reputation forgetting bool", lambda: Reputation(forgetting=True), A, "forgetting"),
    ("reputation update kept nan", lambda: Reputation().update(kept=NAN), A, "kept"),
    ("reputation update broken -2", lambda: Reputation().update(broken=-2), A, "broken"),
    ("reputation update kept inf", lambda: Reputation().update(kept=INF), A, "kept"),
    ("reputation interval level 2", lambda: Reputation().interval(2.0), A, "level"),
    (
        "scores 1-d (one party over time)",
        lambda: reputation_scores([8, 1, 3], [1, 0, 2]),
        D,
        "kept",
    ),
    ("scores shapes differ", lambda: reputation_scores([[8, 1]], [[1, 0, 2]]), D, "broken"),
    ("scores negative", lambda: reputation_scores([[8, -1]], [[1, 0]]), D, "kept"),
    ("scores nan", lambda: reputation_scores([[8, 1]], [[NAN, 0]]), D, "broken"),
    ("scores text (ValueError)", lambda: reputation_scores([["8"]], [[1]]), D, "kept"),
    ("scores no parties", lambda: reputation_scores(np.empty((0, 2)), np.empty((0, 2))), D, "kept"),
    ("scores no periods", lambda: reputation_scores(np.empty((2, 0)), np.empty((2, 0))), D, "kept"),
    (
        "scores forgetting nan",
        lambda: reputation_scores([[1]], [[0]], forgetting=NAN),
        A,
        "forgetting",
    ),
    ("scores level 0", lambda: reputation_scores([[1]], [[0]], level=0.0), A, "level"),
    # ---------------------------------------------------------------- RFM
    ("quantile n_bins 1", lambda: quantile_scores([1, 2], 1), A, "n_bins"),
    ("quantile n_bins 2.5", lambda: quantile_scores([1, 2], 2.5), A, "n_bins"),
    ("quantile n_bins text", lambda: quantile_scores([1, 2], "5"), A, "n_bins"),
    (
        "quantile higher_is_better 'no'",
        lambda: quantile_scores([1, 2], higher_is_better="no"),
        A,
        "higher_is_better",
    ),
    ("quantile empty", lambda: quantile_scores([]), D, "values"),
    ("quantile nan", lambda: quantile_scores([1.0, NAN]), D, "values"),
    ("quantile bool", lambda: quantile_scores([True, False]), D, "values"),
    ("quantile 2-d", lambda: quantile_scores([[1, 2], [3, 4]]), D, "values"),
    (
        "rfm method 'Nested' (nested silently)",
        lambda: rfm_scores(R, F, M, method="Nested"),
        A,
        "method",
    ),
    ("rfm n_bins 0", lambda: rfm_scores(R, F, M, n_bins=0), A, "n_bins"),
    ("rfm lengths differ", lambda: rfm_scores(R, F[:2], M), D, "frequency"),
    (
        "rfm negative time since last",
        lambda: rfm_scores([-1.0, 5.0, 9.0], F, M),
        D,
        "time_since_last",
    ),
    ("rfm negative frequency", lambda: rfm_scores(R, [3.0, -1.0, 0.0], M), D, "frequency"),
    ("rfm text monetary", lambda: rfm_scores(R, F, ["50", "20", "5"]), D, "monetary_value"),
    ("rfm inf monetary", lambda: rfm_scores(R, F, [INF, 20.0, 5.0]), D, "monetary_value"),
    ("rfm empty", lambda: rfm_scores([], [], []), D, "time_since_last"),
    (
        "rfm_from_summary a DataFrame",
        lambda: rfm_from_summary(pd.DataFrame({"frequency": [1]})),
        A,
        "summary",
    ),
    ("segment unanchored", lambda: segment(["555"], {"bad": "5"}), A, "segments"),
    ("segment invalid regex (re.error)", lambda: segment(["555"], {"bad": "^[5$"}), A, "segments"),
    ("segment pattern not text", lambda: segment(["555"], {"bad": 5}), A, "segments"),
    ("segment one string (iterated by letter)", lambda: segment("555"), A, "cells"),
    ("segment codes not text (TypeError)", lambda: segment([555, "111"]), D, "cells"),
    ("segment cells a number (TypeError)", lambda: segment(555), A, "cells"),
    ("segment cells a dict", lambda: segment({"555": 1}), A, "cells"),
    ("rfm n_bins 10 (cell codes ambiguous)", lambda: rfm_scores(R, F, M, n_bins=10), A, "n_bins"),
    ("segment other not text", lambda: segment(["555"], other=None), A, "other"),
    (
        "pyramid four cuts (IndexError)",
        lambda: customer_pyramid([5.0, 3.0], cuts=(0.01, 0.05, 0.2, 0.5)),
        A,
        "cuts",
    ),
    (
        "pyramid two cuts (tier unused)",
        lambda: customer_pyramid([5.0, 3.0], cuts=(0.05, 0.2)),
        A,
        "cuts",
    ),
    (
        "pyramid cuts decreasing",
        lambda: customer_pyramid([5.0, 3.0], cuts=(0.05, 0.01, 0.2)),
        A,
        "cuts",
    ),
    ("pyramid cuts nan", lambda: customer_pyramid([5.0, 3.0], cuts=(NAN, 0.1, 0.2)), A, "cuts"),
    ("pyramid cuts text", lambda: customer_pyramid([5.0, 3.0], cuts=("a", "b", "c")), A, "cuts"),
    ("pyramid empty value", lambda: customer_pyramid([]), D, "value"),
    ("pyramid nan value", lambda: customer_pyramid([1.0, NAN]), D, "value"),
    ("lorenz negative", lambda: lorenz_curve([1.0, -2.0]), D, "value"),
    ("lorenz all zero", lambda: lorenz_curve([0.0, 0.0]), D, "value"),
    ("lorenz empty", lambda: lorenz_curve([]), D, "value"),
    ("gini nan", lambda: gini([1.0, NAN]), D, "value"),
    ("gini text", lambda: gini(["1", "2"]), D, "value"),
    ("gini bool", lambda: gini([True, True]), D, "value"),
    ("reputation 1e308 (score 0, interval nan)", lambda: Reputation(positive=1e308), A, "positive"),
    ("scores 1e308 (matmul overflow)", lambda: reputation_scores([[1e308]], [[0.0]]), D, "kept"),
    (
        "servqual overflow",
        lambda: servqual_gaps([[1e308]], [[-1e308]], {"a": [0]}),
        D,
        "perceptions",
    ),
]


@pytest.mark.parametrize(
    ("call", "kind", "name"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_typed_error_naming_what_is_wrong(
    call: Callable[[], object], kind: type[RelmarkError], name: str
) -> None:
    with pytest.raises(RelmarkError) as err:
        call()
    assert type(err.value) is kind, f"{type(err.value).__name__}: {err.value}"
    if isinstance(err.value, ArgumentError):
        assert err.value.argument == name
        assert str(err.value).startswith(f"argument {name!r}: ")
    else:
        assert isinstance(err.value, DataError)
        assert err.value.column == name
        assert f"column {name!r}" in str(err.value)


def test_offending_rows_are_named() -> None:
    """Where the fault is in some rows, the error lists them (respondents, parties, states)."""
    with pytest.raises(DataError) as err:
        nps([10, 11, 9, 12])
    assert err.value.rows == (1, 3)
    with pytest.raises(DataError) as err:
        score_responses(FIVE_FACTORS, _with(FRAME, "trust_2", [1.0, 9.0]))
    assert err.value.rows == ("r2",)
    with pytest.raises(DataError) as err:
        reputation_scores([[1, 2], [3, -1], [0, 0]], np.zeros((3, 2)))
    assert err.value.rows == (1,)
    with pytest.raises(DataError) as err:
        quality_index(SCORES.assign(sat=[1, 2, NAN, 4, 5]), outcome=OUTCOME)
    assert err.value.rows == ("c",)
    with pytest.raises(DataError) as err:
        segment(["555", 1, "111", None])
    assert err.value.rows == (1, 3)


def test_valid_extremes_give_finite_correct_answers() -> None:
    """The boundaries of the valid range are answers, not errors."""
    assert nps([10]).score == 100.0
    assert nps([0]).wald == (-100.0, -100.0)  # one answer: zero variance, a point interval
    assert csat([1, 2], scale=2, top=1) == 50.0
    assert composite_reliability([1.0, 1.0]) == 1.0
    assert composite_reliability([0.0, 0.0]) == 0.0
    assert Reputation(positive=1e15).score == pytest.approx(1.0)
    huge = Reputation(positive=1e15, negative=1e15)  # (r+s+2) no longer overflows the score
    assert huge.score == 0.5
    assert huge.interval() == pytest.approx((0.5, 0.5), abs=1e-7)
    # answers, values and weights near the float range: the statistics are scale-free
    items = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
    base = cronbach_alpha(items, thresholds=SMALL)
    for scale in (1e200, 1e-300):
        scaled = cronbach_alpha(items * scale, thresholds=SMALL)
        assert scaled.alpha == pytest.approx(base.alpha, rel=1e-12)
        assert scaled.ci == pytest.approx(base.ci, rel=1e-12)
    assert gini([1e308, 1e308, 1.0]) == pytest.approx(1 / 3, rel=1e-12)
    assert acsi_index([5.0, 6.0], [1e308, 1e308]) == pytest.approx(100 * 4.5 / 9)
    # levels a hair below 1 give wide but finite intervals (ppf(1 - p) rounded to inf)
    wide = cronbach_alpha(items, level=1 - 1e-16, thresholds=SMALL)
    assert np.isfinite(wide.ci).all() and wide.ci[0] < -1000
    q = quality_index(SCORES, outcome=OUTCOME, level=1 - 1e-16).ci
    assert q is not None and np.isfinite(q.to_numpy()).all()
    assert gini([0.0, 0.0, 1.0]) == pytest.approx(2 / 3)
    assert quantile_scores([7.0]).tolist() == [3]  # one customer: the middle score
    assert customer_pyramid([1.0]) == ["platinum"]
    # the largest bootstrap allowed does not need n x draws memory
    assert nps([10] * 1000 + [0] * 1000, n_bootstrap=1_000_000, rng=1).bootstrap is not None


# --- regressions from the r4 adversarial catalogue -------------------------------------------
def _alpha_by_formula(x: np.ndarray) -> float:
    """Cronbach's alpha from its definition, k/(k-1) (1 - sum of item variances / variance of
    the total), in exact rational arithmetic (an independent computation)."""
    from fractions import Fraction

    rows = [[Fraction(float(v)) for v in r] for r in x]
    k, n = len(rows[0]), len(rows)

    def var(values: list[Fraction]) -> Fraction:
        m = sum(values, Fraction(0)) / n
        return sum(((v - m) ** 2 for v in values), Fraction(0)) / (n - 1)

    items = sum((var([r[j] for r in rows]) for j in range(k)), Fraction(0))
    total = var([sum(r, Fraction(0)) for r in rows])
    return float(Fraction(k, k - 1) * (1 - items / total))


R4_CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str]] = [
    # all-zero answers divided 0 by 0 (RuntimeWarning, then NaN statistics)
    ("alpha_all_zero", lambda: cronbach_alpha(np.zeros((6, 3))), DataError, "items"),
    ("loadings_all_zero", lambda: one_factor_loadings(np.zeros((6, 3))), DataError, "items"),
    ("htmt_all_zero", lambda: htmt(ITEMS[:, :2], np.zeros((5, 2))), DataError, "items_b"),
    # a "correlation matrix" without ones on its diagonal was accepted
    (
        "fornell_larcker_diagonal",
        lambda: fornell_larcker([0.6, 0.5], [[0.3, 0.2], [0.2, 0.3]]),
        DataError,
        "construct_corr",
    ),
    # duplicated construct columns reached pandas
    (
        "quality_index_duplicate_column",
        lambda: quality_index(
            pd.concat([SCORES, (SCORES.sat + 1).rename("sat").to_frame()], axis=1),
            outcome=OUTCOME,
        ),
        DataError,
        "sat",
    ),
    # update() past MAX_EVIDENCE named the constructor's field, not the argument given
    (
        "reputation_update_kept",
        lambda: Reputation(positive=1e15).update(kept=1e15),
        ArgumentError,
        "kept",
    ),
    (
        "reputation_update_broken",
        lambda: Reputation(negative=1e15).update(broken=1e15),
        ArgumentError,
        "broken",
    ),
    # the vectorised path summed periods past MAX_EVIDENCE that Reputation refuses
    (
        "reputation_scores_sum",
        lambda: reputation_scores(np.full((1, 10), 1e15), np.zeros((1, 10))),
        DataError,
        "kept",
    ),
    # n_bins of 10**30 overflowed the int64 cast (RuntimeWarning, garbage scores)
    ("quantile_bins_huge", lambda: quantile_scores([1.0, 2.0], 10**30), ArgumentError, "n_bins"),
]


@pytest.mark.parametrize(
    ("call", "kind", "name"), [c[1:] for c in R4_CASES], ids=[c[0] for c in R4_CASES]
)
def test_r4_bad_input_is_a_typed_error(
    call: Callable[[], object], kind: type[RelmarkError], name: str
) -> None:
    test_bad_input_is_a_typed_error_naming_what_is_wrong(call, kind, name)


def test_r4_reputation_scores_rows_over_max() -> None:
    kept = np.zeros((3, 4))
    kept[2] = 1e15
    with pytest.raises(DataError) as err:
        reputation_scores(kept, np.zeros((3, 4)))
    assert err.value.rows == (2,)


def test_r4_valid_extremes() -> None:
    """Valid inputs that used to be refused or to warn, checked against independent numbers."""
    # weights near the float range: only their proportions count (the sum overflowed)
    q = quality_index(SCORES, weights={"trust": 1e308, "sat": 1e308})
    assert q.weights.tolist() == [0.5, 0.5]
    assert q.scores.tolist() == pytest.approx([7.5, 25.0, 27.5, 42.5, 55.0])
    # construct columns that are not text: the weights are keyed by the same labels
    ints = quality_index(SCORES.set_axis([0, 1], axis=1), weights={0: 3, 1: 1})
    assert ints.scores.iloc[0] == pytest.approx(8.75)
    # scores of 1e300 or 1e-300 were reported as collinear (the rank test saw the intercept as
    # negligible): the weights are scale-free, equal to those of the plain scores
    base = quality_index(SCORES, outcome=OUTCOME)
    for scale in (1e300, 1e-300):
        scaled = quality_index(SCORES * scale, outcome=OUTCOME)
        assert scaled.weights.tolist() == pytest.approx(base.weights.tolist(), rel=1e-9)
        assert scaled.r_squared == pytest.approx(base.r_squared, rel=1e-9)
        assert base.ci is not None and scaled.ci is not None
        assert scaled.ci.to_numpy() == pytest.approx(base.ci.to_numpy(), rel=1e-9)
    # the OLS weights against numpy's lstsq on the raw design (an independent fit)
    x = np.column_stack([np.ones(5), SCORES.to_numpy()])
    coef = np.linalg.lstsq(x, np.asarray(OUTCOME), rcond=None)[0][1:]
    assert base.weights.tolist() == pytest.approx((coef / coef.sum()).tolist(), rel=1e-12)
    # an offset of 1e15 on every answer swamped the variance (refused as "items cancel out")
    rng = np.random.default_rng(0)
    answers = rng.normal(size=(40, 1)) + rng.normal(scale=0.7, size=(40, 4)) + 1e15
    assert cronbach_alpha(answers).alpha == pytest.approx(
        _alpha_by_formula(answers - 1e15), rel=1e-12
    )
    # SERVQUAL answers near 1e308: the mean of two of them overflowed the sum
    assert servqual_gaps([[1e308], [1e308]], [[1e308], [1e308]], {"a": [0]}) == {"a": 0.0}
    assert servqual_gaps([[1e308], [1e308]], [[5e307], [5e307]], {"a": [0]}) == {"a": -5e307}


def test_r4_pandas_inputs_with_different_row_labels_are_refused() -> None:
    """numpy paired the rows of two pandas objects by position: one respondent's outcome with
    another's scores, one customer's frequency with another's recency."""
    outcome = pd.Series(OUTCOME, index=SCORES.index)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: quality_index(SCORES, outcome=outcome[::-1]), "outcome"),
        (
            lambda: rfm_scores(
                pd.Series(R, index=list("xyz")),
                pd.Series(F, index=list("zyx")),
                pd.Series(M, index=list("xyz")),
            ),
            "frequency",
        ),
        (
            lambda: htmt(
                pd.DataFrame(ITEMS[:, :2]), pd.DataFrame(ITEMS[:, 1:], index=[4, 3, 2, 1, 0])
            ),
            "items_b",
        ),
        (
            lambda: reputation_scores(
                pd.DataFrame([[1, 2], [3, 4]]), pd.DataFrame([[0, 1], [1, 0]], index=[1, 0])
            ),
            "broken",
        ),
    ]
    for call, name in cases:
        with pytest.raises(DataError) as err:
            call()
        assert err.value.column == name
    # the same labels in the same order are one table: accepted, equal to the plain lists
    aligned = quality_index(SCORES, outcome=outcome)
    plain = quality_index(SCORES, outcome=OUTCOME)
    assert aligned.weights.tolist() == plain.weights.tolist()
    series = rfm_scores(*(pd.Series(v, index=list("xyz")) for v in (R, F, M)))
    assert series.cells == rfm_scores(R, F, M).cells


def test_r4_nps_difference_refuses_impossible_results() -> None:
    """An NPSResult built by hand with NaN gave a NaN difference, z and p."""
    from dataclasses import replace

    for wave in (replace(WAVE, se=NAN), replace(WAVE, score=150.0), replace(WAVE, se=-1.0)):
        with pytest.raises(ArgumentError) as err:
            nps_difference(WAVE, wave)
        assert err.value.argument == "b"
    # two waves: 10, 9, 3, 7 (NPS 25, se 100 sqrt((0.75 - 0.0625)/4)) against itself
    d, z, p = nps_difference(WAVE, WAVE)
    assert (d, z, p) == (0.0, 0.0, 1.0)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.scoring.strategies import likert_matrices  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(likert_matrices(), st.sampled_from([1e-300, 1e-150, 1e150, 1e300]), st.floats(-1e15, 1e15))
def test_r4_alpha_is_invariant_to_one_scale_and_offset(
    x: np.ndarray, scale: float, offset: float
) -> None:
    """Alpha of answers times 1e+-300 (or shifted by up to 1e15, to the precision the shifted
    answers keep) equals alpha from its definition in exact arithmetic."""
    th = ReliabilityThresholds(min_respondents=1)
    scaled = cronbach_alpha(x * scale, thresholds=th).alpha
    assert scaled == pytest.approx(_alpha_by_formula(x), rel=1e-9, abs=1e-9)
    shifted = x + offset
    if np.ptp(shifted - offset, axis=0).min() > 0 and np.ptp((shifted - offset).sum(axis=1)) > 0:
        try:
            expected = _alpha_by_formula(shifted - offset)
        except ZeroDivisionError:
            return
        got = cronbach_alpha(shifted, thresholds=th).alpha
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)
