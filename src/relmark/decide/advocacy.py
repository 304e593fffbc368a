r"""Partners and advocates: co-marketing splits, employee advocacy, customer engagement value.

- :func:`co_marketing_split` shares the value and the cost of a joint campaign among partners by
  the Shapley value of the cooperative game (Shapley 1953) whose worth :math:`v(S) - c(S)` is
  what coalition :math:`S` earns net of its campaign cost, with the stand-alone comparison
  (does every partner gain by joining?) and a check of the core (does every group of partners
  get at least what it could earn on its own?).
- :func:`employee_advocacy` computes the advocacy KPIs the seeds name — participation, reach,
  advocacy-sourced conversions — and the employee Net Promoter Score, each with an interval.
- :func:`customer_engagement_value` adds up the four parts of a customer's engagement value
  (Kumar et al. 2010): lifetime value (CLV), referral value (CRV), influencer value (CIV) and
  knowledge value (CKV); :func:`influencer_value` and :func:`knowledge_value` compute the last
  two from records, by the operational definitions stated there.

References
----------
Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of Games II*,
307-317.

Kumar, V., Aksoy, L., Donkers, B., Venkatesan, R., Wiesel, T., & Tillmanns, S. (2010).
Undervalued or overvalued customers: capturing total customer engagement value. *Journal of
Service Research*, 13(3), 297-310.

Gillies, D. B. (1959). Solutions to general non-zero-sum games. *Contributions to the Theory of
Games IV*, 47-85 (the core).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import (
    check_choice,
    check_count,
    check_level,
    check_number,
    reals_or_nan,
)
from relmark.decide.attribution import game_shapley
from relmark.errors import ArgumentError, DataError
from relmark.scoring.reviews import wilson_interval
from relmark.scoring.satisfaction import NPSResult, nps
from relmark.typing import FloatArray

__all__ = [
    "AdvocacyKPIs",
    "CoMarketingSplit",
    "co_marketing_split",
    "customer_engagement_value",
    "employee_advocacy",
    "influencer_value",
    "knowledge_value",
]

MAX_WORTH = 1e300
"""The largest worth (value or cost) of a coalition: sums of 2^16 of them stay finite."""

MAX_COUNT = 2**53 - 1
"""The largest reach, click or conversion count of one share (exact in float64)."""

MAX_PARTNERS = 16
"""The most partners :func:`co_marketing_split` takes: every one of the :math:`2^n - 1`
coalitions needs a stated worth."""


# ---------------------------------------------------------------------------- co-marketing
@dataclass(frozen=True)
class CoMarketingSplit:
    """How a joint campaign's value and cost are shared among partners.

    Parameters
    ----------
    partners
        The partners, in the order of the other fields.
    value_share
        Each partner's share of the value (the Shapley value of the value game :math:`v`).
    cost_share
        Each partner's share of the cost (the Shapley value of the cost game :math:`c`; 0 when no
        costs are given or by ``rule``).
    net
        ``value_share - cost_share``: the Shapley value of the net game :math:`v - c`.
    stand_alone
        What each partner earns on its own, :math:`v(\\{i\\}) - c(\\{i\\})`.
    rule
        ``"shapley"``, ``"proportional"`` (value and cost in proportion to the stand-alone
        values) or ``"equal"``.
    total_value, total_cost
        :math:`v(N)` and :math:`c(N)` of the grand coalition; the shares add up to them.
    in_core
        Whether the net allocation is in the core: every coalition :math:`S` gets at least
        :math:`v(S) - c(S)` (so no group of partners would rather run its own campaign).
    blocking
        The coalitions (partner names) that would gain by leaving, if any, worst first.
    """

    partners: tuple[str, ...]
    value_share: tuple[float, ...]
    cost_share: tuple[float, ...]
    net: tuple[float, ...]
    stand_alone: tuple[float, ...]
    rule: Literal["shapley", "proportional", "equal"]
    total_value: float
    total_cost: float
    in_core: bool
    blocking: tuple[tuple[str, ...], ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per partner: ``value_share``, ``cost_share``, ``net``, ``stand_alone``,
        ``gain`` (net minus stand-alone).

        Returns
        -------
        pandas.DataFrame
            Indexed by partner.
        """
        frame = pd.DataFrame(
            {
                "value_share": self.value_share,
                "cost_share": self.cost_share,
                "net": self.net,
                "stand_alone": self.stand_alone,
            },
            index=pd.Index(list(self.partners), name="partner", dtype=object),
        )
        frame["gain"] = frame["net"] - frame["stand_alone"]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The split as JSON-ready built-ins.

        Returns
        -------
        dict
            Every field, tuples as lists.
        """
        return {
            "partners": list(self.partners),
            "value_share": list(self.value_share),
            "cost_share": list(self.cost_share),
            "net": list(self.net),
            "stand_alone": list(self.stand_alone),
            "rule": self.rule,
            "total_value": self.total_value,
            "total_cost": self.total_cost,
            "in_core": self.in_core,
            "blocking": [list(b) for b in self.blocking],
        }

    def to_json(self) -> str:
        """The split as JSON (see :meth:`to_dict`).

        Returns
        -------
        str
            JSON text.
        """
        return json.dumps(self.to_dict(), allow_nan=False)


def _game(worths: Mapping[Any, float], partners: Sequence[str], name: str) -> FloatArray:
    """The worth of every coalition as an array indexed by bit mask (empty coalition 0)."""
    if not isinstance(worths, Mapping):
        raise ArgumentError(
            f"must map coalitions (collections of partner names) to numbers, got "
            f"{type(worths).__name__}",
            argument=name,
        )
    index = {p: k for k, p in enumerate(partners)}
    n = len(partners)
    v = np.full(1 << n, np.nan)
    v[0] = 0.0
    for key, worth in worths.items():
        members = (key,) if isinstance(key, str) else key
        if not isinstance(members, Iterable):
            raise DataError(f"coalition {key!r} is not a collection of partner names", column=name)
        members = tuple(members)
        unknown = [m for m in members if m not in index]
        if unknown or not members:
            raise DataError(
                f"coalition {key!r}: "
                + (f"unknown partner {unknown[0]!r}" if unknown else "an empty coalition"),
                column=name,
            )
        if len(set(members)) != len(members):
            raise DataError(f"coalition {key!r} names a partner twice", column=name)
        mask = sum(1 << index[m] for m in members)
        if not np.isnan(v[mask]):
            raise DataError(f"coalition {sorted(members)} is given twice", column=name)
        v[mask] = check_number(worth, f"{name}[{sorted(members)}]", low=-MAX_WORTH, high=MAX_WORTH)
    missing = np.flatnonzero(np.isnan(v))
    if missing.size:
        first = [partners[i] for i in range(n) if missing[0] >> i & 1]
        raise DataError(
            f"{missing.size} coalitions have no worth, e.g. {first}: the Shapley split needs "
            f"every one of the {(1 << n) - 1} coalitions",
            column=name,
        )
    return v


def co_marketing_split(
    value: Mapping[Any, float],
    *,
    cost: Mapping[Any, float] | None = None,
    partners: Sequence[str] | None = None,
    rule: Literal["shapley", "proportional", "equal"] = "shapley",
) -> CoMarketingSplit:
    r"""Share a joint campaign's value and cost among partners, and check the split is stable.

    With :math:`v(S)` the incremental margin coalition :math:`S` would earn from a campaign of
    its own and :math:`c(S)` that campaign's cost, the Shapley split gives partner :math:`i`

    .. math::

        \phi_i(v - c) = \sum_{S \subseteq N\setminus\{i\}} \frac{|S|!\,(n-|S|-1)!}{n!}
        \bigl[(v - c)(S \cup \{i\}) - (v - c)(S)\bigr],

    which adds up to :math:`v(N) - c(N)` and is additive, so it splits value and cost
    separately and consistently (:math:`\phi(v - c) = \phi(v) - \phi(c)`). ``"proportional"``
    splits :math:`v(N)` and :math:`c(N)` in proportion to the stand-alone net values and
    ``"equal"`` equally — the rules of thumb to compare against. The split is in the **core**
    (Gillies 1959) when every coalition gets at least its own net worth; otherwise
    :attr:`CoMarketingSplit.blocking` names the coalitions that would do better alone.

    Parameters
    ----------
    value
        Coalition -> value (e.g. incremental margin): keys are partner names (a single name for
        one partner) or collections of them (tuples, frozensets); every non-empty coalition
        must be given, at most :data:`MAX_PARTNERS` partners.
    cost
        Coalition -> stand-alone campaign cost, the same coalitions; ``None``: no costs.
    partners
        The partners, in the order of the result; default: the names in ``value``, sorted.
    rule
        ``"shapley"``, ``"proportional"`` or ``"equal"``.

    Returns
    -------
    CoMarketingSplit
        Shares, stand-alone values, the core check.

    Raises
    ------
    ArgumentError
        ``value``/``cost`` not a mapping; a worth that is not a finite number; ``rule`` not
        one of the three; ``partners`` not distinct names; more than :data:`MAX_PARTNERS`.
    DataError
        A coalition with an unknown partner, named twice, empty, or missing (naming ``value``
        or ``cost``); ``"proportional"`` when the stand-alone net values do not all have one
        sign.

    Examples
    --------
    Two retailers: alone they would earn 60 and 40 of margin; together 160, for a campaign
    that costs 30 alone and 40 together:

    >>> split = co_marketing_split(
    ...     {"a": 60, "b": 40, ("a", "b"): 160}, cost={"a": 30, "b": 30, ("a", "b"): 40}
    ... )
    >>> split.net, split.in_core
    ((70.0, 50.0), True)
    """
    rule = check_choice(rule, "rule", ("shapley", "proportional", "equal"))  # type: ignore[assignment]
    if not isinstance(value, Mapping):
        raise ArgumentError(
            f"must map coalitions to numbers, got {type(value).__name__}", argument="value"
        )
    if partners is None:
        names: set[str] = set()
        for key in value:
            members = (key,) if isinstance(key, str) else key
            if isinstance(members, Iterable):
                names.update(m for m in members if isinstance(m, str))
        players = sorted(names)
        blank = [p for p in players if not p or p.strip() != p]
        if blank:
            raise DataError(
                f"partner names must be non-empty without surrounding spaces, got {blank[0]!r}",
                column="value",
            )
    else:
        if isinstance(partners, str) or not isinstance(partners, Sequence):
            raise ArgumentError("must be a sequence of partner names", argument="partners")
        players = list(partners)
        if not all(isinstance(p, str) and p and p.strip() == p for p in players) or len(
            set(players)
        ) != len(players):
            raise ArgumentError("must be distinct non-empty names", argument="partners")
    n = len(players)
    if n == 0:
        raise DataError("no partners: the value game is empty", column="value")
    if n > MAX_PARTNERS:
        raise ArgumentError(
            f"at most {MAX_PARTNERS} partners (2^n coalitions must be stated), got {n}",
            argument="partners",
        )
    v = _game(value, players, "value")
    c = _game(cost, players, "cost") if cost is not None else np.zeros(1 << n)
    net_game = v - c
    singles = np.array([net_game[1 << i] for i in range(n)])
    if rule == "shapley":
        value_share = game_shapley(v, n)
        cost_share = game_shapley(c, n)
    elif rule == "equal":
        value_share = np.full(n, v[-1] / n)
        cost_share = np.full(n, c[-1] / n)
    else:
        if not ((singles > 0).all() or (singles < 0).all()):
            raise DataError(
                "the proportional rule needs stand-alone net values of one sign (all > 0)",
                column="value",
            )
        weights = singles / singles.sum()
        value_share = v[-1] * weights
        cost_share = c[-1] * weights
    net = value_share - cost_share
    masks = np.arange(1, 1 << n)
    members = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    got = members.astype(np.float64) @ net
    shortfall = net_game[masks] - got
    scale = max(1.0, float(np.abs(net_game).max()))
    bad = np.flatnonzero(shortfall > 1e-9 * scale)
    bad = bad[np.argsort(-shortfall[bad], kind="stable")]
    blocking = tuple(
        tuple(players[i] for i in range(n) if members[k, i]) for k in bad if masks[k] != masks[-1]
    )
    return CoMarketingSplit(
        partners=tuple(players),
        value_share=tuple(float(x) for x in value_share),
        cost_share=tuple(float(x) for x in cost_share),
        net=tuple(float(x) for x in net),
        stand_alone=tuple(float(x) for x in singles),
        rule=rule,
        total_value=float(v[-1]),
        total_cost=float(c[-1]),
        in_core=not blocking,
        blocking=blocking,
    )


# ---------------------------------------------------------------------------- employee advocacy
@dataclass(frozen=True)
class AdvocacyKPIs:
    """Employee-advocacy KPIs with intervals.

    Parameters
    ----------
    eligible
        Employees invited to advocate.
    advocates
        Employees who shared at least once.
    participation
        ``advocates / eligible``.
    participation_interval
        Wilson interval of the participation rate at :attr:`level`.
    shares
        Posts shared.
    reach
        The audience reached: the sum of each share's reach as reported (unique people per
        share; people reached by two shares count twice, as platforms report it).
    clicks
        Clicks on shared posts.
    conversions
        Conversions sourced by advocacy (attributed to a share).
    conversion_rate
        ``conversions / clicks`` (``None`` without clicks).
    conversion_interval
        Wilson interval of the conversion rate (``None`` without clicks).
    reach_per_advocate
        ``reach / advocates`` (``None`` without advocates).
    enps
        The employee Net Promoter Score with its intervals (``None`` without answers).
    level
        Coverage of the intervals.
    """

    eligible: int
    advocates: int
    participation: float
    participation_interval: tuple[float, float]
    shares: int
    reach: int
    clicks: int
    conversions: int
    conversion_rate: float | None
    conversion_interval: tuple[float, float] | None
    reach_per_advocate: float | None
    enps: NPSResult | None
    level: float

    def to_dict(self) -> dict[str, Any]:
        """The KPIs as JSON-ready built-ins.

        Returns
        -------
        dict
            Every field; the eNPS as its score, counts and intervals.
        """
        out: dict[str, Any] = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
            if k != "enps"
        }
        e = self.enps
        out["enps"] = (
            None
            if e is None
            else {
                "score": e.score,
                "n": e.n,
                "promoters": e.promoters,
                "detractors": e.detractors,
                "se": e.se,
                "wald": list(e.wald),
                "adjusted_wald": list(e.adjusted_wald),
            }
        )
        return out

    def to_json(self) -> str:
        """The KPIs as JSON (see :meth:`to_dict`).

        Returns
        -------
        str
            JSON text.
        """
        return json.dumps(self.to_dict(), allow_nan=False)


_SHARE_COLUMNS = ("employee_id", "reach", "clicks", "conversions")


def employee_advocacy(
    shares: pd.DataFrame,
    *,
    eligible: int,
    enps_answers: npt.ArrayLike | None = None,
    level: float = 0.95,
) -> AdvocacyKPIs:
    r"""Participation, reach and advocacy-sourced conversions, and the employee NPS.

    Operational definitions (DOMAIN.md 1.2: employees promote the brand to their networks):
    participation :math:`= a / E` with :math:`a` employees who shared at least once among
    :math:`E` eligible; reach :math:`= \sum` reach per share; conversion rate
    :math:`= \text{conversions} / \text{clicks}`. Both rates get Wilson intervals
    (:func:`relmark.scoring.wilson_interval`); the eNPS is :func:`relmark.scoring.nps` of the
    employees' 0-10 answers to "how likely are you to recommend working here?".

    Parameters
    ----------
    shares
        One row per share: ``employee_id`` (text), ``reach``, ``clicks``, ``conversions``
        (whole numbers in 0..2^53 - 1, ``conversions <= clicks``).
    eligible
        Employees invited to advocate (whole, >= the number of distinct advocates, >= 1).
    enps_answers
        The employees' 0-10 answers, or ``None``.
    level
        Coverage of the intervals, strictly between 0 and 1.

    Returns
    -------
    AdvocacyKPIs
        The KPIs with intervals.

    Raises
    ------
    ArgumentError
        ``shares`` not a DataFrame; ``eligible`` not a whole number >= 1 or fewer than the
        advocates; ``level`` outside (0, 1).
    DataError
        A missing column; ids that are not non-empty text; counts that are text, fractional,
        negative or not finite, or more conversions than clicks (with the rows); bad eNPS
        answers.

    Examples
    --------
    >>> import pandas as pd
    >>> shares = pd.DataFrame({"employee_id": ["ann", "ann", "bo"], "reach": [500, 300, 200],
    ...                        "clicks": [20, 10, 10], "conversions": [2, 1, 1]})
    >>> k = employee_advocacy(shares, eligible=10)
    >>> k.participation, k.reach, k.conversion_rate
    (0.2, 1000, 0.1)
    """
    if not isinstance(shares, pd.DataFrame):
        raise ArgumentError(
            f"must be a DataFrame of shares, got {type(shares).__name__}", argument="shares"
        )
    missing = [c for c in _SHARE_COLUMNS if c not in shares.columns]
    if missing:
        raise DataError(
            f"the shares need the columns {', '.join(_SHARE_COLUMNS)}", column=missing[0]
        )
    _refuse_repeated_columns(shares, _SHARE_COLUMNS)
    level = check_level(level, "level")
    ids = shares["employee_id"].tolist()
    bad = [i for i, x in enumerate(ids) if not isinstance(x, str) or not x or x.strip() != x]
    if bad:
        raise DataError(
            "employee ids must be non-empty text without surrounding spaces",
            column="employee_id",
            rows=bad,
        )
    counts: dict[str, npt.NDArray[np.int64]] = {}
    for col in ("reach", "clicks", "conversions"):
        counts[col] = _whole_column(shares[col], col)
    over = np.flatnonzero(counts["conversions"] > counts["clicks"])
    if over.size:
        raise DataError(
            "more conversions than clicks on a share", column="conversions", rows=over.tolist()
        )
    advocates = len(set(ids))
    e = check_count(eligible, "eligible", minimum=1)
    if advocates > e:
        raise ArgumentError(
            f"{advocates} employees shared, more than the {e} eligible", argument="eligible"
        )
    lo, hi = wilson_interval([advocates], [e], level=level)
    clicks = sum(int(x) for x in counts["clicks"])  # Python ints: no int64 wrap-around
    conversions = sum(int(x) for x in counts["conversions"])
    reach = sum(int(x) for x in counts["reach"])
    if clicks:
        c_lo, c_hi = wilson_interval([conversions], [clicks], level=level)
        conv_iv: tuple[float, float] | None = (float(c_lo[0]), float(c_hi[0]))
    else:
        conv_iv = None
    return AdvocacyKPIs(
        eligible=e,
        advocates=advocates,
        participation=advocates / e,
        participation_interval=(float(lo[0]), float(hi[0])),
        shares=len(ids),
        reach=reach,
        clicks=clicks,
        conversions=conversions,
        conversion_rate=conversions / clicks if clicks else None,
        conversion_interval=conv_iv,
        reach_per_advocate=reach / advocates if advocates else None,
        enps=_enps(enps_answers, level) if enps_answers is not None else None,
        level=level,
    )


def _enps(answers: npt.ArrayLike, level: float) -> NPSResult:
    try:
        return nps(answers, level=level)
    except DataError as exc:
        raise DataError(f"eNPS answers: {exc}", column="enps_answers", rows=exc.rows) from None


def _refuse_repeated_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """A DataError naming a column the frame holds twice (``frame[col]`` would be a frame of
    both, read as twice the rows)."""
    names = frame.columns
    for col in columns:
        if int((names == col).sum()) > 1:
            raise DataError("the column appears twice in the frame", column=col)


def _whole_column(column: pd.Series[Any], name: str) -> npt.NDArray[np.int64]:
    """Whole numbers in 0..2^53 - 1 (DataError naming the column and rows otherwise)."""
    x = reals_or_nan(column.to_numpy())
    with np.errstate(invalid="ignore"):  # NaN marks a value that is not a number: bad
        bad = ~((x >= 0) & (x <= MAX_COUNT) & (x == np.floor(x)))
    if bad.any():
        raise DataError(
            f"must be whole numbers in 0..{MAX_COUNT}",
            column=name,
            rows=np.flatnonzero(bad).tolist(),
        )
    return x.astype(np.int64)


# ---------------------------------------------------------------------------- engagement value
def _check_ids(ids: Sequence[Any], name: str) -> None:
    """Ids present (no NaN/None) and of one kind: 1 and "1" would be two customers."""
    missing = [i for i, v in enumerate(ids) if v is None or (isinstance(v, float) and v != v)]
    if missing:
        raise DataError("missing ids", column=name, rows=missing)
    text = [isinstance(v, str) for v in ids]
    if any(text) and not all(text):
        odd = [i for i, t in enumerate(text) if t != (sum(text) * 2 >= len(text))]
        raise DataError(
            "ids mix text and numbers (1 and '1' would be two customers): use one kind",
            column=name,
            rows=odd,
        )


def _values_by_id(values: object, name: str) -> pd.Series[float]:
    """A Series of finite numbers indexed by unique text ids."""
    if not isinstance(values, pd.Series):
        raise ArgumentError(
            f"must be a pandas Series indexed by customer id, got {type(values).__name__}",
            argument=name,
        )
    if values.index.has_duplicates:
        dup = values.index[values.index.duplicated()].unique().tolist()
        raise DataError(f"customer ids appear twice: {dup[:5]}", column=name)
    _check_ids(values.index.tolist(), name)
    x = reals_or_nan(values.to_numpy())
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataError("must be finite numbers", column=name, rows=values.index[bad].tolist())
    return pd.Series(x, index=values.index, name=name)


def _shared_credit(
    records: pd.DataFrame, who: str, what: str, worth: pd.Series[float], name: str
) -> pd.Series[float]:
    """Sum over records of share x worth[what] per ``who``, each target's shares <= 1."""
    if not isinstance(records, pd.DataFrame):
        raise ArgumentError(
            f"must be a DataFrame with columns {who}, {what}, share, got {type(records).__name__}",
            argument=name,
        )
    for col in (who, what, "share"):
        if col not in records.columns:
            raise DataError(f"{name} needs the column {col!r}", column=col)
    _refuse_repeated_columns(records, (who, what, "share"))
    s = reals_or_nan(records["share"].to_numpy())
    with np.errstate(invalid="ignore"):  # NaN marks a value that is not a number: bad
        bad = ~((s >= 0.0) & (s <= 1.0))
    if bad.any():
        raise DataError(
            "shares must be numbers in [0, 1]", column="share", rows=np.flatnonzero(bad).tolist()
        )
    _check_ids(records[who].tolist(), who)
    _check_ids(records[what].tolist(), what)
    targets = records[what]
    unknown = np.flatnonzero(~targets.isin(worth.index).to_numpy())
    if unknown.size:
        raise DataError(
            f"{what} without a value: {targets.iloc[unknown[:5]].tolist()}",
            column=what,
            rows=unknown.tolist(),
        )
    total = pd.Series(s, index=records.index).groupby(targets.to_numpy()).sum()
    over = total[total > 1.0 + 1e-12]
    if len(over):
        raise DataError(
            f"the shares of one {what} add up to more than 1 (it would be credited twice): "
            f"{over.index.tolist()[:5]}",
            column="share",
        )
    credit = s * worth.reindex(targets.to_numpy()).to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        out = pd.Series(credit).groupby(records[who].to_numpy()).sum().rename(name)
    if not np.isfinite(out.to_numpy()).all():
        raise DataError(f"the credit of one {who} overflows", column=name)
    return out


