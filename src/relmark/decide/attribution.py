r"""Shapley-value attribution of conversions to channels and partners from customer journeys.

A *journey* is the touchpoints (channels, partners, publishers) a customer met before a
conversion or a non-conversion, with the journey's worth: 1 for a conversion, 0 for none, or the
conversion's value. The channels are the players of a cooperative game whose characteristic
function is the **path-based** one of Zhao, Mahboobi & Bagheri (2018, eq. 2):

.. math::

    v(S) = \sum_{j:\ \emptyset \ne C_j \subseteq S} w_j ,

the worth of the journeys whose channels :math:`C_j` all lie in the coalition :math:`S`. The
Shapley value (Shapley 1953) of channel :math:`i` among :math:`n` is

.. math::

    \phi_i = \sum_{S \subseteq N \setminus \{i\}}
             \frac{|S|!\,(n-|S|-1)!}{n!}\,\bigl(v(S \cup \{i\}) - v(S)\bigr),

the marginal worth of :math:`i` averaged over the :math:`n!` orders in which channels could
join. The values add up to :math:`v(N)` (efficiency), equal channels get equal credit
(symmetry), a channel in no journey gets none (dummy), and the values of two games add
(additivity).

References
----------
Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of Games II*,
307-317.

Zhao, K., Mahboobi, S. H., & Bagheri, S. R. (2018). Shapley value methods for attribution
modeling in online advertising. arXiv:1804.05327.

Castro, J., Gómez, D., & Tejada, J. (2009). Polynomial calculation of the Shapley value based on
sampling. *Computers & Operations Research*, 36(5), 1726-1730.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    as_float_array,
    check_choice,
    check_count,
    check_level,
    check_rng,
)
from relmark.errors import ArgumentError, DataError
from relmark.typing import FloatArray, IntArray

__all__ = [
    "AttributionComparison",
    "ShapleyAttribution",
    "compare_attribution",
    "shapley_attribution",
]

EXACT_MAX_CHANNELS = 20
"""The most channels ``method="exact"`` accepts: :math:`2^{20}` coalitions (8 MB of worths)."""

MAX_PERMUTATIONS = 1_000_000
"""The most orderings ``method="sampled"`` draws (its error bound shrinks as one over the root:
a million give a thousandth of the worth)."""

AUTO_EXACT_CHANNELS = 15
"""``method="auto"`` enumerates coalitions up to this many channels and samples beyond."""

Journey = Sequence[str] | Set[str]


@dataclass(frozen=True)
class ShapleyAttribution:
    """Shapley values of the channels of a set of journeys, with their sampling error.

    Parameters
    ----------
    channels
        The channels (players), sorted unless given in order by the caller.
    values
        Each channel's Shapley value, in the journeys' worth (conversions or money).
    standard_errors
        Each value's Monte Carlo standard error (0 when exact).
    error_bounds
        Half-width :math:`b_i` with :math:`P(|\\hat\\phi_i - \\phi_i| \\le b_i) \\ge` ``level``
        for each channel separately (Hoeffding; 0 when exact).
    method
        ``"exact"`` (every coalition) or ``"sampled"`` (random orderings).
    n_permutations
        The orderings sampled (0 when exact).
    level
        The coverage of ``error_bounds``.
    total
        :math:`v(N)`: the worth of every journey with a touchpoint; the values add up to it.
    unattributed
        The worth of journeys without any touchpoint, which no channel is credited with.
    """

    channels: tuple[str, ...]
    values: tuple[float, ...]
    standard_errors: tuple[float, ...]
    error_bounds: tuple[float, ...]
    method: Literal["exact", "sampled"]
    n_permutations: int
    level: float
    total: float
    unattributed: float

    def to_dict(self) -> dict[str, Any]:
        """The attribution as JSON-ready built-ins.

        Returns
        -------
        dict
            Every field, tuples as lists.
        """
        return {
            "channels": list(self.channels),
            "values": list(self.values),
            "standard_errors": list(self.standard_errors),
            "error_bounds": list(self.error_bounds),
            "method": self.method,
            "n_permutations": self.n_permutations,
            "level": self.level,
            "total": self.total,
            "unattributed": self.unattributed,
        }

    def to_json(self) -> str:
        """The attribution as a JSON string.

        Returns
        -------
        str
            :meth:`to_dict` as JSON (no NaN: every number is finite).
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per channel: ``value``, ``standard_error``, ``error_bound``, ``share``.

        Returns
        -------
        pandas.DataFrame
            Indexed by channel; ``share`` is the value over :attr:`total` (0 if it is 0).
        """
        values = np.asarray(self.values, dtype=np.float64)
        share = values / self.total if self.total != 0 else np.zeros_like(values)
        return pd.DataFrame(
            {
                "value": values,
                "standard_error": np.asarray(self.standard_errors, dtype=np.float64),
                "error_bound": np.asarray(self.error_bounds, dtype=np.float64),
                "share": share,
            },
            index=pd.Index(list(self.channels), name="channel", dtype=object),
        )


@dataclass(frozen=True)
class AttributionComparison:
    """The credit of each channel under the last-touch, first-touch, linear and Shapley rules.

    Parameters
    ----------
    channels
        The channels, in the order of :attr:`ShapleyAttribution.channels`.
    last
        Last-touch credit: each journey's worth to its last touchpoint.
    first
        First-touch credit: each journey's worth to its first touchpoint.
    linear
        Linear credit: each journey's worth split equally over its touchpoints, a channel
        touched twice counted twice (as :func:`relmark.domain.attribute` does).
    shapley
        The Shapley attribution of the same journeys.
    """

    channels: tuple[str, ...]
    last: tuple[float, ...]
    first: tuple[float, ...]
    linear: tuple[float, ...]
    shapley: ShapleyAttribution

    def to_frame(self) -> pd.DataFrame:
        """The comparison table: one row per channel, one column per rule.

        Returns
        -------
        pandas.DataFrame
            Columns ``last``, ``first``, ``linear``, ``shapley`` and ``shapley_error_bound``,
            indexed by channel; every rule's column adds up to the same total.
        """
        return pd.DataFrame(
            {
                "last": np.asarray(self.last, dtype=np.float64),
                "first": np.asarray(self.first, dtype=np.float64),
                "linear": np.asarray(self.linear, dtype=np.float64),
                "shapley": np.asarray(self.shapley.values, dtype=np.float64),
                "shapley_error_bound": np.asarray(self.shapley.error_bounds, dtype=np.float64),
            },
            index=pd.Index(list(self.channels), name="channel", dtype=object),
        )

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready built-ins.

        Returns
        -------
        dict
            ``channels``, ``last``, ``first``, ``linear`` as lists and ``shapley`` as
            :meth:`ShapleyAttribution.to_dict`.
        """
        return {
            "channels": list(self.channels),
            "last": list(self.last),
            "first": list(self.first),
            "linear": list(self.linear),
            "shapley": self.shapley.to_dict(),
        }

    def to_json(self) -> str:
        """The comparison as a JSON string.

        Returns
        -------
        str
            :meth:`to_dict` as JSON.
        """
        return json.dumps(self.to_dict(), allow_nan=False)


