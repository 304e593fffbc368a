r"""Special functions with the repairs relmark's models need.

:func:`hyp2f1` is :func:`scipy.special.hyp2f1` for :math:`0 \le z < 1`, except where scipy
is unreliable. Measured against mpmath (scipy 1.17): when :math:`c - a - b` is an integer,
about a third of its values above :math:`z = 0.9` are NaN or plainly wrong (-39.4 for 17.2),
through its degenerate :math:`1-z` transformation. BG/NBD meets this with integer
:math:`r - a` (teaching values such as :math:`r = 1, a = 2`) over long horizons, Pareto/NBD
with integer :math:`s` or :math:`r + x` when :math:`\alpha/\beta` is beyond ~10. There relmark
sums the Gauss series

.. math:: {}_2F_1(a, b; c; z) = \sum_k t_k,\qquad
    t_{k+1} = t_k\,\frac{(a+k)(b+k)}{(c+k)(k+1)}\,z

when a log-gamma bound on its 5,000th term says it converges, and otherwise takes scipy's
values just off the integer (:math:`c \pm 10^{-3}, \pm 2\cdot10^{-3}`), where scipy is
reliable, and interpolates back with a cubic (the function is analytic in :math:`c`): 1e-10
against mpmath on 3,000 random points. Where neither works the value is NaN, and the
predictions warn (:func:`warn_nonfinite`). Above :math:`z = 0.99` scipy is also wrong about
one time in ten with a non-integer :math:`c - a - b`; such values disagree with scipy's own at
:math:`c \pm h`, and those are recomputed by the series (or NaN).

:func:`log_rising` is :math:`\ln\Gamma(r+x) - \ln\Gamma(r)` without the cancellation of the
two log-gammas at large :math:`r` (at :math:`r = 10^{25}` each is :math:`5.7\cdot10^{26}` and
their difference, about :math:`x \ln r`, has no correct digit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import special

from relmark._validation import FloatArray
from relmark.errors import NumericalWarning

__all__ = ["digamma_rising", "hyp2f1", "log_rising", "trigamma_rising", "warn_nonfinite"]

_MAX_TERMS = 5_000


def _series(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """The Gauss series, summed elementwise until every term is below 1e-17 of its sum (NaN
    where it has not converged in ``_MAX_TERMS`` terms). Converged values leave the working
    arrays every 64 terms, so slow ones do not make the fast ones pay."""
    out = np.full(z.shape, np.nan)
    idx = np.arange(z.shape[0])
    term = np.ones_like(z)
    total = np.ones_like(z)
    for k in range(_MAX_TERMS):
        with np.errstate(divide="ignore", invalid="ignore"):  # c a non-positive integer: NaN
            term = term * (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z
        total = total + term
        if k % 64 == 63 or k == _MAX_TERMS - 1:
            done = ~(np.abs(term) > 1e-17 * np.abs(total))  # NaN counts as done (stays NaN)
            converged = done & np.isfinite(total) & (np.abs(term) <= 1e-17 * np.abs(total))
            out[idx[converged]] = total[converged]
            keep = ~done
            if not keep.any():
                break
            a, b, c, z, term, total = (v[keep] for v in (a, b, c, z, term, total))
            idx = idx[keep]
    return out


def _off_integer(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """scipy's values at ``c`` moved 1e-3 and 2e-3 either side (a non-integer ``c - a - b``,
    where scipy is reliable below z = 0.99), interpolated back to ``c`` by a cubic: the function
    is analytic in ``c``, so the error is ~1e-12. NaN where any of the four is not finite."""
    # steps shrink for c near 0, so no node crosses the pole at c = 0; the weights of the cubic
    # at 0 depend only on the steps' ratios, so they are the same for every value
    steps = np.array([-2e-3, -1e-3, 1e-3, 2e-3])
    shrink = np.minimum(1.0, np.abs(c) / 10.0)
    values = [special.hyp2f1(a, b, c + h * shrink, z) for h in steps]
    out = np.zeros_like(z)
    for i, hi in enumerate(steps):
        weight = np.prod([(0.0 - hj) / (hi - hj) for j, hj in enumerate(steps) if j != i])
        out = out + weight * values[i]
    result: FloatArray = np.where(np.all(np.isfinite(values), axis=0), out, np.nan)
    return result


# Stirling's series of ln Gamma(z) - ((z - 1/2) ln z - z + ln(2 pi)/2): B_2k / (2k (2k-1)),
# k = 1..7; at z >= 10 the next term is below 3e-17
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
)
_STIRLING_FROM = 10.0


def _stirling_rest(z: FloatArray) -> FloatArray:
    inv = 1.0 / z
    inv2 = inv * inv
    acc = np.full(z.shape, _STIRLING[-1])
    for c in _STIRLING[-2::-1]:
        acc = acc * inv2 + c
    out: FloatArray = acc * inv
    return out


def _by_size(
    shape: npt.ArrayLike,
    x: npt.ArrayLike,
    plain: Callable[[FloatArray, FloatArray], FloatArray],
    series: Callable[[FloatArray, FloatArray], FloatArray],
) -> FloatArray:
    """``plain(r, x)`` where :math:`r <` :data:`_STIRLING_FROM`, ``series(r, x)`` from there
    on, over the broadcast ``shape`` and ``x`` (the split of :func:`log_rising`,
    :func:`digamma_rising` and :func:`trigamma_rising`)."""
    r_in, x_in = np.asarray(shape, np.float64), np.asarray(x, np.float64)
    if r_in.ndim == 0 or x_in.ndim == 0:
        # one side a number (the frequency tables of a fit: ln Gamma(r + x) - ln Gamma(r) over
        # the grid, r fixed): one regime decided by a reduction, no masks (a quarter of the
        # cost at 60 frequencies, where this overhead is the work)
        # (an empty side: no regime to pick; computed on arrays of at least one dimension, as
        # the masked path does: numpy's power of a 0-d array and of a scalar round differently,
        # which put trigamma_rising(10.0, 0.0) at -5.6e-23 for its exact 0)
        low, high = (
            (float(r_in), float(r_in))
            if r_in.ndim == 0
            else (r_in.min(initial=np.inf), r_in.max(initial=-np.inf))
        )
        if high < _STIRLING_FROM or low >= _STIRLING_FROM:
            size = np.broadcast_shapes(r_in.shape, x_in.shape)
            rb = np.atleast_1d(r_in if r_in.shape == size else np.full(size, float(r_in)))
            xb = np.atleast_1d(x_in if x_in.shape == size else np.full(size, float(x_in)))
            picked = (series if low >= _STIRLING_FROM else plain)(rb, xb)
            return np.asarray(picked).reshape(size)
    r, xx = np.broadcast_arrays(r_in, x_in)
    out = np.empty(r.shape)
    big = r >= _STIRLING_FROM
    small = ~big
    if small.any():
        out[small] = plain(r[small], xx[small])
    if big.any():
        out[big] = series(r[big], xx[big])
    return out


def log_rising(shape: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    r"""The log of the rising factorial, :math:`\ln\frac{\Gamma(r+x)}{\Gamma(r)}`, for
    :math:`r > 0`, :math:`x \ge 0`, accurate at any :math:`r`.

    Below :math:`r = 10` it is ``gammaln(r + x) - gammaln(r)`` (there :math:`|\ln\Gamma(r)|
    \le 12.8`: no digit is lost beyond the result's own size). From :math:`r = 10` it is the
    difference of Stirling's series taken term by term,

    .. math::
        \ln\frac{\Gamma(r+x)}{\Gamma(r)} = (r - \tfrac12)\,\operatorname{log1p}(x/r)
            + x\bigl(\ln r + \operatorname{log1p}(x/r)\bigr) - x
            + \varphi(r+x) - \varphi(r),
        \qquad \varphi(z) = \sum_{k=1}^{7} \frac{B_{2k}}{2k(2k-1)\,z^{2k-1}},

    whose terms are all of the result's size or smaller: at :math:`r = 10^{25}` the plain
    difference of the log-gammas (each :math:`5.7\cdot10^{26}`) has no correct digit, as
    with the near-Poisson purchase processes (:math:`r, \alpha \to \infty` at a fixed mean
    rate) a fit can run to. Exactly 0 at :math:`x = 0`.

    Parameters
    ----------
    shape
        :math:`r > 0` (trusted), float array.
    x
        :math:`x \ge 0` (trusted, any real), float array broadcast against ``shape``.

    Returns
    -------
    numpy.ndarray
        :math:`\ln\Gamma(r+x) - \ln\Gamma(r)` of the broadcast shape.

    References
    ----------
    NIST DLMF 5.11.1 (Stirling's series); 24.2 (Bernoulli numbers).

    Examples
    --------
    >>> round(float(log_rising(1e25, 7.0)), 9)  # 7 ln(1e25) + 21e-25; gammaln's difference: 0.0
    402.952391274
    """

    def series(rb: FloatArray, xb: FloatArray) -> FloatArray:
        u = np.log1p(xb / rb)
        out: FloatArray = (
            (rb - 0.5) * u
            + xb * (np.log(rb) + u)
            - xb
            + (_stirling_rest(rb + xb) - _stirling_rest(rb))
        )
        return out

    return _by_size(shape, x, lambda rs, xs: special.gammaln(rs + xs) - special.gammaln(rs), series)


# Bernoulli numbers B_2k, k = 1..7, for the asymptotic series of digamma and trigamma
_BERNOULLI = (
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
)


def digamma_rising(shape: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    r""":math:`\psi(r+x) - \psi(r)`, the derivative of :func:`log_rising` in :math:`r`,
    accurate at any :math:`r > 0` (:math:`x \ge 0`).

    Below :math:`r = 10` the plain difference; from there the asymptotic series (DLMF 5.11.2)
    taken term by term,

    .. math:: \psi(r+x) - \psi(r) = \operatorname{log1p}(x/r) + \frac{x}{2r(r+x)}
        - \sum_{k=1}^{7} \frac{B_{2k}}{2k}\bigl((r+x)^{-2k} - r^{-2k}\bigr),

    where the plain difference of two values near :math:`\ln r` keeps no digit of its
    :math:`x/r` at :math:`r = 10^{25}`.

    Examples
    --------
    >>> float(digamma_rising(1e25, 7.0))  # 7/1e25; scipy's difference gives 0.0
    7e-25
    """

    def series(rb: FloatArray, xb: FloatArray) -> FloatArray:
        zb = rb + xb
        rest = np.zeros(rb.shape)
        for k, bern in enumerate(_BERNOULLI, start=1):
            rest += bern / (2 * k) * (zb ** (-2.0 * k) - rb ** (-2.0 * k))
        ratio = xb / rb
        out: FloatArray = np.log1p(ratio) + ratio / (2.0 * zb) - rest
        return out

    return _by_size(shape, x, lambda rs, xs: special.digamma(rs + xs) - special.digamma(rs), series)


def trigamma_rising(shape: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    r""":math:`\psi'(r+x) - \psi'(r)`, the second derivative of :func:`log_rising` in
    :math:`r`, accurate at any :math:`r > 0` (:math:`x \ge 0`): the plain difference below
    :math:`r = 10`, from there the asymptotic series (DLMF 5.15.8) term by term,

    .. math:: \psi'(r+x) - \psi'(r) = -\frac{x}{r(r+x)} - \frac{x(2r+x)}{2r^2(r+x)^2}
        + \sum_{k=1}^{7} B_{2k}\bigl((r+x)^{-2k-1} - r^{-2k-1}\bigr).

    Examples
    --------
    >>> float(trigamma_rising(1e25, 7.0))  # -7/1e50
    -7e-50
    """

    def plain(rs: FloatArray, xs: FloatArray) -> FloatArray:
        # psi'(r) overflows below r ~ 1e-154: at x = 0 the difference is exactly 0, not inf - inf
        with np.errstate(invalid="ignore"):
            # psi'(v) = zeta(2, v) for v > 0 (scipy's polygamma wraps it in Python: 5x slower)
            diff = special.zeta(2.0, rs + xs) - special.zeta(2.0, rs)
        out: FloatArray = np.where(xs == 0.0, 0.0, diff)
        return out

    def series(rb: FloatArray, xb: FloatArray) -> FloatArray:
        zb = rb + xb
        rest = np.zeros(rb.shape)
        for k, bern in enumerate(_BERNOULLI, start=1):
            rest += bern * (zb ** (-2.0 * k - 1.0) - rb ** (-2.0 * k - 1.0))
        ratio = xb / rb  # (r*z and z*z overflow at r ~ 1e300; ratio * ratio at x ~ 1e300 r)
        out: FloatArray = -ratio / zb - (ratio / zb) * ((2.0 + ratio) / (2.0 * zb)) + rest
        return out

    return _by_size(shape, x, plain, series)


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
    """:math:`{}_2F_1(a, b; c; z)` for ``0 <= z < 1``: scipy's value, or the series where scipy
    is unreliable (non-finite values; z > 0.9 with an integer c - a - b); NaN where neither
    can give it.

    Examples
    --------
    >>> round(float(hyp2f1(-0.5, -0.5, 150.0, 0.95)), 10)  # scipy alone gives nan here
    1.0015845844
    """
    a, b, c, z = (np.asarray(v, dtype=np.float64) for v in (a, b, c, z))
    value = special.hyp2f1(a, b, c, z)
    if np.max(z, initial=0.0) <= 0.9 and np.isfinite(value).all():
        # the common case, where scipy is reliable (checked against mpmath in the tests): two
        # passes instead of the checks below (a one-customer call: 5 us instead of 45)
        common: FloatArray = np.asarray(value, dtype=np.float64)
        return common
    out = np.array(value, dtype=np.float64, ndmin=1)
    # scipy's degenerate 1 - z transformation: with an integer c - a - b about a third of its
    # values above z = 0.9 are NaN or wrong (seen: -39.4 for 17.2, measured against mpmath).
    # Those are recomputed by the series.
    zb = np.broadcast_to(z, out.shape)
    gap = np.broadcast_to(c - a - b, out.shape)
    integer_gap = np.abs(gap - np.round(gap)) < 1e-9
    bad = ~np.isfinite(out) | ((zb > 0.9) & integer_gap)
    # Above z = 0.99 scipy is also wrong about one time in ten with a non-integer c - a - b;
    # a wrong value does not agree with scipy's own values at c -+ h, c -+ 2h (the function is
    # smooth in c; the fourth-order combination cancels its curvature, which near z = 1 grows
    # like log(1 - z)^2 and alone exceeded the tolerance); over 2,400 random points up to
    # z = 0.9997 the largest error left is 9e-8 (mpmath)
    near_one = (zb > 0.99) & ~integer_gap & ~bad
    if near_one.any():
        ca, cb, cc, cz = (np.broadcast_to(v, out.shape)[near_one] for v in (a, b, c, z))
        h = 1e-4 * np.minimum(1.0, np.abs(cc) / 10.0)

        def pair(step: FloatArray) -> FloatArray:
            total: FloatArray = special.hyp2f1(ca, cb, cc + step, cz) + special.hyp2f1(
                ca, cb, cc - step, cz
            )
            return total

        mid = (4.0 * pair(h) - pair(2.0 * h)) / 6.0
        v = out[near_one]
        with np.errstate(invalid="ignore"):
            consistent = np.abs(v - mid) <= 1e-8 * np.abs(v)
        flagged = np.zeros(out.shape, dtype=bool)
        flagged[near_one] = ~consistent
        bad |= flagged
    if bad.any():
        args = [np.broadcast_to(v, out.shape)[bad] for v in (a, b, c, z)]
        # |term| after _MAX_TERMS terms, by log-gamma: where even that is not negligible the
        # series is hopeless (z within ~1e-3 of 1 with large parameters): NaN, never a guess
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
        rest = ~reachable & (gz > 0.9) & integer_gap[bad]
        if rest.any():  # integer c - a - b out of the series' reach: off the integer and back
            fixed[rest] = _off_integer(*(v[rest] for v in args))
        out[bad] = fixed
    result: FloatArray = out.reshape(np.broadcast_shapes(a.shape, b.shape, c.shape, z.shape))
    return result
