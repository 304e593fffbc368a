"""The registry: the one list of relmark's CLV models, each with its kind.

Adding a model is one module plus one line in :data:`MODELS`. The CLI's model choices, the
demo and the contract tests derive from this list. The registry imports the models; no model
imports the registry (no import cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar, overload

from relmark.clv._base import CLVModel, ModelKind, read_json
from relmark.clv.bdw import BdW
from relmark.clv.bgbb import BGBB
from relmark.clv.bgcnbd import BGCNBD, MBGCNBD
from relmark.clv.bgnbd import BGNBD
from relmark.clv.gammagamma import GammaGamma
from relmark.clv.ggompertz import GGompertzNBD
from relmark.clv.mbgnbd import MBGNBD
from relmark.clv.paretonbd import ParetoNBD
from relmark.clv.sbg import SBG
from relmark.clv.spend_dependence import FrequencyGammaGamma
from relmark.errors import ArgumentError, SchemaError

__all__ = ["KINDS", "MODELS", "get_model", "load_model", "models_of_kind"]

MODELS: Mapping[str, type[CLVModel]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            BGNBD,
            MBGNBD,
            ParetoNBD,
            BGBB,
            GammaGamma,
            SBG,
            BdW,
            BGCNBD,
            MBGCNBD,
            GGompertzNBD,
            FrequencyGammaGamma,
        )
    }
)
"""Model classes by their canonical name (``"BGNBD"``, ``"ParetoNBD"``, ...), read-only."""

KINDS: tuple[ModelKind, ...] = ("purchase", "spend", "retention")
"""The kinds of model: repeat purchases, spend per purchase, contract retention."""

M = TypeVar("M", bound=CLVModel)


def models_of_kind(kind: ModelKind) -> tuple[type[CLVModel], ...]:
    """The registered models of one kind, in registry order.

    Parameters
    ----------
    kind
        ``"purchase"``, ``"spend"`` or ``"retention"``.

    Returns
    -------
    tuple of model classes

    Raises
    ------
    ArgumentError
        For an unknown kind.

    Examples
    --------
    >>> [m.name for m in models_of_kind("purchase")]
    ['BGNBD', 'MBGNBD', 'ParetoNBD', 'BGBB', 'BGCNBD', 'MBGCNBD', 'GGompertzNBD']
    """
    if kind not in KINDS:
        raise ArgumentError(f"must be one of {', '.join(KINDS)}, got {kind!r}", argument="kind")
    return tuple(cls for cls in MODELS.values() if cls.kind == kind)


def get_model(name: str) -> type[CLVModel]:
    """Look up a model class by name, case- and punctuation-insensitively (``"bg/nbd"``).

    Parameters
    ----------
    name
        A model name.

    Returns
    -------
    type
        The model class.

    Raises
    ------
    ArgumentError
        For a name that is not text or names no model.

    Examples
    --------
    >>> get_model("Pareto/NBD").name
    'ParetoNBD'
    """
    if not isinstance(name, str):
        raise ArgumentError(f"must be a model name, got {name!r}", argument="name")
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    for model_name, cls in MODELS.items():
        if model_name.lower() == key:
            return cls
    known = ", ".join(MODELS)
    raise ArgumentError(f"unknown model {name!r}; known models: {known}", argument="name")


@overload
def load_model(text: str | bytes, expect: None = None) -> CLVModel: ...


@overload
def load_model(text: str | bytes, expect: type[M]) -> M: ...


def load_model(text: str | bytes, expect: type[M] | None = None) -> CLVModel | M:
    """Load a saved CLV model from JSON: of any registered class, or of the class ``expect``.

    Parameters
    ----------
    text
        JSON written by :meth:`CLVModel.to_json`.
    expect
        The class the JSON must hold (typed: ``load_model(text, expect=BGNBD)`` is a
        ``BGNBD``); a model class of your own needs no registration.

    Returns
    -------
    CLVModel
        The model, equal to the one saved.

    Raises
    ------
    SchemaError
        Naming the key: not JSON, not a relmark model, an unknown model or one other than
        ``expect`` (``"model"``), or anything :meth:`CLVModel.from_dict` refuses.

    Examples
    --------
    >>> from relmark.clv import BGNBD
    >>> model = load_model(BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426).to_json(), expect=BGNBD)
    >>> model.params["r"]
    0.243
    """
    d = read_json(text)
    if "model" not in d:
        raise SchemaError("is missing", key="model")
    name = d["model"]
    if expect is not None:
        if not (isinstance(expect, type) and issubclass(expect, CLVModel)):
            raise ArgumentError(f"must be a CLVModel class, got {expect!r}", argument="expect")
        if name != expect.name:
            raise SchemaError(f"this JSON holds a {name!r} model, not {expect.name!r}", key="model")
        return expect.from_dict(d)
    if not isinstance(name, str) or name not in MODELS:
        raise SchemaError(f"unknown model {name!r}; known models: {', '.join(MODELS)}", key="model")
    return MODELS[name].from_dict(d)
