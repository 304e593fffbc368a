r"""The next-best offer: per customer, the offers that maximise expected margin under a
contact policy, each with the numbers behind it.

For customer :math:`c` and candidate offer :math:`o` with response probability
:math:`p_{co}`, margin :math:`m_{co}` if they respond, offer cost :math:`k_{co}` (an incentive,
a sample) and the contact cost :math:`k_\text{ch}` of the customer's channel,

.. math:: E_{co} = p_{co}\,m_{co} - k_{co} - k_\text{ch}.

The contact policy (the seeds' "interact" and "customise" steps, Peppers & Rogers' IDIC):

- a customer with an open complaint gets no offer (recover the service first);
- each customer gets at most ``max_contacts`` contacts per period, minus those already made
  this period; one offer is one contact;
- the channel follows the customer's Kotler relationship level
  (:data:`relmark.lifecycle.KOTLER_LEVELS`: basic, reactive, accountable, proactive,
  partnership), with its cost;
- only offers with :math:`E_{co} >` ``min_expected_margin`` are made.

Within these rules the best offers by :math:`E_{co}` are chosen: with one offer per contact and
a per-customer limit, taking the largest expected margins is optimal (the problem separates by
customer). Ties are broken by the order of the candidates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from relmark._validation import as_float_array, as_numbers, check_count, check_number
from relmark.errors import ArgumentError, DataError, SchemaError
from relmark.lifecycle.stages import KOTLER_LEVELS

__all__ = ["DEFAULT_CHANNELS", "ContactPolicy", "OfferPlan", "choose_offers"]

DEFAULT_CHANNELS: Mapping[str, str] = MappingProxyType(
    {
        "basic": "web",
        "reactive": "email",
        "accountable": "phone",
        "proactive": "phone",
        "partnership": "account manager",
    }
)
"""Kotler's levels to channels: a *basic* relationship sells without follow-up (the web
shop), *reactive* invites the customer to get in touch (email), *accountable* and *proactive*
call the customer, a *partnership* works with them continuously (an account manager)."""

_LEVELS = KOTLER_LEVELS.stages
_OFFER_COLUMNS = (
    "customer_id",
    "rank",
    "offer",
    "channel",
    "p_response",
    "margin",
    "cost",
    "contact_cost",
    "expected_margin",
    "reason",
)


@dataclass(frozen=True)
class ContactPolicy:
    """The rules an offer must follow.

    Parameters
    ----------
    max_contacts
        Contacts per customer per period, a whole number >= 0.
    channel_by_level
        Kotler level -> channel; every level of :data:`relmark.lifecycle.KOTLER_LEVELS`
        must be mapped.
    contact_cost
        Channel -> cost per contact (>= 0); channels not listed cost 0.
    default_level
        The level of customers whose level is not given.
    min_expected_margin
        Offers must have an expected margin above this.

    Raises
    ------
    ArgumentError
        Naming the field: a negative or fractional ``max_contacts``, an unmapped or unknown
        level, a channel that is not non-empty text, a negative or non-finite cost or margin.
    """

    max_contacts: int = 1
    channel_by_level: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    contact_cost: Mapping[str, float] = field(default_factory=dict)
    default_level: str = "basic"
    min_expected_margin: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_contacts", check_count(self.max_contacts, "max_contacts"))
        if not isinstance(self.channel_by_level, Mapping):
            raise ArgumentError("must map levels to channels", argument="channel_by_level")
        channels = dict(self.channel_by_level)
        for level, channel in channels.items():
            if level not in _LEVELS:
                raise ArgumentError(
                    f"{level!r} is not a Kotler level ({', '.join(_LEVELS)})",
                    argument="channel_by_level",
                )
            if not isinstance(channel, str) or not channel:
                raise ArgumentError(
                    f"level {level!r}: a channel is non-empty text, got {channel!r}",
                    argument="channel_by_level",
                )
        missing = [lv for lv in _LEVELS if lv not in channels]
        if missing:
            raise ArgumentError(
                f"no channel for level(s) {', '.join(missing)}", argument="channel_by_level"
            )
        if not isinstance(self.contact_cost, Mapping):
            raise ArgumentError("must map channels to costs", argument="contact_cost")
        for ch in self.contact_cost:
            if not isinstance(ch, str) or not ch:
                raise ArgumentError(
                    f"channels are non-empty text, got {ch!r}", argument="contact_cost"
                )
        costs = {
            ch: check_number(v, "contact_cost", low=0.0) for ch, v in self.contact_cost.items()
        }
        if self.default_level not in _LEVELS:
            raise ArgumentError(
                f"must be a Kotler level ({', '.join(_LEVELS)}), got {self.default_level!r}",
                argument="default_level",
            )
        object.__setattr__(self, "channel_by_level", MappingProxyType(channels))
        object.__setattr__(self, "contact_cost", MappingProxyType(costs))
        object.__setattr__(
            self,
            "min_expected_margin",
            check_number(self.min_expected_margin, "min_expected_margin"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values.

        Returns
        -------
        dict
        """
        return {
            "max_contacts": self.max_contacts,
            "channel_by_level": dict(self.channel_by_level),
            "contact_cost": dict(self.contact_cost),
            "default_level": self.default_level,
            "min_expected_margin": self.min_expected_margin,
        }


