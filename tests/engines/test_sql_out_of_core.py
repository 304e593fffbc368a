"""The DuckDB summary written to Parquet by customer-hash partitions, against the in-memory
summary (relmark.data), the in-memory fit and scores, and its bad arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relmark.clv import BGNBD, GammaGamma, score
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.datasets import load_cdnow_transactions
from relmark.engines import sql
from relmark.engines.outofcore import score_parquet
from relmark.errors import ArgumentError, DataError
from tests.engines.strategies import logs

CAL = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


def read_back(path: Path, want: RFMSummary, *, exact_money: bool = True) -> pd.DataFrame:
    """The written file, checked against ``want`` (an in-memory summary) customer by customer:
    the same customers, columns, time unit; counts and times exactly, spend exactly or to a few
    units in the last place (sum order)."""
    got = pd.read_parquet(path)
    frame = want.to_frame().reset_index()
    assert got["time_unit"].unique().tolist() == [want.time_unit]
    meta = [c for c in ("time_unit", "currency", "include_first_purchase") if c in got.columns]
    assert list(got.columns) == [*frame.columns, *meta]
    assert got["customer_id"].is_unique
    assert sorted(got["customer_id"].tolist()) == sorted(frame["customer_id"].tolist())
    got = got.set_index("customer_id").loc[frame["customer_id"]].reset_index()
    for name in frame.columns[1:]:
        a, b = got[name].to_numpy(), frame[name].to_numpy()
        if ("monetary" in name and not exact_money) or name == "sum_log_interpurchase":
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    return got


@pytest.mark.parametrize("k", [1, 3, 7])
def test_cdnow_partitions_equal_in_memory(cdnow: pd.DataFrame, tmp_path: Path, k: int) -> None:
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "D", "freq_multiplier": 7}
    log = tmp_path / "log.parquet"
    cdnow.to_parquet(log)
    done = sql.summarize_to_parquet(log, tmp_path / "s.parquet", partitions=k, **kw)
    want = summarize(cdnow, **kw)
    assert (done.customers, done.partitions, done.time_unit) == (23_570, k, want.time_unit)
    assert done.path == str(tmp_path / "s.parquet")
    read_back(tmp_path / "s.parquet", want, exact_money=False)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_cdnow_calibration_holdout_with_text_ids(
    cdnow: pd.DataFrame, tmp_path: Path, k: int
) -> None:
    """Text ids, the holdout columns and the last transaction as the end of observation (the
    whole log's in every partition, not each partition's)."""
    log = cdnow.assign(customer_id="c" + cdnow["customer_id"].astype(str))
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "W"}
    out = tmp_path / "s.parquet"
    done = sql.summarize_to_parquet(
        log, out, calibration_end=CAL, partitions=k, sum_log_interpurchase=True, **kw
    )
    want = calibration_holdout(log, calibration_end=CAL, sum_log_interpurchase=True, **kw)
    assert done.customers == len(want)
    read_back(out, want, exact_money=False)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    log=logs(zoned=True),
    unit=st.sampled_from(["D", "h", "W", "M"]),
    zone=st.sampled_from([None, "America/New_York", "Asia/Kolkata"]),
    k=st.sampled_from([1, 3, 7]),
    holdout=st.booleans(),
)
def test_generated_logs_equal_in_memory(
    tmp_path: Path, log: pd.DataFrame, unit: str, zone: str | None, k: int, holdout: bool
) -> None:
    """Ties at period boundaries, zoned times binned in ``timezone``, binary-fraction amounts
    (exact sums): every partitioning gives the in-memory summary exactly."""
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": unit, "timezone": zone}
    out = tmp_path / f"s-{k}.parquet"
    out.unlink(missing_ok=True)  # tmp_path is shared by the examples hypothesis draws
    if holdout:
        local = log["date"].dt.tz_convert(zone or "UTC").dt.tz_localize(None)
        cal = local.min() + (local.max() - local.min()) / 2
        if not (local.max() > cal):
            return
        refused: DataError | ArgumentError | None = None
        try:
            want = calibration_holdout(log, calibration_end=cal, **kw)
        except (DataError, ArgumentError) as exc:  # both ends in one period: no holdout
            refused = exc
        if refused is not None:  # relmark.data: a DataError on duration_holdout (or, fixed, an
            # ArgumentError on calibration_end); the engine: one ArgumentError, before writing
            assert getattr(refused, "column", None) == "duration_holdout" or (
                getattr(refused, "argument", None) == "calibration_end"
            )
            with pytest.raises(ArgumentError, match="no holdout period") as info:
                sql.summarize_to_parquet(log, out, calibration_end=cal, partitions=k, **kw)
            assert info.value.argument == "calibration_end"
            assert not out.exists()
            return
        sql.summarize_to_parquet(log, out, calibration_end=cal, partitions=k, overwrite=True, **kw)
    else:
        want = summarize(log, **kw)
        sql.summarize_to_parquet(log, out, partitions=k, overwrite=True, **kw)
    read_back(out, want)


def test_more_partitions_than_customers(tmp_path: Path) -> None:
    """Empty partitions (the first ones too) write nothing; the file has the one customer."""
    log = pd.DataFrame({"customer_id": [5, 5], "date": ["2024-01-01", "2024-01-09"]})
    done = sql.summarize_to_parquet(log, tmp_path / "s.parquet", partitions=7)
    got = pd.read_parquet(tmp_path / "s.parquet")
    assert done.customers == 1
    assert got.to_dict("list") == {
        "customer_id": [5],
        "frequency": [1.0],
        "recency": [8.0],
        "T": [8.0],
        "time_unit": ["D"],
    }


def test_metadata_columns(tmp_path: Path) -> None:
    """currency= and include_first_purchase= are written as `relmark summarize` writes them;
    dropped rows are in the notes."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", None],
            "date": ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02"],
            "amount": [2.0, 4.0, 1.0, 3.0],
            "cur": ["EUR"] * 4,
        }
    )
    kw: dict[str, Any] = {"monetary_value": "amount", "currency": "cur", "missing_ids": "drop"}
    done = sql.summarize_to_parquet(
        log, tmp_path / "s.parquet", include_first_purchase=True, partitions=2, **kw
    )
    want = summarize(log, include_first_purchase=True, **kw)
    assert (done.currency, done.include_first_purchase) == ("EUR", True)
    assert want.notes[0].startswith(done.notes[0] + " (rows")  # (memory names the rows)
    got = read_back(tmp_path / "s.parquet", want)
    assert got["currency"].tolist() == ["EUR", "EUR"]
    assert got["include_first_purchase"].tolist() == [True, True]
    with pytest.raises(DataError, match="first purchase"):
        sql.fit(BGNBD, str(tmp_path / "s.parquet"), time_unit="D")


