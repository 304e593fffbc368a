"""BG/NBD against the paper, an mpmath oracle, lifetimes and simulation."""

from __future__ import annotations

import functools
import importlib.resources
import json
import warnings
from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, MBGNBD, bgnbd, load_model, mbgnbd
from relmark.errors import ConvergenceWarning, DataError, ParameterError, SchemaError

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    path = importlib.resources.files("lifetimes") / "datasets" / "cdnow_customers_summary.csv"
    with importlib.resources.as_file(path) as p:
        return pd.read_csv(p)


@pytest.fixture(scope="module")
def fitted(cdnow: pd.DataFrame) -> BGNBD:
    return BGNBD.fit(cdnow)


# --------------------------------------------------------------------------- published values
def test_fit_reproduces_published_parameters(fitted: BGNBD) -> None:
    """Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5: on the CDNOW 1/10 sample
    (2357 customers, weeks) r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4."""
    for name, value in PUBLISHED.items():
        assert round(fitted.params[name], 3) == value, name
    assert round(fitted.fit_result.log_likelihood, 1) == -9582.4
    assert fitted.fit_result.converged
    assert fitted.fit_result.nobs == 2357
    assert fitted.fit_result.n_unique == 1016  # identical rows grouped (DOMAIN.md 2.1)


def test_published_conditional_expectation() -> None:
    """FHL (2005), section 5: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in 39 weeks."""
    model = BGNBD(**PUBLISHED)
    assert round(float(model.conditional_expected_purchases(2, 30.43, 38.86, t=39)[0]), 3) == 1.226


