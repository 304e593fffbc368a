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

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from relmark._validation import check_number
from relmark.errors import ArgumentError
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
    """Cut points: ``customers >= many`` is "many", ``< few`` is "few"; margins likewise.

    ``overrides`` replaces cells of Kotler's matrix: ``(size, margin) -> level`` with size in
    many/medium/few, margin in low/medium/high and a level of :data:`KOTLER_LEVELS`.

    Raises
    ------
    ArgumentError
        Naming the field: a cut that is not a finite number (customers >= 0),
        ``few_customers >= many_customers``, ``low_margin >= high_margin``, or an override
        with an unknown cell or level.
    """

    many_customers: float = 10_000
    few_customers: float = 100
    high_margin: float = 0.40
    low_margin: float = 0.10
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        many = check_number(self.many_customers, "many_customers", low=0.0)
        few = check_number(self.few_customers, "few_customers", low=0.0)
        high = check_number(self.high_margin, "high_margin")
        low = check_number(self.low_margin, "low_margin")
        if few >= many:
            raise ArgumentError(
                f"must be below many_customers ({many:g}), got {few:g}", argument="few_customers"
            )
        if low >= high:
            raise ArgumentError(
                f"must be below high_margin ({high:g}), got {low:g}", argument="low_margin"
            )
        if not isinstance(self.overrides, Mapping):
            raise ArgumentError("must map (size, margin) cells to levels", argument="overrides")
        # a read-only copy: editing the caller's dict later must not bypass these checks
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        for cell, level in self.overrides.items():
            if cell not in KOTLER_MATRIX:
                raise ArgumentError(
                    f"{cell!r} is not a cell of Kotler's matrix: (size, margin) with size in "
                    "many/medium/few and margin in low/medium/high",
                    argument="overrides",
                )
            if level not in _LEVELS:
                raise ArgumentError(
                    f"override {cell} names {level!r}, not one of {', '.join(_LEVELS)}",
                    argument="overrides",
                )


def relationship_level(
    n_customers: float, unit_margin: float, thresholds: KotlerThresholds | None = None
) -> str:
    """Kotler's recommended level for a segment.

    Parameters
    ----------
    n_customers
        Customers in the segment, a whole number >= 0.
    unit_margin
        Margin per unit, a finite number (a share of the price, e.g. 0.25).
    thresholds
        The cut points and overrides.

    Returns
    -------
    str
        One of :data:`KOTLER_LEVELS`.

    Raises
    ------
    ArgumentError
        Naming the argument: NaN, infinite, text or booleans, a negative or fractional number
        of customers, ``thresholds`` not a :class:`KotlerThresholds`.

    Examples
    --------
    >>> relationship_level(50_000, 0.05)
    'basic'
    >>> relationship_level(40, 0.6)
    'partnership'
    """
    if thresholds is not None and not isinstance(thresholds, KotlerThresholds):
        raise ArgumentError(
            f"must be a KotlerThresholds, got {type(thresholds).__name__}", argument="thresholds"
        )
    th = thresholds or KotlerThresholds()
    n_customers = check_number(n_customers, "n_customers", low=0.0, whole=True)
    unit_margin = check_number(unit_margin, "unit_margin")
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
    return th.overrides.get((size, margin), KOTLER_MATRIX[(size, margin)])
