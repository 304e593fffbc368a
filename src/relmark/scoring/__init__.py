"""Trust and satisfaction scoring, survey psychometrics and customer differentiation.

- :mod:`~relmark.scoring.survey`: instruments as data, scoring responses, relationship quality;
- :mod:`~relmark.scoring.reliability`: Cronbach's alpha, omega, CR, AVE, Fornell-Larcker, HTMT;
- :mod:`~relmark.scoring.satisfaction`: NPS with intervals, CSAT, CES, ACSI-style index;
- :mod:`~relmark.scoring.trust`: beta reputation from kept and broken promises;
- :mod:`~relmark.scoring.reviews`: Bayesian average, Wilson bound, Dirichlet star posterior,
  review volume/valence/recency, the review-request response hazard;
- :mod:`~relmark.scoring.communication`: contact cadence, two-way ratio, response latency per
  channel from interaction records, and a communication score;
- :mod:`~relmark.scoring.rfm`: tie-safe RFM scores, segments, customer pyramid, Lorenz, Gini.
"""

from relmark.scoring.communication import CommunicationScores, communication_scores
from relmark.scoring.reliability import (
    AlphaResult,
    ReliabilityThresholds,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    fornell_larcker,
    htmt,
    one_factor_loadings,
)
from relmark.scoring.reviews import (
    StarPosterior,
    bayesian_average,
    review_aggregates,
    review_hazard,
    star_posterior,
    wilson_interval,
    wilson_lower_bound,
)
from relmark.scoring.rfm import (
    DEFAULT_SEGMENTS,
    RFMScores,
    customer_pyramid,
    gini,
    lorenz_curve,
    quantile_scores,
    rfm_from_summary,
    rfm_scores,
    segment,
)
from relmark.scoring.satisfaction import (
    NPSResult,
    acsi_index,
    csat,
    customer_effort_score,
    nps,
    nps_difference,
    servqual_gaps,
)
from relmark.scoring.survey import (
    FIVE_FACTORS,
    Construct,
    Instrument,
    Item,
    QualityIndex,
    SurveyScores,
    quality_index,
    score_responses,
)
from relmark.scoring.trust import Reputation, reputation_scores

__all__ = [
    "DEFAULT_SEGMENTS",
    "FIVE_FACTORS",
    "AlphaResult",
    "CommunicationScores",
    "Construct",
    "Instrument",
    "Item",
    "NPSResult",
    "QualityIndex",
    "RFMScores",
    "ReliabilityThresholds",
    "Reputation",
    "StarPosterior",
    "SurveyScores",
    "acsi_index",
    "average_variance_extracted",
    "bayesian_average",
    "communication_scores",
    "composite_reliability",
    "cronbach_alpha",
    "csat",
    "customer_effort_score",
    "customer_pyramid",
    "fornell_larcker",
    "gini",
    "htmt",
    "lorenz_curve",
    "nps",
    "nps_difference",
    "one_factor_loadings",
    "quality_index",
    "quantile_scores",
    "reputation_scores",
    "review_aggregates",
    "review_hazard",
    "rfm_from_summary",
    "rfm_scores",
    "score_responses",
    "segment",
    "servqual_gaps",
    "star_posterior",
    "wilson_interval",
    "wilson_lower_bound",
]
