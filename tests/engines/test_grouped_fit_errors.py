"""The engines fit from grouped statistics (distinct rows with counts); a row the fit refuses is
named by its values and customers, not by its position among the distinct rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD
from relmark.engines._options import fit_grouped
from relmark.errors import DataError

SUMMARY = pd.DataFrame(
    {
        "frequency": [1.0, 0.0, 2.0, 1.0, 3.0],
        "recency": [4.0, 0.0, 5.0, 4.0, 6.0],
        "T": [-3.0, 5.0, 6.0, -3.0, 7.0],
    }
)


def _check(exc: DataError) -> None:
    assert exc.column == "T"
    assert exc.rows == ("frequency=1, recency=4, T=-3 (2 customers)",)
    assert exc.count == 1
    assert "must be >= 0" in str(exc)


def test_duckdb_names_the_refused_row_by_its_values() -> None:
    """A negative T in the summary's rows 0 and 3 was reported as 'rows: 2' (its position
    among DuckDB's distinct rows, in no order the user has)."""
    from relmark.engines import sql

    with pytest.raises(DataError) as info:
        sql.fit(BGNBD, SUMMARY)
    _check(info.value)


def test_dask_names_the_refused_row_by_its_values() -> None:
    dd = pytest.importorskip("dask.dataframe")
    import relmark.dask as rdask

    with pytest.raises(DataError) as info:
        rdask.fit(BGNBD, dd.from_pandas(SUMMARY, npartitions=2))
    _check(info.value)


def test_spark_names_the_refused_row_by_its_values(spark: Any) -> None:
    from relmark.engines import spark as rspark

    with pytest.raises(DataError) as info:
        rspark.fit(BGNBD, spark.createDataFrame(SUMMARY))
    _check(info.value)


def test_a_missing_value_is_named_with_its_customers() -> None:
    """The helper itself: a NaN frequency in a distinct row of 3 customers."""
    data = {
        "frequency": np.array([1.0, np.nan]),
        "recency": np.array([1.0, 0.0]),
        "T": np.array([2.0, 1.0]),
    }
    with pytest.raises(DataError) as info:
        fit_grouped(BGNBD, data, np.array([5.0, 3.0]), where="the summary")
    assert info.value.column == "frequency"
    assert info.value.rows == ("frequency=nan, recency=0, T=1 (3 customers)",)


def test_a_value_is_named_with_the_digits_that_make_it_wrong() -> None:
    """A recency 1e-7 beyond T was named 'recency=10, T=10' (``%g``), beside the message that
    recency is greater than T; every digit is given where ``%g`` rounds, and the message counts
    the distinct rows at fault and their customers."""
    data = {
        "frequency": np.array([1.0, 2.0, 0.0]),
        "recency": np.array([10.0000001, 5.0, 0.0]),
        "T": np.array([10.0, 9.0, 8.0]),
    }
    with pytest.raises(DataError) as info:
        fit_grouped(BGNBD, data, np.array([3.0, 1.0, 2.0]), where="the summary")
    exc = info.value
    assert exc.column == "recency"
    assert exc.rows == ("frequency=1, recency=10.0000001, T=10 (3 customers)",)
    assert exc.count == 1
    assert "1 distinct row of 3 customers" in str(exc)
