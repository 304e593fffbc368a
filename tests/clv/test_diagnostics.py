"""Diagnostics against simulation and the holdout data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relmark.clv import BGNBD
from relmark.clv.diagnostics import calibration_holdout_table, period_transactions
from relmark.data import RFMSummary, calibration_holdout
from relmark.datasets import load_cdnow_sample_transactions, load_cdnow_summary
from relmark.errors import DataError

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_period_transactions_expectation_matches_simulation() -> None:
    """sum_i P(X(T_i) = n) against the frequencies of customers simulated with the same T_i."""
    model = BGNBD(**BG)
    summary = load_cdnow_summary()
    table, stat, p = period_transactions(model, summary)
    assert table["expected"].sum() == pytest.approx(len(summary))
    sims = np.zeros(8)
    reps = 40
    rng = np.random.default_rng(0)
    for _ in range(reps):
        d = model.simulate(summary.T, rng=rng)
        sims += np.bincount(np.minimum(d["frequency"], 7).astype(int), minlength=8)
    np.testing.assert_allclose(sims / reps, table["expected"], rtol=0.03, atol=3)
    assert stat >= 0
    assert 0 <= p <= 1


def test_calibration_holdout_table_uses_the_holdout_actuals() -> None:
    log = load_cdnow_sample_transactions()
    s = calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", freq_multiplier=7
    )
    table = calibration_holdout_table({"BG/NBD": BGNBD(**BG)}, s)
    assert table["customers"].sum() == 2357
    assert s.frequency_holdout is not None
    zero = s.frequency == 0
    assert table.loc["0", "actual"] == pytest.approx(s.frequency_holdout[zero].mean())
    pred = table["BG/NBD"].to_numpy()
    assert pred[-1] > pred[0]
    with pytest.raises(DataError, match="calibration/holdout"):
        calibration_holdout_table(
            {}, RFMSummary(customer_id=[1], frequency=[0], recency=[0], T=[3.0])
        )


def test_tracking_on_cdnow_follows_the_published_shape() -> None:
    """FHL (2005, Figure 4): BG/NBD tracks CDNOW's cumulative repeat sales over 78 weeks; the
    expected total at week 39 is close to the calibration actuals (2457 repeat purchases in the
    1/10 sample's summary), and expected increments are non-negative."""
    from relmark.clv.diagnostics import tracking

    log = load_cdnow_sample_transactions()
    table = tracking(BGNBD(**BG), log, calibration_end="1997-09-30")
    assert (table["expected"] >= 0).all()
    week39 = table.loc[38]
    # counted independently: distinct (customer, day) pairs after each customer's first day,
    # in the first 39 weeks; the summary's calibration total
    days = log.assign(day=pd.to_datetime(log["date"]).dt.normalize())
    days = days.drop_duplicates(["customer_id", "day"])
    first = days.groupby("customer_id")["day"].transform("min")
    end = days["day"].min() + pd.Timedelta(weeks=39)
    repeat = int(((days["day"] > first) & (days["day"] < end)).sum())
    assert repeat == 2457
    assert week39["actual_cumulative"] == repeat
    assert week39["expected_cumulative"] == pytest.approx(week39["actual_cumulative"], rel=0.05)
    assert table["calibration"].sum() == 39
