"""MAP and restricted fits, the bootstrap, likelihood-ratio tests and the holdout comparison
table (issue 17 item 4).

Independent checks: the MAP estimate against scipy's Nelder-Mead on the log posterior written
here (log-likelihood from the model's per-customer values plus scipy.stats log densities); the
restricted fit against a one-dimensional profile found by scipy's bounded scalar minimiser;
the LR test's size by simulation from a known truth (bootstrap coverage, slower, is measured by
``benchmarks/bench_inference.py``); the comparison table's metrics by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize, minimize_scalar

from relmark.clv import (
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
)

TRUE = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    return TRUE.simulate(np.full(2000, 39.0), rng=7)


@pytest.mark.parametrize(
    ("prior", "ref"),
    [
        (Prior("gamma", 2.0, 4.0), stats.gamma(2.0, scale=0.25)),
        (Prior("lognormal", 0.1, 0.5), stats.lognorm(0.5, scale=np.exp(0.1))),
        (Prior("normal", 1.0, 2.0), stats.norm(1.0, 2.0)),
        (Prior("beta", 2.0, 3.0), stats.beta(2.0, 3.0)),
    ],
)
def test_prior_log_density_is_scipys(prior: Prior, ref: object) -> None:
    for v in (0.05, 0.3, 0.9):
        assert prior.log_density(v) == pytest.approx(ref.logpdf(v), rel=1e-12)  # type: ignore[attr-defined]
        _, grad = prior.log_density_and_grad(v)
        h = 1e-6
        fd = (prior.log_density(v + h) - prior.log_density(v - h)) / (2 * h)
        assert grad == pytest.approx(fd, rel=1e-6)


def test_map_fit_is_the_log_posterior_mode(data: dict[str, np.ndarray]) -> None:
    priors = {"r": Prior("gamma", 2.0, 4.0), "a": Prior("lognormal", 0.0, 0.3)}
    fitted = BGNBD.fit(data, priors=priors)
    res = fitted.fit_result
    assert res.estimator == "MAP"
    assert "maximum a posteriori" in res.summary()

    def neg_post(u: np.ndarray) -> float:
        th = np.exp(u)
        ll = TRUE.with_params(th).log_likelihood(data).sum()
        lp = stats.gamma(2.0, scale=0.25).logpdf(th[0]) + stats.lognorm(0.3).logpdf(th[2])
        return -float(ll + lp)

    mle = BGNBD.fit(data)
    ref = minimize(
        neg_post,
        np.log(mle.params_array),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000},
    )
    np.testing.assert_allclose(fitted.params_array, np.exp(ref.x), rtol=2e-5)
    # the reported log-likelihood is the likelihood alone; extra holds the log prior
    assert res.log_likelihood == pytest.approx(fitted.log_likelihood(data).sum(), rel=1e-10)
    assert res.log_likelihood + res.extra["log_prior"] == pytest.approx(-ref.fun, rel=1e-9)
    # the prior pulled a towards exp(0) = 1 from the MLE
    assert abs(fitted.params["a"] - 1.0) < abs(mle.params["a"] - 1.0)
    again = BGNBD.from_json(fitted.to_json())
    assert again == fitted
    assert again.fit_result.extra["priors"]["r"] == {
        "distribution": "gamma",
        "first": 2.0,
        "second": 4.0,
    }


def test_map_of_pareto_and_gamma_gamma() -> None:
    """Priors reach the shared-terms likelihood (Pareto/NBD) and Gamma-Gamma's own fit: a
    tight normal prior holds the parameter near its mean."""
    sim = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669).simulate(
        np.full(1500, 39.0), rng=3
    )
    fitted = ParetoNBD.fit(sim, priors={"s": Prior("normal", 0.606, 1e-3)})
    assert fitted.params["s"] == pytest.approx(0.606, abs=5e-3)
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(np.full(800, 3), rng=2)
    gg = GammaGamma.fit(spend, priors={"q": Prior("normal", 3.74, 1e-3)})
    assert gg.params["q"] == pytest.approx(3.74, abs=5e-3)
    assert gg.fit_result.estimator == "MAP"
    assert gg.fit_result.extra["n_excluded"] == 0


def test_fixed_fit_is_the_profile_likelihood(data: dict[str, np.ndarray]) -> None:
    """Holding r fixed: the other three maximise the likelihood (checked by a profile over a
    with b, alpha from the fit nearby: no better point), k = 3, r's standard error 0."""
    fixed = BGNBD.fit(data, fixed={"r": 0.3})
    res = fixed.fit_result
    assert fixed.params["r"] == 0.3 and res.k == 3 and res.bse["r"] == 0.0
    assert res.aic == pytest.approx(2 * 3 - 2 * res.log_likelihood)
    p = fixed.params

    def profile(alpha: float) -> float:
        return -float(BGNBD(r=0.3, alpha=alpha, a=p["a"], b=p["b"]).log_likelihood(data).sum())

    best = minimize_scalar(
        profile,
        bounds=(p["alpha"] * 0.8, p["alpha"] * 1.2),
        method="bounded",
        options={"xatol": 1e-9},
    )
    assert best.x == pytest.approx(p["alpha"], rel=1e-5)
    assert BGNBD.from_json(fixed.to_json()) == fixed


