"""Hypothesis strategies for the tables the figures take (shaped like the diagnostics')."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

_means = st.floats(0.0, 20.0, allow_nan=False)


@st.composite
def calibration_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Tables like :func:`relmark.clv.diagnostics.calibration_holdout_table`: 2..9 frequency
    rows, some possibly without customers (NaN means there), one or two model columns."""
    k = draw(st.integers(2, 9))
    customers = draw(st.lists(st.integers(0, 500), min_size=k, max_size=k))
    if sum(customers) == 0:
        customers[0] = 1
    models = draw(st.sampled_from([["BG/NBD"], ["BG/NBD", "Pareto/NBD"]]))
    frame = pd.DataFrame({"customers": customers})
    for column in ["actual", *models]:
        values = draw(st.lists(_means, min_size=k, max_size=k))
        frame[column] = [v if c > 0 else np.nan for v, c in zip(values, customers, strict=True)]
    frame.index = pd.Index([str(i) for i in range(k - 1)] + [f"{k - 1}+"])
    return frame


@st.composite
def period_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Tables like :func:`relmark.clv.diagnostics.period_transactions`' first item."""
    k = draw(st.integers(2, 9))
    actual = draw(st.lists(st.integers(0, 2000), min_size=k, max_size=k))
    expected = draw(st.lists(st.floats(0.0, 2000.0), min_size=k, max_size=k))
    return pd.DataFrame({"actual": actual, "expected": expected})


@st.composite
def tracking_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Tables like :func:`relmark.clv.diagnostics.tracking`, with a calibration mark."""
    n = draw(st.integers(2, 40))
    actual = np.asarray(draw(st.lists(st.integers(0, 300), min_size=n, max_size=n)), float)
    expected = np.asarray(draw(st.lists(st.floats(0.0, 300.0), min_size=n, max_size=n)))
    cut = draw(st.integers(1, n))
    out = pd.DataFrame(
        {
            "actual": actual,
            "expected": expected,
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": np.cumsum(expected),
        },
        index=pd.Index(np.arange(n), name="period"),
    )
    out["calibration"] = out.index < cut
    out.attrs["unit_days"] = draw(st.sampled_from([1.0, 7.0, 14.0]))
    return out
