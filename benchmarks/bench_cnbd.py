"""BG/CNBD-k and MBG/CNBD-k fit times against BG/NBD and MBG/NBD on the same customers.

Usage::

    python benchmarks/bench_cnbd.py --sizes 100k,1M

Customers are drawn from BG/CNBD-3 (r=1.2, alpha=5, a=0.8, b=2.5; weeks, ages 20-80), in two
variants: continuous times (nearly every row distinct) and whole days (recency and age rounded
up to whole days over two years, so that rows repeat and are grouped). For each it prints the
median wall time of ``--repeat`` fits of BG/NBD, BG/CNBD-k with k = 3 fixed, and the profile
over k = 1..5, with the ratios to BG/NBD (the targets of issue 18: within 2x and 10x), and the
same for MBG/NBD and MBG/CNBD-k. Timings are measurements of this machine, never assertions.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from relmark.clv import BGCNBD, BGNBD, MBGNBD, bgcnbd


def parse_size(text: str) -> int:
    """'100k' -> 100_000, '1M' -> 1_000_000."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """The result and the median wall time of ``repeat`` runs."""
    times = []
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def data(n: int, variant: str, seed: int = 1) -> dict[str, np.ndarray]:
    """Customers of BG/CNBD-3: continuous weeks, or whole days."""
    truth = BGCNBD(r=1.2, alpha=5.0, a=0.8, b=2.5, k=3)
    rng = np.random.default_rng(seed)
    if variant == "weeks":
        return truth.simulate(rng.uniform(20, 80, n), rng=seed)
    days = truth.with_params([1.2, 35.0, 0.8, 2.5]).simulate(
        rng.integers(140, 730, n).astype(float), rng=seed
    )
    days["recency"] = np.ceil(days["recency"])  # whole days; 0 stays 0
    return days


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one table per variant.

    Parameters
    ----------
    argv
        Command-line arguments (``--sizes``, ``--variants``, ``--repeat``).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--variants", default="weeks,days")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"# bench_cnbd on {platform.machine()}, Python {platform.python_version()}")
    for variant in args.variants.split(","):
        print(f"\n## {variant}\n")
        print(
            "| customers | model | classic fit s | k=3 fit s | ratio | profile k=1..5 s | ratio |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in args.sizes.split(","):
            n = parse_size(size)
            s = data(n, variant)
            for modified, base in ((False, BGNBD), (True, MBGNBD)):
                cls = bgcnbd.MBGCNBD if modified else BGCNBD
                _, t_base = timed(lambda: base.fit(s), args.repeat)  # noqa: B023
                fit3, t_k = timed(
                    lambda: cls.fit(s, settings={"k": 3}),  # noqa: B023
                    args.repeat,
                )
                prof, t_prof = timed(
                    lambda: bgcnbd.profile_k(s, k=range(1, 6), modified=modified),  # noqa: B023
                    max(1, args.repeat - 2),
                )
                print(
                    f"| {n:,} | {cls.name} | {t_base:.3f} | {t_k:.3f} | {t_k / t_base:.2f} | "
                    f"{t_prof:.3f} | {t_prof / t_base:.2f} |  (best k {prof.best_k}, "
                    f"converged {fit3.fit_result.converged})"
                )


if __name__ == "__main__":
    main()
