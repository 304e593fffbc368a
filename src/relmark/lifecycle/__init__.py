"""Relationship lifecycle: stage models as data, moves, rules, Markov chains and their value."""

from relmark.lifecycle.hmm import HMMParams, fit_hmm, forward_backward, simulate_hmm, viterbi
from relmark.lifecycle.kotler import KOTLER_MATRIX, KotlerThresholds, relationship_level
from relmark.lifecycle.markov import (
    AbsorptionResult,
    TransitionEstimate,
    absorption,
    base_value,
    chain_value,
    compare_policies,
    estimate_transitions,
    forecast,
    stage_panel,
    stationary_distribution,
)
from relmark.lifecycle.rules import Condition, Rule, assign_stages
from relmark.lifecycle.stages import (
    CRM_FUNNEL,
    FOUR_STAGES,
    KOTLER_LEVELS,
    SEVEN_STAGES,
    BackwardPolicy,
    CustomerStage,
    Move,
    StageModel,
)

__all__ = [
    "CRM_FUNNEL",
    "FOUR_STAGES",
    "KOTLER_LEVELS",
    "KOTLER_MATRIX",
    "SEVEN_STAGES",
    "AbsorptionResult",
    "BackwardPolicy",
    "Condition",
    "CustomerStage",
    "HMMParams",
    "KotlerThresholds",
    "Move",
    "Rule",
    "StageModel",
    "TransitionEstimate",
    "absorption",
    "assign_stages",
    "base_value",
    "chain_value",
    "compare_policies",
    "estimate_transitions",
    "fit_hmm",
    "forecast",
    "forward_backward",
    "relationship_level",
    "simulate_hmm",
    "stage_panel",
    "stationary_distribution",
    "viterbi",
]
