"""Win-back: which lapsed customers are worth an offer, and which offer.

A lapsed customer who comes back starts a *second lifetime* with the firm. Stauss & Friege
(1999) value a regained customer by that second lifetime (the second-lifetime value, SLTV),
not by the first; Thomas, Blattberg & Fox (2004) model jointly whether a lapsed customer is
reacquired — which depends on the offer (the price) and on how long ago the customer lapsed —
and how long the second tenure lasts. Here:

- :func:`fit_reacquisition` fits the reacquisition part: a logistic model of reacquisition on
  the value of the offer and the time since lapse, from past win-back attempts;
- :func:`second_lifetime_value` values the second relationship from a margin per period and a
  retention rate (a geometric second tenure, in place of the paper's hazard model);
- :func:`plan_winback` chooses per lapsed customer the offer that maximises
  :math:`P(\\text{reacquired} \\mid \\text{offer}, \\text{lapse}) \\times (\\text{SLTV} -
  \\text{offer}) - \\text{contact cost}`, and says whether any offer is worth making, and why.

References
----------
Stauss, B. & Friege, C. (1999). "Regaining service customers: costs and benefits of regain
management", *Journal of Service Research* 1(4), 347-361. Thomas, J. S., Blattberg, R. C. &
Fox, E. J. (2004). "Recapturing lost customers", *Journal of Marketing Research* 41(1),
31-45.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit

from relmark._validation import as_float_array, as_numbers, check_count, check_number
from relmark.decide.campaign import _design, _irls, _responses, _Stored
from relmark.errors import ArgumentError, DataError, SchemaError
from relmark.typing import FloatArray

__all__ = [
    "ReacquisitionModel",
    "WinbackPlan",
    "fit_reacquisition",
    "plan_winback",
    "second_lifetime_value",
]


def _nonnegative(values: npt.ArrayLike, name: str) -> FloatArray:
    x = as_float_array(values, name)
    if x.size == 0:
        raise DataError("no values: the input is empty", column=name)
    bad = x < 0
    if bad.any():
        raise DataError("must be >= 0", column=name, rows=np.flatnonzero(bad).tolist())
    return x


class ReacquisitionModel(_Stored):
    """A fitted reacquisition model: P(a lapsed customer comes back | offer, time since lapse).

    .. math:: P(\\text{reacquired} \\mid o, \\ell) =
        \\frac{1}{1 + e^{-(\\beta_0 + \\beta_o\\, o + \\beta_\\ell\\, \\ell)}}

    Parameters
    ----------
    names
        ``("intercept", "offer", "time_since_lapse")``.
    coefficients
        Maximum likelihood estimates, log-odds per unit of offer value and of time.
    standard_errors
        From the inverse information at the estimates.
    log_likelihood
        The maximised log-likelihood.
    customers
        Lapsed customers in the fit (win-back attempts).
    reacquired
        Those who came back.
    iterations
        Newton-Raphson iterations taken.
    """

    _kind: ClassVar[str] = "relmark.decide.ReacquisitionModel"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("names", "coefficients", "standard_errors"),
    )
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "standard_errors": (0.0, math.inf, True),
        "log_likelihood": (-math.inf, 0.0, False),
        "customers": (2, math.inf, False),
        "reacquired": (1, math.inf, False),
        "iterations": (1, math.inf, False),
    }

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        if tuple(values["names"]) != _NAMES:
            return "names", f"must be {_NAMES}"
        if values["reacquired"] >= values["customers"]:
            return "reacquired", "must be fewer than the customers (both outcomes are needed)"
        return None

    names: tuple[str, ...]
    coefficients: tuple[float, ...]
    standard_errors: tuple[float, ...]
    log_likelihood: float
    customers: int
    reacquired: int
    iterations: int

    def probability(self, offer: npt.ArrayLike, time_since_lapse: npt.ArrayLike) -> FloatArray:
        """Reacquisition probabilities for offers and times since lapse (a single value is
        repeated).

        Parameters
        ----------
        offer
            Value of the offer (the incentive, in the fit's currency), >= 0: one number or a
            1-d array.
        time_since_lapse
            Time since the customer lapsed, in the fit's unit, >= 0: one number or a 1-d
            array (of the length of ``offer`` when both have more than one value).

        Returns
        -------
        numpy.ndarray
            P(reacquired), in (0, 1), 1-d.

        Raises
        ------
        DataError
            Naming the column: bad values, negative, shapes that do not broadcast.
        SchemaError
            A model whose coefficients do not match its names (tampered JSON).
        """
        if len(self.coefficients) != 3 or self.names != _NAMES:
            raise SchemaError(f"must name {_NAMES}", key="names")
        o = _nonnegative(offer, "offer")
        t = _nonnegative(time_since_lapse, "time_since_lapse")
        if o.size != t.size and 1 not in (o.size, t.size):
            raise DataError(f"has {t.size} values, offer has {o.size}", column="time_since_lapse")
        b0, bo, bt = self.coefficients
        out: FloatArray = expit(b0 + bo * o + bt * t)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table with standard errors.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``names``; columns ``coefficient``, ``standard_error``.
        """
        return pd.DataFrame(
            {"coefficient": self.coefficients, "standard_error": self.standard_errors},
            index=pd.Index(self.names, name="term"),
        )


_NAMES = ("intercept", "offer", "time_since_lapse")


def fit_reacquisition(
    offer: npt.ArrayLike,
    time_since_lapse: npt.ArrayLike,
    reacquired: npt.ArrayLike,
    *,
    max_iter: int = 100,
) -> ReacquisitionModel:
    """Fit reacquisition probability by offer and time since lapse from win-back attempts.

    The reacquisition equation of Thomas, Blattberg & Fox (2004) — the probability that a
    lapsed customer accepts the firm's win-back offer, driven by the offer's price and the
    customer's history — as a logit (they estimate it jointly with the second tenure's
    duration; here it is fitted alone, by Newton-Raphson, as
    :func:`relmark.decide.fit_response_model`):

    .. math:: \\operatorname{logit} P(\\text{reacquired}_i) =
        \\beta_0 + \\beta_o\\, \\text{offer}_i + \\beta_\\ell\\, \\text{time since lapse}_i

    Fit it on attempts where the offers were varied (ideally at random): offers given only
    to the customers thought most likely to return confound the offer with the customer.

    Parameters
    ----------
    offer
        Value of the offer made to each lapsed customer (0 for a plain reminder), >= 0.
    time_since_lapse
        Time since each customer lapsed when the offer was made, >= 0 (days, months: keep
        the unit when predicting).
    reacquired
        1 (True) if the customer came back, 0 (False) otherwise.
    max_iter
        Newton iterations allowed.

    Returns
    -------
    ReacquisitionModel
        The estimates, standard errors and log-likelihood; ``probability`` predicts.

    Raises
    ------
    ArgumentError
        ``max_iter`` not a whole number >= 1.
    DataError
        Naming the column: bad or negative values, lengths that differ, outcomes not 0/1,
        nobody or everybody reacquired, a single offer value or lapse time (not identified),
        separation (no finite estimates).
    ConvergenceError
        No convergence within ``max_iter`` Newton steps (without separation).

    References
    ----------
    Thomas, J. S., Blattberg, R. C. & Fox, E. J. (2004). "Recapturing lost customers",
    *Journal of Marketing Research* 41(1), 31-45.

    Examples
    --------
    >>> m = fit_reacquisition([0, 0, 10, 10, 20, 20, 0, 10, 20, 20],
    ...                       [1, 6, 1, 6, 1, 6, 3, 3, 3, 12],
    ...                       [0, 0, 1, 0, 1, 1, 1, 0, 0, 1])
    >>> m.names
    ('intercept', 'offer', 'time_since_lapse')
    """
    max_iter = check_count(max_iter, "max_iter", minimum=1)
    o = _nonnegative(offer, "offer")
    t = _nonnegative(time_since_lapse, "time_since_lapse")
    _, X = _design({"offer": o, "time_since_lapse": t})
    y = _responses(reacquired, "reacquired", X.shape[0])
    came = int(y.sum())
    if came in (0, y.size):
        what = "nobody" if came == 0 else "everybody"
        raise DataError(
            f"{what} was reacquired: the model needs both outcomes", column="reacquired"
        )
    for name, col in (("offer", o), ("time_since_lapse", t)):
        if np.all(col == col[0]):
            raise DataError(
                "has a single value: its effect on reacquisition is not identified", column=name
            )
    design = np.column_stack([np.ones(y.size), X])
    beta, se, ll, it = _irls(design, y, max_iter=max_iter, tol=1e-10, column="offer")
    return ReacquisitionModel(
        names=_NAMES,
        coefficients=tuple(float(b) for b in beta),
        standard_errors=tuple(float(v) for v in se),
        log_likelihood=ll,
        customers=int(y.size),
        reacquired=came,
        iterations=it,
    )


def second_lifetime_value(
    margin: npt.ArrayLike,
    retention: npt.ArrayLike,
    *,
    discount_rate: float,
    periods: int | None = None,
) -> FloatArray:
    """The value of a regained customer's second relationship (Stauss & Friege's SLTV).

    A regained customer earns ``margin`` in the period they return and in every later period
    they stay, staying each period with probability ``retention`` (a geometric second tenure);
    margins are discounted at ``discount_rate`` per period:

    .. math:: \\text{SLTV} = \\sum_{t=0}^{H-1} m \\left(\\frac{r}{1+d}\\right)^t
        = m\\, \\frac{1 - q^H}{1 - q},\\quad q = \\frac{r}{1+d};\\qquad
        H = \\infty:\\ \\frac{m (1 + d)}{1 + d - r}

    Parameters
    ----------
    margin
        Margin per period of the second relationship (per customer, or one number); net of
        the cost to serve, >= 0.
    retention
        Probability of staying another period in the second relationship, in [0, 1] (< 1
        without ``periods`` when ``discount_rate`` is 0).
    discount_rate
        Discount rate per period, >= 0.
    periods
        Horizon in periods (``None``: no horizon).

    Returns
    -------
    numpy.ndarray
        SLTV per customer (of the broadcast length).

    Raises
    ------
    ArgumentError
        ``discount_rate`` negative or not finite; ``periods`` not a whole number >= 1.
    DataError
        Naming the column: bad values, a negative margin, a retention outside [0, 1], a
        retention of 1 with no discount nor horizon (an infinite value), lengths that differ.

    References
    ----------
    Stauss, B. & Friege, C. (1999). "Regaining service customers: costs and benefits of
    regain management", *Journal of Service Research* 1(4), 347-361.

    Examples
    --------
    >>> second_lifetime_value(100.0, 0.8, discount_rate=0.1)  # 100 * 1.1 / 0.3
    array([366.66666667])
    """
    d = check_number(discount_rate, "discount_rate", low=0.0)
    h = None if periods is None else check_number(periods, "periods", low=1, whole=True)
    m = _nonnegative(margin, "margin")
    r = as_float_array(retention, "retention")
    if r.size == 0:
        raise DataError("no values: the input is empty", column="retention")
    bad = (r < 0) | (r > 1)
    if bad.any():
        raise DataError("must be in [0, 1]", column="retention", rows=np.flatnonzero(bad).tolist())
    if m.size != r.size and 1 not in (m.size, r.size):
        raise DataError(f"has {r.size} values, margin has {m.size}", column="retention")
    q = r / (1.0 + d)
    if h is None:
        if np.any(q == 1.0):
            raise DataError(
                "a retention of 1 with no discount and no horizon: the value is infinite "
                "(pass periods= or a discount_rate > 0)",
                column="retention",
                rows=np.flatnonzero(np.broadcast_to(q, np.broadcast(m, q).shape) == 1.0).tolist(),
            )
        with np.errstate(over="ignore"):
            out: FloatArray = m / (1.0 - q)
        return _finite_value(out)
    ones = q == 1.0
    safe = np.where(ones, 0.5, q)
    with np.errstate(over="ignore", invalid="ignore"):
        finite: FloatArray = np.where(ones, m * h, m * (1.0 - safe**h) / (1.0 - safe))
    return _finite_value(finite)


def _finite_value(values: FloatArray) -> FloatArray:
    """The values, or DataError naming the margin when they overflowed."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            "is too large: the second-lifetime value overflows",
            column="margin",
            rows=np.flatnonzero(bad).tolist(),
        )
    return values


def _sltv_by_offer(values: npt.ArrayLike, offers: int, n: int) -> FloatArray:
    """The SLTV as an (offers, customers) array: one number, one per customer (the same for
    every offer), or one per offer and customer; finite and >= 0 (DataError naming it)."""
    name = "second_lifetime_value"
    raw = as_numbers(values, name)
    if raw.ndim == 2:
        if raw.shape != (offers, n):
            raise DataError(
                f"has shape {raw.shape}: expected ({offers} offers, {n} customers)", column=name
            )
        bad = ~np.isfinite(raw) | (raw < 0)
        if bad.any():
            cols = sorted(set(np.flatnonzero(bad.any(axis=0)).tolist()))
            raise DataError("must be finite numbers >= 0", column=name, rows=cols)
        return raw
    flat = _nonnegative(raw, name)
    if flat.size not in (1, n):
        raise DataError(f"has {flat.size} values for {n} customers", column=name)
    return np.broadcast_to(flat, (offers, n)).astype(np.float64)


class WinbackPlan(_Stored):
    """The win-back decision per lapsed customer: the best offer, its expected value, why.

    Parameters
    ----------
    customer_ids
        Customer ids (text or whole numbers), or positions.
    offer
        The offer maximising the expected value for each customer.
    probability
        P(reacquired) with that offer.
    second_lifetime_value
        Each customer's SLTV.
    expected_value
        ``probability * (SLTV - offer) - contact_cost`` at the best offer.
    worth_an_offer
        ``expected_value > 0``.
    reasons
        The arithmetic, in words.
    offers
        The offers considered.
    contact_cost
        Cost of making an offer (paid whether or not the customer returns).
    customers_worth, total_expected_value
        Customers worth an offer, and the expected value of making them their offers.
    """

    _kind: ClassVar[str] = "relmark.decide.WinbackPlan"
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "offer": (0.0, math.inf, False),
        "probability": (0.0, 1.0, False),
        "second_lifetime_value": (0.0, math.inf, False),
        "offers": (0.0, math.inf, False),
        "contact_cost": (0.0, math.inf, False),
        "customers_worth": (0, math.inf, False),
    }

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        ids = list(values["customer_ids"])
        if len(set(ids)) != len(ids):
            return "customer_ids", "repeat"
        offers = list(values["offers"])
        if not offers or len(set(offers)) != len(offers):
            return "offers", "must be distinct, at least one"
        if any(o not in offers for o in values["offer"]):
            return "offer", "holds an offer that is not one of the offers"
        worth = [e > 0 for e in values["expected_value"]]
        if list(values["worth_an_offer"]) != worth:
            return "worth_an_offer", "must be expected_value > 0"
        if values["customers_worth"] != sum(worth):
            return "customers_worth", "must count the customers worth an offer"
        return None

    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        (
            "customer_ids",
            "offer",
            "probability",
            "second_lifetime_value",
            "expected_value",
            "worth_an_offer",
            "reasons",
        ),
    )

    customer_ids: tuple[str | int, ...]
    offer: tuple[float, ...]
    probability: tuple[float, ...]
    second_lifetime_value: tuple[float, ...]
    expected_value: tuple[float, ...]
    worth_an_offer: tuple[bool, ...]
    reasons: tuple[str, ...]
    offers: tuple[float, ...]
    contact_cost: float
    customers_worth: int
    total_expected_value: float

    def to_frame(self) -> pd.DataFrame:
        """One row per lapsed customer.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``.
        """
        return pd.DataFrame(
            {
                "offer": self.offer,
                "probability": self.probability,
                "second_lifetime_value": self.second_lifetime_value,
                "expected_value": self.expected_value,
                "worth_an_offer": self.worth_an_offer,
                "reason": self.reasons,
            },
            index=pd.Index(list(self.customer_ids), name="customer_id"),
        )


def plan_winback(
    model: ReacquisitionModel,
    *,
    time_since_lapse: npt.ArrayLike,
    second_lifetime_value: npt.ArrayLike,
    offers: Sequence[float],
    contact_cost: float = 0.0,
    customer_ids: Sequence[str | int] | None = None,
) -> WinbackPlan:
    """Which lapsed customers are worth a win-back offer, and which offer.

    For lapsed customer :math:`i` and offer :math:`o` (an incentive worth :math:`o`, paid only
    if the customer returns), with contact cost :math:`c` paid for every offer made:

    .. math:: EV_i(o) = P(\\text{reacquired} \\mid o, \\ell_i)\\, (\\text{SLTV}_i - o) - c,
        \\qquad o_i^* = \\arg\\max_o EV_i(o),

    and customer :math:`i` is worth an offer when :math:`EV_i(o_i^*) > 0` (Stauss & Friege's
    regain profit per customer; Thomas, Blattberg & Fox's trade-off between a richer offer's
    higher reacquisition probability and its cost). Ties between offers go to the cheaper.
    With a single offer ``0`` this is the plain rule SLTV x P(reacquired) - offer cost > 0.

    Parameters
    ----------
    model
        A fitted :class:`ReacquisitionModel`.
    time_since_lapse
        Time since each customer lapsed (the model's unit), >= 0.
    second_lifetime_value
        Each customer's SLTV (:func:`second_lifetime_value`, or a CLV model's value of a
        new customer like them), one number or one per customer; or, when the offer changes
        the second relationship (Thomas, Blattberg & Fox find that the reacquisition price
        also changes the second tenure), an array of shape ``(len(offers), customers)``:
        row ``j`` the SLTV after accepting ``offers[j]``.
    offers
        The offers to consider (values of the incentive), >= 0, distinct, at least one.
    contact_cost
        Cost of making an offer, >= 0.
    customer_ids
        Ids for the plan (default: positions), distinct.

    Returns
    -------
    WinbackPlan
        Per customer the best offer, its probability and expected value, the decision and the
        reason; the totals.

    Raises
    ------
    ArgumentError
        Naming the argument: ``model`` not a ReacquisitionModel, no offers or a negative one,
        a bad contact cost, ids that repeat or are not text or whole numbers, or whose count
        differs from the customers'.
    DataError
        Naming the column: bad or negative times since lapse or SLTVs, lengths that differ.

    References
    ----------
    Stauss, B. & Friege, C. (1999). *Journal of Service Research* 1(4), 347-361.
    Thomas, J. S., Blattberg, R. C. & Fox, E. J. (2004). *JMR* 41(1), 31-45.

    Examples
    --------
    >>> m = ReacquisitionModel(names=("intercept", "offer", "time_since_lapse"),
    ...     coefficients=(-1.0, 0.05, -0.2), standard_errors=(0.1, 0.01, 0.05),
    ...     log_likelihood=-100.0, customers=200, reacquired=60, iterations=5)
    >>> plan = plan_winback(m, time_since_lapse=[1.0, 24.0], second_lifetime_value=200.0,
    ...                     offers=[0, 20], contact_cost=5.0)
    >>> plan.offer, plan.worth_an_offer
    ((20.0, 20.0), (True, False))
    >>> plan.reasons[1][:60]
    'offer 20: P(reacquired) 0.008 x (second-lifetime value 200.0'
    """
    if not isinstance(model, ReacquisitionModel):
        raise ArgumentError(
            f"must be a ReacquisitionModel (from fit_reacquisition), got {type(model).__name__}",
            argument="model",
        )
    c = check_number(contact_cost, "contact_cost", low=0.0)
    if isinstance(offers, str | bytes) or not isinstance(offers, Sequence | np.ndarray):
        raise ArgumentError(f"must be a list of offers, got {offers!r}", argument="offers")
    offer_list = [check_number(o, "offers", low=0.0) for o in offers]
    if not offer_list:
        raise ArgumentError("no offers to consider", argument="offers")
    if len(set(offer_list)) != len(offer_list):
        raise ArgumentError(f"offers repeat: {offer_list}", argument="offers")
    order = np.argsort(offer_list, kind="stable")
    grid = np.asarray(offer_list)[order]
    t = _nonnegative(time_since_lapse, "time_since_lapse")
    n = t.size
    value = _sltv_by_offer(second_lifetime_value, len(offer_list), n)[order]
    if customer_ids is None:
        ids: list[str | int] = list(range(n))
    else:
        if isinstance(customer_ids, str | bytes) or not isinstance(
            customer_ids, Sequence | np.ndarray
        ):
            raise ArgumentError("must be a list of ids", argument="customer_ids")
        ids = []
        for cid in customer_ids:
            if isinstance(cid, bool | np.bool_) or not isinstance(cid, str | int | np.integer):
                raise ArgumentError(
                    f"ids must be text or whole numbers, got {cid!r}", argument="customer_ids"
                )
            ids.append(cid if isinstance(cid, str) else int(cid))
        if len(ids) != n:
            raise ArgumentError(f"has {len(ids)} ids for {n} customers", argument="customer_ids")
        if len(set(ids)) != n:
            raise ArgumentError("ids repeat", argument="customer_ids")
        if len({isinstance(i, str) for i in ids}) > 1:  # 1 and "1" would be two customers
            raise ArgumentError(
                "ids mix text and numbers: give them one type", argument="customer_ids"
            )
    p = model.probability(np.repeat(grid, n), np.tile(t, grid.size)).reshape(grid.size, n)
    with np.errstate(over="ignore", invalid="ignore"):
        ev = p * (value - grid[:, None]) - c
        total = float(np.sum(np.abs(ev)))
    if not math.isfinite(total):
        raise DataError(
            "is too large: the expected values overflow", column="second_lifetime_value"
        )
    best = np.argmax(ev, axis=0)  # first maximum: the cheapest of tied offers
    cols = np.arange(n)
    ev_best = ev[best, cols]
    p_best = p[best, cols]
    o_best = grid[best]
    v = value[best, cols]
    worth = ev_best > 0.0
    offer_l, p_l, v_l = o_best.tolist(), p_best.tolist(), v.tolist()
    ev_l, worth_l = ev_best.tolist(), worth.tolist()
    yes = " > 0: make the offer"
    no = f" <= 0 (the best of {grid.size} offers): not worth an offer"
    reasons = tuple(
        f"offer {o:g}: P(reacquired) {pr:.3f} x (second-lifetime value {sv:.2f} - offer {o:g}) "
        f"- contact {c:g} = {e:.2f}{yes if w else no}"
        for o, pr, sv, e, w in zip(offer_l, p_l, v_l, ev_l, worth_l, strict=True)
    )
    return WinbackPlan(
        customer_ids=tuple(ids),
        offer=tuple(offer_l),
        probability=tuple(p_l),
        second_lifetime_value=tuple(v_l),
        expected_value=tuple(ev_l),
        worth_an_offer=tuple(worth_l),
        reasons=reasons,
        offers=tuple(grid.tolist()),
        contact_cost=c,
        customers_worth=int(worth.sum()),
        total_expected_value=float(ev_best[worth].sum()),
    )
