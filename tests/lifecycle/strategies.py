"""Hypothesis strategies for the lifecycle tests: transition matrices and stage panels."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def stochastic(draw: st.DrawFn, *, min_states: int = 2, max_states: int = 5) -> np.ndarray:
    """Row-stochastic matrices with every entry positive (irreducible, aperiodic)."""
    k = draw(st.integers(min_states, max_states))
    rows = [draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)) for _ in range(k)]
    m = np.array(rows)
    out: np.ndarray = m / m.sum(axis=1, keepdims=True)
    return out


@st.composite
def panels(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """Stage panels: customers x periods of indices in 0..k-1, -1 where unobserved (leading
    and trailing gaps: acquired late, censored early), and the number of states k."""
    k = draw(st.integers(1, 4))
    n = draw(st.integers(1, 12))
    t = draw(st.integers(1, 8))
    cells = draw(st.lists(st.integers(0, k - 1), min_size=n * t, max_size=n * t))
    panel = np.array(cells, dtype=np.int64).reshape(n, t)
    for i in range(n):
        first = draw(st.integers(0, t))
        last = draw(st.integers(first, t))
        panel[i, :first] = -1
        panel[i, last:] = -1
    return panel, k
