"""Scoring many customers: P(alive), expected purchases, expected spend and 12-month CLV.

Usage::

    python benchmarks/bench_score.py --sizes 1M,10M

Customers are drawn from the published CDNOW BG/NBD and Gamma-Gamma; relmark scores them in
bounded chunks (peak memory reported from the process's resident set), lifetimes up to
``--lifetimes-max`` customers.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import pandas as pd

from relmark.clv import BGNBD, GammaGamma, clv


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1], 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="scoring: relmark vs lifetimes")
    parser.add_argument("--sizes", default="1M")
    parser.add_argument("--lifetimes-max", default="100k")
    args = parser.parse_args(argv)
    bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    for n in (parse_size(s) for s in args.sizes.split(",")):
        rng = np.random.default_rng(n)
        d = bg.simulate(rng.uniform(27, 39, size=n), rng=rng)
        x, tx, T = d["frequency"], d["recency"], d["T"]
        m = gg.simulate(x, rng=rng)["monetary_value"]
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        chunk = 500_000
        for lo in range(0, n, chunk):
            sl = slice(lo, lo + chunk)
            bg.p_alive(x[sl], tx[sl], T[sl])
            bg.conditional_expected_purchases(52, x[sl], tx[sl], T[sl])
            gg.expected_spend(x[sl], m[sl])
        t_pred = time.perf_counter() - t0
        t0 = time.perf_counter()
        clv(bg, gg, x, tx, T, m)
        t_clv = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
        line = (
            f"n={n:>10,}  relmark: predictions {t_pred:.2f} s, CLV 12m {t_clv:.2f} s, "
            f"peak +{peak:.0f} MiB"
        )
        if n <= parse_size(args.lifetimes_max):
            from lifetimes import BetaGeoFitter, GammaGammaFitter

            lbg, lgg = BetaGeoFitter(), GammaGammaFitter()
            lbg.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
            lbg.predict = lbg.conditional_expected_number_of_purchases_up_to_time
            lgg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                lbg.conditional_probability_alive(x, tx, T)
                lbg.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T)
                lgg.conditional_expected_average_profit(x, m + (x == 0))
                t_lp = time.perf_counter() - t0
                t0 = time.perf_counter()
                lgg.customer_lifetime_value(
                    lbg,
                    pd.Series(x),
                    pd.Series(tx),
                    pd.Series(T),
                    pd.Series(m + (x == 0)),
                    time=12,
                    freq="W",
                )
                t_lc = time.perf_counter() - t0
            line += f"; lifetimes: predictions {t_lp:.2f} s, CLV {t_lc:.2f} s"
        print(line)


if __name__ == "__main__":
    main()
