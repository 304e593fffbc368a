r"""Static (time-invariant) covariates for BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma.

Each customer :math:`i` has covariates :math:`z_i` (columns of the summary: channel, age,
first-purchase spend, ...) that scale the parameters of the classic model. The forms are those
of CLVTools (Bachmann, Meierer & Näf; ``pnbd``/``bgnbd`` with static covariates) and of
PyMC-Marketing's ``BetaGeoModel`` (``purchase_coefficient_alpha``, ``dropout_coefficient_a``,
``dropout_coefficient_b``), after Fader & Hardie (2007), "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models" (note 019):

Pareto/NBD (:class:`CovariateParetoNBD`)
    .. math:: \alpha_i = \alpha\,e^{-\gamma_{p}^\top z_i}, \qquad
        \beta_i = \beta\,e^{-\gamma_{d}^\top z_i}

    (``r`` and ``s`` are common): a positive purchase coefficient raises the purchase rate
    :math:`E[\lambda_i] = r/\alpha_i`, a positive dropout coefficient raises the dropout rate
    :math:`E[\mu_i] = s/\beta_i`. Labels ``purchase:<name>`` and ``dropout:<name>``.
BG/NBD and MBG/NBD (:class:`CovariateBGNBD`, :class:`CovariateMBGNBD`)
    .. math:: \alpha_i = \alpha\,e^{-\gamma_{p}^\top z_i}, \qquad
        a_i = a\,e^{\gamma_{a}^\top z_i}, \qquad b_i = b\,e^{\gamma_{b}^\top z_i}

    with **separate** effects on ``a`` and ``b`` for every dropout covariate (as CLVTools and
    PyMC-Marketing): one shared effect would scale ``a`` and ``b`` alike and leave the mean
    dropout probability :math:`a/(a+b)` unchanged. Labels ``purchase:<name>``,
    ``dropout_a:<name>`` and ``dropout_b:<name>``; a positive ``dropout_a`` (or negative
    ``dropout_b``) coefficient raises the mean dropout probability.
Gamma-Gamma (:class:`CovariateGammaGamma`)
    .. math:: \gamma_i = \gamma\,e^{\gamma_{s}^\top z_i},

    the scale of the spend heterogeneity: the mean spend :math:`p\gamma_i/(q-1)` is multiplied
    by :math:`e^{\gamma_s^\top z_i}`. Labels ``spend:<name>``.

Options
-------
``shared_covariates``
    A covariate constrained to **one** coefficient on every scaled parameter of both processes,
    with each parameter's sign above (Pareto/NBD: :math:`\alpha_i = \alpha e^{-\gamma z}`,
    :math:`\beta_i = \beta e^{-\gamma z}`; BG family: :math:`\alpha e^{-\gamma z}`,
    :math:`a e^{\gamma z}`, :math:`b e^{\gamma z}`), as CLVTools' ``names.cov.constr``. Label
    ``both:<name>``.
``penalty``
    An L2 penalty :math:`\lambda \ge 0` on every covariate coefficient: the fit maximises
    :math:`\ell(\theta, \gamma) - \lambda \sum_j \gamma_j^2` (CLVTools' ``reg.lambdas``, one
    :math:`\lambda` for all). The reported log-likelihood is the unpenalised :math:`\ell`; the
    standard errors come from the penalised Hessian (the curvature of what was maximised).

Input rule
----------
Covariates are real-valued columns, read by name from the summary (pandas or polars) or from
``covariates=`` (a frame, a mapping of arrays, or a 2-d array whose columns are the listed
names in order). Categorical, text and boolean columns are **refused** (a ``DataError`` saying
how to encode them: ``pandas.get_dummies(..., drop_first=True, dtype=float)``), as are NaN and
infinite values (naming the rows), constant columns and collinear designs (naming the columns).

Fitting
-------
Maximum likelihood (or penalised likelihood) over :math:`(\ln\theta, \gamma)`: the
per-customer log-parameters are linear in them, so the gradient is the covariate-weighted sum
of each customer's analytic gradient in their own log-parameters, and the Hessian is
:math:`\sum_i X_i^\top H_i X_i` with :math:`H_i` the customer's ``K x K`` Hessian in their
log-parameters: in closed form for the BG family, by differences of the analytic gradient for
Pareto/NBD and Gamma-Gamma (``2K`` evaluations, or ``K`` on large data, whatever the number of
covariates). Newton's method with a line search starts from the classic model's fit (all
effects 0); large data are first fitted on a systematic subsample of 25,000 customers, whose
Hessian scaled to the full data drives chord steps there (one evaluation each), and the
full-data Hessian is computed once at the optimum.
Standard errors are the square roots of the diagonal of the inverse Hessian at the optimum
(the scale parameters' by the delta method, their intervals mapped from the log scale).

Predictions take each customer's covariates, compute their parameters and evaluate the classic
formulas of :mod:`relmark.clv.bgnbd`, :mod:`relmark.clv.mbgnbd`, :mod:`relmark.clv.paretonbd`
and :mod:`relmark.clv.gammagamma` once per distinct parameter row: with all effects 0 every
prediction is the classic model's.

References
----------
Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models. Note 019, brucehardie.com.
Bachmann, P., Meierer, M. & Näf, J. (2021). The role of time-varying contextual factors in
latent attrition models for customer base analysis. *Marketing Science* 40(4), 783-809.
Meierer, M., Bachmann, P., Näf, J. et al. CLVTools: Tools for customer lifetime value
estimation (R package; ``pnbd``, ``bgnbd`` with static covariates).
PyMC Labs. PyMC-Marketing, ``pymc_marketing.clv.BetaGeoModel`` (covariates since 0.11).
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way.
*Marketing Science* 24(2), 275-284; RFM and CLV. *JMR* 42(4), 415-430.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from relmark._validation import (
    FloatArray,
    as_float_array,
    check_level,
    check_number,
    check_rfm,
    check_rng,
    is_json_number,
)
from relmark.clv import bgnbd, gammagamma, mbgnbd, paretonbd
from relmark.clv._base import _column, customer_labels, fit_restricted, fit_time_unit
from relmark.clv._checks import check_array, check_matching
from relmark.clv._engine import one_blas_thread
from relmark.clv.covariates import _likelihoods
from relmark.clv.covariates._design import (
    check_design,
    check_names,
    coefficient_table,
    format_table,
    names_from_json,
    read_covariates,
)
from relmark.errors import (
    ArgumentError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    ParameterError,
    SchemaError,
)
from relmark.typing import RngLike

__all__ = [
    "CovariateBGNBD",
    "CovariateFit",
    "CovariateGammaGamma",
    "CovariateMBGNBD",
    "CovariateParetoNBD",
    "clv",
    "load_model",
]

SCHEMA = "relmark.clv.covariates.static/1"
"""The ``schema`` key of a saved covariate model."""


# --------------------------------------------------------------------------- model structure
@dataclass(frozen=True)
class _Slot:
    """One scaled parameter: ``theta_k * exp(sign * gamma' z)`` for the covariates of
    ``source`` (``"purchase"``, ``"dropout"`` or ``"spend"``)."""

    label: str
    index: int
    sign: float
    source: str


@dataclass(frozen=True)
class _Layout:
    """Where each coefficient goes: for every base parameter ``k`` the indices into the
    unconstrained vector ``u = [log theta, gammas]`` and the signed covariate columns."""

    k_base: int
    labels: tuple[str, ...]
    names: tuple[str, ...]  # the union of covariate names, the columns of Z
    per_param: tuple[tuple[tuple[int, ...], tuple[tuple[int, float], ...]], ...]

    @property
    def size(self) -> int:
        return self.k_base + len(self.labels)


def _layout(
    params: tuple[str, ...], slots: tuple[_Slot, ...], lists: Mapping[str, tuple[str, ...]]
) -> _Layout:
    """The coefficient layout for covariate lists by source (``"shared"`` for ``both:``)."""
    names: list[str] = []
    for group in lists.values():
        for name in group:
            if name not in names:
                names.append(name)
    labels: list[str] = []
    idx: list[list[int]] = [[k] for k in range(len(params))]
    cols: list[list[tuple[int, float]]] = [[] for _ in params]
    k_base = len(params)
    for slot in slots:
        for name in lists.get(slot.source, ()):
            labels.append(f"{slot.label}:{name}")
            idx[slot.index].append(k_base + len(labels) - 1)
            cols[slot.index].append((names.index(name), slot.sign))
    for name in lists.get("shared", ()):
        labels.append(f"both:{name}")
        for slot in slots:
            idx[slot.index].append(k_base + len(labels) - 1)
            cols[slot.index].append((names.index(name), slot.sign))
    per = tuple((tuple(i), tuple(c)) for i, c in zip(idx, cols, strict=True))
    return _Layout(k_base, tuple(labels), tuple(names), per)


def _design_block(lay: _Layout, z: FloatArray, k: int) -> FloatArray:
    """``X_k``: a column of ones and the signed covariate columns of base parameter ``k``."""
    _, cols = lay.per_param[k]
    out = np.empty((z.shape[0], 1 + len(cols)))
    out[:, 0] = 1.0
    for j, (c, sign) in enumerate(cols):
        out[:, 1 + j] = sign * z[:, c]
    return out


def _theta(lay: _Layout, u: FloatArray, z: FloatArray) -> FloatArray:
    """Per-customer parameters ``exp(X_k u[idx_k])``, shape ``(n, K)``."""
    eta = np.empty((z.shape[0], lay.k_base))
    with np.errstate(over="ignore", invalid="ignore"):  # trial steps; callers check theta
        for k, (idx, _) in enumerate(lay.per_param):
            eta[:, k] = _design_block(lay, z, k) @ u[list(idx)]
        return np.exp(eta)


LogLik = Callable[..., tuple[FloatArray, FloatArray]]

_BLOCK = 65_536
"""Rows per block of a likelihood evaluation (two blocks run at once on two cores)."""

_SUBSAMPLE = 25_000
"""Customers of the systematic subsample a large fit starts on."""

_MIN_CLASSIC_START = 20
"""Fewest customers whose classic fit gives the start values (fewer: its data-based start)."""


@dataclass(frozen=True)
class _Problem:
    """The data of one fit: covariates, the model's data columns and the likelihood."""

    lay: _Layout
    lik: LogLik
    z: FloatArray
    data: tuple[FloatArray, ...]
    penalty: float
    lik_hess: Callable[..., tuple[FloatArray, FloatArray, FloatArray]] | None = None
    """Per-customer log-likelihood, gradient and ``(n, K, K)`` Hessian in the
    log-parameters, when the model has it in closed form (the BG family)."""

    @property
    def n(self) -> int:
        return int(self.z.shape[0])

    def subset(self, rows: npt.NDArray[np.intp]) -> _Problem:
        return _Problem(
            self.lay,
            self.lik,
            self.z[rows],
            tuple(d[rows] for d in self.data),
            self.penalty,
            self.lik_hess,
        )


def _block_terms(
    prob: _Problem, u: FloatArray, lo: int, hi: int, hess: int
) -> tuple[float, FloatArray, FloatArray | None]:
    """Log-likelihood sum, gradient in ``u`` and Hessian of rows ``lo:hi``: no Hessian for
    ``hess = 0``, central differences of the analytic gradient for 2, forward for 1 (trial
    steps may overflow: the line search rejects non-finite values)."""
    with np.errstate(all="ignore"):
        return _block_terms_raw(prob, u, lo, hi, hess)


def _block_terms_raw(
    prob: _Problem, u: FloatArray, lo: int, hi: int, hess: int
) -> tuple[float, FloatArray, FloatArray | None]:
    lay = prob.lay
    z = prob.z[lo:hi]
    data = tuple(d[lo:hi] for d in prob.data)
    theta = _theta(lay, u, z)
    analytic = hess > 0 and prob.lik_hess is not None
    with np.errstate(all="ignore"):
        if analytic:
            assert prob.lik_hess is not None
            ll, g, h_closed = prob.lik_hess(theta, *data)
        else:
            ll, g = prob.lik(theta, *data)
    blocks = [_design_block(lay, z, k) for k in range(lay.k_base)]
    grad = np.zeros(lay.size)
    for k, (idx, _) in enumerate(lay.per_param):
        grad[list(idx)] += blocks[k].T @ g[:, k]
    total = float(ll.sum())
    if not hess:
        return total, grad, None
    kb = lay.k_base
    h_rows = h_closed if analytic else np.empty((theta.shape[0], kb, kb))
    for k in range(0 if analytic else kb):
        h = 1e-4 if hess == 2 else 1e-6
        up = theta.copy()
        up[:, k] *= math.exp(h)
        with np.errstate(all="ignore"):
            g_up = prob.lik(up, *data)[1]
        if hess == 2:
            down = theta.copy()
            down[:, k] *= math.exp(-h)
            with np.errstate(all="ignore"):
                g_down = prob.lik(down, *data)[1]
            h_rows[:, :, k] = (g_up - g_down) / (2.0 * h)
        else:
            h_rows[:, :, k] = (g_up - g) / h
    h_rows = 0.5 * (h_rows + h_rows.transpose(0, 2, 1))
    out = np.zeros((lay.size, lay.size))
    for k, (idx_k, _) in enumerate(lay.per_param):
        for m in range(k, kb):
            idx_m = lay.per_param[m][0]
            block = blocks[k].T @ (h_rows[:, k, m][:, None] * blocks[m])
            out[np.ix_(list(idx_k), list(idx_m))] += block
            if m != k:
                out[np.ix_(list(idx_m), list(idx_k))] += block.T
    return total, grad, out


def _evaluate(
    prob: _Problem, u: FloatArray, hess: int, pool: ThreadPoolExecutor | None
) -> tuple[float, FloatArray, FloatArray | None]:
    """The penalised log-likelihood, its gradient and (``hess > 0``) Hessian in ``u``."""
    spans = [(lo, min(lo + _BLOCK, prob.n)) for lo in range(0, prob.n, _BLOCK)]
    if pool is not None and len(spans) > 1:
        parts = list(pool.map(lambda s: _block_terms(prob, u, s[0], s[1], hess), spans))
    else:
        parts = [_block_terms(prob, u, lo, hi, hess) for lo, hi in spans]
    total = 0.0
    grad = np.zeros(prob.lay.size)
    h_mat = np.zeros((prob.lay.size, prob.lay.size)) if hess else None
    for value, g, h in parts:  # in block order: the same sums with or without threads
        total += value
        grad += g
        if h_mat is not None and h is not None:
            h_mat += h
    kb = prob.lay.k_base
    gam = u[kb:]
    total -= prob.penalty * float(gam @ gam)
    grad[kb:] -= 2.0 * prob.penalty * gam
    if h_mat is not None:
        h_mat[kb:, kb:] -= 2.0 * prob.penalty * np.eye(gam.size)
    if not math.isfinite(total) or not np.all(np.isfinite(grad)):
        total = -math.inf
    return total, grad, h_mat


def _fresh(
    prob: _Problem, u: FloatArray, kind: int, pool: ThreadPoolExecutor | None
) -> tuple[float, FloatArray, FloatArray]:
    """:func:`_evaluate` with a Hessian."""
    f, g, h = _evaluate(prob, u, kind, pool)
    assert h is not None
    return f, g, h


@dataclass(frozen=True)
class _Optimum:
    u: FloatArray
    value: float
    grad: FloatArray
    hess: FloatArray
    n_iter: int
    converged: bool


def _newton(
    prob: _Problem,
    u: FloatArray,
    pool: ThreadPoolExecutor | None,
    *,
    hess0: FloatArray | None = None,
    kind: int = 2,
    max_iter: int = 60,
) -> _Optimum:
    """Newton ascent with a backtracking line search, reusing a Hessian while it works
    (chord steps: one likelihood evaluation per step) and recomputing it when the steps slow
    down or fail. Converged when the Newton decrement (the log-likelihood still to gain) is
    below :math:`\\max(10^{-6}, 10^{-8} n)` and every gradient component below
    :math:`10^{-3}\\sqrt{|H_{jj}|}` (a thousandth of its standard error's scale); the
    Hessian returned (for the covariance) is always one computed on ``prob`` at the returned
    point or within 0.02 standard errors of it."""
    if hess0 is None:
        f, g, h = _fresh(prob, u, kind, pool)
        at: FloatArray | None = u
    else:
        f, g, _ = _evaluate(prob, u, 0, pool)
        h, at = hess0, None
    assert h is not None
    if not math.isfinite(f):
        raise ArgumentError(
            "the log-likelihood is not finite at the start values (the classic model's fit "
            "with all effects 0)",
            argument="data",
        )
    tol = max(1e-6, 1e-8 * prob.n)
    gtol = 1e-3
    previous = math.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        step = _solve_pd(-h, g)
        decrement = 0.5 * float(g @ step)
        scaled = np.abs(g) / np.sqrt(np.maximum(np.abs(np.diag(h)), 1e-300))
        if decrement < tol and float(np.max(scaled, initial=0.0)) < gtol:
            moved = math.inf if at is None else float((u - at) @ (-h) @ (u - at))
            if moved <= 4e-4:
                return _Optimum(u, f, g, h, n_iter, True)
            f, g, h = _fresh(prob, u, kind, pool)
            at, previous = u, math.inf
            continue
        if at is not u and decrement > 0.1 * previous:  # chord steps slow: a fresh Hessian
            f, g, h = _fresh(prob, u, kind, pool)
            at, previous = u, math.inf
            continue
        t = 1.0
        accepted = False
        for _ in range(40):
            trial = u + t * step
            f_new, g_new, _ = _evaluate(prob, trial, 0, pool)
            if math.isfinite(f_new) and f_new >= f + 1e-4 * t * float(g @ step):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            if at is u:
                return _Optimum(u, f, g, h, n_iter, False)
            f, g, h = _fresh(prob, u, kind, pool)
            at, previous = u, math.inf
            continue
        u, f, g, previous = trial, f_new, g_new, decrement
    return _Optimum(u, f, g, h, n_iter, False)


def _solve_pd(neg_hess: FloatArray, g: FloatArray) -> FloatArray:
    """Solve ``neg_hess step = g``, adding a ridge until ``neg_hess`` is positive definite
    (Levenberg): an ascent direction far from the optimum."""
    scale = max(float(np.max(np.abs(np.diag(neg_hess)))), 1e-12)
    ridge = 0.0
    eye = np.eye(g.size)
    for _ in range(60):
        try:
            chol = np.linalg.cholesky(neg_hess + ridge * eye)
        except np.linalg.LinAlgError:
            ridge = max(2.0 * ridge, 1e-10 * scale)
            continue
        y = np.linalg.solve(chol, g)
        out: FloatArray = np.linalg.solve(chol.T, y)
        return out
    return g / scale


def _fit(prob: _Problem, start: FloatArray) -> _Optimum:
    """Newton from ``start``; large data start on a systematic subsample (stratified by
    frequency: the rows are sorted by it), whose Hessian, scaled to the full data, drives
    chord steps on the full data; the full-data Hessian is then computed once (forward
    differences) for the covariance."""
    workers = 2 if prob.n >= 2 * _BLOCK else 1
    with one_blas_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
        use = pool if workers > 1 else None
        if prob.n <= _SUBSAMPLE * 6 // 5:
            return _newton(prob, start, use)
        rows = np.linspace(0, prob.n - 1, _SUBSAMPLE).round().astype(np.intp)
        sub = _newton(prob.subset(rows), start, None, kind=1)
        scaled = sub.hess * (prob.n / rows.size)
        return _newton(prob, sub.u, use, hess0=scaled, kind=1)


# --------------------------------------------------------------------------- fit result
@dataclass(frozen=True, eq=False)
class CovariateFit:
    """The fit of a covariate model: covariance, log-likelihood and convergence.

    Parameters
    ----------
    names
        Parameter and coefficient labels, in the order of ``cov``: the base parameters
        (``r``, ``alpha``, ...) then the coefficients (``purchase:age``, ...).
    cov
        Covariance of the estimates on the fitting scale: logarithms of the base parameters,
        the coefficients themselves; shape ``(k, k)`` (all NaN when the data do not identify
        the estimates: see :attr:`identified`).
    log_likelihood
        The (unpenalised) log-likelihood at the estimates.
    nobs
        Customers fitted.
    penalty
        The L2 penalty :math:`\\lambda` on the coefficients (0 for maximum likelihood).
    converged
        Whether the Newton decrement and gradient met the tolerance.
    grad_norm
        Largest absolute gradient component of the (penalised) log-likelihood at the end.
    n_iter
        Newton iterations on the full data.
    n_excluded
        Customers set aside (Gamma-Gamma: those without repeat purchases).
    """

    names: tuple[str, ...]
    cov: FloatArray = field(repr=False)
    log_likelihood: float
    nobs: int
    penalty: float
    converged: bool
    grad_norm: float
    n_iter: int
    n_excluded: int = 0

    def __post_init__(self) -> None:
        k = len(self.names)
        if not isinstance(self.cov, np.ndarray) or self.cov.shape != (k, k):
            raise ArgumentError(
                f"must be a {k} x {k} array (one row per name), got "
                f"{getattr(self.cov, 'shape', type(self.cov).__name__)}",
                argument="cov",
            )
        problem = _covariance_problem(np.asarray(self.cov, dtype=np.float64))
        if problem:  # a NaN here and there would claim standard errors (identified) it lacks
            raise ArgumentError(problem, argument="cov")
        for name in ("nobs", "n_iter", "n_excluded"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "nobs" else 0):
                raise ArgumentError(f"must be a whole number, got {v!r}", argument=name)
        check_number(self.log_likelihood, "log_likelihood")
        check_number(self.penalty, "penalty", low=0.0)

    @property
    def identified(self) -> bool:
        """Whether the data identify the estimates, so that standard errors are claimed: the
        Hessian at the estimates is negative definite and every base parameter's logarithm
        (at the customers' mean covariates) has a standard error of at most 10 (a fit of
        one or two customers runs off towards the boundary: the covariance is then NaN, and
        the fit warned with a :class:`~relmark.errors.ConvergenceWarning`)."""
        return not bool(np.all(np.isnan(self.cov)))

    @property
    def k(self) -> int:
        """Number of estimated quantities (base parameters and coefficients)."""
        return len(self.names)

    @property
    def aic(self) -> float:
        """Akaike information criterion, :math:`2k - 2\\ell`."""
        return 2.0 * self.k - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, :math:`k \\ln n - 2\\ell`."""
        return self.k * math.log(self.nobs) - 2.0 * self.log_likelihood

    def to_dict(self) -> dict[str, Any]:
        """The fit as JSON-ready data.

        Returns
        -------
        dict
            ``cov`` as nested lists and the scalars.
        """
        return {
            "cov": self.cov.tolist(),
            "log_likelihood": self.log_likelihood,
            "nobs": self.nobs,
            "penalty": self.penalty,
            "converged": self.converged,
            "grad_norm": self.grad_norm,
            "n_iter": self.n_iter,
            "n_excluded": self.n_excluded,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CovariateFit):
            return NotImplemented
        return json.dumps(self.to_dict(), sort_keys=True) == json.dumps(
            other.to_dict(), sort_keys=True
        ) and (self.names == other.names)

    __hash__ = None  # type: ignore[assignment]


_FIT_KEYS = (
    "cov",
    "log_likelihood",
    "nobs",
    "penalty",
    "converged",
    "grad_norm",
    "n_iter",
    "n_excluded",
)


def _covariance_problem(cov: FloatArray) -> str:
    """What makes a square array no covariance of a fit (empty if nothing): all NaN (an
    unidentified fit) or finite, symmetric and positive semi-definite."""
    if np.all(np.isnan(cov)):
        return ""
    if (
        not np.all(np.isfinite(cov))
        or not np.allclose(cov, cov.T, rtol=1e-9, atol=0.0)
        or np.any(np.diag(cov) < 0)
    ):
        return "must be symmetric with a non-negative diagonal, all finite or all NaN"
    eig = np.linalg.eigvalsh(cov)
    if eig[0] < -1e-9 * max(float(eig[-1]), 0.0):
        return f"must be positive semi-definite (a covariance), has the eigenvalue {eig[0]:g}"
    return ""


def _fit_from_dict(value: object, names: tuple[str, ...]) -> CovariateFit:
    if not isinstance(value, dict):
        raise SchemaError(f"must be a JSON object or null, got {value!r}", key="fit")
    missing = [key for key in _FIT_KEYS if key not in value]
    unknown = [key for key in value if key not in _FIT_KEYS]
    if missing or unknown:
        bad = (missing or unknown)[0]
        what = "missing" if missing else "unknown"
        raise SchemaError(f"{what} key", key=f"fit.{bad}")
    k = len(names)
    raw = value["cov"]
    if not (
        isinstance(raw, list)
        and len(raw) == k
        and all(isinstance(row, list) and len(row) == k for row in raw)
        and all(is_json_number(v, allow_nan=True) for row in raw for v in row)
    ):
        raise SchemaError(f"must be a {k} x {k} list of lists of numbers", key="fit.cov")
    cov = np.array(raw, dtype=np.float64)
    problem = _covariance_problem(cov)
    if problem:
        raise SchemaError(problem, key="fit.cov")

    def real(key: str, low: float | None = None) -> float:
        v = value[key]
        if not is_json_number(v):
            raise SchemaError(f"must be a finite number, got {v!r}", key=f"fit.{key}")
        if low is not None and v < low:
            raise SchemaError(f"must be >= {low:g}, got {v!r}", key=f"fit.{key}")
        return float(v)

    def whole(key: str, low: int) -> int:
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise SchemaError(f"must be a whole number >= {low}, got {v!r}", key=f"fit.{key}")
        return v

    if not isinstance(value["converged"], bool):
        raise SchemaError("must be true or false", key="fit.converged")
    return CovariateFit(
        names=names,
        cov=cov,
        log_likelihood=real("log_likelihood"),
        nobs=whole("nobs", 1),
        penalty=real("penalty", 0.0),
        converged=value["converged"],
        grad_norm=real("grad_norm", 0.0),
        n_iter=whole("n_iter", 0),
        n_excluded=whole("n_excluded", 0),
    )


# --------------------------------------------------------------------------- models
def _group_apply(
    fn: Callable[..., FloatArray], theta: FloatArray, *columns: FloatArray
) -> FloatArray:
    """``fn(params, *columns)`` with each customer's own parameter row, evaluated once per
    distinct row of ``theta`` on the customers who share it (the classic formulas, exactly)."""
    n = theta.shape[0]
    out = np.empty(n)
    if n == 0:
        return out
    uniq, inverse = np.unique(theta, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if uniq.shape[0] == 1:
        out[:] = fn(uniq[0], *columns)
        return out
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(uniq.shape[0] + 1))
    for g in range(uniq.shape[0]):
        rows = order[bounds[g] : bounds[g + 1]]
        out[rows] = fn(uniq[g], *(c[rows] for c in columns))
    return out


class _CovariateModel:
    """Shared machinery of the covariate models (see the concrete classes)."""

    name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    slots: ClassVar[tuple[_Slot, ...]]
    sources: ClassVar[tuple[str, ...]]
    classic: ClassVar[Any]

    def __init__(
        self,
        *,
        params: Mapping[str, float],
        coefficients: Mapping[str, float] | None = None,
        covariates: Mapping[str, Sequence[str]] | None = None,
        time_unit: str | None = None,
        fit: CovariateFit | None = None,
    ) -> None:
        lists: dict[str, tuple[str, ...]] = {}
        for value, argument in ((params, "params"), (coefficients, "coefficients")):
            if not isinstance(value, Mapping) and not (value is None and argument != "params"):
                raise ArgumentError(
                    f"must be a mapping of name to number, got {type(value).__name__}",
                    argument=argument,
                )
        if covariates is not None and not isinstance(covariates, Mapping):
            raise ArgumentError(
                f"must map {', '.join(self.sources)} to lists of column names, got "
                f"{type(covariates).__name__}",
                argument="covariates",
            )
        if time_unit is not None and not isinstance(time_unit, str):
            raise ArgumentError(
                f"must be text or None, got {type(time_unit).__name__}", argument="time_unit"
            )
        given = dict(covariates or {})
        for key in given:
            if key not in self.sources:
                raise ArgumentError(
                    f"{self.name} takes covariates for {', '.join(self.sources)}",
                    argument=f"covariates[{key!r}]",
                )
        for source in self.sources:
            lists[source] = check_names(given.get(source), f"{source}_covariates")
        shared = set(lists.get("shared", ()))
        overlap = sorted(shared & {n for k, v in lists.items() if k != "shared" for n in v})
        if overlap:
            raise ArgumentError(
                f"covariate {overlap[0]!r} is both shared and process-specific: list it once",
                argument="covariates['shared']",
            )
        self._lists = lists
        self._layout = _layout(self.param_names, self.slots, lists)
        if fit is not None and (
            not isinstance(fit, CovariateFit)
            or fit.names != (*self.param_names, *self._layout.labels)
        ):
            raise ArgumentError(
                "must be the CovariateFit of a model with these parameters and coefficients "
                f"({', '.join((*self.param_names, *self._layout.labels))})",
                argument="fit",
            )
        base = self.classic.param_set.validate(dict(params), model=self.name)
        self.classic(**dict(zip(self.param_names, base.tolist(), strict=True)))  # domain
        coefs = dict(coefficients or {})
        labels = self._layout.labels
        extra = [c for c in coefs if c not in labels]
        if extra:
            raise ParameterError(
                f"{self.name} has the coefficients {', '.join(labels) or '(none)'}; "
                f"{extra[0]!r} is not one",
                argument=extra[0],
            )
        values = []
        for label in labels:
            v = coefs.get(label, 0.0)
            try:
                values.append(check_number(v, label))
            except ArgumentError:
                raise ParameterError(
                    f"coefficient {label}={v!r} is not a finite number", argument=label
                ) from None
        self._base = base
        self._coef = np.array(values, dtype=np.float64)
        self.time_unit = time_unit
        self._fit = fit

    # ------------------------------------------------------------------ state
    @property
    def params(self) -> dict[str, float]:
        """The base parameters by name (the scales at :math:`z = 0`)."""
        return dict(zip(self.param_names, self._base.tolist(), strict=True))

    @property
    def coefficients(self) -> dict[str, float]:
        """The covariate coefficients by label (``purchase:age``, ...)."""
        return dict(zip(self._layout.labels, self._coef.tolist(), strict=True))

    @property
    def covariate_names(self) -> dict[str, tuple[str, ...]]:
        """The covariates of each process (``purchase``, ``dropout``, ``shared``, ``spend``)."""
        return dict(self._lists)

    @property
    def fit_result(self) -> CovariateFit:
        """The fit (covariance, log-likelihood, ...); an ``ArgumentError`` for a model built
        from values."""
        if self._fit is None:
            raise ArgumentError(
                f"this {self.name} was built from given values, not fitted", argument="fit"
            )
        return self._fit

    @property
    def is_fitted(self) -> bool:
        """Whether the model carries a fit result."""
        return self._fit is not None

    def _u(self) -> FloatArray:
        return np.concatenate([np.log(self._base), self._coef])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _CovariateModel)
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v:.6g}" for k, v in {**self.params, **self.coefficients}.items())
        return f"{type(self).__name__}({inner})"

    # ------------------------------------------------------------------ inference
    def std_errors(self) -> dict[str, float]:
        """Standard errors of the base parameters (delta method) and of the coefficients.

        Returns
        -------
        dict
            By name and label (NaN when the Hessian was not negative definite).

        Raises
        ------
        ArgumentError
            For a model that was not fitted.
        """
        fit = self.fit_result
        se = np.sqrt(np.diag(fit.cov))
        kb = len(self.param_names)
        se = np.concatenate([se[:kb] * self._base, se[kb:]])
        return dict(zip(fit.names, se.tolist(), strict=True))

    def conf_int(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Intervals of coverage ``level``: Wald on the log scale for the base parameters
        (mapped back, so they stay positive), Wald for the coefficients.

        Parameters
        ----------
        level
            Coverage, strictly between 0 and 1.

        Returns
        -------
        dict
            ``(lower, upper)`` by name and label.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or a model that was not fitted.
        """
        coverage = check_level(level, "level")
        fit = self.fit_result
        q = float(norm.ppf(0.5 + coverage / 2.0))
        se = np.sqrt(np.diag(fit.cov))
        u = self._u()
        lo, hi = u - q * se, u + q * se
        kb = len(self.param_names)
        lo[:kb], hi[:kb] = np.exp(lo[:kb]), np.exp(hi[:kb])
        return {n: (float(a), float(b)) for n, a, b in zip(fit.names, lo, hi, strict=True)}

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors, intervals, z and p-values of every parameter and
        coefficient (a pandas DataFrame indexed by name; z and p for the coefficients only).

        Parameters
        ----------
        level
            Coverage of the intervals.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate, std_error, lower, upper, z, p_value``.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or a model that was not fitted.
        """
        se = self.std_errors()
        ci = self.conf_int(level)
        labels = self._layout.labels
        coefs = coefficient_table(
            labels, self._coef, np.array([se[c] for c in labels]), level=level
        )
        base = pd.DataFrame(
            {
                "estimate": self._base,
                "std_error": [se[p] for p in self.param_names],
                "lower": [ci[p][0] for p in self.param_names],
                "upper": [ci[p][1] for p in self.param_names],
                "z": np.nan,
                "p_value": np.nan,
            },
            index=pd.Index(list(self.param_names), name="coefficient"),
        )
        return pd.concat([base, coefs]) if len(labels) else base

    def summary(self, level: float = 0.95) -> str:
        """A text table of the fit: parameters, coefficients by label, log-likelihood, AIC,
        BIC.

        Parameters
        ----------
        level
            Coverage of the intervals.

        Returns
        -------
        str
            The table.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or a model that was not fitted.
        """
        fit = self.fit_result
        head = [
            f"{self.name} maximum-likelihood fit"
            + (f" (L2 penalty {fit.penalty:g})" if fit.penalty > 0 else ""),
            f"  customers: {fit.nobs:,}"
            + (f"   set aside: {fit.n_excluded:,}" if fit.n_excluded else ""),
            f"  log-likelihood: {fit.log_likelihood:,.4f}   AIC: {fit.aic:,.2f}   "
            f"BIC: {fit.bic:,.2f}",
            f"  converged: {'yes' if fit.converged else 'NO'}   |gradient|: "
            f"{fit.grad_norm:.2e}   Newton iterations: {fit.n_iter}"
            + ("" if fit.identified else "   identified: NO (no standard errors)"),
            "",
        ]
        tail = [
            "",
            "  Parameters: intervals Wald on the log scale; coefficients: Wald, z, two-sided p.",
        ]
        return "\n".join([*head, format_table(self.table(level), level=level), *tail])

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (schema, parameters, covariate names, coefficients,
        fit).

        Returns
        -------
        dict
            Plain data; :func:`load_model` reads it back.
        """
        return {
            "schema": SCHEMA,
            "model": self.name,
            "time_unit": self.time_unit,
            "params": self.params,
            "covariates": {k: list(v) for k, v in self._lists.items()},
            "coefficients": self.coefficients,
            "fit": None if self._fit is None else self._fit.to_dict(),
        }

    def to_json(self) -> str:
        """The model as a JSON text (exact: floats are written with full precision).

        Returns
        -------
        str
            JSON.
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Rebuild a model saved by :meth:`to_dict`.

        Parameters
        ----------
        d
            The saved data.

        Returns
        -------
        model
            The same model (equal to the saved one).

        Raises
        ------
        SchemaError
            For a missing, unknown or invalid key, another model, or coefficients that do not
            match the covariate names (naming the key).
        """
        if not isinstance(d, Mapping):
            raise SchemaError(f"must be a JSON object, got {type(d).__name__}")
        keys = ("schema", "model", "time_unit", "params", "covariates", "coefficients", "fit")
        for key in keys:
            if key not in d:
                raise SchemaError("missing key", key=key)
        for key in d:
            if key not in keys:
                raise SchemaError("unknown key", key=key)
        if d["schema"] != SCHEMA:
            raise SchemaError(
                f"unsupported schema {d['schema']!r} (expected {SCHEMA!r})", key="schema"
            )
        if d["model"] != cls.name:
            raise SchemaError(f"is {d['model']!r}, not {cls.name!r}", key="model")
        if d["time_unit"] is not None and not isinstance(d["time_unit"], str):
            raise SchemaError("must be text or null", key="time_unit")
        cov_names = d["covariates"]
        if not isinstance(cov_names, dict) or sorted(cov_names) != sorted(cls.sources):
            raise SchemaError(
                f"must be an object with the keys {', '.join(cls.sources)}", key="covariates"
            )
        lists = {s: names_from_json(cov_names[s], f"covariates.{s}") for s in cls.sources}
        params = d["params"]
        if not isinstance(params, dict):
            raise SchemaError("must be a JSON object", key="params")
        for name in params:
            if name not in cls.param_names:
                raise SchemaError("unknown parameter", key=f"params.{name}")
        for name in cls.param_names:
            v = params.get(name)
            if not is_json_number(v, allow_nan=True):
                raise SchemaError(f"must be a number, got {v!r}", key=f"params.{name}")
        coefs = d["coefficients"]
        if not isinstance(coefs, dict):
            raise SchemaError("must be a JSON object", key="coefficients")
        expected = _layout(cls.param_names, cls.slots, lists).labels
        if list(coefs) != list(expected):
            bad = next(
                (c for c in [*coefs, *expected] if (c in coefs) != (c in expected)),
                next(iter(coefs), "coefficients"),
            )
            raise SchemaError(
                f"the coefficients must be {', '.join(expected) or '(none)'} in that order, "
                "as the covariate names give them",
                key=f"coefficients.{bad}",
            )
        for label, v in coefs.items():
            if not is_json_number(v):
                raise SchemaError(
                    f"must be a finite number, got {v!r}", key=f"coefficients.{label}"
                )
        names = (*cls.param_names, *expected)
        fit = None if d["fit"] is None else _fit_from_dict(d["fit"], names)
        try:
            return cls(
                params=params,
                coefficients=coefs,
                covariates=lists,
                time_unit=d["time_unit"],
                fit=fit,
            )
        except ParameterError as exc:
            raise SchemaError(str(exc), key=f"params.{exc.argument}") from None
        except ArgumentError as exc:  # e.g. a covariate both shared and process-specific
            key = str(exc.argument).replace("['", ".").replace("']", "")
            raise SchemaError(str(exc), key=key) from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Rebuild a model from :meth:`to_json`'s text.

        Parameters
        ----------
        text
            The JSON text.

        Returns
        -------
        model
            The same model.

        Raises
        ------
        SchemaError
            For text that is not JSON or not a saved model of this class (naming the key).
        """
        try:
            d = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SchemaError(f"not JSON: {exc}") from None
        return cls.from_dict(d)

    # ------------------------------------------------------------------ covariates
    def _z(self, data: object, covariates: object, n_rows: int | None) -> FloatArray:
        names = self._layout.names
        source = covariates if covariates is not None else data
        if not names:
            return np.zeros((n_rows or 0, 0))
        if source is None:
            raise ArgumentError(
                f"the model needs the covariates {', '.join(names)}: pass a frame with them "
                "(data=...) or covariates=...",
                argument="covariates",
            )
        _check_aligned(data, covariates)
        return read_covariates(source, names, labels=customer_labels(data), n_rows=n_rows)

    def customer_params(self, data: object = None, *, covariates: object = None) -> pd.DataFrame:
        """Each customer's parameters given their covariates.

        Parameters
        ----------
        data
            A frame (pandas or polars) or mapping holding the covariate columns.
        covariates
            The covariates instead (a frame, mapping or 2-d array in the order of
            ``covariate_names``), if not in ``data``.

        Returns
        -------
        pandas.DataFrame
            One column per base parameter, one row per customer.

        Raises
        ------
        DataError
            For missing or invalid covariate columns (naming them).
        """
        z = self._z(data, covariates, None)
        theta = _theta(self._layout, self._u(), z)
        self._check_theta(theta)
        return pd.DataFrame(theta, columns=list(self.param_names))

    @classmethod
    def _from_optimum(
        cls,
        opt: _Optimum,
        prob: _Problem,
        lists: dict[str, tuple[str, ...]],
        unit: str | None,
        n_excluded: int,
    ) -> Self:
        kb = len(cls.param_names)
        u = opt.u
        if not np.all(np.abs(u[:kb]) < 700.0):
            # the parameters at z = 0 are out of floating-point range: z = 0 lies far from the
            # data (e.g. a covariate around 1e9); name the covariate that moved them furthest
            means = prob.z.mean(axis=0) if prob.z.shape[1] else np.zeros(0)
            shift = np.zeros(len(prob.lay.names))
            for idx, cols in prob.lay.per_param:
                for i, (c, _) in zip(idx[1:], cols, strict=True):
                    shift[c] = max(shift[c], abs(float(u[i]) * float(means[c])))
            worst = prob.lay.names[int(np.argmax(shift))] if shift.size else "covariates"
            raise DataError(
                "the parameters at covariates 0 overflow (exp of "
                f"{float(np.max(np.abs(u[:kb]))):.3g}): zero lies far from the covariate's "
                "values; centre it (subtract its mean) and fit again",
                column=worst,
            )
        try:
            with np.errstate(all="ignore"):  # a Hessian of non-finite entries: refused below
                chol = np.linalg.cholesky(-opt.hess)
                inv = np.linalg.inv(chol)
                cov = inv.T @ inv
                cov = 0.5 * (cov + cov.T)
            if not np.all(np.isfinite(cov)):
                raise np.linalg.LinAlgError("not finite")
        except np.linalg.LinAlgError:
            cov = np.full((u.size, u.size), np.nan)
            warnings.warn(
                f"{cls.name}: the Hessian at the estimates is not finite or not negative "
                "definite; the parameters and effects are not identified by these data and "
                "standard errors are NaN",
                ConvergenceWarning,
                stacklevel=3,
            )
        else:
            cov = _identified_cov(cls, prob, u, cov)
        if not opt.converged:
            warnings.warn(
                f"{cls.name}: the fit did not converge (largest gradient "
                f"{float(np.max(np.abs(opt.grad), initial=0.0)):.3g}); the estimates may not "
                "be the maximum-likelihood ones",
                ConvergenceWarning,
                stacklevel=3,
            )
        gam = u[kb:]
        ll = opt.value + prob.penalty * float(gam @ gam)
        fit = CovariateFit(
            names=(*cls.param_names, *prob.lay.labels),
            cov=cov,
            log_likelihood=ll,
            nobs=prob.n,
            penalty=prob.penalty,
            converged=opt.converged,
            grad_norm=float(np.max(np.abs(opt.grad), initial=0.0)),
            n_iter=opt.n_iter,
            n_excluded=n_excluded,
        )
        return cls(
            params=dict(zip(cls.param_names, np.exp(u[:kb]).tolist(), strict=True)),
            coefficients=dict(zip(prob.lay.labels, gam.tolist(), strict=True)),
            covariates=lists,
            time_unit=unit,
            fit=fit,
        )

    def _unused_rows(self, covariates: object) -> int | None:
        """The number of customers that covariates given to a model *without* covariates
        describe (their values are not used, their count is), or None."""
        if covariates is None or self._layout.names:
            return None
        if isinstance(covariates, Mapping):
            first = next(iter(covariates.values()), None)
            return None if first is None else int(np.shape(first)[0]) if np.ndim(first) else 1
        shape = getattr(covariates, "shape", None)
        if shape is not None and len(shape) >= 1:
            return int(shape[0])
        return len(covariates) if isinstance(covariates, list | tuple) else None

    def _check_theta(self, theta: FloatArray) -> None:
        bad = ~np.all(np.isfinite(theta) & (theta > 0), axis=1)
        if bad.any():
            raise DataError(
                "the covariates give parameters that overflow (exp of a huge effect): check "
                "the covariates' scale",
                column="covariates",
                rows=np.flatnonzero(bad).tolist(),
            )


_MAX_LOG_SE = 10.0
"""The largest standard error of a base parameter's logarithm (at the customers' mean
covariates) of an identified fit: beyond it the 95% interval spans more than a factor of
:math:`e^{19.6} \\approx 3 \\times 10^8` either way, and the data do not bound the parameter.
Identified fits (simulated, 10 to 5,000 customers; CDNOW with up to four covariates) stay
below 5; fits of 1 to 10 customers whose estimates run off (BG/NBD's ``a, b`` to infinity)
are at 20 and above."""


def _identified_cov(
    cls: type[_CovariateModel], prob: _Problem, u: FloatArray, cov: FloatArray
) -> FloatArray:
    """``cov``, or NaN (with a ConvergenceWarning) when the data do not identify a base
    parameter: a negative definite Hessian, yet a standard error above :data:`_MAX_LOG_SE`
    for the log-parameter of the mean customer (the estimates ran off along a ridge the
    likelihood is flat on, and the Newton steps stopped where the gradient vanished: one or
    two customers, or no sign of dropout heterogeneity). Handled as a Hessian that is not
    negative definite, the plain models' way: the estimates are reported, standard errors
    are not."""
    mean_z = prob.z.mean(axis=0, keepdims=True)
    se = np.empty(prob.lay.k_base)
    for k, (idx, _) in enumerate(prob.lay.per_param):
        c = _design_block(prob.lay, mean_z, k)[0]
        block = cov[np.ix_(idx, idx)]
        se[k] = math.sqrt(max(float(c @ block @ c), 0.0))
    loose = np.flatnonzero(se > _MAX_LOG_SE)
    if not loose.size:
        return cov
    worst = int(loose[np.argmax(se[loose])])
    names = ", ".join(cls.param_names[i] for i in loose)
    at_zero = math.exp(min(float(u[worst]), 709.0))  # (exp overflows beyond 709)
    warnings.warn(
        f"{cls.name}: the data do not bound {names} at the mean covariates (standard error "
        f"{se[worst]:.3g} of log {cls.param_names[worst]}, {at_zero:.4g} at "
        "covariates 0: the likelihood is flat towards the boundary, e.g. too few customers); "
        "the parameters and effects are not identified by these data and standard errors "
        "are NaN",
        ConvergenceWarning,
        stacklevel=4,
    )
    return np.full_like(cov, np.nan)


def _read_columns(
    model: str,
    data: object,
    given: Mapping[str, npt.ArrayLike | None],
    labels: Sequence[object] | None,
) -> dict[str, FloatArray]:
    """The named columns, each as given or else read from ``data``, as finite float64
    arrays (DataError naming a missing column, or the rows of bad values)."""
    cols = {}
    for key, value in given.items():
        if value is None:
            value = _column(data, key)  # type: ignore[assignment]
        if value is None:
            raise DataError(f"{model} needs the column {key!r}", column=key)
        cols[key] = as_float_array(value, key, labels=labels)
    return cols


def _read_rfm(
    model: str,
    data: object,
    frequency: npt.ArrayLike | None,
    recency: npt.ArrayLike | None,
    T: npt.ArrayLike | None,
    labels: Sequence[object] | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A purchase model's ``frequency``, ``recency`` and ``T``, checked by
    :func:`relmark._validation.check_rfm` (for fits and predictions alike)."""
    cols = _read_columns(model, data, {"frequency": frequency, "recency": recency, "T": T}, labels)
    return check_rfm(cols["frequency"], cols["recency"], cols["T"], labels=labels)


def _check_aligned(data: object, covariates: object) -> None:
    """A pandas frame of covariates indexed by customer id must list the customers of ``data``
    in its order (its rows are read by position: another order would pair each customer with
    someone else's covariates)."""
    index = getattr(covariates, "index", None)
    if data is None or not isinstance(covariates, pd.DataFrame) or isinstance(index, pd.RangeIndex):
        return
    ids = _column(data, "customer_id")
    if ids is None:
        own = getattr(data, "index", None)
        if not isinstance(own, pd.Index) or isinstance(own, pd.RangeIndex):
            return  # no customer ids to compare with: positions it is
        ids = own
    given = pd.Index(list(np.asarray(ids, dtype=object)))
    theirs = pd.Index(list(np.asarray(covariates.index, dtype=object)))
    if not given.equals(theirs):
        n = min(len(given), len(theirs))
        bad = [theirs[i] for i in range(n) if given[i] != theirs[i]][:10]
        raise DataError(
            "the covariates are indexed by other customers, or by the same in another order, "
            "than the data (rows are read by position): use covariates.reindex(<the data's "
            "customer ids>)",
            column="covariates",
            rows=bad,
        )


def _classic_start(classic: Any, columns: dict[str, FloatArray]) -> FloatArray:
    """The classic model's estimates (all effects 0): only the start of the covariate fit,
    so fitted quietly (the covariate model reports on its own fit, under its own name)."""
    arrays, w = classic._coerce(None, None, columns)
    with one_blas_thread():
        arrays, w = classic._compress(arrays, w, None)
        start: FloatArray = np.asarray(classic._start(arrays, w), dtype=np.float64)
        if float(np.sum(w)) < _MIN_CLASSIC_START:
            return start  # too few customers for the classic fit to be worth (or safe) running
        try:
            result = fit_restricted(
                model=classic.name,
                pset=classic.param_set,
                lik=classic.likelihood_for(classic._check_settings({})),
                data=arrays,
                weights=w,
                start=start,
                priors={},
                fixed={},
                quiet=True,
            )
        except (ArithmeticError, ConvergenceError):
            # unidentified data (e.g. one customer) may run the classic fit off to overflow:
            # start from its data-based start values instead
            return start
    out: FloatArray = np.asarray(result.params_array, dtype=np.float64)
    return out if np.all(np.isfinite(out) & (out > 0)) else start


def _lists_from_fit_args(
    cls: type[_CovariateModel], args: Mapping[str, object]
) -> dict[str, tuple[str, ...]]:
    return {s: check_names(args.get(s), f"{s}_covariates") for s in cls.sources}


def _check_designs(model_cls: type[_CovariateModel], lay: _Layout, z: FloatArray) -> None:
    """Every scaled parameter's covariates must identify their effects."""
    seen: set[tuple[int, ...]] = set()
    for k, (_, cols) in enumerate(lay.per_param):
        idx = [c for c, _ in cols]
        if not idx or tuple(idx) in seen:
            continue
        seen.add(tuple(idx))
        check_design(
            z[:, idx],
            [lay.names[c] for c in idx],
            process=f"{model_cls.name} {model_cls.param_names[k]}",
        )


class _RFMCovariateModel(_CovariateModel):
    """A purchase model (BG/NBD, MBG/NBD, Pareto/NBD) with static covariates."""

    sources: ClassVar[tuple[str, ...]] = ("purchase", "dropout", "shared")
    module: ClassVar[Any]

    @classmethod
    def _lik(cls) -> LogLik:
        raise NotImplementedError

    @classmethod
    def _lik_hess(cls) -> Callable[..., tuple[FloatArray, FloatArray, FloatArray]] | None:
        """The closed-form per-customer Hessian, if the model has one."""
        return None

    @classmethod
    def fit(
        cls,
        data: object = None,
        *,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
        shared_covariates: Sequence[str] | None = None,
        covariates: object = None,
        penalty: float = 0.0,
        frequency: npt.ArrayLike | None = None,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,
        time_unit: str | None = None,
    ) -> Self:
        """Fit by (penalised) maximum likelihood with each customer's covariates.

        Parameters
        ----------
        data
            A summary: an :class:`relmark.data.RFMSummary`, a pandas or polars DataFrame or a
            mapping with ``frequency``, ``recency``, ``T`` and the covariate columns.
        purchase_covariates
            Covariates of the purchase process (scale ``alpha``).
        dropout_covariates
            Covariates of the dropout process (``beta`` for Pareto/NBD; ``a`` and ``b``,
            separately, for the BG family).
        shared_covariates
            Covariates with one coefficient on both processes (label ``both:<name>``).
        covariates
            Where to read the covariate columns if not from ``data``: a frame, a mapping of
            arrays, or a 2-d array whose columns are the covariates in the order purchase,
            dropout, shared (each name once).
        penalty
            L2 penalty :math:`\\lambda \\ge 0` on the coefficients (0: maximum likelihood).
        frequency, recency, T
            The summary's columns as arrays, instead of ``data``.
        time_unit
            The summary's time unit (taken from ``data.time_unit`` when present).

        Returns
        -------
        model
            The fitted model; :meth:`summary`, :meth:`table`, :attr:`fit_result`.

        Raises
        ------
        ArgumentError
            For bad covariate name lists or a bad penalty.
        DataError
            For missing or invalid summary or covariate columns: non-numeric, NaN or infinite
            values, constant or collinear covariates (naming the column and rows).

        Warns
        -----
        ConvergenceWarning
            When Newton's method did not converge, or the data do not identify the estimates:
            the Hessian is not negative definite, or a base parameter's log has a standard
            error above 10 (estimates running off towards the boundary, as on one or two
            customers). The covariance is then NaN and :attr:`CovariateFit.identified` false.
        """
        lists = _lists_from_fit_args(
            cls,
            {
                "purchase": purchase_covariates,
                "dropout": dropout_covariates,
                "shared": shared_covariates,
            },
        )
        overlap = set(lists["shared"]) & (set(lists["purchase"]) | set(lists["dropout"]))
        if overlap:
            name = sorted(overlap)[0]
            raise ArgumentError(
                f"covariate {name!r} is both shared and process-specific: list it once",
                argument="shared_covariates",
            )
        lam = check_number(penalty, "penalty", low=0.0)
        labels = customer_labels(data)
        x, tx, T_ = _read_rfm(cls.name, data, frequency, recency, T, labels)
        lay = _layout(cls.param_names, cls.slots, lists)
        source = covariates if covariates is not None else data
        if lay.names and source is None:
            raise ArgumentError("no data to read the covariates from", argument="covariates")
        _check_aligned(data, covariates)
        z = (
            read_covariates(source, lay.names, labels=labels, n_rows=x.shape[0])
            if lay.names
            else np.zeros((x.shape[0], 0))
        )
        _check_designs(cls, lay, z)
        unit_text = fit_time_unit(data, time_unit)  # (equal to the data's, when it states one)
        # start values: the classic model (all effects 0), on a systematic subsample of
        # large data (only a start: the Newton steps on the full data do the rest)
        every = max(1, x.shape[0] // _SUBSAMPLE)
        base = _classic_start(
            cls.classic, {"frequency": x[::every], "recency": tx[::every], "T": T_[::every]}
        )
        start = np.concatenate([np.log(base), np.zeros(len(lay.labels))])
        order = np.argsort(x, kind="stable")  # runs of equal frequency (Pareto/NBD's series)
        prob = _Problem(
            lay, cls._lik(), z[order], (x[order], tx[order], T_[order]), lam, cls._lik_hess()
        )
        opt = _fit(prob, start)
        return cls._from_optimum(opt, prob, lists, unit_text, 0)

    # ------------------------------------------------------------------ predictions
    def _rfm(
        self,
        data: object,
        covariates: object,
        frequency: npt.ArrayLike | None,
        recency: npt.ArrayLike | None,
        T: npt.ArrayLike | None,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        x, tx, T_ = _read_rfm(self.name, data, frequency, recency, T, customer_labels(data))
        z = self._z(data, covariates, x.shape[0])
        theta = _theta(self._layout, self._u(), z)
        self._check_theta(theta)
        return theta, x, tx, T_

    def p_alive(
        self,
        data: object = None,
        *,
        t: npt.ArrayLike = 0.0,
        covariates: object = None,
        frequency: npt.ArrayLike | None = None,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Probability that each customer is still active at ``T`` (or, with ``t``, at the
        future time ``T + t``), with their own parameters: :math:`P(\\text{alive at } T+t
        \\mid x, t_x, T, z)`.

        Each customer's parameters (:meth:`customer_params`) go into the classic model's
        formula: ``p_alive`` of :mod:`relmark.clv.bgnbd`, :mod:`relmark.clv.mbgnbd` or
        :mod:`relmark.clv.paretonbd`, and ``p_alive_ahead`` for ``t > 0`` (e.g.
        :func:`relmark.clv.bgnbd.p_alive_ahead`), as :meth:`relmark.clv.BGNBD.p_alive` with
        ``t``.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``recency``, ``T`` and the covariate columns.
        t
            Keyword-only: how far after ``T`` (in the summary's time unit, >= 0): one number,
            or one per customer. The default 0 is P(alive) at ``T``.
        covariates
            The covariates, if not in ``data`` (see :meth:`customer_params`).
        frequency, recency, T
            The summary's columns as arrays, instead of ``data``.

        Returns
        -------
        numpy.ndarray
            :math:`P(\\text{alive at } T+t)` of each customer, in ``[0, 1]``, shape ``(n,)``.

        Raises
        ------
        ArgumentError
            For ``t`` that is not finite numbers >= 0, or not one per customer (naming ``t``).
        DataError
            For missing or invalid columns (naming them).

        Examples
        --------
        >>> from relmark.clv.covariates import CovariateBGNBD
        >>> m = CovariateBGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        ...                    coefficients={"purchase:web": 0.5},
        ...                    covariates={"purchase": ["web"]})
        >>> data = {"frequency": [2, 2], "recency": [30.43] * 2, "T": [38.86] * 2,
        ...         "web": [0.0, 0.0]}
        >>> m.p_alive(data, t=[0, 52]).round(3).tolist()  # BGNBD(...).p_alive(2, 30.43, 38.86)
        [0.727, 0.532]
        """
        horizon = check_array(t, "t")
        theta, x, tx, T_ = self._rfm(data, covariates, frequency, recency, T)
        check_matching(horizon, "t", x.shape[0])
        if not horizon.any():
            return self._p_alive(theta, x, tx, T_)
        return self._p_alive_ahead(theta, np.broadcast_to(horizon, x.shape), x, tx, T_)

    def _p_alive(
        self, theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """P(alive) for rows of per-customer parameters: the classic closed forms broadcast
        over the parameter columns (BG family) in one pass."""
        # one customer: the classic one-customer fast path takes a flat parameter vector
        params = theta[0] if theta.shape[0] == 1 else np.ascontiguousarray(theta.T)
        out: FloatArray = self.module.p_alive(params, x, tx, T)
        return out

    def _p_alive_ahead(
        self, theta: FloatArray, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """P(alive at T + t) for rows of per-customer parameters: the classic
        ``p_alive_ahead`` broadcast over the parameter columns (BG family) in one pass."""
        params = theta[0] if theta.shape[0] == 1 else np.ascontiguousarray(theta.T)
        out: FloatArray = self.module.p_alive_ahead(params, t, x, tx, T)
        return out

    def conditional_expected_purchases(
        self,
        data: object = None,
        *,
        t: float,
        covariates: object = None,
        frequency: npt.ArrayLike | None = None,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Expected purchases of each customer in ``(T, T+t]`` given their history and
        covariates.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``recency``, ``T`` and the covariate columns.
        t
            The horizon, in the summary's time unit (>= 0).
        covariates
            The covariates, if not in ``data``.
        frequency, recency, T
            The summary's columns as arrays, instead of ``data``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.

        Raises
        ------
        ArgumentError
            For a bad horizon.
        DataError
            For missing or invalid columns.
        """
        horizon = check_number(t, "t", low=0.0)
        theta, x, tx, T_ = self._rfm(data, covariates, frequency, recency, T)
        return self._conditional(theta, horizon, x, tx, T_)

    def _conditional(
        self, theta: FloatArray, horizon: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Conditional expected purchases for rows of per-customer parameters (the classic
        function once per distinct parameter row)."""
        return _group_apply(
            self.module.conditional_expected_purchases, theta, np.full_like(x, horizon), x, tx, T
        )

    def expected_purchases_new_customer(self, covariates: object = None, *, t: float) -> FloatArray:
        """Expected purchases in ``(0, t]`` of new customers with covariates ``covariates``.

        Parameters
        ----------
        covariates
            A frame, mapping or 2-d array with the model's covariates, one row per customer
            (``None`` for a model without covariates: one customer).
        t
            The horizon since the first purchase (>= 0).

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.

        Raises
        ------
        ArgumentError
            For a bad horizon or missing covariates.
        DataError
            For invalid covariate columns.
        """
        horizon = check_number(t, "t", low=0.0)
        z = self._z(None, covariates, None if self._layout.names else 1)
        if (rows := self._unused_rows(covariates)) is not None:
            z = np.zeros((rows, 0))  # one customer per row of the (unused) covariates
        theta = _theta(self._layout, self._u(), z)
        self._check_theta(theta)
        return _group_apply(
            self.module.expected_purchases_new_customer, theta, np.full(theta.shape[0], horizon)
        )

    def dert(
        self,
        data: object = None,
        *,
        continuous_discount_rate: float,
        covariates: object = None,
        frequency: npt.ArrayLike | None = None,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Discounted expected residual transactions of each customer (FHL 2005, "RFM and
        CLV"), with their own parameters; BG/NBD, MBG/NBD and Pareto/NBD.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``recency``, ``T`` and the covariate columns.
        continuous_discount_rate
            The continuous discount rate per time unit (> 0).
        covariates
            The covariates, if not in ``data``.
        frequency, recency, T
            The summary's columns as arrays, instead of ``data``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.

        Raises
        ------
        ArgumentError
            For a bad rate.
        DataError
            For missing or invalid columns.
        """
        rate = check_number(continuous_discount_rate, "continuous_discount_rate", low=0.0)
        if rate <= 0:
            raise ArgumentError("must be > 0", argument="continuous_discount_rate")
        fn = getattr(self.module, "dert", None)
        if fn is None:
            raise ArgumentError(
                f"{self.name} has no DERT (BG/NBD, MBG/NBD and Pareto/NBD do)",
                argument="continuous_discount_rate",
            )
        theta, x, tx, T_ = self._rfm(data, covariates, frequency, recency, T)
        return _group_apply(lambda p, *c: fn(p, rate, *c), theta, x, tx, T_)

    def simulate(
        self, covariates: object = None, *, T: npt.ArrayLike, rng: RngLike = None
    ) -> dict[str, FloatArray]:
        """Simulate customers with the given covariates, observed for ``T``.

        Parameters
        ----------
        covariates
            The covariates, one row per customer.
        T
            Each customer's observation length (one value per customer).
        rng
            A ``numpy.random.Generator``, a seed or ``None``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``frequency``, ``recency``, ``T`` and ``alive``, as the classic ``simulate``.

        Raises
        ------
        ArgumentError
            For a bad ``rng`` or missing covariates.
        DataError
            For invalid covariates or ``T``.
        """
        gen = check_rng(rng)
        T_arr = as_float_array(T, "T")
        if T_arr.ndim != 1:
            raise DataError(
                f"must be 1-d, one value per customer, got shape {T_arr.shape}", column="T"
            )
        if (T_arr < 0).any():
            raise DataError("must be >= 0", column="T", rows=np.flatnonzero(T_arr < 0).tolist())
        rows = self._unused_rows(covariates)
        if rows is not None and rows != T_arr.shape[0]:
            raise DataError(
                f"has {T_arr.shape[0]} values for the {rows} customers of the covariates",
                column="T",
            )
        z = self._z(None, covariates, T_arr.shape[0] if self._layout.names else None)
        theta = _theta(self._layout, self._u(), z)
        if theta.shape[0] == 0:
            theta = np.tile(self._base, (T_arr.shape[0], 1))
        self._check_theta(theta)
        # the classic simulators draw elementwise: per-customer parameter columns broadcast
        out: dict[str, FloatArray] = self.module.simulate(theta.T, T_arr, rng=gen)
        return out


class _BetaGeometricModel(_RFMCovariateModel):
    """BG/NBD and MBG/NBD: one likelihood, whose ``shift`` is 1 for MBG/NBD (a dropout chance
    at the first purchase too) and 0 for BG/NBD."""

    shift: ClassVar[int]

    @classmethod
    def _lik(cls) -> LogLik:
        shift = cls.shift

        def lik(theta: FloatArray, *d: FloatArray) -> tuple[FloatArray, FloatArray]:
            return _likelihoods.beta_geometric(theta, *d, shift=shift)

        return lik

    @classmethod
    def _lik_hess(cls) -> Callable[..., tuple[FloatArray, FloatArray, FloatArray]] | None:
        shift = cls.shift

        def lik_hess(
            theta: FloatArray, *d: FloatArray
        ) -> tuple[FloatArray, FloatArray, FloatArray]:
            return _likelihoods.beta_geometric_hessian(theta, *d, shift=shift)

        return lik_hess


class CovariateBGNBD(_BetaGeometricModel):
    """BG/NBD with static covariates: :math:`\\alpha_i = \\alpha e^{-\\gamma_p^\\top z_i}`,
    :math:`a_i = a e^{\\gamma_a^\\top z_i}`, :math:`b_i = b e^{\\gamma_b^\\top z_i}`.

    Build from values or :meth:`fit`; see :mod:`relmark.clv.covariates.static`.

    Parameters
    ----------
    params
        ``r, alpha, a, b`` (the parameters at :math:`z = 0`).
    coefficients
        By label (``purchase:<name>``, ``dropout_a:<name>``, ``dropout_b:<name>``,
        ``both:<name>``); omitted ones are 0.
    covariates
        Covariate names by process: ``{"purchase": [...], "dropout": [...], "shared": [...]}``.
    time_unit
        The data's time unit label.
    fit
        The fit result (set by :meth:`fit`).

    Raises
    ------
    ParameterError
        For parameters outside their domain or unknown coefficient labels.
    ArgumentError
        For bad covariate names.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv.covariates import CovariateBGNBD
    >>> m = CovariateBGNBD(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ...                    coefficients={"purchase:web": 0.5},
    ...                    covariates={"purchase": ["web"]})
    >>> m.customer_params({"web": [0.0, 1.0]})["alpha"].round(3).tolist()
    [4.414, 2.677]
    """

    name: ClassVar[str] = "CovariateBGNBD"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    slots: ClassVar[tuple[_Slot, ...]] = (
        _Slot("purchase", 1, -1.0, "purchase"),
        _Slot("dropout_a", 2, 1.0, "dropout"),
        _Slot("dropout_b", 3, 1.0, "dropout"),
    )
    classic: ClassVar[Any] = bgnbd.BGNBD
    module: ClassVar[Any] = bgnbd
    shift: ClassVar[int] = 0


class CovariateMBGNBD(_BetaGeometricModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007) with static covariates, parameterised as
    :class:`CovariateBGNBD`.

    Parameters
    ----------
    params
        ``r, alpha, a, b`` (the parameters at :math:`z = 0`).
    coefficients
        By label (``purchase:<name>``, ``dropout_a:<name>``, ``dropout_b:<name>``,
        ``both:<name>``); omitted ones are 0.
    covariates
        Covariate names by process: ``{"purchase": [...], "dropout": [...], "shared": [...]}``.
    time_unit
        The data's time unit label.
    fit
        The fit result (set by :meth:`fit`).

    Raises
    ------
    ParameterError
        For parameters outside their domain or unknown coefficient labels.
    ArgumentError
        For bad covariate names.
    """

    name: ClassVar[str] = "CovariateMBGNBD"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    slots: ClassVar[tuple[_Slot, ...]] = CovariateBGNBD.slots
    classic: ClassVar[Any] = mbgnbd.MBGNBD
    module: ClassVar[Any] = mbgnbd
    shift: ClassVar[int] = 1


class CovariateParetoNBD(_RFMCovariateModel):
    """Pareto/NBD with static covariates: :math:`\\alpha_i = \\alpha e^{-\\gamma_p^\\top z_i}`,
    :math:`\\beta_i = \\beta e^{-\\gamma_d^\\top z_i}` (CLVTools' ``pnbd`` form).

    Parameters
    ----------
    params
        ``r, alpha, s, beta`` (the parameters at :math:`z = 0`).
    coefficients
        By label (``purchase:<name>``, ``dropout:<name>``, ``both:<name>``); omitted ones are 0.
    covariates
        Covariate names by process: ``{"purchase": [...], "dropout": [...], "shared": [...]}``.
    time_unit
        The data's time unit label.
    fit
        The fit result (set by :meth:`fit`).

    Raises
    ------
    ParameterError
        For parameters outside their domain or unknown coefficient labels.
    ArgumentError
        For bad covariate names.
    """

    name: ClassVar[str] = "CovariateParetoNBD"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    slots: ClassVar[tuple[_Slot, ...]] = (
        _Slot("purchase", 1, -1.0, "purchase"),
        _Slot("dropout", 3, -1.0, "dropout"),
    )
    classic: ClassVar[Any] = paretonbd.ParetoNBD
    module: ClassVar[Any] = paretonbd

    @classmethod
    def _lik(cls) -> LogLik:
        return _likelihoods.pareto_nbd

    def _p_alive(
        self, theta: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Pareto/NBD's P(alive): the alive term of each customer's likelihood over the
        likelihood, in one vectorised pass."""
        return _likelihoods.pareto_nbd_p_alive(theta, x, tx, T)

    def _p_alive_ahead(
        self, theta: FloatArray, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Pareto/NBD's P(alive at T + t), vectorised over customers."""
        return _likelihoods.pareto_nbd_p_alive_ahead(theta, t, x, tx, T)

    def _conditional(
        self, theta: FloatArray, horizon: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """Pareto/NBD's closed-form conditional expectation, vectorised over customers."""
        return _likelihoods.pareto_nbd_conditional_expected_purchases(theta, horizon, x, tx, T)


class CovariateGammaGamma(_CovariateModel):
    """Gamma-Gamma spend model with static covariates on the scale of the spend
    heterogeneity: :math:`\\gamma_i = \\gamma e^{\\gamma_s^\\top z_i}`, so the mean spend
    :math:`p\\gamma_i/(q-1)` scales by :math:`e^{\\gamma_s^\\top z_i}`.

    Parameters
    ----------
    params
        ``p, q, gamma`` (the parameters at :math:`z = 0`; ``q > 1``).
    coefficients
        By label (``spend:<name>``); omitted ones are 0.
    covariates
        ``{"spend": [...]}``.
    time_unit
        The data's time unit label.
    fit
        The fit result (set by :meth:`fit`).

    Raises
    ------
    ParameterError
        For parameters outside their domain or unknown coefficient labels.
    ArgumentError
        For bad covariate names.
    """

    name: ClassVar[str] = "CovariateGammaGamma"
    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    slots: ClassVar[tuple[_Slot, ...]] = (_Slot("spend", 2, 1.0, "spend"),)
    sources: ClassVar[tuple[str, ...]] = ("spend",)
    classic: ClassVar[Any] = gammagamma.GammaGamma

    @classmethod
    def fit(
        cls,
        data: object = None,
        *,
        spend_covariates: Sequence[str] | None = None,
        covariates: object = None,
        penalty: float = 0.0,
        frequency: npt.ArrayLike | None = None,
        monetary_value: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit on the repeat buyers (``frequency > 0``) with their covariates.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``monetary_value`` and the covariate columns.
        spend_covariates
            The covariates of the spend scale.
        covariates
            Where to read the covariates if not from ``data``.
        penalty
            L2 penalty :math:`\\lambda \\ge 0` on the coefficients.
        frequency, monetary_value
            The summary's columns as arrays, instead of ``data``.

        Returns
        -------
        CovariateGammaGamma
            The fitted model; customers without repeat purchases are set aside and counted
            (``fit_result.n_excluded``).

        Raises
        ------
        ArgumentError
            For bad covariate names or penalty.
        DataError
            For missing or invalid columns, a non-positive ``monetary_value`` of a repeat
            buyer, constant or collinear covariates.

        Warns
        -----
        ConvergenceWarning
            When Newton's method did not converge or the data do not identify the estimates
            (as :meth:`CovariateBGNBD.fit`: the covariance is then NaN).
        """
        lists = _lists_from_fit_args(cls, {"spend": spend_covariates})
        lam = check_number(penalty, "penalty", low=0.0)
        labels = customer_labels(data)
        x, m = cls._spend_columns(data, frequency, monetary_value, labels)
        lay = _layout(cls.param_names, cls.slots, lists)
        source = covariates if covariates is not None else data
        if lay.names and source is None:
            raise ArgumentError("no data to read the covariates from", argument="covariates")
        _check_aligned(data, covariates)
        z = (
            read_covariates(source, lay.names, labels=labels, n_rows=x.shape[0])
            if lay.names
            else np.zeros((x.shape[0], 0))
        )
        buyers = x > 0
        if not buyers.any():
            raise DataError("no customer has repeat purchases", column="frequency")
        x_b, m_b, z_b = x[buyers], m[buyers], z[buyers]
        _check_designs(cls, lay, z_b)
        base = _classic_start(gammagamma.GammaGamma, {"frequency": x_b, "monetary_value": m_b})
        start = np.concatenate([np.log(base), np.zeros(len(lay.labels))])
        prob = _Problem(lay, _likelihoods.gamma_gamma, z_b, (x_b, m_b), lam)
        opt = _fit(prob, start)
        return cls._from_optimum(opt, prob, lists, None, int((~buyers).sum()))

    @staticmethod
    def _spend_columns(
        data: object,
        frequency: npt.ArrayLike | None,
        monetary_value: npt.ArrayLike | None,
        labels: Sequence[object] | None,
    ) -> tuple[FloatArray, FloatArray]:
        cols = _read_columns(
            "CovariateGammaGamma",
            data,
            {"frequency": frequency, "monetary_value": monetary_value},
            labels,
        )
        x, m = cols["frequency"], cols["monetary_value"]
        if x.shape != m.shape:
            raise DataError(
                f"has {m.shape[0]} values for {x.shape[0]} customers", column="monetary_value"
            )
        bad = (x < 0) | (x != np.floor(x))
        if bad.any():
            raise DataError(
                "must be whole numbers >= 0", column="frequency", rows=np.flatnonzero(bad).tolist()
            )
        bad = (x > 0) & (m <= 0)
        if bad.any():
            rows = np.flatnonzero(bad)
            shown = rows.tolist() if labels is None else [labels[i] for i in rows[:10]]
            raise DataError(
                "repeat buyers need a mean spend > 0", column="monetary_value", rows=shown
            )
        return x, m

    def expected_spend(
        self,
        data: object = None,
        *,
        covariates: object = None,
        frequency: npt.ArrayLike | None = None,
        monetary_value: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Each customer's expected spend per transaction given their history and covariates,
        :math:`p(\\gamma_i + x\\bar z)/(px+q-1)`.

        Parameters
        ----------
        data
            A summary with ``frequency``, ``monetary_value`` and the covariate columns.
        covariates
            The covariates, if not in ``data``.
        frequency, monetary_value
            The summary's columns as arrays, instead of ``data``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``, money units.

        Raises
        ------
        DataError
            For missing or invalid columns.
        """
        labels = customer_labels(data)
        x, m = self._spend_columns(data, frequency, monetary_value, labels)
        z = self._z(data, covariates, x.shape[0])
        theta = _theta(self._layout, self._u(), z)
        self._check_theta(theta)
        return _group_apply(gammagamma.expected_spend, theta, x, m)


_MODELS: dict[str, type[_CovariateModel]] = {
    cls.name: cls
    for cls in (CovariateBGNBD, CovariateMBGNBD, CovariateParetoNBD, CovariateGammaGamma)
}


def load_model(text: str | bytes | Mapping[str, Any]) -> _CovariateModel:
    """Rebuild any saved static covariate model from its JSON (text or parsed data).

    Parameters
    ----------
    text
        What :meth:`to_json` wrote, or the dict of :meth:`to_dict`.

    Returns
    -------
    model
        A :class:`CovariateBGNBD`, :class:`CovariateMBGNBD`, :class:`CovariateParetoNBD` or
        :class:`CovariateGammaGamma`, equal to the saved one.

    Raises
    ------
    SchemaError
        For text that is not JSON, an unknown model, or an invalid saved model (naming the key).

    Examples
    --------
    >>> from relmark.clv.covariates import CovariateParetoNBD, load_model
    >>> m = CovariateParetoNBD(params={"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7})
    >>> load_model(m.to_json()) == m
    True
    """
    if isinstance(text, Mapping):
        d: object = text
    else:
        try:
            d = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(d, dict):
        raise SchemaError("must be a JSON object")
    name = d.get("model")
    cls = _MODELS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise SchemaError(
            f"unknown model {name!r} (one of {', '.join(sorted(_MODELS))})", key="model"
        )
    return cls.from_dict(d)


def clv(
    purchases: _RFMCovariateModel,
    spend: CovariateGammaGamma | gammagamma.GammaGamma,
    data: object = None,
    *,
    continuous_discount_rate: float,
    covariates: object = None,
    margin: float = 1.0,
) -> FloatArray:
    """Residual customer lifetime value with each customer's covariates: expected spend times
    DERT (Fader, Hardie & Lee 2005, "RFM and CLV", JMR 42(4)).

    .. math:: \\mathrm{CLV}_i = m\\,E[Z_i \\mid x_i, \\bar z_i, z_i]\\,
        \\mathrm{DERT}(\\delta \\mid x_i, t_{x,i}, T_i, z_i)

    Parameters
    ----------
    purchases
        A :class:`CovariateBGNBD`, :class:`CovariateMBGNBD` or :class:`CovariateParetoNBD`.
    spend
        A :class:`CovariateGammaGamma` (or a classic :class:`relmark.clv.GammaGamma`).
    data
        A summary with ``frequency``, ``recency``, ``T``, ``monetary_value`` and every
        covariate column both models need.
    continuous_discount_rate
        The continuous discount rate per time unit (> 0).
    covariates
        The covariate columns, if not in ``data``.
    margin
        The margin on spend, in (0, 1] (default 1: revenue).

    Returns
    -------
    numpy.ndarray
        Each customer's residual value in money units, shape ``(n,)``.

    Raises
    ------
    ArgumentError
        For a bad rate or margin, or a purchase model that is not one of those three.
    DataError
        For missing or invalid columns.
    """
    share = check_number(margin, "margin", low=0.0, high=1.0, low_open=True)
    if not isinstance(purchases, _RFMCovariateModel):
        raise ArgumentError(
            "must be a CovariateBGNBD, CovariateMBGNBD or CovariateParetoNBD (a classic model "
            f"has no covariates: use relmark.clv.clv), got {type(purchases).__name__}",
            argument="purchases",
        )
    if not isinstance(spend, CovariateGammaGamma | gammagamma.GammaGamma):
        raise ArgumentError(
            f"must be a CovariateGammaGamma or a GammaGamma, got {type(spend).__name__}",
            argument="spend",
        )
    if getattr(purchases.module, "dert", None) is None:
        raise ArgumentError(
            f"{purchases.name} has no DERT (the covariate BG/NBD, MBG/NBD and Pareto/NBD do)",
            argument="purchases",
        )
    dert = purchases.dert(
        data, continuous_discount_rate=continuous_discount_rate, covariates=covariates
    )
    if isinstance(spend, CovariateGammaGamma):
        value = spend.expected_spend(data, covariates=covariates)
    else:
        labels = customer_labels(data)
        x, m = CovariateGammaGamma._spend_columns(data, None, None, labels)
        value = spend.expected_spend(x, m)
    out: FloatArray = share * value * dert
    return out
