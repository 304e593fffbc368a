"""Out-of-core scoring: a Parquet file of customers in, a Parquet file of scores out.

:func:`score_parquet` reads the per-customer summary in record batches (never the whole file),
scores each batch with :func:`relmark.clv.score` and appends it to the output file, so memory
stays bounded by the batch size whatever the number of customers. The scores equal those of
:func:`relmark.clv.score` on the whole frame (each customer's score depends on its row only).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import numpy as np

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("relmark.engines.outofcore needs pyarrow: pip install pyarrow") from exc

from relmark._validation import check_count
from relmark.clv import CLVModel, load_model
from relmark.clv import score as score_arrays
from relmark.data.summary import FIRST_PURCHASE
from relmark.engines._options import check_clv_horizon, refuse_counted_first
from relmark.errors import ArgumentError, DataError

__all__ = ["score_parquet"]

_RFM = ("frequency", "recency", "T")


def _model(value: object, argument: str) -> CLVModel:
    """A fitted model, its JSON text, or a path to its JSON file."""
    if isinstance(value, CLVModel):
        return value
    if isinstance(value, str | bytes) and value.lstrip()[:1] in ("{", b"{"):
        return load_model(value)
    if isinstance(value, str | os.PathLike):
        try:
            with open(value, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise ArgumentError(f"cannot read the model file: {exc}", argument=argument) from None
        return load_model(text)
    raise ArgumentError(
        f"must be a fitted model, its JSON or a JSON file, got {type(value).__name__}",
        argument=argument,
    )


def score_parquet(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    purchases: CLVModel | str | os.PathLike[str],
    *,
    horizon: float,
    spend: CLVModel | str | os.PathLike[str] | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
    customer_id: str = "customer_id",
    batch_size: int = 1_000_000,
    chunk_size: int = 250_000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Score every customer of a Parquet summary file in batches and write the scores.

    Parameters
    ----------
    source
        A Parquet file with one row per customer: ``customer_id``, ``frequency``, ``recency``,
        ``T`` (and ``monetary_value`` with a spend model), e.g. written by
        ``RFMSummary.to_frame().to_parquet(...)``.
    destination
        The Parquet file to write: ``customer_id``, ``p_alive``, ``expected_purchases`` and,
        with ``spend``, ``expected_spend`` and ``clv``, in the order of ``source``.
    purchases
        A fitted purchase model (BG/NBD, Pareto/NBD, ...), its JSON, or a JSON file.
    horizon
        Horizon of the expected purchases, in the model's time unit.
    spend
        A fitted spend model (Gamma-Gamma), its JSON or a JSON file; adds the spend and CLV.
    periods, period_length, discount_rate
        The CLV horizon, as for :func:`relmark.clv.score`.
    customer_id
        The id column of ``source`` (copied to the output).
    batch_size
        Rows read, scored and written at a time (memory is proportional to it); a multiple of
        ``chunk_size``.
    chunk_size
        The chunk size of :func:`relmark.clv.score` within a batch. Expected purchases are
        interpolated per chunk (to about 1e-14), so batches aligned on chunks give exactly the
        scores of ``relmark.clv.score(..., chunk_size=chunk_size)`` on the whole file.
    progress
        Called after each batch with (customers done, customers in total); no output otherwise.

    Returns
    -------
    int
        The number of customers scored.

    Raises
    ------
    DataError
        Naming the file and the column: a missing column, an unreadable file, and every check
        of :func:`relmark.clv.score` (NaN, recency > T, ...), which names the customers; a
        summary that counts the first purchase (a column ``include_first_purchase`` holding
        True, as :func:`relmark.engines.spark.summary_frame` writes it).
    ArgumentError
        Naming the argument: a bad model, horizon, batch size, or the same path for input and
        output.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from relmark.clv import BGNBD
    >>> bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": ["a", "b"], "frequency": [0.0, 2.0],
    ...               "recency": [0.0, 30.43], "T": [38.86, 38.86]}).to_parquet(d / "c.parquet")
    >>> score_parquet(d / "c.parquet", d / "s.parquet", bg, horizon=39)
    2
    >>> pd.read_parquet(d / "s.parquet")["expected_purchases"].round(3).tolist()
    [0.195, 1.226]
    """
    model = _model(purchases, "purchases")
    spend_model = None if spend is None else _model(spend, "spend")
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    if batch_size % chunk_size:
        raise ArgumentError(
            f"must be a multiple of chunk_size {chunk_size}, got {batch_size}",
            argument="batch_size",
        )
    if progress is not None and not callable(progress):
        raise ArgumentError("must be a callable(done, total)", argument="progress")
    check_clv_horizon(
        model,
        spend_model,
        periods=periods,
        period_length=period_length,
        discount_rate=discount_rate,
    )
    src, dst = os.fspath(source), os.fspath(destination)
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ArgumentError("must differ from source", argument="destination")
    try:
        reader = pq.ParquetFile(src, pre_buffer=False)  # pre-buffering kept every batch read
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read {src}: {exc}") from None
    names = reader.schema_arrow.names
    needed = [customer_id, *_RFM] + (["monetary_value"] if spend_model is not None else [])
    for col in needed:
        if col not in names:
            raise DataError(f"missing column in {src} (found: {', '.join(names)})", column=col)
    if FIRST_PURCHASE in names:  # a flag column, as the Spark engine writes it
        flags = pc.unique(reader.read(columns=[FIRST_PURCHASE]).column(0)).to_pylist()
        refuse_counted_first(flags)
    total = reader.metadata.num_rows
    options: dict[str, Any] = {
        "horizon": horizon,
        "periods": periods,
        "period_length": period_length,
        "discount_rate": discount_rate,
        "chunk_size": chunk_size,
    }
    writer: pq.ParquetWriter | None = None
    done = 0
    batches = reader.iter_batches(batch_size=batch_size, columns=needed)
    # two helper threads overlap the file work with the scoring: one reads the next batch, one
    # writes the previous scores (pyarrow releases the GIL); at most three batches are alive
    with ThreadPoolExecutor(1) as reading, ThreadPoolExecutor(1) as writing:
        ahead = reading.submit(next, batches, None)
        written: Future[None] | None = None
        try:
            while (batch := ahead.result()) is not None:
                ahead = reading.submit(next, batches, None)
                table = _score_batch(batch, needed, model, spend_model, options, src, done)
                if writer is None:
                    writer = pq.ParquetWriter(dst, table.schema, use_dictionary=False)
                if written is not None:
                    written.result()
                written = writing.submit(writer.write_table, table)
                done += batch.num_rows
                if progress is not None:
                    progress(done, total)
            if written is not None:
                written.result()
            if writer is None:  # an empty file: write the empty result with its schema
                empty = {
                    customer_id: pa.array([], type=reader.schema_arrow.field(customer_id).type)
                }
                result = ["p_alive", "expected_purchases"]
                result += ["expected_spend", "clv"] if spend_model is not None else []
                empty.update({k: pa.array([], type=pa.float64()) for k in result})
                pq.write_table(pa.table(empty), dst)
        finally:  # on an error too: no thread still uses the file when it is closed
            wait([f for f in (ahead, written) if f is not None])
            if writer is not None:
                writer.close()
    return done