def test_bootstrap_is_independent_of_n_jobs_and_json(data: dict[str, np.ndarray]) -> None:
    model = BGNBD.fit(data)
    one = bootstrap(model, data, n_boot=12, rng=5)
    two = bootstrap(model, data, n_boot=12, rng=5, n_jobs=2)
    assert one == two
    assert one.n_failed == 0 and one.draws.shape == (12, 4)
    back = Bootstrap.from_json(one.to_json())
    assert back == one
    est, lo, hi = back.interval(lambda m: m.p_alive([2, 5], [30.43, 35.0], 38.86), model=model)
    assert np.all(lo <= est) and np.all(est <= hi)
    # the bootstrap standard errors are close to the asymptotic ones (within a factor 2)
    for name, se in model.fit_result.bse.items():
        assert 0.5 < one.bse[name] / se < 2.0


def test_bootstrap_of_weighted_rows_is_that_of_the_customers(data: dict[str, np.ndarray]) -> None:
    """Resampling customers: the data given as distinct rows with counts (weights) gives the
    same resamples, and so the same draws, as the customers one by one."""
    rows, counts = np.unique(
        np.column_stack([data["frequency"], data["recency"], data["T"]]),
        axis=0,
        return_counts=True,
    )
    compact = {"frequency": rows[:, 0], "recency": rows[:, 1], "T": rows[:, 2]}
    model = BGNBD.fit(data)
    by_customer = bootstrap(model, data, n_boot=5, rng=9)
    by_row = bootstrap(model, compact, weights=counts, n_boot=5, rng=9)
    np.testing.assert_allclose(by_row.draws, by_customer.draws, rtol=1e-9)


def test_likelihood_ratio_test_by_hand(data: dict[str, np.ndarray]) -> None:
    full = BGNBD.fit(data)
    restricted = BGNBD.fit(data, fixed={"r": 0.243, "a": 0.793})
    test = likelihood_ratio_test(restricted, full, data)
    lam = 2 * (full.log_likelihood(data).sum() - restricted.log_likelihood(data).sum())
    assert test.statistic == pytest.approx(lam, rel=1e-9)
    assert test.df == 2
    assert test.p_value == pytest.approx(stats.chi2.sf(lam, 2), rel=1e-9)
    assert test.restrictions == {"r": 0.243, "a": 0.793}
    assert LikelihoodRatioTest.from_dict(json.loads(json.dumps(test.to_dict()))) == test
    # without the data, the fits' own log-likelihoods
    assert likelihood_ratio_test(restricted, full).statistic == pytest.approx(lam, rel=1e-9)


