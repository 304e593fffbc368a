"""Covariate models: customer characteristics that shift the parameters of the CLV models.

- Static (time-invariant) covariates for BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma:
  :mod:`relmark.clv.covariates.static` (:class:`CovariateBGNBD`, :class:`CovariateMBGNBD`,
  :class:`CovariateParetoNBD`, :class:`CovariateGammaGamma`, :func:`clv`, :func:`load_model`).
- Time-varying covariates for Pareto/NBD (Bachmann, Meierer & Näf 2021):
  :mod:`relmark.clv.covariates.timevarying` (:class:`TimeVaryingCovariates`,
  :class:`TimeVaryingParetoNBD`).
- Reading and validating covariates, coefficient labels and tables: ``_design`` (private,
  shared by every covariate model).
"""

from __future__ import annotations

from relmark.clv.covariates.static import CovariateBGNBD as CovariateBGNBD
from relmark.clv.covariates.static import CovariateFit as CovariateFit
from relmark.clv.covariates.static import CovariateGammaGamma as CovariateGammaGamma
from relmark.clv.covariates.static import CovariateMBGNBD as CovariateMBGNBD
from relmark.clv.covariates.static import CovariateParetoNBD as CovariateParetoNBD
from relmark.clv.covariates.static import clv as clv
from relmark.clv.covariates.static import load_model as load_model
from relmark.clv.covariates.timevarying import TimeVaryingCovariates as TimeVaryingCovariates
from relmark.clv.covariates.timevarying import TimeVaryingParetoNBD as TimeVaryingParetoNBD

__all__: list[str] = [
    "CovariateBGNBD",
    "CovariateFit",
    "CovariateGammaGamma",
    "CovariateMBGNBD",
    "CovariateParetoNBD",
    "TimeVaryingCovariates",
    "TimeVaryingParetoNBD",
    "clv",
    "load_model",
]
