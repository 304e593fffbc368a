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


HISTORY_VALUES = (
    0.0,
    1.0,
    2.0,
    0.5,
    -1.0,
    5e-324,
    1e300,
    2.0**53 - 1,
    2.0**53,
    math.inf,
    -math.inf,
    math.nan,
)
"""Values that sit on the edges of the (frequency, recency, T) rules: zero, whole and
fractional numbers, negatives, the smallest subnormal, a huge number, the largest count a
float64 holds exactly and the next float, the infinities and NaN."""


def _valid_row() -> st.SearchStrategy[tuple[float, float, float]]:
    """One history that keeps every rule (also in discrete time when its values are whole):
    no repeat purchase at recency 0, or some at recency > 0, and an age at least the recency."""
    counts = st.sampled_from((0.0, 1.0, 2.0, 3.0, 2.0**53 - 1))
    times = st.sampled_from((1.0, 2.0, 3.0, 0.5, 5e-324, 1e300, 2.0**53 - 1))
    gaps = st.sampled_from((0.0, 1.0, 0.5, 1e300))
    return st.tuples(counts, times, gaps).map(
        lambda r: (r[0], 0.0, r[2]) if r[0] == 0 else (r[0], r[1], r[1] + r[2])
    )


def histories(max_rows: int = 4) -> st.SearchStrategy[tuple[list[float], list[float], list[float]]]:
    """(frequency, recency, T) columns of one length (1 to ``max_rows``): each row a valid
    history, or one with a value from :data:`HISTORY_VALUES` put in (valid histories and ones
    breaking each rule of ``check_rfm``)."""
    edge = st.sampled_from(HISTORY_VALUES)
    broken = st.tuples(_valid_row(), st.integers(0, 2), edge).map(
        lambda r: tuple(r[2] if i == r[1] else v for i, v in enumerate(r[0]))
    )
    row = st.one_of(_valid_row(), _valid_row(), broken)
    return st.lists(row, min_size=1, max_size=max_rows).map(
        lambda rows: (
            [float(r[0]) for r in rows],
            [float(r[1]) for r in rows],
            [float(r[2]) for r in rows],
        )
    )
