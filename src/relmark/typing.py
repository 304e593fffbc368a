"""Type aliases that appear in relmark's public signatures.

``FloatArray`` and ``IntArray`` are the numpy arrays every model takes and returns (one value per
customer); ``RngLike`` is what every random function accepts as ``rng``: a
:class:`numpy.random.Generator`, a seed, or ``None`` for fresh entropy.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "IntArray", "RngLike"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A float64 array, one value per customer (or per horizon)."""
IntArray: TypeAlias = npt.NDArray[np.int64]
"""An int64 array."""
RngLike: TypeAlias = np.random.Generator | int | None
"""A random generator, a seed for :func:`numpy.random.default_rng`, or ``None``."""
