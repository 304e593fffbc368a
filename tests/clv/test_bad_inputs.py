# mypy: disable-error-code="arg-type,type-var,call-overload"
# (this module passes ill-typed values on purpose)
"""Bad input to every CLV model, function and loader: each case asserts the error type and that
the error names the argument, column or JSON key (issue 15, items 3, 4 and 6).

Arguments (horizons, counts, rates, levels, draws, settings) raise ArgumentError naming the
argument; per-customer data raise DataError naming the column; saved JSON raises SchemaError
naming the key. Nothing raw (TypeError, ValueError from numpy, MemoryError) and nothing silent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from relmark.clv import (
    BGBB,
    BGNBD,
    MBGNBD,
    SBG,
    CLVModel,
    GammaGamma,
    ParetoNBD,
    clv,
    clv_from_dert,
    clv_interval,
    get_model,
    load_model,
    models_of_kind,
    score,
)
from relmark.clv._rfm import RFMModel
from relmark.errors import ArgumentError, DataError, ParameterError, RelmarkError, SchemaError

pytestmark = pytest.mark.filterwarnings("ignore::relmark.errors.ConvergenceWarning")

PUBLISHED: dict[str, dict[str, float]] = {
    "BGNBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "MBGNBD": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "BGBB": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
    "GammaGamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
    "SBG": {"alpha": 0.704, "beta": 1.182},
}
PURCHASE: dict[str, type[RFMModel]] = {
    "BGNBD": BGNBD,
    "MBGNBD": MBGNBD,
    "ParetoNBD": ParetoNBD,
    "BGBB": BGBB,
}
ALL: dict[str, type[CLVModel]] = {**PURCHASE, "GammaGamma": GammaGamma, "SBG": SBG}
NAN, INF = float("nan"), float("inf")


def given(name: str) -> Any:
    """A model at its published parameters, with a time unit."""
    return ALL[name](**PUBLISHED[name]).with_time_unit("W")


@functools.cache
def fitted(name: str) -> Any:
    """A model fitted to data simulated from its published parameters (small and fast)."""
    rng = np.random.default_rng(7)
    truth: Any = ALL[name](**PUBLISHED[name])
    if name == "SBG":
        return SBG.fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    if name == "GammaGamma":
        data = truth.simulate(rng.integers(1, 8, size=400), rng=rng)
        return GammaGamma.fit(data, time_unit="W")
    T = rng.integers(3, 12, size=600).astype(float) if name == "BGBB" else np.full(600, 39.0)
    data = truth.simulate(T, rng=rng)
    return ALL[name].fit({k: data[k] for k in ("frequency", "recency", "T")}, time_unit="W")


def _named(exc: BaseException) -> str | None:
    if isinstance(exc, ArgumentError):
        return exc.argument
    if isinstance(exc, DataError):
        return exc.column
    if isinstance(exc, SchemaError):
        return exc.key
    return None


def assert_refused(call: Callable[[], object], error: type[RelmarkError], name: str) -> None:
    """``call()`` raises ``error`` (a relmark error) naming ``name``, in its attribute and in
    its message."""
    with pytest.raises(RelmarkError) as info:
        call()
    exc = info.value
    assert type(exc) is error or (error is ArgumentError and type(exc) is ParameterError), (
        f"{type(exc).__name__}: {exc}"
    )
    assert _named(exc) == name, f"names {_named(exc)!r}, not {name!r}: {exc}"
    assert repr(name) in str(exc)


# --------------------------------------------------------------------------- purchase models
def purchase_cases(name: str) -> list[tuple[str, Callable[[Any], object], type[RelmarkError], str]]:
    """(id, call on the model, error, name) for one purchase model."""
    T = 6 if name == "BGBB" else 38.86
    cases: list[tuple[str, Callable[[Any], object], type[RelmarkError], str]] = [
        ("p_alive frequency text", lambda m: m.p_alive("2", 3, T), DataError, "frequency"),
        ("p_alive frequency bool", lambda m: m.p_alive(True, 3, T), DataError, "frequency"),
        ("p_alive frequency negative", lambda m: m.p_alive(-1, 0, T), DataError, "frequency"),
        ("p_alive frequency fractional", lambda m: m.p_alive(1.5, 3, T), DataError, "frequency"),
        ("p_alive recency NaN", lambda m: m.p_alive(1, NAN, T), DataError, "recency"),
        ("p_alive recency > T", lambda m: m.p_alive(1, T + 1, T), DataError, "recency"),
        ("p_alive T infinite", lambda m: m.p_alive(1, 3, INF), DataError, "T"),
        ("p_alive T 2-d", lambda m: m.p_alive(1, 3, [[T]]), DataError, "T"),
        (
            "horizon negative",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=-1),
            ArgumentError,
            "t",
        ),
        (
            "horizon NaN",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=NAN),
            ArgumentError,
            "t",
        ),
        (
            "horizon infinite",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=INF),
            ArgumentError,
            "t",
        ),
        (
            "horizon text",
            lambda m: m.conditional_expected_purchases(2, 3, T, t="4"),
            ArgumentError,
            "t",
        ),
        (
            "horizon bool",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=True),
            ArgumentError,
            "t",
        ),
        (
            "horizon None",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=None),
            ArgumentError,
            "t",
        ),
        (
            "horizon 2-d",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=[[1, 2]]),
            ArgumentError,
            "t",
        ),
        (
            "horizon empty",
            lambda m: m.conditional_expected_purchases(2, 3, T, t=[]),
            ArgumentError,
            "t",
        ),
        (
            "horizons for other customers",
            lambda m: m.conditional_expected_purchases([1, 2], [3, 4], [T, T], t=[1, 2, 3]),
            ArgumentError,
            "t",
        ),
        (
            "new customer horizon negative",
            lambda m: m.expected_purchases_new_customer(t=-0.5),
            ArgumentError,
            "t",
        ),
        ("prob_purchases n negative", lambda m: m.prob_purchases(-1, t=4), ArgumentError, "n"),
        ("prob_purchases n fractional", lambda m: m.prob_purchases(1.5, t=4), ArgumentError, "n"),
        ("prob_purchases n text", lambda m: m.prob_purchases("1", t=4), ArgumentError, "n"),
        ("prob_purchases t NaN", lambda m: m.prob_purchases(1, t=NAN), ArgumentError, "t"),
        (
            "prob_purchases shapes",
            lambda m: m.prob_purchases([1, 2, 3], t=[4, 5]),
            ArgumentError,
            "n",
        ),
        ("simulate T negative", lambda m: m.simulate([-1.0], rng=1), ArgumentError, "T"),
        ("simulate T NaN", lambda m: m.simulate([NAN], rng=1), ArgumentError, "T"),
        (
            "parameter negative",
            lambda m: type(m)(**{**m.params, m.param_set.names[0]: -1.0}),
            ArgumentError,
            m_first(name),
        ),
        (
            "parameter NaN",
            lambda m: type(m)(**{**m.params, m.param_set.names[0]: NAN}),
            ArgumentError,
            m_first(name),
        ),
        (
            "parameter missing",
            lambda m: type(m)(**dict(list(m.params.items())[1:])),
            ArgumentError,
            m_first(name),
        ),
        ("with_params wrong length", lambda m: m.with_params([1.0, 2.0]), ArgumentError, "values"),
        ("time unit unknown", lambda m: m.with_time_unit("fortnight"), ArgumentError, "time_unit"),
        (
            "fit unknown column",
            lambda m: type(m).fit(frequency=[1], recency=[2], T=[T], spend=[3]),
            ArgumentError,
            "spend",
        ),
        (
            "fit compress text",
            lambda m: type(m).fit(frequency=[1], recency=[2], T=[T], compress="yes"),
            ArgumentError,
            "compress",
        ),
        (
            "fit fractional weights",
            lambda m: type(m).fit(frequency=[1, 0], recency=[2, 0], T=[T, T], weights=[0.5, 1]),
            DataError,
            "weights",
        ),
        (
            "fit setting unknown",
            lambda m: type(m).fit(frequency=[1], recency=[2], T=[T], settings={"k": 2}),
            ArgumentError,
            "settings",
        ),
    ]
    if name in ("BGNBD", "ParetoNBD", "BGBB"):
        rate = "discount_rate_per_opportunity" if name == "BGBB" else "continuous_discount_rate"
        cases += [
            ("dert rate zero", lambda m: m.dert(2, 3, T, **{rate: 0.0}), ArgumentError, rate),
            ("dert rate NaN", lambda m: m.dert(2, 3, T, **{rate: NAN}), ArgumentError, rate),
            ("dert rate text", lambda m: m.dert(2, 3, T, **{rate: "0.1"}), ArgumentError, rate),
            ("dert rate bool", lambda m: m.dert(2, 3, T, **{rate: True}), ArgumentError, rate),
        ]
    if name == "BGBB":
        cases += [
            (
                "horizon fractional",
                lambda m: m.conditional_expected_purchases(2, 3, 6, t=1.5),
                ArgumentError,
                "t",
            ),
            (
                "horizon too long",
                lambda m: m.expected_purchases_new_customer(t=1e9),
                ArgumentError,
                "t",
            ),
            ("T fractional", lambda m: m.p_alive(2, 3, 6.5), DataError, "T"),
            ("T too many opportunities", lambda m: m.p_alive(2, 3, 1e7), DataError, "T"),
            ("frequency > recency", lambda m: m.p_alive(4, 3, 6), DataError, "frequency"),
        ]
    return cases


def m_first(name: str) -> str:
    return ALL[name].param_set.names[0]


PURCHASE_CASES = [
    pytest.param(name, call, error, arg, id=f"{name}-{label}")
    for name in PURCHASE
    for label, call, error, arg in purchase_cases(name)
]


@pytest.mark.parametrize(("name", "call", "error", "argument"), PURCHASE_CASES)
def test_purchase_models_refuse_bad_input(
    name: str, call: Callable[[Any], object], error: type[RelmarkError], argument: str
) -> None:
    assert_refused(lambda: call(given(name)), error, argument)


# conditional P(n purchases) and P(alive) ahead (issue 17, item 3)
AHEAD_CASES: list[tuple[str, Callable[[Any], object], type[RelmarkError], str]] = [
    ("n negative", lambda m: m.conditional_prob_purchases(-1, 2, 3, 6, t=1), ArgumentError, "n"),
    ("n fractional", lambda m: m.conditional_prob_purchases(1.5, 2, 3, 6, t=1), ArgumentError, "n"),
    ("n NaN", lambda m: m.conditional_prob_purchases(NAN, 2, 3, 6, t=1), ArgumentError, "n"),
    ("n text", lambda m: m.conditional_prob_purchases("2", 2, 3, 6, t=1), ArgumentError, "n"),
    ("n boolean", lambda m: m.conditional_prob_purchases(True, 2, 3, 6, t=1), ArgumentError, "n"),
    ("n 2-d", lambda m: m.conditional_prob_purchases([[1]], 2, 3, 6, t=1), ArgumentError, "n"),
    ("n empty", lambda m: m.conditional_prob_purchases([], 2, 3, 6, t=1), ArgumentError, "n"),
    (
        "n length",
        lambda m: m.conditional_prob_purchases([0, 1, 2], [1, 2], [1, 3], 6, t=1),
        ArgumentError,
        "n",
    ),
    ("t negative", lambda m: m.conditional_prob_purchases(1, 2, 3, 6, t=-1), ArgumentError, "t"),
    ("t inf", lambda m: m.conditional_prob_purchases(1, 2, 3, 6, t=np.inf), ArgumentError, "t"),
    ("t text", lambda m: m.conditional_prob_purchases(1, 2, 3, 6, t="1"), ArgumentError, "t"),
    (
        "t length",
        lambda m: m.conditional_prob_purchases(1, [1, 2], [1, 3], 6, t=[1, 2, 3]),
        ArgumentError,
        "t",
    ),
    ("recency > T", lambda m: m.conditional_prob_purchases(1, 2, 7, 6, t=1), DataError, "recency"),
    (
        "frequency fractional",
        lambda m: m.conditional_prob_purchases(1, 2.5, 3, 6, t=1),
        DataError,
        "frequency",
    ),
    ("T NaN", lambda m: m.conditional_prob_purchases(1, 2, 3, NAN, t=1), DataError, "T"),
    ("ahead t negative", lambda m: m.p_alive(2, 3, 6, t=-0.5), ArgumentError, "t"),
    ("ahead t NaN", lambda m: m.p_alive(2, 3, 6, t=NAN), ArgumentError, "t"),
    ("ahead t boolean", lambda m: m.p_alive(2, 3, 6, t=True), ArgumentError, "t"),
    ("ahead t None", lambda m: m.p_alive(2, 3, 6, t=None), ArgumentError, "t"),
    ("ahead t length", lambda m: m.p_alive([1, 2], [1, 3], 6, t=[1, 2, 3]), ArgumentError, "t"),
    ("ahead recency > T", lambda m: m.p_alive(2, 7, 6, t=1), DataError, "recency"),
    ("ahead frequency text", lambda m: m.p_alive("2", 3, 6, t=1), DataError, "frequency"),
]


@pytest.mark.parametrize("name", ["BGNBD", "MBGNBD", "ParetoNBD"])
@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [pytest.param(c, e, a, id=label) for label, c, e, a in AHEAD_CASES],
)
def test_predictions_ahead_refuse_bad_input(
    name: str, call: Callable[[Any], object], error: type[RelmarkError], argument: str
) -> None:
    assert_refused(lambda: call(given(name)), error, argument)


def test_bgbb_without_predictions_ahead_says_so() -> None:
    model = given("BGBB")
    with pytest.raises(ParameterError, match="P\\(alive\\) ahead"):
        model.p_alive(2, 3, 6, t=1)
    with pytest.raises(ParameterError, match="conditional P\\(n purchases\\)"):
        model.conditional_prob_purchases(1, 2, 3, 6, t=1)


def test_a_model_without_dert_says_so() -> None:
    # MBG/NBD has a DERT now (issue 18); a model whose predictions carry none is refused
    import dataclasses

    class NoDert(MBGNBD):
        predictions = dataclasses.replace(MBGNBD.predictions, dert=None)

    with pytest.raises(ParameterError, match="no DERT"):
        NoDert(**PUBLISHED["MBGNBD"]).dert(2, 3, 38.86, continuous_discount_rate=0.1)


# --------------------------------------------------------------------------- uncertainty
UNCERTAINTY_CASES: list[tuple[str, Callable[[Any], object], str]] = [
    ("level above 1", lambda m: m.interval(lambda x: x.params_array, level=1.5), "level"),
    ("level 0", lambda m: m.interval(lambda x: x.params_array, level=0.0), "level"),
    ("level NaN", lambda m: m.interval(lambda x: x.params_array, level=NAN), "level"),
    ("n_draws 0", lambda m: m.interval(lambda x: x.params_array, n_draws=0), "n_draws"),
    ("n_draws fractional", lambda m: m.interval(lambda x: x.params_array, n_draws=2.5), "n_draws"),
    ("prediction not callable", lambda m: m.interval(3.0), "prediction"),
    ("sample_params negative", lambda m: m.sample_params(-1), "n_draws"),
    ("sample_params huge", lambda m: m.sample_params(10**12), "n_draws"),
    ("conf_int level text", lambda m: m.fit_result.conf_int("0.95"), "level"),
    ("conf_int level percent", lambda m: m.fit_result.conf_int(95), "level"),
    ("conf_int method", lambda m: m.fit_result.conf_int(method="exact"), "method"),
    ("summary level", lambda m: m.fit_result.summary(level=-1), "level"),
]


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("call", "argument"),
    [pytest.param(c, a, id=label) for label, c, a in UNCERTAINTY_CASES],
)
def test_intervals_refuse_bad_arguments(
    name: str, call: Callable[[Any], object], argument: str
) -> None:
    """``clv_interval(alpha=1.5)`` returned lower > upper: levels, draws and methods are
    checked in every model."""
    assert_refused(lambda: call(fitted(name)), ArgumentError, argument)


# --------------------------------------------------------------------------- JSON
def _edit(model: CLVModel, change: Callable[[dict[str, Any]], object]) -> str:
    d = json.loads(model.to_json())
    change(d)
    return json.dumps(d)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        for key in head:
            d = d[key]
        d[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        for key in head:
            d = d[key]
        del d[last]

    return change


def json_cases(name: str) -> list[tuple[str, Callable[[dict[str, Any]], object], str]]:
    first = m_first(name)
    return [
        (
            "params edited",
            _set(f"params.{first}", PUBLISHED[name][first] * 1.01),
            f"params.{first}",
        ),
        ("params missing", _drop("params"), "params"),
        ("param missing", _drop(f"params.{first}"), f"params.{first}"),
        ("param unknown", _set("params.zeta", 1.0), "params.zeta"),
        ("param NaN string", _set(f"params.{first}", "NaN"), f"params.{first}"),
        ("param text", _set(f"params.{first}", "0.5"), f"params.{first}"),
        ("param bool", _set(f"params.{first}", True), f"params.{first}"),
        ("param negative", _set(f"params.{first}", -1.0), f"params.{first}"),
        ("params a list", _set("params", [1.0, 2.0]), "params"),
        ("unknown key", _set("owner", "me"), "owner"),
        ("schema wrong", _set("schema", "something.else"), "schema"),
        ("schema version newer", _set("schema_version", 99), "schema_version"),
        ("schema version text", _set("schema_version", "2"), "schema_version"),
        ("schema version bool", _set("schema_version", True), "schema_version"),
        ("model other", _set("model", "BGNBD" if name != "BGNBD" else "ParetoNBD"), "model"),
        ("time unit unknown", _set("time_unit", "Q"), "time_unit"),
        ("relmark version number", _set("relmark_version", 1), "relmark_version"),
        ("settings on a model without", _set("settings", {"k": 2}), "settings"),
        ("fit nobs text", _set("fit.nobs", "12"), "fit.nobs"),
        ("fit nobs zero", _set("fit.nobs", 0), "fit.nobs"),
        ("fit converged number", _set("fit.converged", 1), "fit.converged"),
        ("fit log-likelihood NaN", _set("fit.log_likelihood", NAN), "fit.log_likelihood"),
        ("fit unknown key", _set("fit.loglik", -1.0), "fit.loglik"),
        ("fit key missing", _drop("fit.n_iter"), "fit.n_iter"),
        ("fit covariance shape", _set("fit.cov_unconstrained", [[1.0]]), "fit.cov_unconstrained"),
        ("fit covariance text", _set("fit.cov_unconstrained", "[[1]]"), "fit.cov_unconstrained"),
        ("fit estimates missing", _drop("fit.params"), "fit.params"),
        ("fit a list", _set("fit", [1, 2]), "fit"),
        ("fit extra not an object", _set("fit.extra", 3), "fit.extra"),
    ]


JSON_CASES = [
    pytest.param(name, change, key, id=f"{name}-{label}")
    for name in ALL
    for label, change, key in json_cases(name)
]


@pytest.mark.parametrize(("name", "change", "key"), JSON_CASES)
def test_saved_models_refuse_tampered_or_malformed_json(
    name: str, change: Callable[[dict[str, Any]], object], key: str
) -> None:
    """A JSON whose ``params.r`` was edited loaded with params and fit result disagreeing;
    one missing ``params`` raised KeyError. Both loaders refuse, naming the key."""
    model = fitted(name)
    text = _edit(model, change)
    assert_refused(lambda: type(model).from_json(text), SchemaError, key)
    if key != "model":
        assert_refused(lambda: load_model(text), SchemaError, key)


LOADER_CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str | None]] = [
    (
        "gamma-gamma as BG/NBD",
        lambda: BGNBD.from_json(given("GammaGamma").to_json()),
        SchemaError,
        "model",
    ),
    (
        "gamma-gamma expected as BG/NBD",
        lambda: load_model(given("GammaGamma").to_json(), expect=BGNBD),
        SchemaError,
        "model",
    ),
    (
        "SBG as Pareto/NBD",
        lambda: ParetoNBD.from_json(given("SBG").to_json()),
        SchemaError,
        "model",
    ),
    ("unknown model", lambda: load_model('{"model": "Erlang"}'), SchemaError, "model"),
    ("no model", lambda: load_model('{"params": {}}'), SchemaError, "model"),
    (
        "expect not a model",
        lambda: load_model(given("BGNBD").to_json(), expect=int),
        ArgumentError,
        "expect",
    ),
    (
        "gamma-gamma q <= 1",
        lambda: load_model(_edit(given("GammaGamma"), _set("params.q", 0.5))),
        SchemaError,
        "params.q",
    ),
    ("get_model unknown", lambda: get_model("erlang"), ArgumentError, "name"),
    ("get_model number", lambda: get_model(3), ArgumentError, "name"),
    ("models_of_kind unknown", lambda: models_of_kind("sales"), ArgumentError, "kind"),
]


@pytest.mark.parametrize(
    ("call", "error", "name"), [pytest.param(c, e, n, id=label) for label, c, e, n in LOADER_CASES]
)
def test_loaders_refuse_the_wrong_model(
    call: Callable[[], object], error: type[RelmarkError], name: str
) -> None:
    assert_refused(call, error, name)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "null", b"\xff\xfe", "3"])
def test_text_that_is_not_a_saved_model_is_a_schema_error(text: str | bytes) -> None:
    with pytest.raises(SchemaError):
        load_model(text)
    with pytest.raises(SchemaError):
        BGNBD.from_json(text)


def test_a_version_1_file_still_loads() -> None:
    """Schema version 1 (``loglik``, estimates as a list, a stored Jacobian) is read."""
    model = fitted("BGNBD")
    d = json.loads(model.to_json())
    fit = d["fit"]
    fit["model"] = "BGNBD"
    fit["param_names"] = list(fit["params"])
    fit["params"] = list(fit["params"].values())
    fit["jacobian"] = [1.0] * 4
    fit["loglik"] = fit.pop("log_likelihood")
    fit["loglik_change"] = fit.pop("log_likelihood_change")
    d["schema_version"] = 1
    again = load_model(json.dumps(d))
    assert again == model


# --------------------------------------------------------------------------- spend model
SPEND_CASES: list[tuple[str, Callable[[GammaGamma], object], type[RelmarkError], str]] = [
    ("frequency text", lambda m: m.expected_spend("2", 10.0), DataError, "frequency"),
    ("frequency negative", lambda m: m.expected_spend(-1, 10.0), DataError, "frequency"),
    ("frequency fractional", lambda m: m.expected_spend(1.5, 10.0), DataError, "frequency"),
    ("spend negative", lambda m: m.expected_spend(2, -5.0), DataError, "monetary_value"),
    ("spend NaN", lambda m: m.expected_spend(2, NAN), DataError, "monetary_value"),
    ("spend infinite", lambda m: m.expected_spend([2], [INF]), DataError, "monetary_value"),
    ("q <= 1", lambda m: GammaGamma(p=6.0, q=0.9, gamma=15.0), ArgumentError, "q"),
    ("gamma text", lambda m: GammaGamma(p=6.0, q=3.0, gamma="15"), ArgumentError, "gamma"),
    ("simulate frequency negative", lambda m: m.simulate([-1]), ArgumentError, "frequency"),
    ("simulate frequency fractional", lambda m: m.simulate([1.5]), ArgumentError, "frequency"),
    (
        "fit zero spend of a repeat buyer",
        lambda m: GammaGamma.fit(frequency=[1, 2], monetary_value=[0.0, 3.0]),
        DataError,
        "monetary_value",
    ),
    (
        "fit unknown column",
        lambda m: GammaGamma.fit(frequency=[1, 2], monetary_value=[1.0, 3.0], T=[3, 4]),
        ArgumentError,
        "T",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [pytest.param(c, e, a, id=label) for label, c, e, a in SPEND_CASES],
)
def test_spend_model_refuses_bad_input(
    call: Callable[[GammaGamma], object], error: type[RelmarkError], argument: str
) -> None:
    assert_refused(lambda: call(given("GammaGamma")), error, argument)


# --------------------------------------------------------------------------- retention model
RETENTION_CASES: list[tuple[str, Callable[[SBG], object], type[RelmarkError], str]] = [
    ("survival negative", lambda m: m.survival(-1), ArgumentError, "t"),
    ("survival fractional", lambda m: m.survival(1.5), ArgumentError, "t"),
    ("survival NaN", lambda m: m.survival(NAN), ArgumentError, "t"),
    ("survival text", lambda m: m.survival("3"), ArgumentError, "t"),
    ("survival bool", lambda m: m.survival(True), ArgumentError, "t"),
    ("survival 2-d", lambda m: m.survival([[1, 2]]), ArgumentError, "t"),
    ("retention at 0", lambda m: m.retention(0), ArgumentError, "t"),
    ("prob_churn_at 0", lambda m: m.prob_churn_at(0), ArgumentError, "t"),
    (
        "conditional_survival renewals negative",
        lambda m: m.conditional_survival(1, -1),
        ArgumentError,
        "renewals",
    ),
    (
        "conditional_survival shapes",
        lambda m: m.conditional_survival([1, 2], [1, 2, 3]),
        ArgumentError,
        "t",
    ),
    (
        "DEL rate zero",
        lambda m: m.discounted_expected_lifetime(0.0),
        ArgumentError,
        "discount_rate",
    ),
    (
        "DEL rate negative",
        lambda m: m.discounted_expected_lifetime(-0.1),
        ArgumentError,
        "discount_rate",
    ),
    (
        "DEL rate text",
        lambda m: m.discounted_expected_lifetime("0.1"),
        ArgumentError,
        "discount_rate",
    ),
    ("DERL renewals fractional", lambda m: m.derl(0.1, [1.5]), ArgumentError, "renewals"),
    (
        "residual value negative count",
        lambda m: m.residual_value([10, -1], value_per_period=1.0, discount_rate=0.1),
        ArgumentError,
        "active_by_renewals",
    ),
    (
        "residual value NaN value",
        lambda m: m.residual_value([10], value_per_period=NAN, discount_rate=0.1),
        ArgumentError,
        "value_per_period",
    ),
    ("simulate no customers", lambda m: m.simulate(0, 5, rng=1), ArgumentError, "n_customers"),
    (
        "simulate fractional periods",
        lambda m: m.simulate(10, 2.5, rng=1),
        ArgumentError,
        "n_periods",
    ),
    ("survivors increase", lambda m: SBG.fit_survival([1000, 1200]), DataError, "alive"),
    ("survivors text", lambda m: SBG.fit_survival(["1000", "900"]), DataError, "alive"),
    ("lifetime 0", lambda m: SBG.fit(lifetime=[0, 2], churned=[1, 0]), DataError, "lifetime"),
    ("churned 2", lambda m: SBG.fit(lifetime=[1, 2], churned=[2, 0]), DataError, "churned"),
]


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [pytest.param(c, e, a, id=label) for label, c, e, a in RETENTION_CASES],
)
def test_retention_model_refuses_bad_input(
    call: Callable[[SBG], object], error: type[RelmarkError], argument: str
) -> None:
    """``SBG.survival(-1)`` returned 4.87."""
    assert_refused(lambda: call(given("SBG")), error, argument)


# --------------------------------------------------------------------------- value
HISTORY = (2, 30.43, 38.86, 22.35)
VALUE_CASES: list[tuple[str, Callable[[], object], type[RelmarkError], str]] = [
    (
        "periods fractional",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, periods=2.5),
        ArgumentError,
        "periods",
    ),
    (
        "periods bool",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, periods=True),
        ArgumentError,
        "periods",
    ),
    (
        "periods huge",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, periods=10**9),
        ArgumentError,
        "periods",
    ),
    (
        "discount rate -1",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, discount_rate=-1.0),
        ArgumentError,
        "discount_rate",
    ),
    (
        "discount rate text",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, discount_rate="0.01"),
        ArgumentError,
        "discount_rate",
    ),
    (
        "period length zero",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, period_length=0.0),
        ArgumentError,
        "period_length",
    ),
    (
        "chunk size zero",
        lambda: clv(given("BGNBD"), given("GammaGamma"), *HISTORY, chunk_size=0),
        ArgumentError,
        "chunk_size",
    ),
    (
        "purchases not a model",
        lambda: clv("BGNBD", given("GammaGamma"), *HISTORY),
        ArgumentError,
        "purchases",
    ),
    (
        "spend not a model",
        lambda: clv(given("BGNBD"), "GammaGamma", *HISTORY),
        ArgumentError,
        "spend",
    ),
    (
        "spend too many",
        lambda: clv(given("BGNBD"), given("GammaGamma"), [1, 2], [3, 4], [9, 9], [1, 2, 3]),
        DataError,
        "monetary_value",
    ),
    (
        "score horizon negative",
        lambda: score(given("BGNBD"), None, *HISTORY[:3], horizon=-1),
        ArgumentError,
        "horizon",
    ),
    (
        "score horizon NaN",
        lambda: score(given("BGNBD"), None, *HISTORY[:3], horizon=NAN),
        ArgumentError,
        "horizon",
    ),
    (
        "score horizon list",
        lambda: score(given("BGNBD"), None, *HISTORY[:3], horizon=[1, 2]),
        ArgumentError,
        "horizon",
    ),
    (
        "score BG/BB horizon fractional",
        lambda: score(given("BGBB"), None, 2, 3, 6, horizon=1.5),
        ArgumentError,
        "horizon",
    ),
    (
        "score spend without spend data",
        lambda: score(given("BGNBD"), given("GammaGamma"), *HISTORY[:3], horizon=4),
        ArgumentError,
        "monetary_value",
    ),
    (
        "score purchases spend model",
        lambda: score(given("GammaGamma"), None, *HISTORY[:3], horizon=4),
        ArgumentError,
        "purchases",
    ),
    (
        "dert value rate zero",
        lambda: clv_from_dert(
            given("ParetoNBD"), given("GammaGamma"), *HISTORY, continuous_discount_rate=0.0
        ),
        ArgumentError,
        "continuous_discount_rate",
    ),
    (
        "dert value rate infinite",
        lambda: clv_from_dert(
            given("ParetoNBD"), given("GammaGamma"), *HISTORY, continuous_discount_rate=INF
        ),
        ArgumentError,
        "continuous_discount_rate",
    ),
    (
        "dert value of a discrete model",
        lambda: clv_from_dert(
            given("BGBB"), given("GammaGamma"), 2, 3, 6, 20.0, continuous_discount_rate=0.1
        ),
        ArgumentError,
        "purchases",
    ),
    (
        "interval level above 1",
        lambda: clv_interval(fitted("BGNBD"), fitted("GammaGamma"), *HISTORY, level=1.5),
        ArgumentError,
        "level",
    ),
    (
        "interval old alpha",
        lambda: clv_interval(fitted("BGNBD"), fitted("GammaGamma"), *HISTORY, alpha=0.05),
        ArgumentError,
        "alpha",
    ),
    (
        "interval one draw",
        lambda: clv_interval(fitted("BGNBD"), fitted("GammaGamma"), *HISTORY, n_draws=1),
        ArgumentError,
        "n_draws",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [pytest.param(c, e, a, id=label) for label, c, e, a in VALUE_CASES],
)
def test_value_functions_refuse_bad_arguments(
    call: Callable[[], object], error: type[RelmarkError], argument: str
) -> None:
    assert_refused(call, error, argument)


def test_there_are_at_least_a_hundred_cases() -> None:
    n = (
        len(PURCHASE_CASES)
        + len(UNCERTAINTY_CASES) * len(ALL)
        + len(JSON_CASES)
        + len(LOADER_CASES)
        + len(SPEND_CASES)
        + len(RETENTION_CASES)
        + len(VALUE_CASES)
    )
    assert n >= 100


# --------------------------------------------------------------------------- valid but extreme
def test_a_frequency_of_1e12_is_finite_not_a_7_tib_table() -> None:
    """Gamma-Gamma (and BG/NBD) tabulated terms on 0..max(frequency): 1e12 asked for 7 TiB.
    Now the log-density of a customer with x = 1e12 agrees with a 50-digit mpmath evaluation
    of note 025, eq. 4, to the accuracy float64 allows: its terms are ~1e14 and cancel to ~-5,
    so about 1e14 * 2.2e-16 = 0.02 absolute."""
    import mpmath as mp

    p, q, g = PUBLISHED["GammaGamma"].values()
    x, z = 1e12, 10.0
    with mp.workdps(50):
        P, Q, G, X, Z = (mp.mpf(v) for v in (p, q, g, x, z))
        direct = float(
            mp.loggamma(P * X + Q)
            - mp.loggamma(P * X)
            - mp.loggamma(Q)
            + Q * mp.log(G)
            + (P * X - 1) * mp.log(Z)
            + P * X * mp.log(X)
            - (P * X + Q) * mp.log(G + X * Z)
        )
    got = given("GammaGamma").log_likelihood(frequency=[x, 2.0], monetary_value=[z, 5.0])
    assert got[0] == pytest.approx(direct, abs=0.05)
    bg = given("BGNBD")
    ll = bg.log_likelihood(frequency=[1e12, 1.0], recency=[30.0, 3.0], T=[40.0, 40.0])
    assert np.all(np.isfinite(ll))


# --------------------------------------------------------------------------- review r3 (issue 15)
RFM_NAMES = ["BGNBD", "MBGNBD", "ParetoNBD", "BGBB"]


@pytest.mark.parametrize("name", RFM_NAMES)
@pytest.mark.parametrize("rng", ["x", -1, 1.5, True])
def test_simulate_refuses_a_bad_rng_naming_it(name: str, rng: object) -> None:
    """numpy's TypeError/ValueError from default_rng reached the caller."""
    with pytest.raises(ArgumentError, match="'rng'"):
        given(name).simulate([5.0], rng=rng)


