"""Extreme but valid inputs of BG/CNBD-k, MBG/CNBD-k and MBG/NBD found by the adversarial
review: DERT at tiny discount rates against mpmath (the posterior expectation integrated by
adaptive quadrature at 30 digits), customers certainly gone at huge frequencies, and the
analytic Hessian at a tiny ``alpha``."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import BGCNBD, MBGCNBD, MBGNBD, bgcnbd

FHL = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BATISLAM = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


def _mp_dert(
    p: dict[str, float], rate: float, x: float, tx: float, age: float, k: int, shift: int
) -> float:
    """P(alive) sum_j pi_j E[rho^(k-j) 2F1(1, b'; a+b'; rho^k)], lambda | j ~ Gamma(s+j,
    alpha+T), rho = lambda/(lambda+delta), by mpmath.quad with breakpoints at the scale of
    delta and of the posterior mean (independent of relmark's quadrature rules)."""
    with mp.workdps(30):
        r, al, a, b = (mp.mpf(p[n]) for n in ("r", "alpha", "a", "b"))
        xm, txm, tm, d = mp.mpf(x), mp.mpf(tx), mp.mpf(age), mp.mpf(rate)
        s, beta, u = r + k * xm, al + tm, tm - txm
        c = [mp.gamma(s + j) / (mp.gamma(s) * mp.factorial(j)) * (u / beta) ** j for j in range(k)]
        s2 = mp.fsum(c)
        bp = b + xm + shift
        act = mp.beta(a, bp) / mp.beta(a, b) * s2 / beta**s
        dead = 0
        if x > 0 or shift:
            dead = mp.beta(a + 1, b + xm - 1 + shift) / mp.beta(a, b) / (al + txm) ** s
        total = mp.mpf(0)
        for j in range(k):
            sh = s + j

            def f(lam: mp.mpf, sh: mp.mpf = sh, j: int = j) -> mp.mpf:
                rho = lam / (lam + d)
                dens = mp.exp(sh * mp.log(beta) + (sh - 1) * mp.log(lam) - beta * lam)
                return dens / mp.gamma(sh) * rho ** (k - j) * mp.hyp2f1(1, bp, a + bp, rho**k)

            m = sh / beta
            pts = sorted({mp.mpf(0), d * 1e-4, d * 1e-2, d, 100 * d, 1e4 * d, m / 10, m, 3 * m})
            pts.append(30 * m + 200 / beta)
            total += c[j] / s2 * mp.quad(f, pts, maxdegree=10)
        return float(act / (act + dead) * total)


@pytest.mark.parametrize("rate", [1e-6, 1e-9])
@pytest.mark.parametrize(("cls", "k"), [(BGCNBD, 1), (BGCNBD, 3), (MBGCNBD, 1), (MBGCNBD, 3)])
def test_dert_at_tiny_rates_matches_mpmath(cls: type[BGCNBD], k: int, rate: float) -> None:
    """A small posterior shape (r + kx < 5) at a tiny rate: the integrand turns on the scale
    of (alpha+T) delta, which Gauss-Laguerre nodes missed (2-3 % off before the fix)."""
    hist = [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86)]
    model = cls(**FHL, k=k)
    got = model.dert(*(np.array(v) for v in zip(*hist, strict=True)), continuous_discount_rate=rate)
    want = [_mp_dert(FHL, rate, *h, k, int(cls.modified)) for h in hist]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_mbgnbd_dert_at_a_tiny_rate_matches_mpmath() -> None:
    """MBG/NBD's DERT is MBG/CNBD-k's at k = 1: accurate at a tiny rate too."""
    got = MBGNBD(**BATISLAM).dert(
        [0, 2], [0.0, 30.43], [38.86, 38.86], continuous_discount_rate=1e-6
    )
    want = [_mp_dert(BATISLAM, 1e-6, x, tx, 38.86, 1, 1) for x, tx in ((0, 0.0), (2, 30.43))]
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
@pytest.mark.parametrize("k", [1, 3])
def test_dert_is_zero_for_a_customer_certainly_gone(cls: type[BGCNBD], k: int) -> None:
    """1e15 or 2**53 - 1 (the largest frequency accepted) purchases in one time unit, then a
    pause of one: P(alive) underflows to 0, and so does the DERT (it was NaN at 1e16 and an
    OverflowError at 1e300, frequencies refused now: 2**53 or more)."""
    model = cls(**FHL, k=k)
    assert model.p_alive([1e15, 2**53 - 1], [1.0, 1.0], [2.0, 2.0]).tolist() == [0.0, 0.0]
    got = model.dert(
        [1e15, 2**53 - 1, 2], [1.0, 1.0, 30.43], [2.0, 2.0, 38.86], continuous_discount_rate=0.01
    )
    assert got[:2].tolist() == [0.0, 0.0]
    assert got[2] == pytest.approx(
        _mp_dert(FHL, 0.01, 2.0, 30.43, 38.86, k, int(cls.modified)), rel=1e-9
    )


def test_mbgnbd_dert_is_zero_for_a_customer_certainly_gone() -> None:
    got = MBGNBD(**BATISLAM).dert(
        [1e15, 2**53 - 1], [1.0, 1.0], [2.0, 2.0], continuous_discount_rate=0.01
    )
    assert got.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("k", [1, 3])
def test_hessian_at_a_tiny_alpha_has_no_nan(k: int) -> None:
    """alpha = 1e-300: d2/dalpha2 of r ln(alpha) is -r/alpha^2, beyond float range: -inf
    (not a ZeroDivisionError), and no 0 * inf NaN from the customers without a repeat
    purchase (whose dropped-out term does not exist in BG/CNBD-k)."""
    p = np.array([0.5, 1e-300, 1.0, 1.0])
    x, tx, age = (
        np.array([0.0, 2.0, 50.0]),
        np.array([0.0, 30.0, 38.0]),
        np.array([38.0, 38.0, 38.86]),
    )
    value, grad, hess = bgcnbd.log_likelihood_grad_hess(
        p, np.ones(3), x, tx, age, np.array([0.0, 1.0, 10.0]), k=k
    )
    assert np.isfinite(value)
    assert np.isfinite(grad).all()
    assert not np.isnan(hess).any()
    assert hess[1, 1] == -np.inf
    # the other entries are those of a moderate alpha's formula: finite
    assert np.isfinite(np.delete(hess.ravel(), 5)).all()


@pytest.mark.parametrize(
    ("x", "tx", "age", "rate", "k", "cls"),
    [
        (0.0, 0.0, 0.0, 1e-6, 10, BGCNBD),  # T = 0
        (0.0, 0.0, 0.0, 10.0, 10, MBGCNBD),  # a huge rate
        (5.0, 40.0, 40.0, 1e-3, 10, MBGCNBD),  # recency = T
        (1.0, 1e-8, 1e-8, 0.01, 10, BGCNBD),  # a tiny age
        (0.0, 0.0, 1e4, 1e-12, 2, MBGCNBD),  # a long age, a tiny rate
    ],
)
def test_dert_at_extreme_histories_matches_mpmath(
    x: float, tx: float, age: float, rate: float, k: int, cls: type[BGCNBD]
) -> None:
    got = cls(**FHL, k=k).dert(x, tx, age, continuous_discount_rate=rate)[0]
    assert got == pytest.approx(_mp_dert(FHL, rate, x, tx, age, k, int(cls.modified)), rel=1e-8)