def _score_batch(
    batch: pa.RecordBatch,
    needed: list[str],
    model: CLVModel,
    spend_model: CLVModel | None,
    options: dict[str, Any],
    src: str,
    done: int,
) -> pa.Table:
    """One batch's scores as a table (the id column first), errors naming the file's rows."""
    cols = {c: batch.column(c) for c in needed}
    arrays = {
        c: np.asarray(cols[c].to_numpy(zero_copy_only=False), dtype=np.float64) for c in needed[1:]
    }
    for c in arrays:
        if cols[c].null_count:
            raise DataError(f"missing values in {src}", column=c)
    try:
        scores = score_arrays(
            model,  # type: ignore[arg-type]
            spend_model,  # type: ignore[arg-type]
            arrays["frequency"],
            arrays["recency"],
            arrays["T"],
            arrays.get("monetary_value"),
            **options,
        )
    except DataError as exc:
        # name the file and its rows: positions in the batch shifted to the file
        err = DataError(f"{src}, rows from {done} (row positions in the file): {exc}")
        err.column = exc.column
        err.rows = tuple(r + done if isinstance(r, int) else r for r in exc.rows)
        err.count = exc.count
        raise err from None
    return pa.table({needed[0]: cols[needed[0]], **{k: pa.array(v) for k, v in scores.items()}})