@pytest.mark.parametrize("rng", ["x", -1, 1.5])
def test_sample_params_and_intervals_refuse_a_bad_rng(rng: object) -> None:
    with pytest.raises(ArgumentError, match="'rng'"):
        fitted("BGNBD").sample_params(5, rng=rng)
    with pytest.raises(ArgumentError, match="'rng'"):
        fitted("BGNBD").interval(lambda m: m.p_alive(1, 2, 3), n_draws=5, rng=rng)
    with pytest.raises(ArgumentError, match="'rng'"):
        clv_interval(fitted("BGNBD"), fitted("GammaGamma"), 2, 30, 38, 22.0, n_draws=5, rng=rng)
    with pytest.raises(ArgumentError, match="'rng'"):
        given("SBG").simulate(5, 5, rng=rng)


@pytest.mark.parametrize("name", RFM_NAMES)
def test_a_ragged_history_is_a_data_error_naming_the_column(name: str) -> None:
    """A ragged list raised numpy's ValueError ("inhomogeneous shape")."""
    with pytest.raises(DataError, match="'recency'"):
        given(name).p_alive([1, 2], [1, [1]], [2, 2])


def test_with_params_refuses_booleans() -> None:
    """[True, 1, 1, 1] was read as r = 1."""
    with pytest.raises(ParameterError, match="'values'"):
        given("BGNBD").with_params([True, 1.0, 1.0, 1.0])


