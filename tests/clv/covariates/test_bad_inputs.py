"""Bad inputs to the static covariate models: each case asserts the error type and that the
message names the argument, column, row or JSON key."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

from relmark.clv.covariates import (
    CovariateBGNBD,
    CovariateGammaGamma,
    CovariateMBGNBD,
    CovariateParetoNBD,
    clv,
    load_model,
)
from relmark.clv.covariates._design import check_names, coefficient_table, read_covariates
from relmark.errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    ParameterError,
    SchemaError,
)

BG = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}


def _summary(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    sim = CovariateBGNBD(params=BG).simulate(T=rng.uniform(20, 50, n), rng=rng)
    df = pd.DataFrame(sim).drop(columns="alive")
    df["age"] = rng.normal(size=n)
    df["web"] = rng.integers(0, 2, n).astype(float)
    return df


def _fit(df: object, **kw: object) -> None:
    CovariateBGNBD.fit(df, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mutate", "column", "needle"),
    [
        (lambda d: d.assign(channel=["web", "shop"] * (len(d) // 2)), "channel", "get_dummies"),
        (lambda d: d.assign(channel=pd.Categorical([1, 2] * (len(d) // 2))), "channel", "categ"),
        (lambda d: d.assign(channel=d["web"] > 0), "channel", "astype(float)"),
        (lambda d: d.assign(channel=pd.Series(["a"] * len(d), dtype="string")), "channel", "str"),
        (
            lambda d: d.assign(channel=pd.to_datetime(["2020-01-01"] * len(d))),
            "channel",
            "datetime",
        ),
        (lambda d: d.assign(channel=np.where(np.arange(len(d)) == 7, np.nan, 1.0)), "channel", "7"),
        (lambda d: d.assign(channel=np.where(np.arange(len(d)) == 3, np.inf, 1.0)), "channel", "3"),
        (lambda d: d.assign(channel=2.0), "channel", "constant"),
        (lambda d: d.assign(channel=2 * d["age"] + 1), "channel", "linear combination"),
        (lambda d: d.assign(channel=[None, *([1.0] * (len(d) - 1))]), "channel", "0"),
        (lambda d: d, "channel", "missing"),
    ],
)
def test_bad_covariate_columns(mutate, column: str, needle: str) -> None:
    df = mutate(_summary())
    with pytest.raises(DataError) as info:
        _fit(df, purchase_covariates=["age", "channel"])
    assert info.value.column == column
    assert needle in str(info.value)


def test_collinear_across_indicators_names_the_columns() -> None:
    df = _summary()
    df["shop"] = 1.0 - df["web"]  # web + shop = 1: collinear with the intercept
    with pytest.raises(DataError) as info:
        _fit(df, dropout_covariates=["web", "shop"])
    assert info.value.column == "shop"
    assert "'web'" in str(info.value)


def test_polars_categorical_and_bool_refused() -> None:
    df = pl.from_pandas(_summary()).with_columns(
        pl.Series("tier", ["a", "b"] * 100).cast(pl.Categorical), flag=pl.col("web") > 0
    )
    for name in ("tier", "flag"):
        with pytest.raises(DataError) as info:
            _fit(df, purchase_covariates=[name])
        assert info.value.column == name


@pytest.mark.parametrize(
    ("kw", "argument"),
    [
        ({"purchase_covariates": "age"}, "purchase_covariates"),
        ({"purchase_covariates": ["age", "age"]}, "purchase_covariates"),
        ({"dropout_covariates": [""]}, "dropout_covariates"),
        ({"dropout_covariates": [3]}, "dropout_covariates"),
        ({"shared_covariates": ["a:b"]}, "shared_covariates"),
        ({"shared_covariates": ["age"], "purchase_covariates": ["age"]}, "shared_covariates"),
        ({"penalty": -1.0}, "penalty"),
        ({"penalty": float("nan")}, "penalty"),
        ({"purchase_covariates": 5}, "purchase_covariates"),
    ],
)
def test_bad_arguments(kw: dict[str, object], argument: str) -> None:
    with pytest.raises(ArgumentError) as info:
        _fit(_summary(), **kw)
    assert info.value.argument == argument


def test_bad_summary_columns() -> None:
    df = _summary().drop(columns="T")
    with pytest.raises(DataError) as info:
        _fit(df, purchase_covariates=["age"])
    assert info.value.column == "T"
    df = _summary()
    df.loc[4, "recency"] = -1.0
    with pytest.raises(DataError) as info:
        _fit(df, purchase_covariates=["age"])
    assert info.value.column == "recency"


def test_covariate_array_of_the_wrong_shape() -> None:
    df = _summary()
    with pytest.raises(DataError) as info:
        _fit(df, purchase_covariates=["age", "web"], covariates=np.ones((len(df), 3)))
    assert info.value.column == "covariates"
    with pytest.raises(DataError) as info:
        _fit(df, purchase_covariates=["age"], covariates={"age": np.ones(len(df) - 1)})
    assert info.value.column == "age"


def test_bad_parameters_and_coefficients() -> None:
    with pytest.raises(ParameterError) as info:
        CovariateBGNBD(params={**BG, "r": -1.0})
    assert info.value.argument == "r"
    with pytest.raises(ParameterError) as info:
        CovariateBGNBD(params=BG, coefficients={"purchase:age": 0.1})
    assert info.value.argument == "purchase:age"
    with pytest.raises(ParameterError) as info:
        CovariateBGNBD(
            params=BG, coefficients={"purchase:age": float("inf")}, covariates={"purchase": ["age"]}
        )
    assert info.value.argument == "purchase:age"
    with pytest.raises(ArgumentError) as info2:
        CovariateBGNBD(params=BG, covariates={"spend": ["age"]})
    assert "spend" in str(info2.value)


def test_bad_prediction_inputs() -> None:
    model = CovariateBGNBD(
        params=BG, coefficients={"purchase:age": 0.3}, covariates={"purchase": ["age"]}
    )
    df = _summary()
    with pytest.raises(ArgumentError) as info:
        model.conditional_expected_purchases(df, t=-1.0)
    assert info.value.argument == "t"
    with pytest.raises(DataError) as info2:
        model.p_alive(df.drop(columns="age"))
    assert info2.value.column == "age"
    with pytest.raises(ArgumentError) as info:
        model.expected_purchases_new_customer(t=5.0)
    assert info.value.argument == "covariates"
    with pytest.raises(ArgumentError) as info:
        model.dert(df, continuous_discount_rate=0.0)
    assert info.value.argument == "continuous_discount_rate"
    with pytest.raises(DataError) as info2:
        model.p_alive(df.assign(age=1e6))  # exp(-0.3e6): the scale underflows to 0
    assert info2.value.column == "covariates"
    with pytest.raises(ArgumentError) as info:
        model.simulate({"age": [0.0]}, T=[10.0], rng="seed")  # type: ignore[arg-type]
    assert info.value.argument == "rng"
    with pytest.raises(ArgumentError):
        model.summary()  # built from values: no fit


def test_gamma_gamma_bad_spend() -> None:
    df = pd.DataFrame({"frequency": [1.0, 2.0, 0.0], "monetary_value": [10.0, -1.0, 0.0]})
    df["web"] = [0.0, 1.0, 1.0]
    with pytest.raises(DataError) as info:
        CovariateGammaGamma.fit(df, spend_covariates=["web"])
    assert info.value.column == "monetary_value"
    assert "1" in str(info.value)


def _saved() -> dict[str, object]:
    model = CovariateParetoNBD.fit(
        CovariateParetoNBD(params={"r": 0.8, "alpha": 5.0, "s": 0.6, "beta": 9.0}).simulate(
            T=np.full(500, 40.0), rng=3
        )
        | {"age": np.random.default_rng(1).normal(size=500)},
        purchase_covariates=["age"],
    )
    out: dict[str, object] = json.loads(model.to_json())
    return out


SAVED = _saved()


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: d.pop("params"), "params"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.update(schema="v0"), "schema"),
        (lambda d: d.update(model="CovariateNBD"), "model"),
        (lambda d: d.update(model="CovariateBGNBD"), "params.s"),
        (lambda d: d["params"].update(r=-1.0), "params.r"),
        (lambda d: d["params"].update(r="0.5"), "params.r"),
        (lambda d: d["params"].update(zeta=1.0), "params.zeta"),
        (lambda d: d["coefficients"].update({"purchase:age": "x"}), "coefficients.purchase:age"),
        (lambda d: d["coefficients"].pop("purchase:age"), "coefficients.purchase:age"),
        (lambda d: d["covariates"].update(purchase="age"), "covariates.purchase"),
        (lambda d: d["covariates"].update(purchase=["age", "age"]), "covariates.purchase"),
        (lambda d: d["covariates"].pop("shared"), "covariates"),
        (lambda d: d["fit"].update(nobs=0), "fit.nobs"),
        (lambda d: d["fit"].update(converged="yes"), "fit.converged"),
        (lambda d: d["fit"].update(cov=[[1.0]]), "fit.cov"),
        (lambda d: d["fit"].pop("log_likelihood"), "fit.log_likelihood"),
        (lambda d: d["fit"].update(penalty=-2.0), "fit.penalty"),
        (lambda d: d.update(time_unit=7), "time_unit"),
    ],
)
def test_tampered_json(edit, key: str) -> None:
    d = json.loads(json.dumps(SAVED))
    edit(d)
    with pytest.raises(SchemaError) as info:
        load_model(json.dumps(d))
    assert info.value.key == key


def test_not_json_or_unknown_model() -> None:
    with pytest.raises(SchemaError):
        load_model("{not json")
    with pytest.raises(SchemaError) as info:
        load_model(json.dumps({"model": "Nope"}))
    assert info.value.key == "model"
    with pytest.raises(SchemaError):
        CovariateParetoNBD.from_json("[1, 2]")
    with pytest.raises(SchemaError) as info:
        CovariateBGNBD.from_json(json.dumps(SAVED))  # a Pareto/NBD read as a BG/NBD
    assert info.value.key == "model"


def test_design_helpers() -> None:
    with pytest.raises(ArgumentError) as info:
        check_names(("a", None), "names")
    assert info.value.argument == "names"
    with pytest.raises(ArgumentError) as info:
        coefficient_table(["x"], np.array([1.0]), np.array([0.1]), level=1.5)
    assert info.value.argument == "level"
    with pytest.raises(DataError) as info2:
        read_covariates(np.ones((3, 2, 1)), ["a", "b"])
    assert info2.value.column == "covariates"


# ----------------------------------------------------------------------------- adversarial review
# Regression tests of the findings of the adversarial review (each was a raw error, a silent
# wrong result or a warning before the fix).
WEB = {"purchase": ["web"], "dropout": ["web"]}


def _web_model() -> CovariateBGNBD:
    return CovariateBGNBD(
        params=BG, coefficients={"purchase:web": 0.5, "dropout_a:web": -0.3}, covariates=WEB
    )


@pytest.mark.parametrize("cls", [CovariateBGNBD, CovariateMBGNBD])
def test_one_customer_p_alive_is_the_classic_value(cls: type) -> None:
    """One customer used to raise a raw TypeError (the classic one-customer fast path got a
    (4, 1) parameter column). By hand for BG/NBD at z = 0, x = 2, t_x = 30, T = 40:
    1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)); MBG/NBD uses b + x."""
    m = cls(params=BG, coefficients={"purchase:web": 0.5}, covariates={"purchase": ["web"]})
    out = m.p_alive(frequency=[2], recency=[30.0], T=[40.0], covariates={"web": [0.0]})
    r, alpha, a, b = BG.values()
    shift = 1.0 if cls is CovariateBGNBD else 0.0
    odds = a / (b + 2 - shift) * ((alpha + 40.0) / (alpha + 30.0)) ** (r + 2)
    assert out.shape == (1,)
    assert out[0] == pytest.approx(1.0 / (1.0 + odds), rel=1e-12)


def test_customer_params_refuse_overflow() -> None:
    """exp(0.5 * 1e6) overflows: customer_params used to return inf."""
    with pytest.raises(DataError) as info:
        _web_model().customer_params({"web": [0.0, 1e6]})
    assert info.value.column == "covariates"
    assert 1 in info.value.rows


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"params": None}, "params"),
        ({"params": BG, "coefficients": [("purchase:web", 1.0)]}, "coefficients"),
        ({"params": BG, "covariates": ["web"]}, "covariates"),
        ({"params": BG, "time_unit": 7}, "time_unit"),
        ({"params": BG, "fit": {"cov": []}}, "fit"),
        ({"params": BG, "covariates": {"purchase": ["web"], "shared": ["web"]}}, "shared"),
    ],
)
def test_constructor_refuses_bad_containers(kwargs: dict[str, object], argument: str) -> None:
    """These were raw TypeErrors/ValueErrors, or accepted (a time_unit of 7 was written to JSON
    that from_json then refused)."""
    with pytest.raises(ArgumentError) as info:
        CovariateBGNBD(**kwargs)  # type: ignore[arg-type]
    assert argument in str(info.value.argument)


def test_constructor_refuses_a_fit_of_other_coefficients() -> None:
    fitted = CovariateBGNBD.fit(_summary(), purchase_covariates=["web"])
    with pytest.raises(ArgumentError) as info:
        CovariateBGNBD(params=BG, covariates={"purchase": ["age"]}, fit=fitted.fit_result)
    assert info.value.argument == "fit"


def test_json_refuses_a_covariate_both_shared_and_specific() -> None:
    d = _web_model().to_dict()
    d["covariates"]["shared"] = ["web"]
    d["coefficients"]["both:web"] = 0.0
    with pytest.raises(SchemaError) as info:
        load_model(json.dumps(d))
    assert info.value.key == "covariates.shared"


def test_json_refuses_a_covariance_that_is_not_positive_semidefinite() -> None:
    """Symmetric with a positive diagonal, but the 2 x 2 minor [[v0, 1e3], [1e3, v1]] has a
    negative determinant: not a covariance."""
    d = CovariateBGNBD.fit(_summary(), purchase_covariates=["web"]).to_dict()
    d["fit"]["cov"][0][1] = d["fit"]["cov"][1][0] = 1e3
    with pytest.raises(SchemaError) as info:
        load_model(json.dumps(d))
    assert info.value.key == "fit.cov"


def test_simulate_refuses_negative_ages_and_mismatched_rows() -> None:
    with pytest.raises(DataError) as info:
        _web_model().simulate({"web": [1.0]}, T=[-1.0], rng=1)
    assert info.value.column == "T"
    # a model without covariates: the covariates' rows must still match T (they were ignored)
    with pytest.raises(DataError) as info:
        CovariateBGNBD(params=BG).simulate({"web": [0.0, 1.0, 2.0]}, T=[1.0, 2.0], rng=1)
    assert info.value.column == "T"


def test_new_customers_of_a_model_without_covariates_follow_the_rows() -> None:
    """Three rows of covariates gave one value; now one per row, each the classic
    E[X(t)] of BG/NBD (its own expected_purchases_new_customer)."""
    from relmark.clv import BGNBD

    out = CovariateBGNBD(params=BG).expected_purchases_new_customer(
        {"web": [0.0, 1.0, 2.0]}, t=10.0
    )
    assert out.shape == (3,)
    expected = float(BGNBD(**BG).expected_purchases_new_customer(t=10.0)[0])
    np.testing.assert_allclose(out, np.full(3, expected), rtol=1e-12)


@pytest.mark.parametrize(
    ("purchases", "spend", "argument"),
    [
        ("classic", "covariate", "purchases"),
        ("spend", "covariate", "purchases"),
        # ("mbg", "covariate", ...) is no longer refused: MBG/NBD has a DERT (issue 18)
        ("bg", "classic_bg", "spend"),
        ("bg", None, "spend"),
    ],
)
def test_clv_refuses_the_wrong_models(purchases: str, spend: str | None, argument: str) -> None:
    """These raised raw AttributeErrors/TypeErrors."""
    from relmark.clv import BGNBD

    gg = CovariateGammaGamma(params={"p": 6.0, "q": 4.0, "gamma": 15.0})
    models: dict[str | None, object] = {
        "classic": BGNBD(**BG),
        "spend": gg,
        "mbg": CovariateMBGNBD(params=BG),
        "bg": CovariateBGNBD(params=BG),
        "covariate": gg,
        "classic_bg": BGNBD(**BG),
        None: None,
    }
    df = _summary().assign(monetary_value=10.0)
    with pytest.raises(ArgumentError) as info:
        clv(models[purchases], models[spend], df, continuous_discount_rate=0.01)  # type: ignore[arg-type]
    assert info.value.argument == argument


def test_fit_far_from_zero_names_the_covariate() -> None:
    """age + 1e9: the parameters at age = 0 are exp(gamma * 1e9): overflowed with a
    RuntimeWarning; now a DataError naming age and saying to centre it."""
    df = _summary(400)
    with pytest.raises(DataError) as info:
        CovariateBGNBD.fit(df.assign(age=df["age"] + 1e9), dropout_covariates=["age"])
    assert info.value.column == "age"
    assert "centre" in str(info.value)


def test_fit_is_equivariant_in_the_covariate_scale() -> None:
    """age * 1e6 and age * 1e-6: the same log-likelihood and coefficients / 1e6 and * 1e6."""
    df = _summary(1000)
    plain = CovariateBGNBD.fit(df, purchase_covariates=["age"])
    for f in (1e6, 1e-6):
        m = CovariateBGNBD.fit(df.assign(age=df["age"] * f), purchase_covariates=["age"])
        assert m.fit_result.log_likelihood == pytest.approx(plain.fit_result.log_likelihood)
        assert m.coefficients["purchase:age"] * f == pytest.approx(
            plain.coefficients["purchase:age"], rel=1e-5
        )


def test_unidentified_fits_warn_under_the_covariate_models_name(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """One or two customers: the classic start fit used to warn as 'BGNBD' (or raise a raw
    OverflowError, or leak RuntimeWarnings); now only the covariate model reports, under its own
    name, and the estimates are finite."""
    m = CovariateBGNBD.fit(frequency=[2], recency=[5.0], T=[10.0])
    assert all(np.isfinite(v) and v > 0 for v in m.params.values())
    CovariateBGNBD.fit(frequency=[1, 3], recency=[2.0, 8.0], T=[10.0, 10.0])
    with pytest.warns(ConvergenceWarning, match="CovariateGammaGamma"):
        CovariateGammaGamma.fit(frequency=[0, 3], monetary_value=[0.0, 10.0])
    for w in recwarn.list:
        assert issubclass(w.category, ConvergenceWarning), w
        assert str(w.message).startswith("Covariate"), w


def test_polars_and_pandas_give_the_same_predictions() -> None:
    df = _summary()
    m = _web_model()
    np.testing.assert_allclose(m.p_alive(pl.from_pandas(df)), m.p_alive(df), rtol=1e-14)


def test_covariates_indexed_by_other_customers_or_order_are_refused() -> None:
    """A covariates frame indexed by customer id in another order was read by position: each
    customer silently got someone else's covariates."""
    m = CovariateBGNBD(
        params=BG, coefficients={"purchase:web": 0.5}, covariates={"purchase": ["web"]}
    )
    ids = pd.Index(["a", "b", "c"], name="customer_id")
    data = pd.DataFrame(
        {"frequency": [2.0, 0.0, 5.0], "recency": [30.0, 0.0, 35.0], "T": [38.0] * 3}, index=ids
    )
    cov = pd.DataFrame({"web": [0.0, 1.0, 1.0]}, index=ids)
    expected = m.p_alive(data.assign(web=cov["web"]))
    np.testing.assert_allclose(m.p_alive(data, covariates=cov), expected, rtol=1e-15)
    np.testing.assert_allclose(m.p_alive(data, covariates=cov.reset_index(drop=True)), expected)
    for bad in (cov.loc[["c", "a", "b"]], cov.set_axis(["x", "y", "z"])):
        with pytest.raises(DataError) as info:
            m.p_alive(data, covariates=bad)
        assert info.value.column == "covariates"
        assert "reindex" in str(info.value)


