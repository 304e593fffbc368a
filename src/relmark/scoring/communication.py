r"""Communication metrics from contact records, and a communication score.

Effective communication — "formal and informal information sharing, quick response, empathy" —
is one of the five relationship factors (DOMAIN.md 1.4), and in Palmatier et al.'s (2006)
meta-analysis the strongest antecedent of relationship quality. This module measures its
observable part from :class:`relmark.domain.Interaction` records (who contacted whom, when, on
which channel), per customer and channel:

- **cadence**: contacts per period over the observation window,
  :math:`c = n \cdot d / D`, with :math:`n` contacts, period length :math:`d` days and window
  length :math:`D` days;
- **two-way ratio**: the share of contacts the customer started,
  :math:`s = n_\text{in} / n` (0: the firm only broadcasts; 0.5: a balanced dialogue);
- **response latency**: for each inbound contact, the time until the firm's next outbound
  contact with the customer on the same channel. A contact still unanswered at the end of the
  window is **right-censored** (it waited "more than" that long), never dropped and never
  counted as answered; the median latency is a Kaplan-Meier estimate
  (:func:`relmark.domain.kaplan_meier_quantile`).

:func:`communication_scores` turns them into a score in [0, 100] per customer, a construct that
can enter :func:`relmark.scoring.quality_index` beside trust and satisfaction. The score is an
operational definition of relmark's (no published index measures communication from contact
logs); its three components, each in [0, 100], are

.. math::

    \text{dialogue} = 100\,\bigl(1 - |2s - 1|\bigr), \qquad
    \text{responsiveness} = 100\,\frac{a_\tau}{a_\tau + m_\tau}, \qquad
    \text{cadence} = 100\,\min\!\Bigl(\frac{c}{c^*}, \frac{c^*}{c}\Bigr),

where :math:`a_\tau` counts inbound contacts answered within the target time :math:`\tau`,
:math:`m_\tau` those that were not although they were open for at least :math:`\tau` (contacts
open for less than :math:`\tau` at the end of the window are not yet late and count in neither),
and :math:`c^*` is the target cadence. The score is the weighted mean of the components a
customer has (a customer who never wrote to the firm has no responsiveness component), with
weights renormalised over them.

References
----------
Duncan, T., & Moriarty, S. E. (1998). A communication-based marketing model for managing
relationships. *Journal of Marketing*, 62(2), 1-13.

Morgan, R. M., & Hunt, S. D. (1994). The commitment-trust theory of relationship marketing.
*Journal of Marketing*, 58(3), 20-38.

Palmatier, R. W., Dant, R. P., Grewal, D., & Evans, K. R. (2006). Factors influencing the
effectiveness of relationship marketing: a meta-analysis. *Journal of Marketing*, 70(4), 136-153.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from relmark._validation import check_number
from relmark.domain.core import Channel, Direction, Interaction
from relmark.domain.feedback import kaplan_meier_quantile
from relmark.errors import ArgumentError, DataError

__all__ = ["COMPONENTS", "CommunicationScores", "communication_scores"]

MAX_SETTING = 1e9
"""The largest ``period_days``, ``target_contacts_per_period`` and ``target_response_hours``
(beyond it a cadence of one contact per period overflows)."""

COMPONENTS = ("dialogue", "responsiveness", "cadence")
"""The components of the communication score, in the order of the weights."""

_COLUMNS = ("customer_id", "at", "channel", "direction")


@dataclass(frozen=True)
class CommunicationScores:
    """Communication metrics per customer and channel, per channel, and the score per customer.

    Undefined values are missing (``<NA>`` in nullable ``Float64`` columns), never NaN: the
    median latency of a customer with no inbound contact, or one whose contacts were all still
    unanswered, is not a number.

    Parameters
    ----------
    by_customer_channel
        One row per (customer_id, channel): ``contacts``, ``inbound``, ``outbound``,
        ``contacts_per_period``, ``two_way_ratio``, ``answered``, ``unanswered`` (censored),
        ``median_latency_hours`` (Kaplan-Meier).
    by_channel
        One row per channel: the same counts over all customers, ``two_way_ratio``,
        ``median_latency_hours`` and ``answered_within_target`` (share of inbound contacts
        answered within the target among those decided).
    by_customer
        One row per customer: ``dialogue``, ``responsiveness``, ``cadence`` and ``score``, each in
        [0, 100].
    window
        Start and end of the observation window (timezone-aware).
    period_days
        Length of the cadence period in days.
    target_contacts_per_period
        The cadence :math:`c^*` that scores 100.
    target_response_hours
        The response time :math:`\\tau` within which an inbound contact counts as answered.
    weights
        Weight of each component (:data:`COMPONENTS`), summing to one.
    """

    by_customer_channel: pd.DataFrame
    by_channel: pd.DataFrame
    by_customer: pd.DataFrame
    window: tuple[datetime, datetime]
    period_days: float
    target_contacts_per_period: float
    target_response_hours: float
    weights: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (missing values as ``None``, times in ISO 8601).

        Returns
        -------
        dict
            The settings and the three tables as lists of records.
        """

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = frame.reset_index().astype(object)
            out = out.where(out.notna(), None)
            return [
                {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in out.to_dict(orient="records")
            ]

        return {
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "period_days": self.period_days,
            "target_contacts_per_period": self.target_contacts_per_period,
            "target_response_hours": self.target_response_hours,
            "weights": dict(zip(COMPONENTS, self.weights, strict=True)),
            "by_customer": records(self.by_customer),
            "by_channel": records(self.by_channel),
            "by_customer_channel": records(self.by_customer_channel),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The result as JSON (see :meth:`to_dict`).

        Parameters
        ----------
        indent
            Indentation of the JSON text (``None``: one line).

        Returns
        -------
        str
            JSON text.
        """
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _frame_of(interactions: object) -> tuple[pd.DataFrame, list[object]]:
    """The contact records as a frame with the four columns (positions as its index), checked
    row by row, and the label of each row for errors: the DataFrame's index labels, or the
    positions of the Interaction objects."""
    if isinstance(interactions, pd.DataFrame):
        missing = [c for c in _COLUMNS if c not in interactions.columns]
        if missing:
            raise DataError(
                f"the interactions need the columns {', '.join(_COLUMNS)}", column=missing[0]
            )
        labels: list[object] = interactions.index.tolist()
        frame = interactions.loc[:, list(_COLUMNS)].reset_index(drop=True)
    elif isinstance(interactions, Sequence) and not isinstance(interactions, str | bytes):
        bad = [i for i, x in enumerate(interactions) if not isinstance(x, Interaction)]
        if bad:
            raise DataError(
                "must be Interaction objects or a DataFrame; these are not",
                column="interactions",
                rows=bad,
            )
        ids = pd.Series([x.id for x in interactions])
        twice = np.flatnonzero(ids.duplicated().to_numpy()).tolist()
        if twice:
            raise DataError(
                "an interaction id appears twice (the contact would count twice)",
                column="interactions",
                rows=twice,
            )
        labels = list(range(len(interactions)))
        frame = pd.DataFrame(
            {
                "customer_id": [x.customer_id for x in interactions],
                "at": pd.to_datetime([x.at for x in interactions], utc=True),
                "channel": [x.channel.value for x in interactions],
                "direction": [x.direction.value for x in interactions],
            }
        )
    else:
        raise ArgumentError(
            "must be a sequence of Interaction objects or a DataFrame with the columns "
            f"{', '.join(_COLUMNS)}; got {type(interactions).__name__}",
            argument="interactions",
        )
    if frame.empty:
        raise DataError("no contacts: the interactions are empty", column="interactions")

    def named(positions: Sequence[int]) -> list[object]:
        return [labels[i] for i in positions]

    ids = frame["customer_id"]
    bad_ids = [
        i for i, v in enumerate(ids.tolist()) if not isinstance(v, str) or not v or v.strip() != v
    ]
    if bad_ids:
        raise DataError(
            "customer ids must be non-empty text without surrounding spaces",
            column="customer_id",
            rows=named(bad_ids),
        )
    at = _aware_times(frame["at"], named)
    if at.isna().any():
        raise DataError(
            "missing timestamps",
            column="at",
            rows=named(np.flatnonzero(at.isna().to_numpy()).tolist()),
        )
    for name, enum in (("channel", Channel), ("direction", Direction)):
        values = frame[name].tolist()
        allowed = {e.value for e in enum}
        wrong = [i for i, v in enumerate(values) if getattr(v, "value", v) not in allowed]
        if wrong:
            raise DataError(
                f"must be one of {', '.join(sorted(allowed))}", column=name, rows=named(wrong)
            )
        frame[name] = [getattr(v, "value", v) for v in values]
    frame["at"] = at.dt.tz_convert("UTC")
    return frame, labels


def _aware_times(
    at: pd.Series[Any], named: Callable[[Sequence[int]], list[object]]
) -> pd.Series[Any]:
    """The ``at`` column as UTC timestamps: a timezone-aware column as it is, or a column of
    Python datetimes / pandas Timestamps, each aware and converted to UTC by its own offset
    (a column mixing offsets is such a column); naive times and values that are no
    timestamps are refused with their rows."""
    if isinstance(at.dtype, pd.DatetimeTZDtype):
        return at
    if pd.api.types.is_datetime64_dtype(at.dtype):
        raise DataError(
            "must be timezone-aware timestamps; these are naive (a naive time is ambiguous "
            "across zones: localize them, e.g. .dt.tz_localize('Europe/Paris'))",
            column="at",
            rows=named(np.flatnonzero(at.notna().to_numpy()).tolist()),
        )
    values = at.tolist()
    missing = [i for i, v in enumerate(values) if v is None or v is pd.NaT or v != v]
    if missing:
        raise DataError("missing timestamps", column="at", rows=named(missing))
    not_times = [i for i, v in enumerate(values) if not isinstance(v, datetime)]
    if not_times:
        shown = ", ".join(f"{type(values[i]).__name__} {values[i]!r:.40}" for i in not_times[:3])
        raise DataError(
            f"must be timezone-aware timestamps (datetime or pandas Timestamp), got {shown}",
            column="at",
            rows=named(not_times),
        )
    naive = [i for i, v in enumerate(values) if v.tzinfo is None or v.utcoffset() is None]
    if naive:
        raise DataError(
            "must be timezone-aware timestamps; these are naive (a naive time is ambiguous "
            "across zones)",
            column="at",
            rows=named(naive),
        )
    return pd.Series(pd.to_datetime(values, utc=True), index=at.index, name=at.name)


def _window_end(value: datetime | None, name: str, default: pd.Timestamp) -> pd.Timestamp:
    if value is None:
        return default
    if not isinstance(value, datetime):
        raise ArgumentError(f"must be a timezone-aware datetime, got {value!r}", argument=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentError("must be timezone-aware (a naive time is ambiguous)", argument=name)
    return pd.Timestamp(value).tz_convert("UTC")


def communication_scores(
    interactions: Sequence[Interaction] | pd.DataFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    period_days: float = 30.0,
    target_contacts_per_period: float = 2.0,
    target_response_hours: float = 24.0,
    weights: Mapping[str, float] | None = None,
) -> CommunicationScores:
    r"""Cadence, two-way ratio and response latency per customer and channel, and the score.

    See the module docstring for the definitions and the score's formula. Inbound contacts are
    answered by the firm's next outbound contact with the same customer on the same channel,
    strictly after them; one reply answers every question it follows.

    Parameters
    ----------
    interactions
        :class:`relmark.domain.Interaction` objects, or a DataFrame with the columns
        ``customer_id`` (text), ``at`` (timezone-aware timestamps: a ``datetime64[ns, tz]``
        column, or Python datetimes / pandas Timestamps that may mix UTC offsets, each
        converted to UTC by its own offset; naive times and text are refused with their
        rows), ``channel`` and ``direction`` (the values of :class:`relmark.domain.Channel`
        and :class:`relmark.domain.Direction`).
    start, end
        The observation window (timezone-aware); default: the first and the last contact.
        Every contact must lie inside it (none is silently left out).
    period_days
        Length of the cadence period in days (> 0, at most :data:`MAX_SETTING`).
    target_contacts_per_period
        The cadence that scores 100 (> 0, at most :data:`MAX_SETTING`).
    target_response_hours
        The response time within which an inbound contact counts as answered (> 0, at most
        :data:`MAX_SETTING`).
    weights
        Weight per component name (``dialogue``, ``responsiveness``, ``cadence``; >= 0, not all
        0); default equal. Normalised to sum to one.

    Returns
    -------
    CommunicationScores
        The three tables and the settings.

    Raises
    ------
    ArgumentError
        ``interactions`` of the wrong type; ``start``/``end`` not timezone-aware datetimes or
        ``start >= end``; a setting that is not a finite positive number; ``weights`` naming an
        unknown component, negative or all zero.
    DataError
        A missing column; empty input; ids that are not non-empty text, naive or missing
        timestamps, unknown channels or directions (with the rows); contacts outside the
        window, or an Interaction id given twice (with the rows).

    Examples
    --------
    A customer writes twice by e-mail; the firm answers the first after 2 hours, the second
    after 30 hours, and sends one newsletter:

    >>> from datetime import UTC, datetime, timedelta
    >>> from relmark.domain import Interaction
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> def contact(i, hours, direction):
    ...     return Interaction(id=f"i{i}", customer_id="c1", at=t0 + timedelta(hours=hours),
    ...                        channel="email", direction=direction)
    >>> log = [contact(1, 0, "inbound"), contact(2, 2, "outbound"),
    ...        contact(3, 100, "inbound"), contact(4, 130, "outbound")]
    >>> r = communication_scores(log, end=t0 + timedelta(days=30))
    >>> row = r.by_customer.loc["c1"]
    >>> float(row["dialogue"]), float(row["responsiveness"]), float(row["cadence"])
    (100.0, 50.0, 50.0)
    """
    frame, labels = _frame_of(interactions)
    d = check_number(period_days, "period_days", low=0, low_open=True, high=MAX_SETTING)
    target_rate = check_number(
        target_contacts_per_period,
        "target_contacts_per_period",
        low=0,
        low_open=True,
        high=MAX_SETTING,
    )
    tau = check_number(
        target_response_hours, "target_response_hours", low=0, low_open=True, high=MAX_SETTING
    )
    w = _weights(weights)
    lo = _window_end(start, "start", frame["at"].min())
    hi = _window_end(end, "end", frame["at"].max())
    if lo >= hi:
        raise ArgumentError(
            f"the window must have a positive length: start {lo} is not before end {hi}",
            argument="start" if start is not None else "end",
        )
    outside = np.flatnonzero(((frame["at"] < lo) | (frame["at"] > hi)).to_numpy())
    if outside.size:
        raise DataError(
            f"contacts outside the window {lo} .. {hi} (choose the window, or filter the "
            "contacts yourself)",
            column="at",
            rows=[labels[i] for i in outside.tolist()],
        )
    window_days = (hi - lo).total_seconds() / 86_400.0
    frame = frame.assign(_in=frame["direction"] == Direction.INBOUND.value)
    # outbound before inbound at one instant: a reply must come strictly after the question
    frame = frame.sort_values(["customer_id", "channel", "at", "_in"], kind="stable")
    keys = pd.MultiIndex.from_frame(frame[["customer_id", "channel"]])
    codes, groups = pd.factorize(keys)  # sorted rows: codes are non-decreasing
    n_groups = len(groups)
    inbound = frame["_in"].to_numpy(dtype=bool)
    # microseconds since 1970 (nanoseconds overflow beyond 1677-2262: a contact in year 1 or
    # 9999, which a Python datetime holds, gave latencies off by centuries)
    times = frame["at"].dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64)
    n = times.shape[0]
    # the first outbound row at or after each row (n: none); it answers an inbound row of the
    # same customer and channel
    out_pos = np.where(inbound, n, np.arange(n))
    nxt = np.minimum.accumulate(out_pos[::-1])[::-1]
    q = np.flatnonzero(inbound)
    q_codes = codes[q]
    q_next = nxt[q]
    observed = q_next < n
    observed[observed] = codes[q_next[observed]] == q_codes[observed]
    stop = np.full(
        q.shape[0],
        np.int64(hi.tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64)),
    )
    stop[observed] = times[q_next[observed]]
    hours = (stop - times[q]).astype(np.float64) / 3.6e9
    on_time_q = observed & (hours <= tau)
    late_q = hours > tau  # answered late, or open longer than tau

    def per_group(idx: npt.NDArray[np.intp], weights: npt.NDArray[Any] | None = None) -> Any:
        return np.bincount(idx, weights=weights, minlength=n_groups)

    contacts = per_group(codes).astype(np.int64)
    n_in = per_group(q_codes).astype(np.int64)
    answered = per_group(q_codes, observed.astype(np.float64)).astype(np.int64)
    on_time = per_group(q_codes, on_time_q.astype(np.float64)).astype(np.int64)
    late = per_group(q_codes, late_q.astype(np.float64)).astype(np.int64)
    medians = np.full(n_groups, np.inf)
    cuts = np.flatnonzero(np.diff(q_codes)) + 1
    for lo_i, hi_i in zip(np.r_[0, cuts], np.r_[cuts, q.shape[0]], strict=True):
        if hi_i > lo_i:
            medians[q_codes[lo_i]] = kaplan_meier_quantile(
                hours[lo_i:hi_i], observed[lo_i:hi_i], 0.5
            )
    table = pd.DataFrame(
        {
            "contacts": contacts,
            "inbound": n_in,
            "outbound": contacts - n_in,
            "contacts_per_period": contacts * d / window_days,
            "two_way_ratio": n_in / contacts,
            "answered": answered,
            "unanswered": n_in - answered,
            "median_latency_hours": pd.array(
                [m if np.isfinite(m) else None for m in medians], dtype="Float64"
            ),
            "on_time": on_time,
            "late": late,
        },
        index=pd.MultiIndex.from_tuples(list(groups), names=["customer_id", "channel"]),
    )

    chan = table.groupby(level="channel")[
        ["contacts", "inbound", "outbound", "answered", "unanswered"]
    ].sum()
    chan["two_way_ratio"] = chan["inbound"] / chan["contacts"]
    q_channel = frame["channel"].to_numpy()[q]
    chan_medians: list[float | None] = []
    shares: list[float | None] = []
    for channel in chan.index:
        mine = q_channel == channel
        m = kaplan_meier_quantile(hours[mine], observed[mine], 0.5) if mine.any() else np.inf
        chan_medians.append(m if np.isfinite(m) else None)
        on, lt = int(on_time_q[mine].sum()), int(late_q[mine].sum())
        shares.append(on / (on + lt) if on + lt else None)
    chan["median_latency_hours"] = pd.array(chan_medians, dtype="Float64")
    chan["answered_within_target"] = pd.array(shares, dtype="Float64")

    cust = table.groupby(level="customer_id")[["contacts", "inbound", "on_time", "late"]].sum()
    share_in = cust["inbound"] / cust["contacts"]
    dialogue = 100.0 * (1.0 - (2.0 * share_in - 1.0).abs())
    decided_n = cust["on_time"] + cust["late"]
    responsiveness = pd.array(
        [100.0 * a / n if n else None for a, n in zip(cust["on_time"], decided_n, strict=True)],
        dtype="Float64",
    )
    rate = cust["contacts"] * d / window_days
    cadence = 100.0 * np.minimum(rate / target_rate, target_rate / rate)
    parts = pd.DataFrame(
        {"dialogue": dialogue, "responsiveness": responsiveness, "cadence": cadence},
        index=cust.index,
    ).astype("Float64")
    weight = pd.Series(w, index=list(COMPONENTS))
    have = parts.notna()
    total = (have * weight).sum(axis=1)
    score = (parts.fillna(0.0) * weight).sum(axis=1) / total
    parts["score"] = score.where(total > 0).astype("Float64")
    table = table.drop(columns=["on_time", "late"])
    return CommunicationScores(
        by_customer_channel=table,
        by_channel=chan,
        by_customer=parts,
        window=(lo.to_pydatetime(warn=False), hi.to_pydatetime(warn=False)),
        period_days=d,
        target_contacts_per_period=target_rate,
        target_response_hours=tau,
        weights=(float(w[0]), float(w[1]), float(w[2])),
    )


def _weights(weights: Mapping[str, float] | None) -> tuple[float, float, float]:
    if weights is None:
        return (1 / 3, 1 / 3, 1 / 3)
    if not isinstance(weights, Mapping):
        raise ArgumentError(
            f"must map component names to weights, got {type(weights).__name__}",
            argument="weights",
        )
    unknown = [k for k in weights if k not in COMPONENTS]
    if unknown:
        raise ArgumentError(
            f"unknown component {unknown[0]!r}; the components are {', '.join(COMPONENTS)}",
            argument="weights",
        )
    raw = [check_number(weights.get(k, 0.0), f"weights[{k!r}]", low=0) for k in COMPONENTS]
    top = max(raw)
    if top <= 0:
        raise ArgumentError("at least one weight must be positive", argument="weights")
    scaled = [x / top for x in raw]  # three weights of 1e308 would sum to inf
    total = sum(scaled)
    return (scaled[0] / total, scaled[1] / total, scaled[2] / total)
