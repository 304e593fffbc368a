"""Analytic Hessians of BG/NBD, MBG/NBD and Gamma-Gamma (issue 21 item 5).

Each is checked against two independent computations: central differences of the analytic
gradient (numpy), and second derivatives of the likelihood written directly from the papers'
closed forms in mpmath at 30 digits (``mpmath.diff``), sharing no code with relmark. The engine's
Hessian on the unconstrained scale (chain rule, log and logistic transforms, a log prior) is
checked against differences of the engine's own gradient.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import (
    BGNBD,
    MBGNBD,
    GammaGamma,
    ParetoNBD,
    _engine,
    bgnbd,
    gammagamma,
    mbgnbd,
    paretonbd,
)
from relmark.clv._engine import Likelihood, _objective, restrict
from relmark.clv._params import Param, ParamSet

from .strategies import models

mp.mp.dps = 30

BG = np.array([0.243, 4.414, 0.793, 2.426])
MBG = np.array([0.525, 6.183, 0.891, 1.614])
GG = np.array([6.25, 3.74, 15.44])

# a few customers (x, t_x, T) including x = 0, and weights
ROWS = [(0, 0.0, 38.86), (1, 5.0, 20.0), (2, 30.43, 38.86), (7, 29.0, 31.5), (25, 36.0, 37.0)]
W = [3.0, 1.0, 2.0, 1.0, 4.0]


def _arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, tx, T = (np.array(c, dtype=float) for c in zip(*ROWS, strict=True))
    return np.array(W), x, tx, T


def _mp_bgnbd(p: list[mp.mpf], x: int, tx: float, T: float, shift: int) -> mp.mpf:
    """ln L of FHL (2005) eq. 6 (shift 0) or Batislam et al. (2007) eq. 6 (shift 1)."""
    r, al, a, b = p
    beta = mp.beta
    head = mp.gamma(r + x) * al**r / mp.gamma(r)
    if shift == 0:
        alive = beta(a, b + x) / beta(a, b) * (al + T) ** (-(r + x))
        dead = beta(a + 1, b + x - 1) / beta(a, b) * (al + tx) ** (-(r + x)) if x > 0 else 0
    else:
        alive = beta(a, b + x + 1) / beta(a, b) * (al + T) ** (-(r + x))
        dead = beta(a + 1, b + x) / beta(a, b) * (al + tx) ** (-(r + x))
    return mp.log(head * (alive + dead))


def _mp_hessian(fn: Any, p: np.ndarray) -> np.ndarray:
    k = p.size
    out = np.empty((k, k))
    at = [mp.mpf(float(v)) for v in p]
    for i in range(k):
        for j in range(i, k):
            order = [0] * k
            order[i] += 1
            order[j] += 1
            out[i, j] = out[j, i] = float(mp.diff(fn, at, tuple(order)))
    return out


def _fd_hessian(grad: Any, p: np.ndarray) -> np.ndarray:
    k = p.size
    out = np.empty((k, k))
    for i in range(k):
        h = 1e-6 * p[i]
        e = np.zeros(k)
        e[i] = h
        out[:, i] = (grad(p + e) - grad(p - e)) / (2 * h)
    return 0.5 * (out + out.T)


@pytest.mark.parametrize(("module", "params", "shift"), [(bgnbd, BG, 0), (mbgnbd, MBG, 1)])
def test_beta_geometric_hessian_matches_mpmath_and_differences(
    module: Any, params: np.ndarray, shift: int
) -> None:
    w, x, tx, T = _arrays()
    value, grad, hess = module.log_likelihood_grad_hess(params, w, x, tx, T)

    def total(*p: mp.mpf) -> mp.mpf:
        return mp.fsum(
            wi * _mp_bgnbd(list(p), xi, ti, Ti, shift)
            for wi, (xi, ti, Ti) in zip(W, ROWS, strict=True)
        )

    ref_value = float(total(*[mp.mpf(float(v)) for v in params]))
    assert value == pytest.approx(ref_value, rel=1e-12)
    ref_grad = [
        float(
            mp.diff(total, [mp.mpf(float(v)) for v in params], tuple(int(i == j) for j in range(4)))
        )
        for i in range(4)
    ]
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10)
    np.testing.assert_allclose(hess, _mp_hessian(total, params), rtol=1e-9, atol=1e-12)

    def g_sum(p: np.ndarray) -> np.ndarray:
        out: np.ndarray = w @ module.log_likelihood_and_grad(p, x, tx, T)[1]
        return out

    np.testing.assert_allclose(hess, _fd_hessian(g_sum, params), rtol=1e-6, atol=1e-9)


def test_gamma_gamma_hessian_matches_mpmath_and_differences() -> None:
    x = np.array([1.0, 2.0, 3.0, 10.0, 2.0])
    z = np.array([20.0, 35.5, 12.25, 40.0, 2.5])
    w = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    value, grad, hess = gammagamma.log_likelihood_grad_hess(GG, w, x, z)

    def total(p: mp.mpf, q: mp.mpf, g: mp.mpf) -> mp.mpf:
        # note 025 eq. 4: Gamma(px+q)/(Gamma(px)Gamma(q)) g^q z^(px-1) x^(px) / (g+xz)^(px+q)
        out = mp.mpf(0)
        for xi, zi, wi in zip(x, z, w, strict=True):
            xm, zm = mp.mpf(float(xi)), mp.mpf(float(zi))
            dens = (
                mp.gamma(p * xm + q)
                / (mp.gamma(p * xm) * mp.gamma(q))
                * g**q
                * zm ** (p * xm - 1)
                * xm ** (p * xm)
                / (g + xm * zm) ** (p * xm + q)
            )
            out += float(wi) * mp.log(dens)
        return out

    assert value == pytest.approx(float(total(*[mp.mpf(float(v)) for v in GG])), rel=1e-12)
    np.testing.assert_allclose(hess, _mp_hessian(total, GG), rtol=1e-9, atol=1e-12)

    def g_sum(p: np.ndarray) -> np.ndarray:
        return w @ gammagamma.log_likelihood_and_grad(p, x, z)[1]

    np.testing.assert_allclose(grad, g_sum(GG), rtol=1e-12)
    np.testing.assert_allclose(hess, _fd_hessian(g_sum, GG), rtol=1e-6, atol=1e-9)


def _u_fd_hessian(obj: Any, u: np.ndarray) -> np.ndarray:
    k = u.size
    out = np.empty((k, k))
    for i in range(k):
        h = 1e-5
        e = np.zeros(k)
        e[i] = h
        out[:, i] = (obj(u + e)[1] - obj(u - e)[1]) / (2 * h)
    return 0.5 * (out + out.T)


def test_engine_hessian_chain_rule_with_bounded_parameter_and_prior() -> None:
    """The unconstrained Hessian: J H J + diag(g theta''), with a logistic transform on a
    (bounded) and a log transform on the others, plus a log prior on r."""
    true = BGNBD(r=0.5, alpha=5.0, a=0.8, b=2.5)
    d = true.simulate(np.linspace(20.0, 40.0, 3000), rng=3)
    data = (d["frequency"], d["recency"], d["T"])
    pset = ParamSet(
        (
            Param("r", "r", (0.05, 5.0)),
            Param("alpha", "alpha", (0.5, 50.0)),
            Param("a", "a", (0.1, 5.0), lower=0.0, upper=10.0),
            Param("b", "b", (0.1, 10.0)),
        )
    )

    def log_prior(theta: np.ndarray) -> tuple[float, np.ndarray]:
        # a gamma(2, 1) log density on r, by hand: log r - r
        r = float(theta[0])
        return math.log(r) - r, np.array([1.0 / r - 1.0, 0.0, 0.0, 0.0])

    for prior in (None, log_prior):
        obj = _objective(BGNBD.likelihood, pset, data, np.ones(3000), 3000.0, None, prior)
        assert obj.analytic
        u = pset.to_unconstrained(np.array([0.45, 4.0, 0.9, 2.2]))
        f, g, h = obj.hessian(u)
        f0, g0 = obj(u)
        assert f == pytest.approx(f0, rel=1e-13)
        np.testing.assert_allclose(g, g0, rtol=1e-10)
        np.testing.assert_allclose(h, _u_fd_hessian(obj, u), rtol=1e-6, atol=1e-9)


def test_restricted_hessian_is_the_free_block() -> None:
    w, x, tx, T = _arrays()
    lik = restrict(BGNBD.likelihood, 4, {1: float(BG[1])})
    assert lik.value_grad_hess is not None
    _, g, h = lik.value_grad_hess(BG[[0, 2, 3]], w, x, tx, T)
    _, g_full, h_full = bgnbd.log_likelihood_grad_hess(BG, w, x, tx, T)
    np.testing.assert_allclose(g, g_full[[0, 2, 3]], rtol=1e-15)
    np.testing.assert_allclose(h, h_full[np.ix_([0, 2, 3], [0, 2, 3])], rtol=1e-15)


def test_shared_gamma_gamma_hessian_path_equals_plain_function() -> None:
    x = np.array([1.0, 2.0, 3.0, 10.0, 2.0])
    z = np.array([20.0, 35.5, 12.25, 40.0, 2.5])
    w = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    shared = GammaGamma.likelihood.shared
    assert shared is not None
    assert shared.hessian is not None
    (grid,), rows = shared.prepare(x, z)
    v, g, h = shared.hessian(GG, shared.table(GG, grid), w, *rows)
    v2, g2, h2 = gammagamma.log_likelihood_grad_hess(GG, w, x, z)
    assert v == v2
    np.testing.assert_array_equal(g, g2)
    np.testing.assert_array_equal(h, h2)


def test_likelihood_without_hessian_is_not_analytic() -> None:
    lik = Likelihood(bgnbd.log_likelihood, bgnbd.log_likelihood_grad)
    w, x, tx, T = _arrays()
    obj = _objective(lik, BGNBD.param_set, (x, tx, T), w, 1.0)
    assert not obj.analytic
    f, _, h = obj.hessian(np.zeros(4))
    assert math.isinf(f)
    assert np.isnan(h).all()


@settings(max_examples=25, deadline=None)
@given(
    model=st.one_of(models(BGNBD), models(MBGNBD), models(GammaGamma)),
    seed=st.integers(0, 2**16),
)
def test_analytic_hessian_equals_gradient_differences_anywhere(model: Any, seed: int) -> None:
    """Property: at parameters drawn over each model's typical ranges, on its own simulated
    customers, the analytic Hessian equals central differences of the analytic gradient, and
    is symmetric."""
    rng = np.random.default_rng(seed)
    p = np.array(model.params_array, dtype=float)
    if isinstance(model, GammaGamma):
        x = rng.integers(1, 15, 200).astype(float)
        z = model.simulate(x, rng=rng)["monetary_value"]
        w = np.ones(200)
        _, _, hess = gammagamma.log_likelihood_grad_hess(p, w, x, z)

        def g_sum(q: np.ndarray) -> np.ndarray:
            out: np.ndarray = gammagamma.log_likelihood_and_grad(q, x, z)[1].sum(axis=0)
            return out
    else:
        d = model.simulate(rng.uniform(5.0, 60.0, 200), rng=rng)
        module = bgnbd if isinstance(model, BGNBD) else mbgnbd
        data = (d["frequency"], d["recency"], d["T"])
        _, _, hess = module.log_likelihood_grad_hess(p, np.ones(200), *data)

        def g_sum(q: np.ndarray) -> np.ndarray:
            out: np.ndarray = module.log_likelihood_and_grad(q, *data)[1].sum(axis=0)
            return out

    np.testing.assert_array_equal(hess, hess.T)
    fd = _fd_hessian(g_sum, p)
    scale = np.sqrt(np.abs(np.diag(fd)))
    # compared relative to the diagonal scale (entries near zero have no relative precision)
    np.testing.assert_allclose(
        hess / np.outer(scale, scale), fd / np.outer(scale, scale), atol=1e-5
    )


def _mp_pareto(p: tuple[mp.mpf, ...], x: int, tx: float, T: float) -> mp.mpf:
    """ln L of Fader & Hardie's note 008 eq. 2, the integral by mpmath quadrature (no
    hypergeometric function: independent of relmark's series)."""
    r, al, s, be = p
    head = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(al) + s * mp.log(be)
    alive = (al + T) ** (-(r + x)) * (be + T) ** (-s)
    integral = mp.mpf(0)
    if tx < T:
        integral = mp.quad(lambda t: (al + t) ** (-(r + x)) * (be + t) ** (-(s + 1)), [tx, T])
    return head + mp.log(alive + s * integral)


