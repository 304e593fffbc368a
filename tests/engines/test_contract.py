"""One contract across engines: in memory, Dask, DuckDB and Spark give the same summary, the
same fitted parameters and the same scores on the same log (the CDNOW 1/10 sample)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from relmark.clv import BGNBD, CLVModel, score
from relmark.data import RFMSummary, summarize
from relmark.datasets import load_cdnow_sample_transactions
from tests.engines.test_sql import assert_same

OPTIONS: dict[str, Any] = {
    "monetary_value": "amount",
    "time_unit": "D",
    "freq_multiplier": 7,
    "observation_end": "1997-09-30",  # the 39-week calibration period of the papers
}
HORIZON = 39.0


@dataclass
class Outcome:
    summary: RFMSummary
    model: CLVModel
    scores: dict[str, np.ndarray[Any, Any]]


def in_memory(log: pd.DataFrame, tmp: Path, request: pytest.FixtureRequest) -> Outcome:
    s = summarize(log, **OPTIONS)
    bg = BGNBD.fit(s, compress=True)
    return Outcome(s, bg, score(bg, None, s.frequency, s.recency, s.T, horizon=HORIZON))


def with_duckdb(log: pd.DataFrame, tmp: Path, request: pytest.FixtureRequest) -> Outcome:
    from relmark.engines import sql
    from relmark.engines.outofcore import score_parquet

    for i in range(3):  # a folder of Parquet files, rows in no particular order
        log.iloc[i::3].to_parquet(tmp / f"log-{i}.parquet")
    s = sql.summarize(str(tmp / "log-*.parquet"), **OPTIONS)
    s.to_frame().reset_index().to_parquet(tmp / "summary.parquet")
    bg = sql.fit(BGNBD, tmp / "summary.parquet", time_unit="W")
    score_parquet(tmp / "summary.parquet", tmp / "scores.parquet", bg, horizon=HORIZON)
    got = pd.read_parquet(tmp / "scores.parquet")
    return Outcome(s, bg, {c: got[c].to_numpy() for c in ("p_alive", "expected_purchases")})


def with_dask(log: pd.DataFrame, tmp: Path, request: pytest.FixtureRequest) -> Outcome:
    dd = pytest.importorskip("dask.dataframe", reason="dask is not installed (the dask extra)")
    from relmark import dask as rdask

    s = rdask.summarize(dd.from_pandas(log, npartitions=3), **OPTIONS)
    frame = dd.from_pandas(s.to_frame().reset_index(), npartitions=2)
    bg = rdask.fit(BGNBD, frame, time_unit="W")
    got = rdask.score(bg, frame, horizon=HORIZON).compute()
    return Outcome(s, bg, {c: got[c].to_numpy() for c in ("p_alive", "expected_purchases")})


def with_spark(log: pd.DataFrame, tmp: Path, request: pytest.FixtureRequest) -> Outcome:
    spark = request.getfixturevalue("spark")
    from relmark.engines import spark as rspark

    frame = spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False))
    s = rspark.summarize(frame, **OPTIONS)
    summary = rspark.summary_frame(frame, **OPTIONS)
    bg = rspark.fit(BGNBD, summary, time_unit="W")
    assert isinstance(bg, BGNBD)
    rspark.score(bg, summary, horizon=HORIZON).write.parquet(str(tmp / "spark-scores"))
    got = pd.read_parquet(tmp / "spark-scores").sort_values("customer_id")
    return Outcome(s, bg, {c: got[c].to_numpy() for c in ("p_alive", "expected_purchases")})


Engine = Callable[[pd.DataFrame, Path, pytest.FixtureRequest], Outcome]


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    return log[log["date"] <= "1997-09-30"].reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return in_memory(log, tmp_path_factory.mktemp("ref"), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("engine", "exact_fit"),
    [(in_memory, True), (with_duckdb, True), (with_spark, True), (with_dask, False)],
    ids=["memory", "duckdb", "spark", "dask"],
)
def test_same_summary_params_and_scores(
    engine: Engine,
    exact_fit: bool,
    log: pd.DataFrame,
    reference: Outcome,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    got = engine(log, tmp_path, request)
    assert_same(got.summary, reference.summary, exact_money=False)
    want = reference.model.params
    if exact_fit:  # the same distinct rows in the same order: the same optimiser path
        assert got.model.params == want
    else:  # Dask groups rows in its own order: equal to the optimiser's tolerance
        for name, value in got.model.params.items():
            assert value == pytest.approx(want[name], rel=1e-6), name
    np.testing.assert_allclose(got.scores["p_alive"], reference.scores["p_alive"], rtol=1e-12)
    np.testing.assert_allclose(
        got.scores["expected_purchases"], reference.scores["expected_purchases"], rtol=1e-12
    )
    # Published BG/NBD estimates on this sample (Fader, Hardie & Lee 2005, section 5).
    assert got.model.params["r"] == pytest.approx(0.243, abs=1e-3)
    assert got.model.params["alpha"] == pytest.approx(4.414, abs=1e-3)


# ---------------------------------------------------------------------- the summary options
CALIBRATION = "1997-09-30"
END = "1998-06-30"
OPTION_KW: dict[str, Any] = {
    "monetary_value": "amount",
    "time_unit": "D",
    "freq_multiplier": 7,
    "sum_log_interpurchase": True,
}
HOLDOUT_KW: dict[str, Any] = {
    **OPTION_KW,
    "calibration_end": CALIBRATION,
    "observation_end": END,
    "holdout_spend": "transaction",
}
# Customers whose netted spend is a float residue: 0.1 + 0.2 - 0.3 is 5.6e-17, not 0, in any
# summation order; relmark.data zeroes it relative to the amounts summed (1e-12).
RESIDUES = [
    (90_000_001, "1997-01-02", 10.0),  # the only repeat period nets to a residue
    (90_000_001, "1997-03-01", 0.1),
    (90_000_001, "1997-03-01", 0.2),
    (90_000_001, "1997-03-01", -0.3),
    (90_000_002, "1997-01-05", 5.0),  # the holdout nets to a residue
    (90_000_002, "1998-01-10", 0.1),
    (90_000_002, "1998-01-10", 0.2),
    (90_000_002, "1998-01-10", -0.3),
    (90_000_003, "1997-02-01", 10.1),  # a first period refunded in full, a partial return
    (90_000_003, "1997-02-01", -10.1),
    (90_000_003, "1997-05-01", 7.3),
    (90_000_003, "1997-05-01", -2.1),
    (90_000_003, "1997-05-03", 1.7),
]


@pytest.fixture(scope="module")
def returns_log() -> pd.DataFrame:
    """The CDNOW sample over both periods with returns: a 30% return (to the cent) in the
    period of every 11th row, and the residue customers."""
    log = load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]
    part = log.iloc[::11]
    back = part.assign(amount=-(part["amount"] * 0.3).round(2))
    extra = pd.DataFrame(RESIDUES, columns=["customer_id", "date", "amount"])
    extra["date"] = pd.to_datetime(extra["date"]).astype(log["date"].dtype)
    return pd.concat([log, back, extra], ignore_index=True)


def _fit_and_score(summary: RFMSummary) -> tuple[dict[str, float], np.ndarray[Any, Any]]:
    bg = BGNBD.fit(summary, compress=True)
    got = score(bg, None, summary.frequency, summary.recency, summary.T, horizon=HORIZON)
    return dict(bg.params), got["p_alive"]


def _counted(notes: tuple[str, ...]) -> list[str]:
    """The notes' counts ("dropped 632 returns"); in memory they also list the first rows."""
    return [n.split(" (")[0] for n in notes]


