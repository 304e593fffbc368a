"""Validation at the boundary: every bad input is a DataError (or ParameterError) naming the
field and the offending customers, never numpy's error, a silent broadcast or a conversion."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from relmark._validation import check_rfm
from relmark.clv import BGNBD, GammaGamma, ParetoNBD, clv, load_model
from relmark.errors import ArgumentError, DataError, ParameterError, SchemaError

BG = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
GG = GammaGamma(p=6.25, q=3.74, gamma=15.44)


def test_the_count_of_offending_rows_is_the_total_not_the_shown() -> None:
    """30 customers with recency > T: the first ten are kept, five shown, and the message
    counts the other 25 (it said "and 5 more" when only the first ten were passed on)."""
    x, tx, T = np.ones(40), np.full(40, 5.0), np.full(40, 10.0)
    tx[10:] = 11.0
    with pytest.raises(DataError) as err:
        check_rfm(x, tx, T)
    assert err.value.count == 30
    assert err.value.rows == tuple(range(10, 20))
    assert "(and 25 more)" in str(err.value)


def test_spend_fit_names_the_customer_not_the_position() -> None:
    frame = pd.DataFrame(
        {"frequency": [2, 3, 1], "monetary_value": [10.0, 0.0, 4.0]},
        index=pd.Index(["alice", "bob", "carol"]),
    )
    with pytest.raises(DataError) as err:
        GammaGamma.fit(frame)
    assert err.value.rows == ("bob",)
    assert err.value.column == "monetary_value"


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: BG.p_alive(["a"], [1.0], [2.0]), "frequency"),
        (lambda: BG.p_alive([1], ["1.0"], [2.0]), "recency"),
        (lambda: clv(BG, GG, 2, 30.43, 38.86, "22"), "monetary_value"),
        (lambda: clv(BG, GG, [2, 1], [30.43, 3.0], [38.86, 9.0], ["22", "3"]), "monetary_value"),
        (lambda: GG.expected_spend(2, "22"), "monetary_value"),
        (lambda: GG.expected_spend([2], np.array(["22"], dtype=object)), "monetary_value"),
        (lambda: BG.p_alive([1, 2], [1.0, 2.0], [[5.0, 6.0]]), "T"),
    ],
)
def test_text_and_matrices_are_refused_naming_the_field(call: object, column: str) -> None:
    """numpy would convert "22" to 22.0 (or raise its own ValueError for "a")."""
    with pytest.raises(DataError) as err:
        call()  # type: ignore[operator]
    assert err.value.column == column


@pytest.mark.parametrize(
    "call",
    [
        lambda: BG.p_alive([0, 1], [0], [10]),  # a one-element list is one customer
        lambda: BG.p_alive([0, 1, 2], [0, 1], [10, 10, 10]),
        lambda: clv(BG, GG, [0, 1, 2], [0.0, 1.0], [10.0] * 3, [1.0] * 3),
        lambda: GG.expected_spend([1, 2], [3.0]),
        lambda: ParetoNBD(r=0.5, alpha=10, s=0.6, beta=11).p_alive([1, 2], [1.0], [5.0, 5.0]),
    ],
)
def test_columns_of_different_lengths_are_refused(call: object) -> None:
    with pytest.raises(DataError, match="differ in length"):
        call()  # type: ignore[operator]


def test_a_number_is_every_customers() -> None:
    """Numbers (0-d) broadcast: one age for every customer, one spend for every customer."""
    both = BG.p_alive([0, 2], [0.0, 30.43], 38.86)
    assert both[0] == 1.0
    assert both[1] == pytest.approx(BG.p_alive(2, 30.43, 38.86)[0], rel=1e-15)
    values = clv(BG, GG, [2, 2], [30.43, 30.43], [38.86, 38.86], 22.35)
    assert values[0] == values[1] == pytest.approx(clv(BG, GG, 2, 30.43, 38.86, 22.35)[0])


@pytest.mark.parametrize("value", ["1", True, b"1", np.bool_(True)])
def test_parameters_must_be_numbers(value: object) -> None:
    with pytest.raises(ParameterError, match="not a number"):
        BGNBD(r=value, alpha=1.0, a=1.0, b=1.0)  # type: ignore[arg-type]


def test_unknown_time_units_are_refused_when_set_or_loaded() -> None:
    with pytest.raises(ArgumentError) as err:
        BG.with_time_unit("fortnight")
    assert err.value.argument == "time_unit"
    text = json.loads(BG.to_json())
    text["time_unit"] = "Q"
    with pytest.raises((ArgumentError, SchemaError)) as loaded:
        load_model(json.dumps(text))
    assert "time_unit" in str(loaded.value)
    assert BG.with_time_unit(None).time_unit is None


def test_levels_outside_0_1_are_refused_not_nan() -> None:
    """A confidence of 1.5 or NaN gave NaN intervals everywhere; now an error naming it."""
    from relmark.lifecycle import estimate_transitions
    from relmark.scoring import Reputation, cronbach_alpha, nps, reputation_scores

    items = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], dtype=float)
    panel = np.array([[0, 1, 1], [0, 0, 1]])
    # enough customers to identify the parameters (six gave a, b -> 1e8 and no convergence)
    fitted = BGNBD.fit(BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).simulate([39.0] * 800, rng=4))
    calls = [
        (lambda: nps([10, 9, 3], level=1.5), "level"),
        (lambda: cronbach_alpha(items, level=float("nan")), "level"),
        (lambda: Reputation().interval(2.0), "level"),
        (lambda: reputation_scores([[1.0]], [[0.0]], level=0.0), "level"),
        (lambda: estimate_transitions(panel, ["a", "b"], level=1.0), "level"),
        (lambda: fitted.fit_result.conf_int(level=1.5), "level"),
        (lambda: fitted.interval(lambda m: m.p_alive(1, 3.0, 40.0), level=-0.1), "level"),
    ]
    for call, name in calls:
        with pytest.raises(ArgumentError) as err:
            call()
        assert err.value.argument == name
        assert str(err.value).startswith(f"argument {name!r}: ")


def test_transition_estimation_refuses_bad_arguments() -> None:
    from relmark.lifecycle import estimate_transitions

    panel = np.array([[0, 1, 1], [0, 0, 1]])
    for kwargs, argument in [({"prior": -1.0}, "prior"), ({"prior": float("nan")}, "prior")]:
        with pytest.raises(ArgumentError) as err:
            estimate_transitions(panel, ["a", "b"], **kwargs)
        assert err.value.argument == argument
    with pytest.raises(ArgumentError, match="distinct") as bad:
        estimate_transitions(panel, ["a", "a"])
    assert bad.value.argument == "states"
    with pytest.raises(ArgumentError, match="at least one state") as bad:
        estimate_transitions(panel, [])
    assert bad.value.argument == "states"
    with pytest.raises(DataError) as data_err:
        estimate_transitions(panel, ["a", "b"], allowed=[[0.5, 1.0], [1.0, 1.0]])
    assert data_err.value.column == "allowed"
    with pytest.raises(DataError) as data_err:
        estimate_transitions(np.array([["a", "b"]]), ["a", "b"])
    assert data_err.value.column == "panel"
    counted = estimate_transitions(panel, ["a", "b"]).matrix  # 0->1, 1->1, 0->0, 0->1
    np.testing.assert_allclose(counted, [[1 / 3, 2 / 3], [0.0, 1.0]])


@pytest.mark.parametrize("values", [[True, False], np.array([1, 0], dtype=bool), [1.0, True]])
def test_booleans_are_not_numbers(values: object) -> None:
    """numpy reads True as 1; a per-customer column of booleans is a mistake, not a count."""
    with pytest.raises(DataError, match="booleans") as err:
        check_rfm(values, [0.0, 0.0], [1.0, 1.0])  # type: ignore[arg-type]
    assert err.value.column == "frequency"
