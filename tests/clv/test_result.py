"""The fit result: intervals by level, persistence of its own keys."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from relmark.clv import BGNBD, FitResult
from relmark.clv.bgnbd import PARAMS


def _result(cov: np.ndarray) -> FitResult:
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    u = PARAMS.to_unconstrained(theta)
    return FitResult(
        model="BGNBD",
        param_set=PARAMS,
        params_array=theta,
        cov_unconstrained=cov,
        jacobian=PARAMS.jacobian(u),
        log_likelihood=-9582.4,
        nobs=2357,
        n_unique=1800,
        converged=True,
        grad_norm=1e-9,
        log_likelihood_change=1e-12,
        n_iter=10,
        n_fev=20,
        message="ok",
    )


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_intervals_at_a_level_match_the_normal_quantile(level: float) -> None:
    """Wald: estimate +- z se with z the (1+level)/2 quantile (from the standard library, not
    scipy); transformed: exp(log(theta) +- z se_u) for positive parameters."""
    cov = np.diag([0.01, 0.04, 0.02, 0.03])
    result = _result(cov)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    wald = result.conf_int(level, method="wald")
    transformed = result.conf_int(level)
    for i, name in enumerate(result.param_names):
        theta = result.params[name]
        se = math.sqrt(cov[i, i]) * theta  # delta method: d theta / d log theta = theta
        assert wald[name] == pytest.approx((theta - z * se, theta + z * se), rel=1e-12)
        lo, hi = transformed[name]
        assert lo == pytest.approx(theta * math.exp(-z * math.sqrt(cov[i, i])), rel=1e-12)
        assert hi == pytest.approx(theta * math.exp(z * math.sqrt(cov[i, i])), rel=1e-12)


def test_summary_shows_the_level_and_the_log_likelihood() -> None:
    text = _result(np.diag([0.01, 0.04, 0.02, 0.03])).summary(level=0.9)
    assert "[90%" in text and "-9,582.4000" in text


def test_a_saved_fit_result_round_trips_exactly() -> None:
    result = _result(np.diag([0.01, 0.04, 0.02, 0.03]))
    again = FitResult.from_dict(
        result.to_dict(), model="BGNBD", param_set=PARAMS, params=result.params_array
    )
    assert again == result
    model = BGNBD(**result.params)
    assert model.params == result.params


def test_standard_errors_at_estimates_beyond_the_square_root_of_float_range() -> None:
    """Log-scale parameters at 1e200 and 1e-200 (spend in extreme money units): the standard
    error is |estimate| x the log-scale standard error, 1e198 and 1e-202 here (squaring the
    Jacobian overflowed to inf and underflowed to 0), and the covariance keeps its finite
    entries (the cross term 1e200 x 1e-4 x 1e-200 = 1e-4)."""
    theta = np.array([1e200, 1e-200, 0.793, 2.426])
    u = PARAMS.to_unconstrained(theta)
    cov = np.diag([1e-4, 1e-4, 1e-4, 1e-4])
    cov[0, 1] = cov[1, 0] = 1e-4
    fit = FitResult(
        model="BGNBD",
        param_set=PARAMS,
        params_array=theta,
        cov_unconstrained=cov,
        jacobian=PARAMS.jacobian(u),
        log_likelihood=-1.0,
        nobs=10,
        n_unique=10,
        converged=True,
        grad_norm=0.0,
        log_likelihood_change=0.0,
        n_iter=1,
        n_fev=1,
        message="ok",
    )
    se = fit.bse
    assert se["r"] == pytest.approx(1e198, rel=1e-12)
    assert se["alpha"] == pytest.approx(1e-202, rel=1e-12)
    assert fit.cov_params[0, 1] == pytest.approx(1e-4, rel=1e-12)
    assert math.isinf(fit.cov_params[0, 0])  # 1e396: beyond float range, honestly inf