@dataclass(frozen=True)
class OfferPlan:
    """The chosen offers and the customers who get none, with reasons.

    Attributes
    ----------
    offers
        One row per chosen offer: ``customer_id``, ``rank`` (1 = best), ``offer``,
        ``channel``, ``p_response``, ``margin``, ``cost``, ``contact_cost``,
        ``expected_margin`` and ``reason`` (the numbers behind the choice, in words).
    skipped
        One row per customer without an offer: ``customer_id``, ``reason``.
    policy
        The contact policy applied.
    """

    offers: pd.DataFrame
    skipped: pd.DataFrame
    policy: ContactPolicy

    @property
    def expected_margin(self) -> float:
        """The plan's total expected margin."""
        return float(self.offers["expected_margin"].sum())

    def best(self) -> pd.DataFrame:
        """One row per customer with an offer: the rank-1 offer, indexed by ``customer_id``.

        Returns
        -------
        pandas.DataFrame
        """
        return self.offers[self.offers["rank"] == 1].set_index("customer_id")

    def to_dict(self) -> dict[str, Any]:
        """Records of both tables and the policy, for JSON.

        Returns
        -------
        dict
        """
        for table, name in ((self.offers, "offers"), (self.skipped, "skipped")):
            for col in ("customer_id", "offer"):
                for v in table[col].tolist() if col in table.columns else []:
                    if isinstance(v, bool) or not isinstance(v, str | int | float):
                        raise DataError(
                            f"cannot store {v!r} ({type(v).__name__}) of the {name} as JSON: "
                            "give ids and offers as text or numbers",
                            column=col,
                        )
        offers = self.offers.astype(object).to_dict(orient="list")
        skipped = self.skipped.astype(object).to_dict(orient="list")
        out = {"schema": 1, "policy": self.policy.to_dict(), "offers": offers, "skipped": skipped}
        return json.loads(json.dumps(out, default=_plain))  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> OfferPlan:
        """Rebuild from :meth:`to_json`.

        Parameters
        ----------
        text
            JSON text.

        Returns
        -------
        OfferPlan

        Raises
        ------
        SchemaError
            Naming the key that is missing or inconsistent.
        """
        if not isinstance(text, str | bytes):
            raise SchemaError("must be JSON text", key="")
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"not JSON ({exc})", key="") from None
        if not isinstance(d, dict) or d.get("schema") != 1:
            raise SchemaError("expected schema version 1", key="schema")
        for key in ("policy", "offers", "skipped"):
            if not isinstance(d.get(key), dict):
                raise SchemaError("missing or not an object", key=key)
        try:
            policy = ContactPolicy(**d["policy"])
        except (ArgumentError, TypeError) as exc:
            raise SchemaError(f"not a contact policy ({exc})", key="policy") from None
        offers = _table(d["offers"], _OFFER_COLUMNS, "offers")
        for col in ("p_response", "margin", "cost", "contact_cost", "expected_margin"):
            values = offers[col].tolist()
            if not all(_finite(v) for v in values):
                raise SchemaError(f"column {col!r} must hold finite numbers", key="offers")
            offers[col] = np.asarray(values, dtype=np.float64)
        ranks = offers["rank"].tolist()
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in ranks):
            raise SchemaError("column 'rank' must hold whole numbers >= 1", key="offers")
        offers["rank"] = np.asarray(ranks, dtype=np.int64)
        p = offers["p_response"].to_numpy()
        if ((p < 0) | (p > 1)).any() or (offers[["cost", "contact_cost"]].to_numpy() < 0).any():
            raise SchemaError("p_response outside [0, 1] or a negative cost", key="offers")
        expected = p * offers["margin"] - offers["cost"] - offers["contact_cost"]
        if not np.allclose(expected, offers["expected_margin"], rtol=1e-9, atol=1e-9):
            raise SchemaError(
                "expected_margin differs from p_response x margin - cost - contact_cost",
                key="offers",
            )
        skipped = _table(d["skipped"], ("customer_id", "reason"), "skipped")
        return cls(offers=offers, skipped=skipped, policy=policy)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _table(columns: dict[str, Any], names: tuple[str, ...], key: str) -> pd.DataFrame:
    """A stored table: exactly ``names`` as lists of one length (or no columns at all)."""
    if columns and list(columns) != list(names):
        raise SchemaError(f"columns must be {', '.join(names)}", key=key)
    lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
    if -1 in lengths or len(lengths) > 1:
        raise SchemaError("columns must be lists of one length", key=key)
    frame = pd.DataFrame({n: columns.get(n, []) for n in names})
    for col in ("customer_id", "offer", "channel", "reason"):
        if col in frame.columns and not all(
            isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))
            for v in frame[col].tolist()
        ):
            raise SchemaError(f"column {col!r} must hold text or whole numbers", key=key)
    return frame


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _column(frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in frame.columns:
        raise DataError(
            f"{what} lacks column {name!r} (found: {', '.join(map(str, frame.columns))})",
            column=name,
        )
    return frame[name]


def choose_offers(
    candidates: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    policy: ContactPolicy | None = None,
) -> OfferPlan:
    r"""Choose each customer's offers: the largest expected margins the policy allows.

    Parameters
    ----------
    candidates
        One row per (customer, candidate offer): ``customer_id``, ``offer``, ``p_response``
        (in [0, 1]), ``margin`` (money earned if they respond) and ``cost`` (money spent on
        the offer whether or not they respond, >= 0); optionally ``note``, text appended to
        the reason (where the candidate came from, e.g. "bought P007").
    customers
        Optional, indexed by customer id (or with a ``customer_id`` column): ``level``
        (Kotler level; the policy's default without it), ``open_complaint`` (bool; False
        without it), ``contacts`` (contacts already made this period; 0 without it). Every
        customer of ``candidates`` must be in it.
    policy
        The :class:`ContactPolicy` (the default: one contact, the default channels, no
        contact cost).

    Returns
    -------
    OfferPlan

    Raises
    ------
    ArgumentError
        ``candidates`` or ``customers`` not a DataFrame, ``policy`` not a
        :class:`ContactPolicy`.
    DataError
        Naming the column and rows: a missing column, no candidates, a NaN, infinite or
        out-of-range probability, margin, cost or contact count, a repeated (customer,
        offer), an unknown level, a non-boolean complaint flag, a candidate customer missing
        from ``customers``, repeated customers.

    References
    ----------
    Peppers, D. & Rogers, M. (2004). *Managing Customer Relationships*, Wiley (IDIC).
    Kotler, P. & Keller, K. L. (2016). *Marketing Management*, 15th ed., ch. 5 (levels of
    relationship).

    Examples
    --------
    >>> import pandas as pd
    >>> candidates = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "bob"], "offer": ["jam", "tea", "jam"],
    ...     "p_response": [0.30, 0.10, 0.05], "margin": [8.0, 30.0, 8.0],
    ...     "cost": [0.5, 0.5, 0.5]})
    >>> plan = choose_offers(candidates)
    >>> plan.offers[["customer_id", "offer", "expected_margin"]]
      customer_id offer  expected_margin
    0         ann   tea              2.5
    >>> print(plan.skipped.loc[0, "reason"])
    no offer pays: best is jam, 0.050 x 8.00 - 0.50 - contact 0.00 = -0.10 <= 0
    """
    if not isinstance(candidates, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame, got {type(candidates).__name__}", argument="candidates"
        )
    if policy is None:
        policy = ContactPolicy()
    if not isinstance(policy, ContactPolicy):
        raise ArgumentError(
            f"must be a ContactPolicy, got {type(policy).__name__}", argument="policy"
        )
    if len(candidates) == 0:
        raise DataError("no candidate offers", column="customer_id")
    if candidates.columns.has_duplicates:
        repeated = candidates.columns[candidates.columns.duplicated()]
        raise DataError("the column appears twice in candidates", column=str(repeated[0]))
    ids = _column(candidates, "customer_id", "candidates")
    offer = _column(candidates, "offer", "candidates")
    rows = candidates.index
    values = {}
    for name in ("p_response", "margin", "cost"):
        raw = as_numbers(_column(candidates, name, "candidates").to_numpy(), name)
        bad = ~np.isfinite(raw)
        if bad.any():
            raise DataError(
                "missing (NaN) or infinite values",
                column=name,
                rows=list(rows[bad]),
                count=int(bad.sum()),
            )
        values[name] = raw
    p, margin, cost = values["p_response"], values["margin"], values["cost"]
    for bad, name, what in (
        ((p < 0) | (p > 1), "p_response", "must be in [0, 1]"),
        (cost < 0, "cost", "must be >= 0"),
    ):
        if bad.any():
            raise DataError(what, column=name, rows=list(rows[bad]), count=int(bad.sum()))
    for name, s in (("customer_id", ids), ("offer", offer)):
        missing = s.isna().to_numpy(dtype=bool, copy=True)
        text = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        missing[text] |= (s[text].astype(str).str.strip() == "").to_numpy(dtype=bool)
        if missing.any():
            raise DataError("missing (empty) ids", column=name, rows=list(rows[missing]))
        kind = pd.api.types.infer_dtype(s, skipna=False)
        if kind in ("mixed", "mixed-integer"):  # 1 and "1" would be two customers
            raise DataError(
                f"ids mix kinds ({kind}: numbers and text): give them one type", column=name
            )
    twice = pd.DataFrame({"c": ids.to_numpy(), "o": offer.to_numpy()}).duplicated().to_numpy()
    if twice.any():
        raise DataError(
            "a customer has the same offer twice", column="offer", rows=list(rows[twice])
        )
    code, uniq = pd.factorize(ids)
    n_cust = uniq.shape[0]
    level, complaint, used = _customer_columns(customers, uniq, policy)
    channel_of = np.asarray([policy.channel_by_level[lv] for lv in level], dtype=object)
    channel_cost = np.asarray([policy.contact_cost.get(ch, 0.0) for ch in channel_of])
    allowance = np.maximum(float(policy.max_contacts) - used, 0.0)
    k_ch = channel_cost[code]
    expected = p * margin - cost - k_ch
    with np.errstate(over="ignore"):
        total = np.sum(np.abs(expected))
    if not np.isfinite(total):
        raise DataError(
            "the expected margins are too large to add up (they overflow)", column="margin"
        )
    pays = expected > policy.min_expected_margin
    eligible = pays & ~complaint[code]
    order = np.lexsort((np.arange(code.shape[0]), -expected, code))
    c_sorted = code[order]
    e_sorted = eligible[order]
    # rank among the eligible offers of each customer (0-based)
    counts = np.cumsum(e_sorted)
    starts = np.r_[0, np.flatnonzero(np.diff(c_sorted)) + 1]
    before = np.repeat(np.r_[0, counts][starts], np.diff(np.r_[starts, c_sorted.shape[0]]))
    rank = counts - before - 1
    chosen_sorted = e_sorted & (rank < allowance[c_sorted])
    pick = order[chosen_sorted]
    n_pays = np.bincount(code[eligible], minlength=n_cust)
    offer_values = offer.to_numpy()
    pick_rank = rank[chosen_sorted]
    reasons = [
        f"{o}: P(response) {pp:.3f} x margin {mm:.2f} - cost {cc:.2f} - {ch} contact {kk:.2f} "
        f"= expected margin {ee:.2f}; rank {r + 1} of {npay} offers that pay; channel {ch} for "
        f"a {lv} relationship; contact {r + 1 + u} of {policy.max_contacts} this period"
        for o, pp, mm, cc, kk, ee, r, npay, ch, lv, u in zip(
            offer_values[pick].tolist(),
            p[pick].tolist(),
            margin[pick].tolist(),
            cost[pick].tolist(),
            k_ch[pick].tolist(),
            expected[pick].tolist(),
            pick_rank.tolist(),
            n_pays[code[pick]].tolist(),
            channel_of[code[pick]].tolist(),
            level[code[pick]].tolist(),
            [int(u) for u in used[code[pick]].tolist()],
            strict=True,
        )
    ]
    if "note" in candidates.columns:
        notes = candidates["note"].to_numpy(dtype=object)[pick].tolist()
        reasons = [
            f"{r}; {n}" if isinstance(n, str) and n else r
            for r, n in zip(reasons, notes, strict=True)
        ]
    offers = pd.DataFrame(
        {
            "customer_id": uniq[code[pick]],
            "rank": pick_rank.astype(np.int64) + 1,
            "offer": offer_values[pick],
            "channel": channel_of[code[pick]],
            "p_response": p[pick],
            "margin": margin[pick],
            "cost": cost[pick],
            "contact_cost": k_ch[pick],
            "expected_margin": expected[pick],
            "reason": reasons,
        }
    )
    got = np.zeros(n_cust, dtype=bool)
    got[code[pick]] = True
    skipped_codes = np.flatnonzero(~got)
    best_pos = order[starts]  # each customer's best candidate by expected margin
    best_of = np.empty(n_cust, dtype=np.int64)
    best_of[c_sorted[starts]] = best_pos
    skip_reasons = []
    for c in skipped_codes.tolist():
        if complaint[c]:
            skip_reasons.append("open complaint: no offer until it is resolved")
        elif allowance[c] == 0:
            skip_reasons.append(
                f"contact limit reached: {int(used[c])} of {policy.max_contacts} contacts "
                "made this period"
            )
        else:
            b = int(best_of[c])
            skip_reasons.append(
                f"no offer pays: best is {offer_values[b]}, {p[b]:.3f} x {margin[b]:.2f} - "
                f"{cost[b]:.2f} - contact {k_ch[b]:.2f} = {expected[b]:.2f} <= "
                f"{policy.min_expected_margin:g}"
            )
    skipped = pd.DataFrame({"customer_id": uniq[skipped_codes], "reason": skip_reasons})
    return OfferPlan(offers=offers, skipped=skipped, policy=policy)


def _customer_columns(
    customers: pd.DataFrame | None, uniq: Any, policy: ContactPolicy
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(uniq)
    level = np.full(n, policy.default_level, dtype=object)
    complaint = np.zeros(n, dtype=bool)
    used = np.zeros(n, dtype=np.float64)  # float: 1e300 contacts must not wrap around
    if customers is None:
        return level, complaint, used
    if not isinstance(customers, pd.DataFrame):
        raise ArgumentError(
            f"must be a pandas DataFrame or None, got {type(customers).__name__}",
            argument="customers",
        )
    frame = customers.set_index("customer_id") if "customer_id" in customers.columns else customers
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()]
        raise DataError("repeated customers", column="customer_id", rows=list(dup))
    pos = frame.index.get_indexer(pd.Index(uniq))
    if (pos < 0).any():
        raise DataError(
            "candidate customers missing from customers",
            column="customer_id",
            rows=list(np.asarray(uniq, dtype=object)[pos < 0]),
            count=int((pos < 0).sum()),
        )
    if "level" in frame.columns:
        lv = frame["level"].to_numpy(dtype=object)[pos]
        bad = ~pd.Series(lv).isin(_LEVELS).to_numpy()
        if bad.any():
            raise DataError(
                f"not a Kotler level ({', '.join(_LEVELS)})",
                column="level",
                rows=list(np.asarray(uniq, dtype=object)[bad]),
            )
        level = lv
    if "open_complaint" in frame.columns:
        flags = frame["open_complaint"]
        if not pd.api.types.is_bool_dtype(flags.dtype):
            raise DataError("must be True or False", column="open_complaint")
        complaint = flags.to_numpy(dtype=bool)[pos]
    if "contacts" in frame.columns:
        made = as_float_array(frame["contacts"].to_numpy(), "contacts")[pos]
        bad = (made < 0) | (made != np.floor(made))
        if bad.any():
            raise DataError(
                "must be whole numbers >= 0",
                column="contacts",
                rows=list(np.asarray(uniq, dtype=object)[bad]),
            )
        used = made
    return level, complaint, used
