"""Support tickets and their metrics of :mod:`relmark.domain.feedback`, with open tickets
treated as censored (Kaplan-Meier), against hand computations."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from relmark.domain import Channel, Ticket, kaplan_meier_quantile, ticket_metrics
from relmark.errors import DataError
from tests.domain.strategies import T0


def test_kaplan_meier_median_with_open_tickets() -> None:
    """Hand computation: times 1, 2, 3+, 4, 5+ (+ = still open). S: 0.8, 0.6, 0.6, 0.3 ->
    median 4; ignoring open tickets would give 2, counting them as resolved 3."""
    d = np.array([1.0, 2, 3, 4, 5])
    e = np.array([True, True, False, True, False])
    assert kaplan_meier_quantile(d, e, 0.5) == 4.0
    assert kaplan_meier_quantile(d, e, 0.9) == float("inf")


def test_ticket_metrics_by_department() -> None:
    def ticket(i: int, dept: str, resp_h: float | None, res_h: float | None) -> Ticket:
        opened = T0 - timedelta(hours=100)
        return Ticket(
            id=f"t{i}",
            customer_id="c",
            channel=Channel.EMAIL,
            department=dept,
            opened=opened,
            first_response=None if resp_h is None else opened + timedelta(hours=resp_h),
            resolved=None if res_h is None else opened + timedelta(hours=res_h),
        )

    tickets = [
        ticket(1, "billing", 1, 5),
        ticket(2, "billing", 3, 10),
        ticket(3, "billing", None, None),
        ticket(4, "support", 2, 4),
    ]
    m = ticket_metrics(tickets, cutoff=T0, sla=timedelta(hours=2))
    assert m.loc["billing", "open"] == 1
    assert m.loc["billing", "response_median_h"] == 3.0
    assert m.loc["billing", "sla_hit_rate"] == pytest.approx(1 / 3)  # the open one is 100 h late
    assert m.loc["support", "sla_hit_rate"] == 1.0
    with pytest.raises(ValueError, match="resolved cannot be before opened"):
        Ticket(
            id="x",
            customer_id="c",
            channel=Channel.CHAT,
            department="d",
            opened=T0,
            resolved=T0 - timedelta(hours=1),
        )


def test_ticket_metrics_refuses_duplicate_ticket_ids() -> None:
    t = Ticket(id="t1", customer_id="c", channel=Channel.EMAIL, department="d", opened=T0)
    with pytest.raises(DataError, match="'t1'"):
        ticket_metrics([t, t], cutoff=T0, sla=timedelta(hours=2))
