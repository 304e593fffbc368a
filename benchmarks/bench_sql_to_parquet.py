"""Wall time of ``relmark.engines.sql.summarize_to_parquet`` with amounts (the spend-overflow
check included) on a synthetic log, the median of ``--repeat`` runs in this process.

Usage::

    python benchmarks/bench_sql_to_parquet.py --rows 10M --dir /tmp/relmark-bench

The log is written once by ``bench_engines.generate`` (``--dir``/log, reused when present).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10M", help="transaction rows (e.g. 1M, 10M)")
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_engines

    from relmark.engines.sql import summarize_to_parquet

    folder = Path(args.dir or tempfile.mkdtemp(prefix="relmark-bench-"))
    log = folder / "log"
    if not any(log.glob("*.parquet")):
        bench_engines.generate(log, bench_engines._count(args.rows))
    out = folder / "summary-to-parquet.parquet"
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        done = summarize_to_parquet(
            str(log / "*.parquet"),
            out,
            monetary_value="amount",
            threads=args.threads,
            overwrite=True,
        )
        times.append(time.perf_counter() - start)
    print(
        f"summarize_to_parquet, {done.customers:,} customers, {done.partitions} partition(s): "
        f"median {statistics.median(times):.2f} s of {', '.join(f'{t:.2f}' for t in times)}"
    )


if __name__ == "__main__":
    main()