def test_fit_and_score_read_the_file(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    """sql.fit and score_parquet take the written file as it is: the in-memory fit's
    parameters, and the in-memory scores customer by customer."""
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "D", "freq_multiplier": 7}
    out = tmp_path / "s.parquet"
    done = sql.summarize_to_parquet(cdnow, out, partitions=3, **kw)
    summary = summarize(cdnow, **kw)
    bg = cast(BGNBD, sql.fit(BGNBD, str(out)))  # the unit read from the time_unit column
    want = BGNBD.fit(summary, compress=True)
    assert bg.params == want.params
    assert bg.time_unit == want.time_unit == done.time_unit == "W"
    assert sql.fit(BGNBD, str(out), time_unit="7D").params == want.params  # (7D is W)
    with pytest.raises(ArgumentError) as info:
        sql.fit(BGNBD, str(out), time_unit="D")
    assert info.value.argument == "time_unit"
    assert summary.monetary_value is not None
    repeat = (summary.frequency > 0) & (summary.monetary_value > 0)
    gg = GammaGamma.fit(
        frequency=summary.frequency[repeat], monetary_value=summary.monetary_value[repeat]
    )
    n = score_parquet(out, tmp_path / "scores.parquet", bg, spend=gg, horizon=52)
    assert n == len(summary)
    got = pd.read_parquet(tmp_path / "scores.parquet").set_index("customer_id")
    got = got.loc[summary.customer_id]
    expected = score(
        bg, gg, summary.frequency, summary.recency, summary.T, summary.monetary_value, horizon=52
    )
    for name, values in expected.items():
        np.testing.assert_allclose(got[name].to_numpy(), values, rtol=1e-10, err_msg=name)


def test_progress_and_spill_folder(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    seen: list[float] = []
    spill = tmp_path / "spill"
    sql.summarize_to_parquet(
        cdnow,
        tmp_path / "s.parquet",
        partitions=3,
        temp_directory=spill,
        memory_limit="500MB",
        threads=1,
        progress=seen.append,
    )
    assert seen[-1] == 100.0
    assert seen == sorted(seen)
    assert all(0.0 <= p <= 100.0 for p in seen)


def test_automatic_partitions(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    """None: one partition for a small log; more when the memory limit is small."""
    small = sql.summarize_to_parquet(cdnow, tmp_path / "a.parquet")
    assert small.partitions == 1
    tight = sql.summarize_to_parquet(cdnow, tmp_path / "b.parquet", memory_limit="8MB")
    # 69,659 rows x 64 bytes in half of 8 MB (DuckDB reads 8MB as 7.6 MiB)
    assert tight.partitions == int(np.ceil(len(cdnow) * 64 / (8e6 / 2)))
    assert pd.read_parquet(tmp_path / "b.parquet")["customer_id"].is_unique


@pytest.mark.parametrize("partitions", [0, -1, 1.5, "3", True, float("nan")])
def test_bad_partitions(tmp_path: Path, partitions: object) -> None:
    log = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})
    with pytest.raises(ArgumentError, match="partitions") as info:
        sql.summarize_to_parquet(log, tmp_path / "s.parquet", partitions=partitions)  # type: ignore[arg-type]
    assert info.value.argument == "partitions"
    assert not (tmp_path / "s.parquet").exists()


