"""Engines that take relmark to where the data lives (the ``sql`` and ``spark`` extras).

- :mod:`relmark.engines.sql`: the per-customer summary (and the calibration/holdout split) as
  one SQL query, run out of core by embedded DuckDB over Parquet or CSV files, a DuckDB table
  or a pandas/polars/Arrow frame, and exported as text for Postgres, BigQuery, Snowflake and
  Spark SQL; fitting from the compressed sufficient statistics grouped in SQL.
- :mod:`relmark.engines.outofcore`: scoring a Parquet file of customers in chunks with bounded
  memory, writing Parquet.
- :mod:`relmark.engines.spark`: the same summary executed by Spark SQL, fitting from grouped
  statistics computed on the cluster, scoring with the model's JSON broadcast to the executors.

Every engine gives the results of the in-memory path (:func:`relmark.data.summarize`,
:meth:`relmark.clv.CLVModel.fit`, :func:`relmark.clv.score`). The submodules import their
optional dependencies; this package imports nothing.
"""

__all__: list[str] = []
