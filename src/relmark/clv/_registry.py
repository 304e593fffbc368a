"""The registry of CLV models: adding a model is one module plus one ``@register``."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from relmark.errors import SchemaError

if TYPE_CHECKING:
    from relmark.clv._base import CLVModel

__all__ = ["MODELS", "get_model", "register"]

MODELS: dict[str, type[CLVModel]] = {}
"""Model classes by their canonical name (``"BGNBD"``, ``"ParetoNBD"``, ...)."""

M = TypeVar("M", bound="type[CLVModel]")


def register(cls: M) -> M:
    """Class decorator adding a model to :data:`MODELS` under ``cls.name``."""
    MODELS[cls.name] = cls
    return cls


def get_model(name: str) -> type[CLVModel]:
    """Look up a model class by name, case- and punctuation-insensitively (``"bg/nbd"``)."""
    import relmark.clv  # noqa: F401  (importing the package registers every model)

    key = "".join(ch for ch in name.lower() if ch.isalnum())
    for model_name, cls in MODELS.items():
        if model_name.lower() == key:
            return cls
    known = ", ".join(sorted(MODELS))
    raise SchemaError(f"unknown model {name!r}; known models: {known}")
