"""Kotler's level choice."""

from __future__ import annotations

import pytest

from relmark.errors import ArgumentError
from relmark.lifecycle import KOTLER_MATRIX, KotlerThresholds, relationship_level


def test_kotler_matrix() -> None:
    assert relationship_level(50_000, 0.05) == "basic"
    assert relationship_level(50_000, 0.2) == "reactive"
    assert relationship_level(500, 0.2) == "accountable"
    assert relationship_level(50, 0.5) == "partnership"
    custom = KotlerThresholds(overrides={("many", "low"): "reactive"})
    assert relationship_level(50_000, 0.05, custom) == "reactive"


@pytest.mark.parametrize(
    ("customers", "margin", "size", "band"),
    [
        (10_000, 0.40, "many", "high"),  # the cut points belong to the upper class
        (9_999, 0.399, "medium", "medium"),
        (100, 0.10, "medium", "medium"),
        (99, 0.099, "few", "low"),
        (0, -1.0, "few", "low"),
    ],
)
def test_cut_points(customers: int, margin: float, size: str, band: str) -> None:
    assert relationship_level(customers, margin) == KOTLER_MATRIX[(size, band)]


def test_kotler_level_refuses_nan_and_unknown_overrides() -> None:
    """NaN customers fell through to "medium" (accountable); an override to a level that does
    not exist was returned as is."""
    for args, name in [((float("nan"), 0.2), "n_customers"), ((10, float("nan")), "unit_margin")]:
        with pytest.raises(ArgumentError) as err:
            relationship_level(*args)
        assert err.value.argument == name
    with pytest.raises(ArgumentError) as err:
        KotlerThresholds(overrides={("few", "high"): "bogus"})
    assert err.value.argument == "overrides"
    assert relationship_level(40, 0.6) == "partnership"  # Kotler's matrix: few, high margin


def test_overrides_are_copied_so_later_edits_cannot_bypass_validation() -> None:
    """Editing the dict passed as ``overrides`` after construction changed the thresholds
    without the checks (an unknown level could slip in)."""
    from relmark.lifecycle import KotlerThresholds, relationship_level

    cells = {("many", "low"): "reactive"}
    th = KotlerThresholds(overrides=cells)
    cells[("many", "low")] = "no-such-level"
    assert relationship_level(20_000, 0.05, th) == "reactive"
    with pytest.raises(TypeError):
        th.overrides[("few", "high")] = "basic"  # type: ignore[index]
