"""The engine's two-pass finish loses no accuracy (issue 21 item 5).

BG/NBD, MBG/NBD and Gamma-Gamma fits, on CDNOW and on 200,000 simulated customers, are compared
with a reference computed independently of the analytic gradients and Hessians: gradient and
Hessian of the summed log-likelihood by central differences of its *values* with Richardson
extrapolation (truncation error O(h^4)), one Newton step from the estimates with them (the
reference optimum), and the standard errors from the inverse of that Hessian. Estimates agree
within 1e-6 relative and standard errors within 1e-4 relative. The number of full-data passes
is counted by instrumenting the objective (no timing is asserted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import relmark.clv._engine as engine
from relmark.clv import BGNBD, MBGNBD, GammaGamma
from relmark.datasets import load_cdnow_summary


def _richardson(
    value: Callable[[np.ndarray], float], theta: np.ndarray, rel: float = 2e-3
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of ``value`` at ``theta`` by central differences of values,
    Richardson-extrapolated over steps h and h/2."""
    k = theta.size
    base = value(theta)

    def at(steps: dict[int, float]) -> float:
        t = theta.copy()
        for i, s in steps.items():
            t[i] += s
        return value(t)

    def grad_h(h: np.ndarray) -> np.ndarray:
        return np.array([(at({i: h[i]}) - at({i: -h[i]})) / (2 * h[i]) for i in range(k)])

    def hess_h(h: np.ndarray) -> np.ndarray:
        out = np.empty((k, k))
        for i in range(k):
            out[i, i] = (at({i: h[i]}) - 2 * base + at({i: -h[i]})) / h[i] ** 2
            for j in range(i):
                out[i, j] = out[j, i] = (
                    at({i: h[i], j: h[j]})
                    - at({i: h[i], j: -h[j]})
                    - at({i: -h[i], j: h[j]})
                    + at({i: -h[i], j: -h[j]})
                ) / (4 * h[i] * h[j])
        return out

    h = rel * np.abs(theta)
    grad = (4 * grad_h(h / 2) - grad_h(h)) / 3
    hess = (4 * hess_h(h / 2) - hess_h(h)) / 3
    return grad, hess


def _check(model: Any, value: Callable[[np.ndarray], float]) -> None:
    fit = model.fit_result
    assert fit.converged
    theta = np.array(fit.params_array, dtype=float)
    grad, hess = _richardson(value, theta)
    reference = theta - np.linalg.solve(hess, grad)
    np.testing.assert_allclose(theta, reference, rtol=1e-6)
    se_ref = np.sqrt(np.diag(np.linalg.inv(-hess)))
    np.testing.assert_allclose(list(fit.bse.values()), se_ref, rtol=1e-4)


def _rfm_value(cls: Any, d: dict[str, np.ndarray]) -> Callable[[np.ndarray], float]:
    x, tx, T = d["frequency"], d["recency"], d["T"]
    ll = cls.likelihood.log_likelihood
    return lambda theta: float(np.sum(ll(theta, x, tx, T)))


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
def test_cdnow_fit_matches_the_richardson_reference(cls: Any) -> None:
    s = load_cdnow_summary()
    d = {c: np.asarray(getattr(s, c), dtype=float) for c in ("frequency", "recency", "T")}
    _check(cls.fit(s), _rfm_value(cls, d))


