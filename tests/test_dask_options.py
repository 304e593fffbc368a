"""relmark.dask.summarize and calibration_holdout take relmark.data's options (time zones,
returns, currency, missing ids, date formats and units, the calibration/holdout split) and
give its results: the in-memory summary is the reference (issue 21, one contract across
engines). Equality is exact (``RFMSummary.__eq__``: ids, counts, times and spend bit for bit)
where the amounts are binary fractions, so that sums are exact in any order; on CDNOW's cents
the spend means agree to the last bits (sums in another order) and everything else exactly.
The cluster tests run on a real two-worker LocalCluster over TCP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from relmark import dask as rdask  # noqa: E402
from relmark.data import RFMSummary, calibration_holdout, summarize  # noqa: E402
from relmark.datasets import load_cdnow_transactions  # noqa: E402
from relmark.errors import CurrencyError, DataError  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def same(got: RFMSummary, want: RFMSummary, *, exact: bool = True) -> None:
    """Equal column by column; with ``exact`` the spend too (and ``got == want``); the sum of
    logs always to 1e-13 (a sum of logarithms depends on the order of summation)."""
    assert got.columns == want.columns
    assert got.time_unit == want.time_unit
    assert got.currency == want.currency
    assert got.include_first_purchase == want.include_first_purchase
    assert got.customer_id.tolist() == want.customer_id.tolist()
    for name in got.columns:
        a, b = getattr(got, name), getattr(want, name)
        if name == "sum_log_interpurchase" or (not exact and "monetary" in name):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    if exact and "sum_log_interpurchase" not in got.columns:
        assert got == want
    assert got.notes == want.notes


# ---------------------------------------------------------------------- a generated log
# Instants (UTC) on the boundaries of days, weeks (Sunday night, Monday), months and hours, in
# UTC and in the zones below, and across the daylight-saving changes of 2024 (Berlin: 31 March
# 01:00 UTC and 27 October 01:00 UTC; New York: 10 March 07:00 UTC, 3 November 06:00 UTC).
EDGES = pd.to_datetime(
    [
        "2024-01-07 23:59:59.999999",
        "2024-01-08 00:00:00",
        "2024-01-31 23:00:00",
        "2024-01-31 22:59:59",
        "2024-02-29 18:30:00",  # Kolkata midnight (+05:30)
        "2024-02-29 18:29:59",
        "2024-03-10 06:59:59",
        "2024-03-10 07:00:00",
        "2024-03-31 00:59:59",
        "2024-03-31 01:00:00",
        "2024-03-31 22:00:00",  # Berlin midnight in summer time
        "2024-03-31 21:59:59",
        "2024-04-30 23:59:59",
        "2024-05-01 00:00:00",
        "2024-10-27 00:59:59",
        "2024-10-27 01:00:00",
        "2024-11-03 05:59:59",
        "2024-11-03 06:00:00",
        "2024-12-31 23:00:00",
    ],
    format="ISO8601",
).as_unit("ns")


def generated_log(seed: int, *, customers: int = 120) -> pd.DataFrame:
    """Customers with 1-12 purchases drawn on the boundary instants or anywhere in 2024 (to
    the microsecond), one in five with 30 purchases at one instant (many per day); amounts in
    eighths (exact binary fractions); a return of half the amount at the instant of every
    seventh purchase (so that it can be netted in any grid and zone); text ids of two forms."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, pd.Timestamp, float]] = []
    start = pd.Timestamp("2024-01-01").as_unit("ns")
    for c in range(customers):
        cid = f"C{c:04d}" if c % 3 else f"c-{c}"
        k = int(rng.integers(1, 13))
        on_edge = rng.random(k) < 0.5
        anywhere = start + pd.to_timedelta(rng.integers(0, 366 * 86_400 * 10**6, k), unit="us")
        picks = EDGES[rng.integers(0, len(EDGES), k)]
        times = np.where(on_edge, picks.to_numpy(), anywhere.to_numpy())
        amounts = rng.integers(1, 4_000, k) / 8
        if c % 5 == 0:  # many transactions at one instant
            times = np.r_[times, np.repeat(times[0], 30)]
            amounts = np.r_[amounts, rng.integers(1, 400, 30) / 8]
        rows += [(cid, pd.Timestamp(t), float(a)) for t, a in zip(times, amounts, strict=True)]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    log["date"] = log["date"].astype("datetime64[ns]").dt.tz_localize("UTC")
    back = log.iloc[::7].assign(amount=lambda f: -np.floor(f["amount"] * 4) / 8)
    log = pd.concat([log, back]).sample(frac=1.0, random_state=seed)
    return log.reset_index(drop=True)


