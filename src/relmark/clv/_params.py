"""Model parameters declared as data.

A model lists its parameters as :class:`Param` objects: name, open domain ``(lower, upper)``,
typical range and a description. Everything else is derived from that declaration: validation of
user-given values, the transform to an unconstrained scale for optimisation (and its Jacobian for
the delta method), start values, and the ranges hypothesis draws from in the contract tests.

Transforms
----------
- ``(lower, inf)``: :math:`\\theta = \\text{lower} + e^{u}`;
- ``(lower, upper)``: :math:`\\theta = \\text{lower} + (\\text{upper} - \\text{lower})\\,
  \\operatorname{expit}(u)`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.special import betaln, expit, gammaln, logit

from relmark._validation import FloatArray, check_number
from relmark.errors import ParameterError, SchemaError

__all__ = ["Param", "ParamSet", "Prior", "PriorKind", "Setting"]


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Parameters
    ----------
    name
        The name used in the literature (``r``, ``alpha``, ``a``, ``b``, ...).
    description
        What the parameter means, in words.
    typical
        A range ``(low, high)`` of values seen in practice; start values and property tests use it.
    lower, upper
        The open domain ``lower < value < upper``.
    """

    name: str
    description: str
    typical: tuple[float, float]
    lower: float = 0.0
    upper: float = math.inf

    def __post_init__(self) -> None:
        lo, hi = self.typical
        if not (self.lower <= lo < hi <= self.upper):
            raise ValueError(f"typical range of {self.name} must lie inside its domain")

    @property
    def bounded(self) -> bool:
        """Whether the domain has a finite upper bound."""
        return math.isfinite(self.upper)

    def check(self, value: float) -> float:
        """Return ``value`` as a float if it lies in the domain, else raise ParameterError.

        Parameters
        ----------
        value
            The proposed value (a real number; text and booleans are refused).

        Returns
        -------
        float
            ``value`` as a float, strictly inside ``(lower, upper)``.

        Raises
        ------
        ParameterError
            For a value that is not a number, is not finite or lies outside the open domain
            (naming the parameter).
        """
        given: object = value
        if isinstance(given, bool | np.bool_ | str | bytes):  # float() would accept them
            raise ParameterError(
                f"parameter {self.name}={value!r} is not a number", argument=self.name
            )
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name}={value!r} is not a number", argument=self.name
            ) from None
        if not (self.lower < v < self.upper) or not math.isfinite(v):
            dom = f"({self.lower:g}, {self.upper:g})"
            raise ParameterError(
                f"parameter {self.name}={v!r} is outside its domain {dom}", argument=self.name
            )
        return v

    def to_unconstrained(self, value: FloatArray | np.float64) -> FloatArray:
        """Map values in the domain to the real line (the optimiser's scale).

        Parameters
        ----------
        value
            Values inside the domain, any shape.

        Returns
        -------
        numpy.ndarray
            :math:`u = \\ln(\\theta - \\text{lower})` for a domain unbounded above,
            :math:`u = \\operatorname{logit}\\bigl(\\frac{\\theta - \\text{lower}}
            {\\text{upper} - \\text{lower}}\\bigr)` otherwise; same shape as ``value``.
        """
        v = np.asarray(value, dtype=np.float64)
        if self.bounded:
            return np.asarray(logit((v - self.lower) / (self.upper - self.lower)), np.float64)
        return np.asarray(np.log(v - self.lower), np.float64)

    def from_unconstrained(self, u: FloatArray | np.float64) -> FloatArray:
        """Map the real line to the domain: the inverse of :meth:`to_unconstrained`.

        Parameters
        ----------
        u
            Unconstrained values, any shape.

        Returns
        -------
        numpy.ndarray
            Values in the domain, same shape as ``u`` (``inf`` for a far step of an
            unbounded parameter, which :meth:`ParamSet.contains` refuses).
        """
        w = np.asarray(u, dtype=np.float64)
        if self.bounded:
            return np.asarray(self.lower + (self.upper - self.lower) * expit(w), np.float64)
        with np.errstate(over="ignore"):  # an optimiser's far step: inf, refused by contains()
            return np.asarray(self.lower + np.exp(w), np.float64)

    def jacobian(self, u: FloatArray | np.float64) -> FloatArray:
        """Derivative of :meth:`from_unconstrained` at ``u`` (for the delta method).

        Parameters
        ----------
        u
            Unconstrained values, any shape.

        Returns
        -------
        numpy.ndarray
            :math:`d\\theta/du`: :math:`e^u` for a domain unbounded above,
            :math:`(\\text{upper} - \\text{lower})\\,s(1-s)` with
            :math:`s = \\operatorname{expit}(u)` otherwise; same shape as ``u``.
        """
        w = np.asarray(u, dtype=np.float64)
        if self.bounded:
            s = expit(w)
            return np.asarray((self.upper - self.lower) * s * (1.0 - s), np.float64)
        return np.asarray(np.exp(w), np.float64)

    @property
    def default_start(self) -> float:
        """The geometric (or arithmetic, for bounded domains) middle of the typical range."""
        lo, hi = self.typical
        if self.bounded or lo - self.lower <= 0:
            return 0.5 * (lo + hi)
        return self.lower + math.sqrt((lo - self.lower) * (hi - self.lower))


