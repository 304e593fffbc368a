"""Pareto/NBD against the published fit, a quadrature oracle in mpmath, and lifetimes."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import ParetoNBD, paretonbd
from relmark.datasets import load_cdnow_summary

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def test_fit_reproduces_published_parameters() -> None:
    """Fader, Hardie & Lee (2005, JMR 42(4)) on the CDNOW sample: r = 0.553, alpha = 10.578,
    s = 0.606, beta = 11.669, LL = -9595.0. beta is checked to 0.002: our optimum (gradient
    < 1e-8) is 11.668, 0.0002 standard errors (se 6.2) from the printed value."""
    model = ParetoNBD.fit(load_cdnow_summary())
    for name in ("r", "alpha", "s"):
        assert round(model.params[name], 3) == PUBLISHED[name], name
    assert model.params["beta"] == pytest.approx(PUBLISHED["beta"], abs=2e-3)
    assert round(model.fit_result.log_likelihood, 1) == -9595.0
    assert model.fit_result.converged
    assert all(np.isfinite(list(model.fit_result.bse.values())))  # SEs for every parameter


def test_published_predictions() -> None:
    """FHL (2005): x = 26, t_x = 30.86, T = 31 -> P(alive) = 0.9979 and 25.46 purchases in
    the next 52 weeks."""
    m = ParetoNBD(**PUBLISHED)
    assert round(float(m.p_alive(26, 30.86, 31)[0]), 4) == 0.9979
    assert round(float(m.conditional_expected_purchases(26, 30.86, 31, t=52)[0]), 2) == 25.46


# ----------------------------------------------------------------------------- oracle
def mp_bracket(r, alpha, s, beta, x, tx, T):
    """The likelihood bracket with the integral done by mpmath quadrature (no 2F1)."""
    r, alpha, s, beta, x, tx, T = map(mp.mpf, (r, alpha, s, beta, x, tx, T))
    alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
    if tx == T:
        return alive, alive
    # breakpoints crowd near t_x, where the integrand falls fastest when x is large
    pts = sorted({tx, *(tx + (T - tx) * mp.mpf(10) ** -k for k in range(8)), T})
    integral = mp.quad(lambda u: (alpha + u) ** (-(r + x)) * (beta + u) ** (-(s + 1)), pts)
    return alive, alive + s * integral


def mp_loglik(r, alpha, s, beta, x, tx, T):
    _, bracket = mp_bracket(r, alpha, s, beta, x, tx, T)
    return (
        mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta) + mp.log(bracket)
    )


def mp_p_alive(*case):
    alive, bracket = mp_bracket(*case)
    return alive / bracket


def mp_dert(r, alpha, s, beta, x, tx, T, delta):
    """P(alive) E[lambda] E[1/(delta + mu)], the posterior expectation by quadrature of
    E[1/(delta+mu)] = int_0^inf e^{-delta u} E[e^{-mu u}] du = int e^{-delta u} (b/(b+u))^s du."""
    pa = mp_p_alive(r, alpha, s, beta, x, tx, T)
    b = mp.mpf(beta) + T
    e_inv = mp.quad(
        lambda u: mp.exp(-delta * u) * (b / (b + u)) ** s, [0, 1 / delta, 10 / delta, mp.inf]
    )
    return pa * (mp.mpf(r) + x) / (mp.mpf(alpha) + T) * e_inv


HARD = [
    # (r, alpha, s, beta, x, t_x, T)
    (0.553, 10.578, 0.606, 11.669, 26, 30.86, 31.0),  # the paper's customer (alpha < beta)
    (0.553, 10.578, 0.606, 11.669, 0, 0.0, 38.86),
    (0.553, 20.0, 0.606, 5.0, 3, 10.0, 38.86),  # alpha > beta
    (0.8, 7.0, 1.3, 7.0, 5, 12.0, 40.0),  # alpha = beta exactly
    (0.8, 7.0, 1.0, 9.0, 5, 12.0, 40.0),  # s = 1
    (0.553, 10.578, 0.606, 11.669, 10_000, 52.0, 52.0),  # x in the thousands, t_x = T
    (0.553, 10.578, 0.606, 11.669, 10_000, 30.0, 52.0),  # x in the thousands, t_x < T
    (1e-3, 0.5, 2.0, 30.0, 2, 1.0, 5.0),  # tiny r
    (0.5, 3.0, 0.01, 0.5, 1, 1.0, 1e4),  # tiny s, very large T
    (0.7, 3.0, 1.2, 40.0, 1, 0.5, 30.0),  # beta >> alpha: z = 0.91 at t_x
]


@pytest.mark.parametrize("case", HARD)
def test_against_mpmath_quadrature(case: tuple[float, ...]) -> None:
    """Log-likelihood, P(alive) (one customer and an array) and DERT agree with 40-digit
    quadrature to 1e-9."""
    with mp.workdps(40):
        r, alpha, s, beta, x, tx, T = case
        p = np.array([r, alpha, s, beta])
        args = (np.array([x], float), np.array([tx], float), np.array([T], float))
        ll = paretonbd.log_likelihood(p, *args)[0]
        assert ll == pytest.approx(float(mp_loglik(*case)), rel=1e-10)
        pa = paretonbd.p_alive(p, *args)[0]  # one customer: in Python floats where z <= 0.9
        want = float(mp_p_alive(*case))
        assert pa == pytest.approx(want, rel=1e-9)
        two = paretonbd.p_alive(p, *(np.repeat(v, 2) for v in args))  # the array path
        np.testing.assert_allclose(two, want, rtol=1e-9)
        delta = 0.15 / 52
        got = paretonbd.dert(p, delta, *args)[0]
        assert np.isfinite(got)
        assert got == pytest.approx(float(mp_dert(r, alpha, s, beta, x, tx, T, delta)), rel=1e-9)


GRADIENT_CASES = [
    *HARD,
    (0.553, 10.578, 0.606, 11.669, 4, 38.0 * (1 - 1e-7), 38.0),  # t_x just below T
    (0.7, 40.0, 1.2, 3.0, 2, 5.0, 30.0),  # alpha >> beta: z > 3/4, finite differences
    (0.7, 20.0, 1.2, 6.0, 2, 2.0, 30.0),  # z = 0.64: a long series
    (0.7, 3.0, 1.2, 40.0, 0, 0.0, 30.0),  # beta >> alpha, no repeat purchase
]


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradient_against_mpmath_derivative(case: tuple[float, ...]) -> None:
    """The analytic gradient (series for d/dr and d/ds of the hypergeometric terms) equals
    mpmath's numerical derivative of the 40-digit quadrature log-likelihood to 1e-7."""
    with mp.workdps(40):
        r, alpha, s, beta, x, tx, T = case
        p = np.array([r, alpha, s, beta])
        args = (np.array([x], float), np.array([tx], float), np.array([T], float))
        ll, grad = paretonbd.log_likelihood_and_grad(p, *args)
        assert ll[0] == pytest.approx(float(mp_loglik(*case)), rel=1e-10)
        for i in range(4):

            def f(v: mp.mpf, i: int = i) -> mp.mpf:
                values = list(case)
                values[i] = v
                return mp_loglik(*values)

            want = float(mp.diff(f, mp.mpf(case[i])))
            assert grad[0, i] == pytest.approx(want, rel=1e-7, abs=1e-9), i


