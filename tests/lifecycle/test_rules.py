"""Rule-based stage assignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from relmark.errors import DataError
from relmark.lifecycle import Condition, Rule, assign_stages

RULES = [
    Rule(
        name="lapsed",
        stage="attract",
        conditions=(Condition(metric="p_alive", op="<", value=0.2),),
    ),
    Rule(
        name="loyal",
        stage="loyalty",
        conditions=(
            Condition(metric="purchases", op=">=", value=5),
            Condition(metric="p_alive", op=">=", value=0.7),
        ),
    ),
]


def test_rules_fire_in_order_and_explain() -> None:
    stages, fired = assign_stages(
        RULES, {"purchases": [9, 9, 1], "p_alive": [0.9, 0.1, 0.5]}, default="build"
    )
    assert stages == ["loyalty", "attract", "build"]
    assert fired == ["loyal", "lapsed", None]
    unassigned, _ = assign_stages(RULES, {"purchases": [1], "p_alive": [0.5]})
    assert unassigned == [None]
    with pytest.raises(DataError, match="purchases"):
        assign_stages(RULES, {"p_alive": [0.5]})


def test_a_dataframe_works_and_nan_matches_no_condition() -> None:
    frame = pd.DataFrame({"purchases": [9.0, 9.0], "p_alive": [np.nan, 0.8]})
    stages, fired = assign_stages(RULES, frame, default="build")
    assert stages == ["build", "loyalty"]  # NaN p_alive: neither < 0.2 nor >= 0.7
    assert fired == [None, "loyal"]


def test_a_catch_all_rule_counts_customers_from_any_column() -> None:
    stages, _ = assign_stages([Rule(name="all", stage="attract")], {"tenure": [1.0, 2.0, 3.0]})
    assert stages == ["attract"] * 3


def test_conditions_refuse_nan_and_booleans() -> None:
    """NaN made every comparison false (!= always true); True is not a threshold."""
    for value in (float("nan"), float("inf"), True, "5"):
        with pytest.raises(ValidationError):
            Condition(metric="purchases", op=">=", value=value)  # type: ignore[arg-type]
    assert Rule.model_validate_json(RULES[1].model_dump_json()) == RULES[1]


def test_stage_rule_metrics_must_be_numbers() -> None:
    """Metrics given as text ("5") were converted; a number instead of a column raised
    IndexError."""
    when = (Condition(metric="purchases", op=">=", value=2),)
    rules = [Rule(name="repeat buyer", stage="retain", conditions=when)]
    with pytest.raises(DataError) as err:
        assign_stages(rules, {"purchases": ["5", "0"]})
    assert err.value.column == "purchases"
    with pytest.raises(DataError) as err:
        assign_stages(rules, {"purchases": 5.0})
    assert err.value.column == "purchases"
