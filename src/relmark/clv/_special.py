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

__all__ = ["hyp2f1", "warn_nonfinite"]

_MAX_TERMS = 5_000


def _series(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """The Gauss series, summed elementwise until every term is below 1e-17 of its sum (NaN
    where it has not converged in ``_MAX_TERMS`` terms)."""
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
    out: FloatArray = np.where(active, np.nan, total)
    return out


def warn_nonfinite(values: FloatArray, what: str) -> None:
    """Warn (:class:`~relmark.errors.NumericalWarning`) when a prediction has non-finite values,
    which only extreme parameters produce (a hypergeometric argument within ~1e-3 of 1 with
    parameters in the hundreds or thousands, where scipy fails and the series would need more
    than ``_MAX_TERMS`` terms; mpmath would still get it, at a thousand times the cost)."""
    bad = ~np.isfinite(values)
    if bad.any():
        import warnings

        warnings.warn(
            f"{what} is not finite for {int(bad.sum())} of {bad.size} values (first at "
            f"position {int(np.flatnonzero(bad.ravel())[0])}): at such extreme parameters "
            "neither scipy's hyp2f1 nor its series gives the hypergeometric term",
            NumericalWarning,
            stacklevel=3,
        )


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
        # |term| after _MAX_TERMS terms, by log-gamma: where even that is not negligible the
        # series is hopeless (z within ~1e-3 of 1 with parameters in the thousands): NaN
        k = float(_MAX_TERMS)
        ga, gb, gc, gz = args
        with np.errstate(divide="ignore", invalid="ignore"):
            log_last = (
                special.gammaln(ga + k) - special.gammaln(ga)
                + special.gammaln(gb + k) - special.gammaln(gb)
                - special.gammaln(gc + k) + special.gammaln(gc)
                - special.gammaln(k + 1.0) + k * np.log(gz)
            )  # fmt: skip
        reachable = log_last < np.log(1e-18)
        fixed = np.full(ga.shape, np.nan)
        if reachable.any():
            fixed[reachable] = _series(*(v[reachable] for v in args))
        out[bad] = fixed
    result: FloatArray = out.reshape(np.broadcast_shapes(a.shape, b.shape, c.shape, z.shape))
    return result
