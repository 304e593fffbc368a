r"""Frequency-dependent Gamma-Gamma: spend per transaction that depends on purchase frequency.

The Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer
base analysis", *Journal of Marketing Research* 42(4), 415-430) assumes that a customer's spend
per transaction is independent of how often they buy. Glady, Lemmens & Croux (2015),
"Unveiling the relationship between the transaction timing, spending and dropout behavior of
customers", *International Journal of Research in Marketing* 32(1), 78-93, find that this
independence fails on several data sets. This model relaxes it the way Fader & Hardie (2007),
"Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models" (note 019),
bring covariates into a gamma mixing distribution: through its scale. With frequency
:math:`x` as the covariate,

.. math::

    z_j \mid \nu \sim \text{Gamma}(p, \nu), \qquad
    \nu \mid x \sim \text{Gamma}(q, \gamma_x), \qquad
    \gamma_x = \gamma\,\Bigl(\frac{1 + x}{2}\Bigr)^{\delta},

so that a customer's mean spend per transaction :math:`E[z \mid x] = p\gamma_x/(q-1)` grows
like :math:`(1+x)^\delta` (:math:`\gamma` is the scale at one repeat purchase, which keeps
its estimate nearly uncorrelated with :math:`\delta`'s): :math:`\delta > 0` when frequent
buyers spend more per transaction,
:math:`\delta < 0` when they spend less, and :math:`\delta = 0` is the Gamma-Gamma exactly. The
density of a customer's mean spend :math:`\bar z` over :math:`x` repeat transactions is the
Gamma-Gamma's with :math:`\gamma_x` in place of :math:`\gamma`,

.. math::

    f(\bar z \mid x) = \frac{\Gamma(px+q)}{\Gamma(px)\,\Gamma(q)}
        \frac{\gamma_x^q\, \bar z^{px-1}\, x^{px}}{(\gamma_x + x\bar z)^{px+q}}, \qquad
    E[Z \mid \bar z, x] = \frac{p(\gamma_x + x\bar z)}{px+q-1}.

This is a regression of spend on the observed frequency (the model conditions on :math:`x`; it
does not model the purchase process jointly, as Glady et al. do with a copula); the test of
independence is the Wald or likelihood-ratio test of :math:`\delta = 0`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from relmark._validation import FloatArray, broadcast_columns
from relmark.clv._base import RngLike
from relmark.clv._engine import Likelihood
from relmark.clv._params import Param, ParamSet
from relmark.clv._rfm import as_rng
from relmark.clv.gammagamma import GammaGamma
from relmark.errors import DataError

__all__ = [
    "FrequencyGammaGamma",
    "expected_spend",
    "log_likelihood",
    "log_likelihood_and_grad",
    "simulate",
]

PARAMS = ParamSet(
    (
        Param("p", "shape of the gamma distribution of one transaction's value", (0.5, 20.0)),
        Param("q", "shape of the gamma distribution of the scale nu across customers", (1.5, 20.0)),
        Param("gamma", "scale of nu at one repeat purchase (in money units)", (1.0, 200.0)),
        Param(
            "delta",
            "elasticity of the scale of nu in (1 + frequency): 0 is the Gamma-Gamma",
            (-0.5, 0.5),
            lower=-10.0,
            upper=10.0,
        ),
    )
)


def _log_covariate(frequency: FloatArray) -> FloatArray:
    """:math:`\\ln((1+x)/2)`, 0 at one repeat purchase."""
    out: FloatArray = np.log1p(frequency) - np.log(2.0)
    return out


def _log_scale(params: FloatArray, frequency: FloatArray) -> FloatArray:
    """:math:`\\ln\\gamma_x = \\ln\\gamma + \\delta\\ln((1+x)/2)`."""
    out: FloatArray = np.log(params[2]) + params[3] * _log_covariate(frequency)
    return out


def _finite_scale(params: FloatArray, frequency: FloatArray) -> FloatArray:
    """:math:`\\gamma_x`, or a DataError naming the frequencies where it overflows (a large
    ``delta`` at an enormous frequency)."""
    with np.errstate(over="ignore"):
        out: FloatArray = np.exp(_log_scale(params, frequency))
    bad = ~np.isfinite(out)
    if bad.any():
        raise DataError(
            f"the scale gamma*((1+x)/2)^delta with delta={float(params[3]):g} is beyond floating "
            "point at these frequencies",
            column="frequency",
            rows=np.flatnonzero(bad).tolist(),
        )
    return out


def log_likelihood_and_grad(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Log-density rows and their gradient in ``[p, q, gamma, delta]`` (shape (n, 4)).

    With :math:`A = q/\gamma_x - (px+q)/(\gamma_x + x\bar z)`:
    :math:`\partial_p = x[\psi(px+q) - \psi(px) + \ln\bar z + \ln x - \ln(\gamma_x + x\bar z)]`,
    :math:`\partial_q = \psi(px+q) - \psi(q) + \ln\gamma_x - \ln(\gamma_x + x\bar z)`,
    :math:`\partial_\gamma = A\gamma_x/\gamma`, :math:`\partial_\delta = A\gamma_x\ln((1+x)/2)`.

    Parameters
    ----------
    params
        ``[p, q, gamma, delta]``, float array ``(4,)``.
    frequency
        Repeat transactions :math:`x` (whole numbers > 0), float array ``(n,)``.
    monetary_value
        Mean value :math:`\bar z > 0` of each customer's repeat transactions, float array
        ``(n,)``.

    Returns
    -------
    tuple of numpy.ndarray
        The log-density of each customer ``(n,)`` and its gradient ``(n, 4)``.
    """
    p, q, g, _ = params
    x, z = frequency, monetary_value
    log_gx = _log_scale(params, x)
    gx = np.exp(log_gx)
    px = p * x
    log_den = np.log(gx + x * z)
    # the gamma functions depend on the data through the (few distinct) frequencies only
    grid, inverse = np.unique(x, return_inverse=True)
    inverse = inverse.ravel()
    lg = (gammaln(p * grid + q) - gammaln(p * grid))[inverse]
    dg_pq = digamma(p * grid + q)[inverse]
    dg_p = digamma(p * grid)[inverse]
    log_x, log_z = np.log(x), np.log(z)
    ll = lg - gammaln(q) + q * log_gx + (px - 1.0) * log_z + px * log_x - (px + q) * log_den
    a = q / gx - (px + q) / (gx + x * z)
    grad = np.column_stack(
        [
            x * (dg_pq - dg_p + log_z + log_x - log_den),
            dg_pq - digamma(q) + log_gx - log_den,
            a * gx / g,
            a * gx * _log_covariate(x),
        ]
    )
    out: FloatArray = ll
    return out, grad


