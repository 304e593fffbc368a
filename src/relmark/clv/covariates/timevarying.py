r"""Pareto/NBD with time-varying covariates (Bachmann, Meierer & Näf 2021).

Covariates that change over calendar time (prices, seasons, campaigns, a customer's own
status) enter the purchase and the dropout process of the Pareto/NBD as piecewise-constant
functions on a grid of periods. While alive a customer buys at rate
:math:`\lambda\,e^{\gamma_P^\top z_P(t)}` and drops out at hazard
:math:`\mu\,e^{\gamma_L^\top z_L(t)}`, with :math:`\lambda \sim \text{Gamma}(r, \alpha)` and
:math:`\mu \sim \text{Gamma}(s, \beta)`. With :math:`A(t)` and :math:`B(t)` the integrals of
the two rate multipliers from the customer's first purchase,

.. math::

    L = a(t_x)\Bigl(\frac{A(t_x)}{t_x}\Bigr)^{x-1}
        \frac{\Gamma(r+x)\,\alpha^r\beta^s}{\Gamma(r)} \Bigl[
        \frac{1}{(\alpha+A(T))^{r+x}(\beta+B(T))^{s}}
        + s \int_{t_x}^{T} \frac{b(\omega)\,d\omega}
          {(\alpha+A(\omega))^{r+x}(\beta+B(\omega))^{s+1}} \Bigr]

(the first factor for :math:`x \ge 1` only). With covariates constant over time this is the
static-covariate Pareto/NBD with :math:`\alpha e^{-\gamma_P^\top z}` and
:math:`\beta e^{-\gamma_L^\top z}` (the parameterisation of CLVTools), and with all effects 0
the classic Pareto/NBD.

Input: a long table of covariates, one row per customer and period (``customer_id``,
``period_start`` in the summary's time unit on a calendar axis, then the covariate columns),
periods of one length ``period_length``, and the ``observation_end`` of the summary on the same
axis: customer :math:`i`'s first purchase is at ``observation_end - T_i``. Every period that
overlaps a customer's window (first purchase to ``observation_end``, and to
``observation_end + t`` for predictions over ``t``) must be in the table.

References
----------
Bachmann, P., Meierer, M. & Näf, J. (2021). The role of time-varying contextual factors in
latent attrition models for customer base analysis. *Marketing Science* 40(4):783-809.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers.
*Management Science* 33(1):1-24.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm

from relmark._validation import (
    FloatArray,
    as_finite_vector,
    check_level,
    check_number,
    check_rfm,
    check_rng,
    is_json_number,
)
from relmark.clv.covariates import _tv_math
from relmark.clv.covariates._design import (
    check_design,
    check_names,
    coefficient_labels,
    coefficient_table,
    format_table,
    names_from_json,
    read_covariates,
)
from relmark.clv.covariates.static import _MAX_LOG_SE
from relmark.errors import (
    ArgumentError,
    ConvergenceWarning,
    DataError,
    ParameterError,
    SchemaError,
)
from relmark.typing import RngLike

__all__ = [
    "TimeVaryingCovariates",
    "TimeVaryingParetoNBD",
    "log_likelihood",
    "simulate",
]

_MODEL = "TimeVaryingParetoNBD"
_SCHEMA = 1
_BASE = ("r", "alpha", "s", "beta")
_BLOCK = 1000
_STAGES = (1_000, 5_000)
"""Systematic subsamples (customers sorted by frequency and age) that large fits start
from: L-BFGS-B on the first, Newton steps on the next ones and on all customers."""
_GTOL = 1e-6
_TOL = 1e-9
_MAX_CELLS = 200_000_000
"""Most customer-period-covariate cells a covariate table may expand to (1.6 GB of floats)."""
_MAX_ETA = 700.0
"""Largest effect times covariate whose exponential is a float (e^709 overflows)."""


@dataclass(frozen=True, eq=False)
class TimeVaryingCovariates:
    """Covariates per customer and period on a regular grid (missing periods are NaN).

    Build it with :meth:`from_frame`.

    Attributes
    ----------
    customer_ids
        The customers, in the order of the arrays' first axis.
    purchase_names, dropout_names
        The covariates of the purchase and of the dropout process (one column may act on both).
    grid_start
        Start of the first period, in the summary's time unit on the calendar axis.
    period_length
        Length of every period, in the same unit.
    purchase, dropout
        Values, shapes ``(n_customers, n_periods, k)``; NaN where the table had no row.
    """

    customer_ids: tuple[object, ...]
    purchase_names: tuple[str, ...]
    dropout_names: tuple[str, ...]
    grid_start: float
    period_length: float
    purchase: FloatArray
    dropout: FloatArray

    def __post_init__(self) -> None:
        if not isinstance(self.customer_ids, tuple):
            raise ArgumentError("must be a tuple of customer ids", argument="customer_ids")
        for field_name in ("purchase_names", "dropout_names"):
            if check_names(getattr(self, field_name), field_name) != getattr(self, field_name):
                raise ArgumentError("must be a tuple of names", argument=field_name)
        check_number(self.grid_start, "grid_start")
        check_number(self.period_length, "period_length", low=0.0, low_open=True)
        n = len(self.customer_ids)
        shapes = []
        for field_name, names in (
            ("purchase", self.purchase_names),
            ("dropout", self.dropout_names),
        ):
            arr = getattr(self, field_name)
            if (
                not isinstance(arr, np.ndarray)
                or arr.dtype != np.float64
                or arr.ndim != 3
                or arr.shape[0] != n
                or arr.shape[2] != len(names)
            ):
                raise ArgumentError(
                    f"must be a float64 array of shape (customers {n}, periods, covariates "
                    f"{len(names)}), got {getattr(arr, 'shape', type(arr).__name__)}",
                    argument=field_name,
                )
            shapes.append(arr.shape[1])
        if shapes[0] != shapes[1]:
            raise ArgumentError(
                f"has {shapes[1]} periods, purchase {shapes[0]}", argument="dropout"
            )

    @property
    def n_periods(self) -> int:
        """Number of periods of the grid."""
        return int(self.purchase.shape[1])

    @property
    def period_starts(self) -> FloatArray:
        """Start of every period of the grid."""
        return np.asarray(
            self.grid_start + self.period_length * np.arange(self.n_periods), dtype=np.float64
        )

    @classmethod
    def from_frame(
        cls,
        table: object,
        *,
        purchase: Sequence[str] | None = None,
        dropout: Sequence[str] | None = None,
        customer_column: str = "customer_id",
        period_column: str = "period_start",
        period_length: float = 1.0,
    ) -> TimeVaryingCovariates:
        """Read a long table: one row per customer and period.

        Parameters
        ----------
        table
            A pandas (or polars) DataFrame with ``customer_column``, ``period_column`` and the
            covariate columns.
        purchase, dropout
            Names of the covariates of the purchase and of the dropout process.
        customer_column, period_column
            Names of the id column and of the period-start column (numbers in the summary's
            time unit, on the axis of ``observation_end``).
        period_length
            Length of every period (> 0); period starts must lie on one grid of this step.

        Returns
        -------
        TimeVaryingCovariates

        Raises
        ------
        ArgumentError
            For bad names, no covariates at all, or a period length <= 0.
        DataError
            For a missing column, non-numeric covariates (refused, with how to encode them),
            NaN values (naming the customers), period starts off the grid, a customer listed
            twice for one period, or a gap in a customer's periods (naming customer and period).

        Examples
        --------
        >>> import pandas as pd
        >>> t = pd.DataFrame({"customer_id": [1, 1, 2, 2], "period_start": [0.0, 1.0, 0.0, 1.0],
        ...                   "price": [1.0, 1.2, 0.9, 1.1]})
        >>> cov = TimeVaryingCovariates.from_frame(t, purchase=["price"])
        >>> cov.n_periods, cov.purchase[:, :, 0].tolist()
        (2, [[1.0, 1.2], [0.9, 1.1]])
        """
        p_names = check_names(purchase, "purchase")
        l_names = check_names(dropout, "dropout")
        if not p_names and not l_names:
            raise ArgumentError(
                "name at least one covariate (purchase=[...] or dropout=[...])",
                argument="purchase",
            )
        length = check_number(period_length, "period_length", low=0.0, low_open=True)
        to_pandas = getattr(table, "to_pandas", None)
        if not isinstance(table, pd.DataFrame) and callable(to_pandas):
            table = to_pandas()
        if not isinstance(table, pd.DataFrame):
            raise ArgumentError(
                f"must be a pandas or polars DataFrame, got {type(table).__name__}",
                argument="table",
            )
        for col in (customer_column, period_column):
            if col not in table.columns:
                raise DataError("the column is missing from the covariate table", column=col)
        if len(table) == 0:
            raise DataError("the covariate table has no rows", column=period_column)
        ids = table[customer_column].to_numpy()
        if pd.isna(ids).any():
            raise DataError(
                "missing customer ids",
                column=customer_column,
                rows=np.flatnonzero(pd.isna(ids)).tolist(),
            )
        starts = table[period_column]
        if not pd.api.types.is_numeric_dtype(starts) or pd.api.types.is_bool_dtype(starts):
            raise DataError(
                f"period starts must be numbers in the summary's time unit, got {starts.dtype}",
                column=period_column,
            )
        start = as_finite_vector(starts.to_numpy(dtype=np.float64), period_column)
        g0 = float(start.min())
        with np.errstate(over="ignore", invalid="ignore"):
            pos = (start - g0) / length
        if not np.all(np.isfinite(pos)) or float(pos.max()) > _MAX_CELLS:
            raise DataError(
                f"the period starts span {float(start.max()) - g0:g}, more than "
                f"{_MAX_CELLS:,} periods of length {length:g} (period_length): check the unit "
                "of the period starts",
                column=period_column,
            )
        index = np.rint(pos)
        off = np.abs(pos - index) > _TOL * np.maximum(1.0, np.abs(pos))
        if off.any():
            raise DataError(
                f"period starts must lie on the grid {g0:g} + k * {length:g} (period_length)",
                column=period_column,
                rows=[f"{ids[i]!r} at {start[i]:g}" for i in np.flatnonzero(off)[:10]],
            )
        labels = list(ids)
        names = list(dict.fromkeys(p_names + l_names))
        values = read_covariates(table, names, labels=labels)
        codes, uniques = pd.factorize(ids, sort=False)
        k_index = index.astype(np.intp)
        pair = codes.astype(np.int64) * (int(k_index.max()) + 1) + k_index
        dup = pd.Series(pair).duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise DataError(
                f"customer {ids[i]!r} has two rows for the period starting at {start[i]:g}",
                column=period_column,
                rows=[ids[i]],
            )
        n, n_periods = len(uniques), int(k_index.max()) + 1
        if n * n_periods * max(len(names), 1) > _MAX_CELLS:
            raise DataError(
                f"{n:,} customers over {n_periods:,} periods would need "
                f"{n * n_periods * max(len(names), 1):,} covariate cells (at most "
                f"{_MAX_CELLS:,}): the customers' periods lie far apart on the grid; check the "
                "period starts and period_length",
                column=period_column,
            )
        lo = np.full(n, n_periods)
        hi = np.full(n, -1)
        np.minimum.at(lo, codes, k_index)
        np.maximum.at(hi, codes, k_index)
        count = np.bincount(codes, minlength=n)
        gap = count != hi - lo + 1
        if gap.any():
            c = int(np.flatnonzero(gap)[0])
            have = set(k_index[codes == c].tolist())
            missing = next(k for k in range(int(lo[c]), int(hi[c]) + 1) if k not in have)
            raise DataError(
                f"customer {uniques[c]!r} has no row for the period starting at "
                f"{g0 + missing * length:g} (a gap in their periods)",
                column=period_column,
                rows=[uniques[c]],
            )
        dense = np.full((n, n_periods, len(names)), np.nan)
        dense[codes, k_index] = values
        position = {name: j for j, name in enumerate(names)}
        return cls(
            customer_ids=tuple(uniques.tolist()),
            purchase_names=p_names,
            dropout_names=l_names,
            grid_start=g0,
            period_length=length,
            purchase=dense[:, :, np.array([position[v] for v in p_names], dtype=np.intp)],
            dropout=dense[:, :, np.array([position[v] for v in l_names], dtype=np.intp)],
        )


def _windows(
    cov: TimeVaryingCovariates,
    customer_ids: Sequence[object] | None,
    T: FloatArray,
    observation_end: float,
    horizon: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The summary's customers' covariates ``(zp, zl)`` (0 outside each window, checked inside
    it) and first-purchase times on the grid's axis."""
    if customer_ids is None:
        if len(cov.customer_ids) != T.shape[0]:
            raise DataError(
                f"the covariates describe {len(cov.customer_ids)} customers, the summary "
                f"{T.shape[0]}: pass customer_ids (the summary's ids, in its order)",
                column="customer_ids",
            )
        rows = np.arange(T.shape[0])
        ids: list[object] = list(cov.customer_ids)
    else:
        if isinstance(customer_ids, str | bytes | set | frozenset | Mapping) or not hasattr(
            customer_ids, "__len__"
        ):
            raise ArgumentError(
                f"must be a list of customer ids in the summary's order, got "
                f"{type(customer_ids).__name__}",
                argument="customer_ids",
            )
        ids = list(customer_ids)
        dup = pd.Series(ids, dtype=object).duplicated().to_numpy()
        if dup.any():
            raise DataError(
                "a customer is listed twice",
                column="customer_ids",
                rows=[ids[i] for i in np.flatnonzero(dup)[:10]],
                count=int(dup.sum()),
            )
        if len(ids) != T.shape[0]:
            raise DataError(
                f"{len(ids)} customer ids for {T.shape[0]} customers", column="customer_ids"
            )
        where = {c: i for i, c in enumerate(cov.customer_ids)}
        absent = [c for c in ids if c not in where]
        if absent:
            raise DataError(
                "customers without covariates in the covariate table",
                column="customer_ids",
                rows=absent[:10],
                count=len(absent),
            )
        rows = np.array([where[c] for c in ids], dtype=np.intp)
    g0, length, n_periods = cov.grid_start, cov.period_length, cov.n_periods
    first = observation_end - T
    stop = observation_end + horizon
    grid_end = g0 + length * n_periods
    early = first < g0 - _TOL * max(1.0, abs(g0))
    if early.any():
        i = int(np.flatnonzero(early)[0])
        raise DataError(
            f"customer {ids[i]!r} made their first purchase at {first[i]:g}, before the first "
            f"period of the covariate grid ({g0:g})",
            column="T",
            rows=[ids[i]],
        )
    if stop > grid_end + _TOL * max(1.0, abs(grid_end)):
        raise DataError(
            f"the covariate grid ends at {grid_end:g}, before {stop:g} (observation_end"
            + (" + t" if horizon else "")
            + ")",
            column="period_start",
        )
    h = _tv_math.exposures(first, np.full_like(first, stop), g0, length, n_periods)
    zp = cov.purchase[rows]
    zl = cov.dropout[rows]
    for z, names in ((zp, cov.purchase_names), (zl, cov.dropout_names)):
        if not names:
            continue
        need = (h > 0)[:, :, None] & np.isnan(z)
        if need.any():
            i, k, j = (int(v[0]) for v in np.nonzero(need))
            raise DataError(
                f"customer {ids[i]!r} has no covariate values for the period starting at "
                f"{g0 + k * length:g}, inside their window [{first[i]:g}, {stop:g}]",
                column=names[j],
                rows=[ids[i]],
            )
    out_p: FloatArray = np.where(h[:, :, None] > 0, zp, 0.0)
    out_l: FloatArray = np.where(h[:, :, None] > 0, zl, 0.0)
    return out_p, out_l, first


