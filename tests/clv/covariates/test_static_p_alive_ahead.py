"""P(alive) t periods ahead of the static covariate models (``p_alive(t=)``).

Checked against independent computations: the classic model built from each customer's own
parameters (:meth:`customer_params`) and evaluated one customer at a time, and, for a few
customers, the survival of the next ``t`` integrated numerically over the posterior of an
active customer (scipy quadrature over the rate and dropout distributions, not the
hypergeometric closed forms).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from relmark.clv import BGNBD, MBGNBD, ParetoNBD
from relmark.clv.covariates import CovariateBGNBD, CovariateMBGNBD, CovariateParetoNBD
from relmark.errors import ArgumentError, DataError

BG = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}
PNBD = {"r": 0.8, "alpha": 5.0, "s": 0.6, "beta": 9.0}
BG_COEF = {"purchase:web": 0.4, "purchase:age": -0.2, "dropout_a:web": 0.3, "dropout_b:age": 0.5}
PNBD_COEF = {"purchase:web": 0.4, "purchase:age": -0.2, "dropout:web": 0.7, "dropout:age": -0.3}
COVS = {"purchase": ["web", "age"], "dropout": ["web", "age"]}

MODELS: list[tuple[Any, Any, dict[str, float], dict[str, float]]] = [
    (CovariateBGNBD, BGNBD, BG, BG_COEF),
    (CovariateMBGNBD, MBGNBD, BG, BG_COEF),
    (CovariateParetoNBD, ParetoNBD, PNBD, PNBD_COEF),
]


def _data(model: Any, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = pd.DataFrame({"web": rng.integers(0, 2, n).astype(float), "age": rng.normal(size=n)})
    sim = model.simulate(z, T=rng.uniform(20.0, 80.0, n), rng=rng)
    return pd.concat([pd.DataFrame(sim).drop(columns="alive"), z], axis=1)


def _one_by_one(model: Any, classic: Any, df: pd.DataFrame, t: np.ndarray) -> np.ndarray:
    """The classic model at each customer's own parameters, one customer at a time."""
    own = model.customer_params(df)
    out = []
    for i in range(len(df)):
        plain = classic(**{k: float(own[k].iloc[i]) for k in model.param_names})
        row = df.iloc[i]
        out.append(plain.p_alive(row["frequency"], row["recency"], row["T"], t=t[i])[0])
    return np.array(out)


@pytest.mark.parametrize(("cls", "classic", "params", "coef"), MODELS)
def test_p_alive_ahead_is_the_classic_model_at_each_customers_parameters(
    cls: Any, classic: Any, params: dict[str, float], coef: dict[str, float]
) -> None:
    model = cls(params=params, coefficients=coef, covariates=COVS)
    df = _data(model, 120, 3)
    t = np.random.default_rng(4).uniform(0.0, 60.0, len(df))
    t[:5] = 0.0  # a horizon of 0 among others is P(alive) at T
    got = model.p_alive(df, t=t)
    np.testing.assert_allclose(got, _one_by_one(model, classic, df, t), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got[:5], model.p_alive(df)[:5], rtol=1e-12, atol=0)
    # one horizon for every customer, and one customer alone (the flat-parameter path)
    one = model.p_alive(df, t=26.0)
    np.testing.assert_allclose(one, _one_by_one(model, classic, df, np.full(len(df), 26.0)))
    alone = model.p_alive(df.iloc[[7]], t=26.0)
    np.testing.assert_allclose(alone, one[[7]], rtol=1e-12)
    assert np.all((got >= 0.0) & (got <= 1.0))


@pytest.mark.parametrize(("cls", "classic", "params", "coef"), MODELS)
def test_p_alive_decreases_with_the_horizon(
    cls: Any, classic: Any, params: dict[str, float], coef: dict[str, float]
) -> None:
    model = cls(params=params, coefficients=coef, covariates=COVS)
    df = _data(model, 60, 8)
    curves = np.column_stack([model.p_alive(df, t=h) for h in (0.0, 1.0, 10.0, 100.0, 1e4)])
    assert np.all(np.diff(curves, axis=1) <= 1e-15)
    assert np.all(curves[:, -1] < 0.5 * curves[:, 0])


def _bg_survival_by_quadrature(
    r: float, alpha: float, a: float, b: float, shift: int, x: float, T: float, t: float
) -> float:
    """E[exp(-lambda p t)] with lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+shift): an
    active customer survives the Poisson(lambda t) purchases of the next t, each a dropout
    chance p (FHL 2005); the mixture over p integrated numerically (the closed form is a
    2F1)."""
    drop = stats.beta(a, b + x + shift)

    def integrand(p: float) -> float:
        # over lambda, E[exp(-lambda p t)] is the gamma's Laplace transform at p t
        return float(((alpha + T) / (alpha + T + p * t)) ** (r + x) * drop.pdf(p))

    total, _ = integrate.quad(integrand, 0.0, 1.0, epsabs=0, epsrel=1e-11, limit=200)
    return float(total)