def log_likelihood(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    r"""Per-customer log-density of the mean spend (``frequency > 0``).

    .. math:: f(\bar z \mid x) = \frac{\Gamma(px+q)}{\Gamma(px)\,\Gamma(q)}
        \frac{\gamma_x^q\, \bar z^{px-1}\, x^{px}}{(\gamma_x + x\bar z)^{px+q}},
        \quad \gamma_x = \gamma((1+x)/2)^\delta

    Parameters
    ----------
    params
        ``[p, q, gamma, delta]``, float array ``(4,)``.
    frequency
        Repeat transactions :math:`x` (whole numbers > 0), float array ``(n,)``.
    monetary_value
        Mean value :math:`\bar z > 0` of each customer's repeat transactions, float array
        ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The log-density of each customer, shape ``(n,)``.
    """
    return log_likelihood_and_grad(params, frequency, monetary_value)[0]


def expected_spend(
    params: FloatArray, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    """Expected value of a customer's next transaction, :math:`p(\\gamma_x + x\\bar z)/(px+q-1)`.

    For ``x = 0`` it is the mean :math:`p\\gamma_0/(q-1)` of customers without repeat purchases.

    Parameters
    ----------
    params
        ``[p, q, gamma, delta]`` with ``q > 1``, float array ``(4,)``.
    frequency
        Repeat transactions of each customer (whole numbers >= 0), float array ``(n,)``.
    monetary_value
        Each customer's mean repeat-transaction value (ignored where ``x = 0``), ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The expected spend per transaction of each customer, in money units, ``(n,)``.
    """
    p, q = params[0], params[1]
    gx = np.exp(_log_scale(params, frequency))
    den = p * frequency + q - 1.0
    out: FloatArray = p * gx / den + (p * frequency / den) * monetary_value
    return out


def simulate(
    params: FloatArray, frequency: npt.ArrayLike, *, rng: RngLike = None
) -> dict[str, FloatArray]:
    """Simulate mean spend for customers with given repeat purchases.

    Each customer draws :math:`\\nu \\sim \\text{Gamma}(q, \\gamma_x)` for their frequency
    :math:`x`; the mean of :math:`x` i.i.d. :math:`\\text{Gamma}(p, \\nu)` values is
    :math:`\\text{Gamma}(px, x\\nu)`.

    Parameters
    ----------
    params
        ``[p, q, gamma, delta]``, float array ``(4,)``.
    frequency
        Repeat transactions of each customer (whole numbers >= 0).
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``frequency`` and ``monetary_value`` per customer (0 where ``frequency`` is 0).
    """
    p, q = params[0], params[1]
    gen = as_rng(rng)
    x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    gx = np.exp(_log_scale(params, x))
    nu = gen.gamma(q, 1.0, size=x.shape[0]) / gx
    safe_x = np.where(x > 0, x, 1.0)
    mean = gen.gamma(p * safe_x, 1.0 / (safe_x * nu))
    return {"frequency": x, "monetary_value": np.where(x > 0, mean, 0.0)}


class FrequencyGammaGamma(GammaGamma):
    """Gamma-Gamma spend whose scale depends on frequency: parameters ``p, q, gamma, delta``.

    ``delta = 0`` is :class:`relmark.clv.GammaGamma`; ``fit_result`` carries the standard error
    of ``delta``, the test of independence of spend and frequency.

    >>> from relmark.clv import FrequencyGammaGamma
    >>> spend = FrequencyGammaGamma(p=6.25, q=3.74, gamma=15.44, delta=0.0)
    >>> [round(float(v), 2) for v in spend.expected_spend([0, 2], [0.0, 22.35])]
    [35.22, 24.66]

    Parameters
    ----------
    **params
        ``p``, the shape of the gamma distribution of one transaction's value; ``q`` (> 1)
        and ``gamma`` (money units), shape and scale (at one repeat purchase) of the gamma
        distribution of its rate :math:`\\nu`; ``delta`` (between -10 and 10), the elasticity
        of that scale in :math:`1 + x`.

    Raises
    ------
    ParameterError
        For a missing or unknown parameter, a value outside its domain, or ``q <= 1``
        (naming the parameter).
    """

    name: ClassVar[str] = "FrequencyGammaGamma"
    param_set: ClassVar[ParamSet] = PARAMS
    likelihood: ClassVar[Likelihood] = Likelihood(
        log_likelihood, value_and_grad=log_likelihood_and_grad
    )

    @classmethod
    def _start(cls, data: tuple[FloatArray, ...], weights: FloatArray) -> FloatArray:
        _, z = data
        mean = float(weights @ z) / float(weights.sum())
        p, q = 5.0, 4.0
        # the moment estimate of gamma, without a floor: spends in units of 1e-300 (or 1e300)
        # scale gamma alone, and a floor of 1e-3 started their fit 1e297 away
        return np.array([p, q, max(mean * (q - 1.0) / p, float(np.finfo(np.float64).tiny)), 0.0])

    def expected_spend(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """Expected spend per transaction given the frequency; see :func:`expected_spend`.

        Parameters
        ----------
        frequency
            Repeat purchases of each customer (whole numbers >= 0), a number or an array.
        monetary_value
            Each customer's mean spend per repeat purchase, in money units (>= 0; ignored
            where ``frequency`` is 0). Scalars broadcast against arrays.

        Returns
        -------
        numpy.ndarray
            :math:`p(\\gamma_x + x\\bar z)/(px+q-1)` per customer, in money units.

        Raises
        ------
        DataError
            For negative or fractional frequencies, negative spend, text, booleans or NaN,
            or frequencies at which the scale overflows (naming the column).
        """
        x, z = broadcast_columns({"frequency": frequency, "monetary_value": monetary_value})
        self._validate_data({"frequency": x, "monetary_value": z}, None)
        _finite_scale(self._values, x)
        return expected_spend(self._values, x, z)

    def mean_spend_at(self, frequency: npt.ArrayLike) -> FloatArray:
        """Mean spend per transaction of customers with ``frequency`` repeat purchases,
        :math:`p\\gamma((1+x)/2)^\\delta/(q-1)`, before their own spend is seen.

        Parameters
        ----------
        frequency
            Repeat purchases (whole numbers >= 0), a number or an array.

        Returns
        -------
        numpy.ndarray
            The mean spend per transaction at each frequency, in money units.

        Raises
        ------
        DataError
            For negative or fractional frequencies, text, booleans, NaN or frequencies at
            which the scale overflows (naming ``frequency``).
        """
        (x,) = broadcast_columns({"frequency": frequency})
        self._validate_data({"frequency": x, "monetary_value": np.zeros_like(x)}, None)
        p, q = float(self._values[0]), float(self._values[1])
        out: FloatArray = p * _finite_scale(self._values, x) / (q - 1.0)
        return out

    @property
    def mean_spend(self) -> float:
        """Mean spend per transaction of customers with one repeat purchase,
        :math:`p\\gamma/(q-1)` (:meth:`mean_spend_at` gives it at any frequency).

        Returns
        -------
        float
            In money units.
        """
        p, q, g = (float(v) for v in self._values[:3])
        return p * g / (q - 1.0)

    def simulate(self, frequency: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
        """Simulate mean spend for customers with given repeat purchases; see :func:`simulate`.

        Parameters
        ----------
        frequency
            Repeat purchases of each simulated customer, whole numbers >= 0.
        rng
            A ``numpy.random.Generator``, a seed or ``None``, keyword-only.

        Returns
        -------
        dict of str to numpy.ndarray
            ``frequency`` and ``monetary_value`` per customer, ready for :meth:`fit`.

        Raises
        ------
        DataError
            For frequencies that are not whole numbers >= 0, or at which the scale
            overflows (naming ``frequency``).
        ArgumentError
            For a bad ``rng``.
        """
        (x,) = broadcast_columns({"frequency": frequency})
        self._validate_data({"frequency": x, "monetary_value": np.zeros_like(x)}, None)
        _finite_scale(self._values, x)
        return simulate(self._values, x, rng=rng)