PriorKind = Literal["gamma", "lognormal", "normal", "beta"]
"""The prior distributions a parameter can take (see :class:`Prior`)."""

_PRIOR_ARGS: dict[str, tuple[str, str]] = {
    "gamma": ("shape", "rate"),
    "lognormal": ("mu", "sigma"),
    "normal": ("mean", "sd"),
    "beta": ("a", "b"),
}


_MAX_SHAPE = 1e10
"""The largest gamma shape or beta argument of a :class:`Prior` (its log density keeps five
digits or so there)."""


@dataclass(frozen=True)
class Prior:
    r"""A prior density (or penalty) on one model parameter, for maximum a posteriori fits.

    Declared as data: a distribution and its two arguments. ``fit(..., priors={"r":
    Prior("gamma", 2.0, 4.0)})`` maximises the log-likelihood plus the sum of the priors' log
    densities (:math:`\ell(\theta) + \sum_i \log \pi_i(\theta_i)`); a normal prior is an
    L2 penalty :math:`(\theta - m)^2 / (2\,\mathrm{sd}^2)`.

    .. math::

        \log \pi_{\text{gamma}}(\theta) &= k \log \lambda - \log\Gamma(k)
            + (k-1)\log\theta - \lambda\theta \\
        \log \pi_{\text{lognormal}}(\theta) &= -\log(\theta\sigma\sqrt{2\pi})
            - (\log\theta - \mu)^2 / (2\sigma^2) \\
        \log \pi_{\text{normal}}(\theta) &= -\log(\mathrm{sd}\sqrt{2\pi})
            - (\theta - m)^2 / (2\,\mathrm{sd}^2) \\
        \log \pi_{\text{beta}}(\theta) &= (a-1)\log\theta + (b-1)\log(1-\theta)
            - \log B(a, b)

    Parameters
    ----------
    distribution
        ``"gamma"`` (``first`` the shape :math:`k`, ``second`` the rate :math:`\lambda`),
        ``"lognormal"`` (:math:`\mu`, :math:`\sigma` of the log), ``"normal"`` (mean, standard
        deviation) or ``"beta"`` (:math:`a`, :math:`b`; for parameters in (0, 1)).
    first, second
        The distribution's two arguments: finite; ``second`` > 0, and ``first`` > 0 for gamma
        and beta; a gamma shape and the beta arguments at most 1e10 (a prior that concentrated
        is a fixed value: ``fit(..., fixed=...)``).

    Raises
    ------
    ParameterError
        For an unknown distribution or arguments outside their domain (naming
        ``distribution``, ``first`` or ``second``).

    References
    ----------
    Gelman et al. (2013), *Bayesian Data Analysis*, 3rd ed., ch. 13 (posterior modes).

    Examples
    --------
    >>> from relmark.clv import Prior
    >>> round(Prior("gamma", 2.0, 4.0).log_density(0.25), 6)
    0.386294
    """

    distribution: PriorKind
    first: float
    second: float

    def __post_init__(self) -> None:
        if not isinstance(self.distribution, str) or self.distribution not in _PRIOR_ARGS:
            raise ParameterError(
                f"must be one of {', '.join(_PRIOR_ARGS)}, got {self.distribution!r}",
                argument="distribution",
            )
        names = _PRIOR_ARGS[self.distribution]
        for name, value, positive in (
            ("first", self.first, self.distribution in ("gamma", "beta")),
            ("second", self.second, True),
        ):
            if isinstance(value, bool | np.bool_) or not isinstance(
                value, int | float | np.integer | np.floating
            ):
                raise ParameterError(
                    f"{self.distribution} {names[name == 'second']} must be a number, got "
                    f"{value!r}",
                    argument=name,
                )
            v = float(value)
            if not math.isfinite(v) or (positive and v <= 0):
                raise ParameterError(
                    f"{self.distribution} {names[name == 'second']} must be a finite number"
                    f"{' > 0' if positive else ''}, got {value!r}",
                    argument=name,
                )
            shape = self.distribution == "beta" or (
                name == "first" and self.distribution == "gamma"
            )
            if shape and v > _MAX_SHAPE:
                # log Gamma(k) and k log(rate) cancel: a shape of 1e200 left no digit of the
                # log density (the fit wandered and warned); such a prior is a fixed value
                raise ParameterError(
                    f"{self.distribution} {names[name == 'second']} must be at most "
                    f"{_MAX_SHAPE:g} (its log density loses every digit); hold the parameter "
                    f"with fit(..., fixed=...) instead, got {value!r}",
                    argument=name,
                )
            object.__setattr__(self, name, v)

    def supports(self, param: Param) -> bool:
        r"""Whether the prior's support is the parameter's domain.

        Parameters
        ----------
        param
            The parameter declaration.

        Returns
        -------
        bool
            Gamma and lognormal priors for domains :math:`(0, \infty)`, beta priors for
            :math:`(0, 1)`, normal priors for any domain (a penalty).
        """
        if self.distribution in ("gamma", "lognormal"):
            return param.lower == 0.0 and not param.bounded
        if self.distribution == "beta":
            return param.lower == 0.0 and param.upper == 1.0
        return True

    def log_density(self, value: float) -> float:
        r"""The log density at ``value`` (inside the support).

        Parameters
        ----------
        value
            The parameter's value.

        Returns
        -------
        float
            :math:`\log \pi(\theta)`, see the class's formulas.

        Raises
        ------
        ArgumentError
            For a value that is not a number inside the support (naming ``value``).
        """
        return float(self.log_density_and_grad(value)[0])

    def log_density_and_grad(self, value: float) -> tuple[float, float]:
        r"""The log density at ``value`` and its derivative in ``value``.

        Parameters
        ----------
        value
            The parameter's value, inside the support.

        Returns
        -------
        tuple of float
            :math:`(\log\pi(\theta), d\log\pi/d\theta)`.

        Raises
        ------
        ArgumentError
            For a value that is not a number inside the support (naming ``value``).
        """
        a, b = self.first, self.second
        if self.distribution == "normal":
            t = check_number(value, "value")
        elif self.distribution == "beta":
            t = check_number(value, "value", low=0.0, high=1.0, low_open=True, high_open=True)
        else:
            t = check_number(value, "value", low=0.0, low_open=True)
        if self.distribution == "gamma":
            return (
                a * math.log(b) - float(gammaln(a)) + (a - 1.0) * math.log(t) - b * t,
                (a - 1.0) / t - b,
            )
        if self.distribution == "lognormal":
            z = (math.log(t) - a) / b
            return (
                -math.log(t * b * math.sqrt(2.0 * math.pi)) - 0.5 * z * z,
                -1.0 / t - z / (b * t),
            )
        if self.distribution == "normal":
            z = (t - a) / b
            return -math.log(b * math.sqrt(2.0 * math.pi)) - 0.5 * z * z, -z / b
        return (
            (a - 1.0) * math.log(t) + (b - 1.0) * math.log1p(-t) - float(betaln(a, b)),
            (a - 1.0) / t - (b - 1.0) / (1.0 - t),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"distribution": ..., "first": ..., "second": ...}``.

        Returns
        -------
        dict
            :meth:`from_dict` restores an equal prior.
        """
        return {"distribution": self.distribution, "first": self.first, "second": self.second}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Prior:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A saved prior.

        Returns
        -------
        Prior
            An equal prior.

        Raises
        ------
        SchemaError
            For a missing or unknown key or a bad value (naming the key).
        """
        if not isinstance(d, Mapping) or set(d) != {"distribution", "first", "second"}:
            raise SchemaError(
                "a prior must be an object with the keys distribution, first and second",
                key="priors",
            )
        try:
            return cls(d["distribution"], d["first"], d["second"])
        except ParameterError as exc:
            raise SchemaError(str(exc), key=f"priors.{exc.argument}") from None


