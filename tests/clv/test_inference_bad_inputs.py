"""Bad inputs of priors, restricted fits, the bootstrap, LR tests, the comparison table and the
history predictions: each raises relmark's error type naming the argument, field or column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv import (
    BGBB,
    BGNBD,
    Bootstrap,
    GammaGamma,
    LikelihoodRatioTest,
    ModelComparison,
    ParetoNBD,
    Prior,
    bootstrap,
    compare_models,
    likelihood_ratio_test,
    simulate_transactions,
)
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError

TRUE = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
DATA = TRUE.simulate(np.full(600, 39.0), rng=1)
FIT = BGNBD.fit(DATA)


def fit(**kwargs: Any) -> None:
    BGNBD.fit(DATA, **kwargs)


CASES = [
    # priors and restricted fits
    (lambda: Prior("cauchy", 0.0, 1.0), ParameterError, "distribution"),  # type: ignore[arg-type]
    (lambda: Prior("gamma", -1.0, 1.0), ParameterError, "first"),
    (lambda: Prior("normal", 0.0, 0.0), ParameterError, "second"),
    (lambda: Prior("lognormal", 0.0, float("nan")), ParameterError, "second"),
    (lambda: Prior("gamma", True, 1.0), ParameterError, "first"),
    (lambda: Prior.from_dict({"distribution": "gamma"}), SchemaError, "priors"),
    (lambda: fit(priors={"q": Prior("gamma", 1.0, 1.0)}), ArgumentError, "priors"),
    (lambda: fit(priors={"r": 0.5}), ArgumentError, "priors"),
    (lambda: fit(priors=[Prior("gamma", 1.0, 1.0)]), ArgumentError, "priors"),
    (lambda: fit(priors={"r": Prior("beta", 1.0, 1.0)}), ArgumentError, "priors"),
    (lambda: fit(fixed={"q": 1.0}), ArgumentError, "fixed"),
    (lambda: fit(fixed={"r": -1.0}), ParameterError, "r"),
    (lambda: fit(fixed={"r": "x"}), ParameterError, "r"),
    (lambda: fit(fixed={"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}), ArgumentError, "fixed"),
    (
        lambda: fit(fixed={"r": 0.3}, priors={"r": Prior("gamma", 1.0, 1.0)}),
        ArgumentError,
        "priors",
    ),
    # bootstrap
    (lambda: bootstrap(TRUE, DATA), ArgumentError, "model"),
    (lambda: bootstrap("BGNBD", DATA), ArgumentError, "model"),  # type: ignore[arg-type]
    (lambda: bootstrap(FIT, DATA, n_boot=1), ArgumentError, "n_boot"),
    (lambda: bootstrap(FIT, DATA, n_boot=10**6), ArgumentError, "n_boot"),
    (lambda: bootstrap(FIT, DATA, n_jobs=0), ArgumentError, "n_jobs"),
    (lambda: bootstrap(FIT, DATA, rng="x"), ArgumentError, "rng"),  # type: ignore[arg-type]
    (lambda: bootstrap(FIT, {k: v[:100] for k, v in DATA.items()}), DataError, "nobs"),
    (lambda: bootstrap(FIT, {"frequency": DATA["frequency"]}), DataError, "recency"),
    (lambda: Bootstrap.from_dict({"schema": "x"}), SchemaError, "draws"),
    (lambda: Bootstrap.from_json("[1]"), SchemaError, None),
    # likelihood-ratio tests
    (lambda: likelihood_ratio_test(FIT, FIT), ArgumentError, "restricted"),
    (lambda: likelihood_ratio_test(TRUE, FIT), ArgumentError, "restricted"),
    (
        lambda: likelihood_ratio_test(ParetoNBD.fit(DATA), FIT),
        ArgumentError,
        "restricted",
    ),
    (
        lambda: likelihood_ratio_test(
            BGNBD.fit({k: v[:300] for k, v in DATA.items()}, fixed={"r": 0.3}), FIT
        ),
        DataError,
        "data",
    ),
    (
        lambda: likelihood_ratio_test(
            BGNBD.fit(DATA, fixed={"r": 0.3}),
            FIT,
            {k: v[::-1] * np.array(1.0) + (k == "T") for k, v in DATA.items()},
        ),
        DataError,
        "data",
    ),
    (
        lambda: likelihood_ratio_test(
            BGNBD.fit(DATA, fixed={"r": 0.3}), BGNBD.fit(DATA, fixed={"a": 0.8})
        ),
        ArgumentError,
        "full",
    ),
    (
        lambda: likelihood_ratio_test(
            BGNBD.fit(DATA, fixed={"r": 0.3}),
            BGNBD.fit(DATA, priors={"a": Prior("gamma", 2.0, 2.0)}),
        ),
        ArgumentError,
        "full",
    ),
    (lambda: LikelihoodRatioTest.from_dict({"restricted": "a"}), SchemaError, "full"),
    # comparison table
    (lambda: compare_models({}, DATA), ArgumentError, "models"),
    (lambda: compare_models({"x": 1}, DATA), ArgumentError, "models"),
    (lambda: compare_models({"bg": TRUE}, DATA), DataError, "frequency_holdout"),
    (
        lambda: compare_models(
            {"bg": TRUE},
            {**DATA, "frequency_holdout": np.full(600, 0.5), "duration_holdout": np.ones(600)},
        ),
        DataError,
        "frequency_holdout",
    ),
    (
        lambda: compare_models(
            {"bg": TRUE},
            {**DATA, "frequency_holdout": np.zeros(600), "duration_holdout": np.zeros(600)},
        ),
        DataError,
        "duration_holdout",
    ),
    (lambda: ModelComparison.from_dict({"schema": "x"}), SchemaError, "schema"),
    # history predictions
    (lambda: TRUE.p_alive_matrix(T=0.0), ArgumentError, "T"),
    (lambda: TRUE.p_alive_matrix(T=10.0, max_frequency=0), ArgumentError, "max_frequency"),
    (lambda: TRUE.p_alive_matrix(T=10.0, points=1.5), ArgumentError, "points"),  # type: ignore[arg-type]
    (lambda: TRUE.p_alive_matrix(T=10.0, t=-1.0), ArgumentError, "t"),
    (lambda: TRUE.expected_purchases_matrix(t=0.0, T=10.0), ArgumentError, "t"),
    (lambda: TRUE.p_alive_path([]), ArgumentError, "purchases"),
    (lambda: TRUE.p_alive_path([0.0, float("inf")]), ArgumentError, "purchases"),
    (lambda: TRUE.p_alive_path(["2024-01-01", "2024-02-01"]), ArgumentError, "purchases"),
    (lambda: TRUE.p_alive_path([True, False]), ArgumentError, "purchases"),
    (lambda: TRUE.p_alive_path([0.0, 5.0], end=3.0), ArgumentError, "end"),
    (lambda: TRUE.p_alive_path([0.0, 5.0], points=1), ArgumentError, "points"),
]


@pytest.mark.parametrize(("call", "error", "name"), CASES)
def test_bad_input_names_what_is_wrong(call: Any, error: type, name: str | None) -> None:
    with pytest.raises(error) as info:
        call()
    if name is None:
        return
    got = getattr(info.value, "argument", None) or getattr(info.value, "column", None)
    got = got or getattr(info.value, "key", None)
    assert got == name, (got, str(info.value))
    assert name in str(info.value)


# ----------------------------------------------------------------------------------------
# Found by the adversarial review: tampered JSON accepted, raw errors, silent wrong results.

_MAP = BGNBD.fit(DATA, priors={"r": Prior("gamma", 2.0, 4.0)})
_RESTRICTED = BGNBD.fit(DATA, fixed={"r": 0.243})
_BOOT = bootstrap(FIT, DATA, n_boot=4, rng=1)
_LRT = likelihood_ratio_test(_RESTRICTED, FIT, DATA)
_HOLD = {
    "frequency": [0, 2, 5],
    "recency": [0, 20.0, 35.0],
    "T": [39.0] * 3,
    "frequency_holdout": [0, 1, 3],
    "duration_holdout": [39.0] * 3,
}
_TABLE = compare_models(
    {"bg": TRUE, "pareto": ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)}, _HOLD
)
_WEEKLY = TRUE.with_time_unit("W")


def _edited(saved: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``saved`` with the value at ``path`` replaced (``...`` deletes it)."""
    import copy

    d = copy.deepcopy(saved)
    node = d
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


