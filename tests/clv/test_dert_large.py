"""DERT of BG/NBD, MBG/NBD and BG/CNBD-k / MBG/CNBD-k at frequencies up to 2**53 - 1.

Reference: the DERT integral at 30 digits with mpmath, independent of the code's
quadrature: :math:`P(\\text{alive})\\,E_u[E_p[u/(c + p u)]]` with
:math:`u \\sim \\text{Gamma}(r + x, 1)`, :math:`p \\sim \\text{Beta}(a, b')`, :math:`c =
\\delta(\\alpha + T)`, the inner mean in closed form
:math:`{}_2F_1(1, a; a+b'; -u/c)\\,u/c` and the outer by ``mpmath.quad`` in the standardised
variable :math:`(u - s)/\\sqrt s`. At ``recency = T``, :math:`P(\\text{alive})` is
BG/NBD's :math:`(b+x-1)/(a+b+x-1)` (x > 0) and MBG/NBD's :math:`(b+x)/(a+b+x)`.
Parameters: CDNOW's BG/NBD estimates (Fader, Hardie & Lee 2005, r 0.243, alpha 4.414,
a 0.793, b 2.426), T = 38.86 weeks, 15 % a year.
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import bgcnbd, bgnbd, mbgnbd

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426
PARAMS = np.array([R, ALPHA, A, B])
DELTA = 0.15 / 52
AGE = 38.86
LARGE = [1e3, 1e8, 1e11, 1e13, 1e15, 2.0**53 - 1]


def _reference(x: float, shift: int) -> float:
    """DERT / x at recency = T = AGE by mpmath (30 digits)."""
    with mp.workdps(30):
        r, alpha, a, b, d, xm, age = (mp.mpf(v) for v in (R, ALPHA, A, B, DELTA, x, AGE))
        bp = b + xm + shift
        s = r + xm
        c = (alpha + age) * d
        lg = mp.loggamma(s)
        sd = mp.sqrt(s)

        def integrand(z: mp.mpf) -> mp.mpf:
            u = s + sd * z
            if u <= 0:
                return mp.mpf(0)
            dens = mp.exp((s - 1) * mp.log(u) - u - lg) * sd
            return dens * mp.hyp2f1(1, a, a + bp, -u / c) * u / c

        lo = max(-sd, mp.mpf(-40))
        points = [lo] + [mp.mpf(v) for v in (-10, 0, 10, 40) if v > lo]
        value = mp.re(mp.quad(integrand, points))
        alive = (b + xm - 1 + shift) / (a + b + xm - 1 + shift)
        return float(value * alive / xm)


def _limit() -> float:
    """lim DERT/x: with p x -> q ~ Gamma(a, 1) and u/x -> 1, E[1/(c + q)] (mpmath)."""
    with mp.workdps(30):
        a, c = mp.mpf(A), (mp.mpf(ALPHA) + mp.mpf(AGE)) * mp.mpf(DELTA)
        f = lambda q: q ** (a - 1) * mp.exp(-q) / (c + q)  # noqa: E731
        return float(mp.quad(f, [0, c, 1, mp.inf]) / mp.gamma(a))


def _one(x: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.array([x]), np.array([AGE]), np.array([AGE])


@pytest.mark.parametrize("x", LARGE)
def test_bgnbd_dert_large_frequency_matches_mpmath(x: float) -> None:
    got = bgnbd.dert(PARAMS, DELTA, *_one(x))[0] / x
    assert got == pytest.approx(_reference(x, 0), rel=1e-11)


@pytest.mark.parametrize("x", LARGE)
def test_mbgnbd_dert_large_frequency_matches_mpmath(x: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was a divide-by-zero RuntimeWarning, then NaN
        got = mbgnbd.dert(PARAMS, DELTA, *_one(x))[0] / x
    assert got == pytest.approx(_reference(x, 1), rel=1e-11)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("modified", [False, True])
def test_erlang_dert_tends_to_the_limit(k: int, modified: bool) -> None:
    """At x = 2**53 - 1 the Erlang-k DERT/x is the limit E[1/(c + q)], q ~ Gamma(a) (the
    posterior rate per purchase is u/(k x) -> 1/(alpha + T) and ε_k = (1 + c/u)^k - 1 ->
    c/x); at 1e13 within 1e-10 of it (the corrections are O(1/x))."""
    limit = _limit()
    for x, rel in ((2.0**53 - 1, 1e-11), (1e13, 1e-10)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = bgcnbd.dert(PARAMS, DELTA, *_one(x), k=k, modified=modified)[0] / x
        assert got == pytest.approx(limit, rel=rel)


def test_limit_reference_agrees_with_the_integral() -> None:
    """The two mpmath references agree at 2**53 - 1 (1/x corrections ~1e-16)."""
    assert _reference(2.0**53 - 1, 0) == pytest.approx(_limit(), rel=1e-12)


def test_moderate_frequencies_unchanged_by_the_switch() -> None:
    """Around the switch to the logit rule (b' = 10) both rules give the mpmath value."""
    for x in (1.0, 7.0, 8.0, 100.0):
        got = bgnbd.dert(PARAMS, DELTA, *_one(x))[0] / x
        assert got == pytest.approx(_reference(x, 0), rel=1e-11)
