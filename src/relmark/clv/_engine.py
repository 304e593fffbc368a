"""One maximum-likelihood engine for every model.

The engine maximises a weighted sum of per-row log-likelihoods over unconstrained parameters
(see :mod:`relmark.clv._params`), with an analytic gradient when the model supplies one:

1. L-BFGS-B from data-based start values, on the log-likelihood per customer (well scaled);
2. Newton steps with a finite-difference Hessian of the gradient until the Newton decrement
   :math:`g^\\top H^{-1} g/2` (the log-likelihood still to gain) is negligible;
3. convergence is judged by that decrement and the gradient norm, never by an optimiser's
   success flag (L-BFGS-B often reports "ABNORMAL_TERMINATION_IN_LNSRCH" at a perfect optimum);
4. the covariance is the inverse Hessian on the unconstrained scale; the fit result maps it to
   the natural scale by the delta method.

Large data (over 30,000 distinct rows) start from subsamples of 10k, 100k, ... rows, stratified
by frequency and recency (or spend); each level's optimum and Hessian steer Newton steps on the
next, and the full-data Hessian used for the covariance is computed within 0.02 standard errors
of the estimates. Likelihoods whose rows share costly terms declare them (:class:`SharedTerms`)
and the engine computes them once per distinct key.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from relmark._validation import FloatArray
from relmark.clv._params import ParamSet
from relmark.clv._result import FitResult
from relmark.errors import ConvergenceError, ConvergenceWarning

__all__ = ["Likelihood", "LogPrior", "SharedTerms", "fit_mle", "one_blas_thread", "restrict"]

LogLik = Callable[..., FloatArray]
"""``log_likelihood(params, *data) -> per-row log-likelihood``."""

LogLikGrad = Callable[..., FloatArray]
"""``grad(params, *data) -> (n_rows, k)`` array of per-row gradients on the natural scale."""

LogLikAndGrad = Callable[..., tuple[FloatArray, FloatArray]]
"""``value_and_grad(params, *data) -> (rows, (n_rows, k) gradients)``, sharing work."""


LogPrior = Callable[[FloatArray], tuple[float, FloatArray]]
"""``log_prior(params) -> (sum of the log prior densities, gradient on the natural scale)``."""

Columns = tuple[npt.NDArray[Any], ...]
"""Data columns (float data, or integer indices into a table of distinct keys)."""


@dataclass(frozen=True)
class SharedTerms:
    """A likelihood whose costly terms depend on a few columns that many rows share.

    Pareto/NBD's hypergeometric terms depend on the pairs :math:`(x, t_x)` and :math:`(x, T)`
    only; on whole-day data a million customers hold a few thousand such pairs. The engine then
    computes the terms once per distinct key and gathers them into the rows:

    ``prepare(*data) -> (keys, rows)``
        once per data set: the distinct key columns, and the per-row columns the likelihood reads
        (typically indices into the keys);
    ``table(params, *keys) -> (n_keys, m)``
        every evaluation: whatever the rows need from each key;
    ``rows(params, table, *rows) -> (log-likelihood per row, (n_rows, k) gradients)``
        every evaluation, on blocks of rows.
    """

    prepare: Callable[..., tuple[Columns, Columns]]
    table: Callable[..., FloatArray]
    rows: Callable[..., tuple[FloatArray, FloatArray]]


@dataclass(frozen=True)
class Likelihood:
    """A model's likelihood as plain functions of (natural) parameters and data arrays.

    ``grad`` and ``value_and_grad`` are optional; without either the engine differentiates
    numerically. ``value_and_grad`` lets a model share the work of both (the fast path).
    """

    log_likelihood: LogLik
    grad: LogLikGrad | None = None
    value_and_grad: LogLikAndGrad | None = None
    expensive: bool = False
    """A compute-bound likelihood (Pareto/NBD): its blocks of rows are evaluated on all cores
    (1.4x on two; memory-bound ones such as BG/NBD gain nothing), and large fits start from a
    2,000-row subsample before the 10,000-row one (its L-BFGS iterations are the costly part)."""
    shared: SharedTerms | None = None
    """The fast path of a likelihood whose rows share costly terms (used for fitting instead of
    ``value_and_grad``, which must compute the same values)."""


def _objective(
    lik: Likelihood,
    pset: ParamSet,
    data: tuple[FloatArray, ...],
    weights: FloatArray,
    scale: float,
    pool: ThreadPoolExecutor | None = None,
    log_prior: LogPrior | None = None,
    prior_weight: float = 1.0,
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Negative weighted log-likelihood (plus ``prior_weight`` times the log prior, when there
    is one; divided by ``scale``) and its gradient in ``u``.

    Rows are evaluated in blocks of :data:`_BLOCK_ROWS`, so the likelihood's temporaries stay
    in cache (about twice as fast at a million rows as one pass over whole columns).
    """
    n_rows = weights.shape[0]
    shared = lik.shared
    keys: Columns = ()
    row_data: Columns = data
    if shared is not None:
        keys, row_data = shared.prepare(*data)
    key_blocks = [
        tuple(k[lo : lo + _BLOCK_ROWS] for k in keys)
        for lo in range(0, keys[0].shape[0] if keys else 0, _BLOCK_ROWS)
    ]
    blocks = [
        (tuple(d[lo : lo + _BLOCK_ROWS] for d in row_data), weights[lo : lo + _BLOCK_ROWS])
        for lo in range(0, n_rows, _BLOCK_ROWS)
    ]

    def run(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if pool is not None and len(items) > 1:
            return list(pool.map(fn, items))
        return [fn(item) for item in items]

    def value(u: FloatArray) -> float:
        theta = pset.from_unconstrained(u)
        if not pset.contains(theta):
            return math.inf
        prior = 0.0 if log_prior is None else prior_weight * log_prior(theta)[0]
        return (
            -(
                sum(
                    float(np.einsum("i,i->", w, lik.log_likelihood(theta, *block)))
                    for block, w in blocks
                )
                + prior
            )
            / scale
        )

    def fun(u: FloatArray) -> tuple[float, FloatArray]:
        """The objective, or (+inf, NaN) where it is not a finite number: parameters rounded
        onto a bound by a far step, or data that the model fits ever better towards the edge
        of its domain (an unbounded likelihood). Line searches refuse such points; a Hessian
        that touches one is not finite, so no standard errors are reported from it."""
        theta = pset.from_unconstrained(u)
        refused = math.inf, np.full_like(u, np.nan)
        if not pset.contains(theta):
            return refused
        with np.errstate(all="ignore"):  # overflow at a refused trial point is not news
            f, g = evaluate(u, theta)
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return refused
        return f, g

    def evaluate(u: FloatArray, theta: FloatArray) -> tuple[float, FloatArray]:
        if lik.grad is None and lik.value_and_grad is None and shared is None:
            f = value(u)
            g = np.empty_like(u)
            for i in range(u.size):
                h = 1e-6 * max(1.0, abs(u[i]))
                e = np.zeros_like(u)
                e[i] = h
                g[i] = (value(u + e) - value(u - e)) / (2 * h)
            return f, g

        table: FloatArray | None = None
        if shared is not None:
            parts_k = run(lambda block: shared.table(theta, *block), key_blocks)
            table = parts_k[0] if len(parts_k) == 1 else np.concatenate(parts_k)

        def one(part: tuple[Columns, FloatArray]) -> tuple[float, FloatArray]:
            block, w = part
            if shared is not None:
                ll, grads = shared.rows(theta, table, *block)
            elif lik.value_and_grad is not None:
                ll, grads = lik.value_and_grad(theta, *block)
            else:
                assert lik.grad is not None
                ll, grads = lik.log_likelihood(theta, *block), lik.grad(theta, *block)
            # einsum, not BLAS: its threads cost more than they give here
            return float(np.einsum("i,i->", w, ll)), np.einsum("i,ij->j", w, grads)

        parts = run(one, blocks)
        total = 0.0
        g_theta = np.zeros_like(u)
        # summed in block order: the same result with or without threads
        for block_value, block_grad in parts:
            total += block_value
            g_theta += block_grad
        if log_prior is not None:
            lp, lp_grad = log_prior(theta)
            total += prior_weight * lp
            g_theta = g_theta + prior_weight * lp_grad
        return -total / scale, -g_theta / scale * pset.jacobian(u)

    return fun


def _hessian(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    *,
    g0: FloatArray | None = None,
) -> FloatArray:
    """Finite-difference Hessian of ``fun`` from its gradient, symmetrised.

    Central differences (2k gradients) by default; forward differences from the gradient
    ``g0`` at ``u`` (k gradients) when it is given.
    """
    k = u.size
    h_mat = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(u[i]))
        e = np.zeros(k)
        e[i] = h
        if g0 is None:
            h_mat[:, i] = (fun(u + e)[1] - fun(u - e)[1]) / (2 * h)
        else:
            h_mat[:, i] = (fun(u + e)[1] - g0) / h
    out: FloatArray = 0.5 * (h_mat + h_mat.T)
    return out


