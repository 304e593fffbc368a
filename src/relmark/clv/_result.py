"""The fit result: what a maximum-likelihood fit knows besides the point estimates.

The vocabulary follows statsmodels: ``params``, ``bse`` (standard errors), ``cov_params``,
``conf_int(level)``, ``aic``, ``bic``, ``nobs`` and ``summary()``; the log-likelihood is
``log_likelihood``. A result carries its model's :class:`~relmark.clv.ParamSet`, so intervals
and summaries need no lookup (they work for a user's own model class too).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from relmark._validation import FloatArray, check_choice, check_level
from relmark.clv._params import ParamSet, Prior
from relmark.errors import SchemaError

__all__ = ["FitResult"]


@dataclass(frozen=True, eq=False)
class FitResult:
    """Result of a maximum-likelihood fit.

    Attributes
    ----------
    model
        Model name (``"BGNBD"``, ...).
    param_set
        The model's parameters (names, domains and transforms), as declared by its class.
    params_array
        Maximum-likelihood estimates (natural scale).
    cov_unconstrained
        Covariance of the estimates on the optimiser's unconstrained scale (inverse Hessian of
        the negative log-likelihood); intervals that must respect the domain use it.
    jacobian
        Derivatives of the natural parameters with respect to the unconstrained ones; the delta
        method gives ``cov_params = J cov_unconstrained J``.
    log_likelihood
        The log-likelihood at the estimates: the true sum over customers, comparable with
        published values.
    nobs
        Number of customers (the sum of the weights).
    n_unique
        Number of distinct data rows the likelihood was evaluated on.
    converged
        Whether the gradient norm and the predicted log-likelihood change are below tolerance.
    grad_norm
        Max-norm of the log-likelihood gradient on the unconstrained scale at the estimates.
    log_likelihood_change
        The Newton decrement :math:`g^\\top H^{-1} g / 2`: how much the log-likelihood could
        still rise.
    n_iter, n_fev
        Optimiser iterations and function evaluations.
    message
        The optimiser's message.
    extra
        Model-specific information (e.g. Gamma-Gamma's ``n_excluded``).
    """

    model: str
    param_set: ParamSet
    params_array: FloatArray
    cov_unconstrained: FloatArray
    jacobian: FloatArray
    log_likelihood: float
    nobs: int
    n_unique: int
    converged: bool
    grad_norm: float
    log_likelihood_change: float
    n_iter: int
    n_fev: int
    message: str
    extra: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- vocabulary
    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in order."""
        return self.param_set.names

    @property
    def params(self) -> dict[str, float]:
        """Estimates by name."""
        return {n: float(v) for n, v in zip(self.param_names, self.params_array, strict=True)}

    @property
    def k(self) -> int:
        """Number of estimated parameters (those held fixed in a restricted fit excluded)."""
        fixed = self.extra.get("fixed")
        return len(self.param_names) - (len(fixed) if isinstance(fixed, Mapping) else 0)

    @property
    def estimator(self) -> str:
        """``"MAP"`` for a fit with priors (maximum a posteriori), ``"MLE"`` otherwise."""
        return "MAP" if self.extra.get("estimator") == "MAP" else "MLE"

    @property
    def cov_params(self) -> FloatArray:
        r"""Covariance matrix of the estimates (delta method),
        :math:`\Sigma_{ij} = J_i\,\Sigma^u_{ij}\,J_j` (each factor applied in turn, so an
        estimate of 1e200 does not overflow :math:`J_i J_j` where the product is finite; an
        entry beyond float range is inf)."""
        j = self.jacobian
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            out: FloatArray = j[:, None] * self.cov_unconstrained * j[None, :]
        return out

    @property
    def bse(self) -> dict[str, float]:
        r"""Standard errors by name, :math:`|J_i|\sqrt{\Sigma^u_{ii}}` (NaN where the Hessian
        was not positive definite; never the square root of a squared Jacobian, which
        underflowed to 0 at estimates of 1e-200 and overflowed at 1e200)."""
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            se = np.abs(self.jacobian) * np.sqrt(np.diag(self.cov_unconstrained))
        return {n: float(v) for n, v in zip(self.param_names, se, strict=True)}

    @property
    def aic(self) -> float:
        """Akaike information criterion, :math:`2k - 2\\ell`."""
        return 2.0 * self.k - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, :math:`k \\ln n - 2\\ell`."""
        return self.k * math.log(self.nobs) - 2.0 * self.log_likelihood

    def conf_int(
        self, level: float = 0.95, *, method: Literal["transformed", "wald"] = "transformed"
    ) -> dict[str, tuple[float, float]]:
        """Confidence intervals of coverage ``level``.

        Parameters
        ----------
        level
            Coverage, strictly between 0 and 1 (default 0.95).
        method
            ``"transformed"`` (default) builds the Wald interval on the optimiser's unconstrained
            scale (log for positive parameters, logit for probabilities) and maps it back, so the
            interval always lies in the parameter's domain; ``"wald"`` is the symmetric interval
            :math:`\\hat\\theta \\pm z_{(1+\\text{level})/2}\\,\\mathrm{se}`.

        Returns
        -------
        dict
            ``(lower, upper)`` by parameter name (NaN when the covariance is not finite).

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or an unknown method.
        """
        coverage = check_level(level, "level")
        check_choice(method, "method", ("transformed", "wald"))
        z = float(norm.ppf(0.5 + coverage / 2.0))
        out: dict[str, tuple[float, float]] = {}
        if method == "wald":
            for name, se in self.bse.items():
                est = self.params[name]
                out[name] = (est - z * se, est + z * se)
            return out
        spec = self.param_set
        u = spec.to_unconstrained(self.params_array)
        se_u = np.sqrt(np.diag(self.cov_unconstrained))
        lo = spec.from_unconstrained(u - z * se_u)
        hi = spec.from_unconstrained(u + z * se_u)
        for i, name in enumerate(self.param_names):
            out[name] = (float(lo[i]), float(hi[i]))
        return out

    # ----------------------------------------------------------------- display
    def _rows(self, level: float = 0.95) -> list[tuple[str, float, float, float, float]]:
        ci = self.conf_int(level)
        return [(n, self.params[n], self.bse[n], ci[n][0], ci[n][1]) for n in self.param_names]

    def summary(self, level: float = 0.95) -> str:
        """A text table of the estimates, standard errors and intervals, with fit statistics.

        Parameters
        ----------
        level
            Coverage of the intervals (default 0.95).

        Returns
        -------
        str
            The table.
        """
        rows = self._rows(level)
        label = f"{100 * level:g}%"
        head = [
            f"{self.model} "
            + (
                "maximum a posteriori (MAP) fit"
                if self.estimator == "MAP"
                else "maximum-likelihood fit"
            ),
            f"  customers: {self.nobs:,}   distinct rows: {self.n_unique:,}",
            f"  log-likelihood: {self.log_likelihood:,.4f}   AIC: {self.aic:,.2f}   "
            f"BIC: {self.bic:,.2f}",
            f"  converged: {'yes' if self.converged else 'NO'}   "
            f"|gradient|: {self.grad_norm:.2e}   iterations: {self.n_iter}",
            "",
            f"  {'param':<8}{'estimate':>12}{'std err':>12}{'[' + label:>12}{'interval]':>12}",
        ]
        body = [
            f"  {n:<8}{est:>12.4f}{se:>12.4f}{lo:>12.4f}{hi:>12.4f}" for n, est, se, lo, hi in rows
        ]
        tail = ["", "  Intervals: Wald on the log/logit scale, mapped back."]
        return "\n".join(head + body + tail)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{est:.4f}</td><td>{se:.4f}</td>"
            f"<td>{lo:.4f}</td><td>{hi:.4f}</td></tr>"
            for n, est, se, lo, hi in self._rows()
        )
        return (
            f"<div><strong>{html.escape(self.model)}</strong> fit on {self.nobs:,} customers; "
            f"log-likelihood {self.log_likelihood:,.4f}, AIC {self.aic:,.2f}, "
            f"BIC {self.bic:,.2f}, converged: {'yes' if self.converged else 'no'}"
            "<table><thead><tr><th>param</th><th>estimate</th><th>std err</th>"
            "<th>2.5%</th><th>97.5%</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    # ----------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats survive a JSON round trip exactly).

        The estimates are stored here and as the model's ``params``; loading refuses a file
        where the two disagree (one was edited). The Jacobian is not stored: it follows from
        the estimates.

        Returns
        -------
        dict
            The estimates (``params``), ``cov_unconstrained`` as nested lists,
            ``log_likelihood``, ``nobs``, ``n_unique``, the convergence diagnostics and
            ``extra``; :meth:`from_dict` restores an equal result.
        """
        return {
            "params": self.params,
            "cov_unconstrained": [[float(v) for v in row] for row in self.cov_unconstrained],
            "log_likelihood": self.log_likelihood,
            "nobs": self.nobs,
            "n_unique": self.n_unique,
            "converged": self.converged,
            "grad_norm": self.grad_norm,
            "log_likelihood_change": self.log_likelihood_change,
            "n_iter": self.n_iter,
            "n_fev": self.n_fev,
            "message": self.message,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], *, model: str, param_set: ParamSet, params: FloatArray
    ) -> FitResult:
        """Inverse of :meth:`to_dict`, for the model ``model`` at the estimates ``params``.

        Every key is checked (type, range, shape), unknown keys are refused, the estimates
        stored in the fit must equal ``params`` exactly, and the Jacobian is recomputed from
        them rather than read.

        Parameters
        ----------
        d
            The ``fit`` object of a saved model.
        model
            The model's name.
        param_set
            The model's parameters.
        params
            The (already validated) estimates, from the saved model's ``params``.

        Returns
        -------
        FitResult

        Raises
        ------
        SchemaError
            Naming the key (``"fit.nobs"``, ...) that is missing, unknown, of the wrong type,
            out of range or of the wrong shape; ``"params.r"`` when the model's ``r`` differs
            from the fit's estimate (an edited file).
        """
        if not isinstance(d, Mapping):
            raise SchemaError(f"must be a JSON object, got {type(d).__name__}", key="fit")
        expected = set(_FIT_KEYS)
        unknown = sorted(set(d) - expected)
        if unknown:
            raise SchemaError("is not a key of a fit result", key=f"fit.{unknown[0]}")
        missing = [key for key in _FIT_KEYS if key not in d]
        if missing:
            raise SchemaError("is missing", key=f"fit.{missing[0]}")
        stored = d["params"]
        if not isinstance(stored, Mapping) or list(stored) != list(param_set.names):
            raise SchemaError(
                f"must map the parameters {', '.join(param_set.names)} to the estimates",
                key="fit.params",
            )
        for name, value in zip(param_set.names, params.tolist(), strict=True):
            fitted = stored[name]
            if isinstance(fitted, bool) or not isinstance(fitted, int | float) or fitted != value:
                raise SchemaError(
                    f"is {value!r}, but the fit result's estimate is {fitted!r}: the file was "
                    "edited (refit the model, or drop 'fit' to load the parameters alone)",
                    key=f"params.{name}",
                )
        k = len(param_set)
        if _whole(d, "n_unique", minimum=1) > _whole(d, "nobs", minimum=1):
            raise SchemaError(
                f"{d['n_unique']} distinct rows cannot exceed the {d['nobs']} observations",
                key="fit.n_unique",
            )
        cov = _matrix(d["cov_unconstrained"], k)
        extra = _check_extra(_object(d, "extra"), param_set, params)
        _check_without_bse(cov, extra, param_set)
        u = param_set.to_unconstrained(params)
        return cls(
            model=model,
            param_set=param_set,
            params_array=params,
            cov_unconstrained=cov,
            jacobian=param_set.jacobian(u),
            log_likelihood=_real(d, "log_likelihood", finite=True),
            nobs=_whole(d, "nobs", minimum=1),
            n_unique=_whole(d, "n_unique", minimum=1),
            converged=_flag(d, "converged"),
            grad_norm=_real(d, "grad_norm", finite=True, low=0.0),
            log_likelihood_change=_real(d, "log_likelihood_change", finite=False),
            n_iter=_whole(d, "n_iter", minimum=0),
            n_fev=_whole(d, "n_fev", minimum=0),
            message=_text(d, "message"),
            extra=extra,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FitResult):
            return NotImplemented
        return (
            self.model == other.model
            and self.param_names == other.param_names
            and np.array_equal(self.params_array, other.params_array)
            # as JSON text: NaN (the covariance of a fit that is not identified) equals itself
            # there, so such a fit equals its reloaded copy (NaN != NaN made them differ)
            and json.dumps(self.to_dict(), sort_keys=True)
            == json.dumps(other.to_dict(), sort_keys=True)
        )

    __hash__ = None  # type: ignore[assignment]


