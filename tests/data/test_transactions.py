"""The data layer against lifetimes on the full CDNOW log, and its refusals of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import (
    load_cdnow_sample_transactions,
    load_cdnow_summary,
    load_cdnow_transactions,
)
from relmark.errors import ArgumentError, DataError
from relmark.timeunit import TimeUnit
from tests.data.strategies import transaction_logs


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


@pytest.mark.parametrize(("unit", "mult"), [("D", 1), ("D", 7), ("W", 1)])
def test_summary_equals_lifetimes_on_full_cdnow(cdnow: pd.DataFrame, unit: str, mult: int) -> None:
    """Every column equals lifetimes' summary_data_from_transaction_data (23,570 customers)."""
    import warnings

    from lifetimes.utils import summary_data_from_transaction_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = summary_data_from_transaction_data(
            cdnow, "customer_id", "date", "amount", freq=unit, freq_multiplier=mult
        ).sort_index()
    ours = summarize(cdnow, monetary_value="amount", time_unit=unit, freq_multiplier=mult)
    assert len(ours) == 23_570
    frame = ours.to_frame()
    np.testing.assert_array_equal(frame.index.to_numpy(), theirs.index.to_numpy())
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(frame[col].to_numpy(), theirs[col].to_numpy())
    np.testing.assert_allclose(frame["monetary_value"], theirs["monetary_value"], rtol=1e-12)


def test_calibration_holdout_equals_lifetimes(cdnow: pd.DataFrame) -> None:
    """The demo's split (39 + 39 weeks at 1997-09-30) equals calibration_and_holdout_data."""
    import warnings

    from lifetimes.utils import calibration_and_holdout_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calibration_and_holdout_data(
            cdnow,
            "customer_id",
            "date",
            calibration_period_end="1997-09-30",
            observation_period_end="1998-06-30",
            monetary_value_col="amount",
            freq="D",
            freq_multiplier=7,
        ).sort_index()
    ours = calibration_holdout(
        cdnow,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        monetary_value="amount",
        freq_multiplier=7,
        holdout_spend="transaction",  # lifetimes' rule for the holdout mean spend
    ).to_frame()
    pairs = {
        "frequency": "frequency_cal",
        "recency": "recency_cal",
        "T": "T_cal",
        "frequency_holdout": "frequency_holdout",
        "duration_holdout": "duration_holdout",
    }
    for ours_col, their_col in pairs.items():
        np.testing.assert_array_equal(ours[ours_col].to_numpy(), theirs[their_col].to_numpy())
    for ours_col, their_col in {
        "monetary_value": "monetary_value_cal",
        "monetary_value_holdout": "monetary_value_holdout",
    }.items():
        np.testing.assert_allclose(ours[ours_col], theirs[their_col], rtol=1e-12)
    assert ours["duration_holdout"].iloc[0] == 39.0


def test_sample_log_gives_the_published_summary() -> None:
    """The 1/10 sample log, in weeks to 1997-09-30, gives the summary printed with Fader,
    Hardie & Lee (2005) (T = 38.86 for the first cohort), to its two decimals."""
    log = load_cdnow_sample_transactions()
    ours = summarize(
        log[log["date"] <= "1997-09-30"], observation_end="1997-09-30", freq_multiplier=7
    )
    published = load_cdnow_summary()
    np.testing.assert_array_equal(ours.frequency, published.frequency)
    np.testing.assert_array_equal(np.round(ours.recency, 2), published.recency)
    np.testing.assert_array_equal(np.round(ours.T, 2), published.T)
    assert ours.T.max() == pytest.approx(38.857, abs=1e-3)
    assert ours.time_unit == "W"


def test_same_period_purchases_merge_and_first_is_not_repeat() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b"],
            "date": [
                "2024-01-01 09:00",
                "2024-01-01 17:00",
                "2024-01-04",
                "2024-01-10",
                "2024-01-02",
            ],
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0],
        }
    )
    s = summarize(log, monetary_value="amount", observation_end="2024-01-11")
    a = s.to_frame().loc["a"]
    assert a["frequency"] == 2  # two days after the first day
    assert a["recency"] == 9
    assert a["T"] == 10
    assert a["monetary_value"] == 30.0  # mean of 20 and 40; the merged first day (15) excluded
    weekly = summarize(log, time_unit="W", observation_end="2024-01-11").to_frame()
    assert weekly.loc["a", "frequency"] == 1  # Monday 2024-01-01..Sunday 01-07, then 01-08..


