"""BG/CNBD-k and MBG/CNBD-k: the analytic Hessian of ``log_likelihood_grad_hess`` against
mpmath's high-precision numerical differentiation of the closed-form likelihood written here
in mpmath (Platzer & Reutterer 2016; Reutterer, Platzer & Schröder 2021), and the fit that
uses it against the one without it."""

from __future__ import annotations

import itertools
import math
from typing import Any

import mpmath
import numpy as np
import pytest

from relmark.clv import BGCNBD, MBGCNBD, bgcnbd, bgnbd, mbgnbd

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


def _mp_log_coordinate_derivatives(
    params: np.ndarray, hists: list[tuple[float, ...]], k: int, sigma: int
) -> tuple[list[Any], list[list[Any]]]:
    """Gradient and Hessian in ``theta`` by central differences of the mpmath log-likelihood
    in ``u = ln theta`` at 400 digits with steps of 1e-30, ``g_i = F_i / theta_i`` and
    ``H_ij = (F_ij - delta_ij F_i) / (theta_i theta_j)``.

    Steps in ``ln alpha`` stay inside the domain at alpha = 1e-300 (an absolute step would
    not), and mpmath's exponent range holds entries beyond float range (1e600). The digits:
    the alive term of a customer with x = 0 = t_x weighs 1e-150 (1e-252 in the second case)
    and alpha couples to a, b through terms of 1e-300 of the log-likelihood, so the
    differences need ~330 digits; rounding leaves 1e-337 and the truncation (1e-60 of the
    fourth derivatives) less. (``mpmath.diff`` gives the same entries but takes 3-30 s each.)
    """
    with mpmath.workdps(400):
        theta = [mpmath.mpf(float(v)) for v in params]
        u0 = [mpmath.log(t) for t in theta]
        step = mpmath.mpf("1e-30")

        def f(*moves: tuple[int, int]) -> Any:
            u = list(u0)
            for i, sign in moves:
                u[i] += sign * step
            t = tuple(mpmath.exp(v) for v in u)
            return mpmath.fsum(_mp_log_likelihood(t, h, k, sigma) for h in hists)

        centre = f()
        plus = [f((i, 1)) for i in range(4)]
        minus = [f((i, -1)) for i in range(4)]
        first = [(plus[i] - minus[i]) / (2 * step) for i in range(4)]
        hess = [[mpmath.mpf(0)] * 4 for _ in range(4)]
        for i, j in itertools.combinations_with_replacement(range(4), 2):
            if i == j:
                d2 = (plus[i] - 2 * centre + minus[i]) / step**2 - first[i]
            else:
                d2 = (
                    f((i, 1), (j, 1))
                    - f((i, 1), (j, -1))
                    - f((i, -1), (j, 1))
                    + f((i, -1), (j, -1))
                ) / (4 * step**2)
            hess[i][j] = hess[j][i] = d2 / (theta[i] * theta[j])
        grad = [first[i] / theta[i] for i in range(4)]
    return grad, hess


def _assert_matches(got: float, want: Any, scale: float, what: str) -> None:
    """``got`` equals mpmath's ``want`` to 1e-8 of it (or of ``scale``, the row's largest finite
    entry, for entries that are rounding-level small), and is the signed infinity of a value
    beyond float range."""
    assert not np.isnan(got), what
    if abs(want) > 1.7e308:
        assert got == (np.inf if want > 0 else -np.inf), what
    else:
        assert got == pytest.approx(float(want), rel=1e-8, abs=1e-12 * scale), what


TINY_ALPHA_CASES = [
    # params, histories (x, t_x, T, sum of log inter-purchase times)
    (  # the brief's: alpha = 1e-300, a customer without a repeat purchase next to two with
        (0.5, 1e-300, 1.0, 1.0),
        [(0.0, 0.0, 38.0, 0.0), (2.0, 30.0, 38.0, 1.0), (50.0, 38.0, 38.86, 10.0)],
    ),
    (  # only customers with x = 0 = t_x: finite entries of 1e-52 that r/alpha^2 (1e200) and
        # w r/alpha^2 cancelled into rounding noise (1e185, either sign)
        (2.5, 1e-100, 1.0, 1.0),
        [(0.0, 0.0, 5.0, 0.0), (0.0, 0.0, 38.0, 0.0), (0.0, 0.0, 40.0, 0.0)],
    ),
]


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize(("params", "hists"), TINY_ALPHA_CASES)
def test_hessian_at_a_tiny_alpha_matches_mpmath(
    k: int, modified: bool, params: tuple[float, ...], hists: list[tuple[float, ...]]
) -> None:
    """At alpha = 1e-300 MBG/CNBD-k's (and MBG/NBD's) Hessian had a NaN entry (d2/dalpha2:
    -r/alpha^2 = -inf plus the dropped-out term's s/alpha^2 = +inf of the customer with
    x = 0 = t_x, whose dead term does not depend on alpha). Summed in alpha-scaled form and
    divided at the end, every entry equals mpmath's: finite ones to 1e-8, those beyond float
    range (here d2/dalpha2 ~ -1e600) as the infinity of their sign (which the engine refuses
    as non-finite, never a NaN in a covariance)."""
    p = np.array(params)
    cols = [np.array([h[i] for h in hists]) for i in range(4)]
    one = np.ones(len(hists))
    _, grad, hess = bgcnbd.log_likelihood_grad_hess(p, one, *cols, k=k, modified=modified)
    _, per_row = bgcnbd.log_likelihood_and_grad(p, *cols, k=k, modified=modified)
    want_g, want_h = _mp_log_coordinate_derivatives(p, hists, k, int(modified))
    for i in range(4):
        scale = max(abs(float(v)) for v in want_h[i] if abs(v) < 1e308)
        _assert_matches(grad[i], want_g[i], abs(float(want_g[i])), f"grad {i}")
        _assert_matches(per_row[:, i].sum(), want_g[i], abs(float(want_g[i])), f"rows {i}")
        for j in range(4):
            _assert_matches(hess[i, j], want_h[i][j], scale, f"hess {i}{j}")
    if k == 1:  # BG/NBD's and MBG/NBD's own Hessian (bgnbd.beta_geometric_grad_hess)
        own = mbgnbd.log_likelihood_grad_hess if modified else bgnbd.log_likelihood_grad_hess
        _, grad1, hess1 = own(p, one, *cols[:3])
        for i in range(4):
            scale = max(abs(float(v)) for v in want_h[i] if abs(v) < 1e308)
            _assert_matches(grad1[i], want_g[i], abs(float(want_g[i])), f"bgnbd grad {i}")
            for j in range(4):
                _assert_matches(hess1[i, j], want_h[i][j], scale, f"bgnbd hess {i}{j}")


