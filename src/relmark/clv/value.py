r"""Customer lifetime value from a purchase model and a spend model.

For a customer with history :math:`(x, t_x, T)` and mean spend :math:`\bar z`, the expected
value of the next :math:`K` periods of length :math:`\Delta` (in the purchase model's time
unit), discounted at rate :math:`d` per period at the end of each period, is

.. math::

    \mathrm{CLV} = E[Z \mid x, \bar z] \sum_{k=1}^{K}
        \frac{E[Y(k\Delta) \mid x, t_x, T] - E[Y((k-1)\Delta) \mid x, t_x, T]}{(1+d)^k},

the convention of lifetimes' ``customer_lifetime_value``, with one month for every unit
(:data:`relmark.timeunit.MONTH_DAYS`: 30.4375 days, 4.348 weeks; lifetimes uses 30 days but
4.345 weeks). Summing by parts, the bracket is :math:`\sum_k w_k E[Y(k\Delta)]` with
:math:`w_k = (1+d)^{-k} - (1+d)^{-(k+1)}` (and :math:`(1+d)^{-K}` for the last period), which a
model computes per chunk of customers without a (customers x periods) table. BG/NBD and MBG/NBD
factor :math:`E[Y(t)] = P(\text{alive})\,R(x, \alpha+T, t)` and evaluate :math:`R` (a Gauss
hypergeometric function) by Chebyshev interpolation per frequency when the chunk is large
(:mod:`relmark.clv._tabulate`; agreement with exact evaluation ~1e-12), so a million customers
take about 0.1 s instead of twelve million ``hyp2f1`` calls.

With continuous discounting at rate :math:`\delta`, the value of the whole remaining lifetime is
:math:`E[Z]\,\mathrm{DERT}(\delta)` for models that provide ``dert`` (discounted expected
residual transactions, Fader, Hardie & Lee 2005).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from relmark._validation import (
    FloatArray,
    as_float_array,
    broadcast_columns,
    check_count,
    check_level,
    check_number,
    check_rng,
)
from relmark.clv._base import CLVModel, Interval, RngLike
from relmark.clv._rfm import RFMModel
from relmark.errors import ArgumentError, DataError, ParameterError
from relmark.timeunit import BASES, TimeUnit

__all__ = ["PERIOD_LENGTH", "clv", "clv_from_dert", "clv_interval", "score"]

PERIOD_LENGTH: dict[str, float] = {base: TimeUnit(base).per_month for base in BASES}
"""Length of a month in each base time unit: :data:`relmark.timeunit.MONTH_DAYS` = 365.25 / 12
days (4.348 weeks, 30.4375 days, 730.5 hours); lifetimes uses 4.345 weeks but 30 days."""


class PurchaseModel(Protocol):
    """What :func:`clv` needs of a purchase model."""

    def conditional_expected_purchases(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        t: npt.ArrayLike,
    ) -> FloatArray: ...


class SpendModel(Protocol):
    """What :func:`clv` needs of a spend model."""

    def expected_spend(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray: ...


def _spend(spend: SpendModel, x: FloatArray | float, m: FloatArray | float) -> FloatArray:
    """The spend model's expected spend, refused unless finite and >= 0 for every customer."""
    if isinstance(x, np.ndarray) and x.shape == (1,) and isinstance(m, np.ndarray):
        x, m = float(x[0]), float(m[0])  # one customer: the spend model's Python-number path
    value = np.asarray(spend.expected_spend(x, m), dtype=np.float64)
    if value.shape == (1,) and 0.0 <= float(value[0]) < math.inf:  # one customer: no masks
        return value
    bad = ~np.isfinite(value) | (value < 0)
    if bad.any():
        raise ParameterError(
            f"the spend model predicts a negative or infinite spend for "
            f"{int(bad.sum())} customers (first: position {int(np.flatnonzero(bad)[0])})"
        )
    return value


