"""Latency for services: one customer at a time, relmark against lifetimes.

Usage::

    python benchmarks/bench_latency.py

Prints microseconds per call (best of several repeats) for P(alive) and conditional expected
purchases of one customer (BG/NBD and Pareto/NBD), one customer's 12-month CLV (with
Gamma-Gamma spend), and loading a saved model from JSON.
"""

from __future__ import annotations

import timeit
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from relmark.clv import BGNBD, GammaGamma, ParetoNBD, clv, load_model

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PN = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def per_call_us(stmt: Callable[[], object]) -> float:
    """Best of five repeats of as many calls as take about 0.2 s (microseconds per call)."""
    number, _ = timeit.Timer(stmt).autorange()
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def lifetimes_clv(purchases: Any, spend: Any, x: float, tx: float, T: float, m: float) -> Any:
    """lifetimes' 12-month CLV of one customer (monthly periods of 4.345 weeks, 1 % a month)."""
    purchases.predict = purchases.conditional_expected_number_of_purchases_up_to_time
    one = [pd.Series([v]) for v in (x, tx, T, m)]
    return spend.customer_lifetime_value(purchases, *one, time=12, discount_rate=0.01, freq="W")


def main() -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    warnings.simplefilter("ignore")
    bg, pn = BGNBD(**BG).with_time_unit("W"), ParetoNBD(**PN).with_time_unit("W")
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    lbg, lpn = BetaGeoFitter(), ParetoNBDFitter()
    lbg.params_, lpn.params_ = pd.Series(BG), pd.Series(PN)
    lgg = GammaGammaFitter()
    lgg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    text = BGNBD.fit(frequency=[0, 1, 2, 5], recency=[0, 3, 10, 30], T=[40, 40, 40, 40]).to_json()
    rows = [
        (
            "BG/NBD P(alive)",
            lambda: bg.p_alive(2, 30.43, 38.86),
            lambda: lbg.conditional_probability_alive(2, 30.43, 38.86),
        ),
        (
            "BG/NBD E[purchases 39w]",
            lambda: bg.conditional_expected_purchases(2, 30.43, 38.86, t=39),
            lambda: lbg.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86),
        ),
        (
            "Pareto/NBD P(alive)",
            lambda: pn.p_alive(26, 30.86, 31),
            lambda: lpn.conditional_probability_alive(26, 30.86, 31),
        ),
        (
            "Pareto/NBD E[purchases 52w]",
            lambda: pn.conditional_expected_purchases(26, 30.86, 31, t=52),
            lambda: lpn.conditional_expected_number_of_purchases_up_to_time(52, 26, 30.86, 31),
        ),
        (
            "BG/NBD CLV 12 months",
            lambda: clv(bg, gg, 2, 30.43, 38.86, 22.35),
            lambda: lifetimes_clv(lbg, lgg, 2, 30.43, 38.86, 22.35),
        ),
        (
            "Pareto/NBD CLV 12 months",
            lambda: clv(pn, gg, 26, 30.86, 31, 22.35),
            lambda: lifetimes_clv(lpn, lgg, 26, 30.86, 31, 22.35),
        ),
        ("load model from JSON", lambda: load_model(text), None),
    ]
    print(f"{'task':<32}{'relmark us':>12}{'lifetimes us':>14}")
    for name, ours, theirs in rows:
        t_ours = per_call_us(ours)
        t_theirs = per_call_us(theirs) if theirs is not None else float("nan")
        print(f"{name:<32}{t_ours:>12.1f}{t_theirs:>14.1f}")


if __name__ == "__main__":
    main()
