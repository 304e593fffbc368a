"""Where a summary states ``include_first_purchase``, and the messages when the places differ.

The review saw a false "attrs[...] and the column ... disagree": a frame of no customers whose
``attrs`` say True has an empty column, which states nothing, and was taken as saying False.
Every message here says what each place holds; each case below checks the message is true.
A pyarrow table's column was not read at all (a counted summary was fitted as repeat
purchases).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from relmark.clv import BGNBD
from relmark.data import RFMSummary, first_purchase_flag
from relmark.errors import ArgumentError, DataError

FLAG = "include_first_purchase"


def _frame(rows: int = 2) -> pd.DataFrame:
    return pd.DataFrame({"frequency": [1.0, 2.0], "recency": [0.0, 3.0], "T": [5.0, 5.0]}).iloc[
        :rows
    ]


@pytest.mark.parametrize("attrs", [True, False, np.True_, np.False_])
def test_an_empty_column_states_nothing(attrs: object) -> None:
    """Zero customers: the column has no value, so the attrs decide (was 'disagree' for
    attrs True)."""
    frame = _frame(0).assign(**{FLAG: pd.Series([], dtype=bool)})
    frame.attrs[FLAG] = attrs
    assert first_purchase_flag(frame) is bool(attrs)
    said = "counts the first purchase" if attrs else "no customers"
    with pytest.raises(DataError, match=said):
        BGNBD.fit(frame)


@pytest.mark.parametrize(
    ("attrs", "column", "dtype"),
    [
        (True, [False, False], bool),
        (False, [True, True], bool),
        (np.True_, [False, False], object),
        (False, [True, True], "boolean"),
    ],
)
def test_a_real_disagreement_says_what_each_holds(
    attrs: object, column: list[bool], dtype: Any
) -> None:
    frame = _frame().assign(**{FLAG: pd.Series(column, dtype=dtype)})
    frame.attrs[FLAG] = attrs
    want = (
        rf"attrs\['{FLAG}'\] is {bool(attrs)} and the column '{FLAG}' holds {column[0]}: "
        "they disagree"
    )
    with pytest.raises(DataError, match=want) as info:
        first_purchase_flag(frame)
    assert info.value.column == FLAG


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        (pd.array([True, None], dtype="boolean"), "<NA>"),
        ([True, np.nan], "nan"),
        ([1, 1], "1"),
        (["True", "True"], "'True'"),
    ],
)
def test_a_column_of_other_values_is_named_with_the_value(column: Any, shown: str) -> None:
    frame = _frame().assign(**{FLAG: column})
    frame.attrs[FLAG] = True
    with pytest.raises(DataError, match=rf"the column '{FLAG}' must be True or False.*{shown}"):
        first_purchase_flag(frame)


def test_attrs_without_a_column_and_a_column_without_attrs() -> None:
    frame = _frame()
    frame.attrs[FLAG] = True
    assert first_purchase_flag(frame) is True
    assert first_purchase_flag(_frame().assign(**{FLAG: True})) is True
    assert first_purchase_flag(_frame()) is False


def test_two_columns_of_the_name_are_refused() -> None:
    frame = pd.concat([_frame(), pd.DataFrame({FLAG: [True] * 2, "x": [True] * 2})], axis=1)
    frame.columns = ["frequency", "recency", "T", FLAG, FLAG]
    with pytest.raises(DataError, match="2 columns of this name") as info:
        first_purchase_flag(frame)
    assert info.value.column == FLAG


@pytest.mark.parametrize("to", [pa.Table.from_pandas, pl.from_pandas])
def test_arrow_and_polars_columns_are_read_and_the_models_refuse_them(to: Any) -> None:
    counted = _frame().assign(**{FLAG: True})
    table = to(counted)
    assert first_purchase_flag(table) is True
    with pytest.raises(DataError, match="counts the first purchase") as info:
        BGNBD.fit(table)  # arrow: was fitted as repeat purchases
    assert info.value.column == "frequency"
    assert first_purchase_flag(to(_frame().assign(**{FLAG: False}))) is False


def test_from_frame_names_the_place_that_disagrees_with_the_keyword() -> None:
    frame = _frame()
    frame.attrs[FLAG] = True
    with pytest.raises(ArgumentError, match=rf"is False, but the data's attrs\['{FLAG}'\] says"):
        RFMSummary.from_frame(frame, include_first_purchase=False)
    assert RFMSummary.from_frame(frame, include_first_purchase=True).include_first_purchase
