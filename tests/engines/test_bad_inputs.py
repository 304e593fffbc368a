"""Bad inputs to the engines' public functions found by an adversarial review: each was
accepted (a silent answer) before; now a typed relmark error naming the column or argument."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from relmark.clv import BGNBD, GammaGamma
from relmark.data import summarize
from relmark.datasets import load_cdnow_summary
from relmark.engines import sql
from relmark.engines.outofcore import score_parquet
from relmark.errors import ArgumentError, DataError

LOG = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "c"],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02", "2024-01-20", "2024-01-03"]
        ),
        "amount": [10.0, 5.0, 8.0, 3.0, 2.0, 1.0],
    }
)


def test_a_column_named_twice_is_refused_naming_it() -> None:
    """A frame with two ``date`` columns: DuckDB read the first (renaming the second
    ``date_1``) and summarised silently, where relmark.data refuses the column; a table or a
    relation with two columns of one name likewise. A twin column not read is fine."""
    twin = pd.concat([LOG, LOG[["date"]] + pd.Timedelta(days=3650)], axis=1)
    with pytest.raises(DataError) as memory:
        summarize(twin)
    assert memory.value.column == "date"
    table = pa.table([pa.array(twin.iloc[:, i]) for i in range(4)], names=list(twin.columns))
    relation = duckdb.connect().sql(
        "SELECT 'a' AS customer_id, TIMESTAMP '2024-01-01' AS date, TIMESTAMP '2034-01-01' AS date"
    )
    for source in (twin, table, relation):
        with pytest.raises(DataError, match=r"2 columns of .* have this name") as info:
            sql.summarize(source)
        assert info.value.column == "date"
    extra = pd.concat([LOG, LOG[["amount"]]], axis=1)  # amount is not read
    assert sql.summarize(extra) == summarize(LOG)
    with pytest.raises(DataError, match="have this name") as info:
        sql.summarize(extra, monetary_value="amount")
    assert info.value.column == "amount"
    summary = summarize(LOG).to_frame().reset_index()
    with pytest.raises(DataError, match="have this name") as info:
        sql.fit(BGNBD, pd.concat([summary, summary[["T"]]], axis=1), time_unit="D")
    assert info.value.column == "T"


def test_summary_sql_refuses_a_holdout_of_no_length() -> None:
    """Both ends in one period: the exported query gave every customer a duration_holdout of
    0; now the ArgumentError of the engines, naming observation_end and both dates."""
    with pytest.raises(ArgumentError, match="by at least one period") as info:
        sql.summary_sql(calibration_end="2024-01-01 10:00", observation_end="2024-01-01 23:00")
    assert info.value.argument == "observation_end"
    assert "2024-01-01 10:00:00" in str(info.value) and "2024-01-01 23:00:00" in str(info.value)
    with pytest.raises(ArgumentError) as info:
        sql.summary_sql(
            calibration_end="2024-01-01", observation_end="2024-01-07", time_unit="W"
        )  # Monday to Sunday
    assert info.value.argument == "observation_end"
    assert sql.summary_sql(calibration_end="2024-01-01 10:00", observation_end="2024-01-02")


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"periods": 0}, "periods"),
        ({"periods": 1.5}, "periods"),
        ({"discount_rate": -1.0}, "discount_rate"),
        ({"discount_rate": float("nan")}, "discount_rate"),
        ({"period_length": -1.0}, "period_length"),
    ],
)
def test_score_parquet_checks_the_clv_horizon_without_a_spend_model(
    options: dict[str, Any], argument: str, tmp_path: Path
) -> None:
    """Checked as relmark.clv.score checks them with a spend model (they were accepted, and
    ignored, without one); with one, the same error."""
    cdnow = load_cdnow_summary(with_monetary=True)
    source = tmp_path / "c.parquet"
    cdnow.to_frame().reset_index().to_parquet(source)
    model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    for with_spend in (None, spend):
        with pytest.raises(ArgumentError) as info:
            score_parquet(
                source, tmp_path / "s.parquet", model, horizon=10.0, spend=with_spend, **options
            )
        assert info.value.argument == argument
        assert not (tmp_path / "s.parquet").exists()
