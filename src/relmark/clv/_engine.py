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

Large data (over 30,000 distinct rows) start from subsamples of 10k, 100k, ... rows (2k first for
likelihoods with an analytic Hessian or a costly one), stratified by frequency and recency (or
spend); each level's optimum and Hessian steer Newton steps on the next, and the full-data Hessian
used for the covariance is computed within 0.02 standard errors of the estimates. Likelihoods
whose rows share costly terms declare them (:class:`SharedTerms`) and the engine computes them
once per distinct key.

A likelihood with an analytic Hessian (``Likelihood.value_grad_hess``) is finished on large data
in two full-data passes: the gradient at the last subsample's optimum (one Newton step with the
subsample's Hessian, moved to that point by the change a 10,000-row probe measures), then value,
gradient and Hessian together at the new point. The last Newton step from there is taken
without a further pass when the Hessian's change along it, measured on the probe's two halves,
bounds its error far below the tolerance (see :func:`_predicted_finish`): the decrement then
proves the optimum, and the covariance comes from the Hessian of that pass plus that change.
Without an analytic Hessian the same finish takes one pass of forward differences of the
gradient (k + 1 evaluations) after the first step, when a 100k-row level steered it.

A fit reports its progress to an optional callback ``progress(stage, fraction)`` (monotone
fractions, the last call ``("done", 1.0)``); :func:`progress_callback` turns ``"tqdm"`` into a
progress bar.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
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
from scipy.special import expit
from threadpoolctl import ThreadpoolController

from relmark._validation import FloatArray
from relmark.clv._params import ParamSet
from relmark.clv._result import FitResult
from relmark.errors import ArgumentError, ConvergenceError, ConvergenceWarning

__all__ = [
    "Likelihood",
    "LogPrior",
    "Progress",
    "SharedTerms",
    "fit_mle",
    "one_blas_thread",
    "progress_callback",
    "restrict",
]

LogLik = Callable[..., FloatArray]
"""``log_likelihood(params, *data) -> per-row log-likelihood``."""

LogLikGrad = Callable[..., FloatArray]
"""``grad(params, *data) -> (n_rows, k)`` array of per-row gradients on the natural scale."""

LogLikAndGrad = Callable[..., tuple[FloatArray, FloatArray]]
"""``value_and_grad(params, *data) -> (rows, (n_rows, k) gradients)``, sharing work."""


LogLikGradHess = Callable[..., tuple[float, FloatArray, FloatArray]]
"""``value_grad_hess(params, weights, *data) -> (sum, (k,) gradient, (k, k) Hessian)``: the
weighted sums over the rows of the log-likelihood and its first and second derivatives on the
natural scale, in one pass."""

Progress = Callable[[str, float], None]
"""``progress(stage, fraction)``: called as a fit (or a bootstrap) advances; ``fraction`` rises
monotonically from 0 to 1 and the last call is ``("done", 1.0)``."""

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
    hessian: Callable[..., tuple[float, FloatArray, FloatArray]] | None = None
    """``hessian(params, table, weights, *rows) -> (sum, (k,) gradient, (k, k) Hessian)``:
    the weighted sums of :data:`LogLikGradHess` from the prepared rows (optional)."""
    hessian_table: Callable[..., FloatArray] | None = None
    """``hessian_table(params, *keys) -> (n_keys, m')``: the table ``hessian`` reads, when it
    needs more of each key than ``rows`` does (second derivatives; optional, ``table``
    otherwise). With it the prepared rows must be index arrays into the keys: the engine then
    computes it per block of rows, for the keys that block indexes (never all at once)."""
    hessian_sums: Callable[..., Columns] | None = None
    """``hessian_sums(weights, *rows) -> sums``: what ``hessian`` reads of a block that depends
    on the weights and the data only (Gamma-Gamma's customers per frequency and weighted
    constants: a third of its pass), computed once per block when the objective is built;
    ``hessian`` then receives them after the rows, ``hessian(params, table, weights, *rows,
    *sums)`` (optional; not with ``hessian_table``)."""


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
    value_grad_hess: LogLikGradHess | None = None
    """Weighted sums of the log-likelihood, its gradient and its analytic Hessian in one pass
    (optional; ``shared.hessian`` is used instead when the shared path has one). With it the
    engine needs no finite-difference Hessian and finishes large fits in two full-data passes."""
    cheap_hessian: bool = False
    """The analytic Hessian's pass costs no more than a value-and-gradient pass (Gamma-Gamma's):
    large fits then take their first full-data pass with it, an exact Newton step."""


