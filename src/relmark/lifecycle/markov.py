r"""Markov chains of relationship stages: estimation, forecasts, absorption, customer value.

**Estimation.** From a panel of stage indices (customers x periods; ``-1`` where a customer is
not observed, e.g. before acquisition or after the end of their data, so right-censoring simply
ends a sequence), the transition counts :math:`n_{ij}` give the maximum-likelihood
:math:`\hat p_{ij} = n_{ij}/n_i`. An optional Dirichlet prior adds pseudo-counts on *allowed*
transitions only. Intervals: Wilson score intervals per cell and Goodman's (1965) simultaneous
intervals per row (chi-square with 1 degree of freedom at level :math:`1-\alpha/k`). A row with
no observed transitions is reported in ``empty_rows`` and left as NaN, never filled silently;
computations that need a full matrix raise :class:`~relmark.errors.DataError`.

**Customer value** (Pfeifer & Carraway 2000, *J. Interactive Marketing* 14(2)): with
row-stochastic :math:`P`, per-period reward :math:`R` and discount rate :math:`d`,

.. math::

    V_T = \sum_{t=0}^{T} (1+d)^{-t} P^t R, \qquad
    V_\infty = \bigl[I - P/(1+d)\bigr]^{-1} R

(solved, never inverted). Whether the current period's reward counts is an option.

**Absorbing chains**: with transient block :math:`Q` and absorbing block :math:`R_a`, the
fundamental matrix :math:`N = (I-Q)^{-1}`, expected steps to absorption :math:`t = N\mathbf 1`,
their variance :math:`(2N - I)t - t\circ t`, and absorption probabilities :math:`N R_a`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date as date_type

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2, norm

from relmark._validation import (
    FloatArray,
    as_numbers,
    check_count,
    check_flag,
    check_level,
    check_number,
)
from relmark.errors import ArgumentError, DataError

__all__ = [
    "AbsorptionResult",
    "TransitionEstimate",
    "absorption",
    "base_value",
    "chain_value",
    "compare_policies",
    "estimate_transitions",
    "forecast",
    "stage_panel",
    "stationary_distribution",
]


@dataclass(frozen=True)
class TransitionEstimate:
    """Estimated transition matrix with counts and intervals."""

    states: tuple[str, ...]
    counts: FloatArray
    matrix: FloatArray
    wilson_low: FloatArray
    wilson_high: FloatArray
    goodman_low: FloatArray
    goodman_high: FloatArray
    empty_rows: tuple[str, ...]

    def complete(self) -> FloatArray:
        """The matrix, or DataError if a row had no data.

        Returns
        -------
        numpy.ndarray
            The row-stochastic estimate.

        Raises
        ------
        DataError
            Naming the states (rows) out of which no transition was observed.
        """
        if self.empty_rows:
            raise DataError(
                f"no transitions observed out of {', '.join(self.empty_rows)}: the matrix is "
                "incomplete (add data, a prior on allowed moves, or make those states absorbing)",
                column="panel",
                rows=list(self.empty_rows),
            )
        return self.matrix


MAX_PERIODS = 1_000_000
"""The longest forecast or finite horizon (use ``horizon=None`` for the infinite one)."""

MAX_FORECAST_CELLS = 10_000_000
"""The most numbers a :func:`forecast` returns (periods + 1 times states: 80 MB)."""

MAX_PANEL_CELLS = 100_000_000
"""The most cells (customers x periods) :func:`stage_panel` builds (800 MB of int64)."""

MAX_PRIOR = 1e15
"""The largest Dirichlet pseudo-count (beyond it the counts of k states overflow float64 and
no data could move the estimate anyway)."""


def _states(states: object) -> tuple[str, ...]:
    """Distinct, non-empty state names (a list or tuple of text; one string is refused)."""
    if isinstance(states, np.ndarray) and states.ndim == 1:
        states = states.tolist()  # e.g. events["stage"].unique()
    if isinstance(states, str) or not isinstance(states, Sequence):
        raise ArgumentError(
            f"must be a list of state names, got {type(states).__name__}", argument="states"
        )
    names = tuple(states)
    if not names or not all(isinstance(x, str) and x for x in names):
        raise ArgumentError(
            f"must be non-empty text names, at least one state: {list(names)}", argument="states"
        )
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise ArgumentError(f"states must be distinct names; repeated: {dup}", argument="states")
    return names


def _wilson(k: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # the exact ends of the interval (rounding left 5.6e-17 below a count of 0)
    low = np.where(k == 0, 0.0, centre - half)
    high = np.where(k == n, 1.0, centre + half)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _goodman(counts: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    k = counts.shape[1]
    a = float(chi2.isf((1 - level) / k, 1))
    n = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(a * (a + 4 * counts * (n - counts) / n))
        lo = (a + 2 * counts - root) / (2 * (n + a))
        hi = (a + 2 * counts + root) / (2 * (n + a))
    # the exact ends (rounding gave 1.0000000000000002 for a count equal to its row's total)
    lo = np.where(counts == 0, 0.0, lo)
    hi = np.where(counts == n, 1.0, hi)
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def estimate_transitions(
    panel: npt.ArrayLike,
    states: tuple[str, ...] | list[str],
    *,
    prior: float = 0.0,
    allowed: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> TransitionEstimate:
    """Estimate a transition matrix from stage sequences.

    Parameters
    ----------
    panel
        Integer stage indices, customers x periods; ``-1`` marks unobserved periods.
    states
        Names of the stage indices.
    prior
        Dirichlet pseudo-count added to every *allowed* transition (0: maximum likelihood).
    allowed
        Boolean matrix of allowed moves (default: all).
    level
        Level of the Wilson and Goodman intervals.

    Returns
    -------
    TransitionEstimate
        Counts, the estimate (rows without data NaN, listed in ``empty_rows``) and the
        Wilson and Goodman intervals, within [0, 1].

    Raises
    ------
    ArgumentError
        ``states`` not distinct text names; ``prior`` NaN, infinite, negative, above
        :data:`MAX_PRIOR`, text or a boolean; ``level`` outside (0, 1).
    DataError
        Naming ``panel`` (not 2-d, no customers, text or booleans, indices that are not whole
        numbers in -1..k-1, with the rows) or ``allowed`` (not k x k booleans, or a move
        observed that it forbids).

    Examples
    --------
    >>> est = estimate_transitions([[0, 0, 1], [0, 1, -1]], ["new", "active"])
    >>> est.matrix.tolist()
    [[0.3333333333333333, 0.6666666666666666], [nan, nan]]
    >>> est.empty_rows
    ('active',)
    """
    check_level(level, "level")
    pseudo = check_number(prior, "prior", low=0.0, high=MAX_PRIOR)
    states = _states(states)
    k = len(states)
    x = as_numbers(panel, "panel")
    if x.ndim != 2:
        raise DataError(f"panel must be customers x periods, got shape {x.shape}", column="panel")
    if x.shape[0] == 0:
        raise DataError("no customers: the panel is empty", column="panel")
    bad = ~((x >= -1) & (x < k) & (x == np.round(x))).all(axis=1)  # NaN is bad too
    if bad.any():
        raise DataError(
            f"stage indices must be integers in 0..{k - 1} (or -1 for unobserved)",
            column="panel",
            rows=np.flatnonzero(bad).tolist(),
        )
    idx = x.astype(np.int64)
    a, b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    keep = (a >= 0) & (b >= 0)
    counts = np.zeros((k, k))
    np.add.at(counts, (a[keep], b[keep]), 1.0)
    try:
        allow = np.ones((k, k), dtype=bool) if allowed is None else np.asarray(allowed)
    except ValueError:
        raise DataError("allowed is a k x k matrix of True/False", column="allowed") from None
    if allow.dtype != np.bool_ and (
        allow.dtype.kind not in "iuf" or not np.isin(allow, (0, 1)).all()
    ):
        raise DataError("allowed is a matrix of True/False (or 1/0)", column="allowed")
    allow = allow.astype(bool)
    if allow.shape != (k, k):
        raise DataError(f"allowed must be {k} x {k}, got shape {allow.shape}", column="allowed")
    forbidden = (counts > 0) & ~allow
    if forbidden.any():
        i, j = np.argwhere(forbidden)[0]
        raise DataError(
            f"observed a forbidden move {states[i]!r} -> {states[j]!r}", column="allowed"
        )
    post = counts + pseudo * allow
    n = post.sum(axis=1, keepdims=True)
    empty = tuple(states[i] for i in np.flatnonzero(n.ravel() == 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = post / n
    z = float(norm.isf((1 - level) / 2))  # isf: precise for levels close to 1
    wl, wh = _wilson(post, np.broadcast_to(n, post.shape), z)
    gl, gh = _goodman(post, level)
    return TransitionEstimate(tuple(states), counts, matrix, wl, wh, gl, gh, empty)


def _check_stochastic(p: npt.ArrayLike, name: str = "p") -> FloatArray:
    """A square row-stochastic matrix of at least one state (DataError naming ``name`` and
    the offending rows)."""
    m = as_numbers(p, name)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise DataError(
            f"a transition matrix is square with at least one state, got shape {m.shape}",
            column=name,
        )
    with np.errstate(invalid="ignore"):
        bad = ~(
            np.isfinite(m).all(axis=1)
            & (m >= 0).all(axis=1)
            & np.isclose(m.sum(axis=1), 1.0, rtol=0.0, atol=1e-9)
        )
    if bad.any():
        raise DataError(
            "a transition matrix has finite non-negative rows summing to one",
            column=name,
            rows=np.flatnonzero(bad).tolist(),
        )
    return m


def _check_periods(value: object, name: str) -> int:
    n = check_count(value, name)
    if n > MAX_PERIODS:
        raise ArgumentError(
            f"at most {MAX_PERIODS:,} periods, got {value!r} (horizon=None for the infinite "
            "horizon)",
            argument=name,
        )
    return n


def forecast(p: npt.ArrayLike, start: npt.ArrayLike, periods: int) -> FloatArray:
    """Stage distributions for ``0..periods`` periods ahead: row ``t`` is ``start @ P^t``.

    Parameters
    ----------
    p
        Row-stochastic transition matrix (rows summing to one within 1e-9).
    start
        Shares (or counts) of customers per state now, finite and >= 0.
    periods
        Periods ahead, a whole number in 0..MAX_PERIODS.

    Returns
    -------
    numpy.ndarray
        ``(periods + 1) x k``; each row sums to the start's total.

    Raises
    ------
    ArgumentError
        ``periods`` negative, fractional, NaN, text, a boolean, above :data:`MAX_PERIODS`,
        or more than :data:`MAX_FORECAST_CELLS` numbers in the result.
    DataError
        Naming ``p`` (not square, empty, rows not stochastic, with the rows) or ``start``
        (not one finite non-negative number per state).

    Examples
    --------
    >>> forecast([[0.5, 0.5], [0.0, 1.0]], [1.0, 0.0], 2).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.25, 0.75]]
    """
    m = _check_stochastic(p)
    dist = as_numbers(start, "start")
    if dist.shape != (m.shape[0],) or not (np.isfinite(dist).all() and np.all(dist >= 0)):
        raise DataError(
            f"one finite non-negative share (or count) per state, {m.shape[0]} in all",
            column="start",
        )
    periods = _check_periods(periods, "periods")
    if (periods + 1) * m.shape[0] > MAX_FORECAST_CELLS:
        raise ArgumentError(
            f"{periods + 1:,} periods x {m.shape[0]:,} states is more than "
            f"{MAX_FORECAST_CELLS:,} numbers: forecast fewer periods (or use "
            "stationary_distribution for the long run)",
            argument="periods",
        )
    out = np.empty((periods + 1, m.shape[0]))
    out[0] = dist
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        for t in range(1, periods + 1):
            out[t] = out[t - 1] @ m
    if not np.isfinite(out).all():
        raise DataError("the forecast overflows float64: rescale the start", column="start")
    return out


def stationary_distribution(p: npt.ArrayLike) -> FloatArray:
    """The distribution :math:`\\pi = \\pi P`, solved as a linear system with
    :math:`\\sum\\pi = 1`.

    It is unique when the chain has one closed class of states (e.g. irreducible, or every
    customer eventually absorbed in one "lost" state).

    Parameters
    ----------
    p
        Row-stochastic transition matrix.

    Returns
    -------
    numpy.ndarray
        Non-negative shares summing to one with :math:`\\pi P = \\pi`.

    Raises
    ------
    DataError
        Naming ``p``: not a square row-stochastic matrix, or a chain with several closed
        classes (the system is singular): every mixture of their distributions is
        stationary, so the long-run shares depend on where customers start; use
        :func:`forecast` from a start distribution instead.

    Examples
    --------
    >>> stationary_distribution([[0.9, 0.1], [0.5, 0.5]]).round(4).tolist()
    [0.8333, 0.1667]
    """
    m = _check_stochastic(p)
    k = m.shape[0]
    a = np.vstack([m.T - np.eye(k), np.ones(k)])
    if np.linalg.matrix_rank(a) < k:
        raise DataError(
            "the chain has several closed classes of states: its stationary distribution is "
            "not unique (the long run depends on the start; use forecast())",
            column="p",
        )
    exact = _gth(m)
    if exact is not None:
        return exact
    rhs = np.r_[np.zeros(k), 1.0]
    pi, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    out: FloatArray = np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()
    return out


def _gth(m: FloatArray) -> FloatArray | None:
    """The stationary distribution by Grassmann-Taksar-Heyman state reduction: subtraction
    free, so precise for nearly reducible chains (two states exchanging customers with
    probability 1e-12, where least squares lost five digits); ``None`` when a reduced state
    has no way back to the earlier ones (then the least-squares solution is used)."""
    a = m.copy()
    k = a.shape[0]
    for n in range(k - 1, 0, -1):
        exits = a[n, :n].sum()
        if not exits > 0:
            return None
        a[:n, n] /= exits
        a[:n, :n] += np.outer(a[:n, n], a[n, :n])
    pi = np.zeros(k)
    pi[0] = 1.0
    for j in range(1, k):
        pi[j] = pi[:j] @ a[:j, j]
    out: FloatArray = pi / pi.sum()
    return out


@dataclass(frozen=True)
class AbsorptionResult:
    """Absorbing-chain quantities, indexed by transient (rows) and absorbing (columns) states."""

    transient: tuple[int, ...]
    absorbing: tuple[int, ...]
    fundamental: FloatArray
    expected_steps: FloatArray
    variance_steps: FloatArray
    probabilities: FloatArray


def absorption(p: npt.ArrayLike) -> AbsorptionResult:
    """Fundamental matrix, time to absorption (mean and variance) and absorption probabilities.

    Parameters
    ----------
    p
        Row-stochastic transition matrix with at least one absorbing state and one transient
        state.

    Returns
    -------
    AbsorptionResult

    Raises
    ------
    DataError
        Naming ``p``: not a square row-stochastic matrix, no absorbing state, no transient
        state (nothing to absorb), or absorption is not certain from every transient state
        (a closed class of transient states).

    Examples
    --------
    >>> absorption([[0.5, 0.5], [0.0, 1.0]]).expected_steps.tolist()
    [2.0]
    """
    m = _check_stochastic(p)
    k = m.shape[0]
    absorbing = tuple(int(i) for i in range(k) if m[i, i] == 1.0)
    if not absorbing:
        raise DataError("the chain has no absorbing state (P[i, i] == 1)", column="p")
    transient = tuple(i for i in range(k) if i not in absorbing)
    if not transient:
        raise DataError("every state is absorbing: there is nothing to absorb", column="p")
    q = m[np.ix_(transient, transient)]
    r = m[np.ix_(transient, absorbing)]
    eye = np.eye(len(transient))
    try:
        n_mat = np.asarray(np.linalg.solve(eye - q, eye), dtype=np.float64)
    except np.linalg.LinAlgError:
        raise DataError(
            "absorption is not certain: some transient states never leave", column="p"
        ) from None
    if not np.isfinite(n_mat).all() or np.linalg.cond(eye - q) > 1e12:
        raise DataError("absorption is not certain: some transient states never leave", column="p")
    steps = n_mat @ np.ones(len(transient))
    var = (2 * n_mat - eye) @ steps - steps**2
    return AbsorptionResult(transient, absorbing, n_mat, steps, var, n_mat @ r)


def chain_value(
    p: npt.ArrayLike,
    reward: npt.ArrayLike,
    discount_rate: float,
    *,
    horizon: int | None = None,
    include_current: bool = True,
) -> FloatArray:
    """Expected discounted value of a customer by starting state (Pfeifer & Carraway 2000).

    Parameters
    ----------
    p
        Row-stochastic transition matrix.
    reward
        Net reward per period in each state (margin minus marketing cost).
    discount_rate
        Per-period discount rate :math:`d > 0` (``>= 0`` with a finite horizon).
    horizon
        Last period ``T`` of :math:`\\sum_{t=0}^T`; ``None`` for the infinite horizon.
    include_current
        Whether the reward of the current period (t = 0) counts.

    Returns
    -------
    numpy.ndarray
        One value per starting state.

    Raises
    ------
    ArgumentError
        ``discount_rate`` NaN, infinite, negative, text or a boolean (or too small to
        discount with the infinite horizon); ``horizon`` not a whole number in
        0..MAX_PERIODS; ``include_current`` not True or False.
    DataError
        Naming ``p`` (not square row-stochastic) or ``reward`` (not one finite number per
        state).

    Examples
    --------
    >>> chain_value([[1.0]], [10.0], 0.25).tolist()
    [50.0]
    """
    m = _check_stochastic(p)
    r = as_numbers(reward, "reward")
    if r.shape != (m.shape[0],) or not np.isfinite(r).all():
        raise DataError(
            f"one finite reward per state, {m.shape[0]} in all, got shape {r.shape}",
            column="reward",
        )
    rate = check_number(discount_rate, "discount_rate", low=0.0)
    current = check_flag(include_current, "include_current")
    if horizon is not None:
        horizon = _check_periods(horizon, "horizon")
    factor = 1.0 / (1.0 + rate)
    if horizon is None:
        if not rate > 0 or factor == 1.0:
            raise ArgumentError(
                f"the infinite-horizon value needs a discount rate > 0 that discounts, got "
                f"{discount_rate!r} (give a finite horizon)",
                argument="discount_rate",
            )
        try:
            # [I - P/(1+d)] v = r as [d I + (I - P)] v = (1 + d) r: 1/(1+d) rounds for tiny d
            # (d = 1e-15 gave 9.0e14 for 1e15), d itself does not
            eye = np.eye(m.shape[0])
            v = np.asarray(
                np.linalg.solve(rate * eye + (eye - m), (1.0 + rate) * r), dtype=np.float64
            )
        except np.linalg.LinAlgError:  # pragma: no cover - I - P/(1+d) is regular for d > 0
            raise ArgumentError(
                "too small to discount the infinite horizon", argument="discount_rate"
            ) from None
        out: FloatArray = v if current else v - r
        _finite_value(out)
        return out
    k = m.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        if horizon * k * k <= 10**8 or horizon < 64:
            total = np.zeros_like(r)
            term = r.copy()
            for t in range(horizon + 1):
                if t > 0 or current:
                    total += term
                term = factor * (m @ term)
        else:  # long horizons, many states: O(k^3 log T) by doubling, not T matrix products
            total = _discounted_sum(factor * m, r, horizon + 1)
            if not current:
                total = total - r
    _finite_value(total)
    return total


def _discounted_sum(a: FloatArray, r: FloatArray, n: int) -> FloatArray:
    """:math:`\\sum_{t=0}^{n-1} A^t r` by binary doubling: with :math:`S_m = \\sum_{t<m} A^t`,
    :math:`S_{2m} = S_m + A^m S_m` and :math:`S_{m+1} = I + A S_m`."""
    k = a.shape[0]
    power = np.eye(k)  # A^m
    total = np.zeros((k, k))  # S_m
    for bit in bin(n)[2:]:
        total = total + power @ total  # m -> 2m
        power = power @ power
        if bit == "1":  # 2m -> 2m + 1
            total = np.eye(k) + a @ total
            power = a @ power
    out: FloatArray = total @ r
    return out


def _finite_value(v: FloatArray) -> None:
    if not np.isfinite(v).all():
        raise DataError("the value overflows float64: rescale the rewards", column="reward")


def stage_panel(
    events: pd.DataFrame,
    states: tuple[str, ...] | list[str],
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    stage: str = "stage",
    freq: str = "Q",
    end: str | date_type | pd.Period | None = None,
    censor: pd.Series | None = None,
) -> tuple[npt.NDArray[np.int64], list[object], pd.PeriodIndex]:
    """Place an event log of stage changes on a period grid, for :func:`estimate_transitions`.

    Each customer's stage in a period is the last stage recorded up to the period's end;
    periods before their first event are unobserved (-1), and so are periods after their own
    censoring date (``censor``, e.g. the end of their data) or after ``end`` — right-censoring
    ends a sequence instead of extending its last stage.

    Parameters
    ----------
    events
        One row per stage change: customer id, date and the new stage.
    states
        The stage names, in index order.
    customer_id, date, stage
        Column names in ``events``.
    freq
        A pandas period frequency (``"Q"``, ``"M"``, ``"W"``, ...).
    end
        The last period (a date as text, a ``date``, ``datetime``, Timestamp or Period; its
        wall-clock date); default: the period of the last event.
    censor
        Per customer id, the date after which they are unobserved.

    Returns
    -------
    panel, customers, periods

    Raises
    ------
    ArgumentError
        ``events`` not a DataFrame, ``states`` not distinct names, a column name that is not
        text, ``freq`` not a pandas period frequency, ``end`` unreadable or before the first
        event, ``censor`` not a Series; more than :data:`MAX_PANEL_CELLS` customers x periods
        (naming ``end``, or ``freq`` without it).
    DataError
        Naming the column: missing, no events, unknown stages, missing ids or dates (with the
        rows), unreadable dates, dates that are numbers or booleans (Excel serial days would
        be read as nanoseconds since 1970), naive dates mixed with timezone-aware ones (with
        the rows); censoring dates that are missing, unreadable, numbers or for customers
        without events.

    Notes
    -----
    Dates in one timezone are placed on the grid by their wall clock; dates with several UTC
    offsets (``+01:00`` in winter, ``+02:00`` in summer) are converted to UTC first.
    """
    if not isinstance(events, pd.DataFrame):
        raise ArgumentError(
            f"must be a DataFrame of stage changes, got {type(events).__name__}", argument="events"
        )
    states = _states(states)
    for value, name in ((customer_id, "customer_id"), (date, "date"), (stage, "stage")):
        if not isinstance(value, str):
            raise ArgumentError(f"must be a column name (text), got {value!r}", argument=name)
    if not isinstance(freq, str):
        raise ArgumentError(f"must be a pandas period frequency, got {freq!r}", argument="freq")
    try:
        pd.Period("2024-01-01", freq)
    except (TypeError, ValueError, AttributeError):
        raise ArgumentError(
            f"{freq!r} is not a pandas period frequency ('Q', 'M', 'W', 'D', ...)",
            argument="freq",
        ) from None
    if censor is not None and not isinstance(censor, pd.Series):
        raise ArgumentError(
            f"must be a Series of dates indexed by customer id, got {type(censor).__name__}",
            argument="censor",
        )
    missing = [c for c in (customer_id, date, stage) if c not in events.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", column=missing[0])
    if len(events) == 0:
        raise DataError("no events", column=stage)
    index = {s: i for i, s in enumerate(states)}
    strange = ~events[stage].isin(list(index))
    if strange.any():
        unknown = sorted({str(v) for v in events.loc[strange, stage]})
        raise DataError(
            f"unknown stages {unknown} (known: {list(states)})",
            column=stage,
            rows=events.index[strange.to_numpy()].tolist(),
        )
    no_id = events[customer_id].isna()
    if no_id.any():
        raise DataError(
            "missing customer ids", column=customer_id, rows=events.index[no_id].tolist()
        )
    when = _wall_clock(events[date], date)
    if when.isna().any():
        raise DataError("missing dates", column=date, rows=events.index[when.isna()].tolist())
    ev = events.assign(_p=when.dt.to_period(freq), _when=when).sort_values(
        [customer_id, "_p", "_when"], kind="stable"
    )
    if end is not None and not isinstance(end, str | date_type | pd.Period):
        raise ArgumentError(
            f"must be a date (text, date, datetime or Timestamp), got {end!r}", argument="end"
        )
    if isinstance(end, date_type):  # datetime, Timestamp and date: the wall-clock date
        stamp = pd.Timestamp(end)
        end = stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    try:
        last_period = pd.Period(end, freq) if end is not None else ev["_p"].max()
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"cannot read {end!r} as a date ({exc})", argument="end") from None
    if last_period < ev["_p"].min():
        raise ArgumentError(f"{end!r} is before the first event", argument="end")
    first_period: pd.Period = ev["_p"].min()
    step = first_period.freq.n  # ordinals count base units: a "5D" period is 5 of them

    def position(period: pd.Period) -> int:
        return int((period.ordinal - first_period.ordinal) // step)

    customers = list(pd.unique(ev[customer_id]))
    n_periods = position(last_period) + 1
    if len(customers) * n_periods > MAX_PANEL_CELLS:  # before building the grid
        raise ArgumentError(
            f"{len(customers):,} customers x {n_periods:,} periods is more than "
            f"{MAX_PANEL_CELLS:,} cells: use a coarser frequency or an earlier end",
            argument="end" if end is not None else "freq",
        )
    periods = pd.period_range(first_period, last_period, freq=freq)
    row = {c: i for i, c in enumerate(customers)}
    panel = np.full((len(customers), len(periods)), -1, dtype=np.int64)
    last = ev.groupby([customer_id, "_p"], sort=False)[stage].last()
    for key, st in last.items():
        pair: tuple[object, pd.Period] = key  # type: ignore[assignment]
        j = position(pair[1])
        if j < n_periods:
            panel[row[pair[0]], j] = index[st]
    for i in range(panel.shape[0]):  # carry the stage forward until the next event
        seen = np.flatnonzero(panel[i] >= 0)
        if seen.size:
            filled = np.maximum.accumulate(np.where(panel[i] >= 0, np.arange(panel.shape[1]), -1))
            panel[i, seen[0] :] = panel[i, filled[seen[0] :]]
    if censor is not None:
        strangers = [c for c in censor.index if c not in row]
        if strangers:
            raise DataError(
                "censoring dates for customers without events", column="censor", rows=strangers
            )
        stop_dates = _wall_clock(censor, "censor")
        if stop_dates.isna().any():
            raise DataError(
                "missing censoring dates",
                column="censor",
                rows=censor.index[stop_dates.isna().to_numpy()].tolist(),
            )
        stop = stop_dates.dt.to_period(freq)
        for cust, per in stop.items():  # unobserved after the censoring period
            panel[row[cust], max(position(per) + 1, 0) :] = -1
    return panel, customers, periods


def base_value(
    counts: npt.ArrayLike,
    p: npt.ArrayLike,
    reward: npt.ArrayLike,
    discount_rate: float,
    *,
    horizon: int | None = None,
    include_current: bool = True,
) -> float:
    """Value of a whole customer base: stage counts times the per-state values of
    :func:`chain_value` (Pfeifer & Carraway 2000).

    Parameters
    ----------
    counts
        Customers in each state today (finite, >= 0).
    p, reward, discount_rate, horizon, include_current
        As :func:`chain_value`.

    Returns
    -------
    float

    Raises
    ------
    ArgumentError, DataError
        As :func:`chain_value`; a DataError naming ``counts`` when it is not one finite
        non-negative number per state.

    Examples
    --------
    >>> base_value([10, 0], [[1.0, 0.0], [0.0, 1.0]], [2.0, 5.0], 0.0, horizon=2)
    60.0
    """
    n = as_numbers(counts, "counts")
    v = chain_value(p, reward, discount_rate, horizon=horizon, include_current=include_current)
    if n.shape != v.shape or not (np.isfinite(n).all() and np.all(n >= 0)):
        raise DataError(
            f"one finite non-negative count per state, {v.size} in all, got shape {n.shape}",
            column="counts",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(n @ v)
    if not np.isfinite(total):
        raise DataError("the base value overflows float64: rescale the counts", column="counts")
    return total


def compare_policies(
    policies: dict[str, tuple[npt.ArrayLike, npt.ArrayLike]],
    counts: npt.ArrayLike,
    discount_rate: float,
    *,
    horizon: int | None = None,
) -> pd.DataFrame:
    """Value per state and of the whole base under each marketing policy.

    Parameters
    ----------
    policies
        Policy name -> (transition matrix, reward per state) under that policy; e.g. "mail
        everyone" against "stop mailing dormant customers" (lower cost, lower reactivation).
    counts
        Customers in each state today.
    discount_rate, horizon
        As :func:`chain_value`.

    Returns
    -------
    pandas.DataFrame
        One row per policy: the value per starting state and of the whole base.

    Raises
    ------
    ArgumentError
        ``policies`` empty, not a mapping, a policy that is not a (matrix, rewards) pair, or
        policies with different numbers of states; ``discount_rate`` and ``horizon`` as
        :func:`chain_value`.
    DataError
        As :func:`chain_value` and :func:`base_value`, the message naming the policy.
    """
    if not isinstance(policies, Mapping) or not policies:
        raise ArgumentError(
            "must map at least one policy name to (transition matrix, rewards)",
            argument="policies",
        )
    rows = {}
    values: dict[object, FloatArray] = {}
    for name, pair in policies.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ArgumentError(
                f"policy {name!r}: must be a (transition matrix, rewards) pair",
                argument="policies",
            )
        try:
            values[name] = chain_value(pair[0], pair[1], discount_rate, horizon=horizon)
        except DataError as exc:
            raise _for_policy(name, exc) from None
    # before the counts are compared with each policy's states (which named "counts")
    sizes = {v.size for v in values.values()}
    if len(sizes) > 1:
        raise ArgumentError(
            f"the policies have different numbers of states ({sorted(sizes)})",
            argument="policies",
        )
    for name, pair in policies.items():
        p, r = pair
        try:
            total = base_value(counts, p, r, discount_rate, horizon=horizon)
        except DataError as exc:
            raise _for_policy(name, exc) from None
        rows[name] = [*values[name].tolist(), total]
    k = len(next(iter(rows.values()))) - 1
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=[f"state {i}" for i in range(k)] + ["customer base"]
    )


def _for_policy(name: object, exc: DataError) -> DataError:
    """The same DataError, its message naming the policy."""
    err = DataError(f"policy {name!r}: {exc}")
    err.column, err.rows, err.count = exc.column, exc.rows, exc.count
    return err


def _wall_clock(values: pd.Series, column: str) -> pd.Series:
    """Dates as timezone-naive wall-clock timestamps (a period is a span of the calendar).

    One timezone (or none) keeps its local time; several UTC offsets (``+01:00`` in winter,
    ``+02:00`` in summer) are converted to UTC first. Refused with a DataError naming
    ``column``: numbers (Excel serial days would be read as nanoseconds since 1970), booleans,
    unreadable text, and naive dates mixed with timezone-aware ones (whose clock is unknown).
    """
    numbers = values.dtype.kind in "biufc"
    if not numbers and values.dtype == object:
        numeric = values.map(lambda v: isinstance(v, bool | int | float | np.number))
        numbers = bool((numeric.to_numpy(dtype=bool) & values.notna().to_numpy()).any())
    if numbers:
        raise DataError(
            "dates are numbers or booleans, not dates (Excel serial days? convert them with "
            "pd.to_datetime(values, unit='D', origin='1899-12-30'))",
            column=column,
        )
    try:
        when = pd.to_datetime(values)
    except (TypeError, ValueError, OverflowError) as exc:
        if "timezone" not in str(exc).lower() and "tz-" not in str(exc).lower():
            raise DataError(f"dates that cannot be read ({exc})", column=column) from None
        try:
            stamps = [None if pd.isna(v) else pd.Timestamp(v) for v in values]
        except (TypeError, ValueError, OverflowError) as inner:
            raise DataError(f"dates that cannot be read ({inner})", column=column) from None
        naive = [
            i
            for i, t in zip(values.index, stamps, strict=True)
            if t is not None and t.tzinfo is None
        ]
        if naive:
            raise DataError(
                "naive dates mixed with timezone-aware ones: give every date an offset",
                column=column,
                rows=naive,
            ) from None
        when = pd.to_datetime(values, utc=True)
    if isinstance(when.dtype, pd.DatetimeTZDtype):
        when = when.dt.tz_localize(None)  # the local wall clock, what a calendar period is
    return when
