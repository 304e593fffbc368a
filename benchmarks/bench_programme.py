"""Loyalty-programme impact, budget optimum and cost to serve at scale: the 2x2 and two-way
fixed-effects DiD and the event study on 100k customers x 12 months (1.2M rows), breakage on
1M lots, tier migration on 1M member-years, customer profitability and the whale curve on 1M
customers, and the exact budget optimum.

Usage::

    python benchmarks/bench_programme.py [--customers 100K]

Wall time of each relmark call (data generation excluded).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from relmark.decide import (
    SpendResponse,
    breakage_curve,
    customer_profitability,
    event_study,
    membership_effect,
    optimal_budget,
    tier_migration,
    whale_curve,
)


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def _timed(label: str, call: Callable[[], Any]) -> None:
    start = time.perf_counter()
    call()
    print(f"{label:<48} {time.perf_counter() - start:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", default="100K")
    n = _count(parser.parse_args().customers)
    rng = np.random.default_rng(0)
    months = 12
    joins = np.arange(n) < n // 3
    customer = np.repeat(np.arange(n), months)
    month = np.tile(np.arange(months), n)
    member = joins[customer] & (month >= 6)
    spend = rng.gamma(4, 10, n)[customer] + 0.3 * month + 5 * member + rng.normal(0, 5, n * months)
    panel = pd.DataFrame(
        {"customer_id": customer, "period": month, "spend": spend, "member": member.astype(int)}
    )
    _timed(f"membership_effect 2x2, {len(panel):,} rows", lambda: membership_effect(panel))
    _timed(
        f"membership_effect twfe, {len(panel):,} rows",
        lambda: membership_effect(panel, design="twfe"),
    )
    _timed(f"event_study, {len(panel):,} rows", lambda: event_study(panel))

    lots = pd.DataFrame(
        {
            "days": rng.integers(0, 366, 1_000_000),
            "points": rng.integers(1, 1000, 1_000_000),
            "outcome": rng.choice(["redeemed", "expired", "open"], 1_000_000),
        }
    )
    _timed("breakage_curve, 1,000,000 lots", lambda: breakage_curve(lots, validity_days=365))

    years = 10
    history = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(100_000), years),
            "period": np.tile(np.arange(years), 100_000),
            "tier": rng.choice(["base", "silver", "gold"], 100_000 * years),
        }
    )
    _timed(
        "tier_migration, 1,000,000 member-years",
        lambda: tier_migration(history, ["base", "silver", "gold"]),
    )

    m = 1_000_000
    acts = pd.DataFrame(
        {
            "customer_id": np.arange(m),
            "margin": rng.gamma(2, 50, m),
            "orders": rng.poisson(5, m),
            "returns": rng.poisson(1, m),
            "tickets": rng.poisson(0.3, m),
        }
    )
    rates = {"orders": 4.0, "returns": 12.0, "tickets": 25.0}
    _timed(
        "customer_profitability, 1,000,000 customers", lambda: customer_profitability(acts, rates)
    )
    prof = customer_profitability(acts, rates)
    _timed("whale_curve, 1,000,000 customers", lambda: whale_curve(prof))
    acq, ret = (
        SpendResponse(ceiling=0.4, efficiency=0.02),
        SpendResponse(ceiling=0.8, efficiency=0.05),
    )
    _timed("optimal_budget", lambda: optimal_budget(acq, ret, margin=100.0, discount_rate=0.1))


if __name__ == "__main__":
    main()
