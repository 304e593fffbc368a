"""Campaign economics: response models, gains and lift, break-even, depth of mailing, and the
Hughes RFM-cell test-and-roll-out.

A direct-marketing campaign contacts customers at a cost ``c`` each; a response is worth a
margin ``m``. Contacting a customer pays when their response probability beats the
**break-even response rate** ``c / m``. The tools here estimate response probabilities from
scores (a logistic response model on RFM and CLV scores, fitted by Newton-Raphson / IRLS with
standard errors), check them on held-out customers (the gains/lift table by decile and the
cumulative response curve), choose how deep into the ranked list to mail (the depth that
maximises expected profit), and run the classic test-and-roll-out on RFM cells (Hughes 2005):
mail a test sample of each cell, roll out to the cells whose test response beats break-even,
optionally on a lower confidence bound, since small test cells are noisy.

.. math:: \\text{break-even rate} = \\frac{c}{m}, \\qquad
    \\text{profit}(k) = \\sum_{i=1}^{k} (p_{(i)}\\, m - c)

References
----------
Hughes, A. M. (2005). *Strategic Database Marketing*, 3rd ed., McGraw-Hill (RFM cells,
break-even, test and roll out). Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008).
*Database Marketing: Analyzing and Managing Customers*, Springer (gains and lift tables,
logistic response models, depth of mailing). McCullagh, P. & Nelder, J. A. (1989).
*Generalized Linear Models*, 2nd ed., Chapman & Hall (iteratively reweighted least squares).
Clopper, C. J. & Pearson, E. S. (1934). "The use of confidence or fiducial limits illustrated
in the case of the binomial", *Biometrika* 26(4), 404-413.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from scipy import stats
from scipy.special import expit

from relmark._validation import (
    as_float_array,
    check_count,
    check_level,
    check_number,
    check_rng,
)
from relmark.errors import ArgumentError, ConvergenceError, DataError, SchemaError
from relmark.typing import FloatArray, RngLike

__all__ = [
    "GainsTable",
    "MailingDepth",
    "RFMTestSample",
    "ResponseCurve",
    "ResponseModel",
    "RolloutPlan",
    "break_even_response_rate",
    "cumulative_response_curve",
    "fit_response_model",
    "gains_table",
    "mailing_depth",
    "rfm_rollout",
    "rfm_test_sample",
]


_OPTIONAL_ROWS = frozenset({"lower_bound"})
"""Per-row fields that are empty when not computed."""


class _Stored(BaseModel):
    """A frozen result that a service stores as JSON and loads back, checked.

    ``from_json`` refuses text that is not JSON, another kind of result, missing or extra
    keys, and values of the wrong type (no coercion: ``"0.5"`` is not a rate), with a
    :class:`~relmark.errors.SchemaError` naming the key."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", allow_inf_nan=False)
    _kind: ClassVar[str] = "result"
    _version: ClassVar[int] = 1
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of per-row fields that must have one length (``lower_bound`` may be empty)."""
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {}
    """Field (a number or a tuple of numbers) -> ``(low, high, low_open)``: its domain."""

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first field that contradicts the others (a subclass's checks), and why."""
        return None

    @classmethod
    def _problem(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first misaligned, out-of-domain or inconsistent field, and why."""
        bad = cls._misaligned(values)
        if bad is not None:
            return bad
        for name, (low, high, low_open) in cls._bounds.items():
            value = values.get(name)
            items = value if isinstance(value, list | tuple) else [value]
            for v in items:
                if isinstance(v, int | float) and not (
                    (low < v or (v == low and not low_open)) and v <= high
                ):
                    side = "(" if low_open else "["
                    return name, f"must be in {side}{low:g}, {high:g}], got {v!r}"
        return cls._inconsistent(values)

    @classmethod
    def _misaligned(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first per-row field whose length differs from its group's, and why."""
        for group in cls._aligned:
            sizes = {
                name: len(values[name])
                for name in group
                if isinstance(values.get(name), list | tuple)
            }
            if group[0] not in sizes:
                continue
            n = sizes[group[0]]
            for name, size in sizes.items():
                if size != n and not (size == 0 and name in _OPTIONAL_ROWS):
                    return name, f"has {size} values, {group[0]} has {n}"
        return None

    @model_validator(mode="after")
    def _check_aligned(self) -> Self:
        bad = self._problem({name: getattr(self, name) for name in type(self).model_fields})
        if bad is not None:
            raise ValueError(f"{bad[0]} {bad[1]}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, numbers and text, tagged with the kind of result and its version.

        Returns
        -------
        dict
            ``{"kind": ..., "schema_version": ..., <fields>}``.
        """
        out: dict[str, Any] = {"kind": self._kind, "schema_version": self._version}
        out.update(self.model_dump(mode="json"))
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as strict JSON text (no NaN).

        Returns
        -------
        str
            The JSON text.
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Load a result saved by :meth:`to_json`.

        Parameters
        ----------
        text
            The JSON text (``str`` or UTF-8 ``bytes``).

        Returns
        -------
        The result, equal to the one saved.

        Raises
        ------
        SchemaError
            Not JSON, not an object, another kind of result or version, a missing or extra
            key, a value of the wrong type or out of its domain; naming the key.
        """
        if not isinstance(text, str | bytes | bytearray):
            raise SchemaError(f"expected JSON text, got {type(text).__name__}")
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise SchemaError("expected a JSON object")
        if d.pop("kind", None) != cls._kind:
            raise SchemaError(f"is not {cls._kind!r}", key="kind")
        if d.pop("schema_version", None) != cls._version:
            raise SchemaError(f"must be {cls._version}", key="schema_version")
        bad = cls._misaligned(d)
        if bad is not None:
            raise SchemaError(bad[1], key=bad[0])
        try:
            return cls.model_validate_json(json.dumps(d))
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"]) or None
            found = cls._problem(d) if key is None else None  # the types are right: which field
            if found is not None:
                raise SchemaError(found[1], key=found[0]) from None
            raise SchemaError(str(err["msg"]), key=key) from None


# ---------------------------------------------------------------------- inputs
def _responses(values: npt.ArrayLike, name: str, n: int | None = None) -> FloatArray:
    """0/1 outcomes (booleans allowed here: a response is a yes or no) as float64."""
    raw = np.asarray(values) if not isinstance(values, np.ndarray) else values
    y = raw.astype(np.float64) if raw.dtype == np.bool_ else as_float_array(values, name)
    if y.ndim != 1:
        raise DataError(f"expected a 1-d array, got shape {y.shape}", column=name)
    if y.size == 0:
        raise DataError("no values: the input is empty", column=name)
    bad = (y != 0) & (y != 1)
    if bad.any():
        raise DataError(
            "must be 0 or 1 (or True/False)", column=name, rows=np.flatnonzero(bad).tolist()
        )
    if n is not None and y.size != n:
        raise DataError(f"has {y.size} values for {n} customers", column=name)
    return y


def _probabilities(values: npt.ArrayLike, name: str) -> FloatArray:
    p = as_float_array(values, name)
    if p.size == 0:
        raise DataError("no values: the input is empty", column=name)
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise DataError(
            "must be probabilities in [0, 1]", column=name, rows=np.flatnonzero(bad).tolist()
        )
    return p


def _money(cost_per_contact: object, margin_per_response: object) -> tuple[float, float]:
    c = check_number(cost_per_contact, "cost_per_contact", low=0.0)
    m = check_number(margin_per_response, "margin_per_response", low=0.0, low_open=True)
    if not math.isfinite(c / m):
        raise ArgumentError(
            f"is too small for a cost of {c:g}: the break-even rate overflows",
            argument="margin_per_response",
        )
    return c, m


def _finite_profit(*values: float) -> None:
    """ArgumentError naming the margin when money amounts overflow to infinity."""
    if not all(math.isfinite(v) for v in values):
        raise ArgumentError(
            "is too large: the expected profits overflow", argument="margin_per_response"
        )


def break_even_response_rate(cost_per_contact: float, margin_per_response: float) -> float:
    """The response rate at which a contact pays for itself: cost per contact / margin.

    .. math:: r^{*} = \\frac{c}{m}

    A contact with response probability :math:`p` earns :math:`p\\,m - c` in expectation,
    positive exactly when :math:`p > r^{*}`. A rate above 1 means no contact can pay.

    Parameters
    ----------
    cost_per_contact
        Cost of one contact (mailing piece, call), >= 0.
    margin_per_response
        Margin earned per response (after the cost of the goods and of fulfilment), > 0.

    Returns
    -------
    float
        The break-even response rate (a share, not a percent).

    Raises
    ------
    ArgumentError
        Naming the argument: not a finite number, a negative cost, a margin <= 0.

    References
    ----------
    Hughes, A. M. (2005). *Strategic Database Marketing*, 3rd ed.

    Examples
    --------
    >>> break_even_response_rate(0.5, 25.0)  # 50 cents a piece, $25 a response: 2%
    0.02
    """
    c, m = _money(cost_per_contact, margin_per_response)
    return c / m


# ---------------------------------------------------------------------- logistic
def _design(
    scores: Mapping[str, npt.ArrayLike] | pd.DataFrame, names: Sequence[str] | None = None
) -> tuple[tuple[str, ...], FloatArray]:
    """The named score columns as an n x k float matrix (in ``names`` order if given)."""
    if isinstance(scores, pd.DataFrame):
        columns: Mapping[Any, Any] = {c: scores[c].to_numpy() for c in scores.columns}
    elif isinstance(scores, Mapping):
        columns = scores
    else:
        raise ArgumentError(
            f"must be a DataFrame or a mapping of score names to columns, got "
            f"{type(scores).__name__}",
            argument="scores",
        )
    if not columns:
        raise ArgumentError("no score columns", argument="scores")
    for key in columns:
        if not isinstance(key, str) or not key or key == "intercept":
            raise ArgumentError(
                f"score names must be non-empty text other than 'intercept', got {key!r}",
                argument="scores",
            )
    if names is not None:
        missing = [n for n in names if n not in columns]
        if missing:
            raise DataError(f"the model's score {missing[0]!r} is missing", column=missing[0])
        extra = [k for k in columns if k not in names]
        if extra:
            raise DataError(f"the model has no score {extra[0]!r}", column=extra[0])
    order = tuple(names) if names is not None else tuple(columns)
    arrays = [as_float_array(columns[k], k) for k in order]
    n = arrays[0].size
    for k, a in zip(order, arrays, strict=True):
        if a.size != n:
            raise DataError(f"has {a.size} values, {order[0]} has {n}", column=k)
    if n == 0:
        raise DataError("no customers: the scores are empty", column=order[0])
    return order, np.column_stack(arrays)


def _log_likelihood(y: FloatArray, eta: FloatArray) -> float:
    """Bernoulli log-likelihood with logit link, overflow-free: y eta - log(1 + e^eta)."""
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _irls(
    X: FloatArray,
    y: FloatArray,
    *,
    max_iter: int,
    tol: float,
    column: str,
    names: Sequence[str] | None = None,
) -> tuple[FloatArray, FloatArray, float, int]:
    """Newton-Raphson (= IRLS for the canonical logit link) with step halving.

    Returns the estimates, their standard errors (from the inverse information), the
    log-likelihood and the iterations; DataError naming ``column`` on (quasi-)separation or a
    singular design."""
    k = X.shape[1]
    collinear = DataError(
        "the scores are collinear (a column is constant or a combination of the others): "
        "the coefficients are not identified",
        column=column,
    )
    # Newton's method is affine invariant: fit on centred and scaled scores (1e200 or 1e-200
    # scores, or scores of 1e12 + a few, would overflow or look collinear), then map back.
    size = np.max(np.abs(X[:, 1:]), axis=0)
    unit = X[:, 1:] / np.where(size > 0, size, 1.0)
    centre = unit.mean(axis=0)
    spread = unit.std(axis=0)
    if np.any(spread == 0):
        j = int(np.flatnonzero(spread == 0)[0])
        raise DataError(
            "is constant (collinear with the intercept): its coefficient is not identified",
            column=column if names is None else names[j],
        )
    Z = np.column_stack([X[:, 0], (unit - centre) / spread])
    if np.linalg.matrix_rank(Z) < k:
        raise collinear
    back = np.eye(k)  # beta = back @ gamma
    back[0, 1:] = -centre / spread
    back[np.arange(1, k), np.arange(1, k)] = 1.0 / (spread * size)
    gamma, cov_g, ll, it = _newton(Z, y, max_iter=max_iter, tol=tol, column=column)
    beta = back @ gamma
    # standard errors mapped back row by row: the variances of 1e200 scores underflow
    se = np.sqrt(np.diag(cov_g)) / np.r_[1.0, spread * size]
    var0 = float(back[0] @ cov_g @ back[0])
    se[0] = math.sqrt(var0) if var0 > 0 else 0.0
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise collinear
    return beta, se, ll, it


def _newton(
    X: FloatArray, y: FloatArray, *, max_iter: int, tol: float, column: str
) -> tuple[FloatArray, FloatArray, float, int]:
    """Newton-Raphson on a well-scaled design (see :func:`_irls`)."""
    k = X.shape[1]
    ybar = float(y.mean())
    beta = np.zeros(k)
    beta[0] = math.log(ybar / (1.0 - ybar))  # start at the base rate
    ll = _log_likelihood(y, X @ beta)
    separated = DataError(
        "the maximum likelihood estimates do not exist: the scores separate the responders "
        "from the non-responders (perfectly or nearly), so the coefficients grow without "
        "bound; drop or coarsen the score that separates them, or use more data",
        column=column,
    )
    it = 0
    while it < max_iter:
        it += 1
        eta = X @ beta
        p = expit(eta)
        w = p * (1.0 - p)
        info = X.T @ (X * w[:, None])
        grad = X.T @ (y - p)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise separated from None
        if not np.all(np.isfinite(step)):
            raise separated
        t = 1.0
        while True:
            new = beta + t * step
            ll_new = _log_likelihood(y, X @ new)
            if ll_new >= ll - 1e-12 * abs(ll) or t < 1e-10:
                break
            t /= 2.0
        beta, ll = new, ll_new
        if float(np.max(np.abs(t * step))) <= tol * (1.0 + float(np.max(np.abs(beta)))):
            break
    else:
        if float(np.max(np.abs(X @ beta))) > 30.0:
            raise separated
        raise ConvergenceError(
            f"the Newton iterations did not converge in max_iter={max_iter} steps (the last "
            f"step was {float(np.max(np.abs(t * step))):.3g}); raise max_iter"
        )
    eta = X @ beta
    p = expit(eta)
    if float(np.max(np.abs(eta))) > 30.0:
        raise separated
    w = p * (1.0 - p)
    info = X.T @ (X * w[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise separated from None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise separated
    return beta, np.asarray(cov, dtype=np.float64), ll, it


class ResponseModel(_Stored):
    """A fitted logistic response model: P(response) from a customer's scores.

    .. math:: P(\\text{response} \\mid x) = \\frac{1}{1 + e^{-(\\beta_0 + \\beta^\\top x)}}

    Parameters
    ----------
    names
        ``"intercept"`` then the score names, in the order of the coefficients.
    coefficients
        Maximum likelihood estimates (log-odds per unit of each score).
    standard_errors
        Square roots of the diagonal of the inverse observed information at the estimates.
    log_likelihood
        The maximised log-likelihood (natural logs).
    customers
        Customers in the fit.
    responders
        Responders among them.
    iterations
        Newton-Raphson iterations taken.
    """

    _kind: ClassVar[str] = "relmark.decide.ResponseModel"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("names", "coefficients", "standard_errors"),
    )
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "standard_errors": (0.0, math.inf, True),
        "log_likelihood": (-math.inf, 0.0, False),
        "customers": (2, math.inf, False),
        "responders": (1, math.inf, False),
        "iterations": (1, math.inf, False),
    }
    _outcome: ClassVar[str] = "responders"

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        names = list(values["names"])
        if len(names) < 2 or names[0] != "intercept" or "intercept" in names[1:]:
            return "names", "must be 'intercept' then the score names"
        if len(set(names)) != len(names):
            return "names", "repeat a score"
        if values[cls._outcome] >= values["customers"]:
            return cls._outcome, "must be fewer than the customers (both outcomes are needed)"
        return None

    names: tuple[str, ...]
    coefficients: tuple[float, ...]
    standard_errors: tuple[float, ...]
    log_likelihood: float
    customers: int
    responders: int
    iterations: int

    @property
    def scores(self) -> tuple[str, ...]:
        """The score names (without the intercept)."""
        return self.names[1:]

    def predict(self, scores: Mapping[str, npt.ArrayLike] | pd.DataFrame) -> FloatArray:
        """Response probabilities for customers' scores.

        Parameters
        ----------
        scores
            The same named score columns as in the fit (a DataFrame or a mapping).

        Returns
        -------
        numpy.ndarray
            P(response) per customer, in (0, 1).

        Raises
        ------
        DataError
            A score of the model missing or an unknown one (naming it), bad values.
        ArgumentError
            ``scores`` not a DataFrame or mapping.
        """
        if len(self.coefficients) != len(self.names) or len(self.names) < 2:
            raise SchemaError("names and coefficients differ in length", key="coefficients")
        _, X = _design(scores, self.scores)
        eta = self.coefficients[0] + X @ np.asarray(self.coefficients[1:])
        out: FloatArray = expit(eta)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: estimate, standard error, Wald z and two-sided p-value.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``names``; columns ``coefficient``, ``standard_error``, ``z``,
            ``p_value``.
        """
        b = np.asarray(self.coefficients)
        se = np.asarray(self.standard_errors)
        z = b / se
        return pd.DataFrame(
            {
                "coefficient": b,
                "standard_error": se,
                "z": z,
                "p_value": 2.0 * stats.norm.sf(np.abs(z)),
            },
            index=pd.Index(self.names, name="term"),
        )


def fit_response_model(
    scores: Mapping[str, npt.ArrayLike] | pd.DataFrame,
    responded: npt.ArrayLike,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> ResponseModel:
    """Fit a logistic response model on customers' scores (RFM scores, CLV, P(alive), ...).

    Newton-Raphson on the log-likelihood (for the logit link this is iteratively reweighted
    least squares), started at the base rate, with step halving; standard errors from the
    inverse of the information at the estimates:

    .. math:: \\ell(\\beta) = \\sum_i y_i \\eta_i - \\log(1 + e^{\\eta_i}),\\quad
        \\eta = X\\beta, \\qquad
        \\beta \\leftarrow \\beta + (X^\\top W X)^{-1} X^\\top (y - p),\\quad
        W = \\mathrm{diag}(p_i (1 - p_i))

    Parameters
    ----------
    scores
        Named score columns, one value per customer (a DataFrame or a mapping of names to
        arrays). An intercept is added.
    responded
        1 (or True) for a customer who responded to the campaign, 0 (False) otherwise.
    max_iter
        Newton iterations allowed (>= 1).
    tol
        Convergence: the largest step is at most ``tol * (1 + max |beta|)``, for the
        coefficients of the standardised scores (the fit is run on centred and scaled scores,
        so 1e200 or 1e12 + a few fit as well as 1..5, and mapped back).

    Returns
    -------
    ResponseModel
        The estimates, standard errors and log-likelihood; ``predict`` scores new customers.

    Raises
    ------
    ArgumentError
        ``scores`` not a DataFrame or mapping, no score, a score named ``"intercept"``; bad
        ``max_iter`` or ``tol``.
    DataError
        Naming the column: bad values (NaN, text, ...), lengths that differ, outcomes other
        than 0/1, nobody or everybody responded, collinear scores, or scores that separate
        responders from non-responders (no finite estimates exist).
    ConvergenceError
        No convergence within ``max_iter`` Newton steps (without separation).

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed.
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). *Database Marketing*.

    Examples
    --------
    >>> model = fit_response_model({"recency_score": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]},
    ...                            [0, 0, 0, 1, 0, 0, 1, 1, 0, 1])
    >>> model.names
    ('intercept', 'recency_score')
    >>> [round(b, 4) for b in model.coefficients]
    [-2.6399, 0.7123]
    """
    max_iter = check_count(max_iter, "max_iter", minimum=1)
    tol = check_number(tol, "tol", low=0.0, low_open=True, high=1e-2)
    names, X = _design(scores)
    y = _responses(responded, "responded", X.shape[0])
    responders = int(y.sum())
    if responders in (0, y.size):
        what = "nobody" if responders == 0 else "everybody"
        raise DataError(
            f"{what} responded: a response model needs responders and non-responders",
            column="responded",
        )
    design = np.column_stack([np.ones(X.shape[0]), X])
    beta, se, ll, it = _irls(design, y, max_iter=max_iter, tol=tol, column=names[0], names=names)
    return ResponseModel(
        names=("intercept", *names),
        coefficients=tuple(float(b) for b in beta),
        standard_errors=tuple(float(v) for v in se),
        log_likelihood=ll,
        customers=int(y.size),
        responders=responders,
        iterations=it,
    )


# ---------------------------------------------------------------------- gains
class GainsTable(_Stored):
    """A gains (lift) table: customers ranked by predicted response, cut into groups.

    Group 1 holds the customers with the highest predicted response. ``lift`` is a group's
    response rate over the overall rate (1 = no better than mailing at random);
    ``gain`` is the share of all responders found in groups 1..g.

    Parameters
    ----------
    group
        1..groups.
    customers, responders
        Customers and actual responders per group.
    predicted_rate
        Mean predicted response per group.
    response_rate
        Actual response rate per group.
    cumulative_customers, cumulative_responders, cumulative_response_rate
        The same over groups 1..g.
    lift, cumulative_lift
        ``response_rate / overall_rate`` and ``cumulative_response_rate / overall_rate``.
    gain
        ``cumulative_responders / total responders``.
    overall_rate
        Responders over customers.
    """

    _kind: ClassVar[str] = "relmark.decide.GainsTable"
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "group": (1, math.inf, False),
        "customers": (1, math.inf, False),
        "responders": (0, math.inf, False),
        "cumulative_customers": (1, math.inf, False),
        "cumulative_responders": (0, math.inf, False),
        "predicted_rate": (0.0, 1.0, False),
        "response_rate": (0.0, 1.0, False),
        "cumulative_response_rate": (0.0, 1.0, False),
        "lift": (0.0, math.inf, False),
        "cumulative_lift": (0.0, math.inf, False),
        "gain": (0.0, 1.0, False),
        "overall_rate": (0.0, 1.0, True),
    }

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        n, r = np.asarray(values["customers"]), np.asarray(values["responders"])
        if (r > n).any():
            return "responders", "more responders than customers in a group"
        if not np.allclose(values["response_rate"], r / n, rtol=1e-9):
            return "response_rate", "differs from responders / customers"
        if not np.array_equal(values["cumulative_customers"], np.cumsum(n)):
            return "cumulative_customers", "is not the running total of customers"
        return None

    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        (
            "group",
            "customers",
            "responders",
            "predicted_rate",
            "response_rate",
            "cumulative_customers",
            "cumulative_responders",
            "cumulative_response_rate",
            "lift",
            "cumulative_lift",
            "gain",
        ),
    )

    group: tuple[int, ...]
    customers: tuple[int, ...]
    responders: tuple[int, ...]
    predicted_rate: tuple[float, ...]
    response_rate: tuple[float, ...]
    cumulative_customers: tuple[int, ...]
    cumulative_responders: tuple[int, ...]
    cumulative_response_rate: tuple[float, ...]
    lift: tuple[float, ...]
    cumulative_lift: tuple[float, ...]
    gain: tuple[float, ...]
    overall_rate: float

    def to_frame(self) -> pd.DataFrame:
        """The table as a frame, one row per group.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``group``.
        """
        d = self.model_dump()
        d.pop("overall_rate")
        return pd.DataFrame(d).set_index("group")


def _ranked(predicted: npt.ArrayLike, responded: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    p = _probabilities(predicted, "predicted")
    y = _responses(responded, "responded", p.size)
    if y.sum() == 0:
        raise DataError("nobody responded: lift and gains are undefined", column="responded")
    order = np.argsort(-p, kind="stable")
    return p[order], y[order]


def gains_table(
    predicted: npt.ArrayLike, responded: npt.ArrayLike, *, groups: int = 10
) -> GainsTable:
    """The gains/lift table of held-out customers by decile (or ``groups``) of prediction.

    Customers are sorted by predicted response, highest first (ties keep their input order),
    and cut into ``groups`` groups of equal size (the first ``n % groups`` groups hold one more
    customer). For group :math:`g` with :math:`n_g` customers and :math:`r_g` responders,

    .. math:: \\text{lift}_g = \\frac{r_g / n_g}{R / N}, \\qquad
        \\text{gain}_g = \\frac{\\sum_{h \\le g} r_h}{R}

    Use customers that were not used to fit the model (a holdout), or the table flatters it.

    Parameters
    ----------
    predicted
        Predicted response probabilities, in [0, 1].
    responded
        Actual outcomes, 0/1 (or booleans), at least one responder.
    groups
        Number of groups (10: deciles), 1..number of customers.

    Returns
    -------
    GainsTable
        Per group and cumulative counts, rates, lift and gain.

    Raises
    ------
    ArgumentError
        ``groups`` not a whole number in 1..customers.
    DataError
        Naming the column: not probabilities, outcomes not 0/1, lengths that differ, no
        responder.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). *Database Marketing*.

    Examples
    --------
    >>> t = gains_table([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0], groups=2)
    >>> t.response_rate, t.lift, t.gain
    ((0.5, 0.5), (1.0, 1.0), (0.5, 1.0))
    """
    groups = check_count(groups, "groups", minimum=1)
    p, y = _ranked(predicted, responded)
    n = p.size
    if groups > n:
        raise ArgumentError(f"must be at most the {n} customers, got {groups}", argument="groups")
    parts_p = np.array_split(p, groups)
    parts_y = np.array_split(y, groups)
    size = np.array([len(a) for a in parts_y], dtype=np.int64)
    resp = np.array([int(a.sum()) for a in parts_y], dtype=np.int64)
    overall = float(y.sum()) / n
    cum_n = np.cumsum(size)
    cum_r = np.cumsum(resp)
    rate = resp / size
    cum_rate = cum_r / cum_n
    return GainsTable(
        group=tuple(range(1, groups + 1)),
        customers=tuple(int(v) for v in size),
        responders=tuple(int(v) for v in resp),
        predicted_rate=tuple(float(a.mean()) for a in parts_p),
        response_rate=tuple(float(v) for v in rate),
        cumulative_customers=tuple(int(v) for v in cum_n),
        cumulative_responders=tuple(int(v) for v in cum_r),
        cumulative_response_rate=tuple(float(v) for v in cum_rate),
        lift=tuple(float(v) for v in rate / overall),
        cumulative_lift=tuple(float(v) for v in cum_rate / overall),
        gain=tuple(float(v) for v in cum_r / cum_r[-1]),
        overall_rate=overall,
    )


class ResponseCurve(_Stored):
    """The cumulative response (gains) curve: share of responders found against share of
    customers contacted, best-first; one point per distinct predicted value, from (0, 0) to
    (1, 1).

    Parameters
    ----------
    share_contacted
        Share of customers contacted, increasing from 0 to 1.
    share_of_responders
        Share of all responders among them, non-decreasing from 0 to 1.
    area
        Area under the curve (trapezoids); 0.5 for a random ranking. Equal to
        ``overall rate / 2 + (1 - overall rate) * AUC`` in terms of the ROC AUC (ties count
        one half).
    """

    _kind: ClassVar[str] = "relmark.decide.ResponseCurve"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (("share_contacted", "share_of_responders"),)
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "share_contacted": (0.0, 1.0, False),
        "share_of_responders": (0.0, 1.0, False),
        "area": (0.0, 1.0, False),
    }

    share_contacted: tuple[float, ...]
    share_of_responders: tuple[float, ...]
    area: float


def cumulative_response_curve(
    predicted: npt.ArrayLike, responded: npt.ArrayLike, *, points: int | None = None
) -> ResponseCurve:
    """The cumulative response curve of held-out customers ranked by predicted response.

    Customers with the same prediction are contacted together (one point per distinct
    value), so the curve does not depend on the order of ties. A million customers with
    continuous scores make a million points: ``points=100`` keeps, for each of the shares
    1/100, 2/100, ..., 1, the first point of the curve at or beyond it (points of the curve
    itself, not interpolated; the area is still that of the whole curve).

    .. math:: x_k = \\frac{\\#\\{i: p_i \\ge p_{(k)}\\}}{N}, \\qquad
        y_k = \\frac{\\#\\{i: p_i \\ge p_{(k)},\\ y_i = 1\\}}{R}

    Parameters
    ----------
    predicted
        Predicted response probabilities, in [0, 1].
    responded
        Actual outcomes, 0/1 (or booleans), at least one responder.
    points
        ``None``: every point; a whole number >= 1: at most that many points after (0, 0).

    Returns
    -------
    ResponseCurve
        The points and the area under the curve.

    Raises
    ------
    ArgumentError
        ``points`` not a whole number >= 1.
    DataError
        Naming the column: not probabilities, outcomes not 0/1, lengths that differ, no
        responder.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). *Database Marketing*.

    Examples
    --------
    >>> c = cumulative_response_curve([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])
    >>> c.share_contacted, c.share_of_responders
    ((0.0, 0.25, 0.75, 1.0), (0.0, 0.5, 1.0, 1.0))
    """
    k = None if points is None else check_count(points, "points", minimum=1)
    p, y = _ranked(predicted, responded)
    if k is not None:
        k = min(k, p.size)  # the curve has at most one point per customer
    last = np.flatnonzero(np.r_[p[1:] != p[:-1], True])  # last customer of each tie block
    x = np.r_[0.0, (last + 1) / p.size]
    cum = np.cumsum(y)
    g = np.r_[0.0, cum[last] / cum[-1]]
    area = float(np.sum(np.diff(x) * (g[1:] + g[:-1]) / 2.0))
    if k is not None:
        ends = last + 1  # customers contacted at each point
        wanted = np.ceil(np.arange(1, k + 1) * (p.size / k) - 1e-9 * p.size)
        keep = np.unique(np.searchsorted(ends, wanted, side="left"))
        x = np.r_[0.0, x[1:][keep]]
        g = np.r_[0.0, g[1:][keep]]
    return ResponseCurve(
        share_contacted=tuple(float(v) for v in x),
        share_of_responders=tuple(float(v) for v in g),
        area=area,
    )


# ---------------------------------------------------------------------- depth
class MailingDepth(_Stored):
    """The profit-maximising depth of mailing for customers ranked by predicted response.

    Parameters
    ----------
    customers
        Customers to contact (the top of the ranking); 0 when nobody pays.
    share
        ``customers`` over all customers ranked.
    expected_responses
        Sum of the predicted response of the customers contacted.
    expected_profit
        ``expected_responses * margin - customers * cost``.
    break_even
        The break-even response rate ``cost / margin``.
    cost_per_contact, margin_per_response
        The economics used.
    groups
        The groups' sizes when the depth was chosen by group (deciles), else empty.
    group_profit
        Expected profit of each group (empty when chosen per customer).
    cumulative_profit
        Expected profit of mailing groups 1..g (empty when chosen per customer).
    """

    _kind: ClassVar[str] = "relmark.decide.MailingDepth"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("groups", "group_profit", "cumulative_profit"),
    )
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "customers": (0, math.inf, False),
        "share": (0.0, 1.0, False),
        "expected_responses": (0.0, math.inf, False),
        "break_even": (0.0, math.inf, False),
        "cost_per_contact": (0.0, math.inf, False),
        "margin_per_response": (0.0, math.inf, True),
        "groups": (1, math.inf, False),
    }

    customers: int
    share: float
    expected_responses: float
    expected_profit: float
    break_even: float
    cost_per_contact: float
    margin_per_response: float
    groups: tuple[int, ...] = ()
    group_profit: tuple[float, ...] = ()
    cumulative_profit: tuple[float, ...] = ()


def mailing_depth(
    predicted: npt.ArrayLike,
    *,
    cost_per_contact: float,
    margin_per_response: float,
    groups: int | None = None,
) -> MailingDepth:
    """How deep into the ranked list to mail: the depth that maximises expected profit.

    Customers are ranked by predicted response, best first. Mailing the top :math:`k` earns

    .. math:: \\pi(k) = \\sum_{i=1}^{k} \\left(p_{(i)}\\, m - c\\right),

    whose increments (the marginal profits) fall with :math:`k`, so :math:`\\pi` is largest at
    the last customer whose predicted response beats break-even :math:`c / m` (customers at
    exactly break-even add nothing and are not mailed). With ``groups`` (10: deciles), whole
    groups are mailed: the best prefix of groups by expected profit.

    Parameters
    ----------
    predicted
        Predicted response probabilities, in [0, 1] (calibrated: from a response model or a
        holdout's group rates).
    cost_per_contact
        Cost of one contact, >= 0.
    margin_per_response
        Margin per response, > 0.
    groups
        ``None``: choose customer by customer; a whole number: mail whole groups.

    Returns
    -------
    MailingDepth
        The depth, its expected responses and profit, and per group the profits.

    Raises
    ------
    ArgumentError
        Naming the argument: bad costs or margin, ``groups`` not in 1..customers.
    DataError
        ``predicted`` not probabilities (naming the rows), empty.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). *Database Marketing* (marginal
    profit by decile). Hughes, A. M. (2005). *Strategic Database Marketing*, 3rd ed.

    Examples
    --------
    >>> d = mailing_depth([0.05, 0.01, 0.03, 0.02], cost_per_contact=0.5,
    ...                   margin_per_response=25)
    >>> d.customers, round(d.expected_profit, 6)  # 0.05*25-0.5 + 0.03*25-0.5 = 0.75 + 0.25
    (2, 1.0)
    """
    c, m = _money(cost_per_contact, margin_per_response)
    p = np.sort(_probabilities(predicted, "predicted"))[::-1]
    n = p.size
    be = c / m
    if groups is None:
        k = int(np.count_nonzero(p * m - c > 0.0))
        resp = float(p[:k].sum())
        with np.errstate(over="ignore"):
            _finite_profit(resp * m - k * c)
        return MailingDepth(
            customers=k,
            share=k / n,
            expected_responses=resp,
            expected_profit=resp * m - k * c,
            break_even=be,
            cost_per_contact=c,
            margin_per_response=m,
        )
    g = check_count(groups, "groups", minimum=1)
    if g > n:
        raise ArgumentError(f"must be at most the {n} customers, got {g}", argument="groups")
    parts = np.array_split(p, g)
    sizes = np.array([len(a) for a in parts], dtype=np.int64)
    resp_g = np.array([float(a.sum()) for a in parts])
    with np.errstate(over="ignore", invalid="ignore"):
        profit = resp_g * m - sizes * c
        cum = np.cumsum(profit)
    _finite_profit(*profit.tolist(), *cum.tolist())
    best = int(np.argmax(np.r_[0.0, cum]))  # 0 groups when no prefix pays; first maximum
    k = int(sizes[:best].sum())
    resp = float(resp_g[:best].sum())
    return MailingDepth(
        customers=k,
        share=k / n,
        expected_responses=resp,
        expected_profit=float(cum[best - 1]) if best else 0.0,
        groups=tuple(int(s) for s in sizes),
        group_profit=tuple(float(v) for v in profit),
        cumulative_profit=tuple(float(v) for v in cum),
        break_even=be,
        cost_per_contact=c,
        margin_per_response=m,
    )


# ---------------------------------------------------------------------- Hughes
class RFMTestSample(_Stored):
    """Which customers to mail in the test of each RFM cell (:func:`rfm_test_sample`).

    Parameters
    ----------
    test
        Per customer (in the input order), whether they are in the test mailing.
    codes
        Per customer, the cell code (as given).
    cells
        The distinct cell codes, sorted.
    tested
        Customers drawn for the test in each cell: ``min(per_cell, cell size)``.
    remaining
        Customers of each cell left for the roll-out.
    """

    _kind: ClassVar[str] = "relmark.decide.RFMTestSample"
    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("test", "codes"),
        ("cells", "tested", "remaining"),
    )
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "tested": (0, math.inf, False),
        "remaining": (0, math.inf, False),
    }

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        cells = list(values["cells"])
        if cells != sorted(set(cells)):
            return "cells", "must be distinct and sorted"
        index = {c: j for j, c in enumerate(cells)}
        if any(c not in index for c in values["codes"]):
            return "codes", "holds a code that is not one of the cells"
        pos = np.asarray([index[c] for c in values["codes"]], dtype=np.int64)
        size = np.bincount(pos, minlength=len(cells))
        drawn = np.bincount(pos[np.asarray(values["test"], dtype=bool)], minlength=len(cells))
        if not np.array_equal(drawn, values["tested"]):
            return "tested", "differs from the test flags of each cell"
        if not np.array_equal(size - drawn, values["remaining"]):
            return "remaining", "differs from the customers of each cell not in the test"
        return None

    test: tuple[bool, ...]
    codes: tuple[str, ...]
    cells: tuple[str, ...]
    tested: tuple[int, ...]
    remaining: tuple[int, ...]

    def responses(self, responded: npt.ArrayLike) -> tuple[int, ...]:
        """Count the test responders of each cell.

        Parameters
        ----------
        responded
            Per customer (the sample's order), 1/True for a response; only the test
            customers are counted (the others were not mailed: their values are ignored).

        Returns
        -------
        tuple of int
            Responders per cell, in the order of :attr:`cells`.

        Raises
        ------
        DataError
            ``responded`` not 0/1, or not one value per customer (naming it).
        SchemaError
            A sample whose codes do not match its cells (tampered JSON).
        """
        index = {c: j for j, c in enumerate(self.cells)}
        if len(self.codes) != len(self.test) or any(c not in index for c in self.codes):
            raise SchemaError("the codes do not match the test flags and cells", key="codes")
        y = _responses(responded, "responded", len(self.test))
        mask = np.asarray(self.test, dtype=bool) & (y == 1)
        pos = np.fromiter((index[c] for c in self.codes), dtype=np.int64, count=len(self.codes))
        return tuple(int(v) for v in np.bincount(pos[mask], minlength=len(self.cells)))


def rfm_test_sample(cells: Sequence[str], *, per_cell: int, rng: RngLike = None) -> RFMTestSample:
    """Draw the test mailing of Hughes's test-and-roll-out: ``per_cell`` customers at random
    from every RFM cell (all of a smaller cell).

    Each cell's test is a simple random sample without replacement, so its response rate is an
    unbiased estimate of the cell's; the customers not drawn are the cell's roll-out universe.
    After the test, :meth:`RFMTestSample.responses` counts each cell's responders for
    :func:`rfm_rollout`.

    Parameters
    ----------
    cells
        Per customer, the RFM cell code (``"545"``, e.g. from
        :attr:`relmark.scoring.RFMScores.cells`).
    per_cell
        Test customers per cell, >= 1 (a rule of thumb: enough pieces for a few dozen
        responses at break-even, about ``30 / break-even``; see the bound of
        :func:`rfm_rollout` for what a small test can tell).
    rng
        A numpy Generator, a seed, or None.

    Returns
    -------
    RFMTestSample
        The test flag per customer, and per cell the test and roll-out counts.

    Raises
    ------
    ArgumentError
        ``per_cell`` not a whole number >= 1, a bad ``rng``, ``cells`` not a list.
    DataError
        No customers, or a cell code that is not non-empty text (naming the rows).

    References
    ----------
    Hughes, A. M. (2005). *Strategic Database Marketing*, 3rd ed.

    Examples
    --------
    >>> s = rfm_test_sample(["555", "111", "555", "555", "111"], per_cell=2, rng=1)
    >>> s.cells, s.tested, s.remaining
    (('111', '555'), (2, 2), (0, 1))
    >>> sum(s.test)
    4
    """
    k = check_count(per_cell, "per_cell", minimum=1)
    gen = check_rng(rng)
    if isinstance(cells, str | bytes) or not isinstance(cells, Sequence | np.ndarray):
        raise ArgumentError(
            f"must be a list of cell codes, got {type(cells).__name__}", argument="cells"
        )
    codes = list(cells)
    if not codes:
        raise DataError("no customers", column="cells")
    bad = [i for i, c in enumerate(codes) if not isinstance(c, str) or not c]
    if bad:
        raise DataError("cell codes must be non-empty text", column="cells", rows=bad)
    labels, pos = np.unique(np.asarray(codes, dtype=object).astype(str), return_inverse=True)
    test = np.zeros(len(codes), dtype=bool)
    tested, remaining = [], []
    for j in range(labels.size):
        members = np.flatnonzero(pos == j)
        take = min(k, members.size)
        test[gen.choice(members, size=take, replace=False)] = True
        tested.append(take)
        remaining.append(int(members.size - take))
    return RFMTestSample(
        test=tuple(bool(v) for v in test),
        codes=tuple(codes),
        cells=tuple(str(c) for c in labels),
        tested=tuple(tested),
        remaining=tuple(remaining),
    )


class RolloutPlan(_Stored):
    """The test-and-roll-out decision per RFM cell.

    Parameters
    ----------
    cells
        Cell codes (``"555"``), as given.
    tested, responses
        Customers mailed in each cell's test, and those who responded.
    response_rate
        ``responses / tested``.
    lower_bound
        One-sided lower confidence bound of each rate at ``level`` (Clopper-Pearson), or
        empty when the point estimates decide.
    level
        The level of the bounds, or ``None``.
    remaining
        Customers of each cell not yet mailed (the roll-out universe).
    roll_out
        Whether to mail the rest of the cell.
    expected_profit
        Expected profit of mailing the rest of the cell at its test rate:
        ``remaining * (response_rate * margin - cost)``; counted in the total only where
        ``roll_out``.
    reasons
        Why, in words, per cell.
    break_even
        ``cost / margin``.
    cost_per_contact, margin_per_response
        The economics used.
    test_profit
        What the test itself earned: ``sum(responses) * margin - sum(tested) * cost``.
    rollout_customers, rollout_profit
        Customers mailed in the roll-out and its expected profit.
    """

    _kind: ClassVar[str] = "relmark.decide.RolloutPlan"
    _bounds: ClassVar[Mapping[str, tuple[float, float, bool]]] = {
        "tested": (1, math.inf, False),
        "responses": (0, math.inf, False),
        "response_rate": (0.0, 1.0, False),
        "lower_bound": (0.0, 1.0, False),
        "level": (0.0, 1.0, True),
        "remaining": (0, math.inf, False),
        "break_even": (0.0, math.inf, False),
        "cost_per_contact": (0.0, math.inf, False),
        "margin_per_response": (0.0, math.inf, True),
        "rollout_customers": (0, math.inf, False),
    }

    @classmethod
    def _inconsistent(cls, values: Mapping[str, Any]) -> tuple[str, str] | None:
        n, k = np.asarray(values["tested"]), np.asarray(values["responses"])
        if (k > n).any():
            return "responses", "more responses than pieces mailed"
        if not np.allclose(values["response_rate"], k / n, rtol=1e-9):
            return "response_rate", "differs from responses / tested"
        if values["level"] == 1.0 or (values["level"] is None) != (not values["lower_bound"]):
            return "lower_bound", "must be given exactly when a level < 1 is"
        if len(set(values["cells"])) != len(values["cells"]):
            return "cells", "repeat"
        return None

    _aligned: ClassVar[tuple[tuple[str, ...], ...]] = (
        (
            "cells",
            "tested",
            "responses",
            "response_rate",
            "lower_bound",
            "remaining",
            "roll_out",
            "expected_profit",
            "reasons",
        ),
    )

    cells: tuple[str, ...]
    tested: tuple[int, ...]
    responses: tuple[int, ...]
    response_rate: tuple[float, ...]
    lower_bound: tuple[float, ...]
    level: float | None
    remaining: tuple[int, ...]
    roll_out: tuple[bool, ...]
    expected_profit: tuple[float, ...]
    reasons: tuple[str, ...]
    break_even: float
    cost_per_contact: float
    margin_per_response: float
    test_profit: float
    rollout_customers: int
    rollout_profit: float

    def to_frame(self) -> pd.DataFrame:
        """One row per cell.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``cell``; the per-cell fields as columns.
        """
        d: dict[str, Any] = {
            "tested": self.tested,
            "responses": self.responses,
            "response_rate": self.response_rate,
        }
        if self.lower_bound:
            d["lower_bound"] = self.lower_bound
        d.update(
            remaining=self.remaining,
            roll_out=self.roll_out,
            expected_profit=self.expected_profit,
            reason=self.reasons,
        )
        return pd.DataFrame(d, index=pd.Index(self.cells, name="cell"))


def _counts(values: npt.ArrayLike, name: str, n: int) -> npt.NDArray[np.int64]:
    x = as_float_array(values, name)
    if x.size != n:
        raise DataError(f"has {x.size} values for {n} cells", column=name)
    bad = (x < 0) | (x != np.round(x)) | (x > 2.0**53)  # above 2**53 floats skip integers
    if bad.any():
        raise DataError(
            "must be whole numbers >= 0 (at most 2**53)",
            column=name,
            rows=np.flatnonzero(bad).tolist(),
        )
    return x.astype(np.int64)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def rfm_rollout(
    cells: Sequence[str],
    tested: npt.ArrayLike,
    responses: npt.ArrayLike,
    *,
    remaining: npt.ArrayLike,
    cost_per_contact: float,
    margin_per_response: float,
    level: float | None = None,
) -> RolloutPlan:
    """Hughes's test-and-roll-out: mail the rest of the RFM cells whose test beat break-even.

    A test mails a random sample of each RFM cell; a cell is rolled out when its test
    response rate :math:`\\hat r_j = k_j / n_j` exceeds break-even :math:`c / m`. A small test
    cell's rate is noisy (3 responses in 100 pieces is anything from about 1% to 8%): with
    ``level`` the decision uses the one-sided Clopper-Pearson lower bound instead, so a cell is
    rolled out only if its response rate beats break-even with that confidence:

    .. math:: \\underline r_j = B^{-1}(1 - \\text{level};\\ k_j,\\ n_j - k_j + 1)
        \\;(0 \\text{ if } k_j = 0), \\qquad
        \\text{roll out } j \\iff \\underline r_j > c / m

    The expected profit of a roll-out is :math:`N_j(\\hat r_j m - c)` for the
    :math:`N_j` customers not yet mailed (at the point estimate; roll-out rates are often a
    little below the test's, as the best cells were picked on the same noisy rates).

    Parameters
    ----------
    cells
        Cell codes (e.g. ``"555"``), one per cell, distinct.
    tested
        Customers mailed in each cell's test, >= 1.
    responses
        Responders in each cell's test, <= tested.
    remaining
        Customers of each cell not yet mailed.
    cost_per_contact
        Cost of one contact, >= 0.
    margin_per_response
        Margin per response, > 0.
    level
        ``None``: decide on the test rates; a level such as 0.9: on the one-sided lower
        confidence bounds.

    Returns
    -------
    RolloutPlan
        The decision, the expected profit and the reason per cell; the totals.

    Raises
    ------
    ArgumentError
        Naming the argument: bad cost, margin or level; ``cells`` not text codes.
    DataError
        Naming the column: counts that are not whole numbers >= 0, an empty test cell, more
        responses than pieces mailed, lengths that differ, repeated or empty cell codes.

    References
    ----------
    Hughes, A. M. (2005). *Strategic Database Marketing*, 3rd ed. ("test and roll out" on
    RFM cells). Clopper, C. J. & Pearson, E. S. (1934). *Biometrika* 26(4), 404-413.

    Examples
    --------
    >>> plan = rfm_rollout(["555", "311"], [200, 200], [12, 2], remaining=[5000, 8000],
    ...                    cost_per_contact=0.5, margin_per_response=25)
    >>> plan.roll_out, plan.rollout_profit  # 5000 * (0.06 * 25 - 0.5)
    ((True, False), 5000.0)
    """
    c, m = _money(cost_per_contact, margin_per_response)
    lv = None if level is None else check_level(level, "level")
    if isinstance(cells, str | bytes) or not isinstance(cells, Sequence | np.ndarray):
        raise ArgumentError(
            f"must be a list of cell codes, got {type(cells).__name__}", argument="cells"
        )
    codes = list(cells)
    if not codes:
        raise DataError("no cells", column="cells")
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not code:
            raise DataError(
                f"cell codes must be non-empty text, got {code!r}", column="cells", rows=[i]
            )
    if len(set(codes)) != len(codes):
        seen: set[str] = set()
        dup = []
        for i, code in enumerate(codes):
            if code in seen:
                dup.append(i)
            seen.add(code)
        raise DataError("cell codes repeat", column="cells", rows=dup)
    n = len(codes)
    nt = _counts(tested, "tested", n)
    k = _counts(responses, "responses", n)
    rest = _counts(remaining, "remaining", n)
    if np.any(nt == 0):
        raise DataError(
            "a test cell mailed nobody", column="tested", rows=np.flatnonzero(nt == 0).tolist()
        )
    if np.any(k > nt):
        raise DataError(
            "more responses than pieces mailed",
            column="responses",
            rows=np.flatnonzero(k > nt).tolist(),
        )
    be = c / m
    rate = k / nt
    if lv is None:
        lower = np.array([])
        decide = rate
    else:
        lower = np.where(k > 0, stats.beta.ppf(1.0 - lv, np.maximum(k, 1), nt - k + 1), 0.0)
        decide = lower
    go = decide > be
    with np.errstate(over="ignore", invalid="ignore"):
        profit = rest * (rate * m - c)
        totals = [float(k.sum() * m - nt.sum() * c), float(profit[go].sum())]
    _finite_profit(*profit.tolist(), *totals)
    reasons = []
    for j in range(n):
        said = f"test response {_pct(rate[j])} ({k[j]}/{nt[j]})"
        if lv is not None:
            said += f", lower {lv:.0%} bound {_pct(lower[j])}"
        if go[j] and rest[j] == 0:
            reasons.append(
                f"{said} > break-even {_pct(be)}: the cell pays, but the test mailed all of it "
                "(nothing left to roll out)"
            )
        elif go[j]:
            reasons.append(
                f"{said} > break-even {_pct(be)}: roll out to {rest[j]} customers, expected "
                f"profit {profit[j]:.2f}"
            )
        elif lv is not None and rate[j] > be:
            reasons.append(
                f"{said} <= break-even {_pct(be)}: the rate beats break-even but the test is "
                f"too small to be sure at {lv:.0%}; do not roll out (or test more)"
            )
        else:
            reasons.append(f"{said} <= break-even {_pct(be)}: do not roll out")
    return RolloutPlan(
        cells=tuple(codes),
        tested=tuple(int(v) for v in nt),
        responses=tuple(int(v) for v in k),
        response_rate=tuple(float(v) for v in rate),
        lower_bound=tuple(float(v) for v in lower),
        level=lv,
        remaining=tuple(int(v) for v in rest),
        roll_out=tuple(bool(v) for v in go),
        expected_profit=tuple(float(v) for v in profit),
        reasons=tuple(reasons),
        break_even=be,
        cost_per_contact=c,
        margin_per_response=m,
        test_profit=float(k.sum() * m - nt.sum() * c),
        rollout_customers=int(rest[go].sum()),
        rollout_profit=float(profit[go].sum()),
    )
