"""The summary that counts the first purchase (``include_first_purchase=True``).

Hand logs are worked in the comments; a hypothesis property checks the option against a direct
pandas computation; lifetimes' ``summary_data_from_transaction_data(...,
include_first_transaction=True)`` is the reference on CDNOW.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from relmark.clv import BGNBD, GammaGamma, ParetoNBD
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_transactions
from relmark.errors import ArgumentError, DataError
from relmark.scoring import rfm_from_summary
from tests.data.strategies import transaction_logs

# a: 15 (10 + 5 merged) on Jan 1, 20 on Jan 8, 3 on Jan 20; b: 7 on Jan 3. End Jan 31.
HAND = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b"],
        "date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-20", "2024-01-03"],
        "amount": [10.0, 5.0, 20.0, 3.0, 7.0],
    }
)


def _counted(**extra: Any) -> RFMSummary:
    return summarize(
        HAND,
        monetary_value="amount",
        observation_end="2024-01-31",
        include_first_purchase=True,
        **extra,
    )


def test_hand_log_counts_every_purchase_period() -> None:
    """a: 3 purchase periods, recency 19 (Jan 1 -> Jan 20), T 30, mean (15 + 20 + 3) / 3;
    b: 1 period, recency 0, T 28 (Jan 3 -> Jan 31), mean 7 (its one purchase)."""
    s = _counted()
    assert s.include_first_purchase is True
    assert s.frequency.tolist() == [3.0, 1.0]
    assert s.recency.tolist() == [19.0, 0.0]
    assert s.T.tolist() == [30.0, 28.0]
    assert s.monetary_value is not None
    np.testing.assert_allclose(s.monetary_value, [38.0 / 3.0, 7.0], rtol=1e-15)
    # the default: 2 repeat periods of mean (20 + 3) / 2 = 11.5; b none, 0
    d = summarize(HAND, monetary_value="amount", observation_end="2024-01-31")
    assert d.include_first_purchase is False
    assert d.frequency.tolist() == [2.0, 0.0]
    assert d.monetary_value is not None and d.monetary_value.tolist() == [11.5, 0.0]
    assert d != s  # the flag (and the values) are part of equality


def test_hand_log_in_weeks_of_days() -> None:
    """freq_multiplier=7: a's recency 19/7, T 30/7; frequency and spend as in days."""
    s = _counted(freq_multiplier=7)
    assert s.time_unit == "W"
    assert s.frequency.tolist() == [3.0, 1.0]
    np.testing.assert_allclose(s.recency, [19 / 7, 0.0], rtol=1e-15)
    np.testing.assert_allclose(s.T, [30 / 7, 28 / 7], rtol=1e-15)


def test_hand_log_calibration_side_only() -> None:
    """Calibration to Jan 10: a has Jan 1 (15) and Jan 8 (20): frequency 2, recency 7, T 9,
    mean 17.5; b: Jan 3 (7): frequency 1, recency 0, T 7, mean 7. The holdout (Jan 11-31,
    21 days) is unchanged: a bought once (3), b never."""
    s = calibration_holdout(
        HAND,
        calibration_end="2024-01-10",
        observation_end="2024-01-31",
        monetary_value="amount",
        include_first_purchase=True,
    )
    assert s.include_first_purchase is True
    assert s.frequency.tolist() == [2.0, 1.0]
    assert s.recency.tolist() == [7.0, 0.0]
    assert s.T.tolist() == [9.0, 7.0]
    assert s.monetary_value is not None and s.monetary_value.tolist() == [17.5, 7.0]
    assert s.frequency_holdout is not None and s.frequency_holdout.tolist() == [1.0, 0.0]
    assert s.monetary_value_holdout is not None
    assert s.monetary_value_holdout.tolist() == [3.0, 0.0]
    assert s.duration_holdout is not None and s.duration_holdout.tolist() == [21.0, 21.0]


