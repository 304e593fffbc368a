"""Shared pieces of the continuous-time (frequency, recency, T) models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from relmark.clv._base import CLVModel, RngLike
from relmark.data._validate import FloatArray, as_float_array, check_rfm

__all__ = ["RFMModel", "as_rng", "broadcast_rfm"]


def as_rng(rng: RngLike) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None."""
    return np.random.default_rng(rng)


def broadcast_rfm(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate (frequency, recency, T) for a prediction and broadcast scalars."""
    x, tx, t = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (frequency, recency, T))
    x, tx, t = np.broadcast_arrays(x, tx, t)
    return check_rfm(x, tx, t)


class RFMModel(CLVModel):
    """Base of models of per-customer (frequency, recency, T) in continuous time."""

    data_fields: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        return check_rfm(arrays["frequency"], arrays["recency"], arrays["T"], labels=labels)

    @staticmethod
    def _horizon(t: npt.ArrayLike) -> FloatArray:
        """Validate a prediction horizon: finite and >= 0."""
        h = as_float_array(t, "t")
        if np.any(h < 0):
            from relmark.errors import DataError

            raise DataError("a horizon must be >= 0", column="t")
        return h