class _Objective:
    """Negative weighted log-likelihood (plus ``prior_weight`` times the log prior, when there
    is one; divided by ``scale``) and its gradient in ``u``: ``objective(u) -> (f, g)``.

    Rows are evaluated in blocks of :data:`_BLOCK_ROWS`, so the likelihood's temporaries stay
    in cache (about twice as fast at a million rows as one pass over whole columns).
    :meth:`hessian` adds the Hessian in ``u`` in the same pass when the likelihood has one
    (:attr:`analytic`).
    """

    def __init__(
        self,
        lik: Likelihood,
        pset: ParamSet,
        data: tuple[FloatArray, ...],
        weights: FloatArray,
        scale: float,
        pool: ThreadPoolExecutor | None = None,
        log_prior: LogPrior | None = None,
        prior_weight: float = 1.0,
    ) -> None:
        self.lik, self.pset, self.scale, self.pool = lik, pset, scale, pool
        self.log_prior, self.prior_weight = log_prior, prior_weight
        n_rows = weights.shape[0]
        shared = lik.shared
        keys: Columns = ()
        row_data: Columns = data
        if shared is not None:
            keys, row_data = shared.prepare(*data)
        self.keys = keys
        self.key_blocks = [
            tuple(k[lo : lo + _BLOCK_ROWS] for k in keys)
            for lo in range(0, keys[0].shape[0] if keys else 0, _BLOCK_ROWS)
        ]
        self.blocks = [
            (tuple(d[lo : lo + _BLOCK_ROWS] for d in row_data), weights[lo : lo + _BLOCK_ROWS])
            for lo in range(0, n_rows, _BLOCK_ROWS)
        ]
        self.raw_blocks = self.blocks
        self.hessian_blocks = self.blocks
        if shared is not None and shared.hessian_sums is not None:
            sums = shared.hessian_sums
            self.hessian_blocks = [(block + sums(w, *block), w) for block, w in self.blocks]
        if shared is not None:
            self.raw_blocks = [
                (tuple(d[lo : lo + _BLOCK_ROWS] for d in data), weights[lo : lo + _BLOCK_ROWS])
                for lo in range(0, n_rows, _BLOCK_ROWS)
            ]
        self._buffers: dict[Callable[..., FloatArray], FloatArray] = {}
        self.analytic = (shared is not None and shared.hessian is not None) or (
            lik.value_grad_hess is not None
        )

    def _run(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if self.pool is not None and len(items) > 1:
            return list(self.pool.map(fn, items))
        return [fn(item) for item in items]

    def _value(self, u: FloatArray) -> float:
        theta = self.pset.from_unconstrained(u)
        if not self.pset.contains(theta):
            return math.inf
        lik = self.lik
        prior = 0.0 if self.log_prior is None else self.prior_weight * self.log_prior(theta)[0]
        total = sum(
            float(np.einsum("i,i->", w, lik.log_likelihood(theta, *block)))
            for block, w in self.blocks
        )
        return -(total + prior) / self.scale

    def __call__(self, u: FloatArray) -> tuple[float, FloatArray]:
        """The objective, or (+inf, NaN) where it is not a finite number: parameters rounded
        onto a bound by a far step, or data that the model fits ever better towards the edge
        of its domain (an unbounded likelihood). Line searches refuse such points; a Hessian
        that touches one is not finite, so no standard errors are reported from it."""
        theta = self.pset.from_unconstrained(u)
        refused = math.inf, np.full_like(u, np.nan)
        if not self.pset.contains(theta):
            return refused
        with np.errstate(all="ignore"):  # overflow at a refused trial point is not news
            f, g = self._evaluate(u, theta)
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return refused
        return f, g

    def _table(self, theta: FloatArray, *, second: bool = False) -> FloatArray | None:
        """The shared terms of every key, block by block, into one buffer kept for the
        objective's lifetime: a fresh table of a million keys is ~100 MB, and faulting in its
        pages on every evaluation cost more than computing it (0.37 s of 0.6 s at 1M rows)."""
        shared = self.lik.shared
        if shared is None:
            return None
        fn = shared.table
        if second and shared.hessian_table is not None:
            fn = shared.hessian_table
        if len(self.key_blocks) == 1:
            only: FloatArray = fn(theta, *self.key_blocks[0])
            return only
        buffer = self._buffers.get(fn)

        def one(item: tuple[int, Columns]) -> FloatArray | None:
            lo, block = item
            part: FloatArray = fn(theta, *block)
            if buffer is None:
                return part
            buffer[lo : lo + part.shape[0]] = part
            return None

        items = list(
            zip(
                range(0, _BLOCK_ROWS * len(self.key_blocks), _BLOCK_ROWS),
                self.key_blocks,
                strict=True,
            )
        )
        parts_k = self._run(one, items)
        if buffer is not None:
            return buffer
        out: FloatArray = np.concatenate(parts_k)
        self._buffers[fn] = out  # the first table becomes the buffer of the next ones
        return out

    def _evaluate(self, u: FloatArray, theta: FloatArray) -> tuple[float, FloatArray]:
        lik, shared = self.lik, self.lik.shared
        if lik.grad is None and lik.value_and_grad is None and shared is None:
            f = self._value(u)
            g = np.empty_like(u)
            for i in range(u.size):
                h = 1e-6 * max(1.0, abs(u[i]))
                e = np.zeros_like(u)
                e[i] = h
                g[i] = (self._value(u + e) - self._value(u - e)) / (2 * h)
            return f, g

        table = self._table(theta)

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

        parts = self._run(one, self.blocks)
        total = 0.0
        g_theta = np.zeros_like(u)
        # summed in block order: the same result with or without threads
        for block_value, block_grad in parts:
            total += block_value
            g_theta += block_grad
        if self.log_prior is not None:
            lp, lp_grad = self.log_prior(theta)
            total += self.prior_weight * lp
            g_theta = g_theta + self.prior_weight * lp_grad
        return -total / self.scale, -g_theta / self.scale * self.pset.jacobian(u)

    def hessian(self, u: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        r"""Objective, gradient and Hessian in ``u`` from one pass over the rows (the likelihood's
        analytic Hessian; the log prior's by central differences of its gradient).

        The chain rule for :math:`\theta_i = \theta_i(u_i)`:
        :math:`H_u = J H_\theta J + \operatorname{diag}(g_\theta\, \theta''(u))`.
        Non-finite values give (+inf, NaN, NaN), as :meth:`__call__` does.
        """
        lik, shared = self.lik, self.lik.shared
        k = u.size
        theta = self.pset.from_unconstrained(u)
        refused = math.inf, np.full(k, np.nan), np.full((k, k), np.nan)
        if not self.analytic or not self.pset.contains(theta):
            return refused
        with np.errstate(all="ignore"):
            use_shared = shared is not None and shared.hessian is not None
            local = use_shared and shared is not None and shared.hessian_table is not None
            table = self._table(theta) if use_shared and not local else None

            def one(part: tuple[Columns, FloatArray]) -> tuple[float, FloatArray, FloatArray]:
                block, w = part
                if local:
                    return self._local_hessian(theta, w, block)
                if use_shared:
                    assert shared is not None
                    assert shared.hessian is not None
                    return shared.hessian(theta, table, w, *block)
                assert lik.value_grad_hess is not None
                return lik.value_grad_hess(theta, w, *block)

            parts = self._run(one, self.hessian_blocks if use_shared else self.raw_blocks)
            total = 0.0
            g_theta = np.zeros(k)
            h_theta = np.zeros((k, k))
            for v, g, h in parts:
                total += v
                g_theta += g
                h_theta += h
            if self.log_prior is not None:
                lp, lp_grad = self.log_prior(theta)
                total += self.prior_weight * lp
                g_theta = g_theta + self.prior_weight * lp_grad
                h_theta = h_theta + self.prior_weight * _prior_hessian(self.log_prior, theta)
            jac = self.pset.jacobian(u)
            h_u = jac[:, None] * h_theta * jac[None, :] + np.diag(
                g_theta * _second_derivative(self.pset, u)
            )
            f = -total / self.scale
            g_u = -g_theta / self.scale * jac
            h_out: FloatArray = -0.5 * (h_u + h_u.T) / self.scale
        if not (math.isfinite(f) and np.all(np.isfinite(g_u)) and np.all(np.isfinite(h_out))):
            return refused
        return f, g_u, h_out

    def value_grad_hess(self, u: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Objective, gradient and Hessian in ``u``: :meth:`hessian` when the likelihood has an
        analytic one, otherwise forward differences of the gradient (``k + 1`` evaluations,
        accurate to ~1e-5 relative). Non-finite values give (+inf, NaN, NaN)."""
        if self.analytic:
            return self.hessian(u)
        k = u.size
        f, g = self(u)
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.full(k, np.nan), np.full((k, k), np.nan)
        h = _hessian(self, u, g0=g)
        if not np.all(np.isfinite(h)):
            return math.inf, np.full(k, np.nan), np.full((k, k), np.nan)
        return f, g, h

    def _local_hessian(
        self, theta: FloatArray, w: FloatArray, block: Columns
    ) -> tuple[float, FloatArray, FloatArray]:
        """``shared.hessian`` on one block of rows with the ``hessian_table`` of only the keys
        that block's rows index (its rows are index arrays into the keys): the wide table of
        second derivatives is never built for all keys at once (at a million continuous-time
        customers it is ~330 MB, whose first touch cost more than computing it)."""
        shared = self.lik.shared
        assert shared is not None
        assert shared.hessian is not None
        assert shared.hessian_table is not None
        flat = np.concatenate(block)
        used = np.unique(flat)  # sorted: the keys keep their order
        keys = tuple(k[used] for k in self.keys)
        table = shared.hessian_table(theta, *keys)
        at = np.searchsorted(used, flat)
        cuts = np.cumsum([b.shape[0] for b in block])[:-1]
        rows = tuple(np.split(at, cuts))
        out: tuple[float, FloatArray, FloatArray] = shared.hessian(theta, table, w, *rows)
        return out


def _second_derivative(pset: ParamSet, u: FloatArray) -> FloatArray:
    r""":math:`d^2\theta_i/du_i^2` of each parameter's transform (:mod:`relmark.clv._params`):
    :math:`e^u` for :math:`\theta = \text{lower} + e^u`, and
    :math:`(\text{upper}-\text{lower})\,s(1-s)(1-2s)` for the scaled logistic."""
    jac = pset.jacobian(u)
    out = np.empty_like(jac)
    for i, p in enumerate(pset.params):
        if p.bounded:
            s = float(expit(u[i]))
            out[i] = jac[i] * (1.0 - 2.0 * s)
        else:
            out[i] = jac[i]
    return out


def _prior_hessian(log_prior: LogPrior, theta: FloatArray) -> FloatArray:
    """Hessian of the (cheap) log prior by central differences of its gradient, with steps
    relative to the parameter (and to 1 - it in (0, 1)): the absolute 1e-6 below 1 stepped
    outside the prior's support at a = 1e-12 (a MAP fit on 120k customers stopped with
    ``argument 'value': must be > 0, got -1e-06``)."""
    k = theta.size
    out = np.empty((k, k))
    for i in range(k):
        t = abs(float(theta[i]))
        h = 1e-6 * (min(t, 1.0 - t) if 0.0 < t < 1.0 else max(t, 1e-300))
        e = np.zeros(k)
        e[i] = h
        up, down = theta + e, theta - e
        # (divided by the steps as rounded: near 1 they are a few ulps of theta)
        out[:, i] = (log_prior(up)[1] - log_prior(down)[1]) / (up[i] - down[i])
    sym: FloatArray = 0.5 * (out + out.T)
    return sym


def _objective(
    lik: Likelihood,
    pset: ParamSet,
    data: tuple[FloatArray, ...],
    weights: FloatArray,
    scale: float,
    pool: ThreadPoolExecutor | None = None,
    log_prior: LogPrior | None = None,
    prior_weight: float = 1.0,
) -> _Objective:
    """The objective of ``lik`` on ``data`` (see :class:`_Objective`)."""
    return _Objective(lik, pset, data, weights, scale, pool, log_prior, prior_weight)


def _hessian(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    *,
    g0: FloatArray | None = None,
) -> FloatArray:
    """Finite-difference Hessian of ``fun`` from its gradient, symmetrised (the analytic
    Hessian of an :class:`_Objective` that has one).

    Central differences (2k gradients) by default; forward differences from the gradient
    ``g0`` at ``u`` (k gradients) when it is given.
    """
    if isinstance(fun, _Objective) and fun.analytic:
        _, _, h_an = fun.hessian(u)
        return h_an
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
        with np.errstate(over="ignore", invalid="ignore"):
            slope = float(g @ step) if step is not None else math.nan
        if step is not None and slope > 0:  # a descent direction
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

_PRESAMPLE = 5
"""With an analytic Hessian, the subsamples are stratified from a systematic sample of at most
this many times the largest subsample's rows (not from all rows: sorting a million 16-bit keys
took 13.8 ms, 500k 2.9 ms, leaving the cache). The larger the sample the level is stratified
from, the closer its optimum to the full data's: at 1M MBG/NBD customers and a 100k level,
1.9 standard errors on average from 500k rows (24 data sets, none needing a third full pass),
2.5 from 333k (2 of 12 needed one), 0.7 from all rows."""


def _solve(hess: FloatArray, g: FloatArray) -> FloatArray | None:
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            step: FloatArray = np.asarray(np.linalg.solve(hess, g), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None
    return step if np.all(np.isfinite(step)) else None


_NEAR_OPTIMUM = 4e-4
"""Squared distance, in standard errors, within which a full-data Hessian stands for the one
at the optimum (0.02 SE: the Hessian changes by ~1e-3 of itself or less)."""


def _moved(hess: FloatArray, step: FloatArray, nobs: float) -> float:
    """Squared length of ``step`` in standard errors of the estimates (``hess`` per customer)."""
    with np.errstate(over="ignore", invalid="ignore"):  # far steps of unidentified fits
        return float(step @ hess @ step) * nobs


def _decrement(hess: FloatArray, g: FloatArray, nobs: float) -> float:
    """Newton decrement g'H^-1 g / 2 of the total log-likelihood (inf if H is singular)."""
    step = _solve(hess, g)
    if step is None:
        return np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        out = 0.5 * float(g @ step) * nobs
    return out if math.isfinite(out) else np.inf


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
    key = first.astype(np.int16)
    key *= np.int16(bins)
    if bins > 1 and len(data) > 1:
        second = data[1]
        lo, hi = float(second.min(initial=0.0)), float(second.max(initial=0.0))
        if hi > lo:
            scaled = np.subtract(second, lo)
            scaled *= (bins - 1) / (hi - lo)
            # (whole key + scaled >= 0, truncated: the key plus the bin; no int16 temporary)
            np.add(key, scaled, out=key, casting="unsafe")
    return np.argsort(key, kind="stable")


class _Customers:
    """Systematic samples of the customers of rows in a stratified order (:func:`_stratified`).

    Without weights, every k-th row. Rows that stand for several customers (grouped whole-day
    data: one row of a frequency of 0 may hold thousands) are sampled by their customers: the
    customers laid out in the rows' order, every k-th of them, each row weighted by how many of
    its customers were taken. Taking every k-th row instead left the level's mix of customers
    to the few heavy rows it happened to take (MBG/NBD at 1M whole-day customers: a 100k-row
    level 5-7 standard errors from the full data's optimum in 2 of 8 data sets, and a third
    full-data pass)."""

    def __init__(self, order: npt.NDArray[np.intp], weights: FloatArray) -> None:
        self.order = order
        self.n_rows = order.shape[0]
        self.source_weights = weights
        total = float(weights.sum())
        self.cumulative: FloatArray | None = None
        if total != self.n_rows:  # (weights are counts >= 1: all 1 exactly when they sum so)
            self.weights = weights[order]
            self.cumulative = np.cumsum(self.weights)
            self.total = float(self.cumulative[-1])

    def every(self, size: int) -> tuple[npt.NDArray[np.intp], FloatArray | None]:
        """About ``size`` customers: the rows (in the stratified order) and, for weighted rows,
        the number of each row's customers taken (None: one each)."""
        if self.cumulative is None:
            return self.order[:: max(self.n_rows // size, 1)], None
        step = max(self.total / size, 1.0)
        hits = np.floor(self.cumulative / step)
        hits -= np.floor((self.cumulative - self.weights) / step)
        keep = hits > 0
        return self.order[keep], hits[keep]

    def in_memory_order(
        self, picked: npt.NDArray[np.intp], counts: FloatArray | None
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """The rows ``picked`` (distinct) in memory order, and their weights: the source's, or
        ``counts``. By a mask over all rows, not a sort: argsort of 100k positions cost 5-8 ms
        of a fit whose evaluation takes 30."""
        mask = np.zeros(self.n_rows, dtype=bool)
        mask[picked] = True
        rows = np.flatnonzero(mask)
        if counts is None:
            return rows, self.source_weights[rows]
        taken = np.zeros(self.n_rows)
        taken[picked] = counts
        return rows, taken[rows]


@contextlib.contextmanager
def _thread_pool(lik: Likelihood, n_rows: int) -> Iterator[ThreadPoolExecutor | None]:
    """A pool of threads for likelihoods that ask for one (on data of at least two blocks)."""
    workers = min(os.cpu_count() or 1, 8)
    if not lik.expensive or workers < 2 or n_rows < 2 * _BLOCK_ROWS:
        yield None
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relmark-fit") as pool:
        yield pool


_SAFETY = 10.0
"""Factor on the error bound of the last Newton step taken without a further pass."""

_QUADRATIC = 0.2
"""Longest last Newton step (in standard errors) taken without a further pass."""

_COVARIANCE_ERROR = 1e-4
"""Largest relative error of the Hessian behind the covariance when it is the full data's at a
nearby point plus a change measured on a subsample (the standard errors to ~5e-5)."""


@dataclass(frozen=True)
class _Finish:
    """The end of a two-pass finish: point, objective, gradient, Hessian, decrement."""

    u: FloatArray
    f: float
    g: FloatArray
    hess: FloatArray
    decrement: float
    grad_norm: float


def _predicted_finish(
    u1: FloatArray,
    f1: float,
    g1: FloatArray,
    h1: FloatArray,
    h0: FloatArray,
    s1: FloatArray,
    nobs: float,
    gtol: float,
    lltol: float,
    change: _Change | None = None,
) -> _Finish | None:
    r"""The Newton step from ``u1`` taken without evaluating its end point, when its error is
    provably negligible; None otherwise.

    With the Hessian ``h1`` at ``u1`` and ``h0`` at the previous point ``u1 + s1``, the third
    derivative along ``s1`` is bounded by :math:`\rho = \lVert H_1^{-1/2}(H_0 - H_1)
    H_1^{-1/2}\rVert_2 / \lVert s_1\rVert` (in standard errors; a ``h0`` from a subsample
    adds its sampling noise, which only enlarges the bound). The Newton step
    :math:`s_2 = H_1^{-1} g_1` then lands within
    :math:`\epsilon = \text{safety}\cdot\tfrac12 \rho \lVert s_2\rVert^2` standard errors
    of the optimum, whose decrement is :math:`\epsilon^2/2`. The step is taken when that is
    within ``lltol`` (the convergence criterion; the safety factor 10 on the error is a
    factor 100 on the decrement) and the step is short (under 0.1 standard errors: the
    quadratic regime); the log-likelihood there is the quadratic model's,
    :math:`f_1 - g_1^\top s_2/2` (its error is of third order,
    ~:math:`\rho\lVert s_2\rVert^3`), and the gradient the bound
    :math:`\sqrt{\lambda_{\max}(H_1)}\,\epsilon/\sqrt{n}`.

    ``change``, when given, is the change :math:`\Delta` of the Hessian along ``s2`` itself,
    measured on a subsample (:func:`_subsample_change`), with its size
    :math:`m = \lVert H_1^{-1/2}\Delta H_1^{-1/2}\rVert_2` and the size :math:`\delta` of its
    sampling error. The step is then taken with the Hessian at the step's midpoint,
    :math:`s_2 = (H_1 + \Delta/2)^{-1} g_1` (the mean of the Hessian along the step, to
    second order), whose error is that of :math:`\Delta/2` plus the second-order rest:
    :math:`\epsilon = \text{safety}\cdot\tfrac12(\delta + m^2)\lVert s_2\rVert`
    (without the correction it would be :math:`\text{safety}\cdot\tfrac12 m\lVert s_2\rVert`).
    """
    try:
        chol = np.linalg.cholesky(h1)
        inv_chol = np.linalg.inv(chol)
    except np.linalg.LinAlgError:
        return None
    s2 = _solve(h1, g1)
    if s2 is None:
        return None
    len1 = math.sqrt(max(_moved(h1, s1, nobs), 0.0))
    len2 = math.sqrt(max(_moved(h1, s2, nobs), 0.0))
    if not (len1 > 0 and len2 <= _QUADRATIC):
        return None
    if change is not None:
        corrected = _solve(h1 + 0.5 * change.delta, g1)
        if corrected is None:
            return None
        s2 = corrected
        error = _SAFETY * 0.5 * (change.error + change.size**2) * len2
    else:
        rho = _relative_size(inv_chol, h0 - h1) / len1
        error = _SAFETY * 0.5 * rho * len2**2
    predicted = 0.5 * error**2
    grad_bound = math.sqrt(float(np.max(np.linalg.eigvalsh(h1)))) * error / math.sqrt(nobs)
    if not (predicted <= lltol and grad_bound <= gtol):
        return None
    f2 = f1 - 0.5 * float(g1 @ s2)
    return _Finish(u1 - s2, f2, np.zeros_like(g1), h1, predicted, grad_bound)


def _exact_step(
    fun: _Objective, u: FloatArray, *, check: bool = True
) -> tuple[FloatArray, FloatArray] | None:
    """One Newton step with the analytic Hessian at ``u``, accepted if it descends: the new
    point and the Hessian at ``u`` (None when the step fails). With ``check=False`` the step's
    end is not evaluated (the caller's next evaluation there checks it)."""
    f, g, h = fun.hessian(u)
    if not (math.isfinite(f) and np.all(np.isfinite(h))):
        return None
    step = _solve(h, g)
    if step is None or float(g @ step) <= 0:
        return None
    if not check:
        return u - step, h
    f_new, _ = fun(u - step)
    if not (math.isfinite(f_new) and f_new <= f - 1e-4 * float(g @ step)):
        return None
    return u - step, h


@dataclass(frozen=True)
class _NewtonResult:
    """What :func:`fit_mle` reads of an optimiser's result, for the first level's Newton."""

    nit: int
    nfev: int
    message: str = "Newton steps with the analytic Hessian on the first subsample"


def _newton_level(
    fun: _Objective, u: FloatArray, *, max_steps: int = 20, tol: float = 1e-2
) -> tuple[FloatArray, float, FloatArray, FloatArray, int] | None:
    """Damped Newton steps with the analytic Hessian from ``u`` until the decrement of the
    level's log-likelihood is below ``tol`` (the next level's exact step takes it from
    there): the point, its objective, gradient and Hessian, and the number of steps. Each step
    costs one pass with the Hessian (its end's, which also judges it), where L-BFGS needs ~15
    value-and-gradient passes. None when a Hessian is not positive definite or a step fails to
    descend (the caller then runs L-BFGS from ``u``). Without an analytic Hessian, forward
    differences of the gradient stand in (:meth:`_Objective.value_grad_hess`)."""
    f, g, h = fun.value_grad_hess(u)
    nobs = fun.scale
    for steps in range(max_steps):
        if not (math.isfinite(f) and np.all(np.isfinite(h))):
            return None
        step = _solve(h, g)
        if step is None or float(g @ step) <= 0:
            return None  # not a descent direction: the Hessian is not positive definite here
        if 0.5 * float(g @ step) * nobs <= tol:
            return u, f, g, h, steps
        t = 1.0
        for _ls in range(20):
            f_new, g_new, h_new = fun.value_grad_hess(u - t * step)
            if math.isfinite(f_new) and f_new <= f - 1e-4 * t * float(g @ step):
                break
            t *= 0.5
        else:
            return None
        u, f, g, h = u - t * step, f_new, g_new, h_new
    return None


@dataclass(frozen=True)
class _Change:
    r"""The change of the per-customer Hessian along a step, measured on a subsample: the
    change ``delta``, its size relative to the Hessian at the step's start (spectral norm of
    :math:`H_1^{-1/2}\Delta H_1^{-1/2}`) and the size of its sampling error (the same norm of
    half the difference between the two halves' changes: the standard error of their mean)."""

    delta: FloatArray
    size: float
    error: float


@dataclass(frozen=True)
class _Probe:
    """The 10,000-row subsample that measures how the Hessian changes near the optimum: its
    objective, and those of its two halves (alternate rows of the stratified order, so each
    half is stratified too), whose disagreement measures the sampling error of a change."""

    whole: _Objective
    halves: tuple[_Objective, _Objective]


def _relative_size(inv_chol: FloatArray, change: FloatArray) -> float:
    rel = inv_chol @ change @ inv_chol.T
    return float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (rel + rel.T)))))


