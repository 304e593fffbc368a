"""Static covariate models: zero effects equal the classic models, simulate -> fit recovers
known effects, per-customer predictions equal the classic model at each customer's parameters,
JSON round trips, the summary table."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from relmark.clv import BGNBD, MBGNBD, GammaGamma, ParetoNBD, bgnbd, paretonbd
from relmark.clv.covariates import (
    CovariateBGNBD,
    CovariateGammaGamma,
    CovariateMBGNBD,
    CovariateParetoNBD,
    clv,
    load_model,
    static,
)

BG = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}
PNBD = {"r": 0.8, "alpha": 5.0, "s": 0.6, "beta": 9.0}
GG = {"p": 6.0, "q": 3.7, "gamma": 15.0}
BOTH = {"purchase": ["web", "age"], "dropout": ["web", "age"]}


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"web": rng.integers(0, 2, n).astype(float), "age": rng.normal(size=n)})


def _simulated(model, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = _frame(n, seed + 1)
    sim = model.simulate(z, T=rng.uniform(30.0, 80.0, n), rng=rng)
    return pd.concat([pd.DataFrame(sim).drop(columns="alive"), z], axis=1)


# ----------------------------------------------------------------------------- zero effects
@pytest.mark.parametrize(
    ("cls", "classic", "params", "module"),
    [
        (CovariateBGNBD, BGNBD, BG, bgnbd),
        (CovariateMBGNBD, MBGNBD, BG, None),
        (CovariateParetoNBD, ParetoNBD, PNBD, paretonbd),
    ],
)
def test_zero_effects_equal_the_classic_model(cls, classic, params, module) -> None:
    """All coefficients 0: every prediction is the classic model's, to 1e-12."""
    df = _simulated(cls(params=params), 300, 5)
    zero = cls(params=params, covariates=BOTH)  # coefficients default to 0
    assert set(zero.coefficients.values()) == {0.0}
    plain = classic(**params)
    x, tx, T = df["frequency"], df["recency"], df["T"]
    np.testing.assert_allclose(zero.p_alive(df), plain.p_alive(x, tx, T), rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        zero.conditional_expected_purchases(df, t=10.0),
        plain.conditional_expected_purchases(x, tx, T, t=10.0),
        rtol=1e-12,
        atol=0,
    )
    np.testing.assert_allclose(
        zero.expected_purchases_new_customer(df[["web", "age"]], t=20.0),
        plain.expected_purchases_new_customer(t=20.0)[0],
        rtol=1e-12,
    )
    if module is not None:
        np.testing.assert_allclose(
            zero.dert(df, continuous_discount_rate=0.01),
            plain.dert(x, tx, T, continuous_discount_rate=0.01),
            rtol=1e-12,
        )
    # the log-likelihood of the covariate model at zero effects is the classic one
    lay = zero._layout
    z = df[list(lay.names)].to_numpy()
    prob = static._Problem(lay, cls._lik(), z, (x.to_numpy(), tx.to_numpy(), T.to_numpy()), 0.0)
    total = static._evaluate(prob, zero._u(), 0, None)[0]
    p = np.array(list(params.values()))
    classic_total = float(
        np.sum(cls.module.log_likelihood(p, x.to_numpy(), tx.to_numpy(), T.to_numpy()))
    )
    assert math.isclose(total, classic_total, rel_tol=1e-12)


def test_fit_without_covariates_is_the_classic_fit() -> None:
    df = _simulated(CovariateBGNBD(params=BG), 5000, 11)
    ours = CovariateBGNBD.fit(df)
    theirs = BGNBD.fit(frequency=df["frequency"], recency=df["recency"], T=df["T"])
    for name in BG:
        assert math.isclose(ours.params[name], theirs.params[name], rel_tol=2e-5)
    assert math.isclose(
        ours.fit_result.log_likelihood, theirs.fit_result.log_likelihood, abs_tol=1e-6
    )
    se = ours.std_errors()
    for name in BG:
        assert math.isclose(se[name], theirs.fit_result.bse[name], rel_tol=2e-3)