def _zeros_kept(got: RFMSummary, want: RFMSummary) -> None:
    """Spend that is zero in memory (residues zeroed) is exactly zero in the engine."""
    for name in ("monetary_value", "monetary_value_holdout"):
        if name in want.columns:
            zero = getattr(want, name) == 0.0
            assert np.all(getattr(got, name)[zero] == 0.0), name


def test_duckdb_options_equal_in_memory(returns_log: pd.DataFrame, tmp_path: Path) -> None:
    """DuckDB (returns dropped: it refuses to net them), calibration/holdout with
    sum_log_interpurchase and the holdout spend per transaction: same summary, same fit from
    the grouped Parquet summary, same scores from score_parquet."""
    from relmark.data import calibration_holdout
    from relmark.engines import sql
    from relmark.engines.outofcore import score_parquet
    from relmark.errors import ArgumentError

    for i in range(3):
        returns_log.iloc[i::3].to_parquet(tmp_path / f"log-{i}.parquet")
    files = str(tmp_path / "log-*.parquet")
    want = calibration_holdout(returns_log, returns="drop", **HOLDOUT_KW)
    got = sql.calibration_holdout(files, returns="drop", **HOLDOUT_KW)
    assert_same(got, want, exact_money=False)
    assert _counted(got.notes) == _counted(want.notes)
    with pytest.raises(ArgumentError) as err:
        sql.calibration_holdout(files, returns="net", **HOLDOUT_KW)
    assert err.value.argument == "returns"
    got.to_frame().reset_index().to_parquet(tmp_path / "summary.parquet")
    params, p_alive = _fit_and_score(want)
    bg = sql.fit(BGNBD, tmp_path / "summary.parquet", time_unit="W")
    assert bg.params == params
    score_parquet(tmp_path / "summary.parquet", tmp_path / "scores.parquet", bg, horizon=HORIZON)
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    np.testing.assert_allclose(scores["p_alive"], p_alive, rtol=1e-12)