def _subsample_change(
    probe: _Probe | None, u1: FloatArray, u2: FloatArray, h1: FloatArray
) -> _Change | None:
    r"""The change of the (per-customer) Hessian from ``u1`` to ``u2`` measured on the probe's
    two halves (each half's change, then their mean weighted by customers), its size relative
    to ``h1`` and the size of its sampling error (:class:`_Change`); None without a probe or
    when it fails."""
    if probe is None:
        return None
    changes, counts = [], []
    for half in probe.halves:
        f1, _, hs1 = half.value_grad_hess(u1)
        f2, _, hs2 = half.value_grad_hess(u2)
        if not (math.isfinite(f1) and math.isfinite(f2)):
            return None
        changes.append(hs2 - hs1)
        counts.append(half.scale)
    delta = (counts[0] * changes[0] + counts[1] * changes[1]) / (counts[0] + counts[1])
    if not (np.all(np.isfinite(delta))):
        return None
    try:
        inv_chol = np.linalg.inv(np.linalg.cholesky(h1))
    except np.linalg.LinAlgError:
        return None
    size = _relative_size(inv_chol, delta)
    error = 0.5 * _relative_size(inv_chol, changes[0] - changes[1])
    return _Change(delta, size, error)


def _two_pass_finish(
    fun: _Objective,
    u: FloatArray,
    f: float,
    g: FloatArray,
    hess: FloatArray,
    nobs: float,
    gtol: float,
    lltol: float,
    max_passes: int = 4,
    sub: _Probe | None = None,
) -> tuple[_Finish | None, tuple[FloatArray, float, FloatArray, FloatArray] | None]:
    """One Newton step on the full data with the subsample's Hessian, then value, gradient and
    Hessian in one pass at its end; done when that point's decrement (or the predicted last
    step, :func:`_predicted_finish`) proves the optimum. Otherwise further exact Newton steps,
    each one pass with the Hessian (at most ``max_passes`` in all).

    A predicted last step ends at ``u2`` while the Hessian was computed at ``u1`` (some
    hundredths of a standard error away: up to ~1e-3 relative in the standard errors). Its
    change from ``u1`` to ``u2`` is then measured on the 10,000-row probe ``sub`` (two passes
    over each of its halves; it corrects the step and bounds its error, see
    :func:`_predicted_finish`) and added: the covariance is that at ``u2`` when the change's
    sampling error, measured by the halves' disagreement, is within
    :data:`_COVARIANCE_ERROR`. Without ``sub`` (or with a larger error), one more full pass
    computes it.

    Returns the finish, or None and the state to continue from (the last accepted point with
    its Hessian; None when the first step did not descend).
    """
    state: tuple[FloatArray, float, FloatArray, FloatArray] | None = None
    for _pass in range(max_passes):
        step = _solve(hess, g)
        if step is None or float(g @ step) <= 0:
            return None, state
        u1 = u - step
        f1, g1, h1 = fun.value_grad_hess(u1)
        if not (math.isfinite(f1) and f1 <= f - 1e-4 * float(g @ step)):
            return None, state
        decrement = _decrement(h1, g1, nobs)
        grad_norm = float(np.max(np.abs(g1)))
        if 0 <= decrement <= lltol and grad_norm <= gtol:
            return _Finish(u1, f1, g1, h1, decrement, grad_norm), None
        s2 = _solve(h1, g1)
        change = None
        if s2 is not None and _moved(h1, s2, nobs) <= _QUADRATIC**2:
            change = _subsample_change(sub, u1, u1 - s2, h1)
        done = _predicted_finish(u1, f1, g1, h1, hess, step, nobs, gtol, lltol, change)
        if done is not None:
            if change is not None and change.error + 0.5 * change.size**2 <= _COVARIANCE_ERROR:
                # the Hessian at the estimates: the full data's at u1 plus the subsample's
                # change (the corrected step ends within ~size x |s2| of where it was measured)
                h2: FloatArray | None = h1 + change.delta
            else:
                f2, _, h_full = fun.value_grad_hess(done.u)
                h2 = h_full if math.isfinite(f2) else None
            if h2 is not None:
                return _Finish(done.u, done.f, done.g, h2, done.decrement, done.grad_norm), None
        u, f, g, hess = u1, f1, g1, h1
        state = (u, f, g, hess)
    return None, state


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
    progress: Progress | None = None,
) -> FitResult:
    """Maximise the weighted log-likelihood and return a :class:`FitResult`.

    Parameters
    ----------
    model
        Model name recorded in the result.
    pset
        The model's parameters (domains and transforms).
    lik
        Per-row log-likelihood and, optionally, its gradient and Hessian.
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
    progress
        Called as ``progress(stage, fraction)`` while the fit runs (stages ``"start"``,
        ``"subsample"``, ``"optimise"``, ``"full data"``, ``"done"``; fractions rise
        monotonically, the last call is ``("done", 1.0)``).
    """
    report = _Reporter(progress)
    report("start", 0.0)
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
        finish: _Finish | None = None
        fresh_full = False  # whether ``hess`` is the full data's at ``u``
        if large:
            # Large data: systematic subsamples of 10k, 100k, ... rows find the optimum's
            # neighbourhood and a Hessian good enough to steer Newton steps on the full data, at a
            # fraction of the cost. Each level starts from the previous level's optimum.
            # (a 2,000-row start when L-BFGS's iterations are costly, or when exact Newton steps
            # on the larger levels make up for its rougher optimum). A likelihood whose Hessian
            # pass is cheaper than an evaluation (Gamma-Gamma's: 1.2 ms against 3 ms at 400k
            # rows) stops at 10k rows: from there two exact Newton passes on the full data
            # converge, and a 100k level with its stratifying sort cost more than both
            sizes = [2_000, _WARM_ROWS] if lik.expensive or fun.analytic else [_WARM_ROWS]
            while sizes[-1] * 30 <= n_rows and not (lik.cheap_hessian and fun.analytic):
                sizes.append(sizes[-1] * 10)
            # progress by rows evaluated: each level ~5 passes, the full data ~3
            work = [5.0 * size for size in sizes] + [3.0 * n_rows]
            done_work = 0.0
            u = u0
            probe: _Probe | None = None
            hess_at: FloatArray | None = None  # where ``hess`` was computed (None: unknown)
            unchecked = False  # whether the last level's step was taken without evaluating it
            if fun.analytic:
                # stratify a systematic sample of up to 5x the largest level's rows (sorting
                # all rows costs a third of a full-data evaluation of a fit that needs two);
                # strided views, not copies: the sort reads two columns a few times, and fresh
                # copies of every column cost more in page faults (1.7 ms each at 500k rows)
                every = max(-(-n_rows // (_PRESAMPLE * sizes[-1])), 1)
                source = tuple(d[::every] for d in data)
                w_source = weights[::every]
            else:
                source, w_source = data, weights
            order = _stratified(source)
            customers = _Customers(order, w_source)
            for level, size in enumerate(sizes):
                # the level's rows in memory order: the stratification is in their choice, and
                # an ordered gather reads the columns almost sequentially
                picked, counts = customers.every(size)
                rows, w_sub = customers.in_memory_order(picked, counts)
                sub = tuple(d[rows] for d in source)
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
                    # Newton with the analytic Hessian: ~4 passes where L-BFGS takes ~15 (not
                    # for costly likelihoods, whose far trial points cost many times a pass)
                    cheap = warm.analytic and not lik.expensive
                    newton = _newton_level(warm, u) if cheap else None
                    if newton is not None:
                        u, _, _, hess, steps = newton
                        res: Any = _NewtonResult(steps, steps)
                    else:
                        res = minimize(
                            warm,
                            u,
                            jac=True,
                            method="L-BFGS-B",
                            options={"maxiter": maxiter},
                            callback=report.iterations("subsample", 0.0, work[0] / sum(work)),
                        )
                        u = np.asarray(res.x, dtype=np.float64)
                        hess = _hessian(warm, u)
                    hess_at = u
                else:
                    assert hess is not None
                    # the last level's step is checked by the full data's first evaluation
                    last = level == len(sizes) - 1 and fun.analytic
                    stepped = _exact_step(warm, u, check=not last) if warm.analytic else None
                    unchecked = last and stepped is not None
                    if stepped is not None:
                        # one exact Newton step: the full data take it from there
                        hess_at = u
                        u, hess = stepped
                    else:
                        hess_at = None
                        f_sub, g_sub = warm(u)
                        u, _, g_sub, hess, fresh_sub, _, _ = _newton(
                            warm, u, f_sub, g_sub, hess, False, float(w_sub.sum()), gtol, lltol, 4
                        )
                        if not fresh_sub:
                            hess = _hessian(warm, u, g0=g_sub)
                if size == _WARM_ROWS:
                    # measures the Hessian's change near the optimum (cheaply); its halves take
                    # alternate rows of the stratified order, so each is stratified too
                    half_parts = [
                        customers.in_memory_order(
                            picked[i::2], None if counts is None else counts[i::2]
                        )
                        for i in (0, 1)
                    ]
                    halves = tuple(
                        _objective(
                            lik,
                            pset,
                            tuple(d[r] for d in source),
                            w_half,
                            float(w_half.sum()),
                            None,
                            log_prior,
                            float(w_half.sum()) / nobs,
                        )
                        for r, w_half in half_parts
                    )
                    probe = _Probe(warm, (halves[0], halves[1]))
                done_work += work[level]
                report("subsample", done_work / sum(work))
            first_hess: FloatArray | None = None
            if lik.cheap_hessian and fun.analytic:
                f, g, first_hess = fun.hessian(u)  # +inf and NaN where not finite
            else:
                f, g = fun(u)
            if unchecked and not (math.isfinite(f) and np.all(np.isfinite(g))):
                # the last level's unchecked step left the domain: back to where it began (its
                # Hessian is that point's)
                assert hess_at is not None
                u, hess_at, first_hess = hess_at, None, None
                f, g = fun(u)
            check_finite(
                f,
                g,
                f"on the full data at the subsample's estimates {pset.from_unconstrained(u)!r}",
            )
            report("full data", (done_work + n_rows) / sum(work))
            # Without an analytic Hessian a pass with one costs k + 1 evaluations: one such pass
            # after the first step, when a 100k-row level steered it (else the chord steps below)
            numeric = not fun.analytic and probe is not None and sizes[-1] >= 10 * _WARM_ROWS
            if hess is not None and (fun.analytic or numeric):
                if first_hess is not None and np.all(np.isfinite(first_hess)):
                    hess = first_hess  # the full data's own: the first step is exact
                elif fun.analytic and probe is not None and hess_at is not None:
                    # the last level's Hessian was computed where its exact step began: moved
                    # to the step's end by the probe's change (a few % of it), it steers the
                    # first full-data step about twice as well
                    f_a, _, h_a = probe.whole.hessian(hess_at)
                    f_p, _, h_p = probe.whole.hessian(u)
                    moved_hess = hess + (h_p - h_a)
                    if math.isfinite(f_a + f_p) and np.all(np.isfinite(moved_hess)):
                        hess = moved_hess
                finish, state = _two_pass_finish(
                    fun, u, f, g, hess, nobs, gtol, lltol, max_passes=1 if numeric else 4, sub=probe
                )
                if state is not None:
                    u, f, g, hess = state
                    fresh_full = True
                report("full data", (done_work + 2.0 * n_rows) / sum(work))
        else:
            res = minimize(
                fun,
                u0,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": maxiter, "gtol": 1e-12},
                callback=report.iterations("optimise", 0.0, 0.8),
            )
            u = np.asarray(res.x, dtype=np.float64)
            f, g = fun(u)
            report("optimise", 0.8)
        n_iter, n_fev = int(res.nit), int(res.nfev)
        if finish is not None:
            u, f, g, hess = finish.u, finish.f, finish.g, finish.hess
            decrement, grad_norm = finish.decrement, finish.grad_norm
            n_iter += 2
        else:
            fresh = hess is None or fun.analytic or fresh_full
            at: FloatArray | None = u if fresh else None  # where the full-data Hessian is
            if (hess is None or fun.analytic) and not fresh_full:
                hess, at = _hessian(fun, u), u
            assert hess is not None
            for _round in range(4):
                # A subsample's Hessian steers only the first few steps: when the parameters are
                # weakly identified it is too rough for fast convergence, and a full-data Hessian
                # pays.
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
                if fresh:
                    break
                if not large:
                    # small data: the chord steps from L-BFGS's Hessian ran out (a flat ridge,
                    # where that Hessian is far from the current one); go on from a fresh one
                    if 0 <= _decrement(hess, g, nobs) <= 0.1 * lltol and np.max(np.abs(g)) <= gtol:
                        break
                    hess, fresh, at = _hessian(fun, u), True, u
                    continue
                if at is not None and 0 <= _moved(hess, u - at, nobs) <= _NEAR_OPTIMUM:
                    break  # a full-data Hessian from this close: good for the covariance too
                # The covariance needs the full-data Hessian at the optimum: forward differences
                # of the gradient (k evaluations) are accurate to ~1e-5 relative there.
                hess, fresh, at = _hessian(fun, u, g0=g), True, u
                if 0 <= _decrement(hess, g, nobs) <= lltol:
                    break
            if fun.analytic and (at is None or not np.array_equal(at, u)):
                # the covariance from the Hessian at the estimates themselves (one pass)
                f_at, g_at, h_at = fun.hessian(u)
                if math.isfinite(f_at):
                    f, g, hess = f_at, g_at, h_at
            decrement = _decrement(hess, g, nobs)
            grad_norm = float(np.max(np.abs(g)))
            if large and not (grad_norm <= gtol and 0 <= decrement <= lltol):
                # Newton from the subsamples' estimates stalled (a ridge: weakly identified
                # parameters, a Hessian not positive definite): L-BFGS on the full data from
                # the best point, as small fits do, then exact Newton steps from its end
                rescue = minimize(
                    fun,
                    u,
                    jac=True,
                    method="L-BFGS-B",
                    options={"maxiter": maxiter, "gtol": 1e-12},
                )
                u_r = np.asarray(rescue.x, dtype=np.float64)
                polished = _newton_level(fun, u_r, max_steps=8, tol=0.1 * lltol)
                if polished is not None:
                    u_r, f_r, g_r, h_r, steps = polished
                else:
                    f_r, g_r, h_r = fun.value_grad_hess(u_r)
                    steps = 0
                if math.isfinite(f_r) and f_r <= f:
                    u, f, g, hess = u_r, f_r, g_r, h_r
                    n_iter += int(rescue.nit) + steps
                    n_fev += int(rescue.nfev)
                    decrement = _decrement(hess, g, nobs)
                    grad_norm = float(np.max(np.abs(g)))
        cov_u: FloatArray = np.full_like(hess, np.nan)
        positive = bool(np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) > 0))
        if positive:
            try:
                cov_u = np.linalg.inv(hess * nobs).astype(np.float64)
            except np.linalg.LinAlgError:  # positive eigenvalues, singular to working precision
                positive = False
        if not positive and not quiet:
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
        report("done", 1.0)
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