def test_bad_outputs(tmp_path: Path) -> None:
    log = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})
    (tmp_path / "old.parquet").write_bytes(b"keep me")
    (tmp_path / "file").write_text("x")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"output": tmp_path / "missing" / "s.parquet"}, "output"),
        ({"output": tmp_path / "old.parquet"}, "output"),
        ({"output": tmp_path / "s.csv"}, "output"),
        ({"output": 3}, "output"),
        ({"output": tmp_path / "s.parquet", "overwrite": "yes"}, "overwrite"),
        ({"output": tmp_path / "s.parquet", "temp_directory": tmp_path / "file"}, "temp_directory"),
        ({"output": tmp_path / "s.parquet", "progress": 5}, "progress"),
    ]
    for call, argument in cases:
        with pytest.raises(ArgumentError) as info:
            sql.summarize_to_parquet(log, **call)
        assert info.value.argument == argument, call
    assert (tmp_path / "old.parquet").read_bytes() == b"keep me"
    log.to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ArgumentError) as info:
        sql.summarize_to_parquet(tmp_path / "log.parquet", tmp_path / "log.parquet", overwrite=True)
    assert info.value.argument == "output"


def test_overwrite_and_no_file_after_an_error(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    good = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"]})
    sql.summarize_to_parquet(good, out)
    sql.summarize_to_parquet(good.iloc[:1], out, overwrite=True)
    assert len(pd.read_parquet(out)) == 1
    bad = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "not a date"]})
    with pytest.raises(DataError) as info:
        sql.summarize_to_parquet(bad, tmp_path / "t.parquet", partitions=3)
    assert info.value.column == "date"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.parquet"]


@pytest.mark.parametrize("k", [1, 4])
def test_spend_overflow_in_the_holdout_and_across_partitions_is_refused(
    tmp_path: Path, k: int
) -> None:
    """The streamed spend check (no second read of the written file) finds a holdout spend
    summed to inf when the calibration spend is finite, and lists at most 10 customers, all
    of them overflowing, whichever partitions they fall in; no file is left."""
    big = [f"big{i:02d}" for i in range(12)]
    ids = [c for c in big for _ in range(4)] + ["ok", "ok"]
    dates = ["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-07"] * 12
    amounts = [1.0, 1e308, 1e308, 1e308] * 12 + [2.0, 3.0]
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.to_datetime([*dates, "2024-01-01", "2024-01-06"]),
            "amount": amounts,
        }
    )
    kw: dict[str, Any] = {"monetary_value": "amount", "calibration_end": "2024-01-03"}
    with pytest.raises(DataError, match="beyond the float range") as want:
        calibration_holdout(log, **kw)
    assert want.value.column == "amount"
    out = tmp_path / "s.parquet"
    with pytest.raises(DataError, match="beyond the float range") as got:
        sql.summarize_to_parquet(log, out, partitions=k, **kw)
    assert got.value.column == "amount"
    assert len(got.value.rows) == 10 and set(got.value.rows) <= set(big)
    assert list(tmp_path.iterdir()) == []
    fine = sql.summarize_to_parquet(log[log["customer_id"] == "ok"], out, partitions=k, **kw)
    assert fine.customers == 1


def test_a_holdout_of_no_length_is_one_argument_error(tmp_path: Path) -> None:
    """The end of observation in calibration_end's period (holdout end == calibration end, in
    periods) was a DataError listing every customer's duration_holdout of 0 (calibration_holdout)
    or a DataError on a column of the output (summarize_to_parquet); now one ArgumentError
    naming the option and both dates, before any scan when observation_end is given."""
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01 08:00", "2024-01-10 09:00", "2024-01-02 00:00", "2024-01-10 20:00"]
            ),
        }
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"calibration_end": "2024-01-10 10:00"}, "calibration_end", "2024-01-10 20:00:00"),
        (
            {"calibration_end": "2024-01-10 10:00", "observation_end": "2024-01-10 23:00"},
            "observation_end",
            "2024-01-10 23:00:00",
        ),
        (
            {"calibration_end": "2024-01-08", "observation_end": "2024-01-14", "time_unit": "W"},
            "observation_end",
            "2024-01-14 00:00:00",
        ),
    ]
    for kw, argument, end in cases:
        for call in (
            lambda kw=kw: sql.calibration_holdout(log, **kw),
            lambda kw=kw: sql.summarize_to_parquet(log, tmp_path / "s.parquet", **kw),
        ):
            with pytest.raises(ArgumentError) as info:
                call()
            assert info.value.argument == argument
            assert end in str(info.value) and pd.Timestamp(kw["calibration_end"]).isoformat(
                sep=" "
            ) in str(info.value)
    # one period later there is a holdout (by hand: a's 10 January visit is in it)
    s = sql.calibration_holdout(log, calibration_end="2024-01-09 23:00")
    assert s.frequency_holdout is not None and s.frequency_holdout.tolist() == [1.0, 0.0]
