"""Scoring 100M customers out of core: a summary Parquet file in, a scores Parquet file out.

Usage::

    python benchmarks/bench_scoring_100m.py --customers 100M --dir /tmp/relmark-score --keep

The generator writes the per-customer summary (``customer_id``, ``frequency``, ``recency``,
``T``, ``monetary_value``) straight to one Parquet file, ``--chunk`` customers at a time (the
table is never held in memory), drawn from BG/NBD and Gamma-Gamma at the CDNOW parameters of
Fader, Hardie & Lee (2005), Table 1 (weeks: r=0.243, alpha=4.414, a=0.793, b=2.426) and of the
Gamma-Gamma note (p=6.25, q=3.74, gamma=15.44), ages T uniform over CDNOW's 27-39 weeks.

BG/NBD exactly, per customer: rate ``lambda ~ Gamma(r, 1/alpha)``, dropout probability
``p ~ Beta(a, b)``, ``K ~ Geometric(p)`` repeat purchases before dropping out, ``N ~
Poisson(lambda T)`` arrivals in ``(0, T]``; ``x = min(N, K)`` and, given ``N``, the ``x``-th
arrival of ``N`` uniform ones is ``T * Beta(x, N - x + 1)`` (the recency). Gamma-Gamma: the
mean of ``x`` transactions of a customer with rate ``nu ~ Gamma(q, 1/gamma)`` is ``Gamma(p x,
1 / (nu x))``.

Then :func:`relmark.engines.outofcore.score_parquet` scores the file (P(alive), expected
purchases over 52 weeks, expected spend, 12-month CLV) in a fresh process, which reports its
wall time, CPU time and peak resident memory, once per ``--batch-size`` given. No other
library scores 100M customers out of core to compare with; the in-memory
:func:`relmark.clv.score` on a ``--compare`` sized slice gives the ratio (same process kind).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMB")) * scale)


def generate(path: Path, n: int, *, chunk: int = 2_000_000, seed: int = 0) -> None:
    """Write ``n`` customers' summaries to the Parquet file ``path``, ``chunk`` at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    r, alpha, a, b = (BGNBD_CDNOW[k] for k in ("r", "alpha", "a", "b"))
    gp, gq, gg = (GG_CDNOW[k] for k in ("p", "q", "gamma"))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    try:
        for lo in range(0, n, chunk):
            m = min(chunk, n - lo)
            age = rng.uniform(27.0, 39.0, size=m)
            lam = rng.gamma(r, 1.0 / alpha, size=m)
            p = rng.beta(a, b, size=m)
            k = rng.geometric(p)
            arrivals = rng.poisson(lam * age)
            x = np.minimum(arrivals, k)
            buying = x > 0
            rec = np.zeros(m)
            rec[buying] = age[buying] * rng.beta(x[buying], arrivals[buying] - x[buying] + 1)
            nu = rng.gamma(gq, 1.0 / gg, size=m)
            spend = np.zeros(m)
            spend[buying] = rng.gamma(gp * x[buying], 1.0 / (nu[buying] * x[buying]))
            table = pa.table(
                {
                    "customer_id": pa.array(np.arange(lo, lo + m, dtype=np.int64)),
                    "frequency": pa.array(x.astype(np.float64)),
                    "recency": pa.array(rec),
                    "T": pa.array(age),
                    "monetary_value": pa.array(spend),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, use_dictionary=False)
            writer.write_table(table, row_group_size=1_000_000)
    finally:
        if writer is not None:
            writer.close()


def _usage() -> tuple[float, float]:
    """CPU seconds and peak RSS (MiB) of this process."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime, u.ru_maxrss / 1024.0


def _score(folder: str, batch_size: int, chunk_size: int, compare: int) -> tuple[Any, ...]:
    from relmark.clv import BGNBD, GammaGamma
    from relmark.engines.outofcore import score_parquet

    bg = BGNBD(**BGNBD_CDNOW).with_time_unit("W")
    gg = GammaGamma(**GG_CDNOW)
    if compare:  # the in-memory scorer on a slice read whole (the reference per customer)
        import pyarrow.parquet as pq

        from relmark.clv import score

        rows = next(pq.ParquetFile(f"{folder}/summary.parquet").iter_batches(batch_size=compare))
        cols = {c: rows.column(c).to_numpy() for c in ("frequency", "recency", "T")}
        money = rows.column("monetary_value").to_numpy()
        c0, t0 = _usage()[0], time.perf_counter()
        score(bg, gg, cols["frequency"], cols["recency"], cols["T"], money, horizon=52)
        return (time.perf_counter() - t0, _usage()[0] - c0, _usage()[1], len(money))
    c0, t0 = _usage()[0], time.perf_counter()
    n = score_parquet(
        f"{folder}/summary.parquet",
        f"{folder}/scores.parquet",
        bg,
        spend=gg,
        horizon=52,
        batch_size=batch_size,
        chunk_size=chunk_size,
    )
    return (time.perf_counter() - t0, _usage()[0] - c0, _usage()[1], n)


def _job(out: Any, *args: Any) -> None:
    try:
        out.put(_score(*args))
    except Exception as exc:  # report it instead of hanging the parent
        out.put((float("nan"), float("nan"), _usage()[1], f"{type(exc).__name__}: {exc}"[:200]))


def _measure(*args: Any) -> tuple[Any, ...]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_job, args=(queue, *args))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    """Generate (or reuse) the summary file, score it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="1M", help="customers (e.g. 10M, 100M)")
    parser.add_argument("--chunk", default="2M", help="customers generated at a time")
    parser.add_argument("--batch-size", default="1M", help="score_parquet batch sizes, a,b,...")
    parser.add_argument("--chunk-size", default="250K", help="relmark.clv.score chunk size")
    parser.add_argument("--compare", default="1M", help="in-memory score() on this many rows")
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--reuse", action="store_true", help="reuse a summary already in --dir")
    args = parser.parse_args(argv)
    n = _count(args.customers)
    folder = Path(args.dir or f"/tmp/relmark-bench-score-{os.getpid()}")
    summary = folder / "summary.parquet"
    t0 = time.perf_counter()
    if not (args.reuse and summary.is_file()):
        with mp.get_context("spawn").Pool(1) as pool:  # the parent's peak stays small
            pool.apply(generate, (summary, n), {"chunk": _count(args.chunk)})
    import pyarrow.parquet as pq

    n = pq.ParquetFile(summary).metadata.num_rows
    size = summary.stat().st_size / 2**20
    print(f"summary: {n:,} customers, {size:,.0f} MiB, in {time.perf_counter() - t0:.1f} s")
    chunk_size = _count(args.chunk_size)
    print(
        f"\n{'task':40} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'customers':>13} {'us/cust':>8}"
    )
    compare = _count(args.compare)
    if compare:
        wall, cpu, peak, rows = _measure(str(folder), 0, chunk_size, compare)
        print(
            f"{'score() in memory (slice)':40} {wall:8.2f} {cpu:8.2f} {peak:9.0f} {rows:13,} "
            f"{1e6 * wall / rows:8.3f}"
        )
    for batch in args.batch_size.split(","):
        wall, cpu, peak, rows = _measure(str(folder), _count(batch), chunk_size, 0)
        label = f"score_parquet batch {batch}"
        if isinstance(rows, str):
            print(f"{label:40} failed {rows}")
            continue
        print(f"{label:40} {wall:8.2f} {cpu:8.2f} {peak:9.0f} {rows:13,} {1e6 * wall / rows:8.3f}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
