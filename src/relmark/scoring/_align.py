"""Pandas inputs that must describe the same respondents or customers row by row."""

from __future__ import annotations

import pandas as pd

from relmark.errors import DataError


def check_aligned(values: dict[str, object]) -> None:
    """The pandas Series and DataFrames among ``values`` share one index (the row labels):
    numpy would pair their rows by position, one customer's answers with another's. A
    DataError naming the first argument whose index differs from the first one's.

    >>> check_aligned({"a": pd.Series([1], index=["x"]), "b": [2]})
    """
    indexes = [
        (name, v.index) for name, v in values.items() if isinstance(v, pd.Series | pd.DataFrame)
    ]
    if len(indexes) < 2:
        return
    (first, reference), *others = indexes
    for name, index in others:
        if not index.equals(reference):
            raise DataError(
                f"its index (row labels) differs from {first!r}'s: align them (e.g. "
                f".reindex) so that each row is the same respondent or customer",
                column=name,
            )
