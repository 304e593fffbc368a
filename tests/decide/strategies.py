"""Hypothesis strategies for relmark.decide tests."""

from __future__ import annotations

from hypothesis import strategies as st

probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
"""A probability in [0, 1], ends included."""


@st.composite
def scored_outcomes(draw: st.DrawFn, *, max_size: int = 60) -> tuple[list[float], list[int]]:
    """Predicted response probabilities (with ties: values from a small grid) and 0/1
    outcomes with at least one responder."""
    n = draw(st.integers(min_value=1, max_value=max_size))
    grid = st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0])
    predicted = draw(st.lists(st.one_of(grid, probability), min_size=n, max_size=n))
    responded = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    if sum(responded) == 0:
        responded[draw(st.integers(0, n - 1))] = 1
    return predicted, responded


money = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
"""A positive amount (cost or margin)."""


@st.composite
def baskets(draw: st.DrawFn, *, max_baskets: int = 30, max_items: int = 7) -> list[list[str]]:
    """1-``max_baskets`` non-empty baskets over up to ``max_items`` items ``i0`` ... (small
    enough that every itemset can be enumerated by brute force)."""
    m = draw(st.integers(min_value=1, max_value=max_items))
    names = [f"i{j}" for j in range(m)]
    one = st.lists(st.sampled_from(names), min_size=1, max_size=m, unique=True)
    return draw(st.lists(one, min_size=1, max_size=max_baskets))


@st.composite
def member_panels(draw: st.DrawFn) -> dict[str, list[float] | list[int] | list[str]]:
    """A balanced member/non-member panel (3-8 customers, 2-5 periods, one launch period,
    at least one member and one non-member) with spends from a small range."""
    customers = draw(st.integers(min_value=3, max_value=8))
    periods = draw(st.integers(min_value=2, max_value=5))
    launch = draw(st.integers(min_value=1, max_value=periods - 1))
    members = draw(st.integers(min_value=1, max_value=customers - 1))
    spend = draw(
        st.lists(
            st.floats(min_value=0.0, max_value=500.0, allow_nan=False),
            min_size=customers * periods,
            max_size=customers * periods,
        )
    )
    return {
        "customer_id": [f"c{i}" for i in range(customers) for _ in range(periods)],
        "period": [t for _ in range(customers) for t in range(periods)],
        "spend": spend,
        "member": [
            int(i < members and t >= launch) for i in range(customers) for t in range(periods)
        ],
    }