def test_arrays_and_polars_inputs_agree_with_pandas(cdnow: pd.DataFrame) -> None:
    import polars as pl

    head = cdnow.head(2000)
    ref = summarize(head, monetary_value="amount")
    mapping = {c: head[c].to_numpy() for c in head.columns}
    assert summarize(mapping, monetary_value="amount") == ref
    frame = pl.from_dict(mapping)  # type: ignore[arg-type]
    assert summarize(frame, monetary_value="amount") == ref


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 60), st.floats(0, 100, allow_nan=False)),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_summary_invariants(rows: list[tuple[int, int, float]]) -> None:
    """0 <= recency <= T, frequency = distinct days - 1, spend is a mean of repeat days."""
    log = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    log["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(log["day"], unit="D")
    s = summarize(log, monetary_value="amount", observation_end="2024-03-31")
    f = s.to_frame()
    days = log.groupby("customer_id")["day"]
    np.testing.assert_array_equal(f["frequency"], days.nunique() - 1)
    np.testing.assert_array_equal(f["recency"], days.max() - days.min())
    np.testing.assert_array_equal(f["T"], 90 - days.min())
    assert np.all(f["monetary_value"] >= 0)


# ------------------------------------------------------------------------------ bad input
def test_bad_input_is_named() -> None:
    ok = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"]})
    with pytest.raises(DataError, match="'when': missing column"):
        summarize(ok, datetime="when")
    bad_date = ok.assign(date=["2024-01-01", "not a date"])
    with pytest.raises(DataError, match=r"'date'.*unparseable.*rows: 1"):
        summarize(bad_date)
    with pytest.raises(DataError, match="missing dates"):
        summarize(ok.assign(date=["2024-01-01", None]))  # type: ignore[list-item]
    with pytest.raises(DataError, match=r"'amount'.*NaN"):
        summarize(ok.assign(amount=[1.0, float("nan")]), monetary_value="amount")
    with pytest.raises(DataError, match=r"'amount'.*negative"):
        summarize(ok.assign(amount=[1.0, -2.0]), monetary_value="amount")
    with pytest.raises(DataError, match="after the end of observation"):
        summarize(ok, observation_end="2024-01-01")
    with pytest.raises(DataError, match="empty"):
        summarize(ok.iloc[:0])
    with pytest.raises(ArgumentError, match="time_unit"):
        summarize(ok, time_unit="fortnight")
    assert isinstance(DataError("x"), ValueError)


def test_summary_container_refuses_inconsistent_rows() -> None:
    with pytest.raises(DataError, match=r"recency.*greater than T.*'b'"):
        RFMSummary(customer_id=["a", "b"], frequency=[1, 1], recency=[1.0, 9.0], T=[5.0, 5.0])
    with pytest.raises(DataError, match="duplicate customer ids"):
        RFMSummary(customer_id=["a", "a"], frequency=[0, 0], recency=[0, 0], T=[5.0, 5.0])
    with pytest.raises(DataError, match="must be 0 where frequency is 0"):
        RFMSummary(customer_id=[1], frequency=[0], recency=[2.0], T=[5.0])
    with pytest.raises(DataError, match="non-negative integer"):
        RFMSummary(customer_id=[1], frequency=[1.5], recency=[2.0], T=[5.0])


def test_grouping_the_cdnow_sample() -> None:
    """DOMAIN.md 2.1: the 2357 CDNOW sample rows group into 1016 unique (x, t_x, T) rows."""
    s = load_cdnow_summary()
    g = s.group()
    assert len(g) == 1016
    assert g.n_customers == 2357
    assert g.weights is not None
    assert float(g.weights @ g.frequency) == float(s.frequency.sum())


def test_frame_round_trip_is_lifetimes_compatible() -> None:
    s = load_cdnow_summary(with_monetary=True)
    frame = s.to_frame()
    assert list(frame.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert RFMSummary.from_frame(frame, time_unit="W") == s


# ------------------------------------------------------------------------------ brute force
def brute_force(
    log: pd.DataFrame, unit: str, mult: float, end: pd.Timestamp
) -> dict[str, tuple[float, float, float, float]]:
    """Per customer (frequency, recency, T, monetary_value) by plain loops over pandas Periods
    (an independent grid): returns are not purchases but count in their period's spend."""
    freq = {"D": "D", "W": "W-SUN", "h": "h", "M": "M"}[unit]
    out: dict[str, tuple[float, float, float, float]] = {}
    end_p = pd.Period(end, freq=freq)
    for cid in set(log["customer_id"]):
        spend: dict[pd.Period, float] = {}
        bought: set[pd.Period] = set()
        for date, amount in log.loc[log["customer_id"] == cid, ["date", "amount"]].itertuples(
            index=False
        ):
            p = pd.Period(date, freq=freq)
            spend[p] = spend.get(p, 0.0) + amount
            if amount >= 0:
                bought.add(p)
        ordered = sorted(bought)
        first, last = ordered[0], ordered[-1]
        x = len(ordered) - 1
        repeat = [spend[p] for p in ordered[1:]]
        out[cid] = (
            float(x),
            (last - first).n / mult,
            (end_p - first).n / mult,
            sum(repeat) / x if x else 0.0,
        )
    return out


@given(
    log=transaction_logs(returns=True),
    unit=st.sampled_from(["D", "W", "h", "M"]),
    mult=st.sampled_from([1.0, 7.0, 2.5, 14.0]),
)
@settings(max_examples=60, deadline=None)
def test_summaries_equal_a_brute_force_computation(
    log: pd.DataFrame, unit: str, mult: float
) -> None:
    """Random logs (ids '007'/'7', 'b ', times of day, returns netted) against plain loops."""
    end = pd.Timestamp("2025-01-02")
    s = summarize(
        log,
        monetary_value="amount",
        time_unit=unit,
        freq_multiplier=mult,
        observation_end=end,
        returns="net",
    )
    expected = brute_force(log, unit, mult, end)
    assert sorted(expected) == s.customer_id.tolist()
    assert s.monetary_value is not None
    for i, cid in enumerate(s.customer_id):
        x, tx, T, m = expected[cid]
        assert s.frequency[i] == x
        assert s.recency[i] == pytest.approx(tx, rel=1e-12)
        assert s.T[i] == pytest.approx(T, rel=1e-12)
        assert s.monetary_value[i] == pytest.approx(m, rel=1e-9, abs=1e-9)
    assert s.time_unit == TimeUnit(unit, mult).label


@given(log=transaction_logs())
@settings(max_examples=30, deadline=None)
def test_text_dates_with_offsets_are_the_same_instants(log: pd.DataFrame) -> None:
    """The same log written as ISO text with mixed UTC offsets (+01:00/+02:00, as a European
    export across a DST change) summarises like the datetimes, by UTC day and by local day."""
    local = log["date"].dt.tz_localize("Europe/Berlin", nonexistent="shift_forward", ambiguous=True)
    text = log.assign(date=local.map(lambda t: t.isoformat()))
    by_utc = summarize(log.assign(date=local.dt.tz_convert("UTC").dt.tz_localize(None)))
    assert summarize(text) == by_utc
    wall = summarize(log.assign(date=local.dt.tz_localize(None)))
    assert summarize(text, timezone="Europe/Berlin") == wall


def test_calibration_holdout_nets_returns_and_keeps_the_currency() -> None:
    """By hand: a buys 10 (1 Jan), 30 less a return of 10 (5 Jan), then in the holdout 8 and
    a same-day return of 3 (20 Jan): calibration spend 20, holdout spend (8 - 3) / 1 purchase."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b"],
            "date": [
                "2024-01-01",
                "2024-01-05",
                "2024-01-05",
                "2024-01-20",
                "2024-01-20",
                "2024-01-02",
            ],
            "amount": [10.0, 30.0, -10.0, 8.0, -3.0, 4.0],
            "ccy": ["EUR"] * 6,
        }
    )
    s = calibration_holdout(
        log,
        calibration_end="2024-01-10",
        observation_end="2024-01-31",
        monetary_value="amount",
        currency="ccy",
        returns="net",
    )
    f = s.to_frame()
    assert f.loc["a", "frequency"] == 1 and f.loc["a", "monetary_value"] == 20.0
    assert f.loc["a", "frequency_holdout"] == 1 and f.loc["a", "monetary_value_holdout"] == 5.0
    assert f.loc["b", "frequency_holdout"] == 0 and f.loc["b", "monetary_value_holdout"] == 0.0
    assert f["duration_holdout"].tolist() == [21.0, 21.0]
    assert s.currency == "EUR"
    assert s.notes == ("netted 2 returns against the purchases of their period",)
    dropped = calibration_holdout(
        log, calibration_end="2024-01-10", monetary_value="amount", returns="drop"
    )
    assert dropped.to_frame().loc["a", "monetary_value_holdout"] == 8.0
    assert dropped.notes[0].startswith("dropped 2 returns")


def test_local_days_decide_calibration_and_holdout() -> None:
    """An order at 00:30 +02:00 on 1 April is on 31 March by UTC: in the calibration period by
    default, in the holdout with timezone='Europe/Berlin'."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": ["2024-03-01T12:00:00+01:00", "2024-04-01T00:30:00+02:00"],
        }
    )
    utc = calibration_holdout(log, calibration_end="2024-03-31 23:59", observation_end="2024-04-30")
    berlin = calibration_holdout(
        log,
        calibration_end="2024-03-31 23:59",
        observation_end="2024-04-30",
        timezone="Europe/Berlin",
    )
    assert utc.frequency_holdout is not None and berlin.frequency_holdout is not None
    assert (utc.frequency[0], utc.frequency_holdout[0]) == (1.0, 0.0)
    assert (berlin.frequency[0], berlin.frequency_holdout[0]) == (0.0, 1.0)


