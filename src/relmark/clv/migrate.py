"""Migration from lifetimes: build relmark models from fitted lifetimes fitters.

lifetimes stores its fitted parameters in ``fitter.params_`` (a pandas Series); relmark models
are their parameters, so migration is a renaming. No lifetimes import is needed: the fitter is
recognised by its class name.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from relmark.clv._base import CLVModel
from relmark.clv._registry import MODELS
from relmark.errors import SchemaError

__all__ = ["LIFETIMES_NAMES", "from_lifetimes"]

LIFETIMES_NAMES: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "BetaGeoFitter": ("BGNBD", {"r": "r", "alpha": "alpha", "a": "a", "b": "b"}),
    "ModifiedBetaGeoFitter": ("MBGNBD", {"r": "r", "alpha": "alpha", "a": "a", "b": "b"}),
    "ParetoNBDFitter": ("ParetoNBD", {"r": "r", "alpha": "alpha", "s": "s", "beta": "beta"}),
    "BetaGeoBetaBinomFitter": (
        "BGBB",
        {"alpha": "alpha", "beta": "beta", "gamma": "gamma", "delta": "delta"},
    ),
    "GammaGammaFitter": ("GammaGamma", {"p": "p", "q": "q", "v": "gamma"}),
}
"""lifetimes fitter class -> (relmark model, lifetimes parameter name -> relmark name)."""


def from_lifetimes(fitter: object, *, time_unit: str | None = None) -> CLVModel:
    """Build the relmark model equivalent to a fitted lifetimes fitter.

    Parameters
    ----------
    fitter
        A fitted ``lifetimes`` fitter (``BetaGeoFitter``, ``ModifiedBetaGeoFitter``,
        ``ParetoNBDFitter``, ``BetaGeoBetaBinomFitter`` or ``GammaGammaFitter``).
    time_unit
        The time unit of the data the fitter saw (lifetimes does not record it).

    Returns
    -------
    CLVModel
        A relmark model at the fitter's parameters, without a fit result (refit with
        ``Model.fit`` to get standard errors and the rest).

    Raises
    ------
    SchemaError
        For an unknown fitter class or an unfitted fitter.

    Examples
    --------
    >>> import pandas as pd
    >>> class BetaGeoFitter:  # stands in for lifetimes.BetaGeoFitter after .fit(...)
    ...     params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> from_lifetimes(BetaGeoFitter())
    BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    """
    cls_name = type(fitter).__name__
    if cls_name not in LIFETIMES_NAMES:
        known = ", ".join(LIFETIMES_NAMES)
        raise SchemaError(f"cannot migrate a {cls_name}: relmark knows {known}")
    params = getattr(fitter, "params_", None)
    if params is None:
        raise SchemaError(f"this {cls_name} has no params_: fit it first")
    model_name, names = LIFETIMES_NAMES[cls_name]
    values = {ours: _fitted_value(params, theirs, cls_name) for theirs, ours in names.items()}
    return MODELS[model_name](**values).with_time_unit(time_unit)


def _fitted_value(params: object, name: str, fitter: str) -> float:
    """One fitted parameter of a lifetimes fitter's ``params_`` (a Series, or a mapping), as a
    number (SchemaError naming ``params_.<name>``: a missing key raised KeyError, text
    ValueError, a list or a frame TypeError, and ``True`` was read as 1)."""
    key = f"params_.{name}"
    try:
        value = params[name]  # type: ignore[index]
    except (KeyError, IndexError, TypeError, ValueError):
        raise SchemaError(f"this {fitter}'s params_ has no parameter {name!r}", key=key) from None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise SchemaError(f"must be a number, got {value!r}", key=key)
    return float(value)
