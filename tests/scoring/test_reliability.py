"""Reliability against pingouin, mpmath, hand computations and simulated one-factor data."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from relmark.errors import DataError, NumericalWarning
from relmark.scoring import (
    ReliabilityThresholds,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    fornell_larcker,
    htmt,
    one_factor_loadings,
)
from tests.scoring.strategies import likert_matrices

SMALL = ReliabilityThresholds(min_respondents=3)


def simulate_scale(n: int, loadings: list[float], rng: np.random.Generator) -> np.ndarray:
    """Standardised one-factor data with known loadings."""
    lam = np.asarray(loadings)
    f = rng.standard_normal(n)
    e = rng.standard_normal((n, lam.size)) * np.sqrt(1 - lam**2)
    out: np.ndarray = f[:, None] * lam + e
    return out


def test_alpha_and_feldt_interval_match_pingouin() -> None:
    import pingouin as pg

    rng = np.random.default_rng(1)
    x = np.round(3 + 1.2 * simulate_scale(200, [0.8, 0.7, 0.6, 0.75], rng)).clip(1, 7)
    ours = cronbach_alpha(x)
    theirs, ci = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert ours.alpha == pytest.approx(theirs, rel=1e-10)
    assert ours.ci == pytest.approx(tuple(ci), abs=6e-3)  # pingouin rounds its CI to 3 digits


def test_alpha_hand_computation_and_feldt_quantiles_in_mpmath() -> None:
    """The docstring's 5 x 3 example by hand; the Feldt bounds are F quantiles, checked by
    evaluating the F distribution function (a regularised incomplete beta) in mpmath."""
    x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
    # item variances 2.5, 1.3, 1.3 (sum 5.1); totals 5, 8, 10, 13, 14 have variance 13.5
    res = cronbach_alpha(x, level=0.9, thresholds=SMALL)
    assert res.alpha == pytest.approx(1.5 * (1 - 5.1 / 13.5), rel=1e-14)
    df1, df2 = 4, 8
    with mp.workdps(30):
        for bound, prob in ((res.ci[0], 0.95), (res.ci[1], 0.05)):
            f = (1 - mp.mpf(bound)) / (1 - mp.mpf(res.alpha))
            cdf = mp.betainc(df1 / 2, df2 / 2, 0, df1 * f / (df1 * f + df2), regularized=True)
            assert float(cdf) == pytest.approx(prob, rel=1e-9)
    assert res.alpha_if_deleted is not None
    # without item 0: (2,3,3,5,4) and (2,3,4,4,5), variances 1.3 and 1.3; totals 4,6,7,9,9 have
    # variance 4.5
    assert res.alpha_if_deleted[0] == pytest.approx(2 * (1 - 2.6 / 4.5), rel=1e-14)


def test_two_items_have_no_alpha_if_deleted() -> None:
    """One item left has no alpha: None, not an array of NaN."""
    x = np.array([[1, 2], [2, 2], [3, 4], [4, 5]], dtype=float)
    assert cronbach_alpha(x, thresholds=SMALL).alpha_if_deleted is None


def test_alpha_is_invariant_to_item_order() -> None:
    rng = np.random.default_rng(2)
    x = simulate_scale(100, [0.8, 0.6, 0.7], rng)
    assert cronbach_alpha(x).alpha == pytest.approx(cronbach_alpha(x[:, [2, 0, 1]]).alpha)


@given(likert_matrices())
@settings(max_examples=60, deadline=None)
def test_alpha_is_at_most_one_and_inside_its_interval(x: np.ndarray) -> None:
    """Cauchy-Schwarz: the total's variance is at most k times the sum of item variances."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)  # small samples warn, by design
        res = cronbach_alpha(x)
    assert res.alpha <= 1.0
    assert res.ci[0] <= res.alpha <= res.ci[1] <= 1.0
    assert res.item_total.min() >= -1.0 and res.item_total.max() <= 1.0


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


def test_cr_and_ave_by_hand() -> None:
    """(0.8 + 0.6)^2 = 1.96; unique variances 0.36 + 0.64 = 1; AVE (0.64 + 0.36) / 2."""
    assert composite_reliability([0.8, 0.6]) == pytest.approx(1.96 / 2.96, rel=1e-15)
    assert average_variance_extracted([0.8, 0.6]) == pytest.approx(0.5, rel=1e-15)


def test_fornell_larcker_by_hand() -> None:
    """sqrt(0.64) = 0.8 beats a correlation of 0.7 but not 0.85."""
    corr = [[1.0, 0.7, 0.85], [0.7, 1.0, 0.1], [0.85, 0.1, 1.0]]
    assert fornell_larcker([0.64, 0.64, 0.81], corr).tolist() == [False, True, True]


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


def test_htmt_by_hand() -> None:
    """Population correlations 0.5 within and 0.25 between give HTMT 0.25 / 0.5 = 0.5: with
    a large sample the ratio is close."""
    rng = np.random.default_rng(6)
    cov = np.full((4, 4), 0.25) + np.diag([0.5] * 4)
    cov[:2, :2] = cov[2:, 2:] = 0.5
    np.fill_diagonal(cov, 1.0)
    x = rng.multivariate_normal(np.zeros(4), cov, size=50_000)
    assert htmt(x[:, :2], x[:, 2:]) == pytest.approx(0.5, abs=0.02)


def test_alpha_of_an_item_without_variance_is_an_error_not_nan() -> None:
    """Every respondent gave item 1 the same answer: alpha's item-total correlation divides by
    zero (it returned NaN with RuntimeWarnings)."""
    x = np.array([[3, 1, 2], [3, 2, 3], [3, 4, 4], [3, 5, 4]], dtype=float)
    with pytest.raises(DataError, match=r"item\(s\) 0 ") as err:
        cronbach_alpha(x)
    assert err.value.column == "items"