@pytest.mark.parametrize(("cls", "shift"), [(CovariateBGNBD, 0), (CovariateMBGNBD, 1)])
def test_bg_family_ahead_equals_the_survival_integrated_numerically(cls: Any, shift: int) -> None:
    model = cls(params=BG, coefficients=BG_COEF, covariates=COVS)
    df = pd.DataFrame(
        {
            "frequency": [0.0, 3.0, 9.0],
            "recency": [0.0, 20.0, 50.0],
            "T": [40.0, 30.0, 60.0],
            "web": [1.0, 0.0, 1.0],
            "age": [0.5, -1.0, 2.0],
        }
    )
    t = np.array([10.0, 52.0, 5.0])
    own = model.customer_params(df)
    now = model.p_alive(df)
    expected = []
    for i in range(3):
        r, alpha, a, b = (float(own[k].iloc[i]) for k in ("r", "alpha", "a", "b"))
        x, T = float(df["frequency"].iloc[i]), float(df["T"].iloc[i])
        expected.append(now[i] * _bg_survival_by_quadrature(r, alpha, a, b, shift, x, T, t[i]))
    np.testing.assert_allclose(model.p_alive(df, t=t), expected, rtol=1e-8)


def test_pareto_ahead_equals_the_dropout_survival_integrated_numerically() -> None:
    model = CovariateParetoNBD(params=PNBD, coefficients=PNBD_COEF, covariates=COVS)
    df = pd.DataFrame(
        {
            "frequency": [0.0, 4.0],
            "recency": [0.0, 25.0],
            "T": [40.0, 30.0],
            "web": [1.0, 0.0],
            "age": [0.5, -1.0],
        }
    )
    t = np.array([13.0, 100.0])
    own = model.customer_params(df)
    now = model.p_alive(df)
    expected = []
    for i in range(2):
        # alive at T, the dropout rate is Gamma(s, beta_i + T): E[exp(-mu t)] by quadrature
        mu = stats.gamma(own["s"].iloc[i], scale=1.0 / (own["beta"].iloc[i] + df["T"].iloc[i]))
        surv, _ = integrate.quad(
            lambda m, i=i, mu=mu: math.exp(-m * t[i]) * mu.pdf(m),
            0.0,
            np.inf,
            epsabs=0,
            epsrel=1e-11,
        )
        expected.append(now[i] * surv)
    np.testing.assert_allclose(model.p_alive(df, t=t), expected, rtol=1e-8)


@settings(max_examples=25, deadline=None)
@given(
    web=st.floats(-2.0, 2.0),
    coef=st.floats(-1.0, 1.0),
    t=st.floats(0.0, 1e6),
    x=st.integers(0, 30),
)
def test_p_alive_ahead_is_a_probability_and_at_most_today(
    web: float, coef: float, t: float, x: int
) -> None:
    for cls, params, label in (
        (CovariateBGNBD, BG, "dropout_a:web"),
        (CovariateMBGNBD, BG, "dropout_b:web"),
        (CovariateParetoNBD, PNBD, "dropout:web"),
    ):
        model = cls(params=params, coefficients={label: coef}, covariates={"dropout": ["web"]})
        data = {"frequency": [x], "recency": [20.0 if x else 0.0], "T": [39.0], "web": [web]}
        later, now = model.p_alive(data, t=t)[0], model.p_alive(data)[0]
        assert 0.0 <= later <= now * (1 + 1e-12) <= 1.0 + 1e-12


@pytest.mark.parametrize(
    "t", [-1.0, float("nan"), math.inf, "3", True, [1.0, 2.0], np.ones((3, 1)), None]
)
def test_bad_horizons_name_t(t: object) -> None:
    model = CovariateBGNBD(params=BG, coefficients=BG_COEF, covariates=COVS)
    df = _data(model, 3, 1)
    with pytest.raises(ArgumentError) as err:
        model.p_alive(df, t=t)  # type: ignore[arg-type]
    assert err.value.argument == "t"


def test_bad_history_is_still_a_data_error_with_a_horizon() -> None:
    model = CovariateParetoNBD(params=PNBD, coefficients=PNBD_COEF, covariates=COVS)
    df = _data(model, 4, 2)
    recency = df["recency"].to_numpy(copy=True)
    recency[1] = df["T"].to_numpy()[1] + 1.0
    df["recency"] = recency
    with pytest.raises(DataError) as err:
        model.p_alive(df, t=5.0)
    assert err.value.column == "recency"
