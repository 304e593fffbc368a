"""The shared base of every CLV model: a model *is* its parameters.

A concrete model declares, as class attributes, its name, its parameters (:class:`ParamSet`), the
data columns its likelihood reads, and its likelihood as plain functions; this base owns
everything else: validation of parameters, data coercion (an ``RFMSummary``, a lifetimes-style
DataFrame or arrays), compression of identical rows into weights, fitting (through
:func:`relmark.clv._engine.fit_mle`), parameter draws for prediction intervals and JSON
persistence.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, Self

import numpy as np
import numpy.typing as npt

from relmark._validation import (
    FloatArray,
    as_float_array,
    as_vector,
    check_count,
    check_level,
    check_rng,
    check_weights,
)
from relmark.clv._engine import (
    Likelihood,
    LogPrior,
    Progress,
    fit_mle,
    one_blas_thread,
    progress_callback,
    restrict,
)
from relmark.clv._params import Param, ParamSet, Prior, Setting
from relmark.clv._result import FitResult
from relmark.errors import (
    ArgumentError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    ModelNotFittedError,
    ParameterError,
    SchemaError,
)
from relmark.timeunit import TimeUnit
from relmark.typing import RngLike

__all__ = ["SCHEMA_VERSION", "CLVModel", "Interval", "ModelKind", "RngLike", "read_json"]

SCHEMA_VERSION = 2
"""Version of the JSON layout written by :meth:`CLVModel.to_json` (1: relmark 0.x before the
fit result's ``log_likelihood``; still read)."""

ModelKind = Literal["purchase", "spend", "retention"]
"""What a model predicts: repeat purchases, spend per purchase, or contract retention."""

_MODEL_KEYS = (
    "schema",
    "schema_version",
    "model",
    "relmark_version",
    "time_unit",
    "params",
    "settings",
    "fit",
)
"""The keys of a saved model (``settings`` optional, for models without fixed settings)."""


class Interval(tuple[FloatArray, FloatArray, FloatArray]):
    """``(estimate, lower, upper)`` arrays of a prediction with parameter uncertainty.

    Returned by :meth:`CLVModel.interval` and :func:`relmark.clv.clv_interval`; it unpacks as a
    tuple (``est, lo, hi = model.interval(...)``) or reads by name.

    Parameters
    ----------
    iterable
        The three arrays ``(estimate, lower, upper)``, of one shape: the prediction's.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import Interval
    >>> iv = Interval((np.array([1.0]), np.array([0.8]), np.array([1.3])))
    >>> float(iv.upper[0] - iv.lower[0])
    0.5
    """

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
    if isinstance(data, np.ndarray):  # a structured array (``T`` would be its transpose)
        fields = data.dtype.names or ()
        return data[name] if name in fields else None
    names = getattr(data, "column_names", None)  # pyarrow Table / RecordBatch
    if isinstance(names, list) and hasattr(data, "column"):
        # its .columns are the column arrays, not their names
        return data.column(name) if name in names else None
    columns = getattr(data, "columns", None)
    if columns is not None and hasattr(data, "__getitem__"):  # pandas / polars DataFrame
        return data[name] if name in columns else None
    return getattr(data, name, None)


def fit_time_unit(data: object, time_unit: object) -> str | None:
    """The time unit of a fit on ``data``: ``time_unit`` when given, which must equal the unit
    the data states (``"7D"`` equals ``"W"``; see
    :func:`relmark.data.summary.time_unit_stated`: an :class:`~relmark.data.RFMSummary`'s
    ``time_unit``, a pandas frame's ``attrs["time_unit"]``, a ``time_unit`` column or key),
    else the data's; None when neither says. A conflict is an
    :class:`~relmark.errors.ArgumentError` naming ``time_unit`` and both units: the data's
    ``recency`` and ``T`` are in its unit, and a model labelled with another would predict
    for the wrong periods."""
    from relmark.data.summary import agreeing_time_unit

    return agreeing_time_unit(data, time_unit)


def check_data_unit(model_unit: str | None, data: object, *, argument: str = "data") -> None:
    """Refuse ``data`` whose stated time unit (:func:`relmark.data.summary.time_unit_stated`)
    differs from a model's ``model_unit`` (``"7D"`` equals ``"W"``): the model's rates are
    per its unit, the data's recency and T in theirs. Nothing is checked when either states
    none."""
    if model_unit is None or data is None:
        return
    from relmark.data.summary import time_unit_stated

    stated = time_unit_stated(data)
    if stated is not None and stated[0] != TimeUnit.parse(model_unit):
        unit, where = stated
        raise ArgumentError(
            f"is in time unit {unit.label!r} ({where} says so), the model in "
            f"{TimeUnit.parse(model_unit).label!r}: summarize the data in the model's unit, "
            "or refit",
            argument=argument,
        )


def _refuse_non_container(model: str, data: object, fields: Sequence[str]) -> None:
    """Refuse ``data`` that cannot hold named columns (text such as a file name, a number, a
    list of rows, a plain array), naming ``data``: reading its columns would only report the
    first one missing."""
    plain_array = isinstance(data, np.ndarray) and not data.dtype.names
    if plain_array or isinstance(data, str | bytes | int | float | complex | list | tuple):
        raise ArgumentError(
            f"must be a summary with named columns (an RFMSummary, a pandas or polars "
            f"DataFrame, a pyarrow Table or a mapping of columns) or None, got "
            f"{type(data).__name__}; {model} reads {', '.join(fields)} (also as keywords)",
            argument="data",
        )


def refuse_first_purchase(data: object) -> None:
    """Refuse a summary that counts the first purchase (``include_first_purchase=True``, in
    any form a summary carries it: :func:`relmark.data.summary.first_purchase_flag`): every
    model's likelihood counts repeat purchases."""
    from relmark.data.summary import first_purchase_flag

    if first_purchase_flag(data):  # (a flag that is not a bool is a DataError there)
        raise DataError(
            "the summary counts the first purchase (include_first_purchase=True): the CLV "
            "models need repeat purchases only; summarize again with "
            "include_first_purchase=False (the default)",
            column="frequency",
        )


def integer_key(arrays: tuple[FloatArray, ...]) -> tuple[npt.NDArray[np.int64], list[int]] | None:
    """One int64 key per row when every column holds small non-negative integers (whole days,
    counts), with the base of each column; None otherwise.

    The ranges (a minimum and a maximum per column, which NaN fails) are checked first, then
    whether the values are whole (one comparison per column), then the key is built in place.
    """
    bases: list[int] = []
    span = 1
    for a in arrays:
        lo, hi = float(a.min()), float(a.max())
        if not (lo >= 0 and hi < 2**31):
            return None
        base = int(hi) + 1
        span *= base
        if span >= 2**62:
            return None
        bases.append(base)
    for a in arrays:
        if not np.array_equal(np.floor(a), a):
            return None
    key = arrays[0].astype(np.int64)
    for a, base in zip(arrays[1:], bases[1:], strict=True):
        key *= base
        key += a.astype(np.int64)
    return key, bases


def decode_key(key: npt.NDArray[np.int64], bases: list[int]) -> tuple[FloatArray, ...]:
    """The columns of an integer key built by :func:`integer_key`."""
    columns: list[FloatArray] = []
    # (a key below 2**32 is divided as uint32: int64 division is slow, 32-bit about twice as fast)
    rest: npt.NDArray[np.integer[Any]] = (
        key.astype(np.uint32) if key.shape[0] and int(key.max()) < 2**32 else key
    )
    for base in reversed(bases):
        rest, digit = np.divmod(rest, base)  # one pass for both
        columns.append(digit.astype(np.float64))
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


_DENSE_KEYS = 1 << 19
"""Keys all below this are counted in a table (4 MiB: it stays in cache), others sorted."""


def _count_keys(
    key: npt.NDArray[np.int64], table_size: int = _DENSE_KEYS
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """The distinct keys in increasing order and the number of rows holding each: what
    ``np.unique(key, return_counts=True)`` returns, about twice as fast.

    Keys all below ``table_size`` (:data:`_DENSE_KEYS`, and below eight per row) are counted
    by ``np.bincount`` (one pass); otherwise the keys are sorted, as ``uint32`` when they fit
    (whole days over two years with up to ~8,000 repeat purchases do: half the bytes of
    int64, twice the SIMD lanes), and counted between the changes of value. Counting the
    small keys in a table and sorting only the others cost more: the two boolean gathers
    alone took 10 ms of 15 at a million whole-day rows, the sort of every key as ``uint32``
    takes 2.3 ms (numpy 2.4 on AVX-512; ``_count_keys`` 3.3 ms, was 15 ms).
    """
    n = key.shape[0]
    if n == 0:
        return key.astype(np.int64), np.zeros(0)
    top = int(key.max())
    if top < min(table_size, 8 * n):
        table = np.bincount(key, minlength=1)
        dense = np.flatnonzero(table)
        return dense.astype(np.int64), table[dense].astype(np.float64)
    ordered = np.sort(key.astype(np.uint32) if top < 2**32 else key)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(starts, append=n)
    return ordered[starts].astype(np.int64), counts.astype(np.float64)


def _group_rows(
    arrays: tuple[FloatArray, ...], weights: FloatArray | None
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """The distinct rows (column by column) and the total weight of each (counts if None).

    Integer-valued data without weights is counted by one plain sort of its key.
    """
    if weights is None:
        direct = integer_key(arrays)
        if direct is not None:
            keys, counts = _count_keys(direct[0])
            return decode_key(keys, direct[1]), counts
    columns, inverse = _distinct_rows(arrays)
    w = np.ones(arrays[0].shape[0]) if weights is None else weights
    sums = np.bincount(inverse, weights=w, minlength=columns[0].shape[0]).astype(np.float64)
    return columns, sums


class _Labels(Sequence[object]):
    """Customer ids read only when an error names offending rows: converting a million ids to
    Python objects up front cost more than validating the data (78 ms of a 530 ms fit)."""

    __slots__ = ("_array", "_raw")

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self._array: npt.NDArray[Any] | None = None

    def _values(self) -> npt.NDArray[Any]:
        if self._array is None:
            self._array = np.asarray(self._raw)
        return self._array

    def __len__(self) -> int:
        return int(self._values().shape[0])

    def __getitem__(self, i: Any) -> Any:
        value = self._values()[i]
        return value.item() if isinstance(value, np.generic) else value


def customer_labels(data: object) -> Sequence[object] | None:
    """The customer ids of a container (its ``customer_id`` column, else its index), to name
    offending customers in errors; None without them (positions are named instead)."""
    ids = _column(data, "customer_id")
    if ids is None and data is not None and getattr(data, "index", None) is not None:
        ids = data.index  # type: ignore[attr-defined]
    return _Labels(ids) if ids is not None else None


class CLVModel:
    """Base class of the CLV models. See a concrete model (e.g. :class:`relmark.clv.BGNBD`).

    A model *is* its parameters: it is built from values (``BGNBD(r=0.24, alpha=4.4, a=0.79,
    b=2.4)``) or by :meth:`fit`, is immutable, and compares equal to a model of the same class
    with the same parameters, settings, time unit and fit result.

    Parameters
    ----------
    **params
        Every parameter of the model by name (see :attr:`param_set`: ``r, alpha, a, b`` for
        BG/NBD), each a finite number inside its open domain; rates and scales are per time unit
        of the data the model describes. Models with fixed settings (see
        :attr:`settings_spec`) also take them here, by name; omitted settings take their
        defaults.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, a value that is not a number (text, a boolean) or
        lies outside its domain, or a bad setting; the error names the parameter.
    """

    name: ClassVar[str]
    """Canonical model name, used in JSON and the registry."""
    kind: ClassVar[ModelKind]
    """What the model predicts: ``"purchase"``, ``"spend"`` or ``"retention"``."""
    param_set: ClassVar[ParamSet]
    """The model's parameters, declared as data."""
    settings_spec: ClassVar[tuple[Setting, ...]] = ()
    """Fixed settings (not estimated; e.g. the ``k`` of an Erlang-k model), stored in JSON."""
    data_fields: ClassVar[tuple[str, ...]]
    """Names of the per-customer data the likelihood reads, in order."""
    likelihood: ClassVar[Likelihood]
    """Per-row log-likelihood (and gradient) as plain functions."""
    weights_field: ClassVar[str] = "weights"
    _finite_by_validation: ClassVar[tuple[str, ...]] = ()
    """Data columns whose :meth:`_validate_data` refuses NaN and infinities itself, with the
    error :func:`relmark._validation.as_float_array` gives (:func:`relmark._validation.check_rfm`
    does, in the comparisons of its ranges): :meth:`_coerce` reads them without a pass of its
    own for finiteness. An override of :meth:`_validate_data` keeps the claim only if it still
    checks them so."""

    __slots__ = ("_fit", "_settings", "_values", "time_unit")

    def __init__(self, **params: float) -> None:
        names = {s.name for s in self.settings_spec}
        given = {k: v for k, v in params.items() if k in names}
        values = self.param_set.validate(
            {k: v for k, v in params.items() if k not in names}, model=self.name
        )
        self._settings: dict[str, float] = self._check_settings(given)
        self._check_params(values)
        values.setflags(write=False)
        self._values: FloatArray = values
        self._fit: FitResult | None = None
        self.time_unit: str | None = None

    @classmethod
    def _check_settings(cls, given: Mapping[str, object]) -> dict[str, float]:
        """Every fixed setting, from ``given`` or its default (ParameterError naming it)."""
        return {s.name: s.check(given.get(s.name, s.default)) for s in cls.settings_spec}

    @classmethod
    def likelihood_for(cls, settings: Mapping[str, float]) -> Likelihood:
        """The likelihood at the given fixed settings (override in models that have some).

        Parameters
        ----------
        settings
            The model's fixed settings by name, already checked (see :attr:`settings_spec`);
            empty for models without settings.

        Returns
        -------
        relmark.clv._engine.Likelihood
            The per-row log-likelihood and gradient functions the fit maximises (the class's
            :attr:`likelihood` for models without settings).
        """
        return cls.likelihood

    @property
    def settings(self) -> dict[str, float]:
        """The model's fixed settings by name (empty for models without any)."""
        return dict(self._settings)

    @classmethod
    def _make(
        cls,
        params: Mapping[str, float],
        *,
        time_unit: str | None,
        fit: FitResult | None,
        settings: Mapping[str, float] | None = None,
    ) -> Self:
        """Build a model with a time unit and a fit result (what fitting and loading do)."""
        if time_unit is not None:  # a TimeUnit label ("W", "2W", "2.5D"); ArgumentError if not
            time_unit = TimeUnit.parse(time_unit).label
        model = cls(**params, **(settings or {}))
        model.time_unit = time_unit
        model._fit = fit
        return model

    def with_time_unit(self, time_unit: str | None) -> Self:
        """A copy of this model that states the time unit of its rates (e.g. ``"W"``).

        Only the label changes: the parameters are not rescaled.

        Parameters
        ----------
        time_unit
            A time-unit label (``"D"``, ``"W"``, ``"7D"``, ``"2.5D"``, ...), or ``None`` for a
            model whose unit is unknown.

        Returns
        -------
        CLVModel
            A model of the same class with the same parameters, settings and fit result.

        Raises
        ------
        ArgumentError
            For text that is not a time unit (naming ``time_unit``).
        """
        return self._make(self.params, time_unit=time_unit, fit=self._fit, settings=self._settings)

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
            and self._settings == other._settings
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
            raise ArgumentError(
                f"{cls.name} reads the columns {', '.join(cls.data_fields)}; this is not one",
                argument=sorted(unknown)[0],
            )
        _refuse_non_container(cls.name, data, cls.data_fields)
        refuse_first_purchase(data)
        labels = customer_labels(data)
        if cls._finite_by_validation:
            try:
                return cls._read_columns(data, weights, columns, labels, cls._finite_by_validation)
            except DataError:
                pass  # read again, every check in its documented order, for the error
        return cls._read_columns(data, weights, columns, labels, ())

    @classmethod
    def _read_columns(
        cls,
        data: object,
        weights: npt.ArrayLike | None,
        columns: Mapping[str, npt.ArrayLike | None],
        labels: Sequence[object] | None,
        unchecked: tuple[str, ...],
    ) -> tuple[tuple[FloatArray, ...], FloatArray | None]:
        """:meth:`_coerce`'s reading: each column converted (and checked finite, except the
        ``unchecked`` ones, which :meth:`_validate_data` checks), the lengths, the weights,
        then :meth:`_validate_data`."""
        arrays: dict[str, FloatArray] = {}
        for f in cls.data_fields:
            given = columns.get(f)
            value = given if given is not None else _column(data, f)
            if value is None:
                raise DataError(f"{cls.name} needs the column {f!r}", column=f)
            arrays[f] = (
                as_vector(value, f)  # type: ignore[arg-type]
                if f in unchecked
                else as_float_array(value, f, labels=labels)  # type: ignore[arg-type]
            )
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
                most = limit * sample[0].shape[0]
                # rows are at least as distinct as their most distinct column (a continuous
                # last column, T or spend, settles it with one small sort, before the rows'
                # own grouping)
                if any(np.unique(a).shape[0] > most for a in reversed(sample)) or (
                    _group_rows(sample, None)[0][0].shape[0] > most
                ):
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
        settings: Mapping[str, float] | None = None,
        priors: Mapping[str, Prior] | None = None,
        fixed: Mapping[str, float] | None = None,
        progress: Progress | str | None = None,
        **columns: npt.ArrayLike | None,
    ) -> Self:
        """Fit by maximum likelihood (or, with ``priors``, maximum a posteriori) and return the
        fitted model.

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
            Unit of the times in the data: by default the unit the data states (an
            :class:`~relmark.data.RFMSummary`'s ``time_unit``, a pandas frame's
            ``attrs["time_unit"]``, a ``time_unit`` column or key); given, it must equal that
            unit (``"7D"`` equals ``"W"``).
        settings
            The model's fixed settings (see :attr:`settings_spec`), not estimated; defaults
            otherwise.
        priors
            A :class:`Prior` per parameter by name (any subset): the fit maximises the
            log-likelihood plus the priors' log densities (a MAP fit, or a penalised one);
            ``fit_result.estimator`` is then ``"MAP"``, ``fit_result.extra`` records the
            priors (in JSON too) and the log prior at the estimates, and the standard errors
            are the posterior's curvature at its mode (Laplace).
        fixed
            Parameters held at given values by name (a restricted fit, e.g. for
            :func:`relmark.clv.likelihood_ratio_test`): they are not estimated, their standard
            errors are 0, ``fit_result.k`` counts only the free ones and
            ``fit_result.extra["fixed"]`` records them.
        progress
            Off (``None``, the default: no output); a callable ``progress(stage, fraction)``
            called as the fit advances (fractions rise monotonically from 0, the last call is
            ``("done", 1.0)``); or ``"tqdm"`` for a progress bar (the ``progress`` extra).
        **columns
            The model's data columns as arrays, overriding those of ``data``.

        Returns
        -------
        CLVModel
            The fitted model; its :attr:`fit_result` holds standard errors, log-likelihood,
            AIC, ...

        Raises
        ------
        DataError
            For missing, non-numeric or invalid data (naming the column and rows).
        ArgumentError
            For an unknown column keyword, a bad ``compress``, ``time_unit`` or setting, a
            ``time_unit`` other than the one the data states (naming both); for
            ``priors`` or ``fixed`` that name no parameter of the model, hold something else
            than a :class:`Prior` (a number), a prior whose support is not the parameter's
            domain, or a prior on a fixed parameter (naming ``priors`` or ``fixed``); for a
            ``progress`` that is not None, a callable or ``"tqdm"``, or ``"tqdm"`` without
            tqdm installed.
        ParameterError
            For a fixed value outside the parameter's domain (naming the parameter).
        ConvergenceError
            When the log-likelihood is not finite at the start values.

        Notes
        -----
        While it runs, the fit limits the process's BLAS libraries to one thread (with
        threadpoolctl) and restores them afterwards: its linear algebra is 4x4, and idle BLAS
        workers woken by the optimiser slow the likelihood about twofold on two cores.

        Examples
        --------
        Customers simulated from known parameters; the fit recovers them within their
        standard errors:

        >>> from relmark.clv import BGNBD
        >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model = BGNBD.fit(true.simulate([39.0] * 2000, rng=7), time_unit="W")
        >>> model.fit_result.converged, model.time_unit, round(model.params["r"], 2)
        (True, 'W', 0.27)
        """
        checked = cls._fit_arguments(compress, settings, start, fixed, priors, progress)
        unit = fit_time_unit(data, time_unit)
        arrays, w = cls._coerce(data, weights, columns)
        return cls._fit_arrays(arrays, w, checked, start=start, compress=compress, time_unit=unit)

    @classmethod
    def _fit_arguments(
        cls,
        compress: object,
        settings: Mapping[str, float] | None,
        start: object,
        fixed: Mapping[str, float] | None,
        priors: Mapping[str, Prior] | None,
        progress: Progress | str | None,
    ) -> tuple[dict[str, float], dict[str, float], dict[str, Prior], Progress | None]:
        """:meth:`fit`'s arguments checked (before the data): the settings, the fixed
        parameters, the priors and the progress callback."""
        if compress is not None and not isinstance(compress, bool):
            raise ArgumentError(
                f"must be True, False or None, got {compress!r}", argument="compress"
            )
        chosen = cls._check_settings(settings or {})
        unknown = set(settings or {}) - set(chosen)
        if unknown:
            raise ArgumentError(
                f"{cls.name} has no fixed setting {sorted(unknown)[0]!r}", argument="settings"
            )
        if start is not None and not isinstance(start, Mapping):
            raise ArgumentError(
                f"must map parameter names to start values, got {type(start).__name__}",
                argument="start",
            )
        if start is not None:  # before the data are read, saying it is the start values
            try:
                cls.param_set.validate(start, model=cls.name)
            except ParameterError as exc:
                text = str(exc)
                why = text.split(": ", 1)[1] if text.startswith("argument ") else text
                raise ParameterError(f"in start: {why}", argument=exc.argument) from None
        held = check_fixed(cls.param_set, fixed)
        prior_map = check_priors(cls.param_set, priors, held)
        report = progress_callback(progress, desc=f"{cls.name} fit")
        return chosen, held, prior_map, report

    @classmethod
    def _fit_arrays(
        cls,
        arrays: tuple[FloatArray, ...],
        w: FloatArray | None,
        checked: tuple[dict[str, float], dict[str, float], dict[str, Prior], Progress | None],
        *,
        start: Mapping[str, float] | None,
        compress: bool | None,
        time_unit: object,
    ) -> Self:
        """:meth:`fit` on validated data (:meth:`_coerce`) with checked arguments
        (:meth:`_fit_arguments`): a model that prepares its data itself (Gamma-Gamma sets
        the customers without repeat purchases aside) validates them once."""
        chosen, held, prior_map, report = checked
        with one_blas_thread():
            arrays, w = cls._compress(arrays, w, compress)
            start_values = (
                cls.param_set.validate(start, model=cls.name)
                if start is not None
                else cls._start(arrays, w)
            )
            result = fit_restricted(
                model=cls.name,
                pset=cls.param_set,
                lik=cls.likelihood_for(chosen),
                data=arrays,
                weights=w,
                start=start_values,
                priors=prior_map,
                fixed=held,
                progress=report,
            )
        return cls._make(
            result.params,
            time_unit=None if time_unit is None else str(time_unit),
            fit=result,
            settings=chosen,
        )

    def log_likelihood(
        self, data: object = None, *, weights: npt.ArrayLike | None = None, **columns: Any
    ) -> FloatArray:
        """Per-customer log-likelihood at this model's parameters (weights are not applied).

        The sum of these values weighted by the customers' counts is the log-likelihood a fit
        maximises (:attr:`FitResult.log_likelihood`).

        Parameters
        ----------
        data
            An :class:`relmark.data.RFMSummary`, a DataFrame or a mapping with the model's
            columns (see :attr:`data_fields`), or ``None`` with the columns as keywords.
        weights
            Accepted for symmetry with :meth:`fit` and validated (counts of identical rows,
            one per row), but not applied: each row's own log-likelihood is returned.
        **columns
            The model's data columns as arrays, overriding those of ``data``.

        Returns
        -------
        numpy.ndarray
            One log-likelihood per data row, shape ``(n,)``.

        Raises
        ------
        DataError
            For missing, non-numeric or invalid data (naming the column and rows).
        ArgumentError
            For a keyword that is not one of the model's columns; for ``data`` that state a
            time unit other than the model's (both named: the rates would be read in the
            wrong unit).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.log_likelihood(frequency=[2], recency=[30.43], T=[38.86]).round(4).tolist()
        [-9.4586]
        """
        check_data_unit(self.time_unit, data)
        arrays, _ = self._coerce(data, weights, columns)
        return self.likelihood_for(self._settings).log_likelihood(self._values, *arrays)

    # ------------------------------------------------------------------ uncertainty
    def sample_params(self, n_draws: int, *, rng: RngLike = None) -> FloatArray:
        """Draw parameter vectors from the estimates' asymptotic normal distribution.

        Draws are made on the optimiser's unconstrained (log/logit) scale and mapped back, so
        every draw lies in the parameter domain.

        Parameters
        ----------
        n_draws
            Number of draws, a whole number >= 1.
        rng
            Random generator or seed.

        Returns
        -------
        numpy.ndarray
            An ``(n_draws, k)`` array.

        Raises
        ------
        ArgumentError
            For a bad ``n_draws``.
        ModelNotFittedError
            Without a fit result, or without a finite covariance.

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model = BGNBD.fit(true.simulate([39.0] * 2000, rng=7))
        >>> model.sample_params(3, rng=1).shape
        (3, 4)
        """
        count = check_count(n_draws, "n_draws", minimum=1)
        if count > _MAX_DRAWS:
            raise ArgumentError(f"must be at most {_MAX_DRAWS:,}, got {count}", argument="n_draws")
        fit = self.fit_result
        gen = check_rng(rng, "rng")
        pset = self.param_set
        u = pset.to_unconstrained(self._values)
        if not np.all(np.isfinite(fit.cov_unconstrained)):
            raise ModelNotFittedError(
                f"{self.name}: no finite covariance (Hessian not positive definite); "
                "parameter draws are impossible"
            )
        draws = gen.multivariate_normal(u, fit.cov_unconstrained, size=count, method="eigh")
        return pset.from_unconstrained(draws)

    def with_params(self, values: npt.ArrayLike) -> Self:
        """A copy of this model (without fit result) at other parameter values.

        :meth:`interval` uses it to evaluate a prediction at each parameter draw.

        Parameters
        ----------
        values
            The new values in declaration order (see :attr:`param_set`), an array of length
            ``k``; or a mapping of every parameter by name.

        Returns
        -------
        CLVModel
            A model of the same class, time unit and settings, not fitted.

        Raises
        ------
        ParameterError
            For the wrong number of values, values that are not numbers, or values outside
            their domain (naming the parameter, or ``values``).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_params([0.3, 5.0, 0.8, 2.5])
        BGNBD(r=0.3, alpha=5, a=0.8, b=2.5)
        """
        raw: object = values
        if isinstance(raw, Mapping):
            return self._make(
                dict(raw), time_unit=self.time_unit, fit=None, settings=self._settings
            )
        vals = np.asarray(values, dtype=np.float64) if _numeric(values) else None
        if vals is None or vals.shape != (len(self.param_set),):
            raise ParameterError(
                f"{self.name} takes {len(self.param_set)} parameters "
                f"({', '.join(self.param_set.names)}) in this order",
                argument="values",
            )
        return self._make(
            dict(zip(self.param_set.names, vals.tolist(), strict=True)),
            time_unit=self.time_unit,
            fit=None,
            settings=self._settings,
        )

    def interval(
        self,
        prediction: Callable[[Self], npt.ArrayLike],
        *,
        level: float = 0.95,
        n_draws: int = 200,
        rng: RngLike = None,
    ) -> Interval:
        """A prediction with an interval of coverage ``level`` from parameter uncertainty.

        Parameters
        ----------
        prediction
            A function of a model giving the prediction, e.g.
            ``lambda m: m.p_alive(frequency, recency, T)``.
        level
            Coverage of the interval, strictly between 0 and 1 (default 0.95).
        n_draws
            Parameter draws from the asymptotic distribution (see :meth:`sample_params`),
            a whole number >= 2.
        rng
            Random generator or seed.

        Returns
        -------
        Interval
            ``(estimate, lower, upper)`` with ``lower <= upper``.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1) or a bad ``n_draws``.
        ModelNotFittedError
            Without a fit result (or a finite covariance).

        Examples
        --------
        P(alive) of one customer with a 95 % interval, from a fit to 2,000 simulated
        customers:

        >>> from relmark.clv import BGNBD
        >>> true = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model = BGNBD.fit(true.simulate([39.0] * 2000, rng=7))
        >>> iv = model.interval(lambda m: m.p_alive(2, 30.43, 38.86), n_draws=100, rng=1)
        >>> bool(iv.lower[0] <= iv.estimate[0] <= iv.upper[0])
        True
        """
        coverage = check_level(level, "level")
        count = check_count(n_draws, "n_draws", minimum=2)
        if not callable(prediction):
            raise ArgumentError(
                f"must be a function of a model, got {type(prediction).__name__}",
                argument="prediction",
            )
        est = _prediction_values(prediction(self), None)
        draws = self.sample_params(count, rng=rng)
        sims = np.stack([_prediction_values(prediction(self.with_params(d)), est) for d in draws])
        tail = (1.0 - coverage) / 2.0
        lo, hi = np.quantile(sims, [tail, 1.0 - tail], axis=0)
        return Interval((est, np.asarray(lo, dtype=np.float64), np.asarray(hi, np.float64)))

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: model name, versions, time unit, parameters, fixed settings (for
        models that have some) and fit result.

        Returns
        -------
        dict
            The keys ``schema``, ``schema_version``, ``model``, ``relmark_version``,
            ``time_unit``, ``params``, (``settings``) and ``fit`` (``None`` for a model built
            from values); :meth:`from_dict` restores an equal model.
        """
        from relmark import __version__

        out: dict[str, Any] = {
            "schema": "relmark.clv.model",
            "schema_version": SCHEMA_VERSION,
            "model": self.name,
            "relmark_version": __version__,
            "time_unit": self.time_unit,
            "params": self.params,
        }
        if self.settings_spec:
            out["settings"] = self.settings
        out["fit"] = None if self._fit is None else self._fit.to_dict()
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        """Serialise to JSON; :meth:`from_json` restores an equal model.

        Parameters
        ----------
        indent
            Indentation of the JSON text (``None``: one line).

        Returns
        -------
        str
            The JSON text of :meth:`to_dict`. A fit whose Hessian was not positive definite
            stores its covariance as ``NaN`` (JSON's extension that Python reads back).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> BGNBD.from_json(model.to_json()) == model
        True
        """
        if indent is not None:  # json.dumps took "x" as the indent text and -1 as none
            indent = check_count(indent, "indent")
        return json.dumps(self.to_dict(), indent=indent, allow_nan=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A saved model's dict.

        Returns
        -------
        CLVModel
            An equal model.

        Raises
        ------
        SchemaError
            Naming the key: not a relmark model (``schema``), an unsupported version
            (``schema_version``), another model's data (``model``), a missing, unknown or
            ill-typed key, parameters outside their domain or missing (``params.r``), a fit
            result that disagrees with the parameters (``params.r``: the file was edited) or
            is malformed (``fit.nobs``, ...).
        """
        if not isinstance(d, Mapping):
            raise SchemaError(f"expected a JSON object, got {type(d).__name__}")
        unknown = sorted(str(k) for k in set(d) - set(_MODEL_KEYS))
        if unknown:
            raise SchemaError("is not a key of a saved relmark model", key=unknown[0])
        if d.get("schema") != "relmark.clv.model":
            raise SchemaError(
                f"must be 'relmark.clv.model' (not a relmark CLV model), got {d.get('schema')!r}",
                key="schema",
            )
        version = d.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or not version >= 1:
            raise SchemaError(f"must be a whole number >= 1, got {version!r}", key="schema_version")
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{version} is newer than this relmark supports ({SCHEMA_VERSION}); upgrade "
                "relmark",
                key="schema_version",
            )
        if d.get("model") != cls.name:
            raise SchemaError(
                f"this JSON holds a {d.get('model')!r} model, not {cls.name!r}", key="model"
            )
        for key in ("relmark_version", "time_unit", "params", "fit"):
            if key not in d:
                raise SchemaError("is missing", key=key)
        if not isinstance(d["relmark_version"], str):
            raise SchemaError(f"must be text, got {d['relmark_version']!r}", key="relmark_version")
        time_unit = d["time_unit"]
        if time_unit is not None:
            try:
                time_unit = TimeUnit.parse(time_unit).label
            except ArgumentError as exc:
                raise SchemaError(str(exc), key="time_unit") from None
        values = cls._params_from_json(d["params"])
        settings = cls._settings_from_json(d.get("settings"))
        fit_d = d["fit"]
        if fit_d is not None and version == 1:
            fit_d = _upgrade_fit_v1(fit_d, cls.param_set)
        fit = (
            None
            if fit_d is None
            else FitResult.from_dict(fit_d, model=cls.name, param_set=cls.param_set, params=values)
        )
        try:
            return cls._make(
                dict(zip(cls.param_set.names, values.tolist(), strict=True)),
                time_unit=time_unit,
                fit=fit,
                settings=settings,
            )
        except ParameterError as exc:  # a model-level check (Gamma-Gamma's q > 1)
            key = "params" if exc.argument is None else f"params.{exc.argument}"
            raise SchemaError(str(exc), key=key) from None

    @classmethod
    def _params_from_json(cls, given: object) -> FloatArray:
        """The saved parameters as an array, each checked (SchemaError naming ``params.r``)."""
        if not isinstance(given, Mapping):
            raise SchemaError(f"must be a JSON object of numbers, got {given!r}", key="params")
        names = cls.param_set.names
        for name in given:
            if name not in names:
                raise SchemaError(f"is not a parameter of {cls.name}", key=f"params.{name}")
        out = []
        for p in cls.param_set.params:
            if p.name not in given:
                raise SchemaError("is missing", key=f"params.{p.name}")
            v = given[p.name]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise SchemaError(f"must be a number, got {v!r}", key=f"params.{p.name}")
            try:
                out.append(p.check(v))
            except ParameterError as exc:
                raise SchemaError(str(exc), key=f"params.{p.name}") from None
        return np.array(out, dtype=np.float64)

    @classmethod
    def _settings_from_json(cls, given: object) -> dict[str, float]:
        """The saved fixed settings (required for models that have some)."""
        if not cls.settings_spec:
            if given is not None:
                raise SchemaError(f"{cls.name} has no fixed settings", key="settings")
            return {}
        if not isinstance(given, Mapping):
            raise SchemaError(f"must be a JSON object, got {given!r}", key="settings")
        out: dict[str, float] = {}
        names = {s.name for s in cls.settings_spec}
        for name in given:
            if name not in names:
                raise SchemaError(f"is not a setting of {cls.name}", key=f"settings.{name}")
        for spec in cls.settings_spec:
            if spec.name not in given:
                raise SchemaError("is missing", key=f"settings.{spec.name}")
            try:
                out[spec.name] = spec.check(given[spec.name])
            except ParameterError as exc:
                raise SchemaError(str(exc), key=f"settings.{spec.name}") from None
        return out

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Load a model saved by :meth:`to_json` (see :meth:`from_dict` for what is checked).

        Parameters
        ----------
        text
            The JSON text, as ``str`` or UTF-8 ``bytes``.

        Returns
        -------
        CLVModel
            An equal model of this class (with its fit result, if one was saved).

        Raises
        ------
        SchemaError
            For text that is not JSON, not a JSON object, or not a saved model of this class
            (naming the key at fault, as :meth:`from_dict`).
        """
        return cls.from_dict(read_json(text))


_MAX_DRAWS = 1_000_000
"""More parameter draws than this is a mistake (and a large allocation)."""


def _prediction_values(value: object, estimate: FloatArray | None) -> FloatArray:
    """What an interval's ``prediction`` returned, as finite numbers of the estimate's shape
    (ArgumentError naming ``prediction``: text raised numpy's ValueError, NaN gave NaN bounds,
    a shape that changed with the draw raised numpy's ValueError)."""
    if not _numeric(value):
        raise ArgumentError(
            f"must return numbers, got {type(value).__name__}", argument="prediction"
        )
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ArgumentError(
            "returned NaN or infinite values (at the estimates or at a parameter draw)",
            argument="prediction",
        )
    if estimate is not None and arr.shape != estimate.shape:
        raise ArgumentError(
            f"returned shape {arr.shape} at a parameter draw but {estimate.shape} at the estimates",
            argument="prediction",
        )
    return arr


def _numeric(values: object) -> bool:
    """Numbers (not text, booleans or objects) that numpy reads as a float array."""
    if isinstance(values, list | tuple) and any(isinstance(v, bool | np.bool_) for v in values):
        return False  # numpy reads [True, 1, 1, 1] as integers: True is not a parameter
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        return False
    return arr.dtype.kind in "iuf"


def read_json(text: object) -> dict[str, Any]:
    """Parse a saved model's JSON text into a dict (SchemaError for anything else)."""
    if not isinstance(text, str | bytes | bytearray):
        raise SchemaError(f"expected JSON text, got {type(text).__name__}")
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"not valid JSON: {exc}") from None
    if not isinstance(d, dict):
        raise SchemaError("expected a JSON object")
    return d


def _upgrade_fit_v1(fit: object, pset: ParamSet) -> object:
    """A fit result saved with schema version 1 (``loglik``, estimates as a list, a stored
    Jacobian) in the version 2 layout; anything malformed is left for the checks to name."""
    if not isinstance(fit, Mapping):
        return fit
    d = dict(fit)
    if d.get("param_names") != list(pset.names) or not isinstance(d.get("params"), list):
        raise SchemaError("does not list this model's parameters", key="fit.param_names")
    if len(d["params"]) != len(pset):
        raise SchemaError(f"must hold {len(pset)} estimates", key="fit.params")
    d["params"] = dict(zip(pset.names, d["params"], strict=True))
    for old, new in (("loglik", "log_likelihood"), ("loglik_change", "log_likelihood_change")):
        if old in d:
            d[new] = d.pop(old)
    for gone in ("model", "param_names", "jacobian"):
        d.pop(gone, None)
    return d


def check_fixed(pset: ParamSet, fixed: object) -> dict[str, float]:
    """The parameters a restricted fit holds fixed, each checked against its domain."""
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise ArgumentError(
            f"must map parameter names to values, got {type(fixed).__name__}", argument="fixed"
        )
    out: dict[str, float] = {}
    for name, value in fixed.items():
        if name not in pset.names:
            raise ArgumentError(
                f"{name!r} is not a parameter ({', '.join(pset.names)})", argument="fixed"
            )
        out[name] = pset.params[pset.names.index(name)].check(value)
    if len(out) == len(pset):
        raise ArgumentError("fixes every parameter: nothing is left to fit", argument="fixed")
    return out


def check_priors(pset: ParamSet, priors: object, fixed: Mapping[str, float]) -> dict[str, Prior]:
    """The priors of a MAP fit by parameter name, each checked against its parameter."""
    if priors is None:
        return {}
    if not isinstance(priors, Mapping):
        raise ArgumentError(
            f"must map parameter names to Prior objects, got {type(priors).__name__}",
            argument="priors",
        )
    out: dict[str, Prior] = {}
    for name, prior in priors.items():
        if name not in pset.names:
            raise ArgumentError(
                f"{name!r} is not a parameter ({', '.join(pset.names)})", argument="priors"
            )
        if not isinstance(prior, Prior):
            raise ArgumentError(
                f"the prior of {name} must be a relmark.clv.Prior, got {type(prior).__name__}",
                argument="priors",
            )
        param: Param = pset.params[pset.names.index(name)]
        if not prior.supports(param):
            raise ArgumentError(
                f"a {prior.distribution} prior does not fit {name}'s domain "
                f"({param.lower:g}, {param.upper:g})",
                argument="priors",
            )
        if name in fixed:
            raise ArgumentError(f"{name} is fixed: it cannot also have a prior", argument="priors")
        out[name] = prior
    return out


MAX_LOG_SE = 10.0
"""The largest standard error of a parameter's logarithm in an identified fit (the covariate
models' rule, :data:`relmark.clv.covariates.static._MAX_LOG_SE`): beyond it the 95% interval
spans more than a factor of :math:`e^{19.6} \\approx 3 \\times 10^8` either way, and the data
do not bound the parameter (BG/NBD fitted on two customers: ``a, b`` ran off to ~1e10)."""


def _unbounded_cov(result: FitResult, *, quiet: bool) -> FitResult:
    """``result``, or the same estimates with a NaN covariance (and a ConvergenceWarning
    unless ``quiet``) when a parameter unbounded above has a standard error of its logarithm
    above :data:`MAX_LOG_SE`: the estimates ran off along a ridge the likelihood is flat on,
    and the optimiser stopped where the gradient vanished. Handled as a Hessian that is not
    positive definite: the estimates are reported, standard errors are not."""
    cov = result.cov_unconstrained
    if not np.all(np.isfinite(cov)):
        return result
    names = result.param_set.names
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    loose = [
        i for i, prm in enumerate(result.param_set.params) if not prm.bounded and se[i] > MAX_LOG_SE
    ]
    if not loose:
        return result
    if not quiet:
        worst = max(loose, key=lambda i: se[i])
        warnings.warn(
            f"{result.model}: the data do not bound {', '.join(names[i] for i in loose)} "
            f"(standard error {se[worst]:.3g} of log {names[worst]}: the likelihood is flat "
            "towards the boundary, e.g. too few customers); the parameters are not identified "
            "by these data and standard errors are NaN",
            ConvergenceWarning,
            stacklevel=5,  # the caller of CLVModel.fit
        )
    return dataclasses.replace(result, cov_unconstrained=np.full_like(cov, np.nan))


def fit_restricted(
    *,
    model: str,
    pset: ParamSet,
    lik: Likelihood,
    data: tuple[FloatArray, ...],
    weights: FloatArray,
    start: FloatArray,
    priors: Mapping[str, Prior],
    fixed: Mapping[str, float],
    quiet: bool = False,
    progress: Progress | None = None,
) -> FitResult:
    """:func:`fit_mle` with priors on some parameters and others held fixed: the free
    parameters are fitted, and the result is stated in all of them (the fixed ones with zero
    variance), with the priors and fixed values recorded in ``extra``."""
    index = {n: i for i, n in enumerate(pset.names)}
    free = [i for i, n in enumerate(pset.names) if n not in fixed]
    sub = pset if not fixed else ParamSet(tuple(pset.params[i] for i in free))
    sub_lik = (
        lik if not fixed else restrict(lik, len(pset), {index[n]: v for n, v in fixed.items()})
    )
    at = {sub.names.index(n): p for n, p in priors.items()}
    for n, p in priors.items():  # else the optimiser blamed "the log-likelihood" at the start
        x0 = float(np.asarray(start, dtype=np.float64)[index[n]])
        if not np.isfinite(p.log_density(x0)):
            raise ArgumentError(
                f"the {p.distribution}({p.first:g}, {p.second:g}) prior of {n} has no finite "
                f"log density at the start value {x0:g}: its hyperparameters put no mass "
                "near plausible values",
                argument="priors",
            )

    log_prior: LogPrior | None = None
    if at:

        def log_prior(theta: FloatArray) -> tuple[float, FloatArray]:
            grad = np.zeros(theta.shape[0])
            total = 0.0
            for i, prior in at.items():
                v, g = prior.log_density_and_grad(float(theta[i]))
                total += v
                grad[i] = g
            return total, grad

    extra: dict[str, Any] = {}
    if priors:
        extra["estimator"] = "MAP"
        extra["priors"] = {n: p.to_dict() for n, p in priors.items()}
    if fixed:
        extra["fixed"] = dict(fixed)
    result = fit_mle(
        model=model,
        pset=sub,
        lik=sub_lik,
        data=data,
        weights=weights,
        start=np.asarray(start, dtype=np.float64)[free],
        extra=extra,
        quiet=quiet,
        log_prior=log_prior,
        stacklevel=4,  # the caller of CLVModel.fit
        progress=progress,
    )
    if not np.all(np.isfinite(result.params_array)):
        # (else the model's constructor blamed a parameter, "r=nan is outside its domain")
        bad = [n for n, v in zip(sub.names, result.params_array, strict=True) if not np.isfinite(v)]
        raise ConvergenceError(
            f"{model}: the fit ran off to non-finite estimates of {', '.join(bad)}: the data "
            "are beyond the model's numerical range (e.g. a frequency near 1e300)"
        )
    result = _unbounded_cov(result, quiet=quiet)
    if not fixed:
        return result
    k = len(pset)
    theta = np.empty(k)
    theta[free] = result.params_array
    for n, v in fixed.items():
        theta[index[n]] = v
    cov = np.zeros((k, k))
    cov[np.ix_(free, free)] = result.cov_unconstrained
    return FitResult(
        model=model,
        param_set=pset,
        params_array=theta,
        cov_unconstrained=cov,
        jacobian=pset.jacobian(pset.to_unconstrained(theta)),
        log_likelihood=result.log_likelihood,
        nobs=result.nobs,
        n_unique=result.n_unique,
        converged=result.converged,
        grad_norm=result.grad_norm,
        log_likelihood_change=result.log_likelihood_change,
        n_iter=result.n_iter,
        n_fev=result.n_fev,
        message=result.message,
        extra=result.extra,
    )
