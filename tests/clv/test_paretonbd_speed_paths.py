"""Pareto/NBD's fitting paths against an independent evaluation, and fits at extreme ages.

The fast paths (the pair table of :func:`relmark.clv.paretonbd._pair_table` with its gradient,
and the Hessian summed from it by :func:`relmark.clv.paretonbd._pair_rows_hessian`) are
compared at 240 random customers and parameters, extreme ones included (no repeat purchases,
x = 10,000, t_x = T, ages 1e-6 and 1e4, alpha below, above and equal to beta), with the
closed form of Fader & Hardie's note 008 (eq. 2 with the Gauss hypergeometric functions
:math:`A_0`, not the series relmark sums) evaluated by mpmath at 40 digits and differentiated
by central differences at that precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mpmath as mp
import numpy as np
import pytest

import relmark.clv._engine as engine
from relmark.clv import ParetoNBD, paretonbd
from relmark.errors import DataError

Row = tuple[float, float, float]


def mp_log_likelihood(r: mp.mpf, a: mp.mpf, s: mp.mpf, b: mp.mpf, x: int, tx: mp.mpf, T: mp.mpf):
    """Note 008, eq. 2: :math:`\\ln L` with :math:`A_0` as two Gauss hypergeometric functions,
    :math:`{}_2F_1(r+s+x, s+1; r+s+x+1; \\frac{\\alpha-\\beta}{\\alpha+\\tau})/(\\alpha+\\tau)
    ^{r+s+x}` for alpha >= beta and :math:`{}_2F_1(r+s+x, r+x; r+s+x+1;
    \\frac{\\beta-\\alpha}{\\beta+\\tau})/(\\beta+\\tau)^{r+s+x}` otherwise. With alpha < beta
    and x > 100 the latter is taken in Euler's form (DLMF 15.8.1)
    :math:`(1-z)^{1-r-x}{}_2F_1(1, s+1; r+s+x+1; z)`: mpmath's series for two parameters
    near 1e4 takes seconds."""
    big_r = r + s + x
    if a >= b:

        def part(t: mp.mpf) -> mp.mpf:
            return mp.hyp2f1(big_r, s + 1, big_r + 1, (a - b) / (a + t)) / (a + t) ** big_r

    elif x > 100:

        def part(t: mp.mpf) -> mp.mpf:
            z = (b - a) / (b + t)
            return (1 - z) ** (1 - r - x) * mp.hyp2f1(1, s + 1, big_r + 1, z) / (b + t) ** big_r

    else:

        def part(t: mp.mpf) -> mp.mpf:
            return mp.hyp2f1(big_r, r + x, big_r + 1, (b - a) / (b + t)) / (b + t) ** big_r

    a0 = part(tx) - part(T) if tx != T else mp.mpf(0)
    bracket = (a + T) ** (-(r + x)) * (b + T) ** (-s) + s / big_r * a0
    return mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(a) + s * mp.log(b) + mp.log(bracket)


def mp_derivatives(
    f: Callable[..., mp.mpf], theta: np.ndarray, hessian: bool
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Value, gradient and (optionally) Hessian of ``f`` at ``theta`` by central differences
    at 40 digits (relative steps 1e-12 and 1e-10: truncation ~1e-24 and ~1e-20)."""
    with mp.workdps(40):
        q = [mp.mpf(float(v)) for v in theta]

        def at(shift: dict[int, mp.mpf]) -> mp.mpf:
            return f(*(q[i] + shift.get(i, 0) for i in range(4)))

        f0 = at({})
        h1 = [q[i] * mp.mpf("1e-12") for i in range(4)]
        grad = np.array([float((at({i: h1[i]}) - at({i: -h1[i]})) / (2 * h1[i])) for i in range(4)])
        if not hessian:
            return float(f0), grad, None
        h = [q[i] * mp.mpf("1e-10") for i in range(4)]
        hess = np.empty((4, 4))
        for i in range(4):
            hess[i, i] = float((at({i: h[i]}) - 2 * f0 + at({i: -h[i]})) / h[i] ** 2)
            for j in range(i):
                mixed = (
                    at({i: h[i], j: h[j]})
                    - at({i: h[i], j: -h[j]})
                    - at({i: -h[i], j: h[j]})
                    + at({i: -h[i], j: -h[j]})
                ) / (4 * h[i] * h[j])
                hess[i, j] = hess[j, i] = float(mixed)
        return float(f0), grad, hess