def _summary(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return check_rfm(frequency, recency, T)


def _theta(
    params: Mapping[str, float],
    purchase_effects: Mapping[str, float] | None,
    dropout_effects: Mapping[str, float] | None,
    cov: TimeVaryingCovariates,
) -> FloatArray:
    """The parameter vector ``[r, alpha, s, beta, gamma_P..., gamma_L...]`` from dicts."""
    if not isinstance(cov, TimeVaryingCovariates):
        raise ArgumentError(
            "must be a TimeVaryingCovariates (see TimeVaryingCovariates.from_frame)",
            argument="covariates",
        )
    if not isinstance(params, Mapping):
        raise ArgumentError("must map r, alpha, s, beta to numbers", argument="params")
    vals = []
    unknown = [k for k in params if k not in _BASE]
    if unknown:
        raise ParameterError(
            f"the parameters are r, alpha, s, beta; {unknown[0]!r} is not one",
            argument=f"params.{unknown[0]}",
        )
    for name in _BASE:
        if name not in params:
            raise ParameterError("is missing", argument=f"params.{name}")
        vals.append(check_number(params[name], name, low=0.0, low_open=True))
    for effects, names, arg in (
        (purchase_effects, cov.purchase_names, "purchase_effects"),
        (dropout_effects, cov.dropout_names, "dropout_effects"),
    ):
        given = dict(effects or {})
        if set(given) != set(names):
            raise ArgumentError(
                f"must give one effect for each covariate ({', '.join(names) or 'none'}), got "
                f"{', '.join(map(str, given)) or 'none'}",
                argument=arg,
            )
        vals.extend(check_number(given[v], f"{arg}.{v}") for v in names)
    return np.array(vals, dtype=np.float64)


def _check_overflow(
    theta: FloatArray,
    cov: TimeVaryingCovariates,
    zp: FloatArray,
    zl: FloatArray,
    customer_ids: Sequence[object] | None,
) -> None:
    """Refuse effects times covariates whose exponential (the rate multiplier) overflows, naming
    the covariate and the customer."""
    kp = len(cov.purchase_names)
    ids = list(cov.customer_ids) if customer_ids is None else list(customer_ids)
    for z, gamma, names in (
        (zp, theta[4 : 4 + kp], cov.purchase_names),
        (zl, theta[4 + kp :], cov.dropout_names),
    ):
        if not names:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            eta = np.abs(z @ gamma)
        bad = ~(eta <= _MAX_ETA)
        if bad.any():
            i, k = (int(v[0]) for v in np.nonzero(bad))
            with np.errstate(over="ignore", invalid="ignore"):
                j = int(np.argmax(np.abs(z[i, k] * gamma)))
            raise DataError(
                f"effects times covariates reach {float(eta[i, k]):.3g} in the period starting "
                f"at {cov.grid_start + k * cov.period_length:g}: their exponential overflows "
                "(check the covariate's scale, or the effects)",
                column=names[j],
                rows=[ids[i]],
            )


def _prepared(
    cov: TimeVaryingCovariates,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    customer_ids: Sequence[object] | None,
    observation_end: object,
    horizon: float = 0.0,
    theta: FloatArray | None = None,
) -> tuple[_tv_math.Prepared, FloatArray, FloatArray, FloatArray]:
    if not isinstance(cov, TimeVaryingCovariates):
        raise ArgumentError(
            "must be a TimeVaryingCovariates (see TimeVaryingCovariates.from_frame)",
            argument="covariates",
        )
    x, tx, t = _summary(frequency, recency, T)
    end = check_number(observation_end, "observation_end")
    zp, zl, first = _windows(cov, customer_ids, t, end, horizon)
    if theta is not None:
        _check_overflow(theta, cov, zp, zl, customer_ids)
    data = _tv_math.prepare(
        x, tx, t, zp, zl, first=first, grid_start=cov.grid_start, period_length=cov.period_length
    )
    return data, zp, zl, first


def log_likelihood(
    params: Mapping[str, float],
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    covariates: TimeVaryingCovariates,
    *,
    observation_end: float,
    purchase_effects: Mapping[str, float] | None = None,
    dropout_effects: Mapping[str, float] | None = None,
    customer_ids: Sequence[object] | None = None,
) -> FloatArray:
    r"""Per-customer log-likelihood of the Pareto/NBD with time-varying covariates.

    .. math:: L = a(t_x)\Bigl(\frac{A(t_x)}{t_x}\Bigr)^{x-1}
        \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}\Bigl[
        \frac{1}{(\alpha+A(T))^{r+x}(\beta+B(T))^s}
        + s\int_{t_x}^T\frac{b(\omega)\,d\omega}{(\alpha+A(\omega))^{r+x}
        (\beta+B(\omega))^{s+1}}\Bigr]

    Parameters
    ----------
    params
        ``{"r": ..., "alpha": ..., "s": ..., "beta": ...}`` (all > 0).
    frequency, recency, T
        The summary (in the grid's time unit).
    covariates
        The covariates per customer and period.
    observation_end
        The end of the observation period on the grid's axis.
    purchase_effects, dropout_effects
        :math:`\gamma_P` and :math:`\gamma_L` by covariate name.
    customer_ids
        The summary's customer ids in its order (default: the covariates' own order).

    Returns
    -------
    numpy.ndarray
        :math:`\ln L` per customer.

    Raises
    ------
    ArgumentError
        For bad parameters or effects (naming them).
    DataError
        For a bad summary or covariates that do not cover a customer's window.

    References
    ----------
    Bachmann, Meierer & Näf (2021), *Marketing Science* 40(4):783-809.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customer_id": [1, 1], "period_start": [0.0, 1.0], "z": [0.0, 0.0]})
    >>> cov = TimeVaryingCovariates.from_frame(t, purchase=["z"])
    >>> p = {"r": 1.0, "alpha": 2.0, "s": 1.0, "beta": 2.0}
    >>> ll = log_likelihood(p, [0], [0.0], [2.0], cov, observation_end=2.0,
    ...                     purchase_effects={"z": 0.5})
    >>> # z = 0: the classic value 4 [1/16 + (1/4 - 1/16)/2] = 0.625 (alpha = beta, r = s = 1)
    >>> round(math.exp(float(ll[0])), 12) == 0.625
    True
    """
    if not isinstance(covariates, TimeVaryingCovariates):
        raise ArgumentError(
            "must be a TimeVaryingCovariates (see TimeVaryingCovariates.from_frame)",
            argument="covariates",
        )
    theta = _theta(params, purchase_effects, dropout_effects, covariates)
    data, *_ = _prepared(
        covariates, frequency, recency, T, customer_ids, observation_end, theta=theta
    )
    ll, _ = _tv_math.log_likelihood_and_grad(
        theta, data, len(covariates.purchase_names), grad=False
    )
    return ll


def simulate(
    params: Mapping[str, float],
    covariates: TimeVaryingCovariates,
    *,
    T: npt.ArrayLike,
    observation_end: float,
    purchase_effects: Mapping[str, float] | None = None,
    dropout_effects: Mapping[str, float] | None = None,
    customer_ids: Sequence[object] | None = None,
    rng: RngLike = None,
) -> pd.DataFrame:
    r"""Simulate customers of the individual-level model with time-varying covariates.

    Each customer draws :math:`\lambda \sim \text{Gamma}(r, \alpha)` and
    :math:`\mu \sim \text{Gamma}(s, \beta)`; the lifetime solves
    :math:`\mu B(\omega) = E`, :math:`E \sim \text{Exp}(1)`; the purchases up to
    :math:`\min(\omega, T)` are Poisson with mean :math:`\lambda A(\min(\omega, T))`, the last
    one at :math:`A^{-1}` of the largest of that many uniform points of the purchase clock.

    Parameters
    ----------
    params
        ``{"r", "alpha", "s", "beta"}``.
    covariates
        The covariates per customer and period.
    T
        Each customer's age at ``observation_end``.
    observation_end
        The end of the observation period on the grid's axis.
    purchase_effects, dropout_effects
        The effects by covariate name.
    customer_ids
        The customers to simulate (default: all of ``covariates``, in order).
    rng
        A numpy Generator, a seed or None.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, frequency, recency, T, alive`` (at ``T``) and ``lifetime`` (inf for
        customers never dropping out within the grid), one row per customer.

    Raises
    ------
    ArgumentError
        For bad parameters, effects or ``rng``.
    DataError
        For ages or covariates that do not fit the grid.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customer_id": [1, 1], "period_start": [0.0, 1.0], "z": [0.0, 1.0]})
    >>> cov = TimeVaryingCovariates.from_frame(t, purchase=["z"])
    >>> sim = simulate({"r": 1, "alpha": 1, "s": 1, "beta": 1}, cov, T=[2.0],
    ...                observation_end=2.0, purchase_effects={"z": 0.3}, rng=1)
    >>> list(sim.columns)
    ['customer_id', 'frequency', 'recency', 'T', 'alive', 'lifetime']
    """
    gen = check_rng(rng)
    t = as_finite_vector(T, "T")
    if (t < 0).any():
        raise DataError("must be >= 0", column="T", rows=np.flatnonzero(t < 0).tolist())
    end = check_number(observation_end, "observation_end")
    theta = _theta(params, purchase_effects, dropout_effects, covariates)
    zp, zl, first = _windows(covariates, customer_ids, t, end, 0.0)
    _check_overflow(theta, covariates, zp, zl, customer_ids)
    g0, length, n_periods = covariates.grid_start, covariates.period_length, covariates.n_periods
    h = _tv_math.exposures(first, first + t, g0, length, n_periods)
    lo = g0 + length * np.arange(n_periods)
    starts = np.clip(lo[None, :] - first[:, None], 0.0, None)
    x, tx, _, _, life = _tv_math.simulate_rfm(
        theta, len(covariates.purchase_names), zp, zl, h, starts, gen
    )
    ids = list(covariates.customer_ids) if customer_ids is None else list(customer_ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "frequency": x,
            "recency": tx,
            "T": t,
            "alive": life > t,
            "lifetime": life,
        }
    )