@dataclass(frozen=True)
class Setting:
    """A fixed setting of a model: chosen by the user, not estimated (e.g. the ``k`` of an
    Erlang-k model). It is stored with the model in JSON.

    Parameters
    ----------
    name
        The setting's name.
    description
        What it means, in words.
    default
        The value used when none is given.
    low
        The smallest allowed value (inclusive).
    whole
        Whether the value must be a whole number.
    """

    name: str
    description: str
    default: float
    low: float = 0.0
    whole: bool = False

    def check(self, value: object) -> float:
        """``value`` as a float, or a :class:`ParameterError` naming the setting.

        Parameters
        ----------
        value
            The proposed setting: a real number (not a boolean or text).

        Returns
        -------
        float
            ``value`` as a float, finite, ``>= low`` and whole if the setting requires it.

        Raises
        ------
        ParameterError
            For anything else (naming the setting).
        """
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise ParameterError(
                f"setting {self.name}={value!r} is not a number", argument=self.name
            )
        v = float(value)
        if not math.isfinite(v) or v < self.low or (self.whole and v != math.floor(v)):
            kind = "a whole number" if self.whole else "a finite number"
            raise ParameterError(
                f"setting {self.name}={value!r} must be {kind} >= {self.low:g}", argument=self.name
            )
        return v