def test_spark_options_equal_in_memory(
    returns_log: pd.DataFrame, spark: Any, tmp_path: Path
) -> None:
    """Spark with returns netted (the residues zeroed as in memory), calibration/holdout with
    sum_log_interpurchase and the holdout spend per transaction: same summary, same fit from
    the summary frame, same scores."""
    from relmark.data import calibration_holdout
    from relmark.engines import spark as rspark

    frame = spark.createDataFrame(pa.Table.from_pandas(returns_log, preserve_index=False))
    want = calibration_holdout(returns_log, returns="net", **HOLDOUT_KW)
    assert _counted(want.notes) == ["netted 632 returns against the purchases of their period"]
    got = rspark.summarize(frame, returns="net", **HOLDOUT_KW)
    assert_same(got, want, exact_money=False)
    _zeros_kept(got, want)
    assert _counted(got.notes) == _counted(want.notes)
    summary = rspark.summary_frame(frame, returns="net", **HOLDOUT_KW).cache()
    params, p_alive = _fit_and_score(want)
    bg = rspark.fit(BGNBD, summary, time_unit="W")
    assert bg.params == params
    scores = rspark.score(bg, summary, horizon=HORIZON).toArrow().to_pandas()
    np.testing.assert_allclose(scores["p_alive"], p_alive, rtol=1e-12)
    summary.unpersist()


def test_dask_options_equal_in_memory(returns_log: pd.DataFrame) -> None:
    """Dask with returns netted (the residues zeroed as in memory), calibration/holdout with
    sum_log_interpurchase and the holdout spend per transaction: same summary and notes, the
    same fit from the summary frame (to the optimiser's tolerance: Dask groups rows in its own
    order) and the same scores for that fit."""
    dd = pytest.importorskip("dask.dataframe", reason="dask is not installed (the dask extra)")
    from relmark import dask as rdask
    from relmark.data import calibration_holdout

    want = calibration_holdout(returns_log, returns="net", **HOLDOUT_KW)
    ddf = dd.from_pandas(returns_log, npartitions=4)
    got = rdask.calibration_holdout(ddf, returns="net", **HOLDOUT_KW)
    assert_same(got, want, exact_money=False)
    _zeros_kept(got, want)
    assert got.notes == want.notes
    frame = dd.from_pandas(got.to_frame().reset_index(), npartitions=3)
    params, _ = _fit_and_score(want)
    bg = rdask.fit(BGNBD, frame, time_unit="W")
    assert isinstance(bg, BGNBD)
    for name, value in bg.params.items():
        assert value == pytest.approx(params[name], rel=1e-6), name
    scores = rdask.score(bg, frame, horizon=HORIZON).compute()
    expected = score(bg, None, want.frequency, want.recency, want.T, horizon=HORIZON)
    np.testing.assert_allclose(scores["p_alive"], expected["p_alive"], rtol=1e-12)


