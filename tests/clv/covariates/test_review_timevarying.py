"""Adversarial review of the time-varying Pareto/NBD fit's centring and its JSON round trip."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from relmark.clv.covariates.timevarying import (
    TimeVaryingCovariates,
    TimeVaryingParetoNBD,
    simulate,
)
from relmark.errors import DataError


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    n, periods = 300, 8
    season = rng.normal(size=(n, periods))
    rows = [
        {"customer_id": i, "period_start": float(p), "z": season[i, p]}
        for i in range(n)
        for p in range(periods)
    ]
    table = pd.DataFrame(rows)
    cov = TimeVaryingCovariates.from_frame(table, purchase=["z"])
    sim = simulate(
        {"r": 2.0, "alpha": 2.0, "s": 1.0, "beta": 5.0},
        cov,
        T=np.full(n, 8.0),
        observation_end=8.0,
        purchase_effects={"z": 0.4},
        rng=2,
    )
    return table, sim


def _fit(table: pd.DataFrame, sim: pd.DataFrame) -> TimeVaryingParetoNBD:
    cov = TimeVaryingCovariates.from_frame(table, purchase=["z"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, no ConvergenceWarning
        return TimeVaryingParetoNBD.fit(
            sim["frequency"], sim["recency"], sim["T"], cov, observation_end=8.0
        )


def test_fitted_model_json_round_trip(panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """A fit's covariance mapped back from the centred fit (back @ cov @ back.T) was not exactly
    symmetric, and from_json refused the fit's own JSON ('covariance: must be symmetric')."""
    model = _fit(*panel)
    assert np.array_equal(model.covariance, model.covariance.T)
    again = TimeVaryingParetoNBD.from_json(model.to_json())
    assert again.to_json() == model.to_json()
    assert np.array_equal(again.covariance, model.covariance)


def test_covariate_in_large_units(panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The same covariate in units 1e90 times smaller (values ~1e90): the fit is equivariant,
    base parameters unchanged and the effect and its standard error divided by 1e90 (the
    likelihood depends on gamma * z only)."""
    table, sim = panel
    plain = _fit(table, sim)
    large = _fit(table.assign(z=table["z"] * 1e90), sim)
    for name, value in plain.params.items():
        assert large.params[name] == pytest.approx(value, rel=1e-6)
    assert large.purchase_effects["z"] * 1e90 == pytest.approx(
        plain.purchase_effects["z"], rel=1e-6
    )
    assert large.std_errors["purchase:z"] * 1e90 == pytest.approx(
        plain.std_errors["purchase:z"], rel=1e-4
    )
    assert 0.2 < plain.purchase_effects["z"] < 0.6  # simulated at 0.4 (SE ~0.06)


def test_covariate_beyond_float_units_refused(panel: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Values ~1e160: the scale's squares overflowed (effect fitted as 0, not converged, a
    RuntimeWarning); with the overflow gone the effect's variance, ~1e-322, was subnormal
    (standard error 3 % off). A DataError naming the covariate."""
    table, sim = panel
    with pytest.raises(DataError, match="rescale") as info:
        _fit(table.assign(z=table["z"] * 1e160), sim)
    assert info.value.column == "z"
