"""Hypothesis strategies for the scoring tests: survey answers and Likert matrices."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st


def nps_answers(max_size: int = 200) -> st.SearchStrategy[list[int]]:
    """Non-empty lists of 0-10 answers."""
    return st.lists(st.integers(0, 10), min_size=1, max_size=max_size)


@st.composite
def likert_matrices(draw: st.DrawFn, *, low: int = 1, high: int = 7) -> np.ndarray:
    """Respondents x items of whole answers in ``low..high`` (3-40 respondents, 2-6 items),
    each item with some variance and a total score that varies (alpha is defined)."""
    n = draw(st.integers(3, 40))
    k = draw(st.integers(2, 6))
    cells = st.lists(st.integers(low, high), min_size=n * k, max_size=n * k)
    x = np.array(draw(cells), dtype=np.float64).reshape(n, k)
    total = x.sum(axis=1)
    rest = total[:, None] - x
    ok = np.ptp(x, axis=0).min() > 0 and np.ptp(total) > 0 and np.ptp(rest, axis=0).min() > 0
    if ok:
        r = np.corrcoef(x, rowvar=False)
        ok = ok and 1 + (k - 1) * (r.sum() - k) / (k * (k - 1)) > 1e-12
    assume(ok)
    return x


def values(min_size: int = 1, max_size: int = 60) -> st.SearchStrategy[list[float]]:
    """Non-negative values (spend, CLV) with ties, not all zero."""
    return st.lists(st.integers(0, 50).map(float), min_size=min_size, max_size=max_size).filter(
        lambda v: sum(v) > 0
    )


def star_counts(max_stars: int = 10) -> st.SearchStrategy[list[int]]:
    """Counts of ratings per star (2..max_stars stars), from none to a million each."""
    return st.lists(st.integers(0, 10**6), min_size=2, max_size=max_stars)


def request_logs(max_size: int = 80) -> st.SearchStrategy[list[tuple[int, bool]]]:
    """Review-request logs: (days since purchase, whether a review came that day)."""
    return st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=max_size)
