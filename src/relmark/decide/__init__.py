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
from relmark.decide.churn import (
    ChurnThresholds,
    choose_churn_threshold,
    churn_by_inactivity,
    churn_by_p_alive,
    churn_threshold_from_holdout,
    holdout_churned,
    next_purchase_probability,
    next_purchase_time,
)
from relmark.decide.cohorts import CohortTable, cohort_table

__all__: list[str] = [
    "AttributionComparison",
    "ChurnThresholds",
    "CohortTable",
    "ShapleyAttribution",
    "choose_churn_threshold",
    "churn_by_inactivity",
    "churn_by_p_alive",
    "churn_threshold_from_holdout",
    "cohort_table",
    "compare_attribution",
    "holdout_churned",
    "next_purchase_probability",
    "next_purchase_time",
    "shapley_attribution",
]