# --------------------------------------------------------------------------- mpmath oracle
def at_50_digits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Evaluate an oracle at 50 digits or more (set per call, not for the whole process;
    never lowered: mp.diff raises the precision of its evaluations)."""

    @functools.wraps(fn)
    def inner(*args: Any) -> Any:
        with mp.workdps(max(50, mp.mp.dps)):
            return fn(*args)

    return inner


@at_50_digits
def mp_loglik(r, alpha, a, b, x, tx, T):
    r, alpha, a, b, x, tx, T = map(mp.mpf, (r, alpha, a, b, x, tx, T))
    base = mp.gamma(r + x) * alpha**r / mp.gamma(r)
    l1 = mp.beta(a, b + x) / mp.beta(a, b) * base / (alpha + T) ** (r + x)
    l2 = 0
    if x > 0:
        l2 = mp.beta(a + 1, b + x - 1) / mp.beta(a, b) * base / (alpha + tx) ** (r + x)
    return mp.log(l1 + l2)


@at_50_digits
def mp_p_alive(r, alpha, a, b, x, tx, T):
    r, alpha, a, b, x, tx, T = map(mp.mpf, (r, alpha, a, b, x, tx, T))
    if x == 0:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


@at_50_digits
def mp_conditional(r, alpha, a, b, t, x, tx, T):
    """FHL (2005) eq. 10 in its original (untransformed) form, at 50 digits."""
    r, alpha, a, b, t, x, tx, T = map(mp.mpf, (r, alpha, a, b, t, x, tx, T))
    z = t / (alpha + T + t)
    with mp.workdps(150):  # at 50 digits mpmath's hyp2f1 is wrong for parameters ~ 1e4
        hyp = mp.hyp2f1(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return num * mp_p_alive(r, alpha, a, b, x, tx, T)


@at_50_digits
def mp_prob_n(r, alpha, a, b, n, t):
    """FHL (2005) eq. 8 with its finite sum, at 50 digits."""
    r, alpha, a, b, t = map(mp.mpf, (r, alpha, a, b, t))
    q = alpha / (alpha + t)
    first = (
        (mp.beta(a, b + n) / mp.beta(a, b) * mp.gamma(r + n) / (mp.gamma(r) * mp.factorial(n)))
        * q**r
        * (1 - q) ** n
    )
    if n == 0:
        return first
    s = mp.fsum(mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * (1 - q) ** j for j in range(n))
    return first + mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * (1 - q**r * s)


HARD = [
    # (r, alpha, a, b, x, t_x, T)
    (0.243, 4.414, 0.793, 2.426, 2, 30.43, 38.86),  # the paper's customer
    (0.243, 4.414, 0.793, 2.426, 10_000, 52.0, 52.0),  # x in the thousands, t_x = T
    (0.243, 4.414, 0.793, 2.426, 0, 0.0, 1e4),  # very large T
    (1e-3, 0.1, 2.5, 4.0, 3, 1.5, 2.0),  # tiny r
    (5.0, 100.0, 1.0005, 3.0, 7, 20.0, 30.0),  # a next to the removable singularity
    (0.5, 2.0, 1.0, 1.5, 4, 5.0, 9.0),  # a = 1 exactly
    (20.0, 1e-2, 0.2, 50.0, 40, 1.0, 1.0),  # huge r / alpha, t_x = T
    (0.8, 3.0, 12.0, 0.3, 1, 0.5, 100.0),  # b < 1
]


@pytest.mark.parametrize("case", HARD)
def test_against_mpmath(case: tuple[float, ...]) -> None:
    """Log-likelihood, P(alive) and E[Y(t) | x, t_x, T] agree with 50-digit mpmath to 1e-9."""
    r, alpha, a, b, x, tx, T = case
    p = np.array([r, alpha, a, b])
    args = (np.array([x], float), np.array([tx], float), np.array([T], float))
    ll = bgnbd.log_likelihood(p, *args)[0]
    assert ll == pytest.approx(float(mp_loglik(*case)), rel=1e-10, abs=1e-10)
    pa = bgnbd.p_alive(p, *args)[0]
    assert pa == pytest.approx(float(mp_p_alive(*case)), rel=1e-9, abs=1e-300)
    for t in (0.5, 39.0, 520.0):
        got = bgnbd.conditional_expected_purchases(p, np.array([t]), *args)[0]
        if a == 1.0:  # the oracle needs the limit: evaluate it just off the singularity
            want = (
                mp_conditional(r, alpha, a + 1e-12, b, t, x, tx, T)
                + mp_conditional(r, alpha, a - 1e-12, b, t, x, tx, T)
            ) / 2
        else:
            want = mp_conditional(r, alpha, a, b, t, x, tx, T)
        assert np.isfinite(got)
        assert got == pytest.approx(float(want), rel=1e-9), t


@pytest.mark.parametrize("n", [0, 1, 2, 5, 30])
def test_prob_purchases_against_mpmath(n: int) -> None:
    p = np.array([0.243, 4.414, 0.793, 2.426])
    for t in (1.0, 39.0, 78.0):
        got = bgnbd.prob_purchases(p, np.array([float(n)]), np.array([t]))[0]
        assert got == pytest.approx(
            float(mp_prob_n(p[0], p[1], p[2], p[3], n, t)), rel=1e-9, abs=1e-15
        )


def test_prob_purchases_sums_to_one_and_matches_mean() -> None:
    """sum_n P(X(t)=n) = 1 and sum_n n P(X(t)=n) = E[X(t)]: eq. 8 against eq. 9."""
    model = BGNBD(r=0.5, alpha=3.0, a=2.5, b=4.0)
    n = np.arange(0, 3000, dtype=float)
    probs = model.prob_purchases(n, t=np.full_like(n, 20.0))
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    assert float(n @ probs) == pytest.approx(
        float(model.expected_purchases_new_customer(t=20.0)[0]), rel=1e-8
    )


def test_gradient_against_mpmath_derivative() -> None:
    case = (0.7, 3.0, 1.3, 2.2, 4, 12.0, 30.0)
    p = np.array(case[:4])
    got = bgnbd.log_likelihood_grad(p, np.array([4.0]), np.array([12.0]), np.array([30.0]))[0]
    for i in range(4):

        def f(v: mp.mpf, i: int = i) -> mp.mpf:
            args = list(case)
            args[i] = v
            return mp_loglik(*args)

        with mp.workdps(50):
            want = float(mp.diff(f, mp.mpf(case[i])))
        assert got[i] == pytest.approx(want, rel=1e-8)


# --------------------------------------------------------------------------- lifetimes
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_agrees_with_lifetimes(cdnow: pd.DataFrame) -> None:
    """Predictions at lifetimes' own estimates agree to 1e-6 on every CDNOW customer."""
    from lifetimes import BetaGeoFitter

    lt = BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    model = BGNBD(**{k: float(v) for k, v in lt.params_.items()})
    x, tx, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        model.p_alive(x, tx, T), lt.conditional_probability_alive(x, tx, T), rtol=1e-6
    )
    np.testing.assert_allclose(
        model.conditional_expected_purchases(x, tx, T, t=39),
        lt.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T),
        rtol=1e-6,
    )
    ts = np.array([1.0, 10.0, 52.0])
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(t=ts),
        lt.expected_number_of_purchases_up_to_time(ts),
        rtol=1e-6,
    )
    for n in range(4):
        assert float(model.prob_purchases(n, t=39.0)[0]) == pytest.approx(
            float(lt.probability_of_n_purchases_up_to_time(39.0, n)), rel=1e-6
        )
    # lifetimes reports its own standard errors from an autograd Hessian: same curvature.
    fit = BGNBD.fit(cdnow)
    for name, se in lt.standard_errors_.items():
        assert fit.fit_result.bse[name] == pytest.approx(float(se), rel=1e-3)


