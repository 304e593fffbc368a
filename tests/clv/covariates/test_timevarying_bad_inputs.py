"""Bad inputs to the time-varying covariate Pareto/NBD: each raises the documented error type
and names the argument, column, customer or period at fault."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from relmark.clv.covariates.timevarying import (
    TimeVaryingCovariates,
    TimeVaryingParetoNBD,
    log_likelihood,
    simulate,
)
from relmark.errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    ParameterError,
    SchemaError,
)

P = {"r": 1.0, "alpha": 2.0, "s": 1.0, "beta": 3.0}


def _table(**changes: object) -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "b"],
            "period_start": [0.0, 1.0, 2.0, 0.0, 1.0, 2.0],
            "price": [1.0, 1.1, 0.9, 1.0, 1.2, 0.8],
            "promo": [0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        }
    )
    for k, v in changes.items():
        t[k] = v  # type: ignore[call-overload]
    return t


def _cov(table: pd.DataFrame | None = None) -> TimeVaryingCovariates:
    return TimeVaryingCovariates.from_frame(
        _table() if table is None else table, purchase=["price"], dropout=["promo"]
    )


def _ll(**kw: object) -> object:
    args: dict[str, object] = {
        "params": P,
        "frequency": [1, 0],
        "recency": [1.0, 0.0],
        "T": [2.5, 2.0],
        "covariates": _cov(),
        "observation_end": 3.0,
        "purchase_effects": {"price": 0.1},
        "dropout_effects": {"promo": 0.2},
        "customer_ids": ["a", "b"],
    }
    args.update(kw)
    return log_likelihood(**args)  # type: ignore[arg-type]


def _check(exc: pytest.ExceptionInfo[Exception], *words: str) -> None:
    text = str(exc.value)
    for w in words:
        assert w in text, (w, text)


def test_text_covariate_column_refused() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(price=["x", "y", "z", "x", "y", "z"]))
    assert e.value.column == "price"


def test_nan_covariate_names_the_customer() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(promo=[0.0, np.nan, 0.0, 1.0, 0.0, 0.0]))
    assert e.value.column == "promo"
    assert "a" in e.value.rows


def test_boolean_covariate_refused() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(promo=[True, False, True, False, True, False]))
    assert e.value.column == "promo"


def test_missing_covariate_column() -> None:
    with pytest.raises(DataError) as e:
        TimeVaryingCovariates.from_frame(_table(), purchase=["discount"])
    assert e.value.column == "discount"


def test_missing_period_column() -> None:
    with pytest.raises(DataError) as e:
        TimeVaryingCovariates.from_frame(_table(), purchase=["price"], period_column="week")
    assert e.value.column == "week"


def test_text_period_starts_refused() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(period_start=["0", "1", "2", "0", "1", "2"]))
    assert e.value.column == "period_start"


def test_duplicate_period_names_customer_and_period() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(period_start=[0.0, 1.0, 1.0, 0.0, 1.0, 2.0]))
    _check(e, "'a'", "1")
    assert e.value.column == "period_start"


def test_gap_in_periods_names_customer_and_period() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(period_start=[0.0, 1.0, 2.0, 0.0, 2.0, 3.0]))
    _check(e, "'b'", "starting at 1")


def test_period_start_off_the_grid() -> None:
    with pytest.raises(DataError) as e:
        _cov(_table(period_start=[0.0, 1.0, 2.0, 0.0, 1.5, 2.0]))
    _check(e, "grid", "period_length")


def test_period_length_must_be_positive() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingCovariates.from_frame(_table(), purchase=["price"], period_length=0.0)
    assert e.value.argument == "period_length"


def test_no_covariates_named() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingCovariates.from_frame(_table())
    assert e.value.argument == "purchase"


def test_single_string_instead_of_list() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingCovariates.from_frame(_table(), purchase="price")
    assert e.value.argument == "purchase"


def test_table_not_a_frame() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingCovariates.from_frame([[1, 2]], purchase=["price"])
    assert e.value.argument == "table"


def test_window_starts_before_the_grid_names_customer() -> None:
    # customer 'a' of age 3.5 at 3.0 first bought at -0.5, before the grid's first period
    with pytest.raises(DataError) as e:
        _ll(T=[3.5, 2.0])
    _check(e, "'a'", "-0.5")
    assert e.value.column == "T"


def test_window_ends_after_the_grid() -> None:
    with pytest.raises(DataError) as e:
        _ll(observation_end=3.5, T=[2.5, 2.0])
    _check(e, "3.5", "ends at 3")


def test_missing_period_inside_a_window_names_customer_and_period() -> None:
    t = _table().iloc[[1, 2, 3, 4, 5]]  # customer a has no row for period 0
    with pytest.raises(DataError) as e:
        _ll(covariates=_cov(t), T=[2.5, 2.0])
    _check(e, "'a'", "starting at 0")
    assert list(e.value.rows) == ["a"]


def test_unknown_customer_in_the_summary() -> None:
    with pytest.raises(DataError) as e:
        _ll(customer_ids=["a", "zz"])
    assert list(e.value.rows) == ["zz"]


def test_customer_ids_of_wrong_length() -> None:
    with pytest.raises(DataError) as e:
        _ll(customer_ids=["a"])
    assert e.value.column == "customer_ids"


def test_bad_summary_recency_above_T() -> None:
    with pytest.raises(DataError) as e:
        _ll(recency=[3.0, 0.0])
    assert e.value.column == "recency"


def test_negative_parameter() -> None:
    with pytest.raises(ArgumentError) as e:
        _ll(params={**P, "alpha": -1.0})
    assert e.value.argument == "alpha"


def test_missing_parameter() -> None:
    with pytest.raises(ParameterError) as e:
        _ll(params={"r": 1.0, "alpha": 2.0, "s": 1.0})
    assert e.value.argument == "params.beta"


def test_effects_not_matching_the_covariates() -> None:
    with pytest.raises(ArgumentError) as e:
        _ll(purchase_effects={"promo": 0.1})
    assert e.value.argument == "purchase_effects"


def test_effect_not_a_number() -> None:
    with pytest.raises(ArgumentError) as e:
        _ll(dropout_effects={"promo": "high"})
    assert e.value.argument == "dropout_effects.promo"


def test_covariates_of_wrong_type() -> None:
    with pytest.raises(ArgumentError) as e:
        _ll(covariates=_table())
    assert e.value.argument == "covariates"


def test_observation_end_not_a_number() -> None:
    with pytest.raises(ArgumentError) as e:
        _ll(observation_end="2026-01-01")
    assert e.value.argument == "observation_end"


def _model() -> TimeVaryingParetoNBD:
    return TimeVaryingParetoNBD(
        params=dict(P),
        purchase_effects={"price": 0.1},
        dropout_effects={"promo": 0.2},
        covariance=np.eye(6) * 0.01,
        log_likelihood=-1.0,
        nobs=2,
        converged=True,
        grid_start=0.0,
        period_length=1.0,
    )


def test_prediction_horizon_beyond_the_grid() -> None:
    with pytest.raises(DataError) as e:
        _model().conditional_expected_purchases(
            2.0,
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            customer_ids=["a", "b"],
        )
    _check(e, "observation_end + t")


def test_prediction_negative_horizon() -> None:
    with pytest.raises(ArgumentError) as e:
        _model().conditional_expected_purchases(
            -1.0, [1, 0], [1.0, 0.0], [2.5, 2.0], _cov(), observation_end=2.5
        )
    assert e.value.argument == "t"


def test_prediction_with_other_covariates() -> None:
    other = TimeVaryingCovariates.from_frame(_table(), purchase=["promo"])
    with pytest.raises(DataError) as e:
        _model().p_alive([1, 0], [1.0, 0.0], [2.5, 2.0], other, observation_end=3.0)
    _check(e, "price", "promo")


def test_level_out_of_range() -> None:
    with pytest.raises(ArgumentError) as e:
        _model().conf_int(level=1.5)
    assert e.value.argument == "level"


def test_simulate_bad_rng() -> None:
    with pytest.raises(ArgumentError) as e:
        simulate(
            P,
            _cov(),
            T=[2.0, 2.0],
            observation_end=3.0,
            purchase_effects={"price": 0.1},
            dropout_effects={"promo": 0.2},
            rng="seed",  # type: ignore[arg-type]
        )
    assert e.value.argument == "rng"


def test_fit_bad_n_jobs() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingParetoNBD.fit(
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=3.0,
            customer_ids=["a", "b"],
            n_jobs=0,
        )
    assert e.value.argument == "n_jobs"


def test_from_json_not_json() -> None:
    with pytest.raises(SchemaError):
        TimeVaryingParetoNBD.from_json("{not json")


def test_from_json_unknown_key() -> None:
    import json

    d = json.loads(_model().to_json())
    d["colour"] = "red"
    with pytest.raises(SchemaError) as e:
        TimeVaryingParetoNBD.from_json(json.dumps(d))
    assert e.value.key == "colour"


def test_from_json_nonfinite_effect() -> None:
    import json

    d = json.loads(_model().to_json())
    d["dropout_effects"]["promo"] = "0.2"
    with pytest.raises(SchemaError) as e:
        TimeVaryingParetoNBD.from_json(json.dumps(d))
    assert e.value.key == "dropout_effects.promo"


def test_negative_discount_rate() -> None:
    with pytest.raises(ArgumentError) as e:
        _model().discounted_expected_purchases(
            0.5,
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            discount_rate=-0.1,
            customer_ids=["a", "b"],
        )
    assert e.value.argument == "discount_rate"


def test_fit_constant_covariate_refused() -> None:
    table = _table(price=[1.0] * 6)
    cov = TimeVaryingCovariates.from_frame(table, purchase=["price"], dropout=["promo"])
    with pytest.raises(DataError) as e:
        TimeVaryingParetoNBD.fit(
            [1, 0], [1.0, 0.0], [2.5, 2.0], cov, observation_end=3.0, customer_ids=["a", "b"]
        )
    assert e.value.column == "price"


def test_fit_collinear_covariates_refused() -> None:
    table = _table()
    table["double"] = 2.0 * table["price"] + 1.0
    cov = TimeVaryingCovariates.from_frame(table, purchase=["price", "double"])
    with pytest.raises(DataError) as e:
        TimeVaryingParetoNBD.fit(
            [1, 0], [1.0, 0.0], [2.5, 2.0], cov, observation_end=3.0, customer_ids=["a", "b"]
        )
    assert e.value.column == "double"


# ----------------------------------------------------------------------------- adversarial review
# Regression tests of the findings of the adversarial review (raw errors, warnings or silent
# wrong results before the fix).
@pytest.mark.parametrize("far", [1e9, 1e15, 1e300])
def test_period_starts_far_apart_are_refused(far: float) -> None:
    """Two customers 1e9 periods apart needed a 30 GB array (MemoryError); 1e300 gave a cast
    RuntimeWarning."""
    table = _table(period_start=[0.0, 1.0, 2.0, far, far + 1.0, far + 2.0])
    with pytest.raises(DataError) as e:
        _cov(table)
    assert e.value.column == "period_start"


def test_tiny_period_length_is_refused() -> None:
    with pytest.raises(DataError) as e:
        TimeVaryingCovariates.from_frame(_table(), purchase=["price"], period_length=1e-300)
    assert e.value.column == "period_start"


def test_overflowing_effects_name_the_covariate_and_customer() -> None:
    """exp(1e6 * 1.1) overflowed with a RuntimeWarning."""
    with pytest.raises(DataError) as e:
        log_likelihood(
            P,
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            purchase_effects={"price": 1e6},
            dropout_effects={"promo": 0.0},
            customer_ids=["a", "b"],
        )
    assert e.value.column == "price"
    assert e.value.rows == ("a",)


@pytest.mark.parametrize(("ids", "error"), [(1, ArgumentError), (["a", "a"], DataError)])
def test_customer_ids_must_be_a_list_of_distinct_ids(ids: object, error: type) -> None:
    """A scalar raised a raw TypeError; a customer listed twice was accepted."""
    with pytest.raises(error) as e:
        log_likelihood(
            P,
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.5],
            _cov(),
            observation_end=2.5,
            purchase_effects={"price": 0.1},
            dropout_effects={"promo": 0.0},
            customer_ids=ids,  # type: ignore[arg-type]
        )
    assert "customer_ids" in str(e.value)


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(ParameterError) as e:
        log_likelihood(
            {**P, "a": 1.0},
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            purchase_effects={"price": 0.1},
            dropout_effects={"promo": 0.0},
            customer_ids=["a", "b"],
        )
    assert e.value.argument == "params.a"


def _model_dict() -> dict[str, object]:
    cov = [[0.1 if i == j else 0.0 for j in range(6)] for i in range(6)]
    return {
        "model": "TimeVaryingParetoNBD",
        "schema": 1,
        "params": dict(P),
        "purchase_covariates": ["price"],
        "dropout_covariates": ["promo"],
        "purchase_effects": {"price": 0.1},
        "dropout_effects": {"promo": -0.2},
        "grid": {"start": 0.0, "period_length": 1.0},
        "covariance": cov,
        "log_likelihood": -10.0,
        "nobs": 2,
        "converged": True,
    }


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c[0].__setitem__(0, -1.0),  # negative variance: std_errors warned in sqrt
        lambda c: (c[0].__setitem__(1, None), c[1].__setitem__(0, None)),  # partly null
        lambda c: (c[0].__setitem__(1, 5.0), c[1].__setitem__(0, 5.0)),  # |corr| > 1: not PSD
    ],
)
def test_json_covariance_must_be_a_covariance(edit: object) -> None:
    d = _model_dict()
    edit(d["covariance"])  # type: ignore[operator]
    with pytest.raises(SchemaError) as e:
        TimeVaryingParetoNBD.from_json(json.dumps(d))
    assert e.value.key == "covariance"


@pytest.mark.parametrize(
    ("field", "value", "argument"),
    [
        ("params", {**P, "r": -1.0}, "params.r"),
        ("purchase_effects", {"price": float("nan")}, "purchase_effects.price"),
        ("covariance", np.zeros((2, 2)), "covariance"),
        ("nobs", True, "nobs"),
        ("period_length", 0.0, "period_length"),
    ],
)
def test_direct_construction_is_checked(field: str, value: object, argument: str) -> None:
    """The dataclass took anything; a wrong covariance shape raised a raw ValueError later."""
    kw: dict[str, object] = {
        "params": dict(P),
        "purchase_effects": {"price": 0.1},
        "dropout_effects": {},
        "covariance": np.full((5, 5), np.nan),
        "log_likelihood": -1.0,
        "nobs": 1,
        "converged": True,
        "grid_start": 0.0,
        "period_length": 1.0,
    }
    kw[field] = value
    with pytest.raises(ArgumentError) as e:
        TimeVaryingParetoNBD(**kw)  # type: ignore[arg-type]
    assert e.value.argument == argument


def test_direct_covariates_are_checked() -> None:
    with pytest.raises(ArgumentError) as e:
        TimeVaryingCovariates(
            customer_ids=(1,),
            purchase_names=("z",),
            dropout_names=(),
            grid_start=0.0,
            period_length=1.0,
            purchase=np.ones((2, 3, 1)),
            dropout=np.ones((2, 3, 0)),
        )
    assert e.value.argument == "purchase"


def _season_promo(n: int, k: int, seed: int, promo_scale: float = 1.0):
    rng = np.random.default_rng(seed)
    season = np.sin(np.arange(k) * 2 * np.pi / 26)
    table = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "period_start": np.tile(np.arange(k, dtype=float), n),
            "season": np.tile(season, n),
            "promo": (rng.uniform(size=n * k) < 0.25).astype(float),
        }
    )
    cov = TimeVaryingCovariates.from_frame(table, purchase=["season", "promo"], dropout=["season"])
    sim = simulate(
        {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 12.0},
        cov,
        T=rng.uniform(0.4 * k, k, n),
        observation_end=float(k),
        purchase_effects={"season": 0.4, "promo": 0.7},
        dropout_effects={"season": -0.5},
        rng=rng,
    )
    scaled = table.assign(promo=table["promo"] * promo_scale)
    return (
        TimeVaryingCovariates.from_frame(scaled, purchase=["season", "promo"], dropout=["season"]),
        sim,
    )


def test_fit_is_equivariant_in_the_covariate_scale() -> None:
    """promo * 1e-6 stopped L-BFGS-B at a wrong optimum (effect 0.003 instead of ~0.7e6) and
    promo * 1e6 overflowed: the same log-likelihood, and effects scaled by 1e6 and 1e-6."""
    cov, sim = _season_promo(600, 20, 3)
    args = (sim["frequency"], sim["recency"], sim["T"])
    plain = TimeVaryingParetoNBD.fit(*args, cov, observation_end=20.0)
    for f in (1e-6, 1e6):
        cov_f, _ = _season_promo(600, 20, 3, promo_scale=f)
        m = TimeVaryingParetoNBD.fit(*args, cov_f, observation_end=20.0)
        assert m.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-6)
        assert m.purchase_effects["promo"] * f == pytest.approx(
            plain.purchase_effects["promo"], rel=1e-4
        )
        assert m.std_errors["purchase:promo"] * f == pytest.approx(
            plain.std_errors["purchase:promo"], rel=1e-3
        )


def test_one_customer_fit_warns_instead_of_leaking_runtime_warnings() -> None:
    """A RuntimeWarning (divide by zero in log) escaped from the worker threads, where numpy's
    errstate did not reach; the unidentified fit now says so."""
    table = _table().iloc[:3]
    cov = TimeVaryingCovariates.from_frame(table, purchase=["price"], dropout=["promo"])
    with pytest.warns(ConvergenceWarning, match="TimeVaryingParetoNBD"):
        TimeVaryingParetoNBD.fit([1], [1.0], [3.0], cov, observation_end=3.0)


def test_customer_ids_as_a_set_are_refused() -> None:
    """A set has no order: it was accepted and paired customers arbitrarily."""
    with pytest.raises(ArgumentError) as e:
        log_likelihood(
            P,
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.5],
            _cov(),
            observation_end=2.5,
            purchase_effects={"price": 0.1},
            dropout_effects={"promo": 0.0},
            customer_ids={"a", "b"},  # type: ignore[arg-type]
        )
    assert e.value.argument == "customer_ids"


def test_json_integers_too_large_and_deep_nesting_are_refused() -> None:
    """A 401-digit integer overflowed float() and deep nesting raised RecursionError, raw."""
    text = json.dumps(_model_dict())
    with pytest.raises(SchemaError) as e:
        TimeVaryingParetoNBD.from_json(text.replace('"alpha": 2.0', '"alpha": 1' + "0" * 400))
    assert e.value.key == "params.alpha"
    with pytest.raises(SchemaError, match="JSON"):
        TimeVaryingParetoNBD.from_json("[" * 100_000 + "]" * 100_000)


def test_p_alive_ahead_beyond_the_grid() -> None:
    """P(alive) at T + t needs covariates up to observation_end + t (the grid ends at 3)."""
    with pytest.raises(DataError) as e:
        _model().p_alive(
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            t=1.0,
            customer_ids=["a", "b"],
        )
    assert e.value.column == "period_start"
    _check(e, "observation_end + t")


@pytest.mark.parametrize("t", [-0.5, float("nan"), float("inf"), "1", True, [1.0, 2.0]])
def test_p_alive_ahead_bad_horizon(t: object) -> None:
    with pytest.raises(ArgumentError) as e:
        _model().p_alive(
            [1, 0],
            [1.0, 0.0],
            [2.5, 2.0],
            _cov(),
            observation_end=2.5,
            t=t,  # type: ignore[arg-type]
        )
    assert e.value.argument == "t"


def test_covariate_so_far_from_zero_that_alpha_at_zero_overflows() -> None:
    """A season around 1e4 with an effect of about 0.4: alpha at covariates 0 would be
    e^4000 (the fit itself, centred, is fine): a DataError naming the covariate, not inf."""
    n, k = 400, 20
    rng = np.random.default_rng(5)
    season = np.sin(np.arange(k) * 2 * np.pi / 26)
    table = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "period_start": np.tile(np.arange(k, dtype=float), n),
            "season": np.tile(season, n),
        }
    )
    cov = TimeVaryingCovariates.from_frame(table, purchase=["season"])
    sim = simulate(
        {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 12.0},
        cov,
        T=rng.uniform(8.0, k, n),
        observation_end=float(k),
        purchase_effects={"season": 0.4},
        rng=rng,
    )
    far = TimeVaryingCovariates.from_frame(
        table.assign(season=table["season"] + 1e4), purchase=["season"]
    )
    with pytest.raises(DataError, match="beyond floating point") as info:
        TimeVaryingParetoNBD.fit(
            sim["frequency"], sim["recency"], sim["T"], far, observation_end=float(k)
        )
    assert info.value.column == "season"