def test_gamma_gamma_zero_effects_and_no_covariates() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 3000).astype(float)
    sim = GammaGamma(**GG).simulate(x, rng=rng)
    df = pd.DataFrame(sim)
    df["web"] = rng.integers(0, 2, 3000).astype(float)
    zero = CovariateGammaGamma(params=GG, covariates={"spend": ["web"]})
    np.testing.assert_allclose(
        zero.expected_spend(df),
        GammaGamma(**GG).expected_spend(df["frequency"], df["monetary_value"]),
        rtol=1e-12,
    )
    ours = CovariateGammaGamma.fit(df)
    theirs = GammaGamma.fit(frequency=df["frequency"], monetary_value=df["monetary_value"])
    for name in GG:
        assert math.isclose(ours.params[name], theirs.params[name], rel_tol=1e-4)
    assert ours.fit_result.n_excluded == int((x == 0).sum())


# ----------------------------------------------------------------------------- recovery
def _within(model, truth, k: float = 4.0) -> None:
    table = model.table()
    true = pd.Series({**truth.params, **truth.coefficients})
    z = (table["estimate"] - true) / table["std_error"]
    assert model.fit_result.converged
    assert np.all(np.abs(z) < k), z.to_dict()


@pytest.mark.parametrize(
    ("cls", "params", "coefs"),
    [
        (
            CovariateBGNBD,
            BG,
            {
                "purchase:web": 0.5,
                "purchase:age": -0.3,
                "dropout_a:web": 0.4,
                "dropout_b:age": 0.2,
            },
        ),
        (
            CovariateParetoNBD,
            PNBD,
            {"purchase:web": 0.5, "purchase:age": -0.3, "dropout:web": 0.4, "dropout:age": 0.2},
        ),
    ],
)
def test_simulate_fit_recovers_the_effects(cls, params, coefs) -> None:
    """Simulation with known truth (20,000 customers): every estimate within 4 standard
    errors, and the effects clearly away from 0 are found with the right sign."""
    truth = cls(params=params, coefficients=coefs, covariates=BOTH)
    df = _simulated(truth, 20_000, 7)
    fitted = cls.fit(df, purchase_covariates=["web", "age"], dropout_covariates=["web", "age"])
    _within(fitted, truth)
    assert "purchase:web" in fitted.summary()


def test_mbgnbd_recovers_the_effects() -> None:
    coefs = {"purchase:web": 0.5, "dropout_a:age": 0.3}
    truth = CovariateMBGNBD(
        params=BG, coefficients=coefs, covariates={"purchase": ["web"], "dropout": ["age"]}
    )
    df = _simulated(truth, 20_000, 17)
    fitted = CovariateMBGNBD.fit(df, purchase_covariates=["web"], dropout_covariates=["age"])
    _within(fitted, truth)


def test_shared_covariate_recovers_one_effect() -> None:
    """One coefficient on both processes: simulated with alpha_i = alpha e^{-g z},
    beta_i = beta e^{-g z}, the fit finds g."""
    truth = CovariateParetoNBD(
        params=PNBD, coefficients={"both:web": 0.4}, covariates={"shared": ["web"]}
    )
    df = _simulated(truth, 20_000, 23)
    fitted = CovariateParetoNBD.fit(df, shared_covariates=["web"])
    assert list(fitted.coefficients) == ["both:web"]
    _within(fitted, truth)


def test_gamma_gamma_recovers_the_spend_effect() -> None:
    truth = CovariateGammaGamma(
        params=GG, coefficients={"spend:web": 0.3}, covariates={"spend": ["web"]}
    )
    rng = np.random.default_rng(31)
    n = 20_000
    web = rng.integers(0, 2, n).astype(float)
    x = rng.integers(1, 10, n).astype(float)
    theta = truth.customer_params({"web": web}).to_numpy()
    nu = rng.gamma(theta[:, 1], 1.0 / theta[:, 2])
    m = rng.gamma(theta[:, 0] * x, 1.0 / (x * nu))
    df = pd.DataFrame({"frequency": x, "monetary_value": m, "web": web})
    fitted = CovariateGammaGamma.fit(df, spend_covariates=["web"])
    _within(fitted, truth)


