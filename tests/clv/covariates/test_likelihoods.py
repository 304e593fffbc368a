"""The per-customer likelihoods of the covariate models against the classic ones, and their
gradients and Hessians against finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from relmark.clv import bgnbd, gammagamma, mbgnbd, paretonbd
from relmark.clv.covariates import _likelihoods as lik
from relmark.clv.covariates import static
from tests.clv.covariates.strategies import positive

RNG = np.random.default_rng(20261203)
N = 400
_SIM = bgnbd.simulate(np.array([0.6, 4.0, 0.8, 2.5]), RNG.uniform(10.0, 60.0, N), rng=RNG)
X, TX, T = _SIM["frequency"], _SIM["recency"], _SIM["T"]
M = RNG.gamma(3.0, 10.0, N)
XP = np.maximum(X, 1.0)


def _bg(shift: int):
    return lambda th: lik.beta_geometric(th, X, TX, T, shift=shift)


CASES = [
    ("bg", bgnbd, _bg(0), [0.6, 4.0, 0.8, 2.5]),
    ("mbg", mbgnbd, _bg(1), [0.6, 4.0, 0.8, 2.5]),
    ("pnbd alpha<beta", paretonbd, lambda th: lik.pareto_nbd(th, X, TX, T), [0.6, 4.0, 0.8, 12.0]),
    ("pnbd alpha>beta", paretonbd, lambda th: lik.pareto_nbd(th, X, TX, T), [0.6, 14.0, 0.8, 3.0]),
]


@pytest.mark.parametrize(("label", "module", "fn", "params"), CASES)
def test_equals_classic_with_one_parameter_vector(label, module, fn, params) -> None:
    """With every customer on the same parameters the rows are the classic module's (its own
    tests check it against the published numbers) and the gradient is theta times its
    gradient."""
    p = np.array(params)
    ll, g = fn(np.tile(p, (N, 1)))
    ll_c, g_c = module.log_likelihood_and_grad(p, X, TX, T)
    np.testing.assert_allclose(ll, ll_c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, g_c * p, rtol=1e-9, atol=1e-11)


def test_gamma_gamma_equals_classic() -> None:
    p = np.array([6.25, 3.74, 15.44])
    ll, g = lik.gamma_gamma(np.tile(p, (N, 1)), XP, M)
    ll_c, g_c = gammagamma.log_likelihood_and_grad(p, XP, M)
    np.testing.assert_allclose(ll, ll_c, rtol=1e-12)
    np.testing.assert_allclose(g, g_c * p, rtol=1e-9, atol=1e-11)


def _heterogeneous(params: list[float], k_scaled: tuple[int, ...]) -> np.ndarray:
    th = np.tile(np.array(params), (N, 1))
    for k in k_scaled:
        th[:, k] *= np.exp(RNG.normal(0.0, 0.6, N))
    return th


@pytest.mark.parametrize(("label", "module", "fn", "params"), CASES)
def test_gradient_matches_finite_differences(label, module, fn, params) -> None:
    """Per-customer parameters (Pareto/NBD rows on both sides of alpha = beta in one batch):
    the analytic gradient in log-parameters against central differences (step 1e-6)."""
    th = _heterogeneous(params, (1, 2, 3))
    _, g = fn(th)
    h = 1e-6
    for k in range(4):
        up, down = th.copy(), th.copy()
        up[:, k] *= np.exp(h)
        down[:, k] *= np.exp(-h)
        numeric = (fn(up)[0] - fn(down)[0]) / (2 * h)
        np.testing.assert_allclose(g[:, k], numeric, rtol=1e-5, atol=1e-6)


def test_gamma_gamma_gradient_matches_finite_differences() -> None:
    th = _heterogeneous([6.25, 3.74, 15.44], (2,))
    _, g = lik.gamma_gamma(th, XP, M)
    h = 1e-6
    for k in range(3):
        up, down = th.copy(), th.copy()
        up[:, k] *= np.exp(h)
        down[:, k] *= np.exp(-h)
        numeric = (lik.gamma_gamma(up, XP, M)[0] - lik.gamma_gamma(down, XP, M)[0]) / (2 * h)
        np.testing.assert_allclose(g[:, k], numeric, rtol=1e-5, atol=1e-6)


def _problem(model: str, penalty: float) -> tuple[static._Problem, np.ndarray]:
    cls = {"bg": static.CovariateBGNBD, "pnbd": static.CovariateParetoNBD}[model]
    lists = {"purchase": ("web", "age"), "dropout": ("age",), "shared": ("web2",)}
    lay = static._layout(cls.param_names, cls.slots, lists)
    z = np.column_stack(
        [RNG.integers(0, 2, N).astype(float), RNG.normal(size=N), RNG.normal(size=N)]
    )
    prob = static._Problem(lay, cls._lik(), z, (X, TX, T), penalty, cls._lik_hess())
    base = [0.6, 4.0, 0.8, 2.5] if model == "bg" else [0.6, 4.0, 0.8, 9.0]
    u = np.concatenate([np.log(base), RNG.normal(0.0, 0.3, len(lay.labels))])
    return prob, u


@pytest.mark.parametrize("model", ["bg", "pnbd"])
@pytest.mark.parametrize("penalty", [0.0, 3.0])
def test_objective_gradient_and_hessian(model: str, penalty: float) -> None:
    """The fit's gradient in (log theta, gamma), with process, shared and penalised effects,
    against central differences of its value; its Hessian against central differences of the
    gradient."""
    prob, u = _problem(model, penalty)
    _, g, h = static._evaluate(prob, u, 2, None)
    assert h is not None
    step = 1e-5
    num_g = np.empty_like(u)
    num_h = np.empty((u.size, u.size))
    for i in range(u.size):
        e = np.zeros_like(u)
        e[i] = step
        fp, gp, _ = static._evaluate(prob, u + e, 0, None)
        fm, gm, _ = static._evaluate(prob, u - e, 0, None)
        num_g[i] = (fp - fm) / (2 * step)
        num_h[:, i] = (gp - gm) / (2 * step)
    np.testing.assert_allclose(g, num_g, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(h, num_h, rtol=1e-4, atol=1e-2)
    # the forward-difference Hessian (used on large data without a closed form) agrees too
    forward = static._Problem(prob.lay, prob.lik, prob.z, prob.data, penalty)
    h1 = static._evaluate(forward, u, 1, None)[2]
    assert h1 is not None
    np.testing.assert_allclose(h1, num_h, rtol=1e-3, atol=5e-2)


@pytest.mark.parametrize("shift", [0, 1])
def test_closed_form_hessian_matches_finite_differences(shift: int) -> None:
    """The BG/NBD and MBG/NBD per-customer Hessians in the log-parameters against central
    differences (step 1e-5) of the analytic gradient, with per-customer parameters."""
    th = _heterogeneous([0.6, 4.0, 0.8, 2.5], (0, 1, 2, 3))
    ll, g, hess = lik.beta_geometric_hessian(th, X, TX, T, shift=shift)
    ll0, g0 = lik.beta_geometric(th, X, TX, T, shift=shift)
    np.testing.assert_array_equal(ll, ll0)
    np.testing.assert_array_equal(g, g0)
    step = 1e-5
    for k in range(4):
        up, down = th.copy(), th.copy()
        up[:, k] *= np.exp(step)
        down[:, k] *= np.exp(-step)
        numeric = (
            lik.beta_geometric(up, X, TX, T, shift=shift)[1]
            - lik.beta_geometric(down, X, TX, T, shift=shift)[1]
        ) / (2 * step)
        np.testing.assert_allclose(hess[:, :, k], numeric, rtol=1e-6, atol=1e-7)


def test_trigamma_against_scipy() -> None:
    from scipy.special import polygamma

    v = np.geomspace(1e-3, 1e5, 20_000)
    np.testing.assert_allclose(lik._trigamma(v), polygamma(1, v), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(r=positive, alpha=positive, a=positive, b=positive)
def test_bg_rows_equal_classic_for_any_parameters(
    r: float, alpha: float, a: float, b: float
) -> None:
    """Property: for any parameters the per-customer BG/NBD rows are the classic rows."""
    p = np.array([r, alpha, a, b])
    ll, _ = lik.beta_geometric(np.tile(p, (N, 1)), X, TX, T, shift=0)
    np.testing.assert_allclose(ll, bgnbd.log_likelihood(p, X, TX, T), rtol=1e-11, atol=1e-11)


@settings(max_examples=25, deadline=None)
@given(r=positive, alpha=positive, s=positive, beta=positive)
def test_pnbd_rows_equal_classic_for_any_parameters(
    r: float, alpha: float, s: float, beta: float
) -> None:
    """Property: for any parameters the per-customer Pareto/NBD rows are the classic rows."""
    p = np.array([r, alpha, s, beta])
    ll, _ = lik.pareto_nbd(np.tile(p, (N, 1)), X, TX, T)
    np.testing.assert_allclose(ll, paretonbd.log_likelihood(p, X, TX, T), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shift", [0, 1])
@pytest.mark.parametrize("r", [1e8, 1e15, 1e25])
def test_beta_geometric_near_poisson_against_mpmath(shift: int, r: float) -> None:
    """The covariate BG/NBD and MBG/NBD rows at r = 1e8..1e25, alpha = r/0.4 (a near-Poisson
    purchase process, alpha different per customer): log-likelihood, log-parameter gradient
    and Hessian against mpmath (the closed form at 50+ digits; derivatives by central
    differences in ln theta at 130 digits). gammaln(r+x) - gammaln(r), r ln alpha -
    (r+x) ln(alpha+T) and the digamma difference had no digit at r = 1e25."""
    import itertools

    import mpmath

    from tests.clv.test_bgnbd import _mp_beta_geometric_loglik

    hists = [(0.0, 0.0, 40.0), (1.0, 30.0, 40.0), (7.0, 30.0, 40.0), (25.0, 39.0, 40.0)]
    x, tx, age = (np.array([h[i] for h in hists]) for i in range(3))
    th = np.array([[r, r / s, 0.8, 2.4] for s in (0.4, 0.3, 0.5, 0.45)])
    ll, g, hess = lik.beta_geometric_hessian(th, x, tx, age, shift=shift)
    step = mpmath.mpf("1e-25")
    for i, hist in enumerate(hists):
        with mpmath.workdps(130):
            u0 = [mpmath.log(mpmath.mpf(float(v))) for v in th[i]]

            def at(
                *moves: tuple[int, int], hist: tuple[float, ...] = hist, u0: list[Any] = u0
            ) -> Any:
                u = list(u0)
                for j, sign in moves:
                    u[j] += sign * step
                r_, al_, a_, b_ = (mpmath.exp(v) for v in u)
                x_, tx_, age_ = hist
                return _mp_beta_geometric_loglik(r_, al_, a_, b_, x_, tx_, age_, shift)

            centre = at()
            assert ll[i] == pytest.approx(float(centre), rel=1e-12, abs=1e-12)
            for j in range(4):
                want = (at((j, 1)) - at((j, -1))) / (2 * step)
                assert g[i, j] == pytest.approx(float(want), rel=1e-11, abs=1e-12), (i, j)
            for j, m in itertools.combinations_with_replacement(range(4), 2):
                if j == m:
                    want = (at((j, 1)) - 2 * centre + at((j, -1))) / step**2
                else:
                    want = (
                        at((j, 1), (m, 1))
                        - at((j, 1), (m, -1))
                        - at((j, -1), (m, 1))
                        + at((j, -1), (m, -1))
                    ) / (4 * step**2)
                assert hess[i, j, m] == pytest.approx(float(want), rel=1e-10, abs=1e-11), (i, j, m)