_FIT_KEYS = (
    "params",
    "cov_unconstrained",
    "log_likelihood",
    "nobs",
    "n_unique",
    "converged",
    "grad_norm",
    "log_likelihood_change",
    "n_iter",
    "n_fev",
    "message",
    "extra",
)
"""The keys of a saved fit result, all required."""


def _real(d: Mapping[str, Any], key: str, *, finite: bool, low: float | None = None) -> float:
    """A JSON number (not a boolean, not text such as ``"NaN"``): finite if asked, never NaN."""
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SchemaError(f"must be a number, got {v!r}", key=f"fit.{key}")
    x = float(v)
    if math.isnan(x) or (finite and not math.isfinite(x)):
        raise SchemaError(f"must be a finite number, got {v!r}", key=f"fit.{key}")
    if low is not None and x < low:
        raise SchemaError(f"must be >= {low:g}, got {v!r}", key=f"fit.{key}")
    return x


def _whole(d: Mapping[str, Any], key: str, *, minimum: int) -> int:
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise SchemaError(f"must be a whole number >= {minimum}, got {v!r}", key=f"fit.{key}")
    return v


def _flag(d: Mapping[str, Any], key: str) -> bool:
    v = d[key]
    if not isinstance(v, bool):
        raise SchemaError(f"must be true or false, got {v!r}", key=f"fit.{key}")
    return v