def test_cdnow_gamma_gamma_matches_the_richardson_reference() -> None:
    s = load_cdnow_summary(with_monetary=True)
    x = np.asarray(s.frequency, dtype=float)
    z = np.asarray(s.monetary_value, dtype=float)
    keep = x > 0
    ll = GammaGamma.likelihood.log_likelihood
    _check(GammaGamma.fit(s), lambda th: float(np.sum(ll(th, x[keep], z[keep]))))


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[int, list[str]]:
    """Count the objective's evaluations per number of rows."""
    calls: dict[int, list[str]] = {}
    original = engine._objective

    def wrapped(lik: Any, pset: Any, data: Any, weights: Any, *a: Any, **k: Any) -> Any:
        obj = original(lik, pset, data, weights, *a, **k)
        n = int(weights.shape[0])
        evaluate, hessian = obj._evaluate, obj.hessian

        def e(*args: Any) -> Any:
            calls.setdefault(n, []).append("vg")
            return evaluate(*args)

        def h(*args: Any) -> Any:
            calls.setdefault(n, []).append("vgh")
            return hessian(*args)

        setattr(obj, "_evaluate", e)  # noqa: B010 (instance attribute over the method)
        setattr(obj, "hessian", h)  # noqa: B010
        return obj

    monkeypatch.setattr(engine, "_objective", wrapped)
    return calls


