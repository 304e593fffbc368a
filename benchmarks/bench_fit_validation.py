"""The pre-engine cost of a fit: everything :meth:`relmark.clv.CLVModel.fit` does before the
optimiser sees the data (issue 21 item 5).

Usage::

    python benchmarks/bench_fit_validation.py --size 1M --models BGNBD,MBGNBD --variants weeks

``CLVModel.fit`` checks its arguments, reads the columns (``_coerce``: ``as_float_array``,
``check_weights``, ``check_rfm``), groups identical rows when it pays (``_compress``), computes
start values and enters :func:`relmark.clv._engine.fit_mle`. This script replaces ``fit_mle``
(as seen by ``relmark.clv._base``) by a stub that stops the fit at its entry, so the time of a
stopped fit is the pre-engine time; the parts are timed on their own too. The data are those of
``bench_fit_cost.py`` (float64, contiguous columns in a dict). Timings are measurements of this
machine (median of ``--repeat`` runs), never assertions.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import bench_fit_cost
import numpy as np

import relmark.clv._base as base
from relmark.clv import get_model


class _StopError(Exception):
    """Raised by the stub at the engine's entry."""


def _stub(**_kw: Any) -> Any:
    raise _StopError


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and process CPU times of ``fn()`` in milliseconds (one warm-up run; the CPU
    time is the steadier on a shared machine)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu))


def stopped_fit(cls: Any, data: dict[str, Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            cls.fit(data)
        except _StopError:
            return
        raise AssertionError("the stub was not reached")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1M")
    parser.add_argument("--models", default="BGNBD,MBGNBD")
    parser.add_argument("--variants", default="weeks,days")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    n = bench_fit_cost.parse_size(args.size)
    print(f"load average {os.getloadavg()[0]:.2f}; wall ms (CPU ms), median of {args.repeat}")
    print(
        f"{'model':8} {'variant':8} {'rows':>9} {'pre-engine':>18} {'_coerce':>18} "
        f"{'_compress':>18}"
    )
    for name in args.models.split(","):
        cls: Any = get_model(name)
        for variant in args.variants.split(","):
            data = bench_fit_cost.simulate(name, n, variant, np.random.default_rng(7))
            with mock.patch.object(base, "fit_mle", _stub):
                pre = median_ms(stopped_fit(cls, data), args.repeat)
            coerce = median_ms(functools.partial(cls._coerce, data, None, {}), args.repeat)
            arrays, w = cls._coerce(data, None, {})
            compress = median_ms(functools.partial(cls._compress, arrays, w, None), args.repeat)
            cells = " ".join(f"{a:>8.2f} ({c:>6.2f})" for a, c in (pre, coerce, compress))
            print(f"{name:8} {variant:8} {n:>9,} {cells}")


if __name__ == "__main__":
    main()
