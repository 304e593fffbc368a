"""What a model's fit accepts as its data container, and how it names what it refuses.

Found by attacking ``fit``: a numpy structured array read ``T`` as its transpose ("column 'T':
values are text"); a file name, a number or a list of rows said "needs the column
'frequency'"; a start value missing or outside its domain did not say it was the start.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD
from relmark.errors import ArgumentError, ParameterError

FRAME = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "frequency": [0.0, 2.0, 1.0, 3.0, 0.0, 5.0],
        "recency": [0.0, 20.0, 5.0, 30.0, 0.0, 33.0],
        "T": [39.0, 39.0, 30.0, 35.0, 38.0, 36.0],
    }
)


def _quiet_fit(data: Any, **kw: Any) -> BGNBD:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # six customers: the fit need not converge
        return BGNBD.fit(data, **kw)


def test_a_structured_array_is_read_by_field_name() -> None:
    """Its ``T`` attribute is the transpose, not the field."""
    records = FRAME.to_records(index=False)
    assert _quiet_fit(records).params == _quiet_fit(FRAME).params


@pytest.mark.parametrize(
    "data",
    ["summary.csv", b"x", 5, 2.5, True, [[0, 0, 3]], (1, 2, 3), np.zeros((3, 3))],
    ids=lambda d: type(d).__name__,
)
def test_data_without_named_columns_is_an_argument_error_naming_data(data: object) -> None:
    with pytest.raises(ArgumentError, match="must be a summary with named columns") as info:
        BGNBD.fit(data)
    assert info.value.argument == "data"
    assert type(data).__name__ in str(info.value)


@pytest.mark.parametrize(
    ("start", "parameter", "words"),
    [
        ({"r": 0.5}, "alpha", "missing alpha, a, b"),
        ({"r": -1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, "r", "outside its domain"),
        ({"r": "x", "alpha": 1.0, "a": 1.0, "b": 1.0}, "r", "not a number"),
        ({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0, "z": 1.0}, "z", "unknown z"),
    ],
)
def test_bad_start_values_say_they_are_the_start(
    start: dict[str, Any], parameter: str, words: str
) -> None:
    with pytest.raises(ParameterError, match=rf"in start: .*{words}") as info:
        BGNBD.fit(FRAME, start=start)
    assert info.value.argument == parameter


def test_a_start_error_comes_before_the_data_are_read() -> None:
    """Bad data and a bad start: the start is named (the arguments are checked first)."""
    with pytest.raises(ParameterError, match="in start"):
        BGNBD.fit(FRAME.assign(T=-1.0), start={"r": 0.5})


@pytest.mark.parametrize(
    ("x", "tx"),
    [([0.0, 1.0], [0.0, 9.373413401584372]), ([1.0, 0.0, 2.0], [5.0, 0.0, 8.0])],
)
def test_ggompertz_on_two_or_three_customers_fits(x: list[float], tx: list[float]) -> None:
    """The dead term's panel rule at an optimiser's step to extreme b or s was int(NaN): a raw
    ValueError out of fit ('relmark fit --model ggompertznbd' on 3 customers: internal
    error). The step is now refused (no value there) and the fit reaches its boundary, the
    Pareto/NBD (b -> 0), whose own fit it must match or beat (the models are nested)."""
    from relmark.clv import GGompertzNBD, ParetoNBD

    T = [10.0] * len(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GGompertzNBD.fit(frequency=x, recency=tx, T=T)
        nested = ParetoNBD.fit(frequency=x, recency=tx, T=T)
    ll = model.fit_result.log_likelihood
    assert np.isfinite(ll)
    assert ll >= nested.fit_result.log_likelihood - 1e-3
