"""Gamma-Gamma against the published fit, mpmath, lifetimes and simulation."""

from __future__ import annotations

import importlib.resources
import math
from typing import Any

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

from relmark.clv import GammaGamma, gammagamma
from relmark.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    name = "cdnow_customers_summary_with_transactions.csv"
    path = importlib.resources.files("lifetimes") / "datasets" / name
    with importlib.resources.as_file(path) as p:
        df = pd.read_csv(p)
    return df.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def test_fit_reproduces_published_parameters(cdnow_spend: pd.DataFrame) -> None:
    """Fader, Hardie & Lee (2005), JMR 42(4), and Fader & Hardie note 025: on the 946 repeat
    buyers of the CDNOW sample, p = 6.25, q = 3.74, gamma = 15.44.

    Our optimum is gamma = 15.448 (the same as lifetimes'; the gradient there is below 1e-8):
    the published 15.44 is 0.002 standard errors away, on a likelihood flat in gamma (se 4.2),
    so gamma is checked to 0.01 and p, q to the printed digits.
    """
    model = GammaGamma.fit(cdnow_spend)
    assert round(model.params["p"], 2) == 6.25
    assert round(model.params["q"], 2) == 3.74
    assert model.params["gamma"] == pytest.approx(15.44, abs=0.01)
    assert model.fit_result.nobs == 946
    assert model.fit_result.extra["n_excluded"] == 2357 - 946
    assert model.fit_result.converged


def mp_logdensity(p: float, q: float, g: float, x: float, z: float) -> mp.mpf:
    """Note 025 eq. 4 as an integral over nu, evaluated by mpmath quadrature (independent)."""
    p, q, g, x, z = map(mp.mpf, (p, q, g, x, z))

    def integrand(nu: mp.mpf) -> mp.mpf:
        # density of the mean of x Gamma(p, nu) values is Gamma(p x, x nu)
        dens_mean = (x * nu) ** (p * x) * z ** (p * x - 1) * mp.exp(-x * nu * z) / mp.gamma(p * x)
        prior = g**q * nu ** (q - 1) * mp.exp(-g * nu) / mp.gamma(q)
        return dens_mean * prior

    return mp.log(mp.quad(integrand, [0, 1 / z, mp.inf]))


@pytest.mark.parametrize(
    ("p", "q", "g", "x", "z"),
    [(6.25, 3.74, 15.44, 1, 20.0), (6.25, 3.74, 15.44, 50, 3.1), (0.6, 1.2, 300.0, 3, 999.0)],
)
def test_loglik_against_mpmath_integral(p: float, q: float, g: float, x: int, z: float) -> None:
    with mp.workdps(30):
        got = gammagamma.log_likelihood(np.array([p, q, g]), np.array([float(x)]), np.array([z]))[0]
        assert got == pytest.approx(float(mp_logdensity(p, q, g, x, z)), rel=1e-9)


def test_expected_spend_is_posterior_mean() -> None:
    """E[Z | x, zbar] = p E[1/... ] computed by mpmath from the posterior of nu."""
    with mp.workdps(30):
        p, q, g, x, z = 6.25, 3.74, 15.44, 4, 30.0
        model = GammaGamma(p=p, q=q, gamma=g)
        # posterior of nu is Gamma(q + p x, g + x z); E[Z | nu] = p / nu
        want = p * (g + x * z) / (q + p * x - 1)
        k, rate = mp.mpf(q) + p * x, mp.mpf(g) + x * z
        pts = [0, (k - 1) / 2, k - 1, 2 * (k - 1), 10 * k, mp.inf]  # in u = rate * nu
        num = mp.quad(lambda u: u ** (k - 2) * mp.exp(-u), pts)
        den = mp.quad(lambda u: u ** (k - 1) * mp.exp(-u), pts)
        post = p * rate * num / den
        assert float(model.expected_spend(x, z)[0]) == pytest.approx(float(post), rel=1e-10)
        assert float(model.expected_spend(x, z)[0]) == pytest.approx(want, rel=1e-12)
        assert model.mean_spend == pytest.approx(p * g / (q - 1))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_agrees_with_lifetimes(cdnow_spend: pd.DataFrame) -> None:
    from lifetimes import GammaGammaFitter

    buyers = cdnow_spend[cdnow_spend["frequency"] > 0]
    lt = GammaGammaFitter().fit(buyers["frequency"], buyers["monetary_value"])
    ours = GammaGamma.fit(cdnow_spend)
    np.testing.assert_allclose(
        ours.params_array, [lt.params_["p"], lt.params_["q"], lt.params_["v"]], rtol=1e-4
    )
    at_lt = GammaGamma(p=lt.params_["p"], q=lt.params_["q"], gamma=lt.params_["v"])
    np.testing.assert_allclose(
        at_lt.expected_spend(cdnow_spend["frequency"], cdnow_spend["monetary_value"]),
        lt.conditional_expected_average_profit(
            cdnow_spend["frequency"], cdnow_spend["monetary_value"]
        ),
        rtol=1e-10,
    )


