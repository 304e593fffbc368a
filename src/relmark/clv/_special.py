r"""Special functions with the repairs relmark's models need.

:func:`hyp2f1` is :func:`scipy.special.hyp2f1` for :math:`0 \le z < 1`, except where scipy
returns a non-finite value. scipy 1.17 returns NaN when :math:`c - a - b` is an integer of about
100 or more and :math:`z > 0.9` (its degenerate :math:`1-z` transformation), which BG/NBD meets
for heavy buyers with integer :math:`r - a` (e.g. :math:`r = a = 0.5`) and Pareto/NBD for
integer :math:`s` with :math:`\alpha \ge 10\beta`. There the Gauss series

.. math:: {}_2F_1(a, b; c; z) = \sum_k t_k,\qquad
    t_{k+1} = t_k\,\frac{(a+k)(b+k)}{(c+k)(k+1)}\,z

converges fast, because its terms fall like :math:`k^{a+b-c-1} z^k` with :math:`c - a - b`
large; it is summed until the terms no longer change the sum.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

from relmark.data._validate import FloatArray
from relmark.errors import NumericalWarning

__all__ = ["hyp2f1"]

_MAX_TERMS = 20_000


def _series(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """The Gauss series, summed elementwise until every term is below 1e-17 of its sum."""
    term = np.ones_like(z)
    total = np.ones_like(z)
    active = np.ones(z.shape, dtype=bool)
    for k in range(_MAX_TERMS):
        with np.errstate(divide="ignore", invalid="ignore"):  # c a non-positive integer: NaN
            term = term * (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z
        total = total + np.where(active, term, 0.0)
        active &= np.abs(term) > 1e-17 * np.abs(total)  # NaN compares False: stops
        if not active.any():
            return total
    import warnings

    warnings.warn(
        f"the hypergeometric series did not converge in {_MAX_TERMS} terms for "
        f"{int(active.sum())} values; they are NaN",
        NumericalWarning,
        stacklevel=3,
    )
    out: FloatArray = np.where(active, np.nan, total)
    return out


def hyp2f1(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """:math:`{}_2F_1(a, b; c; z)` for ``0 <= z < 1``: scipy's value, repaired where non-finite.

    Examples
    --------
    >>> round(float(hyp2f1(-0.5, -0.5, 150.0, 0.95)), 10)  # scipy alone gives nan here
    1.0015845844
    """
    a, b, c, z = (np.asarray(v, dtype=np.float64) for v in (a, b, c, z))
    out = np.array(special.hyp2f1(a, b, c, z), dtype=np.float64, ndmin=1)
    bad = ~np.isfinite(out)
    if bad.any():
        args = [np.broadcast_to(v, out.shape)[bad] for v in (a, b, c, z)]
        out[bad] = _series(*args)
    result: FloatArray = out.reshape(np.broadcast_shapes(a.shape, b.shape, c.shape, z.shape))
    return result
