"""Fitting one model per segment (country, cohort, channel, ...) in one call.

Errors in one segment (too few customers, no repeat buyers, ...) are collected and reported,
not fatal: a notebook gets every segment that can be fitted and the reason for each that
cannot. Progress can be reported through a callback; it is silent by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from relmark._validation import check_count
from relmark.clv._base import CLVModel
from relmark.errors import ArgumentError, DataError, RelmarkError

__all__ = ["SegmentFits", "fit_segments"]

_FIT_OPTIONS = frozenset({"start", "compress", "time_unit", "settings"})
"""The options of ``Model.fit`` that apply to every segment."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, segment)`` after each segment."""


@dataclass(frozen=True)
class SegmentFits:
    """Fitted models by segment, and the errors of segments that could not be fitted."""

    models: dict[Any, CLVModel]
    errors: dict[Any, str] = field(default_factory=dict)

    def params(self) -> pd.DataFrame:
        """One row of parameters (and customers, log-likelihood) per fitted segment.

        Returns
        -------
        pandas.DataFrame
            Indexed by segment: one column per model parameter, ``customers`` (the fit's
            ``nobs``) and ``log_likelihood``. Segments in :attr:`errors` have no row.
        """
        rows = {
            seg: {
                **m.params,
                "customers": m.fit_result.nobs,
                "log_likelihood": m.fit_result.log_likelihood,
            }
            for seg, m in self.models.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")


def fit_segments(
    model: type[CLVModel],
    frame: pd.DataFrame,
    *,
    by: str,
    min_customers: int = 50,
    progress: Progress | None = None,
    **options: Any,
) -> SegmentFits:
    """Fit ``model`` separately to each value of column ``by`` of a summary frame.

    A segment that cannot be fitted (fewer than ``min_customers`` rows, or any relmark error
    from the fit: invalid data, no repeat buyers, no convergence) is recorded in
    :attr:`SegmentFits.errors` with the reason; the others are fitted.

    Parameters
    ----------
    model
        The model class to fit (``BGNBD``, ``GammaGamma``, ...), not an instance.
    frame
        A per-customer summary as a DataFrame (e.g. ``RFMSummary.to_frame()``) with the
        model's columns and the segment column.
    by
        The name of the segment column, keyword-only; it is dropped before fitting.
    min_customers
        Segments with fewer rows are not fitted (the error says how many they have).
    progress
        Called as ``progress(done, total, segment)`` after each segment; ``None`` (default)
        is silent.
    **options
        Passed to ``model.fit`` (``weights``, ``start``, ``compress``, ``time_unit``, ...).

    Returns
    -------
    SegmentFits
        The fitted models and the errors, each by segment value.

    Raises
    ------
    DataError
        When ``frame`` has no column ``by`` (naming it).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.clv import BGNBD
    >>> from relmark.datasets import load_cdnow_summary
    >>> frame = load_cdnow_summary().to_frame()
    >>> frame["half"] = np.where(np.arange(len(frame)) % 2 == 0, "even", "odd")
    >>> fits = fit_segments(BGNBD, frame, by="half")
    >>> sorted(fits.models), fits.errors
    (['even', 'odd'], {})
    """
    if not (isinstance(model, type) and issubclass(model, CLVModel)):
        raise ArgumentError(
            f"must be a CLV model class (BGNBD, ...), got {model!r}", argument="model"
        )
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame, got {type(frame).__name__}", argument="frame"
        )
    if not isinstance(by, str):
        raise ArgumentError(f"must be a column name, got {by!r}", argument="by")
    min_customers = check_count(min_customers, "min_customers", minimum=1)
    if progress is not None and not callable(progress):
        raise ArgumentError(f"must be a function or None, got {progress!r}", argument="progress")
    unknown = sorted(set(options) - _FIT_OPTIONS)
    if unknown:  # each segment recorded the same error, and nothing was fitted
        raise ArgumentError(
            f"is not an option of fit_segments (options: {', '.join(sorted(_FIT_OPTIONS))})",
            argument=unknown[0],
        )
    if by not in frame.columns:
        raise DataError("no such column", column=by)
    if len(frame) == 0:
        raise DataError("no customers: the frame is empty", column=by)
    missing = frame[by].isna().to_numpy()
    if missing.any():  # groupby drops them: those customers would silently be in no segment
        raise DataError(
            "missing segment values (NaN/None)",
            column=by,
            rows=frame.index[missing].tolist(),
        )
    models: dict[Any, CLVModel] = {}
    errors: dict[Any, str] = {}
    groups = list(frame.groupby(by, sort=True))
    for done, (segment, part) in enumerate(groups, start=1):
        if len(part) < min_customers:
            errors[segment] = f"{len(part)} customers (< {min_customers})"
        else:
            try:
                models[segment] = model.fit(part.drop(columns=[by]), **options)
            except RelmarkError as exc:
                errors[segment] = str(exc)
        if progress is not None:
            progress(done, len(groups), str(segment))
    return SegmentFits(models, errors)
