"""MBG/NBD against the published fit, mpmath and lifetimes."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from relmark.clv import MBGNBD, mbgnbd
from relmark.datasets import load_cdnow_summary

PUBLISHED = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


def test_fit_reproduces_published_parameters() -> None:
    """Batislam, Denizel & Filiztekin (2007) MBG/NBD on the CDNOW sample as estimated by R's
    BTYDplus (DOMAIN.md 2.1): r = 0.525, alpha = 6.183, a = 0.891, b = 1.614."""
    model = MBGNBD.fit(load_cdnow_summary())
    for name, value in PUBLISHED.items():
        assert round(model.params[name], 3) == value, name
    assert model.fit_result.converged


def mp_conditional(r, alpha, a, b, t, x, tx, T):
    """Batislam et al. (2007) eq. 10 in its original form at high precision."""
    r, alpha, a, b, t, x, tx, T = map(mp.mpf, (r, alpha, a, b, t, x, tx, T))
    with mp.workdps(150):
        hyp = mp.hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
        p_alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
        return (a + b + x) / (a - 1) * bracket * p_alive, p_alive


@pytest.mark.parametrize(
    "case",
    [
        (0.525, 6.183, 0.891, 1.614, 2, 30.43, 38.86),
        (0.525, 6.183, 0.891, 1.614, 0, 0.0, 38.86),
        (0.525, 6.183, 0.891, 1.614, 10_000, 52.0, 52.0),
        (2.0, 0.5, 3.0, 0.4, 5, 3.0, 9.0),
    ],
)
def test_against_mpmath(case: tuple[float, ...]) -> None:
    with mp.workdps(50):
        r, alpha, a, b, x, tx, T = case
        p = np.array([r, alpha, a, b])
        args = (np.array([x], float), np.array([tx], float), np.array([T], float))
        for t in (1.0, 39.0, 300.0):
            want, pa = mp_conditional(r, alpha, a, b, t, x, tx, T)
            got = mbgnbd.conditional_expected_purchases(p, np.array([t]), *args)[0]
            assert got == pytest.approx(float(want), rel=1e-9)
        assert mbgnbd.p_alive(p, *args)[0] == pytest.approx(float(pa), rel=1e-12)


def test_gradient_matches_finite_differences_of_the_likelihood() -> None:
    s = load_cdnow_summary()
    p = np.array([0.7, 4.0, 1.3, 2.2])  # away from the optimum: no cancellation in the sums
    _, g = mbgnbd.log_likelihood_and_grad(p, s.frequency, s.recency, s.T)
    for i in range(4):
        h = 1e-6 * p[i]
        up, dn = p.copy(), p.copy()
        up[i] += h
        dn[i] -= h
        fd = (
            mbgnbd.log_likelihood(up, s.frequency, s.recency, s.T).sum()
            - mbgnbd.log_likelihood(dn, s.frequency, s.recency, s.T).sum()
        ) / (2 * h)
        assert g[:, i].sum() == pytest.approx(fd, rel=1e-6)


def test_prob_purchases_distribution_and_mean() -> None:
    m = MBGNBD(r=0.6, alpha=4.0, a=2.5, b=3.0)
    n = np.arange(0, 2000, dtype=float)
    probs = m.prob_purchases(n, t=np.full_like(n, 25.0))
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    assert float(n @ probs) == pytest.approx(
        float(m.expected_purchases_new_customer(t=25.0)[0]), rel=1e-8
    )


def test_agrees_with_lifetimes() -> None:
    from lifetimes import ModifiedBetaGeoFitter

    s = load_cdnow_summary()
    lt = ModifiedBetaGeoFitter()
    lt.params_ = pd.Series(PUBLISHED)
    m = MBGNBD(**PUBLISHED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pa = lt.conditional_probability_alive(s.frequency, s.recency, s.T)
        e = lt.conditional_expected_number_of_purchases_up_to_time(39, s.frequency, s.recency, s.T)
        new = lt.expected_number_of_purchases_up_to_time(np.array([5.0, 52.0]))
    np.testing.assert_allclose(m.p_alive(s.frequency, s.recency, s.T), pa, rtol=1e-6)
    np.testing.assert_allclose(
        m.conditional_expected_purchases(s.frequency, s.recency, s.T, t=39), e, rtol=1e-6
    )
    np.testing.assert_allclose(m.expected_purchases_new_customer(t=[5.0, 52.0]), new, rtol=1e-6)


# ------------------------------------------------------------------------------------ DERT
@pytest.mark.parametrize(("x", "tx", "T"), [(0, 0.0, 38.86), (2, 30.43, 38.86), (30, 38.0, 39.0)])
@pytest.mark.parametrize("rate", [0.15 / 52, 0.05])
def test_dert_equals_the_discounted_closed_form_expectation(
    x: int, tx: float, T: float, rate: float
) -> None:
    """DERT = int_0^inf delta e^{-delta t} E[Y(t) | x, t_x, T] dt with Batislam et al.'s
    closed-form conditional expectation (eq. 10, a 2F1), by Gauss-Legendre panels in t up to
    60 / delta (the integrand is smooth; the rest is below e^-60), to 1e-9."""
    p = np.array(list(PUBLISHED.values()))
    cuts = np.array([0.0, 0.02, 0.1, 0.4, 1.0, 3.0, 8.0, 20.0, 60.0]) / rate
    nodes, weights = np.polynomial.legendre.leggauss(80)
    lo, hi = cuts[:-1, None], cuts[1:, None]
    t = (lo + (hi - lo) * (nodes[None, :] + 1.0) / 2.0).ravel()
    w = ((hi - lo) / 2.0 * weights[None, :]).ravel()
    one = np.ones(1)
    expected = mbgnbd.conditional_expected_purchases(p, t, x * one, tx * one, T * one)
    want = float((w * rate * np.exp(-rate * t)) @ expected)
    got = MBGNBD(**PUBLISHED).dert(x, tx, T, continuous_discount_rate=rate)[0]
    assert got == pytest.approx(want, rel=1e-9)


def test_dert_is_finite_at_extreme_inputs() -> None:
    m = MBGNBD(**PUBLISHED)
    for rate in (1e-9, 1e6):
        got = m.dert(
            [1e5, 0, 0, 3],
            [52.0, 0.0, 0.0, 2.0],
            [52.0, 0.0, 52.0, 500.0],
            continuous_discount_rate=rate,
        )
        assert np.all(np.isfinite(got))
        assert np.all(got >= 0)
