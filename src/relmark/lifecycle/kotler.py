"""Kotler's choice of relationship level from the number of customers and the unit margin.

Kotler's matrix (seed 000): many customers with low margins call for a *basic* relationship
(sell, no follow-up); few customers with high margins for a *partnership*:

============  ============  ============  ============
customers     low margin    medium        high margin
============  ============  ============  ============
many          basic         reactive      accountable
medium        reactive      accountable   proactive
few           accountable   proactive     partnership
============  ============  ============  ============
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from relmark.errors import DataError
from relmark.lifecycle.stages import KOTLER_LEVELS

__all__ = ["KOTLER_MATRIX", "KotlerThresholds", "relationship_level"]

KOTLER_MATRIX: Mapping[tuple[str, str], str] = {
    ("many", "low"): "basic",
    ("many", "medium"): "reactive",
    ("many", "high"): "accountable",
    ("medium", "low"): "reactive",
    ("medium", "medium"): "accountable",
    ("medium", "high"): "proactive",
    ("few", "low"): "accountable",
    ("few", "medium"): "proactive",
    ("few", "high"): "partnership",
}
_LEVELS = KOTLER_LEVELS.stages


@dataclass(frozen=True)
class KotlerThresholds:
    """Cut points: ``customers >= many`` is "many", ``< few`` is "few"; margins likewise."""

    many_customers: float = 10_000
    few_customers: float = 100
    high_margin: float = 0.40
    low_margin: float = 0.10
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)


def relationship_level(
    n_customers: float, unit_margin: float, thresholds: KotlerThresholds | None = None
) -> str:
    """Kotler's recommended level for a segment.

    >>> relationship_level(50_000, 0.05)
    'basic'
    >>> relationship_level(40, 0.6)
    'partnership'
    """
    th = thresholds or KotlerThresholds()
    if not 0 <= n_customers < math.inf:
        raise DataError(f"must be a finite number >= 0, got {n_customers!r}", column="n_customers")
    if not -math.inf < unit_margin < math.inf:
        raise DataError(f"must be a finite number, got {unit_margin!r}", column="unit_margin")
    if th.few_customers >= th.many_customers or th.low_margin >= th.high_margin:
        raise DataError("thresholds must satisfy few < many and low < high")
    size = (
        "many"
        if n_customers >= th.many_customers
        else "few"
        if n_customers < th.few_customers
        else "medium"
    )
    margin = (
        "high"
        if unit_margin >= th.high_margin
        else "low"
        if unit_margin < th.low_margin
        else "medium"
    )
    level = th.overrides.get((size, margin), KOTLER_MATRIX[(size, margin)])
    if level not in _LEVELS:
        raise DataError(
            f"override {(size, margin)} names {level!r}, not one of {', '.join(_LEVELS)}",
            column="overrides",
        )
    return level
