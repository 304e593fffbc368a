r"""Purchase models compared on a calibration/holdout split, in one table.

For each customer :math:`i` with calibration history :math:`(x_i, t_{x,i}, T_i)`, holdout
repeat purchases :math:`y_i` over the holdout duration :math:`t_i`, and a model's conditional
expectation :math:`\hat y_i = E[Y(t_i) \mid x_i, t_{x,i}, T_i]`:

.. math::

    \text{MAE} = \frac1n \sum_i |\hat y_i - y_i|, \quad
    \text{RMSE} = \Bigl(\frac1n \sum_i (\hat y_i - y_i)^2\Bigr)^{1/2}, \quad
    \text{aggregate error} = \frac{\sum_i \hat y_i - \sum_i y_i}{\sum_i y_i},

and the log score, the mean log predictive probability of what happened,
:math:`\frac1n \sum_i \log P(Y(t_i) = y_i \mid x_i, t_{x,i}, T_i)` (a proper scoring rule:
Gneiting & Raftery 2007; higher is better), for models with a conditional P(n purchases).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relmark._validation import FloatArray, as_numbers, is_json_number
from relmark.clv._base import _column as read_column
from relmark.clv._base import refuse_first_purchase
from relmark.errors import ArgumentError, DataError, SchemaError

__all__ = ["ModelComparison", "compare_models"]

_COLUMNS = (
    "model",
    "mae",
    "rmse",
    "predicted_total",
    "actual_total",
    "aggregate_error",
    "log_score",
    "aic",
)


@dataclass(frozen=True)
class ModelComparison:
    """Holdout accuracy of several purchase models (see :func:`compare_models`).

    Attributes
    ----------
    rows
        One dict per model with the keys ``model`` (its name in the call), ``mae``,
        ``rmse``, ``predicted_total``, ``actual_total``, ``aggregate_error`` (relative),
        ``log_score`` (``None`` for a model without a conditional P(n purchases)) and ``aic``
        (of the calibration fit; ``None`` for a model built from values).
    customers
        The number of customers compared.

    Examples
    --------
    >>> from relmark.clv import ModelComparison
    >>> row = {"model": "a", "mae": 0.5, "rmse": 0.7, "predicted_total": 10.0,
    ...        "actual_total": 11.0, "aggregate_error": -1 / 11, "log_score": -1.2, "aic": None}
    >>> table = ModelComparison(rows=(row,), customers=20)
    >>> ModelComparison.from_json(table.to_json()) == table
    True
    """

    rows: tuple[dict[str, Any], ...]
    customers: int

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame indexed by model name.

        Returns
        -------
        pandas.DataFrame
            Columns ``mae``, ``rmse``, ``predicted_total``, ``actual_total``,
            ``aggregate_error``, ``log_score`` and ``aic`` (``None`` kept as missing).
        """
        return pd.DataFrame(list(self.rows), columns=list(_COLUMNS)).set_index("model")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Returns
        -------
        dict
            ``schema``, ``customers`` and ``rows``; :meth:`from_dict` restores an equal
            table.
        """
        return {
            "schema": "relmark.clv.comparison",
            "customers": self.customers,
            "rows": [dict(r) for r in self.rows],
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`.

        Returns
        -------
        str
            JSON.
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelComparison:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A saved comparison.

        Returns
        -------
        ModelComparison
            An equal table.

        Raises
        ------
        SchemaError
            For a missing or ill-typed key (naming it).
        """
        if not isinstance(d, Mapping):
            raise SchemaError(f"expected a JSON object, got {type(d).__name__}")
        for key in sorted(set(d) - {"schema", "customers", "rows"}):
            raise SchemaError("is not a key of a saved comparison", key=str(key))
        if d.get("schema") != "relmark.clv.comparison":
            raise SchemaError("must be 'relmark.clv.comparison'", key="schema")
        n = d.get("customers")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_COUNT:
            raise SchemaError("must be a whole number in 1..2^53 - 1", key="customers")
        rows = d.get("rows")
        if not isinstance(rows, list) or not rows:
            raise SchemaError("must be a list of rows", key="rows")
        out: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping) or set(row) != set(_COLUMNS):
                raise SchemaError(f"must have the keys {', '.join(_COLUMNS)}", key=f"rows.{i}")
            if not isinstance(row["model"], str):
                raise SchemaError("must be text", key=f"rows.{i}.model")
            for key in _COLUMNS[1:]:
                v = row[key]
                optional = key in ("log_score", "aic")
                if v is None and optional:
                    continue
                if not is_json_number(v):
                    raise SchemaError(f"must be a finite number, got {v!r}", key=f"rows.{i}.{key}")
                negative = key in ("mae", "rmse", "predicted_total", "actual_total") and v < 0
                # a mean log probability is <= 0 (up to rounding of probabilities near 1)
                if negative or (key == "log_score" and v > 1e-9):
                    raise SchemaError(f"is out of range: {v!r}", key=f"rows.{i}.{key}")
            if row["rmse"] < row["mae"] * (1 - 1e-12):  # the RMSE is at least the MAE
                raise SchemaError("is smaller than the MAE: edited", key=f"rows.{i}.rmse")
            if any(r["model"] == row["model"] for r in out):
                raise SchemaError("names a model twice", key=f"rows.{i}.model")
            if out and row["actual_total"] != out[0]["actual_total"]:
                raise SchemaError(
                    "differs between rows of one comparison", key=f"rows.{i}.actual_total"
                )
            out.append(dict(row))
        return cls(rows=tuple(out), customers=n)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelComparison:
        """Load a comparison saved by :meth:`to_json`.

        Parameters
        ----------
        text
            The JSON text.

        Returns
        -------
        ModelComparison
            An equal table.

        Raises
        ------
        SchemaError
            For text that is not a saved comparison (naming the key).
        """
        from relmark.clv._base import read_json

        return cls.from_dict(read_json(text))