# --------------------------------------------------------------------------- fitting
def test_weighted_rows_fit_like_expanded_rows(cdnow: pd.DataFrame) -> None:
    grouped = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index(name="weights")
    a = BGNBD.fit(grouped, weights=grouped["weights"], compress=False)
    b = BGNBD.fit(cdnow, compress=False)
    np.testing.assert_allclose(a.params_array, b.params_array, rtol=1e-7)
    assert a.fit_result.log_likelihood == pytest.approx(b.fit_result.log_likelihood, rel=1e-12)
    assert a.fit_result.nobs == b.fit_result.nobs == 2357


def test_simulate_then_fit_recovers_parameters() -> None:
    truth = BGNBD(r=0.6, alpha=5.0, a=1.2, b=3.0)
    rng = np.random.default_rng(20261122)
    T = rng.uniform(20, 60, size=20_000)
    data = truth.simulate(T, rng=rng)
    fitted = BGNBD.fit(data)
    for name, value in truth.params.items():
        est, se = fitted.params[name], fitted.fit_result.bse[name]
        assert abs(est - value) < 4 * se, (name, est, value, se)


def test_simulation_matches_expectation() -> None:
    """The simulator and the closed-form E[X(t)] (eq. 9) agree (independent paths)."""
    model = BGNBD(r=0.8, alpha=4.0, a=1.5, b=2.5)
    sim = model.simulate(np.full(200_000, 30.0), rng=np.random.default_rng(1))
    se = sim["frequency"].std() / np.sqrt(sim["frequency"].size)
    assert abs(sim["frequency"].mean() - model.expected_purchases_new_customer(t=30.0)[0]) < 4 * se


def test_conf_int_and_summary(fitted: BGNBD) -> None:
    ci = fitted.fit_result.conf_int(0.95)
    wald = fitted.fit_result.conf_int(level=0.95, method="wald")
    for name, value in fitted.params.items():
        assert ci[name][0] < value < ci[name][1]
        assert ci[name][0] > 0  # the transformed interval stays in the domain
        half = 1.959963984540054 * fitted.fit_result.bse[name]
        assert wald[name] == pytest.approx((value - half, value + half))
    text = fitted.fit_result.summary()
    assert "-9,582.4256" in text and "alpha" in text
    assert fitted.fit_result.aic == pytest.approx(2 * 4 + 2 * 9582.4256, abs=1e-3)


def test_prediction_interval_contains_estimate(fitted: BGNBD) -> None:
    iv = fitted.interval(lambda m: m.p_alive([0, 2, 10], [0, 30.43, 20], [38.86] * 3), rng=3)
    assert np.all(iv.lower <= iv.estimate) and np.all(iv.estimate <= iv.upper)
    assert iv.estimate[0] == 1.0 and iv.upper[1] - iv.lower[1] > 0.01


# --------------------------------------------------------------------------- persistence
def test_json_round_trip_is_exact(fitted: BGNBD) -> None:
    text = fitted.to_json()
    again = BGNBD.from_json(text)
    assert again == fitted
    assert again.fit_result.bse == fitted.fit_result.bse
    assert load_model(text) == fitted
    d = json.loads(text)
    assert d["model"] == "BGNBD" and d["schema_version"] == 2 and "relmark_version" in d