def _check_journeys(journeys: object, *, ordered: bool) -> list[list[str]]:
    """Each journey as a list of channel names, refusing what is not one (DataError naming
    ``journeys`` and the journey's position); a pandas Series or numpy array of journeys, and
    journeys as numpy arrays (as read from Parquet), are taken as lists."""
    if isinstance(journeys, pd.Series | np.ndarray) and np.ndim(journeys) == 1:
        journeys = list(journeys)
    if isinstance(journeys, str | bytes) or not isinstance(journeys, Sequence):
        raise DataError(
            f"expected a list of journeys (each a list of channel names), got "
            f"{type(journeys).__name__}",
            column="journeys",
        )
    if len(journeys) == 0:
        raise DataError("no journeys: the input is empty", column="journeys")
    out: list[list[str]] = []
    for i, journey in enumerate(journeys):
        if isinstance(journey, str | bytes):
            raise DataError(
                f"journey {i} is the text {journey!r}, not a list of channel names (a text "
                "would be read as one channel per letter)",
                column="journeys",
                rows=[i],
            )
        if isinstance(journey, np.ndarray) and journey.ndim == 1:
            journey = journey.tolist()
        if isinstance(journey, Set):
            if ordered:
                raise DataError(
                    f"journey {i} is a set: first- and last-touch need the touchpoints in "
                    "order (give a list)",
                    column="journeys",
                    rows=[i],
                )
            touches = sorted(journey, key=repr)
        elif isinstance(journey, Sequence):
            touches = list(journey)
        else:
            raise DataError(
                f"journey {i} is a {type(journey).__name__}, not a list of channel names",
                column="journeys",
                rows=[i],
            )
        for t in touches:
            if not isinstance(t, str) or not t.strip():
                raise DataError(
                    f"journey {i} has the touchpoint {t!r}: channels are non-empty names",
                    column="journeys",
                    rows=[i],
                )
        out.append(touches)
    return out