def clv(
    purchases: PurchaseModel,
    spend: SpendModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike | None,
    *,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
    chunk_size: int = 250_000,
) -> FloatArray:
    """Expected discounted value of each customer over ``periods`` periods.

    Parameters
    ----------
    purchases
        A fitted or given purchase model (BG/NBD, MBG/NBD, Pareto/NBD, ...).
    spend
        A spend model with ``expected_spend`` (Gamma-Gamma).
    frequency, recency, T, monetary_value
        Per-customer history, in the purchase model's time unit.
    periods
        Number of periods in the horizon (12 months by default).
    period_length
        Length of one period in the purchase model's time unit; by default a month in the
        model's ``time_unit`` (4.348 weeks, 30.4375 days; see :data:`PERIOD_LENGTH`).
    discount_rate
        Discount rate per period; cash flows are discounted at the end of each period.
    chunk_size
        Customers processed at a time (bounds memory).

    Returns
    -------
    numpy.ndarray
        The discounted expected value of each customer over the horizon, shape ``(n,)``, in
        the money unit of ``monetary_value``.

    Raises
    ------
    DataError
        For an invalid history, or a ``monetary_value`` of another length (naming the
        column).
    ArgumentError
        For a model that is not a purchase or spend model (``purchases``, ``spend``), a
        missing ``monetary_value``, ``periods`` that is not a whole number in
        ``[1, 100000]``, a ``discount_rate`` that is not a finite number > -1, a bad
        ``period_length`` or ``chunk_size``, or no ``period_length`` for a model without a
        time unit.
    ParameterError
        When the spend model predicts a negative or infinite spend.

    Examples
    --------
    >>> from relmark.clv import BGNBD, GammaGamma
    >>> bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> [round(float(v), 2) for v in clv(bg, gg, [0, 2], [0, 30.43], [38.86, 38.86], [0, 22.35])]
    [8.37, 36.31]
    """
    _check_models(purchases, spend)
    times, weights = _horizon_weights(purchases, periods, period_length, discount_rate)
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    if isinstance(purchases, RFMModel):
        # validate once, then one weighted sum over horizons per chunk of customers
        x, tx, t = purchases._rfm(frequency, recency, T)
        horizons = _checked_horizons(purchases, times)
        one: object = monetary_value  # (ArrayLike's numbers are not seen as int | float)
        if x.shape == (1,) and isinstance(one, int | float) and not isinstance(one, bool):
            # one customer (a service's request): no chunks, the spend as a Python number
            value = _spend(spend, float(x[0]), float(one))
            return value * purchases.predictions.weighted_purchases(
                purchases._values, horizons, weights, x, tx, t
            )
        m = _matching(monetary_value, x)
        out = np.empty(x.shape[0])
        for lo in range(0, x.shape[0], chunk_size):
            sl = slice(lo, lo + chunk_size)
            out[sl] = _spend(spend, x[sl], m[sl]) * purchases.predictions.weighted_purchases(
                purchases._values, horizons, weights, x[sl], tx[sl], t[sl]
            )
        return out
    spend_values = _require_spend(monetary_value)
    columns = {"frequency": frequency, "recency": recency, "T": T, "monetary_value": spend_values}
    x, tx, t, m = broadcast_columns(columns)
    out = np.empty(x.shape[0])
    for lo in range(0, x.shape[0], chunk_size):
        sl = slice(lo, lo + chunk_size)
        n = x[sl].shape[0]
        # One call over customers x periods (flattened), not one per period.
        cumulative = purchases.conditional_expected_purchases(
            np.repeat(x[sl], periods),
            np.repeat(tx[sl], periods),
            np.repeat(t[sl], periods),
            t=np.repeat(times[None, :], n, axis=0).ravel(),
        ).reshape(n, periods)
        out[sl] = _spend(spend, x[sl], m[sl]) * (cumulative @ weights)
    return out


def _require_spend(monetary_value: npt.ArrayLike | None) -> npt.ArrayLike:
    """``monetary_value`` itself; ``None`` (a summary made without ``monetary_value=``) is an
    ArgumentError naming it, so a typed caller can pass ``summary.monetary_value`` directly."""
    if monetary_value is None:
        raise ArgumentError(
            "a spend model needs each customer's mean spend; summarize the log with "
            "monetary_value=<amount column>",
            argument="monetary_value",
        )
    return monetary_value


