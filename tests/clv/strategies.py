"""Hypothesis strategies derived from the models' parameter declarations."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from relmark.clv import CLVModel
from relmark.clv._params import Param


def param_values(p: Param) -> st.SearchStrategy[float]:
    """Values of one parameter across its declared typical range (log-uniform if positive)."""
    lo, hi = p.typical
    if p.lower >= 0 and not p.bounded and lo > p.lower:
        return st.floats(math.log(lo - p.lower), math.log(hi - p.lower)).map(
            lambda u: p.lower + math.exp(u)
        )
    return st.floats(lo, hi)


def models(cls: type[CLVModel]) -> st.SearchStrategy[CLVModel]:
    """Models of class ``cls`` with parameters drawn from their typical ranges."""
    fields = {p.name: param_values(p) for p in cls.param_set.params}
    return st.fixed_dictionaries(fields).map(lambda d: cls(**d))


def simulated_data(model: Any, n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Data a model can be fitted to, simulated from the model itself."""
    fields = type(model).data_fields
    if fields[:3] == ("frequency", "recency", "T"):
        if getattr(type(model), "discrete", False):
            T = rng.integers(3, 12, size=n).astype(float)
        else:
            T = rng.uniform(5.0, 60.0, size=n)
        return dict(model.simulate(T, rng=rng))
    if fields == ("frequency", "monetary_value"):
        return dict(model.simulate(rng.integers(1, 8, size=n), rng=rng))
    return dict(model.simulate(n, 8, rng=rng))


def with_covariance(model: CLVModel, rng: np.random.Generator, scale: float = 0.05) -> CLVModel:
    """``model`` with a fit result whose covariance (on the unconstrained scale) is a random
    positive definite matrix of standard deviations about ``scale``: a stand-in for a fit, loaded
    through the public JSON path."""
    k = len(model.param_set)
    root = rng.normal(scale=scale, size=(k, k))
    cov = root @ root.T + np.eye(k) * scale**2
    cov = 0.5 * (cov + cov.T)
    d = model.to_dict()
    d["fit"] = {
        "params": model.params,
        "cov_unconstrained": cov.tolist(),
        "log_likelihood": -100.0,
        "nobs": 100,
        "n_unique": 50,
        "converged": True,
        "grad_norm": 0.0,
        "log_likelihood_change": 0.0,
        "n_iter": 1,
        "n_fev": 1,
        "message": "a stand-in",
        "extra": {},
    }
    return type(model).from_dict(d)