def _blocks(data: _tv_math.Prepared) -> list[_tv_math.Prepared]:
    return [data.subset(np.arange(lo, min(lo + _BLOCK, data.n))) for lo in range(0, data.n, _BLOCK)]


def _evaluate(
    theta: FloatArray, blocks: list[_tv_math.Prepared], kp: int, pool: ThreadPoolExecutor | None
) -> tuple[float, FloatArray, FloatArray]:
    """Total log-likelihood, total gradient and per-customer gradients over blocks."""

    def one(b: _tv_math.Prepared) -> tuple[FloatArray, FloatArray]:
        with np.errstate(all="ignore"):  # per thread: trial steps may overflow
            return _tv_math.log_likelihood_and_grad(theta, b, kp)

    parts = list(pool.map(one, blocks)) if pool is not None else [one(b) for b in blocks]
    ll = float(sum(float(p[0].sum()) for p in parts))
    g = np.concatenate([p[1] for p in parts])
    return ll, g.sum(axis=0), g


def _to_u(theta: FloatArray) -> FloatArray:
    u = theta.copy()
    u[:4] = np.log(theta[:4])
    return u


def _from_u(u: FloatArray) -> FloatArray:
    theta = u.copy()
    with np.errstate(over="ignore"):
        theta[:4] = np.exp(np.clip(u[:4], -30.0, 30.0))
    return theta


