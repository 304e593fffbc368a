"""Decisions built on relmark's models: the IDIC "customise" step and beyond.

Churn and cohorts, customer profitability and cost to serve, attribution across partners and
touchpoints. Each module is plain functions over arrays or frames, with results a service can
store as JSON.
"""

from __future__ import annotations

from relmark.decide.advocacy import (
    AdvocacyKPIs,
    CoMarketingSplit,
    co_marketing_split,
    customer_engagement_value,
    employee_advocacy,
    influencer_value,
    knowledge_value,
)
from relmark.decide.association import (
    AssociationRules,
    FrequentItemsets,
    association_rules,
    frequent_itemsets,
)
from relmark.decide.attribution import (
    AttributionComparison,
    ShapleyAttribution,
    compare_attribution,
    shapley_attribution,
)
from relmark.decide.campaign import (
    GainsTable,
    MailingDepth,
    ResponseCurve,
    ResponseModel,
    RFMTestSample,
    RolloutPlan,
    break_even_response_rate,
    cumulative_response_curve,
    fit_response_model,
    gains_table,
    mailing_depth,
    rfm_rollout,
    rfm_test_sample,
)
from relmark.decide.churn import (
    ChurnThresholds,
    choose_churn_threshold,
    churn_by_inactivity,
    churn_by_p_alive,
    churn_threshold_from_holdout,
    holdout_churned,
    next_purchase_probability,
    next_purchase_time,
)
from relmark.decide.cohorts import CohortTable, cohort_table
from relmark.decide.equity import (
    BudgetOptimum,
    CustomerEquity,
    SpendResponse,
    customer_equity,
    customer_equity_per_prospect,
    optimal_budget,
)
from relmark.decide.loyalty import (
    BreakageEstimate,
    EventStudy,
    MembershipEffect,
    ProgrammeProfit,
    TierMigration,
    breakage_curve,
    event_study,
    membership_effect,
    programme_profit,
    tier_migration,
)
from relmark.decide.offers import DEFAULT_CHANNELS, ContactPolicy, OfferPlan, choose_offers
from relmark.decide.profitability import (
    CustomerProfitability,
    WhaleCurve,
    customer_profitability,
    whale_curve,
)
from relmark.decide.recommend import ItemSimilarity, item_similarity, recommend_items
from relmark.decide.winback import (
    ReacquisitionModel,
    WinbackPlan,
    fit_reacquisition,
    plan_winback,
    second_lifetime_value,
)

__all__: list[str] = [
    "DEFAULT_CHANNELS",
    "AdvocacyKPIs",
    "AssociationRules",
    "AttributionComparison",
    "BreakageEstimate",
    "BudgetOptimum",
    "ChurnThresholds",
    "CoMarketingSplit",
    "CohortTable",
    "ContactPolicy",
    "CustomerEquity",
    "CustomerProfitability",
    "EventStudy",
    "FrequentItemsets",
    "GainsTable",
    "ItemSimilarity",
    "MailingDepth",
    "MembershipEffect",
    "OfferPlan",
    "ProgrammeProfit",
    "RFMTestSample",
    "ReacquisitionModel",
    "ResponseCurve",
    "ResponseModel",
    "RolloutPlan",
    "ShapleyAttribution",
    "SpendResponse",
    "TierMigration",
    "WhaleCurve",
    "WinbackPlan",
    "association_rules",
    "break_even_response_rate",
    "breakage_curve",
    "choose_churn_threshold",
    "choose_offers",
    "churn_by_inactivity",
    "churn_by_p_alive",
    "churn_threshold_from_holdout",
    "co_marketing_split",
    "cohort_table",
    "compare_attribution",
    "cumulative_response_curve",
    "customer_engagement_value",
    "customer_equity",
    "customer_equity_per_prospect",
    "customer_profitability",
    "employee_advocacy",
    "event_study",
    "fit_reacquisition",
    "fit_response_model",
    "frequent_itemsets",
    "gains_table",
    "holdout_churned",
    "influencer_value",
    "item_similarity",
    "knowledge_value",
    "mailing_depth",
    "membership_effect",
    "next_purchase_probability",
    "next_purchase_time",
    "optimal_budget",
    "plan_winback",
    "programme_profit",
    "recommend_items",
    "rfm_rollout",
    "rfm_test_sample",
    "second_lifetime_value",
    "shapley_attribution",
    "tier_migration",
    "whale_curve",
]
