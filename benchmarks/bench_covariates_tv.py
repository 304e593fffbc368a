"""Benchmark: Pareto/NBD with 3 time-varying covariates on both processes (issue 17 item 7).

100,000 customers x 104 weekly periods (10.4M covariate rows), simulated with known effects
by :func:`relmark.clv.covariates.timevarying.simulate`; times reading the long table, the
fit (with standard errors) and P(alive), and prints the estimates against the truth.
Target: the fit within 30 s on 2 cores. Run: ``.venv/bin/python benchmarks/bench_covariates_tv.py``
(``--customers N`` for a smaller run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from relmark.clv.covariates.timevarying import TimeVaryingCovariates, TimeVaryingParetoNBD, simulate

TRUTH = {"r": 0.8, "alpha": 8.0, "s": 0.7, "beta": 20.0}
EFFECTS_P = {"season": 0.4, "promo": 0.6, "price": -0.3}
EFFECTS_L = {"season": -0.3, "promo": 0.0, "price": 0.4}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=104)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--coverage",
        type=int,
        default=0,
        help="instead: this many replications of 2,000 customers x 30 periods, and the share "
        "of 95%% intervals covering the truth",
    )
    args = parser.parse_args()
    if args.coverage:
        coverage(args.coverage)
        return
    n, k = args.customers, args.periods
    rng = np.random.default_rng(2021)
    season = np.sin(np.arange(k) * 2 * np.pi / 52)
    table = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n), k),
            "period_start": np.tile(np.arange(k, dtype=float), n),
            "season": np.tile(season, n),
            "promo": (rng.uniform(size=n * k) < 0.2).astype(float),
            "price": rng.normal(size=n * k) * 0.5,
        }
    )
    names = list(EFFECTS_P)
    t0 = time.perf_counter()
    cov = TimeVaryingCovariates.from_frame(table, purchase=names, dropout=names)
    t_read = time.perf_counter() - t0
    T = rng.uniform(0.5 * k, k, n)
    sim = simulate(
        TRUTH,
        cov,
        T=T,
        observation_end=float(k),
        purchase_effects=EFFECTS_P,
        dropout_effects=EFFECTS_L,
        rng=rng,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    model = TimeVaryingParetoNBD.fit(
        sim["frequency"],
        sim["recency"],
        sim["T"],
        cov,
        observation_end=float(k),
        n_jobs=args.n_jobs,
    )
    t_fit, c_fit = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    model.p_alive(sim["frequency"], sim["recency"], sim["T"], cov, observation_end=float(k))
    t_pred = time.perf_counter() - t0
    print(f"customers {n:,} x periods {k}, 3 covariates on both processes")
    print(
        f"read table {t_read:.1f} s, fit {t_fit:.1f} s wall ({c_fit:.1f} s CPU over all "
        f"threads), p_alive {t_pred:.1f} s"
    )
    truth = {
        **TRUTH,
        **{f"purchase:{a}": b for a, b in EFFECTS_P.items()},
        **{f"dropout:{a}": b for a, b in EFFECTS_L.items()},
    }
    se = model.std_errors
    for label, value in zip(model.labels, model.estimates.tolist(), strict=True):
        print(
            f"  {label:<18} truth {truth[label]:>7.3f}  estimate {value:>8.4f}  se {se[label]:.4f}"
        )
    print(f"converged: {model.converged}")


def coverage(replications: int) -> None:
    """Share of 95% intervals that cover the truth over repeated simulations."""
    n, k = 2000, 30
    rng = np.random.default_rng(17)
    season = np.sin(np.arange(k) * 2 * np.pi / 26)
    hits: dict[str, int] = {}
    for _ in range(replications):
        table = pd.DataFrame(
            {
                "customer_id": np.repeat(np.arange(n), k),
                "period_start": np.tile(np.arange(k, dtype=float), n),
                "season": np.tile(season, n),
                "promo": (rng.uniform(size=n * k) < 0.25).astype(float),
            }
        )
        cov = TimeVaryingCovariates.from_frame(
            table, purchase=["season", "promo"], dropout=["season"]
        )
        truth = {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 12.0}
        effects = {"purchase:season": 0.4, "purchase:promo": 0.7, "dropout:season": -0.5}
        sim = simulate(
            truth,
            cov,
            T=rng.uniform(0.4 * k, k, n),
            observation_end=float(k),
            purchase_effects={"season": 0.4, "promo": 0.7},
            dropout_effects={"season": -0.5},
            rng=rng,
        )
        model = TimeVaryingParetoNBD.fit(
            sim["frequency"], sim["recency"], sim["T"], cov, observation_end=float(k)
        )
        for label, (lo, hi) in model.conf_int(0.95).items():
            value = {**truth, **effects}[label]
            hits[label] = hits.get(label, 0) + int(lo <= value <= hi)
    print(f"coverage of 95% intervals over {replications} replications (n={n}, {k} periods):")
    for label, count in hits.items():
        print(f"  {label:<18} {count / replications:.3f}")


if __name__ == "__main__":
    main()
