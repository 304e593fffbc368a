"""JSON Schemas of every public domain object (for API documentation and other services).

This module sits above the object modules (it imports them all), so that
:mod:`relmark.domain.core` imports none of them: there is no import cycle.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from relmark.domain import affiliate, core, feedback, loyalty, referral, review

__all__ = ["MODELS", "json_schemas"]

MODELS: tuple[type[BaseModel], ...] = (
    core.Money,
    core.Customer,
    core.Transaction,
    core.Interaction,
    core.Partner,
    referral.Referral,
    referral.ReferralProgram,
    referral.RewardLedger,
    loyalty.LoyaltyRules,
    loyalty.Lot,
    loyalty.PointsLedger,
    loyalty.TierRule,
    affiliate.Publisher,
    affiliate.Click,
    affiliate.Conversion,
    affiliate.Tier,
    affiliate.CommissionPlan,
    affiliate.Statement,
    feedback.Ticket,
    review.Review,
)
"""Every public pydantic model of :mod:`relmark.domain`."""


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of every domain object, by class name (validation mode: what a service
    may send).

    >>> schemas = json_schemas()
    >>> schemas["PointsLedger"]["title"]
    'PointsLedger'
    >>> "EUR" in schemas["Money"]["properties"]["currency"]["enum"]
    True

    Returns
    -------
    dict of str to dict
        Class name -> JSON Schema.
    """
    return {m.__name__: m.model_json_schema() for m in MODELS}
