"""BG/CNBD-k and MBG/CNBD-k: k = 1 against BG/NBD and MBG/NBD, the likelihood against
numerical integration of the individual-level model (mpmath), predictions against an
independent Monte Carlo of the generative process, parameter recovery, the profile over k on
CDNOW (published values), JSON and bad inputs."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any, cast

import mpmath
import numpy as np
import pytest

from relmark.clv import BGCNBD, BGNBD, MBGCNBD, MBGNBD, bgcnbd, bgnbd, clv, load_model, mbgnbd
from relmark.clv.bgcnbd import KProfile, profile_k
from relmark.data import summarize
from relmark.datasets import load_cdnow_sample_transactions
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError

FHL = np.array([0.243, 4.414, 0.793, 2.426])


def _histories(n: int = 400, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sim = BGNBD(r=0.5, alpha=3.0, a=0.8, b=2.4).simulate(
        np.random.default_rng(seed).uniform(5, 60, n), rng=seed
    )
    return sim["frequency"], sim["recency"], sim["T"]


# ------------------------------------------------------------------------------ k = 1
@pytest.mark.parametrize(("modified", "ref"), [(False, bgnbd), (True, mbgnbd)])
def test_k1_equals_bgnbd_and_mbgnbd_in_every_function(modified: bool, ref: Any) -> None:
    """At k = 1 the Erlang-1 inter-purchase time is exponential: BG/CNBD-1 is BG/NBD and
    MBG/CNBD-1 is MBG/NBD (Platzer & Reutterer 2016, section 3). Every function of the general
    series/phase code agrees with the classic closed forms (FHL 2005 eq. 6-11)."""
    x, tx, T = _histories()
    zero = np.zeros_like(x)
    kw: dict[str, Any] = {"k": 1, "modified": modified}
    np.testing.assert_allclose(
        bgcnbd.log_likelihood(FHL, x, tx, T, zero, **kw),
        ref.log_likelihood(FHL, x, tx, T),
        rtol=1e-13,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        bgcnbd.log_likelihood_and_grad(FHL, x, tx, T, zero, **kw)[1],
        ref.log_likelihood_and_grad(FHL, x, tx, T)[1],
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        bgcnbd.p_alive(FHL, x, tx, T, **kw), ref.p_alive(FHL, x, tx, T), rtol=1e-13
    )
    for t in (0.5, 39.0, 300.0):
        h = np.full_like(x, t)
        np.testing.assert_allclose(
            bgcnbd.conditional_expected_purchases(FHL, h, x, tx, T, **kw),
            ref.conditional_expected_purchases(FHL, h, x, tx, T),
            rtol=1e-11,
        )
        np.testing.assert_allclose(
            bgcnbd.p_alive_ahead(FHL, h, x, tx, T, **kw),
            ref.p_alive_ahead(FHL, h, x, tx, T),
            rtol=1e-11,
            atol=1e-14,
        )
        for n in (0, 1, 4):
            c = np.full_like(x, n)
            np.testing.assert_allclose(
                bgcnbd.conditional_prob_purchases(FHL, c, h, x, tx, T, **kw),
                ref.conditional_prob_purchases(FHL, c, h, x, tx, T),
                rtol=1e-10,
                atol=1e-14,
            )
    ts = np.array([0.0, 1.0, 39.0, 78.0, 520.0])
    np.testing.assert_allclose(
        bgcnbd.expected_purchases_new_customer(FHL, ts, **kw),
        ref.expected_purchases_new_customer(FHL, ts),
        rtol=1e-12,
        atol=1e-14,
    )
    counts = np.arange(12.0)
    np.testing.assert_allclose(
        bgcnbd.prob_purchases(FHL, counts, np.array([39.0]), **kw),
        ref.prob_purchases(FHL, counts, np.full(12, 39.0)),
        rtol=1e-11,
        atol=1e-15,
    )


@pytest.mark.parametrize(("cls", "ref"), [(BGCNBD, BGNBD), (MBGCNBD, MBGNBD)])
def test_k1_fit_equals_the_classic_fit(cls: Any, ref: Any) -> None:
    """Fitted at k = 1 on the same data (without the statistic, which k = 1 does not need),
    the estimates and the log-likelihood are the classic model's."""
    x, tx, T = _histories(3000, seed=4)
    ours = cls.fit(frequency=x, recency=tx, T=T)
    theirs = ref.fit(frequency=x, recency=tx, T=T)
    np.testing.assert_allclose(ours.params_array, theirs.params_array, rtol=1e-6)
    assert ours.fit_result.log_likelihood == pytest.approx(
        theirs.fit_result.log_likelihood, rel=1e-12
    )
    assert ours.k == 1 and ours.settings == {"k": 1.0}