def _matching(monetary_value: npt.ArrayLike | None, x: FloatArray) -> FloatArray:
    """``monetary_value`` for each customer (a number is everyone's), or a DataError naming it."""
    given = _require_spend(monetary_value)
    m = as_float_array(given, "monetary_value")
    if np.ndim(given) == 0:
        return np.broadcast_to(m, x.shape)
    if m.shape != x.shape:
        raise DataError(
            f"monetary_value has {m.shape[0]} values for {x.shape[0]} customers",
            column="monetary_value",
        )
    return m


_MAX_LOG_DISCOUNT = 700.0
"""The largest log of a discount factor :math:`(1+d)^{-k}` (float range ends at ~709.8)."""


def _horizon_weights(
    purchases: object, periods: int, period_length: float | None, discount_rate: float
) -> tuple[FloatArray, FloatArray]:
    """Period ends and the weights ``w_k`` with ``CLV = E[Z] sum_k w_k E[Y(t_k)]``."""
    length = _period_length(purchases, period_length)
    periods = check_count(periods, "periods", minimum=1)
    if periods > _MAX_PERIODS:
        raise ArgumentError(
            f"must be at most {_MAX_PERIODS:,} (a horizon of that many periods), got {periods}",
            argument="periods",
        )
    discount_rate = check_number(discount_rate, "discount_rate", low=-1.0, low_open=True)
    if periods * -math.log1p(discount_rate) > _MAX_LOG_DISCOUNT:
        # a negative rate compounds the last period's factor (1 + d)^-K beyond float range
        # (d = -0.9999 over 10,000 periods: inf - inf, a NaN CLV with a RuntimeWarning)
        raise ArgumentError(
            f"a rate of {discount_rate:g} over {periods} periods makes the last period's "
            f"factor (1 + discount_rate)^-{periods} = 10^"
            f"{periods * -math.log1p(discount_rate) / math.log(10.0):.0f}, beyond float range",
            argument="discount_rate",
        )
    k = np.arange(1.0, periods + 1.0)
    discount = (1.0 + discount_rate) ** -k
    # sum_k d_k (E_k - E_{k-1}) = sum_k E_k (d_k - d_{k+1}), with d_{K+1} = 0
    weights = discount.copy()
    weights[:-1] -= discount[1:]
    return length * k, weights


def check_horizon_options(
    purchases: object,
    spend: object,
    periods: object,
    period_length: object,
    discount_rate: object,
) -> None:
    """The CLV horizon's options checked as :func:`score` checks them with a spend model, with
    one or not (without, a bad ``periods`` or ``discount_rate`` was accepted and unused); without
    a spend model no ``period_length`` is needed. An ArgumentError naming the option."""
    if spend is None and period_length is None:
        period_length = 1.0  # not used: any length passes
    _horizon_weights(purchases, periods, period_length, discount_rate)  # type: ignore[arg-type]


def _checked_horizons(purchases: RFMModel, times: FloatArray) -> FloatArray:
    """Period ends built by :func:`_horizon_weights` are finite and > 0: only a discrete-time
    model needs them checked (whole periods)."""
    if not purchases.discrete:
        return times
    try:
        return purchases._horizon(times)
    except ArgumentError:
        raise ArgumentError(
            f"{purchases.name} counts time in whole periods: the period length must be a whole "
            f"number, got {times[0]}",
            argument="period_length",
        ) from None


