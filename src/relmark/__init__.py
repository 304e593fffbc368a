"""relmark: typed relationship-marketing models.

Five capabilities, one package each:

- :mod:`relmark.data` and :mod:`relmark.datasets`: from transactions to per-customer summaries;
- :mod:`relmark.clv`: probabilistic customer-lifetime-value models (BG/NBD, MBG/NBD, Pareto/NBD,
  BG/BB, sBG, Gamma-Gamma);
- :mod:`relmark.lifecycle`: relationship stages, transitions and Markov chains;
- :mod:`relmark.scoring`: trust, satisfaction, survey psychometrics, NPS and RFM;
- :mod:`relmark.domain`: customers, partners, affiliates, referrals and loyalty as typed objects.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from relmark.clv import (
    BGBB,
    BGNBD,
    MBGNBD,
    SBG,
    GammaGamma,
    ParetoNBD,
    load_model,
)
from relmark.data import RFMSummary, calibration_holdout, summarize
from relmark.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    IllegalTransitionError,
    LedgerError,
    ParameterError,
    RelmarkError,
    SchemaError,
)

try:
    __version__ = version("relmark")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "BGBB",
    "BGNBD",
    "MBGNBD",
    "SBG",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataError",
    "GammaGamma",
    "IllegalTransitionError",
    "LedgerError",
    "ParameterError",
    "ParetoNBD",
    "RFMSummary",
    "RelmarkError",
    "SchemaError",
    "__version__",
    "calibration_holdout",
    "load_model",
    "summarize",
]
