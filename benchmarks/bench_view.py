"""The relationship view at scale (target: 1M customers under 30 s on 2 cores).

Usage::

    python benchmarks/bench_view.py --customers 1M --draws 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from relmark.clv import MBGNBD
from relmark.view import propose_actions, relationship_view


def synthetic_log(n: int, seed: int = 0) -> pd.DataFrame:
    """Transactions of ``n`` customers drawn from MBG/NBD (weeks) and Gamma-Gamma."""
    rng = np.random.default_rng(seed)
    model = MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614)
    start = rng.uniform(0, 12, size=n)  # first purchase in the first 12 weeks
    sim = model.simulate(52.0 - start, rng=rng)
    x = sim["frequency"].astype(int)
    nu = rng.gamma(3.74, 1 / 15.44, size=n)
    ids = np.repeat(np.arange(n), x + 1)
    # repeat purchase times: uniform before the last one, which is at recency
    offsets = rng.random(ids.size) * np.repeat(sim["recency"], x + 1)
    first = np.r_[0, np.cumsum(x + 1)[:-1]]
    offsets[first] = 0.0
    last = first + x
    offsets[last[x > 0]] = sim["recency"][x > 0]
    weeks = np.repeat(start, x + 1) + offsets
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.round(weeks * 7), unit="D")
    amounts = rng.gamma(6.25, 1.0 / np.repeat(nu, x + 1))
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="relationship view at scale")
    parser.add_argument("--customers", default="1M")
    parser.add_argument("--draws", type=int, default=50)
    args = parser.parse_args(argv)
    text = args.customers.lower()
    n = int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1], 1))
    log = synthetic_log(n)
    t0 = time.perf_counter()
    view = relationship_view(log, n_draws=args.draws, rng=1)
    t_view = time.perf_counter() - t0
    t0 = time.perf_counter()
    propose_actions(view, unit_margin=0.3)
    t_prop = time.perf_counter() - t0
    print(
        f"{len(view.table):,} customers, {len(log):,} transactions: view {t_view:.1f} s "
        f"(intervals from {args.draws} draws), proposals {t_prop:.1f} s"
    )


if __name__ == "__main__":
    main()
