"""Benchmarks and evidence for the static covariate models (relmark.clv.covariates.static).

Run: ``.venv/bin/python benchmarks/bench_covariates.py [speed|recovery|coverage|all]``

- ``speed``: BG/NBD with 5 covariates on both processes (purchase, dropout_a, dropout_b: 15
  coefficients) and Pareto/NBD with 5 covariates on both processes (10 coefficients), 1M
  simulated customers each; the time of ``fit`` (targets: 3 s and 10 s on 2 cores).
- ``recovery``: 100k customers, estimates against the truth in standard errors.
- ``coverage``: the share of 95 % intervals that hold the true value over repeated simulations
  (``--reps``, default 100 of 10k customers), per coefficient and overall.

Numbers are printed; nothing is asserted (tests never assert timings).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

from relmark.clv.covariates import CovariateBGNBD, CovariateParetoNBD

NAMES = [f"z{j}" for j in range(5)]


def covariates(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Two 0/1 indicators and three standard normal covariates."""
    cols = {
        "z0": rng.integers(0, 2, n).astype(float),
        "z1": (rng.random(n) < 0.3).astype(float),
    }
    for j in (2, 3, 4):
        cols[f"z{j}"] = rng.normal(0.0, 1.0, n)
    return pd.DataFrame(cols)


def truth_bg() -> CovariateBGNBD:
    eff_p = [0.4, -0.3, 0.2, 0.0, -0.1]
    eff_a = [0.3, 0.0, -0.2, 0.1, 0.0]
    eff_b = [-0.2, 0.2, 0.0, 0.1, -0.1]
    coefs = {f"purchase:{n}": e for n, e in zip(NAMES, eff_p, strict=True)}
    coefs |= {f"dropout_a:{n}": e for n, e in zip(NAMES, eff_a, strict=True)}
    coefs |= {f"dropout_b:{n}": e for n, e in zip(NAMES, eff_b, strict=True)}
    return CovariateBGNBD(
        params={"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 2.5},
        coefficients=coefs,
        covariates={"purchase": NAMES, "dropout": NAMES},
    )


def truth_pnbd() -> CovariateParetoNBD:
    eff_p = [0.4, -0.3, 0.2, 0.0, -0.1]
    eff_d = [0.3, 0.0, -0.2, 0.1, 0.0]
    coefs = {f"purchase:{n}": e for n, e in zip(NAMES, eff_p, strict=True)}
    coefs |= {f"dropout:{n}": e for n, e in zip(NAMES, eff_d, strict=True)}
    return CovariateParetoNBD(
        params={"r": 0.8, "alpha": 6.0, "s": 0.6, "beta": 9.0},
        coefficients=coefs,
        covariates={"purchase": NAMES, "dropout": NAMES},
    )


def simulate(model: CovariateBGNBD | CovariateParetoNBD, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = covariates(n, rng)
    # whole weeks of age, as a weekly summary of daily data would give (times in weeks)
    T = np.round(rng.uniform(26.0, 78.0, n) * 7.0) / 7.0
    sim = model.simulate(z, T=T, rng=rng)
    rec = np.minimum(np.ceil(sim["recency"] * 7.0) / 7.0, T)
    return pd.concat(
        [pd.DataFrame({"frequency": sim["frequency"], "recency": rec, "T": T}), z], axis=1
    )


def fit(model: CovariateBGNBD | CovariateParetoNBD, df: pd.DataFrame) -> tuple[float, object]:
    t0 = time.perf_counter()
    fitted = type(model).fit(df, purchase_covariates=NAMES, dropout_covariates=NAMES)
    return time.perf_counter() - t0, fitted


def load() -> str:
    """The machine's load (the development machine is shared: wall times inflate with it)."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def speed() -> None:
    for model in (truth_bg(), truth_pnbd()):
        df = simulate(model, 1_000_000, 1)
        before = load()
        cpu = time.process_time()
        seconds, fitted = fit(model, df)
        cpu = time.process_time() - cpu
        res = fitted.fit_result  # type: ignore[attr-defined]
        print(
            f"{model.name}: 1,000,000 customers, {res.k} estimates: fit {seconds:.2f} s wall, "
            f"{cpu:.2f} s CPU (converged {res.converged}, {res.n_iter} iterations; "
            f"{before} before, {load()} after)"
        )


def recovery(n: int = 100_000) -> None:
    for model in (truth_bg(), truth_pnbd()):
        df = simulate(model, n, 2)
        seconds, fitted = fit(model, df)
        table = fitted.table()  # type: ignore[attr-defined]
        true = pd.Series({**model.params, **model.coefficients})
        z = (table["estimate"] - true) / table["std_error"]
        print(f"{model.name}: {n:,} customers, fit {seconds:.2f} s; (estimate - truth) / se:")
        print("  " + ", ".join(f"{k} {v:+.2f}" for k, v in z.items()))


def coverage(reps: int = 100, n: int = 10_000) -> None:
    for model in (truth_bg(), truth_pnbd()):
        true = pd.Series({**model.params, **model.coefficients})
        hits = pd.Series(0.0, index=true.index)
        for rep in range(reps):
            _, fitted = fit(model, simulate(model, n, 1000 + rep))
            table = fitted.table()  # type: ignore[attr-defined]
            hits += ((table["lower"] <= true) & (true <= table["upper"])).astype(float)
        share = hits / reps
        coefs = share[list(model.coefficients)]
        print(
            f"{model.name}: 95% intervals over {reps} simulations of {n:,} customers: "
            f"coefficients {coefs.mean():.3f} (min {coefs.min():.2f}, max {coefs.max():.2f}), "
            f"parameters {share[list(model.params)].mean():.3f}"
        )


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "speed"
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    if what in ("speed", "all"):
        speed()
    if what in ("recovery", "all"):
        recovery()
    if what in ("coverage", "all"):
        coverage(reps)
