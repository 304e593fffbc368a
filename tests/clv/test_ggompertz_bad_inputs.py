"""GGompertz/NBD with bad and extreme inputs: a saved boundary fit that was edited is refused
naming the key, the boundary likelihood-ratio test refuses fits it cannot compare, and extreme
but valid parameters and horizons give finite values equal to mpmath's."""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest

from relmark.clv import BGNBD, GGompertzNBD, ParetoNBD
from relmark.clv import ggompertz as gg
from relmark.errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    ModelNotFittedError,
    SchemaError,
)

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def pareto_data() -> dict[str, np.ndarray]:
    sim = ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=12.0).simulate([60.0] * 2000, rng=3)
    return {k: sim[k] for k in ("frequency", "recency", "T")}


@pytest.fixture(scope="module")
def boundary_fit(pareto_data: dict[str, np.ndarray]) -> GGompertzNBD:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit = GGompertzNBD.fit(pareto_data)
    assert "boundary" in fit.fit_result.extra
    return fit


def _set_rows(names: tuple[str, ...], value: float) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        cov = d["fit"]["cov_unconstrained"]
        for k in (["r", "alpha", "b", "s", "beta"].index(n) for n in names):
            for i in range(5):
                cov[k][i] = cov[i][k] = value
            if value == 0.0:
                cov[k][k] = 0.01

    return edit


def _boundary(key: str, value: object) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["fit"]["extra"]["boundary"][key] = value

    return edit


def _both_b(d: dict[str, Any]) -> None:  # b edited in the model and in the fit alike
    d["params"]["b"] = d["fit"]["params"]["b"] = 0.5


def _gain(d: dict[str, Any]) -> None:
    d["fit"]["extra"]["boundary"]["gain"] = 0.5
    d["fit"]["extra"]["boundary"]["statistic"] = 1.0


def _nested_r(d: dict[str, Any]) -> None:
    d["fit"]["extra"]["boundary"]["nested_params"]["r"] *= 1.5


def _not_converged(d: dict[str, Any]) -> None:
    d["fit"]["converged"] = False


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (_set_rows(("r",), float("nan")), "fit.cov_unconstrained"),  # r lost its error
        (_set_rows(("b", "beta"), 0.0), "fit.cov_unconstrained"),  # b and beta gained some
        (lambda d: d["fit"]["extra"].pop("boundary"), "fit.cov_unconstrained"),
        (_boundary("parameter", "r"), "fit.extra.boundary"),
        (lambda d: d["fit"]["extra"].__setitem__("boundary", 3), "fit.extra.boundary"),
        (_boundary("without_bse", ["b"]), "fit.cov_unconstrained"),
        (_boundary("p_value", "x"), "fit.extra.boundary.p_value"),
        (_boundary("p_value", 0.01), "fit.extra.boundary.p_value"),
        (_boundary("statistic", float("nan")), "fit.extra.boundary.statistic"),
        (_boundary("score", True), "fit.extra.boundary.score"),
        (_boundary("zzz", 1), "fit.extra.boundary.zzz"),
        (lambda d: d["fit"]["extra"]["boundary"].pop("gain"), "fit.extra.boundary.gain"),
        (_boundary("nested", "BGNBD"), "fit.extra.boundary.nested"),
        (_boundary("nested_bse", {"r": 1.0}), "fit.extra.boundary.nested_bse"),
        (_boundary("nested_log_likelihood", -1.0), "fit.extra.boundary.nested_log_likelihood"),
        (_boundary("unconstrained_fit", {"params": {}}), "fit.extra.boundary.unconstrained_fit"),
        (_both_b, "fit.extra.boundary.nested_params.beta"),
        (_nested_r, "fit.extra.boundary.nested_params.r"),
        (_gain, "fit.extra.boundary.statistic"),
        (_not_converged, "fit.converged"),
    ],
)
def test_an_edited_boundary_fit_is_refused_naming_the_key(
    boundary_fit: GGompertzNBD, edit: Edit, key: str
) -> None:
    saved = json.loads(boundary_fit.to_json())
    assert GGompertzNBD.from_dict(copy.deepcopy(saved)) == boundary_fit
    edit(saved)
    with pytest.raises(SchemaError) as info:
        GGompertzNBD.from_json(json.dumps(saved))
    assert info.value.key == key


def test_nan_rows_without_a_boundary_are_refused(pareto_data: dict[str, np.ndarray]) -> None:
    """A fit that is not on a boundary has all its standard errors or none: NaN written into
    the rows of BG/NBD's alpha (or an interior GGompertz/NBD's b and beta) is an edit."""
    saved = json.loads(BGNBD.fit(pareto_data).to_json())
    cov = saved["fit"]["cov_unconstrained"]
    for i in range(4):
        cov[1][i] = cov[i][1] = float("nan")
    with pytest.raises(SchemaError) as info:
        BGNBD.from_json(json.dumps(saved))
    assert info.value.key == "fit.cov_unconstrained"
    assert "alpha" in str(info.value)


