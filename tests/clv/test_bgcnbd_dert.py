"""DERT of BG/CNBD-k, MBG/CNBD-k and MBG/NBD: k = 1 against BG/NBD's DERT and MBG/NBD's, the
quadrature against the discounted integral of the conditional expectation (the exact series,
itself checked against Monte Carlo in test_bgcnbd.py), k = 3 against a simulation of the
purchases after T with known parameters, and finite values at extreme but valid inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from relmark.clv import BGCNBD, BGNBD, MBGCNBD, MBGNBD, bgcnbd

FHL = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BATISLAM = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
X = [0.0, 2.0, 10.0, 30.0, 1.0]
TX = [0.0, 30.43, 20.0, 38.0, 38.86]
T = [38.86, 38.86, 38.86, 39.0, 38.86]


@pytest.mark.parametrize("rate", [0.15 / 52, 0.1, 5.0])
def test_k1_equals_bgnbd_and_mbgnbd(rate: float) -> None:
    """BG/CNBD-1 is BG/NBD (FHL 2005): the same DERT (BG/NBD's own quadrature, a different
    code path; at rates near 1e-6 and r + x < 1 it is off by a few %, see
    test_bgcnbd_bad_inputs.py, so the comparison stops at ordinary rates); MBG/CNBD-1 is
    MBG/NBD, whose DERT is MBG/CNBD-k's at k = 1 (checked against mpmath there)."""
    got = BGCNBD(**FHL, k=1).dert(X, TX, T, continuous_discount_rate=rate)
    want = BGNBD(**FHL).dert(X, TX, T, continuous_discount_rate=rate)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    got = MBGCNBD(**BATISLAM, k=1).dert(X, TX, T, continuous_discount_rate=rate)
    want = MBGNBD(**BATISLAM).dert(X, TX, T, continuous_discount_rate=rate)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_mbgnbd_dert_at_zero_frequency_is_below_bgnbd_s_by_p_alive() -> None:
    """Without a repeat purchase an MBG/NBD customer is alive with P(alive) < 1: the DERT is
    that times the alive customer's, which is BG/NBD's at b + 1 (where BG/NBD's P(alive) is
    1)."""
    m = MBGNBD(**BATISLAM)
    shifted = BGNBD(**{**BATISLAM, "b": BATISLAM["b"] + 1.0})
    rate = 0.15 / 52
    got = m.dert(0, 0.0, 38.86, continuous_discount_rate=rate)[0]
    alive = m.p_alive(0, 0.0, 38.86)[0]
    assert alive < 1
    assert got == pytest.approx(
        alive * shifted.dert(0, 0.0, 38.86, continuous_discount_rate=rate)[0], rel=1e-13
    )


def _discounted_integral(
    params: np.ndarray, rate: float, x: float, tx: float, age: float, k: int, modified: bool
) -> float:
    """int_0^inf delta e^{-delta t} E[Y(t) | x, t_x, T] dt (equal to int e^{-delta t}
    dE[Y(t)] by parts) by Gauss-Legendre panels in t (80 nodes each, up to 60 / delta: the
    integrand is smooth there and the rest below e^-60)."""
    cuts = np.array([0.0, 0.02, 0.1, 0.4, 1.0, 3.0, 8.0, 20.0, 60.0]) / rate
    nodes, weights = np.polynomial.legendre.leggauss(80)
    lo, hi = cuts[:-1, None], cuts[1:, None]
    t = (lo + (hi - lo) * (nodes[None, :] + 1.0) / 2.0).ravel()
    w = ((hi - lo) / 2.0 * weights[None, :]).ravel()
    one = np.ones(1)
    e = bgcnbd.conditional_expected_purchases(
        params, t, x * one, tx * one, age * one, k=k, modified=modified
    )
    return float((w * rate * np.exp(-rate * t)) @ e)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize(
    "params", [np.array([0.243, 4.414, 0.793, 2.426]), np.array([1.2, 5.0, 1.6, 2.5])]
)
def test_dert_equals_the_discounted_conditional_expectation(
    modified: bool, k: int, params: np.ndarray
) -> None:
    rate = 0.15 / 52 * 10
    got = bgcnbd.dert(
        params, rate, np.array(X[:4]), np.array(TX[:4]), np.array(T[:4]), k=k, modified=modified
    )
    want = [
        _discounted_integral(params, rate, x, tx, age, k, modified)
        for x, tx, age in zip(X[:4], TX[:4], T[:4], strict=True)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def _future_discounted(
    params: np.ndarray, k: int, modified: bool, ages: np.ndarray, rate: float, seed: int
) -> dict[str, np.ndarray]:
    """Customers simulated by a path loop written for this test: the history at T and the
    purchases after T discounted continuously (until the discount factor is below e^-30)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = params
    n = ages.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    going = rng.random(n) >= p if modified else np.ones(n, dtype=bool)
    clock = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    later = np.zeros(n)
    end = ages + 30.0 / rate
    while going.any():
        i = np.flatnonzero(going)
        clock[i] += rng.gamma(k, 1.0, i.size) / lam[i]
        past = clock[i] > end[i]
        going[i[past]] = False
        i = i[~past]
        before = clock[i] <= ages[i]
        x[i[before]] += 1
        tx[i[before]] = clock[i[before]]
        after = i[~before]
        later[after] += np.exp(-rate * (clock[after] - ages[after]))
        drops = i[rng.random(i.size) < p[i]]
        going[drops] = False
    return {"x": x, "tx": tx, "later": later}


@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
def test_k3_dert_matches_simulated_discounted_purchases(cls: type[BGCNBD]) -> None:
    """Known parameters, 20,000 customers: the mean DERT of their histories equals the mean
    discounted number of their purchases after T, within 4 standard errors (of the
    per-customer differences)."""
    model = cls(r=1.2, alpha=5.0, a=1.6, b=2.5, k=3)
    rate = 0.05
    ages = np.random.default_rng(1).uniform(10.0, 40.0, 20_000)
    sim = _future_discounted(model.params_array, 3, cls.modified, ages, rate, seed=7)
    predicted = model.dert(sim["x"], sim["tx"], ages, continuous_discount_rate=rate)
    diff = sim["later"] - predicted
    se = diff.std() / math.sqrt(diff.size)
    assert abs(diff.mean()) < 4 * se, (predicted.mean(), sim["later"].mean(), se)


@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("rate", [1e-9, 0.15 / 52, 1e6])
def test_dert_is_finite_at_extreme_inputs(cls: type[BGCNBD], k: int, rate: float) -> None:
    """Huge frequency, T = 0, a purchase at T, a long wait; tiny and huge discount rates: finite,
    non-negative, and decreasing in the rate."""
    model = cls(**FHL, k=k)
    x = [1e5, 0.0, 0.0, 5.0, 3.0, 500.0]
    tx = [52.0, 0.0, 0.0, 10.0, 2.0, 3.0]
    age = [52.0, 0.0, 52.0, 10.0, 500.0, 400.0]
    got = model.dert(x, tx, age, continuous_discount_rate=rate)
    assert np.all(np.isfinite(got))
    assert np.all(got >= 0)
    more = model.dert(x, tx, age, continuous_discount_rate=rate * 2)
    assert np.all(more <= got * (1 + 1e-12))
    if rate < 1:
        assert got[0] > 0  # a customer buying 2,000 times a week keeps buying