def _check_value(value: npt.ArrayLike | None, n: int) -> FloatArray:
    """Each journey's worth: finite, >= 0, one per journey (1 each when None)."""
    if value is None:
        return np.ones(n, dtype=np.float64)
    w = as_float_array(value, "value")
    if w.shape[0] != n:
        raise DataError(f"has {w.shape[0]} values for {n} journeys", column="value")
    bad = w < 0
    if bad.any():
        raise DataError(
            "a journey's worth is a conversion count or value >= 0",
            column="value",
            rows=np.flatnonzero(bad).tolist(),
        )
    with np.errstate(over="ignore"):
        overflow = not math.isfinite(float(w.sum()))
    if overflow:
        raise DataError("the worths add up to more than a float can hold", column="value")
    return w


def _check_channels(channels: object, seen: set[str], journeys: list[list[str]]) -> list[str]:
    """The players: ``channels`` as given (every journey's channels must be among them), or the
    journeys' channels sorted."""
    if channels is None:
        return sorted(seen)
    if isinstance(channels, str | bytes) or not isinstance(channels, Sequence):
        raise ArgumentError(
            f"must be a list of channel names, got {type(channels).__name__}", argument="channels"
        )
    names = list(channels)
    for c in names:
        if not isinstance(c, str) or not c.strip():
            raise ArgumentError(f"channels are non-empty names, got {c!r}", argument="channels")
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise ArgumentError(f"lists {', '.join(map(repr, dup))} twice", argument="channels")
    known = set(names)
    bad = [i for i, j in enumerate(journeys) if not set(j) <= known]
    if bad:
        missing = sorted(set().union(*(set(journeys[i]) for i in bad)) - known)
        raise DataError(
            f"touchpoints {', '.join(map(repr, missing))} are not among the channels given",
            column="journeys",
            rows=bad,
        )
    return names


def _exact(masks: IntArray, worth: FloatArray, n: int) -> FloatArray:
    """Shapley values by enumerating the :math:`2^n` coalitions in :math:`O(2^n n)`.

    The worth of each exact channel set is summed into its coalition, the zeta transform over
    subsets gives :math:`v(S)` for every ``S``, then :func:`game_shapley` sums each channel's
    weighted marginal worths over the coalitions without it.
    """
    size = 1 << n
    v = np.bincount(masks, weights=worth, minlength=size).astype(np.float64)
    for i in range(n):  # v[S] += v[S without i] for S containing i: sum over subsets
        v = v.reshape(-1, 2, 1 << i)
        v[:, 1, :] += v[:, 0, :]
        v = v.reshape(size)
    return game_shapley(v, n)


def game_shapley(v: FloatArray, n: int) -> FloatArray:
    r"""The Shapley values of a game given the worth ``v[S]`` of every coalition.

    Coalitions are bit masks (player ``i`` is bit ``i``; ``v[0]`` is the empty coalition);
    the weights :math:`|S|!\,(n-|S|-1)!/n! = 1/(n\binom{n-1}{|S|})` are each one rounding
    from exact integers.
    """
    size = 1 << n
    popcount = np.zeros(size, dtype=np.int64)
    for i in range(n):
        popcount += (np.arange(size) >> i) & 1
    weights = np.array([1.0 / (n * math.comb(n - 1, k)) for k in range(n)])
    phi = np.empty(n, dtype=np.float64)
    for i in range(n):
        v3 = v.reshape(-1, 2, 1 << i)
        without = v3[:, 0, :].reshape(-1)
        gain = v3[:, 1, :].reshape(-1) - without
        sizes = popcount.reshape(-1, 2, 1 << i)[:, 0, :].reshape(-1)
        phi[i] = float(np.dot(weights[sizes], gain))
    return phi