def test_lr_test_refuses_fits_that_cannot_be_of_the_same_data(
    pareto_data: dict[str, np.ndarray], boundary_fit: GGompertzNBD
) -> None:
    """The GGompertz/NBD nests the Pareto/NBD, so its maximum is at least the Pareto/NBD's:
    a Pareto/NBD fitted on other data with the same number of customers (whose log-likelihood
    is not the one the boundary fit recorded), a GGompertz/NBD far below the Pareto/NBD, or
    two time units are refused naming the argument, instead of a statistic of 0 and p = 1."""
    pareto = ParetoNBD.fit(pareto_data)
    statistic, p = gg.pareto_nbd_lr_test(pareto, boundary_fit)
    assert statistic < 2 * gg.BOUNDARY_TOLERANCE and p > 0.49
    other = GGompertzNBD(r=0.55, alpha=10.6, b=0.05, s=0.6, beta=0.5).simulate([60.0] * 2000, rng=4)
    other_pareto = ParetoNBD.fit({k: other[k] for k in ("frequency", "recency", "T")})
    with pytest.raises(ArgumentError) as info:
        gg.pareto_nbd_lr_test(other_pareto, boundary_fit)
    assert info.value.argument == "restricted"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        below = GGompertzNBD.fit(pareto_data, fixed={"b": 0.2}).fit_result
    assert below.log_likelihood < pareto.fit_result.log_likelihood - 1.0
    # the same fit without its record of fixing b, as a fit that stopped short would be
    unrestricted = GGompertzNBD._make(
        below.params, time_unit=None, fit=dataclasses.replace(below, extra={})
    )
    with pytest.raises(ArgumentError) as info:
        gg.pareto_nbd_lr_test(pareto, unrestricted)
    assert info.value.argument == "full"
    weekly = ParetoNBD.fit(pareto_data, time_unit="W")
    with pytest.raises(ArgumentError) as info:
        gg.pareto_nbd_lr_test(weekly, boundary_fit.with_time_unit("D"))
    assert info.value.argument == "full"
    assert "time unit" in str(info.value)


def _mp_log_likelihood(p: tuple[float, ...], x: float, tx: float, T: float) -> float:
    """mpmath's quadrature on 100 equal panels over the integrand's fall by e^-80 from tx (its
    log-slope there is b((s+1)/I(tx) - 1)), then to T."""
    with mpmath.workdps(20):
        r, a, b, s, beta = (mpmath.mpf(v) for v in p)

        def d(t: Any) -> Any:
            return beta + mpmath.expm1(b * t)

        def dead(t: Any) -> Any:
            return a**r / (a + t) ** (r + x) * s * b * mpmath.exp(b * t) * beta**s / d(t) ** (s + 1)

        rate = b * ((s + 1) / (d(tx) * mpmath.exp(-b * tx)) - 1)
        width = min(mpmath.mpf(T - tx), 80 / rate)
        pts = [tx + width * k / 100 for k in range(101)] + ([T] if width < T - tx else [])
        alive = a**r / (a + T) ** (r + x) * (beta / d(T)) ** s
        total = mpmath.gamma(r + x) / mpmath.gamma(r) * (alive + mpmath.quad(dead, pts))
        return float(mpmath.log(total))


@pytest.mark.parametrize(
    ("p", "row"),
    [
        ((0.55, 10.6, 0.05, 200.0, 0.01), (0.0, 0.0, 40.0)),  # was 0.014 off
        ((0.55, 10.6, 1.0, 1e6, 0.01), (0.0, 0.0, 40.0)),  # was 0.93 off
        ((0.55, 10.6, 0.05, 1e6, 100.0), (2.0, 1.0, 40.0)),  # was an OverflowError
        ((0.55, 10.6, 1.0, 200.0, 0.01), (2.0, 1.0, 40.0)),
        ((0.55, 10.6, 0.05, 50.0, 0.12), (5.0, 30.0, 40.0)),
    ],
)
def test_log_likelihood_with_a_strong_gompertz_part_equals_mpmath(
    p: tuple[float, ...], row: tuple[float, float, float]
) -> None:
    """A large s (lifetimes that end within a fraction of a time unit of the last purchase)
    puts the dead term's mass within 1e-6 of t_x and makes the pole of the density's ln I of
    order s + 1: the panels follow the fall of ln I too and grade towards the pole by the
    pole's order, so the likelihood stays within 1e-9 of mpmath's (relative to max(1, |ln L|))."""
    x, tx, T = (np.array([v]) for v in row)
    got = float(gg.log_likelihood(np.array(p), x, tx, T)[0])
    want = _mp_log_likelihood(p, *row)
    assert abs(got - want) <= 1e-9 * max(1.0, abs(want))


