"""Migration from fitted lifetimes fitters."""

from __future__ import annotations

import importlib.resources

import numpy as np
import pandas as pd
import pytest

from relmark.clv import MODELS, from_lifetimes
from relmark.errors import SchemaError

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    name = "cdnow_customers_summary_with_transactions.csv"
    with importlib.resources.as_file(
        importlib.resources.files("lifetimes") / "datasets" / name
    ) as p:
        return pd.read_csv(p).rename(
            columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
        )


@pytest.mark.parametrize(
    "fitter_name", ["BetaGeoFitter", "ModifiedBetaGeoFitter", "ParetoNBDFitter"]
)
def test_rfm_fitters_migrate_with_identical_predictions(
    fitter_name: str, cdnow: pd.DataFrame
) -> None:
    import lifetimes

    target = {"BetaGeoFitter": "BGNBD", "ModifiedBetaGeoFitter": "MBGNBD"}.get(
        fitter_name, "ParetoNBD"
    )
    assert target in MODELS  # a broken registry fails here, it is not skipped
    fitter = getattr(lifetimes, fitter_name)()
    fitter.fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    model = from_lifetimes(fitter, time_unit="W")
    assert model.name == target
    assert model.time_unit == "W"
    head = cdnow.head(200)
    ours = model.conditional_expected_purchases(  # type: ignore[attr-defined]
        head["frequency"], head["recency"], head["T"], t=10
    )
    theirs = fitter.conditional_expected_number_of_purchases_up_to_time(
        10, head["frequency"], head["recency"], head["T"]
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_gamma_gamma_migrates(cdnow: pd.DataFrame) -> None:
    from lifetimes import GammaGammaFitter

    buyers = cdnow[cdnow["frequency"] > 0]
    fitter = GammaGammaFitter().fit(buyers["frequency"], buyers["monetary_value"])
    model = from_lifetimes(fitter)
    assert model.params["gamma"] == fitter.params_["v"]
    np.testing.assert_allclose(
        model.expected_spend(buyers["frequency"], buyers["monetary_value"]),  # type: ignore[attr-defined]
        fitter.conditional_expected_average_profit(buyers["frequency"], buyers["monetary_value"]),
        rtol=1e-10,
    )


def test_unknown_or_unfitted_fitters_are_refused() -> None:
    from lifetimes import BetaGeoFitter

    with pytest.raises(SchemaError, match="fit it first"):
        from_lifetimes(BetaGeoFitter())
    with pytest.raises(SchemaError, match="cannot migrate a str"):
        from_lifetimes("BGNBD")
