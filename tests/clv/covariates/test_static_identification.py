"""Unidentified static covariate fits say so (as the plain models do): a ConvergenceWarning,
no standard errors (NaN covariance, ``fit_result.identified`` false), the summary says it;
identified fits keep their standard errors (with no warning: the test configuration turns
warnings into errors).

One or two customers cannot identify four parameters: the likelihood is flat along a ridge
to the boundary and Newton's method stopped far out on it (``a, b`` of BG/NBD in the 10^4 to
10^7), which it used to report as converged with finite standard errors.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv.covariates import (
    CovariateBGNBD,
    CovariateMBGNBD,
    CovariateParetoNBD,
    load_model,
)
from relmark.errors import ConvergenceWarning

ONE = {"frequency": [2.0], "recency": [10.0], "T": [20.0], "web": [1.0]}
TWO = {"frequency": [2.0, 0.0], "recency": [10.0, 0.0], "T": [20.0, 30.0], "web": [1.0, 0.0]}
CLASSES = [CovariateBGNBD, CovariateMBGNBD, CovariateParetoNBD]


def _fit(cls: Any, data: dict[str, list[float]], **kwargs: Any) -> Any:
    with pytest.warns(ConvergenceWarning) as record:  # also "did not converge", at times
        model = cls.fit(data, **kwargs)
    assert any("not identified by these data" in str(w.message) for w in record)
    return model


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("data", "kwargs"),
    [(ONE, {}), (TWO, {}), (TWO, {"purchase_covariates": ["web"]})],
    ids=["one customer", "two customers", "two customers, a covariate"],
)
def test_one_or_two_customers_claim_no_standard_errors(
    cls: Any, data: dict[str, list[float]], kwargs: dict[str, Any]
) -> None:
    model = _fit(cls, data, **kwargs)
    fit = model.fit_result
    assert not fit.identified
    assert np.all(np.isnan(fit.cov))
    assert all(np.isnan(v) for v in model.std_errors().values())
    assert "identified: NO" in model.summary()
    # the estimates themselves are reported, finite (as the plain models report theirs)
    assert all(np.isfinite(v) and v > 0 for v in model.params.values())
    # the saved fit keeps the verdict
    again = load_model(json.loads(model.to_json()))
    assert not again.fit_result.identified


def _simulated(cls: Any, params: dict[str, float], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = pd.DataFrame({"web": rng.integers(0, 2, n).astype(float), "age": rng.normal(size=n)})
    truth = cls(params=params, coefficients={"purchase:web": 0.3}, covariates={"purchase": ["web"]})
    sim = truth.simulate(z[["web"]], T=rng.uniform(30.0, 80.0, n), rng=rng)
    return pd.concat([pd.DataFrame(sim).drop(columns="alive"), z], axis=1)


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (CovariateBGNBD, {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}),
        (CovariateMBGNBD, {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}),
        (CovariateParetoNBD, {"r": 0.8, "alpha": 5.0, "s": 0.6, "beta": 9.0}),
    ],
)
def test_identified_fits_keep_their_standard_errors(cls: Any, params: dict[str, float]) -> None:
    df = _simulated(cls, params, 1500, 11)
    model = cls.fit(df, purchase_covariates=["web", "age"], dropout_covariates=["age"])
    fit = model.fit_result
    assert fit.identified and fit.converged
    se = np.sqrt(np.diag(fit.cov))
    assert np.all(np.isfinite(se)) and se.max() < 2.0
    assert "identified" not in model.summary()


def test_uncentred_covariate_is_not_taken_for_an_unidentified_fit() -> None:
    """A covariate far from 0 (a year, 2015 to 2024) makes the parameters *at* 0 imprecise
    (an extrapolation), not the customers' own: the check reads the parameters of the mean
    customer, so the fit keeps its standard errors."""
    params = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 2.5}
    df = _simulated(CovariateBGNBD, params, 1500, 12)
    df["year"] = np.random.default_rng(13).integers(2015, 2025, len(df)).astype(float)
    model = CovariateBGNBD.fit(df, purchase_covariates=["web", "year"])  # no warning
    assert model.fit_result.identified
    # at year 0 the standard error of log alpha is far above the bound (10): not what counts
    assert np.sqrt(model.fit_result.cov[1, 1]) > 10.0
    assert model.std_errors()["alpha"] > 0