def _sampled(
    journey_of: IntArray,
    channel_of: IntArray,
    worth: FloatArray,
    n: int,
    m: int,
    gen: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Mean and standard error of each channel's marginal worth over ``m`` random orderings
    (Castro et al. 2009).

    In an ordering, a journey's worth is added to the coalition when its last channel joins,
    so that channel's marginal worth is the sum of the journeys it completes: one pass over the
    touchpoints per ordering.
    """
    starts = np.flatnonzero(np.r_[True, journey_of[1:] != journey_of[:-1]])
    scale = float(worth.max()) if worth.size and worth.max() > 0 else 1.0
    jworth = worth[journey_of[starts]] / scale  # squares of 1e300 would overflow
    total = np.zeros(n)
    total_sq = np.zeros(n)
    for _ in range(m):
        order = gen.permutation(n)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        last = np.maximum.reduceat(position[channel_of], starts)
        gain = np.bincount(order[last], weights=jworth, minlength=n)
        total += gain
        total_sq += gain * gain
    mean = total / m
    var = np.maximum(total_sq / m - mean * mean, 0.0) * m / (m - 1)
    return mean * scale, np.sqrt(var / m) * scale


def shapley_attribution(
    journeys: Sequence[Journey] | pd.Series[Any] | npt.NDArray[Any],
    value: npt.ArrayLike | None = None,
    *,
    channels: Sequence[str] | None = None,
    method: Literal["auto", "exact", "sampled"] = "auto",
    n_permutations: int = 2000,
    level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> ShapleyAttribution:
    r"""Shapley values of channels (or partners) for the conversions of customer journeys.

    The game is path-based (Zhao et al. 2018, eq. 2): :math:`v(S) = \sum_j w_j
    \,[\emptyset \ne C_j \subseteq S]`, the worth :math:`w_j` of the journeys all of whose
    channels :math:`C_j` are in :math:`S`; a journey's order and repeated touches do not change
    :math:`v`. Non-converting journeys (worth 0) add nothing to it. Because :math:`v` is a sum of
    unanimity games, its Shapley value is also each journey's worth split equally among its
    *distinct* channels (Shapley 1953, the unanimity-game lemma) — a check the tests use.

    ``method="exact"`` enumerates the :math:`2^n` coalitions (:math:`O(2^n n)`; up to 20
    channels). ``"sampled"`` averages marginal worths over ``n_permutations`` random orderings
    (Castro et al. 2009), unbiased, with standard error :math:`s_i/\sqrt m` and the Hoeffding
    bound :math:`b_i = M_i \sqrt{\ln(2/(1-\text{level}))/(2m)}`, where :math:`M_i` is the worth
    of the journeys touching :math:`i` (each marginal worth lies in :math:`[0, M_i]`), so
    :math:`P(|\hat\phi_i - \phi_i| \le b_i) \ge \text{level}` for each channel. Both methods
    satisfy efficiency: every ordering's marginal worths add up to :math:`v(N)`.
    ``"auto"`` is exact up to 15 channels.

    Parameters
    ----------
    journeys
        One entry per journey: the channel names touched before a conversion or
        non-conversion (a list, or a set since order does not matter here); a pandas Series
        or numpy array of them (a frame's path column) is taken as a list.
    value
        Each journey's worth (>= 0): 1/0 for converted or not, or the conversion value.
        ``None``: every journey is one conversion.
    channels
        The players, in the order of the result; a channel in no journey gets 0. ``None``: the
        journeys' channels, sorted.
    method
        ``"auto"``, ``"exact"`` or ``"sampled"``.
    n_permutations
        Orderings sampled by ``"sampled"`` (2 to :data:`MAX_PERMUTATIONS`).
    level
        The coverage of each channel's error bound, strictly between 0 and 1.
    rng
        Random generator or seed for ``"sampled"``.

    Returns
    -------
    ShapleyAttribution
        Values, standard errors, error bounds, :math:`v(N)` and the unattributed worth.

    Raises
    ------
    DataError
        ``journeys`` is not a non-empty list of lists of channel names, or touches a channel
        not in ``channels``; ``value`` has the wrong length, NaN, infinite or negative values.
    ArgumentError
        ``method``, ``n_permutations``, ``level``, ``rng`` or ``channels`` is invalid, or
        ``method="exact"`` with more than 20 channels.

    Examples
    --------
    Two conversions after search then email, one after search alone: search completes the
    second journey alone and splits the first with email, so search gets 1 + 2 * 1/2 = 2.

    >>> r = shapley_attribution([["search", "email"], ["search", "email"], ["search"]])
    >>> dict(zip(r.channels, r.values))
    {'email': 1.0, 'search': 2.0}
    """
    touches = _check_journeys(journeys, ordered=False)
    worth = _check_value(value, len(touches))
    seen = {t for j in touches for t in j}
    names = _check_channels(channels, seen, touches)
    method = check_choice(method, "method", ("auto", "exact", "sampled"))  # type: ignore[assignment]
    m = check_count(n_permutations, "n_permutations", minimum=2)
    if m > MAX_PERMUTATIONS:
        raise ArgumentError(f"must be <= {MAX_PERMUTATIONS}, got {m}", argument="n_permutations")
    level = check_level(level, "level")
    gen = check_rng(rng)
    n = len(names)
    if method == "exact" and n > EXACT_MAX_CHANNELS:
        raise ArgumentError(
            f"exact enumeration of 2^{n} coalitions is limited to {EXACT_MAX_CHANNELS} "
            "channels: use method='sampled'",
            argument="method",
        )
    index = {c: k for k, c in enumerate(names)}
    sets = [sorted({index[t] for t in j}) for j in touches]
    empty = np.array([len(s) == 0 for s in sets], dtype=bool)
    unattributed = float(worth[empty].sum())
    total = float(worth[~empty].sum())
    reach = np.zeros(n)
    for s, w in zip(sets, worth, strict=True):
        reach[s] += w
    if n == 0:
        values = np.zeros(0)
        se = np.zeros(0)
        bounds = np.zeros(0)
        chosen: Literal["exact", "sampled"] = "exact"
    elif method == "exact" or (method == "auto" and n <= AUTO_EXACT_CHANNELS):
        masks = np.array([sum(1 << k for k in s) for s in sets], dtype=np.int64)
        values = _exact(masks, worth, n)
        se = np.zeros(n)
        bounds = np.zeros(n)
        chosen = "exact"
    else:
        keep = [k for k, s in enumerate(sets) if s]
        journey_of = np.repeat(np.arange(len(keep)), [len(sets[k]) for k in keep])
        channel_of = np.array([c for k in keep for c in sets[k]], dtype=np.int64)
        values, se = _sampled(journey_of.astype(np.int64), channel_of, worth[keep], n, m, gen)
        bounds = reach * math.sqrt(math.log(2.0 / (1.0 - level)) / (2.0 * m))
        chosen = "sampled"
    return ShapleyAttribution(
        channels=tuple(names),
        values=tuple(float(x) for x in values),
        standard_errors=tuple(float(x) for x in se),
        error_bounds=tuple(float(x) for x in bounds),
        method=chosen,
        n_permutations=0 if chosen == "exact" else m,
        level=level,
        total=total,
        unattributed=unattributed,
    )


def compare_attribution(
    journeys: Sequence[Sequence[str]] | pd.Series[Any] | npt.NDArray[Any],
    value: npt.ArrayLike | None = None,
    *,
    channels: Sequence[str] | None = None,
    method: Literal["auto", "exact", "sampled"] = "auto",
    n_permutations: int = 2000,
    level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> AttributionComparison:
    """Channel credit under the last-touch, first-touch, linear and Shapley rules, side by side.

    The rule-based columns apply the rules of :func:`relmark.domain.attribute` to every journey
    and add up each channel's credit, weighted by the journey's worth; the Shapley column is
    :func:`shapley_attribution` of the same journeys. Every column adds up to the worth of the
    journeys with a touchpoint.

    Parameters
    ----------
    journeys
        One list per journey: the channels touched, oldest first (sets are refused: first and
        last touch need an order).
    value
        Each journey's worth (>= 0); ``None``: one conversion each.
    channels
        The channels, in the order of the table; ``None``: the journeys' channels, sorted.
    method
        The Shapley method: ``"auto"``, ``"exact"`` or ``"sampled"``.
    n_permutations
        Orderings sampled by the ``"sampled"`` method (2 to :data:`MAX_PERMUTATIONS`).
    level
        The coverage of the Shapley error bounds.
    rng
        Random generator or seed for the ``"sampled"`` method.

    Returns
    -------
    AttributionComparison
        The four rules' credit per channel; :meth:`AttributionComparison.to_frame` is the table.

    Raises
    ------
    DataError
        As :func:`shapley_attribution`, and a journey given as a set.
    ArgumentError
        As :func:`shapley_attribution`.

    Examples
    --------
    >>> c = compare_attribution([["display", "search"], ["search"]])
    >>> c.to_frame()[["last", "first", "linear", "shapley"]]
             last  first  linear  shapley
    channel
    display   0.0    1.0     0.5      0.5
    search    2.0    1.0     1.5      1.5
    """
    touches = _check_journeys(journeys, ordered=True)
    shapley = shapley_attribution(
        touches,
        value,
        channels=channels,
        method=method,
        n_permutations=n_permutations,
        level=level,
        rng=rng,
    )
    worth = _check_value(value, len(touches))
    index = {c: k for k, c in enumerate(shapley.channels)}
    n = len(index)
    last = np.zeros(n)
    first = np.zeros(n)
    linear = np.zeros(n)
    for j, w in zip(touches, worth, strict=True):
        if not j:
            continue
        last[index[j[-1]]] += w
        first[index[j[0]]] += w
        for t in j:
            linear[index[t]] += w / len(j)
    return AttributionComparison(
        channels=shapley.channels,
        last=tuple(float(x) for x in last),
        first=tuple(float(x) for x in first),
        linear=tuple(float(x) for x in linear),
        shapley=shapley,
    )
