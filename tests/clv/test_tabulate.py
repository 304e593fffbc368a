"""Chebyshev tabulation of costly predictions: exact to ~1e-12 and used only when it converges."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark._validation import FloatArray
from relmark.clv import BGNBD, MBGNBD, GammaGamma, bgnbd, clv, mbgnbd, paretonbd
from relmark.clv._tabulate import MIN_ROWS, tabulate
from tests.clv.test_bgnbd import mp_conditional


def _customers(
    n: int, t_lo: float, t_hi: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    T = rng.uniform(t_lo, t_hi, n)
    x = (rng.geometric(0.3, n) - 1).astype(float)
    x[:40] = 10_000.0  # heavy buyers share a key, as in real data
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    tx[:20] = T[:20]  # t_x = T
    return x, tx, T


class _Counting:
    """Wraps an exact function and counts the (row, horizon) values it was asked for."""

    def __init__(self, fn: object) -> None:
        self.fn = fn
        self.values = 0

    def __call__(self, key: FloatArray, scale: FloatArray, times: FloatArray) -> FloatArray:
        out: FloatArray = self.fn(key, scale, times)  # type: ignore[operator]
        self.values += out.size
        return out


def test_tabulated_bgnbd_against_mpmath() -> None:
    """Customers scored through the interpolant agree with a 150-digit mpmath evaluation of
    FHL (2005) eq. 10 to 1e-10, including x = 10,000 and t_x = T."""
    rng = np.random.default_rng(11)
    n = 3 * MIN_ROWS
    x, tx, T = _customers(n, 0.0, 400.0, rng)
    params = np.array([0.243, 4.414, 0.793, 2.426])
    times = np.array([4.345, 26.0, 52.0])
    got = bgnbd.conditional_expected_purchases(
        params, times[None, :], x[:, None], tx[:, None], T[:, None]
    )
    for i in [*range(0, 40, 13), *rng.choice(n, 12, replace=False).tolist()]:
        for h, t in enumerate(times):
            want = float(mp_conditional(0.243, 4.414, 0.793, 2.426, t, x[i], tx[i], T[i]))
            assert got[i, h] == pytest.approx(want, rel=1e-10), (i, t)


def test_interpolation_is_used_and_matches_exact_evaluation() -> None:
    """The interpolant asks the exact function for a few hundred values per frequency instead
    of one per customer and horizon, and agrees with exact evaluation to 1e-11 relative."""
    rng = np.random.default_rng(5)
    n = 2 * MIN_ROWS
    x, _, T = _customers(n, 27.0, 39.0, rng)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    times = 4.345 * np.arange(1.0, 13.0)

    def exact(key: FloatArray, scale: FloatArray, t: FloatArray) -> FloatArray:
        key, scale, t = np.broadcast_arrays(key, scale, t)
        return bgnbd._scaled_remaining(a, b + key, r + key, t, scale)

    counting = _Counting(exact)
    got = tabulate(counting, x, alpha + T, times)
    want = exact(x[:, None], alpha + T[:, None], times[None, :])
    assert counting.values < 0.05 * want.size
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=0)


def test_a_function_that_does_not_interpolate_is_evaluated_exactly() -> None:
    """A function with no smooth structure in log(scale) (a fast oscillation) never converges:
    every customer is evaluated exactly and the result is bit-for-bit the exact one."""
    rng = np.random.default_rng(2)
    n = MIN_ROWS + 10
    key = rng.integers(0, 3, n).astype(float)
    scale = rng.uniform(1.0, 100.0, n)
    times = np.array([1.0, 2.0])

    def rough(k: FloatArray, s: FloatArray, t: FloatArray) -> FloatArray:
        out: FloatArray = 2.0 + np.sin(1e4 * s) * t + k
        return out

    got = tabulate(rough, key, scale, times)
    np.testing.assert_array_equal(got, rough(key[:, None], scale[:, None], times[None, :]))


@settings(max_examples=8, deadline=None)
@given(
    r=st.floats(0.05, 5.0),
    alpha=st.floats(0.05, 50.0),
    a=st.floats(0.2, 5.0),
    b=st.floats(0.2, 10.0),
    t_hi=st.sampled_from([5.0, 39.0, 730.0, 1e4]),
    model=st.sampled_from([bgnbd, mbgnbd]),
)
def test_weighted_sum_equals_sum_of_exact_horizons(
    r: float, alpha: float, a: float, b: float, t_hi: float, model: object
) -> None:
    """For parameters across the typical ranges, the CLV's weighted sum over horizons by
    interpolation equals the sum of exact per-horizon expectations to 1e-10 relative."""
    rng = np.random.default_rng(int(1e6 * r) % 2**31)
    n = MIN_ROWS + 500
    x, tx, T = _customers(n, 0.0, t_hi, rng)
    params = np.array([r, alpha, a, b])
    times = np.linspace(1.0, 60.0, 6)
    weights = rng.uniform(0.1, 1.0, 6)
    alive = model.p_alive(params, x, tx, T)  # type: ignore[attr-defined]
    got = alive * model.remaining(params, times, x, T, weights)  # type: ignore[attr-defined]
    cep = model.conditional_expected_purchases  # type: ignore[attr-defined]
    # exact: one horizon and a small block of customers at a time (below MIN_ROWS)
    want = np.zeros(n)
    for lo in range(0, n, 5_000):
        sl = slice(lo, lo + 5_000)
        for t, w in zip(times, weights, strict=True):
            want[sl] += w * cep(params, np.array([t]), x[sl], tx[sl], T[sl])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("model", [BGNBD, MBGNBD])
def test_clv_in_one_chunk_equals_clv_in_small_chunks(model: type[BGNBD]) -> None:
    """CLV of 50,000 customers in one chunk (interpolated) and in chunks too small to
    interpolate (exact) agree to 1e-11 relative."""
    rng = np.random.default_rng(8)
    purchases = model(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    d = purchases.simulate(rng.uniform(27.0, 39.0, 50_000), rng=rng)
    m = spend.simulate(d["frequency"], rng=rng)["monetary_value"]
    rfm = (d["frequency"], d["recency"], d["T"], m)
    whole = clv(purchases, spend, *rfm, chunk_size=50_000)
    chunked = clv(purchases, spend, *rfm, chunk_size=5_000)
    np.testing.assert_allclose(whole, chunked, rtol=1e-11)


@pytest.mark.parametrize("s", [0.606, 1.0, 2.7])
def test_tabulated_paretonbd_remaining_against_mpmath(s: float) -> None:
    """Pareto/NBD's expected purchases of a customer alive at T, for a batch large enough to
    be interpolated in log(beta + T), per horizon and as a discounted weighted sum, against the
    integral E[(r+x)/(alpha+T) (1 - e^{-mu t})/mu] over the Gamma(s, beta + T) posterior of
    mu, computed by mpmath quadrature (40 digits), to 1e-11; s = 1 included."""
    with mp.workdps(40):
        rng = np.random.default_rng(12)
        n = 3 * MIN_ROWS
        x, _, T = _customers(n, 0.0, 400.0, rng)
        r, alpha, beta = 0.553, 10.578, 11.669
        params = np.array([r, alpha, s, beta])
        times = np.array([4.345, 26.0, 52.0])
        weights = np.array([0.9, 0.5, 0.25])
        table = paretonbd.remaining(params, times, x, T)
        summed = paretonbd.remaining(params, times, x, T, weights)

        def want(i: int, t: float) -> float:
            b = mp.mpf(beta) + mp.mpf(T[i])
            density = lambda mu: b**s * mu ** (s - 1) * mp.exp(-b * mu) / mp.gamma(s)  # noqa: E731
            mean = mp.quad(lambda mu: density(mu) * -mp.expm1(-mu * t) / mu, [0, 1 / b, mp.inf])
            return float((r + mp.mpf(x[i])) / (alpha + mp.mpf(T[i])) * mean)

        for i in [*range(0, 40, 13), *rng.choice(n, 8, replace=False).tolist()]:
            values = [want(i, t) for t in times]
            for h in range(3):
                assert table[i, h] == pytest.approx(values[h], rel=1e-11), (i, h)
            assert summed[i] == pytest.approx(float(np.dot(weights, values)), rel=1e-11), i