def test_json_refuses_other_model_and_newer_schema(fitted: BGNBD) -> None:
    from relmark.clv import GammaGamma

    with pytest.raises(SchemaError, match="BGNBD"):
        GammaGamma.from_json(fitted.to_json())
    d = json.loads(fitted.to_json())
    d["schema_version"] = 99
    with pytest.raises(SchemaError, match="newer"):
        BGNBD.from_json(json.dumps(d))
    with pytest.raises(SchemaError):
        BGNBD.from_json("{not json")


# --------------------------------------------------------------------------- bad input
def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ParameterError, match="alpha"):
        BGNBD(r=0.2, alpha=-1.0, a=1.0, b=1.0)
    with pytest.raises(ParameterError, match="missing b"):
        BGNBD(r=0.2, alpha=1.0, a=1.0)


def test_bad_data_names_column_and_customer() -> None:
    df = pd.DataFrame(
        {"frequency": [1, 2, 0], "recency": [5.0, 50.0, 0.0], "T": [10.0, 40.0, 8.0]},
        index=pd.Index(["c1", "c2", "c3"], name="customer_id"),
    )
    with pytest.raises(DataError, match=r"recency.*'c2'"):
        BGNBD.fit(df)
    with pytest.raises(DataError, match="frequency"):
        BGNBD.fit(frequency=[1.5], recency=[1.0], T=[2.0])
    with pytest.raises(DataError, match="NaN"):
        BGNBD(**PUBLISHED).p_alive([1.0, float("nan")], [1.0, 1.0], [2.0, 2.0])


@pytest.mark.parametrize(("x", "tx", "T"), [(0, 0.0, 38.86), (2, 30.43, 38.86), (100, 38.0, 38.86)])
def test_dert_against_mpmath(x: int, tx: float, T: float) -> None:
    """DERT = int_0^inf delta e^{-delta t} E[Y(t) | x, t_x, T] dt, the expectation from the
    original eq. 10 at high precision and the integral by mpmath quadrature, to 1e-9."""
    with mp.workdps(30):
        r, alpha, a, b = PUBLISHED.values()
        delta = 0.15 / 52
        want = mp.quad(
            lambda t: delta * mp.exp(-delta * t) * mp_conditional(r, alpha, a, b, t, x, tx, T),
            [0, 10, 100, 1 / delta, 10 / delta, mp.inf],
        )
        got = BGNBD(**PUBLISHED).dert(x, tx, T, continuous_discount_rate=delta)[0]
        assert got == pytest.approx(float(want), rel=1e-9)


def test_dert_is_finite_for_thousands_of_purchases() -> None:
    got = BGNBD(**PUBLISHED).dert(10_000, 52.0, 52.0, continuous_discount_rate=0.15 / 52)[0]
    rate = (0.243 + 10_000) / (4.414 + 52.0)
    assert np.isfinite(got)
    assert 0.5 * rate / (0.15 / 52) > got > 0.5 * rate * 52  # between a year's and forever's


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(0.05, 5.0),
    alpha=st.floats(0.05, 50.0),
    a=st.floats(0.2, 5.0),
    b=st.floats(0.2, 10.0),
    x=st.sampled_from([0.0, 1.0, 2.0, 7.0, 150.0, 10_000.0]),
    frac=st.floats(0.0, 1.0),
    T=st.floats(0.5, 1e4),
    t=st.floats(0.0, 520.0),
    model=st.sampled_from([bgnbd, mbgnbd]),
)
def test_one_customer_fast_path_equals_the_vectorised_path(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: float,
    frac: float,
    T: float,
    t: float,
    model: Any,
) -> None:
    """A service's single-customer call (Python floats) gives the vectorised result to 1e-12."""
    tx = 0.0 if x == 0 else frac * T
    p = np.array([r, alpha, a, b])
    one = (np.array([x]), np.array([tx]), np.array([T]))
    two = (np.array([x, 3.0]), np.array([tx, 0.5 * T]), np.array([T, T]))
    assert model.p_alive(p, *one)[0] == pytest.approx(model.p_alive(p, *two)[0], rel=1e-12)
    got = model.conditional_expected_purchases(p, np.array([t]), *one)[0]
    want = model.conditional_expected_purchases(p, np.array([t, t]), *two)[0]
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-300)


