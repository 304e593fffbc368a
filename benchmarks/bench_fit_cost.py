"""Fit cost in units of one full-data evaluation, for every registered model (issue 21 item 5).

Usage::

    python benchmarks/bench_fit_cost.py --size 1M --models BGNBD,MBGNBD,ParetoNBD,GammaGamma
    python benchmarks/bench_fit_cost.py --size 1M --models BGNBD,MBGNBD --seeds 12

A fit costs at least the full-data log-likelihood and gradient evaluations that confirm its
optimum and give its standard errors. This script instruments the engine's objective
(``relmark.clv._engine._objective``): every call of the objective is counted with the number of
rows it evaluated, so a fit's work is reported as

- ``full evals``: objective calls on the full data (value and gradient; ``+H`` those that also
  built the Hessian in the same pass);
- ``row units``: all rows evaluated (subsamples included) divided by the full data's rows;
- ``time units``: the fit's wall time divided by the time of one full-data value-and-gradient
  evaluation at the estimates (median of 5), the measure the issue's targets are stated in;
- ``CPU units``: the same ratio of process CPU times (steadier on a shared machine; for
  Pareto/NBD, whose blocks run on all cores, the two differ);
- ``units of a per-customer evaluation``: the fit's wall time divided by one evaluation on a
  row per customer (what a fit without grouping evaluates; the same as ``time units`` when
  every row is distinct). On whole-day data relmark groups the 1M customers into a few hundred
  thousand distinct rows first: that grouping reads every row, and an evaluation on the
  grouped rows is 3x cheaper, so both units are shown.

Data: those of ``bench_fit.py`` for the models it covers; for the others, each model's own
simulator at parameters fitted to 20,000 customers drawn from BG/NBD at its published CDNOW
parameters (spend from the published Gamma-Gamma; SBG/BdW: 12 periods), in
two variants: continuous weekly times (every row distinct) and whole days over two years (rows
repeat; relmark groups them). Timings are measurements of this machine, never assertions.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import bench_fit
import numpy as np

import relmark.clv._engine as engine
from relmark.clv import BGNBD, MODELS, GammaGamma, get_model

Counter = dict[str, Any]


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1M' -> 1_000_000."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def instrument(counter: Counter) -> Callable[..., Any]:
    """Wrap ``_engine._objective`` so every evaluation is counted (calls and rows; those that
    also build the Hessian apart)."""
    original = engine._objective

    def wrapped(lik: Any, pset: Any, data: Any, weights: Any, *args: Any, **kw: Any) -> Any:
        obj: Any = original(lik, pset, data, weights, *args, **kw)
        rows = int(weights.shape[0])
        counter["objectives"].append((rows, (lik, pset, data, weights, args)))
        if not hasattr(obj, "_evaluate"):  # an engine whose objective is a plain function

            def counted(*a: Any) -> Any:
                counter["calls"].append((rows, False))
                return obj(*a)

            return counted
        evaluate, hessian = obj._evaluate, obj.hessian

        def counted_evaluate(*a: Any) -> Any:
            counter["calls"].append((rows, False))
            return evaluate(*a)

        def counted_hessian(*a: Any) -> Any:
            counter["calls"].append((rows, True))
            return hessian(*a)

        obj._evaluate = counted_evaluate
        obj.hessian = counted_hessian
        return obj

    engine._objective = wrapped
    return original


def simulate(name: str, n: int, variant: str, rng: np.random.Generator) -> dict[str, Any]:
    """``n`` customers from model ``name`` at parameters fitted to BG/NBD-drawn customers."""
    base = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    cls: Any = get_model(name)

    def rfm(m: int) -> dict[str, np.ndarray]:
        if variant == "weeks":
            return base.simulate(rng.uniform(27.0, 39.0, size=m), rng=rng)
        t_days = rng.integers(1, 730, size=m).astype(float)
        d = base.simulate(t_days / 7.0, rng=rng)
        rec = np.where(d["frequency"] > 0, np.minimum(np.ceil(d["recency"] * 7.0), t_days), 0.0)
        return {"frequency": d["frequency"], "recency": rec, "T": t_days}

    fields = cls.data_fields
    if name in bench_fit.PUBLISHED or name == "GammaGamma":  # the data of bench_fit.py
        d = bench_fit.simulate(n, variant, rng, name)
        return {f: d[f] for f in fields}
    if "lifetime" in fields:
        periods = 12
        seed_truth: Any = get_model("SBG")(alpha=0.704, beta=1.182)
        small = seed_truth.simulate(20_000, periods, rng=rng)
        truth = cls.fit({f: small[f] for f in fields})
        out = truth.simulate(n, periods, rng=rng)
        return {f: out[f] for f in fields}
    if "monetary_value" in fields:
        d = rfm(20_000)
        small = GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate(d["frequency"], rng=rng)
        small["frequency"] = d["frequency"]
        truth = cls.fit({f: small[f] for f in fields})
        freq = rfm(n)["frequency"]
        out = truth.simulate(freq, rng=rng)
        out["frequency"] = freq
        return {f: out[f] for f in fields}
    small = rfm(20_000)
    if "sum_log_interpurchase" in fields:
        small = cls(r=1.2, alpha=5.0, a=0.8, b=2.5, k=3).simulate(small["T"], rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = cls.fit({f: small[f] for f in fields})
    T = rfm(n)["T"]
    out = truth.simulate(T, rng=rng)
    if variant == "days" and "sum_log_interpurchase" not in fields:
        rec = np.where(out["frequency"] > 0, np.minimum(np.ceil(out["recency"]), T), 0.0)
        out["recency"] = rec
    return {f: out[f] for f in fields}


def one_fit(cls: Any, cols: dict[str, Any]) -> tuple[Any, float, Counter]:
    counter: Counter = {"calls": [], "objectives": []}
    original = instrument(counter)
    try:
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        model = cls.fit(cols)
        wall = time.perf_counter() - t0
        counter["cpu"] = time.process_time() - c0
    finally:
        engine._objective = original
    return model, wall, counter


def evaluation_time(
    counter: Counter, full_rows: int, res: Any, *, per_customer: bool = False
) -> tuple[float, float]:
    """Median wall and CPU time of one full-data value-and-gradient evaluation at the
    estimates (the objective rebuilt as the fit built it, with its own thread pool).

    ``per_customer``: the evaluation on one row per customer instead (the grouped rows
    repeated by their counts), what a fit without grouping would evaluate."""
    lik, pset, data, weights, args = next(o for r, o in counter["objectives"] if r == full_rows)
    if per_customer:
        counts = np.rint(weights).astype(np.intp)
        data = tuple(np.repeat(d, counts) for d in data)
        weights = np.ones(int(counts.sum()))
    u = res.param_set.to_unconstrained(res.params_array)
    times, cpu = [], []
    with engine._thread_pool(lik, weights.shape[0]) as pool, engine.one_blas_thread():
        fun = engine._objective(lik, pset, data, weights, args[0], pool, *args[2:])
        for _ in range(5):
            c0, t0 = time.process_time(), time.perf_counter()
            fun(u)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return float(np.median(times)), float(np.median(cpu))


def count_passes(args: argparse.Namespace, n: int) -> None:
    """Full-data passes (and the distance of the first one from the optimum) over
    ``args.seeds`` data sets per model and variant (seeds 100, 101, ...): how often a fit
    needs more than the two passes of the finish."""
    print("| data | model | data sets | full passes: data sets | converged |")
    print("|---|---|---|---|---|")
    for variant in args.variants.split(","):
        for name in args.models.split(","):
            cls = get_model(name)
            if "lifetime" in cls.data_fields and variant == "days":
                continue
            passes: list[int] = []
            converged = 0
            for seed in range(args.seeds):
                data = simulate(name, n, variant, np.random.default_rng(100 + seed))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model, _, counter = one_fit(cls, data)
                full_rows = max(r for r, _ in counter["objectives"])
                passes.append(sum(1 for r, _ in counter["calls"] if r == full_rows))
                converged += bool(model.fit_result.converged)
            counts = ", ".join(f"{k}: {passes.count(k)}" for k in sorted(set(passes)))
            print(f"| {variant} | {name} | {args.seeds} | {counts} | {converged} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--variants", default="weeks,days")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--repeat", type=int, default=3, help="fits timed (median reported)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=0,
        help="instead of timing: count the full-data passes of fits on this many data sets",
    )
    args = parser.parse_args(argv)
    n = parse_size(args.size)
    if args.seeds:
        count_passes(args, n)
        return
    rows: list[str] = []
    # the load average: on a shared machine the wall times measure the share of the cores
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    header = (
        "| data | model | distinct rows | fit s | one evaluation ms | full evals (+H) "
        "| row units | time units | CPU units | units of a per-customer evaluation |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|---|---|---|")
    for variant in args.variants.split(","):
        for name in args.models.split(","):
            cls = get_model(name)
            if "lifetime" in cls.data_fields and variant == "days":
                continue
            data = simulate(name, n, variant, np.random.default_rng(7))
            fits = [one_fit(cls, data) for _ in range(args.repeat)]
            wall = float(np.median([f[1] for f in fits]))
            cpu_fit = float(np.median([f[2]["cpu"] for f in fits]))
            model, _, counter = fits[-1]
            res = model.fit_result
            full_rows = max(r for r, _ in counter["objectives"])
            full = [c for c in counter["calls"] if c[0] == full_rows]
            n_hess = sum(1 for c in full if c[1])
            units_rows = sum(r for r, _ in counter["calls"]) / full_rows
            one, one_cpu = evaluation_time(counter, full_rows, res)
            grouped = res.n_unique < res.nobs
            each = one
            if grouped:
                each = evaluation_time(counter, full_rows, res, per_customer=True)[0]
            line = (
                f"| {variant} | {name} | {res.n_unique:,} | {wall:.3f} | {one * 1e3:.1f} "
                f"| {len(full)} ({n_hess}) | {units_rows:.2f} | {wall / one:.1f} "
                f"| {cpu_fit / max(one_cpu, 1e-9):.1f} | {wall / each:.1f} |"
            )
            rows.append(line)
            print(line, flush=True)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