@pytest.mark.parametrize("s", [0.3, 1.0, 1.0 + 1e-9, 2.5])
def test_expected_purchases_is_the_integral_of_the_rate(s: float) -> None:
    """E[X(t)] = E[lambda] E[(1 - e^{-mu t})/mu], computed by quadrature over mu."""
    with mp.workdps(30):
        r, alpha, beta, t = 0.7, 4.0, 6.0, 20.0
        want = (
            mp.mpf(r)
            / alpha
            * mp.quad(
                lambda m: (
                    beta**s * m ** (s - 1) * mp.exp(-beta * m) / mp.gamma(s) * -mp.expm1(-m * t) / m
                ),
                [0, 1 / beta, mp.inf],
            )
        )
        got = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta).expected_purchases_new_customer(t=t)[0]
        assert got == pytest.approx(float(want), rel=1e-9)


def test_prob_purchases_is_a_distribution_with_the_right_mean() -> None:
    m = ParetoNBD(r=0.6, alpha=5.0, s=0.8, beta=9.0)
    n = np.arange(0, 400, dtype=float)
    probs = m.prob_purchases(n, t=np.full_like(n, 30.0))
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert float(n @ probs) == pytest.approx(
        float(m.expected_purchases_new_customer(t=30.0)[0]), rel=1e-7
    )


