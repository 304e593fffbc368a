r"""Transaction logs simulated from a fitted purchase model (and, optionally, a spend model).

:func:`simulate_transactions` draws each customer's latent rates from the model's mixing
distributions and then every purchase of their history, with a date and (with a Gamma-Gamma
model) an amount, as one row per transaction: a log that :func:`relmark.data.summarize` turns
back into a summary with the model's distribution (up to the summary's rounding of times to
whole periods).

The individual-level processes:

- BG/NBD (Fader, Hardie & Lee 2005): purchases at rate :math:`\lambda \sim \Gamma(r, \alpha)`;
  after each repeat purchase the customer drops out with probability
  :math:`p \sim B(a, b)`.
- MBG/NBD (Batislam, Denizel & Filiztekin 2007): the same, with a dropout chance after the
  first purchase too.
- Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases at rate :math:`\lambda` during an
  exponential lifetime of rate :math:`\mu \sim \Gamma(s, \beta)`.
- BG/BB (Fader, Hardie & Shang 2010): at each opportunity :math:`1, 2, \dots` the customer
  first drops out with probability :math:`\theta \sim B(\gamma, \delta)`, then, if alive,
  buys with probability :math:`p \sim B(\alpha, \beta)`.
- Gamma-Gamma spend (Fader, Hardie & Lee 2005, "RFM and CLV"): each transaction's amount is
  :math:`\Gamma(p, \nu)` with the customer's :math:`\nu \sim \Gamma(q, \gamma)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import FloatArray, check_rng
from relmark.clv._base import CLVModel
from relmark.errors import ArgumentError, ParameterError
from relmark.timeunit import TimeUnit
from relmark.typing import RngLike

__all__ = ["simulate_transactions"]

_MODELS = ("BGNBD", "MBGNBD", "ParetoNBD", "BGBB")
"""The purchase models whose individual-level histories are simulated here."""

_MAX_ROWS = 50_000_000
"""More simulated transactions than this is a mistake (and a large allocation)."""

_MAX_PER_CUSTOMER = 200_000
"""More repeat purchases of one customer than this is a mistake (the loop runs once per
purchase: a customer buying a billion times hung the simulation)."""


def _continuous_times(
    name: str, params: FloatArray, T: FloatArray, gen: np.random.Generator
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """(customer index, time since the first purchase) of every repeat purchase in (0, T]."""
    n = T.shape[0]
    if name == "ParetoNBD":
        r, alpha, s, beta = params
        lam = gen.gamma(r, 1.0 / alpha, size=n)
        mu = gen.gamma(s, 1.0 / beta, size=n)
        with np.errstate(divide="ignore"):  # a rate drawn as 0 (tiny s): an endless lifetime
            end = np.minimum(gen.exponential(size=n) / mu, T)
        drop = np.zeros(n)
    else:
        r, alpha, a, b = params
        lam = gen.gamma(r, 1.0 / alpha, size=n)
        drop = gen.beta(a, b, size=n)
        end = T.copy()
        if name == "MBGNBD":  # a dropout chance right after the first purchase
            end[gen.random(n) < drop] = 0.0
    who: list[npt.NDArray[np.intp]] = []
    when: list[FloatArray] = []
    now = np.zeros(n)
    active = np.flatnonzero(end > 0)
    total = 0
    rounds = 0
    while active.size:
        rounds += 1
        if rounds > _MAX_PER_CUSTOMER:
            raise ArgumentError(
                f"a customer would make more than {_MAX_PER_CUSTOMER:,} repeat purchases in T "
                "(purchase rates this high are not a customer base)",
                argument="T",
            )
        with np.errstate(divide="ignore"):  # a rate drawn as 0 (tiny r): never buys again
            now[active] += gen.exponential(size=active.size) / lam[active]
        bought = active[now[active] <= end[active]]
        who.append(bought)
        when.append(now[bought].copy())
        total += bought.size
        if total > _MAX_ROWS:
            raise ArgumentError(
                f"would simulate more than {_MAX_ROWS:,} transactions", argument="T"
            )
        # BG/NBD-type customers drop out after a repeat purchase with probability p
        stays = gen.random(bought.size) >= drop[bought]
        active = bought[stays]
    if not who:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(who), np.concatenate(when)


def _discrete_times(
    params: FloatArray, T: FloatArray, gen: np.random.Generator
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """BG/BB: (customer index, opportunity) of every transaction at opportunities 1..T."""
    a, b, g, d = params
    n = T.shape[0]
    p = gen.beta(a, b, size=n)
    theta = gen.beta(g, d, size=n)
    alive = np.ones(n, dtype=bool)
    who: list[npt.NDArray[np.intp]] = []
    when: list[FloatArray] = []
    for j in range(1, int(T.max(initial=0.0)) + 1):
        alive &= gen.random(n) >= theta
        buy = np.flatnonzero(alive & (j <= T) & (gen.random(n) < p))
        who.append(buy)
        when.append(np.full(buy.shape[0], float(j)))
    if not who:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(who), np.concatenate(when)


def simulate_transactions(
    model: CLVModel,
    T: npt.ArrayLike,
    *,
    spend: CLVModel | None = None,
    start: Any = "2020-01-01",
    time_unit: str | None = None,
    rng: RngLike = None,
) -> pd.DataFrame:
    """Simulate a transaction log (customer ids, dates, amounts) from a purchase model.

    Customer ``i`` makes their first purchase at ``start + (max(T) - T[i])`` time units and is
    observed until ``start + max(T)`` (the ``observation_end`` to give
    :func:`relmark.data.summarize`), so their age at the end is ``T[i]``; their repeat
    purchases follow the model's individual-level process (see the module's description) with
    latent rates drawn from its mixing distributions. With whole-number ``T`` and the model's
    time unit given to ``summarize``, the summary's ``T`` is exactly ``T``; its frequency and
    recency are those of the simulated times rounded to whole periods (purchases within one
    period merge, as in any summary): a time unit much shorter than the mean time between
    purchases makes that rounding negligible.

    Parameters
    ----------
    model
        A purchase model with given or fitted parameters: BG/NBD, MBG/NBD, Pareto/NBD or BG/BB
        (``T`` and the times are then whole opportunities, one time unit each).
    T
        Each customer's age at the end of observation, in the model's time unit, one value per
        customer (finite, >= 0; whole in discrete time).
    spend
        A Gamma-Gamma model: each transaction (the first too) gets an ``amount``.
    start
        The date of the earliest first purchase (anything pandas reads as a timestamp).
    time_unit
        The length of the model's time unit (``"D"``, ``"W"``, ``"7D"``, ...): the model's
        :attr:`~relmark.clv.CLVModel.time_unit` by default, required when it has none.
    rng
        A ``numpy.random.Generator``, a seed or ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per transaction, sorted by customer and date: ``customer_id`` (0 .. n-1; a
        customer's first purchase is always a row), ``date`` (pandas timestamps) and, with
        ``spend``, ``amount``.

    Raises
    ------
    ParameterError
        For a model without an individual-level simulation here (naming ``model``) or a
        ``spend`` that is not a Gamma-Gamma model (naming ``spend``).
    ArgumentError
        For ``T`` that is not finite numbers >= 0 (whole in discrete time, at most 10,000
        BG/BB opportunities), a bad ``start`` (a number, or outside pandas' timestamps),
        ``time_unit`` or ``rng``, no time unit at all, a ``start + max(T)`` past the last
        timestamp pandas holds (naming ``T``), a log of more than 50 million rows, or a
        customer with more than 200,000 repeat purchases; a ``spend`` whose amounts are 0 or
        infinite in floating point (naming ``spend``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting your customers' the easy
    way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275-284.

    Examples
    --------
    >>> from relmark.clv import BGNBD, GammaGamma
    >>> from relmark.clv.simulate import simulate_transactions
    >>> from relmark.data import summarize
    >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).with_time_unit("W")
    >>> log = simulate_transactions(model, [39] * 3, spend=GammaGamma(p=6.25, q=3.74,
    ...                             gamma=15.44), rng=1)
    >>> list(log.columns)
    ['customer_id', 'date', 'amount']
    >>> summary = summarize(log, time_unit="W", observation_end="2020-09-29")
    >>> summary.T.tolist()
    [39.0, 39.0, 39.0]
    """
    if not isinstance(model, CLVModel) or model.name not in _MODELS:
        got = model.name if isinstance(model, CLVModel) else type(model).__name__
        raise ParameterError(
            f"simulates transactions of {', '.join(_MODELS)}; got {got}", argument="model"
        )
    if spend is not None and (not isinstance(spend, CLVModel) or spend.name != "GammaGamma"):
        raise ParameterError("must be a GammaGamma model (or None)", argument="spend")
    discrete = model.name == "BGBB"
    # the model's own check of ages: whole in discrete time, and BG/BB's cap on opportunities
    # (a BG/BB T of 10**9 ran one loop round per opportunity)
    ages = model._horizon(T, "T")  # type: ignore[attr-defined]
    gen = check_rng(rng, "rng")
    unit_label = time_unit if time_unit is not None else model.time_unit
    if unit_label is None:
        raise ArgumentError(
            "the model has no time unit: give one (time_unit='W'), or model.with_time_unit(...)",
            argument="time_unit",
        )
    unit = TimeUnit.parse(unit_label)
    if isinstance(start, bool | int | float | np.number):  # pd.Timestamp(5): 5 ns after 1970
        raise ArgumentError(f"must be a date, not the number {start!r}", argument="start")
    try:
        origin = pd.Timestamp(start)
    except (ValueError, TypeError, OverflowError):
        raise ArgumentError(f"is not a date: {start!r}", argument="start") from None
    if pd.isna(origin):
        raise ArgumentError("is not a date", argument="start")
    try:
        origin = origin.as_unit("ns")
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        raise ArgumentError(
            f"{origin} is outside the dates pandas holds ({pd.Timestamp.min} to "
            f"{pd.Timestamp.max})",
            argument="start",
        ) from None
    span = float(ages.max(initial=0.0)) * unit.days
    try:  # the observation end must be a representable timestamp (overflow wrapped around)
        if not span < 106_000:  # days: about 290 years, the nanosecond timestamps' range
            raise OverflowError
        last = origin + pd.Timedelta(round(span * 86_400e9), unit="ns")
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        raise ArgumentError(
            f"start {origin} plus the largest T ({span:g} days) is not a date pandas can hold "
            f"(up to {pd.Timestamp.max})",
            argument="T",
        ) from None
    del last
    params = model.params_array
    if discrete:
        who, when = _discrete_times(params, ages, gen)
    else:
        who, when = _continuous_times(model.name, params, ages, gen)
    n = ages.shape[0]
    customers = np.concatenate([np.arange(n, dtype=np.intp), who])
    times = np.concatenate([np.zeros(n), when]) + (ages.max(initial=0.0) - ages)[customers]
    order = np.lexsort((times, customers))
    customers, times = customers[order], times[order]
    # whole nanoseconds, rounded (not truncated: 38 h as 38 * (1/24) days was 3 ns short, and
    # summarize then counted one more hour of age)
    offsets = pd.to_timedelta(np.round(times * (unit.days * 86_400e9)).astype(np.int64), unit="ns")
    out = pd.DataFrame({"customer_id": customers.astype(np.int64), "date": origin + offsets})
    if spend is not None:
        p, q, gamma = spend.params_array
        with np.errstate(all="ignore"):  # extreme parameters: checked just below
            nu = gen.gamma(q, 1.0 / gamma, size=n)
            amount = gen.gamma(p, 1.0 / nu[customers])
        if not np.all(np.isfinite(amount) & (amount > 0)):
            raise ArgumentError(
                f"Gamma-Gamma (p, q, gamma) = ({p:g}, {q:g}, {gamma:g}) draws amounts beyond "
                "the floats (0 or infinite)",
                argument="spend",
            )
        out["amount"] = amount
    return out
