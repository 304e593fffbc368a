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
