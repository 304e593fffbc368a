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
