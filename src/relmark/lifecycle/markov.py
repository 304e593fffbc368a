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

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2, norm

from relmark._validation import FloatArray, as_numbers, check_level
from relmark.errors import DataError

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
        """The matrix, or DataError if a row had no data."""
        if self.empty_rows:
            raise DataError(
                f"no transitions observed out of {', '.join(self.empty_rows)}: the matrix is "
                "incomplete (add data, a prior on allowed moves, or make those states absorbing)"
            )
        return self.matrix


def _wilson(k: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def _goodman(counts: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    k = counts.shape[1]
    a = float(chi2.ppf(1 - (1 - level) / k, 1))
    n = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(a * (a + 4 * counts * (n - counts) / n))
        lo = (a + 2 * counts - root) / (2 * (n + a))
        hi = (a + 2 * counts + root) / (2 * (n + a))
    return lo, hi


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

    Examples
    --------
    >>> est = estimate_transitions([[0, 0, 1], [0, 1, -1]], ["new", "active"])
    >>> est.matrix.tolist()
    [[0.3333333333333333, 0.6666666666666666], [nan, nan]]
    >>> est.empty_rows
    ('active',)
    """
    check_level(level, "level")
    if not 0.0 <= prior < math.inf:
        raise DataError(f"must be a finite pseudo-count >= 0, got {prior!r}", column="prior")
    k = len(states)
    if k == 0 or len(set(states)) != k:
        raise DataError(f"states must be distinct names, at least one: {list(states)}")
    x = as_numbers(panel, "panel")
    if x.ndim != 2:
        raise DataError("panel must be customers x periods")
    if x.size and (np.any(x < -1) or np.any(x >= k) or np.any(x != np.round(x))):
        raise DataError(f"stage indices must be integers in 0..{k - 1} (or -1 for unobserved)")
    idx = x.astype(np.int64)
    a, b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    keep = (a >= 0) & (b >= 0)
    counts = np.zeros((k, k))
    np.add.at(counts, (a[keep], b[keep]), 1.0)
    allow = np.ones((k, k), dtype=bool) if allowed is None else np.asarray(allowed)
    if allow.dtype != np.bool_ and not np.isin(allow, (0, 1)).all():
        raise DataError("allowed is a matrix of True/False (or 1/0)", column="allowed")
    allow = allow.astype(bool)
    if allow.shape != (k, k):
        raise DataError(f"allowed must be {k} x {k}")
    forbidden = (counts > 0) & ~allow
    if forbidden.any():
        i, j = np.argwhere(forbidden)[0]
        raise DataError(f"observed a forbidden move {states[i]!r} -> {states[j]!r}")
    post = counts + prior * allow
    n = post.sum(axis=1, keepdims=True)
    empty = tuple(states[i] for i in np.flatnonzero(n.ravel() == 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = post / n
    z = float(norm.ppf(0.5 + level / 2))
    wl, wh = _wilson(post, np.broadcast_to(n, post.shape), z)
    gl, gh = _goodman(post, level)
    return TransitionEstimate(tuple(states), counts, matrix, wl, wh, gl, gh, empty)


def _check_stochastic(p: npt.ArrayLike) -> FloatArray:
    m = as_numbers(p, "p")
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise DataError("a transition matrix is square")
    if not np.isfinite(m).all() or np.any(m < 0) or not np.allclose(m.sum(axis=1), 1.0):
        raise DataError("a transition matrix has finite non-negative rows summing to one")
    return m


def _check_periods(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise DataError(f"must be a whole number >= 0, got {value!r}", column=name)


def forecast(p: npt.ArrayLike, start: npt.ArrayLike, periods: int) -> FloatArray:
    """Stage distributions for ``0..periods`` periods ahead: row ``t`` is ``start @ P^t``."""
    m = _check_stochastic(p)
    dist = as_numbers(start, "start")
    if dist.shape != (m.shape[0],) or not (np.isfinite(dist).all() and np.all(dist >= 0)):
        raise DataError(
            f"one finite non-negative share (or count) per state, {m.shape[0]} in all",
            column="start",
        )
    _check_periods(periods, "periods")
    out = np.empty((periods + 1, m.shape[0]))
    out[0] = dist
    for t in range(1, periods + 1):
        out[t] = out[t - 1] @ m
    return out


def stationary_distribution(p: npt.ArrayLike) -> FloatArray:
    """The distribution :math:`\\pi = \\pi P`, solved as a linear system with
    :math:`\\sum\\pi = 1`.

    It is unique when the chain has one closed class of states (e.g. irreducible, or every
    customer eventually absorbed in one "lost" state).

    Raises
    ------
    DataError
        When the chain has several closed classes (the system is singular): every mixture of
        their distributions is stationary, so the long-run shares depend on where customers
        start; use :func:`forecast` from a start distribution instead.

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
            "not unique (the long run depends on the start; use forecast())"
        )
    rhs = np.r_[np.zeros(k), 1.0]
    pi, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    out: FloatArray = np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()
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

    Raises
    ------
    DataError
        When the chain has no absorbing state, or absorption is not certain from every
        transient state (a closed class of transient states).
    """
    m = _check_stochastic(p)
    k = m.shape[0]
    absorbing = tuple(int(i) for i in range(k) if m[i, i] == 1.0)
    if not absorbing:
        raise DataError("the chain has no absorbing state (P[i, i] == 1)")
    transient = tuple(i for i in range(k) if i not in absorbing)
    q = m[np.ix_(transient, transient)]
    r = m[np.ix_(transient, absorbing)]
    eye = np.eye(len(transient))
    try:
        n_mat = np.asarray(np.linalg.solve(eye - q, eye), dtype=np.float64)
    except np.linalg.LinAlgError:
        raise DataError("absorption is not certain: some transient states never leave") from None
    if not np.isfinite(n_mat).all() or np.linalg.cond(eye - q) > 1e12:
        raise DataError("absorption is not certain: some transient states never leave")
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
    """
    m = _check_stochastic(p)
    r = as_numbers(reward, "reward")
    if r.shape != (m.shape[0],) or not np.isfinite(r).all():
        raise DataError("one finite reward per state", column="reward")
    if not 0 <= discount_rate < math.inf:
        raise DataError(f"must be finite and >= 0, got {discount_rate!r}", column="discount_rate")
    if horizon is not None:
        _check_periods(horizon, "horizon")
    factor = 1.0 / (1.0 + discount_rate)
    if horizon is None:
        if not discount_rate > 0:
            raise DataError("the infinite-horizon value needs discount_rate > 0")
        v = np.asarray(np.linalg.solve(np.eye(m.shape[0]) - factor * m, r), dtype=np.float64)
        out: FloatArray = v if include_current else v - r
        return out
    total = np.zeros_like(r)
    term = r.copy()
    for t in range(horizon + 1):
        if t > 0 or include_current:
            total += term
        term = factor * (m @ term)
    return total


def stage_panel(
    events: pd.DataFrame,
    states: tuple[str, ...] | list[str],
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    stage: str = "stage",
    freq: str = "Q",
    end: str | None = None,
    censor: pd.Series | None = None,
) -> tuple[npt.NDArray[np.int64], list[object], pd.PeriodIndex]:
    """Place an event log of stage changes on a period grid, for :func:`estimate_transitions`.

    Each customer's stage in a period is the last stage recorded up to the period's end;
    periods before their first event are unobserved (-1), and so are periods after their own
    censoring date (``censor``, e.g. the end of their data) or after ``end`` — right-censoring
    ends a sequence instead of extending its last stage.

    Returns
    -------
    panel, customers, periods
    """
    missing = [c for c in (customer_id, date, stage) if c not in events.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", column=missing[0])
    index = {s: i for i, s in enumerate(states)}
    unknown = sorted(set(events[stage]) - set(index))
    if unknown:
        raise DataError(f"unknown stages {unknown}", column=stage)
    if len(events) == 0:
        raise DataError("no events")
    no_id = events[customer_id].isna()
    if no_id.any():
        raise DataError(
            "missing customer ids", column=customer_id, rows=events.index[no_id].tolist()
        )
    try:
        when = pd.to_datetime(events[date])
    except (TypeError, ValueError) as exc:
        raise DataError(f"dates that cannot be read ({exc})", column=date) from None
    if when.isna().any():
        raise DataError("missing dates", column=date, rows=events.index[when.isna()].tolist())
    ev = events.assign(_p=when.dt.to_period(freq)).sort_values([customer_id, "_p", date])
    try:
        last_period = pd.Period(end, freq) if end is not None else ev["_p"].max()
    except (TypeError, ValueError) as exc:
        raise DataError(f"cannot read {end!r} as a date ({exc})", column="end") from None
    if last_period < ev["_p"].min():
        raise DataError(f"{end!r} is before the first event", column="end")
    periods = pd.period_range(ev["_p"].min(), last_period, freq=freq)
    customers = list(pd.unique(ev[customer_id]))
    row = {c: i for i, c in enumerate(customers)}
    panel = np.full((len(customers), len(periods)), -1, dtype=np.int64)
    pos = {p: j for j, p in enumerate(periods)}
    last = ev.groupby([customer_id, "_p"], sort=False)[stage].last()
    for key, st in last.items():
        pair: tuple[object, pd.Period] = key  # type: ignore[assignment]
        if pair[1] in pos:
            panel[row[pair[0]], pos[pair[1]]] = index[st]
    for i in range(panel.shape[0]):  # carry the stage forward until the next event
        seen = np.flatnonzero(panel[i] >= 0)
        if seen.size:
            filled = np.maximum.accumulate(np.where(panel[i] >= 0, np.arange(panel.shape[1]), -1))
            panel[i, seen[0] :] = panel[i, filled[seen[0] :]]
    if censor is not None:
        strangers = [c for c in censor.index if c not in row]
        if strangers:
            raise DataError("censoring dates for customers without events", rows=strangers)
        stop = pd.to_datetime(censor).dt.to_period(freq)
        for cust, per in stop.items():
            panel[row[cust], [j for j, p in enumerate(periods) if p > per]] = -1
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
    :func:`chain_value` (Pfeifer & Carraway 2000)."""
    n = as_numbers(counts, "counts")
    v = chain_value(p, reward, discount_rate, horizon=horizon, include_current=include_current)
    if n.shape != v.shape or not (np.isfinite(n).all() and np.all(n >= 0)):
        raise DataError("one non-negative count per state", column="counts")
    return float(n @ v)


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
    """
    if not policies:
        raise DataError("no policies to compare", column="policies")
    rows = {}
    for name, (p, r) in policies.items():
        v = chain_value(p, r, discount_rate, horizon=horizon)
        rows[name] = [*v.tolist(), base_value(counts, p, r, discount_rate, horizon=horizon)]
    k = len(next(iter(rows.values()))) - 1
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=[f"state {i}" for i in range(k)] + ["customer base"]
    )