def _load_model(fitted: BGNBD, path: tuple[Any, ...], value: Any) -> None:
    import json

    BGNBD.from_json(json.dumps(_edited(fitted.to_dict(), path, value)))


def _load_boot(path: tuple[Any, ...], value: Any) -> None:
    Bootstrap.from_dict(_edited(_BOOT.to_dict(), path, value))


def _load_lrt(path: tuple[Any, ...], value: Any) -> None:
    LikelihoodRatioTest.from_dict(_edited(_LRT.to_dict(), path, value))


def _load_table(path: tuple[Any, ...], value: Any) -> None:
    ModelComparison.from_dict(_edited(_TABLE.to_dict(), path, value))


_GAMMA = {"distribution": "gamma", "first": 1.0, "second": 1.0}

REVIEW_CASES = [
    # Prior: a list as the distribution raised TypeError (unhashable); log_density of a value
    # outside the support raised math's ValueError or returned NaN
    (lambda: Prior(["gamma"], 1.0, 1.0), ParameterError, "distribution"),  # type: ignore[arg-type]
    (lambda: Prior("gamma", 2.0, 1.0).log_density(-1.0), ArgumentError, "value"),
    (lambda: Prior("gamma", 2.0, 1.0).log_density(float("nan")), ArgumentError, "value"),
    (lambda: Prior("beta", 2.0, 2.0).log_density(1.0), ArgumentError, "value"),
    (lambda: Prior("normal", 0.0, 1.0).log_density("1"), ArgumentError, "value"),  # type: ignore[arg-type]
    # a prior with no mass near the start: ConvergenceError blaming "the log-likelihood"
    (lambda: fit(priors={"r": Prior("lognormal", 1e300, 1.0)}), ArgumentError, "priors"),
    (lambda: fit(priors={"r": Prior("normal", 1e300, 1.0)}), ArgumentError, "priors"),
    # a MAP or restricted fit's saved priors / fixed values were never checked on load
    (
        lambda: _load_model(_MAP, ("fit", "extra", "priors", "r", "distribution"), "cauchy"),
        SchemaError,
        "fit.extra.priors.r",
    ),
    (
        lambda: _load_model(_MAP, ("fit", "extra", "priors", "r", "first"), -1.0),
        SchemaError,
        "fit.extra.priors.r",
    ),
    (
        lambda: _load_model(_MAP, ("fit", "extra", "priors", "zz"), _GAMMA),
        SchemaError,
        "fit.extra.priors.zz",
    ),
    (lambda: _load_model(_MAP, ("fit", "extra", "priors"), [1]), SchemaError, "fit.extra.priors"),
    (lambda: _load_model(_MAP, ("fit", "extra", "estimator"), "MLE"), SchemaError, "fit.extra"),
    (lambda: _load_model(_MAP, ("fit", "extra", "priors"), ...), SchemaError, "fit.extra"),
    (
        lambda: _load_model(_MAP, ("fit", "extra", "log_prior"), float("nan")),
        SchemaError,
        "fit.extra.log_prior",
    ),
    (
        lambda: _load_model(_MAP, ("fit", "extra", "log_prior"), 3.0),
        SchemaError,
        "fit.extra.log_prior",
    ),
    (
        lambda: _load_model(_RESTRICTED, ("fit", "extra", "fixed", "r"), 0.5),
        SchemaError,
        "fit.extra.fixed.r",
    ),
    (
        lambda: _load_model(_RESTRICTED, ("fit", "extra", "fixed", "r"), "x"),
        SchemaError,
        "fit.extra.fixed.r",
    ),
    (
        lambda: _load_model(_RESTRICTED, ("fit", "extra", "fixed", "zz"), 0.5),
        SchemaError,
        "fit.extra.fixed.zz",
    ),
    (
        lambda: _load_model(_RESTRICTED, ("fit", "extra", "fixed"), ["r"]),
        SchemaError,
        "fit.extra.fixed",
    ),
    # a saved bootstrap: text, booleans, other parameter names, unknown model, estimates
    # outside the domain and fewer than 2 resamples were loaded
    (lambda: _load_boot(("draws", 0, 0), "1"), SchemaError, "draws"),
    (lambda: _load_boot(("draws", 0, 0), True), SchemaError, "draws"),
    (lambda: _load_boot(("draws", 0, 0), -1.0), SchemaError, "draws.0"),
    (lambda: _load_boot(("estimate", 0), -1.0), SchemaError, "estimate"),
    (lambda: _load_boot(("estimate", 0), True), SchemaError, "estimate"),
    (lambda: _load_boot(("param_names",), ["r", "r", "a", "b"]), SchemaError, "param_names"),
    (lambda: _load_boot(("model",), "Nope"), SchemaError, "model"),
    (lambda: _load_boot(("n_boot",), 1), SchemaError, "n_boot"),
    # a saved likelihood-ratio test: NaN/inf, a p-value that is not the statistic's, text
    # restrictions (raw ValueError), df not the number of restrictions, unknown keys
    (lambda: _load_lrt(("p_value",), 2.0), SchemaError, "p_value"),
    (lambda: _load_lrt(("p_value",), 0.001), SchemaError, "p_value"),
    (lambda: _load_lrt(("statistic",), float("inf")), SchemaError, "statistic"),
    (lambda: _load_lrt(("statistic",), float("nan")), SchemaError, "statistic"),
    (lambda: _load_lrt(("restrictions", "r"), "x"), SchemaError, "restrictions.r"),
    (lambda: _load_lrt(("restrictions", "r"), None), SchemaError, "restrictions.r"),
    (lambda: _load_lrt(("restrictions", "r"), True), SchemaError, "restrictions.r"),
    (lambda: _load_lrt(("df",), 3), SchemaError, "df"),
    (lambda: _load_lrt(("zz",), 1), SchemaError, "zz"),
    (lambda: LikelihoodRatioTest.from_json("[1]"), SchemaError, None),
    # compare_models: text and booleans read as numbers, mismatched lengths (raw ValueError or
    # naming the internal ``t``), two names that print alike
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "frequency_holdout": ["0", "1", "3"]}),
        DataError,
        "frequency_holdout",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "frequency_holdout": [False, True, True]}),
        DataError,
        "frequency_holdout",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "duration_holdout": ["39"] * 3}),
        DataError,
        "duration_holdout",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "frequency": ["a", "b", "c"]}),
        DataError,
        "frequency",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "frequency_holdout": [0, 1]}),
        DataError,
        "frequency_holdout",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "duration_holdout": [39.0, 39.0]}),
        DataError,
        "duration_holdout",
    ),
    (
        lambda: compare_models({"bg": TRUE}, {**_HOLD, "duration_holdout": [[39.0] * 3]}),
        DataError,
        "duration_holdout",
    ),
    (lambda: compare_models({1: TRUE, "1": FIT}, _HOLD), ArgumentError, "models"),  # type: ignore[dict-item]
    # a saved comparison: NaN/inf, impossible values, duplicate rows, unknown keys
    (lambda: _load_table(("rows", 0, "mae"), float("nan")), SchemaError, "rows.0.mae"),
    (lambda: _load_table(("rows", 0, "rmse"), float("inf")), SchemaError, "rows.0.rmse"),
    (lambda: _load_table(("rows", 0, "mae"), -1.0), SchemaError, "rows.0.mae"),
    (lambda: _load_table(("rows", 0, "rmse"), 0.0), SchemaError, "rows.0.rmse"),
    (lambda: _load_table(("rows", 0, "log_score"), 3.0), SchemaError, "rows.0.log_score"),
    (lambda: _load_table(("rows", 1, "model"), "bg"), SchemaError, "rows.1.model"),
    (lambda: _load_table(("rows", 1, "actual_total"), 5.0), SchemaError, "rows.1.actual_total"),
    (lambda: _load_table(("zz",), 1), SchemaError, "zz"),
    # simulate_transactions: dates past pandas' range wrapped around silently or raised
    # OverflowError; a number as start was read as nanoseconds after 1970; rates drawn as 0
    # warned; a huge BG/BB T or purchase rate hung
    (lambda: simulate_transactions(_WEEKLY, [1e300], rng=1), ArgumentError, "T"),
    (lambda: simulate_transactions(_WEEKLY, [10**6], rng=1), ArgumentError, "T"),
    (lambda: simulate_transactions(_WEEKLY, [39], start="2262-01-01", rng=1), ArgumentError, "T"),
    (lambda: simulate_transactions(_WEEKLY, [1], start="9999-01-01"), ArgumentError, "start"),
    (lambda: simulate_transactions(_WEEKLY, [1], start=5), ArgumentError, "start"),
    (
        lambda: simulate_transactions(
            BGBB(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0), [10**9], time_unit="W"
        ),
        ArgumentError,
        "T",
    ),
    (
        lambda: simulate_transactions(
            BGNBD(r=1e6, alpha=1e-3, a=1e-3, b=1e6), [39.0] * 10, time_unit="W", rng=1
        ),
        ArgumentError,
        "T",
    ),
    # p_alive_path: None or numbers among dates (a pandas warning), a span beyond the floats
    # (a RuntimeWarning), naive and aware dates mixed, a fractional end in discrete time
    # (silently floored)
    (lambda: _WEEKLY.p_alive_path([0, None]), ArgumentError, "purchases"),  # type: ignore[arg-type]
    (lambda: _WEEKLY.p_alive_path(["2020-01-01", None]), ArgumentError, "purchases"),  # type: ignore[arg-type]
    (lambda: TRUE.p_alive_path([-1e308, 1e308]), ArgumentError, "purchases"),
    (
        lambda: _WEEKLY.p_alive_path(
            [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-15", tz="UTC")]  # type: ignore[arg-type]
        ),
        ArgumentError,
        "purchases",
    ),
    (
        lambda: BGBB(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0).p_alive_path([0, 2], end=4.5),
        ArgumentError,
        "end",
    ),
]


