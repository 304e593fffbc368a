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
from pydantic import BaseModel, ConfigDict, Field

from relmark._validation import as_numbers
from relmark.errors import DataError

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
    """``metric op value``, e.g. ``p_alive >= 0.7``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float


class Rule(BaseModel):
    """Assign ``stage`` when every condition holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    stage: str
    conditions: tuple[Condition, ...] = Field(default=())


def assign_stages(
    rules: list[Rule] | tuple[Rule, ...],
    metrics: Mapping[str, npt.ArrayLike],
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

    Examples
    --------
    >>> rules = [Rule(name="loyal", stage="loyalty",
    ...               conditions=(Condition(metric="purchases", op=">=", value=5),)),
    ...          Rule(name="new", stage="attract")]
    >>> assign_stages(rules, {"purchases": [7, 1]})
    (['loyalty', 'attract'], ['loyal', 'new'])
    """
    needed = sorted({c.metric for r in rules for c in r.conditions})
    missing = [m for m in needed if m not in metrics]
    if missing:
        raise DataError(f"the rules need metric(s) {', '.join(missing)}", column=missing[0])
    cols = {m: as_numbers(metrics[m], m) for m in needed}
    for m, col in cols.items():
        if col.ndim != 1:
            raise DataError("a metric is one value per customer (a 1-d array)", column=m)
    sizes = {c.shape[0] for c in cols.values()}
    if len(sizes) > 1:
        raise DataError("metric columns differ in length")
    n = sizes.pop() if sizes else len(next(iter(metrics.values()), []))  # type: ignore[arg-type]
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
