"""Engines at scale: the DuckDB summary out of core, out-of-core scoring, fitting from grouped
statistics, against relmark.data.summarize and lifetimes on the same data, in one run.

Usage::

    python benchmarks/bench_engines.py --rows 10M --lifetimes-max 1M --dir /tmp/relmark-bench

A generator writes the synthetic log to Parquet in chunks (``--chunk-rows`` at a time; the log
is never held in memory): customer ids, times to the second over two years, amounts in cents.
The DuckDB summary is written by
``relmark.engines.sql.summarize_to_parquet`` to ``summary.parquet`` (``--partitions`` customer-hash
partitions, ``--temp-dir`` for DuckDB's spill), the file the later tasks read. Each measurement
then runs in a fresh process and reports wall time and peak resident memory
of that process (DuckDB's native memory included): the DuckDB summary reads the files; the
in-memory summary and lifetimes first read the whole log into pandas (their peak includes it);
scoring reads the summary Parquet in batches and writes the scores; the fit groups the summary
in DuckDB and maximises the likelihood on the distinct rows. With ``--spark``, the Spark engine
in local mode (2 cores) does the summary and the scoring, Parquet to Parquet (session start-up
excluded; the peak is the driver's Python process, not the JVM). With ``--dask``,
``relmark.dask.summarize`` reads the same Parquet files on a local Dask cluster in the measuring
process (one worker with two threads, ``processes=False``, so that the peak includes the
workers; cluster start-up excluded) and brings the summary back as an ``RFMSummary``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import time
import warnings
from pathlib import Path
from typing import Any


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMB")) * scale)


def generate(folder: Path, n_rows: int, *, chunk_rows: int = 2_000_000, seed: int = 0) -> int:
    """Write about ``n_rows`` synthetic transactions to ``folder/part-*.parquet`` in chunks.

    Customers follow the BG/NBD story (so that the models have something to fit), generated
    a chunk of customers at a time, never the whole log: purchase rates gamma(r=0.5, alpha=10
    days), dropout after each purchase with a beta(1, 3) probability, first purchase uniform
    over 2022, observation to the end of 2023, times to the second, amounts gamma(2, 20)
    rounded to cents. Generation stops at the first chunk reaching ``n_rows``. Returns the
    number of files.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    end = 730.0  # days
    start = np.datetime64("2022-01-01T00:00:00", "s")
    files = written = first_id = 0
    per_customer = 8  # rough transactions per customer, to size the chunks
    while written < n_rows:
        m = max(min(chunk_rows, n_rows - written) // per_customer, 1)
        lam = rng.gamma(0.5, 1 / 10.0, size=m)  # purchases per day
        p = rng.beta(1.0, 3.0, size=m)
        k = rng.geometric(p)  # purchases made while alive, the first included
        birth = rng.random(m) * 365.0
        owner = np.repeat(np.arange(m), k)
        gaps = rng.exponential(1.0, size=owner.shape[0]) / lam[owner]
        first = np.r_[0, np.cumsum(k)[:-1]]
        gaps[first] = 0.0  # the first purchase is at birth
        times = np.cumsum(gaps)
        times -= np.repeat(times[first], k)
        times += birth[owner]
        keep = times < end
        owner, times = owner[keep], times[keep]
        dates = start + np.floor(times * 86_400).astype(np.int64).astype("timedelta64[s]")
        table = pa.table(
            {
                "customer_id": pa.array((owner + first_id).astype(np.int64)),
                "date": pa.array(dates.astype("datetime64[us]")),
                "amount": pa.array(np.round(rng.gamma(2.0, 20.0, size=owner.shape[0]), 2)),
            }
        )
        pq.write_table(table, folder / f"part-{files:04d}.parquet")
        files += 1
        written += owner.shape[0]
        first_id += m
        per_customer = max(owner.shape[0] // m, 1)
    return files


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu() -> float:
    """CPU seconds of this process, every thread (DuckDB's included): on a loaded machine
    the wall time says how much of the cores the task got, the CPU time what it costs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _job(task: str, folder: str, out: Any, options: dict[str, Any]) -> None:
    try:
        out.put(_task(task, folder, options))
    except Exception as exc:  # report it in the table instead of hanging the parent
        out.put((float("nan"), float("nan"), _peak_mib(), f"{type(exc).__name__}: {exc}"[:200]))


def _task(task: str, folder: str, options: dict[str, Any]) -> tuple[float, float, float, int]:
    t0, c0 = time.perf_counter(), _cpu()
    size = 0
    if task == "duckdb summary":
        from relmark.engines import sql

        # written by DuckDB to the one Parquet file the later tasks read (never in Python)
        done = sql.summarize_to_parquet(
            f"{folder}/log/*.parquet",
            f"{folder}/summary.parquet",
            monetary_value="amount",
            threads=2,
            memory_limit=options["memory_limit"],
            partitions=options["partitions"],
            temp_directory=options["temp_dir"],
            overwrite=True,
        )
        print(f"duckdb summary: {done.partitions} customer-hash partition(s)", flush=True)
        size = done.customers
    elif task == "in-memory summary":
        import pandas as pd

        from relmark.data import summarize

        log = pd.read_parquet(f"{folder}/log")
        t0, c0 = time.perf_counter(), _cpu()  # the summary alone (reading the log excluded)
        size = len(summarize(log, monetary_value="amount"))
    elif task == "lifetimes summary":
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data

        log = pd.read_parquet(f"{folder}/log")
        t0, c0 = time.perf_counter(), _cpu()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = summary_data_from_transaction_data(
                log, "customer_id", "date", monetary_value_col="amount", freq="D"
            )
        size = len(frame)
    elif task == "fit BG/NBD (grouped in DuckDB)":
        from relmark.clv import BGNBD
        from relmark.engines import sql

        model = sql.fit(BGNBD, f"{folder}/summary.parquet", time_unit="D", threads=2)
        with open(f"{folder}/model.json", "w", encoding="utf-8") as fh:
            fh.write(model.to_json())
        size = int(model.fit_result.n_unique) if model.fit_result is not None else 0
    elif task == "spark summary (local[2])":
        from relmark.engines import spark as rspark

        session = rspark.local_session(cores=2)
        t0, c0 = time.perf_counter(), _cpu()  # session start-up excluded
        spark_log = session.read.parquet(f"{folder}/log")
        rspark.summary_frame(spark_log, monetary_value="amount").write.mode("overwrite").parquet(
            f"{folder}/spark-summary"
        )
        size = session.read.parquet(f"{folder}/spark-summary").count()
        session.stop()
    elif task == "dask summary (local, 2 threads)":
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        from relmark import dask as rdask

        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
            ) as cluster,
            Client(cluster),  # type: ignore[no-untyped-call]
        ):
            t0, c0 = time.perf_counter(), _cpu()  # cluster start-up excluded
            log = dd.read_parquet(f"{folder}/log")
            size = len(rdask.summarize(log, monetary_value="amount"))
    elif task == "spark scoring (local[2])":
        from relmark.clv import load_model
        from relmark.engines import spark as rspark

        session = rspark.local_session(cores=2)
        with open(f"{folder}/model.json", encoding="utf-8") as fh:
            model = load_model(fh.read())
        t0, c0 = time.perf_counter(), _cpu()
        customers = session.read.parquet(f"{folder}/summary.parquet")
        rspark.score(model, customers, horizon=90).write.mode("overwrite").parquet(
            f"{folder}/spark-scores"
        )
        size = session.read.parquet(f"{folder}/spark-scores").count()
        session.stop()
    elif task == "out-of-core scoring":
        from relmark.engines.outofcore import score_parquet

        size = score_parquet(
            f"{folder}/summary.parquet",
            f"{folder}/scores.parquet",
            f"{folder}/model.json",
            horizon=90,
        )
    return (time.perf_counter() - t0, _cpu() - c0, _peak_mib(), size)


def _measure(
    task: str, folder: Path, options: dict[str, Any]
) -> tuple[float, float, float, int | str]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_job, args=(task, str(folder), queue, options))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1M", help="transaction rows (e.g. 1M, 10M)")
    parser.add_argument("--lifetimes-max", default="1M", help="largest log given to lifetimes")
    parser.add_argument("--chunk-rows", default="2M", help="rows per generated Parquet file")
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine")
    parser.add_argument("--dask", action="store_true", help="also run the Dask summary")
    parser.add_argument("--reuse", action="store_true", help="reuse a log already in --dir")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 3GB")
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="customer-hash partitions of the DuckDB summary (default: from rows and memory)",
    )
    parser.add_argument(
        "--temp-dir", default=None, help="DuckDB's spill folder (default: DuckDB's, ./.tmp)"
    )
    parser.add_argument(
        "--skip-in-memory", action="store_true", help="skip the in-memory and lifetimes summaries"
    )
    args = parser.parse_args(argv)
    n_rows = _count(args.rows)
    folder = Path(args.dir or f"/tmp/relmark-bench-engines-{os.getpid()}")
    t0 = time.perf_counter()
    if args.reuse and (folder / "log").is_dir():
        files = len(list((folder / "log").glob("*.parquet")))
    else:  # in a child process: Linux carries a parent's peak RSS into the children it forks
        with mp.get_context("spawn").Pool(1) as pool:
            files = pool.apply(
                generate, (folder / "log", n_rows), {"chunk_rows": _count(args.chunk_rows)}
            )
    import pyarrow.dataset as ds

    n_rows = ds.dataset(folder / "log").count_rows()
    print(f"generated {n_rows:,} rows in {files} Parquet files in {time.perf_counter() - t0:.1f} s")
    tasks = ["duckdb summary"] + ([] if args.skip_in_memory else ["in-memory summary"])
    if n_rows <= _count(args.lifetimes_max) and not args.skip_in_memory:
        tasks.append("lifetimes summary")
    if args.dask:
        tasks.append("dask summary (local, 2 threads)")
    tasks += ["fit BG/NBD (grouped in DuckDB)", "out-of-core scoring"]
    if args.spark:
        tasks += ["spark summary (local[2])", "spark scoring (local[2])"]
    options = {
        "memory_limit": args.memory_limit,
        "partitions": args.partitions,
        "temp_dir": args.temp_dir,
    }
    results = {task: _measure(task, folder, options) for task in tasks}
    base = results["duckdb summary"][0]
    head = f"{'seconds':>9} {'CPU s':>8} {'peak MiB':>9} {'rows out':>12} {'vs DuckDB':>10}"
    print(f"\n{'task':32} {head}")
    for task, (seconds, cpu, peak, size) in results.items():
        if isinstance(size, str):  # the task failed: its error
            print(f"{task:32} {'failed':>9} {'':>8} {peak:9.0f}  {size}")
            continue
        ratio = f"{seconds / base:.2f}x" if "summary" in task else ""
        print(f"{task:32} {seconds:9.2f} {cpu:8.2f} {peak:9.0f} {size:12,} {ratio:>10}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