# ------------------------------------------------------------------ likelihood (mpmath)
def _mp_likelihood(params: np.ndarray, gaps: list[float], T: float, k: int, sigma: int) -> Any:
    """Numerical integration of the individual-level likelihood over lambda ~ Gamma(r, alpha)
    and p ~ Beta(a, b): the x Erlang-k densities of the gaps, then either alive (survived x +
    sigma dropout chances, fewer than k events in the last T - t_x) or dropped out right after
    the last purchase (p (1-p)^(x-1+sigma); only when x > 0 for BG/CNBD-k)."""
    mpmath.mp.dps = 30
    r, alpha, a, b = (mpmath.mpf(float(v)) for v in params)
    x = len(gaps)
    u = mpmath.mpf(T) - mpmath.fsum(gaps)

    def gamma_pdf(lam: Any) -> Any:
        return alpha**r * lam ** (r - 1) * mpmath.exp(-alpha * lam) / mpmath.gamma(r)

    def erlang(lam: Any, g: float) -> Any:
        return lam**k * mpmath.mpf(g) ** (k - 1) * mpmath.exp(-lam * g) / mpmath.factorial(k - 1)

    def survive(lam: Any) -> Any:
        return mpmath.exp(-lam * u) * mpmath.fsum(
            (lam * u) ** j / mpmath.factorial(j) for j in range(k)
        )

    def beta_pdf(p: Any) -> Any:
        return p ** (a - 1) * (1 - p) ** (b - 1) / mpmath.beta(a, b)

    def purchases(lam: Any) -> Any:
        return mpmath.fprod(erlang(lam, g) for g in gaps) * gamma_pdf(lam)

    alive_lam = mpmath.quad(lambda lam: purchases(lam) * survive(lam), [0, 1, 10, mpmath.inf])
    alive_p = mpmath.quad(lambda p: (1 - p) ** (x + sigma) * beta_pdf(p), [0, 0.5, 1])
    total = alive_lam * alive_p
    if x > 0 or sigma:
        dead_lam = mpmath.quad(purchases, [0, 1, 10, mpmath.inf])
        dead_p = mpmath.quad(lambda p: p * (1 - p) ** (x - 1 + sigma) * beta_pdf(p), [0, 0.5, 1])
        total += dead_lam * dead_p
    return total


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize(
    ("gaps", "T"), [([], 12.0), ([3.0], 9.5), ([2.0, 3.5, 1.25], 10.0), ([4.0] * 6, 30.0)]
)
def test_likelihood_matches_numerical_integration(
    modified: bool, k: int, gaps: list[float], T: float
) -> None:
    """ln L of the closed form (Platzer & Reutterer 2016 eq. for BG/CNBD-k; BTYDplus'
    xbgcnbd.LL) equals the log of the individual-level likelihood integrated by mpmath."""
    params = np.array([1.3, 6.0, 0.7, 2.2])
    x = float(len(gaps))
    tx = float(sum(gaps))
    litt = float(sum(math.log(g) for g in gaps))
    ours = bgcnbd.log_likelihood(
        params,
        np.array([x]),
        np.array([tx]),
        np.array([T]),
        np.array([litt]),
        k=k,
        modified=modified,
    )[0]
    ref = float(mpmath.log(_mp_likelihood(params, gaps, T, k, int(modified))))
    assert ours == pytest.approx(ref, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("modified", [False, True])
def test_gradient_matches_finite_differences(modified: bool) -> None:
    truth = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3)
    s = truth.simulate(np.random.default_rng(0).uniform(20, 60, 500), rng=3)
    data = (s["frequency"], s["recency"], s["T"], s["sum_log_interpurchase"])
    p = truth.params_array.copy()
    _, g = bgcnbd.log_likelihood_and_grad(p, *data, k=3, modified=modified)
    for i in range(4):
        h = 1e-6 * p[i]
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        num = (
            bgcnbd.log_likelihood(up, *data, k=3, modified=modified)
            - bgcnbd.log_likelihood(down, *data, k=3, modified=modified)
        ) / (2 * h)
        np.testing.assert_allclose(g[:, i], num, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------- predictions vs an independent Monte Carlo
def _paths(
    params: np.ndarray, k: int, modified: bool, T: float, t: float, n: int, seed: int
) -> dict[str, np.ndarray]:
    """Customers simulated over (0, T + t] by a path loop written for this test: the history
    at T, the purchases in (T, T + t] and whether alive at T and at T + t."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = params
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    alive_now = rng.random(n) >= p if modified else np.ones(n, dtype=bool)
    clock = np.zeros(n)
    x = np.zeros(n)
    tx = np.zeros(n)
    later = np.zeros(n)
    alive_T = alive_now.copy()
    alive_end = alive_now.copy()
    going = alive_now.copy()
    while going.any():
        i = np.flatnonzero(going)
        clock[i] += rng.gamma(k, 1.0, i.size) / lam[i]
        in_cal = clock[i] <= T
        in_hold = (clock[i] > T) & (clock[i] <= T + t)
        x[i[in_cal]] += 1
        tx[i[in_cal]] = clock[i[in_cal]]
        later[i[in_hold]] += 1
        bought = i[in_cal | in_hold]
        drops = bought[rng.random(bought.size) < p[bought]]
        alive_end[drops] = False
        alive_T[drops[clock[drops] <= T]] = False
        going[i[clock[i] > T + t]] = False
        going[drops] = False
    return {"x": x, "tx": tx, "later": later, "alive_T": alive_T, "alive_end": alive_end}


def _close(predicted: np.ndarray, actual: np.ndarray) -> None:
    """Totals agree within 4 standard errors (of the per-customer differences)."""
    diff = actual - predicted
    se = diff.std() * math.sqrt(diff.size)
    assert abs(diff.sum()) < 4 * se + 1e-9, (predicted.sum(), actual.sum(), se)


@pytest.mark.parametrize(("k", "modified"), [(3, False), (4, True)])
def test_conditional_predictions_match_monte_carlo(k: int, modified: bool) -> None:
    """P(alive), the conditional expectation, P(alive at T+t) and P(Y = n) against a Monte
    Carlo of the generative process (60,000 customers, summed per frequency group)."""
    params = np.array([1.5, 6.0, 0.9, 2.5])
    T, t = 30.0, 20.0
    sim = _paths(params, k, modified, T, t, 60_000, seed=11 + k)
    x, tx = sim["x"], sim["tx"]
    age = np.full_like(x, T)
    h = np.full_like(x, t)
    kw: dict[str, Any] = {"k": k, "modified": modified}
    alive = bgcnbd.p_alive(params, x, tx, age, **kw)
    cond = bgcnbd.conditional_expected_purchases(params, h, x, tx, age, **kw)
    ahead = bgcnbd.p_alive_ahead(params, h, x, tx, age, **kw)
    for group in (x == 0, x == 1, (x >= 2) & (x <= 4), x >= 5):
        _close(alive[group], sim["alive_T"][group].astype(float))
        _close(cond[group], sim["later"][group])
        _close(ahead[group], sim["alive_end"][group].astype(float))
    for n in (0, 1, 2, 5):
        prob = bgcnbd.conditional_prob_purchases(params, np.full_like(x, n), h, x, tx, age, **kw)
        _close(prob, (sim["later"] == n).astype(float))


@pytest.mark.parametrize(("k", "modified"), [(2, False), (3, True)])
def test_new_customer_predictions_match_monte_carlo(k: int, modified: bool) -> None:
    """E[X(t)] and P(X(t) = n) of a new customer against the path Monte Carlo (T = 0)."""
    params = np.array([1.5, 6.0, 0.9, 2.5])
    t = 25.0
    sim = _paths(params, k, modified, 0.0, t, 200_000, seed=5)
    new = bgcnbd.expected_purchases_new_customer(params, np.array([t]), k=k, modified=modified)
    _close(np.full(200_000, new[0]), sim["later"])
    pmf = bgcnbd.prob_purchases(params, np.arange(6.0), np.array([t]), k=k, modified=modified)
    for n in range(6):
        _close(np.full(200_000, pmf[n]), (sim["later"] == n).astype(float))


@pytest.mark.parametrize("modified", [False, True])
def test_conditional_pmf_sums_to_one_and_has_the_expectation_as_mean(modified: bool) -> None:
    """Two different formulas: the pmf (differences of incomplete beta functions) and the
    expectation series; over n the pmf sums to 1 and its mean is the expectation."""
    params = np.array([1.5, 6.0, 0.9, 2.5])
    n = np.arange(400.0)
    for hist in [(0.0, 0.0, 30.0), (3.0, 12.0, 30.0), (12.0, 29.0, 30.0)]:
        one = [np.array([v]) for v in hist]
        p = bgcnbd.conditional_prob_purchases(
            params, n, np.array([40.0]), *one, k=3, modified=modified
        )
        assert p.sum() == pytest.approx(1.0, abs=1e-10)
        mean = bgcnbd.conditional_expected_purchases(
            params, np.array([40.0]), *(np.array([v]) for v in hist), k=3, modified=modified
        )[0]
        assert float(n @ p) == pytest.approx(mean, rel=1e-9)


# ------------------------------------------------------------------ fitting, profile, CDNOW
@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
def test_simulate_then_fit_recovers_k_and_the_parameters(cls: Any) -> None:
    """20,000 customers from the model's simulator: the profile over k picks the true k = 3
    and the estimates lie within 5 standard errors of the truth."""
    truth = cls(r=1.2, alpha=5.0, a=0.8, b=2.5, k=3)
    s = truth.simulate(np.random.default_rng(2).uniform(20, 80, 20_000), rng=8)
    prof = profile_k(s, k=[1, 2, 3, 4, 5], modified=cls is MBGCNBD)
    assert prof.best_k == 3 and prof.k == (1, 2, 3, 4, 5)
    assert int(np.argmax(prof.log_likelihood)) == 2
    fitted = prof.model
    assert type(fitted) is cls
    for name, value in truth.params.items():
        est, se = fitted.params[name], fitted.fit_result.bse[name]
        assert abs(est - value) < 5 * se, (name, est, value, se)


def test_cdnow_profile_chooses_k1_with_the_published_bgnbd_estimates() -> None:
    """CDNOW 1/10 sample, weeks, calibration to 1997-09-30. BTYDplus' CDNOW demo
    (demo/cdnow.R, bgcnbd.EstimateParameters) reports "k=1 -> no regularity detected for
    CDNow", and BG/CNBD-1 is BG/NBD, whose estimates Fader, Hardie & Lee (2005, p. 280) print:
    r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4. MBG/CNBD-k also picks k = 1,
    with Batislam et al.'s MBG/NBD estimates as BTYDplus gives them (0.525, 6.183, 0.891,
    1.614)."""
    log = load_cdnow_sample_transactions()
    s = summarize(
        log[log["date"] <= "1997-09-30"],
        observation_end="1997-09-30",
        freq_multiplier=7,
        sum_log_interpurchase=True,
    )
    prof = profile_k(s, k=range(1, 7))
    assert prof.best_k == 1
    assert prof.log_likelihood[0] == pytest.approx(-9582.4, abs=0.05)
    assert all(np.diff(prof.log_likelihood) < 0)  # regularity only lowers the fit
    np.testing.assert_allclose([round(v, 3) for v in prof.model.params.values()], FHL, atol=1e-12)
    mprof = profile_k(s, k=range(1, 5), modified=True)
    assert mprof.best_k == 1
    np.testing.assert_allclose(
        [round(v, 3) for v in mprof.model.params.values()], [0.525, 6.183, 0.891, 1.614]
    )


def test_fit_log_likelihood_includes_the_erlang_term() -> None:
    """The fitted log-likelihood is the sum of the per-customer values (with the
    (k-1) sum_log_interpurchase term), although the fit groups rows without it."""
    truth = BGCNBD(r=1.2, alpha=5.0, a=0.8, b=2.5, k=2)
    s = truth.simulate(np.random.default_rng(3).uniform(20, 80, 3000), rng=1)
    fitted = BGCNBD.fit(s, settings={"k": 2})
    assert fitted.fit_result.log_likelihood == pytest.approx(
        float(fitted.log_likelihood(s).sum()), rel=1e-12
    )
    assert fitted.fit_result.extra["k"] == 2


def test_json_round_trip_keeps_k_and_profile() -> None:
    model = MBGCNBD(r=1.2, alpha=5.0, a=0.8, b=2.5, k=4)
    again = load_model(model.to_json())
    assert isinstance(again, MBGCNBD) and again == model and again.k == 4
    assert json.loads(model.to_json())["settings"] == {"k": 4.0}
    s = BGCNBD(r=1.2, alpha=5.0, a=0.8, b=2.5, k=2).simulate(np.full(1500, 40.0), rng=3)
    prof = profile_k(s, k=[1, 2, 3])
    back = KProfile.from_json(prof.to_json())
    assert back == prof and back.best_k == prof.best_k


def test_class_predictions_use_k_and_clv_runs() -> None:
    """The model's methods route to its k (DERT too); CLV over a horizon is the discounted
    sum of the conditional expectation's increments."""
    model = BGCNBD(r=1.5, alpha=6.0, a=0.9, b=2.5, k=3)
    params = model.params_array
    got = model.conditional_expected_purchases([3, 0], [12, 0], [30, 30], t=10)
    want = bgcnbd.conditional_expected_purchases(
        params,
        np.array([10.0, 10.0]),
        np.array([3.0, 0.0]),
        np.array([12.0, 0.0]),
        np.array([30.0, 30.0]),
        k=3,
    )
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert model.p_alive(3, 12, 30, t=10)[0] < model.p_alive(3, 12, 30)[0]
    np.testing.assert_allclose(
        model.dert(3, 12, 30, continuous_discount_rate=0.01),
        bgcnbd.dert(params, 0.01, np.array([3.0]), np.array([12.0]), np.array([30.0]), k=3),
        rtol=1e-14,
    )
    from relmark.clv import GammaGamma

    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    value = clv(
        model, spend, [3], [12.0], [30.0], [40.0], periods=3, period_length=4.0, discount_rate=0.0
    )
    cum = model.conditional_expected_purchases(3, 12, 30, t=12.0)[0]
    expected_spend = spend.expected_spend([3], [40.0])[0]
    assert value[0] == pytest.approx(cum * expected_spend, rel=1e-10)


