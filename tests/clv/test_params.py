"""Parameters and fixed settings declared as data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from relmark.clv import Param, ParamSet, Setting
from relmark.errors import ParameterError

PSET = ParamSet(
    (
        Param("r", "a shape", (0.1, 5.0)),
        Param("p", "a probability", (0.1, 0.9), upper=1.0),
    )
)


@pytest.mark.parametrize("value", [0.0, -1.0, math.inf, math.nan, "1", True])
def test_values_outside_the_domain_name_the_parameter(value: object) -> None:
    with pytest.raises(ParameterError) as err:
        PSET.validate({"r": value, "p": 0.5}, model="M")  # type: ignore[dict-item]
    assert err.value.argument == "r"


def test_missing_and_unknown_parameters_are_named() -> None:
    with pytest.raises(ParameterError) as err:
        PSET.validate({"r": 1.0}, model="M")
    assert err.value.argument == "p"
    with pytest.raises(ParameterError) as err:
        PSET.validate({"r": 1.0, "p": 0.5, "q": 2.0}, model="M")
    assert err.value.argument == "q"


def test_transforms_map_the_domain_onto_the_real_line_and_back() -> None:
    """log for (0, inf), logit for (0, 1): checked against the formulas themselves."""
    theta = np.array([2.0, 0.25])
    u = PSET.to_unconstrained(theta)
    np.testing.assert_allclose(u, [math.log(2.0), math.log(0.25 / 0.75)], rtol=1e-15)
    np.testing.assert_allclose(PSET.from_unconstrained(u), theta, rtol=1e-15)
    np.testing.assert_allclose(PSET.jacobian(u), [2.0, 0.25 * 0.75], rtol=1e-15)


@pytest.mark.parametrize("value", [0, 2.5, math.nan, "3", True, None])
def test_settings_refuse_what_they_cannot_be(value: object) -> None:
    spec = Setting("k", "Erlang shape", 2.0, low=1.0, whole=True)
    with pytest.raises(ParameterError) as err:
        spec.check(value)
    assert err.value.argument == "k"
    assert spec.check(3) == 3.0
