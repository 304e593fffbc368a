r"""Reading and validating covariates, their names, and the table of coefficients.

Shared by the static covariate models (:mod:`relmark.clv.covariates.static`) and the
time-varying ones (:mod:`relmark.clv.covariates.timevarying`). Everything here is a plain
function of arrays and names; nothing is fitted.

What the functions guarantee
----------------------------
:func:`check_names`
    A list of covariate names: text, non-empty, no repeats (``ArgumentError`` naming the
    argument otherwise).
:func:`read_covariates`
    The named columns of a pandas or polars DataFrame, a mapping of columns or a 2-d array
    (whose columns are the names, in order) as one ``(n, k)`` float64 matrix. **Rule for
    non-numeric columns: refused, never expanded.** Boolean, categorical, text, date and object
    columns raise :class:`~relmark.errors.DataError` naming the column and saying how to encode
    it (``pandas.get_dummies(..., drop_first=True, dtype=float)`` for a category, ``0/1`` floats
    for a flag); NaN and infinities raise a ``DataError`` naming the column and the first
    offending rows (customer ids when the data have them).
:func:`check_design`
    A design that identifies its effects: every column varies (a constant column is confounded
    with the model's own scale parameter, which acts as the intercept) and no column is a linear
    combination of the others and the intercept (the Hessian would be singular). Raises a
    ``DataError`` naming the column, and for collinearity the columns it depends on.
:func:`coefficient_labels`
    ``"purchase:age"``-style labels: the process and the covariate name.
:func:`coefficient_table`
    Estimates, standard errors, Wald intervals of coverage ``level``, z statistics and
    two-sided p-values as a pandas DataFrame indexed by label.
:func:`names_from_json`
    Covariate names read back from JSON (``SchemaError`` naming the key otherwise).

Examples
--------
>>> import pandas as pd
>>> from relmark.clv.covariates._design import read_covariates, coefficient_labels
>>> frame = pd.DataFrame({"age": [31.0, 45.0, 27.0], "web": [1.0, 0.0, 1.0]})
>>> read_covariates(frame, ["web", "age"]).tolist()
[[1.0, 31.0], [0.0, 45.0], [1.0, 27.0]]
>>> coefficient_labels("purchase", ["web", "age"])
('purchase:web', 'purchase:age')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from relmark._validation import FloatArray, as_numbers, check_level
from relmark.errors import ArgumentError, DataError, SchemaError

__all__ = [
    "check_design",
    "check_names",
    "coefficient_labels",
    "coefficient_table",
    "format_table",
    "names_from_json",
    "read_covariates",
]

_ENCODE_CATEGORY = (
    "covariates must be real numbers; encode a category as 0/1 indicator columns first, "
    "e.g. pandas.get_dummies(frame[column], prefix=column, drop_first=True, dtype=float)"
)
_ENCODE_FLAG = (
    "covariates must be real numbers; a boolean flag is not converted silently: use "
    "frame[column].astype(float) (1.0 for True)"
)


def check_names(names: object, argument: str) -> tuple[str, ...]:
    """Covariate names as a tuple of distinct, non-empty strings.

    Parameters
    ----------
    names
        A list or tuple of column names (``None`` or an empty list: no covariates).
    argument
        The argument's name, for the error message.

    Returns
    -------
    tuple of str
        The names, in the given order (empty for ``None``).

    Raises
    ------
    ArgumentError
        For a single string (not a list), a name that is not text or empty, or a repeated name.

    Examples
    --------
    >>> check_names(["age", "web"], "purchase_covariates")
    ('age', 'web')
    """
    if names is None:
        return ()
    if isinstance(names, str | bytes):
        raise ArgumentError(
            f"must be a list of column names, got the text {names!r} (write [{names!r}])",
            argument=argument,
        )
    if not isinstance(names, Sequence | np.ndarray):
        raise ArgumentError(
            f"must be a list of column names, got {type(names).__name__}", argument=argument
        )
    out: list[str] = []
    for name in list(names):
        if not isinstance(name, str) or not name.strip():
            raise ArgumentError(
                f"covariate names must be non-empty text, got {name!r}", argument=argument
            )
        if ":" in name:
            raise ArgumentError(
                f"covariate name {name!r} contains ':', which separates process and name in "
                "coefficient labels",
                argument=argument,
            )
        if name in out:
            raise ArgumentError(f"covariate {name!r} is listed twice", argument=argument)
        out.append(name)
    return tuple(out)


def _column(source: object, name: str) -> object:
    """Column ``name`` of a DataFrame, mapping or attribute container (None if absent)."""
    if isinstance(source, Mapping):
        return source.get(name)
    columns = getattr(source, "columns", None)
    if columns is not None and hasattr(source, "__getitem__"):
        return source[name] if name in list(columns) else None
    return getattr(source, name, None)


def _refuse_kind(values: object, name: str) -> None:
    """Refuse boolean, categorical, text and date columns by their declared dtype (before any
    conversion: a pandas Categorical of integer codes would otherwise pass as numbers)."""
    dtype = getattr(values, "dtype", None)
    text = str(dtype).lower() if dtype is not None else ""
    if text.startswith(("bool", "boolean")):
        raise DataError(f"a boolean column: {_ENCODE_FLAG}", column=name)
    if text.startswith(("category", "categorical", "enum", "string", "str", "utf8", "object")):
        if text.startswith("object"):
            return  # decided on the values below (numbers in an object column are fine)
        raise DataError(f"a {text} column: {_ENCODE_CATEGORY}", column=name)
    if text.startswith(("datetime", "date", "timedelta", "duration", "time")):
        raise DataError(f"a {text} column, not real numbers", column=name)


def read_covariates(
    source: object,
    names: Sequence[str],
    *,
    labels: Sequence[object] | None = None,
    n_rows: int | None = None,
) -> FloatArray:
    """The named covariate columns as one ``(n, k)`` float64 matrix.

    Parameters
    ----------
    source
        A pandas or polars DataFrame, a mapping of column name to array, an object with the
        columns as attributes, or a 2-d array whose ``k`` columns are ``names`` in order.
    names
        The covariates to read (checked by :func:`check_names`).
    labels
        Customer ids, to name offending rows (positions otherwise).
    n_rows
        The number of customers the covariates must describe (one row each), if known.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(names))``, finite float64 values.

    Raises
    ------
    DataError
        For a missing column, a boolean, categorical, text or date column (refused, with how
        to encode it), NaN or infinite values (naming the rows), a column that is not 1-d, or
        a row count other than ``n_rows``.

    Examples
    --------
    >>> import numpy as np
    >>> read_covariates(np.array([[1.0, 2.0], [3.0, 5.0]]), ["a", "b"])[:, 1].tolist()
    [2.0, 5.0]
    """
    k = len(names)
    if isinstance(source, np.ndarray) or (
        isinstance(source, list) and source and isinstance(source[0], list | tuple)
    ):
        arr = as_numbers(source, "covariates")
        if arr.ndim != 2 or arr.shape[1] != k:
            raise DataError(
                f"a covariate array must be 2-d with one column per name ({k}: "
                f"{', '.join(names)}), got shape {arr.shape}",
                column="covariates",
            )
        cols = [arr[:, j] for j in range(k)]
    else:
        cols = []
        for name in names:
            values = _column(source, name)
            if values is None:
                raise DataError("the covariate column is missing from the data", column=name)
            _refuse_kind(values, name)
            to_numpy = getattr(values, "to_numpy", None)
            raw = to_numpy() if callable(to_numpy) else values
            if isinstance(raw, np.ndarray) and raw.dtype == object:
                if any(isinstance(v, str | bytes) for v in raw.flat):
                    raise DataError(f"a text column: {_ENCODE_CATEGORY}", column=name)
                if any(isinstance(v, bool | np.bool_) for v in raw.flat):
                    raise DataError(f"a boolean column: {_ENCODE_FLAG}", column=name)
                if any(v is None for v in raw.flat):
                    missing = np.array([v is None for v in raw.flat])
                    raise DataError(
                        "missing values (None)",
                        column=name,
                        rows=_rows(missing, labels),
                        count=int(missing.sum()),
                    )
            col = as_numbers(raw, name)  # type: ignore[arg-type]
            if col.ndim != 1:
                raise DataError(f"expected a 1-d column, got shape {col.shape}", column=name)
            cols.append(col)
    n = cols[0].shape[0] if cols else (n_rows or 0)
    for name, col in zip(names, cols, strict=True):
        if col.shape[0] != n:
            raise DataError(f"has {col.shape[0]} values, the others {n}", column=name)
        bad = ~np.isfinite(col)
        if bad.any():
            raise DataError(
                "missing (NaN) or infinite covariate values",
                column=name,
                rows=_rows(bad, labels),
                count=int(bad.sum()),
            )
    if n_rows is not None and n != n_rows:
        raise DataError(
            f"the covariates have {n} rows for {n_rows} customers",
            column=names[0] if names else "covariates",
        )
    out = np.empty((n, k), dtype=np.float64)
    for j, col in enumerate(cols):
        out[:, j] = col
    return out


def _rows(
    mask: np.ndarray[Any, np.dtype[np.bool_]], labels: Sequence[object] | None
) -> list[object]:
    """The first ten offending rows: customer ids, or positions without them."""
    positions: list[int] = np.flatnonzero(mask)[:10].tolist()
    return list(positions) if labels is None else [labels[i] for i in positions]


_RELATIVE_SPREAD = 1e-8
"""Smallest standard deviation of a covariate relative to its mean (below it, half of the
digits of a float are lost separating the effect from the intercept)."""


_MAGNITUDES = (1e-100, 1e100)
"""The largest absolute value of a covariate must lie in this range: beyond it the squared
covariates of the Hessian (and the inverse-sized coefficient) leave double precision."""


def check_design(matrix: FloatArray, names: Sequence[str], *, process: str) -> None:
    """Refuse a design that does not identify its effects.

    Column :math:`j` is refused when it is constant (its spread at most :math:`10^{-12}` of
    its largest magnitude: scale-free), when its largest magnitude is outside
    :data:`_MAGNITUDES` (1e-100 to 1e100: rescale it), when its standard deviation is below
    :math:`10^{-8}` of its mean's magnitude (centre it first), or when its variance left after
    regressing it on the intercept and the columns before it is below :math:`10^{-10}` of its own
    variance (:math:`R^2 > 1 - 10^{-10}`): then the effects are not identified and the
    Hessian of the log-likelihood is singular.

    Parameters
    ----------
    matrix
        The ``(n, k)`` covariates of one process.
    names
        Their names.
    process
        The process they act on (``"purchase"``, ``"dropout"``, ``"spend"``), for the message.

    Raises
    ------
    DataError
        Naming the constant column, or the collinear column and those it depends on.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.5]])
    >>> check_design(z, ["a", "b"], process="purchase")
    """
    n, k = matrix.shape
    if k == 0:
        return
    mean = matrix.mean(axis=0)
    centred = matrix - mean
    magnitude = np.max(np.abs(matrix), axis=0)
    # the norm of each centred column in units of its magnitude (squares of 1e-300 underflow)
    unit_of = np.where(magnitude > 0, magnitude, 1.0)
    scaled = centred / unit_of
    scale = unit_of * np.sqrt(np.einsum("ij,ij->j", scaled, scaled))
    for j, name in enumerate(names):
        # scale-free: a spread relative to the column's own magnitude (a column 1e-300 * k
        # varies; it was called constant against an absolute floor of 1e-12)
        if not scale[j] > 1e-12 * float(magnitude[j]) * math.sqrt(max(n, 1)):
            raise DataError(
                f"the {process} covariate is constant (value {float(matrix[0, j]):g} for every "
                "customer): its effect is confounded with the model's scale parameter",
                column=name,
            )
        size = float(magnitude[j])
        if not _MAGNITUDES[0] <= size <= _MAGNITUDES[1]:
            raise DataError(
                f"the {process} covariate's values are at most {size:.3g} in magnitude, "
                f"outside the {_MAGNITUDES[0]:g} to {_MAGNITUDES[1]:g} a fit computes: its "
                "coefficient would be of the inverse size, and the Hessian's squared "
                "covariates under- or overflow; rescale it (e.g. standardise it) first",
                column=name,
            )
        spread = float(scale[j]) / math.sqrt(max(n, 1))
        if spread < _RELATIVE_SPREAD * abs(float(mean[j])):
            raise DataError(
                f"the {process} covariate varies by {spread:.3g} around {float(mean[j]):.6g}: "
                "too little relative variation to separate its effect from the scale "
                "parameter in floating point; centre it (subtract its mean) first",
                column=name,
            )
    unit = centred / scale
    corr = unit.T @ unit
    for j in range(1, k):
        sub = corr[:j, :j]
        rhs = corr[:j, j]
        coef, *_ = np.linalg.lstsq(sub, rhs, rcond=None)
        residual = 1.0 - float(rhs @ coef)
        if residual < 1e-10:
            parts = [names[i] for i in range(j) if abs(coef[i]) > 1e-8]
            raise DataError(
                f"the {process} covariate is a linear combination of the intercept and "
                f"{', '.join(repr(p) for p in parts)} (collinear design: the effects are not "
                "identified and the Hessian is singular); drop one of them",
                column=names[j],
            )


def coefficient_labels(process: str, names: Sequence[str]) -> tuple[str, ...]:
    """Labels ``"<process>:<name>"`` of the coefficients of one process.

    Parameters
    ----------
    process
        ``"purchase"``, ``"dropout"``, ``"dropout_a"``, ``"both"``, ``"spend"``, ...
    names
        The covariate names.

    Returns
    -------
    tuple of str
        One label per name.
    """
    return tuple(f"{process}:{name}" for name in names)


def coefficient_table(
    labels: Sequence[str],
    estimates: FloatArray,
    std_errors: FloatArray,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimates with Wald intervals, z statistics and two-sided p-values.

    .. math:: \\hat\\gamma \\pm z_{(1+\\text{level})/2}\\,\\mathrm{se}(\\hat\\gamma), \\qquad
        z = \\hat\\gamma/\\mathrm{se}, \\qquad p = 2\\,(1 - \\Phi(|z|)).

    Parameters
    ----------
    labels
        Row labels (e.g. ``"purchase:age"``).
    estimates
        The estimates, shape ``(k,)``.
    std_errors
        Their standard errors, shape ``(k,)`` (NaN when the Hessian was not positive definite).
    level
        Coverage of the intervals, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, std_error, lower, upper, z, p_value``, indexed by label.

    Raises
    ------
    ArgumentError
        For a level outside (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> t = coefficient_table(["purchase:age"], np.array([0.5]), np.array([0.25]))
    >>> [round(float(v), 4) for v in t.loc["purchase:age", ["lower", "upper", "z"]]]
    [0.01, 0.99, 2.0]
    """
    coverage = check_level(level, "level")
    q = float(norm.ppf(0.5 + coverage / 2.0))
    est = np.asarray(estimates, dtype=np.float64)
    se = np.asarray(std_errors, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / np.where(se > 0, se, 1.0), np.nan)
    p = 2.0 * norm.sf(np.abs(z))
    return pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "lower": est - q * se,
            "upper": est + q * se,
            "z": z,
            "p_value": p,
        },
        index=pd.Index(list(labels), name="coefficient"),
    )


