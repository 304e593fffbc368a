"""The nouns of relationship marketing as typed, immutable, JSON-ready objects, and their
economics: customers, transactions, interactions, partners, referrals, loyalty, pricing.

Money never mixes currencies (:class:`~relmark.errors.CurrencyError`), points are whole,
ledgers never lose or duplicate (:class:`~relmark.errors.LedgerError`), bad arguments are
:class:`~relmark.errors.ArgumentError` naming the argument, and an object read from JSON obeys
the same rules as one built in code (pydantic's ``ValidationError``, from constructors and
``model_validate*`` only). See ``docs/domain.md``."""

from relmark.domain.affiliate import (
    Click,
    CommissionPlan,
    Conversion,
    FraudReason,
    Publisher,
    Statement,
    Tier,
    attribute,
    commission,
    fraud_checks,
    payout_statement,
    recurring_eligible,
)
from relmark.domain.core import (
    ROLE_GROUP,
    Channel,
    Customer,
    Direction,
    Group,
    Interaction,
    Money,
    NonNegativeMoney,
    Partner,
    Role,
    Transaction,
    transactions_from_frame,
    transactions_to_frame,
)
from relmark.domain.currency import CURRENCIES, check_currency, minor_unit_step, minor_units
from relmark.domain.feedback import Ticket, kaplan_meier_quantile, ticket_metrics
from relmark.domain.influencer import earned_media_value, engagement_rate
from relmark.domain.loyalty import (
    Lot,
    LoyaltyRules,
    PointsLedger,
    TierRule,
    allocate_revenue,
    outstanding_liability,
    qualify_tier,
    recognised_revenue,
)
from relmark.domain.pricing import OfferComparison, breakeven_retention, compare_offer, simple_clv
from relmark.domain.referral import (
    Referral,
    ReferralProgram,
    ReferralStatus,
    RewardLedger,
    ValueModel,
    amplification,
    clv_crv_quadrant,
    customer_referral_value,
    viral_coefficient,
)
from relmark.domain.review import Review, reviews_to_frame
from relmark.domain.schemas import json_schemas

__all__ = [
    "CURRENCIES",
    "ROLE_GROUP",
    "Channel",
    "Click",
    "CommissionPlan",
    "Conversion",
    "Customer",
    "Direction",
    "FraudReason",
    "Group",
    "Interaction",
    "Lot",
    "LoyaltyRules",
    "Money",
    "NonNegativeMoney",
    "OfferComparison",
    "Partner",
    "PointsLedger",
    "Publisher",
    "Referral",
    "ReferralProgram",
    "ReferralStatus",
    "Review",
    "RewardLedger",
    "Role",
    "Statement",
    "Ticket",
    "Tier",
    "TierRule",
    "Transaction",
    "ValueModel",
    "allocate_revenue",
    "amplification",
    "attribute",
    "breakeven_retention",
    "check_currency",
    "clv_crv_quadrant",
    "commission",
    "compare_offer",
    "customer_referral_value",
    "earned_media_value",
    "engagement_rate",
    "fraud_checks",
    "json_schemas",
    "kaplan_meier_quantile",
    "minor_unit_step",
    "minor_units",
    "outstanding_liability",
    "payout_statement",
    "qualify_tier",
    "recognised_revenue",
    "recurring_eligible",
    "reviews_to_frame",
    "simple_clv",
    "ticket_metrics",
    "transactions_from_frame",
    "transactions_to_frame",
    "viral_coefficient",
]
