"""Fit and predict: relmark against lifetimes on the same simulated customers, in one run.

Usage::

    python benchmarks/bench_fit.py --sizes 10k,100k,1M --lifetimes-max 100k

For each size and model it prints wall time (untraced; relmark: the median of ``--repeat`` fits,
lifetimes and PyMC-Marketing: one fit, after their imports), peak traced memory (a further run
under tracemalloc: numpy buffers included), the recovered parameters and the ratio
lifetimes/relmark.
Data are drawn from each model's own simulator with its published CDNOW parameters (Gamma-Gamma:
spend on BG/NBD frequencies), in two variants: continuous weekly times (like CDNOW; nearly every
row distinct) and whole days over two years (rows repeat, so relmark groups them). Timings are
measurements of this machine, never assertions.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import lifetimes
import numpy as np
import pandas as pd

from relmark.clv import MODELS, GammaGamma, get_model
from relmark.clv._rfm import RFMModel

PUBLISHED: dict[str, dict[str, float]] = {
    "BGNBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "MBGNBD": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "BGBB": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
}
LIFETIMES_FITTER = {
    "BGNBD": "BetaGeoFitter",
    "MBGNBD": "ModifiedBetaGeoFitter",
    "ParetoNBD": "ParetoNBDFitter",
    "BGBB": "BetaGeoBetaBinomFitter",
}


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1M' -> 1_000_000."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def measure(
    fn: Callable[[], Any], *, memory: bool = True, repeat: int = 1
) -> tuple[Any, float, float]:
    """Run ``fn`` timed (untraced) ``repeat`` times, then once more under tracemalloc for the
    peak memory.

    Returns the result, the median wall seconds and the peak traced MiB (NaN without
    ``memory``). Tracing slows numpy code with many temporaries, so it never runs during the
    timing.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    peak = float("nan")
    if memory:
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, float(np.median(times)), peak


def simulate(
    n: int, variant: str, rng: np.random.Generator, model: str = "BGNBD"
) -> dict[str, np.ndarray]:
    """Customers from ``model``'s own simulator at its published CDNOW parameters (Gamma-Gamma:
    BG/NBD frequencies; BG/BB: the published donation parameters of Fader, Hardie & Shang 2010,
    with 1 to 11 opportunities), with spend from the published Gamma-Gamma."""
    name = model if model in PUBLISHED else "BGNBD"
    truth = get_model(name)(**PUBLISHED[name])
    assert isinstance(truth, RFMModel)
    if name == "BGBB":  # discrete opportunities (both variants): cohorts of 1 to 11 years
        d = truth.simulate(rng.integers(1, 12, size=n).astype(float), rng=rng)
    elif variant == "weeks":
        T = rng.uniform(27.0, 39.0, size=n)
        d = truth.simulate(T, rng=rng)
    else:  # whole days over two years, expressed in days
        T_days = rng.integers(1, 730, size=n).astype(float)
        d = truth.simulate(T_days / 7.0, rng=rng)
        d = {
            "frequency": d["frequency"],
            "recency": np.ceil(d["recency"] * 7.0),
            "T": T_days,
        }
        d["recency"] = np.where(d["frequency"] > 0, np.minimum(d["recency"], T_days), 0.0)
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(d["frequency"], rng=rng)
    return {"frequency": d["frequency"], "recency": d["recency"], "T": d["T"], **spend}


def lifetimes_fit(name: str, data: dict[str, np.ndarray]) -> dict[str, float]:
    fitter = getattr(lifetimes, LIFETIMES_FITTER[name])()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(data["frequency"], data["recency"], data["T"])
    return {k: float(v) for k, v in fitter.params_.items()}


def lifetimes_gg(data: dict[str, np.ndarray]) -> dict[str, float]:
    buyers = data["frequency"] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = lifetimes.GammaGammaFitter().fit(
            data["frequency"][buyers], data["monetary_value"][buyers]
        )
    return {k: float(v) for k, v in fitter.params_.items()}


PYMC_MODELS = {
    "BGNBD": "BetaGeoModel",
    "MBGNBD": "ModifiedBetaGeoModel",
    "ParetoNBD": "ParetoNBDModel",
    "GammaGamma": "GammaGammaModel",
}


def pymc_available() -> bool:
    """PyMC-Marketing is not a relmark dependency: it is compared with only when installed."""
    import importlib.util

    return importlib.util.find_spec("pymc_marketing") is not None


