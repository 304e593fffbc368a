"""Property tests of relmark.dask.summarize and calibration_holdout against relmark.data on
the engines' awkward logs (tests/engines/strategies.py), on the synchronous scheduler: in a
module of their own, since an in-process cluster's threads draw from the global random state
while hypothesis generates data (which it reports as a flaky strategy)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

from relmark import dask as rdask  # noqa: E402
from relmark.data import calibration_holdout, summarize  # noqa: E402
from relmark.errors import RelmarkError  # noqa: E402
from tests.engines.strategies import logs, option_logs  # noqa: E402
from tests.test_dask_options import same  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(
    case=option_logs(),
    unit=st.sampled_from([("D", 1), ("W", 1), ("h", 1), ("D", 7), ("M", 1)]),
    parts=st.integers(1, 4),
)
def test_options_equal_in_memory_property(
    case: tuple[pd.DataFrame, dict[str, Any]], unit: tuple[str, float], parts: int
) -> None:
    """Logs with boundary instants, many rows per instant, blank ids and returns to drop, a
    currency, dates as epoch numbers or Excel days with a zone (tests/engines/strategies.py),
    in 1-4 partitions: the in-memory summary bit for bit, or the same kind of error."""
    log, kw = case
    kw = {**kw, "time_unit": unit[0], "freq_multiplier": unit[1]}
    ddf = dd.from_pandas(log, npartitions=parts)
    with dask.config.set(scheduler="synchronous"):
        try:
            want = summarize(log, **kw)
        except RelmarkError as exc:
            with pytest.raises(type(exc)):
                rdask.summarize(ddf, **kw)
            return
        same(rdask.summarize(ddf, **kw), want)


@settings(max_examples=20, deadline=None)
@given(log=logs(zoned=True), parts=st.integers(1, 3), net=st.booleans())
def test_split_with_netted_returns_property(log: pd.DataFrame, parts: int, net: bool) -> None:
    """A zoned log (Asia/Kolkata) with a return at the instant of every third row, split at
    2024-01-08 (a Monday, a period boundary of every grid): the in-memory split bit for bit,
    or the same kind of error (no calibration purchase, no holdout)."""
    back = log.iloc[::3].assign(amount=lambda f: -f["amount"] / 2)
    log = pd.concat([log, back], ignore_index=True)
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "returns": "net" if net else "drop",
        "calibration_end": "2024-01-08",
        "timezone": "Asia/Kolkata",
        "time_unit": "W",
    }
    ddf = dd.from_pandas(log, npartitions=parts)
    with dask.config.set(scheduler="synchronous"):
        try:
            want = calibration_holdout(log, **kw)
        except RelmarkError as exc:
            with pytest.raises(type(exc)):
                rdask.calibration_holdout(ddf, **kw)
            return
        same(rdask.calibration_holdout(ddf, **kw), want)
