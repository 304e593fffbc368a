"""BG/NBD (and MBG/NBD) at extreme but valid parameters: the analytic Hessian against mpmath.

The reference is the likelihood written from FHL (2005), eq. 6 (MBG/NBD: Batislam, Denizel &
Filiztekin 2007) in mpmath at 60 digits, differentiated by ``mpmath.diff`` in the logs of the
parameters and taken back to the natural scale exactly,
:math:`H_{\\theta,ij} = (H_{u,ij} - \\delta_{ij} g_{u,i})/(\\theta_i\\theta_j)`: no code is
shared with relmark. Where the exact entry is beyond float range (:math:`-N/r^2` at
:math:`r = 10^{-200}`), relmark's must be the infinity of its sign, never NaN.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import mpmath as mp
import numpy as np
import pytest

from relmark.clv import bgnbd

X = np.array([0.0, 1.0, 2.0, 5.0, 30.0])
TX = np.array([0.0, 5.0, 20.0, 30.0, 38.0])
T = np.array([38.86, 38.86, 39.0, 40.0, 39.0])
W = np.array([2.0, 1.0, 3.0, 1.0, 1.0])


def _rf(v: Any, n: int) -> Any:
    """The rising factorial (v)_n as the product v (v+1) ... (v+n-1)."""
    out = mp.mpf(1)
    for j in range(n):
        out *= v + j
    return out


def _mp_log_likelihood(u: Any, shift: int) -> Any:
    """sum_i w_i ln L_i at theta = exp(u), FHL 2005 eq. 6 (shift 0) or MBG/NBD (shift 1)."""
    r, al, a, b = (mp.exp(v) for v in u)
    total = mp.mpf(0)
    for x, tx, t_, w in zip(X, TX, T, W, strict=True):
        x, tx, t_ = int(x), mp.mpf(float(tx)), mp.mpf(float(t_))
        lam = _rf(r, x) * al**r
        n = x + shift
        # B(a, b+n)/B(a, b) = (b)_n/(a+b)_n and B(a+1, b+n-1)/B(a, b) = a (b)_{n-1}/(a+b)_n
        alive = _rf(b, n) / _rf(a + b, n) * lam / (al + t_) ** (r + x)
        dead = mp.mpf(0)
        if n > 0:
            dead = a * _rf(b, n - 1) / _rf(a + b, n) * lam / (al + tx) ** (r + x)
        total += float(w) * mp.log(alive + dead)
    return total


def _digits(theta: np.ndarray) -> int:
    """Working digits: the differences below divide by h^2 = 1e-60, and an entry of the
    Hessian in ``s`` is :math:`\\theta_i\\theta_j H_{ij}`, at theta = 1e-200 some 1e-400
    of the log-likelihood."""
    return 120 + 2 * max(0, math.ceil(-math.log10(float(np.min(theta)))))


def _mp_log_likelihood_at(theta: np.ndarray, steps: dict[int, int], h: Any, shift: int) -> Any:
    """:func:`_mp_log_likelihood` at :math:`\\theta_i (1 + s_i h)` (``steps``: i -> s_i)."""
    th = [mp.mpf(float(v)) * (1 + steps.get(i, 0) * h) for i, v in enumerate(theta)]
    return _mp_log_likelihood([mp.log(v) for v in th], shift)


def _mp_hessian(theta: np.ndarray, shift: int) -> list[list[Any]]:
    """The natural-scale Hessian, entries as mpf (beyond float range where they are), from
    central differences in relative steps :math:`\\theta_i(1 + s_i)`, h = 1e-30: in ``s``
    the Hessian is :math:`\\theta_i\\theta_j H_{ij}` and the truncation error ~1e-60 of it
    (in log-parameters the e^u of a tiny parameter would leave its first derivative, 1e200
    times the entry, in every higher one)."""
    with mp.workdps(_digits(theta)):
        h = mp.mpf(10) ** -30
        th = [mp.mpf(float(v)) for v in theta]

        def f(**steps: int) -> Any:
            return _mp_log_likelihood_at(theta, {int(k[1:]): v for k, v in steps.items()}, h, shift)

        f0 = f()
        plus = [f(**{f"p{i}": 1}) for i in range(4)]
        minus = [f(**{f"p{i}": -1}) for i in range(4)]
        hess = [[mp.mpf(0)] * 4 for _ in range(4)]
        for i in range(4):
            hess[i][i] = (plus[i] - 2 * f0 + minus[i]) / h**2 / th[i] ** 2
            for j in range(i + 1, 4):
                pi, pj = f"p{i}", f"p{j}"
                cross = (
                    f(**{pi: 1, pj: 1})
                    - f(**{pi: 1, pj: -1})
                    - f(**{pi: -1, pj: 1})
                    + f(**{pi: -1, pj: -1})
                ) / (4 * h**2)
                hess[i][j] = hess[j][i] = cross / (th[i] * th[j])
        return hess


def _grid() -> list[tuple[float, float, float, float]]:
    """Each parameter at 1e-200, 1e-8, 1e8 with the others at CDNOW's values, and every pair
    of parameters at the extremes 1e-200 and 1e8 (the others at CDNOW's)."""
    base = (0.243, 4.414, 0.793, 2.426)
    out: set[tuple[float, float, float, float]] = set()
    for i, v in itertools.product(range(4), (1e-200, 1e-8, 1e8)):
        p = list(base)
        p[i] = v
        out.add((p[0], p[1], p[2], p[3]))
    for (i, j), (vi, vj) in itertools.product(
        itertools.combinations(range(4), 2), itertools.product((1e-200, 1e8), repeat=2)
    ):
        p = list(base)
        p[i], p[j] = vi, vj
        out.add((p[0], p[1], p[2], p[3]))
    return sorted(out)


@pytest.mark.parametrize("shift", [0, 1])
@pytest.mark.parametrize("theta", _grid())
def test_hessian_matches_mpmath_at_extreme_parameters(theta: tuple[float, ...], shift: int) -> None:
    """Every entry within 1e-8 of mpmath's (relative to the entry, or to the geometric mean of
    its two diagonal entries where the entry itself cancels), or within 1e-240 absolute (the
    products of three tiny factors some entries at r = 1e8 are, ~1e-250, underflow to 0). An
    exact entry beyond float range is the infinity of its sign, except where two overflowing
    terms of opposite sign meet (a = b = 1e-200: NaN; the engine refuses either). Before:
    r = 1e-200 gave a NaN r entry (0 * inf over frequencies no row had), a = 1e-200 NaN (a * a
    underflowed), b = 1e-200 a NaN or -inf b entry (1/b^2's cancelling), a = alpha = 1e-200 an
    (alpha, a) entry of 0 for -1.39 (an underflowed product), a = 1e-8 a b entry 1.5e-7 off
    (psi' differences cancelling)."""
    p = np.array(theta)
    with np.errstate(all="ignore"):
        _, _, h = bgnbd.beta_geometric_grad_hess(p, W, X, TX, T, shift=shift)
    ref = _mp_hessian(p, shift)
    big = mp.mpf(1e300)
    for i, j in itertools.product(range(4), repeat=2):
        exact = ref[i][j]
        if abs(exact) > big:
            if theta[2] == theta[3] == 1e-200 and math.isnan(h[i, j]):
                continue
            assert h[i, j] == math.copysign(math.inf, float(mp.sign(exact))), (i, j, h[i, j])
            continue
        assert math.isfinite(h[i, j]), (i, j, h[i, j], exact)
        scale = abs(exact)
        if abs(ref[i][i]) < big and abs(ref[j][j]) < big:
            scale = max(scale, mp.sqrt(abs(ref[i][i] * ref[j][j])))
        assert abs(h[i, j] - exact) <= 1e-8 * scale + 1e-240, (i, j, h[i, j], exact)


@pytest.mark.parametrize("theta", [(0.243, 4.414, 0.793, 1e-200), (0.243, 4.414, 1e-200, 2.426)])
def test_b_gradient_at_tiny_shapes_matches_mpmath(theta: tuple[float, ...]) -> None:
    """The b gradient at b = 1e-200 was 0 (psi(b+x) - psi(b) = 1/b cancelling w2/b, w2
    rounded to 1): per row and summed, within 1e-10 of mpmath."""
    p = np.array(theta)
    with mp.workdps(_digits(p)):
        h = mp.mpf(10) ** -30
        exact = [
            (_mp_log_likelihood_at(p, {i: 1}, h, 0) - _mp_log_likelihood_at(p, {i: -1}, h, 0))
            / (2 * h * mp.mpf(float(p[i])))
            for i in range(4)
        ]
    _, rows = bgnbd.log_likelihood_and_grad(p, X, TX, T)
    _, g, _ = bgnbd.log_likelihood_grad_hess(p, W, X, TX, T)
    for i in range(4):
        assert abs(float(W @ rows[:, i]) - exact[i]) <= 1e-10 * abs(exact[i]) + 1e-12
        assert abs(g[i] - exact[i]) <= 1e-10 * abs(exact[i]) + 1e-12


def _mp_dert(theta: tuple[float, ...], delta: float, x: int, tx: float, t_: float) -> float:
    """DERT from a route relmark does not take: with s the Laplace variable of
    :math:`1/(c + p u)`, :math:`u = \\lambda(\\alpha+T) \\sim` Gamma(r+x, 1) and
    p ~ Beta(a, b+x) integrated out in closed form,
    :math:`E[u/(c+pu)] = (r+x)\\int_0^\\infty e^{-sc}\\,{}_2F_1(r+x+1, a; a+b+x; -s)\\,ds`,
    :math:`c = \\delta(\\alpha+T)`, times P(alive) (FHL 2005, eq. 11); 30 digits."""
    with mp.workdps(30):
        r, al, a, b = (mp.mpf(v) for v in theta)
        rx, bx, c = r + x, b + x, mp.mpf(delta) * (al + t_)

        def f(s: Any) -> Any:
            return mp.exp(-s * c) * mp.hyp2f1(rx + 1, a, a + bx, -s)

        mean = rx * mp.quad(f, [0, 1, 10, 100, 1000, 10_000, mp.inf])
        alive = 1 if x == 0 else 1 / (1 + a / (bx - 1) * ((al + t_) / (al + tx)) ** rx)
        return float(mean * alive)


def test_dert_of_many_customers_matches_mpmath_at_and_near_zero_frequency() -> None:
    """DERT of 30,000 customers (interpolated per frequency in ln(alpha + T), the path of more
    than 20,000 rows; it was ~470 us a customer at x = 0) within 1e-11 of mpmath's, at x = 0
    and x = 1, 2, 7 for the youngest, oldest and a middle age (CDNOW parameters, FHL 2005;
    a 15 % annual rate in weeks)."""
    theta = (0.243, 4.414, 0.793, 2.426)
    delta = 0.15 / 52
    rng = np.random.default_rng(5)
    n = 30_000
    x = rng.choice(np.array([0.0, 1.0, 2.0, 7.0]), n)
    t_ = rng.uniform(0.5, 78.0, n)
    tx = np.where(x > 0, t_ * rng.uniform(0.0, 1.0, n), 0.0)
    got = bgnbd.dert(np.array(theta), delta, x, tx, t_)
    for xv in (0.0, 1.0, 2.0, 7.0):
        rows = np.flatnonzero(x == xv)
        ages = t_[rows]
        for i in (rows[np.argmin(ages)], rows[np.argmax(ages)], rows[len(rows) // 2]):
            want = _mp_dert(theta, delta, int(x[i]), float(tx[i]), float(t_[i]))
            assert abs(got[i] - want) <= 1e-11 * want, (x[i], t_[i], got[i], want)


def test_bg_cnbd_1_dert_of_many_customers_matches_mpmath() -> None:
    """BG/CNBD-k's DERT (interpolated per frequency and phase beyond 20,000 rows) at k = 1,
    the BG/NBD model, within 1e-11 of the mpmath route of :func:`_mp_dert`."""
    from relmark.clv import bgcnbd

    theta = (0.243, 4.414, 0.793, 2.426)
    delta = 0.15 / 52
    rng = np.random.default_rng(6)
    n = 25_000
    x = rng.choice(np.array([0.0, 1.0, 3.0]), n)
    t_ = rng.uniform(0.5, 78.0, n)
    tx = np.where(x > 0, t_ * rng.uniform(0.0, 1.0, n), 0.0)
    got = bgcnbd.dert(np.array(theta), delta, x, tx, t_, k=1)
    for xv in (0.0, 1.0, 3.0):
        rows = np.flatnonzero(x == xv)
        for i in (rows[np.argmin(t_[rows])], rows[np.argmax(t_[rows])]):
            want = _mp_dert(theta, delta, int(x[i]), float(tx[i]), float(t_[i]))
            assert abs(got[i] - want) <= 1e-11 * want, (x[i], t_[i], got[i], want)


@pytest.mark.parametrize("a", [1e-8, 0.5, 3.0, 20.0, 1e3, 1e8])
@pytest.mark.parametrize("bp", [1e-8, 0.01, 2.0, 1e3])
def test_dert_beta_mean_matches_mpmath(a: float, bp: float) -> None:
    """DERT's :math:`E[1/(\\varepsilon+p)]`, p ~ Beta(a, b'), within 1e-12 of mpmath's closed
    form :math:`w\\,{}_2F_1(1, b'; a+b'; w)`, w = 1/(1+eps) (30 digits). From a = 20 on the
    rule steps by the density's width (a = b' = 1e8: 4e8 nodes, a MemoryError); a tiny b'
    ends the rule at tau = 40 with its geometric right tail summed (42/b' made 4e9 nodes)."""
    eps = np.array([1e-12, 1e-3, 1.0, 1e3])
    got = bgnbd._beta_inverse_mean(eps, a, bp)
    with mp.workdps(30):
        for e, g in zip(eps, got, strict=True):
            w = 1 / (1 + mp.mpf(float(e)))
            want = w * mp.hyp2f1(1, bp, a + bp, w)
            assert abs(g / want - 1) <= 1e-12, (e, g, want)


def test_dert_beta_mean_at_huge_equal_shapes_matches_mpmath() -> None:
    """a = b' = 1e8 (where mpmath's 2F1 is slow): against a 30-digit quadrature in
    tau = logit p around the mode, within 1e-12 (the log density's two terms, ~1e5 each,
    cancel to O(10): ~1e-12 of rounding)."""
    a = bp = 1e8
    eps = np.array([1e-12, 1e-3, 1.0])
    got = bgnbd._beta_inverse_mean(eps, a, bp)
    with mp.workdps(30):
        A, B = mp.mpf(a), mp.mpf(bp)
        sd = mp.sqrt(1 / A + 1 / B)

        def dens(t: Any) -> Any:
            return mp.exp(A * t - (A + B) * (mp.log1p(mp.exp(t)) - mp.log(2)))

        pts = [k * sd for k in (-100, -40, -20, -10, -5, -2, 0, 2, 5, 10, 20, 40, 100)]
        den = mp.quad(dens, pts)
        for e, g in zip(eps, got, strict=True):
            num = mp.quad(lambda t, e=e: dens(t) / (mp.mpf(float(e)) + 1 / (1 + mp.exp(-t))), pts)
            assert abs(g / (num / den) - 1) <= 1e-12


@pytest.mark.parametrize(
    "params",
    [
        {"r": 1e8, "alpha": 1e8, "a": 1e8, "b": 1e8},
        {"r": 1e8, "alpha": 1e-8, "a": 1e8, "b": 1e-8},
        {"r": 1e8, "alpha": 1e-8, "a": 1.0, "b": 1e-8},
    ],
)
def test_dert_at_huge_shapes_is_finite_and_bounded(params: dict[str, float]) -> None:
    """These exhausted the memory (a MemoryError of 260 GiB, or the process killed): now a
    finite value between 0 and E[lambda]/delta of the posterior (DERT <= the undiscounted
    rate's present value, lambda/(delta + p lambda) <= lambda/delta); positive at x = 0 (P(alive)
    = 1), 0 where P(alive) underflows (x = 2 after a pause, with r = 1e8)."""
    from relmark.clv import BGNBD

    model = BGNBD(**params)
    rate = 1e-3
    got = model.dert([0, 2], [0.0, 30.0], [38.0, 38.0], continuous_discount_rate=rate)
    x = np.array([0.0, 2.0])
    bound = (params["r"] + x) / (params["alpha"] + 38.0) / rate
    assert np.all(np.isfinite(got)) and got[0] > 0 and np.all(got >= 0) and np.all(got <= bound)


@pytest.mark.parametrize("t", [1.0, 39.0, 1e6])
def test_expected_purchases_at_a_one_and_a_tiny_b_match_mpmath(t: float) -> None:
    """a = 1 and a + b - 1 = 1e-8 at once (both removable singularities of the closed form):
    the b-interpolation called the a = 1 formula itself, a 0/0 RuntimeWarning (the value then
    came from the quadrature fallback). Now without a warning, within 1e-9 of mpmath's
    integral over p of [1 - (1 + p t/alpha)^-r]/p, p ~ Beta(1, b) (FHL 2005, eq. 9), with
    p = 1 - s^(1/b) so that the density is uniform in s."""
    import warnings

    from relmark.clv import BGNBD

    r, alpha, b = 0.243, 4.414, 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = BGNBD(r=r, alpha=alpha, a=1.0, b=b).expected_purchases_new_customer(t=t)[0]
    with mp.workdps(30):
        R, A, B, tt = mp.mpf(r), mp.mpf(alpha), mp.mpf(b), mp.mpf(t)

        def g(s: Any) -> Any:
            p = -mp.expm1(mp.log(s) / B) if s > 0 else mp.mpf(1)
            if p == 0:
                return R * tt / A
            return -mp.expm1(-R * mp.log1p(p * tt / A)) / p

        pts = [0, 1 - mp.mpf(10) ** -6, 1 - mp.mpf(10) ** -8, 1 - mp.mpf(10) ** -9]
        want = mp.quad(g, [*pts, 1 - mp.mpf(10) ** -10, 1])
    assert abs(got / float(want) - 1) <= 1e-9, (got, want)


@pytest.mark.parametrize(
    ("params", "p_limit"),
    [
        ({"r": 1e-8, "alpha": 1e8, "a": 1e-8, "b": 1e8}, 0.0),
        ({"r": 1e8, "alpha": 1e-8, "a": 1e8, "b": 1e-8}, 1.0),
    ],
)
@pytest.mark.parametrize("t", [1e-20, 1.0, 1e6])
def test_expected_purchases_at_degenerate_dropout_densities(
    params: dict[str, float], p_limit: float, t: float
) -> None:
    """Beta(1e-8, 1e8) (p = 0 but for 1e-16 of its mean) and Beta(1e8, 1e-8) (p = 1 but for
    1e-16): QUADPACK's algebraic-weight rule gave NaN (with a NumericalWarning). E[X(t)] is
    E[g(p)], g(p) = [1 - (1 + p t/alpha)^-r]/p (FHL 2005, eq. 9 before the closed form), so it
    is g at the limit within max|g'| times the 1e-16 distance: g(0) = r t/alpha, g(1) = 1 -
    (1 + t/alpha)^-r, here to 1e-12 relative; no warning."""
    import warnings

    from relmark.clv import BGNBD

    r, alpha = params["r"], params["alpha"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = BGNBD(**params).expected_purchases_new_customer(t=t)[0]
    with mp.workdps(40):
        R, A, tt = mp.mpf(r), mp.mpf(alpha), mp.mpf(t)
        want = R * tt / A if p_limit == 0.0 else -mp.expm1(-R * mp.log1p(tt / A))
    assert abs(got / float(want) - 1) <= 1e-12, (got, want)


def test_dert_at_a_huge_discount_rate_is_the_discounted_rate_without_a_warning() -> None:
    """delta = 1e300: lambda/(delta + p lambda) = lambda/delta to 1e-300, so DERT is
    P(alive) (r+x)/(alpha+T)/delta (FHL 2005, eq. 11 for P(alive)); c/u overflowed to inf
    with a RuntimeWarning (BG/NBD and BG/CNBD-k, whose value was right). Within 1e-8: some of
    the quadrature's products (weight times value, ~1e-310) are subnormal at this rate."""
    import warnings

    from relmark.clv import bgcnbd

    theta = (0.243, 4.414, 0.793, 2.426)
    r, al, a, b = theta
    x, tx, t_ = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86])
    alive = np.where(x > 0, 1 / (1 + a / (b + x - 1) * ((al + t_) / (al + tx)) ** (r + x)), 1.0)
    want = alive * (r + x) / (al + t_) / 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = bgnbd.dert(np.array(theta), 1e300, x, tx, t_)
        got_k1 = bgcnbd.dert(np.array(theta), 1e300, x, tx, t_, k=1)
    np.testing.assert_allclose(got, want, rtol=1e-8)
    np.testing.assert_allclose(got_k1, want, rtol=1e-8)