def score(
    purchases: RFMModel,
    spend: SpendModel | None,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike | None = None,
    *,
    horizon: float,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
    chunk_size: int = 250_000,
) -> dict[str, FloatArray]:
    """Everything a scoring job needs per customer, each quantity computed once.

    Returns ``p_alive``, ``expected_purchases`` over ``horizon`` and, with a spend model,
    ``expected_spend`` and ``clv`` (as :func:`clv`, over ``periods`` periods).
    ``expected_purchases`` is the *conditional* expectation given each customer's history,
    the value of ``purchases.conditional_expected_purchases(frequency, recency, T,
    t=horizon)``,

    .. math:: E[X(T, T + t) \\mid x, t_x, T],

    under the column name every score table of relmark uses for it
    (:func:`relmark.view.relationship_view`, ``relmark score``, the out-of-core, Spark and
    Dask scoring); the expectation for a new customer is ``expected_purchases_new_customer``.

    For models whose expectation factors as ``P(alive) x remaining`` (BG/NBD, MBG/NBD,
    Pareto/NBD) P(alive) is computed once per customer and reused for the horizon and every
    CLV period; customers go through in chunks of ``chunk_size``, so memory stays bounded at
    any size.

    Parameters
    ----------
    purchases
        A relmark purchase model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB).
    spend
        A spend model with ``expected_spend`` (Gamma-Gamma), or ``None`` for purchases only.
    frequency
        Repeat purchases of each customer (whole numbers >= 0), a number or an array.
    recency
        Time of each customer's last repeat purchase since their first, in the purchase
        model's time unit.
    T
        Each customer's age, in the purchase model's time unit (``T >= recency``).
    monetary_value
        Each customer's mean spend per repeat purchase (money units); required with a spend
        model, ignored without one.
    horizon
        The horizon of ``expected_purchases``, in the purchase model's time unit (>= 0; whole
        opportunities for BG/BB), keyword-only.
    periods
        Number of periods of the CLV horizon (12 months by default).
    period_length
        Length of one CLV period in the purchase model's time unit; by default a month in the
        model's ``time_unit`` (see :data:`PERIOD_LENGTH`).
    discount_rate
        Discount rate per CLV period (cash flows discounted at the end of each period).
    chunk_size
        Customers processed at a time (bounds memory).

    Returns
    -------
    dict of str to numpy.ndarray
        ``p_alive`` and ``expected_purchases`` (the conditional expectation over
        ``horizon``) and, with a spend model, ``expected_spend`` and ``clv``, each with one
        value per customer, shape ``(n,)``.

    Raises
    ------
    DataError
        For an invalid history, or a ``monetary_value`` of another length (naming the
        column).
    ArgumentError
        For a ``purchases`` that is not a relmark purchase model, a bad ``horizon``,
        ``periods``, ``period_length``, ``discount_rate`` or ``chunk_size``, or a missing
        ``monetary_value`` with a spend model (naming the argument).
    ParameterError
        When the spend model predicts a negative or infinite spend.

    Examples
    --------
    >>> from relmark.clv import BGNBD, GammaGamma, score
    >>> bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> out = score(bg, gg, [0, 2], [0, 30.43], [38.86, 38.86], [0, 22.35], horizon=39)
    >>> [round(float(v), 3) for v in out["expected_purchases"]], sorted(out)
    ([0.195, 1.226], ['clv', 'expected_purchases', 'expected_spend', 'p_alive'])
    """
    _check_models(purchases, spend, rfm=True, optional_spend=True)
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    x, tx, t = purchases._rfm(frequency, recency, T)
    h = purchases._horizon(check_number(horizon, "horizon", low=0.0), "horizon")
    if spend is not None:
        m = _matching(monetary_value, x)
        times, weights = _horizon_weights(purchases, periods, period_length, discount_rate)
        horizons = _checked_horizons(purchases, times)
    else:
        check_horizon_options(purchases, spend, periods, period_length, discount_rate)
    preds, params = purchases.predictions, purchases._values
    names = ["p_alive", "expected_purchases"]
    names += ["expected_spend", "clv"] if spend is not None else []
    out = {name: np.empty(x.shape[0]) for name in names}
    for lo in range(0, x.shape[0], chunk_size):
        sl = slice(lo, lo + chunk_size)
        alive = preds.p_alive(params, x[sl], tx[sl], t[sl])
        out["p_alive"][sl] = alive
        if preds.remaining is not None:
            out["expected_purchases"][sl] = alive * preds.remaining(params, h, x[sl], t[sl])[:, 0]
        else:
            out["expected_purchases"][sl] = preds.conditional_expected_purchases(
                params, h, x[sl], tx[sl], t[sl]
            )
        if spend is not None:
            value = _spend(spend, x[sl], m[sl])
            out["expected_spend"][sl] = value
            out["clv"][sl] = value * preds.weighted_purchases(
                params, horizons, weights, x[sl], tx[sl], t[sl], alive=alive
            )
    return out