def test_a_fit_result_of_the_wrong_shape_is_refused() -> None:
    """A covariance of another size reached std_errors, which raised a raw ValueError."""
    from relmark.clv.covariates import CovariateFit

    with pytest.raises(ArgumentError) as info:
        CovariateFit(
            names=("r", "alpha", "a", "b"),
            cov=np.zeros((2, 2)),
            log_likelihood=-1.0,
            nobs=10,
            penalty=0.0,
            converged=True,
            grad_norm=0.0,
            n_iter=3,
        )
    assert info.value.argument == "cov"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("4.414", "1" + "0" * 400, "params.alpha"),  # float() of a 401-digit int overflows
        ("0.5", "1" + "0" * 400, "coefficients.purchase:web"),
    ],
)
def test_json_integers_too_large_for_a_float_are_refused(old: str, new: str, key: str) -> None:
    """These raised a raw OverflowError."""
    m = CovariateBGNBD(
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        coefficients={"purchase:web": 0.5},
        covariates={"purchase": ["web"]},
    )
    with pytest.raises(SchemaError) as info:
        load_model(m.to_json().replace(old, new))
    assert info.value.key == key


def test_deeply_nested_json_is_refused() -> None:
    """json.loads raises RecursionError (not a ValueError) past Python's recursion limit."""
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(SchemaError, match="JSON"):
        load_model(text)
    with pytest.raises(SchemaError, match="JSON"):
        CovariateBGNBD.from_json(text)


