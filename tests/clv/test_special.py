"""relmark's repaired hypergeometric function against mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from relmark.clv._special import digamma_rising, hyp2f1, log_rising, trigamma_rising

# scipy 1.17 returns NaN at these points (integer c - a - b of about 100 or more, z > 0.9)
FAILING = [
    (-0.5, -0.5, 150.0, 0.95),
    (0.5, -0.5, 148.0, 0.931421141308297),
    (1.0, 215.0, 218.0, 0.9340947462498783),
    (1.0, 291.5, 294.5, 0.98),
    (-0.5, -0.5, 294.0, 0.9759805144841758),
]


@pytest.mark.parametrize("args", FAILING)
def test_repairs_scipy_nan_against_mpmath(args: tuple[float, ...]) -> None:
    """Where scipy gives NaN the series fallback equals 30-digit mpmath to 1e-13."""
    want = float(mp.hyp2f1(*map(mp.mpf, args)))
    assert np.isfinite(want)
    got = hyp2f1(*args)
    assert float(got) == pytest.approx(want, rel=1e-13)


def test_scipy_still_fails_there_or_agrees() -> None:
    """Documents the scipy behaviour the repair exists for; if a future scipy fixes it, the
    values must agree with the repaired ones."""
    a, b, c, z = (np.array(v) for v in zip(*FAILING, strict=True))
    ours = hyp2f1(a, b, c, z)
    theirs = special.hyp2f1(a, b, c, z)
    fixed = np.isfinite(theirs)
    np.testing.assert_allclose(ours[fixed], theirs[fixed], rtol=1e-12)


def test_array_shapes_and_finite_values_pass_through() -> None:
    """Finite scipy values outside its unreliable region are returned unchanged, with numpy
    broadcasting."""
    z = np.linspace(0.0, 0.99, 7)[:, None]
    c = np.array([[2.7, 10.2, 150.3]])  # c - a - b not an integer
    got = hyp2f1(1.0, 0.5, c, z)
    assert got.shape == (7, 3)
    np.testing.assert_array_equal(got, special.hyp2f1(1.0, 0.5, c, z))


@pytest.mark.parametrize(
    "args",
    [
        (1.0, 3.982317560521589, 4.982317560521589, 0.99774478505348),  # scipy: -39.4
        (1.0, 125.53784584809996, 128.53784584809995, 0.998358043687257),  # scipy: -1.78
        (1.0, 3.9080753744579257, 4.9080753744579257, 0.9995913156900607),  # scipy: 31.4
    ],
)
def test_wrong_scipy_values_are_recomputed_or_refused(args: tuple[float, ...]) -> None:
    """Where scipy returns a finite but wrong value (integer c - a - b, z > 0.9), relmark
    gives mpmath's value to 1e-10 (by the series, or by scipy off the integer and a cubic
    back), or NaN, never scipy's number."""
    want = float(mp.hyp2f1(*map(mp.mpf, args)))
    scipy_value = float(special.hyp2f1(*args))  # type: ignore[call-overload]
    assert abs(scipy_value - want) > 1e-3 * abs(want)  # the failure this guards against
    got = float(hyp2f1(*args))
    assert got == pytest.approx(want, rel=1e-10)


def test_near_one_against_mpmath_on_random_points() -> None:
    """200 random points of the Pareto/NBD form 2F1(1, c; c + m; z) with z in (0.9, 0.9995),
    c up to 3,000 and integer or non-integer m (where scipy alone is NaN or wrong about a third
    of the time): every value is mpmath's to 1e-7, or NaN; at most a fifth are NaN."""
    rng = np.random.default_rng(2026)
    n_nan = 0
    for i in range(200):
        m = float(rng.integers(1, 12)) if i % 2 else float(rng.uniform(0.2, 12.0))
        c = float(np.exp(rng.uniform(np.log(0.3), np.log(3000.0))))
        z = float(1.0 - 10.0 ** rng.uniform(-3.3, -1.0))
        got = float(hyp2f1(1.0, c, c + m, z))
        if np.isnan(got):
            n_nan += 1
            continue
        want = float(mp.hyp2f1(1, mp.mpf(c), mp.mpf(c + m), mp.mpf(z)))
        assert got == pytest.approx(want, rel=1e-7), (m, c, z)
    assert n_nan <= 40


@pytest.mark.parametrize(
    ("a", "b", "c", "z"),
    [
        (3.5, 3.0, 4.0, 149.0 / 150.5),  # BG/NBD, r = 0.5, a = 4, b = 1, x = 0, t/(alpha+T+t)
        (2.2, 1.7, 1.3, 0.9995),
        (0.7, 5.1, 3.3, 0.999),
    ],
)
def test_scipy_values_with_strong_curvature_in_c_are_kept(
    a: float, b: float, c: float, z: float
) -> None:
    """Near z = 1 with a negative c - a - b the function curves in c like log(1 - z)^2: the
    consistency check on scipy's value must not take that curvature for an error (it did, and
    the series, out of reach there, then gave NaN; found by hypothesis for BG/NBD r = 0.5,
    a = 4, b = 1, T = 0.5, t = 149). The value equals mpmath's to 1e-9."""
    with mp.workdps(30):
        got = float(hyp2f1(a, b, c, z))
        assert got == pytest.approx(float(mp.hyp2f1(a, b, c, z)), rel=1e-9)


