"""GGompertz/NBD against mpmath's adaptive quadrature, the Pareto/NBD at the nesting limit and
simulation with known truth.

The likelihood is checked against an independent integration of the individual-level model
(mpmath, 30 digits), the predictions against the model's own simulator, and the CDNOW fit
against Bemmaor & Glady's (2012) Table 2 (which lies near the Pareto/NBD boundary b -> 0, where
relmark reports the boundary itself).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
from scipy.stats import chi2

from relmark.clv import GGompertzNBD, ParetoNBD, load_model
from relmark.clv import ggompertz as gg
from relmark.datasets import load_cdnow_summary
from relmark.errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    ModelNotFittedError,
    ParameterError,
    SchemaError,
)

PARAMS = [
    (0.55, 10.6, 0.01, 0.6, 0.12),
    (0.3, 2.0, 0.1, 2.0, 1.0),
    (2.0, 40.0, 0.001, 0.2, 0.02),
    (0.1, 0.5, 0.2, 5.0, 5.0),
]
HISTORIES = [
    (0, 0.0, 5.0),
    (0, 0.0, 78.0),
    (2, 30.43, 38.86),
    (30, 20.0, 78.0),
    (100, 2.0, 300.0),  # long histories: many purchases, long since the last one
    (500, 499.0, 520.0),
    (50, 1.0, 1000.0),
]


def _mp_log_likelihood(p: tuple[float, ...], x: float, tx: float, T: float) -> float:
    """The likelihood of Bemmaor & Glady (2012) by mpmath: tanh-sinh quadrature over tau on
    panels that halve towards t_x (where the power term peaks), 30 digits."""
    mpmath.mp.dps = 30
    r, a, b, s, be = (mpmath.mpf(v) for v in p)
    x_, tx_, T_ = mpmath.mpf(x), mpmath.mpf(tx), mpmath.mpf(T)

    def surv(t: Any) -> Any:
        return (be / (be + mpmath.exp(b * t) - 1)) ** s

    def dens(t: Any) -> Any:
        return s * b * mpmath.exp(b * t) * be**s / (be + mpmath.exp(b * t) - 1) ** (s + 1)

    alive = a**r / (a + T_) ** (r + x_) * surv(T_)
    points = [tx_] + [tx_ + (T_ - tx_) * mpmath.mpf(2) ** (-k) for k in range(40, -1, -1)]
    dead = mpmath.quad(lambda t: a**r / (a + t) ** (r + x_) * dens(t), points)
    return float(mpmath.loggamma(r + x_) - mpmath.loggamma(r) + mpmath.log(alive + dead))


@pytest.mark.parametrize("p", PARAMS)
def test_log_likelihood_equals_mpmath_quadrature(p: tuple[float, ...]) -> None:
    """|log L - log L_mpmath| < 1e-9 (a relative error of L below 1e-9), long histories
    included."""
    x, tx, T = (np.array(c, dtype=float) for c in zip(*HISTORIES, strict=True))
    got = gg.log_likelihood(np.array(p), x, tx, T)
    want = np.array([_mp_log_likelihood(p, *h) for h in HISTORIES])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_p_alive_and_conditional_expectation_equal_mpmath() -> None:
    """P(alive) = alive term / L; E[Y(t)] = P(alive) (r+x)/(a+T) int_0^t R(u) du with
    R(u) = ((beta+e^{bT}-1)/(beta+e^{b(T+u)}-1))^s, both by mpmath."""
    p = (0.55, 10.6, 0.05, 0.6, 0.12)
    r, a, b, s, be = p
    model = GGompertzNBD(r=r, alpha=a, b=b, s=s, beta=be)
    for x, tx, T in [(0, 0.0, 40.0), (2, 30.43, 38.86), (12, 70.0, 78.0)]:
        mpmath.mp.dps = 30
        log_alive = (
            mpmath.loggamma(r + x)
            - mpmath.loggamma(r)
            + r * mpmath.log(a)
            - (r + x) * mpmath.log(a + T)
            + s * mpmath.log(be / (be + mpmath.exp(b * T) - 1))
        )
        pa = float(mpmath.exp(log_alive - _mp_log_likelihood(p, x, tx, T)))
        assert float(model.p_alive(x, tx, T)[0]) == pytest.approx(pa, rel=1e-9)
        for t in (1.0, 10.0, 52.0, 200.0):
            base = be + mpmath.exp(b * T) - 1
            inner = mpmath.quad(
                lambda u, base=base, T=T: (base / (be + mpmath.exp(b * (T + u)) - 1)) ** s,
                [0, t],
            )
            want = pa * (r + x) / (a + T) * float(inner)
            got = float(model.conditional_expected_purchases(x, tx, T, t=t)[0])
            assert got == pytest.approx(want, rel=1e-9)


def test_nesting_limit_is_the_pareto_nbd() -> None:
    """b -> 0 with beta / b fixed: S(t) -> (1 + t b/beta)^-s, the Pareto/NBD with
    beta_PNBD = beta / b. The distance in log L, P(alive), E[Y(t)] and P(X(t)=n) shrinks in
    proportion to b (first order), below 1e-5 at b = 1e-7."""
    pn = ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=12.0)
    x = np.array([0.0, 1, 2, 10, 30])
    tx = np.array([0.0, 0.5, 30.43, 50, 20])
    T = np.array([5.0, 78, 38.86, 78, 78])
    gaps = []
    for b in (1e-5, 1e-7):
        m = GGompertzNBD(r=0.55, alpha=10.6, b=b, s=0.6, beta=12.0 * b)
        gap = max(
            np.abs(
                m.log_likelihood(frequency=x, recency=tx, T=T)
                - pn.log_likelihood(frequency=x, recency=tx, T=T)
            ).max(),
            np.abs(m.p_alive(x, tx, T) - pn.p_alive(x, tx, T)).max(),
            np.abs(
                m.conditional_expected_purchases(x, tx, T, t=10)
                - pn.conditional_expected_purchases(x, tx, T, t=10)
            ).max(),
            np.abs(m.prob_purchases([0, 1, 3], t=10) - pn.prob_purchases([0, 1, 3], t=10)).max(),
            np.abs(
                m.expected_purchases_new_customer(t=[1, 10, 50])
                - pn.expected_purchases_new_customer(t=[1, 10, 50])
            ).max(),
        )
        gaps.append(gap)
    assert gaps[1] < 1e-5
    assert gaps[0] / gaps[1] == pytest.approx(100.0, rel=0.05)


def test_gradient_matches_central_differences() -> None:
    p = np.array([0.55, 10.6, 0.05, 0.6, 0.12])
    x = np.array([0.0, 1, 2, 10, 30, 100])
    tx = np.array([0.0, 0.5, 30.43, 50, 20, 2])
    T = np.array([5.0, 78, 38.86, 78, 78, 300])
    _, grad = gg.log_likelihood_and_grad(p, x, tx, T)
    for k in range(5):
        h = np.zeros(5)
        h[k] = 1e-5 * p[k]
        up, down = gg.log_likelihood(p + h, x, tx, T), gg.log_likelihood(p - h, x, tx, T)
        np.testing.assert_allclose(grad[:, k], (up - down) / (2 * h[k]), rtol=1e-6, atol=1e-7)


def test_predictions_agree_with_simulation() -> None:
    """200,000 customers simulated from known parameters: the mean P(alive) equals the share
    alive at T, E[X(t)] the mean frequency, P(X(t)=n) the frequencies of n, each within 4
    standard errors."""
    model = GGompertzNBD(r=0.8, alpha=6.0, b=0.05, s=0.7, beta=0.5)
    n = 200_000
    sim = model.simulate(np.full(n, 30.0), rng=5)
    pa = model.p_alive(sim["frequency"], sim["recency"], sim["T"])
    assert abs(pa.mean() - sim["alive"].mean()) < 4 * np.sqrt(0.25 / n)
    freq = sim["frequency"]
    expected = float(model.expected_purchases_new_customer(t=30.0)[0])
    assert abs(freq.mean() - expected) < 4 * freq.std() / np.sqrt(n)
    probs = model.prob_purchases([0, 1, 2, 5], t=30.0)
    for k, prob in zip([0, 1, 2, 5], probs, strict=True):
        share = float(np.mean(freq == k))
        assert abs(share - prob) < 4 * np.sqrt(prob * (1 - prob) / n)
    total = model.prob_purchases(np.arange(0, 400), t=30.0).sum()
    assert total == pytest.approx(1.0, abs=1e-8)


def test_fit_recovers_known_parameters_with_standard_errors() -> None:
    truth = GGompertzNBD(r=0.5, alpha=5.0, b=0.07, s=0.7, beta=0.5)
    rng = np.random.default_rng(2026)
    sim = truth.simulate(rng.uniform(5.0, 60.0, 20_000), rng=rng)
    fitted = GGompertzNBD.fit(sim)
    assert fitted.fit_result.converged
    for name, value in truth.params.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.fit_result.bse[name], name
    assert load_model(fitted.to_json()) == fitted


@pytest.mark.parametrize("scale", [1e90, 1e-90, 1e-6])
def test_fit_is_equivariant_in_the_time_unit_up_to_the_limits(scale: float) -> None:
    """Times c t give the likelihood at c alpha, b / c (r, s, beta unchanged) times c^-x
    (every factor of L is a rate times a time, or a power of a time for the gamma of
    purchase rates): ages scaled by 1e90, 1e-90 or 1e-6 give alpha / c, b c, r, s and beta
    within 2e-4 relative of the unscaled fit (its convergence tolerance) and the
    log-likelihood plus log(c) sum(x) within 1e-6. The old start values (alpha at most 1e6,
    the mean age at least 1e-3) did not converge at 1e-6 and 1e-90, and at 1e50 to 1e100
    stopped on the Pareto/NBD boundary 0.76 below the maximum (after 200-290 s)."""
    truth = GGompertzNBD(r=0.5, alpha=5.0, b=0.07, s=0.7, beta=0.5)
    rng = np.random.default_rng(2026)
    sim = truth.simulate(rng.uniform(5.0, 60.0, 3000), rng=rng)
    d = {k: np.asarray(sim[k], dtype=float) for k in ("frequency", "recency", "T")}
    base = GGompertzNBD.fit(d).fit_result
    data = {k: v * (scale if k != "frequency" else 1.0) for k, v in d.items()}
    fit = GGompertzNBD.fit(data).fit_result
    assert base.converged and fit.converged
    assert "boundary" not in fit.extra
    unit = np.array([1.0, scale, 1.0 / scale, 1.0, 1.0])
    np.testing.assert_allclose(fit.params_array / unit, base.params_array, rtol=2e-4)
    shift = float(np.log(scale)) * float(d["frequency"].sum())
    assert fit.log_likelihood + shift == pytest.approx(base.log_likelihood, abs=1e-6)


M = GGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.12)
BAD: list[tuple[Callable[[], object], type[Exception], str]] = [
    (lambda: GGompertzNBD(r=0.5, alpha=5.0, s=0.7, beta=0.5), ParameterError, "b"),
    (lambda: GGompertzNBD(r=0.5, alpha=5.0, b=0.0, s=0.7, beta=0.5), ParameterError, "b"),
    (lambda: GGompertzNBD(r=0.5, alpha=5.0, b=-1.0, s=0.7, beta=0.5), ParameterError, "b"),
    (lambda: GGompertzNBD(r=0.5, alpha=np.nan, b=0.1, s=0.7, beta=0.5), ParameterError, "alpha"),
    (lambda: GGompertzNBD(r=True, alpha=5.0, b=0.1, s=0.7, beta=0.5), ParameterError, "r"),
    (lambda: GGompertzNBD(r=0.5, alpha=5.0, b=0.1, s=0.7, beta=0.5, k=1), ParameterError, "k"),
    (lambda: M.p_alive([1], [5.0], [4.0]), DataError, "recency"),
    (lambda: M.p_alive([-1], [0.0], [4.0]), DataError, "frequency"),
    (lambda: M.p_alive([1.5], [1.0], [4.0]), DataError, "frequency"),
    (lambda: M.p_alive(["a"], [1.0], [4.0]), DataError, "frequency"),
    (lambda: M.conditional_expected_purchases(1, 1.0, 4.0, t=-1), ArgumentError, "t"),
    (lambda: M.expected_purchases_new_customer(t=[np.inf]), ArgumentError, "t"),
    (lambda: M.prob_purchases([-1], t=4), ArgumentError, "n"),
    (lambda: M.prob_purchases([0.5], t=4), ArgumentError, "n"),
    (lambda: M.simulate([10.0], rng="x"), ArgumentError, "rng"),  # type: ignore[arg-type]
    (lambda: M.dert(1, 1.0, 4.0, continuous_discount_rate=0.1), ArgumentError, "DERT"),
    (lambda: GGompertzNBD.fit({"frequency": [1, 2], "recency": [1.0, 2.0]}), DataError, "T"),
    (lambda: GGompertzNBD.fit(frequency=[1], recency=[3.0], T=[2.0]), DataError, "recency"),
    (
        lambda: GGompertzNBD.from_json(ParetoNBD(r=1, alpha=1, s=1, beta=1).to_json()),
        SchemaError,
        "model",
    ),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_inputs_are_refused_naming_the_argument(
    call: Callable[[], object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    exc = info.value
    named = (
        getattr(exc, "argument", None) or getattr(exc, "column", None) or getattr(exc, "key", None)
    )
    assert named == name or name in str(exc)


HARD = [
    # a Gompertz density that falls by e^-349 between t_x and T (s b (T - t_x) = 349)
    ((0.1, 0.5, 0.2, 5.0, 5.0), (1, 193.0, 542.0)),
    ((0.1, 0.5, 0.2, 5.0, 5.0), (2, 232.0, 526.0)),
    # ln I has its singularity at tau = ln(1 - beta)/b = -2.6, close to t_x = 0 (a pole of f)
    ((0.55, 10.6, 0.05, 0.6, 0.12), (0, 0.0, 40.0)),
    ((0.0833, 3.73, 0.15, 0.25, 2.18), (1, 0.0447, 136.5)),
    ((2.0, 40.0, 0.001, 0.2, 0.02), (3, 0.5, 900.0)),
]


@pytest.mark.parametrize(("p", "h"), HARD)
def test_log_likelihood_equals_mpmath_where_the_density_varies_fast(
    p: tuple[float, ...], h: tuple[float, float, float]
) -> None:
    """|log L - log L_mpmath| < 1e-9 where the Gompertz density, not the power, varies most
    over [t_x, T] (the panels follow both)."""
    got = gg.log_likelihood(np.array(p), *(np.array([v], dtype=float) for v in h))[0]
    assert got == pytest.approx(_mp_log_likelihood(p, *h), abs=1e-9)


def _whole_days(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sim = GGompertzNBD(r=0.55, alpha=20.0, b=0.02, s=0.6, beta=0.5).simulate(
        rng.integers(5, 61, n).astype(float), rng=rng
    )
    return {"frequency": sim["frequency"], "recency": np.ceil(sim["recency"]), "T": sim["T"]}


@pytest.mark.parametrize("p", [*PARAMS, (0.55, 20.0, 0.02, 0.6, 0.5)])
def test_shared_path_equals_the_row_by_row_likelihood(p: tuple[float, ...]) -> None:
    """On whole-number times the fitting path sums unit cells of each frequency's tail once
    per evaluation; its log-likelihood and gradient equal those of each row integrated on its
    own (1e-10 in log L, 1e-8 relative in the gradient)."""
    data = _whole_days(20_000, 3)
    x, tx, T = data["frequency"], data["recency"], data["T"]
    keys, rows = gg.SHARED.prepare(x, tx, T)
    assert len(rows) == 4  # the grid is used
    got, grad = gg.SHARED.rows(np.array(p), gg.SHARED.table(np.array(p), *keys), *rows)
    want, want_grad = gg.log_likelihood_and_grad(np.array(p), x, tx, T)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-8, atol=1e-8)
    # continuous times: each row on its own
    keys, rows = gg.SHARED.prepare(x, tx + 0.5 * (tx < T), T)
    assert len(rows) == 3


def test_fit_through_the_shared_path_equals_the_fit_row_by_row() -> None:
    """The fit on whole days (through the tails) and the fit that integrates every row on its
    own (``shared=None``) stop at the same estimates and log-likelihood (whether or not the
    engine judges them converged: both paths meet the same optimiser)."""

    class RowByRow(GGompertzNBD):
        likelihood = dataclasses.replace(GGompertzNBD.likelihood, shared=None)

    rng = np.random.default_rng(11)
    truth = GGompertzNBD(r=0.55, alpha=74.0, b=0.007, s=0.6, beta=0.5)
    sim = truth.simulate(rng.integers(100, 201, 40_000).astype(float), rng=rng)
    data = {"frequency": sim["frequency"], "recency": np.ceil(sim["recency"]), "T": sim["T"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        shared, plain = GGompertzNBD.fit(data), RowByRow.fit(data)
    np.testing.assert_allclose(shared.params_array, plain.params_array, rtol=1e-5)
    assert shared.fit_result.log_likelihood == pytest.approx(
        plain.fit_result.log_likelihood, abs=1e-5
    )


# Bemmaor & Glady (2012), Table 2 (p. 1018): GGompertz/NBD on the CDNOW 1/10 sample (2,357
# customers, weeks), as printed (and quoted by CLVTools' tests/testthat/test_correctness_ggomnbd):
# r = 0.553, alpha = 10.578, b = 0.0002, s = 0.603, beta = 0.0026, log-likelihood -9594.98.
PAPER_TABLE2 = {"r": 0.553, "alpha": 10.578, "b": 0.0002, "s": 0.603, "beta": 0.0026}
PAPER_LL = -9594.98


def _no_warnings_fit(data: Any, **kw: Any) -> GGompertzNBD:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return GGompertzNBD.fit(data, **kw)


def test_cdnow_fit_is_the_pareto_nbd_boundary_of_bemmaor_glady_table2() -> None:
    """On CDNOW the likelihood rises all the way to b -> 0: the fit reports the boundary (no
    warning, converged, the flag and message), at the Pareto/NBD's estimates (r 0.553,
    alpha 10.578 as printed in Table 2; beta/b 11.668 is the Pareto/NBD's beta, 11.669 in
    Fader & Hardie's note 008) and a log-likelihood of -9594.974, 0.006 above the printed
    -9594.98 (the paper's estimate is a point on the flat ridge near the boundary, see the
    next test)."""
    data = load_cdnow_summary()
    model = _no_warnings_fit(data)
    fit = model.fit_result
    assert fit.converged
    boundary = fit.extra["boundary"]
    assert boundary["parameter"] == "b" and boundary["nested"] == "ParetoNBD"
    assert "boundary" in fit.message
    assert boundary["score"] < 0  # the profile falls as b leaves 0: the maximum is b = 0
    assert boundary["statistic"] == 0.0 and boundary["p_value"] == 1.0
    assert round(model.params["r"], 3) == PAPER_TABLE2["r"]
    assert round(model.params["alpha"], 3) == PAPER_TABLE2["alpha"]
    assert model.params["beta"] / model.params["b"] == pytest.approx(11.669, abs=2e-3)
    assert round(fit.log_likelihood, 3) == -9594.974
    assert fit.log_likelihood > PAPER_LL
    assert model.params["b"] * data.T.max() <= gg.BOUNDARY_B * (1 + 1e-12)
    # standard errors: r, alpha, s the Pareto/NBD's; b and beta none (only beta/b identified)
    pareto = ParetoNBD.fit(data)
    for name in ("r", "alpha", "s"):
        assert fit.bse[name] == pytest.approx(pareto.fit_result.bse[name], rel=1e-9)
    assert np.isnan(fit.bse["b"]) and np.isnan(fit.bse["beta"])
    # predictions are the Pareto/NBD's, to 1e-6 relative for every CDNOW customer (Fader &
    # Hardie's published customer x=26, t_x=30.86, T=31 too)
    x, tx, T = data.frequency, data.recency, data.T
    np.testing.assert_allclose(model.p_alive(x, tx, T), pareto.p_alive(x, tx, T), rtol=1e-6)
    np.testing.assert_allclose(
        model.conditional_expected_purchases(x, tx, T, t=39),
        pareto.conditional_expected_purchases(x, tx, T, t=39),
        rtol=1e-6,
    )
    assert float(model.p_alive(26, 30.86, 31)[0]) == pytest.approx(0.9979, abs=5e-5)
    assert float(model.conditional_expected_purchases(26, 30.86, 31, t=52)[0]) == pytest.approx(
        25.46, abs=5e-3
    )
    # saved and loaded: the flag, the partly missing covariance and equality survive
    loaded = load_model(model.to_json())
    assert loaded == model
    assert loaded.fit_result.extra["boundary"] == boundary
    # no standard errors for b and beta: no parameter draws either (a typed error)
    with pytest.raises(ModelNotFittedError):
        model.sample_params(3, rng=1)


def test_bemmaor_glady_table2_is_on_the_profile_near_the_boundary() -> None:
    """Table 2's estimates are reproduced on the profile likelihood at b = 0.000224 (inside
    the printed b = 0.0002's rounding): r, alpha, s and beta and the log-likelihood equal the
    printed digits. The profile is flat there: 0.0016 below its supremum at b -> 0 (a
    likelihood-ratio statistic 0.003), so the paper's optimiser stopped on the ridge towards the
    Pareto/NBD limit; its reported standard error of b is 0.0000."""
    data = load_cdnow_summary()
    b = 0.000224
    start = {"r": 0.55, "alpha": 10.6, "b": b, "s": 0.6, "beta": 11.6 * b}
    profile = _no_warnings_fit(data, fixed={"b": b}, start=start)
    assert profile.fit_result.converged
    assert round(profile.params["b"], 4) == PAPER_TABLE2["b"]
    for name in ("r", "alpha", "s", "beta"):
        digits = len(str(PAPER_TABLE2[name]).split(".")[1])
        assert round(profile.params[name], digits) == PAPER_TABLE2[name], name
    assert round(profile.fit_result.log_likelihood, 2) == PAPER_LL
    boundary = _no_warnings_fit(data)
    gap = boundary.fit_result.log_likelihood - profile.fit_result.log_likelihood
    assert 0 < gap < 0.002


def test_boundary_lr_test_is_the_chi_bar_squared_mixture() -> None:
    """The boundary test's p-value is half the chi2_1 tail (the 5% critical value is
    chi2_1's 10% quantile, 2.706); an interior fit on data with age-dependent dropout is
    tested against the Pareto/NBD with it."""
    critical = float(chi2.ppf(0.90, 1))
    assert gg._chi_bar_squared(critical) == pytest.approx(0.05, rel=1e-12)
    assert gg._chi_bar_squared(0.0) == 1.0
    truth = GGompertzNBD(r=0.5, alpha=5.0, b=0.07, s=0.7, beta=0.5)
    rng = np.random.default_rng(7)
    sim = truth.simulate(rng.uniform(5.0, 60.0, 5_000), rng=rng)
    full, restricted = _no_warnings_fit(sim), ParetoNBD.fit(sim)
    assert "boundary" not in full.fit_result.extra
    statistic, p = gg.pareto_nbd_lr_test(restricted, full)
    want = 2 * (full.fit_result.log_likelihood - restricted.fit_result.log_likelihood)
    assert statistic == pytest.approx(want, rel=1e-12)
    assert statistic > 0
    assert p == pytest.approx(0.5 * float(chi2.sf(want, 1)), rel=1e-9)
    with pytest.raises(ArgumentError) as info:
        gg.pareto_nbd_lr_test(full, restricted)  # type: ignore[arg-type]
    assert info.value.argument == "restricted"


def test_boundary_test_under_the_null_is_at_zero_about_half_the_time() -> None:
    """Under the Pareto/NBD (b = 0), the GGompertz/NBD fit lands on the boundary with
    probability about 1/2 (the chi-bar-squared mixture's chi2_0 half): 40 simulated data sets
    of 600 customers, between 10 and 30 on the boundary (a binomial(40, 1/2) within 3.2
    standard deviations)."""
    truth = ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=12.0)
    rng = np.random.default_rng(2027)
    on_boundary = 0
    for _ in range(40):
        sim = truth.simulate(rng.uniform(30.0, 80.0, 600), rng=rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = GGompertzNBD.fit(sim)
        statistic, _ = gg.pareto_nbd_lr_test(ParetoNBD.fit(sim), fit)
        on_boundary += statistic < 2 * gg.BOUNDARY_TOLERANCE
    assert 10 <= on_boundary <= 30


def test_a_saved_boundary_covariance_is_checked() -> None:
    """A saved covariance may lack whole rows and columns (the boundary's b and beta), not
    single cells: NaN in one cell, or a missing row with finite cells in its column, is
    refused naming the key."""
    fitted = _no_warnings_fit(load_cdnow_summary())
    saved = json.loads(fitted.to_json())
    for i, j in ((0, 1), (2, 0)):
        edited = json.loads(json.dumps(saved))
        cov = edited["fit"]["cov_unconstrained"]
        cov[i][j] = float("nan") if i == 0 else 1.0
        with pytest.raises(SchemaError) as info:
            load_model(json.dumps(edited))
        assert "cov_unconstrained" in str(info.value)


_SHAPE_ROWS = [(0, 0.0, 40.0), (2, 30.4, 38.9), (5, 35.0, 40.0), (30, 10.0, 60.0), (1, 1e-3, 1e3)]


def _mp_log_likelihood_any_shape(r: Any, a: Any, b: Any, s: Any, beta: Any, row: Any) -> Any:
    """Bemmaor & Glady's likelihood in mpmath (the caller's precision), the dead term by
    quadrature between breakpoints a quarter then a unit apart from t_x, spreading
    geometrically after 40 (at a large r the power falls like exp(-r (tau - t_x) / alpha))."""
    x, tx, T = (mpmath.mpf(v) for v in row)

    def d(t: Any) -> Any:
        return beta + mpmath.expm1(b * t)

    def dead(t: Any) -> Any:
        return a**r / (a + t) ** (r + x) * s * b * mpmath.exp(b * t) * beta**s / d(t) ** (s + 1)

    alive = a**r / (a + T) ** (r + x) * (beta / d(T)) ** s
    steps = [mpmath.mpf(k) / 4 for k in range(1, 4)] + [mpmath.mpf(k) for k in range(1, 41)]
    steps += [40 * mpmath.mpf(1.2) ** k for k in range(1, 200)]
    total = alive
    if tx < T:
        total += mpmath.quad(dead, [tx, *(tx + h for h in steps if tx + h < T), T])
    return mpmath.loggamma(r + x) - mpmath.loggamma(r) + mpmath.log(total)


@pytest.mark.parametrize("r", [1e-8, 1.0, 1e8, 1e15, 1e25])
def test_log_likelihood_and_gradient_at_any_shape_equal_mpmath(r: float) -> None:
    """At r = 1e-8 .. 1e25 with alpha = r / 0.4 (mean purchase rate 0.4), b = 0.02, s = 0.6,
    beta = 0.5 the log-likelihood equals mpmath's (50 digits) within 1e-11 of max(1, |ln L|)
    and its gradient in the log-parameters (central differences, step 1e-12) within 1e-9
    (of components up to ~25). gammaln(r + x) - gammaln(r), r ln alpha - (r + x)
    ln(alpha + tau) and their derivatives had no digit left: the value was 3e-7 off at
    r = 1e8, 4.4 at 1e15 and 38 at 1e25, the gradient 7e10 at 1e25."""
    p = np.array([r, r / 0.4, 0.02, 0.6, 0.5])
    x, tx, T = (np.array(c, dtype=float) for c in zip(*_SHAPE_ROWS, strict=True))
    value = gg.log_likelihood(p, x, tx, T)
    _, grad = gg.log_likelihood_and_grad(p, x, tx, T)
    with mpmath.workdps(50):
        u = [mpmath.log(mpmath.mpf(float(v))) for v in p]
        h = mpmath.mpf("1e-12")
        for k, row in enumerate(_SHAPE_ROWS):

            def f(uu: list[Any], row: Any = row) -> Any:
                r_, a_, b_, s_, beta_ = (mpmath.exp(q) for q in uu)
                return _mp_log_likelihood_any_shape(r_, a_, b_, s_, beta_, row)

            want = f(u)
            assert abs(value[k] - float(want)) <= 1e-11 * max(1.0, abs(float(want)))
            if k in (1, 3):  # the gradient on two customers (the quadratures cost)
                for i in range(5):
                    up, dn = list(u), list(u)
                    up[i] += h
                    dn[i] -= h
                    d_want = float((f(up) - f(dn)) / (2 * h))
                    assert abs(grad[k, i] * p[i] - d_want) <= 1e-9, (k, i)