def _column(summary: object, name: str) -> FloatArray | None:
    """A column of the summary (read as every model reads its data), as float64; as_numbers
    refuses text and booleans, which numpy converted ("1" to 1.0, True to 1.0)."""
    value = read_column(summary, name)
    if value is None:
        return None
    if isinstance(value, pd.DataFrame):  # a pandas frame with two columns of this name
        raise DataError("the column appears twice in the summary", column=name)
    to_numpy = getattr(value, "to_numpy", None)  # a pandas or polars column
    return as_numbers(to_numpy() if callable(to_numpy) else value, name)  # type: ignore[arg-type]


_MAX_COUNT = 2**53 - 1
"""The largest holdout count (a whole number a float holds exactly)."""


def _rms(err: FloatArray) -> float:
    """The root mean square of ``err``, scaled by its largest value first: ``err**2``
    overflows for errors beyond 1e154, the root mean square does not."""
    top = float(np.max(np.abs(err)))
    if top == 0.0:
        return 0.0
    return top * float(np.sqrt(np.mean(np.square(err / top))))


def compare_models(models: Mapping[str, Any], summary: object) -> ModelComparison:
    """Compare purchase models on the holdout period of a calibration/holdout summary.

    Every model predicts each customer's holdout repeat purchases from their calibration
    history (see the module's formulas for MAE, RMSE, the aggregate error and the log score);
    all models in one call, on the same customers.

    Parameters
    ----------
    models
        Purchase models by display name (fitted on the calibration period, or built from
        values), each in the summary's time unit.
    summary
        A calibration/holdout summary (:func:`relmark.data.calibration_holdout`), or a
        pandas or polars DataFrame / mapping with ``frequency``, ``recency``, ``T``,
        ``frequency_holdout`` and ``duration_holdout``.

    Returns
    -------
    ModelComparison
        One row per model, in the order given; ``to_frame()`` and ``to_json()``.

    Raises
    ------
    ArgumentError
        For ``models`` that is not a non-empty mapping of purchase models (naming
        ``models``).
    DataError
        For a summary without the holdout columns, or holdout counts that are not whole
        numbers >= 0 (naming the column).

    References
    ----------
    Gneiting, T. & Raftery, A. E. (2007), "Strictly proper scoring rules, prediction, and
    estimation", *JASA* 102(477), 359-378.

    Examples
    --------
    >>> from relmark.clv import BGNBD, ParetoNBD, compare_models
    >>> holdout = {"frequency": [0, 2, 5], "recency": [0, 20.0, 35.0], "T": [39.0] * 3,
    ...            "frequency_holdout": [0, 1, 3], "duration_holdout": [39.0] * 3}
    >>> table = compare_models({"bgnbd": BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426),
    ...                         "pareto": ParetoNBD(r=0.553, alpha=10.578, s=0.606,
    ...                                             beta=11.669)}, holdout)
    >>> table.to_frame()[["mae", "rmse"]].round(3)
             mae   rmse
    model
    bgnbd   0.144  0.151
    pareto  0.173  0.245
    """
    refuse_first_purchase(summary)  # the models predict repeat purchases
    if not isinstance(models, Mapping) or not models:
        raise ArgumentError(
            "must be a non-empty dict of purchase models by name", argument="models"
        )
    seen: dict[str, object] = {}
    for name, model in models.items():
        if not callable(getattr(model, "conditional_expected_purchases", None)):
            raise ArgumentError(
                f"models[{name!r}] is not a purchase model (no conditional_expected_purchases)",
                argument="models",
            )
        if str(name) in seen:  # 1 and "1" are one row name in the table
            raise ArgumentError(
                f"models[{name!r}] and models[{seen[str(name)]!r}] have one display name",
                argument="models",
            )
        seen[str(name)] = name
    cols = {}
    for name in ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"):
        value = _column(summary, name)
        if value is None:
            raise DataError(
                f"needs the column {name!r} (a calibration/holdout summary: "
                "relmark.data.calibration_holdout)",
                column=name,
            )
        cols[name] = value
    y, t = cols["frequency_holdout"], cols["duration_holdout"]
    if (
        y.ndim != 1
        or not np.all(np.isfinite(y))
        or np.any(y < 0)
        or np.any(y > _MAX_COUNT)
        or np.any(y != np.floor(y))
    ):
        raise DataError("must be whole numbers in 0..2^53 - 1", column="frequency_holdout")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise DataError("must be finite numbers > 0", column="duration_holdout")
    n = cols["frequency"].reshape(-1).shape[0]
    for name in ("frequency_holdout", "duration_holdout"):
        if cols[name].ndim != 1 or cols[name].shape[0] != n:
            raise DataError(
                f"has shape {cols[name].shape}: one value per customer ({n}) expected",
                column=name,
            )
    actual_total = float(y.sum())
    rows = []
    for name, model in models.items():
        pred = np.asarray(
            model.conditional_expected_purchases(
                cols["frequency"], cols["recency"], cols["T"], t=t
            ),
            dtype=np.float64,
        )
        if pred.shape != y.shape:
            raise ArgumentError(
                f"models[{name!r}] predicted shape {pred.shape} for {y.shape[0]} customers",
                argument="models",
            )
        if not np.all(np.isfinite(pred)):
            raise ArgumentError(
                f"models[{name!r}] predicted NaN or infinite purchases", argument="models"
            )
        err = pred - y
        log_score: float | None = None
        if getattr(getattr(model, "predictions", None), "conditional_prob_purchases", None):
            p = model.conditional_prob_purchases(
                y, cols["frequency"], cols["recency"], cols["T"], t=t
            )
            with np.errstate(divide="ignore"):
                log_score = float(np.mean(np.log(np.asarray(p, dtype=np.float64))))
            if not math.isfinite(log_score):
                log_score = None  # an outcome of probability 0 (it rounded to 0): no score
        total = float(pred.sum())
        rows.append(
            {
                "model": str(name),
                "mae": float(np.mean(np.abs(err))),
                "rmse": _rms(err),
                "predicted_total": total,
                "actual_total": actual_total,
                "aggregate_error": (total - actual_total) / actual_total
                if actual_total > 0
                else total,
                "log_score": log_score,
                "aic": float(model.fit_result.aic) if getattr(model, "is_fitted", False) else None,
            }
        )
    return ModelComparison(rows=tuple(rows), customers=int(y.shape[0]))