def _text(d: Mapping[str, Any], key: str) -> str:
    v = d[key]
    if not isinstance(v, str):
        raise SchemaError(f"must be text, got {v!r}", key=f"fit.{key}")
    return v


def _object(d: Mapping[str, Any], key: str) -> dict[str, Any]:
    v = d[key]
    if not isinstance(v, dict) or not all(isinstance(name, str) for name in v):
        raise SchemaError(f"must be a JSON object, got {v!r}", key=f"fit.{key}")
    return dict(v)


def _check_extra(extra: dict[str, Any], pset: ParamSet, params: FloatArray) -> dict[str, Any]:
    """The saved MAP priors and restricted fit's fixed values, checked against the model:
    known parameters, valid priors, fixed values equal to the estimates, and a log prior that
    is the priors' at the estimates (an edited file changed what the fit claims it did)."""
    value = dict(zip(pset.names, params.tolist(), strict=True))
    fixed = extra.get("fixed")
    if fixed is not None:
        if not isinstance(fixed, Mapping) or len(fixed) >= len(pset):
            raise SchemaError("must map some (not all) parameters to values", key="fit.extra.fixed")
        for name, v in fixed.items():
            if name not in value or isinstance(v, bool) or v != value[name]:
                raise SchemaError(
                    f"is {v!r}, not the model's estimate {value.get(name)!r}",
                    key=f"fit.extra.fixed.{name}",
                )
    priors = extra.get("priors")
    is_map = extra.get("estimator") == "MAP"
    if ("estimator" in extra and not is_map) or is_map != (priors is not None):
        raise SchemaError("a MAP fit records 'estimator': 'MAP' with its priors", key="fit.extra")
    if priors is not None:
        if not isinstance(priors, Mapping) or not priors:
            raise SchemaError("must map parameters to priors", key="fit.extra.priors")
        total = 0.0
        for name, saved in priors.items():
            if name not in value or (isinstance(fixed, Mapping) and name in fixed):
                raise SchemaError("is not a free parameter", key=f"fit.extra.priors.{name}")
            try:
                prior = Prior.from_dict(saved)
            except SchemaError as exc:
                raise SchemaError(str(exc), key=f"fit.extra.priors.{name}") from None
            if not prior.supports(pset.params[pset.names.index(name)]):
                raise SchemaError(
                    "does not fit the parameter's domain", key=f"fit.extra.priors.{name}"
                )
            total += prior.log_density(value[name])
        lp = extra.get("log_prior")
        if (
            isinstance(lp, bool)
            or not isinstance(lp, int | float)
            or not math.isclose(lp, total, rel_tol=1e-9, abs_tol=1e-9)
        ):
            raise SchemaError(
                f"is {lp!r}, but the priors give {total!r} at the estimates",
                key="fit.extra.log_prior",
            )
    return extra