def test_netted_returns_reduce_the_first_period_too() -> None:
    """a: 10 - 4 = 6 on Jan 1, 20 on Jan 8: counted, 2 periods of mean (6 + 20) / 2 = 13; by
    default 1 repeat period of 20 (the first period's return does not count there)."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": ["2024-01-01", "2024-01-01", "2024-01-08"],
            "amount": [10.0, -4.0, 20.0],
        }
    )
    s = summarize(log, monetary_value="amount", returns="net", include_first_purchase=True)
    assert s.frequency.tolist() == [2.0]
    assert s.monetary_value is not None and s.monetary_value.tolist() == [13.0]
    d = summarize(log, monetary_value="amount", returns="net")
    assert d.monetary_value is not None and d.monetary_value.tolist() == [20.0]


def test_sum_log_interpurchase_is_unchanged() -> None:
    """a's gaps are 7 and 12 days: ln 7 + ln 12 either way; b has no gap."""
    s = _counted(sum_log_interpurchase=True)
    assert s.sum_log_interpurchase is not None
    np.testing.assert_allclose(s.sum_log_interpurchase, [np.log(7) + np.log(12), 0.0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=transaction_logs(returns=True))
def test_adds_one_to_frequency_and_averages_over_all_periods(log: pd.DataFrame) -> None:
    """Against a direct computation: merge each customer's day, count the days, average the
    day totals (netted returns included); recency and T as without the option."""
    plain = summarize(log, monetary_value="amount", returns="net")
    counted = summarize(log, monetary_value="amount", returns="net", include_first_purchase=True)
    np.testing.assert_array_equal(counted.customer_id, plain.customer_id)
    np.testing.assert_array_equal(counted.frequency, plain.frequency + 1.0)
    np.testing.assert_array_equal(counted.recency, plain.recency)
    np.testing.assert_array_equal(counted.T, plain.T)
    days = log.assign(day=log["date"].dt.floor("D")).groupby(["customer_id", "day"])["amount"]
    per_day = days.sum()
    direct_count = per_day.groupby(level="customer_id").size()
    direct_mean = per_day.groupby(level="customer_id").mean()
    ids = counted.customer_id.tolist()
    np.testing.assert_array_equal(counted.frequency, direct_count.loc[ids].to_numpy(float))
    assert counted.monetary_value is not None
    np.testing.assert_allclose(
        counted.monetary_value, direct_mean.loc[ids].to_numpy(), rtol=1e-12, atol=1e-9
    )


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


@pytest.mark.parametrize(("unit", "mult"), [("D", 1), ("D", 7)])
def test_equals_lifetimes_include_first_transaction_on_cdnow(
    cdnow: pd.DataFrame, unit: str, mult: int
) -> None:
    """lifetimes' summary_data_from_transaction_data(..., include_first_transaction=True) on
    the 23,570 CDNOW customers: every column equal (spend to 1e-12)."""
    from lifetimes.utils import summary_data_from_transaction_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = summary_data_from_transaction_data(
            cdnow,
            "customer_id",
            "date",
            "amount",
            freq=unit,
            freq_multiplier=mult,
            include_first_transaction=True,
        ).sort_index()
    ours = summarize(
        cdnow,
        monetary_value="amount",
        time_unit=unit,
        freq_multiplier=mult,
        include_first_purchase=True,
    )
    assert len(ours) == 23_570
    assert ours.frequency.min() == 1.0  # every customer bought at least once
    frame = ours.to_frame()
    np.testing.assert_array_equal(frame.index.to_numpy(), theirs.index.to_numpy())
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(frame[col].to_numpy(), theirs[col].to_numpy())
    np.testing.assert_allclose(frame["monetary_value"], theirs["monetary_value"], rtol=1e-12)
    # lifetimes' frame read back as such a summary equals ours
    back = RFMSummary.from_frame(theirs, time_unit=ours.time_unit, include_first_purchase=True)
    assert back.include_first_purchase
    np.testing.assert_array_equal(back.frequency, ours.frequency)


def test_the_flag_survives_frame_group_and_equality() -> None:
    s = _counted()
    frame = s.to_frame()
    assert frame.attrs["include_first_purchase"] is True
    assert RFMSummary.from_frame(frame) == s
    assert s.group().include_first_purchase is True
    assert "counts the first purchase" in repr(s)
    hand = RFMSummary(customer_id=["a"], frequency=[0], recency=[0], T=[3])
    assert hand.include_first_purchase is False  # summaries built by hand are unaffected
    assert RFMSummary.from_frame(hand.to_frame()).include_first_purchase is False


def _model_calls(s: object) -> list[Any]:
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.45)
    return [
        lambda: BGNBD.fit(s),
        lambda: ParetoNBD.fit(s),
        lambda: GammaGamma.fit(s),
        lambda: bg.log_likelihood(s),
        lambda: gg.log_likelihood(s),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("as_frame", [False, True])
def test_every_model_refuses_such_a_summary(index: int, as_frame: bool) -> None:
    """Fit and the predictions that read a summary raise a DataError saying why and how."""
    s = _counted()
    data = s.to_frame() if as_frame else s
    with pytest.raises(DataError) as err:
        _model_calls(data)[index]()
    assert err.value.column == "frequency"
    assert "include_first_purchase=False" in str(err.value)
    assert "repeat purchases" in str(err.value)


def test_rfm_scores_take_such_a_summary_as_it_is() -> None:
    """F scores count every purchase either way (a 3, b 1); M scores rank b's one purchase of
    7 below a's mean 38/3 when the first purchase counts, while a default summary gives b a
    repeat spend of 0 (also below)."""
    counted = rfm_from_summary(_counted(), n_bins=2)
    plain = rfm_from_summary(
        summarize(HAND, monetary_value="amount", observation_end="2024-01-31"), n_bins=2
    )
    np.testing.assert_array_equal(counted.frequency_score, plain.frequency_score)
    assert counted.frequency_score.tolist() == [2, 1]
    assert counted.monetary_score.tolist() == [2, 1]


@pytest.mark.parametrize("bad", ["yes", 1, 0, None, np.float64(1.0)])
@pytest.mark.parametrize("where", ["summarize", "calibration_holdout", "RFMSummary", "from_frame"])
def test_the_option_must_be_a_flag(bad: Any, where: str) -> None:
    in_frame: Any = "no" if bad is None else bad  # None there means "from the frame's attrs"
    calls: dict[str, Any] = {
        "summarize": lambda: summarize(HAND, include_first_purchase=bad),
        "calibration_holdout": lambda: calibration_holdout(
            HAND, calibration_end="2024-01-10", include_first_purchase=bad
        ),
        "RFMSummary": lambda: RFMSummary(
            customer_id=["a"], frequency=[1], recency=[0], T=[3], include_first_purchase=bad
        ),
        "from_frame": lambda: RFMSummary.from_frame(
            _counted().to_frame(), include_first_purchase=in_frame
        ),
    }
    with pytest.raises(ArgumentError) as err:
        calls[where]()
    assert err.value.argument == "include_first_purchase"


@pytest.mark.parametrize(
    ("columns", "column", "words"),
    [
        ({"frequency": [0, 2], "recency": [0, 1]}, "frequency", ">= 1"),
        ({"frequency": [1.5, 2], "recency": [1, 1]}, "frequency", "whole number"),
        ({"frequency": [-1, 2], "recency": [0, 1]}, "frequency", ">= 1"),
        ({"frequency": [1, 2], "recency": [2, 1]}, "recency", "where frequency is 1"),
        ({"frequency": [3, 2], "recency": [0, 1]}, "recency", "where frequency > 1"),
        ({"frequency": [2, 2], "recency": [9, 1]}, "recency", "greater than T"),
        ({"frequency": [2, np.nan], "recency": [1, 1]}, "frequency", ""),
        ({"frequency": [2, 2], "recency": [1, -1]}, "recency", ""),
        ({"frequency": ["2", 2], "recency": [1, 1]}, "frequency", ""),
    ],
)
def test_inconsistent_counted_summaries_are_refused(
    columns: dict[str, Any], column: str, words: str
) -> None:
    with pytest.raises(DataError) as err:
        RFMSummary(customer_id=["a", "b"], T=[5, 5], include_first_purchase=True, **columns)
    assert err.value.column == column
    assert words in str(err.value)


def test_sum_log_interpurchase_of_a_one_time_buyer_must_be_zero() -> None:
    """frequency 1 counts no repeat purchase: no gap, so the sum of log gaps is 0."""
    with pytest.raises(DataError) as err:
        RFMSummary(
            customer_id=["a"],
            frequency=[1],
            recency=[0],
            T=[5],
            sum_log_interpurchase=[0.5],
            include_first_purchase=True,
        )
    assert err.value.column == "sum_log_interpurchase"
    # frequency 3 (2 gaps) adding up to 4: at most 2 ln 2
    RFMSummary(
        customer_id=["a"],
        frequency=[3],
        recency=[4.0],
        T=[5],
        sum_log_interpurchase=[2 * np.log(2)],
        include_first_purchase=True,
    )
    with pytest.raises(DataError) as err:
        RFMSummary(
            customer_id=["a"],
            frequency=[3],
            recency=[4.0],
            T=[5],
            sum_log_interpurchase=[2 * np.log(2) + 0.01],
            include_first_purchase=True,
        )
    assert err.value.column == "sum_log_interpurchase"


def test_summary_readers_of_the_clv_package_refuse_it_too(cdnow: pd.DataFrame) -> None:
    """compare_models, the calibration/holdout diagnostics and the relationship view predict
    repeat purchases from a summary: they refuse one that counts the first purchase."""
    from relmark.clv import compare_models
    from relmark.clv.diagnostics import calibration_holdout_table
    from relmark.view import relationship_view

    s = calibration_holdout(
        cdnow.head(2_000),
        calibration_end="1997-09-30",
        freq_multiplier=7,
        monetary_value="amount",
        include_first_purchase=True,
    )
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    calls: list[Any] = [
        lambda: compare_models({"bg": model}, s),
        lambda: calibration_holdout_table({"bg": model}, s),
        lambda: relationship_view(s),
        lambda: relationship_view(s.to_frame()),
    ]
    for call in calls:
        with pytest.raises(DataError, match="include_first_purchase=False") as err:
            call()
        assert err.value.column == "frequency"


@pytest.mark.parametrize("flag", [np.True_, "true", 1, "yes"])
def test_a_frame_whose_attrs_flag_is_numpy_true_or_tampered_is_refused_too(flag: Any) -> None:
    """attrs["include_first_purchase"] holding numpy's True (a round trip) or a tampered value
    was taken for False: the fit then failed on recency (a misleading message) or ran on the
    counted frequencies. Only False or no entry reads as a summary of repeat purchases."""
    frame = _counted().to_frame()
    frame.attrs["include_first_purchase"] = flag
    for call in _model_calls(frame):
        with pytest.raises(DataError) as err:
            call()
        if flag is np.True_:  # a summary that counts the first purchase
            assert err.value.column == "frequency"
        else:  # a flag that is no flag, named as such
            assert err.value.column == "include_first_purchase"
            assert "must be True or False" in str(err.value)
        assert "include_first_purchase" in str(err.value)


def test_a_frame_whose_attrs_flag_is_numpy_false_is_a_repeat_summary() -> None:
    """numpy's False (or no entry) is the default: the fit runs."""
    s = _counted()
    repeats = RFMSummary(
        customer_id=s.customer_id, frequency=s.frequency - 1, recency=s.recency, T=s.T
    ).to_frame()
    repeats.attrs["include_first_purchase"] = np.False_
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert np.isfinite(bg.log_likelihood(repeats)).all()


# --------------------------------------------------------------- every form carries the flag
def _columns(s: RFMSummary) -> dict[str, Any]:
    assert s.monetary_value is not None
    return {
        "frequency": s.frequency,
        "recency": s.recency,
        "T": s.T,
        "monetary_value": s.monetary_value,
    }


def _forms(flag: object, cols: dict[str, Any] | None = None) -> dict[str, Any]:
    """The counted hand summary (or ``cols``) in every container a model reads, carrying
    ``flag``."""
    pl = pytest.importorskip("polars")
    cols = _columns(_counted()) if cols is None else cols
    n = len(cols["frequency"])
    return {
        "dict": {**cols, "include_first_purchase": flag},
        "dict of a column": {**cols, "include_first_purchase": [flag] * n},
        "pandas column": pd.DataFrame({**cols, "include_first_purchase": [flag] * n}),
        "polars column": pl.DataFrame({**cols, "include_first_purchase": [flag] * n}),
    }


@pytest.mark.parametrize("form", ["dict", "dict of a column", "pandas column", "polars column"])
@pytest.mark.parametrize("index", range(5))
def test_every_form_that_says_true_is_refused(form: str, index: int) -> None:
    """A plain dict with the key (was silently ignored), a polars frame (no attrs: the flag
    is a column) and a pandas column all carry the flag; every model refuses it."""
    data = _forms(True)[form]
    with pytest.raises(DataError, match="include_first_purchase=False") as err:
        _model_calls(data)[index]()
    assert err.value.column == "frequency"


@pytest.mark.parametrize("form", ["dict", "dict of a column", "pandas column", "polars column"])
def test_every_form_that_says_false_fits_like_the_summary(form: str) -> None:
    """False in any form is a summary of repeat purchases: the log-likelihood equals that of
    the same numbers in an RFMSummary (the flag column is not read as data)."""
    s = _counted()
    repeats = RFMSummary(
        customer_id=s.customer_id, frequency=s.frequency - 1, recency=s.recency, T=s.T
    )
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    data = _forms(False, {**_columns(s), "frequency": repeats.frequency})[form]
    want = bg.log_likelihood(repeats)
    assert bg.log_likelihood(data) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize(
    ("flag", "message"),
    [("yes", "must be True or False"), (1, "must be True or False"), (None, "True or False")],
)
@pytest.mark.parametrize("form", ["dict", "pandas column", "polars column"])
def test_a_flag_that_is_not_a_bool_is_refused_by_name(
    form: str, flag: object, message: str
) -> None:
    with pytest.raises(DataError, match=message) as err:
        BGNBD.fit(_forms(flag)[form])
    assert err.value.column == "include_first_purchase"


@pytest.mark.parametrize("kind", ["pandas", "polars", "dict"])
def test_a_column_mixing_true_and_false_is_refused(kind: str) -> None:
    pl = pytest.importorskip("polars")
    cols = {**_columns(_counted()), "include_first_purchase": [True, False]}
    data: Any = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "dict": dict}[kind](cols)
    with pytest.raises(DataError, match="one value for the whole summary") as err:
        BGNBD.fit(data)
    assert err.value.column == "include_first_purchase"