PARETO_ROWS = [
    (0, 0.0, 38.86),
    (1, 5.0, 20.0),
    (2, 30.43, 38.86),
    (25, 36.0, 37.0),
    (4, 12.0, 12.0),
]
PARETO_W = [3.0, 1.0, 2.0, 4.0, 1.0]


@pytest.mark.parametrize(
    "params",
    [
        [0.553, 10.578, 0.606, 11.669],  # CDNOW (FHL 2005): series arguments below 0.1
        [0.8, 5.0, 1.3, 20.0],  # alpha < beta, arguments up to 0.75
        [2.0, 30.0, 0.3, 2.0],  # alpha >> beta, arguments up to 0.93 (long series)
    ],
)
def test_pareto_nbd_hessian_matches_mpmath(params: list[float]) -> None:
    """Value, gradient and Hessian of the weighted Pareto/NBD log-likelihood against mpmath
    derivatives of a 20-digit quadrature of the likelihood, to 1e-8 relative (a customer with
    t_x = T and one without repeat purchases among them)."""
    p = np.array(params)
    x, tx, T = (np.array(c, dtype=float) for c in zip(*PARETO_ROWS, strict=True))
    value, grad, hess = paretonbd.log_likelihood_grad_hess(p, np.array(PARETO_W), x, tx, T)
    with mp.workdps(20):

        def total(*q: mp.mpf) -> mp.mpf:
            return mp.fsum(
                w * _mp_pareto(q, xi, mp.mpf(ti), mp.mpf(Ti))
                for w, (xi, ti, Ti) in zip(PARETO_W, PARETO_ROWS, strict=True)
            )

        at = [mp.mpf(float(v)) for v in p]
        ref_value = float(total(*at))
        ref_grad = [
            float(mp.diff(total, at, tuple(int(i == j) for j in range(4)))) for i in range(4)
        ]
        ref_hess = _mp_hessian(total, p)
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-8)
    np.testing.assert_allclose(hess, ref_hess, rtol=1e-8)
    np.testing.assert_array_equal(hess, hess.T)


