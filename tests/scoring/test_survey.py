"""Instruments, scoring of responses and the relationship-quality index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from relmark.errors import ArgumentError, DataError
from relmark.scoring import (
    FIVE_FACTORS,
    Construct,
    Instrument,
    Item,
    quality_index,
    score_responses,
)

IDS = [i.id for i in FIVE_FACTORS.items]


def test_scoring_recodes_reverse_items_and_applies_min_answered() -> None:
    row = dict.fromkeys(IDS, 7.0)
    row["trust_3"] = 1.0  # reverse-coded: 1 -> 7
    row["sat_2"] = np.nan
    frame = pd.DataFrame([row, {**row, "sat_1": np.nan}], index=["r1", "r2"])
    scores = score_responses(FIVE_FACTORS, frame, min_answered=0.5)
    assert scores.means.loc["r1", "trust"] == 7.0
    assert scores.scaled.loc["r1", "trust"] == 100.0
    assert scores.means.loc["r1", "satisfaction"] == 7.0  # 1 of 2 answered: enough
    assert scores.means["satisfaction"].isna().tolist() == [False, True]  # 0 of 2 answered
    assert scores.answered.loc["r1", "satisfaction"] == 1
    strict = score_responses(FIVE_FACTORS, frame, min_answered=2)
    assert strict.means["satisfaction"].isna().all()  # two of two needed
    bad = frame.copy()
    bad.loc["r2", "comm_1"] = 9
    with pytest.raises(DataError, match=r"comm_1.*'r2'"):
        score_responses(FIVE_FACTORS, bad)


@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7))
@settings(max_examples=60, deadline=None)
def test_trust_score_by_hand(a: int, b: int, reversed_answer: int) -> None:
    """trust = mean(a, b, 8 - x) on 1-7 (trust_3 is reverse-coded), 0-100 as 100 (m - 1) / 6."""
    row = dict.fromkeys(IDS, 4.0)
    row.update(trust_1=float(a), trust_2=float(b), trust_3=float(reversed_answer))
    scores = score_responses(FIVE_FACTORS, pd.DataFrame([row]))
    mean = (a + b + 8 - reversed_answer) / 3
    assert scores.means.loc[0, "trust"] == pytest.approx(mean, rel=1e-15)
    assert scores.scaled.loc[0, "trust"] == pytest.approx(100 * (mean - 1) / 6, rel=1e-14)


def test_arrays_are_scored_in_instrument_order() -> None:
    arr = np.full((1, len(IDS)), 4.0)
    arr[0, IDS.index("comm_2")] = 7.0
    scores = score_responses(FIVE_FACTORS, arr)
    assert scores.means.loc[0, "communication"] == 5.5


def test_instruments_round_trip_and_validate() -> None:
    again = Instrument.model_validate_json(FIVE_FACTORS.model_dump_json())
    assert again == FIVE_FACTORS
    bad = FIVE_FACTORS.model_dump()
    bad["constructs"][1]["items"][0]["id"] = "trust_1"
    with pytest.raises(ValidationError, match="duplicate item ids: trust_1"):
        Instrument.model_validate(bad)


def test_constructs_need_one_scale_and_items_whole_numbers() -> None:
    """Items 1-5 and 1-10 in one construct, both answered at the top, scored 162.5 out of 100."""
    with pytest.raises(ValidationError, match="different scales"):
        Construct(
            name="mixed",
            items=(Item(id="a", wording="A", low=1, high=5), Item(id="b", wording="B", high=10)),
        )
    with pytest.raises(ValidationError):
        Item(id="a", wording="A", low="1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Item(id="a", wording="A", high=True)


def test_quality_index_recovers_known_weights() -> None:
    rng = np.random.default_rng(9)
    scores = pd.DataFrame(rng.uniform(0, 100, size=(3000, 3)), columns=["trust", "sat", "bond"])
    outcome = 0.5 * scores["trust"] + 0.3 * scores["sat"] + 0.2 * scores["bond"]
    outcome = outcome + rng.normal(0, 5, 3000)
    qi = quality_index(scores, outcome=outcome)
    np.testing.assert_allclose(qi.weights.to_numpy(), [0.5, 0.3, 0.2], atol=0.02)
    assert qi.ci is not None
    assert ((qi.ci["low"] < qi.weights) & (qi.weights < qi.ci["high"])).all()
    narrow = quality_index(scores, outcome=outcome, level=0.5)
    assert narrow.ci is not None
    assert ((narrow.ci["high"] - narrow.ci["low"]) < (qi.ci["high"] - qi.ci["low"])).all()
    given_w = quality_index(scores, weights={"trust": 2, "sat": 1, "bond": 1})
    assert given_w.weights["trust"] == pytest.approx(0.5)
    by_hand = scores.iloc[0].to_numpy() @ np.array([0.5, 0.25, 0.25])
    assert given_w.scores.iloc[0] == pytest.approx(by_hand)


def test_quality_index_of_an_exact_linear_outcome() -> None:
    """y = 2 + 3 trust + 1 sat exactly: weights 0.75, 0.25, R² 1, intervals of zero width."""
    scores = pd.DataFrame({"trust": [1.0, 2.0, 4.0, 3.0, 5.0], "sat": [2.0, 1.0, 3.0, 5.0, 4.0]})
    y = 2 + 3 * scores["trust"] + scores["sat"]
    qi = quality_index(scores, outcome=y)
    np.testing.assert_allclose(qi.weights.to_numpy(), [0.75, 0.25], rtol=1e-12)
    assert qi.r_squared == pytest.approx(1.0, rel=1e-12)
    assert qi.ci is not None
    np.testing.assert_allclose(qi.ci["high"] - qi.ci["low"], 0.0, atol=1e-9)


def test_collinear_constructs_are_named_not_a_linalg_error() -> None:
    """A construct that is the sum of two others made np.linalg.inv raise LinAlgError."""
    scores = pd.DataFrame({"trust": [1.0, 2.0, 4.0, 3.0, 5.0], "sat": [2.0, 1.0, 3.0, 5.0, 4.0]})
    with pytest.raises(DataError, match="collinear") as err:
        quality_index(scores.assign(both=scores.trust + scores.sat), outcome=[1, 2, 3, 4, 6])
    assert err.value.column == "construct_scores"


@pytest.mark.parametrize("share", [-1.0, 0.0, float("nan"), 2.5])
def test_min_answered_must_be_a_share_or_a_count(share: float) -> None:
    frame = pd.DataFrame([dict.fromkeys(IDS, 5.0)], index=["r1"])
    with pytest.raises(ArgumentError) as err:
        score_responses(FIVE_FACTORS, frame, min_answered=share)
    assert err.value.argument == "min_answered"