def _optimise(
    blocks: list[_tv_math.Prepared], kp: int, u0: FloatArray, pool: ThreadPoolExecutor | None
) -> tuple[FloatArray, float, FloatArray, int]:
    """L-BFGS-B on the unconstrained scale (log of r, alpha, s, beta; effects as they are)."""
    nobs = float(sum(b.n for b in blocks))

    def fun(u: FloatArray) -> tuple[float, FloatArray]:
        theta = _from_u(u)
        ll, g, _ = _evaluate(theta, blocks, kp, pool)
        gu = g.copy()
        gu[:4] *= theta[:4]
        if not math.isfinite(ll) or not np.all(np.isfinite(gu)):
            return 1e300, np.zeros_like(u)
        return -ll / nobs, -gu / nobs

    res = minimize(fun, u0, jac=True, method="L-BFGS-B", options={"maxiter": 1000, "gtol": 1e-9})
    f, g = fun(np.asarray(res.x, dtype=np.float64))
    return np.asarray(res.x, dtype=np.float64), -f * nobs, -g * nobs, int(res.nit)


def _newton(
    blocks: list[_tv_math.Prepared],
    kp: int,
    u: FloatArray,
    hess: FloatArray,
    pool: ThreadPoolExecutor | None,
    max_steps: int = 6,
) -> tuple[FloatArray, float, FloatArray]:
    """Newton steps with step halving from ``u`` with a fixed Hessian."""
    n = float(sum(b.n for b in blocks))
    ll, g = _total(blocks, kp, u, pool)
    for _ in range(max_steps):
        if float(np.max(np.abs(g))) / n < _GTOL / 10.0:
            break
        step = _solve(hess, g)
        if step is None:
            break
        for _half in range(30):
            ll_new, g_new = _total(blocks, kp, u + step, pool)
            if math.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            step = step / 2.0
        else:
            break
        u, ll, g = u + step, ll_new, g_new
    return u, ll, g


def _total(
    blocks: list[_tv_math.Prepared], kp: int, u: FloatArray, pool: ThreadPoolExecutor | None
) -> tuple[float, FloatArray]:
    """Total log-likelihood and its gradient in ``u``."""
    theta = _from_u(u)
    ll, g, _ = _evaluate(theta, blocks, kp, pool)
    gu = g.copy()
    gu[:4] *= theta[:4]
    return ll, gu


def _solve(hess: FloatArray, g: FloatArray) -> FloatArray | None:
    """The Newton step ``-H^{-1} g`` (None when ``-H`` is not positive definite)."""
    try:
        chol = np.linalg.cholesky(-hess)
    except np.linalg.LinAlgError:
        return None
    out: FloatArray = np.linalg.solve(chol.T, np.linalg.solve(chol, g))
    return out


def _hessian(
    blocks: list[_tv_math.Prepared],
    kp: int,
    u: FloatArray,
    pool: ThreadPoolExecutor | None,
    *,
    g0: FloatArray | None = None,
) -> FloatArray:
    """Hessian of the total log-likelihood in ``u``: forward differences of the analytic
    gradient from ``g0`` when given, central differences otherwise."""
    k = u.shape[0]
    hess = np.empty((k, k))
    for j in range(k):
        step = (1e-6 if g0 is not None else 1e-5) * max(1.0, abs(float(u[j])))
        e = np.zeros(k)
        e[j] = step
        if g0 is not None:
            hess[:, j] = (_total(blocks, kp, u + e, pool)[1] - g0) / step
        else:
            hess[:, j] = (
                _total(blocks, kp, u + e, pool)[1] - _total(blocks, kp, u - e, pool)[1]
            ) / (2.0 * step)
    out: FloatArray = (hess + hess.T) / 2.0
    return out