def test_penalty_shrinks_and_satisfies_the_optimality_condition() -> None:
    """Penalised MLE: at the optimum the gradient of the unpenalised log-likelihood in each
    coefficient equals 2 lambda gamma (the stationarity condition), and a larger penalty gives
    smaller effects."""
    truth = CovariateBGNBD(
        params=BG, coefficients={"purchase:web": 0.5}, covariates={"purchase": ["web"]}
    )
    df = _simulated(truth, 4000, 41)
    fits = [
        CovariateBGNBD.fit(df, purchase_covariates=["web"], penalty=lam)
        for lam in (0.0, 100.0, 10_000.0)
    ]
    effects = [abs(f.coefficients["purchase:web"]) for f in fits]
    assert effects[0] > effects[1] > effects[2] > 0
    lam = 100.0
    fitted = fits[1]
    lay = fitted._layout
    prob = static._Problem(
        lay,
        CovariateBGNBD._lik(),
        df[["web"]].to_numpy(),
        tuple(df[c].to_numpy() for c in ("frequency", "recency", "T")),
        0.0,
    )
    u = fitted._u()
    step = 1e-5
    e = np.zeros_like(u)
    e[-1] = step
    num = (
        static._evaluate(prob, u + e, 0, None)[0] - static._evaluate(prob, u - e, 0, None)[0]
    ) / (2 * step)
    assert math.isclose(num, 2 * lam * u[-1], rel_tol=1e-3, abs_tol=1e-3)
    assert fitted.fit_result.penalty == lam


# ----------------------------------------------------------------------------- predictions
def test_predictions_use_each_customers_parameters() -> None:
    """Each customer's predictions are those of the classic model built with
    alpha e^{-g_p z}, a e^{g_a z}, b e^{g_b z} computed by hand."""
    coefs = {"purchase:web": 0.5, "purchase:age": -0.2, "dropout_a:web": 0.3, "dropout_b:age": 0.1}
    model = CovariateBGNBD(params=BG, coefficients=coefs, covariates=BOTH)
    df = _simulated(model, 6, 3)
    pa = model.p_alive(df)
    ce = model.conditional_expected_purchases(df, t=12.0)
    new = model.expected_purchases_new_customer(df[["web", "age"]], t=12.0)
    for i, (_, row) in enumerate(df.iterrows()):
        alpha = BG["alpha"] * math.exp(-(0.5 * row["web"] - 0.2 * row["age"]))
        a = BG["a"] * math.exp(0.3 * row["web"])
        b = BG["b"] * math.exp(0.1 * row["age"])
        one = BGNBD(r=BG["r"], alpha=alpha, a=a, b=b)
        args = (row["frequency"], row["recency"], row["T"])
        assert math.isclose(pa[i], float(one.p_alive(*args)[0]), rel_tol=1e-12)
        assert math.isclose(
            ce[i], float(one.conditional_expected_purchases(*args, t=12.0)[0]), rel_tol=1e-12
        )
        assert math.isclose(
            new[i], float(one.expected_purchases_new_customer(t=12.0)[0]), rel_tol=1e-12
        )


def test_clv_is_expected_spend_times_dert() -> None:
    purchases = CovariateParetoNBD(
        params=PNBD, coefficients={"purchase:web": 0.4}, covariates={"purchase": ["web"]}
    )
    spend = CovariateGammaGamma(
        params=GG, coefficients={"spend:web": 0.2}, covariates={"spend": ["web"]}
    )
    df = _simulated(purchases, 5, 9)
    df["monetary_value"] = np.where(df["frequency"] > 0, 20.0, 0.0)
    value = clv(purchases, spend, df, continuous_discount_rate=0.002, margin=0.3)
    for i, (_, row) in enumerate(df.iterrows()):
        alpha = PNBD["alpha"] * math.exp(-0.4 * row["web"])
        gamma = GG["gamma"] * math.exp(0.2 * row["web"])
        d = ParetoNBD(r=PNBD["r"], alpha=alpha, s=PNBD["s"], beta=PNBD["beta"]).dert(
            row["frequency"], row["recency"], row["T"], continuous_discount_rate=0.002
        )[0]
        # E[Z | x, m] = p (gamma_i + x m) / (p x + q - 1), by hand
        x, m = row["frequency"], row["monetary_value"]
        e_spend = GG["p"] * (gamma + x * m) / (GG["p"] * x + GG["q"] - 1.0)
        assert math.isclose(value[i], 0.3 * e_spend * d, rel_tol=1e-12)