def test_extreme_parameters_and_ages_give_finite_values_without_raw_errors() -> None:
    """s = 1e300 (every customer dies at once) gives a finite log-likelihood (0 for a customer
    without repeat purchases, who died at once with probability 1), without numpy warnings; a fit
    on ages of 1e300 is refused with the Pareto/NBD's DataError naming T (its typical age is
    beyond ``TIME_SCALE_LIMITS``: the boundary reference, a Pareto/NBD fit, overflowed in its
    Hessian; earlier numpy's ValueError, the panels' count overflowing), with or without
    start values."""
    model = GGompertzNBD(r=0.55, alpha=10.6, b=0.01, s=1e300, beta=0.12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = model.log_likelihood(frequency=[0, 2, 5], recency=[0, 30, 35], T=[40, 40, 40])
    assert np.all(np.isfinite(ll))
    assert abs(ll[0]) < 1e-12
    assert ll[1] == pytest.approx(1e300 * np.log(0.12 / (0.12 + np.expm1(0.3))), rel=1e-6)
    data = {"frequency": [0, 1, 2], "recency": [0, 1e299, 2e299], "T": [1e300] * 3}
    for start in (None, {"r": 1.0, "alpha": 1e300, "b": 1e-300, "s": 1.0, "beta": 1.0}):
        with pytest.raises(DataError, match=r"typical age .* GGompertz/NBD fit") as info:
            GGompertzNBD.fit(data, start=start)
        assert info.value.column == "T"


@pytest.mark.parametrize(
    "p",
    [
        {"r": 0.55, "alpha": 10.6, "b": 0.01, "s": 0.6, "beta": 0.12},
        {"r": 0.55, "alpha": 10.6, "b": 0.01, "s": 0.05, "beta": 30.0},  # slow fall, beta > 1
        {"r": 0.55, "alpha": 10.6, "b": 0.001, "s": 0.1, "beta": 0.01},  # near pole
    ],
)
def test_long_horizons_equal_mpmath(p: dict[str, float]) -> None:
    """Expected purchases over 1e4, 1e5 and 1e300 time units (the whole lifetime) equal
    mpmath's integral of the survival, and P(X = n) over 1e300 its integral over the
    lifetime: 128 nodes spread over [0, t] gave 6e-4 too little at 1e4, 10% at 1e5 and 0 at
    1e300."""
    model = GGompertzNBD(**p)
    r, a, b, s, beta = (mpmath.mpf(v) for v in p.values())
    with mpmath.workdps(20):

        def d(t: Any) -> Any:
            return beta + mpmath.expm1(b * t)

        for T0 in (0.0, 40.0):
            for t in (1e4, 1e5, 1e300):
                top = min(mpmath.mpf(t), mpmath.mpf(1e7))
                pts = [0, *(mpmath.mpf(10) ** k for k in range(-3, 8) if 10**k < top), top]
                time_alive = mpmath.quad(lambda u, T0=T0: (d(T0) / d(T0 + u)) ** s, pts)
                want = float((r / (a + T0)) * time_alive)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    if T0 == 0.0:
                        got = float(model.expected_purchases_new_customer(t=t)[0])
                    else:
                        cep = model.conditional_expected_purchases(0, 0, T0, t=t)
                        got = float(cep[0] / model.p_alive(0, 0, T0)[0])
                assert got == pytest.approx(want, rel=1e-10)
        for n in (0, 1, 5):

            def mass(t: Any, n: int = n) -> Any:
                nb = mpmath.gamma(r + n) / (mpmath.gamma(r) * mpmath.factorial(n))
                nb *= (a / (a + t)) ** r * (t / (a + t)) ** n
                return nb * s * b * mpmath.exp(b * t) * beta**s / d(t) ** (s + 1)

            want = float(mpmath.quad(mass, [0, 1, 10, 100, 1e3, 1e4, 1e5, 1e6, mpmath.inf]))
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # log(0) of the survival at 1e300 warned
                got = float(model.prob_purchases(n, t=1e300)[0])
            assert got == pytest.approx(want, rel=1e-9)


def test_a_boundary_fit_says_why_it_cannot_draw_parameters(
    pareto_data: dict[str, np.ndarray], boundary_fit: GGompertzNBD
) -> None:
    """Draws (and intervals) from a boundary fit are refused for the right reason: the
    boundary, not a Hessian that is not positive definite; settings={} (GGompertz/NBD has
    none) is no reason to skip the boundary check."""
    for call in (
        lambda: boundary_fit.sample_params(5, rng=1),
        lambda: boundary_fit.interval(lambda m: m.p_alive(1, 1, 2), n_draws=10, rng=1),
    ):
        with pytest.raises(ModelNotFittedError) as info:
            call()
        assert "boundary" in str(info.value) and "Hessian" not in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        again = GGompertzNBD.fit(pareto_data, settings={})
    assert again.fit_result.extra["boundary"] == boundary_fit.fit_result.extra["boundary"]