def test_q_not_above_one_is_refused() -> None:
    with pytest.raises(ParameterError, match="q > 1"):
        GammaGamma(p=2.0, q=1.0, gamma=10.0)


def test_heavy_tailed_spend_is_refused_not_clipped() -> None:
    """Data whose MLE has q < 1 (infinite mean spend) raise instead of a boundary estimate."""
    rng = np.random.default_rng(5)
    x = rng.integers(1, 5, size=5000).astype(float)
    data = gammagamma.simulate(np.array([4.0, 0.7, 20.0]), x, rng=rng)  # true q = 0.7
    z = data["monetary_value"]
    with pytest.raises(ParameterError, match="infinite"):
        GammaGamma.fit(frequency=x, monetary_value=z)


def test_simulate_then_fit_recovers_parameters() -> None:
    truth = GammaGamma(p=4.0, q=3.0, gamma=20.0)
    rng = np.random.default_rng(11)
    x = rng.integers(1, 10, size=20_000)
    fitted = GammaGamma.fit(truth.simulate(x, rng=rng))
    for name, value in truth.params.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.fit_result.bse[name], name


def test_bad_spend_names_the_customer() -> None:
    df = pd.DataFrame(
        {"frequency": [2, 1], "monetary_value": [10.0, -3.0]}, index=pd.Index(["a", "b"])
    )
    with pytest.raises(DataError, match=r"monetary_value.*'b'"):
        GammaGamma.fit(df)
    with pytest.raises(DataError, match="no customer has repeat purchases"):
        GammaGamma.fit(frequency=[0, 0], monetary_value=[0.0, 0.0])


@pytest.mark.parametrize(
    ("x", "z", "column"),
    [
        (-1, 10.0, "frequency"),
        (1.5, 10.0, "frequency"),
        (2, -3.0, "monetary_value"),
        (2, float("nan"), "monetary_value"),
        (float("inf"), 10.0, "frequency"),
    ],
)
def test_one_customer_bad_input_names_the_field(x: float, z: float, column: str) -> None:
    """Python numbers take a scalar path; what it cannot accept gets the array path's error."""
    with pytest.raises(DataError) as err:
        GammaGamma(p=6.25, q=3.74, gamma=15.44).expected_spend(x, z)
    assert err.value.column == column


