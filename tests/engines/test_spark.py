"""Spark in local mode: summary by Spark SQL, fit from grouped statistics, mapInPandas scores.

Skipped, with the reason, only when pyspark or Java is missing.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("Java is not on PATH: Spark cannot start", allow_module_level=True)

from pyspark.sql import SparkSession

from relmark.clv import BGNBD, GammaGamma, score
from relmark.data import calibration_holdout, summarize
from relmark.datasets import load_cdnow_sample_transactions
from relmark.engines import spark as rspark
from relmark.errors import ArgumentError, DataError
from tests.engines.test_sql import assert_same


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return load_cdnow_sample_transactions()[["customer_id", "date", "amount"]]


def test_spark_holdout_and_spend_scores_equal_in_memory(
    spark: SparkSession, log: pd.DataFrame
) -> None:
    """What the cross-engine contract does not cover: the calibration/holdout query and CLV."""
    frame = spark.createDataFrame(pa.Table.from_pandas(log, preserve_index=False))
    kw: dict[str, Any] = {"monetary_value": "amount", "time_unit": "D", "freq_multiplier": 7}
    cal: dict[str, Any] = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30"}
    assert_same(
        rspark.summarize(frame, **kw, **cal),
        calibration_holdout(log, **kw, **cal),
        exact_money=False,
    )
    want = summarize(log, **kw)
    bg = BGNBD.fit(want)
    gg = GammaGamma.fit(want.to_frame().query("frequency > 0 and monetary_value > 0"))
    summary = spark.createDataFrame(
        pa.Table.from_pandas(want.to_frame().reset_index(), preserve_index=False)
    )
    scores = rspark.score(bg, summary, spend=gg, horizon=52).toArrow().to_pandas()
    expected = score(bg, gg, want.frequency, want.recency, want.T, want.monetary_value, horizon=52)
    assert scores["customer_id"].tolist() == want.customer_id.tolist()
    np.testing.assert_array_equal(scores["p_alive"].to_numpy(), expected["p_alive"])
    for name in ("expected_purchases", "expected_spend", "clv"):
        np.testing.assert_allclose(scores[name].to_numpy(), expected[name], rtol=1e-12)


def test_spark_bad_input(spark: SparkSession, log: pd.DataFrame) -> None:
    frame = spark.createDataFrame(pa.Table.from_pandas(log.head(20), preserve_index=False))
    with pytest.raises(DataError) as err:
        rspark.summarize(frame, monetary_value="value")
    assert err.value.column == "value"
    with pytest.raises(ArgumentError) as aerr:
        rspark.summarize(log)  # type: ignore[arg-type]
    assert aerr.value.argument == "transactions"
    with pytest.raises(ArgumentError) as aerr:
        rspark.summarize(frame, time_unit="fortnight")
    assert aerr.value.argument == "time_unit"
    with pytest.raises(DataError) as err:
        rspark.fit(BGNBD, frame)
    assert err.value.column == "frequency"
    with pytest.raises(ArgumentError) as aerr:
        rspark.score("bg", frame, horizon=1)  # type: ignore[arg-type]
    assert aerr.value.argument == "purchases"
    bad = log.head(20).copy()
    bad.loc[3, "amount"] = -1.0
    neg = spark.createDataFrame(pa.Table.from_pandas(bad, preserve_index=False))
    with pytest.raises(DataError, match="negative amounts") as err:
        rspark.summarize(neg, monetary_value="amount")
    assert err.value.column == "amount" and err.value.rows == (bad.loc[3, "customer_id"],)
    with pytest.raises(DataError, match="after the end") as err:
        rspark.summarize(frame, observation_end=log.head(20)["date"].min())
    assert err.value.column == "date"
    spark.conf.set("spark.sql.session.timeZone", "Europe/Paris")
    try:
        with pytest.raises(ArgumentError, match="time zone"):
            rspark.summarize(frame)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
