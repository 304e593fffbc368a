"""Rule-based stage assignment, vectorised over customers, with the rule that fired.

Rules are data (JSON-able): each names a stage and a list of conditions on metric columns
(``purchases``, ``tenure``, ``time_since_last``, ``p_alive``, ``trust``, ``referrals`` or any
column the caller provides). Rules are tried in order; the first whose conditions all hold
assigns its stage, and the result records which rule fired.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from relmark._validation import as_numbers
from relmark.errors import ArgumentError, DataError

__all__ = ["Condition", "Rule", "assign_stages"]

_OPS: Mapping[str, Callable[[npt.NDArray[np.float64], float], npt.NDArray[np.bool_]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class Condition(BaseModel):
    """``metric op value``, e.g. ``p_alive >= 0.7``; ``value`` is a finite number (NaN would
    make every comparison false, a boolean is not a threshold)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str = Field(min_length=1)
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float = Field(allow_inf_nan=False, strict=True)


class Rule(BaseModel):
    """Assign ``stage`` when every condition holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    stage: str
    conditions: tuple[Condition, ...] = Field(default=())


def assign_stages(
    rules: list[Rule] | tuple[Rule, ...],
    metrics: Mapping[str, npt.ArrayLike] | pd.DataFrame,
    *,
    default: str | None = None,
) -> tuple[list[str | None], list[str | None]]:
    """Stages and the rule that fired, per customer.

    Parameters
    ----------
    rules
        Tried in order; the first match wins.
    metrics
        Columns by name (a DataFrame works), one value per customer.
    default
        Stage of customers no rule matches (``None``: left unassigned, rule ``None``).

    Returns
    -------
    stages, rules
        Per customer, the stage assigned and the name of the rule that fired (``None`` where
        none did). A missing (NaN) metric satisfies no condition.

    Raises
    ------
    ArgumentError
        ``rules`` not a list of :class:`Rule`; ``default`` not text or None; ``metrics`` not a
        mapping of columns or without any column (no customers to assign).
    DataError
        Naming the metric: missing, text or booleans, not 1-d; columns of different lengths;
        or pandas Series whose indexes differ (their positions are other customers).

    Examples
    --------
    >>> rules = [Rule(name="loyal", stage="loyalty",
    ...               conditions=(Condition(metric="purchases", op=">=", value=5),)),
    ...          Rule(name="new", stage="attract")]
    >>> assign_stages(rules, {"purchases": [7, 1]})
    (['loyalty', 'attract'], ['loyal', 'new'])
    """
    given: object = rules
    if not isinstance(given, list | tuple):
        raise ArgumentError("must be a list of Rule objects", argument="rules")
    strangers = [i for i, r in enumerate(rules) if not isinstance(r, Rule)]
    if strangers:
        raise ArgumentError(
            f"rules[{strangers[0]}] is a {type(rules[strangers[0]]).__name__}, not a Rule "
            "(build it with Rule(...) or Rule.model_validate(...))",
            argument="rules",
        )
    if default is not None and not isinstance(default, str):
        raise ArgumentError(f"must be a stage name or None, got {default!r}", argument="default")
    table: object = metrics
    columns = getattr(table, "columns", None)  # a DataFrame
    if not isinstance(table, Mapping) and columns is None:
        raise ArgumentError(
            "must map metric names to columns (a dict or DataFrame)", argument="metrics"
        )
    if len(columns if columns is not None else metrics) == 0:
        raise ArgumentError("no metric columns: no customers to assign", argument="metrics")
    needed = sorted({c.metric for r in rules for c in r.conditions})
    missing = [m for m in needed if m not in metrics]
    if missing:
        raise DataError(f"the rules need metric(s) {', '.join(missing)}", column=missing[0])
    series: dict[str, pd.Index] = {}
    for m in needed:
        column: object = metrics[m]
        if isinstance(column, pd.Series):
            series[m] = column.index
    if not isinstance(table, pd.DataFrame) and len(series) > 1:
        first, *others = series
        for m in others:  # Series from different tables: positions would pair other customers
            if not series[m].equals(series[first]):
                raise DataError(
                    f"the index differs from {first!r}'s: align the Series (or pass one "
                    "DataFrame) so that each position is the same customer",
                    column=m,
                )
    cols = {m: as_numbers(metrics[m], m) for m in needed}
    if not cols:  # no condition reads a metric: any column tells how many customers there are
        key = next(iter(metrics))
        cols = {str(key): as_numbers(metrics[key], str(key))}  # type: ignore[index]
    names = list(cols)
    for m, col in cols.items():
        if col.ndim != 1:
            raise DataError("a metric is one value per customer (a 1-d array)", column=m)
    sizes = {m: c.shape[0] for m, c in cols.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{m} {n}" for m, n in sizes.items())
        raise DataError(f"metric columns differ in length ({listed})", column=names[-1])
    n = next(iter(sizes.values()))
    stage = np.full(n, None, dtype=object)
    fired = np.full(n, None, dtype=object)
    open_ = np.ones(n, dtype=bool)
    for rule in rules:
        hit = open_.copy()
        for c in rule.conditions:
            col = cols[c.metric]
            nan = np.isnan(col)
            hit &= ~nan & _OPS[c.op](np.where(nan, 0.0, col), c.value)
        stage[hit] = rule.stage
        fired[hit] = rule.name
        open_ &= ~hit
    if default is not None:
        stage[open_] = default
    return stage.tolist(), fired.tolist()