def _mp_total(rows: list[tuple[float, float, float]]) -> Any:
    """Note 025 eq. 4 in mpmath, summed over weighted rows ``(x, zbar, w)`` (independent of
    the code's rearrangement of the terms)."""

    def total(p: mp.mpf, q: mp.mpf, g: mp.mpf) -> mp.mpf:
        out = mp.mpf(0)
        for x, z, w in rows:
            xm, zm = mp.mpf(x), mp.mpf(z)
            out += w * (
                mp.loggamma(p * xm + q)
                - mp.loggamma(p * xm)
                - mp.loggamma(q)
                + q * mp.log(g)
                + (p * xm - 1) * mp.log(zm)
                + p * xm * mp.log(xm)
                - (p * xm + q) * mp.log(g + xm * zm)
            )
        return out

    return total


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        # FHL's estimates on CDNOW-like rows
        ((6.25, 3.74, 15.44), [(1.0, 20.0, 2.0), (3.0, 35.5, 1.0), (10.0, 2.5, 3.0)]),
        # large p x (the terms p x ln x ~ 1.6e4 cancel in the textbook form)
        ((40.0, 15.0, 2.0), [(89.0, 0.05, 1.0), (60.0, 3.0, 2.0), (1.0, 0.5, 1.0)]),
        # spend in millionths and in billions of the money unit
        ((6.25, 3.74, 1.544e-7), [(1.0, 2.0e-7, 1.0), (4.0, 3.1e-6, 2.0), (2.0, 1e-9, 1.0)]),
        ((0.6, 1.2, 3.0e9), [(2.0, 1.0e9, 1.0), (7.0, 4.0e11, 1.0), (1.0, 2.0e6, 5.0)]),
    ],
)
def test_log_likelihood_gradient_and_hessian_match_mpmath(
    params: tuple[float, float, float], rows: list[tuple[float, float, float]]
) -> None:
    """The rows (value, gradient) and the Hessian pass (weighted sums over the frequencies)
    against mpmath's derivatives of note 025 eq. 4 at 40 digits."""
    th = np.array(params)
    x, z, w = (np.array(c) for c in zip(*rows, strict=True))
    total = _mp_total(rows)
    with mp.workdps(40):
        at = [mp.mpf(v) for v in params]
        ref_value = float(total(*at))
        ref_grad = [
            float(mp.diff(total, at, tuple(int(i == j) for j in range(3)))) for i in range(3)
        ]
        ref_hess = [
            [
                float(mp.diff(total, at, tuple(int(k == i) + int(k == j) for k in range(3))))
                for j in range(3)
            ]
            for i in range(3)
        ]
        ref_rows = [float(_mp_total([(xi, zi, 1.0)])(*at)) for xi, zi, _ in rows]
    ll, grads = gammagamma.log_likelihood_and_grad(th, x, z)
    np.testing.assert_allclose(ll, ref_rows, rtol=1e-13)
    scale = np.abs(ref_grad) + np.abs(np.asarray(ref_hess)).max(axis=1) * np.abs(th)
    np.testing.assert_allclose(w @ grads, ref_grad, rtol=0, atol=1e-12 * scale.max())
    value, grad, hess = gammagamma.log_likelihood_grad_hess(th, w, x, z)
    assert value == pytest.approx(ref_value, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-12 * scale.max())
    np.testing.assert_allclose(hess, ref_hess, rtol=1e-10)


@pytest.mark.parametrize("factor", [1e-8, 1e8, 1e-150, 1e150, 1e-290, 1e290])
def test_fit_is_scale_free(cdnow_spend: pd.DataFrame, factor: float) -> None:
    """Spend in other money units: ``z -> c z`` is ``gamma -> c gamma`` with p and q unchanged
    (note 025 eq. 4: the density of ``c zbar`` is that of ``zbar`` divided by c), so the
    log-likelihood falls by ``n ln c``. The start values were floored at gamma = 1e-3; at
    1e-290 the Hessian in gamma (~ gamma^-2) overflowed and at 1e290 x * zbar did.

    gamma's standard error is checked up to 1e+-150: beyond, its variance (~1e+-580) is not
    a float (FitResult.cov_params squares the Jacobian: 0 at 1e-290, an overflow at 1e290).
    """
    base = GammaGamma.fit(cdnow_spend)
    scaled = cdnow_spend.assign(monetary_value=cdnow_spend["monetary_value"] * factor)
    fit = GammaGamma.fit(scaled)
    assert fit.fit_result.converged
    for name in ("p", "q"):
        assert fit.params[name] == pytest.approx(base.params[name], rel=1e-6, abs=0)
    assert fit.params["gamma"] == pytest.approx(base.params["gamma"] * factor, rel=1e-6, abs=0)
    np.testing.assert_allclose(
        np.sqrt(np.diag(fit.fit_result.cov_unconstrained)),
        np.sqrt(np.diag(base.fit_result.cov_unconstrained)),
        rtol=1e-6,
    )  # standard errors of ln p, ln q, ln gamma
    if abs(math.log10(factor)) <= 150:
        assert fit.fit_result.bse["gamma"] == pytest.approx(
            base.fit_result.bse["gamma"] * factor, rel=1e-6, abs=0
        )
    n = base.fit_result.nobs
    assert fit.fit_result.log_likelihood == pytest.approx(
        base.fit_result.log_likelihood - n * math.log(factor), rel=1e-10
    )


