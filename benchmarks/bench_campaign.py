"""Campaign economics and win-back at scale: the logistic response model, gains table,
response curve and depth of mailing on 1M customers; the reacquisition model and the win-back
plan (with a reason per customer) on 1M lapsed customers.

Usage::

    python benchmarks/bench_campaign.py [--customers 1M]

Each measurement runs in a fresh process and reports the wall time of the relmark call (data
generation excluded) and the peak resident memory of the process (the data included). Data:
three scores (R and F quintiles, a gamma CLV) and responses from a known logit (about 3%
respond); offers of 0/10/20 at random and lapse times of 1-24 months for the win-back.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from typing import Any


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def _campaign(n: int) -> tuple[dict[str, Any], Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = {
        "recency_score": rng.integers(1, 6, n).astype(float),
        "frequency_score": rng.integers(1, 6, n).astype(float),
        "clv": rng.gamma(2.0, 30.0, n),
    }
    eta = -6.0 + 0.5 * x["recency_score"] + 0.2 * x["frequency_score"] + 0.01 * x["clv"]
    return x, rng.random(n) < 1 / (1 + np.exp(-eta))


def _lapsed(n: int) -> tuple[Any, Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(1)
    offer = rng.choice([0.0, 10.0, 20.0], n)
    lapse = rng.integers(1, 25, n).astype(float)
    back = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.05 * offer - 0.1 * lapse)))
    return offer, lapse, back, rng.gamma(2.0, 50.0, n)


def _measure(task: str, n: int, out: Any) -> None:
    from relmark import decide

    if task in ("fit_reacquisition", "plan_winback"):
        offer, lapse, back, sltv = _lapsed(n)
        model = decide.fit_reacquisition(offer, lapse, back)
        start = time.perf_counter()
        if task == "fit_reacquisition":
            decide.fit_reacquisition(offer, lapse, back)
        else:
            decide.plan_winback(
                model,
                time_since_lapse=lapse,
                second_lifetime_value=sltv,
                offers=[0, 10, 20],
                contact_cost=1.0,
            )
    else:
        x, y = _campaign(n)
        p: Any = (
            decide.fit_response_model(x, y).predict(x) if task != "fit_response_model" else None
        )
        start = time.perf_counter()
        if task == "fit_response_model":
            decide.fit_response_model(x, y)
        elif task == "gains_table":
            decide.gains_table(p, y)
        elif task == "cumulative_response_curve":
            decide.cumulative_response_curve(p, y, points=100)
        elif task == "mailing_depth":
            decide.mailing_depth(p, cost_per_contact=0.5, margin_per_response=25.0)
    wall = time.perf_counter() - start
    out.put((wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


TASKS = (
    "fit_response_model",
    "gains_table",
    "cumulative_response_curve",
    "mailing_depth",
    "fit_reacquisition",
    "plan_winback",
)


def main(argv: list[str] | None = None) -> None:
    """Run every measurement in a fresh process and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", default="1M")
    args = parser.parse_args(argv)
    n = _count(args.customers)
    ctx = mp.get_context("spawn")
    print(f"| call ({n:,} customers) | wall (s) | peak RSS (MB) |\n|---|---|---|")
    for task in TASKS:
        q = ctx.Queue()
        proc = ctx.Process(target=_measure, args=(task, n, q))
        proc.start()
        wall, peak = q.get()
        proc.join()
        print(f"| `{task}` | {wall:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