def test_agrees_with_lifetimes_where_lifetimes_is_right() -> None:
    """At lifetimes' own estimates, P(alive) and expectations agree to 1e-6 on CDNOW."""
    from lifetimes import ParetoNBDFitter

    s = load_cdnow_summary()
    lt = ParetoNBDFitter()
    lt.params_ = __import__("pandas").Series(PUBLISHED)
    m = ParetoNBD(**PUBLISHED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_pa = lt.conditional_probability_alive(s.frequency, s.recency, s.T)
        theirs_e = lt.conditional_expected_number_of_purchases_up_to_time(
            39, s.frequency, s.recency, s.T
        )
        theirs_new = lt.expected_number_of_purchases_up_to_time(np.array([10.0, 52.0]))
    np.testing.assert_allclose(m.p_alive(s.frequency, s.recency, s.T), theirs_pa, rtol=1e-6)
    np.testing.assert_allclose(
        m.conditional_expected_purchases(s.frequency, s.recency, s.T, t=39), theirs_e, rtol=1e-6
    )
    np.testing.assert_allclose(
        m.expected_purchases_new_customer(t=[10.0, 52.0]), theirs_new, rtol=1e-6
    )


def test_lifetimes_fails_where_relmark_does_not() -> None:
    """For x = 10,000 lifetimes' P(alive) is not a usable number; relmark matches mpmath."""
    from lifetimes import ParetoNBDFitter

    lt = ParetoNBDFitter()
    lt.params_ = __import__("pandas").Series(PUBLISHED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = float(np.asarray(lt.conditional_probability_alive(10_000, 52.0, 52.0)))
    with mp.workdps(40):
        want = float(mp_p_alive(*PUBLISHED.values(), 10_000, 52.0, 52.0))
        ours = float(ParetoNBD(**PUBLISHED).p_alive(10_000, 52.0, 52.0)[0])
        assert ours == pytest.approx(want, rel=1e-9)
        assert np.isnan(theirs)  # lifetimes overflows: inf / inf


def test_threaded_evaluation_equals_the_serial_one_and_the_fits_agree() -> None:
    """Pareto/NBD's likelihood is evaluated in blocks on a thread pool, the block sums added in
    block order: value and gradient are bit-for-bit the serial ones. The expensive-likelihood
    fit (threads and a 2,000-row first warm start) reaches the same optimum as the plain path,
    and the estimates sit near the truth."""
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    from relmark.clv._engine import _objective

    rng = np.random.default_rng(70)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    d = truth.simulate(rng.uniform(27.0, 39.0, 70_000), rng=rng)
    data = (d["frequency"], d["recency"], d["T"])
    weights = np.ones(70_000)
    pset, lik = ParetoNBD.param_set, ParetoNBD.likelihood
    serial = _objective(lik, pset, data, weights, 70_000.0)
    with ThreadPoolExecutor(2) as pool:
        threaded = _objective(lik, pset, data, weights, 70_000.0, pool)
        for theta in ([0.553, 10.578, 0.606, 11.669], [1.0, 20.0, 1.0, 5.0]):
            u = pset.to_unconstrained(np.array(theta))
            f1, g1 = serial(u)
            f2, g2 = threaded(u)
            assert f1 == f2
            np.testing.assert_array_equal(g1, g2)

    cols = dict(zip(("frequency", "recency", "T"), data, strict=True))
    fast = ParetoNBD.fit(cols)

    class PlainParetoNBD(ParetoNBD):
        likelihood = dataclasses.replace(lik, expensive=False)

    plain = PlainParetoNBD.fit(cols)
    assert fast.fit_result.converged and plain.fit_result.converged
    np.testing.assert_allclose(fast.params_array, plain.params_array, rtol=1e-5)
    bse = np.array(list(fast.fit_result.bse.values()))
    z = (fast.params_array - truth.params_array) / bse
    assert np.all(np.abs(z) < 5), z


def test_values_beyond_the_series_are_integrated_not_nan() -> None:
    """With alpha / beta = 10^4 and r + x in the hundreds, neither scipy's hyp2f1 nor its series
    gives the likelihood's hypergeometric term. P(alive) was NaN with a NumericalWarning (a
    known limit); the integral is now taken by quadrature there, and P(alive) agrees with the
    closed form in 40-digit mpmath (note 008, eq. 11)."""
    p = np.array([585.0, 1e4, 3.03, 1.0])
    args = (np.array([5000.0, 2.0]), np.array([1.0, 1.0]), np.array([50.0, 50.0]))
    r, alpha, s, beta = (mp.mpf(v) for v in p)

    def alive(x: int) -> float:
        with mp.workdps(40):
            c = r + s + x

            def term(u: float) -> mp.mpf:
                return mp.hyp2f1(c, s + 1, c + 1, (alpha - beta) / (alpha + u)) / (alpha + u) ** c

            head = (alpha + 50) ** -(r + x) * (beta + 50) ** -s
            return float(head / (head + s / c * (term(1) - term(50))))

    got = paretonbd.p_alive(p, *args)
    assert got == pytest.approx([alive(5000), alive(2)], rel=1e-8)


def _mp_g(c: mp.mpf, d: mp.mpf, z: mp.mpf) -> mp.mpf:
    return mp.hyp2f1(1, c, d, z)


@pytest.mark.parametrize(("c", "d"), [(1.6, 2.9), (30.5, 31.7), (0.06, 1.2), (1.2, 121.4)])
def test_series_by_runs_against_mpmath(c: float, d: float) -> None:
    """The matrix form of the series (a run of rows sharing (c, d), evaluated as coefficients
    times powers of z) gives G = 2F1(1, c; d; z) and its derivatives in c, d and z to 1e-12
    of mpmath's (40 digits), from z = 0 to 3/4, and short runs mixed in go the term-by-term way.
    """
    with mp.workdps(40):
        z = np.concatenate([np.linspace(0.0, 0.75, 97), [0.3, 0.1]])
        cc = np.concatenate([np.full(97, c), [c + 1.0, c + 2.0]])  # a long run, two short ones
        dd = np.concatenate([np.full(97, d), [d + 1.0, d + 2.0]])
        got = paretonbd._series_by_run(cc, dd, z)
        for i in range(0, 99, 8):
            ci, di, zi = mp.mpf(cc[i]), mp.mpf(dd[i]), mp.mpf(z[i])
            point = (ci, di, zi)
            want = (
                mp.hyp2f1(1, ci, di, zi),
                mp.diff(_mp_g, point, (1, 0, 0)),
                mp.diff(_mp_g, point, (0, 1, 0)),
                mp.diff(_mp_g, point, (0, 0, 1)),
            )
            for k in range(4):
                assert got[k][i] == pytest.approx(float(want[k]), rel=1e-12, abs=1e-300), (i, k)


@given(
    n=st.integers(1, 300),
    whole=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_pairs_index_every_row_and_sort_by_frequency(n: int, whole: bool, seed: int) -> None:
    """Every customer's two pairs (x, t_x) and (x, T) are found at its indices in the table of
    pairs, the table is sorted by frequency (the runs of the series), the pairs at time 0 are
    never repeated, and on whole-day data no pair is computed twice."""
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 60, n).astype(float) if whole else rng.uniform(1.0, 60.0, n)
    x = rng.poisson(1.0, n).astype(float)
    tx = np.where(x > 0, np.ceil(T * rng.random(n)) if whole else T * rng.random(n), 0.0)
    (xk, tk), (i_tx, i_T) = paretonbd._pairs(x, tx, T)
    np.testing.assert_array_equal(xk[i_tx], x)
    np.testing.assert_array_equal(tk[i_tx], tx)
    np.testing.assert_array_equal(xk[i_T], x)
    np.testing.assert_array_equal(tk[i_T], T)
    assert np.all(np.diff(xk) >= 0)
    pairs = set(zip(xk.tolist(), tk.tolist(), strict=True))
    if whole:
        assert len(pairs) == xk.shape[0]
    zero = tk == 0.0  # every customer without repeat purchases shares one (x, 0) entry
    assert np.count_nonzero(zero) == np.unique(xk[zero]).size


def test_fit_through_shared_pairs_equals_the_fit_row_by_row() -> None:
    """Fitting computes the hypergeometric terms once per distinct pair (x, t) and gathers them
    into the rows: on whole-day data (a few hundred pairs for 50,000 customers) and on
    continuous times the estimates, log-likelihood and standard errors equal those of the fit
    that evaluates every row on its own (``shared=None``)."""
    import dataclasses

    class RowByRow(ParetoNBD):
        likelihood = dataclasses.replace(ParetoNBD.likelihood, shared=None)

    rng = np.random.default_rng(71)
    truth = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    for whole in (True, False):
        T = rng.integers(1, 365, 50_000).astype(float) / 7.0
        d = truth.simulate(T, rng=rng)
        if whole:
            days = {"frequency": d["frequency"], "T": T * 7.0}
            days["recency"] = np.minimum(np.ceil(d["recency"] * 7.0), days["T"])
            d = days
        cols = {k: d[k] for k in ("frequency", "recency", "T")}
        shared, plain = ParetoNBD.fit(cols), RowByRow.fit(cols)
        np.testing.assert_allclose(shared.params_array, plain.params_array, rtol=1e-7)
        assert shared.fit_result.log_likelihood == pytest.approx(
            plain.fit_result.log_likelihood, rel=1e-10
        )
        for k, v in shared.fit_result.bse.items():
            assert v == pytest.approx(plain.fit_result.bse[k], rel=1e-3)


@pytest.mark.parametrize("case", HARD)
def test_large_batches_interpolate_to_the_quadrature(case: tuple[float, ...]) -> None:
    """Above MIN_ROWS customers the hypergeometric terms are interpolated per frequency: the
    hard customer, with 3,000 others of its frequency at other ages (so that its frequency is
    interpolated, not evaluated exactly), still agrees with 40-digit quadrature to 1e-9, and
    every customer with exact evaluation in small batches to 1e-11 (log-likelihoods near 0:
    1e-12 absolute)."""
    from relmark.clv._tabulate import MIN_ROWS

    with mp.workdps(40):
        r, alpha, s, beta, x, tx, T = case
        p = np.array([r, alpha, s, beta])
        rng = np.random.default_rng(7)
        model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
        sim = model.simulate(rng.uniform(1.0, 80.0, MIN_ROWS), rng=rng)
        ages = float(tx) + rng.uniform(0.0, 60.0, 3_000)
        xs = np.concatenate([[x], np.full(3_000, float(x)), sim["frequency"]])
        txs = np.concatenate([[tx], np.full(3_000, float(tx)), sim["recency"]])
        Ts = np.concatenate([[T], ages, sim["T"]])
        pa, ll = paretonbd.p_alive(p, xs, txs, Ts), paretonbd.log_likelihood(p, xs, txs, Ts)
        assert pa[0] == pytest.approx(float(mp_p_alive(*case)), rel=1e-9)
        assert ll[0] == pytest.approx(float(mp_loglik(*case)), rel=1e-10)
        step = MIN_ROWS // 2
        for lo in range(0, xs.shape[0], step):
            sl = slice(lo, lo + step)
            np.testing.assert_allclose(
                pa[sl], paretonbd.p_alive(p, xs[sl], txs[sl], Ts[sl]), rtol=1e-11
            )
            exact = paretonbd.log_likelihood(
                p, xs[sl], txs[sl], Ts[sl]
            )  # some near 0: absolute 1e-12
            np.testing.assert_allclose(ll[sl], exact, rtol=1e-11, atol=1e-12)


def test_simulate_with_a_tiny_dropout_shape() -> None:
    """With s = 0.01 many dropout rates underflow to 0: those customers never drop out (alive,
    no divide-by-zero warning), and the share alive matches E[(beta/(beta+T))^s]."""
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = ParetoNBD(r=0.5, alpha=3.0, s=0.01, beta=0.5).simulate(
            np.full(200_000, 50.0), rng=rng
        )
    assert np.all(np.isfinite(sim["recency"]))
    want = (0.5 / 50.5) ** 0.01  # P(alive at T) of a new customer: E[exp(-mu T)]
    assert sim["alive"].mean() == pytest.approx(want, abs=4e-3)


def _mp_loglik_long(r, alpha, s, beta, x, tx, T):
    """note 008's eq. 2 in mpmath, the integral by quadrature between breakpoints a unit
    apart near t_x and spreading geometrically after (at a large r the integrand falls like
    exp(-r (tau - t_x) / alpha) over all of [t_x, T]: :func:`mp_bracket`'s points, crowded
    near t_x, left 6e-7 over [1e-3, 1e3])."""
    r, alpha, s, beta, x, tx, T = map(mp.mpf, (r, alpha, s, beta, x, tx, T))
    alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
    steps = [mp.mpf(k) / 8 for k in range(1, 8)] + [mp.mpf(k) for k in range(1, 41)]
    steps += [40 * mp.mpf(1.2) ** k for k in range(1, 200)]
    pts = [tx, *(tx + h for h in steps if tx + h < T), T]
    bracket = alive
    if tx < T:
        f = lambda u: (alpha + u) ** (-(r + x)) * (beta + u) ** (-(s + 1))  # noqa: E731
        bracket += s * mp.quad(f, pts)
    return (
        mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta) + mp.log(bracket)
    )


_SHAPE_ROWS = [(0, 0.0, 40.0), (2, 30.4, 38.9), (5, 35.0, 40.0), (30, 10.0, 60.0), (1, 1e-3, 1e3)]


@pytest.mark.parametrize(
    "r",
    [
        pytest.param(1e-8, marks=pytest.mark.xfail(strict=True, reason="see docstring")),
        1.0,
        1e8,
        1e15,
        1e25,
    ],
)
def test_log_likelihood_at_any_shape_equals_mpmath(r: float) -> None:
    """At r = 1e-8 .. 1e25 with alpha = r / 0.4 (mean purchase rate 0.4) the per-customer
    log-likelihood equals mpmath's (50 digits, the integral by quadrature) within 1e-10 of
    max(1, |ln L|). gammaln(r + x) - gammaln(r) and r ln alpha - (r + x) ln(alpha + T) had
    no digit left at r = 1e15 (errors 0.06 to 1.5, relative) and 1e-3 at r = 1e8; now the
    rising factorial and log1p(T / alpha). Known (xfail): at r = 1e-8 (alpha = 2.5e-8 << beta)
    a customer without repeat purchases is 1.3e-8 off (ln L = -2e-7), from the
    hypergeometric term near z = 1, not from the cancellation fixed here."""
    p = np.array([r, r / 0.4, 0.6, 11.7])
    x, tx, T = (np.array(c, dtype=float) for c in zip(*_SHAPE_ROWS, strict=True))
    got = paretonbd.log_likelihood(p, x, tx, T)
    with mp.workdps(50):
        want = np.array(
            [float(_mp_loglik_long(r, r / 0.4, 0.6, 11.7, *row)) for row in _SHAPE_ROWS]
        )
    np.testing.assert_array_less(np.abs(got - want), 1e-10 * np.maximum(1.0, np.abs(want)))