def test_a_grid_with_a_multiple_is_explained() -> None:
    log = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]})
    with pytest.raises(ArgumentError, match="freq_multiplier=14") as err:
        summarize(log, time_unit="14D")
    assert err.value.argument == "time_unit"


@settings(max_examples=15, deadline=None)
@given(
    log=transaction_logs(),
    grid=st.sampled_from([("D", 1.0), ("h", 1.0), ("W", 1.0), ("D", 2.5), ("D", 7.0)]),
)
def test_generated_logs_with_times_of_day_equal_lifetimes(
    log: pd.DataFrame, grid: tuple[str, float]
) -> None:
    """Minute-resolution logs (the CDNOW tests have whole days only), hours and fractional
    multiples: every column equals lifetimes' summary_data_from_transaction_data, and the
    calibration/holdout columns its calibration_and_holdout_data."""
    import warnings

    from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

    unit, mult = grid
    end = (log["date"].max() + pd.Timedelta(days=2)).normalize()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = summary_data_from_transaction_data(
            log,
            "customer_id",
            "date",
            "amount",
            observation_period_end=end,
            freq=unit,
            freq_multiplier=mult,
        )
    ours = summarize(
        log, monetary_value="amount", time_unit=unit, freq_multiplier=mult, observation_end=end
    ).to_frame()
    theirs = theirs.loc[ours.index]
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(ours[col], theirs[col], rtol=1e-9, atol=1e-9, err_msg=col)
    cal = log["date"].min() + (end - log["date"].min()) / 2
    if not (log["date"] > cal).any():
        return  # lifetimes refuses an empty holdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        split = calibration_and_holdout_data(
            log,
            "customer_id",
            "date",
            calibration_period_end=cal,
            observation_period_end=end,
            monetary_value_col="amount",
            freq=unit,
            freq_multiplier=mult,
        )
    mine = calibration_holdout(
        log,
        calibration_end=cal,
        observation_end=end,
        monetary_value="amount",
        time_unit=unit,
        freq_multiplier=mult,
        holdout_spend="transaction",  # lifetimes' rule for the holdout mean spend
    ).to_frame()
    assert sorted(mine.index) == sorted(split.index)
    split = split.loc[mine.index]
    pairs = {
        "frequency": "frequency_cal",
        "recency": "recency_cal",
        "T": "T_cal",
        "monetary_value": "monetary_value_cal",
        "frequency_holdout": "frequency_holdout",
        "monetary_value_holdout": "monetary_value_holdout",
        "duration_holdout": "duration_holdout",
    }
    for a, b in pairs.items():
        np.testing.assert_allclose(mine[a], split[b], rtol=1e-9, atol=1e-9, err_msg=a)
