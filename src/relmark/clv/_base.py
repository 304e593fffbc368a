"""The shared base of every CLV model: a model *is* its parameters.

A concrete model declares, as class attributes, its name, its parameters (:class:`ParamSet`), the
data columns its likelihood reads, and its likelihood as plain functions; this base owns
everything else: validation of parameters, data coercion (an ``RFMSummary``, a lifetimes-style
DataFrame or arrays), compression of identical rows into weights, fitting (through
:func:`relmark.clv._engine.fit_mle`), parameter draws for prediction intervals and JSON
persistence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from relmark._validation import (
    TIME_UNITS,
    FloatArray,
    as_float_array,
    check_level,
    check_weights,
)
from relmark.clv._engine import Likelihood, fit_mle, one_blas_thread
from relmark.clv._params import ParamSet
from relmark.clv._result import FitResult
from relmark.errors import DataError, ModelNotFittedError, SchemaError
from relmark.typing import RngLike

__all__ = ["SCHEMA_VERSION", "CLVModel", "Interval", "RngLike", "load_model"]

SCHEMA_VERSION = 1
"""Version of the JSON layout written by :meth:`CLVModel.to_json`."""


class Interval(tuple[FloatArray, FloatArray, FloatArray]):
    """``(estimate, lower, upper)`` arrays of a prediction with parameter uncertainty."""

    __slots__ = ()

    @property
    def estimate(self) -> FloatArray:
        """The prediction at the maximum-likelihood estimates."""
        return self[0]

    @property
    def lower(self) -> FloatArray:
        """Lower bound of the interval."""
        return self[1]

    @property
    def upper(self) -> FloatArray:
        """Upper bound of the interval."""
        return self[2]


def _column(data: object, name: str) -> object | None:
    """Read column/attribute ``name`` from a summary container, DataFrame or mapping."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        return data.get(name)
    columns = getattr(data, "columns", None)
    if columns is not None and hasattr(data, "__getitem__"):  # pandas / polars DataFrame
        return data[name] if name in columns else None
    return getattr(data, name, None)


def integer_key(arrays: tuple[FloatArray, ...]) -> tuple[npt.NDArray[np.int64], list[int]] | None:
    """One int64 key per row when every column holds small non-negative integers (whole days,
    counts), with the base of each column; None otherwise."""
    key = np.zeros(arrays[0].shape[0], dtype=np.int64)
    bases: list[int] = []
    span = 1
    for a in arrays:
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi >= 2**31:
            return None
        ints = a.astype(np.int64)
        if not np.array_equal(ints, a):
            return None
        base = int(hi) + 1
        span *= base
        if span >= 2**62:
            return None
        key = key * base + ints
        bases.append(base)
    return key, bases


def decode_key(key: npt.NDArray[np.int64], bases: list[int]) -> tuple[FloatArray, ...]:
    """The columns of an integer key built by :func:`integer_key`."""
    columns: list[FloatArray] = []
    for base in reversed(bases):
        columns.append((key % base).astype(np.float64))
        key = key // base
    return tuple(reversed(columns))


def _distinct_rows(
    arrays: tuple[FloatArray, ...],
) -> tuple[tuple[FloatArray, ...], npt.NDArray[np.intp]]:
    """The distinct rows (column by column) and, for each row, the index of its distinct row.

    Integer-valued data (whole days) is keyed in one pass; otherwise each column is factorised
    on its own (a fast 1-d sort) and the codes are combined into one integer key, several times
    faster than ``np.unique(..., axis=0)``.
    """
    direct = integer_key(arrays)
    if direct is not None:
        key, bases = direct
        keys, inverse = np.unique(key, return_inverse=True)
        return decode_key(keys, bases), inverse.ravel()
    key = np.zeros(arrays[0].shape[0], dtype=np.int64)
    span = 1
    for a in arrays:
        values, codes = np.unique(a, return_inverse=True)
        span *= values.shape[0]
        if span >= 2**62:  # the combined key would overflow: fall back to row-wise unique
            _, first, inverse = np.unique(
                np.column_stack(arrays), axis=0, return_index=True, return_inverse=True
            )
            break
        key = key * values.shape[0] + codes.ravel()
    else:
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return tuple(np.ascontiguousarray(a[first]) for a in arrays), inverse.ravel()