def test_polars_and_array_inputs_give_the_same_fit() -> None:
    truth = CovariateBGNBD(
        params=BG, coefficients={"purchase:web": 0.5}, covariates={"purchase": ["web"]}
    )
    df = _simulated(truth, 3000, 51)
    a = CovariateBGNBD.fit(df, purchase_covariates=["web"])
    b = CovariateBGNBD.fit(pl.from_pandas(df), purchase_covariates=["web"])
    c = CovariateBGNBD.fit(
        frequency=df["frequency"].to_numpy(),
        recency=df["recency"].to_numpy(),
        T=df["T"].to_numpy(),
        purchase_covariates=["web"],
        covariates=df[["web"]].to_numpy(),
    )
    assert a.coefficients == b.coefficients == c.coefficients


# ----------------------------------------------------------------------------- results
def test_table_aic_bic_and_json_round_trip() -> None:
    truth = CovariateParetoNBD(
        params=PNBD, coefficients={"purchase:web": 0.5, "dropout:age": 0.2}, covariates=BOTH
    )
    df = _simulated(truth, 3000, 61)
    fitted = CovariateParetoNBD.fit(
        df, purchase_covariates=["web", "age"], dropout_covariates=["web", "age"]
    )
    res = fitted.fit_result
    k = 4 + 4
    assert res.k == k
    assert math.isclose(res.aic, 2 * k - 2 * res.log_likelihood)
    assert math.isclose(res.bic, k * math.log(3000) - 2 * res.log_likelihood)
    table = fitted.table(level=0.9)
    assert list(table.index) == [
        "r",
        "alpha",
        "s",
        "beta",
        "purchase:web",
        "purchase:age",
        "dropout:web",
        "dropout:age",
    ]
    # a 90% Wald interval is the estimate +- 1.6448536 se (by hand)
    up, est, se = table.loc["purchase:web", ["upper", "estimate", "std_error"]].to_numpy(float)
    assert math.isclose(up - est, 1.6448536269514722 * se)
    text = fitted.to_json()
    back = load_model(text)
    assert back == fitted
    assert back.to_json() == text
    assert CovariateParetoNBD.from_json(text).coefficients == fitted.coefficients
    assert json.loads(text)["covariates"]["purchase"] == ["web", "age"]
    np.testing.assert_array_equal(back.fit_result.cov, res.cov)