def _mp_u_derivatives(f: Any, params: np.ndarray, dps: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of ``f(theta)`` in ``u = ln theta`` by central differences
    (steps 1e-25) at ``dps`` digits."""
    with mpmath.workdps(dps):
        u0 = [mpmath.log(mpmath.mpf(float(v))) for v in params]
        step = mpmath.mpf("1e-25")

        def at(*moves: tuple[int, int]) -> Any:
            u = list(u0)
            for i, sign in moves:
                u[i] += sign * step
            return f([mpmath.exp(v) for v in u])

        centre = at()
        plus = [at((i, 1)) for i in range(4)]
        minus = [at((i, -1)) for i in range(4)]
        grad = [(plus[i] - minus[i]) / (2 * step) for i in range(4)]
        hess = [[mpmath.mpf(0)] * 4 for _ in range(4)]
        for i, j in itertools.combinations_with_replacement(range(4), 2):
            if i == j:
                d2 = (plus[i] - 2 * centre + minus[i]) / step**2
            else:
                d2 = (
                    at((i, 1), (j, 1))
                    - at((i, 1), (j, -1))
                    - at((i, -1), (j, 1))
                    + at((i, -1), (j, -1))
                ) / (4 * step**2)
            hess[i][j] = hess[j][i] = d2
    return np.array([float(v) for v in grad]), np.array([[float(v) for v in row] for row in hess])


NEAR_POISSON = [
    (0.0, 0.0, 40.0, 0.0),
    (1.0, 30.0, 40.0, 0.0),
    (7.0, 30.0, 40.0, 3.1),
    (25.0, 39.0, 40.0, 9.0),
]


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("r", [1.0, 1e8, 1e15, 1e25])
def test_gradient_and_hessian_near_poisson_against_mpmath(k: int, modified: bool, r: float) -> None:
    """r up to 1e25 with alpha = r / 0.4 (a near-Poisson, or near-Erlang-k, process): the
    gradient and Hessian in the engine's log-parameters (``theta_i g_i`` and ``theta_i
    theta_j H_ij + delta_ij theta_i g_i``) equal mpmath's to 1e-12 of the largest entry.
    ``digamma(r + x) - digamma(r)`` (and the trigamma difference), ``ln alpha - ln(alpha+T)``
    and ``r - (r+x) alpha/(alpha+T)`` each cancelled to no digit there (errors ~1e10 in the log
    scale); now the rising-factorial differences and quotients like ``T/(alpha+T)``. With
    ``k = 1`` BG/NBD's and MBG/NBD's own functions are checked too."""
    p = np.array([r, r / 0.4, 0.8, 2.4])
    cols = [np.array([h[i] for h in NEAR_POISSON]) for i in range(4)]
    one = np.ones(len(NEAR_POISSON))
    sigma = int(modified)

    def f(theta: list[Any]) -> Any:
        return mpmath.fsum(_mp_log_likelihood(tuple(theta), h, k, sigma) for h in NEAR_POISSON)

    # digits: 50 for the steps squared, 15 for the result, those of ln Gamma(r) ~ r ln r
    want_g, want_h = _mp_u_derivatives(f, p, 100 + int(math.log10(r)))
    results = [bgcnbd.log_likelihood_grad_hess(p, one, *cols, k=k, modified=modified)]
    if k == 1:
        own = mbgnbd.log_likelihood_grad_hess if modified else bgnbd.log_likelihood_grad_hess
        results.append(own(p, one, *cols[:3]))
    _, rows = bgcnbd.log_likelihood_and_grad(p, *cols, k=k, modified=modified)
    np.testing.assert_allclose(
        p * rows.sum(axis=0), want_g, rtol=1e-12, atol=1e-12 * np.abs(want_g).max()
    )
    for _, g, h in results:
        g_u = p * g
        h_u = p[:, None] * h * p[None, :] + np.diag(g_u)
        np.testing.assert_allclose(g_u, want_g, rtol=1e-12, atol=1e-12 * np.abs(want_g).max())
        np.testing.assert_allclose(h_u, want_h, rtol=1e-11, atol=1e-12 * np.abs(want_h).max())
