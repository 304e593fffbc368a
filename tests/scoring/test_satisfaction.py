"""NPS, CSAT, CES, ACSI and SERVQUAL against hand computations and exact bootstrap laws."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.errors import DataError
from relmark.scoring import (
    acsi_index,
    csat,
    customer_effort_score,
    nps,
    nps_difference,
    servqual_gaps,
)
from tests.scoring.strategies import nps_answers

Z975 = 1.959963984540054  # the 97.5 % normal quantile


def test_nps_hand_computation() -> None:
    """10 answers: 5 promoters, 3 detractors -> NPS 20, SE 100 sqrt((.5+.3-.04)/10)."""
    r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    assert r.score == pytest.approx(20.0)
    assert r.se == pytest.approx(100 * np.sqrt((0.5 + 0.3 - 0.2**2) / 10))
    half = Z975 * r.se
    assert r.wald == pytest.approx((20.0 - half, 20.0 + half))
    pa, pd_ = 5.75 / 13, 3.75 / 13  # adjusted Wald: +0.75 each, n + 3
    adj = 100 * (pa - pd_)
    adj_half = 100 * Z975 * np.sqrt((pa + pd_ - (pa - pd_) ** 2) / 13)
    assert r.adjusted_wald == pytest.approx((adj - adj_half, adj + adj_half))


def test_nps_level_sets_the_quantile() -> None:
    """level=0.8: the 90 % quantile 1.2815515655446004 times the standard error."""
    r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5], level=0.8)
    assert r.wald[1] - r.score == pytest.approx(1.2815515655446004 * r.se, rel=1e-12)


def test_bootstrap_quantiles_match_the_exact_resampling_law() -> None:
    """For 6 answers the bootstrap law of the NPS is computable exactly: every multinomial
    count of (promoters, passives, detractors) with its probability. The 2.5 % and 97.5 %
    quantiles of 200,000 resamples land on the exact quantiles."""
    answers = [10, 10, 9, 7, 3, 0]  # 3 promoters, 1 passive, 2 detractors
    n, shares = 6, (3 / 6, 1 / 6, 2 / 6)
    law: dict[float, float] = {}
    for a, b in itertools.product(range(n + 1), repeat=2):
        c = n - a - b
        if c < 0:
            continue
        prob = math.factorial(n) / (math.factorial(a) * math.factorial(b) * math.factorial(c))
        prob *= shares[0] ** a * shares[1] ** b * shares[2] ** c
        score = 100 * (a - c) / n
        law[score] = law.get(score, 0.0) + prob
    support = sorted(law)
    cdf = np.cumsum([law[s] for s in support])
    exact = [support[int(np.searchsorted(cdf, q))] for q in (0.025, 0.975)]
    boot = nps(answers, n_bootstrap=200_000, rng=3).bootstrap
    assert boot is not None
    assert boot[0] == pytest.approx(exact[0], abs=100 / n)  # one lattice step at most
    assert boot[1] == pytest.approx(exact[1], abs=100 / n)


def test_nps_bootstrap_and_difference() -> None:
    rng = np.random.default_rng(6)
    wave1 = nps(rng.integers(0, 11, 500), n_bootstrap=2000, rng=7)
    assert wave1.bootstrap is not None
    assert wave1.bootstrap[0] < wave1.score < wave1.bootstrap[1]
    boot_width = wave1.bootstrap[1] - wave1.bootstrap[0]
    assert boot_width == pytest.approx(wave1.wald[1] - wave1.wald[0], rel=0.1)
    wave2 = nps(np.r_[rng.integers(0, 11, 400), np.full(100, 10)])
    diff, z, p = nps_difference(wave1, wave2)
    assert diff == wave2.score - wave1.score
    assert z == pytest.approx(diff / np.hypot(wave1.se, wave2.se))
    assert p == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2)))), rel=1e-9)


@given(nps_answers(), st.floats(0.5, 0.99), st.integers(0, 50))
@settings(max_examples=80, deadline=None)
def test_nps_in_range_with_ordered_intervals(answers: list[int], level: float, draws: int) -> None:
    r = nps(answers, level=level, n_bootstrap=draws, rng=1)
    assert -100 <= r.wald[0] <= r.score <= r.wald[1] <= 100
    assert -100 <= r.adjusted_wald[0] <= r.adjusted_wald[1] <= 100
    if r.bootstrap is not None:
        assert -100 <= r.bootstrap[0] <= r.bootstrap[1] <= 100
    assert r.promoters + r.detractors <= r.n == len(answers)
    assert r.score == pytest.approx(100 * (r.promoters - r.detractors) / r.n)


def test_other_metrics_by_hand() -> None:
    assert csat([5, 4, 3, 2, 1, 5]) == pytest.approx(50.0)
    assert csat([7, 6, 5, 1], scale=7, top=3) == pytest.approx(75.0)
    assert csat([5, 4, 1, 3], top=2) == 50.0  # 4 and 5 are the top two boxes of 1-5
    assert customer_effort_score([1, 7, 4]) == pytest.approx(4.0)
    assert acsi_index([10, 10, 10], [1, 1, 1]) == pytest.approx(100.0)
    assert acsi_index([1, 5.5, 10], [0, 1, 0]) == pytest.approx(50.0)
    assert acsi_index([4, 7], [2, 1]) == pytest.approx(100 * (2 / 3 * 3 + 1 / 3 * 6) / 9)


def test_servqual_gaps_by_hand() -> None:
    gaps = servqual_gaps([[6, 7, 5]], [[5, 7, 6]], {"a": [0], "b": [1, 2]})
    assert gaps == {"a": -1.0, "b": 0.5}


def test_answers_out_of_range_name_the_respondents() -> None:
    with pytest.raises(DataError, match=r"0\.\.10") as err:
        nps([11])
    assert err.value.column == "answers"
    with pytest.raises(DataError, match="whole numbers"):
        nps([7.5])


@pytest.mark.parametrize(
    "call",
    [lambda: nps(["10", "9"]), lambda: csat(np.array(["5", "4"]))],
)
def test_text_answers_are_refused_not_converted(call: object) -> None:
    """numpy turns "10" into 10.0; an answer typed as text is a data error to fix upstream."""
    with pytest.raises(DataError, match="text"):
        call()  # type: ignore[operator]