@pytest.mark.parametrize("r", [1e-8, 0.3, 1.0, 9.999, 10.0, 37.5, 1e8, 1e15, 1e25, 1e300])
def test_log_rising_against_mpmath(r: float) -> None:
    """ln Gamma(r+x) - ln Gamma(r) equals mpmath (50 digits beyond those r + x needs) to 2e-15
    (relative, or absolute below 1), on both sides of the switch to Stirling's series at
    r = 10; 0 at x = 0."""
    from relmark.clv._special import log_rising

    xs = np.array([0.0, 0.5, 1.0, 2.0, 7.0, 1e4, 1e8])
    got = log_rising(r, xs)
    assert got[0] == 0.0
    with mp.workdps(50 + max(0, int(np.log10(r)))):
        for x, g in zip(xs, got, strict=True):
            want = float(mp.loggamma(mp.mpf(r) + mp.mpf(x)) - mp.loggamma(mp.mpf(r)))
            assert abs(g - want) <= 2e-15 * max(1.0, abs(want)), (r, x)


@pytest.mark.parametrize("r", [1e-8, 0.3, 1.0, 9.999, 10.0, 37.5, 1e8, 1e15, 1e25, 1e300])
def test_digamma_and_trigamma_rising_against_mpmath(r: float) -> None:
    """psi(r+x) - psi(r) and psi'(r+x) - psi'(r) equal mpmath to 1e-13 (relative) on both
    sides of the switch to the asymptotic series at r = 10; 0 at x = 0."""
    from relmark.clv._special import digamma_rising, trigamma_rising

    xs = np.array([0.0, 0.5, 1.0, 7.0, 1e4, 1e8])
    d, t = digamma_rising(r, xs), trigamma_rising(r, xs)
    assert d[0] == 0.0 and t[0] == 0.0
    with mp.workdps(60 + max(0, int(np.log10(r)))):
        for x, gd, gt in zip(xs[1:], d[1:], t[1:], strict=True):
            big, small = mp.mpf(r) + mp.mpf(x), mp.mpf(r)
            want_d = float(mp.digamma(big) - mp.digamma(small))
            want_t = float(mp.psi(1, big) - mp.psi(1, small))
            assert gd == pytest.approx(want_d, rel=1e-13), (r, x)
            assert gt == pytest.approx(want_t, rel=1e-13, abs=1e-300), (r, x)


def _rising_ref(kind: str, r: float, x: float) -> float:
    """:math:`\\ln\\Gamma(r+x)-\\ln\\Gamma(r)`, its r-derivative or second r-derivative, by
    50-digit mpmath."""
    with mp.workdps(50):
        rr, xx = mp.mpf(r), mp.mpf(x)
        if kind == "log":
            return float(mp.loggamma(rr + xx) - mp.loggamma(rr))
        order = 0 if kind == "digamma" else 1
        return float(mp.polygamma(order, rr + xx) - mp.polygamma(order, rr))


_RISING = {"log": log_rising, "digamma": digamma_rising, "trigamma": trigamma_rising}


@pytest.mark.parametrize("kind", sorted(_RISING))
@pytest.mark.parametrize("r", [0.5, 9.999999, 10.0, 37.0, 1e8])
def test_rising_one_side_a_number_against_mpmath(kind: str, r: float) -> None:
    """The fast path (one argument a number) as the masked path, against 50-digit mpmath: r a
    number and x an array, x a number and r an array, both numbers; x = 0 is exactly 0 in
    every form (a 0-d power rounded differently: trigamma_rising(10.0, 0.0) was -5.6e-23), and
    x = 1e300 is finite (ratio * ratio overflowed: -inf for -0.105 at r = 10)."""
    fn = _RISING[kind]
    xs = np.array([0.0, 1.0, 3.0, 60.0, 1e6, 1e300])
    got = fn(r, xs)
    for x, value in zip(xs, got, strict=True):
        want = _rising_ref(kind, r, float(x))
        assert value == pytest.approx(want, rel=1e-12, abs=0.0 if want == 0.0 else 1e-300)
        assert float(fn(r, float(x))) == value
        assert float(fn(np.array([r, 2.0 * r]), float(x))[0]) == pytest.approx(value, rel=1e-14)
    assert fn(r, 0.0) == 0.0 and fn(np.array([r]), 0.0)[0] == 0.0


@pytest.mark.parametrize("kind", sorted(_RISING))
def test_rising_empty_side(kind: str) -> None:
    """An empty array beside a number gives an empty result (was numpy's ValueError from the
    regime's reduction: 'zero-size array to reduction operation minimum')."""
    fn = _RISING[kind]
    assert fn(np.array([]), 1.0).shape == (0,)
    assert fn(2.0, np.array([])).shape == (0,)
    assert fn(20.0, np.array([])).shape == (0,)