def test_pareto_nbd_shared_hessian_path_equals_plain_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shared path with the Hessian (pairs computed once, the Hessian from the same table
    per block of customers in the engine) gives the plain function's sums, its gradient is the
    gradient path's, and the engine's Hessian in the unconstrained parameters equals
    differences of its gradient."""
    true = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = true.simulate(np.linspace(20.0, 40.0, 3000), rng=5)
    data = (d["frequency"], d["recency"], d["T"])
    w = np.ones(3000)
    p = true.params_array
    shared = paretonbd.SHARED
    assert shared.hessian is not None
    keys, rows = shared.prepare(*data)
    v, g, h = shared.hessian(p, shared.table(p, *keys), w, *rows)
    v2, g2, h2 = paretonbd.log_likelihood_grad_hess(p, w, *data)
    ll, grads = paretonbd.log_likelihood_and_grad(p, *data)
    assert v == pytest.approx(v2, rel=1e-14)
    assert v == pytest.approx(float(ll.sum()), rel=1e-13)
    np.testing.assert_allclose(g, g2, rtol=1e-13)
    np.testing.assert_allclose(g, grads.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(h, h2, rtol=1e-13)
    lik = dataclasses.replace(ParetoNBD.likelihood, shared=shared)
    monkeypatch.setattr(_engine, "_BLOCK_ROWS", 700)  # several blocks, each its own keys
    obj = _objective(lik, ParetoNBD.param_set, data, w, 3000.0)
    assert obj.analytic
    u = ParetoNBD.param_set.to_unconstrained(p)
    f, gu, hu = obj.hessian(u)
    f0, g0 = obj(u)
    assert f == pytest.approx(f0, rel=1e-13)
    np.testing.assert_allclose(gu, g0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hu, _u_fd_hessian(obj, u), rtol=1e-5, atol=1e-9)