def test_likelihood_ratio_test_size_under_the_null() -> None:
    """60 data sets of 1,000 customers where r = 0.243 holds: the 5 % test rejects in 0..9
    (binomial(60, 0.05): P(X >= 10) < 0.002)."""
    rejected = 0
    for seed in range(60):
        sim = TRUE.simulate(np.full(1000, 39.0), rng=500 + seed)
        full = BGNBD.fit(sim)
        restricted = BGNBD.fit(sim, fixed={"r": 0.243})
        rejected += likelihood_ratio_test(restricted, full, sim).p_value < 0.05
    assert rejected <= 9


def test_compare_models_by_hand() -> None:
    """Three customers; the BG/NBD row's metrics computed here from its predictions."""
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    pn = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    holdout = {
        "frequency": [0, 2, 5],
        "recency": [0, 20.0, 35.0],
        "T": [39.0] * 3,
        "frequency_holdout": [0, 1, 3],
        "duration_holdout": [39.0] * 3,
    }
    table = compare_models({"bg": bg, "pareto": pn}, holdout)
    pred = bg.conditional_expected_purchases([0, 2, 5], [0, 20.0, 35.0], 39.0, t=39.0)
    y = np.array([0, 1, 3.0])
    row = table.to_frame().loc["bg"]
    assert row["mae"] == pytest.approx(np.mean(np.abs(pred - y)))
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)))
    assert row["aggregate_error"] == pytest.approx((pred.sum() - 4.0) / 4.0)
    p = [
        bg.conditional_prob_purchases(k, x, tx, 39.0, t=39.0)[0]
        for k, x, tx in ((0, 0, 0.0), (1, 2, 20.0), (3, 5, 35.0))
    ]
    assert row["log_score"] == pytest.approx(np.mean(np.log(p)))
    assert ModelComparison.from_json(table.to_json()) == table
    assert list(table.to_frame().index) == ["bg", "pareto"]


def test_compare_models_on_a_split_prefers_the_true_model() -> None:
    """Simulated calibration + holdout from BG/NBD: the true parameters score better (log score)
    than a model with rates ten times too high."""
    rng = np.random.default_rng(4)
    sim = TRUE.simulate(np.full(3000, 39.0), rng=rng)
    # the holdout count of an active customer: its P(n) under the truth, drawn by inversion
    p = TRUE.conditional_prob_purchases(
        np.repeat(np.arange(30.0)[None, :], 1, 0).ravel(), 0, 0.0, 39.0, t=39.0
    )
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    u = rng.random(3000)
    y = np.zeros(3000)
    for i in range(3000):
        probs = TRUE.conditional_prob_purchases(
            np.arange(40.0), sim["frequency"][i], sim["recency"][i], 39.0, t=39.0
        )
        y[i] = np.searchsorted(np.cumsum(probs), u[i])
    split = {**sim, "frequency_holdout": y, "duration_holdout": np.full(3000, 39.0)}
    wrong = BGNBD(r=0.243, alpha=0.4414, a=0.793, b=2.426)
    table = compare_models({"truth": TRUE, "wrong": wrong}, split).to_frame()
    scores = table["log_score"].to_numpy(dtype=float)
    errors = table["mae"].to_numpy(dtype=float)
    assert scores[0] > scores[1]
    assert errors[0] < errors[1]


def test_compare_models_takes_a_dataframe_with_a_T_column() -> None:
    """A DataFrame summary (as the docstring allows) gives the dict's table: getattr(frame,
    "T") is the transpose, which was taken for the T column (a DataError on shape (5, n))."""
    import pandas as pd

    holdout = {
        "frequency": [0, 2, 5],
        "recency": [0, 20.0, 35.0],
        "T": [39.0] * 3,
        "frequency_holdout": [0, 1, 3],
        "duration_holdout": [39.0] * 3,
    }
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    from_frame = compare_models({"bg": bg}, pd.DataFrame(holdout))
    assert from_frame == compare_models({"bg": bg}, holdout)
