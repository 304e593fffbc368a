"""Run every benchmark with moderate sizes (``make bench``); see each script for options."""

from __future__ import annotations

import bench_engines
import bench_fit
import bench_latency
import bench_score
import bench_summary

if __name__ == "__main__":
    print("== summary: transactions -> customers ==")
    bench_summary.main(["--sizes", "1M"])
    print("\n== fitting ==")
    bench_fit.main(["--sizes", "10k,100k", "--variants", "weeks", "--lifetimes-max", "100k"])
    # lifetimes' Pareto/NBD takes minutes on 100k whole-day customers: compare at 10k there
    bench_fit.main(["--sizes", "10k,100k", "--variants", "days", "--lifetimes-max", "10k"])
    print("\n== scoring ==")
    bench_score.main(["--sizes", "100k,1M", "--lifetimes-max", "1M"])
    print("\n== latency ==")
    bench_latency.main()
    print("\n== engines: Parquet -> DuckDB summary, grouped fit, out-of-core scoring ==")
    # small: run_all stays quick; the 100M/1B rows of the docs use --rows 100M --skip-in-memory
    bench_engines.main(["--rows", "200k", "--lifetimes-max", "1M"])