@pytest.mark.parametrize(("call", "error", "name"), REVIEW_CASES)
def test_review_bad_input_names_what_is_wrong(call: Any, error: type, name: str | None) -> None:
    test_bad_input_names_what_is_wrong(call, error, name)


def test_review_round_trips_still_hold() -> None:
    """The checks added on load accept what relmark saved (MAP, restricted, bootstrap, test,
    table), and a saved test is JSON text now (to_json/from_json)."""
    assert BGNBD.from_json(_MAP.to_json()) == _MAP
    assert BGNBD.from_json(_RESTRICTED.to_json()) == _RESTRICTED
    assert Bootstrap.from_json(_BOOT.to_json()) == _BOOT
    assert LikelihoodRatioTest.from_json(_LRT.to_json()) == _LRT
    assert ModelComparison.from_json(_TABLE.to_json()) == _TABLE


def test_review_simulated_hours_keep_their_age() -> None:
    """A customer aged 10 h at the end was summarised as 11 h: 38 h was computed as
    38 * (1/24) days and truncated to 3 ns short of 38 h (now rounded to the nanosecond)."""
    from relmark.data import summarize

    log = simulate_transactions(TRUE, [48, 10], time_unit="h", rng=1)
    first = log.groupby("customer_id")["date"].min()
    assert first.iloc[1] == pd.Timestamp("2020-01-02 14:00")  # start + 48 h - 10 h, by hand
    summary = summarize(log, time_unit="h", observation_end=pd.Timestamp("2020-01-03"))
    assert summary.T.tolist() == [48.0, 10.0]


