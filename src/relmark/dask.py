"""Distributed paths on Dask (the ``dask`` extra): summarise, fit and score beyond one machine.

The same definitions as :mod:`relmark.data` and :mod:`relmark.clv`, run partition by partition:

- :func:`summarize` builds the per-customer summary from a Dask DataFrame of transactions
  (e.g. many Parquet or CSV files) without collecting the log: transactions are reduced to one
  row per (customer, period) and then to one row per customer on the cluster; only the summary
  (one row per customer) comes back.
- :func:`fit` gathers the *distinct* (frequency, recency, T) rows with their counts from the
  cluster and maximises the likelihood on them: exactly the in-memory estimate.
- :func:`score` applies a fitted model partition by partition and returns a Dask DataFrame; the
  model travels as its JSON, never as a pickled closure.

Nothing here is imported by the rest of relmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

try:
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.dask needs dask: pip install 'relmark[dask]'") from exc

from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.data import RFMSummary
from relmark.errors import DataError

__all__ = ["fit", "score", "summarize"]


def _periods(dates: pd.Series, time_unit: str) -> pd.Series:
    values = dates.to_numpy(dtype="datetime64[ns]")
    if time_unit == "D":
        out = values.astype("datetime64[D]").astype(np.int64)
    elif time_unit == "h":
        out = values.astype("datetime64[h]").astype(np.int64)
    elif time_unit == "W":
        out = np.floor_divide(values.astype("datetime64[D]").astype(np.int64) + 3, 7)
    elif time_unit == "M":
        out = values.astype("datetime64[M]").astype(np.int64)
    else:
        raise DataError(f"time_unit must be D, W, h or M, got {time_unit!r}")
    return pd.Series(out, index=dates.index)


def summarize(
    transactions: dd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "date",
    monetary_value: str | None = None,
    time_unit: str = "D",
    freq_multiplier: float = 1,
    observation_end: Any = None,
) -> RFMSummary:
    """Per-customer summary of a Dask DataFrame of transactions (same definitions as
    :func:`relmark.data.summarize`; dates must already be datetimes)."""
    cols = [customer_id, datetime] + ([monetary_value] if monetary_value else [])
    missing = [c for c in cols if c not in transactions.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", column=missing[0])
    amount = monetary_value or "_one"

    def to_pairs(part: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "customer": part[customer_id].to_numpy(),
                "period": _periods(part[datetime], time_unit).to_numpy(),
                "amount": part[amount].to_numpy(dtype=np.float64)
                if monetary_value
                else np.zeros(len(part)),
            }
        )
        if out["amount"].isna().any() or (out["amount"] < 0).any():
            raise DataError("missing or negative amounts", column=monetary_value)
        return out

    meta = pd.DataFrame(
        {
            "customer": pd.Series(dtype=transactions[customer_id].dtype),
            "period": pd.Series(dtype=np.int64),
            "amount": pd.Series(dtype=np.float64),
        }
    )
    pairs = transactions.map_partitions(to_pairs, meta=meta)  # type: ignore[no-untyped-call]
    per_period = pairs.groupby(["customer", "period"]).amount.sum().reset_index()
    stats = per_period.groupby("customer").agg({"period": ["min", "max", "count"], "amount": "sum"})
    stats.columns = ["first", "last", "count", "total"]
    firsts = per_period.merge(stats[["first"]].reset_index(), on="customer")
    first_amount = firsts[firsts["period"] == firsts["first"]].groupby("customer").amount.sum()
    summary = stats.join(first_amount.rename("first_total")).compute().sort_index()
    if observation_end is None:
        end_p = int(summary["last"].max())
    else:
        end = pd.Series(pd.to_datetime([observation_end]))
        end_p = int(_periods(end, time_unit).iloc[0])
        if (summary["last"] > end_p).any():
            raise DataError("transactions after the end of observation", column=datetime)
    frequency = summary["count"].to_numpy(dtype=np.float64) - 1.0
    monetary = None
    if monetary_value:
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(
                frequency > 0,
                (summary["total"] - summary["first_total"]).to_numpy() / frequency,
                0.0,
            )
    label = "W" if (time_unit == "D" and freq_multiplier == 7) else time_unit
    return RFMSummary(
        customer_id=summary.index.to_numpy(),
        frequency=frequency,
        recency=(summary["last"] - summary["first"]).to_numpy() / freq_multiplier,
        T=(end_p - summary["first"]).to_numpy() / freq_multiplier,
        monetary_value=monetary,
        time_unit=label if freq_multiplier in (1, 7) else f"{freq_multiplier:g}{time_unit}",
    )


def fit(model: type[CLVModel], summary: dd.DataFrame, **options: Any) -> CLVModel:
    """Fit ``model`` to a Dask DataFrame of per-customer rows: the distinct rows and their
    counts are computed on the cluster, the likelihood maximised locally on them."""
    fields = list(model.data_fields)
    missing = [c for c in fields if c not in summary.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", column=missing[0])
    counts = summary[fields].groupby(fields).size().compute().rename("weights").reset_index()
    data = {f: counts[f].to_numpy(dtype=np.float64) for f in fields}
    return model.fit(data, weights=counts["weights"].to_numpy(), compress=False, **options)


def _score_partition(
    part: pd.DataFrame,
    purchases_json: str,
    spend_json: str | None,
    horizon: float,
    clv_options: dict[str, Any],
) -> pd.DataFrame:
    purchases = load_model(purchases_json)
    spend = None if spend_json is None else load_model(spend_json)
    columns = score_arrays(
        purchases,  # type: ignore[arg-type]
        spend,  # type: ignore[arg-type]
        part["frequency"].to_numpy(dtype=np.float64),
        part["recency"].to_numpy(dtype=np.float64),
        part["T"].to_numpy(dtype=np.float64),
        None if spend is None else part["monetary_value"].to_numpy(dtype=np.float64),
        horizon=horizon,
        **clv_options,
    )
    return pd.DataFrame(columns, index=part.index)


def score(
    purchases: CLVModel,
    customers: dd.DataFrame,
    *,
    horizon: float,
    spend: CLVModel | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
) -> dd.DataFrame:
    """P(alive) and expected purchases over ``horizon`` per customer (with ``spend``, also the
    expected spend and the CLV over ``periods`` periods, as :func:`relmark.clv.score`), as a
    lazy Dask DataFrame computed partition by partition; the models travel as JSON."""
    names = ["p_alive", "expected_purchases"] + (
        ["expected_spend", "clv"] if spend is not None else []
    )
    meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in names})
    result: dd.DataFrame = customers.map_partitions(  # type: ignore[no-untyped-call]
        _score_partition,
        purchases.to_json(indent=None),
        None if spend is None else spend.to_json(indent=None),
        float(horizon),
        {"periods": periods, "period_length": period_length, "discount_rate": discount_rate},
        meta=meta,
    )
    return result
