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

from relmark.domain.core import Channel, CustomerId, Frozen, Identifier
from relmark.errors import DataError

__all__ = ["Ticket", "kaplan_meier_quantile", "ticket_metrics"]


class Ticket(Frozen):
    """A customer request."""

    id: Identifier
    customer_id: CustomerId
    channel: Channel
    department: str
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
    """
    if not 0 < q < 1:
        raise DataError("q must be in (0, 1)")
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
    SLA).
    """
    if by not in ("department", "channel"):
        raise DataError("by must be 'department' or 'channel'", column="by")
    if cutoff.tzinfo is None:
        raise DataError("cutoff must be timezone-aware", column="cutoff")
    counts = Counter(t.id for t in tickets)
    dups = sorted(i for i, n in counts.items() if n > 1)
    if dups:
        raise DataError("tickets listed more than once", column="id", rows=dups)
    late = [t.id for t in tickets if t.opened > cutoff]
    if late:
        raise DataError("tickets opened after the cut-off", rows=late)
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
            f"response_p{round(percentile * 100)}_h": kaplan_meier_quantile(
                resp, resp_obs, percentile
            ),
            "resolution_median_h": kaplan_meier_quantile(res, res_obs, 0.5),
            f"resolution_p{round(percentile * 100)}_h": kaplan_meier_quantile(
                res, res_obs, percentile
            ),
            "sla_hit_rate": float(hits.sum() / known.sum()) if known.any() else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(by)