def test_review_zero_rates_simulate_without_warnings() -> None:
    """Rates drawn as exactly 0 (r or s of 1e-8) warned "divide by zero": such a customer
    makes only the first purchase (BG/NBD) or lives forever (Pareto/NBD)."""
    log = simulate_transactions(
        BGNBD(r=1e-8, alpha=1.0, a=1.0, b=1.0), [39.0] * 50, time_unit="W", rng=1
    )
    assert log.shape[0] == 50  # every rate ~ 0: first purchases only
    log = simulate_transactions(
        ParetoNBD(r=1.0, alpha=10.0, s=1e-8, beta=1.0), [39.0] * 50, time_unit="W", rng=1
    )
    assert log["customer_id"].nunique() == 50


def test_review_aware_dates_in_several_offsets() -> None:
    """Aware dates in two offsets were refused ("must be numbers or dates"): 2020-01-15 at
    +05:00 is 14 days less 5 hours after 2020-01-01 UTC, (14 - 5/24) / 7 weeks."""
    path = _WEEKLY.p_alive_path(
        ["2020-01-01T00:00:00+00:00", "2020-01-15T00:00:00+05:00"], points=2
    )
    assert path["time"].max() == pytest.approx((14 - 5 / 24) / 7, rel=1e-12)


def test_review_gamma_gamma_lr_test_without_warnings() -> None:
    """The LR test of a Gamma-Gamma fit took log 0 on the non-repeat buyers (RuntimeWarning);
    the statistic is 2 (l_full - l_restricted) of the fits, recomputed on the repeat buyers."""
    freq = DATA["frequency"]
    rng = np.random.default_rng(5)  # spends from FHL's Gamma-Gamma (p, q, gamma) = (6.25,
    nu = rng.gamma(3.74, 1 / 15.44, size=freq.shape[0])  # 3.74, 15.44): a mean of x amounts
    mean = rng.gamma(6.25 * np.maximum(freq, 1), 1 / (nu * np.maximum(freq, 1)))
    data = {"frequency": freq, "monetary_value": np.where(freq > 0, mean, 0.0)}
    full = GammaGamma.fit(data)
    restricted = GammaGamma.fit(data, fixed={"p": 6.0})
    test = likelihood_ratio_test(restricted, full, data)
    expected = 2 * (full.fit_result.log_likelihood - restricted.fit_result.log_likelihood)
    assert test.statistic == pytest.approx(expected, rel=1e-9)
    assert test.p_value == pytest.approx(chi2_sf(expected, 1), rel=1e-9)


