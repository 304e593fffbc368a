r"""Feedback handling: tickets routed to departments, and response-time metrics.

Seed 002 asks for fast responses, every channel tracked and requests routed to the right
department. A :class:`Ticket` records its channel, department and opened / first response /
resolved times (timezone-aware, in order). :func:`ticket_metrics` reports, per channel or
department, the median and a percentile of response and resolution times and the SLA hit rate.

Tickets still open at the cut-off are **right-censored**, not dropped and not counted as
resolved: the times are Kaplan-Meier estimates (a ticket open for 3 days at the cut-off says
"more than 3 days"), and the SLA hit rate counts an open ticket as a miss only once it has
been open longer than the SLA.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, model_validator

import relmark.domain._checks as _checks
from relmark._validation import check_choice, check_number
from relmark.domain.core import Channel, CustomerId, Frozen, Identifier
from relmark.errors import ArgumentError, DataError

__all__ = ["Ticket", "kaplan_meier_quantile", "ticket_metrics"]


class Ticket(Frozen):
    """A customer request."""

    id: Identifier
    customer_id: CustomerId
    channel: Channel
    department: Identifier
    opened: AwareDatetime
    first_response: AwareDatetime | None = None
    resolved: AwareDatetime | None = None

    @model_validator(mode="after")
    def _order(self) -> Ticket:
        if self.first_response is not None and self.first_response < self.opened:
            raise ValueError("first_response cannot be before opened")
        if self.resolved is not None:
            if self.resolved < self.opened:
                raise ValueError("resolved cannot be before opened")
            if self.first_response is not None and self.resolved < self.first_response:
                raise ValueError("resolved cannot be before the first response")
        return self


def kaplan_meier_quantile(durations: np.ndarray, observed: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a duration from right-censored data (Kaplan-Meier).

    Returns ``inf`` when the survival curve never falls to ``1 - q`` (too many open tickets
    to know), rather than a number that ignores them.

    >>> kaplan_meier_quantile(np.array([1.0, 2, 3, 4]), np.array([True, True, False, True]), 0.5)
    2.0

    Parameters
    ----------
    durations
        Time to the event or to censoring, >= 0.
    observed
        Whether each event was observed (False: censored).
    q
        The quantile, in (0, 1).

    Returns
    -------
    float
        The quantile, or ``inf`` when the estimate never falls to ``1 - q``.

    Raises
    ------
    ArgumentError
        ``durations`` is empty, not 1-d, or holds NaN, inf, text or negative values;
        ``observed`` is not boolean or differs in length; ``q`` is not in (0, 1).
    """
    qq = check_number(q, "q", low=0, high=1, low_open=True, high_open=True)
    try:
        raw = np.asarray(durations)
    except (TypeError, ValueError):  # ragged nested lists
        raise ArgumentError("must be a 1-d array of numbers", argument="durations") from None
    if raw.ndim != 1 or raw.size == 0 or raw.dtype.kind not in "iuf":
        raise ArgumentError("must be a non-empty 1-d array of numbers", argument="durations")
    d0 = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(d0) | (d0 < 0))
    if bad.size:
        raise ArgumentError(
            f"must be finite and >= 0; positions {bad[:5].tolist()}", argument="durations"
        )
    try:
        obs = np.asarray(observed)
    except (TypeError, ValueError):
        raise ArgumentError("must be a 1-d array of booleans", argument="observed") from None
    if obs.dtype.kind != "b" or obs.shape != d0.shape:
        raise ArgumentError(f"must be booleans, one per duration ({d0.size})", argument="observed")
    durations, observed, q = d0, obs, qq
    order = np.lexsort((~observed, durations))  # events before censorings at equal times
    d, e = durations[order], observed[order]
    at_risk = np.arange(d.size, 0, -1, dtype=np.float64)
    surv = np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))
    hit = np.flatnonzero(e & (surv <= 1.0 - q + 1e-12))
    return float(d[hit[0]]) if hit.size else float("inf")


def ticket_metrics(
    tickets: Sequence[Ticket],
    *,
    by: str = "department",
    cutoff: datetime,
    sla: timedelta,
    percentile: float = 0.9,
) -> pd.DataFrame:
    """Response and resolution metrics per ``department`` or ``channel``, in hours.

    Columns: tickets, still open, median and ``percentile`` first-response and resolution
    times (Kaplan-Meier with open tickets censored at ``cutoff``), and the SLA hit rate of the
    first response among tickets whose outcome is known (responded, or open longer than the
    SLA), or missing (``<NA>``, never NaN) where no outcome is known yet.

    Parameters
    ----------
    tickets
        The tickets (unique ids, none opened after ``cutoff``).
    by
        ``"department"`` or ``"channel"``.
    cutoff
        When the data were taken (timezone-aware); open tickets are censored there.
    sla
        The first-response target (> 0).
    percentile
        The upper quantile reported, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per department or channel.

    Raises
    ------
    ArgumentError
        ``by`` is not ``"department"`` or ``"channel"``; ``cutoff`` is not timezone-aware;
        ``sla`` is not a timedelta > 0; ``percentile`` not in (0, 1); ``tickets`` holds
        something that is not a Ticket.
    DataError
        A ticket id is listed twice, or a ticket was opened after the cut-off.
    """
    check_choice(by, "by", ("department", "channel"))
    cutoff = _checks.aware(cutoff, "cutoff")
    sla = _checks.duration(sla, "sla", positive=True)
    percentile = check_number(
        percentile, "percentile", low=0, high=1, low_open=True, high_open=True
    )
    tickets = _checks.instances(tickets, Ticket, "tickets")
    label = f"p{percentile * 100:g}".replace(".", "_")
    counts = Counter(t.id for t in tickets)
    dups = sorted(i for i, n in counts.items() if n > 1)
    if dups:
        raise DataError("tickets listed more than once", column="id", rows=dups)
    late = [t.id for t in tickets if t.opened > cutoff]
    if late:
        raise DataError("tickets opened after the cut-off", column="opened", rows=late)
    rows = {}
    groups: dict[str, list[Ticket]] = {}
    for t in tickets:
        groups.setdefault(str(getattr(t, by)), []).append(t)
    for key, group in sorted(groups.items()):

        def durations(attr: str, group: list[Ticket] = group) -> tuple[np.ndarray, np.ndarray]:
            end = [
                getattr(t, attr) if getattr(t, attr) and getattr(t, attr) <= cutoff else None
                for t in group
            ]
            obs = np.array([e is not None for e in end])
            hours = np.array(
                [
                    ((e if e is not None else cutoff) - t.opened).total_seconds() / 3600
                    for e, t in zip(end, group, strict=True)
                ]
            )
            return hours, obs

        resp, resp_obs = durations("first_response")
        res, res_obs = durations("resolved")
        limit = sla.total_seconds() / 3600
        known = resp_obs | (resp > limit)
        hits = resp_obs & (resp <= limit)
        rows[key] = {
            "tickets": len(group),
            "open": int((~res_obs).sum()),
            "response_median_h": kaplan_meier_quantile(resp, resp_obs, 0.5),
            f"response_{label}_h": kaplan_meier_quantile(resp, resp_obs, percentile),
            "resolution_median_h": kaplan_meier_quantile(res, res_obs, 0.5),
            f"resolution_{label}_h": kaplan_meier_quantile(res, res_obs, percentile),
            "sla_hit_rate": float(hits.sum() / known.sum()) if known.any() else pd.NA,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index").rename_axis(by)
    if not frame.empty:
        frame["sla_hit_rate"] = frame["sla_hit_rate"].astype("Float64")
    return frame