def mp_remaining_by_beta_integral(r, alpha, a, b, x, T, t):
    """E[purchases in (T, T+t] | alive] = E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] with
    p ~ Beta(a, b + x) a posteriori: an independent formulation by 30-digit quadrature."""
    with mp.workdps(30):
        r, alpha, a, b, x, T, t = map(mp.mpf, (r, alpha, a, b, x, T, t))
        s = t / (alpha + T)
        bx = b + x

        def f(q: mp.mpf) -> mp.mpf:
            return (1 - (1 + q * s) ** (-(r + x))) / q * q ** (a - 1) * (1 - q) ** (bx - 1)

        return mp.quad(f, [0, mp.mpf(1) / 2, 1]) / mp.beta(a, bx)


@pytest.mark.parametrize(
    "case",
    [
        # (r, alpha, a, b, x, T, t)
        (1.0, 1.0, 0.5, 0.5, 0, 1.0, 1.0),  # a + b = 1: the 2F1 has a pole at c = 0
        (0.3, 2.0, 0.3, 0.7, 0, 5.0, 40.0),
        (0.5, 1.0, 0.5, 0.5, 150, 1.0, 19.0),  # scipy's hyp2f1 returns NaN here (c-a-b = 151)
        (1.5, 2.0, 0.5, 1.5, 300, 4.0, 200.0),  # the same with integer r - a
        (0.5, 0.5, 0.5, 0.5, 0, 0.5, 174.0),  # a + b = 1 and r = a: both at once, z = 0.994
        (1.0, 0.25, 2.0, 1.0, 0, 2.0, 60.0),  # teaching integers: scipy unreliable at z = 0.96
    ],
)
def test_remaining_purchases_where_scipy_or_the_formula_breaks(case: tuple[float, ...]) -> None:
    """Cases where the textbook formula divides by zero (a + b = 1, x = 0) or scipy's hyp2f1
    returns NaN (integer c - a - b ~ 100+, z > 0.9) agree with an independent Beta-integral
    quadrature to 1e-10."""
    r, alpha, a, b, x, T, t = case
    p = np.array([r, alpha, a, b])
    rem = bgnbd.remaining(p, np.array([t]), np.array([float(x)]), np.array([T]))
    want = float(mp_remaining_by_beta_integral(*case))
    assert np.isfinite(rem[0, 0])
    assert rem[0, 0] == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize(
    ("params", "x", "T"),
    [
        ((0.243, 4.414, 0.793, 2.426), 2.0, 38.86),
        ((0.5, 1.0, 4.0, 1.0), 0.0, 0.5),  # z near 1 at the long horizons: the repaired 2F1
        ((1.0, 2.0, 2.0, 3.0), 7.0, 10.0),  # integer c - a - b
    ],
)
def test_one_customer_at_many_horizons_against_the_beta_integral(
    params: tuple[float, float, float, float], x: float, T: float
) -> None:
    """One customer's expected purchases at a monthly grid of horizons (the path of a service's
    CLV request: one short array) equal the independent Beta-integral quadrature to 1e-10."""
    times = 4.345 * np.arange(1, 37, dtype=np.float64)
    got = bgnbd.remaining(np.array(params), times, np.array([x]), np.array([T]))[0]
    for h in (0, 11, 35):
        want = float(mp_remaining_by_beta_integral(*params, x, T, times[h]))
        assert got[h] == pytest.approx(want, rel=1e-10), h