@pytest.fixture(scope="module")
def gen() -> pd.DataFrame:
    return generated_log(21)


GRIDS = [
    ("D", 1.0, None),
    ("D", 7.0, "America/New_York"),
    ("W", 1.0, "Europe/Berlin"),
    ("M", 1.0, "Asia/Kolkata"),
    ("h", 1.0, "Europe/Berlin"),
    ("h", 24.0, "America/New_York"),
]


@pytest.mark.parametrize(("time_unit", "multiple", "zone"), GRIDS)
def test_generated_log_equals_in_memory_bit_for_bit(
    client: object, gen: pd.DataFrame, time_unit: str, multiple: float, zone: str | None
) -> None:
    """Zoned instants binned in ``zone`` on every grid, returns netted (and, for the
    calibration/holdout split, a calibration end on a period boundary of the zone), the first
    purchase counted or not, the sum of logs: the in-memory summary exactly."""
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "time_unit": time_unit,
        "freq_multiplier": multiple,
        "timezone": zone,
        "returns": "net",
    }
    ddf = dd.from_pandas(gen, npartitions=4)
    got = rdask.summarize(ddf, include_first_purchase=multiple == 7.0, **kw)
    want = summarize(gen, include_first_purchase=multiple == 7.0, **kw)
    netted = int((gen["amount"] < 0).sum())
    assert want.notes == (f"netted {netted} returns against the purchases of their period",)
    same(got, want)
    split: dict[str, Any] = {
        "calibration_end": pd.Timestamp("2024-07-01", tz=zone or "UTC"),
        "observation_end": pd.Timestamp("2025-01-01", tz="UTC"),
        "sum_log_interpurchase": True,
        "holdout_spend": "transaction" if time_unit == "D" else "period",
    }
    # (July 1 is a Monday: a boundary of days, weeks, months and hours in the zone)
    same(rdask.calibration_holdout(ddf, **split, **kw), calibration_holdout(gen, **split, **kw))


@pytest.mark.parametrize("form", ["wall clock", "offset text", "epoch seconds", "text ids"])
def test_date_forms_equal_in_memory(client: object, gen: pd.DataFrame, form: str) -> None:
    """The same log as wall-clock datetimes, as ISO text with the Berlin offsets (+01:00 and
    +02:00 mixed), as Unix epoch seconds with date_unit='s', and with categorical ids: read as
    relmark.data reads them, with returns dropped (the notes name the same first rows)."""
    log = gen.copy()
    kw: dict[str, Any] = {"monetary_value": "amount", "returns": "drop", "time_unit": "D"}
    berlin = log["date"].dt.tz_convert("Europe/Berlin")
    if form == "wall clock":
        log["date"] = berlin.dt.tz_localize(None)
    elif form == "offset text":
        log["date"] = berlin.map(lambda t: t.isoformat())
        kw["timezone"] = "Europe/Berlin"
    elif form == "epoch seconds":
        log["date"] = log["date"].astype("int64") / 1e9
        kw.update(date_unit="s", timezone="Europe/Berlin")
    else:
        log["customer_id"] = log["customer_id"].astype("category")
    got = rdask.summarize(dd.from_pandas(log, npartitions=3), **kw)
    want = summarize(log, **kw)
    dropped = int((gen["amount"] < 0).sum())
    assert want.notes[0].startswith(f"dropped {dropped} returns (negative amounts; rows ")
    same(got, want)


