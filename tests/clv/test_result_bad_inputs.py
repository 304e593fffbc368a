"""A saved fit result's covariance with NaN rows: only an estimate on a boundary, which lists
those parameters, may have them (an edit otherwise)."""

from __future__ import annotations

import numpy as np
import pytest

from relmark.clv import FitResult
from relmark.clv.bgnbd import PARAMS
from relmark.errors import SchemaError

THETA = np.array([0.243, 4.414, 0.793, 2.426])


def _saved(cov: np.ndarray, extra: dict[str, object]) -> dict[str, object]:
    fit = FitResult(
        model="BGNBD",
        param_set=PARAMS,
        params_array=THETA,
        cov_unconstrained=cov,
        jacobian=PARAMS.jacobian(PARAMS.to_unconstrained(THETA)),
        log_likelihood=-9582.4,
        nobs=2357,
        n_unique=1800,
        converged=True,
        grad_norm=1e-9,
        log_likelihood_change=1e-12,
        n_iter=10,
        n_fev=20,
        message="ok",
        extra=extra,
    )
    return fit.to_dict()


def _load(d: dict[str, object]) -> FitResult:
    return FitResult.from_dict(d, model="BGNBD", param_set=PARAMS, params=THETA)


def test_nan_rows_need_a_boundary_record_listing_them() -> None:
    cov = np.diag([0.01, 0.04, 0.02, 0.03])
    cov[1, :] = cov[:, 1] = np.nan
    with pytest.raises(SchemaError) as info:
        _load(_saved(cov, {}))
    assert info.value.key == "fit.cov_unconstrained" and "alpha" in str(info.value)
    listed: dict[str, object] = {"boundary": {"parameter": "alpha", "without_bse": ["alpha"]}}
    assert np.isnan(_load(_saved(cov, listed)).bse["alpha"])
    for record, key in (
        ({"parameter": "a", "without_bse": ["alpha"]}, "fit.extra.boundary"),
        ({"parameter": "alpha", "without_bse": ["alpha", "b"]}, "fit.cov_unconstrained"),
        ({"parameter": "alpha"}, "fit.extra.boundary"),
    ):
        with pytest.raises(SchemaError) as info:
            _load(_saved(cov, {"boundary": record}))
        assert info.value.key == key
    with pytest.raises(SchemaError) as info:  # a boundary record on a finite covariance
        _load(_saved(np.diag([0.01, 0.04, 0.02, 0.03]), listed))
    assert info.value.key == "fit.cov_unconstrained"
