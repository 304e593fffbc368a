"""Probabilistic customer-lifetime-value models ("buy till you die").

Every model is a small module with its likelihood and predictions as plain vectorised
functions, and a thin class listed in :data:`MODELS` (with its kind) that holds the parameters
(and, when fitted, the :class:`FitResult`). All models share one maximum-likelihood engine.
"""

from relmark.clv._base import CLVModel, Interval, ModelKind
from relmark.clv._params import Param, ParamSet, Prior, Setting
from relmark.clv._registry import KINDS, MODELS, get_model, load_model, models_of_kind
from relmark.clv._result import FitResult
from relmark.clv.bdw import BdW
from relmark.clv.bgbb import BGBB
from relmark.clv.bgcnbd import BGCNBD, MBGCNBD
from relmark.clv.bgnbd import BGNBD
from relmark.clv.compare import ModelComparison, compare_models
from relmark.clv.gammagamma import GammaGamma
from relmark.clv.ggompertz import GGompertzNBD
from relmark.clv.inference import Bootstrap, LikelihoodRatioTest, bootstrap, likelihood_ratio_test
from relmark.clv.mbgnbd import MBGNBD
from relmark.clv.migrate import from_lifetimes
from relmark.clv.paretonbd import ParetoNBD
from relmark.clv.sbg import SBG
from relmark.clv.segments import SegmentFits, fit_segments
from relmark.clv.simulate import simulate_transactions
from relmark.clv.spend_dependence import FrequencyGammaGamma
from relmark.clv.value import clv, clv_from_dert, clv_interval, score

__all__ = [
    "BGBB",
    "BGCNBD",
    "BGNBD",
    "KINDS",
    "MBGCNBD",
    "MBGNBD",
    "MODELS",
    "SBG",
    "BdW",
    "Bootstrap",
    "CLVModel",
    "FitResult",
    "FrequencyGammaGamma",
    "GGompertzNBD",
    "GammaGamma",
    "Interval",
    "LikelihoodRatioTest",
    "ModelComparison",
    "ModelKind",
    "Param",
    "ParamSet",
    "ParetoNBD",
    "Prior",
    "SegmentFits",
    "Setting",
    "bootstrap",
    "clv",
    "clv_from_dert",
    "clv_interval",
    "compare_models",
    "fit_segments",
    "from_lifetimes",
    "get_model",
    "likelihood_ratio_test",
    "load_model",
    "models_of_kind",
    "score",
    "simulate_transactions",
]
