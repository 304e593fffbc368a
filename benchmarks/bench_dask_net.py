"""``relmark.dask.summarize(..., returns="net")`` against ``relmark.data.summarize`` on a
synthetic log with returns (a tenth of the purchases half refunded on their day), on the
synchronous scheduler: the wall time (best of ``--repeat``) and whether the summaries agree.

Usage::

    python benchmarks/bench_dask_net.py --rows 600000 --partitions 4
"""

from __future__ import annotations

import argparse
import time
from typing import Any


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600_000, help="purchase rows")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import dask
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd

    from relmark import dask as rdask
    from relmark.data import summarize

    rng = np.random.default_rng(1)
    n = args.rows
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(0, max(n // 10, 1), n),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "amount": rng.gamma(2.0, 10.0, n).round(2),
        }
    )
    back = log.sample(frac=0.1, random_state=1)
    back = back.assign(amount=-(back["amount"] / 2).round(2))
    log = pd.concat([log, back], ignore_index=True).sample(frac=1.0, random_state=2)
    log = log.reset_index(drop=True)
    kw: dict[str, Any] = {"monetary_value": "amount", "returns": "net"}
    start = time.perf_counter()
    want = summarize(log, **kw)
    memory = time.perf_counter() - start
    frame = dd.from_pandas(log, npartitions=args.partitions)  # type: ignore[no-untyped-call]
    times = []
    with dask.config.set(scheduler="synchronous"):
        for _ in range(args.repeat):
            start = time.perf_counter()
            got = rdask.summarize(frame, **kw)
            times.append(time.perf_counter() - start)
    assert got.monetary_value is not None
    assert want.monetary_value is not None
    agree = bool(
        np.array_equal(got.customer_id, want.customer_id)
        and np.array_equal(got.frequency, want.frequency)
        and np.allclose(got.monetary_value, want.monetary_value, rtol=1e-12, atol=0.0)
    )
    print(
        f"{len(log):,} rows, {args.partitions} partitions: relmark.data {memory:.2f} s, "
        f"relmark.dask best {min(times):.2f} s of {len(times)}; agree: {agree}"
    )


if __name__ == "__main__":
    main()