def influencer_value(
    influence: pd.DataFrame, influenced_value: pd.Series[float]
) -> pd.Series[float]:
    r"""Customer influencer value (CIV): the value of customers won or grown by a customer's
    unpaid word of mouth.

    Kumar et al. (2010) define CIV as the customer's influence on other customers' acquisition,
    retention and spending through social media and word of mouth, excluding incentivised
    referrals (those are CRV). Operationally:

    .. math::

        \mathrm{CIV}_i = \sum_j s_{ij}\, V_j ,

    with :math:`V_j` the (incremental) value of influenced customer :math:`j` (e.g. their CLV,
    or the CLV gained) and :math:`s_{ij} \in [0, 1]` the share of :math:`j`'s value credited
    to influencer :math:`i` (from an attribution such as
    :func:`relmark.decide.shapley_attribution`, or a survey "who made you buy"). The shares of
    one influenced customer may not add up to more than 1: a customer's value is never credited
    twice.

    Parameters
    ----------
    influence
        One row per (influencer, influenced customer): ``influencer_id``, ``customer_id`` and
        ``share``.
    influenced_value
        The value :math:`V_j` of each influenced customer, indexed by customer id.

    Returns
    -------
    pandas.Series
        CIV per influencer id.

    Raises
    ------
    ArgumentError
        The inputs are not a DataFrame and a Series.
    DataError
        A missing column; shares outside [0, 1] (rows) or adding up to more than 1 for one
        customer; an influenced customer without a value; values that are not finite numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> influence = pd.DataFrame({"influencer_id": ["ann", "ann", "bo"],
    ...                           "customer_id": ["c1", "c2", "c2"], "share": [1.0, 0.5, 0.5]})
    >>> influencer_value(influence, pd.Series({"c1": 100.0, "c2": 80.0})).to_dict()
    {'ann': 140.0, 'bo': 40.0}
    """
    worth = _values_by_id(influenced_value, "influenced_value")
    return _shared_credit(influence, "influencer_id", "customer_id", worth, "civ")


