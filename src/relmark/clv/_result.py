"""The fit result: what a maximum-likelihood fit knows besides the point estimates.

The vocabulary follows statsmodels: ``params``, ``bse`` (standard errors), ``cov_params``,
``conf_int(alpha)``, ``loglik``, ``aic``, ``bic``, ``nobs`` and ``summary()``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from relmark._validation import FloatArray, check_level

__all__ = ["FitResult"]


@dataclass(frozen=True, eq=False)
class FitResult:
    """Result of a maximum-likelihood fit.

    Attributes
    ----------
    model
        Model name (``"BGNBD"``, ...).
    param_names
        Parameter names in order.
    params_array
        Maximum-likelihood estimates (natural scale).
    cov_unconstrained
        Covariance of the estimates on the optimiser's unconstrained scale (inverse Hessian of
        the negative log-likelihood); intervals that must respect the domain use it.
    jacobian
        Derivatives of the natural parameters with respect to the unconstrained ones; the delta
        method gives ``cov_params = J cov_unconstrained J``.
    loglik
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
    loglik_change
        The Newton decrement :math:`g^\\top H^{-1} g / 2`: how much the log-likelihood could
        still rise.
    n_iter, n_fev
        Optimiser iterations and function evaluations.
    message
        The optimiser's message.
    """

    model: str
    param_names: tuple[str, ...]
    params_array: FloatArray
    cov_unconstrained: FloatArray
    jacobian: FloatArray
    loglik: float
    nobs: int
    n_unique: int
    converged: bool
    grad_norm: float
    loglik_change: float
    n_iter: int
    n_fev: int
    message: str
    extra: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- vocabulary
    @property
    def params(self) -> dict[str, float]:
        """Estimates by name."""
        return {n: float(v) for n, v in zip(self.param_names, self.params_array, strict=True)}

    @property
    def k(self) -> int:
        """Number of estimated parameters."""
        return len(self.param_names)

    @property
    def cov_params(self) -> FloatArray:
        """Covariance matrix of the estimates (delta method)."""
        j = self.jacobian
        out: FloatArray = self.cov_unconstrained * np.outer(j, j)
        return out

    @property
    def bse(self) -> dict[str, float]:
        """Standard errors by name (NaN where the Hessian was not positive definite)."""
        se = np.sqrt(np.diag(self.cov_params))
        return {n: float(v) for n, v in zip(self.param_names, se, strict=True)}

    @property
    def aic(self) -> float:
        """Akaike information criterion, :math:`2k - 2\\ell`."""
        return 2.0 * self.k - 2.0 * self.loglik

    @property
    def bic(self) -> float:
        """Bayesian information criterion, :math:`k \\ln n - 2\\ell`."""
        return self.k * math.log(self.nobs) - 2.0 * self.loglik

    def conf_int(
        self, alpha: float = 0.05, *, method: Literal["transformed", "wald"] = "transformed"
    ) -> dict[str, tuple[float, float]]:
        """Confidence intervals at level ``1 - alpha``.

        Parameters
        ----------
        alpha
            One minus the confidence level.
        method
            ``"transformed"`` (default) builds the Wald interval on the optimiser's unconstrained
            scale (log for positive parameters, logit for probabilities) and maps it back, so the
            interval always lies in the parameter's domain; ``"wald"`` is the symmetric interval
            :math:`\\hat\\theta \\pm z_{1-\\alpha/2}\\,\\mathrm{se}`.
        """
        z = float(norm.ppf(1.0 - check_level(alpha, "alpha") / 2.0))
        out: dict[str, tuple[float, float]] = {}
        if method == "wald":
            for name, se in self.bse.items():
                est = self.params[name]
                out[name] = (est - z * se, est + z * se)
            return out
        from relmark.clv._registry import get_model  # local: registry imports models

        spec = get_model(self.model).param_set
        u = spec.to_unconstrained(self.params_array)
        se_u = np.sqrt(np.diag(self.cov_unconstrained))
        lo = spec.from_unconstrained(u - z * se_u)
        hi = spec.from_unconstrained(u + z * se_u)
        for i, name in enumerate(self.param_names):
            out[name] = (float(lo[i]), float(hi[i]))
        return out

    # ----------------------------------------------------------------- display
    def _rows(self, alpha: float = 0.05) -> list[tuple[str, float, float, float, float]]:
        ci = self.conf_int(alpha)
        return [(n, self.params[n], self.bse[n], ci[n][0], ci[n][1]) for n in self.param_names]

    def summary(self, alpha: float = 0.05) -> str:
        """A text table of the estimates, standard errors and intervals, with fit statistics."""
        level = f"{100 * (1 - alpha):g}%"
        head = [
            f"{self.model} maximum-likelihood fit",
            f"  customers: {self.nobs:,}   distinct rows: {self.n_unique:,}",
            f"  log-likelihood: {self.loglik:,.4f}   AIC: {self.aic:,.2f}   BIC: {self.bic:,.2f}",
            f"  converged: {'yes' if self.converged else 'NO'}   "
            f"|gradient|: {self.grad_norm:.2e}   iterations: {self.n_iter}",
            "",
            f"  {'param':<8}{'estimate':>12}{'std err':>12}{'[' + level:>12}{'interval]':>12}",
        ]
        body = [
            f"  {n:<8}{est:>12.4f}{se:>12.4f}{lo:>12.4f}{hi:>12.4f}"
            for n, est, se, lo, hi in self._rows(alpha)
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
            f"log-likelihood {self.loglik:,.4f}, AIC {self.aic:,.2f}, BIC {self.bic:,.2f}, "
            f"converged: {'yes' if self.converged else 'no'}"
            "<table><thead><tr><th>param</th><th>estimate</th><th>std err</th>"
            "<th>2.5%</th><th>97.5%</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    # ----------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats survive a JSON round trip exactly)."""
        return {
            "model": self.model,
            "param_names": list(self.param_names),
            "params": [float(v) for v in self.params_array],
            "cov_unconstrained": [[float(v) for v in row] for row in self.cov_unconstrained],
            "jacobian": [float(v) for v in self.jacobian],
            "loglik": self.loglik,
            "nobs": self.nobs,
            "n_unique": self.n_unique,
            "converged": self.converged,
            "grad_norm": self.grad_norm,
            "loglik_change": self.loglik_change,
            "n_iter": self.n_iter,
            "n_fev": self.n_fev,
            "message": self.message,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FitResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            model=str(d["model"]),
            param_names=tuple(d["param_names"]),
            params_array=np.asarray(d["params"], dtype=np.float64),
            cov_unconstrained=np.asarray(d["cov_unconstrained"], dtype=np.float64),
            jacobian=np.asarray(d["jacobian"], dtype=np.float64),
            loglik=float(d["loglik"]),
            nobs=int(d["nobs"]),
            n_unique=int(d["n_unique"]),
            converged=bool(d["converged"]),
            grad_norm=float(d["grad_norm"]),
            loglik_change=float(d["loglik_change"]),
            n_iter=int(d["n_iter"]),
            n_fev=int(d["n_fev"]),
            message=str(d["message"]),
            extra=dict(d.get("extra", {})),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FitResult):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]
