"""DERT throughput (customers per second) of BG/NBD and BG/CNBD-k at CDNOW's parameters.

Usage::

    python benchmarks/bench_dert.py --customers 100k

Customers are simulated from the published BG/NBD parameters (Fader, Hardie & Lee 2005) with
ages uniform on 20..78 weeks; the discount rate is 0.0015 a week. Reported: x = 0 only (every
customer without repeat purchases) and the simulated mix. Timings are measurements of this
machine, never assertions.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from relmark.clv import bgcnbd, bgnbd

PARAMS = np.array([0.243, 4.414, 0.793, 2.426])


def parse_size(text: str) -> int:
    """'100k' -> 100_000."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="100k")
    n = parse_size(parser.parse_args().customers)
    rng = np.random.default_rng(0)
    age = rng.uniform(20.0, 78.0, n)
    sim = bgnbd.simulate(PARAMS, age, rng=1)
    zero = np.zeros(n)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("BG/NBD, x = 0", lambda: bgnbd.dert(PARAMS, 0.0015, zero, zero, age)),
        (
            "BG/NBD, simulated",
            lambda: bgnbd.dert(PARAMS, 0.0015, sim["frequency"], sim["recency"], age),
        ),
        (
            "BG/CNBD-3, simulated",
            lambda: bgcnbd.dert(PARAMS, 0.0015, sim["frequency"], sim["recency"], age, k=3),
        ),
    ]
    for label, run in cases:
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        print(f"{label:24s} {n:>9,d} customers  {seconds:7.2f} s  {n / seconds:>12,.0f} /s")


if __name__ == "__main__":
    main()
