"""Decisions built on relmark's models: the IDIC "customise" step and beyond.

Churn and cohorts, customer profitability and cost to serve, attribution across partners and
touchpoints. Each module is plain functions over arrays or frames, with results a service can
store as JSON.
"""

from __future__ import annotations

from relmark.decide.attribution import (
    AttributionComparison,
    ShapleyAttribution,
    compare_attribution,
    shapley_attribution,
)

__all__: list[str] = [
    "AttributionComparison",
    "ShapleyAttribution",
    "compare_attribution",
    "shapley_attribution",
]