def _check_without_bse(cov: FloatArray, extra: Mapping[str, Any], pset: ParamSet) -> None:
    """A covariance with NaN rows for some parameters (and finite elsewhere) belongs to an
    estimate on a boundary of the domain, which records them in
    ``extra["boundary"]["without_bse"]``: a saved covariance whose NaN rows are not exactly
    those (NaN written into a finite fit's rows, or a boundary record edited away) is refused."""
    none = np.isnan(np.diag(cov))
    missing = [name for name, gone in zip(pset.names, none.tolist(), strict=True) if gone]
    boundary = extra.get("boundary")
    if boundary is None:
        if missing and not none.all():
            raise SchemaError(
                f"has no standard errors for {', '.join(missing)} only, but the fit records no "
                "estimate on a boundary of the domain (fit.extra.boundary)",
                key="fit.cov_unconstrained",
            )
        return
    listed = boundary.get("without_bse") if isinstance(boundary, Mapping) else None
    parameter = boundary.get("parameter") if isinstance(boundary, Mapping) else None
    if not (
        isinstance(listed, list)
        and all(isinstance(name, str) for name in listed)
        and isinstance(parameter, str)
        and parameter in listed
    ):
        raise SchemaError(
            "must name the boundary's 'parameter' and list as 'without_bse' the parameters "
            "without standard errors (among them the boundary's)",
            key="fit.extra.boundary",
        )
    if listed != missing:
        raise SchemaError(
            f"has NaN rows for {missing or 'no parameter'}, but the boundary record lists "
            f"{listed} without standard errors",
            key="fit.cov_unconstrained",
        )