def pymc_fit(name: str, data: dict[str, np.ndarray]) -> dict[str, float]:
    """PyMC-Marketing's MAP fit (model building and compilation included, as a user pays)."""
    from pymc_marketing import clv as pmc

    if name == "GammaGamma":
        buyers = data["frequency"] > 0
        frame = pd.DataFrame(
            {
                "customer_id": np.arange(int(buyers.sum())),
                "frequency": data["frequency"][buyers],
                "monetary_value": data["monetary_value"][buyers],
            }
        )
    else:
        n = data["frequency"].shape[0]
        frame = pd.DataFrame(
            {
                "customer_id": np.arange(n),
                "frequency": data["frequency"],
                "recency": data["recency"],
                "T": data["T"],
            }
        )
    model = getattr(pmc, PYMC_MODELS[name])(data=frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = model.fit(method="map", progressbar=False)
    post = idata.posterior
    return {k: float(post[k].values.ravel()[0]) for k in post.data_vars if post[k].size == 1}


def variants(text: str) -> list[str]:
    """The comma-separated data variants, each 'weeks' or 'days'."""
    out = [v.strip() for v in text.split(",")]
    for v in out:
        if v not in ("weeks", "days"):
            raise argparse.ArgumentTypeError(f"unknown variant {v!r}: use weeks and/or days")
    return out


def fmt(params: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in params.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--variants", default="weeks,days", type=variants)
    parser.add_argument("--models", default="BGNBD,MBGNBD,ParetoNBD,BGBB,GammaGamma")
    parser.add_argument(
        "--lifetimes-max", default="100k", help="largest size lifetimes is run at (it is slow)"
    )
    parser.add_argument(
        "--lifetimes-memory",
        action="store_true",
        help="also trace lifetimes' peak memory (runs each lifetimes fit twice)",
    )
    parser.add_argument(
        "--pymc",
        action="store_true",
        help="also time PyMC-Marketing's MAP fit (when pymc-marketing is installed)",
    )
    parser.add_argument("--pymc-max", default="1M", help="largest size PyMC-Marketing is run at")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="relmark fits timed per size and model (the median is reported; lifetimes and "
        "PyMC-Marketing, which take seconds to minutes, are timed once)",
    )
    args = parser.parse_args(argv)
    lt_max = parse_size(args.lifetimes_max)
    cpu = platform.processor() or "cpu"
    print(f"machine: {platform.machine()}, {cpu}, python {platform.python_version()}")
    rows = []
    for variant in args.variants:
        for size in [parse_size(s) for s in args.sizes.split(",")]:
            for name in args.models.split(","):
                if name not in MODELS:
                    print(f"{name}: not implemented, skipped")
                    continue
                data = simulate(size, variant, np.random.default_rng(size), name)
                cls = get_model(name)
                cols = {f: data[f] for f in cls.data_fields}
                model, t_rm, mem_rm = measure(partial(cls.fit, cols), repeat=args.repeat)
                t_lt = mem_lt = float("nan")
                lt_params: dict[str, float] = {}
                if size <= lt_max:
                    fit_lt = (
                        partial(lifetimes_gg, data)
                        if name == "GammaGamma"
                        else partial(lifetimes_fit, name, data)
                    )
                    lt_params, t_lt, mem_lt = measure(fit_lt, memory=args.lifetimes_memory)
                t_pm = float("nan")
                pm_params: dict[str, float] = {}
                if (
                    args.pymc
                    and name in PYMC_MODELS
                    and pymc_available()
                    and size <= parse_size(args.pymc_max)
                ):
                    pm_params, t_pm, _ = measure(partial(pymc_fit, name, data), memory=False)
                rows.append(
                    {
                        "variant": variant,
                        "customers": size,
                        "model": name,
                        "unique rows": model.fit_result.n_unique,
                        "relmark s": round(t_rm, 3),
                        "lifetimes s": round(t_lt, 3),
                        "ratio": round(t_lt / t_rm, 1) if t_lt == t_lt else "skipped",
                        "PyMC-Marketing MAP s": round(t_pm, 3),
                        "PyMC ratio": round(t_pm / t_rm, 1) if t_pm == t_pm else "skipped",
                        "relmark MiB": round(mem_rm, 1),
                        "lifetimes MiB": round(mem_lt, 1),
                    }
                )
                print(
                    f"[{variant} n={size:,}] {name}: relmark {t_rm:.3f}s ({fmt(model.params)})"
                    + (f"; lifetimes {t_lt:.3f}s ({fmt(lt_params)})" if lt_params else "")
                    + (f"; PyMC-Marketing MAP {t_pm:.3f}s ({fmt(pm_params)})" if pm_params else "")
                )
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