def _newton(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    f: float,
    g: FloatArray,
    hess: FloatArray,
    fresh: bool,
    nobs: float,
    gtol: float,
    lltol: float,
    max_steps: int = 12,
    at: FloatArray | None = None,
) -> tuple[FloatArray, float, FloatArray, FloatArray, bool, int, FloatArray | None]:
    """Damped Newton steps reusing ``hess`` (chord method) until the decrement is negligible.

    The Hessian is recomputed (central differences) only when a step fails to descend.
    Returns the new point, value, gradient, Hessian, whether that Hessian was computed at the
    current point, the number of steps taken, and the point where the Hessian was computed from
    ``fun`` (``at`` when it was not recomputed; None for a Hessian from elsewhere).
    """
    steps = 0
    for _ in range(max_steps):
        decrement = _decrement(hess, g, nobs)
        if 0 <= decrement <= 0.1 * lltol and float(np.max(np.abs(g))) <= gtol:
            break
        step = _solve(hess, g)
        accepted = False
        t = 1.0
        if step is not None and float(g @ step) > 0:  # a descent direction
            for _ls in range(30):
                f_new, g_new = fun(u - t * step)
                if np.isfinite(f_new) and f_new <= f - 1e-4 * t * float(g @ step):
                    accepted = True
                    break
                t *= 0.5
        if not accepted or step is None:
            if fresh:
                break  # no descent from a fresh Hessian: this is as good as it gets
            hess, fresh, at = _hessian(fun, u), True, u
            continue
        u, f, g = u - t * step, f_new, g_new
        steps += 1
        fresh = False
    return u, f, g, hess, fresh, steps, at


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's thread pools (inspected once; limiting them is then ~16 µs)."""
    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run a fit with one BLAS thread: its linear algebra is 4x4, and OpenBLAS workers woken
    by the optimiser (or by a dot product over the rows) spin on the other core and slow the
    likelihood about twofold at 100k rows (measured in ``benchmarks/bench_fit.py``)."""
    with _blas().limit(limits=1, user_api="blas"):
        yield


_BLOCK_ROWS = 32_768
"""Rows per block when evaluating a likelihood (cache-sized temporaries)."""

_WARM_ROWS = 10_000
"""Rows of the systematic subsample used to find start values for large data."""


def _solve(hess: FloatArray, g: FloatArray) -> FloatArray | None:
    try:
        step: FloatArray = np.asarray(np.linalg.solve(hess, g), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None
    return step if np.all(np.isfinite(step)) else None


_NEAR_OPTIMUM = 4e-4
"""Squared distance, in standard errors, within which a full-data Hessian stands for the one
at the optimum (0.02 SE: the Hessian changes by ~1e-3 of itself or less)."""


def _moved(hess: FloatArray, step: FloatArray, nobs: float) -> float:
    """Squared length of ``step`` in standard errors of the estimates (``hess`` per customer)."""
    return float(step @ hess @ step) * nobs


def _decrement(hess: FloatArray, g: FloatArray, nobs: float) -> float:
    """Newton decrement g'H^-1 g / 2 of the total log-likelihood (inf if H is singular)."""
    step = _solve(hess, g)
    return np.inf if step is None else 0.5 * float(g @ step) * nobs


