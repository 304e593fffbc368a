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

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from relmark.errors import (
    ArgumentError,
    ConvergenceError,
    ConvergenceWarning,
    CurrencyError,
    DataError,
    IllegalTransitionError,
    LedgerError,
    ParameterError,
    RelmarkError,
    SchemaError,
)

if TYPE_CHECKING:
    from relmark.clv import BGBB, BGNBD, MBGNBD, SBG, GammaGamma, ParetoNBD, load_model
    from relmark.data import RFMSummary, calibration_holdout, summarize

_LAZY = {
    "BGBB": "relmark.clv",
    "BGNBD": "relmark.clv",
    "MBGNBD": "relmark.clv",
    "SBG": "relmark.clv",
    "GammaGamma": "relmark.clv",
    "ParetoNBD": "relmark.clv",
    "load_model": "relmark.clv",
    "RFMSummary": "relmark.data",
    "calibration_holdout": "relmark.data",
    "summarize": "relmark.data",
}
"""Names re-exported from subpackages, imported on first use so that ``import relmark`` stays
fast (scipy and pandas load only when a model or a summary is needed)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'relmark' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


try:
    __version__ = version("relmark")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "BGBB",
    "BGNBD",
    "MBGNBD",
    "SBG",
    "ArgumentError",
    "ConvergenceError",
    "ConvergenceWarning",
    "CurrencyError",
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
