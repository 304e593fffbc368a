"""Scoring against pingouin, hand computations and simulation with known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import DataError, NumericalWarning
from relmark.scoring import (
    FIVE_FACTORS,
    Instrument,
    Reputation,
    acsi_index,
    composite_reliability,
    cronbach_alpha,
    csat,
    customer_pyramid,
    gini,
    htmt,
    nps,
    nps_difference,
    one_factor_loadings,
    quality_index,
    quantile_scores,
    reputation_scores,
    rfm_scores,
    score_responses,
    segment,
)


def simulate_scale(n: int, loadings: list[float], rng: np.random.Generator) -> np.ndarray:
    """Standardised one-factor data with known loadings."""
    lam = np.asarray(loadings)
    f = rng.standard_normal(n)
    e = rng.standard_normal((n, lam.size)) * np.sqrt(1 - lam**2)
    out: np.ndarray = f[:, None] * lam + e
    return out


# ---------------------------------------------------------------------------- reliability
def test_alpha_and_feldt_interval_match_pingouin() -> None:
    import pingouin as pg

    rng = np.random.default_rng(1)
    x = np.round(3 + 1.2 * simulate_scale(200, [0.8, 0.7, 0.6, 0.75], rng)).clip(1, 7)
    ours = cronbach_alpha(x)
    theirs, ci = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert ours.alpha == pytest.approx(theirs, rel=1e-10)
    assert ours.ci == pytest.approx(tuple(ci), abs=6e-3)  # pingouin rounds its CI to 3 digits


def test_alpha_is_invariant_to_item_order() -> None:
    rng = np.random.default_rng(2)
    x = simulate_scale(100, [0.8, 0.6, 0.7], rng)
    assert cronbach_alpha(x).alpha == pytest.approx(cronbach_alpha(x[:, [2, 0, 1]]).alpha)


def test_omega_recovers_known_loadings() -> None:
    """MINRES loadings of simulated one-factor data are close to the true ones, and omega to
    the population value (Sum lambda)^2 / ((Sum lambda)^2 + Sum (1 - lambda^2))."""
    truth = [0.8, 0.7, 0.6, 0.75, 0.65]
    x = simulate_scale(20_000, truth, np.random.default_rng(3))
    lam = one_factor_loadings(x)
    np.testing.assert_allclose(lam, truth, atol=0.02)
    s = sum(truth) ** 2
    assert composite_reliability(lam) == pytest.approx(
        s / (s + sum(1 - t**2 for t in truth)), abs=0.01
    )


def test_small_samples_warn() -> None:
    x = simulate_scale(10, [0.8, 0.7, 0.6], np.random.default_rng(4))
    with pytest.warns(NumericalWarning, match="imprecise"):
        cronbach_alpha(x)


def test_htmt_low_for_distinct_constructs() -> None:
    rng = np.random.default_rng(5)
    a = simulate_scale(2000, [0.8, 0.8, 0.8], rng)
    b = simulate_scale(2000, [0.8, 0.8, 0.8], rng)
    assert htmt(a, b) < 0.1
    assert htmt(a, a + 0.01 * rng.standard_normal(a.shape)) > 0.95


# ---------------------------------------------------------------------------- NPS and co
def test_nps_hand_computation() -> None:
    """10 answers: 5 promoters, 3 detractors -> NPS 20, SE 100 sqrt((.5+.3-.04)/10)."""
    r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    assert r.score == pytest.approx(20.0)
    assert r.se == pytest.approx(100 * np.sqrt((0.5 + 0.3 - 0.2**2) / 10))
    half = 1.959963984540054 * r.se
    assert r.wald == pytest.approx((20.0 - half, 20.0 + half))
    pa, pd_ = 5.75 / 13, 3.75 / 13  # adjusted Wald: +0.75 each, n + 3
    adj = 100 * (pa - pd_)
    adj_half = 100 * 1.959963984540054 * np.sqrt((pa + pd_ - (pa - pd_) ** 2) / 13)
    assert r.adjusted_wald == pytest.approx((adj - adj_half, adj + adj_half))


def test_nps_bootstrap_and_difference() -> None:
    rng = np.random.default_rng(6)
    wave1 = nps(rng.integers(0, 11, 500), n_bootstrap=2000, rng=7)
    assert wave1.bootstrap is not None
    assert wave1.bootstrap[0] < wave1.score < wave1.bootstrap[1]
    boot_width = wave1.bootstrap[1] - wave1.bootstrap[0]
    assert boot_width == pytest.approx(wave1.wald[1] - wave1.wald[0], rel=0.1)
    wave2 = nps(np.r_[rng.integers(0, 11, 400), np.full(100, 10)])
    diff, z, p = nps_difference(wave1, wave2)
    assert diff > 0
    assert z == pytest.approx(diff / np.hypot(wave1.se, wave2.se))
    assert 0 <= p < 0.05


@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
@settings(max_examples=100, deadline=None)
def test_nps_bounds(answers: list[int]) -> None:
    r = nps(answers)
    assert -100 <= r.wald[0] <= r.score <= r.wald[1] <= 100


def test_other_metrics() -> None:
    assert csat([5, 4, 3, 2, 1, 5]) == pytest.approx(50.0)
    assert acsi_index([10, 10, 10], [1, 1, 1]) == pytest.approx(100.0)
    assert acsi_index([1, 5.5, 10], [0, 1, 0]) == pytest.approx(50.0)
    with pytest.raises(DataError, match=r"0\.\.10"):
        nps([11])
    with pytest.raises(DataError, match="whole numbers"):
        nps([7.5])


# ---------------------------------------------------------------------------- trust
def test_beta_reputation_formula() -> None:
    """Jøsang & Ismail (2002): E = (r+1)/(r+s+2); 8 kept, 2 broken -> 0.75."""
    rep = Reputation(positive=8, negative=2)
    assert rep.score == pytest.approx(0.75)
    lo, hi = rep.interval(0.95)
    assert lo < 0.75 < hi


@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=12),
    st.floats(0.5, 1.0),
)
@settings(max_examples=60, deadline=None)
def test_one_event_at_a_time_equals_vectorised(events: list[tuple[int, int]], lam: float) -> None:
    rep = Reputation(forgetting=lam)
    for k, b in events:
        rep = rep.update(kept=k, broken=b)
    kept = np.array([[k for k, _ in events]])
    broken = np.array([[b for _, b in events]])
    score, lo, hi = reputation_scores(kept, broken, forgetting=lam)
    assert score[0] == pytest.approx(rep.score, rel=1e-12)
    assert (lo[0], hi[0]) == pytest.approx(rep.interval(), rel=1e-9)


# ---------------------------------------------------------------------------- RFM
def test_ties_share_a_score_whatever_the_row_order() -> None:
    values = np.array([5, 5, 5, 5, 5, 1, 2, 3, 9, 9])
    scores = quantile_scores(values)
    assert len(set(scores[values == 5])) == 1
    assert len(set(scores[values == 9])) == 1
    perm = np.random.default_rng(8).permutation(values.size)
    np.testing.assert_array_equal(quantile_scores(values[perm]), scores[perm])


@given(st.lists(st.integers(0, 30), min_size=1, max_size=80), st.integers(2, 10))
@settings(max_examples=100, deadline=None)
def test_scores_in_range_monotone_and_tie_safe(values: list[int], bins: int) -> None:
    v = np.array(values, dtype=float)
    s = quantile_scores(v, bins)
    assert s.min() >= 1
    assert s.max() <= bins
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(s[order]) >= 0)
    for value in np.unique(v):
        assert len(set(s[v == value])) == 1


def test_rfm_cells_segments_and_short_time_since_last_scores_high() -> None:
    r = rfm_scores([1, 50, 2, 40, 3], [10, 1, 9, 2, 8], [500, 5, 400, 10, 300])
    assert r.recency_score[0] == 5
    assert r.recency_score[1] == 1
    assert r.cells[0] == "555"
    assert segment(r.cells)[0] == "champions"
    with pytest.raises(DataError, match="anchored"):
        segment(r.cells, {"bad": "5"})
    nested = rfm_scores(
        [1, 50, 2, 40, 3], [10, 1, 9, 2, 8], [500, 5, 400, 10, 300], method="nested"
    )
    assert nested.recency_score.tolist() == r.recency_score.tolist()


def test_pyramid_and_gini() -> None:
    value = np.arange(1, 101, dtype=float)
    tiers = customer_pyramid(value)
    assert tiers[-1] == "platinum"
    assert tiers.count("platinum") == 1
    assert tiers.count("gold") == 4
    assert tiers.count("iron") == 15
    assert tiers.count("lead") == 80
    # Gini of 1..n is (n-1)/(3n)... for the discrete Lorenz curve: (n^2-1)/(3n^2) with n=100
    assert gini(value) == pytest.approx((100**2 - 1) / (3 * 100**2) * 100 / 100, rel=0.02)
    assert gini([1, 1, 1]) == pytest.approx(0.0)


# ---------------------------------------------------------------------------- surveys
def test_scoring_recodes_reverse_items_and_applies_min_answered() -> None:
    ids = [i.id for i in FIVE_FACTORS.items]
    row = dict.fromkeys(ids, 7.0)
    row["trust_3"] = 1.0  # reverse-coded: 1 -> 7
    row["sat_2"] = np.nan
    frame = pd.DataFrame([row, {**row, "sat_1": np.nan}], index=["r1", "r2"])
    scores = score_responses(FIVE_FACTORS, frame, min_answered=0.5)
    assert scores.means.loc["r1", "trust"] == 7.0
    assert scores.scaled.loc["r1", "trust"] == 100.0
    assert scores.means.loc["r1", "satisfaction"] == 7.0  # 1 of 2 answered: enough
    assert scores.means["satisfaction"].isna().tolist() == [False, True]  # 0 of 2 answered
    bad = frame.copy()
    bad.loc["r2", "comm_1"] = 9
    with pytest.raises(DataError, match=r"comm_1.*'r2'"):
        score_responses(FIVE_FACTORS, bad)


@given(st.integers(1, 7))
def test_reverse_coding_is_an_involution(x: int) -> None:
    lo, hi = 1, 7
    assert lo + hi - (lo + hi - x) == x


def test_instruments_round_trip_and_validate() -> None:
    again = Instrument.model_validate_json(FIVE_FACTORS.model_dump_json())
    assert again == FIVE_FACTORS
    bad = FIVE_FACTORS.model_dump()
    bad["constructs"][1]["items"][0]["id"] = "trust_1"
    with pytest.raises(ValueError, match="duplicate item ids: trust_1"):
        Instrument.model_validate(bad)


def test_quality_index_recovers_known_weights() -> None:
    rng = np.random.default_rng(9)
    scores = pd.DataFrame(rng.uniform(0, 100, size=(3000, 3)), columns=["trust", "sat", "bond"])
    outcome = 0.5 * scores["trust"] + 0.3 * scores["sat"] + 0.2 * scores["bond"]
    outcome = outcome + rng.normal(0, 5, 3000)
    qi = quality_index(scores, outcome=outcome)
    np.testing.assert_allclose(qi.weights.to_numpy(), [0.5, 0.3, 0.2], atol=0.02)
    assert qi.ci is not None
    assert ((qi.ci["low"] < qi.weights) & (qi.weights < qi.ci["high"])).all()
    given_w = quality_index(scores, weights={"trust": 2, "sat": 1, "bond": 1})
    assert given_w.weights["trust"] == pytest.approx(0.5)


def test_servqual_gaps_and_rfm_from_the_summary() -> None:
    from relmark.datasets import load_cdnow_summary
    from relmark.scoring import rfm_from_summary, servqual_gaps

    gaps = servqual_gaps([[6, 7, 5]], [[5, 7, 6]], {"a": [0], "b": [1, 2]})
    assert gaps == {"a": -1.0, "b": 0.5}
    s = load_cdnow_summary(with_monetary=True)
    scores = rfm_from_summary(s)
    # ties by construction: all one-time buyers share frequency and monetary scores
    one_timers = s.frequency == 0
    assert len(set(scores.frequency_score[one_timers])) == 1
    assert len(set(scores.monetary_score[one_timers])) == 1


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call",
    [
        lambda: nps(["10", "9"]),
        lambda: csat(np.array(["5", "4"])),
        lambda: cronbach_alpha(np.array([["1", "2"], ["2", "3"], ["3", "3"]], dtype=object)),
    ],
)
def test_text_answers_are_refused_not_converted(call: object) -> None:
    """numpy turns "10" into 10.0; an answer typed as text is a data error to fix upstream."""
    with pytest.raises(DataError, match="text"):
        call()  # type: ignore[operator]


def test_text_in_a_survey_column_names_the_item() -> None:
    ids = [i.id for i in FIVE_FACTORS.items]
    frame = pd.DataFrame([dict.fromkeys(ids, 5.0)] * 2, index=["r1", "r2"])
    frame["comm_1"] = ["5", "6"]
    with pytest.raises(DataError) as err:
        score_responses(FIVE_FACTORS, frame)
    assert err.value.column == "comm_1"


def test_alpha_of_an_item_without_variance_is_an_error_not_nan() -> None:
    """Every respondent gave item 1 the same answer: alpha's item-total correlation divides by
    zero (it returned NaN with RuntimeWarnings)."""
    x = np.array([[3, 1, 2], [3, 2, 3], [3, 4, 4], [3, 5, 4]], dtype=float)
    with pytest.raises(DataError, match=r"item\(s\) 0 "):
        cronbach_alpha(x)


def test_constructs_need_one_scale_and_items_whole_numbers() -> None:
    """Items 1-5 and 1-10 in one construct, both answered at the top, scored 162.5 out of 100."""
    from pydantic import ValidationError

    from relmark.scoring import Construct, Item

    with pytest.raises(ValidationError, match="different scales"):
        Construct(
            name="mixed",
            items=(Item(id="a", wording="A", low=1, high=5), Item(id="b", wording="B", high=10)),
        )
    with pytest.raises(ValidationError):
        Item(id="a", wording="A", low="1")  # type: ignore[arg-type]


@pytest.mark.parametrize("share", [-1.0, 0.0, float("nan"), 2.5])
def test_min_answered_must_be_a_share_or_a_count(share: float) -> None:
    ids = [i.id for i in FIVE_FACTORS.items]
    frame = pd.DataFrame([dict.fromkeys(ids, 5.0)], index=["r1"])
    with pytest.raises(DataError) as err:
        score_responses(FIVE_FACTORS, frame, min_answered=share)
    assert err.value.column == "min_answered"


def test_scoring_arguments_are_checked_not_ignored() -> None:
    """csat(top=7) on a 1-5 scale gave 100 %, nps(n_bootstrap=-5) skipped the bootstrap
    silently, NaN item means or loadings gave NaN."""
    cases = [
        (lambda: csat([5, 4, 1], top=7), "top"),
        (lambda: csat([5, 4, 1], top=0), "top"),
        (lambda: nps([10, 9, 3], n_bootstrap=-5), "n_bootstrap"),
        (lambda: acsi_index([np.nan, 5.0], [1.0, 1.0]), "item_means"),
        (lambda: acsi_index([8.0, 5.0], [np.inf, 1.0]), "weights"),
        (lambda: composite_reliability([np.nan, 0.7]), "loadings"),
        (lambda: composite_reliability([]), "loadings"),
        (lambda: composite_reliability([1.3, 0.7]), "loadings"),
    ]
    for call, column in cases:
        with pytest.raises(DataError) as err:
            call()
        assert err.value.column == column
    assert csat([5, 4, 1, 3], top=2) == 50.0  # 4 and 5 are the top two boxes of 1-5


@pytest.mark.parametrize("cuts", [(0.01, 0.05, 0.2, 0.5), (0.05, 0.2), (0.05, 0.01, 0.2)])
def test_pyramid_needs_three_increasing_cuts(cuts: tuple[float, ...]) -> None:
    """Four cuts raised IndexError (no fifth tier); two left 'lead' unused silently."""
    with pytest.raises(DataError) as err:
        customer_pyramid([5.0, 3.0, 1.0], cuts=cuts)  # type: ignore[arg-type]
    assert err.value.column == "cuts"
