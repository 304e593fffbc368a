"""Shared pieces of the continuous-time (frequency, recency, T) models."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    MAX_WHOLE,
    FloatArray,
    broadcast_columns,
    check_number,
    check_rfm,
    check_rng,
)
from relmark.clv._base import CLVModel, ModelKind, RngLike
from relmark.clv._checks import check_array, check_matching
from relmark.errors import ArgumentError, ParameterError
from relmark.timeunit import TimeUnit

__all__ = ["Predictions", "RFMModel", "as_rng", "broadcast_rfm"]


def as_rng(rng: RngLike) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None (ArgumentError naming ``rng``
    otherwise: numpy raised a raw TypeError for ``"x"`` and ValueError for ``-1``)."""
    return check_rng(rng, "rng")


def broadcast_rfm(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, *, discrete: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate (frequency, recency, T) for a prediction and broadcast scalars (a DataError
    naming the column for text, booleans, NaN, ... and inconsistent histories)."""
    if not discrete and all(type(v) is int or type(v) is float for v in (frequency, recency, T)):
        # one customer (a service's request): validate as Python numbers, no array round trips
        fx, ftx, ft = float(frequency), float(recency), float(T)  # type: ignore[arg-type]
        if (
            math.isfinite(fx + ftx + ft)
            and 0 <= fx <= MAX_WHOLE
            and fx == int(fx)
            and 0 <= ftx <= ft
            and (fx == 0) == (ftx == 0)
        ):
            return np.array([fx]), np.array([ftx]), np.array([ft])
    # broadcast_columns refuses text, booleans and ragged lists naming the column (a ragged
    # list raised numpy's raw ValueError from a check made here before)
    # (check_rfm refuses NaN and infinities, naming the column as broadcast_columns would)
    x, tx, t = broadcast_columns({"frequency": frequency, "recency": recency, "T": T}, finite=False)
    return check_rfm(x, tx, t, discrete=discrete)


@dataclass(frozen=True)
class Predictions:
    """A model's prediction functions (params array first), declared once per model module."""

    p_alive: Callable[..., FloatArray]
    conditional_expected_purchases: Callable[..., FloatArray]
    expected_purchases_new_customer: Callable[..., FloatArray]
    prob_purchases: Callable[..., FloatArray]
    simulate: Callable[..., dict[str, FloatArray]]
    dert: Callable[..., FloatArray] | None = None
    remaining: Callable[..., FloatArray] | None = None
    """Optional ``(params, times, x, T, weights=None)``: expected purchases in ``(T, T+t]`` of
    a customer *alive at T*, shape (customers, horizons), or summed over horizons against
    ``weights``. Models whose expectation factors as ``P(alive) * remaining`` declare it, and
    scoring then computes ``P(alive)`` once for every horizon and the CLV."""
    conditional_prob_purchases: Callable[..., FloatArray] | None = None
    """Optional ``(params, n, t, x, t_x, T)``: :math:`P(Y(t) = n \\mid x, t_x, T)`."""
    p_alive_ahead: Callable[..., FloatArray] | None = None
    """Optional ``(params, t, x, t_x, T)``: P(alive at ``T + t``) given the history."""

    def weighted_purchases(
        self,
        params: FloatArray,
        times: FloatArray,
        weights: FloatArray,
        x: FloatArray,
        tx: FloatArray,
        T: FloatArray,
        *,
        alive: FloatArray | None = None,
    ) -> FloatArray:
        """``sum_h weights_h E[Y(times_h) | x, t_x, T]`` for each customer (``alive``: the
        customers' P(alive) when already computed)."""
        if self.remaining is not None:
            alive = self.p_alive(params, x, tx, T) if alive is None else alive
            summed: FloatArray = alive * self.remaining(params, times, x, T, weights)
            return summed
        cumulative = self.conditional_expected_purchases(
            params, times[None, :], x[:, None], tx[:, None], T[:, None]
        )
        out: FloatArray = cumulative @ weights
        return out


MAX_CELLS = 10_000
"""The largest ``max_frequency``, ``points`` or discrete ``T`` of a (frequency, recency) grid."""


def rfm_grid(
    *, T: object, max_frequency: object, points: object, discrete: bool
) -> tuple[float, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """The (frequency, recency) grid of customers aged ``T`` (checked): frequencies
    ``0..max_frequency`` by recencies in ``[0, T]`` (``points`` of them; every period in
    discrete time), as ``(T, frequency, recency, impossible)`` with 2-d arrays of shape
    ``(max_frequency + 1, recencies)``; ``impossible`` marks cells no customer can be in
    (repeat purchases at recency 0, no purchase at recency > 0; in discrete time more
    purchases than opportunities). Frequency 0 sits at recency 0 in every column.
    """
    if discrete:
        age = check_number(T, "T", low=1.0, high=MAX_CELLS, whole=True)
    else:
        age = check_number(T, "T", low=0.0, low_open=True)
    max_f = int(check_number(max_frequency, "max_frequency", low=1, high=MAX_CELLS, whole=True))
    n = int(check_number(points, "points", low=2, high=MAX_CELLS, whole=True))
    f = np.arange(0, max_f + 1, dtype=np.float64)
    if discrete:
        r = np.arange(0.0, age + 1.0)
        ff, rr = np.meshgrid(f, r, indexing="ij")
        return age, ff, rr, (ff > rr) | ((ff == 0) & (rr > 0))
    r = np.linspace(0.0, age, n)
    ff, rr = np.meshgrid(f, r, indexing="ij")
    rr = np.where(ff == 0, 0.0, np.maximum(rr, min(1e-9, age)))  # x = 0 means t_x = 0
    return age, ff, rr, np.zeros(ff.shape, dtype=bool)


def history_matrix(
    fn: Callable[[FloatArray, FloatArray, FloatArray], FloatArray],
    *,
    T: object,
    max_frequency: object,
    points: object,
    discrete: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """``fn(frequency, recency, T)`` over the grid of :func:`rfm_grid`: ``(frequency,
    recency, values, impossible)``, ``values`` NaN in the impossible cells (2-d arrays; the
    figures of :mod:`relmark.plot` mask them, the frames leave them out)."""
    age, ff, rr, impossible = rfm_grid(
        T=T, max_frequency=max_frequency, points=points, discrete=discrete
    )
    ok = ~impossible
    values = np.full(ff.shape, np.nan)
    values[ok] = fn(ff[ok], rr[ok], np.full(int(ok.sum()), age))
    return ff, rr, values, impossible


def _grid_frame(
    ff: FloatArray,
    rr: FloatArray,
    values: FloatArray,
    impossible: npt.NDArray[np.bool_],
    age: float,
    name: str,
) -> pd.DataFrame:
    """The possible cells of a grid as a tidy frame (frequency 0 once, at recency 0)."""
    ok = ~impossible
    ok[0, 1:] = False  # frequency 0 is one history (recency 0), repeated in every column
    return pd.DataFrame(
        {"frequency": ff[ok], "recency": rr[ok], "T": np.full(int(ok.sum()), age), name: values[ok]}
    )


def _purchase_times(purchases: object, time_unit: str | None) -> FloatArray:
    """A customer's purchase times as numbers in the model's time unit (dates converted with
    ``time_unit``), at least one, finite."""
    raw = np.asarray(purchases)
    if raw.ndim != 1 or raw.shape[0] == 0:
        raise ArgumentError("must be a list of purchase times (at least one)", argument="purchases")
    if raw.dtype.kind in "iuf":
        times = raw.astype(np.float64)
        # times since the first: a span beyond the floats (-1e308 to 1e308) overflowed to inf
        with np.errstate(over="ignore", invalid="ignore"):
            span = float(times.max() - times.min())
        if not np.all(np.isfinite(times)) or not math.isfinite(span):
            raise ArgumentError("must be finite numbers (and a finite span)", argument="purchases")
        return times
    if raw.dtype.kind == "b":
        raise ArgumentError("must be numbers or dates, not booleans", argument="purchases")
    if raw.dtype.kind == "O" and not all(
        isinstance(v, str | np.datetime64 | datetime.date) for v in raw
    ):  # None, numbers among dates: pandas read numbers as epochs (with a warning)
        raise ArgumentError(
            "must be all numbers or all dates (text, datetime or pandas timestamps)",
            argument="purchases",
        )
    try:
        dates = pd.to_datetime(pd.Series(raw), format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        # pandas refuses dates in several offsets without utc=True
        dates = _aware_dates(raw)
    if dates.isna().any():
        raise ArgumentError("holds a missing date", argument="purchases")
    if time_unit is None:
        raise ArgumentError(
            "are dates, but the model has no time unit to convert them (fit it on a summary, "
            "or model.with_time_unit('W'))",
            argument="purchases",
        )
    days = TimeUnit.parse(time_unit).days
    elapsed = (dates - dates.min()).dt.total_seconds().to_numpy() / 86_400.0
    out: FloatArray = np.asarray(elapsed, dtype=np.float64) / days
    return out


def _aware_dates(raw: npt.NDArray[np.generic]) -> pd.Series:
    """Dates that are all timezone-aware (in different offsets) as UTC; an ArgumentError
    naming ``purchases`` for naive and aware dates mixed, or anything else."""
    try:
        each = [pd.Timestamp(v) for v in raw]
    except (ValueError, TypeError, OverflowError):
        raise ArgumentError("must be numbers or dates", argument="purchases") from None
    aware = [v.tzinfo is not None for v in each if not pd.isna(v)]
    if any(aware) and not all(aware):
        raise ArgumentError("mixes timezone-aware and naive dates", argument="purchases")
    if not aware or not all(aware):
        raise ArgumentError("must be numbers or dates", argument="purchases")
    return pd.Series(pd.to_datetime(each, utc=True))


def _match(values: FloatArray, name: str, *columns: FloatArray) -> tuple[FloatArray, ...]:
    """An argument and the (equally long) history columns, each of one value or ``m``, all
    broadcast to ``m`` (an ArgumentError naming ``name`` for other lengths)."""
    m = columns[0].shape[0]
    if values.shape[0] != m:
        if m == 1:
            columns = tuple(np.repeat(c, values.shape[0]) for c in columns)
        elif values.shape[0] == 1:
            values = np.repeat(values, m)
        else:
            check_matching(values, name, m)
    return (values, *columns)


class RFMModel(CLVModel):
    """Base of models of per-customer (frequency, recency, T).

    A concrete model declares its :class:`Predictions`; this base validates the inputs once and
    gives every model the same methods: ``p_alive``, ``conditional_expected_purchases``,
    ``expected_purchases_new_customer``, ``prob_purchases``, ``dert`` (where the model has it) and
    ``simulate``. Discrete-time models override :meth:`_rfm` and :meth:`_horizon`.
    """

    kind: ClassVar[ModelKind] = "purchase"
    data_fields: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    _finite_by_validation: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    """:func:`relmark._validation.check_rfm` (:meth:`_validate_data`) refuses their NaN and
    infinities: :meth:`_coerce` does not look for them first."""
    predictions: ClassVar[Predictions]
    discrete: ClassVar[bool] = False
    """Whether time is counted in whole periods (BG/BB, sBG): horizons must be whole numbers."""

    @classmethod
    def _rfm(
        cls, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Validate and broadcast a prediction's customer histories."""
        return broadcast_rfm(frequency, recency, T, discrete=cls.discrete)

    def p_alive(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        t: npt.ArrayLike = 0.0,
    ) -> FloatArray:
        """Probability that each customer is still active at ``T`` (or, with ``t``, at the
        future time ``T + t``), given their history: :math:`P(\\text{alive at } T+t \\mid x,
        t_x, T)`.

        The formula is the model's (see the ``p_alive`` function of its module, e.g.
        :func:`relmark.clv.bgnbd.p_alive`, and ``p_alive_ahead`` for ``t > 0``, e.g.
        :func:`relmark.clv.bgnbd.p_alive_ahead`).

        Parameters
        ----------
        frequency
            Repeat purchases of each customer (whole numbers >= 0), a number or an array.
        recency
            Time of each customer's last repeat purchase since their first, in the model's
            time unit (0 without repeat purchases; whole periods in discrete time).
        T
            Each customer's age: time since their first purchase, in the model's time unit
            (``T >= recency``; the number of opportunities in discrete time). Scalars broadcast
            against arrays.
        t
            Keyword-only: how far after ``T`` (in the model's time unit, >= 0): one number, or
            one per customer. The default 0 is P(alive) at ``T``; ``t > 0`` is available for
            BG/NBD, MBG/NBD and Pareto/NBD.

        Returns
        -------
        numpy.ndarray
            One probability in ``[0, 1]`` per customer, shape ``(n,)``.

        Raises
        ------
        DataError
            For an invalid history (text, booleans, NaN, negative or fractional counts,
            ``recency > T``, ``recency > 0`` without repeat purchases, ...), naming the column.
        ArgumentError
            For ``t`` that is not finite numbers >= 0, or not one per customer (naming ``t``).
        ParameterError
            For ``t > 0`` with a model without P(alive) ahead (BG/BB, sBG).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> [round(float(p), 3) for p in model.p_alive([0, 2], [0, 30.43], [38.86, 38.86])]
        [1.0, 0.727]
        >>> [round(float(p), 3) for p in model.p_alive(2, 30.43, 38.86, t=[0, 52])]
        [0.727, 0.532]
        """
        horizon: object = t
        if (type(horizon) is float or type(horizon) is int) and horizon == 0:  # the default
            return self.predictions.p_alive(self._values, *self._rfm(frequency, recency, T))
        h = self._horizon(t)
        x, tx, age = self._rfm(frequency, recency, T)
        h, x, tx, age = _match(h, "t", x, tx, age)
        if not h.any():
            return self.predictions.p_alive(self._values, x, tx, age)
        if self.predictions.p_alive_ahead is None:
            raise ParameterError(
                f"{self.name} has no P(alive) ahead (t > 0); use t=0, or BG/NBD, MBG/NBD or "
                "Pareto/NBD"
            )
        return self.predictions.p_alive_ahead(self._values, h, x, tx, age)

    def conditional_expected_purchases(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        t: npt.ArrayLike,
    ) -> FloatArray:
        """Expected purchases in the next ``t`` (after ``T``) of each customer, given their
        history: :math:`E[Y(t) \\mid x, t_x, T]` (PyMC-Marketing's ``expected_purchases``,
        lifetimes' ``conditional_expected_number_of_purchases_up_to_time``).

        Parameters
        ----------
        frequency, recency, T
            Each customer's history (numbers or arrays).
        t
            The horizon, keyword-only: one number, or one per customer (>= 0; whole in
            discrete time).

        Returns
        -------
        numpy.ndarray
            One expectation per customer.

        Raises
        ------
        DataError
            For an invalid history (naming the column).
        ArgumentError
            For an invalid horizon.
        """
        h = self._horizon(t)
        x, tx, age = self._rfm(frequency, recency, T)
        check_matching(h, "t", x.shape[0])
        return self.predictions.conditional_expected_purchases(self._values, h, x, tx, age)

    def expected_purchases_new_customer(self, *, t: npt.ArrayLike) -> FloatArray:
        """Expected repeat purchases of a *new* customer in ``(0, t]``: :math:`E[X(t)]`
        (lifetimes' ``expected_number_of_purchases_up_to_time``).

        Parameters
        ----------
        t
            The horizons, keyword-only (>= 0; whole in discrete time).

        Returns
        -------
        numpy.ndarray
            One expectation per horizon.

        Raises
        ------
        ArgumentError
            For horizons that are not finite numbers >= 0 (or not whole in discrete time),
            naming ``t``.

        Examples
        --------
        FHL (2005) BG/NBD estimates for CDNOW (weeks): a new customer's repeat purchases in
        the first 39 and 78 weeks.

        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases_new_customer(t=[39, 78]).round(3).tolist()
        [1.197, 1.861]
        """
        return self.predictions.expected_purchases_new_customer(self._values, self._horizon(t))

    def prob_purchases(self, n: npt.ArrayLike, *, t: npt.ArrayLike) -> FloatArray:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        Parameters
        ----------
        n
            Counts, whole numbers >= 0.
        t
            The horizons, keyword-only: one, or one per count.

        Returns
        -------
        numpy.ndarray
            :math:`P(X(t) = n)`, of the broadcast shape of ``n`` and ``t``.

        Raises
        ------
        ArgumentError
            For counts that are not whole numbers >= 0 (``n``), invalid horizons (``t``) or
            lengths that do not match.

        Examples
        --------
        Over every count the probabilities sum to 1:

        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.prob_purchases([0, 1, 2], t=39).round(3).tolist()
        [0.574, 0.199, 0.085]
        >>> round(float(model.prob_purchases(list(range(200)), t=39).sum()), 9)
        1.0
        """
        counts = check_array(n, "n", whole=True)
        h = self._horizon(t)
        if counts.shape[0] != h.shape[0] and 1 not in (counts.shape[0], h.shape[0]):
            raise ArgumentError(
                f"has {counts.shape[0]} values for {h.shape[0]} horizons 't' (give one value, "
                "or one per horizon)",
                argument="n",
            )
        return self.predictions.prob_purchases(self._values, counts, h)

    def conditional_prob_purchases(
        self,
        n: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        t: npt.ArrayLike,
    ) -> FloatArray:
        """Probability that each customer makes exactly ``n`` purchases in the next ``t``
        (after ``T``), given their history: :math:`P(Y(t) = n \\mid x, t_x, T)` (lifetimes'
        ``conditional_probability_of_n_purchases_up_to_time``).

        The formula is the model's (e.g. :func:`relmark.clv.bgnbd.conditional_prob_purchases`):
        an inactive customer buys nothing more, an active one is a new customer with the
        posterior mixing distributions. Over ``n`` the probabilities sum to 1 and their mean
        is :meth:`conditional_expected_purchases`; :meth:`prob_purchases` is the new
        customer's.

        Parameters
        ----------
        n
            Counts, whole numbers >= 0.
        frequency, recency, T
            Each customer's history (numbers or arrays).
        t
            The horizon, keyword-only (>= 0).

        Returns
        -------
        numpy.ndarray
            One probability per row, shape ``(m,)``: ``n``, ``t`` and the histories each give
            one value, or ``m`` (a grid of counts for one customer, or one count per
            customer).

        Raises
        ------
        ArgumentError
            For counts that are not whole numbers >= 0 (``n``), invalid horizons (``t``) or
            lengths that do not match (naming the argument).
        DataError
            For an invalid history (naming the column).
        ParameterError
            For a model without it (BG/BB, sBG).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.conditional_prob_purchases([0, 1, 2], 2, 30.43, 38.86, t=39).round(3).tolist()
        [0.445, 0.239, 0.144]
        >>> p = model.conditional_prob_purchases(list(range(300)), 2, 30.43, 38.86, t=39)
        >>> round(float(p.sum()), 9)
        1.0
        """
        counts = check_array(n, "n", whole=True)
        h = self._horizon(t)
        x, tx, age = self._rfm(frequency, recency, T)
        counts, h, x, tx, age = _match(counts, "n", *_match(h, "t", x, tx, age))
        if self.predictions.conditional_prob_purchases is None:
            raise ParameterError(f"{self.name} has no conditional P(n purchases)")
        return self.predictions.conditional_prob_purchases(self._values, counts, h, x, tx, age)

    def dert(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        continuous_discount_rate: float,
    ) -> FloatArray:
        """Discounted expected residual transactions of each customer, discounted continuously
        at ``continuous_discount_rate`` per time unit (an annual 15 % in weekly data is
        ``log(1.15) / 52``).

        With :math:`\\delta` the rate and :math:`Y(t)` the purchases after ``T``,

        .. math:: \\mathrm{DERT}(\\delta \\mid x, t_x, T)
            = \\int_0^\\infty e^{-\\delta t}\\, dE[Y(t) \\mid x, t_x, T]

        (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2); times the expected margin per
        purchase (Gamma-Gamma) it is the customer's residual value,
        :func:`relmark.clv.clv_from_dert`. Each model computes it its own way (see its
        module's ``dert``).

        Parameters
        ----------
        frequency
            Repeat purchases of each customer (whole numbers >= 0).
        recency
            Time of each customer's last repeat purchase since their first, in the model's
            time unit.
        T
            Each customer's age, in the model's time unit.
        continuous_discount_rate
            The continuous discount rate per time unit of the model, a finite number > 0,
            keyword-only.

        Returns
        -------
        numpy.ndarray
            One DERT (discounted purchases, >= 0) per customer, shape ``(n,)``.

        Raises
        ------
        DataError
            For an invalid history (naming the column).
        ParameterError
            For a model without DERT (MBG/NBD).
        ArgumentError
            For a rate that is not a finite number > 0.
        """
        if self.predictions.dert is None:
            raise ParameterError(f"{self.name} has no DERT; use relmark.clv.clv with a horizon")
        rate = check_number(
            continuous_discount_rate, "continuous_discount_rate", low=0.0, low_open=True
        )
        return self.predictions.dert(self._values, rate, *self._rfm(frequency, recency, T))

    def simulate(self, T: npt.ArrayLike, *, rng: RngLike = None) -> dict[str, FloatArray]:
        """Simulate customers observed for ``T`` from this model's generative process.

        Each customer draws their own latent rates (purchase and dropout) from the model's
        mixing distributions, then a purchase history over ``(0, T]`` after their first
        purchase.

        Parameters
        ----------
        T
            Each simulated customer's observation length, in the model's time unit (one value
            per customer, finite and >= 0; whole numbers of opportunities in discrete time).
        rng
            A ``numpy.random.Generator``, a seed or ``None`` (fresh entropy), keyword-only.

        Returns
        -------
        dict of str to numpy.ndarray
            ``frequency``, ``recency`` and ``T`` per customer (ready for :meth:`fit`) and the
            latent ``alive`` flag (1.0 if still active at ``T``), each of shape ``(n,)``.

        Raises
        ------
        ArgumentError
            For ``T`` that is not a finite number >= 0 (or not whole in discrete time).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> sim = model.simulate([39.0] * 1000, rng=1)
        >>> sorted(sim), bool((sim["recency"] <= sim["T"]).all())
        (['T', 'alive', 'frequency', 'recency'], True)
        """
        # the model's horizon check: BG/BB's cap on opportunities too (T = 1e6 ran for minutes)
        ages = self._horizon(T, "T")
        return self.predictions.simulate(self._values, ages, rng=rng)

    def p_alive_matrix(
        self, *, T: float, max_frequency: int = 30, points: int = 60, t: float = 0.0
    ) -> pd.DataFrame:
        """P(alive) over a grid of (frequency, recency) for customers aged ``T``, as data.

        The values :func:`relmark.plot.plot_p_alive_matrix` draws: :meth:`p_alive` at each
        possible cell (lifetimes' ``plot_probability_alive_matrix``, as a tidy frame).

        Parameters
        ----------
        T
            The customers' age, > 0 (a whole number of opportunities in discrete time).
        max_frequency
            The largest frequency, a whole number >= 1.
        points
            Recencies from 0 to ``T``, a whole number >= 2 (discrete time uses every
            opportunity).
        t
            P(alive) at ``T + t`` instead of ``T`` (>= 0; continuous-time models with P(alive)
            ahead).

        Returns
        -------
        pandas.DataFrame
            One row per possible cell, columns ``frequency``, ``recency``, ``T`` and
            ``p_alive``, sorted by frequency then recency (frequency 0 once, at recency 0).

        Raises
        ------
        ArgumentError
            For ``T``, ``max_frequency``, ``points`` or ``t`` that is not a number in range
            (naming it).
        ParameterError
            For ``t > 0`` with a model without P(alive) ahead.

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> grid = model.p_alive_matrix(T=38.86, max_frequency=2, points=3)
        >>> grid.round(3)["p_alive"].tolist()
        [1.0, 0.152, 0.593, 0.754, 0.025, 0.532, 0.812]
        """
        ahead = check_number(t, "t", low=0.0)
        ff, rr, values, impossible = history_matrix(
            lambda x, tx, age: self.p_alive(x, tx, age, t=ahead),
            T=T,
            max_frequency=max_frequency,
            points=points,
            discrete=self.discrete,
        )
        return _grid_frame(ff, rr, values, impossible, float(T), "p_alive")

    def expected_purchases_matrix(
        self, *, t: float, T: float, max_frequency: int = 30, points: int = 60
    ) -> pd.DataFrame:
        """Expected purchases in the next ``t`` over a grid of (frequency, recency), as data.

        The values :func:`relmark.plot.plot_expected_purchases_matrix` draws:
        :meth:`conditional_expected_purchases` at each possible cell for customers aged ``T``
        (lifetimes' ``plot_frequency_recency_matrix``, as a tidy frame).

        Parameters
        ----------
        t
            The horizon, > 0 (whole in discrete time).
        T
            The customers' age, > 0 (whole in discrete time).
        max_frequency
            The largest frequency, a whole number >= 1.
        points
            Recencies from 0 to ``T``, a whole number >= 2.

        Returns
        -------
        pandas.DataFrame
            One row per possible cell, columns ``frequency``, ``recency``, ``T``, ``t`` and
            ``expected_purchases``.

        Raises
        ------
        ArgumentError
            For ``t``, ``T``, ``max_frequency`` or ``points`` out of range (naming it).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> grid = model.expected_purchases_matrix(t=52, T=38.86, max_frequency=1, points=2)
        >>> grid.round(3)["expected_purchases"].tolist()
        [0.252, 0.186, 0.923]
        """
        horizon = check_number(t, "t", low=0.0, low_open=True, whole=self.discrete)
        ff, rr, values, impossible = history_matrix(
            lambda x, tx, age: self.conditional_expected_purchases(x, tx, age, t=horizon),
            T=T,
            max_frequency=max_frequency,
            points=points,
            discrete=self.discrete,
        )
        frame = _grid_frame(ff, rr, values, impossible, float(T), "expected_purchases")
        frame.insert(3, "t", horizon)
        return frame

    def p_alive_path(
        self,
        purchases: npt.ArrayLike,
        *,
        end: float | None = None,
        points: int = 100,
    ) -> pd.DataFrame:
        """P(alive) along one customer's history: at each time, given the purchases so far.

        With the purchases at times :math:`0 = \\tau_0 < \\tau_1 < \\dots` since the first,
        the value at time :math:`u` is :meth:`p_alive` of the history up to :math:`u`:
        :math:`x(u) = \\#\\{i \\ge 1: \\tau_i \\le u\\}`, :math:`t_x(u)` the last
        :math:`\\tau_i \\le u` (0 before the first repeat purchase) and age :math:`T = u`.
        It decays between purchases and jumps at each one (the frame holds the value just
        before and at every purchase); lifetimes' ``plot_history_alive``, as data.

        Parameters
        ----------
        purchases
            The customer's purchase times: numbers in the model's time unit (counted from any
            origin; the first purchase starts the clock; whole opportunities in discrete
            time), or dates (``datetime64``, pandas timestamps or ISO text), converted with
            the model's :attr:`time_unit` (required then). Same-time purchases count once
            (as the summaries merge them).
        end
            The last time shown, since the first purchase (default: the last purchase);
            >= the last purchase.
        points
            Evenly spaced times from 0 to ``end`` besides the purchases, a whole number >= 2.

        Returns
        -------
        pandas.DataFrame
            Columns ``time`` (since the first purchase), ``frequency``, ``recency``, ``T``
            (= ``time``) and ``p_alive``, by time; at a purchase time two rows, the first
            before the purchase counts.

        Raises
        ------
        ArgumentError
            For purchases that are not finite numbers or dates, dates without the model's
            time unit, fractional times in discrete time, ``end`` before the last purchase,
            or a bad ``points`` (naming the argument).

        Examples
        --------
        >>> from relmark.clv import BGNBD
        >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> path = model.p_alive_path([0.0, 10.0], end=30.0, points=4)
        >>> path["p_alive"].round(3).tolist()
        [1.0, 1.0, 0.754, 0.614, 0.509]
        """
        times = _purchase_times(purchases, self.time_unit)
        times = np.unique(times - times.min())
        if self.discrete and not np.array_equal(times, np.floor(times)):
            raise ArgumentError(
                "must be whole opportunities in discrete time", argument="purchases"
            )
        last = float(times[-1])
        stop = last if end is None else check_number(end, "end", low=last, whole=self.discrete)
        n = int(check_number(points, "points", low=2, high=MAX_CELLS, whole=True))
        grid = np.linspace(0.0, stop, n)
        if self.discrete:
            grid = np.unique(np.floor(grid))
        buys = times[1:]
        # every grid time, and each purchase time twice: just before and at the purchase
        at = np.concatenate([grid, buys, buys])
        before = np.concatenate(
            [np.zeros(grid.shape[0] + buys.shape[0], bool), np.ones(buys.shape[0], bool)]
        )
        order = np.lexsort((~before, at))  # by time, "before" first
        at, before = at[order], before[order]
        count = np.where(
            before, np.searchsorted(buys, at, side="left"), np.searchsorted(buys, at, "right")
        )
        x = count.astype(np.float64)
        tx = np.zeros(at.shape[0])
        tx[count > 0] = buys[count[count > 0] - 1]
        keep = np.ones(at.shape[0], dtype=bool)
        keep[1:] = (at[1:] != at[:-1]) | (x[1:] != x[:-1])
        at, x, tx = at[keep], x[keep], tx[keep]
        alive = self.p_alive(x, tx, at)
        return pd.DataFrame({"time": at, "frequency": x, "recency": tx, "T": at, "p_alive": alive})

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        return check_rfm(arrays["frequency"], arrays["recency"], arrays["T"], labels=labels)

    @classmethod
    def _horizon(cls, t: npt.ArrayLike, name: str = "t") -> FloatArray:
        """Validate a prediction horizon: finite numbers >= 0 (whole in discrete time)."""
        return check_array(t, name, whole=cls.discrete)
