"""Relationship pricing of :mod:`relmark.domain.pricing`: the simple CLV, the break-even
retention of a discount and the offer comparison, against DOMAIN.md 2.4 by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.domain import breakeven_retention, compare_offer, simple_clv
from relmark.errors import ArgumentError


def clv_by_hand(m: float, r: float, i: float) -> float:
    """DOMAIN.md 2.4: CLV = m(1+i)/(1+i-r), written out here (not the library's function)."""
    return m * (1 + i) / (1 + i - r)


@given(st.floats(10, 1000), st.floats(0.1, 0.9), st.floats(0.0, 0.3), st.floats(0.01, 0.5))
@settings(max_examples=100, deadline=None)
def test_breakeven_retention_leaves_clv_unchanged(
    m: float, r: float, i: float, share: float
) -> None:
    """DOMAIN.md 2.4: plugging r* back into m(1+i)/(1+i-r) with margin m - delta gives the
    original CLV (the formula evaluated by hand, and by :func:`simple_clv`)."""
    delta = share * m
    assert simple_clv(m, r, i) == pytest.approx(clv_by_hand(m, r, i), rel=1e-12)
    try:
        r_star = breakeven_retention(m, r, i, delta)
    except ArgumentError:
        # refused only when no retention below 1 recovers the CLV with the lower margin
        assert clv_by_hand(m - delta, 1 - 1e-12, i) <= clv_by_hand(m, r, i) * (1 + 1e-9)
        return
    assert r_star < 1
    assert clv_by_hand(m - delta, r_star, i) == pytest.approx(clv_by_hand(m, r, i), rel=1e-9)
    assert simple_clv(m - delta, r_star, i) == pytest.approx(simple_clv(m, r, i), rel=1e-9)


def test_offer_comparison() -> None:
    """m = 100, r = 0.8, i = 0.1: CLV = 110/0.3 = 366.67. A discount of 10 (margin 90) at
    r = 0.85 gives 99/0.25 = 396 (pays off); at r = 0.82, 99/0.28 = 353.57 (does not).
    Break-even: 99/(1.1 - r*) = 366.67, so 1.1 - r* = 0.27 and r* = 0.83."""
    c = compare_offer(100, 0.8, 0.1, discount=10, new_retention=0.85)
    assert c.breakeven_retention == pytest.approx(0.83)
    assert c.clv_without == pytest.approx(110 / 0.3)
    assert c.clv_with == pytest.approx(396)
    assert c.pays_off
    worse = compare_offer(100, 0.8, 0.1, discount=10, new_retention=0.82)
    assert worse.clv_with == pytest.approx(99 / 0.28)
    assert not worse.pays_off
