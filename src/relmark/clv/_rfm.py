"""Shared pieces of the continuous-time (frequency, recency, T) models."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from relmark._validation import (
    FloatArray,
    broadcast_columns,
    check_number,
    check_rfm,
    check_rng,
)
from relmark.clv._base import CLVModel, ModelKind, RngLike
from relmark.clv._checks import check_array, check_matching
from relmark.errors import ArgumentError, ParameterError

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
            and fx >= 0
            and fx == int(fx)
            and 0 <= ftx <= ft
            and (fx == 0) == (ftx == 0)
        ):
            return np.array([fx]), np.array([ftx]), np.array([ft])
    # broadcast_columns refuses text, booleans and ragged lists naming the column (a ragged
    # list raised numpy's raw ValueError from a check made here before)
    x, tx, t = broadcast_columns({"frequency": frequency, "recency": recency, "T": T})
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

    @classmethod
    def _validate_data(
        cls, arrays: dict[str, FloatArray], labels: Sequence[object] | None
    ) -> tuple[FloatArray, ...]:
        return check_rfm(arrays["frequency"], arrays["recency"], arrays["T"], labels=labels)

    @classmethod
    def _horizon(cls, t: npt.ArrayLike, name: str = "t") -> FloatArray:
        """Validate a prediction horizon: finite numbers >= 0 (whole in discrete time)."""
        return check_array(t, name, whole=cls.discrete)
