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

import numpy as np
from scipy.special import expit, logit

from relmark._validation import FloatArray
from relmark.errors import ParameterError

__all__ = ["Param", "ParamSet", "Setting"]


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
