"""The wider model family (issue 18) timed against the classic model each one extends.

Usage::

    python benchmarks/bench_family.py --sizes 100k,1M

Pairs: GGompertz/NBD against Pareto/NBD (purchases), BdW against sBG (retention), the
frequency-dependent Gamma-Gamma against the Gamma-Gamma (spend). Each model is fitted to data
drawn from its own simulator, in two variants: continuous weekly times (T uniform on 20-78 weeks,
nearly every row distinct) and whole days (the same customers in days: T uniform on 140-546
days, recency rounded up to whole days, so rows repeat and the fit groups them). Retention
data are whole periods by nature (12 periods), spend data are frequencies 1-14 with continuous
mean spend (one variant each).
Prints the wall time and the CPU time (all threads) of one fit, after a warm-up on 10,000
customers, and the estimates: on a shared machine the wall time also counts the other jobs, the
CPU time only this fit's work. Timings are measurements of the machine they run on, never
assertions.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from typing import Any

import numpy as np

from relmark.clv import SBG, BdW, FrequencyGammaGamma, GammaGamma, GGompertzNBD, ParetoNBD

PAIRS: list[tuple[Any, dict[str, float], Any, dict[str, float]]] = [
    (
        GGompertzNBD,
        {"r": 0.55, "alpha": 10.6, "b": 0.05, "s": 0.6, "beta": 0.5},
        ParetoNBD,
        {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    ),
    (BdW, {"alpha": 0.7, "beta": 1.2, "c": 1.4}, SBG, {"alpha": 0.704, "beta": 1.182}),
    (
        FrequencyGammaGamma,
        {"p": 6.25, "q": 3.74, "gamma": 15.44, "delta": 0.2},
        GammaGamma,
        {"p": 6.25, "q": 3.74, "gamma": 15.44},
    ),
]


def parse_size(text: str) -> int:
    """'100k' -> 100_000, '1M' -> 1_000_000."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def data_for(model: Any, n: int, variant: str, rng: np.random.Generator) -> dict[str, Any]:
    """Data simulated from ``model`` for ``n`` customers."""
    if model.kind == "retention":
        return dict(model.simulate(n, 12, rng=rng))
    if model.kind == "spend":
        return dict(model.simulate(rng.integers(1, 15, size=n), rng=rng))
    if variant == "continuous":
        return {
            k: v
            for k, v in model.simulate(rng.uniform(20.0, 78.0, n), rng=rng).items()
            if k != "alive"
        }
    # the same customers in days: scales (alpha; beta of the Pareto/NBD) times 7, b over 7
    daily = dict(model.params)
    daily["alpha"] *= 7.0
    if "b" in daily:
        daily["b"] /= 7.0
    else:
        daily["beta"] *= 7.0
    sim = type(model)(**daily).simulate(rng.integers(140, 547, n).astype(float), rng=rng)
    return {"frequency": sim["frequency"], "recency": np.ceil(sim["recency"]), "T": sim["T"]}


def fit_once(cls: Any, data: dict[str, Any]) -> tuple[Any, float, float]:
    """One fit of ``cls`` on ``data``: the model, its wall time and its CPU time."""
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a benchmark reports, it does not judge convergence
        model = cls.fit({k: data[k] for k in cls.data_fields})
    return model, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    """Run the benchmark and print one line per model, size and variant."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--only", default="", help="comma-separated model names")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    only = {s for s in args.only.split(",") if s}
    print(f"# {platform.platform()}, numpy {np.__version__}")
    print(
        "| model | extends | customers | data | fit s (CPU s) | classic fit s (CPU s) "
        "| ratio | estimates |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for new, new_params, old, old_params in PAIRS:
        if only and new.name not in only:
            continue
        truth_new, truth_old = new(**new_params), old(**old_params)
        for variant in ("whole days", "continuous"):
            if new.kind != "purchase" and variant == "continuous":
                continue  # retention and spend data do not have the two variants
            warm = data_for(truth_new, 10_000, variant, np.random.default_rng(0))
            fit_once(new, warm)
            fit_once(old, data_for(truth_old, 10_000, variant, np.random.default_rng(0)))
            for n in sizes:
                rng = np.random.default_rng(n)
                model, t_new, c_new = fit_once(new, data_for(truth_new, n, variant, rng))
                _, t_old, c_old = fit_once(old, data_for(truth_old, n, variant, rng))
                est = ", ".join(f"{k}={v:.3g}" for k, v in model.params.items())
                label = variant if new.kind == "purchase" else "(one kind)"
                print(
                    f"| {new.name} | {old.name} | {n:,} | {label} | {t_new:.2f} ({c_new:.2f}) | "
                    f"{t_old:.2f} ({c_old:.2f}) | {t_new / t_old:.1f} | {est} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