@dataclass(frozen=True)
class ParamSet:
    """The ordered parameters of a model, with vectorised transforms."""

    params: tuple[Param, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in order."""
        return tuple(p.name for p in self.params)

    def __len__(self) -> int:
        return len(self.params)

    def validate(self, values: Mapping[str, float], *, model: str) -> FloatArray:
        """Check a mapping of parameter values and return them as an ordered array.

        Parameters
        ----------
        values
            Every parameter's value by name.
        model
            The model's name, for the error message.

        Returns
        -------
        numpy.ndarray
            The values in declaration order, shape ``(k,)``.

        Raises
        ------
        ParameterError
            For a missing or unknown name, or a value :meth:`Param.check` refuses (naming the
            parameter).
        """
        missing = [n for n in self.names if n not in values]
        extra = [n for n in values if n not in self.names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unknown {', '.join(extra)}")
            raise ParameterError(
                f"{model} takes parameters {', '.join(self.names)}: {'; '.join(parts)}",
                argument=(missing + extra)[0],
            )
        return np.array([p.check(values[p.name]) for p in self.params], dtype=np.float64)

    def contains(self, values: FloatArray) -> bool:
        """Whether every value lies inside its open domain (an optimiser's step to extreme
        unconstrained values can round a parameter onto a bound: 0, or 1 for a probability).

        Parameters
        ----------
        values
            One value per parameter, in declaration order, shape ``(k,)``.

        Returns
        -------
        bool
            True if every value is finite and strictly inside its domain.
        """
        return all(
            p.lower < v < p.upper and math.isfinite(v)
            for p, v in zip(self.params, values.tolist(), strict=True)
        )

    def to_unconstrained(self, values: FloatArray) -> FloatArray:
        """Vector of unconstrained values (see :meth:`Param.to_unconstrained`).

        Parameters
        ----------
        values
            One value per parameter in declaration order, each inside its domain, shape
            ``(k,)``.

        Returns
        -------
        numpy.ndarray
            The unconstrained values, shape ``(k,)``.
        """
        return np.array(
            [p.to_unconstrained(np.float64(v)) for p, v in zip(self.params, values, strict=True)]
        )

    def from_unconstrained(self, u: FloatArray) -> FloatArray:
        """Vector of natural values (works on the last axis of a 2-d array of draws too).

        Parameters
        ----------
        u
            Unconstrained values, shape ``(k,)`` or ``(n_draws, k)``.

        Returns
        -------
        numpy.ndarray
            The values in each parameter's domain, same shape as ``u``.
        """
        u = np.asarray(u, dtype=np.float64)
        cols = [p.from_unconstrained(u[..., i]) for i, p in enumerate(self.params)]
        return np.stack(cols, axis=-1)

    def jacobian(self, u: FloatArray) -> FloatArray:
        """Diagonal of the Jacobian of :meth:`from_unconstrained`.

        Parameters
        ----------
        u
            Unconstrained values, shape ``(k,)``.

        Returns
        -------
        numpy.ndarray
            :math:`d\\theta_i/du_i`, shape ``(k,)`` (the transform acts on each parameter
            alone, so the Jacobian is diagonal).
        """
        return np.array([p.jacobian(u[i]) for i, p in enumerate(self.params)])

    def default_start(self) -> FloatArray:
        """Start values from the typical ranges.

        Returns
        -------
        numpy.ndarray
            Each parameter's :attr:`Param.default_start`, in declaration order, shape
            ``(k,)``.
        """
        return np.array([p.default_start for p in self.params])
