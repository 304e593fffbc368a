"""Adversarial review of the BG family (BG/NBD, MBG/NBD) and clv._special at extreme but valid
parameters, against independent computations in mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import BGNBD, MBGNBD
from relmark.clv._special import trigamma_rising


def _expected_alive(r: float, alpha: float, a: float, b: float, x: float, T: float, t: float):
    """E[Y(t) | alive at T] of BG/NBD as the integral over the dropout probability p of
    (1 - (1 + p t/(alpha+T))^-(r+x)) / p against Beta(p; a, b + x) (mpmath quadrature)."""
    r, alpha, a, b, x, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, T, t))
    bx, at, rx = b + x, alpha + T, r + x
    log_b = mp.log(mp.beta(a, bx))

    def f(p: mp.mpf) -> mp.mpf:
        dens = mp.exp((a - 1) * mp.log(p) + (bx - 1) * mp.log1p(-p) - log_b)
        return -mp.expm1(-rx * mp.log1p(p * t / at)) / p * dens

    m = a / (a + bx)
    return mp.quad(f, [0, m / 100, m, 10 * m, 100 * m, 1000 * m, 1])


@pytest.mark.parametrize("a", [0.8, 1.5])
@pytest.mark.parametrize("b", [1e4, 1e6, 1e9])
def test_conditional_expected_purchases_large_b(a: float, b: float) -> None:
    """Little dropout (b large) and an old customer (t/(alpha+T) = 1e-6): the closed form's
    two terms cancelled (b = 1e6: 5e-5 relative error, b = 1e9: 6 %). Reference: mpmath's
    quadrature of the mixture at 40 digits, times P(alive) (FHL 2005, eq. 10)."""
    mp.mp.dps = 40
    r, alpha = 3.0, 10.0
    model = BGNBD(r=r, alpha=alpha, a=a, b=b)
    for x, tx, T, t in [(0, 0, 38.86, 1.0), (5, 1e6, 1e6 + 1, 1.0), (2, 30.43, 38.86, 39.0)]:
        odds = mp.mpf(0)
        if x > 0:
            odds = (mp.mpf(a) / (b + x - 1)) * ((alpha + mp.mpf(T)) / (alpha + tx)) ** (r + x)
        ref = _expected_alive(r, alpha, a, b, x, T, t) / (1 + odds)
        got = float(model.conditional_expected_purchases(x, tx, T, t=t)[0])
        assert abs(got - ref) <= 1e-12 * ref, (x, tx, T, t)
        # the array path (several customers) gives the same
        many = model.conditional_expected_purchases([x, x], [tx, tx], [T, T], t=t)
        assert np.all(np.abs(many - float(ref)) <= 1e-12 * float(ref))


def test_mbgnbd_conditional_expected_purchases_large_b() -> None:
    """MBG/NBD is BG/NBD's formula at b + 1 with dropout at x = 0 too: the same cancellation
    (b = 1e9, t/(alpha+T) = 1e-6). Reference: the mpmath integral at b + 1."""
    mp.mp.dps = 40
    r, alpha, a, b = 3.0, 10.0, 1.5, 1e9
    x, tx, T, t = 5.0, 1e6, 1e6 + 1, 1.0
    odds = (mp.mpf(a) / (b + x)) * ((alpha + mp.mpf(T)) / (alpha + tx)) ** (r + x)
    ref = _expected_alive(r, alpha, a, b + 1, x, T, t) / (1 + odds)
    got = float(MBGNBD(r=r, alpha=alpha, a=a, b=b).conditional_expected_purchases(x, tx, T, t=t)[0])
    assert abs(got - ref) <= 1e-12 * ref


def _bg_log_likelihood(r: float, alpha: float, a: float, b: float, x: float, tx: float, T: float):
    """FHL 2005 eq. 6 in mpmath (MBG/NBD's form with shift = 1 in the caller)."""
    r, alpha, a, b, x, tx, T = (mp.mpf(v) for v in (r, alpha, a, b, x, tx, T))
    g = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha)
    active = mp.exp(g - (r + x) * mp.log(alpha + T)) * mp.beta(a, b + x) / mp.beta(a, b)
    dead = 0
    if x > 0:
        dead = mp.exp(g - (r + x) * mp.log(alpha + tx)) * mp.beta(a + 1, b + x - 1) / mp.beta(a, b)
    return mp.log(active + dead)


def test_log_likelihood_large_a_and_b() -> None:
    """a = b = 1e8 (a sharp dropout probability of 1/2): betaln(a, b+x) - betaln(a, b) lost
    1e-8 absolute (rows 3e-7 relative off). Reference: eq. 6 in mpmath at 60 digits."""
    mp.mp.dps = 60
    p = (3.0, 10.0, 1e8, 1e8)
    model = BGNBD(r=p[0], alpha=p[1], a=p[2], b=p[3])
    rows = [(2, 30.43, 38.86), (1, 1e-6, 1e4), (50, 1.0, 1.0), (3, 3, 3)]
    got = model.log_likelihood(
        frequency=[v[0] for v in rows], recency=[v[1] for v in rows], T=[v[2] for v in rows]
    )
    for value, row in zip(got, rows, strict=True):
        ref = _bg_log_likelihood(*p, *row)
        assert abs(value - ref) <= 1e-12 * abs(ref), row