def _group_rows(
    arrays: tuple[FloatArray, ...], weights: FloatArray | None
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """The distinct rows (column by column) and the total weight of each (counts if None).

    Integer-valued data without weights is counted by one plain sort of its key.
    """
    if weights is None:
        direct = integer_key(arrays)
        if direct is not None:
            keys, counts = np.unique(direct[0], return_counts=True)
            return decode_key(keys, direct[1]), counts.astype(np.float64)
    columns, inverse = _distinct_rows(arrays)
    w = np.ones(arrays[0].shape[0]) if weights is None else weights
    sums = np.bincount(inverse, weights=w, minlength=columns[0].shape[0]).astype(np.float64)
    return columns, sums


def customer_labels(data: object) -> list[object] | None:
    """The customer ids of a container (its ``customer_id`` column, else its index), to name
    offending customers in errors; None without them (positions are named instead)."""
    ids = _column(data, "customer_id")
    if ids is None and data is not None and getattr(data, "index", None) is not None:
        ids = data.index  # type: ignore[attr-defined]
    return np.asarray(ids).tolist() if ids is not None else None


class CLVModel:
    """Base class of the CLV models. See a concrete model (e.g. :class:`relmark.clv.BGNBD`)."""

    name: ClassVar[str]
    """Canonical model name, used in JSON and the registry."""
    param_set: ClassVar[ParamSet]
    """The model's parameters, declared as data."""
    data_fields: ClassVar[tuple[str, ...]]
    """Names of the per-customer data the likelihood reads, in order."""
    likelihood: ClassVar[Likelihood]
    """Per-row log-likelihood (and gradient) as plain functions."""
    weights_field: ClassVar[str] = "weights"

    __slots__ = ("_fit", "_values", "time_unit")

    def __init__(self, **params: float) -> None:
        values = self.param_set.validate(params, model=self.name)
        self._check_params(values)
        values.setflags(write=False)
        self._values: FloatArray = values
        self._fit: FitResult | None = None
        self.time_unit: str | None = None

    @classmethod
    def _make(
        cls, params: Mapping[str, float], *, time_unit: str | None, fit: FitResult | None
    ) -> Self:
        """Build a model with a time unit and a fit result (what fitting and loading do)."""
        if time_unit is not None and time_unit not in TIME_UNITS:
            raise DataError(
                f"time_unit must be one of {', '.join(TIME_UNITS)} or None, got {time_unit!r}",
                column="time_unit",
            )
        model = cls(**params)
        model.time_unit = time_unit
        model._fit = fit
        return model

    def with_time_unit(self, time_unit: str | None) -> Self:
        """A copy of this model that states the time unit of its rates (e.g. ``"W"``)."""
        return self._make(self.params, time_unit=time_unit, fit=self._fit)

    # ------------------------------------------------------------------ parameters
    def _check_params(self, values: FloatArray) -> None:
        """Model-specific checks beyond the domains (override when needed)."""

    @property
    def params(self) -> dict[str, float]:
        """Parameter values by name."""
        return {n: float(v) for n, v in zip(self.param_set.names, self._values, strict=True)}

    @property
    def params_array(self) -> FloatArray:
        """Parameter values as a read-only array, in declaration order."""
        return self._values

    @property
    def fit_result(self) -> FitResult:
        """The fit result; raises :class:`ModelNotFittedError` for a model built from values."""
        if self._fit is None:
            raise ModelNotFittedError(
                f"this {self.name} was built from given parameters, not fitted: it has no fit "
                "result (use {self.name}.fit(...))"
            )
        return self._fit

    @property
    def is_fitted(self) -> bool:
        """Whether the model carries a fit result."""
        return self._fit is not None

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, CLVModel)
        return bool(
            np.array_equal(self._values, other._values)
            and self.time_unit == other.time_unit
            and self._fit == other._fit
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ data
    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        """Validate the model's data columns (override per data kind)."""
        return tuple(arrays[f] for f in cls.data_fields)

    @classmethod
    def _coerce(
        cls,
        data: object,
        weights: npt.ArrayLike | None,
        columns: Mapping[str, npt.ArrayLike | None],
    ) -> tuple[tuple[FloatArray, ...], FloatArray | None]:
        """Read and validate the model's data from a container and/or keyword arrays."""
        unknown = set(columns) - set(cls.data_fields)
        if unknown:
            raise TypeError(
                f"{cls.name} reads {', '.join(cls.data_fields)}; "
                f"unexpected {', '.join(sorted(unknown))}"
            )
        labels = customer_labels(data)
        arrays: dict[str, FloatArray] = {}
        for f in cls.data_fields:
            given = columns.get(f)
            value = given if given is not None else _column(data, f)
            if value is None:
                raise DataError(f"{cls.name} needs the column {f!r}", column=f)
            arrays[f] = as_float_array(value, f, labels=labels)  # type: ignore[arg-type]
        n = {a.shape[0] for a in arrays.values()}
        if len(n) > 1:
            raise DataError(f"columns {', '.join(cls.data_fields)} differ in length")
        w_in = weights if weights is not None else _column(data, cls.weights_field)
        w = check_weights(w_in, n.pop(), labels=labels)  # type: ignore[arg-type]
        return cls._validate_data(arrays, labels), w

    @staticmethod
    def _compress(
        arrays: tuple[FloatArray, ...], weights: FloatArray | None, mode: bool | None
    ) -> tuple[tuple[FloatArray, ...], FloatArray]:
        """Group identical rows into unique rows with counts, when it pays (``mode=None``)."""
        n = arrays[0].shape[0]
        if mode is False or n < 2:
            return arrays, np.ones(n) if weights is None else weights
        if mode is None:
            # Group only when a sample shows it pays: a 20,000-row sample decides, and on
            # continuous data (spend means, continuous recency) a 2,000-row sample that is
            # nearly all distinct settles it first, cheaply.
            checks = [(20_000, 0.6)]
            if integer_key(tuple(a[:2_000] for a in arrays)) is None:
                checks.insert(0, (2_000, 0.95))
            for size, limit in checks:
                if n <= 2.5 * size:
                    continue
                sample = tuple(np.ascontiguousarray(a[:: n // size]) for a in arrays)
                if _group_rows(sample, None)[0][0].shape[0] > limit * sample[0].shape[0]:
                    # nearly all rows distinct: grouping costs more than it saves
                    return arrays, np.ones(n) if weights is None else weights
        return _group_rows(arrays, weights)

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        """Data-based start values (override per model); defaults to the typical ranges."""
        return cls.param_set.default_start()

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        data: object = None,
        *,
        weights: npt.ArrayLike | None = None,
        start: Mapping[str, float] | None = None,
        compress: bool | None = None,
        time_unit: str | None = None,
        **columns: npt.ArrayLike | None,
    ) -> Self:
        """Fit by maximum likelihood and return the fitted model.

        Parameters
        ----------
        data
            An :class:`relmark.data.RFMSummary`, a lifetimes-style DataFrame or a mapping with the
            model's columns (see ``data_fields``); or ``None`` with the columns as keywords.
        weights
            Integer counts of identical rows (a ``weights`` column of ``data`` is used otherwise).
        start
            Start values by name; data-based start values otherwise.
        compress
            Group identical rows into weights: ``None`` (default) when it pays, or always/never.
        time_unit
            Unit of the times in the data (taken from ``data.time_unit`` when present).
        **columns
            The model's data columns as arrays, overriding those of ``data``.

        Returns
        -------
        The fitted model; its :attr:`fit_result` holds standard errors, log-likelihood, AIC, ...

        Notes
        -----
        While it runs, the fit limits the process's BLAS libraries to one thread (with
        threadpoolctl) and restores them afterwards: its linear algebra is 4x4, and idle BLAS
        workers woken by the optimiser slow the likelihood about twofold on two cores.
        """
        arrays, w = cls._coerce(data, weights, columns)
        with one_blas_thread():
            arrays, w = cls._compress(arrays, w, compress)
            start_values = (
                cls.param_set.validate(start, model=cls.name)
                if start is not None
                else cls._start(arrays, w)
            )
            result = fit_mle(
                model=cls.name,
                pset=cls.param_set,
                lik=cls.likelihood,
                data=arrays,
                weights=w,
                start=start_values,
            )
        unit = time_unit if time_unit is not None else getattr(data, "time_unit", None)
        return cls._make(result.params, time_unit=None if unit is None else str(unit), fit=result)

    def log_likelihood(
        self, data: object = None, *, weights: npt.ArrayLike | None = None, **columns: Any
    ) -> FloatArray:
        """Per-customer log-likelihood at this model's parameters (weights are not applied)."""
        arrays, _ = self._coerce(data, weights, columns)
        return self.likelihood.loglik(self._values, *arrays)

    # ------------------------------------------------------------------ uncertainty
    def sample_params(self, n_draws: int, *, rng: RngLike = None) -> FloatArray:
        """Draw parameter vectors from the estimates' asymptotic normal distribution.

        Draws are made on the optimiser's unconstrained (log/logit) scale and mapped back, so
        every draw lies in the parameter domain. Returns an ``(n_draws, k)`` array.
        """
        fit = self.fit_result
        gen = np.random.default_rng(rng)
        pset = self.param_set
        u = pset.to_unconstrained(self._values)
        if not np.all(np.isfinite(fit.cov_unconstrained)):
            raise ModelNotFittedError(
                f"{self.name}: no finite covariance (Hessian not positive definite); "
                "parameter draws are impossible"
            )
        draws = gen.multivariate_normal(u, fit.cov_unconstrained, size=n_draws, method="eigh")
        return pset.from_unconstrained(draws)

    def with_params(self, values: npt.ArrayLike) -> Self:
        """A copy of this model (without fit result) at other parameter values."""
        vals = np.asarray(values, dtype=np.float64)
        return self._make(
            dict(zip(self.param_set.names, vals.tolist(), strict=True)),
            time_unit=self.time_unit,
            fit=None,
        )

    def interval(
        self,
        prediction: Callable[[Self], npt.ArrayLike],
        *,
        alpha: float = 0.05,
        n_draws: int = 200,
        rng: RngLike = None,
    ) -> Interval:
        """A prediction with a ``1 - alpha`` interval from parameter uncertainty.

        Parameters
        ----------
        prediction
            A function of a model giving the prediction, e.g.
            ``lambda m: m.p_alive(frequency, recency, T)``.
        alpha
            One minus the interval's level.
        n_draws
            Parameter draws from the asymptotic distribution (see :meth:`sample_params`).
        rng
            Random generator or seed.
        """
        check_level(alpha, "alpha")
        est = np.asarray(prediction(self), dtype=np.float64)
        draws = self.sample_params(n_draws, rng=rng)
        sims = np.stack([np.asarray(prediction(self.with_params(d))) for d in draws])
        lo, hi = np.quantile(sims, [alpha / 2, 1 - alpha / 2], axis=0)
        return Interval((est, np.asarray(lo, dtype=np.float64), np.asarray(hi, np.float64)))

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: model name, versions, time unit, parameters and fit result."""
        from relmark import __version__

        return {
            "schema": "relmark.clv.model",
            "schema_version": SCHEMA_VERSION,
            "model": self.name,
            "relmark_version": __version__,
            "time_unit": self.time_unit,
            "params": self.params,
            "fit": None if self._fit is None else self._fit.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Serialise to JSON; :meth:`from_json` restores an equal model."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`; refuses another model's or a newer schema's data."""
        if d.get("schema") != "relmark.clv.model":
            raise SchemaError("not a relmark CLV model (missing 'schema': 'relmark.clv.model')")
        version = d.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise SchemaError(
                f"schema version {version!r} is newer than this relmark supports "
                f"({SCHEMA_VERSION}); upgrade relmark"
            )
        if d.get("model") != cls.name:
            raise SchemaError(f"this JSON holds a {d.get('model')!r} model, not {cls.name!r}")
        fit = None if d.get("fit") is None else FitResult.from_dict(d["fit"])
        return cls._make(d["params"], time_unit=d.get("time_unit"), fit=fit)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Load a model saved by :meth:`to_json`."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise SchemaError("expected a JSON object")
        return cls.from_dict(d)


def load_model(text: str | bytes) -> CLVModel:
    """Load any saved CLV model from JSON, whatever its class."""
    from relmark.clv._registry import get_model

    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not valid JSON: {exc}") from None
    if not isinstance(d, dict) or "model" not in d:
        raise SchemaError("expected a JSON object with a 'model' field")
    return get_model(str(d["model"])).from_dict(d)