def test_residues_zeroed_in_memory(returns_log: pd.DataFrame) -> None:
    """The reference itself: the residue customers' netted spend is exactly zero (by hand:
    0.1 + 0.2 - 0.3 is a residue of the float sums, the spend is nothing)."""
    from relmark.data import calibration_holdout

    s = calibration_holdout(returns_log, returns="net", **HOLDOUT_KW).to_frame()
    assert s.loc[90_000_001, "monetary_value"] == 0.0
    assert s.loc[90_000_002, "monetary_value_holdout"] == 0.0
    # 90000003: first day 10.1 - 10.1; repeat days 1997-05-01 (7.3 - 2.1) and -03 (1.7)
    assert s.loc[90_000_003, "frequency"] == 2.0
    assert s.loc[90_000_003, "monetary_value"] == pytest.approx((5.2 + 1.7) / 2, abs=1e-12)


def test_include_first_purchase_same_and_refused_everywhere(
    log: pd.DataFrame, spark: Any, tmp_path: Path
) -> None:
    """include_first_purchase: the same summary from every engine, and every engine's fit (and
    scoring, where it reads a file or frame) refuses it, as the in-memory fit does; the Spark
    frame carries the flag as a column, kept in Parquet."""
    from relmark import dask as rdask
    from relmark.engines import spark as rspark
    from relmark.engines import sql
    from relmark.engines.outofcore import score_parquet
    from relmark.errors import DataError

    dd = pytest.importorskip("dask.dataframe", reason="dask is not installed (the dask extra)")
    kw = {**OPTION_KW, "include_first_purchase": True}
    want = summarize(log, **kw)
    assert want.include_first_purchase
    frame = spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False))
    log.to_parquet(tmp_path / "log.parquet")
    engines = {
        "duckdb": sql.summarize(str(tmp_path / "log.parquet"), **kw),
        "spark": rspark.summarize(frame, **kw),
        "dask": rdask.summarize(dd.from_pandas(log, npartitions=3), **kw),
    }
    for name, got in engines.items():
        assert got.include_first_purchase, name
        assert_same(got, want, exact_money=False)
    with pytest.raises(DataError):
        BGNBD.fit(want)
    with pytest.raises(DataError):
        sql.fit(BGNBD, engines["duckdb"], time_unit="W")
    summary = rspark.summary_frame(frame, **kw)
    assert summary.select("include_first_purchase").distinct().collect()[0][0] is True
    bg = BGNBD.fit(summarize(log, **OPTION_KW))
    for call in (
        lambda: rspark.fit(BGNBD, summary, time_unit="W"),
        lambda: rspark.score(bg, summary, horizon=HORIZON),
    ):
        with pytest.raises(DataError) as err:
            call()
        assert "include_first_purchase" in str(err.value)
    summary.write.parquet(str(tmp_path / "spark-summary"))
    written = sorted((tmp_path / "spark-summary").glob("*.parquet"))
    with pytest.raises(DataError):
        sql.fit(BGNBD, [str(p) for p in written], time_unit="W")
    with pytest.raises(DataError):
        score_parquet(written[0], tmp_path / "s.parquet", bg, horizon=HORIZON)
    back = pd.read_parquet(tmp_path / "spark-summary")
    with pytest.raises(DataError):  # read back into pandas: the column still says so
        BGNBD.fit(back)
    with pytest.raises(DataError):
        rdask.fit(BGNBD, dd.from_pandas(back, npartitions=2))