def chi2_sf(x: float, df: int) -> float:
    from scipy.stats import chi2

    return float(chi2.sf(x, df))


def test_review_compare_models_reads_a_polars_frame() -> None:
    """A polars frame was read as an object without the columns ("needs the column
    'frequency'"); it gives the pandas frame's table."""
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({k: np.asarray(v) for k, v in _HOLD.items()})
    models = {"bg": TRUE}
    assert compare_models(models, frame) == compare_models(models, pd.DataFrame(_HOLD))


@pytest.mark.parametrize(
    ("args", "name"), [(("gamma", 1e200, 1.0), "first"), (("beta", 2.0, 1e13), "second")]
)
def test_review_prior_too_concentrated_is_refused(args: Any, name: str) -> None:
    """A gamma shape of 1e200 was accepted, and its log density (k log rate - log Gamma(k),
    both ~1e202) kept no digit: the MAP fit wandered and warned. Beyond 1e10 it is refused;
    at 1e10 it agrees with scipy to 1e-6 (10.5939967 by scipy.stats.gamma.logpdf)."""
    with pytest.raises(ParameterError) as info:
        Prior(*args)
    assert info.value.argument == name and "fixed" in str(info.value)
    assert Prior("gamma", 1e10, 1e10).log_density(1.0) == pytest.approx(10.5939967, abs=1e-5)