def test_fit_start_must_be_a_mapping() -> None:
    """A list of start values raised a raw TypeError from a string join."""
    with pytest.raises(ArgumentError, match="'start'"):
        BGNBD.fit(frequency=[1, 0, 2], recency=[1, 0, 3], T=[4, 4, 4], start=[1, 2, 3, 4])


@pytest.mark.parametrize(
    "prediction",
    [
        lambda m: "abc",
        lambda m: np.array([np.nan]),
        lambda m: np.ones(int(m.params["r"] * 1e6) % 3 + 1),
    ],
    ids=["text", "nan", "shape-changes"],
)
def test_interval_checks_what_the_prediction_returns(prediction: Any) -> None:
    """Text raised numpy's ValueError, NaN gave NaN bounds, a changing shape a raw ValueError."""
    with pytest.raises(ArgumentError, match="'prediction'"):
        fitted("BGNBD").interval(prediction, n_draws=20, rng=1)


def test_clv_needs_a_spend_model() -> None:
    """spend=None raised AttributeError in clv and clv_from_dert."""
    with pytest.raises(ArgumentError, match="'spend'"):
        clv(given("BGNBD"), None, 2, 30.43, 38.86, 22.35)
    with pytest.raises(ArgumentError, match="'spend'"):
        clv_from_dert(given("BGNBD"), None, 2, 30, 38, 22.0, continuous_discount_rate=0.01)


