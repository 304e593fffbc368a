"""BG/CNBD-k and MBG/CNBD-k: the analytic Hessian of ``log_likelihood_grad_hess`` against
mpmath's high-precision numerical differentiation of the closed-form likelihood written here
in mpmath (Platzer & Reutterer 2016; Reutterer, Platzer & Schröder 2021), and the fit that
uses it against the one without it."""

from __future__ import annotations

import itertools
from typing import Any

import mpmath
import numpy as np
import pytest

from relmark.clv import BGCNBD, MBGCNBD, bgcnbd

# (x, t_x, T, sum of log inter-purchase times): no repeat purchase, a long wait, a recent
# purchase, many purchases, t_x = T, a history whose S_2 terms span many orders of magnitude
HISTORIES = [
    (0.0, 0.0, 30.0, 0.0),
    (1.0, 2.0, 40.0, 0.6931),
    (3.0, 20.0, 22.0, 5.1),
    (12.0, 50.0, 60.0, 16.3),
    (4.0, 10.0, 10.0, 3.2),
    (150.0, 30.0, 400.0, -120.0),
]


def _mp_log_likelihood(theta: tuple[Any, ...], hist: tuple[float, ...], k: int, sigma: int) -> Any:
    """ln L in mpmath, term by term from the formula (not from relmark's code path)."""
    r, alpha, a, b = theta
    x, tx, T, litt = (mpmath.mpf(v) for v in hist)
    s = r + k * x
    u = T - tx
    s2 = mpmath.fsum(
        mpmath.gamma(s + j) / (mpmath.gamma(s) * mpmath.factorial(j)) * (u / (alpha + T)) ** j
        for j in range(k)
    )
    head = (
        (k - 1) * litt
        - x * mpmath.log(mpmath.factorial(k - 1))
        + mpmath.loggamma(s)
        - mpmath.loggamma(r)
        + r * mpmath.log(alpha)
    )
    alive = mpmath.beta(a, b + x + sigma) / mpmath.beta(a, b) * s2 / (alpha + T) ** s
    dead = (
        mpmath.beta(a + 1, b + x - 1 + sigma) / mpmath.beta(a, b) / (alpha + tx) ** s
        if x > 0 or sigma
        else 0
    )
    return head + mpmath.log(alive + dead)


def _mp_derivatives(
    params: np.ndarray, weights: np.ndarray, k: int, sigma: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """The weighted value, gradient and Hessian by mpmath.diff at 40 digits."""
    value = mpmath.mpf(0)
    grad = [mpmath.mpf(0)] * 4
    hess = [[mpmath.mpf(0)] * 4 for _ in range(4)]
    with mpmath.workdps(40):
        theta = [mpmath.mpf(float(v)) for v in params]
        for wt, hist in zip(weights, HISTORIES, strict=True):

            def f(*t: Any, hist: tuple[float, ...] = hist) -> Any:
                return _mp_log_likelihood(t, hist, k, sigma)

            w = mpmath.mpf(float(wt))
            value += w * f(*theta)
            for i in range(4):
                order = [0] * 4
                order[i] = 1
                grad[i] += w * mpmath.diff(f, theta, tuple(order))
            for i, j in itertools.combinations_with_replacement(range(4), 2):
                order = [0] * 4
                order[i] += 1
                order[j] += 1
                d2 = w * mpmath.diff(f, theta, tuple(order))
                hess[i][j] += d2
                if i != j:
                    hess[j][i] += d2
    return (
        float(value),
        np.array([float(g) for g in grad]),
        np.array([[float(v) for v in row] for row in hess]),
    )


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize(
    "params", [np.array([1.3, 6.0, 0.7, 2.2]), np.array([0.25, 0.8, 2.5, 0.6])]
)
def test_hessian_matches_mpmath_differentiation(modified: bool, k: int, params: np.ndarray) -> None:
    weights = np.array([3.0, 1.0, 2.0, 1.0, 5.0, 1.0])
    cols = [np.array([h[i] for h in HISTORIES]) for i in range(4)]
    value, grad, hess = bgcnbd.log_likelihood_grad_hess(
        params, weights, *cols, k=k, modified=modified
    )
    ref_value, ref_grad, ref_hess = _mp_derivatives(params, weights, k, int(modified))
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-9 * np.abs(ref_grad).max())
    np.testing.assert_allclose(hess, ref_hess, rtol=1e-8, atol=1e-9 * np.abs(ref_hess).max())


@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
def test_fit_with_the_analytic_hessian_reaches_the_optimum(cls: Any) -> None:
    """The fit (analytic Hessian, two-pass finish on 40,000 rows) ends where the per-row
    gradient (checked against finite differences in test_bgcnbd.py) sums to zero: the Newton
    decrement with the mpmath-checked Hessian is negligible, and the standard errors are the
    inverse of that Hessian."""
    truth = cls(r=1.2, alpha=5.0, a=0.8, b=2.5, k=3)
    s = truth.simulate(np.random.default_rng(8).uniform(20, 80, 40_000), rng=4)
    cols = (s["frequency"], s["recency"], s["T"], s["sum_log_interpurchase"])
    fitted = cls.fit(s, settings={"k": 3})
    assert fitted.fit_result.converged
    p = fitted.params_array
    _, g = bgcnbd.log_likelihood_and_grad(p, *cols, k=3, modified=cls.modified)
    grad = g.sum(axis=0)
    _, _, hess = bgcnbd.log_likelihood_grad_hess(
        p, np.ones(cols[0].size), *cols, k=3, modified=cls.modified
    )
    cov = np.linalg.inv(-hess)
    assert 0.5 * float(grad @ cov @ grad) < 1e-6
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(list(fitted.fit_result.bse.values()), se, rtol=1e-4)