def test_review_spend_beyond_the_floats_is_refused() -> None:
    """Gamma-Gamma p = 0.001 drew amounts that underflowed to exactly 0 (a 'transaction' of
    0, which summarize and Gamma-Gamma then refuse); q = 1e300 with gamma = 1e-300 warned
    "divide by zero" and gave 0 too. Now an ArgumentError naming spend."""
    for spend in (
        GammaGamma(p=1e-3, q=1.01, gamma=1e-3),
        GammaGamma(p=6.25, q=1e300, gamma=1e-300),
    ):
        with pytest.raises(ArgumentError) as info:
            simulate_transactions(_WEEKLY, [39.0] * 50, spend=spend, rng=1)
        assert info.value.argument == "spend"


# a 400-digit integer in saved JSON raised a raw OverflowError from math.isfinite: now the
# SchemaError naming the key (one check, _validation.is_json_number, for every saved result)
@pytest.mark.parametrize(
    ("load", "path", "key"),
    [
        (_load_lrt, ("statistic",), "statistic"),
        (_load_lrt, ("restrictions", "r"), "restrictions.r"),
        (_load_table, ("rows", 0, "mae"), "rows.0.mae"),
        # the bootstrap's arrays: numpy's float conversion overflowed (review round 4)
        (_load_boot, ("draws", 0, 0), "draws"),
        (_load_boot, ("estimate", 0), "estimate"),
    ],
)
def test_json_integer_beyond_float_names_the_key(load: Any, path: Any, key: str) -> None:
    with pytest.raises(SchemaError) as info:
        load(path, 10**400)
    assert info.value.key == key


_D_ANY: Any = "BGNBD"  # not a model


def test_lr_test_and_bootstrap_name_the_unfitted_model() -> None:
    for call, name in (
        (lambda: likelihood_ratio_test(TRUE, FIT), "restricted"),
        (lambda: likelihood_ratio_test(_RESTRICTED, _D_ANY), "full"),
        (lambda: bootstrap(TRUE, DATA, n_boot=2), "model"),
    ):
        with pytest.raises(ArgumentError) as info:
            call()
        assert info.value.argument == name