def random_sets(
    n_sets: int = 30, per: int = 8, seed: int = 2026
) -> list[tuple[np.ndarray, list[Row]]]:
    """``n_sets`` parameter sets (r, s log-uniform on [0.05, 5], alpha on [0.1, 100], beta
    alpha times 10^U(-1.5, 1.5), or equal to alpha in every eighth set), each with ``per``
    customers cycling through six kinds: no repeat purchases, x = 10,000, t_x = T, age 1e-6,
    age 1e4, and an ordinary one (ages log-uniform on [0.1, 1000], x up to 60)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_sets):
        r, s = 10 ** rng.uniform(-1.3, 0.7, 2)
        alpha = 10 ** rng.uniform(-1.0, 2.0)
        beta = alpha if k % 8 == 0 else alpha * 10 ** rng.uniform(-1.5, 1.5)
        rows: list[Row] = []
        for j in range(per):
            kind = (k + j) % 6
            T = {3: 1e-6, 4: 1e4}.get(kind, float(10 ** rng.uniform(-1.0, 3.0)))
            if kind == 0:
                x, tx = 0.0, 0.0
            else:
                x = 1e4 if kind == 1 else float(rng.integers(1, 60))
                tx = T if kind == 2 else float(T * rng.uniform(0.01, 1.0) ** (1.0 / x))
            rows.append((x, tx, T))
        out.append((np.array([r, alpha, s, beta]), rows))
    return out


SETS = random_sets()


@pytest.mark.parametrize("index", range(len(SETS)))
def test_fast_paths_match_the_closed_form_in_mpmath(index: int) -> None:
    """Per customer: the log-likelihood of the fitting path (pair table and rows) to 1e-12
    relative (of 1 + |ln L|) and its gradient to 1e-8 relative plus 1e-10 of its largest
    component (ages of 1e-6 make components of ~1e-4 from terms of ~10: beyond z = 3/4 the
    derivatives of ln G are central differences, good to ~1e-11 of those terms); the
    weighted sums of value, gradient and Hessian of the Hessian path likewise (the Hessian to
    1e-9 of its largest entry)."""
    p, rows = SETS[index]
    x, tx, T = (np.array(c) for c in zip(*rows, strict=True))
    w = np.linspace(0.5, 2.0, x.shape[0])
    ll, grad = paretonbd.log_likelihood_and_grad(p, x, tx, T)
    value, g_sum, h_sum = paretonbd.log_likelihood_grad_hess(p, w, x, tx, T)
    ref_value, ref_grad, ref_hess = 0.0, np.zeros(4), np.zeros((4, 4))
    for i, (xi, ti, Ti) in enumerate(rows):

        def f(
            r: mp.mpf,
            a: mp.mpf,
            s: mp.mpf,
            b: mp.mpf,
            xi: float = xi,
            ti: float = ti,
            Ti: float = Ti,
        ) -> mp.mpf:
            return mp_log_likelihood(r, a, s, b, int(xi), mp.mpf(ti), mp.mpf(Ti))

        v, gr, hr = mp_derivatives(f, p, hessian=True)
        assert hr is not None
        assert abs(ll[i] - v) <= 1e-12 * (1.0 + abs(v)), (p, rows[i])
        np.testing.assert_allclose(
            grad[i], gr, rtol=1e-8, atol=1e-10 * max(1.0, np.max(np.abs(gr))), err_msg=str(rows[i])
        )
        ref_value += w[i] * v
        ref_grad += w[i] * gr
        ref_hess += w[i] * hr
    assert abs(value - ref_value) <= 1e-12 * (1.0 + abs(ref_value))
    np.testing.assert_allclose(g_sum, ref_grad, rtol=1e-8, atol=1e-10 * np.max(np.abs(ref_grad)))
    np.testing.assert_allclose(h_sum, ref_hess, rtol=0, atol=1e-9 * np.max(np.abs(ref_hess)))
    np.testing.assert_array_equal(h_sum, h_sum.T)


def test_whole_day_hessian_sums_each_pair_once_and_matches_mpmath() -> None:
    """Whole-number data (1,200 customers, 14 distinct histories): the Hessian path sums the
    weights of each distinct pair first (fewer pairs than customers) and gives the mpmath
    sums over the distinct histories times their counts."""
    p = np.array([0.553, 10.578, 0.606, 11.669])
    distinct: list[Row] = [
        (0.0, 0.0, 30.0),
        (0.0, 0.0, 1.0),
        (1.0, 5.0, 30.0),
        (1.0, 30.0, 30.0),
        (2.0, 12.0, 20.0),
        (2.0, 20.0, 38.0),
        (3.0, 1.0, 2.0),
        (5.0, 29.0, 31.0),
        (7.0, 7.0, 40.0),
        (12.0, 38.0, 39.0),
        (26.0, 30.0, 31.0),
        (40.0, 70.0, 90.0),
        (0.0, 0.0, 90.0),
        (3.0, 90.0, 90.0),
    ]
    counts = np.array([300, 50, 120, 60, 90, 70, 40, 80, 110, 30, 25, 45, 140, 40])
    rows = np.repeat(np.arange(len(distinct)), counts)
    x, tx, T = (np.array(c)[rows] for c in zip(*distinct, strict=True))
    (keys, _), _ = paretonbd._pairs(x, tx, T)
    assert keys.shape[0] < x.shape[0]  # the branch that sums the weights of each pair
    value, grad, hess = paretonbd.log_likelihood_grad_hess(p, np.ones(x.shape[0]), x, tx, T)
    ref_value, ref_grad, ref_hess = 0.0, np.zeros(4), np.zeros((4, 4))
    for n, (xi, ti, Ti) in zip(counts.tolist(), distinct, strict=True):

        def f(
            r: mp.mpf,
            a: mp.mpf,
            s: mp.mpf,
            b: mp.mpf,
            xi: float = xi,
            ti: float = ti,
            Ti: float = Ti,
        ) -> mp.mpf:
            return mp_log_likelihood(r, a, s, b, int(xi), mp.mpf(ti), mp.mpf(Ti))

        v, gr, hr = mp_derivatives(f, p, hessian=True)
        assert hr is not None
        ref_value += n * v
        ref_grad += n * gr
        ref_hess += n * hr
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(hess, ref_hess, rtol=1e-8)


def test_engine_blocks_give_the_plain_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the engine's blocks (a few hundred customers each, both branches: continuous
    times, and whole days with few pairs), the objective's Hessian pass gives the value and
    gradient of its ordinary pass and the plain function's Hessian."""
    monkeypatch.setattr(engine, "_BLOCK_ROWS", 300)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = truth.simulate(np.linspace(1.0, 60.0, 2000), rng=11)
    days = {
        "frequency": d["frequency"],
        "recency": np.minimum(np.ceil(d["recency"]), np.ceil(d["T"])),
        "T": np.ceil(d["T"]),
    }
    for data in (d, days):
        cols = (data["frequency"], data["recency"], data["T"])
        w = np.ones(2000)
        p = truth.params_array
        obj = engine._objective(ParetoNBD.likelihood, ParetoNBD.param_set, cols, w, 2000.0)
        assert obj.analytic
        u = ParetoNBD.param_set.to_unconstrained(p)
        f, g, _ = obj.hessian(u)
        f0, g0 = obj(u)
        assert f == pytest.approx(f0, rel=1e-13)
        np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-15)
        _, _, h_plain = paretonbd.log_likelihood_grad_hess(p, w, *cols)
        _, _, h_blocks = _natural_hessian(obj, p)
        np.testing.assert_allclose(h_blocks, h_plain, rtol=1e-11)


