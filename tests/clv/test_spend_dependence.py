"""Frequency-dependent Gamma-Gamma against the Gamma-Gamma at delta = 0, numerical integration
over nu, simulation with known dependence, and the CDNOW sample."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import integrate, stats

from relmark.clv import BGNBD, FrequencyGammaGamma, GammaGamma, clv, load_model
from relmark.clv import spend_dependence as sd
from relmark.datasets import load_cdnow_summary
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError


def test_delta_zero_is_the_gamma_gamma_exactly() -> None:
    """Fader, Hardie & Lee (2005) CDNOW estimates p = 6.25, q = 3.74, gamma = 15.44: at
    delta = 0 the density and the expected spend equal the Gamma-Gamma's, and so does the
    CLV that uses them."""
    dep = FrequencyGammaGamma(p=6.25, q=3.74, gamma=15.44, delta=0.0)
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    x = np.array([1.0, 2, 5, 30])
    z = np.array([10.0, 22.35, 50, 3])
    np.testing.assert_allclose(
        dep.log_likelihood(frequency=x, monetary_value=z),
        gg.log_likelihood(frequency=x, monetary_value=z),
        rtol=1e-12,
    )
    np.testing.assert_allclose(dep.expected_spend(x, z), gg.expected_spend(x, z), rtol=1e-13)
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    a = clv(
        bg, dep, [2, 0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0], periods=12, period_length=4.0
    )
    b = clv(
        bg, gg, [2, 0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0], periods=12, period_length=4.0
    )
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize(("x", "z"), [(1, 12.0), (3, 40.0), (12, 5.5)])
def test_density_equals_integration_over_nu(x: int, z: float) -> None:
    """f(zbar | x) = int Gamma(zbar; shape px, rate x nu) Gamma(nu; shape q, rate gamma_x) dnu
    (scipy quad), with gamma_x = gamma ((1+x)/2)^delta."""
    p, q, g, d = 4.0, 3.0, 20.0, 0.3
    gx = g * ((1 + x) / 2) ** d
    want, _ = integrate.quad(
        lambda nu: (
            stats.gamma.pdf(z, p * x, scale=1 / (x * nu)) * stats.gamma.pdf(nu, q, scale=1 / gx)
        ),
        0,
        np.inf,
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    got = sd.log_likelihood(np.array([p, q, g, d]), np.array([float(x)]), np.array([z]))[0]
    assert got == pytest.approx(np.log(want), abs=1e-9)


def test_gradient_matches_central_differences() -> None:
    params = np.array([4.0, 3.0, 20.0, 0.3])
    x = np.array([1.0, 2, 5, 30])
    z = np.array([10.0, 22.35, 50, 3])
    _, grad = sd.log_likelihood_and_grad(params, x, z)
    for k in range(4):
        h = np.zeros(4)
        h[k] = 1e-6
        num = (sd.log_likelihood(params + h, x, z) - sd.log_likelihood(params - h, x, z)) / 2e-6
        np.testing.assert_allclose(grad[:, k], num, rtol=1e-6, atol=1e-8)


def test_expected_spend_agrees_with_simulation() -> None:
    """E[Z | x] over customers of frequency x (not conditioning on their spend) is
    p gamma ((1+x)/2)^delta / (q-1); 400,000 simulated customers' mean spend agrees within 4
    standard errors at each x."""
    model = FrequencyGammaGamma(p=4.0, q=5.0, gamma=20.0, delta=0.4)
    for x in (1, 4):
        sim = model.simulate(np.full(400_000, x), rng=x)
        z = sim["monetary_value"]
        want = float(model.mean_spend_at(x)[0])
        assert abs(z.mean() - want) < 4 * z.std() / np.sqrt(z.size)


def test_fit_recovers_a_known_dependence() -> None:
    """Simulated from delta = 0.35 (frequent buyers spend more): the fit recovers every
    parameter within 4 standard errors and rejects delta = 0."""
    truth = FrequencyGammaGamma(p=4.0, q=5.0, gamma=20.0, delta=0.35)
    rng = np.random.default_rng(42)
    sim = truth.simulate(rng.integers(1, 15, size=20_000), rng=rng)
    fitted = FrequencyGammaGamma.fit(sim)
    for name, value in truth.params.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.fit_result.bse[name], name
    assert fitted.params["delta"] / fitted.fit_result.bse["delta"] > 5
    assert load_model(fitted.to_json()) == fitted


def test_independent_data_give_delta_near_zero_and_the_gamma_gammas_fit() -> None:
    """Simulated from the Gamma-Gamma (independence): delta's 95 % interval contains 0 and the
    likelihood-ratio statistic against the Gamma-Gamma fit is below 3.84."""
    truth = GammaGamma(p=4.0, q=5.0, gamma=20.0)
    rng = np.random.default_rng(7)
    sim = truth.simulate(rng.integers(1, 15, size=20_000), rng=rng)
    dep, gg = FrequencyGammaGamma.fit(sim), GammaGamma.fit(sim)
    lo, hi = dep.fit_result.conf_int(0.95)["delta"]
    assert lo < 0 < hi
    lr = 2 * (dep.fit_result.log_likelihood - gg.fit_result.log_likelihood)
    assert -1e-6 < lr < 3.84


def test_cdnow_spend_depends_on_frequency() -> None:
    """CDNOW sample (2,357 customers, 946 repeat buyers; Fader, Hardie & Lee 2005). The
    Gamma-Gamma fit reproduces FHL's p = 6.25, q = 3.74, gamma = 15.44; the frequency-dependent
    fit has delta = 0.225 (standard error 0.041), and the likelihood-ratio statistic
    2 (-4040.68 + 4055.92) = 30.5 rejects independence (chi-square, 1 df, p < 1e-7)."""
    data = load_cdnow_summary(with_monetary=True)
    gg = GammaGamma.fit(data)
    assert [round(gg.params[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.45]
    dep = FrequencyGammaGamma.fit(data)
    assert dep.params["delta"] == pytest.approx(0.225, abs=0.001)
    lr = 2 * (dep.fit_result.log_likelihood - gg.fit_result.log_likelihood)
    assert lr == pytest.approx(30.48, abs=0.01)
    assert stats.chi2.sf(lr, 1) < 1e-7


M = FrequencyGammaGamma(p=4.0, q=3.0, gamma=20.0, delta=0.3)
BAD: list[tuple[Callable[[], object], type[Exception], str]] = [
    (lambda: FrequencyGammaGamma(p=4.0, q=3.0, gamma=20.0), ParameterError, "delta"),
    (lambda: FrequencyGammaGamma(p=4.0, q=3.0, gamma=20.0, delta=11.0), ParameterError, "delta"),
    (lambda: FrequencyGammaGamma(p=4.0, q=0.9, gamma=20.0, delta=0.0), ParameterError, "q"),
    (lambda: FrequencyGammaGamma(p=-4.0, q=3.0, gamma=20.0, delta=0.0), ParameterError, "p"),
    (lambda: FrequencyGammaGamma(p=4.0, q=3.0, gamma="a", delta=0.0), ParameterError, "gamma"),  # type: ignore[arg-type]
    (lambda: M.expected_spend([-1], [10.0]), DataError, "frequency"),
    (lambda: M.expected_spend([1.5], [10.0]), DataError, "frequency"),
    (lambda: M.expected_spend([1], [-10.0]), DataError, "monetary_value"),
    (lambda: M.expected_spend([1], [np.nan]), DataError, "monetary_value"),
    (lambda: M.expected_spend([1, 2], [1.0, 2.0, 3.0]), DataError, "monetary_value"),
    (lambda: M.mean_spend_at([-2]), DataError, "frequency"),
    (lambda: M.simulate([1.5]), DataError, "frequency"),
    (lambda: M.simulate([1], rng=-1), ArgumentError, "rng"),
    (
        lambda: FrequencyGammaGamma.fit(frequency=[0, 0], monetary_value=[0.0, 0.0]),
        DataError,
        "spend",
    ),
    (
        lambda: FrequencyGammaGamma.fit(frequency=[1, 2], monetary_value=[0.0, 3.0]),
        DataError,
        "monetary_value",
    ),
    (lambda: FrequencyGammaGamma.fit(frequency=[1, 2]), DataError, "monetary_value"),
    (
        lambda: FrequencyGammaGamma.fit(frequency=[1], monetary_value=[2.0], T=[3.0]),
        ArgumentError,
        "T",
    ),
    (
        lambda: FrequencyGammaGamma.from_json(GammaGamma(p=1, q=2, gamma=3).to_json()),
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


# ------------------------------------------------------------- adversarial review regressions
HUGE = FrequencyGammaGamma(p=1.0, q=2.0, gamma=1.0, delta=9.9)
REVIEW_BAD: list[tuple[Callable[[], object], type[Exception], str]] = [
    # gamma_x = gamma ((1+x)/2)^delta overflowed: a RuntimeWarning and inf out
    (lambda: HUGE.mean_spend_at(1e300), DataError, "frequency"),
    (lambda: HUGE.expected_spend(1e300, 5.0), DataError, "frequency"),
    (lambda: HUGE.simulate([1e300], rng=1), DataError, "frequency"),
]


@pytest.mark.parametrize(("call", "error", "name"), REVIEW_BAD)
def test_review_bad_inputs_are_refused_naming_the_argument(
    call: Callable[[], object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error) as info:
        call()
    exc = info.value
    named = (
        getattr(exc, "argument", None) or getattr(exc, "column", None) or getattr(exc, "key", None)
    )
    assert named == name


def test_mean_spend_is_the_mean_at_one_repeat_purchase() -> None:
    """The inherited GammaGamma.mean_spend unpacked three parameters from four (a raw
    ValueError); it is p gamma / (q - 1), by hand 6.25 * 15.44 / 2.74 = 35.2190..., the
    mean_spend_at(1)."""
    m = FrequencyGammaGamma(p=6.25, q=3.74, gamma=15.44, delta=0.3)
    assert m.mean_spend == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-12)
    assert m.mean_spend == pytest.approx(float(m.mean_spend_at(1)[0]), rel=1e-12)


def test_clv_uses_the_frequency_dependent_spend() -> None:
    """CLV = (discounted expected purchases) x (expected spend per transaction): with the same
    purchase model, the CLV with a FrequencyGammaGamma divided by its expected spend, computed
    here by hand, p (gamma_x + x zbar) / (p x + q - 1) with gamma_x = gamma ((1+x)/2)^delta,
    equals the CLV with the Gamma-Gamma divided by the Gamma-Gamma's (delta = 0.225, CDNOW's
    estimate); the two CLVs agree at x = 1 (gamma_1 = gamma) and differ elsewhere by the
    factor (1+x)^delta brings."""
    p, q, g, delta = 6.25, 3.74, 15.44, 0.225
    dep = FrequencyGammaGamma(p=p, q=q, gamma=g, delta=delta)
    gg = GammaGamma(p=p, q=q, gamma=g)
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x = np.array([0.0, 1, 2, 5, 14])
    tx = np.array([0.0, 20.0, 30.43, 35.0, 38.0])
    T = np.full(5, 38.86)
    z = np.array([0.0, 30.0, 22.35, 40.0, 15.0])
    kw: dict[str, Any] = {"periods": 12, "period_length": 4.0, "discount_rate": 0.01}
    with_dep = clv(bg, dep, x, tx, T, z, **kw)
    with_gg = clv(bg, gg, x, tx, T, z, **kw)
    g_x = g * ((1 + x) / 2) ** delta
    spend_dep = p * (g_x + x * z) / (p * x + q - 1)
    spend_gg = p * (g + x * z) / (p * x + q - 1)
    np.testing.assert_allclose(with_dep / spend_dep, with_gg / spend_gg, rtol=1e-12)
    assert with_dep[1] == pytest.approx(with_gg[1], rel=1e-12)
    assert np.all(np.abs(with_dep[[0, 2, 3, 4]] / with_gg[[0, 2, 3, 4]] - 1) > 1e-3)
