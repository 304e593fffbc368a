"""Properties of the covariate design helpers and of the per-customer parameters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.clv.covariates import CovariateBGNBD, CovariateParetoNBD
from relmark.clv.covariates._design import check_design, check_names, read_covariates
from relmark.errors import ArgumentError, DataError
from tests.clv.covariates.strategies import covariate_value, effect, name, positive


@settings(max_examples=30, deadline=None)
@given(names=st.lists(name, min_size=1, max_size=5, unique=True), data=st.data())
def test_read_covariates_returns_the_columns(names: list[str], data: st.DataObject) -> None:
    """Property: the matrix holds the named columns in the given order, from a frame, a
    mapping or a 2-d array alike."""
    n = data.draw(st.integers(min_value=1, max_value=20))
    values = np.array(
        data.draw(
            st.lists(
                st.lists(covariate_value, min_size=n, max_size=n),
                min_size=len(names),
                max_size=len(names),
            )
        )
    )
    frame = pd.DataFrame(dict(zip(names, values, strict=True)))
    expected = values.T
    np.testing.assert_array_equal(read_covariates(frame, names), expected)
    np.testing.assert_array_equal(read_covariates(frame.to_dict("list"), names), expected)
    np.testing.assert_array_equal(read_covariates(expected, names), expected)
    assert check_names(names, "names") == tuple(names)
    with pytest.raises(ArgumentError):
        check_names([*names, names[0]], "names")


@settings(max_examples=30, deadline=None)
@given(
    alpha=positive,
    beta=positive,
    g_p=effect,
    g_d=effect,
    g_s=effect,
    z=st.lists(st.tuples(covariate_value, covariate_value), min_size=1, max_size=6),
)
def test_customer_parameters_by_hand(
    alpha: float, beta: float, g_p: float, g_d: float, g_s: float, z: list[tuple[float, float]]
) -> None:
    """Property: alpha_i = alpha e^{-(g_p u + g_s v)}, beta_i = beta e^{-(g_d u + g_s v)} for a
    purchase/dropout covariate u and a shared one v (Pareto/NBD), computed by hand."""
    model = CovariateParetoNBD(
        params={"r": 0.7, "alpha": alpha, "s": 0.5, "beta": beta},
        coefficients={"purchase:u": g_p, "dropout:u": g_d, "both:v": g_s},
        covariates={"purchase": ["u"], "dropout": ["u"], "shared": ["v"]},
    )
    frame = pd.DataFrame(z, columns=["u", "v"])
    got = model.customer_params(frame)
    for i, (u, v) in enumerate(z):
        assert math.isclose(got["alpha"][i], alpha * math.exp(-(g_p * u + g_s * v)), rel_tol=1e-13)
        assert math.isclose(got["beta"][i], beta * math.exp(-(g_d * u + g_s * v)), rel_tol=1e-13)
        assert got["r"][i] == 0.7
        assert got["s"][i] == 0.5


@settings(max_examples=20, deadline=None)
@given(shift=covariate_value, scale=st.floats(min_value=0.5, max_value=3.0))
def test_collinear_after_any_affine_map(shift: float, scale: float) -> None:
    """Property: a column that is an affine map of another is refused as collinear, naming it;
    an independent one passes."""
    rng = np.random.default_rng(5)
    a = rng.normal(size=50)
    check_design(np.column_stack([a, rng.normal(size=50)]), ["a", "b"], process="purchase")
    with pytest.raises(DataError) as info:
        check_design(np.column_stack([a, shift + scale * a]), ["a", "b"], process="purchase")
    assert info.value.column == "b"


def test_bg_dropout_effects_move_the_mean_dropout_probability() -> None:
    """BG/NBD: a_i = a e^{g_a z}, b_i = b e^{g_b z}; with g_a = log 2 and z = 1, a doubles and
    the mean dropout probability a/(a+b) goes from 0.8/3.3 to 1.6/4.1 (by hand)."""
    model = CovariateBGNBD(
        params={"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
        coefficients={"dropout_a:z": math.log(2.0)},
        covariates={"dropout": ["z"]},
    )
    p = model.customer_params({"z": [0.0, 1.0]})
    mean = p["a"] / (p["a"] + p["b"])
    assert math.isclose(mean[0], 0.8 / 3.3, rel_tol=1e-14)
    assert math.isclose(mean[1], 1.6 / 4.1, rel_tol=1e-14)


def test_tiny_but_varying_column_is_not_called_constant() -> None:
    """A column 1e-300 * k varies (its relative spread is that of k): it was refused as
    "constant"; now it is refused for its magnitude, with a message that says so, naming the
    column, while 1e-300 for every customer is still constant."""
    from relmark.clv.covariates._design import check_design
    from relmark.errors import DataError

    k = np.arange(1.0, 21.0)
    with pytest.raises(DataError, match="magnitude") as info:
        check_design((1e-300 * k)[:, None], ["tiny"], process="purchase")
    assert "constant" not in str(info.value)
    assert info.value.column == "tiny"
    with pytest.raises(DataError, match="constant"):
        check_design(np.full((20, 1), 1e-300), ["flat"], process="purchase")
    with pytest.raises(DataError, match="magnitude"):
        check_design((1e200 * k)[:, None], ["huge"], process="purchase")
    check_design((1e-13 * k)[:, None], ["small"], process="purchase")  # scale-free: accepted