def _period_length(purchases: object, period_length: float | None) -> float:
    if period_length is not None:
        return check_number(period_length, "period_length", low=0.0, low_open=True)
    unit = getattr(purchases, "time_unit", None)
    if unit is None:
        raise ArgumentError(
            f"the purchase model's time unit is {unit!r}: pass period_length (the length of one "
            "period in the model's time unit), or set it with model.with_time_unit('W')",
            argument="period_length",
        )
    return TimeUnit.parse(unit).per_month  # a month of 365.25 / 12 days, in the model's unit


def clv_from_dert(
    purchases: Any,
    spend: SpendModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike | None,
    *,
    continuous_discount_rate: float,
) -> FloatArray:
    """Residual lifetime value with continuous discounting: expected spend times DERT.

    ``continuous_discount_rate`` is the continuous rate per time unit of the purchase model (an
    annual rate of 15% in weekly data is ``log(1.15) / 52``). The purchase model must be a
    continuous-time model that provides ``dert`` (BG/NBD, Pareto/NBD); BG/BB discounts per
    opportunity (``BGBB.dert(..., discount_rate_per_opportunity=...)``).

    .. math:: \\mathrm{CLV}_{\\text{residual}} = E[Z \\mid x, \\bar z]\\,
        \\mathrm{DERT}(\\delta \\mid x, t_x, T)

    (Fader, Hardie & Lee 2005, "RFM and CLV": the expected margin per transaction times the
    discounted expected residual transactions).

    Parameters
    ----------
    purchases
        A continuous-time relmark purchase model with ``dert`` (BG/NBD, Pareto/NBD).
    spend
        A spend model with ``expected_spend`` (Gamma-Gamma).
    frequency
        Repeat purchases of each customer (whole numbers >= 0), a number or an array.
    recency
        Time of each customer's last repeat purchase since their first, in the purchase
        model's time unit.
    T
        Each customer's age, in the purchase model's time unit (``T >= recency``).
    monetary_value
        Each customer's mean spend per repeat purchase, in money units (a number is
        everyone's).
    continuous_discount_rate
        The continuous discount rate per time unit of the purchase model, a finite number
        > 0, keyword-only.

    Returns
    -------
    numpy.ndarray
        The residual lifetime value of each customer, shape ``(n,)``, in the money unit of
        ``monetary_value``.

    Raises
    ------
    ParameterError
        For a purchase model without DERT (MBG/NBD), or a spend model that predicts a
        negative or infinite spend.
    ArgumentError
        For a discrete-time model (BG/BB; naming ``purchases``), an object that is not a
        relmark model, a missing ``monetary_value`` or a rate that is not a finite number > 0.
    DataError
        For an invalid history or a ``monetary_value`` of another length (naming the column).

    Examples
    --------
    >>> import math
    >>> from relmark.clv import BGNBD, GammaGamma, clv_from_dert
    >>> bg = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> rate = math.log(1.15) / 52  # 15 % a year, weekly data
    >>> value = clv_from_dert(bg, gg, 2, 30.43, 38.86, 22.35, continuous_discount_rate=rate)
    >>> round(float(value[0]), 2)  # 24.66 expected per purchase x 5.17 discounted purchases
    127.5
    """
    if not hasattr(purchases, "dert"):
        raise ParameterError(
            f"{type(purchases).__name__} has no dert (discounted residual "
            "transactions); use clv() with a horizon instead",
            argument="purchases",
        )
    _check_models(purchases, spend, rfm=True)
    if purchases.discrete:
        raise ArgumentError(
            f"{purchases.name} counts time in opportunities: a continuous rate does not apply; "
            "use its dert(..., discount_rate_per_opportunity=...)",
            argument="purchases",
        )
    rate = check_number(
        continuous_discount_rate, "continuous_discount_rate", low=0.0, low_open=True
    )
    x, tx, t = purchases._rfm(frequency, recency, T)
    m = _matching(monetary_value, x)
    dert = np.asarray(purchases.dert(x, tx, t, continuous_discount_rate=rate), dtype=np.float64)
    return _spend(spend, x, m) * dert


