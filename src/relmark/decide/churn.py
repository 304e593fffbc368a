"""Churn labels: by inactivity, or by a P(alive) threshold chosen on a holdout.

In a non-contractual setting nobody announces that they left; a customer is *labelled* churned
either by a business rule (no purchase for ``k`` periods) or by the purchase model's probability
that they are still active, :math:`P(\\text{alive} \\mid x, t_x, T)` (Fader, Hardie & Lee 2005,
"Counting your customers the easy way", *Marketing Science* 24(2), eq. 11; Schmittlein,
Morrison & Colombo 1987). The threshold on P(alive) is chosen on a calibration/holdout split
(:func:`relmark.data.calibration_holdout`): a customer *did* churn (for scoring) when they made
no purchase in the holdout. A customer is predicted churned when :math:`P(\\text{alive}) < t`;
over candidate thresholds :math:`t` the confusion table gives

.. math:: \\text{precision} = \\frac{TP}{TP+FP}, \\quad \\text{recall} = \\frac{TP}{TP+FN},
    \\quad F_1 = \\frac{2\\,TP}{2\\,TP+FP+FN}, \\quad
    \\text{cost} = c_{FP}\\,FP + c_{FN}\\,FN

(precision is 0 when nobody is predicted churned, :math:`F_1` is 0 when :math:`TP = 0`: the
convention of scikit-learn's ``zero_division=0``). Schmittlein & Peterson (1994, *Marketing
Science* 13(1)) and Wübben & von Wangenheim (2008, *Journal of Marketing* 72(3)) compare such
model-based labels with the managers' inactivity ("hiatus") rule.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    as_float_array,
    as_numbers,
    check_choice,
    check_number,
    check_rfm,
)
from relmark.clv.bgnbd import BGNBD
from relmark.data.summary import RFMSummary
from relmark.errors import ArgumentError, DataError
from relmark.typing import FloatArray

__all__ = [
    "ChurnThresholds",
    "choose_churn_threshold",
    "churn_by_inactivity",
    "churn_by_p_alive",
    "churn_threshold_from_holdout",
    "holdout_churned",
    "next_purchase_probability",
    "next_purchase_time",
]

BoolArray = npt.NDArray[np.bool_]


class _PAliveModel(Protocol):
    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...


def _column(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = as_float_array(values, name)
    if arr.size == 0:
        raise DataError("no values: the input is empty", column=name)
    return arr


def _probabilities(values: npt.ArrayLike, name: str) -> FloatArray:
    p = _column(values, name)
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise DataError(
            "probabilities must be in [0, 1]", column=name, rows=np.flatnonzero(bad).tolist()
        )
    return p


def churn_by_inactivity(recency: npt.ArrayLike, T: npt.ArrayLike, *, periods: float) -> BoolArray:
    """Churned when the customer has not bought for at least ``periods`` periods.

    The time since the last purchase is :math:`T - t_x` (age minus recency, in the summary's
    time unit), as of the summary's end of observation: summarise the log with
    ``observation_end=<the date>`` to label churn as of that date.

    Parameters
    ----------
    recency
        Time of each customer's last purchase since their first (:math:`t_x`).
    T
        Each customer's age at the end of observation (:math:`T \\ge t_x`).
    periods
        The inactivity that counts as churn (``k > 0``, in the same unit).

    Returns
    -------
    numpy.ndarray of bool
        ``T - recency >= periods`` per customer.

    Raises
    ------
    ArgumentError
        Naming ``periods`` when it is not a finite number > 0.
    DataError
        Naming ``recency`` or ``T`` for missing, infinite, negative or text values, columns of
        different lengths, or ``T < recency``.

    Examples
    --------
    >>> churn_by_inactivity([10.0, 2.0, 0.0], [12.0, 30.0, 5.0], periods=5).tolist()
    [False, True, True]
    """
    k = check_number(periods, "periods", low=0.0, low_open=True)
    tx, age = _column(recency, "recency"), _column(T, "T")
    if tx.shape != age.shape:
        raise DataError(f"has {age.shape[0]} values for {tx.shape[0]} recencies", column="T")
    for name, arr in (("recency", tx), ("T", age)):
        if (arr < 0).any():
            raise DataError("must be >= 0", column=name, rows=np.flatnonzero(arr < 0).tolist())
    if (age < tx).any():
        raise DataError(
            "T (age) is smaller than recency", column="T", rows=np.flatnonzero(age < tx).tolist()
        )
    out: BoolArray = (age - tx) >= k
    return out


def churn_by_p_alive(p_alive: npt.ArrayLike, *, threshold: float) -> BoolArray:
    """Churned when the model's P(alive) is below ``threshold``.

    Parameters
    ----------
    p_alive
        Each customer's probability of being active, in ``[0, 1]`` (e.g.
        ``BGNBD.p_alive(frequency, recency, T)``).
    threshold
        In ``[0, 1]``; ``0`` labels nobody churned.

    Returns
    -------
    numpy.ndarray of bool
        ``p_alive < threshold``.

    Raises
    ------
    ArgumentError
        Naming ``threshold`` outside ``[0, 1]``.
    DataError
        Naming ``p_alive`` for values outside ``[0, 1]``, NaN or text.

    Examples
    --------
    >>> churn_by_p_alive([0.1, 0.5, 0.9], threshold=0.5).tolist()
    [True, False, False]
    """
    t = check_number(threshold, "threshold", low=0.0, high=1.0)
    p = _probabilities(p_alive, "p_alive")
    out: BoolArray = p < t
    return out


def holdout_churned(summary: RFMSummary) -> BoolArray:
    """Who churned in the holdout: no purchase in it (``frequency_holdout == 0``).

    Parameters
    ----------
    summary
        A :func:`relmark.data.calibration_holdout` summary.

    Returns
    -------
    numpy.ndarray of bool
        One per customer, in the summary's order.

    Raises
    ------
    ArgumentError
        Naming ``summary`` when it is not an :class:`~relmark.data.RFMSummary`.
    DataError
        Naming ``frequency_holdout`` when the summary has no holdout columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from relmark.data import calibration_holdout
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                     "date": ["2024-01-01", "2024-01-20", "2024-01-03"]})
    >>> s = calibration_holdout(log, calibration_end="2024-01-10",
    ...                         observation_end="2024-01-31")
    >>> holdout_churned(s).tolist()
    [False, True]
    """
    if not isinstance(summary, RFMSummary):
        raise ArgumentError(
            f"must be an RFMSummary from calibration_holdout, got {type(summary).__name__}",
            argument="summary",
        )
    if "frequency_holdout" not in summary.columns:
        raise DataError(
            "the summary has no holdout: build it with relmark.data.calibration_holdout",
            column="frequency_holdout",
        )
    out: BoolArray = np.asarray(summary.frequency_holdout) == 0
    return out


@dataclass(frozen=True)
class ChurnThresholds:
    """The confusion table over thresholds and the threshold chosen.

    Row ``j`` of the table is the rule "churned when P(alive) < ``thresholds[j]``" scored
    against the observed churn. Ties are resolved to the smallest threshold.

    Parameters
    ----------
    criterion
        ``"f1"`` (maximised) or ``"cost"`` (minimised).
    cost_false_positive, cost_false_negative
        The costs used for ``cost`` (an active customer labelled churned; a churner missed).
    thresholds
        The candidates, increasing.
    true_positives, false_positives, false_negatives, true_negatives
        The confusion counts at each threshold.
    precision, recall, f1, cost
        The scores at each threshold (precision 0 without predicted churners, F1 0 without
        true positives).
    best
        Position of the chosen threshold in ``thresholds``.

    Examples
    --------
    >>> r = choose_churn_threshold([0.1, 0.4, 0.8], [True, False, False], thresholds=[0.5])
    >>> r.threshold, r.precision[0], r.recall[0]
    (0.5, 0.5, 1.0)
    """

    criterion: str
    cost_false_positive: float
    cost_false_negative: float
    thresholds: tuple[float, ...]
    true_positives: tuple[int, ...]
    false_positives: tuple[int, ...]
    false_negatives: tuple[int, ...]
    true_negatives: tuple[int, ...]
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    cost: tuple[float, ...]
    best: int

    @property
    def threshold(self) -> float:
        """The chosen threshold."""
        return self.thresholds[self.best]

    @property
    def chosen(self) -> dict[str, float]:
        """The chosen row: threshold, counts, precision, recall, F1 and cost."""
        row = self.to_frame().iloc[self.best]
        return {str(k): float(v) for k, v in row.items()}

    def to_frame(self) -> pd.DataFrame:
        """The table, one row per threshold.

        Returns
        -------
        pandas.DataFrame
            Columns ``threshold``, ``true_positives``, ``false_positives``,
            ``false_negatives``, ``true_negatives``, ``precision``, ``recall``, ``f1``,
            ``cost``.
        """
        names = (
            "thresholds",
            "true_positives",
            "false_positives",
            "false_negatives",
            "true_negatives",
            "precision",
            "recall",
            "f1",
            "cost",
        )
        frame = pd.DataFrame({n: list(getattr(self, n)) for n in names})
        return frame.rename(columns={"thresholds": "threshold"})

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain lists and numbers, for JSON.

        Returns
        -------
        dict
            Every field.
        """
        return json.loads(json.dumps(asdict(self)))  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
            Strict JSON.
        """
        return json.dumps(self.to_dict(), allow_nan=False)


def _thresholds(values: npt.ArrayLike | None) -> FloatArray:
    if values is None:
        return np.round(np.linspace(0.0, 1.0, 101), 2)
    try:
        t = as_numbers(values, "thresholds")
    except DataError as exc:
        raise ArgumentError(str(exc), argument="thresholds") from None
    t = t.reshape(1) if t.ndim == 0 else t
    if t.ndim != 1 or t.size == 0:
        raise ArgumentError("must be a non-empty 1-d list of numbers", argument="thresholds")
    if not np.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        raise ArgumentError("every threshold must be a number in [0, 1]", argument="thresholds")
    out: FloatArray = np.unique(t)
    return out


def choose_churn_threshold(
    p_alive: npt.ArrayLike,
    churned: npt.ArrayLike,
    *,
    criterion: Literal["f1", "cost"] = "f1",
    cost_false_positive: float = 1.0,
    cost_false_negative: float = 1.0,
    thresholds: npt.ArrayLike | None = None,
) -> ChurnThresholds:
    """Score "churned when P(alive) < t" against observed churn and choose ``t``.

    Parameters
    ----------
    p_alive
        Each customer's P(alive) at the end of calibration, in ``[0, 1]``.
    churned
        Observed churn (booleans): no purchase in the holdout (:func:`holdout_churned`).
    criterion
        ``"f1"``: maximise :math:`F_1`; ``"cost"``: minimise
        :math:`c_{FP}\\,FP + c_{FN}\\,FN`.
    cost_false_positive
        Cost of labelling an active customer churned (a wasted retention offer), >= 0.
    cost_false_negative
        Cost of missing a churner (the margin lost), >= 0; not both costs 0.
    thresholds
        Candidate thresholds in ``[0, 1]`` (default ``0, 0.01, ..., 1``).

    Returns
    -------
    ChurnThresholds
        The table over thresholds and the chosen one (ties: the smallest).

    Raises
    ------
    ArgumentError
        Naming ``criterion``, ``cost_false_positive``, ``cost_false_negative`` or
        ``thresholds`` when invalid.
    DataError
        Naming ``p_alive`` (NaN, text, outside ``[0, 1]``, empty) or ``churned`` (not
        booleans, or a different length).

    Examples
    --------
    >>> r = choose_churn_threshold([0.05, 0.2, 0.3, 0.9], [True, True, False, False],
    ...                            thresholds=[0.1, 0.25, 0.5])
    >>> r.threshold, r.f1
    (0.25, (0.6666666666666666, 1.0, 0.8))
    """
    crit = check_choice(criterion, "criterion", ("f1", "cost"))
    c_fp = check_number(cost_false_positive, "cost_false_positive", low=0.0)
    c_fn = check_number(cost_false_negative, "cost_false_negative", low=0.0)
    if c_fp == 0 and c_fn == 0:
        raise ArgumentError(
            "the two costs are both 0: every threshold would cost nothing",
            argument="cost_false_negative",
        )
    t = _thresholds(thresholds)
    p = _probabilities(p_alive, "p_alive")
    y = np.asarray(churned)
    if y.dtype != np.bool_:
        raise DataError(f"must be booleans (True = churned), got dtype {y.dtype}", column="churned")
    if y.shape != p.shape:
        raise DataError(f"has shape {y.shape} for {p.shape[0]} customers", column="churned")
    # predicted churned at t: p < t; count with one sort (p sorted: searchsorted gives #p < t)
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order]
    flagged = np.searchsorted(ps, t, side="left")
    cum_churn = np.concatenate([[0], np.cumsum(ys)])
    tp = cum_churn[flagged]
    fp = flagged - tp
    fn = int(ys.sum()) - tp
    tn = (p.size - flagged) - fn
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(flagged > 0, tp / np.maximum(flagged, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    cost = c_fp * fp + c_fn * fn
    best = int(np.argmax(f1)) if crit == "f1" else int(np.argmin(cost))
    return ChurnThresholds(
        criterion=crit,
        cost_false_positive=c_fp,
        cost_false_negative=c_fn,
        thresholds=tuple(float(v) for v in t),
        true_positives=tuple(int(v) for v in tp),
        false_positives=tuple(int(v) for v in fp),
        false_negatives=tuple(int(v) for v in fn),
        true_negatives=tuple(int(v) for v in tn),
        precision=tuple(float(v) for v in precision),
        recall=tuple(float(v) for v in recall),
        f1=tuple(float(v) for v in f1),
        cost=tuple(float(v) for v in cost),
        best=best,
    )


def churn_threshold_from_holdout(
    model: _PAliveModel,
    summary: RFMSummary,
    *,
    criterion: Literal["f1", "cost"] = "f1",
    cost_false_positive: float = 1.0,
    cost_false_negative: float = 1.0,
    thresholds: npt.ArrayLike | None = None,
) -> ChurnThresholds:
    """Choose the P(alive) threshold of a fitted purchase model on a calibration/holdout split.

    P(alive) is computed from the calibration columns (``frequency``, ``recency``, ``T``);
    observed churn is no purchase in the holdout (:func:`holdout_churned`).

    BG/NBD's P(alive) is exactly 1 for customers without repeat purchases (its dropout happens
    only after a purchase, FHL 2005), so no threshold labels a one-time buyer churned; on
    CDNOW, where most churners are one-time buyers, prefer Pareto/NBD or MBG/NBD.

    Parameters
    ----------
    model
        A fitted model with ``p_alive(frequency, recency, T)`` (BG/NBD, Pareto/NBD, MBG/NBD,
        BG/BB of :mod:`relmark.clv`), in the summary's time unit.
    summary
        A :func:`relmark.data.calibration_holdout` summary.
    criterion, cost_false_positive, cost_false_negative, thresholds
        As for :func:`choose_churn_threshold`.

    Returns
    -------
    ChurnThresholds
        The table over thresholds and the chosen one.

    Raises
    ------
    ArgumentError
        Naming ``model`` without a ``p_alive`` method, ``summary`` that is not an
        ``RFMSummary``, or an invalid option.
    DataError
        Naming ``frequency_holdout`` for a summary without holdout columns.

    Examples
    --------
    >>> from relmark.clv import ParetoNBD
    >>> from relmark.data import calibration_holdout
    >>> from relmark.datasets import load_cdnow_sample_transactions
    >>> s = calibration_holdout(load_cdnow_sample_transactions(), calibration_end="1997-09-30",
    ...                         observation_end="1998-06-30", freq_multiplier=7)
    >>> r = churn_threshold_from_holdout(ParetoNBD.fit(s), s)
    >>> r.threshold, round(r.chosen["precision"], 3), round(r.chosen["recall"], 3)
    (0.78, 0.785, 0.938)
    """
    if not callable(getattr(model, "p_alive", None)):
        raise ArgumentError(
            f"must be a fitted purchase model with p_alive(frequency, recency, T), got "
            f"{type(model).__name__}",
            argument="model",
        )
    churned = holdout_churned(summary)
    p = model.p_alive(summary.frequency, summary.recency, summary.T)
    return choose_churn_threshold(
        p,
        churned,
        criterion=criterion,
        cost_false_positive=cost_false_positive,
        cost_false_negative=cost_false_negative,
        thresholds=thresholds,
    )


_NEXT_PURCHASE_DOC = """
    For a BG/NBD customer with history :math:`(x, t_x, T)`, dropout happens only right after
    a purchase, so a customer alive at :math:`T` buys next after an exponential time of rate
    :math:`\\lambda`; given alive, :math:`\\lambda \\sim \\text{Gamma}(r + x, \\alpha + T)`
    (the likelihood of an alive customer is :math:`\\lambda^x e^{-\\lambda T}(1-p)^x`;
    Fader, Hardie & Lee 2005, *Marketing Science* 24(2): the first of the two terms of the
    individual likelihood; the same posterior as
    :func:`relmark.clv.bgnbd.conditional_prob_purchases`). Averaging
    :math:`1 - e^{-\\lambda t}` over it,

    .. math:: P(\\text{next purchase} \\le T + t \\mid x, t_x, T)
        = P(\\text{alive}) \\Bigl(1 - \\bigl(\\tfrac{\\alpha + T}{\\alpha + T + t}
        \\bigr)^{r+x}\\Bigr),

    a defective distribution: :math:`1 - P(\\text{alive})` is the mass of "never". It is one
    minus ``BGNBD.conditional_prob_purchases(0, t, ...)``; the quantile ``q`` of the time to the
    next purchase of a customer alive at :math:`T` is
    :math:`(\\alpha + T)\\bigl((1 - q)^{-1/(r+x)} - 1\\bigr)`."""


def _bgnbd(model: object) -> tuple[float, float]:
    if not isinstance(model, BGNBD):
        raise ArgumentError(
            f"must be a BGNBD model (fitted or built from parameters), got {type(model).__name__}",
            argument="model",
        )
    params = model.params
    return params["r"], params["alpha"]


def next_purchase_probability(
    model: BGNBD,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    t: float,
) -> FloatArray:
    """Probability that each customer buys again within ``t`` after ``T`` (BG/NBD).
    {doc}

    Parameters
    ----------
    model
        A :class:`~relmark.clv.BGNBD` (fitted or from parameters), in the data's time unit.
    frequency, recency, T
        Each customer's history :math:`x, t_x, T` (as for ``BGNBD.p_alive``).
    t
        The horizon after ``T`` (>= 0), in the model's time unit.

    Returns
    -------
    numpy.ndarray
        :math:`P(\\text{next purchase within } t)` per customer, in ``[0, P(alive)]``.

    Raises
    ------
    ArgumentError
        Naming ``model`` when it is not a BGNBD, ``t`` when it is not a finite number >= 0.
    DataError
        Naming ``frequency``, ``recency`` or ``T`` for an invalid history.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> next_purchase_probability(m, [0, 2], [0, 30.43], [38.86, 38.86], t=39).round(4)
    array([0.1446, 0.5546])
    """
    r, alpha = _bgnbd(model)
    horizon = check_number(t, "t", low=0.0)
    x, tx, age = check_rfm(frequency, recency, T)
    alive = np.asarray(model.p_alive(x, tx, age), dtype=np.float64)
    out: FloatArray = alive * -np.expm1(-(r + x) * np.log1p(horizon / (alpha + age)))
    return out


def next_purchase_time(
    model: BGNBD,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    quantile: float = 0.5,
) -> FloatArray:
    """The ``quantile`` of the time to the next purchase of a customer alive at ``T`` (BG/NBD).
    {doc}

    Parameters
    ----------
    model
        A :class:`~relmark.clv.BGNBD` (fitted or from parameters).
    frequency, recency, T
        Each customer's history :math:`x, t_x, T`.
    quantile
        Strictly between 0 and 1 (0.5: the median).

    Returns
    -------
    numpy.ndarray
        Time after ``T``, in the model's time unit, per customer (given alive: multiply the
        share who buy by ``p_alive`` for the unconditional distribution). ``inf`` only where
        the quantile exceeds the float range (:math:`r + x` below about ``q / 700``).

    Raises
    ------
    ArgumentError
        Naming ``model`` or ``quantile``.
    DataError
        Naming ``frequency``, ``recency`` or ``T`` for an invalid history.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> next_purchase_time(m, [2], [30.43], [38.86]).round(2)  # median, weeks
    array([15.67])
    """
    r, alpha = _bgnbd(model)
    q = check_number(quantile, "quantile", low=0.0, high=1.0, low_open=True, high_open=True)
    x, _, age = check_rfm(frequency, recency, T)
    with np.errstate(over="ignore"):
        out: FloatArray = (alpha + age) * np.expm1(-np.log1p(-q) / (r + x))
    return out


next_purchase_probability.__doc__ = (next_purchase_probability.__doc__ or "").replace(
    "{doc}", _NEXT_PURCHASE_DOC
)
next_purchase_time.__doc__ = (next_purchase_time.__doc__ or "").replace("{doc}", _NEXT_PURCHASE_DOC)