def _stratified(data: tuple[FloatArray, ...]) -> npt.NDArray[np.intp]:
    """Row order by the first column (the frequency) and, within it, by bins of the second
    (recency, or mean spend): every k-th row of it is a subsample stratified by both, whose
    optimum lies closer to the full data's than that of every k-th row as given (at 100k
    customers, about two Newton steps fewer on the full data). One radix sort of 16-bit keys.
    """
    first = data[0]
    top = float(first.max(initial=0.0))
    if first.min(initial=0.0) < 0 or top >= 2**14 or not np.array_equal(first, np.floor(first)):
        out: npt.NDArray[np.intp] = np.argsort(first, kind="stable")
        return out
    bins = (2**15 - 1) // (int(top) + 1)  # keys up to 2**15 - 1: int16
    key = first.astype(np.int16) * np.int16(bins)
    if bins > 1 and len(data) > 1:
        second = data[1]
        lo, hi = float(second.min(initial=0.0)), float(second.max(initial=0.0))
        if hi > lo:
            scaled = (second - lo) * ((bins - 1) / (hi - lo))
            key += scaled.astype(np.int16)
    return np.argsort(key, kind="stable")


@contextlib.contextmanager
def _thread_pool(lik: Likelihood, n_rows: int) -> Iterator[ThreadPoolExecutor | None]:
    """A pool of threads for likelihoods that ask for one (on data of at least two blocks)."""
    workers = min(os.cpu_count() or 1, 8)
    if not lik.expensive or workers < 2 or n_rows < 2 * _BLOCK_ROWS:
        yield None
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relmark-fit") as pool:
        yield pool