def test_clv_from_dert_names_purchases_for_a_non_model() -> None:
    with pytest.raises(ArgumentError, match="'purchases'"):
        clv_from_dert(None, given("GammaGamma"), 2, 30, 38, 22.0, continuous_discount_rate=0.01)


def test_clv_periods_are_capped_where_the_computation_stays_short() -> None:
    """periods=100_000 was accepted and ran for minutes (a hang for a service)."""
    with pytest.raises(ArgumentError, match="'periods'"):
        clv(given("BGNBD"), given("GammaGamma"), 2, 30.43, 38.86, 22.35, periods=100_000)


def test_gamma_gamma_expected_spend_refuses_a_boolean_frequency() -> None:
    """The one-customer fast path read True as a frequency of 1."""
    with pytest.raises(DataError, match="'frequency'"):
        given("GammaGamma").expected_spend(True, 1.0)


def test_sbg_simulate_refuses_a_huge_cohort_and_fit_survival_an_empty_one() -> None:
    """10**12 customers raised MemoryError (7 TiB); [0, 0] a ZeroDivisionError in the fit."""
    with pytest.raises(ArgumentError, match="'n_customers'"):
        given("SBG").simulate(10**12, 5)
    with pytest.raises(DataError, match="'alive'"):
        SBG.fit_survival([0, 0])