def test_currency_and_missing_ids(client: object, gen: pd.DataFrame) -> None:
    """One currency is kept as the summary's; blank and missing ids are dropped and counted
    (the note names the same first rows); two currencies are the in-memory CurrencyError,
    message included, also when each partition holds only one of them."""
    log = gen.assign(currency="EUR")
    log.loc[log.index[::13], "customer_id"] = None
    log.loc[log.index[5::17], "customer_id"] = "  "
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "currency": "currency",
        "missing_ids": "drop",
        "returns": "drop",
    }
    got = rdask.summarize(dd.from_pandas(log, npartitions=3), **kw)
    want = summarize(log, **kw)
    assert got.currency == "EUR"
    blank = int(log["customer_id"].isna().sum() + (log["customer_id"] == "  ").sum())
    assert want.notes[0].startswith(f"dropped {blank} transactions with a missing customer id")
    same(got, want)
    mixed = log.assign(currency=np.where(np.arange(len(log)) < 900, "EUR", "USD"))
    with pytest.raises(CurrencyError) as memory:
        summarize(mixed, **kw)
    for parts in (2, 5):  # the first partition, or the first ones, in EUR only
        with pytest.raises(CurrencyError) as err:
            rdask.summarize(dd.from_pandas(mixed, npartitions=parts), **kw)
        assert str(err.value) == str(memory.value)


# ---------------------------------------------------------------------- CDNOW
@pytest.fixture(scope="module")
def cdnow_returns() -> pd.DataFrame:
    """The CDNOW log with a 30% return (to the cent) in the period of every 11th row."""
    log = load_cdnow_transactions()
    part = log.iloc[::11]
    back = part.assign(amount=-(part["amount"] * 0.3).round(2))
    return pd.concat([log, back], ignore_index=True)


@pytest.mark.parametrize("returns", ["drop", "net"])
def test_cdnow_calibration_holdout_equals_in_memory(
    client: object, cdnow_returns: pd.DataFrame, returns: str
) -> None:
    """CDNOW in weeks with returns dropped or netted, split at the papers' 39 weeks with the
    sum of logs and the holdout spend per transaction: ids, counts, times and notes exactly,
    the spend to the last bits (cents are not binary fractions)."""
    kw: dict[str, Any] = {
        "monetary_value": "amount",
        "freq_multiplier": 7,
        "calibration_end": "1997-09-30",
        "observation_end": "1998-06-30",
        "sum_log_interpurchase": True,
        "holdout_spend": "transaction",
        "returns": returns,
    }
    got = rdask.calibration_holdout(dd.from_pandas(cdnow_returns, npartitions=5), **kw)
    want = calibration_holdout(cdnow_returns, **kw)
    assert len(want) == 23_570
    same(got, want, exact=False)


def test_bad_returns_on_the_cluster_name_the_in_memory_rows(
    client: object, gen: pd.DataFrame
) -> None:
    """Returns without a purchase in their period, and returns larger than it, found after the
    shuffle by customer (their positions cross the cluster as whole numbers): the in-memory
    error, message, first rows and count included."""
    log = gen.copy()
    bad = log.index[log["amount"] < 0][::9]
    log.loc[bad[::2], "date"] += pd.Timedelta(days=400)  # no purchase in that period
    log.loc[bad[1::2], "amount"] = -1e6  # more than the period's purchases
    kw: dict[str, Any] = {"monetary_value": "amount", "returns": "net"}
    with pytest.raises(DataError) as want:
        summarize(log, **kw)
    with pytest.raises(DataError) as got:
        rdask.summarize(dd.from_pandas(log, npartitions=4), **kw)
    assert str(got.value) == str(want.value)
    assert got.value.rows == want.value.rows
    assert got.value.count == want.value.count >= len(bad)