def knowledge_value(ideas: pd.DataFrame, idea_value: pd.Series[float]) -> pd.Series[float]:
    r"""Customer knowledge value (CKV): the value of a customer's feedback that the firm used.

    Kumar et al. (2010): the value a customer adds by helping the firm understand customer
    preferences and take part in innovation. Operationally, over the ideas, complaints or
    suggestions the firm adopted,

    .. math::

        \mathrm{CKV}_i = \sum_k s_{ik}\, W_k ,

    with :math:`W_k` the value of adopted idea :math:`k` (its margin impact or cost saving, as
    the firm estimates it) and :math:`s_{ik}` customer :math:`i`'s share of the credit (1 for a
    sole author, split among customers who made the same suggestion; at most 1 in all).

    Parameters
    ----------
    ideas
        One row per (customer, adopted idea): ``customer_id``, ``idea_id`` and ``share``.
    idea_value
        The value :math:`W_k` of each adopted idea, indexed by idea id.

    Returns
    -------
    pandas.Series
        CKV per customer id.

    Raises
    ------
    ArgumentError
        The inputs are not a DataFrame and a Series.
    DataError
        As :func:`influencer_value`, for ideas.

    Examples
    --------
    >>> import pandas as pd
    >>> ideas = pd.DataFrame({"customer_id": ["c1", "c2"], "idea_id": ["i1", "i1"],
    ...                       "share": [0.5, 0.5]})
    >>> knowledge_value(ideas, pd.Series({"i1": 1000.0})).to_dict()
    {'c1': 500.0, 'c2': 500.0}
    """
    worth = _values_by_id(idea_value, "idea_value")
    return _shared_credit(ideas, "customer_id", "idea_id", worth, "ckv")


