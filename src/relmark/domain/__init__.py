"""The nouns of relationship marketing as typed, immutable, JSON-ready objects, and their
economics: customers, transactions, interactions, partners, referrals, loyalty, pricing."""

from relmark.domain.core import (
    ROLE_GROUP,
    Channel,
    Customer,
    Direction,
    Group,
    Interaction,
    Money,
    Partner,
    Role,
    Transaction,
    json_schemas,
    transactions_from_frame,
    transactions_to_frame,
)
from relmark.domain.loyalty import (
    Lot,
    LoyaltyRules,
    PointsLedger,
    allocate_revenue,
    outstanding_liability,
    recognised_revenue,
)
from relmark.domain.pricing import OfferComparison, breakeven_retention, compare_offer, simple_clv
from relmark.domain.referral import (
    Referral,
    ReferralProgram,
    ReferralStatus,
    amplification,
    clv_crv_quadrant,
    customer_referral_value,
    viral_coefficient,
)

__all__ = [
    "ROLE_GROUP",
    "Channel",
    "Customer",
    "Direction",
    "Group",
    "Interaction",
    "Lot",
    "LoyaltyRules",
    "Money",
    "OfferComparison",
    "Partner",
    "PointsLedger",
    "Referral",
    "ReferralProgram",
    "ReferralStatus",
    "Role",
    "Transaction",
    "allocate_revenue",
    "amplification",
    "breakeven_retention",
    "clv_crv_quadrant",
    "compare_offer",
    "customer_referral_value",
    "json_schemas",
    "outstanding_liability",
    "recognised_revenue",
    "simple_clv",
    "transactions_from_frame",
    "transactions_to_frame",
    "viral_coefficient",
]
