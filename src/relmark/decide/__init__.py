"""Decisions built on relmark's models: the IDIC "customise" step and beyond.

Churn and cohorts, customer profitability and cost to serve, attribution across partners and
touchpoints. Each module is plain functions over arrays or frames, with results a service can
store as JSON.
"""

from __future__ import annotations

__all__: list[str] = []