def format_table(table: pd.DataFrame, *, level: float = 0.95) -> str:
    """A fixed-width text rendering of a :func:`coefficient_table` (or a parameter table with
    the same columns).

    Parameters
    ----------
    table
        The table.
    level
        The coverage its intervals were built with (for the header).

    Returns
    -------
    str
        One line per row.
    """
    width = max([12, *(len(str(i)) + 2 for i in table.index)])
    label = f"[{100 * level:g}%"
    lines = [
        f"  {'':<{width}}{'estimate':>11}{'std err':>11}{label:>11}{'interval]':>11}"
        f"{'z':>8}{'p':>8}"
    ]
    for name, row in table.iterrows():
        z = row["z"]
        zt = f"{z:>8.2f}" if np.isfinite(z) else f"{'':>8}"
        pt = f"{row['p_value']:>8.3f}" if np.isfinite(row["p_value"]) else f"{'':>8}"
        lines.append(
            f"  {name!s:<{width}}{row['estimate']:>11.4f}{row['std_error']:>11.4f}"
            f"{row['lower']:>11.4f}{row['upper']:>11.4f}{zt}{pt}"
        )
    return "\n".join(lines)


def names_from_json(value: object, key: str) -> tuple[str, ...]:
    """Covariate names read from JSON: a list of distinct non-empty strings.

    Parameters
    ----------
    value
        The JSON value.
    key
        Its dotted key, for the error message.

    Returns
    -------
    tuple of str
        The names.

    Raises
    ------
    SchemaError
        For anything else (naming ``key``).
    """
    if not isinstance(value, list):
        raise SchemaError(f"must be a list of covariate names, got {value!r}", key=key)
    try:
        return check_names(value, key)
    except ArgumentError as exc:
        raise SchemaError(str(exc), key=key) from None