@pytest.mark.parametrize(
    ("cls", "truth"),
    [
        (BGNBD, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
        (MBGNBD, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    ],
)
def test_simulated_200k_fit_matches_reference_in_at_most_three_full_passes(
    cls: Any, truth: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(20)
    d = cls(**truth).simulate(rng.uniform(27.0, 39.0, 200_000), rng=rng)
    calls = _counting(monkeypatch)
    model = cls.fit(d)
    monkeypatch.undo()
    full = calls[200_000]
    # the gradient, then value, gradient and Hessian in one pass (a third such pass when the
    # 10,000-row subsample's Hessian steered the first step too roughly to predict the last)
    assert full[:2] == ["vg", "vgh"]
    assert len(full) <= 3
    _check(model, _rfm_value(cls, d))


def test_simulated_gamma_gamma_large_fit_matches_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(21)
    x = rng.integers(1, 30, 200_000).astype(float)
    z = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(x, rng=rng)["monetary_value"]
    z = np.round(z, 3)  # rows stay (nearly all) distinct: the large path
    calls = _counting(monkeypatch)
    model = GammaGamma.fit(frequency=x, monetary_value=z)
    monkeypatch.undo()
    n_rows = model.fit_result.n_unique
    assert n_rows > 100_000
    assert len(calls[n_rows]) <= 3
    assert "vgh" in calls[n_rows]
    ll = GammaGamma.likelihood.log_likelihood
    _check(model, lambda th: float(np.sum(ll(th, x, z))))


def test_cdnow_pareto_nbd_fit_matches_the_richardson_reference() -> None:
    """Pareto/NBD (its finite-difference finish): the reference differentiates the values of
    ``log_likelihood`` (hypergeometric functions by scipy, interpolated per frequency), a code
    path the fit's analytic gradient does not share."""
    from relmark.clv import ParetoNBD

    s = load_cdnow_summary()
    d = {c: np.asarray(getattr(s, c), dtype=float) for c in ("frequency", "recency", "T")}
    _check(ParetoNBD.fit(s), _rfm_value(ParetoNBD, d))


def test_simulated_pareto_nbd_large_fit_matches_reference() -> None:
    """100,000 continuous-time customers (every row distinct: subsamples, then the full data)
    drawn at the published CDNOW parameters."""
    from relmark.clv import ParetoNBD

    rng = np.random.default_rng(22)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = truth.simulate(rng.uniform(27.0, 39.0, 100_000), rng=rng)
    model = ParetoNBD.fit(d)
    fit = model.fit_result
    assert fit.converged
    theta = np.array(fit.params_array, dtype=float)
    grad, hess = _richardson(_rfm_value(ParetoNBD, d), theta)
    reference = theta - np.linalg.solve(hess, grad)
    se_ref = np.sqrt(np.diag(np.linalg.inv(-hess)))
    # The convergence criterion (log-likelihood still to gain <= 1e-8) places the estimates
    # within sqrt(2e-8) = 1.4e-4 standard errors of the optimum: beta, whose standard error
    # is 9% of it here, was 1.2e-5 standard errors = 1.07e-6 relative off, so the estimates
    # are compared in standard errors (and to 3e-6 relative), the standard errors to 1e-4.
    assert np.all(np.abs(theta - reference) <= 1.5e-4 * se_ref)
    np.testing.assert_allclose(theta, reference, rtol=3e-6)
    np.testing.assert_allclose(list(fit.bse.values()), se_ref, rtol=1e-4)


def test_probe_change_and_its_error_bound_the_full_data_change() -> None:
    """The 10,000-row probe's measure of the Hessian's change along a short step (the
    correction of the finish's last Newton step, and of the covariance) against the exact
    change on all 300,000 rows: its error is within the engine's safety factor times the
    error estimated from the halves' disagreement, and the estimate is not vacuous."""
    rng = np.random.default_rng(23)
    truth = MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614)
    d = truth.simulate(rng.uniform(27.0, 39.0, 300_000), rng=rng)
    data = tuple(np.asarray(d[c], dtype=float) for c in ("frequency", "recency", "T"))
    model = MBGNBD.fit(d)
    pset = model.fit_result.param_set
    lik = MBGNBD.likelihood
    weights = np.ones(300_000)
    full = engine._objective(lik, pset, data, weights, 300_000.0)
    order = engine._stratified(data)
    rows = order[:: order.shape[0] // 10_000]
    sub = tuple(c[rows] for c in data)
    w = weights[rows]

    def objective(cols: tuple[np.ndarray, ...], ww: np.ndarray) -> Any:
        return engine._objective(lik, pset, cols, ww, float(ww.sum()))

    halves = tuple(objective(tuple(c[i::2] for c in sub), w[i::2]) for i in (0, 1))
    probe = engine._Probe(objective(sub, w), (halves[0], halves[1]))
    u_opt = pset.to_unconstrained(model.fit_result.params_array)
    _, _, h_opt = full.hessian(u_opt)
    inv_chol = np.linalg.inv(np.linalg.cholesky(h_opt))
    se = inv_chol.T / np.sqrt(300_000.0)  # columns: one standard error along each axis
    checked = 0
    for _ in range(6):
        u1 = u_opt + se @ rng.normal(0.0, 0.05, 4)
        u2 = u1 + se @ rng.normal(0.0, 0.1, 4)
        _, _, h1 = full.hessian(u1)
        _, _, h2 = full.hessian(u2)
        change = engine._subsample_change(probe, u1, u2, h1)
        assert change is not None
        inv1 = np.linalg.inv(np.linalg.cholesky(h1))
        actual = engine._relative_size(inv1, change.delta - (h2 - h1))
        assert actual <= engine._SAFETY * change.error
        assert change.error <= 0.5 * change.size  # a measurement, not noise
        checked += 1
    assert checked == 6


def test_an_unchecked_last_level_step_out_of_the_domain_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last subsample level's Newton step is checked by the full data's first evaluation:
    a step that leaves the domain (forced here) sends the full data back to where it began,
    and the fit ends at the reference optimum."""
    rng = np.random.default_rng(24)
    truth = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    d = truth.simulate(rng.uniform(27.0, 39.0, 200_000), rng=rng)
    original = engine._exact_step

    def far(fun: Any, u: np.ndarray, *, check: bool = True) -> Any:
        out = original(fun, u, check=check)
        if out is None or check:
            return out
        return u + 1e3, out[1]  # every parameter ~e^1000 times larger: not finite

    monkeypatch.setattr(engine, "_exact_step", far)
    model = BGNBD.fit(d)
    _check(model, _rfm_value(BGNBD, d))  # the Richardson reference optimum and SEs


def test_a_large_fit_without_analytic_hessian_finishes_in_one_numeric_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pareto/NBD's shared terms without their analytic Hessian (the engine's path for any
    likelihood that has none), on 300,000 continuous-time customers (subsample levels up to
    100k rows): the gradient at the last level's optimum, one Newton step, then one pass of
    forward differences of the gradient (k + 1 = 5 evaluations) whose last step and covariance
    the probe corrects: 6 full-data evaluations (the chord steps took 8). Estimates and standard
    errors against the Richardson reference (forward differences: standard errors to ~1e-4)."""
    import dataclasses

    from relmark.clv import ParetoNBD, paretonbd

    shared = paretonbd.SHARED
    numeric = dataclasses.replace(
        ParetoNBD.likelihood,
        shared=engine.SharedTerms(shared.prepare, shared.table, shared.rows),
        value_grad_hess=None,
    )

    class NumericParetoNBD(ParetoNBD):
        likelihood = numeric

    rng = np.random.default_rng(25)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = truth.simulate(rng.uniform(27.0, 39.0, 300_000), rng=rng)
    calls = _counting(monkeypatch)
    model = NumericParetoNBD.fit(d)
    monkeypatch.undo()
    assert calls[300_000] == ["vg"] * 6
    fit = model.fit_result
    assert fit.converged
    theta = np.array(fit.params_array, dtype=float)
    grad, hess = _richardson(_rfm_value(ParetoNBD, d), theta)
    reference = theta - np.linalg.solve(hess, grad)
    se_ref = np.sqrt(np.diag(np.linalg.inv(-hess)))
    assert np.all(np.abs(theta - reference) <= 1.5e-4 * se_ref)
    np.testing.assert_allclose(list(fit.bse.values()), se_ref, rtol=3e-4)


def test_a_stalled_large_fit_is_rescued_by_full_data_lbfgs(monkeypatch: pytest.MonkeyPatch) -> None:
    """When Newton from the subsamples' estimates stalls (forced here: no finish, no steps),
    L-BFGS on the full data takes over, as for small data, and the fit ends at the
    Richardson reference optimum with its standard errors."""
    rng = np.random.default_rng(26)
    truth = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    d = truth.simulate(rng.uniform(27.0, 39.0, 100_000), rng=rng)

    def stalled(
        fun: Any, u: np.ndarray, f: float, g: np.ndarray, hess: np.ndarray, *a: Any, **k: Any
    ) -> Any:
        return u, f, g, hess, True, 0, None

    monkeypatch.setattr(engine, "_two_pass_finish", lambda *a, **k: (None, None))
    monkeypatch.setattr(engine, "_newton", stalled)
    model = BGNBD.fit(d)
    # the Richardson reference, independent of the engine's paths and analytic derivatives
    _check(model, _rfm_value(BGNBD, d))


def test_first_level_newton_reaches_the_subsample_optimum() -> None:
    """The first subsample level's damped Newton steps (analytic Hessian) from the model's
    start values end within the level's tolerance of its optimum found by tightly converged L-BFGS,
    and refuse (None) to start where the Hessian is not positive definite."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(27)
    truth = MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614)
    d = truth.simulate(rng.uniform(27.0, 39.0, 2_000), rng=rng)
    data = tuple(np.asarray(d[c], dtype=float) for c in ("frequency", "recency", "T"))
    pset = MBGNBD.fit(d).fit_result.param_set
    fun = engine._objective(MBGNBD.likelihood, pset, data, np.ones(2_000), 2_000.0)
    u0 = pset.to_unconstrained(MBGNBD._start(data, np.ones(2_000)))  # the fit's start values
    out = engine._newton_level(fun, u0)
    assert out is not None
    u, f, g, hess, steps = out
    np.testing.assert_allclose((f, *g), (fun(u)[0], *fun(u)[1]))
    assert 1 <= steps <= 20
    best = minimize(fun, u, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
    _, _, h = fun.hessian(best.x)
    # within the tolerance 1e-2 of the level's total log-likelihood
    assert 2_000.0 * (fun(u)[0] - fun(best.x)[0]) <= 1e-2
    assert engine._decrement(h, fun(u)[1], 2_000.0) <= 1e-2
    np.testing.assert_allclose(hess, fun.hessian(u)[2])
    # where the Hessian is not positive definite (its sign flipped), no step is taken
    f0, g0, h0 = fun.hessian(u0)
    setattr(fun, "hessian", lambda v: (f0, g0, -h0))  # noqa: B010 (instance attribute)
    assert engine._newton_level(fun, u0) is None
