"""FrequencyGammaGamma with extreme but valid spends: the fit is scale-equivariant."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from relmark.clv import FrequencyGammaGamma
from relmark.errors import ConvergenceWarning


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e290])
def test_spend_in_tiny_or_huge_units_scales_gamma_alone(scale: float) -> None:
    """Spends times a constant give the same p, q and delta and gamma times the constant (the
    model's scale equivariance): the start value's floor of 1e-3 left spends of 1e-300 unfitted
    (p = 0.0004, a ConvergenceWarning)."""
    truth = FrequencyGammaGamma(p=6.25, q=3.74, gamma=15.44, delta=0.3)
    data = truth.simulate(np.random.default_rng(1).integers(0, 8, 3000), rng=2)
    base = FrequencyGammaGamma.fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scaled = FrequencyGammaGamma.fit(
            {"frequency": data["frequency"], "monetary_value": data["monetary_value"] * scale}
        )
    for name in ("p", "q", "delta"):
        assert scaled.params[name] == pytest.approx(base.params[name], rel=1e-4, abs=1e-6)
    assert scaled.params["gamma"] == pytest.approx(base.params["gamma"] * scale, rel=1e-4)
