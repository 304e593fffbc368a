"""Scoring many customers: P(alive), expected purchases, expected spend and 12-month CLV.

Usage::

    python benchmarks/bench_score.py --sizes 1M,10M --lifetimes-max 1M

Customers are drawn from the published CDNOW BG/NBD with Gamma-Gamma spend (weekly continuous
times). Each purchase model (BG/NBD, MBG/NBD, Pareto/NBD at their published CDNOW parameters)
scores every customer with ``relmark.clv.score`` in chunks of 500k: P(alive), expected
purchases in the next 52 weeks, expected spend, and CLV over 12 months at 1 % a month; the CLV
alone (``relmark.clv.clv``) is timed too. Peak memory is the peak of traced allocations (numpy
buffers included) while scoring, above the input arrays. lifetimes does the same up to
``--lifetimes-max`` customers, in the same run, and the ratio lifetimes/relmark is printed.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pandas as pd

from relmark.clv import BGNBD, MBGNBD, GammaGamma, ParetoNBD, clv, score
from relmark.clv._rfm import RFMModel

MODELS: dict[str, tuple[RFMModel, str, dict[str, float]]] = {
    "BGNBD": (
        BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426),
        "BetaGeoFitter",
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ),
    "MBGNBD": (
        MBGNBD(r=0.525, alpha=6.183, a=0.891, b=1.614),
        "ModifiedBetaGeoFitter",
        {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    ),
    "ParetoNBD": (
        ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
        "ParetoNBDFitter",
        {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    ),
}
GG = GammaGamma(p=6.25, q=3.74, gamma=15.44)
CHUNK = 500_000


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1], 1))


def run(model: RFMModel, x: Any, tx: Any, T: Any, m: Any) -> tuple[float, float, float]:
    """All four scores in one pass (``relmark.clv.score``), then the CLV alone; returns
    (seconds, seconds, peak MiB of the first)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    score(model, GG, x, tx, T, m, horizon=52.0, chunk_size=CHUNK)
    t_all = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    clv(model, GG, x, tx, T, m)
    t_clv = time.perf_counter() - t0
    return t_all, t_clv, peak / 2**20


def lifetimes_score(name: str, x: Any, tx: Any, T: Any, m: Any) -> tuple[float, float]:
    import lifetimes

    _, fitter_name, params = MODELS[name]
    fitter = getattr(lifetimes, fitter_name)()
    fitter.params_ = pd.Series(params)
    fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
    lgg = lifetimes.GammaGammaFitter()
    lgg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    spend = m + (x == 0)  # lifetimes refuses zero spend; CLV of x = 0 does not use it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fitter.conditional_probability_alive(x, tx, T)
        fitter.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T)
        lgg.conditional_expected_average_profit(x, spend)
        t_pred = time.perf_counter() - t0
        t0 = time.perf_counter()
        lgg.customer_lifetime_value(
            fitter, pd.Series(x), pd.Series(tx), pd.Series(T), pd.Series(spend), time=12, freq="W"
        )
        t_clv = time.perf_counter() - t0
    return t_pred, t_clv


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="scoring: relmark vs lifetimes")
    parser.add_argument("--sizes", default="1M")
    parser.add_argument("--models", default="BGNBD,MBGNBD,ParetoNBD")
    parser.add_argument("--lifetimes-max", default="100k")
    args = parser.parse_args(argv)
    truth = MODELS["BGNBD"][0]
    for n in (parse_size(s) for s in args.sizes.split(",")):
        rng = np.random.default_rng(n)
        d = truth.simulate(rng.uniform(27, 39, size=n), rng=rng)
        x, tx, T = d["frequency"], d["recency"], d["T"]
        m = GG.simulate(x, rng=rng)["monetary_value"]
        for name in args.models.split(","):
            model = MODELS[name][0].with_time_unit("W")
            t_all, t_clv, peak = run(model, x, tx, T, m)
            line = (
                f"n={n:>10,} {name:<9} relmark: all four scores {t_all:6.2f} s "
                f"(peak +{peak:5.0f} MiB), CLV alone {t_clv:6.2f} s"
            )
            if n <= parse_size(args.lifetimes_max):
                l_pred, l_clv = lifetimes_score(name, x, tx, T, m)
                line += (
                    f" | lifetimes: all four {l_pred + l_clv:6.2f} s "
                    f"({(l_pred + l_clv) / t_all:5.1f}x), "
                    f"CLV {l_clv:6.2f} s ({l_clv / t_clv:5.1f}x)"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