class _Reporter:
    """Calls a progress callback with monotone fractions (nothing without a callback)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        if self.progress is None:
            return
        self.last = max(self.last, min(fraction, 1.0))
        self.progress(stage, self.last)

    def iterations(self, stage: str, low: float, high: float) -> Callable[..., None] | None:
        """An optimiser callback moving from ``low`` towards ``high`` (never reaching it: the
        number of iterations is not known in advance)."""
        if self.progress is None:
            return None
        count = [0]

        def step(xk: Any) -> None:
            count[0] += 1
            self(stage, low + (high - low) * (1.0 - 0.9 ** count[0]))

        return step


def progress_callback(
    progress: object, *, desc: str, argument: str = "progress"
) -> Progress | None:
    """The callback for a ``progress=`` argument: None (off, the default), a callable
    ``(stage, fraction)``, or ``"tqdm"`` for a progress bar (needs the ``progress`` extra).

    Parameters
    ----------
    progress
        None, a callable or ``"tqdm"``.
    desc
        The bar's label.
    argument
        The argument's name in error messages.

    Returns
    -------
    callable or None
        ``progress(stage, fraction)``.

    Raises
    ------
    ArgumentError
        For anything else, or ``"tqdm"`` without tqdm installed.
    """
    if progress is None:
        return None
    if isinstance(progress, str):
        if progress != "tqdm":
            raise ArgumentError(
                f"must be None, a callable (stage, fraction) or 'tqdm', got {progress!r}",
                argument=argument,
            )
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ArgumentError(
                "progress='tqdm' needs tqdm: pip install 'relmark[progress]'",
                argument=argument,
            ) from None
        bars: list[Any] = []  # the bar is opened at the first call (checking opens none)

        def show(stage: str, fraction: float) -> None:
            if not bars:
                bars.append(tqdm(total=1000, desc=desc, leave=False))
            bar = bars[0]
            bar.set_postfix_str(stage, refresh=False)
            bar.update(round(1000 * fraction) - bar.n)
            if stage == "done":
                bar.close()

        return show
    if not callable(progress) or isinstance(progress, type):
        raise ArgumentError(
            f"must be None, a callable (stage, fraction) or 'tqdm', got {progress!r}",
            argument=argument,
        )
    try:
        inspect.signature(progress).bind("start", 0.0)
    except TypeError:
        raise ArgumentError(
            f"must accept two arguments (stage, fraction), got {progress!r}", argument=argument
        ) from None
    except ValueError:  # no signature to read (some builtins): accepted as given
        pass
    out: Progress = progress
    return out


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

    sub = np.ix_(free, free)
    vgh: LogLikGradHess | None = None
    if lik.value_grad_hess is not None:
        vgh_full = lik.value_grad_hess

        def vgh(
            theta: FloatArray, weights: FloatArray, *data: Any
        ) -> tuple[float, FloatArray, FloatArray]:
            v, g, h = vgh_full(full(theta), weights, *data)
            return v, g[free], h[sub]

    shared: SharedTerms | None = None
    if lik.shared is not None:
        base = lik.shared

        def table(theta: FloatArray, *keys: Any) -> FloatArray:
            return base.table(full(theta), *keys)

        def rows(theta: FloatArray, tab: FloatArray, *cols: Any) -> tuple[FloatArray, FloatArray]:
            v, g = base.rows(full(theta), tab, *cols)
            return v, g[:, free]

        hessian: Callable[..., tuple[float, FloatArray, FloatArray]] | None = None
        if base.hessian is not None:
            base_hessian = base.hessian

            def hessian(
                theta: FloatArray, tab: FloatArray, weights: FloatArray, *cols: Any
            ) -> tuple[float, FloatArray, FloatArray]:
                v, g, h = base_hessian(full(theta), tab, weights, *cols)
                return v, g[free], h[sub]

        hessian_table: Callable[..., FloatArray] | None = None
        if base.hessian_table is not None:
            base_hessian_table = base.hessian_table

            def hessian_table(theta: FloatArray, *keys: Any) -> FloatArray:
                return base_hessian_table(full(theta), *keys)

        shared = SharedTerms(base.prepare, table, rows, hessian, hessian_table, base.hessian_sums)
    return Likelihood(
        log_likelihood, grad, value_and_grad, lik.expensive, shared, vgh, lik.cheap_hessian
    )