@pytest.mark.parametrize("model", [BGNBD, MBGNBD])
def test_simulate_with_a_tiny_purchase_shape(model: type[BGNBD] | type[MBGNBD]) -> None:
    """With r = 0.005 many purchase rates underflow to 0: no divide-by-zero warning, those
    customers make no purchase, and the mean matches E[X(T)] within five standard errors."""
    m = model(r=0.005, alpha=4.0, a=0.5, b=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = m.simulate(np.full(200_000, 50.0), rng=np.random.default_rng(4))
    x = sim["frequency"]
    assert np.all(np.isfinite(sim["recency"]))
    se = x.std() / np.sqrt(x.size)
    assert abs(x.mean() - m.expected_purchases_new_customer(t=50.0)[0]) < 5 * se


@pytest.mark.parametrize(("a", "b_x"), [(0.8, 2.4), (800.0, 900.0)])
def test_remaining_by_quadrature_against_mpmath(a: float, b_x: float) -> None:
    r"""The integral over the dropout probability that replaces the hypergeometric closed form
    where it fails, including shapes whose beta function underflows (B(800, 900) ~ 1e-509: the
    weighted integral times 1/B overflowed to OverflowError) against a 40-digit mpmath value of
    :math:`E[(1 - (1 + p t/\alpha')^{-r'})/p]` under Beta(a, b')."""
    from relmark.clv.bgnbd import _remaining_by_quadrature

    r_x, t, alpha_t = 1e-8, 52.0, 3.5
    with mp.workdps(40):

        def f(p: mp.mpf) -> mp.mpf:
            return (1 - (1 + p * t / alpha_t) ** (-r_x)) / p * p ** (a - 1) * (1 - p) ** (b_x - 1)

        mode = (a - 1) / (a + b_x - 2) if a > 1 else 0.5
        cuts = [mode + k * 0.01 for k in (-10, -3, 0, 3, 10)] if a > 1 else [mode]
        exact = mp.quad(f, [0, *cuts, 1]) / mp.beta(a, b_x)
    got = _remaining_by_quadrature(
        a, np.array([b_x]), np.array([r_x]), np.array([t]), np.array([alpha_t])
    )
    assert got[0] == pytest.approx(float(exact), rel=1e-8)


# --------------------------------------------------------------------------- tiny b
@pytest.mark.parametrize("b", [3.7e-17, 1e-30])
def test_mbgnbd_log_likelihood_at_a_tiny_b_matches_mpmath(b: float) -> None:
    """b + x - 1 + 1 rounded to 0 at x = 0 for b ~ 1e-17 (log(0): a warning and -inf where
    the likelihood is finite); the MBG/NBD likelihood of Batislam et al. (2007),
    B(a, b+x+1)/B(a, b) Gamma(r+x) alpha^r / Gamma(r) [(alpha+T)^-(r+x) + a/(b+x)
    (alpha+t_x)^-(r+x)], in mpmath at 50 digits."""
    r, alpha, a = 6.5, 9.0, 2e-25
    x = np.array([0.0, 1.0, 3.0])
    tx = np.array([0.0, 1.0, 2.0])
    T = np.array([1.0, 3.0, 9.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = MBGNBD(r=r, alpha=alpha, a=a, b=b).log_likelihood(frequency=x, recency=tx, T=T)
    with mp.workdps(50):
        R, A, Ap, B = mp.mpf(r), mp.mpf(alpha), mp.mpf(a), mp.mpf(b)
        want = []
        for xi, txi, Ti in zip(x.tolist(), tx.tolist(), T.tolist(), strict=True):
            head = mp.beta(Ap, B + xi + 1) / mp.beta(Ap, B) * mp.gamma(R + xi) * A**R / mp.gamma(R)
            tail = (A + Ti) ** -(R + xi) + Ap / (B + xi) * (A + txi) ** -(R + xi)
            want.append(float(mp.log(head * tail)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_grad_hess_at_a_tiny_a_is_not_an_exception() -> None:
    """At an a so small that a * a underflows, the analytic Hessian's 1/a^2 terms were a
    ZeroDivisionError inside a fit, then non-finite; the a entry is now -(w2/a)^2 per row
    (w2 ~ a), finite (checked against mpmath in test_bgnbd_extremes.py)."""
    params = np.array([6.5, 9.0, 1e-170, 0.5])
    x, tx, T = np.array([1.0, 3.0]), np.array([1.0, 2.0]), np.array([2.0, 9.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, h = bgnbd.beta_geometric_grad_hess(params, np.ones(2), x, tx, T, shift=1)
    assert np.all(np.isfinite(h))


def _mp_conditional(
    params: tuple[float, float, float, float], x: int, tx: float, T: float, t: float, shift: int
) -> float:
    """FHL 2005 eq. 10 (MBG/NBD: b + x + 1) in mpmath at 150 digits: the closed form with the
    hypergeometric series, independent of relmark's quadrature for extreme shapes."""
    with mp.workdps(150):
        r, al, a, b = (mp.mpf(v) for v in params)
        bx = b + x + shift
        rem = (a + bx - 1) / (a - 1)
        rem *= 1 - ((al + T) / (al + T + t)) ** (r + x) * mp.hyp2f1(
            r + x, bx, a + bx - 1, mp.mpf(t) / (al + T + t)
        )
        odds = a / (bx - 1) * ((al + T) / (al + tx)) ** (r + x) if x > 0 or shift else 0
        return float(rem / (1 + odds))


@pytest.mark.parametrize(("cls", "shift"), [(BGNBD, 0), (MBGNBD, 1)])
def test_conditional_expected_purchases_at_huge_shapes_matches_mpmath(
    cls: type[BGNBD] | type[MBGNBD], shift: int
) -> None:
    # r, alpha ~ 1e25 and a, b ~ 1e17: the beta density's normaliser overflowed
    # (OverflowError) and P(alive) read (alpha+T)/(alpha+t_x) as 1 (0.90 instead of 5e-15)
    params = (1.5e25, 6.4e24, 1.2e17, 1.1e18)
    model = cls(r=params[0], alpha=params[1], a=params[2], b=params[3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.conditional_expected_purchases([2], [5], [20], t=52)
    expected = _mp_conditional(params, 2, 5.0, 20.0, 52.0, shift)
    assert got[0] == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
def test_p_alive_at_huge_scale_matches_mpmath(cls: type[BGNBD] | type[MBGNBD]) -> None:
    # alpha ~ 1e24 >> T: (alpha+T)/(alpha+t_x) rounded to 1, so P(alive) was a/(a+b+x-1)
    params = (1.5e25, 6.4e24, 1.2e17, 1.1e18)
    r, al, a, b = params
    model = cls(r=r, alpha=al, a=a, b=b)
    shift = 1 if cls is MBGNBD else 0
    for x in ([2.0], [2.0, 3.0]):  # the one-customer path and the array path
        got = model.p_alive(x, [5.0] * len(x), [20.0] * len(x))
        with mp.workdps(60):
            expected = [
                float(
                    1
                    / (
                        1
                        + mp.mpf(a)
                        / (b + xi + shift - 1)
                        * ((mp.mpf(al) + 20) / (mp.mpf(al) + 5)) ** (r + xi)
                    )
                )
                for xi in x
            ]
        assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
def test_two_customers_claim_no_standard_errors(cls: type[BGNBD] | type[MBGNBD]) -> None:
    # two customers cannot identify four parameters: a, b ran off along the flat ridge to
    # ~1e7..1e10 and the fit reported finite standard errors (as the covariate models did)
    two = {"frequency": [2.0, 0.0], "recency": [10.0, 0.0], "T": [20.0, 30.0]}
    with pytest.warns(ConvergenceWarning) as record:  # also "did not converge", at times
        model = cls.fit(two)
    assert any("not identified by these data" in str(w.message) for w in record)
    assert all(np.isnan(v) for v in model.fit_result.bse.values())
    assert all(np.isfinite(v) and v > 0 for v in model.params.values())


@pytest.mark.parametrize(
    ("delta", "x", "tx", "T"),
    [(1e-6, 0, 0.0, 38.9), (1e-8, 0, 0.0, 20.0), (1e-6, 1, 5.0, 30.0), (1e-9, 2, 9.0, 39.0)],
)
def test_dert_at_a_tiny_discount_rate_matches_mpmath(
    delta: float, x: int, tx: float, T: float
) -> None:
    """A small posterior shape r + x puts the rate's weight near 0, where the integrand turns on
    the scale of (alpha + T) delta: Gauss-Laguerre nodes missed it at tiny rates (27.166
    instead of 26.577 at FHL's CDNOW parameters, x = 0, delta = 1e-6). Reference: P(alive)
    times E[lambda / (delta + p lambda)], lambda ~ Gamma(r + x, alpha + T), whose inner
    expectation over p ~ Beta(a, b + x) is (lambda/delta) 2F1(1, a; a + b + x; -lambda/delta),
    integrated over lambda by mpmath at 30 digits."""
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    params = np.array([r, alpha, a, b])
    got = bgnbd.dert(params, delta, np.array([float(x)]), np.array([tx]), np.array([T]))[0]
    alive = float(bgnbd.p_alive(params, np.array([float(x)]), np.array([tx]), np.array([T]))[0])
    with mp.workdps(30):
        shape, rate, d = mp.mpf(r) + x, mp.mpf(alpha) + T, mp.mpf(delta)

        def f(lam: Any) -> Any:
            density = rate**shape * lam ** (shape - 1) * mp.exp(-rate * lam) / mp.gamma(shape)
            return lam / d * mp.hyp2f1(1, a, a + b + x, -lam / d) * density

        want = alive * mp.quad(f, [0, d / rate, d, 1e-3, 0.1, 1, 10, mp.inf])
    assert got == pytest.approx(float(want), rel=1e-9)


def _mp_beta_geometric_loglik(
    r: float, alpha: float, a: float, b: float, x: float, tx: float, T: float, shift: int
) -> mp.mpf:
    """FHL (2005) eq. 6 (``shift = 0``) and MBG/NBD's (``shift = 1``: Batislam, Denizel &
    Filiztekin 2007, dropout also right after the first purchase) from mpmath's log-gammas."""
    r, alpha, a, b, x, tx, T = map(mp.mpf, (r, alpha, a, b, x, tx, T))
    common = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) - mp.log(mp.beta(a, b))
    alive = mp.exp(mp.log(mp.beta(a, b + x + shift)) - (r + x) * mp.log(alpha + T))
    dead = mp.mpf(0)
    if x > 0 or shift:
        dead = mp.exp(mp.log(mp.beta(a + 1, b + x - 1 + shift)) - (r + x) * mp.log(alpha + tx))
    return common + mp.log(alive + dead)


NEAR_POISSON_R = [1e-8, 1.0, 1e8, 1e15, 1e25]
NEAR_POISSON_X = [(0.0, 0.0), (1.0, 30.0), (7.0, 30.0), (1e4, 39.0)]


@pytest.mark.parametrize("shift", [0, 1])
@pytest.mark.parametrize("r", NEAR_POISSON_R)
@pytest.mark.parametrize(("x", "tx"), NEAR_POISSON_X)
def test_log_likelihood_near_poisson_against_mpmath(
    shift: int, r: float, x: float, tx: float
) -> None:
    """BG/NBD's and MBG/NBD's log-likelihood for r from 1e-8 to 1e25 with alpha = r / 0.4 (a
    mean rate of 0.4 per unit: at large r a near-Poisson purchase process) equals 50-digit
    mpmath to 1e-12. ``gammaln(r + x) - gammaln(r)`` had no correct digit at r = 1e25 (each
    term 5.7e26: x = 7 gave 0 instead of 402.95); the log rising factorial keeps them."""
    alpha, a, b, T = r / 0.4, 0.8, 2.4, 40.0
    p = np.array([r, alpha, a, b])
    args = (np.array([x]), np.array([tx]), np.array([T]))
    module = mbgnbd if shift else bgnbd
    got = module.log_likelihood(p, *args)[0]
    with mp.workdps(50):
        want = float(_mp_beta_geometric_loglik(r, alpha, a, b, x, tx, T, shift))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("module", [bgnbd, mbgnbd])
@pytest.mark.parametrize("r", [1e8, 1e25])
def test_prob_purchases_near_poisson_against_mpmath(module: Any, r: float) -> None:
    """P(X(t) = n) of a new customer at r = 1e8 and 1e25 (alpha = r / 0.4), against FHL's
    eq. 8 (BG/NBD) at 50 digits, and summing to one over n (both models): the negative binomial
    pmf used ``r * log(alpha / (alpha + t))`` and the log-gamma difference (both lose every
    digit at r = 1e25). The tolerance is scipy's: its ``betainc(n, r, q)`` of the tail is up to
    4e-9 off mpmath for r between 1e5 and 1e9 (8e-10 at 1e8; 1e-15 beyond 1e10)."""
    alpha, a, b, t = r / 0.4, 0.8, 2.4, 10.0
    p = np.array([r, alpha, a, b])
    n = np.arange(60.0)
    got = module.prob_purchases(p, n, np.full(n.shape, t))
    assert float(got.sum()) == pytest.approx(1.0, abs=1e-9)
    if module is bgnbd:
        with mp.workdps(50):
            for k in (0, 1, 2, 4, 12):
                want = float(mp_prob_n(r, alpha, a, b, k, t))
                assert got[k] == pytest.approx(want, rel=1e-9)