def _matrix(v: object, k: int) -> FloatArray:
    """A symmetric k x k covariance of numbers: all finite and positive semi-definite
    on the diagonal, or all NaN (a fit whose Hessian was not positive definite), or NaN in
    the whole rows and columns of some parameters and finite elsewhere (an estimate on a
    boundary of the domain, whose parameters there have no standard errors)."""
    key = "fit.cov_unconstrained"
    if not (
        isinstance(v, list)
        and len(v) == k
        and all(isinstance(row, list) and len(row) == k for row in v)
    ):
        raise SchemaError(f"must be a {k} x {k} list of lists of numbers", key=key)
    flat = [x for row in v for x in row]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in flat):
        raise SchemaError("must hold numbers only (not text, booleans or null)", key=key)
    cov = np.array(v, dtype=np.float64)
    if np.all(np.isnan(cov)):
        return cov
    none = np.isnan(np.diag(cov))  # parameters without standard errors
    rest = cov[np.ix_(~none, ~none)]
    if not (
        np.all(np.isnan(cov[none])) and np.all(np.isnan(cov[:, none])) and np.all(np.isfinite(rest))
    ):
        raise SchemaError(
            "must be all finite, all NaN (no standard errors) or NaN in the whole rows and "
            "columns of some parameters",
            key=key,
        )
    if not np.allclose(rest, rest.T, rtol=1e-9, atol=0.0) or np.any(np.diag(rest) < 0):
        raise SchemaError("must be symmetric with a non-negative diagonal", key=key)
    return cov