def fit_mle(
    *,
    model: str,
    pset: ParamSet,
    lik: Likelihood,
    data: tuple[FloatArray, ...],
    weights: FloatArray,
    start: FloatArray,
    gtol: float = 1e-6,
    lltol: float = 1e-8,
    maxiter: int = 2000,
    extra: dict[str, Any] | None = None,
    quiet: bool = False,
    log_prior: LogPrior | None = None,
    stacklevel: int = 3,
) -> FitResult:
    """Maximise the weighted log-likelihood and return a :class:`FitResult`.

    Parameters
    ----------
    model
        Model name recorded in the result.
    pset
        The model's parameters (domains and transforms).
    lik
        Per-row log-likelihood and, optionally, its gradient.
    data
        Data arrays passed to the likelihood after the parameters.
    weights
        Count of customers each row stands for.
    start
        Start values on the natural scale.
    gtol
        Tolerance on the max-norm of the gradient of the log-likelihood *per customer* on the
        unconstrained scale.
    lltol
        Tolerance on the log-likelihood still to gain (Newton decrement of the total).
    extra
        Model-specific information stored in the result.
    quiet
        Do not warn about non-convergence (for exploratory fits whose result is checked).
    log_prior
        The log prior density and its gradient (natural scale): the fit then maximises the
        log posterior (a MAP fit); the result's ``log_likelihood`` is the log-likelihood alone
        at the estimates and ``extra["log_prior"]`` the log prior there.
    stacklevel
        Where a ConvergenceWarning points: 3 is the caller of the function calling this one.
    """
    with _thread_pool(lik, weights.shape[0]) as pool:
        nobs = float(weights.sum())
        u0 = pset.to_unconstrained(np.asarray(start, dtype=np.float64))
        n_rows = weights.shape[0]
        fun = _objective(lik, pset, data, weights, nobs, pool, log_prior)
        large = n_rows > 3 * _WARM_ROWS

        def check_finite(f: float, g: FloatArray, where: str) -> None:
            if not np.isfinite(f) or not np.all(np.isfinite(g)):
                raise ConvergenceError(f"{model}: the log-likelihood is not finite {where}")

        if not large:
            check_finite(*fun(u0), f"at the start values {start!r}")
        hess: FloatArray | None = None
        if large:
            # Large data: systematic subsamples of 10k, 100k, ... rows find the optimum's
            # neighbourhood and a Hessian good enough to steer Newton steps on the full data, at a
            # fraction of the cost. Each level starts from the previous level's optimum.
            sizes = [2_000, _WARM_ROWS] if lik.expensive else [_WARM_ROWS]
            while sizes[-1] * 30 <= n_rows:
                sizes.append(sizes[-1] * 10)
            u = u0
            order = _stratified(data)
            for level, size in enumerate(sizes):
                rows = order[:: n_rows // size]
                sub = tuple(d[rows] for d in data)
                w_sub = weights[rows]
                warm = _objective(
                    lik,
                    pset,
                    sub,
                    w_sub,
                    float(w_sub.sum()),
                    pool,
                    log_prior,
                    float(w_sub.sum()) / nobs,
                )
                if level == 0:
                    check_finite(*warm(u), f"at the start values {start!r}")
                    res = minimize(
                        warm, u, jac=True, method="L-BFGS-B", options={"maxiter": maxiter}
                    )
                    u = np.asarray(res.x, dtype=np.float64)
                    hess = _hessian(warm, u)
                else:
                    assert hess is not None
                    f_sub, g_sub = warm(u)
                    u, _, g_sub, hess, fresh_sub, _, _ = _newton(
                        warm, u, f_sub, g_sub, hess, False, float(w_sub.sum()), gtol, lltol, 4
                    )
                    if not fresh_sub:
                        hess = _hessian(warm, u, g0=g_sub)
            f, g = fun(u)
            check_finite(
                f,
                g,
                f"on the full data at the subsample's estimates {pset.from_unconstrained(u)!r}",
            )
        else:
            res = minimize(
                fun, u0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter, "gtol": 1e-12}
            )
            u = np.asarray(res.x, dtype=np.float64)
            f, g = fun(u)
        n_iter, n_fev = int(res.nit), int(res.nfev)
        fresh = hess is None
        at: FloatArray | None = None  # where the full-data Hessian was computed
        if hess is None:
            hess, at = _hessian(fun, u), u
        for _round in range(4):
            # A subsample's Hessian steers only the first few steps: when the parameters are weakly
            # identified it is too rough for fast convergence, and a full-data Hessian pays.
            u, f, g, hess, fresh, steps, at = _newton(
                fun,
                u,
                f,
                g,
                hess,
                fresh,
                nobs,
                gtol,
                lltol,
                max_steps=4 if _round == 0 else 12,
                at=at,
            )
            n_iter += steps
            if not large or fresh:
                break
            if at is not None and 0 <= _moved(hess, u - at, nobs) <= _NEAR_OPTIMUM:
                break  # a full-data Hessian from this close: good for the covariance too
            # The covariance needs the full-data Hessian at the optimum: forward differences of
            # the gradient (k evaluations) are accurate to ~1e-5 relative there.
            hess, fresh, at = _hessian(fun, u, g0=g), True, u
            if 0 <= _decrement(hess, g, nobs) <= lltol:
                break
        decrement = _decrement(hess, g, nobs)
        grad_norm = float(np.max(np.abs(g)))
        if np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) > 0):
            cov_u: FloatArray = np.linalg.inv(hess * nobs).astype(np.float64)
        else:
            cov_u = np.full_like(hess, np.nan)
            if not quiet:
                warnings.warn(
                    f"{model}: the Hessian at the estimates is not finite or not positive "
                    "definite; the parameters are not identified by these data and standard "
                    "errors are NaN",
                    ConvergenceWarning,
                    stacklevel=stacklevel,
                )
        converged = bool(grad_norm <= gtol and 0 <= decrement <= lltol)
        theta = pset.from_unconstrained(u)
        info = dict(extra or {})
        objective = -f * nobs  # the sum at the estimates, from the last evaluation
        if log_prior is not None:
            prior_at = float(log_prior(theta)[0])
            objective -= prior_at
            info["log_prior"] = prior_at
        if not converged and not quiet:
            warnings.warn(
                f"{model}: the fit did not converge (per-customer |gradient| {grad_norm:.2e}, "
                f"log-likelihood still to gain {decrement:.2e}); estimates {theta.tolist()}",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
        return FitResult(
            model=model,
            param_set=pset,
            params_array=theta,
            cov_unconstrained=cov_u,
            jacobian=pset.jacobian(u),
            log_likelihood=objective,
            nobs=round(nobs),
            n_unique=int(weights.size),
            converged=converged,
            grad_norm=grad_norm,
            log_likelihood_change=float(decrement),
            n_iter=n_iter,
            n_fev=n_fev,
            message=str(res.message),
            extra=info,
        )


def restrict(lik: Likelihood, k: int, fixed: dict[int, float]) -> Likelihood:
    """The likelihood of the free parameters with the others held at ``fixed`` values.

    Parameters
    ----------
    lik
        The model's likelihood in all ``k`` parameters.
    k
        The number of parameters.
    fixed
        Parameter index -> value for the parameters held fixed.

    Returns
    -------
    Likelihood
        The same functions taking the free parameters (in declaration order) and giving the
        gradient in them only.
    """
    free = np.array([i for i in range(k) if i not in fixed], dtype=np.intp)
    fixed_at = np.array(sorted(fixed), dtype=np.intp)
    fixed_values = np.array([fixed[i] for i in sorted(fixed)], dtype=np.float64)

    def full(theta: FloatArray) -> FloatArray:
        out = np.empty(k)
        out[free] = theta
        out[fixed_at] = fixed_values
        return out

    def log_likelihood(theta: FloatArray, *data: Any) -> FloatArray:
        return lik.log_likelihood(full(theta), *data)

    grad: LogLikGrad | None = None
    if lik.grad is not None:
        g_full = lik.grad

        def grad(theta: FloatArray, *data: Any) -> FloatArray:
            out: FloatArray = g_full(full(theta), *data)[:, free]
            return out

    value_and_grad: LogLikAndGrad | None = None
    if lik.value_and_grad is not None:
        vg_full = lik.value_and_grad

        def value_and_grad(theta: FloatArray, *data: Any) -> tuple[FloatArray, FloatArray]:
            v, g = vg_full(full(theta), *data)
            return v, g[:, free]

    shared: SharedTerms | None = None
    if lik.shared is not None:
        base = lik.shared

        def table(theta: FloatArray, *keys: Any) -> FloatArray:
            return base.table(full(theta), *keys)

        def rows(theta: FloatArray, tab: FloatArray, *cols: Any) -> tuple[FloatArray, FloatArray]:
            v, g = base.rows(full(theta), tab, *cols)
            return v, g[:, free]

        shared = SharedTerms(base.prepare, table, rows)
    return Likelihood(log_likelihood, grad, value_and_grad, lik.expensive, shared)
