"""Influencer metrics of :mod:`relmark.domain.influencer`, by hand."""

from __future__ import annotations

import pytest

from relmark.domain import earned_media_value, engagement_rate
from relmark.errors import ArgumentError
from tests.domain.strategies import eur


def test_influencer_metrics() -> None:
    """300 engagements on 10,000 followers: 3 %; 100 likes at 0.02 each: 2.00."""
    assert engagement_rate(300, denominator="followers", base=10_000) == pytest.approx(3.0)
    assert earned_media_value({"like": 100}, {"like": eur("0.02")}) == eur("2.00")
    with pytest.raises(ArgumentError, match="'rate_card': no rate for share"):
        earned_media_value({"share": 1}, {"like": eur("0.02")})