def test_trigamma_rising_zero_x_at_tiny_r() -> None:
    """psi'(r) overflows below r ~ 1e-154: at x = 0 the difference is exactly 0 (was NaN,
    inf - inf), and at x = 1 it is -1/r^2 to first order (mpmath: -1e400, beyond float: -inf)."""
    r = np.array([1e-300, 1e-200, 1e-160, 1e-100])
    assert np.array_equal(trigamma_rising(r, np.zeros(4)), np.zeros(4))
    assert trigamma_rising(1e-100, 1.0) == pytest.approx(
        float(mp.psi(1, mp.mpf("1e-100") + 1) - mp.psi(1, mp.mpf("1e-100"))), rel=1e-14
    )
    assert trigamma_rising(1e-200, 1.0) == -np.inf


@pytest.mark.parametrize("modified", [False, True])
def test_cnbd_k1_log_likelihood_large_a_and_b(modified: bool) -> None:
    """BG/CNBD-1 (MBG/CNBD-1) is BG/NBD (MBG/NBD): at a = b = 1e8 its beta ratio lost 1e-8
    absolute through betaln's difference (rows 3e-7 off). Reference: eq. 6 in mpmath (MBG/NBD:
    b + x + 1 for the active term, B(a+1, b+x) for the dropped-out one)."""
    from relmark.clv import BGCNBD, MBGCNBD

    mp.mp.dps = 60
    r, alpha, a, b = 3.0, 10.0, 1e8, 1e8
    cls = MBGCNBD if modified else BGCNBD
    model = cls(r=r, alpha=alpha, a=a, b=b, k=1)
    rows = [(0, 0, 38.86), (2, 30.43, 38.86), (50, 1.0, 1.0), (3, 3, 3)]
    got = model.log_likelihood(
        frequency=[v[0] for v in rows],
        recency=[v[1] for v in rows],
        T=[v[2] for v in rows],
        sum_log_interpurchase=[0.0] * len(rows),
    )
    for value, (x, tx, T) in zip(got, rows, strict=True):
        if modified:
            R, A, AA, B, X, TX, TT = (mp.mpf(v) for v in (r, alpha, a, b, x, tx, T))
            g = mp.loggamma(R + X) - mp.loggamma(R) + R * mp.log(A)
            active = mp.exp(g - (R + X) * mp.log(A + TT)) * mp.beta(AA, B + X + 1)
            dead = mp.exp(g - (R + X) * mp.log(A + TX)) * mp.beta(AA + 1, B + X)
            ref = mp.log((active + dead) / mp.beta(AA, B))
        else:
            ref = _bg_log_likelihood(r, alpha, a, b, x, tx, T)
        assert abs(value - ref) <= 1e-12 * abs(ref), (x, tx, T)


def test_prob_purchases_large_a_and_b() -> None:
    """P(X(t) = n) at a = b = 1e8 (FHL 2005, eq. 8): betaln's difference left it 4e-7 off.
    Reference: eq. 8 in mpmath (the tail by the regularised incomplete beta) at 50 digits."""
    mp.mp.dps = 50
    R, A, AA, B = (mp.mpf(v) for v in (3.0, 10.0, 1e8, 1e8))
    model = BGNBD(r=3.0, alpha=10.0, a=1e8, b=1e8)
    for n, t in [(1, 1e6), (7, 39.0), (100, 1e6)]:
        N, TT = mp.mpf(n), mp.mpf(t)
        nb = mp.exp(
            mp.loggamma(R + N) - mp.loggamma(R) - mp.loggamma(N + 1)
            + R * mp.log(A / (A + TT)) + N * mp.log(TT / (A + TT))
        )  # fmt: skip
        tail = mp.betainc(N, R, 0, TT / (A + TT), regularized=True)
        ref = (mp.beta(AA, B + N) * nb + mp.beta(AA + 1, B + N - 1) * tail) / mp.beta(AA, B)
        got = float(np.ravel(model.prob_purchases(n, t=t))[0])
        assert abs(got - ref) <= 1e-12 * ref, (n, t)


def test_mbgnbd_prob_purchases_large_a_and_b() -> None:
    """MBG/NBD's P(X(t) = n) at a = b = 1e8 (Batislam et al. 2007): 4.8e-7 off through betaln's
    differences. Reference in mpmath: B(a, b+n+1) NB(n) + B(a+1, b+n) P(N(t) >= n), over B(a, b)."""
    mp.mp.dps = 50
    R, A, AA, B = (mp.mpf(v) for v in (3.0, 10.0, 1e8, 1e8))
    model = MBGNBD(r=3.0, alpha=10.0, a=1e8, b=1e8)
    for n, t in [(0, 1.0), (1, 1e6), (7, 39.0)]:
        N, TT = mp.mpf(n), mp.mpf(t)
        nb = mp.exp(
            mp.loggamma(R + N) - mp.loggamma(R) - mp.loggamma(N + 1)
            + R * mp.log(A / (A + TT)) + N * mp.log(TT / (A + TT))
        )  # fmt: skip
        tail = mp.betainc(N, R, 0, TT / (A + TT), regularized=True) if n > 0 else 1
        ref = (mp.beta(AA, B + N + 1) * nb + mp.beta(AA + 1, B + N) * tail) / mp.beta(AA, B)
        got = float(np.ravel(model.prob_purchases(n, t=t))[0])
        assert abs(got - ref) <= 1e-12 * ref, (n, t)