def test_bgbb_simulate_caps_the_opportunities() -> None:
    """T = 10**6 opportunities looped for minutes; the same cap as the predictions now."""
    with pytest.raises(ArgumentError, match="'T'"):
        given("BGBB").simulate([10**6])


def _segment_frame() -> Any:
    import pandas as pd

    sim = BGNBD(**PUBLISHED["BGNBD"]).simulate(np.full(120, 39.0), rng=3)
    frame = pd.DataFrame({k: sim[k] for k in ("frequency", "recency", "T")})
    return frame.assign(seg=np.where(np.arange(120) % 2 == 0, "a", "b"))


@pytest.mark.parametrize(
    ("kwargs", "name", "error"),
    [
        ({"model": None}, "model", ArgumentError),
        ({"model": "BGNBD"}, "model", ArgumentError),
        ({"frame": {"seg": [1]}}, "frame", ArgumentError),
        ({"by": ["seg"]}, "by", ArgumentError),
        ({"min_customers": -1}, "min_customers", ArgumentError),
        ({"min_customers": float("nan")}, "min_customers", ArgumentError),
        ({"min_customers": "5"}, "min_customers", ArgumentError),
        ({"progress": 5}, "progress", ArgumentError),
        ({"foo": 1}, "foo", ArgumentError),
    ],
)
def test_fit_segments_checks_its_arguments(kwargs: dict[str, Any], name: str, error: type) -> None:
    """Raw AttributeError/TypeError before; min_customers=-1 or nan and an unknown option were
    accepted (the option failed every segment, reported as segment errors)."""
    from relmark.clv import fit_segments

    args: dict[str, Any] = {"model": BGNBD, "frame": _segment_frame(), "by": "seg"}
    args.update(kwargs)
    with pytest.raises(error, match=f"'{name}'"):
        fit_segments(args.pop("model"), args.pop("frame"), **args)