def test_simulated_customers_follow_their_parameters() -> None:
    """The simulator draws each customer's rate from Gamma(r, alpha_i): without dropout
    (b huge) the mean frequency over T is r T / alpha_i per group (by hand)."""
    model = CovariateBGNBD(
        params={"r": 2.0, "alpha": 4.0, "a": 1e-3, "b": 1e3},
        coefficients={"purchase:web": math.log(2.0)},
        covariates={"purchase": ["web"]},
    )
    n = 40_000
    web = np.repeat([0.0, 1.0], n // 2)
    sim = model.simulate({"web": web}, T=np.full(n, 10.0), rng=1)
    means = [sim["frequency"][web == v].mean() for v in (0.0, 1.0)]
    assert math.isclose(means[0], 2.0 * 10.0 / 4.0, rel_tol=0.03)
    assert math.isclose(means[1], 2.0 * 10.0 / 2.0, rel_tol=0.03)


def test_pareto_predictions_use_each_customers_parameters() -> None:
    """Pareto/NBD's vectorised P(alive) and conditional expectation equal the classic model
    built by hand with alpha e^{-g_p z} and beta e^{-g_d z} for each customer."""
    coefs = {"purchase:web": 0.5, "purchase:age": -0.2, "dropout:web": 1.5, "dropout:age": 0.4}
    model = CovariateParetoNBD(params=PNBD, coefficients=coefs, covariates=BOTH)
    df = _simulated(model, 8, 13)
    pa = model.p_alive(df)
    ce = model.conditional_expected_purchases(df, t=26.0)
    for i, (_, row) in enumerate(df.iterrows()):
        alpha = PNBD["alpha"] * math.exp(-(0.5 * row["web"] - 0.2 * row["age"]))
        beta = PNBD["beta"] * math.exp(-(1.5 * row["web"] + 0.4 * row["age"]))
        one = ParetoNBD(r=PNBD["r"], alpha=alpha, s=PNBD["s"], beta=beta)
        args = (row["frequency"], row["recency"], row["T"])
        assert math.isclose(pa[i], float(one.p_alive(*args)[0]), rel_tol=1e-11)
        assert math.isclose(
            ce[i], float(one.conditional_expected_purchases(*args, t=26.0)[0]), rel_tol=1e-11
        )


@pytest.mark.parametrize(
    ("cls", "base", "coefs"),
    [
        (
            CovariateBGNBD,
            {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5},
            {
                "purchase:web": 0.5,
                "purchase:age": -0.3,
                "dropout_a:web": 0.4,
                "dropout_a:age": 0.0,
                "dropout_b:web": 0.0,
                "dropout_b:age": 0.2,
            },
        ),
        (
            CovariateParetoNBD,
            PNBD,
            {"purchase:web": 0.5, "purchase:age": -0.3, "dropout:web": 0.4, "dropout:age": 0.2},
        ),
    ],
)
def test_recovers_the_effects_of_a_covariate_around_1e3(cls, base, coefs) -> None:
    """An age covariate of mean 1e3 (sd 1): the static fit is not centred (its parameters are
    at covariates 0, here alpha 5 e^-300), and needs no centring: Newton's steps do not
    depend on an affine change of the covariates, and it starts from the classic fit with
    effects 0. 20,000 simulated customers: every effect within 4 standard errors, the base
    parameters' logs within 4 of theirs (the covariance is on that scale)."""
    shift = 1000.0
    params = dict(base)
    # the parameters at covariates 0 that give the customers of test_simulate_fit_... at 1e3
    age = {k: v for k, v in coefs.items() if k.endswith(":age")}
    scale_of = {"purchase": "alpha", "dropout_a": "a", "dropout_b": "b", "dropout": "beta"}
    for name, effect in age.items():
        process = name.split(":")[0]
        # alpha e^{-g z} and beta e^{-g z} (the CLVTools form), a e^{g z} and b e^{g z}
        sign = -1.0 if process in ("dropout_a", "dropout_b") else 1.0
        params[scale_of[process]] *= math.exp(sign * effect * shift)
    truth = cls(params=params, coefficients=coefs, covariates=BOTH)
    rng = np.random.default_rng(7)
    z = _frame(20_000, 8)
    z["age"] += shift
    sim = truth.simulate(z, T=rng.uniform(30.0, 80.0, 20_000), rng=rng)
    df = pd.concat([pd.DataFrame(sim).drop(columns="alive"), z], axis=1)
    fitted = cls.fit(df, purchase_covariates=["web", "age"], dropout_covariates=["web", "age"])
    assert fitted.fit_result.converged
    table = fitted.table()
    for name, value in coefs.items():
        est, se = table.loc[name, "estimate"], table.loc[name, "std_error"]
        assert abs(est - value) < 4 * se, (name, est, se)
    log_se = np.sqrt(np.diag(fitted.fit_result.cov))
    for i, (name, value) in enumerate(params.items()):
        assert abs(math.log(table.loc[name, "estimate"]) - math.log(value)) < 4 * log_se[i], name
