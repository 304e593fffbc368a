"""Latency for services: one customer at a time, relmark against lifetimes.

Usage::

    python benchmarks/bench_latency.py

Prints microseconds per call (best of several repeats) for P(alive) and conditional expected
purchases of one customer (BG/NBD and Pareto/NBD), one customer's 12-month CLV, and loading a
saved model from JSON.
"""

from __future__ import annotations

import timeit
import warnings

import pandas as pd

from relmark.clv import BGNBD, GammaGamma, ParetoNBD, clv, load_model

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PN = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def per_call_us(stmt: object, number: int = 2000) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    warnings.simplefilter("ignore")
    bg, pn = BGNBD(**BG).with_time_unit("W"), ParetoNBD(**PN)
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    lbg, lpn = BetaGeoFitter(), ParetoNBDFitter()
    lbg.params_, lpn.params_ = pd.Series(BG), pd.Series(PN)
    text = BGNBD.fit(frequency=[0, 1, 2, 5], recency=[0, 3, 10, 30], T=[40, 40, 40, 40]).to_json()
    rows = [
        (
            "BG/NBD P(alive)",
            lambda: bg.p_alive(2, 30.43, 38.86),
            lambda: lbg.conditional_probability_alive(2, 30.43, 38.86),
        ),
        (
            "BG/NBD E[purchases 39w]",
            lambda: bg.conditional_expected_purchases(39, 2, 30.43, 38.86),
            lambda: lbg.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86),
        ),
        (
            "Pareto/NBD P(alive)",
            lambda: pn.p_alive(26, 30.86, 31),
            lambda: lpn.conditional_probability_alive(26, 30.86, 31),
        ),
        (
            "Pareto/NBD E[purchases 52w]",
            lambda: pn.conditional_expected_purchases(52, 26, 30.86, 31),
            lambda: lpn.conditional_expected_number_of_purchases_up_to_time(52, 26, 30.86, 31),
        ),
        ("CLV 12 months (one customer)", lambda: clv(bg, gg, 2, 30.43, 38.86, 22.35), None),
        ("load model from JSON", lambda: load_model(text), None),
    ]
    print(f"{'task':<32}{'relmark us':>12}{'lifetimes us':>14}")
    for name, ours, theirs in rows:
        t_ours = per_call_us(ours)
        t_theirs = per_call_us(theirs) if theirs is not None else float("nan")
        print(f"{name:<32}{t_ours:>12.1f}{t_theirs:>14.1f}")


if __name__ == "__main__":
    main()