def test_pandas_attrs_and_column_that_disagree_are_refused() -> None:
    frame = pd.DataFrame({**_columns(_counted()), "include_first_purchase": [True, True]})
    frame.attrs["include_first_purchase"] = False
    with pytest.raises(DataError, match="disagree") as err:
        BGNBD.fit(frame)
    assert err.value.column == "include_first_purchase"


def test_from_mapping_and_from_frame_read_the_flag_of_their_input() -> None:
    cols = _columns(_counted())
    assert RFMSummary.from_mapping({**cols, "include_first_purchase": True}).include_first_purchase
    assert not RFMSummary.from_mapping(
        {**cols, "frequency": cols["frequency"] - 1}
    ).include_first_purchase
    framed = pd.DataFrame({**cols, "include_first_purchase": [True, True]})
    assert RFMSummary.from_frame(framed).include_first_purchase is True
    # a keyword that contradicts the data is refused, one that agrees is fine
    with pytest.raises(ArgumentError, match="include_first_purchase"):
        RFMSummary.from_mapping(
            {**cols, "include_first_purchase": True}, include_first_purchase=False
        )
    with pytest.raises(ArgumentError, match="include_first_purchase"):
        RFMSummary.from_frame(framed, include_first_purchase=False)
    assert RFMSummary.from_frame(framed, include_first_purchase=True).include_first_purchase
    # a frame without the flag takes the keyword (a lifetimes frame)
    assert RFMSummary.from_frame(
        pd.DataFrame(cols), include_first_purchase=True
    ).include_first_purchase