def test_fit_segments_refuses_missing_segments_and_an_empty_frame() -> None:
    """Rows with a NaN segment were silently in no segment; an empty frame gave no fits."""
    from relmark.clv import fit_segments

    frame = _segment_frame()
    frame.loc[3, "seg"] = None
    with pytest.raises(DataError, match="'seg'") as info:
        fit_segments(BGNBD, frame, by="seg")
    assert info.value.rows == (3,)
    with pytest.raises(DataError, match="'seg'"):
        fit_segments(BGNBD, frame.iloc[:0], by="seg")


class BetaGeoFitter:
    """Stands in for lifetimes' fitter (recognised by its class name)."""

    def __init__(self, params: object) -> None:
        self.params_ = params


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"r": 0.2, "alpha": 4.0, "a": 0.8}, "params_.b"),
        ({"r": "abc", "alpha": 4.0, "a": 0.8, "b": 2.0}, "params_.r"),
        ({"r": True, "alpha": 4.0, "a": 0.8, "b": 2.0}, "params_.r"),
        ({"r": np.array([0.2, 0.3]), "alpha": 4.0, "a": 0.8, "b": 2.0}, "params_.r"),
        ([0.2, 4.0, 0.8, 2.0], "params_.r"),
    ],
    ids=["missing", "text", "bool", "array", "list"],
)
def test_from_lifetimes_names_the_bad_fitted_parameter(params: object, key: str) -> None:
    """KeyError, ValueError and TypeError were raw; True was read as r = 1."""
    from relmark.clv import from_lifetimes

    with pytest.raises(SchemaError, match=key.replace(".", r"\.")):
        from_lifetimes(BetaGeoFitter(params))