# ------------------------------------------------------------------------------ bad inputs
def _sim() -> dict[str, np.ndarray]:
    return BGCNBD(r=1.2, alpha=5.0, a=0.8, b=2.5, k=2).simulate(np.full(50, 30.0), rng=1)


def _without_litt() -> dict[str, np.ndarray]:
    s = _sim()
    return {key: s[key] for key in ("frequency", "recency", "T")}


def _bad_litt() -> dict[str, np.ndarray]:
    s = _sim()
    litt = s["sum_log_interpurchase"].copy()
    litt[s["frequency"] == 0] = 1.0
    return {**s, "sum_log_interpurchase": litt}


def _nan_litt() -> dict[str, np.ndarray]:
    s = _sim()
    litt = s["sum_log_interpurchase"].copy()
    litt[0] = np.nan
    return {**s, "sum_log_interpurchase": litt}


BAD: list[tuple[str, Any, type[Exception], str]] = [
    ("k zero", lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=0), ParameterError, "k"),
    ("k fraction", lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=1.5), ParameterError, "k"),
    ("k text", lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=cast(Any, "2")), ParameterError, "k"),
    ("k bool", lambda: MBGCNBD(r=1, alpha=1, a=1, b=1, k=True), ParameterError, "k"),
    ("k huge", lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=10**6), ArgumentError, "k"),
    ("r negative", lambda: BGCNBD(r=-1, alpha=1, a=1, b=1, k=2), ParameterError, "r"),
    ("fit k zero", lambda: BGCNBD.fit(_sim(), settings={"k": 0}), ParameterError, "k"),
    ("fit unknown", lambda: BGCNBD.fit(_sim(), settings={"j": 2}), ArgumentError, "settings"),
    (
        "fit k>1 without litt",
        lambda: BGCNBD.fit(_without_litt(), settings={"k": 2}),
        DataError,
        "sum_log_interpurchase",
    ),
    ("litt for x=0", lambda: BGCNBD.fit(_bad_litt()), DataError, "sum_log_interpurchase"),
    ("litt NaN", lambda: BGCNBD.fit(_nan_litt()), DataError, "sum_log_interpurchase"),
    (
        "loglik without litt",
        lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=3).log_likelihood(_without_litt()),
        DataError,
        "sum_log_interpurchase",
    ),
    ("profile no litt", lambda: profile_k(_without_litt()), DataError, "sum_log_interpurchase"),
    ("profile empty", lambda: profile_k(_sim(), k=[]), ArgumentError, "k"),
    ("profile zero", lambda: profile_k(_sim(), k=[0, 1]), ArgumentError, "k"),
    ("profile repeat", lambda: profile_k(_sim(), k=[1, 1]), ArgumentError, "k"),
    ("profile text", lambda: profile_k(_sim(), k=cast(Any, "12")), ArgumentError, "k"),
    ("profile float", lambda: profile_k(_sim(), k=cast(Any, [1.5])), ArgumentError, "k"),
    (
        "p_alive recency > T",
        lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=2).p_alive(1, 5, 3),
        DataError,
        "recency",
    ),
    (
        "negative horizon",
        lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=2).conditional_expected_purchases(1, 2, 3, t=-1),
        ArgumentError,
        "t",
    ),
    (
        "fractional n",
        lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=2).prob_purchases([0.5], t=3),
        ArgumentError,
        "n",
    ),
    ("profile json", lambda: KProfile.from_json("{}"), SchemaError, "model"),
    (
        "profile json k",
        lambda: KProfile.from_json(json.dumps({"model": {}, "k": [1.5], "log_likelihood": [1.0]})),
        SchemaError,
        "k",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "name"), BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_name_the_argument(
    case: str, call: Any, error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    exc: Any = info.value
    named = (
        getattr(exc, "argument", None) or getattr(exc, "column", None) or getattr(exc, "key", None)
    )
    assert named == name or name in str(exc), (case, named, str(exc))


@pytest.mark.parametrize("modified", [False, True])
def test_small_a_series_terminates_and_matches_bgnbd(modified: bool) -> None:
    """With a small a the weights B(a, b'+m-1)/B(a, b') decay like m^-a; the series must
    stop on the negative binomial's tail, not on the weights (it once ran to a million
    terms for a = 0.114, a contract-test draw), and still equal BG/NBD at k = 1."""
    params = np.array([1.8394, 1.0, 0.114064, 1.0])
    ref = mbgnbd if modified else bgnbd
    sim = BGNBD(r=1.8394, alpha=1.0, a=0.114064, b=1.0).simulate(
        np.random.default_rng(3).uniform(5, 60, 300), rng=3
    )
    x, tx, T = sim["frequency"], sim["recency"], sim["T"]
    for t in (4.0, 100.0):
        h = np.full_like(x, t)
        np.testing.assert_allclose(
            bgcnbd.conditional_expected_purchases(params, h, x, tx, T, modified=modified),
            ref.conditional_expected_purchases(params, h, x, tx, T),
            rtol=1e-9,
        )


# ------------------------------------------------------------- adversarial review regressions
def _fitted_k3() -> BGCNBD:
    sim = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3).simulate(np.full(400, 52.0), rng=4)
    return BGCNBD.fit(sim, settings={"k": 3})