def customer_engagement_value(
    clv: pd.Series[float],
    *,
    crv: pd.Series[float] | None = None,
    civ: pd.Series[float] | None = None,
    ckv: pd.Series[float] | None = None,
) -> pd.DataFrame:
    r"""Customer engagement value, :math:`\mathrm{CEV} = \mathrm{CLV} + \mathrm{CRV} +
    \mathrm{CIV} + \mathrm{CKV}` (Kumar et al. 2010).

    The four parts are in one currency and over one horizon (the caller's responsibility; CLV
    from :func:`relmark.clv.clv`, CRV from :func:`relmark.domain.customer_referral_value`, CIV
    and CKV from :func:`influencer_value` and :func:`knowledge_value`). A customer absent from
    a component has no recorded referrals, influence or knowledge contributions: 0 for that
    part. A component naming a customer who is not in ``clv`` is refused (it would be a
    customer the base does not know).

    Parameters
    ----------
    clv
        CLV per customer id: the customers of the result.
    crv, civ, ckv
        The other parts per customer id, or ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``clv``, ``crv``, ``civ``, ``ckv``, ``cev`` and ``engagement_share`` (the share
        of CEV beyond CLV: :math:`1 - \mathrm{CLV}/\mathrm{CEV}`, missing when CEV is 0), sorted
        by CEV, highest first.

    Raises
    ------
    ArgumentError
        A part that is not a pandas Series.
    DataError
        Duplicate ids, values that are not finite numbers, or ids not in ``clv``.

    Examples
    --------
    >>> import pandas as pd
    >>> cev = customer_engagement_value(
    ...     pd.Series({"a": 100.0, "b": 300.0}), crv=pd.Series({"a": 250.0}),
    ...     ckv=pd.Series({"b": 20.0}))
    >>> cev["cev"].to_dict()
    {'a': 350.0, 'b': 320.0}
    """
    base = _values_by_id(clv, "clv")
    if base.empty:
        raise DataError("no customers: clv is empty", column="clv")
    out = pd.DataFrame({"clv": base})
    for name, part in (("crv", crv), ("civ", civ), ("ckv", ckv)):
        if part is None:
            out[name] = 0.0
            continue
        values = _values_by_id(part, name)
        extra = values.index.difference(base.index)
        if len(extra):
            raise DataError(
                f"customers not in clv: {extra.tolist()[:5]}", column=name, rows=extra.tolist()
            )
        out[name] = values.reindex(base.index, fill_value=0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        out["cev"] = out[["clv", "crv", "civ", "ckv"]].sum(axis=1)
    overflow = ~np.isfinite(out["cev"].to_numpy())
    if overflow.any():  # the sum of the parts, named by the customers whose sum it is
        raise DataError(
            "the engagement value (clv + crv + civ + ckv) overflows",
            column="cev",
            rows=out.index[overflow].tolist(),
        )
    share = pd.array(
        [1.0 - c / t if t != 0 else None for c, t in zip(out["clv"], out["cev"], strict=True)],
        dtype="Float64",
    )
    out["engagement_share"] = share
    return out.sort_values("cev", ascending=False, kind="stable")