def _natural_hessian(obj: engine._Objective, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The sums of the likelihood's own Hessian over the objective's blocks (natural scale)."""
    shared = obj.lik.shared
    assert shared is not None and shared.hessian is not None
    table = shared.table(p, *obj.keys)
    total, grad, hess = 0.0, np.zeros(4), np.zeros((4, 4))
    for block, w in obj.blocks:
        v, g, h = shared.hessian(p, table, w, *block)
        total, grad, hess = total + v, grad + g, hess + h
    return total, grad, hess


# ----------------------------------------------------------------------------- extreme ages
def _simulated(n: int = 5000, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = truth.simulate(rng.uniform(30.0, 100.0, n), rng=rng)
    return {k: d[k] for k in ("frequency", "recency", "T")}


@pytest.mark.parametrize("scale", [1e300, 1e120, 1e-120, 1e-300])
def test_fit_refuses_ages_beyond_the_time_scale_limits(scale: float) -> None:
    """Ages ~1e300 time units (all of them: the fitted scales would be ~1e300, whose squares
    overflow) are refused with a DataError naming T, as are ages ~1e-300 (it was a
    ConvergenceError at the start values, or an OverflowError)."""
    d = _simulated(500)
    data = {k: v * (scale if k != "frequency" else 1.0) for k, v in d.items()}
    with pytest.raises(DataError, match="typical age") as info:
        ParetoNBD.fit(data)
    assert info.value.column == "T"


@pytest.mark.parametrize("scale", [1e90, 1e-90, 1e-6])
def test_fit_is_equivariant_in_the_time_unit_up_to_the_limits(scale: float) -> None:
    """The likelihood of times c t at scales c alpha, c beta is c^-x times that at t, alpha,
    beta (every factor of L is a power of a time): ages scaled by 1e90, 1e-90 or 1e-6 give r
    and s, alpha / c and beta / c within 1e-6 relative of the unscaled fit, the
    log-likelihood plus log(c) sum(x) within 1e-6, and the same standard errors of log alpha
    (relative 1e-4)."""
    d = _simulated()
    base = ParetoNBD.fit(d).fit_result
    data = {k: v * (scale if k != "frequency" else 1.0) for k, v in d.items()}
    fit = ParetoNBD.fit(data).fit_result
    assert fit.converged
    unit = np.array([1.0, scale, 1.0, scale])
    np.testing.assert_allclose(fit.params_array / unit, base.params_array, rtol=1e-6)
    shift = math.log(scale) * float(d["frequency"].sum())
    assert fit.log_likelihood + shift == pytest.approx(base.log_likelihood, abs=1e-6)
    np.testing.assert_allclose(
        np.sqrt(np.diag(fit.cov_unconstrained)), np.sqrt(np.diag(base.cov_unconstrained)), rtol=1e-4
    )


def test_one_huge_age_among_ordinary_ones_is_fitted() -> None:
    """A customer without repeat purchases aged 1e300 among 5,000 ordinary ones: the fit
    converges with finite standard errors, and equals the fit with that age at 1e200 (both
    are the limit T -> infinity of that customer's likelihood to double precision)."""
    d = _simulated()
    i = int(np.flatnonzero(d["frequency"] == 0)[0])
    fits = []
    for age in (1e300, 1e200):
        data = {k: v.copy() for k, v in d.items()}
        data["T"][i] = age
        fit = ParetoNBD.fit(data).fit_result
        assert fit.converged
        assert np.all(np.isfinite(list(fit.bse.values())))
        fits.append(fit)
    np.testing.assert_allclose(fits[0].params_array, fits[1].params_array, rtol=1e-9)
    assert fits[0].log_likelihood == pytest.approx(fits[1].log_likelihood, rel=1e-12)