def test_from_lifetimes_agrees_with_lifetimes() -> None:
    """A real lifetimes fit migrated: P(alive) and the conditional expectation agree with
    lifetimes' own at its parameters."""
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    from relmark.clv import from_lifetimes

    params = pd.Series(PUBLISHED["BGNBD"])
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = params
    model: Any = from_lifetimes(fitter)
    assert model.p_alive(2, 30.43, 38.86)[0] == pytest.approx(
        float(np.ravel(fitter.conditional_probability_alive(2, 30.43, 38.86))[0]), rel=1e-10
    )
    assert model.conditional_expected_purchases(2, 30.43, 38.86, t=39)[0] == pytest.approx(
        float(
            np.ravel(
                fitter.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
            )[0]
        ),
        rel=1e-8,
    )


def _log() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-02-01", "2024-01-15"]}
    )


@pytest.mark.parametrize(
    ("call", "name", "error"),
    [
        (lambda d, log: d.tracking(given("BGNBD"), log, unit_days=0), "unit_days", ArgumentError),
        (
            lambda d, log: d.tracking(given("BGNBD"), log, unit_days=np.nan),
            "unit_days",
            ArgumentError,
        ),
        (lambda d, log: d.tracking(None, log), "model", ArgumentError),
        (lambda d, log: d.tracking(given("BGNBD"), log.drop(columns="date")), "date", DataError),
        (
            lambda d, log: d.tracking(given("BGNBD"), log.assign(date=["2024-01-01", "zzz", "x"])),
            "date",
            DataError,
        ),
        (lambda d, log: d.tracking(given("BGNBD"), log.iloc[:0]), "date", DataError),
        (
            lambda d, log: d.calibration_holdout_table({"bg": given("BGNBD")}, None),
            "summary",
            ArgumentError,
        ),
        (lambda d, log: d.period_transactions(None, None), "model", ArgumentError),
        (lambda d, log: d.period_transactions(given("BGNBD"), log), "summary", ArgumentError),
    ],
)
def test_diagnostics_check_their_arguments(call: Any, name: str, error: type) -> None:
    """AttributeError, KeyError, pandas' IntCastingNaNError and ValueError were raw."""
    from relmark.clv import diagnostics

    with pytest.raises(error, match=f"'{name}'"):
        call(diagnostics, _log())


@pytest.mark.parametrize("r", [1e5, 1e6])
def test_bgnbd_expectations_are_finite_and_right_at_a_huge_r(r: float) -> None:
    """With r ~ 1e5 or more and a small alpha (homogeneous, very fast buyers) the Gauss
    hypergeometric series alternates and cancels: the expectations were NaN. Now they agree
    with a 40-digit mpmath evaluation of FHL 2005, eq. 10 (x = 0, t_x = 0, T = 39, t = 39), for
    one customer and in the array path."""
    import mpmath as mp

    params = {"r": r, "alpha": 4.414, "a": 0.793, "b": 2.426}
    with mp.workdps(40):
        R, A, a, b = (mp.mpf(v) for v in params.values())
        T, t = mp.mpf(39), mp.mpf(39)
        z = t / (A + T + t)
        expected = float(
            (a + b - 1)
            / (a - 1)
            * (1 - ((A + T) / (A + T + t)) ** R * mp.hyp2f1(R, b, a + b - 1, z))
        )
    model = BGNBD(**params)
    one = model.conditional_expected_purchases(0, 0, 39, t=39)
    many = model.conditional_expected_purchases([0, 0, 2], [0, 0, 30], [39, 39, 39], t=39)
    assert one[0] == pytest.approx(expected, rel=1e-8)
    assert many[:2] == pytest.approx([expected, expected], rel=1e-8)
    assert np.all(np.isfinite(many))


@pytest.mark.parametrize("r", [1e3, 1e4, 1e6])
def test_pareto_nbd_p_alive_is_finite_and_right_at_a_huge_r(r: float) -> None:
    """Homogeneous purchase rates (r large, alpha = 10 r: a mean rate of 0.1) put the
    hypergeometric argument within 1e-3 of 1, beyond its series: P(alive) and the conditional
    expectation were NaN (with a NumericalWarning). Now the integral of note 008, eq. 11 is
    taken by quadrature there, and agrees with its closed form in 40-digit mpmath."""
    import mpmath as mp

    s, beta = 0.6, 11.7
    alpha = 10 * r

    def alive(x: float, tx: float, T: float) -> float:
        with mp.workdps(40):
            R, A, S, B = (mp.mpf(v) for v in (r, alpha, s, beta))
            head = (A + T) ** -(R + x) * (B + T) ** -S
            c = R + S + x  # the integral in closed form (alpha >= beta), note 008 eq. 11

            def term(u: float) -> Any:
                return mp.hyp2f1(c, S + 1, c + 1, (A - B) / (A + u)) / (A + u) ** c

            tail = S / c * (term(tx) - term(T))
            return float(head / (head + tail))

    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    got = model.p_alive([0, 2], [0, 30], [39, 39])
    assert got == pytest.approx([alive(0, 0, 39), alive(2, 30, 39)], rel=1e-8)
    assert model.p_alive(2, 30, 39)[0] == pytest.approx(alive(2, 30, 39), rel=1e-8)
    assert np.all(
        np.isfinite(model.conditional_expected_purchases([0, 2], [0, 30], [39, 39], t=10))
    )