def clv_interval(
    purchases: CLVModel,
    spend: CLVModel,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike | None,
    *,
    level: float = 0.95,
    n_draws: int = 200,
    rng: RngLike = None,
    **options: Any,
) -> Interval:
    """:func:`clv` with an interval of coverage ``level`` from both models' parameter
    uncertainty.

    Parameters are drawn independently for the two models from their estimates' asymptotic
    distributions (the purchase and spend likelihoods are separate, so their estimates are
    independent); the interval is the quantiles of CLV over the draws.

    Parameters
    ----------
    purchases, spend
        Fitted purchase and spend models (their fit results give the covariances).
    frequency, recency, T, monetary_value
        Per-customer history, as for :func:`clv`.
    level
        Coverage of the interval, strictly between 0 and 1 (default 0.95).
    n_draws
        Parameter draws per model (a whole number >= 2).
    rng
        Random generator or seed.
    **options
        ``periods``, ``period_length``, ``discount_rate``, ``chunk_size`` of :func:`clv`.

    Returns
    -------
    Interval
        ``(estimate, lower, upper)`` per customer, with ``lower <= upper``.

    Raises
    ------
    ArgumentError
        For a level outside (0, 1), a bad ``n_draws``, or an option :func:`clv` refuses.
    ModelNotFittedError
        For a model without a fit result (or without a finite covariance).
    """
    coverage = check_level(level, "level")
    n_draws = check_count(n_draws, "n_draws", minimum=2)
    unknown = set(options) - {"periods", "period_length", "discount_rate", "chunk_size"}
    if unknown:
        raise ArgumentError(
            "clv_interval takes periods, period_length, discount_rate and chunk_size as "
            "options of clv()",
            argument=sorted(unknown)[0],
        )
    _check_models(purchases, spend)
    gen = check_rng(rng, "rng")
    est = clv(purchases, spend, frequency, recency, T, monetary_value, **options)  # type: ignore[arg-type]
    p_draws = purchases.sample_params(n_draws, rng=gen)
    s_draws = spend.sample_params(n_draws, rng=gen)
    sims = np.stack(
        [
            clv(
                purchases.with_params(pd_),  # type: ignore[arg-type]
                spend.with_params(sd_),  # type: ignore[arg-type]
                frequency,
                recency,
                T,
                monetary_value,
                **options,
            )
            for pd_, sd_ in zip(p_draws, s_draws, strict=True)
        ]
    )
    tail = (1.0 - coverage) / 2.0
    lo, hi = np.quantile(sims, [tail, 1.0 - tail], axis=0)
    return Interval((est, np.asarray(lo, np.float64), np.asarray(hi, np.float64)))


_MAX_PERIODS = 10_000
"""More periods than this in a CLV horizon is a mistake (and a large allocation)."""


def _check_models(
    purchases: object, spend: object, *, rfm: bool = False, optional_spend: bool = False
) -> None:
    """The purchase and spend models are models (an ArgumentError naming the one that is not;
    ``spend=None`` only where it is optional: clv() raised AttributeError on it)."""
    if rfm and not isinstance(purchases, RFMModel):
        raise ArgumentError(
            f"must be a relmark purchase model (BGNBD, ParetoNBD, ...), got "
            f"{type(purchases).__name__}",
            argument="purchases",
        )
    if not callable(getattr(purchases, "conditional_expected_purchases", None)):
        raise ArgumentError(
            f"must be a purchase model with conditional_expected_purchases, got "
            f"{type(purchases).__name__}",
            argument="purchases",
        )
    if (spend is not None or not optional_spend) and not callable(
        getattr(spend, "expected_spend", None)
    ):
        raise ArgumentError(
            f"must be a spend model with expected_spend (GammaGamma), got {type(spend).__name__}",
            argument="spend",
        )
