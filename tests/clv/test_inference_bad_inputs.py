"""Bad inputs of priors, restricted fits, the bootstrap, LR tests, the comparison table and the
history predictions: each raises relmark's error type naming the argument, field or column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from relmark.clv import (
    BGNBD,
    Bootstrap,
    LikelihoodRatioTest,
    ModelComparison,
    ParetoNBD,
    Prior,
    bootstrap,
    compare_models,
    likelihood_ratio_test,
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