# ---------------------------------------------------------------- adversarial review (round 4)
_PARAMS = {
    CovariateBGNBD: BG,
    CovariateMBGNBD: BG,
    CovariateParetoNBD: {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7},
}


@pytest.mark.parametrize("cls", [CovariateBGNBD, CovariateMBGNBD, CovariateParetoNBD])
@pytest.mark.parametrize("t", [10**400, [1.0, 10**400], -(10**400)])
def test_p_alive_t_beyond_float_names_t(cls: type[CovariateBGNBD], t: object) -> None:
    # an int beyond float64 raised a raw OverflowError in the horizon check
    model = cls(params=_PARAMS[cls])
    data = {"frequency": [2.0, 0.0], "recency": [30.0, 0.0], "T": [39.0, 39.0]}
    with pytest.raises(ArgumentError, match=">= 0") as err:
        model.p_alive(data, t=t)  # type: ignore[arg-type]
    assert err.value.argument == "t"


def test_classic_p_alive_t_beyond_float_names_t() -> None:
    # the same horizon check (relmark.clv._checks.check_array) serves the classic models
    from relmark.clv import BGNBD

    with pytest.raises(ArgumentError) as err:
        BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).p_alive(2, 30.43, 38.86, t=10**400)
    assert err.value.argument == "t"


