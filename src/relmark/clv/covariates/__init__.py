"""Covariate models: customer characteristics that shift the parameters of the CLV models.

- Static (time-invariant) covariates for BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma:
  :mod:`relmark.clv.covariates.static`.
- Reading and validating covariates, coefficient labels and tables: ``_design`` (private,
  shared by every covariate model).
"""

from __future__ import annotations

__all__: list[str] = []