@pytest.mark.parametrize("truth", [(6.25, 3.74, 15.44), (0.6, 1.2, 300.0), (40.0, 15.0, 2e-6)])
def test_log_moment_start_recovers_simulated_parameters(
    truth: tuple[float, float, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The method of moments of ln(zbar) given x is consistent: on all of 200,000 customers
    simulated with known parameters its estimates are within 15 % of them (p's standard
    deviation there is 1-4 %, the largest at p = 40, where the variances of ln zbar hardly
    depend on p); on the default 20,000-row sample within 50 % (p's spread is 4-13 % there).
    """
    rng = np.random.default_rng(17)
    x = rng.integers(1, 12, size=200_000).astype(float)
    z = gammagamma.simulate(np.array(truth), x, rng=rng)["monetary_value"]
    np.testing.assert_allclose(gammagamma.log_moment_start(x, z, np.ones(x.size)), truth, rtol=0.5)
    monkeypatch.setattr(gammagamma, "_START_ROWS", 10**9)
    np.testing.assert_allclose(gammagamma.log_moment_start(x, z, np.ones(x.size)), truth, rtol=0.15)


def test_log_moment_start_is_finite_on_degenerate_data() -> None:
    """One frequency (the variances cannot separate p and q), huge frequencies, two rows."""
    rng = np.random.default_rng(3)
    cases = [
        (np.ones(500), rng.gamma(6.0, 3.0, 500)),
        (np.array([1e12, 1e12, 5e11]), np.array([1.0, 2.0, 3.0])),
        (np.array([1.0, 2.0]), np.array([1e-300, 1e300])),
    ]
    for x, z in cases:
        start = gammagamma.log_moment_start(x, z, np.ones(x.shape[0]))
        assert np.all(np.isfinite(start)) and np.all(start > 0), (x, z, start)


def test_weighted_rows_fit_as_the_customers_they_stand_for() -> None:
    """Weights are counts: the fit of grouped rows (customers without repeat purchases
    among them) equals that of the expanded rows, and n_excluded counts customers."""
    rng = np.random.default_rng(8)
    x = rng.integers(0, 6, size=3000).astype(float)
    z = np.where(x > 0, np.round(rng.gamma(6.0, 4.0, size=3000), 0) + 1.0, 0.0)
    frame = pd.DataFrame({"frequency": x, "monetary_value": z})
    grouped = frame.value_counts().rename("weights").reset_index()
    expanded = GammaGamma.fit(frame, compress=False)
    weighted = GammaGamma.fit(grouped, weights=grouped["weights"].to_numpy(float))
    np.testing.assert_allclose(weighted.params_array, expanded.params_array, rtol=1e-7)
    assert weighted.fit_result.extra["n_excluded"] == int((x == 0).sum())
    assert expanded.fit_result.extra["n_excluded"] == int((x == 0).sum())
    assert weighted.fit_result.nobs == int((x > 0).sum())


def test_zero_spend_of_a_repeat_buyer_names_the_customer() -> None:
    df = pd.DataFrame(
        {"frequency": [0, 2, 1, 3], "monetary_value": [0.0, 10.0, 0.0, 5.0]},
        index=pd.Index(["a", "b", "c", "d"]),
    )
    with pytest.raises(DataError, match=r"monetary_value.*'c'") as err:
        GammaGamma.fit(df)
    assert err.value.column == "monetary_value"


def test_fixed_gamma_in_tiny_money_units(cdnow_spend: pd.DataFrame) -> None:
    """A restricted fit holds gamma at the given value in the data's units (fitted in units of
    a power of two internally)."""
    factor = 1e-200
    base = GammaGamma.fit(cdnow_spend, fixed={"gamma": 15.0})
    scaled = cdnow_spend.assign(monetary_value=cdnow_spend["monetary_value"] * factor)
    fit = GammaGamma.fit(scaled, fixed={"gamma": 15.0 * factor})
    assert fit.params["gamma"] == 15.0 * factor
    assert fit.fit_result.extra["fixed"] == {"gamma": 15.0 * factor}
    for name in ("p", "q"):
        assert fit.params[name] == pytest.approx(base.params[name], rel=1e-6)


def test_bad_start_and_fixed_q_are_named_not_blamed_on_the_data() -> None:
    """A start value outside its domain, or q held at <= 1, were reported as 'these spend data
    imply ... an infinite mean spend'."""
    x, z = [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]
    with pytest.raises(ParameterError, match="outside its domain") as err:
        GammaGamma.fit(frequency=x, monetary_value=z, start={"p": -1.0, "q": 3.0, "gamma": 2.0})
    assert err.value.argument == "p"
    with pytest.raises(ParameterError, match="needs q > 1") as err:
        GammaGamma.fit(frequency=x, monetary_value=z, fixed={"q": 0.5})
    assert err.value.argument == "q"


def test_fitting_pass_with_per_block_sums_matches_the_gradient_rows() -> None:
    """The engine's Hessian pass (per-block sums computed once when the objective is built,
    :func:`gammagamma._hessian_sums`) on three blocks of rows, the last of which holds only
    small frequencies (its counts end before the grid does), with uneven weights: its value and
    gradient equal the gradient rows' pass (checked against mpmath above) and its Hessian the
    central differences of that gradient."""
    from relmark.clv import _engine

    rng = np.random.default_rng(5)
    n = 2 * 32_768 + 4_000
    x = rng.integers(1, 60, size=n).astype(float)
    x[-4_000:] = rng.integers(1, 4, size=4_000)
    z = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(x, rng=rng)["monetary_value"]
    w = rng.integers(1, 5, size=n).astype(float)
    pset = GammaGamma.param_set
    fun = _engine._objective(GammaGamma.likelihood, pset, (x, z), w, float(w.sum()))
    assert len(fun.blocks) == 3
    u = pset.to_unconstrained(np.array([5.0, 4.0, 12.0]))
    f, g = fun(u)
    f_h, g_h, h = fun.hessian(u)
    assert f_h == pytest.approx(f, rel=1e-13)
    np.testing.assert_allclose(g_h, g, rtol=1e-10, atol=1e-14)
    step = 1e-5
    fd = np.empty((3, 3))
    for i in range(3):
        e = np.zeros(3)
        e[i] = step
        fd[:, i] = (fun(u + e)[1] - fun(u - e)[1]) / (2 * step)
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-9 * np.abs(fd).max())


def test_a_time_unit_other_than_the_summarys_is_refused() -> None:
    """A weekly summary fitted with ``time_unit="D"`` was labelled days without a word (the
    spend model and its purchase model then disagreed about the unit): an ArgumentError
    naming ``time_unit`` and both units; an equal unit ("7D" is "W") is the summary's."""
    from relmark.data import RFMSummary
    from relmark.errors import ArgumentError

    x = np.tile([1.0, 2.0, 3.0, 5.0], 100)
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(x, rng=3)["monetary_value"]
    summary = RFMSummary(
        customer_id=np.arange(400),
        frequency=x,
        recency=x + 1.0,
        T=np.full(400, 10.0),
        monetary_value=spend,
        time_unit="W",
    )
    assert GammaGamma.fit(summary, time_unit="7D").time_unit == "W"
    with pytest.raises(ArgumentError, match=r"'D'.*'W'") as info:
        GammaGamma.fit(summary, time_unit="D")
    assert info.value.argument == "time_unit"


@pytest.mark.filterwarnings("ignore::relmark.errors.ConvergenceWarning")
def test_spend_implying_an_infinite_mean_names_q_in_plain_words() -> None:
    """One spend of 1e300 among eight: the likelihood peaks at q <= 1 and the fit's error said
    'these spend data imply got q=0.00978'; it states the value it implies."""
    x = np.array([1.0, 2, 3, 1, 4, 0, 2, 5])
    z = np.array([10.0, 20, 1e300, 12, 30, 0, 25, 18])
    with pytest.raises(ParameterError) as info:
        GammaGamma.fit(frequency=x, monetary_value=z)
    text = str(info.value)
    assert "imply q=0.0" in text and "got" not in text