@pytest.mark.parametrize(
    "cov",
    [
        [[np.nan, 0.0], [0.0, 1.0]],  # some NaN: identified would claim standard errors
        [[np.inf, 0.0], [0.0, 1.0]],
        [[-1.0, 0.0], [0.0, 1.0]],
        [[1.0, 0.5], [0.0, 1.0]],
        [[1.0, 2.0], [2.0, 1.0]],  # eigenvalue -1
    ],
)
def test_a_covariate_fit_holds_a_covariance_or_all_nan(cov: list[list[float]]) -> None:
    # built directly, a CovariateFit took any square array (the saved JSON did not): a NaN on
    # the diagonal gave identified = True with a NaN standard error
    from relmark.clv.covariates.static import CovariateFit

    base = {
        "names": ("r", "alpha"),
        "log_likelihood": -1.0,
        "nobs": 3,
        "penalty": 0.0,
        "converged": True,
        "grad_norm": 0.0,
        "n_iter": 1,
    }
    with pytest.raises(ArgumentError) as err:
        CovariateFit(cov=np.array(cov), **base)  # type: ignore[arg-type]
    assert err.value.argument == "cov"
    assert not CovariateFit(cov=np.full((2, 2), np.nan), **base).identified  # type: ignore[arg-type]
    assert CovariateFit(cov=np.eye(2), **base).identified  # type: ignore[arg-type]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("recency", "T"), [(1e300, 1e300), (1.0, 1e300), (5e199, 1e200)])
def test_pareto_p_alive_at_extreme_ages_is_the_classic_without_warnings(
    recency: float, T: float
) -> None:
    # T = 1e300 leaked numpy's overflow RuntimeWarning from the (unused) gradient
    from relmark.clv import ParetoNBD

    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    data = {"frequency": [2.0], "recency": [recency], "T": [T]}
    got = CovariateParetoNBD(params=params).p_alive(data, t=1.0)
    want = ParetoNBD(**params).p_alive(2, recency, T, t=1.0)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_time_unit_other_than_the_frames_is_refused() -> None:
    """A frame whose ``attrs`` say weeks, fitted with ``time_unit="D"``, was labelled days: an
    ArgumentError naming ``time_unit``; an equal unit is the frame's."""
    df = _summary()
    df.attrs["time_unit"] = "W"
    assert CovariateBGNBD.fit(df, purchase_covariates=["age"], time_unit="7D").time_unit == "W"
    with pytest.raises(ArgumentError) as info:
        CovariateBGNBD.fit(df, purchase_covariates=["age"], time_unit="D")
    assert info.value.argument == "time_unit"
