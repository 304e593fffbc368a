"""Inference and history predictions: bootstrap coverage and cost, LR-test size, and the speed
of Pareto/NBD's conditional P(n purchases) at a million customers.

Usage::

    python benchmarks/bench_inference.py [--sets 200] [--boot 100] [--lr-sets 1000]

Prints:

- the coverage of 90 % bootstrap percentile intervals (BG/NBD, 1,500 customers, 100 resamples)
  and of the asymptotic (Wald on the log scale) intervals over repeated simulations from a
  known truth, and the seconds per bootstrap with 1 and 2 threads;
- the rejection rate of the 5 % likelihood-ratio test of a true restriction (its size);
- seconds for Pareto/NBD's conditional P(n) of a million whole-day customers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from relmark.clv import BGNBD, ParetoNBD, bootstrap, likelihood_ratio_test

TRUE = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


def coverage(n_sets: int, n_boot: int) -> None:
    hits_boot = dict.fromkeys(TRUE.params, 0)
    hits_wald = dict.fromkeys(TRUE.params, 0)
    for seed in range(n_sets):
        sim = TRUE.simulate(np.full(1500, 39.0), rng=1000 + seed)
        model = BGNBD.fit(sim)
        boot = bootstrap(model, sim, n_boot=n_boot, rng=seed).conf_int(0.9)
        wald = model.fit_result.conf_int(0.9)
        for name, value in TRUE.params.items():
            hits_boot[name] += boot[name][0] <= value <= boot[name][1]
            hits_wald[name] += wald[name][0] <= value <= wald[name][1]
    print(f"90 % intervals over {n_sets} simulated data sets of 1,500 customers:")
    for name in TRUE.params:
        print(
            f"  {name:6s} bootstrap {hits_boot[name] / n_sets:.2f}   "
            f"asymptotic {hits_wald[name] / n_sets:.2f}"
        )


def bootstrap_speed() -> None:
    sim = TRUE.simulate(np.full(100_000, 39.0), rng=1)
    model = BGNBD.fit(sim)
    for jobs in (1, 2):
        start = time.perf_counter()
        bootstrap(model, sim, n_boot=100, rng=1, n_jobs=jobs)
        print(
            f"bootstrap, 100k customers, 100 resamples, n_jobs={jobs}: "
            f"{time.perf_counter() - start:.2f} s"
        )


def lr_size(n_sets: int) -> None:
    rejected = 0
    for seed in range(n_sets):
        sim = TRUE.simulate(np.full(1000, 39.0), rng=5000 + seed)
        full = BGNBD.fit(sim)
        restricted = BGNBD.fit(sim, fixed={"r": 0.243, "a": 0.793})
        rejected += likelihood_ratio_test(restricted, full, sim).p_value < 0.05
    print(
        f"LR test of a true restriction (df 2), 5 % level: rejects {rejected / n_sets:.3f} "
        f"of {n_sets}"
    )


def conditional_speed() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    x = rng.integers(0, 15, n).astype(float)
    T = rng.integers(1, 273, n).astype(float)
    tx = np.where(x > 0, np.maximum(np.floor(T * rng.uniform(0, 1, n)), 1.0), 0.0)
    T = np.maximum(T, tx)
    model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    start = time.perf_counter()
    model.conditional_prob_purchases(1, x, tx, T, t=39.0)
    print(
        f"Pareto/NBD conditional P(n), 1M whole-day customers: {time.perf_counter() - start:.2f} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=200, help="simulated data sets (coverage)")
    parser.add_argument("--boot", type=int, default=100, help="resamples per bootstrap")
    parser.add_argument("--lr-sets", type=int, default=1000, help="data sets for the LR size")
    args = parser.parse_args(argv)
    coverage(args.sets, args.boot)
    lr_size(args.lr_sets)
    bootstrap_speed()
    conditional_speed()


if __name__ == "__main__":
    main()
