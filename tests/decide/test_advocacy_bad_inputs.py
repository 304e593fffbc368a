"""Bad inputs to the advocacy values found by the adversarial review: each raises relmark's
error naming the column (and the rows where there are some)."""

from __future__ import annotations

import pandas as pd
import pytest

from relmark.decide.advocacy import (
    customer_engagement_value,
    employee_advocacy,
    influencer_value,
    knowledge_value,
)
from relmark.errors import DataError


def _shares() -> pd.DataFrame:
    return pd.DataFrame(
        {"employee_id": ["e1", "e2"], "reach": [10, 20], "clicks": [5, 6], "conversions": [1, 2]}
    )


@pytest.mark.parametrize("column", ["reach", "clicks", "conversions", "employee_id"])
def test_employee_advocacy_refuses_a_repeated_column(column: str) -> None:
    # a repeated reach column was read as both columns' values one after the other: the reach
    # came out doubled (60), silently
    shares = _shares()
    shares = pd.concat([shares, shares[[column]]], axis=1)
    with pytest.raises(DataError, match="appears twice") as err:
        employee_advocacy(shares, eligible=3)
    assert err.value.column == column


@pytest.mark.parametrize("column", ["share", "customer_id", "influencer_id"])
def test_influencer_value_refuses_a_repeated_column(column: str) -> None:
    influence = pd.DataFrame(
        {"influencer_id": ["ann", "bo"], "customer_id": ["c1", "c2"], "share": [1.0, 0.5]}
    )
    influence = pd.concat([influence, influence[[column]]], axis=1)
    with pytest.raises(DataError, match="appears twice") as err:  # was a raw ValueError
        influencer_value(influence, pd.Series({"c1": 100.0, "c2": 80.0}))
    assert err.value.column == column


def test_knowledge_value_refuses_a_repeated_share_column() -> None:
    ideas = pd.DataFrame({"customer_id": ["c1"], "idea_id": ["i1"], "share": [1.0]})
    ideas = pd.concat([ideas, ideas[["share"]]], axis=1)
    with pytest.raises(DataError, match="appears twice") as err:
        knowledge_value(ideas, pd.Series({"i1": 1000.0}))
    assert err.value.column == "share"


def test_engagement_value_overflow_names_cev_and_the_customer() -> None:
    # named the column 'clv' (finite) before, and no customer
    with pytest.raises(DataError, match="overflows") as err:
        customer_engagement_value(
            pd.Series({"a": 1.7e308, "b": 1.0}), crv=pd.Series({"a": 1.7e308})
        )
    assert err.value.column == "cev"
    assert "'a'" in str(err.value) and "'b'" not in str(err.value)