@pytest.mark.parametrize("value", ["x", -1, 1.5, None, True])
def test_an_edited_n_excluded_of_a_saved_gamma_gamma_is_refused(value: object) -> None:
    """fit.extra.n_excluded loaded as whatever the file said ("x", -1, ...)."""
    d = json.loads(fitted("GammaGamma").to_json())
    d["fit"]["extra"]["n_excluded"] = value
    with pytest.raises(SchemaError, match=r"fit\.extra\.n_excluded"):
        load_model(json.dumps(d))


def test_a_saved_fit_with_more_distinct_rows_than_observations_is_refused() -> None:
    d = json.loads(fitted("BGNBD").to_json())
    d["fit"]["n_unique"] = d["fit"]["nobs"] + 1
    with pytest.raises(SchemaError, match=r"fit\.n_unique"):
        load_model(json.dumps(d))


def test_gamma_gamma_expected_spend_does_not_overflow_in_x_times_z() -> None:
    """x * z = 1e12 * 1e300 overflowed to inf; the expectation is a weighted mean of the prior
    mean p gamma / (q - 1) and z, so it is just below z (checked in 30-digit mpmath)."""
    import mpmath as mp

    p, q, g = PUBLISHED["GammaGamma"].values()
    with mp.workdps(30):
        P, Q, G, X, Z = (mp.mpf(v) for v in (p, q, g, 1e12, 1e300))
        expected = float(P * (G + X * Z) / (P * X + Q - 1))
    model = given("GammaGamma")
    assert model.expected_spend(1e12, 1e300)[0] == pytest.approx(expected, rel=1e-14)
    assert model.expected_spend([1e12, 2.0], [1e300, 5.0])[0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    ("frequency", "spend", "column"),
    [([0.0, 2.0], [5.0, 5.0], "frequency"), ([2.0], [0.0], "monetary_value")],
)
def test_gamma_gamma_log_likelihood_refuses_rows_without_a_density(
    frequency: list[float], spend: list[float], column: str
) -> None:
    """x = 0 returned a value for a customer without spend data; a repeat buyer's mean of 0
    gave -inf with numpy's RuntimeWarning."""
    with pytest.raises(DataError, match=f"'{column}'"):
        given("GammaGamma").log_likelihood(frequency=frequency, monetary_value=spend)


@pytest.mark.parametrize("indent", ["x", -1, 1.5, True])
def test_to_json_checks_indent(indent: object) -> None:
    """json.dumps used "x" as the indent text and -1 as none."""
    with pytest.raises(ArgumentError, match="'indent'"):
        given("BGNBD").to_json(indent=indent)


def test_pareto_nbd_dert_at_an_age_of_1e300_is_finite() -> None:
    """scipy's hyperu is NaN beyond ~1e250, so DERT was NaN; there it is (r+x)/(alpha+T)/delta
    (U(1, 2-s, z) = 1/z to all digits)."""
    model = given("ParetoNBD")
    r, alpha = PUBLISHED["ParetoNBD"]["r"], PUBLISHED["ParetoNBD"]["alpha"]
    got = model.dert([2, 2], [1e300, 30], [1e300, 39], continuous_discount_rate=0.01)
    assert got[0] == pytest.approx((r + 2) / (alpha + 1e300) / 0.01, rel=1e-12)
    assert np.all(np.isfinite(got))


def test_gamma_gamma_with_a_mean_spend_beyond_float_range_is_refused() -> None:
    """mean_spend was inf with numpy's RuntimeWarning."""
    with pytest.raises(ParameterError, match="'gamma'"):
        GammaGamma(p=1e300, q=2.0, gamma=1e300)


def test_a_fit_that_is_not_identified_equals_its_reloaded_copy() -> None:
    """All-zero frequencies: the covariance is NaN, and NaN != NaN made load_model(m.to_json())
    differ from m."""
    model = BGNBD.fit(frequency=[0] * 50, recency=[0] * 50, T=[10] * 50)
    assert load_model(model.to_json()) == model


@pytest.mark.parametrize("r", [1e-12, 1e-9, 1e-7])
def test_bgnbd_expectations_keep_their_digits_at_a_tiny_r(r: float) -> None:
    """At r = 1e-12 the closed form is 1 minus a number within r of 1: a customer without
    repeat purchases was expected to buy 8.170e-13 times instead of 8.178e-13 (0.1 % off).
    Now within 1e-9 of 40-digit mpmath (FHL 2005, eq. 10)."""
    import mpmath as mp

    params = {"r": r, "alpha": 4.414, "a": 0.793, "b": 2.426}
    with mp.workdps(40):
        R, A, a, b = (mp.mpf(v) for v in params.values())
        T = t = mp.mpf(39)
        hyp = mp.hyp2f1(R, b, a + b - 1, t / (A + T + t))
        expected = float((a + b - 1) / (a - 1) * (1 - ((A + T) / (A + T + t)) ** R * hyp))
    model = BGNBD(**params)
    assert model.conditional_expected_purchases(0, 0, 39, t=39)[0] == pytest.approx(
        expected, rel=1e-9
    )
    many = model.conditional_expected_purchases([0, 2], [0, 30.43], [39, 38.86], t=39)
    assert many[0] == pytest.approx(expected, rel=1e-9)


def test_a_fit_running_to_non_finite_estimates_is_a_convergence_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # frequency 1e300 (r + x rounds to x): the estimates became NaN and the constructor
    # blamed the parameter ("r=nan is outside its domain"), a ParameterError for data. Such a
    # frequency is now refused before the fit (2**53 or more: check_rfm); the guard stays for
    # an optimiser that returns NaN estimates, shown by an engine whose r comes back NaN.
    import dataclasses

    import relmark.clv._base as _base
    from relmark.clv import BGNBD as _BGNBD
    from relmark.errors import ConvergenceError

    with pytest.raises(DataError, match=r"2\*\*53") as err:
        _BGNBD.fit({"frequency": [1e300], "recency": [1.0], "T": [1e300]})
    assert err.value.column == "frequency" and err.value.rows == (0,)
    engine = _base.fit_mle  # type: ignore[attr-defined]

    def nan_r(**kwargs: Any) -> Any:
        result = engine(**kwargs)
        params = result.params_array.copy()
        params[0] = np.nan
        return dataclasses.replace(result, params_array=params)

    monkeypatch.setattr(_base, "fit_mle", nan_r)
    data = given("BGNBD").simulate([39.0] * 500, rng=3)
    with pytest.raises(ConvergenceError, match="non-finite estimates of r"):
        _BGNBD.fit(data)