def _json_with(model: BGCNBD, **edit: Any) -> str:
    d = json.loads(model.to_json())
    d["settings"].update(edit)
    return json.dumps(d)


@functools.cache
def _profile_text() -> str:
    sim = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3).simulate(np.full(400, 52.0), rng=4)
    return profile_k(sim, k=[1, 2, 3]).to_json()


def _profile_json(edit: Any) -> str:
    d = json.loads(_profile_text())
    edit(d)
    return json.dumps(d)


def _impossible_litt() -> dict[str, np.ndarray]:
    s = _sim()
    litt = s["sum_log_interpurchase"].copy()
    i = int(np.flatnonzero(s["frequency"] > 0)[0])
    litt[i] = 1e3  # x gaps adding up to t_x have sum(ln gap) <= x ln(t_x / x)
    return {**s, "sum_log_interpurchase": litt}


REVIEW_BAD: list[tuple[str, Any, type[Exception], str]] = [
    # the series looped a minute before refusing; t = 1e300 gave a RuntimeWarning (q = 1)
    (
        "horizon 1e300",
        lambda: BGCNBD(
            **dict(zip(["r", "alpha", "a", "b"], FHL, strict=True)), k=3
        ).conditional_expected_purchases(1, 1, 5, t=1e300),
        ArgumentError,
        "t",
    ),
    (
        "new customer horizon 1e300",
        lambda: MBGCNBD(r=1, alpha=1, a=1, b=1, k=2).expected_purchases_new_customer(t=1e300),
        ArgumentError,
        "t",
    ),
    (
        "p_alive ahead 1e300",
        lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=2).p_alive(1, 1, 5, t=1e300),
        ArgumentError,
        "t",
    ),
    # k beyond 1000 in JSON was an ArgumentError, not a SchemaError naming settings.k
    (
        "json k 5000",
        lambda: load_model(_json_with(_fitted_k3(), k=5000)),
        SchemaError,
        "settings.k",
    ),
    (
        "json k 1e308",
        lambda: load_model(_json_with(_fitted_k3(), k=1e308)),
        SchemaError,
        "settings.k",
    ),
    # a k edited in JSON against the saved fit (made at k = 3) loaded silently
    ("json k edited", lambda: load_model(_json_with(_fitted_k3(), k=2)), SchemaError, "settings.k"),
    ("constructor k 1001", lambda: BGCNBD(r=1, alpha=1, a=1, b=1, k=1001), ParameterError, "k"),
    # settings="x" was a raw AttributeError
    (
        "fit settings text",
        lambda: BGCNBD.fit(_sim(), settings=cast(Any, "x")),
        ArgumentError,
        "settings",
    ),
    # an impossible sum of log gaps was accepted
    (
        "litt impossible",
        lambda: BGCNBD.fit(_impossible_litt(), settings={"k": 2}),
        DataError,
        "sum_log_interpurchase",
    ),
    # modified="yes" was taken as True
    (
        "profile modified text",
        lambda: profile_k(_sim(), k=[1, 2], modified=cast(Any, "yes")),
        ArgumentError,
        "modified",
    ),
    # KProfile.from_json accepted any k list and log-likelihoods, NaN included
    (
        "profile json k 0",
        lambda: KProfile.from_json(_profile_json(lambda d: d.__setitem__("k", [0, 2, 3]))),
        SchemaError,
        "k",
    ),
    (
        "profile json k repeated",
        lambda: KProfile.from_json(_profile_json(lambda d: d.__setitem__("k", [1, 1, 3]))),
        SchemaError,
        "k",
    ),
    (
        "profile json k without the model's",
        lambda: KProfile.from_json(_profile_json(lambda d: d.__setitem__("k", [4, 5, 6]))),
        SchemaError,
        "k",
    ),
    (
        "profile json NaN",
        lambda: KProfile.from_json(
            _profile_json(lambda d: d["log_likelihood"].__setitem__(0, float("nan")))
        ),
        SchemaError,
        "log_likelihood",
    ),
    (
        "profile json not the best",
        lambda: KProfile.from_json(
            _profile_json(lambda d: d["log_likelihood"].__setitem__(0, 1e9))
        ),
        SchemaError,
        "log_likelihood",
    ),
    (
        "profile json extra key",
        lambda: KProfile.from_json(_profile_json(lambda d: d.__setitem__("extra", 1))),
        SchemaError,
        "extra",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "error", "name"), REVIEW_BAD, ids=[b[0] for b in REVIEW_BAD]
)
def test_review_bad_inputs_name_the_argument(
    case: str, call: Any, error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    exc: Any = info.value
    named = (
        getattr(exc, "argument", None) or getattr(exc, "column", None) or getattr(exc, "key", None)
    )
    assert named == name, (case, named, str(exc))


@pytest.mark.parametrize("cls", [BGCNBD, MBGCNBD])
def test_extreme_histories_give_finite_predictions(cls: Any) -> None:
    """frequency 500 with recency = T (u = 0: the phase sums are 1) raised a RuntimeWarning
    (0/0 in the stopping rule left of the mode); every prediction is finite and in range at
    frequency 500, T = 1e4, recency near 0 and recency = T."""
    model = cls(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3)
    for x, tx, T in [(500, 52.0, 52.0), (500, 1e4, 1e4), (500, 1e-6, 1e4), (0, 0.0, 1e4)]:
        alive = model.p_alive(x, tx, T)
        mean = model.conditional_expected_purchases(x, tx, T, t=52.0)
        ahead = model.p_alive(x, tx, T, t=52.0)
        pmf = model.conditional_prob_purchases(3, x, tx, T, t=52.0)
        for v in (alive, mean, ahead, pmf):
            assert np.all(np.isfinite(v))
        assert 0 <= alive[0] <= 1 and 0 <= ahead[0] <= alive[0] + 1e-12 and 0 <= pmf[0] <= 1


def test_extreme_history_expectation_matches_monte_carlo() -> None:
    """BG/CNBD-3 at x = 500, t_x = T = 52 against an independent computation (run once,
    200,000 draws): P(alive) = 1/(1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^s) = 0.99841; given
    alive, lambda ~ Gamma(s = r + 3x, alpha + T), p ~ Beta(a, b + x) and
    E[Y | lambda, p] = sum_m (1-p)^(m-1) P(Poisson(52 lambda) >= 3m), whose mean times
    P(alive) is 332.21 (standard error 0.18)."""
    model = BGCNBD(r=2.0, alpha=8.0, a=0.8, b=2.5, k=3)
    mean = float(model.conditional_expected_purchases(500, 52.0, 52.0, t=52.0)[0])
    assert abs(mean - 332.21) < 0.9


def calls_to(calls: list[tuple[str, float]]) -> Callable[[str, float], None]:
    """A progress callback that records its calls."""

    def record(stage: str, done: float) -> None:
        calls.append((stage, done))

    return record


def test_fit_reports_progress() -> None:
    """BGCNBD.fit passes progress= to the engine (it was refused as an unknown column)."""
    for cls in (BGCNBD, MBGCNBD):
        truth = cls(r=2.0, alpha=8.0, a=0.8, b=2.5, k=2)
        calls: list[tuple[str, float]] = []
        cls.fit(truth.simulate([52.0] * 500, rng=3), settings={"k": 2}, progress=calls_to(calls))
        fractions = [f for _, f in calls]
        assert calls[-1] == ("done", 1.0) and fractions == sorted(fractions)


@pytest.mark.parametrize("b", [3.7e-17, 1e-30])
@pytest.mark.parametrize("modified", [False, True])
def test_log_likelihood_at_a_tiny_b_matches_mpmath(b: float, modified: bool) -> None:
    """b + x - 1 + shift rounded b away for b ~ 1e-17 (-inf or a wrong value where the
    likelihood is finite). At k = 1 the CNBD-k likelihood is the BG/NBD's (Fader, Hardie & Lee
    2005, eq. 6) or the MBG/NBD's (Batislam et al. 2007): both in mpmath at 50 digits."""
    r, alpha, a = 6.5, 9.0, 2e-25
    x = np.array([0.0, 1.0, 3.0])
    tx = np.array([0.0, 1.0, 2.0])
    T = np.array([1.0, 3.0, 9.5])
    cls = MBGCNBD if modified else BGCNBD
    got = cls(r=r, alpha=alpha, a=a, b=b, k=1).log_likelihood(
        frequency=x, recency=tx, T=T, sum_log_interpurchase=np.zeros(3)
    )
    with mpmath.workdps(50):
        R, A, Ap, B = mpmath.mpf(r), mpmath.mpf(alpha), mpmath.mpf(a), mpmath.mpf(b)
        want = []
        for xi, txi, Ti in zip(x.tolist(), tx.tolist(), T.tolist(), strict=True):
            lead = mpmath.gamma(R + xi) * A**R / mpmath.gamma(R)
            if modified:
                head = mpmath.beta(Ap, B + xi + 1) / mpmath.beta(Ap, B)
                tail = (A + Ti) ** -(R + xi) + Ap / (B + xi) * (A + txi) ** -(R + xi)
            else:
                head = mpmath.beta(Ap, B + xi) / mpmath.beta(Ap, B)
                tail = (A + Ti) ** -(R + xi)
                if xi > 0:
                    tail += Ap / (B + xi - 1) * (A + txi) ** -(R + xi)
            want.append(float(mpmath.log(lead * head * tail)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def _mp_cnbd_loglik(
    r: float, alpha: float, a: float, b: float, x: float, tx: float, T: float, k: int, shift: int
) -> mpmath.mpf:
    """The module docstring's likelihood (Platzer & Reutterer 2016; Reutterer et al. 2021)
    without the ``ell`` factor, from mpmath's log-gammas and the finite phase sum S_2."""
    r, alpha, a, b, x, tx, T = map(mpmath.mpf, (r, alpha, a, b, x, tx, T))
    s = r + k * x
    z = (T - tx) / (alpha + T)
    s2 = mpmath.fsum(
        mpmath.exp(mpmath.loggamma(s + j) - mpmath.loggamma(s) - mpmath.loggamma(j + 1)) * z**j
        for j in range(k)
    )
    head = mpmath.loggamma(s) - mpmath.loggamma(r) + r * mpmath.log(alpha) - x * mpmath.loggamma(k)
    alive = mpmath.beta(a, b + x + shift) * s2 * mpmath.exp(-s * mpmath.log(alpha + T))
    dead = mpmath.mpf(0)
    if x > 0 or shift:
        dead = mpmath.beta(a + 1, b + x - 1 + shift) * mpmath.exp(-s * mpmath.log(alpha + tx))
    return head + mpmath.log(alive + dead) - mpmath.log(mpmath.beta(a, b))


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("r", [1e-8, 1.0, 1e8, 1e15, 1e25])
@pytest.mark.parametrize(("x", "tx"), [(0.0, 0.0), (1.0, 30.0), (7.0, 30.0), (1e4, 39.0)])
def test_log_likelihood_near_poisson_against_mpmath(
    modified: bool, k: int, r: float, x: float, tx: float
) -> None:
    """BG/CNBD-k's and MBG/CNBD-k's log-likelihood for r from 1e-8 to 1e25 with alpha = r/0.4
    (at large r a near-Erlang-k process of fixed rate) equals 50-digit mpmath to 1e-12:
    ``gammaln(r + kx) - gammaln(r)`` and ``r ln(alpha) - s ln(alpha + T)`` had no correct digit
    at r = 1e25."""
    alpha, a, b, T = r / 0.4, 0.8, 2.4, 40.0
    p = np.array([r, alpha, a, b])
    one = np.ones(1)
    got = bgcnbd.log_likelihood(p, x * one, tx * one, T * one, 0 * one, k=k, modified=modified)[0]
    with mpmath.workdps(50):
        want = float(_mp_cnbd_loglik(r, alpha, a, b, x, tx, T, k, int(modified)))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("model", [BGCNBD, MBGCNBD], ids=lambda m: m.name)
def test_a_time_unit_other_than_the_summarys_is_refused(model: Any) -> None:
    """``fit(weekly summary, time_unit="D")`` was labelled days without a word: an
    ArgumentError naming ``time_unit``; an equal unit ("7D" is "W") is the summary's."""
    from relmark.errors import ArgumentError

    log = load_cdnow_sample_transactions()
    s = summarize(log, time_unit="W", sum_log_interpurchase=True)
    assert model.fit(s, settings={"k": 2}, time_unit="7D").time_unit == "W"
    with pytest.raises(ArgumentError) as info:
        model.fit(s, settings={"k": 2}, time_unit="D")
    assert info.value.argument == "time_unit"