@dataclass(frozen=True, eq=False)
class TimeVaryingParetoNBD:
    """A fitted (or given) Pareto/NBD with time-varying covariates.

    Fit it with :meth:`fit`; store it with :meth:`to_json` and :meth:`from_json`.

    Attributes
    ----------
    params
        ``r, alpha, s, beta`` (alpha and beta in the grid's time unit) at covariates 0: a
        customer's purchase-rate scale at ``z`` is :math:`\\alpha e^{-\\gamma_P^\\top z}`.
        :meth:`fit` centres the covariates at their means for the optimiser and maps the
        estimates back; far from 0 (covariates around 1e3) alpha and beta at 0 are extreme
        (1e174) and only their logs' standard errors are meaningful (the covariance's).
    purchase_effects, dropout_effects
        :math:`\\gamma_P` and :math:`\\gamma_L` by covariate name.
    covariance
        Covariance of ``[log r, log alpha, log s, log beta, effects...]`` (inverse Hessian of
        the negative log-likelihood; NaN when it was not positive definite).
    log_likelihood
        The log-likelihood at the estimates.
    nobs
        Number of customers fitted.
    converged
        Whether the gradient per customer fell below tolerance.
    grid_start, period_length
        The covariate grid the model was fitted on.
    """

    params: dict[str, float]
    purchase_effects: dict[str, float]
    dropout_effects: dict[str, float]
    covariance: FloatArray
    log_likelihood: float
    nobs: int
    converged: bool
    grid_start: float
    period_length: float

    def __post_init__(self) -> None:
        if not isinstance(self.params, Mapping) or set(self.params) != set(_BASE):
            raise ParameterError("must map exactly r, alpha, s, beta to numbers", argument="params")
        for name in _BASE:
            try:
                check_number(self.params[name], name, low=0.0, low_open=True)
            except ArgumentError:
                raise ParameterError(
                    f"must be a finite number > 0, got {self.params[name]!r}",
                    argument=f"params.{name}",
                ) from None
        for field_name in ("purchase_effects", "dropout_effects"):
            effects = getattr(self, field_name)
            if not isinstance(effects, Mapping):
                raise ArgumentError("must map covariate names to numbers", argument=field_name)
            check_names(list(effects), field_name)
            for name, v in effects.items():
                check_number(v, f"{field_name}.{name}")
        k = 4 + len(self.purchase_effects) + len(self.dropout_effects)
        cov = self.covariance
        if not isinstance(cov, np.ndarray) or cov.shape != (k, k):
            raise ArgumentError(
                f"must be a {k} x {k} array, got {getattr(cov, 'shape', type(cov).__name__)}",
                argument="covariance",
            )
        check_number(self.log_likelihood, "log_likelihood")
        if isinstance(self.nobs, bool) or not isinstance(self.nobs, int) or self.nobs < 1:
            raise ArgumentError(f"must be a whole number >= 1, got {self.nobs!r}", argument="nobs")
        if not isinstance(self.converged, bool):
            raise ArgumentError("must be True or False", argument="converged")
        check_number(self.grid_start, "grid_start")
        check_number(self.period_length, "period_length", low=0.0, low_open=True)

    # ---------------------------------------------------------------- fitting
    @classmethod
    def fit(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: TimeVaryingCovariates,
        *,
        observation_end: float,
        customer_ids: Sequence[object] | None = None,
        n_jobs: int = 2,
    ) -> TimeVaryingParetoNBD:
        r"""Maximum-likelihood fit with the analytic gradient.

        L-BFGS-B on :math:`(\ln r, \ln\alpha, \ln s, \ln\beta, \gamma_P, \gamma_L)` (on a
        systematic subsample of 5,000 customers first when there are more than 20,000), then
        Newton steps on all customers with a Hessian from central differences of the analytic
        gradient, whose inverse is the covariance. The optimiser sees each covariate centred
        at its mean :math:`c` over the customers' windows and divided by its standard
        deviation there (base parameters at the mean covariates, effects of order 1); the
        estimates and the covariance are then mapped exactly to covariates 0 (``params``) and
        effects per unit: :math:`\ln\alpha_0 = \ln\alpha_c + \gamma_P^\top c`,
        :math:`\ln\beta_0 = \ln\beta_c + \gamma_L^\top c`.

        Parameters
        ----------
        frequency, recency, T
            The summary, in the grid's time unit.
        covariates
            The covariates per customer and period (:meth:`TimeVaryingCovariates.from_frame`).
        observation_end
            The end of the observation period on the grid's axis (the first purchase of
            customer :math:`i` is at ``observation_end - T[i]``).
        customer_ids
            The summary's customer ids in its order (default: the covariates' order).
        n_jobs
            Threads evaluating blocks of customers (1 or more).

        Returns
        -------
        TimeVaryingParetoNBD

        Raises
        ------
        ArgumentError
            For a bad ``n_jobs``.
        DataError
            For a bad summary, covariates missing inside a customer's window (naming the
            customer and the period), or a covariate that is constant over all customers and
            periods or a linear combination of the others (naming it), or one so far from 0
            that alpha or beta at covariates 0 is beyond floating point (naming it).

        Warns
        -----
        ConvergenceWarning
            When the fit did not converge, or the data do not identify the parameters and
            effects: the Hessian is not negative definite, or a base parameter's log (at the
            mean covariates) has a standard error above 10, as in the static covariate models
            (estimates running off towards the boundary). The covariance is then NaN.

        Examples
        --------
        See the how-to ``docs/howto/covariates-time-varying.md``.
        """
        jobs = int(check_number(n_jobs, "n_jobs", low=1, whole=True))
        data, *_ = _prepared(covariates, frequency, recency, T, customer_ids, observation_end)
        inside = data.h > 0
        for z, names, process in (
            (data.zp, covariates.purchase_names, "purchase"),
            (data.zl, covariates.dropout_names, "dropout"),
        ):
            if names:  # constant or collinear covariates do not identify their effects
                check_design(z[inside], names, process=process)
        kp = len(covariates.purchase_names)
        k = 4 + kp + len(covariates.dropout_names)
        # fit on covariates centred at their means inside the windows and divided by their
        # standard deviations there, as the static models' checks advise: effects of order 1
        # for the optimiser whatever the covariates' units, and base parameters at the mean
        # covariates, within the fit's range (e^-30..e^30) even when covariates 0 lies far
        # from the data (uncentred, covariates around 1e3 put alpha at 1e174 and the fit
        # stalled: season 0.03 for 0.4). The estimates and their covariance are mapped back
        # to covariates 0 exactly (a linear map of the log-parameters) at the end.
        centre = np.zeros(k)
        scale = np.ones(k)
        for offset, z, names in (
            (4, data.zp, covariates.purchase_names),
            (4 + kp, data.zl, covariates.dropout_names),
        ):
            for j in range(z.shape[2]):
                values = z[:, :, j][inside]
                centre[offset + j] = float(values.mean())
                # the standard deviation in units of the largest deviation: squares of
                # covariates ~1e160 overflowed (scale inf, the effect fitted as 0)
                dev = values - centre[offset + j]
                top = float(np.max(np.abs(dev)))
                scale[offset + j] = top * float(np.sqrt(np.mean(np.square(dev / top))))
                if not 1e-100 <= scale[offset + j] <= 1e100:
                    # an effect per unit's variance is the centred one over scale^2: at a
                    # spread of 1e160 it was subnormal (standard error 3 % off), beyond 0
                    raise DataError(
                        f"spreads {scale[offset + j]:.3g} around its mean: beyond 1e+-100 an "
                        "effect per unit and its variance leave floating point; rescale the "
                        "covariate (other units)",
                        column=names[j],
                    )
        data = _tv_math.Prepared(
            data.x,
            data.tx,
            data.T,
            (data.zp - centre[4 : 4 + kp]) / scale[4 : 4 + kp],
            (data.zl - centre[4 + kp :]) / scale[4 + kp :],
            data.h,
            data.pre.copy(),
            data.cell_tx,
        )
        back = _uncentre_map(centre, scale, kp)
        x, t = data.x, data.T
        u0 = np.zeros(k)
        mean_t = max(float(t.mean()), 1e-3)
        u0[:4] = np.log([1.0, mean_t / max(float(x.mean()), 0.1), 1.0, mean_t])
        pool = ThreadPoolExecutor(jobs) if jobs > 1 else None
        nobs = float(data.n)
        try:
            full = _blocks(data)
            order = np.lexsort((t, x))
            stages = [
                _blocks(data.subset(np.sort(order[:: data.n // size])))
                for size in _STAGES
                if size * 4 <= data.n
            ] + [full]
            u, *_ = _optimise(stages[0], kp, u0, pool)
            for previous, blocks in itertools.pairwise(stages):
                # the previous stage's Hessian per customer steers Newton steps on this one
                n_prev = float(sum(b.n for b in previous))
                n_here = float(sum(b.n for b in blocks))
                g_prev = _total(previous, kp, u, pool)[1]
                hess = _hessian(previous, kp, u, pool, g0=g_prev) * (n_here / n_prev)
                u, ll, g = _newton(blocks, kp, u, hess, pool)
            ll, g = _total(full, kp, u, pool)
            hess = _hessian(full, kp, u, pool, g0=g)
            if float(np.max(np.abs(g))) / nobs > _GTOL / 10.0:
                u_new, ll, g = _newton(full, kp, u, hess, pool)
                if float(np.max(np.abs(u_new - u))) > 1e-4:
                    hess = _hessian(full, kp, u_new, pool, g0=g)
                u = u_new
        finally:
            if pool is not None:
                pool.shutdown()
        theta = _at_zero(back @ _to_u(_from_u(u)), covariates, centre)
        converged = bool(float(np.max(np.abs(g))) / nobs < _GTOL)
        try:
            eig = np.linalg.eigvalsh(-hess)
            cov = np.linalg.inv(-hess) if np.all(eig > 0) else np.full((k, k), np.nan)
            cov = back @ cov @ back.T
            # exactly symmetric (the products round differently either side of the diagonal,
            # and from_json refuses an asymmetric covariance: a fit's JSON did not load back)
            cov = (cov + cov.T) / 2.0
        except np.linalg.LinAlgError:
            cov = np.full((k, k), np.nan)
        cov64: FloatArray = np.asarray(cov, dtype=np.float64)
        hessian_ok = not np.isnan(cov64).any()
        loose = _loose_parameters(cov64, centre, kp) if hessian_ok else ""
        if loose:
            cov = np.full((k, k), np.nan)
        if not converged or np.isnan(cov).any():
            warnings.warn(
                f"{_MODEL}: "
                + (
                    f"the data do not bound {loose} at the mean covariates (a standard error "
                    f"above {_MAX_LOG_SE:g} on the log scale; standard errors are NaN)"
                    if loose
                    else "the Hessian at the estimates is not negative definite (standard errors "
                    "are NaN)"
                    if not hessian_ok
                    else "the fit did not converge"
                )
                + "; the parameters and effects are not identified by these data",
                ConvergenceWarning,
                stacklevel=2,
            )
        return cls(
            params=dict(zip(_BASE, (float(v) for v in theta[:4]), strict=True)),
            purchase_effects=dict(
                zip(covariates.purchase_names, (float(v) for v in theta[4 : 4 + kp]), strict=True)
            ),
            dropout_effects=dict(
                zip(covariates.dropout_names, (float(v) for v in theta[4 + kp :]), strict=True)
            ),
            covariance=np.asarray(cov, dtype=np.float64),
            log_likelihood=ll,
            nobs=data.n,
            converged=converged,
            grid_start=covariates.grid_start,
            period_length=covariates.period_length,
        )

    # ---------------------------------------------------------------- inference
    @property
    def labels(self) -> tuple[str, ...]:
        """Names of all estimates: ``r, alpha, s, beta, purchase:<name>..., dropout:<name>...``."""
        return (
            _BASE
            + coefficient_labels("purchase", tuple(self.purchase_effects))
            + coefficient_labels("dropout", tuple(self.dropout_effects))
        )

    @property
    def estimates(self) -> FloatArray:
        """All estimates in the order of :attr:`labels`."""
        return np.array(
            [
                *self.params.values(),
                *self.purchase_effects.values(),
                *self.dropout_effects.values(),
            ],
            dtype=np.float64,
        )

    @property
    def std_errors(self) -> dict[str, float]:
        """Standard errors by label (the delta method for ``r, alpha, s, beta``)."""
        se = np.sqrt(np.diag(self.covariance))
        est = self.estimates
        se = np.where(np.arange(se.shape[0]) < 4, se * est, se)
        return dict(zip(self.labels, (float(v) for v in se), strict=True))

    @property
    def aic(self) -> float:
        """Akaike information criterion :math:`2k - 2\\ell`."""
        return 2.0 * len(self.labels) - 2.0 * self.log_likelihood

    def conf_int(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Confidence intervals of coverage ``level``: Wald on the log scale for ``r, alpha, s,
        beta`` (so they stay positive), Wald for the effects.

        Parameters
        ----------
        level
            Coverage, strictly between 0 and 1.

        Returns
        -------
        dict
            ``label -> (lower, upper)``.

        Raises
        ------
        ArgumentError
            For a level outside (0, 1).
        """
        q = float(norm.ppf(0.5 + check_level(level, "level") / 2.0))
        u = _to_u(self.estimates)
        se = np.sqrt(np.diag(self.covariance))
        lo, hi = u - q * se, u + q * se
        lo[:4], hi[:4] = np.exp(lo[:4]), np.exp(hi[:4])
        return {lab: (float(a), float(b)) for lab, a, b in zip(self.labels, lo, hi, strict=True)}

    def coefficients(self, level: float = 0.95) -> pd.DataFrame:
        """The effects with standard errors, Wald intervals, z and p-values.

        Parameters
        ----------
        level
            Coverage of the intervals.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``purchase:<name>`` / ``dropout:<name>``.
        """
        se = self.std_errors
        labels = self.labels[4:]
        return coefficient_table(
            labels,
            self.estimates[4:],
            np.array([se[v] for v in labels]),
            level=level,
        )

    def summary(self, level: float = 0.95) -> str:
        """A text summary: the fit, the four parameters and the effects table.

        Parameters
        ----------
        level
            Coverage of the intervals.

        Returns
        -------
        str
        """
        ci = self.conf_int(level)
        se = self.std_errors
        lines = [
            f"{_MODEL} fit on {self.nobs:,} customers; log-likelihood "
            f"{self.log_likelihood:,.4f}, AIC {self.aic:,.2f}, converged: "
            f"{'yes' if self.converged else 'no'}",
            f"  grid: periods of {self.period_length:g} from {self.grid_start:g}",
            "  r, alpha, s, beta at covariates 0 (rates alpha e^(-gamma_P'z), beta "
            "e^(-gamma_L'z)); effects per unit of each covariate",
        ]
        for name in _BASE:
            lo, hi = ci[name]
            lines.append(
                f"  {name:<12}{self.params[name]:>11.4f}{se[name]:>11.4f}{lo:>11.4f}{hi:>11.4f}"
            )
        if len(self.labels) > 4:
            lines.append(format_table(self.coefficients(level), level=level))
        return "\n".join(lines)

    # ---------------------------------------------------------------- predictions
    def _theta_for(self, covariates: TimeVaryingCovariates) -> FloatArray:
        if not isinstance(covariates, TimeVaryingCovariates):
            raise ArgumentError("must be a TimeVaryingCovariates", argument="covariates")
        if covariates.purchase_names != tuple(self.purchase_effects) or (
            covariates.dropout_names != tuple(self.dropout_effects)
        ):
            raise DataError(
                f"the model was fitted with purchase covariates {list(self.purchase_effects)} "
                f"and dropout covariates {list(self.dropout_effects)}, these covariates have "
                f"{list(covariates.purchase_names)} and {list(covariates.dropout_names)}",
                column="covariates",
            )
        return self.estimates

    def p_alive(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: TimeVaryingCovariates,
        *,
        observation_end: float,
        customer_ids: Sequence[object] | None = None,
        t: float = 0.0,
    ) -> FloatArray:
        r"""Probability that each customer is alive at ``T`` (with ``t``, at ``T + t``, using
        the future covariate values of the table):

        .. math:: P(\text{alive at } T) =
            \frac{(\alpha+A(T))^{-(r+x)}(\beta+B(T))^{-s}}{[\cdot]}, \qquad
            P(\text{alive at } T+t) = P(\text{alive at } T)
            \Bigl(\frac{\beta+B(T)}{\beta+B(T+t)}\Bigr)^{s}

        with :math:`[\cdot]` the likelihood's bracket and :math:`B` the dropout clock
        :math:`\int b` (alive at :math:`T`, the dropout rate given the data is
        :math:`\text{Gamma}(s, \beta+B(T))`; with constant covariates this is the classic
        :meth:`relmark.clv.ParetoNBD.p_alive` with ``t``, Fader, Hardie & Lee 2005, note 008).

        Parameters
        ----------
        frequency, recency, T
            The summary.
        covariates
            Covariates covering each customer's window.
        observation_end
            The end of the observation period on the grid's axis.
        customer_ids
            The summary's ids (default: the covariates' order).
        t
            Keyword-only: how far after ``observation_end`` (>= 0, one number: every customer's
            ``T`` ends at ``observation_end``), in the grid's time unit. The default 0 is
            today's P(alive); ``t > 0`` needs covariates up to ``observation_end + t``.

        Returns
        -------
        numpy.ndarray
            One probability per customer.

        Raises
        ------
        ArgumentError
            For a negative or non-numeric ``t``.
        DataError
            For a bad summary or covariates that do not cover the windows (up to
            ``observation_end + t``).

        References
        ----------
        Bachmann, P., Meierer, M. & Näf, J. (2021). The role of time-varying contextual factors
        in latent attrition models for customer base analysis. *Marketing Science* 40(4),
        783-809.

        Examples
        --------
        >>> import math
        >>> import numpy as np
        >>> import pandas as pd
        >>> table = pd.DataFrame({"customer_id": [1] * 4, "period_start": [0.0, 1.0, 2.0, 3.0],
        ...                       "price": [0.0, 0.0, 1.0, 1.0]})
        >>> cov = TimeVaryingCovariates.from_frame(table, dropout=["price"])
        >>> model = TimeVaryingParetoNBD(
        ...     params={"r": 0.8, "alpha": 5.0, "s": 0.6, "beta": 9.0}, purchase_effects={},
        ...     dropout_effects={"price": 0.5}, covariance=np.eye(5) * 0.01,
        ...     log_likelihood=-1.0, nobs=1, converged=True, grid_start=0.0, period_length=1.0)
        >>> now = model.p_alive([2], [1.5], [2.0], cov, observation_end=2.0)
        >>> later = model.p_alive([2], [1.5], [2.0], cov, observation_end=2.0, t=2.0)
        >>> # B(T) = 2 (price 0), B(T + 2) = 2 + 2 e^0.5: the ratio is (11 / (11 + 2 e^0.5))^0.6
        >>> bool(abs(later[0] / now[0] - (11 / (11 + 2 * math.exp(0.5))) ** 0.6) < 1e-12)
        True
        """
        horizon = check_number(t, "t", low=0.0)
        theta = self._theta_for(covariates)
        kp = len(self.purchase_effects)
        if horizon == 0.0:
            data, *_ = _prepared(
                covariates, frequency, recency, T, customer_ids, observation_end, theta=theta
            )
            return np.concatenate([_tv_math.p_alive(theta, b, kp) for b in _blocks(data)])
        data, _, fb, lens = self._future(
            covariates, frequency, recency, T, customer_ids, observation_end, horizon, theta
        )
        parts = [
            _tv_math.p_alive_ahead(theta, data.subset(rows), kp, fb[rows], lens[rows])
            for rows in _row_blocks(data.n)
        ]
        return np.concatenate(parts)

    def conditional_expected_purchases(
        self,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: TimeVaryingCovariates,
        *,
        observation_end: float,
        customer_ids: Sequence[object] | None = None,
    ) -> FloatArray:
        r"""Expected purchases in :math:`(T, T+t]` with the future covariates of the table:

        .. math:: P(\text{alive})\,\frac{r+x}{\alpha+A(T)}\int_T^{T+t} a(u)
            \Bigl(\frac{\beta+B(T)}{\beta+B(u)}\Bigr)^{s}du

        (each future period's integral in closed form).

        Parameters
        ----------
        t
            The horizon (>= 0), in the grid's time unit.
        frequency, recency, T
            The summary.
        covariates
            Covariates covering each customer's window up to ``observation_end + t``.
        observation_end
            The end of the observation period on the grid's axis.
        customer_ids
            The summary's ids (default: the covariates' order).

        Returns
        -------
        numpy.ndarray
            Expected purchases per customer.

        Raises
        ------
        ArgumentError
            For a negative or non-numeric ``t``.
        DataError
            For covariates that do not reach ``observation_end + t`` (naming customer and
            period).
        """
        horizon = check_number(t, "t", low=0.0)
        theta = self._theta_for(covariates)
        data, fa, fb, lens = self._future(
            covariates, frequency, recency, T, customer_ids, observation_end, horizon, theta
        )
        kp = len(self.purchase_effects)
        parts = [
            _tv_math.expected_purchases(
                theta, data.subset(rows), kp, fa[rows], fb[rows], lens[rows]
            )
            for rows in _row_blocks(data.n)
        ]
        return np.concatenate(parts)

    def discounted_expected_purchases(
        self,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: TimeVaryingCovariates,
        *,
        observation_end: float,
        discount_rate: float,
        customer_ids: Sequence[object] | None = None,
    ) -> FloatArray:
        r"""Expected purchases in :math:`(T, T+t]` discounted continuously at rate
        :math:`\delta`; times a margin per purchase, the customer's residual value (CLV) over
        the horizon of the covariate table:

        .. math:: P(\text{alive})\,\frac{r+x}{\alpha+A(T)}\int_T^{T+t}
            e^{-\delta(u-T)}\,a(u)\Bigl(\frac{\beta+B(T)}{\beta+B(u)}\Bigr)^{s}du

        (16-point Gauss-Legendre per future period; :math:`\delta = 0` gives
        :meth:`conditional_expected_purchases`).

        Parameters
        ----------
        t
            The horizon (>= 0), in the grid's time unit.
        frequency, recency, T
            The summary.
        covariates
            Covariates covering each customer's window up to ``observation_end + t``.
        observation_end
            The end of the observation period on the grid's axis.
        discount_rate
            The continuous discount rate per time unit (>= 0).
        customer_ids
            The summary's ids (default: the covariates' order).

        Returns
        -------
        numpy.ndarray
            Discounted expected purchases per customer.

        Raises
        ------
        ArgumentError
            For a negative ``t`` or ``discount_rate``.
        DataError
            For covariates that do not reach ``observation_end + t``.
        """
        delta = check_number(discount_rate, "discount_rate", low=0.0)
        horizon = check_number(t, "t", low=0.0)
        theta = self._theta_for(covariates)
        data, fa, fb, lens = self._future(
            covariates, frequency, recency, T, customer_ids, observation_end, horizon, theta
        )
        kp = len(self.purchase_effects)
        parts = [
            _tv_math.discounted_purchases(
                theta, data.subset(rows), kp, fa[rows], fb[rows], lens[rows], delta
            )
            for rows in _row_blocks(data.n)
        ]
        return np.concatenate(parts)

    def _future(
        self,
        covariates: TimeVaryingCovariates,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        customer_ids: Sequence[object] | None,
        observation_end: float,
        horizon: float,
        theta: FloatArray,
    ) -> tuple[_tv_math.Prepared, FloatArray, FloatArray, FloatArray]:
        """The prepared data and the future periods' multipliers and exposures."""
        data, zp, zl, first = _prepared(
            covariates, frequency, recency, T, customer_ids, observation_end, horizon, theta
        )
        kp = len(self.purchase_effects)
        end = first + data.T
        lens = _tv_math.exposures(
            end, end + horizon, covariates.grid_start, covariates.period_length, zp.shape[1]
        )
        fa = np.exp(zp @ theta[4 : 4 + kp]) if kp else np.ones(lens.shape)
        fb = np.exp(zl @ theta[4 + kp :]) if zl.shape[2] else np.ones(lens.shape)
        return data, fa, fb, lens

    # ---------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: parameters, effects, covariate names, grid, covariance, fit.

        Returns
        -------
        dict
        """
        return {
            "model": _MODEL,
            "schema": _SCHEMA,
            "params": dict(self.params),
            "purchase_covariates": list(self.purchase_effects),
            "dropout_covariates": list(self.dropout_effects),
            "purchase_effects": dict(self.purchase_effects),
            "dropout_effects": dict(self.dropout_effects),
            "grid": {"start": self.grid_start, "period_length": self.period_length},
            "covariance": [
                [None if math.isnan(v) else v for v in row] for row in self.covariance.tolist()
            ],
            "log_likelihood": self.log_likelihood,
            "nobs": self.nobs,
            "converged": self.converged,
        }

    def to_json(self) -> str:
        """The model as JSON text (see :meth:`to_dict`).

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> TimeVaryingParetoNBD:
        """Load a model saved by :meth:`to_json`; every key is checked.

        Parameters
        ----------
        text
            The JSON text.

        Returns
        -------
        TimeVaryingParetoNBD

        Raises
        ------
        SchemaError
            Naming the key that is missing, unknown, of the wrong type or out of range, or
            inconsistent (effects that do not match the covariate names).
        """
        try:
            d = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise SchemaError("must be a JSON object")
        keys = (
            "model", "schema", "params", "purchase_covariates", "dropout_covariates",
            "purchase_effects", "dropout_effects", "grid", "covariance", "log_likelihood",
            "nobs", "converged",
        )  # fmt: skip
        for key in d:
            if key not in keys:
                raise SchemaError("is not a key of this model", key=key)
        for key in keys:
            if key not in d:
                raise SchemaError("is missing", key=key)
        if d["model"] != _MODEL:
            raise SchemaError(f"must be {_MODEL!r}, got {d['model']!r}", key="model")
        if d["schema"] != _SCHEMA or isinstance(d["schema"], bool):
            raise SchemaError(f"unsupported schema {d['schema']!r} (expected 1)", key="schema")
        params = _real_map(d["params"], "params", _BASE, positive=True)
        p_names = names_from_json(d["purchase_covariates"], "purchase_covariates")
        l_names = names_from_json(d["dropout_covariates"], "dropout_covariates")
        pe = _real_map(d["purchase_effects"], "purchase_effects", p_names, positive=False)
        de = _real_map(d["dropout_effects"], "dropout_effects", l_names, positive=False)
        grid = d["grid"]
        if not isinstance(grid, dict) or set(grid) != {"start", "period_length"}:
            raise SchemaError("must be {'start': ..., 'period_length': ...}", key="grid")
        start = _real(grid["start"], "grid.start")
        length = _real(grid["period_length"], "grid.period_length")
        if length <= 0:
            raise SchemaError(f"must be > 0, got {length!r}", key="grid.period_length")
        k = 4 + len(p_names) + len(l_names)
        raw = d["covariance"]
        if (
            not isinstance(raw, list)
            or len(raw) != k
            or any(not isinstance(row, list) or len(row) != k for row in raw)
        ):
            raise SchemaError(f"must be a {k} x {k} matrix", key="covariance")
        cov = np.empty((k, k))
        for i, row in enumerate(raw):
            for j, v in enumerate(row):
                cov[i, j] = math.nan if v is None else _real(v, f"covariance[{i}][{j}]")
        if not np.array_equal(cov, cov.T, equal_nan=True):
            raise SchemaError("must be symmetric", key="covariance")
        nan = np.isnan(cov)
        if nan.any() and not nan.all():
            raise SchemaError("must be all numbers or all null", key="covariance")
        if not nan.any():
            eig = np.linalg.eigvalsh(cov)
            if np.any(np.diag(cov) < 0) or eig[0] < -1e-9 * max(float(eig[-1]), 0.0):
                raise SchemaError(
                    "must be positive semi-definite (a covariance): a non-negative diagonal "
                    f"and eigenvalues, has {float(min(eig[0], np.diag(cov).min())):g}",
                    key="covariance",
                )
        nobs = d["nobs"]
        if isinstance(nobs, bool) or not isinstance(nobs, int) or nobs < 1:
            raise SchemaError(f"must be a whole number >= 1, got {nobs!r}", key="nobs")
        if not isinstance(d["converged"], bool):
            raise SchemaError("must be true or false", key="converged")
        return cls(
            params=params,
            purchase_effects=pe,
            dropout_effects=de,
            covariance=cov,
            log_likelihood=_real(d["log_likelihood"], "log_likelihood"),
            nobs=nobs,
            converged=d["converged"],
            grid_start=start,
            period_length=length,
        )


def _row_blocks(n: int) -> Iterator[npt.NDArray[np.intp]]:
    """The row positions ``0..n-1`` in blocks of :data:`_BLOCK` (predictions block by block:
    the future periods' arrays of one block stay small)."""
    for lo in range(0, n, _BLOCK):
        yield np.arange(lo, min(lo + _BLOCK, n))


def _uncentre_map(centre: FloatArray, scale: FloatArray, kp: int) -> FloatArray:
    r"""The matrix :math:`M` taking the fit's coordinates (log base parameters at the mean
    covariates :math:`c`, effects on covariates centred at :math:`c` and divided by their
    standard deviations :math:`d`) to the reported ones (log base parameters at covariates 0,
    effects per unit): :math:`\gamma = 	ilde\gamma/d` and, as
    :math:`lpha_c e^{-\gamma^	op(z-c)} = (lpha_c e^{\gamma^	op c}) e^{-\gamma^	op z}`,
    :math:`\lnlpha_0 = \lnlpha_c + \sum_j c_j	ilde\gamma_{P,j}/d_j` (and :math:`eta`
    with the dropout effects). The covariance maps as :math:`M\Sigma M^	op`."""
    k = centre.shape[0]
    out = np.diag(np.concatenate([np.ones(4), 1.0 / scale[4:]]))
    out[1, 4 : 4 + kp] = centre[4 : 4 + kp] / scale[4 : 4 + kp]
    out[3, 4 + kp : k] = centre[4 + kp :] / scale[4 + kp :]
    return out


def _at_zero(u: FloatArray, covariates: TimeVaryingCovariates, centre: FloatArray) -> FloatArray:
    """The estimates at covariates 0 from their logs ``u``, or the DataError naming the
    covariate whose distance from 0 (times its effect) put alpha or beta beyond floating point
    (e^709): the model cannot be stated at covariates 0 for such data."""
    if np.all(np.abs(u[:4]) < 709.0):
        theta = u.copy()
        theta[:4] = np.exp(u[:4])
        return theta
    names = (*covariates.purchase_names, *covariates.dropout_names)
    shift = np.abs(u[4:] * centre[4:])
    worst = names[int(np.argmax(shift))]
    raise DataError(
        f"alpha or beta at covariates 0 is beyond floating point (exp of "
        f"{float(np.max(np.abs(u[:4]))):.4g}): zero lies far from the covariate's values "
        f"(mean {float(centre[4 + int(np.argmax(shift))]):.4g}); subtract a reference value "
        "from it and fit again",
        column=worst,
    )


def _loose_parameters(cov: FloatArray, centre: FloatArray, kp: int) -> str:
    """The base parameters the data do not bound (comma-separated, empty if none): those
    whose log at the mean covariates ``centre`` (over the customers' windows) has a standard
    error above :data:`relmark.clv.covariates.static._MAX_LOG_SE` (10), the rule of the static
    covariate models: the estimates ran off towards the boundary (a handful of customers).
    ``cov`` is the reported covariance (log base parameters at covariates 0, effects)."""
    k = cov.shape[0]
    se = {0: math.sqrt(max(float(cov[0, 0]), 0.0)), 2: math.sqrt(max(float(cov[2, 2]), 0.0))}
    for base, lo, hi in ((1, 4, 4 + kp), (3, 4 + kp, k)):
        c = np.zeros(k)
        c[base] = 1.0
        c[lo:hi] = -centre[lo:hi]  # ln alpha_c = ln alpha_0 - gamma_P'c (beta likewise)
        se[base] = math.sqrt(max(float(c @ cov @ c), 0.0))
    return ", ".join(_BASE[i] for i in sorted(se) if se[i] > _MAX_LOG_SE)


def _real(v: object, key: str) -> float:
    if not isinstance(v, int | float) or not is_json_number(v):
        raise SchemaError(f"must be a finite number, got {v!r}", key=key)
    return float(v)


def _real_map(v: object, key: str, names: Sequence[str], *, positive: bool) -> dict[str, float]:
    if not isinstance(v, dict) or list(v) != list(names):
        raise SchemaError(f"must map {', '.join(names) or 'nothing'} to numbers", key=key)
    out = {}
    for name in names:
        x = _real(v[name], f"{key}.{name}")
        if positive and x <= 0:
            raise SchemaError(f"must be > 0, got {x!r}", key=f"{key}.{name}")
        out[name] = x
    return out
