"""Transactions to per-customer summary: relmark against lifetimes, side by side.

Usage::

    python benchmarks/bench_summary.py --sizes 1M,10M

Each measurement runs in a fresh process that builds a synthetic log (customer ids, daily
datetimes over two years, amounts), records its resident memory, runs one summary and reports
wall time and the peak resident memory *added* by the summary (the log itself excluded). Both
libraries get the same log. Targets (issue 2): relmark at least 5x faster than lifetimes at 1M
and 10M rows, and under 2 GB of peak memory at 10M rows.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings


def _log(n_rows: int, seed: int = 0) -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_customers = max(n_rows // 5, 1)
    ids = rng.integers(0, n_customers, size=n_rows)
    start = np.datetime64("2022-01-01T00:00:00")
    seconds = rng.integers(0, 730 * 86_400, size=n_rows)
    dates = start + seconds.astype("timedelta64[s]")
    amounts = np.round(rng.gamma(2.0, 20.0, size=n_rows), 2)
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run(tool: str, n_rows: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from lifetimes.utils import summary_data_from_transaction_data

    from relmark.data import summarize

    log = _log(n_rows)
    base = _rss_mib()
    t0 = time.perf_counter()
    if tool == "relmark":
        s = summarize(log, monetary_value="amount", time_unit="D")
        customers = len(s)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = summary_data_from_transaction_data(
                log, "customer_id", "date", monetary_value_col="amount", freq="D"
            )
        customers = len(frame)
    elapsed = time.perf_counter() - t0
    out.put((elapsed, _rss_mib() - base, customers))


def measure(tool: str, n_rows: int) -> tuple[float, float, int]:
    """(seconds, peak MiB added, customers) of one summary in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(tool, n_rows, queue))
    proc.start()
    result: tuple[float, float, int] = queue.get()
    proc.join()
    return result


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="summary: relmark vs lifetimes")
    parser.add_argument("--sizes", default="1M,10M", help="transaction rows, e.g. 100k,1M,10M")
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args(argv)
    print(f"{'rows':>12} {'tool':>10} {'seconds':>9} {'peak MiB':>9} {'customers':>10}")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        t_rm, m_rm, c_rm = measure("relmark", n)
        print(f"{n:>12,} {'relmark':>10} {t_rm:>9.2f} {m_rm:>9.0f} {c_rm:>10,}")
        if args.skip_lifetimes:
            continue
        t_lt, m_lt, c_lt = measure("lifetimes", n)
        print(f"{n:>12,} {'lifetimes':>10} {t_lt:>9.2f} {m_lt:>9.0f} {c_lt:>10,}")
        print(f"{'':>12} {'ratio':>10} {t_lt / t_rm:>8.1f}x {m_lt / max(m_rm, 1):>8.1f}x")


if __name__ == "__main__":
    main()
