"""The package's top-level namespace."""

from __future__ import annotations

import importlib
import sys

import relmark


def test_subpackages_are_not_shadowed_by_functions() -> None:
    """``import relmark.clv as m`` gives the subpackage (a top-level function of the same
    name would silently replace it, as the ``clv`` function once did)."""
    for name in ("clv", "data", "datasets", "lifecycle", "scoring", "domain"):
        module = importlib.import_module(f"relmark.{name}")
        assert getattr(relmark, name) is module is sys.modules[f"relmark.{name}"]


def test_every_exported_name_exists() -> None:
    """Everything in ``relmark.__all__`` is importable from the top level."""
    missing = [name for name in relmark.__all__ if not hasattr(relmark, name)]
    assert missing == []
