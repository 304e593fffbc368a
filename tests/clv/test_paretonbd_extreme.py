"""Pareto/NBD at extreme shapes: the near-Poisson purchase process (r and alpha large at a
fixed ratio), against mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import ParetoNBD, paretonbd


def _mp_log_g(c: float, e: float, w: float) -> mp.mpf:
    """ln 2F1(1, c; c + e; 1 - w) in mpmath: the Euler integral by mpmath's tanh-sinh
    quadrature in y (breakpoints doubling from the integrand's scale 1 / (c w + e)), not the
    variable or rule of the code under test."""
    c_, e_, w_ = mp.mpf(c), mp.mpf(e), mp.mpf(w)
    k = 1 / (c_ * w_ + e_)
    pts = [mp.mpf(0), *(k * mp.mpf(2) ** j for j in range(-2, 90, 2)), mp.inf]
    f = lambda y: (1 + w_ * y) ** (-c_) * (1 + y) ** (-e_)  # noqa: E731
    return mp.log((c_ + e_ - 1) * mp.quad(f, pts))


def test_log_g_by_quadrature_against_mpmath() -> None:
    """The Euler-integral quadrature of G = 2F1(1, c; c + s + 1; 1 - w), the fallback where
    hyp2f1 has no value, equals mpmath (30 digits) within 2e-13 of max(1, |ln G|) for c from
    0.5 to 1e7, s from 1e-3 to 7.5 and w from 1e-12 to 0.3 (scipy and the series give NaN at
    c = 1e4, w = 4.7e-4: G = 1641.35)."""
    cases = [
        (c, s + 1.0, w)
        for c in (0.5, 3.0, 30.0, 1e3, 1e4, 1e5, 1e6, 1e7)
        for s in (1e-3, 0.6, 2.0, 7.5)
        for w in (1e-12, 1e-6, 4.7e-4, 1e-2, 0.3)
    ]
    c, e, w = (np.array(v) for v in zip(*cases, strict=True))
    got = paretonbd._log_g_by_quadrature(c, e, w)
    with mp.workdps(30):
        want = np.array([float(_mp_log_g(*case)) for case in cases])
    np.testing.assert_array_less(np.abs(got - want), 2e-13 * np.maximum(1.0, np.abs(want)))
    # and at w = 0 Gauss's sum (c + s) / s
    exact = paretonbd._log_g_by_quadrature(np.array([3.0]), np.array([1.5]), np.array([0.0]))
    assert exact[0] == pytest.approx(np.log(3.5 / 0.5), rel=1e-15)


@pytest.mark.parametrize(
    ("c", "e", "w"), [(1e4, 1.6, 4.7e-4), (1e6, 3.0, 4.7e-6), (30.0, 1.6, 0.004)]
)
def test_log_g_moments_against_mpmath(c: float, e: float, w: float) -> None:
    """The derivatives of ln G (G = 2F1(1, c; c + e; 1 - w)) in (c at fixed e, e, z = 1 - w)
    that the gradient and the Hessian take beyond the series (the near-Poisson purchase
    process: c = r + x ~ 1e4, w ~ 5e-4) equal mpmath's numerical derivatives of its own
    hypergeometric function (30 digits) within 1e-10 of each (central differences of ln G
    had put H_rr 2,400 times its size off at r = 1e4; the whole Hessian was checked against
    mpmath derivatives of the quadrature likelihood outside the suite, for its time: r = 1,
    1e2, 1e3, 1e4, 1e6 at alpha = r / 0.4, all within 2e-10 of sqrt(|H_ii H_jj|))."""
    got = paretonbd._log_g_moments(np.array([c]), np.array([e]), np.array([w]))[:, 0]
    with mp.workdps(30):

        def f(cc: mp.mpf, ee: mp.mpf, zz: mp.mpf) -> mp.mpf:
            return mp.log(mp.hyp2f1(1, cc, cc + ee, zz, maxterms=10**6))

        at = (mp.mpf(c), mp.mpf(e), 1 - mp.mpf(w))
        orders = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (2, 0, 0), (1, 1, 0)]
        orders += [(0, 2, 0), (1, 0, 1), (0, 1, 1), (0, 0, 2)]
        want = np.array([float(mp.diff(f, at, o)) for o in orders])
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_fit_of_a_near_poisson_purchase_process_converges() -> None:
    """2,000 customers simulated with r = 1e4, alpha = 2.5e4 (purchase rates all near 0.4),
    s = 0.6, beta = 11.7 over 40 time units: the fit (NaN before) converges to finite
    estimates with finite standard errors; the mean rate r / alpha is the simulated 0.4 within
    2 %, and s and beta are within two standard errors of the truth (r itself is barely
    identified: any large r with alpha = r / 0.4 fits such data alike)."""
    truth = np.array([1e4, 2.5e4, 0.6, 11.7])
    sim = paretonbd.simulate(truth, np.full(2000, 40.0), rng=1)
    model = ParetoNBD.fit({k: sim[k] for k in ("frequency", "recency", "T")})
    fit = model.fit_result
    assert fit.converged
    assert np.isfinite(fit.log_likelihood)
    assert all(np.isfinite(list(model.params.values())))
    assert all(np.isfinite(list(fit.bse.values())))
    assert model.params["r"] / model.params["alpha"] == pytest.approx(0.4, rel=0.02)
    for name, value in (("s", 0.6), ("beta", 11.7)):
        assert abs(model.params[name] - value) < 2.0 * fit.bse[name], name
    # the fit's optimum is at least as likely as the truth
    data = (sim["frequency"], sim["recency"], sim["T"])
    assert fit.log_likelihood >= float(paretonbd.log_likelihood(truth, *data).sum()) - 1e-6


def _mp_prob_purchases(r: float, alpha: float, s: float, beta: float, n: float, t: float) -> float:
    """P(X(t) = n) of a new customer in mpmath: the negative binomial of the purchases while
    alive, mixed over the lifetime's distribution by quadrature (SMC 1987)."""
    r_, a_, s_, b_, n_, t_ = map(mp.mpf, (r, alpha, s, beta, n, t))

    def nb(tau: mp.mpf) -> mp.mpf:
        log = mp.loggamma(r_ + n_) - mp.loggamma(r_) - mp.loggamma(n_ + 1)
        log += r_ * mp.log(a_ / (a_ + tau)) + (n_ * mp.log(tau / (a_ + tau)) if n_ > 0 else 0)
        return mp.exp(log)

    alive = nb(t_) * (b_ / (b_ + t_)) ** s_
    dead = mp.quad(
        lambda tau: nb(tau) * s_ * b_**s_ / (b_ + tau) ** (s_ + 1), mp.linspace(0, t_, 9)
    )
    return float(alive + dead)


@pytest.mark.parametrize("r", [1.0, 1e4, 1e8, 1e15])
def test_prob_purchases_at_large_shape_against_mpmath(r: float) -> None:
    """P(X(t) = n) at r = 1 .. 1e15 with alpha = r / 0.4 equals mpmath (30 digits) within
    1e-12 relative, and sums to 1 over n within 1e-12 (the plain gammaln(r + n) - gammaln(r)
    and r ln(alpha / (alpha + t)) summed to 1 - 7e-8 at r = 1e8 and to 9.5 at r = 1e15)."""
    p = np.array([r, r / 0.4, 0.6, 11.7])
    n = np.array([0.0, 3.0, 10.0, 16.0])
    got = paretonbd.prob_purchases(p, n, np.full(4, 40.0))
    with mp.workdps(30):
        want = np.array([_mp_prob_purchases(r, r / 0.4, 0.6, 11.7, k, 40.0) for k in n])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    every = paretonbd.prob_purchases(p, np.arange(2000.0), np.full(2000, 40.0))
    assert float(every.sum()) == pytest.approx(1.0, abs=1e-12)


def test_prob_purchases_with_a_large_dropout_shape_against_mpmath() -> None:
    """s = beta = 1e8 (exponential lifetimes of rate 1 for every customer): P(X(10) = n)
    equals mpmath within 1e-12 relative and stays <= 1 (P(X = 0) was 1.0000002: the
    lifetime density as s ln beta - (s + 1) ln(beta + tau) kept 1e-7)."""
    p = np.array([1.0, 1e8, 1e8, 1e8])
    n = np.array([0.0, 3.0])
    got = paretonbd.prob_purchases(p, n, np.full(2, 10.0))
    with mp.workdps(30):
        want = np.array([_mp_prob_purchases(1.0, 1e8, 1e8, 1e8, k, 10.0) for k in n])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.all(got <= 1.0)


@pytest.mark.parametrize("s", [1e3, 1e5, 1e8])
def test_dert_with_a_large_dropout_shape_against_mpmath(s: float) -> None:
    """DERT's E[1/(delta + mu)] = (beta + T) U(1, 2 - s, delta (beta + T)) at s = 1e3 .. 1e8
    equals mpmath's quadrature of int e^{-delta u} ((beta+T)/(beta+T+u))^s du within 1e-13
    (scipy's hyperu was NaN at small delta (beta + T) and 1.06e-9 for 1.0e-8 at s = 1e8,
    z = 1e3), so DERT is finite and correct."""
    beta, delta = s / 2.0, 0.01
    T = np.array([0.5, 1.0, 5.0])
    p = np.array([1.0, 2.0, s, beta])
    x, tx = np.zeros(3), np.zeros(3)
    got = paretonbd.dert(p, delta, x, tx, T) / paretonbd.p_alive(p, x, tx, T)
    with mp.workdps(30):
        want = []
        for age in T:
            b = mp.mpf(beta) + age
            e_inv = mp.quad(
                lambda u, b=b: mp.exp(-delta * u) * (b / (b + u)) ** s,
                [0, b / s, 10 * b / s, 100 * b / s, mp.inf],
            )
            want.append(float((1 + mp.mpf(0)) / (2 + mp.mpf(age)) * e_inv))
    np.testing.assert_allclose(got, want, rtol=1e-12)
